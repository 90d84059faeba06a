package protocol

import (
	"os"
	"strings"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve"
)

const jaffle = "../testdata/manifests/defer-jaffle-shop-postgres"

// openJaffle opens the postgres dev/prod pair.
func openJaffle(t *testing.T) *Project {
	t.Helper()
	dev, err := os.ReadFile(jaffle + "/dev/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	prod, err := os.ReadFile(jaffle + "/prod/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := resolve.Open(resolve.Inputs{Manifest: dev, ManifestName: "dev/manifest.json", State: prod, StateName: "prod/manifest.json"})
	if err != nil {
		t.Fatal(err)
	}
	return New(p, Config{})
}

func envelope(answer []byte, err error) []byte { return Envelope(answer, err) }

// TestWarmExercises: Warm decodes the heads, then makes its exercise calls,
// counts down to 0 in a bounded number of steps, and leaves every answer
// as it was (the exercise's answers are dropped; its call context is one
// a caller could have made).
func TestWarmExercises(t *testing.T) {
	p := openJaffle(t)
	reqs := []string{
		`{"from":"customers","refs":["stg_customers","stg_orders"],"defer":"favor-state"}`,
		`{"refs":["stg_orders"],"defer":"favor-state"}`,
		`{"refs":["stg_orders"],"defer":"standard"}`,
	}
	var before []string
	for _, r := range reqs {
		before = append(before, string(envelope(Do(p, "resolve", []byte(r)))))
	}
	steps, last := 0, p.Warm(8)
	for left := last; left > 0; left = p.Warm(8) {
		if left > last && steps > 0 {
			t.Fatalf("step %d: %d left after %d", steps, left, last)
		}
		if steps++; steps > 10_000 {
			t.Fatalf("Warm still has %d left after %d steps", left, steps)
		}
		last = left
	}
	if p.warm.analyze == nil || p.warm.complete == nil {
		t.Error("no model's code to exercise analyze and complete on")
	}
	if p.warm.exercised != exerciseTotal {
		t.Errorf("%d exercise calls made, want %d", p.warm.exercised, exerciseTotal)
	}
	if steps < exerciseTotal/8 {
		t.Errorf("Warm was done in %d steps of 8: the exercise calls were not made", steps)
	}
	for i, r := range reqs {
		if got := string(envelope(Do(p, "resolve", []byte(r)))); got != before[i] {
			t.Errorf("%s after Warm:\n%s\nbefore:\n%s", r, got, before[i])
		}
	}
	if left := p.Warm(8); left != 0 {
		t.Errorf("a warm project still has %d left", left)
	}
}

// TestWithoutState: a project opened without a state answers stateInfo
// with null and refuses to defer (the golden files all have a state).
func TestWithoutState(t *testing.T) {
	dev, err := os.ReadFile(jaffle + "/dev/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	rp, err := resolve.Open(resolve.Inputs{Manifest: dev})
	if err != nil {
		t.Fatal(err)
	}
	p := New(rp, Config{})
	if got := string(envelope(Do(p, "stateInfo", nil))); got != `{"ok":null}` {
		t.Errorf("stateInfo = %s", got)
	}
	if got := string(envelope(Do(p, "resolve", []byte(`{"refs":["orders"],"defer":"standard"}`)))); !strings.Contains(got, `"code":"defer.no_state"`) {
		t.Errorf("defer without a state = %s", got)
	}
	if got := string(envelope(Do(p, "lineage", []byte(`{"node":"orders","depth":1}`)))); !strings.HasPrefix(got, `{"ok":{`) {
		t.Errorf("lineage without a state = %.200s", got)
	}
}
