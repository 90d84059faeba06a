package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dbtdefer/dbtdefer/resolve"
	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
)

func init() {
	register(&command{name: "resolve", summary: "resolve ref()/source()/this from a node under a defer mode, with the rule that decided each", run: runResolve})
}

// projectFlags are the flags every project-opening command shares.
type projectFlags struct {
	manifest, state, deferState, catalog string
	runResults, indirect                 string
	devRelations                         multiFlag
	defer_, profile, unknown             string
	sel, exclude                         multiFlag
	selSet                               bool
	packageFirst                         bool
	maxBytes                             int
	runURL, stateRunResults              string
	stateCatalog, dependencies           string
	upstream                             multiFlag
	staleAfter                           time.Duration
}

func (pf *projectFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&pf.manifest, "manifest", "", "dev manifest.json (required)")
	fs.StringVar(&pf.state, "state", "", "production manifest.json: the defer state and the state: comparison")
	fs.StringVar(&pf.deferState, "defer-state", "", "manifest.json used for deferral only (state: selectors keep --state)")
	fs.StringVar(&pf.indirect, "indirect-selection", "", "tests selected indirectly: eager (default), cautious, buildable or empty")
	fs.StringVar(&pf.catalog, "catalog", "", "dev catalog.json: which dev relations exist, and their columns for introspection (adapter.get_columns_in_relation)")
	fs.StringVar(&pf.stateCatalog, "state-catalog", "", "production's catalog.json: the columns of relations refs resolve to in production")
	fs.Var(&pf.upstream, "upstream", "NAME=PATH: the production manifest.json of upstream project NAME (dbt Mesh: ref('NAME', 'model')); repeatable")
	fs.StringVar(&pf.dependencies, "dependencies", "", "dependencies.yml listing the upstream projects (default: beside dbt_project.yml)")
	fs.StringVar(&pf.runResults, "run-results", "", "dev run_results.json: successful builds exist in dev")
	fs.Var(&pf.devRelations, "dev-relation", "a dev relation known to exist (schema.name or db.schema.name); repeatable")
	fs.StringVar(&pf.defer_, "defer", "off", "defer mode: off, standard or favor-state")
	fs.StringVar(&pf.profile, "profile", "auto", "dbt behaviour: auto, legacy (≤1.7), modern (1.8+) or fusion")
	fs.StringVar(&pf.unknown, "unknown", "missing", "dev relations nothing reports on are treated as missing or present")
	fs.Var(&pf.sel, "select", "dbt selection (default: the node itself); repeatable, '' selects nothing")
	fs.Var(&pf.exclude, "exclude", "dbt exclusion; repeatable")
	fs.BoolVar(&pf.packageFirst, "package-first", false, "search the calling package before the root project (dbt 1.11 flag)")
	fs.StringVar(&pf.runURL, "run-url", "", "URL template of the production run's page, e.g. https://cloud.getdbt.com/deploy/1/projects/{DBT_CLOUD_PROJECT_ID}/runs/{DBT_CLOUD_RUN_ID}")
	fs.StringVar(&pf.stateRunResults, "state-run-results", "", "production's run_results.json: deferred refs carry their node's status in that run")
	fs.DurationVar(&pf.staleAfter, "stale-after", resolve.DefaultStaleAfter, "warn (state.stale) when the state is older than this; 0 never warns")
	maxManifestFlag(fs, &pf.maxBytes)
}

