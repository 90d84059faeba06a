package jinja

func (st *State) eval(e expr, sc *scope) Value {
	st.steps++
	if st.steps > st.checkAt {
		st.step(e.exprPos())
	}
	switch x := e.(type) {
	case *constExpr:
		return x.val
	case *nameExpr:
		if v, ok := sc.lookup(x.name); ok {
			return v
		}
		return st.lookupOuter(x.name)
	case *getattrExpr:
		obj := st.eval(x.obj, sc)
		return st.getattr(obj, x.attr, int(x.pos))
	case *getitemExpr:
		obj := st.eval(x.obj, sc)
		if sl, ok := x.key.(*sliceExpr); ok {
			return st.slice(obj, sl, sc, int(x.pos))
		}
		return st.getitem(obj, st.eval(x.key, sc), int(x.pos))
	case *callExpr:
		return st.evalCall(x, sc, nil)
	case *filterExpr:
		return st.applyFilter(x, st.eval(x.node, sc), sc)
	case *testExpr:
		return Bool(st.applyTest(x, sc))
	case *concatExpr:
		var b []byte
		for _, it := range x.items {
			v := st.eval(it, sc)
			b = append(b, st.str(v, int(x.pos))...)
		}
		st.work(len(b), int(x.pos))
		return Str(string(b))
	case *binExpr:
		switch x.op {
		case "and":
			l := st.eval(x.l, sc)
			if !l.Truth() {
				return l
			}
			return st.eval(x.r, sc)
		case "or":
			l := st.eval(x.l, sc)
			if l.Truth() {
				return l
			}
			return st.eval(x.r, sc)
		}
		return st.binop(x.op, st.eval(x.l, sc), st.eval(x.r, sc), int(x.pos))
	case *unaryExpr:
		v := st.eval(x.x, sc)
		switch x.op {
		case "not":
			return Bool(!v.Truth())
		case "-":
			switch v.kind {
			case KindInt, KindBool:
				return Int(-v.n)
			case KindFloat:
				return Float(-v.AsFloat())
			}
			st.badOperand("unary -", v, int(x.pos))
		case "+":
			switch v.kind {
			case KindInt, KindBool:
				return Int(v.n)
			case KindFloat:
				return v
			}
			st.badOperand("unary +", v, int(x.pos))
		}
	case *compareExpr:
		l := st.eval(x.first, sc)
		for i, op := range x.ops {
			r := st.eval(x.rest[i], sc)
			if !st.compare(op, l, r, int(x.pos)) {
				return Bool(false)
			}
			l = r
		}
		return Bool(true)
	case *condExpr:
		if st.eval(x.test, sc).Truth() {
			return st.eval(x.then, sc)
		}
		if x.els == nil {
			return Undefined("the inline if-expression evaluated to false and no else section was defined.")
		}
		return st.eval(x.els, sc)
	case *listExpr:
		items := make([]Value, len(x.items))
		for i, it := range x.items {
			items[i] = st.eval(it, sc)
		}
		if x.tuple {
			return NewTuple(items...)
		}
		return NewList(items...)
	case *dictExpr:
		d := &Dict{keys: make([]Value, 0, len(x.keys)), vals: make([]Value, 0, len(x.keys))}
		for i := range x.keys {
			k := st.eval(x.keys[i], sc)
			if !hashable(k) {
				st.throw(CodeType, int(x.pos), "unhashable type: '%s'", k.typeName())
			}
			d.Set(k, st.eval(x.vals[i], sc))
		}
		return DictValue(d)
	case *sliceExpr:
		st.throw(CodeType, int(x.pos), "slice outside of subscript")
	case *nsRefExpr:
		st.throw(CodeType, int(x.pos), "namespace reference outside of assignment")
	}
	return Value{}
}

// lookupOuter finds a name the scopes do not hold: the render context, then
// the environment's globals, then Jinja's own globals, then the Resolver.
func (st *State) lookupOuter(name string) Value {
	if v, ok := st.ctx[name]; ok {
		return v
	}
	if v, ok := st.env.Globals[name]; ok {
		return v
	}
	if v, ok := builtinGlobals[name]; ok {
		return v
	}
	if st.env.Resolver != nil {
		if v, ok := st.env.Resolver(st, name); ok {
			return v
		}
	}
	return Undefined("'" + name + "' is undefined")
}

