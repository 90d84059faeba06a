package jinja

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Python methods of str, list and dict that templates call, e.g.
// {{ name.lower() }}, {% do cols.append(c) %}, {% do d.update(x) %}.

var strMethods = map[string]bool{
	"lower": true, "upper": true, "strip": true, "lstrip": true, "rstrip": true, "split": true,
	"rsplit": true, "replace": true, "startswith": true, "endswith": true, "join": true, "format": true,
	"title": true, "capitalize": true, "find": true, "rfind": true, "index": true, "rindex": true,
	"count": true, "isdigit": true, "isalpha": true, "isalnum": true, "isnumeric": true,
	"isdecimal": true, "isspace": true, "islower": true, "isupper": true, "istitle": true,
	"isidentifier": true, "splitlines": true, "zfill": true, "center": true, "ljust": true, "rjust": true,
	"partition": true, "rpartition": true, "swapcase": true, "casefold": true,
	"removeprefix": true, "removesuffix": true, "format_map": true, "expandtabs": true,
}

var listMethods = map[string]bool{
	"append": true, "extend": true, "insert": true, "pop": true, "remove": true, "index": true,
	"count": true, "reverse": true, "sort": true, "copy": true, "clear": true,
}

var tupleMethods = map[string]bool{"index": true, "count": true}

var dictMethods = map[string]bool{
	"get": true, "keys": true, "values": true, "items": true, "update": true, "pop": true,
	"setdefault": true, "copy": true, "clear": true, "popitem": true,
}

func isMethod(k Kind, name string) bool {
	switch k {
	case KindString:
		return strMethods[name]
	case KindList:
		return listMethods[name]
	case KindTuple:
		return tupleMethods[name]
	case KindDict:
		return dictMethods[name]
	case KindFloat:
		return name == "is_integer"
	}
	return false
}

// boundMethod is obj.name without a call, e.g. passed to a filter.
func boundMethod(obj Value, name string) Value {
	return FuncValue(func(st *State, args []Value, kwargs []KwArg) (Value, error) {
		v, ok := st.callMethod(obj, name, args, kwargs, st.pos)
		if !ok {
			return Value{}, typeErr("'%s' object has no attribute '%s'", obj.typeName(), name)
		}
		return v, nil
	})
}

// callMethod calls a builtin method; ok is false when there is none by that name.
func (st *State) callMethod(obj Value, name string, args []Value, kwargs []KwArg, pos int) (Value, bool) {
	if !isMethod(obj.kind, name) {
		return Value{}, false
	}
	var v Value
	var err error
	switch obj.kind {
	case KindString:
		v, err = st.strMethod(obj, name, args, kwargs)
	case KindList, KindTuple:
		v, err = st.listMethod(obj, name, args, kwargs)
	case KindDict:
		v, err = st.dictMethod(obj.ref.(*Dict), name, args, kwargs)
	case KindFloat:
		f := obj.AsFloat()
		v = Bool(f == float64(int64(f)))
	}
	if err != nil {
		st.hostErr(err, pos)
	}
	return v, true
}

func argN(args []Value, i int) (Value, bool) {
	if i < len(args) {
		return args[i], true
	}
	return Value{}, false
}

// optStr returns args[i] as a string, or "" and false when absent or None.
func optStr(args []Value, i int) (string, bool, error) {
	v, ok := argN(args, i)
	if !ok || v.kind == KindNone {
		return "", false, nil
	}
	if v.kind != KindString {
		return "", false, typeErr("must be str or None, not %s", v.typeName())
	}
	return v.s, true, nil
}

func kwOr(args []Value, kwargs []KwArg, i int, name string) (Value, bool) {
	if i < len(args) {
		return args[i], true
	}
	for _, kw := range kwargs {
		if kw.Name == name {
			return kw.Value, true
		}
	}
	return Value{}, false
}

func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || r == 0x1c || r == 0x1d || r == 0x1e || r == 0x1f
}

