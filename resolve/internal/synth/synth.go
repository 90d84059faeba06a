// Package synth scales a real manifest.json up to a target size for
// benchmarks, deterministically: the base project's nodes are copied N times
// with suffixed names (`orders` → `orders_0003`), and every ref, depends_on
// edge, relation name, compiled SQL and parent/child map entry is rewritten to
// match, so the result has the base's realistic shape (raw and compiled code,
// columns, docs, tests, macros, sources) at any size. A "prod" variant writes
// the same project into another schema with a few bodies changed, so a
// dev/prod pair exercises deferral and state:modified.
package synth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Options tune Generate.
type Options struct {
	// TargetBytes is the approximate size to reach.
	TargetBytes int
	// Prod writes the production variant: schema DevSchema → "prod", and one
	// node in ChangeEvery gets a changed body (new checksum).
	Prod bool
	// DevSchema is the base's dev schema to replace in the prod variant.
	DevSchema   string
	ChangeEvery int
}

// Generate scales base (a manifest.json) to about opt.TargetBytes.
func Generate(base []byte, opt Options) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(base, &m); err != nil {
		return nil, err
	}
	var nodes map[string]map[string]any
	if err := json.Unmarshal(m["nodes"], &nodes); err != nil {
		return nil, err
	}
	if opt.ChangeEvery == 0 {
		opt.ChangeEvery = 100
	}
	ids := make([]string, 0, len(nodes))
	for id := range nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	baseSize := len(m["nodes"])
	copies := opt.TargetBytes/max(baseSize, 1) + 1

	// names of refable base nodes, for rewriting refs and relations.
	names := map[string]bool{}
	for _, id := range ids {
		if rt, _ := nodes[id]["resource_type"].(string); rt == "model" || rt == "seed" || rt == "snapshot" {
			if n, _ := nodes[id]["name"].(string); n != "" {
				names[n] = true
			}
		}
	}
	var nameList []string
	for n := range names {
		nameList = append(nameList, n)
	}
	sort.Slice(nameList, func(i, j int) bool { return len(nameList[i]) > len(nameList[j]) })
	refRe := regexp.MustCompile(`ref\(\s*['"](` + strings.Join(quoteAll(nameList), "|") + `)['"]\s*\)`)

	var out bytes.Buffer
	out.WriteString("{")
	first := true
	// metadata and all other sections as they are, nodes and maps rewritten.
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parents := map[string][]string{}
	for _, k := range keys {
		if k == "nodes" || k == "parent_map" || k == "child_map" {
			continue
		}
		if !first {
			out.WriteString(",")
		}
		first = false
		fmt.Fprintf(&out, "%q:", k)
		v := m[k]
		if opt.Prod && opt.DevSchema != "" {
			v = bytes.ReplaceAll(v, []byte(opt.DevSchema), []byte("prod"))
		}
		out.Write(v)
	}
	out.WriteString(`,"nodes":{`)
	n := 0
	for c := 0; c < copies && out.Len() < opt.TargetBytes; c++ {
		suffix := fmt.Sprintf("_%04d", c)
		for _, id := range ids {
			node := rewrite(nodes[id], suffix, names, refRe)
			uid := node["unique_id"].(string)
			if deps, ok := node["depends_on"].(map[string]any); ok {
				if dn, ok := deps["nodes"].([]any); ok {
					for _, d := range dn {
						parents[uid] = append(parents[uid], d.(string))
					}
				}
			}
			b, err := json.Marshal(node)
			if err != nil {
				return nil, err
			}
			if opt.Prod && opt.DevSchema != "" {
				b = bytes.ReplaceAll(b, []byte(opt.DevSchema), []byte("prod"))
			}
			if opt.Prod && n%opt.ChangeEvery == 7 {
				b = bytes.Replace(b, []byte(`"raw_code":"`), []byte(`"raw_code":"-- changed in dev\n`), 1)
				b = bytes.Replace(b, []byte(`"checksum":"`), []byte(`"checksum":"0`), 1)
			}
			if n > 0 {
				out.WriteString(",")
			}
			fmt.Fprintf(&out, "%q:", uid)
			out.Write(b)
			n++
		}
	}
	out.WriteString("}")
	// parent_map and child_map, consistent with depends_on.
	children := map[string][]string{}
	var pids []string
	for id, ps := range parents {
		pids = append(pids, id)
		for _, p := range ps {
			children[p] = append(children[p], id)
		}
	}
	sort.Strings(pids)
	for _, c := range children {
		sort.Strings(c)
	}
	writeMap := func(name string, mm map[string][]string) {
		fmt.Fprintf(&out, `,%q:{`, name)
		ks := make([]string, 0, len(mm))
		for k := range mm {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for i, k := range ks {
			if i > 0 {
				out.WriteString(",")
			}
			b, _ := json.Marshal(mm[k])
			fmt.Fprintf(&out, "%q:%s", k, b)
		}
		out.WriteString("}")
	}
	writeMap("parent_map", parents)
	writeMap("child_map", children)
	out.WriteString("}")
	return out.Bytes(), nil
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = regexp.QuoteMeta(s)
	}
	return out
}

