package relation

import "strings"

// MatchResult is the outcome of comparing a dev relation with a listed one.
type MatchResult int

const (
	// NoMatch: the listed relation is a different relation.
	NoMatch MatchResult = iota
	// Exact: dbt's get_relation would return the listed relation.
	Exact
	// Approximate: the parts differ only in case; dbt raises
	// ApproximateMatchError ("When searching for a relation, dbt found an
	// approximate match") instead of treating the relation as existing.
	Approximate
)

// Match compares the parts dbt searches for (a node's dev database, schema
// and alias) with the parts of a relation the warehouse lists (from a
// catalog, run results, or a host-provided list), using the adapter's case
// rule (spec §1.6 item 3). project is the project's quoting config, which
// dbt's search uses for every node, sources included. Parts that are null on
// either side are not compared, and adapters without a database level
// (spark, teradata, clickhouse) ignore the database.
func (a Adapter) Match(dev Parts, project Quoting, listed Parts) MatchResult {
	q := project.Over(a.DefaultQuote)
	ignoreDB := !a.Include.Database
	exact, approx := true, true
	cmp := func(devV, listedV string, hasDev, hasListed, quoted bool) {
		if !hasDev || !hasListed {
			return
		}
		s := devV
		switch a.CaseRule {
		case MatchLowerUnquoted:
			if !quoted {
				s = strings.ToLower(s)
			}
		case MatchUpperUnquoted:
			if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
				s = s[1 : len(s)-1]
			} else if !quoted {
				s = strings.ToUpper(s)
			}
		case MatchCaseInsensitive:
			s, listedV = strings.ToLower(s), strings.ToLower(listedV)
		}
		if s != listedV {
			exact = false
		}
		qc, qe := a.QuoteChar, a.closeQuote()
		l := strings.TrimSuffix(strings.TrimPrefix(strings.ToLower(listedV), qc), qe)
		d := strings.TrimSuffix(strings.TrimPrefix(strings.ToLower(s), qc), qe)
		if l != d {
			approx = false
		}
	}
	if !ignoreDB && a.CaseRule != MatchIdentifierExact {
		cmp(dev.Database, listed.Database, dev.HasDatabase, listed.HasDatabase, q.Database)
	}
	cmp(dev.Schema, listed.Schema, dev.HasSchema, listed.HasSchema, q.Schema)
	cmp(dev.Identifier, listed.Identifier, true, true, q.Identifier)
	switch {
	case exact:
		return Exact
	case approx && a.CaseRule != MatchExact && a.CaseRule != MatchIdentifierExact:
		return Approximate
	}
	return NoMatch
}

// SameRelation reports whether the listed relation is the dev relation
// under the adapter's case rules ([Adapter.Match] returns Exact).
func (a Adapter) SameRelation(dev Parts, project Quoting, listed Parts) bool {
	return a.Match(dev, project, listed) == Exact
}
