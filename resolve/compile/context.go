package compile

import (
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/internal/md5"
	"github.com/dbtdefer/dbtdefer/resolve/jinja"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
	"github.com/valyala/fastjson"
)

// nodeCtx is the runtime context of one node being rendered.
type nodeCtx struct {
	s         *session
	n         *manifest.Node // nil for an ad-hoc snippet
	pkg       string
	extraCTEs []string
	env       *jinja.Environment
	vals      map[string]jinja.Value
	raw       *fastjson.Value
	rawDone   bool
	vars      *jinja.Dict
}

func newNodeCtx(s *session, n *manifest.Node) *nodeCtx {
	nc := &nodeCtx{s: s, n: n, pkg: s.c.root, vals: map[string]jinja.Value{}}
	if n != nil && n.PackageName != "" {
		nc.pkg = n.PackageName
	}
	nc.env = &jinja.Environment{Resolver: nc.resolve, Limits: s.opt.Limits, Filters: map[string]jinja.FilterFunc{}, Tests: map[string]jinja.TestFunc{}}
	return nc
}

func (nc *nodeCtx) loc() diag.Location {
	if nc.n == nil {
		return diag.Location{}
	}
	return diag.Location{UniqueID: nc.n.UniqueID, File: nc.n.OriginalFilePath}
}

// render is dbt's get_rendered for the node's code.
func (nc *nodeCtx) render(code string) (string, error) {
	if nc.n != nil && nc.n.ResourceType == "test" {
		if err := nc.addTestKwargs(); err != nil {
			return "", err
		}
	}
	if !jinja.HasJinja(code) {
		return code, nil
	}
	name := "<snippet>"
	if nc.n != nil {
		name = nc.n.OriginalFilePath
	}
	t, err := nc.s.c.tmpls.parse(name, code)
	if err != nil {
		return "", nc.wrap(err)
	}
	out, err := nc.env.Render(t, nil)
	if err != nil {
		return "", nc.wrap(err)
	}
	return out, nil
}

func (nc *nodeCtx) wrap(err error) error {
	if de, ok := err.(*diag.Error); ok && nc.n != nil && de.Location.UniqueID == "" {
		c := *de
		c.Location.UniqueID = nc.n.UniqueID
		return &c
	}
	return err
}

// rawJSON is the node's manifest entry, parsed once.
func (nc *nodeCtx) rawJSON() *fastjson.Value {
	if !nc.rawDone {
		nc.rawDone = true
		if nc.n != nil && len(nc.n.Raw) > 0 {
			if v, err := fastjson.ParseBytes(nc.n.Raw); err == nil {
				nc.raw = v
			}
		}
	}
	return nc.raw
}

// resolve is the Jinja Resolver: the macro namespace first, then the
// context members (dbt layers the namespace in front of the context).
func (nc *nodeCtx) resolve(st *jinja.State, name string) (jinja.Value, bool) {
	if v, ok := nc.vals[name]; ok {
		return v, !v.IsUndefined()
	}
	v, ok := nc.lookup(name)
	if ok {
		nc.vals[name] = v
	}
	return v, ok
}

func (nc *nodeCtx) lookup(name string) (jinja.Value, bool) {
	ix := nc.s.c.macros
	e, pkgNS := ix.lookup(name, nc.pkg, nc.s.c.root)
	if e != nil {
		if isInternal(e.pkg) {
			if v, ok := nc.internalOverride(name); ok {
				return v, true
			}
		}
		return nc.macroValue(e), true
	}
	if pkgNS != "" {
		return jinja.ObjectValue(&pkgNamespace{nc: nc, pkg: pkgNS}), true
	}
	return nc.member(name)
}

func (nc *nodeCtx) macroValue(e *macroEntry) jinja.Value {
	m, err := nc.s.c.macros.load(e)
	if err != nil {
		return fn(func(*jinja.State, []jinja.Value, []jinja.KwArg) (jinja.Value, error) {
			return jinja.Value{}, diag.Errorf(CodeRender, nc.loc(), "macro %s does not load: %v", e.uid, err)
		})
	}
	return jinja.MacroValue(m)
}

// pkgNamespace is `pkg.macro` access.
type pkgNamespace struct {
	nc  *nodeCtx
	pkg string
}

