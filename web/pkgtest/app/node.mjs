// The node consumer: the package by name, the demo pair from disk (argv).
import { readFile } from "node:fs/promises";
import { initialize, openProject, version } from "dbtdefer";

const [dev, prod] = process.argv.slice(2);
await initialize();
const p = await openProject({ manifest: new Uint8Array(await readFile(dev)), state: new Uint8Array(await readFile(prod)) });
const { sql, refs } = await p.compile({ model: "customers", defer: "favor-state" });
console.log(JSON.stringify({ version, sql, refs: refs.map((r) => ({ ref: r.ref, relation: r.relation, env: r.env, rule: r.rule })) }));
await p.dispose();
