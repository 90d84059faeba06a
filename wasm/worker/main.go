//go:build !js

package main

// The native twin of main_js.go: the same handler as a plain net/http server
// for local debugging, plus the publish-side tools CI runs.
//
//	worker serve   [-addr 127.0.0.1:9900] [-dir DIR] [-allow URL]... [-state prod]
//	worker compact -kind dev|state [-project dbt_project.yml] [-packages DIR] IN.json OUT.json
//	worker publish -url WORKER_URL -name prod -kind state [-project …] [-packages …] manifest.json   (token: $DBTDEFER_PUBLISH_TOKEN)

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dbtdefer/dbtdefer/resolve"
)

func main() {
	args := os.Args[1:]
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(args)
	case "compact":
		err = compactCmd(args)
	case "publish":
		err = publishCmd(args)
	default:
		err = fmt.Errorf("unknown command %q (serve, compact, publish)", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9900", "listen address")
	dir := fs.String("dir", ".cache/worker-store", "directory holding published manifests (the R2 bucket's stand-in)")
	dev := fs.String("manifest", "dev", "default dev manifest name")
	state := fs.String("state", "prod", "default state manifest name ('' for none)")
	var allow listFlag
	fs.Var(&allow, "allow", "allow-listed manifest URL or prefix ending in /; repeatable")
	runURL := fs.String("run-url", "", "URL template of the production run's page (the Worker's RUN_URL)")
	staleAfter := fs.Duration("stale-after", 0, "the state's age past which it is stale (0: 24h; the Worker's STALE_AFTER_SECONDS)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s := NewServer(Config{Store: dirStore{*dir}, Token: os.Getenv("DBTDEFER_PUBLISH_TOKEN"), AllowURLs: allow,
		DefaultManifest: *dev, DefaultState: *state, RunURL: *runURL, StaleAfter: *staleAfter})
	fmt.Fprintf(os.Stderr, "dbtdefer worker (native) on http://%s, store %s\n", *addr, *dir)
	srv := &http.Server{Addr: *addr, Handler: s, ReadHeaderTimeout: 10 * time.Second}
	return srv.ListenAndServe()
}

func compactCmd(args []string) error {
	fs := flag.NewFlagSet("compact", flag.ContinueOnError)
	kind := fs.String("kind", "dev", "dev (keeps code for compile) or state (coordinates only)")
	pf := projectFileFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return errors.New("compact IN.json OUT.json")
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	files, err := pf.read(fs.Arg(0), Kind(*kind))
	if err != nil {
		return err
	}
	out, err := CompactProject(data, Kind(*kind), files)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s: %d bytes -> %d bytes compact (%s)\n", fs.Arg(0), len(data), len(out), *kind)
	return os.WriteFile(fs.Arg(1), out, 0o644)
}

// publishCmd compacts locally (so big manifests never cross the Worker's
// body limit whole) and PUTs the compact form.
func publishCmd(args []string) error {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	url := fs.String("url", "", "the Worker's base URL")
	name := fs.String("name", "prod", "published name")
	kind := fs.String("kind", "state", "dev, state, or run_results (production's run_results.json for the state NAME)")
	pf := projectFileFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	tok := os.Getenv("DBTDEFER_PUBLISH_TOKEN")
	if *url == "" || fs.NArg() != 1 || tok == "" {
		return errors.New("publish -url URL -name NAME -kind dev|state|run_results FILE.json, with DBTDEFER_PUBLISH_TOKEN set")
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	if Kind(*kind) != kindRunResults && !IsCompact(data) {
		files, err := pf.read(fs.Arg(0), Kind(*kind))
		if err != nil {
			return err
		}
		if data, err = CompactProject(data, Kind(*kind), files); err != nil {
			return err
		}
	}
	req, err := http.NewRequest(http.MethodPut, strings.TrimRight(*url, "/")+"/v1/manifests/"+*name+"?kind="+*kind, bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("publish: HTTP %d: %s", res.StatusCode, bytes.TrimSpace(body))
	}
	fmt.Printf("%s", body)
	return nil
}

// projectFiles are the -project and -packages flags of compact and publish.
type projectFiles struct{ project, packages *string }

func projectFileFlags(fs *flag.FlagSet) projectFiles {
	return projectFiles{
		project:  fs.String("project", "", "dev only: the dbt_project.yml whose vars, dispatch and quoting compile uses (default: beside the manifest or one level up; \"-\" for none)"),
		packages: fs.String("packages", "", "dev only: the installed packages' folder, for their own vars (default: dbt_packages or dbt_modules beside dbt_project.yml)"),
	}
}

// read gathers a dev manifest's project files as texts (nil for a state).
func (f projectFiles) read(manifestPath string, kind Kind) (*ProjectTexts, error) {
	if kind != KindDev || *f.project == "-" {
		return nil, nil
	}
	pt := &ProjectTexts{}
	project := *f.project
	if project == "" {
		project = resolve.FindProjectYml(manifestPath)
	}
	if project != "" {
		b, err := os.ReadFile(project)
		if err != nil {
			return nil, err
		}
		pt.ProjectYml = string(b)
	}
	pkgs := *f.packages
	if pkgs == "" {
		pkgs = resolve.DefaultPackagesDir(project)
	}
	if pkgs != "" {
		files, err := resolve.ReadPackageProjects(pkgs)
		if err != nil {
			return nil, err
		}
		if len(files) > 0 {
			pt.Packages = make(map[string]string, len(files))
		}
		for path, text := range files {
			pt.Packages[filepath.Base(filepath.Dir(path))] = text
		}
	}
	return pt, nil
}
