package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
)

// TestScenarios runs the spec §8 scenarios in resolve/testdata/scenarios: each
// file holds the flags of a `dbtdefer resolve` call over the "shop" fixture
// (optionally JSON-merge-patched), and the expected outcome, written from the
// spec's reading of dbt — not from our own output.
func TestScenarios(t *testing.T) {
	dir := filepath.Join(corpus.Root(), "resolve", "testdata", "scenarios")
	files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	if len(files) < 40 {
		t.Fatalf("found %d scenarios", len(files))
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			sec := readSections(t, f)
			tmp := t.TempDir()
			args := []string{"resolve", "--json", "--manifest", writePatched(t, tmp, "dev.json", filepath.Join(dir, "shop", "dev", "manifest.json"), sec["dev.patch.json"])}
			words := shellWords(sec["args"])
			noState := false
			for i, w := range words {
				if w == "--no-state" {
					noState = true
					words = append(words[:i], words[i+1:]...)
					break
				}
			}
			stateFlag := "--state"
			for i, w := range words {
				if w == "--defer-state-from-state" { // the state goes to --defer-state instead
					stateFlag, noState = "--defer-state", false
					words = append(words[:i], words[i+1:]...)
					break
				}
			}
			if !noState {
				args = append(args, stateFlag, writePatched(t, tmp, "state.json", filepath.Join(dir, "shop", "state", "manifest.json"), sec["state.patch.json"]))
			}
			if c, ok := sec["catalog.json"]; ok {
				p := filepath.Join(tmp, "catalog.json")
				os.WriteFile(p, []byte(c), 0o644)
				args = append(args, "--catalog", p)
			}
			// The fixture's state is years old: its age is not what a scenario tests.
			args = append(args, "--stale-after", "0")
			args = append(args, words...)
			var out, errb bytes.Buffer
			code := run(args, &out, &errb)
			got := summarize(t, out.String(), errb.String(), code)
			want := strings.TrimSpace(sec["want"])
			if got != want {
				t.Errorf("dbtdefer %s\n got:\n%s\nwant:\n%s", strings.Join(args, " "), got, want)
			}
		})
	}
}

// summarize turns the CLI's JSON lines into the scenario's one-line-per-ref form.
func summarize(t *testing.T, stdout, stderr string, code int) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if l == "" {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("bad JSON line %q: %v", l, err)
		}
		if w, ok := r["warning"].(map[string]any); ok {
			lines = append(lines, fmt.Sprintf("warning %s", w["code"]))
			continue
		}
		s := fmt.Sprintf("%s -> %s %s %s %s", r["ref"], r["uniqueId"], r["relation"], r["env"], r["rule"])
		if r["assumption"] == true {
			s += " assumption"
		}
		lines = append(lines, s)
	}
	if code != 0 {
		var e struct{ Code, Message string }
		if err := json.Unmarshal([]byte(strings.TrimSpace(stderr)), &e); err != nil {
			t.Fatalf("exit %d with non-JSON stderr %q", code, stderr)
		}
		if code != 2 {
			t.Errorf("exit code %d for %s, want 2 (bad input)", code, e.Code)
		}
		lines = append(lines, fmt.Sprintf("error %s: %s", e.Code, e.Message))
	}
	return strings.Join(lines, "\n")
}

func readSections(t *testing.T, path string) map[string]string {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sec := map[string]string{}
	cur := ""
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if strings.HasPrefix(line, "-- ") && strings.HasSuffix(strings.TrimSpace(line), " --") {
			cur = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(line), "-- "), " --")
			sec[cur] = ""
			continue
		}
		if cur != "" {
			sec[cur] += line
		}
	}
	return sec
}

// writePatched applies a JSON merge patch (RFC 7386) to the base manifest.
func writePatched(t *testing.T, dir, name, base, patch string) string {
	data, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(patch) != "" {
		var doc, p any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(patch), &p); err != nil {
			t.Fatalf("bad patch in %s: %v", name, err)
		}
		data, _ = json.Marshal(mergePatch(doc, p))
	}
	out := filepath.Join(dir, name)
	os.WriteFile(out, data, 0o644)
	return out
}

func mergePatch(doc, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	dm, ok := doc.(map[string]any)
	if !ok {
		dm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(dm, k)
		} else {
			dm[k] = mergePatch(dm[k], v)
		}
	}
	return dm
}

// shellWords splits on spaces, honouring single quotes.
func shellWords(s string) []string {
	var out []string
	var cur strings.Builder
	inQ, has := false, false
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r == '\'':
			inQ, has = !inQ, true
		case (r == ' ' || r == '\n') && !inQ:
			if has {
				out = append(out, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteRune(r)
			has = true
		}
	}
	if has {
		out = append(out, cur.String())
	}
	return out
}
