package jinja

// loopCtx is the `loop` variable of a for block (jinja2.runtime.LoopContext).
type loopCtx struct {
	items   []Value
	i       int
	depth0  int
	node    *forStmt
	sc      *scope // scope the for statement runs in, for recursive calls
	changed []Value
	hasLast bool
}

// TypeName reports the Python class name for error messages.
func (l *loopCtx) TypeName() string { return "LoopContext" }

// String prints like Jinja's LoopContext repr.
func (l *loopCtx) String() string {
	return "<LoopContext " + itoa(l.i+1) + "/" + itoa(len(l.items)) + ">"
}

// GetAttr implements Object.
func (l *loopCtx) GetAttr(name string) (Value, bool) {
	n := len(l.items)
	switch name {
	case "index":
		return Int(int64(l.i + 1)), true
	case "index0":
		return Int(int64(l.i)), true
	case "revindex":
		return Int(int64(n - l.i)), true
	case "revindex0":
		return Int(int64(n - l.i - 1)), true
	case "first":
		return Bool(l.i == 0), true
	case "last":
		return Bool(l.i == n-1), true
	case "length":
		return Int(int64(n)), true
	case "depth":
		return Int(int64(l.depth0 + 1)), true
	case "depth0":
		return Int(int64(l.depth0)), true
	case "previtem":
		if l.i == 0 {
			return Undefined("there is no previous item"), true
		}
		return l.items[l.i-1], true
	case "nextitem":
		if l.i+1 >= n {
			return Undefined("there is no next item"), true
		}
		return l.items[l.i+1], true
	case "cycle":
		return FuncValue(func(st *State, args []Value, _ []KwArg) (Value, error) {
			if len(args) == 0 {
				return Value{}, typeErr("no items for cycling given")
			}
			return args[l.i%len(args)], nil
		}), true
	case "changed":
		return FuncValue(func(st *State, args []Value, _ []KwArg) (Value, error) {
			if l.hasLast && valuesEqual(NewList(l.changed...), NewList(args...)) {
				return Bool(false), nil
			}
			l.changed = append([]Value(nil), args...)
			l.hasLast = true
			return Bool(true), nil
		}), true
	}
	return Value{}, false
}

// Call implements recursive loops: loop(children) renders the body again.
func (l *loopCtx) Call(st *State, args []Value, _ []KwArg) (Value, error) {
	if !l.node.recursive {
		return Value{}, typeErr("Tried to call non recursive loop. Maybe you forgot the 'recursive' modifier.")
	}
	if len(args) != 1 {
		return Value{}, typeErr("loop() takes exactly one argument")
	}
	saved := st.pushBuf()
	st.execFor(l.node, l.sc, args[0], l.depth0+1)
	return Str(st.popBuf(saved)), nil
}

func (st *State) execFor(x *forStmt, sc *scope, iter Value, depth0 int) {
	pos := int(x.pos)
	st.step(pos)
	items := st.iterate(iter, pos)
	inner := &scope{parent: sc}
	if x.cond != nil {
		kept := make([]Value, 0, len(items))
		for _, it := range items {
			st.step(pos)
			st.assign(x.target, it, inner, pos)
			if st.eval(x.cond, inner).Truth() {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	if len(items) == 0 {
		st.execBody(x.els, &scope{parent: sc})
		return
	}
	// A list is iterated live, as Python does: appending inside the body
	// extends the loop (bounded by the step limit and list growth limit).
	var live *List
	if x.cond == nil && iter.kind == KindList {
		live = iter.ref.(*List)
	}
	lc := &loopCtx{items: items, depth0: depth0, node: x, sc: sc}
	loopV := ObjectValue(lc)
	for i := 0; i < len(lc.items); i++ {
		st.step(pos)
		lc.i = i
		// Each iteration is a fresh frame: names set in the body last only
		// until the next iteration, and reads before a set see the outer value.
		inner.reset()
		inner.set("loop", loopV)
		st.assign(x.target, lc.items[i], inner, pos)
		if st.execBody(x.body, inner) == ctrlBreak {
			break
		}
		if live != nil {
			lc.items = live.Items
		}
	}
}
