package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/dbtdefer/dbtdefer/resolve/compile"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
	"github.com/valyala/fastjson"
)

// The compact form is what the Worker keeps in memory: a manifest.json with
// only the fields package resolve reads, so resolve.Open takes it unchanged.
// A 100 MB manifest is mostly compiled_code, columns, docs, full configs and
// the parent/child maps, none of which resolving or compiling a preview
// needs; dropping them is what keeps a dev+state pair under the isolate's
// 128 MB. A state (production) manifest also drops code: deferral needs
// only coordinates and checksums from it.

// CompactKey is the top-level key that marks (and describes) a compact form.
const CompactKey = "dbtdefer_compact"

// Kind says which role a compact manifest was made for.
type Kind string

// The roles: a dev manifest keeps code for compile, a state manifest keeps
// only what deferral reads.
const (
	KindDev   Kind = "dev"
	KindState Kind = "state"
)

// CompactInfo is the value under CompactKey.
type CompactInfo struct {
	Version     int  `json:"version"`
	Kind        Kind `json:"kind"`
	SourceBytes int  `json:"sourceBytes"`
	// Project carries, in a dev form, the project files a manifest does not
	// record and compile needs.
	Project *ProjectTexts `json:"project,omitempty"`
}

// ProjectTexts are a dev project's dbt_project.yml (vars, dispatch,
// quoting) and its installed packages' dbt_project.yml files (their own
// vars), as text: the Worker parses them as the CLI does.
type ProjectTexts struct {
	ProjectYml string `json:"projectYml,omitempty"`
	// Packages are dbt_packages/<package>/dbt_project.yml, by folder name.
	Packages map[string]string `json:"packages,omitempty"`
}

// keptSections are the top-level objects of entries that survive.
var keptSections = map[string]bool{
	"nodes": true, "sources": true, "macros": true, "exposures": true, "metrics": true,
	"groups": true, "semantic_models": true, "saved_queries": true, "unit_tests": true,
	"functions": true, "selectors": true,
}

// keptFields are the entry fields package manifest decodes (resolve/manifest/node.go).
var keptFields = map[string]bool{
	"unique_id":     false, // the key already is the unique_id
	"resource_type": true, "name": true, "package_name": true, "original_file_path": true,
	"patch_path": true, "database": true, "schema": true, "alias": true, "identifier": true,
	"relation_name": true, "source_name": true, "quoting": true, "access": true, "group": true,
	"language": true, "tags": true, "fqn": true, "refs": true, "sources": true, "depends_on": true,
	"version": true, "latest_version": true, "is_latest_version": true, "checksum": true,
	"deferred": true, "defer_relation": true, "column_name": true, "attached_node": true,
	"raw_code": true, "raw_sql": true, "macro_sql": true,
}

// stateFields are the fields a state entry keeps: deferral reads only
// coordinates, materialization, versions and checksums from production.
var stateFields = map[string]bool{
	"resource_type": true, "name": true, "package_name": true, "original_file_path": true,
	"database": true, "schema": true, "alias": true, "identifier": true, "relation_name": true,
	"source_name": true, "quoting": true, "access": true, "group": true, "version": true,
	"latest_version": true, "is_latest_version": true, "checksum": true, "deferred": true,
	"defer_relation": true,
}

// stateKeepsNode reports whether a state node is kept: only refable ones
// (ref() can defer to them); tests and analyses are never deferred to.
func stateKeepsNode(v *fastjson.Value) bool {
	switch string(v.GetStringBytes("resource_type")) {
	case "model", "seed", "snapshot":
		return true
	}
	return false
}

// keptConfig are the config keys the engine (and dbt selection) reads.
var keptConfig = map[string]bool{
	"materialized": true, "enabled": true, "access": true, "group": true, "tags": true,
	"database": true, "schema": true, "alias": true, "incremental_strategy": true, "unique_key": true,
}

