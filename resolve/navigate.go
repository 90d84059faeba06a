package resolve

// navigate.go answers what a page or an IDE needs to list and navigate a
// project without parsing the manifest itself: Nodes (a searchable, paged
// list), NodeDetail (one node's code, config, docs, columns and tests) and
// Lineage (a node's neighbourhood, each node marked with where its relation
// resolves under the given defer flags). Every answer is bounded: a list is
// a page, a lineage stops at its limit and says so.

import (
	"cmp"
	"sort"
	"strings"
	"sync"

	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/fuzzy"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
	"github.com/valyala/fastjson"
)

// Default and largest page sizes of Nodes, and the default bound of a
// Lineage. A caller may ask for more than the default, up to the maximum.
const (
	DefaultNodesLimit   = 100
	MaxNodesLimit       = 100_000
	DefaultLineageLimit = 200
	MaxLineageLimit     = 10_000
	DefaultLineageDepth = 1
)

// ListedTypes are the resource types Nodes lists when none are asked for:
// what a model picker offers.
var ListedTypes = []string{"model", "seed", "snapshot", "analysis"}

// sectionOf is the manifest section a resource type's entries live in.
var sectionOf = map[string]string{
	"model": "nodes", "seed": "nodes", "snapshot": "nodes", "analysis": "nodes", "test": "nodes",
	"operation": "nodes", "sql_operation": "nodes", "function": "functions", "source": "sources",
	"exposure": "exposures", "metric": "metrics", "semantic_model": "semantic_models",
	"saved_query": "saved_queries", "unit_test": "unit_tests",
}

// NodesQuery is what Nodes lists: nodes of some resource types (default
// ListedTypes), of one package, whose name matches Query, a page of them.
type NodesQuery struct {
	ResourceType []string `json:"resourceType"`
	Package      string   `json:"package"`
	// Query is matched against names fuzzily (package fuzzy); with a dot or
	// a slash in it, against the unique_id and the file path too.
	Query  string `json:"query"`
	Limit  int    `json:"limit"` // default DefaultNodesLimit, at most MaxNodesLimit
	Offset int    `json:"offset"`
}

// NodeSummary is one row of Nodes.
type NodeSummary struct {
	UniqueID      string `json:"uniqueId"`
	Name          string `json:"name"`
	ResourceType  string `json:"resourceType"`
	Package       string `json:"package"`
	Path          string `json:"path"`
	Materialized  string `json:"materialized,omitempty"`
	Version       string `json:"version,omitempty"`
	LatestVersion string `json:"latestVersion,omitempty"`
	// Latest is set on a versioned model that is its latest version.
	Latest bool   `json:"latest,omitempty"`
	Access string `json:"access,omitempty"`
	// State compares the node with the state (dbt's state:new and
	// state:modified): "new", "modified" or "unchanged"; absent without one.
	State string `json:"state,omitempty"`
	// Matches are the UTF-16 offsets in Name (or, for a query with a dot or
	// slash, in UniqueID: see MatchedIn) of the query's characters.
	Matches   []int  `json:"matches,omitempty"`
	MatchedIn string `json:"matchedIn,omitempty"`
}

// NodesResult is a page of Nodes: Total matched before paging.
type NodesResult struct {
	Nodes  []NodeSummary `json:"nodes"`
	Total  int           `json:"total"`
	Offset int           `json:"offset"`
	Limit  int           `json:"limit"`
}

// listed is a node Nodes considers, before its page decodes its head.
type listed struct {
	uid, name, typ string
	score          int
}