func (p *pkgNamespace) GetAttr(name string) (jinja.Value, bool) {
	e := p.nc.s.c.macros.fromPackage(p.pkg, name)
	if e == nil {
		return jinja.Value{}, false
	}
	if isInternal(e.pkg) {
		if v, ok := p.nc.internalOverride(name); ok {
			return v, true
		}
	}
	return p.nc.macroValue(e), true
}
func (p *pkgNamespace) GetItem(k jinja.Value) (jinja.Value, bool) { return p.GetAttr(k.String()) }
func (p *pkgNamespace) String() string                            { return "<namespace " + p.pkg + ">" }

// internalOverride replaces dbt's warehouse-bound global macros.
func (nc *nodeCtx) internalOverride(name string) (jinja.Value, bool) {
	switch name {
	case "is_incremental":
		return fn(nc.isIncremental), true
	case "run_query":
		return fn(func(st *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			nc.s.dependOutside("run_query()", st.Location())
			return emptyTable(), nil
		}), true
	case "statement", "noop_statement":
		return fn(func(st *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			nc.s.dependOutside("statement()", st.Location())
			return jinja.Str(""), nil
		}), true
	}
	return jinja.Value{}, false
}

func (nc *nodeCtx) isIncremental(st *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
	if nc.n == nil || nc.n.Materialized != "incremental" {
		return jinja.Bool(false), nil
	}
	nc.s.dependOutside("is_incremental()", st.Location())
	return jinja.Bool(nc.s.opt.IsIncremental && !nc.s.opt.FullRefresh), nil
}

