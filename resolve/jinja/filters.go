package jinja

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
)

// builtinFilters are Jinja2 3.1's default filters plus dbt's text-mode ones.
// Initialized in init to break the reference cycle through applyFilter (map).
var builtinFilters map[string]FilterFunc

func init() {
	builtinFilters = map[string]FilterFunc{
		"abs": fAbs, "attr": fAttr, "batch": fBatch, "capitalize": fStrMethod("capitalize"),
		"center": fCenter, "default": fDefault, "d": fDefault, "dictsort": fDictsort,
		"escape": fEscape, "e": fEscape, "forceescape": fForceEscape, "first": fFirst, "float": fFloat,
		"format": fFormat, "groupby": fGroupby, "indent": fIndent, "int": fInt, "join": fJoin,
		"last": fLast, "length": fLength, "count": fLength, "list": fList, "lower": fStrMethod("lower"),
		"upper": fStrMethod("upper"), "map": fMap, "max": fMinMax(true), "min": fMinMax(false),
		"reject": fSelect(false, false), "select": fSelect(true, false),
		"rejectattr": fSelect(false, true), "selectattr": fSelect(true, true),
		"replace": fReplace, "reverse": fReverse, "round": fRound, "safe": fSafe, "slice": fSlice,
		"sort": fSort, "string": fString, "striptags": fStriptags, "sum": fSum, "title": fTitle,
		"tojson": fTojson, "trim": fTrim, "truncate": fTruncate, "unique": fUnique,
		"urlencode": fURLEncode, "wordcount": fWordcount, "wordwrap": fWordwrap, "xmlattr": fXMLAttr,
		"items": fItems, "filesizeformat": fFilesize, "pprint": fPprint, "urlize": fIdentityStr,
		// dbt's TEXT_FILTERS: text_filter is str(value).
		"as_text": fString, "as_bool": fString, "as_native": fString, "as_number": fString,
	}
}

// applyFilter evaluates a filter node's arguments and runs it on v.
func (st *State) applyFilter(f *filterExpr, v Value, sc *scope) Value {
	pos := int(f.pos)
	fn, ok := st.env.Filters[f.name]
	if !ok {
		fn, ok = builtinFilters[f.name]
	}
	if !ok {
		st.throw(CodeFilter, pos, "No filter named '%s'.", f.name)
	}
	args, kwargs := st.evalArgs(&f.callArgs, sc, pos)
	st.pos = pos
	r, err := fn(st, v, args, kwargs)
	if err != nil {
		st.hostErr(err, pos)
	}
	return r
}

// param fetches a filter parameter by position (after the input) or keyword.
func param(args []Value, kwargs []KwArg, i int, name string, def Value) Value {
	if i < len(args) {
		return args[i]
	}
	for _, kw := range kwargs {
		if kw.Name == name {
			return kw.Value
		}
	}
	return def
}

// checkUndef raises for filters that touch an undefined input the way
// Python would (attribute access, arithmetic, iteration of attributes).
func checkUndef(v Value) error {
	if v.kind == KindUndefined {
		return diag.Errorf(CodeUndefined, diag.Location{}, "%s", undefinedMsg(v))
	}
	return nil
}

func fIdentityStr(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	return Str(st.str(v, st.pos)), nil
}

func fStrMethod(name string) FilterFunc {
	return func(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
		s := v
		if s.kind != KindString {
			s = Str(st.str(v, st.pos))
		}
		return st.strMethod(s, name, nil, nil)
	}
}

func fAbs(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	switch v.kind {
	case KindInt, KindBool:
		if v.n < 0 {
			return Int(-v.n), nil
		}
		return Int(v.n), nil
	case KindFloat:
		return Float(math.Abs(v.AsFloat())), nil
	case KindUndefined:
		return Value{}, checkUndef(v)
	}
	return Value{}, typeErr("bad operand type for abs(): '%s'", v.typeName())
}

