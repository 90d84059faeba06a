package jinja

import "fmt"

func sprintf(format string, args ...any) string {
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}

// walkNames calls f for every name read in body, nested macros included, as
// jinja2.compiler.find_undeclared does when deciding whether a macro reads
// varargs, kwargs or caller.
func walkNames(body []stmt, f func(string)) {
	for _, s := range body {
		walkStmt(s, f)
	}
}

func walkStmt(s stmt, f func(string)) {
	switch x := s.(type) {
	case *printStmt:
		walkExprNames(x.x, f)
	case *ifStmt:
		walkExprNames(x.test, f)
		walkNames(x.body, f)
		walkNames(x.els, f)
	case *forStmt:
		walkExprNames(x.iter, f)
		walkExprNames(x.cond, f)
		walkNames(x.body, f)
		walkNames(x.els, f)
	case *setStmt:
		walkExprNames(x.value, f)
	case *setBlockStmt:
		for _, fl := range x.filters {
			walkArgs(&fl.callArgs, f)
		}
		walkNames(x.body, f)
	case *macroStmt:
		for _, d := range x.def.defaults {
			walkExprNames(d, f)
		}
		walkNames(x.def.body, f)
	case *callBlockStmt:
		walkExprNames(x.call, f)
		for _, d := range x.def.defaults {
			walkExprNames(d, f)
		}
		walkNames(x.def.body, f)
	case *filterBlockStmt:
		for _, fl := range x.filters {
			walkArgs(&fl.callArgs, f)
		}
		walkNames(x.body, f)
	case *withStmt:
		for _, v := range x.values {
			walkExprNames(v, f)
		}
		walkNames(x.body, f)
	case *doStmt:
		walkExprNames(x.x, f)
	case *scopeStmt:
		walkNames(x.body, f)
	}
}

func walkArgs(ca *callArgs, f func(string)) {
	for _, a := range ca.args {
		walkExprNames(a, f)
	}
	for _, a := range ca.kwVals {
		walkExprNames(a, f)
	}
	walkExprNames(ca.dynArgs, f)
	walkExprNames(ca.dynKwargs, f)
}

func walkExprNames(e expr, f func(string)) {
	switch x := e.(type) {
	case nil:
	case *nameExpr:
		f(x.name)
	case *listExpr:
		for _, it := range x.items {
			walkExprNames(it, f)
		}
	case *dictExpr:
		for i := range x.keys {
			walkExprNames(x.keys[i], f)
			walkExprNames(x.vals[i], f)
		}
	case *getattrExpr:
		walkExprNames(x.obj, f)
	case *getitemExpr:
		walkExprNames(x.obj, f)
		walkExprNames(x.key, f)
	case *sliceExpr:
		walkExprNames(x.start, f)
		walkExprNames(x.stop, f)
		walkExprNames(x.step, f)
	case *callExpr:
		walkExprNames(x.fn, f)
		walkArgs(&x.callArgs, f)
	case *filterExpr:
		walkExprNames(x.node, f)
		walkArgs(&x.callArgs, f)
	case *testExpr:
		walkExprNames(x.node, f)
		walkArgs(&x.callArgs, f)
	case *binExpr:
		walkExprNames(x.l, f)
		walkExprNames(x.r, f)
	case *unaryExpr:
		walkExprNames(x.x, f)
	case *compareExpr:
		walkExprNames(x.first, f)
		for _, r := range x.rest {
			walkExprNames(r, f)
		}
	case *condExpr:
		walkExprNames(x.test, f)
		walkExprNames(x.then, f)
		walkExprNames(x.els, f)
	case *concatExpr:
		for _, it := range x.items {
			walkExprNames(it, f)
		}
	}
}