// member returns a dbt context member (spec §3.3).
func (nc *nodeCtx) member(name string) (jinja.Value, bool) {
	s := nc.s
	c := s.c
	switch name {
	case "ref":
		return fn(nc.ref), true
	case "source":
		return fn(nc.source), true
	case "this":
		if nc.n == nil {
			return jinja.None(), true
		}
		r, err := s.h.This(nc.n)
		if err != nil {
			return jinja.Value{}, false
		}
		s.addRef(r)
		return jinja.ObjectValue(newRelObj(r, relationClass(c.adapter.Name))), true
	case "config":
		return jinja.ObjectValue(&configObj{nc: nc}), true
	case "var":
		return jinja.ObjectValue(&varObj{nc: nc}), true
	case "env_var":
		return fn(nc.envVar), true
	case "target":
		d := jinja.NewDict()
		for _, k := range sortedKeys(c.target) {
			if _, over := s.opt.Target[k]; !over {
				d.SetStr(k, fromGo(c.target[k]))
			}
		}
		for _, k := range sortedKeys(s.opt.Target) {
			d.SetStr(k, fromGo(s.opt.Target[k]))
		}
		return jinja.DictValue(d), true
	case "execute":
		return jinja.Bool(true), true
	case "is_incremental":
		return fn(nc.isIncremental), true
	case "should_full_refresh":
		return constFn(jinja.Bool(s.opt.FullRefresh)), true
	case "adapter":
		return jinja.ObjectValue(&adapterObj{nc: nc}), true
	case "return":
		return fn(func(_ *jinja.State, a []jinja.Value, _ []jinja.KwArg) (jinja.Value, error) {
			v := jinja.None()
			if len(a) > 0 {
				v = a[0]
			}
			return jinja.Value{}, jinja.Return(v)
		}), true
	case "exceptions":
		return jinja.ObjectValue(&exceptionsObj{nc: nc}), true
	case "log", "print", "debug":
		return constFn(jinja.Str("")), true
	case "modules":
		return s.modulesValue(), true
	case "schemas", "database_schemas", "results":
		// on-run-end hooks get the run's results and the schemas it built
		// (RunTask.after_run): what ran is not in the manifest, so the lists
		// are empty and the render is marked as needing the outside.
		if nc.n != nil && nc.n.ResourceType == "operation" && strings.Contains(nc.n.UniqueID, "-on-run-end-") {
			s.dependOutside(name+" (on-run-end: what the run executed)", nc.loc())
			return jinja.NewList(), true
		}
	case "fromjson":
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			str, _ := argStr(a, kw, 0, "string")
			p := fastjson.Parser{}
			v, err := p.Parse(str)
			if err != nil {
				d, _ := arg(a, kw, 1, "default")
				if d.IsUndefined() {
					return jinja.None(), nil
				}
				return d, nil
			}
			return fromJSON(v), nil
		}), true
	case "tojson":
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			v, _ := arg(a, kw, 0, "value")
			sk, _ := arg(a, kw, 1, "sort_keys")
			return jinja.Str(pyJSON(v, sk.Truth())), nil
		}), true
	case "fromyaml":
		return fn(fromYAMLFunc), true
	case "toyaml":
		return fn(toYAMLFunc), true
	case "builtins":
		return jinja.ObjectValue(&builtinsObj{nc: nc}), true
	case "context":
		return jinja.ObjectValue(&contextObj{nc: nc}), true
	case "graph":
		if s.graph.IsUndefined() {
			s.graph = jinja.ObjectValue(&graphObj{s: s, secs: map[string]jinja.Value{}})
		}
		return s.graph, true
	case "model":
		if v := nc.rawJSON(); v != nil {
			mv := fromJSON(v)
			if d := mv.Dict(); d != nil {
				if cc, ok := d.GetStr("compiled_code"); ok {
					d.SetStr("compiled_sql", cc)
				} else if nc.n != nil {
					d.SetStr("raw_sql", jinja.Str(nc.n.RawCode))
				}
			}
			return mv, true
		}
		return jinja.DictValue(jinja.NewDict()), true
	case "database":
		if nc.n != nil {
			return partVal(nc.n.Database, nc.n.HasDatabase), true
		}
		return fromGo(c.target["database"]), true
	case "schema":
		if nc.n != nil {
			return partVal(nc.n.Schema, nc.n.HasSchema), true
		}
		return fromGo(c.target["schema"]), true
	case "sql", "compiled_code", "defer_relation", "sql_header":
		return jinja.None(), true
	case "pre_hooks", "post_hooks", "selected_resources":
		return jinja.NewList(), true
	case "invocation_args_dict", "dbt_metadata_envs", "var_defaults":
		return jinja.DictValue(jinja.NewDict()), true
	case "zip", "zip_strict":
		return fn(func(_ *jinja.State, a []jinja.Value, _ []jinja.KwArg) (jinja.Value, error) {
			var out []jinja.Value
			for i := 0; ; i++ {
				row := make([]jinja.Value, 0, len(a))
				for _, x := range a {
					it := iterValues(x)
					if i >= len(it) {
						return jinja.NewList(out...), nil
					}
					row = append(row, it[i])
				}
				if len(a) == 0 {
					return jinja.NewList(), nil
				}
				out = append(out, jinja.NewTuple(row...))
			}
		}), true
	case "set", "set_strict":
		// dbt: set(value, default=None) is Python's set(value), default when
		// value is not iterable; set_strict raises instead.
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			v, _ := arg(a, kw, 0, "value")
			if !isIterable(v) {
				if name == "set_strict" {
					return jinja.Value{}, diag.Errorf("jinja.type", nc.loc(), "'%s' object is not iterable", v.Kind())
				}
				d, ok := arg(a, kw, 1, "default")
				if !ok {
					d = jinja.None()
				}
				return d, nil
			}
			return jinja.ObjectValue(newSet(iterValues(v))), nil
		}), true
	case "local_md5":
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			str, _ := argStr(a, kw, 0, "value")
			h := md5.Sum([]byte(str))
			return jinja.Str(hex.EncodeToString(h[:])), nil
		}), true
	case "run_started_at":
		return jinja.ObjectValue(newDatetime(s.runStartedAt())), true
	case "invocation_id":
		if s.opt.InvocationID != "" {
			return jinja.Str(s.opt.InvocationID), true
		}
		return jinja.Str(c.m.Meta.InvocationID), true
	case "dbt_version":
		return jinja.Str(c.version), true
	case "project_name":
		return jinja.Str(c.root), true
	case "thread_id":
		return jinja.Str("Thread-1"), true
	case "flags":
		return jinja.ObjectValue(&flagsObj{s: s}), true
	case "api":
		return jinja.ObjectValue(&dictObj{name: "api", attrs: map[string]jinja.Value{
			"Relation": jinja.ObjectValue(&relClass{nc: nc}), "Column": jinja.ObjectValue(columnClass{adapter: c.adapter.Name, version: c.version})}}), true
	case "load_result":
		return fn(func(st *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			nc.s.dependOutside("load_result()", st.Location())
			d := jinja.NewDict()
			d.SetStr("response", jinja.None())
			d.SetStr("data", jinja.NewList())
			d.SetStr("table", emptyTable())
			return jinja.DictValue(d), nil
		}), true
	case "store_result", "store_raw_result", "write":
		return constFn(jinja.Str("")), true
	case "run_query":
		v, _ := nc.internalOverride("run_query")
		return v, true
	case "statement":
		v, _ := nc.internalOverride("statement")
		return v, true
	case "doc":
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			return jinja.Value{}, diag.Errorf(CodeCompiler, nc.loc(), "doc() is only available in schema YAML descriptions")
		}), true
	case "diff_of_two_dicts":
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			x, _ := arg(a, kw, 0, "dict_a")
			y, _ := arg(a, kw, 1, "dict_b")
			out := jinja.NewDict()
			if dx := x.Dict(); dx != nil {
				dy := y.Dict()
				for i, k := range dx.Keys() {
					var have []jinja.Value
					if dy != nil {
						if yv, ok := dy.Get(k); ok {
							have = iterValues(yv)
						}
					}
					var diff []jinja.Value
					for _, v := range iterValues(dx.Values()[i]) {
						found := false
						for _, h := range have {
							if strings.EqualFold(h.String(), v.String()) {
								found = true
							}
						}
						if !found {
							diff = append(diff, v)
						}
					}
					if len(diff) > 0 {
						out.Set(k, jinja.NewList(diff...))
					}
				}
			}
			return jinja.DictValue(out), nil
		}), true
	case "try_or_compiler_error":
		return fn(func(st *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			if len(a) < 2 {
				return jinja.None(), nil
			}
			v, err := st.Call(a[1], a[2:], kw)
			if err != nil {
				return jinja.Value{}, diag.Errorf(CodeCompiler, nc.loc(), "%s", a[0].String())
			}
			return v, nil
		}), true
	case "render":
		return fn(func(st *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			str, _ := argStr(a, kw, 0, "string")
			out, err := nc.render(str)
			return jinja.Str(out), err
		}), true
	case "_dbt_generic_test_kwargs":
		return jinja.DictValue(jinja.NewDict()), true
	}
	return jinja.Value{}, false
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sortStrings(ks)
	return ks
}