func fAttr(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	name := param(args, kw, 0, "name", Value{})
	if name.kind != KindString {
		return Undefined("attribute name must be a string"), nil
	}
	if strings.HasPrefix(name.s, "_") {
		return Undefined("unsafe attribute"), nil
	}
	// attr reads Python attributes only, never dict items.
	if v.kind == KindDict {
		if isMethod(KindDict, name.s) {
			return boundMethod(v, name.s), nil
		}
		return Undefined(st.missingAttr(v, name.s)), nil
	}
	return st.getattr(v, name.s, st.pos), nil
}

func fBatch(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	n := param(args, kw, 0, "linecount", Value{})
	fill := param(args, kw, 1, "fill_with", None())
	if !n.isInt() || n.n <= 0 {
		return Value{}, valueErr("batch size must be a positive integer")
	}
	var out, cur []Value
	for _, it := range st.iterate(v, st.pos) {
		if len(cur) == int(n.n) {
			out = append(out, NewList(cur...))
			cur = nil
		}
		cur = append(cur, it)
	}
	if len(cur) > 0 {
		if fill.kind != KindNone {
			for len(cur) < int(n.n) {
				cur = append(cur, fill)
			}
		}
		out = append(out, NewList(cur...))
	}
	return NewList(out...), nil
}

func fCenter(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	w := param(args, kw, 0, "width", Int(80))
	return st.strMethod(Str(st.str(v, st.pos)), "center", []Value{w}, nil)
}

func fDefault(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	def := param(args, kw, 0, "default_value", Str(""))
	boolean := param(args, kw, 1, "boolean", Bool(false))
	if v.kind == KindUndefined || (boolean.Truth() && !v.Truth()) {
		return def, nil
	}
	return v, nil
}

func sortKey(v Value, caseSensitive bool) Value {
	if !caseSensitive && v.kind == KindString {
		return Str(strings.ToLower(v.s))
	}
	return v
}

// sortValues sorts stably by key, raising Python's TypeError on mixed types.
func sortValues(items []Value, key func(Value) Value, reverse bool) error {
	keys := make([]Value, len(items))
	for i, it := range items {
		keys[i] = key(it)
	}
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	var err error
	sort.SliceStable(idx, func(a, b int) bool {
		ka, kb := keys[idx[a]], keys[idx[b]]
		if reverse {
			ka, kb = kb, ka
		}
		c, ok := compareOrder(ka, kb)
		if !ok && err == nil {
			err = typeErr("'<' not supported between instances of '%s' and '%s'", ka.typeName(), kb.typeName())
		}
		return c < 0
	})
	sorted := make([]Value, len(items))
	for i, j := range idx {
		sorted[i] = items[j]
	}
	copy(items, sorted)
	return err
}

func fDictsort(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	cs := param(args, kw, 0, "case_sensitive", Bool(false)).Truth()
	by := param(args, kw, 1, "by", Str("key"))
	rev := param(args, kw, 2, "reverse", Bool(false)).Truth()
	d := v.Dict()
	if d == nil {
		return Value{}, typeErr("dictsort requires a mapping")
	}
	pos := 0
	switch by.s {
	case "key":
	case "value":
		pos = 1
	default:
		return Value{}, valueErr("You can only sort by either \"key\" or \"value\"")
	}
	items := make([]Value, d.Len())
	for i := range d.keys {
		items[i] = NewTuple(d.keys[i], d.vals[i])
	}
	err := sortValues(items, func(x Value) Value { return sortKey(x.Items()[pos], cs) }, rev)
	return NewList(items...), err
}

func fEscape(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	if v.kind == KindString && v.safe {
		return v, nil
	}
	return SafeStr(htmlEscape(st.str(v, st.pos))), nil
}

func fForceEscape(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	return SafeStr(htmlEscape(st.str(v, st.pos))), nil
}

func fFirst(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	items := st.iterate(v, st.pos)
	if len(items) == 0 {
		return Undefined("No first item, sequence was empty."), nil
	}
	return items[0], nil
}

func fLast(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	if v.kind == KindDict {
		return Value{}, typeErr("'dict' object is not reversible")
	}
	items := st.iterate(v, st.pos)
	if len(items) == 0 {
		return Undefined("No last item, sequence was empty."), nil
	}
	return items[len(items)-1], nil
}