func (st *State) strMethod(obj Value, name string, args []Value, kwargs []KwArg) (Value, error) {
	s := obj.s
	wrap := func(r string) Value { return Value{kind: KindString, s: r, safe: obj.safe} }
	switch name {
	case "lower", "casefold":
		return wrap(strings.ToLower(s)), nil
	case "upper":
		// Python applies full case mappings: ß upper-cases to SS.
		return wrap(strings.ReplaceAll(strings.ToUpper(s), "ß", "SS")), nil
	case "swapcase":
		return wrap(strings.Map(func(r rune) rune {
			if unicode.IsUpper(r) {
				return unicode.ToLower(r)
			}
			return unicode.ToUpper(r)
		}, s)), nil
	case "strip", "lstrip", "rstrip":
		chars, has, err := optStr(args, 0)
		if err != nil {
			return Value{}, err
		}
		var r string
		switch {
		case has && name == "strip":
			r = strings.Trim(s, chars)
		case has && name == "lstrip":
			r = strings.TrimLeft(s, chars)
		case has:
			r = strings.TrimRight(s, chars)
		case name == "strip":
			r = strings.TrimFunc(s, isPySpace)
		case name == "lstrip":
			r = strings.TrimLeftFunc(s, isPySpace)
		default:
			r = strings.TrimRightFunc(s, isPySpace)
		}
		return wrap(r), nil
	case "split", "rsplit":
		sepV, _ := kwOr(args, kwargs, 0, "sep")
		maxV, hasMax := kwOr(args, kwargs, 1, "maxsplit")
		max := -1
		if hasMax {
			if !maxV.isInt() {
				return Value{}, typeErr("'%s' object cannot be interpreted as an integer", maxV.typeName())
			}
			max = int(maxV.n)
		}
		var parts []string
		if sepV.kind == KindString {
			if sepV.s == "" {
				return Value{}, valueErr("empty separator")
			}
			parts = pySplitSep(s, sepV.s, max, name == "rsplit")
		} else if sepV.kind == KindNone || sepV.kind == KindUndefined {
			parts = pySplitWhite(s, max, name == "rsplit")
		} else {
			return Value{}, typeErr("must be str or None, not %s", sepV.typeName())
		}
		items := make([]Value, len(parts))
		for i, p := range parts {
			items[i] = wrap(p)
		}
		return NewList(items...), nil
	case "splitlines":
		keep := false
		if v, ok := kwOr(args, kwargs, 0, "keepends"); ok {
			keep = v.Truth()
		}
		var items []Value
		start := 0
		for i := 0; i < len(s); {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == 0x1c || r == 0x1d || r == 0x1e || r == 0x85 || r == 0x2028 || r == 0x2029 {
				end := i + size
				if r == '\r' && end < len(s) && s[end] == '\n' {
					end++
				}
				if keep {
					items = append(items, wrap(s[start:end]))
				} else {
					items = append(items, wrap(s[start:i]))
				}
				start = end
				i = end
				continue
			}
			i += size
		}
		if start < len(s) {
			items = append(items, wrap(s[start:]))
		}
		return NewList(items...), nil
	case "replace":
		if len(args) < 2 || args[0].kind != KindString || args[1].kind != KindString {
			return Value{}, typeErr("replace() arguments must be str")
		}
		n := -1
		if len(args) > 2 {
			n = int(args[2].AsInt())
		}
		if args[0].s == "" && len(args[1].s) > 0 {
			st.work(len(s)*(len(args[1].s)+1), st.pos)
		} else if len(args[1].s) > len(args[0].s) {
			st.work(len(s)/max(len(args[0].s), 1)*len(args[1].s), st.pos)
		}
		return wrap(strings.Replace(s, args[0].s, args[1].s, n)), nil
	case "startswith", "endswith":
		if len(args) < 1 {
			return Value{}, typeErr("%s() takes at least 1 argument (0 given)", name)
		}
		sub := s
		if len(args) > 1 {
			rs := []rune(s)
			b := [3]Value{None(), None(), None()}
			b[0] = args[1]
			if len(args) > 2 {
				b[1] = args[2]
			}
			idx := st.sliceIndices(b, len(rs), st.pos)
			var sb strings.Builder
			for _, i := range idx {
				sb.WriteRune(rs[i])
			}
			sub = sb.String()
		}
		test := func(p Value) (bool, error) {
			if p.kind != KindString {
				return false, typeErr("%s first arg must be str or a tuple of str, not %s", name, p.typeName())
			}
			if name == "startswith" {
				return strings.HasPrefix(sub, p.s), nil
			}
			return strings.HasSuffix(sub, p.s), nil
		}
		if args[0].kind == KindTuple {
			for _, p := range args[0].Items() {
				ok, err := test(p)
				if err != nil || ok {
					return Bool(ok), err
				}
			}
			return Bool(false), nil
		}
		ok, err := test(args[0])
		return Bool(ok), err
	case "join":
		if len(args) != 1 {
			return Value{}, typeErr("join() takes exactly one argument (%d given)", len(args))
		}
		items := st.iterate(args[0], st.pos)
		parts := make([]string, len(items))
		for i, it := range items {
			if it.kind != KindString {
				return Value{}, typeErr("sequence item %d: expected str instance, %s found", i, it.typeName())
			}
			parts[i] = it.s
		}
		return wrap(strings.Join(parts, s)), nil
	case "format":
		r, err := pyFormat(st, s, args, kwargs)
		return wrap(r), err
	case "format_map":
		if len(args) != 1 || args[0].kind != KindDict {
			return Value{}, typeErr("format_map() argument must be a mapping")
		}
		var kws []KwArg
		d := args[0].Dict()
		for i, k := range d.keys {
			kws = append(kws, KwArg{k.String(), d.vals[i]})
		}
		r, err := pyFormat(st, s, nil, kws)
		return wrap(r), err
	case "title":
		return wrap(pyTitle(s)), nil
	case "capitalize":
		if s == "" {
			return obj, nil
		}
		r, size := utf8.DecodeRuneInString(s)
		return wrap(string(unicode.ToUpper(r)) + strings.ToLower(s[size:])), nil
	case "find", "rfind", "index", "rindex", "count":
		if len(args) < 1 || args[0].kind != KindString {
			return Value{}, typeErr("must be str")
		}
		rs := []rune(s)
		b := [3]Value{None(), None(), None()}
		if len(args) > 1 {
			b[0] = args[1]
		}
		if len(args) > 2 {
			b[1] = args[2]
		}
		idx := st.sliceIndices(b, len(rs), st.pos)
		offset := 0
		if len(idx) > 0 {
			offset = idx[0]
		} else if b[0].kind != KindNone {
			offset = len(rs)
		}
		sub := string(rs[offset : offset+len(idx)])
		if name == "count" {
			if args[0].s == "" {
				return Int(int64(utf8.RuneCountInString(sub) + 1)), nil
			}
			return Int(int64(strings.Count(sub, args[0].s))), nil
		}
		var i int
		if name == "find" || name == "index" {
			i = strings.Index(sub, args[0].s)
		} else {
			i = strings.LastIndex(sub, args[0].s)
		}
		if i < 0 {
			if name == "index" || name == "rindex" {
				return Value{}, valueErr("substring not found")
			}
			return Int(-1), nil
		}
		return Int(int64(utf8.RuneCountInString(sub[:i]) + offset)), nil
	case "isdigit", "isnumeric", "isdecimal":
		return Bool(s != "" && allRunes(s, unicode.IsDigit)), nil
	case "isalpha":
		return Bool(s != "" && allRunes(s, unicode.IsLetter)), nil
	case "isalnum":
		return Bool(s != "" && allRunes(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) })), nil
	case "isspace":
		return Bool(s != "" && allRunes(s, isPySpace)), nil
	case "islower", "isupper":
		cased := false
		for _, r := range s {
			if unicode.IsUpper(r) || unicode.IsTitle(r) {
				if name == "islower" {
					return Bool(false), nil
				}
				cased = true
			} else if unicode.IsLower(r) {
				if name == "isupper" {
					return Bool(false), nil
				}
				cased = true
			}
		}
		return Bool(cased), nil
	case "istitle":
		return Bool(s == pyTitle(s) && strings.ContainsFunc(s, unicode.IsLetter)), nil
	case "isidentifier":
		ok := s != ""
		for i, r := range s {
			if !(r == '_' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r))) {
				ok = false
			}
		}
		return Bool(ok), nil
	case "zfill":
		if len(args) != 1 || !args[0].isInt() {
			return Value{}, typeErr("zfill() argument must be int")
		}
		w := int(args[0].n)
		n := utf8.RuneCountInString(s)
		if w <= n {
			return obj, nil
		}
		st.work(w, st.pos)
		pad := strings.Repeat("0", w-n)
		if s != "" && (s[0] == '-' || s[0] == '+') {
			return wrap(s[:1] + pad + s[1:]), nil
		}
		return wrap(pad + s), nil
	case "center", "ljust", "rjust":
		if len(args) < 1 || !args[0].isInt() {
			return Value{}, typeErr("%s() argument must be int", name)
		}
		fill := " "
		if len(args) > 1 {
			if args[1].kind != KindString || utf8.RuneCountInString(args[1].s) != 1 {
				return Value{}, typeErr("The fill character must be exactly one character long")
			}
			fill = args[1].s
		}
		w := int(args[0].n)
		st.work(w, st.pos)
		return wrap(pad(s, w, fill, name)), nil
	case "partition", "rpartition":
		if len(args) != 1 || args[0].kind != KindString {
			return Value{}, typeErr("must be str")
		}
		sep := args[0].s
		if sep == "" {
			return Value{}, valueErr("empty separator")
		}
		var i int
		if name == "partition" {
			i = strings.Index(s, sep)
		} else {
			i = strings.LastIndex(s, sep)
		}
		if i < 0 {
			if name == "partition" {
				return NewTuple(wrap(s), Str(""), Str("")), nil
			}
			return NewTuple(Str(""), Str(""), wrap(s)), nil
		}
		return NewTuple(wrap(s[:i]), wrap(sep), wrap(s[i+len(sep):])), nil
	case "removeprefix":
		if len(args) == 1 && args[0].kind == KindString {
			return wrap(strings.TrimPrefix(s, args[0].s)), nil
		}
		return Value{}, typeErr("removeprefix() argument must be str")
	case "removesuffix":
		if len(args) == 1 && args[0].kind == KindString {
			return wrap(strings.TrimSuffix(s, args[0].s)), nil
		}
		return Value{}, typeErr("removesuffix() argument must be str")
	case "expandtabs":
		return wrap(strings.ReplaceAll(s, "\t", "        ")), nil
	}
	return Value{}, typeErr("str has no method %s", name)
}

