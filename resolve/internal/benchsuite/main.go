// Command benchsuite is the native half of `./build.sh bench`: for each size
// it generates (or reuses, from .cache/synth) the synthetic dev/prod pair of
// resolve/internal/synth, measures the engine natively and writes the
// figures as JSON, with the paths of the generated manifests, for
// web/bench/run.mjs to measure the wasm on the same bytes and print the table.
//
//	go run ./resolve/internal/benchsuite -sizes 10,100,250 -out .cache/bench/native.json
//
// Every timing is the fastest of a few runs (the machine is shared); each is
// reported beside its baseline from the same run: encoding/json decoding the
// same bytes into map[string]any.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dbtdefer/dbtdefer/resolve"
	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
	"github.com/dbtdefer/dbtdefer/resolve/internal/heap"
	"github.com/dbtdefer/dbtdefer/resolve/internal/synth"
)

// Size is every native figure for one input size.
type Size struct {
	MB    int    `json:"mb"`
	Dev   string `json:"dev"`  // path of the dev manifest
	Prod  string `json:"prod"` // path of the prod manifest
	Bytes int    `json:"bytes"`
	Model string `json:"model"` // the model compiled and resolved from
	Ref   string `json:"ref"`   // the ref resolved
	// Refs are distinct refs the per-call JS figures cycle through, so no
	// cache of repeated answers flatters them.
	Refs []string `json:"refs"`

	OpenMs         float64 `json:"openMs"` // bytes → ready to resolve (index + ref names)
	OpenMBps       float64 `json:"openMBps"`
	EncodingJSONMs float64 `json:"encodingJsonMs"` // baseline: json.Unmarshal into map[string]any
	RetainedBytes  int64   `json:"retainedBytes"`  // live heap of the open project beyond the input
	ResolveNs      float64 `json:"resolveNs"`      // one ref() through a prepared call
	FirstCompileUs float64 `json:"firstCompileUs"` // first compile after open (macros parsed)
	CompileUs      float64 `json:"compileUs"`      // a compile preview afterwards
	ModifiedMs     float64 `json:"stateModifiedPlusMs"`
	ModifiedCount  int     `json:"stateModifiedPlusSelected"`
}

// Report is the file benchsuite writes.
type Report struct {
	Go    string `json:"go"`
	CPUs  int    `json:"cpus"`
	Sizes []Size `json:"sizes"`
}

func main() {
	sizes := flag.String("sizes", "10,100,250", "comma-separated manifest sizes in MB")
	out := flag.String("out", filepath.Join(corpus.Root(), ".cache", "bench", "native.json"), "where to write the JSON report")
	runs := flag.Int("runs", 3, "runs per timing; the fastest is reported")
	flag.Parse()
	rep := Report{Go: runtime.Version(), CPUs: runtime.NumCPU()}
	for _, s := range strings.Split(*sizes, ",") {
		mb, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || mb <= 0 {
			fail(fmt.Errorf("-sizes: %q is not a positive number of MB", s))
		}
		fmt.Fprintf(os.Stderr, "benchsuite: %d MB: generating the pair (cached in .cache/synth)\n", mb)
		dev, prod, err := synth.Pair(mb)
		if err != nil {
			fail(err)
		}
		sz, err := measure(mb, dev, prod, *runs)
		if err != nil {
			fail(fmt.Errorf("%d MB: %w", mb, err))
		}
		sz.Dev = filepath.Join(corpus.Root(), ".cache", "synth", fmt.Sprintf("dev-%dmb.json", mb))
		sz.Prod = filepath.Join(corpus.Root(), ".cache", "synth", fmt.Sprintf("prod-%dmb.json", mb))
		fmt.Fprintf(os.Stderr, "benchsuite: %d MB: open %.1f ms (encoding/json %.0f ms), resolve %.0f ns, compile %.0f µs, state:modified+ %.1f ms\n",
			mb, sz.OpenMs, sz.EncodingJSONMs, sz.ResolveNs, sz.CompileUs, sz.ModifiedMs)
		rep.Sizes = append(rep.Sizes, sz)
	}
	b, _ := json.MarshalIndent(rep, "", "  ")
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		fail(err)
	}
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		fail(err)
	}
	fmt.Println(*out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchsuite:", err)
	os.Exit(1)
}

