package relation

import (
	"reflect"
	"testing"
)

func bp(b bool) *bool { return &b }

func p3(db, schema, id string) Parts {
	return Parts{Database: db, Schema: schema, Identifier: id, HasDatabase: true, HasSchema: true}
}

// Spec §2.2 examples: database analytics, schema prod, alias orders.
func TestAdapterExamples(t *testing.T) {
	for _, tc := range []struct{ adapter, want string }{
		{"postgres", `"analytics"."prod"."orders"`},
		{"redshift", `"analytics"."prod"."orders"`},
		{"duckdb", `"analytics"."prod"."orders"`},
		{"snowflake", `analytics.prod.orders`},
		{"bigquery", "`analytics`.`prod`.`orders`"},
		{"spark", `prod.orders`},
		{"databricks", "`analytics`.`prod`.`orders`"},
		{"trino", `"analytics"."prod"."orders"`},
		{"athena", `"analytics"."prod"."orders"`},
		{"vertica", `"analytics"."prod"."orders"`},
		{"sqlserver", `"analytics"."prod"."orders"`},
		{"fabric", `[analytics].[prod].[orders]`},
		{"teradata", `"prod"."orders"`},
		{"clickhouse", "`prod`.`orders`"},
		{"Postgres", `"analytics"."prod"."orders"`},
		{"some_new_adapter", `"analytics"."prod"."orders"`},
	} {
		a := Lookup(tc.adapter)
		if got := a.ForRef(p3("analytics", "prod", "orders"), Quoting{}).Render(); got != tc.want {
			t.Errorf("%s: got %s want %s", tc.adapter, got, tc.want)
		}
	}
}

func TestKnown(t *testing.T) {
	for _, n := range KnownAdapters() {
		if a := Lookup(n); !a.Known || a.Name != n || len(a.DispatchChain) == 0 || a.DispatchChain[0] != n {
			t.Errorf("%s: %+v", n, a)
		}
	}
	u := Lookup("materialize")
	if u.Known || u.QuoteChar != `"` || u.Include != AllParts() || u.DefaultQuote != AllParts() || !u.RequireAlias ||
		!reflect.DeepEqual(u.DispatchChain, []string{"materialize"}) {
		t.Errorf("unknown adapter defaults: %+v", u)
	}
	// Lookup returns fresh slices.
	a := Lookup("redshift")
	a.DispatchChain[0] = "x"
	if Lookup("redshift").DispatchChain[0] != "redshift" {
		t.Error("Lookup shares DispatchChain")
	}
}

// Scenario 52 and §3.5: dispatch prefixes.
func TestDispatchChain(t *testing.T) {
	for _, tc := range []struct {
		adapter string
		want    []string
	}{
		{"postgres", []string{"postgres"}},
		{"redshift", []string{"redshift", "postgres"}},
		{"snowflake", []string{"snowflake"}},
		{"bigquery", []string{"bigquery"}},
		{"spark", []string{"spark"}},
		{"databricks", []string{"databricks", "spark"}},
		{"duckdb", []string{"duckdb"}},
		{"sqlserver", []string{"sqlserver"}},
	} {
		if got := Lookup(tc.adapter).DispatchChain; !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v", tc.adapter, got)
		}
	}
	if got := Lookup("sqlserver").ForVersion("1.9.2").DispatchChain; !reflect.DeepEqual(got, []string{"sqlserver", "fabric"}) {
		t.Errorf("sqlserver 1.9: %v", got)
	}
	if got := Lookup("sqlserver").WithMacroPackages([]string{"dbt", "dbt_fabric", "dbt_sqlserver"}).DispatchChain; !reflect.DeepEqual(got, []string{"sqlserver", "fabric"}) {
		t.Errorf("sqlserver with dbt_fabric macros: %v", got)
	}
	if got := Lookup("sqlserver").ForVersion("1.9.2").WithMacroPackages([]string{"dbt", "dbt_sqlserver"}).DispatchChain; !reflect.DeepEqual(got, []string{"sqlserver"}) {
		t.Errorf("sqlserver without dbt_fabric macros: %v", got)
	}
}

