package resolve

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
)

// relationNames reads each node's relation_name with encoding/json.
func relationNames(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Nodes map[string]struct {
			RelationName string `json:"relation_name"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k, n := range m.Nodes {
		out[k] = n.RelationName
	}
	return out
}

func meshDir() string { return filepath.Join(corpus.Curated(), "mesh-dpguthrie-snowflake") }

func readMesh(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(meshDir(), p))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMeshCrossProject: on a real dbt Mesh pair, ref('upstream', m) from the
// consuming project is rule cross-project: the producer's relation, under
// every defer mode, from the node dbt Cloud embedded in the consumer's
// manifest or, when given, from the producer's own manifest. The expected
// relations are the relation_name dbt wrote in each manifest.
func TestMeshCrossProject(t *testing.T) {
	down := readMesh(t, "downstream/manifest.json")
	up := readMesh(t, "upstream/manifest.json")
	embedded := relationNames(t, filepath.Join(meshDir(), "downstream", "manifest.json"))
	producer := relationNames(t, filepath.Join(meshDir(), "upstream", "manifest.json"))
	const from = "model.tpch.agg_segment_page_views"
	for _, c := range []struct {
		in     Inputs
		want   map[string]string
		source string
	}{
		{Inputs{Manifest: down, State: down}, embedded, "embedded"},
		{Inputs{Manifest: down, State: down, Upstream: []UpstreamManifest{{Project: "upstream", Name: "upstream/manifest.json", Manifest: up}}}, producer, "manifest"},
	} {
		p, err := Open(c.in)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"int_segment__pages", "int_segment__tracks", "int_segment__link_clicked"} {
			uid := "model.upstream." + name
			for _, mode := range []deferral.Mode{deferral.Off, deferral.Standard, deferral.FavorState} {
				refs, _, err := p.Resolve(from, []RefSpec{{Kind: "ref", Package: "upstream", Name: name}}, Options{Defer: mode, Select: []string{}})
				if err != nil {
					t.Fatalf("%s %s %v: %v", c.source, name, mode, err)
				}
				r := refs[0]
				if r.Relation != c.want[uid] || r.Env != deferral.Upstream || r.Rule != deferral.RuleCrossProject || r.UniqueID != uid || r.Upstream == nil || r.Upstream.Source != c.source {
					t.Errorf("%s %s %v: %+v, want %s", c.source, name, mode, r, c.want[uid])
				}
			}
		}
		// A compiled preview reads the same relation.
		sql := "select * from {{ ref('upstream', 'int_segment__pages') }}"
		res, err := p.Compile(CompileRequest{Model: from, SQL: &sql, Options: Options{Defer: deferral.FavorState}})
		if err != nil || res.SQL != "select * from "+c.want["model.upstream.int_segment__pages"] || res.Refs[0].Env != deferral.Upstream {
			t.Errorf("%s compile: %v %+v", c.source, err, res)
		}
	}
	if embedded["model.upstream.int_segment__pages"] == producer["model.upstream.int_segment__pages"] {
		t.Fatal("the pair's two relations should differ (prod schema embedded, the producer's manifest in dev)")
	}
}

// TestMeshErrors: dbt's errors for another project's protected, private,
// unknown and disabled models, and the checks on the inputs.
func TestMeshErrors(t *testing.T) {
	down := readMesh(t, "downstream/manifest.json")
	up := readMesh(t, "upstream/manifest.json")
	p, err := Open(Inputs{Manifest: down, Upstream: []UpstreamManifest{{Project: "upstream", Manifest: up}},
		DependenciesYml: readMesh(t, "downstream/dependencies.yml")})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range p.Warnings {
		if strings.HasPrefix(w.Code, "upstream.") {
			t.Errorf("listed upstream warned: %v", w)
		}
	}
	_, _, err = p.Resolve("agg_segment_page_views", []RefSpec{{Kind: "ref", Package: "upstream", Name: "stg_dbtc__pages"}}, Options{})
	want := "Node model.tpch.agg_segment_page_views attempted to reference node model.upstream.stg_dbtc__pages, which is not allowed because the referenced node is protected to the 'upstream' package."
	if de, ok := err.(*diag.Error); !ok || de.Code != "ref.protected" || de.Message != want {
		t.Errorf("protected: %v", err)
	}
	_, _, err = p.Resolve("agg_segment_page_views", []RefSpec{{Kind: "ref", Package: "upstream", Name: "int_segment_pages"}}, Options{})
	if de, ok := err.(*diag.Error); !ok || de.Code != "ref.not_found" || de.Location.Suggestion != "int_segment__pages" ||
		!strings.HasPrefix(de.Message, "Model 'model.tpch.agg_segment_page_views' (models/marts/aggregates/agg_segment_page_views.sql) depends on a node named 'int_segment_pages' in package or project 'upstream' which was not found") {
		t.Errorf("unknown: %v", err)
	}
	// A project dependencies.yml lists without a manifest or embedded nodes.
	q, err := Open(Inputs{Manifest: down, DependenciesYml: []byte("projects:\n  - name: finance\n")})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = q.Resolve("agg_segment_page_views", []RefSpec{{Kind: "ref", Package: "finance", Name: "revenue"}}, Options{})
	if err == nil || !strings.Contains(err.Error(), "listed in dependencies.yml") {
		t.Errorf("listed, no manifest: %v", err)
	}
	// An upstream manifest dependencies.yml does not list is warned about.
	q, err = Open(Inputs{Manifest: down, Upstream: []UpstreamManifest{{Project: "upstream", Manifest: up}}, DependenciesYml: []byte("projects:\n  - name: finance\n")})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, w := range q.Warnings {
		found = found || w.Code == "upstream.unlisted"
	}
	if !found {
		t.Errorf("no upstream.unlisted warning: %v", q.Warnings)
	}
	// The manifest must be the named project's, and not this one.
	if _, err := Open(Inputs{Manifest: down, Upstream: []UpstreamManifest{{Project: "finance", Manifest: up}}}); err == nil || !strings.Contains(err.Error(), `is of project "upstream"`) {
		t.Errorf("mismatch: %v", err)
	}
	if _, err := Open(Inputs{Manifest: down, Upstream: []UpstreamManifest{{Project: "tpch", Manifest: up}}}); err == nil || !strings.Contains(err.Error(), "this project itself") {
		t.Errorf("self: %v", err)
	}
}

// TestMeshVersionsAndGroups: with real producers from the shared corpus, an
// unpinned cross-project ref reads the latest version and v= pins one;
// a private model is refused with dbt's group wording.
func TestMeshVersionsAndGroups(t *testing.T) {
	shared := corpus.Shared()
	if shared == "" {
		t.Skip("shared corpus absent")
	}
	down := readMesh(t, "downstream/manifest.json")
	analytics := filepath.Join(shared, "snowflake-sa-standard-pair", "a", "manifest.json")
	jaffle := filepath.Join(shared, "dbtdocs-jaffle-1.5b5-snowflake", "manifest.json")
	ab, err := os.ReadFile(analytics)
	if err != nil {
		t.Skip(err)
	}
	jb, err := os.ReadFile(jaffle)
	if err != nil {
		t.Skip(err)
	}
	rels := relationNames(t, analytics)
	p, err := Open(Inputs{Manifest: down, Upstream: []UpstreamManifest{{Project: "analytics", Manifest: ab}, {Project: "jaffle_shop", Manifest: jb}}})
	if err != nil {
		t.Fatal(err)
	}
	refs, _, err := p.Resolve("agg_segment_page_views", []RefSpec{
		{Kind: "ref", Package: "analytics", Name: "dim_customers"},
		{Kind: "ref", Package: "analytics", Name: "dim_customers", Version: "1"},
	}, Options{Defer: deferral.Off})
	if err != nil {
		t.Fatal(err)
	}
	if refs[0].UniqueID != "model.analytics.dim_customers.v2" || refs[0].Relation != rels["model.analytics.dim_customers.v2"] {
		t.Errorf("unpinned: %+v", refs[0])
	}
	if refs[1].UniqueID != "model.analytics.dim_customers.v1" || refs[1].Relation != rels["model.analytics.dim_customers.v1"] {
		t.Errorf("v1: %+v", refs[1])
	}
	_, _, err = p.Resolve("agg_segment_page_views", []RefSpec{{Kind: "ref", Package: "jaffle_shop", Name: "stg_customers"}}, Options{})
	want := "Node model.tpch.agg_segment_page_views attempted to reference node model.jaffle_shop.stg_customers, which is not allowed because the referenced node is private to the 'jaffle' group."
	if de, ok := err.(*diag.Error); !ok || de.Code != "ref.private" || de.Message != want {
		t.Errorf("private: %v", err)
	}
}
