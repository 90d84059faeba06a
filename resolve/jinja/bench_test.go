package jinja

import (
	"testing"
	"time"
)

// benchModel is a typical dbt model: config, refs through a host function,
// a few utility macros, loops over columns and whitespace control.
const benchMacros = `{% macro quote(c) %}"{{ c }}"{% endmacro %}
{% macro star(cols, except=[]) -%}
{%- for c in cols if c|lower not in except|map('lower')|list -%}
  {{ quote(c) }}{{ ',' if not loop.last }}
{% endfor -%}
{%- endmacro %}
{% macro surrogate_key(fields) -%}
{%- set parts = [] -%}
{%- for f in fields -%}
{%- do parts.append("coalesce(cast(" ~ f ~ " as varchar), '_null_')") -%}
{%- endfor -%}
md5({{ parts|join(" || '-' || ") }})
{%- endmacro %}`

const benchModel = `{{ config(materialized='incremental', unique_key='id') }}
with source as (
    select {{ star(cols, except=['_loaded_at']) }}
    from {{ ref('stg_orders') }}
),
renamed as (
    select
        {{ surrogate_key(['order_id', 'customer_id']) }} as id,
        {% for c in cols -%}
        {{ c|lower }} as {{ c|lower|replace('_at', '_ts') }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from source
    {% if is_incremental %}
    where updated_at > (select max(updated_at) from {{ this }})
    {% endif %}
)
select * from renamed
`

func benchEnv(b *testing.B) (*Environment, map[string]Value) {
	env := NewEnvironment()
	mod, err := env.Exec(mustParse(b, benchMacros), nil)
	if err != nil {
		b.Fatal(err)
	}
	for name, m := range mod.Macros {
		env.Globals[name] = MacroValue(m)
	}
	env.Globals["config"] = FuncValue(func(*State, []Value, []KwArg) (Value, error) { return Str(""), nil })
	env.Globals["ref"] = FuncValue(func(_ *State, a []Value, _ []KwArg) (Value, error) {
		return Str(`"analytics"."dbt"."` + a[0].AsString() + `"`), nil
	})
	cols := []Value{}
	for _, c := range []string{"ORDER_ID", "CUSTOMER_ID", "STATUS", "AMOUNT", "CREATED_AT", "UPDATED_AT", "_LOADED_AT"} {
		cols = append(cols, Str(c))
	}
	ctx := map[string]Value{"cols": NewList(cols...), "is_incremental": Bool(true), "this": Str(`"analytics"."dbt"."orders"`)}
	return env, ctx
}

func BenchmarkRenderModel(b *testing.B) {
	env, ctx := benchEnv(b)
	tmpl := mustParse(b, benchModel)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := env.Render(tmpl, ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseModel(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("m", benchModel); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunawayStop measures how long a template that would loop for ever
// runs under the default limits before it is stopped (MaxTime: 1s, or
// MaxSteps first on a fast machine). Reported as ms to stop.
func BenchmarkRunawayStop(b *testing.B) {
	tmpl, err := Parse("loop.sql", `{% for a in range(100000) %}{% for b in range(100000) %}{% for c in range(100000) %}{% endfor %}{% endfor %}{% endfor %}`)
	if err != nil {
		b.Fatal(err)
	}
	env := NewEnvironment()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		_, err := env.Render(tmpl, nil)
		if c := code(err); c != CodeSteps && c != CodeTime {
			b.Fatalf("want a limit error, got %v", err)
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "ms-to-stop")
	}
}
