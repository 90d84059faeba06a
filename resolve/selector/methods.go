package selector

import (
	"path"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"
)

// isSelectedNode is dbt's is_selected_node: leaf-name match (versioned models
// also by name, name.vN or name_vN), else segment-wise prefix match with
// shell globbing from the first segment holding a wildcard.
func isSelectedNode(fqn []string, sel string, versioned bool) bool {
	if len(fqn) == 0 {
		return false
	}
	selParts := strings.Split(sel, ".")
	if versioned && len(fqn) >= 2 {
		if fqn[len(fqn)-2] == sel {
			return true
		}
		last2 := selParts
		if len(last2) > 2 {
			last2 = last2[len(last2)-2:]
		}
		if strings.Join(fqn[len(fqn)-2:], "_") == strings.Join(last2, "_") {
			return true
		}
	} else if !versioned && fqn[len(fqn)-1] == sel {
		return true
	}
	var flat []string
	for _, seg := range fqn {
		flat = append(flat, strings.Split(seg, ".")...)
	}
	if len(flat) < len(selParts) {
		return false
	}
	for i, part := range selParts {
		if strings.ContainsAny(part, "*?[]") {
			return fnmatch(strings.Join(flat[i:], "."), strings.Join(selParts[i:], "."))
		}
		if flat[i] != part {
			return false
		}
	}
	return true
}

func (s *selection) members(fn func(p int32, sec uint8)) {
	g := s.g
	for i, en := range g.enabled {
		if en {
			fn(int32(i), g.ix.section[i])
		}
	}
}

func (s *selection) fqn(p int32) []string {
	return strList(s.g.ix.data, s.g.ix.entries[p].get(fFQN))
}

func (s *selection) isVersioned(p int32) bool {
	if s.g.resourceType(p) != "model" {
		return false
	}
	_, ok := scalarVal(s.g.ix.data, s.g.ix.entries[p].get(fVersion))
	return ok
}

func (s *selection) cfg(p int32, keys ...string) (span, bool) {
	return objPath(s.g.ix.data, s.g.ix.entries[p].get(fConfig), keys...)
}

