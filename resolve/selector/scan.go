package selector

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/bits"
	"strconv"

	"github.com/valyala/fastjson"
)

// This file holds a small allocation-free JSON scanner over the manifest's
// bytes. The manifest package has already validated the whole document, so
// the scanner only needs to be fast and never panic: every index is bounds
// checked and malformed input ends a scan early (reported as !ok).

// span is a [start, end) byte range in a manifest's bytes; the zero span
// means "absent".
type span struct{ a, b int32 }

func (s span) ok() bool { return s.b > s.a }

func isWS(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func skipWS(d []byte, i int) int {
	for i < len(d) && d[i] <= ' ' && isWS(d[i]) {
		i++
	}
	return i
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// byteMask has the high bit set in the lowest byte of w equal to b (bytes
// above the first match may be flagged spuriously; only the lowest counts).
func byteMask(w uint64, b byte) uint64 {
	x := w ^ (lsb * uint64(b))
	return (x - lsb) &^ x & msb
}

// skipString returns the index just past the string starting at d[i] == '"'.
// Short strings (most keys and values) are scanned eight bytes at a time for
// a quote or a backslash; long ones switch to bytes.IndexByte.
func skipString(d []byte, i int) (int, bool) {
	i++
	for n := 0; n < 4 && i+8 <= len(d); n++ {
		w := binary.LittleEndian.Uint64(d[i:])
		m := byteMask(w, '"') | byteMask(w, '\\')
		if m == 0 {
			i += 8
			continue
		}
		k := i + bits.TrailingZeros64(m)>>3
		if d[k] == '"' {
			return k + 1, true
		}
		i = k + 2 // skip the escaped byte
		if i > len(d) {
			return len(d), false
		}
	}
	for {
		j := bytes.IndexByte(d[i:], '"')
		if j < 0 {
			return len(d), false
		}
		k := i + j
		// count the backslashes before the quote
		n := 0
		for p := k - 1; p >= i && d[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return k + 1, true
		}
		i = k + 1
	}
}

// eqMask has the high bit set in exactly the bytes of w equal to the byte
// whose broadcast is c.
func eqMask(w, c uint64) uint64 {
	const low7 = 0x7f7f7f7f7f7f7f7f
	x := w ^ c
	return ^((x&low7 + low7) | x) & msb
}

// gather8 packs the high bits of m's bytes into a byte, bit i for byte i.
func gather8(m uint64) uint64 { return (m >> 7) * 0x0102040810204080 >> 56 }

// skipContainer returns the index just past the object or array starting at
// d[i]. Brackets inside strings are skipped with the strings; brackets are
// counted, not matched (the manifest package validated the document). It
// reads eight bytes at a time: the quotes of a word give, by a prefix xor,
// which of its bytes are inside strings, and the brackets outside strings
// adjust the depth; words with a backslash go byte by byte.
func skipContainer(d []byte, i int) (int, bool) {
	const (
		quote = lsb * '"'
		bslsh = lsb * '\\'
		open  = lsb * '{' // '[' | 0x20 == '{'
		close = lsb * '}' // ']' | 0x20 == '}'
		lower = lsb * 0x20
	)
	depth := 0
	var inStr uint64 // 0xff inside a string at the word boundary, else 0
	esc := false
	for i+8 <= len(d) {
		w := binary.LittleEndian.Uint64(d[i:])
		if !esc && eqMask(w, bslsh) == 0 {
			q := gather8(eqMask(w, quote))
			wl := w | lower
			o := gather8(eqMask(wl, open))
			c := gather8(eqMask(wl, close))
			// str: bytes at or after an odd number of quotes (inside)
			str := q
			str ^= str << 1
			str ^= str << 2
			str ^= str << 4
			str = (str ^ inStr) & 0xff
			o &^= str
			c &^= str
			if c == 0 {
				depth += bits.OnesCount64(o)
			} else {
				for b := o | c; b != 0; b &= b - 1 {
					bit := b & -b
					if o&bit != 0 {
						depth++
					} else if depth--; depth == 0 {
						return i + bits.TrailingZeros64(b) + 1, true
					}
				}
			}
			inStr = -(str >> 7) & 0xff
			i += 8
			continue
		}
		// a backslash in this word (or an escape carried in): byte by byte
		in := inStr != 0
		for end := i + 8; i < end; i++ {
			ch := d[i]
			if in {
				switch {
				case esc:
					esc = false
				case ch == '\\':
					esc = true
				case ch == '"':
					in = false
				}
				continue
			}
			switch ch {
			case '"':
				in = true
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1, true
				}
			}
		}
		inStr = 0
		if in {
			inStr = 0xff
		}
	}
	// the tail
	in := inStr != 0
	for ; i < len(d); i++ {
		ch := d[i]
		if in {
			switch {
			case esc:
				esc = false
			case ch == '\\':
				esc = true
			case ch == '"':
				in = false
			}
			continue
		}
		switch ch {
		case '"':
			in = true
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1, true
			}
		}
	}
	return len(d), false
}

