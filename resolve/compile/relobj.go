package compile

import (
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve/jinja"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
	"github.com/dbtdefer/dbtdefer/resolve/relation"
)

// Rel is what the host answers for a ref(), source() or this: the rendered
// relation string plus, when the adapter's rules are known, the structured
// relation so methods such as include() and quote() can re-render it.
type Rel struct {
	// Rendered is the relation string dbt prints.
	Rendered string
	// Relation is the structured relation; Structured says that
	// Relation.Render() == Rendered, so derived relations can be rendered.
	Relation   relation.Relation
	Structured bool
	// Ephemeral marks an ephemeral ref: Rendered is `__dbt__cte__<name>` and
	// Target's compiled SQL must be injected as a CTE.
	Ephemeral bool
	// Target is the node the ref resolved to (dev manifest), nil for this/source
	// when unknown.
	Target *manifest.Node
	// Type is the relation type dbt would give ("table", "view", "cte", ""
	// for unknown).
	Type string
	// Record is the host's provenance for the ref (resolve.RefResult); it is
	// copied to Result.Refs.
	Record any
	// Deferred marks a ref resolved to production's relation: introspection
	// about it reads production's catalog first.
	Deferred bool
}

// relObj is dbt's Relation object as templates see it.
type relObj struct {
	r       relation.Relation
	str     string // rendered when not structured or unchanged
	changed bool
	eph     bool
	typ     string
	cls     string
	limited bool
	// deferred: the relation came from a ref resolved to production.
	deferred bool
}

func newRelObj(r *Rel, cls string) *relObj {
	o := &relObj{r: r.Relation, str: r.Rendered, eph: r.Ephemeral, typ: r.Type, cls: cls, deferred: r.Deferred}
	if r.Ephemeral {
		o.typ = "cte"
		o.r = relation.Relation{Parts: relation.Parts{Identifier: r.Rendered}, Include: relation.Policy{Identifier: true}, QuoteChar: `"`}
		o.changed = false
	}
	if !r.Structured && !r.Ephemeral {
		// keep the string; derived relations render from the parts anyway.
		o.r.Parts = splitRendered(r.Rendered, r.Relation)
	}
	return o
}

// splitRendered keeps the structured parts when present.
func splitRendered(s string, r relation.Relation) relation.Parts {
	if r.Identifier != "" || r.Schema != "" {
		return r.Parts
	}
	ps := strings.Split(s, ".")
	trim := func(x string) string { return strings.Trim(x, "\"`[]") }
	switch len(ps) {
	case 3:
		return relation.Parts{Database: trim(ps[0]), Schema: trim(ps[1]), Identifier: trim(ps[2]), HasDatabase: true, HasSchema: true}
	case 2:
		return relation.Parts{Schema: trim(ps[0]), Identifier: trim(ps[1]), HasSchema: true}
	}
	return relation.Parts{Identifier: trim(s)}
}

func (o *relObj) String() string {
	if !o.changed {
		return o.str
	}
	return o.r.Render()
}

func (o *relObj) Repr() string { return "<" + o.cls + " " + o.String() + ">" }

func (o *relObj) clone() *relObj { c := *o; c.changed = true; return &c }

func partVal(s string, has bool) jinja.Value {
	if !has {
		return jinja.None()
	}
	return jinja.Str(s)
}

