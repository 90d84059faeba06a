package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/dbtdefer/dbtdefer/resolve"
	"github.com/dbtdefer/dbtdefer/resolve/compile"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
	"github.com/valyala/fastjson"
)

// OpenRequest is what openProject() hands to the wasm: the bytes of each
// input (nil when absent) and the names messages should use for them.
type OpenRequest struct {
	Manifest, State, Catalog, RunResults, ProjectYml, StateRunResults []byte
	Names                                                             Names
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

// project is an open project and what its dbt_project.yml gave compile
// (vars and dispatch; quoting went into resolve.Inputs).
type project struct {
	*resolve.Project
	vars        map[string]any
	packageVars map[string]map[string]any
	dispatch    []compile.Dispatch
	// Warm's resolve calls once the heads are warm (see exercise).
	exerciseMu  sync.Mutex
	exercised   int
	exerciseReq []byte
}

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
		RunURL: req.Names.RunURL, StaleAfter: time.Duration(req.Names.StaleAfterMs) * time.Millisecond,
	}
	var warns []diag.Diagnostic
	entry := &project{}
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
			entry.vars, entry.dispatch = pc.Vars, pc.Dispatch
		}
	}
	if len(req.Names.PackageProjects) > 0 {
		pv, w := compile.PackageVars(req.Names.PackageProjects)
		entry.packageVars, warns = pv, append(warns, w...)
	}
	total := int64(len(req.Manifest) + len(req.State) + len(req.Catalog) + len(req.RunResults) + len(req.StateRunResults))
	progress(Progress{Phase: "index", File: cmpOr(in.ManifestName, "manifest.json"), Total: total})
	p, err := resolve.Open(in)
	if err != nil {
		return errorEnvelope(err)
	}
	progress(Progress{Phase: "ready", Loaded: total, Total: total})
	s.mu.Lock()
	s.next++
	h := s.next
	entry.Project = p
	s.projects[h] = entry
	s.mu.Unlock()
	info := projectInfo{ProjectName: p.Root, AdapterType: p.Dev.Meta.AdapterType, DbtVersion: p.Dev.Meta.DbtVersion,
		SchemaVersion: p.Dev.Meta.SchemaVersion, Counts: p.Dev.Counts(), HasState: p.State != nil, State: p.StateInfoNow(),
		ParallelIndex: p.Dev.SplitTaken(), StateParallelIndex: p.State != nil && p.State.SplitTaken()}
	return okEnvelope(openResult{Handle: h, Warnings: append(nonNil(p.Warnings), warns...), Info: info})
}

// SwapRequest is a newer production state for an open project (the JS
// API's refreshState): new state bytes, new production run results, or
// both (nil: kept).
type SwapRequest struct {
	State, StateRunResults []byte
	Names                  struct {
		State           string `json:"state"`
		StateRunResults string `json:"stateRunResults"`
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
		RunResults: req.StateRunResults, RunResultsName: req.Names.StateRunResults})
	if err != nil {
		return errorEnvelope(err)
	}
	changed := !p.SameState(np)
	if changed {
		// A new entry: warming's exercise and the kept calls were the old state's.
		entry := &project{Project: np, vars: p.vars, packageVars: p.packageVars, dispatch: p.dispatch}
		s.mu.Lock()
		if s.projects[handle] == p {
			s.projects[handle] = entry
		}
		s.mu.Unlock()
		p = entry
		collect() // the old state's bytes and index
	}
	return okEnvelope(swapResult{Changed: changed, StateInfo: p.StateInfoNow(), Warnings: nonNil(p.Warnings)})
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

// method is one API call on an open project: a JSON request in, a JSON-able
// result (or a *diag.Error) out.
type method func(p *project, req []byte) (any, error)

// methods are the calls Project exposes in JS, by name.
var methods = map[string]method{
	"resolve":   resolveJSON,
	"compile":   compileJSON,
	"select":    selectJSON,
	"explain":   explainJSON,
	"stateInfo": stateInfoJSON,
	"nodes":     nodesJSON,
	"node":      nodeJSON,
	"lineage":   lineageJSON,
}

