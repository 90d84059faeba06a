package main

import (
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve"
	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
)

// callOptions are the defer flags every call shares; they mirror the CLI's
// project flags and the JS API's options (wasm/browser/calls.go).
type callOptions struct {
	Defer   string `json:"defer"`   // off (default), standard, favor-state
	Profile string `json:"profile"` // auto (default), legacy, modern, fusion
	// Select is dbt's --select: absent selects the node itself, [] nothing.
	Select       *[]string `json:"select"`
	Exclude      []string  `json:"exclude"`
	Unknown      string    `json:"unknown"` // missing (default) or present
	PackageFirst bool      `json:"packageFirst"`
}

func (c callOptions) options() (resolve.Options, error) {
	var opt resolve.Options
	var err error
	if opt.Defer, err = deferral.ParseMode(c.Defer); err != nil {
		return opt, err
	}
	if opt.Profile, err = deferral.ParseProfile(c.Profile); err != nil {
		return opt, err
	}
	switch c.Unknown {
	case "", "missing":
	case "present":
		opt.UnknownPresent = true
	default:
		return opt, diag.Errorf("options.unknown", diag.Location{Suggestion: diag.Closest(c.Unknown, []string{"missing", "present"})},
			"unknown must be \"missing\" or \"present\", got %q", c.Unknown)
	}
	if c.Select != nil {
		opt.Select = nonBlank(*c.Select)
	}
	opt.Exclude = nonBlank(c.Exclude)
	opt.PackageFirst = c.PackageFirst
	return opt, nil
}

// nonBlank drops blank selection words, as the CLI does (” selects nothing).
func nonBlank(words []string) []string {
	out := []string{}
	for _, w := range words {
		if strings.TrimSpace(w) != "" {
			out = append(out, w)
		}
	}
	return out
}

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
	callOptions
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