// rewrite deep-copies a node with its names suffixed.
func rewrite(src map[string]any, suffix string, names map[string]bool, refRe *regexp.Regexp) map[string]any {
	node := make(map[string]any, len(src))
	for k, v := range src {
		node[k] = v
	}
	name, _ := node["name"].(string)
	rt, _ := node["resource_type"].(string)
	sfx := func(uid string) string {
		parts := strings.SplitN(uid, ".", 4)
		if len(parts) >= 3 {
			parts[2] += suffix
		}
		return strings.Join(parts, ".")
	}
	node["unique_id"] = sfx(node["unique_id"].(string))
	node["name"] = name + suffix
	if a, _ := node["alias"].(string); a != "" {
		node["alias"] = a + suffix
	}
	if fqn, ok := node["fqn"].([]any); ok && len(fqn) > 0 {
		f := append([]any{}, fqn...)
		f[len(f)-1] = fmt.Sprint(f[len(f)-1]) + suffix
		node["fqn"] = f
	}
	if deps, ok := node["depends_on"].(map[string]any); ok {
		d := map[string]any{}
		for k, v := range deps {
			d[k] = v
		}
		if dn, ok := deps["nodes"].([]any); ok {
			nd := make([]any, len(dn))
			for i, x := range dn {
				s := x.(string)
				if !strings.HasPrefix(s, "source.") {
					s = sfx(s)
				}
				nd[i] = s
			}
			d["nodes"] = nd
		}
		node["depends_on"] = d
	}
	if refs, ok := node["refs"].([]any); ok {
		nr := make([]any, len(refs))
		for i, r := range refs {
			switch r := r.(type) {
			case map[string]any:
				c := map[string]any{}
				for k, v := range r {
					c[k] = v
				}
				if n, _ := c["name"].(string); names[n] {
					c["name"] = n + suffix
				}
				nr[i] = c
			case []any:
				c := append([]any{}, r...)
				if n, _ := c[len(c)-1].(string); names[n] {
					c[len(c)-1] = n + suffix
				}
				nr[i] = c
			default:
				nr[i] = r
			}
		}
		node["refs"] = nr
	}
	for _, k := range []string{"raw_code", "raw_sql", "compiled_code", "compiled_sql"} {
		if s, ok := node[k].(string); ok {
			s = refRe.ReplaceAllStringFunc(s, func(m string) string {
				sub := refRe.FindStringSubmatch(m)
				return strings.Replace(m, sub[1], sub[1]+suffix, 1)
			})
			if strings.HasPrefix(k, "compiled") {
				for n := range names { // distinct names: `."n"` patterns never overlap
					s = strings.ReplaceAll(s, `."`+n+`"`, `."`+n+suffix+`"`)
				}
			}
			node[k] = s
		}
	}
	if rn, ok := node["relation_name"].(string); ok && (rt == "model" || rt == "seed" || rt == "snapshot") {
		node["relation_name"] = strings.Replace(rn, `"`+name+`"`, `"`+name+suffix+`"`, 1)
	}
	return node
}
