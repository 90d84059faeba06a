package resolve

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/compile"
	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
)

// corpusPackages mirrors the shared corpus with the installed packages'
// dbt_project.yml vars that the corpus does not ship (see its README).
const corpusPackages = "testdata/corpus-packages"

// openForFidelity opens a manifest with what sits beside it, as
// `dbtdefer fidelity` does; packagesDir as its -packages.
func openForFidelity(t testing.TB, path, packagesDir string, state []byte) (*Project, CompileRequest) {
	t.Helper()
	f, err := ReadFidelityFiles(path, packagesDir)
	if err != nil {
		t.Fatal(err)
	}
	f.Inputs.State = state
	p, err := f.Open()
	if err != nil {
		t.Skipf("%s: %v", path, err)
	}
	return p, f.Request
}

// fidelityFloor locks in the exact re-renders reached per curated manifest
// (relative to resolve/testdata/manifests); a drop fails the test.
var fidelityFloor = map[string]int{
	"aparser-v5-jaffle/manifest.json":                 45,
	"dbtdocs-jaffle-0.19-snowflake/manifest.json":     34,
	"dbtdocs-jaffle-legacy-bigquery/manifest.json":    34,
	"defer-jaffle-shop-postgres/dev/manifest.json":    32,
	"defer-jaffle-shop-postgres/prod/manifest.json":   12,
	"defer-mrkidbk-duckdb/dev/manifest.json":          25,
	"defer-mrkidbk-duckdb/prod/manifest.json":         25,
	"fusion-v20-snowflake-andrewstaus/manifest.json":  0, // raw code is a Fusion placeholder: all skipped
	"kbrock-snowflake/manifest.json":                  83,
	"mesh-dpguthrie-snowflake/upstream/manifest.json": 2,
	"teradata-pibbers/manifest.json":                  15,
}

// sharedFloor locks in the whole shared corpus: exact and self-contained exact.
const sharedFloorExact, sharedFloorSelf = 6006, 5830

