// Command dbtdefer resolves dbt ref()/source()/this and compiled-SQL previews
// under no defer, standard defer and favor-state defer, from a dev manifest and
// a production (state) manifest, with no dbt process and no warehouse.
//
// Each subcommand lives in its own file and registers itself in init.
// Errors: exit code 2 for bad input (unreadable or invalid files, unknown
// names, bad flags), 1 for other failures. With --json, the error is printed
// to stderr as {"code":…,"message":…,"location":…}.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
	"github.com/dbtdefer/dbtdefer/resolve/protocol"
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	// run parses args with fs (already holding --json) and does the work.
	run func(fs *flag.FlagSet, args []string, out io.Writer) error
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// usageError marks bad command-line input (exit code 2).
type usageError struct{ msg string }

// silentError is an exit code for a command that has printed what it had
// to say (analyze's diagnostics).
type silentError struct{ code int }

func (e *silentError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

var stderr io.Writer = os.Stderr

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) (code int) {
	jsonErrors := false
	for _, a := range args {
		if a == "--json" || a == "-json" {
			jsonErrors = true
		}
	}
	defer func() {
		if r := recover(); r != nil {
			// Never a Go panic trace for the user: report it as an internal error.
			err := diag.Errorf("internal.panic", diag.Location{}, "internal error: %v", r)
			if os.Getenv("DBTDEFER_DEBUG") != "" {
				fmt.Fprintf(stderr, "%s\n", debug.Stack())
			}
			code = report(stderr, err, jsonErrors)
		}
	}()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(stdout)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		names := make([]string, 0, len(commands))
		for n := range commands {
			names = append(names, n)
		}
		err := diag.Errorf("cli.unknown_command", diag.Location{Suggestion: diag.Closest(args[0], names)}, "unknown command %q", args[0])
		printUsage(stderr)
		return report(stderr, err, jsonErrors)
	}
	fs := flag.NewFlagSet("dbtdefer "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Bool("json", false, "print results and errors as JSON")
	if err := c.run(fs, args[1:], stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprintf(stdout, "dbtdefer %s: %s\n", c.name, c.summary)
			fs.PrintDefaults()
			return 0
		}
		var se *silentError
		if errors.As(err, &se) {
			return se.code
		}
		return report(stderr, err, jsonErrors)
	}
	return 0
}

// report prints err and returns the exit code: 2 for bad input, 1 otherwise.
func report(w io.Writer, err error, asJSON bool) int {
	code := 1
	var de *diag.Error
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		code = 2
		de = diag.Errorf("cli.usage", diag.Location{}, "%s", ue.msg)
	case errors.As(err, &de):
		if !strings.HasPrefix(de.Code, "internal.") {
			code = 2
		}
	default:
		de = diag.Errorf("error", diag.Location{}, "%s", err.Error())
	}
	if asJSON {
		jsonOut(w, protocol.AsError(de))
	} else {
		fmt.Fprintf(w, "dbtdefer: %s\n", de.Error())
	}
	return code
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: dbtdefer COMMAND [flags] [args]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'dbtdefer COMMAND -h' for a command's flags.")
}

// parse parses flags allowing flags after positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// readFile reads a file, turning failures into bad-input errors.
func readFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, diag.Errorf("io.read", diag.Location{File: path}, "cannot read: %v", errors.Unwrap(err))
	}
	return data, nil
}

// maxManifestFlag registers --max-manifest-bytes.
func maxManifestFlag(fs *flag.FlagSet, dst *int) {
	fs.IntVar(dst, "max-manifest-bytes", 0, "refuse a manifest larger than this many bytes with manifest.too_large (0: no limit)")
}

// readManifest reads a manifest, refusing one over max bytes (0: no limit)
// before reading it, with the error manifest.OpenWith gives.
// A directory stands for the manifest.json in it, as dbt's --state takes
// the folder of a run's artifacts.
func readManifest(path string, max int) ([]byte, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		f := filepath.Join(path, "manifest.json")
		if _, err := os.Stat(f); err != nil {
			return nil, diag.Errorf("state.no_manifest", diag.Location{File: path}, "Could not find manifest in --state path: %q", path)
		}
		path = f
	}
	if max > 0 {
		if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() && st.Size() > int64(max) {
			return nil, diag.Errorf(manifest.CodeTooLarge, diag.Location{File: path}, "manifest is %d bytes, over the limit of %d bytes", st.Size(), max)
		}
	}
	data, err := readFile(path)
	if err == nil && max > 0 && len(data) > max { // not a regular file
		return nil, diag.Errorf(manifest.CodeTooLarge, diag.Location{File: path}, "manifest is %d bytes, over the limit of %d bytes", len(data), max)
	}
	return data, err
}

// jsonOut writes v as one line of JSON, as the protocol writes answers.
func jsonOut(w io.Writer, v any) error {
	b, err := protocol.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// multiFlag collects repeated string flags.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
