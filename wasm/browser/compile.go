package main

import (
	"github.com/dbtdefer/dbtdefer/resolve"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
)

// compileRequest is Project.compile's options: a saved model (model), an
// edited buffer (model + sql) or ad-hoc SQL (sql alone), under defer flags.
type compileRequest struct {
	Model string  `json:"model"`
	SQL   *string `json:"sql"`
	// Vars are --vars; Target overrides target.* (name, schema, database,
	// type…); Env is env_var() values; Incremental answers is_incremental().
	Vars        map[string]any    `json:"vars"`
	Target      map[string]any    `json:"target"`
	Env         map[string]string `json:"env"`
	Incremental *bool             `json:"incremental"`
	Empty       bool              `json:"empty"` // dbt --empty
	resolve.CallOptions
}

// compileJSON is the one place the JS compile() reaches Go: a preview
// through resolve.Project.Compile, in the CLI's `compile --json` shape
// ({uniqueId, sql, refs, ctes, diagnostics, state, strategy, outside,
// selfContained}). The project's dbt_project.yml vars and dispatch, and its
// packages' own vars, apply;
// vars given here override them, as dbt's --vars does.
func compileJSON(p *project, req []byte) (any, error) {
	var r compileRequest
	if err := decodeStrict("compile", req, &r); err != nil {
		return nil, err
	}
	if r.Model == "" && r.SQL == nil {
		return nil, diag.Errorf("options.missing", diag.Location{}, "compile: give model (a saved model), model and sql (an edited buffer), or sql (ad-hoc SQL)")
	}
	opt, err := r.Options()
	if err != nil {
		return nil, err
	}
	creq := resolve.CompileRequest{Model: r.Model, SQL: r.SQL, Options: opt, Vars: r.Vars, Target: r.Target, Env: r.Env,
		ProjectVars: p.vars, PackageVars: p.packageVars, Dispatch: p.dispatch, Empty: r.Empty}
	if r.Incremental != nil {
		creq.IsIncremental = *r.Incremental
	}
	return p.Compile(creq)
}
