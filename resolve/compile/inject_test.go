package compile

import (
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/manifest"
)

func TestInjectCTEs(t *testing.T) {
	a := manifest.CTE{ID: "a", SQL: " __dbt__cte__a as (\nselect 1 as x\n)"}
	b := manifest.CTE{ID: "b", SQL: " __dbt__cte__b as (\nselect 2 as y\n)"}
	cases := []struct {
		sql    string
		ctes   []manifest.CTE
		legacy bool
		want   string
	}{
		{"select * from __dbt__cte__a", []manifest.CTE{a}, false, "with __dbt__cte__a as (\nselect 1 as x\n) select * from __dbt__cte__a"},
		{"select 1", []manifest.CTE{a, b}, false, "with __dbt__cte__a as (\nselect 1 as x\n),  __dbt__cte__b as (\nselect 2 as y\n) select 1"},
		{"\n\nselect 1", []manifest.CTE{a}, false, "\n\nwith __dbt__cte__a as (\nselect 1 as x\n) select 1"},
		{"-- c\nselect 1", []manifest.CTE{a}, false, "with __dbt__cte__a as (\nselect 1 as x\n) -- c\nselect 1"},
		{"WITH x as (select 1) select * from x", []manifest.CTE{a}, false, "WITH  __dbt__cte__a as (\nselect 1 as x\n), x as (select 1) select * from x"},
		{"with\n  x as (select 1) select 1", []manifest.CTE{a}, false, "with\n   __dbt__cte__a as (\nselect 1 as x\n), x as (select 1) select 1"},
		{"with recursive t as (select 1) select 1", []manifest.CTE{a}, false, "with recursive  __dbt__cte__a as (\nselect 1 as x\n), t as (select 1) select 1"},
		{"select 1; select 2", []manifest.CTE{a}, false, "with __dbt__cte__a as (\nselect 1 as x\n) select 1; "},
		{"select ';' as s; -- end\nselect 2", []manifest.CTE{a}, false, "with __dbt__cte__a as (\nselect 1 as x\n) select ';' as s; -- end\n"},
		{"select (with q as (select 1) select 1)", []manifest.CTE{a}, false, "with __dbt__cte__a as (\nselect 1 as x\n) select (with q as (select 1) select 1)"},
		{"select 1", []manifest.CTE{a}, true, "with __dbt__cte__a as (\nselect 1 as x\n)select 1"},
		{"with x as (select 1) select 1", []manifest.CTE{a}, true, "with  __dbt__cte__a as (\nselect 1 as x\n),x as (select 1) select 1"},
		{"select 1", nil, false, "select 1"},
		// dollar-quoted strings are one literal: a ';' inside ends nothing
		{"select $$a; b$$ as s", []manifest.CTE{a}, false, "with __dbt__cte__a as (\nselect 1 as x\n) select $$a; b$$ as s"},
		{"select $fn$ x; $$ y $fn$ as s; select 2", []manifest.CTE{a}, false, "with __dbt__cte__a as (\nselect 1 as x\n) select $fn$ x; $$ y $fn$ as s; "},
		{"select a$$; b$$", []manifest.CTE{a}, false, "with __dbt__cte__a as (\nselect 1 as x\n) select a$$; "},
	}
	for _, c := range cases {
		if got := InjectCTEs(c.sql, c.ctes, c.legacy); got != c.want {
			t.Errorf("InjectCTEs(%q, legacy=%v)\n got %q\nwant %q", c.sql, c.legacy, got, c.want)
		}
	}
}

func TestParseProjectYAML(t *testing.T) {
	pc, err := ParseProjectYAML([]byte("name: shop\nvars:\n  start: '2024-01-01'\n  pkg:\n    x: 1\nquoting:\n  identifier: false\ndispatch:\n  - macro_namespace: dbt_utils\n    search_order: [shop, dbt_utils]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if pc.Name != "shop" || pc.Vars["start"] != "2024-01-01" || pc.Quoting == nil || *pc.Quoting.Identifier || len(pc.Dispatch) != 1 || pc.Dispatch[0].SearchOrder[0] != "shop" {
		t.Errorf("%+v", pc)
	}
	if _, ok := pc.Vars["pkg"].(*OrderedMap); !ok {
		t.Errorf("package-scoped vars: %T", pc.Vars["pkg"])
	}
}

func TestLiteralEval(t *testing.T) {
	for in, want := range map[string]string{"1": "1", "id": "id", "'a'": "'a'", "True": "True", "[1, 'a']": "[1, 'a']", "007": "007"} {
		if got := literalEval(in).Repr(); got != want && literalEval(in).String() != want {
			t.Errorf("literalEval(%q) = %s, want %s", in, got, want)
		}
	}
}