// Warm warms project handle a step of about n units (see
// resolve.Project.Warm, then exercise) and returns how many are left: 0
// when it is done or the project is gone.
func (s *Session) Warm(handle, n int) (left int) {
	defer func() {
		if recover() != nil {
			left = 0 // a Head that panics is Head's to report, when asked
		}
	}()
	s.mu.Lock()
	p := s.projects[handle]
	s.mu.Unlock()
	if p == nil {
		return 0
	}
	if left = p.Warm(n); left > 0 {
		return left + exerciseCalls + 1
	}
	if left = p.exercise(n); left > 0 {
		return left + 1
	}
	// Last, in one step: the graph and the changes against the state that
	// nodes(), node() and lineage() read.
	p.PrepareNavigation() // once: it builds each part once
	return 0
}

// exerciseCalls is how many resolve calls Warm makes once the heads are
// warm (see exercise).
const exerciseCalls = 1500

// exercise makes up to n of the project's exerciseCalls resolve calls and
// returns how many are left. Their answers are dropped: what they leave is
// machine code. V8 compiles a wasm function with its baseline compiler
// first and again with its optimizing one once it has run enough, so the
// first calls after an open ran the resolve path in baseline code, about
// twice as slow. The calls resolve one ref (the first ref name, from no
// node, favor-state with a state), through the request, the resolution and
// the answer's JSON, as a call from the JS API does; the host makes them in
// its idle slices, like the heads' warming (about 0.1 s in all in Chromium).
func (p *project) exercise(n int) int {
	p.exerciseMu.Lock()
	defer p.exerciseMu.Unlock()
	if p.exerciseReq == nil && p.exercised < exerciseCalls {
		names := p.Dev.RefNames()
		if len(names) == 0 {
			p.exercised = exerciseCalls
			return 0
		}
		name, _ := json.Marshal(names[0])
		mode := "off"
		if p.State != nil {
			mode = "favor-state"
		}
		p.exerciseReq = []byte(`{"refs":[` + string(name) + `],"defer":"` + mode + `"}`)
	}
	for ; n > 0 && p.exercised < exerciseCalls; n-- {
		p.exercised++
		if _, err := resolveJSON(p, p.exerciseReq); err != nil {
			p.exercised = exerciseCalls // an ambiguous name: not the path worth exercising
		}
	}
	return exerciseCalls - p.exercised
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

// Call runs method on the project behind handle and returns the JSON envelope.
func (s *Session) Call(handle int, name string, req []byte) (out []byte) {
	defer recoverInto(&out)
	p, err := s.open(handle)
	if err != nil {
		return errorEnvelope(err)
	}
	m := methods[name]
	if m == nil {
		names := make([]string, 0, len(methods))
		for n := range methods {
			names = append(names, n)
		}
		sort.Strings(names)
		return errorEnvelope(diag.Errorf("api.unknown_method", diag.Location{Suggestion: diag.Closest(name, names)}, "unknown method %q", name))
	}
	res, err := m(p, req)
	if err != nil {
		return errorEnvelope(err)
	}
	return okEnvelope(res)
}

// decodeStrict decodes a request into v (a pointer to a struct with json
// tags, as encoding/json reads it), rejecting unknown keys and wrong types
// by option name (the JS side checks first; this keeps the wasm honest when
// called directly). It reads with fastjson: encoding/json's decoder was 27 KB
// of the module (brotli). Keys match their tags exactly; null leaves a field
// as it is; a number is a float64 in an any.
func decodeStrict(method string, req []byte, v any) error {
	if len(req) == 0 {
		req = []byte("{}")
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.Elem().Kind() == reflect.Struct && !rv.IsNil() {
		if decodeFast(req, planOf(rv.Type().Elem()), rv.UnsafePointer()) {
			return nil
		}
	}
	return decodeSlow(method, req, v)
}

// decodeSlow is decodeStrict through fastjson: every request, every error.
func decodeSlow(method string, req []byte, v any) error {
	p := requestParsers.Get()
	defer requestParsers.Put(p)
	x, err := p.ParseBytes(req)
	if err != nil {
		return diag.Errorf("options.invalid", diag.Location{}, "%s: cannot read the request: %v", method, err)
	}
	return decodeValue(method, "", x, reflect.ValueOf(v).Elem())
}

// decodeValue decodes x into dst; option is the top-level key it is under.
func decodeValue(method, option string, x *fastjson.Value, dst reflect.Value) error {
	if x.Type() == fastjson.TypeNull {
		return nil
	}
	wrong := func(want string) error { return wrongType(method, option, x, want) }
	switch dst.Kind() {
	case reflect.Pointer:
		e := reflect.New(dst.Type().Elem())
		if err := decodeValue(method, option, x, e.Elem()); err != nil {
			return err
		}
		dst.Set(e)
	case reflect.String:
		b, err := x.StringBytes()
		if err != nil {
			return wrong("a string")
		}
		dst.SetString(string(b))
	case reflect.Bool:
		switch x.Type() {
		case fastjson.TypeTrue, fastjson.TypeFalse:
			dst.SetBool(x.Type() == fastjson.TypeTrue)
		default:
			return wrong("a boolean")
		}
	case reflect.Int:
		n, err := x.Int()
		if err != nil {
			return wrong("an integer")
		}
		dst.SetInt(int64(n))
	case reflect.Interface:
		dst.Set(reflect.ValueOf(manifest.GoValue(x, false)))
	case reflect.Slice:
		a, err := x.Array()
		if err != nil {
			return wrong("an array")
		}
		out := reflect.MakeSlice(dst.Type(), len(a), len(a))
		for i, e := range a {
			if err := decodeValue(method, option, e, out.Index(i)); err != nil {
				return err
			}
		}
		dst.Set(out)
	case reflect.Map:
		o, err := x.Object()
		if err != nil {
			return wrong("an object")
		}
		m := reflect.MakeMapWithSize(dst.Type(), o.Len())
		o.Visit(func(k []byte, e *fastjson.Value) {
			if err != nil {
				return
			}
			ev := reflect.New(dst.Type().Elem()).Elem()
			if err = decodeValue(method, option, e, ev); err == nil {
				m.SetMapIndex(reflect.ValueOf(string(k)), ev)
			}
		})
		if err != nil {
			return err
		}
		dst.Set(m)
	case reflect.Struct:
		o, err := x.Object()
		if err != nil {
			return wrong("an object")
		}
		if !dst.CanAddr() {
			return diag.Errorf("internal.decode", diag.Location{}, "%s: cannot decode into an unaddressable %s", method, dst.Type())
		}
		fields, base := planOf(dst.Type()), dst.Addr().UnsafePointer()
		o.Visit(func(k []byte, e *fastjson.Value) {
			if err != nil {
				return
			}
			f, ok := fields[string(k)]
			if !ok {
				err = diag.Errorf("options.unknown_key", diag.Location{}, "%s: unknown option %q", method, k)
				return
			}
			name := option
			if name == "" {
				// Only error messages read it (and copy it), while the
				// parser's buffer still holds k.
				name = unsafe.String(unsafe.SliceData(k), len(k))
			}
			if e.Type() == fastjson.TypeNull {
				return // null leaves the field as it is
			}
			at := unsafe.Add(base, f.offset)
			if f.set != nil {
				err = f.set(method, name, e, at)
			} else {
				err = decodeValue(method, name, e, reflect.NewAt(f.typ, at).Elem())
			}
		})
		return err
	default:
		return diag.Errorf("internal.decode", diag.Location{}, "%s: cannot decode into %s", method, dst.Type())
	}
	return nil
}

// decodeFast reads the requests the JS API sends (an object whose members
// are known keys with strings, booleans or arrays of strings as values)
// without a parse tree, into the struct at base. It answers false, perhaps
// having set some fields, for anything else: a string with an escape or a
// control character, null, a number, an object, an unknown key, bad JSON.
// decodeSlow then reads the whole request again, member by member in the
// same order, and so sets every field decodeFast set to the same value, and
// says what is wrong. A request read whole is one string its values share.
func decodeFast(req []byte, fields map[string]fieldPlan, base unsafe.Pointer) bool {
	var text string // the request as a string, made at the first value that needs it
	i := skipSpace(req, 0)
	if i >= len(req) || req[i] != '{' {
		return false
	}
	i = skipSpace(req, i+1)
	if i < len(req) && req[i] == '}' {
		return skipSpace(req, i+1) == len(req)
	}
	for {
		ks, ke, ok := plainString(req, i)
		if !ok {
			return false
		}
		f, known := fields[string(req[ks:ke])] // no allocation for the lookup
		if !known || f.kind == kindOther {
			return false
		}
		if i = skipSpace(req, ke+1); i >= len(req) || req[i] != ':' {
			return false
		}
		i = skipSpace(req, i+1)
		at := unsafe.Add(base, f.offset)
		switch f.kind {
		case kindString:
			vs, ve, ok := plainString(req, i)
			if !ok {
				return false
			}
			if text == "" {
				text = string(req)
			}
			*(*string)(at) = text[vs:ve]
			i = ve + 1
		case kindBool:
			switch {
			case bytes.HasPrefix(req[i:], []byte("true")):
				*(*bool)(at), i = true, i+4
			case bytes.HasPrefix(req[i:], []byte("false")):
				*(*bool)(at), i = false, i+5
			default:
				return false
			}
		case kindStrings, kindStringsPtr:
			if i >= len(req) || req[i] != '[' {
				return false
			}
			var list []string
			j := skipSpace(req, i+1)
			if j < len(req) && req[j] == ']' {
				list, i = []string{}, j+1
			} else {
				for {
					vs, ve, ok := plainString(req, j)
					if !ok {
						return false
					}
					if text == "" {
						text = string(req)
					}
					if list == nil {
						list = make([]string, 0, 1+bytes.Count(req[j:], []byte{','}))
					}
					list = append(list, text[vs:ve])
					if j = skipSpace(req, ve+1); j < len(req) && req[j] == ',' {
						j = skipSpace(req, j+1)
						continue
					}
					if j >= len(req) || req[j] != ']' {
						return false
					}
					i = j + 1
					break
				}
			}
			if f.kind == kindStrings {
				*(*[]string)(at) = list
			} else {
				*(**[]string)(at) = &list
			}
		}
		if i = skipSpace(req, i); i >= len(req) {
			return false
		}
		switch req[i] {
		case ',':
			i = skipSpace(req, i+1)
		case '}':
			return skipSpace(req, i+1) == len(req)
		default:
			return false
		}
	}
}

// skipSpace skips JSON whitespace from i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// plainString finds the JSON string at i that needs no unescaping: its
// contents are b[start:end] and its closing quote is at end.
func plainString(b []byte, i int) (start, end int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return i + 1, j, true
		case c == '\\' || c < 0x20:
			return 0, 0, false
		}
	}
	return 0, 0, false
}

