// worker.js is the Web Worker (or node worker_threads) side of dbtdefer.js:
// it owns the wasm instance and answers {id, op, ...} messages with
// {id, ok} / {id, error} and, while a project opens, {id, progress}.
// Requests run one at a time, in order; the page never blocks on Go.
import { startHost } from "./host.js";
import { DbtdeferError } from "./errors.js";
import { nodeImport } from "./platform.js";
import { version } from "./version.js";

let port = null;
let host = null;
let queue = Promise.resolve();

// No top-level await: a bundler may make this a classic worker script.
// The page waits for {ready} before its first request.
connect().then((p) => {
  port = p;
  port.listen((msg) => {
    queue = queue.then(() => handle(msg));
  });
  port.post({ ready: true });
});

async function handle({ id, op, args }) {
  try {
    let ok;
    switch (op) {
      case "init":
        host = await startHost(args);
        ok = { wasmVersion: host.wasmVersion, hostVersion: version, cacheable: host.cacheable };
        break;
      case "open":
        // The bytes in args are this worker's own (transferred or cloned).
        ok = await host.open({ ...args, ownsBytes: true }, (progress) => port.post({ id, progress }));
        break;
      case "call":
        // The answer's JSON text, as the wasm wrote it: the page decodes it
        // (a string crosses postMessage far faster than an object graph).
        port.post({ id, text: host.callText(args.handle, args.method, args.req) });
        return;
      case "warmed": // settles later: the queue goes on meanwhile
        host.warmed(args.handle).then(() => port.post({ id, ok: true }));
        return;
      case "refresh":
        // The download goes on outside the queue (calls are answered
        // meanwhile); the swap into the wasm waits its turn in it.
        host.fetchState(args.handle, args.over).then(
          (got) => (queue = queue.then(() => reply(id, () => host.applyState(args.handle, got)))),
          (e) => port.post({ id, error: asError(e).toJSON() }),
        );
        return;
      case "dispose":
        ok = host.dispose(args.handle);
        break;
      case "memory":
        ok = host.memory();
        break;
      case "scan": {
        // This worker is another's helper (host.js, split opens).
        const entries = await host.scanEntries(args.port ? { port: args.port, byteLength: args.length } : new Uint8Array(args.buffer, args.offset, args.length));
        port.post({ id, ok: entries }, entries ? [entries.buffer] : []);
        return;
      }
      default:
        throw new DbtdeferError("internal.op", `worker: unknown op ${op}`);
    }
    port.post({ id, ok });
  } catch (e) {
    port.post({ id, error: asError(e).toJSON() });
  }
}

function reply(id, fn) {
  try {
    port.post({ id, ok: fn() });
  } catch (e) {
    port.post({ id, error: asError(e).toJSON() });
  }
}

function asError(e) {
  return e instanceof DbtdeferError ? e : new DbtdeferError("internal.error", String(e?.message ?? e));
}

async function connect() {
  if (typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope) {
    return { post: (m, t) => self.postMessage(m, t), listen: (fn) => (self.onmessage = (e) => fn(e.data)) };
  }
  const { parentPort } = await nodeImport("node:worker_threads");
  return { post: (m, t) => parentPort.postMessage(m, t), listen: (fn) => parentPort.on("message", fn) };
}
