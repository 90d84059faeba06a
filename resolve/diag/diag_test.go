package diag

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestClosest(t *testing.T) {
	names := []string{"stg_customers", "stg_orders", "customers"}
	if got := Closest("stg_customer", names); got != "stg_customers" {
		t.Errorf("typo: got %q", got)
	}
	if got := Closest("STG_ORDERS", names); got != "stg_orders" {
		t.Errorf("case: got %q", got)
	}
	if got := Closest("payments", names); got != "" {
		t.Errorf("nothing close: got %q", got)
	}
	// Oversized strings: a huge name gets no suggestion, and huge candidates
	// are skipped on length alone (each would otherwise cost len² steps).
	huge := strings.Repeat("x", 1<<20)
	many := make([]string, 1000)
	for i := range many {
		many[i] = huge
	}
	if got := Closest(huge, many); got != "" {
		t.Errorf("huge name: got a suggestion of %d bytes", len(got))
	}
	if got := Closest("customerz", append(many, "customers")); got != "customers" {
		t.Errorf("huge candidates: got %q", got)
	}
}

// TestClosestMatchesPlainLevenshtein: Closest (bounded, rows reused) picks
// what the plain edit distance of the lower-cased strings picks, the first
// of the nearest, over random names.
func TestClosestMatchesPlainLevenshtein(t *testing.T) {
	plain := func(name string, candidates []string) string {
		best, bestD := "", len(name)/2+2
		for _, c := range candidates {
			if d := levenshtein(strings.ToLower(name), strings.ToLower(c)); d < bestD {
				best, bestD = c, d
			}
		}
		return best
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		const letters = "abcdeABCDE_é1"
		b := make([]rune, 1+rnd.IntN(12))
		for i := range b {
			b[i] = []rune(letters)[rnd.IntN(len([]rune(letters)))]
		}
		return string(b)
	}
	for n := 0; n < 2000; n++ {
		cands := make([]string, rnd.IntN(30))
		for i := range cands {
			cands[i] = word()
		}
		name := word()
		if got, want := Closest(name, cands), plain(name, cands); got != want {
			t.Fatalf("Closest(%q, %q) = %q, plain Levenshtein picks %q", name, cands, got, want)
		}
	}
}

// BenchmarkClosest: the suggestion for a missing ref among 20 000 ref
// names of one shape (what a 100 MB project has).
func BenchmarkClosest(b *testing.B) {
	var names []string
	for _, k := range []string{"stg_customers", "stg_orders", "stg_products", "stg_locations", "customers", "orders"} {
		for i := 0; i < 3400; i++ {
			names = append(names, fmt.Sprintf("%s_%04d", k, i))
		}
	}
	for i := 0; i < b.N; i++ {
		if Closest("stg_ordrs_0042", names) != "stg_orders_0042" {
			b.Fatal("no suggestion")
		}
	}
}

// levenshtein is the edit distance between a and b (bytes), the plain
// table: the oracle levenshteinBelow is checked against.
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