// iterValues lists the items of a list, tuple, dict (keys) or string.
func iterValues(v jinja.Value) []jinja.Value {
	switch v.Kind() {
	case jinja.KindList, jinja.KindTuple:
		return v.Items()
	case jinja.KindDict:
		return v.Dict().Keys()
	case jinja.KindString:
		var out []jinja.Value
		for _, r := range v.AsString() {
			out = append(out, jinja.Str(string(r)))
		}
		return out
	case jinja.KindObject:
		if it, ok := v.Object().(jinja.Iterable); ok {
			return it.Iterate()
		}
	}
	return nil
}

// ref implements dbt's ref(): ref(name), ref(package, name), v=/version=.
func (nc *nodeCtx) ref(st *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
	var name, pkg, ver string
	switch len(a) {
	case 1:
		name = a[0].String()
	case 2:
		pkg, name = a[0].String(), a[1].String()
	default:
		return jinja.Value{}, diag.Errorf(CodeCompiler, nc.loc(), "The ref() function takes at most two positional arguments (%d given)", len(a))
	}
	for _, k := range kw {
		if (k.Name == "version" || k.Name == "v") && !k.Value.IsNone() {
			ver = k.Value.String()
		}
	}
	r, err := nc.s.h.Ref(nc.n, name, pkg, ver)
	if err != nil {
		return jinja.Value{}, err
	}
	nc.s.addRef(r)
	if r.Ephemeral && r.Target != nil {
		nc.addCTE(r.Target.UniqueID)
	}
	return jinja.ObjectValue(newRelObj(r, relationClass(nc.s.c.adapter.Name))), nil
}

