package jinja

import (
	"encoding/json"
	"sort"
)

// FromGo converts plain Go data (as decoded from JSON or YAML: nil, bool,
// ints, floats, json.Number, string, []any, map[string]any, []string,
// map[string]string) into Values without reflection. Map keys are sorted,
// since Go maps have no order; other types become Undefined.
func FromGo(x any) Value {
	switch v := x.(type) {
	case nil:
		return None()
	case Value:
		return v
	case bool:
		return Bool(v)
	case int:
		return Int(int64(v))
	case int64:
		return Int(v)
	case int32:
		return Int(int64(v))
	case float64:
		return Float(v)
	case float32:
		return Float(float64(v))
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return Int(i)
		}
		f, _ := v.Float64()
		return Float(f)
	case string:
		return Str(v)
	case []any:
		items := make([]Value, len(v))
		for i, it := range v {
			items[i] = FromGo(it)
		}
		return NewList(items...)
	case []string:
		items := make([]Value, len(v))
		for i, it := range v {
			items[i] = Str(it)
		}
		return NewList(items...)
	case map[string]any:
		d := NewDict()
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			d.SetStr(k, FromGo(v[k]))
		}
		return DictValue(d)
	case map[string]string:
		d := NewDict()
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			d.SetStr(k, Str(v[k]))
		}
		return DictValue(d)
	case Object:
		return ObjectValue(v)
	case Func:
		return FuncValue(v)
	case *Dict:
		return DictValue(v)
	case *Macro:
		return MacroValue(v)
	}
	return Undefined("unsupported Go value")
}
