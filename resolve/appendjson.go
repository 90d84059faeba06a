package resolve

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// AppendJSON appends r as JSON, byte for byte what json.Marshal writes,
// without reflection. A resolve call through the JS API spent 13 µs of wasm time in
// json.Marshal of one result; this takes a tenth of that.
func (r *RefResult) AppendJSON(b []byte) []byte {
	b = append(b, `{"ref":`...)
	b = appendString(b, r.Ref)
	b = append(b, `,"kind":`...)
	b = appendString(b, r.Kind)
	b = append(b, `,"uniqueId":`...)
	b = appendString(b, r.UniqueID)
	b = append(b, `,"relation":`...)
	b = appendString(b, r.Relation)
	b = append(b, `,"env":`...)
	b = appendString(b, string(r.Env))
	b = append(b, `,"rule":`...)
	b = appendString(b, r.Rule)
	b = append(b, `,"reason":`...)
	b = appendString(b, r.Reason)
	if r.Assumption {
		b = append(b, `,"assumption":true`...)
	}
	b = appendMember(b, "evidence", string(r.Evidence))
	b = appendMember(b, "database", r.Database)
	b = appendMember(b, "schema", r.Schema)
	b = appendMember(b, "identifier", r.Identifier)
	b = appendMember(b, "devRelation", r.DevRelation)
	b = appendMember(b, "stateRelation", r.StateRelation)
	b = append(b, `,"selected":`...)
	b = strconv.AppendBool(b, r.Selected)
	if r.State != nil {
		b = append(b, `,"state":`...)
		b = r.State.AppendJSON(b)
	}
	if r.StateRun != nil {
		b = append(b, `,"stateRun":`...)
		b = r.StateRun.AppendJSON(b)
	}
	if r.Upstream != nil {
		u, _ := json.Marshal(r.Upstream) // strings only: cannot fail
		b = append(b, `,"upstream":`...)
		b = append(b, u...)
	}
	return append(b, '}')
}

// AppendJSON appends s as JSON (see RefResult.AppendJSON).
func (s *StateInfo) AppendJSON(b []byte) []byte {
	if s.text != nil {
		return append(b, s.text...)
	}
	b = append(b, '{')
	first := len(b) // every member below starts with a comma; the first's goes
	b = appendMember(b, "invocationId", s.InvocationID)
	b = appendMember(b, "generatedAt", s.GeneratedAt)
	b = appendMember(b, "invocationStartedAt", s.InvocationStartedAt)
	b = appendMember(b, "dbtVersion", s.DbtVersion)
	b = append(b, `,"schemaVersion":`...)
	b = strconv.AppendInt(b, int64(s.SchemaVersion), 10)
	b = appendMember(b, "projectName", s.ProjectName)
	b = appendMember(b, "adapterType", s.AdapterType)
	if len(s.Env) > 0 {
		env, _ := json.Marshal(s.Env) // a map of strings cannot fail
		b = append(b, `,"env":`...)
		b = append(b, env...)
	}
	b = appendMember(b, "file", s.File)
	// The rest are rare or small: encoding/json writes them (a StateInfo's
	// text is written once and kept).
	for _, m := range []struct {
		key string
		v   any
		set bool
	}{{"run", s.Run, s.Run != nil}, {"runResults", s.RunResults, s.RunResults != nil}, {"age", s.Age, s.Age != nil},
		{"stale", s.Stale, s.Stale}, {"staleAfter", s.StaleAfter, s.StaleAfter != 0}} {
		if m.set {
			v, _ := json.Marshal(m.v) // plain structs and numbers: cannot fail
			b = append(b, ',', '"')
			b = append(b, m.key...)
			b = append(b, '"', ':')
			b = append(b, v...)
		}
	}
	b = append(b[:first], b[first+1:]...)
	return append(b, '}')
}

// AppendJSON appends n as JSON (see RefResult.AppendJSON).
func (n *NodeRun) AppendJSON(b []byte) []byte {
	if n.text != nil {
		return append(b, n.text...)
	}
	v, _ := json.Marshal(n)
	return append(b, v...)
}

// appendMember appends ,"key":"v" unless v is empty (omitempty).
func appendMember(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendString(b, v)
}

// jsonSafe marks the ASCII bytes appendString copies as they are.
var jsonSafe = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// Masks for plain8: a 1 and a high bit in every byte of a word.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plain8 reports whether the 8 bytes of x (in any order) are all ASCII that
// appendString copies as they are (jsonSafe): none at or above 0x80, below
// 0x20, or one of " & < > \\. Setting one bit pairs some of them (" and &
// are 0x22 and 0x26, < and > 0x3c and 0x3e). Each test has no false negatives
// (a word with such a byte always fails it); a false positive would only
// send the bytes through the byte-at-a-time path. Small enough to be inlined.
func plain8(x uint64) bool {
	zero := func(v uint64) uint64 { return (v - ones) &^ v }
	return (x|(x-0x20*ones)&^x|zero((x|0x04*ones)^0x26*ones)|zero((x|0x02*ones)^0x3e*ones)|zero(x^0x5c*ones))&highs == 0
}

// appendString appends s as a JSON string, byte for byte as encoding/json
// writes it: quote, backslash and control characters escaped, <, > and &
// as \u003c, \u003e and \u0026, U+2028 and U+2029 escaped, invalid UTF-8
// as \ufffd.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) && plain8(*(*uint64)(unsafe.Pointer(unsafe.StringData(s[i:])))) {
			i += 8 // a byte at a time was a sixth of a resolve call in wasm
			continue
		}
		c := s[i]
		if jsonSafe[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&15])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
