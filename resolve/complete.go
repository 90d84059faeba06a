package resolve

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/fuzzy"
	"github.com/dbtdefer/dbtdefer/resolve/lang"
)

// CompleteRequest is a completion at a cursor: the buffer, the cursor's
// UTF-16 offset (an editor's position), the model and flags as Analyze's.
type CompleteRequest struct {
	AnalyzeRequest
	Offset int
	Limit  int // default DefaultCompleteLimit, at most MaxCompleteLimit
}

const (
	DefaultCompleteLimit = 50
	MaxCompleteLimit     = 1000
)

// CompleteResult is what to offer at the cursor: items replacing the text
// from From to To (the word being typed), best first.
type CompleteResult struct {
	From  lang.Pos         `json:"from"`
	To    lang.Pos         `json:"to"`
	Items []CompletionItem `json:"items"`
	// Context says what the cursor is in: ref, ref-package, ref-version,
	// source, source-table, var, config, config-materialized, jinja, or
	// none (outside Jinja, in a comment).
	Context string `json:"context"`
}

// CompletionItem is one thing to insert.
type CompletionItem struct {
	Label string `json:"label"`
	// Kind is model, seed, snapshot, package, version, source, table,
	// macro, var, config, materialization or function.
	Kind       string `json:"kind"`
	Detail     string `json:"detail,omitempty"`
	InsertText string `json:"insertText"`
	// UniqueID is what the item names, where it names a node or a macro.
	UniqueID string `json:"uniqueId,omitempty"`
	score    int
}

// completionIndex is the names completion offers, made once per project.
type completionIndex struct {
	refables []refable
	// byLower is refables' indices sorted by lowercased label, and
	// maxLabel the longest label: a query's prefix matches are a range.
	byLower  []int32
	maxLabel int
	sources  map[string][]sourceTable // by source name
	srcNames []string
	packages []string
}

type refable struct {
	uid, kind, pkg, name, version string
	label, insert, lower          string // the item's label and text, and the label lowercased
}

type sourceTable struct{ uid, table string }

func (p *Project) completions() *completionIndex {
	p.complOnce.Do(func() {
		ix := &completionIndex{sources: map[string][]sourceTable{}}
		pkgs := map[string]bool{}
		for _, uid := range p.Dev.Keys("nodes") {
			kind, rest, _ := strings.Cut(uid, ".")
			if kind != "model" && kind != "seed" && kind != "snapshot" {
				continue
			}
			pkg, name, ok := strings.Cut(rest, ".")
			if !ok {
				continue
			}
			version := ""
			if n, v, ok := strings.Cut(name, ".v"); ok {
				name, version = n, v
			}
			r := refable{uid: uid, kind: kind, pkg: pkg, name: name, version: version, label: name, insert: name}
			if version != "" {
				r.kind, r.label, r.insert = "version", name+" v"+version, name+"', v='"+version
			}
			r.lower = strings.ToLower(r.label)
			ix.maxLabel = max(ix.maxLabel, len(r.label))
			ix.refables = append(ix.refables, r)
			pkgs[pkg] = true
		}
		for _, uid := range p.Dev.Keys("sources") {
			parts := strings.SplitN(uid, ".", 4)
			if len(parts) != 4 {
				continue
			}
			if _, ok := ix.sources[parts[2]]; !ok {
				ix.srcNames = append(ix.srcNames, parts[2])
			}
			ix.sources[parts[2]] = append(ix.sources[parts[2]], sourceTable{uid: uid, table: parts[3]})
		}
		for pkg := range pkgs {
			ix.packages = append(ix.packages, pkg)
		}
		ix.byLower = make([]int32, len(ix.refables))
		for i := range ix.byLower {
			ix.byLower[i] = int32(i)
		}
		sort.Slice(ix.byLower, func(a, b int) bool { return ix.refables[ix.byLower[a]].lower < ix.refables[ix.byLower[b]].lower })
		sort.Strings(ix.packages)
		sort.Strings(ix.srcNames)
		p.compl = ix
	})
	return p.compl
}

// prefixRanges turns prefixRange on (a test compares with it off).
var prefixRanges = true

