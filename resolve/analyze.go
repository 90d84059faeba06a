package resolve

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/jinja"
	"github.com/dbtdefer/dbtdefer/resolve/lang"
	"github.com/valyala/fastjson"
)

// AnalyzeRequest is an edited buffer to analyze: its text, the model it
// belongs to (optional: without one it is an ad-hoc snippet of the root
// project), the defer flags refs resolve under and the vars var() sees.
type AnalyzeRequest struct {
	Model   string
	SQL     string
	Options Options
	// Vars are the call's --vars; ProjectVars the root dbt_project.yml's;
	// PackageVars each package's own.
	Vars, ProjectVars map[string]any
	PackageVars       map[string]map[string]any
	// VarsKnown says the project's dbt_project.yml was read, so a var no
	// scope sets is dbt's error; without it the project's vars are not
	// known here, and such a var is only noted.
	VarsKnown bool
	// Env are the env_var() values the call gives.
	Env map[string]string
	// Now dates deprecations (zero: the clock).
	Now time.Time
}

// AnalyzeResult is what an editor shows of a buffer: every call with its
// range (and, for refs and sources, where it resolves and where it is
// defined), and the diagnostics, each with its range.
type AnalyzeResult struct {
	UniqueID    string         `json:"uniqueId,omitempty"`
	Calls       []AnalyzedCall `json:"calls"`
	Diagnostics []Diagnostic   `json:"diagnostics"`
}

// AnalyzedCall is one call in the buffer (or a `this`).
type AnalyzedCall struct {
	// Kind is ref, source, this, var, env_var, config, macro (a macro of
	// the project or a package) or call (anything else: dbt's context,
	// Jinja's globals, names the buffer binds).
	Kind      string     `json:"kind"`
	Name      string     `json:"name"` // the callee as written: "ref", "dbt_utils.star"
	Range     lang.Range `json:"range"`
	NameRange lang.Range `json:"nameRange"`
	Args      []CallArg  `json:"args"`
	Closed    bool       `json:"closed"` // its ")" is in the buffer
	// Conditional: inside {% if %}, {% for %} or {% macro %}, so it may
	// not render (dbt records only the refs that do).
	Conditional bool        `json:"conditional,omitempty"`
	Ref         *RefResult  `json:"resolution,omitempty"`
	Def         *Definition `json:"definition,omitempty"`
	Var         *VarUse     `json:"var,omitempty"`
	// Warehouse says the call needs the warehouse: a preview answers it
	// with an empty or default result.
	Warehouse bool `json:"warehouse,omitempty"`
}

// CallArg is one argument: a string literal's value, or computed.
type CallArg struct {
	Key   string     `json:"key,omitempty"`
	Value *string    `json:"value,omitempty"` // nil: not a string literal
	Range lang.Range `json:"range"`
}

// Definition is where what a call names is defined: a node's file (and the
// position where the model starts in it) or a macro's.
type Definition struct {
	UniqueID string   `json:"uniqueId"`
	Package  string   `json:"package,omitempty"`
	Path     string   `json:"path,omitempty"` // original_file_path
	Position lang.Pos `json:"position"`       // line 1, column 1 of a model's .sql; the macro's line in its file
}

// VarUse is what a var() call reads.
type VarUse struct {
	Name       string `json:"name"`
	Found      bool   `json:"found"`      // a var of that name is set (call, project or package)
	HasDefault bool   `json:"hasDefault"` // var('x', default)
	Value      any    `json:"value,omitempty"`
}

// Diagnostic is a diagnostic located in the buffer.
type Diagnostic struct {
	Code       string        `json:"code"`
	Severity   diag.Severity `json:"severity"`
	Message    string        `json:"message"`
	Range      lang.Range    `json:"range"`
	Suggestion string        `json:"suggestion,omitempty"`
}

