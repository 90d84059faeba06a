package jinja

import (
	"errors"
	"math"
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
)

// typeErr is a Python TypeError from a builtin; the call site adds the location.
func typeErr(format string, args ...any) error {
	return diag.Errorf(CodeType, diag.Location{}, format, args...)
}

// valueErr is a Python ValueError (or KeyError, IndexError) from a builtin.
func valueErr(format string, args ...any) error {
	return diag.Errorf(CodeValue, diag.Location{}, format, args...)
}

var errUndefined = errors.New("undefined")

func (st *State) badOperand(op string, v Value, pos int) {
	if v.kind == KindUndefined {
		st.throw(CodeUndefined, pos, "%s", undefinedMsg(v))
	}
	st.throw(CodeType, pos, "bad operand type for %s: '%s'", op, v.typeName())
}

func (st *State) unsupported(op string, l, r Value, pos int) {
	if l.kind == KindUndefined {
		st.throw(CodeUndefined, pos, "%s", undefinedMsg(l))
	}
	if r.kind == KindUndefined {
		st.throw(CodeUndefined, pos, "%s", undefinedMsg(r))
	}
	st.throw(CodeType, pos, "unsupported operand type(s) for %s: '%s' and '%s'", op, l.typeName(), r.typeName())
}

// binop implements Python's arithmetic operators on Jinja values.
func (st *State) binop(op string, l, r Value, pos int) Value {
	if l.kind == KindObject || r.kind == KindObject {
		if v, ok := st.objectBinop(op, l, r, pos); ok {
			return v
		}
	}
	if l.isInt() && r.isInt() {
		a, b := l.n, r.n
		switch op {
		case "+":
			s := a + b
			if (s > a) != (b > 0) {
				return Float(float64(a) + float64(b))
			}
			return Int(s)
		case "-":
			s := a - b
			if (s < a) != (b > 0) {
				return Float(float64(a) - float64(b))
			}
			return Int(s)
		case "*":
			if a != 0 && b != 0 {
				p := a * b
				if p/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
					return Float(float64(a) * float64(b))
				}
				return Int(p)
			}
			return Int(0)
		case "/":
			if b == 0 {
				st.throw(CodeValue, pos, "division by zero")
			}
			return Float(float64(a) / float64(b))
		case "//":
			if b == 0 {
				st.throw(CodeValue, pos, "integer division or modulo by zero")
			}
			q := a / b
			if (a%b != 0) && ((a < 0) != (b < 0)) {
				q--
			}
			return Int(q)
		case "%":
			if b == 0 {
				st.throw(CodeValue, pos, "integer division or modulo by zero")
			}
			m := a % b
			if m != 0 && ((m < 0) != (b < 0)) {
				m += b
			}
			return Int(m)
		case "**":
			if b < 0 {
				if a == 0 {
					st.throw(CodeValue, pos, "0.0 cannot be raised to a negative power")
				}
				return Float(math.Pow(float64(a), float64(b)))
			}
			res := int64(1)
			base := a
			for e := b; e > 0; e >>= 1 {
				if e&1 == 1 {
					n := res * base
					if base != 0 && n/base != res {
						return Float(math.Pow(float64(a), float64(b)))
					}
					res = n
				}
				if e > 1 {
					nb := base * base
					if base != 0 && nb/base != base {
						return Float(math.Pow(float64(a), float64(b)))
					}
					base = nb
				}
			}
			return Int(res)
		}
	}
	if l.isNumber() && r.isNumber() {
		a, b := l.AsFloat(), r.AsFloat()
		switch op {
		case "+":
			return Float(a + b)
		case "-":
			return Float(a - b)
		case "*":
			return Float(a * b)
		case "/":
			if b == 0 {
				st.throw(CodeValue, pos, "float division by zero")
			}
			return Float(a / b)
		case "//":
			if b == 0 {
				st.throw(CodeValue, pos, "float floor division by zero")
			}
			return Float(math.Floor(a / b))
		case "%":
			if b == 0 {
				st.throw(CodeValue, pos, "float modulo")
			}
			m := math.Mod(a, b)
			if m != 0 && ((m < 0) != (b < 0)) {
				m += b
			}
			return Float(m)
		case "**":
			if a == 0 && b < 0 {
				st.throw(CodeValue, pos, "0.0 cannot be raised to a negative power")
			}
			return Float(math.Pow(a, b))
		}
	}
	switch op {
	case "+":
		if l.kind == KindString && r.kind == KindString {
			st.work(len(l.s)+len(r.s), pos)
			if l.safe || r.safe {
				a, b := l.s, r.s
				if !l.safe {
					a = htmlEscape(a)
				}
				if !r.safe {
					b = htmlEscape(b)
				}
				return SafeStr(a + b)
			}
			return Str(l.s + r.s)
		}
		if l.kind == r.kind && (l.kind == KindList || l.kind == KindTuple) {
			a, b := l.ref.(*List).Items, r.ref.(*List).Items
			st.work((len(a)+len(b))*8, pos)
			items := make([]Value, 0, len(a)+len(b))
			items = append(append(items, a...), b...)
			return Value{kind: l.kind, ref: &List{Items: items}}
		}
	case "*":
		if r.kind == KindString || r.kind == KindList || r.kind == KindTuple {
			l, r = r, l
		}
		if r.isInt() {
			n := r.n
			if n < 0 {
				n = 0
			}
			switch l.kind {
			case KindString:
				if n > 0 && int64(len(l.s))*n > st.limits.MaxOutput {
					st.throw(CodeOutput, pos, "string repeat exceeds the output limit of %d bytes", st.limits.MaxOutput)
				}
				st.work(len(l.s)*int(n), pos)
				return Value{kind: KindString, s: strings.Repeat(l.s, int(n)), safe: l.safe}
			case KindList, KindTuple:
				items := l.ref.(*List).Items
				if int64(len(items))*n > st.limits.MaxRange {
					st.throw(CodeRange, pos, "sequence repeat longer than the limit of %d items", st.limits.MaxRange)
				}
				out := make([]Value, 0, len(items)*int(n))
				for i := int64(0); i < n; i++ {
					out = append(out, items...)
				}
				return Value{kind: l.kind, ref: &List{Items: out}}
			}
		}
	case "%":
		if l.kind == KindString {
			s, err := percentFormat(st, l.s, r)
			if err != nil {
				st.hostErr(err, pos)
			}
			if l.safe {
				return SafeStr(s)
			}
			return Str(s)
		}
	}
	st.unsupported(op, l, r, pos)
	return Value{}
}

