// Package manifest reads dbt's manifest.json lazily. Open makes one pass over
// the bytes and records where every node, source, macro, disabled entry and the
// metadata live; an entry is decoded only when asked for, with a pooled
// fastjson parser, and normalised across schema versions (unversioned before
// dbt 0.19, v1–v12, and dbt Fusion's v20). No JSON tree of the whole manifest
// is ever built, so memory stays close to the input bytes.
//
// Open never panics on hostile input: every failure is a *diag.Error with a
// stable code and the byte offset (and line) where the input went wrong.
package manifest

import (
	"encoding/hex"
	"github.com/dbtdefer/dbtdefer/resolve/internal/md5"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/valyala/fastjson"
)

// LatestKnownSchema is the newest dbt-core manifest schema this reader knows.
// Fusion's v20 is known too; anything else newer opens with a warning.
const LatestKnownSchema = 12

// Error codes of this package.
const (
	CodeEmpty        = "manifest.empty"
	CodeNotJSON      = "manifest.not_json"
	CodeTruncated    = "manifest.truncated"
	CodeSyntax       = "manifest.syntax"
	CodeWrongKind    = "manifest.wrong_artifact"
	CodeNoNodes      = "manifest.no_nodes"
	CodeTooLarge     = "manifest.too_large"
	CodeBadEntry     = "manifest.bad_entry"
	CodeFutureSchema = "manifest.future_schema"
	CodeOldSchema    = "manifest.old_schema"
	CodeNotFound     = "manifest.not_found"
)

// Metadata is the manifest's metadata block, normalised.
type Metadata struct {
	SchemaURL           string            `json:"dbtSchemaVersion,omitempty"`
	SchemaVersion       int               `json:"schemaVersion"` // 0: unversioned (before dbt 0.19)
	DbtVersion          string            `json:"dbtVersion,omitempty"`
	GeneratedAt         string            `json:"generatedAt,omitempty"`
	InvocationID        string            `json:"invocationId,omitempty"`
	InvocationStartedAt string            `json:"invocationStartedAt,omitempty"`
	RunStartedAt        string            `json:"runStartedAt,omitempty"`
	ProjectName         string            `json:"projectName,omitempty"`
	ProjectNameInferred bool              `json:"projectNameInferred,omitempty"` // recovered from project_id (before 1.6)
	ProjectID           string            `json:"projectId,omitempty"`
	AdapterType         string            `json:"adapterType,omitempty"`
	Env                 map[string]string `json:"env,omitempty"`
	Quoting             *Quoting          `json:"quoting,omitempty"` // metadata.quoting (1.10+)
}

// Quoting is a partial quote policy; nil members were not set.
type Quoting struct {
	Database   *bool `json:"database,omitempty"`
	Schema     *bool `json:"schema,omitempty"`
	Identifier *bool `json:"identifier,omitempty"`
}

// span is where one entry's JSON value lives in the input.
type span struct{ start, end int32 }

// section is one top-level object of entries (nodes, sources, macros, …).
type section struct {
	keys  []string       // in file order
	index map[string]int // key → position in keys/spans
	spans []span
}

func (s *section) add(key string, sp span) {
	if s.index == nil {
		s.index = make(map[string]int)
	}
	if i, ok := s.index[key]; ok {
		s.spans[i] = sp // JSON objects: the last duplicate key wins, as in Python
		return
	}
	s.index[key] = len(s.keys)
	s.keys = append(s.keys, key)
	s.spans = append(s.spans, sp)
}

// push appends an entry during the scan; finish builds the index once the
// section's size is known (a map grown entry by entry spent a tenth of
// opening a big manifest rehashing).
func (s *section) push(key string, sp span) {
	s.keys = append(s.keys, key)
	s.spans = append(s.spans, sp)
}