// IsCompact reports whether data already is a compact form (its first
// top-level key is CompactKey).
func IsCompact(data []byte) bool {
	i := bytes.IndexByte(data, '{')
	if i < 0 {
		return false
	}
	rest := bytes.TrimLeft(data[i+1:], " \t\r\n")
	return bytes.HasPrefix(rest, []byte(`"`+CompactKey+`"`))
}

// Compact turns a manifest.json into its compact form for kind, streaming
// entry by entry so memory stays near the output's size.
func Compact(data []byte, kind Kind) ([]byte, error) { return CompactProject(data, kind, nil) }

// CompactProject is Compact that also carries a dev project's files.
func CompactProject(data []byte, kind Kind, files *ProjectTexts) ([]byte, error) {
	if kind != KindDev && kind != KindState {
		return nil, diag.Errorf("options.kind", diag.Location{Suggestion: diag.Closest(string(kind), []string{"dev", "state"})}, "kind must be \"dev\" or \"state\", got %q", kind)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	bad := func(err error) error {
		off := int(dec.InputOffset())
		loc := diag.Location{File: "manifest.json", Offset: off}
		loc.Line, loc.Column = diag.LineCol(data, off)
		return &diag.Error{Diagnostic: diag.Diagnostic{Code: "manifest.syntax", Severity: diag.SeverityError, Message: "cannot compact: " + err.Error(), Location: loc}}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		if err == nil {
			err = fmt.Errorf("not a JSON object")
		}
		return nil, bad(err)
	}
	out := bytes.NewBuffer(make([]byte, 0, len(data)/3))
	ci := CompactInfo{Version: 1, Kind: kind, SourceBytes: len(data)}
	if kind == KindDev && files != nil && (files.ProjectYml != "" || len(files.Packages) > 0) {
		ci.Project = files
	}
	info, _ := json.Marshal(ci)
	fmt.Fprintf(out, "{%q:%s", CompactKey, info)
	var p fastjson.Parser
	sawNodes := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, bad(err)
		}
		key := t.(string)
		switch {
		case key == CompactKey:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, bad(err)
			}
		case key == "metadata" || key == "generated_at":
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, bad(err)
			}
			fmt.Fprintf(out, ",%q:%s", key, raw)
		case key == "macros" && kind == KindState:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, bad(err)
			}
		case keptSections[key] || key == "disabled":
			sawNodes = sawNodes || key == "nodes"
			if err := compactSection(dec, out, &p, key, kind); err != nil {
				return nil, bad(err)
			}
		default: // docs, parent_map, child_map, group_map, …
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, bad(err)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, bad(err)
	}
	if !sawNodes {
		return nil, diag.Errorf("manifest.no_nodes", diag.Location{File: "manifest.json"}, "no \"nodes\" section: this JSON is not a dbt manifest")
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

// compactSection copies one section (an object of entries; for "disabled",
// an object of arrays of entries) keeping only the kept fields.
func compactSection(dec *json.Decoder, out *bytes.Buffer, p *fastjson.Parser, key string, kind Kind) error {
	var raw json.RawMessage
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, ",%q:", key)
	if tok == nil {
		out.WriteString("null")
		return nil
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("section %q is not an object", key)
	}
	out.WriteByte('{')
	first := true
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		v, err := p.ParseBytes(raw)
		if err != nil {
			return err
		}
		if kind == KindState && key == "nodes" && !stateKeepsNode(v) {
			continue
		}
		if !first {
			out.WriteByte(',')
		}
		first = false
		out.WriteString(strconv.Quote(t.(string)))
		out.WriteByte(':')
		if key == "disabled" && v.Type() == fastjson.TypeArray {
			out.WriteByte('[')
			for i, e := range v.GetArray() {
				if i > 0 {
					out.WriteByte(',')
				}
				writeEntry(out, e, kind)
			}
			out.WriteByte(']')
			continue
		}
		writeEntry(out, v, kind)
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	out.WriteByte('}')
	return nil
}

