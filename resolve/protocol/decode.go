package protocol

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"unsafe"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
	"github.com/valyala/fastjson"
)

func Decode(method string, req []byte, v any) error {
	if len(req) == 0 {
		req = []byte("{}")
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.Elem().Kind() == reflect.Struct && !rv.IsNil() {
		if decodeFast(req, planOf(rv.Type().Elem()), rv.UnsafePointer()) {
			return nil
		}
	}
	return decodeSlow(method, req, v)
}

// decodeSlow is Decode through fastjson: every request, every error.
func decodeSlow(method string, req []byte, v any) error {
	p := requestParsers.Get()
	defer requestParsers.Put(p)
	x, err := p.ParseBytes(req)
	if err == nil && bytes.IndexByte(req, '\\') >= 0 && syntaxErrorAt(req) < len(req) {
		// fastjson takes any escape ("\q"); JSON (and encoding/json) does not.
		err = errBadEscape
	}
	if err != nil {
		at := syntaxErrorAt(req)
		loc := diag.Location{File: method + " request", Offset: at}
		loc.Line, loc.Column = diag.LineCol(req, at)
		what := "the JSON ends too early"
		if at < len(req) {
			what = fmt.Sprintf("unexpected %q", rune(req[at]))
			if req[at] >= 0x80 {
				what = "unexpected non-ASCII byte"
			}
		}
		return diag.Errorf("options.invalid", loc, "%s: the request is not valid JSON at byte %d (line %d, column %d): %s", method, at, loc.Line, loc.Column, what)
	}
	err = decodeValue(method, "", x, reflect.ValueOf(v).Elem())
	var oe *optionError
	if errors.As(err, &oe) {
		return oe.located(method, req)
	}
	return err
}

var errBadEscape = errors.New("invalid escape")

// optionError is a decoding error about one top-level option; decodeSlow
// locates it at that option's key.
type optionError struct {
	de     *diag.Error
	option string
}

func (e *optionError) Error() string { return e.de.Error() }

// located is the error, at its option's key in the request req.
func (e *optionError) located(method string, req []byte) *diag.Error {
	e.de.Location.File = method + " request"
	if at, ok := keyOffset(req, e.option); ok {
		e.de.Location.Offset = at
		e.de.Location.Line, e.de.Location.Column = diag.LineCol(req, at)
	}
	return e.de
}

// decodeValue decodes x into dst; option is the top-level key it is under.
func decodeValue(method, option string, x *fastjson.Value, dst reflect.Value) error {
	if x.Type() == fastjson.TypeNull {
		return nil
	}
	wrong := func(want string) error { return wrongType(method, option, x, want) }
	switch dst.Kind() {
	case reflect.Pointer:
		e := reflect.New(dst.Type().Elem())
		if err := decodeValue(method, option, x, e.Elem()); err != nil {
			return err
		}
		dst.Set(e)
	case reflect.String:
		b, err := x.StringBytes()
		if err != nil {
			return wrong("a string")
		}
		dst.SetString(string(b))
	case reflect.Bool:
		switch x.Type() {
		case fastjson.TypeTrue, fastjson.TypeFalse:
			dst.SetBool(x.Type() == fastjson.TypeTrue)
		default:
			return wrong("a boolean")
		}
	case reflect.Int:
		n, err := x.Int()
		if err != nil {
			return wrong("an integer")
		}
		dst.SetInt(int64(n))
	case reflect.Interface:
		dst.Set(reflect.ValueOf(manifest.GoValue(x, false)))
	case reflect.Slice:
		a, err := x.Array()
		if err != nil {
			return wrong("an array")
		}
		out := reflect.MakeSlice(dst.Type(), len(a), len(a))
		for i, e := range a {
			if err := decodeValue(method, option, e, out.Index(i)); err != nil {
				return err
			}
		}
		dst.Set(out)
	case reflect.Map:
		o, err := x.Object()
		if err != nil {
			return wrong("an object")
		}
		m := reflect.MakeMapWithSize(dst.Type(), o.Len())
		o.Visit(func(k []byte, e *fastjson.Value) {
			if err != nil {
				return
			}
			ev := reflect.New(dst.Type().Elem()).Elem()
			if err = decodeValue(method, option, e, ev); err == nil {
				m.SetMapIndex(reflect.ValueOf(string(k)), ev)
			}
		})
		if err != nil {
			return err
		}
		dst.Set(m)
	case reflect.Struct:
		o, err := x.Object()
		if err != nil {
			return wrong("an object")
		}
		if !dst.CanAddr() {
			return diag.Errorf("internal.decode", diag.Location{}, "%s: cannot decode into an unaddressable %s", method, dst.Type())
		}
		fields, base := planOf(dst.Type()), dst.Addr().UnsafePointer()
		o.Visit(func(k []byte, e *fastjson.Value) {
			if err != nil {
				return
			}
			f, ok := fields[string(k)]
			if !ok {
				known := make([]string, 0, len(fields))
				for name := range fields {
					known = append(known, name)
				}
				sort.Strings(known)
				if len(known) == 0 {
					err = &optionError{diag.Errorf("options.unknown_key", diag.Location{}, "%s takes no options, got %q", method, k), cmp.Or(option, string(k))}
					return
				}
				err = &optionError{diag.Errorf("options.unknown_key", diag.Location{Suggestion: diag.Closest(string(k), known)},
					"%s: unknown option %q (known: %s)", method, k, strings.Join(known, ", ")), cmp.Or(option, string(k))}
				return
			}
			name := option
			if name == "" {
				// Only error messages read it (and copy it), while the
				// parser's buffer still holds k.
				name = unsafe.String(unsafe.SliceData(k), len(k))
			}
			if e.Type() == fastjson.TypeNull {
				return // null leaves the field as it is
			}
			at := unsafe.Add(base, f.offset)
			if f.set != nil {
				err = f.set(method, name, e, at)
			} else {
				err = decodeValue(method, name, e, reflect.NewAt(f.typ, at).Elem())
			}
		})
		return err
	default:
		return diag.Errorf("internal.decode", diag.Location{}, "%s: cannot decode into %s", method, dst.Type())
	}
	return nil
}

// decodeFast reads the requests the JS API sends (an object whose members
// are known keys with strings, booleans or arrays of strings as values)
// without a parse tree, into the struct at base. It answers false, perhaps
// having set some fields, for anything else: a string with an escape or a
// control character, null, a number, an object, an unknown key, bad JSON.
// decodeSlow then reads the whole request again, member by member in the
// same order, and so sets every field decodeFast set to the same value, and
// says what is wrong. A request read whole is one string its values share.
func decodeFast(req []byte, fields map[string]fieldPlan, base unsafe.Pointer) bool {
	var text string // the request as a string, made at the first value that needs it
	i := skipSpace(req, 0)
	if i >= len(req) || req[i] != '{' {
		return false
	}
	i = skipSpace(req, i+1)
	if i < len(req) && req[i] == '}' {
		return skipSpace(req, i+1) == len(req)
	}
	for {
		ks, ke, ok := plainString(req, i)
		if !ok {
			return false
		}
		f, known := fields[string(req[ks:ke])] // no allocation for the lookup
		if !known || f.kind == kindOther {
			return false
		}
		if i = skipSpace(req, ke+1); i >= len(req) || req[i] != ':' {
			return false
		}
		i = skipSpace(req, i+1)
		at := unsafe.Add(base, f.offset)
		switch f.kind {
		case kindString:
			vs, ve, ok := plainString(req, i)
			if !ok {
				return false
			}
			if text == "" {
				text = string(req)
			}
			*(*string)(at) = text[vs:ve]
			i = ve + 1
		case kindBool:
			switch {
			case bytes.HasPrefix(req[i:], []byte("true")):
				*(*bool)(at), i = true, i+4
			case bytes.HasPrefix(req[i:], []byte("false")):
				*(*bool)(at), i = false, i+5
			default:
				return false
			}
		case kindStrings, kindStringsPtr:
			if i >= len(req) || req[i] != '[' {
				return false
			}
			var list []string
			j := skipSpace(req, i+1)
			if j < len(req) && req[j] == ']' {
				list, i = []string{}, j+1
			} else {
				for {
					vs, ve, ok := plainString(req, j)
					if !ok {
						return false
					}
					if text == "" {
						text = string(req)
					}
					if list == nil {
						list = make([]string, 0, 1+bytes.Count(req[j:], []byte{','}))
					}
					list = append(list, text[vs:ve])
					if j = skipSpace(req, ve+1); j < len(req) && req[j] == ',' {
						j = skipSpace(req, j+1)
						continue
					}
					if j >= len(req) || req[j] != ']' {
						return false
					}
					i = j + 1
					break
				}
			}
			if f.kind == kindStrings {
				*(*[]string)(at) = list
			} else {
				*(**[]string)(at) = &list
			}
		}
		if i = skipSpace(req, i); i >= len(req) {
			return false
		}
		switch req[i] {
		case ',':
			i = skipSpace(req, i+1)
		case '}':
			return skipSpace(req, i+1) == len(req)
		default:
			return false
		}
	}
}

// skipSpace skips JSON whitespace from i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// plainString finds the JSON string at i that needs no unescaping: its
// contents are b[start:end] and its closing quote is at end.
func plainString(b []byte, i int) (start, end int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return i + 1, j, true
		case c == '\\' || c < 0x20:
			return 0, 0, false
		}
	}
	return 0, 0, false
}