func (o *relObj) GetAttr(name string) (jinja.Value, bool) {
	p := o.r.Parts
	switch name {
	case "database":
		if o.eph {
			return jinja.None(), true
		}
		return partVal(p.Database, p.HasDatabase), true
	case "schema":
		if o.eph {
			return jinja.None(), true
		}
		return partVal(p.Schema, p.HasSchema), true
	case "identifier", "name", "table":
		return jinja.Str(p.Identifier), true
	case "type":
		if o.typ == "" {
			return jinja.None(), true
		}
		return jinja.Str(o.typ), true
	case "is_table":
		return jinja.Bool(o.typ == "table"), true
	case "is_view":
		return jinja.Bool(o.typ == "view"), true
	case "is_cte":
		return jinja.Bool(o.typ == "cte"), true
	case "is_materialized_view":
		return jinja.Bool(o.typ == "materialized_view"), true
	case "is_dynamic_table":
		return jinja.Bool(o.typ == "dynamic_table"), true
	case "can_be_renamed", "can_be_replaced":
		return jinja.Bool(o.typ == "table" || o.typ == "view"), true
	case "path":
		d := jinja.NewDict()
		d.SetStr("database", partVal(p.Database, p.HasDatabase))
		d.SetStr("schema", partVal(p.Schema, p.HasSchema))
		d.SetStr("identifier", jinja.Str(p.Identifier))
		return jinja.ObjectValue(&dictObj{name: "Path", attrs: map[string]jinja.Value{
			"database": partVal(p.Database, p.HasDatabase), "schema": partVal(p.Schema, p.HasSchema), "identifier": jinja.Str(p.Identifier),
			"get": fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
				k, _ := argStr(a, kw, 0, "key")
				if v, ok := d.GetStr(k); ok {
					return v, nil
				}
				v, _ := arg(a, kw, 1, "default")
				if v.IsUndefined() {
					return jinja.None(), nil
				}
				return v, nil
			})}}), true
	case "quote_policy":
		return policyObj(o.r.Quote), true
	case "include_policy":
		return policyObj(o.r.Include), true
	case "quote_character":
		return jinja.Str(o.r.QuoteChar), true
	case "render":
		return fn(func(*jinja.State, []jinja.Value, []jinja.KwArg) (jinja.Value, error) {
			return jinja.Str(o.String()), nil
		}), true
	case "render_limited":
		return fn(func(*jinja.State, []jinja.Value, []jinja.KwArg) (jinja.Value, error) {
			return jinja.Str(o.String()), nil
		}), true
	case "include":
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			c := o.clone()
			c.r.Include = applyPolicy(c.r.Include, kw)
			return jinja.ObjectValue(c), nil
		}), true
	case "quote":
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			c := o.clone()
			c.r.Quote = applyPolicy(c.r.Quote, kw)
			return jinja.ObjectValue(c), nil
		}), true
	case "replace_path":
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			c := o.clone()
			applyPath(&c.r.Parts, kw)
			return jinja.ObjectValue(c), nil
		}), true
	case "incorporate":
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			c := o.clone()
			for _, k := range kw {
				switch k.Name {
				case "path":
					if d := k.Value.Dict(); d != nil {
						var kws []jinja.KwArg
						for i, key := range d.Keys() {
							kws = append(kws, jinja.KwArg{Name: key.String(), Value: d.Values()[i]})
						}
						applyPath(&c.r.Parts, kws)
					}
				case "type":
					if k.Value.IsNone() {
						c.typ = ""
					} else {
						c.typ = k.Value.String()
					}
				}
			}
			return jinja.ObjectValue(c), nil
		}), true
	case "without_identifier":
		return fn(func(*jinja.State, []jinja.Value, []jinja.KwArg) (jinja.Value, error) {
			c := o.clone()
			c.r.Include.Identifier = false
			c.r.Identifier = ""
			return jinja.ObjectValue(c), nil
		}), true
	case "information_schema":
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			c := o.clone()
			c.r.Parts = relation.Parts{Database: p.Database, HasDatabase: p.HasDatabase, Schema: "INFORMATION_SCHEMA", HasSchema: true}
			if v, ok := argStr(a, kw, 0, "view_name"); ok {
				c.r.Identifier = v
			}
			c.r.Include = relation.Policy{Database: o.r.Include.Database, Schema: true, Identifier: c.r.Identifier != ""}
			c.r.Quote.Schema = false
			c.r.Quote.Identifier = false
			return jinja.ObjectValue(c), nil
		}), true
	case "metadata":
		d := jinja.NewDict()
		d.SetStr("type", jinja.Str(o.cls))
		return jinja.DictValue(d), true
	case "get":
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			k, _ := argStr(a, kw, 0, "key")
			if v, ok := o.GetAttr(k); ok {
				return v, nil
			}
			return jinja.None(), nil
		}), true
	}
	return jinja.Value{}, false
}

// Items makes the relation a mapping for Jinja's `is mapping` test, as
// dbt's dataclass relations are (dbt_utils._is_relation relies on it).
func (o *relObj) Items() [][2]jinja.Value {
	var out [][2]jinja.Value
	for _, k := range []string{"path", "type", "quote_policy", "include_policy", "metadata"} {
		v, _ := o.GetAttr(k)
		out = append(out, [2]jinja.Value{jinja.Str(k), v})
	}
	return out
}

func policyObj(p relation.Policy) jinja.Value {
	return jinja.ObjectValue(&dictObj{name: "Policy", attrs: map[string]jinja.Value{
		"database": jinja.Bool(p.Database), "schema": jinja.Bool(p.Schema), "identifier": jinja.Bool(p.Identifier)}})
}

func applyPolicy(p relation.Policy, kw []jinja.KwArg) relation.Policy {
	for _, k := range kw {
		if k.Value.IsNone() {
			continue
		}
		b := k.Value.Truth()
		switch k.Name {
		case "database":
			p.Database = b
		case "schema":
			p.Schema = b
		case "identifier":
			p.Identifier = b
		}
	}
	return p
}

func applyPath(p *relation.Parts, kw []jinja.KwArg) {
	for _, k := range kw {
		s, has := k.Value.String(), !k.Value.IsNone()
		switch k.Name {
		case "database":
			p.Database, p.HasDatabase = s, has
		case "schema":
			p.Schema, p.HasSchema = s, has
		case "identifier":
			if has {
				p.Identifier = s
			} else {
				p.Identifier = ""
			}
		}
	}
}

// relationClass is the adapter's Relation class name (what repr() prints).
func relationClass(adapter string) string {
	switch adapter {
	case "postgres":
		return "PostgresRelation"
	case "snowflake":
		return "SnowflakeRelation"
	case "bigquery":
		return "BigQueryRelation"
	case "redshift":
		return "RedshiftRelation"
	case "databricks":
		return "DatabricksRelation"
	case "spark":
		return "SparkRelation"
	case "duckdb":
		return "DuckDBRelation"
	case "trino":
		return "TrinoRelation"
	}
	return "BaseRelation"
}