func (nc *nodeCtx) addCTE(uid string) {
	for _, x := range nc.extraCTEs {
		if x == uid {
			return
		}
	}
	nc.extraCTEs = append(nc.extraCTEs, uid)
}

func (nc *nodeCtx) source(st *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
	src, _ := argStr(a, kw, 0, "source_name")
	tbl, _ := argStr(a, kw, 1, "table_name")
	if len(a)+len(kw) != 2 {
		return jinja.Value{}, diag.Errorf(CodeCompiler, nc.loc(), "source() takes exactly two arguments (%d given)", len(a)+len(kw))
	}
	r, err := nc.s.h.Source(nc.n, src, tbl)
	if err != nil {
		return jinja.Value{}, err
	}
	nc.s.addRef(r)
	return jinja.ObjectValue(newRelObj(r, relationClass(nc.s.c.adapter.Name))), nil
}

func (nc *nodeCtx) envVar(st *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
	name, _ := argStr(a, kw, 0, "var")
	if strings.HasPrefix(name, "DBT_ENV_SECRET") {
		return jinja.Value{}, diag.Errorf(CodeEnvVar, nc.loc(), "Secret env vars are allowed only in profiles.yml or packages.yml. Found '%s' referenced elsewhere.", name)
	}
	if v, ok := nc.s.opt.Env[name]; ok {
		return jinja.Str(v), nil
	}
	if d, ok := arg(a, kw, 1, "default"); ok && !d.IsNone() {
		nc.s.dependOutside("env_var('"+name+"') (default used)", st.Location())
		return d, nil
	}
	nc.s.dependOutside("env_var('"+name+"')", st.Location())
	return jinja.Value{}, diag.Errorf(CodeEnvVar, nc.loc(), "Env var required but not provided: '%s'", name)
}

// configObj is dbt's RuntimeConfigObject.
type configObj struct {
	nc  *nodeCtx
	cfg *jinja.Dict
}

func (c *configObj) dict() *jinja.Dict {
	if c.cfg == nil {
		c.cfg = jinja.NewDict()
		if v := c.nc.rawJSON(); v != nil {
			if cv := v.Get("config"); cv != nil {
				if d := fromJSON(cv).Dict(); d != nil {
					c.cfg = d
				}
			}
		}
	}
	return c.cfg
}

func (c *configObj) Call(st *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
	return jinja.Str(""), nil
}
func (c *configObj) String() string { return "<RuntimeConfigObject>" }

func (c *configObj) GetAttr(name string) (jinja.Value, bool) {
	switch name {
	case "get":
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			k, _ := argStr(a, kw, 0, "name")
			if v, ok := c.dict().GetStr(k); ok {
				return v, nil
			}
			d, ok := arg(a, kw, 1, "default")
			if !ok || d.IsUndefined() {
				return jinja.None(), nil
			}
			return d, nil
		}), true
	case "require":
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			k, _ := argStr(a, kw, 0, "name")
			if v, ok := c.dict().GetStr(k); ok {
				return v, nil
			}
			uid := ""
			if c.nc.n != nil {
				uid = c.nc.n.UniqueID
			}
			return jinja.Value{}, diag.Errorf(CodeCompiler, c.nc.loc(), "Model '%s' does not define a required config parameter '%s'.", uid, k)
		}), true
	case "set":
		return constFn(jinja.Str("")), true
	case "meta_get", "meta_require":
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			k, _ := argStr(a, kw, 0, "name")
			if m, ok := c.dict().GetStr("meta"); ok && m.Dict() != nil {
				if v, ok := m.Dict().GetStr(k); ok {
					return v, nil
				}
			}
			if name == "meta_require" {
				return jinja.Value{}, diag.Errorf(CodeCompiler, c.nc.loc(), "Required meta config '%s' not found", k)
			}
			d, ok := arg(a, kw, 1, "default")
			if !ok || d.IsUndefined() {
				return jinja.None(), nil
			}
			return d, nil
		}), true
	case "persist_relation_docs", "persist_column_docs":
		key := "relation"
		if name == "persist_column_docs" {
			key = "columns"
		}
		return fn(func(*jinja.State, []jinja.Value, []jinja.KwArg) (jinja.Value, error) {
			if pd, ok := c.dict().GetStr("persist_docs"); ok && pd.Dict() != nil {
				if v, ok := pd.Dict().GetStr(key); ok {
					return jinja.Bool(v.Truth()), nil
				}
			}
			return jinja.Bool(false), nil
		}), true
	case "model":
		if v := c.nc.rawJSON(); v != nil {
			return fromJSON(v), true
		}
	}
	return jinja.Value{}, false
}

