package resolve

import (
	"strings"
	"sync"

	"github.com/dbtdefer/dbtdefer/resolve/compile"
	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
	"github.com/dbtdefer/dbtdefer/resolve/relation"
)

// Compile strategies (DESIGN "Two ways to a preview").
const (
	// StrategyRender renders the code with the Jinja interpreter (default).
	StrategyRender = "render"
	// StrategyRewrite takes the dev node's saved compiled_code and
	// substitutes the relations of deferred parents; exact by construction,
	// but only for a saved node whose buffer equals its raw_code.
	StrategyRewrite = "rewrite"
	// StrategyAuto rewrites when possible and renders otherwise.
	StrategyAuto = "auto"
)

// CompileRequest asks for a compiled-SQL preview.
type CompileRequest struct {
	// Model is the node to compile (unique_id or name); empty compiles SQL as
	// an ad-hoc snippet in the root project.
	Model string `json:"model,omitempty"`
	// SQL is the editor buffer; nil compiles the node's saved raw_code.
	SQL *string `json:"sql,omitempty"`
	Options
	// Vars are --vars; ProjectVars the root dbt_project.yml `vars:` block.
	Vars        map[string]any `json:"vars,omitempty"`
	ProjectVars map[string]any `json:"projectVars,omitempty"`
	// PackageVars are installed packages' own dbt_project.yml vars, by
	// package name (see compile.Options.PackageVars).
	PackageVars map[string]map[string]any `json:"packageVars,omitempty"`
	Env         map[string]string         `json:"env,omitempty"`
	// Target overrides the inferred target (type, name "dev", most common
	// schema/database of the dev models).
	Target        map[string]any `json:"target,omitempty"`
	IsIncremental bool           `json:"isIncremental,omitempty"`
	// Now pins the clock of modules.datetime (now/utcnow/today) to an
	// RFC 3339 timestamp; empty is the real clock.
	Now         string `json:"now,omitempty"`
	FullRefresh bool   `json:"fullRefresh,omitempty"`
	// Empty is dbt's --empty: every ref() and source() (not `this`, not an
	// ephemeral CTE) renders as a zero-row subquery in the adapter's form.
	Empty    bool               `json:"empty,omitempty"`
	Dispatch []compile.Dispatch `json:"dispatch,omitempty"`
	// Strategy is render (default), rewrite or auto.
	Strategy string `json:"strategy,omitempty"`
}

// CompileResult is a compiled preview.
type CompileResult struct {
	UniqueID string `json:"uniqueId,omitempty"`
	SQL      string `json:"sql"`
	// Refs are the ref()/source()/this resolved while compiling, ephemeral
	// bodies included, each with its provenance.
	Refs        []RefResult       `json:"refs"`
	CTEs        []manifest.CTE    `json:"ctes"`
	Diagnostics []diag.Diagnostic `json:"diagnostics"`
	// State identifies the production run when any ref went to the state.
	State    *StateInfo `json:"state,omitempty"`
	Strategy string     `json:"strategy"`
	// Outside lists what the render needed from outside the manifests
	// (is_incremental, run_query, introspection, missing vars…).
	Outside       []string `json:"outside,omitempty"`
	SelfContained bool     `json:"selfContained"`
	// Introspection lists the adapter calls about relations
	// (get_columns_in_relation, get_relation), each with the catalog that
	// answered it: "catalog" (dev), "stateCatalog" (production) or none.
	Introspection []compile.Introspection `json:"introspection,omitempty"`
}

// SetCompileCatalog gives Compile a dev catalog.json to answer
// adapter.get_columns_in_relation (dbt_utils.star and friends).
func (p *Project) SetCompileCatalog(data []byte) error {
	c, err := compile.ParseCatalog("catalog.json", data, false)
	if err != nil {
		return err
	}
	p.compileCatalog.Store(c)
	return nil
}

// compilerCell is a compiler made once.
type compilerCell struct {
	once sync.Once
	c    *compile.Compiler
}

// Compiler returns the project's compiler for the dev manifest, made on
// first use; it keeps the parsed macros for later compiles and goes away
// with the project (no package-level cache holds a manifest).
func (p *Project) Compiler() *compile.Compiler {
	p.comp.once.Do(func() { p.comp.c = compile.New(p.Dev, p.Root, p.Adapter, p.Quoting) })
	return p.comp.c
}

