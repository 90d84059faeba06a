package jinja

// The AST mirrors jinja2.nodes closely enough that evaluation order and
// scoping can follow Jinja's code generator. Every node keeps the byte offset
// of its first token so errors can report line and column.

// expr is an expression node.
type expr interface{ exprPos() int }

// stmt is a statement node.
type stmt interface{ stmtPos() int }

type pos int

func (p pos) exprPos() int { return int(p) }
func (p pos) stmtPos() int { return int(p) }

// Expressions.
type (
	constExpr struct {
		pos
		val Value
	}
	nameExpr struct {
		pos
		name string
	}
	listExpr struct {
		pos
		items []expr
		tuple bool
	}
	dictExpr struct {
		pos
		keys, vals []expr
	}
	getattrExpr struct {
		pos
		obj  expr
		attr string
	}
	getitemExpr struct {
		pos
		obj, key expr
	}
	sliceExpr struct {
		pos
		start, stop, step expr // nil when omitted
	}
	callArgs struct {
		args      []expr
		kwNames   []string
		kwVals    []expr
		dynArgs   expr
		dynKwargs expr
	}
	callExpr struct {
		pos
		fn expr
		callArgs
	}
	filterExpr struct {
		pos
		node expr // nil inside filter blocks and set blocks: the body is the input
		name string
		callArgs
	}
	testExpr struct {
		pos
		node expr
		name string
		callArgs
	}
	binExpr struct {
		pos
		op   string // + - * / // % ** ~ and or
		l, r expr
	}
	unaryExpr struct {
		pos
		op string // - + not
		x  expr
	}
	compareExpr struct {
		pos
		first expr
		ops   []string // == != < <= > >= in notin
		rest  []expr
	}
	condExpr struct {
		pos
		test, then, els expr // els may be nil
	}
	concatExpr struct {
		pos
		items []expr
	}
)

// Assignment targets: a name, a (nested) tuple of names, or ns.attr.
type (
	nsRefExpr struct {
		pos
		name, attr string
	}
)

// Statements.
type (
	dataStmt struct {
		pos
		text string
	}
	printStmt struct {
		pos
		x expr
	}
	ifStmt struct {
		pos
		test expr
		body []stmt
		els  []stmt // an elif is a nested ifStmt in els
	}
	forStmt struct {
		pos
		target    expr
		iter      expr
		cond      expr
		body, els []stmt
		recursive bool
	}
	setStmt struct {
		pos
		target expr
		value  expr
	}
	setBlockStmt struct {
		pos
		target  expr
		filters []*filterExpr
		body    []stmt
	}
	macroStmt struct {
		pos
		def *macroDef
	}
	callBlockStmt struct {
		pos
		call *callExpr
		def  *macroDef // the caller
	}
	filterBlockStmt struct {
		pos
		filters []*filterExpr
		body    []stmt
	}
	withStmt struct {
		pos
		targets []expr
		values  []expr
		body    []stmt
	}
	doStmt struct {
		pos
		x expr
	}
	breakStmt struct {
		pos
		cont bool
	}
	scopeStmt struct { // {% block %}, {% snapshot %}: body rendered in place
		pos
		body []stmt
	}
	unsupportedStmt struct { // include, import, extends: parsed, fail when run
		pos
		what string
	}
)

// macroDef is a parsed macro signature and body, shared by every call.
type macroDef struct {
	name         string
	params       []string
	defaults     []expr // aligned to the last len(defaults) params
	body         []stmt
	catchVarargs bool // the body reads varargs
	catchKwargs  bool // the body reads kwargs
	usesCaller   bool // the body reads caller
	pos          int
}