// finish indexes the pushed entries. JSON objects: the last duplicate key
// wins, as in Python, at the position of the first.
func (s *section) finish() {
	s.index = make(map[string]int, len(s.keys))
	n := 0
	for i, k := range s.keys {
		if j, dup := s.index[k]; dup {
			s.spans[j] = s.spans[i]
			continue
		}
		s.index[k] = n
		s.keys[n], s.spans[n] = k, s.spans[i]
		n++
	}
	s.keys, s.spans = s.keys[:n], s.spans[:n]
}

func (s *section) get(key string) (span, bool) {
	i, ok := s.index[key]
	if !ok {
		return span{}, false
	}
	return s.spans[i], true
}

// Manifest is an opened manifest: the input bytes plus an index of them. It is
// safe for concurrent use.
type Manifest struct {
	File     string
	Meta     Metadata
	Warnings []diag.Diagnostic

	data     []byte
	sections map[string]*section
	// disabled maps a unique_id to the spans of its disabled definitions.
	disabled map[string][]span
	// disabledOrder keeps the disabled unique_ids in file order.
	disabledOrder []string

	parsers fastjson.ParserPool

	mu          sync.Mutex
	cache       map[string]*Node
	heads       map[string]*Node // Head's, when cache has no full node
	splitTaken  bool             // Options.Split's entries were used
	refIdx      *refIndex
	srcIdxCache *refIndex
	macroIdx    map[string][]string
}

// Options tune Open.
type Options struct {
	// MaxBytes rejects larger inputs with CodeTooLarge; 0 means no limit.
	MaxBytes int
	// Split lets another scanner (another core) index part of a section.
	Split *Split
}

// Split hands the entries of one section from byte At on to another
// scanner (the browser module's helper worker runs ScanEntries there while
// OpenWith indexes what comes before). At is a guess: when OpenWith reaches
// At as the key of an entry of an indexed section, it calls Wait and takes
// the entries it returns, to the section's end; when it never does (At was
// inside an entry, or in no section), or Wait returns nil, it scans on by
// itself. So a wrong guess costs time, never a wrong index.
type Split struct {
	At   int
	Wait func() *Entries
}

// Entries are the entries ScanEntries found: per entry its key's offset
// (the opening quote), its value's start and end, relative to where the
// scan began; and the offset of the '}' that closed their object.
type Entries struct {
	Spans []int32
	End   int32
}

// ScanEntries scans object members from the start of data (the opening
// quote of a key) to the '}' that closes their object, as OpenWith's scan
// of a section would.
func ScanEntries(data []byte) (*Entries, error) {
	if len(data) > 1<<31-1 {
		return nil, &scanError{msg: "over 2 GiB"}
	}
	s := &scanner{data: data}
	e := &Entries{}
	for {
		s.skipWS()
		key := s.pos
		if _, err := s.readKey(); err != nil {
			return nil, err
		}
		if err := s.expect(':', "after an object key"); err != nil {
			return nil, err
		}
		a, b, err := s.skipValue()
		if err != nil {
			return nil, err
		}
		e.Spans = append(e.Spans, int32(key), int32(a), int32(b))
		s.skipWS()
		if s.pos >= len(data) {
			return nil, s.eofError("an object")
		}
		switch data[s.pos] {
		case ',':
			s.pos++
		case '}':
			e.End = int32(s.pos)
			return e, nil
		default:
			return nil, s.fail("expected ',' or '}' in an object, found " + describeByte(data[s.pos]))
		}
	}
}

// SplitTaken reports whether OpenWith used the entries of Options.Split.
func (m *Manifest) SplitTaken() bool { return m.splitTaken }

