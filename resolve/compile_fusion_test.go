package resolve

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
)

// TestFusionEphemeralCTEs: a Fusion manifest's ephemeral CTEs are injected
// as Fusion does (no extra_ctes, each CTE without dbt-core's leading space,
// the model's SQL wrapped in a marked subquery). The real dbt 1.1 manifest
// aparser-v5-jaffle, relabelled as written by Fusion 2.0.0-preview.154, is
// compiled; the expected text is built from dbt's own artifacts: each node's
// extra_ctes bodies, and its compiled_code with dbt 1.1's injection taken
// out again (the SQL before injection).
func TestFusionEphemeralCTEs(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(corpus.Curated(), "aparser-v5-jaffle", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Nodes map[string]struct {
			CompiledSQL string `json:"compiled_sql"`
			ExtraCTEs   []struct {
				SQL string `json:"sql"`
			} `json:"extra_ctes"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	const from, to = `"dbt_version": "1.1.0"`, `"dbt_version": "2.0.0-preview.154"`
	if !bytes.Contains(data, []byte(from)) {
		t.Fatal("dbt_version not found")
	}
	p, err := Open(Inputs{Manifest: bytes.Replace(data, []byte(from), []byte(to), 1)})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for uid, n := range m.Nodes {
		if len(n.ExtraCTEs) == 0 {
			continue
		}
		var core, fusion []string
		for _, c := range n.ExtraCTEs {
			core = append(core, c.SQL)
			fusion = append(fusion, strings.TrimPrefix(c.SQL, " "))
		}
		// dbt 1.1 (spec §2.6): "with" + CTEs before the first token, or the
		// CTEs and a bare "," after an existing WITH.
		joined := strings.Join(core, ", ")
		pre := strings.Replace(n.CompiledSQL, "with"+joined, "", 1)
		if pre == n.CompiledSQL {
			pre = strings.Replace(n.CompiledSQL, joined+",", "", 1)
		}
		if pre == n.CompiledSQL {
			t.Fatalf("%s: dbt's injection not found in its compiled code", uid)
		}
		want := "with " + strings.Join(fusion, ", ") + "\n--EPHEMERAL-SELECT-WRAPPER-START\nselect * from (\n" + pre + "\n--EPHEMERAL-SELECT-WRAPPER-END\n)"
		res, err := p.Compile(CompileRequest{Model: uid})
		if err != nil {
			t.Fatalf("%s: %v", uid, err)
		}
		if res.SQL != want {
			t.Errorf("%s:\n%s\nwant\n%s", uid, res.SQL, want)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no node with ephemeral CTEs")
	}
}

// TestFusionPlaceholder: a real Fusion v20 manifest holds "--placeholder--"
// for every node's raw code. Compiling a saved node is refused with the
// reason and the ways that work; the editor's buffer compiles; "auto"
// answers with the compiled code Fusion saved.
func TestFusionPlaceholder(t *testing.T) {
	path := filepath.Join(corpus.Curated(), "fusion-v20-snowflake-andrewstaus", "manifest.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Nodes map[string]struct {
			RawCode      string `json:"raw_code"`
			CompiledCode string `json:"compiled_code"`
			Resource     string `json:"resource_type"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	p, err := Open(Inputs{Manifest: data})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for uid, n := range m.Nodes {
		if n.Resource != "model" || n.RawCode != "--placeholder--" || n.CompiledCode == "" {
			continue
		}
		_, err := p.Compile(CompileRequest{Model: uid})
		if err == nil || !strings.Contains(err.Error(), "--placeholder--") || !strings.Contains(err.Error(), "editor buffer") || !strings.Contains(err.Error(), "rewrite") {
			t.Fatalf("%s: %v", uid, err)
		}
		res, err := p.Compile(CompileRequest{Model: uid, Strategy: StrategyAuto})
		if err != nil || res.SQL != n.CompiledCode || res.Strategy != StrategyRewrite {
			t.Fatalf("%s auto: err %v, strategy %q, equal to Fusion's compiled code: %v", uid, err, res.Strategy, err == nil && res.SQL == n.CompiledCode)
		}
		buf := "select * from {{ this }}"
		if res, err = p.Compile(CompileRequest{Model: uid, SQL: &buf}); err != nil || !strings.HasPrefix(res.SQL, "select * from ") || strings.Contains(res.SQL, "{{") {
			t.Fatalf("%s buffer: %v %q", uid, err, res.SQL)
		}
		checked++
	}
	if checked < 5 {
		t.Fatalf("only %d placeholder models", checked)
	}
}
