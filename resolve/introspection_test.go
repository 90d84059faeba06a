package resolve

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
)

// catalogColumns reads a catalog.json with encoding/json: the columns of
// each node as "name type", in the catalog's index order.
func catalogColumns(t *testing.T, path string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Nodes map[string]struct {
			Columns map[string]struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Index int    `json:"index"`
			} `json:"columns"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for uid, n := range c.Nodes {
		type col struct {
			s string
			i int
		}
		var cols []col
		for _, x := range n.Columns {
			cols = append(cols, col{x.Name + " " + x.Type, x.Index})
		}
		sort.Slice(cols, func(i, j int) bool { return cols[i].i < cols[j].i })
		for _, x := range cols {
			out[uid] = append(out[uid], x.s)
		}
	}
	return out
}

// TestCatalogIntrospection: on a real dev/prod pair with both catalogs,
// adapter.get_columns_in_relation(ref(x)) answers from the catalog of the
// environment the ref resolved to: production's for a deferred ref, the
// dev one's otherwise; the answer says which catalog answered; without
// production's catalog a deferred ref's columns need the warehouse.
func TestCatalogIntrospection(t *testing.T) {
	dir := filepath.Join(corpus.Curated(), "defer-mrkidbk-duckdb")
	read := func(p string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	devCols, prodCols := catalogColumns(t, filepath.Join(dir, "dev", "catalog.json")), catalogColumns(t, filepath.Join(dir, "prod", "catalog.json"))
	in := Inputs{Manifest: read("dev/manifest.json"), State: read("prod/manifest.json"),
		Catalog: read("dev/catalog.json"), CatalogName: "dev/catalog.json",
		StateCatalog: read("prod/catalog.json"), StateCatalogName: "prod/catalog.json"}
	p, err := Open(in)
	if err != nil {
		t.Fatal(err)
	}
	noState := in
	noState.StateCatalog = nil
	q, err := Open(noState)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for uid := range prodCols {
		if !strings.HasPrefix(uid, "model.") && !strings.HasPrefix(uid, "seed.") {
			continue
		}
		name := uid[strings.LastIndexByte(uid, '.')+1:]
		snippet := "{% for c in adapter.get_columns_in_relation(ref('" + name + "')) %}{{ c.name }} {{ c.data_type }}\n{% endfor %}"
		for _, c := range []struct {
			mode   deferral.Mode
			p      *Project
			want   []string
			by     string
			defers bool
		}{
			{deferral.Off, p, devCols[uid], "catalog", false},
			{deferral.FavorState, p, prodCols[uid], "stateCatalog", true},
			{deferral.FavorState, q, nil, "", true},
		} {
			res, err := c.p.Compile(CompileRequest{SQL: &snippet, Options: Options{Defer: c.mode}})
			if err != nil {
				t.Fatalf("%s %v: %v", uid, c.mode, err)
			}
			if len(res.Refs) != 1 || (res.Refs[0].Env == deferral.State) != c.defers {
				t.Fatalf("%s %v: refs %+v", uid, c.mode, res.Refs)
			}
			want := ""
			for _, x := range c.want {
				want += x + "\n"
			}
			if res.SQL != want {
				t.Errorf("%s %v: columns\n%s\nwant (from the catalog file)\n%s", uid, c.mode, res.SQL, want)
			}
			if len(res.Introspection) != 1 {
				t.Fatalf("%s %v: introspection %+v", uid, c.mode, res.Introspection)
			}
			got := res.Introspection[0]
			if got.AnsweredBy != c.by || got.Deferred != c.defers || got.Call != "get_columns_in_relation" || got.Columns != len(c.want) || got.Relation != res.Refs[0].Relation {
				t.Errorf("%s %v: provenance %+v, want answeredBy %q deferred %v over %s", uid, c.mode, got, c.by, c.defers, res.Refs[0].Relation)
			}
			if c.by == "stateCatalog" && got.File != "prod/catalog.json" {
				t.Errorf("%s: answering file %q", uid, got.File)
			}
			if res.SelfContained != (c.by != "") || (len(res.Outside) > 0) == (c.by != "") {
				t.Errorf("%s %v: selfContained %v outside %v", uid, c.mode, res.SelfContained, res.Outside)
			}
		}
		checked++
	}
	if checked < 5 {
		t.Fatalf("only %d relations checked", checked)
	}
}

// TestStateCatalogNeedsState: production's catalog without a state is an
// error naming the file; a malformed one names its file too.
func TestStateCatalogNeedsState(t *testing.T) {
	dir := filepath.Join(corpus.Curated(), "defer-mrkidbk-duckdb")
	dev, _ := os.ReadFile(filepath.Join(dir, "dev", "manifest.json"))
	prod, _ := os.ReadFile(filepath.Join(dir, "prod", "manifest.json"))
	cat, _ := os.ReadFile(filepath.Join(dir, "prod", "catalog.json"))
	if _, err := Open(Inputs{Manifest: dev, StateCatalog: cat, StateCatalogName: "prod/catalog.json"}); err == nil || !strings.Contains(err.Error(), "state manifest") {
		t.Errorf("no state: %v", err)
	}
	for _, bad := range []string{`{"nodes": [}`, `[]`} {
		_, err := Open(Inputs{Manifest: dev, State: prod, StateCatalog: []byte(bad), StateCatalogName: "prod/catalog.json"})
		if err == nil || !strings.Contains(err.Error(), "prod/catalog.json") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// TestWithStateCatalog: a refreshed state keeps production's catalog only
// with it; a new state without a new catalog drops it and says so.
func TestWithStateCatalog(t *testing.T) {
	dir := filepath.Join(corpus.Curated(), "defer-mrkidbk-duckdb")
	dev, _ := os.ReadFile(filepath.Join(dir, "dev", "manifest.json"))
	prod, _ := os.ReadFile(filepath.Join(dir, "prod", "manifest.json"))
	cat, _ := os.ReadFile(filepath.Join(dir, "prod", "catalog.json"))
	p, err := Open(Inputs{Manifest: dev, State: prod, StateCatalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	snippet := "{{ adapter.get_columns_in_relation(ref('customers')) | length }}"
	answered := func(p *Project) string {
		res, err := p.Compile(CompileRequest{SQL: &snippet, Options: Options{Defer: deferral.FavorState}})
		if err != nil {
			t.Fatal(err)
		}
		return res.Introspection[0].AnsweredBy
	}
	if got := answered(p); got != "stateCatalog" {
		t.Fatalf("opened: %q", got)
	}
	// The same run's state again keeps the catalog.
	np, err := p.WithState(StateUpdate{State: prod})
	if err != nil {
		t.Fatal(err)
	}
	if got := answered(np); got != "stateCatalog" {
		t.Fatalf("same run: %q", got)
	}
	// Another run's: the invocation differs.
	id := manifestInvocation(t, prod)
	next := bytes.Replace(prod, []byte(id), []byte("00000000-0000-0000-0000-000000000000"), 1)
	np, err = p.WithState(StateUpdate{State: next})
	if err != nil {
		t.Fatal(err)
	}
	dropped := false
	for _, w := range np.Warnings {
		dropped = dropped || w.Code == "state.catalog_dropped"
	}
	if got := answered(np); got != "" || !dropped {
		t.Errorf("new state without a catalog: answered by %q, dropped warning %v", got, dropped)
	}
	np, err = p.WithState(StateUpdate{State: next, StateCatalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	if got := answered(np); got != "stateCatalog" {
		t.Errorf("new state with its catalog: %q", got)
	}
}

func manifestInvocation(t *testing.T, b []byte) string {
	t.Helper()
	var m struct {
		Metadata struct {
			InvocationID string `json:"invocation_id"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Metadata.InvocationID == "" {
		t.Fatalf("no invocation_id: %v", err)
	}
	return m.Metadata.InvocationID
}

// TestCatalogIntrospectionCorpus: in every manifest (curated and shared
// corpus) shipped with its catalog.json, every node dbt compiled whose
// preview asked the catalog about a relation re-renders exactly as dbt
// compiled it (dbt asked the warehouse the catalog describes).
func TestCatalogIntrospectionCorpus(t *testing.T) {
	var files []string
	for _, root := range []string{corpus.Curated(), corpus.Shared()} {
		if root == "" {
			continue
		}
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Name() == "manifest.json" {
				if _, err := os.Stat(filepath.Join(filepath.Dir(p), "catalog.json")); err == nil {
					files = append(files, p)
				}
			}
			return nil
		})
	}
	total := 0
	for _, f := range files {
		pkgs := ""
		if rel, err := filepath.Rel(corpus.Shared(), f); corpus.Shared() != "" && err == nil && !strings.HasPrefix(rel, "..") {
			if _, err := os.Stat(filepath.Join(corpusPackages, filepath.Dir(rel))); err == nil {
				pkgs = filepath.Join(corpusPackages, filepath.Dir(rel))
			}
		}
		p, req := openForFidelity(t, f, pkgs, nil)
		req.Now = p.Dev.Meta.GeneratedAt // as Fidelity: the run's clock
		cases, exact := 0, 0
		for _, uid := range p.Dev.Keys("nodes") {
			n, err := p.Dev.Node(uid)
			if err != nil || !n.HasCompiled || n.RawCode == "" {
				continue
			}
			r := req
			r.Model = n.UniqueID
			res, err := p.Compile(r)
			if err != nil || !answeredByCatalog(res) {
				continue
			}
			cases++
			if res.SQL != n.CompiledCode && n.Materialized == "incremental" {
				r.IsIncremental = true
				if r2, err := p.Compile(r); err == nil {
					res = r2
				}
			}
			if res.SQL == n.CompiledCode {
				exact++
				continue
			}
			t.Errorf("%s: %s answered from the catalog but differs from dbt's compiled code: %s (outside %v)", f, n.UniqueID, diffDetail(res.SQL, n.CompiledCode), res.Outside)
		}
		if cases > 0 {
			t.Logf("%s: %d/%d previews answered from the catalog are exact", f, exact, cases)
		}
		total += cases
	}
	if corpus.Shared() != "" && total < 50 {
		t.Errorf("only %d introspection cases in the corpus", total)
	}
}

func answeredByCatalog(res *CompileResult) bool {
	for _, x := range res.Introspection {
		if x.AnsweredBy != "" {
			return true
		}
	}
	return false
}