// takeEntries indexes the entries another scanner found from s.pos's key
// at split.At, and leaves s at the '}' closing the section. It reports false
// (and changes nothing) when they do not fit this input.
func (m *Manifest) takeEntries(sec *section, s *scanner, at int, e *Entries) bool {
	n := len(e.Spans)
	end := at + int(e.End)
	if n == 0 || n%3 != 0 || int(e.Spans[0]) != 0 || end >= len(s.data) || s.data[end] != '}' {
		return false
	}
	keys := make([]string, 0, n/3)
	prev := at - 1
	for i := 0; i < n; i += 3 {
		k, a, b := at+int(e.Spans[i]), at+int(e.Spans[i+1]), at+int(e.Spans[i+2])
		if k <= prev || a <= k || b <= a || b > end {
			return false
		}
		ks := &scanner{data: s.data, pos: k}
		key, err := ks.readKey()
		if err != nil {
			return false
		}
		keys = append(keys, key)
		prev = b
	}
	for i, key := range keys {
		sec.push(key, span{int32(at) + e.Spans[3*i+1], int32(at) + e.Spans[3*i+2]})
	}
	s.pos = end
	return true
}

// indexed lists the top-level sections whose entries are indexed.
var indexed = map[string]bool{
	"nodes": true, "sources": true, "macros": true, "exposures": true, "metrics": true,
	"groups": true, "semantic_models": true, "saved_queries": true, "unit_tests": true,
	"functions": true, "docs": true, "selectors": true,
}

// Open indexes data as a manifest.json named file (used in messages).
func Open(file string, data []byte) (*Manifest, error) {
	return OpenWith(file, data, Options{})
}

// OpenWith is Open with options.
func OpenWith(file string, data []byte, opt Options) (*Manifest, error) {
	m := &Manifest{File: file, data: data, sections: map[string]*section{}, disabled: map[string][]span{}}
	if opt.MaxBytes > 0 && len(data) > opt.MaxBytes {
		return nil, m.errAt(CodeTooLarge, 0, "manifest is %d bytes, over the limit of %d bytes", len(data), opt.MaxBytes)
	}
	if len(data) > 1<<31-1 {
		return nil, m.errAt(CodeTooLarge, 0, "manifest is %d bytes; at most 2 GiB is supported", len(data))
	}
	s := &scanner{data: data}
	s.skipWS()
	if s.pos >= len(data) {
		return nil, m.errAt(CodeEmpty, 0, "the file is empty; expected a dbt manifest.json")
	}
	if data[s.pos] != '{' {
		return nil, m.errAt(CodeNotJSON, s.pos, "not a JSON object: a dbt manifest.json starts with '{', found %s", describeByte(data[s.pos]))
	}
	var metaSpan span
	var topKeys []string
	var legacyGeneratedAt string
	err := s.eachMember(func(key string, keyOff int) *scanError {
		topKeys = append(topKeys, key)
		switch {
		case key == "metadata":
			a, b, err := s.skipValue()
			metaSpan = span{int32(a), int32(b)}
			return err
		case key == "disabled":
			return m.scanDisabled(s)
		case key == "generated_at":
			a, b, err := s.skipValue()
			if err == nil && b-a >= 2 && data[a] == '"' {
				legacyGeneratedAt = string(data[a+1 : b-1])
			}
			return err
		case indexed[key]:
			s.skipWS()
			if s.pos < len(data) && data[s.pos] == 'n' { // null section
				_, _, err := s.skipValue()
				return err
			}
			sec := &section{}
			m.sections[key] = sec
			defer sec.finish()
			return s.eachMember(func(k string, keyOff int) *scanError {
				if split := opt.Split; split != nil && keyOff == split.At {
					opt.Split = nil // once
					if e := split.Wait(); e != nil && m.takeEntries(sec, s, keyOff, e) {
						m.splitTaken = true
						return nil // eachMember reads the section's '}'
					}
				}
				a, b, err := s.skipValue()
				if err == nil {
					sec.push(k, span{int32(a), int32(b)})
				}
				return err
			})
		}
		_, _, err := s.skipValue()
		return err
	})
	if err != nil {
		code := CodeSyntax
		if err.offset >= len(data) || strings.Contains(err.msg, "truncated") {
			code = CodeTruncated
		}
		return nil, m.errAt(code, err.offset, "%s", err.msg)
	}
	s.skipWS()
	if s.pos < len(data) {
		return nil, m.errAt(CodeSyntax, s.pos, "unexpected data after the end of the top-level JSON object")
	}
	if err := m.readMetadata(metaSpan, topKeys); err != nil {
		return nil, err
	}
	if m.Meta.GeneratedAt == "" {
		m.Meta.GeneratedAt = legacyGeneratedAt
	}
	if _, ok := m.sections["nodes"]; !ok {
		return nil, m.errAt(CodeNoNodes, 0, "no \"nodes\" section: this JSON is not a dbt manifest (top-level keys: %s)", strings.Join(topKeys, ", "))
	}
	m.normaliseLegacySources()
	m.inferProjectName()
	return m, nil
}

