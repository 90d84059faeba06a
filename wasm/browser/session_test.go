package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve"
	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/protocol"
)

const jaffle = "../../resolve/testdata/manifests/defer-jaffle-shop-postgres"

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// envelopeOf decodes a bridge answer.
type answer struct {
	OK    json.RawMessage `json:"ok"`
	Error *protocol.Error `json:"error"`
}

func decode(t *testing.T, b []byte) answer {
	t.Helper()
	var a answer
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("bridge answered invalid JSON %q: %v", b, err)
	}
	return a
}

// openJaffle opens the postgres dev/prod pair and returns the session and handle.
func openJaffle(t *testing.T, names Names) (*Session, int) {
	t.Helper()
	s := NewSession()
	var phases []string
	names.Manifest, names.State = "dev/manifest.json", "prod/manifest.json"
	a := decode(t, s.Open(OpenRequest{Manifest: read(t, jaffle+"/dev/manifest.json"), State: read(t, jaffle+"/prod/manifest.json"), Names: names},
		func(p Progress) { phases = append(phases, p.Phase) }))
	if a.Error != nil {
		t.Fatalf("open: %+v", a.Error)
	}
	if got := strings.Join(phases, ","); got != "index,ready" {
		t.Errorf("progress phases = %s, want index,ready", got)
	}
	var r openResult
	if err := json.Unmarshal(a.OK, &r); err != nil {
		t.Fatal(err)
	}
	if r.Info.ProjectName != "jaffle_shop" || !r.Info.HasState || r.Info.State == nil || r.Info.State.InvocationID == "" {
		t.Errorf("info = %+v", r.Info)
	}
	return s, r.Handle
}

// openJaffleWith opens the pair with a dbt_project.yml.
func openJaffleWith(t *testing.T, projectYml string) (*Session, int) {
	t.Helper()
	s := NewSession()
	a := decode(t, s.Open(OpenRequest{Manifest: read(t, jaffle+"/dev/manifest.json"), State: read(t, jaffle+"/prod/manifest.json"),
		ProjectYml: []byte(projectYml), Names: Names{Manifest: "dev/manifest.json", State: "prod/manifest.json"}}, nil))
	if a.Error != nil {
		t.Fatalf("open: %+v", a.Error)
	}
	var r openResult
	if err := json.Unmarshal(a.OK, &r); err != nil {
		t.Fatal(err)
	}
	return s, r.Handle
}

// call runs one method and returns its ok value or error.
func call(t *testing.T, s *Session, h int, method, req string) answer {
	t.Helper()
	return decode(t, s.Call(h, method, []byte(req)))
}

func TestResolveModes(t *testing.T) {
	s, h := openJaffle(t, Names{})
	dev, prod := `"postgres"."dbt_dconnors"."stg_customers"`, `"postgres"."prod"."stg_customers"`
	for _, c := range []struct {
		name, req, relation, rule string
	}{
		{"off", `{"from":"customers","refs":["stg_customers"]}`, dev, "defer-off"},
		{"standard, nothing known: assumed missing", `{"from":"customers","refs":["stg_customers"],"defer":"standard"}`, prod, "dev-unknown-assumed-missing"},
		{"standard, unknown present", `{"from":"customers","refs":["stg_customers"],"defer":"standard","unknown":"present"}`, dev, ""},
		{"favor-state, customers selected", `{"from":"customers","refs":["stg_customers"],"defer":"favor-state"}`, prod, "favor-state-unselected"},
		// dbt 1.8+: a selected target whose dev relation is missing still defers (spec §1.5, #9991).
		{"favor-state, target selected, dev missing", `{"from":"customers","refs":["stg_customers"],"defer":"favor-state","select":["stg_customers"]}`, prod, "dev-unknown-assumed-missing"},
		{"favor-state, target selected, dev present", `{"from":"customers","refs":["stg_customers"],"defer":"favor-state","select":["stg_customers"],"unknown":"present"}`, dev, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := call(t, s, h, "resolve", c.req)
			if a.Error != nil {
				t.Fatalf("error %+v", a.Error)
			}
			var r protocol.ResolveAnswer
			json.Unmarshal(a.OK, &r)
			if len(r.Refs) != 1 || r.Refs[0].Relation != c.relation || c.rule != "" && r.Refs[0].Rule != c.rule {
				t.Errorf("got %s, want relation %s rule %s", a.OK, c.relation, c.rule)
			}
		})
	}
}

