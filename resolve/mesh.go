package resolve

import (
	"bytes"
	"cmp"
	"fmt"
	"sort"

	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
	"github.com/valyala/fastjson"
	"gopkg.in/yaml.v3"
)

// dbt Mesh: a two-argument ref('project', 'model') to a public model of
// another dbt project resolves to the producing project's production
// relation. --defer plays no part (the relation is never this project's
// dev one, and the model is never built here). The producer's models are
// known from its production manifest (Inputs.Upstream) or, without one, from
// the nodes dbt Cloud embeds in the consumer's manifest for the public
// models of its upstream projects (nodes with no file: "external" nodes).

// UpstreamManifest is the production manifest.json of a project this one
// depends on (dependencies.yml `projects:`).
type UpstreamManifest struct {
	// Project is the producing project's name, as refs spell it.
	Project string
	// Name is the file's name in messages (default "upstream/<project>/manifest.json").
	Name     string
	Manifest []byte
}

// UpstreamInfo says where a cross-project ref's relation came from.
type UpstreamInfo struct {
	Project string `json:"project"`
	// Source is "manifest" (the producer's manifest given as an upstream
	// input) or "embedded" (the node dbt Cloud wrote into this manifest).
	Source string `json:"source"`
	// File, GeneratedAt and InvocationID identify the producer's manifest.
	File         string `json:"file,omitempty"`
	GeneratedAt  string `json:"generatedAt,omitempty"`
	InvocationID string `json:"invocationId,omitempty"`
}

// openUpstream reads the upstream manifests and dependencies.yml.
func (p *Project) openUpstream(in Inputs) error {
	for _, u := range in.Upstream {
		name := cmp.Or(u.Name, "upstream/"+u.Project+"/manifest.json")
		if u.Project == "" {
			return diag.Errorf("upstream.project", diag.Location{File: name}, "an upstream manifest needs the name of its project (the first argument of ref('project', 'model'))")
		}
		if u.Project == p.Root {
			return diag.Errorf("upstream.project", diag.Location{File: name}, "upstream project %q is this project itself", u.Project)
		}
		if p.upstream[u.Project] != nil {
			return diag.Errorf("upstream.project", diag.Location{File: name}, "two upstream manifests for project %q", u.Project)
		}
		m, err := manifest.OpenWith(name, u.Manifest, manifest.Options{MaxBytes: p.maxBytes})
		if err != nil {
			return err
		}
		if pn := m.Meta.ProjectName; pn != "" && pn != u.Project {
			return diag.Errorf("upstream.project_mismatch", diag.Location{File: name},
				"the manifest given for upstream project %q is of project %q", u.Project, pn)
		}
		if p.upstream == nil {
			p.upstream = map[string]*manifest.Manifest{}
		}
		p.upstream[u.Project] = m
	}
	if in.DependenciesYml == nil {
		return nil
	}
	name := cmp.Or(in.DependenciesYmlName, "dependencies.yml")
	var deps struct {
		Projects []struct {
			Name string `yaml:"name"`
		} `yaml:"projects"`
	}
	if err := yaml.NewDecoder(bytes.NewReader(in.DependenciesYml)).Decode(&deps); err != nil {
		p.devWarnings = append(p.devWarnings, diag.Warning("dependencies_yml.parse", diag.Location{File: name}, "%v; its projects are not used", err))
		return nil
	}
	p.meshProjects = map[string]bool{}
	for _, d := range deps.Projects {
		if d.Name != "" {
			p.meshProjects[d.Name] = true
		}
	}
	var unlisted []string
	for u := range p.upstream {
		if !p.meshProjects[u] {
			unlisted = append(unlisted, u)
		}
	}
	sort.Strings(unlisted)
	for _, u := range unlisted {
		p.devWarnings = append(p.devWarnings, diag.Warning("upstream.unlisted", diag.Location{File: name},
			"an upstream manifest was given for project %q, which %s does not list under projects:", u, name))
	}
	return nil
}

