package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
	"github.com/dbtdefer/dbtdefer/resolve/internal/synth"
)

// independentCounts counts resource types with encoding/json, the way a test
// can trust without trusting our scanner.
func independentCounts(t *testing.T, data []byte) map[string]int {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	c := map[string]int{}
	for _, sec := range []string{"nodes", "sources", "exposures", "metrics", "semantic_models", "saved_queries", "unit_tests", "functions"} {
		var entries map[string]struct {
			ResourceType string `json:"resource_type"`
		}
		if raw, ok := m[sec]; ok {
			json.Unmarshal(raw, &entries)
		}
		for uid, e := range entries {
			rt := e.ResourceType
			if rt == "" { // some sections omit resource_type in old schemas
				rt = strings.SplitN(uid, ".", 2)[0]
			}
			if rt == "rpc" || rt == "sql" {
				rt = strings.SplitN(uid, ".", 2)[0]
			}
			c[rt]++
		}
	}
	var macros map[string]json.RawMessage
	json.Unmarshal(m["macros"], &macros)
	if len(macros) > 0 {
		c["macro"] = len(macros)
	}
	switch d := m["disabled"]; {
	case len(d) > 0 && d[0] == '{':
		var dis map[string]json.RawMessage
		json.Unmarshal(d, &dis)
		if len(dis) > 0 {
			c["disabled"] = len(dis)
		}
	case len(d) > 0 && d[0] == '[':
		var dis []struct {
			UID string `json:"unique_id"`
		}
		json.Unmarshal(d, &dis)
		seen := map[string]bool{}
		for _, x := range dis {
			seen[x.UID] = true
		}
		if len(seen) > 0 {
			c["disabled"] = len(seen)
		}
	}
	return c
}

func TestCorpusOpensAndCountsMatch(t *testing.T) {
	paths := corpus.Manifests()
	if len(paths) < 5 {
		t.Fatalf("expected curated manifests, found %d", len(paths))
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Open(p, data)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		got, want := m.Counts(), independentCounts(t, data)
		// legacy manifests keep sources among nodes; both readers count them as "source".
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: count of %s = %d, encoding/json says %d", p, k, got[k], v)
			}
		}
		for k, v := range got {
			if want[k] != v {
				t.Errorf("%s: count of %s = %d, encoding/json says %d", p, k, v, want[k])
			}
		}
		// every entry decodes, and refable unique_ids agree with the decoded name.
		for _, sec := range []string{"nodes", "sources", "macros"} {
			for _, uid := range m.Keys(sec) {
				n, err := m.Node(uid)
				if err != nil {
					t.Errorf("%s: %v", p, err)
					continue
				}
				if n.IsRefable() && !n.HasVersion {
					_, _, rest, _ := splitUID(uid)
					if rest != n.Name {
						t.Errorf("%s: %s has name %q", p, uid, n.Name)
					}
				}
			}
		}
		if m.Meta.SchemaVersion > 0 && m.Meta.ProjectName == "" {
			t.Errorf("%s: no project name recovered (project_id %s)", p, m.Meta.ProjectID)
		}
	}
	t.Logf("opened %d manifests", len(paths))
}

