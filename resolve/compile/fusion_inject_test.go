package compile

import (
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/manifest"
)

// TestFusionLayouts pins each Fusion release line's CTE layout, read from
// dbt-fusion's inject_and_persist_ephemeral_models at the commits that
// changed it (9020529e, beta.30: the wrapper; f166eb8a, preview.24: its
// marker comments).
func TestFusionLayouts(t *testing.T) {
	for v, want := range map[string]fusionLayout{
		"1.9.1": notFusion, "2024.9.238": notFusion, "2.0.0-beta.5": fusionWith, "2.0.0-beta.29": fusionWith,
		"2.0.0-beta.30": fusionWrap, "2.0.0-preview.23": fusionWrap, "2.0.0-preview.24": fusionMarked,
		"2.0.0-preview.154": fusionMarked, "2.0.0": fusionMarked, "2.1.0-rc1": fusionMarked,
	} {
		if got := fusionLayoutFor(v); got != want {
			t.Errorf("%s: layout %d, want %d", v, got, want)
		}
	}
	a := manifest.CTE{ID: "a", SQL: fusionCTE("a", "select 1 as x")}
	b := manifest.CTE{ID: "b", SQL: fusionCTE("b", "select 2 as y")}
	for _, c := range []struct {
		sql    string
		ctes   []manifest.CTE
		layout fusionLayout
		want   string
	}{
		{"select * from __dbt__cte__a", []manifest.CTE{a}, fusionMarked,
			"with __dbt__cte__a as (\nselect 1 as x\n)\n--EPHEMERAL-SELECT-WRAPPER-START\nselect * from (\nselect * from __dbt__cte__a\n--EPHEMERAL-SELECT-WRAPPER-END\n)"},
		{"with x as (select 1) select 1", []manifest.CTE{a, b, a}, fusionMarked,
			"with __dbt__cte__a as (\nselect 1 as x\n), __dbt__cte__b as (\nselect 2 as y\n)\n--EPHEMERAL-SELECT-WRAPPER-START\nselect * from (\nwith x as (select 1) select 1\n--EPHEMERAL-SELECT-WRAPPER-END\n)"},
		{"select 1", []manifest.CTE{a}, fusionWrap, "with __dbt__cte__a as (\nselect 1 as x\n)\n\nselect * from (\nselect 1\n)"},
		{"select 1", []manifest.CTE{a}, fusionWith, "with __dbt__cte__a as (\nselect 1 as x\n) select 1"},
		{"WITH x as (select 1) select * from x", []manifest.CTE{a}, fusionWith, "WITH __dbt__cte__a as (\nselect 1 as x\n),  x as (select 1) select * from x"},
		{"\n/* c */ // d\nwith x as (select 1) select 1", []manifest.CTE{a}, fusionWith, "\n/* c */ // d\nwith __dbt__cte__a as (\nselect 1 as x\n),  x as (select 1) select 1"},
		// "--" is not a comment there: the SQL does not start with WITH.
		{"-- c\nwith x as (select 1) select 1", []manifest.CTE{a}, fusionWith, "with __dbt__cte__a as (\nselect 1 as x\n) -- c\nwith x as (select 1) select 1"},
		// beta Fusion skipped len("recursive") after "with", not the space
		// between: the CTEs land inside the word, as that code did.
		{"with recursive r as (select 1) select 1", []manifest.CTE{a}, fusionWith, "with recursiv __dbt__cte__a as (\nselect 1 as x\n), e r as (select 1) select 1"},
	} {
		if got := injectFusion(c.sql, c.ctes, c.layout); got != c.want {
			t.Errorf("%q (layout %d):\n%q\nwant\n%q", c.sql, c.layout, got, c.want)
		}
	}
}
