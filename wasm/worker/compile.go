package main

import (
	"encoding/json"
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

// nonBlank drops blank selection words, as the CLI does ('' selects nothing).
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
	Vars        json.RawMessage   `json:"vars"`
	Target      json.RawMessage   `json:"target"`
	Env         map[string]string `json:"env"`
	Incremental *bool             `json:"incremental"`
	// Manifest and State are published names or allow-listed URLs.
	Manifest string `json:"manifest"`
	State    string `json:"state"`
	callOptions
}

// compileProject is the one place the Worker reaches the compiler. Until
// package resolve exports Project.Compile it validates the request and
// answers not_implemented (HTTP 501); see compile_engine.go when it lands.
var compileProject = func(p *resolve.Project, r compileRequest, opt resolve.Options) (any, error) {
	if r.Model != "" {
		if _, err := p.FindNode(r.Model); err != nil {
			return nil, err
		}
	}
	return nil, diag.Errorf("not_implemented", diag.Location{}, "compile is not available in this build yet (package resolve does not export Compile)")
}
