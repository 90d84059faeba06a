// Command devserver serves web/ for `./build.sh serve` and the browser
// tests: the right Content-Type for wasm, precompressed .br/.gz variants when
// the client accepts them, strong ETags with 304s (what dbtdefer.js's URL
// loading relies on), and the demo manifests of resolve/testdata/manifests
// under /testdata/. It is a development tool, not a production server.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Server serves files from a root folder and from mounted folders.
type Server struct {
	// Mounts map URL prefixes ("/testdata/") to folders; "/" is the root.
	Mounts map[string]string
	// Home, when set, is where "/" redirects (the playground).
	Home string
	// Log, when set, receives one line per request.
	Log func(format string, args ...any)

	mu    sync.Mutex
	etags map[etagKey]string
}

type etagKey struct {
	path string
	size int64
	mod  time.Time
}

// contentTypes are set explicitly: the OS mime table may lack wasm or map
// .js to something old.
var contentTypes = map[string]string{
	".wasm": "application/wasm",
	".js":   "text/javascript; charset=utf-8",
	".mjs":  "text/javascript; charset=utf-8",
	".json": "application/json",
	".map":  "application/json",
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".ts":   "text/plain; charset=utf-8",
	".md":   "text/plain; charset=utf-8",
	".yml":  "text/yaml; charset=utf-8",
	".yaml": "text/yaml; charset=utf-8",
	".txt":  "text/plain; charset=utf-8",
	".svg":  "image/svg+xml",
}

// encodings are the precompressed variants, in order of preference.
var encodings = []struct{ name, ext string }{{"br", ".br"}, {"gzip", ".gz"}}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: 200}
	s.serve(rec, r)
	if s.Log != nil {
		s.Log("%s %s %d %s %s", r.Method, r.URL.Path, rec.status, rec.Header().Get("Content-Encoding"), time.Since(start).Round(time.Microsecond))
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if r.URL.Path == "/" && s.Home != "" {
		http.Redirect(w, r, s.Home, http.StatusFound)
		return
	}
	file, ok := s.lookup(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	st, err := os.Stat(file)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if st.IsDir() {
		if !strings.HasSuffix(r.URL.Path, "/") {
			http.Redirect(w, r, r.URL.Path+"/", http.StatusMovedPermanently)
			return
		}
		if ist, err := os.Stat(filepath.Join(file, "index.html")); err == nil && !ist.IsDir() {
			file, st = filepath.Join(file, "index.html"), ist
		} else {
			s.list(w, file, r.URL.Path)
			return
		}
	}
	ct := contentTypes[strings.ToLower(filepath.Ext(file))]
	if ct == "" {
		ct = mime.TypeByExtension(filepath.Ext(file))
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", "no-cache") // always revalidate: cheap with ETags
	served, sst := file, st
	for _, e := range encodings {
		vst, err := os.Stat(file + e.ext)
		if err != nil || vst.IsDir() || vst.ModTime().Before(st.ModTime()) {
			continue // no variant, or a stale one
		}
		h.Add("Vary", "Accept-Encoding")
		if accepts(r.Header.Get("Accept-Encoding"), e.name) {
			served, sst = file+e.ext, vst
			h.Set("Content-Encoding", e.name)
			break
		}
	}
	f, err := os.Open(served)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	etag, err := s.etag(served, sst)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h.Set("ETag", etag)
	// ServeContent answers If-None-Match / If-Modified-Since with 304, HEAD and Range.
	http.ServeContent(w, r, "", st.ModTime(), f)
}

// lookup maps a URL path to a file under the longest matching mount,
// refusing anything that would leave it.
func (s *Server) lookup(urlPath string) (string, bool) {
	p := path.Clean("/" + urlPath)
	bestPre, bestDir, found := "", "", false
	for prefix, dir := range s.Mounts {
		pre := strings.TrimSuffix(prefix, "/") // the root "/" becomes ""
		if (p == pre || strings.HasPrefix(p, pre+"/")) && (!found || len(pre) > len(bestPre)) {
			bestPre, bestDir, found = pre, dir, true
		}
	}
	if !found {
		return "", false
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(p, bestPre), "/")
	if rel == "" {
		rel = "."
	}
	if !fs.ValidPath(rel) {
		return "", false
	}
	return filepath.Join(bestDir, filepath.FromSlash(rel)), true
}

// etag is a strong validator from the content, cached by path, size and mtime.
func (s *Server) etag(file string, st os.FileInfo) (string, error) {
	k := etagKey{file, st.Size(), st.ModTime()}
	s.mu.Lock()
	e, ok := s.etags[k]
	s.mu.Unlock()
	if ok {
		return e, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	e = `"` + hex.EncodeToString(sum[:12]) + `"`
	s.mu.Lock()
	if s.etags == nil {
		s.etags = map[etagKey]string{}
	}
	s.etags[k] = e
	s.mu.Unlock()
	return e, nil
}

// accepts reports whether an Accept-Encoding header allows enc (q=0 refuses).
func accepts(header, enc string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), enc) && strings.TrimSpace(name) != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

func (s *Server) list(w http.ResponseWriter, dir, urlPath string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		http.NotFound(w, nil)
		return
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() {
			n += "/"
		}
		names = append(names, n)
	}
	sort.Strings(names)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!doctype html><title>%s</title><h1>%s</h1><ul>\n", html.EscapeString(urlPath), html.EscapeString(urlPath))
	for _, n := range names {
		fmt.Fprintf(w, "<li><a href=\"%s\">%s</a>\n", html.EscapeString(n), html.EscapeString(n))
	}
	fmt.Fprintln(w, "</ul>")
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
