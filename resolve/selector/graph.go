package selector

import (
	"bytes"
	"sort"
	"sync"

	"github.com/dbtdefer/dbtdefer/resolve/manifest"
)

// memberSections are the manifest sections whose entries are graph members
// (spec §4.2), in the order dbt's selector methods visit them.
var memberSections = []string{"nodes", "sources", "exposures", "metrics", "unit_tests", "semantic_models", "saved_queries", "functions"}

// Section indexes into memberSections.
const (
	secNodes uint8 = iota
	secSources
	secExposures
	secMetrics
	secUnitTests
	secSemanticModels
	secSavedQueries
	secFunctions
	nSections
)

// field identifies a top-level key of a manifest entry that selection or
// state comparison reads.
type field uint8

const (
	fNone field = iota
	fResourceType
	fName
	fPackageName
	fOriginalFilePath
	fPatchPath
	fFQN
	fTags
	fConfig
	fUnrenderedConfig
	fRawCode
	fRawSQL
	fChecksum
	fDependsOn
	fDescription
	fColumns
	fContract
	fLatestVersion
	fVersion
	fAccess
	fDeprecationDate
	fSourceName
	fDatabase
	fSchema
	fIdentifier
	fQuoting
	fFreshness
	fLoadedAtField
	fExternal
	fUnrenderedDatabase
	fUnrenderedSchema
	fTestMetadata
	fGroup
	fOwner
	fMaturity
	fURL
	fType
	fLabel
	fModel
	fDefaults
	fEntities
	fDimensions
	fMeasures
	fPrimaryEntity
	fQueryParams
	fExports
	fArguments
	fReturns
	fOverloads
	fConstraints
	// nested values recorded while scanning depends_on
	fDepNodes  // depends_on.nodes
	fDepMacros // depends_on.macros
	nFields
)

var fieldByKey = map[string]field{
	"resource_type": fResourceType, "name": fName, "package_name": fPackageName,
	"original_file_path": fOriginalFilePath, "patch_path": fPatchPath, "fqn": fFQN, "tags": fTags,
	"config": fConfig, "unrendered_config": fUnrenderedConfig, "raw_code": fRawCode, "raw_sql": fRawSQL,
	"checksum": fChecksum, "depends_on": fDependsOn, "description": fDescription, "columns": fColumns,
	"contract": fContract, "latest_version": fLatestVersion, "version": fVersion, "access": fAccess,
	"deprecation_date": fDeprecationDate, "source_name": fSourceName, "database": fDatabase,
	"schema": fSchema, "identifier": fIdentifier, "quoting": fQuoting, "freshness": fFreshness,
	"loaded_at_field": fLoadedAtField, "external": fExternal, "unrendered_database": fUnrenderedDatabase,
	"unrendered_schema": fUnrenderedSchema, "test_metadata": fTestMetadata, "group": fGroup,
	"owner": fOwner, "maturity": fMaturity, "url": fURL, "type": fType, "label": fLabel,
	"model": fModel, "defaults": fDefaults, "entities": fEntities, "dimensions": fDimensions,
	"measures": fMeasures, "primary_entity": fPrimaryEntity, "query_params": fQueryParams,
	"exports": fExports, "arguments": fArguments, "returns": fReturns, "overloads": fOverloads,
	"constraints": fConstraints,
}

// fieldSpan records where one known key's value lives.
type fieldSpan struct {
	f  field
	sp span
}

// entry is what the scan keeps of one manifest entry.
type entry struct {
	whole   span
	fields  []fieldSpan // sub-slice of a per-run buffer
	members []span      // every member, key start to value end
	// parents are the member positions of depends_on.nodes, each once
	parents []int32
	// rt is the resource_type as an rtNames index (0: look it up)
	rt uint8
	// macroNull: depends_on.macros may hold a null
	macroNull bool
	// same has bit f set when field f was taken over from the hint entry
	// (its bytes are identical to the hint's)
	same uint64
	// dup has bit f set when field f occurs more than once
	dup uint64
	// hintPos is the hint entry scanned as this one's counterpart, or -1
	hintPos int32
	// disabled: config.enabled is false
	disabled bool
}

// entry.same is a 64-bit set of fields.
var _ [64 - nFields]struct{}

// rtNames are the resource types entry.rt can name.
var rtNames = []string{"", "model", "test", "seed", "snapshot", "source", "unit_test", "analysis", "operation", "exposure", "metric", "semantic_model", "saved_query", "function", "sql_operation"}

