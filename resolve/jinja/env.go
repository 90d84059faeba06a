// Package jinja is a Jinja2 interpreter written for dbt: it renders templates
// byte for byte like Python's Jinja2 3.1.6 configured as dbt configures it
// (sandboxed environment, default delimiters, no trim_blocks or lstrip_blocks,
// keep_trailing_newline off, plain Undefined, the do and loopcontrols
// extensions, and dbt's materialization, test, docs and snapshot tags).
//
// Templates are parsed once into an AST (Parse) and rendered any number of
// times, concurrently, by an Environment that supplies globals, a Resolver
// for names the template does not define (dbt's per-package macro
// namespaces), extra filters and tests, and Limits. Rendering never panics:
// hostile templates end in an *diag.Error with a stable code, a line and a
// column.
package jinja

import (
	"strings"
	"time"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
)

// Error codes carried by the *diag.Error values this package returns.
const (
	CodeSyntax      = "jinja.syntax"       // the template does not parse
	CodeUndefined   = "jinja.undefined"    // an undefined value was used (called, indexed, added…)
	CodeType        = "jinja.type"         // Python TypeError: wrong operand or argument types
	CodeValue       = "jinja.value"        // Python ValueError, KeyError, IndexError, ZeroDivisionError
	CodeUnsupported = "jinja.unsupported"  // include, import, extends: dbt renders single strings
	CodeFilter      = "jinja.filter"       // unknown filter or test
	CodeSteps       = "jinja.limit.steps"  // Limits.MaxSteps exceeded
	CodeDepth       = "jinja.limit.depth"  // Limits.MaxDepth exceeded
	CodeOutput      = "jinja.limit.output" // Limits.MaxOutput exceeded
	CodeRange       = "jinja.limit.range"  // a range or repeat larger than Limits.MaxRange
	CodeTime        = "jinja.limit.time"   // Limits.MaxTime exceeded
	CodeHost        = "jinja.host"         // a host Func failed with a plain Go error
	CodeInternal    = "jinja.internal"     // a bug in this package, reported instead of crashing
)

// Limits bound the work one Render may do; zero fields take the defaults.
type Limits struct {
	// MaxSteps bounds evaluated nodes and loop iterations (default 10 000 000).
	MaxSteps int64
	// MaxDepth bounds nested macro and function calls (default 200).
	MaxDepth int
	// MaxOutput bounds the bytes produced, including macro output (default 64 MiB).
	MaxOutput int64
	// MaxRange bounds range() lengths and sequence repeats; Jinja's sandbox
	// uses 100 000 and so do we by default.
	MaxRange int64
	// MaxTime bounds the wall-clock time of one render (default 1s; negative
	// means no bound). It is checked every few thousand steps, so a template
	// that would loop forever stops within MaxTime on any machine, however
	// slow, even before it reaches MaxSteps.
	MaxTime time.Duration
}

// DefaultLimits are the limits used for zero fields.
var DefaultLimits = Limits{MaxSteps: 10_000_000, MaxDepth: 200, MaxOutput: 64 << 20, MaxRange: 100_000, MaxTime: time.Second}

