//go:build js && wasm

package main

import (
	"encoding/binary"
	"os"
	"strings"
	"syscall/js"
	"unsafe"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
	"github.com/dbtdefer/dbtdefer/resolve/protocol"
)

// splitWait are the channels a split open takes the helper's entries from,
// for the manifest and the state (nil: no split there).
var splitWait [2]chan *manifest.Entries

// session is the instance's one Session (main creates it before the host
// can call anything).
var session *Session

// main hands the bridge object to globalThis[$DBTDEFER_READY] (a callback
// web/host.js installs for this one instance) and then parks forever: the
// instance lives as long as its JS host and answers calls synchronously.
// open, memory and dispose are js.FuncOf functions; the calls that answer
// an IDE (resolve, compile…) come through dbtdefer_call, a wasm export.
func main() {
	s := NewSession()
	session = s
	api := js.Global().Get("Object").New()
	api.Set("version", Version)
	// The calls whose answers the JS API may keep (protocol.Call.Cacheable).
	api.Set("cacheable", strings.Join(protocol.CacheableNames(), ","))
	api.Set("open", js.FuncOf(func(_ js.Value, args []js.Value) (ret any) {
		defer recoverJS(&ret)
		r := openRequest(args[0])
		if len(args) < 4 || args[2].Type() != js.TypeObject {
			return string(s.Open(r, progressFunc(args[1])))
		}
		// A split open: args[2] is {manifest, state}, the split points
		// (absent or -1: none). It indexes up to each split point and waits
		// there for the helper's entries (provide), on a goroutine: this call
		// returns once it waits (or is done), and done(envelope) gets the
		// answer.
		for i, key := range []string{"manifest", "state"} {
			at := args[2].Get(key)
			if at.Type() != js.TypeNumber || at.Int() < 0 {
				continue
			}
			wait := make(chan *manifest.Entries, 1) // provide never blocks
			splitWait[i] = wait
			sp := &manifest.Split{At: at.Int(), Wait: func() *manifest.Entries { return <-wait }}
			if i == 0 {
				r.Split = sp
			} else {
				r.StateSplit = sp
			}
		}
		progress, done := progressFunc(args[1]), args[3]
		go func() {
			out := s.Open(r, progress)
			splitWait = [2]chan *manifest.Entries{}
			done.Invoke(string(out))
		}()
		return nil
	}))
	// provide(which, entries) hands a split open the helper's entries for
	// the manifest (0) or the state (1): the bytes dbtdefer_scan answered
	// (relative to the split point), or null to index on without them. The
	// open takes them when it reaches that split point, and this call
	// returns once it waits again or is done (its done callback called).
	api.Set("provide", js.FuncOf(func(_ js.Value, args []js.Value) (ret any) {
		defer recoverJS(&ret)
		i := args[0].Int()
		if i < 0 || i > 1 || splitWait[i] == nil {
			return false
		}
		splitWait[i] <- entriesOf(args[1])
		splitWait[i] = nil
		return true
	}))
	// swapState(handle, {state?, stateRunResults?, stateCatalog?, names}) opens a newer
	// production state for an open project (refreshState).
	api.Set("swapState", js.FuncOf(func(_ js.Value, args []js.Value) (ret any) {
		defer recoverJS(&ret)
		var r SwapRequest
		r.State, r.StateRunResults, r.StateCatalog = bytesOf(args[1].Get("state")), bytesOf(args[1].Get("stateRunResults")), bytesOf(args[1].Get("stateCatalog"))
		if n := args[1].Get("names"); n.Type() == js.TypeString {
			if err := protocol.Decode("refreshState", []byte(n.String()), &r.Names); err != nil {
				panic(err)
			}
		}
		return string(s.SwapState(args[0].Int(), r))
	}))
	api.Set("memory", js.FuncOf(func(_ js.Value, _ []js.Value) (ret any) {
		defer recoverJS(&ret)
		return string(s.Memory())
	}))
	api.Set("dispose", js.FuncOf(func(_ js.Value, args []js.Value) (ret any) {
		defer recoverJS(&ret)
		return s.Dispose(args[0].Int())
	}))
	ready := os.Getenv("DBTDEFER_READY")
	if ready == "" {
		ready = "__dbtdeferReady"
	}
	js.Global().Call(ready, api)
	select {}
}

