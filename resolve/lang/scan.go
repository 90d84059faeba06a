// Package lang reads an edited dbt SQL buffer as an editor needs it: where
// each Jinja region is, and in them every call (ref(), source(), var(),
// config(), a macro…) and every `this`, with its arguments and their
// places, without rendering anything. It is tolerant: a buffer that does
// not parse (an unclosed {{, a half-typed ref) is still read up to where it
// breaks and past it, so that a language service can answer while the user
// types. Positions are byte offsets here; Buffer turns them into what an
// editor counts (UTF-16 offsets, lines and columns).
package lang

import (
	"sort"
	"strings"
)

// RegionKind is what a Jinja region is.
type RegionKind uint8

const (
	Expr    RegionKind = iota // {{ … }}
	Stmt                      // {% … %}
	Comment                   // {# … #}
)

// A Region is one Jinja delimiter pair and what is inside it: Start is the
// opening delimiter, End the byte after the closing one (the end of the
// buffer when it is unclosed). Inner is the region's content.
type Region struct {
	Kind       RegionKind
	Start, End int
	InnerStart int
	InnerEnd   int
	Closed     bool
}

// ArgKind is what an argument of a call is.
type ArgKind uint8

const (
	ArgString ArgKind = iota // a string literal: Value is its text
	ArgOther                 // anything else: computed when the template renders
)

// An Arg is one argument of a call. Start and End span it (a keyword
// argument from its key); for a string, ValueStart and ValueEnd span its
// content between the quotes.
type Arg struct {
	Kind                 ArgKind
	Key                  string // the keyword, for key=value
	Value                string // a string's text (escapes undone)
	Start, End           int
	ValueStart, ValueEnd int
	Closed               bool // a string's closing quote was found
}

// A Call is a name called with arguments, or `this`. Name is the callee as
// written: "ref", "dbt_utils.star", "adapter.get_columns_in_relation".
type Call struct {
	Name               string
	Start, End         int // from the name to after ")" (the region's end when unclosed)
	NameStart, NameEnd int
	Open               int // the "(" (-1: `this`, not a call)
	Args               []Arg
	Closed             bool // ")" was found
	Region             int  // index in Scan.Regions
	// Conditional says the call is inside an {% if %}, {% for %} or
	// {% macro %} block: whether it renders depends on what the template
	// computes (dbt records only the refs that render).
	Conditional bool
}

// Scan is what a buffer holds.
type Scan struct {
	Text    string
	blocks  int // open if/for/macro/call/filter blocks while reading
	Regions []Region
	Calls   []Call
	// Assigned are the names the buffer itself binds ({% set %}, {% for %},
	// {% macro %} and its arguments, {% import … as %}): a call of one is
	// not a macro of the project.
	Assigned map[string]bool
}

// Read scans text.
func Read(text string) *Scan {
	s := &Scan{Text: text, Assigned: map[string]bool{}}
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '{')
		if j < 0 {
			break
		}
		i += j
		if i+1 >= len(text) {
			break
		}
		switch text[i+1] {
		case '{':
			i = s.region(Expr, i, "}}")
		case '%':
			i = s.region(Stmt, i, "%}")
		case '#':
			end := strings.Index(text[i+2:], "#}")
			r := Region{Kind: Comment, Start: i, InnerStart: i + 2}
			if end < 0 {
				r.End, r.InnerEnd = len(text), len(text)
			} else {
				r.InnerEnd, r.End, r.Closed = i+2+end, i+2+end+2, true
			}
			s.Regions = append(s.Regions, r)
			i = r.End
		default:
			i++
		}
	}
	return s
}