func TestRender(t *testing.T) {
	pg, sf := Lookup("postgres"), Lookup("snowflake")
	idFalse := Quoting{Identifier: bp(false)}
	for _, tc := range []struct {
		name string
		got  Relation
		want string
	}{
		// Scenario 26: project quoting {identifier: false} on postgres.
		{"26 ref dev", pg.ForRef(p3("analytics", "dbt_alice", "stg_customers"), idFalse), `"analytics"."dbt_alice".stg_customers`},
		{"26 ref deferred", pg.ForRef(p3("analytics", "prod", "stg_customers"), idFalse), `"analytics"."prod".stg_customers`},
		{"26 source ignores project quoting", pg.ForSource(Source{Parts: p3("raw_db", "raw", "orders")}), `"raw_db"."raw"."orders"`},
		{"26 source relation_name (parse time)", pg.ForSourceWithProject(Source{Parts: p3("raw_db", "raw", "orders")}, idFalse), `"raw_db"."raw".orders`},
		{"source's own quoting wins", pg.ForSourceWithProject(Source{Parts: p3("raw_db", "raw", "orders"), Quoting: Quoting{Identifier: bp(true)}}, idFalse), `"raw_db"."raw"."orders"`},
		{"source's own quoting", pg.ForSource(Source{Parts: p3("raw_db", "raw", "orders"), Quoting: Quoting{Schema: bp(false)}}), `"raw_db".raw."orders"`},
		// Scenario 48: snowflake renders case as stored, unquoted.
		{"48 snowflake", sf.ForRef(p3("ANALYTICS", "PROD", "STG_ORDERS"), Quoting{}), `ANALYTICS.PROD.STG_ORDERS`},
		{"snowflake quoted identifier", sf.ForRef(p3("ANALYTICS", "PROD", "Stg"), Quoting{Identifier: bp(true)}), `ANALYTICS.PROD."Stg"`},
		// Scenario 49.
		{"49 bigquery", Lookup("bigquery").ForRef(p3("proj", "prod", "stg_orders"), Quoting{}), "`proj`.`prod`.`stg_orders`"},
		// Scenario 50: databricks lower-cases the whole string.
		{"50 databricks", Lookup("databricks").ForRef(p3("Main", "Prod", "Stg_Orders"), Quoting{}), "`main`.`prod`.`stg_orders`"},
		{"databricks null database omitted", Lookup("databricks").ForRef(Parts{Schema: "prod", HasSchema: true, Identifier: "x"}, Quoting{}), "`prod`.`x`"},
		// Scenario 51: spark never renders the database.
		{"51 spark", Lookup("spark").ForRef(p3("anything", "prod", "stg_orders"), Quoting{}), `prod.stg_orders`},
		{"spark project quoting", Lookup("spark").ForRef(p3("", "prod", "stg_orders"), QuotingOf(AllParts())), "`prod`.`stg_orders`"},
		{"null database and schema", pg.ForRef(Parts{Identifier: "x"}, Quoting{}), `"x"`},
		{"empty database kept", pg.ForRef(Parts{HasDatabase: true, Schema: "s", HasSchema: true, Identifier: "x"}, Quoting{}), `""."s"."x"`},
		{"no escaping in base", pg.ForRef(p3("d", "s", `a"b`), Quoting{}), `"d"."s"."a"b"`},
		{"sqlserver doubles quotes", Lookup("sqlserver").ForRef(p3("d", "s", `a"b`), Quoting{}), `"d"."s"."a""b"`},
		{"fabric brackets", Lookup("fabric").ForRef(p3("d", "s", `a]b`), Quoting{}), `[d].[s].[a]]b]`},
		{"fabric 1.9", Lookup("fabric").ForVersion("1.9.4").ForRef(p3("dbthouse", "dbt_m", "m"), Quoting{}), `"dbthouse"."dbt_m"."m"`},
		{"fabric cloud 2024", Lookup("fabric").ForVersion("2024.12.20+6d69506").ForRef(p3("dbthouse", "dbt_m", "m"), Quoting{}), `"dbthouse"."dbt_m"."m"`},
		{"athena 1.3", Lookup("athena").ForVersion("1.3.2").ForRef(p3("awsdatacatalog", "analytics_dev", "model"), Quoting{}), `analytics_dev.model`},
		{"athena 1.8", Lookup("athena").ForVersion("1.8.0").ForRef(p3("awsdatacatalog", "analytics_dev", "model"), Quoting{}), `"awsdatacatalog"."analytics_dev"."model"`},
		{"teradata", Lookup("teradata").ForRef(p3("jaffle_shop", "jaffle_shop", "dim_customers"), Quoting{}), `"jaffle_shop"."dim_customers"`},
		{"clickhouse ignores quote policy", Lookup("clickhouse").ForRef(p3("", "staging", "stg_orders"), QuotingOf(Policy{})), "`staging`.`stg_orders`"},
		{"clickhouse escapes", Lookup("clickhouse").ForRef(p3("", "s", "a`b"), QuotingOf(Policy{})), "`s`.`a\\`b`"},
		{"clickhouse source schema defaulted to source name", Lookup("clickhouse").ForSource(Source{Parts: p3("raw", "src", "orders"), SourceName: "src"}), "`raw`.`orders`"},
		{"clickhouse source explicit schema", Lookup("clickhouse").ForSource(Source{Parts: p3("raw", "other", "orders"), SourceName: "src"}), "`other`.`orders`"},
		{"duckdb external", Lookup("duckdb").ForSource(Source{Parts: p3("db", "s", "t"), External: "'../data/*.json'"}), "'../data/*.json'"},
	} {
		if got := tc.got.Render(); got != tc.want {
			t.Errorf("%s: got %s want %s", tc.name, got, tc.want)
		}
		if tc.got.String() != tc.got.Render() {
			t.Errorf("%s: String differs from Render", tc.name)
		}
	}
}