// skipClass classifies the bytes skipContainerScalar looks at: 1 a quote, 2
// an opening bracket, 3 a closing one; everything else is jumped over.
var skipClass = [256]uint8{'"': 1, '{': 2, '[': 2, '}': 3, ']': 3}

// skipContainerScalar is the byte-at-a-time skipContainer (the reference in
// tests).
func skipContainerScalar(d []byte, i int) (int, bool) {
	depth := 0
	for i < len(d) {
		switch skipClass[d[i]] {
		case 0:
			i++
			continue
		case 1:
			var ok bool
			if i, ok = skipString(d, i); !ok {
				return len(d), false
			}
			continue
		case 2:
			depth++
		case 3:
			depth--
			if depth == 0 {
				return i + 1, true
			}
		}
		i++
	}
	return len(d), false
}

// skipValue returns the index just past the JSON value starting at d[i]
// (after whitespace).
func skipValue(d []byte, i int) (start, end int, ok bool) {
	i = skipWS(d, i)
	if i >= len(d) {
		return i, i, false
	}
	start = i
	switch d[i] {
	case '"':
		end, ok = skipString(d, i)
		return start, end, ok
	case '{', '[':
		end, ok = skipContainer(d, i)
		return start, end, ok
	default:
		for i < len(d) {
			c := d[i]
			if c == ',' || c == '}' || c == ']' || isWS(c) {
				break
			}
			i++
		}
		return start, i, i > start
	}
}

// eachMember calls fn for each member of the object at sp; key is the raw key
// bytes without quotes (escapes left as they are). It stops when fn returns
// false.
func eachMember(d []byte, sp span, fn func(key []byte, v span) bool) bool {
	if !sp.ok() || int(sp.b) > len(d) {
		return false
	}
	d = d[:sp.b]
	i := skipWS(d, int(sp.a))
	if i >= len(d) || d[i] != '{' {
		return false
	}
	i = skipWS(d, i+1)
	if i < len(d) && d[i] == '}' {
		return true
	}
	for i < len(d) {
		if d[i] != '"' {
			return false
		}
		ke, ok := skipString(d, i)
		if !ok {
			return false
		}
		key := d[i+1 : ke-1]
		i = skipWS(d, ke)
		if i >= len(d) || d[i] != ':' {
			return false
		}
		vs, ve, ok := skipValue(d, i+1)
		if !ok {
			return false
		}
		if !fn(key, span{int32(vs), int32(ve)}) {
			return true
		}
		i = skipWS(d, ve)
		if i >= len(d) {
			return false
		}
		if d[i] == '}' {
			return true
		}
		if d[i] != ',' {
			return false
		}
		i = skipWS(d, i+1)
	}
	return false
}

// eachElement calls fn for each element of the array at sp.
func eachElement(d []byte, sp span, fn func(v span) bool) bool {
	if !sp.ok() || int(sp.b) > len(d) {
		return false
	}
	d = d[:sp.b]
	i := skipWS(d, int(sp.a))
	if i >= len(d) || d[i] != '[' {
		return false
	}
	i = skipWS(d, i+1)
	if i < len(d) && d[i] == ']' {
		return true
	}
	for i < len(d) {
		vs, ve, ok := skipValue(d, i)
		if !ok {
			return false
		}
		if !fn(span{int32(vs), int32(ve)}) {
			return true
		}
		i = skipWS(d, ve)
		if i >= len(d) {
			return false
		}
		if d[i] == ']' {
			return true
		}
		if d[i] != ',' {
			return false
		}
		i++
	}
	return false
}

// objGet returns the value of key in the object at sp.
func objGet(d []byte, sp span, key string) (span, bool) {
	var out span
	found := false
	eachMember(d, sp, func(k []byte, v span) bool {
		if string(k) == key {
			out, found = v, true
			return false
		}
		return true
	})
	return out, found
}

// path descends through nested objects.
func objPath(d []byte, sp span, keys ...string) (span, bool) {
	for _, k := range keys {
		var ok bool
		if sp, ok = objGet(d, sp, k); !ok {
			return span{}, false
		}
	}
	return sp, true
}

