package compile

import (
	"strconv"
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve/manifest"
)

// fusionLayout is how a dbt Fusion version injects ephemeral CTEs
// (dbt-fusion crates/dbt-jinja-utils/src/utils.rs,
// inject_and_persist_ephemeral_models). Fusion writes no extra_ctes; its
// compiled_code carries the CTEs, each "__dbt__cte__<name> as (\n<sql>\n)"
// (no leading space, unlike dbt-core), upstream ones first, joined by ", ".
type fusionLayout int

const (
	notFusion fusionLayout = iota
	// fusionWith (2.0.0-beta.5 … beta.29): after a leading `with` (comments
	// skipped are "//" lines and "/* */"), " <ctes>, " goes right after the
	// word ("recursive" counted without the space before it); otherwise
	// "with <ctes> " goes first.
	fusionWith
	// fusionWrap (beta.30 … preview.23): "with <ctes>\n\nselect * from (\n<sql>\n)".
	fusionWrap
	// fusionMarked (preview.24 on): the wrapper between
	// --EPHEMERAL-SELECT-WRAPPER-START/END comment lines.
	fusionMarked
)

// fusionLayoutFor reads a Fusion dbt_version ("2.0.0-beta.12",
// "2.0.0-preview.154"); a 2.x version without a known prerelease is
// taken as current.
func fusionLayoutFor(v string) fusionLayout {
	if !strings.HasPrefix(v, "2.") {
		return notFusion
	}
	_, pre, _ := strings.Cut(v, "-")
	kind, num, _ := strings.Cut(pre, ".")
	n, err := strconv.Atoi(num)
	switch {
	case err != nil:
		return fusionMarked
	case kind == "beta" && n < 30:
		return fusionWith
	case kind == "beta", kind == "preview" && n < 24:
		return fusionWrap
	}
	return fusionMarked
}

// fusionCTE is one ephemeral's CTE as Fusion writes it.
func fusionCTE(name, sql string) string { return "__dbt__cte__" + name + " as (\n" + sql + "\n)" }

// injectFusion injects ctes into sql in layout's way.
func injectFusion(sql string, ctes []manifest.CTE, layout fusionLayout) string {
	if len(ctes) == 0 {
		return sql
	}
	parts := make([]string, 0, len(ctes))
	seen := map[string]bool{}
	for _, c := range ctes {
		if !seen[c.SQL] { // Fusion keeps each CTE text once
			seen[c.SQL] = true
			parts = append(parts, c.SQL)
		}
	}
	joined := strings.Join(parts, ", ")
	switch layout {
	case fusionWrap:
		return "with " + joined + "\n\nselect * from (\n" + sql + "\n)"
	case fusionWith:
		start := fusionContentStart(sql)
		lower := asciiLower(sql)
		if !strings.HasPrefix(lower[start:], "with") {
			return "with " + joined + " " + sql
		}
		at := start + len("with")
		if strings.HasPrefix(strings.TrimLeft(lower[at:], " \t\r\n\f\v"), "recursive") {
			at += len("recursive")
		}
		return sql[:at] + " " + joined + ", " + sql[at:]
	}
	return "with " + joined + "\n--EPHEMERAL-SELECT-WRAPPER-START\nselect * from (\n" + sql + "\n--EPHEMERAL-SELECT-WRAPPER-END\n)"
}

// fusionContentStart is where beta Fusion found the SQL's first content:
// past whitespace, "//" line comments and "/* */" comments.
func fusionContentStart(s string) int {
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '/' && i+1 < len(s) && s[i+1] == '/':
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return len(s)
			}
			i += j + 1
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return len(s)
			}
			i += j + 4
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		default:
			return i
		}
	}
	return 0 // all whitespace: Fusion's index stayed 0
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
