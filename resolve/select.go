package resolve

import (
	"sort"
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
	"github.com/dbtdefer/dbtdefer/resolve/selector"
)

// graph is the dev manifest's selection graph, built once on first use.
func (p *Project) graph() *selector.Graph {
	p.graphOnce.Do(func() { p.selGraph = selector.NewGraph(p.Dev) })
	return p.selGraph
}

// selectorOptions carries the project's comparison state and run results.
func (p *Project) selectorOptions(opt Options) selector.Options {
	return selector.Options{State: p.Compare, RunResults: p.runResults, Indirect: opt.Indirect, Exclude: opt.Exclude, IncludeEmpty: true}
}

// selection returns the "selected" predicate the defer decision reads.
func (p *Project) selection(from *manifest.Node, opt Options) (func(string) bool, []diag.Diagnostic, error) {
	if opt.Select == nil {
		set := map[string]bool{}
		if from != nil {
			set[from.UniqueID] = true
		}
		var warns []diag.Diagnostic
		if len(opt.Exclude) > 0 && len(set) > 0 {
			ex, err := selector.Select(p.graph(), opt.Exclude, p.selectorOptions(Options{Indirect: opt.Indirect}))
			if err != nil {
				return nil, nil, err
			}
			for id := range ex.Set {
				delete(set, id)
			}
		}
		return func(id string) bool { return set[id] }, warns, nil
	}
	if len(opt.Select) == 0 {
		return func(string) bool { return false }, nil, nil
	}
	res, err := p.Select(opt.Select, opt)
	if err != nil {
		return nil, nil, err
	}
	return func(id string) bool { return res.Set[id] }, res.Warnings, nil
}

// Select evaluates dbt selectors (--select, with opt.Exclude and
// opt.Indirect) on the dev manifest; state: methods compare with the
// comparison state (--state), result: methods read the dev run_results.
// Results are cached per (selectors, exclude, indirect): an IDE resolves
// many refs under one selection.
func (p *Project) Select(selectors []string, opt Options) (*selector.Result, error) {
	key := strings.Join(selectors, "\x00") + "\x01" + strings.Join(opt.Exclude, "\x00") + "\x01" + opt.Indirect
	p.selMu.Lock()
	if r, ok := p.selCache[key]; ok {
		p.selMu.Unlock()
		return r, nil
	}
	p.selMu.Unlock()
	r, err := selector.Select(p.graph(), selectors, p.selectorOptions(opt))
	if err != nil {
		return nil, err
	}
	p.selMu.Lock()
	if p.selCache == nil || len(p.selCache) > 64 {
		p.selCache = map[string]*selector.Result{}
	}
	p.selCache[key] = r
	p.selMu.Unlock()
	return r, nil
}

// SelectSet evaluates a selection to the set of unique_ids it selects.
func (p *Project) SelectSet(sel, exclude []string) (map[string]bool, []diag.Diagnostic, error) {
	res, err := p.Select(sel, Options{Exclude: exclude})
	if err != nil {
		return nil, nil, err
	}
	return res.Set, res.Warnings, nil
}

// sortedIDs lists a set's members in order.
func sortedIDs(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