// wrongType is Decode's error for x where want was expected.
func wrongType(method, option string, x *fastjson.Value, want string) error {
	if option == "" {
		return diag.Errorf("options.type", diag.Location{File: method + " request"}, "%s: the request must be %s, got a JSON %s", method, want, jsonType(x))
	}
	return &optionError{diag.Errorf("options.type", diag.Location{}, "%s: option %q must be %s, got a JSON %s", method, option, want, jsonType(x)), option}
}

// A fieldPlan is where a request struct's tagged field is (its offset from
// the struct's start, through embedded structs such as
// resolve.CallOptions) and, for the types most requests are made of,
// a setter that writes it without reflection (reflection was most of
// reading a resolve request in wasm). Other types go through decodeValue.
type fieldPlan struct {
	offset uintptr
	typ    reflect.Type
	set    func(method, option string, x *fastjson.Value, at unsafe.Pointer) error
	kind   fieldKind // what decodeFast and set can write
}

type fieldKind uint8

const (
	kindOther fieldKind = iota
	kindString
	kindBool
	kindStrings    // []string
	kindStringsPtr // *[]string
)

// kindOf is the fieldKind of a field of type t: the types decodeFast and
// setterFor write without reflection.
func kindOf(t reflect.Type) fieldKind {
	switch t {
	case reflect.TypeFor[string]():
		return kindString
	case reflect.TypeFor[bool]():
		return kindBool
	case reflect.TypeFor[[]string]():
		return kindStrings
	case reflect.TypeFor[*[]string]():
		return kindStringsPtr
	}
	return kindOther
}

