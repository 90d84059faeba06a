package jinja

import (
	"strconv"
	"strings"
)

// maxNesting bounds parser recursion so hostile input cannot overflow the Go
// stack (which would be a fatal error, not a recoverable panic).
const maxNesting = 200

// maxExprDepth bounds the height of an expression tree. Operator chains
// (a + b + c…, a or b or c…, x.a.b…, f()()…, x|f|g…, a if b else c if d…)
// are built by loops, not recursion, so maxNesting does not bound them, and
// every recursive walk of the tree (evaluation, walkNames, repr) would
// overflow the Go stack on a long enough chain: {{ 1+1+…+1 }} with a million
// terms was a fatal stack overflow. Real templates stay far below: 13 is the
// deepest expression among the corpus's 64 000 templates and macros.
const maxExprDepth = 200

// parser is a recursive-descent parser following jinja2.parser.Parser method
// by method, so precedence quirks (left-associative **, -2**2 == 4, filters
// binding tighter than unary minus's operand) match.
type parser struct {
	toks  []token
	i     int
	depth int
	err   *parseError
	// loops counts the for bodies being parsed: break and continue outside
	// one fail to compile in Jinja (Python's "'break' outside loop").
	loops int
	// heights caches the height of the nodes operator chains built (see
	// wrap), so measuring a tree never walks down a chain again.
	heights map[expr]int
}

type parseError struct {
	msg string
	pos int
}

// bail aborts parsing; recovered in parseTemplate.
func (p *parser) fail(pos int, format string, args ...any) {
	panic(&parseError{msg: sprintf(format, args...), pos: pos})
}

func (p *parser) cur() token { return p.toks[p.i] }

