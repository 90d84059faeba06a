package selector

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
	"github.com/valyala/fastjson"
)

// pair is a (state, current) manifest pair from the corpus.
type pair struct {
	name       string
	old, cur   string // manifest paths
	oldB, curB []byte
}

// corpusPairs lists the curated defer pairs (prod = state, dev = current)
// always, and the shared corpus a/b pairs (a = state, b = current) when the
// shared corpus is present.
func corpusPairs(t testing.TB) []pair {
	var out []pair
	seen := map[string]bool{}
	for _, d := range corpus.Pairs() {
		if seen[filepath.Base(d)] {
			continue
		}
		seen[filepath.Base(d)] = true
		out = append(out, pair{name: filepath.Base(d), old: filepath.Join(d, "prod", "manifest.json"), cur: filepath.Join(d, "dev", "manifest.json")})
	}
	if sh := corpus.Shared(); sh != "" {
		ents, _ := os.ReadDir(sh)
		for _, e := range ents {
			a := filepath.Join(sh, e.Name(), "a", "manifest.json")
			b := filepath.Join(sh, e.Name(), "b", "manifest.json")
			if fileExists(a) && fileExists(b) {
				out = append(out, pair{name: e.Name(), old: a, cur: b})
			}
		}
	}
	for i := range out {
		var err error
		if out[i].oldB, err = os.ReadFile(out[i].old); err != nil {
			t.Fatal(err)
		}
		if out[i].curB, err = os.ReadFile(out[i].cur); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// checksums reads nodes' checksum.checksum with fastjson, independently of
// the selector's own scanner.
func checksums(t testing.TB, data []byte) map[string]string {
	v, err := fastjson.ParseBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	v.GetObject("nodes").Visit(func(k []byte, n *fastjson.Value) {
		out[string(k)] = string(n.GetStringBytes("checksum", "checksum"))
	})
	return out
}

func TestCorpusPairs(t *testing.T) {
	pairs := corpusPairs(t)
	if len(pairs) == 0 {
		t.Skip("no corpus pairs")
	}
	for _, pr := range pairs {
		t.Run(pr.name, func(t *testing.T) {
			oldM, err := manifest.Open(pr.old, pr.oldB)
			if err != nil {
				t.Fatal(err)
			}
			curM, err := manifest.Open(pr.cur, pr.curB)
			if err != nil {
				t.Fatal(err)
			}
			g := NewGraph(curM)
			mod, err := Select(g, []string{"state:modified"}, Options{State: oldM, IncludeEmpty: true, Indirect: IndirectEmpty})
			if err != nil {
				t.Fatal(err)
			}
			nw, err := Select(g, []string{"state:new"}, Options{State: oldM, IncludeEmpty: true, Indirect: IndirectEmpty})
			if err != nil {
				t.Fatal(err)
			}
			oc, cc := checksums(t, pr.oldB), checksums(t, pr.curB)
			changed, added, exempt := 0, 0, 0
			for uid, sum := range cc {
				if !g.Has(uid) {
					continue
				}
				o, ok := oc[uid]
				if !ok && !oldM.Has("sources", uid) {
					added++
					if !nw.Set[uid] {
						t.Errorf("%s is new in the current manifest but not state:new", uid)
					}
					continue
				}
				if ok && o != sum {
					changed++
					// Hooks carry the checksum of dbt_project.yml and generic
					// tests that of their YAML file, but dbt compares their
					// raw_code (hooks) or only config and fqn (generic tests).
					if rt := resourceTypeOf(g.ix, g.posOrMinus(uid)); rt == "operation" || rt == "test" && !mod.Set[uid] {
						exempt++
						continue
					}
					if !mod.Set[uid] {
						t.Errorf("%s changed checksum but is not state:modified", uid)
					}
				}
			}
			unexplained := 0
			reasons := map[string]int{}
			for _, n := range mod.Nodes {
				if len(n.Why) == 0 {
					unexplained++
					t.Errorf("%s is state:modified with no reason", n.UniqueID)
				}
				for _, w := range n.Why {
					if !strings.HasPrefix(w, "state:modified") {
						unexplained++
						t.Errorf("%s: unexpected reason %q", n.UniqueID, w)
					}
					reasons[w]++
				}
			}
			keys := make([]string, 0, len(reasons))
			for k := range reasons {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var parts []string
			for _, k := range keys {
				parts = append(parts, k+"="+itoa(reasons[k]))
			}
			t.Logf("members=%d checksum-changed=%d (hooks/generic tests not modified: %d) new-nodes=%d | state:modified=%d state:new=%d unexplained=%d | %s",
				g.Len(), changed, exempt, added, len(mod.Nodes), len(nw.Nodes), unexplained, strings.Join(parts, " "))
		})
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// posOrMinus is uid's member position (the test knows it is one).
func (g *Graph) posOrMinus(uid string) int32 {
	p, _ := g.ix.posOf(uid)
	return p
}