// Model and Ref are a typical model of the scaled jaffle-shop project and
// one of its refs; copy 0000 exists at every size.
const (
	Model = "customers_0000"
	Ref   = "stg_orders_0000"
)

func measure(mb int, dev, prod []byte, runs int) (Size, error) {
	sz := Size{MB: mb, Bytes: len(dev), Model: Model, Ref: Ref}

	// Baseline: encoding/json into map[string]any, the fastest of runs.
	sz.EncodingJSONMs = fastest(runs, timed(func() error {
		var v map[string]any
		return json.Unmarshal(dev, &v)
	}))
	// Ready to resolve: the project opened from the dev manifest.
	var p *resolve.Project
	sz.OpenMs = fastest(runs, func() (time.Duration, error) {
		p = nil
		runtime.GC()
		start := time.Now()
		q, err := openReady(dev)
		p = q
		return time.Since(start), err
	})
	sz.OpenMBps = float64(len(dev)) / 1e6 / (sz.OpenMs / 1e3)
	p = nil
	sz.RetainedBytes = heap.Retained(func() { p, _ = openReady(dev) })
	runtime.KeepAlive(p)
	if p == nil {
		return sz, fmt.Errorf("open failed")
	}

	// The pair, for resolution, compile and selection.
	p, err := resolve.Open(resolve.Inputs{Manifest: dev, State: prod})
	if err != nil {
		return sz, err
	}
	for _, n := range p.Dev.RefNames() {
		if strings.HasPrefix(n, "stg_") && len(sz.Refs) < 256 {
			sz.Refs = append(sz.Refs, n)
		}
	}
	opt := resolve.Options{Defer: deferral.FavorState}
	c, _, err := p.NewCall(Model, opt)
	if err != nil {
		return sz, err
	}
	spec := resolve.RefSpec{Kind: "ref", Name: Ref}
	if _, err := p.ResolveOne(c, spec); err != nil {
		return sz, err
	}
	r := testing.Benchmark(func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			p.ResolveOne(c, spec)
		}
	})
	sz.ResolveNs = float64(r.T.Nanoseconds()) / float64(r.N)

	req := resolve.CompileRequest{Model: Model, Options: opt}
	start := time.Now()
	if _, err := p.Compile(req); err != nil {
		return sz, err
	}
	sz.FirstCompileUs = float64(time.Since(start).Nanoseconds()) / 1e3
	r = testing.Benchmark(func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			p.Compile(req)
		}
	})
	sz.CompileUs = float64(r.T.Nanoseconds()) / float64(r.N) / 1e3

	// state:modified+ on a freshly opened pair: the graph is built lazily,
	// so this includes building it.
	sz.ModifiedMs = fastest(runs, func() (time.Duration, error) {
		runtime.GC()
		q, err := resolve.Open(resolve.Inputs{Manifest: dev, State: prod})
		if err != nil {
			return 0, err
		}
		start := time.Now()
		res, err := q.Select([]string{"state:modified+"}, resolve.Options{})
		d := time.Since(start)
		if err == nil {
			sz.ModifiedCount = len(res.Nodes)
		}
		return d, err
	})
	return sz, nil
}

// openReady opens a project from the dev manifest and builds the ref index
// (otherwise built by the first ref()), so it is ready to resolve.
func openReady(dev []byte) (*resolve.Project, error) {
	p, err := resolve.Open(resolve.Inputs{Manifest: dev})
	if err == nil {
		p.Dev.RefNames()
	}
	return p, err
}

// fastest runs fn runs times and returns, in ms, the shortest of the
// durations fn measured (each run times only the part that matters).
func fastest(runs int, fn func() (time.Duration, error)) float64 {
	best := time.Duration(1<<63 - 1)
	for i := 0; i < max(runs, 1); i++ {
		d, err := fn()
		if err != nil {
			fail(err)
		}
		best = min(best, d)
	}
	return float64(best.Nanoseconds()) / 1e6
}

// timed measures all of fn.
func timed(fn func() error) func() (time.Duration, error) {
	return func() (time.Duration, error) {
		start := time.Now()
		err := fn()
		return time.Since(start), err
	}
}