// warehouseCalls need the warehouse: a preview stubs them.
var warehouseCalls = map[string]bool{
	"run_query": true, "statement": true, "load_result": true,
	"adapter.get_columns_in_relation": true, "adapter.get_relation": true, "adapter.execute": true,
	"adapter.list_relations_without_caching": true, "adapter.get_missing_columns": true,
	"dbt_utils.get_column_values": true, "dbt_utils.star": true, "dbt_utils.get_filtered_columns_in_relation": true,
	"dbt_utils.union_relations": true, "dbt_utils.get_relations_by_pattern": true, "dbt_utils.get_relations_by_prefix": true,
	"dbt_utils.get_query_results_as_dict": true, "dbt_utils.get_single_value": true,
}

// Analyze reads an edited buffer: every ref(), source(), this, var(),
// env_var(), config() and macro call with its range, refs and sources
// resolved under the request's flags, and diagnostics located in the
// buffer. A buffer that does not parse is analyzed as far as it reads: the
// Jinja syntax error is one diagnostic among the others.
func (p *Project) Analyze(req AnalyzeRequest) (*AnalyzeResult, error) {
	c, warns, err := p.bufferCall(req.Model, req.Options)
	if err != nil {
		return nil, err
	}
	from := ""
	if c.From != nil {
		from = c.From.UniqueID
	}
	buf := lang.NewBuffer(req.SQL)
	scan := lang.Read(req.SQL)
	out := &AnalyzeResult{UniqueID: from, Calls: []AnalyzedCall{}, Diagnostics: []Diagnostic{}}
	for _, w := range warns {
		out.Diagnostics = append(out.Diagnostics, Diagnostic{Code: w.Code, Severity: w.Severity, Message: w.Message, Suggestion: w.Location.Suggestion})
	}
	report := func(code string, sev diag.Severity, r lang.Range, suggestion, format string, args ...any) {
		out.Diagnostics = append(out.Diagnostics, Diagnostic{Code: code, Severity: sev, Message: fmt.Sprintf(format, args...), Range: r, Suggestion: suggestion})
	}
	vars := varScope{req: req.Vars, project: req.ProjectVars, packages: req.PackageVars, pkg: p.callerPackage(c)}
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	for _, sc := range scan.Calls {
		a := AnalyzedCall{Name: sc.Name, Range: buf.Range(sc.Start, sc.End), NameRange: buf.Range(sc.NameStart, sc.NameEnd), Closed: sc.Closed,
			Conditional: sc.Conditional, Args: []CallArg{}}
		for _, arg := range sc.Args {
			ca := CallArg{Key: arg.Key, Range: buf.Range(arg.Start, arg.End)}
			if arg.Kind == lang.ArgString {
				v := arg.Value
				ca.Value = &v
			}
			a.Args = append(a.Args, ca)
		}
		// Where a diagnostic about the call's target goes: its first
		// string argument, else the call.
		target := a.Range
		if len(sc.Args) > 0 {
			target = buf.Range(sc.Args[0].Start, sc.Args[len(sc.Args)-1].End)
		}
		switch {
		case sc.Name == "this":
			a.Kind = "this"
			if c.From != nil {
				if res, err := p.ResolveOne(c, RefSpec{Kind: "this"}); err == nil {
					a.Ref = &res
				}
			}
		case sc.Name == "ref" || sc.Name == "source":
			a.Kind = sc.Name
			spec, msg := refSpecOf(sc)
			if msg != "" {
				if sc.Closed || hasDynamic(sc) {
					sev := diag.SeverityError
					if hasDynamic(sc) {
						sev = diag.SeverityInfo
					}
					report(sc.Name+".arguments", sev, target, "", "%s", msg)
				}
				break
			}
			if !sc.Closed && !lastArgClosed(sc) {
				break // still being typed: complete answers it
			}
			res, err := p.ResolveOne(c, spec)
			if err != nil {
				de, ok := err.(*diag.Error)
				if !ok {
					de = diag.Errorf("internal.error", diag.Location{}, "%v", err)
				}
				if sc.Conditional && (strings.HasSuffix(de.Code, ".not_found") || strings.HasSuffix(de.Code, ".disabled")) {
					// dbt fails on it only if the branch renders (vars decide).
					report(de.Code, diag.SeverityWarning, target, de.Location.Suggestion, "%s (inside a conditional block: dbt fails only if it renders)", de.Message)
					break
				}
				report(de.Code, diag.SeverityError, target, de.Location.Suggestion, "%s", de.Message)
				break
			}
			a.Ref = &res
			a.Def = p.definitionOf(res.UniqueID)
			if sc.Name == "ref" {
				if d := p.deprecation(c, res.UniqueID, now); d != "" {
					report("ref.deprecated", diag.SeverityWarning, target, "", "%s", d)
				}
				if sev, msg := p.protectedRef(c, res.UniqueID); msg != "" {
					report("ref.protected", sev, target, "", "%s", msg)
				}
			}
		case sc.Name == "var":
			a.Kind = "var"
			if len(sc.Args) == 0 || sc.Args[0].Kind != lang.ArgString {
				if sc.Closed && len(sc.Args) == 0 {
					report("var.arguments", diag.SeverityError, a.Range, "", "var() takes the var's name, and an optional default")
				}
				break
			}
			u := &VarUse{Name: sc.Args[0].Value, HasDefault: len(sc.Args) > 1}
			u.Value, u.Found = vars.lookup(u.Name)
			a.Var = u
			if !u.Found && !u.HasDefault && sc.Closed {
				who := "sql_operation.inline"
				if c.From != nil {
					who = c.From.Name
				}
				if req.VarsKnown {
					report("compile.var", diag.SeverityError, target, diag.Closest(u.Name, vars.names()),
						"Required var '%s' not found in config:\nVars supplied to %s = %s", u.Name, who, vars.describe())
				} else {
					report("var.unknown", diag.SeverityInfo, target, "",
						"var('%s') has no default, and the project's vars are not known here (open the project with its dbt_project.yml to check it)", u.Name)
				}
			}
		case sc.Name == "env_var":
			a.Kind = "env_var"
			if len(sc.Args) == 1 && sc.Args[0].Kind == lang.ArgString && sc.Closed {
				if _, ok := req.Env[sc.Args[0].Value]; !ok {
					report("env_var.unset", diag.SeverityInfo, target, "",
						"env_var('%s') has no default: dbt stops with \"Env var required but not provided: '%s'\" unless it is set", sc.Args[0].Value, sc.Args[0].Value)
				}
			}
		case sc.Name == "config":
			a.Kind = "config"
		default:
			a.Kind = "call"
			if m, ok := p.Compiler().FindMacro(sc.Name, p.callerPackage(c)); ok && !scan.Assigned[strings.SplitN(sc.Name, ".", 2)[0]] {
				a.Kind = "macro"
				a.Def = p.macroDefinition(m.UniqueID)
			}
		}
		if warehouseCalls[sc.Name] {
			a.Warehouse = true
			report("compile.warehouse", diag.SeverityInfo, a.NameRange, "", "%s needs the warehouse: the preview renders an empty or default answer", sc.Name)
		}
		out.Calls = append(out.Calls, a)
	}
	// Jinja's own reading: a syntax error at its line and column.
	if _, err := jinja.Parse("buffer", req.SQL); err != nil {
		if de, ok := err.(*diag.Error); ok {
			at := lang.OriginalOffset(req.SQL, de.Location.Offset)
			report(de.Code, diag.SeverityError, buf.Range(at, at), "", "%s", de.Message)
		}
	}
	for _, r := range scan.Regions {
		if !r.Closed {
			closer := map[lang.RegionKind]string{lang.Expr: "}}", lang.Stmt: "%}", lang.Comment: "#}"}[r.Kind]
			report("jinja.unclosed", diag.SeverityError, buf.Range(r.Start, r.Start+2), "", "%s is never closed (no %s)", req.SQL[r.Start:r.Start+2], closer)
		}
	}
	sort.SliceStable(out.Diagnostics, func(i, j int) bool { return out.Diagnostics[i].Range.Start.Byte < out.Diagnostics[j].Range.Start.Byte })
	return out, nil
}

