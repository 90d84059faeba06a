package resolve

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
	"github.com/dbtdefer/dbtdefer/resolve/internal/synth"
)

// jaffleFacts are what dbt wrote in the jaffle-shop pair, read with
// encoding/json: the expected values of these tests.
type jaffleFacts struct {
	Nodes map[string]struct {
		Name             string `json:"name"`
		RelationName     string `json:"relation_name"`
		OriginalFilePath string `json:"original_file_path"`
		RawCode          string `json:"raw_code"`
		CompiledCode     string `json:"compiled_code"`
	} `json:"nodes"`
}

func readJaffleFacts(t *testing.T, which string) jaffleFacts {
	t.Helper()
	b, err := os.ReadFile("testdata/manifests/defer-jaffle-shop-postgres/" + which + "/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var f jaffleFacts
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func openJafflePair(t *testing.T) *Project {
	t.Helper()
	dev, err := os.ReadFile("testdata/manifests/defer-jaffle-shop-postgres/dev/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	prod, err := os.ReadFile("testdata/manifests/defer-jaffle-shop-postgres/prod/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Open(Inputs{Manifest: dev, ManifestName: "dev.json", State: prod, StateName: "prod.json"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// u16 is the UTF-16 length of s: what a browser's String.length says.
func u16(s string) int { return len(utf16.Encode([]rune(s))) }

// TestAnalyzeRanges: every call's range is where its text is, in UTF-16
// offsets, lines and columns as an editor counts them, with multi-byte
// text, CRLF line ends and tabs before it; refs resolve as ResolveOne says
// and their definitions are the files dbt recorded.
func TestAnalyzeRanges(t *testing.T) {
	p := openJafflePair(t)
	dev := readJaffleFacts(t, "dev")
	prod := readJaffleFacts(t, "prod")
	sql := "-- données clients 😀\r\nselect *\r\n\tfrom {{ ref('stg_orders') }} o\r\n\tjoin {{ source('ecom', 'raw_customers') }} c\r\n-- {{ this }} 日本\r\nwhere x < {{ var('limit', 10) }}"
	res, err := p.Analyze(AnalyzeRequest{Model: "customers", SQL: sql, Options: Options{Defer: deferral.Standard}})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ kind, text string }{
		{"ref", "ref('stg_orders')"}, {"source", "source('ecom', 'raw_customers')"}, {"this", "this"}, {"var", "var('limit', 10)"},
	}
	if len(res.Calls) != len(want) {
		t.Fatalf("calls: %+v", res.Calls)
	}
	for i, w := range want {
		c := res.Calls[i]
		at := strings.Index(sql, w.text)
		before := sql[:at]
		line := strings.Count(before, "\n") + 1
		col := u16(before[strings.LastIndex(before, "\n")+1:]) + 1
		if c.Kind != w.kind || c.Range.Start.Byte != at || c.Range.End.Byte != at+len(w.text) || c.Range.Start.Offset != u16(before) ||
			c.Range.End.Offset != u16(before)+u16(w.text) || c.Range.Start.Line != line || c.Range.Start.Column != col {
			t.Errorf("%s: %+v, want byte %d offset %d line %d column %d", w.text, c.Range, at, u16(before), line, col)
		}
	}
	ref := res.Calls[0]
	if ref.Ref == nil || ref.Ref.Relation != prod.Nodes["model.jaffle_shop.stg_orders"].RelationName || ref.Ref.Env != deferral.State {
		t.Errorf("ref('stg_orders') under --defer: %+v, want prod's %s", ref.Ref, prod.Nodes["model.jaffle_shop.stg_orders"].RelationName)
	}
	if ref.Def == nil || ref.Def.Path != dev.Nodes["model.jaffle_shop.stg_orders"].OriginalFilePath || ref.Def.UniqueID != "model.jaffle_shop.stg_orders" {
		t.Errorf("definition: %+v", ref.Def)
	}
	if v := res.Calls[3].Var; v == nil || v.Name != "limit" || !v.HasDefault || v.Found {
		t.Errorf("var: %+v", v)
	}
	if res.Calls[2].Ref == nil || res.Calls[2].Ref.Relation != dev.Nodes["model.jaffle_shop.customers"].RelationName {
		t.Errorf("this: %+v", res.Calls[2].Ref)
	}
	if len(res.Diagnostics) != 0 {
		t.Errorf("diagnostics: %+v", res.Diagnostics)
	}
}

// TestAnalyzeDiagnostics: what is wrong is said at its place, and a buffer
// that does not parse is still analyzed up to where it breaks.
func TestAnalyzeDiagnostics(t *testing.T) {
	p := openJafflePair(t)
	type want struct {
		code, sev, at, contains, suggestion string
	}
	for _, c := range []struct {
		sql       string
		vars      map[string]any
		varsKnown bool
		want      []want
		calls     int
	}{
		{"select * from {{ ref('stg_orderz') }}", nil, false, []want{{"ref.not_found", "error", "'stg_orderz'", "stg_orderz", "stg_orders"}}, 1},
		{"select * from {{ source('ecom', 'raw_orderz') }}", nil, false, []want{{"source.not_found", "error", "'ecom', 'raw_orderz'", "ecom.raw_orderz", "ecom.raw_orders"}}, 1},
		{"{{ ref() }} {{ source('ecom') }} {{ ref('a', 'b', 'c') }}", nil, false, []want{
			{"ref.arguments", "error", "ref()", "needs a model name", ""}, {"source.arguments", "error", "'ecom'", "takes 2 arguments", ""}, {"ref.arguments", "error", "'a', 'b', 'c'", "got 3", ""}}, 3},
		{"{{ ref(model_name) }}", nil, false, []want{{"ref.arguments", "info", "model_name", "computed", ""}}, 1},
		{"{{ var('missing') }} {{ var('present') }}", map[string]any{"present": 1}, true, []want{{"compile.var", "error", "'missing'", "Required var 'missing' not found in config", ""}}, 2},
		{"{{ var('missing') }}", nil, false, []want{{"var.unknown", "info", "'missing'", "not known here", ""}}, 1},
		{"{% set cols = adapter.get_columns_in_relation(ref('orders')) %}", nil, false, []want{{"compile.warehouse", "info", "adapter.get_columns_in_relation", "needs the warehouse", ""}}, 2},
		// A buffer being typed: the ref before the break is still resolved.
		{"select * from {{ ref('orders') }} join {{ ref('stg_ord", nil, false, []want{{"jinja.unclosed", "error", "{{ ref('stg_ord", "never closed", ""}, {"jinja.syntax", "error", "'stg_ord", "unexpected char", ""}}, 2},
		{"{% if true %}\nselect 1", nil, false, []want{{"jinja.syntax", "error", "", "endif", ""}}, 0},
		// dbt records only the refs that render: inside {% if %} a missing one is a warning.
		{"{% if var('x', false) %}{{ ref('gone') }}{% endif %}", nil, false, []want{{"ref.not_found", "warning", "'gone'", "inside a conditional block", ""}}, 2},
	} {
		res, err := p.Analyze(AnalyzeRequest{Model: "customers", SQL: c.sql, Vars: c.vars, VarsKnown: c.varsKnown, Options: Options{Defer: deferral.Standard}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Calls) != c.calls {
			t.Errorf("%q: %d calls %+v", c.sql, len(res.Calls), res.Calls)
		}
		if len(res.Diagnostics) != len(c.want) {
			t.Errorf("%q: diagnostics %+v, want %d", c.sql, res.Diagnostics, len(c.want))
			continue
		}
		for i, w := range c.want {
			d := res.Diagnostics[i]
			if d.Code != w.code || string(d.Severity) != w.sev || !strings.Contains(d.Message, w.contains) || d.Suggestion != w.suggestion {
				t.Errorf("%q: diagnostic %d = %+v, want %+v", c.sql, i, d, w)
			}
			if w.at != "" && !strings.HasPrefix(c.sql[d.Range.Start.Byte:], w.at) {
				t.Errorf("%q: %s is at %q, want %q", c.sql, d.Code, c.sql[d.Range.Start.Byte:min(len(c.sql), d.Range.Start.Byte+20)], w.at)
			}
		}
	}
	// The unclosed buffer's first ref resolved all the same.
	res, _ := p.Analyze(AnalyzeRequest{SQL: "select * from {{ ref('orders') }} join {{ ref('stg_ord", Options: Options{Defer: deferral.Standard}})
	if res.Calls[0].Ref == nil || res.Calls[0].Ref.UniqueID != "model.jaffle_shop.orders" {
		t.Errorf("the first ref of a broken buffer: %+v", res.Calls[0])
	}
}

// TestAnalyzeSyntaxErrorAt: a Jinja syntax error is located where Jinja2
// says it is (line numbers as jinja2.TemplateSyntaxError gives them for
// these templates), past CRLFs.
func TestAnalyzeSyntaxErrorAt(t *testing.T) {
	p := openJafflePair(t)
	for _, c := range []struct {
		sql  string
		line int
	}{
		{"select 1\r\nfrom {{ ref('a' }}", 2},
		{"a\nb\nc {% for x in %}", 3},
		{"{{ 1 +\n\n }}", 3},
	} {
		res, err := p.Analyze(AnalyzeRequest{SQL: c.sql})
		if err != nil {
			t.Fatal(err)
		}
		var syn *Diagnostic
		for i := range res.Diagnostics {
			if res.Diagnostics[i].Code == "jinja.syntax" {
				syn = &res.Diagnostics[i]
			}
		}
		if syn == nil || syn.Range.Start.Line != c.line {
			t.Errorf("%q: syntax error %+v, want line %d", c.sql, syn, c.line)
		}
	}
}

// TestComplete: inside ref( the models, best match first, each saying
// where it would resolve now; inside source( the sources then their
// tables; var names; config keys; macros at a Jinja name.
func TestComplete(t *testing.T) {
	p := openJafflePair(t)
	prod := readJaffleFacts(t, "prod")
	complete := func(sql string, mark string, vars map[string]any) *CompleteResult {
		t.Helper()
		at := strings.Index(sql, mark)
		buf := strings.Replace(sql, mark, "", 1)
		res, err := p.Complete(CompleteRequest{AnalyzeRequest: AnalyzeRequest{Model: "customers", SQL: buf, ProjectVars: vars, Options: Options{Defer: deferral.Standard}}, Offset: u16(buf[:at])})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := complete("select * from {{ ref('stg_ord|') }}", "|", nil)
	if res.Context != "ref" || len(res.Items) == 0 || res.Items[0].Label != "stg_orders" || res.Items[0].InsertText != "stg_orders" {
		t.Fatalf("ref('stg_ord: %+v", res)
	}
	if want := prod.Nodes["model.jaffle_shop.stg_orders"].RelationName; !strings.Contains(res.Items[0].Detail, "prod "+want) {
		t.Errorf("detail %q does not say it reads prod's %s", res.Items[0].Detail, want)
	}
	if got := "select * from {{ ref('" + res.Items[0].InsertText; res.From.Offset != u16("select * from {{ ref('") || res.To.Offset != u16("select * from {{ ref('stg_ord") {
		t.Errorf("replaces %d..%d, want the typed word (%s)", res.From.Offset, res.To.Offset, got)
	}
	// Half-typed, unclosed: still completes.
	if res := complete("select * from {{ ref('cust|", "|", nil); res.Context != "ref" || len(res.Items) == 0 || res.Items[0].Label != "customers" {
		t.Errorf("unclosed ref('cust: %+v", res)
	}
	if res := complete("{{ source('ec|') }}", "|", nil); res.Context != "source" || len(res.Items) != 1 || res.Items[0].Label != "ecom" {
		t.Errorf("source('ec: %+v", res)
	}
	res = complete("{{ source('ecom', 'raw_o|') }}", "|", nil)
	if res.Context != "source-table" || len(res.Items) == 0 || res.Items[0].Label != "raw_orders" {
		t.Errorf("source('ecom', 'raw_o: %+v", res)
	}
	if res := complete("{{ var('trunc|') }}", "|", map[string]any{"truncate_timespan_to": "x"}); res.Context != "var" || len(res.Items) != 1 || res.Items[0].Label != "truncate_timespan_to" {
		t.Errorf("var('trunc: %+v", res)
	}
	if res := complete("{{ config(materi|) }}", "|", nil); res.Context != "config" || len(res.Items) == 0 || res.Items[0].InsertText != "materialized=" {
		t.Errorf("config(materi: %+v", res)
	}
	if res := complete("{{ config(materialized='inc|') }}", "|", nil); res.Context != "config-materialized" || len(res.Items) != 1 || res.Items[0].Label != "incremental" {
		t.Errorf("materialized='inc: %+v", res)
	}
	res = complete("select {{ cents_to|(amount) }}", "|", nil)
	if res.Context != "jinja" || len(res.Items) == 0 || res.Items[0].Label != "cents_to_dollars" || res.Items[0].Kind != "macro" {
		t.Errorf("cents_to: %+v", res)
	}
	if res := complete("select 1 -- not jinja |", "|", nil); res.Context != "none" || len(res.Items) != 0 {
		t.Errorf("outside Jinja: %+v", res)
	}
	if _, err := p.Complete(CompleteRequest{AnalyzeRequest: AnalyzeRequest{SQL: "x"}, Limit: MaxCompleteLimit + 1}); err == nil {
		t.Error("a limit over the bound is accepted")
	} else if de, ok := err.(*diag.Error); !ok || de.Code != "options.limit" {
		t.Errorf("limit: %v", err)
	}
}

// TestAnalyzeCorpus walks every model dbt compiled (a compiled_code in the
// manifest) of every corpus manifest: analyzing its own raw code must give
// no diagnostic of error level, since dbt compiled it; and every ref()
// with literal arguments must resolve to a node the model depends on.
func TestAnalyzeCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("the corpus walk")
	}
	models, errs := 0, 0
	for _, path := range corpus.Manifests() {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Open(Inputs{Manifest: data, ManifestName: path})
		if err != nil {
			continue // manifests the engine refuses are other tests' business
		}
		var m struct {
			Nodes map[string]struct {
				ResourceType string                   `json:"resource_type"`
				Language     string                   `json:"language"`
				RawCode      *string                  `json:"raw_code"`
				RawSQL       *string                  `json:"raw_sql"`
				CompiledCode *string                  `json:"compiled_code"`
				CompiledSQL  *string                  `json:"compiled_sql"`
				DependsOn    struct{ Nodes []string } `json:"depends_on"`
			} `json:"nodes"`
		}
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		for uid, n := range m.Nodes {
			raw, compiled := n.RawCode, n.CompiledCode
			if raw == nil {
				raw = n.RawSQL
			}
			if compiled == nil {
				compiled = n.CompiledSQL
			}
			if n.ResourceType != "model" || raw == nil || compiled == nil || *compiled == "" || n.Language == "python" {
				continue
			}
			models++
			res, err := p.Analyze(AnalyzeRequest{Model: uid, SQL: *raw})
			if err != nil {
				t.Errorf("%s %s: %v", path, uid, err)
				continue
			}
			deps := map[string]bool{}
			for _, d := range n.DependsOn.Nodes {
				deps[d] = true
			}
			for _, d := range res.Diagnostics {
				if d.Severity == diag.SeverityError {
					if errs++; errs <= 20 {
						t.Errorf("%s %s: %s at %d:%d: %s", path, uid, d.Code, d.Range.Start.Line, d.Range.Start.Column, d.Message)
					}
				}
			}
			for _, c := range res.Calls {
				if c.Kind == "ref" && c.Ref != nil && !c.Conditional && !deps[c.Ref.UniqueID] && len(deps) > 0 {
					if errs++; errs <= 20 {
						t.Errorf("%s %s: %s resolved to %s, which the model does not depend on in dbt's manifest", path, uid, c.Name, c.Ref.UniqueID)
					}
				}
			}
		}
	}
	t.Logf("%d compiled models analyzed, %d problems", models, errs)
	if models == 0 {
		t.Fatal("no compiled model in the corpus")
	}
}

// TestAnalyzeDeprecation: a ref to a model with a deprecation date warns
// in dbt's words (DeprecatedReference, UpcomingReferenceDeprecation), with
// the newer version to migrate to.
func TestAnalyzeDeprecation(t *testing.T) {
	m := jaffleDevJSON(t)
	n := m["nodes"].(map[string]any)["model.jaffle_shop.stg_orders"].(map[string]any)
	n["deprecation_date"] = "2024-06-30T00:00:00+00:00"
	n["version"], n["latest_version"] = 1.0, 2.0
	data, _ := json.Marshal(m)
	p, err := Open(Inputs{Manifest: data})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		now  time.Time
		want string
	}{
		{time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), "While compiling 'customers': Found a reference to stg_orders.v1, which was deprecated on '2024-06-30T00:00:00+00:00'. A new version of 'stg_orders' is available. Migrate now: {{ ref('jaffle_shop', 'stg_orders', v='2') }}."},
		{time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), "While compiling 'customers': Found a reference to stg_orders.v1, which is slated for deprecation on '2024-06-30T00:00:00+00:00'. A new version of 'stg_orders' is available. Try it out: {{ ref('jaffle_shop', 'stg_orders', v='2') }}."},
	} {
		res, err := p.Analyze(AnalyzeRequest{Model: "customers", SQL: "select * from {{ ref('stg_orders') }}", Now: c.now})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range res.Diagnostics {
			if d.Code == "ref.deprecated" && d.Severity == diag.SeverityWarning {
				got = append(got, d.Message)
			}
		}
		if len(got) != 1 || got[0] != c.want {
			t.Errorf("%v: %q, want %q", c.now, got, c.want)
		}
	}
}

// TestAnalyzeAccess: a private model referenced from outside its group is
// dbt's error; a protected model of another package is Fusion's error
// (dbt-core allows it unless restrict-access is set, which the manifest
// does not record).
func TestAnalyzeAccess(t *testing.T) {
	m := jaffleDevJSON(t)
	nodes := m["nodes"].(map[string]any)
	stg := nodes["model.jaffle_shop.stg_orders"].(map[string]any)
	stg["access"], stg["group"] = "private", "finance"
	// A second package's protected model.
	other := map[string]any{}
	for k, v := range nodes["model.jaffle_shop.stg_customers"].(map[string]any) {
		other[k] = v
	}
	other["unique_id"], other["package_name"], other["name"], other["access"] = "model.other_pkg.shared", "other_pkg", "shared", "protected"
	nodes["model.other_pkg.shared"] = other
	data, _ := json.Marshal(m)
	p, err := Open(Inputs{Manifest: data})
	if err != nil {
		t.Fatal(err)
	}
	codes := func(profile deferral.Profile, sql string) []string {
		res, err := p.Analyze(AnalyzeRequest{Model: "customers", SQL: sql, Options: Options{Profile: profile}})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range res.Diagnostics {
			out = append(out, d.Code+":"+string(d.Severity)+":"+d.Message)
		}
		return out
	}
	got := codes(deferral.Modern, "{{ ref('stg_orders') }}")
	if len(got) != 1 || got[0] != "ref.private:error:Node model.jaffle_shop.customers attempted to reference node model.jaffle_shop.stg_orders, which is not allowed because the referenced node is private to the 'finance' group." {
		t.Errorf("private: %q", got)
	}
	if got := codes(deferral.Modern, "{{ ref('other_pkg', 'shared') }}"); len(got) != 0 {
		t.Errorf("protected under dbt-core: %q", got)
	}
	got = codes(deferral.Fusion, "{{ ref('other_pkg', 'shared') }}")
	if len(got) != 1 || got[0] != "ref.protected:error:Node 'model.jaffle_shop.customers' attempted to reference node 'model.other_pkg.shared', which is not allowed because the referenced node is protected to the 'other_pkg' package" {
		t.Errorf("protected under Fusion: %q", got)
	}
}

// TestCompletePrefixRanges: ranking only the names that start with the
// query gives exactly what scoring every name gives, on a project of
// thousands of models (the synthetic 10 MB pair).
func TestCompletePrefixRanges(t *testing.T) {
	if testing.Short() {
		t.Skip("a synthetic project")
	}
	dev, prod, err := synth.Pair(10)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Open(Inputs{Manifest: dev, State: prod})
	if err != nil {
		t.Fatal(err)
	}
	ask := func(q string, limit int) []CompletionItem {
		sql := "select * from {{ ref('" + q
		res, err := p.Complete(CompleteRequest{AnalyzeRequest: AnalyzeRequest{SQL: sql, Options: Options{Defer: deferral.FavorState}}, Offset: len(sql), Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		return res.Items
	}
	n := 0
	for _, q := range []string{"s", "S", "st", "stg_", "stg_o", "stg_orders_00", "Customers_01", "c", "x", "cust", "stg_orders_0001", "o", "customers_0000v"} {
		for _, limit := range []int{1, 50, 400} {
			prefixRanges = true
			fast := ask(q, limit)
			prefixRanges = false
			slow := ask(q, limit)
			prefixRanges = true
			if len(fast) != len(slow) {
				t.Fatalf("%q limit %d: %d items, %d when every name is scored", q, limit, len(fast), len(slow))
			}
			for i := range fast {
				if fast[i].Label != slow[i].Label || fast[i].score != slow[i].score || fast[i].Detail != slow[i].Detail {
					t.Fatalf("%q limit %d: item %d is %+v, %+v when every name is scored", q, limit, i, fast[i], slow[i])
				}
			}
			n += len(fast)
		}
	}
	if n == 0 {
		t.Fatal("no items")
	}
}

// jaffleDevJSON is the jaffle-shop dev manifest as a JSON tree, for a test
// to change before it opens it.
func jaffleDevJSON(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("testdata/manifests/defer-jaffle-shop-postgres/dev/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestAnalyzeMacros: a call is a macro where dbt would find one: the root
// project's by its bare name, dbt's internal ones by theirs, a package's
// through its namespace; a package macro is not callable by its bare name,
// and a name the buffer binds is not a macro.
func TestAnalyzeMacros(t *testing.T) {
	p := openJafflePair(t)
	res, err := p.Analyze(AnalyzeRequest{Model: "customers", SQL: "{{ cents_to_dollars('x') }} {{ is_incremental() }} {{ dbt_utils.get_url_host('u') }} {{ get_url_host('u') }} {% set f = 1 %}{{ f() }}"})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ name, kind, uid, path string }{
		{"cents_to_dollars", "macro", "macro.jaffle_shop.cents_to_dollars", "macros/cents_to_dollars.sql"},
		{"is_incremental", "macro", "macro.dbt.is_incremental", "macros/materializations/models/incremental/is_incremental.sql"},
		{"dbt_utils.get_url_host", "macro", "macro.dbt_utils.get_url_host", ""},
		{"get_url_host", "call", "", ""},
		{"f", "call", "", ""},
	}
	if len(res.Calls) != len(want) {
		t.Fatalf("calls: %+v", res.Calls)
	}
	for i, w := range want {
		c := res.Calls[i]
		uid, path := "", ""
		if c.Def != nil {
			uid, path = c.Def.UniqueID, c.Def.Path
		}
		if c.Name != w.name || c.Kind != w.kind || uid != w.uid || w.path != "" && path != w.path {
			t.Errorf("call %d: %s %s %s %s, want %+v", i, c.Name, c.Kind, uid, path, w)
		}
	}
}
