package manifest

import (
	"strings"
	"testing"
)

// TestSkipString checks the string skipper against a plain byte-by-byte
// reading of JSON strings: quotes at every offset of an 8-byte word, escaped
// quotes and backslashes, bytes ≥ 0x80, unterminated strings.
func TestSkipString(t *testing.T) {
	want := func(s string, open int) (int, bool) {
		for i := open + 1; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
			case '"':
				return i + 1, true
			}
		}
		return len(s), false
	}
	var cases []string
	for n := 0; n < 20; n++ {
		body := strings.Repeat("a", n)
		cases = append(cases, `"`+body+`"`, `"`+body+`\"x"`, `"`+body+`\\"`, `"`+body+`\\\"é\\"`, `"`+body, `"`+body+"\xff\x80\"", `"`+body+`\"`)
	}
	for _, c := range cases {
		for _, s := range []string{c, c + ` ,"next"`, "  " + c} {
			open := strings.IndexByte(s, '"')
			gotEnd, gotOK := skipString([]byte(s), open)
			wantEnd, wantOK := want(s, open)
			if gotEnd != wantEnd || gotOK != wantOK {
				t.Errorf("skipString(%q) = %d %v, want %d %v", s, gotEnd, gotOK, wantEnd, wantOK)
			}
		}
	}
}
