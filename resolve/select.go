package resolve

import (
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
)

// selection returns the "selected" predicate the defer decision reads.
func (p *Project) selection(from *manifest.Node, opt Options) (func(string) bool, []diag.Diagnostic, error) {
	if opt.Select == nil && len(opt.Exclude) == 0 {
		if from == nil {
			return func(string) bool { return false }, nil, nil
		}
		uid := from.UniqueID
		return func(id string) bool { return id == uid }, nil, nil
	}
	set, warns, err := p.SelectSet(opt.Select, opt.Exclude)
	if err != nil {
		return nil, nil, err
	}
	return func(id string) bool { return set[id] }, warns, nil
}

// SelectSet evaluates a selection to the set of unique_ids it selects.
func (p *Project) SelectSet(sel, exclude []string) (map[string]bool, []diag.Diagnostic, error) {
	return simpleSelect(p, sel, exclude)
}

// simpleSelect matches names and unique_ids (a stand-in until the selector
// package is wired in).
func simpleSelect(p *Project, sel, exclude []string) (map[string]bool, []diag.Diagnostic, error) {
	set := map[string]bool{}
	match := func(words []string, into map[string]bool) {
		for _, w := range words {
			for _, term := range strings.Fields(w) {
				for _, uid := range p.Dev.Keys("nodes") {
					if _, _, rest, ok := splitUID(uid); uid == term || ok && rest == term {
						into[uid] = true
					}
				}
			}
		}
	}
	match(sel, set)
	ex := map[string]bool{}
	match(exclude, ex)
	for k := range ex {
		delete(set, k)
	}
	return set, nil, nil
}
