package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/dbtdefer/dbtdefer/resolve"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/protocol"
)

// Store is where published (compact) manifests live: an R2 bucket in the
// Worker (store_r2_js.go), a directory natively (store_dir.go).
type Store interface {
	// Head returns the object's ETag, or found=false.
	Head(ctx context.Context, key string) (etag string, found bool, err error)
	// Get returns the object's bytes and ETag, or found=false.
	Get(ctx context.Context, key string) (data []byte, etag string, found bool, err error)
	// Put stores data and returns its new ETag.
	Put(ctx context.Context, key string, data []byte) (etag string, err error)
}

// storeKey is where a published manifest name lives in the Store.
func storeKey(name string) string { return "manifests/" + name + ".json" }

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// source is one manifest as last loaded: a published name or an allow-listed
// URL, with the validator it was loaded under.
type source struct {
	id      string // "store:NAME" or "url:URL"
	data    []byte // compact form
	etag    string
	checked time.Time
	// how the last request found it: "cached", "revalidated" (304 / same
	// ETag) or "loaded" (new bytes).
	status string
}

// sources loads manifests and keeps the opened projects, one Go instance's
// whole memory of them (the Worker keeps the instance alive per isolate).
type sources struct {
	cfg *Config

	mu       sync.Mutex
	byID     map[string]*source
	projects map[string]*projectEntry // by dev etag + state etag
	order    []string                 // project keys, oldest first
}

type projectEntry struct {
	p        *protocol.Project // with the dev form's project files' vars and dispatch
	openTime time.Duration
}

func newSources(cfg *Config) *sources {
	return &sources{cfg: cfg, byID: map[string]*source{}, projects: map[string]*projectEntry{}}
}

// loaded is what one request used.
type loaded struct {
	p        *protocol.Project
	dev, st  *source
	rr       *source // production's run results published with the state
	opened   bool    // this request opened (indexed) the project
	openTime time.Duration
}

// project returns the project for a dev and an optional state reference
// (published names or allow-listed URLs), loading and opening what changed.
func (s *sources) project(ctx context.Context, devRef, stateRef string, revalidate bool) (*loaded, error) {
	s.mu.Lock() // one load at a time: two isolate-wide copies would not fit in 128 MB
	defer s.mu.Unlock()
	dev, err := s.load(ctx, devRef, revalidate)
	if err != nil {
		return nil, err
	}
	var st, rr *source
	if stateRef != "" {
		if st, err = s.load(ctx, stateRef, revalidate); err != nil {
			return nil, err
		}
		if rr, err = s.loadRunResults(ctx, stateRef, revalidate); err != nil {
			return nil, err
		}
	}
	key := dev.id + "@" + dev.etag
	if st != nil {
		key += "|" + st.id + "@" + st.etag
	}
	if rr != nil {
		key += "|" + rr.id + "@" + rr.etag
	}
	out := &loaded{dev: dev, st: st, rr: rr}
	if e, ok := s.projects[key]; ok {
		out.p, out.openTime = e.p, e.openTime
		return out, nil
	}
	ci, err := ReadCompactInfo(dev.data)
	if err != nil {
		return nil, err
	}
	cfg, err := projectConfigOf(ci)
	if err != nil {
		return nil, err
	}
	in := resolve.Inputs{Manifest: dev.data, ManifestName: displayName(dev.id), Quoting: cfg.quoting,
		RunURL: s.cfg.RunURL, StaleAfter: s.cfg.StaleAfter, Now: s.cfg.Now}
	if rr != nil {
		in.StateRunResults, in.StateRunResultsName = rr.data, displayName(rr.id)
	}
	if st != nil {
		// Deferral only: a compact form keeps what deferring reads, not what
		// dbt's state: methods compare (configs, descriptions, the state's
		// tests), so there is no comparison state. state: selectors answer
		// selector.no_state, and nodes/node/lineage carry no per-node state,
		// instead of calling every node modified.
		in.DeferState, in.DeferStateName = st.data, displayName(st.id)
	}
	t0 := time.Now()
	p, err := resolve.Open(in)
	if err != nil {
		return nil, err
	}
	p.Warnings = append(p.Warnings, cfg.warnings...)
	out.p = protocol.New(p, protocol.Config{Vars: cfg.vars, PackageVars: cfg.packageVars, Dispatch: cfg.dispatch, ProjectYml: cfg.projectYml})
	out.opened, out.openTime = true, time.Since(t0)
	s.projects[key] = &projectEntry{p: out.p, openTime: out.openTime}
	s.order = append(s.order, key)
	for len(s.order) > s.cfg.MaxProjects {
		delete(s.projects, s.order[0])
		s.order = s.order[1:]
	}
	s.forgetUnused()
	return out, nil
}

