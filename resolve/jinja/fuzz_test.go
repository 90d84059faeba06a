package jinja

import (
	"errors"
	"flag"
	"path/filepath"
	"testing"
	"time"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
)

// FuzzRender parses and renders arbitrary templates: it must never panic,
// never report an internal error, and always respect the limits.
func FuzzRender(f *testing.F) {
	files, _ := filepath.Glob("testdata/conformance/*.txt")
	for _, file := range files {
		for _, c := range readCases(f, file) {
			f.Add(c.Template)
		}
	}
	// And the Jinja real projects wrote: models' raw_code and macros'
	// macro_sql from every corpus manifest.
	for _, s := range corpus.Samples() {
		for _, code := range s.Code {
			f.Add(code)
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		tmpl, err := Parse("fuzz", src)
		if err != nil {
			return
		}
		env := NewEnvironment()
		env.Limits = Limits{MaxSteps: 200_000, MaxOutput: 1 << 20, MaxDepth: 50, MaxRange: 10_000}
		env.Globals["return"] = FuncValue(func(st *State, args []Value, kw []KwArg) (Value, error) {
			if len(args) == 0 {
				return Value{}, Return(None())
			}
			return Value{}, Return(args[0])
		})
		start := time.Now()
		out, err := env.Render(tmpl, map[string]Value{"x": Int(1), "l": NewList(Str("a"), Int(2))})
		var de *diag.Error
		if err != nil && errors.As(err, &de) && de.Code == CodeInternal {
			t.Fatalf("internal error on %q: %v", src, err)
		}
		if len(out) > 1<<20 {
			t.Fatalf("output limit not respected: %d bytes", len(out))
		}
		// Go's fuzzer has no per-input timeout, so while fuzzing a render
		// that outlives MaxTime (1s) by far is reported as a hang. Plain
		// test runs of the seeds assert nothing about time.
		if fuzzing() {
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("render of %q took %v: MaxTime did not stop it", src, d)
			}
		}
	})
}

// fuzzing reports whether this process is fuzzing (go test -fuzz), as
// opposed to running the seed corpus as a test.
func fuzzing() bool {
	f := flag.Lookup("test.fuzz")
	return f != nil && f.Value.String() != ""
}