// objectBinop lets host objects implement operators, left operand first.
func (st *State) objectBinop(op string, l, r Value, pos int) (Value, bool) {
	if b, ok := l.ref.(BinaryOperator); ok && l.kind == KindObject {
		v, ok, err := b.BinaryOp(op, r, false)
		if err != nil {
			st.hostErr(err, pos)
		}
		if ok {
			return v, true
		}
	}
	if b, ok := r.ref.(BinaryOperator); ok && r.kind == KindObject {
		v, ok, err := b.BinaryOp(op, l, true)
		if err != nil {
			st.hostErr(err, pos)
		}
		if ok {
			return v, true
		}
	}
	return Value{}, false
}

// compare implements ==, !=, <, <=, >, >=, in and not in.
func (st *State) compare(op string, l, r Value, pos int) bool {
	switch op {
	case "==":
		return valuesEqual(l, r)
	case "!=":
		return !valuesEqual(l, r)
	case "in":
		return st.contains(r, l, pos)
	case "notin":
		return !st.contains(r, l, pos)
	}
	c, ok := compareOrder(l, r)
	if !ok && l.kind == KindObject {
		if cm, is := l.ref.(Comparer); is {
			c, ok = cm.Compare(r)
		}
	}
	if !ok && r.kind == KindObject {
		if cm, is := r.ref.(Comparer); is {
			c, ok = cm.Compare(l)
			c = -c
		}
	}
	if !ok {
		if l.kind == KindUndefined {
			st.throw(CodeUndefined, pos, "%s", undefinedMsg(l))
		}
		if r.kind == KindUndefined {
			st.throw(CodeUndefined, pos, "%s", undefinedMsg(r))
		}
		st.throw(CodeType, pos, "'%s' not supported between instances of '%s' and '%s'", op, l.typeName(), r.typeName())
	}
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

// compareOrder orders two values like Python's < does; ok is false when
// Python would raise TypeError. NaN compares as unordered (both false).
func compareOrder(l, r Value) (int, bool) {
	switch {
	case l.isInt() && r.isInt():
		switch {
		case l.n < r.n:
			return -1, true
		case l.n > r.n:
			return 1, true
		}
		return 0, true
	case l.isNumber() && r.isNumber():
		a, b := l.AsFloat(), r.AsFloat()
		switch {
		case a < b:
			return -1, true
		case a > b:
			return 1, true
		case a == b:
			return 0, true
		}
		return 2, true // NaN: every comparison false except !=
	case l.kind == KindString && r.kind == KindString:
		return strings.Compare(l.s, r.s), true
	case (l.kind == KindList && r.kind == KindList) || (l.kind == KindTuple && r.kind == KindTuple):
		a, b := l.ref.(*List).Items, r.ref.(*List).Items
		for i := 0; i < len(a) && i < len(b); i++ {
			if valuesEqual(a[i], b[i]) {
				continue
			}
			return compareOrder(a[i], b[i])
		}
		switch {
		case len(a) < len(b):
			return -1, true
		case len(a) > len(b):
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// valuesEqual is Python's ==.
func valuesEqual(l, r Value) bool {
	if l.isNumber() && r.isNumber() {
		if l.isInt() && r.isInt() {
			return l.n == r.n
		}
		return l.AsFloat() == r.AsFloat()
	}
	if l.kind != r.kind {
		return false
	}
	switch l.kind {
	case KindUndefined, KindNone:
		return true
	case KindString:
		return l.s == r.s
	case KindList, KindTuple:
		a, b := l.ref.(*List).Items, r.ref.(*List).Items
		if len(a) != len(b) {
			return false
		}
		if l.ref == r.ref {
			return true
		}
		for i := range a {
			if !valuesEqual(a[i], b[i]) {
				return false
			}
		}
		return true
	case KindDict:
		a, b := l.ref.(*Dict), r.ref.(*Dict)
		if a == b {
			return true
		}
		if a.Len() != b.Len() {
			return false
		}
		for i, k := range a.keys {
			v, ok := b.Get(k)
			if !ok || !valuesEqual(a.vals[i], v) {
				return false
			}
		}
		return true
	case KindMacro:
		return l.ref == r.ref
	case KindObject:
		if e, ok := l.ref.(interface{ Equal(Value) bool }); ok {
			return e.Equal(r)
		}
		return l.ref == r.ref
	case KindFunc:
		return false
	}
	return false
}

// contains is Python's `item in container`.
func (st *State) contains(container, item Value, pos int) bool {
	switch container.kind {
	case KindString:
		if item.kind != KindString {
			if item.kind == KindUndefined {
				st.throw(CodeUndefined, pos, "%s", undefinedMsg(item))
			}
			st.throw(CodeType, pos, "'in <string>' requires string as left operand, not %s", item.typeName())
		}
		return strings.Contains(container.s, item.s)
	case KindList, KindTuple:
		for _, it := range container.ref.(*List).Items {
			if valuesEqual(it, item) {
				return true
			}
		}
		return false
	case KindDict:
		if !hashable(item) {
			st.throw(CodeType, pos, "unhashable type: '%s'", item.typeName())
		}
		_, ok := container.ref.(*Dict).Get(item)
		return ok
	case KindUndefined:
		return false
	case KindObject:
		if c, ok := container.ref.(Container); ok {
			return c.Contains(item)
		}
		if it, ok := container.ref.(Iterable); ok {
			for _, x := range it.Iterate() {
				if valuesEqual(x, item) {
					return true
				}
			}
			return false
		}
	}
	st.throw(CodeType, pos, "argument of type '%s' is not iterable", container.typeName())
	return false
}

func diagUndef(v Value) error {
	return diag.Errorf(CodeUndefined, diag.Location{}, "%s", undefinedMsg(v))
}

func rangeErr(format string, args ...any) error {
	return diag.Errorf(CodeRange, diag.Location{}, format, args...)
}