func TestResolveDevRelationsOracle(t *testing.T) {
	s, h := openJaffle(t, Names{DevRelations: []string{"dbt_dconnors.stg_customers"}})
	a := call(t, s, h, "resolve", `{"from":"customers","refs":["stg_customers","stg_orders"],"defer":"standard"}`)
	var r protocol.ResolveAnswer
	json.Unmarshal(a.OK, &r)
	if len(r.Refs) != 2 || r.Refs[0].Env != "dev" || r.Refs[0].Rule != "dev-exists" || r.Refs[1].Env != "state" {
		t.Errorf("got %s", a.OK)
	}
}

// TestMatchesCLIShape checks that a RefResult crosses the bridge with the
// same JSON the CLI prints (resolve --json): the bridge adds nothing.
func TestMatchesCLIShape(t *testing.T) {
	s, h := openJaffle(t, Names{})
	a := call(t, s, h, "resolve", `{"from":"customers","refs":["stg_customers"],"defer":"standard"}`)
	var r struct{ Refs []json.RawMessage }
	json.Unmarshal(a.OK, &r)
	p, err := resolve.Open(resolve.Inputs{Manifest: read(t, jaffle+"/dev/manifest.json"), ManifestName: "dev/manifest.json",
		State: read(t, jaffle+"/prod/manifest.json"), StateName: "prod/manifest.json"})
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := resolve.ParseRef("stg_customers")
	want, _, err := p.Resolve("customers", []resolve.RefSpec{spec}, resolve.Options{Defer: "standard"})
	if err != nil {
		t.Fatal(err)
	}
	wb, _ := json.Marshal(want[0])
	if string(r.Refs[0]) != string(wb) {
		t.Errorf("bridge:\n%s\nGo API:\n%s", r.Refs[0], wb)
	}
}

// TestCompile: a saved model, an edited buffer and ad-hoc SQL cross the
// bridge as the Go API's CompileResult (the CLI's compile --json), with the
// dbt_project.yml's vars applied and the call's vars over them.
func TestCompile(t *testing.T) {
	yml := "name: jaffle_shop\nvars:\n  limit_rows: 10\n  who: project\n"
	s, h := openJaffleWith(t, yml)
	p, err := resolve.Open(resolve.Inputs{Manifest: read(t, jaffle+"/dev/manifest.json"), ManifestName: "dev/manifest.json",
		State: read(t, jaffle+"/prod/manifest.json"), StateName: "prod/manifest.json"})
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"off", "standard", "favor-state"} {
		a := call(t, s, h, "compile", `{"model":"customers","defer":"`+mode+`"}`)
		want, err := p.Compile(resolve.CompileRequest{Model: "customers", Options: resolve.Options{Defer: deferral.Mode(mode)}})
		if err != nil || a.Error != nil {
			t.Fatalf("%s: %v %+v", mode, err, a.Error)
		}
		wb, _ := protocol.Marshal(want)
		if string(a.OK) != string(wb) {
			t.Errorf("%s: bridge:\n%s\nGo API:\n%s", mode, a.OK, wb)
		}
	}
	var r resolve.CompileResult
	a := call(t, s, h, "compile", `{"model":"customers","defer":"favor-state","sql":"select * from {{ ref('stg_orders') }} limit {{ var('limit_rows') }} -- {{ var('who') }}","vars":{"who":"call"}}`)
	json.Unmarshal(a.OK, &r)
	if r.SQL != `select * from "postgres"."prod"."stg_orders" limit 10 -- call` || len(r.Refs) != 1 || r.Refs[0].Env != "state" {
		t.Errorf("edited buffer: %s %+v", a.OK, a.Error)
	}
	a = call(t, s, h, "compile", `{"sql":"select {{ 1 + 1 }} from {{ ref('customers') }}"}`)
	json.Unmarshal(a.OK, &r)
	if r.SQL != `select 2 from "postgres"."dbt_dconnors"."customers"` {
		t.Errorf("ad-hoc: %s %+v", a.OK, a.Error)
	}
}

