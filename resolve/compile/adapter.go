package compile

import (
	"cmp"
	"fmt"
	"sort"
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/jinja"
	"github.com/dbtdefer/dbtdefer/resolve/relation"
	"github.com/valyala/fastjson"
)

// adapterObj is dbt's `adapter` (BaseDatabaseWrapper): dispatch and the pure
// helpers; warehouse calls answer empty and are flagged.
type adapterObj struct{ nc *nodeCtx }

func (a *adapterObj) String() string { return "<adapter " + a.nc.s.c.adapter.Name + ">" }

func (a *adapterObj) quote(s string) string {
	ad := a.nc.s.c.adapter
	q, cl := ad.QuoteChar, ad.QuoteClose
	if q == "" {
		q = `"`
	}
	if cl == "" {
		cl = q
	}
	return q + s + cl
}

func (a *adapterObj) GetAttr(name string) (jinja.Value, bool) {
	nc := a.nc
	s := nc.s
	switch name {
	case "dispatch":
		return fn(nc.dispatch), true
	case "quote":
		return fn(func(_ *jinja.State, args []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			id, _ := argStr(args, kw, 0, "identifier")
			return jinja.Str(a.quote(id)), nil
		}), true
	case "quote_as_configured":
		return fn(func(_ *jinja.State, args []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			id, _ := argStr(args, kw, 0, "identifier")
			key, _ := argStr(args, kw, 1, "quote_key")
			pol := s.c.quoting.Over(s.c.adapter.DefaultQuote)
			q := map[string]bool{"database": pol.Database, "schema": pol.Schema, "identifier": pol.Identifier}[key]
			if q {
				return jinja.Str(a.quote(id)), nil
			}
			return jinja.Str(id), nil
		}), true
	case "quote_seed_column":
		return fn(func(_ *jinja.State, args []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			col, _ := argStr(args, kw, 0, "column")
			qc, _ := arg(args, kw, 1, "quote_config")
			quote := qc.Truth()
			if qc.IsNone() || qc.IsUndefined() {
				quote = s.c.adapter.Name != "snowflake" && s.c.adapter.Name != "bigquery"
			}
			if quote {
				return jinja.Str(a.quote(col)), nil
			}
			return jinja.Str(col), nil
		}), true
	case "type":
		return constFn(jinja.Str(s.c.adapter.Name)), true
	case "Relation":
		return jinja.ObjectValue(&relClass{nc: nc}), true
	case "Column":
		return jinja.ObjectValue(columnClass{adapter: s.c.adapter.Name, version: s.c.version}), true
	case "get_columns_in_relation":
		return fn(func(st *jinja.State, args []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			r, _ := arg(args, kw, 0, "relation")
			cols, in := s.catalogColumns(r)
			s.introspect(name, r.String(), in, len(cols.Items()), r, st.Location())
			if in == nil {
				return jinja.NewList(), nil
			}
			return cols, nil
		}), true
	case "get_relation", "load_cached_relation", "get_relation_from_catalog":
		return fn(func(st *jinja.State, args []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			desc := name + "()"
			if ro, ok := firstRel(args, kw); ok {
				desc = name + "(" + ro.String() + ")"
			} else {
				db, _ := argStr(args, kw, 0, "database")
				sc, _ := argStr(args, kw, 1, "schema")
				id, _ := argStr(args, kw, 2, "identifier")
				desc = fmt.Sprintf("adapter.%s(%s, %s, %s)", name, db, sc, id)
			}
			if name == "get_relation" {
				db, _ := argStr(args, kw, 0, "database")
				sc, _ := argStr(args, kw, 1, "schema")
				id, _ := argStr(args, kw, 2, "identifier")
				r, in := s.catalogRelation(db, sc, id)
				s.introspect(name, desc, in, 0, jinja.Value{}, st.Location())
				if in != nil {
					return r, nil
				}
				return jinja.None(), nil
			}
			s.dependOutside(desc, st.Location())
			return jinja.None(), nil
		}), true
	case "list_relations_without_caching", "list_relations", "get_missing_columns", "list_schemas",
		"get_partitions_metadata", "get_columns_in_select_sql", "describe_relation", "get_relations_by_pattern":
		return fn(func(st *jinja.State, args []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			s.dependOutside("adapter."+name+"()", st.Location())
			return jinja.NewList(), nil
		}), true
	case "check_schema_exists", "already_exists":
		return fn(func(st *jinja.State, args []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			s.dependOutside("adapter."+name+"()", st.Location())
			return jinja.Bool(false), nil
		}), true
	case "execute", "add_query", "drop_relation", "rename_relation", "truncate_relation", "create_schema", "drop_schema",
		"expand_target_column_types", "cache_added", "cache_dropped", "cache_renamed", "commit", "begin", "commit_if_has_connection":
		return fn(func(st *jinja.State, args []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			s.dependOutside("adapter."+name+"()", st.Location())
			return jinja.Str(""), nil
		}), true
	case "config":
		return jinja.ObjectValue(&dictObj{name: "config", attrs: map[string]jinja.Value{
			"project_name": jinja.Str(s.c.root), "quoting": jinja.DictValue(jinja.NewDict()),
			"credentials": jinja.ObjectValue(&dictObj{name: "credentials", attrs: map[string]jinja.Value{
				"database": fromGo(s.c.target["database"]), "schema": fromGo(s.c.target["schema"]), "type": jinja.Str(s.c.adapter.Name)}}),
		}}), true
	}
	return jinja.Value{}, false
}

