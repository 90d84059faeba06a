package jinja

import (
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// pformat is Python's pprint.pformat(v) (width 80, indent 1, sort_dicts),
// which Jinja2's pprint filter returns: the repr when it fits, otherwise
// dicts, lists and tuples one item per line and long strings split at
// whitespace into implicitly concatenated literals.
func pformat(v Value) string {
	var b strings.Builder
	pp := &pprinter{b: &b}
	pp.format(v, 0, 0, 0)
	return b.String()
}

const pprintWidth = 80

type pprinter struct{ b *strings.Builder }

func pyLen(s string) int { return utf8.RuneCountInString(s) }

// sortedItems orders dict items as pprint's _safe_key does: by the keys'
// natural order when they compare, else by type name (ties keep their order).
func sortedItems(d *Dict) ([]Value, []Value) {
	idx := make([]int, len(d.keys))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ka, kb := d.keys[idx[a]], d.keys[idx[b]]
		if c, ok := compareOrder(ka, kb); ok {
			return c < 0
		}
		return "<class '"+ka.typeName()+"'>" < "<class '"+kb.typeName()+"'>"
	})
	ks, vs := make([]Value, len(idx)), make([]Value, len(idx))
	for i, j := range idx {
		ks[i], vs[i] = d.keys[j], d.vals[j]
	}
	return ks, vs
}

// safeRepr is pprint's _safe_repr: repr with dict items sorted.
func safeRepr(b *strings.Builder, v Value, depth int) {
	if depth > 100 {
		b.WriteString("...")
		return
	}
	switch v.kind {
	case KindDict:
		ks, vs := sortedItems(v.ref.(*Dict))
		b.WriteByte('{')
		for i := range ks {
			if i > 0 {
				b.WriteString(", ")
			}
			safeRepr(b, ks[i], depth+1)
			b.WriteString(": ")
			if vs[i].kind == KindDict && vs[i].ref == v.ref {
				b.WriteString("<Recursion on dict>")
				continue
			}
			safeRepr(b, vs[i], depth+1)
		}
		b.WriteByte('}')
	case KindList, KindTuple:
		items := v.ref.(*List).Items
		open, close := "[", "]"
		if v.kind == KindTuple {
			open, close = "(", ")"
			if len(items) == 1 {
				close = ",)"
			}
		}
		b.WriteString(open)
		for i, it := range items {
			if i > 0 {
				b.WriteString(", ")
			}
			if (it.kind == KindList || it.kind == KindTuple) && it.ref == v.ref {
				b.WriteString("<Recursion on list>")
				continue
			}
			safeRepr(b, it, depth+1)
		}
		b.WriteString(close)
	default:
		writeRepr(b, v, depth)
	}
}

func (p *pprinter) repr(v Value) string {
	var b strings.Builder
	safeRepr(&b, v, 0)
	return b.String()
}

// format is PrettyPrinter._format.
func (p *pprinter) format(v Value, indent, allowance, level int) {
	rep := p.repr(v)
	if level > 100 || pyLen(rep) <= pprintWidth-indent-allowance {
		p.b.WriteString(rep)
		return
	}
	switch {
	case v.kind == KindDict:
		p.b.WriteByte('{')
		if d := v.ref.(*Dict); d.Len() > 0 {
			ks, vs := sortedItems(d)
			p.dictItems(ks, vs, indent, allowance+1, level+1)
		}
		p.b.WriteByte('}')
	case v.kind == KindList:
		p.b.WriteByte('[')
		p.items(v.ref.(*List).Items, indent, allowance+1, level+1)
		p.b.WriteByte(']')
	case v.kind == KindTuple:
		end := ")"
		if len(v.ref.(*List).Items) == 1 {
			end = ",)"
		}
		p.b.WriteByte('(')
		p.items(v.ref.(*List).Items, indent, allowance+len(end), level+1)
		p.b.WriteString(end)
	case v.kind == KindString && !v.safe && v.s != "":
		p.str(v.s, indent, allowance, level+1)
	default:
		p.b.WriteString(rep)
	}
}

// dictItems is _format_dict_items.
func (p *pprinter) dictItems(ks, vs []Value, indent, allowance, level int) {
	indent++
	for i := range ks {
		last := i == len(ks)-1
		rep := p.repr(ks[i])
		p.b.WriteString(rep)
		p.b.WriteString(": ")
		a := 1
		if last {
			a = allowance
		}
		p.format(vs[i], indent+pyLen(rep)+2, a, level)
		if !last {
			p.b.WriteString(",\n" + strings.Repeat(" ", indent))
		}
	}
}

// items is _format_items (compact=False): one item per line.
func (p *pprinter) items(items []Value, indent, allowance, level int) {
	indent++
	for i, it := range items {
		if i > 0 {
			p.b.WriteString(",\n" + strings.Repeat(" ", indent))
		}
		a := 1
		if i == len(items)-1 {
			a = allowance
		}
		p.format(it, indent, a, level)
	}
}

var pprintWords = regexp.MustCompile(`\S*\s*`)

// splitLinesKeepEnds is str.splitlines(True) for \n, \r\n and \r.
func splitLinesKeepEnds(s string) []string {
	var out []string
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			out = append(out, s)
			break
		}
		j := i + 1
		if s[i] == '\r' && j < len(s) && s[j] == '\n' {
			j++
		}
		out = append(out, s[:j])
		s = s[j:]
	}
	return out
}

// str is _pprint_str: each line, and each too-long line split after runs of
// whitespace, becomes its own literal; at the top level they are wrapped in
// parentheses.
func (p *pprinter) str(s string, indent, allowance, level int) {
	var chunks []string
	lines := splitLinesKeepEnds(s)
	if level == 1 {
		indent++
		allowance++
	}
	maxWidth1 := pprintWidth - indent
	maxWidth := maxWidth1
	for i, line := range lines {
		rep := quotePy(line)
		if i == len(lines)-1 {
			maxWidth1 -= allowance
		}
		if pyLen(rep) <= maxWidth1 {
			chunks = append(chunks, rep)
			continue
		}
		parts := pprintWords.FindAllString(line, -1)
		if len(parts) > 0 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
		maxWidth2 := maxWidth
		current := ""
		for j, part := range parts {
			candidate := current + part
			if j == len(parts)-1 && i == len(lines)-1 {
				maxWidth2 -= allowance
			}
			if pyLen(quotePy(candidate)) > maxWidth2 {
				if current != "" {
					chunks = append(chunks, quotePy(current))
				}
				current = part
			} else {
				current = candidate
			}
		}
		if current != "" {
			chunks = append(chunks, quotePy(current))
		}
	}
	if len(chunks) == 1 {
		p.b.WriteString(quotePy(s))
		return
	}
	if level == 1 {
		p.b.WriteByte('(')
	}
	for i, c := range chunks {
		if i > 0 {
			p.b.WriteString("\n" + strings.Repeat(" ", indent))
		}
		p.b.WriteString(c)
	}
	if level == 1 {
		p.b.WriteByte(')')
	}
}