// TestExplainForeignKeys: explain lists a contract's foreign-key to: refs
// (kind fk) with dbt's rule for them: the jaffle pair is dbt 1.8, so its
// version is patched to 1.12, where an unselected target reads production.
func TestExplainForeignKeys(t *testing.T) {
	dev := read(t, jaffle+"/dev/manifest.json")
	dev = bytes.Replace(dev, []byte(`"unique_id": "model.jaffle_shop.customers"`),
		[]byte(`"unique_id": "model.jaffle_shop.customers", "constraints": [{"type": "foreign_key", "columns": ["customer_id"], "to": "ref('stg_customers')", "to_columns": ["customer_id"]}]`), 1)
	dev = bytes.Replace(dev, []byte(`"dbt_version": "1.8.0a1"`), []byte(`"dbt_version": "1.12.0"`), 1)
	s := NewSession()
	a := decode(t, s.Open(OpenRequest{Manifest: dev, State: read(t, jaffle+"/prod/manifest.json")}, nil))
	if a.Error != nil {
		t.Fatal(a.Error)
	}
	var o openResult
	json.Unmarshal(a.OK, &o)
	var e protocol.ExplainAnswer
	json.Unmarshal(call(t, s, o.Handle, "explain", `{"model":"customers","defer":"standard","unknown":"present"}`).OK, &e)
	var fk *resolve.RefResult
	for i := range e.Refs {
		if e.Refs[i].Kind == "fk" {
			fk = &e.Refs[i]
		}
	}
	if fk == nil || fk.Ref != "fk:stg_customers" || fk.Env != "state" || fk.Rule != "fk-unselected" || fk.Relation != `"postgres"."prod"."stg_customers"` {
		t.Fatalf("fk = %+v (refs %+v)", fk, e.Refs)
	}
}

func TestErrorsAreData(t *testing.T) {
	s, h := openJaffle(t, Names{})
	for _, c := range []struct{ method, req, code, contains string }{
		{"resolve", `{"from":"customers","refs":["stg_custmers"]}`, "ref.not_found", "stg_custmers"},
		{"resolve", `{"from":"customers","refs":["x"],"defr":"standard"}`, "options.unknown_key", `"defr"`},
		{"resolve", `{"from":"customers","refs":["x"],"defer":"sometimes"}`, "options.defer", "sometimes"},
		{"resolve", `{"from":"customers","refs":"x"}`, "options.type", "refs"},
		{"resolve", `{"from":"customers"}`, "options.missing", "ref"},
		{"resolve", `{"from":"nobody","refs":["x"]}`, "node.not_found", "nobody"},
		{"explain", `{"model":"customers","unknown":"maybe"}`, "options.unknown", "maybe"},
		{"compile", `{"model":"nobody","defer":"standard"}`, "node.not_found", "nobody"},
		{"compile", `{"model":"customers","vars":[1]}`, "options.type", "vars"},
		{"compile", `{}`, "options.missing", "model"},
		{"compile", `{"model":"customers","varz":{}}`, "options.unknown_key", "varz"},
		{"stateinfo", `{}`, "api.unknown_method", "stateinfo"},
	} {
		a := call(t, s, h, c.method, c.req)
		if a.Error == nil || a.Error.Code != c.code || !strings.Contains(a.Error.Message, c.contains) {
			t.Errorf("%s(%s) = %+v %s, want code %s containing %q", c.method, c.req, a.Error, a.OK, c.code, c.contains)
		}
	}
	if a := call(t, s, h, "resolve", `{"from":"customers","refs":["stg_custmers"]}`); a.Error.Location.Suggestion != "stg_customers" {
		t.Errorf("no did-you-mean: %+v", a.Error)
	}
	if a := call(t, s, h, "stateinfo", `{}`); a.Error.Location.Suggestion != "stateInfo" {
		t.Errorf("no did-you-mean for methods: %+v", a.Error)
	}
}