func (m *Manifest) errAt(code string, offset int, format string, args ...any) *diag.Error {
	loc := diag.Location{File: m.File, Offset: offset}
	if offset > 0 || code != CodeEmpty {
		loc.Line, loc.Column = diag.LineCol(m.data, offset)
	}
	return diag.Errorf(code, loc, format, args...)
}

// scanDisabled indexes "disabled": an object of unique_id → list of nodes
// (v4+), or a flat list of nodes (v1–v3 and unversioned).
func (m *Manifest) scanDisabled(s *scanner) *scanError {
	s.skipWS()
	if s.pos >= len(s.data) {
		return s.eofError("disabled")
	}
	switch s.data[s.pos] {
	case '{':
		return s.eachMember(func(k string, _ int) *scanError {
			return s.eachElement(func() *scanError {
				a, b, err := s.skipValue()
				if err == nil {
					m.addDisabled(k, span{int32(a), int32(b)})
				}
				return err
			})
		})
	case '[':
		return s.eachElement(func() *scanError {
			a, b, err := s.skipValue()
			if err != nil {
				return err
			}
			uid := ""
			if v, perr := fastjson.ParseBytes(s.data[a:b]); perr == nil {
				uid = string(v.GetStringBytes("unique_id"))
			}
			if uid == "" {
				return &scanError{offset: a, msg: "disabled entry without a unique_id"}
			}
			m.addDisabled(uid, span{int32(a), int32(b)})
			return nil
		})
	}
	_, _, err := s.skipValue()
	return err
}

func (m *Manifest) addDisabled(uid string, sp span) {
	if _, ok := m.disabled[uid]; !ok {
		m.disabledOrder = append(m.disabledOrder, uid)
	}
	m.disabled[uid] = append(m.disabled[uid], sp)
}

var schemaRe = regexp.MustCompile(`/(manifest|catalog|run-results|sources|semantic_manifest)/v(\d+)\.json$`)