func firstRel(args []jinja.Value, kw []jinja.KwArg) (*relObj, bool) {
	v, ok := arg(args, kw, 0, "relation")
	if !ok || v.Kind() != jinja.KindObject {
		return nil, false
	}
	r, ok := v.Object().(*relObj)
	return r, ok
}

// dispatch is BaseDatabaseWrapper.dispatch (spec §3.5).
func (nc *nodeCtx) dispatch(st *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
	name, _ := argStr(a, kw, 0, "macro_name")
	ns, hasNS := argStr(a, kw, 1, "macro_namespace")
	if _, ok := arg(nil, kw, -1, "packages"); ok {
		return jinja.Value{}, diag.Errorf(CodeCompiler, st.Location(), "The \"packages\" argument of adapter.dispatch() has been deprecated.\nUse the \"macro_namespace\" argument instead.")
	}
	if strings.Contains(name, ".") {
		parts := strings.SplitN(name, ".", 2)
		return jinja.Value{}, diag.Errorf(CodeCompiler, st.Location(),
			"In adapter.dispatch, got a macro name of \"%s\", but \".\" is not a valid macro name component. Did you mean `adapter.dispatch(\"%s\", macro_namespace=\"%s\")`?", name, parts[1], parts[0])
	}
	c := nc.s.c
	search := []string{""}
	if hasNS {
		found := false
		for _, d := range nc.s.opt.Dispatch {
			if d.MacroNamespace == ns && len(d.SearchOrder) > 0 {
				search, found = d.SearchOrder, true
				break
			}
		}
		if !found {
			if _, ok := c.macros.byPkg[ns]; ok || ns == c.root || ns == "dbt" || isInternal(ns) {
				search = []string{c.root, ns}
			}
		}
	}
	var attempts []string
	for _, p := range search {
		for _, pre := range c.chain {
			sn := pre + "__" + name
			var e *macroEntry
			if p == "" {
				e, _ = c.macros.lookup(sn, nc.pkg, c.root)
				attempts = append(attempts, "'"+sn+"'")
			} else {
				e = c.macros.fromPackage(p, sn)
				attempts = append(attempts, "'"+p+"."+sn+"'")
			}
			if e != nil {
				if isInternal(e.pkg) {
					if v, ok := nc.internalOverride(sn); ok {
						return v, nil
					}
				}
				return nc.macroValue(e), nil
			}
		}
	}
	nsS := "None"
	if hasNS {
		nsS = ns
	}
	return jinja.Value{}, diag.Errorf(CodeCompiler, st.Location(), "In dispatch: No macro named '%s' found within namespace: '%s'\n    Searched for: %s", name, nsS, strings.Join(attempts, ", "))
}

// relClass is api.Relation / adapter.Relation: create() builds relations
// with the adapter's default policies.
type relClass struct{ nc *nodeCtx }

