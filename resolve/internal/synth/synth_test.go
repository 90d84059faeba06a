package synth

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
)

func TestGenerateIsValidAndConsistent(t *testing.T) {
	base, err := os.ReadFile(filepath.Join(corpus.Curated(), "defer-jaffle-shop-postgres", "dev", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Generate(base, Options{TargetBytes: 3 << 20})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Generate(base, Options{TargetBytes: 3 << 20})
	if string(out) != string(again) {
		t.Fatal("generator is not deterministic")
	}
	if len(out) < 3<<20 {
		t.Fatalf("generated %d bytes, want at least %d", len(out), 3<<20)
	}
	m, err := manifest.Open("synth.json", out)
	if err != nil {
		t.Fatal(err)
	}
	// every ref of every model resolves in the generated project.
	for _, uid := range m.Keys("nodes") {
		n, err := m.Node(uid)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range n.Refs {
			l := m.LookupRef(manifest.LookupQuery{Name: r.Name, Root: "jaffle_shop", CallerPackage: n.PackageName})
			if l.Status != manifest.Found {
				t.Fatalf("%s: ref %q does not resolve (%v)", uid, r.Name, l.Status)
			}
		}
	}
}
