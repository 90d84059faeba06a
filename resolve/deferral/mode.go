// Package deferral decides, for every ref() target, whether dbt would render
// the dev relation or production's (the state's), and says why. It knows the
// three modes (off, standard --defer, --defer --favor-state), the behaviour
// profiles of dbt-core ≤1.7 (legacy node replacement), 1.8+ (modern per-ref
// decision) and Fusion, and the dev-existence oracle that stands in for the
// warehouse. Spec: ../shared/spec/defer-semantics.md §1.4–1.9.
package deferral

import (
	"strconv"
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
)

// Mode is the defer mode of a command.
type Mode string

// The defer modes.
const (
	Off        Mode = "off"         // no --defer
	Standard   Mode = "standard"    // --defer
	FavorState Mode = "favor-state" // --defer --favor-state
)

// ParseMode reads a mode name ("" means off).
func ParseMode(s string) (Mode, error) {
	switch Mode(strings.ToLower(strings.TrimSpace(s))) {
	case "", Off, "none", "false":
		return Off, nil
	case Standard, "defer", "true":
		return Standard, nil
	case FavorState, "favor_state", "favor":
		return FavorState, nil
	}
	return "", diag.Errorf("options.defer", diag.Location{Suggestion: diag.Closest(s, []string{"off", "standard", "favor-state"})},
		"unknown defer mode %q: use off, standard or favor-state", s)
}

// Profile is a dbt behaviour era.
type Profile string

// The behaviour profiles.
const (
	Auto   Profile = "auto"   // pick from the dev manifest's dbt_version
	Legacy Profile = "legacy" // dbt-core 1.0–1.7: state nodes replace dev nodes before the run
	Modern Profile = "modern" // dbt-core 1.8+: decided at each ref()
	Fusion Profile = "fusion" // dbt Fusion / 2.x
)

// ParseProfile reads a profile name ("" means auto).
func ParseProfile(s string) (Profile, error) {
	switch p := Profile(strings.ToLower(strings.TrimSpace(s))); p {
	case "":
		return Auto, nil
	case Auto, Legacy, Modern, Fusion:
		return p, nil
	}
	return "", diag.Errorf("options.profile", diag.Location{Suggestion: diag.Closest(s, []string{"auto", "legacy", "modern", "fusion"})},
		"unknown profile %q: use auto, legacy, modern or fusion", s)
}

// ProfileFor picks the profile of a dbt_version: ≤1.7 legacy, 1.8+ modern,
// 2.x fusion. dbt Cloud's date versions (2024.9.238) are modern; unknown or
// missing versions are modern, dbt's current behaviour.
func ProfileFor(dbtVersion string) Profile {
	major, minor, ok := Version(dbtVersion)
	switch {
	case !ok:
		return Modern
	case major >= 2 && major < 100:
		return Fusion
	case major == 1 && minor <= 7, major == 0:
		return Legacy
	}
	return Modern
}

// Version parses the major and minor of a dbt version string.
func Version(v string) (major, minor int, ok bool) {
	v = strings.TrimSpace(v)
	first, rest, ok := strings.Cut(v, ".")
	if !ok {
		return 0, 0, false
	}
	digits, _, _ := strings.Cut(rest, ".")
	for i, c := range digits {
		if c < '0' || c > '9' {
			digits = digits[:i]
			break
		}
	}
	major, err1 := strconv.Atoi(first)
	minor, err2 := strconv.Atoi(digits)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return major, minor, true
}

// AtLeast reports whether dbtVersion is at least major.minor; unknown
// versions count as new.
func AtLeast(dbtVersion string, major, minor int) bool {
	ma, mi, ok := Version(dbtVersion)
	if !ok || ma > 100 { // date versions of dbt Cloud are recent
		return true
	}
	return ma > major || (ma == major && mi >= minor)
}
