package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/dbtdefer/dbtdefer/resolve/manifest"
)

func init() {
	register(&command{name: "info", summary: "schema version, dbt version, adapter, project and node counts of a manifest", run: runInfo})
}

type infoResult struct {
	File     string            `json:"file"`
	Meta     manifest.Metadata `json:"metadata"`
	Counts   map[string]int    `json:"counts"`
	Warnings any               `json:"warnings,omitempty"`
}

func runInfo(fs *flag.FlagSet, args []string, out io.Writer) error {
	var maxBytes int
	maxManifestFlag(fs, &maxBytes)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("info takes one manifest path, got %d arguments", len(pos))
	}
	data, err := readManifest(pos[0], maxBytes)
	if err != nil {
		return err
	}
	m, err := manifest.OpenWith(pos[0], data, manifest.Options{MaxBytes: maxBytes})
	if err != nil {
		return err
	}
	res := infoResult{File: pos[0], Meta: m.Meta, Counts: m.Counts()}
	if len(m.Warnings) > 0 {
		res.Warnings = m.Warnings
	}
	if fs.Lookup("json").Value.String() == "true" {
		return jsonOut(out, res)
	}
	md := m.Meta
	schema := fmt.Sprintf("v%d", md.SchemaVersion)
	if md.SchemaVersion == 0 {
		schema = "unversioned (before dbt 0.19)"
	}
	fmt.Fprintf(out, "file:         %s (%d bytes)\n", pos[0], m.Size())
	fmt.Fprintf(out, "schema:       %s\n", schema)
	fmt.Fprintf(out, "dbt version:  %s\n", orDash(md.DbtVersion))
	fmt.Fprintf(out, "adapter:      %s\n", orDash(md.AdapterType))
	proj := orDash(md.ProjectName)
	if md.ProjectNameInferred {
		proj += " (recovered from project_id)"
	}
	fmt.Fprintf(out, "project:      %s\n", proj)
	fmt.Fprintf(out, "generated at: %s\n", orDash(md.GeneratedAt))
	fmt.Fprintf(out, "invocation:   %s\n", orDash(md.InvocationID))
	fmt.Fprintln(out, "counts:")
	for _, k := range manifest.SortedCounts(res.Counts) {
		fmt.Fprintf(out, "  %-16s %d\n", k, res.Counts[k])
	}
	for _, w := range m.Warnings {
		fmt.Fprintf(out, "warning: %s\n", w.Message)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