// pyFloatParse is float(str): surrounding whitespace, underscores between
// digits, inf and nan spellings.
func pyFloatParse(s string) (float64, bool) {
	s = strings.TrimFunc(s, isPySpace)
	if strings.Contains(s, "__") || strings.HasPrefix(s, "_") || strings.HasSuffix(s, "_") {
		return 0, false
	}
	low := strings.ToLower(strings.TrimLeft(s, "+-"))
	switch low {
	case "inf", "infinity", "nan":
	default:
		if strings.ContainsAny(low, "xp") || strings.HasPrefix(low, "0x") {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, true
		}
		return 0, false
	}
	return f, true
}

func fFloat(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	def := param(args, kw, 0, "default", Float(0))
	switch v.kind {
	case KindFloat:
		return v, nil
	case KindInt, KindBool:
		return Float(float64(v.n)), nil
	case KindString:
		if f, ok := pyFloatParse(v.s); ok {
			return Float(f), nil
		}
	case KindUndefined:
		return Value{}, checkUndef(v)
	}
	return def, nil
}

// pyIntParse is int(str, base).
func pyIntParse(s string, base int) (int64, bool) {
	s = strings.TrimFunc(s, isPySpace)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	low := strings.ToLower(s)
	prefix := func(p string, b int) bool {
		if strings.HasPrefix(low, p) && (base == b || base == 0) {
			s = s[2:]
			base = b
			return true
		}
		return false
	}
	if !prefix("0x", 16) && !prefix("0o", 8) && !prefix("0b", 2) && base == 0 {
		base = 10
		if len(s) > 1 && s[0] == '0' && strings.Trim(s, "0_") != "" {
			return 0, false
		}
	}
	if s == "" || strings.HasPrefix(s, "_") || strings.HasSuffix(s, "_") || strings.Contains(s, "__") {
		if !(strings.HasPrefix(s, "_") && len(low) > 2 && low[0] == '0' && s != "_") {
			if s == "" || strings.HasSuffix(s, "_") || strings.Contains(s, "__") || !strings.HasPrefix(s, "_") {
				return 0, false
			}
		}
	}
	for _, r := range s {
		if r > unicode.MaxASCII {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), base, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

func fInt(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	def := param(args, kw, 0, "default", Int(0))
	base := param(args, kw, 1, "base", Int(10))
	switch v.kind {
	case KindInt:
		return v, nil
	case KindBool:
		return Int(v.n), nil
	case KindFloat:
		f := v.AsFloat()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return def, nil
		}
		return Int(int64(f)), nil
	case KindString:
		if n, ok := pyIntParse(v.s, int(base.AsInt())); ok {
			return Int(n), nil
		}
		if f, ok := pyFloatParse(v.s); ok && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return Int(int64(f)), nil
		}
	case KindUndefined:
		return Value{}, checkUndef(v)
	}
	return def, nil
}

func fFormat(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	if len(args) > 0 && len(kw) > 0 {
		return Value{}, typeErr("can't handle positional and keyword arguments at the same time")
	}
	var arg Value
	if len(kw) > 0 {
		d := NewDict()
		for _, k := range kw {
			d.SetStr(k.Name, k.Value)
		}
		arg = DictValue(d)
	} else {
		arg = NewTuple(args...)
	}
	s, err := percentFormat(st, st.str(v, st.pos), arg)
	if v.kind == KindString && v.safe {
		return SafeStr(s), err
	}
	return Str(s), err
}

// attrGetter follows make_attrgetter: dotted paths, integer parts index.
func (st *State) attrGetter(attr Value, def *Value) func(Value) Value {
	if attr.kind != KindString {
		if attr.isInt() {
			return func(x Value) Value { return st.getitem(x, attr, st.pos) }
		}
		return func(x Value) Value { return x }
	}
	parts := strings.Split(attr.s, ".")
	keys := make([]Value, len(parts))
	for i, p := range parts {
		if n, err := strconv.Atoi(p); err == nil && p != "" && (p[0] != '-' && p[0] != '+') {
			keys[i] = Int(int64(n))
		} else {
			keys[i] = Str(p)
		}
	}
	return func(x Value) Value {
		for _, k := range keys {
			x = st.getitem(x, k, st.pos)
			if x.kind == KindUndefined && def != nil {
				return *def
			}
		}
		return x
	}
}

