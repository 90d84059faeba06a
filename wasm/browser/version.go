// Package main is dbtdefer's browser module: the GOOS=js GOARCH=wasm build
// that web/dbtdefer.js loads. It is a thin bridge over package resolve:
// main_js.go holds the only syscall/js code (values in, JSON strings out,
// panics recovered); everything else is platform-neutral and tested natively
// and under GOOS=js like any Go package.
//
// The JS side (web/host.js) calls four functions on the object this module
// hands to globalThis[DBTDEFER_READY] at start:
//
//	version                       string, checked against dbtdefer.js's
//	open(inputs, onProgress)      JSON {"ok":{handle,warnings,info}} | {"error":…}
//	call(handle, method, reqJSON) JSON {"ok":result} | {"error":{code,message,location}}
//	dispose(handle)               frees a project
package main

// Version is the bridge protocol and release version. web/version.js carries
// the same string and dbtdefer.js refuses to run against a different wasm
// build (a test in web/test keeps the two files in step). It is a var so the
// tests can build a mismatched wasm with -ldflags=-X=main.Version=….
var Version = "0.1.0"
