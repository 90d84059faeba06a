package resolve

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
)

func curatedFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpus.Curated(), rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// metadataOf reads a manifest's metadata with encoding/json: the oracle.
func metadataOf(t *testing.T, data []byte) (m struct {
	InvocationID string            `json:"invocation_id"`
	GeneratedAt  string            `json:"generated_at"`
	Env          map[string]string `json:"env"`
}) {
	t.Helper()
	var doc struct {
		Metadata json.RawMessage `json:"metadata"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(doc.Metadata, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func hasCode(ds []diag.Diagnostic, code string) *diag.Diagnostic {
	for i := range ds {
		if ds[i].Code == code {
			return &ds[i]
		}
	}
	return nil
}

// TestRunLink: a dbt Cloud production manifest (kbrock-snowflake's prod
// run) names its run in metadata.env; a template links to it, and every
// deferred ref carries the run.
func TestRunLink(t *testing.T) {
	data := curatedFile(t, "kbrock-snowflake/manifest.json")
	md := metadataOf(t, data)
	tmpl := "https://cloud.getdbt.com/deploy/7/projects/{DBT_CLOUD_PROJECT_ID}/runs/{DBT_CLOUD_RUN_ID}?job={DBT_CLOUD_JOB_ID}"
	p, err := Open(Inputs{Manifest: data, State: data, RunURL: tmpl})
	if err != nil {
		t.Fatal(err)
	}
	if w := hasCode(p.Warnings, "state.run_url_placeholder"); w != nil {
		t.Fatalf("unexpected %s", w.Message)
	}
	run := p.StateInfo().Run
	want := "https://cloud.getdbt.com/deploy/7/projects/" + md.Env["DBT_CLOUD_PROJECT_ID"] + "/runs/" + md.Env["DBT_CLOUD_RUN_ID"] + "?job=" + md.Env["DBT_CLOUD_JOB_ID"]
	if run == nil || run.URL != want || run.ID != md.Env["DBT_CLOUD_RUN_ID"] || run.JobID != md.Env["DBT_CLOUD_JOB_ID"] ||
		run.Trigger != md.Env["DBT_CLOUD_RUN_REASON"] || run.Source != "dbt-cloud" || run.ProjectID != md.Env["DBT_CLOUD_PROJECT_ID"] {
		t.Fatalf("run = %+v, want url %s and the env's ids", run, want)
	}
	// A deferred ref carries it, in its JSON too.
	name := p.Dev.RefNames()[0]
	res, _, err := p.Resolve("", []RefSpec{{Kind: "ref", Name: name}}, Options{Defer: deferral.FavorState})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Env != deferral.State || res[0].State == nil || res[0].State.Run == nil || res[0].State.Run.URL != want {
		t.Fatalf("ref %s: env %s, state %+v", name, res[0].Env, res[0].State)
	}
	if j := string(res[0].AppendJSON(nil)); !strings.Contains(j, `"url":"`+strings.ReplaceAll(want, "&", `\u0026`)+`"`) {
		t.Errorf("ref JSON lacks the run URL: %s", j)
	}

	// A placeholder the metadata lacks: no URL, a warning naming it.
	p, err = Open(Inputs{Manifest: data, State: data, RunURL: "https://cloud.getdbt.com/deploy/{DBT_CLOUD_ACCOUNT_ID}/runs/{DBT_CLOUD_RUN_ID}"})
	if err != nil {
		t.Fatal(err)
	}
	if r := p.StateInfo().Run; r.URL != "" || r.ID != md.Env["DBT_CLOUD_RUN_ID"] {
		t.Errorf("missing placeholder: run = %+v, want no URL", r)
	}
	if w := hasCode(p.Warnings, "state.run_url_placeholder"); w == nil || !strings.Contains(w.Message, "DBT_CLOUD_ACCOUNT_ID") {
		t.Errorf("want a warning naming DBT_CLOUD_ACCOUNT_ID, got %v", p.Warnings)
	}

	// A run without dbt Cloud env is known by its invocation_id, and the
	// template's DBT_ENV_CUSTOM_ENV_ names and built-ins work.
	other := curatedFile(t, "defer-mrkidbk-duckdb/prod/manifest.json")
	omd := metadataOf(t, other)
	p, err = Open(Inputs{Manifest: other, State: other, RunURL: "http://ci.example/runs/{invocation_id}/{generated_at}"})
	if err != nil {
		t.Fatal(err)
	}
	r := p.StateInfo().Run
	if r.Source != "invocation" || r.ID != omd.InvocationID || r.URL != "http://ci.example/runs/"+omd.InvocationID+"/"+strings.ReplaceAll(omd.GeneratedAt, ":", "%3A") {
		t.Errorf("invocation run = %+v", r)
	}
}

// TestRunURLValues: a value cannot change the URL's structure, and only
// well-formed http(s) templates are accepted.
func TestRunURLValues(t *testing.T) {
	data := curatedFile(t, "kbrock-snowflake/manifest.json")
	evil := bytes.Replace(data, []byte(`"DBT_CLOUD_RUN_ID": "198836464"`), []byte(`"DBT_CLOUD_RUN_ID": "1/../../admin?x=<b>#"`), 1)
	if bytes.Equal(evil, data) {
		t.Fatal("the manifest's DBT_CLOUD_RUN_ID is not where the test expects it")
	}
	p, err := Open(Inputs{Manifest: data, State: evil, RunURL: "https://cloud.getdbt.com/runs/{DBT_CLOUD_RUN_ID}"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.StateInfo().Run.URL, "https://cloud.getdbt.com/runs/1%2F..%2F..%2Fadmin%3Fx%3D%3Cb%3E%23"; got != want {
		t.Errorf("escaped URL = %s, want %s", got, want)
	}
	for _, bad := range []string{"javascript:alert(1)//{DBT_CLOUD_RUN_ID}", "ftp://host/{x}", "https://host/{a b}", "https://host/}", "https://host/{x",
		"//host/{x}", "https://user@host/{x}", "https:///{x}", "data:text/html,<script>"} {
		_, err := Open(Inputs{Manifest: data, State: data, RunURL: bad})
		var de *diag.Error
		if !errors.As(err, &de) || de.Code != "options.run_url" {
			t.Errorf("template %q: err = %v, want options.run_url", bad, err)
		}
	}
}

// TestStateAge: the age is measured from generated_at; past the threshold
// the state is stale, with a warning at open.
func TestStateAge(t *testing.T) {
	data := curatedFile(t, "kbrock-snowflake/manifest.json")
	gen, ok := parseTime(metadataOf(t, data).GeneratedAt)
	if !ok {
		t.Fatal("generated_at does not parse")
	}
	for _, c := range []struct {
		after time.Duration
		limit time.Duration
		stale bool
	}{{3 * time.Hour, 0, false}, {25 * time.Hour, 0, true}, {25 * time.Hour, 48 * time.Hour, false}, {1000 * time.Hour, -1, false}, {-time.Hour, 0, false}} {
		now := gen.Add(c.after)
		p, err := Open(Inputs{Manifest: data, State: data, StaleAfter: c.limit, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		info := p.StateInfoNow()
		wantAge := int64(max(c.after, 0) / time.Second)
		if info.Age == nil || *info.Age != wantAge || info.Stale != c.stale {
			t.Errorf("%v after, limit %v: age %v stale %v, want %d %v", c.after, c.limit, info.Age, info.Stale, wantAge, c.stale)
		}
		if w := hasCode(p.Warnings, "state.stale"); (w != nil) != c.stale {
			t.Errorf("%v after, limit %v: state.stale warning = %v", c.after, c.limit, w)
		}
		if p.StateInfo().Age != nil {
			t.Error("the shared StateInfo carries an age")
		}
	}
}

// runResultsOf reads a run_results.json with encoding/json: unique_id →
// status, message and the last timing's completed_at.
func runResultsOf(t *testing.T, data []byte) map[string][3]string {
	t.Helper()
	var doc struct {
		Results []struct {
			UniqueID string  `json:"unique_id"`
			Status   string  `json:"status"`
			Message  *string `json:"message"`
			Timing   []struct {
				CompletedAt string `json:"completed_at"`
			} `json:"timing"`
		} `json:"results"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string][3]string{}
	for _, r := range doc.Results {
		msg := ""
		if r.Message != nil {
			msg = *r.Message
		}
		out[r.UniqueID] = [3]string{r.Status, msg, r.Timing[len(r.Timing)-1].CompletedAt}
	}
	return out
}