func TestBadInput(t *testing.T) {
	good, err := os.ReadFile(filepath.Join(corpus.Curated(), "defer-jaffle-shop-postgres", "dev", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	catalog, _ := os.ReadFile(filepath.Join(corpus.Curated(), "defer-mrkidbk-duckdb", "dev", "catalog.json"))
	runResults, _ := os.ReadFile(filepath.Join(corpus.Curated(), "defer-mrkidbk-duckdb", "dev", "run_results.json"))
	future := strings.Replace(string(good), "manifest/v11.json", "manifest/v13.json", 1)
	cases := []struct {
		name, input, code string
		offset            int // -1: don't check
	}{
		{"empty", "", CodeEmpty, 0},
		{"whitespace", "  \n ", CodeEmpty, 0},
		{"not json", "hello", CodeNotJSON, 0},
		{"array", "[1,2]", CodeNotJSON, 0},
		{"truncated", string(good[:len(good)/2]), CodeTruncated, -1},
		{"truncated in key", `{"nodes": {"model.a.b`, CodeTruncated, -1},
		{"garbage after", `{"nodes": {}} x`, CodeSyntax, 14},
		{"missing colon", `{"nodes" {}}`, CodeSyntax, 9},
		{"mismatched", `{"nodes": {"a": [1}}`, CodeSyntax, 18},
		{"catalog", string(catalog), CodeWrongKind, -1},
		{"run results", string(runResults), CodeWrongKind, -1},
		{"no nodes", `{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"}, "macros": {}}`, CodeNoNodes, 0},
		{"bad entry later", `{"nodes": {"model.a.b": {"name": tru}}}`, "", -1},
	}
	for _, c := range cases {
		m, err := Open("in.json", []byte(c.input))
		if c.code == "" {
			if err != nil {
				t.Errorf("%s: open failed: %v", c.name, err)
				continue
			}
			if _, err := m.Node("model.a.b"); err == nil || !strings.Contains(err.Error(), "model.a.b") {
				t.Errorf("%s: decode error should name the entry, got %v", c.name, err)
			}
			continue
		}
		var de *diag.Error
		if !errors.As(err, &de) {
			t.Errorf("%s: want a diag.Error %s, got %v", c.name, c.code, err)
			continue
		}
		if de.Code != c.code {
			t.Errorf("%s: code %s, want %s (%v)", c.name, de.Code, c.code, err)
		}
		if c.offset >= 0 && de.Location.Offset != c.offset {
			t.Errorf("%s: offset %d, want %d (%v)", c.name, de.Location.Offset, c.offset, err)
		}
		if de.Location.File != "in.json" {
			t.Errorf("%s: error does not name the file: %v", c.name, err)
		}
	}
	m, err := Open("future.json", []byte(future))
	if err != nil {
		t.Fatalf("future schema should open: %v", err)
	}
	if len(m.Warnings) == 0 || m.Warnings[0].Code != CodeFutureSchema {
		t.Errorf("future schema should warn, got %v", m.Warnings)
	}
}

func TestTruncatedEverywhereNeverPanics(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(corpus.Curated(), "aparser-v5-jaffle", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	step := len(data) / 997
	for cut := 0; cut < len(data); cut += step {
		if _, err := Open("t.json", data[:cut]); err == nil {
			t.Fatalf("truncated at %d opened without error", cut)
		}
	}
}

// TestCorpusTruncatedNeverPanics cuts every corpus manifest (the curated set,
// and ../shared/corpus when present, except under GOOS=js) at many points: evenly spaced cuts with
// an odd stride (so they land inside strings, numbers, keys and between
// entries), and the last bytes before the closing brace. Each must be an
// error with a manifest code and an offset inside the input, never a panic
// and never a manifest.
func TestCorpusTruncatedNeverPanics(t *testing.T) {
	paths := corpus.Manifests()
	if runtime.GOOS == "js" {
		// Node runs this several times slower: the curated set only (the
		// native run covers the whole corpus).
		var curated []string
		for _, p := range paths {
			if strings.HasPrefix(p, corpus.Curated()+string(filepath.Separator)) {
				curated = append(curated, p)
			}
		}
		paths = curated
	}
	if len(paths) == 0 {
		t.Fatal("no corpus manifests")
	}
	cuts := 0
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		end := len(bytes.TrimRight(data, " \t\r\n"))
		// About 8 MB scanned per manifest, between 8 and 48 cuts.
		n := min(max((8<<20)/max(end, 1), 8), 48)
		var at []int
		for i := 0; i < n; i++ {
			at = append(at, int(int64(end)*int64(2*i+1)/int64(2*n)))
		}
		for k := 1; k <= 3 && k <= end; k++ {
			at = append(at, end-k)
		}
		at = append(at, 0, 1)
		for _, cut := range at {
			cuts++
			m, err := Open("t.json", data[:cut])
			if err == nil {
				t.Fatalf("%s truncated at %d of %d opened without error (%d nodes)", p, cut, len(data), len(m.Keys("nodes")))
			}
			var de *diag.Error
			if !errors.As(err, &de) || !strings.HasPrefix(de.Code, "manifest.") || de.Location.Offset > cut {
				t.Fatalf("%s truncated at %d: want a manifest.* error at an offset ≤ %d, got %#v", p, cut, cut, err)
			}
		}
	}
	t.Logf("%d manifests, %d truncations", len(paths), cuts)
}

func FuzzOpen(f *testing.F) {
	// Seeds: a miniature of every corpus manifest (its metadata and a few
	// small entries of each kind, bytes verbatim: every schema version and
	// adapter we have). Whole manifests (150 KB and up) would make each
	// mutation and minimization slow; the tests above open them whole.
	for _, s := range corpus.Samples() {
		f.Add(s.Mini)
	}
	f.Add([]byte(`{"nodes":{"model.a.b":{"name":"b","refs":[["x"]]}},"disabled":[{"unique_id":"model.a.c"}]}`))
	f.Add([]byte(`{"metadata":{"dbt_schema_version":"x/manifest/v12.json"},"nodes":{"model.a.b.v1":{"name":"b","version":1,"latest_version":1}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Open("fuzz.json", data)
		if err != nil {
			return
		}
		for _, uid := range m.Keys("nodes") {
			m.Node(uid)
		}
		m.LookupRef(LookupQuery{Name: "b", Root: "a", CallerPackage: "a"})
		m.Counts()
	})
}

// TestCorpusMiniaturesOpen checks the fuzz seeds themselves: the miniature
// of every corpus manifest opens and its entries decode.
func TestCorpusMiniaturesOpen(t *testing.T) {
	for _, s := range corpus.Samples() {
		m, err := Open("mini.json", s.Mini)
		if err != nil {
			t.Errorf("%s: miniature does not open: %v", s.Path, err)
			continue
		}
		for _, uid := range m.Keys("nodes") {
			if _, err := m.Node(uid); err != nil {
				t.Errorf("%s: %s: %v", s.Path, uid, err)
			}
		}
	}
}

func TestLimits(t *testing.T) {
	// A maximum manifest size, with a clear error.
	_, err := OpenWith("big.json", []byte(`{"nodes": {}}`), Options{MaxBytes: 5})
	var de *diag.Error
	if !errors.As(err, &de) || de.Code != CodeTooLarge {
		t.Fatalf("max size: got %v", err)
	}
	// Nesting deeper than the scanner's bound fails with an offset, not a stack overflow.
	deep := `{"nodes": {"model.a.b": ` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}}`
	_, err = Open("deep.json", []byte(deep))
	if !errors.As(err, &de) || !strings.Contains(de.Message, "nested too deeply") || de.Location.Offset == 0 {
		t.Fatalf("deep nesting: got %v", err)
	}
	// Nesting the scanner accepts but fastjson refuses is reported when the entry is decoded.
	mid := `{"nodes": {"model.a.b": {"config": ` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}}}`
	m, err := Open("mid.json", []byte(mid))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Node("model.a.b"); err == nil || !strings.Contains(err.Error(), "model.a.b") {
		t.Fatalf("deep entry: got %v", err)
	}
}

// TestHeadMatchesNode: for every entry of every corpus manifest, Head gives
// what Node gives, but for the members Head skips (and HeadOnly).
func TestHeadMatchesNode(t *testing.T) {
	paths := corpus.Manifests()
	if runtime.GOOS == "js" {
		paths = curatedOnly(paths)
	}
	entries := 0
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		full, err := Open(p, data)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		heads, _ := Open(p, data) // a second manifest: Head must not find full nodes cached
		warm, _ := Open(p, data)  // a third, warmed in slices: Head returns the kept heads
		for left, last := warm.Warm(7), -1; left > 0; left = warm.Warm(7) {
			if left == last {
				t.Fatalf("%s: Warm made no progress (%d left)", p, left)
			}
			last = left
		}
		for _, sec := range []string{"nodes", "sources"} {
			for _, uid := range full.Keys(sec) {
				n, err := full.Node(uid)
				if err != nil {
					t.Errorf("%s: %v", p, err)
					continue
				}
				h, err := heads.Head(uid)
				if err != nil {
					t.Errorf("%s: Head(%s): %v", p, uid, err)
					continue
				}
				if !h.HeadOnly {
					t.Fatalf("%s: Head(%s) is not HeadOnly", p, uid)
				}
				want := *n
				want.RawCode, want.CompiledCode, want.HasCompiled, want.Description, want.MacroSQL = "", "", false, "", ""
				want.Tags, want.FQN, want.Refs, want.SourceRefs, want.DependsOnNodes, want.DependsOnMacros, want.ExtraCTEs = nil, nil, nil, nil, nil, nil, nil
				want.ChecksumName, want.Checksum = "", ""
				want.HeadOnly = true
				wj, _ := json.Marshal(want)
				hj, _ := json.Marshal(*h)
				if !bytes.Equal(wj, hj) {
					t.Errorf("%s: %s: Head differs from Node\n head %s\n node %s", p, uid, hj, wj)
				}
				if sec == "nodes" && isRefableID(uid) && warm.warmed(uid) == nil && err == nil {
					t.Errorf("%s: %s: not warmed", p, uid)
				}
				if w, err := warm.Head(uid); err != nil {
					t.Errorf("%s: warmed Head(%s): %v", p, uid, err)
				} else if wwj, _ := json.Marshal(*w); !bytes.Equal(wwj, hj) {
					t.Errorf("%s: %s: warmed Head differs\n warmed %s\n head   %s", p, uid, wwj, hj)
				}
				entries++
			}
		}
		// Once the full node is cached, Head returns it.
		if ids := full.Keys("nodes"); len(ids) > 0 {
			if h, _ := full.Head(ids[0]); h == nil || h.HeadOnly {
				t.Errorf("%s: Head(%s) after Node did not return the full node", p, ids[0])
			}
		}
	}
	if entries == 0 {
		t.Fatal("no entries compared")
	}
	t.Logf("%d entries of %d manifests", entries, len(paths))
}

func curatedOnly(paths []string) []string {
	var out []string
	for _, p := range paths {
		if strings.HasPrefix(p, corpus.Curated()+string(filepath.Separator)) {
			out = append(out, p)
		}
	}
	return out
}

// TestSplitOpenMatchesSequential: OpenWith with a Split at every entry of
// the nodes section (a sample of them), its entries scanned by
// ScanEntries as the helper worker does, indexes exactly what a sequential
// open does; a split inside an entry, or a Wait answering nil, changes
// nothing; entries that do not fit are refused.
func TestSplitOpenMatchesSequential(t *testing.T) {
	for _, p := range curatedOnly(corpus.Manifests()) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Open(p, data)
		if err != nil {
			t.Fatal(err)
		}
		sec := want.sections["nodes"]
		if len(sec.keys) < 4 {
			continue
		}
		same := func(what string, got *Manifest) {
			t.Helper()
			for name, ws := range want.sections {
				gs := got.sections[name]
				if gs == nil || !reflect.DeepEqual(ws.keys, gs.keys) || !reflect.DeepEqual(ws.spans, gs.spans) {
					t.Fatalf("%s: %s: section %s differs from a sequential open", p, what, name)
				}
			}
		}
		for _, i := range []int{1, len(sec.keys) / 2, len(sec.keys) - 1} {
			// The key's opening quote: just before the value, past the colon.
			at := bytes.LastIndexByte(data[:sec.spans[i].start], ':')
			at = bytes.LastIndexByte(data[:at], '"')
			at = bytes.LastIndexByte(data[:at], '"')
			waited := false
			got, err := OpenWith(p, data, Options{Split: &Split{At: at, Wait: func() *Entries {
				waited = true
				e, err := ScanEntries(data[at:])
				if err != nil {
					t.Fatalf("%s: ScanEntries at %d: %v", p, at, err)
				}
				return e
			}}})
			if err != nil || !waited || !got.SplitTaken() {
				t.Fatalf("%s: split at entry %d: err %v, waited %v, taken %v", p, i, err, waited, got.SplitTaken())
			}
			same(fmt.Sprintf("split at entry %d", i), got)
			if got.skipped == 0 && len(want.Keys("nodes")) > 0 && bytes.Contains(data[want.sections["nodes"].spans[len(sec.keys)-1].end:], []byte(`"child_map"`)) {
				t.Errorf("%s: split at entry %d: no member after nodes was skipped", p, i)
			}
			// Inside an entry: never reached as a key, so never waited for.
			got, err = OpenWith(p, data, Options{Split: &Split{At: int(sec.spans[i].start) + 1, Wait: func() *Entries { t.Fatal("waited inside an entry"); return nil }}})
			if err != nil {
				t.Fatal(err)
			}
			same("split inside an entry", got)
			// nil: scanned on; entries that do not fit: refused, scanned on.
			for _, e := range []*Entries{nil, {Spans: []int32{0, 0, 5, 3}, End: 9}, {Spans: []int32{1, 0, 2, 3}, End: 1}, {Spans: []int32{0, 3, 4, 5}, Keys: []byte("ab"), End: 9}} {
				got, err = OpenWith(p, data, Options{Split: &Split{At: at, Wait: func() *Entries { return e }}})
				if err != nil {
					t.Fatal(err)
				}
				same(fmt.Sprintf("entries %v", e), got)
				if got.SplitTaken() {
					t.Fatalf("%s: entries %v were taken", p, e)
				}
			}
		}
	}
}

func TestScanEntriesErrors(t *testing.T) {
	for _, c := range []string{`"a": 1, "b": {"x": [1,2]}`, `"a" 1}`, `"a": 1; "b": 2}`, `"a": {"b": 1}`, `"a`} {
		if _, err := ScanEntries([]byte(c)); err == nil {
			t.Errorf("ScanEntries(%q): no error", c)
		}
	}
	e, err := ScanEntries([]byte(`"a": 1 , "b\"c": {"x": "}"} }, "ignored": 3`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []int32{0, 1, 5, 6, 9, 3, 17, 27}; !reflect.DeepEqual(e.Spans, want) || e.End != 28 || string(e.Keys) != `ab"c` {
		t.Errorf("ScanEntries = %v %q end %d, want %v %q end 28", e.Spans, e.Keys, e.End, want, `ab"c`)
	}
	// The members after the object, up to one that does not scan.
	e, err = ScanEntries([]byte(`"a": 1}, "x": [1, "]"], "y": {"z": 2}, "w": tru}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []int32{9, 14, 22, 24, 29, 37}; !reflect.DeepEqual(e.After, want) || e.End != 6 {
		t.Errorf("After = %v (end %d), want %v", e.After, e.End, want)
	}
}

// splitEquivalent fails unless opening data split at at (the other side's
// entries from ScanEntries, as the helper worker scans them) indexes what a
// sequential open does, or fails with the same error.
func splitEquivalent(t *testing.T, what string, data []byte, at int) {
	t.Helper()
	want, werr := Open("m.json", data)
	got, gerr := OpenWith("m.json", data, Options{Split: &Split{At: at, Wait: func() *Entries {
		e, err := ScanEntries(data[at:])
		if err != nil {
			return nil
		}
		return e
	}}})
	if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
		t.Fatalf("%s split at %d: error %v, sequential %v", what, at, gerr, werr)
	}
	if werr != nil {
		return
	}
	if !reflect.DeepEqual(want.Meta, got.Meta) || !reflect.DeepEqual(want.disabled, got.disabled) || len(want.sections) != len(got.sections) {
		t.Fatalf("%s split at %d: metadata, disabled or sections differ", what, at)
	}
	for name, ws := range want.sections {
		gs := got.sections[name]
		if gs == nil || !reflect.DeepEqual(ws.keys, gs.keys) || !reflect.DeepEqual(ws.spans, gs.spans) {
			t.Fatalf("%s split at %d: section %s differs", what, at, name)
		}
		for _, k := range ws.keys {
			if a, b := want.Has(name, k), got.Has(name, k); !a || !b {
				t.Fatalf("%s split at %d: %s not found in %s", what, at, k, name)
			}
		}
	}
}

// TestSplitAnywhere: a split at quotes all through every corpus miniature (a
// key, a value, a string inside an entry: most are not entries at all), and
// through damaged copies of them, indexes as a sequential open does or
// fails with its error.
func TestSplitAnywhere(t *testing.T) {
	n := 0
	for _, s := range corpus.Samples() {
		if runtime.GOOS == "js" && !strings.HasPrefix(s.Path, corpus.Curated()+string(filepath.Separator)) {
			continue // the native run covers the whole corpus
		}
		for _, data := range [][]byte{s.Mini, s.Mini[:len(s.Mini)*2/3], bytes.Replace(s.Mini, []byte(`},`), []byte(`}`), 1)} {
			// Every quote would be 350 000 opens of the whole corpus's
			// miniatures; about 120 spread over each is enough to meet keys,
			// values and strings inside entries, before and after "nodes".
			quotes := bytes.Count(data, []byte(`"`))
			step, q := max(1, quotes/120), 0
			for at := 0; at < len(data); at++ {
				if data[at] == '"' {
					if q%step == 0 {
						splitEquivalent(t, s.Path, data, at)
						n++
					}
					q++
				}
			}
		}
	}
	if n < 1000 {
		t.Fatalf("only %d splits", n)
	}
	t.Logf("%d splits", n)
}

