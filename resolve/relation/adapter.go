package relation

import "strings"

// Adapter holds one adapter's rendering facts, as read from its Relation
// class and adapter implementation. Obtain one with [Lookup]; the zero value
// is not useful.
type Adapter struct {
	// Name is the adapter type as written in manifest metadata.adapter_type.
	Name string
	// Known is false for adapters this package has no verified rules for;
	// such an Adapter carries BaseRelation's defaults, and callers should
	// prefer the manifest's relation_name (with a warning) over rendering.
	Known bool
	// QuoteChar opens a quoted part ('"' or '`'; '[' for dbt-fabric ≥1.9.9).
	QuoteChar string
	// QuoteClose closes a quoted part; empty means the same as QuoteChar.
	QuoteClose string
	// EscapeQuotes doubles an embedded closing quote inside a quoted part
	// (dbt-sqlserver ≥1.12, dbt-fabric brackets). BaseRelation does not escape.
	EscapeQuotes bool
	// DefaultQuote is the adapter's default quote policy.
	DefaultQuote Policy
	// Include is the adapter's default include policy (spark, teradata and
	// clickhouse exclude the database).
	Include Policy
	// Lower lower-cases the whole rendered string (databricks).
	Lower bool
	// Style selects the rendering algorithm.
	Style RenderStyle
	// DispatchChain is the adapter.dispatch prefix order before "default"
	// (redshift: redshift, postgres). It never contains "default".
	DispatchChain []string
	// Match is the case rule dbt's get_relation applies when it looks a
	// relation up in the warehouse listing (spec §1.6 item 3).
	CaseRule MatchRule
	// RequireAlias is the Relation's require_alias: whether subquery
	// wrappers (--empty, --sample) get a `_dbt_…_subq_<identifier>` alias.
	RequireAlias bool
	// Empty is the shape of the `--empty` wrapper (see [Adapter.EmptyWrap]).
	Empty EmptyStyle
	// MaxIdentifierLength is the longest identifier dbt accepts for a
	// created relation (0: no check).
	MaxIdentifierLength int
}

// RenderStyle selects how a relation's parts are turned into a string.
type RenderStyle int

const (
	// RenderBase is BaseRelation.render: included, non-null parts, each
	// quoted when its quote policy says so, joined by ".".
	RenderBase RenderStyle = iota
	// RenderClickHouse always backtick-quotes every included non-empty part,
	// backslash-escaping \ ' and ` in parts that are not already quoted,
	// whatever the quote policy says (dbt-clickhouse quote_identifier).
	RenderClickHouse
)

// MatchRule is an adapter's rule for comparing a dev relation's parts with
// the parts of a relation listed by the warehouse.
type MatchRule int

const (
	// MatchLowerUnquoted lower-cases each dev part whose (project) quoting is
	// false, then compares exactly (BaseAdapter._make_match_kwargs).
	MatchLowerUnquoted MatchRule = iota
	// MatchUpperUnquoted strips quotes from already-quoted dev parts and
	// upper-cases unquoted ones, then compares exactly (snowflake).
	MatchUpperUnquoted
	// MatchExact compares exactly (bigquery).
	MatchExact
	// MatchCaseInsensitive compares lower-cased parts (trino, databricks).
	MatchCaseInsensitive
	// MatchIdentifierExact compares schema and identifier exactly and ignores
	// the database (clickhouse has no database level).
	MatchIdentifierExact
)

// EmptyStyle is the shape of the subquery dbt substitutes for a relation
// under `--empty`.
type EmptyStyle int

const (
	// EmptyLimitZero is BaseRelation's `(select * from R where false limit 0)`
	// plus ` _dbt_limit_subq_<identifier>` when RequireAlias.
	EmptyLimitZero EmptyStyle = iota
	// EmptyWhereOneIsZero is dbt-sqlserver ≥1.10: `(select * from R where 1=0)`.
	EmptyWhereOneIsZero
	// EmptySQLServerLegacy is dbt-sqlserver <1.10:
	// `(select * from R where 1=0)  _dbt_limit_subq_<identifier>`.
	EmptySQLServerLegacy
	// EmptyFabricLegacy is dbt-fabric <1.9.9: `(select * from R where 1=0) AS _dbt_limit_subq`.
	EmptyFabricLegacy
	// EmptyFabric is dbt-fabric ≥1.9.9:
	// `(select * from R where 1=0) AS  _dbt_limit_subq_<identifier>`.
	EmptyFabric
	// EmptyTeradata is `(select * from R sample 0) _dbt_limit_subq`.
	EmptyTeradata
)

// closeQuote returns the closing quote string.
func (a Adapter) closeQuote() string {
	if a.QuoteClose != "" {
		return a.QuoteClose
	}
	return a.QuoteChar
}