// wrongType is decodeStrict's error for x where want was expected.
func wrongType(method, option string, x *fastjson.Value, want string) error {
	if option == "" {
		return diag.Errorf("options.type", diag.Location{}, "%s: the request must be %s, got a JSON %s", method, want, jsonType(x))
	}
	return diag.Errorf("options.type", diag.Location{}, "%s: option %q must be %s, got a JSON %s", method, option, want, jsonType(x))
}

// A fieldPlan is where a request struct's tagged field is (its offset from
// the struct's start, through embedded structs such as
// resolve.CallOptions) and, for the types most requests are made of,
// a setter that writes it without reflection (reflection was most of
// reading a resolve request in wasm). Other types go through decodeValue.
type fieldPlan struct {
	offset uintptr
	typ    reflect.Type
	set    func(method, option string, x *fastjson.Value, at unsafe.Pointer) error
	kind   fieldKind // what decodeFast and set can write
}

type fieldKind uint8

const (
	kindOther fieldKind = iota
	kindString
	kindBool
	kindStrings    // []string
	kindStringsPtr // *[]string
)

// kindOf is the fieldKind of a field of type t: the types decodeFast and
// setterFor write without reflection.
func kindOf(t reflect.Type) fieldKind {
	switch t {
	case reflect.TypeFor[string]():
		return kindString
	case reflect.TypeFor[bool]():
		return kindBool
	case reflect.TypeFor[[]string]():
		return kindStrings
	case reflect.TypeFor[*[]string]():
		return kindStringsPtr
	}
	return kindOther
}

