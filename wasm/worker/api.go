// Command worker is dbtdefer's edge preview service: the resolve engine behind
// an HTTP API, built for Cloudflare Workers with github.com/syumai/workers
// (main_js.go) and runnable natively as a plain net/http server for local
// debugging (main.go). The handler is platform-neutral; only the manifest
// store and the HTTP client differ between the twins.
//
// API (JSON in, JSON out; errors are {code, message, location} with a stable
// code and a 4xx/5xx status). Every call of the wire protocol
// (resolve/protocol: resolve, explain, compile, select, stateInfo, nodes,
// node, lineage, analyze, complete) is /v1/NAME, answered by the protocol as the JS API and
// the CLI's `dbtdefer call` answer it: GET spells the request as URL
// parameters, POST sends the JS API's JSON request as the body; both may
// name the manifests (manifest, state).
//
//	GET  /healthz
//	GET  /v1/state?state=prod
//	GET  /v1/resolve?from=customers&ref=stg_customers&defer=favor-state
//	GET  /v1/nodes?resourceType=model&resourceType=seed&package=&query=cust&limit=100&offset=0
//	GET  /v1/node?node=customers
//	GET  /v1/lineage?node=customers&up=true&down=false&depth=2&limit=200&tests=false&defer=standard&select=…
//	POST /v1/compile   {"model": "customers", "defer": "standard", "manifest": "dev", ...}
//	PUT  /v1/manifests/{name}?kind=dev|state|run_results   (Authorization: Bearer TOKEN)
//
// /v1/state answers resolve.Project.StateInfoNow: the run (linked through
// RUN_URL), its age and staleness (STALE_AFTER_SECONDS), and the summary
// of production's run_results.json when one is published under the state's
// name (kind=run_results); then every deferred ref carries its parent's
// status in that run (stateRun) and state.parent_not_success warns of a
// failed one.
//
// Manifests are published names (the compact form in the store) or
// allow-listed URLs fetched conditionally by ETag; `manifest` and `state`
// pick them per request, defaulting to DEFAULT_MANIFEST and DEFAULT_STATE.
// nodes, node and lineage answer as the JS API's nodes(), node() and
// lineage() (resolve.Project.Nodes, NodeDetail, Lineage) without the
// per-node state comparison: the state is opened for deferral only (see
// sources.project), since the compact forms keep too little to compare.
//
// Files:
//
//	api.go          the HTTP routes: /v1/NAME for every protocol call (GET
//	                or POST), /v1/state, publishing, /healthz; errors to
//	                statuses
//	sources.go      manifests by published name or allow-listed URL,
//	                revalidated by ETag, and the opened projects kept
//	compact.go      the compact forms publishing stores
//	store.go        the manifest store (a directory natively)
//	store_r2_js.go  the store on R2 (GOOS=js)
//	main_js.go      the Worker's entry point (syumai/workers)
//	main.go         the native twin: serve, compact, publish
package main

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/dbtdefer/dbtdefer/resolve"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/protocol"
)

// kindRunResults publishes production's run_results.json for a state name.
const kindRunResults Kind = "run_results"

// Version is reported by /healthz.
const Version = "0.1.0"

// Config is everything the handler depends on.
type Config struct {
	Store Store
	HTTP  *http.Client // for allow-listed URLs; must not follow redirects
	// Token is the bearer token publishing needs ("" disables publishing).
	Token     string
	AllowURLs []string
	// DefaultManifest and DefaultState are the names used when a request
	// gives none ("" state: no deferral unless the request names one).
	DefaultManifest, DefaultState string
	MaxBodyBytes                  int64 // compile and other request bodies
	MaxPublishBytes               int64 // PUT /v1/manifests bodies
	MaxFetchBytes                 int64 // allow-listed URL downloads
	// RevalidateAfter is how long a loaded manifest is used before its ETag
	// is checked again (a request with Cache-Control: no-cache checks now).
	RevalidateAfter time.Duration
	MaxProjects     int
	Now             func() time.Time
	// RunURL is the production run's page template (resolve.Inputs.RunURL);
	// StaleAfter the state's age past which it is stale (0: 24 h).
	RunURL     string
	StaleAfter time.Duration
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Config) defaults() {
	if c.DefaultManifest == "" {
		c.DefaultManifest = "dev"
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxPublishBytes == 0 {
		c.MaxPublishBytes = 32 << 20
	}
	if c.MaxFetchBytes == 0 {
		c.MaxFetchBytes = 48 << 20
	}
	if c.RevalidateAfter == 0 {
		c.RevalidateAfter = 10 * time.Second
	}
	if c.MaxProjects == 0 {
		c.MaxProjects = 2
	}
	if c.HTTP == nil {
		c.HTTP = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return errNoRedirects }}
	}
}

