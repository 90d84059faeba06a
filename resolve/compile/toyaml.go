package compile

import (
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/dbtdefer/dbtdefer/resolve/jinja"
)

// toyaml is dbt's context function (core/dbt/context/base.py):
//
//	def toyaml(value, default=None, sort_keys=False):
//	    try:
//	        return yaml.safe_dump(data=value, sort_keys=sort_keys)
//	    except (ValueError, yaml.YAMLError):
//	        return default
//
// This file reproduces PyYAML 6's safe_dump byte for byte for the values a
// template can hold: SafeRepresenter (which types it accepts, float spelling,
// key sorting, anchors for a list or dict met twice), the Serializer (implicit
// tags by the YAML 1.1 resolver's patterns) and the Emitter with safe_dump's
// settings (block style, indent 2, width 80, allow_unicode=False, no explicit
// document start or end). The emitter is a port of PyYAML's emitter.py for the
// events a safe_dump of Jinja values produces, keeping its state variables
// (column, whitespace, indention, open_ended, the indent stack) so line
// folding and the "..." after a top-level plain scalar come out the same.
// Values safe_dump cannot represent (Undefined, Markup, macros, functions,
// other host objects) give the default, as RepresenterError does in dbt.
// testdata/gen_toyaml.py writes the golden outputs TestToYAMLConformance checks.
func toYAMLFunc(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
	v, _ := arg(a, kw, 0, "value")
	sk, _ := arg(a, kw, 2, "sort_keys")
	r := yamlRepresenter{sortKeys: sk.Truth(), seen: map[any]*yamlNode{}}
	n, ok := r.represent(v)
	if !ok {
		d, _ := arg(a, kw, 1, "default")
		if d.IsUndefined() {
			return jinja.None(), nil
		}
		return d, nil
	}
	return jinja.Str(safeDump(n)), nil
}

const (
	yamlScalar = iota
	yamlSeq
	yamlMap
)

// yamlNode is a PyYAML representation node. Tags are the short names after
// "tag:yaml.org,2002:".
type yamlNode struct {
	kind   uint8
	tag    string
	value  string      // scalar text
	items  []*yamlNode // sequence items; mapping key, value, key, value, …
	anchor string
	// anchorPass counts visits in the serializer's anchor pass; done marks a
	// node already emitted (a second emission is an alias).
	anchorPass int
	done       bool
}

type yamlRepresenter struct {
	sortKeys bool
	// seen maps a list's, dict's or set's identity to its node, as
	// represented_objects does with id(data): a value met again is the same
	// node (an alias), and a list that contains itself terminates.
	seen map[any]*yamlNode
}

func (r *yamlRepresenter) represent(v jinja.Value) (*yamlNode, bool) {
	scalar := func(tag, s string) (*yamlNode, bool) {
		return &yamlNode{kind: yamlScalar, tag: tag, value: s}, true
	}
	switch v.Kind() {
	case jinja.KindNone:
		return scalar("null", "null")
	case jinja.KindBool:
		if v.AsBool() {
			return scalar("bool", "true")
		}
		return scalar("bool", "false")
	case jinja.KindInt:
		return scalar("int", strconv.FormatInt(v.AsInt(), 10))
	case jinja.KindFloat:
		return scalar("float", yamlFloat(v))
	case jinja.KindString:
		if v.IsSafe() {
			return nil, false // markupsafe.Markup is not a SafeRepresenter type
		}
		return scalar("str", v.AsString())
	case jinja.KindList, jinja.KindTuple:
		l := v.List()
		if n, ok := r.seen[l]; ok {
			return n, true
		}
		n := &yamlNode{kind: yamlSeq, tag: "seq"}
		if v.Kind() == jinja.KindList || len(l.Items) > 0 {
			r.seen[l] = n // ignore_aliases: only the empty tuple
		}
		for _, x := range l.Items {
			c, ok := r.represent(x)
			if !ok {
				return nil, false
			}
			n.items = append(n.items, c)
		}
		return n, true
	case jinja.KindDict:
		d := v.Dict()
		if n, ok := r.seen[d]; ok {
			return n, true
		}
		n := &yamlNode{kind: yamlMap, tag: "map"}
		r.seen[d] = n
		return n, r.mapping(n, d.Keys(), d.Values())
	case jinja.KindObject:
		switch o := v.Object().(type) {
		case *dtObj:
			if o.isDel {
				return nil, false // timedelta
			}
			// represent_date / represent_datetime: isoformat() / isoformat(' ')
			return scalar("timestamp", o.String())
		case *setObj:
			if n, ok := r.seen[o]; ok {
				return n, true
			}
			n := &yamlNode{kind: yamlMap, tag: "set"}
			r.seen[o] = n
			vals := make([]jinja.Value, len(o.items))
			for i := range vals {
				vals[i] = jinja.None()
			}
			return n, r.mapping(n, o.items, vals)
		}
	}
	return nil, false
}

