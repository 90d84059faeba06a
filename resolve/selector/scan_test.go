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

// TestSkipContainerWords compares the word-at-a-time container skipper with
// the byte-at-a-time one on random JSON built from awkward pieces, at every
// alignment.
func TestSkipContainerWords(t *testing.T) {
	pieces := []string{`"a"`, `"\""`, `"\\"`, `"\\\""`, `"{["`, `"]}"`, `"x\\\\"`, `1`, `null`, `""`, `"longer string with } and ] inside"`, `"\n\t"`}
	rng := uint64(1)
	next := func(n int) int {
		rng ^= rng << 13
		rng ^= rng >> 7
		rng ^= rng << 17
		return int(rng % uint64(n))
	}
	var gen func(depth int) string
	gen = func(depth int) string {
		if depth > 4 || next(3) == 0 {
			return pieces[next(len(pieces))]
		}
		n := next(5)
		if next(2) == 0 {
			s := "["
			for i := 0; i < n; i++ {
				if i > 0 {
					s += ","
				}
				s += gen(depth + 1)
			}
			return s + "]"
		}
		s := "{"
		for i := 0; i < n; i++ {
			if i > 0 {
				s += ", "
			}
			s += pieces[next(len(pieces))%6] + ":" + gen(depth+1)
		}
		return s + "}"
	}
	for k := 0; k < 3000; k++ {
		v := gen(0)
		if v[0] != '{' && v[0] != '[' {
			continue
		}
		if !json.Valid([]byte(v)) {
			t.Fatalf("generator made invalid JSON %s", v)
		}
		for pad := 0; pad < 9; pad++ {
			d := []byte(spaces(pad) + v + `,"after":[1]}`)
			for _, cut := range []int{len(d), pad + len(v), pad + len(v) - 1} {
				e1, ok1 := skipContainer(d[:cut], pad)
				e2, ok2 := skipContainerScalar(d[:cut], pad)
				if e1 != e2 || ok1 != ok2 {
					t.Fatalf("%q cut %d: words %d,%v bytes %d,%v", d, cut, e1, ok1, e2, ok2)
				}
			}
		}
	}
}

func spaces(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = ' '
	}
	return string(b)
}

func TestMaybeDisabled(t *testing.T) {
	for cfg, want := range map[string]bool{
		`{"enabled":false}`:                              true,
		`{"enabled" :  false}`:                           true,
		`{"enabled":true,"contract":{"enforced":false}}`: false,
		`{"status":"enabled","x":false}`:                 false,
		`{"meta":{"enabled":false},"enabled":true}`:      true, // nested: objGet decides
		`{}`: false,
	} {
		if got := maybeDisabled([]byte(cfg)); got != want {
			t.Errorf("maybeDisabled(%s) = %v", cfg, got)
		}
	}
}