// forgetUnused drops sources no cached project uses, so old bytes can be
// freed (remembered absences stay: they hold nothing).
func (s *sources) forgetUnused() {
	used := map[string]bool{}
	for k := range s.projects {
		for _, part := range strings.Split(k, "|") {
			used[part] = true
		}
	}
	for id, src := range s.byID {
		if src.data != nil && !used[id+"@"+src.etag] { // a remembered absence holds no bytes
			delete(s.byID, id)
		}
	}
}

func displayName(id string) string {
	if strings.HasPrefix(id, "store:") {
		return strings.TrimPrefix(id, "store:") + ".json"
	}
	if name, ok := strings.CutPrefix(id, "run_results:"); ok {
		return name + ".run_results.json"
	}
	return strings.TrimPrefix(id, "url:")
}

func (s *sources) load(ctx context.Context, ref string, revalidate bool) (*source, error) {
	if strings.HasPrefix(ref, "https://") || strings.HasPrefix(ref, "http://") {
		return s.loadURL(ctx, ref, revalidate)
	}
	if !nameRE.MatchString(ref) {
		return nil, diag.Errorf("request.bad_name", diag.Location{}, "manifest name %q: use letters, digits, '.', '_' or '-' (or an allow-listed https URL)", ref)
	}
	if s.cfg.Store == nil {
		return nil, diag.Errorf("manifest.no_store", diag.Location{}, "no manifest store is bound (R2 binding MANIFESTS)")
	}
	src, found, err := s.loadStored(ctx, "store:"+ref, storeKey(ref), revalidate, false)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, diag.Errorf("manifest.unpublished", diag.Location{Suggestion: ""}, "no manifest is published under the name %q (publish it with PUT /v1/manifests/%s)", ref, ref)
	}
	return src, nil
}

// loadStored loads the Store's object key as source id, revalidating by
// ETag what was loaded before; found is false when there is no such object.
// An optional object's absence is remembered as an entry without data and
// revalidated like one that was found, so a state without run results
// costs no Store read per request.
func (s *sources) loadStored(ctx context.Context, id, key string, revalidate, optional bool) (*source, bool, error) {
	src := s.byID[id]
	now := s.cfg.now()
	if src != nil && !revalidate && now.Sub(src.checked) < s.cfg.RevalidateAfter {
		src.status = "cached"
		return src, src.data != nil, nil
	}
	if src != nil {
		etag, found, err := s.cfg.Store.Head(ctx, key)
		if err != nil {
			return nil, false, storeErr(err)
		}
		if found == (src.data != nil) && etag == src.etag {
			src.checked, src.status = now, "revalidated"
			return src, found, nil
		}
	}
	data, etag, found, err := s.cfg.Store.Get(ctx, key)
	if err != nil {
		return nil, false, storeErr(err)
	}
	if !found {
		delete(s.byID, id)
		if optional {
			s.byID[id] = &source{id: id, checked: now, status: "absent"}
		}
		return nil, false, nil
	}
	src = &source{id: id, data: data, etag: etag, checked: now, status: "loaded"}
	s.byID[id] = src
	return src, true, nil
}

// forget drops what is kept of source id: the next request loads it again.
func (s *sources) forget(id string) {
	s.mu.Lock()
	delete(s.byID, id)
	s.mu.Unlock()
}

// runResultsKey is where production's run_results.json for the published
// state NAME lives (PUT /v1/manifests/NAME?kind=run_results).
func runResultsKey(name string) string { return "run_results/" + name + ".json" }

// runResultsID is the source id of the run results published for a state name.
func runResultsID(name string) string { return "run_results:" + name }

