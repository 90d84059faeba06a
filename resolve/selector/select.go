// Package selector implements dbt's node selection (spec §4): the --select /
// --exclude grammar (unions, intersections, graph operators +, N+, +N, @),
// the selection methods (fqn, tag, path, file, package, config.*, state:,
// result:, …), indirect selection of tests (eager, cautious, buildable,
// empty) and the state: comparison between the current manifest and a
// comparison (--state) manifest, following dbt-core's selector_methods.py
// and the same_* methods of contracts/graph/nodes.py.
//
// Build a Graph once per manifest with NewGraph (one scan over the entries'
// top-level keys) and call Select as often as needed; the comparison against
// a state manifest is cached on the Graph too.
package selector

import (
	"sort"
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
)

// Indirect selection modes (--indirect-selection).
const (
	IndirectEager     = "eager"
	IndirectCautious  = "cautious"
	IndirectBuildable = "buildable"
	IndirectEmpty     = "empty"
)

// Options tune Select.
type Options struct {
	// State is the comparison manifest for state: methods (dbt's --state).
	// It is deliberately separate from the defer state (--defer-state): the
	// caller passes whichever manifest it compares against.
	State *manifest.Manifest
	// StateGraph optionally supplies NewGraph(State) built earlier, so a
	// long-lived caller indexes the state manifest once (a Graph also caches
	// the comparison against the last state it saw).
	StateGraph *Graph
	// RunResults is a previous run_results.json for result: methods.
	RunResults []byte
	// Indirect is the indirect selection mode; "" means eager.
	Indirect string
	// Exclude holds --exclude arguments, parsed like selectors.
	Exclude []string
	// ResourceTypes, when set, keeps only these resource types at the end
	// (what a command does: run → model, test → test + unit_test, …).
	ResourceTypes []string
	// IncludeEmpty keeps nodes whose SQL body is empty (dbt ls does; run,
	// compile and build drop them).
	IncludeEmpty bool
	// CompareRenderedSourceLocation compares sources' rendered database and
	// schema instead of unrendered_database/unrendered_schema (dbt's flag
	// state_modified_compare_more_unrendered_values set to false).
	CompareRenderedSourceLocation bool
}

// Selected is one selected graph member.
type Selected struct {
	UniqueID     string `json:"uniqueId"`
	ResourceType string `json:"resourceType"`
	// Why lists how the member got selected, e.g. "fqn:customers",
	// "state:modified.body", "+ descendant of model.shop.stg_orders",
	// "test of model.shop.stg_orders (eager)".
	Why []string `json:"why"`
}

// Result is the outcome of Select.
type Result struct {
	// Nodes are the selected members, sorted by unique_id (as dbt ls prints).
	Nodes []Selected
	// Set is dbt's "selected" set, what the defer decision reads.
	Set map[string]bool
	// Warnings include dbt's NoNodesForSelectionCriteria for every piece
	// that selects nothing, and state comparison warnings.
	Warnings []diag.Diagnostic
}

// defaultIncludes is dbt's selection when no --select is given.
var defaultIncludes = []string{"fqn:*", "source:*", "exposure:*", "metric:*", "semantic_model:*"}

// selection is the state of one Select call.
type selection struct {
	g          *Graph
	opt        Options
	runResults map[string]string
	warnings   []diag.Diagnostic
	why        map[int32][]string
}

type set map[int32]bool

