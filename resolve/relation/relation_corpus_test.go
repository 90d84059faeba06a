package relation

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corpusRoots are the directories searched for real manifest.json files.
var corpusRoots = []string{
	"../../../shared/corpus",
	"testdata",
	"../manifest/testdata",
}

// corpusException names a known difference between our rendering and a
// manifest's relation_name, with the reason it is not a bug in our rules.
type corpusException struct {
	manifest string // path suffix of the manifest directory, as walked
	node     string // unique_id, or "*" for every node of the manifest
	reason   string
}

var corpusExceptions = []corpusException{}

// cManifest is the slice of manifest.json the corpus test needs, read with
// encoding/json independently of the project's own manifest reader.
type cManifest struct {
	Metadata struct {
		AdapterType string           `json:"adapter_type"`
		DbtVersion  string           `json:"dbt_version"`
		Quoting     map[string]*bool `json:"quoting"`
	} `json:"metadata"`
	Nodes   map[string]cNode   `json:"nodes"`
	Sources map[string]cSource `json:"sources"`
}

type cNode struct {
	ResourceType string  `json:"resource_type"`
	Database     *string `json:"database"`
	Schema       *string `json:"schema"`
	Alias        *string `json:"alias"`
	Name         string  `json:"name"`
	RelationName *string `json:"relation_name"`
	Config       struct {
		Materialized string `json:"materialized"`
	} `json:"config"`
}

type cSource struct {
	Database     *string          `json:"database"`
	Schema       *string          `json:"schema"`
	Identifier   string           `json:"identifier"`
	Name         string           `json:"name"`
	SourceName   string           `json:"source_name"`
	RelationName *string          `json:"relation_name"`
	Quoting      map[string]*bool `json:"quoting"`
	Meta         map[string]any   `json:"meta"`
	Config       map[string]any   `json:"config"`
}

func quotingFromMap(m map[string]*bool) Quoting {
	return Quoting{Database: m["database"], Schema: m["schema"], Identifier: m["identifier"]}
}

// projectQuotingFromYAML reads the `quoting:` block of a dbt_project.yml
// with a line reader: a top-level `quoting:` key followed by indented
// `database|schema|identifier: true|false` lines.
func projectQuotingFromYAML(data []byte) Quoting {
	var q Quoting
	in := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		indented := line[0] == ' ' || line[0] == '\t'
		if !indented {
			in = strings.TrimSpace(line) == "quoting:"
			continue
		}
		if !in {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		var b *bool
		switch strings.ToLower(strings.Trim(strings.TrimSpace(v), `"'`)) {
		case "true":
			t := true
			b = &t
		case "false":
			f := false
			b = &f
		default:
			continue
		}
		switch strings.TrimSpace(k) {
		case "database":
			q.Database = b
		case "schema":
			q.Schema = b
		case "identifier":
			q.Identifier = b
		}
	}
	return q
}

// projectQuoting is metadata.quoting when the manifest records it (1.10+),
// else the quoting block of a dbt_project.yml beside the manifest (or in the
// parent directory, for corpus pairs).
func projectQuoting(m *cManifest, dir string) (Quoting, string) {
	if m.Metadata.Quoting != nil {
		return quotingFromMap(m.Metadata.Quoting), "metadata.quoting"
	}
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if data, err := os.ReadFile(filepath.Join(d, "dbt_project.yml")); err == nil {
			return projectQuotingFromYAML(data), "dbt_project.yml"
		}
	}
	return Quoting{}, "none"
}

func partsOf(db, schema *string, id string) Parts {
	p := Parts{Identifier: id}
	if db != nil {
		p.Database, p.HasDatabase = *db, true
	}
	if schema != nil {
		p.Schema, p.HasSchema = *schema, true
	}
	return p
}

// duckdbExternal is dbt-duckdb's rendering of a source with an
// external_location (DuckDBSourceExternal).
func duckdbExternal(s cSource) (string, error) {
	return DuckDBSourceExternal(s.Meta, s.Config, s.Name, s.Identifier, s.Schema, s.Database)
}

// corpusStat counts, per adapter, the relation_names compared and matched;
// versioned counts those that match only with [Adapter.ForVersion]'s rules,
// and sourceTrap the sources whose compile-time source() differs from the
// manifest's relation_name (project quoting, spec §2.3).
type corpusStat struct{ total, match, excepted, versioned, sourceTrap int }