// CompileOptions converts the request's host inputs to compile options.
func (req *CompileRequest) CompileOptions(p *Project) *compile.Options {
	o := &compile.Options{Vars: req.Vars, ProjectVars: req.ProjectVars, PackageVars: req.PackageVars, Env: req.Env, Target: req.Target,
		IsIncremental: req.IsIncremental, FullRefresh: req.FullRefresh, Dispatch: req.Dispatch, Now: req.Now}
	o.Catalog, o.StateCatalog = p.compileCatalog.Load(), p.stateCatalog
	return o
}

// Compile renders a model, an edited buffer of a model, or a snippet under
// the request's defer mode, resolving every ref with the same engine as
// Resolve.
// Its lists are never nil, so every caller's JSON has [] rather than null.
func (p *Project) Compile(req CompileRequest) (*CompileResult, error) {
	res, err := p.compileReq(req)
	if err != nil {
		return nil, err
	}
	if res.Refs == nil {
		res.Refs = []RefResult{}
	}
	if res.CTEs == nil {
		res.CTEs = []manifest.CTE{}
	}
	if res.Diagnostics == nil {
		res.Diagnostics = []diag.Diagnostic{}
	}
	return res, nil
}

// compileReq is Compile; on a render error it also returns what the render
// had learnt (Outside), for the fidelity report.
func (p *Project) compileReq(req CompileRequest) (*CompileResult, error) {
	call, warns, err := p.NewCall(req.Model, req.Options)
	if err != nil {
		return nil, err
	}
	n := call.From
	code := ""
	switch {
	case req.SQL != nil:
		code = *req.SQL
	case n != nil:
		code = n.RawCode
	default:
		return nil, diag.Errorf("compile.no_input", diag.Location{}, "compile needs a model or SQL")
	}
	strategy := req.Strategy
	if strategy == "" {
		strategy = StrategyRender
	}
	if req.SQL == nil && n != nil && n.IsPlaceholder() && (strategy == StrategyRender || !n.HasCompiled) {
		why := "pass the model's SQL (the editor buffer) to compile it"
		if n.HasCompiled {
			why += `, or strategy "rewrite" (or "auto") for the compiled code Fusion saved, with deferred relations replaced`
		}
		return nil, diag.Errorf("compile.placeholder", diag.Location{UniqueID: n.UniqueID, File: n.OriginalFilePath},
			"this manifest (dbt Fusion %s) holds no SQL for the node (raw_code is %q), so its saved code cannot be re-rendered; %s",
			p.Dev.Meta.DbtVersion, manifest.FusionPlaceholder, why)
	}
	canRewrite := n != nil && n.HasCompiled && (req.SQL == nil || *req.SQL == n.RawCode) && !req.IsIncremental && !req.Empty
	switch strategy {
	case StrategyRewrite, StrategyAuto:
		if canRewrite {
			res, err := p.rewrite(call, n)
			if err == nil {
				res.Diagnostics = append(append(warns[:len(warns):len(warns)], res.Diagnostics...), p.StateRunWarnings(res.Refs)...)
				return res, nil
			}
			if strategy == StrategyRewrite {
				return nil, err
			}
		} else if strategy == StrategyRewrite {
			return nil, diag.Errorf("compile.no_rewrite", diag.Location{UniqueID: uidOf(n)},
				"the rewrite strategy needs a saved node with dbt's compiled_code and an unedited buffer")
		}
	case StrategyRender:
	default:
		return nil, diag.Errorf("compile.strategy", diag.Location{}, "unknown strategy %q (render, rewrite or auto)", strategy)
	}
	h := &compileHost{p: p, call: call, empty: req.Empty}
	r, err := p.Compiler().Compile(h, n, code, req.CompileOptions(p))
	if err != nil {
		var partial *CompileResult
		if r != nil {
			partial = &CompileResult{UniqueID: uidOf(n), Outside: r.Outside}
		}
		return partial, err
	}
	out := &CompileResult{UniqueID: uidOf(n), SQL: r.SQL, CTEs: r.CTEs, Strategy: StrategyRender, Outside: r.Outside, Introspection: r.Introspection,
		SelfContained: len(r.Outside) == 0, Refs: []RefResult{}, Diagnostics: append(warns[:len(warns):len(warns)], r.Diagnostics...)}
	if out.CTEs == nil {
		out.CTEs = []manifest.CTE{}
	}
	if out.Diagnostics == nil {
		out.Diagnostics = []diag.Diagnostic{}
	}
	for _, x := range r.Refs {
		rr := x.(*refRecord).RefResult
		out.Refs = append(out.Refs, rr)
		if rr.Env == deferral.State {
			out.State = p.StateInfo()
		}
	}
	out.Diagnostics = append(out.Diagnostics, p.StateRunWarnings(out.Refs)...)
	return out, nil
}