// pad implements str.center, ljust and rjust (CPython's rounding for center).
func pad(s string, w int, fill, how string) string {
	n := utf8.RuneCountInString(s)
	if w <= n {
		return s
	}
	marg := w - n
	var left int
	switch how {
	case "ljust":
		left = 0
	case "rjust":
		left = marg
	default:
		left = marg/2 + (marg & w & 1)
	}
	return strings.Repeat(fill, left) + s + strings.Repeat(fill, marg-left)
}

func allRunes(s string, f func(rune) bool) bool {
	for _, r := range s {
		if !f(r) {
			return false
		}
	}
	return true
}

// pyTitle is str.title: a letter after a non-cased character is uppercased,
// every other cased letter lowercased.
func pyTitle(s string) string {
	var b strings.Builder
	prevCased := false
	for _, r := range s {
		if unicode.IsLetter(r) {
			if prevCased {
				b.WriteRune(unicode.ToLower(r))
			} else {
				b.WriteRune(unicode.ToTitle(r))
			}
			prevCased = unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r)
		} else {
			b.WriteRune(r)
			prevCased = false
		}
	}
	return b.String()
}

// pySplitWhite is str.split() / rsplit() without a separator.
func pySplitWhite(s string, max int, fromRight bool) []string {
	if !fromRight {
		var out []string
		i := 0
		for {
			for i < len(s) {
				r, size := utf8.DecodeRuneInString(s[i:])
				if !isPySpace(r) {
					break
				}
				i += size
			}
			if i >= len(s) {
				return out
			}
			if max >= 0 && len(out) == max {
				return append(out, strings.TrimRightFunc(s[i:], isPySpace))
			}
			j := i
			for j < len(s) {
				r, size := utf8.DecodeRuneInString(s[j:])
				if isPySpace(r) {
					break
				}
				j += size
			}
			out = append(out, s[i:j])
			i = j
		}
	}
	fields := strings.FieldsFunc(s, isPySpace)
	if max < 0 || len(fields) <= max+1 {
		return fields
	}
	// Keep the left part as one field, with its inner whitespace.
	rest := strings.TrimRightFunc(s, isPySpace)
	var tail []string
	for k := 0; k < max; k++ {
		i := strings.LastIndexFunc(rest, isPySpace)
		tail = append([]string{rest[i+1:]}, tail...)
		rest = strings.TrimRightFunc(rest[:i+1], isPySpace)
	}
	return append([]string{strings.TrimLeftFunc(rest, isPySpace)}, tail...)
}

