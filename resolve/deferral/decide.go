package deferral

import (
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
)

// Env says which environment a ref resolved to.
type Env string

// The environments.
const (
	Dev       Env = "dev"
	State     Env = "state"
	Ephemeral Env = "ephemeral" // inlined as a CTE, in neither environment
	// Upstream is another project's production relation (dbt Mesh): a
	// cross-project ref is never deferred and never built in dev.
	Upstream Env = "upstream"
)

// Rule codes: stable names of the rule that decided a ref. The README lists
// them with their meaning; the JS API and the Worker return them as they are.
const (
	RuleDeferOff           = "defer-off"
	RuleEphemeral          = "ephemeral-cte"
	RuleNotInState         = "not-in-state"
	RuleStateNotDeferrable = "state-not-deferrable"
	RuleNotRefable         = "not-refable"
	RuleSelectedLegacy     = "selected-never-deferred"
	RuleFavorUnselected    = "favor-state-unselected"
	RuleDevMissing         = "dev-missing"
	RuleUnknownAsMissing   = "dev-unknown-assumed-missing"
	RuleUnknownAsPresent   = "dev-unknown-assumed-present"
	RuleDevExists          = "dev-exists"
	RuleSourceNever        = "source-never-deferred"
	RuleThisNever          = "this-never-deferred"
	RuleFKState            = "fk-state"      // dbt 1.9–1.11: a foreign key's to: reads production when deferring
	RuleFKUnselected       = "fk-unselected" // 1.12+: production iff the target is not selected
	RuleFKSelected         = "fk-selected"   // 1.12+: a selected target's dev relation
	RuleCrossProject       = "cross-project" // dbt Mesh: the producing project's production relation
)

// Decision is the defer decision for one ref() target, with its provenance.
type Decision struct {
	Env  Env    `json:"env"`
	Rule string `json:"rule"`
	// Reason explains the rule in words a dbt user understands.
	Reason string `json:"reason"`
	// Assumption is true when the decision rested on the unknown-existence
	// policy rather than on evidence.
	Assumption bool `json:"assumption,omitempty"`
	// Evidence names what the existence answer came from, when one was used.
	Evidence Evidence `json:"evidence,omitempty"`
	// Node is the node whose coordinates render the relation: the dev node,
	// or the state node when deferred.
	Node *manifest.Node `json:"-"`
}

// Input is everything one decision reads.
type Input struct {
	Mode    Mode
	Profile Profile // Legacy, Modern or Fusion (not Auto)
	// Target is the ref target in the dev manifest.
	Target *manifest.Node
	// StateNode is the node with the same unique_id in the state, or nil.
	StateNode *manifest.Node
	// Selected reports whether a unique_id is in the command's selection.
	Selected func(uid string) bool
	Oracle   *Oracle
	// UnknownIsPresent flips the policy for unknown existence (default: missing).
	UnknownIsPresent bool
}