func (r *relClass) String() string { return "<class '" + relationClass(r.nc.s.c.adapter.Name) + "'>" }
func (r *relClass) GetAttr(name string) (jinja.Value, bool) {
	switch name {
	case "create":
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			var p relation.Parts
			if v, ok := argStr(a, kw, 0, "database"); ok {
				p.Database, p.HasDatabase = v, true
			}
			if v, ok := argStr(a, kw, 1, "schema"); ok {
				p.Schema, p.HasSchema = v, true
			}
			p.Identifier, _ = argStr(a, kw, 2, "identifier")
			ad := r.nc.s.c.adapter
			rel := ad.ForRef(p, relation.Quoting{})
			typ, _ := argStr(nil, kw, -1, "type")
			o := &relObj{r: rel, changed: true, typ: typ, cls: relationClass(ad.Name)}
			for _, k := range kw {
				switch k.Name {
				case "quote_policy":
					if d := k.Value.Dict(); d != nil {
						o.r.Quote = applyPolicy(o.r.Quote, dictKw(d))
					}
				case "include_policy":
					if d := k.Value.Dict(); d != nil {
						o.r.Include = applyPolicy(o.r.Include, dictKw(d))
					}
				}
			}
			return jinja.ObjectValue(o), nil
		}), true
	case "Table", "View", "CTE", "External", "MaterializedView":
		if name == "MaterializedView" {
			return jinja.Str("materialized_view"), true
		}
		return jinja.Str(strings.ToLower(name)), true
	}
	return jinja.Value{}, false
}

func dictKw(d *jinja.Dict) []jinja.KwArg {
	var kw []jinja.KwArg
	for i, k := range d.Keys() {
		kw = append(kw, jinja.KwArg{Name: k.String(), Value: d.Values()[i]})
	}
	return kw
}

// columnObj is an adapter Column.
type columnObj struct {
	name, dtype string
	quote       string
}

func (c *columnObj) String() string { return "<Column " + c.name + " (" + c.dtype + ")>" }
func (c *columnObj) Repr() string   { return c.String() }
func (c *columnObj) GetAttr(name string) (jinja.Value, bool) {
	switch name {
	case "name", "column":
		return jinja.Str(c.name), true
	case "quoted":
		q := c.quote
		if q == "" {
			q = `"`
		}
		cl := q
		if q == "[" {
			cl = "]"
		}
		return jinja.Str(q + c.name + cl), true
	case "dtype", "data_type":
		return jinja.Str(c.dtype), true
	case "is_string", "is_number", "is_numeric", "is_integer", "is_float":
		t := strings.ToLower(c.dtype)
		var b bool
		switch name {
		case "is_string":
			b = strings.Contains(t, "char") || strings.Contains(t, "text") || t == "string"
		case "is_integer":
			b = strings.Contains(t, "int")
		case "is_float":
			b = strings.Contains(t, "float") || strings.Contains(t, "double") || t == "real"
		default:
			b = strings.Contains(t, "int") || strings.Contains(t, "numeric") || strings.Contains(t, "decimal") || strings.Contains(t, "float") || strings.Contains(t, "double") || t == "number"
		}
		return constFn(jinja.Bool(b)), true
	}
	return jinja.Value{}, false
}

type columnClass struct {
	adapter, version string
}

func (columnClass) String() string { return "<class 'Column'>" }

// translateType is the adapter Column class's translate_type.
func (c columnClass) translateType(dtype string) string {
	var labels map[string]string
	lower := false
	switch c.adapter {
	case "bigquery":
		labels = map[string]string{"TEXT": "STRING", "FLOAT": "FLOAT64", "INTEGER": "INT64"}
		if c.version != "" && !deferral.AtLeast(c.version, 1, 7) {
			// dbt-bigquery before 1.7 (column.py TYPE_LABELS): upper-case
			// labels for STRING and TIMESTAMP, BOOLEAN from 1.3.
			labels = map[string]string{"STRING": "STRING", "TIMESTAMP": "TIMESTAMP", "FLOAT": "FLOAT64", "INTEGER": "INT64", "RECORD": "RECORD"}
			if deferral.AtLeast(c.version, 1, 3) {
				labels["BOOLEAN"] = "BOOLEAN"
			}
		}
	case "databricks":
		labels, lower = map[string]string{"LONG": "BIGINT"}, true
	case "spark":
		return dtype
	case "trino":
		labels = map[string]string{"STRING": "VARCHAR", "FLOAT": "DOUBLE"}
	case "athena":
		labels = map[string]string{"STRING": "VARCHAR", "TEXT": "VARCHAR"}
	default:
		labels = map[string]string{"STRING": "TEXT"}
		if c.version != "" && !deferral.AtLeast(c.version, 1, 7) {
			labels = map[string]string{"STRING": "TEXT", "TIMESTAMP": "TIMESTAMP", "FLOAT": "FLOAT", "INTEGER": "INT"}
			if deferral.AtLeast(c.version, 1, 3) {
				labels["BOOLEAN"] = "BOOLEAN"
			}
		}
	}
	out := dtype
	if v, ok := labels[strings.ToUpper(dtype)]; ok {
		out = v
	}
	if lower {
		out = strings.ToLower(out)
	}
	return out
}

