package jinja

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// htmlEscape is markupsafe.escape's replacement table.
func htmlEscape(s string) string {
	if !strings.ContainsAny(s, "&<>'\"") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\'':
			b.WriteString("&#39;")
		case '"':
			b.WriteString("&#34;")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// percentFormat is Python's printf-style str % args.
func percentFormat(st *State, f string, arg Value) (string, error) {
	var args []Value
	var mapping *Dict
	switch arg.kind {
	case KindTuple:
		args = arg.Items()
	case KindDict:
		mapping = arg.Dict()
		args = []Value{arg}
	default:
		args = []Value{arg}
	}
	var b strings.Builder
	ai := 0
	next := func() (Value, error) {
		if ai >= len(args) {
			return Value{}, typeErr("not enough arguments for format string")
		}
		ai++
		return args[ai-1], nil
	}
	usedMap := false
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(f) {
			return "", valueErr("incomplete format")
		}
		var key string
		hasKey := false
		if f[i] == '(' {
			j := strings.IndexByte(f[i:], ')')
			if j < 0 {
				return "", valueErr("incomplete format key")
			}
			key, hasKey = f[i+1:i+j], true
			i += j + 1
		}
		spec := fmtSpec{fill: ' ', align: '>'}
		for ; i < len(f) && strings.IndexByte("-+ #0", f[i]) >= 0; i++ {
			switch f[i] {
			case '-':
				spec.align = '<'
			case '+', ' ':
				spec.sign = f[i]
			case '#':
				spec.alt = true
			case '0':
				spec.zero = true
			}
		}
		for ; i < len(f) && f[i] >= '0' && f[i] <= '9'; i++ {
			spec.width = spec.width*10 + int(f[i]-'0')
		}
		if i < len(f) && f[i] == '*' {
			v, err := next()
			if err != nil {
				return "", err
			}
			spec.width = int(v.AsInt())
			i++
		}
		if i < len(f) && f[i] == '.' {
			i++
			spec.prec = 0
			spec.hasPrec = true
			for ; i < len(f) && f[i] >= '0' && f[i] <= '9'; i++ {
				spec.prec = spec.prec*10 + int(f[i]-'0')
			}
		}
		for i < len(f) && (f[i] == 'l' || f[i] == 'h' || f[i] == 'L') {
			i++
		}
		if i >= len(f) {
			return "", valueErr("incomplete format")
		}
		// Widths and precisions allocate; charge them before formatting.
		st.work(spec.width+spec.prec, st.pos)
		conv := f[i]
		if conv == '%' {
			b.WriteByte('%')
			continue
		}
		var v Value
		if hasKey {
			if mapping == nil {
				return "", typeErr("format requires a mapping")
			}
			usedMap = true
			var ok bool
			v, ok = mapping.GetStr(key)
			if !ok {
				return "", valueErr("KeyError: %s", quotePy(key))
			}
		} else {
			var err error
			if v, err = next(); err != nil {
				return "", err
			}
		}
		if spec.zero && spec.align != '<' {
			spec.fill, spec.align = '0', '='
		}
		var s string
		switch conv {
		case 's':
			s = st.str(v, st.pos)
			if spec.hasPrec && utf8.RuneCountInString(s) > spec.prec {
				s = string([]rune(s)[:spec.prec])
			}
			spec.fill, spec.align = ' ', spec.alignOr('>')
		case 'r', 'a':
			s = v.Repr()
			spec.fill, spec.align = ' ', spec.alignOr('>')
		case 'd', 'i', 'u':
			if !v.isNumber() {
				return "", typeErr("%%%c format: a real number is required, not %s", conv, v.typeName())
			}
			if v.kind == KindFloat {
				v = Int(int64(v.AsFloat()))
			}
			spec.typ = 'd'
			spec.hasPrec = false
			s = formatNumber(v, spec)
		case 'f', 'F', 'e', 'E', 'g', 'G':
			if !v.isNumber() {
				return "", typeErr("must be real number, not %s", v.typeName())
			}
			spec.typ = conv
			if !spec.hasPrec {
				spec.prec, spec.hasPrec = 6, true
			}
			s = formatNumber(Float(v.AsFloat()), spec)
		case 'x', 'X', 'o':
			if !v.isInt() {
				return "", typeErr("%%%c format: an integer is required, not %s", conv, v.typeName())
			}
			spec.typ = conv
			s = formatNumber(v, spec)
		case 'c':
			if v.isInt() {
				s = string(rune(v.n))
			} else {
				s = v.AsString()
			}
		default:
			return "", valueErr("unsupported format character '%c'", conv)
		}
		b.WriteString(spec.padTo(s))
	}
	if mapping == nil && ai < len(args) {
		return "", typeErr("not all arguments converted during string formatting")
	}
	_ = usedMap
	return b.String(), nil
}

