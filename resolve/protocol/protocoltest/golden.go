// Package protocoltest runs the wire protocol's golden files
// (resolve/protocol/testdata/golden/*.txtar) through a surface: the
// protocol itself, the browser bridge, the Worker's HTTP API and the CLI's
// `dbtdefer call` each feed every case's request to their own entry point
// and check the answer here, so all of them answer a call the same way.
//
// A golden file is named for its call (resolve.txtar is "resolve") and is
// a txtar archive: a comment, then sections "-- NAME --" (a case's JSON
// request), "-- NAME.answer --" (its answer envelope: {"ok": …} or
// {"error": …}) and, where one surface answers differently for a reason
// its comment gives, "-- NAME.SURFACE.answer --". The comment's lines
// "volatile: KEY" name top-level answer keys that change with the clock;
// they are compared for presence only.
//
// Every surface opens the same pair: testdata/manifests/
// defer-jaffle-shop-postgres's dev manifest as "dev.json" and its prod
// manifest as "prod.json" (the Worker's published names), with no
// dbt_project.yml.
package protocoltest

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// Update rewrites the answers from what the surface answers (go test
// -update): the protocol's own test writes the common answers, another
// surface's writes its own answer where it differs from them.
var Update = flag.Bool("update", false, "rewrite the golden answers from this surface's answers")

// root is resolve/, found from this file.
func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Dir is the golden files' folder.
func Dir() string { return filepath.Join(root(), "protocol", "testdata", "golden") }

// Pair are the paths of the dev and prod manifests every surface opens.
func Pair() (dev, prod string) {
	d := filepath.Join(root(), "testdata", "manifests", "defer-jaffle-shop-postgres")
	return filepath.Join(d, "dev", "manifest.json"), filepath.Join(d, "prod", "manifest.json")
}

// Names are the names every surface gives the pair.
const DevName, ProdName = "dev.json", "prod.json"

// A File is one call's golden file.
type File struct {
	Method   string
	Path     string
	Comment  string
	Volatile []string
	Cases    []*Case
	sections []section
}

// A Case is one request and its answers.
type Case struct {
	Name    string
	Request []byte
	Answer  []byte            // the common answer envelope
	Surface map[string][]byte // answers a surface gives instead
}

type section struct {
	name string
	data []byte
}

// Load reads every golden file.
func Load(t testing.TB) []*File {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(Dir(), "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden files in %s: %v", Dir(), err)
	}
	var files []*File
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parse(p, b)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// parse reads a txtar archive into a File.
func parse(path string, b []byte) (*File, error) {
	f := &File{Method: strings.TrimSuffix(filepath.Base(path), ".txtar"), Path: path}
	var cur *section
	var comment []string
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if name, ok := marker(line); ok {
			f.sections = append(f.sections, section{name: name})
			cur = &f.sections[len(f.sections)-1]
			continue
		}
		if cur == nil {
			comment = append(comment, line)
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "volatile:"); ok {
				f.Volatile = append(f.Volatile, strings.Fields(v)...)
			}
			continue
		}
		cur.data = append(cur.data, line...)
	}
	f.Comment = strings.Join(comment, "")
	byName := map[string]*Case{}
	for _, s := range f.sections {
		base, kind, _ := strings.Cut(s.name, ".")
		c := byName[base]
		if c == nil {
			c = &Case{Name: base, Surface: map[string][]byte{}}
			byName[base] = c
			f.Cases = append(f.Cases, c)
		}
		data := bytes.TrimSpace(s.data)
		switch {
		case kind == "":
			c.Request = data
		case kind == "answer":
			c.Answer = data
		case strings.HasSuffix(kind, ".answer"):
			c.Surface[strings.TrimSuffix(kind, ".answer")] = data
		default:
			return nil, fmt.Errorf("%s: section %q: want NAME, NAME.answer or NAME.SURFACE.answer", path, s.name)
		}
	}
	for _, c := range f.Cases {
		if c.Request == nil {
			return nil, fmt.Errorf("%s: case %q has no request section", path, c.Name)
		}
	}
	return f, nil
}

func marker(line string) (string, bool) {
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if strings.HasPrefix(line, "-- ") && strings.HasSuffix(line, " --") && len(line) > 6 {
		return strings.TrimSpace(line[3 : len(line)-3]), true
	}
	return "", false
}

// Want is the answer surface must give.
func (c *Case) Want(surface string) []byte {
	if a, ok := c.Surface[surface]; ok {
		return a
	}
	return c.Answer
}

// Answered says surface's golden answer is {"ok": …}, not an error.
func (c *Case) Answered(surface string) bool {
	var env map[string]json.RawMessage
	if json.Unmarshal(c.Want(surface), &env) != nil {
		return false
	}
	_, ok := env["ok"]
	return ok
}

// Check compares surface's answer envelope for case c with the golden one.
// With -update it records the answer instead (the common one from the
// "protocol" surface, a surface's own where it differs) and Save writes it.
func (f *File) Check(t *testing.T, surface string, c *Case, got []byte) {
	t.Helper()
	g, err := canon(got, f.Volatile)
	if err != nil {
		t.Errorf("%s %s (%s): the answer is not JSON: %v\n%s", f.Method, c.Name, surface, err, got)
		return
	}
	if *Update {
		pretty := indent(got)
		if surface == "protocol" {
			c.Answer = pretty
		} else if w, _ := canon(c.Answer, f.Volatile); w == g {
			delete(c.Surface, surface)
		} else {
			c.Surface[surface] = pretty
		}
		return
	}
	want := c.Want(surface)
	if want == nil {
		t.Errorf("%s %s: no answer in %s (go test -update writes it)", f.Method, c.Name, f.Path)
		return
	}
	w, err := canon(want, f.Volatile)
	if err != nil {
		t.Errorf("%s %s: the golden answer is not JSON: %v", f.Method, c.Name, err)
		return
	}
	if g != w {
		t.Errorf("%s %s (%s) answered\n%s\nwant (%s)\n%s", f.Method, c.Name, surface, indent(got), f.Path, indent(want))
	}
}

