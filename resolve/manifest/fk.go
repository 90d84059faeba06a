package manifest

import (
	"regexp"

	"github.com/valyala/fastjson"
)

// fkTo reads a foreign-key constraint's to: expression (dbt 1.9+):
// ref('name'), ref('package', 'name'), with an optional v=/version=.
var fkTo = regexp.MustCompile(`^\s*ref\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"]\s*)?(?:,\s*(?:v|version)\s*=\s*['"]?([\w.]+)['"]?\s*)?\)\s*$`)

// ForeignKeys lists the refs named by the to: of the node's foreign-key
// constraints (model-level and column-level, in file order, each once).
// It reads the entry's JSON again: resolution never needs it.
func (m *Manifest) ForeignKeys(n *Node) []Ref {
	if len(n.Raw) == 0 {
		return nil
	}
	p := m.parsers.Get()
	defer m.parsers.Put(p)
	v, err := p.ParseBytes(n.Raw)
	if err != nil {
		return nil
	}
	var out []Ref
	seen := map[Ref]bool{}
	take := func(list []*fastjson.Value) {
		for _, c := range list {
			if str(c, "type") != "foreign_key" {
				continue
			}
			mm := fkTo.FindStringSubmatch(str(c, "to"))
			if mm == nil {
				continue
			}
			r := Ref{Name: mm[1], Version: mm[3], HasVersion: mm[3] != ""}
			if mm[2] != "" {
				r.Package, r.Name = mm[1], mm[2]
			}
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	take(v.GetArray("constraints"))
	if cols := v.GetObject("columns"); cols != nil {
		cols.Visit(func(_ []byte, col *fastjson.Value) { take(col.GetArray("constraints")) })
	}
	return out
}
