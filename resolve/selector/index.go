package selector

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"runtime"
	"sort"
	"sync"

	"github.com/dbtdefer/dbtdefer/resolve/manifest"
)

// newIndex prepares the (lazy) index of m; ensure builds it.
func newIndex(m *manifest.Manifest) *index {
	return &index{m: m, data: m.Bytes()}
}

// ensure builds the index once. hint, when not nil, is the built index of a
// similar manifest (the other side of a state comparison): an entry member
// whose bytes equal the hint's counterpart member is taken over without
// scanning it. The result is the same with or without a hint.
func (ix *index) ensure(hint *index) {
	ix.once.Do(func() { ix.build(hint) })
}

// sectionJob is one contiguous run of a section's keys, scanned in one go.
type sectionJob struct {
	sec   uint8
	lo    int // the run's first key's position in the section
	keys  []string
	slots []int32 // member position per key, -1 for a duplicate unique_id
}

func (ix *index) build(hint *index) {
	ix.hint = hint
	m := ix.m
	total := 0
	for _, sec := range memberSections {
		total += len(m.Keys(sec))
	}
	// A member's position is its section's base plus its place in the
	// manifest's own key order, found through the manifest's key maps. A
	// unique_id in two sections (never in a manifest dbt wrote: the id's
	// prefix is its resource type) is a member once, in the first, as in
	// dbt; only then does the index keep a map of its own.
	// (Only found-or-not matters here, before the bases are set.)
	shared := false
	for si := 1; si < len(memberSections) && !shared; si++ {
		for _, uid := range m.Keys(memberSections[si]) {
			if _, ok := ix.lookup(uid, si); ok {
				shared = true
				break
			}
		}
	}
	if shared {
		ix.pos = make(map[string]int32, total)
	}
	ix.ids = make([]string, 0, total)
	ix.section = make([]uint8, 0, total)
	workers := runtime.GOMAXPROCS(0)
	if workers > 8 {
		workers = 8
	}
	if total < 2000 {
		workers = 1
	}
	var jobs []*sectionJob
	for si, sec := range memberSections {
		keys := m.Keys(sec)
		ix.base[si] = int32(len(ix.ids))
		if len(keys) == 0 {
			continue
		}
		slots := make([]int32, len(keys))
		for k, uid := range keys {
			if shared {
				if _, dup := ix.pos[uid]; dup {
					slots[k] = -1
					continue
				}
				ix.pos[uid] = int32(len(ix.ids))
			}
			slots[k] = int32(len(ix.ids))
			ix.ids = append(ix.ids, uid)
			ix.section = append(ix.section, uint8(si))
		}
		// a few runs per worker, so an uneven run does not leave one idle
		chunk := (len(keys) + 4*workers - 1) / (4 * workers)
		if chunk < 1000 {
			chunk = len(keys)
		}
		for lo := 0; lo < len(keys); lo += chunk {
			hi := min(lo+chunk, len(keys))
			jobs = append(jobs, &sectionJob{sec: uint8(si), lo: lo, keys: keys[lo:hi], slots: slots[lo:hi]})
		}
	}
	ix.entries = make([]entry, len(ix.ids))
	if workers == 1 || len(jobs) == 1 {
		for _, j := range jobs {
			ix.walk(j, hint)
		}
	} else {
		var wg sync.WaitGroup
		sem := make(chan struct{}, workers)
		for _, j := range jobs {
			wg.Add(1)
			sem <- struct{}{}
			go func() { defer wg.Done(); ix.walk(j, hint); <-sem }()
		}
		wg.Wait()
	}
}

// lookup is the member position of uid, looking in the sections before
// limit (len(memberSections): all).
func (ix *index) lookup(uid string, limit int) (int32, bool) {
	if ix.pos != nil {
		p, ok := ix.pos[uid]
		return p, ok
	}
	for si, sec := range memberSections[:limit] {
		if o, ok := ix.m.Position(sec, uid); ok {
			return ix.base[si] + int32(o), true
		}
	}
	return -1, false
}

// posOf is the member position of uid.
func (ix *index) posOf(uid string) (int32, bool) { return ix.lookup(uid, len(memberSections)) }