func fGroupby(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	attr := param(args, kw, 0, "attribute", Value{})
	defV := param(args, kw, 1, "default", Value{})
	cs := param(args, kw, 2, "case_sensitive", Bool(false)).Truth()
	var def *Value
	if defV.kind != KindUndefined {
		def = &defV
	}
	get := st.attrGetter(attr, def)
	items := append([]Value(nil), st.iterate(v, st.pos)...)
	if err := sortValues(items, func(x Value) Value { return sortKey(get(x), cs) }, false); err != nil {
		return Value{}, err
	}
	var out []Value
	for i := 0; i < len(items); {
		k := sortKey(get(items[i]), cs)
		j := i + 1
		for j < len(items) && valuesEqual(sortKey(get(items[j]), cs), k) {
			j++
		}
		group := append([]Value(nil), items[i:j]...)
		out = append(out, Value{kind: KindTuple, ref: &List{Items: []Value{get(items[i]), NewList(group...)}, fields: []string{"grouper", "list"}}})
		i = j
	}
	return NewList(out...), nil
}

func fIndent(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	width := param(args, kw, 0, "width", Int(4))
	first := param(args, kw, 1, "first", Bool(false)).Truth()
	blank := param(args, kw, 2, "blank", Bool(false)).Truth()
	ind := ""
	if width.kind == KindString {
		ind = width.s
	} else {
		if width.AsInt() > st.limits.MaxRange {
			return Value{}, valueErr("indent width too large")
		}
		ind = strings.Repeat(" ", int(max(width.AsInt(), 0)))
	}
	s := st.str(v, st.pos) + "\n"
	linesV, _ := st.strMethod(Str(s), "splitlines", nil, nil)
	lines := make([]string, 0, len(linesV.Items()))
	for _, l := range linesV.Items() {
		lines = append(lines, l.s)
	}
	var rv string
	if blank {
		rv = strings.Join(lines, "\n"+ind)
	} else {
		rv = lines[0]
		if len(lines) > 1 {
			rest := make([]string, len(lines)-1)
			for i, l := range lines[1:] {
				if l != "" {
					rest[i] = ind + l
				}
			}
			rv += "\n" + strings.Join(rest, "\n")
		}
	}
	if first {
		rv = ind + rv
	}
	st.work(len(rv), st.pos)
	if v.kind == KindString && v.safe {
		return SafeStr(rv), nil
	}
	return Str(rv), nil
}

func fJoin(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	sep := param(args, kw, 0, "d", Str(""))
	attr := param(args, kw, 1, "attribute", None())
	items := st.iterate(v, st.pos)
	if attr.kind != KindNone {
		get := st.attrGetter(attr, nil)
		mapped := make([]Value, len(items))
		for i, it := range items {
			mapped[i] = get(it)
		}
		items = mapped
	}
	var b strings.Builder
	sepS := st.str(sep, st.pos)
	for i, it := range items {
		if i > 0 {
			b.WriteString(sepS)
		}
		b.WriteString(st.str(it, st.pos))
		if b.Len() > 1<<20 {
			st.work(b.Len()/len(items)+1, st.pos)
		}
	}
	st.work(b.Len(), st.pos)
	return Str(b.String()), nil
}

func fLength(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	return Int(int64(st.length(v, st.pos))), nil
}

func fList(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	return NewList(append([]Value(nil), st.iterate(v, st.pos)...)...), nil
}