// TestStateRunResults: teradata-pibbers' run (`dbt run`, one model failed,
// seeds and the snapshot not in it) as production's run results: deferred
// refs carry each node's status, and the failed or absent ones warn.
func TestStateRunResults(t *testing.T) {
	data := curatedFile(t, "teradata-pibbers/manifest.json")
	rr := curatedFile(t, "teradata-pibbers/run_results.json")
	want := runResultsOf(t, rr)
	p, err := Open(Inputs{Manifest: data, State: data, StateRunResults: rr, StateRunResultsName: "prod/run_results.json"})
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"state.run_results_not_build", "state.run_results_mismatch"} {
		if w := hasCode(p.Warnings, code); w != nil {
			t.Errorf("unexpected %s: %s", code, w.Message)
		}
	}
	sum := p.StateInfo().RunResults
	if sum == nil || sum.Command != "run" || !sum.Builds || sum.InvocationID != metadataOf(t, data).InvocationID {
		t.Fatalf("summary = %+v", sum)
	}
	counts := map[string]int{}
	for _, r := range want {
		counts[r[0]]++
	}
	if len(sum.Counts) != len(counts) || sum.Counts["success"] != counts["success"] || sum.Counts["error"] != counts["error"] || counts["error"] == 0 {
		t.Errorf("counts = %v, want %v", sum.Counts, counts)
	}
	failed, seen := 0, 0
	for _, name := range p.Dev.RefNames() {
		res, warns, err := p.Resolve("", []RefSpec{{Kind: "ref", Name: name}}, Options{Defer: deferral.FavorState})
		if err != nil {
			t.Fatal(err)
		}
		r := res[0]
		if r.Env != deferral.State {
			continue
		}
		seen++
		w, inRun := want[r.UniqueID]
		switch {
		case r.StateRun == nil:
			t.Errorf("%s: deferred without stateRun", name)
			continue
		case !inRun && r.StateRun.Status != "absent":
			t.Errorf("%s is not in the run but its stateRun is %+v", name, r.StateRun)
		case inRun && (r.StateRun.Status != w[0] || r.StateRun.CompletedAt != w[2] || !strings.HasPrefix(w[1], strings.TrimSuffix(r.StateRun.Message, "…"))):
			t.Errorf("%s: stateRun %+v, want %v", name, r.StateRun, w)
		}
		bad := hasCode(warns, "state.parent_not_success")
		if notOK := !inRun || w[0] != "success"; notOK != (bad != nil) {
			t.Errorf("%s (%v in run %v): parent_not_success = %v", name, w, inRun, bad)
		} else if bad != nil {
			failed++
			if bad.Location.UniqueID != r.UniqueID || !strings.Contains(bad.Message, r.Relation) {
				t.Errorf("%s: warning %+v does not name the node and its relation %s", name, bad, r.Relation)
			}
		}
	}
	if seen < 15 || failed < 4 { // 19 models, 3 seeds, 1 snapshot: 1 failed, 4 absent
		t.Errorf("%d deferred refs, %d warned: the test did not reach what it checks", seen, failed)
	}
	// Not deferred: no stateRun.
	res, _, _ := p.Resolve("", []RefSpec{{Kind: "ref", Name: "lim_market_competitors"}}, Options{})
	if res[0].StateRun != nil {
		t.Errorf("a dev ref carries stateRun %+v", res[0].StateRun)
	}
	// Compile and lineage warn too.
	c, err := p.Compile(CompileRequest{SQL: ptr("select * from {{ ref('lim_market_competitors') }}"), Options: Options{Defer: deferral.FavorState}})
	if err != nil {
		t.Fatal(err)
	}
	if hasCode(c.Diagnostics, "state.parent_not_success") == nil || c.Refs[0].StateRun == nil || c.Refs[0].StateRun.Status != "error" {
		t.Errorf("compile: refs %+v diagnostics %v", c.Refs, c.Diagnostics)
	}
	l, err := p.Lineage(LineageQuery{Node: "stg_customers", Up: true, Options: Options{Defer: deferral.FavorState, Select: []string{}}})
	if err != nil {
		t.Fatal(err)
	}
	if d := hasCode(l.Diagnostics, "state.parent_not_success"); d == nil || d.Location.UniqueID != "seed.jaffle_shop_teradata.raw_customers" {
		t.Errorf("lineage diagnostics = %v", l.Diagnostics)
	}
}