// mapping is represent_mapping: items in dict order, or sorted when
// sort_keys; when Python's sorted() would raise TypeError (keys of types
// that do not compare, such as str and int, or None) the order is kept.
func (r *yamlRepresenter) mapping(n *yamlNode, keys, vals []jinja.Value) bool {
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	if r.sortKeys && len(keys) > 1 {
		class := func(k jinja.Value) int {
			switch k.Kind() {
			case jinja.KindString:
				return 1
			case jinja.KindInt, jinja.KindBool, jinja.KindFloat:
				return 2
			}
			return 0
		}
		c := class(keys[0])
		for _, k := range keys[1:] {
			if class(k) != c {
				c = 0
			}
		}
		switch c {
		case 1:
			sort.SliceStable(order, func(i, j int) bool { return keys[order[i]].AsString() < keys[order[j]].AsString() })
		case 2:
			sort.SliceStable(order, func(i, j int) bool { return numLess(keys[order[i]], keys[order[j]]) })
		}
	}
	for _, i := range order {
		k, ok := r.represent(keys[i])
		if !ok {
			return false
		}
		v, ok := r.represent(vals[i])
		if !ok {
			return false
		}
		n.items = append(n.items, k, v)
	}
	return true
}

func numLess(a, b jinja.Value) bool {
	if a.Kind() != jinja.KindFloat && b.Kind() != jinja.KindFloat {
		return a.AsInt() < b.AsInt()
	}
	return a.AsFloat() < b.AsFloat()
}

// yamlFloat is SafeRepresenter.represent_float: .nan, .inf, -.inf, else
// repr() lower-cased with ".0" put before an exponent that lacks a point
// (1e+20 is 1.0e+20).
func yamlFloat(v jinja.Value) string {
	f := v.AsFloat()
	switch {
	case f != f:
		return ".nan"
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	}
	s := strings.ToLower(v.Repr())
	if !strings.Contains(s, ".") && strings.Contains(s, "e") {
		s = strings.Replace(s, "e", ".0e", 1)
	}
	return s
}

// The YAML 1.1 implicit resolvers of yaml/resolver.py, in registration order.
var (
	yamlResolversOnce sync.Once
	yamlResolvers     []yamlResolver
)

type yamlResolver struct {
	tag string
	re  *regexp.Regexp
}

func resolveScalarTag(s string) string {
	yamlResolversOnce.Do(func() {
		for _, p := range [...][2]string{
			{"bool", `yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF`},
			{"float", `[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)`},
			{"int", `[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+`},
			{"merge", `<<`},
			{"null", `~|null|Null|NULL|`},
			{"timestamp", `[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?`},
			{"value", `=`},
			{"yaml", `!|&|\*`},
		} {
			yamlResolvers = append(yamlResolvers, yamlResolver{p[0], regexp.MustCompile(`^(?:` + p[1] + `)$`)})
		}
	})
	// Python's $ also matches before a final newline.
	t, cut := s, strings.TrimSuffix(s, "\n")
	for _, r := range yamlResolvers {
		if r.re.MatchString(t) || (cut != t && r.re.MatchString(cut)) {
			return r.tag
		}
	}
	return "str"
}

// safeDump serializes and emits one document.
func safeDump(root *yamlNode) string {
	// Serializer.anchor_node: a node reached a second time gets an anchor,
	// numbered in the order of those second visits.
	last := 0
	var anchor func(n *yamlNode)
	anchor = func(n *yamlNode) {
		n.anchorPass++
		if n.anchorPass > 1 {
			if n.anchor == "" {
				last++
				n.anchor = "id" + pad3(last)
			}
			return
		}
		for _, c := range n.items {
			anchor(c)
		}
	}
	anchor(root)
	e := yamlEmitter{indent: -1, whitespace: true, indention: true}
	e.node(root, true, false, false, false)
	// expect_document_end, then expect_document_start at StreamEndEvent.
	e.writeIndent()
	if e.openEnded {
		e.writeIndicator("...", true, false, false)
		e.writeIndent()
	}
	return e.out.String()
}

func pad3(i int) string {
	s := strconv.Itoa(i)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}

