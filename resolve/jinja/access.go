package jinja

import (
	"unicode/utf8"
)

// Object is a host value templates can read attributes of (dbt's Relation,
// config, adapter, target…). It may also implement Callable, Indexable,
// Iterable, Lengther, Truther, fmt.Stringer (what {{ obj }} prints) and
// interface{ Repr() string } (how it prints inside lists and dicts).
type Object interface {
	// GetAttr returns the attribute name; false makes it Undefined.
	GetAttr(name string) (Value, bool)
}

// Callable is an Object that can be called like a function.
type Callable interface {
	Call(st *State, args []Value, kwargs []KwArg) (Value, error)
}

// Indexable is an Object supporting obj[key]; false makes it Undefined.
type Indexable interface {
	GetItem(key Value) (Value, bool)
}

// Iterable is an Object that for loops and filters can iterate.
type Iterable interface {
	Iterate() []Value
}

// Lengther is an Object with a length (the length filter, truthiness).
type Lengther interface {
	Len() int
}

// BinaryOperator is an Object taking part in arithmetic (+ - * / // % **),
// e.g. dbt's datetime and timedelta. right is true when the object is the
// right operand; ok false falls back to Python's TypeError.
type BinaryOperator interface {
	BinaryOp(op string, other Value, right bool) (result Value, ok bool, err error)
}

// Comparer is an Object with an order for < <= > >=: c is negative, zero or
// positive as the object is less than, equal to or greater than other; ok
// false means the types are not comparable.
type Comparer interface {
	Compare(other Value) (c int, ok bool)
}

// Container is an Object answering `x in obj` itself (e.g. a Python set).
type Container interface {
	Contains(item Value) bool
}

// Truther is an Object with its own truthiness.
type Truther interface {
	Truth() bool
}

// getattr follows Environment.getattr: Python attribute first (for builtin
// types, their methods), then item lookup; missing gives Undefined, but any
// access on Undefined raises, as plain jinja2.Undefined does.
func (st *State) getattr(obj Value, name string, pos int) Value {
	switch obj.kind {
	case KindUndefined:
		st.throw(CodeUndefined, pos, "%s", undefinedMsg(obj))
	case KindDict:
		if isMethod(obj.kind, name) {
			return boundMethod(obj, name)
		}
		if v, ok := obj.ref.(*Dict).GetStr(name); ok {
			return v
		}
	case KindObject:
		if v, ok := obj.ref.(Object).GetAttr(name); ok {
			return v
		}
		if ix, ok := obj.ref.(Indexable); ok {
			if v, ok := ix.GetItem(Str(name)); ok {
				return v
			}
		}
	case KindMacro:
		m := obj.ref.(*Macro)
		switch name {
		case "name":
			return Str(m.Name)
		case "arguments":
			items := make([]Value, len(m.def.params))
			for i, p := range m.def.params {
				items[i] = Str(p)
			}
			return NewTuple(items...)
		case "catch_kwargs":
			return Bool(m.def.catchKwargs)
		case "catch_varargs":
			return Bool(m.def.catchVarargs)
		case "caller":
			return Bool(m.def.usesCaller)
		}
	case KindTuple:
		if l := obj.ref.(*List); l.fields != nil {
			for i, f := range l.fields {
				if f == name && i < len(l.Items) {
					return l.Items[i]
				}
			}
		}
		if isMethod(obj.kind, name) {
			return boundMethod(obj, name)
		}
	default:
		if isMethod(obj.kind, name) {
			return boundMethod(obj, name)
		}
		if obj.kind == KindInt || obj.kind == KindBool {
			switch name {
			case "real", "numerator":
				return Int(obj.n)
			case "imag":
				return Int(0)
			case "denominator":
				return Int(1)
			}
		}
	}
	return Undefined(st.missingAttr(obj, name))
}

func (st *State) missingAttr(obj Value, name string) string {
	return "'" + obj.typeName() + " object' has no attribute '" + name + "'"
}

// getitem follows Environment.getitem: item lookup first, then attribute.
func (st *State) getitem(obj, key Value, pos int) Value {
	switch obj.kind {
	case KindUndefined:
		st.throw(CodeUndefined, pos, "%s", undefinedMsg(obj))
	case KindDict:
		if v, ok := obj.ref.(*Dict).Get(key); ok {
			return v
		}
		if !hashable(key) {
			st.throw(CodeType, pos, "unhashable type: '%s'", key.typeName())
		}
	case KindList, KindTuple:
		items := obj.ref.(*List).Items
		if key.isInt() {
			i := key.n
			if i < 0 {
				i += int64(len(items))
			}
			if i >= 0 && i < int64(len(items)) {
				return items[i]
			}
			return Undefined(obj.typeName() + " object has no element " + key.Repr())
		}
	case KindString:
		if key.isInt() {
			i := key.n
			n := int64(utf8.RuneCountInString(obj.s))
			if i < 0 {
				i += n
			}
			if i >= 0 && i < n {
				return Str(runeAt(obj.s, int(i)))
			}
			return Undefined("str object has no element " + key.Repr())
		}
	case KindObject:
		if ix, ok := obj.ref.(Indexable); ok {
			if v, ok := ix.GetItem(key); ok {
				return v
			}
		}
	}
	if key.kind == KindString {
		if obj.kind == KindDict {
			if isMethod(KindDict, key.s) {
				return boundMethod(obj, key.s)
			}
			return Undefined("'dict object' has no attribute '" + key.s + "'")
		}
		return st.getattr(obj, key.s, pos)
	}
	return Undefined("'" + obj.typeName() + " object' has no attribute " + key.Repr())
}

