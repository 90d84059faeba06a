package jinja

// scope is one Jinja frame. Loops, macro calls, call-block callers, with
// blocks and captured blocks get their own; if does not, which is why a
// {% set %} inside an if is visible after it but one inside a for is not.
type scope struct {
	// Frames hold few names, so parallel slices with a linear scan beat a
	// map on both lookups and the per-iteration reset of loop frames.
	names  []string
	vals   []Value
	parent *scope
}

func (s *scope) set(name string, v Value) {
	for i, n := range s.names {
		if n == name {
			s.vals[i] = v
			return
		}
	}
	s.names = append(s.names, name)
	s.vals = append(s.vals, v)
}

func (s *scope) get(name string) (Value, bool) {
	for i, n := range s.names {
		if n == name {
			return s.vals[i], true
		}
	}
	return Value{}, false
}

// reset empties the frame, keeping its storage.
func (s *scope) reset() {
	clear(s.vals)
	s.names = s.names[:0]
	s.vals = s.vals[:0]
}

func (s *scope) lookup(name string) (Value, bool) {
	for c := s; c != nil; c = c.parent {
		for i, n := range c.names {
			if n == name {
				return c.vals[i], true
			}
		}
	}
	return Value{}, false
}

// ctrl is how break and continue unwind statement lists.
type ctrl uint8

const (
	ctrlNone ctrl = iota
	ctrlBreak
	ctrlContinue
)

func (st *State) execBody(body []stmt, sc *scope) ctrl {
	for _, s := range body {
		if c := st.exec(s, sc); c != ctrlNone {
			return c
		}
	}
	return ctrlNone
}

func (st *State) exec(s stmt, sc *scope) ctrl {
	switch x := s.(type) {
	case *dataStmt:
		st.write(x.text, int(x.pos))
	case *printStmt:
		v := st.eval(x.x, sc)
		switch v.kind {
		case KindString:
			st.write(v.s, int(x.pos))
		case KindUndefined:
		default:
			st.write(st.str(v, int(x.pos)), int(x.pos))
		}
	case *ifStmt:
		st.step(int(x.pos))
		for {
			if st.eval(x.test, sc).Truth() {
				return st.execBody(x.body, sc)
			}
			if len(x.els) == 1 {
				if elif, ok := x.els[0].(*ifStmt); ok {
					x = elif
					continue
				}
			}
			return st.execBody(x.els, sc)
		}
	case *forStmt:
		st.execFor(x, sc, st.eval(x.iter, sc), 0)
	case *setStmt:
		st.step(int(x.pos))
		st.assign(x.target, st.eval(x.value, sc), sc, int(x.pos))
	case *setBlockStmt:
		st.step(int(x.pos))
		saved := st.pushBuf()
		st.execBody(x.body, &scope{parent: sc})
		v := Str(st.popBuf(saved))
		for _, f := range x.filters {
			v = st.applyFilter(f, v, sc)
		}
		st.assign(x.target, v, sc, int(x.pos))
	case *macroStmt:
		sc.set(x.def.name, MacroValue(&Macro{Name: x.def.name, def: x.def, closure: sc, tmpl: st.tmpl}))
	case *callBlockStmt:
		st.step(int(x.pos))
		caller := MacroValue(&Macro{Name: "caller", def: x.def, closure: sc, tmpl: st.tmpl})
		v := st.evalCall(x.call, sc, &caller)
		if v.kind != KindUndefined {
			st.write(st.str(v, int(x.pos)), int(x.pos))
		}
	case *filterBlockStmt:
		st.step(int(x.pos))
		saved := st.pushBuf()
		st.execBody(x.body, &scope{parent: sc})
		v := Str(st.popBuf(saved))
		for _, f := range x.filters {
			v = st.applyFilter(f, v, sc)
		}
		st.write(st.str(v, int(x.pos)), int(x.pos))
	case *withStmt:
		inner := &scope{parent: sc}
		vals := make([]Value, len(x.values))
		for i, e := range x.values {
			vals[i] = st.eval(e, sc)
		}
		for i, t := range x.targets {
			st.assign(t, vals[i], inner, int(x.pos))
		}
		return st.execBody(x.body, inner)
	case *doStmt:
		st.eval(x.x, sc)
	case *breakStmt:
		if x.cont {
			return ctrlContinue
		}
		return ctrlBreak
	case *scopeStmt:
		return st.execBody(x.body, sc)
	case *unsupportedStmt:
		st.throw(CodeUnsupported, int(x.pos), "'%s' is not supported: dbt renders templates from strings, not files", x.what)
	}
	return ctrlNone
}

// str converts a value for output, as Python's str() does.
func (st *State) str(v Value, pos int) string {
	switch v.kind {
	case KindString:
		return v.s
	case KindUndefined:
		return ""
	case KindObject:
		if s, ok := v.ref.(interface{ String() string }); ok {
			return s.String()
		}
	}
	return v.String()
}

// assign binds a set/for/with target: a name, a tuple of targets, or ns.attr.
func (st *State) assign(target expr, v Value, sc *scope, pos int) {
	switch t := target.(type) {
	case *nameExpr:
		sc.set(t.name, v)
	case *listExpr:
		items := st.iterate(v, pos)
		if len(items) != len(t.items) {
			if len(items) > len(t.items) {
				st.throw(CodeValue, pos, "too many values to unpack (expected %d)", len(t.items))
			}
			st.throw(CodeValue, pos, "not enough values to unpack (expected %d, got %d)", len(t.items), len(items))
		}
		for i, sub := range t.items {
			st.assign(sub, items[i], sc, pos)
		}
	case *nsRefExpr:
		nv, _ := sc.lookup(t.name)
		if nv.kind == KindUndefined {
			nv = st.lookupOuter(t.name)
		}
		ns, ok := nv.ref.(*Namespace)
		if !ok || nv.kind != KindObject {
			st.throw(CodeType, pos, "cannot assign attribute on non-namespace object")
		}
		ns.d.SetStr(t.attr, v)
	}
}
