// The Worker's main module. syumai/workers' stock worker.mjs starts a fresh Go
// instance for every request, so nothing Go loaded survives; with a 100 MB
// manifest that would mean re-reading and re-indexing on every call. This
// entry starts the Go instance once per isolate and routes every request to
// it (wasm/worker/main_js.go never returns), so the opened projects stay in
// Go memory. Go reads env/ctx through the shared `context` object, updated
// before each call (env is the same for every request of an isolate).
import "./wasm_exec.js";
import { connect } from "cloudflare:sockets";
import mod from "./app.wasm";

globalThis.tryCatch = (fn) => {
  try {
    return { result: fn() };
  } catch (e) {
    return { error: e };
  }
};

const context = { env: undefined, ctx: undefined, connect, binding: {} };
let ready; // Promise of a started Go instance
let memory; // its linear memory (it only grows: byteLength is the peak)
let served = 0;

function start() {
  const go = new Go();
  let signal;
  const p = new Promise((resolve) => (signal = resolve));
  const instance = new WebAssembly.Instance(mod, {
    ...go.importObject,
    workers: { ready: () => signal() },
  });
  memory = instance.exports.mem;
  go.run(instance, context).finally(() => {
    ready = undefined; // Go exited (it should not): the next request starts a new one
  });
  return p;
}

export default {
  async fetch(request, env, ctx) {
    context.env = env;
    context.ctx = ctx;
    const cold = ready === undefined;
    if (cold) ready = start();
    await ready;
    const res = await context.binding.handleRequest(request);
    served++;
    const headers = new Headers(res.headers);
    headers.set("x-dbtdefer-instance", `${cold ? "cold" : "warm"}; requests=${served}`);
    headers.set("x-dbtdefer-wasm-memory", String(memory.buffer.byteLength));
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  },
};