func ptr[T any](v T) *T { return &v }

// TestStateRunResultsKinds: a run that builds nothing (docs generate) says
// nothing per ref; another invocation's results warn; before-0.19 results
// (status null) read; a file that is no run_results is refused.
func TestStateRunResultsKinds(t *testing.T) {
	prod := curatedFile(t, "defer-mrkidbk-duckdb/prod/manifest.json")
	gen := curatedFile(t, "teradata-pibbers/run_results.json")
	p, err := Open(Inputs{Manifest: prod, State: prod, StateRunResults: gen})
	if err != nil {
		t.Fatal(err)
	}
	if hasCode(p.Warnings, "state.run_results_mismatch") == nil {
		t.Errorf("another invocation's results: warnings %v", p.Warnings)
	}
	legacy := curatedFile(t, "dbtdocs-jaffle-legacy-bigquery/run_results.json")
	s, err := parseStateRuns("legacy", legacy)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Results []struct {
			Node struct {
				UniqueID string `json:"unique_id"`
			} `json:"node"`
			Error *string `json:"error"`
			Skip  bool    `json:"skip"`
		} `json:"results"`
	}
	if err := json.Unmarshal(legacy, &doc); err != nil {
		t.Fatal(err)
	}
	for _, r := range doc.Results {
		want := "success"
		if r.Error != nil {
			want = "error"
		} else if r.Skip {
			want = "skipped"
		}
		if got := s.nodes[r.Node.UniqueID]; got == nil || got.Status != want {
			t.Errorf("legacy %s: %+v, want %s", r.Node.UniqueID, got, want)
		}
	}
	if !s.summary.Builds || len(s.nodes) != len(doc.Results) {
		t.Errorf("legacy summary %+v, %d nodes", s.summary, len(s.nodes))
	}
	// A docs generate run (the mrkidbk prod run's own results are one).
	genRR, err := os.ReadFile(filepath.Join(corpus.Shared(), "defer-mrkidbk-duckdb", "prod", "run_results.json"))
	if err == nil {
		p, err = Open(Inputs{Manifest: prod, State: prod, StateRunResults: genRR})
		if err != nil {
			t.Fatal(err)
		}
		if hasCode(p.Warnings, "state.run_results_not_build") == nil || hasCode(p.Warnings, "state.run_results_mismatch") != nil {
			t.Errorf("docs generate results: warnings %v", p.Warnings)
		}
		res, warns, _ := p.Resolve("", []RefSpec{{Kind: "ref", Name: "customers"}}, Options{Defer: deferral.FavorState})
		if res[0].StateRun != nil || hasCode(warns, "state.parent_not_success") != nil {
			t.Errorf("a run that builds nothing still judged a ref: %+v %v", res[0].StateRun, warns)
		}
	}
	for _, bad := range []struct{ data, code string }{{`{"results": 3}`, "run_results.wrong_artifact"}, {`{"metadata":{"dbt_schema_version":"https://schemas.getdbt.com/dbt/manifest/v12.json"},"results":[]}`, "run_results.wrong_artifact"},
		{`{"results":[{"status":"success"}]}`, "run_results.no_unique_id"}, {`{"results":[`, "run_results.syntax"}} {
		_, err := Open(Inputs{Manifest: prod, State: prod, StateRunResults: []byte(bad.data), StateRunResultsName: "x.json"})
		var de *diag.Error
		if !errors.As(err, &de) || de.Code != bad.code || de.Location.File != "x.json" {
			t.Errorf("%s: err = %v, want %s in x.json", bad.data, err, bad.code)
		}
	}
	// A run that ran nothing (Fusion's `compile` of fusion-databricks-anjali
	// wrote "results": []) is a run_results all the same.
	empty := []byte(`{"metadata":{"dbt_schema_version":"https://schemas.getdbt.com/dbt/run-results/v6.json","invocation_id":"x"},"results":[],"args":{"which":"compile"}}`)
	if p, err := Open(Inputs{Manifest: prod, State: prod, StateRunResults: empty}); err != nil || hasCode(p.Warnings, "state.run_results_not_build") == nil {
		t.Errorf("empty run results: err %v", err)
	}
	if _, err := Open(Inputs{Manifest: prod, StateRunResults: gen}); err == nil {
		t.Error("run results without a state: no error")
	}
}

