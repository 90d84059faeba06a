package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve"
	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
)

// The oracle of the nodes, node and lineage tests is the jaffle-shop dev
// manifest read with encoding/json: what dbt wrote (names, paths,
// depends_on, parent_map, child_map), not what the engine's index says.

type jaffleNode struct {
	Name         string `json:"name"`
	ResourceType string `json:"resource_type"`
	PackageName  string `json:"package_name"`
	OriginalPath string `json:"original_file_path"`
	Description  string `json:"description"`
	RawCode      string `json:"raw_code"`
	Config       struct {
		Materialized string `json:"materialized"`
	} `json:"config"`
	DependsOn struct {
		Nodes []string `json:"nodes"`
	} `json:"depends_on"`
	Columns map[string]struct {
		Description string `json:"description"`
	} `json:"columns"`
}

type jaffleManifest struct {
	Nodes     map[string]jaffleNode `json:"nodes"`
	ParentMap map[string][]string   `json:"parent_map"`
	ChildMap  map[string][]string   `json:"child_map"`
}

func jaffle(t *testing.T) (dev, prod string, m jaffleManifest) {
	t.Helper()
	d := filepath.Join(corpus.Curated(), "defer-jaffle-shop-postgres")
	dev, prod = filepath.Join(d, "dev", "manifest.json"), filepath.Join(d, "prod", "manifest.json")
	data, err := os.ReadFile(dev)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return dev, prod, m
}

// runOK runs dbtdefer and fails the test unless it exits 0.
func runOK(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("dbtdefer %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

// runJSON runs dbtdefer with --json and decodes its last stdout line.
func runJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out, _ := runOK(t, append(args, "--json")...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), v); err != nil {
		t.Fatalf("dbtdefer %s: %v in %s", strings.Join(args, " "), err, out)
	}
}

// runFails runs dbtdefer with --json, wants exit code 2 and the error code.
func runFails(t *testing.T, code string, args ...string) map[string]any {
	t.Helper()
	var out, errb bytes.Buffer
	exit := run(append(args, "--json"), &out, &errb)
	var e map[string]any
	if exit != 2 || json.Unmarshal(errb.Bytes(), &e) != nil || e["code"] != code {
		t.Fatalf("dbtdefer %s: want exit 2 and %s, got exit %d: %s", strings.Join(args, " "), code, exit, errb.String())
	}
	return e
}

