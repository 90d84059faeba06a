package compile

import (
	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
	"gopkg.in/yaml.v3"
)

// ProjectConfig is what compile needs from a dbt_project.yml: the things
// manifest.json does not record.
type ProjectConfig struct {
	Name string
	// Vars is the `vars:` block (global keys and package-scoped maps).
	Vars map[string]any
	// Quoting is the `quoting:` block, nil when absent.
	Quoting  *manifest.Quoting
	Dispatch []Dispatch
}

// ParseProjectYAML reads a dbt_project.yml. Jinja in values is left as text.
func ParseProjectYAML(data []byte) (*ProjectConfig, error) {
	return parseProjectYAML("dbt_project.yml", data)
}

func parseProjectYAML(file string, data []byte) (*ProjectConfig, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, diag.Errorf("project.yaml", diag.Location{File: file}, "%s: %v", file, err)
	}
	v, err := YAMLToGoLimited(&doc, MaxYAMLValues)
	if err != nil {
		return nil, err
	}
	root, _ := v.(*OrderedMap)
	pc := &ProjectConfig{Vars: map[string]any{}}
	if root == nil {
		return pc, nil
	}
	if s, ok := root.Values["name"].(string); ok {
		pc.Name = s
	}
	if v, ok := root.Values["vars"].(*OrderedMap); ok {
		for _, k := range v.Keys {
			pc.Vars[k] = v.Values[k]
		}
	}
	if q, ok := root.Values["quoting"].(*OrderedMap); ok {
		mq := &manifest.Quoting{}
		set := func(k string) *bool {
			if b, ok := q.Values[k].(bool); ok {
				return &b
			}
			return nil
		}
		mq.Database, mq.Schema, mq.Identifier = set("database"), set("schema"), set("identifier")
		pc.Quoting = mq
	}
	if d, ok := root.Values["dispatch"].([]any); ok {
		for _, e := range d {
			om, ok := e.(*OrderedMap)
			if !ok {
				continue
			}
			var dp Dispatch
			dp.MacroNamespace, _ = om.Values["macro_namespace"].(string)
			if so, ok := om.Values["search_order"].([]any); ok {
				for _, x := range so {
					if s, ok := x.(string); ok {
						dp.SearchOrder = append(dp.SearchOrder, s)
					}
				}
			}
			pc.Dispatch = append(pc.Dispatch, dp)
		}
	}
	return pc, nil
}

// PackageVars reads installed packages' dbt_project.yml files (the texts of
// dbt_packages/*/dbt_project.yml, keyed by the name they were read from) into
// compile's PackageVars: each file's `vars:` block under its `name:`. A file
// that does not parse or has no name is skipped with a warning naming it.
func PackageVars(files map[string]string) (map[string]map[string]any, []diag.Diagnostic) {
	out := map[string]map[string]any{}
	var warns []diag.Diagnostic
	for _, file := range sortedKeys(files) {
		pc, err := parseProjectYAML(file, []byte(files[file]))
		switch {
		case err != nil:
			warns = append(warns, diag.Warning("project_yml.parse", diag.Location{File: file}, "%v; this package's vars are not used", err))
		case pc.Name == "":
			warns = append(warns, diag.Warning("project_yml.name", diag.Location{File: file}, "%s has no name:; this package's vars are not used", file))
		default:
			out[pc.Name] = pc.Vars
		}
	}
	return out, warns
}
