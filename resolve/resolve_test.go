package resolve

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
)

func openPair(t testing.TB, dir string) *Project {
	dev, err := os.ReadFile(filepath.Join(dir, "dev", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.ReadFile(filepath.Join(dir, "prod", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Open(Inputs{Manifest: dev, ManifestName: dir + "/dev/manifest.json", State: st, StateName: dir + "/prod/manifest.json"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRealPairs: on every real dev/prod pair, with favor-state and nothing
// selected every ref of every dev model renders production's relation for
// that node, as dbt recorded it in the prod manifest's relation_name; with
// defer off, the dev manifest's relation_name.
func TestRealPairs(t *testing.T) {
	pairs := corpus.Pairs()
	if len(pairs) < 2 {
		t.Fatalf("expected the curated defer pairs, found %v", pairs)
	}
	for _, dir := range pairs {
		p := openPair(t, dir)
		checked := 0
		for _, uid := range p.Dev.Keys("nodes") {
			n, err := p.Dev.Node(uid)
			if err != nil {
				t.Fatal(err)
			}
			if n.ResourceType != "model" {
				continue
			}
			for _, r := range n.Refs {
				spec := RefSpec{Kind: "ref", Name: r.Name, Package: r.Package, Version: r.Version}
				fav, _, err := p.Resolve(uid, []RefSpec{spec}, Options{Defer: deferral.FavorState, Select: []string{}})
				if err != nil {
					t.Errorf("%s: %s ref %v: %v", dir, uid, spec, err)
					continue
				}
				off, _, err := p.Resolve(uid, []RefSpec{spec}, Options{Defer: deferral.Off})
				if err != nil {
					t.Fatal(err)
				}
				target, _ := p.Dev.Node(fav[0].UniqueID)
				var sn *manifest.Node
				if p.State.Has("nodes", target.UniqueID) {
					sn, _ = p.State.Node(target.UniqueID)
				}
				switch {
				case target.IsEphemeral():
					if fav[0].Env != deferral.Ephemeral {
						t.Errorf("%s: %s -> %s should be a CTE, got %+v", dir, uid, target.UniqueID, fav[0])
					}
				case sn == nil || sn.IsEphemeral():
					if fav[0].Env != deferral.Dev {
						t.Errorf("%s: %s -> %s has no prod counterpart, got %+v", dir, uid, target.UniqueID, fav[0])
					}
				default:
					if fav[0].Env != deferral.State || !sn.HasRelationName || fav[0].Relation != sn.RelationName {
						t.Errorf("%s: %s -> %s favor-state: got %q (%s), prod relation_name %q", dir, uid, target.UniqueID, fav[0].Relation, fav[0].Rule, sn.RelationName)
					}
					checked++
				}
				if !target.IsEphemeral() && (off[0].Env != deferral.Dev || off[0].Relation != target.RelationName) {
					t.Errorf("%s: %s -> %s off: got %q, dev relation_name %q", dir, uid, target.UniqueID, off[0].Relation, target.RelationName)
				}
			}
		}
		if checked == 0 {
			t.Errorf("%s: no deferred ref checked", dir)
		}
		t.Logf("%s: %d refs resolved to prod's relation_name", filepath.Base(dir), checked)
	}
}

// TestStateFromDeferredRun: a state whose refable nodes are marked
// "deferred": true (an artifact of a deferred run) gets a warning; one with
// only "deferred": false does not.
func TestStateFromDeferredRun(t *testing.T) {
	dir := filepath.Join(corpus.Curated(), "defer-jaffle-shop-postgres")
	dev, _ := os.ReadFile(filepath.Join(dir, "dev", "manifest.json"))
	st, err := os.ReadFile(filepath.Join(dir, "prod", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	warned := func(state []byte) bool {
		p, err := Open(Inputs{Manifest: dev, State: state})
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range p.Warnings {
			if w.Code == "state.from_deferred_run" {
				return true
			}
		}
		return false
	}
	if warned(st) {
		t.Error("a plain prod manifest warned")
	}
	marked := bytes.Replace(st, []byte(`"deferred": false`), []byte(`"deferred" :  true`), 1)
	if bytes.Equal(marked, st) || !warned(marked) {
		t.Error("a state with a deferred node did not warn")
	}
}
