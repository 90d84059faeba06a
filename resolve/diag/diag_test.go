package diag

import (
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
