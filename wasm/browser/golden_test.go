package main

import (
	"encoding/json"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/protocol/protocoltest"
)

// TestGolden runs the wire protocol's golden files through the bridge
// (Session.Call, what dbtdefer_call runs): every answer is the protocol's.
func TestGolden(t *testing.T) {
	dev, prod := protocoltest.Pair()
	s := NewSession()
	var o openResult
	a := decode(t, s.Open(OpenRequest{Manifest: read(t, dev), State: read(t, prod),
		Names: Names{Manifest: protocoltest.DevName, State: protocoltest.ProdName}}, nil))
	if a.Error != nil || json.Unmarshal(a.OK, &o) != nil {
		t.Fatalf("open: %+v", a.Error)
	}
	for _, f := range protocoltest.Load(t) {
		for _, c := range f.Cases {
			got := s.Call(o.Handle, f.Method, c.Request)
			f.Check(t, "browser", c, got)
			protocoltest.Verify(t, f.Method, c.Request, got)
		}
		f.Save(t)
	}
}
