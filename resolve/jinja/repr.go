package jinja

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Repr renders v as Python's repr() does: lists and dicts print their items
// this way, so {{ ['a', 1.0] }} must give ['a', 1.0] byte for byte.
func (v Value) Repr() string {
	var b strings.Builder
	writeRepr(&b, v, 0)
	return b.String()
}

func writeRepr(b *strings.Builder, v Value, depth int) {
	if depth > 100 {
		b.WriteString("...")
		return
	}
	switch v.kind {
	case KindUndefined:
		b.WriteString("Undefined")
	case KindNone:
		b.WriteString("None")
	case KindBool:
		if v.n != 0 {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case KindInt:
		b.WriteString(strconv.FormatInt(v.n, 10))
	case KindFloat:
		b.WriteString(formatFloat(v.AsFloat()))
	case KindString:
		if v.safe {
			b.WriteString("Markup(")
			b.WriteString(quotePy(v.s))
			b.WriteString(")")
		} else {
			b.WriteString(quotePy(v.s))
		}
	case KindList, KindTuple:
		items := v.ref.(*List).Items
		if v.kind == KindList {
			b.WriteByte('[')
		} else {
			b.WriteByte('(')
		}
		for i, it := range items {
			if i > 0 {
				b.WriteString(", ")
			}
			if it.kind == KindList && it.ref == v.ref {
				b.WriteString("[...]")
				continue
			}
			writeRepr(b, it, depth+1)
		}
		if v.kind == KindList {
			b.WriteByte(']')
		} else {
			if len(items) == 1 {
				b.WriteByte(',')
			}
			b.WriteByte(')')
		}
	case KindDict:
		d := v.ref.(*Dict)
		b.WriteByte('{')
		for i := range d.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, d.keys[i], depth+1)
			b.WriteString(": ")
			if d.vals[i].kind == KindDict && d.vals[i].ref == v.ref {
				b.WriteString("{...}")
				continue
			}
			writeRepr(b, d.vals[i], depth+1)
		}
		b.WriteByte('}')
	case KindMacro:
		fmt.Fprintf(b, "<Macro '%s'>", v.ref.(*Macro).Name)
	case KindFunc:
		b.WriteString("<function>")
	case KindObject:
		if r, ok := v.ref.(interface{ Repr() string }); ok {
			b.WriteString(r.Repr())
		} else if s, ok := v.ref.(fmt.Stringer); ok {
			b.WriteString(s.String())
		} else {
			b.WriteString("<object>")
		}
	}
}

// formatFloat follows Python's float repr: the shortest round-tripping digits,
// scientific notation when the exponent is < -4 or >= 16, and ".0" on integers.
func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // like -1.2345e+06
	neg := false
	if e[0] == '-' {
		neg = true
		e = e[1:]
	}
	mant, expS, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expS)
	digits := strings.Replace(mant, ".", "", 1)
	var out string
	if exp < -4 || exp >= 16 {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		sign := "+"
		if exp < 0 {
			sign = "-"
			exp = -exp
		}
		es := strconv.Itoa(exp)
		if len(es) < 2 {
			es = "0" + es
		}
		out = m + "e" + sign + es
	} else if exp < 0 {
		out = "0." + strings.Repeat("0", -exp-1) + digits
	} else if len(digits) <= exp+1 {
		out = digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
	} else {
		out = digits[:exp+1] + "." + digits[exp+1:]
	}
	if neg {
		return "-" + out
	}
	return out
}

// quotePy is Python's str repr: single quotes unless the text holds a single
// quote and no double quote; non-printable characters escaped.
func quotePy(s string) string {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte(q)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i-1])
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x7f:
			b.WriteRune(r)
		case !isPyPrintable(r):
			switch {
			case r <= 0xff:
				fmt.Fprintf(&b, `\x%02x`, r)
			case r <= 0xffff:
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				fmt.Fprintf(&b, `\U%08x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// isPyPrintable approximates str.isprintable for one rune: Python treats all
// separators except the ASCII space, and other/control categories, as not printable.
func isPyPrintable(r rune) bool {
	if r == ' ' {
		return true
	}
	if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs, unicode.Zl, unicode.Zp, unicode.Zs) {
		return false
	}
	return unicode.IsPrint(r) || unicode.IsGraphic(r)
}