// Nodes lists the dev manifest's nodes. Names, resource types and packages
// come from the unique_ids (models, seeds and the like are named by their
// last segments), so listing a 50 000-node project reads no entry; only
// the rows of the page asked for are decoded.
func (p *Project) Nodes(q NodesQuery) (*NodesResult, error) {
	if q.Limit < 0 || q.Offset < 0 {
		return nil, diag.Errorf("options.invalid", diag.Location{}, "nodes: limit and offset must not be negative")
	}
	if q.Limit == 0 {
		q.Limit = DefaultNodesLimit
	}
	if q.Limit > MaxNodesLimit {
		return nil, diag.Errorf("options.invalid", diag.Location{}, "nodes: limit is at most %d, got %d", MaxNodesLimit, q.Limit)
	}
	types := q.ResourceType
	if len(types) == 0 {
		types = ListedTypes
	}
	want := map[string]bool{}
	var sections []string
	for _, t := range types {
		sec, ok := sectionOf[t]
		if !ok {
			names := make([]string, 0, len(sectionOf))
			for k := range sectionOf {
				names = append(names, k)
			}
			sort.Strings(names)
			return nil, diag.Errorf("options.invalid", diag.Location{Suggestion: diag.Closest(t, names)}, "nodes: unknown resourceType %q", t)
		}
		if !want[t] {
			want[t] = true
			if !contains(sections, sec) {
				sections = append(sections, sec)
			}
		}
	}
	query := strings.TrimSpace(q.Query)
	byPath := strings.ContainsAny(query, "./")
	var rows []listed
	for _, sec := range sections {
		for _, uid := range p.Dev.Keys(sec) {
			typ, pkg, rest, ok := splitUID(uid)
			if !ok {
				continue
			}
			if typ == "sql" {
				typ = "sql_operation"
			}
			if !want[typ] || q.Package != "" && pkg != q.Package {
				continue
			}
			r := listed{uid: uid, name: nameOfRest(typ, rest), typ: typ}
			if query != "" {
				text := r.name
				if byPath {
					text = uid
				}
				if r.score = fuzzy.Score(query, text, nil); r.score == fuzzy.NoMatch {
					continue
				}
			}
			rows = append(rows, r)
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := &rows[i], &rows[j]
		if a.score != b.score {
			return a.score > b.score
		}
		if am, bm := a.typ == "model", b.typ == "model"; am != bm {
			return am
		}
		if a.name != b.name {
			return a.name < b.name
		}
		return a.uid < b.uid
	})
	out := &NodesResult{Nodes: []NodeSummary{}, Total: len(rows), Offset: q.Offset, Limit: q.Limit}
	if q.Offset >= len(rows) {
		return out, nil
	}
	page := rows[q.Offset:min(len(rows), q.Offset+q.Limit)]
	status := p.stateStatus()
	for _, r := range page {
		s := NodeSummary{UniqueID: r.uid, Name: r.name, ResourceType: r.typ}
		_, s.Package, _, _ = splitUID(r.uid)
		if n, err := p.Dev.Head(r.uid); err == nil {
			s.fill(n)
		}
		if status != nil {
			s.State = status(r.uid)
		}
		if query != "" {
			text, in := s.Name, ""
			if byPath {
				text, in = s.UniqueID, "uniqueId"
			}
			var pos []int
			if fuzzy.Score(query, text, &pos) != fuzzy.NoMatch {
				fuzzy.UTF16(text, pos)
				s.Matches, s.MatchedIn = pos, in
			}
		}
		out.Nodes = append(out.Nodes, s)
	}
	return out, nil
}

// fill copies what a summary shows from the node's head.
func (s *NodeSummary) fill(n *manifest.Node) {
	if n.Name != "" {
		s.Name = n.Name
		if n.ResourceType == "source" && n.SourceName != "" {
			s.Name = n.SourceName + "." + n.Name
		}
	}
	if n.PackageName != "" {
		s.Package = n.PackageName
	}
	s.Path = cmp.Or(n.OriginalFilePath, n.Path)
	s.Materialized, s.Access = n.Materialized, n.Access
	if n.HasVersion {
		s.Version, s.LatestVersion = n.Version, n.LatestVersion
		s.Latest = n.IsLatestVersion != nil && *n.IsLatestVersion || n.HasLatestVersion && n.Version == n.LatestVersion
	}
}

