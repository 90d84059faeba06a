package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"

	"github.com/dbtdefer/dbtdefer/resolve/protocol/protocoltest"
)

// TestGolden runs the wire protocol's golden files through the HTTP API:
// each request as POST /v1/NAME's body and, where URL parameters can spell
// it and the answer is not an error, as GET /v1/NAME?…, both answered as
// the protocol answers. The
// Worker's own answers (its compact forms keep less) are the files'
// "worker" sections, each with its reason in the file's comment.
func TestGolden(t *testing.T) {
	ts, _ := newTestServer(t)
	gets := 0
	for _, f := range protocoltest.Load(t) {
		for _, c := range f.Cases {
			res, body := do(t, "POST", ts.URL+"/v1/"+f.Method, c.Request, "")
			got := protocoltest.Envelope(res.StatusCode, body)
			f.Check(t, "worker", c, got)
			protocoltest.Verify(t, f.Method, c.Request, got)
			// GET for the requests answered: an error about the JSON
			// itself has no URL spelling (a URL parameter is a string).
			if q, ok := asQuery(c.Request); ok && !*protocoltest.Update && c.Answered("worker") {
				gets++
				res, body := do(t, "GET", ts.URL+"/v1/"+f.Method+"?"+q, nil, "")
				f.Check(t, "worker", c, protocoltest.Envelope(res.StatusCode, body))
			}
		}
		f.Save(t)
	}
	if gets < 15 && !*protocoltest.Update {
		t.Errorf("only %d requests were also sent by GET", gets)
	}
}

// asQuery spells a request as URL parameters: a flat object of strings,
// booleans, integers and lists of strings (refs is ?ref=).
func asQuery(req []byte) (string, bool) {
	var m map[string]any
	if json.Unmarshal(req, &m) != nil {
		return "", false
	}
	q := url.Values{}
	for k, v := range m {
		if k == "refs" {
			k = "ref"
		}
		switch v := v.(type) {
		case string:
			q.Set(k, v)
		case bool:
			q.Set(k, fmt.Sprint(v))
		case float64:
			q.Set(k, fmt.Sprint(int64(v)))
		case []any:
			if len(v) == 0 {
				return "", false // [] has no URL spelling but an empty parameter
			}
			for _, e := range v {
				s, ok := e.(string)
				if !ok {
					return "", false
				}
				q.Add(k, s)
			}
		default:
			return "", false
		}
	}
	return q.Encode(), true
}
