package main

import (
	"encoding/json"
	"sort"

	"github.com/valyala/fastjson"

	"github.com/dbtdefer/dbtdefer/resolve"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
)

// resolveResult is what Project.resolve returns: one RefResult per ref, in
// the CLI's `resolve --json` shape, and the call's warnings.
type resolveResult struct {
	Refs        []resolve.RefResult `json:"refs"`
	Diagnostics []diag.Diagnostic   `json:"diagnostics"`
}

func resolveJSON(p *project, req []byte) (any, error) {
	from, refs, co, err := readResolve(req)
	if err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		return nil, diag.Errorf("options.missing", diag.Location{}, "resolve: ref is required (name, package.name, name@v2, source:src.table or this)")
	}
	specs := make([]resolve.RefSpec, 0, len(refs))
	for _, s := range refs {
		spec, err := resolve.ParseRef(s)
		if err != nil {
			return nil, err
		}
		specs = append(specs, spec)
	}
	opt, err := co.Options()
	if err != nil {
		return nil, err
	}
	res, warns, err := p.Resolve(from, specs, opt)
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
	d, err := json.Marshal(nonNil(warns))
	if err != nil {
		return nil, err
	}
	b = append(b, d...)
	return envelopeText(append(b, '}', '}')), nil
}

// readResolve reads a resolve request ({from, refs, …CallOptions}) with
// fastjson, as strictly as decodeStrict: unknown keys and wrong types are
// errors naming the option. It is the hot path of an IDE, where
// encoding/json cost 19 µs of wasm time a call.
func readResolve(req []byte) (from string, refs []string, co resolve.CallOptions, err error) {
	p := requestParsers.Get()
	defer requestParsers.Put(p)
	v, perr := p.ParseBytes(req)
	if perr != nil {
		return "", nil, co, diag.Errorf("options.invalid", diag.Location{}, "resolve: cannot read the request: %v", perr)
	}
	o, oerr := v.Object()
	if oerr != nil {
		return "", nil, co, diag.Errorf("options.type", diag.Location{}, "resolve: the request must be a JSON object, got a JSON %s", v.Type())
	}
	typeErr := func(key, want string, x *fastjson.Value) error {
		return diag.Errorf("options.type", diag.Location{}, "resolve: option %q must be %s, got a JSON %s", key, want, jsonType(x))
	}
	str := func(key string, x *fastjson.Value, dst *string) {
		if err != nil || x.Type() == fastjson.TypeNull {
			return
		}
		if b, e := x.StringBytes(); e == nil {
			*dst = string(b)
		} else {
			err = typeErr(key, "a string", x)
		}
	}
	strs := func(key string, x *fastjson.Value) []string {
		if err != nil || x.Type() == fastjson.TypeNull {
			return nil
		}
		a, e := x.Array()
		if e != nil {
			err = typeErr(key, "an array", x)
			return nil
		}
		out := make([]string, len(a))
		for i, y := range a {
			b, e := y.StringBytes()
			if e != nil {
				err = typeErr(key, "an array of strings", y)
				return nil
			}
			out[i] = string(b)
		}
		return out
	}
	o.Visit(func(k []byte, x *fastjson.Value) {
		if err != nil {
			return
		}
		switch key := string(k); key {
		case "from":
			str(key, x, &from)
		case "refs":
			refs = strs(key, x)
		case "defer":
			str(key, x, &co.Defer)
		case "profile":
			str(key, x, &co.Profile)
		case "unknown":
			str(key, x, &co.Unknown)
		case "select":
			if x.Type() != fastjson.TypeNull {
				s := strs(key, x)
				co.Select = &s
			}
		case "exclude":
			co.Exclude = strs(key, x)
		case "packageFirst":
			switch x.Type() {
			case fastjson.TypeTrue, fastjson.TypeFalse:
				co.PackageFirst = x.Type() == fastjson.TypeTrue
			case fastjson.TypeNull:
			default:
				err = typeErr(key, "a boolean", x)
			}
		default:
			err = diag.Errorf("options.unknown_key", diag.Location{}, "resolve: unknown option %q", key)
		}
	})
	return from, refs, co, err
}

var requestParsers fastjson.ParserPool

// jsonType names a value's JSON type as encoding/json's errors did.
func jsonType(x *fastjson.Value) string {
	switch x.Type() {
	case fastjson.TypeTrue, fastjson.TypeFalse:
		return "bool"
	}
	return x.Type().String()
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
	return p.StateInfo(), nil
}
