package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dbtdefer/dbtdefer/resolve"
	"github.com/dbtdefer/dbtdefer/resolve/protocol"
)

const demo = "../../resolve/testdata/manifests/defer-jaffle-shop-postgres"

func readDemo(t testing.TB, which string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(demo, which, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newTestServer returns a Worker API over a memory store with the demo pair
// published as "dev" and "prod".
func newTestServer(t *testing.T, allow ...string) (*httptest.Server, *memStore) {
	t.Helper()
	st := newMemStore()
	ts := httptest.NewServer(NewServer(Config{Store: st, Token: "s3cret", AllowURLs: allow, DefaultState: "prod", MaxBodyBytes: 4096}))
	t.Cleanup(ts.Close)
	for name, kind := range map[string]string{"dev": "dev", "prod": "state"} {
		which := name
		res, body := do(t, "PUT", ts.URL+"/v1/manifests/"+name+"?kind="+kind, readDemo(t, which), "Bearer s3cret")
		if res.StatusCode != 201 {
			t.Fatalf("publish %s: %d %s", name, res.StatusCode, body)
		}
	}
	return ts, st
}

func do(t *testing.T, method, url string, body []byte, auth string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func wantError(t *testing.T, res *http.Response, body []byte, status int, code string) protocol.Error {
	t.Helper()
	var e protocol.Error
	if err := json.Unmarshal(body, &e); err != nil || res.StatusCode != status || e.Code != code {
		t.Fatalf("want %d %s, got %d %s", status, code, res.StatusCode, body)
	}
	return e
}

func TestResolveMatchesEngineOnFullManifests(t *testing.T) {
	ts, _ := newTestServer(t)
	p, err := resolve.Open(resolve.Inputs{Manifest: readDemo(t, "dev"), ManifestName: "dev.json", State: readDemo(t, "prod"), StateName: "prod.json"})
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"off", "standard", "favor-state"} {
		for _, tc := range [][]string{{"customers", "stg_customers"}, {"orders", "stg_orders"}, {"customers", "this"}} {
			res, body := do(t, "GET", ts.URL+"/v1/resolve?from="+tc[0]+"&ref="+tc[1]+"&defer="+mode, nil, "")
			if res.StatusCode != 200 {
				t.Fatalf("%s %v: %d %s", mode, tc, res.StatusCode, body)
			}
			var got protocol.ResolveAnswer
			json.Unmarshal(body, &got)
			spec, _ := resolve.ParseRef(tc[1])
			opt, _ := resolve.CallOptions{Defer: mode}.Options()
			want, _, err := p.Resolve(tc[0], []resolve.RefSpec{spec}, opt)
			if err != nil {
				t.Fatal(err)
			}
			wb, _ := json.Marshal(want)
			gb, _ := json.Marshal(got.Refs)
			// File names differ (the Worker names manifests by published name); compare the rest.
			if !bytes.Equal(wb, gb) {
				t.Errorf("%s %v:\n got %s\nwant %s", mode, tc, gb, wb)
			}
		}
	}
}

func TestState(t *testing.T) {
	ts, _ := newTestServer(t)
	res, body := do(t, "GET", ts.URL+"/v1/state", nil, "")
	var info resolve.StateInfo
	if res.StatusCode != 200 || json.Unmarshal(body, &info) != nil || info.InvocationID == "" || info.ProjectName != "jaffle_shop" {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	res, body = do(t, "GET", ts.URL+"/v1/state?state=none", nil, "")
	wantError(t, res, body, 404, "state.none")
}

func TestErrors(t *testing.T) {
	ts, _ := newTestServer(t)
	res, body := do(t, "POST", ts.URL+"/v1/compile", []byte(`{"model": "customers",`), "")
	if e := wantError(t, res, body, 400, "options.invalid"); e.Location.Offset != 22 || e.Location.Column != 23 {
		t.Errorf("bad JSON located at %+v", e.Location)
	}
	res, body = do(t, "POST", ts.URL+"/v1/compile", []byte(`{"modle": "customers"}`), "")
	if e := wantError(t, res, body, 400, "options.unknown_key"); e.Location.Suggestion != "model" || e.Location.Offset != 1 {
		t.Errorf("unknown key: %+v", e.Location)
	}
	res, body = do(t, "POST", ts.URL+"/v1/compile", []byte(`{"model": "customerz"}`), "")
	if e := wantError(t, res, body, 404, "node.not_found"); e.Location.Suggestion != "customers" {
		t.Errorf("suggestion: %s", body)
	}
	res, body = do(t, "GET", ts.URL+"/v1/resolve?from=customers&ref=stg_customerz", nil, "")
	if e := wantError(t, res, body, 404, "ref.not_found"); e.Location.Suggestion != "stg_customers" {
		t.Errorf("suggestion: %s", body)
	}
	res, body = do(t, "POST", ts.URL+"/v1/compile", bytes.Repeat([]byte(" "), 5000), "")
	wantError(t, res, body, 413, "request.too_large")
	// Every call takes GET (its request as URL parameters) and POST.
	res, body = do(t, "GET", ts.URL+"/v1/compile", nil, "")
	wantError(t, res, body, 400, "options.missing")
	res, body = do(t, "GET", ts.URL+"/v1/compile?model=customers&vars=x", nil, "")
	wantError(t, res, body, 400, "request.needs_body")
	res, body = do(t, "DELETE", ts.URL+"/v1/compile", nil, "")
	wantError(t, res, body, 405, "request.method")
	res, body = do(t, "GET", ts.URL+"/v1/resolve?ref=x&defer=favour-state", nil, "")
	if res.StatusCode != 400 {
		t.Errorf("bad defer mode: %d %s", res.StatusCode, body)
	}
	res, body = do(t, "GET", ts.URL+"/v1/resolve?ref=x&manifest=nope", nil, "")
	wantError(t, res, body, 404, "manifest.unpublished")
}

func TestPublishAuth(t *testing.T) {
	ts, _ := newTestServer(t)
	dev := readDemo(t, "dev")
	res, body := do(t, "PUT", ts.URL+"/v1/manifests/x", dev, "")
	wantError(t, res, body, 401, "auth.missing")
	res, body = do(t, "PUT", ts.URL+"/v1/manifests/x", dev, "Bearer wrong")
	wantError(t, res, body, 403, "auth.invalid")
	if bytes.Contains(body, []byte("s3cret")) || bytes.Contains(body, []byte("wrong")) {
		t.Errorf("the response echoes a token: %s", body)
	}
	res, body = do(t, "PUT", ts.URL+"/v1/manifests/x", []byte(`{"nodes": 1`), "Bearer s3cret")
	if res.StatusCode != 422 && res.StatusCode != 400 {
		t.Errorf("bad manifest: %d %s", res.StatusCode, body)
	}
}

func TestURLSourcesConditionalAndAllowList(t *testing.T) {
	prod := readDemo(t, "prod")
	var hits, notModified atomic.Int32
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("If-None-Match") == `"v1"` {
			notModified.Add(1)
			w.WriteHeader(304)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Write(prod)
	}))
	defer origin.Close()
	ts, _ := newTestServer(t, origin.URL+"/ci/")
	u := ts.URL + "/v1/state?state=" + origin.URL + "/ci/prod/manifest.json"
	res, body := do(t, "GET", u, nil, "")
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("X-Dbtdefer-Sources"), "loaded") {
		t.Fatalf("%d %s %s", res.StatusCode, res.Header.Get("X-Dbtdefer-Sources"), body)
	}
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Cache-Control", "no-cache")
	res2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	if hits.Load() != 2 || notModified.Load() != 1 || !strings.Contains(res2.Header.Get("X-Dbtdefer-Sources"), "revalidated") {
		t.Fatalf("hits %d, 304s %d, %s", hits.Load(), notModified.Load(), res2.Header.Get("X-Dbtdefer-Sources"))
	}
	res, body = do(t, "GET", ts.URL+"/v1/state?state="+origin.URL+"/elsewhere/manifest.json", nil, "")
	wantError(t, res, body, 403, "fetch.not_allowed")
	if hits.Load() != 2 {
		t.Errorf("an off-list URL was fetched")
	}
}