func pySplitSep(s, sep string, max int, fromRight bool) []string {
	if max < 0 {
		return strings.Split(s, sep)
	}
	if !fromRight {
		return strings.SplitN(s, sep, max+1)
	}
	var tail []string
	rest := s
	for k := 0; k < max; k++ {
		i := strings.LastIndex(rest, sep)
		if i < 0 {
			break
		}
		tail = append([]string{rest[i+len(sep):]}, tail...)
		rest = rest[:i]
	}
	return append([]string{rest}, tail...)
}

func (st *State) listMethod(obj Value, name string, args []Value, kwargs []KwArg) (Value, error) {
	l := obj.ref.(*List)
	switch name {
	case "append":
		if len(args) != 1 {
			return Value{}, typeErr("list.append() takes exactly one argument (%d given)", len(args))
		}
		if len(l.Items) >= int(st.limits.MaxRange)*4 {
			return Value{}, rangeErr("list grew beyond the limit of %d items", st.limits.MaxRange*4)
		}
		l.Items = append(l.Items, args[0])
		return None(), nil
	case "extend":
		if len(args) != 1 {
			return Value{}, typeErr("list.extend() takes exactly one argument (%d given)", len(args))
		}
		items := st.iterate(args[0], st.pos)
		st.work(len(items)*8, st.pos)
		l.Items = append(l.Items, items...)
		return None(), nil
	case "insert":
		if len(args) != 2 || !args[0].isInt() {
			return Value{}, typeErr("insert expected 2 arguments")
		}
		i := int(args[0].n)
		n := len(l.Items)
		if i < 0 {
			i += n
			if i < 0 {
				i = 0
			}
		}
		if i > n {
			i = n
		}
		l.Items = append(l.Items, Value{})
		copy(l.Items[i+1:], l.Items[i:])
		l.Items[i] = args[1]
		return None(), nil
	case "pop":
		n := len(l.Items)
		if n == 0 {
			return Value{}, valueErr("pop from empty list")
		}
		i := n - 1
		if len(args) > 0 {
			i = int(args[0].AsInt())
			if i < 0 {
				i += n
			}
			if i < 0 || i >= n {
				return Value{}, valueErr("pop index out of range")
			}
		}
		v := l.Items[i]
		l.Items = append(l.Items[:i], l.Items[i+1:]...)
		return v, nil
	case "remove":
		for i, it := range l.Items {
			if len(args) == 1 && valuesEqual(it, args[0]) {
				l.Items = append(l.Items[:i], l.Items[i+1:]...)
				return None(), nil
			}
		}
		return Value{}, valueErr("list.remove(x): x not in list")
	case "index":
		for i, it := range l.Items {
			if len(args) >= 1 && valuesEqual(it, args[0]) {
				return Int(int64(i)), nil
			}
		}
		return Value{}, valueErr("x not in list")
	case "count":
		c := 0
		for _, it := range l.Items {
			if len(args) == 1 && valuesEqual(it, args[0]) {
				c++
			}
		}
		return Int(int64(c)), nil
	case "reverse":
		for i, j := 0, len(l.Items)-1; i < j; i, j = i+1, j-1 {
			l.Items[i], l.Items[j] = l.Items[j], l.Items[i]
		}
		return None(), nil
	case "sort":
		rev, _ := kwOr(nil, kwargs, 0, "reverse")
		if rev.Truth() {
			err := sortValues(l.Items, func(x Value) Value { return x }, true)
			return None(), err
		}
		var err error
		sort.SliceStable(l.Items, func(i, j int) bool {
			c, ok := compareOrder(l.Items[i], l.Items[j])
			if !ok && err == nil {
				err = typeErr("'<' not supported between instances of '%s' and '%s'", l.Items[i].typeName(), l.Items[j].typeName())
			}
			return c < 0
		})
		return None(), err
	case "copy":
		return NewList(append([]Value(nil), l.Items...)...), nil
	case "clear":
		l.Items = nil
		return None(), nil
	}
	return Value{}, typeErr("list has no method %s", name)
}

