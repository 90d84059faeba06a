package deferral

import (
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
	"github.com/dbtdefer/dbtdefer/resolve/relation"
	"github.com/valyala/fastjson"
)

// Existence is the oracle's answer to "does this dev relation exist?".
type Existence int

// The oracle's answers.
const (
	Unknown Existence = iota
	Exists
	Missing
)

func (e Existence) String() string {
	switch e {
	case Exists:
		return "exists"
	case Missing:
		return "missing"
	}
	return "unknown"
}

// Evidence names what an oracle answer rested on.
type Evidence string

// The kinds of evidence.
const (
	FromCatalog    Evidence = "catalog"
	FromRunResults Evidence = "run_results"
	FromList       Evidence = "relation list"
	NoEvidence     Evidence = ""
)

// Oracle answers whether a dev relation exists, from what the host knows: a
// dev catalog.json (a full listing of the project's schemas, so absence
// means missing), successful builds in a dev run_results.json, and explicit
// relation names. Anything else is Unknown, and the caller applies a policy.
// Names are compared with the adapter's case rules.
type Oracle struct {
	adapter relation.Adapter
	quoting relation.Quoting
	// byKey holds listed relations under a case-folded key.
	byKey map[string][]listed
	// catalogSchemas are the (database, schema) pairs a catalog covered.
	catalogSchemas map[string]bool
	hasCatalog     bool
	// catalogIDs are the unique_ids the catalogs list (nodes and sources).
	catalogIDs []string
}

type listed struct {
	parts    relation.Parts
	evidence Evidence
}

// NewOracle makes an empty oracle for an adapter and the project's quoting.
func NewOracle(a relation.Adapter, projectQuoting relation.Quoting) *Oracle {
	return &Oracle{adapter: a, quoting: projectQuoting, byKey: map[string][]listed{}, catalogSchemas: map[string]bool{}}
}

// CatalogIDs returns the unique_ids of the nodes and sources the added
// catalogs list, so the caller can check they belong to the dev project.
func (o *Oracle) CatalogIDs() []string { return o.catalogIDs }

// HasCatalog reports whether a catalog was added.
func (o *Oracle) HasCatalog() bool { return o.hasCatalog }

// Size is the number of relations the oracle knows to exist.
func (o *Oracle) Size() int {
	n := 0
	for _, l := range o.byKey {
		n += len(l)
	}
	return n
}

func foldKey(p relation.Parts) string {
	return strings.ToLower(p.Schema + "\x00" + p.Identifier)
}

func (o *Oracle) add(p relation.Parts, ev Evidence) {
	k := foldKey(p)
	o.byKey[k] = append(o.byKey[k], listed{p, ev})
}

// ReadCatalog parses a catalog.json: catalog.syntax when it is not JSON,
// catalog.wrong_artifact when it is another artifact (a dbt_schema_version
// of another kind, no "nodes" or "sources").
func ReadCatalog(file string, data []byte) (*fastjson.Value, error) {
	var p fastjson.Parser
	v, err := p.ParseBytes(data)
	if err != nil {
		return nil, diag.Errorf("catalog.syntax", diag.Location{File: file}, "catalog is not valid JSON: %v", err)
	}
	if v.Type() != fastjson.TypeObject {
		return nil, diag.Errorf("catalog.wrong_artifact", diag.Location{File: file}, "not a catalog.json: a JSON %s, not an object", v.Type())
	}
	if u := string(v.GetStringBytes("metadata", "dbt_schema_version")); u != "" && !strings.Contains(u, "/catalog/") {
		return nil, diag.Errorf("catalog.wrong_artifact", diag.Location{File: file}, "not a catalog.json (dbt_schema_version %s)", u)
	}
	if v.Get("nodes") == nil && v.Get("sources") == nil {
		return nil, diag.Errorf("catalog.wrong_artifact", diag.Location{File: file}, "not a catalog.json: no \"nodes\" or \"sources\"")
	}
	return v, nil
}

// AddCatalog adds every relation of a dev catalog.json (as ReadCatalog
// read it). A catalog lists whole schemas, so a relation absent from a
// schema it covers is Missing.
func (o *Oracle) AddCatalog(v *fastjson.Value) {
	for _, sec := range []string{"nodes", "sources"} {
		obj := v.GetObject(sec)
		if obj == nil {
			continue
		}
		obj.Visit(func(key []byte, e *fastjson.Value) {
			md := e.Get("metadata")
			if md == nil {
				return
			}
			o.catalogIDs = append(o.catalogIDs, string(key))
			parts := relation.Parts{Identifier: string(md.GetStringBytes("name")), Schema: string(md.GetStringBytes("schema"))}
			parts.HasSchema = true
			if d := md.Get("database"); d != nil && d.Type() == fastjson.TypeString {
				parts.Database, parts.HasDatabase = string(d.GetStringBytes()), true
			}
			o.add(parts, FromCatalog)
			o.catalogSchemas[strings.ToLower(parts.Schema)] = true
		})
	}
	o.hasCatalog = true
}

