package jinja

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
)

// State is one render in progress. Host functions receive it to call back
// into Jinja (Call), to learn which macro is running (Macro), and to charge
// their own work against the limits (Charge).
type State struct {
	env    *Environment
	limits Limits
	tmpl   *Template // template whose code is running, for error locations
	ctx    map[string]Value
	out    []byte
	steps  int64
	// checkAt is the step count at which the next limit check runs: the
	// smaller of MaxSteps and the next clock reading for MaxTime.
	checkAt int64
	start   time.Time
	depth   int
	total   int64 // bytes written, all buffers together
	macro   *Macro
	pos     int // offset of the expression being evaluated, for host errors
	bufs    [][]byte
}

func newState(e *Environment, t *Template, ctx map[string]Value) *State {
	st := &State{env: e, limits: e.Limits.withDefaults(), tmpl: t, ctx: ctx, out: make([]byte, 0, len(t.src)+64)}
	st.start = st.now()
	st.checkAt = min(st.limits.MaxSteps, timeCheckEvery)
	return st
}

// timeCheckEvery is how many steps pass between clock readings for
// Limits.MaxTime: about a millisecond of work natively, a few in wasm.
const timeCheckEvery = 1 << 14

func (st *State) now() time.Time {
	if st.env != nil && st.env.clock != nil {
		return st.env.clock()
	}
	return time.Now()
}

// limitErr checks the step and time limits; it is called when steps passes
// checkAt, and moves checkAt on when neither limit is reached.
func (st *State) limitErr(pos int) *diag.Error {
	if st.steps > st.limits.MaxSteps {
		return diag.Errorf(CodeSteps, st.tmpl.loc(pos), "template exceeded the limit of %d steps", st.limits.MaxSteps)
	}
	if st.limits.MaxTime > 0 && !st.start.IsZero() {
		if d := st.now().Sub(st.start); d > st.limits.MaxTime {
			return diag.Errorf(CodeTime, st.tmpl.loc(pos), "template exceeded the time limit of %v (ran %v, %d steps)", st.limits.MaxTime, d.Round(time.Millisecond), st.steps)
		}
	}
	st.checkAt = min(st.limits.MaxSteps, st.steps+timeCheckEvery)
	return nil
}

// Environment returns the environment rendering.
func (st *State) Environment() *Environment { return st.env }

// Macro returns the macro whose body is running, or nil at template top level.
func (st *State) Macro() *Macro { return st.macro }

// Template returns the template whose code is running.
func (st *State) Template() *Template { return st.tmpl }

// Location returns where the expression being evaluated is.
func (st *State) Location() diag.Location { return st.tmpl.loc(st.pos) }

// Charge counts n steps of host work against Limits.MaxSteps.
func (st *State) Charge(n int64) error {
	st.steps += n
	if st.steps > st.checkAt {
		if err := st.limitErr(st.pos); err != nil {
			return err
		}
	}
	return nil
}

// Call calls fn (a macro, Func or callable Object) and returns its result;
// errors (including limit errors) come back as *diag.Error.
func (st *State) Call(fn Value, args []Value, kwargs []KwArg) (result Value, err error) {
	saved := *st
	defer func() {
		if r := recover(); r != nil {
			st.restore(&saved)
			err = st.panicToError(r)
		}
	}()
	return st.call(fn, args, kwargs, st.pos), nil
}

// restore puts back the fields a panic may have left changed.
func (st *State) restore(saved *State) {
	st.tmpl, st.out, st.depth, st.macro, st.pos = saved.tmpl, saved.out, saved.depth, saved.macro, saved.pos
}

// jinjaPanic carries an error through the evaluator; errors travel as panics
// so the hot path has no error checks, and are recovered at the API boundary.
type jinjaPanic struct{ err error }

// ReturnError is how a host's return() Func aborts the running macro: the
// macro call evaluates to Value. dbt defines return(x) as raising this.
type ReturnError struct{ Value Value }

func (r *ReturnError) Error() string { return "return() called outside of a macro" }

// Return builds the error a host's return function should give back:
//
//	env.Globals["return"] = jinja.FuncValue(func(st *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
//		return jinja.Value{}, jinja.Return(a[0])
//	})
func Return(v Value) error { return &ReturnError{Value: v} }

func (st *State) throw(code string, pos int, format string, args ...any) {
	panic(jinjaPanic{diag.Errorf(code, st.tmpl.loc(pos), format, args...)})
}

// hostErr turns an error from host code into a panic located at pos.
func (st *State) hostErr(err error, pos int) {
	var re *ReturnError
	if errors.As(err, &re) {
		panic(re)
	}
	var de *diag.Error
	if errors.As(err, &de) {
		if de.Location.File == "" && de.Location.Line == 0 {
			c := *de
			c.Location = st.tmpl.loc(pos)
			panic(jinjaPanic{&c})
		}
		panic(jinjaPanic{de})
	}
	st.throw(CodeHost, pos, "%s", err.Error())
}

func (st *State) panicToError(r any) error {
	switch x := r.(type) {
	case jinjaPanic:
		return x.err
	case *ReturnError:
		return x
	case runtime.Error:
		return diag.Errorf(CodeInternal, st.tmpl.loc(st.pos), "internal error: %v", x)
	}
	return diag.Errorf(CodeInternal, st.tmpl.loc(st.pos), "internal error: %v", fmt.Sprint(r))
}

func (st *State) recoverInto(err *error) {
	if r := recover(); r != nil {
		*err = st.panicToError(r)
	}
}

// step counts one unit of work.
func (st *State) step(pos int) {
	st.steps++
	if st.steps > st.checkAt {
		if err := st.limitErr(pos); err != nil {
			panic(jinjaPanic{err})
		}
	}
}

// work charges n bytes of copying (string building) as n/64 steps, so
// quadratic concatenation loops hit the step limit rather than run for minutes.
func (st *State) work(n int, pos int) {
	if n > 256 {
		st.steps += int64(n / 64)
		st.step(pos)
	}
	if int64(n) > st.limits.MaxOutput {
		st.throw(CodeOutput, pos, "value exceeds the output limit of %d bytes", st.limits.MaxOutput)
	}
}

func (st *State) write(s string, pos int) {
	st.total += int64(len(s))
	if st.total > st.limits.MaxOutput {
		st.throw(CodeOutput, pos, "template output exceeded the limit of %d bytes", st.limits.MaxOutput)
	}
	st.out = append(st.out, s...)
}

// pushBuf starts capturing output (macro bodies, set blocks, filter blocks).
func (st *State) pushBuf() []byte {
	saved := st.out
	if n := len(st.bufs); n > 0 {
		st.out = st.bufs[n-1][:0]
		st.bufs = st.bufs[:n-1]
	} else {
		st.out = make([]byte, 0, 256)
	}
	return saved
}

// popBuf ends capturing and returns what was captured.
func (st *State) popBuf(saved []byte) string {
	s := string(st.out)
	if cap(st.out) <= 64<<10 {
		st.bufs = append(st.bufs, st.out)
	}
	st.out = saved
	return s
}