// openRequest copies each input's bytes into Go once (js.CopyBytesToGo),
// or takes the manifest the host already wrote into the input buffer; the
// JS side may drop its Uint8Arrays as soon as open returns.
func openRequest(v js.Value) OpenRequest {
	var r OpenRequest
	if v.Get("manifestAdopted").Truthy() {
		// The host wrote the manifest into the input buffer (dbtdefer_in).
		r.Manifest, callIn = callIn, nil
	}
	if v.Get("stateAdopted").Truthy() {
		// And the state into its own (dbtdefer_in_state).
		r.State, stateIn = stateIn, nil
	}
	for _, f := range []struct {
		key string
		dst *[]byte
	}{{"manifest", &r.Manifest}, {"state", &r.State}, {"catalog", &r.Catalog}, {"runResults", &r.RunResults}, {"projectYml", &r.ProjectYml},
		{"stateRunResults", &r.StateRunResults}, {"stateCatalog", &r.StateCatalog}, {"dependenciesYml", &r.DependenciesYml}} {
		if b := bytesOf(v.Get(f.key)); b != nil {
			*f.dst = b
		}
	}
	if u := v.Get("upstream"); u.Type() == js.TypeObject {
		for i := 0; i < u.Length(); i++ {
			r.Upstream = append(r.Upstream, bytesOf(u.Index(i)))
		}
	}
	if n := v.Get("names"); n.Type() == js.TypeString {
		// Names is small; decoded as the protocol decodes requests, it keeps
		// the bridge free of js.Value walking.
		if err := protocol.Decode("openProject", []byte(n.String()), &r.Names); err != nil {
			panic(err)
		}
	}
	return r
}

// bytesOf copies a Uint8Array into Go; nil for undefined or null.
func bytesOf(b js.Value) []byte {
	if b.IsUndefined() || b.IsNull() {
		return nil
	}
	out := make([]byte, b.Length())
	js.CopyBytesToGo(out, b)
	return out
}

func progressFunc(fn js.Value) func(Progress) {
	if fn.Type() != js.TypeFunction {
		return nil
	}
	return func(p Progress) { fn.Invoke(p.Phase, p.File, float64(p.Loaded), float64(p.Total)) }
}

// recoverJS turns a panic in the glue itself into an error envelope.
func recoverJS(ret *any) {
	if r := recover(); r != nil {
		var out []byte
		func() {
			defer recoverInto(&out)
			if err, ok := r.(error); ok {
				out = errorEnvelope(err)
				return
			}
			panic(r)
		}()
		*ret = string(out)
	}
}

// The call path. A js.FuncOf call costs 25–100 µs before any work (Go's
// event handoff through wasm_exec.js, measured in node and Chromium); a wasm
// export costs under 1 µs. So the host writes "method" + request JSON into
// the buffer dbtdefer_in hands out, calls dbtdefer_call, and decodes the
// answer from the (pointer, length) it returns. The answer stays in callOut
// until the next call. Exports must not block on a timer or a JS event (Go
// cannot pause inside one): nothing on the call path does.
var callIn, callOut []byte

var errBadCall = diag.Errorf("internal.call", diag.Location{}, "dbtdefer_call: the request is longer than the buffer dbtdefer_in gave (or the instance is not started)")

// addr is where b's bytes are in the wasm memory.
func addr(b []byte) uint32 { return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b)))) }

