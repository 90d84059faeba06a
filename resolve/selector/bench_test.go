package selector

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dbtdefer/dbtdefer/resolve/internal/synth"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
)

// synthetic writes a manifest of n models in chains of 10 (each with a
// generic test), of realistic entry size (~2.5 KB), for schema; every
// modEvery-th model's raw_code differs when edited is true.
func synthetic(n int, schema string, edited bool, modEvery int) []byte {
	var b strings.Builder
	b.Grow(n * 2700)
	b.WriteString(`{"metadata":{"dbt_schema_version":"https://schemas.getdbt.com/dbt/manifest/v12.json","dbt_version":"1.10.0","project_name":"big","adapter_type":"postgres"},"nodes":{`)
	body := strings.Repeat("select a, b, c, coalesce(d, 0) as d from somewhere where x > 1\\n", 8)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		raw := body
		if edited && i%modEvery == 0 {
			raw += "-- edited"
		}
		dep := ""
		if i%10 != 0 {
			dep = fmt.Sprintf(`"model.big.m%d"`, i-1)
		}
		fmt.Fprintf(&b, `"model.big.m%d":{"database":"db","schema":"%s","name":"m%d","resource_type":"model","package_name":"big","path":"m%d.sql","original_file_path":"models/m%d.sql","unique_id":"model.big.m%d","fqn":["big","m%d"],"alias":"m%d","checksum":{"name":"sha256","checksum":"%x"},"config":{"enabled":true,"alias":null,"schema":null,"database":null,"tags":[],"meta":{},"group":null,"materialized":"view","persist_docs":{},"post-hook":[],"pre-hook":[],"quoting":{},"column_types":{},"full_refresh":null,"unique_key":null,"on_schema_change":"ignore","grants":{},"packages":[],"docs":{"show":true,"node_color":null},"contract":{"enforced":false,"alias_types":true},"access":"protected"},"tags":[],"description":"A model","columns":{"a":{"name":"a","description":"col a","meta":{},"data_type":null,"constraints":[],"quote":null,"tags":[]},"b":{"name":"b","description":"col b","meta":{},"data_type":null,"constraints":[],"quote":null,"tags":[]}},"meta":{},"group":null,"docs":{"show":true,"node_color":null},"patch_path":"big://models/schema.yml","build_path":null,"unrendered_config":{"materialized":"view"},"created_at":%d.5,"relation_name":"\"db\".\"%s\".\"m%d\"","raw_code":"%s","language":"sql","refs":[],"sources":[],"metrics":[],"depends_on":{"macros":["macro.big.helper"],"nodes":[%s]},"compiled_path":"target/compiled/m%d.sql","compiled":true,"compiled_code":"%s","extra_ctes_injected":true,"extra_ctes":[],"contract":{"enforced":false,"alias_types":true,"checksum":null},"access":"protected","constraints":[],"version":null,"latest_version":null,"deprecation_date":null}`,
			i, schema, i, i, i, i, i, i, len(raw)+i, time.Now().Unix(), schema, i, raw, dep, i, body)
		fmt.Fprintf(&b, `,"test.big.not_null_m%d_a.abc":{"database":"db","schema":"%s","name":"not_null_m%d_a","resource_type":"test","package_name":"big","path":"x.sql","original_file_path":"models/schema.yml","unique_id":"test.big.not_null_m%d_a.abc","fqn":["big","not_null_m%d_a"],"checksum":{"name":"none","checksum":""},"config":{"enabled":true,"severity":"ERROR","materialized":"test"},"tags":[],"unrendered_config":{},"raw_code":"{{ test_not_null(**_dbt_generic_test_kwargs) }}","test_metadata":{"name":"not_null","kwargs":{"column_name":"a"}},"depends_on":{"macros":["macro.dbt.test_not_null"],"nodes":["model.big.m%d"]}}`,
			i, schema, i, i, i, i)
	}
	b.WriteString(`},"sources":{},"macros":{"macro.big.helper":{"name":"helper","macro_sql":"{% macro helper() %}1{% endmacro %}","depends_on":{"macros":[]}},"macro.dbt.test_not_null":{"name":"test_not_null","macro_sql":"x","depends_on":{"macros":[]}}},"exposures":{},"metrics":{},"disabled":{},"parent_map":{},"child_map":{}}`)
	return []byte(b.String())
}