// loadRunResults loads the run results published for a state name, or nil
// (none published, or a URL state).
func (s *sources) loadRunResults(ctx context.Context, stateRef string, revalidate bool) (*source, error) {
	if !nameRE.MatchString(stateRef) || s.cfg.Store == nil {
		return nil, nil
	}
	src, found, err := s.loadStored(ctx, runResultsID(stateRef), runResultsKey(stateRef), revalidate, true)
	if err != nil || !found {
		return nil, err
	}
	return src, nil
}

func storeErr(err error) error {
	return diag.Errorf("store.failed", diag.Location{}, "manifest store: %v", err)
}

// allowed reports whether u may be fetched: equal to an allow-list entry, or
// under one that ends in "/". The Fetch API parses URLs the WHATWG way: it
// resolves "." and ".." path segments, percent-encoded ones (%2e) too, and
// reads "\" as "/", so a URL with any of them could land outside the entry
// it starts with and is refused.
func (c *Config) allowed(u string) bool {
	pu, err := url.Parse(u)
	if err != nil || strings.Contains(u, "\\") || strings.Contains(pu.Path, "\\") { // Path is decoded: %5C too
		return false
	}
	for _, seg := range strings.Split(pu.Path, "/") { // Path is decoded
		if seg == "." || seg == ".." {
			return false
		}
	}
	for _, a := range c.AllowURLs {
		if a == "" {
			continue
		}
		if u == a || strings.HasSuffix(a, "/") && strings.HasPrefix(u, a) && !strings.Contains(u[len(a):], "..") {
			return true
		}
	}
	return false
}

// loadURL fetches an allow-listed manifest, conditionally on the ETag it was
// last loaded with; a 304 keeps the compact form (and the opened project).
func (s *sources) loadURL(ctx context.Context, u string, revalidate bool) (*source, error) {
	if !s.cfg.allowed(u) {
		return nil, diag.Errorf("fetch.not_allowed", diag.Location{}, "the URL is not on the Worker's allow-list (ALLOWED_MANIFEST_URLS); the Worker fetches only allow-listed manifests")
	}
	id := "url:" + u
	src := s.byID[id]
	now := s.cfg.now()
	if src != nil && !revalidate && now.Sub(src.checked) < s.cfg.RevalidateAfter {
		src.status = "cached"
		return src, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, diag.Errorf("fetch.bad_url", diag.Location{}, "cannot fetch: %v", err)
	}
	if src != nil && src.etag != "" {
		req.Header.Set("If-None-Match", src.etag)
	}
	req.Header.Set("Accept", "application/json")
	res, err := s.cfg.HTTP.Do(req)
	if err != nil {
		return nil, diag.Errorf("fetch.failed", diag.Location{File: u}, "fetching the manifest failed: %v", errors.Unwrap(err))
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusNotModified && src != nil:
		src.checked, src.status = now, "revalidated"
		return src, nil
	case res.StatusCode != http.StatusOK:
		return nil, diag.Errorf("fetch.status", diag.Location{File: u}, "fetching the manifest answered HTTP %d", res.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, s.cfg.MaxFetchBytes+1))
	if err != nil {
		return nil, diag.Errorf("fetch.failed", diag.Location{File: u}, "reading the manifest failed: %v", err)
	}
	if int64(len(body)) > s.cfg.MaxFetchBytes {
		return nil, diag.Errorf("fetch.too_large", diag.Location{File: u}, "the manifest is over %d bytes; publish a compact form instead (dbtdefer-worker compact)", s.cfg.MaxFetchBytes)
	}
	etag := res.Header.Get("ETag")
	if etag == "" {
		h := sha256.Sum256(body)
		etag = `"sha256-` + hex.EncodeToString(h[:12]) + `"`
	}
	data := body
	if !IsCompact(body) {
		if data, err = Compact(body, KindDev); err != nil {
			return nil, err
		}
	}
	src = &source{id: id, data: data, etag: etag, checked: now, status: "loaded"}
	s.byID[id] = src
	return src, nil
}

// describe is the X-Dbtdefer-Sources header: which manifests answered and how.
func (l *loaded) describe() string {
	d := func(role string, s *source) string {
		return fmt.Sprintf("%s=%s; etag=%s; %s", role, s.id, s.etag, s.status)
	}
	out := d("manifest", l.dev)
	if l.st != nil {
		out += ", " + d("state", l.st)
	}
	if l.rr != nil {
		out += ", " + d("stateRunResults", l.rr)
	}
	return out
}