func rtCode(d []byte, s span) uint8 {
	if s.b-s.a <= 2 || d[s.a] != '"' {
		return 0
	}
	raw := d[s.a+1 : s.b-1]
	for i := 1; i < len(rtNames); i++ {
		if string(raw) == rtNames[i] {
			return uint8(i)
		}
	}
	return 0
}

func (e *entry) get(f field) span {
	for _, fs := range e.fields {
		if fs.f == f {
			return fs.sp
		}
	}
	return span{}
}

// index is the field scan of one manifest: every member entry's known
// top-level keys, in member order.
type index struct {
	m    *manifest.Manifest
	data []byte
	once sync.Once
	ids  []string
	// base finds a member: the position of each member section's first
	// member, plus the key's position in its section (Manifest.Position).
	// pos replaces them when a unique_id is in two sections (see build).
	base    [nSections]int32
	pos     map[string]int32
	section []uint8
	entries []entry
	// hint is the index this one was scanned with as hints (entry.same
	// refers to its entries), or nil
	hint *index
	// macros: macro_sql spans and macro→macro dependencies (lazily).
	macroOnce sync.Once
	macros    map[string]macroEntry
}

type macroEntry struct {
	sql  span
	deps []string
}

// fieldOf maps a top-level entry key to its field (a switch: no map lookup,
// no allocation).
func fieldOf(k []byte) field {
	switch string(k) {
	case "resource_type":
		return fResourceType
	case "name":
		return fName
	case "package_name":
		return fPackageName
	case "original_file_path":
		return fOriginalFilePath
	case "patch_path":
		return fPatchPath
	case "fqn":
		return fFQN
	case "tags":
		return fTags
	case "config":
		return fConfig
	case "unrendered_config":
		return fUnrenderedConfig
	case "raw_code":
		return fRawCode
	case "raw_sql":
		return fRawSQL
	case "checksum":
		return fChecksum
	case "depends_on":
		return fDependsOn
	case "description":
		return fDescription
	case "columns":
		return fColumns
	case "contract":
		return fContract
	case "latest_version":
		return fLatestVersion
	case "version":
		return fVersion
	case "access":
		return fAccess
	case "deprecation_date":
		return fDeprecationDate
	case "source_name":
		return fSourceName
	case "database":
		return fDatabase
	case "schema":
		return fSchema
	case "identifier":
		return fIdentifier
	case "quoting":
		return fQuoting
	case "freshness":
		return fFreshness
	case "loaded_at_field":
		return fLoadedAtField
	case "external":
		return fExternal
	case "unrendered_database":
		return fUnrenderedDatabase
	case "unrendered_schema":
		return fUnrenderedSchema
	case "test_metadata":
		return fTestMetadata
	case "group":
		return fGroup
	case "owner":
		return fOwner
	case "maturity":
		return fMaturity
	case "url":
		return fURL
	case "type":
		return fType
	case "label":
		return fLabel
	case "model":
		return fModel
	case "defaults":
		return fDefaults
	case "entities":
		return fEntities
	case "dimensions":
		return fDimensions
	case "measures":
		return fMeasures
	case "primary_entity":
		return fPrimaryEntity
	case "query_params":
		return fQueryParams
	case "exports":
		return fExports
	case "arguments":
		return fArguments
	case "returns":
		return fReturns
	case "overloads":
		return fOverloads
	case "constraints":
		return fConstraints
	}
	return fNone
}

// macroIndex scans the macros section once: macro_sql and depends_on.macros.
func (ix *index) macroIndex(m *manifest.Manifest) map[string]macroEntry {
	ix.macroOnce.Do(func() {
		ix.macros = make(map[string]macroEntry, len(m.Keys("macros")))
		for _, uid := range m.Keys("macros") {
			raw, off, ok := m.Raw("macros", uid)
			if !ok {
				continue
			}
			sp := span{int32(off), int32(off + len(raw))}
			var me macroEntry
			eachMember(ix.data, sp, func(k []byte, v span) bool {
				switch string(k) {
				case "macro_sql":
					me.sql = v
				case "depends_on":
					if ms, ok := objGet(ix.data, v, "macros"); ok {
						me.deps = strList(ix.data, ms)
					}
				}
				return true
			})
			ix.macros[uid] = me
		}
	})
	return ix.macros
}

