package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address (port 0 picks a free one)")
	dir := flag.String("dir", "web", "folder served at /")
	testdata := flag.String("testdata", "resolve/testdata/manifests", "folder served at /testdata/ (demo dev/prod manifests); empty to disable")
	verbose := flag.Bool("v", false, "log every request")
	home := flag.String("home", "", "redirect / to this path (./build.sh serve: /playground/)")
	var mounts []string
	flag.Func("mount", "PREFIX=DIR: also serve DIR at /PREFIX/ (repeatable; the benchmarks serve their generated manifests)", func(v string) error {
		prefix, d, ok := strings.Cut(v, "=")
		if !ok || strings.Trim(prefix, "/") == "" || d == "" {
			return fmt.Errorf("want PREFIX=DIR, got %q", v)
		}
		mounts = append(mounts, "/"+strings.Trim(prefix, "/")+"/", d)
		return nil
	})
	flag.Parse()

	s := &Server{Mounts: map[string]string{"/": *dir}, Home: *home}
	for i := 0; i < len(mounts); i += 2 {
		s.Mounts[mounts[i]] = mounts[i+1]
	}
	if *testdata != "" {
		if st, err := os.Stat(*testdata); err == nil && st.IsDir() {
			s.Mounts["/testdata/"] = *testdata
		}
	}
	if *verbose {
		s.Log = log.Printf
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	abs, _ := filepath.Abs(*dir)
	// The first line of stdout is the address: web/test/run.mjs reads it.
	fmt.Printf("listening on http://%s/ (serving %s)\n", ln.Addr(), abs)
	log.Fatal(http.Serve(ln, s))
}