var errNoRedirects = errors.New("redirects are not followed (the allow-list applies to the final URL)")

// Server is the HTTP API.
type Server struct {
	cfg  *Config
	src  *sources
	mux  *http.ServeMux
	boot time.Time
}

// NewServer returns the API over cfg.
func NewServer(cfg Config) *Server {
	cfg.defaults()
	s := &Server{cfg: &cfg, boot: time.Now()}
	s.src = newSources(s.cfg)
	m := http.NewServeMux()
	m.HandleFunc("/healthz", s.method(http.MethodGet, s.healthz))
	m.HandleFunc("/v1/state", s.method(http.MethodGet, s.state))
	for _, name := range protocol.Names() {
		c, _ := protocol.Lookup(name)
		m.HandleFunc("/v1/"+name, s.wrap(s.call(c)))
	}
	m.HandleFunc("/v1/manifests/{name}", s.method(http.MethodPut, s.publish))
	m.HandleFunc("/", s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		return diag.Errorf("request.not_found", diag.Location{}, "no route %s %s (see GET /healthz for the API)", r.Method, r.URL.Path)
	}))
	s.mux = m
	return s
}

type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// ServeHTTP serves the API; panics become internal.panic errors.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

func (s *Server) method(m string, h handlerFunc) http.HandlerFunc {
	return s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		if r.Method != m && !(m == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", m)
			return diag.Errorf("request.method", diag.Location{}, "%s needs %s, not %s", r.URL.Path, m, r.Method)
		}
		return h(w, r)
	})
}

// wrap turns a returned error into the JSON error response and times the call.
func (s *Server) wrap(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		tw := &timedWriter{ResponseWriter: w, t0: t0}
		defer func() {
			if p := recover(); p != nil {
				writeError(tw, diag.Errorf("internal.panic", diag.Location{}, "internal error: %v", p))
			}
		}()
		if err := h(tw, r); err != nil {
			writeError(tw, err)
		}
	}
}

// timedWriter adds Server-Timing (Go time spent in the handler) before the
// header is written.
type timedWriter struct {
	http.ResponseWriter
	t0    time.Time
	extra string
}

func (t *timedWriter) WriteHeader(code int) {
	st := fmt.Sprintf("go;dur=%.3f", float64(time.Since(t.t0).Microseconds())/1000)
	if t.extra != "" {
		st += ", " + t.extra
	}
	t.Header().Set("Server-Timing", st)
	t.ResponseWriter.WriteHeader(code)
}

