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

// keyIndex maps a lookup key to its unique_ids with their packages, in file
// order: a chain per key, found through a keyTable over the keys (as a
// section's: building the index is on the path to the first answer, and in
// wasm a Go map's hashing and growth were most of it).
type keyIndex struct {
	table  keyTable
	keys   []string // per chain
	chains []keyChain
	ents   []keyEnt
}

type keyChain struct{ first, last int32 }

type keyEnt struct {
	pkg, uid string
	next     int32 // the key's next entry, -1 at the end
}

func newKeyIndex(n int) keyIndex {
	return keyIndex{table: newKeyTable(n), ents: make([]keyEnt, 0, n)}
}

// add appends uid (of package pkg) to key and reports whether key is new.
func (k *keyIndex) add(key, pkg, uid string) bool {
	if 2*(len(k.keys)+1) > len(k.table.slots) {
		k.table = newKeyTable(2 * (len(k.keys) + 1))
		for i, key := range k.keys {
			k.table.insert(k.keys, key, int32(i))
		}
	}
	e := int32(len(k.ents))
	k.ents = append(k.ents, keyEnt{pkg: pkg, uid: uid, next: -1})
	if c, dup := k.table.insert(k.keys, key, int32(len(k.keys))); dup {
		k.ents[k.chains[c].last].next = e
		k.chains[c].last = e
		return false
	}
	k.keys = append(k.keys, key)
	k.chains = append(k.chains, keyChain{e, e})
	return true
}

func (k *keyIndex) has(key string) bool {
	_, ok := k.table.find(k.keys, key)
	return ok
}

// get returns the unique_ids of key in package pkg, in file order.
func (k *keyIndex) get(key, pkg string) []string {
	c, ok := k.table.find(k.keys, key)
	if !ok {
		return nil
	}
	var out []string
	for e := k.chains[c].first; e >= 0; e = k.ents[e].next {
		if k.ents[e].pkg == pkg {
			out = append(out, k.ents[e].uid)
		}
	}
	return out
}

// first is get's first uid, without building the list.
func (k *keyIndex) first(key, pkg string) (string, bool) {
	c, ok := k.table.find(k.keys, key)
	if !ok {
		return "", false
	}
	for e := k.chains[c].first; e >= 0; e = k.ents[e].next {
		if k.ents[e].pkg == pkg {
			return k.ents[e].uid, true
		}
	}
	return "", false
}

type refIndex struct {
	enabled, disabled keyIndex
	// pkgOrder is the order packages were first seen, for "any package" scans.
	pkgOrder []string
	// names are every ref key, for "did you mean".
	names []string
}

// refKeys gives the lookup keys of a refable node to add: name, name.vV,
// and the plain name for the latest version of a versioned model.
func (m *Manifest) refKeys(uid string, sp span, disabled bool, add func(pkg, key string)) {
	typ, pkg, rest, ok := splitUID(uid)
	if !ok || (typ != "model" && typ != "seed" && typ != "snapshot") {
		return
	}
	if !strings.Contains(rest, ".") {
		add(pkg, rest)
		return
	}
	n, err := m.decode(uid, sp, disabled)
	if err != nil {
		return
	}
	if n.PackageName != "" {
		pkg = n.PackageName
	}
	if !n.HasVersion {
		add(pkg, n.Name)
		return
	}
	add(pkg, n.Name+".v"+n.Version)
	latest := false
	switch {
	case n.IsLatestVersion != nil:
		latest = *n.IsLatestVersion
	case n.HasLatestVersion:
		latest = n.LatestVersion == n.Version
	}
	if latest {
		add(pkg, n.Name)
	}
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
	idx := &refIndex{enabled: newKeyIndex(n), disabled: newKeyIndex(0)}
	idx.names = make([]string, 0, n)
	lastPkg := ""
	seenPkg := map[string]bool{}
	notePkg := func(pkg string) {
		if pkg != lastPkg && !seenPkg[pkg] {
			seenPkg[pkg] = true
			idx.pkgOrder = append(idx.pkgOrder, pkg)
		}
		lastPkg = pkg
	}
	if s := m.sections["nodes"]; s != nil {
		for i, uid := range s.keys {
			m.refKeys(uid, s.spans[i], false, func(pkg, key string) {
				notePkg(pkg)
				if idx.enabled.add(key, pkg, uid) {
					idx.names = append(idx.names, key)
				}
			})
		}
	}
	for _, uid := range m.disabledOrder {
		for _, sp := range m.disabled[uid] {
			m.refKeys(uid, sp, true, func(pkg, key string) {
				notePkg(pkg)
				if idx.disabled.add(key, pkg, uid) && !idx.enabled.has(key) {
					idx.names = append(idx.names, key)
				}
			})
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
		} else if uid, ok := idx.enabled.first(key, p); ok {
			return Lookup{Status: Found, UniqueID: uid}
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
			} else if d, ok := idx.disabled.first(key, p); ok {
				firstDisabled = d
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
	idx := &refIndex{enabled: newKeyIndex(0), disabled: newKeyIndex(0)}
	seenPkg := map[string]bool{}
	add := func(into *keyIndex, uid string, sp span, disabled bool) {
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
			add(&idx.enabled, uid, s.spans[i], false)
		}
	}
	for _, uid := range m.disabledOrder {
		for _, sp := range m.disabled[uid] {
			add(&idx.disabled, uid, sp, true)
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