func (c columnClass) GetAttr(name string) (jinja.Value, bool) {
	switch name {
	case "translate_type":
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			t, _ := argStr(a, kw, 0, "dtype")
			return jinja.Str(c.translateType(t)), nil
		}), true
	case "string_type":
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			n, ok := arg(a, kw, 0, "size")
			if c.adapter == "bigquery" {
				return jinja.Str("string"), nil
			}
			if !ok || n.IsNone() {
				return jinja.Str("character varying"), nil
			}
			return jinja.Str(fmt.Sprintf("character varying(%d)", n.AsInt())), nil
		}), true
	case "numeric_type":
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			t, _ := argStr(a, kw, 0, "dtype")
			p, _ := arg(a, kw, 1, "precision")
			sc, _ := arg(a, kw, 2, "scale")
			if c.adapter == "bigquery" {
				// BigQueryColumn.numeric_type: the type alone, whatever the precision and scale.
				return jinja.Str(t), nil
			}
			if p.IsNone() || sc.IsNone() || p.IsUndefined() || sc.IsUndefined() {
				return jinja.Str(t), nil
			}
			return jinja.Str(fmt.Sprintf("%s(%s,%s)", t, p.String(), sc.String())), nil
		}), true
	}
	if name == "create" {
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			n, _ := argStr(a, kw, 0, "name")
			t, _ := argStr(a, kw, 1, "label_or_dtype")
			return jinja.ObjectValue(&columnObj{name: n, dtype: c.translateType(t)}), nil
		}), true
	}
	return jinja.Value{}, false
}

// tableObj is an empty agate table (what a stubbed run_query returns).
type tableObj struct{}

func emptyTable() jinja.Value { return jinja.ObjectValue(&tableObj{}) }

func (t *tableObj) String() string         { return "<agate.Table>" }
func (t *tableObj) Iterate() []jinja.Value { return nil }
func (t *tableObj) Len() int               { return 0 }
func (t *tableObj) GetItem(k jinja.Value) (jinja.Value, bool) {
	return jinja.Value{}, false
}
func (t *tableObj) GetAttr(name string) (jinja.Value, bool) {
	switch name {
	case "columns", "rows", "column_names", "column_types":
		return jinja.ObjectValue(&tableObj{}), true
	case "print_table", "print_json":
		return constFn(jinja.Str("")), true
	case "values", "keys", "items":
		return constFn(jinja.NewList()), true
	}
	return jinja.Value{}, false
}

// Catalog answers introspection from one environment's catalog.json.
type Catalog struct {
	// File names the catalog in provenance ("catalog.json" when unnamed).
	File  string
	rels  map[string][]catCol // lower(db.schema.name) → columns in index order
	parts map[string]catRel
	// state: production's catalog (Options.StateCatalog).
	state bool
}

type catRel struct {
	db, schema, name, typ string
}

type catCol struct {
	name, typ string
	index     int
}

// ParseCatalog reads catalog.json bytes (deferral.ReadCatalog's checks);
// file names it in errors and in provenance, and state marks production's
// catalog.
func ParseCatalog(file string, data []byte, state bool) (*Catalog, error) {
	file = cmp.Or(file, "catalog.json")
	v, err := deferral.ReadCatalog(file, data)
	if err != nil {
		return nil, err
	}
	return CatalogOf(file, v, state), nil
}

// CatalogOf is the Catalog of a catalog.json deferral.ReadCatalog read.
func CatalogOf(file string, v *fastjson.Value, state bool) *Catalog {
	c := &Catalog{File: cmp.Or(file, "catalog.json"), rels: map[string][]catCol{}, parts: map[string]catRel{}, state: state}
	for _, sec := range []string{"nodes", "sources"} {
		o := v.GetObject(sec)
		if o == nil {
			continue
		}
		o.Visit(func(_ []byte, e *fastjson.Value) {
			md := e.Get("metadata")
			if md == nil {
				return
			}
			cr := catRel{db: string(md.GetStringBytes("database")), schema: string(md.GetStringBytes("schema")), name: string(md.GetStringBytes("name")), typ: strings.ToLower(string(md.GetStringBytes("type")))}
			key := catalogKey(cr.db, cr.schema, cr.name)
			c.parts[key] = cr
			var cols []catCol
			if co := e.GetObject("columns"); co != nil {
				co.Visit(func(_ []byte, cv *fastjson.Value) {
					cols = append(cols, catCol{name: string(cv.GetStringBytes("name")), typ: string(cv.GetStringBytes("type")), index: cv.GetInt("index")})
				})
			}
			sort.SliceStable(cols, func(i, j int) bool { return cols[i].index < cols[j].index })
			c.rels[key] = cols
		})
	}
	return c
}

