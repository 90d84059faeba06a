package manifest

import (
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/valyala/fastjson"
)

// Node is one manifest entry (node, source, macro, disabled definition),
// normalised across schema versions: raw_sql/raw_code and
// compiled_sql/compiled_code are unified, refs are objects whatever the
// schema wrote, versions are strings formatted as Python's str() would.
type Node struct {
	UniqueID         string
	ResourceType     string
	Name             string
	PackageName      string
	Path             string
	OriginalFilePath string
	PatchPath        string
	Description      string

	Database, Schema string
	HasDatabase      bool // false when null/absent (e.g. spark)
	HasSchema        bool
	Alias            string // models/seeds/snapshots; sources: Identifier
	Identifier       string
	RelationName     string
	HasRelationName  bool

	SourceName string
	// Quoting is a source's own quoting block.
	Quoting Quoting
	// ExternalLocation is a source's external.location (duckdb renders it).
	ExternalLocation string
	// Meta and Config are a source's meta and config, decoded for sources
	// only: dbt-duckdb renders a source from its meta's external_location.
	Meta, Config map[string]any

	Materialized string
	Enabled      bool
	Language     string
	Tags         []string
	FQN          []string
	Access       string
	Group        string

	RawCode      string
	CompiledCode string
	HasCompiled  bool // compiled_code/compiled_sql present (a compiled node)
	ExtraCTEs    []CTE

	Refs            []Ref
	SourceRefs      [][2]string
	DependsOnNodes  []string
	DependsOnMacros []string

	Version          string
	HasVersion       bool
	LatestVersion    string
	HasLatestVersion bool
	IsLatestVersion  *bool // v9 only

	ChecksumName, Checksum string
	Deferred               bool // ≤1.7 artifacts of deferred runs
	HasDeferRelation       bool // 1.8.x artifacts

	// MacroSQL is a macro's full {% macro %} text.
	MacroSQL string

	Disabled bool // from the disabled section
	// Offset is the entry's byte offset in the manifest.
	Offset int
	// Raw is the entry's JSON (shares the manifest's memory).
	Raw []byte
}

// Ref is one ref() recorded in a node's refs.
type Ref struct {
	Name       string `json:"name"`
	Package    string `json:"package,omitempty"`
	Version    string `json:"version,omitempty"`
	HasVersion bool   `json:"-"`
}

// CTE is one entry of extra_ctes.
type CTE struct {
	ID  string `json:"id"`
	SQL string `json:"sql"`
}

// IsEphemeral reports whether a refable node is materialized ephemeral.
func (n *Node) IsEphemeral() bool { return n.Materialized == "ephemeral" }

// IsRefable reports whether ref() can target the node.
func (n *Node) IsRefable() bool {
	switch n.ResourceType {
	case "model", "seed", "snapshot":
		return true
	}
	return false
}

// Node decodes the entry uid of "nodes" (falling back to "sources",
// "exposures", "metrics", "semantic_models", "saved_queries", "unit_tests",
// "functions" and "macros"). Decoded entries are cached.
func (m *Manifest) Node(uid string) (*Node, error) {
	m.mu.Lock()
	if n, ok := m.cache[uid]; ok {
		m.mu.Unlock()
		return n, nil
	}
	m.mu.Unlock()
	for _, sec := range []string{"nodes", "sources", "macros", "unit_tests", "exposures", "metrics", "semantic_models", "saved_queries", "functions"} {
		s := m.sections[sec]
		if s == nil {
			continue
		}
		if sp, ok := s.get(uid); ok {
			n, err := m.decode(uid, sp, false)
			if err != nil {
				return nil, err
			}
			m.mu.Lock()
			if m.cache == nil || len(m.cache) >= 8192 {
				m.cache = make(map[string]*Node) // bounded: a full sweep must not pin every node
			}
			m.cache[uid] = n
			m.mu.Unlock()
			return n, nil
		}
	}
	return nil, diag.Errorf(CodeNotFound, diag.Location{File: m.File, UniqueID: uid}, "no entry %q in the manifest", uid)
}

