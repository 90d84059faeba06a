// Package protocol is dbtdefer's wire protocol: every call on an open
// project (resolve, explain, compile, select, stateInfo, nodes, node,
// lineage, analyze, complete) with its JSON request and its JSON answer, defined once. The
// browser module (wasm/browser), the Worker (wasm/worker) and the CLI's
// `dbtdefer call` carry bytes to Do and back; the JS API (web/dbtdefer.js)
// sends the requests and reads the answers.
//
// Files:
//
//	calls.go    the calls: each request type, its handler, the table (Lookup, Do)
//	decode.go   strict decoding: unknown keys and wrong types refused by
//	            option name, located at byte, line and column; a one-pass
//	            reader for the requests the JS API sends (decodeFast)
//	scan.go     the JSON scanner decoding's errors are located with
//	encode.go   the answer writer (Marshal), the envelope, the error shape
//	query.go    a request spelled as URL parameters (the Worker's GET routes)
//	warm.go     warming an open project while its host is idle
//
// testdata/golden holds one txtar file per call, requests in and answers
// out; protocoltest runs them through each surface.
//
// Adding a call: a request type and a handler in calls.go (define), and a
// golden file. The Worker routes it at /v1/NAME and `dbtdefer call NAME`
// answers it with no further code; the JS API needs its method.
package protocol
