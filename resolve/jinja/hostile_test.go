package jinja

import (
	"strings"
	"testing"
)

// TestDeepExpressions: operator chains are built by loops, so nothing but
// maxExprDepth stops them from making trees deeper than the Go stack can
// walk. A million-term {{ 1+1+…+1 }} (2 MB) was a fatal stack overflow (not
// a panic: the process died) as soon as MaxTime was off or the machine fast.
// Each chain below is refused at parse time with a clear error; chains as
// long as real templates ever write still parse and render.
func TestDeepExpressions(t *testing.T) {
	const n = 1 << 17
	chains := map[string]string{
		"plus":         "{{ 1" + strings.Repeat("+1", n) + " }}",
		"or":           "{{ x" + strings.Repeat(" or x", n) + " }}",
		"and":          "{{ x" + strings.Repeat(" and x", n) + " }}",
		"times":        "{{ 1" + strings.Repeat("*1", n) + " }}",
		"pow":          "{{ 1" + strings.Repeat("**1", n) + " }}",
		"attr":         "{{ x" + strings.Repeat(".a", n) + " }}",
		"item":         "{{ x" + strings.Repeat("[0]", n) + " }}",
		"call":         "{{ f" + strings.Repeat("()", n) + " }}",
		"filter":       "{{ x" + strings.Repeat("|lower", n) + " }}",
		"test":         "{{ x is string" + strings.Repeat("|lower is string", n/4) + " }}",
		"cond":         "{{ 1" + strings.Repeat(" if x", n) + " }}",
		"cond-else":    "{{ 1" + strings.Repeat(" if x else 1", n) + " }}",
		"filter-block": "{% filter lower" + strings.Repeat("|lower", n) + " %}x{% endfilter %}",
		"in-macro":     "{% macro m() %}{{ 1" + strings.Repeat("+1", n) + " }}{% endmacro %}",
		// Short chains in 60 nested parentheses (within maxNesting): their
		// heights add up to more than 300.
		"nested": "{{ " + strings.Repeat("(", 60) + "1" + strings.Repeat("+1+1+1+1+1)", 60) + " }}",
	}
	for name, src := range chains {
		_, err := Parse("t", src)
		if err == nil {
			t.Errorf("%s: parsed", name)
			continue
		}
		want := "expression nested too deeply (limit 200)"
		if name == "cond-else" { // right-nested: parsed by recursion, so nesting stops it
			want = "template nesting too deep (limit 200)"
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Under the limit: parses and renders.
	env := NewEnvironment()
	for _, src := range []string{
		"{{ 1" + strings.Repeat("+1", 150) + " }}",
		"{{ x" + strings.Repeat(" or x", 150) + " }}",
		"{{ 'A'" + strings.Repeat("|lower", 150) + " }}",
		"{{ [" + strings.Repeat("1+1, ", 5000) + "1] | length }}", // wide, not deep
	} {
		tmpl, err := Parse("t", src)
		if err != nil {
			t.Fatalf("%.40s…: %v", src, err)
		}
		if _, err := env.Render(tmpl, map[string]Value{"x": Bool(false)}); err != nil {
			t.Fatalf("%.40s…: %v", src, err)
		}
	}
}
