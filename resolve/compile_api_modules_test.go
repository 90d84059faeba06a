package resolve

import (
	"fmt"
	"strings"
	"testing"
)

// miniManifest is a one-model manifest of the given dbt version and adapter.
func miniManifest(t *testing.T, dbtVersion, adapter string) *Project {
	return miniManifestWith(t, dbtVersion, adapter, "")
}

// miniManifestWith adds nodes (JSON members, each starting with a comma).
func miniManifestWith(t *testing.T, dbtVersion, adapter, extraNodes string) *Project {
	t.Helper()
	m := fmt.Sprintf(`{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
  "dbt_version": %q, "adapter_type": %q, "project_name": "p", "generated_at": "2023-01-03T20:13:49.941739Z"},
 "nodes": {"model.p.m": {"unique_id": "model.p.m", "resource_type": "model", "name": "m", "package_name": "p",
  "database": "db", "schema": "s", "alias": "m", "fqn": ["p", "m"], "raw_code": "select 1",
  "config": {"materialized": "view"}, "depends_on": {"nodes": [], "macros": []}}%s},
 "sources": {}, "macros": {}, "exposures": {}, "metrics": {}, "parent_map": {}, "child_map": {}}`, dbtVersion, adapter, extraNodes)
	p, err := Open(Inputs{Manifest: []byte(m)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func compileSnippet(t *testing.T, p *Project, req CompileRequest, sql string) string {
	t.Helper()
	req.SQL = &sql
	r, err := p.Compile(req)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return r.SQL
}

// TestBigQueryTranslateTypeByVersion: dbt-bigquery's BigQueryColumn.TYPE_LABELS
// was {STRING, TIMESTAMP, FLOAT→FLOAT64, INTEGER→INT64, RECORD} (BOOLEAN from
// 1.3) until 1.7.0rc1, then {TEXT→STRING, FLOAT→FLOAT64, INTEGER→INT64}; so
// dbt.type_timestamp() is "TIMESTAMP" on 1.5 and "timestamp" on 1.7 (both seen
// in the corpus's elementary models).
func TestBigQueryTranslateTypeByVersion(t *testing.T) {
	const tpl = "{% for t in ['timestamp', 'string', 'text', 'boolean', 'float', 'integer', 'record'] %}{{ api.Column.translate_type(t) }} {% endfor %}"
	for _, c := range []struct{ version, want string }{
		{"1.1.0", "TIMESTAMP STRING text boolean FLOAT64 INT64 RECORD "},
		{"1.5.0rc1", "TIMESTAMP STRING text BOOLEAN FLOAT64 INT64 RECORD "},
		{"1.6.9", "TIMESTAMP STRING text BOOLEAN FLOAT64 INT64 RECORD "},
		{"1.7.0", "timestamp string STRING boolean FLOAT64 INT64 record "},
		{"1.10.2", "timestamp string STRING boolean FLOAT64 INT64 record "},
	} {
		if got := compileSnippet(t, miniManifest(t, c.version, "bigquery"), CompileRequest{}, tpl); got != c.want {
			t.Errorf("dbt-bigquery %s: got %q want %q", c.version, got, c.want)
		}
	}
}

// TestDatetimeArithmetic checks modules.datetime against Python's datetime
// (expected values from CPython 3).
func TestDatetimeArithmetic(t *testing.T) {
	p := miniManifest(t, "1.8.0", "postgres")
	req := CompileRequest{Now: "2023-01-03T20:13:49.941739Z"}
	for _, c := range []struct{ tpl, want string }{
		// dbt_expectations test kwargs: date.today() - timedelta(365)
		{"{{ modules.datetime.date.today() - modules.datetime.timedelta(365) }}", "2022-01-03"},
		{"{{ modules.datetime.date.today() - modules.datetime.timedelta(2) }}", "2023-01-01"},
		{"{{ modules.datetime.date.today() + modules.datetime.timedelta(hours=-1) }}", "2023-01-02"},
		{"{{ modules.datetime.timedelta(days=1) + modules.datetime.date.today() }}", "2023-01-04"},
		// elementary: run_started_at - timedelta(days_back)
		{"{{ (run_started_at - modules.datetime.timedelta(14)).strftime('%Y-%m-%d 00:00:00') }}", "2022-12-20 00:00:00"},
		{"{{ modules.datetime.datetime(2024, 3, 1) - modules.datetime.datetime(2024, 2, 1) }}", "29 days, 0:00:00"},
		{"{{ (modules.datetime.datetime(2024, 3, 1) - modules.datetime.datetime(2024, 2, 1)).days }}", "29"},
		{"{{ modules.datetime.timedelta(seconds=-1) }}", "-1 day, 23:59:59"},
		{"{{ modules.datetime.timedelta(seconds=-1).days }} {{ modules.datetime.timedelta(seconds=-1).seconds }}", "-1 86399"},
		{"{{ modules.datetime.timedelta(hours=1, microseconds=5) }}", "1:00:00.000005"},
		{"{{ modules.datetime.timedelta(days=2) * 3 }}", "6 days, 0:00:00"},
		{"{{ modules.datetime.timedelta(days=1) - modules.datetime.timedelta(hours=1) }}", "23:00:00"},
		{"{{ modules.datetime.date(2024, 1, 2) > modules.datetime.date(2024, 1, 1) }}", "True"},
		{"{{ modules.datetime.timedelta(1) == modules.datetime.timedelta(hours=24) }}", "True"},
		{"{{ modules.datetime.datetime.now() }}", "2023-01-03 20:13:49.941739"},
	} {
		if got := compileSnippet(t, p, req, c.tpl); got != c.want {
			t.Errorf("%s: got %q want %q", c.tpl, got, c.want)
		}
	}
	sql := "{{ modules.datetime.timedelta(1) - modules.datetime.date(2024, 1, 1) }}"
	req.SQL = &sql
	if _, err := p.Compile(req); err == nil {
		t.Errorf("timedelta - date: want Python's TypeError")
	}
}

// TestGraphSetdefault: dbt's graph is a dict; elementary's on-run-start
// stores its run cache with graph.setdefault("elementary", {...}) and reads
// it back with graph.get / graph["elementary"] (Python dict semantics).
func TestGraphSetdefault(t *testing.T) {
	p := miniManifest(t, "1.8.0", "postgres")
	for _, c := range []struct{ tpl, want string }{
		{"{% do graph.setdefault('elementary', {'tables': []}) %}{{ graph.setdefault('elementary', 2) }} {{ graph.get('elementary') }} {{ graph['elementary'].tables }}", "{'tables': []} {'tables': []} []"},
		{"{% set c = graph.setdefault('cache') %}{{ c }} {{ 'cache' in graph.keys() }}", "None True"},
		{"{{ graph.setdefault('nodes', 1) is mapping }} {{ graph.get('missing', 'd') }}", "True d"},
		{"{% do graph.setdefault('x', []).append(1) %}{% do graph.setdefault('x', []).append(2) %}{{ graph.x }}", "[1, 2]"},
	} {
		if got := compileSnippet(t, p, CompileRequest{}, c.tpl); got != c.want {
			t.Errorf("%s: got %q want %q", c.tpl, got, c.want)
		}
	}
}

// TestOnRunEndRunResults: on-run-end hooks see the run's `schemas`,
// `database_schemas` and `results` (dbt's RunTask.after_run); what ran is not
// in a manifest, so they are empty and the render is not self-contained.
// Other nodes do not have them (undefined, as in dbt).
func TestOnRunEndRunResults(t *testing.T) {
	op := func(uid string) string {
		return fmt.Sprintf(`, %q: {"unique_id": %q, "resource_type": "operation", "name": "h", "package_name": "p",
  "database": "db", "schema": "s", "fqn": ["p", "hooks", "h"], "raw_code": "x", "config": {}, "depends_on": {"nodes": [], "macros": []}}`, uid, uid)
	}
	p := miniManifestWith(t, "1.8.0", "snowflake", op("operation.p.p-on-run-end-1")+op("operation.p.p-on-run-start-0"))
	tpl := "{% for s in schemas %}grant usage on schema {{ s }};{% endfor %}{{ results | length }} {{ database_schemas }}"
	r, err := p.Compile(CompileRequest{Model: "operation.p.p-on-run-end-1", SQL: &tpl})
	if err != nil {
		t.Fatal(err)
	}
	if r.SQL != "0 []" || r.SelfContained || len(r.Outside) == 0 || !strings.Contains(r.Outside[0], "on-run-end") {
		t.Errorf("on-run-end: sql %q self-contained %v outside %v", r.SQL, r.SelfContained, r.Outside)
	}
	tpl = "{{ schemas is defined }} {{ results is defined }}"
	for _, uid := range []string{"operation.p.p-on-run-start-0", "model.p.m"} {
		r, err = p.Compile(CompileRequest{Model: uid, SQL: &tpl})
		if err != nil || r.SQL != "False False" || !r.SelfContained {
			t.Errorf("%s: %+v %v", uid, r, err)
		}
	}
}

// TestPythonSet: dbt's set() is Python's set (of its operators Jinja has only
// -; fsc_utils does set(value.fqn).intersection(node_paths)); expected values
// from CPython.
func TestPythonSet(t *testing.T) {
	p := miniManifest(t, "1.8.0", "postgres")
	for _, c := range []struct{ tpl, want string }{
		{"{{ set(['a', 'b', 'c']).intersection(['c', 'x', 'a']) | sort }}", "['a', 'c']"},
		{"{{ 'models' in set(['p', 'models']) }} {{ 'x' in set(['p']) }}", "True False"},
		{"{{ set([1, 1, 2]) | length }} {{ set([]) }} {{ set([]) | list }} {{ not set([]) }}", "2 set() [] True"},
		{"{{ set([1, 2]).issubset([1, 2, 3]) }} {{ set([1, 2]).issuperset([3]) }} {{ set([1]).isdisjoint([2]) }}", "True False True"},
		{"{{ set([1, 2]) - set([2]) }} {{ set([1, 2]).symmetric_difference([2, 3]) | sort }}", "{1} [1, 3]"},
		{"{{ set([1, 2]).union([2, 3], [4]) | sort }} {{ set([1, 2]).difference([1]) }}", "[1, 2, 3, 4] {2}"},
		{"{% set s = set([1]) %}{% do s.add(2) %}{% do s.update([3, 1]) %}{% do s.discard(9) %}{{ s | sort }}", "[1, 2, 3]"},
		{"{{ set([1, True, 1.0]) | length }} {{ set([1, 2]) == set([2, 1]) }}", "1 True"},
		{"{{ set(5) }} {{ set(none, 'dflt') }}", "None dflt"},
	} {
		if got := compileSnippet(t, p, CompileRequest{}, c.tpl); got != c.want {
			t.Errorf("%s: got %q want %q", c.tpl, got, c.want)
		}
	}
	bad := "{{ set_strict(5) }}"
	if _, err := p.Compile(CompileRequest{SQL: &bad}); err == nil {
		t.Error("set_strict(5): want TypeError")
	}
}

// TestGenericTestKwargsNative: dbt renders every string kwarg of a generic
// test natively (add_rendered_test_kwargs → get_rendered(native=True), which
// skips no plain string), so Jinja drops one trailing newline. Since dbt
// 0.17.1 (quoted_native_concat) the text stays a string unless a lone
// {{ expr }} gives a value or an as_number/as_bool/as_native mark asks for a
// literal; before, anything that read as a Python literal became one.
// column_name alone is never rendered.
func TestGenericTestKwargsNative(t *testing.T) {
	const node = `,
 "test.p.t": {"unique_id": "test.p.t", "resource_type": "test", "name": "t", "package_name": "p",
  "database": "db", "schema": "s", "alias": "t", "fqn": ["p", "t"], "raw_code": "{{ test_x(**_dbt_generic_test_kwargs) }}",
  "config": {}, "depends_on": {"nodes": [], "macros": []},
  "test_metadata": {"name": "x", "kwargs": {"args": "{'a':'b'}, TRUE\n", "n": "3\n", "column_name": "c\n", "l": "[1, 2]\n\n",
   "e": "{{ 1 + 2 }}\n", "m": "{{ '7' | as_number }}", "s": "{{ '7' }}"}}}`
	k := "_dbt_generic_test_kwargs"
	sql := "{{ " + k + ".args }}|{{ " + k + ".n ~ '' }}:{{ " + k + ".n is string }}|{{ " + k + ".column_name }}|{{ " + k + ".l is string }}|" +
		"{{ " + k + ".e is number }}|{{ " + k + ".m is number }}|{{ " + k + ".s is string }}"
	for _, c := range []struct{ version, want string }{
		{"1.8.0", "{'a':'b'}, TRUE|3:True|c\n|True|True|True|True"},
		{"0.16.0", "{'a':'b'}, TRUE|3:False|c\n|False|True|True|False"},
	} {
		p := miniManifestWith(t, c.version, "snowflake", node)
		if got := compileSnippet(t, p, CompileRequest{Model: "test.p.t"}, sql); got != c.want {
			t.Errorf("dbt %s: got %q, want %q", c.version, got, c.want)
		}
	}
}

// TestDuckDBExternalSource: dbt-duckdb renders a source whose meta (or
// source config extra) has external_location as that location, formatted
// with the source's name, identifier, schema and meta keys and single-quoted
// unless it is a function call (DuckDBRelation.create_from_source).
func TestDuckDBExternalSource(t *testing.T) {
	m := `{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json", "dbt_version": "1.10.0", "adapter_type": "duckdb", "project_name": "p"},
 "nodes": {"model.p.m": {"unique_id": "model.p.m", "resource_type": "model", "name": "m", "package_name": "p", "database": "db", "schema": "main", "alias": "m",
  "raw_code": "select 1", "config": {"materialized": "view"}, "depends_on": {"nodes": [], "macros": []}}},
 "sources": {
  "source.p.raw.orders": {"unique_id": "source.p.raw.orders", "resource_type": "source", "name": "orders", "source_name": "raw", "package_name": "p",
   "database": "db", "schema": "raw", "identifier": "orders_tbl", "meta": {"external_location": "s3://bucket/{schema}/{name}.parquet"}, "config": {"enabled": true}},
  "source.p.raw.items": {"unique_id": "source.p.raw.items", "resource_type": "source", "name": "items", "source_name": "raw", "package_name": "p",
   "database": "db", "schema": "raw", "identifier": "items", "meta": {}, "config": {"enabled": true, "external_location": "read_csv('{identifier}.csv')"}},
  "source.p.raw.plain": {"unique_id": "source.p.raw.plain", "resource_type": "source", "name": "plain", "source_name": "raw", "package_name": "p",
   "database": "db", "schema": "raw", "identifier": "plain", "meta": {"owner": "x"}, "config": {"enabled": true}}},
 "macros": {}, "exposures": {}, "metrics": {}, "parent_map": {}, "child_map": {}}`
	p, err := Open(Inputs{Manifest: []byte(m)})
	if err != nil {
		t.Fatal(err)
	}
	got := compileSnippet(t, p, CompileRequest{Model: "m"}, "{{ source('raw', 'orders') }}|{{ source('raw', 'items') }}|{{ source('raw', 'plain') }}")
	if want := `'s3://bucket/raw/orders.parquet'|read_csv('items.csv')|"db"."raw"."plain"`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
