package jinja

import (
	"strings"
)

// builtinGlobals are Jinja's default globals: range, dict, namespace,
// cycler, joiner and lipsum.
var builtinGlobals map[string]Value

func init() {
	builtinGlobals = map[string]Value{
		"range":     FuncValue(gRange),
		"dict":      FuncValue(gDict),
		"namespace": FuncValue(gNamespace),
		"cycler":    FuncValue(gCycler),
		"joiner":    FuncValue(gJoiner),
		"lipsum":    FuncValue(gLipsum),
	}
}

// gRange is the sandbox's safe_range: a list, refused beyond MaxRange items.
func gRange(st *State, args []Value, kw []KwArg) (Value, error) {
	for _, a := range args {
		if !a.isInt() {
			if a.kind == KindUndefined {
				return Value{}, diagUndef(a)
			}
			return Value{}, typeErr("'%s' object cannot be interpreted as an integer", a.typeName())
		}
	}
	var start, stop, step int64 = 0, 0, 1
	switch len(args) {
	case 1:
		stop = args[0].n
	case 2:
		start, stop = args[0].n, args[1].n
	case 3:
		start, stop, step = args[0].n, args[1].n, args[2].n
	default:
		return Value{}, typeErr("range expected at most 3 arguments, got %d", len(args))
	}
	if step == 0 {
		return Value{}, valueErr("range() arg 3 must not be zero")
	}
	var n int64
	if step > 0 && stop > start {
		n = (stop - start + step - 1) / step
	} else if step < 0 && stop < start {
		n = (start - stop - step - 1) / -step
	}
	if n > st.limits.MaxRange {
		return Value{}, rangeErr("Range too big. The sandbox blocks ranges larger than MAX_RANGE (%d).", st.limits.MaxRange)
	}
	if err := st.Charge(n / 2); err != nil {
		return Value{}, err
	}
	items := make([]Value, n)
	for i := range items {
		items[i] = Int(start + int64(i)*step)
	}
	return NewList(items...), nil
}

func gDict(st *State, args []Value, kw []KwArg) (Value, error) {
	d := NewDict()
	if len(args) > 1 {
		return Value{}, typeErr("dict expected at most 1 argument, got %d", len(args))
	}
	if len(args) == 1 {
		if err := st.dictUpdate(d, args[0]); err != nil {
			return Value{}, err
		}
	}
	for _, k := range kw {
		d.SetStr(k.Name, k.Value)
	}
	return DictValue(d), nil
}

// Namespace is the object namespace() returns; {% set ns.x = … %} writes it,
// which is how templates carry values out of loops.
type Namespace struct{ d *Dict }

// GetAttr implements Object.
func (n *Namespace) GetAttr(name string) (Value, bool) { return n.d.GetStr(name) }

// TypeName implements the type name used in errors.
func (n *Namespace) TypeName() string { return "Namespace" }

// String prints like Jinja's Namespace repr.
func (n *Namespace) String() string { return "<Namespace " + DictValue(n.d).Repr() + ">" }

func gNamespace(st *State, args []Value, kw []KwArg) (Value, error) {
	v, err := gDict(st, args, kw)
	if err != nil {
		return Value{}, err
	}
	return ObjectValue(&Namespace{d: v.Dict()}), nil
}

type cycler struct {
	items []Value
	pos   int
}

func (c *cycler) TypeName() string { return "Cycler" }

func (c *cycler) GetAttr(name string) (Value, bool) {
	switch name {
	case "current":
		return c.items[c.pos], true
	case "next", "__next__":
		return FuncValue(func(st *State, _ []Value, _ []KwArg) (Value, error) {
			v := c.items[c.pos]
			c.pos = (c.pos + 1) % len(c.items)
			return v, nil
		}), true
	case "reset":
		return FuncValue(func(st *State, _ []Value, _ []KwArg) (Value, error) {
			c.pos = 0
			return None(), nil
		}), true
	case "items":
		return NewList(c.items...), true
	}
	return Value{}, false
}

func gCycler(st *State, args []Value, kw []KwArg) (Value, error) {
	if len(args) == 0 {
		return Value{}, typeErr("at least one item has to be provided")
	}
	return ObjectValue(&cycler{items: append([]Value(nil), args...)}), nil
}

type joiner struct {
	sep  string
	used bool
}

func (j *joiner) TypeName() string                  { return "Joiner" }
func (j *joiner) GetAttr(name string) (Value, bool) { return Value{}, false }

func (j *joiner) Call(st *State, _ []Value, _ []KwArg) (Value, error) {
	if !j.used {
		j.used = true
		return Str(""), nil
	}
	return Str(j.sep), nil
}

func gJoiner(st *State, args []Value, kw []KwArg) (Value, error) {
	sep := param(args, kw, 0, "sep", Str(", "))
	return ObjectValue(&joiner{sep: st.str(sep, st.pos)}), nil
}

// gLipsum is deterministic filler text; Jinja's is random, so templates
// relying on its exact words cannot be matched anyway.
func gLipsum(st *State, args []Value, kw []KwArg) (Value, error) {
	n := param(args, kw, 0, "n", Int(5))
	if n.AsInt() > 100 {
		return Value{}, valueErr("lipsum: too many paragraphs")
	}
	p := "Lorem ipsum dolor sit amet, consectetur adipiscing elit."
	var parts []string
	for i := int64(0); i < n.AsInt(); i++ {
		parts = append(parts, "<p>"+p+"</p>")
	}
	return SafeStr(strings.Join(parts, "\n\n")), nil
}
