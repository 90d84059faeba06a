package main

import (
	"cmp"
	"runtime"
	"sync"
	"time"

	"github.com/dbtdefer/dbtdefer/resolve"
	"github.com/dbtdefer/dbtdefer/resolve/compile"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
	"github.com/dbtdefer/dbtdefer/resolve/protocol"
)

// OpenRequest is what openProject() hands to the wasm: the bytes of each
// input (nil when absent) and the names messages should use for them.
type OpenRequest struct {
	Manifest, State, Catalog, RunResults, ProjectYml, StateRunResults, StateCatalog, DependenciesYml []byte
	// Upstream are the upstream projects' manifests, in Names.Upstream's order.
	Upstream [][]byte
	Names    Names
	// Split and StateSplit, when set, take part of the manifest's and the
	// state's index from the helper worker (see manifest.Split).
	Split, StateSplit *manifest.Split
}

// Names are the file names (or URLs) of the inputs, and the inputs that are
// not bytes. It arrives as one JSON object.
type Names struct {
	Manifest     string   `json:"manifest"`
	State        string   `json:"state"`
	Catalog      string   `json:"catalog"`
	RunResults   string   `json:"runResults"`
	ProjectYml   string   `json:"projectYml"`
	DevRelations []string `json:"devRelations"`
	// PackageProjects are the installed packages' dbt_project.yml texts
	// (dbt_packages/<pkg>/dbt_project.yml), by the name the host gave each.
	PackageProjects map[string]string `json:"packageProjects"`
	MaxBytes        int               `json:"maxManifestBytes"`
	StateRunResults string            `json:"stateRunResults"`
	StateCatalog    string            `json:"stateCatalog"`
	DependenciesYml string            `json:"dependenciesYml"`
	// Upstream names the upstream manifests: each one's project and file.
	Upstream []struct {
		Project string `json:"project"`
		Name    string `json:"name"`
	} `json:"upstream"`
	// RunURL is the production run's URL template (resolve.Inputs.RunURL);
	// StaleAfterMs the state's age past which it is stale (0: 24 h, -1: never).
	RunURL       string `json:"runURL"`
	StaleAfterMs int    `json:"staleAfterMs"`
}

// Progress is one step of opening a project, reported to onProgress.
type Progress struct {
	Phase  string // "index" (Go is indexing the manifests) or "ready"
	File   string
	Loaded int64
	Total  int64
}

// Session holds the projects one wasm instance has open, by handle.
type Session struct {
	mu       sync.Mutex
	next     int
	projects map[int]*project
}

// NewSession returns an empty session.
func NewSession() *Session { return &Session{projects: map[int]*project{}} }

// project is an open project: the protocol's, with the project files'
// vars and dispatch.
type project = protocol.Project

// openResult is the "ok" value of Open.
type openResult struct {
	Handle   int               `json:"handle"`
	Warnings []diag.Diagnostic `json:"warnings"`
	Info     projectInfo       `json:"info"`
}

// projectInfo summarises an opened project for the JS Project object.
type projectInfo struct {
	ProjectName   string             `json:"projectName,omitempty"`
	AdapterType   string             `json:"adapterType,omitempty"`
	DbtVersion    string             `json:"dbtVersion,omitempty"`
	SchemaVersion int                `json:"schemaVersion"`
	Counts        map[string]int     `json:"counts"`
	HasState      bool               `json:"hasState"`
	State         *resolve.StateInfo `json:"state"`
	// ParallelIndex and StateParallelIndex say the helper worker indexed
	// part of the manifest, and of the state.
	ParallelIndex      bool `json:"parallelIndex"`
	StateParallelIndex bool `json:"stateParallelIndex"`
}

