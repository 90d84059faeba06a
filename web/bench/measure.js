// measure.js is the part of the benchmark that runs where the wasm runs: in
// node (web/bench/node.mjs) and in a Chromium page (web/bench/run.mjs). It
// takes an initialized dbtdefer.js API and the bytes of a dev and a prod
// manifest, and measures, in this one process:
//   - the baseline: TextDecoder + JSON.parse of the same bytes (what a
//     JavaScript tool does before it can answer anything);
//   - ready-to-resolve: from the bytes in JavaScript to the first ref()
//     answered (openProject, then one resolve, which builds the ref index),
//     with the bytes handed over (transfer: true) and copied (the default);
//   - memory: the Go heap the open project keeps beyond the input bytes,
//     and the wasm linear memory (its peak, as it never shrinks);
//   - the first compile preview after the pair opens (macros parsed), then
//     resolve and compile per call through the JS API.
// Every timing is the fastest of `runs`, except per-call figures (means over
// `calls` calls) and first-time figures (which happen once by definition).

/**
 * @param {object} o
 * @param {typeof import("../dbtdefer.js")} o.api initialized API
 * @param {Uint8Array} o.dev dev manifest bytes
 * @param {Uint8Array} o.prod prod manifest bytes
 * @param {string} o.model model to resolve from and compile
 * @param {string} o.ref ref to resolve when ready
 * @param {string[]} o.refs distinct refs the per-call figures cycle through
 * @param {() => number} o.now milliseconds
 * @param {() => void} [o.gc] a full JS collection, when exposed
 */
export async function measure({ api, dev, prod, model, ref, refs, now, gc = () => {}, runs = 3, calls = 2000, compiles = 300, perCallOnly = false }) {
  const out = { bytes: dev.byteLength, runs };
  if (perCallOnly) return perCall(out, { api, dev, prod, model, ref, refs, now, calls, compiles, rawCode: rawCodeOf(JSON.parse(new TextDecoder().decode(dev)), model) });

  // Baseline: decode and parse, keeping the result alive until timed.
  let best = Infinity;
  let rawCode = null;
  for (let i = 0; i < runs; i++) {
    gc();
    const t = now();
    const v = JSON.parse(new TextDecoder().decode(dev));
    const d = now() - t;
    if (!v || typeof v.nodes !== "object") throw new Error("the dev manifest has no nodes");
    best = Math.min(best, d);
    rawCode ??= rawCodeOf(v, model);
  }
  out.jsonParseMs = best;
  if (typeof rawCode !== "string") throw new Error(`no raw code for ${model}`);
  gc();

  // Ready to resolve: bytes → first ref() answered. Handed over
  // (transfer: true, a fresh copy made outside the timing each run, as an
  // IDE hands over bytes it fetched) and copied (the default, the caller
  // keeps its bytes; in a worker that is a structured clone).
  const before = await api.memoryUsage();
  const ready = async (transfer) => {
    let best = Infinity, first = 0;
    for (let i = 0; i < runs; i++) {
      const input = transfer ? dev.slice() : dev;
      gc();
      const t = now();
      const p = await api.openProject({ manifest: input, transfer });
      const { refs } = await p.resolve({ from: model, ref });
      const d = now() - t;
      if (refs.length !== 1) throw new Error(`resolve answered ${refs.length} refs`);
      if (i === 0) first = d;
      best = Math.min(best, d);
      await p.dispose();
    }
    return [best, first];
  };
  [out.readyCopyMs] = await ready(false);
  [out.readyMs, out.firstReadyMs] = await ready(true);
  out.readyOverJsonParse = out.readyMs / out.jsonParseMs;
  out.readyCopyOverJsonParse = out.readyCopyMs / out.jsonParseMs;
  const p = await api.openProject({ manifest: dev });
  out.parallelIndex = p.info.parallelIndex; // the helper worker indexed part of it
  await p.resolve({ from: model, ref });
  const open = await api.memoryUsage();
  out.retainedBytes = open.heapLiveBytes - before.heapLiveBytes - dev.byteLength;
  out.retainedOverInput = out.retainedBytes / dev.byteLength;
  await p.dispose();

  return perCall(out, { api, dev, prod, model, ref, refs, now, calls, compiles, rawCode });
}

// rawCodeOf is the raw code of a model of a parsed manifest, as a copy
// made through a small JSON text: a string taken from the parse may share
// memory with the decoded 100 MB text and keep it alive, and a large live JS
// heap slows the wasm (V8 collects as the wasm memory grows).
function rawCodeOf(v, model) {
  return JSON.parse(JSON.stringify(Object.values(v.nodes).find((n) => n.name === model && n.resource_type === "model")?.raw_code ?? null));
}

