package jinja

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind classifies a token.
type tokKind uint8

const (
	tEOF tokKind = iota
	tData
	tVarBegin
	tVarEnd
	tBlockBegin
	tBlockEnd
	tName
	tString
	tInt
	tFloat
	tOp
)

var tokNames = [...]string{"end of template", "template data", "'{{'", "'}}'", "'{%'", "'%}'", "name", "string", "integer", "float", "operator"}

// token is one lexeme; pos is its byte offset in the normalized source.
type token struct {
	kind tokKind
	val  string
	pos  int
}

func (t token) String() string {
	switch t.kind {
	case tName, tOp, tInt, tFloat:
		return "'" + t.val + "'"
	}
	return tokNames[t.kind]
}

// normalizeSource applies Jinja's newline rules: every \r\n and \r become \n,
// and (keep_trailing_newline being off) one trailing newline is dropped.
func normalizeSource(src string) string {
	if strings.IndexByte(src, '\r') >= 0 {
		src = strings.ReplaceAll(src, "\r\n", "\n")
		src = strings.ReplaceAll(src, "\r", "\n")
	}
	return strings.TrimSuffix(src, "\n")
}

// lexer turns normalized source into tokens, following Jinja2's lexer: data
// until the first "{{", "{%" or "{#"; "-" after an opening delimiter strips
// trailing whitespace of the data before it; "-" before a closing delimiter
// strips the whitespace after it; raw blocks pass through untouched.
type lexer struct {
	src    string
	pos    int
	toks   []token
	err    *lexError
	parens []byte
}

type lexError struct {
	msg string
	pos int
}

func tokenize(src string) ([]token, *lexError) {
	lx := &lexer{src: src, toks: make([]token, 0, len(src)/4+4)}
	lx.run()
	if lx.err != nil {
		return nil, lx.err
	}
	lx.toks = append(lx.toks, token{kind: tEOF, pos: len(src)})
	return lx.toks, nil
}

func (lx *lexer) fail(pos int, msg string) {
	if lx.err == nil {
		lx.err = &lexError{msg: msg, pos: pos}
	}
}

// emitData appends a data token, applying a pending rstrip.
func (lx *lexer) emitData(start, end int, rstrip bool) {
	text := lx.src[start:end]
	if rstrip {
		text = strings.TrimRightFunc(text, unicode.IsSpace)
	}
	if text != "" {
		lx.toks = append(lx.toks, token{kind: tData, val: text, pos: start})
	}
}

// skipSpace returns the offset after the whitespace at p.
func (lx *lexer) skipSpace(p int) int {
	for p < len(lx.src) {
		r, size := utf8.DecodeRuneInString(lx.src[p:])
		if !unicode.IsSpace(r) {
			break
		}
		p += size
	}
	return p
}

func (lx *lexer) run() {
	src := lx.src
	for lx.err == nil {
		start := lx.pos
		i := indexDelim(src, start)
		if i < 0 {
			lx.emitData(start, len(src), false)
			return
		}
		kind := src[i+1]
		after := i + 2
		strip := after < len(src) && src[after] == '-'
		if after < len(src) && (src[after] == '-' || src[after] == '+') {
			after++
		}
		if kind == '%' {
			if end, ok := lx.rawBlock(i, after, start, strip); ok {
				lx.pos = end
				continue
			}
		}
		lx.emitData(start, i, strip)
		switch kind {
		case '#':
			lx.comment(i, after)
		case '{':
			lx.toks = append(lx.toks, token{kind: tVarBegin, pos: i})
			lx.pos = after
			lx.inside(i, "}}", tVarEnd)
		case '%':
			lx.toks = append(lx.toks, token{kind: tBlockBegin, pos: i})
			lx.pos = after
			lx.inside(i, "%}", tBlockEnd)
		}
	}
}

// indexDelim finds the next "{{", "{%" or "{#" at or after p.
func indexDelim(s string, p int) int {
	for {
		j := strings.IndexByte(s[p:], '{')
		if j < 0 || p+j+1 >= len(s) {
			return -1
		}
		c := s[p+j+1]
		if c == '{' || c == '%' || c == '#' {
			return p + j
		}
		p += j + 1
	}
}

