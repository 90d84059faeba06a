package selector

import (
	"strconv"
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
)

// Error codes of this package.
const (
	CodeBadSelector   = "selector.invalid"
	CodeUnknownMethod = "selector.unknown_method"
	CodeBadValue      = "selector.invalid_value"
	CodeNoState       = "selector.no_state"
	CodeNoRunResults  = "selector.no_run_results"
	CodeUnsupported   = "selector.unsupported"
	CodeNoNodes       = "selector.no_nodes"
	CodeContract      = "selector.contract_breaking_change"
	CodeSeedTooLarge  = "selector.seed_path_checksum"
	CodeMissingMacro  = "selector.missing_macro"
)

// Methods lists the selection methods dbt-core knows (spec §4.3).
var Methods = []string{
	"fqn", "tag", "group", "access", "source", "path", "file", "package", "config", "test_name",
	"test_type", "resource_type", "state", "exposure", "metric", "result", "source_status",
	"version", "semantic_model", "saved_query", "unit_test", "selector",
}

// StateValues lists the values of the state: method.
var StateValues = []string{
	"new", "old", "modified", "unmodified", "modified.body", "modified.configs",
	"modified.persisted_descriptions", "modified.relation", "modified.macros", "modified.contract",
}

// Criterion is one selection criterion: [@][N+][method[.arg…]:]value[+N]
// (dbt's RAW_SELECTOR_PATTERN).
type Criterion struct {
	// Raw is the criterion as written.
	Raw string `json:"raw"`
	// Column is the 1-based byte column of Raw within its argument.
	Column int `json:"column"`
	// Method is the method name; the default is inferred from Value (path
	// when it holds a '/', file for .sql/.py/.csv, else fqn).
	Method string `json:"method"`
	// Args are the dotted method arguments (config.materialized → ["materialized"]).
	Args []string `json:"args,omitempty"`
	// Value is the search value.
	Value string `json:"value"`
	// ChildrensParents is the '@' prefix.
	ChildrensParents bool `json:"childrensParents,omitempty"`
	// Parents is a '+' prefix; ParentsDepth limits it (-1: unlimited).
	Parents      bool `json:"parents,omitempty"`
	ParentsDepth int  `json:"parentsDepth"`
	// Children is a '+' suffix; ChildrenDepth limits it (-1: unlimited).
	Children      bool `json:"children,omitempty"`
	ChildrenDepth int  `json:"childrenDepth"`
}

// Intersection is one space-separated piece: its comma-separated criteria are
// intersected.
type Intersection struct {
	Raw      string      `json:"raw"`
	Criteria []Criterion `json:"criteria"`
}

// Parse splits selector arguments as dbt's --select does: each argument on
// spaces into union members, each member on commas into an intersection.
func Parse(args []string) ([]Intersection, error) {
	var out []Intersection
	for _, arg := range args {
		col := 0
		for _, piece := range strings.Split(arg, " ") {
			pieceCol := col
			col += len(piece) + 1
			if piece == "" {
				continue
			}
			in := Intersection{Raw: piece}
			c := pieceCol
			for _, part := range strings.Split(piece, ",") {
				cr, err := parseCriterion(part, c+1)
				c += len(part) + 1
				if err != nil {
					return nil, err
				}
				in.Criteria = append(in.Criteria, *cr)
			}
			out = append(out, in)
		}
	}
	return out, nil
}

// ParseCriterion parses one criterion (no spaces or commas).
func ParseCriterion(raw string) (*Criterion, error) { return parseCriterion(raw, 1) }

