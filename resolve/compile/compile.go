// Package compile renders dbt nodes to compiled SQL the way dbt-core's
// compiler does: the dbt Jinja context (ref, source, this, config, var,
// env_var, target, is_incremental, adapter.dispatch, return, exceptions,
// modules, graph, model…), the macro namespace rebuilt from manifest.macros in
// dbt's order, and ephemeral CTE injection with dbt's exact text layouts.
//
// It does not decide where a ref() points: a Host (the top-level resolve
// package) answers ref(), source() and this, so compiled previews and
// resolve agree by construction. Anything that would need the warehouse
// (run_query, statement, relation and column introspection) renders an empty
// answer, adds a diagnostic and marks the result as depending on the outside.
package compile

import (
	"bytes"
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/jinja"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
	"github.com/dbtdefer/dbtdefer/resolve/relation"
	"github.com/valyala/fastjson"
)

// Error codes of this package.
const (
	CodeRender        = "compile.render"        // Jinja failed (the cause's code is in the message)
	CodeCompiler      = "compile.error"         // exceptions.raise_compiler_error or a dbt compile error
	CodeVar           = "compile.var"           // required var missing
	CodeEnvVar        = "compile.env_var"       // required env var missing
	CodeWarehouse     = "compile.warehouse"     // a call that needs the warehouse was stubbed
	CodeIntrospection = "compile.introspection" // a catalog answered an adapter call about a relation
	CodeWarn          = "compile.warn"          // exceptions.warn
	CodeUnsupported   = "compile.unsupported"   // a context member dbtdefer does not provide
)

// Host answers ref(), source() and this for the node being rendered. The
// top-level resolve package implements it with its resolution engine.
type Host interface {
	Ref(from *manifest.Node, name, pkg, version string) (*Rel, error)
	Source(from *manifest.Node, source, table string) (*Rel, error)
	This(n *manifest.Node) (*Rel, error)
	// CTEName is the name part of an ephemeral's CTE (`__dbt__cte__<name>`).
	CTEName(n *manifest.Node) string
}

// Dispatch is one entry of dbt_project.yml's `dispatch:` config.
type Dispatch struct {
	MacroNamespace string   `json:"macroNamespace"`
	SearchOrder    []string `json:"searchOrder"`
}

// Options are what a manifest does not carry.
type Options struct {
	// Vars are --vars (highest precedence).
	Vars map[string]any
	// ProjectVars is the root dbt_project.yml `vars:` block: global keys, and
	// package names mapping to package-scoped vars.
	ProjectVars map[string]any
	// PackageVars are the installed packages' own dbt_project.yml `vars:`
	// blocks, by package name (dbt_packages/<pkg>/dbt_project.yml). A node
	// of package P sees P's block under the root's (dbt's
	// ModelConfiguredVar: package project, then root project, then --vars).
	PackageVars map[string]map[string]any
	// Env answers env_var().
	Env map[string]string
	// Target overrides or adds target fields (name, schema, database, …).
	Target map[string]any
	// IsIncremental is what is_incremental() answers (dbt's built-in macro;
	// a project override still runs).
	IsIncremental bool
	FullRefresh   bool
	// Dispatch is the project's dispatch config.
	Dispatch []Dispatch
	// Catalog (the dev environment's catalog.json) and StateCatalog
	// (production's) answer adapter.get_columns_in_relation and
	// get_relation: a relation a ref resolved to production is looked up in
	// StateCatalog first, any other in Catalog first.
	Catalog, StateCatalog *Catalog
	// InvocationID and RunStartedAt default to the manifest's metadata.
	InvocationID string
	RunStartedAt string
	// Now pins the clock of modules.datetime (datetime.now/utcnow/today,
	// date.today), e.g. to a manifest's generated_at to re-render a past run;
	// empty uses the real clock.
	Now    string
	Limits jinja.Limits
}

