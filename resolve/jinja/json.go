package jinja

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// fTojson is Jinja's htmlsafe_json_dumps: json.dumps(sort_keys=True) with
// <, >, & and ' escaped as \u sequences, returned as Markup.
func fTojson(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	indent := param(args, kw, 0, "indent", None())
	var b strings.Builder
	ind := ""
	if indent.isInt() {
		ind = strings.Repeat(" ", int(max(indent.n, 0)))
	} else if indent.kind == KindString {
		ind = indent.s
	}
	if err := writeJSON(st, &b, v, indent.kind != KindNone, ind, 0, true); err != nil {
		return Value{}, err
	}
	r := strings.NewReplacer("<", `\u003c`, ">", `\u003e`, "&", `\u0026`, "'", `\u0027`)
	return SafeStr(r.Replace(b.String())), nil
}

// JSON renders v as Python's json.dumps would with the given options; the
// compile package uses it for dbt's tojson() context function.
func JSON(v Value, sortKeys bool) (string, error) {
	var b strings.Builder
	st := &State{limits: DefaultLimits, tmpl: &Template{}}
	err := writeJSON(st, &b, v, false, "", 0, sortKeys)
	return b.String(), err
}

func writeJSON(st *State, b *strings.Builder, v Value, pretty bool, ind string, depth int, sortKeys bool) error {
	if depth > 200 {
		return valueErr("Circular reference detected")
	}
	nl := func(d int) {
		if pretty {
			b.WriteByte('\n')
			for i := 0; i < d; i++ {
				b.WriteString(ind)
			}
		}
	}
	itemSep := ", "
	if pretty {
		itemSep = ","
	}
	switch v.kind {
	case KindNone:
		b.WriteString("null")
	case KindBool:
		if v.n != 0 {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case KindInt:
		b.WriteString(strconv.FormatInt(v.n, 10))
	case KindFloat:
		f := v.AsFloat()
		switch {
		case math.IsNaN(f):
			b.WriteString("NaN")
		case math.IsInf(f, 1):
			b.WriteString("Infinity")
		case math.IsInf(f, -1):
			b.WriteString("-Infinity")
		default:
			b.WriteString(formatFloat(f))
		}
	case KindString:
		writeJSONString(b, v.s)
	case KindList, KindTuple:
		items := v.Items()
		if len(items) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		for i, it := range items {
			if i > 0 {
				b.WriteString(itemSep)
			}
			nl(depth + 1)
			if err := writeJSON(st, b, it, pretty, ind, depth+1, sortKeys); err != nil {
				return err
			}
		}
		nl(depth)
		b.WriteByte(']')
	case KindDict:
		d := v.Dict()
		if d.Len() == 0 {
			b.WriteString("{}")
			return nil
		}
		type kv struct {
			k    string
			orig Value
			v    Value
		}
		entries := make([]kv, 0, d.Len())
		for i, k := range d.keys {
			var ks string
			switch k.kind {
			case KindString:
				ks = k.s
			case KindInt:
				ks = strconv.FormatInt(k.n, 10)
			case KindFloat:
				ks = formatFloat(k.AsFloat())
			case KindBool:
				ks = map[bool]string{true: "true", false: "false"}[k.n != 0]
			case KindNone:
				ks = "null"
			default:
				return typeErr("keys must be str, int, float, bool or None, not %s", k.typeName())
			}
			entries = append(entries, kv{ks, k, d.vals[i]})
		}
		if sortKeys {
			keys := make([]Value, len(entries))
			for i, e := range entries {
				keys[i] = e.orig
			}
			idx := make([]Value, len(entries))
			for i := range idx {
				idx[i] = Int(int64(i))
			}
			if err := sortValues(idx, func(x Value) Value { return keys[x.n] }, false); err != nil {
				return err
			}
			sorted := make([]kv, len(entries))
			for i, x := range idx {
				sorted[i] = entries[x.n]
			}
			entries = sorted
		}
		b.WriteByte('{')
		for i, e := range entries {
			if i > 0 {
				b.WriteString(itemSep)
			}
			nl(depth + 1)
			writeJSONString(b, e.k)
			b.WriteString(": ")
			if err := writeJSON(st, b, e.v, pretty, ind, depth+1, sortKeys); err != nil {
				return err
			}
		}
		nl(depth)
		b.WriteByte('}')
	case KindObject:
		if j, ok := v.ref.(interface{ JSON() Value }); ok {
			return writeJSON(st, b, j.JSON(), pretty, ind, depth+1, sortKeys)
		}
		fallthrough
	default:
		return typeErr("Object of type %s is not JSON serializable", v.typeName())
	}
	return nil
}

// writeJSONString escapes like json.dumps with ensure_ascii=True.
func writeJSONString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || (r > 0x7f && r < 0x10000):
			if r < 0x20 {
				b.WriteString(`\u00` + string(hex[r>>4]) + string(hex[r&15]))
			} else {
				b.WriteString(`\u`)
				for sh := 12; sh >= 0; sh -= 4 {
					b.WriteByte(hex[(r>>sh)&15])
				}
			}
		case r >= 0x10000:
			r -= 0x10000
			for _, u := range []rune{0xd800 + (r >> 10), 0xdc00 + (r & 0x3ff)} {
				b.WriteString(`\u`)
				for sh := 12; sh >= 0; sh -= 4 {
					b.WriteByte(hex[(u>>sh)&15])
				}
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}
