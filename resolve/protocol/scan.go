package protocol

// A small JSON scanner for decoding's error path only: where the first
// syntax error is (fastjson's errors quote the unparsed tail, not its
// offset), and where a top-level key is, so an error about an option points
// at it.

// syntaxErrorAt is the byte offset of the first syntax error in b (len(b)
// when b ends too early).
func syntaxErrorAt(b []byte) int {
	i := skipSpace(b, 0)
	i, ok := scanValue(b, i, 0)
	if !ok {
		return i
	}
	if i = skipSpace(b, i); i < len(b) {
		return i // data after the value
	}
	return len(b)
}

// keyOffset is the offset of top-level key in the object b (the key's
// opening quote).
func keyOffset(b []byte, key string) (int, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return 0, false
	}
	i = skipSpace(b, i+1)
	for i < len(b) && b[i] == '"' {
		start := i
		end, ok := scanString(b, i)
		if !ok {
			return 0, false
		}
		if k := b[start+1 : end-1]; string(k) == key {
			return start, true
		}
		if i = skipSpace(b, end); i >= len(b) || b[i] != ':' {
			return 0, false
		}
		if i, ok = scanValue(b, skipSpace(b, i+1), 1); !ok {
			return 0, false
		}
		if i = skipSpace(b, i); i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
			continue
		}
		break
	}
	return 0, false
}

// maxScanDepth bounds scanValue's recursion: deeper requests are refused
// at that point.
const maxScanDepth = 512

// scanValue scans the value at i and returns the offset after it, or the
// offset of the error and false.
func scanValue(b []byte, i, depth int) (int, bool) {
	if i >= len(b) || depth > maxScanDepth {
		return i, false
	}
	switch c := b[i]; {
	case c == '{' || c == '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == closer {
			return i + 1, true
		}
		for {
			if c == '{' {
				if i >= len(b) || b[i] != '"' {
					return i, false
				}
				end, ok := scanString(b, i)
				if !ok {
					return end, false
				}
				if i = skipSpace(b, end); i >= len(b) || b[i] != ':' {
					return i, false
				}
				i = skipSpace(b, i+1)
			}
			end, ok := scanValue(b, i, depth+1)
			if !ok {
				return end, false
			}
			i = skipSpace(b, end)
			if i < len(b) && b[i] == ',' {
				i = skipSpace(b, i+1)
				continue
			}
			if i < len(b) && b[i] == closer {
				return i + 1, true
			}
			return i, false
		}
	case c == '"':
		return scanString(b, i)
	case c == 't':
		return scanWord(b, i, "true")
	case c == 'f':
		return scanWord(b, i, "false")
	case c == 'n':
		return scanWord(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return scanNumber(b, i)
	}
	return i, false
}

// scanString scans the string whose quote is at i: the offset after its
// closing quote, or of the bad byte.
func scanString(b []byte, i int) (int, bool) {
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1, true
		case c < 0x20:
			return j, false
		case c == '\\':
			j++
			if j >= len(b) {
				return j, false
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				for k := 1; k <= 4; k++ {
					if j+k >= len(b) || !isHex(b[j+k]) {
						return j + k, false
					}
				}
				j += 4
			default:
				return j, false
			}
		}
	}
	return len(b), false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func scanWord(b []byte, i int, w string) (int, bool) {
	for k := 0; k < len(w); k++ {
		if i+k >= len(b) || b[i+k] != w[k] {
			return i + k, false
		}
	}
	return i + len(w), true
}

// scanNumber scans a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	digits := func() bool {
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > start
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if !digits() {
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return i, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return i, false
		}
	}
	return i, true
}
