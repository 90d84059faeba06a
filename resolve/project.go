// Package resolve is dbtdefer's public Go API: open a project from a dev
// manifest and a production (state) manifest, then resolve ref()/source()/this
// and compile previews under no defer, standard defer or favor-state defer,
// each answer carrying the rule that decided it. Plain structs in, results
// and diagnostics out; no I/O, no JavaScript, no HTTP.
package resolve

import (
	"cmp"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dbtdefer/dbtdefer/resolve/compile"
	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
	"github.com/dbtdefer/dbtdefer/resolve/relation"
	"github.com/dbtdefer/dbtdefer/resolve/selector"
)

// Inputs are the bytes a project is opened from. Only Manifest is required.
type Inputs struct {
	Manifest     []byte
	ManifestName string // for messages; default "manifest.json"
	// State is production's manifest.json: dbt's --state, used for deferral
	// and for state: selection methods.
	State     []byte
	StateName string
	// DeferState, when set, is dbt's --defer-state: deferral reads it while
	// state: selection keeps comparing with State.
	DeferState     []byte
	DeferStateName string
	// Catalog, RunResults and DevRelations feed the dev-existence oracle;
	// Catalog also answers column introspection (get_columns_in_relation)
	// about dev relations.
	Catalog     []byte
	CatalogName string
	// StateCatalog is production's catalog.json: introspection about a
	// relation a ref resolved to production reads it first. It needs State.
	StateCatalog     []byte
	StateCatalogName string
	RunResults       []byte
	RunResultsName   string
	DevRelations     []string
	// Quoting overrides the project quoting (dbt_project.yml `quoting:`);
	// default: the dev manifest's metadata.quoting, else the adapter's.
	Quoting *manifest.Quoting
	// MaxManifestBytes rejects larger manifests (0: no limit).
	MaxManifestBytes int
	// ManifestSplit and StateSplit let another scanner index part of the
	// dev manifest and of the state (manifest.Split); the browser module's
	// helper worker does.
	ManifestSplit, StateSplit *manifest.Split

	// Upstream are the production manifests of the projects this one
	// depends on (dbt Mesh): ref('project', 'model') reads the producer's
	// relation. DependenciesYml is the project's dependencies.yml.
	Upstream            []UpstreamManifest
	DependenciesYml     []byte
	DependenciesYmlName string

	// RunURL is a template of the production run's page, e.g.
	// https://cloud.getdbt.com/deploy/1/projects/{DBT_CLOUD_PROJECT_ID}/runs/{DBT_CLOUD_RUN_ID}:
	// {NAME} is a metadata.env key of the state, or invocation_id,
	// generated_at, invocation_started_at or project_name (CheckRunURL).
	RunURL string
	// StateRunResults is production's run_results.json: each ref deferred
	// to production carries its node's status there (RefResult.StateRun).
	StateRunResults     []byte
	StateRunResultsName string
	// StaleAfter is the state's age past which it is reported stale
	// (state.stale): 0 is DefaultStaleAfter, negative never.
	StaleAfter time.Duration
	// Now is the clock ages are measured with (nil: time.Now).
	Now func() time.Time
}

// Project is an opened dev manifest with its optional state and oracle. It is
// safe for concurrent use once opened.
type Project struct {
	Dev *manifest.Manifest
	// State is the manifest deferral reads (--defer-state, else --state);
	// nil without one.
	State *manifest.Manifest
	// Compare is the manifest state: selectors compare with (--state); nil
	// when only --defer-state was given.
	Compare *manifest.Manifest
	Adapter relation.Adapter
	Quoting relation.Quoting
	Oracle  *deferral.Oracle
	// Root is the root project's name.
	Root string
	// Warnings found while opening (future schema, mismatched projects…).
	Warnings []diag.Diagnostic

	runResults []byte
	// What the state was opened with, kept for WithState: the dev-side
	// warnings, the run URL template, the age threshold and the clock.
	devWarnings []diag.Diagnostic
	runURL      string
	staleAfter  time.Duration
	clock       func() time.Time
	stateRuns   *stateRuns        // production's run_results.json, if given
	runWarnings []diag.Diagnostic // the run URL's, made with StateInfo
	// comp holds the compiler Compiler() makes on first use (shared with
	// the projects WithState makes: it reads dev only); compileCatalog and
	// stateCatalog answer column introspection (Inputs.Catalog and
	// StateCatalog, SetCompileCatalog).
	comp           *compilerCell
	compileCatalog atomic.Pointer[compile.Catalog]
	stateCatalog   *compile.Catalog
	// upstream are the upstream projects' manifests (dbt Mesh), by project;
	// meshProjects the projects dependencies.yml lists (nil: none read).
	upstream     map[string]*manifest.Manifest
	meshProjects map[string]bool
	maxBytes     int // Inputs.MaxManifestBytes, for WithState

	graphOnce sync.Once
	selGraph  *selector.Graph
	selMu     sync.Mutex
	selCache  map[string]*selector.Result

	callMu sync.Mutex
	calls  map[string]keptCall // Resolve's calls (see Project.call)
	state  *StateInfo          // StateInfo, made once

	navState // Nodes, NodeDetail and Lineage (navigate.go)

	complOnce sync.Once
	compl     *completionIndex // Complete's (complete.go)
}

