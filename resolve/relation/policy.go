package relation

// Policy says, for each of the three parts of a relation path, whether the
// part is on (quoted, or included, depending on which policy it is).
type Policy struct {
	Database, Schema, Identifier bool
}

// AllParts returns the policy with every part on: BaseRelation's default
// for both the quote and the include policy.
func AllParts() Policy { return Policy{Database: true, Schema: true, Identifier: true} }

// Quoting is a partial override of a quote policy, as written in a project's
// `quoting:` config, a manifest's metadata.quoting, or a source's `quoting:`
// block. A nil field is "not set" and leaves the underlying value alone.
type Quoting struct {
	Database, Schema, Identifier *bool
}

// Over returns p with every part that q sets replaced by q's value, which is
// the deep merge dbt performs when it builds a relation's quote policy.
func (q Quoting) Over(p Policy) Policy {
	if q.Database != nil {
		p.Database = *q.Database
	}
	if q.Schema != nil {
		p.Schema = *q.Schema
	}
	if q.Identifier != nil {
		p.Identifier = *q.Identifier
	}
	return p
}

// IsZero reports whether q sets nothing.
func (q Quoting) IsZero() bool {
	return q.Database == nil && q.Schema == nil && q.Identifier == nil
}

// QuotingOf returns a Quoting that sets all three parts to p's values.
func QuotingOf(p Policy) Quoting {
	d, s, i := p.Database, p.Schema, p.Identifier
	return Quoting{Database: &d, Schema: &s, Identifier: &i}
}
