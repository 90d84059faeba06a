package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
)

// TestCompileScenarios runs the spec §8.3 and §8.8 compile scenarios in
// resolve/testdata/compile-scenarios over the "shop" fixture: each file
// holds `dbtdefer compile` flags, merge patches for the manifests, an
// optional SQL buffer and dbt_project.yml, and the exact compiled SQL the
// spec derives from dbt (the want section minus its final newline).
func TestCompileScenarios(t *testing.T) {
	root := filepath.Join(corpus.Root(), "resolve", "testdata")
	files, _ := filepath.Glob(filepath.Join(root, "compile-scenarios", "*.txt"))
	if len(files) < 20 {
		t.Fatalf("found %d compile scenarios", len(files))
	}
	shop := filepath.Join(root, "scenarios", "shop")
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			sec := readSections(t, f)
			tmp := t.TempDir()
			args := []string{"compile", "--json",
				"--manifest", writePatched(t, tmp, "dev.json", filepath.Join(shop, "dev", "manifest.json"), sec["dev.patch.json"]),
				"--state", writePatched(t, tmp, "state.json", filepath.Join(shop, "state", "manifest.json"), sec["state.patch.json"])}
			for _, w := range shellWords(sec["args"]) {
				switch w {
				case "SQL":
					p := filepath.Join(tmp, "buffer.sql")
					os.WriteFile(p, []byte(strings.TrimSuffix(sec["sql"], "\n")), 0o644)
					w = p
				case "PROJECT":
					p := filepath.Join(tmp, "dbt_project.yml")
					os.WriteFile(p, []byte(sec["project"]), 0o644)
					w = p
				}
				args = append(args, w)
			}
			var out, errb bytes.Buffer
			if code := run(args, &out, &errb); code != 0 {
				t.Fatalf("dbtdefer %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
			}
			var res struct {
				SQL string `json:"sql"`
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
				t.Fatalf("bad JSON %q: %v", out.String(), err)
			}
			want := strings.TrimSuffix(sec["want"], "\n")
			if res.SQL != want {
				t.Errorf("dbtdefer %s\n got: %q\nwant: %q", strings.Join(args, " "), res.SQL, want)
			}
		})
	}
}
