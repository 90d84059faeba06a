package manifest

import (
	"bytes"
	"encoding/json"
	"strings"
	"unsafe"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/valyala/fastjson"
)

// Node is one manifest entry (node, source, macro, disabled definition),
// normalised across schema versions: raw_sql/raw_code and
// compiled_sql/compiled_code are unified, refs are objects whatever the
// schema wrote, versions are strings formatted as Python's str() would.
// Its NodeHead is what Head decodes; the rest is the entry's code, docs
// and dependency lists.
type Node struct {
	NodeHead

	Description string
	Tags        []string
	FQN         []string

	RawCode      string
	CompiledCode string
	HasCompiled  bool // compiled_code/compiled_sql present (a compiled node)
	ExtraCTEs    []CTE

	Refs            []Ref
	SourceRefs      [][2]string
	DependsOnNodes  []string
	DependsOnMacros []string

	// MacroSQL is a macro's full {% macro %} text.
	MacroSQL string

	ChecksumName, Checksum string
}

// NodeHead is the part of a Node that resolving a ref reads (see
// Manifest.Head; Warm keeps one, packed, for every refable node).
type NodeHead struct {
	UniqueID         string
	ResourceType     string
	Name             string
	PackageName      string
	Path             string
	OriginalFilePath string
	PatchPath        string

	Database, Schema string // see HasDatabase, HasSchema
	Alias            string // models/seeds/snapshots; sources: Identifier
	Identifier       string
	RelationName     string // see HasRelationName

	SourceName string
	// Quoting is a source's own quoting block.
	Quoting Quoting
	// ExternalLocation is a source's external.location (duckdb renders it).
	ExternalLocation string
	// Meta and Config are a source's meta and config, decoded for sources
	// only: dbt-duckdb renders a source from its meta's external_location.
	Meta, Config map[string]any

	Materialized string
	Language     string
	Access       string
	Group        string

	Version         string // see HasVersion
	LatestVersion   string // see HasLatestVersion
	IsLatestVersion *bool  // v9 only

	// Offset is the entry's byte offset in the manifest.
	Offset int
	// Raw is the entry's JSON (shares the manifest's memory).
	Raw []byte

	// The flags, together.
	HasDatabase      bool // false when null/absent (e.g. spark)
	HasSchema        bool
	HasRelationName  bool
	Enabled          bool
	HasVersion       bool
	HasLatestVersion bool
	Deferred         bool // ≤1.7 artifacts of deferred runs
	HasDeferRelation bool // 1.8.x artifacts
	Disabled         bool // from the disabled section
	// HeadOnly marks a node from Manifest.Head: no code, docs or dependency
	// lists (see Head).
	HeadOnly bool
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

// FusionPlaceholder is the raw_code dbt Fusion's v20 manifests write in
// place of a node's SQL.
const FusionPlaceholder = "--placeholder--"

// IsPlaceholder reports whether the node's raw code is Fusion's
// placeholder: the manifest does not hold the node's SQL.
func (n *Node) IsPlaceholder() bool { return strings.TrimSpace(n.RawCode) == FusionPlaceholder }

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
	return m.cached(uid, false)
}

// Head is Node without what resolving a ref to the node never reads: its
// code (raw, compiled, macro), description, tags, fqn, refs, sources,
// depends_on, extra_ctes, checksum and every member Node does not decode (columns,
// docs, contract…). Those members are skipped, not parsed: a ref asked for
// the first time costs a fraction of a full decode. A Head has HeadOnly set;
// when the full node is cached already, Head returns it.
func (m *Manifest) Head(uid string) (*Node, error) {
	return m.cached(uid, true)
}

