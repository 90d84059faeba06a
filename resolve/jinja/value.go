package jinja

import (
	"math"
	"strconv"
)

// Kind says which Python type a Value stands for.
type Kind uint8

// The kinds of Value. Their order is not significant.
const (
	KindUndefined Kind = iota // jinja2.Undefined: prints "", iterates empty, errors on use
	KindNone                  // Python None
	KindBool                  // Python bool
	KindInt                   // Python int (int64 here)
	KindFloat                 // Python float
	KindString                // Python str, or markupsafe.Markup when Safe
	KindList                  // Python list (mutable)
	KindTuple                 // Python tuple (immutable)
	KindDict                  // Python dict (insertion ordered)
	KindMacro                 // a Jinja macro or caller
	KindFunc                  // a Go function
	KindObject                // a host Object
)

var kindNames = [...]string{"Undefined", "NoneType", "bool", "int", "float", "str", "list", "tuple", "dict", "Macro", "function", "object"}

// String returns the Python type name of the kind, as used in error messages.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "?"
}

// Value is a Jinja value. The zero Value is Undefined. Values are small and
// passed by copy; lists and dicts are shared by reference like in Python.
type Value struct {
	kind Kind
	safe bool   // a Markup string
	n    int64  // bool (0/1), int, or float bits
	s    string // string content, or the undefined hint
	ref  any    // *List, *Dict, *Macro, Func, Object, *boundMethod
}

// KwArg is one keyword argument of a call.
type KwArg struct {
	Name  string
	Value Value
}

// Func is a Go function callable from templates. st gives access to limits,
// the current macro and calling back into Jinja; errors are reported at the
// call site with its line and column.
type Func func(st *State, args []Value, kwargs []KwArg) (Value, error)

// List is the backing store of a list or tuple value, shared by reference.
type List struct {
	Items []Value
	// fields names the items of a named tuple (groupby's grouper and list).
	fields []string
}

// Undefined returns an undefined value; hint names what was missing and is used
// in the error raised when the value is used.
func Undefined(hint string) Value { return Value{kind: KindUndefined, s: hint} }

// None returns Python's None.
func None() Value { return Value{kind: KindNone} }

// Bool returns a bool value.
func Bool(b bool) Value {
	if b {
		return Value{kind: KindBool, n: 1}
	}
	return Value{kind: KindBool}
}

// Int returns an int value.
func Int(i int64) Value { return Value{kind: KindInt, n: i} }

// Float returns a float value.
func Float(f float64) Value { return Value{kind: KindFloat, n: int64(math.Float64bits(f))} }

// Str returns a plain string value.
func Str(s string) Value { return Value{kind: KindString, s: s} }

// SafeStr returns a Markup string: what the escape, safe and tojson filters produce.
func SafeStr(s string) Value { return Value{kind: KindString, s: s, safe: true} }

// NewList returns a list holding items (not copied).
func NewList(items ...Value) Value { return Value{kind: KindList, ref: &List{Items: items}} }

// NewTuple returns a tuple holding items (not copied).
func NewTuple(items ...Value) Value { return Value{kind: KindTuple, ref: &List{Items: items}} }

// DictValue wraps d as a value.
func DictValue(d *Dict) Value { return Value{kind: KindDict, ref: d} }

// FuncValue wraps a Go function as a callable value.
func FuncValue(f Func) Value { return Value{kind: KindFunc, ref: f} }

// ObjectValue wraps a host object. A nil object gives None.
func ObjectValue(o Object) Value {
	if o == nil {
		return None()
	}
	return Value{kind: KindObject, ref: o}
}

// MacroValue wraps a macro as a callable value.
func MacroValue(m *Macro) Value { return Value{kind: KindMacro, ref: m} }

// Kind returns the kind of v.
func (v Value) Kind() Kind { return v.kind }

// IsUndefined reports whether v is Undefined.
func (v Value) IsUndefined() bool { return v.kind == KindUndefined }

// IsNone reports whether v is None.
func (v Value) IsNone() bool { return v.kind == KindNone }

// IsSafe reports whether v is a Markup string.
func (v Value) IsSafe() bool { return v.kind == KindString && v.safe }

// AsBool returns the bool of a KindBool value.
func (v Value) AsBool() bool { return v.n != 0 }

// AsInt returns the integer of an int or bool value, and a float truncated.
func (v Value) AsInt() int64 {
	if v.kind == KindFloat {
		return int64(v.AsFloat())
	}
	return v.n
}

// AsFloat returns the number of an int, bool or float value as a float.
func (v Value) AsFloat() float64 {
	if v.kind == KindFloat {
		return math.Float64frombits(uint64(v.n))
	}
	return float64(v.n)
}

// AsString returns the content of a string value ("" for other kinds).
func (v Value) AsString() string {
	if v.kind == KindString {
		return v.s
	}
	return ""
}

// Items returns the elements of a list or tuple (shared, not copied), or nil.
func (v Value) Items() []Value {
	if l, ok := v.ref.(*List); ok && (v.kind == KindList || v.kind == KindTuple) {
		return l.Items
	}
	return nil
}

// List returns the backing store of a list or tuple, or nil.
func (v Value) List() *List {
	if v.kind == KindList || v.kind == KindTuple {
		return v.ref.(*List)
	}
	return nil
}

// Dict returns the dict of a dict value, or nil.
func (v Value) Dict() *Dict {
	if v.kind == KindDict {
		return v.ref.(*Dict)
	}
	return nil
}

// Macro returns the macro of a macro value, or nil.
func (v Value) Macro() *Macro {
	if v.kind == KindMacro {
		return v.ref.(*Macro)
	}
	return nil
}

// Object returns the host object of an object value, or nil.
func (v Value) Object() Object {
	if v.kind == KindObject {
		return v.ref.(Object)
	}
	return nil
}

// isNumber reports int, float or bool (bool is an int subclass in Python).
func (v Value) isNumber() bool {
	return v.kind == KindInt || v.kind == KindFloat || v.kind == KindBool
}

// isInt reports int or bool.
func (v Value) isInt() bool { return v.kind == KindInt || v.kind == KindBool }

// Truth is Python truthiness, which Jinja uses for if, and, or, not.
func (v Value) Truth() bool {
	switch v.kind {
	case KindUndefined, KindNone:
		return false
	case KindBool, KindInt:
		return v.n != 0
	case KindFloat:
		return v.AsFloat() != 0
	case KindString:
		return v.s != ""
	case KindList, KindTuple:
		return len(v.ref.(*List).Items) > 0
	case KindDict:
		return v.ref.(*Dict).Len() > 0
	case KindObject:
		if t, ok := v.ref.(Truther); ok {
			return t.Truth()
		}
		if l, ok := v.ref.(Lengther); ok {
			return l.Len() > 0
		}
	}
	return true
}

// String renders v as Python's str() does, which is what {{ v }} prints.
func (v Value) String() string {
	switch v.kind {
	case KindUndefined:
		return ""
	case KindString:
		return v.s
	case KindInt:
		return strconv.FormatInt(v.n, 10)
	}
	return v.Repr()
}

// typeName is the Python type name used in error messages.
func (v Value) typeName() string {
	if v.kind == KindObject {
		if n, ok := v.ref.(interface{ TypeName() string }); ok {
			return n.TypeName()
		}
	}
	if v.kind == KindString && v.safe {
		return "Markup"
	}
	return v.kind.String()
}
