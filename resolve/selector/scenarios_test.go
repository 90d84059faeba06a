package selector

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

const (
	seed    = "seed.shop.raw_customers"
	src     = "source.shop.raw.orders"
	stgO    = "model.shop.stg_orders"
	stgC    = "model.shop.stg_customers"
	intO    = "model.shop.int_orders"
	fct     = "model.shop.fct_orders"
	dimV1   = "model.shop.dim_product.v1"
	dimV2   = "model.shop.dim_product.v2"
	newSrc  = "source.shop.raw.payments"
	expo    = "exposure.shop.weekly_report"
	utilDts = "model.pkg.util_dates"
)

// scenario is one selection on the shop fixture. want is derived by hand
// from dbt-core's selector.py / selector_methods.py / nodes.py (see the
// comments), not from this package's output; the golden file additionally
// records the Why of every member and is refreshed with UPDATE_GOLDEN=1.
type scenario struct {
	id, desc string
	dev      func(*shop) // mutation of C (nil: the base fixture)
	state    func(*shop) // mutation of S
	args     []string
	opt      Options
	want     []string
	wantWarn string // substring of a warning
	wantErr  string
}

func addExposure(s *shop, owner string) {
	s.exposures[expo] = map[string]any{
		"resource_type": "exposure", "name": "weekly_report", "package_name": "shop", "original_file_path": "models/exposures.yml",
		"fqn": []string{"shop", "weekly_report"}, "type": "dashboard", "owner": map[string]any{"email": owner}, "maturity": "high",
		"url": nil, "description": "", "label": nil, "tags": []string{}, "config": map[string]any{"enabled": true}, "unrendered_config": map[string]any{},
		"depends_on": map[string]any{"nodes": []string{fct}, "macros": []string{}},
	}
}

func enforce(n map[string]any, checksum string, cols map[string]string) {
	n["contract"] = map[string]any{"enforced": true, "alias_types": true, "checksum": checksum}
	c := map[string]any{}
	for k, v := range cols {
		c[k] = map[string]any{"name": k, "data_type": v, "constraints": []any{}, "description": ""}
	}
	n["columns"] = c
}

