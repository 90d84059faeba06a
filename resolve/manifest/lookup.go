package manifest

import (
	"strings"
)

// LookupOrder is the package search order of an unqualified ref() made from a
// package that is not the root project (spec §1.7.8).
type LookupOrder int

const (
	// RootFirst searches root, then the caller's package, then any package
	// (dbt-core's default).
	RootFirst LookupOrder = iota
	// PackageFirst searches the caller's package, then root, then any package
	// (dbt 1.11+ with require_ref_searches_node_package_before_root, and Fusion).
	PackageFirst
)

// LookupStatus says how a lookup ended.
type LookupStatus int

// The ways a lookup ends.
const (
	Found LookupStatus = iota
	NotFound
	FoundDisabled
	Ambiguous
)

// Lookup is the outcome of LookupRef or LookupSource.
type Lookup struct {
	Status LookupStatus
	// UniqueID is the node found (or, for FoundDisabled, the disabled one).
	UniqueID string
	// Candidates are the unique_ids that made a lookup ambiguous.
	Candidates []string
}

// LookupQuery describes one ref() or source() to resolve.
type LookupQuery struct {
	Name    string // ref: model name; source: table name
	Source  string // source(): the source name
	Package string // explicit package ("" for none)
	Version string // "" for unpinned
	// CallerPackage is the package of the node making the call.
	CallerPackage string
	// Root is the root project name.
	Root  string
	Order LookupOrder
	// FirstMatchOnAmbiguity returns the first package's node instead of an
	// ambiguity error (dbt before 1.6).
	FirstMatchOnAmbiguity bool
}

// keyIndex maps a lookup key to package → unique_ids (file order). Most
// keys have one package, so a short list beats a map per key (one map per
// model was most of building the index in wasm).
type keyIndex map[string][]pkgIDs

type pkgIDs struct {
	pkg string
	ids []string
}

func (k keyIndex) add(key, pkg, uid string) {
	l := k[key]
	for i := range l {
		if l[i].pkg == pkg {
			l[i].ids = append(l[i].ids, uid)
			return
		}
	}
	k[key] = append(l, pkgIDs{pkg: pkg, ids: []string{uid}})
}

// get returns the unique_ids of key in package pkg.
func (k keyIndex) get(key, pkg string) []string {
	for _, e := range k[key] {
		if e.pkg == pkg {
			return e.ids
		}
	}
	return nil
}

type refIndex struct {
	enabled, disabled keyIndex
	// pkgOrder is the order packages were first seen, for "any package" scans.
	pkgOrder []string
	// names are every ref key, for "did you mean".
	names []string
}

// refKeys gives the lookup keys of a refable node: name, name.vV, and the
// plain name for the latest version of a versioned model.
func (m *Manifest) refKeys(uid string, sp span, disabled bool) (pkg string, keys []string) {
	typ, pkg, rest, ok := splitUID(uid)
	if !ok || (typ != "model" && typ != "seed" && typ != "snapshot") {
		return "", nil
	}
	if !strings.Contains(rest, ".") {
		return pkg, []string{rest}
	}
	n, err := m.decode(uid, sp, disabled)
	if err != nil {
		return pkg, nil
	}
	if n.PackageName != "" {
		pkg = n.PackageName
	}
	if !n.HasVersion {
		return pkg, []string{n.Name}
	}
	keys = []string{n.Name + ".v" + n.Version}
	latest := false
	switch {
	case n.IsLatestVersion != nil:
		latest = *n.IsLatestVersion
	case n.HasLatestVersion:
		latest = n.LatestVersion == n.Version
	}
	if latest {
		keys = append(keys, n.Name)
	}
	return pkg, keys
}

