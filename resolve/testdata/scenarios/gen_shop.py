#!/usr/bin/env python3
"""Writes the "shop" fixture of spec §8.1 (dev = C, state = S) as small v12
manifests. Run once; the outputs are committed. Scenario files patch them."""
import json, hashlib, os

def node(uid, rtype, name, pkg, schema, mat, raw, deps=(), refs=(), srcs=(), alias=None, extra=None, db="analytics"):
    n = {
        "unique_id": uid, "resource_type": rtype, "name": name, "package_name": pkg,
        "path": name + ".sql", "original_file_path": ("models/" if rtype == "model" else rtype + "s/") + name + (".csv" if rtype == "seed" else ".sql"),
        "database": db, "schema": schema, "alias": alias or name,
        "fqn": [pkg, name], "tags": [], "config": {"enabled": True, "materialized": mat},
        "raw_code": raw, "language": "sql",
        "refs": [dict(name=r, package=None, version=None) for r in refs],
        "sources": [list(s) for s in srcs],
        "depends_on": {"macros": [], "nodes": list(deps)},
        "checksum": {"name": "sha256", "checksum": hashlib.sha256(raw.encode()).hexdigest()},
    }
    if rtype in ("model", "seed", "snapshot") and mat != "ephemeral":
        n["relation_name"] = '"%s"."%s"."%s"' % (db, schema, alias or name)
    else:
        n["relation_name"] = None
    if extra:
        n.update(extra)
    return n

def manifest(schema, extra_nodes=()):
    nodes = [
        node("seed.shop.raw_customers", "seed", "raw_customers", "shop", schema, "seed", ""),
        node("model.shop.stg_orders", "model", "stg_orders", "shop", schema, "view", "select * from {{ source('raw','orders') }}", srcs=[("raw", "orders")], deps=["source.shop.raw.orders"]),
        node("model.shop.stg_customers", "model", "stg_customers", "shop", schema, "view", "select * from {{ ref('raw_customers') }}", refs=["raw_customers"], deps=["seed.shop.raw_customers"]),
        node("model.shop.int_orders", "model", "int_orders", "shop", schema, "ephemeral", "select * from {{ ref('stg_orders') }}", refs=["stg_orders"], deps=["model.shop.stg_orders"]),
        node("model.shop.fct_orders", "model", "fct_orders", "shop", schema, "table",
             "select o.*, c.name from {{ ref('int_orders') }} o join {{ ref('stg_customers') }} c using (customer_id)",
             refs=["int_orders", "stg_customers"], deps=["model.shop.int_orders", "model.shop.stg_customers"]),
        node("model.shop.dim_product.v1", "model", "dim_product", "shop", schema, "table", "select 1 as id", alias="dim_product_v1", extra={"version": 1, "latest_version": 2}),
        node("model.shop.dim_product.v2", "model", "dim_product", "shop", schema, "table", "select 1 as id", alias="dim_product_v2", extra={"version": 2, "latest_version": 2}),
        node("model.pkg.util_dates", "model", "util_dates", "pkg", schema, "view", "select current_date as d"),
        node("snapshot.shop.snap_orders", "snapshot", "snap_orders", "shop", "snapshots", "snapshot", "select * from {{ ref('stg_orders') }}", refs=["stg_orders"], deps=["model.shop.stg_orders"]),
        node("test.shop.relationships_stg_orders_customer_id__customer_id__ref_stg_customers_.abc", "test",
             "relationships_stg_orders_customer_id__customer_id__ref_stg_customers_", "shop", schema + "_dbt_test__audit", "test",
             "{{ test_relationships(**_dbt_generic_test_kwargs) }}", refs=["stg_customers", "stg_orders"], deps=["model.shop.stg_customers", "model.shop.stg_orders"]),
    ] + list(extra_nodes)
    return {
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
            "dbt_version": "1.9.4", "generated_at": "2026-01-01T00:00:00Z" if schema == "prod" else "2026-01-02T00:00:00Z",
            "invocation_id": "prod-run-0001" if schema == "prod" else "dev-run-0001",
            "env": {}, "project_name": "shop", "project_id": hashlib.md5(b"shop").hexdigest(), "adapter_type": "postgres",
        },
        "nodes": {n["unique_id"]: n for n in nodes},
        "sources": {"source.shop.raw.orders": {
            "unique_id": "source.shop.raw.orders", "resource_type": "source", "name": "orders", "source_name": "raw",
            "package_name": "shop", "database": "raw_db", "schema": "raw", "identifier": "orders",
            "relation_name": '"raw_db"."raw"."orders"', "quoting": {}, "fqn": ["shop", "raw", "orders"],
            "path": "models/sources.yml", "original_file_path": "models/sources.yml", "config": {"enabled": True}, "tags": [],
        }},
        "macros": {}, "docs": {}, "exposures": {}, "metrics": {}, "groups": {}, "selectors": {}, "disabled": {},
        "parent_map": {}, "child_map": {}, "group_map": {}, "saved_queries": {}, "semantic_models": {}, "unit_tests": {},
    }

here = os.path.dirname(os.path.abspath(__file__))
old = node("model.shop.old_model", "model", "old_model", "shop", "prod", "table", "select 1")
for sub, m in (("dev", manifest("dbt_alice")), ("state", manifest("prod", [old]))):
    os.makedirs(os.path.join(here, "shop", sub), exist_ok=True)
    with open(os.path.join(here, "shop", sub, "manifest.json"), "w") as f:
        json.dump(m, f, indent=1, sort_keys=True)
        f.write("\n")