// scanInto scans the entry at off into member slot p and returns its end.
func (ix *index) scanInto(s *entryScanner, p int32, off int, hint *index) (int, bool) {
	var he *entry
	hintPos := int32(-1)
	if hint != nil {
		uid := ix.ids[p]
		hp, ok := int32(-1), false
		if int(p) < len(hint.ids) && hint.ids[p] == uid {
			hp, ok = p, true
		} else {
			hp, ok = hint.posOf(uid)
		}
		if ok {
			he = &hint.entries[hp]
			hintPos = hp
			s.hd = hint.data
		}
	}
	// fresh buffers instead of growing (and copying) the old ones: the
	// entries scanned so far keep theirs
	if cap(s.fields)-len(s.fields) < 128 {
		s.fields = make([]fieldSpan, 0, 32<<10)
	}
	if !s.noMembers && cap(s.members)-len(s.members) < 256 {
		s.members = make([]span, 0, 32<<10)
	}
	f0, m0 := len(s.fields), len(s.members)
	s.same, s.seen = 0, 0
	end, ok := s.entry(off, he)
	e := &ix.entries[p]
	e.whole = span{int32(off), int32(end)}
	e.fields = s.fields[f0:len(s.fields):len(s.fields)]
	e.members = s.members[m0:len(s.members):len(s.members)]
	var seen uint64
	for _, fs := range e.fields {
		if seen&(1<<fs.f) != 0 {
			e.dup |= 1 << fs.f
		}
		seen |= 1 << fs.f
	}
	e.same = s.same &^ e.dup
	e.hintPos = hintPos
	if he != nil && e.same&(1<<fConfig) != 0 {
		e.disabled = he.disabled // the same config bytes
	} else {
		e.disabled = configDisabled(ix.data, e.get(fConfig))
	}
	// while the entry's bytes are in the cache
	e.rt = rtCode(ix.data, e.get(fResourceType))
	if ms := e.get(fDepMacros); ms.ok() {
		e.macroNull = bytes.Contains(ix.data[ms.a:ms.b], []byte("null"))
	}
	// the edges of the current side's graph; a state side (scanned with
	// hints) rarely needs its own, which Graph.build then resolves
	if ns := e.get(fDepNodes); ns.ok() && hint == nil {
		e.parents = s.parentsOf(ix, ns)
	}
	return end, ok
}

// walk scans a run of consecutive section entries, each where the manifest's
// scan found it.
func (ix *index) walk(j *sectionJob, hint *index) {
	sec := memberSections[j.sec]
	s := entryScanner{noMembers: hint != nil}
	for k, p := range j.slots {
		if p < 0 {
			continue
		}
		raw, off := ix.m.EntryAt(sec, j.lo+k)
		s.d = ix.data[:off+len(raw)]
		ix.scanInto(&s, p, off, hint)
	}
}

// entryScanner scans entries into shared buffers.
type entryScanner struct {
	d       []byte
	fields  []fieldSpan
	members []span
	parents []int32
	hd      []byte // the hint's data
	same    uint64 // fields of the current entry taken over from the hint
	seen    uint64 // fields of the current entry so far
	// noMembers: do not keep member extents (a hinted scan's are only
	// needed should this index be a hint in turn, where it then gives none)
	noMembers bool
}

