package manifest

import (
	"bytes"
	"unsafe"
)

// maxDepth bounds JSON nesting while skipping: hostile input cannot exhaust
// the stack or make the scan quadratic.
const maxDepth = 4096

// scanError is a scan failure at a byte offset; Open turns it into a diag.Error.
type scanError struct {
	offset int
	msg    string
}

func (e *scanError) Error() string { return e.msg }

// scanner walks JSON bytes without building values. It validates structure
// (strings closed, brackets matched, commas and colons where JSON wants them at
// the levels it indexes) and leaves full validation of each entry to fastjson,
// which runs when the entry is decoded.
type scanner struct {
	data []byte
	pos  int
	// stack is skipContainer's bracket stack, kept between calls so that
	// skipping an entry neither allocates nor zeroes one.
	stack []byte
}

func (s *scanner) fail(msg string) *scanError {
	return &scanError{offset: s.pos, msg: msg}
}

func (s *scanner) eofError(what string) *scanError {
	return &scanError{offset: len(s.data), msg: "unexpected end of input inside " + what + " (the file is truncated?)"}
}

func (s *scanner) skipWS() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// expect consumes byte c after optional whitespace.
func (s *scanner) expect(c byte, what string) *scanError {
	s.skipWS()
	if s.pos >= len(s.data) {
		return s.eofError(what)
	}
	if s.data[s.pos] != c {
		return s.fail("expected '" + string(c) + "' " + what + ", found " + describeByte(s.data[s.pos]))
	}
	s.pos++
	return nil
}

func describeByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return "'" + string(c) + "'"
	}
	return "byte 0x" + string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&15])
}

// stringEnd returns the offset just past the string whose opening quote is
// at open, and whether it holds escapes (keys need unescaping).
func stringEnd(data []byte, open int) (end int, escaped bool, ok bool) {
	end, ok = skipString(data, open)
	if ok {
		escaped = bytes.IndexByte(data[open+1:end-1], '\\') >= 0
	}
	return end, escaped, ok
}

// readKey reads an object key at the current position and returns it; keys
// without escapes share the input's memory (the input is never mutated).
func (s *scanner) readKey() (string, *scanError) {
	s.skipWS()
	if s.pos >= len(s.data) {
		return "", s.eofError("an object")
	}
	if s.data[s.pos] != '"' {
		return "", s.fail("expected a quoted object key, found " + describeByte(s.data[s.pos]))
	}
	start := s.pos
	end, esc, ok := stringEnd(s.data, start)
	if !ok {
		return "", &scanError{offset: start, msg: "unterminated string (the file is truncated?)"}
	}
	s.pos = end
	raw := s.data[start+1 : end-1]
	if esc {
		return unescape(raw), nil
	}
	return unsafe.String(unsafe.SliceData(raw), len(raw)), nil
}