// TestNodesCommand: `dbtdefer nodes` lists the 13 models and 6 seeds of the
// manifest, named, typed and pathed as dbt wrote them, one line each;
// --type, --query and pages narrow it; with --state, a node whose checksum
// changed is [modified] and one production lacks is [new].
func TestNodesCommand(t *testing.T) {
	dev, prod, m := jaffle(t)
	var all resolve.NodesResult
	runJSON(t, &all, "nodes", "--manifest", dev, "--limit", "1000")
	if all.Total != 19 || len(all.Nodes) != 19 {
		t.Fatalf("total %d, %d rows; the manifest has 13 models and 6 seeds", all.Total, len(all.Nodes))
	}
	for _, s := range all.Nodes {
		n, ok := m.Nodes[s.UniqueID]
		if !ok || s.Name != n.Name || s.ResourceType != n.ResourceType || s.Package != n.PackageName || s.Path != n.OriginalPath ||
			s.Materialized != n.Config.Materialized || s.State != "" {
			t.Errorf("%+v; the manifest says %+v", s, n)
		}
	}
	out, _ := runOK(t, "nodes", "--manifest", dev)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 19 {
		t.Fatalf("text: %d lines:\n%s", len(lines), out)
	}
	for i, l := range lines {
		f, s := strings.Fields(l), all.Nodes[i]
		if len(f) != 4 || f[0] != s.ResourceType || f[1] != s.Name || f[2] != s.Path || f[3] != s.Materialized {
			t.Errorf("line %q; want %s %s %s %s", l, s.ResourceType, s.Name, s.Path, s.Materialized)
		}
	}
	var seeds, sources resolve.NodesResult
	runJSON(t, &seeds, "nodes", "--manifest", dev, "--type", "seed")
	runJSON(t, &sources, "nodes", "--manifest", dev, "--type", "source,seed", "--type", "model", "--package", "jaffle_shop", "--limit", "100")
	if seeds.Total != 6 || sources.Total != 25 {
		t.Errorf("--type seed: %d; source,seed + model: %d (6 sources, 6 seeds, 13 models)", seeds.Total, sources.Total)
	}
	for _, s := range seeds.Nodes {
		if m.Nodes[s.UniqueID].ResourceType != "seed" {
			t.Errorf("--type seed listed %s", s.UniqueID)
		}
	}
	var q resolve.NodesResult
	runJSON(t, &q, "nodes", "--manifest", dev, "--query", "stg_cust")
	if len(q.Nodes) == 0 || q.Nodes[0].UniqueID != "model.jaffle_shop.stg_customers" {
		t.Errorf("--query stg_cust: %+v", q.Nodes)
	}
	var note bytes.Buffer // the paging note goes to the commands' stderr
	stderr = &note
	defer func() { stderr = os.Stderr }()
	out, _ = runOK(t, "nodes", "--manifest", dev, "--limit", "5", "--offset", "15")
	got := strings.Split(strings.TrimSpace(out), "\n")
	if len(got) != 4 || strings.Join(strings.Fields(got[0]), " ") != strings.Join(strings.Fields(lines[15]), " ") || note.String() != "rows 16-19 of 19\n" {
		t.Errorf("--limit 5 --offset 15: %q, stderr %q", got, note.String())
	}
	note.Reset()
	runOK(t, "nodes", "--manifest", dev, "--limit", "10")
	if note.String() != "rows 1-10 of 19 (--offset 10 for more)\n" {
		t.Errorf("--limit 10: stderr %q", note.String())
	}
	// a changed body and a node production lacks
	tmp := t.TempDir()
	pdev := writePatched(t, tmp, "dev.json", dev, `{"nodes": {"model.jaffle_shop.customers": {"raw_code": "select 1", "checksum": {"name": "sha256", "checksum": "0123abcd"}}}}`)
	pprod := writePatched(t, tmp, "prod.json", prod, `{"nodes": {"model.jaffle_shop.products": null}}`)
	out, _ = runOK(t, "nodes", "--manifest", pdev, "--state", pprod, "--type", "model")
	marks := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		marks[f[1]] = strings.Join(f[4:], " ")
	}
	want := map[string]string{}
	for _, n := range m.Nodes {
		if n.ResourceType == "model" {
			want[n.Name] = ""
		}
	}
	want["customers"], want["products"] = "[modified]", "[new]"
	if !reflect.DeepEqual(marks, want) {
		t.Errorf("with --state: got %v, want %v\n%s", marks, want, out)
	}
	runFails(t, "options.invalid", "nodes", "--manifest", dev, "--type", "modle")
	runFails(t, "options.invalid", "nodes", "--manifest", dev, "--offset", "-1")
	runFails(t, "cli.usage", "nodes", "--manifest", dev, "--limit", "ten")
	runFails(t, "cli.usage", "nodes", "--manifest", dev, "customers")
	runFails(t, "cli.usage", "nodes")
}

