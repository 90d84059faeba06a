package main

// Version is the bridge protocol and release version. web/version.js carries
// the same string and dbtdefer.js refuses to run against a different wasm
// build (a test in web/test keeps the two files in step). It is a var so the
// tests can build a mismatched wasm with -ldflags=-X=main.Version=….
var Version = "0.1.0"