// exportIn returns the address of an n-byte input buffer.
//
//go:wasmexport dbtdefer_in
func exportIn(n uint32) uint32 {
	if uint32(cap(callIn)) < n {
		callIn = make([]byte, n)
	}
	callIn = callIn[:n]
	return addr(callIn)
}

// stateIn is the state's input buffer: a Blob state read straight into the
// wasm, for open to take (stateAdopted), beside the manifest in callIn.
var stateIn []byte

// exportInState returns the address of an n-byte input buffer for the state.
//
//go:wasmexport dbtdefer_in_state
func exportInState(n uint32) uint32 {
	stateIn = make([]byte, n)
	return addr(stateIn)
}

// exportCall runs the method named by the input's first methodLen bytes
// with the reqLen bytes after them as its request, on the project handle,
// and returns the answer envelope's address << 32 | its length.
//
//go:wasmexport dbtdefer_call
func exportCall(handle int32, methodLen, reqLen uint32) uint64 {
	if session == nil || uint64(methodLen)+uint64(reqLen) > uint64(len(callIn)) {
		callOut = errorEnvelope(errBadCall)
	} else {
		callOut = session.Call(int(handle), string(callIn[:methodLen]), callIn[methodLen:methodLen+reqLen])
	}
	return uint64(addr(callOut))<<32 | uint64(len(callOut))
}

// exportWarm warms the project handle a step of about n units (heads, then
// exercise calls: see Session.Warm) and returns how many are left (0: done,
// or no such project). The host calls it in slices while its thread is idle.
//
//go:wasmexport dbtdefer_warm
func exportWarm(handle int32, n uint32) uint32 {
	if session == nil {
		return 0
	}
	return uint32(session.Warm(int(handle), int(n)))
}

// entriesOf decodes provide's argument: the bytes dbtdefer_scan answered
// (see exportScan); nil for anything else.
func entriesOf(v js.Value) *manifest.Entries {
	if v.Type() != js.TypeObject || !v.InstanceOf(js.Global().Get("Uint8Array")) || v.Length() < 16 {
		return nil
	}
	raw := make([]byte, v.Length())
	js.CopyBytesToGo(raw, v)
	word := func(i int) int32 { return int32(binary.LittleEndian.Uint32(raw[4*i:])) }
	ns, na, nk := int(word(1)), int(word(2)), int(word(3))
	if ns < 0 || na < 0 || nk < 0 || 16+4*(ns+na)+nk != len(raw) {
		return nil
	}
	ints := make([]int32, ns+na)
	for i := range ints {
		ints[i] = word(4 + i)
	}
	return &manifest.Entries{End: word(0), Spans: ints[:ns], After: ints[ns:], Keys: raw[16+4*(ns+na):]}
}

// exportScan is the helper worker's side of a split open: it scans the n
// bytes in the input buffer (from a key of a section to the section's end,
// manifest.ScanEntries) and answers its Entries as [end, len(Spans),
// len(After), len(Keys)], Spans and After as little-endian int32s, then
// Keys; or nothing when the bytes do not scan (the open then indexes them
// itself, and says what is wrong). The input buffer is freed: the helper
// keeps no manifest.
//
//go:wasmexport dbtdefer_scan
func exportScan(n uint32) uint64 {
	var e *manifest.Entries
	if uint64(n) <= uint64(len(callIn)) {
		e, _ = manifest.ScanEntries(callIn[:n])
	}
	callIn = nil
	callOut = callOut[:0]
	if e != nil {
		callOut = make([]byte, 0, 16+4*(len(e.Spans)+len(e.After))+len(e.Keys))
		for _, x := range append([]int32{e.End, int32(len(e.Spans)), int32(len(e.After)), int32(len(e.Keys))}, append(e.Spans, e.After...)...) {
			callOut = binary.LittleEndian.AppendUint32(callOut, uint32(x))
		}
		callOut = append(callOut, e.Keys...)
	}
	return uint64(addr(callOut))<<32 | uint64(len(callOut))
}