// Open indexes a project and returns the JSON envelope of its handle.
func (s *Session) Open(req OpenRequest, progress func(Progress)) (out []byte) {
	defer recoverInto(&out)
	if progress == nil {
		progress = func(Progress) {}
	}
	if req.Manifest == nil {
		return errorEnvelope(diag.Errorf("options.missing", diag.Location{}, "openProject: manifest is required"))
	}
	in := resolve.Inputs{
		Manifest: req.Manifest, ManifestName: req.Names.Manifest,
		State: req.State, StateName: req.Names.State,
		Catalog: req.Catalog, CatalogName: req.Names.Catalog,
		RunResults: req.RunResults, RunResultsName: req.Names.RunResults,
		DevRelations: req.Names.DevRelations, MaxManifestBytes: req.Names.MaxBytes,
		ManifestSplit: req.Split, StateSplit: req.StateSplit,
		StateRunResults: req.StateRunResults, StateRunResultsName: req.Names.StateRunResults,
		StateCatalog: req.StateCatalog, StateCatalogName: req.Names.StateCatalog,
		DependenciesYml: req.DependenciesYml, DependenciesYmlName: req.Names.DependenciesYml,
		RunURL: req.Names.RunURL, StaleAfter: time.Duration(req.Names.StaleAfterMs) * time.Millisecond,
	}
	if len(req.Upstream) != len(req.Names.Upstream) {
		return errorEnvelope(diag.Errorf("options.upstream", diag.Location{}, "openProject: %d upstream manifests but %d names", len(req.Upstream), len(req.Names.Upstream)))
	}
	for i, u := range req.Names.Upstream {
		in.Upstream = append(in.Upstream, resolve.UpstreamManifest{Project: u.Project, Name: u.Name, Manifest: req.Upstream[i]})
	}
	var warns []diag.Diagnostic
	var cfg protocol.Config
	if req.ProjectYml != nil {
		name := req.Names.ProjectYml
		if name == "" {
			name = "dbt_project.yml"
		}
		q, w := projectQuoting(name, req.ProjectYml)
		in.Quoting, warns = q, w
		// vars: and dispatch: for compile; a file YAML cannot read still
		// gave its quoting above, and says why its vars are missing.
		if pc, err := compile.ParseProjectYAML(req.ProjectYml); err != nil {
			warns = append(warns, diag.Warning("project_yml.parse", diag.Location{File: name}, "%v; its vars and dispatch are not used", err))
		} else {
			cfg.Vars, cfg.Dispatch, cfg.ProjectYml = pc.Vars, pc.Dispatch, true
		}
	}
	if len(req.Names.PackageProjects) > 0 {
		pv, w := compile.PackageVars(req.Names.PackageProjects)
		cfg.PackageVars, warns = pv, append(warns, w...)
	}
	total := int64(len(req.Manifest) + len(req.State) + len(req.Catalog) + len(req.RunResults) + len(req.StateRunResults) + len(req.StateCatalog))
	progress(Progress{Phase: "index", File: cmp.Or(in.ManifestName, "manifest.json"), Total: total})
	p, err := resolve.Open(in)
	if err != nil {
		return errorEnvelope(err)
	}
	progress(Progress{Phase: "ready", Loaded: total, Total: total})
	s.mu.Lock()
	s.next++
	h := s.next
	s.projects[h] = protocol.New(p, cfg)
	s.mu.Unlock()
	info := projectInfo{ProjectName: p.Root, AdapterType: p.Dev.Meta.AdapterType, DbtVersion: p.Dev.Meta.DbtVersion,
		SchemaVersion: p.Dev.Meta.SchemaVersion, Counts: p.Dev.Counts(), HasState: p.State != nil, State: p.StateInfoNow(),
		ParallelIndex: p.Dev.SplitTaken(), StateParallelIndex: p.State != nil && p.State.SplitTaken()}
	return okEnvelope(openResult{Handle: h, Warnings: append(protocol.NonNil(p.Warnings), warns...), Info: info})
}

// SwapRequest is a newer production state for an open project (the JS
// API's refreshState): new state bytes, new production run results, or
// both (nil: kept).
type SwapRequest struct {
	State, StateRunResults, StateCatalog []byte
	Names                                struct {
		State           string `json:"state"`
		StateRunResults string `json:"stateRunResults"`
		StateCatalog    string `json:"stateCatalog"`
	}
}

// swapResult is refreshState's answer: whether the state changed, the
// state now in use, and the project's warnings with it.
type swapResult struct {
	Changed   bool               `json:"changed"`
	StateInfo *resolve.StateInfo `json:"stateInfo"`
	Warnings  []diag.Diagnostic  `json:"warnings"`
}

