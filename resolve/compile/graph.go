package compile

import (
	"github.com/dbtdefer/dbtdefer/resolve/jinja"
	"github.com/valyala/fastjson"
)

// graphObj is dbt's `graph` (flat_graph), built section by section on first
// access only: most renders never touch it.
type graphObj struct {
	s    *session
	secs map[string]jinja.Value
	// extra holds keys templates add to the graph dict (elementary's
	// on-run-start does graph.setdefault("elementary", {...}) as a run cache).
	extra *jinja.Dict
}

var graphSections = map[string]bool{"nodes": true, "sources": true, "exposures": true, "metrics": true, "groups": true,
	"semantic_models": true, "saved_queries": true, "unit_tests": true, "functions": true}

func (g *graphObj) String() string { return "<graph>" }

func (g *graphObj) section(name string) (jinja.Value, bool) {
	if g.extra != nil {
		if v, ok := g.extra.GetStr(name); ok {
			return v, true
		}
	}
	if !graphSections[name] {
		return jinja.Value{}, false
	}
	if v, ok := g.secs[name]; ok {
		return v, true
	}
	m := g.s.c.m
	d := jinja.NewDict()
	var p fastjson.Parser
	for _, uid := range m.Keys(name) {
		raw, _, ok := m.Raw(name, uid)
		if !ok {
			continue
		}
		v, err := p.ParseBytes(raw)
		if err != nil {
			continue
		}
		d.SetStr(uid, fromJSON(v))
	}
	val := jinja.DictValue(d)
	g.secs[name] = val
	return val, true
}

func (g *graphObj) GetAttr(name string) (jinja.Value, bool) {
	if v, ok := g.section(name); ok {
		return v, true
	}
	switch name {
	case "get":
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			k, _ := argStr(a, kw, 0, "key")
			if v, ok := g.section(k); ok {
				return v, nil
			}
			d, _ := arg(a, kw, 1, "default")
			if d.IsUndefined() {
				return jinja.None(), nil
			}
			return d, nil
		}), true
	case "setdefault":
		// dict.setdefault(key, default=None): the existing value, else default
		// stored and returned.
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			k, _ := argStr(a, kw, 0, "key")
			if v, ok := g.section(k); ok {
				return v, nil
			}
			d, ok := arg(a, kw, 1, "default")
			if !ok {
				d = jinja.None()
			}
			if g.extra == nil {
				g.extra = jinja.NewDict()
			}
			g.extra.SetStr(k, d)
			return d, nil
		}), true
	case "keys":
		return fn(func(*jinja.State, []jinja.Value, []jinja.KwArg) (jinja.Value, error) {
			return jinja.NewList(g.Iterate()...), nil
		}), true
	}
	return jinja.Value{}, false
}

func (g *graphObj) GetItem(k jinja.Value) (jinja.Value, bool) { return g.section(k.String()) }

func (g *graphObj) Iterate() []jinja.Value {
	var out []jinja.Value
	for _, k := range []string{"exposures", "groups", "metrics", "nodes", "sources", "semantic_models", "saved_queries", "unit_tests"} {
		out = append(out, jinja.Str(k))
	}
	if g.extra != nil {
		for _, k := range g.extra.Keys() {
			if !graphSections[k.String()] {
				out = append(out, k)
			}
		}
	}
	return out
}
