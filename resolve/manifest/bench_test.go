package manifest

import (
	"encoding/json"
	"os"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
	"github.com/dbtdefer/dbtdefer/resolve/internal/heap"
	"github.com/dbtdefer/dbtdefer/resolve/internal/synth"
)

// benchInputs are the largest corpus manifest and a synthetic 100 MB one.
func benchInputs(b *testing.B) map[string][]byte {
	in := map[string][]byte{}
	paths := corpus.Manifests()
	sort.Slice(paths, func(i, j int) bool { return fileSize(paths[i]) > fileSize(paths[j]) })
	if len(paths) > 0 {
		if data, err := os.ReadFile(paths[0]); err == nil {
			in["largest-corpus"] = data
		}
	}
	if dev, _, err := synth.Pair(100); err == nil {
		in["synthetic-100MB"] = dev
	} else {
		b.Logf("synthetic manifest: %v", err)
	}
	return in
}

func fileSize(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}

// BenchmarkOpen measures opening and indexing (including the ref index, so
// the result is ready to resolve) and reports, from the same run, the ratio
// against encoding/json decoding the same bytes into map[string]any, and the
// heap retained beyond the input bytes.
func BenchmarkOpen(b *testing.B) {
	for name, data := range benchInputs(b) {
		b.Run(name, func(b *testing.B) {
			// Baseline: encoding/json into map[string]any, timed once per run.
			start := time.Now()
			var v map[string]any
			if err := json.Unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
			baseline := time.Since(start)
			v = nil
			runtime.GC()

			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			var m *Manifest
			for i := 0; i < b.N; i++ {
				var err error
				m, err = Open(name, data)
				if err != nil {
					b.Fatal(err)
				}
				m.RefNames()
			}
			b.StopTimer()
			per := b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(float64(baseline)/float64(per), "x-faster-than-encoding/json")
			b.ReportMetric(float64(baseline.Milliseconds()), "encoding/json-ms")

			m = nil
			retained := float64(heap.Retained(func() { m, _ = Open(name, data); m.RefNames() }))
			b.ReportMetric(retained/float64(len(data)), "retained/input")
			runtime.KeepAlive(m)
		})
	}
}

// BenchmarkDecodeNode is the cost of decoding one node on demand.
func BenchmarkDecodeNode(b *testing.B) {
	data, err := os.ReadFile(corpus.Manifests()[0])
	if err != nil {
		b.Skip(err)
	}
	m, err := Open("m", data)
	if err != nil {
		b.Fatal(err)
	}
	keys := m.Keys("nodes")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		uid := keys[i%len(keys)]
		if _, _, ok := m.Raw("nodes", uid); !ok {
			b.Fatal("missing")
		}
		s, _ := m.sections["nodes"].get(uid)
		if _, err := m.decode(uid, s, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeHead measures Head's decode of a refable node of the
// synthetic 10 MB manifest (what a ref asked for the first time costs per
// node), after Warm, and a full decode of the same node.
func BenchmarkDecodeHead(b *testing.B) {
	dev, _, err := synth.Pair(10)
	if err != nil {
		b.Skip(err)
	}
	m, err := Open("m", dev)
	if err != nil {
		b.Fatal(err)
	}
	var uids []string
	for _, uid := range m.Keys("nodes") {
		if t := resourceTypeOf(uid); t == "model" || t == "seed" || t == "snapshot" {
			uids = append(uids, uid)
		}
	}
	warm, err := Open("m", dev)
	if err != nil {
		b.Fatal(err)
	}
	for warm.Warm(1<<30) > 0 {
	}
	for _, mode := range []string{"head", "warmed", "full"} {
		m := m
		if mode == "warmed" {
			m = warm
		}
		b.Run(mode, func(b *testing.B) {
			bytes := 0
			for i := 0; i < b.N; i++ {
				uid := uids[i%len(uids)]
				s, _ := m.sections["nodes"].get(uid)
				bytes += int(s.end - s.start)
				switch mode {
				case "warmed": // what Head does on a node Warm kept
					if h := m.warmed(uid); h == nil || h.UniqueID != uid {
						b.Fatal("not warmed")
					}
				case "full":
					if _, err := m.decode(uid, s, false); err != nil {
						b.Fatal(err)
					}
				default:
					if _, err := m.decodeHead(uid, s, false); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.SetBytes(int64(bytes / b.N))
		})
	}
}