// catalogKey is how a catalog's relations are looked up: lower(db.schema.name).
func catalogKey(db, schema, name string) string {
	return strings.ToLower(db + "." + schema + "." + name)
}

// catalogs are the catalogs to ask about a relation, in order: production's
// first for a relation a ref resolved to production, else the dev one's.
func (s *session) catalogs(deferred bool) []*Catalog {
	a, b := s.opt.Catalog, s.opt.StateCatalog
	if deferred {
		a, b = b, a
	}
	out := make([]*Catalog, 0, 2)
	for _, c := range []*Catalog{a, b} {
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}

// introspect records an adapter call about a relation: answered by in, or
// (in == nil) a call that needs the warehouse.
func (s *session) introspect(call, relation string, in *Catalog, columns int, r jinja.Value, loc diag.Location) {
	rec := Introspection{Call: call, Relation: relation, Columns: columns, Location: loc}
	if ro, ok := relOf(r); ok {
		rec.Relation, rec.Deferred = ro.String(), ro.deferred
	}
	desc := "adapter." + call + "(" + rec.Relation + ")"
	if in == nil {
		s.dependOutside(desc, loc)
	} else {
		rec.AnsweredBy, rec.File = "catalog", in.File
		env := "the dev catalog"
		if in.state {
			rec.AnsweredBy, env = "stateCatalog", "production's catalog"
		}
		s.diag(diag.Diagnostic{Code: CodeIntrospection, Severity: diag.SeverityInfo, Location: loc,
			Message: fmt.Sprintf("%s: answered from %s (%s)", desc, env, in.File)})
	}
	for _, x := range s.introspection {
		if x.Call == rec.Call && x.Relation == rec.Relation {
			return
		}
	}
	s.introspection = append(s.introspection, rec)
}

func relOf(r jinja.Value) (*relObj, bool) {
	if r.Kind() != jinja.KindObject {
		return nil, false
	}
	ro, ok := r.Object().(*relObj)
	return ro, ok
}

// catalogColumns answers get_columns_in_relation from the first catalog
// listing the relation, in the catalog's column order.
func (s *session) catalogColumns(r jinja.Value) (jinja.Value, *Catalog) {
	ro, ok := relOf(r)
	if !ok {
		return jinja.NewList(), nil
	}
	p := ro.r.Parts
	key := catalogKey(p.Database, p.Schema, p.Identifier)
	for _, c := range s.catalogs(ro.deferred) {
		cols, ok := c.rels[key]
		if !ok {
			continue
		}
		out := make([]jinja.Value, len(cols))
		for i, c := range cols {
			t := c.typ
			if s.c.adapter.Name == "snowflake" && strings.EqualFold(t, "TEXT") {
				t = "VARCHAR" // describe table's name for what information_schema calls TEXT
			}
			out[i] = jinja.ObjectValue(&columnObj{name: c.name, dtype: t, quote: s.c.adapter.QuoteChar})
		}
		return jinja.NewList(out...), c
	}
	return jinja.NewList(), nil
}

// catalogRelation answers get_relation from the catalogs: the relation as
// the warehouse lists it, or nil.
func (s *session) catalogRelation(db, schema, id string) (jinja.Value, *Catalog) {
	var cr catRel
	var in *Catalog
	key := catalogKey(db, schema, id)
	for _, c := range s.catalogs(false) {
		if x, ok := c.parts[key]; ok {
			cr, in = x, c
			break
		}
	}
	if in == nil {
		return jinja.None(), nil
	}
	typ := "table"
	if strings.Contains(cr.typ, "view") {
		typ = "view"
	}
	rel := s.c.adapter.ForRef(relation.Parts{Database: cr.db, Schema: cr.schema, Identifier: cr.name, HasDatabase: true, HasSchema: true}, s.c.quoting)
	return jinja.ObjectValue(&relObj{r: rel, changed: true, typ: typ, cls: relationClass(s.c.adapter.Name), deferred: in.state}), in
}