// perCall opens the pair and measures the first compile, then calls through
// the JS API: a call that does nothing (stateInfo: the transport's and the
// bridge's cost, the floor under every other figure), resolve (a ref asked
// for the first time, one asked again, many in one call) and compile.
async function perCall(out, { api, dev, prod, model, ref, refs, now, calls, compiles, rawCode }) {
  const before = await api.memoryUsage();
  const opened0 = now();
  const p = await api.openProject({ manifest: dev, state: prod });
  const opened = now();
  out.pairReadyMs = opened - opened0;
  let t = now();
  const first = await p.compile({ model, defer: "favor-state" });
  out.firstCompileMs = now() - t;
  if (!first.sql || !first.refs.some((r) => r.env === "state")) throw new Error("the first compile deferred nothing");

  // Resolution per call. Cold: each ref asked for the first time (its node
  // and its production node decoded for the first time). Known: the same
  // refs under other flags (a request never seen, answered by the wasm, the
  // nodes decoded already). Warm: the same requests again, answered by the
  // Project's kept answers (an IDE re-resolving a file at each keystroke).
  // Cold: half the refs, asked right after the open, while the host warms
  // (decodes heads) between calls; warmed: the other half, asked for the
  // first time once p.warmed() settled.
  const call = (r) => ({ from: model, ref: r, defer: "favor-state" });
  await p.resolve(call(ref)); // the ref index and the call's selection exist
  const half = Math.ceil(refs.length / 2);
  const [coldRefs, warmedRefs] = [refs.slice(0, half), refs.slice(half)];
  // Each first ask timed on its own too: an IDE's hover on a ref (issue
  // 16: under one frame, 16 ms, at p99).
  const firstAsks = [];
  const timed = async (r) => {
    const t0 = now();
    await p.resolve(call(r));
    firstAsks.push(now() - t0);
  };
  t = now();
  for (const r of coldRefs) await timed(r);
  out.resolveColdUs = ((now() - t) / coldRefs.length) * 1e3;
  await p.warmed();
  out.warmMs = now() - opened;
  const warmedMem = await api.memoryUsage();
  // The pair's Go heap beyond its input once warm (the heads kept): the
  // memory budget's figure again, for what stays after warming.
  out.warmedRetainedBytes = warmedMem.heapLiveBytes - before.heapLiveBytes - dev.byteLength - prod.byteLength;
  out.warmedRetainedOverInput = out.warmedRetainedBytes / (dev.byteLength + prod.byteLength);
  for (let i = 0; i < 50; i++) await p.stateInfo();
  t = now();
  for (let i = 0; i < 500; i++) await p.stateInfo();
  out.noopCallUs = ((now() - t) / 500) * 1e3;
  t = now();
  for (const r of warmedRefs) await timed(r);
  out.resolveWarmedUs = ((now() - t) / warmedRefs.length) * 1e3;
  const q = (xs, f) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(f * xs.length))];
  out.hoverP99Ms = q(firstAsks, 0.99);
  out.hoverP50Ms = q(firstAsks, 0.5);
  out.hoverAsks = firstAsks.length;
  await p.resolve({ ...call(ref), defer: "standard" });
  t = now();
  for (const r of refs) await p.resolve({ ...call(r), defer: "standard" });
  out.resolveKnownUs = ((now() - t) / refs.length) * 1e3;
  t = now();
  for (let i = 0; i < calls; i++) await p.resolve(call(refs[i % refs.length]));
  out.resolveWarmUs = ((now() - t) / calls) * 1e3;
  // Many refs in one call (a new request each time, so answered by the
  // wasm): the cost per ref.
  const n = Math.min(100, refs.length);
  t = now();
  for (let i = 0; i < 20; i++) await p.resolve(call([...refs.slice(i), ...refs.slice(0, i)].slice(0, n)));
  out.resolveBatchedUsPerRef = ((now() - t) / (20 * n)) * 1e3;

  // Compile previews of an edited buffer: the model's code with a different
  // edit each call, so every call renders (nothing kept answers it).
  for (let i = 0; i < 20; i++) await p.compile({ model, sql: `${rawCode}\n-- warm-up ${i}`, defer: "favor-state" });
  t = now();
  for (let i = 0; i < compiles; i++) await p.compile({ model, sql: `${rawCode}\n-- edit ${i}`, defer: "favor-state" });
  out.compileUs = ((now() - t) / compiles) * 1e3;

  // The language service (issue 18) at each keystroke: analyze of the
  // edited buffer (underlines, hover cards), and complete inside a
  // half-typed ref( (every refable name ranked), each timed on its own.
  const lang = { analyze: [], complete: [] };
  for (let i = 0; i < 120; i++) {
    const sql = `${rawCode}\n-- edit ${i}`;
    let t0 = now();
    const a = await p.analyze({ model, sql, defer: "favor-state" });
    if (i >= 20) lang.analyze.push(now() - t0);
    if (i === 0 && !a.calls.some((c) => c.resolution)) throw new Error("analyze resolved no ref");
    const typed = `${rawCode}\nselect * from {{ ref('${ref.slice(0, 1 + (i % 6))}`;
    t0 = now();
    const c = await p.complete({ model, sql: typed, offset: typed.length, defer: "favor-state" });
    if (i >= 20) lang.complete.push(now() - t0);
    if (i === 5 && !c.items.length) throw new Error("complete offered nothing");
  }
  out.analyzeP95Ms = q(lang.analyze, 0.95);
  out.analyzeP50Ms = q(lang.analyze, 0.5);
  out.completeP95Ms = q(lang.complete, 0.95);
  out.completeP50Ms = q(lang.complete, 0.5);

  const peak = await api.memoryUsage();
  out.wasmMemoryBytes = peak.wasmMemoryBytes;
  out.wasmMemoryOverInput = peak.wasmMemoryBytes / dev.byteLength;
  out.pairInputBytes = dev.byteLength + prod.byteLength;
  // A state that follows production (issue 17), last, as it changes the
  // state: refreshState to new state bytes (the dev manifest's, the same
  // project), against JSON.parse of those bytes; then the same bytes again
  // (no change: opened, compared, dropped).
  t = now();
  const moved = await p.refreshState({ state: dev });
  out.refreshChangedMs = now() - t;
  t = now();
  const again = await p.refreshState({ state: dev });
  out.refreshSameMs = now() - t;
  if (!moved.changed || again.changed) throw new Error(`refreshState: changed ${moved.changed}, then ${again.changed}`);
  out.refreshOverJsonParse = out.refreshChangedMs / out.jsonParseMs;
  await p.dispose();
  return out;
}