var (
	planMu sync.Mutex
	plans  = map[reflect.Type]map[string]fieldPlan{}
)

// planOf is struct t's fields by json tag name, made once per type.
func planOf(t reflect.Type) map[string]fieldPlan {
	planMu.Lock()
	defer planMu.Unlock()
	p, ok := plans[t]
	if !ok {
		p = map[string]fieldPlan{}
		addFieldPlans(p, t, 0)
		plans[t] = p
	}
	return p
}

// addFieldPlans adds the tagged fields of struct t, at offset base; the
// first field with a name wins, outer fields before an embedded struct's
// later ones.
func addFieldPlans(p map[string]fieldPlan, t reflect.Type, base uintptr) {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
			addFieldPlans(p, sf.Type, base+sf.Offset)
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if _, dup := p[name]; !dup && sf.IsExported() {
			k := kindOf(sf.Type)
			p[name] = fieldPlan{offset: base + sf.Offset, typ: sf.Type, set: setterFor(k), kind: k}
		}
	}
}

// setterFor is the reflection-free setter of a field of kind k, or nil.
// Each reads x as decodeValue would (x is never null here: null leaves a
// field as it is).
func setterFor(k fieldKind) func(method, option string, x *fastjson.Value, at unsafe.Pointer) error {
	switch k {
	case kindString:
		return func(method, option string, x *fastjson.Value, at unsafe.Pointer) error {
			b, err := x.StringBytes()
			if err != nil {
				return wrongType(method, option, x, "a string")
			}
			*(*string)(at) = string(b)
			return nil
		}
	case kindBool:
		return func(method, option string, x *fastjson.Value, at unsafe.Pointer) error {
			switch x.Type() {
			case fastjson.TypeTrue, fastjson.TypeFalse:
				*(*bool)(at) = x.Type() == fastjson.TypeTrue
				return nil
			}
			return wrongType(method, option, x, "a boolean")
		}
	case kindStrings:
		return setStrings
	case kindStringsPtr:
		return func(method, option string, x *fastjson.Value, at unsafe.Pointer) error {
			s := new([]string)
			if err := setStrings(method, option, x, unsafe.Pointer(s)); err != nil {
				return err
			}
			*(**[]string)(at) = s
			return nil
		}
	}
	return nil
}