func FuzzSplit(f *testing.F) {
	for _, s := range corpus.Samples() {
		f.Add(s.Mini, uint32(len(s.Mini)/2))
	}
	f.Add([]byte(`{"nodes":{"model.a.b":{"name":"b"},"model.a.c":{"name":"c"}},"child_map":{"x":[]}}`), uint32(34))
	f.Fuzz(func(t *testing.T, data []byte, at uint32) {
		if len(data) == 0 {
			return
		}
		splitEquivalent(t, "fuzz", data, int(at)%len(data))
	})
}

// TestWarmBadEntries: an entry Warm cannot read keeps no record, and Head
// reports it as it would unwarmed; the good entries around it are warmed.
func TestWarmBadEntries(t *testing.T) {
	data := []byte(`{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"}, "nodes": {
"model.p.a": {"name": "a", "resource_type": "model", "alias": "a"},
"model.p.b": {"name": "b" "alias": "b"},
"test.p.t": {"name": "t"},
"seed.p.c": ["not", "an", "object"],
"snapshot.p.d": {"name": "d", "config": {"materialized": "snapshot"}}
}}`)
	for _, warm := range []bool{false, true} {
		m, err := Open("bad.json", data)
		if err != nil {
			t.Fatal(err)
		}
		if warm {
			if left := m.Warm(2); left != 2 {
				t.Errorf("Warm(2) left %d, want 2 (4 refable nodes)", left)
			}
			if left := m.Warm(100); left != 0 {
				t.Errorf("Warm(100) left %d, want 0", left)
			}
			for uid, want := range map[string]bool{"model.p.a": true, "model.p.b": false, "seed.p.c": false, "snapshot.p.d": true, "test.p.t": false} {
				if got := m.warmed(uid) != nil; got != want {
					t.Errorf("warmed(%s) = %v, want %v", uid, got, want)
				}
			}
		}
		if _, err := m.Head("model.p.b"); err == nil || !strings.Contains(err.Error(), "bad.json:3:27: model.p.b: expected ',' or '}' in an object") {
			t.Errorf("warm=%v: Head(model.p.b) = %v, want the missing comma at 3:27", warm, err)
		}
		if _, err := m.Head("seed.p.c"); err == nil || !strings.Contains(err.Error(), "expected an object") {
			t.Errorf("warm=%v: Head(seed.p.c) = %v, want not an object", warm, err)
		}
		for uid, mat := range map[string]string{"model.p.a": "", "snapshot.p.d": "snapshot"} {
			if n, err := m.Head(uid); err != nil || n.Materialized != mat {
				t.Errorf("warm=%v: Head(%s) = %+v, %v", warm, uid, n, err)
			}
		}
	}
}