// region reads the region opening at i, whose closer is closer, and the
// calls in it; it returns where scanning goes on.
func (s *Scan) region(kind RegionKind, i int, closer string) int {
	text := s.Text
	inner := i + 2
	if inner < len(text) && (text[inner] == '-' || text[inner] == '+') {
		inner++
	}
	toks, end, closed := tokenize(text, inner, closer)
	r := Region{Kind: kind, Start: i, InnerStart: inner, InnerEnd: end, Closed: closed, End: end}
	if closed {
		r.End = end + 2
		if end > inner && (text[end-1] == '-' || text[end-1] == '+') {
			r.InnerEnd = end - 1
		}
	}
	idx := len(s.Regions)
	s.Regions = append(s.Regions, r)
	first := len(s.Calls)
	if kind == Stmt && len(toks) > 0 && toks[0].kind == tIdent {
		switch toks[0].text {
		case "endif", "endfor", "endmacro", "endcall", "endfilter":
			s.blocks = max(0, s.blocks-1)
		}
	}
	defer func() {
		// An {% if x %}'s own test renders; what is inside it may not.
		for i := first; i < len(s.Calls); i++ {
			s.Calls[i].Conditional = s.blocks > 0
		}
		if kind == Stmt && len(toks) > 0 && toks[0].kind == tIdent {
			switch toks[0].text {
			case "if", "for", "macro", "call", "filter":
				s.blocks++
			}
		}
	}()
	if kind == Stmt {
		s.assigned(toks)
		if len(toks) > 0 && toks[0].kind == tIdent && toks[0].text == "raw" && closed {
			// {% raw %}…{% endraw %}: nothing inside is Jinja.
			if k := strings.Index(text[r.End:], "endraw"); k >= 0 {
				if m := strings.Index(text[r.End+k:], "%}"); m >= 0 {
					return r.End + k + m + 2
				}
			}
			return len(text)
		}
	}
	s.calls(toks, idx)
	sort.SliceStable(s.Calls, func(i, j int) bool { return s.Calls[i].Start < s.Calls[j].Start })
	return r.End
}

// assigned records the names a statement binds.
func (s *Scan) assigned(toks []token) {
	if len(toks) == 0 || toks[0].kind != tIdent {
		return
	}
	names := func(from int, stop func(token) bool) {
		for _, t := range toks[from:] {
			if stop(t) {
				return
			}
			if t.kind == tIdent {
				s.Assigned[t.text] = true
			}
		}
	}
	switch toks[0].text {
	case "set":
		names(1, func(t token) bool { return t.text == "=" })
	case "for":
		names(1, func(t token) bool { return t.kind == tIdent && t.text == "in" })
	case "macro", "call":
		// The macro's name and its parameters (not their defaults' values).
		depth := 0
		for k, t := range toks[1:] {
			switch t.text {
			case "(":
				depth++
			case ")":
				depth--
			}
			if t.kind == tIdent && (k == 0 || depth == 1 && (toks[k].text == "(" || toks[k].text == ",")) {
				s.Assigned[t.text] = true
			}
		}
	case "import", "from":
		for k, t := range toks {
			if t.kind == tIdent && t.text == "as" && k+1 < len(toks) {
				s.Assigned[toks[k+1].text] = true
			}
			if toks[0].text == "from" && t.kind == tIdent && t.text == "import" {
				names(k+1, func(token) bool { return false })
			}
		}
	}
}

// calls finds the calls (and `this`) in a region's tokens: a name, or a
// two-part name (pkg.macro, adapter.method), followed by "(". A name after
// "." or "|" is an attribute or a filter, not a call of the global.
func (s *Scan) calls(toks []token, region int) {
	for k := 0; k < len(toks); k++ {
		t := toks[k]
		if t.kind != tIdent || isKeyword(t.text) || k > 0 && (toks[k-1].text == "." || toks[k-1].text == "|") {
			continue
		}
		name, nameEnd, last := t.text, t.end, k
		if k+3 < len(toks) && toks[k+1].text == "." && toks[k+2].kind == tIdent && toks[k+3].text == "(" {
			name, nameEnd, last = t.text+"."+toks[k+2].text, toks[k+2].end, k+2
		}
		if last+1 < len(toks) && toks[last+1].text == "(" {
			c := Call{Name: name, Start: t.start, NameStart: t.start, NameEnd: nameEnd, Open: toks[last+1].start, Region: region}
			k = s.args(&c, toks, last+2)
			s.Calls = append(s.Calls, c)
			continue
		}
		if name == "this" && (k+1 >= len(toks) || toks[k+1].text != "=") {
			s.Calls = append(s.Calls, Call{Name: "this", Start: t.start, End: t.end, NameStart: t.start, NameEnd: t.end, Open: -1, Closed: true, Region: region})
		}
	}
}