func (p *parser) look() token {
	if p.i+1 < len(p.toks) {
		return p.toks[p.i+1]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

func (p *parser) isOp(op string) bool {
	t := p.toks[p.i]
	return t.kind == tOp && t.val == op
}

func (p *parser) isName(name string) bool {
	t := p.toks[p.i]
	return t.kind == tName && t.val == name
}

func (p *parser) skipOp(op string) bool {
	if p.isOp(op) {
		p.next()
		return true
	}
	return false
}

func (p *parser) skipName(name string) bool {
	if p.isName(name) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expectOp(op string) token {
	if !p.isOp(op) {
		p.fail(p.cur().pos, "expected token '%s', got %s", op, p.cur())
	}
	return p.next()
}

func (p *parser) expectKind(k tokKind) token {
	if p.cur().kind != k {
		p.fail(p.cur().pos, "expected token %s, got %s", tokNames[k], p.cur())
	}
	return p.next()
}

func (p *parser) expectName(name string) token {
	if !p.isName(name) {
		p.fail(p.cur().pos, "expected token '%s', got %s", name, p.cur())
	}
	return p.next()
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxNesting {
		p.fail(p.cur().pos, "template nesting too deep (limit %d)", maxNesting)
	}
}

func (p *parser) leave() { p.depth-- }

// wrap records the height of e, a node an operator-chain loop built on top
// of earlier nodes, and fails past maxExprDepth.
func (p *parser) wrap(e expr) expr {
	h := p.height(e)
	if h > maxExprDepth {
		p.fail(e.exprPos(), "expression nested too deeply (limit %d)", maxExprDepth)
	}
	if p.heights == nil {
		p.heights = map[expr]int{}
	}
	p.heights[e] = h
	return e
}

// height is the height of e's tree. Chain nodes answer from the cache; the
// other nodes nest only through recursive parsing, which maxNesting bounds,
// so the recursion here is bounded too.
func (p *parser) height(e expr) int {
	if e == nil {
		return 0
	}
	if h, ok := p.heights[e]; ok {
		return h
	}
	h := 0
	sub := func(c expr) {
		if x := p.height(c); x > h {
			h = x
		}
	}
	subs := func(cs []expr) {
		for _, c := range cs {
			sub(c)
		}
	}
	args := func(ca *callArgs) {
		subs(ca.args)
		subs(ca.kwVals)
		sub(ca.dynArgs)
		sub(ca.dynKwargs)
	}
	switch x := e.(type) {
	case *listExpr:
		subs(x.items)
	case *dictExpr:
		subs(x.keys)
		subs(x.vals)
	case *getattrExpr:
		sub(x.obj)
	case *getitemExpr:
		sub(x.obj)
		sub(x.key)
	case *sliceExpr:
		sub(x.start)
		sub(x.stop)
		sub(x.step)
	case *callExpr:
		sub(x.fn)
		args(&x.callArgs)
	case *filterExpr:
		sub(x.node)
		args(&x.callArgs)
	case *testExpr:
		sub(x.node)
		args(&x.callArgs)
	case *binExpr:
		sub(x.l)
		sub(x.r)
	case *unaryExpr:
		sub(x.x)
	case *compareExpr:
		sub(x.first)
		subs(x.rest)
	case *condExpr:
		sub(x.test)
		sub(x.then)
		sub(x.els)
	case *concatExpr:
		subs(x.items)
	}
	return h + 1
}

// parseTemplate parses the whole token stream.
func parseTemplate(toks []token) (body []stmt, perr *parseError) {
	p := &parser{toks: toks}
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(*parseError); ok {
				body, perr = nil, e
				return
			}
			panic(r)
		}
	}()
	body = p.subparse(nil)
	return body, nil
}

// subparse reads statements until a block tag named in end is found (left
// unconsumed after its name) or the end of the template.
func (p *parser) subparse(end []string) []stmt {
	var body []stmt
	for {
		t := p.cur()
		switch t.kind {
		case tEOF:
			if end != nil {
				p.fail(t.pos, "Unexpected end of template. Jinja was looking for the following tags: %s.", quoteTags(end))
			}
			return body
		case tData:
			p.next()
			body = append(body, &dataStmt{pos(t.pos), t.val})
		case tVarBegin:
			p.next()
			x := p.parseTuple(false, true, nil, false)
			p.expectKind(tVarEnd)
			body = append(body, &printStmt{pos(t.pos), x})
		case tBlockBegin:
			p.next()
			nt := p.cur()
			if nt.kind == tName {
				for _, e := range end {
					if nt.val == e {
						return body
					}
				}
			}
			s := p.parseStatement()
			if s != nil {
				body = append(body, s)
			}
			p.expectKind(tBlockEnd)
		default:
			p.fail(t.pos, "unexpected %s", t)
		}
	}
}

func quoteTags(tags []string) string {
	q := make([]string, len(tags))
	for i, t := range tags {
		q[i] = "'" + t + "'"
	}
	return strings.Join(q, " or ")
}

// parseStatements expects the end of the current tag, then a body up to one
// of end; with drop the end tag's name is consumed too.
func (p *parser) parseStatements(end []string, drop bool) []stmt {
	p.skipOp(":")
	p.expectKind(tBlockEnd)
	p.enter()
	body := p.subparse(end)
	p.leave()
	if drop {
		p.next()
	}
	return body
}

func (p *parser) parseStatement() stmt {
	t := p.cur()
	if t.kind != tName {
		p.fail(t.pos, "tag name expected")
	}
	switch t.val {
	case "if":
		return p.parseIf()
	case "for":
		return p.parseFor()
	case "set":
		return p.parseSet()
	case "macro":
		p.next()
		name := p.expectKind(tName)
		def := &macroDef{name: name.val, pos: t.pos}
		p.parseSignature(def)
		def.body = p.macroBody("endmacro")
		finishMacro(def)
		return &macroStmt{pos(t.pos), def}
	case "call":
		return p.parseCallBlock()
	case "filter":
		p.next()
		filters := p.parseFilterChain(nil, true)
		body := p.parseStatements([]string{"endfilter"}, true)
		return &filterBlockStmt{pos(t.pos), filters, body}
	case "with":
		return p.parseWith()
	case "do":
		p.next()
		return &doStmt{pos(t.pos), p.parseTuple(false, true, nil, false)}
	case "break", "continue":
		if p.loops == 0 {
			p.fail(t.pos, "'%s' outside loop", t.val)
		}
		p.next()
		return &breakStmt{pos(t.pos), t.val == "continue"}
	case "block":
		p.next()
		p.expectKind(tName)
		p.skipName("scoped")
		p.skipName("required")
		body := p.parseStatements([]string{"endblock"}, true)
		if p.cur().kind == tName {
			p.next()
		}
		return &scopeStmt{pos(t.pos), body}
	case "extends", "include", "import", "from":
		p.next()
		for p.cur().kind != tBlockEnd && p.cur().kind != tEOF {
			p.next()
		}
		return &unsupportedStmt{pos(t.pos), t.val}
	case "materialization":
		return p.parseMaterialization()
	case "test":
		p.next()
		name := p.expectKind(tName)
		def := &macroDef{name: "test_" + name.val, pos: t.pos}
		p.parseSignature(def)
		def.body = p.macroBody("endtest")
		finishMacro(def)
		return &macroStmt{pos(t.pos), def}
	case "docs":
		p.next()
		name := p.expectKind(tName)
		def := &macroDef{name: "docs_" + name.val, pos: t.pos}
		def.body = p.macroBody("enddocs")
		finishMacro(def)
		return &macroStmt{pos(t.pos), def}
	case "snapshot":
		p.next()
		p.expectKind(tName)
		body := p.parseStatements([]string{"endsnapshot"}, true)
		return &scopeStmt{pos(t.pos), body}
	}
	p.fail(t.pos, "Encountered unknown tag '%s'.", t.val)
	return nil
}

func (p *parser) parseIf() stmt {
	first := p.next()
	root := &ifStmt{pos: pos(first.pos)}
	node := root
	for {
		node.test = p.parseTuple(false, false, nil, false)
		node.body = p.parseStatements([]string{"elif", "else", "endif"}, false)
		t := p.next()
		if t.val == "elif" {
			n := &ifStmt{pos: pos(t.pos)}
			node.els = []stmt{n}
			node = n
			continue
		}
		if t.val == "else" {
			node.els = p.parseStatements([]string{"endif"}, true)
		}
		return root
	}
}

func (p *parser) parseFor() stmt {
	first := p.next()
	f := &forStmt{pos: pos(first.pos)}
	f.target = p.parseAssignTarget(true, false, []string{"in"}, false)
	p.expectName("in")
	f.iter = p.parseTuple(false, false, []string{"recursive"}, false)
	if p.skipName("if") {
		f.cond = p.parseExpression(true)
	}
	f.recursive = p.skipName("recursive")
	p.loops++
	f.body = p.parseStatements([]string{"endfor", "else"}, false)
	p.loops--
	if p.next().val == "else" {
		f.els = p.parseStatements([]string{"endfor"}, true)
	}
	return f
}

func (p *parser) parseSet() stmt {
	first := p.next()
	target := p.parseAssignTarget(true, false, nil, true)
	if p.skipOp("=") {
		return &setStmt{pos(first.pos), target, p.parseTuple(false, true, nil, false)}
	}
	filters := p.parseFilterChain(nil, false)
	body := p.parseStatements([]string{"endset"}, true)
	return &setBlockStmt{pos(first.pos), target, filters, body}
}

func (p *parser) parseCallBlock() stmt {
	first := p.next()
	def := &macroDef{name: "caller", pos: first.pos}
	if p.isOp("(") {
		p.parseSignature(def)
	}
	call, ok := p.parseExpression(true).(*callExpr)
	if !ok {
		p.fail(first.pos, "expected call")
	}
	def.body = p.macroBody("endcall")
	finishMacro(def)
	return &callBlockStmt{pos(first.pos), call, def}
}

func (p *parser) parseWith() stmt {
	first := p.next()
	w := &withStmt{pos: pos(first.pos)}
	for p.cur().kind != tBlockEnd {
		if len(w.targets) > 0 {
			p.expectOp(",")
		}
		w.targets = append(w.targets, p.parseAssignTarget(true, false, nil, false))
		p.expectOp("=")
		w.values = append(w.values, p.parseExpression(true))
	}
	w.body = p.parseStatements([]string{"endwith"}, true)
	return w
}

// parseMaterialization follows dbt's MaterializationExtension: the macro is
// named materialization_<name>_<adapter>.
func (p *parser) parseMaterialization() stmt {
	first := p.next()
	name := p.expectKind(tName).val
	adapter := "default"
	for p.skipOp(",") {
		t := p.expectKind(tName)
		switch t.val {
		case "default":
		case "adapter":
			p.expectOp("=")
			v := p.parseExpression(true)
			c, ok := v.(*constExpr)
			if !ok || c.val.kind != KindString {
				p.fail(t.pos, "materialization adapter must be a string")
			}
			adapter = c.val.s
		case "supported_languages":
			p.expectOp("=")
			p.parseExpression(true)
		default:
			p.fail(t.pos, "materialization '%s' received unknown argument '%s'", name, t.val)
		}
	}
	def := &macroDef{name: "materialization_" + name + "_" + adapter, pos: first.pos}
	def.body = p.macroBody("endmaterialization")
	finishMacro(def)
	return &macroStmt{pos(first.pos), def}
}

// macroBody parses a macro-like body; loops outside it do not count, as a
// macro compiles to its own Python function.
func (p *parser) macroBody(end string) []stmt {
	saved := p.loops
	p.loops = 0
	body := p.parseStatements([]string{end}, true)
	p.loops = saved
	return body
}

func (p *parser) parseSignature(def *macroDef) {
	p.expectOp("(")
	for !p.isOp(")") {
		if len(def.params) > 0 {
			p.expectOp(",")
		}
		name := p.expectKind(tName)
		if p.skipOp("=") {
			def.defaults = append(def.defaults, p.parseExpression(true))
		} else if len(def.defaults) > 0 {
			p.fail(name.pos, "non-default argument follows default argument")
		}
		def.params = append(def.params, name.val)
	}
	p.expectOp(")")
}

// parseAssignTarget parses a for/set/with target.
func (p *parser) parseAssignTarget(withTuple, nameOnly bool, extraEnd []string, withNamespace bool) expr {
	t := p.cur()
	if nameOnly {
		p.expectKind(tName)
		return &nameExpr{pos(t.pos), t.val}
	}
	if withNamespace && t.kind == tName && p.look().kind == tOp && p.look().val == "." {
		p.next()
		p.next()
		attr := p.expectKind(tName)
		return &nsRefExpr{pos(t.pos), t.val, attr.val}
	}
	var target expr
	if withTuple {
		target = p.parseTuple(true, true, extraEnd, false)
	} else {
		target = p.parsePrimary()
	}
	if !canAssign(target) {
		p.fail(t.pos, "can't assign to %s", describeExpr(target))
	}
	return target
}

func canAssign(e expr) bool {
	switch x := e.(type) {
	case *nameExpr:
		switch x.name {
		case "true", "false", "none", "True", "False", "None":
			return false
		}
		return true
	case *listExpr:
		if !x.tuple {
			return false
		}
		for _, it := range x.items {
			if !canAssign(it) {
				return false
			}
		}
		return true
	}
	return false
}

func describeExpr(e expr) string {
	switch e.(type) {
	case *constExpr:
		return "'Const'"
	case *listExpr:
		return "'List'"
	}
	return "expression"
}

// parseTuple parses comma-separated expressions; a single one without a
// trailing comma is returned as is.
func (p *parser) parseTuple(simplified, withCondExpr bool, extraEnd []string, explicitParens bool) expr {
	start := p.cur().pos
	var items []expr
	isTuple := false
	for {
		if len(items) > 0 {
			p.expectOp(",")
		}
		if p.isTupleEnd(extraEnd) {
			break
		}
		if simplified {
			items = append(items, p.parsePrimary())
		} else {
			items = append(items, p.parseExpression(withCondExpr))
		}
		if p.isOp(",") {
			isTuple = true
		} else {
			break
		}
	}
	if !isTuple {
		if len(items) > 0 {
			return items[0]
		}
		if !explicitParens {
			p.fail(p.cur().pos, "Expected an expression, got %s", p.cur())
		}
	}
	return &listExpr{pos(start), items, true}
}

func (p *parser) isTupleEnd(extraEnd []string) bool {
	t := p.cur()
	if t.kind == tVarEnd || t.kind == tBlockEnd || (t.kind == tOp && t.val == ")") {
		return true
	}
	if t.kind == tName {
		for _, e := range extraEnd {
			if t.val == e {
				return true
			}
		}
	}
	return false
}

func (p *parser) parseExpression(withCondExpr bool) expr {
	p.enter()
	defer p.leave()
	if withCondExpr {
		return p.parseCondExpr()
	}
	return p.parseOr()
}

func (p *parser) parseCondExpr() expr {
	start := p.cur().pos
	e := p.parseOr()
	for p.skipName("if") {
		test := p.parseOr()
		var els expr
		if p.skipName("else") {
			p.enter() // a if b else c if d else …: recursion, bounded like nesting
			els = p.parseCondExpr()
			p.leave()
		}
		e = p.wrap(&condExpr{pos(start), test, e, els})
	}
	return e
}

func (p *parser) parseOr() expr {
	start := p.cur().pos
	l := p.parseAnd()
	for p.skipName("or") {
		l = p.wrap(&binExpr{pos(start), "or", l, p.parseAnd()})
	}
	return l
}

func (p *parser) parseAnd() expr {
	start := p.cur().pos
	l := p.parseNot()
	for p.skipName("and") {
		l = p.wrap(&binExpr{pos(start), "and", l, p.parseNot()})
	}
	return l
}

func (p *parser) parseNot() expr {
	if p.isName("not") {
		t := p.next()
		p.enter()
		defer p.leave()
		return &unaryExpr{pos(t.pos), "not", p.parseNot()}
	}
	return p.parseCompare()
}

func (p *parser) parseCompare() expr {
	start := p.cur().pos
	first := p.parseMath1()
	var ops []string
	var rest []expr
	for {
		t := p.cur()
		if t.kind == tOp && (t.val == "==" || t.val == "!=" || t.val == "<" || t.val == "<=" || t.val == ">" || t.val == ">=") {
			p.next()
			ops = append(ops, t.val)
		} else if p.skipName("in") {
			ops = append(ops, "in")
		} else if p.isName("not") && p.look().kind == tName && p.look().val == "in" {
			p.next()
			p.next()
			ops = append(ops, "notin")
		} else {
			break
		}
		rest = append(rest, p.parseMath1())
	}
	if ops == nil {
		return first
	}
	return &compareExpr{pos(start), first, ops, rest}
}

func (p *parser) parseMath1() expr {
	start := p.cur().pos
	l := p.parseConcat()
	for p.isOp("+") || p.isOp("-") {
		op := p.next().val
		l = p.wrap(&binExpr{pos(start), op, l, p.parseConcat()})
	}
	return l
}

func (p *parser) parseConcat() expr {
	start := p.cur().pos
	items := []expr{p.parseMath2()}
	for p.skipOp("~") {
		items = append(items, p.parseMath2())
	}
	if len(items) == 1 {
		return items[0]
	}
	return &concatExpr{pos(start), items}
}

func (p *parser) parseMath2() expr {
	start := p.cur().pos
	l := p.parsePow()
	for p.isOp("*") || p.isOp("/") || p.isOp("//") || p.isOp("%") {
		op := p.next().val
		l = p.wrap(&binExpr{pos(start), op, l, p.parsePow()})
	}
	return l
}

func (p *parser) parsePow() expr {
	start := p.cur().pos
	l := p.parseUnary(true)
	for p.skipOp("**") {
		l = p.wrap(&binExpr{pos(start), "**", l, p.parseUnary(true)})
	}
	return l
}

func (p *parser) parseUnary(withFilter bool) expr {
	t := p.cur()
	var node expr
	p.enter()
	defer p.leave()
	if t.kind == tOp && (t.val == "-" || t.val == "+") {
		p.next()
		node = &unaryExpr{pos(t.pos), t.val, p.parseUnary(false)}
	} else {
		node = p.parsePrimary()
	}
	node = p.parsePostfix(node)
	if withFilter {
		node = p.parseFilterExpr(node)
	}
	return node
}

func (p *parser) parsePrimary() expr {
	t := p.cur()
	switch t.kind {
	case tName:
		p.next()
		switch t.val {
		case "true", "True":
			return &constExpr{pos(t.pos), Bool(true)}
		case "false", "False":
			return &constExpr{pos(t.pos), Bool(false)}
		case "none", "None":
			return &constExpr{pos(t.pos), None()}
		}
		return &nameExpr{pos(t.pos), t.val}
	case tString:
		p.next()
		s := t.val
		for p.cur().kind == tString {
			s += p.next().val
		}
		return &constExpr{pos(t.pos), Str(s)}
	case tInt:
		p.next()
		return &constExpr{pos(t.pos), p.parseInt(t)}
	case tFloat:
		p.next()
		f, err := strconv.ParseFloat(strings.ReplaceAll(t.val, "_", ""), 64)
		if err != nil && !strings.Contains(err.Error(), "range") {
			p.fail(t.pos, "invalid float literal %s", t.val)
		}
		return &constExpr{pos(t.pos), Float(f)}
	case tOp:
		switch t.val {
		case "(":
			p.next()
			p.enter()
			e := p.parseTuple(false, true, nil, true)
			p.leave()
			p.expectOp(")")
			return e
		case "[":
			p.next()
			p.enter()
			defer p.leave()
			var items []expr
			for !p.isOp("]") {
				if len(items) > 0 {
					p.expectOp(",")
				}
				if p.isOp("]") {
					break
				}
				items = append(items, p.parseExpression(true))
			}
			p.expectOp("]")
			return &listExpr{pos(t.pos), items, false}
		case "{":
			p.next()
			p.enter()
			defer p.leave()
			d := &dictExpr{pos: pos(t.pos)}
			for !p.isOp("}") {
				if len(d.keys) > 0 {
					p.expectOp(",")
				}
				if p.isOp("}") {
					break
				}
				d.keys = append(d.keys, p.parseExpression(true))
				p.expectOp(":")
				d.vals = append(d.vals, p.parseExpression(true))
			}
			p.expectOp("}")
			return d
		}
	}
	p.fail(t.pos, "unexpected %s", t)
	return nil
}

func (p *parser) parseInt(t token) Value {
	s := strings.ReplaceAll(t.val, "_", "")
	base := 10
	if len(s) > 1 && s[0] == '0' {
		switch s[1] {
		case 'x', 'X':
			base, s = 16, s[2:]
		case 'o', 'O':
			base, s = 8, s[2:]
		case 'b', 'B':
			base, s = 2, s[2:]
		}
	}
	n, err := strconv.ParseInt(s, base, 64)
	if err != nil {
		if strings.Contains(err.Error(), "range") {
			f, _ := strconv.ParseFloat(s, 64)
			return Float(f)
		}
		p.fail(t.pos, "invalid integer literal %s", t.val)
	}
	return Int(n)
}

func (p *parser) parsePostfix(node expr) expr {
	for {
		switch {
		case p.isOp(".") || p.isOp("["):
			node = p.wrap(p.parseSubscript(node))
		case p.isOp("("):
			node = p.wrap(p.parseCall(node))
		default:
			return node
		}
	}
}

func (p *parser) parseFilterExpr(node expr) expr {
	for {
		switch {
		case p.isOp("|"):
			fs := p.parseFilterChain(node, false)
			node = fs[len(fs)-1]
		case p.isName("is"):
			node = p.wrap(p.parseTest(node))
		case p.isOp("("):
			node = p.wrap(p.parseCall(node))
		default:
			return node
		}
	}
}

func (p *parser) parseSubscript(node expr) expr {
	t := p.next()
	if t.val == "." {
		a := p.next()
		switch a.kind {
		case tName:
			return &getattrExpr{pos(node.exprPos()), node, a.val}
		case tInt:
			return &getitemExpr{pos(t.pos), node, &constExpr{pos(a.pos), p.parseInt(a)}}
		}
		p.fail(a.pos, "expected name or number")
	}
	var args []expr
	for !p.isOp("]") {
		if len(args) > 0 {
			p.expectOp(",")
		}
		args = append(args, p.parseSubscribed())
	}
	p.expectOp("]")
	if len(args) == 1 {
		return &getitemExpr{pos(t.pos), node, args[0]}
	}
	return &getitemExpr{pos(t.pos), node, &listExpr{pos(t.pos), args, true}}
}

func (p *parser) parseSubscribed() expr {
	start := p.cur().pos
	var args []expr
	if p.isOp(":") {
		p.next()
		args = []expr{nil}
	} else {
		e := p.parseExpression(true)
		if !p.isOp(":") {
			return e
		}
		p.next()
		args = []expr{e}
	}
	if p.isOp(":") || p.isOp("]") || p.isOp(",") {
		args = append(args, nil)
	} else {
		args = append(args, p.parseExpression(true))
	}
	if p.skipOp(":") {
		if p.isOp("]") || p.isOp(",") {
			args = append(args, nil)
		} else {
			args = append(args, p.parseExpression(true))
		}
	} else {
		args = append(args, nil)
	}
	return &sliceExpr{pos(start), args[0], args[1], args[2]}
}

func (p *parser) parseCallArgs() callArgs {
	open := p.expectOp("(")
	var ca callArgs
	requireComma := false
	for !p.isOp(")") {
		if requireComma {
			p.expectOp(",")
			if p.isOp(")") {
				break
			}
		}
		switch {
		case p.isOp("*"):
			if ca.dynArgs != nil || ca.dynKwargs != nil {
				p.fail(open.pos, "invalid syntax for function call expression")
			}
			p.next()
			ca.dynArgs = p.parseExpression(true)
		case p.isOp("**"):
			if ca.dynKwargs != nil {
				p.fail(open.pos, "invalid syntax for function call expression")
			}
			p.next()
			ca.dynKwargs = p.parseExpression(true)
		case p.cur().kind == tName && p.look().kind == tOp && p.look().val == "=":
			if ca.dynKwargs != nil {
				p.fail(open.pos, "invalid syntax for function call expression")
			}
			name := p.next().val
			p.next()
			ca.kwNames = append(ca.kwNames, name)
			ca.kwVals = append(ca.kwVals, p.parseExpression(true))
		default:
			if ca.dynArgs != nil || ca.dynKwargs != nil || len(ca.kwNames) > 0 {
				p.fail(open.pos, "invalid syntax for function call expression")
			}
			ca.args = append(ca.args, p.parseExpression(true))
		}
		requireComma = true
	}
	p.expectOp(")")
	return ca
}

func (p *parser) parseCall(node expr) expr {
	p.enter()
	defer p.leave()
	return &callExpr{pos(node.exprPos()), node, p.parseCallArgs()}
}

// parseFilterChain parses "|f(a)|g" (or "f(a)|g" when inline) and returns
// the filters in application order, each taking the previous as its input.
func (p *parser) parseFilterChain(node expr, inline bool) []*filterExpr {
	var out []*filterExpr
	for p.isOp("|") || inline {
		if !inline {
			p.next()
		}
		inline = false
		t := p.expectKind(tName)
		name := t.val
		for p.skipOp(".") {
			name += "." + p.expectKind(tName).val
		}
		f := &filterExpr{pos: pos(t.pos), node: node, name: name}
		if p.isOp("(") {
			p.enter()
			f.callArgs = p.parseCallArgs()
			p.leave()
		}
		p.wrap(f)
		out = append(out, f)
		node = f
	}
	return out
}

func (p *parser) parseTest(node expr) expr {
	t := p.next()
	negated := p.skipName("not")
	name := p.expectKind(tName).val
	for p.skipOp(".") {
		name += "." + p.expectKind(tName).val
	}
	te := &testExpr{pos: pos(t.pos), node: node, name: name}
	c := p.cur()
	switch {
	case p.isOp("("):
		p.enter()
		te.callArgs = p.parseCallArgs()
		p.leave()
	case (c.kind == tName || c.kind == tString || c.kind == tInt || c.kind == tFloat || p.isOp("[") || p.isOp("{")) &&
		!(c.kind == tName && (c.val == "else" || c.val == "or" || c.val == "and")):
		if p.isName("is") {
			p.fail(c.pos, "You cannot chain multiple tests with is")
		}
		arg := p.parsePostfix(p.parsePrimary())
		te.args = []expr{arg}
	}
	if negated {
		return &unaryExpr{pos(t.pos), "not", te}
	}
	return te
}

// finishMacro records which of the implicit names (varargs, kwargs, caller)
// the body reads, as Jinja's code generator does: a macro that never reads
// varargs rejects extra positional arguments.
func finishMacro(def *macroDef) {
	for _, p := range def.params {
		if p == "caller" {
			// An explicit caller parameter is filled like any other.
			def.usesCaller = false
		}
	}
	walkNames(def.body, func(name string) {
		switch name {
		case "varargs":
			def.catchVarargs = true
		case "kwargs":
			def.catchKwargs = true
		case "caller":
			def.usesCaller = true
		}
	})
	for _, p := range def.params {
		switch p {
		case "caller":
			def.usesCaller = false
		case "varargs":
			def.catchVarargs = false
		case "kwargs":
			def.catchKwargs = false
		}
	}
	for _, d := range def.defaults {
		walkExprNames(d, func(name string) {
			if name == "caller" {
				def.usesCaller = true
			}
		})
	}
}