func (m *Manifest) cached(uid string, head bool) (*Node, error) {
	m.mu.Lock()
	n, ok := m.cache[uid]
	if !ok && head {
		n, ok = m.heads[uid]
	}
	m.mu.Unlock()
	if ok {
		return n, nil
	}
	if head {
		if n := m.warmed(uid); n != nil {
			return n, nil
		}
	}
	for _, sec := range []string{"nodes", "sources", "macros", "unit_tests", "exposures", "metrics", "semantic_models", "saved_queries", "functions"} {
		s := m.sections[sec]
		if s == nil {
			continue
		}
		if sp, ok := s.get(uid); ok {
			decode, cache := m.decode, &m.cache
			if head {
				decode, cache = m.decodeHead, &m.heads
			}
			n, err := decode(uid, sp, false)
			if err != nil {
				return nil, err
			}
			m.mu.Lock()
			if *cache == nil || len(*cache) >= 8192 {
				*cache = make(map[string]*Node) // bounded: a full sweep must not pin every node
			}
			(*cache)[uid] = n
			m.mu.Unlock()
			return n, nil
		}
	}
	return nil, diag.Errorf(CodeNotFound, diag.Location{File: m.File, UniqueID: uid}, "no entry %q in the manifest", uid)
}

// badEntry is the error of an entry fastjson (or the head scan) refused.
func (m *Manifest) badEntry(uid string, offset int, format string, args ...any) error {
	loc := diag.Location{File: m.File, UniqueID: uid, Offset: offset}
	loc.Line, loc.Column = diag.LineCol(m.data, offset)
	return diag.Errorf(CodeBadEntry, loc, format, args...)
}

func (m *Manifest) decode(uid string, sp span, disabled bool) (*Node, error) {
	raw := m.data[sp.start:sp.end]
	p := m.parsers.Get()
	defer m.parsers.Put(p)
	v, err := p.ParseBytes(raw)
	if err != nil {
		return nil, m.badEntry(uid, int(sp.start), "entry is not valid JSON: %v", err)
	}
	if v.Type() != fastjson.TypeObject {
		return nil, m.badEntry(uid, int(sp.start), "entry is a JSON %s, expected an object", v.Type())
	}
	d := nodeDecoder{n: &Node{NodeHead: NodeHead{UniqueID: uid, Offset: int(sp.start), Raw: raw, Disabled: disabled, Enabled: true}}}
	// One pass over the members (a duplicate key: the last wins, as in
	// Python's json); what depends on several members is settled after.
	var cfg, meta *fastjson.Value
	o, _ := v.Object()
	o.Visit(func(k []byte, x *fastjson.Value) {
		switch string(k) {
		case "config":
			cfg = x
		case "meta":
			meta = x
		default:
			d.member(string(k), x)
		}
	})
	d.config(cfg)
	if d.isSource(uid) {
		d.n.Meta, _ = GoValue(meta, false).(map[string]any)
	}
	return d.settle(uid), nil
}

// decodeHead decodes the members isHeadMember names and skips the rest
// with the scanner, which only matches brackets and quotes.
func (m *Manifest) decodeHead(uid string, sp span, disabled bool) (*Node, error) {
	return m.decodeHeadInto(new(Node), uid, sp, disabled)
}