// args reads a call's arguments from toks[k] (after its "(") and returns
// the index of its ")" (or the last token). Calls nested in an argument are
// read too.
func (s *Scan) args(c *Call, toks []token, k int) int {
	depth := 0
	first, argStart := k, k
	flush := func(end int) {
		if argStart >= end {
			return
		}
		a := argOf(toks[argStart:end])
		c.Args = append(c.Args, a)
	}
	for ; k < len(toks); k++ {
		switch toks[k].text {
		case "(", "[", "{":
			depth++
		case ")", "]", "}":
			if depth == 0 {
				flush(k)
				c.End, c.Closed = toks[k].end, true
				s.calls(toks[first:k], c.Region) // calls inside the arguments
				return k
			}
			depth--
		case ",":
			if depth == 0 {
				flush(k)
				argStart = k + 1
			}
		}
	}
	flush(len(toks))
	s.calls(toks[first:], c.Region)
	if n := len(toks); n > 0 {
		c.End = toks[n-1].end
	} else {
		c.End = c.NameEnd
	}
	return len(toks) - 1
}

// argOf reads one argument's tokens.
func argOf(toks []token) Arg {
	a := Arg{Kind: ArgOther, Start: toks[0].start, End: toks[len(toks)-1].end}
	if len(toks) >= 2 && toks[0].kind == tIdent && toks[1].text == "=" {
		a.Key = toks[0].text
		toks = toks[2:]
	}
	if len(toks) == 1 && toks[0].kind == tString {
		t := toks[0]
		a.Kind, a.Value, a.ValueStart, a.ValueEnd, a.Closed = ArgString, t.value, t.start+1, t.end-1, t.closed
		if !t.closed {
			a.ValueEnd = t.end
		}
	}
	return a
}

// isKeyword says a name is a Jinja keyword or operator word, never called.
func isKeyword(s string) bool {
	switch s {
	case "and", "or", "not", "in", "is", "if", "else", "elif", "endif", "for", "endfor", "set", "endset",
		"macro", "endmacro", "call", "endcall", "filter", "endfilter", "import", "from", "as", "with", "endwith",
		"true", "false", "none", "True", "False", "None", "block", "endblock", "do", "recursive", "raw", "endraw":
		return true
	}
	return false
}

type tokKind uint8

const (
	tIdent tokKind = iota
	tString
	tNumber
	tPunct
)

type token struct {
	kind       tokKind
	text       string // the token as written (a string's quotes included)
	value      string // a string's text
	start, end int
	closed     bool // a string's closing quote was found
}

// tokenize reads Jinja expression tokens from i up to closer (outside
// strings), returning them, where closer is (or len(text)) and whether it
// was found.
func tokenize(text string, i int, closer string) ([]token, int, bool) {
	var toks []token
	for i < len(text) {
		c := text[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.HasPrefix(text[i:], closer):
			return toks, i, true
		case (c == '-' || c == '+') && strings.HasPrefix(text[i+1:], closer):
			return toks, i + 1, true // a whitespace-control closer: "-}}"
		case c == '\'' || c == '"':
			start := i
			var b strings.Builder
			i++
			closed := false
			for i < len(text) {
				if text[i] == '\\' && i+1 < len(text) {
					b.WriteByte(text[i+1])
					i += 2
					continue
				}
				if text[i] == c {
					closed = true
					i++
					break
				}
				if text[i] == '\n' || strings.HasPrefix(text[i:], closer) {
					break // an unclosed string ends at its line (or the region's end)
				}
				b.WriteByte(text[i])
				i++
			}
			toks = append(toks, token{kind: tString, text: text[start:i], value: b.String(), start: start, end: i, closed: closed})
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80:
			start := i
			for i < len(text) && (text[i] == '_' || text[i] >= 'a' && text[i] <= 'z' || text[i] >= 'A' && text[i] <= 'Z' || text[i] >= '0' && text[i] <= '9' || text[i] >= 0x80) {
				i++
			}
			toks = append(toks, token{kind: tIdent, text: text[start:i], start: start, end: i})
		case c >= '0' && c <= '9':
			start := i
			for i < len(text) && (text[i] >= '0' && text[i] <= '9' || text[i] == '.' || text[i] == '_' || text[i] == 'e' || text[i] == 'E') {
				i++
			}
			toks = append(toks, token{kind: tNumber, text: text[start:i], start: start, end: i})
		default:
			n := 1
			if i+1 < len(text) && strings.Contains("== != <= >= // ** ", text[i:i+2]+" ") {
				n = 2
			}
			toks = append(toks, token{kind: tPunct, text: text[i : i+n], start: i, end: i + n})
			i += n
		}
	}
	return toks, len(text), false
}
