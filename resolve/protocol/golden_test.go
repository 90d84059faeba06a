package protocol_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve"
	"github.com/dbtdefer/dbtdefer/resolve/protocol"
	"github.com/dbtdefer/dbtdefer/resolve/protocol/protocoltest"
)

// TestGolden runs every golden case through protocol.Do (the other
// surfaces run the same files through their own entry points) and checks
// its facts against dbt's (protocoltest.Verify). Every call has a golden
// file and every golden file is a call.
func TestGolden(t *testing.T) {
	devPath, prodPath := protocoltest.Pair()
	dev, err := os.ReadFile(devPath)
	if err != nil {
		t.Fatal(err)
	}
	prod, err := os.ReadFile(prodPath)
	if err != nil {
		t.Fatal(err)
	}
	rp, err := resolve.Open(resolve.Inputs{Manifest: dev, ManifestName: protocoltest.DevName, State: prod, StateName: protocoltest.ProdName})
	if err != nil {
		t.Fatal(err)
	}
	p := protocol.New(rp, protocol.Config{})
	files := protocoltest.Load(t)
	seen := map[string]bool{}
	for _, f := range files {
		seen[f.Method] = true
		if _, err := protocol.Lookup(f.Method); err != nil {
			t.Errorf("%s: %v", f.Path, err)
			continue
		}
		call, _ := protocol.Lookup(f.Method)
		for _, c := range f.Cases {
			got := protocol.Envelope(protocol.Do(p, f.Method, c.Request))
			f.Check(t, "protocol", c, got)
			if again := protocol.Envelope(protocol.Do(p, f.Method, c.Request)); call.Cacheable && string(again) != string(got) {
				t.Errorf("%s %s is cacheable, yet answered differently the second time", f.Method, c.Name)
			}
			protocoltest.Verify(t, f.Method, c.Request, got)
		}
		f.Save(t)
	}
	if got := fmt.Sprint(protocol.CacheableNames()); got != "[explain lineage node nodes resolve select]" {
		t.Errorf("cacheable calls: %s (compile renders may read the clock; stateInfo has the age)", got)
	}
	for _, name := range protocol.Names() {
		if !seen[name] {
			t.Errorf("call %s has no golden file (testdata/golden/%s.txtar)", name, name)
		}
	}
}