// TestPackedHeadFields: packedHead holds every field of NodeHead: each
// string but UniqueID is in headStrings (in headStringNames' order), each
// flag in headFlags, and the rest is handled by name in pack and unpack.
func TestPackedHeadFields(t *testing.T) {
	// Pointers, not addresses as numbers: h escapes to the heap (the map
	// holds pointers into it), where nothing moves it.
	h := new(NodeHead)
	strs, flags := headStrings(h), headFlags(h)
	at := map[unsafe.Pointer]bool{}
	for _, p := range strs {
		at[unsafe.Pointer(p)] = true
	}
	for _, p := range flags {
		at[unsafe.Pointer(p)] = true
	}
	rt := reflect.TypeOf(*h)
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		switch f.Name {
		case "UniqueID", "Offset", "Raw", "Quoting", "Meta", "Config", "IsLatestVersion":
			continue // from the entry, or kept whole, or a tri-state
		}
		if !at[unsafe.Add(unsafe.Pointer(h), f.Offset)] {
			t.Errorf("NodeHead.%s is neither in headStrings nor in headFlags", f.Name)
		}
	}
	for i, name := range headStringNames {
		if f, ok := rt.FieldByName(name); !ok || unsafe.Add(unsafe.Pointer(h), f.Offset) != unsafe.Pointer(strs[i]) {
			t.Errorf("headStrings[%d] is not NodeHead.%s", i, name)
		}
	}
	if len(at) != len(strs)+len(flags) {
		t.Errorf("headStrings and headFlags name %d fields, %d distinct", len(strs)+len(flags), len(at))
	}
}

