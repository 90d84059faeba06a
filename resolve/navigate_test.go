package resolve

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/fuzzy"
	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
	"github.com/dbtdefer/dbtdefer/resolve/internal/synth"
)

// The oracle of these tests is the manifest itself, read with
// encoding/json: what dbt wrote (names, paths, configs, parent_map and
// child_map, checksums), not what our index says.

type jsonNode struct {
	UniqueID     string `json:"unique_id"`
	Name         string `json:"name"`
	ResourceType string `json:"resource_type"`
	PackageName  string `json:"package_name"`
	OriginalPath string `json:"original_file_path"`
	Path         string `json:"path"`
	Description  string `json:"description"`
	RawCode      string `json:"raw_code"`
	RawSQL       string `json:"raw_sql"`
	Config       struct {
		Materialized string `json:"materialized"`
	} `json:"config"`
	Columns  map[string]struct{ Name string } `json:"columns"`
	Checksum json.RawMessage                  `json:"checksum"`
	Version  any                              `json:"version"`
}

type jsonManifest struct {
	Nodes     map[string]jsonNode `json:"nodes"`
	ParentMap map[string][]string `json:"parent_map"`
	ChildMap  map[string][]string `json:"child_map"`
}

func readJSONManifest(t testing.TB, path string) ([]byte, jsonManifest) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m jsonManifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return data, m
}

// TestNodesListEveryPickableNode: on every curated manifest, Nodes with no
// query lists exactly the models, seeds, snapshots and analyses of the
// manifest, named, typed, packaged and pathed as dbt wrote them; pages of
// any size put together are the whole list; the default page is bounded.
func TestNodesListEveryPickableNode(t *testing.T) {
	for _, path := range curatedManifests(t) {
		t.Run(filepath.Base(filepath.Dir(filepath.Dir(path)))+"/"+filepath.Base(filepath.Dir(path)), func(t *testing.T) {
			data, jm := readJSONManifest(t, path)
			p, err := Open(Inputs{Manifest: data, ManifestName: path})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]jsonNode{}
			for uid, n := range jm.Nodes {
				switch n.ResourceType {
				case "model", "seed", "snapshot", "analysis":
					want[uid] = n
				}
			}
			all, err := p.Nodes(NodesQuery{Limit: MaxNodesLimit})
			if err != nil {
				t.Fatal(err)
			}
			if all.Total != len(want) || len(all.Nodes) != len(want) {
				t.Fatalf("total %d, %d rows; the manifest has %d pickable nodes", all.Total, len(all.Nodes), len(want))
			}
			for i, s := range all.Nodes {
				n, ok := want[s.UniqueID]
				if !ok {
					t.Fatalf("listed %s, not a pickable node of the manifest", s.UniqueID)
				}
				path := n.OriginalPath
				if path == "" {
					path = n.Path
				}
				if s.Name != n.Name || s.ResourceType != n.ResourceType || s.Package != n.PackageName || s.Path != path ||
					n.Config.Materialized != "" && s.Materialized != n.Config.Materialized {
					t.Errorf("%s: got %+v, the manifest says name %q type %q package %q path %q materialized %q",
						s.UniqueID, s, n.Name, n.ResourceType, n.PackageName, path, n.Config.Materialized)
				}
				if i > 0 {
					a := all.Nodes[i-1]
					if a.ResourceType != "model" && s.ResourceType == "model" {
						t.Errorf("%s (a model) listed after %s (a %s): models come first", s.UniqueID, a.UniqueID, a.ResourceType)
					}
				}
			}
			// pages of 7 are the same list
			var paged []string
			for off := 0; ; off += 7 {
				r, err := p.Nodes(NodesQuery{Limit: 7, Offset: off})
				if err != nil {
					t.Fatal(err)
				}
				if len(r.Nodes) > 7 || r.Total != all.Total {
					t.Fatalf("page at %d: %d rows, total %d", off, len(r.Nodes), r.Total)
				}
				for _, s := range r.Nodes {
					paged = append(paged, s.UniqueID)
				}
				if len(r.Nodes) < 7 {
					break
				}
			}
			for i, s := range all.Nodes {
				if i >= len(paged) || paged[i] != s.UniqueID {
					t.Fatalf("pages differ from the whole list at row %d", i)
				}
			}
			def, _ := p.Nodes(NodesQuery{})
			if len(def.Nodes) > DefaultNodesLimit || def.Limit != DefaultNodesLimit {
				t.Fatalf("default page: %d rows, limit %d", len(def.Nodes), def.Limit)
			}
		})
	}
}