// bufferCall is the call a buffer of model (a name or unique_id; "": an
// ad-hoc snippet) resolves its refs in.
func (p *Project) bufferCall(model string, opt Options) (*Call, []diag.Diagnostic, error) {
	from := ""
	if model != "" {
		n, err := p.FindNode(model)
		if err != nil {
			return nil, nil, err
		}
		from = n.UniqueID
	}
	return p.NewCall(from, opt)
}

// refSpecOf reads a ref() or source() call's arguments, or says what is
// wrong with them.
func refSpecOf(sc lang.Call) (RefSpec, string) {
	var pos []string
	version := ""
	for _, a := range sc.Args {
		switch {
		case a.Key == "v" || a.Key == "version":
			version = a.Value
			if a.Kind != lang.ArgString {
				version = "?"
			}
		case a.Key != "":
			if sc.Name == "ref" {
				return RefSpec{}, fmt.Sprintf("ref() got an unexpected keyword argument '%s' (it takes a name, an optional package, and v=)", a.Key)
			}
			return RefSpec{}, fmt.Sprintf("source() got an unexpected keyword argument '%s' (it takes a source name and a table name)", a.Key)
		case a.Kind != lang.ArgString:
			return RefSpec{}, fmt.Sprintf("%s() is given a computed argument: it is resolved when the model renders (compile answers it)", sc.Name)
		default:
			pos = append(pos, a.Value)
		}
	}
	if sc.Name == "source" {
		if len(pos) != 2 {
			return RefSpec{}, fmt.Sprintf("source() takes 2 arguments (a source name and a table name), got %d", len(pos))
		}
		return RefSpec{Kind: "source", Source: pos[0], Name: pos[1]}, ""
	}
	if version == "?" {
		return RefSpec{}, "ref() is given a computed version: it is resolved when the model renders (compile answers it)"
	}
	switch len(pos) {
	case 0:
		return RefSpec{}, "ref() needs a model name (and an optional package before it, and v= for a version)"
	case 1:
		return RefSpec{Kind: "ref", Name: pos[0], Version: version}, ""
	case 2:
		return RefSpec{Kind: "ref", Package: pos[0], Name: pos[1], Version: version}, ""
	}
	return RefSpec{}, fmt.Sprintf("ref() takes at most 2 arguments (an optional package and a name), got %d", len(pos))
}