func writeError(w http.ResponseWriter, err error) {
	var de *diag.Error
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		de = diag.Errorf("request.too_large", diag.Location{}, "the request body is over the limit of %d bytes", mbe.Limit)
	case errors.As(err, &de):
	default:
		de = diag.Errorf("internal.error", diag.Location{}, "%v", err)
	}
	if de.Code == "auth.missing" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="dbtdefer"`)
	}
	writeJSON(w, StatusFor(de.Code), protocol.AsError(de))
}

// StatusFor maps a stable error code to its HTTP status.
func StatusFor(code string) int {
	switch code {
	case "request.too_large", "fetch.too_large":
		return http.StatusRequestEntityTooLarge
	case "request.method":
		return http.StatusMethodNotAllowed
	case "request.not_found", "manifest.unpublished", "state.none":
		return http.StatusNotFound
	case "request.media_type":
		return http.StatusUnsupportedMediaType
	case "auth.missing":
		return http.StatusUnauthorized
	case "auth.invalid", "auth.not_configured", "fetch.not_allowed":
		return http.StatusForbidden
	case "fetch.failed", "fetch.status", "store.failed":
		return http.StatusBadGateway
	case "manifest.no_store":
		return http.StatusServiceUnavailable
	case "options.run_url": // the Worker's RUN_URL, not the request
		return http.StatusInternalServerError
	case "not_implemented":
		return http.StatusNotImplemented
	case "defer.no_state":
		return http.StatusBadRequest
	}
	switch {
	case strings.HasPrefix(code, "internal."):
		return http.StatusInternalServerError
	case strings.HasPrefix(code, "request."), strings.HasPrefix(code, "options."), code == "ref.syntax", strings.HasPrefix(code, "fetch."):
		return http.StatusBadRequest
	case strings.HasSuffix(code, ".not_found"):
		return http.StatusNotFound
	}
	return http.StatusUnprocessableEntity // the request was well-formed; the manifest or the model says no
}

// writeJSON writes v as the protocol writes answers (protocol.Marshal).
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := protocol.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = protocol.Marshal(protocol.AsError(err))
	}
	writeAnswer(w, status, b)
}

// writeAnswer writes an answer's JSON, and a newline.
func writeAnswer(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
	w.Write([]byte{'\n'})
}

// healthz answers without touching any manifest.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s.src.mu.Lock()
	nproj := len(s.src.projects)
	s.src.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"ok": true, "version": Version, "go": runtime.Version(), "uptimeMs": time.Since(s.boot).Milliseconds(),
		"defaults": map[string]string{"manifest": s.cfg.DefaultManifest, "state": s.cfg.DefaultState},
		"projects": nproj, "publishing": s.cfg.Token != "",
		"memory": map[string]uint64{"sysBytes": ms.Sys, "heapInuseBytes": ms.HeapInuse, "heapAllocBytes": ms.HeapAlloc},
		"routes": routes(),
	})
	return nil
}

// open loads the request's project: ?manifest= and ?state= (or the body's
// fields) name published manifests or allow-listed URLs.
func (s *Server) open(w http.ResponseWriter, r *http.Request, devRef, stateRef string) (*loaded, error) {
	if devRef == "" {
		devRef = s.cfg.DefaultManifest
	}
	if stateRef == "" {
		stateRef = s.cfg.DefaultState
	}
	if stateRef == "none" {
		stateRef = ""
	}
	revalidate := strings.Contains(r.Header.Get("Cache-Control"), "no-cache")
	l, err := s.src.project(r.Context(), devRef, stateRef, revalidate)
	if err != nil {
		return nil, err
	}
	w.Header().Set("X-Dbtdefer-Sources", l.describe())
	if tw, ok := w.(*timedWriter); ok {
		if l.opened {
			tw.extra = fmt.Sprintf("open;dur=%.3f", float64(l.openTime.Microseconds())/1000)
		} else {
			tw.extra = "open;dur=0;desc=cached"
		}
	}
	return l, nil
}

// state is GET /v1/state: the protocol's stateInfo, 404 without a state,
// with the state's ETag.
func (s *Server) state(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "manifest", "state"); err != nil {
		return err
	}
	l, err := s.open(w, r, q.Get("manifest"), q.Get("state"))
	if err != nil {
		return err
	}
	info := l.p.StateInfoNow()
	if info == nil {
		return diag.Errorf("state.none", diag.Location{}, "no state manifest: name one with ?state= or set DEFAULT_STATE")
	}
	if l.st != nil {
		w.Header().Set("ETag", l.st.etag)
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

// call serves /v1/NAME, the protocol's call NAME: GET spells the request as
// URL parameters (protocol.FromQuery: ?ref=a&ref=b&defer=standard), POST
// sends it as a JSON body (the JS API's request). Either may name the
// manifests to use (manifest, state). The request is checked before any
// manifest is loaded.
func (s *Server) call(c *protocol.Call) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req []byte
		var devRef, stateRef string
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			q := r.URL.Query()
			var err error
			if req, err = protocol.FromQuery(c, q, "manifest", "state"); err != nil {
				return err
			}
			devRef, stateRef = q.Get("manifest"), q.Get("state")
		case http.MethodPost:
			body, err := readBody(w, r, s.cfg.MaxBodyBytes)
			if err != nil {
				return err
			}
			taken, rest, err := protocol.TakeKeys(c.Name, body, "manifest", "state")
			if err != nil {
				return err
			}
			req, devRef, stateRef = rest, taken["manifest"], taken["state"]
		default:
			w.Header().Set("Allow", "GET, POST")
			return diag.Errorf("request.method", diag.Location{}, "%s needs GET or POST, not %s", r.URL.Path, r.Method)
		}
		bound, err := c.Bind(req) // a bad request loads nothing
		if err != nil {
			return err
		}
		l, err := s.open(w, r, devRef, stateRef)
		if err != nil {
			return err
		}
		answer, err := bound.Do(l.p)
		if err != nil {
			return err
		}
		writeAnswer(w, http.StatusOK, answer)
		return nil
	}
}

// publish stores a manifest's compact form under a name. It needs the
// bearer token; the token is never echoed.
func (s *Server) publish(w http.ResponseWriter, r *http.Request) error {
	if err := s.authorize(r); err != nil {
		return err
	}
	name := r.PathValue("name")
	if !nameRE.MatchString(name) {
		return diag.Errorf("request.bad_name", diag.Location{}, "manifest name %q: use letters, digits, '.', '_' or '-'", name)
	}
	if s.cfg.Store == nil {
		return diag.Errorf("manifest.no_store", diag.Location{}, "no manifest store is bound (R2 binding MANIFESTS)")
	}
	kind := Kind(r.URL.Query().Get("kind"))
	if kind == "" {
		kind = KindDev
	}
	if kind != KindDev && kind != KindState && kind != kindRunResults {
		return diag.Errorf("options.kind", diag.Location{Suggestion: diag.Closest(string(kind), []string{"dev", "state", "run_results"})},
			"kind must be \"dev\", \"state\" or \"run_results\", got %q", kind)
	}
	body, err := readBody(w, r, s.cfg.MaxPublishBytes)
	if err != nil {
		return err
	}
	if kind == kindRunResults {
		// Production's run_results.json for the state NAME, stored as it is
		// (it is small), once it reads.
		if _, err := resolve.CheckStateRunResults(name+".run_results.json", body); err != nil {
			return err
		}
		etag, err := s.cfg.Store.Put(r.Context(), runResultsKey(name), body)
		if err != nil {
			return storeErr(err)
		}
		s.src.forget(runResultsID(name)) // used from the next request on (its absence may be remembered)
		writeJSON(w, http.StatusCreated, map[string]any{"name": name, "kind": kind, "etag": etag, "bytes": len(body)})
		return nil
	}
	data := body
	if !IsCompact(body) {
		if data, err = Compact(body, kind); err != nil {
			return err
		}
	}
	body = nil
	// Validate before storing: a manifest the engine cannot open is refused.
	if _, err := resolve.Open(resolve.Inputs{Manifest: data, ManifestName: name + ".json"}); err != nil {
		return err
	}
	etag, err := s.cfg.Store.Put(r.Context(), storeKey(name), data)
	if err != nil {
		return storeErr(err)
	}
	writeJSON(w, http.StatusCreated, map[string]any{"name": name, "kind": kind, "etag": etag, "bytes": len(data)})
	return nil
}

func (s *Server) authorize(r *http.Request) error {
	if s.cfg.Token == "" {
		return diag.Errorf("auth.not_configured", diag.Location{}, "publishing is disabled: the Worker has no PUBLISH_TOKEN secret")
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return diag.Errorf("auth.missing", diag.Location{}, "publishing needs Authorization: Bearer <token>")
	}
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(s.cfg.Token)) != 1 {
		return diag.Errorf("auth.invalid", diag.Location{}, "the bearer token is not valid for publishing")
	}
	return nil
}

// readBody reads at most limit bytes of the body (413 beyond).
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, diag.Errorf("request.read", diag.Location{}, "reading the request body failed: %v", err)
	}
	return b, nil
}

// onlyParams rejects unknown query parameters by name, with a suggestion.
func onlyParams(q map[string][]string, known ...string) error {
	for k := range q {
		ok := false
		for _, n := range known {
			ok = ok || k == n
		}
		if !ok {
			return diag.Errorf("request.unknown_param", diag.Location{Suggestion: diag.Closest(k, known)}, "unknown query parameter %q (known: %s)", k, strings.Join(known, ", "))
		}
	}
	return nil
}

// routes are the API's routes, for /healthz.
func routes() []string {
	out := []string{"GET /healthz", "GET /v1/state"}
	for _, name := range protocol.Names() {
		out = append(out, "GET|POST /v1/"+name)
	}
	return append(out, "PUT /v1/manifests/{name}")
}
