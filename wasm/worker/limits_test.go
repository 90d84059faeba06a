package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// TestAllowListEscapes: URLs that start with an allow-listed prefix but
// would land outside it once the Fetch API (WHATWG URL parsing) resolves
// dot segments, percent-encoded or not, or reads "\" as "/", are refused
// and never fetched; so are other hosts and prefixes of the entry.
func TestAllowListEscapes(t *testing.T) {
	var hits atomic.Int32
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write(readDemo(t, "prod"))
	}))
	defer origin.Close()
	ts, _ := newTestServer(t, origin.URL+"/ci/", origin.URL+"/one/manifest.json")
	for _, path := range []string{
		"/ci/../private/manifest.json",
		"/ci/%2e%2e/private/manifest.json",
		"/ci/%2E%2e/private/manifest.json",
		"/ci/.%2e/private/manifest.json",
		"/ci/%2e./private/manifest.json",
		"/ci/..%2fprivate/manifest.json",
		"/ci/..\\private/manifest.json",
		"/ci/..%5Cprivate/manifest.json",
		"/ci/%2e/../private/manifest.json",
		"/ci",
		"/cix/manifest.json",
		"/one/manifest.json/../../private/manifest.json",
		"/one/manifest.jsonx",
	} {
		res, body := do(t, "GET", ts.URL+"/v1/state?state="+url.QueryEscape(origin.URL+path), nil, "")
		wantError(t, res, body, 403, "fetch.not_allowed")
	}
	res, body := do(t, "GET", ts.URL+"/v1/state?state="+url.QueryEscape("http://other.invalid/ci/manifest.json"), nil, "")
	wantError(t, res, body, 403, "fetch.not_allowed")
	if hits.Load() != 0 {
		t.Fatalf("an off-list URL was fetched (%d hits)", hits.Load())
	}
	// The entries themselves still work.
	for _, path := range []string{"/ci/prod/manifest.json", "/one/manifest.json"} {
		res, body := do(t, "GET", ts.URL+"/v1/state?state="+url.QueryEscape(origin.URL+path), nil, "")
		if res.StatusCode != 200 {
			t.Errorf("%s: %d %s", path, res.StatusCode, body)
		}
	}
}

// TestBodyAndFetchLimits: every size bound answers with its own error: a
// publish body over MaxPublishBytes (with or without a Content-Length),
// a compile body over MaxBodyBytes without a Content-Length, and an
// allow-listed manifest over MaxFetchBytes.
func TestBodyAndFetchLimits(t *testing.T) {
	prod := readDemo(t, "prod")
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(prod) }))
	defer origin.Close()
	st := newMemStore()
	dev, err := Compact(readDemo(t, "dev"), KindDev)
	if err != nil {
		t.Fatal(err)
	}
	st.Put(context.Background(), storeKey("dev"), dev)
	ts := httptest.NewServer(NewServer(Config{Store: st, Token: "s3cret", AllowURLs: []string{origin.URL + "/"},
		MaxBodyBytes: 4096, MaxPublishBytes: 1 << 16, MaxFetchBytes: int64(len(prod) / 2)}))
	defer ts.Close()
	big := bytes.Repeat([]byte(" "), 1<<17)
	res, body := do(t, "PUT", ts.URL+"/v1/manifests/x", big, "Bearer s3cret")
	wantError(t, res, body, 413, "request.too_large")
	// Chunked: no Content-Length, the limit is found while reading.
	for _, c := range []struct{ method, path, auth string }{{"PUT", "/v1/manifests/x", "Bearer s3cret"}, {"POST", "/v1/compile", ""}} {
		req, _ := http.NewRequest(c.method, ts.URL+c.path, io.MultiReader(bytes.NewReader(big), strings.NewReader("{}")))
		req.ContentLength = -1
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		wantError(t, res, b, 413, "request.too_large")
	}
	res, body = do(t, "GET", ts.URL+"/v1/state?state="+url.QueryEscape(origin.URL+"/prod/manifest.json"), nil, "")
	if e := wantError(t, res, body, 413, "fetch.too_large"); !strings.Contains(e.Message, "over") {
		t.Errorf("message: %s", body)
	}
}

// TestPublishingDisabledWithoutToken: with no PUBLISH_TOKEN configured,
// publishing is refused whatever the request carries.
func TestPublishingDisabledWithoutToken(t *testing.T) {
	ts := httptest.NewServer(NewServer(Config{Store: newMemStore()}))
	defer ts.Close()
	for _, auth := range []string{"", "Bearer ", "Bearer x"} {
		res, body := do(t, "PUT", ts.URL+"/v1/manifests/x", readDemo(t, "dev"), auth)
		wantError(t, res, body, 403, "auth.not_configured")
	}
}