// Graph is the selection graph of one manifest (spec §4.2): enabled nodes,
// sources, exposures, metrics, semantic models, saved queries, unit tests and
// functions, with parent→child edges from depends_on.nodes. Build it once per
// manifest with NewGraph and reuse it for every selection; it is safe for
// concurrent use.
type Graph struct {
	m  *manifest.Manifest
	ix *index
	// enabled marks graph members (entries whose config.enabled is not false).
	enabled []bool
	// parents/children in CSR form over member positions.
	parentOff, childOff []int32
	parentIdx, childIdx []int32

	once sync.Once

	mu    sync.Mutex
	state *stateCache // comparison against the last state manifest used
}

// NewGraph prepares m for selection. The index (one scan over the member
// entries' top-level keys, parallel when several CPUs are available) is built
// on first use: by a selection, or by the comparison of another graph against
// m as its state manifest, which scans m taking that graph's entries as hints.
func NewGraph(m *manifest.Manifest) *Graph {
	return &Graph{m: m, ix: newIndex(m)}
}

// ensure builds the index and the edges once.
func (g *Graph) ensure() {
	g.once.Do(g.build)
}

func (g *Graph) build() {
	ix := g.ix
	ix.ensure(nil)
	n := len(ix.ids)
	g.enabled = make([]bool, n)
	// an unhinted scan resolved each member's depends_on.nodes
	// (entry.parents); after a hinted one, resolve them here
	var s entryScanner
	parents := make([]int32, 0, n*2)
	start := make([]int32, n+1)
	for i := range ix.entries {
		e := &ix.entries[i]
		start[i] = int32(len(parents))
		g.enabled[i] = !e.disabled
		ps := e.parents
		if ix.hint != nil {
			if ns := e.get(fDepNodes); ns.ok() {
				ps = s.parentsOf(ix, ns)
			}
		}
		parents = append(parents, ps...)
	}
	start[n] = int32(len(parents))
	total := len(parents)
	// drop disabled members' edges
	g.parentOff = make([]int32, n+1)
	g.parentIdx = make([]int32, 0, total)
	childCount := make([]int32, n+1)
	for i := 0; i < n; i++ {
		ps := parents[start[i]:start[i+1]]
		g.parentOff[i] = int32(len(g.parentIdx))
		if !g.enabled[i] {
			continue
		}
		for _, p := range ps {
			if g.enabled[p] {
				g.parentIdx = append(g.parentIdx, p)
				childCount[p]++
			}
		}
	}
	g.parentOff[n] = int32(len(g.parentIdx))
	g.childOff = make([]int32, n+1)
	for i := 0; i < n; i++ {
		g.childOff[i+1] = g.childOff[i] + childCount[i]
	}
	g.childIdx = make([]int32, len(g.parentIdx))
	fill := make([]int32, n)
	copy(fill, g.childOff[:n])
	for i := 0; i < n; i++ {
		for _, p := range g.parentIdx[g.parentOff[i]:g.parentOff[i+1]] {
			g.childIdx[fill[p]] = int32(i)
			fill[p]++
		}
	}
}

// configDisabled reports whether the config object at cfg has "enabled":
// false (its first enabled key, as objGet finds it).
func configDisabled(d []byte, cfg span) bool {
	if !cfg.ok() || d[cfg.a] != '{' {
		return false
	}
	// dbt writes enabled first
	const key = `"enabled"`
	if i := skipWS(d, int(cfg.a)+1); bytes.HasPrefix(d[i:cfg.b], []byte(key)) {
		if j := skipWS(d, i+len(key)); j < int(cfg.b) && d[j] == ':' {
			j = skipWS(d, j+1)
			return j < int(cfg.b) && d[j] == 'f'
		}
	}
	if !maybeDisabled(d[cfg.a:cfg.b]) {
		return false
	}
	en, ok := objGet(d, cfg, "enabled")
	return ok && kind(d, en) == 'f'
}

// testDeps is depends_on.nodes of a test or unit test as written (for
// indirect selection); nil for other members.
func (g *Graph) testDeps(p int32) []string {
	if rt := g.resourceType(p); rt != "test" && rt != "unit_test" {
		return nil
	}
	d := g.ix.data
	var raw []string
	eachElement(d, g.ix.entries[p].get(fDepNodes), func(v span) bool {
		if kind(d, v) == '"' {
			raw = append(raw, strVal(d, v))
		}
		return true
	})
	return raw
}

