package resolve

// The production run behind a state: who ran it and where to see it (from
// metadata.env and a URL template the user gives), how old it is, and what
// production's run_results.json says of each relation a ref defers to.

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
	"github.com/valyala/fastjson"
)

// RunInfo is the production run a state manifest came from, as far as its
// metadata tells: dbt Cloud writes DBT_CLOUD_RUN_ID, DBT_CLOUD_JOB_ID, … to
// metadata.env; any other run is known by its invocation_id.
type RunInfo struct {
	// ID is DBT_CLOUD_RUN_ID, else the invocation_id.
	ID        string `json:"id,omitempty"`
	JobID     string `json:"jobId,omitempty"`
	ProjectID string `json:"projectId,omitempty"`
	// URL is the run's page, from Inputs.RunURL; empty without a template or
	// when one of its placeholders has no value.
	URL       string `json:"url,omitempty"`
	StartedAt string `json:"startedAt,omitempty"`
	// Trigger is why the run happened (DBT_CLOUD_RUN_REASON: "scheduled",
	// "Kicked off from the UI by …").
	Trigger string `json:"trigger,omitempty"`
	// Source is "dbt-cloud" when metadata.env names a dbt Cloud run, else
	// "invocation".
	Source string `json:"source"`
}

// DefaultStaleAfter is how old a state may be before state.stale.
const DefaultStaleAfter = 24 * time.Hour

// runInfo reads the run identity of a state's metadata and fills its URL
// from the template (already checked by CheckRunURL).
func runInfo(m manifest.Metadata, template, file string) (*RunInfo, []diag.Diagnostic) {
	r := &RunInfo{ID: m.Env["DBT_CLOUD_RUN_ID"], JobID: m.Env["DBT_CLOUD_JOB_ID"], ProjectID: m.Env["DBT_CLOUD_PROJECT_ID"],
		StartedAt: m.InvocationStartedAt, Trigger: m.Env["DBT_CLOUD_RUN_REASON"], Source: "dbt-cloud"}
	if r.ID == "" {
		r.ID, r.Source = m.InvocationID, "invocation"
	}
	if template == "" {
		return r, nil
	}
	u, missing := expandRunURL(template, runVars(m))
	if len(missing) > 0 {
		return r, []diag.Diagnostic{diag.Warning("state.run_url_placeholder", diag.Location{File: file},
			"the run URL template needs %s, which the state's metadata does not have (metadata.env has %s): no run link",
			strings.Join(missing, ", "), envKeys(m.Env))}
	}
	r.URL = u
	return r, nil
}

// runVars are a template's placeholders: every metadata.env key (also by its
// DBT_ENV_CUSTOM_ENV_ name, the variable dbt read it from), and
// invocation_id, generated_at, invocation_started_at and project_name.
func runVars(m manifest.Metadata) map[string]string {
	v := map[string]string{}
	for k, x := range m.Env {
		v[k] = x
		v["DBT_ENV_CUSTOM_ENV_"+k] = x
	}
	for k, x := range map[string]string{"invocation_id": m.InvocationID, "generated_at": m.GeneratedAt,
		"invocation_started_at": m.InvocationStartedAt, "project_name": m.ProjectName} {
		if x != "" {
			v[k] = x
		}
	}
	return v
}