// prefixRange is the range of byLower whose labels start with query
// (case-insensitively), when it holds at least limit of them and the
// ranking allows taking them alone (see Complete): labels under 150 bytes,
// a query of at most 12.
func (ix *completionIndex) prefixRange(query string, limit int) (lo, hi int, ok bool) {
	if !prefixRanges || query == "" || len(query) > 12 || ix.maxLabel >= 150 {
		return 0, 0, false
	}
	q := strings.ToLower(query)
	lower := func(i int) string { return ix.refables[ix.byLower[i]].lower }
	lo = sort.Search(len(ix.byLower), func(i int) bool { return lower(i) >= q })
	hi = lo + sort.Search(len(ix.byLower)-lo, func(i int) bool { return !strings.HasPrefix(lower(lo+i), q) })
	return lo, hi, hi-lo >= limit
}

// configKeys are the model configs completion offers inside config().
var configKeys = []string{"materialized", "schema", "database", "alias", "tags", "enabled", "unique_key",
	"incremental_strategy", "on_schema_change", "full_refresh", "pre_hook", "post_hook", "persist_docs",
	"grants", "meta", "docs", "contract", "access", "group", "sql_header", "cluster_by", "partition_by",
	"quoting", "column_types", "on_configuration_change", "event_time", "batch_size", "lookback", "begin", "snapshot_meta_column_names"}

// materializations are the values of materialized= completion offers.
var materializations = []string{"view", "table", "incremental", "ephemeral", "materialized_view", "microbatch"}

// contextNames are dbt's context members completion offers at a Jinja
// name (with macros).
var contextNames = []string{"ref", "source", "this", "var", "env_var", "config", "is_incremental", "adapter",
	"target", "log", "return", "run_query", "statement", "exceptions", "modules", "invocation_id", "run_started_at",
	"builtins", "graph", "model", "execute", "flags", "project_name", "dbt_version", "fromjson", "tojson", "fromyaml", "toyaml", "zip", "set", "local_md5"}