// isExternal reports whether a node is one dbt Cloud embedded for another
// project's public model: a model of a package other than the root whose
// entry says it has no file (original_file_path written as "").
func (p *Project) isExternal(n *manifest.Node) bool {
	if n.ResourceType != "model" || n.PackageName == p.Root || n.OriginalFilePath != "" || n.Path != "" {
		return false
	}
	v, err := fastjson.ParseBytes(n.Raw)
	if err != nil {
		return false
	}
	f := v.Get("original_file_path")
	return f != nil && f.Type() == fastjson.TypeString && len(f.GetStringBytes()) == 0
}

// resolveUpstream resolves ref(project, name) against project's manifest.
func (p *Project) resolveUpstream(c *Call, r RefSpec, um *manifest.Manifest, kind string) (RefResult, error) {
	l := um.LookupRef(manifest.LookupQuery{Name: r.Name, Package: r.Package, Version: r.Version, CallerPackage: r.Package, Root: um.Meta.ProjectName})
	if l.Status != manifest.Found {
		what, code := refMissing(l.Status)
		loc := p.callerLoc(c)
		loc.Suggestion = diag.Closest(r.Name, publicNames(um))
		return RefResult{}, diag.Errorf(code, loc, "%s%s (upstream project %q, from %s)", p.dependsMsg(c, "a node named '"+r.Name+"'", r), what, r.Package, um.File)
	}
	t, err := um.Head(l.UniqueID)
	if err != nil {
		return RefResult{}, err
	}
	if err := p.checkUpstreamAccess(c, t); err != nil {
		return RefResult{}, err
	}
	q := p.Quoting
	if um.Meta.Quoting != nil {
		q = toQuoting(*um.Meta.Quoting) // the producer's relations, as its project quotes them
	}
	return p.crossProject(c, r, t, p.render(t, q), kind, &UpstreamInfo{Project: r.Package, Source: "manifest", File: um.File,
		GeneratedAt: um.Meta.GeneratedAt, InvocationID: um.Meta.InvocationID}), nil
}

// checkUpstreamAccess is dbt's DbtReferenceError for another project's
// model that is not public: private to its group, or protected to its
// project (a model without access, from before dbt 1.5, is protected).
func (p *Project) checkUpstreamAccess(c *Call, t *manifest.Node) error {
	switch t.Access {
	case "public":
		return nil
	case "private":
		return p.referenceError(c, t, "private", t.Group)
	}
	return p.referenceError(c, t, "protected", t.PackageName)
}

// crossProject is the answer for a ref to another project's model t.
func (p *Project) crossProject(c *Call, r RefSpec, t *manifest.Node, rel, kind string, up *UpstreamInfo) RefResult {
	why := fmt.Sprintf("ref to project %q's public model: its production relation (from %s); dbt never defers a cross-project ref, and this project never builds it", up.Project, up.File)
	if up.Source == "embedded" {
		why = fmt.Sprintf("ref to project %q's public model: the production relation dbt Cloud recorded in this manifest; dbt never defers a cross-project ref, and this project never builds it", up.Project)
	}
	return RefResult{Ref: r.String(), Kind: kind, UniqueID: t.UniqueID, Relation: rel, Env: deferral.Upstream, Rule: deferral.RuleCrossProject,
		Reason: why, Database: t.Database, Schema: t.Schema, Identifier: t.Alias, Selected: c.selected(t.UniqueID), Upstream: up, target: t}
}

// publicNames are the names of an upstream manifest's public models, for
// "did you mean".
func publicNames(m *manifest.Manifest) []string {
	var out []string
	for _, uid := range m.Keys("nodes") {
		if n, err := m.Head(uid); err == nil && n.ResourceType == "model" && n.Access == "public" {
			out = append(out, n.Name)
		}
	}
	return out
}
