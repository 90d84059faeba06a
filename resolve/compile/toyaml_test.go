package compile

import (
	"encoding/json"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/dbtdefer/dbtdefer/resolve/internal/casefile"
	"github.com/dbtdefer/dbtdefer/resolve/jinja"
	"github.com/valyala/fastjson"
)

// readToYAMLCases parses testdata/toyaml.txt exactly as gen_toyaml.py does.
func readToYAMLCases(t *testing.T) []casefile.Case {
	data, err := os.ReadFile("testdata/toyaml.txt")
	if err != nil {
		t.Fatal(err)
	}
	return casefile.Parse(string(data))
}

// TestToYAMLConformance renders each case of testdata/toyaml.txt and compares
// with what dbt's toyaml (PyYAML's safe_dump) gave in Python's Jinja2
// (testdata/toyaml.golden.json, written by testdata/gen_toyaml.py).
func TestToYAMLConformance(t *testing.T) {
	data, err := os.ReadFile("testdata/toyaml.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var goldens map[string]struct {
		Output *string `json:"output"`
		Error  string  `json:"error"`
	}
	if err := json.Unmarshal(data, &goldens); err != nil {
		t.Fatal(err)
	}
	cases := readToYAMLCases(t)
	if len(cases) < 60 {
		t.Fatalf("only %d cases", len(cases))
	}
	failed := 0
	for _, c := range cases {
		g, ok := goldens[c.Name]
		if !ok || (g.Output == nil && g.Error == "") {
			t.Errorf("%s: no golden (run testdata/gen_toyaml.py)", c.Name)
			failed++
			continue
		}
		ctx := map[string]jinja.Value{
			"toyaml":   fn(toYAMLFunc),
			"fromyaml": fn(fromYAMLFunc),
			"modules":  buildModules(func() time.Time { return time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC) }),
			"set": fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
				v, _ := arg(a, kw, 0, "value")
				return jinja.ObjectValue(newSet(iterValues(v))), nil
			}),
		}
		if c.Ctx != "" {
			v, err := fastjson.Parse(c.Ctx)
			if err != nil {
				t.Fatalf("%s: bad ctx: %v", c.Name, err)
			}
			d := fromJSON(v).Dict()
			for i, k := range d.Keys() {
				ctx[k.AsString()] = d.Values()[i]
			}
		}
		tmpl, err := jinja.Parse(c.Name, c.Template)
		var out string
		if err == nil {
			out, err = jinja.NewEnvironment().Render(tmpl, ctx)
		}
		switch {
		case g.Error != "" && err == nil:
			t.Errorf("%s: Python raised %s, we rendered %q", c.Name, g.Error, out)
			failed++
		case g.Error == "" && err != nil:
			t.Errorf("%s: unexpected error: %v", c.Name, err)
			failed++
		case g.Output != nil && out != *g.Output:
			t.Errorf("%s:\ntemplate: %s\n    want: %q\n     got: %q", c.Name, c.Template, *g.Output, out)
			failed++
		}
	}
	t.Logf("toyaml: %d/%d cases match PyYAML", len(cases)-failed, len(cases))
}

// TestToYAMLGoldenCurrent re-runs the generator in check mode where Python
// with PyYAML and Jinja2 is available, so edited cases cannot lack goldens.
func TestToYAMLGoldenCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	if err := exec.Command("python3", "-c", "import jinja2, yaml").Run(); err != nil {
		t.Skip("python3 with jinja2 and PyYAML not available")
	}
	out, err := exec.Command("python3", "testdata/gen_toyaml.py", "--check").CombinedOutput()
	if err != nil {
		t.Fatalf("toyaml.golden.json out of date (run python3 testdata/gen_toyaml.py): %v\n%s", err, out)
	}
}