// varObj is dbt's var(): callable, with has_var.
type varObj struct{ nc *nodeCtx }

func (v *varObj) merged() *jinja.Dict {
	nc := v.nc
	if nc.vars != nil {
		return nc.vars
	}
	d := jinja.NewDict()
	// dbt's ModelConfiguredVar merges, later winning: the node's package's
	// own project (when it is not the root), then the root project; in each,
	// the global keys and then the block scoped to the node's package.
	addProject := func(pv map[string]any) {
		for _, k := range sortedKeys(pv) {
			d.SetStr(k, fromGo(pv[k]))
		}
		switch m := pv[nc.pkg].(type) {
		case map[string]any:
			for _, k := range sortedKeys(m) {
				d.SetStr(k, fromGo(m[k]))
			}
		case *OrderedMap:
			for _, k := range m.Keys {
				d.SetStr(k, fromGo(m.Values[k]))
			}
		}
	}
	if nc.pkg != nc.s.c.root {
		if pv, ok := nc.s.opt.PackageVars[nc.pkg]; ok {
			addProject(pv)
		}
	}
	addProject(nc.s.opt.ProjectVars)
	for _, k := range sortedKeys(nc.s.opt.Vars) {
		d.SetStr(k, fromGo(nc.s.opt.Vars[k]))
	}
	nc.vars = d
	return d
}

func (v *varObj) Call(st *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
	name, _ := argStr(a, kw, 0, "var_name")
	if x, ok := v.merged().GetStr(name); ok {
		// dbt renders string values with the node's context (get_rendered_var).
		if x.Kind() == jinja.KindString && jinja.HasJinja(x.AsString()) {
			out, err := v.nc.render(x.AsString())
			if err != nil {
				return jinja.Value{}, err
			}
			return jinja.Str(out), nil
		}
		return x, nil
	}
	if d, ok := arg(a, kw, 1, "default"); ok {
		return d, nil
	}
	nc := v.nc
	nc.s.dependOutside("var('"+name+"') (no value, no default)", st.Location())
	who := "<inline>"
	if nc.n != nil {
		who = nc.n.Name
	}
	return jinja.Value{}, diag.Errorf(CodeVar, nc.loc(), "Required var '%s' not found in config:\nVars supplied to %s = %s", name, who, pyJSON(jinja.DictValue(v.merged()), true))
}

func (v *varObj) GetAttr(name string) (jinja.Value, bool) {
	if name == "has_var" {
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			n, _ := argStr(a, kw, 0, "var_name")
			_, ok := v.merged().GetStr(n)
			return jinja.Bool(ok), nil
		}), true
	}
	return jinja.Value{}, false
}
func (v *varObj) String() string { return "<Var>" }

// exceptionsObj is dbt's `exceptions` namespace.
type exceptionsObj struct{ nc *nodeCtx }

func (e *exceptionsObj) GetAttr(name string) (jinja.Value, bool) {
	switch {
	case name == "warn" || strings.HasPrefix(name, "warn_"):
		return fn(func(st *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			msg, _ := argStr(a, kw, 0, "msg")
			e.nc.s.diag(diag.Diagnostic{Code: CodeWarn, Severity: diag.SeverityWarning, Message: msg, Location: st.Location()})
			return jinja.Str(""), nil
		}), true
	case strings.HasPrefix(name, "raise_"):
		return fn(func(st *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			msg, _ := argStr(a, kw, 0, "msg")
			if msg == "" && len(a) > 0 {
				msg = a[0].String()
			}
			loc := st.Location()
			if e.nc.n != nil {
				loc.UniqueID = e.nc.n.UniqueID
			}
			return jinja.Value{}, diag.Errorf(CodeCompiler, loc, "Compilation Error: %s", msg)
		}), true
	}
	return jinja.Value{}, false
}

