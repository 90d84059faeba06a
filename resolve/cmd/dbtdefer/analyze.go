package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/dbtdefer/dbtdefer/resolve"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
)

func init() {
	register(&command{name: "analyze", summary: "lint a model's SQL as an editor would: every ref/source/var/macro call located, refs resolved, diagnostics at line:column", run: runAnalyze})
}

// runAnalyze is `dbtdefer analyze [--model M] FILE|-`: the language
// service's reading of a buffer (resolve.Project.Analyze). Text output is
// one line per diagnostic, FILE:LINE:COLUMN: SEVERITY: MESSAGE [CODE], as
// compilers print them; --json is the protocol's analyze answer. It exits 1
// when a diagnostic is an error.
func runAnalyze(fs *flag.FlagSet, args []string, out io.Writer) error {
	var pf projectFlags
	pf.register(fs)
	model := fs.String("model", "", "the model the buffer belongs to (name or unique_id; default: none, an ad-hoc snippet)")
	var files projectFiles
	files.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("analyze takes one FILE (or - for stdin)")
	}
	name := pos[0]
	var text []byte
	if name == "-" {
		text, err = io.ReadAll(os.Stdin)
		name = "<stdin>"
	} else {
		text, err = readFile(name)
	}
	if err != nil {
		return err
	}
	p, opt, err := pf.open(fs)
	if err != nil {
		return err
	}
	asJSON := fs.Lookup("json").Value.String() == "true"
	cfg, err := files.config(pf.manifest, func(w []diag.Diagnostic) { printWarnings(out, w, asJSON) })
	if err != nil {
		return err
	}
	res, err := p.Analyze(resolve.AnalyzeRequest{Model: *model, SQL: string(text), Options: opt,
		ProjectVars: cfg.Vars, PackageVars: cfg.PackageVars, VarsKnown: cfg.ProjectYml})
	if err != nil {
		return err
	}
	if asJSON {
		if err := jsonOut(out, res); err != nil {
			return err
		}
	} else {
		for _, d := range res.Diagnostics {
			fmt.Fprintf(out, "%s:%d:%d: %s: %s [%s]\n", name, d.Range.Start.Line, d.Range.Start.Column, d.Severity, d.Message, d.Code)
		}
	}
	for _, d := range res.Diagnostics {
		if d.Severity == diag.SeverityError {
			return errAnalyzed
		}
	}
	return nil
}

// errAnalyzed makes analyze exit 1 once its diagnostics are printed.
var errAnalyzed = &silentError{code: 1}