// rawBlock handles {% raw %}...{% endraw %}; ok is false when the block at
// open is not a raw tag.
func (lx *lexer) rawBlock(open, after, dataStart int, strip bool) (int, bool) {
	p := lx.skipSpace(after)
	if !strings.HasPrefix(lx.src[p:], "raw") {
		return 0, false
	}
	p = lx.skipSpace(p + 3)
	bodyStart := 0
	switch {
	case strings.HasPrefix(lx.src[p:], "-%}"):
		bodyStart = lx.skipSpace(p + 3)
	case strings.HasPrefix(lx.src[p:], "%}"), strings.HasPrefix(lx.src[p:], "+%}"):
		bodyStart = p + 2
		if lx.src[p] == '+' {
			bodyStart++
		}
	default:
		return 0, false
	}
	lx.emitData(dataStart, open, strip)
	// Find {%[-+]?\s*endraw\s*[-+]?%}.
	q := bodyStart
	for {
		j := strings.Index(lx.src[q:], "{%")
		if j < 0 {
			lx.fail(open, "Missing end of raw directive")
			return len(lx.src), true
		}
		k := q + j + 2
		endStrip := false
		if k < len(lx.src) && (lx.src[k] == '-' || lx.src[k] == '+') {
			endStrip = lx.src[k] == '-'
			k++
		}
		k = lx.skipSpace(k)
		if strings.HasPrefix(lx.src[k:], "endraw") {
			m := lx.skipSpace(k + 6)
			end := -1
			switch {
			case strings.HasPrefix(lx.src[m:], "-%}"):
				end = lx.skipSpace(m + 3)
			case strings.HasPrefix(lx.src[m:], "+%}"):
				end = m + 3
			case strings.HasPrefix(lx.src[m:], "%}"):
				end = m + 2
			}
			if end >= 0 {
				lx.emitData(bodyStart, q+j, endStrip)
				return end, true
			}
		}
		q = q + j + 2
	}
}

// comment skips {# ... #}; "-#}" also eats the whitespace after it.
func (lx *lexer) comment(open, after int) {
	j := strings.Index(lx.src[after:], "#}")
	if j < 0 {
		lx.fail(open, "Missing end of comment tag")
		return
	}
	end := after + j + 2
	if j > 0 && lx.src[after+j-1] == '-' {
		end = lx.skipSpace(end)
	}
	lx.pos = end
}

// inside lexes the tokens of a {{ }} or {% %} tag up to its closing delimiter.
func (lx *lexer) inside(open int, closer string, endKind tokKind) {
	src := lx.src
	lx.parens = lx.parens[:0]
	for {
		p := lx.skipSpace(lx.pos)
		lx.pos = p
		if p >= len(src) {
			if endKind == tVarEnd {
				lx.fail(open, "unexpected end of template, expected 'end of print statement'")
			} else {
				lx.fail(open, "unexpected end of template, expected 'end of statement block'")
			}
			return
		}
		if len(lx.parens) == 0 {
			switch {
			case strings.HasPrefix(src[p:], closer):
				lx.toks = append(lx.toks, token{kind: endKind, pos: p})
				lx.pos = p + 2
				return
			case (src[p] == '-' || src[p] == '+') && strings.HasPrefix(src[p+1:], closer):
				lx.toks = append(lx.toks, token{kind: endKind, pos: p})
				lx.pos = p + 3
				if src[p] == '-' {
					lx.pos = lx.skipSpace(lx.pos)
				}
				return
			}
		}
		c := src[p]
		switch {
		case c == '"' || c == '\'':
			lx.str(p)
		case c >= '0' && c <= '9':
			lx.number(p)
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80:
			q := p
			for q < len(src) {
				r, size := utf8.DecodeRuneInString(src[q:])
				if r == '_' || unicode.IsLetter(r) || (q > p && unicode.IsDigit(r)) {
					q += size
					continue
				}
				break
			}
			if q == p {
				lx.fail(p, "unexpected char "+quotePy(string([]rune(src[p:])[0]))+" at "+itoa(p))
				return
			}
			lx.toks = append(lx.toks, token{kind: tName, val: src[p:q], pos: p})
			lx.pos = q
		default:
			lx.operator(p)
		}
		if lx.err != nil {
			return
		}
	}
}

var twoCharOps = [...]string{"//", "**", "==", "!=", ">=", "<="}

