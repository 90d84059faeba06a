package main

import (
	"bufio"
	"bytes"
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
)

// projectQuoting reads the `quoting:` block of a dbt_project.yml: the only
// part of it resolve needs today (dbt manifests before 1.10 do not record it).
// It is a reader for that one mapping, block or flow style, not a YAML parser:
// anything else in the file is ignored, and a value it cannot read (Jinja,
// anchors) is skipped with a warning rather than guessed.
func projectQuoting(name string, data []byte) (*manifest.Quoting, []diag.Diagnostic) {
	var q manifest.Quoting
	var warns []diag.Diagnostic
	found := false
	set := func(key, val string, line int) {
		key = strings.Trim(strings.TrimSpace(key), `"'`)
		val = strings.Trim(stripComment(val), `"'`)
		var dst **bool
		switch key {
		case "database":
			dst = &q.Database
		case "schema":
			dst = &q.Schema
		case "identifier":
			dst = &q.Identifier
		default:
			return
		}
		b, ok := yamlBool(val)
		if !ok {
			warns = append(warns, diag.Warning("project_yml.quoting", diag.Location{File: name, Line: line},
				"quoting.%s is %q, which dbtdefer cannot evaluate; the manifest's or adapter's quoting is used", key, val))
			return
		}
		*dst = &b
		found = true
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	in := false
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.TrimSpace(text)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		indented := text[0] == ' ' || text[0] == '\t'
		if !indented {
			in = false
			rest, ok := strings.CutPrefix(text, "quoting:")
			if !ok {
				continue
			}
			rest = stripComment(rest)
			if strings.HasPrefix(rest, "{") && strings.HasSuffix(rest, "}") {
				for _, kv := range strings.Split(rest[1:len(rest)-1], ",") {
					if k, v, ok := strings.Cut(kv, ":"); ok {
						set(k, v, line)
					}
				}
				continue
			}
			in = rest == ""
			continue
		}
		if in {
			if k, v, ok := strings.Cut(trimmed, ":"); ok {
				set(k, v, line)
			}
		}
	}
	if !found {
		return nil, warns
	}
	return &q, warns
}

func stripComment(s string) string {
	if i := strings.Index(s, " #"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// yamlBool reads YAML 1.1 booleans, as PyYAML (dbt's loader) does.
func yamlBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "on", "y":
		return true, true
	case "false", "no", "off", "n":
		return false, true
	}
	return false, false
}