func (m *Manifest) readMetadata(sp span, topKeys []string) error {
	has := func(k string) bool {
		for _, t := range topKeys {
			if t == k {
				return true
			}
		}
		return false
	}
	if sp.end == 0 {
		if has("results") {
			return m.errAt(CodeWrongKind, 0, "this looks like a run_results.json or sources.json (it has \"results\" and no metadata), not a manifest.json")
		}
		if !has("nodes") {
			return m.errAt(CodeNoNodes, 0, "no \"nodes\" section: this JSON is not a dbt manifest (top-level keys: %s)", strings.Join(topKeys, ", "))
		}
		m.Meta.SchemaVersion = 0
		return nil
	}
	p := m.parsers.Get()
	defer m.parsers.Put(p)
	v, err := p.ParseBytes(m.data[sp.start:sp.end])
	if err != nil {
		return m.errAt(CodeSyntax, int(sp.start), "metadata is not valid JSON: %v", err)
	}
	md := &m.Meta
	md.SchemaURL = str(v, "dbt_schema_version")
	md.DbtVersion = str(v, "dbt_version")
	md.GeneratedAt = str(v, "generated_at")
	md.InvocationID = str(v, "invocation_id")
	md.InvocationStartedAt = str(v, "invocation_started_at")
	md.RunStartedAt = str(v, "run_started_at")
	md.ProjectName = str(v, "project_name")
	md.ProjectID = str(v, "project_id")
	md.AdapterType = str(v, "adapter_type")
	if env := v.GetObject("env"); env != nil {
		md.Env = map[string]string{}
		env.Visit(func(k []byte, ev *fastjson.Value) {
			if b, err := ev.StringBytes(); err == nil {
				md.Env[string(k)] = string(b)
			} else {
				md.Env[string(k)] = ev.String()
			}
		})
	}
	if q := v.Get("quoting"); q != nil && q.Type() == fastjson.TypeObject {
		md.Quoting = &Quoting{Database: boolPtr(q, "database"), Schema: boolPtr(q, "schema"), Identifier: boolPtr(q, "identifier")}
	}
	if md.SchemaURL == "" {
		if has("results") {
			return m.errAt(CodeWrongKind, int(sp.start), "this looks like a run_results.json, not a manifest.json")
		}
		md.SchemaVersion = 0
		return nil
	}
	mm := schemaRe.FindStringSubmatch(md.SchemaURL)
	if mm == nil {
		m.Warnings = append(m.Warnings, diag.Warning(CodeFutureSchema, diag.Location{File: m.File, Offset: int(sp.start)},
			"unrecognised dbt_schema_version %q; reading it as the newest known manifest schema", md.SchemaURL))
		md.SchemaVersion = LatestKnownSchema
		return nil
	}
	if mm[1] != "manifest" {
		kind := strings.ReplaceAll(mm[1], "-", "_") + ".json"
		return m.errAt(CodeWrongKind, int(sp.start), "this is a %s (dbt_schema_version %s), not a manifest.json", kind, md.SchemaURL)
	}
	md.SchemaVersion, _ = strconv.Atoi(mm[2])
	if md.SchemaVersion > LatestKnownSchema && md.SchemaVersion != 20 {
		m.Warnings = append(m.Warnings, diag.Warning(CodeFutureSchema, diag.Location{File: m.File, Offset: int(sp.start)},
			"manifest schema v%d is newer than this reader knows (v%d, and Fusion's v20); reading it leniently", md.SchemaVersion, LatestKnownSchema))
	}
	return nil
}

// normaliseLegacySources moves sources out of "nodes", where manifests before
// dbt 0.19 keep them, so every schema has a "sources" section.
func (m *Manifest) normaliseLegacySources() {
	nodes := m.sections["nodes"]
	if _, ok := m.sections["sources"]; ok || nodes == nil {
		return
	}
	src := &section{}
	kept := &section{}
	for i, k := range nodes.keys {
		if strings.HasPrefix(k, "source.") {
			src.add(k, nodes.spans[i])
		} else {
			kept.add(k, nodes.spans[i])
		}
	}
	m.sections["nodes"] = kept
	m.sections["sources"] = src
}

// inferProjectName recovers the root project's name for manifests before dbt
// 1.6, which record only project_id = md5(name): the package whose name hashes
// to it is the root.
func (m *Manifest) inferProjectName() {
	if m.Meta.ProjectName != "" || m.Meta.ProjectID == "" {
		return
	}
	seen := map[string]bool{}
	for _, sec := range []string{"nodes", "sources", "macros"} {
		s := m.sections[sec]
		if s == nil {
			continue
		}
		for _, k := range s.keys {
			pkg := packageOf(k)
			if pkg == "" || seen[pkg] {
				continue
			}
			seen[pkg] = true
			sum := md5.Sum([]byte(pkg))
			if hex.EncodeToString(sum[:]) == m.Meta.ProjectID {
				m.Meta.ProjectName = pkg
				m.Meta.ProjectNameInferred = true
				return
			}
		}
	}
}

// packageOf is the package segment of a unique_id (type.package.rest).
func packageOf(uid string) string {
	i := strings.IndexByte(uid, '.')
	if i < 0 {
		return ""
	}
	rest := uid[i+1:]
	j := strings.IndexByte(rest, '.')
	if j < 0 {
		return ""
	}
	return rest[:j]
}