func uidOf(n *manifest.Node) string {
	if n == nil {
		return ""
	}
	return n.UniqueID
}

// refRecord is the provenance compile carries for each resolution.
type refRecord struct{ RefResult }

func (r *refRecord) Key() string {
	return r.Kind + "\x00" + r.UniqueID + "\x00" + r.Relation
}

// compileHost answers ref/source/this for compile with ResolveOne.
type compileHost struct {
	p     *Project
	call  *Call
	empty bool // --empty
}

// emptyWrap renders rel as --empty does, when the call asks for it.
func (h *compileHost) emptyWrap(rel *compile.Rel) {
	if !h.empty {
		return
	}
	if rel.Structured {
		rel.Rendered = h.p.Adapter.EmptyWrap(rel.Relation)
	} else {
		rel.Rendered = "(select * from " + rel.Rendered + " where false limit 0)"
	}
}

func (h *compileHost) callFrom(from *manifest.Node) *Call {
	c := *h.call
	if from != nil {
		c.From = from
	}
	return &c
}

func (h *compileHost) Ref(from *manifest.Node, name, pkg, version string) (*compile.Rel, error) {
	res, err := h.p.ResolveOne(h.callFrom(from), RefSpec{Kind: "ref", Name: name, Package: pkg, Version: version})
	if err != nil {
		return nil, err
	}
	rel := &compile.Rel{Rendered: res.Relation, Record: &refRecord{res}, Deferred: res.Env == deferral.State}
	rel.Target, _ = h.p.Dev.Node(res.UniqueID)
	if res.Env == deferral.Ephemeral {
		rel.Ephemeral = true
		rel.Type = "cte"
		return rel, nil
	}
	n := rel.Target
	if res.Env == deferral.Upstream && res.target != nil {
		n = res.target // the producer's node
	}
	if res.Env == deferral.State && h.p.State != nil {
		if sn, err := h.p.State.Node(res.UniqueID); err == nil {
			n = sn
		}
	}
	if n != nil {
		r := h.p.Adapter.ForRef(deferral.NodeParts(n), h.p.Quoting)
		rel.Relation, rel.Structured = r, r.Render() == res.Relation
	}
	h.emptyWrap(rel)
	return rel, nil
}

func (h *compileHost) Source(from *manifest.Node, source, table string) (*compile.Rel, error) {
	res, err := h.p.ResolveOne(h.callFrom(from), RefSpec{Kind: "source", Source: source, Name: table})
	if err != nil {
		return nil, err
	}
	rel := &compile.Rel{Rendered: res.Relation, Record: &refRecord{res}}
	if n, err := h.p.Dev.Node(res.UniqueID); err == nil {
		rel.Target = n
		s := relation.Source{Parts: relation.Parts{Database: n.Database, Schema: n.Schema, Identifier: n.Identifier,
			HasDatabase: n.HasDatabase, HasSchema: n.HasSchema}, SourceName: n.SourceName, Quoting: toQuoting(n.Quoting)}
		r := h.p.Adapter.ForSource(s)
		if ma, mi, ok := deferral.Version(h.p.Dev.Meta.DbtVersion); ok && ma == 1 && mi == 8 {
			r = h.p.Adapter.ForSourceWithProject(s, h.p.Quoting)
		}
		rel.Relation, rel.Structured = r, r.Render() == res.Relation
	}
	h.emptyWrap(rel)
	return rel, nil
}

func (h *compileHost) This(n *manifest.Node) (*compile.Rel, error) {
	res, err := h.p.ResolveOne(h.callFrom(n), RefSpec{Kind: "this"})
	if err != nil {
		return nil, err
	}
	r := h.p.Adapter.ForRef(deferral.NodeParts(n), h.p.Quoting)
	return &compile.Rel{Rendered: res.Relation, Relation: r, Structured: r.Render() == res.Relation, Target: n, Record: &refRecord{res}}, nil
}

