package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve"
)

func init() {
	register(&command{name: "node", summary: "one node's path, config, docs, columns, tests, parents, children and code", run: runNode})
}

func runNode(fs *flag.FlagSet, args []string, out io.Writer) error {
	var pf projectFlags
	pf.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("node takes one NAME_OR_ID (a name or unique_id), got %d arguments", len(pos))
	}
	p, _, err := pf.open(fs)
	if err != nil {
		return err
	}
	asJSON := fs.Lookup("json").Value.String() == "true"
	printWarnings(out, p.Warnings, asJSON)
	d, err := p.NodeDetail(pos[0])
	if err != nil {
		return err
	}
	if asJSON {
		return jsonOut(out, d)
	}
	printNode(out, d)
	return nil
}

// printNode writes a node as "key: value" lines, lists one item a line.
func printNode(w io.Writer, d *resolve.NodeDetail) {
	field := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-13s %s\n", k+":", v)
		}
	}
	list := func(k string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(w, "%s:\n", k)
		for _, it := range items {
			fmt.Fprintf(w, "  %s\n", it)
		}
	}
	field("unique_id", d.UniqueID)
	field("name", d.Name)
	field("type", d.ResourceType)
	field("package", d.Package)
	field("path", d.OriginalFilePath)
	field("patch path", d.PatchPath)
	field("materialized", d.Materialized)
	field("language", d.Language)
	if d.Version != "" {
		v := d.Version
		if d.LatestVersion != "" {
			v += " (latest: " + d.LatestVersion + ")"
		}
		field("version", v)
	}
	field("access", d.Access)
	field("group", d.Group)
	field("state", d.State)
	field("tags", strings.Join(d.Tags, ", "))
	if d.Description != "" {
		field("description", strings.ReplaceAll(strings.TrimSpace(d.Description), "\n", "\n              "))
	}
	list("depends on", d.DependsOn)
	list("children", d.Children)
	var tests []string
	for _, t := range d.Tests {
		s := t.Name
		if t.Column != "" {
			s += " (" + t.Column + ")"
		}
		tests = append(tests, s)
	}
	list("tests", tests)
	var cols []string
	for _, c := range d.Columns {
		s := c.Name
		if c.DataType != "" {
			s += " " + c.DataType
		}
		if c.Description != "" {
			s += ": " + strings.Join(strings.Fields(c.Description), " ")
		}
		cols = append(cols, s)
	}
	list("columns", cols)
	var cfg []string
	for k, v := range d.Config {
		if v == nil {
			continue
		}
		switch x := v.(type) {
		case map[string]any:
			if len(x) == 0 {
				continue
			}
		case []any:
			if len(x) == 0 {
				continue
			}
		}
		text := fmt.Sprint(v)
		if _, ok := v.(string); !ok {
			if b, err := json.Marshal(v); err == nil {
				text = string(b)
			}
		}
		cfg = append(cfg, k+": "+text)
	}
	sort.Strings(cfg)
	list("config", cfg)
	if code := strings.TrimRight(d.RawCode, "\n"); code != "" {
		fmt.Fprintf(w, "raw code:\n")
		for _, l := range strings.Split(code, "\n") {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
}