// nameOfRest is a node's name from its unique_id's segments after the
// package: models' versions (".v2") and tests' hashes are not part of it;
// a source is named source.table.
func nameOfRest(typ, rest string) string {
	switch typ {
	case "source":
		return rest
	case "model":
		if i := strings.LastIndexByte(rest, '.'); i >= 0 && isVersionSuffix(rest[i+1:]) {
			return rest[:i]
		}
	case "test":
		if i := strings.LastIndexByte(rest, '.'); i >= 0 && isHash(rest[i+1:]) {
			return rest[:i]
		}
	}
	return rest
}

func isVersionSuffix(s string) bool {
	return len(s) > 1 && s[0] == 'v' && !strings.ContainsFunc(s[1:], func(r rune) bool { return r == '.' })
}

func isHash(s string) bool {
	if len(s) < 6 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// PrepareNavigation builds, ahead of a first Nodes, NodeDetail or Lineage
// call, what they share: the dev graph and the set of nodes changed against
// the state. Hosts call it while idle (the browser module, at the end of
// warming); it is safe to call more than once.
func (p *Project) PrepareNavigation() {
	p.graph().Len()
	p.stateStatus()
}

// stateStatus answers "new", "modified" or "unchanged" for a dev node
// against the comparison state, as dbt's state:new and state:modified
// select them; nil without a state. The modified set is computed once.
func (p *Project) stateStatus() func(uid string) string {
	if p.Compare == nil {
		return nil
	}
	p.navOnce.Do(func() {
		if r, err := p.Select([]string{"state:modified"}, Options{}); err == nil {
			p.modified = r.Set
		}
	})
	return func(uid string) string {
		sec := sectionOf[resourceTypeOfUID(uid)]
		if sec == "" {
			sec = "nodes"
		}
		switch {
		case !p.Compare.Has(sec, uid):
			return "new"
		case p.modified[uid]:
			return "modified"
		}
		return "unchanged"
	}
}

func resourceTypeOfUID(uid string) string {
	t, _, _ := strings.Cut(uid, ".")
	if t == "sql" {
		return "sql_operation"
	}
	return t
}

// NodeDetail is one node as a node panel shows it.
type NodeDetail struct {
	NodeSummary
	OriginalFilePath string `json:"originalFilePath,omitempty"`
	PatchPath        string `json:"patchPath,omitempty"`
	Language         string `json:"language,omitempty"`
	Group            string `json:"group,omitempty"`
	Description      string `json:"description"`
	RawCode          string `json:"rawCode"`
	// CompiledCode is what dbt compiled, when the manifest has it (null
	// otherwise: compile() makes a preview).
	CompiledCode *string        `json:"compiledCode"`
	Config       map[string]any `json:"config"`
	Meta         map[string]any `json:"meta"`
	Tags         []string       `json:"tags"`
	Columns      []Column       `json:"columns"`
	// Tests are the tests on the node, each with the column it tests.
	Tests []TestSummary `json:"tests"`
	// DependsOn are its parents (depends_on.nodes), Children its children
	// other than tests.
	DependsOn []string `json:"dependsOn"`
	Children  []string `json:"children"`
	// Offset is the entry's byte offset in the dev manifest.
	Offset int `json:"offset"`
}

// Column is one documented column.
type Column struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	DataType    string         `json:"dataType,omitempty"`
	Tags        []string       `json:"tags,omitempty"`
	Meta        map[string]any `json:"meta,omitempty"`
}

// TestSummary is a test attached to a node.
type TestSummary struct {
	UniqueID string `json:"uniqueId"`
	Name     string `json:"name"`
	Column   string `json:"column,omitempty"`
}

