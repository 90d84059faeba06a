package corpus

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Sample is a small, real slice of one corpus manifest, used to seed the
// fuzz targets so they start from what dbt actually writes.
type Sample struct {
	Path    string // the manifest it came from
	Adapter string // metadata.adapter_type
	Project string // metadata.project_name (or the first node's package)
	// Mini is a valid manifest.json holding the original metadata and a few
	// entries of each kind (model, seed, snapshot, test, source, macro, …),
	// each entry's bytes copied verbatim.
	Mini []byte
	// Code holds Jinja from the manifest: nodes' raw_code / raw_sql and
	// macros' macro_sql (each under 4 KiB).
	Code []string
	// Relations are the database/schema/identifier of a few nodes and sources.
	Relations []Relation
	// Selectors are selection strings naming the manifest's own nodes, tags,
	// paths, packages and configs, plus its `selectors:` definitions.
	Selectors []string
}

// Relation is one node's or source's relation parts.
type Relation struct{ Database, Schema, Identifier string }

// MaxSampleSource is the largest manifest Samples reads, so seeding stays
// quick on every test run.
const MaxSampleSource = 2 << 20

var (
	samplesOnce sync.Once
	samples     []Sample
)

// Samples returns one Sample per corpus manifest (curated, relation testdata
// and the shared corpus; under GOOS=js only the first two) no larger than
// MaxSampleSource. Unreadable or
// invalid manifests are skipped. The result is computed once per process.
func Samples() []Sample {
	samplesOnce.Do(func() {
		paths := Manifests()
		if runtime.GOOS == "js" {
			// Under GOOS=js (node, several times slower) the curated set is
			// enough: the native run seeds from the whole corpus.
			paths = nil
			filepath.WalkDir(Curated(), func(p string, d fs.DirEntry, err error) error {
				if err == nil && d.Name() == "manifest.json" {
					paths = append(paths, p)
				}
				return nil
			})
		}
		extra, _ := filepath.Glob(filepath.Join(Root(), "resolve", "relation", "testdata", "*", "manifest.json"))
		paths = append(paths, extra...)
		for _, p := range paths {
			st, err := os.Stat(p)
			if err != nil || st.Size() > MaxSampleSource {
				continue
			}
			data, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			if s, ok := sampleOf(p, data); ok {
				samples = append(samples, s)
			}
		}
	})
	return samples
}

type rawManifest struct {
	Metadata  json.RawMessage            `json:"metadata"`
	Nodes     map[string]json.RawMessage `json:"nodes"`
	Sources   map[string]json.RawMessage `json:"sources"`
	Macros    map[string]json.RawMessage `json:"macros"`
	Exposures map[string]json.RawMessage `json:"exposures"`
	Metrics   map[string]json.RawMessage `json:"metrics"`
	Selectors map[string]json.RawMessage `json:"selectors"`
	Disabled  json.RawMessage            `json:"disabled"`
}

type rawEntry struct {
	Name        string          `json:"name"`
	PackageName string          `json:"package_name"`
	Database    *string         `json:"database"`
	Schema      string          `json:"schema"`
	Alias       string          `json:"alias"`
	Identifier  string          `json:"identifier"`
	SourceName  string          `json:"source_name"`
	Path        string          `json:"original_file_path"`
	Tags        []string        `json:"tags"`
	RawCode     string          `json:"raw_code"`
	RawSQL      string          `json:"raw_sql"`
	MacroSQL    string          `json:"macro_sql"`
	Version     json.RawMessage `json:"version"`
	Config      struct {
		Materialized string `json:"materialized"`
	} `json:"config"`
}