// decodeHeadInto is decodeHead into n (Warm reuses one Node).
func (m *Manifest) decodeHeadInto(n *Node, uid string, sp span, disabled bool) (*Node, error) {
	raw := m.data[sp.start:sp.end]
	p := m.parsers.Get()
	defer m.parsers.Put(p)
	*n = Node{NodeHead: NodeHead{UniqueID: uid, Offset: int(sp.start), Raw: raw, Disabled: disabled, Enabled: true, HeadOnly: true}}
	d := nodeDecoder{n: n}
	var cfg, meta []byte
	s := scanner{data: raw}
	s.skipWS()
	if s.pos < len(raw) && raw[s.pos] != '{' {
		return m.decode(uid, sp, disabled) // not an object: decode says how
	}
	serr := s.eachMember(func(key string, _ int) *scanError {
		start, end, err := s.skipValue()
		if err != nil || !isHeadMember(key) {
			return err
		}
		val := raw[start:end]
		switch key {
		case "config":
			cfg = val
			return nil
		case "meta":
			meta = val
			return nil
		}
		// Most head members are plain strings: read without fastjson.
		if f := stringField(d.n, key); f != nil {
			if str, ok := plainString(val); ok {
				*f = str
				return nil
			}
		}
		v, perr := p.ParseBytes(val)
		if perr != nil {
			return &scanError{offset: start, msg: "entry is not valid JSON: member " + key + ": " + perr.Error()}
		}
		d.member(key, v)
		return nil
	})
	if serr != nil {
		return nil, m.badEntry(uid, int(sp.start)+serr.offset, "%s", serr.msg)
	}
	// config, then meta (a source's only): each parse reuses p, which
	// invalidates the values of the one before. A node's config is walked
	// for the four keys a ref reads.
	switch {
	case cfg != nil && !d.isSource(uid):
		if err := d.configMembers(cfg); err != nil {
			return nil, m.badEntry(uid, int(sp.start), "entry is not valid JSON: member config: %s", err.msg)
		}
	case cfg != nil:
		v, err := p.ParseBytes(cfg)
		if err != nil {
			return nil, m.badEntry(uid, int(sp.start), "entry is not valid JSON: member config: %v", err)
		}
		d.config(v)
	default:
		d.config(nil)
	}
	if meta != nil && d.isSource(uid) {
		v, err := p.ParseBytes(meta)
		if err != nil {
			return nil, m.badEntry(uid, int(sp.start), "entry is not valid JSON: member meta: %v", err)
		}
		d.n.Meta, _ = GoValue(v, false).(map[string]any)
	}
	return d.settle(uid), nil
}

// Warm decodes ahead of time the heads of up to n refable nodes (models,
// seeds, snapshots) it has not decoded yet, and keeps them: a ref asked for
// the first time then costs what one asked before does (a head decode is
// most of it, in wasm 25–45 µs a node). It keeps a packedHead per refable
// node (160 bytes, and copies of its escaped strings), and a Node made of
// it once Head asks for it, and returns how many are left.
// The browser module calls it in slices while its thread is idle after an
// open; an entry Head cannot decode is left to Head, which says why.
func (m *Manifest) Warm(n int) (left int) {
	s := m.sections["nodes"]
	if s == nil {
		return 0
	}
	m.warmMu.Lock() // one Warm at a time: it appends to what it read
	defer m.warmMu.Unlock()
	m.mu.Lock()
	w := m.warm
	m.mu.Unlock()
	if w.at == nil {
		w.at = make([]uint32, len(s.keys))
		for _, k := range s.keys {
			if isRefableID(k) {
				w.left++
			}
		}
		w.heads = make([]packedHead, 0, w.left)
		w.nodes = make([]*Node, len(s.keys))
	}
	// w is Warm's copy of m.warm, published under m.mu as it grows: warmed
	// reads it meanwhile (and writes only nodes' elements and m.slab).
	var scratch Node
	for ; w.next < len(s.keys) && n > 0; w.next++ {
		uid := s.keys[w.next]
		if !isRefableID(uid) {
			continue
		}
		n--
		w.left--
		h, err := m.decodeHeadInto(&scratch, uid, s.spans[w.next], false)
		if err != nil {
			continue
		}
		ph, whole := w.pack(m.data, &h.NodeHead)
		m.mu.Lock()
		if whole {
			if w.whole == nil {
				w.whole = map[int]NodeHead{}
			}
			w.whole[len(w.heads)] = h.NodeHead
		}
		w.heads = append(w.heads, ph) // within its capacity: earlier heads never move
		w.at[w.next] = uint32(len(w.heads))
		m.warm = w
		m.mu.Unlock()
	}
	m.mu.Lock()
	m.warm = w
	m.mu.Unlock()
	return w.left
}

// isRefableID reports whether a unique_id names a model, seed or snapshot.
func isRefableID(uid string) bool {
	switch resourceTypeOf(uid) {
	case "model", "seed", "snapshot":
		return true
	}
	return false
}

