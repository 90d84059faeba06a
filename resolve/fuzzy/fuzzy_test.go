package fuzzy

import (
	"reflect"
	"sort"
	"testing"
)

func TestRanking(t *testing.T) {
	names := []string{"stg_orders", "orders", "fct_orders_daily", "customer_orders", "order_items", "stg_payments", "int_ord_rollup"}
	rank := func(q string) []string {
		var hits []string
		for _, n := range names {
			if Score(q, n, nil) != NoMatch {
				hits = append(hits, n)
			}
		}
		sort.SliceStable(hits, func(i, j int) bool { return Score(q, hits[i], nil) > Score(q, hits[j], nil) })
		return hits
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		// the exact name first, then a match at the start, then at a word start
		// last, a scattered match (order_items: the s of items)
		{"orders", []string{"orders", "stg_orders", "customer_orders", "fct_orders_daily", "order_items"}},
		// at a word start, the shorter name first
		{"ORD", []string{"orders", "order_items", "stg_orders", "int_ord_rollup", "customer_orders", "fct_orders_daily"}},
		// scattered: s…t…p
		{"stpay", []string{"stg_payments"}},
		{"zzz", nil},
	} {
		if got := rank(tc.q); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("rank(%q) = %q, want %q", tc.q, got, tc.want)
		}
	}
}

func TestPositions(t *testing.T) {
	var p []int
	if Score("sp", "stg_payments", &p) == NoMatch || !reflect.DeepEqual(p, []int{0, 4}) {
		t.Fatalf("positions %v", p)
	}
	p = p[:0]
	Score("pay", "stg_payments", &p)
	if !reflect.DeepEqual(p, []int{4, 5, 6}) {
		t.Fatalf("substring positions %v", p)
	}
	// multi-byte text: byte offsets, then UTF-16 offsets
	p = p[:0]
	text := "é😀_orders"
	Score("ord", text, &p)
	if !reflect.DeepEqual(p, []int{7, 8, 9}) {
		t.Fatalf("byte positions %v", p)
	}
	UTF16(text, p)
	if !reflect.DeepEqual(p, []int{4, 5, 6}) { // é is 1 unit, 😀 is 2, _ is 1
		t.Fatalf("utf-16 positions %v", p)
	}
}

func TestEmptyQueryMatchesAll(t *testing.T) {
	if Score("", "anything", nil) != 0 {
		t.Fatal("empty query")
	}
}