func TestExplainSelectStateInfoDispose(t *testing.T) {
	s, h := openJaffle(t, Names{})
	a := call(t, s, h, "explain", `{"model":"customers","defer":"favor-state"}`)
	var e protocol.ExplainAnswer
	json.Unmarshal(a.OK, &e)
	if e.UniqueID != "model.jaffle_shop.customers" || len(e.Refs) < 3 {
		t.Fatalf("explain = %s %+v", a.OK, a.Error)
	}
	kinds := map[string]int{}
	for _, r := range e.Refs {
		kinds[r.Kind]++
		if r.Kind == "ref" && r.Env != "state" {
			t.Errorf("favor-state from customers: %s went to %s", r.Ref, r.Env)
		}
	}
	if kinds["this"] != 1 || kinds["ref"] < 2 {
		t.Errorf("explain kinds = %v", kinds)
	}

	a = call(t, s, h, "select", `{"select":["customers orders"],"exclude":["orders"]}`)
	var sel protocol.SelectAnswer
	json.Unmarshal(a.OK, &sel)
	if ids := strings.Join(sel.UniqueIDs, " "); !strings.Contains(ids, "model.jaffle_shop.customers") || strings.Contains(ids, "model.jaffle_shop.orders") {
		t.Errorf("select = %s %+v", a.OK, a.Error)
	}
	a = call(t, s, h, "stateInfo", ``)
	var si resolve.StateInfo
	json.Unmarshal(a.OK, &si)
	if si.InvocationID != "1aad5db6-fd1e-4598-999a-9ca458fdf6cf" || si.File != "prod/manifest.json" {
		t.Errorf("stateInfo = %s", a.OK)
	}
	if !s.Dispose(h) || s.Dispose(h) {
		t.Error("dispose should succeed once")
	}
	if a := call(t, s, h, "stateInfo", `{}`); a.Error == nil || a.Error.Code != "project.disposed" {
		t.Errorf("after dispose: %+v", a)
	}
}

func TestOpenErrors(t *testing.T) {
	s := NewSession()
	for _, c := range []struct {
		req  OpenRequest
		code string
	}{
		{OpenRequest{}, "options.missing"},
		{OpenRequest{Manifest: []byte(`{"metadata": {`), Names: Names{Manifest: "broken.json"}}, ""},
		{OpenRequest{Manifest: read(t, jaffle+"/dev/manifest.json"), State: []byte(`nonsense`)}, ""},
	} {
		a := decode(t, s.Open(c.req, nil))
		if a.Error == nil || c.code != "" && a.Error.Code != c.code || a.Error.Code == "" || a.Error.Message == "" {
			t.Errorf("open(%.20q) = %+v", c.req.Manifest, a.Error)
		}
	}
}

func TestPanicsBecomeErrors(t *testing.T) {
	s, h := openJaffle(t, Names{})
	probeMethods = map[string]func() []byte{"boom": func() []byte { panic("kaboom") }}
	defer func() { probeMethods = nil }()
	a := call(t, s, h, "boom", `{}`)
	if a.Error == nil || a.Error.Code != "internal.panic" || !strings.Contains(a.Error.Message, "kaboom") {
		t.Errorf("panic answer = %+v", a.Error)
	}
	if a := call(t, s, h, "stateInfo", `{}`); a.Error != nil {
		t.Errorf("session dead after a panic: %+v", a.Error)
	}
}

func TestProjectQuoting(t *testing.T) {
	yes, no := true, false
	for _, c := range []struct {
		yml   string
		db    *bool
		ident *bool
		warns int
	}{
		{"name: x\nquoting:\n  database: true\n  identifier: false # why\nmodels:\n  x: 1\n", &yes, &no, 0},
		{"quoting: {database: False, identifier: yes}\n", &no, &yes, 0},
		{"quoting:\n  identifier: \"{{ env_var('Q') }}\"\n", nil, nil, 1},
		{"name: x\nmodels:\n  quoting:\n    database: true\n", nil, nil, 0},
	} {
		q, w := projectQuoting("dbt_project.yml", []byte(c.yml))
		var db, ident *bool
		if q != nil {
			db, ident = q.Database, q.Identifier
		}
		if !eqBool(db, c.db) || !eqBool(ident, c.ident) || len(w) != c.warns {
			t.Errorf("%q: got %v %v %v", c.yml, db, ident, w)
		}
	}
}