const yamlBestWidth = 80

// yamlEmitter holds the state of PyYAML's Emitter that safe_dump's events
// touch. indent -1 stands for None.
type yamlEmitter struct {
	out                   strings.Builder
	indent                int
	indents               []int
	flowLevel             int
	column                int
	whitespace, indention bool
	openEnded             bool
	rootCtx, simpleKeyCtx bool
}

func (e *yamlEmitter) increaseIndent(flow, indentless bool) {
	e.indents = append(e.indents, e.indent)
	if e.indent < 0 {
		if flow {
			e.indent = 2
		} else {
			e.indent = 0
		}
	} else if !indentless {
		e.indent += 2
	}
}

func (e *yamlEmitter) popIndent() {
	e.indent = e.indents[len(e.indents)-1]
	e.indents = e.indents[:len(e.indents)-1]
}

// node is expect_node followed by the states the node's events drive.
func (e *yamlEmitter) node(n *yamlNode, root, sequence, mapping, simpleKey bool) {
	e.rootCtx = root
	e.simpleKeyCtx = simpleKey
	if n.done { // AliasEvent
		e.writeIndicator("*"+n.anchor, true, false, false)
		return
	}
	n.done = true
	if n.anchor != "" {
		e.writeIndicator("&"+n.anchor, true, false, false)
	}
	if n.kind == yamlScalar {
		a := analyzeScalar(n.value)
		implicit0 := resolveScalarTag(n.value) == n.tag
		implicit1 := n.tag == "str"
		style := e.chooseStyle(a, implicit0)
		if !(style == 0 && implicit0 || style != 0 && implicit1) {
			e.writeIndicator("!!"+n.tag, true, false, false)
		}
		e.increaseIndent(true, false)
		split := !e.simpleKeyCtx
		switch style {
		case '"':
			e.writeDoubleQuoted([]rune(n.value), split)
		case '\'':
			e.writeSingleQuoted([]rune(n.value), split)
		default:
			e.writePlain([]rune(n.value), split)
		}
		e.popIndent()
		return
	}
	if n.tag == "set" {
		e.writeIndicator("!!set", true, false, false)
	}
	if e.flowLevel > 0 || len(n.items) == 0 {
		open, close := "[", "]"
		if n.kind == yamlMap {
			open, close = "{", "}"
		}
		e.writeIndicator(open, true, true, false)
		e.flowLevel++
		e.increaseIndent(true, false)
		e.popIndent()
		e.flowLevel--
		e.writeIndicator(close, false, false, false)
		return
	}
	if n.kind == yamlSeq {
		e.increaseIndent(false, mapping && !e.indention)
		for _, c := range n.items {
			e.writeIndent()
			e.writeIndicator("-", true, false, true)
			e.node(c, false, true, false, false)
		}
		e.popIndent()
		return
	}
	e.increaseIndent(false, false)
	for i := 0; i < len(n.items); i += 2 {
		k, v := n.items[i], n.items[i+1]
		e.writeIndent()
		if e.simpleKey(k) {
			e.node(k, false, false, true, true)
			e.writeIndicator(":", false, false, false)
			e.node(v, false, false, true, false)
		} else {
			e.writeIndicator("?", true, false, true)
			e.node(k, false, false, true, false)
			e.writeIndent()
			e.writeIndicator(":", true, false, true)
			e.node(v, false, false, true, false)
		}
	}
	e.popIndent()
}

// simpleKey is check_simple_key: anchor, tag ("!!str") and text shorter
// than 128 characters, and a one-line non-empty scalar, an alias or an empty
// collection.
func (e *yamlEmitter) simpleKey(n *yamlNode) bool {
	length := len(n.anchor)
	if n.done {
		return length < 128
	}
	length += 2 + len(n.tag)
	if n.kind != yamlScalar {
		return length < 128 && len(n.items) == 0
	}
	a := analyzeScalar(n.value)
	length += len([]rune(n.value))
	return length < 128 && !a.empty && !a.multiline
}

func (e *yamlEmitter) chooseStyle(a scalarAnalysis, implicit0 bool) byte {
	if implicit0 && !(e.simpleKeyCtx && (a.empty || a.multiline)) &&
		(e.flowLevel > 0 && a.allowFlowPlain || e.flowLevel == 0 && a.allowBlockPlain) {
		return 0
	}
	if a.allowSingleQuoted && !(e.simpleKeyCtx && a.multiline) {
		return '\''
	}
	return '"'
}

type scalarAnalysis struct {
	empty, multiline                bool
	allowFlowPlain, allowBlockPlain bool
	allowSingleQuoted               bool
}