// maybeDisabled reports whether a config object may hold "enabled": false:
// whether some "enabled" in it is followed by a colon and an f. Without one,
// its enabled key (the raw key bytes, as objGet compares them) is not false.
func maybeDisabled(cfg []byte) bool {
	const key = `"enabled"`
	for {
		k := bytes.Index(cfg, []byte(key))
		if k < 0 {
			return false
		}
		cfg = cfg[k+len(key):]
		i := skipWS(cfg, 0)
		if i < len(cfg) && cfg[i] == ':' {
			if i = skipWS(cfg, i+1); i < len(cfg) && cfg[i] == 'f' {
				return true
			}
		}
	}
}

// Manifest returns the manifest the graph was built from.
func (g *Graph) Manifest() *manifest.Manifest { return g.m }

// Len is the number of graph members (enabled entries).
func (g *Graph) Len() int {
	g.ensure()
	n := 0
	for _, e := range g.enabled {
		if e {
			n++
		}
	}
	return n
}

// Has reports whether uniqueID is an enabled graph member.
func (g *Graph) Has(uniqueID string) bool {
	g.ensure()
	p, ok := g.ix.posOf(uniqueID)
	return ok && g.enabled[p]
}

// Parents returns the direct parents of uniqueID in the graph, sorted.
func (g *Graph) Parents(uniqueID string) []string {
	g.ensure()
	p, ok := g.ix.posOf(uniqueID)
	if !ok {
		return nil
	}
	return g.names(g.parentIdx[g.parentOff[p]:g.parentOff[p+1]])
}

// Children returns the direct children of uniqueID in the graph, sorted.
func (g *Graph) Children(uniqueID string) []string {
	g.ensure()
	p, ok := g.ix.posOf(uniqueID)
	if !ok {
		return nil
	}
	return g.names(g.childIdx[g.childOff[p]:g.childOff[p+1]])
}

func (g *Graph) names(ps []int32) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = g.ix.ids[p]
	}
	sort.Strings(out)
	return out
}

func (g *Graph) parentsOf(p int32) []int32  { return g.parentIdx[g.parentOff[p]:g.parentOff[p+1]] }
func (g *Graph) childrenOf(p int32) []int32 { return g.childIdx[g.childOff[p]:g.childOff[p+1]] }

// resourceType of member p: the entry's resource_type, else the unique_id's
// first segment.
func (g *Graph) resourceType(p int32) string {
	return resourceTypeOf(g.ix, p)
}

func resourceTypeOf(ix *index, p int32) string {
	if c := ix.entries[p].rt; c != 0 {
		return rtNames[c]
	}
	if s := ix.entries[p].get(fResourceType); s.ok() {
		if s.b-s.a > 2 && ix.data[s.a] == '"' {
			// the common names without an allocation
			switch string(ix.data[s.a+1 : s.b-1]) {
			case "model":
				return "model"
			case "test":
				return "test"
			case "seed":
				return "seed"
			case "snapshot":
				return "snapshot"
			case "source":
				return "source"
			case "unit_test":
				return "unit_test"
			case "analysis":
				return "analysis"
			case "operation":
				return "operation"
			case "exposure":
				return "exposure"
			case "metric":
				return "metric"
			}
		}
		if v := strVal(ix.data, s); v != "" {
			return v
		}
	}
	uid := ix.ids[p]
	for i := 0; i < len(uid); i++ {
		if uid[i] == '.' {
			return uid[:i]
		}
	}
	return uid
}

func (g *Graph) str(p int32, f field) string { return strVal(g.ix.data, g.ix.entries[p].get(f)) }

// walk is a breadth-first walk by generation from seeds, up (parents) or down
// (children), limited to depth generations (depth < 0: unlimited). Seeds are
// reached only when they are relatives of other seeds, as in dbt. via records,
// for each reached member, the seed-side member it was first reached from.
func (g *Graph) walk(seeds []int32, up bool, depth int, visit func(p, from int32)) {
	seen := make(map[int32]bool, len(seeds))
	layer := seeds
	for gen := 0; len(layer) > 0 && (depth < 0 || gen < depth); gen++ {
		var next []int32
		for _, s := range layer {
			var rel []int32
			if up {
				rel = g.parentsOf(s)
			} else {
				rel = g.childrenOf(s)
			}
			for _, r := range rel {
				if !seen[r] {
					seen[r] = true
					next = append(next, r)
					visit(r, s)
				}
			}
		}
		layer = next
	}
}
