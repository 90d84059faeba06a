package selector

import (
	"encoding/json"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/manifest"
)

// The "shop" fixture of spec §8.1, built as manifest.json bytes. A shop is a
// set of entries that variants mutate before encoding.
type shop struct {
	nodes, sources, macros, exposures map[string]map[string]any
	schema                            string
}

const relTest = "test.shop.relationships_stg_orders_customer_id__customer_id__ref_stg_customers_.c1a2b3"

func model(name, pkg, mat, raw string, deps []string, tags []string, unrendered map[string]any) map[string]any {
	if tags == nil {
		tags = []string{}
	}
	return map[string]any{
		"resource_type": "model", "name": name, "package_name": pkg, "unique_id": "model." + pkg + "." + name,
		"original_file_path": "models/" + name + ".sql", "path": name + ".sql", "patch_path": nil,
		"fqn": []string{pkg, name}, "tags": tags, "raw_code": raw, "language": "sql",
		"checksum":          map[string]any{"name": "sha256", "checksum": "sum-" + raw},
		"config":            map[string]any{"enabled": true, "materialized": mat, "tags": tags, "persist_docs": map[string]any{}, "contract": map[string]any{"enforced": false}},
		"unrendered_config": unrendered,
		"depends_on":        map[string]any{"nodes": deps, "macros": []string{}},
		"description":       "", "columns": map[string]any{},
		"contract": map[string]any{"enforced": false, "alias_types": true, "checksum": nil},
		"access":   "protected", "version": nil, "latest_version": nil, "deprecation_date": nil,
		"created_at": 1700000000.0,
	}
}

func newShop(schema string) *shop {
	s := &shop{nodes: map[string]map[string]any{}, sources: map[string]map[string]any{}, macros: map[string]map[string]any{}, exposures: map[string]map[string]any{}, schema: schema}
	s.nodes["seed.shop.raw_customers"] = map[string]any{
		"resource_type": "seed", "name": "raw_customers", "package_name": "shop", "original_file_path": "seeds/raw_customers.csv",
		"fqn": []string{"shop", "raw_customers"}, "tags": []string{}, "raw_code": "",
		"checksum": map[string]any{"name": "sha256", "checksum": "seed-v1"}, "config": map[string]any{"enabled": true, "materialized": "seed"},
		"unrendered_config": map[string]any{}, "depends_on": map[string]any{"macros": []string{}},
	}
	s.sources["source.shop.raw.orders"] = source("orders")
	add := func(n map[string]any) { s.nodes[n["unique_id"].(string)] = n }
	add(model("stg_orders", "shop", "view", "select * from {{ source('raw','orders') }}", []string{"source.shop.raw.orders"}, []string{"nightly"}, map[string]any{}))
	add(model("stg_customers", "shop", "view", "select * from {{ ref('raw_customers') }}", []string{"seed.shop.raw_customers"}, nil, map[string]any{}))
	add(model("int_orders", "shop", "ephemeral", "select * from {{ ref('stg_orders') }}", []string{"model.shop.stg_orders"}, nil, map[string]any{"materialized": "ephemeral"}))
	fct := model("fct_orders", "shop", "table", "select o.*, c.name, {{ cents_to_dollars('amount') }} from {{ ref('int_orders') }} o join {{ ref('stg_customers') }} c using (customer_id)",
		[]string{"model.shop.int_orders", "model.shop.stg_customers"}, []string{"nightly"}, map[string]any{"materialized": "table"})
	fct["depends_on"] = map[string]any{"nodes": []string{"model.shop.int_orders", "model.shop.stg_customers"}, "macros": []string{"macro.shop.cents_to_dollars"}}
	add(fct)
	for _, v := range []string{"1", "2"} {
		n := model("dim_product", "shop", "table", "select 1 as id", nil, nil, map[string]any{"materialized": "table", "alias": "dim_product_v" + v})
		n["unique_id"] = "model.shop.dim_product.v" + v
		n["fqn"] = []string{"shop", "dim_product", "v" + v}
		n["version"], n["latest_version"] = json.Number(v), json.Number("2")
		s.nodes["model.shop.dim_product.v"+v] = n
	}
	add(model("util_dates", "pkg", "view", "select current_date as d", nil, nil, map[string]any{}))
	s.nodes[relTest] = map[string]any{
		"resource_type": "test", "name": "relationships_stg_orders_customer_id__customer_id__ref_stg_customers_", "package_name": "shop",
		"original_file_path": "models/schema.yml", "fqn": []string{"shop", "relationships_stg_orders_customer_id__customer_id__ref_stg_customers_"},
		"tags": []string{}, "raw_code": "{{ test_relationships(**_dbt_generic_test_kwargs) }}", "checksum": map[string]any{"name": "none", "checksum": ""},
		"config": map[string]any{"enabled": true, "materialized": "test", "severity": "ERROR"}, "unrendered_config": map[string]any{},
		"test_metadata": map[string]any{"name": "relationships", "kwargs": map[string]any{}},
		"depends_on":    map[string]any{"nodes": []string{"model.shop.stg_orders", "model.shop.stg_customers"}, "macros": []string{"macro.dbt.test_relationships"}},
	}
	s.macros["macro.shop.cents_to_dollars"] = macro("cents_to_dollars", "{% macro cents_to_dollars(c) %}({{ c }} / 100)::numeric(16,2){% endmacro %}")
	s.macros["macro.dbt.test_relationships"] = macro("test_relationships", "{% test relationships(model, column_name, to, field) %}select 1{% endtest %}")
	return s
}

func source(table string) map[string]any {
	return map[string]any{
		"resource_type": "source", "name": table, "source_name": "raw", "package_name": "shop", "original_file_path": "models/sources.yml",
		"fqn": []string{"shop", "raw", table}, "tags": []string{}, "database": "raw_db", "schema": "raw", "identifier": table,
		"quoting": map[string]any{}, "freshness": nil, "loaded_at_field": nil, "external": nil,
		"config": map[string]any{"enabled": true}, "unrendered_config": map[string]any{},
	}
}

func macro(name, sql string) map[string]any {
	return map[string]any{"name": name, "resource_type": "macro", "macro_sql": sql, "depends_on": map[string]any{"macros": []string{}}}
}

// devShop is C: the dev manifest.
func devShop() *shop { return newShop("dbt_alice") }

// stateShop is S: prod, plus model.shop.old_model.
func stateShop() *shop {
	s := newShop("prod")
	n := model("old_model", "shop", "view", "select 1", nil, nil, map[string]any{})
	s.nodes["model.shop.old_model"] = n
	return s
}

func (s *shop) bytes(t testing.TB) []byte {
	for _, n := range s.nodes {
		if _, ok := n["schema"]; !ok {
			n["schema"] = s.schema
			n["database"] = "analytics"
		}
	}
	doc := map[string]any{
		"metadata": map[string]any{
			"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json", "dbt_version": "1.10.0",
			"project_name": "shop", "adapter_type": "postgres", "invocation_id": "inv-" + s.schema,
		},
		"nodes": s.nodes, "sources": s.sources, "macros": s.macros, "exposures": s.exposures,
		"metrics": map[string]any{}, "groups": map[string]any{}, "selectors": map[string]any{}, "disabled": map[string]any{},
		"parent_map": map[string]any{}, "child_map": map[string]any{},
		"semantic_models": map[string]any{}, "saved_queries": map[string]any{}, "unit_tests": map[string]any{},
	}
	b, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (s *shop) open(t testing.TB, name string) *manifest.Manifest {
	m, err := manifest.Open(name, s.bytes(t))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