func (h *compileHost) CTEName(n *manifest.Node) string { return h.p.CTEName(n) }

// rewrite is strategy (a): dbt's saved compiled_code with every deferred
// parent's dev relation replaced by the relation the engine resolves now.
func (p *Project) rewrite(call *Call, n *manifest.Node) (*CompileResult, error) {
	out := &CompileResult{UniqueID: n.UniqueID, SQL: n.CompiledCode, CTEs: n.ExtraCTEs, Strategy: StrategyRewrite,
		SelfContained: true, Refs: []RefResult{}, Diagnostics: []diag.Diagnostic{}}
	if out.CTEs == nil {
		out.CTEs = []manifest.CTE{}
	}
	seen := map[string]bool{}
	type sub struct{ from, to string }
	var subs []sub
	var walk func(x *manifest.Node) error
	walk = func(x *manifest.Node) error {
		for _, uid := range x.DependsOnNodes {
			if seen[uid] {
				continue
			}
			seen[uid] = true
			t, err := p.Dev.Node(uid)
			if err != nil || !t.IsRefable() {
				continue
			}
			spec := RefSpec{Kind: "ref", Name: t.Name, Package: t.PackageName}
			if t.HasVersion {
				spec.Version = t.Version
			}
			c := *call
			c.From = x
			res, err := p.ResolveOne(&c, spec)
			if err != nil {
				return err
			}
			if res.Env == deferral.Ephemeral {
				if err := walk(t); err != nil {
					return err
				}
				continue
			}
			out.Refs = append(out.Refs, res)
			if res.Env == deferral.State {
				out.State = p.StateInfo()
				if res.DevRelation != "" && res.DevRelation != res.Relation {
					subs = append(subs, sub{res.DevRelation, res.Relation})
				}
			}
		}
		return nil
	}
	if err := walk(n); err != nil {
		return nil, err
	}
	for _, s := range subs {
		out.SQL = replaceRelation(out.SQL, s.from, s.to)
		for i := range out.CTEs {
			out.CTEs[i].SQL = replaceRelation(out.CTEs[i].SQL, s.from, s.to)
		}
	}
	return out, nil
}

// replaceRelation replaces whole occurrences of a relation string.
func replaceRelation(s, from, to string) string {
	if from == "" || !strings.Contains(s, from) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, from)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := i + len(from)
		okL := i == 0 || !isIdentByte(s[i-1]) && s[i-1] != '.'
		okR := j == len(s) || !isIdentByte(s[j]) && (s[j] != '.' || from[len(from)-1] == '"' || from[len(from)-1] == '`')
		b.WriteString(s[:i])
		if okL && okR {
			b.WriteString(to)
		} else {
			b.WriteString(from)
		}
		s = s[j:]
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// FidelityMismatch is one node whose re-rendered SQL differs from dbt's.
type FidelityMismatch struct {
	UniqueID string `json:"uniqueId"`
	// Cause groups mismatches: an error code, "warehouse: …" for renders that
	// needed the outside, or a kind of text difference.
	Cause string `json:"cause"`
	// Detail is the error message or the first differing line on each side.
	Detail        string `json:"detail"`
	SelfContained bool   `json:"selfContained"`
}

// FidelityReport measures how many of a dev manifest's compiled nodes
// dbtdefer reproduces byte for byte (defer off).
type FidelityReport struct {
	Manifest string `json:"manifest"`
	Total    int    `json:"total"`
	Exact    int    `json:"exact"`
	// SelfTotal/SelfExact count the nodes whose render needed nothing from
	// outside the manifest and the host inputs given.
	SelfTotal int `json:"selfTotal"`
	SelfExact int `json:"selfExact"`
	// ExactIncremental counts nodes exact only with is_incremental() true.
	ExactIncremental int `json:"exactIncremental"`
	// Skipped counts compiled nodes without raw code (dbt Fusion's
	// "--placeholder--"), which cannot be re-rendered.
	Skipped    int                `json:"skipped"`
	Mismatches []FidelityMismatch `json:"mismatches"`
}