func envKeys(env map[string]string) string {
	if len(env) == 0 {
		return "no keys"
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// CheckRunURL checks a run URL template: an absolute http(s) URL with a
// host, whose {NAME} placeholders are letters, digits and underscores, with
// no brace outside one.
func CheckRunURL(template string) error {
	bad := func(format string, args ...any) error {
		return diag.Errorf("options.run_url", diag.Location{}, "run URL template %q: %s", template, fmt.Sprintf(format, args...))
	}
	probe, missing := expandRunURL(template, nil)
	if probe == "" && len(missing) == 0 {
		return bad("a brace is not part of a {NAME} placeholder (NAME: letters, digits, _)")
	}
	// With every placeholder as "x", the template must be a URL already.
	fill := map[string]string{}
	for _, k := range missing {
		fill[k] = "x"
	}
	probe, _ = expandRunURL(template, fill)
	u, err := url.Parse(probe)
	if err != nil {
		return bad("not a URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.User != nil {
		return bad("only http and https URLs with a host (and no user) are allowed")
	}
	return nil
}

// expandRunURL replaces each {NAME} of template with its value in vars,
// escaped so that it cannot change the URL's structure. It returns the
// names without a value (then no URL), or "" and nil for a malformed
// template.
func expandRunURL(template string, vars map[string]string) (string, []string) {
	var b strings.Builder
	var missing []string
	for i := 0; i < len(template); i++ {
		c := template[i]
		if c == '}' {
			return "", nil
		}
		if c != '{' {
			b.WriteByte(c)
			continue
		}
		end := strings.IndexByte(template[i:], '}')
		if end < 0 {
			return "", nil
		}
		name := template[i+1 : i+end]
		if name == "" || strings.IndexFunc(name, func(r rune) bool {
			return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
		}) >= 0 {
			return "", nil
		}
		if v, ok := vars[name]; ok && v != "" {
			b.WriteString(escapeURLPart(v))
		} else if !contains(missing, name) {
			missing = append(missing, name)
		}
		i += end
	}
	if len(missing) > 0 {
		return "", missing
	}
	return b.String(), nil
}

// escapeURLPart percent-encodes every byte but RFC 3986's unreserved ones.
func escapeURLPart(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// parseTime reads dbt's timestamps (RFC 3339, with or without a zone: dbt
// writes UTC).
func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// stateAge is how long ago the state was generated, or false when its
// generated_at is missing or unreadable. A state from the future (a skewed
// clock) is 0 s old.
func (p *Project) stateAge() (time.Duration, bool) {
	if p.State == nil {
		return 0, false
	}
	t, ok := parseTime(p.State.Meta.GeneratedAt)
	if !ok {
		return 0, false
	}
	return max(p.now().Sub(t), 0), true
}

func (p *Project) now() time.Time {
	if p.clock != nil {
		return p.clock()
	}
	return time.Now()
}

// staleWarning is state.stale when the state is older than the threshold.
func (p *Project) staleWarning() []diag.Diagnostic {
	age, ok := p.stateAge()
	if !ok || p.staleAfter <= 0 || age <= p.staleAfter {
		return nil
	}
	return []diag.Diagnostic{diag.Warning("state.stale", diag.Location{File: p.State.File},
		"the state was generated %s ago (%s), more than %s: production may have changed since; deferred refs read what production had then",
		HumanAge(age), p.State.Meta.GeneratedAt, HumanAge(p.staleAfter))}
}

// HumanAge prints a duration as a person would ("3h", "2d4h", "45m").
func HumanAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
	}
}

// StateInfoNow is StateInfo with the state's age and staleness as of now
// (the clock of Inputs.Now): what stateInfo() answers. A copy: the caller
// may keep it.
func (p *Project) StateInfoNow() *StateInfo {
	s := p.StateInfo()
	if s == nil {
		return nil
	}
	c := *s
	c.text = nil
	if age, ok := p.stateAge(); ok {
		secs := int64(age / time.Second)
		c.Age = &secs
		c.Stale = p.staleAfter > 0 && age > p.staleAfter
	}
	if p.staleAfter > 0 {
		c.StaleAfter = int64(p.staleAfter / time.Second)
	}
	return &c
}

// ---- production's run_results.json -------------------------------------------

// NodeRun is what production's run_results.json says of one node: its
// status in that run (success, error, skipped, …; "absent" when the run did
// not include it) and when it completed.
type NodeRun struct {
	Status      string `json:"status"`
	CompletedAt string `json:"completedAt,omitempty"`
	Message     string `json:"message,omitempty"`

	text []byte // its JSON, written once (every ref that defers to it carries it)
}

// StateRunResults summarises production's run_results.json (StateInfo.RunResults).
type StateRunResults struct {
	File         string `json:"file,omitempty"`
	InvocationID string `json:"invocationId,omitempty"`
	GeneratedAt  string `json:"generatedAt,omitempty"`
	// Command is the dbt command of the run (args.which: build, run, …).
	Command string `json:"command,omitempty"`
	// Builds is false for a command that builds no relation (compile, docs
	// generate, test, …): then no ref is warned about.
	Builds  bool           `json:"builds"`
	Counts  map[string]int `json:"counts"`
	Elapsed float64        `json:"elapsedTime,omitempty"`
}

// stateRuns is an opened production run_results.json.
type stateRuns struct {
	summary StateRunResults
	nodes   map[string]*NodeRun
	absent  *NodeRun
}

// buildCommands are the dbt commands that build relations. An unknown
// command (run_results before dbt 0.19 name none) counts as one.
var buildCommands = map[string]bool{"": true, "run": true, "build": true, "seed": true, "snapshot": true, "clone": true, "retry": true}

// stateRunResultsName names production's run results in messages when the
// host gives no name.
const stateRunResultsName = "state/run_results.json"

// maxRunMessage bounds the message a NodeRun carries (a database error can
// quote a whole statement).
const maxRunMessage = 300

// parseStateRuns reads production's run_results.json (any schema, back to
// the unversioned files before dbt 0.19).
func parseStateRuns(file string, data []byte) (*stateRuns, error) {
	v, results, err := deferral.ReadRunResults(file, "production run_results", data)
	if err != nil {
		return nil, err
	}
	s := &stateRuns{nodes: make(map[string]*NodeRun, len(results))}
	s.summary = StateRunResults{File: file, InvocationID: string(v.GetStringBytes("metadata", "invocation_id")),
		GeneratedAt: string(v.GetStringBytes("metadata", "generated_at")), Command: string(v.GetStringBytes("args", "which")),
		Counts: map[string]int{}, Elapsed: v.GetFloat64("elapsed_time")}
	if s.summary.GeneratedAt == "" {
		s.summary.GeneratedAt = string(v.GetStringBytes("generated_at")) // before 0.19
	}
	s.summary.Builds = buildCommands[s.summary.Command]
	for i, r := range results {
		uid := string(r.GetStringBytes("unique_id"))
		if uid == "" {
			uid = string(r.GetStringBytes("node", "unique_id")) // before 0.19
		}
		if uid == "" {
			return nil, diag.Errorf("run_results.no_unique_id", diag.Location{File: file}, "results[%d] has no unique_id", i)
		}
		n := &NodeRun{Status: string(r.GetStringBytes("status")), Message: string(r.GetStringBytes("message"))}
		if r.Get("status") == nil || r.Get("status").Type() == fastjson.TypeNull {
			// Before 0.19: status is null, error and skip say what happened.
			switch {
			case r.Get("error") != nil && r.Get("error").Type() == fastjson.TypeString:
				n.Status, n.Message = "error", string(r.GetStringBytes("error"))
			case r.GetBool("skip"):
				n.Status = "skipped"
			default:
				n.Status = "success"
			}
		}
		if len(n.Message) > maxRunMessage {
			n.Message = strings.ToValidUTF8(n.Message[:maxRunMessage], "") + "…"
		}
		for _, t := range r.GetArray("timing") {
			if at := string(t.GetStringBytes("completed_at")); at != "" {
				n.CompletedAt = at // the last phase's (execute)
			}
		}
		n.text, _ = json.Marshal(n)
		s.nodes[uid] = n
		s.summary.Counts[n.Status]++
	}
	s.absent = &NodeRun{Status: "absent"}
	s.absent.text, _ = json.Marshal(s.absent)
	return s, nil
}

// stateRunWarnings checks the production run results against the state
// they are given with.
func (s *stateRuns) warnings(st *manifest.Manifest) []diag.Diagnostic {
	loc := diag.Location{File: s.summary.File}
	var w []diag.Diagnostic
	if !s.summary.Builds {
		w = append(w, diag.Warning("state.run_results_not_build", loc,
			"production's run_results.json is from `dbt %s`, which builds no relation: it cannot tell which production relations are current",
			s.summary.Command))
	}
	if a, b := s.summary.InvocationID, st.Meta.InvocationID; a != "" && b != "" && a != b {
		w = append(w, diag.Warning("state.run_results_mismatch", loc,
			"production's run_results.json is from invocation %s but the state manifest from %s: statuses may describe another run", a, b))
	}
	return w
}

// run is what production's run says of uid, or nil when that is unknown
// (no run results, or a run that builds nothing).
func (s *stateRuns) run(uid string) *NodeRun {
	if s == nil || !s.summary.Builds {
		return nil
	}
	if n := s.nodes[uid]; n != nil {
		return n
	}
	return s.absent
}

// okRun are the statuses of a relation production built.
func okRun(status string) bool { return status == "success" || status == "pass" || status == "warn" }

// StateRunWarnings are state.parent_not_success, once per production
// relation among refs that production's run did not rebuild successfully.
func (p *Project) StateRunWarnings(refs []RefResult) []diag.Diagnostic {
	var out []diag.Diagnostic
	for i, r := range refs {
		if r.StateRun == nil || okRun(r.StateRun.Status) {
			continue
		}
		dup := false
		for _, q := range refs[:i] {
			dup = dup || q.UniqueID == r.UniqueID && q.StateRun != nil
		}
		if !dup {
			out = append(out, p.parentNotSuccess(r.UniqueID, r.Relation, r.StateRun))
		}
	}
	return out
}

func (p *Project) parentNotSuccess(uid, rel string, n *NodeRun) diag.Diagnostic {
	s := p.stateRuns.summary
	run := s.InvocationID
	if info := p.StateInfo(); info != nil && info.Run != nil && info.Run.Source == "dbt-cloud" && s.InvocationID == p.State.Meta.InvocationID {
		run = "dbt Cloud run " + info.Run.ID
	}
	what := fmt.Sprintf("its status was %s", n.Status)
	if n.Status == "absent" {
		what = "it was not part of that run"
	}
	if n.Message != "" {
		what += fmt.Sprintf(" (%q)", n.Message)
	}
	return diag.Warning("state.parent_not_success", diag.Location{File: s.File, UniqueID: uid},
		"this ref reads production's %s, which production's run %s (`dbt %s`, %s) did not rebuild successfully: %s; the table may be stale or missing",
		rel, run, cmp.Or(s.Command, "?"), cmp.Or(s.GeneratedAt, "?"), what)
}

// ---- a state that follows production -------------------------------------

// StateUpdate is a newer production state for WithState.
type StateUpdate struct {
	// State is the new state manifest; nil keeps the current one (only
	// RunResults are new).
	State     []byte
	StateName string
	// RunResults is the new state's run_results.json. Without it, the
	// current run results are kept when they are of the new state's
	// invocation, and dropped (state.run_results_dropped) otherwise.
	RunResults     []byte
	RunResultsName string
	// StateCatalog is the new state's catalog.json. Without it, the current
	// one is kept when the state is of the same run, and dropped
	// (state.catalog_dropped) when another run's state comes.
	StateCatalog     []byte
	StateCatalogName string
}

// WithState opens a newer production state for the same dev project: the
// dev manifest, its index, the oracle and the compiler are shared, not
// made again; what depends on the state (kept calls, the selection graph,
// the modified set) starts empty. p itself does not change. A state of
// another project is refused (state.other_project).
func (p *Project) WithState(u StateUpdate) (*Project, error) {
	if p.State == nil {
		return nil, diag.Errorf("state.none", diag.Location{}, "the project was opened without a state: there is none to refresh")
	}
	name := u.StateName
	if name == "" {
		name = p.State.File
	}
	st := p.State // only new run results: the state is kept as it is
	if u.State != nil {
		var err error
		if st, err = manifest.OpenWith(name, u.State, manifest.Options{MaxBytes: p.maxBytes}); err != nil {
			return nil, err
		}
	}
	if a, b := p.State.Meta.ProjectName, st.Meta.ProjectName; a != "" && b != "" && a != b {
		return nil, diag.Errorf("state.other_project", diag.Location{File: name},
			"the new state is of project %q, but the current one is of %q: the state was not changed", b, a)
	}
	np := &Project{Dev: p.Dev, State: st, Compare: p.Compare, Adapter: p.Adapter, Quoting: p.Quoting, Oracle: p.Oracle, Root: p.Root,
		runResults: p.runResults, devWarnings: p.devWarnings, runURL: p.runURL, staleAfter: p.staleAfter, clock: p.clock,
		comp: p.comp, maxBytes: p.maxBytes, upstream: p.upstream, meshProjects: p.meshProjects}
	if p.Compare == p.State {
		np.Compare = st
	}
	np.compileCatalog.Store(p.compileCatalog.Load())
	var dropped []diag.Diagnostic
	switch {
	case u.StateCatalog != nil:
		var err error
		if np.stateCatalog, err = parseStateCatalog(u.StateCatalogName, u.StateCatalog); err != nil {
			return nil, err
		}
	case u.State == nil || sameRun(p.State, st):
		np.stateCatalog = p.stateCatalog
	case p.stateCatalog != nil:
		dropped = append(dropped, diag.Warning("state.catalog_dropped", diag.Location{File: p.stateCatalog.File},
			"production's catalog.json was of the previous state: introspection about deferred relations needs the warehouse until a new catalog is given"))
	}
	switch {
	case u.RunResults != nil:
		rn := cmp.Or(u.RunResultsName, stateRunResultsName)
		var err error
		if np.stateRuns, err = parseStateRuns(rn, u.RunResults); err != nil {
			return nil, err
		}
	case p.stateRuns != nil && p.stateRuns.summary.InvocationID == st.Meta.InvocationID:
		np.stateRuns = p.stateRuns
	case p.stateRuns != nil:
		dropped = append(dropped, diag.Warning("state.run_results_dropped", diag.Location{File: p.stateRuns.summary.File},
			"production's run_results.json is of invocation %s, not of the new state's (%s): refs no longer carry production's run status until new run results are given",
			p.stateRuns.summary.InvocationID, st.Meta.InvocationID))
	}
	np.Warnings = append(append(append([]diag.Diagnostic{}, np.devWarnings...), np.stateWarnings()...), dropped...)
	return np, nil
}

// sameRun reports whether two states were written by the same invocation.
func sameRun(a, b *manifest.Manifest) bool {
	return a.Meta.InvocationID != "" && a.Meta.InvocationID == b.Meta.InvocationID && a.Meta.GeneratedAt == b.Meta.GeneratedAt
}

// SameState reports whether q's state is the one p has (the same
// invocation, generation time and size, and the same production run
// results): a refresh that fetched new bytes of the same run changed
// nothing.
func (p *Project) SameState(q *Project) bool {
	if p.State == nil || q.State == nil {
		return p.State == q.State
	}
	a, b := p.State.Meta, q.State.Meta
	if a.InvocationID != b.InvocationID || a.GeneratedAt != b.GeneratedAt || p.State.Size() != q.State.Size() {
		return false
	}
	ra, rb := p.stateRuns, q.stateRuns
	if ra == nil || rb == nil {
		return ra == rb
	}
	return ra.summary.InvocationID == rb.summary.InvocationID && ra.summary.GeneratedAt == rb.summary.GeneratedAt && len(ra.nodes) == len(rb.nodes)
}

// CheckStateRunResults reads a production run_results.json as
// Inputs.StateRunResults would and returns its summary (for a host that
// stores one for later, as the Worker's publishing does).
func CheckStateRunResults(file string, data []byte) (*StateRunResults, error) {
	s, err := parseStateRuns(file, data)
	if err != nil {
		return nil, err
	}
	return &s.summary, nil
}