func fMap(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	items := st.iterate(v, st.pos)
	out := make([]Value, len(items))
	if len(args) == 0 {
		var attr Value
		var def *Value
		for _, k := range kw {
			switch k.Name {
			case "attribute":
				attr = k.Value
			case "default":
				d := k.Value
				def = &d
			}
		}
		if attr.kind == KindUndefined {
			return NewList(), nil
		}
		get := st.attrGetter(attr, def)
		for i, it := range items {
			out[i] = get(it)
		}
		return NewList(out...), nil
	}
	name := args[0]
	if name.kind != KindString {
		return Value{}, typeErr("map filter name must be a string")
	}
	fn, ok := st.env.Filters[name.s]
	if !ok {
		fn, ok = builtinFilters[name.s]
	}
	if !ok {
		return Value{}, valueErrCode(CodeFilter, "No filter named '%s'.", name.s)
	}
	for i, it := range items {
		r, err := fn(st, it, args[1:], kw)
		if err != nil {
			return Value{}, err
		}
		out[i] = r
	}
	return NewList(out...), nil
}

func fMinMax(isMax bool) FilterFunc {
	return func(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
		cs := param(args, kw, 0, "case_sensitive", Bool(false)).Truth()
		attr := param(args, kw, 1, "attribute", None())
		items := st.iterate(v, st.pos)
		if len(items) == 0 {
			return Undefined("No aggregated item, sequence was empty."), nil
		}
		get := func(x Value) Value { return x }
		if attr.kind != KindNone {
			get = st.attrGetter(attr, nil)
		}
		best := items[0]
		bk := sortKey(get(best), cs)
		for _, it := range items[1:] {
			k := sortKey(get(it), cs)
			c, ok := compareOrder(k, bk)
			if !ok {
				return Value{}, typeErr("'<' not supported between instances of '%s' and '%s'", k.typeName(), bk.typeName())
			}
			if (isMax && c > 0) || (!isMax && c < 0) {
				best, bk = it, k
			}
		}
		return best, nil
	}
}

// fSelect implements select, reject, selectattr and rejectattr.
func fSelect(keep, byAttr bool) FilterFunc {
	return func(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
		get := func(x Value) Value { return x }
		if byAttr {
			if len(args) == 0 {
				return Value{}, typeErr("Missing parameter for attribute name")
			}
			get = st.attrGetter(args[0], nil)
			args = args[1:]
		}
		var test TestFunc
		var targs []Value
		if len(args) > 0 {
			name := args[0]
			if name.kind != KindString {
				return Value{}, typeErr("test name must be a string")
			}
			t, ok := st.env.Tests[name.s]
			if !ok {
				t, ok = builtinTests[name.s]
			}
			if !ok {
				return Value{}, valueErrCode(CodeFilter, "No test named '%s'.", name.s)
			}
			test, targs = t, args[1:]
		}
		var out []Value
		for _, it := range st.iterate(v, st.pos) {
			x := get(it)
			var ok bool
			if test == nil {
				ok = x.Truth()
			} else {
				var err error
				if ok, err = test(st, x, targs); err != nil {
					return Value{}, err
				}
			}
			if ok == keep {
				out = append(out, it)
			}
		}
		return NewList(out...), nil
	}
}

func fReplace(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	old := param(args, kw, 0, "old", Value{})
	nw := param(args, kw, 1, "new", Value{})
	count := param(args, kw, 2, "count", None())
	a := []Value{Str(st.str(old, st.pos)), Str(st.str(nw, st.pos))}
	if count.kind != KindNone {
		a = append(a, count)
	}
	s := v
	if s.kind != KindString {
		s = Str(st.str(v, st.pos))
	}
	return st.strMethod(s, "replace", a, nil)
}

func fReverse(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	if v.kind == KindString {
		r := []rune(v.s)
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return Str(string(r)), nil
	}
	items := st.iterate(v, st.pos)
	out := make([]Value, len(items))
	for i, it := range items {
		out[len(items)-1-i] = it
	}
	return NewList(out...), nil
}

// pyRound is Python's round(x, n) for floats: correctly rounded, ties to even.
func pyRound(f float64, n int) float64 {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return f
	}
	if n >= 0 {
		r, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', n, 64), 64)
		return r
	}
	p := math.Pow(10, float64(-n))
	return math.RoundToEven(f/p) * p
}