// skipValue skips one JSON value and returns its span.
func (s *scanner) skipValue() (start, end int, err *scanError) {
	s.skipWS()
	if s.pos >= len(s.data) {
		return 0, 0, s.eofError("a value")
	}
	start = s.pos
	c := s.data[s.pos]
	switch {
	case c == '"':
		e, ok := skipString(s.data, s.pos)
		if !ok {
			return 0, 0, &scanError{offset: start, msg: "unterminated string (the file is truncated?)"}
		}
		s.pos = e
		return start, e, nil
	case c == '{' || c == '[':
		if err := s.skipContainer(); err != nil {
			return 0, 0, err
		}
		return start, s.pos, nil
	case c == '-' || (c >= '0' && c <= '9'):
		for s.pos < len(s.data) && isNumberByte(s.data[s.pos]) {
			s.pos++
		}
		return start, s.pos, nil
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return 0, 0, s.fail("expected a JSON value, found " + describeByte(c))
}

func isNumberByte(c byte) bool {
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

func (s *scanner) literal(lit string) (int, int, *scanError) {
	start := s.pos
	if !bytes.HasPrefix(s.data[s.pos:], []byte(lit)) {
		if len(s.data)-s.pos < len(lit) && bytes.HasPrefix([]byte(lit), s.data[s.pos:]) {
			return 0, 0, s.eofError("a literal")
		}
		return 0, 0, s.fail("invalid literal, expected " + lit)
	}
	s.pos += len(lit)
	return start, s.pos, nil
}

// structural marks the bytes skipContainer must look at.
var structural = [256]bool{'"': true, '{': true, '}': true, '[': true, ']': true}

// skipContainer skips an object or array starting at s.pos, matching brackets
// with an explicit stack so deep nesting cannot overflow the Go stack.
func (s *scanner) skipContainer() *scanError {
	stack := s.stack[:0]
	defer func() { s.stack = stack[:0] }()
	data := s.data
	i := s.pos
	for i < len(data) {
		for i < len(data) && !structural[data[i]] {
			i++
		}
		if i >= len(data) {
			break
		}
		c := data[i]
		switch c {
		case '"':
			q := closingQuote(data, i)
			if q < 0 {
				return &scanError{offset: i, msg: "unterminated string (the file is truncated?)"}
			}
			i = q + 1
			continue
		case '{', '[':
			if len(stack) == maxDepth {
				return &scanError{offset: i, msg: "JSON nested too deeply (limit 4096 levels)"}
			}
			stack = append(stack, c)
		case '}', ']':
			if len(stack) == 0 {
				return &scanError{offset: i, msg: "unexpected " + describeByte(c)}
			}
			open := stack[len(stack)-1]
			if (c == '}') != (open == '{') {
				return &scanError{offset: i, msg: "mismatched " + describeByte(c) + " closing " + describeByte(open)}
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				s.pos = i + 1
				return nil
			}
		}
		i++
	}
	s.pos = len(data)
	return s.eofError("an object or array")
}

// eachMember iterates the members of the object starting at s.pos, calling fn
// with the key; fn must consume the value (skipValue or a nested walk).
func (s *scanner) eachMember(fn func(key string, keyOffset int) *scanError) *scanError {
	if err := s.expect('{', "at the start of an object"); err != nil {
		return err
	}
	s.skipWS()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		return nil
	}
	return s.members(fn)
}

// members is eachMember from the first key on (past the '{'), up to and
// including the '}' that closes the object.
func (s *scanner) members(fn func(key string, keyOffset int) *scanError) *scanError {
	for {
		s.skipWS()
		keyOff := s.pos
		k, err := s.readKey()
		if err != nil {
			return err
		}
		if err := s.expect(':', "after an object key"); err != nil {
			return err
		}
		if err := fn(k, keyOff); err != nil {
			return err
		}
		s.skipWS()
		if s.pos >= len(s.data) {
			return s.eofError("an object")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return s.fail("expected ',' or '}' in an object, found " + describeByte(s.data[s.pos]))
		}
	}
}

// eachElement iterates the elements of the array starting at s.pos.
func (s *scanner) eachElement(fn func() *scanError) *scanError {
	if err := s.expect('[', "at the start of an array"); err != nil {
		return err
	}
	s.skipWS()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		return nil
	}
	for {
		if err := fn(); err != nil {
			return err
		}
		s.skipWS()
		if s.pos >= len(s.data) {
			return s.eofError("an array")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return s.fail("expected ',' or ']' in an array, found " + describeByte(s.data[s.pos]))
		}
	}
}

// unescape decodes a JSON string body with escapes (keys only; rare).
func unescape(raw []byte) string {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			out = append(out, c)
			continue
		}
		i++
		switch raw[i] {
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'u':
			if i+4 < len(raw) {
				var r rune
				for _, h := range raw[i+1 : i+5] {
					r <<= 4
					switch {
					case h >= '0' && h <= '9':
						r |= rune(h - '0')
					case h >= 'a' && h <= 'f':
						r |= rune(h-'a') + 10
					case h >= 'A' && h <= 'F':
						r |= rune(h-'A') + 10
					}
				}
				out = append(out, string(r)...)
				i += 4
			}
		default:
			out = append(out, raw[i])
		}
	}
	return string(out)
}

// skipString returns the offset just past the string whose opening quote is
// at open. Skipping values never needs to know about escapes, so it looks at
// each byte once (closingQuote: per architecture).
func skipString(data []byte, open int) (end int, ok bool) {
	q := closingQuote(data, open)
	if q < 0 {
		return len(data), false
	}
	return q + 1, true
}

// escapedQuote reports whether the quote at q is escaped: an odd number of
// backslashes right before it (not counting the opening quote at open).
func escapedQuote(data []byte, open, q int) bool {
	k := q - 1
	for k > open && data[k] == '\\' {
		k--
	}
	return (q-1-k)&1 == 1
}
