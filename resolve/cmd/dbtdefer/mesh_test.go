package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
)

// TestUpstreamAndStateCatalogFlags: --upstream NAME=PATH reads the
// producer's manifest (a cross-project ref gets its relation_name, rule
// cross-project), a malformed flag is a usage error, and --state-catalog
// answers a deferred ref's columns from production's catalog.
func TestUpstreamAndStateCatalogFlags(t *testing.T) {
	mesh := filepath.Join(corpus.Curated(), "mesh-dpguthrie-snowflake")
	var m struct {
		Nodes map[string]struct {
			RelationName string `json:"relation_name"`
		} `json:"nodes"`
	}
	b, _ := os.ReadFile(filepath.Join(mesh, "upstream", "manifest.json"))
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	args := []string{"resolve", "--json", "--manifest", filepath.Join(mesh, "downstream", "manifest.json"),
		"--upstream", "upstream=" + filepath.Join(mesh, "upstream", "manifest.json"), "--from", "agg_segment_page_views", "upstream.int_segment__tracks"}
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var r struct{ Relation, Env, Rule string }
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if r.Relation != m.Nodes["model.upstream.int_segment__tracks"].RelationName || r.Env != "upstream" || r.Rule != "cross-project" {
		t.Errorf("%+v", r)
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"resolve", "--manifest", filepath.Join(mesh, "downstream", "manifest.json"), "--upstream", "upstream", "this"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "NAME=PATH") {
		t.Errorf("bad --upstream: exit %d, %s", code, errb.String())
	}

	duck := filepath.Join(corpus.Curated(), "defer-mrkidbk-duckdb")
	sql := filepath.Join(t.TempDir(), "cols.sql")
	os.WriteFile(sql, []byte("{{ adapter.get_columns_in_relation(ref('orders')) | map(attribute='name') | join(',') }}"), 0o644)
	out.Reset()
	errb.Reset()
	args = []string{"compile", "--manifest", filepath.Join(duck, "dev", "manifest.json"), "--state", filepath.Join(duck, "prod", "manifest.json"),
		"--state-catalog", filepath.Join(duck, "prod", "catalog.json"), "--defer", "favor-state", "--sql", sql}
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var cat struct {
		Nodes map[string]struct {
			Columns map[string]struct {
				Name  string `json:"name"`
				Index int    `json:"index"`
			} `json:"columns"`
		} `json:"nodes"`
	}
	cb, _ := os.ReadFile(filepath.Join(duck, "prod", "catalog.json"))
	if err := json.Unmarshal(cb, &cat); err != nil {
		t.Fatal(err)
	}
	cols := make([]string, len(cat.Nodes["model.jaffle_shop.orders"].Columns))
	for _, c := range cat.Nodes["model.jaffle_shop.orders"].Columns {
		cols[c.Index-1] = c.Name
	}
	if got := strings.TrimSpace(out.String()); got != strings.Join(cols, ",") || len(cols) == 0 {
		t.Errorf("columns %q, want %q (stderr %s)", got, strings.Join(cols, ","), errb.String())
	}
}