func (st *State) dictMethod(d *Dict, name string, args []Value, kwargs []KwArg) (Value, error) {
	switch name {
	case "get":
		if len(args) < 1 {
			return Value{}, typeErr("get expected at least 1 argument, got 0")
		}
		if v, ok := d.Get(args[0]); ok {
			return v, nil
		}
		if len(args) > 1 {
			return args[1], nil
		}
		return None(), nil
	case "keys":
		return NewList(append([]Value(nil), d.keys...)...), nil
	case "values":
		return NewList(append([]Value(nil), d.vals...)...), nil
	case "items":
		items := make([]Value, len(d.keys))
		for i := range d.keys {
			items[i] = NewTuple(d.keys[i], d.vals[i])
		}
		return NewList(items...), nil
	case "update":
		if len(args) > 0 {
			if err := st.dictUpdate(d, args[0]); err != nil {
				return Value{}, err
			}
		}
		for _, kw := range kwargs {
			d.SetStr(kw.Name, kw.Value)
		}
		return None(), nil
	case "pop":
		if len(args) < 1 {
			return Value{}, typeErr("pop expected at least 1 argument, got 0")
		}
		if v, ok := d.Get(args[0]); ok {
			d.Delete(args[0])
			return v, nil
		}
		if len(args) > 1 {
			return args[1], nil
		}
		return Value{}, valueErr("KeyError: %s", args[0].Repr())
	case "popitem":
		if d.Len() == 0 {
			return Value{}, valueErr("popitem(): dictionary is empty")
		}
		k, v := d.keys[len(d.keys)-1], d.vals[len(d.vals)-1]
		d.Delete(k)
		return NewTuple(k, v), nil
	case "setdefault":
		if len(args) < 1 {
			return Value{}, typeErr("setdefault expected at least 1 argument, got 0")
		}
		if v, ok := d.Get(args[0]); ok {
			return v, nil
		}
		def := None()
		if len(args) > 1 {
			def = args[1]
		}
		d.Set(args[0], def)
		return def, nil
	case "copy":
		return DictValue(d.Copy()), nil
	case "clear":
		*d = Dict{}
		return None(), nil
	}
	return Value{}, typeErr("dict has no method %s", name)
}

// dictUpdate merges a mapping or an iterable of pairs into d.
func (st *State) dictUpdate(d *Dict, src Value) error {
	if sd := src.Dict(); sd != nil {
		for i, k := range sd.keys {
			d.Set(k, sd.vals[i])
		}
		return nil
	}
	if src.kind == KindObject {
		if it, ok := src.ref.(interface{ Items() [][2]Value }); ok {
			for _, kv := range it.Items() {
				d.Set(kv[0], kv[1])
			}
			return nil
		}
	}
	for i, it := range st.iterate(src, st.pos) {
		pair := it.Items()
		if pair == nil && it.kind == KindString && len(it.s) == 2 {
			pair = []Value{Str(it.s[:1]), Str(it.s[1:])}
		}
		if len(pair) != 2 {
			return valueErr("dictionary update sequence element #%d has length %d; 2 is required", i, len(pair))
		}
		if !hashable(pair[0]) {
			return typeErr("unhashable type: '%s'", pair[0].typeName())
		}
		d.Set(pair[0], pair[1])
	}
	return nil
}