// warmState is what Warm has done: per position in nodes, 1 + the index in
// heads of the node's head (0: none).
type warmState struct {
	next, left int // the next position to look at; refable nodes not warmed
	at         []uint32
	heads      []packedHead
	nodes      []*Node          // per position, the Node Head made of its head, once asked (warmed writes them)
	strs       []string         // the heads' strings that are not in the manifest's bytes
	whole      map[int]NodeHead // heads that do not pack (by heads index)
}

// packedHead is a NodeHead in 160 bytes instead of 416: its strings as
// spans of the manifest's bytes (where plain strings are: a head shares
// them) or indexes in strs (unescaped copies), its flags as bits. The
// unique_id, offset and raw bytes come from the entry's key and span.
type packedHead struct {
	strs   [len(headStringNames)]uint64 // per headStrings field: start<<32 | length, or inStrs | index
	flags  uint16                       // per headFlags field
	latest int8                         // IsLatestVersion: -1 nil, 0 false, 1 true
}

const inStrs = 1 << 63

var headStringNames = [...]string{"ResourceType", "Name", "PackageName", "Path", "OriginalFilePath", "PatchPath", "Database", "Schema",
	"Alias", "Identifier", "RelationName", "SourceName", "ExternalLocation", "Materialized", "Language", "Access", "Group",
	"Version", "LatestVersion"}

// headStrings are h's string fields but UniqueID, in headStringNames order.
func headStrings(h *NodeHead) [len(headStringNames)]*string {
	return [...]*string{&h.ResourceType, &h.Name, &h.PackageName, &h.Path, &h.OriginalFilePath, &h.PatchPath, &h.Database, &h.Schema,
		&h.Alias, &h.Identifier, &h.RelationName, &h.SourceName, &h.ExternalLocation, &h.Materialized, &h.Language, &h.Access, &h.Group,
		&h.Version, &h.LatestVersion}
}

// headFlags are h's flags.
func headFlags(h *NodeHead) [10]*bool {
	return [...]*bool{&h.HasDatabase, &h.HasSchema, &h.HasRelationName, &h.Enabled, &h.HasVersion, &h.HasLatestVersion,
		&h.Deferred, &h.HasDeferRelation, &h.Disabled, &h.HeadOnly}
}