// TestWarmPackRoundTrip: heads with escaped strings (kept in strs), a v9
// is_latest_version, and a quoting block (kept whole) come back from Warm
// as Head decodes them.
func TestWarmPackRoundTrip(t *testing.T) {
	data := []byte(`{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v9.json"}, "nodes": {
"model.p.a": {"name": "a", "resource_type": "model", "relation_name": "\"db\".\"s\".\"a\"", "database": null, "schema": "s", "is_latest_version": true, "version": 2, "latest_version": 2, "config": {"materialized": "view", "enabled": true}},
"model.p.b": {"name": "b\u00e9", "resource_type": "model", "quoting": {"identifier": true}, "is_latest_version": false, "deferred": true},
"seed.p.c": {"name": "c", "resource_type": "seed", "alias": "", "checksum": {"name": "sha256", "checksum": "x"}}
}}`)
	plain, err := Open("m.json", data)
	if err != nil {
		t.Fatal(err)
	}
	warm, _ := Open("m.json", data)
	if left := warm.Warm(10); left != 0 {
		t.Fatalf("Warm left %d", left)
	}
	if len(warm.warm.strs) == 0 || len(warm.warm.whole) != 1 {
		t.Errorf("strs %q, whole %d: want escaped strings in strs and b kept whole", warm.warm.strs, len(warm.warm.whole))
	}
	for _, uid := range []string{"model.p.a", "model.p.b", "seed.p.c"} {
		want, err1 := plain.Head(uid)
		got, err2 := warm.Head(uid)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		wj, _ := json.Marshal(want)
		gj, _ := json.Marshal(got)
		if !bytes.Equal(wj, gj) {
			t.Errorf("%s:\n warm %s\n want %s", uid, gj, wj)
		}
		if again, _ := warm.Head(uid); again != got {
			t.Errorf("%s: a second Head made another node", uid)
		}
	}
}

