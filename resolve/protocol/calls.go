package protocol

import (
	"encoding/json"
	"reflect"
	"sort"

	"github.com/dbtdefer/dbtdefer/resolve"
	"github.com/dbtdefer/dbtdefer/resolve/compile"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
)

// Project is an open project as the calls see it: the engine's project and
// what its dbt_project.yml files gave compile.
type Project struct {
	*resolve.Project
	Config
	warm warming
}

// Config is what compile takes from the project's files: the root
// project's vars and dispatch, and each installed package's own vars. The
// vars a compile request gives override them, as dbt's --vars does.
type Config struct {
	Vars        map[string]any
	PackageVars map[string]map[string]any
	Dispatch    []compile.Dispatch
	// ProjectYml says the root dbt_project.yml was read (its vars are
	// known: analyze reports a var none sets as dbt's error).
	ProjectYml bool
}

// New is p with the project files' cfg, ready for calls.
func New(p *resolve.Project, cfg Config) *Project { return &Project{Project: p, Config: cfg} }

// A Call is one method of the protocol: its request type and its handler.
type Call struct {
	// Name is the method's name: the JS API's Project method, the Worker's
	// /v1/NAME route, the CLI's `dbtdefer call NAME`.
	Name string
	// Request is the request's Go type (a struct whose json tags are the
	// request's keys; a `query` tag renames a key as a URL parameter).
	Request reflect.Type
	// Cacheable says the answer depends only on the project and the
	// request, so a host may keep it and answer a repeated call itself (the
	// JS API does, until the state changes). Not compile (a render may read
	// the clock) nor stateInfo (the state's age).
	Cacheable bool
	handle    func(p *Project, req []byte) (any, error)
	bind      func(req []byte) (func(*Project) (any, error), error)
}

func define[R any](name string, cacheable bool, fn func(*Project, *R) (any, error)) *Call {
	return &Call{Name: name, Request: reflect.TypeFor[R](), Cacheable: cacheable, handle: func(p *Project, req []byte) (any, error) {
		var r R
		if err := Decode(name, req, &r); err != nil {
			return nil, err
		}
		return fn(p, &r)
	}, bind: func(req []byte) (func(*Project) (any, error), error) {
		r := new(R)
		if err := Decode(name, req, r); err != nil {
			return nil, err
		}
		return func(p *Project) (any, error) { return fn(p, r) }, nil
	}}
}

// Bound is a call with its request decoded, ready to run on a project.
type Bound struct {
	run func(*Project) (any, error)
}

// Bind decodes req as the call's request, without a project: a surface
// that loads the project per request (the Worker, the CLI) refuses a bad
// request before it loads anything, and decodes it once.
func (c *Call) Bind(req []byte) (*Bound, error) {
	run, err := c.bind(req)
	if err != nil {
		return nil, err
	}
	return &Bound{run: run}, nil
}

// Do runs the bound call on p (see the package function Do).
func (b *Bound) Do(p *Project) (answer []byte, err error) {
	return answerOf(func() (any, error) { return b.run(p) })
}

// calls are the protocol's methods, by name. Adding one is a request type,
// a handler and a golden file (testdata/golden/NAME.txtar).
var calls = map[string]*Call{}

func init() {
	for _, c := range []*Call{
		define("resolve", true, func(p *Project, r *ResolveRequest) (any, error) { return Resolve(p, r) }),
		define("explain", true, func(p *Project, r *ExplainRequest) (any, error) { return Explain(p, r) }),
		define("compile", false, func(p *Project, r *CompileRequest) (any, error) { return Compile(p, r) }),
		define("select", true, func(p *Project, r *SelectRequest) (any, error) { return Select(p, r) }),
		define("stateInfo", false, func(p *Project, _ *struct{}) (any, error) { return p.StateInfoNow(), nil }),
		define("nodes", true, func(p *Project, r *NodesRequest) (any, error) {
			return p.Nodes(resolve.NodesQuery{ResourceType: r.ResourceType, Package: r.Package, Query: r.Query, Limit: r.Limit, Offset: r.Offset})
		}),
		define("node", true, func(p *Project, r *NodeRequest) (any, error) { return Node(p, r) }),
		define("lineage", true, func(p *Project, r *LineageRequest) (any, error) { return Lineage(p, r) }),
		define("analyze", false, func(p *Project, r *AnalyzeRequest) (any, error) { return Analyze(p, r) }),
		define("complete", false, func(p *Project, r *CompleteRequest) (any, error) { return Complete(p, r) }),
	} {
		calls[c.Name] = c
	}
}

