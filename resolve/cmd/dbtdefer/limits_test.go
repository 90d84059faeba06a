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

// TestMaxManifestBytesFlag: --max-manifest-bytes refuses a dev manifest or a
// state over the limit, in every command that reads manifests, with
// manifest.too_large naming the file and exit code 2; under the limit (and
// with 0, the default) the same call succeeds.
func TestMaxManifestBytesFlag(t *testing.T) {
	shop := filepath.Join(corpus.Root(), "resolve", "testdata", "scenarios", "shop")
	dev := filepath.Join(shop, "dev", "manifest.json")
	st := filepath.Join(shop, "state", "manifest.json")
	info, err := os.Stat(dev)
	if err != nil {
		t.Fatal(err)
	}
	big := info.Size() // dev and state are about the same size
	cases := [][]string{
		{"resolve", "--manifest", dev, "--state", st, "--defer", "standard", "--from", "fct_orders", "stg_customers"},
		{"compile", "--manifest", dev, "--state", st, "fct_orders"},
		{"select", "--manifest", dev, "--state", st, "+fct_orders"},
		{"info", dev},
	}
	for _, args := range cases {
		for _, limit := range []int64{100, big / 2, 0, big * 2} {
			full := append([]string{args[0], "--json", "--max-manifest-bytes", itoa(limit)}, args[1:]...)
			var out, errb bytes.Buffer
			code := run(full, &out, &errb)
			if limit == 0 || limit > big*3/2 {
				if code != 0 {
					t.Errorf("%v: exit %d: %s", full, code, errb.String())
				}
				continue
			}
			var e struct {
				Code, Message string
				Location      struct{ File string }
			}
			if code != 2 || json.Unmarshal(errb.Bytes(), &e) != nil || e.Code != "manifest.too_large" ||
				e.Location.File != dev || !strings.Contains(e.Message, "over the limit of "+itoa(limit)+" bytes") {
				t.Errorf("%v: exit %d, stderr %s", full, code, errb.String())
			}
		}
	}
}

// TestHostileInputsNoPanic: truncated, empty, deeply nested and non-JSON
// manifests are bad input (exit 2, a JSON error), never a Go panic trace.
func TestHostileInputsNoPanic(t *testing.T) {
	shop := filepath.Join(corpus.Root(), "resolve", "testdata", "scenarios", "shop")
	good, err := os.ReadFile(filepath.Join(shop, "dev", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	inputs := map[string][]byte{
		"empty":     nil,
		"truncated": good[:len(good)/3],
		"deep":      []byte(`{"nodes": {"model.a.b": ` + strings.Repeat("[", 1<<20) + `}}`),
		"array":     []byte(`[1, 2, 3]`),
		"binary":    {0xff, 0xfe, 0, 1, 2},
	}
	for name, data := range inputs {
		p := filepath.Join(tmp, name+".json")
		os.WriteFile(p, data, 0o644)
		for _, args := range [][]string{
			{"resolve", "--json", "--manifest", p, "--from", "x", "y"},
			{"resolve", "--json", "--manifest", filepath.Join(shop, "dev", "manifest.json"), "--state", p, "--from", "fct_orders", "stg_customers"},
			{"info", "--json", p},
		} {
			var out, errb bytes.Buffer
			code := run(args, &out, &errb)
			var e struct{ Code string }
			if code != 2 || json.Unmarshal(errb.Bytes(), &e) != nil || !strings.HasPrefix(e.Code, "manifest.") {
				t.Errorf("%s: %v: exit %d, stderr %.300s", name, args[:2], code, errb.String())
			}
			if strings.Contains(errb.String(), "goroutine ") || strings.Contains(errb.String(), "panic") {
				t.Errorf("%s: a panic trace: %.300s", name, errb.String())
			}
		}
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
