// The consumer every bundler test builds: it imports the package by name,
// with no wasmURL and no worker URL, opens the demo pair (served beside the
// page under demo/) and compiles customers under favor-state.
import { initialize, openProject, version } from "dbtdefer";

async function main() {
  await initialize();
  const demo = new URL("./demo/", document.baseURI);
  const p = await openProject({ manifest: new URL("dev.json", demo).href, state: new URL("prod.json", demo).href });
  const { sql, refs } = await p.compile({ model: "customers", defer: "favor-state" });
  return { version, sql, refs: refs.map((r) => ({ ref: r.ref, relation: r.relation, env: r.env, rule: r.rule })) };
}

main().then(
  (r) => (window.result = r),
  (e) => (window.result = { error: `${e?.code ?? "error"}: ${e?.message ?? e}` }),
);