// search runs one criterion's method over the graph members and returns the
// matches (member positions in order) with per-member reasons for methods
// that explain themselves (state:).
func (s *selection) search(c *Criterion) ([]int32, map[int32][]string, error) {
	g := s.g
	d := g.ix.data
	var out []int32
	add := func(p int32) { out = append(out, p) }
	v := c.Value
	switch c.Method {
	case "fqn":
		s.members(func(p int32, sec uint8) {
			if sec == secSources {
				return
			}
			fqn := s.fqn(p)
			ver := s.isVersioned(p)
			if isSelectedNode(fqn, v, ver) || (len(fqn) > 1 && isSelectedNode(fqn[1:], v, ver)) {
				add(p)
			}
		})
	case "tag":
		s.members(func(p int32, sec uint8) {
			var tags []string
			if sec == secUnitTests {
				t, _ := s.cfg(p, "tags")
				tags = strList(d, t)
			} else {
				tags = strList(d, g.ix.entries[p].get(fTags))
			}
			for _, t := range tags {
				if fnmatch(t, v) {
					add(p)
					return
				}
			}
		})
	case "group":
		s.members(func(p int32, sec uint8) {
			if sec != secNodes && sec != secMetrics {
				return
			}
			gs, _ := s.cfg(p, "group")
			if gr := strVal(d, gs); gr != "" && fnmatch(gr, v) {
				add(p)
			}
		})
	case "access":
		s.members(func(p int32, sec uint8) {
			if sec != secNodes || g.resourceType(p) != "model" {
				return
			}
			a := g.str(p, fAccess)
			if a == "" {
				as, _ := s.cfg(p, "access")
				a = strVal(d, as)
			}
			if a == v {
				add(p)
			}
		})
	case "source":
		parts := strings.Split(v, ".")
		pkg, src, tbl := "*", parts[0], "*"
		switch len(parts) {
		case 2:
			src, tbl = parts[0], parts[1]
		case 3:
			pkg, src, tbl = parts[0], parts[1], parts[2]
		}
		s.members(func(p int32, sec uint8) {
			if sec == secSources && fnmatch(g.str(p, fPackageName), pkg) && fnmatch(g.str(p, fSourceName), src) && fnmatch(g.str(p, fName), tbl) {
				add(p)
			}
		})
	case "exposure", "metric", "semantic_model", "saved_query", "unit_test":
		want := map[string]uint8{"exposure": secExposures, "metric": secMetrics, "semantic_model": secSemanticModels,
			"saved_query": secSavedQueries, "unit_test": secUnitTests}[c.Method]
		pkg, name := "*", v
		if i := strings.IndexByte(v, '.'); i >= 0 {
			pkg, name = v[:i], v[i+1:]
		}
		s.members(func(p int32, sec uint8) {
			if sec == want && fnmatch(g.str(p, fPackageName), pkg) && fnmatch(g.str(p, fName), name) {
				add(p)
			}
		})
	case "path":
		s.members(func(p int32, sec uint8) {
			ofp := g.str(p, fOriginalFilePath)
			if globPath(ofp, v) {
				add(p)
				return
			}
			if pp := g.str(p, fPatchPath); pp != "" {
				if i := strings.Index(pp, "://"); i >= 0 {
					pp = pp[i+3:]
				}
				if globPath(pp, v) {
					add(p)
					return
				}
			}
			for dir := path.Dir(ofp); dir != "." && dir != "/" && dir != ""; dir = path.Dir(dir) {
				if globPath(dir, v) {
					add(p)
					return
				}
			}
		})
	case "file":
		s.members(func(p int32, sec uint8) {
			base := path.Base(g.str(p, fOriginalFilePath))
			stem := base
			if i := strings.LastIndexByte(base, '.'); i > 0 {
				stem = base[:i]
			}
			if fnmatch(base, v) || fnmatch(stem, v) {
				add(p)
			}
		})
	case "package":
		if v == "this" && g.m.Meta.ProjectName != "" {
			v = g.m.Meta.ProjectName
		}
		s.members(func(p int32, sec uint8) {
			if fnmatch(g.str(p, fPackageName), v) {
				add(p)
			}
		})
	case "config":
		ci := strings.EqualFold(v, "true")
		cf := strings.EqualFold(v, "false")
		sev := len(c.Args) == 1 && c.Args[0] == "severity"
		eq := func(val span) bool {
			switch kind(d, val) {
			case '"':
				x := strVal(d, val)
				return x == v || (sev && strings.EqualFold(x, v))
			case 't':
				return ci
			case 'f':
				return cf
			}
			return false
		}
		s.members(func(p int32, sec uint8) {
			if sec != secNodes && sec != secSources {
				return
			}
			val, ok := s.cfg(p, c.Args...)
			if !ok {
				return
			}
			if kind(d, val) == '[' {
				hit := false
				eachElement(d, val, func(e span) bool {
					if eq(e) {
						hit = true
						return false
					}
					return true
				})
				if hit {
					add(p)
				}
				return
			}
			if eq(val) {
				add(p)
			}
		})
	case "resource_type":
		s.members(func(p int32, sec uint8) {
			if g.resourceType(p) == v {
				add(p)
			}
		})
	case "test_name":
		s.members(func(p int32, sec uint8) {
			switch {
			case sec == secNodes && g.resourceType(p) == "test":
				tm := g.ix.entries[p].get(fTestMetadata)
				if kind(d, tm) == '{' {
					ns, _ := objGet(d, tm, "name")
					if fnmatch(strVal(d, ns), v) {
						add(p)
					}
				}
			case sec == secUnitTests:
				if fnmatch(g.str(p, fName), v) {
					add(p)
				}
			}
		})
	case "test_type":
		var generic, singular, unit bool
		switch {
		case v == "generic" || v == "schema":
			generic = true
		case strings.Contains("data", v):
			generic, singular = true, true
		case strings.Contains("singular", v):
			singular = true
		case strings.Contains("unit", v):
			unit = true
		}
		s.members(func(p int32, sec uint8) {
			switch {
			case sec == secNodes && g.resourceType(p) == "test":
				isGeneric := kind(d, g.ix.entries[p].get(fTestMetadata)) == '{'
				if isGeneric && generic || !isGeneric && singular {
					add(p)
				}
			case sec == secUnitTests && unit:
				add(p)
			}
		})
	case "version":
		s.members(func(p int32, sec uint8) {
			if sec != secNodes || g.resourceType(p) != "model" {
				return
			}
			ver, hasV := scalarVal(d, g.ix.entries[p].get(fVersion))
			lat, hasL := scalarVal(d, g.ix.entries[p].get(fLatestVersion))
			switch v {
			case "latest":
				if hasV && ver == lat {
					add(p)
				}
			case "prerelease":
				if hasV && hasL && ver != "" && lat != "" && versionCmp(ver, lat) > 0 {
					add(p)
				}
			case "old":
				if hasV && hasL && ver != "" && lat != "" && versionCmp(ver, lat) < 0 {
					add(p)
				}
			case "none":
				if !hasV {
					add(p)
				}
			}
		})
	case "result":
		status, err := s.results()
		if err != nil {
			return nil, nil, err
		}
		s.members(func(p int32, sec uint8) {
			if st, ok := status[g.ix.ids[p]]; ok && st == v {
				add(p)
			}
		})
	case "state":
		return s.searchState(v)
	}
	return out, nil, nil
}

// versionCmp orders model versions as dbt's UnparsedVersion does: as numbers
// when both parse as floats, else as strings.
func versionCmp(a, b string) int {
	fa, ea := strconv.ParseFloat(a, 64)
	fb, eb := strconv.ParseFloat(b, 64)
	if ea == nil && eb == nil {
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	}
	return strings.Compare(a, b)
}

// results parses Options.RunResults once: unique_id → status.
func (s *selection) results() (map[string]string, error) {
	if s.runResults != nil {
		return s.runResults, nil
	}
	if len(s.opt.RunResults) == 0 {
		return nil, badf(CodeNoRunResults, 0, "", "Got a result selector method, but no run_results.json (pass the previous run's run_results.json)")
	}
	v, err := fastjson.ParseBytes(s.opt.RunResults)
	if err != nil {
		return nil, badf(CodeNoRunResults, 0, "", "run_results.json is not valid JSON: %v", err)
	}
	res := v.GetArray("results")
	if res == nil {
		return nil, badf(CodeNoRunResults, 0, "", "run_results.json has no \"results\" list")
	}
	out := make(map[string]string, len(res))
	for _, r := range res {
		out[string(r.GetStringBytes("unique_id"))] = string(r.GetStringBytes("status"))
	}
	s.runResults = out
	return out, nil
}
