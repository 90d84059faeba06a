package main

import (
	"encoding/json"

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
	Vars        json.RawMessage   `json:"vars"`
	Target      json.RawMessage   `json:"target"`
	Env         map[string]string `json:"env"`
	Incremental *bool             `json:"incremental"`
	callOptions
}

// compileJSON is the one place the JS compile() reaches Go. It validates the
// request and answers not_implemented until package resolve exports Compile;
// wiring it is: opt, _ := r.options(); res, err := p.Compile(...); return res, err
// (the result must marshal to {sql, refs, ctes, diagnostics, state}).
func compileJSON(p *resolve.Project, req []byte) (any, error) {
	var r compileRequest
	if err := decodeStrict("compile", req, &r); err != nil {
		return nil, err
	}
	if r.Model == "" && r.SQL == nil {
		return nil, diag.Errorf("options.missing", diag.Location{}, "compile: give model (a saved model), model and sql (an edited buffer), or sql (ad-hoc SQL)")
	}
	if _, err := r.options(); err != nil {
		return nil, err
	}
	if r.Model != "" {
		if _, err := p.FindNode(r.Model); err != nil {
			return nil, err
		}
	}
	return nil, diag.Errorf("not_implemented", diag.Location{}, "compile is not available in this build yet (package resolve does not export Compile)")
}
