// node.mjs measures the wasm in node for one manifest pair and prints the
// figures as one JSON line. web/bench/run.mjs starts it once per size, in a
// fresh process (wasm memory never shrinks), with --expose-gc.
//   node --expose-gc web/bench/node.mjs DEV PROD MODEL REF
import { readFileSync } from "node:fs";
import { measure } from "./measure.js";

const [dev, prod, model, refList] = process.argv.slice(2);
const refs = (refList ?? "").split(",").filter(Boolean);
if (!refs.length) {
  console.error("usage: node --expose-gc node.mjs DEV PROD MODEL REF[,REF…]");
  process.exit(2);
}
const api = await import("../dbtdefer.js");
// node has no Web Worker: the wasm runs on this thread (the API's default here).
await api.initialize({ worker: false });
const out = await measure({
  api,
  dev: new Uint8Array(readFileSync(dev)),
  prod: new Uint8Array(readFileSync(prod)),
  model,
  ref: refs[0],
  refs,
  now: () => performance.now(),
  gc: globalThis.gc,
});
console.log(JSON.stringify({ ...out, where: `node ${process.version}, main thread` }));
process.exit(0);
