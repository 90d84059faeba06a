package main

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/manifest"
	"github.com/dbtdefer/dbtdefer/resolve/protocol"
)

// BenchmarkResolveCall measures one resolve call through the bridge (request
// JSON in, envelope JSON out), as the JS API makes it, on the pair named by
// DBTDEFER_BENCH_DEV and DBTDEFER_BENCH_PROD (./build.sh bench's synthetic
// pairs; skipped without them). Cold: each call asks for a ref not asked
// before in this project (nothing decoded or kept for it yet). Warmed: the
// same after Session.Warm (what the browser host does after an open). Again: the
// refs were asked before (their nodes are decoded; the call is answered
// anew, as the JS API does when its own kept answers miss).
func BenchmarkResolveCall(b *testing.B) {
	dev, prod := os.Getenv("DBTDEFER_BENCH_DEV"), os.Getenv("DBTDEFER_BENCH_PROD")
	if dev == "" || prod == "" {
		b.Skip("DBTDEFER_BENCH_DEV and DBTDEFER_BENCH_PROD name no pair")
	}
	db, err := os.ReadFile(dev)
	if err != nil {
		b.Fatal(err)
	}
	pb, err := os.ReadFile(prod)
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"cold", "warmed", "again"} {
		again := name == "again"
		b.Run(name, func(b *testing.B) {
			s := NewSession()
			a := string(s.Open(OpenRequest{Manifest: db, State: pb}, nil))
			h := 0
			if _, err := fmt.Sscanf(a, `{"ok":{"handle":%d`, &h); err != nil {
				b.Fatalf("open: %s", a[:min(len(a), 300)])
			}
			if name == "warmed" {
				for s.Warm(h, 1<<30) > 0 {
				}
			}
			// Every ref name of the dev manifest that is also in prod: the
			// distinct refs a "cold" run asks for, each once.
			names := []string{}
			p := s.projects[h]
			for _, n := range p.Dev.RefNames() {
				if p.State.LookupRef(manifest.LookupQuery{Name: n, Root: p.Root, CallerPackage: p.Root}).Status == manifest.Found {
					names = append(names, n)
				}
			}
			if !again && b.N > len(names) {
				b.Fatalf("%d calls but only %d distinct refs: use -benchtime %dx or less", b.N, len(names), len(names))
			}
			req := func(i int) []byte {
				return []byte(`{"from":"customers_0000","refs":["` + names[i%len(names)] + `"],"defer":"favor-state"}`)
			}
			out := s.Call(h, "resolve", req(0))
			if !strings.Contains(string(out), `"ok"`) {
				b.Fatalf("resolve: %s", out)
			}
			if again {
				// Again: 2000 refs, each asked once before timing.
				names = names[:min(len(names), 2000)]
				for i := range names {
					s.Call(h, "resolve", req(i))
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				out = s.Call(h, "resolve", req(i))
			}
			b.StopTimer()
			if !strings.Contains(string(out), `"ok"`) {
				b.Fatalf("resolve: %s", out)
			}
		})
	}
}

// BenchmarkDecodeStrict measures reading a resolve request (what every
// resolve call does before resolving).
func BenchmarkDecodeStrict(b *testing.B) {
	req := []byte(`{"from":"customers_0000","refs":["stg_orders_0001"],"defer":"favor-state","profile":"modern","unknown":"missing","select":["customers_0000+"]}`)
	for i := 0; i < b.N; i++ {
		var r protocol.ResolveRequest
		if err := protocol.Decode("resolve", req, &r); err != nil || r.From == "" || len(r.Refs) != 1 || r.Select == nil {
			b.Fatal(err, r)
		}
	}
}