// builtinsObj is `builtins`: the context members, bypassing macro overrides.
type builtinsObj struct{ nc *nodeCtx }

func (b *builtinsObj) GetAttr(name string) (jinja.Value, bool) { return b.nc.member(name) }
func (b *builtinsObj) GetItem(k jinja.Value) (jinja.Value, bool) {
	return b.nc.member(k.String())
}

// contextObj is `context`: the full namespace as a mapping.
type contextObj struct{ nc *nodeCtx }

func (c *contextObj) GetItem(k jinja.Value) (jinja.Value, bool) { return c.nc.resolve(nil, k.String()) }
func (c *contextObj) GetAttr(name string) (jinja.Value, bool) {
	if name == "get" {
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			k, _ := argStr(a, kw, 0, "key")
			if v, ok := c.nc.resolve(nil, k); ok {
				return v, nil
			}
			d, _ := arg(a, kw, 1, "default")
			if d.IsUndefined() {
				return jinja.None(), nil
			}
			return d, nil
		}), true
	}
	return jinja.Value{}, false
}

// flagsObj is `flags`.
type flagsObj struct{ s *session }

func (f *flagsObj) GetAttr(name string) (jinja.Value, bool) {
	switch name {
	case "FULL_REFRESH":
		return jinja.Bool(f.s.opt.FullRefresh), true
	case "STORE_FAILURES", "WARN_ERROR", "EMPTY", "USE_COLORS", "DEBUG", "FAIL_FAST", "NO_PRINT", "LOG_CACHE_EVENTS":
		return jinja.Bool(false), true
	case "WHICH":
		return jinja.Str("compile"), true
	case "INVOCATION_COMMAND":
		return jinja.Str("dbt compile"), true
	}
	return jinja.None(), true
}
func (f *flagsObj) String() string { return "<flags>" }

// addTestKwargs renders test_metadata.kwargs natively into
// _dbt_generic_test_kwargs (dbt's add_rendered_test_kwargs).
func (nc *nodeCtx) addTestKwargs() error {
	raw := nc.rawJSON()
	if raw == nil {
		return nil
	}
	kv := raw.Get("test_metadata", "kwargs")
	if kv == nil {
		return nil
	}
	val := fromJSON(kv)
	out, err := nc.deepRender(val, true)
	if err != nil {
		return err
	}
	nc.vals["_dbt_generic_test_kwargs"] = out
	nc.vals["_dbt_schema_test_kwargs"] = out // dbt < 1.0
	nc.missingTestArgs(raw, out)
	return nil
}

// missingTestArgs flags the generic test's required arguments its
// test_metadata.kwargs do not hold: dbt-core always records them, Fusion's
// preview manifests drop some (accepted_values' values, relationships' to
// and field), and the macro would render them as empty text.
func (nc *nodeCtx) missingTestArgs(raw *fastjson.Value, kwargs jinja.Value) {
	name := string(raw.GetStringBytes("test_metadata", "name"))
	if name == "" || kwargs.Kind() != jinja.KindDict {
		return
	}
	callee := "test_" + name
	if ns := string(raw.GetStringBytes("test_metadata", "namespace")); ns != "" {
		callee = ns + "." + callee
	}
	e := nc.s.c.findMacro(callee, nc.pkg)
	if e == nil {
		return
	}
	m, err := nc.s.c.macros.load(e)
	if err != nil {
		return
	}
	have := map[string]bool{}
	for _, k := range kwargs.Dict().Keys() {
		have[k.String()] = true
	}
	for _, p := range m.Required() {
		if !have[p] && p != "model" {
			nc.s.dependOutside("test argument "+p+" (not recorded in the manifest's test_metadata.kwargs)", nc.loc())
		}
	}
}

var looksLikeFunc = regexp.MustCompile(`^\s*(env_var|ref|var|source|doc)\s*\(.+\)\s*$`)

