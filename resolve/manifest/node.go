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
	n := &Node{UniqueID: uid, Offset: int(sp.start), Raw: raw, Disabled: disabled}
	if id := str(v, "unique_id"); id != "" {
		n.UniqueID = id
	}
	n.ResourceType = str(v, "resource_type")
	if n.ResourceType == "" {
		n.ResourceType = resourceTypeOf(uid)
	}
	n.Name = str(v, "name")
	n.PackageName = str(v, "package_name")
	n.Path = str(v, "path")
	n.OriginalFilePath = str(v, "original_file_path")
	n.PatchPath = str(v, "patch_path")
	n.Description = str(v, "description")
	n.Database, n.HasDatabase = strOK(v, "database")
	n.Schema, n.HasSchema = strOK(v, "schema")
	n.Alias = str(v, "alias")
	n.Identifier = str(v, "identifier")
	if n.Alias == "" {
		if n.Identifier != "" {
			n.Alias = n.Identifier
		} else {
			n.Alias = n.Name
		}
	}
	n.RelationName, n.HasRelationName = strOK(v, "relation_name")
	n.SourceName = str(v, "source_name")
	if q := v.Get("quoting"); q != nil && q.Type() == fastjson.TypeObject {
		n.Quoting = Quoting{Database: boolPtr(q, "database"), Schema: boolPtr(q, "schema"), Identifier: boolPtr(q, "identifier")}
	}
	if ext := v.Get("external"); ext != nil && ext.Type() == fastjson.TypeObject {
		n.ExternalLocation = str(ext, "location")
	}
	n.Enabled = true
	if cfg := v.Get("config"); cfg != nil && cfg.Type() == fastjson.TypeObject {
		n.Materialized = str(cfg, "materialized")
		if e := cfg.Get("enabled"); e != nil && e.Type() == fastjson.TypeFalse {
			n.Enabled = false
		}
		if n.Access == "" {
			n.Access = str(cfg, "access")
		}
		n.Group = str(cfg, "group")
	}
	if a := str(v, "access"); a != "" {
		n.Access = a
	}
	if g := str(v, "group"); g != "" {
		n.Group = g
	}
	n.Language = str(v, "language")
	n.Tags = strList(v.Get("tags"))
	n.FQN = strList(v.Get("fqn"))
	n.RawCode = firstStr(v, "raw_code", "raw_sql")
	if c := v.Get("compiled_code"); c != nil && c.Type() == fastjson.TypeString {
		n.CompiledCode, n.HasCompiled = string(c.GetStringBytes()), true
	} else if c := v.Get("compiled_sql"); c != nil && c.Type() == fastjson.TypeString {
		n.CompiledCode, n.HasCompiled = string(c.GetStringBytes()), true
	}
	for _, c := range v.GetArray("extra_ctes") {
		n.ExtraCTEs = append(n.ExtraCTEs, CTE{ID: str(c, "id"), SQL: str(c, "sql")})
	}
	n.Refs = decodeRefs(v.GetArray("refs"))
	for _, s := range v.GetArray("sources") {
		parts := strList(s)
		if len(parts) >= 2 {
			n.SourceRefs = append(n.SourceRefs, [2]string{parts[len(parts)-2], parts[len(parts)-1]})
		}
	}
	if d := v.Get("depends_on"); d != nil {
		n.DependsOnNodes = strList(d.Get("nodes"))
		n.DependsOnMacros = strList(d.Get("macros"))
	}
	n.Version, n.HasVersion = scalar(v.Get("version"))
	n.LatestVersion, n.HasLatestVersion = scalar(v.Get("latest_version"))
	if l := v.Get("is_latest_version"); l != nil && (l.Type() == fastjson.TypeTrue || l.Type() == fastjson.TypeFalse) {
		b := l.Type() == fastjson.TypeTrue
		n.IsLatestVersion = &b
	}
	if c := v.Get("checksum"); c != nil {
		n.ChecksumName, n.Checksum = str(c, "name"), str(c, "checksum")
	}
	if d := v.Get("deferred"); d != nil && d.Type() == fastjson.TypeTrue {
		n.Deferred = true
	}
	if d := v.Get("defer_relation"); d != nil && d.Type() == fastjson.TypeObject {
		n.HasDeferRelation = true
	}
	n.MacroSQL = str(v, "macro_sql")
	return n, nil
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

func strOK(v *fastjson.Value, key string) (string, bool) {
	x := v.Get(key)
	if x == nil || x.Type() != fastjson.TypeString {
		return "", false
	}
	return string(x.GetStringBytes()), true
}

func firstStr(v *fastjson.Value, keys ...string) string {
	for _, k := range keys {
		if s, ok := strOK(v, k); ok {
			return s
		}
	}
	return ""
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