func (m *Manifest) refs() *refIndex {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.refIdx != nil {
		return m.refIdx
	}
	n := 0
	if s := m.sections["nodes"]; s != nil {
		n = len(s.keys)
	}
	idx := &refIndex{enabled: make(keyIndex, n), disabled: keyIndex{}}
	seenPkg := map[string]bool{}
	add := func(into keyIndex, pkg string, keys []string, uid string) {
		if keys == nil {
			return
		}
		if !seenPkg[pkg] {
			seenPkg[pkg] = true
			idx.pkgOrder = append(idx.pkgOrder, pkg)
		}
		for _, k := range keys {
			_, en := idx.enabled[k]
			if _, dis := idx.disabled[k]; !en && !dis {
				idx.names = append(idx.names, k)
			}
			into.add(k, pkg, uid)
		}
	}
	if s := m.sections["nodes"]; s != nil {
		for i, uid := range s.keys {
			pkg, keys := m.refKeys(uid, s.spans[i], false)
			add(idx.enabled, pkg, keys, uid)
		}
	}
	for _, uid := range m.disabledOrder {
		for _, sp := range m.disabled[uid] {
			pkg, keys := m.refKeys(uid, sp, true)
			add(idx.disabled, pkg, keys, uid)
		}
	}
	m.refIdx = idx
	return idx
}

// RefNames lists every name a ref() can use in this manifest (for suggestions).
func (m *Manifest) RefNames() []string { return m.refs().names }

// LookupRef finds the node a ref() names, following dbt's package order.
func (m *Manifest) LookupRef(q LookupQuery) Lookup {
	key := q.Name
	if q.Version != "" {
		key = q.Name + ".v" + q.Version
	}
	return m.lookup(m.refs(), key, q)
}

func (m *Manifest) lookup(idx *refIndex, key string, q LookupQuery) Lookup {
	const any = "\x00any"
	var candidates []string
	switch {
	case q.Package != "":
		candidates = []string{q.Package}
	case q.CallerPackage == q.Root || q.CallerPackage == "":
		candidates = []string{q.Root, any}
	case q.Order == PackageFirst:
		candidates = []string{q.CallerPackage, q.Root, any}
	default:
		candidates = []string{q.Root, q.CallerPackage, any}
	}
	firstDisabled := ""
	for _, p := range candidates {
		var ids []string
		if p == any {
			for _, pkg := range idx.pkgOrder {
				ids = append(ids, idx.enabled.get(key, pkg)...)
			}
			if len(ids) > 1 && !q.FirstMatchOnAmbiguity {
				return Lookup{Status: Ambiguous, Candidates: ids}
			}
		} else {
			ids = idx.enabled.get(key, p)
		}
		if len(ids) > 0 {
			return Lookup{Status: Found, UniqueID: ids[0]}
		}
		if firstDisabled == "" {
			if p == any {
				for _, pkg := range idx.pkgOrder {
					if d := idx.disabled.get(key, pkg); len(d) > 0 {
						firstDisabled = d[0]
						break
					}
				}
			} else if d := idx.disabled.get(key, p); len(d) > 0 {
				firstDisabled = d[0]
			}
		}
	}
	if firstDisabled != "" {
		return Lookup{Status: FoundDisabled, UniqueID: firstDisabled}
	}
	return Lookup{Status: NotFound}
}

// sourceIndex builds source_name.table → package → unique_id.
func (m *Manifest) sources() *refIndex {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.srcIdxCache != nil {
		return m.srcIdxCache
	}
	idx := &refIndex{enabled: keyIndex{}, disabled: keyIndex{}}
	seenPkg := map[string]bool{}
	add := func(into keyIndex, uid string, sp span, disabled bool) {
		typ, pkg, rest, ok := splitUID(uid)
		if !ok || typ != "source" {
			return
		}
		key := rest
		if strings.Count(rest, ".") != 1 {
			n, err := m.decode(uid, sp, disabled)
			if err != nil {
				return
			}
			key = n.SourceName + "." + n.Name
		}
		into.add(key, pkg, uid)
		if !seenPkg[pkg] {
			seenPkg[pkg] = true
			idx.pkgOrder = append(idx.pkgOrder, pkg)
		}
		idx.names = append(idx.names, key)
	}
	if s := m.sections["sources"]; s != nil {
		for i, uid := range s.keys {
			add(idx.enabled, uid, s.spans[i], false)
		}
	}
	for _, uid := range m.disabledOrder {
		for _, sp := range m.disabled[uid] {
			add(idx.disabled, uid, sp, true)
		}
	}
	m.srcIdxCache = idx
	return idx
}

// SourceNames lists "source_name.table" for every source (for suggestions).
func (m *Manifest) SourceNames() []string { return m.sources().names }

// LookupSource finds the source a source(q.Source, q.Name) call names.
func (m *Manifest) LookupSource(q LookupQuery) Lookup {
	return m.lookup(m.sources(), q.Source+"."+q.Name, q)
}
