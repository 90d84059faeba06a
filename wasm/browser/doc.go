// Command browser is dbtdefer's browser module: the GOOS=js GOARCH=wasm
// build that web/host.js loads, in a Web Worker or on the page's thread. It
// only carries bytes between JavaScript and the engine: every call is the
// wire protocol's (resolve/protocol), which decodes the request, runs the
// call and writes the answer; this package opens projects and keeps them by
// handle.
//
// Files:
//
//	main_js.go      the only syscall/js code: the object handed to
//	                globalThis[DBTDEFER_READY] (open, provide, swapState,
//	                memory, dispose) and the wasm exports the call path uses
//	                (dbtdefer_in, dbtdefer_call, dbtdefer_warm, dbtdefer_scan)
//	session.go      Session: open (inputs to resolve.Open), swapState
//	                (refreshState), the projects by handle, Call (to
//	                protocol.Do), Warm, Memory, Dispose; platform-neutral,
//	                tested natively and under GOOS=js
//	projectyml.go   the quoting: block of a dbt_project.yml
//	version.go      the version web/version.js must match
//	probe_js.go     the probe build's exports (-tags probe; web/bench/parts.mjs)
//	main_other.go   a native main, so go build ./... and go vet ./... work
//
// A call: the host writes "method" + request JSON into the buffer
// dbtdefer_in hands out and calls dbtdefer_call, which answers the envelope
// {"ok":ANSWER} or {"error":{code,message,location}} (protocol.Envelope)
// as (address << 32 | length). An export costs under 1 µs where a
// js.FuncOf call costs 25–100 µs.
package main