// fmtSpec is a parsed format specification (both % and {} styles).
type fmtSpec struct {
	fill    rune
	align   byte // < > ^ =, 0 for the type's default
	sign    byte
	alt     bool
	zero    bool
	width   int
	comma   byte
	prec    int
	hasPrec bool
	typ     byte
}

func (s fmtSpec) alignOr(def byte) byte {
	if s.align == '=' || s.align == 0 {
		return def
	}
	return s.align
}

func (s fmtSpec) padTo(str string) string {
	n := utf8.RuneCountInString(str)
	if n >= s.width {
		return str
	}
	fill := string(s.fill)
	p := s.width - n
	switch s.align {
	case '<':
		return str + strings.Repeat(fill, p)
	case '^':
		return strings.Repeat(fill, p/2) + str + strings.Repeat(fill, p-p/2)
	case '=':
		if str != "" && (str[0] == '-' || str[0] == '+' || str[0] == ' ') {
			return str[:1] + strings.Repeat(fill, p) + str[1:]
		}
		return strings.Repeat(fill, p) + str
	}
	return strings.Repeat(fill, p) + str
}

// formatNumber renders an int or float for a numeric format type.
func formatNumber(v Value, s fmtSpec) string {
	var body string
	neg := false
	if v.kind == KindFloat || s.typ == 'f' || s.typ == 'F' || s.typ == 'e' || s.typ == 'E' || s.typ == 'g' || s.typ == 'G' || s.typ == '%' {
		f := v.AsFloat()
		neg = f < 0 || (f == 0 && math.Signbit(f))
		f = math.Abs(f)
		prec := s.prec
		if !s.hasPrec {
			prec = 6
		}
		switch s.typ {
		case 'f', 'F':
			body = strconv.FormatFloat(f, 'f', prec, 64)
		case 'e', 'E':
			body = pyExp(strconv.FormatFloat(f, 'e', prec, 64))
		case '%':
			body = strconv.FormatFloat(f*100, 'f', prec, 64) + "%"
		case 'g', 'G':
			if prec == 0 {
				prec = 1
			}
			body = strconv.FormatFloat(f, 'g', prec, 64)
			if strings.Contains(body, "e") {
				body = pyExp(body)
			}
		default:
			if s.hasPrec {
				body = strconv.FormatFloat(f, 'g', max(prec, 1), 64)
				if strings.Contains(body, "e") {
					body = pyExp(body)
				}
			} else {
				body = formatFloat(f)
			}
		}
		if math.IsInf(f, 0) {
			body = "inf"
		} else if math.IsNaN(f) {
			body = "nan"
		}
		if s.typ == 'E' || s.typ == 'G' || s.typ == 'F' {
			body = strings.ToUpper(body)
		}
	} else {
		n := v.n
		neg = n < 0
		u := uint64(n)
		if neg {
			u = uint64(-n)
		}
		switch s.typ {
		case 'x':
			body = strconv.FormatUint(u, 16)
			if s.alt {
				body = "0x" + body
			}
		case 'X':
			body = strings.ToUpper(strconv.FormatUint(u, 16))
			if s.alt {
				body = "0X" + body
			}
		case 'o':
			body = strconv.FormatUint(u, 8)
			if s.alt {
				body = "0o" + body
			}
		case 'b':
			body = strconv.FormatUint(u, 2)
			if s.alt {
				body = "0b" + body
			}
		default:
			body = strconv.FormatUint(u, 10)
		}
	}
	if s.comma != 0 {
		intPart, frac := body, ""
		if i := strings.IndexAny(body, ".e%"); i >= 0 {
			intPart, frac = body[:i], body[i:]
		}
		var g []string
		for len(intPart) > 3 {
			g = append([]string{intPart[len(intPart)-3:]}, g...)
			intPart = intPart[:len(intPart)-3]
		}
		g = append([]string{intPart}, g...)
		body = strings.Join(g, string(s.comma)) + frac
	}
	switch {
	case neg:
		body = "-" + body
	case s.sign == '+':
		body = "+" + body
	case s.sign == ' ':
		body = " " + body
	}
	return body
}

