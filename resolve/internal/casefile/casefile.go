// Package casefile reads the template case files of the conformance suites
// (resolve/jinja/testdata/conformance/*.txt, resolve/compile/testdata/
// toyaml.txt) exactly as their Python generators do: a case starts at a
// "=== name" line, an optional first "--- ctx {json}" line gives its
// context, and every other line up to the next case is the template.
package casefile

import "strings"

// Case is one template case.
type Case struct {
	Name, Ctx, Template string
}

// Parse reads a case file's content.
func Parse(content string) []Case {
	var cases []Case
	var cur *Case
	var lines []string
	hasCtx := false
	flush := func() {
		if cur != nil {
			cur.Template = strings.Join(lines, "\n")
			cases = append(cases, *cur)
		}
	}
	for _, line := range strings.Split(strings.TrimSuffix(content, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "=== "):
			flush()
			cur = &Case{Name: strings.TrimSpace(line[4:])}
			lines, hasCtx = nil, false
		case cur != nil && len(lines) == 0 && !hasCtx && strings.HasPrefix(line, "--- ctx "):
			cur.Ctx = line[len("--- ctx "):]
			hasCtx = true
		case cur != nil:
			lines = append(lines, line)
		}
	}
	flush()
	return cases
}
