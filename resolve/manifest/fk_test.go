package manifest

import (
	"reflect"
	"testing"
)

// TestForeignKeys reads the to: of model- and column-level foreign keys
// (ref forms only; a source is never deferred), each target once.
func TestForeignKeys(t *testing.T) {
	data := []byte(`{"metadata": {"dbt_version": "1.10.0"}, "nodes": {"model.p.orders": {"unique_id": "model.p.orders", "resource_type": "model", "name": "orders",
	  "constraints": [{"type": "foreign_key", "columns": ["c"], "to": "ref('customers')", "to_columns": ["id"]}, {"type": "primary_key", "columns": ["id"]}],
	  "columns": {"a": {"constraints": [{"type": "foreign_key", "to": "ref( \"pkg\" , 'items', v=2)"}, {"type": "not_null"}]},
	              "b": {"constraints": [{"type": "foreign_key", "to": "source('s', 't')"}, {"type": "foreign_key", "to": "ref('customers')"}, {"type": "foreign_key", "expression": "x (id)"}]}}}}}`)
	m, err := Open("m.json", data)
	if err != nil {
		t.Fatal(err)
	}
	n, err := m.Node("model.p.orders")
	if err != nil {
		t.Fatal(err)
	}
	got := m.ForeignKeys(n)
	want := []Ref{{Name: "customers"}, {Package: "pkg", Name: "items", Version: "2", HasVersion: true}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v want %+v", got, want)
	}
}