// pyExp rewrites Go's exponent (e+06 is fine; Go already pads to 2 digits).
func pyExp(s string) string { return s }

// pyFormat implements str.format with positional and keyword fields,
// attribute and index lookups, !r/!s conversions and format specs.
func pyFormat(st *State, f string, args []Value, kwargs []KwArg) (string, error) {
	var b strings.Builder
	auto := 0
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c == '}' {
			if i+1 < len(f) && f[i+1] == '}' {
				b.WriteByte('}')
				i++
				continue
			}
			return "", valueErr("Single '}' encountered in format string")
		}
		if c != '{' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(f) && f[i+1] == '{' {
			b.WriteByte('{')
			i++
			continue
		}
		depth, j := 1, i+1
		for ; j < len(f); j++ {
			if f[j] == '{' {
				depth++
			} else if f[j] == '}' {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		if j >= len(f) {
			return "", valueErr("expected '}' before end of string")
		}
		field := f[i+1 : j]
		i = j
		specStr := ""
		if k := strings.IndexByte(field, ':'); k >= 0 {
			field, specStr = field[:k], field[k+1:]
		}
		conv := byte(0)
		if k := strings.IndexByte(field, '!'); k >= 0 {
			if k+1 < len(field) {
				conv = field[k+1]
			}
			field = field[:k]
		}
		// Nested fields in the spec, e.g. {:{width}}.
		if strings.Contains(specStr, "{") {
			s, err := pyFormat(st, specStr, args, kwargs)
			if err != nil {
				return "", err
			}
			specStr = s
		}
		name := field
		rest := ""
		if k := strings.IndexAny(field, ".["); k >= 0 {
			name, rest = field[:k], field[k:]
		}
		var v Value
		if name == "" {
			if auto >= len(args) {
				return "", valueErr("Replacement index %d out of range for positional args tuple", auto)
			}
			v = args[auto]
			auto++
		} else if n, err := strconv.Atoi(name); err == nil && isDigits(name) {
			if n >= len(args) {
				return "", valueErr("Replacement index %d out of range for positional args tuple", n)
			}
			v = args[n]
		} else {
			found := false
			for _, kw := range kwargs {
				if kw.Name == name {
					v, found = kw.Value, true
				}
			}
			if !found {
				return "", valueErr("KeyError: %s", quotePy(name))
			}
		}
		for rest != "" {
			if rest[0] == '.' {
				k := strings.IndexAny(rest[1:], ".[")
				attr := rest[1:]
				if k >= 0 {
					attr, rest = rest[1:k+1], rest[k+1:]
				} else {
					rest = ""
				}
				if strings.HasPrefix(attr, "_") {
					return "", valueErr("access to attribute '%s' of '%s' object is unsafe.", attr, v.typeName())
				}
				v = st.getattr(v, attr, st.pos)
			} else {
				k := strings.IndexByte(rest, ']')
				if k < 0 {
					return "", valueErr("Missing ']' in format string")
				}
				key := rest[1:k]
				rest = rest[k+1:]
				if n, err := strconv.Atoi(key); err == nil && isDigits(key) {
					v = st.getitem(v, Int(int64(n)), st.pos)
				} else {
					v = st.getitem(v, Str(key), st.pos)
				}
			}
		}
		switch conv {
		case 'r', 'a':
			v = Str(v.Repr())
		case 's':
			v = Str(st.str(v, st.pos))
		}
		s, err := formatValue(st, v, specStr)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// formatValue is Python's format(v, spec).
func formatValue(st *State, v Value, specStr string) (string, error) {
	if specStr == "" {
		return st.str(v, st.pos), nil
	}
	s := fmtSpec{fill: ' '}
	p := specStr
	if r, size := utf8.DecodeRuneInString(p); len(p) > size && strings.IndexByte("<>^=", p[size]) >= 0 {
		s.fill, s.align = r, p[size]
		p = p[size+1:]
	} else if len(p) > 0 && strings.IndexByte("<>^=", p[0]) >= 0 {
		s.align = p[0]
		p = p[1:]
	}
	if len(p) > 0 && (p[0] == '+' || p[0] == '-' || p[0] == ' ') {
		s.sign = p[0]
		p = p[1:]
	}
	if len(p) > 0 && p[0] == '#' {
		s.alt = true
		p = p[1:]
	}
	if len(p) > 0 && p[0] == '0' {
		s.zero = true
		p = p[1:]
	}
	for len(p) > 0 && p[0] >= '0' && p[0] <= '9' {
		s.width = s.width*10 + int(p[0]-'0')
		p = p[1:]
	}
	if len(p) > 0 && (p[0] == ',' || p[0] == '_') {
		s.comma = p[0]
		p = p[1:]
	}
	if len(p) > 0 && p[0] == '.' {
		p = p[1:]
		s.hasPrec = true
		for len(p) > 0 && p[0] >= '0' && p[0] <= '9' {
			s.prec = s.prec*10 + int(p[0]-'0')
			p = p[1:]
		}
	}
	// Widths and precisions allocate; charge them so hostile specs hit the limits.
	st.work(s.width+s.prec, st.pos)
	if len(p) > 1 {
		return "", valueErr("Invalid format specifier '%s' for object of type '%s'", specStr, v.typeName())
	}
	if len(p) == 1 {
		s.typ = p[0]
	}
	if s.zero && s.align == 0 {
		s.fill, s.align = '0', '='
	}
	switch {
	case v.kind == KindString:
		if s.typ != 0 && s.typ != 's' {
			return "", valueErr("Unknown format code '%c' for object of type 'str'", s.typ)
		}
		str := v.s
		if s.hasPrec && utf8.RuneCountInString(str) > s.prec {
			str = string([]rune(str)[:s.prec])
		}
		if s.align == 0 {
			s.align = '<'
		}
		return s.padTo(str), nil
	case v.isNumber():
		if v.kind == KindBool && s.typ == 0 {
			str := v.String()
			if s.align == 0 {
				s.align = '<'
			}
			return s.padTo(str), nil
		}
		switch s.typ {
		case 'd', 'x', 'X', 'o', 'b', 'c', 'n':
			if v.kind == KindFloat {
				return "", valueErr("Unknown format code '%c' for object of type 'float'", s.typ)
			}
			if s.typ == 'c' {
				return s.padTo(string(rune(v.n))), nil
			}
		}
		if s.align == 0 {
			s.align = '>'
		}
		return s.padTo(formatNumber(v, s)), nil
	}
	str := st.str(v, st.pos)
	if s.align == 0 {
		s.align = '<'
	}
	return s.padTo(str), nil
}

// isDigits reports a field name Python's formatter treats as an index.
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