// sharedManifestFloor locks in, per shared-corpus manifest (relative to the
// corpus root), the exact re-renders and the self-contained exact ones
// `dbtdefer fidelity ../shared/corpus` reached; a drop fails the test.
var sharedManifestFloor = map[string]struct{ exact, self int }{
	"across-analytics-postgres/manifest.json":           {27, 27},
	"adebench-quickbooks-source-postgres/manifest.json": {153, 153},
	"adebench-shopify-source-bigquery/manifest.json":    {137, 137},
	"aidbox-postgres/manifest.json":                     {164, 157},
	"aparser-v10-jaffle/manifest.json":                  {26, 26},
	"aparser-v11-jaffle/manifest.json":                  {54, 54},
	"aparser-v12-jaffle-1.10/manifest.json":             {39, 39},
	"aparser-v12-jaffle-1.12/manifest.json":             {39, 39},
	"aparser-v12-jaffle-1.8/manifest.json":              {54, 54},
	"aparser-v12-jaffle-1.9/manifest.json":              {54, 53},
	"aparser-v2-jaffle/manifest.json":                   {32, 32},
	"aparser-v3-jaffle/manifest.json":                   {28, 28},
	"aparser-v5-jaffle/manifest.json":                   {45, 43},
	"aparser-v6-jaffle/manifest.json":                   {5, 5},
	"aparser-v7-jaffle/manifest.json":                   {28, 28},
	"aparser-v8-jaffle-1.4.1/manifest.json":             {25, 25},
	"aparser-v8-jaffle-1.4.3/manifest.json":             {28, 28},
	"aparser-v9-jaffle-1.5rc1/manifest.json":            {44, 44},
	"athena-avinash/manifest.json":                      {1, 1},
	"baseball-computer-duckdb/manifest.json":            {274, 274},
	"billiam-duckdb/manifest.json":                      {35, 34},
	"cicd-duckdb/manifest.json":                         {48, 48},
	"clickhouse-ernurshangir/manifest.json":             {7, 7},
	"databricks-devrafael/manifest.json":                {46, 46},
	"dbt-expectations-it-postgres/manifest.json":        {131, 131},
	"dbtdocs-jaffle-0.19-snowflake/manifest.json":       {34, 34},
	"dbtdocs-jaffle-0.20-postgres/manifest.json":        {36, 36},
	"dbtdocs-jaffle-1.0-postgres/manifest.json":         {36, 36},
	"dbtdocs-jaffle-1.3-snowflake/manifest.json":        {37, 37},
	"dbtdocs-jaffle-1.5b5-snowflake/manifest.json":      {37, 37},
	"dbtdocs-jaffle-legacy-bigquery/manifest.json":      {34, 34},
	"dbtdocs-jaffle-legacy-postgres/manifest.json":      {34, 34},
	"defer-andrewstaus-snowflake/dev/manifest.json":     {36, 23},
	"defer-harjeetkalsi-bigquery/dev/manifest.json":     {3, 3},
	"defer-harjeetkalsi-bigquery/prod/manifest.json":    {53, 53},
	"defer-jaffle-shop-postgres/dev/manifest.json":      {32, 32},
	"defer-jaffle-shop-postgres/prod/manifest.json":     {12, 12},
	"defer-mrkidbk-duckdb/dev/manifest.json":            {25, 25},
	"defer-mrkidbk-duckdb/prod/manifest.json":           {25, 25},
	"elastic-bigquery/manifest.json":                    {21, 21},
	"f1-lakehouse-duckdb/manifest.json":                 {22, 22},
	"fivetran-ad-reporting-postgres/manifest.json":      {223, 223},
	"fivetran-hubspot-postgres/manifest.json":           {226, 223},
	"fivetran-netsuite-postgres-pair/a/manifest.json":   {187, 187},
	"fivetran-netsuite-postgres-pair/b/manifest.json":   {187, 187},
	"fivetran-salesforce-legacy-bigquery/manifest.json": {1, 1},
	"flipside-admin-snowflake/manifest.json":            {221, 221},
	"flipside-algorand-snowflake/manifest.json":         {829, 771},
	"flipside-axelar-snowflake-pair/a/manifest.json":    {386, 370},
	"flipside-axelar-snowflake-pair/b/manifest.json":    {404, 384},
	"flipside-crosschain-snowflake/manifest.json":       {446, 397},
	"fusion-bigquery-thelook/manifest.json":             {67, 67},
	"fusion-databricks-anjali/manifest.json":            {1, 1},
	"greenhive-postgres/manifest.json":                  {12, 12},
	"kbrock-snowflake/manifest.json":                    {83, 80},
	"lp12-snowflake/manifest.json":                      {22, 22},
	"mesh-dpguthrie-snowflake/upstream/manifest.json":   {2, 2},
	"mockdag-snowflake/manifest.json":                   {76, 74},
	"pharma-duckdb-1.12/manifest.json":                  {27, 27},
	"recce-summercamp-duckdb/manifest.json":             {30, 30},
	"redshift-ajarun-pair/a/manifest.json":              {12, 12},
	"redshift-ajarun-pair/b/manifest.json":              {12, 12},
	"redshift-harun/manifest.json":                      {102, 101},
	"redshift-swappentaho/manifest.json":                {4, 4},
	"sagerx-postgres-pair/a/manifest.json":              {146, 146},
	"sagerx-postgres-pair/b/manifest.json":              {165, 165},
	"snowflake-sa-standard-pair/a/manifest.json":        {41, 41},
	"snowflake-sa-standard-pair/b/manifest.json":        {41, 41},
	"spark-vincent/manifest.json":                       {2, 2},
	"sqlserver-devrafael/manifest.json":                 {10, 10},
	"teradata-pibbers/manifest.json":                    {15, 15},
	"trino-opendatahub/manifest.json":                   {11, 11},
	"vertica-legacy/manifest.json":                      {14, 14},
}

func TestFidelityCurated(t *testing.T) {
	root := corpus.Curated()
	for rel, floor := range fidelityFloor {
		path := filepath.Join(root, rel)
		if _, err := os.Stat(path); err != nil {
			t.Errorf("curated manifest %s missing", rel)
			continue
		}
		p, req := openForFidelity(t, path, "", nil)
		r := p.Fidelity(req)
		t.Logf("%s: %d/%d exact, self-contained %d/%d", rel, r.Exact, r.Total, r.SelfExact, r.SelfTotal)
		if r.Exact < floor {
			for _, m := range r.Mismatches {
				t.Logf("  %s [%s] %s", m.UniqueID, m.Cause, m.Detail)
			}
			t.Errorf("%s: %d exact, locked-in floor %d", rel, r.Exact, floor)
		}
	}
}

