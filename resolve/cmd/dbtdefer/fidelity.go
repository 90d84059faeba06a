package main

import (
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/dbtdefer/dbtdefer/resolve"
)

func init() {
	register(&command{name: "fidelity", summary: "re-render every compiled node of the manifests under PATH... and compare with dbt's compiled code", run: runFidelity})
}

// FidelityOf measures one manifest file.
func fidelityOf(path, packagesDir string) (*resolve.FidelityReport, error) {
	f, err := resolve.ReadFidelityFiles(path, packagesDir)
	if err != nil {
		return nil, err
	}
	p, err := f.Open()
	if err != nil {
		return nil, err
	}
	return p.Fidelity(f.Request), nil
}

func findManifests(paths []string) ([]string, error) {
	var out []string
	for _, root := range paths {
		st, err := os.Stat(root)
		if err != nil {
			return nil, usagef("cannot read %s: %v", root, err)
		}
		if !st.IsDir() {
			out = append(out, root)
			continue
		}
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && d.Name() == "manifest.json" {
				out = append(out, p)
			}
			return nil
		})
	}
	sort.Strings(out)
	return out, nil
}

func pct(n, m int) string {
	if m == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(m))
}

func runFidelity(fs *flag.FlagSet, args []string, out io.Writer) error {
	verbose := fs.Bool("v", false, "list every mismatching node")
	examples := fs.Int("examples", 2, "examples printed per mismatch cause")
	packages := fs.String("packages", "", "a tree mirroring the walked PATHs whose folders hold each manifest's installed packages (<pkg>/dbt_project.yml), for corpora that do not ship dbt_packages, and any restate.yml (the --vars and project edits of the job that wrote the manifest)")
	paths, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usagef("fidelity needs at least one PATH (a manifest.json or a directory to walk)")
	}
	asJSON := fs.Lookup("json").Value.String() == "true"
	files, err := findManifests(paths)
	if err != nil {
		return err
	}
	pkgDirs := make([]string, len(files))
	if *packages != "" {
		for i, f := range files {
			pkgDirs[i] = mirrorDir(*packages, paths, filepath.Dir(f))
		}
	}
	reps := make([]*resolve.FidelityReport, len(files))
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, f := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			defer func() {
				if r := recover(); r != nil {
					errs[i] = fmt.Errorf("panic: %v", r)
				}
			}()
			reps[i], errs[i] = fidelityOf(f, pkgDirs[i])
		}()
	}
	wg.Wait()
	var tot, ex, st, se, inc int
	type cause struct {
		n    int
		exs  []string
		self int
	}
	causes := map[string]*cause{}
	for i, f := range files {
		if errs[i] != nil {
			if !asJSON {
				fmt.Fprintf(out, "%s: skipped: %v\n", f, firstLineOf(errs[i].Error()))
			}
			continue
		}
		r := reps[i]
		if r.Total == 0 {
			if r.Skipped > 0 && !asJSON {
				fmt.Fprintf(out, "%s: %d compiled nodes without raw code (Fusion placeholder), skipped\n", f, r.Skipped)
			}
			continue
		}
		tot += r.Total
		ex += r.Exact
		st += r.SelfTotal
		se += r.SelfExact
		inc += r.ExactIncremental
		if asJSON {
			jsonOut(out, r)
			continue
		}
		fmt.Fprintf(out, "%s: %d/%d exact (%s); self-contained %d/%d\n", f, r.Exact, r.Total, pct(r.Exact, r.Total), r.SelfExact, r.SelfTotal)
		for _, m := range r.Mismatches {
			c := causes[m.Cause]
			if c == nil {
				c = &cause{}
				causes[m.Cause] = c
			}
			c.n++
			if m.SelfContained {
				c.self++
			}
			if len(c.exs) < *examples {
				c.exs = append(c.exs, m.UniqueID+" ("+filepath.Base(filepath.Dir(f))+"): "+m.Detail)
			}
			if *verbose {
				fmt.Fprintf(out, "  %s [%s] %s\n", m.UniqueID, m.Cause, m.Detail)
			}
		}
	}
	if !asJSON {
		names := make([]string, 0, len(causes))
		for k := range causes {
			names = append(names, k)
		}
		sort.Slice(names, func(i, j int) bool {
			return causes[names[i]].n > causes[names[j]].n || causes[names[i]].n == causes[names[j]].n && names[i] < names[j]
		})
		if len(names) > 0 {
			fmt.Fprintln(out, "mismatches by cause:")
		}
		for _, k := range names {
			c := causes[k]
			fmt.Fprintf(out, "  %5d  %s (self-contained: %d)\n", c.n, k, c.self)
			for _, e := range c.exs {
				fmt.Fprintf(out, "           e.g. %s\n", strings.TrimSpace(e))
			}
		}
		if inc > 0 {
			fmt.Fprintf(out, "exact only with is_incremental() true: %d\n", inc)
		}
	}
	fmt.Fprintf(out, "self-contained: %d/%d exact (%s)\n", se, st, pct(se, st))
	fmt.Fprintf(out, "fidelity: %d/%d exact (%s)\n", ex, tot, pct(ex, tot))
	return nil
}

func firstLineOf(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// mirrorDir is dir's place under root when dir lies under one of the walked
// paths: root/<the path's name>/<dir relative to the path> (so walking
// corpus/x with the tree of corpus finds tree/x), or root/<relative dir>; "" when root has
// no such folder.
func mirrorDir(root string, paths []string, dir string) string {
	for _, p := range paths {
		rel, err := filepath.Rel(p, dir)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			continue
		}
		for _, d := range []string{filepath.Join(root, filepath.Base(filepath.Clean(p)), rel), filepath.Join(root, rel)} {
			if st, err := os.Stat(d); err == nil && st.IsDir() {
				return d
			}
		}
	}
	return ""
}
