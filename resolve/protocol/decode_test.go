package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
)

// TestDecodeStrict: requests decode as encoding/json decoded them (json
// tags, embedded options, pointers, null, numbers as float64 in an any), and
// unknown keys and wrong types are errors naming the option.
func TestDecodeStrict(t *testing.T) {
	var r CompileRequest
	err := Decode("compile", []byte(`{"model":"m","sql":"select 1","vars":{"a":1,"b":[true,null,"x"],"c":{"d":2.5}},"env":{"E":"v"},"incremental":false,"defer":"standard","select":[],"exclude":null,"packageFirst":true,"target":null}`), &r)
	if err != nil {
		t.Fatal(err)
	}
	want := CompileRequest{Model: "m", SQL: ptr("select 1"), Vars: map[string]any{"a": 1.0, "b": []any{true, nil, "x"}, "c": map[string]any{"d": 2.5}},
		Env: map[string]string{"E": "v"}, Incremental: ptr(false)}
	want.Defer, want.Select, want.PackageFirst = "standard", &[]string{}, true
	if !reflect.DeepEqual(r, want) {
		t.Errorf("decoded %+v\nwant    %+v", r, want)
	}
	// null leaves a field as it is; a null element of a list is "" (as
	// encoding/json reads them); embedded options are found by their tags.
	r = CompileRequest{Model: "kept"}
	if err := Decode("compile", []byte(`{"model":null,"exclude":["a",null],"select":null,"unknown":"present","packageFirst":false}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.Model != "kept" || !reflect.DeepEqual(r.Exclude, []string{"a", ""}) || r.Select != nil || r.Unknown != "present" || r.PackageFirst {
		t.Errorf("decoded %+v", r)
	}
	var n struct {
		Manifest     string            `json:"manifest"`
		DevRelations []string          `json:"devRelations"`
		Packages     map[string]string `json:"packageProjects"`
		MaxBytes     int               `json:"maxManifestBytes"`
	}
	if err := Decode("openProject", []byte(`{"manifest":"dev.json","devRelations":["a.b.c"],"packageProjects":{"x":"name: x"},"maxManifestBytes":200}`), &n); err != nil {
		t.Fatal(err)
	}
	if n.Manifest != "dev.json" || n.MaxBytes != 200 || n.Packages["x"] != "name: x" || len(n.DevRelations) != 1 {
		t.Errorf("names = %+v", n)
	}
	for _, c := range []struct{ req, code, contains string }{
		{`{"modle":"m"}`, "options.unknown_key", `compile: unknown option "modle"`},
		{`{"model":1}`, "options.type", `option "model" must be a string, got a JSON number`},
		{`{"incremental":"yes"}`, "options.type", `option "incremental" must be a boolean, got a JSON string`},
		{`{"select":"x"}`, "options.type", `option "select" must be an array, got a JSON string`},
		{`{"select":[1]}`, "options.type", `option "select" must be a string`},
		{`{"env":{"E":1}}`, "options.type", `option "env" must be a string`},
		{`{"vars":[]}`, "options.type", `option "vars" must be an object, got a JSON array`},
		{`[]`, "options.type", `compile: the request must be an object, got a JSON array`},
		{`{"model":`, "options.invalid", "not valid JSON at byte 9"},
		{`{"model":"a\qb"}`, "options.invalid", "not valid JSON at byte 12"},
	} {
		var r CompileRequest
		err := Decode("compile", []byte(c.req), &r)
		de, ok := err.(*diag.Error)
		if !ok || de.Code != c.code || !strings.Contains(de.Message, c.contains) {
			t.Errorf("%s: got %v, want %s containing %q", c.req, err, c.code, c.contains)
		}
	}
	if err := Decode("compile", []byte(`{"maxManifestBytes":1.5}`), &n); err == nil || !strings.Contains(err.Error(), "an integer") {
		t.Errorf("a fractional integer option: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

// decodeFast must read what decodeSlow reads, the same way, or leave the
// request to it: Decode (fast path first) and decodeSlow alone give
// the same struct and the same error for every request.
func FuzzDecodeFastMatchesSlow(f *testing.F) {
	for _, s := range []string{
		`{"from":"customers","refs":["stg_orders"],"defer":"favor-state"}`,
		` { "from" : "a" , "refs" : [ "b" , "c.d" ] , "packageFirst" : true , "select" : [ ] } `,
		`{"refs":[],"exclude":["x+"],"select":["a","b"],"unknown":"present","packageFirst":false}`,
		`{}`, ``, ` `, `{"from":"a\"b"}`, `{"from":"a\u00e9"}`, `{"from":"tab	in"}`, `{"from":null}`,
		`{"refs":["a",null]}`, `{"refs":"a"}`, `{"packageFirst":"true"}`, `{"packageFirst":truex}`,
		`{"from":"a","from":"b"}`, `{"from":"a","from":null}`, `{"from":"a","nope":1}`, `{"from":"a"} x`,
		`{"from":"a",}`, `{"from":"a"`, `{"refs":["a",]}`, `{"refs":["a"}`, `{"from":1}`, `[]`, `"x"`,
		`{"select":null,"exclude":["é","日本"]}`, `{"defer":"standard","profile":"fusion","from":"m"}`,
		"{\"from\":\"\xff\xfe\"}", `{"refs":[["a"]]}`, `{"from":{}}`, `{"select":[true]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, req string) {
		var fast, slow ResolveRequest
		errFast := Decode("resolve", []byte(req), &fast)
		in := []byte(req)
		if len(in) == 0 {
			in = []byte("{}")
		}
		errSlow := decodeSlow("resolve", in, &slow)
		if fmt.Sprint(errFast) != fmt.Sprint(errSlow) {
			t.Fatalf("%q: error %v, decodeSlow alone: %v", req, errFast, errSlow)
		}
		if errFast == nil && !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q: read %#v, decodeSlow alone: %#v", req, fast, slow)
		}
	})
}

// TestDecodeFastTakesJSRequests checks the fast path does read the requests
// the JS API sends (JSON.stringify's output), not only agree with the slow one.
func TestDecodeFastTakesJSRequests(t *testing.T) {
	var r ResolveRequest
	req := []byte(`{"from":"customers","refs":["stg_orders","jaffle.stg_items@v2"],"defer":"favor-state","select":["state:modified+"],"packageFirst":true}`)
	if !decodeFast(req, planOf(reflect.TypeFor[ResolveRequest]()), unsafe.Pointer(&r)) {
		t.Fatal("decodeFast left a plain request to decodeSlow")
	}
	if r.From != "customers" || !reflect.DeepEqual(r.Refs, []string{"stg_orders", "jaffle.stg_items@v2"}) || r.Defer != "favor-state" ||
		r.Select == nil || !reflect.DeepEqual(*r.Select, []string{"state:modified+"}) || !r.PackageFirst {
		t.Fatalf("read %#v", r)
	}
}

// TestDecodeErrorsAreLocated: an error about an option points at its key
// (byte offset, line, column, in the method's request), a syntax error at
// the first bad byte, and an unknown key suggests the nearest known one.
func TestDecodeErrorsAreLocated(t *testing.T) {
	for _, c := range []struct {
		req                  string
		offset, line, column int
		suggestion           string
	}{
		{`{"model":"m",` + "\n" + `  "modle":"x"}`, 16, 2, 3, "model"},
		{`{"sql":"select 1", "incremental":"yes"}`, 19, 1, 20, ""},
		{`{"vars":{"a":[1,2}}`, 17, 1, 18, ""},
		{`{"model":"m"} {}`, 14, 1, 15, ""},
		{"{\n\t\"deffer\": \"standard\"}", 3, 2, 2, "defer"},
	} {
		var r CompileRequest
		err := Decode("compile", []byte(c.req), &r)
		var de *diag.Error
		if !errors.As(err, &de) {
			t.Fatalf("%s: %v", c.req, err)
		}
		l := de.Location
		if l.File != "compile request" || l.Offset != c.offset || l.Line != c.line || l.Column != c.column || l.Suggestion != c.suggestion {
			t.Errorf("%s: located at %+v (%s), want offset %d line %d column %d suggestion %q", c.req, l, de.Message, c.offset, c.line, c.column, c.suggestion)
		}
	}
}

// TestSyntaxErrorAt agrees with encoding/json on where a request first
// stops being JSON.
func TestSyntaxErrorAt(t *testing.T) {
	for _, s := range []string{`{"a":1,}`, `{"a":01}`, `[1,2`, `{"a":tru}`, `{"a":"\x"}`, `{"a":1.}`, `{"a":-}`, `{"a" 1}`, `{1:2}`, `[1e+]`, `{"a":[1]}]`, "\"a\x01\""} {
		var v any
		err := json.Unmarshal([]byte(s), &v)
		var se *json.SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("%s: encoding/json says %v", s, err)
		}
		// encoding/json's Offset is the bytes read, through the bad one.
		if got := syntaxErrorAt([]byte(s)); got+1 != int(se.Offset) && !(got == len(s) && int(se.Offset) == len(s)) {
			t.Errorf("%s: syntaxErrorAt = %d, encoding/json stops after byte %d", s, got, se.Offset)
		}
	}
	if got := syntaxErrorAt([]byte(strings.Repeat("[", 600))); got != maxScanDepth+1 {
		t.Errorf("deep nesting stops at %d", got)
	}
}

// TestTakeKeys: a surface's own keys come out of a request, whatever their
// place in it, and what is left decodes with its errors where they were.
func TestTakeKeys(t *testing.T) {
	for _, c := range []struct{ req, manifest, rest string }{
		{`{"manifest":"dev","model":"m"}`, "dev", `{` + strings.Repeat(" ", 17) + `"model":"m"}`},
		{`{"model":"m", "manifest" : "dev" }`, "dev", `{"model":"m"` + strings.Repeat(" ", 21) + `}`},
		{`{"manifest":"dev"}`, "dev", `{                }`},
		{`{"model":"m"}`, "", `{"model":"m"}`},
		{`{"model":"m","manifest":null,"sql":"x"}`, "", `{"model":"m",                "sql":"x"}`},
	} {
		taken, rest, err := TakeKeys("compile", []byte(c.req), "manifest", "state")
		if err != nil || taken["manifest"] != c.manifest || string(rest) != c.rest {
			t.Errorf("%s: %q %q %v, want %q %q", c.req, taken, rest, err, c.manifest, c.rest)
		}
		var r CompileRequest
		if err := Decode("compile", rest, &r); err != nil || r.Model != "m" && c.manifest != "dev" {
			t.Errorf("%s: what is left does not decode: %v", c.req, err)
		}
	}
	_, rest, _ := TakeKeys("compile", []byte(`{"manifest":"dev",`+"\n"+` "modle":"m"}`), "manifest")
	var r CompileRequest
	var de *diag.Error
	if err := Decode("compile", rest, &r); !errors.As(err, &de) || de.Location.Offset != 20 || de.Location.Line != 2 {
		t.Errorf("an error after a taken key: %v %+v", err, de)
	}
	if _, _, err := TakeKeys("compile", []byte(`{"manifest":1}`), "manifest"); err == nil || !strings.Contains(err.Error(), `"manifest" must be a string`) {
		t.Errorf("a non-string manifest: %v", err)
	}
}
