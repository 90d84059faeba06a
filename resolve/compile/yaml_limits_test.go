package compile

import (
	"errors"
	"strings"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/jinja"
	"gopkg.in/yaml.v3"
)

// laughs is a "billion laughs" document: 700 bytes whose aliases expand to
// 9^9 values.
func laughs() string {
	var b strings.Builder
	b.WriteString("a: &a [x, x, x, x, x, x, x, x, x]\n")
	prev := "a"
	for _, c := range "bcdefghi" {
		name := string(c)
		b.WriteString(name + ": &" + name + " [")
		for i := 0; i < 9; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*" + prev)
		}
		b.WriteString("]\n")
		prev = name
	}
	return b.String()
}

// TestYAMLAliasBomb: fromyaml and dbt_project.yml parsing stop a document
// whose aliases expand past MaxYAMLValues with a clear error instead of
// expanding for ever; a document with a few aliases still reads.
func TestYAMLAliasBomb(t *testing.T) {
	doc := laughs()
	_, err := fromYAMLFunc(nil, []jinja.Value{jinja.Str(doc)}, nil)
	var de *diag.Error
	if !errors.As(err, &de) || de.Code != CodeYAMLTooLarge || !strings.Contains(de.Message, "100000 values") {
		t.Fatalf("fromyaml: %v", err)
	}
	if _, err := ParseProjectYAML([]byte("name: x\nvars:\n" + strings.ReplaceAll("  "+doc, "\n", "\n  "))); !errors.As(err, &de) || de.Code != CodeYAMLTooLarge {
		t.Fatalf("dbt_project.yml: %v", err)
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("base: &b {k: 1}\nx: *b\ny: [*b, *b]\n"), &n); err != nil {
		t.Fatal(err)
	}
	v, err := YAMLToGoLimited(&n, MaxYAMLValues)
	om, _ := v.(*OrderedMap)
	if err != nil || om == nil || len(om.Keys) != 3 {
		t.Fatalf("small aliases: %v %v", v, err)
	}
	// The bound counts every value made: 1 document + 1 mapping + 3 keys' values...
	if _, err := YAMLToGoLimited(&n, 5); err == nil {
		t.Error("a 5-value bound did not stop a 10-value document")
	}
}
