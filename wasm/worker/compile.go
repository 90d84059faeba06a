package main

import (
	"github.com/dbtdefer/dbtdefer/resolve"
)

// compileRequest is POST /v1/compile's body: the JS API's compile() options
// (a saved model, an edited buffer or ad-hoc SQL, defer flags, vars) plus
// the manifests to use.
type compileRequest struct {
	Model       string            `json:"model"`
	SQL         *string           `json:"sql"`
	Vars        map[string]any    `json:"vars"`
	Target      map[string]any    `json:"target"`
	Env         map[string]string `json:"env"`
	Incremental *bool             `json:"incremental"`
	Empty       bool              `json:"empty"` // dbt --empty
	// Strategy is render (default), rewrite or auto; rewrite needs saved
	// compiled code, which the compact form drops, so render is what works.
	Strategy string `json:"strategy"`
	// Manifest and State are published names or allow-listed URLs.
	Manifest string `json:"manifest"`
	State    string `json:"state"`
	resolve.CallOptions
}

// compileProject is the one place the Worker reaches the compiler
// (resolve.Project.Compile); the result is the CLI's `compile --json` shape.
// The dev form's project files give the project's and the packages' vars
// and dispatch; the request's vars override them, as dbt's --vars does.
func compileProject(p *resolve.Project, cfg *projectConfig, r compileRequest, opt resolve.Options) (any, error) {
	req := resolve.CompileRequest{Model: r.Model, SQL: r.SQL, Options: opt, Vars: r.Vars, Env: r.Env, Target: r.Target, Strategy: r.Strategy, Empty: r.Empty}
	if cfg != nil {
		req.ProjectVars, req.PackageVars, req.Dispatch = cfg.vars, cfg.packageVars, cfg.dispatch
	}
	if r.Incremental != nil {
		req.IsIncremental = *r.Incremental
	}
	return p.Compile(req)
}
