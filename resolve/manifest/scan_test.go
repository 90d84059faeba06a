package manifest

import (
	"fmt"
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

// TestKeyTable: every key is found at its position, absent keys are not,
// and a duplicate keeps the first position with the last span (as Python's
// json keeps the last value of a key, at the first key's place).
func TestKeyTable(t *testing.T) {
	s := &section{}
	for i := 0; i < 5000; i++ {
		s.push(fmt.Sprintf("model.pkg.m%d", i%4000), span{int32(i), int32(i + 1)})
	}
	s.finish()
	if len(s.keys) != 4000 {
		t.Fatalf("%d keys after finish, want 4000", len(s.keys))
	}
	for i := 0; i < 4000; i++ {
		k := fmt.Sprintf("model.pkg.m%d", i)
		sp, ok := s.get(k)
		want := span{int32(i), int32(i + 1)}
		if i < 1000 {
			want = span{int32(i + 4000), int32(i + 4001)}
		}
		if !ok || sp != want || s.keys[i] != k {
			t.Fatalf("get(%s) = %v %v, want %v at position %d", k, sp, ok, want, i)
		}
	}
	for _, k := range []string{"", "model.pkg.m4000", "model.pkg.m-1", "x"} {
		if _, ok := s.get(k); ok {
			t.Errorf("get(%q) found an absent key", k)
		}
	}
	var empty section
	if _, ok := empty.get("a"); ok {
		t.Error("an empty section found a key")
	}
}

// TestKeyIndexGrows: a key index made for no entries grows, and keeps each
// key's unique_ids in order, per package.
func TestKeyIndexGrows(t *testing.T) {
	var k keyIndex
	if k.has("a") || k.get("a", "p") != nil {
		t.Fatal("an empty index found a key")
	}
	for i := 0; i < 3000; i++ {
		key := fmt.Sprintf("m%d", i%1000)
		if isNew := k.add(key, fmt.Sprintf("p%d", i%2), fmt.Sprintf("model.p.%d", i)); isNew != (i < 1000) {
			t.Fatalf("add #%d: new = %v", i, isNew)
		}
	}
	for i := 0; i < 1000; i++ {
		key := fmt.Sprintf("m%d", i)
		got := k.get(key, fmt.Sprintf("p%d", i%2))
		want := []string{fmt.Sprintf("model.p.%d", i), fmt.Sprintf("model.p.%d", i+1000), fmt.Sprintf("model.p.%d", i+2000)}
		if other := k.get(key, fmt.Sprintf("p%d", 1-i%2)); other != nil {
			t.Fatalf("get(%s) in the other package = %v", key, other)
		}
		if !k.has(key) || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("get(%s) = %v, want %v", key, got, want)
		}
	}
	if k.has("m1000") {
		t.Error("found an absent key")
	}
}

// TestClosingQuote: the closing quote is found whatever the escapes and
// wherever they fall against the eight-byte steps of the wasm version
// (GOOS=js runs it; natively the IndexByte one).
func TestClosingQuote(t *testing.T) {
	bodies := []string{``, `a`, `\"`, `\\`, `\\\"`, `ab\\`, `x\"y\\\\`, `é日本\u00e9\n`}
	for _, b := range bodies {
		for pad := 0; pad < 17; pad++ {
			for _, tail := range []string{``, `,"k":1}`, `"`} {
				body := strings.Repeat("p", pad) + b
				in := `"` + body + `"` + tail
				if got := closingQuote([]byte(in), 0); got != len(body)+1 {
					t.Errorf("closingQuote(%q) = %d, want %d", in, got, len(body)+1)
				}
			}
			unterminated := `"` + strings.Repeat("p", pad) + b
			if b == `` || !strings.HasSuffix(b, `"`) || strings.HasSuffix(b, `\"`) {
				if got := closingQuote([]byte(unterminated), 0); got != -1 {
					t.Errorf("closingQuote(%q) = %d, want -1", unterminated, got)
				}
			}
		}
	}
}
