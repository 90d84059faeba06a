package jinja

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
)

func mustParse(t testing.TB, src string) *Template {
	t.Helper()
	tmpl, err := Parse("model.sql", src)
	if err != nil {
		t.Fatalf("parse %q: %v", src, err)
	}
	return tmpl
}

func render(t testing.TB, env *Environment, src string, ctx map[string]Value) string {
	t.Helper()
	out, err := env.Render(mustParse(t, src), ctx)
	if err != nil {
		t.Fatalf("render %q: %v", src, err)
	}
	return out
}

func code(err error) string {
	var de *diag.Error
	if errors.As(err, &de) {
		return de.Code
	}
	return ""
}

// returnEnv defines dbt's return() the way the compile package will.
func returnEnv() *Environment {
	env := NewEnvironment()
	env.Globals["return"] = FuncValue(func(st *State, args []Value, kw []KwArg) (Value, error) {
		if len(args) != 1 {
			return Value{}, errors.New("return() takes one argument")
		}
		return Value{}, Return(args[0])
	})
	return env
}

func TestReturnHook(t *testing.T) {
	env := returnEnv()
	src := `{% macro cols() %}ignored{{ return(['a', 'b']) }}never{% endmacro %}` +
		`{% macro nested() %}{% for x in [1, 2] %}{% if x == 2 %}{{ return(x * 10) }}{% endif %}{% endfor %}{% endmacro %}` +
		`{{ cols() }} {{ cols()|length }} {{ nested() + 1 }} {% set r = cols() %}{{ r[0] }}`
	if got, want := render(t, env, src, nil), "['a', 'b'] 2 21 a"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	// Output written before return() inside the macro is discarded, and the
	// caller's output is intact.
	src = `before {% macro m() %}x{% do return(none) %}{% endmacro %}{{ m() }} after`
	if got, want := render(t, env, src, nil), "before None after"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
}

func TestReturnAtTopLevelIsError(t *testing.T) {
	_, err := returnEnv().Render(mustParse(t, `a{{ return(1) }}`), nil)
	if err == nil {
		t.Fatal("expected an error")
	}
}

