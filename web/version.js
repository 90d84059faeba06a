// The release and bridge protocol version. wasm/browser/version.go carries
// the same string; the wasm reports its own at start and a mismatch is an
// error (a test keeps the two files in step).
export const version = "0.1.0";
