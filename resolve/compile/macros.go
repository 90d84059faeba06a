package compile

import (
	"sort"
	"strings"
	"sync"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/jinja"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
)

// internalPackages are the package names of dbt's own macros and of the
// adapters' bundled macros (the `name:` of each adapter's dbt_project.yml).
var internalPackages = map[string]bool{
	"dbt": true, "dbt_postgres": true, "dbt_redshift": true, "dbt_snowflake": true, "dbt_bigquery": true,
	"dbt_spark": true, "dbt_databricks": true, "dbt_duckdb": true, "dbt_trino": true, "dbt_sqlserver": true,
	"dbt_fabric": true, "dbt_athena": true, "dbt_clickhouse": true, "dbt_teradata": true, "dbt_vertica": true,
	"dbt_synapse": true, "dbt_glue": true, "dbt_materialize": true, "dbt_oracle": true, "dbt_exasol": true,
	"dbt_dremio": true, "dbt_firebolt": true, "dbt_mysql": true, "dbt_sqlite": true, "dbt_rockset": true,
	"dbt_singlestore": true, "dbt_starrocks": true, "dbt_doris": true, "dbt_impala": true, "dbt_hive": true,
	"dbt_risingwave": true, "dbt_timescaledb": true, "dbt_iomete": true, "dbt_maxcompute": true, "dbt_netezza": true,
	"dbt_db2": true, "dbt_yellowbrick": true, "dbt_greenplum": true, "dbt_postgres_sqlserver": false,
}

// macroEntry is one manifest macro, parsed on first use.
type macroEntry struct {
	uid, pkg, name string
	once           sync.Once
	macro          *jinja.Macro
	err            error
}

// macroIndex is the macro namespace material of one manifest: which macros
// each package defines, parsed lazily and cached for the manifest's life.
type macroIndex struct {
	m        *manifest.Manifest
	byPkg    map[string]map[string]*macroEntry
	internal map[string]*macroEntry // merged internal namespace: adapter package wins
	env      *jinja.Environment
}

func newMacroIndex(m *manifest.Manifest, chain []string) *macroIndex {
	ix := &macroIndex{m: m, byPkg: map[string]map[string]*macroEntry{}, internal: map[string]*macroEntry{}, env: jinja.NewEnvironment()}
	for _, uid := range m.Keys("macros") {
		pkg, name, ok := manifest.MacroName(uid)
		if !ok {
			continue
		}
		e := &macroEntry{uid: uid, pkg: pkg, name: name}
		ns := ix.byPkg[pkg]
		if ns == nil {
			ns = map[string]*macroEntry{}
			ix.byPkg[pkg] = ns
		}
		ns[name] = e
	}
	// internal order: the adapter's package and its parents, then the other
	// internal packages, with "dbt" last; earlier packages win.
	var order []string
	seen := map[string]bool{}
	for _, a := range chain {
		p := "dbt_" + a
		if _, ok := ix.byPkg[p]; ok && !seen[p] {
			order = append(order, p)
			seen[p] = true
		}
	}
	for p := range ix.byPkg {
		if internalPackages[p] && p != "dbt" && !seen[p] {
			order = append(order, p)
			seen[p] = true
		}
	}
	order = append(order, "dbt")
	for i := len(order) - 1; i >= 0; i-- {
		for name, e := range ix.byPkg[order[i]] {
			ix.internal[name] = e
		}
	}
	return ix
}

func isInternal(pkg string) bool { return internalPackages[pkg] }

// load parses and executes a macro's macro_sql once.
func (ix *macroIndex) load(e *macroEntry) (*jinja.Macro, error) {
	e.once.Do(func() {
		n, err := ix.m.Node(e.uid)
		if err != nil {
			e.err = err
			return
		}
		src := n.MacroSQL
		t, err := jinja.Parse(n.OriginalFilePath+" ("+e.uid+")", src)
		if err != nil {
			e.err = err
			return
		}
		mod, err := ix.env.Exec(t, nil)
		if err != nil {
			e.err = err
			return
		}
		mc := mod.Macros[e.name]
		if mc == nil {
			for _, x := range mod.Macros {
				mc = x
				break
			}
		}
		if mc == nil {
			e.err = diag.Errorf("compile.macro", diag.Location{UniqueID: e.uid}, "macro %s: macro_sql defines no macro", e.uid)
			return
		}
		mc.Tag = e.pkg
		e.macro = mc
	})
	return e.macro, e.err
}

// lookup resolves a bare name for a node in package pkg (spec §3.4); the
// second result is a package namespace when name is a package.
func (ix *macroIndex) lookup(name, pkg, root string) (*macroEntry, string) {
	if !isInternal(pkg) {
		if e := ix.byPkg[pkg][name]; e != nil {
			return e, ""
		}
	}
	if e := ix.byPkg[root][name]; e != nil {
		return e, ""
	}
	if _, ok := ix.byPkg[name]; ok && !isInternal(name) {
		return nil, name
	}
	if name == "dbt" {
		return nil, "dbt"
	}
	if e := ix.internal[name]; e != nil {
		return e, ""
	}
	return nil, ""
}

// fromPackage is MacroNamespace.get_from_package for a named package.
func (ix *macroIndex) fromPackage(pkg, name string) *macroEntry {
	if pkg == "dbt" {
		return ix.internal[name]
	}
	if isInternal(pkg) {
		return nil
	}
	return ix.byPkg[pkg][name]
}

// MacroRef is a macro of the manifest.
type MacroRef struct{ UniqueID, Package, Name string }

// FindMacro is the macro callee calls in a node of package pkg, found as
// dbt finds it: "p.name" in package p's namespace ("dbt.name": dbt's
// internal one), a bare name in pkg, the root project, then dbt's internal
// packages (the adapter's first).
func (c *Compiler) FindMacro(callee, pkg string) (MacroRef, bool) {
	e := c.findMacro(callee, pkg)
	if e == nil {
		return MacroRef{}, false
	}
	return MacroRef{UniqueID: e.uid, Package: e.pkg, Name: e.name}, true
}

// findMacro is FindMacro's entry (nil when none).
func (c *Compiler) findMacro(callee, pkg string) *macroEntry {
	if ns, name, ok := strings.Cut(callee, "."); ok {
		return c.macros.fromPackage(ns, name)
	}
	e, _ := c.macros.lookup(callee, pkg, c.root)
	return e
}

// PackageMacros are the macros package pkg defines, sorted by name.
func (c *Compiler) PackageMacros(pkg string) []MacroRef {
	out := make([]MacroRef, 0, len(c.macros.byPkg[pkg]))
	for _, e := range c.macros.byPkg[pkg] {
		out = append(out, MacroRef{UniqueID: e.uid, Package: e.pkg, Name: e.name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