func fRound(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	prec := param(args, kw, 0, "precision", Int(0))
	method := param(args, kw, 1, "method", Str("common"))
	if v.kind == KindUndefined {
		return Value{}, checkUndef(v)
	}
	if !v.isNumber() {
		return Value{}, typeErr("type %s doesn't define __round__ method", v.typeName())
	}
	p := int(prec.AsInt())
	switch method.s {
	case "common":
		if v.isInt() {
			if p >= 0 {
				return Int(v.n), nil
			}
			return Int(int64(pyRound(float64(v.n), p))), nil
		}
		return Float(pyRound(v.AsFloat(), p)), nil
	case "ceil", "floor":
		m := math.Pow(10, float64(p))
		f := v.AsFloat() * m
		if method.s == "ceil" {
			f = math.Ceil(f)
		} else {
			f = math.Floor(f)
		}
		return Float(f / m), nil
	}
	return Value{}, typeErr("method must be common, ceil or floor")
}

func fSafe(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	return SafeStr(st.str(v, st.pos)), nil
}

func fSlice(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	n := param(args, kw, 0, "slices", Value{})
	fill := param(args, kw, 1, "fill_with", None())
	if !n.isInt() || n.n <= 0 {
		return Value{}, valueErr("slices must be a positive integer")
	}
	seq := st.iterate(v, st.pos)
	slices := int(n.n)
	length := len(seq)
	per := length / slices
	extra := length % slices
	offset := 0
	var out []Value
	for i := 0; i < slices; i++ {
		start := offset + i*per
		if i < extra {
			offset++
		}
		end := offset + (i+1)*per
		tmp := append([]Value(nil), seq[start:end]...)
		if fill.kind != KindNone && i >= extra {
			tmp = append(tmp, fill)
		}
		out = append(out, NewList(tmp...))
		if st.steps++; st.steps > st.checkAt {
			st.step(st.pos)
		}
	}
	return NewList(out...), nil
}

func fSort(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	rev := param(args, kw, 0, "reverse", Bool(false)).Truth()
	cs := param(args, kw, 1, "case_sensitive", Bool(false)).Truth()
	attr := param(args, kw, 2, "attribute", None())
	items := append([]Value(nil), st.iterate(v, st.pos)...)
	get := func(x Value) Value { return x }
	if attr.kind != KindNone {
		if attr.kind == KindString && strings.Contains(attr.s, ",") {
			parts := strings.Split(attr.s, ",")
			getters := make([]func(Value) Value, len(parts))
			for i, p := range parts {
				getters[i] = st.attrGetter(Str(strings.TrimSpace(p)), nil)
			}
			get = func(x Value) Value {
				ks := make([]Value, len(getters))
				for i, g := range getters {
					ks[i] = sortKey(g(x), cs)
				}
				return NewList(ks...)
			}
		} else {
			get = st.attrGetter(attr, nil)
		}
	}
	err := sortValues(items, func(x Value) Value { return sortKey(get(x), cs) }, rev)
	return NewList(items...), err
}

func fString(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	if v.kind == KindString {
		return v, nil
	}
	return Str(st.str(v, st.pos)), nil
}

// fStriptags is Markup.striptags: drop comments and tags, unescape entities,
// collapse whitespace.
func fStriptags(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	s := st.str(v, st.pos)
	var b strings.Builder
	for {
		i := strings.Index(s, "<!--")
		if i < 0 {
			b.WriteString(s)
			break
		}
		j := strings.Index(s[i+4:], "-->")
		if j < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		s = s[i+4+j+3:]
	}
	s = b.String()
	b.Reset()
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			b.WriteString(s)
			break
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		s = s[i+j+1:]
	}
	s = strings.Join(strings.Fields(b.String()), " ")
	return Str(htmlUnescape(s)), nil
}

func htmlUnescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	r := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#39;", "'", "&#34;", "\"", "&quot;", "\"", "&apos;", "'", "&nbsp;", "\u00a0")
	return r.Replace(s)
}

