package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve"
	"github.com/dbtdefer/dbtdefer/resolve/compile"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/protocol"
)

func init() {
	register(&command{name: "compile", summary: "compile a model (or --sql FILE) to SQL under a defer mode, with ephemeral CTEs inlined", run: runCompile})
}

func runCompile(fs *flag.FlagSet, args []string, out io.Writer) error {
	var pf projectFlags
	pf.register(fs)
	sqlFile := fs.String("sql", "", "compile this file's text (an edited buffer of MODEL, or a snippet without MODEL); - reads stdin")
	vars := fs.String("vars", "", "--vars as JSON or YAML (e.g. '{\"start\": \"2024-01-01\"}')")
	var files projectFiles
	files.register(fs)
	target := fs.String("target", "", "target overrides as JSON (e.g. '{\"name\": \"prod\"}')")
	incremental := fs.Bool("incremental", false, "answer is_incremental() with true")
	empty := fs.Bool("empty", false, "dbt --empty: refs and sources render as zero-row subqueries")
	strategy := fs.String("strategy", "render", "render, rewrite (substitute deferred relations in dbt's saved compiled code) or auto")
	var envs multiFlag
	fs.Var(&envs, "env", "NAME=VALUE for env_var(); repeatable")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("compile takes one MODEL, got %d", len(pos))
	}
	p, opt, err := pf.open(fs)
	if err != nil {
		return err
	}
	asJSON := fs.Lookup("json").Value.String() == "true"
	printWarnings(out, p.Warnings, asJSON)
	req := resolve.CompileRequest{Options: opt, Strategy: *strategy, IsIncremental: *incremental, Empty: *empty}
	if len(pos) == 1 {
		req.Model = pos[0]
	}
	if *sqlFile != "" {
		var b []byte
		if *sqlFile == "-" {
			b, err = io.ReadAll(os.Stdin)
		} else {
			b, err = readFile(*sqlFile)
		}
		if err != nil {
			return err
		}
		s := string(b)
		req.SQL = &s
	} else if req.Model == "" {
		return usagef("compile needs a MODEL or --sql FILE")
	}
	cfg, err := files.config(pf.manifest, func(w []diag.Diagnostic) { printWarnings(out, w, asJSON) })
	if err != nil {
		return err
	}
	req.ProjectVars, req.PackageVars, req.Dispatch = cfg.Vars, cfg.PackageVars, cfg.Dispatch
	if *vars != "" {
		pc, err := compile.ParseProjectYAML([]byte("vars: " + strings.TrimSpace(*vars)))
		if err != nil {
			return usagef("--vars: %v", err)
		}
		req.Vars = pc.Vars
	}
	if *target != "" {
		if err := json.Unmarshal([]byte(*target), &req.Target); err != nil {
			return usagef("--target: %v", err)
		}
	}
	for _, e := range envs {
		k, v, ok := strings.Cut(e, "=")
		if !ok {
			return usagef("--env wants NAME=VALUE, got %q", e)
		}
		if req.Env == nil {
			req.Env = map[string]string{}
		}
		req.Env[k] = v
	}
	res, err := p.Compile(req)
	if err != nil {
		return err
	}
	if asJSON {
		return jsonOut(out, res)
	}
	for _, d := range res.Diagnostics {
		fmt.Fprintf(stderr, "%s: %s\n", d.Severity, d.Message)
	}
	_, err = io.WriteString(out, res.SQL)
	if err == nil && !strings.HasSuffix(res.SQL, "\n") {
		_, err = io.WriteString(out, "\n")
	}
	return err
}

// projectFiles are the --project and --packages flags of the commands that
// compile or analyze (compile, call, analyze).
type projectFiles struct{ project, packages string }

func (f *projectFiles) register(fs *flag.FlagSet) {
	fs.StringVar(&f.project, "project", "", "dbt_project.yml for vars, quoting and dispatch (default: beside the manifest or one level up)")
	fs.StringVar(&f.packages, "packages", "", "installed packages' folder, read for each package's own dbt_project.yml vars (default: dbt_packages or dbt_modules beside dbt_project.yml)")
}

// config reads what compile takes from the project's files: the root
// dbt_project.yml's vars and dispatch (--project, or the one found beside
// the manifest) and the installed packages' own vars (--packages, or
// dbt_packages/dbt_modules beside dbt_project.yml). Warnings go to warn.
func (f *projectFiles) config(manifestPath string, warn func([]diag.Diagnostic)) (protocol.Config, error) {
	var cfg protocol.Config
	pyml := f.project
	if pyml == "" {
		pyml = resolve.FindProjectYml(manifestPath)
	}
	if pyml != "" {
		b, err := readFile(pyml)
		if err != nil {
			return cfg, err
		}
		pc, err := compile.ParseProjectYAML(b)
		if err != nil {
			return cfg, err
		}
		cfg.Vars, cfg.Dispatch, cfg.ProjectYml = pc.Vars, pc.Dispatch, true
	}
	pkgDir := f.packages
	if pkgDir == "" {
		pkgDir = resolve.DefaultPackagesDir(pyml)
	}
	if pkgDir != "" {
		pv, warns, err := resolve.ReadPackagesDir(pkgDir)
		if err != nil {
			return cfg, err
		}
		warn(warns)
		cfg.PackageVars = pv
	}
	return cfg, nil
}
