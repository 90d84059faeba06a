//go:build js && wasm

package main

import (
	"os"
	"syscall/js"
)

// main hands the bridge object to globalThis[$DBTDEFER_READY] (a callback
// web/host.js installs for this one instance) and then parks forever: the
// instance lives as long as its JS host and answers calls synchronously.
func main() {
	s := NewSession()
	api := js.Global().Get("Object").New()
	api.Set("version", Version)
	api.Set("open", js.FuncOf(func(_ js.Value, args []js.Value) (ret any) {
		defer recoverJS(&ret)
		return string(s.Open(openRequest(args[0]), progressFunc(args[1])))
	}))
	api.Set("call", js.FuncOf(func(_ js.Value, args []js.Value) (ret any) {
		defer recoverJS(&ret)
		return string(s.Call(args[0].Int(), args[1].String(), []byte(args[2].String())))
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

// openRequest copies each input's bytes into Go once (js.CopyBytesToGo);
// the JS side may drop its Uint8Arrays as soon as open returns.
func openRequest(v js.Value) OpenRequest {
	var r OpenRequest
	for _, f := range []struct {
		key string
		dst *[]byte
	}{{"manifest", &r.Manifest}, {"state", &r.State}, {"catalog", &r.Catalog}, {"runResults", &r.RunResults}, {"projectYml", &r.ProjectYml}} {
		b := v.Get(f.key)
		if b.IsUndefined() || b.IsNull() {
			continue
		}
		*f.dst = make([]byte, b.Length())
		js.CopyBytesToGo(*f.dst, b)
	}
	if n := v.Get("names"); n.Type() == js.TypeString {
		// Names is small; the JSON decoder keeps the bridge free of js.Value walking.
		if err := decodeStrict("openProject", []byte(n.String()), &r.Names); err != nil {
			panic(err)
		}
	}
	return r
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
