package relation

import (
	"strconv"
	"strings"
)

// ForVersion returns a with the rules of the adapter release that ran with
// the given dbt-core version (a manifest's metadata.dbt_version). Most
// adapters release in step with dbt-core minors, so the core version picks
// the adapter's rules where they changed:
//
//   - athena <1.4: no quote character and no database part
//     (dbt-athena 1.3: `schema.table`); 1.4.0–1.4.2 quoted with `"` but still
//     left the database out, which the core version cannot tell apart.
//   - fabric <1.10: `"` quoting and `(…) AS _dbt_limit_subq` for --empty;
//     brackets came with dbt-fabric 1.9.9.
//   - sqlserver <1.10: dbt-sqlserver depended on dbt-fabric (dispatch chain
//     sqlserver, fabric) and aliased --empty; <1.12 did not escape quotes.
//     (Use [Adapter.WithMacroPackages] when the manifest's macros are at hand:
//     they show whether dbt_fabric was installed.)
//
// dbt Cloud's date versions (2024.12.20+…) are read as the dbt-core line of
// that date. Fusion (2.x) and unparsable versions leave a unchanged.
func (a Adapter) ForVersion(dbtVersion string) Adapter {
	major, minor, ok := coreMinor(dbtVersion)
	if !ok || major != 1 {
		return a
	}
	switch a.Name {
	case "athena":
		if minor < 4 {
			a.QuoteChar = ""
			a.Include = Policy{Schema: true, Identifier: true}
		}
	case "fabric":
		if minor < 10 {
			a.QuoteChar, a.QuoteClose, a.EscapeQuotes = `"`, "", false
			a.Empty = EmptyFabricLegacy
			a.RequireAlias = false
		}
	case "sqlserver":
		if minor < 12 {
			a.EscapeQuotes = false
		}
		if minor < 10 {
			a.DispatchChain = []string{"sqlserver", "fabric"}
			a.Empty = EmptySQLServerLegacy
			a.RequireAlias = true
		}
	}
	return a
}

// WithMacroPackages adjusts the dispatch chain to the adapter packages a
// manifest's macros come from (package_name of manifest.macros): dbt-sqlserver
// releases that depended on dbt-fabric ship `dbt_fabric` macros, and then
// dispatch tries fabric__ after sqlserver__.
func (a Adapter) WithMacroPackages(packages []string) Adapter {
	if a.Name != "sqlserver" {
		return a
	}
	has := false
	for _, p := range packages {
		if p == "dbt_fabric" {
			has = true
		}
	}
	chain := []string{"sqlserver"}
	if has {
		chain = append(chain, "fabric")
	}
	a.DispatchChain = chain
	return a
}

// coreMinor extracts the dbt-core major and minor from a dbt_version string.
// dbt Cloud date versions map to the core line current at that date.
func coreMinor(v string) (major, minor int, ok bool) {
	f := strings.FieldsFunc(v, func(r rune) bool { return r < '0' || r > '9' })
	if len(f) < 2 {
		return 0, 0, false
	}
	x, err1 := strconv.Atoi(f[0])
	y, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	if x >= 2000 { // dbt Cloud "versionless"/release-track date versions
		switch {
		case x < 2024 || (x == 2024 && y < 12):
			return 1, 8, true
		case x < 2025 || (x == 2025 && y < 6):
			return 1, 9, true
		case x < 2025 || (x == 2025 && y < 12):
			return 1, 10, true
		default:
			return 1, 11, true
		}
	}
	return x, y, true
}
