package compile

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve/jinja"
	"github.com/valyala/fastjson"
)

// arg returns the i-th positional argument or the keyword argument name.
func arg(args []jinja.Value, kwargs []jinja.KwArg, i int, name string) (jinja.Value, bool) {
	if i >= 0 && i < len(args) {
		return args[i], true
	}
	for _, kw := range kwargs {
		if kw.Name == name {
			return kw.Value, true
		}
	}
	return jinja.Value{}, false
}

// argStr is arg as a string ("" when absent or None).
func argStr(args []jinja.Value, kwargs []jinja.KwArg, i int, name string) (string, bool) {
	v, ok := arg(args, kwargs, i, name)
	if !ok || v.IsNone() || v.IsUndefined() {
		return "", false
	}
	return v.String(), true
}

// fn wraps a Go function as a jinja value.
func fn(f func(st *jinja.State, args []jinja.Value, kwargs []jinja.KwArg) (jinja.Value, error)) jinja.Value {
	return jinja.FuncValue(f)
}

// constFn returns a function that always returns v.
func constFn(v jinja.Value) jinja.Value {
	return fn(func(*jinja.State, []jinja.Value, []jinja.KwArg) (jinja.Value, error) { return v, nil })
}

// fromJSON converts a fastjson value to a jinja value (objects keep their
// key order, as Python's json module does).
func fromJSON(v *fastjson.Value) jinja.Value {
	if v == nil {
		return jinja.None()
	}
	switch v.Type() {
	case fastjson.TypeNull:
		return jinja.None()
	case fastjson.TypeTrue:
		return jinja.Bool(true)
	case fastjson.TypeFalse:
		return jinja.Bool(false)
	case fastjson.TypeNumber:
		raw := string(v.MarshalTo(nil))
		if !strings.ContainsAny(raw, ".eE") {
			if i, err := strconv.ParseInt(raw, 10, 64); err == nil {
				return jinja.Int(i)
			}
		}
		f, _ := v.Float64()
		return jinja.Float(f)
	case fastjson.TypeString:
		return jinja.Str(string(v.GetStringBytes()))
	case fastjson.TypeArray:
		arr, _ := v.Array()
		items := make([]jinja.Value, len(arr))
		for i, x := range arr {
			items[i] = fromJSON(x)
		}
		return jinja.NewList(items...)
	case fastjson.TypeObject:
		d := jinja.NewDict()
		o, _ := v.Object()
		o.Visit(func(k []byte, x *fastjson.Value) { d.SetStr(string(k), fromJSON(x)) })
		return jinja.DictValue(d)
	}
	return jinja.None()
}

// fromGo converts a value decoded from JSON or YAML (encoding/json or yaml.v3)
// to a jinja value.
func fromGo(x any) jinja.Value {
	switch v := x.(type) {
	case nil:
		return jinja.None()
	case jinja.Value:
		return v
	case bool:
		return jinja.Bool(v)
	case int:
		return jinja.Int(int64(v))
	case int64:
		return jinja.Int(v)
	case uint64:
		return jinja.Int(int64(v))
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			// encoding/json without UseNumber: integers come as float64.
			return jinja.Float(v)
		}
		return jinja.Float(v)
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return jinja.Int(i)
		}
		f, _ := v.Float64()
		return jinja.Float(f)
	case string:
		return jinja.Str(v)
	case []any:
		items := make([]jinja.Value, len(v))
		for i, e := range v {
			items[i] = fromGo(e)
		}
		return jinja.NewList(items...)
	case map[string]any:
		d := jinja.NewDict()
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			d.SetStr(k, fromGo(v[k]))
		}
		return jinja.DictValue(d)
	case *OrderedMap:
		d := jinja.NewDict()
		for _, k := range v.Keys {
			d.SetStr(k, fromGo(v.Values[k]))
		}
		return jinja.DictValue(d)
	case map[any]any:
		d := jinja.NewDict()
		for k, e := range v {
			d.Set(fromGo(k), fromGo(e))
		}
		return jinja.DictValue(d)
	}
	return jinja.Str(fmt.Sprint(x))
}

// OrderedMap is a mapping that keeps its keys' order (YAML vars, JSON vars).
type OrderedMap struct {
	Keys   []string
	Values map[string]any
}

// toGo converts a jinja value to plain Go data for JSON/YAML output.
func toGo(v jinja.Value) any {
	switch v.Kind() {
	case jinja.KindNone, jinja.KindUndefined:
		return nil
	case jinja.KindBool:
		return v.AsBool()
	case jinja.KindInt:
		return v.AsInt()
	case jinja.KindFloat:
		return v.AsFloat()
	case jinja.KindString:
		return v.AsString()
	case jinja.KindList, jinja.KindTuple:
		items := v.Items()
		out := make([]any, len(items))
		for i, x := range items {
			out[i] = toGo(x)
		}
		return out
	case jinja.KindDict:
		d := v.Dict()
		om := &OrderedMap{Values: map[string]any{}}
		for i, k := range d.Keys() {
			ks := k.String()
			om.Keys = append(om.Keys, ks)
			om.Values[ks] = toGo(d.Values()[i])
		}
		return om
	}
	return v.String()
}

// pyJSON renders v as Python's json.dumps does (", " and ": " separators,
// ensure_ascii).
func pyJSON(v jinja.Value, sortKeys bool) string {
	var b strings.Builder
	writePyJSON(&b, v, sortKeys)
	return b.String()
}

func writePyJSON(b *strings.Builder, v jinja.Value, sortKeys bool) {
	switch v.Kind() {
	case jinja.KindNone, jinja.KindUndefined:
		b.WriteString("null")
	case jinja.KindBool:
		if v.AsBool() {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case jinja.KindInt:
		b.WriteString(strconv.FormatInt(v.AsInt(), 10))
	case jinja.KindFloat:
		b.WriteString(v.Repr())
	case jinja.KindList, jinja.KindTuple:
		b.WriteByte('[')
		for i, x := range v.Items() {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyJSON(b, x, sortKeys)
		}
		b.WriteByte(']')
	case jinja.KindDict:
		d := v.Dict()
		keys := append([]jinja.Value(nil), d.Keys()...)
		if sortKeys {
			sort.SliceStable(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		}
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyStr(b, k.String())
			b.WriteString(": ")
			x, _ := d.Get(k)
			writePyJSON(b, x, sortKeys)
		}
		b.WriteByte('}')
	default:
		writePyStr(b, v.String())
	}
}

func writePyStr(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || r > 0x7e:
			if r > 0xffff {
				r -= 0x10000
				fmt.Fprintf(b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			} else {
				fmt.Fprintf(b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// dictObj is a small read-only attribute object backed by a map.
type dictObj struct {
	name  string
	attrs map[string]jinja.Value
	str   string
}

func (o *dictObj) GetAttr(name string) (jinja.Value, bool) { v, ok := o.attrs[name]; return v, ok }
func (o *dictObj) GetItem(key jinja.Value) (jinja.Value, bool) {
	v, ok := o.attrs[key.String()]
	return v, ok
}
func (o *dictObj) String() string {
	if o.str != "" {
		return o.str
	}
	return "<" + o.name + ">"
}