// TestCompactKeepsAnswers resolves every ref of every model of the corpus
// pairs from the full and the compact forms, under every defer mode.
func TestCompactKeepsAnswers(t *testing.T) {
	for _, pair := range []string{"defer-jaffle-shop-postgres", "defer-mrkidbk-duckdb"} {
		dir := filepath.Join("../../resolve/testdata/manifests", pair)
		dev, err1 := os.ReadFile(filepath.Join(dir, "dev", "manifest.json"))
		prod, err2 := os.ReadFile(filepath.Join(dir, "prod", "manifest.json"))
		if err1 != nil || err2 != nil {
			t.Skip(pair, err1, err2)
		}
		cdev, err := Compact(dev, KindDev)
		if err != nil {
			t.Fatal(err)
		}
		cprod, err := Compact(prod, KindState)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: dev %d -> %d bytes, prod %d -> %d bytes", pair, len(dev), len(cdev), len(prod), len(cprod))
		full, err := resolve.Open(resolve.Inputs{Manifest: dev, State: prod})
		if err != nil {
			t.Fatal(err)
		}
		small, err := resolve.Open(resolve.Inputs{Manifest: cdev, State: cprod})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(full.StateInfo(), small.StateInfo()) {
			t.Errorf("state info differs")
		}
		n := 0
		for _, uid := range full.Dev.Keys("nodes") {
			node, _ := full.Dev.Node(uid)
			if node.ResourceType != "model" {
				continue
			}
			var specs []resolve.RefSpec
			for _, r := range node.Refs {
				specs = append(specs, resolve.RefSpec{Kind: "ref", Name: r.Name, Package: r.Package, Version: r.Version})
			}
			for _, s := range node.SourceRefs {
				specs = append(specs, resolve.RefSpec{Kind: "source", Source: s[0], Name: s[1]})
			}
			specs = append(specs, resolve.RefSpec{Kind: "this"})
			for _, mode := range []string{"off", "standard", "favor-state"} {
				opt, _ := resolve.CallOptions{Defer: mode}.Options()
				for _, s := range specs {
					a, _, errA := full.Resolve(uid, []resolve.RefSpec{s}, opt)
					b, _, errB := small.Resolve(uid, []resolve.RefSpec{s}, opt)
					ja, _ := json.Marshal(a)
					jb, _ := json.Marshal(b)
					if (errA == nil) != (errB == nil) || !bytes.Equal(ja, jb) {
						t.Errorf("%s %s %s: full %s %v, compact %s %v", uid, mode, s, ja, errA, jb, errB)
					}
					n++
				}
			}
		}
		t.Logf("%s: %d resolutions equal", pair, n)
	}
}