// StateInfo identifies the production run a state manifest came from.
type StateInfo struct {
	InvocationID        string            `json:"invocationId,omitempty"`
	GeneratedAt         string            `json:"generatedAt,omitempty"`
	InvocationStartedAt string            `json:"invocationStartedAt,omitempty"`
	DbtVersion          string            `json:"dbtVersion,omitempty"`
	SchemaVersion       int               `json:"schemaVersion"`
	ProjectName         string            `json:"projectName,omitempty"`
	AdapterType         string            `json:"adapterType,omitempty"`
	Env                 map[string]string `json:"env,omitempty"`
	File                string            `json:"file,omitempty"`
	// Run identifies the run (and links to it, given Inputs.RunURL).
	Run *RunInfo `json:"run,omitempty"`
	// RunResults summarises production's run_results.json, when given.
	RunResults *StateRunResults `json:"runResults,omitempty"`
	// Age (seconds since generated_at), Stale and StaleAfter (seconds) are
	// set by StateInfoNow only: the StateInfo every ref result shares has no
	// clock in it.
	Age        *int64 `json:"age,omitempty"`
	Stale      bool   `json:"stale,omitempty"`
	StaleAfter int64  `json:"staleAfter,omitempty"`

	text []byte // its JSON, written once by Project.StateInfo (every ref result carries it)
}

// Open indexes the manifests and builds the oracle.
func Open(in Inputs) (*Project, error) {
	name := in.ManifestName
	if name == "" {
		name = "manifest.json"
	}
	opt := manifest.Options{MaxBytes: in.MaxManifestBytes}
	devOpt := opt
	devOpt.Split = in.ManifestSplit
	dev, err := manifest.OpenWith(name, in.Manifest, devOpt)
	if err != nil {
		return nil, err
	}
	p := &Project{Dev: dev, Root: dev.Meta.ProjectName, runURL: in.RunURL, staleAfter: in.StaleAfter, clock: in.Now,
		comp: &compilerCell{}, maxBytes: in.MaxManifestBytes}
	if p.staleAfter == 0 {
		p.staleAfter = DefaultStaleAfter
	}
	if in.RunURL != "" {
		if err := CheckRunURL(in.RunURL); err != nil {
			return nil, err
		}
	}
	p.devWarnings = append(p.devWarnings, dev.Warnings...)
	if err := p.openUpstream(in); err != nil {
		return nil, err
	}
	var st *manifest.Manifest
	if in.State != nil {
		sname := in.StateName
		if sname == "" {
			sname = "state/manifest.json"
		}
		stOpt := opt
		stOpt.Split = in.StateSplit
		st, err = manifest.OpenWith(sname, in.State, stOpt)
		if err != nil {
			return nil, err
		}
		p.State, p.Compare = st, st
	}
	if in.DeferState != nil {
		dname := in.DeferStateName
		if dname == "" {
			dname = "defer-state/manifest.json"
		}
		ds, err := manifest.OpenWith(dname, in.DeferState, opt)
		if err != nil {
			return nil, err
		}
		p.State = ds
		if st != nil {
			p.devWarnings = append(p.devWarnings, st.Warnings...) // the comparison state's: WithState replaces the deferral one
		}
	}
	if in.StateRunResults != nil {
		if p.State == nil {
			return nil, diag.Errorf("options.state_run_results", diag.Location{File: in.StateRunResultsName}, "production run results need a state manifest (--state)")
		}
		if p.stateRuns, err = parseStateRuns(cmp.Or(in.StateRunResultsName, stateRunResultsName), in.StateRunResults); err != nil {
			return nil, err
		}
	}
	p.runResults = in.RunResults
	p.Adapter = relation.Lookup(dev.Meta.AdapterType).ForVersion(dev.Meta.DbtVersion)
	if p.Adapter.Name == "sqlserver" {
		p.Adapter = p.Adapter.WithMacroPackages(macroPackages(dev))
	}
	if !p.Adapter.Known {
		p.devWarnings = append(p.devWarnings, diag.Warning("relation.unknown_adapter", diag.Location{File: name},
			"adapter %q has no verified rendering rules; relations fall back to the manifest's relation_name", dev.Meta.AdapterType))
	}
	switch {
	case in.Quoting != nil:
		p.Quoting = toQuoting(*in.Quoting)
	case dev.Meta.Quoting != nil:
		p.Quoting = toQuoting(*dev.Meta.Quoting)
	}
	p.Oracle = deferral.NewOracle(p.Adapter, p.Quoting)
	if in.Catalog != nil {
		// One read serves the dev-existence oracle and introspection.
		cn := cmp.Or(in.CatalogName, "catalog.json")
		v, err := deferral.ReadCatalog(cn, in.Catalog)
		if err != nil {
			return nil, err
		}
		p.Oracle.AddCatalog(v)
		p.devWarnings = append(p.devWarnings, compareCatalog(cn, p.Oracle.CatalogIDs(), dev, p.Root)...)
		p.compileCatalog.Store(compile.CatalogOf(cn, v, false))
	}
	if in.StateCatalog != nil {
		if p.State == nil {
			return nil, diag.Errorf("options.state_catalog", diag.Location{File: in.StateCatalogName}, "production's catalog needs a state manifest (--state)")
		}
		var err error
		if p.stateCatalog, err = parseStateCatalog(in.StateCatalogName, in.StateCatalog); err != nil {
			return nil, err
		}
	}
	if in.RunResults != nil {
		rn := in.RunResultsName
		if rn == "" {
			rn = "run_results.json"
		}
		if err := p.Oracle.AddRunResults(rn, in.RunResults, dev); err != nil {
			return nil, err
		}
	}
	for _, r := range in.DevRelations {
		if err := p.Oracle.AddRelation(r); err != nil {
			return nil, err
		}
	}
	p.Warnings = append(append([]diag.Diagnostic{}, p.devWarnings...), p.stateWarnings()...)
	return p, nil
}

