package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// newTestServer serves a temp folder with a wasm file and its variants, and
// a /testdata/ mount.
func newTestServer(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	root, data := t.TempDir(), t.TempDir()
	write := func(p string, b []byte) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "dist", "m.wasm"), []byte("\x00asm raw"))
	write(filepath.Join(root, "dist", "m.wasm.br"), []byte("brotli bytes"))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("\x00asm raw"))
	zw.Close()
	write(filepath.Join(root, "dist", "m.wasm.gz"), gz.Bytes())
	write(filepath.Join(root, "index.html"), []byte("<h1>hi</h1>"))
	write(filepath.Join(root, "a.js"), []byte("export {}"))
	write(filepath.Join(data, "pair", "prod", "manifest.json"), []byte(`{"metadata":{}}`))
	// A stale variant (older than its file) must never be served.
	write(filepath.Join(root, "old.json"), []byte(`{"new":true}`))
	write(filepath.Join(root, "old.json.br"), []byte("stale"))
	past := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(root, "old.json.br"), past, past)
	ts := httptest.NewServer(&Server{Mounts: map[string]string{"/": root, "/testdata/": data}})
	t.Cleanup(ts.Close)
	return ts, root
}

func get(t *testing.T, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// DisableCompression: see the Content-Encoding the server chose.
	res, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestPrecompressedVariants(t *testing.T) {
	ts, _ := newTestServer(t)
	for _, c := range []struct{ accept, encoding, body string }{
		{"gzip, deflate, br", "br", "brotli bytes"},
		{"gzip", "gzip", ""},
		{"br;q=0, gzip", "gzip", ""},
		{"", "", "\x00asm raw"},
	} {
		res, body := get(t, ts.URL+"/dist/m.wasm", "Accept-Encoding", c.accept)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/wasm" || res.Header.Get("Content-Encoding") != c.encoding {
			t.Errorf("Accept-Encoding %q: %d %q %q", c.accept, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Encoding"))
		}
		if c.body != "" && body != c.body {
			t.Errorf("Accept-Encoding %q: body %q", c.accept, body)
		}
		if res.Header.Get("Vary") == "" {
			t.Errorf("no Vary header")
		}
	}
	if res, body := get(t, ts.URL+"/old.json", "Accept-Encoding", "br"); res.Header.Get("Content-Encoding") != "" || body != `{"new":true}` {
		t.Errorf("stale variant served: %q %q", res.Header.Get("Content-Encoding"), body)
	}
}

func TestETagAnd304(t *testing.T) {
	ts, root := newTestServer(t)
	url := ts.URL + "/testdata/pair/prod/manifest.json"
	res, body := get(t, url)
	etag := res.Header.Get("ETag")
	if res.StatusCode != 200 || body != `{"metadata":{}}` || etag == "" || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("first GET: %d %q etag %q", res.StatusCode, body, etag)
	}
	if res, _ := get(t, url, "If-None-Match", etag); res.StatusCode != 304 || res.Header.Get("ETag") != etag {
		t.Errorf("revalidation: %d, etag %q", res.StatusCode, res.Header.Get("ETag"))
	}
	if res, _ := get(t, url, "If-None-Match", `"other"`); res.StatusCode != 200 {
		t.Errorf("other etag: %d", res.StatusCode)
	}
	// A variant has its own validator.
	r1, _ := get(t, ts.URL+"/dist/m.wasm", "Accept-Encoding", "br")
	r2, _ := get(t, ts.URL+"/dist/m.wasm")
	if r1.Header.Get("ETag") == r2.Header.Get("ETag") {
		t.Error("br and identity share an ETag")
	}
	// Content changes change the ETag.
	later := time.Now().Add(time.Minute)
	p := filepath.Join(root, "a.js")
	os.WriteFile(p, []byte("export const x = 1"), 0o644)
	os.Chtimes(p, later, later)
	if res, _ := get(t, ts.URL+"/a.js", "If-None-Match", etag); res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Errorf("a.js: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

func TestPathsAndMethods(t *testing.T) {
	ts, _ := newTestServer(t)
	for _, c := range []struct {
		path string
		code int
	}{
		{"/", 200}, {"/index.html", 200}, {"/testdata/", 200}, {"/testdata/pair", 301},
		{"/nope.js", 404}, {"/testdata/../../etc/passwd", 404}, {"/%2e%2e/secret", 404},
	} {
		res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(ts.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.code {
			t.Errorf("GET %s = %d, want %d", c.path, res.StatusCode, c.code)
		}
	}
	res, err := http.Post(ts.URL+"/a.js", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 405 {
		t.Errorf("POST = %d", res.StatusCode)
	}
}

// TestHomeRedirect: with Home set (./build.sh serve), "/" leads to the
// playground; other paths are served as before.
func TestHomeRedirect(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "playground"), 0o755)
	os.WriteFile(filepath.Join(root, "playground", "index.html"), []byte("<h1>playground</h1>"), 0o644)
	ts := httptest.NewServer(&Server{Mounts: map[string]string{"/": root}, Home: "/playground/"})
	defer ts.Close()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/playground/" {
		t.Errorf("GET / = %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, err = http.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), "playground") {
		t.Errorf("following / gave %d %q", res.StatusCode, b)
	}
}
