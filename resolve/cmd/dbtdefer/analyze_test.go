package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAnalyzeCommand: diagnostics print as FILE:LINE:COLUMN: SEVERITY:
// MESSAGE [CODE], the exit code is 1 with an error among them and 0
// without; --json is the analyze answer.
func TestAnalyzeCommand(t *testing.T) {
	d := "../../testdata/manifests/defer-jaffle-shop-postgres"
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.sql")
	os.WriteFile(bad, []byte("select *\n  from {{ ref('stg_orderz') }}"), 0o644)
	good := filepath.Join(dir, "good.sql")
	os.WriteFile(good, []byte("select * from {{ ref('stg_orders') }}"), 0o644)
	var out, errb bytes.Buffer
	code := run([]string{"analyze", "--manifest", filepath.Join(d, "dev", "manifest.json"), "--model", "customers", bad}, &out, &errb)
	if want := bad + ":2:15: error: "; code != 1 || !strings.HasPrefix(out.String(), want) || !strings.Contains(out.String(), "[ref.not_found]") {
		t.Errorf("exit %d, %q (want it to start %q); stderr %s", code, out.String(), want, errb.String())
	}
	out.Reset()
	code = run([]string{"analyze", "--json", "--manifest", filepath.Join(d, "dev", "manifest.json"), "--state", filepath.Join(d, "prod", "manifest.json"), "--defer", "standard", "--model", "customers", good}, &out, &errb)
	var res struct {
		Calls []struct {
			Kind       string
			Resolution struct{ Relation, Env string }
		}
		Diagnostics []any
	}
	if code != 0 || json.Unmarshal(out.Bytes(), &res) != nil || len(res.Calls) != 1 || res.Calls[0].Resolution.Env != "state" || len(res.Diagnostics) != 0 {
		t.Errorf("exit %d: %s", code, out.String())
	}
}
