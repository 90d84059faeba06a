package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/dbtdefer/dbtdefer/resolve/manifest"
	"github.com/dbtdefer/dbtdefer/resolve/selector"
)

func init() {
	register(&command{name: "select", summary: "list the nodes a dbt selector selects (like dbt ls -s), with state: comparison", run: runSelect})
}

func runSelect(fs *flag.FlagSet, args []string, out io.Writer) error {
	man := fs.String("manifest", "", "current (dev) manifest.json (required)")
	state := fs.String("state", "", "comparison manifest.json for state: methods (dbt's --state)")
	runResults := fs.String("run-results", "", "previous run_results.json for result: methods")
	indirect := fs.String("indirect-selection", os.Getenv("DBT_INDIRECT_SELECTION"), "eager (default), cautious, buildable or empty")
	includeEmpty := fs.Bool("include-empty", true, "keep nodes with an empty SQL body (dbt ls does)")
	var maxBytes int
	maxManifestFlag(fs, &maxBytes)
	var exclude, types multiFlag
	fs.Var(&exclude, "exclude", "exclude selector (repeatable)")
	fs.Var(&types, "resource-type", "keep only this resource type (repeatable)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *man == "" {
		return usagef("select needs --manifest DEV")
	}
	data, err := readManifest(*man, maxBytes)
	if err != nil {
		return err
	}
	m, err := manifest.OpenWith(*man, data, manifest.Options{MaxBytes: maxBytes})
	if err != nil {
		return err
	}
	opt := selector.Options{Indirect: *indirect, Exclude: exclude, ResourceTypes: types, IncludeEmpty: *includeEmpty}
	if *state != "" {
		sd, err := readManifest(*state, maxBytes)
		if err != nil {
			return err
		}
		if opt.State, err = manifest.OpenWith(*state, sd, manifest.Options{MaxBytes: maxBytes}); err != nil {
			return err
		}
	}
	if *runResults != "" {
		if opt.RunResults, err = readFile(*runResults); err != nil {
			return err
		}
	}
	res, err := selector.Select(selector.NewGraph(m), pos, opt)
	if err != nil {
		return err
	}
	asJSON := fs.Lookup("json").Value.String() == "true"
	for _, n := range res.Nodes {
		if asJSON {
			if err := jsonOut(out, n); err != nil {
				return err
			}
		} else {
			fmt.Fprintln(out, n.UniqueID)
		}
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(os.Stderr, "warning: %s\n", w.Message)
	}
	return nil
}
