package main

import (
	"flag"
	"io"
	"os"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/protocol"
)

func init() {
	register(&command{name: "call", summary: "answer one call of the wire protocol (as the JS API and the Worker do): METHOD with a JSON request (an argument, or - for stdin)", run: runCall})
}

// runCall is `dbtdefer call METHOD [REQUEST]`: the request is the JS API's
// JSON (defer flags included), the answer the JS API's, one line on stdout;
// an error is the protocol's error JSON on stderr (exit 2, or 1 for an
// internal error).
func runCall(fs *flag.FlagSet, args []string, out io.Writer) error {
	var pf projectFlags
	pf.register(fs)
	var files projectFiles
	files.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	var inRequest []string
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "defer", "profile", "select", "exclude", "unknown", "package-first", "indirect-selection":
			inRequest = append(inRequest, "--"+f.Name)
		}
	})
	if len(inRequest) > 0 {
		return usagef("call takes the defer flags in the request (\"defer\", \"select\"…), not as %v", inRequest)
	}
	if len(pos) == 0 || len(pos) > 2 {
		return usagef("call needs METHOD and an optional REQUEST (JSON, or - for stdin); methods: %v", protocol.Names())
	}
	c, err := protocol.Lookup(pos[0])
	if err != nil {
		return err
	}
	var req []byte
	switch {
	case len(pos) == 1:
	case pos[1] == "-":
		if req, err = io.ReadAll(os.Stdin); err != nil {
			return err
		}
	default:
		req = []byte(pos[1])
	}
	bound, err := c.Bind(req) // before reading any manifest
	if err != nil {
		return err
	}
	p, _, err := pf.open(fs)
	if err != nil {
		return err
	}
	printWarnings(out, p.Warnings, false) // on stderr: stdout is the answer
	cfg, err := files.config(pf.manifest, func(w []diag.Diagnostic) { printWarnings(out, w, false) })
	if err != nil {
		return err
	}
	answer, err := bound.Do(protocol.New(p, cfg))
	if err != nil {
		return err
	}
	_, err = out.Write(append(answer, '\n'))
	return err
}
