// Package corpus finds the real dbt artifacts tests run against: the curated
// copies in resolve/testdata/manifests (always present) and, when it sits
// beside the repository, the wider ../shared/corpus (or $DBTDEFER_CORPUS).
package corpus

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// Root returns the repository root (the directory holding go.mod).
func Root() string {
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Curated is the directory of manifests committed in the repository.
func Curated() string { return filepath.Join(Root(), "resolve", "testdata", "manifests") }

// Shared is the shared corpus directory, or "" when it is absent.
func Shared() string {
	dir := os.Getenv("DBTDEFER_CORPUS")
	if dir == "" {
		dir = filepath.Join(Root(), "..", "shared", "corpus")
	}
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return dir
	}
	return ""
}

// Dirs returns the corpus roots to walk: the curated set, then the shared one.
func Dirs() []string {
	out := []string{Curated()}
	if s := Shared(); s != "" {
		out = append(out, s)
	}
	return out
}

// Manifests lists every manifest.json under the corpus roots, sorted.
func Manifests() []string {
	var out []string
	for _, root := range Dirs() {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && d.Name() == "manifest.json" {
				out = append(out, p)
			}
			return nil
		})
	}
	sort.Strings(out)
	return out
}

// Pairs lists defer pair directories (with dev/ and prod/ manifests).
func Pairs() []string {
	var out []string
	for _, root := range Dirs() {
		entries, _ := os.ReadDir(root)
		for _, e := range entries {
			d := filepath.Join(root, e.Name())
			if exists(filepath.Join(d, "dev", "manifest.json")) && exists(filepath.Join(d, "prod", "manifest.json")) {
				out = append(out, d)
			}
		}
	}
	return out
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }
