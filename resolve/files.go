package resolve

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve/compile"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"gopkg.in/yaml.v3"
)

// ProjectFiles are the files of a dbt project that sit beside its manifest
// on disk and that a manifest does not record: dbt_project.yml (vars,
// quoting, dispatch), the installed packages' own dbt_project.yml vars, and
// catalog.json (column introspection).
type ProjectFiles struct {
	Inputs  Inputs
	Request CompileRequest
	Catalog []byte
	// projectYml is the text of the dbt_project.yml read (nil: none was),
	// kept for Restate's edits.
	projectYml []byte
}

// ReadProjectFiles reads a manifest and what sits beside it: the
// dbt_project.yml in its folder or the one above, catalog.json in its
// folder, and the packages under packagesDir or, when that is "", under the
// dbt_packages (dbt_modules) folder beside that dbt_project.yml.
func ReadProjectFiles(manifestPath, packagesDir string) (*ProjectFiles, error) {
	data, err := os.ReadFile(manifestPath)
	if err != nil {
		return nil, err
	}
	f := &ProjectFiles{Inputs: Inputs{Manifest: data, ManifestName: manifestPath}}
	dir := filepath.Dir(manifestPath)
	if py := FindProjectYml(manifestPath); py != "" {
		if b, err := os.ReadFile(py); err == nil {
			f.projectYml = b
			f.setProject(b)
		}
		if packagesDir == "" {
			packagesDir = DefaultPackagesDir(py)
		}
	}
	if packagesDir != "" {
		pv, _, err := ReadPackagesDir(packagesDir)
		if err != nil {
			return nil, err
		}
		f.Request.PackageVars = pv
	}
	if b, err := os.ReadFile(filepath.Join(dir, "catalog.json")); err == nil {
		f.Catalog = b
	}
	return f, nil
}

// ReadFidelityFiles is ReadProjectFiles for measuring fidelity: a
// packagesDir that mirrors a corpus may also restate (restate.yml) the job
// that wrote the manifest.
func ReadFidelityFiles(manifestPath, packagesDir string) (*ProjectFiles, error) {
	f, err := ReadProjectFiles(manifestPath, packagesDir)
	if err != nil {
		return nil, err
	}
	if packagesDir != "" {
		if _, err := f.Restate(packagesDir); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// Open opens the files' project, its catalog answering introspection.
func (f *ProjectFiles) Open() (*Project, error) {
	p, err := Open(f.Inputs)
	if err != nil {
		return nil, err
	}
	if f.Catalog != nil {
		if err := p.SetCompileCatalog(f.Catalog); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// setProject takes a dbt_project.yml's vars, dispatch and quoting; a file
// that does not parse is left out, as before a project file was given.
func (f *ProjectFiles) setProject(b []byte) {
	if pc, err := compile.ParseProjectYAML(b); err == nil {
		f.Request.ProjectVars, f.Request.Dispatch = pc.Vars, pc.Dispatch
		f.Inputs.Quoting = pc.Quoting
	}
}

// Restatement is how the run that wrote a manifest differed from the files
// beside it, for measuring fidelity on artifacts whose build job changed
// its project before running dbt (restate.yml; see
// resolve/testdata/corpus-packages/README.md).
type Restatement struct {
	// Vars are the job's --vars.
	Vars map[string]any `yaml:"vars"`
	// DocsToggles: the job uncommented every dbt_project.yml line whose
	// comment carries "@docs-include" and commented out every line carrying
	// "@docs-ignore" (Fivetran's docs job does).
	DocsToggles bool `yaml:"docs_toggles"`
}

// RestateFile is the file Restate reads in a restatement folder.
const RestateFile = "restate.yml"

// Restate applies dir/restate.yml, when there is one, to f: the job's
// --vars, and its edits of the dbt_project.yml ReadProjectFiles read.
// It reports whether a restatement was applied.
func (f *ProjectFiles) Restate(dir string) (bool, error) {
	b, err := os.ReadFile(filepath.Join(dir, RestateFile))
	if err != nil {
		return false, nil
	}
	var r Restatement
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&r); err != nil {
		return false, diag.Errorf("restate.syntax", diag.Location{File: filepath.Join(dir, RestateFile)}, "%s: %v", RestateFile, err)
	}
	if r.Vars != nil {
		f.Request.Vars = r.Vars
	}
	if r.DocsToggles && f.projectYml != nil {
		f.setProject(DocsToggles(f.projectYml))
	}
	return true, nil
}

// DocsToggles is a dbt_project.yml as Fivetran's docs job runs it: a
// commented-out line whose trailing comment holds "@docs-include" is
// uncommented ("  # key: v # @docs-include" → "  key: v # @docs-include"),
// and a live line whose trailing comment holds "@docs-ignore" is commented
// out. Other lines are kept byte for byte.
func DocsToggles(py []byte) []byte {
	lines := strings.SplitAfter(string(py), "\n")
	for i, l := range lines {
		body := strings.TrimLeft(l, " \t")
		indent := l[:len(l)-len(body)]
		switch {
		case strings.HasPrefix(body, "# ") && strings.Contains(body, "@docs-include"):
			rest := body[2:]
			// the marker sits in the line's next comment, "# …"
			if j := strings.Index(rest, "#"); j >= 0 && strings.HasPrefix(rest[j:], "# ") && strings.Contains(rest[j:], "@docs-include") {
				lines[i] = indent + rest
			}
		case body != "" && body[0] != '#' && strings.Contains(body, "@docs-ignore"):
			if j := strings.Index(body, "#"); j > 0 && strings.HasPrefix(body[j:], "# ") && strings.Contains(body[j:], "@docs-ignore") {
				lines[i] = indent + "# " + body
			}
		}
	}
	return []byte(strings.Join(lines, ""))
}

// FindProjectYml is the dbt_project.yml of a manifest on disk: in its folder
// (a docs folder holding the project's files) or the one above (target/);
// "" when there is none.
func FindProjectYml(manifestPath string) string {
	dir := filepath.Dir(manifestPath)
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if p := filepath.Join(d, "dbt_project.yml"); isFile(p) {
			return p
		}
	}
	return ""
}

// FindDependenciesYml is the dependencies.yml beside a manifest's
// dbt_project.yml (FindProjectYml); "" when there is none.
func FindDependenciesYml(manifestPath string) string {
	if py := FindProjectYml(manifestPath); py != "" {
		if p := filepath.Join(filepath.Dir(py), "dependencies.yml"); isFile(p) {
			return p
		}
	}
	return ""
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// DefaultPackagesDir is where dbt installs the packages of the project whose
// dbt_project.yml is projectYml (dbt_packages, or dbt_modules before dbt
// 1.0, beside it); "" when neither exists or projectYml is "".
func DefaultPackagesDir(projectYml string) string {
	if projectYml == "" {
		return ""
	}
	for _, n := range []string{"dbt_packages", "dbt_modules"} {
		d := filepath.Join(filepath.Dir(projectYml), n)
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
	}
	return ""
}

// ReadPackagesDir reads <dir>/*/dbt_project.yml into CompileRequest's
// PackageVars (each file's vars under its name:).
func ReadPackagesDir(dir string) (map[string]map[string]any, []diag.Diagnostic, error) {
	files, err := ReadPackageProjects(dir)
	if err != nil {
		return nil, nil, err
	}
	pv, warns := compile.PackageVars(files)
	return pv, warns, nil
}

// ReadPackageProjects reads the texts of <dir>/*/dbt_project.yml, by path.
func ReadPackageProjects(dir string) (map[string]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, diag.Errorf("packages.read", diag.Location{File: dir}, "packages folder: %v", err)
	}
	files := map[string]string{}
	for _, e := range ents {
		f := filepath.Join(dir, e.Name(), "dbt_project.yml")
		if b, err := os.ReadFile(f); err == nil {
			files[f] = string(b)
		}
	}
	return files, nil
}