// Scenario 53 and the per-adapter --empty shapes.
func TestEmptyWrap(t *testing.T) {
	rel := func(a Adapter) string {
		return a.EmptyWrap(a.ForRef(p3("analytics", "prod", "stg_customers"), Quoting{}))
	}
	for _, tc := range []struct{ adapter, version, want string }{
		{"postgres", "", `(select * from "analytics"."prod"."stg_customers" where false limit 0) _dbt_limit_subq_stg_customers`},
		{"snowflake", "", `(select * from analytics.prod.stg_customers where false limit 0)`},
		{"redshift", "", `(select * from "analytics"."prod"."stg_customers" where false limit 0)`},
		{"bigquery", "", "(select * from `analytics`.`prod`.`stg_customers` where false limit 0)"},
		{"sqlserver", "", `(select * from "analytics"."prod"."stg_customers" where 1=0)`},
		{"sqlserver", "1.8.0", `(select * from "analytics"."prod"."stg_customers" where 1=0)  _dbt_limit_subq_stg_customers`},
		{"fabric", "", `(select * from [analytics].[prod].[stg_customers] where 1=0) AS  _dbt_limit_subq_stg_customers`},
		{"fabric", "1.8.0", `(select * from "analytics"."prod"."stg_customers" where 1=0) AS _dbt_limit_subq`},
		{"teradata", "", `(select * from "prod"."stg_customers" sample 0) _dbt_limit_subq`},
		{"unknown", "", `(select * from "analytics"."prod"."stg_customers" where false limit 0) _dbt_limit_subq_stg_customers`},
	} {
		a := Lookup(tc.adapter)
		if tc.version != "" {
			a = a.ForVersion(tc.version)
		}
		if got := rel(a); got != tc.want {
			t.Errorf("%s %s: got %s\nwant %s", tc.adapter, tc.version, got, tc.want)
		}
	}
	// The alias is the relation's own (deferred) identifier, not lower-cased.
	db := Lookup("databricks")
	db.RequireAlias = true
	if got := db.EmptyWrap(db.ForRef(p3("M", "P", "Orders_V2"), Quoting{})); got != "(select * from `m`.`p`.`orders_v2` where false limit 0) _dbt_limit_subq_Orders_V2" {
		t.Error(got)
	}
}