// entry scans the entry value at d[i]: every member's extent (key start to
// value end) and the known fields, and returns the value's end. he is the
// counterpart entry of the hint manifest, or nil. A member's bytes that
// equal the counterpart's next member (and end where a member must) have the
// same fields, shifted: a JSON value's extent is fixed by its bytes.
func (s *entryScanner) entry(i int, he *entry) (int, bool) {
	d := s.d
	i = skipWS(d, i)
	if i >= len(d) {
		return i, false
	}
	if d[i] != '{' {
		_, end, ok := skipValue(d, i)
		return end, ok
	}
	i = skipWS(d, i+1)
	if i < len(d) && d[i] == '}' {
		return i + 1, true
	}
	var hm []span
	var hf []fieldSpan
	if he != nil {
		hm, hf = he.members, he.fields
	}
	j, fi := 0, 0
	for i < len(d) {
		if d[i] != '"' {
			return i, false
		}
		ks := i
		matched := false
		if j < len(hm) {
			// the longest common prefix with the hint from this member on:
			// every hint member that ends, delimiter included, inside it is
			// taken over, shifted
			base := hm[j].a
			lim := int(base) + commonPrefix(d[ks:], s.hd[base:he.whole.b])
			delta := int32(ks) - base
			// the last hint member that ends before the prefix does
			j1 := j + sort.Search(len(hm)-j, func(k int) bool { return int(hm[j+k].b) >= lim }) - 1
			var dp int
			for ; j1 >= j; j1-- {
				dp = skipWS(s.hd, int(hm[j1].b))
				if dp < lim && (s.hd[dp] == ',' || s.hd[dp] == '}') {
					break
				}
			}
			if j1 >= j {
				// members j..j1 end, delimiters included, inside the prefix
				matched = true
				end := hm[j1].b
				for fi < len(hf) && hf[fi].sp.a < base {
					fi++
				}
				for ; fi < len(hf) && hf[fi].sp.a < end; fi++ {
					f := hf[fi]
					s.fields = append(s.fields, fieldSpan{f.f, span{f.sp.a + delta, f.sp.b + delta}})
					// identical to the hint's value that get finds, and the
					// first of its field here too
					if bit := uint64(1) << f.f; he.dup&bit == 0 && s.seen&bit == 0 {
						s.same |= bit
					}
					s.seen |= 1 << f.f
				}
				if !s.noMembers {
					for _, ms := range hm[j : j1+1] {
						s.members = append(s.members, span{ms.a + delta, ms.b + delta})
					}
				}
				j = j1 + 1
				if s.hd[dp] == '}' {
					return dp + int(delta) + 1, true
				}
				i = dp + int(delta) // at the comma
			}
			if matched {
				goto sep
			}
		}
		j++
		if !matched {
			ke, ok := skipString(d, i)
			if !ok {
				return ke, false
			}
			key := d[i+1 : ke-1]
			i = ke
			if i >= len(d) || d[i] != ':' {
				if i = skipWS(d, i); i >= len(d) || d[i] != ':' {
					return i, false
				}
			}
			// the value, strings and containers dispatched here
			vs, ve := i+1, 0
			if vs < len(d) && d[vs] == '"' {
				ve, ok = skipString(d, vs)
			} else if vs < len(d) && (d[vs] == '{' || d[vs] == '[') {
				ve, ok = skipContainer(d, vs)
			} else {
				vs, ve, ok = skipValue(d, vs)
			}
			if !ok {
				return ve, false
			}
			v := span{int32(vs), int32(ve)}
			if f := fieldOf(key); f != fNone {
				n0 := len(s.fields)
				s.fields = append(s.fields, fieldSpan{f, v})
				if f == fDependsOn {
					s.dependsOn(v)
				}
				for _, fs := range s.fields[n0:] {
					s.seen |= 1 << fs.f
				}
			}
			if !s.noMembers {
				s.members = append(s.members, span{int32(ks), int32(ve)})
			}
			if i = ve; i < len(d) && d[i] != ',' && d[i] != '}' {
				i = skipWS(d, i)
			}
		}
	sep:
		if i >= len(d) {
			return i, false
		}
		if d[i] == '}' {
			return i + 1, true
		}
		if d[i] != ',' {
			return i, false
		}
		i = skipWS(d, i+1)
	}
	return i, false
}

// dependsOn records depends_on.nodes and depends_on.macros.
func (s *entryScanner) dependsOn(v span) {
	d := s.d
	if d[v.a] != '{' {
		return
	}
	eachMember(d, v, func(k []byte, v span) bool {
		switch string(k) {
		case "nodes":
			s.fields = append(s.fields, fieldSpan{fDepNodes, v})
		case "macros":
			s.fields = append(s.fields, fieldSpan{fDepMacros, v})
		}
		return true
	})
}

// parentsOf resolves the depends_on.nodes list at ns to member positions,
// each once, in list order (ids that are not members are left out). The
// scan does it, in parallel, while the list is in the cache.
func (s *entryScanner) parentsOf(ix *index, ns span) []int32 {
	if cap(s.parents)-len(s.parents) < 64 {
		s.parents = make([]int32, 0, 8<<10)
	}
	p0 := len(s.parents)
	d := ix.data
	eachElement(d, ns, func(v span) bool {
		if kind(d, v) != '"' || v.b-v.a <= 2 {
			return true
		}
		p, found := ix.posOf(string(d[v.a+1 : v.b-1]))
		if !found {
			return true
		}
		for _, q := range s.parents[p0:] {
			if q == p {
				return true
			}
		}
		s.parents = append(s.parents, p)
		return true
	})
	return s.parents[p0:len(s.parents):len(s.parents)]
}

// commonPrefix is the length of the longest common prefix of a and b.
func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for i+1024 <= n && string(a[i:i+1024]) == string(b[i:i+1024]) {
		i += 1024
	}
	for i+64 <= n && string(a[i:i+64]) == string(b[i:i+64]) {
		i += 64
	}
	for i+8 <= n {
		if x := binary.LittleEndian.Uint64(a[i:]) ^ binary.LittleEndian.Uint64(b[i:]); x != 0 {
			return i + bits.TrailingZeros64(x)>>3
		}
		i += 8
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}
