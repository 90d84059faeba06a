package resolve

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
)

// hostileManifest builds a v12 postgres manifest of project "shop" whose
// model "a" has huge raw_code and description, plus nBig models whose names
// (and aliases) are bigName bytes long.
func hostileManifest(t testing.TB, schema string, nBig, bigName int) []byte {
	node := func(name, code, desc string) map[string]any {
		return map[string]any{
			"unique_id": "model.shop." + name, "resource_type": "model", "package_name": "shop", "name": name,
			"alias": name, "database": "analytics", "schema": schema, "fqn": []string{"shop", name},
			"raw_code": code, "description": desc, "config": map[string]any{"materialized": "table", "enabled": true},
			"refs": []any{}, "sources": []any{}, "depends_on": map[string]any{"nodes": []string{}, "macros": []string{}},
		}
	}
	nodes := map[string]any{
		"model.shop.a": node("a", "select 1 as x -- "+strings.Repeat("x", 4<<20), strings.Repeat("d", 1<<20)),
	}
	for i := 0; i < nBig; i++ {
		name := fmt.Sprintf("b%04d_%s", i, strings.Repeat("n", bigName))
		nodes["model.shop."+name] = node(name, "select 2", "")
	}
	m := map[string]any{
		"metadata": map[string]any{"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
			"dbt_version": "1.9.4", "adapter_type": "postgres", "project_name": "shop", "invocation_id": strings.Repeat("i", 1<<20)},
		"nodes": nodes, "sources": map[string]any{}, "macros": map[string]any{}, "disabled": map[string]any{},
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOversizedStrings: a manifest made of huge strings (4 MiB raw_code,
// 1 MiB description and invocation_id, 100 model names of 32 KiB)
// opens, resolves, and answers a ref to an unknown huge name with a plain
// not-found error: no suggestion is searched for (edit distances between
// 32 KiB names, 100 of them, would take minutes).
func TestOversizedStrings(t *testing.T) {
	dev := hostileManifest(t, "dbt_alice", 100, 32<<10)
	st := hostileManifest(t, "prod", 100, 32<<10)
	p, err := Open(Inputs{Manifest: dev, State: st})
	if err != nil {
		t.Fatal(err)
	}
	big := p.Dev.Keys("nodes")[1] // after model.shop.a
	if !strings.HasPrefix(big, "model.shop.b0000_") {
		t.Fatalf("first node %.40s", big)
	}
	name := strings.TrimPrefix(big, "model.shop.")
	res, _, err := p.Resolve("a", []RefSpec{{Kind: "ref", Name: name}}, Options{Defer: deferral.FavorState, Select: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `"analytics"."prod"."` + name + `"`; res[0].Relation != want || res[0].Env != "state" {
		t.Errorf("huge name deferred to %.60s… (%s)", res[0].Relation, res[0].Env)
	}
	unknown := strings.Repeat("z", 32<<10)
	_, _, err = p.Resolve("a", []RefSpec{{Kind: "ref", Name: unknown}}, Options{})
	var de *diag.Error
	if !errors.As(err, &de) || de.Code != "ref.not_found" || de.Location.Suggestion != "" {
		t.Fatalf("unknown huge ref: %v", err)
	}
	// A typo of a short name still gets its suggestion among the huge ones.
	_, _, err = p.Resolve(big, []RefSpec{{Kind: "ref", Name: "aa"}}, Options{})
	if !errors.As(err, &de) || de.Location.Suggestion != "a" {
		t.Fatalf("typo: %v", err)
	}
	n, err := p.Dev.Node("model.shop.a")
	if err != nil || len(n.RawCode) < 4<<20 {
		t.Fatalf("huge raw_code: %v", err)
	}
}

// TestMaxManifestBytes: Inputs.MaxManifestBytes bounds the dev manifest and
// the state, each failing with manifest.too_large naming its file.
func TestMaxManifestBytes(t *testing.T) {
	small := []byte(`{"metadata": {"project_name": "shop", "adapter_type": "postgres"}, "nodes": {}}`)
	big := append([]byte(`{"metadata": {"project_name": "shop", "adapter_type": "postgres"}, "nodes": {}, "x": "`), append([]byte(strings.Repeat("y", 1000)), `"}`...)...)
	if _, err := Open(Inputs{Manifest: small, State: small, MaxManifestBytes: 200}); err != nil {
		t.Fatalf("under the limit: %v", err)
	}
	for _, in := range []Inputs{
		{Manifest: big, ManifestName: "dev.json", MaxManifestBytes: 200},
		{Manifest: small, State: big, StateName: "dev.json", MaxManifestBytes: 200},
		{Manifest: small, DeferState: big, DeferStateName: "dev.json", MaxManifestBytes: 200},
	} {
		_, err := Open(in)
		var de *diag.Error
		if !errors.As(err, &de) || de.Code != manifest.CodeTooLarge || de.Location.File != "dev.json" ||
			!strings.Contains(de.Message, "over the limit of 200 bytes") {
			t.Errorf("want %s naming dev.json, got %v", manifest.CodeTooLarge, err)
		}
	}
	// 0 means no limit.
	if _, err := Open(Inputs{Manifest: big}); err != nil {
		t.Fatal(err)
	}
}

// TestMismatchedInputsWarn: dev and state from different projects or
// adapters, and a catalog from another project, open with a warning each.
func TestMismatchedInputsWarn(t *testing.T) {
	man := func(project, adapter string) []byte {
		return []byte(fmt.Sprintf(`{"metadata": {"project_name": %q, "adapter_type": %q, "dbt_version": "1.9.0"}, "nodes": {
			"model.%[1]s.m": {"unique_id": "model.%[1]s.m", "resource_type": "model", "package_name": %[1]q, "name": "m", "schema": "s", "database": "d"}}}`, project, adapter))
	}
	catalog := func(uid string) []byte {
		return []byte(fmt.Sprintf(`{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/catalog/v1.json"}, "nodes": {
			%q: {"metadata": {"type": "VIEW", "schema": "s", "name": "m", "database": "d"}, "columns": {}}}, "sources": {}}`, uid))
	}
	cases := []struct {
		name string
		in   Inputs
		want []string
	}{
		{"same", Inputs{Manifest: man("shop", "postgres"), State: man("shop", "postgres"), Catalog: catalog("model.shop.m")}, nil},
		{"other project", Inputs{Manifest: man("shop", "postgres"), State: man("other", "postgres")}, []string{"state.project_mismatch"}},
		{"other adapter", Inputs{Manifest: man("shop", "postgres"), State: man("shop", "snowflake")}, []string{"state.adapter_mismatch"}},
		{"both", Inputs{Manifest: man("shop", "postgres"), State: man("other", "snowflake")}, []string{"state.adapter_mismatch", "state.project_mismatch"}},
		{"catalog of another project", Inputs{Manifest: man("shop", "postgres"), Catalog: catalog("model.other.m")}, []string{"catalog.project_mismatch"}},
	}
	for _, c := range cases {
		p, err := Open(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got []string
		for _, w := range p.Warnings {
			got = append(got, w.Code)
			if w.Message == "" || w.Location.File == "" {
				t.Errorf("%s: warning %s without a message or file", c.name, w.Code)
			}
		}
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("%s: warnings %v, want %v", c.name, got, c.want)
		}
	}
}

// TestCorpusCatalogs: each real catalog.json opened with the manifest beside
// it gives no catalog warning; opened with the next directory's manifest (a
// different project) it gives catalog.project_mismatch, unless it is empty.
func TestCorpusCatalogs(t *testing.T) {
	type pair struct {
		dir, project string
		man, cat     []byte
		listed       int
	}
	var pairs []pair
	for _, root := range corpus.Dirs() {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.Name() != "catalog.json" {
				return nil
			}
			man, err := os.ReadFile(filepath.Join(filepath.Dir(p), "manifest.json"))
			if err != nil {
				return nil // a lone catalog (reader fixtures)
			}
			cat, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			pairs = append(pairs, pair{dir: filepath.Dir(p), man: man, cat: cat})
			return nil
		})
	}
	if len(pairs) < 3 {
		t.Fatalf("found %d manifest+catalog directories", len(pairs))
	}
	warned := func(man, cat []byte) (bool, *Project) {
		p, err := Open(Inputs{Manifest: man, Catalog: cat})
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range p.Warnings {
			if w.Code == "catalog.project_mismatch" {
				return true, p
			}
		}
		return false, p
	}
	for i := range pairs {
		w, p := warned(pairs[i].man, pairs[i].cat)
		if w {
			t.Errorf("%s: its own catalog is said to be another project's", pairs[i].dir)
		}
		pairs[i].project, pairs[i].listed = p.Root, len(p.Oracle.CatalogIDs())
	}
	cross := 0
	for i, a := range pairs {
		b := pairs[(i+1)%len(pairs)]
		if a.project == b.project || b.listed == 0 {
			continue // an empty catalog says nothing about its project
		}
		cross++
		if w, _ := warned(a.man, b.cat); !w {
			t.Errorf("%s's manifest with %s's catalog: no warning", a.dir, b.dir)
		}
	}
	t.Logf("%d directories, %d cross-project pairings", len(pairs), cross)
}