func (lx *lexer) operator(p int) {
	src := lx.src
	if p+1 < len(src) {
		two := src[p : p+2]
		for _, op := range twoCharOps {
			if two == op {
				lx.toks = append(lx.toks, token{kind: tOp, val: op, pos: p})
				lx.pos = p + 2
				return
			}
		}
	}
	c := src[p]
	switch c {
	case '(', '[', '{':
		lx.parens = append(lx.parens, c)
	case ')', ']', '}':
		want := byte('(')
		if c == ']' {
			want = '['
		} else if c == '}' {
			want = '{'
		}
		if len(lx.parens) == 0 {
			lx.fail(p, "unexpected '"+string(c)+"'")
			return
		}
		if lx.parens[len(lx.parens)-1] != want {
			lx.fail(p, "unexpected '"+string(c)+"', expected '"+string(closing(lx.parens[len(lx.parens)-1]))+"'")
			return
		}
		lx.parens = lx.parens[:len(lx.parens)-1]
	case '+', '-', '/', '*', '%', '~', '>', '<', '=', '.', ':', '|', ',', ';':
	default:
		r, _ := utf8.DecodeRuneInString(src[p:])
		lx.fail(p, "unexpected char "+quotePy(string(r))+" at "+itoa(p))
		return
	}
	lx.toks = append(lx.toks, token{kind: tOp, val: src[p : p+1], pos: p})
	lx.pos = p + 1
}

func closing(c byte) byte {
	switch c {
	case '(':
		return ')'
	case '[':
		return ']'
	}
	return '}'
}

// number lexes Jinja integer and float literals, including 0x/0o/0b prefixes,
// underscores and exponents. A float never starts right after a dot, so
// "a.0.1" is two subscripts.
func (lx *lexer) number(p int) {
	src := lx.src
	q := p
	isDigitOrUnderscore := func(c byte) bool { return c >= '0' && c <= '9' || c == '_' }
	if src[p] == '0' && p+1 < len(src) && strings.IndexByte("xXoObB", src[p+1]) >= 0 {
		q = p + 2
		for q < len(src) && (isHex(src[q]) || src[q] == '_') {
			q++
		}
		lx.toks = append(lx.toks, token{kind: tInt, val: src[p:q], pos: p})
		lx.pos = q
		return
	}
	for q < len(src) && isDigitOrUnderscore(src[q]) {
		q++
	}
	kind := tInt
	afterDot := p > 0 && src[p-1] == '.'
	if !afterDot && q+1 < len(src) && src[q] == '.' && src[q+1] >= '0' && src[q+1] <= '9' {
		kind = tFloat
		q++
		for q < len(src) && isDigitOrUnderscore(src[q]) {
			q++
		}
	}
	if !afterDot && q < len(src) && (src[q] == 'e' || src[q] == 'E') {
		r := q + 1
		if r < len(src) && (src[r] == '+' || src[r] == '-') {
			r++
		}
		if r < len(src) && src[r] >= '0' && src[r] <= '9' {
			for r < len(src) && isDigitOrUnderscore(src[r]) {
				r++
			}
			kind = tFloat
			q = r
		}
	}
	lx.toks = append(lx.toks, token{kind: kind, val: src[p:q], pos: p})
	lx.pos = q
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// str lexes a quoted string and decodes Python escapes.
func (lx *lexer) str(p int) {
	src := lx.src
	q := src[p]
	i := p + 1
	for i < len(src) && src[i] != q {
		if src[i] == '\\' {
			i++
		}
		i++
	}
	if i >= len(src) {
		lx.fail(p, "unexpected char "+quotePy(string(q))+" at "+itoa(p))
		return
	}
	lx.toks = append(lx.toks, token{kind: tString, val: unescapePy(src[p+1 : i]), pos: p})
	lx.pos = i + 1
}

// unescapePy decodes Python's unicode-escape rules; unknown escapes stay as written.
func unescapePy(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := s[i]; e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '\\', '\'', '"':
			b.WriteByte(e)
		case '\n':
		case 'a':
			b.WriteByte(7)
		case 'b':
			b.WriteByte(8)
		case 'f':
			b.WriteByte(12)
		case 'v':
			b.WriteByte(11)
		case 'x', 'u', 'U':
			n := 2
			if e == 'u' {
				n = 4
			} else if e == 'U' {
				n = 8
			}
			if i+n < len(s) && allHex(s[i+1:i+1+n]) {
				var r rune
				for _, h := range s[i+1 : i+1+n] {
					r = r*16 + rune(hexVal(byte(h)))
				}
				b.WriteRune(r)
				i += n
			} else {
				b.WriteByte('\\')
				b.WriteByte(e)
			}
		case '0', '1', '2', '3', '4', '5', '6', '7':
			r := rune(0)
			j := i
			for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
				r = r*8 + rune(s[j]-'0')
				j++
			}
			b.WriteRune(r)
			i = j - 1
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return b.String()
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return int(c-'A') + 10
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var buf [20]byte
	n := len(buf)
	neg := i < 0
	if neg {
		i = -i
	}
	for i > 0 {
		n--
		buf[n] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		n--
		buf[n] = '-'
	}
	return string(buf[n:])
}