// TestWithState: a newer state swaps in without reopening dev; a state of
// another project, or bytes that are no manifest, leave the project as it
// was.
func TestWithState(t *testing.T) {
	dev := curatedFile(t, "defer-mrkidbk-duckdb/dev/manifest.json")
	prod := curatedFile(t, "defer-mrkidbk-duckdb/prod/manifest.json")
	p, err := Open(Inputs{Manifest: dev, State: prod, RunURL: "https://ci.example/{invocation_id}"})
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Defer: deferral.FavorState, Select: []string{}}
	before, _, err := p.Resolve("", []RefSpec{{Kind: "ref", Name: "customers"}}, opt)
	if err != nil {
		t.Fatal(err)
	}
	sel, _, _ := p.SelectSet([]string{"state:modified"}, nil)
	// The dev manifest as the "new production": every ref now reads dev's
	// coordinates from the state, and nothing is modified against it.
	np, err := p.WithState(StateUpdate{State: dev, StateName: "prod2/manifest.json"})
	if err != nil {
		t.Fatal(err)
	}
	if np.Dev != p.Dev || np.Oracle != p.Oracle || np.comp != p.comp || p.SameState(np) {
		t.Error("WithState did not share the dev side, or says the state is the same")
	}
	after, _, err := np.Resolve("", []RefSpec{{Kind: "ref", Name: "customers"}}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if before[0].Relation == after[0].Relation || after[0].Relation != after[0].DevRelation || after[0].State.InvocationID != metadataOf(t, dev).InvocationID {
		t.Errorf("before %s, after %s (dev %s)", before[0].Relation, after[0].Relation, after[0].DevRelation)
	}
	if after[0].State.Run.URL != "https://ci.example/"+metadataOf(t, dev).InvocationID || after[0].State.File != "prod2/manifest.json" {
		t.Errorf("new state's run = %+v, file %s", after[0].State.Run, after[0].State.File)
	}
	if again, _, _ := p.Resolve("", []RefSpec{{Kind: "ref", Name: "customers"}}, opt); again[0].Relation != before[0].Relation {
		t.Error("WithState changed the old project")
	}
	nsel, _, _ := np.SelectSet([]string{"state:modified"}, nil)
	if len(sel) == 0 || len(nsel) != 0 {
		t.Errorf("state:modified: %d before, %d against the new state (want some, then none)", len(sel), len(nsel))
	}
	same, err := p.WithState(StateUpdate{State: prod})
	if err != nil || !p.SameState(same) {
		t.Errorf("the same bytes again: same = %v, err %v", same != nil && p.SameState(same), err)
	}
	other := curatedFile(t, "teradata-pibbers/manifest.json")
	if _, err := p.WithState(StateUpdate{State: other}); err == nil || err.(*diag.Error).Code != "state.other_project" {
		t.Errorf("another project's state: err = %v", err)
	}
	if _, err := p.WithState(StateUpdate{State: []byte(`{"metadata": {`), StateName: "bad.json"}); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("bad JSON: err = %v", err)
	}
	// Run results of the old invocation are dropped with the old state.
	rr := curatedFile(t, "teradata-pibbers/run_results.json")
	tp, err := Open(Inputs{Manifest: other, State: other, StateRunResults: rr})
	if err != nil {
		t.Fatal(err)
	}
	changed := bytes.Replace(other, []byte(metadataOf(t, other).InvocationID), []byte("00000000-0000-0000-0000-000000000000"), 1)
	tq, err := tp.WithState(StateUpdate{State: changed})
	if err != nil {
		t.Fatal(err)
	}
	if tq.StateInfo().RunResults != nil || hasCode(tq.Warnings, "state.run_results_dropped") == nil {
		t.Errorf("old run results kept for a new invocation: %+v %v", tq.StateInfo().RunResults, tq.Warnings)
	}
	if tr, err := tp.WithState(StateUpdate{State: other}); err != nil || tr.StateInfo().RunResults == nil {
		t.Errorf("run results of the same invocation were dropped (err %v)", err)
	}
}