// Lookup returns the rules for an adapter type (case-insensitive). The rules
// are those of the adapter's current release; use [Adapter.ForVersion] for
// the differences of older releases. An unknown type yields BaseRelation's
// defaults (`"`, quote and include everything, require_alias) with
// Known=false.
func Lookup(adapterType string) Adapter {
	name := strings.ToLower(strings.TrimSpace(adapterType))
	if mk, ok := known[name]; ok {
		a := mk()
		a.Name = name
		a.Known = true
		return a
	}
	a := base()
	a.Name = name
	if name != "" {
		a.DispatchChain = []string{name}
	}
	return a
}

// KnownAdapters lists the adapter types with verified rules, sorted.
func KnownAdapters() []string {
	return []string{"athena", "bigquery", "clickhouse", "databricks", "duckdb", "fabric",
		"postgres", "redshift", "snowflake", "spark", "sqlserver", "teradata", "trino", "vertica"}
}

// base is BaseRelation with BaseAdapter's matching.
func base() Adapter {
	return Adapter{
		QuoteChar:    `"`,
		DefaultQuote: AllParts(),
		Include:      AllParts(),
		RequireAlias: true,
	}
}

// known maps adapter types to constructors, so every Lookup returns fresh
// slices that callers may modify.
var known = map[string]func() Adapter{
	"postgres": func() Adapter {
		a := base() // PostgresRelation keeps BaseRelation's require_alias=True
		a.DispatchChain = []string{"postgres"}
		a.MaxIdentifierLength = 63
		return a
	},
	"redshift": func() Adapter {
		a := base()
		a.DispatchChain = []string{"redshift", "postgres"}
		a.RequireAlias = false
		a.MaxIdentifierLength = 127
		return a
	},
	"snowflake": func() Adapter {
		a := base()
		a.DefaultQuote = Policy{}
		a.DispatchChain = []string{"snowflake"}
		a.CaseRule = MatchUpperUnquoted
		a.RequireAlias = false
		return a
	},
	"bigquery": func() Adapter {
		a := base()
		a.QuoteChar = "`"
		a.DispatchChain = []string{"bigquery"}
		a.CaseRule = MatchExact
		a.RequireAlias = false
		return a
	},
	"spark": func() Adapter {
		a := base()
		a.QuoteChar = "`"
		a.DefaultQuote = Policy{}
		a.Include = Policy{Schema: true, Identifier: true}
		a.DispatchChain = []string{"spark"}
		a.RequireAlias = false
		return a
	},
	"databricks": func() Adapter {
		a := base()
		a.QuoteChar = "`"
		a.Lower = true
		a.DispatchChain = []string{"databricks", "spark"}
		a.CaseRule = MatchCaseInsensitive
		a.RequireAlias = false
		a.MaxIdentifierLength = 255
		return a
	},
	"duckdb": func() Adapter {
		a := base()
		a.DispatchChain = []string{"duckdb"}
		a.RequireAlias = false
		return a
	},
	"trino": func() Adapter {
		a := base()
		a.DispatchChain = []string{"trino"}
		a.CaseRule = MatchCaseInsensitive
		a.RequireAlias = false
		return a
	},
	"athena": func() Adapter {
		a := base()
		a.DispatchChain = []string{"athena"}
		a.RequireAlias = false
		return a
	},
	"sqlserver": func() Adapter {
		a := base()
		a.EscapeQuotes = true
		a.DispatchChain = []string{"sqlserver"}
		a.Empty = EmptyWhereOneIsZero
		a.RequireAlias = false // disable_empty_relation_aliases
		a.MaxIdentifierLength = 127
		return a
	},
	"fabric": func() Adapter {
		a := base()
		a.QuoteChar, a.QuoteClose, a.EscapeQuotes = "[", "]", true
		a.DispatchChain = []string{"fabric"}
		a.Empty = EmptyFabric
		return a
	},
	"clickhouse": func() Adapter {
		a := base()
		a.QuoteChar = "`"
		a.Include = Policy{Schema: true, Identifier: true}
		a.Style = RenderClickHouse
		a.DispatchChain = []string{"clickhouse"}
		a.CaseRule = MatchIdentifierExact
		a.RequireAlias = false
		return a
	},
	"teradata": func() Adapter {
		a := base()
		a.DefaultQuote = Policy{Schema: true, Identifier: true}
		a.Include = Policy{Schema: true, Identifier: true}
		a.DispatchChain = []string{"teradata"}
		a.Empty = EmptyTeradata
		return a
	},
	"vertica": func() Adapter {
		a := base()
		a.DispatchChain = []string{"vertica"}
		a.RequireAlias = false
		return a
	},
}