// NodeDetail describes the node idOrName (a unique_id or a name, as
// FindNode finds it; sources by unique_id).
func (p *Project) NodeDetail(idOrName string) (*NodeDetail, error) {
	if idOrName == "" {
		return nil, diag.Errorf("options.missing", diag.Location{}, "node: a unique_id or name is required")
	}
	var n *manifest.Node
	var err error
	if sec := sectionOf[resourceTypeOfUID(idOrName)]; sec != "" && sec != "nodes" && p.Dev.Has(sec, idOrName) {
		n, err = p.Dev.Node(idOrName)
	} else {
		n, err = p.FindNode(idOrName)
	}
	if err != nil {
		return nil, err
	}
	typ, pkg, rest, _ := splitUID(n.UniqueID)
	d := &NodeDetail{NodeSummary: NodeSummary{UniqueID: n.UniqueID, Name: nameOfRest(typ, rest), ResourceType: cmp.Or(n.ResourceType, typ), Package: pkg}}
	d.fill(n)
	if status := p.stateStatus(); status != nil {
		d.State = status(n.UniqueID)
	}
	d.OriginalFilePath, d.PatchPath, d.Language, d.Group = n.OriginalFilePath, n.PatchPath, n.Language, n.Group
	d.Description, d.RawCode, d.Offset = n.Description, n.RawCode, n.Offset
	if n.HasCompiled {
		c := n.CompiledCode
		d.CompiledCode = &c
	}
	d.Tags = nonNilStrings(n.Tags)
	d.DependsOn = nonNilStrings(n.DependsOnNodes)
	d.Config, d.Meta, d.Columns = map[string]any{}, map[string]any{}, []Column{}
	if err := d.readEntry(n); err != nil {
		return nil, diag.Errorf("manifest.entry", diag.Location{File: p.Dev.File, UniqueID: n.UniqueID, Offset: n.Offset}, "node: %v", err)
	}
	d.Tests, d.Children = []TestSummary{}, []string{}
	g := p.graph()
	if g.Has(n.UniqueID) {
		for _, c := range g.Children(n.UniqueID) {
			if !strings.HasPrefix(c, "test.") {
				d.Children = append(d.Children, c)
				continue
			}
			t := TestSummary{UniqueID: c}
			_, _, rest, _ := splitUID(c)
			t.Name = nameOfRest("test", rest)
			if raw, _, ok := p.Dev.Raw("nodes", c); ok {
				if v, err := fastjson.ParseBytes(raw); err == nil {
					t.Column = string(v.GetStringBytes("column_name"))
					if t.Column == "" {
						t.Column = string(v.GetStringBytes("test_metadata", "kwargs", "column_name"))
					}
					if nm := v.GetStringBytes("name"); len(nm) > 0 {
						t.Name = string(nm)
					}
				}
			}
			d.Tests = append(d.Tests, t)
		}
	}
	return d, nil
}

// readEntry reads what a Node does not decode from the entry's JSON: its
// config, meta and columns.
func (d *NodeDetail) readEntry(n *manifest.Node) error {
	if len(n.Raw) == 0 {
		return nil
	}
	v, err := fastjson.ParseBytes(n.Raw)
	if err != nil {
		return err
	}
	if m, ok := manifest.GoValue(v.Get("config"), false).(map[string]any); ok {
		d.Config = m
	}
	if m, ok := manifest.GoValue(v.Get("meta"), false).(map[string]any); ok && len(m) > 0 {
		d.Meta = m
	} else if m, ok := d.Config["meta"].(map[string]any); ok {
		d.Meta = m
	}
	if cols := v.GetObject("columns"); cols != nil {
		cols.Visit(func(k []byte, c *fastjson.Value) {
			col := Column{Name: string(k)}
			if nm := c.GetStringBytes("name"); len(nm) > 0 {
				col.Name = string(nm)
			}
			col.Description = string(c.GetStringBytes("description"))
			col.DataType = string(c.GetStringBytes("data_type"))
			for _, t := range c.GetArray("tags") {
				if b, err := t.StringBytes(); err == nil {
					col.Tags = append(col.Tags, string(b))
				}
			}
			if m, ok := manifest.GoValue(c.Get("meta"), false).(map[string]any); ok && len(m) > 0 {
				col.Meta = m
			}
			d.Columns = append(d.Columns, col)
		})
	}
	return nil
}

