package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"runtime/debug"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
)

// An appender writes its own JSON (encoding/json's reflection was most of
// a resolve call's time in wasm): resolve.RefResult and the answers made of
// them.
type appender interface {
	AppendJSON(b []byte) []byte
}

// Marshal is an answer's JSON, as every surface writes it: compact, without
// encoding/json's HTML escaping, without a trailing newline.
func Marshal(v any) ([]byte, error) {
	if a, ok := v.(appender); ok {
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
			return []byte("null"), nil // a nil *StateInfo: no state
		}
		return a.AppendJSON(nil), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, diag.Errorf("internal.encode", diag.Location{}, "cannot encode the answer: %v", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Error is an error as every surface answers it: the JS API's
// DbtdeferError fields, the Worker's error body, the CLI's --json error.
type Error struct {
	Code     string        `json:"code"`
	Message  string        `json:"message"`
	Location diag.Location `json:"location"`
}

// AsError is err as an Error: a *diag.Error keeps its code and location,
// anything else is internal.error.
func AsError(err error) Error {
	var de *diag.Error
	if !errors.As(err, &de) {
		de = diag.Errorf("internal.error", diag.Location{}, "%s", err.Error())
	}
	return Error{Code: de.Code, Message: de.Message, Location: de.Location}
}

// Envelope is the answer of the wasm bridge: {"ok":ANSWER} or
// {"error":ERROR}.
func Envelope(answer []byte, err error) []byte {
	if err != nil {
		e, _ := Marshal(AsError(err))
		return append(append([]byte(`{"error":`), e...), '}')
	}
	out := make([]byte, 0, len(answer)+7)
	out = append(out, `{"ok":`...)
	return append(append(out, answer...), '}')
}

// Panicked turns a recovered panic value into internal.panic, with the
// first part of the stack, so an instance stays alive and the caller gets
// data: defer func() { if r := recover(); r != nil { err = Panicked(r) } }().
func Panicked(r any) error {
	stack := string(debug.Stack())
	if len(stack) > 2000 {
		stack = stack[:2000]
	}
	return diag.Errorf("internal.panic", diag.Location{}, "internal error: %v (please report it with the inputs that caused it)\n%s", r, stack)
}

// NonNil is s, or an empty slice: answers write [] rather than null.
func NonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