// stateWarnings are the warnings about the deferral state: its own, how it
// compares with dev, its age, and its run results.
func (p *Project) stateWarnings() []diag.Diagnostic {
	if p.State == nil {
		return nil
	}
	w := append([]diag.Diagnostic{}, p.State.Warnings...)
	w = append(w, compareProjects(p.Dev, p.State)...)
	w = append(w, p.staleWarning()...)
	p.StateInfo() // makes runWarnings
	w = append(w, p.runWarnings...)
	if p.stateRuns != nil {
		w = append(w, p.stateRuns.warnings(p.State)...)
	}
	return w
}

// parseStateCatalog reads production's catalog.json (Inputs.StateCatalog,
// StateUpdate.StateCatalog).
func parseStateCatalog(name string, data []byte) (*compile.Catalog, error) {
	return compile.ParseCatalog(cmp.Or(name, "state/catalog.json"), data, true)
}

func toQuoting(q manifest.Quoting) relation.Quoting {
	return relation.Quoting{Database: q.Database, Schema: q.Schema, Identifier: q.Identifier}
}

func macroPackages(m *manifest.Manifest) []string {
	seen := map[string]bool{}
	var out []string
	for _, uid := range m.Keys("macros") {
		if _, pkg, _, ok := splitUID(uid); ok && !seen[pkg] {
			seen[pkg] = true
			out = append(out, pkg)
		}
	}
	return out
}

// compareProjects warns when dev and state do not look like one project.
func compareProjects(dev, st *manifest.Manifest) []diag.Diagnostic {
	var w []diag.Diagnostic
	loc := diag.Location{File: st.File}
	if a, b := dev.Meta.AdapterType, st.Meta.AdapterType; a != "" && b != "" && a != b {
		w = append(w, diag.Warning("state.adapter_mismatch", loc, "the state was built with adapter %q but dev uses %q; deferred relations may not be readable from dev", b, a))
	}
	if a, b := dev.Meta.ProjectName, st.Meta.ProjectName; a != "" && b != "" && a != b {
		w = append(w, diag.Warning("state.project_mismatch", loc, "the state is from project %q but dev is project %q", b, a))
	} else if a, b := dev.Meta.ProjectID, st.Meta.ProjectID; a != "" && b != "" && a != b {
		w = append(w, diag.Warning("state.project_mismatch", loc, "the state's project_id %s differs from dev's %s", b, a))
	}
	if st.Meta.SchemaVersion >= 1 && st.Meta.SchemaVersion <= 3 {
		w = append(w, diag.Warning(manifest.CodeOldSchema, loc, "state manifest schema v%d (dbt 0.19–0.21): dbt ≥1.0 refuses it as --state; dbtdefer reads it anyway", st.Meta.SchemaVersion))
	}
	// A deferred run marks every node it deferred; the first refable nodes
	// tell (decoding every state node, or searching all its bytes, cost more
	// than indexing it).
	deferred, seen := false, 0
	for _, uid := range st.Keys("nodes") {
		n, err := st.Node(uid)
		if err != nil || !n.IsRefable() {
			continue
		}
		if deferred = n.Deferred; deferred || seen >= deferredSample {
			break
		}
		seen++
	}
	if deferred {
		w = append(w, diag.Warning("state.from_deferred_run", loc, "the state artifact came from a deferred run (nodes marked \"deferred\": true); its coordinates are used as they are"))
	}
	return w
}