func isYAMLBreak(r rune) bool { return r == '\n' || r == '\u0085' || r == '\u2028' || r == '\u2029' }

func isYAMLSpaceOrBreak(r rune) bool {
	return r == 0 || r == ' ' || r == '\t' || r == '\r' || isYAMLBreak(r)
}

// analyzeScalar is Emitter.analyze_scalar with allow_unicode=False.
func analyzeScalar(s string) scalarAnalysis {
	if s == "" {
		return scalarAnalysis{empty: true, allowBlockPlain: true, allowSingleQuoted: true}
	}
	text := []rune(s)
	var blockInd, flowInd, lineBreaks, special bool
	var leadingSpace, leadingBreak, trailingSpace, trailingBreak, breakSpace, spaceBreak bool
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		blockInd, flowInd = true, true
	}
	precededByWS := true
	followedByWS := len(text) == 1 || isYAMLSpaceOrBreak(text[1])
	prevSpace, prevBreak := false, false
	for i, ch := range text {
		if i == 0 {
			if strings.ContainsRune("#,[]{}&*!|>'\"%@`", ch) {
				flowInd, blockInd = true, true
			}
			if ch == '?' || ch == ':' {
				flowInd = true
				if followedByWS {
					blockInd = true
				}
			}
			if ch == '-' && followedByWS {
				flowInd, blockInd = true, true
			}
		} else {
			if strings.ContainsRune(",?[]{}", ch) {
				flowInd = true
			}
			if ch == ':' {
				flowInd = true
				if followedByWS {
					blockInd = true
				}
			}
			if ch == '#' && precededByWS {
				flowInd, blockInd = true, true
			}
		}
		if isYAMLBreak(ch) {
			lineBreaks = true
		}
		if !(ch == '\n' || ch >= 0x20 && ch <= 0x7e) {
			special = true // with allow_unicode=False every other character is
		}
		switch {
		case ch == ' ':
			if i == 0 {
				leadingSpace = true
			}
			if i == len(text)-1 {
				trailingSpace = true
			}
			if prevBreak {
				breakSpace = true
			}
			prevSpace, prevBreak = true, false
		case isYAMLBreak(ch):
			if i == 0 {
				leadingBreak = true
			}
			if i == len(text)-1 {
				trailingBreak = true
			}
			if prevSpace {
				spaceBreak = true
			}
			prevSpace, prevBreak = false, true
		default:
			prevSpace, prevBreak = false, false
		}
		precededByWS = isYAMLSpaceOrBreak(ch)
		followedByWS = i+2 >= len(text) || isYAMLSpaceOrBreak(text[i+2])
	}
	a := scalarAnalysis{multiline: lineBreaks, allowFlowPlain: true, allowBlockPlain: true, allowSingleQuoted: true}
	if leadingSpace || leadingBreak || trailingSpace || trailingBreak {
		a.allowFlowPlain, a.allowBlockPlain = false, false
	}
	if breakSpace {
		a.allowFlowPlain, a.allowBlockPlain, a.allowSingleQuoted = false, false, false
	}
	if spaceBreak || special {
		a.allowFlowPlain, a.allowBlockPlain, a.allowSingleQuoted = false, false, false
	}
	if lineBreaks {
		a.allowFlowPlain, a.allowBlockPlain = false, false
	}
	if flowInd {
		a.allowFlowPlain = false
	}
	if blockInd {
		a.allowBlockPlain = false
	}
	return a
}

func (e *yamlEmitter) write(s string) {
	e.column += len([]rune(s))
	e.out.WriteString(s)
}

func (e *yamlEmitter) writeIndicator(ind string, needWhitespace, whitespace, indention bool) {
	if !e.whitespace && needWhitespace {
		ind = " " + ind
	}
	e.whitespace = whitespace
	e.indention = e.indention && indention
	e.openEnded = false
	e.write(ind)
}

func (e *yamlEmitter) writeIndent() {
	indent := max(e.indent, 0)
	if !e.indention || e.column > indent || e.column == indent && !e.whitespace {
		e.writeLineBreak("\n")
	}
	if e.column < indent {
		e.whitespace = true
		e.write(strings.Repeat(" ", indent-e.column))
	}
}

func (e *yamlEmitter) writeLineBreak(br string) {
	e.whitespace = true
	e.indention = true
	e.column = 0
	e.out.WriteString(br)
}

