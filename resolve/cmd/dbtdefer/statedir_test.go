package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
)

// TestStateDirectory: --state takes a run's artifacts folder as dbt does
// (its manifest.json), and a folder without one is dbt's error (spec 8.6/42).
func TestStateDirectory(t *testing.T) {
	d := filepath.Join(corpus.Curated(), "defer-jaffle-shop-postgres")
	var out, errb bytes.Buffer
	if code := run([]string{"resolve", "--manifest", filepath.Join(d, "dev", "manifest.json"), "--state", filepath.Join(d, "prod"),
		"--defer", "standard", "--from", "customers", "stg_customers"}, &out, &errb); code != 0 || !strings.Contains(out.String(), `"env":"state"`) {
		t.Fatalf("state folder: exit %d\n%s%s", code, out.String(), errb.String())
	}
	empty := t.TempDir()
	os.WriteFile(filepath.Join(empty, "run_results.json"), []byte("{}"), 0o644)
	out.Reset()
	errb.Reset()
	code := run([]string{"resolve", "--json", "--manifest", filepath.Join(d, "dev", "manifest.json"), "--state", empty,
		"--defer", "standard", "--from", "customers", "stg_customers"}, &out, &errb)
	want := `Could not find manifest in --state path: \"` + empty + `\"`
	if code != 2 || !strings.Contains(errb.String(), want) || !strings.Contains(errb.String(), `"code":"state.no_manifest"`) {
		t.Fatalf("folder without a manifest: exit %d, stderr %s", code, errb.String())
	}
}