// setStrings writes a []string (a null element is "", as decodeValue leaves it).
func setStrings(method, option string, x *fastjson.Value, at unsafe.Pointer) error {
	a, err := x.Array()
	if err != nil {
		return wrongType(method, option, x, "an array")
	}
	out := make([]string, len(a))
	for i, e := range a {
		switch e.Type() {
		case fastjson.TypeNull:
		case fastjson.TypeString:
			b, _ := e.StringBytes()
			out[i] = string(b)
		default:
			return wrongType(method, option, e, "a string")
		}
	}
	*(*[]string)(at) = out
	return nil
}

// requestParsers read requests (Decode).
var requestParsers fastjson.ParserPool

// jsonType names a value's JSON type as encoding/json's errors did.
func jsonType(x *fastjson.Value) string {
	switch x.Type() {
	case fastjson.TypeTrue, fastjson.TypeFalse:
		return "bool"
	}
	return x.Type().String()
}

// TakeKeys removes the top-level string members named keys from the JSON
// object req and returns their values and the request without them: a
// surface's own keys (the Worker's manifest and state) beside a call's
// request. The members are blanked out, not the request rewritten, so an
// error in what is left is located where it is in req. Errors are
// Decode's: located, by option name.
func TakeKeys(method string, req []byte, keys ...string) (map[string]string, []byte, error) {
	if len(req) == 0 {
		req = []byte("{}")
	}
	p := requestParsers.Get()
	defer requestParsers.Put(p)
	x, err := p.ParseBytes(req)
	if err != nil || x.Type() != fastjson.TypeObject {
		return nil, nil, Decode(method, req, &struct{}{}) // says what is wrong, and where
	}
	taken := map[string]string{}
	rest := req
	for _, k := range keys {
		v := x.Get(k)
		if v == nil {
			continue
		}
		if v.Type() != fastjson.TypeNull {
			b, err := v.StringBytes()
			if err != nil {
				return nil, nil, wrongType(method, k, v, "a string").(*optionError).located(method, req)
			}
			taken[k] = string(b)
		}
		if len(rest) > 0 && &rest[0] == &req[0] {
			rest = append([]byte(nil), req...) // blank a copy: req is the caller's
		}
		blankMember(rest, k)
	}
	return taken, rest, nil
}

// blankMember overwrites every top-level member key of the object b, with
// the comma that joins it to the next member (or the previous one), with
// spaces. b stays an object with the same offsets for everything else.
func blankMember(b []byte, key string) {
	for {
		at, ok := keyOffset(b, key)
		if !ok {
			return
		}
		end, _ := scanString(b, at)
		end = skipSpace(b, end) + 1 // past ':'
		end, _ = scanValue(b, skipSpace(b, end), 1)
		if j := skipSpace(b, end); j < len(b) && b[j] == ',' {
			end = j + 1 // and its comma
		} else {
			// The last member: blank the comma before it instead.
			for i := at - 1; i >= 0; i-- {
				if b[i] == ',' {
					at = i
					break
				}
				if b[i] == '{' {
					break
				}
			}
		}
		for i := at; i < end; i++ {
			b[i] = ' '
		}
	}
}