func sampleOf(path string, data []byte) (Sample, bool) {
	var m rawManifest
	if json.Unmarshal(data, &m) != nil {
		return Sample{}, false
	}
	s := Sample{Path: path}
	var meta struct {
		Adapter string `json:"adapter_type"`
		Project string `json:"project_name"`
	}
	json.Unmarshal(m.Metadata, &meta)
	s.Adapter, s.Project = meta.Adapter, meta.Project

	nodes := pick(m.Nodes, 2)
	sources := pick(m.Sources, 1)
	macros := pick(m.Macros, 1)
	// The macros of the project itself say more than dbt's own.
	if s.Project != "" {
		var own []string
		for k := range m.Macros {
			if strings.HasPrefix(k, "macro."+s.Project+".") {
				own = append(own, k)
			}
		}
		sort.Strings(own)
		if len(own) > 2 {
			own = own[:2]
		}
		macros = append(macros, own...)
	}

	var buf bytes.Buffer
	buf.WriteString("{")
	if len(m.Metadata) > 0 {
		buf.WriteString(`"metadata": `)
		buf.Write(m.Metadata)
		buf.WriteString(",")
	}
	section := func(name string, all map[string]json.RawMessage, keys []string) {
		if all == nil {
			return
		}
		buf.WriteString(`"` + name + `": {`)
		for i, k := range keys {
			if i > 0 {
				buf.WriteString(",")
			}
			kb, _ := json.Marshal(k)
			buf.Write(kb)
			buf.WriteString(": ")
			buf.Write(all[k])
		}
		buf.WriteString("},")
	}
	section("nodes", m.Nodes, nodes)
	section("sources", m.Sources, sources)
	section("macros", m.Macros, macros)
	section("exposures", m.Exposures, pick(m.Exposures, 1))
	section("metrics", m.Metrics, pick(m.Metrics, 1))
	section("selectors", m.Selectors, pick(m.Selectors, 2))
	if len(m.Disabled) > 0 && m.Disabled[0] == '{' {
		buf.WriteString(`"disabled": {},`)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte(","))
	s.Mini = append(b, '}')

	seen := map[string]bool{}
	addSel := func(sel string) {
		if sel != "" && !seen[sel] && len(s.Selectors) < 24 {
			seen[sel] = true
			s.Selectors = append(s.Selectors, sel)
		}
	}
	for i, k := range nodes {
		var e rawEntry
		if json.Unmarshal(m.Nodes[k], &e) != nil {
			continue
		}
		code := e.RawCode
		if code == "" {
			code = e.RawSQL
		}
		if code != "" && len(code) < 4096 {
			s.Code = append(s.Code, code)
		}
		id := e.Alias
		if id == "" {
			id = e.Name
		}
		s.Relations = append(s.Relations, Relation{Database: deref(e.Database), Schema: e.Schema, Identifier: id})
		switch i % 4 {
		case 0:
			addSel("+" + e.Name)
		case 1:
			addSel(e.PackageName + "." + e.Name + "+2")
		case 2:
			addSel("@" + e.Name)
		case 3:
			addSel("1+" + e.Name + "+")
		}
		for _, t := range e.Tags {
			addSel("tag:" + t)
		}
		if e.Path != "" {
			addSel("path:" + e.Path)
			addSel("file:" + filepath.Base(e.Path))
		}
		if e.Config.Materialized != "" {
			addSel("config.materialized:" + e.Config.Materialized + "," + e.Name)
		}
		if len(e.Version) > 0 && string(e.Version) != "null" {
			addSel(e.Name + " version:latest")
		}
	}
	for _, k := range sources {
		var e rawEntry
		if json.Unmarshal(m.Sources[k], &e) != nil {
			continue
		}
		s.Relations = append(s.Relations, Relation{Database: deref(e.Database), Schema: e.Schema, Identifier: e.Identifier})
		addSel("source:" + e.SourceName + "." + e.Name + "+")
	}
	for _, k := range macros {
		var e rawEntry
		if json.Unmarshal(m.Macros[k], &e) == nil && e.MacroSQL != "" && len(e.MacroSQL) < 4096 {
			s.Code = append(s.Code, e.MacroSQL)
		}
	}
	for _, k := range pick(m.Selectors, 4) {
		var sel struct {
			Definition json.RawMessage `json:"definition"`
		}
		json.Unmarshal(m.Selectors[k], &sel)
		var str string
		if json.Unmarshal(sel.Definition, &str) == nil {
			addSel(str)
			continue
		}
		var mv struct{ Method, Value string }
		if json.Unmarshal(sel.Definition, &mv) == nil && mv.Method != "" {
			addSel(mv.Method + ":" + mv.Value)
		}
	}
	addSel("state:modified+ package:" + s.Project)
	return s, true
}

// maxEntry is the size of entry pick prefers: small seeds let the fuzzer
// mutate (and minimize) quickly.
const maxEntry = 3000

// pick returns up to n keys per resource type (the unique_id's first dotted
// part), in sorted order, preferring entries of at most maxEntry bytes; a
// kind with none that small contributes its smallest entry.
func pick(all map[string]json.RawMessage, n int) []string {
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	count := map[string]int{}
	smallest := map[string]string{}
	var kinds []string
	var out []string
	for _, k := range keys {
		kind, _, _ := strings.Cut(k, ".")
		if sm, ok := smallest[kind]; !ok {
			kinds = append(kinds, kind)
			smallest[kind] = k
		} else if len(all[k]) < len(all[sm]) {
			smallest[kind] = k
		}
		if count[kind] < n && len(all[k]) <= maxEntry {
			count[kind]++
			out = append(out, k)
		}
	}
	for _, kind := range kinds {
		if count[kind] == 0 {
			out = append(out, smallest[kind])
		}
	}
	sort.Strings(out)
	return out
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