// Names are the methods' names, sorted.
func Names() []string {
	names := make([]string, 0, len(calls))
	for n := range calls {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// CacheableNames are the names of the Cacheable calls, sorted.
func CacheableNames() []string {
	var names []string
	for _, n := range Names() {
		if calls[n].Cacheable {
			names = append(names, n)
		}
	}
	return names
}

// Lookup is the method name, or api.unknown_method with the nearest name.
func Lookup(name string) (*Call, error) {
	if c := calls[name]; c != nil {
		return c, nil
	}
	return nil, diag.Errorf("api.unknown_method", diag.Location{Suggestion: diag.Closest(name, Names())}, "unknown method %q (methods: %v)", name, Names())
}

// Do runs method on p with the JSON request req (empty: {}) and returns
// the answer's JSON. An error is a *diag.Error; a panic is internal.panic.
func Do(p *Project, method string, req []byte) (answer []byte, err error) {
	c, err := Lookup(method)
	if err != nil {
		return nil, err
	}
	return c.Do(p, req)
}

// Do runs the call on p (see the package function Do).
func (c *Call) Do(p *Project, req []byte) (answer []byte, err error) {
	return answerOf(func() (any, error) { return c.handle(p, req) })
}

// answerOf runs a handler and writes its answer; a panic is internal.panic.
func answerOf(handle func() (any, error)) (answer []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			answer, err = nil, Panicked(r)
		}
	}()
	v, err := handle()
	if err != nil {
		return nil, err
	}
	return Marshal(v)
}

// ResolveRequest is resolve's request: refs (name, package.name, name@v2,
// source:src.table or this) made from the node from, under the defer flags.
type ResolveRequest struct {
	From string   `json:"from"`
	Refs []string `json:"refs" query:"ref"`
	resolve.CallOptions
}

// ResolveAnswer is one RefResult per ref, in the order asked (each is the
// CLI's `resolve --json` line), and the call's warnings.
type ResolveAnswer struct {
	Refs        []resolve.RefResult `json:"refs"`
	Diagnostics []diag.Diagnostic   `json:"diagnostics"`
}

// AppendJSON writes the answer without reflection: resolve is the call an
// editor makes most.
func (a *ResolveAnswer) AppendJSON(b []byte) []byte {
	b = append(b, `{"refs":[`...)
	for i := range a.Refs {
		if i > 0 {
			b = append(b, ',')
		}
		b = a.Refs[i].AppendJSON(b)
	}
	b = append(b, `],"diagnostics":`...)
	if len(a.Diagnostics) == 0 {
		return append(b, "[]}"...)
	}
	d, err := Marshal(a.Diagnostics)
	if err != nil {
		d, _ = json.Marshal(a.Diagnostics)
	}
	return append(append(b, d...), '}')
}

// Resolve answers a resolve request.
func Resolve(p *Project, r *ResolveRequest) (*ResolveAnswer, error) {
	if len(r.Refs) == 0 {
		return nil, diag.Errorf("options.missing", diag.Location{}, "resolve: ref is required (name, package.name, name@v2, source:src.table or this)")
	}
	specs := make([]resolve.RefSpec, 0, len(r.Refs))
	for _, s := range r.Refs {
		spec, err := resolve.ParseRef(s)
		if err != nil {
			return nil, err
		}
		specs = append(specs, spec)
	}
	opt, err := r.Options()
	if err != nil {
		return nil, err
	}
	res, warns, err := p.Resolve(r.From, specs, opt)
	if err != nil {
		return nil, err
	}
	return &ResolveAnswer{Refs: NonNil(res), Diagnostics: warns}, nil
}

// ExplainRequest is explain's request: every ref(), source() and `this`
// of model, and its foreign-key constraints' refs.
type ExplainRequest struct {
	Model string `json:"model"`
	resolve.CallOptions
}

// ExplainAnswer is every ref of one model resolved with its reason. A ref
// that fails is reported in diagnostics (severity error) and the others
// are still explained.
type ExplainAnswer struct {
	UniqueID    string              `json:"uniqueId"`
	Refs        []resolve.RefResult `json:"refs"`
	Diagnostics []diag.Diagnostic   `json:"diagnostics"`
}

