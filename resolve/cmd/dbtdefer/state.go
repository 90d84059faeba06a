package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/dbtdefer/dbtdefer/resolve"
)

func init() {
	register(&command{name: "state", summary: "the production run a state came from: run id, link, age, and its run results", run: runState})
}

// runState prints what Project.StateInfoNow says of --state (the dev
// manifest defaults to the state itself: only the state is described).
func runState(fs *flag.FlagSet, args []string, out io.Writer) error {
	var pf projectFlags
	pf.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("state takes no arguments, got %q", pos[0])
	}
	if pf.state == "" && pf.deferState == "" {
		return usagef("--state is required")
	}
	if pf.manifest == "" {
		pf.manifest = pf.state
		if pf.manifest == "" {
			pf.manifest = pf.deferState
		}
	}
	p, _, err := pf.open(fs)
	if err != nil {
		return err
	}
	asJSON := fs.Lookup("json").Value.String() == "true"
	printWarnings(out, p.Warnings, asJSON)
	info := p.StateInfoNow()
	if asJSON {
		return jsonOut(out, info)
	}
	fmt.Fprintf(out, "state:        %s\n", info.File)
	fmt.Fprintf(out, "project:      %s (%s, dbt %s)\n", orDash(info.ProjectName), orDash(info.AdapterType), orDash(info.DbtVersion))
	fmt.Fprintf(out, "generated at: %s", orDash(info.GeneratedAt))
	if info.Age != nil {
		fmt.Fprintf(out, " (%s ago", resolve.HumanAge(time.Duration(*info.Age)*time.Second))
		if info.Stale {
			fmt.Fprint(out, ", stale")
		}
		fmt.Fprint(out, ")")
	}
	fmt.Fprintln(out)
	if r := info.Run; r != nil {
		fmt.Fprintf(out, "run:          %s (%s)\n", orDash(r.ID), r.Source)
		if r.JobID != "" {
			fmt.Fprintf(out, "job:          %s\n", r.JobID)
		}
		if r.Trigger != "" {
			fmt.Fprintf(out, "trigger:      %s\n", r.Trigger)
		}
		if r.URL != "" {
			fmt.Fprintf(out, "link:         %s\n", r.URL)
		}
	}
	if rr := info.RunResults; rr != nil {
		fmt.Fprintf(out, "run results:  dbt %s, %s: %v\n", orDash(rr.Command), orDash(rr.GeneratedAt), rr.Counts)
	}
	return nil
}