// deferredSample is how many refable state nodes compareProjects reads to
// tell an artifact of a deferred run.
const deferredSample = 64

// compareCatalog warns when a dev catalog does not look like the dev
// project's: it lists relations, but none of the dev manifest's nodes or
// sources, or none of the root project's own models, seeds and snapshots
// (when it has some). Such a catalog says every dev
// relation it does not list is missing, so refs would be deferred for a
// reason that is not true.
func compareCatalog(file string, ids []string, dev *manifest.Manifest, root string) []diag.Diagnostic {
	if len(ids) == 0 {
		return nil
	}
	matched, rootMatched := 0, 0
	perPkg := map[string]int{}
	for _, id := range ids {
		_, pkg, _, ok := splitUID(id)
		if ok {
			perPkg[pkg]++
		}
		if dev.Has("nodes", id) || dev.Has("sources", id) {
			matched++
			if pkg == root {
				rootMatched++
			}
		}
	}
	top := ""
	for pkg, n := range perPkg {
		if top == "" || n > perPkg[top] || n == perPkg[top] && pkg < top {
			top = pkg
		}
	}
	loc := diag.Location{File: file}
	if matched == 0 {
		return []diag.Diagnostic{diag.Warning("catalog.project_mismatch", loc,
			"the catalog lists %d relations (mostly of project %q) but none of the dev manifest's nodes or sources: it looks like another project's; dev relations it does not list are treated as missing",
			len(ids), top)}
	}
	if rootMatched == 0 && root != "" {
		for _, uid := range dev.Keys("nodes") {
			// Only relations appear in a catalog: hooks, tests and the
			// like say nothing.
			typ, pkg, _, ok := splitUID(uid)
			if ok && pkg == root && (typ == "model" || typ == "seed" || typ == "snapshot") {
				return []diag.Diagnostic{diag.Warning("catalog.project_mismatch", loc,
					"the catalog lists none of project %q's own nodes (mostly project %q): it looks like another project's; dev relations it does not list are treated as missing",
					root, top)}
			}
		}
	}
	return nil
}

// Warm decodes ahead of time the heads of up to n refable nodes, the dev
// manifest's then the state's (see manifest.Manifest.Warm), and returns how
// many are left in both.
func (p *Project) Warm(n int) (left int) {
	left = p.Dev.Warm(n)
	if p.State != nil {
		if left > 0 {
			n = 0 // still the dev manifest's turn: only count the state's
		}
		left += p.State.Warm(n)
	}
	return left
}

// StateInfo describes the state manifest, or nil without one. It is made
// once and shared: callers must not modify it.
func (p *Project) StateInfo() *StateInfo {
	if p.State == nil {
		return nil
	}
	p.callMu.Lock()
	defer p.callMu.Unlock()
	if p.state != nil {
		return p.state
	}
	m := p.State.Meta
	p.state = &StateInfo{InvocationID: m.InvocationID, GeneratedAt: m.GeneratedAt, InvocationStartedAt: m.InvocationStartedAt,
		DbtVersion: m.DbtVersion, SchemaVersion: m.SchemaVersion, ProjectName: m.ProjectName, AdapterType: m.AdapterType,
		Env: m.Env, File: p.State.File}
	p.state.Run, p.runWarnings = runInfo(m, p.runURL, p.State.File)
	if p.stateRuns != nil {
		p.state.RunResults = &p.stateRuns.summary
	}
	p.state.text = p.state.AppendJSON(nil)
	return p.state
}

func splitUID(uid string) (typ, pkg, rest string, ok bool) {
	var parts [2]int
	n := 0
	for i := 0; i < len(uid) && n < 2; i++ {
		if uid[i] == '.' {
			parts[n] = i
			n++
		}
	}
	if n < 2 {
		return "", "", "", false
	}
	return uid[:parts[0]], uid[parts[0]+1 : parts[1]], uid[parts[1]+1:], true
}

// resourceTitle is dbt's resource_type.title() in error messages.
func resourceTitle(t string) string {
	if t == "" {
		return "Node"
	}
	return fmt.Sprintf("%c%s", t[0]-32*btoi(t[0] >= 'a' && t[0] <= 'z'), t[1:])
}

func btoi(b bool) byte {
	if b {
		return 1
	}
	return 0
}