// evalArgs evaluates call arguments, expanding *args and **kwargs.
func (st *State) evalArgs(ca *callArgs, sc *scope, pos int) ([]Value, []KwArg) {
	var args []Value
	if len(ca.args) > 0 {
		args = make([]Value, len(ca.args), len(ca.args)+1)
		for i, a := range ca.args {
			args[i] = st.eval(a, sc)
		}
	}
	if ca.dynArgs != nil {
		args = append(args, st.iterate(st.eval(ca.dynArgs, sc), pos)...)
	}
	var kwargs []KwArg
	if len(ca.kwNames) > 0 {
		kwargs = make([]KwArg, len(ca.kwNames), len(ca.kwNames)+1)
		for i, n := range ca.kwNames {
			kwargs[i] = KwArg{n, st.eval(ca.kwVals[i], sc)}
		}
	}
	if ca.dynKwargs != nil {
		d := st.eval(ca.dynKwargs, sc)
		dd := d.Dict()
		if dd == nil {
			if d.kind == KindUndefined {
				return args, kwargs
			}
			st.throw(CodeType, pos, "argument after ** must be a mapping, not %s", d.typeName())
		}
		for i, k := range dd.keys {
			if k.kind != KindString {
				st.throw(CodeType, pos, "keywords must be strings")
			}
			kwargs = append(kwargs, KwArg{k.s, dd.vals[i]})
		}
	}
	return args, kwargs
}

// evalCall evaluates a call; caller is set for {% call %} blocks.
func (st *State) evalCall(x *callExpr, sc *scope, caller *Value) Value {
	pos := int(x.pos)
	if ga, ok := x.fn.(*getattrExpr); ok {
		obj := st.eval(ga.obj, sc)
		switch obj.kind {
		case KindString, KindList, KindDict, KindTuple, KindInt, KindFloat, KindBool, KindNone:
			args, kwargs := st.evalArgs(&x.callArgs, sc, pos)
			if v, ok := st.callMethod(obj, ga.attr, args, kwargs, pos); ok {
				return v
			}
			fn := st.getattr(obj, ga.attr, pos)
			if caller != nil {
				kwargs = append(kwargs, KwArg{"caller", *caller})
			}
			return st.call(fn, args, kwargs, pos)
		}
		fn := st.getattr(obj, ga.attr, pos)
		args, kwargs := st.evalArgs(&x.callArgs, sc, pos)
		if caller != nil {
			kwargs = append(kwargs, KwArg{"caller", *caller})
		}
		return st.call(fn, args, kwargs, pos)
	}
	fn := st.eval(x.fn, sc)
	args, kwargs := st.evalArgs(&x.callArgs, sc, pos)
	if caller != nil {
		kwargs = append(kwargs, KwArg{"caller", *caller})
	}
	return st.call(fn, args, kwargs, pos)
}

// call invokes any callable value.
func (st *State) call(fn Value, args []Value, kwargs []KwArg, pos int) Value {
	st.pos = pos
	switch fn.kind {
	case KindMacro:
		return st.callMacro(fn.ref.(*Macro), args, kwargs, pos)
	case KindFunc:
		st.enterCall(pos)
		v, err := fn.ref.(Func)(st, args, kwargs)
		st.depth--
		if err != nil {
			st.hostErr(err, pos)
		}
		return v
	case KindObject:
		if c, ok := fn.ref.(Callable); ok {
			st.enterCall(pos)
			v, err := c.Call(st, args, kwargs)
			st.depth--
			if err != nil {
				st.hostErr(err, pos)
			}
			return v
		}
	case KindUndefined:
		st.throw(CodeUndefined, pos, "%s", undefinedMsg(fn))
	}
	st.throw(CodeType, pos, "'%s' object is not callable", fn.typeName())
	return Value{}
}

func (st *State) enterCall(pos int) {
	st.depth++
	if st.depth > st.limits.MaxDepth {
		st.throw(CodeDepth, pos, "maximum recursion depth of %d exceeded", st.limits.MaxDepth)
	}
}

func undefinedMsg(v Value) string {
	if v.s == "" {
		return "'Undefined' is undefined"
	}
	return v.s
}
