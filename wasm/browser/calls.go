package main

import (
	"encoding/json"
	"sort"

	"github.com/dbtdefer/dbtdefer/resolve"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
)

// resolveResult is what Project.resolve returns: one RefResult per ref, in
// the CLI's `resolve --json` shape, and the call's warnings.
type resolveResult struct {
	Refs        []resolve.RefResult `json:"refs"`
	Diagnostics []diag.Diagnostic   `json:"diagnostics"`
}

// resolveRequest is a resolve call's request: {from, refs, …CallOptions}.
type resolveRequest struct {
	From string   `json:"from"`
	Refs []string `json:"refs"`
	resolve.CallOptions
}

func resolveJSON(p *project, req []byte) (any, error) {
	var r resolveRequest
	if err := decodeStrict("resolve", req, &r); err != nil {
		return nil, err
	}
	if len(r.Refs) == 0 {
		return nil, diag.Errorf("options.missing", diag.Location{}, "resolve: ref is required (name, package.name, name@v2, source:src.table or this)")
	}
	specs := make([]resolve.RefSpec, 0, len(r.Refs))
	for _, s := range r.Refs {
		spec, err := resolve.ParseRef(s)
		if err != nil {
			return nil, err
		}
		specs = append(specs, spec)
	}
	opt, err := r.Options()
	if err != nil {
		return nil, err
	}
	res, warns, err := p.Resolve(r.From, specs, opt)
	if err != nil {
		return nil, err
	}
	// The envelope, written by hand (encoding/json's reflection was most of
	// a call's time in wasm): {"ok":{"refs":[…],"diagnostics":[…]}}.
	b := make([]byte, 0, 1024*len(res)+64)
	b = append(b, `{"ok":{"refs":[`...)
	for i := range res {
		if i > 0 {
			b = append(b, ',')
		}
		b = res[i].AppendJSON(b)
	}
	b = append(b, `],"diagnostics":`...)
	if len(warns) == 0 {
		b = append(b, "[]"...)
	} else {
		d, err := json.Marshal(warns)
		if err != nil {
			return nil, err
		}
		b = append(b, d...)
	}
	return envelopeText(append(b, '}', '}')), nil
}

// explainResult is every ref(), source() and `this` of one model, resolved
// with its reason. A ref that fails is reported in diagnostics (severity
// error) and the others are still explained.
type explainResult struct {
	UniqueID    string              `json:"uniqueId"`
	Refs        []resolve.RefResult `json:"refs"`
	Diagnostics []diag.Diagnostic   `json:"diagnostics"`
}

func explainJSON(p *project, req []byte) (any, error) {
	var r struct {
		Model string `json:"model"`
		resolve.CallOptions
	}
	if err := decodeStrict("explain", req, &r); err != nil {
		return nil, err
	}
	if r.Model == "" {
		return nil, diag.Errorf("options.missing", diag.Location{}, "explain: model is required (a name or unique_id)")
	}
	opt, err := r.Options()
	if err != nil {
		return nil, err
	}
	n, err := p.FindNode(r.Model)
	if err != nil {
		return nil, err
	}
	c, warns, err := p.NewCall(n.UniqueID, opt)
	if err != nil {
		return nil, err
	}
	specs := make([]resolve.RefSpec, 0, len(n.Refs)+len(n.SourceRefs)+1)
	seen := map[string]bool{}
	add := func(s resolve.RefSpec) {
		if k := s.Kind + ":" + s.String(); !seen[k] {
			seen[k] = true
			specs = append(specs, s)
		}
	}
	for _, ref := range n.Refs {
		add(resolve.RefSpec{Kind: "ref", Name: ref.Name, Package: ref.Package, Version: ref.Version})
	}
	for _, src := range n.SourceRefs {
		add(resolve.RefSpec{Kind: "source", Source: src[0], Name: src[1]})
	}
	add(resolve.RefSpec{Kind: "this"})
	for _, fk := range p.Dev.ForeignKeys(n) {
		add(resolve.RefSpec{Kind: "fk", Name: fk.Name, Package: fk.Package, Version: fk.Version})
	}
	out := explainResult{UniqueID: n.UniqueID, Refs: []resolve.RefResult{}, Diagnostics: nonNil(warns)}
	for _, s := range specs {
		res, err := p.ResolveOne(c, s)
		if err != nil {
			de, ok := err.(*diag.Error)
			if !ok {
				de = diag.Errorf("internal.error", diag.Location{UniqueID: n.UniqueID}, "%s: %v", s, err)
			}
			out.Diagnostics = append(out.Diagnostics, de.Diagnostic)
			continue
		}
		out.Refs = append(out.Refs, res)
	}
	out.Diagnostics = append(out.Diagnostics, p.StateRunWarnings(out.Refs)...)
	return out, nil
}

// selectResult is the unique_ids a selection picks, sorted.
type selectResult struct {
	UniqueIDs   []string          `json:"uniqueIds"`
	Diagnostics []diag.Diagnostic `json:"diagnostics"`
}

// selectJSON evaluates dbt selection syntax. It uses Project.SelectSet, which
// today matches names and unique_ids only; it follows resolve's selector.
func selectJSON(p *project, req []byte) (any, error) {
	var r struct {
		Select  []string `json:"select"`
		Exclude []string `json:"exclude"`
	}
	if err := decodeStrict("select", req, &r); err != nil {
		return nil, err
	}
	set, warns, err := p.SelectSet(resolve.NonBlank(r.Select), resolve.NonBlank(r.Exclude))
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(set))
	for id, ok := range set {
		if ok {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return selectResult{UniqueIDs: ids, Diagnostics: nonNil(warns)}, nil
}

func stateInfoJSON(p *project, req []byte) (any, error) {
	if err := decodeStrict("stateInfo", req, &struct{}{}); err != nil {
		return nil, err
	}
	return p.StateInfoNow(), nil
}

// nodesRequest is Project.nodes' request (resolve.NodesQuery).
type nodesRequest struct {
	ResourceType []string `json:"resourceType"`
	Package      string   `json:"package"`
	Query        string   `json:"query"`
	Limit        int      `json:"limit"`
	Offset       int      `json:"offset"`
}

func nodesJSON(p *project, req []byte) (any, error) {
	var r nodesRequest
	if err := decodeStrict("nodes", req, &r); err != nil {
		return nil, err
	}
	return p.Nodes(resolve.NodesQuery{ResourceType: r.ResourceType, Package: r.Package, Query: r.Query, Limit: r.Limit, Offset: r.Offset})
}

func nodeJSON(p *project, req []byte) (any, error) {
	var r struct {
		Node string `json:"node"`
	}
	if err := decodeStrict("node", req, &r); err != nil {
		return nil, err
	}
	return p.NodeDetail(r.Node)
}

// lineageRequest is Project.lineage's request: up and down default to true.
type lineageRequest struct {
	Node  string `json:"node"`
	Up    *bool  `json:"up"`
	Down  *bool  `json:"down"`
	Depth int    `json:"depth"`
	Limit int    `json:"limit"`
	Tests bool   `json:"tests"`
	resolve.CallOptions
}

func lineageJSON(p *project, req []byte) (any, error) {
	var r lineageRequest
	if err := decodeStrict("lineage", req, &r); err != nil {
		return nil, err
	}
	opt, err := r.Options()
	if err != nil {
		return nil, err
	}
	return p.Lineage(resolve.LineageQuery{Node: r.Node, Up: r.Up == nil || *r.Up, Down: r.Down == nil || *r.Down,
		Depth: r.Depth, Limit: r.Limit, Tests: r.Tests, Options: opt})
}