func (l Limits) withDefaults() Limits {
	if l.MaxSteps <= 0 {
		l.MaxSteps = DefaultLimits.MaxSteps
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	if l.MaxOutput <= 0 {
		l.MaxOutput = DefaultLimits.MaxOutput
	}
	if l.MaxRange <= 0 {
		l.MaxRange = DefaultLimits.MaxRange
	}
	if l.MaxTime == 0 {
		l.MaxTime = DefaultLimits.MaxTime
	}
	return l
}

// FilterFunc implements a filter: v is the filtered value ({{ v|name(args) }}).
type FilterFunc func(st *State, v Value, args []Value, kwargs []KwArg) (Value, error)

// TestFunc implements a test ({% if v is name(args) %}).
type TestFunc func(st *State, v Value, args []Value) (bool, error)

// Resolver supplies values for names a template neither defines nor receives
// in its context nor finds in Globals. dbt resolves macros per package, so a
// host typically inspects st.Macro() (and its Tag) to pick the namespace.
type Resolver func(st *State, name string) (Value, bool)

// Environment holds what templates can see besides their own definitions.
// It is read-only during rendering and may be shared by concurrent renders.
type Environment struct {
	// Globals are visible to every template after its context.
	Globals map[string]Value
	// Resolver is asked last, for names found nowhere else; may be nil.
	Resolver Resolver
	// Filters add to or replace the built-in filters.
	Filters map[string]FilterFunc
	// Tests add to or replace the built-in tests.
	Tests map[string]TestFunc
	// Limits bound each render.
	Limits Limits
	// clock replaces time.Now for Limits.MaxTime in tests.
	clock func() time.Time
}

// NewEnvironment returns an environment with dbt's text-mode filters
// (as_text, as_bool, as_native, as_number are identities when rendering text).
func NewEnvironment() *Environment {
	return &Environment{Globals: map[string]Value{}, Filters: map[string]FilterFunc{}, Tests: map[string]TestFunc{}}
}

// Template is a parsed template, safe for concurrent use.
type Template struct {
	name string
	src  string
	body []stmt
}

// Name returns the name the template was parsed with (used in error locations).
func (t *Template) Name() string { return t.name }

// Parse parses source as a Jinja template; name appears in error locations.
// Syntax errors are *diag.Error with CodeSyntax, line and column.
func Parse(name, source string) (*Template, error) {
	src := normalizeSource(source)
	toks, lerr := tokenize(src)
	t := &Template{name: name, src: src}
	if lerr != nil {
		return nil, diag.Errorf(CodeSyntax, t.loc(lerr.pos), "%s", lerr.msg)
	}
	body, perr := parseTemplate(toks)
	if perr != nil {
		return nil, diag.Errorf(CodeSyntax, t.loc(perr.pos), "%s", perr.msg)
	}
	t.body = body
	return t, nil
}

// HasJinja reports whether text contains any Jinja delimiter; dbt's
// get_rendered returns text without one unchanged, skipping Jinja (and its
// trailing-newline rule) entirely.
func HasJinja(text string) bool {
	for _, d := range [...]string{"{{", "{%", "{#", "}}", "%}", "#}"} {
		if strings.Contains(text, d) {
			return true
		}
	}
	return false
}

func (t *Template) loc(offset int) diag.Location {
	line, col := diag.LineCol([]byte(t.src), offset)
	return diag.Location{File: t.name, Offset: offset, Line: line, Column: col}
}

// Module is what executing a template leaves behind: its output, and the
// macros and variables it defined at top level (what {% import %} would see).
type Module struct {
	Output string
	// Macros are the top-level macros by name, callable with Environment.Call
	// or from other templates once the host exposes them (Globals or Resolver).
	Macros map[string]*Macro
	// Vars are the other top-level assignments.
	Vars map[string]Value
}

// Render renders t with ctx (the template's own variables, looked up before
// Globals) and returns the output.
func (e *Environment) Render(t *Template, ctx map[string]Value) (string, error) {
	m, err := e.Exec(t, ctx)
	if err != nil {
		return "", err
	}
	return m.Output, nil
}

// Exec renders t and also returns its top-level macros and variables. dbt
// loads each manifest macro by executing its macro_sql this way.
func (e *Environment) Exec(t *Template, ctx map[string]Value) (mod *Module, err error) {
	st := newState(e, t, ctx)
	root := &scope{}
	defer st.recoverInto(&err)
	st.execBody(t.body, root)
	mod = &Module{Output: string(st.out), Macros: map[string]*Macro{}, Vars: map[string]Value{}}
	for i, k := range root.names {
		v := root.vals[i]
		if m := v.Macro(); m != nil {
			mod.Macros[k] = m
		} else {
			mod.Vars[k] = v
		}
	}
	return mod, nil
}

// Call calls a macro or function value from Go with a fresh State, so a host
// can run a dbt macro (e.g. a materialization) directly.
func (e *Environment) Call(fn Value, args []Value, kwargs []KwArg) (result Value, err error) {
	var t *Template
	if m := fn.Macro(); m != nil {
		t = m.tmpl
	}
	if t == nil {
		t = &Template{name: "<call>"}
	}
	st := newState(e, t, nil)
	defer st.recoverInto(&err)
	return st.call(fn, args, kwargs, 0), nil
}