func hasDynamic(sc lang.Call) bool {
	for _, a := range sc.Args {
		if a.Kind != lang.ArgString {
			return true
		}
	}
	return false
}

// lastArgClosed says a call still being typed has its arguments' strings
// closed: `ref('orders'` is worth resolving, `ref('ord` is not.
func lastArgClosed(sc lang.Call) bool {
	return len(sc.Args) > 0 && sc.Args[len(sc.Args)-1].Kind == lang.ArgString && sc.Args[len(sc.Args)-1].Closed
}

// definitionOf is where node uid is defined: its file, from its start.
func (p *Project) definitionOf(uid string) *Definition {
	n, err := p.Dev.Head(uid)
	if err != nil {
		return nil
	}
	path := n.OriginalFilePath
	return &Definition{UniqueID: uid, Package: n.PackageName, Path: path, Position: lang.Pos{Line: 1, Column: 1}}
}

// deprecation is dbt's warning for a ref to a model with a deprecation
// date (DeprecatedReference / UpcomingReferenceDeprecation), or "".
func (p *Project) deprecation(c *Call, uid string, now time.Time) string {
	raw, _, ok := p.Dev.Raw("nodes", uid)
	if !ok {
		return ""
	}
	v, err := fastjson.ParseBytes(raw)
	if err != nil {
		return ""
	}
	date := string(v.GetStringBytes("deprecation_date"))
	if date == "" {
		return ""
	}
	when, err := time.Parse(time.RFC3339, date)
	if err != nil {
		if when, err = time.Parse("2006-01-02T15:04:05", strings.TrimSuffix(date, "Z")); err != nil {
			if when, err = time.Parse("2006-01-02", date[:min(len(date), 10)]); err != nil {
				return ""
			}
		}
	}
	caller := "sql_operation"
	if c.From != nil {
		caller = c.From.Name
	}
	name := string(v.GetStringBytes("name"))
	version, latest := jsonScalar(v.Get("version")), jsonScalar(v.Get("latest_version"))
	ref := name
	if version != "" {
		ref += ".v" + version
	}
	// dbt's DeprecatedReference (I067) and UpcomingReferenceDeprecation (I066).
	msg := fmt.Sprintf("While compiling '%s': Found a reference to %s, which was deprecated on '%s'.", caller, ref, date)
	try := "Migrate now"
	if when.After(now) {
		msg = fmt.Sprintf("While compiling '%s': Found a reference to %s, which is slated for deprecation on '%s'.", caller, ref, date)
		try = "Try it out"
	}
	if version != "" && version != latest && latest != "" {
		msg += fmt.Sprintf(" A new version of '%s' is available. %s: {{ ref('%s', '%s', v='%s') }}.", name, try, string(v.GetStringBytes("package_name")), name, latest)
	}
	return msg
}