func TestExecCollectsMacrosAndResolver(t *testing.T) {
	env := returnEnv()
	lib := mustParse(t, `{% macro quote(x) %}"{{ x }}"{% endmacro %}{% macro star(cols) %}{% for c in cols %}{{ quote(c) }}{{ ', ' if not loop.last }}{% endfor %}{% endmacro %}{% set version = 2 %}`)
	mod, err := env.Exec(lib, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(mod.Macros) != 2 || mod.Vars["version"].AsInt() != 2 {
		t.Fatalf("module: %+v", mod)
	}
	for _, m := range mod.Macros {
		m.Tag = "dbt_utils"
	}
	var seen []any
	env.Resolver = func(st *State, name string) (Value, bool) {
		if m := st.Macro(); m != nil {
			seen = append(seen, m.Tag)
		}
		if name == "dbt_utils" {
			d := NewDict()
			for k, m := range mod.Macros {
				d.SetStr(k, MacroValue(m))
			}
			return DictValue(d), true
		}
		return Value{}, false
	}
	got := render(t, env, `select {{ dbt_utils.star(['a', 'b']) }} from t`, nil)
	if got != `select "a", "b" from t` {
		t.Fatalf("got %q", got)
	}
	v, err := env.Call(MacroValue(mod.Macros["quote"]), []Value{Str("z")}, nil)
	if err != nil || v.String() != `"z"` {
		t.Fatalf("Call: %v %v", v, err)
	}
}

// relation is a host object like dbt's Relation.
type relation struct{ db, schema, id string }

func (r *relation) GetAttr(name string) (Value, bool) {
	switch name {
	case "database":
		return Str(r.db), true
	case "schema":
		return Str(r.schema), true
	case "identifier", "name", "table":
		return Str(r.id), true
	case "include":
		return FuncValue(func(st *State, args []Value, kw []KwArg) (Value, error) {
			c := *r
			for _, k := range kw {
				if k.Name == "database" && !k.Value.Truth() {
					c.db = ""
				}
			}
			return ObjectValue(&c), nil
		}), true
	}
	return Value{}, false
}

func (r *relation) String() string {
	parts := []string{}
	for _, p := range []string{r.db, r.schema, r.id} {
		if p != "" {
			parts = append(parts, `"`+p+`"`)
		}
	}
	return strings.Join(parts, ".")
}

func TestHostObjects(t *testing.T) {
	env := NewEnvironment()
	env.Globals["ref"] = FuncValue(func(st *State, args []Value, kw []KwArg) (Value, error) {
		if len(args) != 1 || args[0].Kind() != KindString {
			return Value{}, diag.Errorf("dbt.ref", diag.Location{}, "ref() takes a model name")
		}
		return ObjectValue(&relation{"db", "sch", args[0].AsString()}), nil
	})
	got := render(t, env, `select * from {{ ref('orders') }} -- {{ ref('orders').identifier }} {{ ref('o').include(database=false) }} {{ [ref('x').name] }}`, nil)
	want := `select * from "db"."sch"."orders" -- orders "sch"."o" ['x']`
	if got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	_, err := env.Render(mustParse(t, "line1\n  {{ ref(1) }}"), nil)
	var de *diag.Error
	if !errors.As(err, &de) || de.Code != "dbt.ref" || de.Location.Line != 2 || de.Location.Column != 6 {
		t.Fatalf("host error location: %#v", err)
	}
}

func TestErrorsCarryLocation(t *testing.T) {
	_, err := Parse("m.sql", "select\n{% if x %}\n{{ 1 + }}")
	var de *diag.Error
	if !errors.As(err, &de) || de.Code != CodeSyntax || de.Location.Line != 3 || de.Location.File != "m.sql" {
		t.Fatalf("syntax error: %#v", err)
	}
	_, err = NewEnvironment().Render(mustParse(t, "a\nb {{ x.y }}"), nil)
	if !errors.As(err, &de) || de.Code != CodeUndefined || de.Location.Line != 2 {
		t.Fatalf("undefined error: %#v", err)
	}
	if !strings.Contains(err.Error(), "'x' is undefined") {
		t.Fatalf("message: %v", err)
	}
}

func TestLimits(t *testing.T) {
	cases := []struct {
		src, code string
	}{
		{`{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}`, CodeSteps},
		{`{% macro r() %}{{ r() }}{% endmacro %}{{ r() }}`, CodeDepth},
		{`{% for a in range(100000) %}{{ 'x' * 10000 }}{% endfor %}`, CodeOutput},
		{`{{ range(10000000) }}`, CodeRange},
		{`{{ 'x' * 100000000000 }}`, CodeOutput},
		{`{% set ns = namespace(s='x') %}{% for i in range(100000) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}`, CodeOutput},
		{`{% set l = [1] %}{% for x in l %}{% do l.append(x) %}{% endfor %}`, ""},
	}
	for _, c := range cases {
		env := NewEnvironment()
		// No wall-clock bound here, so each case ends on the limit it tests
		// on any machine; TestTimeLimit covers MaxTime with a fake clock.
		env.Limits = Limits{MaxOutput: 1 << 20, MaxTime: -1}
		_, err := env.Render(mustParse(t, c.src), nil)
		if err == nil {
			t.Errorf("%s: expected a limit error", c.src)
			continue
		}
		if c.code != "" && code(err) != c.code {
			t.Errorf("%s: code %q, want %q (%v)", c.src, code(err), c.code, err)
		}
	}
}

// TestTimeLimit: a template that would run for ever stops on MaxTime long
// before MaxSteps. The clock is fake (each reading advances 10ms), so the test
// is deterministic; BenchmarkRunawayStop measures the real time to stop.
func TestTimeLimit(t *testing.T) {
	var now time.Time
	readings := 0
	env := NewEnvironment()
	env.clock = func() time.Time { readings++; now = now.Add(10 * time.Millisecond); return now }
	env.Limits = Limits{MaxSteps: 1 << 62, MaxTime: time.Second}
	src := "{% for a in range(100000) %}\n{% for b in range(100000) %}{% for c in range(100000) %}{% endfor %}{% endfor %}{% endfor %}"
	_, err := env.Render(mustParse(t, src), nil)
	var de *diag.Error
	if !errors.As(err, &de) || de.Code != CodeTime {
		t.Fatalf("want %s, got %v", CodeTime, err)
	}
	if de.Location.Line != 2 || !strings.Contains(de.Message, "time limit of 1s") {
		t.Errorf("error: %v at %+v", de.Message, de.Location)
	}
	// One reading at the start, then one per timeCheckEvery steps until
	// 1s of fake time has passed: 101 readings.
	if readings != 102 {
		t.Errorf("clock read %d times, want 102", readings)
	}
	// Charge (host work) is bounded by the same clock.
	readings = 0
	st := newState(env, mustParse(t, "x"), nil)
	var cerr error
	for i := 0; i < 1000 && cerr == nil; i++ {
		cerr = st.Charge(timeCheckEvery)
	}
	if code(cerr) != CodeTime {
		t.Errorf("Charge: %v", cerr)
	}
	// A negative MaxTime never reads the clock.
	readings = 0
	env.Limits = Limits{MaxSteps: 100_000, MaxTime: -1}
	if _, err := env.Render(mustParse(t, src), nil); code(err) != CodeSteps || readings != 1 {
		t.Errorf("MaxTime<0: %v after %d readings", err, readings)
	}
}

func TestTemplateReuseIsIndependent(t *testing.T) {
	tmpl := mustParse(t, `{% set l = [] %}{% do l.append(x) %}{{ l }}`)
	env := NewEnvironment()
	for i := 0; i < 3; i++ {
		out, err := env.Render(tmpl, map[string]Value{"x": Int(int64(i))})
		if err != nil || out != "["+itoa(i)+"]" {
			t.Fatalf("render %d: %q %v", i, out, err)
		}
	}
}

func TestHasJinja(t *testing.T) {
	if HasJinja("select 1\n") || !HasJinja("select {{ 1 }}") || !HasJinja("a %} b") {
		t.Fatal("HasJinja")
	}
}

func TestFromGoAndRepr(t *testing.T) {
	v := FromGo(map[string]any{"b": []any{1, 2.5, "x", nil, true}, "a": map[string]string{"k": "v"}})
	if got := v.Repr(); got != `{'a': {'k': 'v'}, 'b': [1, 2.5, 'x', None, True]}` {
		t.Fatal(got)
	}
	for f, want := range map[float64]string{1: "1.0", 0.1: "0.1", 1e16: "1e+16", 1e-5: "1e-05", 123456789.125: "123456789.125", -2.5e-7: "-2.5e-07", 1e22: "1e+22"} {
		if got := formatFloat(f); got != want {
			t.Errorf("formatFloat(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestJSONHelper(t *testing.T) {
	d := NewDict()
	d.SetStr("b", Int(1))
	d.SetStr("a", NewList(Str("<x>"), None()))
	s, err := JSON(DictValue(d), false)
	if err != nil || s != `{"b": 1, "a": ["<x>", null]}` {
		t.Fatalf("%q %v", s, err)
	}
}

func TestHostileFormatSpecs(t *testing.T) {
	for _, src := range []string{
		`{{ '%*d' % (2000000000, 1) }}`,
		`{{ '{:2000000000}'.format(1) }}`,
		`{{ '{:.2000000000f}'.format(1.0) }}`,
		`{{ '%.2000000000f' % 1.0 }}`,
	} {
		env := NewEnvironment()
		env.Limits = Limits{MaxOutput: 1 << 20}
		// The widths are charged against the output limit before anything
		// is formatted, so these stop on CodeOutput, not on MaxTime.
		if _, err := env.Render(mustParse(t, src), nil); code(err) != CodeOutput && code(err) != CodeSteps {
			t.Errorf("%s: want a limit error, got %v", src, err)
		}
	}
}

// days is a host number-like object, as dbt's timedelta would be.
type days int

func (d days) GetAttr(string) (Value, bool) { return Value{}, false }
func (d days) String() string               { return itoa(int(d)) + " days" }
func (d days) BinaryOp(op string, o Value, right bool) (Value, bool, error) {
	od, ok := o.Object().(days)
	if !ok || (op != "+" && op != "-") {
		return Value{}, false, nil
	}
	if op == "-" {
		return ObjectValue(d - od), true, nil
	}
	return ObjectValue(d + od), true, nil
}
func (d days) Compare(o Value) (int, bool) {
	od, ok := o.Object().(days)
	return int(d) - int(od), ok
}

func TestObjectOperators(t *testing.T) {
	ctx := map[string]Value{"a": ObjectValue(days(7)), "b": ObjectValue(days(2))}
	got := render(t, NewEnvironment(), `{{ a - b }} {{ a + b }} {{ a > b }} {{ b < a }} {{ a <= b }}`, ctx)
	if got != "5 days 9 days True True False" {
		t.Fatalf("got %q", got)
	}
	if _, err := NewEnvironment().Render(mustParse(t, `{{ a * b }}`), ctx); code(err) != CodeType {
		t.Fatalf("unsupported op: %v", err)
	}
}