// ReadRunResults parses a run_results.json (what names it in messages:
// "run_results", "production run_results") and answers the document and its
// "results" array, or run_results.syntax or run_results.wrong_artifact (a
// dbt_schema_version of another artifact, no "results" array).
func ReadRunResults(file, what string, data []byte) (*fastjson.Value, []*fastjson.Value, error) {
	var p fastjson.Parser
	v, err := p.ParseBytes(data)
	if err != nil {
		return nil, nil, diag.Errorf("run_results.syntax", diag.Location{File: file}, "%s is not valid JSON: %v", what, err)
	}
	if u := string(v.GetStringBytes("metadata", "dbt_schema_version")); u != "" && !strings.Contains(u, "/run-results/") {
		return nil, nil, diag.Errorf("run_results.wrong_artifact", diag.Location{File: file}, "not a run_results.json (dbt_schema_version %s)", u)
	}
	r := v.Get("results")
	if r == nil || r.Type() != fastjson.TypeArray {
		return nil, nil, diag.Errorf("run_results.wrong_artifact", diag.Location{File: file}, "not a run_results.json: no \"results\" array")
	}
	results, _ := r.Array()
	return v, results, nil
}

// AddRunResults adds the dev relations of nodes a dev run_results.json
// reports as built successfully; dev gives their coordinates.
func (o *Oracle) AddRunResults(file string, data []byte, dev *manifest.Manifest) error {
	_, results, err := ReadRunResults(file, "run_results", data)
	if err != nil {
		return err
	}
	for _, r := range results {
		status := string(r.GetStringBytes("status"))
		if status != "success" && status != "pass" && status != "warn" {
			continue
		}
		uid := string(r.GetStringBytes("unique_id"))
		if uid == "" || dev == nil {
			continue
		}
		n, err := dev.Node(uid)
		if err != nil || !n.IsRefable() || n.IsEphemeral() {
			continue
		}
		o.add(NodeParts(n), FromRunResults)
	}
	return nil
}

// AddRelation adds one relation name the host knows exists in dev:
// "database.schema.identifier" or "schema.identifier", parts optionally
// quoted with " or `.
func (o *Oracle) AddRelation(name string) error {
	parts := splitRelationName(name)
	var p relation.Parts
	switch len(parts) {
	case 3:
		p = relation.Parts{Database: parts[0], Schema: parts[1], Identifier: parts[2], HasDatabase: true, HasSchema: true}
	case 2:
		p = relation.Parts{Schema: parts[0], Identifier: parts[1], HasSchema: true}
	default:
		return diag.Errorf("options.dev_relation", diag.Location{}, "dev relation %q: expected schema.identifier or database.schema.identifier", name)
	}
	o.add(p, FromList)
	return nil
}

// splitRelationName splits on dots outside quotes and strips the quotes.
func splitRelationName(s string) []string {
	var parts []string
	var cur strings.Builder
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '"' || c == '`':
			quote = c
		case c == '.':
			parts = append(parts, cur.String())
			cur.Reset()
		case c == ' ' || c == '\t':
		default:
			cur.WriteByte(c)
		}
	}
	parts = append(parts, cur.String())
	for _, p := range parts {
		if p == "" {
			return nil
		}
	}
	return parts
}

// NodeParts is the relation path of a node: database, schema, alias.
func NodeParts(n *manifest.Node) relation.Parts {
	return relation.Parts{Database: n.Database, Schema: n.Schema, Identifier: n.Alias, HasDatabase: n.HasDatabase, HasSchema: n.HasSchema}
}

// Exists answers for the dev relation at p, and what the answer rested on.
func (o *Oracle) Exists(p relation.Parts) (Existence, Evidence) {
	approx := false
	for _, l := range o.byKey[foldKey(p)] {
		switch o.adapter.Match(p, o.quoting, l.parts) {
		case relation.Exact:
			return Exists, l.evidence
		case relation.Approximate:
			approx = true
		}
	}
	_ = approx // dbt would raise ApproximateMatchError; we treat it as missing (see README)
	if o.hasCatalog {
		return Missing, FromCatalog
	}
	return Unknown, NoEvidence
}
