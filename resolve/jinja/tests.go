package jinja

import (
	"strings"
	"unicode"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
)

// builtinTests are Jinja2 3.1's default tests.
var builtinTests map[string]TestFunc

func init() {
	cmp := func(op string) TestFunc {
		return func(st *State, v Value, args []Value) (bool, error) {
			if len(args) != 1 {
				return false, typeErr("test takes exactly one argument")
			}
			return st.compare(op, v, args[0], st.pos), nil
		}
	}
	builtinTests = map[string]TestFunc{
		"odd": func(st *State, v Value, _ []Value) (bool, error) {
			if !v.isInt() {
				return false, intRequired(v)
			}
			return v.n%2 != 0, nil
		},
		"even": func(st *State, v Value, _ []Value) (bool, error) {
			if !v.isInt() {
				return false, intRequired(v)
			}
			return v.n%2 == 0, nil
		},
		"divisibleby": func(st *State, v Value, args []Value) (bool, error) {
			if len(args) != 1 {
				return false, typeErr("divisibleby takes one argument")
			}
			return valuesEqual(st.binop("%", v, args[0], st.pos), Int(0)), nil
		},
		"defined":   func(st *State, v Value, _ []Value) (bool, error) { return v.kind != KindUndefined, nil },
		"undefined": func(st *State, v Value, _ []Value) (bool, error) { return v.kind == KindUndefined, nil },
		"none":      func(st *State, v Value, _ []Value) (bool, error) { return v.kind == KindNone, nil },
		"boolean":   func(st *State, v Value, _ []Value) (bool, error) { return v.kind == KindBool, nil },
		"false":     func(st *State, v Value, _ []Value) (bool, error) { return v.kind == KindBool && v.n == 0, nil },
		"true":      func(st *State, v Value, _ []Value) (bool, error) { return v.kind == KindBool && v.n != 0, nil },
		"integer":   func(st *State, v Value, _ []Value) (bool, error) { return v.kind == KindInt, nil },
		"float":     func(st *State, v Value, _ []Value) (bool, error) { return v.kind == KindFloat, nil },
		"number":    func(st *State, v Value, _ []Value) (bool, error) { return v.isNumber(), nil },
		"string":    func(st *State, v Value, _ []Value) (bool, error) { return v.kind == KindString, nil },
		"mapping": func(st *State, v Value, _ []Value) (bool, error) {
			return v.kind == KindDict || (v.kind == KindObject && isMapping(v)), nil
		},
		"lower": func(st *State, v Value, _ []Value) (bool, error) {
			return isCase(st.str(v, st.pos), unicode.IsLower, unicode.IsUpper), nil
		},
		"upper": func(st *State, v Value, _ []Value) (bool, error) {
			return isCase(st.str(v, st.pos), unicode.IsUpper, unicode.IsLower), nil
		},
		"sequence": func(st *State, v Value, _ []Value) (bool, error) {
			switch v.kind {
			case KindString, KindList, KindTuple, KindDict, KindUndefined:
				return true, nil
			case KindObject:
				_, l := v.ref.(Lengther)
				_, ix := v.ref.(Indexable)
				return l && ix, nil
			}
			return false, nil
		},
		"iterable": func(st *State, v Value, _ []Value) (bool, error) {
			switch v.kind {
			case KindString, KindList, KindTuple, KindDict, KindUndefined:
				return true, nil
			case KindObject:
				_, ok := v.ref.(Iterable)
				return ok, nil
			}
			return false, nil
		},
		"callable": func(st *State, v Value, _ []Value) (bool, error) {
			switch v.kind {
			case KindMacro, KindFunc:
				return true, nil
			case KindObject:
				_, ok := v.ref.(Callable)
				return ok, nil
			}
			return false, nil
		},
		"sameas": func(st *State, v Value, args []Value) (bool, error) {
			if len(args) != 1 {
				return false, typeErr("sameas takes one argument")
			}
			return sameAs(v, args[0]), nil
		},
		"escaped": func(st *State, v Value, _ []Value) (bool, error) { return v.kind == KindString && v.safe, nil },
		"in": func(st *State, v Value, args []Value) (bool, error) {
			if len(args) != 1 {
				return false, typeErr("in takes one argument")
			}
			return st.contains(args[0], v, st.pos), nil
		},
		"filter": func(st *State, v Value, _ []Value) (bool, error) {
			if v.kind != KindString {
				return false, nil
			}
			_, a := st.env.Filters[v.s]
			_, b := builtinFilters[v.s]
			return a || b, nil
		},
		"test": func(st *State, v Value, _ []Value) (bool, error) {
			if v.kind != KindString {
				return false, nil
			}
			_, a := st.env.Tests[v.s]
			_, b := builtinTests[v.s]
			return a || b, nil
		},
		"==": cmp("=="), "eq": cmp("=="), "equalto": cmp("=="),
		"!=": cmp("!="), "ne": cmp("!="),
		">": cmp(">"), "gt": cmp(">"), "greaterthan": cmp(">"),
		">=": cmp(">="), "ge": cmp(">="),
		"<": cmp("<"), "lt": cmp("<"), "lessthan": cmp("<"),
		"<=": cmp("<="), "le": cmp("<="),
	}
}

func intRequired(v Value) error {
	if v.kind == KindUndefined {
		return diag.Errorf(CodeUndefined, diag.Location{}, "%s", undefinedMsg(v))
	}
	return typeErr("not all arguments converted during string formatting")
}

func isMapping(v Value) bool {
	_, ok := v.ref.(interface{ Items() [][2]Value })
	return ok
}

func isCase(s string, want, not func(rune) bool) bool {
	cased := false
	for _, r := range s {
		if not(r) || unicode.IsTitle(r) {
			return false
		}
		if want(r) {
			cased = true
		}
	}
	return cased && strings.TrimSpace(s) != "" || cased
}

// sameAs approximates Python's `is`: singletons and small ints by value,
// containers by identity.
func sameAs(a, b Value) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case KindNone, KindUndefined:
		return a.kind == KindNone || a.ref == b.ref
	case KindBool:
		return a.n == b.n
	case KindInt:
		return a.n == b.n && a.n >= -5 && a.n <= 256
	case KindString:
		return a.s == b.s
	case KindFloat:
		return false
	case KindList, KindTuple, KindDict, KindMacro, KindObject:
		return a.ref == b.ref
	}
	return false
}

// applyTest evaluates an `is` test.
func (st *State) applyTest(t *testExpr, sc *scope) bool {
	pos := int(t.pos)
	fn, ok := st.env.Tests[t.name]
	if !ok {
		fn, ok = builtinTests[t.name]
	}
	if !ok {
		st.throw(CodeFilter, pos, "No test named '%s'.", t.name)
	}
	v := st.eval(t.node, sc)
	args, _ := st.evalArgs(&t.callArgs, sc, pos)
	st.pos = pos
	r, err := fn(st, v, args)
	if err != nil {
		st.hostErr(err, pos)
	}
	return r
}