// kind is the first byte of a value: '"', '{', '[', 't', 'f', 'n' or a digit.
func kind(d []byte, sp span) byte {
	if !sp.ok() {
		return 0
	}
	return d[sp.a]
}

func isNull(d []byte, sp span) bool { return !sp.ok() || d[sp.a] == 'n' }

// strVal decodes the JSON string at sp ("" when it is not a string).
func strVal(d []byte, sp span) string {
	if !sp.ok() || d[sp.a] != '"' || sp.b-sp.a < 2 {
		return ""
	}
	raw := d[sp.a+1 : sp.b-1]
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw)
	}
	v, err := fastjson.ParseBytes(d[sp.a:sp.b])
	if err != nil {
		return ""
	}
	return string(v.GetStringBytes())
}

// scalarVal formats a string or number like Python's str() of the value,
// reporting false for null/absent.
func scalarVal(d []byte, sp span) (string, bool) {
	switch kind(d, sp) {
	case 0, 'n':
		return "", false
	case '"':
		return strVal(d, sp), true
	case '{', '[':
		return string(d[sp.a:sp.b]), true
	}
	return string(d[sp.a:sp.b]), true
}

// strList decodes an array of strings (a lone string counts as a list of one,
// as dbt's tags config allows).
func strList(d []byte, sp span) []string {
	switch kind(d, sp) {
	case '"':
		return []string{strVal(d, sp)}
	case '[':
	default:
		return nil
	}
	var out []string
	eachElement(d, sp, func(v span) bool {
		if kind(d, v) == '"' {
			out = append(out, strVal(d, v))
		}
		return true
	})
	return out
}

// strEqual compares two JSON strings (or absent values) by content.
func strEqual(d1 []byte, s1 span, d2 []byte, s2 span) bool {
	b1, b2 := d1[s1.a:s1.b], d2[s2.a:s2.b]
	if bytes.Equal(b1, b2) {
		return true
	}
	if bytes.IndexByte(b1, '\\') < 0 && bytes.IndexByte(b2, '\\') < 0 {
		return false
	}
	return jsonEqual(d1, s1, d2, s2)
}

// jsonEqual compares two JSON values with Python's == semantics on the
// decoded values: objects ignore key order, numbers compare numerically,
// true == 1 and false == 0, and an absent value equals null (as
// dict.get(key) gives None for both).
func jsonEqual(d1 []byte, s1 span, d2 []byte, s2 span) bool {
	if !s1.ok() || !s2.ok() {
		return isNull(d1, s1) && isNull(d2, s2)
	}
	b1, b2 := d1[s1.a:s1.b], d2[s2.a:s2.b]
	if bytes.Equal(b1, b2) {
		return true
	}
	var p1, p2 fastjson.Parser
	v1, err1 := p1.ParseBytes(b1)
	v2, err2 := p2.ParseBytes(b2)
	if err1 != nil || err2 != nil {
		return false
	}
	return valueEqual(v1, v2)
}

func numOf(v *fastjson.Value) (float64, bool) {
	switch v.Type() {
	case fastjson.TypeNumber:
		f, err := strconv.ParseFloat(string(v.MarshalTo(nil)), 64)
		return f, err == nil
	case fastjson.TypeTrue:
		return 1, true
	case fastjson.TypeFalse:
		return 0, true
	}
	return math.NaN(), false
}

func valueEqual(a, b *fastjson.Value) bool {
	ta, tb := a.Type(), b.Type()
	if fa, ok := numOf(a); ok {
		fb, ok := numOf(b)
		return ok && fa == fb
	}
	if ta != tb {
		return false
	}
	switch ta {
	case fastjson.TypeString:
		return bytes.Equal(a.GetStringBytes(), b.GetStringBytes())
	case fastjson.TypeNull:
		return true
	case fastjson.TypeArray:
		aa, _ := a.Array()
		ba, _ := b.Array()
		if len(aa) != len(ba) {
			return false
		}
		for i := range aa {
			if !valueEqual(aa[i], ba[i]) {
				return false
			}
		}
		return true
	case fastjson.TypeObject:
		oa, _ := a.Object()
		ob, _ := b.Object()
		if oa.Len() != ob.Len() {
			return false
		}
		eq := true
		oa.Visit(func(k []byte, va *fastjson.Value) {
			if !eq {
				return
			}
			vb := ob.Get(string(k))
			if vb == nil || !valueEqual(va, vb) {
				eq = false
			}
		})
		return eq
	}
	return false
}
