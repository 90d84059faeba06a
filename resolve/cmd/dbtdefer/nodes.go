package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/dbtdefer/dbtdefer/resolve"
)

func init() {
	register(&command{name: "nodes", summary: "list the dev manifest's models, seeds, snapshots and analyses (or --type …), fuzzy-searched and paged", run: runNodes})
}

func runNodes(fs *flag.FlagSet, args []string, out io.Writer) error {
	var pf projectFlags
	pf.register(fs)
	var types multiFlag
	fs.Var(&types, "type", "resource type to list (model, seed, snapshot, analysis, test, source, exposure…); repeatable or comma-separated (default: model, seed, snapshot, analysis)")
	pkg := fs.String("package", "", "only nodes of this package")
	query := fs.String("query", "", "fuzzy match on names (on unique_ids and paths with a '.' or '/' in it)")
	limit := fs.Int("limit", resolve.DefaultNodesLimit, fmt.Sprintf("rows per page (at most %d)", resolve.MaxNodesLimit))
	offset := fs.Int("offset", 0, "rows to skip")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("nodes takes no arguments (use --query to search), got %q", pos[0])
	}
	q := resolve.NodesQuery{Package: *pkg, Query: *query, Limit: *limit, Offset: *offset}
	for _, t := range types {
		for _, x := range strings.Split(t, ",") {
			if x = strings.TrimSpace(x); x != "" {
				q.ResourceType = append(q.ResourceType, x)
			}
		}
	}
	if q.Limit == 0 {
		return usagef("--limit must be at least 1")
	}
	p, _, err := pf.open(fs)
	if err != nil {
		return err
	}
	asJSON := fs.Lookup("json").Value.String() == "true"
	printWarnings(out, p.Warnings, asJSON)
	res, err := p.Nodes(q)
	if err != nil {
		return err
	}
	if asJSON {
		return jsonOut(out, res)
	}
	var rows [][]string
	for _, n := range res.Nodes {
		name := n.Name
		if n.Version != "" {
			name += " v" + n.Version
			if n.Latest {
				name += " (latest)"
			}
		}
		rows = append(rows, []string{n.ResourceType, name, orDash(n.Path), orDash(n.Materialized), stateMark(n.State)})
	}
	if err := writeTable(out, rows); err != nil {
		return err
	}
	if shown := res.Offset + len(res.Nodes); shown < res.Total || res.Offset > 0 {
		fmt.Fprintf(stderr, "rows %d-%d of %d", min(res.Offset+1, shown), shown, res.Total)
		if shown < res.Total {
			fmt.Fprintf(stderr, " (--offset %d for more)", shown)
		}
		fmt.Fprintln(stderr)
	}
	return nil
}

// stateMark is a node's state against --state as text output shows it:
// [new] or [modified]; nothing when unchanged or without a state.
func stateMark(s string) string {
	if s == "" || s == "unchanged" {
		return ""
	}
	return "[" + s + "]"
}

// writeTable writes rows as columns two spaces apart, without trailing blanks.
func writeTable(w io.Writer, rows [][]string) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	for _, l := range strings.SplitAfter(buf.String(), "\n") {
		if l == "" {
			continue
		}
		if _, err := io.WriteString(w, strings.TrimRight(l, " \n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}
