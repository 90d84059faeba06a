//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

// main exists so `go build ./...` and `go vet ./...` work natively; the
// bridge itself (session.go) is tested natively with go test.
func main() {
	fmt.Fprintln(os.Stderr, "wasm/browser is dbtdefer's browser module: build it with GOOS=js GOARCH=wasm (./build.sh build)")
	os.Exit(2)
}