var scenarios = []scenario{
	// 59: +fct_orders → all ancestors; the relationships test is a child of
	// the selected stg_orders/stg_customers (eager). run keeps models.
	{id: "59", desc: "+fct_orders (ls)", args: []string{"+fct_orders"}, opt: Options{IncludeEmpty: true},
		want: []string{fct, intO, stgC, stgO, relTest, seed, src}},
	{id: "59-run", desc: "+fct_orders (run: models)", args: []string{"+fct_orders"}, opt: Options{ResourceTypes: []string{"model"}},
		want: []string{fct, intO, stgC, stgO}},
	// 60: one generation of parents; eager adds the test (stg_customers is
	// one of its parents), cautious drops it (stg_orders is not selected).
	{id: "60", desc: "1+fct_orders eager", args: []string{"1+fct_orders"}, want: []string{fct, intO, stgC, relTest}},
	{id: "60-cautious", desc: "1+fct_orders cautious", args: []string{"1+fct_orders"}, opt: Options{Indirect: IndirectCautious}, want: []string{fct, intO, stgC}},
	// 61: @ = descendants and all their ancestors.
	{id: "61", desc: "@stg_orders", args: []string{"@stg_orders"}, opt: Options{IncludeEmpty: true},
		want: []string{fct, intO, stgC, stgO, relTest, seed, src}},
	// 62: indirect selection modes.
	{id: "62-eager", desc: "stg_customers eager", args: []string{"stg_customers"}, want: []string{stgC, relTest}},
	{id: "62-cautious", desc: "stg_customers cautious", args: []string{"stg_customers"}, opt: Options{Indirect: IndirectCautious}, want: []string{stgC}},
	{id: "62-buildable", desc: "stg_customers buildable", args: []string{"stg_customers"}, opt: Options{Indirect: IndirectBuildable}, want: []string{stgC}},
	{id: "62-empty", desc: "stg_customers empty", args: []string{"stg_customers"}, opt: Options{Indirect: IndirectEmpty}, want: []string{stgC}},
	{id: "62-buildable-both", desc: "stg_customers+ stg_orders buildable", args: []string{"stg_customers stg_orders"}, opt: Options{Indirect: IndirectBuildable}, want: []string{stgC, stgO, relTest}},
	// 63: exclusions expand to tests the same way (eager).
	{id: "63", desc: "fct_orders stg_orders --exclude stg_orders", args: []string{"fct_orders stg_orders"}, opt: Options{Exclude: []string{"stg_orders"}}, want: []string{fct}},
	// 64: intersection; the test reached from tag:nightly (stg_orders) is
	// not in the config.materialized:table set.
	{id: "64", desc: "tag:nightly,config.materialized:table", args: []string{"tag:nightly,config.materialized:table"}, want: []string{fct}},
	// 65: dbt expands state:modified to tests too (eager), so the test of
	// stg_orders is selected; with indirect selection empty it is not.
	{id: "65", desc: "state:modified after editing stg_orders", dev: editStgOrders, args: []string{"state:modified"}, want: []string{stgO, relTest}},
	{id: "65-empty", desc: "state:modified (indirect empty)", dev: editStgOrders, args: []string{"state:modified"}, opt: Options{Indirect: IndirectEmpty}, want: []string{stgO}},
	{id: "65-plus", desc: "state:modified+", dev: editStgOrders, args: []string{"state:modified+"}, want: []string{fct, intO, stgO, relTest}},
	{id: "65-body", desc: "state:modified.body", dev: editStgOrders, args: []string{"state:modified.body"}, opt: Options{Indirect: IndirectEmpty}, want: []string{stgO}},
	// 66: a new source is state:new, not state:modified (same_contents(None) is true for sources).
	{id: "66-new", desc: "new source: state:new", dev: addSource, args: []string{"state:new"}, want: []string{newSrc}},
	{id: "66-modified", desc: "new source: state:modified", dev: addSource, args: []string{"state:modified"}, want: nil, wantWarn: "does not match any enabled nodes"},
	// 67: +materialized: view puts the key into unrendered_config of the
	// previously unconfigured root-project views.
	{id: "67", desc: "+materialized: view", dev: explicitView, args: []string{"state:modified"}, opt: Options{Indirect: IndirectEmpty}, want: []string{stgC, stgO}},
	{id: "67-configs", desc: "+materialized: view, modified.configs", dev: explicitView, args: []string{"state:modified.configs"}, opt: Options{Indirect: IndirectEmpty}, want: []string{stgC, stgO}},
	// 68: macro body change → its caller; a new unused macro → nothing.
	{id: "68", desc: "macro_sql change", dev: editMacro, args: []string{"state:modified"}, opt: Options{Indirect: IndirectEmpty}, want: []string{fct}},
	{id: "68-macros", desc: "macro_sql change, modified.macros", dev: editMacro, args: []string{"state:modified.macros"}, opt: Options{Indirect: IndirectEmpty}, want: []string{fct}},
	{id: "68-new-macro", desc: "new unused macro", dev: func(s *shop) { s.macros["macro.shop.unused"] = macro("unused", "{% macro unused() %}1{% endmacro %}") }, args: []string{"state:modified"}, want: nil, wantWarn: "no nodes selected"},
	{id: "68-nested", desc: "macro called through another macro", dev: func(s *shop) {
		s.macros["macro.shop.cents_to_dollars"]["depends_on"] = map[string]any{"macros": []string{"macro.shop.helper"}}
		s.macros["macro.shop.helper"] = macro("helper", "{% macro helper() %}2{% endmacro %}")
	}, state: func(s *shop) {
		s.macros["macro.shop.cents_to_dollars"]["depends_on"] = map[string]any{"macros": []string{"macro.shop.helper"}}
		s.macros["macro.shop.helper"] = macro("helper", "{% macro helper() %}1{% endmacro %}")
	}, args: []string{"state:modified"}, opt: Options{Indirect: IndirectEmpty}, want: []string{fct}},

	// dbt-core test_modified_state.py expectations (spec §6.3).
	{id: "6.3-seed", desc: "seed contents changed", dev: func(s *shop) { s.nodes[seed]["checksum"] = map[string]any{"name": "sha256", "checksum": "seed-v2"} },
		args: []string{"state:modified"}, opt: Options{Indirect: IndirectEmpty, IncludeEmpty: true}, want: []string{seed}},
	{id: "6.3-seed-plus", desc: "seed contents changed, state:modified+", dev: func(s *shop) { s.nodes[seed]["checksum"] = map[string]any{"name": "sha256", "checksum": "seed-v2"} },
		args: []string{"state:modified+"}, opt: Options{IncludeEmpty: true}, want: []string{seed, fct, stgC, relTest}},
	{id: "6.3-seed-quote", desc: "seed quote_columns changed", dev: func(s *shop) { s.nodes[seed]["unrendered_config"] = map[string]any{"quote_columns": true} },
		args: []string{"state:modified"}, opt: Options{IncludeEmpty: true}, want: []string{seed}},
	{id: "6.3-unmodified", desc: "state:unmodified after editing stg_orders", dev: editStgOrders,
		args: []string{"state:unmodified"}, opt: Options{Indirect: IndirectEmpty, IncludeEmpty: true}, want: []string{seed, src, stgC, intO, fct, dimV1, dimV2, utilDts, relTest}},
	{id: "6.3-exclude-unmodified", desc: "--exclude state:unmodified", dev: editStgOrders,
		args: nil, opt: Options{Exclude: []string{"state:unmodified"}, ResourceTypes: []string{"model"}}, want: []string{stgO}},
	{id: "6.3-exposure", desc: "exposure owner changed: +state:modified (run)", dev: func(s *shop) { addExposure(s, "new@shop") }, state: func(s *shop) { addExposure(s, "old@shop") },
		args: []string{"+state:modified"}, opt: Options{ResourceTypes: []string{"model"}}, want: []string{fct, intO, stgC, stgO}},
	{id: "6.3-exposure-exclude", desc: "exposure owner changed: --exclude state:unmodified (run)", dev: func(s *shop) { addExposure(s, "new@shop") }, state: func(s *shop) { addExposure(s, "old@shop") },
		args: nil, opt: Options{Exclude: []string{"state:unmodified"}, ResourceTypes: []string{"model"}}, want: nil, wantWarn: "no nodes selected"},
	{id: "6.3-contract-enabled", desc: "contract enforced", dev: func(s *shop) { enforce(s.nodes[fct], "abc", map[string]string{"id": "int"}) },
		args: []string{"state:modified.contract"}, opt: Options{Indirect: IndirectEmpty}, want: []string{fct}},
	{id: "6.3-contract-breaking", desc: "column removed from an enforced contract (unversioned: warning)",
		dev:   func(s *shop) { enforce(s.nodes[fct], "abc2", map[string]string{"id": "int"}) },
		state: func(s *shop) { enforce(s.nodes[fct], "abc", map[string]string{"id": "int", "name": "text"}) },
		args:  []string{"state:modified"}, opt: Options{Indirect: IndirectEmpty}, want: []string{fct}, wantWarn: "breaking change to an unversioned model"},
	{id: "6.3-contract-size", desc: "varchar size increase is not breaking",
		dev:   func(s *shop) { enforce(s.nodes[fct], "abc2", map[string]string{"id": "varchar(20)"}) },
		state: func(s *shop) { enforce(s.nodes[fct], "abc", map[string]string{"id": "varchar(10)"}) },
		args:  []string{"state:modified.contract"}, opt: Options{Indirect: IndirectEmpty}, want: []string{fct}},
	{id: "6.3-contract-versioned", desc: "breaking change on a versioned model is an error",
		dev:   func(s *shop) { enforce(s.nodes[dimV2], "abc2", map[string]string{"id": "int"}) },
		state: func(s *shop) { enforce(s.nodes[dimV2], "abc", map[string]string{"id": "int", "name": "text"}) },
		args:  []string{"state:modified"}, wantErr: "breaking change to an enforced contract"},
	{id: "6.3-access", desc: "access changed", dev: func(s *shop) { s.nodes[stgC]["access"] = "public" },
		args: []string{"state:modified"}, opt: Options{Indirect: IndirectEmpty}, want: []string{stgC}},
	{id: "6.3-deprecation", desc: "deprecation_date set", dev: func(s *shop) { s.nodes[stgC]["deprecation_date"] = "2030-01-01T00:00:00Z" },
		args: []string{"state:modified"}, opt: Options{Indirect: IndirectEmpty}, want: []string{stgC}},
	{id: "6.3-latest-version", desc: "latest_version bumped: every version modified", dev: func(s *shop) {
		s.nodes[dimV1]["latest_version"] = "1"
		s.nodes[dimV2]["latest_version"] = "1"
	}, args: []string{"state:modified"}, opt: Options{Indirect: IndirectEmpty}, want: []string{dimV1, dimV2}},
	{id: "6.3-env-rendered", desc: "env-dependent rendered config but same unrendered config: not modified", dev: func(s *shop) {
		s.nodes[fct]["config"].(map[string]any)["schema"] = "dev_schema"
	}, args: []string{"state:modified"}, want: nil, wantWarn: "no nodes selected"},
	{id: "6.3-generic-test-sql", desc: "generic test: raw_code is not compared", dev: func(s *shop) { s.nodes[relTest]["raw_code"] = "{{ other() }}" },
		args: []string{"state:modified"}, opt: Options{Indirect: IndirectEmpty}, want: nil, wantWarn: "no nodes selected"},
	{id: "6.3-old", desc: "state:old excludes new nodes", dev: addSource, args: []string{"state:old"}, opt: Options{Indirect: IndirectEmpty, ResourceTypes: []string{"source"}}, want: []string{src}},

	// Other methods.
	{id: "m-version", desc: "version:latest", args: []string{"version:latest"}, want: []string{dimV2}},
	{id: "m-version-old", desc: "version:old", args: []string{"version:old"}, want: []string{dimV1}},
	{id: "m-fqn-versioned", desc: "dim_product_v1", args: []string{"dim_product_v1"}, want: []string{dimV1}},
	{id: "m-fqn-name", desc: "dim_product (all versions)", args: []string{"dim_product"}, want: []string{dimV1, dimV2}},
	{id: "m-package", desc: "package:pkg", args: []string{"package:pkg"}, want: []string{utilDts}},
	{id: "m-package-this", desc: "package:this,resource_type:seed", args: []string{"package:this,resource_type:seed"}, want: []string{seed}},
	{id: "m-source", desc: "source:raw.orders+1", args: []string{"source:raw.orders+1"}, want: []string{src, stgO, relTest}},
	{id: "m-path", desc: "models/stg_*", args: []string{"models/stg_*"}, want: []string{stgC, stgO, relTest}},
	{id: "m-file", desc: "stg_orders.sql", args: []string{"stg_orders.sql"}, opt: Options{Indirect: IndirectEmpty}, want: []string{stgO}},
	{id: "m-test-type", desc: "test_type:generic", args: []string{"test_type:generic"}, want: []string{relTest}},
	{id: "m-test-name", desc: "test_name:relation*", args: []string{"test_name:relation*"}, want: []string{relTest}},
	{id: "m-fqn-glob", desc: "shop.stg_*", args: []string{"shop.stg_*"}, opt: Options{Indirect: IndirectEmpty}, want: []string{stgC, stgO}},
	{id: "m-config-severity", desc: "config.severity:error", args: []string{"config.severity:error"}, want: []string{relTest}},
	{id: "m-default", desc: "no selector: fqn:* source:* exposure:* metric:* semantic_model:*", args: nil, opt: Options{IncludeEmpty: true},
		want: []string{seed, src, stgO, stgC, intO, fct, dimV1, dimV2, utilDts, relTest}},
	{id: "m-empty-body", desc: "run drops empty nodes", dev: func(s *shop) { s.nodes[stgC]["raw_code"] = "  \n" }, args: []string{"stg_customers"}, opt: Options{Indirect: IndirectEmpty}, want: nil},
	{id: "m-no-state", desc: "state method without comparison manifest", args: []string{"state:modified"}, wantErr: "Got a state selector method, but no comparison manifest"},
}

