package selector

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
)

func TestParseCriterion(t *testing.T) {
	cases := []struct {
		raw               string
		method, value     string
		args              []string
		at, parents, kids bool
		pDepth, cDepth    int
	}{
		{raw: "customers", method: "fqn", value: "customers", pDepth: -1, cDepth: -1},
		{raw: "+customers", method: "fqn", value: "customers", parents: true, pDepth: -1, cDepth: -1},
		{raw: "2+customers+3", method: "fqn", value: "customers", parents: true, kids: true, pDepth: 2, cDepth: 3},
		{raw: "@tag:nightly", method: "tag", value: "nightly", at: true, pDepth: -1, cDepth: -1},
		{raw: "config.materialized:table", method: "config", args: []string{"materialized"}, value: "table", pDepth: -1, cDepth: -1},
		{raw: "models/staging", method: "path", value: "models/staging", pDepth: -1, cDepth: -1},
		{raw: "orders.SQL", method: "file", value: "orders.SQL", pDepth: -1, cDepth: -1},
		{raw: "state:modified.body+", method: "state", value: "modified.body", kids: true, pDepth: -1, cDepth: -1},
		{raw: "source:raw.orders", method: "source", value: "raw.orders", pDepth: -1, cDepth: -1},
		{raw: "a-b:c", method: "fqn", value: "a-b:c", pDepth: -1, cDepth: -1}, // not [\w.]+ before ':'
	}
	for _, c := range cases {
		cr, err := ParseCriterion(c.raw)
		if err != nil {
			t.Errorf("%s: %v", c.raw, err)
			continue
		}
		if cr.Method != c.method || cr.Value != c.value || cr.ChildrensParents != c.at || cr.Parents != c.parents || cr.Children != c.kids ||
			cr.ParentsDepth != c.pDepth || cr.ChildrenDepth != c.cDepth || len(cr.Args) != len(c.args) {
			t.Errorf("%s: got %+v", c.raw, cr)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		args       []string
		code       string
		column     int
		suggestion string
		msg        string
	}{
		{[]string{"tagg:nightly"}, CodeUnknownMethod, 1, "tag", "unknown method 'tagg' at column 1"},
		{[]string{"fqn:a,+confgi.materialized:table"}, CodeUnknownMethod, 8, "config", "unknown method 'confgi' at column 8"},
		{[]string{"a b", "@x+"}, CodeBadSelector, 1, "", `invalid selector "@x+" at column 1: the "@" prefix and a "+" suffix are incompatible`},
		{[]string{"state:modifed"}, CodeBadValue, 7, "modified", "invalid state value 'modifed' at column 7"},
		{[]string{"resource_type:modle"}, CodeBadValue, 15, "model", "invalid resource_type value 'modle'"},
		{[]string{"test_type:generik"}, CodeBadValue, 11, "generic", "invalid test_type value 'generik'"},
		{[]string{"version:lastest"}, CodeBadValue, 9, "latest", "invalid version value 'lastest'"},
		{[]string{"source:a.b.c.d"}, CodeBadValue, 8, "", "invalid source selector value 'a.b.c.d'"},
		{[]string{"config:table"}, CodeBadValue, 1, "config.materialized", "the config method needs a key"},
	}
	for _, c := range cases {
		_, err := Parse(c.args)
		var de *diag.Error
		if !errors.As(err, &de) {
			t.Errorf("%v: want a *diag.Error, got %v", c.args, err)
			continue
		}
		if de.Code != c.code || de.Location.Column != c.column || de.Location.Suggestion != c.suggestion || !contains(de.Message, c.msg) {
			t.Errorf("%v: got code=%s column=%d suggestion=%q message=%q", c.args, de.Code, de.Location.Column, de.Location.Suggestion, de.Message)
		}
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || len(s) >= len(sub) && (s == sub || indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func TestFnmatch(t *testing.T) {
	cases := []struct {
		name, pat string
		want      bool
	}{
		{"nightly", "night*", true}, {"a/b", "*", true}, {"abc", "a?c", true}, {"abc", "a[bx]c", true},
		{"abc", "a[!b]c", false}, {"a[c", "a[c", true}, {"ABC", "abc", false}, {"", "*", true}, {"x", "", false},
	}
	for _, c := range cases {
		if got := fnmatch(c.name, c.pat); got != c.want {
			t.Errorf("fnmatch(%q, %q) = %v", c.name, c.pat, got)
		}
	}
	if !globPath("models/staging/stg.sql", "models/**/*.sql") || !globPath("models/staging", "models/staging/") || globPath("models/staging/x.sql", "models") {
		t.Error("globPath")
	}
}

func TestSelectErrorsCarryColumn(t *testing.T) {
	g := NewGraph(devShop().open(t, "dev"))
	_, err := Select(g, []string{"fct_orders state:modified"}, Options{})
	var de *diag.Error
	if !errors.As(err, &de) || de.Code != CodeNoState || de.Location.Column != 12 {
		t.Fatalf("got %v", err)
	}
	_, err = Select(g, []string{"result:error"}, Options{})
	if !errors.As(err, &de) || de.Code != CodeNoRunResults {
		t.Fatalf("got %v", err)
	}
	_, err = Select(g, []string{"x"}, Options{Indirect: "eagre"})
	if !errors.As(err, &de) || de.Location.Suggestion != "eager" {
		t.Fatalf("got %v", err)
	}
}

func TestResultMethod(t *testing.T) {
	g := NewGraph(devShop().open(t, "dev"))
	rr := []byte(`{"results":[{"unique_id":"seed.shop.raw_customers","status":"error"},{"unique_id":"model.shop.stg_orders","status":"success"}]}`)
	res, err := Select(g, []string{"result:error+"}, Options{RunResults: rr, IncludeEmpty: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range res.Nodes {
		got = append(got, n.UniqueID)
	}
	want := []string{fct, stgC, seed, relTest}
	if len(got) != len(want) {
		t.Fatalf("got %v want %v", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"+a", "2+b+3", "@c", "tag:x,config.m:y", "state:modified+", "a b", "", "+", "@+", "1+", "::", "a:b:c", "config.:x", "source:a.b.c.d", "\xff:x", "9999999999999999999999+a"} {
		f.Add(s)
	}
	// Every selection of the golden scenarios, and selections naming real
	// projects' nodes, tags, paths, packages and `selectors:` definitions.
	if golden, err := os.ReadFile("testdata/scenarios.golden"); err == nil {
		for _, line := range strings.Split(string(golden), "\n") {
			if sel, ok := strings.CutPrefix(line, "$ select "); ok {
				f.Add(sel)
			}
		}
	}
	for _, s := range corpus.Samples() {
		for _, sel := range s.Selectors {
			f.Add(sel)
		}
	}
	g := NewGraph(devShop().open(f, "dev"))
	st := stateShop().open(f, "prod")
	f.Fuzz(func(t *testing.T, s string) {
		ins, err := Parse([]string{s})
		if err != nil {
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("non-diag error %T", err)
			}
			return
		}
		_ = ins
		if _, err := Select(g, []string{s}, Options{State: st}); err != nil {
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("non-diag error %T: %v", err, err)
			}
		}
	})
}
