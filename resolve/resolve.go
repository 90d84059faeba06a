package resolve

import (
	"fmt"
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve/compile"
	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
	"github.com/dbtdefer/dbtdefer/resolve/relation"
)

// Options are the flags of one resolve or compile call.
type Options struct {
	Defer   deferral.Mode    `json:"defer,omitempty"`
	Profile deferral.Profile `json:"profile,omitempty"`
	// Select is dbt's --select. nil means "the node being resolved or
	// compiled", as `dbt compile -s MODEL` would select; an empty, non-nil
	// slice selects nothing.
	Select  []string `json:"select,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
	// Indirect is dbt's --indirect-selection: eager (default), cautious,
	// buildable or empty.
	Indirect string `json:"indirect,omitempty"`
	// UnknownPresent treats dev relations of unknown existence as present
	// (default: missing, as dbt sees an empty dev schema).
	UnknownPresent bool `json:"unknownPresent,omitempty"`
	// PackageFirst searches the calling package before the root project
	// (dbt 1.11+ require_ref_searches_node_package_before_root; always in Fusion).
	PackageFirst bool `json:"packageFirst,omitempty"`
}

// RefSpec is one ref(), source() or this to resolve.
type RefSpec struct {
	Kind    string `json:"kind"` // "ref", "source", "this" or "fk" (a contract's foreign-key to: ref(...))
	Name    string `json:"name,omitempty"`
	Package string `json:"package,omitempty"`
	Version string `json:"version,omitempty"`
	Source  string `json:"source,omitempty"`
}

// String renders the spec the way ParseRef reads it.
func (r RefSpec) String() string {
	switch r.Kind {
	case "this":
		return "this"
	case "source":
		return "source:" + r.Source + "." + r.Name
	case "fk":
		return "fk:" + RefSpec{Kind: "ref", Name: r.Name, Package: r.Package, Version: r.Version}.String()
	}
	s := r.Name
	if r.Package != "" {
		s = r.Package + "." + s
	}
	if r.Version != "" {
		s += "@v" + r.Version
	}
	return s
}

// ParseRef reads "name", "package.name", "name@v2" (or "name@2"),
// "source:src.table", "this", and "fk:name" (any ref form after "fk:"): the
// `to: ref(...)` of a contract's foreign-key constraint, which dbt defers by
// its own rule.
func ParseRef(s string) (RefSpec, error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "fk:"); ok {
		r, err := ParseRef(rest)
		if err != nil || r.Kind != "ref" {
			return RefSpec{}, diag.Errorf("ref.syntax", diag.Location{}, "cannot read ref %q: fk: takes a ref (name, package.name or name@v2)", s)
		}
		r.Kind = "fk"
		return r, nil
	}
	bad := func(why string) (RefSpec, error) {
		return RefSpec{}, diag.Errorf("ref.syntax", diag.Location{}, "cannot read ref %q: %s (use name, package.name, name@v2, source:src.table, this or fk:name)", s, why)
	}
	switch {
	case s == "":
		return bad("empty")
	case s == "this":
		return RefSpec{Kind: "this"}, nil
	case strings.HasPrefix(s, "source:"):
		rest := s[len("source:"):]
		i := strings.IndexByte(rest, '.')
		if i <= 0 || i == len(rest)-1 {
			return bad("a source needs source_name.table")
		}
		return RefSpec{Kind: "source", Source: rest[:i], Name: rest[i+1:]}, nil
	}
	r := RefSpec{Kind: "ref"}
	if i := strings.IndexByte(s, '@'); i >= 0 {
		v := strings.TrimPrefix(s[i+1:], "v")
		if v == "" {
			return bad("empty version")
		}
		r.Version, s = v, s[:i]
	}
	if i := strings.IndexByte(s, '.'); i >= 0 {
		r.Package, s = s[:i], s[i+1:]
	}
	if s == "" || r.Package == "" && strings.Contains(s, ".") {
		return bad("empty name")
	}
	r.Name = s
	if r.Version == "0" { // ref(v=0) is unpinned in dbt (the kwarg is read as `version or v`)
		r.Version = ""
	}
	return r, nil
}

// RefResult is one resolved ref with its provenance.
type RefResult struct {
	Ref      string `json:"ref"`
	Kind     string `json:"kind"`
	UniqueID string `json:"uniqueId"`
	// Relation is the string the ref renders to in compiled SQL.
	Relation string       `json:"relation"`
	Env      deferral.Env `json:"env"`
	Rule     string       `json:"rule"`
	Reason   string       `json:"reason"`
	// Assumption is true when the decision rested on the unknown-existence policy.
	Assumption bool              `json:"assumption,omitempty"`
	Evidence   deferral.Evidence `json:"evidence,omitempty"`
	Database   string            `json:"database,omitempty"`
	Schema     string            `json:"schema,omitempty"`
	Identifier string            `json:"identifier,omitempty"`
	// DevRelation and StateRelation show both candidates when both exist.
	DevRelation   string `json:"devRelation,omitempty"`
	StateRelation string `json:"stateRelation,omitempty"`
	// Selected says whether the target was in the selection.
	Selected bool `json:"selected"`
	// State identifies the production run the decision was made against
	// (present whenever a state manifest is loaded).
	State *StateInfo `json:"state,omitempty"`
	// StateRun is what production's run_results.json (Inputs.StateRunResults)
	// says of the relation a deferred ref reads: its status in that run
	// ("absent" when the run did not build it) and when it completed.
	StateRun *NodeRun `json:"stateRun,omitempty"`
	// Upstream says which upstream project a cross-project ref (rule
	// cross-project, env upstream) read, and from what.
	Upstream *UpstreamInfo `json:"upstream,omitempty"`

	target *manifest.Node // the upstream node of a cross-project ref
}

// Call is the context of a resolution: who calls ref(), under which flags.
type Call struct {
	// From is the calling node (nil for an ad-hoc snippet, which behaves as an
	// inline SQL operation in the root project).
	From     *manifest.Node
	Opt      Options
	Profile  deferral.Profile
	Selected func(uid string) bool
}

// NewCall prepares a resolution context for the node from (unique_id or name;
// "" for an ad-hoc snippet) under opt.
func (p *Project) NewCall(from string, opt Options) (*Call, []diag.Diagnostic, error) {
	c := &Call{Opt: opt}
	if opt.Defer == "" {
		c.Opt.Defer = deferral.Off
	}
	if from != "" {
		n, err := p.FindNode(from)
		if err != nil {
			return nil, nil, err
		}
		c.From = n
	}
	c.Profile = opt.Profile
	if c.Profile == "" || c.Profile == deferral.Auto {
		c.Profile = deferral.ProfileFor(p.Dev.Meta.DbtVersion)
	}
	if c.Opt.Defer != deferral.Off && p.State == nil {
		return nil, nil, diag.Errorf("defer.no_state", diag.Location{}, "--state or --defer-state are required for deferral, but neither was provided")
	}
	sel, warns, err := p.selection(c.From, opt)
	if err != nil {
		return nil, nil, err
	}
	c.Selected = sel
	return c, warns, nil
}

// appendKey appends what identifies the options in Project's kept calls.
func (o Options) appendKey(b []byte) []byte {
	b = append(b, o.Defer...)
	b = append(b, 0)
	b = append(b, o.Profile...)
	b = append(b, 0)
	b = append(b, o.Indirect...)
	b = append(b, 0)
	if o.UnknownPresent {
		b = append(b, 'u')
	}
	if o.PackageFirst {
		b = append(b, 'p')
	}
	if o.Select != nil {
		b = append(b, 0, 's')
		for _, s := range o.Select {
			b = append(b, 0)
			b = append(b, s...)
		}
	}
	b = append(b, 1)
	for _, s := range o.Exclude {
		b = append(b, 0)
		b = append(b, s...)
	}
	return b
}

// call is NewCall, kept per (from, options): an open project never changes,
// and an IDE resolves one model's refs call after call.
func (p *Project) call(from string, opt Options) (*Call, []diag.Diagnostic, error) {
	var buf [256]byte
	key := opt.appendKey(append(append(buf[:0], from...), 2))
	p.callMu.Lock()
	k, ok := p.calls[string(key)] // no allocation for the lookup
	p.callMu.Unlock()
	if ok {
		return k.call, k.warns, nil
	}
	c, warns, err := p.NewCall(from, opt)
	if err != nil {
		return nil, nil, err
	}
	p.callMu.Lock()
	if p.calls == nil || len(p.calls) >= 256 {
		p.calls = map[string]keptCall{}
	}
	p.calls[string(key)] = keptCall{c, warns}
	p.callMu.Unlock()
	return c, warns, nil
}

type keptCall struct {
	call  *Call
	warns []diag.Diagnostic
}

// Resolve resolves refs as called from the node from under opt.
func (p *Project) Resolve(from string, refs []RefSpec, opt Options) ([]RefResult, []diag.Diagnostic, error) {
	c, warns, err := p.call(from, opt)
	if err != nil {
		return nil, nil, err
	}
	out := make([]RefResult, 0, len(refs))
	for _, r := range refs {
		res, err := p.ResolveOne(c, r)
		if err != nil {
			return nil, warns, err
		}
		out = append(out, res)
	}
	if w := p.StateRunWarnings(out); len(w) > 0 {
		warns = append(warns[:len(warns):len(warns)], w...) // warns is the kept call's
	}
	return out, warns, nil
}

// ResolveOne resolves a single ref in a prepared call.
func (p *Project) ResolveOne(c *Call, r RefSpec) (RefResult, error) {
	switch r.Kind {
	case "this":
		if c.From == nil {
			return RefResult{}, diag.Errorf("ref.no_this", diag.Location{}, "`this` needs a node to resolve from (--from)")
		}
		n := c.From
		rel := p.render(n, p.Quoting)
		return RefResult{Ref: "this", Kind: "this", UniqueID: n.UniqueID, Relation: rel, Env: deferral.Dev,
			Rule: deferral.RuleThisNever, Reason: "`this` is always the node's own dev relation; dbt never defers it",
			Database: n.Database, Schema: n.Schema, Identifier: n.Alias, DevRelation: rel, Selected: c.selected(n.UniqueID)}, nil
	case "source":
		return p.resolveSource(c, r)
	}
	kind := "ref"
	if r.Kind == "fk" {
		kind = "fk"
	}
	if um := p.upstream[r.Package]; um != nil && r.Package != "" {
		return p.resolveUpstream(c, r, um, kind)
	}
	t, err := p.lookupRef(c, r)
	if err != nil {
		if p.meshProjects[r.Package] && r.Package != "" {
			if de, ok := err.(*diag.Error); ok && de.Code == "ref.not_found" {
				de.Message += fmt.Sprintf(" (project %q is listed in dependencies.yml: give its production manifest as an upstream input)", r.Package)
			}
		}
		return RefResult{}, err
	}
	if p.isExternal(t) {
		return p.crossProject(c, r, t, p.render(t, p.Quoting), kind, &UpstreamInfo{Project: t.PackageName, Source: "embedded", File: p.Dev.File}), nil
	}
	var sn *manifest.Node
	if p.State != nil && p.State.Has("nodes", t.UniqueID) {
		sn, err = p.State.Head(t.UniqueID)
		if err != nil {
			return RefResult{}, err
		}
	}
	in := deferral.Input{Mode: c.Opt.Defer, Profile: c.Profile, Target: t, StateNode: sn,
		Selected: c.Selected, Oracle: p.Oracle, UnknownIsPresent: c.Opt.UnknownPresent}
	var d deferral.Decision
	if r.Kind == "fk" {
		d = deferral.DecideForeignKey(in, p.Dev.Meta.DbtVersion)
	} else {
		d = deferral.Decide(in)
	}
	res := RefResult{Ref: r.String(), Kind: kind, UniqueID: t.UniqueID, Env: d.Env, Rule: d.Rule, Reason: d.Reason,
		Assumption: d.Assumption, Evidence: d.Evidence, Selected: c.selected(t.UniqueID)}
	if d.Env == deferral.Ephemeral {
		res.Relation = compile.CTEPrefix(p.Dev.Meta.DbtVersion) + p.CTEName(t)
		return res, nil
	}
	res.DevRelation = p.render(t, p.Quoting)
	if sn != nil && sn.IsRefable() && !sn.IsEphemeral() {
		res.StateRelation = p.render(sn, p.stateQuoting(c))
	}
	n := d.Node
	res.Database, res.Schema, res.Identifier = n.Database, n.Schema, n.Alias
	res.State = p.StateInfo()
	if d.Env == deferral.State {
		res.Relation = res.StateRelation
		res.StateRun = p.stateRuns.run(t.UniqueID)
	} else {
		res.Relation = res.DevRelation
	}
	return res, nil
}

func (c *Call) selected(uid string) bool { return c.Selected != nil && c.Selected(uid) }

// stateQuoting is the quoting deferred relations render with: the current
// project's in dbt-core, the state's metadata.quoting in Fusion.
func (p *Project) stateQuoting(c *Call) relation.Quoting {
	if c.Profile == deferral.Fusion && p.State != nil && p.State.Meta.Quoting != nil {
		return toQuoting(*p.State.Meta.Quoting)
	}
	return p.Quoting
}

// render renders a node's relation with the adapter's rules, or the
// manifest's relation_name for adapters without verified rules.
func (p *Project) render(n *manifest.Node, q relation.Quoting) string {
	if !p.Adapter.Known && n.HasRelationName {
		return n.RelationName
	}
	return p.Adapter.ForRef(deferral.NodeParts(n), q).Render()
}

// CTEName is the name an ephemeral model's CTE gets: its name up to dbt 1.8,
// its alias (identifier) from 1.9.
func (p *Project) CTEName(n *manifest.Node) string {
	if deferral.AtLeast(p.Dev.Meta.DbtVersion, 1, 9) {
		return n.Alias
	}
	return n.Name
}

// callerPackage is the package a ref is made from.
func (p *Project) callerPackage(c *Call) string {
	if c.From != nil && c.From.PackageName != "" {
		return c.From.PackageName
	}
	return p.Root
}

func (p *Project) lookupRef(c *Call, r RefSpec) (*manifest.Node, error) {
	q := manifest.LookupQuery{Name: r.Name, Package: r.Package, Version: r.Version, CallerPackage: p.callerPackage(c), Root: p.Root,
		FirstMatchOnAmbiguity: !deferral.AtLeast(p.Dev.Meta.DbtVersion, 1, 6)}
	if c.Opt.PackageFirst || c.Profile == deferral.Fusion {
		q.Order = manifest.PackageFirst
	}
	l := p.Dev.LookupRef(q)
	switch l.Status {
	case manifest.Found:
		n, err := p.Dev.Head(l.UniqueID) // resolving reads no code or docs
		if err != nil {
			return nil, err
		}
		return n, p.checkAccess(c, n)
	case manifest.Ambiguous:
		return nil, diag.Errorf("ref.ambiguous", p.callerLoc(c),
			"When referencing '%s', dbt found nodes in multiple packages: %s\nTo fix this, use two-argument 'ref', with the package name first: ref('<package>', '%s')",
			r.Name, quoteList(l.Candidates), r.Name)
	}
	what, code := refMissing(l.Status)
	msg := p.dependsMsg(c, "a node named '"+r.Name+"'", r) + what
	loc := p.callerLoc(c)
	if l.Status == manifest.NotFound {
		if p.State != nil && p.State.LookupRef(manifest.LookupQuery{Name: r.Name, Package: r.Package, Version: r.Version, Root: p.Root, CallerPackage: p.Root}).Status == manifest.Found {
			msg += " (it exists only in the production manifest: deferral never makes a missing ref valid)"
		}
		loc.Suggestion = diag.Closest(r.Name, p.Dev.RefNames())
	}
	return nil, diag.Errorf(code, loc, "%s", msg)
}

// dependsMsg builds dbt's TargetNotFoundError prefix (spec §1.7.8).
func (p *Project) dependsMsg(c *Call, target string, r RefSpec) string {
	caller := "Model 'sql_operation.inline' (inline)"
	if c.From != nil {
		caller = fmt.Sprintf("%s '%s' (%s)", resourceTitle(c.From.ResourceType), c.From.UniqueID, c.From.OriginalFilePath)
	}
	s := caller + " depends on " + target + " "
	if r.Version != "" {
		s += "with version '" + r.Version + "' "
	}
	if r.Package != "" {
		s += "in package or project '" + r.Package + "' "
	}
	return s
}

func (p *Project) callerLoc(c *Call) diag.Location {
	if c.From == nil {
		return diag.Location{File: p.Dev.File}
	}
	return diag.Location{File: c.From.OriginalFilePath, UniqueID: c.From.UniqueID}
}

// checkAccess applies model access (spec §8.6 scenario 45): a private model
// may only be referenced from its own group.
func (p *Project) checkAccess(c *Call, t *manifest.Node) error {
	if c.From == nil || t.Access != "private" || t.Group == "" {
		return nil
	}
	if c.From.Group == t.Group {
		return nil
	}
	return p.referenceError(c, t, "private", t.Group)
}

// refMissing is the end of dbt's TargetNotFoundError for a lookup that
// found nothing or a disabled node, with its code.
func refMissing(status manifest.LookupStatus) (what, code string) {
	if status == manifest.FoundDisabled {
		return "which is disabled", "ref.disabled"
	}
	return "which was not found", "ref.not_found"
}

// referenceError is dbt's DbtReferenceError: a private node referenced from
// outside its group, or a protected one from outside its package.
func (p *Project) referenceError(c *Call, t *manifest.Node, access, scope string) error {
	from, kind := "sql_operation.inline", "group"
	if c.From != nil {
		from = c.From.UniqueID
	}
	if access == "protected" {
		kind = "package"
	}
	return diag.Errorf("ref."+access, p.callerLoc(c),
		"Node %s attempted to reference node %s, which is not allowed because the referenced node is %s to the '%s' %s.", from, t.UniqueID, access, scope, kind)
}

func (p *Project) resolveSource(c *Call, r RefSpec) (RefResult, error) {
	l := p.Dev.LookupSource(manifest.LookupQuery{Source: r.Source, Name: r.Name, CallerPackage: p.callerPackage(c), Root: p.Root, FirstMatchOnAmbiguity: true})
	if l.Status != manifest.Found {
		what, code := "which was not found", "source.not_found"
		if l.Status == manifest.FoundDisabled {
			what, code = "which is disabled", "source.disabled"
		}
		loc := p.callerLoc(c)
		loc.Suggestion = diag.Closest(r.Source+"."+r.Name, p.Dev.SourceNames())
		return RefResult{}, diag.Errorf(code, loc, "%s", p.dependsMsg(c, "a source named '"+r.Source+"."+r.Name+"'", RefSpec{})+what)
	}
	n, err := p.Dev.Node(l.UniqueID)
	if err != nil {
		return RefResult{}, err
	}
	rel := p.RenderSource(n)
	return RefResult{Ref: r.String(), Kind: "source", UniqueID: n.UniqueID, Relation: rel, Env: deferral.Dev,
		Rule: deferral.RuleSourceNever, Reason: "sources are never deferred: source() always reads the dev manifest's definition",
		Database: n.Database, Schema: n.Schema, Identifier: n.Identifier, DevRelation: rel, Selected: c.selected(n.UniqueID)}, nil
}

// RenderSource renders what source() returns for a source node: adapter
// default quoting overlaid by the source's own quoting (project quoting is
// ignored, except by dbt 1.8.x).
func (p *Project) RenderSource(n *manifest.Node) string {
	if !p.Adapter.Known && n.HasRelationName {
		return n.RelationName
	}
	s := relation.Source{Parts: relation.Parts{Database: n.Database, Schema: n.Schema, Identifier: n.Identifier,
		HasDatabase: n.HasDatabase, HasSchema: n.HasSchema}, SourceName: n.SourceName, Quoting: toQuoting(n.Quoting)}
	if p.Adapter.Name == "duckdb" {
		var schema, db *string
		if n.HasSchema {
			schema = &n.Schema
		}
		if n.HasDatabase {
			db = &n.Database
		}
		if ext, err := relation.DuckDBSourceExternal(n.Meta, n.Config, n.Name, n.Identifier, schema, db); err == nil && ext != "" {
			s.External = ext
		} else if n.ExternalLocation != "" {
			if ext, err := relation.DuckDBExternalLocation(n.ExternalLocation, "", map[string]string{"name": n.Name, "identifier": n.Identifier}); err == nil {
				s.External = ext
			}
		}
	}
	if ma, mi, ok := deferral.Version(p.Dev.Meta.DbtVersion); ok && ma == 1 && mi == 8 {
		return p.Adapter.ForSourceWithProject(s, p.Quoting).Render()
	}
	return p.Adapter.ForSource(s).Render()
}

// FindNode finds a node by unique_id or by name (models first, then any
// refable node, then any node with that name).
func (p *Project) FindNode(idOrName string) (*manifest.Node, error) {
	if p.Dev.Has("nodes", idOrName) {
		return p.Dev.Node(idOrName)
	}
	r, err := ParseRef(idOrName)
	if err == nil && r.Kind == "ref" {
		l := p.Dev.LookupRef(manifest.LookupQuery{Name: r.Name, Package: r.Package, Version: r.Version, Root: p.Root, CallerPackage: p.Root, FirstMatchOnAmbiguity: true})
		if l.Status == manifest.Found {
			return p.Dev.Node(l.UniqueID)
		}
	}
	for _, uid := range p.Dev.Keys("nodes") {
		if _, _, rest, ok := splitUID(uid); ok && rest == idOrName {
			return p.Dev.Node(uid)
		}
	}
	cands := append([]string{}, p.Dev.RefNames()...)
	return nil, diag.Errorf("node.not_found", diag.Location{File: p.Dev.File, Suggestion: diag.Closest(idOrName, cands)},
		"no node %q in the dev manifest", idOrName)
}

func quoteList(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = "'" + id + "'"
	}
	return strings.Join(q, ", ")
}
