package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
)

// TestStateCommand: `dbtdefer state` links to a dbt Cloud run, and
// --state-run-results puts production's status on deferred refs, with a
// warning line for a failed parent.
func TestStateCommand(t *testing.T) {
	kb := filepath.Join(corpus.Curated(), "kbrock-snowflake", "manifest.json")
	var out, errb bytes.Buffer
	if code := run([]string{"state", "--json", "--state", kb, "--run-url", "https://cloud.getdbt.com/deploy/1/projects/{DBT_CLOUD_PROJECT_ID}/runs/{DBT_CLOUD_RUN_ID}"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var info struct {
		Run   struct{ URL, ID string }
		Age   *int64
		Stale bool
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &info); err != nil {
		t.Fatal(err)
	}
	if info.Run.URL != "https://cloud.getdbt.com/deploy/1/projects/102886/runs/198836464" || info.Age == nil || !info.Stale {
		t.Errorf("state = %s", lines[len(lines)-1])
	}
	if !strings.Contains(out.String(), `"code":"state.stale"`) {
		t.Errorf("no state.stale warning line: %s", out.String())
	}
	out.Reset()
	if code := run([]string{"state", "--state", kb, "--run-url", "javascript:alert(1)"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "only http and https") {
		t.Errorf("bad template: exit %d, %s", code, errb.String())
	}

	td := filepath.Join(corpus.Curated(), "teradata-pibbers")
	out.Reset()
	args := []string{"resolve", "--json", "--manifest", filepath.Join(td, "manifest.json"), "--state", filepath.Join(td, "manifest.json"),
		"--state-run-results", filepath.Join(td, "run_results.json"), "--defer", "favor-state", "--stale-after", "0", "lim_market_competitors", "stg_orders"}
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var warned, errored, ok bool
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r struct {
			Ref      string
			StateRun *struct{ Status string }
			Warning  *struct{ Code string }
		}
		json.Unmarshal([]byte(l), &r)
		switch {
		case r.Warning != nil:
			warned = warned || r.Warning.Code == "state.parent_not_success"
			if r.Warning.Code == "state.stale" {
				t.Error("--stale-after 0 still warned")
			}
		case r.Ref == "lim_market_competitors":
			errored = r.StateRun != nil && r.StateRun.Status == "error"
		case r.Ref == "stg_orders":
			ok = r.StateRun != nil && r.StateRun.Status == "success"
		}
	}
	if !warned || !errored || !ok {
		t.Errorf("warned %v, error status %v, success status %v:\n%s", warned, errored, ok, out.String())
	}
}