func editStgOrders(s *shop) {
	s.nodes[stgO]["raw_code"] = "select *, 1 as x from {{ source('raw','orders') }}"
}

func addSource(s *shop) { s.sources[newSrc] = source("payments") }

func explicitView(s *shop) {
	for _, n := range s.nodes {
		if n["resource_type"] == "model" && n["package_name"] == "shop" {
			u := n["unrendered_config"].(map[string]any)
			if _, ok := u["materialized"]; !ok {
				u["materialized"] = "view"
			}
		}
	}
}

func editMacro(s *shop) {
	s.macros["macro.shop.cents_to_dollars"]["macro_sql"] = "{% macro cents_to_dollars(c) %}round({{ c }} / 100, 2){% endmacro %}"
}

func TestScenarios(t *testing.T) {
	var golden strings.Builder
	for _, sc := range scenarios {
		dev, st := devShop(), stateShop()
		if sc.dev != nil {
			sc.dev(dev)
		}
		if sc.state != nil {
			sc.state(st)
		}
		g := NewGraph(dev.open(t, "dev/manifest.json"))
		opt := sc.opt
		if sc.id != "m-no-state" {
			opt.State = st.open(t, "prod/manifest.json")
		}
		res, err := Select(g, sc.args, opt)
		fmt.Fprintf(&golden, "== %s: %s\n$ select %s", sc.id, sc.desc, strings.Join(sc.args, " "))
		if len(opt.Exclude) > 0 {
			fmt.Fprintf(&golden, " --exclude %s", strings.Join(opt.Exclude, " "))
		}
		if opt.Indirect != "" {
			fmt.Fprintf(&golden, " --indirect-selection %s", opt.Indirect)
		}
		golden.WriteString("\n")
		if sc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), sc.wantErr) {
				t.Errorf("%s: error = %v, want %q", sc.id, err, sc.wantErr)
			} else {
				fmt.Fprintf(&golden, "error: %s\n", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", sc.id, err)
			continue
		}
		var got []string
		for _, n := range res.Nodes {
			got = append(got, n.UniqueID)
			fmt.Fprintf(&golden, "%s  # %s\n", n.UniqueID, strings.Join(n.Why, "; "))
		}
		for _, w := range res.Warnings {
			fmt.Fprintf(&golden, "warning: %s\n", w.Message)
		}
		want := append([]string(nil), sc.want...)
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("%s (%s): got %v, want %v", sc.id, sc.desc, got, want)
		}
		if sc.wantWarn != "" {
			found := false
			for _, w := range res.Warnings {
				if strings.Contains(w.Message, sc.wantWarn) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: no warning containing %q in %v", sc.id, sc.wantWarn, res.Warnings)
			}
		}
	}
	path := filepath.Join("testdata", "scenarios.golden")
	if os.Getenv("UPDATE_GOLDEN") != "" {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(golden.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	if string(want) != golden.String() {
		t.Errorf("golden mismatch in %s (UPDATE_GOLDEN=1 refreshes it after review); got:\n%s", path, golden.String())
	}
}