// Complete answers what may be typed at the cursor.
func (p *Project) Complete(req CompleteRequest) (*CompleteResult, error) {
	if req.Limit < 0 || req.Limit > MaxCompleteLimit {
		return nil, diag.Errorf("options.limit", diag.Location{}, "complete: limit is between 0 and %d, got %d", MaxCompleteLimit, req.Limit)
	}
	if req.Limit == 0 {
		req.Limit = DefaultCompleteLimit
	}
	c, _, err := p.bufferCall(req.Model, req.Options)
	if err != nil {
		return nil, err
	}
	text := req.SQL
	buf := lang.NewBuffer(text)
	cur := buf.ByteOf(req.Offset)
	scan := lang.Read(text)
	res := &CompleteResult{From: buf.Pos(cur), To: buf.Pos(cur), Items: []CompletionItem{}, Context: "none"}
	region := -1
	for i, r := range scan.Regions {
		if r.Kind != lang.Comment && r.InnerStart <= cur && cur <= r.InnerEnd {
			region = i
		}
	}
	if region < 0 {
		return res, nil
	}
	ix := p.completions()
	at := argAt(text, scan, region, cur)
	// The word being typed: from its start to the end of the word the cursor is in.
	wordStart, wordEnd := cur, cur
	for wordStart > 0 && isWordByte(text[wordStart-1]) {
		wordStart--
	}
	for wordEnd < len(text) && isWordByte(text[wordEnd]) {
		wordEnd++
	}
	if at.inString {
		wordStart = at.strStart
		for wordEnd < len(text) && text[wordEnd] != at.quote && text[wordEnd] != '\n' {
			wordEnd++
		}
	}
	query := text[wordStart:cur]
	res.From, res.To = buf.Pos(wordStart), buf.Pos(max(wordEnd, cur))
	items := make([]CompletionItem, 0, min(req.Limit, 64))
	keep := func(label, kind, detail, insert, uid string, s int) {
		// The best req.Limit so far, kept sorted: a keystroke in ref( scores
		// every refable name, and sorting them all was most of its time.
		it := CompletionItem{Label: label, Kind: kind, Detail: detail, InsertText: insert, UniqueID: uid, score: s}
		if len(items) == req.Limit && !better(it, items[len(items)-1]) {
			return
		}
		at := sort.Search(len(items), func(i int) bool { return better(it, items[i]) })
		if len(items) < req.Limit {
			items = append(items, CompletionItem{})
		}
		copy(items[at+1:], items[at:len(items)-1])
		items[at] = it
	}
	add := func(label, kind, detail, insert, uid string) {
		if s := fuzzy.Score(query, label, nil); s != fuzzy.NoMatch {
			keep(label, kind, detail, insert, uid, s)
		}
	}
	callee := ""
	if at.call != nil {
		callee = at.call.Name
	}
	switch {
	case callee == "ref" && at.inString && at.key == "" && at.index == 0:
		res.Context = "ref"
		if lo, hi, ok := ix.prefixRange(query, req.Limit); ok {
			// At least Limit names start with the query: they outrank every
			// other match (fuzzy.Score: a match at the start scores 1300 -
			// len, one inside a word at most 1150 - len, a scattered one for
			// a query this short less), so only they are ranked, and their
			// score is known without scoring them.
			for _, i := range ix.byLower[lo:hi] {
				r := &ix.refables[i]
				s := 1300 - len(r.label)
				if len(r.label) == len(query) {
					s += 500
				}
				keep(r.label, r.kind, "", r.insert, r.uid, s)
			}
		} else {
			for i := range ix.refables {
				r := &ix.refables[i]
				add(r.label, r.kind, "", r.insert, r.uid)
			}
		}
		for _, pkg := range ix.packages {
			if pkg != p.Root {
				add(pkg, "package", "package: ref('"+pkg+"', 'name')", pkg, "")
			}
		}
	case callee == "ref" && at.inString && at.key == "" && at.index == 1:
		res.Context = "ref-package"
		pkg := at.args[0]
		for _, r := range ix.refables {
			if r.pkg == pkg {
				add(r.name, r.kind, "", r.name, r.uid)
			}
		}
	case callee == "ref" && (at.key == "v" || at.key == "version"):
		res.Context = "ref-version"
		name := ""
		if len(at.args) > 0 {
			name = at.args[len(at.args)-1]
		}
		for _, r := range ix.refables {
			if r.name == name && r.version != "" {
				ins := r.version
				if !at.inString {
					ins = "'" + r.version + "'"
				}
				add(r.version, "version", r.uid, ins, r.uid)
			}
		}
	case callee == "source" && at.inString && at.index == 0:
		res.Context = "source"
		for _, s := range ix.srcNames {
			add(s, "source", fmt.Sprintf("%d tables", len(ix.sources[s])), s, "")
		}
	case callee == "source" && at.inString && at.index == 1 && len(at.args) > 0:
		res.Context = "source-table"
		for _, t := range ix.sources[at.args[0]] {
			add(t.table, "table", "", t.table, t.uid)
		}
	case callee == "var" && at.inString && at.index == 0:
		res.Context = "var"
		vars := varScope{req: req.Vars, project: req.ProjectVars, packages: req.PackageVars, pkg: p.callerPackage(c)}
		for _, n := range vars.names() {
			v, _ := vars.lookup(n)
			add(n, "var", fmt.Sprintf("= %v", v), n, "")
		}
	case callee == "config" && at.inString && at.key == "materialized":
		res.Context = "config-materialized"
		for _, m := range materializations {
			add(m, "materialization", "", m, "")
		}
	case callee == "config" && !at.inString && at.key == "":
		res.Context = "config"
		for _, k := range configKeys {
			add(k, "config", "", k+"=", "")
		}
	case !at.inString:
		res.Context = "jinja"
		comp := p.Compiler()
		if wordStart > 0 && text[wordStart-1] == '.' {
			// pkg.| : the word before the dot names a package.
			ps := wordStart - 1
			for ps > 0 && isWordByte(text[ps-1]) {
				ps--
			}
			for _, m := range comp.PackageMacros(text[ps : wordStart-1]) {
				if offeredMacro(m.Name) {
					add(m.Name, "macro", m.Package, m.Name, m.UniqueID)
				}
			}
			break
		}
		for _, n := range contextNames {
			add(n, "function", "dbt", n, "")
		}
		// The macros a bare name calls from the project: the calling
		// package's, then the root project's (dbt's internal ones are its
		// context, not offered one by one).
		caller := p.callerPackage(c)
		for _, pkg := range []string{caller, p.Root} {
			for _, m := range comp.PackageMacros(pkg) {
				if found, _ := comp.FindMacro(m.Name, caller); found.UniqueID == m.UniqueID && offeredMacro(m.Name) {
					add(m.Name, "macro", m.Package, m.Name, m.UniqueID)
				}
			}
			if caller == p.Root {
				break
			}
		}
		for _, pkg := range ix.packages {
			if pkg != p.Root {
				add(pkg, "package", "package", pkg+".", "")
			}
		}
	default:
		return res, nil
	}
	// Where each model would resolve now, for the items shown.
	for i := range items {
		it := &items[i]
		if it.UniqueID == "" || (it.Kind != "model" && it.Kind != "seed" && it.Kind != "snapshot" && it.Kind != "version" && it.Kind != "table") {
			continue
		}
		n, err := p.Dev.Head(it.UniqueID)
		if err != nil {
			continue
		}
		spec := RefSpec{Kind: "ref", Name: n.Name, Package: n.PackageName, Version: n.Version}
		if it.Kind == "table" {
			spec = RefSpec{Kind: "source", Source: n.SourceName, Name: n.Name}
		}
		if r, err := p.ResolveOne(c, spec); err == nil {
			env := "dev"
			if r.Env == deferral.State {
				env = "prod"
			} else if r.Env == deferral.Ephemeral {
				env = "ephemeral"
			}
			it.Detail = env + " " + r.Relation + " (" + string(r.Rule) + ")"
		}
	}
	res.Items = items
	return res, nil
}