func TestMatch(t *testing.T) {
	none := Quoting{}
	for _, tc := range []struct {
		name    string
		adapter string
		project Quoting
		dev     Parts
		listed  Parts
		want    MatchResult
	}{
		// Scenario 48: snowflake upper-cases unquoted dev parts.
		{"48 snowflake", "snowflake", none, p3("analytics", "dbt_alice", "stg_customers"), p3("ANALYTICS", "DBT_ALICE", "STG_CUSTOMERS"), Exact},
		{"snowflake quoted project", "snowflake", QuotingOf(AllParts()), p3("analytics", "dbt_alice", "stg_customers"), p3("ANALYTICS", "DBT_ALICE", "STG_CUSTOMERS"), Approximate},
		{"snowflake quoted part stripped", "snowflake", none, p3("ANALYTICS", "DBT_ALICE", `"Mixed"`), p3("ANALYTICS", "DBT_ALICE", "Mixed"), Exact},
		{"snowflake other table", "snowflake", none, p3("a", "b", "c"), p3("A", "B", "D"), NoMatch},
		// Scenario 49: bigquery is case-exact.
		{"49 bigquery exact", "bigquery", none, p3("proj", "prod", "stg_orders"), p3("proj", "prod", "stg_orders"), Exact},
		{"49 bigquery case differs", "bigquery", none, p3("proj", "prod", "stg_orders"), p3("proj", "prod", "STG_ORDERS"), NoMatch},
		// Default adapters lower-case parts whose project quoting is false.
		{"postgres quoted default", "postgres", none, p3("analytics", "dbt_alice", "Stg"), p3("analytics", "dbt_alice", "Stg"), Exact},
		{"postgres quoted, case differs", "postgres", none, p3("analytics", "dbt_alice", "Stg"), p3("analytics", "dbt_alice", "stg"), Approximate},
		{"postgres unquoted lower-cased", "postgres", Quoting{Identifier: bp(false)}, p3("analytics", "dbt_alice", "Stg"), p3("analytics", "dbt_alice", "stg"), Exact},
		{"postgres null listed database", "postgres", none, p3("analytics", "dbt_alice", "stg"), Parts{Schema: "dbt_alice", HasSchema: true, Identifier: "stg"}, Exact},
		{"spark ignores database", "spark", none, p3("x", "dbt_alice", "Stg"), p3("y", "dbt_alice", "stg"), Exact},
		{"trino case-insensitive", "trino", none, p3("Cat", "S", "T"), p3("cat", "s", "t"), Exact},
		{"databricks case-insensitive", "databricks", none, p3("Main", "S", "T"), p3("main", "s", "t"), Exact},
		{"clickhouse identifier exact", "clickhouse", none, p3("", "s", "t"), p3("other", "s", "t"), Exact},
		{"clickhouse case", "clickhouse", none, p3("", "s", "t"), p3("", "s", "T"), NoMatch},
	} {
		a := Lookup(tc.adapter)
		if got := a.Match(tc.dev, tc.project, tc.listed); got != tc.want {
			t.Errorf("%s: got %v want %v", tc.name, got, tc.want)
		}
		if a.SameRelation(tc.dev, tc.project, tc.listed) != (tc.want == Exact) {
			t.Errorf("%s: SameRelation disagrees with Match", tc.name)
		}
	}
}

func TestQuotingOver(t *testing.T) {
	q := Quoting{Schema: bp(false)}
	if got := q.Over(AllParts()); got != (Policy{Database: true, Identifier: true}) {
		t.Error(got)
	}
	if !(Quoting{}).IsZero() || q.IsZero() {
		t.Error("IsZero")
	}
}

func TestProjectQuotingYAML(t *testing.T) {
	q := projectQuotingFromYAML([]byte("name: x\nquoting:\n    database: false\n    identifier: true # c\n\nmodels:\n  schema: true\n"))
	if q.Database == nil || *q.Database || q.Identifier == nil || !*q.Identifier || q.Schema != nil {
		t.Errorf("%+v", q)
	}
}

func TestDuckDBExternalLocation(t *testing.T) {
	vars := map[string]string{"name": "orders", "identifier": "orders", "schema": "raw", "database": "None", "root": "s3://b"}
	for _, tc := range []struct{ tmpl, formatter, want string }{
		{"../data/raw/*.json", "", "'../data/raw/*.json'"},
		{"{root}/{name}.parquet", "newstyle", "'s3://b/orders.parquet'"},
		{"read_csv('{root}/{{x}}.csv')", "", "read_csv('s3://b/{x}.csv')"},
		{"%(root)s/%(name)s_100%%.csv", "oldstyle", "'s3://b/orders_100%.csv'"},
		{"${root}/$name.csv", "template", "'s3://b/orders.csv'"},
		{"'already'", "", "'already'"},
	} {
		got, err := DuckDBExternalLocation(tc.tmpl, tc.formatter, vars)
		if err != nil || got != tc.want {
			t.Errorf("%q %q: got %q, %v; want %q", tc.tmpl, tc.formatter, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ tmpl, formatter string }{
		{"{missing}", ""}, {"{name:>3}", ""}, {"%(name)d", "oldstyle"}, {"$", "template"}, {"x", "bogus"},
	} {
		if _, err := DuckDBExternalLocation(tc.tmpl, tc.formatter, vars); err == nil {
			t.Errorf("%q %q: want error", tc.tmpl, tc.formatter)
		}
	}
}

func TestCoreMinor(t *testing.T) {
	for _, tc := range []struct {
		v      string
		ma, mi int
		ok     bool
	}{
		{"1.10.3", 1, 10, true}, {"1.5.0b5", 1, 5, true}, {"2.0.0-preview.25", 2, 0, true},
		{"2024.12.20+6d69506", 1, 9, true}, {"PREVIOUS", 0, 0, false}, {"", 0, 0, false},
	} {
		ma, mi, ok := coreMinor(tc.v)
		if ma != tc.ma || mi != tc.mi || ok != tc.ok {
			t.Errorf("%q: %d %d %v", tc.v, ma, mi, ok)
		}
	}
}