func (nc *nodeCtx) deepRender(v jinja.Value, top bool) (jinja.Value, error) {
	switch v.Kind() {
	case jinja.KindDict:
		d := v.Dict()
		out := jinja.NewDict()
		for i, k := range d.Keys() {
			x := d.Values()[i]
			if top && k.String() == "column_name" && x.Kind() == jinja.KindString {
				out.Set(k, x)
				continue
			}
			r, err := nc.deepRender(x, false)
			if err != nil {
				return v, err
			}
			out.Set(k, r)
		}
		return jinja.DictValue(out), nil
	case jinja.KindList, jinja.KindTuple:
		items := v.Items()
		out := make([]jinja.Value, len(items))
		for i, x := range items {
			r, err := nc.deepRender(x, false)
			if err != nil {
				return v, err
			}
			out[i] = r
		}
		return jinja.NewList(out...), nil
	case jinja.KindString:
		s := v.AsString()
		if looksLikeFunc.MatchString(s) {
			s = "{{ " + s + " }}"
		}
		return nc.renderNative(s)
	}
	return v, nil
}

var singleExpr = regexp.MustCompile(`(?s)^\{\{(.*)\}\}$`)

// renderNative is dbt's native rendering (NativeSandboxTemplate and
// quoted_native_concat). Since dbt 0.17.1 a lone {{ expr }} keeps its Python
// value, and only a value marked by as_native, as_bool or as_number is read
// as a Python literal; any other text renders to a string. Before, every
// result that reads as a Python literal became one. Jinja drops one trailing
// newline of the text first.
func (nc *nodeCtx) renderNative(s string) (jinja.Value, error) {
	legacy := nc.s.c.version != "" && (!deferral.AtLeast(nc.s.c.version, 0, 17) || strings.HasPrefix(nc.s.c.version, "0.17.0"))
	lone := strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r")
	if m := singleExpr.FindStringSubmatch(lone); m != nil && !strings.Contains(m[1], "{{") && !strings.Contains(m[1], "}}") {
		var got jinja.Value
		t, err := nc.s.c.tmpls.parse("<test kwargs>", "{% do __native_capture__("+m[1]+") %}")
		if err == nil {
			nc.vals["__native_capture__"] = fn(func(_ *jinja.State, a []jinja.Value, _ []jinja.KwArg) (jinja.Value, error) {
				if len(a) > 0 {
					got = a[0]
				}
				return jinja.None(), nil
			})
			_, err = nc.env.Render(t, nil)
			delete(nc.vals, "__native_capture__")
			if err != nil {
				return jinja.Value{}, nc.wrap(err)
			}
			if got.Kind() == jinja.KindString && (legacy || nativeMarked.MatchString(m[1])) {
				return literalEval(got.AsString()), nil
			}
			return got, nil
		}
	}
	t, err := nc.s.c.tmpls.parse("<test kwargs>", s)
	if err != nil {
		return jinja.Value{}, nc.wrap(err)
	}
	out, err := nc.env.Render(t, nil)
	if err != nil {
		return jinja.Value{}, nc.wrap(err)
	}
	if legacy {
		return literalEval(out), nil
	}
	return jinja.Str(out), nil
}

// nativeMarked matches an expression whose last filter marks its value for
// literal_eval (dbt's NativeMarker filters).
var nativeMarked = regexp.MustCompile(`\|\s*as_(native|bool|number)\s*$`)

// literalEval reads simple Python literals (ints, floats, True/False/None,
// quoted strings, JSON-like lists and dicts); anything else stays a string.
func literalEval(s string) jinja.Value {
	t := strings.TrimSpace(s)
	switch t {
	case "True":
		return jinja.Bool(true)
	case "False":
		return jinja.Bool(false)
	case "None":
		return jinja.None()
	case "":
		return jinja.Str(s)
	}
	if i, err := strconv.ParseInt(t, 10, 64); err == nil && !strings.HasPrefix(t, "0") || t == "0" {
		if err == nil {
			return jinja.Int(i)
		}
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil && strings.ContainsAny(t, ".eE") && !strings.ContainsAny(t, "xXn") {
		return jinja.Float(f)
	}
	if len(t) >= 2 && (t[0] == '[' && t[len(t)-1] == ']' || t[0] == '{' && t[len(t)-1] == '}') {
		js := strings.NewReplacer("'", `"`, "True", "true", "False", "false", "None", "null").Replace(t)
		if v, err := fastjson.Parse(js); err == nil {
			return fromGo(manifest.GoValue(v, true))
		}
	}
	return jinja.Str(s)
}

var _ = fmt.Sprint
