package resolve

import (
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/internal/synth"
)

// BenchmarkResolveRef is one ref() resolution (lookup, decision, rendering)
// on the synthetic 100 MB pair, with a prepared call (as an IDE does per ref).
func BenchmarkResolveRef(b *testing.B) {
	dev, prod, err := synth.Pair(100)
	if err != nil {
		b.Skip(err)
	}
	p, err := Open(Inputs{Manifest: dev, State: prod})
	if err != nil {
		b.Fatal(err)
	}
	c, _, err := p.NewCall("customers_0500", Options{Defer: deferral.FavorState})
	if err != nil {
		b.Fatal(err)
	}
	spec := RefSpec{Kind: "ref", Name: "stg_customers_0500"}
	if _, err := p.ResolveOne(c, spec); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.ResolveOne(c, spec); err != nil {
			b.Fatal(err)
		}
	}
}
