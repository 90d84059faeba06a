package selector

import (
	"encoding/json"
	"testing"
)

func TestFieldOfMatchesFieldByKey(t *testing.T) {
	for k, f := range fieldByKey {
		if got := fieldOf([]byte(k)); got != f {
			t.Errorf("fieldOf(%q) = %d, want %d", k, got, f)
		}
	}
	if fieldOf([]byte("meta")) != fNone || fieldOf(nil) != fNone {
		t.Error("unknown keys must map to fNone")
	}
}

// TestSkipValue checks the fast skipper against encoding/json on strings
// with escapes at every position around the 8-byte word boundaries.
func TestSkipValue(t *testing.T) {
	var cases []string
	for n := 0; n < 40; n++ {
		for _, tail := range []string{`\"`, `\\`, `\\\"`, `\n`, `"`, `\\\\`} {
			s := ""
			for i := 0; i < n; i++ {
				s += "x"
			}
			cases = append(cases, `"`+s+tail+`"`)
		}
	}
	cases = append(cases, `{"a":[1,2,{"b":"}]"}],"c":"\\"}`, `[[],{},"[",{"x":"\""}]`, `{}`, `[]`, `true`, `-1.5e3`)
	for _, c := range cases {
		if !json.Valid([]byte(c)) {
			continue
		}
		d := []byte(c + ` ,"rest"`)
		s, e, ok := skipValue(d, 0)
		if !ok || s != 0 || e != len(c) {
			t.Errorf("skipValue(%s) = %d,%d,%v; want 0,%d", c, s, e, ok, len(c))
		}
	}
	for _, bad := range []string{`"abc`, `"abcdefghijkl\"`, `{"a":[1,2`, `"\`} {
		if _, _, ok := skipValue([]byte(bad), 0); ok {
			t.Errorf("skipValue(%s) ok on truncated input", bad)
		}
	}
}
