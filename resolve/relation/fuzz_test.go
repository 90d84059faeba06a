package relation

import (
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
)

// FuzzRender checks that rendering, matching and wrapping never panic for
// arbitrary parts, quote characters and adapters.
func FuzzRender(f *testing.F) {
	f.Add("postgres", "analytics", "prod", "orders", `"`, uint8(7))
	f.Add("clickhouse", "", "`", "`", "`", uint8(0))
	f.Add("fabric", "a]", "[", "]]", "[", uint8(255))
	f.Add("databricks", "", "", "", "", uint8(3))
	// Real relations: every corpus manifest's adapter with a few of its
	// nodes' and sources' database/schema/identifier.
	for i, s := range corpus.Samples() {
		for j, r := range s.Relations {
			f.Add(s.Adapter, r.Database, r.Schema, r.Identifier, Lookup(s.Adapter).QuoteChar, uint8(i*7+j*31))
		}
	}
	f.Fuzz(func(t *testing.T, adapter, db, schema, id, qc string, bits uint8) {
		a := Lookup(adapter)
		if bits&64 != 0 {
			a.QuoteChar = qc
		}
		q := QuotingOf(Policy{Database: bits&1 != 0, Schema: bits&2 != 0, Identifier: bits&4 != 0})
		p := Parts{Database: db, Schema: schema, Identifier: id, HasDatabase: bits&8 != 0, HasSchema: bits&16 != 0}
		r := a.ForRef(p, q)
		_ = r.Render()
		_ = a.ForSource(Source{Parts: p, SourceName: schema, Quoting: q}).Render()
		_ = a.EmptyWrap(r)
		_ = a.Match(p, q, Parts{Database: id, Schema: db, Identifier: schema, HasDatabase: true, HasSchema: bits&32 != 0})
		_, _ = DuckDBExternalLocation(db+"{"+schema+"%("+id+"$"+qc, []string{"", "oldstyle", "template", "newstyle"}[bits%4], map[string]string{schema: id})
	})
}
