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
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/internal/md5"
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
	keys  []string // in file order
	spans []span
	table keyTable // key → position in keys/spans
	// arena holds copies of the keys, one after the other: everything
	// that reads keys after the scan (the table, Counts, the ref index)
	// reads this instead of bytes all over the input, where each key was a
	// cache miss (most of indexing a 100 MB manifest once its scan is done).
	arena []byte
}

// push appends an entry during the scan (its key is copied into the
// arena); finish indexes them once the section's size is known.
func (s *section) push(key string, sp span) {
	if len(key) > cap(s.arena)-len(s.arena) {
		s.arena = make([]byte, 0, max(64<<10, len(key)))
	}
	if key != "" {
		off := len(s.arena)
		s.arena = append(s.arena, key...)
		key = unsafe.String(&s.arena[off], len(key))
	}
	s.keys = append(s.keys, key)
	s.spans = append(s.spans, sp)
}

// finish indexes the pushed entries. JSON objects: the last duplicate key
// wins, as in Python, at the position of the first.
func (s *section) finish() {
	s.table = newKeyTable(len(s.keys))
	n := 0
	for i, k := range s.keys {
		if j, dup := s.table.insert(s.keys, k, int32(n)); dup {
			s.spans[j] = s.spans[i]
			continue
		}
		s.keys[n], s.spans[n] = k, s.spans[i]
		n++
	}
	s.keys, s.spans = s.keys[:n], s.spans[:n]
}

func (s *section) get(key string) (span, bool) {
	i, ok := s.table.find(s.keys, key)
	if !ok {
		return span{}, false
	}
	return s.spans[i], true
}

// keyTable finds a section's keys: open addressing over int32 slots (a
// position + 1; 0 is empty), at most half full. Building a
// Go map of the keys of a 100 MB manifest's nodes cost a sixth of opening
// it natively, more in wasm (no AES hash there); this costs a tenth of that.
type keyTable struct {
	slots []int32
	mask  uint32
}

// newKeyTable makes a table for n keys: a power of two at least twice n
// (and 16) slots.
func newKeyTable(n int) keyTable {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	return keyTable{slots: make([]int32, size), mask: uint32(size - 1)}
}

// hashKey hashes eight bytes a step (a byte a step was most of building
// the table).
func hashKey(k string) uint32 {
	h := uint64(len(k)) * 0x9e3779b97f4a7c15
	for ; len(k) >= 8; k = k[8:] {
		v := uint64(k[0]) | uint64(k[1])<<8 | uint64(k[2])<<16 | uint64(k[3])<<24 |
			uint64(k[4])<<32 | uint64(k[5])<<40 | uint64(k[6])<<48 | uint64(k[7])<<56
		h = (h ^ v) * 0x9e3779b97f4a7c15
		h ^= h >> 29
	}
	for i := 0; i < len(k); i++ {
		h = (h ^ uint64(k[i])) * 0x100000001b3
	}
	return uint32(h ^ h>>32)
}

// find returns the position of key (keys are the section's, by position).
func (t *keyTable) find(keys []string, key string) (int, bool) {
	if len(t.slots) == 0 {
		return 0, false
	}
	for i := hashKey(key) & t.mask; ; i = (i + 1) & t.mask {
		p := t.slots[i]
		if p == 0 {
			return 0, false
		}
		if keys[p-1] == key {
			return int(p - 1), true
		}
	}
}