// LineageQuery is a node's neighbourhood: Depth steps upstream (Up) and
// downstream (Down), at most Limit nodes, tests left out unless Tests;
// each node resolved as a ref from the root under Options.
type LineageQuery struct {
	Node  string
	Up    bool
	Down  bool
	Depth int // default (0) DefaultLineageDepth
	Limit int // default DefaultLineageLimit, at most MaxLineageLimit
	Tests bool
	Options
}

// LineageNode is one node of a lineage, with where its relation resolves.
type LineageNode struct {
	UniqueID     string `json:"uniqueId"`
	Name         string `json:"name"`
	ResourceType string `json:"resourceType"`
	Package      string `json:"package"`
	Materialized string `json:"materialized,omitempty"`
	// Depth is 0 for the root, -k k steps upstream, k downstream.
	Depth int `json:"depth"`
	// State is "new", "modified" or "unchanged" against the state.
	State string `json:"state,omitempty"`
	// Relation, Env, Rule, Reason and Selected: the node as a ref() from
	// the root resolves it (the root: as `this`; sources as source()).
	// Nodes that are not relations (tests, exposures…) have none.
	Relation   string       `json:"relation,omitempty"`
	Env        deferral.Env `json:"env,omitempty"`
	Rule       string       `json:"rule,omitempty"`
	Reason     string       `json:"reason,omitempty"`
	Selected   bool         `json:"selected,omitempty"`
	Assumption bool         `json:"assumption,omitempty"`
	// StateRun is production's run status of a node that resolves there
	// (Inputs.StateRunResults).
	StateRun *NodeRun `json:"stateRun,omitempty"`
	// Error is why the node could not be resolved from the root (a
	// private model of another group, an ambiguous name…).
	Error *diag.Diagnostic `json:"error,omitempty"`
}

// LineageEdge is parent → child.
type LineageEdge struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// LineageResult is a lineage: its nodes (root first, then by depth), the
// edges among them, and whether Limit cut it.
type LineageResult struct {
	Root        string            `json:"root"`
	Nodes       []LineageNode     `json:"nodes"`
	Edges       []LineageEdge     `json:"edges"`
	Truncated   bool              `json:"truncated"`
	State       *StateInfo        `json:"state"`
	Diagnostics []diag.Diagnostic `json:"diagnostics"`
}