func (m *Manifest) decode(uid string, sp span, disabled bool) (*Node, error) {
	raw := m.data[sp.start:sp.end]
	p := m.parsers.Get()
	defer m.parsers.Put(p)
	v, err := p.ParseBytes(raw)
	if err != nil {
		loc := diag.Location{File: m.File, UniqueID: uid, Offset: int(sp.start)}
		loc.Line, loc.Column = diag.LineCol(m.data, int(sp.start))
		return nil, diag.Errorf(CodeBadEntry, loc, "entry is not valid JSON: %v", err)
	}
	if v.Type() != fastjson.TypeObject {
		loc := diag.Location{File: m.File, UniqueID: uid, Offset: int(sp.start)}
		loc.Line, loc.Column = diag.LineCol(m.data, int(sp.start))
		return nil, diag.Errorf(CodeBadEntry, loc, "entry is a JSON %s, expected an object", v.Type())
	}
	n := &Node{UniqueID: uid, Offset: int(sp.start), Raw: raw, Disabled: disabled, Enabled: true}
	// One pass over the members (a duplicate key: the last wins, as in
	// Python's json); what depends on several members is settled after.
	var cfg, meta, rawCode, rawSQL, compiledCode, compiledSQL *fastjson.Value
	var access string
	var group string
	o, _ := v.Object()
	o.Visit(func(k []byte, x *fastjson.Value) {
		if f, ok := nodeStrings[string(k)]; ok {
			*f(n) = strOf(x)
			return
		}
		switch string(k) {
		case "database":
			n.Database, n.HasDatabase = strValOK(x)
		case "schema":
			n.Schema, n.HasSchema = strValOK(x)
		case "relation_name":
			n.RelationName, n.HasRelationName = strValOK(x)
		case "quoting":
			n.Quoting = Quoting{}
			if x.Type() == fastjson.TypeObject {
				n.Quoting = Quoting{Database: boolPtr(x, "database"), Schema: boolPtr(x, "schema"), Identifier: boolPtr(x, "identifier")}
			}
		case "external":
			n.ExternalLocation = ""
			if x.Type() == fastjson.TypeObject {
				n.ExternalLocation = str(x, "location")
			}
		case "config":
			cfg = x
		case "meta":
			meta = x
		case "access":
			access = strOf(x)
		case "group":
			group = strOf(x)
		case "tags":
			n.Tags = strList(x)
		case "fqn":
			n.FQN = strList(x)
		case "raw_code":
			rawCode = x
		case "raw_sql":
			rawSQL = x
		case "compiled_code":
			compiledCode = x
		case "compiled_sql":
			compiledSQL = x
		case "extra_ctes":
			n.ExtraCTEs = nil
			for _, c := range arrayOf(x) {
				n.ExtraCTEs = append(n.ExtraCTEs, CTE{ID: str(c, "id"), SQL: str(c, "sql")})
			}
		case "refs":
			n.Refs = decodeRefs(arrayOf(x))
		case "sources":
			n.SourceRefs = nil
			for _, s := range arrayOf(x) {
				parts := strList(s)
				if len(parts) >= 2 {
					n.SourceRefs = append(n.SourceRefs, [2]string{parts[len(parts)-2], parts[len(parts)-1]})
				}
			}
		case "depends_on":
			n.DependsOnNodes = strList(x.Get("nodes"))
			n.DependsOnMacros = strList(x.Get("macros"))
		case "version":
			n.Version, n.HasVersion = scalar(x)
		case "latest_version":
			n.LatestVersion, n.HasLatestVersion = scalar(x)
		case "is_latest_version":
			n.IsLatestVersion = nil
			if t := x.Type(); t == fastjson.TypeTrue || t == fastjson.TypeFalse {
				b := t == fastjson.TypeTrue
				n.IsLatestVersion = &b
			}
		case "checksum":
			n.ChecksumName, n.Checksum = str(x, "name"), str(x, "checksum")
		case "deferred":
			n.Deferred = x.Type() == fastjson.TypeTrue
		case "defer_relation":
			n.HasDeferRelation = x.Type() == fastjson.TypeObject
		}
	})
	if n.UniqueID == "" {
		n.UniqueID = uid
	}
	if n.ResourceType == "" {
		n.ResourceType = resourceTypeOf(uid)
	}
	if n.Alias == "" {
		if n.Identifier != "" {
			n.Alias = n.Identifier
		} else {
			n.Alias = n.Name
		}
	}
	if cfg != nil && cfg.Type() == fastjson.TypeObject {
		n.Materialized = str(cfg, "materialized")
		if e := cfg.Get("enabled"); e != nil && e.Type() == fastjson.TypeFalse {
			n.Enabled = false
		}
		n.Access = str(cfg, "access")
		n.Group = str(cfg, "group")
	}
	if n.ResourceType == "source" {
		n.Meta, _ = goValue(meta).(map[string]any)
		n.Config, _ = goValue(cfg).(map[string]any)
	}
	if access != "" {
		n.Access = access
	}
	if group != "" {
		n.Group = group
	}
	if s, ok := strValOK(rawCode); ok {
		n.RawCode = s
	} else if s, ok := strValOK(rawSQL); ok {
		n.RawCode = s
	}
	if s, ok := strValOK(compiledCode); ok {
		n.CompiledCode, n.HasCompiled = s, true
	} else if s, ok := strValOK(compiledSQL); ok {
		n.CompiledCode, n.HasCompiled = s, true
	}
	return n, nil
}