// Explain answers an explain request.
func Explain(p *Project, r *ExplainRequest) (*ExplainAnswer, error) {
	if r.Model == "" {
		return nil, diag.Errorf("options.missing", diag.Location{}, "explain: model is required (a name or unique_id)")
	}
	opt, err := r.Options()
	if err != nil {
		return nil, err
	}
	n, err := p.FindNode(r.Model)
	if err != nil {
		return nil, err
	}
	c, warns, err := p.NewCall(n.UniqueID, opt)
	if err != nil {
		return nil, err
	}
	specs := make([]resolve.RefSpec, 0, len(n.Refs)+len(n.SourceRefs)+1)
	seen := map[string]bool{}
	add := func(s resolve.RefSpec) {
		if k := s.Kind + ":" + s.String(); !seen[k] {
			seen[k] = true
			specs = append(specs, s)
		}
	}
	for _, ref := range n.Refs {
		add(resolve.RefSpec{Kind: "ref", Name: ref.Name, Package: ref.Package, Version: ref.Version})
	}
	for _, src := range n.SourceRefs {
		add(resolve.RefSpec{Kind: "source", Source: src[0], Name: src[1]})
	}
	add(resolve.RefSpec{Kind: "this"})
	for _, fk := range p.Dev.ForeignKeys(n) {
		add(resolve.RefSpec{Kind: "fk", Name: fk.Name, Package: fk.Package, Version: fk.Version})
	}
	out := &ExplainAnswer{UniqueID: n.UniqueID, Refs: []resolve.RefResult{}, Diagnostics: NonNil(warns)}
	for _, s := range specs {
		res, err := p.ResolveOne(c, s)
		if err != nil {
			de, ok := err.(*diag.Error)
			if !ok {
				de = diag.Errorf("internal.error", diag.Location{UniqueID: n.UniqueID}, "%s: %v", s, err)
			}
			out.Diagnostics = append(out.Diagnostics, de.Diagnostic)
			continue
		}
		out.Refs = append(out.Refs, res)
	}
	out.Diagnostics = append(out.Diagnostics, p.StateRunWarnings(out.Refs)...)
	return out, nil
}

// SelectRequest is dbt selection syntax: --select and --exclude words.
type SelectRequest struct {
	Select  []string `json:"select"`
	Exclude []string `json:"exclude"`
}

// SelectAnswer is the unique_ids a selection picks, sorted.
type SelectAnswer struct {
	UniqueIDs   []string          `json:"uniqueIds"`
	Diagnostics []diag.Diagnostic `json:"diagnostics"`
}