// Lineage walks the dev graph from the node q.Node.
func (p *Project) Lineage(q LineageQuery) (*LineageResult, error) {
	if q.Node == "" {
		return nil, diag.Errorf("options.missing", diag.Location{}, "lineage: node is required (a name or unique_id)")
	}
	if q.Depth < 0 || q.Limit < 0 {
		return nil, diag.Errorf("options.invalid", diag.Location{}, "lineage: depth and limit must not be negative")
	}
	if q.Limit == 0 {
		q.Limit = DefaultLineageLimit
	}
	if q.Depth == 0 {
		q.Depth = DefaultLineageDepth
	}
	if q.Limit > MaxLineageLimit {
		return nil, diag.Errorf("options.invalid", diag.Location{}, "lineage: limit is at most %d, got %d", MaxLineageLimit, q.Limit)
	}
	root := q.Node
	if sec := sectionOf[resourceTypeOfUID(root)]; sec == "" || sec == "nodes" || !p.Dev.Has(sec, root) {
		n, err := p.FindNode(root)
		if err != nil {
			return nil, err
		}
		root = n.UniqueID
	}
	from := root
	if !p.Dev.Has("nodes", root) {
		from = "" // a source or an exposure: refs resolve as from ad-hoc SQL
	}
	c, warns, err := p.NewCall(from, q.Options)
	if err != nil {
		return nil, err
	}
	g := p.graph()
	out := &LineageResult{Root: root, Nodes: []LineageNode{}, Edges: []LineageEdge{}, State: p.StateInfo(), Diagnostics: nonNilDiags(warns)}
	depth := map[string]int{root: 0}
	order := []string{root}
	keep := func(uid string) bool {
		return q.Tests || !strings.HasPrefix(uid, "test.") && !strings.HasPrefix(uid, "unit_test.")
	}
	walk := func(up bool) {
		frontier := []string{root}
		for d := 1; d <= q.Depth && len(frontier) > 0; d++ {
			var next []string
			for _, id := range frontier {
				var around []string
				if up {
					around = g.Parents(id)
				} else {
					around = g.Children(id)
				}
				for _, o := range around {
					if _, seen := depth[o]; seen || !keep(o) {
						continue
					}
					if len(order) >= q.Limit {
						out.Truncated = true
						return
					}
					if up {
						depth[o] = -d
					} else {
						depth[o] = d
					}
					order = append(order, o)
					next = append(next, o)
				}
			}
			frontier = next
		}
	}
	if g.Has(root) {
		if q.Up {
			walk(true)
		}
		if q.Down {
			walk(false)
		}
	}
	status := p.stateStatus()
	for _, uid := range order {
		ln := p.lineageNode(c, uid, uid == root, depth[uid], status)
		out.Nodes = append(out.Nodes, ln)
		if ln.StateRun != nil && !okRun(ln.StateRun.Status) {
			out.Diagnostics = append(out.Diagnostics, p.parentNotSuccess(uid, ln.Relation, ln.StateRun))
		}
		if !g.Has(uid) {
			continue
		}
		for _, ch := range g.Children(uid) {
			if _, in := depth[ch]; in {
				out.Edges = append(out.Edges, LineageEdge{From: uid, To: ch})
			}
		}
	}
	return out, nil
}

// lineageNode describes uid and resolves it from the lineage's call.
func (p *Project) lineageNode(c *Call, uid string, isRoot bool, depth int, status func(string) string) LineageNode {
	typ, pkg, rest, _ := splitUID(uid)
	if typ == "sql" {
		typ = "sql_operation"
	}
	ln := LineageNode{UniqueID: uid, Name: nameOfRest(typ, rest), ResourceType: typ, Package: pkg, Depth: depth}
	if status != nil {
		ln.State = status(uid)
	}
	n, err := p.Dev.Head(uid)
	if err != nil {
		de := asDiag(err, uid)
		ln.Error = &de
		return ln
	}
	var s NodeSummary
	s.fill(n)
	ln.Name, ln.Materialized = cmp.Or(s.Name, ln.Name), n.Materialized
	var spec RefSpec
	switch {
	case isRoot && c.From != nil:
		spec = RefSpec{Kind: "this"}
	case n.ResourceType == "source":
		spec = RefSpec{Kind: "source", Source: n.SourceName, Name: n.Name}
	case n.IsRefable():
		spec = RefSpec{Kind: "ref", Name: n.Name, Package: n.PackageName, Version: n.Version}
	default:
		return ln
	}
	res, err := p.ResolveOne(c, spec)
	if err != nil {
		de := asDiag(err, uid)
		ln.Error = &de
		return ln
	}
	ln.Relation, ln.Env, ln.Rule, ln.Reason, ln.Selected, ln.Assumption = res.Relation, res.Env, res.Rule, res.Reason, res.Selected, res.Assumption
	ln.StateRun = res.StateRun
	return ln
}

// asDiag is err as a diagnostic of error severity.
func asDiag(err error, uid string) diag.Diagnostic {
	if de, ok := err.(*diag.Error); ok {
		return de.Diagnostic
	}
	return diag.Errorf("internal.error", diag.Location{UniqueID: uid}, "%v", err).Diagnostic
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilDiags(s []diag.Diagnostic) []diag.Diagnostic {
	if s == nil {
		return []diag.Diagnostic{}
	}
	return s
}

// navState is what Nodes, NodeDetail and Lineage compute once.
type navState struct {
	navOnce  sync.Once
	modified map[string]bool
}
