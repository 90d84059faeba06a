package compile

import (
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/jinja"
)

// setObj is a Python set as dbt's set() returns it: membership (`in`),
// length, iteration, the set methods templates use (intersection, union,
// difference, issubset, add, …) and the operators | & - ^. Items keep
// insertion order (CPython's order for strings depends on hash seeds, so no
// template can rely on it).
type setObj struct {
	items []jinja.Value
	index map[string]int
}

func setKey(v jinja.Value) string {
	if v.Kind() == jinja.KindInt || v.Kind() == jinja.KindFloat || v.Kind() == jinja.KindBool {
		// 1 == 1.0 == True in a Python set
		return "n:" + jinja.Float(v.AsFloat()).Repr()
	}
	return v.Kind().String() + ":" + v.Repr()
}

func newSet(items []jinja.Value) *setObj {
	s := &setObj{index: map[string]int{}}
	for _, x := range items {
		s.add(x)
	}
	return s
}

func (s *setObj) add(x jinja.Value) {
	k := setKey(x)
	if _, ok := s.index[k]; !ok {
		s.index[k] = len(s.items)
		s.items = append(s.items, x)
	}
}

func (s *setObj) has(x jinja.Value) bool { _, ok := s.index[setKey(x)]; return ok }

func (s *setObj) Iterate() []jinja.Value         { return append([]jinja.Value(nil), s.items...) }
func (s *setObj) Len() int                       { return len(s.items) }
func (s *setObj) Truth() bool                    { return len(s.items) > 0 }
func (s *setObj) Contains(item jinja.Value) bool { return s.has(item) }

func (s *setObj) String() string {
	if len(s.items) == 0 {
		return "set()"
	}
	parts := make([]string, len(s.items))
	for i, x := range s.items {
		parts[i] = x.Repr()
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
func (s *setObj) Repr() string { return s.String() }

func (s *setObj) Equal(other jinja.Value) bool {
	o, ok := other.Object().(*setObj)
	if !ok || other.Kind() != jinja.KindObject || o.Len() != s.Len() {
		return false
	}
	for _, x := range s.items {
		if !o.has(x) {
			return false
		}
	}
	return true
}

// combine is union (|), intersection (&), difference (-) and symmetric
// difference (^).
func (s *setObj) combine(op string, o *setObj) *setObj {
	out := newSet(nil)
	switch op {
	case "|":
		for _, x := range s.items {
			out.add(x)
		}
		for _, x := range o.items {
			out.add(x)
		}
	case "&":
		for _, x := range s.items {
			if o.has(x) {
				out.add(x)
			}
		}
	case "-":
		for _, x := range s.items {
			if !o.has(x) {
				out.add(x)
			}
		}
	case "^":
		for _, x := range s.items {
			if !o.has(x) {
				out.add(x)
			}
		}
		for _, x := range o.items {
			if !s.has(x) {
				out.add(x)
			}
		}
	}
	return out
}

func (s *setObj) BinaryOp(op string, other jinja.Value, right bool) (jinja.Value, bool, error) {
	o, ok := other.Object().(*setObj)
	if !ok || other.Kind() != jinja.KindObject {
		return jinja.Value{}, false, nil
	}
	switch op {
	case "-":
		if right {
			return jinja.ObjectValue(o.combine(op, s)), true, nil
		}
		return jinja.ObjectValue(s.combine(op, o)), true, nil
	case "|", "&", "^":
		return jinja.ObjectValue(s.combine(op, o)), true, nil
	}
	return jinja.Value{}, false, nil
}

// iterArgs turns method arguments (any iterables) into sets.
func iterArgs(a []jinja.Value) ([]*setObj, error) {
	out := make([]*setObj, len(a))
	for i, v := range a {
		if o, ok := v.Object().(*setObj); ok && v.Kind() == jinja.KindObject {
			out[i] = o
			continue
		}
		if !isIterable(v) {
			return nil, diag.Errorf("jinja.type", diag.Location{}, "'%s' object is not iterable", v.Kind())
		}
		out[i] = newSet(iterValues(v))
	}
	return out, nil
}

func (s *setObj) GetAttr(name string) (jinja.Value, bool) {
	multi := map[string]string{"union": "|", "intersection": "&", "difference": "-", "symmetric_difference": "^"}
	if op, ok := multi[name]; ok {
		return fn(func(_ *jinja.State, a []jinja.Value, _ []jinja.KwArg) (jinja.Value, error) {
			sets, err := iterArgs(a)
			if err != nil {
				return jinja.Value{}, err
			}
			out := newSet(s.items)
			for _, o := range sets {
				out = out.combine(op, o)
			}
			return jinja.ObjectValue(out), nil
		}), true
	}
	pred := func(f func(o *setObj) bool) jinja.Value {
		return fn(func(_ *jinja.State, a []jinja.Value, _ []jinja.KwArg) (jinja.Value, error) {
			sets, err := iterArgs(a)
			if err != nil || len(sets) != 1 {
				if err == nil {
					err = diag.Errorf("jinja.type", diag.Location{}, "set.%s() takes exactly one argument (%d given)", name, len(a))
				}
				return jinja.Value{}, err
			}
			return jinja.Bool(f(sets[0])), nil
		})
	}
	subset := func(a, b *setObj) bool {
		for _, x := range a.items {
			if !b.has(x) {
				return false
			}
		}
		return true
	}
	switch name {
	case "issubset":
		return pred(func(o *setObj) bool { return subset(s, o) }), true
	case "issuperset":
		return pred(func(o *setObj) bool { return subset(o, s) }), true
	case "isdisjoint":
		return pred(func(o *setObj) bool { return s.combine("&", o).Len() == 0 }), true
	case "add":
		return fn(func(_ *jinja.State, a []jinja.Value, _ []jinja.KwArg) (jinja.Value, error) {
			for _, x := range a {
				s.add(x)
			}
			return jinja.None(), nil
		}), true
	case "update":
		return fn(func(_ *jinja.State, a []jinja.Value, _ []jinja.KwArg) (jinja.Value, error) {
			sets, err := iterArgs(a)
			if err != nil {
				return jinja.Value{}, err
			}
			for _, o := range sets {
				for _, x := range o.items {
					s.add(x)
				}
			}
			return jinja.None(), nil
		}), true
	case "discard", "remove":
		return fn(func(_ *jinja.State, a []jinja.Value, _ []jinja.KwArg) (jinja.Value, error) {
			if len(a) != 1 {
				return jinja.Value{}, diag.Errorf("jinja.type", diag.Location{}, "set.%s() takes exactly one argument (%d given)", name, len(a))
			}
			if !s.has(a[0]) {
				if name == "remove" {
					return jinja.Value{}, diag.Errorf("jinja.value", diag.Location{}, "KeyError: %s", a[0].Repr())
				}
				return jinja.None(), nil
			}
			rest := s.items[:0:0]
			for _, x := range s.items {
				if setKey(x) != setKey(a[0]) {
					rest = append(rest, x)
				}
			}
			*s = *newSet(rest)
			return jinja.None(), nil
		}), true
	case "copy":
		return constFn(jinja.ObjectValue(newSet(s.items))), true
	}
	return jinja.Value{}, false
}

func isIterable(v jinja.Value) bool {
	switch v.Kind() {
	case jinja.KindList, jinja.KindTuple, jinja.KindDict, jinja.KindString:
		return true
	case jinja.KindObject:
		_, ok := v.Object().(jinja.Iterable)
		return ok
	}
	return false
}