func badf(code string, col int, suggestion, format string, args ...any) *diag.Error {
	return diag.Errorf(code, diag.Location{Column: col, Suggestion: suggestion}, format, args...)
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func parseCriterion(raw string, col int) (*Criterion, error) {
	c := &Criterion{Raw: raw, Column: col, ParentsDepth: -1, ChildrenDepth: -1}
	s := raw
	pos := 0
	if strings.HasPrefix(s, "@") {
		c.ChildrensParents = true
		s, pos = s[1:], pos+1
	}
	// [digits]+ prefix
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i < len(s) && s[i] == '+' {
		c.Parents = true
		if i > 0 {
			d, err := strconv.Atoi(s[:i])
			if err != nil {
				return nil, badf(CodeBadSelector, col+pos, "", "invalid parent depth %q in %q at column %d", s[:i], raw, col+pos)
			}
			c.ParentsDepth = d
		}
		s, pos = s[i+1:], pos+i+1
	}
	// +[digits] suffix
	j := len(s)
	for j > 0 && s[j-1] >= '0' && s[j-1] <= '9' {
		j--
	}
	if j > 0 && s[j-1] == '+' {
		c.Children = true
		if j < len(s) {
			d, err := strconv.Atoi(s[j:])
			if err != nil {
				return nil, badf(CodeBadSelector, col+pos+j, "", "invalid child depth %q in %q at column %d", s[j:], raw, col+pos+j)
			}
			c.ChildrenDepth = d
		}
		s = s[:j-1]
	}
	if c.Children && c.ChildrensParents {
		return nil, badf(CodeBadSelector, col, "", "invalid selector %q at column %d: the \"@\" prefix and a \"+\" suffix are incompatible", raw, col)
	}
	// [method[.args]:]value — the method is [\w.]+ before the first ':'.
	if k := strings.IndexByte(s, ':'); k > 0 {
		m := s[:k]
		word := true
		for x := 0; x < len(m); x++ {
			if !isWordByte(m[x]) && m[x] != '.' {
				word = false
				break
			}
		}
		if word {
			parts := strings.Split(m, ".")
			if !validMethod(parts[0]) {
				return nil, badf(CodeUnknownMethod, col+pos, diag.Closest(parts[0], Methods),
					"unknown method '%s' at column %d", parts[0], col+pos)
			}
			c.Method, c.Args, c.Value = parts[0], parts[1:], s[k+1:]
			return c, validate(c, col+pos+k+1)
		}
	}
	c.Value = s
	c.Method = defaultMethod(s)
	return c, validate(c, col+pos)
}

func validMethod(m string) bool {
	for _, x := range Methods {
		if x == m {
			return true
		}
	}
	return false
}

func defaultMethod(v string) string {
	if strings.ContainsAny(v, "/\\") {
		return "path"
	}
	l := strings.ToLower(v)
	if strings.HasSuffix(l, ".sql") || strings.HasSuffix(l, ".py") || strings.HasSuffix(l, ".csv") {
		return "file"
	}
	return "fqn"
}

// resourceTypes are dbt's NodeType values.
var resourceTypes = []string{
	"model", "analysis", "test", "snapshot", "operation", "seed", "rpc", "sql_operation", "doc",
	"source", "macro", "exposure", "metric", "group", "saved_query", "semantic_model", "unit_test",
	"fixture", "function",
}

// validate rejects values dbt rejects at search time, so errors carry a
// column (valueCol is where the value starts).
func validate(c *Criterion, valueCol int) error {
	v := c.Value
	oneOf := func(what string, allowed []string) error {
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return badf(CodeBadValue, valueCol, diag.Closest(v, allowed), "invalid %s value '%s' at column %d; expected one of: %s",
			what, v, valueCol, strings.Join(allowed, ", "))
	}
	switch c.Method {
	case "state":
		return oneOf("state", StateValues)
	case "version":
		return oneOf("version", []string{"latest", "prerelease", "old", "none"})
	case "resource_type":
		return oneOf("resource_type", resourceTypes)
	case "test_type":
		if v == "generic" || v == "schema" || strings.Contains("data", v) || strings.Contains("singular", v) || strings.Contains("unit", v) {
			return nil // dbt tests `selector in ("data")`, a substring check
		}
		return badf(CodeBadValue, valueCol, diag.Closest(v, []string{"generic", "singular", "unit", "data"}),
			"invalid test_type value '%s' at column %d; expected \"generic\", \"singular\", \"unit\", or \"data\"", v, valueCol)
	case "source":
		if n := strings.Count(v, ".") + 1; n > 3 {
			return badf(CodeBadValue, valueCol, "", "invalid source selector value '%s' at column %d: sources are source_name, source_name.table_name or package.source_name.table_name", v, valueCol)
		}
	case "exposure", "metric", "semantic_model", "saved_query", "unit_test":
		if n := strings.Count(v, ".") + 1; n > 2 {
			return badf(CodeBadValue, valueCol, "", "invalid %s selector value '%s' at column %d: expected name or package.name", c.Method, v, valueCol)
		}
	case "config":
		if len(c.Args) == 0 || c.Args[0] == "" {
			at := valueCol - len("config:")
			return badf(CodeBadValue, at, "config.materialized", "the config method needs a key at column %d, e.g. config.materialized:%s", at, v)
		}
	case "source_status", "selector":
		return badf(CodeUnsupported, valueCol-len(c.Method)-1, "", "method '%s' is not supported by dbtdefer yet", c.Method)
	}
	return nil
}
