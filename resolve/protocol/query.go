package protocol

import (
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
)

// FromQuery is the JSON request that URL parameters q spell, for the
// Worker's GET routes: each key of the call's request is a parameter of the
// same name (or its `query` tag's), repeatable for a list (a `query:",comma"`
// list also splits on commas), true/false for a boolean, a non-negative
// integer for a number. A list given as an empty parameter is [""], which
// selects nothing, as the JSON [] does. Parameters named in extra belong to
// the caller and are skipped; any other unknown parameter is
// request.unknown_param, and a key a URL cannot carry (an object) says to
// POST the request instead.
func FromQuery(c *Call, q url.Values, extra ...string) ([]byte, error) {
	type param struct {
		key   string
		typ   reflect.Type
		comma bool
	}
	params := map[string]param{}
	known := append([]string{}, extra...)
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
				walk(sf.Type)
				continue
			}
			key, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			name, opts, _ := strings.Cut(sf.Tag.Get("query"), ",")
			if name == "" {
				name = key
			}
			if _, dup := params[name]; dup || !sf.IsExported() {
				continue
			}
			params[name] = param{key: key, typ: sf.Type, comma: opts == "comma"}
			known = append(known, name)
		}
	}
	walk(c.Request)
	req := map[string]any{}
	for name, vals := range q {
		if contains(extra, name) {
			continue
		}
		p, ok := params[name]
		if !ok {
			return nil, diag.Errorf("request.unknown_param", diag.Location{Suggestion: diag.Closest(name, known)},
				"unknown query parameter %q (known: %s)", name, strings.Join(known, ", "))
		}
		v, err := queryValue(c.Name, name, p.typ, vals, p.comma)
		if err != nil {
			return nil, err
		}
		if v != nil {
			req[p.key] = v
		}
	}
	return Marshal(req)
}

// queryValue is parameter name's values as the JSON value of a field of
// type t (nil: absent).
func queryValue(method, name string, t reflect.Type, vals []string, comma bool) (any, error) {
	last := vals[len(vals)-1]
	if t.Kind() == reflect.Pointer && t.Elem().Kind() != reflect.Slice {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return last, nil
	case reflect.Bool:
		if last == "" {
			return nil, nil
		}
		b, err := strconv.ParseBool(last)
		if err != nil {
			return nil, diag.Errorf("options."+name, diag.Location{}, "%s must be true or false, got %q", name, last)
		}
		return b, nil
	case reflect.Int:
		if last == "" {
			return nil, nil
		}
		n, err := strconv.Atoi(last)
		if err != nil || n < 0 {
			return nil, diag.Errorf("options."+name, diag.Location{}, "%s must be a non-negative integer, got %q", name, last)
		}
		return n, nil
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem() // *[]string: present (even empty) is a list
	}
	if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String {
		if !comma {
			return vals, nil
		}
		out := []string{}
		for _, v := range vals {
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					out = append(out, s)
				}
			}
		}
		return out, nil
	}
	return nil, diag.Errorf("request.needs_body", diag.Location{}, "%s: %s cannot be a URL parameter; POST the request as JSON instead", method, name)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
