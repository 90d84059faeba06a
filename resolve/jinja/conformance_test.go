package jinja

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/internal/casefile"
)

type golden struct {
	Output *string `json:"output"`
	Error  string  `json:"error"`
}

// readCases parses a case file exactly as gen_golden.py does.
func readCases(t testing.TB, path string) []casefile.Case {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return casefile.Parse(string(data))
}

// ctxFromJSON converts a JSON context to Values, keeping ints as ints and
// object keys in document order (Python dicts keep insertion order).
func ctxFromJSON(t testing.TB, s string) map[string]Value {
	if s == "" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	v, err := decodeOrdered(dec)
	if err != nil || v.Dict() == nil {
		t.Fatalf("bad context %s: %v", s, err)
	}
	out := map[string]Value{}
	d := v.Dict()
	for i, k := range d.Keys() {
		out[k.AsString()] = d.Values()[i]
	}
	return out
}

func decodeOrdered(dec *json.Decoder) (Value, error) {
	tok, err := dec.Token()
	if err != nil {
		return Value{}, err
	}
	switch x := tok.(type) {
	case json.Delim:
		switch x {
		case '[':
			var items []Value
			for dec.More() {
				v, err := decodeOrdered(dec)
				if err != nil {
					return Value{}, err
				}
				items = append(items, v)
			}
			_, err := dec.Token()
			return NewList(items...), err
		case '{':
			d := NewDict()
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return Value{}, err
				}
				v, err := decodeOrdered(dec)
				if err != nil {
					return Value{}, err
				}
				d.SetStr(k.(string), v)
			}
			_, err := dec.Token()
			return DictValue(d), err
		}
	}
	return FromGo(tok), nil
}

func TestConformance(t *testing.T) {
	files, _ := filepath.Glob("testdata/conformance/*.txt")
	if len(files) == 0 {
		t.Fatal("no conformance cases")
	}
	total, failed := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(strings.TrimSuffix(f, ".txt") + ".golden.json")
		if err != nil {
			t.Fatalf("%s: missing golden file (run testdata/gen_golden.py): %v", f, err)
		}
		var goldens map[string]golden
		if err := json.Unmarshal(data, &goldens); err != nil {
			t.Fatal(err)
		}
		group := strings.TrimSuffix(filepath.Base(f), ".txt")
		for _, c := range readCases(t, f) {
			total++
			g, ok := goldens[c.Name]
			if !ok {
				t.Errorf("%s/%s: no golden (run testdata/gen_golden.py)", group, c.Name)
				failed++
				continue
			}
			out, err := renderCase(t, c)
			switch {
			case g.Error != "" && err == nil:
				t.Errorf("%s/%s: Jinja2 raised %s, we rendered %q\ntemplate: %q", group, c.Name, g.Error, out, c.Template)
				failed++
			case g.Error == "" && err != nil:
				t.Errorf("%s/%s: unexpected error: %v\ntemplate: %q", group, c.Name, err, c.Template)
				failed++
			case g.Error == "" && g.Output != nil && out != *g.Output:
				t.Errorf("%s/%s:\ntemplate: %q\n    want: %q\n     got: %q", group, c.Name, c.Template, *g.Output, out)
				failed++
			}
		}
	}
	t.Logf("conformance: %d/%d cases pass", total-failed, total)
}

func renderCase(t testing.TB, c casefile.Case) (string, error) {
	tmpl, err := Parse(c.Name, c.Template)
	if err != nil {
		return "", err
	}
	return NewEnvironment().Render(tmpl, ctxFromJSON(t, c.Ctx))
}

// TestGoldensCurrent re-runs the generator in check mode when Python's
// Jinja2 is available, so edited cases cannot silently lack fresh goldens.
func TestGoldensCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	if err := exec.Command("python3", "-c", "import jinja2").Run(); err != nil {
		t.Skip("python3 with jinja2 not available")
	}
	out, err := exec.Command("python3", "testdata/gen_golden.py", "--check").CombinedOutput()
	if err != nil {
		t.Fatalf("goldens out of date (run python3 testdata/gen_golden.py): %v\n%s", err, out)
	}
}