// TestCompactCarriesProjectFiles: a dev form made with the project's
// dbt_project.yml and a package's carries them, and the Worker's compile
// applies the project's vars and quoting (under the request's --vars), as
// the CLI does with the same files.
func TestCompactCarriesProjectFiles(t *testing.T) {
	ts, _ := newTestServer(t)
	files := &ProjectTexts{
		ProjectYml: "name: jaffle_shop\nvars:\n  region: eu\n  limit: 5\nquoting:\n  identifier: false\n",
		Packages:   map[string]string{"dbt_utils": "name: dbt_utils\nvars:\n  surrogate_key_treat_nulls_as_empty_strings: false\n", "broken": "vars: [\n"},
	}
	cdev, err := CompactProject(readDemo(t, "dev"), KindDev, files)
	if err != nil {
		t.Fatal(err)
	}
	ci, err := ReadCompactInfo(cdev)
	if err != nil || ci == nil || ci.Project == nil || ci.Project.ProjectYml != files.ProjectYml || len(ci.Project.Packages) != 2 {
		t.Fatalf("compact info: %+v, %v", ci, err)
	}
	if res, body := do(t, "PUT", ts.URL+"/v1/manifests/devp?kind=dev", cdev, "Bearer s3cret"); res.StatusCode != 201 {
		t.Fatalf("publish: %d %s", res.StatusCode, body)
	}
	compileSQL := func(sql string, vars string) string {
		t.Helper()
		body := `{"manifest": "devp", "model": "customers", "sql": ` + strconvQuote(sql) + `, "defer": "off"` + vars + `}`
		res, out := do(t, "POST", ts.URL+"/v1/compile", []byte(body), "")
		if res.StatusCode != 200 {
			t.Fatalf("compile: %d %s", res.StatusCode, out)
		}
		var r struct{ SQL string }
		json.Unmarshal(out, &r)
		return r.SQL
	}
	if got := compileSQL("{{ var('region') }} {{ var('limit') }}", ""); got != "eu 5" {
		t.Errorf("project vars: got %q", got)
	}
	if got := compileSQL("{{ var('region') }}", `, "vars": {"region": "us"}`); got != "us" {
		t.Errorf("--vars over project vars: got %q", got)
	}
	// quoting: identifier false, as in the project file
	if got := compileSQL("{{ ref('stg_customers') }}", ""); got != `"postgres"."dbt_dconnors".stg_customers` {
		t.Errorf("project quoting: got %q", got)
	}
	// the demo's own published form has no project files: no vars
	res, out := do(t, "POST", ts.URL+"/v1/compile", []byte(`{"model": "customers", "sql": "{{ var('region') }}"}`), "")
	if res.StatusCode == 200 || !strings.Contains(string(out), "Required var 'region'") {
		t.Errorf("without project files: %d %s", res.StatusCode, out)
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// demoJSON is the demo dev manifest as encoding/json reads it: the oracle
// of the navigation tests (what dbt wrote, not what the index says).
type demoJSON struct {
	Nodes map[string]struct {
		Name         string `json:"name"`
		ResourceType string `json:"resource_type"`
		PackageName  string `json:"package_name"`
		OriginalPath string `json:"original_file_path"`
		RawCode      string `json:"raw_code"`
		Config       struct {
			Materialized string `json:"materialized"`
		} `json:"config"`
		DependsOn struct {
			Nodes []string `json:"nodes"`
		} `json:"depends_on"`
	} `json:"nodes"`
	ParentMap map[string][]string `json:"parent_map"`
	ChildMap  map[string][]string `json:"child_map"`
}

func readDemoJSON(t *testing.T) demoJSON {
	t.Helper()
	var m demoJSON
	if err := json.Unmarshal(readDemo(t, "dev"), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// openDemo opens the full (not compact) demo pair with the engine.
func openDemo(t *testing.T) *resolve.Project {
	t.Helper()
	p, err := resolve.Open(resolve.Inputs{Manifest: readDemo(t, "dev"), ManifestName: "dev.json", State: readDemo(t, "prod"), StateName: "prod.json"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	res, body := do(t, "GET", url, nil, "")
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, body)
	}
}

// withoutFiles is v's JSON with every "file" key dropped (the Worker names
// manifests by their published names).
func withoutFiles(t *testing.T, v any) any {
	t.Helper()
	b, _ := json.Marshal(v)
	var x any
	json.Unmarshal(b, &x)
	var strip func(any)
	strip = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			delete(x, "file")
			for _, v := range x {
				strip(v)
			}
		case []any:
			for _, v := range x {
				strip(v)
			}
		}
	}
	strip(x)
	return x
}

// TestNodes: GET /v1/nodes lists the demo's 13 models and 6 seeds as the
// manifest names, types and paths them, with their state against prod;
// filters and pages agree with the manifest and with the engine's answer
// over the full (not compact) pair.
func TestNodes(t *testing.T) {
	ts, _ := newTestServer(t)
	jm := readDemoJSON(t)
	var all resolve.NodesResult
	getJSON(t, ts.URL+"/v1/nodes?limit=1000", &all)
	count := map[string]int{}
	for _, n := range jm.Nodes {
		count[n.ResourceType]++
	}
	if count["model"] != 13 || count["seed"] != 6 || all.Total != 19 || len(all.Nodes) != 19 || all.Limit != 1000 {
		t.Fatalf("manifest %v; listed total %d, %d rows, limit %d", count, all.Total, len(all.Nodes), all.Limit)
	}
	for _, s := range all.Nodes {
		n, ok := jm.Nodes[s.UniqueID]
		if !ok || s.Name != n.Name || s.ResourceType != n.ResourceType || s.Package != n.PackageName || s.Path != n.OriginalPath ||
			s.Materialized != n.Config.Materialized || s.State != "" {
			t.Errorf("%+v; the manifest says %+v", s, n)
		}
	}
	want, err := openDemo(t).Nodes(resolve.NodesQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Nodes {
		want.Nodes[i].State = "" // the Worker leaves the state comparison out
	}
	if !reflect.DeepEqual(withoutFiles(t, all), withoutFiles(t, want)) {
		t.Errorf("compact form differs from the full pair:\n got %+v\nwant %+v", all, *want)
	}
	var seeds, both, pkg, other, page, search resolve.NodesResult
	getJSON(t, ts.URL+"/v1/nodes?resourceType=seed", &seeds)
	getJSON(t, ts.URL+"/v1/nodes?resourceType=model&resourceType=seed", &both)
	getJSON(t, ts.URL+"/v1/nodes?resourceType=model,seed&package=jaffle_shop", &pkg)
	getJSON(t, ts.URL+"/v1/nodes?package=dbt_utils", &other)
	if seeds.Total != 6 || both.Total != 19 || pkg.Total != 19 || other.Total != 0 || other.Nodes == nil {
		t.Errorf("seeds %d, model+seed %d, jaffle_shop %d, dbt_utils %d (%v)", seeds.Total, both.Total, pkg.Total, other.Total, other.Nodes)
	}
	for _, s := range seeds.Nodes {
		if jm.Nodes[s.UniqueID].ResourceType != "seed" {
			t.Errorf("resourceType=seed listed %s", s.UniqueID)
		}
	}
	getJSON(t, ts.URL+"/v1/nodes?limit=5&offset=15", &page)
	if page.Total != 19 || page.Offset != 15 || len(page.Nodes) != 4 || !reflect.DeepEqual(page.Nodes, all.Nodes[15:]) {
		t.Errorf("page 15+5: %+v", page)
	}
	getJSON(t, ts.URL+"/v1/nodes?query=stg_cust", &search)
	if len(search.Nodes) == 0 || search.Nodes[0].UniqueID != "model.jaffle_shop.stg_customers" || len(search.Nodes[0].Matches) != len("stg_cust") {
		t.Errorf("query=stg_cust: %+v", search)
	}
}

// TestNode: GET /v1/node describes customers as the manifest does: its
// path, code, parents (depends_on.nodes) and, from child_map, its tests
// and its other children.
func TestNode(t *testing.T) {
	ts, _ := newTestServer(t)
	jm := readDemoJSON(t)
	const uid = "model.jaffle_shop.customers"
	for _, name := range []string{"customers", uid} {
		var d resolve.NodeDetail
		getJSON(t, ts.URL+"/v1/node?node="+name, &d)
		n := jm.Nodes[uid]
		if d.UniqueID != uid || d.Name != "customers" || d.OriginalFilePath != n.OriginalPath || d.RawCode != n.RawCode ||
			d.Materialized != "table" || d.State != "" || !reflect.DeepEqual(d.DependsOn, n.DependsOn.Nodes) {
			t.Errorf("%s: %+v", name, d)
		}
		var tests, children []string
		for _, c := range jm.ChildMap[uid] {
			if strings.HasPrefix(c, "test.") {
				tests = append(tests, c)
			} else {
				children = append(children, c)
			}
		}
		var gotTests []string
		for _, ts := range d.Tests {
			gotTests = append(gotTests, ts.UniqueID)
		}
		if len(tests) != 3 || !reflect.DeepEqual(gotTests, tests) || !reflect.DeepEqual(d.Children, children) {
			t.Errorf("%s: tests %v children %v; child_map has %v", name, gotTests, d.Children, jm.ChildMap[uid])
		}
	}
}

// TestLineage: GET /v1/lineage walks parent_map (up) and child_map (down)
// to the depth asked, leaves tests out unless tests=true, and resolves each
// node under the request's defer flags as the engine does on the full pair.
func TestLineage(t *testing.T) {
	ts, _ := newTestServer(t)
	jm := readDemoJSON(t)
	p := openDemo(t)
	const uid = "model.jaffle_shop.customers"
	// the nodes within depth of uid in one direction, tests optional
	near := func(m map[string][]string, depth int, tests bool) map[string]int {
		seen := map[string]int{uid: 0}
		frontier := []string{uid}
		for d := 1; d <= depth; d++ {
			var next []string
			for _, id := range frontier {
				for _, o := range m[id] {
					if _, ok := seen[o]; ok || !tests && strings.HasPrefix(o, "test.") {
						continue
					}
					seen[o] = d
					next = append(next, o)
				}
			}
			frontier = next
		}
		return seen
	}
	for _, tc := range []struct {
		query    string
		up, down int // depth walked each way (0: not walked)
		tests    bool
		q        resolve.LineageQuery
		co       resolve.CallOptions
	}{
		{"node=customers&down=false&defer=standard", 1, 0, false, resolve.LineageQuery{Node: "customers", Up: true}, resolve.CallOptions{Defer: "standard"}},
		{"node=customers&up=true&down=false&depth=2&defer=favor-state", 2, 0, false, resolve.LineageQuery{Node: "customers", Up: true, Depth: 2}, resolve.CallOptions{Defer: "favor-state"}},
		{"node=" + uid + "&up=false&tests=true", 0, 1, true, resolve.LineageQuery{Node: uid, Down: true, Tests: true}, resolve.CallOptions{}},
		{"node=customers&depth=3&select=customers&select=stg_customers&defer=standard", 3, 3, false, resolve.LineageQuery{Node: "customers", Up: true, Down: true, Depth: 3},
			resolve.CallOptions{Defer: "standard", Select: &[]string{"customers", "stg_customers"}}},
	} {
		var got resolve.LineageResult
		getJSON(t, ts.URL+"/v1/lineage?"+tc.query, &got)
		want := map[string]int{uid: 0}
		if tc.up > 0 {
			for id, d := range near(jm.ParentMap, tc.up, tc.tests) {
				want[id] = -d
			}
		}
		if tc.down > 0 {
			for id, d := range near(jm.ChildMap, tc.down, tc.tests) {
				if _, ok := want[id]; !ok {
					want[id] = d
				}
			}
		}
		gotDepth := map[string]int{}
		for _, n := range got.Nodes {
			gotDepth[n.UniqueID] = n.Depth
		}
		if got.Root != uid || got.Truncated || !reflect.DeepEqual(gotDepth, want) {
			t.Errorf("%s: root %s truncated %v\n got %v\nwant %v", tc.query, got.Root, got.Truncated, gotDepth, want)
		}
		for _, e := range got.Edges {
			if !inList(jm.ChildMap[e.From], e.To) {
				t.Errorf("%s: edge %s -> %s is not in child_map", tc.query, e.From, e.To)
			}
		}
		opt, err := tc.co.Options()
		if err != nil {
			t.Fatal(err)
		}
		tc.q.Options = opt
		w, err := p.Lineage(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		for i := range w.Nodes {
			w.Nodes[i].State = "" // the Worker leaves the state comparison out
		}
		if !reflect.DeepEqual(withoutFiles(t, got), withoutFiles(t, w)) {
			t.Errorf("%s: compact form differs from the full pair:\n got %+v\nwant %+v", tc.query, got, *w)
		}
	}
	// under standard defer the unselected, unbuilt parents come from prod
	var std resolve.LineageResult
	getJSON(t, ts.URL+"/v1/lineage?node=customers&down=false&defer=standard", &std)
	for _, n := range std.Nodes {
		if n.Depth < 0 && n.Env != "state" {
			t.Errorf("standard defer: %s resolves to %s (%s)", n.UniqueID, n.Env, n.Rule)
		}
	}
}

func inList(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestNavigationErrors: bad integers and booleans name their parameter
// (options.NAME, 400), unknown parameters are refused with a suggestion,
// and the engine's own errors keep their codes.
func TestNavigationErrors(t *testing.T) {
	ts, _ := newTestServer(t)
	for _, tc := range []struct {
		path   string
		status int
		code   string
		hint   string // in the message, or the suggestion
	}{
		{"/v1/nodes?limit=ten", 400, "options.limit", "limit"},
		{"/v1/nodes?offset=-1", 400, "options.offset", "offset"},
		{"/v1/nodes?limit=100001", 400, "options.invalid", "at most 100000"},
		{"/v1/nodes?resourceType=modle", 400, "options.invalid", "model"},
		{"/v1/nodes?limt=5", 400, "request.unknown_param", "limit"},
		{"/v1/nodes?manifest=nope", 404, "manifest.unpublished", ""},
		{"/v1/node", 400, "options.missing", "node"},
		{"/v1/node?node=customerz", 404, "node.not_found", "customers"},
		{"/v1/node?name=customers", 400, "request.unknown_param", "node"},
		{"/v1/lineage", 400, "options.missing", "node"},
		{"/v1/lineage?node=customers&up=maybe", 400, "options.up", "up"},
		{"/v1/lineage?node=customers&down=no", 400, "options.down", "down"},
		{"/v1/lineage?node=customers&tests=2", 400, "options.tests", "tests"},
		{"/v1/lineage?node=customers&depth=1.5", 400, "options.depth", "depth"},
		{"/v1/lineage?node=customers&limit=x", 400, "options.limit", "limit"},
		{"/v1/lineage?node=customers&limit=10001", 400, "options.invalid", "at most 10000"},
		{"/v1/lineage?node=customers&depht=2", 400, "request.unknown_param", "depth"},
		{"/v1/lineage?node=customers&defer=favour-state", 400, "options.defer", "favor-state"},
		{"/v1/lineage?node=customers&packageFirst=yes", 400, "options.packageFirst", "packageFirst"},
		{"/v1/lineage?node=customerz", 404, "node.not_found", "customers"},
		{"/v1/lineage?node=customers&defer=standard&state=none", 400, "defer.no_state", ""},
		// the compact state is for deferral only: nothing to compare with
		{"/v1/resolve?from=customers&ref=stg_orders&defer=standard&select=state:modified", 422, "selector.no_state", "comparison"},
		{"/v1/lineage?node=customers&defer=standard&select=state:new", 422, "selector.no_state", "comparison"},
	} {
		res, body := do(t, "GET", ts.URL+tc.path, nil, "")
		e := wantError(t, res, body, tc.status, tc.code)
		if tc.hint != "" && !strings.Contains(e.Message, tc.hint) && e.Location.Suggestion != tc.hint {
			t.Errorf("%s: %s does not mention %q", tc.path, body, tc.hint)
		}
	}
	res, body := do(t, "PUT", ts.URL+"/v1/nodes", nil, "")
	wantError(t, res, body, 405, "request.method")
}

// TestProductionRun: RUN_URL links /v1/state and every deferred ref to
// the run; production's run_results.json published with the state puts
// each deferred parent's status on its ref, with a warning for a failed
// one; a republished state is followed on revalidation.
func TestProductionRun(t *testing.T) {
	td := "../../resolve/testdata/manifests/teradata-pibbers"
	man, err := os.ReadFile(filepath.Join(td, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	rr, _ := os.ReadFile(filepath.Join(td, "run_results.json"))
	var meta struct {
		Metadata struct {
			InvocationID string `json:"invocation_id"`
			GeneratedAt  string `json:"generated_at"`
		} `json:"metadata"`
	}
	json.Unmarshal(man, &meta)
	gen, _ := time.Parse(time.RFC3339Nano, meta.Metadata.GeneratedAt)
	now := gen.Add(30 * time.Hour)
	ts := httptest.NewServer(NewServer(Config{Store: newMemStore(), Token: "s3cret", Now: func() time.Time { return now },
		RunURL: "https://orchestrator.example/runs/{invocation_id}"}))
	t.Cleanup(ts.Close)
	for _, p := range []struct{ name, kind string }{{"td", "dev"}, {"tdprod", "state"}} {
		if res, body := do(t, "PUT", ts.URL+"/v1/manifests/"+p.name+"?kind="+p.kind, man, "Bearer s3cret"); res.StatusCode != 201 {
			t.Fatalf("publish %s: %d %s", p.name, res.StatusCode, body)
		}
	}
	res, body := do(t, "PUT", ts.URL+"/v1/manifests/tdprod?kind=run_results", []byte(`{"results": [`), "Bearer s3cret")
	wantError(t, res, body, 422, "run_results.syntax")
	if res, body := do(t, "PUT", ts.URL+"/v1/manifests/tdprod?kind=run_results", rr, "Bearer s3cret"); res.StatusCode != 201 {
		t.Fatalf("publish run results: %d %s", res.StatusCode, body)
	}
	res, body = do(t, "GET", ts.URL+"/v1/state?manifest=td&state=tdprod", nil, "")
	var info resolve.StateInfo
	if res.StatusCode != 200 || json.Unmarshal(body, &info) != nil {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	if info.Run == nil || info.Run.URL != "https://orchestrator.example/runs/"+meta.Metadata.InvocationID || info.Age == nil || *info.Age != 30*3600 || !info.Stale ||
		info.RunResults == nil || info.RunResults.Command != "run" {
		t.Errorf("state = %s", body)
	}
	if !strings.Contains(res.Header.Get("X-Dbtdefer-Sources"), "stateRunResults=run_results:tdprod") {
		t.Errorf("sources header: %s", res.Header.Get("X-Dbtdefer-Sources"))
	}
	res, body = do(t, "GET", ts.URL+"/v1/resolve?manifest=td&state=tdprod&ref=lim_market_competitors&ref=stg_orders&defer=favor-state", nil, "")
	var rres protocol.ResolveAnswer
	if res.StatusCode != 200 || json.Unmarshal(body, &rres) != nil || len(rres.Refs) != 2 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	if r := rres.Refs[0]; r.StateRun == nil || r.StateRun.Status != "error" || r.State.Run.URL != info.Run.URL {
		t.Errorf("failed parent: %+v", r)
	}
	if r := rres.Refs[1]; r.StateRun == nil || r.StateRun.Status != "success" {
		t.Errorf("good parent: %+v", r)
	}
	warned := 0
	for _, d := range rres.Diagnostics {
		if d.Code == "state.parent_not_success" {
			warned++
			if d.Location.UniqueID != "model.jaffle_shop_teradata.lim_market_competitors" {
				t.Errorf("warning on %s", d.Location.UniqueID)
			}
		}
	}
	if warned != 1 {
		t.Errorf("%d parent_not_success warnings: %s", warned, body)
	}
	// Production runs again: a new state under the same name is followed
	// (the old run results no longer match it and say so).
	next := bytes.Replace(man, []byte(meta.Metadata.InvocationID), []byte("11111111-2222-3333-4444-555555555555"), 1)
	if res, body := do(t, "PUT", ts.URL+"/v1/manifests/tdprod?kind=state", next, "Bearer s3cret"); res.StatusCode != 201 {
		t.Fatalf("republish: %d %s", res.StatusCode, body)
	}
	req, _ := http.NewRequest("GET", ts.URL+"/v1/state?manifest=td&state=tdprod", nil)
	req.Header.Set("Cache-Control", "no-cache")
	res2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res2.Body.Close()
	json.NewDecoder(res2.Body).Decode(&info)
	if info.InvocationID != "11111111-2222-3333-4444-555555555555" || info.Run.URL != "https://orchestrator.example/runs/11111111-2222-3333-4444-555555555555" {
		t.Errorf("after republishing: %+v", info)
	}
	// A Worker whose RUN_URL is not http(s) says so on every request.
	bad := httptest.NewServer(NewServer(Config{Store: newMemStore(), Token: "s3cret", RunURL: "javascript:alert(1)"}))
	t.Cleanup(bad.Close)
	do(t, "PUT", bad.URL+"/v1/manifests/dev?kind=dev", man, "Bearer s3cret")
	res, body = do(t, "GET", bad.URL+"/v1/resolve?ref=stg_orders", nil, "")
	wantError(t, res, body, 500, "options.run_url")
}

// TestNoRunResultsNoReads: a state published without run results costs no
// Store read per request (the absence is remembered, and revalidated like
// an object), and run results published later are used at once.
func TestNoRunResultsNoReads(t *testing.T) {
	ts, st := newTestServer(t)
	get := func() protocol.ResolveAnswer {
		res, body := do(t, "GET", ts.URL+"/v1/resolve?from=customers&ref=stg_customers&defer=favor-state", nil, "")
		var r protocol.ResolveAnswer
		if res.StatusCode != 200 || json.Unmarshal(body, &r) != nil {
			t.Fatalf("%d %s", res.StatusCode, body)
		}
		return r
	}
	get()
	st.mu.Lock()
	before := st.gets
	st.mu.Unlock()
	for i := 0; i < 3; i++ {
		if r := get(); r.Refs[0].StateRun != nil {
			t.Fatalf("stateRun without run results: %+v", r.Refs[0].StateRun)
		}
	}
	st.mu.Lock()
	after := st.gets
	st.mu.Unlock()
	if after != before {
		t.Errorf("%d Store reads for 3 requests of an opened project", after-before)
	}
	rr := []byte(`{"metadata":{"dbt_schema_version":"https://schemas.getdbt.com/dbt/run-results/v6.json"},"args":{"which":"build"},"results":[]}`)
	if res, body := do(t, "PUT", ts.URL+"/v1/manifests/prod?kind=run_results", rr, "Bearer s3cret"); res.StatusCode != 201 {
		t.Fatalf("publish: %d %s", res.StatusCode, body)
	}
	if r := get(); r.Refs[0].StateRun == nil || r.Refs[0].StateRun.Status != "absent" {
		t.Errorf("run results published after a miss are not used: %+v", r.Refs[0])
	}
}
