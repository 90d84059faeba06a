package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/protocol/protocoltest"
)

// TestGolden runs the wire protocol's golden files through `dbtdefer call
// --json`: the answer is stdout's line, an error the JSON on stderr.
func TestGolden(t *testing.T) {
	dev, prod := protocoltest.Pair()
	dir := t.TempDir()
	for from, to := range map[string]string{dev: protocoltest.DevName, prod: protocoltest.ProdName} {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, to), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir) // the files' names are the ones the other surfaces give
	for _, f := range protocoltest.Load(t) {
		for _, c := range f.Cases {
			var out, errb bytes.Buffer
			code := run([]string{"call", "--json", "--manifest", protocoltest.DevName, "--state", protocoltest.ProdName, f.Method, string(c.Request)}, &out, &errb)
			got := protocoltest.Envelope(200, out.Bytes())
			if code != 0 {
				got = protocoltest.Envelope(400, errb.Bytes())
			}
			f.Check(t, "cli", c, got)
			protocoltest.Verify(t, f.Method, c.Request, got)
		}
		f.Save(t)
	}
}