// Select answers a select request (resolve.Project.SelectSet).
func Select(p *Project, r *SelectRequest) (*SelectAnswer, error) {
	set, warns, err := p.SelectSet(resolve.NonBlank(r.Select), resolve.NonBlank(r.Exclude))
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(set))
	for id, ok := range set {
		if ok {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return &SelectAnswer{UniqueIDs: ids, Diagnostics: NonNil(warns)}, nil
}

// NodesRequest is nodes' request: a page of the dev manifest's nodes
// (resolve.NodesQuery).
type NodesRequest struct {
	ResourceType []string `json:"resourceType" query:",comma"`
	Package      string   `json:"package"`
	Query        string   `json:"query"`
	Limit        int      `json:"limit"`
	Offset       int      `json:"offset"`
}

// NodeRequest is node's request: one node by unique_id or name.
type NodeRequest struct {
	Node string `json:"node"`
}

// Node answers a node request (resolve.Project.NodeDetail).
func Node(p *Project, r *NodeRequest) (*resolve.NodeDetail, error) {
	if r.Node == "" {
		return nil, diag.Errorf("options.missing", diag.Location{}, "node: node is required (a unique_id or name)")
	}
	return p.NodeDetail(r.Node)
}

// LineageRequest is lineage's request; up and down default to true.
type LineageRequest struct {
	Node  string `json:"node"`
	Up    *bool  `json:"up"`
	Down  *bool  `json:"down"`
	Depth int    `json:"depth"`
	Limit int    `json:"limit"`
	Tests bool   `json:"tests"`
	resolve.CallOptions
}

// Lineage answers a lineage request (resolve.Project.Lineage), each node
// resolved under the request's defer flags.
func Lineage(p *Project, r *LineageRequest) (*resolve.LineageResult, error) {
	if r.Node == "" {
		return nil, diag.Errorf("options.missing", diag.Location{}, "lineage: node is required (a name or unique_id)")
	}
	opt, err := r.Options()
	if err != nil {
		return nil, err
	}
	return p.Lineage(resolve.LineageQuery{Node: r.Node, Up: r.Up == nil || *r.Up, Down: r.Down == nil || *r.Down,
		Depth: r.Depth, Limit: r.Limit, Tests: r.Tests, Options: opt})
}

// CompileRequest is compile's request: a saved model (model), an edited
// buffer (model and sql) or ad-hoc SQL (sql alone), under the defer flags.
type CompileRequest struct {
	Model string  `json:"model"`
	SQL   *string `json:"sql"`
	// Vars are --vars; Target overrides target.* (name, schema, database,
	// type…); Env is env_var() values; Incremental answers is_incremental().
	Vars        map[string]any    `json:"vars"`
	Target      map[string]any    `json:"target"`
	Env         map[string]string `json:"env"`
	Incremental *bool             `json:"incremental"`
	Empty       bool              `json:"empty"` // dbt --empty
	// Strategy is render (default), rewrite (substitute deferred relations
	// in dbt's saved compiled code) or auto.
	Strategy string `json:"strategy"`
	resolve.CallOptions
}

// Compile answers a compile request (resolve.Project.Compile): the
// project's vars and dispatch, and its packages' own vars, apply.
func Compile(p *Project, r *CompileRequest) (*resolve.CompileResult, error) {
	if r.Model == "" && r.SQL == nil {
		return nil, diag.Errorf("options.missing", diag.Location{}, "compile: give model (a saved model), model and sql (an edited buffer), or sql (ad-hoc SQL)")
	}
	opt, err := r.Options()
	if err != nil {
		return nil, err
	}
	creq := resolve.CompileRequest{Model: r.Model, SQL: r.SQL, Options: opt, Vars: r.Vars, Target: r.Target, Env: r.Env,
		Strategy: r.Strategy, Empty: r.Empty, ProjectVars: p.Vars, PackageVars: p.PackageVars, Dispatch: p.Dispatch}
	if r.Incremental != nil {
		creq.IsIncremental = *r.Incremental
	}
	return p.Compile(creq)
}

// AnalyzeRequest is analyze's request: an edited buffer (sql) of model (or
// of no model: an ad-hoc snippet), under the defer flags, with the call's
// vars.
type AnalyzeRequest struct {
	Model string            `json:"model"`
	SQL   *string           `json:"sql"`
	Vars  map[string]any    `json:"vars"`
	Env   map[string]string `json:"env"`
	resolve.CallOptions
}

func (r *AnalyzeRequest) engine(p *Project, method string) (resolve.AnalyzeRequest, error) {
	if r.SQL == nil {
		return resolve.AnalyzeRequest{}, diag.Errorf("options.missing", diag.Location{}, "%s: sql is required (the editor's buffer)", method)
	}
	opt, err := r.Options()
	if err != nil {
		return resolve.AnalyzeRequest{}, err
	}
	return resolve.AnalyzeRequest{Model: r.Model, SQL: *r.SQL, Options: opt, Vars: r.Vars, ProjectVars: p.Vars,
		PackageVars: p.PackageVars, VarsKnown: p.ProjectYml, Env: r.Env}, nil
}

// Analyze answers an analyze request (resolve.Project.Analyze): every call
// in the buffer with its range, refs and sources resolved, and located
// diagnostics. A buffer that does not parse is analyzed as far as it reads.
func Analyze(p *Project, r *AnalyzeRequest) (*resolve.AnalyzeResult, error) {
	req, err := r.engine(p, "analyze")
	if err != nil {
		return nil, err
	}
	return p.Project.Analyze(req)
}

// CompleteRequest is complete's request: analyze's, and the cursor as a
// UTF-16 offset in sql (an editor's position).
type CompleteRequest struct {
	AnalyzeRequest
	Offset *int `json:"offset"`
	Limit  int  `json:"limit"`
}

// Complete answers a complete request (resolve.Project.Complete).
func Complete(p *Project, r *CompleteRequest) (*resolve.CompleteResult, error) {
	req, err := r.engine(p, "complete")
	if err != nil {
		return nil, err
	}
	if r.Offset == nil || *r.Offset < 0 {
		return nil, diag.Errorf("options.missing", diag.Location{}, "complete: offset is required (the cursor, in UTF-16 units from the buffer's start)")
	}
	return p.Project.Complete(resolve.CompleteRequest{AnalyzeRequest: req, Offset: *r.Offset, Limit: r.Limit})
}
