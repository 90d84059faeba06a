//go:build js && wasm && probe

package main

// The probe build (go build -tags probe; web/bench/parts.mjs) adds exports
// that time nothing themselves: dbtdefer_probe runs one part of a resolve
// call n times in a loop inside the wasm, so the page can time each part
// without the cost of crossing into the wasm; dbtdefer_probe_once runs the
// whole call once a crossing; and a "ping" method answers at once (the
// floor under every call). None of it is in the shipped module.

import (
	"encoding/json"

	"github.com/dbtdefer/dbtdefer/resolve"
	"github.com/dbtdefer/dbtdefer/resolve/protocol"
)

func init() {
	pong := []byte(`{"ok":{}}`)
	probeMethods = map[string]func() []byte{"ping": func() []byte { return pong }}
}

// probeSink keeps the loops' results alive.
var probeSink int

// probeParts are the parts exportProbe runs, by number.
const (
	probeDecode     = iota // protocol.Decode of the request
	probeResolve           // Project.Resolve: the call's context, then ResolveOne
	probeResolveOne        // ResolveOne in a prepared call
	probeAnswer            // RefResult.AppendJSON
	probeWhole             // protocol.Do: the whole call as dbtdefer_call makes it
	probeSession           // Session.Call: the method looked up, the answer's envelope
)

// exportProbe runs part n times on project handle, resolving ref from the
// node from with favor-state, and answers 1 (0: no such project or ref).
//
//go:wasmexport dbtdefer_probe
func exportProbe(handle int32, part int32, n int32, fromLen, refLen uint32) int32 {
	p := session.projects[int(handle)]
	if p == nil || uint64(fromLen)+uint64(refLen) > uint64(len(callIn)) {
		return 0
	}
	from, ref := string(callIn[:fromLen]), string(callIn[fromLen:fromLen+refLen])
	req, _ := json.Marshal(map[string]any{"from": from, "refs": []string{ref}, "defer": "favor-state"})
	probeReq = req
	spec, err := resolve.ParseRef(ref)
	if err != nil {
		return 0
	}
	opt := resolve.Options{Defer: "favor-state"}
	res, _, err := p.Resolve(from, []resolve.RefSpec{spec}, opt)
	if err != nil {
		return 0
	}
	c, _, err := p.NewCall(from, opt)
	if err != nil {
		return 0
	}
	buf := make([]byte, 0, 4096)
	for i := int32(0); i < n; i++ {
		switch part {
		case probeDecode:
			var r protocol.ResolveRequest
			_ = protocol.Decode("resolve", req, &r)
			probeSink += len(r.Refs)
		case probeResolve:
			r, _, _ := p.Resolve(from, []resolve.RefSpec{spec}, opt)
			probeSink += len(r)
		case probeResolveOne:
			r, _ := p.ResolveOne(c, spec)
			probeSink += len(r.Relation)
		case probeAnswer:
			buf = res[0].AppendJSON(buf[:0])
			probeSink += len(buf)
		case probeWhole:
			out, _ := protocol.Do(p, "resolve", req)
			probeSink += len(out)
		case probeSession:
			probeSink += len(session.Call(int(handle), "resolve", req))
		default:
			return 0
		}
	}
	return 1
}

// probeReq is the request dbtdefer_probe_once answers: set by exportProbe.
var probeReq []byte

// exportProbeOnce runs Session.Call once on the request the last
// dbtdefer_probe made: a call crossing into the wasm without the host's
// encoding and decoding.
//
//go:wasmexport dbtdefer_probe_once
func exportProbeOnce(handle int32) int32 {
	return int32(len(session.Call(int(handle), "resolve", probeReq)))
}