func curatedManifests(t testing.TB) []string {
	var out []string
	filepath.Walk(corpus.Curated(), func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Name() == "manifest.json" {
			out = append(out, p)
		}
		return nil
	})
	if len(out) < 5 {
		t.Fatalf("expected the curated manifests, found %v", out)
	}
	return out
}

// TestNodesQuery: a query keeps the names whose letters appear in order,
// ranked as package fuzzy ranks them, with the matched offsets; the exact
// name first; filters by type and package; bad options are errors.
func TestNodesQuery(t *testing.T) {
	p := openPair(t, filepath.Join(corpus.Curated(), "defer-jaffle-shop-postgres"))
	_, jm := readJSONManifest(t, filepath.Join(corpus.Curated(), "defer-jaffle-shop-postgres", "dev", "manifest.json"))
	for _, q := range []string{"customers", "stgord", "ORD", "sup", "zz_nothing"} {
		r, err := p.Nodes(NodesQuery{Query: q, Limit: MaxNodesLimit})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, n := range jm.Nodes {
			switch n.ResourceType {
			case "model", "seed", "snapshot", "analysis":
				if fuzzy.Score(q, n.Name, nil) != fuzzy.NoMatch {
					want = append(want, n.UniqueID)
				}
			}
		}
		var got []string
		last := 1 << 30
		for _, s := range r.Nodes {
			got = append(got, s.UniqueID)
			sc := fuzzy.Score(q, s.Name, nil)
			if sc > last {
				t.Errorf("%q: %s (score %d) ranked after a worse match (%d)", q, s.Name, sc, last)
			}
			last = sc
			if len(s.Matches) != len(q) {
				t.Errorf("%q: %s has matches %v", q, s.Name, s.Matches)
			}
			for i, at := range s.Matches {
				if !strings.EqualFold(s.Name[at:at+1], q[i:i+1]) {
					t.Errorf("%q: %s: match %d at %d is %q", q, s.Name, i, at, s.Name[at:at+1])
				}
			}
		}
		sort.Strings(got)
		sort.Strings(want)
		if fmt.Sprint(got) != fmt.Sprint(want) || r.Total != len(want) {
			t.Errorf("%q: got %v (total %d), want %v", q, got, r.Total, want)
		}
	}
	r, _ := p.Nodes(NodesQuery{Query: "customers"})
	if len(r.Nodes) == 0 || r.Nodes[0].UniqueID != "model.jaffle_shop.customers" {
		t.Fatalf("customers: the exact name first, got %+v", r.Nodes)
	}
	r, _ = p.Nodes(NodesQuery{ResourceType: []string{"seed"}})
	if r.Total != 6 {
		t.Fatalf("seeds: %d, want 6", r.Total)
	}
	r, _ = p.Nodes(NodesQuery{ResourceType: []string{"test"}, Query: "not_null_customers"})
	if r.Total == 0 || r.Nodes[0].ResourceType != "test" || strings.Contains(r.Nodes[0].Name, ".") {
		t.Fatalf("tests: %+v", r.Nodes)
	}
	r, _ = p.Nodes(NodesQuery{ResourceType: []string{"source"}})
	if r.Total != 0 {
		for _, s := range r.Nodes {
			if s.ResourceType != "source" || !strings.Contains(s.Name, ".") {
				t.Fatalf("sources: %+v", s)
			}
		}
	}
	r, _ = p.Nodes(NodesQuery{Package: "no_such_package"})
	if r.Total != 0 {
		t.Fatalf("another package: %d", r.Total)
	}
	for _, q := range []NodesQuery{{ResourceType: []string{"modle"}}, {Limit: -1}, {Limit: MaxNodesLimit + 1}} {
		if _, err := p.Nodes(q); err == nil || !strings.Contains(err.Error(), "nodes:") {
			t.Errorf("%+v: got %v", q, err)
		}
	}
	if _, err := p.Nodes(NodesQuery{ResourceType: []string{"modle"}}); !strings.Contains(err.Error(), `"model"`) {
		t.Errorf("no suggestion: %v", err)
	}
}