// insert records key at position pos, or returns the position it has.
// keys[:pos] must be the keys inserted so far.
func (t *keyTable) insert(keys []string, key string, pos int32) (int, bool) {
	for i := hashKey(key) & t.mask; ; i = (i + 1) & t.mask {
		p := t.slots[i]
		if p == 0 {
			t.slots[i] = pos + 1
			return 0, false
		}
		if keys[p-1] == key {
			return int(p - 1), true
		}
	}
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
	warm        warmState        // what Warm has done
	slab        []Node           // where warmed makes its next Node (under mu)
	warmMu      sync.Mutex       // held by Warm
	splitTaken  bool             // Options.Split's entries were used
	skipped     int              // top-level members skipped with Entries.After
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
// (the opening quote) and length (in Keys), its value's start and end,
// offsets relative to where the scan began; the keys, one after another
// (so the open never reads them again from input it has not touched); and
// the offset of the '}' that closed their object.
type Entries struct {
	Spans []int32
	Keys  []byte
	End   int32
	// After are the members that follow the entries' object in the object
	// holding it (the manifest's top-level sections after "nodes"), as key,
	// value start, value end: OpenWith skips the ones it does not index
	// without scanning them again. A member that does not scan ends them.
	After []int32
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
	err := s.members(func(k string, key int) *scanError {
		a, b, err := s.skipValue()
		if err == nil {
			e.Spans = append(e.Spans, int32(key), int32(len(k)), int32(a), int32(b))
			e.Keys = append(e.Keys, k...)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	e.End = int32(s.pos - 1) // members consumed the '}'
	e.After = s.membersAfter()
	return e, nil
}

// membersAfter is Entries.After: from just past an object's '}', the
// members after it in its parent object, up to the first that does not
// scan (the open scans from there itself, and says what is wrong).
func (s *scanner) membersAfter() []int32 {
	var out []int32
	for {
		s.skipWS()
		if s.pos >= len(s.data) || s.data[s.pos] != ',' {
			return out
		}
		s.pos++
		s.skipWS()
		key := s.pos
		if _, err := s.readKey(); err != nil {
			return out
		}
		if s.expect(':', "") != nil {
			return out
		}
		a, b, err := s.skipValue()
		if err != nil {
			return out
		}
		out = append(out, int32(key), int32(a), int32(b))
	}
}

// after maps each member of After to the end of its value, as offsets in
// the input (the scan began at at; the input is n bytes).
func (e *Entries) after(at, n int) map[int]int {
	skip := map[int]int{}
	for i := 0; i+2 < len(e.After); i += 3 {
		k, end := at+int(e.After[i]), at+int(e.After[i+2])
		if k > at && end > k && end <= n {
			skip[k] = end
		}
	}
	return skip
}

// SplitTaken reports whether OpenWith used the entries of Options.Split.
func (m *Manifest) SplitTaken() bool { return m.splitTaken }

// takeEntries indexes the entries another scanner found from s.pos's key
// at split.At, and leaves s at the '}' closing the section. It reports false
// (and changes nothing) when they do not fit this input.
func (m *Manifest) takeEntries(sec *section, s *scanner, at int, e *Entries) bool {
	n := len(e.Spans)
	end := at + int(e.End)
	if n == 0 || n%4 != 0 || int(e.Spans[0]) != 0 || end >= len(s.data) || s.data[end] != '}' {
		return false
	}
	prev, keyBytes := at-1, 0
	for i := 0; i < n; i += 4 {
		k, kl, a, b := at+int(e.Spans[i]), int(e.Spans[i+1]), at+int(e.Spans[i+2]), at+int(e.Spans[i+3])
		if k <= prev || kl < 0 || a <= k || b <= a || b > end {
			return false
		}
		keyBytes += kl
		prev = b
	}
	if keyBytes != len(e.Keys) {
		return false
	}
	off := 0
	for i := 0; i < n; i += 4 {
		kl := int(e.Spans[i+1])
		sec.push(unsafe.String(unsafe.SliceData(e.Keys[off:]), kl), span{int32(at) + e.Spans[i+2], int32(at) + e.Spans[i+3]}) // push copies it
		off += kl
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
	var skipTo map[int]int // member key offset → value end, from Entries.After
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
						skipTo = e.after(keyOff, len(data))
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
		if end, ok := skipTo[keyOff]; ok {
			s.pos = end // the helper scanned this member (Entries.After)
			m.skipped++
			return nil
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
			src.push(k, nodes.spans[i])
		} else {
			kept.push(k, nodes.spans[i])
		}
	}
	src.finish()
	kept.finish()
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

// Position is the position of unique_id in a section's Keys.
func (m *Manifest) Position(sectionName, uid string) (int, bool) {
	if s := m.sections[sectionName]; s != nil {
		return s.table.find(s.keys, uid)
	}
	return 0, false
}

// Has reports whether section holds unique_id.
func (m *Manifest) Has(sectionName, uid string) bool {
	_, ok := m.Position(sectionName, uid)
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