// nodeStrings are the members decoded as plain strings (str's rules), by
// the field they fill.
var nodeStrings = map[string]func(*Node) *string{
	"unique_id":          func(n *Node) *string { return &n.UniqueID },
	"resource_type":      func(n *Node) *string { return &n.ResourceType },
	"name":               func(n *Node) *string { return &n.Name },
	"package_name":       func(n *Node) *string { return &n.PackageName },
	"path":               func(n *Node) *string { return &n.Path },
	"original_file_path": func(n *Node) *string { return &n.OriginalFilePath },
	"patch_path":         func(n *Node) *string { return &n.PatchPath },
	"description":        func(n *Node) *string { return &n.Description },
	"alias":              func(n *Node) *string { return &n.Alias },
	"identifier":         func(n *Node) *string { return &n.Identifier },
	"source_name":        func(n *Node) *string { return &n.SourceName },
	"language":           func(n *Node) *string { return &n.Language },
	"macro_sql":          func(n *Node) *string { return &n.MacroSQL },
}

// goValue converts a JSON value to Go's (objects as map[string]any, numbers
// as float64, as encoding/json does); nil for nil.
func goValue(v *fastjson.Value) any {
	if v == nil {
		return nil
	}
	switch v.Type() {
	case fastjson.TypeObject:
		m := map[string]any{}
		v.GetObject().Visit(func(k []byte, x *fastjson.Value) { m[string(k)] = goValue(x) })
		return m
	case fastjson.TypeArray:
		a := v.GetArray()
		out := make([]any, len(a))
		for i, x := range a {
			out[i] = goValue(x)
		}
		return out
	case fastjson.TypeString:
		return string(v.GetStringBytes())
	case fastjson.TypeNumber:
		return v.GetFloat64()
	case fastjson.TypeTrue:
		return true
	case fastjson.TypeFalse:
		return false
	}
	return nil
}

// strOf is str for a value: a string, a number's text, else "" (nil too).
func strOf(x *fastjson.Value) string {
	if x == nil {
		return ""
	}
	switch x.Type() {
	case fastjson.TypeString:
		return string(x.GetStringBytes())
	case fastjson.TypeNumber:
		return x.String()
	}
	return ""
}

// strValOK is a string value and true; "" and false for anything else.
func strValOK(x *fastjson.Value) (string, bool) {
	if x == nil || x.Type() != fastjson.TypeString {
		return "", false
	}
	return string(x.GetStringBytes()), true
}

// arrayOf is the elements of an array value (nil for anything else).
func arrayOf(x *fastjson.Value) []*fastjson.Value {
	a, _ := x.Array()
	return a
}

// decodeRefs normalises refs: lists of ["name"] / ["pkg","name"] (≤v8) or
// objects {name, package, version} (v9+).
func decodeRefs(arr []*fastjson.Value) []Ref {
	if len(arr) == 0 {
		return nil
	}
	out := make([]Ref, 0, len(arr))
	for _, r := range arr {
		switch r.Type() {
		case fastjson.TypeArray:
			parts := strList(r)
			switch len(parts) {
			case 1:
				out = append(out, Ref{Name: parts[0]})
			case 2:
				out = append(out, Ref{Package: parts[0], Name: parts[1]})
			}
		case fastjson.TypeObject:
			ref := Ref{Name: str(r, "name"), Package: str(r, "package")}
			ref.Version, ref.HasVersion = scalar(r.Get("version"))
			out = append(out, ref)
		}
	}
	return out
}

func strList(v *fastjson.Value) []string {
	if v == nil || v.Type() != fastjson.TypeArray {
		return nil
	}
	arr, _ := v.Array()
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		if x.Type() == fastjson.TypeString {
			out = append(out, string(x.GetStringBytes()))
		}
	}
	return out
}

// scalar formats a version-like value as Python's str() of the YAML value:
// strings as they are, numbers by their JSON text (2 → "2", 2.0 → "2.0").
func scalar(v *fastjson.Value) (string, bool) {
	if v == nil {
		return "", false
	}
	switch v.Type() {
	case fastjson.TypeString:
		return string(v.GetStringBytes()), true
	case fastjson.TypeNumber:
		return v.String(), true
	}
	return "", false
}

// trimVersionSuffix splits "name.v2" style keys; used by the ref index.
func splitUID(uid string) (typ, pkg, rest string, ok bool) {
	i := strings.IndexByte(uid, '.')
	if i < 0 {
		return "", "", "", false
	}
	j := strings.IndexByte(uid[i+1:], '.')
	if j < 0 {
		return "", "", "", false
	}
	return uid[:i], uid[i+1 : i+1+j], uid[i+2+j:], true
}