// Result is one compiled node or snippet.
type Result struct {
	SQL string
	// Refs are the host records of every ref/source/this resolved, in call
	// order (ephemeral bodies included), duplicates removed.
	Refs []any
	// CTEs are the injected ephemeral CTEs (extra_ctes).
	CTEs        []manifest.CTE
	Diagnostics []diag.Diagnostic
	// Outside lists why the render depended on something outside the
	// manifest (is_incremental, run_query, introspection, missing vars…);
	// empty means self-contained.
	Outside []string
	// PreInjected is the rendered SQL before CTE injection.
	PreInjected string
	// Introspection lists the adapter calls that asked the warehouse about
	// a relation, each with the catalog that answered it, if any.
	Introspection []Introspection
}

// Introspection is one adapter call about a relation.
type Introspection struct {
	// Call is the adapter method, e.g. "get_columns_in_relation".
	Call string `json:"call"`
	// Relation is the relation asked about, as dbt renders it.
	Relation string `json:"relation"`
	// AnsweredBy is "catalog" (the dev catalog), "stateCatalog"
	// (production's) or "" when no catalog lists the relation: then the
	// call is also in Outside and answered empty.
	AnsweredBy string `json:"answeredBy"`
	// File is the catalog file's name when one answered.
	File string `json:"file,omitempty"`
	// Columns is how many columns the answer held (get_columns_in_relation).
	Columns int `json:"columns"`
	// Deferred says the relation came from a ref resolved to production.
	Deferred bool          `json:"deferred,omitempty"`
	Location diag.Location `json:"location"`
}

// Compiler holds the per-manifest caches: the macro namespace, parsed
// templates. Obtain one with For; it is safe for concurrent use.
type Compiler struct {
	m       *manifest.Manifest
	root    string
	adapter relation.Adapter
	chain   []string
	macros  *macroIndex
	version string
	tmpls   tmplCache
	target  map[string]any
	legacy  bool   // dbt < 1.6 CTE layout
	pre020  bool   // dbt < 0.20: __dbt__CTE__ names, data tests wrapped
	prefix  string // CTEPrefix of the manifest's version
	fusion  fusionLayout
	quoting relation.Quoting
}

// For returns the Compiler of m (cached for the manifest's life; see Forget).
// quoting is the project's quoting config.
func New(m *manifest.Manifest, root string, adapter relation.Adapter, quoting relation.Quoting) *Compiler {
	c := &Compiler{m: m, root: root, adapter: adapter, version: m.Meta.DbtVersion, quoting: quoting}
	c.chain = append(append([]string{}, adapter.DispatchChain...), "default")
	if len(adapter.DispatchChain) == 0 && adapter.Name != "" {
		c.chain = []string{strings.ToLower(adapter.Name), "default"}
	}
	c.macros = newMacroIndex(m, c.chain[:len(c.chain)-1])
	c.legacy = !deferral.AtLeast(c.version, 1, 6) && c.version != ""
	c.fusion = fusionLayoutFor(c.version)
	c.pre020 = c.version != "" && !deferral.AtLeast(c.version, 0, 20)
	c.prefix = CTEPrefix(c.version)
	c.target = inferTarget(m, adapter)
	return c
}

// Manifest returns the compiler's manifest.
func (c *Compiler) Manifest() *manifest.Manifest { return c.m }

// Target is the inferred target (type, name, schema, database…).
func (c *Compiler) Target() map[string]any { return c.target }