// findManifests lists the manifest.json files under root (none when root
// does not exist).
func findManifests(root string) []string {
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "manifest.json" {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func exceptionFor(path, uid string) (string, bool) {
	dir := filepath.ToSlash(filepath.Dir(path))
	for _, e := range corpusExceptions {
		if strings.HasSuffix(dir, e.manifest) && (e.node == "*" || e.node == uid) {
			return e.reason, true
		}
	}
	return "", false
}

func TestCorpusRelationNames(t *testing.T) {
	used := map[string]bool{}
	seen := 0
	for _, root := range corpusRoots {
		manifests := findManifests(root)
		if len(manifests) == 0 {
			continue
		}
		seen += len(manifests)
		stats := checkCorpus(t, manifests, used)
		logStats(t, fmt.Sprintf("%s (%d manifests)", root, len(manifests)), stats)
	}
	if seen == 0 {
		t.Skip("no manifests under", corpusRoots)
	}
	for _, e := range corpusExceptions {
		if !used[e.reason] {
			t.Logf("exception not exercised (corpus absent?): %s %s", e.manifest, e.node)
		}
	}
}

func checkCorpus(t *testing.T, manifests []string, used map[string]bool) map[string]*corpusStat {
	stats := map[string]*corpusStat{}
	for _, path := range manifests {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var m cManifest
		if err := json.Unmarshal(data, &m); err != nil {
			// Other packages' testdata may hold deliberately broken manifests.
			t.Logf("skipping %s: %v", path, err)
			continue
		}
		current := Lookup(m.Metadata.AdapterType)
		a := current.ForVersion(m.Metadata.DbtVersion)
		pq, _ := projectQuoting(&m, filepath.Dir(path))
		st := stats[a.Name]
		if st == nil {
			st = &corpusStat{}
			stats[a.Name] = st
		}
		check := func(uid, want, got, gotCurrent string) {
			st.total++
			if got == want {
				st.match++
				if gotCurrent != want {
					st.versioned++
				}
				return
			}
			if !a.Known {
				// No verified rules: callers use relation_name, so a difference
				// is information, not a failure.
				st.excepted++
				t.Logf("%s: unknown adapter %q: %s: got %s, manifest %s", path, a.Name, uid, got, want)
				return
			}
			if reason, ok := exceptionFor(path, uid); ok {
				st.excepted++
				used[reason] = true
				return
			}
			t.Errorf("%s (%s %s): %s: got %s, manifest relation_name %s", path, a.Name, m.Metadata.DbtVersion, uid, got, want)
		}
		for uid, n := range m.Nodes {
			switch n.ResourceType {
			case "model", "seed", "snapshot":
			default:
				continue
			}
			if n.RelationName == nil || n.Config.Materialized == "ephemeral" {
				continue
			}
			alias := n.Name
			if n.Alias != nil {
				alias = *n.Alias
			}
			p := partsOf(n.Database, n.Schema, alias)
			check(uid, *n.RelationName, a.ForRef(p, pq).Render(), current.ForRef(p, pq).Render())
		}
		for uid, s := range m.Sources {
			if s.RelationName == nil {
				continue
			}
			src := Source{Parts: partsOf(s.Database, s.Schema, s.Identifier), SourceName: s.SourceName, Quoting: quotingFromMap(s.Quoting)}
			if a.Name == "duckdb" {
				ext, err := duckdbExternal(s)
				if err != nil {
					t.Errorf("%s: %s: %v", path, uid, err)
				}
				src.External = ext
			}
			// relation_name of a source is computed at parse time with the
			// project's quoting under the source's own (spec §2.3).
			check(uid, *s.RelationName, a.ForSourceWithProject(src, pq).Render(), current.ForSourceWithProject(src, pq).Render())
			if a.ForSource(src).Render() != *s.RelationName {
				st.sourceTrap++
			}
		}
	}
	return stats
}

func logStats(t *testing.T, title string, stats map[string]*corpusStat) {
	t.Logf("%s", title)
	names := make([]string, 0, len(stats))
	for n := range stats {
		names = append(names, n)
	}
	sort.Strings(names)
	t.Logf("  %-12s %6s %6s %8s %7s %9s %10s", "adapter", "total", "match", "excepted", "rate", "versioned", "sourceTrap")
	for _, n := range names {
		s := stats[n]
		rate := 100.0
		if s.total > 0 {
			rate = 100 * float64(s.match) / float64(s.total)
		}
		t.Logf("  %-12s %6d %6d %8d %6.1f%% %9d %10d", n, s.total, s.match, s.excepted, rate, s.versioned, s.sourceTrap)
	}
}