// TestWarmWhileHeadsAreAsked: Warm may run while Head makes Nodes of the
// heads it kept (a project's calls and its warming on two goroutines).
// Each refable node's Head stays its own Node, equal to an unwarmed Head.
func TestWarmWhileHeadsAreAsked(t *testing.T) {
	base, err := os.ReadFile(filepath.Join(corpus.Curated(), "defer-jaffle-shop-postgres", "dev", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := synth.Generate(base, synth.Options{TargetBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := Open("dev.json", data)
	m, err := Open("dev.json", data)
	if err != nil {
		t.Fatal(err)
	}
	var uids []string
	for _, uid := range m.Keys("nodes") {
		if isRefableID(uid) {
			uids = append(uids, uid)
		}
	}
	// One head made into a Node before the rest are warmed: Head's next
	// Nodes come from an allocation Warm must leave alone.
	m.Warm(1)
	if m.warmed(uids[0]) == nil {
		t.Fatalf("%s not warmed", uids[0])
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Warm(len(uids))
	}()
	for _, uid := range uids[1:] { // each as soon as it is warm
		for m.warmed(uid) == nil {
			select {
			case <-done:
				if m.warmed(uid) == nil {
					t.Fatalf("%s never warmed", uid)
				}
			default:
				runtime.Gosched() // under GOOS=js, Warm's goroutine runs only when this one yields
			}
		}
	}
	<-done
	seen := map[*Node]string{}
	for _, uid := range uids {
		n, err := m.Head(uid)
		if err != nil {
			t.Fatal(err)
		}
		if other, dup := seen[n]; dup {
			t.Fatalf("%s and %s share one Node", uid, other)
		}
		seen[n] = uid
		want, _ := plain.Head(uid)
		wj, _ := json.Marshal(want)
		gj, _ := json.Marshal(n)
		if !bytes.Equal(wj, gj) {
			t.Fatalf("%s:\n warm  %s\n plain %s", uid, gj, wj)
		}
	}
}
