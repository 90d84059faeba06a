//go:build js && wasm

package main

// The Worker twin of main.go: the same handler served by syumai/workers.
// Redirects are not followed (manual mode: a 3xx is an error), so the
// allow-list applies to every URL fetched.
//
// Unlike syumai's stock glue, web/worker/src/worker.mjs starts this Go
// instance once per isolate and hands it every request, so the opened
// projects (the compact manifests and their indexes) stay in Go memory
// between requests. That is why main never returns: workers.Serve would
// exit after the first response.

import (
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/syumai/workers"
	"github.com/syumai/workers/cloudflare"
	"github.com/syumai/workers/cloudflare/fetch"
)

func main() {
	// 128 MB per isolate holds the wasm code, JS and this heap: ask the GC
	// to work harder before the linear memory (which never shrinks) grows.
	// 100 MiB: a 100 MB dev manifest's compact form and its state (54 MB,
	// 65 MB live once indexed) leave room for a request's garbage, so a
	// warm compile is 13 ms and the linear memory peaks at 120 MB; at 80 MiB
	// the same pair collected on every request (176 ms each).
	debug.SetMemoryLimit(int64(envInt("GO_MEMORY_LIMIT_MB", 100)) << 20)
	var (
		once sync.Once
		srv  *Server
	)
	// Bindings and vars are read on the first request: the glue sets the
	// runtime context (env, ctx) before each call into Go.
	workers.ServeNonBlock(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { srv = NewServer(configFromEnv()) })
		srv.ServeHTTP(w, r)
	}))
	workers.Ready()
	select {}
}

func configFromEnv() Config {
	cfg := Config{
		Token:           cloudflare.Getenv("PUBLISH_TOKEN"),
		DefaultManifest: cloudflare.Getenv("DEFAULT_MANIFEST"),
		DefaultState:    cloudflare.Getenv("DEFAULT_STATE"),
		MaxBodyBytes:    int64(envInt("MAX_BODY_BYTES", 0)),
		MaxPublishBytes: int64(envInt("MAX_PUBLISH_BYTES", 0)),
		MaxFetchBytes:   int64(envInt("MAX_FETCH_BYTES", 0)),
		RevalidateAfter: time.Duration(envInt("REVALIDATE_SECONDS", 0)) * time.Second,
		RunURL:          cloudflare.Getenv("RUN_URL"),
		StaleAfter:      time.Duration(envInt("STALE_AFTER_SECONDS", 0)) * time.Second,
		HTTP:            fetch.NewClient().HTTPClient(fetch.RedirectModeManual),
	}
	for _, u := range strings.Split(cloudflare.Getenv("ALLOWED_MANIFEST_URLS"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			cfg.AllowURLs = append(cfg.AllowURLs, u)
		}
	}
	if st, err := newR2Store("MANIFESTS"); err == nil {
		cfg.Store = st
	}
	return cfg
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(cloudflare.Getenv(name)); err == nil {
		return v
	}
	return def
}