// inferTarget builds target from the dev nodes: the adapter type, name
// "dev", and the most common database/schema of the models.
func inferTarget(m *manifest.Manifest, a relation.Adapter) map[string]any {
	dbs, schemas := map[string]int{}, map[string]int{}
	n := 0
	var p fastjson.Parser
	for _, uid := range m.Keys("nodes") {
		if !strings.HasPrefix(uid, "model.") && !strings.HasPrefix(uid, "seed.") && !strings.HasPrefix(uid, "test.") && !strings.HasPrefix(uid, "snapshot.") {
			continue
		}
		nd, err := m.Node(uid)
		if err != nil {
			continue
		}
		// A custom schema becomes <target.schema>_<custom> with dbt's default
		// generate_schema_name: vote for the target part only.
		var cfgSchema, cfgDB string
		hasCfgDB := false
		if v, err := p.ParseBytes(nd.Raw); err == nil {
			cfgSchema = string(v.GetStringBytes("config", "schema"))
			if x := v.Get("config", "database"); x != nil && x.Type() == fastjson.TypeString {
				cfgDB, hasCfgDB = string(x.GetStringBytes()), true
			}
		}
		if nd.HasDatabase && (!hasCfgDB || cfgDB != nd.Database) {
			dbs[nd.Database]++
		}
		if nd.HasSchema {
			switch {
			case cfgSchema == "":
				schemas[nd.Schema] += 2
			case strings.HasSuffix(nd.Schema, "_"+cfgSchema):
				schemas[strings.TrimSuffix(nd.Schema, "_"+cfgSchema)]++
			}
		}
		n++
		if n > 600 {
			break
		}
	}
	top := func(c map[string]int) string {
		best, bn := "", -1
		for k, v := range c {
			if v > bn || v == bn && len(k) < len(best) || v == bn && len(k) == len(best) && k < best {
				best, bn = k, v
			}
		}
		return best
	}
	t := map[string]any{"type": m.Meta.AdapterType, "name": "dev", "target_name": "dev", "threads": int64(1), "profile_name": m.Meta.ProjectName}
	if db := top(dbs); db != "" {
		t["database"] = db
	}
	if s := top(schemas); s != "" {
		t["schema"] = s
	}
	switch a.Name {
	case "bigquery":
		t["project"] = t["database"]
		t["dataset"] = t["schema"]
	case "snowflake", "postgres", "redshift":
		t["dbname"] = t["database"]
	}
	return t
}

// Compile renders code (a node's raw_code, an edited buffer, or a snippet
// when n is nil) and injects ephemeral CTEs.
func (c *Compiler) Compile(h Host, n *manifest.Node, code string, opt *Options) (*Result, error) {
	if opt == nil {
		opt = &Options{}
	}
	s := &session{c: c, h: h, opt: opt, ephem: map[string]*ephemeral{}, refSeen: map[any]bool{}}
	res := &Result{}
	if n != nil && n.Language == "python" {
		// dbt renders no Jinja in a Python model: its compiled code is the
		// code, then the postfix its py_script_postfix macro writes in the
		// node's context (the refs and sources resolved, the config, this).
		postfix, _, err := s.compileNode(n, "{{ py_script_postfix(model) }}")
		res.Refs, res.Diagnostics, res.Outside, res.Introspection = s.refs, s.diags, s.outside, s.introspection
		if err != nil {
			return res, err
		}
		res.SQL = code + "\n\n" + postfix
		res.PreInjected = res.SQL
		return res, nil
	}
	sql, ctes, err := s.compileNode(n, code)
	res.Refs = s.refs
	res.Diagnostics = s.diags
	res.Outside = s.outside
	res.Introspection = s.introspection
	if err != nil {
		return res, err
	}
	if c.pre020 && n != nil && n.ResourceType == "test" && !bytes.Contains(n.Raw, []byte(`"test_metadata"`)) {
		// dbt 0.18–0.19 (_add_ctes): a data test's body becomes the last
		// CTE, and the node selects count(*) from it.
		const name = "dbt__CTE__INTERNAL_test"
		ctes = append(ctes, manifest.CTE{ID: name, SQL: " " + name + " as (\n" + sql + "\n)"})
		sql = "\nselect count(*) from " + name
	}
	res.PreInjected = sql
	if len(ctes) > 0 {
		res.CTEs = ctes
		if c.fusion != notFusion {
			res.SQL = injectFusion(sql, ctes, c.fusion)
		} else {
			res.SQL = InjectCTEs(sql, ctes, c.legacy)
		}
	} else {
		res.SQL = sql
	}
	return res, nil
}

