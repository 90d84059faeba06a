package lang

import (
	"strings"
	"testing"
	"unicode/utf16"
)

// TestPositions: offsets, lines and columns are what an editor counts
// (UTF-16, "\r\n" one line break, a tab one column), checked against JS's
// own counting (utf16.Encode) rather than our own.
func TestPositions(t *testing.T) {
	for _, text := range []string{
		"select 1\nfrom {{ ref('a') }}",
		"-- héllo wörld\r\nselect * from {{ ref('orders') }}\r\n",
		"\t\t{{ ref('x') }}\t{{ this }}",
		"select '😀😀' as e, {{ source('s', 't') }}\rnext",
		"日本語\n\n{{ var('v') }}",
	} {
		b := NewBuffer(text)
		for off := 0; off <= len(text); off++ {
			if off < len(text) && !isRuneStart(text[off]) || off > 0 && off < len(text) && text[off-1] == '\r' && text[off] == '\n' {
				continue // inside a character, or inside a "\r\n" (no editor position)
			}
			p := b.Pos(off)
			before := text[:off]
			if want := len(utf16.Encode([]rune(before))); p.Offset != want {
				t.Fatalf("%q at byte %d: offset %d, want %d", text, off, p.Offset, want)
			}
			lines := strings.Split(strings.ReplaceAll(strings.ReplaceAll(before, "\r\n", "\n"), "\r", "\n"), "\n")
			if p.Line != len(lines) || p.Column != len(utf16.Encode([]rune(lines[len(lines)-1])))+1 || p.Byte != off {
				t.Fatalf("%q at byte %d: %+v, want line %d column %d", text, off, p, len(lines), len(utf16.Encode([]rune(lines[len(lines)-1])))+1)
			}
			if got := b.ByteOf(p.Offset); got != off {
				t.Fatalf("%q: ByteOf(%d) = %d, want %d", text, p.Offset, got, off)
			}
		}
	}
}

func isRuneStart(c byte) bool { return c&0xC0 != 0x80 }

// TestRead: calls, their arguments and `this` are found where they are, in
// buffers that parse and in ones that do not.
func TestRead(t *testing.T) {
	type want struct {
		name   string
		args   []string // string values, or "?" for anything else; "k=" prefix for keywords
		closed bool
	}
	for _, c := range []struct {
		text  string
		calls []want
	}{
		{"select * from {{ ref('stg_orders') }} join {{ ref(\"pkg\", 'm', v=2) }}", []want{{"ref", []string{"stg_orders"}, true}, {"ref", []string{"pkg", "m", "v=?"}, true}}},
		{"{{ source('ecom', 'raw_orders') }} {{ this }} {{ this.schema }}", []want{{"source", []string{"ecom", "raw_orders"}, true}, {"this", nil, true}, {"this", nil, true}}},
		{"{{ config(materialized='table', tags=['a']) }}\n{{ dbt_utils.star(from=ref('a'), except=['x']) }}", []want{{"config", []string{"materialized=table", "tags=?"}, true}, {"dbt_utils.star", []string{"from=?", "except=?"}, true}, {"ref", []string{"a"}, true}}},
		{"select {{ ref('stg_ord", []want{{"ref", []string{"stg_ord"}, false}}},
		{"{{ ref('a') }} {{ ref(", []want{{"ref", []string{"a"}, true}, {"ref", nil, false}}},
		{"{% set x = var('start', '2020') %}{{ x | upper }} {{ adapter.get_columns_in_relation(this) }}", []want{{"var", []string{"start", "2020"}, true}, {"adapter.get_columns_in_relation", []string{"?"}, true}, {"this", nil, true}}},
		{"{# {{ ref('commented') }} #}{% raw %}{{ ref('raw') }}{% endraw %}{{ ref('real') }}", []want{{"ref", []string{"real"}, true}}},
		{"{{- ref('trim') -}}{%- if is_incremental() %}{% endif %}", []want{{"ref", []string{"trim"}, true}, {"is_incremental", nil, true}}},
		{"{{ 'x'.upper() }} {{ foo.bar.baz() }} {{ env_var('E') }}", []want{{"env_var", []string{"E"}, true}}},
	} {
		s := Read(c.text)
		var got []want
		for _, call := range s.Calls {
			w := want{name: call.Name, closed: call.Closed}
			for _, a := range call.Args {
				v := "?"
				if a.Kind == ArgString {
					v = a.Value
				}
				if a.Key != "" {
					v = a.Key + "=" + v
				}
				w.args = append(w.args, v)
			}
			got = append(got, w)
			if call.Open >= 0 && c.text[call.Open] != '(' || c.text[call.NameStart:call.NameEnd] != strings.ReplaceAll(call.Name, ".", ".") && !strings.Contains(call.Name, ".") {
				t.Errorf("%q: %s spans %q", c.text, call.Name, c.text[call.NameStart:call.NameEnd])
			}
			for _, a := range call.Args {
				if a.Kind == ArgString && c.text[a.ValueStart:a.ValueEnd] != a.Value {
					t.Errorf("%q: %s's argument %q spans %q", c.text, call.Name, a.Value, c.text[a.ValueStart:a.ValueEnd])
				}
			}
		}
		if len(got) != len(c.calls) {
			t.Errorf("%q: calls %+v, want %+v", c.text, got, c.calls)
			continue
		}
		for i := range got {
			if got[i].name != c.calls[i].name || strings.Join(got[i].args, "|") != strings.Join(c.calls[i].args, "|") || got[i].closed != c.calls[i].closed {
				t.Errorf("%q: call %d = %+v, want %+v", c.text, i, got[i], c.calls[i])
			}
		}
	}
}

func TestAssigned(t *testing.T) {
	s := Read("{% set cols = ['a'] %}{% for c in cols %}{% endfor %}{% macro m(x, y=1) %}{% endmacro %}{% import 'x.sql' as helpers %}{% from 'y' import z %}")
	for _, n := range []string{"cols", "c", "m", "x", "y", "helpers", "z"} {
		if !s.Assigned[n] {
			t.Errorf("%s is not recorded as assigned: %v", n, s.Assigned)
		}
	}
	if s.Assigned["in"] || s.Assigned["1"] {
		t.Errorf("assigned: %v", s.Assigned)
	}
}
