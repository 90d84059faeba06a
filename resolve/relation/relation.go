package relation

import (
	"strings"
	"unsafe"
)

// Parts is a relation's path as stored in a manifest node: database, schema
// and identifier (a node's alias, a source's identifier). HasDatabase and
// HasSchema distinguish JSON null (false) from a set value, which may be the
// empty string.
type Parts struct {
	Database, Schema, Identifier string
	HasDatabase, HasSchema       bool
}

// Source is what [Adapter.ForSource] needs from a source node.
type Source struct {
	Parts
	// SourceName is the source's source_name (the `sources:` entry name);
	// dbt-clickhouse replaces a defaulted schema with the database.
	SourceName string
	// Quoting is the source's own `quoting:` block.
	Quoting Quoting
	// External, when not empty, is the string dbt-duckdb renders instead of
	// the path (a formatted external_location; see [DuckDBExternalLocation]).
	External string
}

// Relation is a relation ready to render: a path plus the policies and
// quote characters that apply to it. Build one with [Adapter.ForRef] or
// [Adapter.ForSource]; the fields are exported for inspection and tests.
type Relation struct {
	Parts
	// Quote and Include are the effective quote and include policies.
	Quote, Include Policy
	// QuoteChar and QuoteClose delimit quoted parts (QuoteClose "" = QuoteChar).
	QuoteChar, QuoteClose string
	// EscapeQuotes doubles an embedded closing quote inside quoted parts.
	EscapeQuotes bool
	// Lower lower-cases the whole rendered string.
	Lower bool
	// Style selects the rendering algorithm.
	Style RenderStyle
	// External, when set, replaces the rendered path (dbt-duckdb sources).
	External string
}

// ForRef builds the relation of a ref target (model, seed, snapshot), dev or
// deferred: the adapter's default quote policy overlaid by the project's
// quoting (dbt_project.yml `quoting:` or manifest metadata.quoting).
func (a Adapter) ForRef(p Parts, project Quoting) Relation {
	return a.relation(p, project.Over(a.DefaultQuote))
}

// ForSource builds the relation `source()` renders at compile time: the
// adapter's default quote policy overlaid by the source's own quoting block;
// project quoting is not used (dbt ≤1.7 and ≥1.9). To reproduce a source's
// parse-time relation_name, or dbt 1.8.x's source(), use
// [Adapter.ForSourceWithProject].
func (a Adapter) ForSource(s Source) Relation {
	return a.source(s, s.Quoting.Over(a.DefaultQuote))
}

// ForSourceWithProject builds a source relation with project quoting applied
// under the source's own quoting (adapter default ⊕ project ⊕ source). This
// is how dbt computes sources' relation_name at parse time, and what
// `source()` rendered in dbt 1.8.x.
func (a Adapter) ForSourceWithProject(s Source, project Quoting) Relation {
	return a.source(s, s.Quoting.Over(project.Over(a.DefaultQuote)))
}

func (a Adapter) source(s Source, quote Policy) Relation {
	p := s.Parts
	if a.Style == RenderClickHouse && p.HasDatabase && p.Database != "" && p.HasSchema && p.Schema == s.SourceName {
		// dbt-clickhouse: a schema defaulted to the source name is replaced
		// by the source's database, "presumably what's intended".
		p.Schema = p.Database
	}
	r := a.relation(p, quote)
	r.External = s.External
	return r
}

func (a Adapter) relation(p Parts, quote Policy) Relation {
	if a.Style == RenderClickHouse {
		// ClickHouseRelation forces the database to ''.
		p.Database, p.HasDatabase = "", true
	}
	return Relation{
		Parts:        p,
		Quote:        quote,
		Include:      a.Include,
		QuoteChar:    a.QuoteChar,
		QuoteClose:   a.QuoteClose,
		EscapeQuotes: a.EscapeQuotes,
		Lower:        a.Lower,
		Style:        a.Style,
	}
}

// Render returns the relation string dbt's Relation.render() produces: the
// included, non-null parts, quoted per the quote policy, joined by ".". It
// returns "" when nothing is included.
func (r Relation) Render() string {
	if r.External != "" {
		return r.External
	}
	// One buffer for the whole path: quoting a part in its own string was
	// most of a resolve call's allocations.
	b := make([]byte, 0, len(r.Database)+len(r.Schema)+len(r.Identifier)+6*len(r.QuoteChar)+2)
	b = r.part(b, r.Include.Database, r.HasDatabase, r.Database, r.Quote.Database)
	b = r.part(b, r.Include.Schema, r.HasSchema, r.Schema, r.Quote.Schema)
	b = r.part(b, r.Include.Identifier, true, r.Identifier, r.Quote.Identifier)
	if r.Lower {
		return strings.ToLower(string(b))
	}
	return unsafe.String(unsafe.SliceData(b), len(b)) // b is never written again
}

// String returns [Relation.Render], as dbt's str(relation) does without wrappers.
func (r Relation) String() string { return r.Render() }

func (r Relation) part(b []byte, include, has bool, v string, quote bool) []byte {
	if !include || !has {
		return b
	}
	if r.Style == RenderClickHouse {
		if quote {
			v = string(r.appendQuoted(nil, v))
		}
		if v == "" { // `if part` drops empty parts
			return b
		}
		v = clickhouseQuote(v)
		quote = false
	}
	if len(b) > 0 {
		b = append(b, '.')
	}
	if quote {
		return r.appendQuoted(b, v)
	}
	return append(b, v...)
}

// appendQuoted appends v between the quote characters, an embedded closing
// quote doubled when EscapeQuotes is set.
func (r Relation) appendQuoted(b []byte, v string) []byte {
	closeq := r.QuoteClose
	if closeq == "" {
		closeq = r.QuoteChar
	}
	b = append(b, r.QuoteChar...)
	if r.EscapeQuotes && closeq != "" {
		for {
			i := strings.Index(v, closeq)
			if i < 0 {
				break
			}
			b = append(b, v[:i+len(closeq)]...)
			b = append(b, closeq...)
			v = v[i+len(closeq):]
		}
	}
	b = append(b, v...)
	return append(b, closeq...)
}

// clickhouseQuote is dbt-clickhouse's quote_identifier: a part already
// wrapped in ` or " is kept, anything else is backtick-quoted with \ ' and `
// backslash-escaped.
func clickhouseQuote(v string) string {
	if f := v[0]; (f == '`' || f == '"') && v[len(v)-1] == f {
		return v
	}
	var b strings.Builder
	b.WriteByte('`')
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '\\' || c == '\'' || c == '`' {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	b.WriteByte('`')
	return b.String()
}
