package resolve

import (
	"os"
	"path/filepath"

	"github.com/dbtdefer/dbtdefer/resolve/compile"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
)

// ProjectFiles are the files of a dbt project that sit beside its manifest
// on disk and that a manifest does not record: dbt_project.yml (vars,
// quoting, dispatch), the installed packages' own dbt_project.yml vars, and
// catalog.json (column introspection).
type ProjectFiles struct {
	Inputs  Inputs
	Request CompileRequest
	Catalog []byte
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
			if pc, err := compile.ParseProjectYAML(b); err == nil {
				f.Request.ProjectVars, f.Request.Dispatch = pc.Vars, pc.Dispatch
				f.Inputs.Quoting = pc.Quoting
			}
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

// FindProjectYml is the dbt_project.yml of a manifest on disk: in its folder
// (a docs folder holding the project's files) or the one above (target/);
// "" when there is none.
func FindProjectYml(manifestPath string) string {
	dir := filepath.Dir(manifestPath)
	for _, d := range []string{dir, filepath.Dir(dir)} {
		p := filepath.Join(d, "dbt_project.yml")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
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