// offeredMacro says a macro is one a model calls: not a generic test's or a
// materialization's.
func offeredMacro(name string) bool {
	return !strings.HasPrefix(name, "test_") && !strings.HasPrefix(name, "materialization_")
}

// better ranks completion items: higher score first, then by label.
func better(a, b CompletionItem) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.Label < b.Label
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// cursorArg is where the cursor is among a call's arguments.
type cursorArg struct {
	call     *lang.Call
	index    int      // the positional argument's index (keyword arguments not counted)
	key      string   // the keyword of the argument, for key=value
	args     []string // the string values of the positional arguments before it
	inString bool
	strStart int // the first byte of the string's content
	quote    byte
}

// argAt finds the innermost call whose argument list holds cur, and where
// in it cur is.
func argAt(text string, scan *lang.Scan, region, cur int) cursorArg {
	var best *lang.Call
	for i := range scan.Calls {
		c := &scan.Calls[i]
		if c.Region != region || c.Open < 0 || c.Open >= cur {
			continue
		}
		if c.Closed && cur >= c.End {
			continue
		}
		if best == nil || c.Open > best.Open {
			best = c
		}
	}
	out := cursorArg{call: best}
	start := scan.Regions[region].InnerStart
	if best != nil {
		start = best.Open + 1
	}
	// Walk from the argument list's start to the cursor: strings, nesting,
	// commas and keywords.
	depth := 0
	argBegin := start
	for i := start; i < cur; i++ {
		ch := text[i]
		switch {
		case ch == '\'' || ch == '"':
			j := i + 1
			for j < cur && text[j] != ch && text[j] != '\n' {
				if text[j] == '\\' {
					j++
				}
				j++
			}
			if j >= cur {
				out.inString, out.strStart, out.quote = true, i+1, ch
				i = cur
				continue
			}
			i = j
		case ch == '(' || ch == '[' || ch == '{':
			depth++
		case ch == ')' || ch == ']' || ch == '}':
			depth--
		case ch == ',' && depth == 0:
			argBegin = i + 1
		}
	}
	if best == nil {
		return out
	}
	// The positional values before the cursor's argument, and its keyword.
	for _, a := range best.Args {
		if a.End <= argBegin && a.Key == "" {
			out.index++
			if a.Kind == lang.ArgString {
				out.args = append(out.args, a.Value)
			} else {
				out.args = append(out.args, "")
			}
		}
	}
	seg := strings.TrimSpace(text[argBegin:min(cur, len(text))])
	if k, _, ok := strings.Cut(seg, "="); ok && isIdent(strings.TrimSpace(k)) {
		out.key = strings.TrimSpace(k)
	}
	return out
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) {
			return false
		}
	}
	return s[0] < '0' || s[0] > '9'
}
