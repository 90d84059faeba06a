package resolve

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
)

// docsToggleCases are dbt_project.yml lines with and without the markers,
// including shapes the job's expressions leave alone.
const docsToggleCases = `vars:
  hubspot:
    # hubspot_service_enabled: true # @docs-include
    #hubspot_tight: true # @docs-include
    # hubspot_no_marker: true
    # hubspot_two: true # note # @docs-include
    	# tabbed: 1 # @docs-include
    hubspot__company_pass_through_columns: # @docs-ignore
      - name: "x" # @docs-ignore
    keep: 1 #@docs-ignore
    keep_too: 2
    # # @docs-include
`

// TestDocsToggles: DocsToggles edits dbt_project.yml as Fivetran's docs job
// does; the oracle is GNU sed running the job's two expressions.
func TestDocsToggles(t *testing.T) {
	got := string(DocsToggles([]byte(docsToggleCases)))
	sed, err := exec.LookPath("sed")
	if err != nil {
		t.Skip("no sed")
	}
	cmd := exec.Command(sed, "-E",
		"-e", `s/^([[:space:]]*)# ([^#]*)(# .*@docs-include.*)/\1\2\3/`,
		"-e", `s/^([[:space:]]*)([^#][^#]*)(# .*@docs-ignore.*)/\1# \2\3/`)
	cmd.Stdin = strings.NewReader(docsToggleCases)
	want, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("DocsToggles:\n%s\nsed:\n%s", got, want)
	}
	if !strings.Contains(got, "\n    hubspot_service_enabled: true # @docs-include\n") || !strings.Contains(got, "\n    # hubspot__company_pass_through_columns: # @docs-ignore\n") {
		t.Errorf("the marked lines were not toggled:\n%s", got)
	}
}

// TestRestate: restate.yml's --vars and docs toggles reach the compile
// request; a folder without one changes nothing; a malformed one is an
// error naming the file.
func TestRestate(t *testing.T) {
	dir := t.TempDir()
	man, err := os.ReadFile(filepath.Join(corpus.Curated(), "defer-jaffle-shop-postgres", "dev", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "manifest.json"), man, 0o644)
	os.WriteFile(filepath.Join(dir, "dbt_project.yml"), []byte("name: jaffle_shop\nvars:\n  a: 1\n  # b: 2 # @docs-include\n  c: 3 # @docs-ignore\n"), 0o644)
	f, err := ReadProjectFiles(filepath.Join(dir, "manifest.json"), "")
	if err != nil {
		t.Fatal(err)
	}
	restate := t.TempDir()
	if ok, err := f.Restate(restate); ok || err != nil {
		t.Fatalf("no restate.yml: applied=%v err=%v", ok, err)
	}
	if f.Request.ProjectVars["b"] != nil || f.Request.ProjectVars["c"] == nil {
		t.Fatalf("before: %v", f.Request.ProjectVars)
	}
	os.WriteFile(filepath.Join(restate, RestateFile), []byte("docs_toggles: true\nvars:\n  jaffle_schema: public\n"), 0o644)
	if ok, err := f.Restate(restate); !ok || err != nil {
		t.Fatalf("applied=%v err=%v", ok, err)
	}
	pv := f.Request.ProjectVars
	if pv["a"] == nil || pv["b"] == nil || pv["c"] != nil || f.Request.Vars["jaffle_schema"] != "public" {
		t.Errorf("after: project vars %v, vars %v", pv, f.Request.Vars)
	}
	os.WriteFile(filepath.Join(restate, RestateFile), []byte("docs_toggle: true\n"), 0o644)
	if _, err := f.Restate(restate); err == nil || !strings.Contains(err.Error(), RestateFile) || !strings.Contains(err.Error(), "docs_toggle") {
		t.Errorf("unknown key: err = %v", err)
	}
}

// TestMissingTestArguments: a generic test whose recorded kwargs lack an
// argument its macro requires (Fusion preview manifests drop them) is not
// self-contained, and the compile says which argument is missing.
func TestMissingTestArguments(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(corpus.Curated(), "defer-jaffle-shop-postgres", "dev", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	const uid = "test.jaffle_shop.relationships_orders_customer_id__customer_id__ref_stg_customers_.918495ce16"
	full, err := Open(Inputs{Manifest: data})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := full.Compile(CompileRequest{Model: uid}); err != nil || !res.SelfContained {
		t.Fatalf("with every argument: self-contained=%v err=%v", res != nil && res.SelfContained, err)
	}
	// Drop "to" and "field" as a Fusion preview manifest does.
	i := bytes.Index(data, []byte(`"`+uid+`"`))
	j := bytes.Index(data[i:], []byte(`"kwargs": {`))
	if i < 0 || j < 0 {
		t.Fatal("test node not found")
	}
	k := i + j + len(`"kwargs": {`)
	end := bytes.Index(data[k:], []byte(`"column_name"`))
	cut := append(append([]byte{}, data[:k]...), data[k+end:]...)
	p, err := Open(Inputs{Manifest: cut})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Compile(CompileRequest{Model: uid})
	if err != nil {
		t.Fatal(err)
	}
	out := strings.Join(res.Outside, "\n")
	if res.SelfContained || !strings.Contains(out, "test argument to ") || !strings.Contains(out, "test argument field ") {
		t.Errorf("self-contained=%v outside=%q", res.SelfContained, res.Outside)
	}
}