func eqBool(a, b *bool) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

// TestDisposeFreesAtOnce: after Dispose returns, the project's bytes are no
// longer on the heap (no later collection needed), so the next open reuses
// the memory rather than growing the wasm memory.
func TestDisposeFreesAtOnce(t *testing.T) {
	dev := read(t, jaffle+"/dev/manifest.json")
	s := NewSession()
	live := func() int64 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return int64(m.HeapAlloc)
	}
	var o openResult
	json.Unmarshal(decode(t, s.Open(OpenRequest{Manifest: append([]byte(nil), dev...)}, nil)).OK, &o)
	runtime.GC()
	runtime.GC()
	open := live()
	if !s.Dispose(o.Handle) {
		t.Fatal("dispose")
	}
	if freed := open - live(); freed < int64(len(dev)) {
		t.Errorf("Dispose freed %d bytes at once, want at least the manifest's %d", freed, len(dev))
	}
}

// TestNavigateCalls: nodes, node and lineage through the bridge answer the
// engine's shapes (resolve's tests check their contents against the
// manifests), reject unknown keys and wrong types, and say what is wrong.
func TestNavigateCalls(t *testing.T) {
	s, h := openJaffle(t, Names{})
	var nodes resolve.NodesResult
	a := call(t, s, h, "nodes", `{"query":"cust","limit":2}`)
	if a.Error != nil || json.Unmarshal(a.OK, &nodes) != nil || nodes.Limit != 2 || len(nodes.Nodes) != 2 || nodes.Nodes[0].Name != "customers" || nodes.Nodes[0].State != "unchanged" {
		t.Fatalf("nodes: %+v %s", a.Error, a.OK)
	}
	var node resolve.NodeDetail
	a = call(t, s, h, "node", `{"node":"customers"}`)
	if a.Error != nil || json.Unmarshal(a.OK, &node) != nil || node.UniqueID != "model.jaffle_shop.customers" || node.RawCode == "" || len(node.Tests) == 0 {
		t.Fatalf("node: %+v %s", a.Error, a.OK)
	}
	var lin resolve.LineageResult
	a = call(t, s, h, "lineage", `{"node":"customers","down":false,"defer":"favor-state","select":[]}`)
	if a.Error != nil || json.Unmarshal(a.OK, &lin) != nil || len(lin.Nodes) < 2 {
		t.Fatalf("lineage: %+v %s", a.Error, a.OK)
	}
	for _, n := range lin.Nodes[1:] {
		if n.Depth != -1 || n.Env != deferral.State {
			t.Errorf("lineage up, favor-state, nothing selected: %+v", n)
		}
	}
	for _, c := range []struct{ method, req, code, contains string }{
		{"nodes", `{"qurey":"x"}`, "options.unknown_key", `"qurey"`},
		{"nodes", `{"limit":"10"}`, "options.type", "limit"},
		{"nodes", `{"limit":1.5}`, "options.type", "limit"},
		{"nodes", `{"resourceType":["modl"]}`, "options.invalid", "modl"},
		{"node", `{}`, "options.missing", "node"},
		{"node", `{"node":"custmers"}`, "node.not_found", "custmers"},
		{"lineage", `{"node":"customers","depth":-1}`, "options.invalid", "depth"},
		{"lineage", `{"node":"customers","up":"yes"}`, "options.type", "up"},
		{"lineage", `{"node":"customers","defer":"sometimes"}`, "options.defer", "sometimes"},
	} {
		a := call(t, s, h, c.method, c.req)
		if a.Error == nil || a.Error.Code != c.code || !strings.Contains(a.Error.Message, c.contains) {
			t.Errorf("%s(%s) = %+v %s, want code %s containing %q", c.method, c.req, a.Error, a.OK, c.code, c.contains)
		}
	}
}