func (pf *projectFlags) open(fs *flag.FlagSet) (*resolve.Project, resolve.Options, error) {
	var opt resolve.Options
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "select" {
			pf.selSet = true
		}
	})
	if pf.manifest == "" {
		return nil, opt, usagef("--manifest is required")
	}
	in := resolve.Inputs{ManifestName: pf.manifest, StateName: pf.state, DeferStateName: pf.deferState, CatalogName: pf.catalog, RunResultsName: pf.runResults, DevRelations: pf.devRelations,
		MaxManifestBytes: pf.maxBytes, RunURL: pf.runURL, StateRunResultsName: pf.stateRunResults, StaleAfter: pf.staleAfter,
		StateCatalogName: pf.stateCatalog}
	if pf.staleAfter <= 0 {
		in.StaleAfter = -1 // the flag's 0: never stale
	}
	var err error
	if in.Manifest, err = readManifest(pf.manifest, pf.maxBytes); err != nil {
		return nil, opt, err
	}
	for _, f := range []struct {
		path     string
		dst      *[]byte
		manifest bool
	}{{pf.state, &in.State, true}, {pf.deferState, &in.DeferState, true}, {pf.catalog, &in.Catalog, false}, {pf.runResults, &in.RunResults, false},
		{pf.stateRunResults, &in.StateRunResults, false}, {pf.stateCatalog, &in.StateCatalog, false}} {
		if f.path == "" {
			continue
		}
		if f.manifest {
			*f.dst, err = readManifest(f.path, pf.maxBytes)
		} else {
			*f.dst, err = readFile(f.path)
		}
		if err != nil {
			return nil, opt, err
		}
	}
	if opt.Defer, err = deferral.ParseMode(pf.defer_); err != nil {
		return nil, opt, err
	}
	if opt.Profile, err = deferral.ParseProfile(pf.profile); err != nil {
		return nil, opt, err
	}
	switch pf.unknown {
	case "missing":
	case "present":
		opt.UnknownPresent = true
	default:
		return nil, opt, usagef("--unknown must be missing or present, got %q", pf.unknown)
	}
	if pf.selSet {
		opt.Select = []string{}
		for _, s := range pf.sel {
			if strings.TrimSpace(s) != "" {
				opt.Select = append(opt.Select, s)
			}
		}
	}
	opt.Exclude = pf.exclude
	opt.Indirect = pf.indirect
	opt.PackageFirst = pf.packageFirst
	if err := pf.mesh(&in); err != nil {
		return nil, opt, err
	}
	p, err := resolve.Open(in)
	return p, opt, err
}

// mesh reads --upstream NAME=PATH and dependencies.yml (--dependencies, or
// the one beside the manifest's dbt_project.yml).
func (pf *projectFlags) mesh(in *resolve.Inputs) error {
	for _, u := range pf.upstream {
		name, path, ok := strings.Cut(u, "=")
		if !ok || name == "" || path == "" {
			return usagef("--upstream wants NAME=PATH (the upstream project's name and its production manifest.json), got %q", u)
		}
		b, err := readManifest(path, pf.maxBytes)
		if err != nil {
			return err
		}
		in.Upstream = append(in.Upstream, resolve.UpstreamManifest{Project: name, Name: path, Manifest: b})
	}
	deps := pf.dependencies
	if deps == "" {
		deps = resolve.FindDependenciesYml(pf.manifest)
	}
	if deps != "" {
		b, err := readFile(deps)
		if err != nil {
			return err
		}
		in.DependenciesYml, in.DependenciesYmlName = b, deps
	}
	return nil
}


func runResolve(fs *flag.FlagSet, args []string, out io.Writer) error {
	var pf projectFlags
	pf.register(fs)
	from := fs.String("from", "", "unique_id or name of the node making the refs")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("resolve needs at least one REF (name, package.name, name@v2, source:src.table or this)")
	}
	var refs []resolve.RefSpec
	for _, a := range pos {
		r, err := resolve.ParseRef(a)
		if err != nil {
			return err
		}
		refs = append(refs, r)
	}
	p, opt, err := pf.open(fs)
	if err != nil {
		return err
	}
	asJSON := fs.Lookup("json").Value.String() == "true"
	printWarnings(out, p.Warnings, asJSON)
	results, warns, err := p.Resolve(*from, refs, opt)
	if err != nil {
		return err
	}
	printWarnings(out, warns, asJSON)
	for _, r := range results {
		if err := jsonOut(out, r); err != nil {
			return err
		}
	}
	return nil
}

// printWarnings prints warnings as text (JSON mode leaves stdout to results
// and puts warnings on stderr-free lines of their own kind).
func printWarnings(out io.Writer, ws []diag.Diagnostic, asJSON bool) {
	for _, w := range ws {
		if asJSON {
			jsonOut(out, map[string]any{"warning": w})
		} else {
			fmt.Fprintf(stderr, "warning: %s\n", (&diag.Error{Diagnostic: w}).Error())
		}
	}
}
