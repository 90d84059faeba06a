// Package relation renders relation strings the way dbt's adapter
// Relation classes (dbt-adapters' BaseRelation and each adapter's subclass)
// do, and carries the few adapter facts other packages need: the quote
// character, quote and include policies, the dispatch prefix chain, the
// case rules dbt uses when it asks the warehouse whether a relation exists,
// and the shape of the `--empty` wrapper.
//
// The package is pure: no I/O, no global state, and no panics for any input.
// Rules were read from the adapters' sources (dbt-adapters monorepo for
// postgres, redshift, snowflake, bigquery, spark and athena; dbt-databricks,
// dbt-duckdb, dbt-trino, dbt-sqlserver, dbt-fabric, dbt-clickhouse,
// dbt-teradata and dbt-vertica) and checked against the relation_name of
// every node of the shared manifest corpus.
//
// A ref target (model, seed, snapshot) is rendered with [Adapter.ForRef]:
// the adapter's default quote policy overlaid by the project's `quoting:`
// config. A source is rendered with [Adapter.ForSource]: the adapter default
// overlaid by the source's own `quoting:` block only (dbt ≤1.7 and ≥1.9; dbt
// 1.8.x also applied project quoting, and the parse-time relation_name of a
// source in manifest.json always does, see spec §2.3).
package relation