func TestFidelitySharedCorpus(t *testing.T) {
	shared := corpus.Shared()
	if shared == "" {
		t.Skip("shared corpus absent")
	}
	if testing.Short() {
		t.Skip("short")
	}
	var files []string
	filepath.WalkDir(shared, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "manifest.json" {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	var tot, ex, st, se int
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if _, err := Open(Inputs{Manifest: data}); err != nil {
			continue
		}
		rel, _ := filepath.Rel(shared, f)
		pkgs := filepath.Join(corpusPackages, filepath.Dir(rel))
		if _, err := os.Stat(pkgs); err != nil {
			pkgs = ""
		}
		p, req := openForFidelity(t, f, pkgs, nil)
		r := p.Fidelity(req)
		tot, ex, st, se = tot+r.Total, ex+r.Exact, st+r.SelfTotal, se+r.SelfExact
		rel = filepath.ToSlash(rel)
		floor, ok := sharedManifestFloor[rel]
		switch {
		case !ok && r.Total > 0:
			t.Errorf("%s: %d/%d exact, self-contained %d/%d: no floor locked in sharedManifestFloor", rel, r.Exact, r.Total, r.SelfExact, r.SelfTotal)
		case r.Exact < floor.exact || r.SelfExact < floor.self:
			for _, m := range r.Mismatches {
				t.Logf("  %s [%s] %s", m.UniqueID, m.Cause, m.Detail)
			}
			t.Errorf("%s: exact %d (floor %d), self-contained exact %d (floor %d)", rel, r.Exact, floor.exact, r.SelfExact, floor.self)
		}
	}
	t.Logf("shared corpus: %d/%d exact, self-contained %d/%d", ex, tot, se, st)
	if ex < sharedFloorExact || se < sharedFloorSelf {
		t.Errorf("shared corpus fidelity dropped: exact %d (floor %d), self-contained %d (floor %d)", ex, sharedFloorExact, se, sharedFloorSelf)
	}
}

// TestDeferredPreviewPairs: on real dev/prod pairs, compiling each dev model
// under favor-state with only that model selected gives dbt's dev compiled
// code with every deferred parent's relation replaced by the prod relation
// (the rewrite strategy computes exactly that from dbt's own text).
func TestDeferredPreviewPairs(t *testing.T) {
	pairs := corpus.Pairs()
	if len(pairs) == 0 {
		t.Skip("no pairs")
	}
	for _, d := range pairs {
		state, err := os.ReadFile(filepath.Join(d, "prod", "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		p, base := openForFidelity(t, filepath.Join(d, "dev", "manifest.json"), "", state)
		checked, deferred := 0, 0
		for _, uid := range p.Dev.Keys("nodes") {
			n, _ := p.Dev.Node(uid)
			if n == nil || !n.HasCompiled || n.ResourceType != "model" {
				continue
			}
			off := base
			off.Model = uid
			if r, err := p.Compile(off); err != nil || r.SQL != n.CompiledCode {
				continue // not reproduced without defer: measured by the fidelity tests
			}
			req := base
			req.Model = uid
			req.Options = Options{Defer: deferral.FavorState, Select: []string{uid}}
			got, err := p.Compile(req)
			if err != nil {
				t.Errorf("%s %s: %v", filepath.Base(d), uid, err)
				continue
			}
			req.Strategy = StrategyRewrite
			want, err := p.Compile(req)
			if err != nil {
				t.Errorf("%s %s rewrite: %v", filepath.Base(d), uid, err)
				continue
			}
			checked++
			if got.SQL != want.SQL {
				t.Errorf("%s %s: render and rewrite differ\nrender:  %q\nrewrite: %q", filepath.Base(d), uid, head(got.SQL), head(want.SQL))
			}
			for _, r := range got.Refs {
				if r.Env == deferral.State {
					deferred++
					if !strings.Contains(got.SQL, r.Relation) {
						t.Errorf("%s %s: deferred relation %s not in the SQL", filepath.Base(d), uid, r.Relation)
					}
				}
			}
		}
		t.Logf("%s: %d models previewed under favor-state, %d deferred refs", filepath.Base(d), checked, deferred)
	}
}

func head(s string) string {
	if len(s) > 400 {
		return s[:400] + "…"
	}
	return s
}

func TestCompileStrategiesAndSnippet(t *testing.T) {
	root := corpus.Root()
	dev, _ := os.ReadFile(filepath.Join(root, "resolve", "testdata", "scenarios", "shop", "dev", "manifest.json"))
	st, _ := os.ReadFile(filepath.Join(root, "resolve", "testdata", "scenarios", "shop", "state", "manifest.json"))
	p, err := Open(Inputs{Manifest: dev, State: st})
	if err != nil {
		t.Fatal(err)
	}
	snippet := "select * from {{ ref('stg_customers') }} where {{ var('x', 1) }} = 1"
	for _, c := range []struct {
		mode deferral.Mode
		want string
	}{
		{deferral.Off, `select * from "analytics"."dbt_alice"."stg_customers" where 1 = 1`},
		{deferral.Standard, `select * from "analytics"."prod"."stg_customers" where 1 = 1`},
		{deferral.FavorState, `select * from "analytics"."prod"."stg_customers" where 1 = 1`},
	} {
		r, err := p.Compile(CompileRequest{SQL: &snippet, Options: Options{Defer: c.mode}})
		if err != nil {
			t.Fatal(err)
		}
		if r.SQL != c.want {
			t.Errorf("%s: got %q want %q", c.mode, r.SQL, c.want)
		}
		if len(r.Refs) != 1 || r.Refs[0].UniqueID != "model.shop.stg_customers" {
			t.Errorf("%s: refs %+v", c.mode, r.Refs)
		}
		if (c.mode != deferral.Off) != (r.State != nil) {
			t.Errorf("%s: state info %v", c.mode, r.State)
		}
	}
	// missing var without default: dbt's error, and the render depended on the outside
	bad := "select {{ var('nope') }}"
	if _, err := p.Compile(CompileRequest{SQL: &bad}); err == nil || !strings.Contains(err.Error(), "Required var 'nope' not found in config") {
		t.Errorf("missing var: %v", err)
	}
	// rewrite needs saved compiled code
	if _, err := p.Compile(CompileRequest{Model: "fct_orders", Strategy: StrategyRewrite}); err == nil {
		t.Error("rewrite without compiled_code should fail")
	}
	// is_incremental is reported as outside input for incremental models only
	inc := "select 1 {% if is_incremental() %}where x{% endif %}"
	r, err := p.Compile(CompileRequest{Model: "stg_orders", SQL: &inc})
	if err != nil || r.SQL != "select 1 " || !r.SelfContained {
		t.Errorf("is_incremental on a view: %+v %v", r, err)
	}
}

func TestReplaceRelation(t *testing.T) {
	got := replaceRelation("select * from a.b.c join a.b.cd on a.b.c.x = 1, x.a.b.c", "a.b.c", "p.q.r")
	want := "select * from p.q.r join a.b.cd on a.b.c.x = 1, x.a.b.c" // unquoted: a longer dotted path is left alone
	if got != want {
		t.Errorf("got %q want %q", got, want)
	}
}

// BenchmarkCompilePreview compiles a typical corpus model (render strategy).
func BenchmarkCompilePreview(b *testing.B) {
	path := filepath.Join(corpus.Curated(), "defer-jaffle-shop-postgres", "dev", "manifest.json")
	p, req := openForFidelity(b, path, "", nil)
	req.Model = "customers"
	if _, err := p.Compile(req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.Compile(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFidelityLargest re-renders every compiled node of the largest
// corpus manifest.
func BenchmarkFidelityLargest(b *testing.B) {
	var best string
	most := 0
	for _, f := range corpus.Manifests() {
		data, _ := os.ReadFile(f)
		p, err := Open(Inputs{Manifest: data})
		if err != nil {
			continue
		}
		n := 0
		for _, uid := range p.Dev.Keys("nodes") {
			if nd, err := p.Dev.Node(uid); err == nil && nd.HasCompiled {
				n++
			}
		}
		if n > most {
			best, most = f, n
		}
	}
	p, req := openForFidelity(b, best, "", nil)
	b.Logf("%s (%d compiled nodes)", best, most)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.comp = &compilerCell{} // measure cold macro parsing too
		r := p.Fidelity(req)
		b.ReportMetric(float64(r.Total), "nodes")
	}
}

// TestPackageVars: a package's own dbt_project.yml vars reach its nodes, and
// the precedence is dbt's (spec §3.3; ModelConfiguredVar): package global <
// package scoped < root global < root scoped to the node's package < --vars.
// A root-project node never sees a package's file.
func TestPackageVars(t *testing.T) {
	path := filepath.Join(corpus.Curated(), "aparser-v5-jaffle", "manifest.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Open(Inputs{Manifest: data, ManifestName: path})
	if err != nil {
		t.Fatal(err)
	}
	pkgs, warns := compile.PackageVars(map[string]string{
		"dbt_packages/elementary/dbt_project.yml": "name: elementary\nvars:\n  a: pkg-global\n  b: pkg-global\n  c: pkg-global\n  d: pkg-global\n  e: pkg-global\n  elementary:\n    b: pkg-scoped\n    c: pkg-scoped\n",
		"dbt_packages/broken/dbt_project.yml":     "vars: [unclosed\n",
		"dbt_packages/nameless/dbt_project.yml":   "vars:\n  a: 1\n",
	})
	if len(warns) != 2 || !strings.Contains(warns[0].Message+warns[1].Message, "broken") || !strings.Contains(warns[0].Message+warns[1].Message, "nameless") {
		t.Errorf("warnings for the unusable files: %v", warns)
	}
	root := map[string]any{"c": "root-global", "d": "root-global", "elementary": map[string]any{"d": "root-scoped", "e": "root-scoped"}}
	sql := "{{ var('a') }}|{{ var('b') }}|{{ var('c') }}|{{ var('d') }}|{{ var('e') }}|{{ var('f', 'default') }}"
	req := CompileRequest{Model: "model.elementary.elementary_runs", SQL: &sql, ProjectVars: root, PackageVars: pkgs,
		Vars: map[string]any{"e": "cli"}}
	res, err := p.Compile(req)
	if err != nil {
		t.Fatal(err)
	}
	if want := "pkg-global|pkg-scoped|root-global|root-scoped|cli|default"; res.SQL != want {
		t.Errorf("package node: got %q, want %q", res.SQL, want)
	}
	// A root-project node: the package's file does not apply.
	rootSQL := "{{ var('a', 'unset') }}|{{ var('c') }}"
	req = CompileRequest{Model: "model.jaffle_shop.dim_customers", SQL: &rootSQL, ProjectVars: root, PackageVars: pkgs}
	if res, err = p.Compile(req); err != nil {
		t.Fatal(err)
	} else if want := "unset|root-global"; res.SQL != want {
		t.Errorf("root node: got %q, want %q", res.SQL, want)
	}
	// Without the package's file the var is missing, as dbt would say.
	noPkg := "{{ var('a') }}"
	req = CompileRequest{Model: "model.elementary.elementary_runs", SQL: &noPkg}
	if _, err := p.Compile(req); err == nil || !strings.Contains(err.Error(), "Required var 'a' not found") {
		t.Errorf("missing package var: err = %v", err)
	}
}

// TestNumericTypeByAdapter: api.Column.numeric_type is the adapter's
// Column class's: BigQuery's returns the type alone (dbt-bigquery's
// BigQueryColumn ignores precision and scale), the base class
// "type(precision,scale)".
func TestNumericTypeByAdapter(t *testing.T) {
	for _, c := range []struct{ path, want string }{
		{"testdata/manifests/aparser-v5-jaffle/manifest.json", "numeric numeric"},
		{"testdata/manifests/defer-jaffle-shop-postgres/dev/manifest.json", "numeric(28,6) numeric"},
	} {
		data, err := os.ReadFile(c.path)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Open(Inputs{Manifest: data})
		if err != nil {
			t.Fatal(err)
		}
		sql := "{{ api.Column.numeric_type('numeric', 28, 6) }} {{ api.Column.numeric_type('numeric', none, none) }}"
		r, err := p.Compile(CompileRequest{SQL: &sql})
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(r.SQL) != c.want {
			t.Errorf("%s: %q, want %q", c.path, r.SQL, c.want)
		}
	}
}

// TestPythonModel: a Python model's preview is what dbt writes: the code
// as it is (no Jinja), then the postfix the manifest's py_script_postfix
// macro renders, whose ref() dictionary holds each ref resolved under the
// defer flags like a SQL model's (checked against the relation_name dbt
// wrote in each manifest). The corpus's Python models compile to dbt's own
// compiled_code byte for byte.
func TestPythonModel(t *testing.T) {
	prodRaw, err := os.ReadFile("testdata/manifests/defer-jaffle-shop-postgres/prod/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	m := jaffleDevJSON(t)
	nodes := m["nodes"].(map[string]any)
	py := map[string]any{}
	for k, v := range nodes["model.jaffle_shop.customers"].(map[string]any) {
		py[k] = v
	}
	code := "def model(dbt, session):\r\n    orders = dbt.ref(\"stg_orders\")  # {{ not jinja }}\r\n    return orders\r\n"
	py["unique_id"], py["name"], py["alias"], py["language"], py["raw_code"] = "model.jaffle_shop.py_orders", "py_orders", "py_orders", "python", code
	py["refs"] = []any{map[string]any{"name": "stg_orders", "package": nil, "version": nil}}
	py["sources"] = []any{}
	py["depends_on"] = map[string]any{"nodes": []any{"model.jaffle_shop.stg_orders"}, "macros": []any{}}
	nodes["model.jaffle_shop.py_orders"] = py
	data, _ := json.Marshal(m)
	p, err := Open(Inputs{Manifest: data, State: prodRaw})
	if err != nil {
		t.Fatal(err)
	}
	var prod struct {
		Nodes map[string]struct {
			RelationName string `json:"relation_name"`
		} `json:"nodes"`
	}
	json.Unmarshal(prodRaw, &prod)
	want := prod.Nodes["model.jaffle_shop.stg_orders"].RelationName
	res, err := p.Compile(CompileRequest{Model: "py_orders", Options: Options{Defer: deferral.Standard}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.SQL, code+"\n\n") {
		t.Errorf("the preview does not start with the code as it is:\n%s", res.SQL)
	}
	quoted, _ := json.Marshal(want) // as Jinja's tojson writes it: {"key": "value"}
	if !strings.Contains(res.SQL, `refs = {"stg_orders": `+string(quoted)+`}`) || !strings.Contains(res.SQL, "def ref(") || !strings.Contains(res.SQL, "class dbtObj") {
		t.Errorf("the postfix does not map stg_orders to production's %s:\n%s", want, res.SQL[len(code):])
	}

	// dbt's own Python compiles, where the corpus has them.
	exact, total := 0, 0
	for _, path := range corpus.Manifests() {
		data, err := os.ReadFile(path)
		if err != nil || !bytes.Contains(data, []byte(`"language": "python"`)) && !bytes.Contains(data, []byte(`"language":"python"`)) {
			continue
		}
		var mm struct {
			Nodes map[string]struct {
				Language     string  `json:"language"`
				CompiledCode *string `json:"compiled_code"`
			} `json:"nodes"`
		}
		if json.Unmarshal(data, &mm) != nil {
			continue
		}
		p, err := Open(Inputs{Manifest: data, ManifestName: path})
		if err != nil {
			continue
		}
		for uid, n := range mm.Nodes {
			if n.Language != "python" || n.CompiledCode == nil || *n.CompiledCode == "" {
				continue
			}
			total++
			r, err := p.Compile(CompileRequest{Model: uid})
			if err != nil {
				t.Errorf("%s %s: %v", path, uid, err)
				continue
			}
			if r.SQL == *n.CompiledCode {
				exact++
			} else {
				t.Errorf("%s %s: the preview differs from dbt's compiled_code", path, uid)
			}
		}
	}
	t.Logf("corpus Python models: %d/%d exact", exact, total)
}