// CTEPrefix is what an ephemeral model's CTE name starts with:
// __dbt__CTE__ before dbt 0.20, __dbt__cte__ since.
func CTEPrefix(dbtVersion string) string {
	if dbtVersion != "" && !deferral.AtLeast(dbtVersion, 0, 20) {
		return "__dbt__CTE__"
	}
	return "__dbt__cte__"
}

// ephemeral is an ephemeral model compiled once per session.
type ephemeral struct {
	sql  string
	ctes []manifest.CTE
	busy bool
}

// session is one Compile call: the nodes it renders share it.
type session struct {
	c       *Compiler
	h       Host
	opt     *Options
	ephem   map[string]*ephemeral
	refs    []any
	refSeen map[any]bool
	diags   []diag.Diagnostic
	outside []string
	// introspection lists the adapter calls about relations (Result's).
	introspection []Introspection
	graph         jinja.Value
	modules       jinja.Value
	depth         int
}

func (s *session) addRef(r *Rel) {
	if r.Record == nil {
		return
	}
	key := any(r.Record)
	if k, ok := r.Record.(interface{ Key() string }); ok {
		key = k.Key()
	}
	defer func() { recover() }() // unhashable records are kept as they come
	if s.refSeen[key] {
		return
	}
	s.refSeen[key] = true
	s.refs = append(s.refs, r.Record)
}

func (s *session) diag(d diag.Diagnostic) {
	for _, x := range s.diags {
		if x.Code == d.Code && x.Message == d.Message {
			return
		}
	}
	s.diags = append(s.diags, d)
}

// dependOutside records a dependency on the warehouse or host input.
func (s *session) dependOutside(what string, loc diag.Location) {
	for _, x := range s.outside {
		if x == what {
			return
		}
	}
	s.outside = append(s.outside, what)
	s.diag(diag.Diagnostic{Code: CodeWarehouse, Severity: diag.SeverityWarning, Location: loc,
		Message: what + ": needs the warehouse or host input; dbtdefer rendered an empty/default answer"})
}

// compileNode renders one node's code and collects its ephemeral CTEs
// (_recursively_prepend_ctes): dependencies first, deduplicated by id.
func (s *session) compileNode(n *manifest.Node, code string) (string, []manifest.CTE, error) {
	nc := newNodeCtx(s, n)
	out, err := nc.render(code)
	if err != nil {
		return "", nil, err
	}
	var list []manifest.CTE
	for _, uid := range nc.extraCTEs {
		e, err := s.ephemeral(uid)
		if err != nil {
			return "", nil, err
		}
		for _, sub := range e.ctes {
			list = addCTE(list, sub)
		}
		en, _ := s.c.m.Node(uid)
		text := " " + s.c.prefix + s.h.CTEName(en) + " as (\n" + e.sql + "\n)"
		if s.c.fusion != notFusion {
			text = fusionCTE(s.h.CTEName(en), e.sql)
		}
		list = addCTE(list, manifest.CTE{ID: uid, SQL: text})
	}
	return out, list, nil
}

func addCTE(list []manifest.CTE, c manifest.CTE) []manifest.CTE {
	for i := range list {
		if list[i].ID == c.ID {
			if c.SQL != "" {
				list[i].SQL = c.SQL
			}
			return list
		}
	}
	if c.SQL != "" {
		list = append(list, c)
	}
	return list
}

func (s *session) ephemeral(uid string) (*ephemeral, error) {
	if e, ok := s.ephem[uid]; ok {
		if e.busy {
			return nil, diag.Errorf(CodeCompiler, diag.Location{UniqueID: uid}, "Found a cycle: ephemeral model %s refers to itself", uid)
		}
		return e, nil
	}
	n, err := s.c.m.Node(uid)
	if err != nil {
		return nil, err
	}
	e := &ephemeral{busy: true}
	s.ephem[uid] = e
	sql, ctes, err := s.compileNode(n, n.RawCode)
	e.busy = false
	if err != nil {
		return nil, err
	}
	e.sql, e.ctes = sql, ctes
	return e, nil
}