// Save writes the file back after an -update run.
func (f *File) Save(t *testing.T) {
	t.Helper()
	if !*Update {
		return
	}
	var b bytes.Buffer
	b.WriteString(f.Comment)
	for _, c := range f.Cases {
		fmt.Fprintf(&b, "-- %s --\n%s\n", c.Name, c.Request)
		if c.Answer != nil {
			fmt.Fprintf(&b, "-- %s.answer --\n%s\n", c.Name, c.Answer)
		}
		surfaces := make([]string, 0, len(c.Surface))
		for s := range c.Surface {
			surfaces = append(surfaces, s)
		}
		sort.Strings(surfaces)
		for _, s := range surfaces {
			fmt.Fprintf(&b, "-- %s.%s.answer --\n%s\n", c.Name, s, c.Surface[s])
		}
	}
	if err := os.WriteFile(f.Path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// canon is an envelope compacted, its volatile keys (in "ok") replaced by
// a mark that they are there.
func canon(b []byte, volatile []string) (string, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return "", err
	}
	if len(volatile) == 0 {
		return buf.String(), nil
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &env); err != nil {
		return "", err
	}
	ok, has := env["ok"]
	if !has {
		return buf.String(), nil
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(ok, &fields) != nil {
		return buf.String(), nil
	}
	for _, k := range volatile {
		if _, has := fields[k]; has {
			fields[k] = json.RawMessage(`"(volatile)"`)
		}
	}
	out, err := json.Marshal(fields) // sorted keys: both sides alike
	return `{"ok":` + string(out) + `}`, err
}

func indent(b []byte) []byte {
	var buf bytes.Buffer
	if json.Indent(&buf, b, "", "  ") != nil {
		return b
	}
	return buf.Bytes()
}

// Envelope is an HTTP answer as an envelope: a 2xx body is {"ok": body},
// any other {"error": body}.
func Envelope(status int, body []byte) []byte {
	key := "ok"
	if status < 200 || status > 299 {
		key = "error"
	}
	return []byte(`{"` + key + `":` + string(bytes.TrimSpace(body)) + `}`)
}

// Verify checks an answer's facts against what dbt wrote in the pair: every
// ref resolved to dev names the dev manifest's relation_name for that node,
// every ref deferred to production the prod manifest's; a saved model
// compiled with defer off is dbt's own compiled_code. So a golden answer
// is dbt's answer where dbt gave one, not only ours.
func Verify(t *testing.T, method string, req, envelope []byte) {
	t.Helper()
	facts := loadFacts(t)
	var env struct {
		OK json.RawMessage `json:"ok"`
	}
	if json.Unmarshal(envelope, &env) != nil || env.OK == nil {
		return
	}
	type ref struct {
		Kind, UniqueID, Relation, Env string
	}
	var a struct {
		UniqueID string `json:"uniqueId"`
		SQL      *string
		Refs     []ref
		Calls    []struct {
			Resolution *ref `json:"resolution"`
		}
	}
	if json.Unmarshal(env.OK, &a) != nil {
		return
	}
	for _, c := range a.Calls { // analyze's
		if c.Resolution != nil {
			a.Refs = append(a.Refs, *c.Resolution)
		}
	}
	for _, r := range a.Refs {
		if r.Kind != "ref" && r.Kind != "this" {
			continue
		}
		var want string
		switch r.Env {
		case "dev":
			want = facts.dev[r.UniqueID].RelationName
		case "state":
			want = facts.prod[r.UniqueID].RelationName
		}
		if want != "" && r.Relation != want {
			t.Errorf("%s %s: %s resolved to %s in %s, where dbt wrote relation_name %s", method, req, r.UniqueID, r.Relation, r.Env, want)
		}
	}
	var q struct {
		Model string  `json:"model"`
		SQL   *string `json:"sql"`
		Defer string  `json:"defer"`
	}
	json.Unmarshal(req, &q)
	if method == "compile" && q.SQL == nil && (q.Defer == "" || q.Defer == "off") && a.SQL != nil {
		if want := facts.dev[a.UniqueID].CompiledCode; want != "" && strings.TrimSpace(*a.SQL) != strings.TrimSpace(want) {
			t.Errorf("compile %s: the SQL differs from dbt's compiled_code:\n%s\nwant\n%s", req, *a.SQL, want)
		}
	}
}

type node struct {
	RelationName string `json:"relation_name"`
	CompiledCode string `json:"compiled_code"`
}

type facts struct{ dev, prod map[string]node }

var factsOnce struct {
	f   *facts
	err error
}

func loadFacts(t *testing.T) *facts {
	t.Helper()
	if factsOnce.f == nil && factsOnce.err == nil {
		dev, prod := Pair()
		read := func(path string) map[string]node {
			b, err := os.ReadFile(path)
			if err != nil {
				factsOnce.err = err
				return nil
			}
			var m struct {
				Nodes   map[string]node `json:"nodes"`
				Sources map[string]node `json:"sources"`
			}
			if err := json.Unmarshal(b, &m); err != nil {
				factsOnce.err = err
			}
			for k, v := range m.Sources {
				m.Nodes[k] = v
			}
			return m.Nodes
		}
		factsOnce.f = &facts{dev: read(dev), prod: read(prod)}
	}
	if factsOnce.err != nil {
		t.Fatal(factsOnce.err)
	}
	return factsOnce.f
}
