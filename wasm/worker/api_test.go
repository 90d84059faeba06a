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

	"github.com/dbtdefer/dbtdefer/resolve"
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

func wantError(t *testing.T, res *http.Response, body []byte, status int, code string) errorBody {
	t.Helper()
	var e errorBody
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
			var got resolveResult
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
	wantError(t, res, body, 400, "request.bad_json")
	res, body = do(t, "POST", ts.URL+"/v1/compile", []byte(`{"modle": "customers"}`), "")
	wantError(t, res, body, 400, "request.unknown_field")
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
	res, body = do(t, "GET", ts.URL+"/v1/compile", nil, "")
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
