package jinja

// Macro is a {% macro %} (or a call block's caller, or a dbt test,
// materialization or docs block) bound to the scope it was defined in.
// Calling it renders its body and evaluates to the output as a string, or to
// the value passed to the host's return() (see Return).
type Macro struct {
	// Name is the macro's name (test_<name>, materialization_<name>_<adapter>
	// and docs_<name> for dbt's blocks).
	Name string
	// Tag is free for the host, e.g. the dbt package the macro came from, so a
	// Resolver can pick the right namespace for names inside it.
	Tag any

	def     *macroDef
	closure *scope
	tmpl    *Template
}

// Params returns the declared parameter names.
func (m *Macro) Params() []string { return m.def.params }

// Required returns the parameters declared without a default.
func (m *Macro) Required() []string { return m.def.params[:len(m.def.params)-len(m.def.defaults)] }

// Template returns the template the macro was defined in.
func (m *Macro) Template() *Template { return m.tmpl }

// callMacro binds arguments the way jinja2.runtime.Macro.__call__ does and
// renders the body in a fresh scope whose parent is the defining scope.
func (st *State) callMacro(m *Macro, args []Value, kwargs []KwArg, pos int) (result Value) {
	def := m.def
	if len(kwargs) > 0 {
		kwargs = append([]KwArg(nil), kwargs...)
	}
	st.enterCall(pos)
	st.step(pos)
	inner := &scope{parent: m.closure, names: make([]string, 0, len(def.params)+2), vals: make([]Value, 0, len(def.params)+2)}
	n := len(def.params)
	consumed := 0
	for i, name := range def.params {
		var v Value
		found := false
		if i < len(args) {
			v, found = args[i], true
		} else {
			for j := range kwargs {
				if kwargs[j].Name == name && kwargs[j].Name != "" {
					v, found = kwargs[j].Value, true
					kwargs[j].Name = "" // consumed
					consumed++
					break
				}
			}
		}
		if !found {
			if d := i - (n - len(def.defaults)); d >= 0 {
				saveT := st.tmpl
				st.tmpl = m.tmpl
				v = st.eval(def.defaults[d], inner)
				st.tmpl = saveT
			} else {
				v = Undefined("parameter '" + name + "' was not provided")
			}
		}
		inner.set(name, v)
	}
	var callerV Value
	if def.usesCaller {
		callerV = Undefined("No caller defined")
		for j := range kwargs {
			if kwargs[j].Name == "caller" {
				callerV = kwargs[j].Value
				kwargs[j].Name = ""
				consumed++
				break
			}
		}
		inner.set("caller", callerV)
	}
	if def.catchKwargs {
		d := NewDict()
		for _, kw := range kwargs {
			if kw.Name != "" {
				d.SetStr(kw.Name, kw.Value)
			}
		}
		inner.set("kwargs", DictValue(d))
	} else if consumed < len(kwargs) {
		for _, kw := range kwargs {
			if kw.Name == "caller" {
				st.throw(CodeType, pos, "macro '%s' was invoked with two values for the special caller argument. This is most likely a bug.", m.Name)
			}
			if kw.Name != "" {
				st.throw(CodeType, pos, "macro '%s' takes no keyword argument '%s'", m.Name, kw.Name)
			}
		}
	}
	if def.catchVarargs {
		var rest []Value
		if len(args) > n {
			rest = append(rest, args[n:]...)
		}
		inner.set("varargs", NewTuple(rest...))
	} else if len(args) > n {
		st.throw(CodeType, pos, "macro '%s' takes not more than %d argument(s)", m.Name, n)
	}

	savedTmpl, savedMacro := st.tmpl, st.macro
	saved := st.pushBuf()
	st.tmpl, st.macro = m.tmpl, m
	returned := false
	func() {
		defer func() {
			if r := recover(); r != nil {
				if re, ok := r.(*ReturnError); ok {
					result = re.Value
					returned = true
					return
				}
				st.tmpl, st.macro = savedTmpl, savedMacro
				st.out = saved
				st.depth--
				panic(r)
			}
		}()
		st.execBody(def.body, inner)
	}()
	st.tmpl, st.macro = savedTmpl, savedMacro
	out := st.popBuf(saved)
	st.depth--
	if returned {
		return result
	}
	return Str(out)
}