// Bytes returns the manifest's input bytes (not to be modified).
func (m *Manifest) Bytes() []byte { return m.data }

// Size is the input's length in bytes.
func (m *Manifest) Size() int { return len(m.data) }

// Keys lists the unique_ids of a section ("nodes", "sources", "macros",
// "exposures", "metrics", "groups", "semantic_models", "saved_queries",
// "unit_tests", "functions", "docs", "selectors") in file order.
func (m *Manifest) Keys(sectionName string) []string {
	if s := m.sections[sectionName]; s != nil {
		return s.keys
	}
	return nil
}

// EntryAt returns the entry at position i of Keys(sectionName): its bytes
// and their offset in the input (nil when there is no such entry).
func (m *Manifest) EntryAt(sectionName string, i int) ([]byte, int) {
	s := m.sections[sectionName]
	if s == nil || i < 0 || i >= len(s.spans) {
		return nil, 0
	}
	sp := s.spans[i]
	return m.data[sp.start:sp.end], int(sp.start)
}

// KeyIndex maps each unique_id of a section to its position in Keys; nil for
// an absent section. It is the manifest's own map: callers must not modify it.
func (m *Manifest) KeyIndex(sectionName string) map[string]int {
	if s := m.sections[sectionName]; s != nil {
		return s.index
	}
	return nil
}

// Has reports whether section holds unique_id.
func (m *Manifest) Has(sectionName, uid string) bool {
	s := m.sections[sectionName]
	if s == nil {
		return false
	}
	_, ok := s.index[uid]
	return ok
}

// Raw returns the JSON bytes of one entry of a section, and its byte offset.
func (m *Manifest) Raw(sectionName, uid string) ([]byte, int, bool) {
	s := m.sections[sectionName]
	if s == nil {
		return nil, 0, false
	}
	sp, ok := s.get(uid)
	if !ok {
		return nil, 0, false
	}
	return m.data[sp.start:sp.end], int(sp.start), true
}

// DisabledIDs lists the unique_ids that have disabled definitions, in file order.
func (m *Manifest) DisabledIDs() []string { return m.disabledOrder }

// Disabled decodes the disabled definitions of uid.
func (m *Manifest) Disabled(uid string) ([]*Node, error) {
	var out []*Node
	for _, sp := range m.disabled[uid] {
		n, err := m.decode(uid, sp, true)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// Counts returns the number of entries per resource type: the first segment
// of each unique_id in nodes, sources, exposures, metrics, semantic models,
// saved queries, unit tests and functions, plus "macro" and "disabled".
func (m *Manifest) Counts() map[string]int {
	c := map[string]int{}
	for _, sec := range []string{"nodes", "sources", "exposures", "metrics", "semantic_models", "saved_queries", "unit_tests", "functions"} {
		if s := m.sections[sec]; s != nil {
			for _, k := range s.keys {
				c[resourceTypeOf(k)]++
			}
		}
	}
	if s := m.sections["macros"]; s != nil {
		c["macro"] = len(s.keys)
	}
	if n := len(m.disabledOrder); n > 0 {
		c["disabled"] = n
	}
	return c
}

// resourceTypeOf is the resource type a unique_id names (its first segment);
// SQL operations and RPC calls have short prefixes.
func resourceTypeOf(uid string) string {
	i := strings.IndexByte(uid, '.')
	if i < 0 {
		return uid
	}
	switch t := uid[:i]; t {
	case "sql":
		return "sql_operation"
	default:
		return t
	}
}

// SortedCounts is Counts as a sorted list, for stable output.
func SortedCounts(c map[string]int) []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// str is the string at key of v: a string, a number's text, else "".
func str(v *fastjson.Value, key string) string { return strOf(v.Get(key)) }

func boolPtr(v *fastjson.Value, key string) *bool {
	x := v.Get(key)
	if x == nil {
		return nil
	}
	switch x.Type() {
	case fastjson.TypeTrue:
		b := true
		return &b
	case fastjson.TypeFalse:
		b := false
		return &b
	}
	return nil
}