var (
	planMu sync.Mutex
	plans  = map[reflect.Type]map[string]fieldPlan{}
)

// planOf is struct t's fields by json tag name, made once per type.
func planOf(t reflect.Type) map[string]fieldPlan {
	planMu.Lock()
	defer planMu.Unlock()
	p, ok := plans[t]
	if !ok {
		p = map[string]fieldPlan{}
		addFieldPlans(p, t, 0)
		plans[t] = p
	}
	return p
}

// addFieldPlans adds the tagged fields of struct t, at offset base; the
// first field with a name wins, outer fields before an embedded struct's
// later ones.
func addFieldPlans(p map[string]fieldPlan, t reflect.Type, base uintptr) {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
			addFieldPlans(p, sf.Type, base+sf.Offset)
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if _, dup := p[name]; !dup && sf.IsExported() {
			k := kindOf(sf.Type)
			p[name] = fieldPlan{offset: base + sf.Offset, typ: sf.Type, set: setterFor(k), kind: k}
		}
	}
}

// setterFor is the reflection-free setter of a field of kind k, or nil.
// Each reads x as decodeValue would (x is never null here: null leaves a
// field as it is).
func setterFor(k fieldKind) func(method, option string, x *fastjson.Value, at unsafe.Pointer) error {
	switch k {
	case kindString:
		return func(method, option string, x *fastjson.Value, at unsafe.Pointer) error {
			b, err := x.StringBytes()
			if err != nil {
				return wrongType(method, option, x, "a string")
			}
			*(*string)(at) = string(b)
			return nil
		}
	case kindBool:
		return func(method, option string, x *fastjson.Value, at unsafe.Pointer) error {
			switch x.Type() {
			case fastjson.TypeTrue, fastjson.TypeFalse:
				*(*bool)(at) = x.Type() == fastjson.TypeTrue
				return nil
			}
			return wrongType(method, option, x, "a boolean")
		}
	case kindStrings:
		return setStrings
	case kindStringsPtr:
		return func(method, option string, x *fastjson.Value, at unsafe.Pointer) error {
			s := new([]string)
			if err := setStrings(method, option, x, unsafe.Pointer(s)); err != nil {
				return err
			}
			*(**[]string)(at) = s
			return nil
		}
	}
	return nil
}

