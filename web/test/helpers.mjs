// Shared fixtures and expectations for the JS API tests. Expected relations
// follow dbt's semantics (spec/defer-semantics.md §1.5; dbt 1.8 modern
// profile): from `customers`, ref stg_customers is dev with defer off;
// production with --defer when nothing says the dev relation exists (an
// empty dev schema); production with --favor-state because stg_customers is
// not selected; dev with --defer when the dev relation is known to exist.
import { readFile } from "node:fs/promises";

export const root = new URL("../../", import.meta.url);
export const manifests = new URL("resolve/testdata/manifests/", root);
export const jaffle = new URL("defer-jaffle-shop-postgres/", manifests);
export const duck = new URL("defer-mrkidbk-duckdb/", manifests);

/** base is the devserver run.mjs started ("" when run without it). */
export const base = process.env.DBTDEFER_TEST_BASE ?? "";
/** mutable is the folder the devserver serves at /mutable/, for a production that changes. */
export const mutable = process.env.DBTDEFER_TEST_MUTABLE ?? "";
export const teradata = new URL("teradata-pibbers/", manifests);
export const kbrock = new URL("kbrock-snowflake/", manifests);

/** publish writes bytes to mutable/name, as production publishing a new artifact (a new mtime and ETag). */
export async function publish(name, data) {
  const { writeFile, rename } = await import("node:fs/promises");
  const tmp = `${mutable}/.${name}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, `${mutable}/${name}`); // whole or not at all, as a real publish
}

export const expected = {
  off: { relation: '"postgres"."dbt_dconnors"."stg_customers"', env: "dev", rule: "defer-off" },
  standard: { relation: '"postgres"."prod"."stg_customers"', env: "state", rule: "dev-unknown-assumed-missing" },
  "favor-state": { relation: '"postgres"."prod"."stg_customers"', env: "state", rule: "favor-state-unselected" },
  standardDevKnown: { relation: '"postgres"."dbt_dconnors"."stg_customers"', env: "dev", rule: "dev-exists" },
};
export const prodInvocation = "1aad5db6-fd1e-4598-999a-9ca458fdf6cf";

export const bytes = async (u) => new Uint8Array(await readFile(u));

let n = 0;
/** fresh imports a new instance of dbtdefer.js (initialize() is once per instance). */
export function fresh() {
  return import(new URL(`../dbtdefer.js?instance=${++n}`, import.meta.url).href);
}