func fSum(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	attr := param(args, kw, 0, "attribute", None())
	total := param(args, kw, 1, "start", Int(0))
	items := st.iterate(v, st.pos)
	get := func(x Value) Value { return x }
	if attr.kind != KindNone {
		get = st.attrGetter(attr, nil)
	}
	for _, it := range items {
		total = st.binop("+", total, get(it), st.pos)
	}
	return total, nil
}

func fTitle(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	// Jinja's do_title capitalizes words split on whitespace and "-([{<".
	s := st.str(v, st.pos)
	var b strings.Builder
	start := true
	for _, r := range s {
		if start {
			b.WriteRune(unicode.ToUpper(r))
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
		start = isPySpace(r) || strings.ContainsRune("-([{<", r)
	}
	return Str(b.String()), nil
}

func fTrim(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	chars := param(args, kw, 0, "chars", None())
	var a []Value
	if chars.kind != KindNone {
		a = []Value{chars}
	}
	return st.strMethod(Str(st.str(v, st.pos)), "strip", a, nil)
}

func fTruncate(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	length := int(param(args, kw, 0, "length", Int(255)).AsInt())
	kill := param(args, kw, 1, "killwords", Bool(false)).Truth()
	end := st.str(param(args, kw, 2, "end", Str("...")), st.pos)
	leeway := int(param(args, kw, 3, "leeway", Int(5)).AsInt())
	s := []rune(st.str(v, st.pos))
	endLen := utf8.RuneCountInString(end)
	if length < endLen {
		return Value{}, valueErr("expected length >= %d, got %d", endLen, length)
	}
	if len(s) <= length+leeway {
		return Str(string(s)), nil
	}
	cut := string(s[:length-endLen])
	if kill {
		return Str(cut + end), nil
	}
	if i := strings.LastIndexByte(cut, ' '); i >= 0 {
		cut = cut[:i]
	}
	return Str(cut + end), nil
}

func fUnique(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	cs := param(args, kw, 0, "case_sensitive", Bool(false)).Truth()
	attr := param(args, kw, 1, "attribute", None())
	get := func(x Value) Value { return x }
	if attr.kind != KindNone {
		get = st.attrGetter(attr, nil)
	}
	var out, seen []Value
	for _, it := range st.iterate(v, st.pos) {
		k := sortKey(get(it), cs)
		dup := false
		for _, s := range seen {
			if valuesEqual(s, k) {
				dup = true
				break
			}
		}
		if !dup {
			seen = append(seen, k)
			out = append(out, it)
		}
		st.steps += int64(len(seen) / 16)
	}
	return NewList(out...), nil
}

// urlQuote is urllib.parse.quote over UTF-8 with the given extra safe bytes.
func urlQuote(s, safe string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_.-~", c) >= 0 || strings.IndexByte(safe, c) >= 0 {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(c)>>4, 16)) + strings.ToUpper(strconv.FormatInt(int64(c)&15, 16)))
		}
	}
	return b.String()
}

func fURLEncode(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	if v.kind == KindString {
		return Str(urlQuote(v.s, "/")), nil
	}
	var pairs [][2]Value
	if d := v.Dict(); d != nil {
		for i, k := range d.keys {
			pairs = append(pairs, [2]Value{k, d.vals[i]})
		}
	} else if v.kind == KindList || v.kind == KindTuple || v.kind == KindObject {
		for _, it := range st.iterate(v, st.pos) {
			p := it.Items()
			if len(p) != 2 {
				return Value{}, valueErr("urlencode expects pairs")
			}
			pairs = append(pairs, [2]Value{p[0], p[1]})
		}
	} else {
		return Str(urlQuote(st.str(v, st.pos), "/")), nil
	}
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		q := func(x Value) string { return strings.ReplaceAll(urlQuote(st.str(x, st.pos), ""), "%20", "+") }
		parts[i] = q(p[0]) + "=" + q(p[1])
	}
	return Str(strings.Join(parts, "&")), nil
}

func fWordcount(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	n := 0
	in := false
	for _, r := range st.str(v, st.pos) {
		w := r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
		if w && !in {
			n++
		}
		in = w
	}
	return Int(int64(n)), nil
}