// Select evaluates dbt selectors (the --select arguments) on g. With no
// selectors, dbt's default (fqn:*, source:*, exposure:*, metric:*,
// semantic_model:*) is used.
func Select(g *Graph, selectors []string, opt Options) (*Result, error) {
	g.ensure()
	switch opt.Indirect {
	case "":
		opt.Indirect = IndirectEager
	case IndirectEager, IndirectCautious, IndirectBuildable, IndirectEmpty:
	default:
		modes := []string{IndirectEager, IndirectCautious, IndirectBuildable, IndirectEmpty}
		return nil, badf(CodeBadValue, 0, diag.Closest(opt.Indirect, modes), "invalid indirect selection mode %q; expected eager, cautious, buildable or empty", opt.Indirect)
	}
	explicit := false
	for _, a := range selectors {
		if strings.TrimSpace(a) != "" {
			explicit = true
		}
	}
	incArgs := selectors
	if !explicit {
		incArgs = defaultIncludes
	}
	include, err := Parse(incArgs)
	if err != nil {
		return nil, err
	}
	exclude, err := Parse(opt.Exclude)
	if err != nil {
		return nil, err
	}
	s := &selection{g: g, opt: opt, why: map[int32][]string{}}
	incD, incI, err := s.union(include, explicit)
	if err != nil {
		return nil, err
	}
	excD, excI, err := s.union(exclude, true)
	if err != nil {
		return nil, err
	}
	// SelectionDifference(include, exclude)
	direct := set{}
	for p := range incD {
		if !excD[p] {
			direct[p] = true
		}
	}
	indirect := set{}
	for p := range incI {
		if !excI[p] {
			indirect[p] = true
		}
	}
	direct = s.incorporate(direct, indirect)

	res := &Result{Set: map[string]bool{}}
	keepType := map[string]bool{}
	for _, t := range opt.ResourceTypes {
		keepType[t] = true
	}
	for p := range direct {
		rt := g.resourceType(p)
		if len(keepType) > 0 && !keepType[rt] {
			continue
		}
		if !opt.IncludeEmpty && s.isEmpty(p, rt) {
			continue
		}
		uid := g.ix.ids[p]
		res.Set[uid] = true
		res.Nodes = append(res.Nodes, Selected{UniqueID: uid, ResourceType: rt, Why: dedupe(s.why[p])})
	}
	sort.Slice(res.Nodes, func(i, j int) bool { return res.Nodes[i].UniqueID < res.Nodes[j].UniqueID })
	res.Warnings = s.warnings
	if len(res.Nodes) == 0 {
		all := strings.Join(incArgs, " ")
		if len(opt.Exclude) > 0 {
			all += " --exclude " + strings.Join(opt.Exclude, " ")
		}
		res.Warnings = append(res.Warnings, diag.Warning(CodeNoNodes, diag.Location{}, "no nodes selected by %q", all))
	}
	return res, nil
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// isEmpty is dbt's node.empty: compiled node types with a blank raw_code
// (seeds never are; non-nodes never are).
func (s *selection) isEmpty(p int32, rt string) bool {
	g := s.g
	if g.ix.section[p] != secNodes || rt == "seed" {
		return false
	}
	e := &g.ix.entries[p]
	sp := e.get(fRawCode)
	if !sp.ok() {
		sp = e.get(fRawSQL)
	}
	if !sp.ok() {
		return false
	}
	// most code has a plain visible ASCII byte near its start: no decoding
	if kind(g.ix.data, sp) == '"' {
		for _, c := range g.ix.data[sp.a+1 : sp.b-1] {
			if c == '\\' || c >= 0x80 {
				break // an escape or non-ASCII: decode below
			}
			if c > ' ' {
				return false
			}
		}
	}
	return strings.TrimSpace(strVal(g.ix.data, sp)) == ""
}

// union evaluates a SelectionUnion of intersections; expectExists turns on
// the per-piece "no nodes" warning (explicit --select/--exclude values).
func (s *selection) union(pieces []Intersection, expectExists bool) (set, set, error) {
	direct, indirect := set{}, set{}
	for i := range pieces {
		d, ind, err := s.intersection(&pieces[i], expectExists)
		if err != nil {
			return nil, nil, err
		}
		for p := range d {
			direct[p] = true
			indirect[p] = true
		}
		for p := range ind {
			indirect[p] = true
		}
	}
	if len(pieces) == 0 {
		return direct, indirect, nil
	}
	return s.incorporate(direct, indirect), indirect, nil
}

func (s *selection) intersection(in *Intersection, expectExists bool) (set, set, error) {
	var direct, indirect set
	for i := range in.Criteria {
		d, ind, err := s.criterion(&in.Criteria[i])
		if err != nil {
			return nil, nil, err
		}
		both := set{}
		for p := range d {
			both[p] = true
		}
		for p := range ind {
			both[p] = true
		}
		if i == 0 {
			direct, indirect = d, both
			continue
		}
		for p := range direct {
			if !d[p] {
				delete(direct, p)
			}
		}
		for p := range indirect {
			if !both[p] {
				delete(indirect, p)
			}
		}
	}
	direct = s.incorporate(direct, indirect)
	if expectExists && len(direct) == 0 {
		s.warnings = append(s.warnings, diag.Warning(CodeNoNodes, diag.Location{},
			"The selection criterion '%s' does not match any enabled nodes", in.Raw))
	}
	return direct, indirect, nil
}

// criterion is dbt's get_nodes_from_criteria: the method's matches, their
// graph-operator relatives, then the indirect expansion to tests.
func (s *selection) criterion(c *Criterion) (set, set, error) {
	matches, reasons, err := s.search(c)
	if err != nil {
		if de, ok := err.(*diag.Error); ok && de.Location.Column == 0 {
			de.Location.Column = c.Column
		}
		return nil, nil, err
	}
	g := s.g
	label := c.Method
	if len(c.Args) > 0 {
		label += "." + strings.Join(c.Args, ".")
	}
	label += ":" + c.Value
	selected := set{}
	for _, p := range matches {
		selected[p] = true
		if r, ok := reasons[p]; ok {
			s.why[p] = append(s.why[p], r...)
		} else {
			s.why[p] = append(s.why[p], label)
		}
	}
	if c.ChildrensParents {
		down := set{}
		for p := range selected {
			down[p] = true
		}
		g.walk(matches, false, -1, func(p, from int32) {
			down[p] = true
			s.why[p] = append(s.why[p], "@ descendant of "+g.ix.ids[from])
		})
		seeds := make([]int32, 0, len(down))
		for p := range down {
			seeds = append(seeds, p)
		}
		sort.Slice(seeds, func(i, j int) bool { return seeds[i] < seeds[j] })
		for p := range down {
			selected[p] = true
		}
		g.walk(seeds, true, -1, func(p, from int32) {
			selected[p] = true
			s.why[p] = append(s.why[p], "@ ancestor of "+g.ix.ids[from])
		})
	}
	if c.Parents {
		g.walk(matches, true, c.ParentsDepth, func(p, from int32) {
			selected[p] = true
			s.why[p] = append(s.why[p], "+ ancestor of "+g.ix.ids[from])
		})
	}
	if c.Children {
		g.walk(matches, false, c.ChildrenDepth, func(p, from int32) {
			selected[p] = true
			s.why[p] = append(s.why[p], "+ descendant of "+g.ix.ids[from])
		})
	}
	if s.opt.Indirect == IndirectEmpty {
		return selected, set{}, nil
	}
	return s.expand(selected)
}

// testDepsIn reports whether every depends_on.nodes entry of test p is in
// ok (a dependency that is not a graph member never is).
func (s *selection) testDepsIn(p int32, ok set) bool {
	for _, uid := range s.g.testDeps(p) {
		q, found := s.g.ix.posOf(uid)
		if !found || !ok[q] {
			return false
		}
	}
	return true
}

func (s *selection) isTest(p int32) bool {
	rt := s.g.resourceType(p)
	return rt == "test" || rt == "unit_test"
}

// expand is dbt's expand_selection: tests (and unit tests) that are direct
// children of the selection.
func (s *selection) expand(selected set) (set, set, error) {
	g := s.g
	direct := set{}
	for p := range selected {
		direct[p] = true
	}
	indirect := set{}
	var selectedAndParents set
	if s.opt.Indirect == IndirectBuildable {
		selectedAndParents = s.withParents(selected, true)
	}
	// successors in a stable order, so Why lists are deterministic
	seeds := make([]int32, 0, len(selected))
	for p := range selected {
		seeds = append(seeds, p)
	}
	sort.Slice(seeds, func(i, j int) bool { return seeds[i] < seeds[j] })
	for _, p := range seeds {
		for _, t := range g.childrenOf(p) {
			if !s.isTest(t) || selected[t] {
				continue
			}
			switch {
			case s.opt.Indirect == IndirectEager:
				direct[t] = true
				s.why[t] = append(s.why[t], "test of "+g.ix.ids[p]+" (eager)")
			case s.testDepsIn(t, selected):
				direct[t] = true
				s.why[t] = append(s.why[t], "test of "+g.ix.ids[p]+" (all parents selected)")
			case s.opt.Indirect == IndirectBuildable && s.testDepsIn(t, selectedAndParents):
				direct[t] = true
				s.why[t] = append(s.why[t], "test of "+g.ix.ids[p]+" (buildable)")
			default:
				indirect[t] = true
			}
		}
	}
	return direct, indirect, nil
}

// withParents is selected plus all its ancestors (plus every source, for
// buildable selection).
func (s *selection) withParents(selected set, sources bool) set {
	out := set{}
	seeds := make([]int32, 0, len(selected))
	for p := range selected {
		out[p] = true
		seeds = append(seeds, p)
	}
	s.g.walk(seeds, true, -1, func(p, _ int32) { out[p] = true })
	if sources {
		for i, sec := range s.g.ix.section {
			if sec == secSources {
				out[int32(i)] = true
			}
		}
	}
	return out
}

// incorporate is dbt's incorporate_indirect_nodes: tests held back by
// cautious/buildable selection join once all their parents are selected.
// Like dbt, only entries of "nodes" are re-checked (not unit tests).
func (s *selection) incorporate(direct, indirect set) set {
	if s.opt.Indirect != IndirectCautious && s.opt.Indirect != IndirectBuildable {
		return direct
	}
	if len(indirect) == 0 {
		return direct
	}
	selected := set{}
	for p := range direct {
		selected[p] = true
	}
	ok := selected
	if s.opt.Indirect == IndirectBuildable {
		ok = s.withParents(direct, false)
	}
	for p := range indirect {
		if selected[p] || s.g.ix.section[p] != secNodes {
			continue
		}
		if s.testDepsIn(p, ok) {
			selected[p] = true
			s.why[p] = append(s.why[p], "test whose parents are all selected ("+s.opt.Indirect+")")
		}
	}
	return selected
}