// setStrings writes a []string (a null element is "", as decodeValue leaves it).
func setStrings(method, option string, x *fastjson.Value, at unsafe.Pointer) error {
	a, err := x.Array()
	if err != nil {
		return wrongType(method, option, x, "an array")
	}
	out := make([]string, len(a))
	for i, e := range a {
		switch e.Type() {
		case fastjson.TypeNull:
		case fastjson.TypeString:
			b, _ := e.StringBytes()
			out[i] = string(b)
		default:
			return wrongType(method, option, e, "a string")
		}
	}
	*(*[]string)(at) = out
	return nil
}

// requestParsers read requests (decodeStrict).
var requestParsers fastjson.ParserPool

// jsonType names a value's JSON type as encoding/json's errors did.
func jsonType(x *fastjson.Value) string {
	switch x.Type() {
	case fastjson.TypeTrue, fastjson.TypeFalse:
		return "bool"
	}
	return x.Type().String()
}

type envelope struct {
	OK    any        `json:"ok,omitempty"`
	Error *errorData `json:"error,omitempty"`
}

// errorData is an error as the JS API throws it: DbtdeferError's fields.
type errorData struct {
	Code     string        `json:"code"`
	Message  string        `json:"message"`
	Location diag.Location `json:"location"`
}

// envelopeText is a whole {"ok":…} envelope a method wrote itself.
type envelopeText []byte

func okEnvelope(v any) []byte {
	if t, ok := v.(envelopeText); ok {
		return t
	}
	b, err := json.Marshal(envelope{OK: v})
	if err != nil {
		return errorEnvelope(diag.Errorf("internal.encode", diag.Location{}, "cannot encode the result: %v", err))
	}
	return b
}

func errorEnvelope(err error) []byte {
	var de *diag.Error
	if !errors.As(err, &de) {
		de = diag.Errorf("internal.error", diag.Location{}, "%s", err.Error())
	}
	b, _ := json.Marshal(envelope{Error: &errorData{Code: de.Code, Message: de.Message, Location: de.Location}})
	return b
}

// recoverInto turns a panic into an "internal.panic" error envelope, so the
// instance stays alive and the caller gets data, never a dead module.
func recoverInto(out *[]byte) {
	if r := recover(); r != nil {
		stack := string(debug.Stack())
		if len(stack) > 2000 {
			stack = stack[:2000]
		}
		*out = errorEnvelope(diag.Errorf("internal.panic", diag.Location{}, "internal error: %v (please report it with the inputs that caused it)\n%s", r, stack))
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