func runeAt(s string, i int) string {
	if len(s) == utf8.RuneCountInString(s) {
		return s[i : i+1]
	}
	for j := range s {
		if i == 0 {
			_, size := utf8.DecodeRuneInString(s[j:])
			return s[j : j+size]
		}
		i--
	}
	return ""
}

// slice implements obj[a:b:c] for lists, tuples and strings.
func (st *State) slice(obj Value, sl *sliceExpr, sc *scope, pos int) Value {
	var bounds [3]Value
	for i, e := range [3]expr{sl.start, sl.stop, sl.step} {
		if e != nil {
			bounds[i] = st.eval(e, sc)
		} else {
			bounds[i] = None()
		}
	}
	var n int
	var runes []rune
	switch obj.kind {
	case KindList, KindTuple:
		n = len(obj.ref.(*List).Items)
	case KindString:
		runes = []rune(obj.s)
		n = len(runes)
	case KindUndefined:
		st.throw(CodeUndefined, pos, "%s", undefinedMsg(obj))
	default:
		return Undefined("'" + obj.typeName() + "' object is not subscriptable")
	}
	idx := st.sliceIndices(bounds, n, pos)
	switch obj.kind {
	case KindString:
		out := make([]rune, 0, len(idx))
		for _, i := range idx {
			out = append(out, runes[i])
		}
		return Str(string(out))
	default:
		items := obj.ref.(*List).Items
		out := make([]Value, len(idx))
		for j, i := range idx {
			out[j] = items[i]
		}
		if obj.kind == KindTuple {
			return NewTuple(out...)
		}
		return NewList(out...)
	}
}

// sliceIndices is Python's slice.indices followed by range().
func (st *State) sliceIndices(b [3]Value, n int, pos int) []int {
	for _, v := range b {
		if v.kind != KindNone && !v.isInt() {
			st.throw(CodeType, pos, "slice indices must be integers or None or have an __index__ method")
		}
	}
	step := 1
	if b[2].kind != KindNone {
		step = int(b[2].n)
		if step == 0 {
			st.throw(CodeValue, pos, "slice step cannot be zero")
		}
	}
	clamp := func(v Value, def int) int {
		if v.kind == KindNone {
			return def
		}
		i := int(v.n)
		if i < 0 {
			i += n
			if i < 0 {
				if step < 0 {
					return -1
				}
				return 0
			}
		}
		if i >= n {
			if step < 0 {
				return n - 1
			}
			return n
		}
		return i
	}
	var start, stop int
	if step > 0 {
		start, stop = clamp(b[0], 0), clamp(b[1], n)
	} else {
		start, stop = clamp(b[0], n-1), clamp(b[1], -1)
	}
	var out []int
	if step > 0 {
		for i := start; i < stop; i += step {
			out = append(out, i)
		}
	} else {
		for i := start; i > stop; i += step {
			out = append(out, i)
		}
	}
	return out
}

// iterate returns the items a for loop sees: list and tuple items (shared),
// dict keys, string characters, nothing for Undefined.
func (st *State) iterate(v Value, pos int) []Value {
	switch v.kind {
	case KindList, KindTuple:
		return v.ref.(*List).Items
	case KindDict:
		return v.ref.(*Dict).keys
	case KindString:
		out := make([]Value, 0, len(v.s))
		for i, r := range v.s {
			_ = r
			_, size := utf8.DecodeRuneInString(v.s[i:])
			out = append(out, Str(v.s[i:i+size]))
		}
		return out
	case KindUndefined:
		return nil
	case KindObject:
		if it, ok := v.ref.(Iterable); ok {
			return it.Iterate()
		}
	}
	st.throw(CodeType, pos, "'%s' object is not iterable", v.typeName())
	return nil
}

// length is Python's len().
func (st *State) length(v Value, pos int) int {
	switch v.kind {
	case KindList, KindTuple:
		return len(v.ref.(*List).Items)
	case KindDict:
		return v.ref.(*Dict).Len()
	case KindString:
		return utf8.RuneCountInString(v.s)
	case KindUndefined:
		return 0
	case KindObject:
		if l, ok := v.ref.(Lengther); ok {
			return l.Len()
		}
		if it, ok := v.ref.(Iterable); ok {
			return len(it.Iterate())
		}
	}
	st.throw(CodeType, pos, "object of type '%s' has no len()", v.typeName())
	return 0
}