// jsonScalar is a JSON string's or number's text ("" for null or absent).
func jsonScalar(v *fastjson.Value) string {
	switch {
	case v == nil:
		return ""
	case v.Type() == fastjson.TypeString:
		return string(v.GetStringBytes())
	case v.Type() == fastjson.TypeNumber:
		return v.String()
	}
	return ""
}

// protectedRef judges a ref to a protected model of another package:
// dbt Fusion refuses it whenever the packages differ (an error, in its
// words). dbt-core refuses it only when that package's dbt_project.yml
// sets restrict-access: true, which the manifest does not record, and
// protected is every model's default access: there, nothing is said.
func (p *Project) protectedRef(c *Call, uid string) (diag.Severity, string) {
	if c.Profile != deferral.Fusion || c.From == nil {
		return "", ""
	}
	t, err := p.Dev.Head(uid)
	if err != nil || t.Access != "protected" || c.From.PackageName == t.PackageName {
		return "", ""
	}
	return diag.SeverityError, fmt.Sprintf("Node '%s' attempted to reference node '%s', which is not allowed because the referenced node is protected to the '%s' package",
		c.From.UniqueID, uid, t.PackageName)
}

// varScope is where var() looks: the call's vars, then the project's
// (package-scoped ones for the node's package first), then the package's own.
type varScope struct {
	req, project map[string]any
	packages     map[string]map[string]any
	pkg          string
}

func (s varScope) lookup(name string) (any, bool) {
	if v, ok := s.req[name]; ok {
		return v, true
	}
	if scoped, ok := s.project[s.pkg].(map[string]any); ok {
		if v, ok := scoped[name]; ok {
			return v, true
		}
	}
	if v, ok := s.project[name]; ok {
		return v, true
	}
	if v, ok := s.packages[s.pkg][name]; ok {
		return v, true
	}
	return nil, false
}

func (s varScope) names() []string {
	var out []string
	for k := range s.req {
		out = append(out, k)
	}
	for k, v := range s.project {
		if m, ok := v.(map[string]any); ok && k == s.pkg {
			for k2 := range m {
				out = append(out, k2)
			}
			continue
		}
		out = append(out, k)
	}
	for k := range s.packages[s.pkg] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// describe is the vars in scope as dbt prints them in its error
// (json.dumps(vars, sort_keys=True, indent=4)).
func (s varScope) describe() string {
	all := map[string]any{}
	for _, n := range s.names() {
		all[n], _ = s.lookup(n)
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	if err := enc.Encode(all); err != nil {
		return fmt.Sprint(all)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// macroDefinition is where a macro is defined: its file, at the line of
// its {% macro %} tag when the file's text is in the manifest.
func (p *Project) macroDefinition(uid string) *Definition {
	raw, _, ok := p.Dev.Raw("macros", uid)
	if !ok {
		return nil
	}
	v, err := fastjson.ParseBytes(raw)
	if err != nil {
		return nil
	}
	return &Definition{UniqueID: uid, Package: string(v.GetStringBytes("package_name")),
		Path: string(v.GetStringBytes("original_file_path")), Position: lang.Pos{Line: 1, Column: 1}}
}