// Fidelity re-renders every node of the dev manifest that carries dbt's
// compiled code and compares byte for byte. base carries the host inputs
// (vars, dispatch, target…); defer is forced off. Incremental models that
// differ are retried with is_incremental() true (dbt compiled them against
// an existing table). Unless base.Now is set, modules.datetime's clock is
// pinned to the manifest's generated_at.
func (p *Project) Fidelity(base CompileRequest) *FidelityReport {
	rep := &FidelityReport{Manifest: p.Dev.File, Mismatches: []FidelityMismatch{}}
	base.Options = Options{Defer: deferral.Off}
	base.SQL = nil
	base.Strategy = StrategyRender
	if base.Now == "" {
		// dbt compiled these nodes during the run that wrote the manifest:
		// modules.datetime's clock reads that run's time, as run_started_at does.
		base.Now = p.Dev.Meta.GeneratedAt
	}
	for _, uid := range p.Dev.Keys("nodes") {
		n, err := p.Dev.Node(uid)
		if err != nil || !n.HasCompiled {
			continue
		}
		if n.IsPlaceholder() {
			rep.Skipped++ // dbt Fusion writes no raw code: nothing to re-render
			continue
		}
		rep.Total++
		req := base
		req.Model = uid
		res, err := p.compileReq(req)
		var mm *FidelityMismatch
		self := true
		switch {
		case err != nil:
			code, msg := "error", err.Error()
			if de, ok := err.(*diag.Error); ok {
				code, msg = de.Code, de.Message
			}
			if res != nil && len(res.Outside) > 0 {
				self = false
				if code != compile.CodeVar && code != compile.CodeEnvVar {
					o := res.Outside[0]
					if i := strings.IndexAny(o, "(:"); i > 0 {
						o = strings.TrimSpace(o[:i])
					}
					code = code + " after warehouse stub " + o
				}
			}
			mm = &FidelityMismatch{UniqueID: uid, Cause: code, Detail: firstLine(msg, 300)}
			if code == compile.CodeVar || code == compile.CodeEnvVar {
				self = false
			}
		case res.SQL == n.CompiledCode:
		default:
			self = res.SelfContained
			if n.Materialized == "incremental" && !req.IsIncremental {
				req.IsIncremental = true
				if r2, err := p.Compile(req); err == nil && r2.SQL == n.CompiledCode {
					rep.ExactIncremental++
					res = r2
					break
				}
			}
			mm = &FidelityMismatch{UniqueID: uid, Cause: diffCause(res.SQL, n.CompiledCode, res.Outside), Detail: diffDetail(res.SQL, n.CompiledCode)}
		}
		if self {
			rep.SelfTotal++
		}
		if mm == nil {
			rep.Exact++
			if self {
				rep.SelfExact++
			}
			continue
		}
		mm.SelfContained = self
		rep.Mismatches = append(rep.Mismatches, *mm)
	}
	return rep
}

func firstLine(s string, max int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// diffCause classifies a text difference.
func diffCause(got, want string, outside []string) string {
	if len(outside) > 0 {
		o := outside[0]
		if i := strings.IndexAny(o, "(:"); i > 0 {
			o = strings.TrimSpace(o[:i])
		}
		return "warehouse: " + o
	}
	squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
	switch {
	case squash(got) == squash(want):
		return "whitespace only"
	case strings.EqualFold(got, want):
		return "case only"
	case strings.Contains(want, "__dbt__cte__") != strings.Contains(got, "__dbt__cte__"):
		return "ephemeral CTEs"
	}
	return "text differs"
}

// diffDetail shows the first differing line of each side.
func diffDetail(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	ctx := func(s string) string {
		a := strings.LastIndexByte(s[:min(i, len(s))], '\n') + 1
		b := strings.IndexByte(s[min(i, len(s)):], '\n')
		if b < 0 {
			b = len(s)
		} else {
			b += min(i, len(s))
		}
		line := s[a:b]
		if len(line) > 160 {
			off := max(0, i-a-60)
			line = "…" + line[off:min(len(line), off+160)]
		}
		return line
	}
	return "at byte " + itoa(i) + ": got " + quoteShort(ctx(got)) + " want " + quoteShort(ctx(want))
}

func quoteShort(s string) string { return "\"" + strings.ReplaceAll(s, "\"", "\\\"") + "\"" }

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for i > 0 {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
	}
	return string(b)
}