// TestNodeDetail: a node's code, description, config, columns, parents and
// tests as the manifest has them (tests: child_map's test children).
func TestNodeDetail(t *testing.T) {
	dir := filepath.Join(corpus.Curated(), "defer-jaffle-shop-postgres")
	p := openPair(t, dir)
	_, jm := readJSONManifest(t, filepath.Join(dir, "dev", "manifest.json"))
	for uid, n := range jm.Nodes {
		if n.ResourceType != "model" {
			continue
		}
		for _, key := range []string{uid, n.Name} {
			d, err := p.NodeDetail(key)
			if err != nil {
				t.Fatal(err)
			}
			if d.UniqueID != uid || d.RawCode != n.RawCode+n.RawSQL || d.Description != n.Description || d.Config["materialized"] != n.Config.Materialized {
				t.Fatalf("%s: got %+v", key, d)
			}
			var cols []string
			for _, c := range d.Columns {
				cols = append(cols, c.Name)
			}
			var wantCols []string
			for _, c := range n.Columns {
				wantCols = append(wantCols, c.Name)
			}
			sort.Strings(cols)
			sort.Strings(wantCols)
			if fmt.Sprint(cols) != fmt.Sprint(wantCols) {
				t.Errorf("%s columns %v, want %v", uid, cols, wantCols)
			}
			var tests, wantTests []string
			for _, x := range d.Tests {
				tests = append(tests, x.UniqueID)
				if x.Name != jm.Nodes[x.UniqueID].Name {
					t.Errorf("%s: test %s named %q", uid, x.UniqueID, x.Name)
				}
			}
			for _, c := range jm.ChildMap[uid] {
				if strings.HasPrefix(c, "test.") {
					wantTests = append(wantTests, c)
				}
			}
			sort.Strings(tests)
			sort.Strings(wantTests)
			if fmt.Sprint(tests) != fmt.Sprint(wantTests) {
				t.Errorf("%s tests %v, want %v", uid, tests, wantTests)
			}
			if fmt.Sprint(sorted(d.DependsOn)) != fmt.Sprint(sorted(jm.ParentMap[uid])) {
				t.Errorf("%s dependsOn %v, parent_map %v", uid, d.DependsOn, jm.ParentMap[uid])
			}
			if d.State != "unchanged" {
				t.Errorf("%s: state %q (the pair's checksums are equal)", uid, d.State)
			}
		}
	}
	d, _ := p.NodeDetail("customers")
	for _, x := range d.Tests {
		if x.Column == "" {
			t.Errorf("customers: test %s has no column", x.UniqueID)
		}
	}
	if _, err := p.NodeDetail("custmers"); err == nil || !strings.Contains(err.Error(), "custmers") {
		t.Fatalf("unknown node: %v", err)
	}
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

// TestLineage: depth 1 is parent_map and child_map (tests left out); each
// node's relation is what a ref from the root renders under the mode:
// favor-state with nothing selected, production's relation_name.
func TestLineage(t *testing.T) {
	dir := filepath.Join(corpus.Curated(), "defer-jaffle-shop-postgres")
	p := openPair(t, dir)
	_, dev := readJSONManifest(t, filepath.Join(dir, "dev", "manifest.json"))
	prodData, _ := os.ReadFile(filepath.Join(dir, "prod", "manifest.json"))
	var prod struct {
		Nodes map[string]struct {
			RelationName string `json:"relation_name"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal(prodData, &prod); err != nil {
		t.Fatal(err)
	}
	none := []string{}
	r, err := p.Lineage(LineageQuery{Node: "orders", Up: true, Down: true, Options: Options{Defer: deferral.FavorState, Select: none}})
	if err != nil {
		t.Fatal(err)
	}
	root := "model.jaffle_shop.orders"
	var up, down []string
	for _, n := range r.Nodes {
		switch {
		case n.Depth == -1:
			up = append(up, n.UniqueID)
		case n.Depth == 1:
			down = append(down, n.UniqueID)
		case n.UniqueID != root:
			t.Errorf("%s at depth %d", n.UniqueID, n.Depth)
		}
		if strings.HasPrefix(n.UniqueID, "model.") && n.UniqueID != root {
			if n.Env != deferral.State || n.Relation != prod.Nodes[n.UniqueID].RelationName || n.Rule == "" || n.Reason == "" {
				t.Errorf("%s: %+v; favor-state, unselected: production's %s", n.UniqueID, n, prod.Nodes[n.UniqueID].RelationName)
			}
		}
	}
	noTests := func(ids []string) (out []string) {
		for _, id := range ids {
			if !strings.HasPrefix(id, "test.") {
				out = append(out, id)
			}
		}
		return sorted(out)
	}
	if fmt.Sprint(sorted(up)) != fmt.Sprint(noTests(dev.ParentMap[root])) || fmt.Sprint(sorted(down)) != fmt.Sprint(noTests(dev.ChildMap[root])) {
		t.Fatalf("up %v down %v; parent_map %v child_map %v", up, down, dev.ParentMap[root], dev.ChildMap[root])
	}
	for _, e := range r.Edges {
		if !contains(dev.ChildMap[e.From], e.To) {
			t.Errorf("edge %s → %s is not in child_map", e.From, e.To)
		}
	}
	if r.Nodes[0].UniqueID != root || r.Nodes[0].Rule != "this-never-deferred" || r.State == nil {
		t.Fatalf("root: %+v", r.Nodes[0])
	}
	// off: every relation is dev's
	r, _ = p.Lineage(LineageQuery{Node: root, Up: true, Depth: 5})
	for _, n := range r.Nodes {
		if n.Relation != "" && n.Env != deferral.Dev {
			t.Errorf("defer off: %s in %s", n.UniqueID, n.Env)
		}
	}
	// bounded
	r, _ = p.Lineage(LineageQuery{Node: root, Up: true, Down: true, Depth: 10, Limit: 3, Tests: true})
	if len(r.Nodes) != 3 || !r.Truncated {
		t.Fatalf("limit 3: %d nodes, truncated %v", len(r.Nodes), r.Truncated)
	}
	if _, err := p.Lineage(LineageQuery{Node: "nope", Up: true}); err == nil {
		t.Fatal("unknown root")
	}
}

// TestNavigateSyntheticPair: on a generated pair of 5 000+ models, state
// marks the nodes whose checksum production does not share as modified,
// a node production lacks as new, and every answer stays bounded.
func TestNavigateSyntheticPair(t *testing.T) {
	base, err := os.ReadFile(filepath.Join(corpus.Curated(), "defer-jaffle-shop-postgres", "dev", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	dev, err := synth.Generate(base, synth.Options{TargetBytes: 38 << 20})
	if err != nil {
		t.Fatal(err)
	}
	prod, err := synth.Generate(base, synth.Options{TargetBytes: 38 << 20, Prod: true, DevSchema: "dbt_dconnors"})
	if err != nil {
		t.Fatal(err)
	}
	var dm, pm jsonManifest
	if json.Unmarshal(dev, &dm) != nil || json.Unmarshal(prod, &pm) != nil {
		t.Fatal("synthetic manifests do not parse")
	}
	// drop one model from production: it is new in dev
	var raw map[string]json.RawMessage
	json.Unmarshal(prod, &raw)
	var nodes map[string]json.RawMessage
	json.Unmarshal(raw["nodes"], &nodes)
	const gone = "model.jaffle_shop.customers_0007"
	if _, ok := nodes[gone]; !ok {
		t.Fatalf("%s is not in the synthetic manifest", gone)
	}
	delete(nodes, gone)
	raw["nodes"], _ = json.Marshal(nodes)
	prod, _ = json.Marshal(raw)

	p, err := Open(Inputs{Manifest: dev, State: prod})
	if err != nil {
		t.Fatal(err)
	}
	all, err := p.Nodes(NodesQuery{ResourceType: []string{"model"}, Limit: MaxNodesLimit})
	if err != nil {
		t.Fatal(err)
	}
	if all.Total < 5000 {
		t.Fatalf("%d models: the test wants 5000+", all.Total)
	}
	modified := 0
	for _, s := range all.Nodes {
		want := "unchanged"
		switch {
		case s.UniqueID == gone:
			want = "new"
		case string(dm.Nodes[s.UniqueID].Checksum) != string(pm.Nodes[s.UniqueID].Checksum):
			want = "modified"
			modified++
		}
		if s.State != want {
			t.Errorf("%s: state %q, want %q", s.UniqueID, s.State, want)
		}
	}
	if modified == 0 {
		t.Fatal("the synthetic prod changed no body")
	}
	def, _ := p.Nodes(NodesQuery{})
	if len(def.Nodes) != DefaultNodesLimit || def.Total <= DefaultNodesLimit {
		t.Fatalf("default page %d of %d", len(def.Nodes), def.Total)
	}
	r, _ := p.Lineage(LineageQuery{Node: "stg_orders_0001", Down: true, Depth: 1000})
	if len(r.Nodes) > DefaultLineageLimit {
		t.Fatalf("lineage %d nodes over the default limit", len(r.Nodes))
	}
}
