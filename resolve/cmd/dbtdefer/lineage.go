package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/dbtdefer/dbtdefer/resolve"
)

func init() {
	register(&command{name: "lineage", summary: "a node's parents and children to --depth, each with where its relation resolves under a defer mode", run: runLineage})
}

func runLineage(fs *flag.FlagSet, args []string, out io.Writer) error {
	var pf projectFlags
	pf.register(fs)
	up := fs.Bool("up", true, "walk upstream (parents)")
	down := fs.Bool("down", true, "walk downstream (children)")
	depth := fs.Int("depth", resolve.DefaultLineageDepth, "steps each way")
	limit := fs.Int("limit", resolve.DefaultLineageLimit, fmt.Sprintf("at most this many nodes (at most %d)", resolve.MaxLineageLimit))
	tests := fs.Bool("tests", false, "include tests and unit tests")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("lineage takes one NAME_OR_ID (a name or unique_id), got %d arguments", len(pos))
	}
	if *depth == 0 || *limit == 0 {
		return usagef("--depth and --limit must be at least 1")
	}
	p, opt, err := pf.open(fs)
	if err != nil {
		return err
	}
	asJSON := fs.Lookup("json").Value.String() == "true"
	printWarnings(out, p.Warnings, asJSON)
	res, err := p.Lineage(resolve.LineageQuery{Node: pos[0], Up: *up, Down: *down, Depth: *depth, Limit: *limit, Tests: *tests, Options: opt})
	if err != nil {
		return err
	}
	if asJSON {
		return jsonOut(out, res)
	}
	printWarnings(out, res.Diagnostics, false)
	if err := printLineage(out, res); err != nil {
		return err
	}
	if res.Truncated {
		fmt.Fprintf(stderr, "truncated at %d nodes (--limit)\n", len(res.Nodes))
	}
	return nil
}

// printLineage writes one line per node, upstream first (farthest at the
// top), then the root, then downstream: the signed depth, the type, the
// name (the root marked *), its relation, env and rule, and its state
// when new or modified.
func printLineage(w io.Writer, res *resolve.LineageResult) error {
	nodes := make([]resolve.LineageNode, 0, len(res.Nodes))
	for i := len(res.Nodes) - 1; i >= 0; i-- { // upstream, farthest first
		if res.Nodes[i].Depth < 0 {
			nodes = append(nodes, res.Nodes[i])
		}
	}
	for _, n := range res.Nodes {
		if n.Depth >= 0 {
			nodes = append(nodes, n)
		}
	}
	var rows [][]string
	for _, n := range nodes {
		name, depth := n.Name, fmt.Sprintf("%+d", n.Depth)
		if n.Depth == 0 {
			name, depth = name+" *", "0"
		}
		where := []string{n.Relation, string(n.Env), n.Rule}
		if n.Error != nil {
			where = []string{"error: " + n.Error.Code, n.Error.Message, ""}
		}
		rows = append(rows, []string{depth, n.ResourceType, name, orDash(where[0]), where[1], where[2], stateMark(n.State)})
	}
	return writeTable(w, rows)
}