// writeBreaks writes text[start:end], a run of line breaks: a leading "\n"
// is doubled (a single break folds to a space when read back).
func (e *yamlEmitter) writeBreaks(text []rune, start, end int) {
	if text[start] == '\n' {
		e.writeLineBreak("\n")
	}
	for _, br := range text[start:end] {
		e.writeLineBreak(string(br))
	}
	e.writeIndent()
}

func (e *yamlEmitter) writePlain(text []rune, split bool) {
	if e.rootCtx {
		e.openEnded = true
	}
	if len(text) == 0 {
		return
	}
	if !e.whitespace {
		e.write(" ")
	}
	e.whitespace, e.indention = false, false
	spaces, breaks := false, false
	start := 0
	for end := 0; end <= len(text); end++ {
		var ch rune = -1
		if end < len(text) {
			ch = text[end]
		}
		switch {
		case spaces:
			if ch != ' ' {
				if start+1 == end && e.column > yamlBestWidth && split {
					e.writeIndent()
					e.whitespace, e.indention = false, false
				} else {
					e.write(string(text[start:end]))
				}
				start = end
			}
		case breaks:
			if !isYAMLBreak(ch) {
				e.writeBreaks(text, start, end)
				e.whitespace, e.indention = false, false
				start = end
			}
		default:
			if ch < 0 || ch == ' ' || isYAMLBreak(ch) {
				e.write(string(text[start:end]))
				start = end
			}
		}
		if ch >= 0 {
			spaces = ch == ' '
			breaks = isYAMLBreak(ch)
		}
	}
}

func (e *yamlEmitter) writeSingleQuoted(text []rune, split bool) {
	e.writeIndicator("'", true, false, false)
	spaces, breaks := false, false
	start := 0
	for end := 0; end <= len(text); end++ {
		var ch rune = -1
		if end < len(text) {
			ch = text[end]
		}
		switch {
		case spaces:
			if ch != ' ' {
				if start+1 == end && e.column > yamlBestWidth && split && start != 0 && end != len(text) {
					e.writeIndent()
				} else {
					e.write(string(text[start:end]))
				}
				start = end
			}
		case breaks:
			if !isYAMLBreak(ch) {
				e.writeBreaks(text, start, end)
				start = end
			}
		default:
			if ch < 0 || ch == ' ' || isYAMLBreak(ch) || ch == '\'' {
				if start < end {
					e.write(string(text[start:end]))
					start = end
				}
			}
		}
		if ch == '\'' {
			e.write("''")
			start = end + 1
		}
		if ch >= 0 {
			spaces = ch == ' '
			breaks = isYAMLBreak(ch)
		}
	}
	e.writeIndicator("'", false, false, false)
}

var yamlEscapes = map[rune]string{
	0: `\0`, 7: `\a`, 8: `\b`, 9: `\t`, 10: `\n`, 11: `\v`, 12: `\f`, 13: `\r`, 27: `\e`,
	'"': `\"`, '\\': `\\`, 0x85: `\N`, 0xa0: `\_`, 0x2028: `\L`, 0x2029: `\P`,
}

func (e *yamlEmitter) writeDoubleQuoted(text []rune, split bool) {
	e.writeIndicator(`"`, true, false, false)
	start := 0
	for end := 0; end <= len(text); end++ {
		var ch rune = -1
		if end < len(text) {
			ch = text[end]
		}
		if ch < 0 || ch == '"' || ch == '\\' || ch < 0x20 || ch > 0x7e {
			if start < end {
				e.write(string(text[start:end]))
				start = end
			}
			if ch >= 0 {
				esc, ok := yamlEscapes[ch]
				switch {
				case ok:
				case ch <= 0xff:
					esc = `\x` + hex2(uint64(ch), 2)
				case ch <= 0xffff:
					esc = `\u` + hex2(uint64(ch), 4)
				default:
					esc = `\U` + hex2(uint64(ch), 8)
				}
				e.write(esc)
				start = end + 1
			}
		}
		if 0 < end && end < len(text)-1 && (ch == ' ' || start >= end) &&
			e.column+(end-start) > yamlBestWidth && split {
			data := `\`
			if start < end {
				data = string(text[start:end]) + data
				start = end
			}
			e.write(data)
			e.writeIndent()
			e.whitespace, e.indention = false, false
			if text[start] == ' ' {
				e.write(`\`)
			}
		}
	}
	e.writeIndicator(`"`, false, false, false)
}

func hex2(x uint64, width int) string {
	s := strings.ToUpper(strconv.FormatUint(x, 16))
	return strings.Repeat("0", max(width-len(s), 0)) + s
}