// TestNodeCommand: `dbtdefer node` describes customers as the manifest
// does: path, description, code, columns, parents (depends_on.nodes), and
// from child_map its tests and its other children.
func TestNodeCommand(t *testing.T) {
	dev, _, m := jaffle(t)
	const uid = "model.jaffle_shop.customers"
	n := m.Nodes[uid]
	var tests, children []string
	for _, c := range m.ChildMap[uid] {
		if strings.HasPrefix(c, "test.") {
			tests = append(tests, c)
		} else {
			children = append(children, c)
		}
	}
	var cols []string
	for c := range n.Columns {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	for _, name := range []string{"customers", uid} {
		var d resolve.NodeDetail
		runJSON(t, &d, "node", "--manifest", dev, name)
		var gotTests, gotCols []string
		for _, x := range d.Tests {
			gotTests = append(gotTests, x.UniqueID)
		}
		for _, c := range d.Columns {
			gotCols = append(gotCols, c.Name)
			if c.Description != n.Columns[c.Name].Description {
				t.Errorf("column %s: %q, the manifest says %q", c.Name, c.Description, n.Columns[c.Name].Description)
			}
		}
		sort.Strings(gotCols)
		if d.UniqueID != uid || d.OriginalFilePath != n.OriginalPath || d.Description != n.Description || d.RawCode != n.RawCode ||
			d.Materialized != n.Config.Materialized || !reflect.DeepEqual(d.DependsOn, n.DependsOn.Nodes) ||
			!reflect.DeepEqual(gotTests, tests) || !reflect.DeepEqual(d.Children, children) || !reflect.DeepEqual(gotCols, cols) {
			t.Errorf("%s: %+v", name, d)
		}
	}
	out, _ := runOK(t, "node", "--manifest", dev, "customers")
	for _, want := range append([]string{"unique_id:    " + uid, "path:         " + n.OriginalPath, "materialized: table", "\n  " + n.DependsOn.Nodes[0] + "\n", "\n  customer_id: "},
		strings.Split(strings.TrimSpace(n.RawCode), "\n")[0]) {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	if e := runFails(t, "node.not_found", "node", "--manifest", dev, "customerz"); e["location"].(map[string]any)["suggestion"] != "customers" {
		t.Errorf("no suggestion: %v", e)
	}
	runFails(t, "cli.usage", "node", "--manifest", dev)
	runFails(t, "cli.usage", "node", "--manifest", dev, "a", "b")
}

// TestLineageCommand: `dbtdefer lineage` walks parent_map (up) and
// child_map (down) to --depth, tests only with --tests, every edge one of
// child_map's; under --defer standard the parents nothing says exist in
// dev resolve to production; text output is one line per node.
func TestLineageCommand(t *testing.T) {
	dev, prod, m := jaffle(t)
	const uid = "model.jaffle_shop.customers"
	near := func(links map[string][]string, depth int, tests bool) map[string]int {
		seen := map[string]int{uid: 0}
		frontier := []string{uid}
		for d := 1; d <= depth; d++ {
			var next []string
			for _, id := range frontier {
				for _, o := range links[id] {
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
		args     []string
		up, down int
		tests    bool
	}{
		{[]string{"--down=false", "--depth", "2"}, 2, 0, false},
		{[]string{"--up=false", "--tests"}, 0, 1, true},
		{[]string{"--depth", "3"}, 3, 3, false},
	} {
		var res resolve.LineageResult
		runJSON(t, &res, append(append([]string{"lineage", "--manifest", dev, "--state", prod, "--defer", "standard"}, tc.args...), "customers")...)
		want := map[string]int{uid: 0}
		if tc.up > 0 {
			for id, d := range near(m.ParentMap, tc.up, tc.tests) {
				want[id] = -d
			}
		}
		if tc.down > 0 {
			for id, d := range near(m.ChildMap, tc.down, tc.tests) {
				if _, ok := want[id]; !ok {
					want[id] = d
				}
			}
		}
		got := map[string]int{}
		for _, n := range res.Nodes {
			got[n.UniqueID] = n.Depth
			if _, isModel := m.Nodes[n.UniqueID]; isModel && n.Depth < 0 && m.Nodes[n.UniqueID].ResourceType == "model" && (n.Env != "state" || !strings.Contains(n.Relation, `"prod"`)) {
				t.Errorf("%v: parent %s resolves to %s %s (%s), not production", tc.args, n.UniqueID, n.Env, n.Relation, n.Rule)
			}
		}
		if res.Root != uid || res.Truncated || !reflect.DeepEqual(got, want) {
			t.Errorf("%v: root %s truncated %v\n got %v\nwant %v", tc.args, res.Root, res.Truncated, got, want)
		}
		for _, e := range res.Edges {
			if !inList(m.ChildMap[e.From], e.To) {
				t.Errorf("%v: edge %s -> %s is not in child_map", tc.args, e.From, e.To)
			}
		}
		if res.Nodes[0].UniqueID != uid || res.Nodes[0].Env != "dev" || res.Nodes[0].Rule != "this-never-deferred" {
			t.Errorf("%v: root %+v", tc.args, res.Nodes[0])
		}
	}
	// text: one line per node, parents above the root, the root marked
	out, _ := runOK(t, "lineage", "--manifest", dev, "--state", prod, "--defer", "standard", "--down=false", "customers")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	parents := m.ParentMap[uid]
	if len(lines) != len(parents)+1 || !strings.HasPrefix(lines[len(lines)-1], "0 ") || !strings.Contains(lines[len(lines)-1], "customers *") {
		t.Fatalf("text:\n%s", out)
	}
	for _, l := range lines[:len(parents)] {
		f := strings.Fields(l)
		if len(f) != 6 || f[0] != "-1" || !inList(parents, "model.jaffle_shop."+f[2]) || f[4] != "state" {
			t.Errorf("parent line %q", l)
		}
	}
	var small resolve.LineageResult
	runJSON(t, &small, "lineage", "--manifest", dev, "--depth", "3", "--limit", "2", "customers")
	if !small.Truncated || len(small.Nodes) != 2 {
		t.Errorf("--limit 2: truncated %v, %d nodes", small.Truncated, len(small.Nodes))
	}
	runFails(t, "defer.no_state", "lineage", "--manifest", dev, "--defer", "standard", "customers")
	runFails(t, "node.not_found", "lineage", "--manifest", dev, "customerz")
	runFails(t, "options.invalid", "lineage", "--manifest", dev, "--limit", "10001", "customers")
	runFails(t, "cli.usage", "lineage", "--manifest", dev, "--up=maybe", "customers")
	runFails(t, "cli.usage", "lineage", "--manifest", dev)
}

func inList(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
