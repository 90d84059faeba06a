// rules.js puts dbtdefer's rule codes (resolve/deferral/decide.go) in words a
// dbt user recognises. Each result also carries a `reason` sentence from the
// engine; these are the short labels and the longer meaning.

export const RULES = {
  "defer-off": {
    label: "Defer is off",
    meaning: "Without --defer, every ref() reads the relation in your dev schema.",
  },
  "ephemeral-cte": {
    label: "Ephemeral: inlined as a CTE",
    meaning: "Ephemeral models have no relation; dbt inlines their SQL as a CTE and never defers them.",
  },
  "not-in-state": {
    label: "New in dev: not in production",
    meaning: "The node is not in the production manifest, so there is nothing to defer to; dev is used.",
  },
  "state-not-deferrable": {
    label: "No production relation",
    meaning: "In production the node is ephemeral or not a model/seed/snapshot, so there is no relation to defer to.",
  },
  "not-refable": {
    label: "Not deferrable",
    meaning: "Only models, seeds and snapshots are deferred.",
  },
  "selected-never-deferred": {
    label: "Selected: dbt ≤ 1.7 builds it in dev",
    meaning: "dbt 1.7 and older never defer a node that is in the selection.",
  },
  "favor-state-unselected": {
    label: "--favor-state: not selected, production wins",
    meaning: "With --favor-state, an unselected node reads production even if a dev relation exists.",
  },
  "dev-missing": {
    label: "Dev relation missing: production used",
    meaning: "Your dev schema has no relation for it (per the catalog, run results or names you gave), so dbt defers to production.",
  },
  "dev-unknown-assumed-missing": {
    label: "Dev relation unknown: assumed missing, production used",
    meaning: "Nothing says whether it exists in dev; like dbt against an empty dev schema, it is assumed missing. Drop a catalog.json or list dev relations to be sure.",
    assumption: true,
  },
  "dev-unknown-assumed-present": {
    label: "Dev relation unknown: assumed present, dev used",
    meaning: "Nothing says whether it exists in dev; the policy you chose assumes it does.",
    assumption: true,
  },
  "dev-exists": {
    label: "Dev relation exists: dev wins",
    meaning: "The relation exists in your dev schema, so dbt reads it instead of production.",
  },
  "source-never-deferred": {
    label: "Source: never deferred",
    meaning: "source() always reads the dev manifest's definition; dbt does not defer sources.",
  },
  "this-never-deferred": {
    label: "{{ this }}: the model's own dev relation",
    meaning: "`this` is the model being built, always in dev.",
  },
  "fk-state": {
    label: "Foreign key: production (dbt 1.9–1.11)",
    meaning: "A contract's foreign-key to: points at production whenever dbt 1.9–1.11 defers.",
  },
  "fk-unselected": {
    label: "Foreign key: not selected, so production",
    meaning: "dbt 1.12+ points a foreign key at production when its target is not selected, whether or not a dev relation exists.",
  },
  "fk-selected": {
    label: "Foreign key: selected, so dev",
    meaning: "dbt 1.12+ points a foreign key at the dev relation when its target is selected.",
  },
  "cross-project": {
    label: "Another project's public model (dbt Mesh)",
    meaning: "ref('project', 'model') reads the producing project's production relation; dbt never defers it, and this project never builds it.",
  },
};

export function ruleWords(code) {
  return RULES[code] ?? { label: code || "unknown rule", meaning: "" };
}

export const ENV_WORDS = { dev: "dev", state: "production", ephemeral: "ephemeral (CTE)", upstream: "upstream project" };

export const MODES = [
  { value: "off", label: "Off", flag: "no --defer", help: "Every ref reads your dev schema." },
  { value: "standard", label: "Defer", flag: "--defer", help: "Refs whose dev relation is missing read production." },
  { value: "favor-state", label: "Favor state", flag: "--defer --favor-state", help: "Unselected refs read production even when dev has them." },
];