// SwapState opens a newer production state for project handle
// (resolve.Project.WithState: dev is not indexed again) and uses it for
// every later call, unless it is the state in use already. On any error
// the project keeps its state.
func (s *Session) SwapState(handle int, req SwapRequest) (out []byte) {
	defer recoverInto(&out)
	p, err := s.open(handle)
	if err != nil {
		return errorEnvelope(err)
	}
	np, err := p.WithState(resolve.StateUpdate{State: req.State, StateName: req.Names.State,
		RunResults: req.StateRunResults, RunResultsName: req.Names.StateRunResults,
		StateCatalog: req.StateCatalog, StateCatalogName: req.Names.StateCatalog})
	if err != nil {
		return errorEnvelope(err)
	}
	changed := !p.SameState(np)
	if changed {
		// A new entry: warming's exercise and the kept calls were the old state's.
		entry := protocol.New(np, p.Config)
		s.mu.Lock()
		if s.projects[handle] == p {
			s.projects[handle] = entry
		}
		s.mu.Unlock()
		p = entry
		collect() // the old state's bytes and index
	}
	return okEnvelope(swapResult{Changed: changed, StateInfo: p.StateInfoNow(), Warnings: protocol.NonNil(p.Warnings)})
}

// MemoryStats is what Memory reports: the Go heap after a full collection.
type MemoryStats struct {
	// HeapLive is the Go heap still reachable: the open projects' manifest
	// bytes and indexes, and the bridge itself.
	HeapLive uint64 `json:"heapLiveBytes"`
	// HeapSys is the heap the Go runtime holds (live + free spans).
	HeapSys uint64 `json:"heapSysBytes"`
	// Sys is everything the Go runtime obtained from the wasm memory.
	Sys      uint64 `json:"sysBytes"`
	Projects int    `json:"projects"`
}

// collect frees everything unreachable. Two collections: a disposed
// manifest's sync.Pool of parsers stays registered with the runtime (and so
// keeps the manifest reachable) until the second.
func collect() {
	runtime.GC()
	runtime.GC()
}

// Memory collects and reports the Go heap, for IDEs that show what a
// project costs and for the benchmarks.
func (s *Session) Memory() []byte {
	collect()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	s.mu.Lock()
	n := len(s.projects)
	s.mu.Unlock()
	return okEnvelope(MemoryStats{HeapLive: m.HeapAlloc, HeapSys: m.HeapSys, Sys: m.Sys, Projects: n})
}

// Dispose forgets a project; its memory is reused by later projects (wasm
// memory itself never shrinks).
//
// It collects at once, so the next project reuses the memory
// instead of growing the wasm memory, which never shrinks: an IDE that
// reopens a changed 100 MB manifest keeps one copy, not two or three.
func (s *Session) Dispose(handle int) bool {
	s.mu.Lock()
	_, ok := s.projects[handle]
	delete(s.projects, handle)
	s.mu.Unlock()
	if ok {
		collect()
	}
	return ok
}

// Warm warms project handle a step of about n units (protocol.Project.Warm)
// and returns how many are left: 0 when it is done or the project is gone.
func (s *Session) Warm(handle, n int) int {
	p, err := s.open(handle)
	if err != nil {
		return 0
	}
	return p.Warm(n)
}

// open is the project behind handle, or project.disposed.
func (s *Session) open(handle int) (*project, error) {
	s.mu.Lock()
	p := s.projects[handle]
	s.mu.Unlock()
	if p == nil {
		return nil, diag.Errorf("project.disposed", diag.Location{}, "project %d is not open (disposed?)", handle)
	}
	return p, nil
}

// Call runs method on the project behind handle (protocol.Do) and returns
// the JSON envelope.
func (s *Session) Call(handle int, name string, req []byte) (out []byte) {
	defer recoverInto(&out)
	if probe := probeMethods[name]; probe != nil {
		return probe()
	}
	p, err := s.open(handle)
	if err != nil {
		return errorEnvelope(err)
	}
	return protocol.Envelope(protocol.Do(p, name, req))
}

// probeMethods are the probe build's extra methods (probe_js.go).
var probeMethods map[string]func() []byte

// okEnvelope is {"ok":v}.
func okEnvelope(v any) []byte { return protocol.Envelope(protocol.Marshal(v)) }

// errorEnvelope is {"error":err}.
func errorEnvelope(err error) []byte { return protocol.Envelope(nil, err) }

// recoverInto turns a panic into an "internal.panic" error envelope, so the
// instance stays alive and the caller gets data, never a dead module.
func recoverInto(out *[]byte) {
	if r := recover(); r != nil {
		*out = errorEnvelope(protocol.Panicked(r))
	}
}