// TestSwapState: refreshState's Go side swaps a newer state in under the
// same handle (dev is kept), says when nothing changed, and keeps the
// state on bad bytes or another project's state; the run URL and
// production's run results arrive through Names.
func TestSwapState(t *testing.T) {
	s, h := openJaffle(t, Names{RunURL: "https://ci.example/runs/{invocation_id}", StaleAfterMs: -1})
	info := func() resolve.StateInfo {
		var si resolve.StateInfo
		json.Unmarshal(call(t, s, h, "stateInfo", `{}`).OK, &si)
		return si
	}
	before := info()
	if before.Run == nil || before.Run.URL != "https://ci.example/runs/"+before.InvocationID || before.Age == nil || before.Stale {
		t.Fatalf("stateInfo = %+v", before)
	}
	ref := func() resolve.RefResult {
		var r protocol.ResolveAnswer
		json.Unmarshal(call(t, s, h, "resolve", `{"refs":["stg_orders"],"defer":"favor-state","select":[]}`).OK, &r)
		return r.Refs[0]
	}
	old := ref()
	swap := func(req SwapRequest) (swapResult, *protocol.Error) {
		a := decode(t, s.SwapState(h, req))
		var r swapResult
		json.Unmarshal(a.OK, &r)
		return r, a.Error
	}
	prod := read(t, jaffle+"/prod/manifest.json")
	if r, e := swap(SwapRequest{State: prod}); e != nil || r.Changed || r.StateInfo.InvocationID != before.InvocationID {
		t.Errorf("the same state again: %+v %+v", r, e)
	}
	devBytes := read(t, jaffle+"/dev/manifest.json")
	req := SwapRequest{State: devBytes}
	req.Names.State = "prod-next/manifest.json"
	r, e := swap(req)
	if e != nil || !r.Changed || r.StateInfo.File != "prod-next/manifest.json" || r.StateInfo.Run.URL == before.Run.URL {
		t.Fatalf("swap = %+v %+v", r, e)
	}
	if now := ref(); now.Relation == old.Relation || now.State.File != "prod-next/manifest.json" {
		t.Errorf("after the swap stg_orders is %s (before %s), state %s", now.Relation, old.Relation, now.State.File)
	}
	for _, bad := range []SwapRequest{{State: []byte(`{"nodes": [`)}, {State: read(t, "../../resolve/testdata/manifests/teradata-pibbers/manifest.json")}} {
		if _, e := swap(bad); e == nil {
			t.Error("a bad state was taken")
		}
		if info().File != "prod-next/manifest.json" {
			t.Error("a failed swap changed the state")
		}
	}
	if a := decode(t, s.SwapState(99, SwapRequest{State: prod})); a.Error == nil || a.Error.Code != "project.disposed" {
		t.Errorf("unknown handle: %+v", a)
	}
	// Production's run results, at open.
	td := "../../resolve/testdata/manifests/teradata-pibbers"
	s2 := NewSession()
	a := decode(t, s2.Open(OpenRequest{Manifest: read(t, td+"/manifest.json"), State: read(t, td+"/manifest.json"), StateRunResults: read(t, td+"/run_results.json"),
		Names: Names{StateRunResults: "prod/run_results.json"}}, nil))
	var or openResult
	if err := json.Unmarshal(a.OK, &or); err != nil || a.Error != nil {
		t.Fatalf("open: %v %+v", err, a.Error)
	}
	var ex protocol.ExplainAnswer
	json.Unmarshal(call(t, s2, or.Handle, "resolve", `{"refs":["lim_market_competitors"],"defer":"favor-state"}`).OK, &ex)
	if len(ex.Refs) != 1 || ex.Refs[0].StateRun == nil || ex.Refs[0].StateRun.Status != "error" || !hasDiag(ex.Diagnostics, "state.parent_not_success") {
		t.Errorf("resolve with run results: %+v", ex)
	}
	if or.Info.State.RunResults == nil || or.Info.State.RunResults.File != "prod/run_results.json" {
		t.Errorf("open info state = %+v", or.Info.State)
	}
}

func hasDiag(ds []diag.Diagnostic, code string) bool {
	for _, d := range ds {
		if d.Code == code {
			return true
		}
	}
	return false
}