func writeEntry(out *bytes.Buffer, v *fastjson.Value, kind Kind) {
	obj, err := v.Object()
	if err != nil {
		out.Write(v.MarshalTo(nil))
		return
	}
	out.WriteByte('{')
	n := 0
	field := func(k string) {
		if n > 0 {
			out.WriteByte(',')
		}
		n++
		out.WriteString(strconv.Quote(k))
		out.WriteByte(':')
	}
	var buf []byte
	obj.Visit(func(k []byte, fv *fastjson.Value) {
		key := string(k)
		if fv.Type() == fastjson.TypeNull { // the engine reads null and absent alike
			return
		}
		if kind == KindState && !stateFields[key] && key != "config" && key != "external" {
			return
		}
		switch {
		case key == "config" && fv.Type() == fastjson.TypeObject:
			field(key)
			writeSubset(out, fv, keptConfig)
		case key == "external" && fv.Type() == fastjson.TypeObject:
			field(key)
			writeSubset(out, fv, map[string]bool{"location": true})
		case key == "test_metadata" && fv.Type() == fastjson.TypeObject:
			field(key)
			writeSubset(out, fv, map[string]bool{"name": true, "namespace": true})
		case keptFields[key]:
			field(key)
			buf = fv.MarshalTo(buf[:0])
			out.Write(buf)
		}
	})
	out.WriteByte('}')
}

func writeSubset(out *bytes.Buffer, v *fastjson.Value, keep map[string]bool) {
	out.WriteByte('{')
	n := 0
	v.GetObject().Visit(func(k []byte, fv *fastjson.Value) {
		if !keep[string(k)] || fv.Type() == fastjson.TypeNull {
			return
		}
		if n > 0 {
			out.WriteByte(',')
		}
		n++
		out.WriteString(strconv.Quote(string(k)))
		out.WriteByte(':')
		out.Write(fv.MarshalTo(nil))
	})
	out.WriteByte('}')
}

// compactReader is Compact over a reader, for the CLI.
func compactReader(r io.Reader, kind Kind) ([]byte, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return Compact(data, kind)
}

// ReadCompactInfo reads the CompactKey member at the start of a compact
// form (nil for a full manifest).
func ReadCompactInfo(data []byte) (*CompactInfo, error) {
	if !IsCompact(data) {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil { // {
		return nil, err
	}
	if _, err := dec.Token(); err != nil { // the key
		return nil, err
	}
	var ci CompactInfo
	if err := dec.Decode(&ci); err != nil {
		return nil, diag.Errorf("manifest.syntax", diag.Location{File: "manifest.json"}, "the compact form's %s: %v", CompactKey, err)
	}
	return &ci, nil
}

// projectConfig is what a dev compact form's project files give compile.
type projectConfig struct {
	quoting     *manifest.Quoting
	vars        map[string]any
	dispatch    []compile.Dispatch
	packageVars map[string]map[string]any
	warnings    []diag.Diagnostic
	projectYml  bool // the dev form carries the root dbt_project.yml
}

// projectConfigOf parses the project files a compact form carries.
func projectConfigOf(ci *CompactInfo) (*projectConfig, error) {
	pc := &projectConfig{}
	if ci == nil || ci.Project == nil {
		return pc, nil
	}
	if y := ci.Project.ProjectYml; y != "" {
		c, err := compile.ParseProjectYAML([]byte(y))
		if err != nil {
			return nil, err
		}
		pc.quoting, pc.vars, pc.dispatch, pc.projectYml = c.Quoting, c.Vars, c.Dispatch, true
	}
	if len(ci.Project.Packages) > 0 {
		files := make(map[string]string, len(ci.Project.Packages))
		for name, text := range ci.Project.Packages {
			files["dbt_packages/"+name+"/dbt_project.yml"] = text
		}
		pc.packageVars, pc.warnings = compile.PackageVars(files)
	}
	return pc, nil
}
