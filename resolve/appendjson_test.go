package resolve

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
)

// sameJSON fails unless a and b are the same bytes.
func sameJSON(t *testing.T, what string, a, b []byte) {
	t.Helper()
	if !json.Valid(a) {
		t.Fatalf("%s: AppendJSON wrote invalid JSON %s", what, a)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("%s:\n AppendJSON   %s\n json.Marshal %s", what, a, b)
	}
}

// TestAppendJSONMatchesMarshal: AppendJSON writes json.Marshal's bytes for
// every ref of every model of every real pair, in each defer mode, and for
// strings that need escaping.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	n := 0
	for _, dir := range corpus.Pairs() {
		p := openPair(t, dir)
		for _, uid := range p.Dev.Keys("nodes") {
			m, err := p.Dev.Node(uid)
			if err != nil || m.ResourceType != "model" {
				continue
			}
			for _, mode := range []deferral.Mode{deferral.Off, deferral.Standard, deferral.FavorState} {
				for _, r := range append(m.Refs, manifest.Ref{}) {
					spec := RefSpec{Kind: "ref", Name: r.Name, Package: r.Package, Version: r.Version}
					if r.Name == "" {
						spec = RefSpec{Kind: "this"}
					}
					res, _, err := p.Resolve(uid, []RefSpec{spec}, Options{Defer: mode})
					if err != nil {
						continue
					}
					want, _ := json.Marshal(res[0])
					sameJSON(t, dir+" "+uid+" "+spec.String(), res[0].AppendJSON(nil), want)
					n++
				}
			}
		}
	}
	if n < 50 {
		t.Fatalf("only %d results compared", n)
	}
	odd := "q\"b\\s/\n\r\t\b\f\x00\x1f\x7f <>&\u2028\u2029 é 日本 \xff\xfe end"
	r := RefResult{Ref: odd, Kind: odd, UniqueID: odd, Relation: odd, Env: deferral.Env(odd), Rule: odd, Reason: odd, Assumption: true,
		Evidence: deferral.Evidence(odd), Database: odd, Schema: odd, Identifier: odd, DevRelation: odd, StateRelation: odd, Selected: true,
		State: &StateInfo{InvocationID: odd, GeneratedAt: odd, InvocationStartedAt: odd, DbtVersion: odd, SchemaVersion: -3, ProjectName: odd,
			AdapterType: odd, Env: map[string]string{odd: odd, "b": "", "a": "x"}, File: odd},
		Upstream: &UpstreamInfo{Project: odd, Source: odd, File: odd, GeneratedAt: odd, InvocationID: odd}}
	want, _ := json.Marshal(r)
	sameJSON(t, "escapes", r.AppendJSON(nil), want)
	empty := RefResult{State: &StateInfo{}}
	want, _ = json.Marshal(empty)
	sameJSON(t, "empty", empty.AppendJSON(nil), want)
	t.Logf("%d results", n)
}

// FuzzAppendString: appendString writes json.Marshal's bytes for any string
// (plain8 lets through 8 bytes at a time only what the byte loop would).
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain ascii text here", "01234567\"", "abcdefgh<", "abcdefg\x7f", "abcdefg\x80x", "\x1f1234567",
		"stg_orders_0001 is not selected, so production's relation is used", "\"postgres\".\"prod\".\"x\"", "12345678&", "1234567>", "é12345678",
		"abc\u2028defghijk", "abcdefgh\xff", " !#$%'()*+,-./:;=?@[]^_`{|}~"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: appendString %s, json.Marshal %s", s, got, want)
		}
	})
}

// TestPlain8 checks plain8 against jsonSafe for every byte value in every
// position of a word.
func TestPlain8(t *testing.T) {
	for pos := 0; pos < 8; pos++ {
		for c := 0; c < 256; c++ {
			w := []byte("abcdefgh")
			w[pos] = byte(c)
			x := uint64(0)
			for i := 7; i >= 0; i-- {
				x = x<<8 | uint64(w[i])
			}
			if plain8(x) != jsonSafe[c] {
				t.Fatalf("byte %#x at %d: plain8 %v, jsonSafe %v", c, pos, plain8(x), jsonSafe[c])
			}
		}
	}
}