func benchPair(b *testing.B, cur, old []byte) {
	cm, err := manifest.Open("cur", cur)
	if err != nil {
		b.Fatal(err)
	}
	om, err := manifest.Open("old", old)
	if err != nil {
		b.Fatal(err)
	}
	var graphNs, totalNs int64
	minNs, minGraphNs := int64(1<<62), int64(0)
	var n int
	var cpu int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c0 := cpuNs()
		t0 := time.Now()
		g := NewGraph(cm)
		sg := NewGraph(om)
		// NewGraph is lazy: build both indexes here as Select would (the
		// state side with the current side as hints), so the graph share
		// stays measurable
		g.ensure()
		sg.ix.ensure(g.ix)
		t1 := time.Now()
		res, err := Select(g, []string{"state:modified+"}, Options{State: om, StateGraph: sg})
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		cpu += cpuNs() - c0
		graphNs += t1.Sub(t0).Nanoseconds()
		totalNs += t2.Sub(t0).Nanoseconds()
		if d := t2.Sub(t0).Nanoseconds(); d < minNs {
			minNs, minGraphNs = d, t1.Sub(t0).Nanoseconds()
		}
		n = len(res.Nodes)
	}
	b.ReportMetric(float64(totalNs)/float64(b.N)/1e6, "ms/op")
	b.ReportMetric(100*float64(graphNs)/float64(totalNs), "%graph")
	b.ReportMetric(float64(totalNs-graphNs)/float64(b.N)/1e6, "select-ms/op")
	// CPU time of the process (all threads, GC included) per run
	b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
	// the fastest run, less sensitive to other load on the machine
	b.ReportMetric(float64(minNs)/1e6, "min-ms")
	b.ReportMetric(100*float64(minGraphNs)/float64(minNs), "min-%graph")
	b.ReportMetric(float64(n), "selected")
	b.ReportMetric(float64(len(cur)+len(old))/1e6, "MB")
}

// BenchmarkStateModifiedPlus measures NewGraph + state:modified+ (which
// includes indexing the state manifest) on the largest corpus pair, and on a
// synthetic ~100 MB pair (50 MB each side; set DBTDEFER_BENCH_MB to change).
func BenchmarkStateModifiedPlus(b *testing.B) {
	b.Run("corpus-largest", func(b *testing.B) {
		pairs := corpusPairs(b)
		if len(pairs) == 0 {
			b.Skip("no corpus pairs")
		}
		best := pairs[0]
		for _, p := range pairs {
			if len(p.curB)+len(p.oldB) > len(best.curB)+len(best.oldB) {
				best = p
			}
		}
		b.Logf("pair %s", best.name)
		benchPair(b, best.curB, best.oldB)
	})
	b.Run("synthetic-100MB", func(b *testing.B) {
		mb := 100
		if v := os.Getenv("DBTDEFER_BENCH_MB"); v != "" {
			fmt.Sscan(v, &mb)
		}
		n := mb * 1e6 / 2 / 3600
		cur := synthetic(n, "dbt_dev", true, 100)
		old := synthetic(n, "prod", false, 100)
		benchPair(b, cur, old)
	})
	// the jaffle-shop pair scaled by resolve/internal/synth (cached under
	// .cache/synth): DBTDEFER_BENCH_MB/2 MiB a side
	b.Run("synth-pair", func(b *testing.B) {
		mb := 100
		if v := os.Getenv("DBTDEFER_BENCH_MB"); v != "" {
			fmt.Sscan(v, &mb)
		}
		dev, prod, err := synth.Pair(mb / 2)
		if err != nil {
			b.Skip(err)
		}
		benchPair(b, dev, prod)
	})
}

// BenchmarkIndex measures the plain index scan of one side of the synthetic
// pair (DBTDEFER_BENCH_MB/2 MB), the largest part of a cold state:modified+.
func BenchmarkIndex(b *testing.B) {
	mb := 100
	if v := os.Getenv("DBTDEFER_BENCH_MB"); v != "" {
		fmt.Sscan(v, &mb)
	}
	data := synthetic(mb*1e6/2/3600, "dbt_dev", true, 100)
	m, err := manifest.Open("cur", data)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	var cpu int64
	for i := 0; i < b.N; i++ {
		c0 := cpuNs()
		newIndex(m).ensure(nil)
		cpu += cpuNs() - c0
	}
	b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkIndexHinted measures the state side's scan with the current side
// as hints.
func BenchmarkIndexHinted(b *testing.B) {
	mb := 100
	if v := os.Getenv("DBTDEFER_BENCH_MB"); v != "" {
		fmt.Sscan(v, &mb)
	}
	n := mb * 1e6 / 2 / 3600
	cm, err := manifest.Open("cur", synthetic(n, "dbt_dev", true, 100))
	if err != nil {
		b.Fatal(err)
	}
	om, err := manifest.Open("old", synthetic(n, "prod", false, 100))
	if err != nil {
		b.Fatal(err)
	}
	cur := newIndex(cm)
	cur.ensure(nil)
	b.SetBytes(int64(om.Size()))
	b.ResetTimer()
	var cpu int64
	for i := 0; i < b.N; i++ {
		c0 := cpuNs()
		newIndex(om).ensure(cur)
		cpu += cpuNs() - c0
	}
	b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
}
