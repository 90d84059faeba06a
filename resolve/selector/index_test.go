package selector

import (
	"reflect"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/manifest"
)

// refIndex builds the index the plain way: every entry where m.Raw puts
// it, scanned without hints.
func refIndex(m *manifest.Manifest) *index {
	ix := newIndex(m)
	ix.once.Do(func() {
		ix.pos = map[string]int32{}
		for si, sec := range memberSections {
			for _, uid := range m.Keys(sec) {
				if _, dup := ix.pos[uid]; dup {
					continue
				}
				ix.pos[uid] = int32(len(ix.ids))
				ix.ids = append(ix.ids, uid)
				ix.section = append(ix.section, uint8(si))
			}
		}
		ix.entries = make([]entry, len(ix.ids))
		s := entryScanner{}
		for p, uid := range ix.ids {
			raw, off, _ := m.Raw(memberSections[ix.section[p]], uid)
			s.d = ix.data[:off+len(raw)]
			ix.scanInto(&s, int32(p), off, nil)
		}
	})
	return ix
}

func sameIndex(t *testing.T, name string, got, want *index) {
	t.Helper()
	if !reflect.DeepEqual(got.ids, want.ids) || !reflect.DeepEqual(got.section, want.section) {
		t.Fatalf("%s: member lists differ", name)
	}
	for uid, wp := range want.pos {
		if gp, ok := got.posOf(uid); !ok || gp != wp {
			t.Fatalf("%s: %s at %d (found %v), want %d", name, uid, gp, ok, wp)
		}
	}
	if _, ok := got.posOf("model.p.not_there"); ok {
		t.Fatalf("%s: a missing unique_id is found", name)
	}
	for p := range want.entries {
		g, w := got.entries[p], want.entries[p]
		if g.whole != w.whole || !reflect.DeepEqual(g.fields, w.fields) || got.hint == nil && !reflect.DeepEqual(g.members, w.members) ||
			got.hint == nil && !reflect.DeepEqual(g.parents, w.parents) || g.rt != w.rt || g.macroNull != w.macroNull || g.dup != w.dup || g.disabled != w.disabled {
			t.Fatalf("%s: entry %s differs:\n got %+v\nwant %+v", name, want.ids[p], g, w)
		}
	}
}

// TestIndexWalkAndHints checks that walking the sections, in parallel runs
// or not, and scanning with the other side's entries as hints give exactly
// the plain index.
func TestIndexWalkAndHints(t *testing.T) {
	type mpair struct {
		name     string
		cur, old []byte
	}
	pairs := []mpair{{"synthetic", synthetic(3000, "dbt_dev", true, 7), synthetic(3000, "prod", false, 7)}}
	for _, p := range corpusPairs(t) {
		pairs = append(pairs, mpair{p.name, p.curB, p.oldB})
	}
	// duplicate keys: the last one wins in m.Raw, the walk must notice
	dupField := [2][]byte{
		[]byte(`{"nodes":{"model.p.a":{"name":"a","x":1,"name":"b","raw_code":"s","tags":[]}}}`),
		[]byte(`{"nodes":{"model.p.a":{"name":"z","x":1,"name":"b","raw_code":"s","tags":[],"name":"c"}}}`),
	}
	pairs = append(pairs, mpair{"dup-fields", dupField[0], dupField[1]}, mpair{"dup-fields-rev", dupField[1], dupField[0]})
	dup := []byte(`{"nodes":{"model.p.a":{"name":"a"},"model.p.b":{"name":"b"},"model.p.a":{"name":"a2","config":{"enabled":false}}},"sources":{}}`)
	pairs = append(pairs, mpair{"duplicates", dup, dup})
	// a unique_id in two member sections is a member once, in the first
	twice := []byte(`{"nodes":{"model.p.a":{"name":"a"},"source.p.s.t":{"name":"t0"}},"sources":{"source.p.s.t":{"name":"t"},"source.p.s.u":{"name":"u"}},"exposures":{"exposure.p.e":{"name":"e"}}}`)
	pairs = append(pairs, mpair{"two-sections", twice, twice})
	for _, p := range pairs {
		cm, err := manifest.Open("cur", p.cur)
		if err != nil {
			t.Fatal(err)
		}
		om, err := manifest.Open("old", p.old)
		if err != nil {
			t.Fatal(err)
		}
		cur := newIndex(cm)
		cur.ensure(nil)
		sameIndex(t, p.name+"/cur", cur, refIndex(cm))
		old := newIndex(om)
		old.ensure(cur)
		sameIndex(t, p.name+"/old-hinted", old, refIndex(om))
		// a hinted index leaves the edges to Graph.build: the same graph
		hg, rg := &Graph{m: om, ix: old}, &Graph{m: om, ix: refIndex(om)}
		hg.ensure()
		rg.ensure()
		if !reflect.DeepEqual(hg.parentIdx, rg.parentIdx) || !reflect.DeepEqual(hg.parentOff, rg.parentOff) || !reflect.DeepEqual(hg.childIdx, rg.childIdx) {
			t.Fatalf("%s: the hinted index's graph differs", p.name)
		}
		checkSame(t, p.name, cur, old)
		rev := newIndex(cm)
		rev.ensure(old)
		sameIndex(t, p.name+"/cur-hinted", rev, refIndex(cm))
	}

}

// checkSame checks entry.same: every field marked is byte-identical to the
// hint's, as get finds them.
func checkSame(t *testing.T, name string, hint, ix *index) {
	t.Helper()
	for p, uid := range ix.ids {
		hp, ok := hint.posOf(uid)
		if !ok {
			continue
		}
		e, he := &ix.entries[p], &hint.entries[hp]
		for f := field(1); f < nFields; f++ {
			if e.same&(1<<f) == 0 {
				continue
			}
			a, b := e.get(f), he.get(f)
			if string(ix.data[a.a:a.b]) != string(hint.data[b.a:b.b]) {
				t.Fatalf("%s: %s field %s marked same but differs", name, uid, fieldName(f))
			}
		}
	}
}