// fWordwrap is a simplified textwrap.wrap: greedy on spaces, long words
// broken when break_long_words; hyphen breaking is not modelled.
func fWordwrap(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	width := int(param(args, kw, 0, "width", Int(79)).AsInt())
	breakLong := param(args, kw, 1, "break_long_words", Bool(true)).Truth()
	wrapV := param(args, kw, 2, "wrapstring", None())
	wrap := "\n"
	if wrapV.kind != KindNone {
		wrap = st.str(wrapV, st.pos)
	}
	if width <= 0 {
		return Value{}, valueErr("invalid width %d (must be > 0)", width)
	}
	linesV, _ := st.strMethod(Str(st.str(v, st.pos)), "splitlines", nil, nil)
	var outLines []string
	for _, lv := range linesV.Items() {
		words := strings.Fields(lv.s)
		var lines []string
		cur := ""
		for _, w := range words {
			for breakLong && utf8.RuneCountInString(w) > width {
				rw := []rune(w)
				room := width - utf8.RuneCountInString(cur)
				if cur != "" {
					room--
				}
				if room <= 0 {
					lines = append(lines, cur)
					cur = ""
					continue
				}
				if cur != "" {
					cur += " " + string(rw[:room])
				} else {
					cur = string(rw[:room])
				}
				lines = append(lines, cur)
				cur = ""
				w = string(rw[room:])
			}
			if cur == "" {
				cur = w
			} else if utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(w) <= width {
				cur += " " + w
			} else {
				lines = append(lines, cur)
				cur = w
			}
		}
		if cur != "" {
			lines = append(lines, cur)
		}
		outLines = append(outLines, strings.Join(lines, wrap))
	}
	return Str(strings.Join(outLines, wrap)), nil
}

func fXMLAttr(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	autospace := param(args, kw, 0, "autospace", Bool(true)).Truth()
	d := v.Dict()
	if d == nil {
		return Value{}, typeErr("xmlattr requires a mapping")
	}
	var parts []string
	for i, k := range d.keys {
		val := d.vals[i]
		if val.kind == KindNone || val.kind == KindUndefined {
			continue
		}
		key := st.str(k, st.pos)
		if key == "" || strings.ContainsAny(key, " />=\t\n\f") {
			return Value{}, valueErr("Invalid character in attribute name: %s", quotePy(key))
		}
		parts = append(parts, htmlEscape(key)+"=\""+htmlEscape(st.str(val, st.pos))+"\"")
	}
	s := strings.Join(parts, " ")
	if autospace && s != "" {
		s = " " + s
	}
	return SafeStr(s), nil
}

func fItems(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	if v.kind == KindUndefined {
		return NewList(), nil
	}
	d := v.Dict()
	if d == nil {
		return Value{}, typeErr("Can only get item pairs from a mapping.")
	}
	return st.dictMethod(d, "items", nil, nil)
}

func fFilesize(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	binary := param(args, kw, 0, "binary", Bool(false)).Truth()
	bytes := v.AsFloat()
	if v.kind == KindString {
		f, _ := pyFloatParse(v.s)
		bytes = f
	}
	base := 1000.0
	prefixes := []string{"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"}
	if binary {
		base = 1024
		prefixes = []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"}
	}
	if bytes == 1 {
		return Str("1 Byte"), nil
	}
	if bytes < base {
		return Str(strconv.FormatInt(int64(bytes), 10) + " Bytes"), nil
	}
	unit := base
	for i, p := range prefixes {
		unit = math.Pow(base, float64(i+2))
		if bytes < unit || i == len(prefixes)-1 {
			return Str(strconv.FormatFloat(base*bytes/unit, 'f', 1, 64) + " " + p), nil
		}
	}
	return Str(""), nil
}

func fPprint(st *State, v Value, args []Value, kw []KwArg) (Value, error) {
	return Str(pformat(v)), nil
}

func valueErrCode(code, format string, args ...any) error {
	return diag.Errorf(code, diag.Location{}, format, args...)
}