// pack packs h, a head of an entry of data, or answers whole: h holds what
// packedHead does not (a source's quoting, meta or config), and is kept
// whole.
func (w *warmState) pack(data []byte, h *NodeHead) (p packedHead, whole bool) {
	if h.Quoting != (Quoting{}) || h.Meta != nil || h.Config != nil {
		return p, true
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
	for i, f := range headStrings(h) {
		str := *f
		at := uintptr(unsafe.Pointer(unsafe.StringData(str)))
		switch {
		case str == "":
		case at >= base && at+uintptr(len(str)) <= base+uintptr(len(data)):
			p.strs[i] = uint64(at-base)<<32 | uint64(len(str))
		default:
			p.strs[i] = inStrs | uint64(len(w.strs))
			w.strs = append(w.strs, str)
		}
	}
	for i, f := range headFlags(h) {
		if *f {
			p.flags |= 1 << i
		}
	}
	p.latest = -1
	if h.IsLatestVersion != nil {
		p.latest = 0
		if *h.IsLatestVersion {
			p.latest = 1
		}
	}
	return p, false
}

// unpack is the head heads[i] packed, of the entry uid at sp of data.
func (w *warmState) unpack(data []byte, i int, uid string, sp span) NodeHead {
	if h, ok := w.whole[i]; ok {
		return h
	}
	p := &w.heads[i]
	h := NodeHead{UniqueID: uid, Offset: int(sp.start), Raw: data[sp.start:sp.end]}
	for j, f := range headStrings(&h) {
		switch v := p.strs[j]; {
		case v == 0:
		case v&inStrs != 0:
			*f = w.strs[v&^inStrs]
		default:
			*f = unsafe.String(&data[v>>32], int(uint32(v)))
		}
	}
	for j, f := range headFlags(&h) {
		*f = p.flags&(1<<j) != 0
	}
	if p.latest >= 0 {
		latest := p.latest == 1
		h.IsLatestVersion = &latest
	}
	return h
}

// warmed returns the node of the head Warm kept for uid (made the first
// time it is asked for, then kept), or nil.
func (m *Manifest) warmed(uid string) *Node {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := &m.warm
	if w.at == nil {
		return nil
	}
	s := m.sections["nodes"]
	i, ok := s.table.find(s.keys, uid)
	if !ok || w.at[i] == 0 {
		return nil
	}
	if w.nodes[i] == nil {
		if len(m.slab) == 0 {
			m.slab = make([]Node, 64) // one allocation for 64 first asks
		}
		n := &m.slab[0]
		m.slab = m.slab[1:]
		n.NodeHead = w.unpack(m.data, int(w.at[i]-1), s.keys[i], s.spans[i])
		w.nodes[i] = n
	}
	return w.nodes[i]
}

// plainString reads a JSON string value without escapes.
// The string shares val's memory: a head's strings point into the
// manifest, which is never written and lives as long as its nodes.
func plainString(val []byte) (string, bool) {
	if len(val) < 2 || val[0] != '"' || bytes.IndexByte(val[1:len(val)-1], '\\') >= 0 {
		return "", false
	}
	return unsafe.String(&val[1], len(val)-2), true
}

// configMembers is config for a node's config object, walked for the keys
// config reads (the first of a duplicated key, as fastjson's Get).
func (d *nodeDecoder) configMembers(cfg []byte) *scanError {
	s := scanner{data: cfg}
	s.skipWS()
	if s.pos >= len(cfg) || cfg[s.pos] != '{' {
		_, _, err := s.skipValue() // not an object: config(nil)'s defaults
		return err
	}
	var seen [4]bool
	return s.eachMember(func(key string, _ int) *scanError {
		start, end, err := s.skipValue()
		if err != nil {
			return err
		}
		i := -1
		switch key {
		case "materialized":
			i = 0
		case "enabled":
			i = 1
		case "access":
			i = 2
		case "group":
			i = 3
		}
		if i < 0 || seen[i] {
			return nil
		}
		seen[i] = true
		val := cfg[start:end]
		if i == 1 {
			if string(val) == "false" {
				d.n.Enabled = false
			}
			return nil
		}
		str, ok := plainString(val)
		if !ok {
			var p fastjson.Parser
			v, err := p.ParseBytes(val)
			if err != nil {
				return &scanError{offset: start, msg: err.Error()}
			}
			str = strOf(v)
		}
		switch i {
		case 0:
			d.n.Materialized = str
		case 2:
			d.n.Access = str
		case 3:
			d.n.Group = str
		}
		return nil
	})
}

// isHeadMember reports whether Head decodes member k.
func isHeadMember(k string) bool {
	switch k {
	case "unique_id", "resource_type", "name", "package_name", "path", "original_file_path", "patch_path",
		"alias", "identifier", "source_name", "language", "database", "schema", "relation_name", "quoting",
		"external", "config", "meta", "access", "group", "version", "latest_version", "is_latest_version",
		"deferred", "defer_relation":
		return true
	}
	return false
}

// nodeDecoder fills a Node from its members, one at a time, then settles
// what depends on several of them.
type nodeDecoder struct {
	n                           *Node
	access, group               string
	rawCode, rawSQL             string
	compiledCode, compiledSQL   string
	hasRawCode, hasRawSQL       bool
	hasCompCode, hasCompiledSQL bool
	// injectedSQL: dbt 0.19 (schema v1) wrote compiled_sql before its CTEs
	// were injected and the final SQL as injected_sql.
	injectedSQL    string
	hasInjectedSQL bool
}

func (d *nodeDecoder) isSource(uid string) bool {
	if d.n.ResourceType != "" {
		return d.n.ResourceType == "source"
	}
	return resourceTypeOf(uid) == "source"
}

// member decodes one member other than config and meta.
func (d *nodeDecoder) member(k string, x *fastjson.Value) {
	n := d.n
	if f := stringField(n, k); f != nil {
		*f = strOf(x)
		return
	}
	switch k {
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
	case "access":
		d.access = strOf(x)
	case "group":
		d.group = strOf(x)
	case "tags":
		n.Tags = strList(x)
	case "fqn":
		n.FQN = strList(x)
	case "raw_code":
		d.rawCode, d.hasRawCode = strValOK(x)
	case "raw_sql":
		d.rawSQL, d.hasRawSQL = strValOK(x)
	case "compiled_code":
		d.compiledCode, d.hasCompCode = strValOK(x)
	case "compiled_sql":
		d.compiledSQL, d.hasCompiledSQL = strValOK(x)
	case "injected_sql":
		d.injectedSQL, d.hasInjectedSQL = strValOK(x)
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
}

// config reads the config member (nil when absent); a source keeps all of
// it as Config.
func (d *nodeDecoder) config(cfg *fastjson.Value) {
	n := d.n
	if cfg != nil && cfg.Type() == fastjson.TypeObject {
		n.Materialized = str(cfg, "materialized")
		if e := cfg.Get("enabled"); e != nil && e.Type() == fastjson.TypeFalse {
			n.Enabled = false
		}
		n.Access = str(cfg, "access")
		n.Group = str(cfg, "group")
	}
	if d.isSource(n.UniqueID) {
		n.Config, _ = GoValue(cfg, false).(map[string]any)
	}
}

// settle fills what depends on several members.
func (d *nodeDecoder) settle(uid string) *Node {
	n := d.n
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
	if d.access != "" {
		n.Access = d.access
	}
	if d.group != "" {
		n.Group = d.group
	}
	if d.hasRawCode {
		n.RawCode = d.rawCode
	} else if d.hasRawSQL {
		n.RawCode = d.rawSQL
	}
	if d.hasCompCode {
		n.CompiledCode, n.HasCompiled = d.compiledCode, true
	} else if d.hasInjectedSQL {
		n.CompiledCode, n.HasCompiled = d.injectedSQL, true
	} else if d.hasCompiledSQL {
		n.CompiledCode, n.HasCompiled = d.compiledSQL, true
	}
	return n
}

// stringField is the field a member decoded as a plain string (str's
// rules) fills, or nil for other members.
func stringField(n *Node, k string) *string {
	switch k {
	case "unique_id":
		return &n.UniqueID
	case "resource_type":
		return &n.ResourceType
	case "name":
		return &n.Name
	case "package_name":
		return &n.PackageName
	case "path":
		return &n.Path
	case "original_file_path":
		return &n.OriginalFilePath
	case "patch_path":
		return &n.PatchPath
	case "description":
		return &n.Description
	case "alias":
		return &n.Alias
	case "identifier":
		return &n.Identifier
	case "source_name":
		return &n.SourceName
	case "language":
		return &n.Language
	case "macro_sql":
		return &n.MacroSQL
	}
	return nil
}

// GoValue converts a JSON value to Go's as encoding/json does: objects as
// map[string]any, arrays as []any, numbers as float64, or as json.Number
// (their text) with useNumber; nil for nil. It lets packages read JSON into
// Go values without linking encoding/json's decoder (27 KB of the browser
// module, brotli).
func GoValue(v *fastjson.Value, useNumber bool) any {
	if v == nil {
		return nil
	}
	switch v.Type() {
	case fastjson.TypeObject:
		m := map[string]any{}
		v.GetObject().Visit(func(k []byte, x *fastjson.Value) { m[string(k)] = GoValue(x, useNumber) })
		return m
	case fastjson.TypeArray:
		a := v.GetArray()
		out := make([]any, len(a))
		for i, x := range a {
			out[i] = GoValue(x, useNumber)
		}
		return out
	case fastjson.TypeString:
		return string(v.GetStringBytes())
	case fastjson.TypeNumber:
		if useNumber {
			return json.Number(v.String())
		}
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

// MacroName splits a macro's unique_id, macro.PACKAGE.NAME.
func MacroName(uid string) (pkg, name string, ok bool) {
	rest, ok := strings.CutPrefix(uid, "macro.")
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, ".")
}