// Decide applies dbt's rule for the profile (spec §1.5, §1.9).
func Decide(in Input) Decision {
	t := in.Target
	selected := in.Selected != nil && in.Selected(t.UniqueID)
	dev := Decision{Env: Dev, Node: t}
	if !t.IsRefable() {
		dev.Rule, dev.Reason = RuleNotRefable, t.UniqueID+" is a "+t.ResourceType+"; only models, seeds and snapshots are deferred"
		return dev
	}
	if in.Profile != Legacy && t.IsEphemeral() {
		return Decision{Env: Ephemeral, Node: t, Rule: RuleEphemeral,
			Reason: t.Name + " is ephemeral in dev, so its SQL is inlined as a CTE; ephemeral models are never deferred"}
	}
	if in.Mode == Off {
		dev.Rule, dev.Reason = RuleDeferOff, "defer is off: every ref reads the dev relation"
		if t.IsEphemeral() {
			return Decision{Env: Ephemeral, Node: t, Rule: RuleEphemeral, Reason: t.Name + " is ephemeral, so its SQL is inlined as a CTE"}
		}
		return dev
	}
	s := in.StateNode
	if s == nil {
		dev.Rule, dev.Reason = RuleNotInState, t.UniqueID+" is not in the production manifest (new in dev), so there is nothing to defer to"
		return finishLegacyEphemeral(dev, t)
	}
	if !s.IsRefable() || s.IsEphemeral() {
		what := "ephemeral"
		if !s.IsRefable() {
			what = "a " + s.ResourceType
		}
		dev.Rule, dev.Reason = RuleStateNotDeferrable, t.Name+" is "+what+" in production, so it has no production relation to defer to"
		return finishLegacyEphemeral(dev, t)
	}
	state := Decision{Env: State, Node: s}
	if in.Profile == Legacy && selected {
		dev.Rule, dev.Reason = RuleSelectedLegacy, t.Name+" is selected, and dbt ≤1.7 never defers selected nodes"
		return finishLegacyEphemeral(dev, t)
	}
	if in.Mode == FavorState && !selected {
		state.Rule, state.Reason = RuleFavorUnselected, "--favor-state: "+t.Name+" is not selected, so production's relation is used even if a dev one exists"
		return state
	}
	ex, ev := Unknown, NoEvidence
	if in.Oracle != nil {
		ex, ev = in.Oracle.Exists(NodeParts(t))
	}
	why := ""
	if selected {
		why = " (it is selected, but dbt 1.8+ defers a selected node whose dev relation is missing)"
	}
	switch ex {
	case Exists:
		dev.Rule, dev.Evidence = RuleDevExists, ev
		dev.Reason = "the dev relation of " + t.Name + " exists (per " + string(ev) + "), so dev wins"
		if in.Mode == FavorState {
			dev.Reason = t.Name + " is selected and its dev relation exists (per " + string(ev) + "), so dev wins even with --favor-state"
		}
		return finishLegacyEphemeral(dev, t)
	case Missing:
		state.Rule, state.Evidence = RuleDevMissing, ev
		state.Reason = "the dev relation of " + t.Name + " does not exist (per " + string(ev) + "), so production's is used" + why
		return state
	}
	if in.UnknownIsPresent {
		dev.Rule, dev.Assumption = RuleUnknownAsPresent, true
		dev.Reason = "nothing says whether the dev relation of " + t.Name + " exists; assumed present (policy), so dev wins"
		return finishLegacyEphemeral(dev, t)
	}
	state.Rule, state.Assumption = RuleUnknownAsMissing, true
	state.Reason = "nothing says whether the dev relation of " + t.Name + " exists; assumed missing (policy, as dbt sees an empty dev schema), so production's is used" + why
	return state
}

// DecideForeignKey is the rule for a contract's foreign-key `to:` (spec
// §1.5 "Related places", dbt's _compile_relation_for_foreign_key_constraint_to):
// when deferring and the target has a production relation, dbt 1.9–1.11
// always renders that; 1.12+ renders it iff the target is not selected.
// Neither version asks whether the dev relation exists, nor reads
// --favor-state. dbtVersion is the dev manifest's dbt_version.
func DecideForeignKey(in Input, dbtVersion string) Decision {
	t := in.Target
	dev := Decision{Env: Dev, Node: t}
	switch {
	case !t.IsRefable():
		dev.Rule, dev.Reason = RuleNotRefable, t.UniqueID+" is a "+t.ResourceType+"; only models, seeds and snapshots are deferred"
		return dev
	case in.Mode == Off:
		dev.Rule, dev.Reason = RuleDeferOff, "defer is off: the foreign key points at the dev relation"
		return dev
	case in.StateNode == nil:
		dev.Rule, dev.Reason = RuleNotInState, t.UniqueID+" is not in the production manifest (new in dev), so the foreign key points at dev"
		return dev
	case !in.StateNode.IsRefable() || in.StateNode.IsEphemeral():
		dev.Rule, dev.Reason = RuleStateNotDeferrable, t.Name+" has no production relation, so the foreign key points at dev"
		return dev
	}
	state := Decision{Env: State, Node: in.StateNode}
	if !AtLeast(dbtVersion, 1, 12) && dbtVersion != "" {
		state.Rule, state.Reason = RuleFKState, "dbt 1.9–1.11 points a foreign key's to: at production's "+t.Name+" whenever it defers (selected or not, existing in dev or not)"
		return state
	}
	if in.Selected != nil && in.Selected(t.UniqueID) {
		dev.Rule, dev.Reason = RuleFKSelected, t.Name+" is selected, so dbt 1.12+ points the foreign key at its dev relation (no existence check)"
		return dev
	}
	state.Rule, state.Reason = RuleFKUnselected, t.Name+" is not selected, so dbt 1.12+ points the foreign key at production's relation (whether or not a dev one exists)"
	return state
}

// finishLegacyEphemeral turns a dev decision for an ephemeral target into a
// CTE decision (legacy profile, where a state node could replace it first).
func finishLegacyEphemeral(d Decision, t *manifest.Node) Decision {
	if t.IsEphemeral() {
		return Decision{Env: Ephemeral, Node: t, Rule: RuleEphemeral,
			Reason: t.Name + " is ephemeral and was not replaced by a production node, so its SQL is inlined as a CTE"}
	}
	return d
}
