// dbtdefer.js — resolve dbt's --defer / --favor-state in the browser (or node).
//
//   import { initialize, openProject } from "./dbtdefer.js";
//   await initialize({ wasmURL: "/dist/dbtdefer.wasm" });
//   const p = await openProject({ manifest: devBytes, state: "https://…/prod/manifest.json" });
//   const { refs } = await p.resolve({ from: "customers", ref: "stg_orders", defer: "standard" });
//
// The Go core (wasm/browser over package resolve) runs in a Web Worker by
// default so a 100 MB manifest never freezes the page; `worker: false` runs
// it on the calling thread. Every method returns a Promise; every failure is
// a DbtdeferError ({code, message, location}). Types: dbtdefer.d.ts.
import { DbtdeferError, closest, unwrap } from "./errors.js";
import { inputKeys, stateKeys } from "./inputs.js";
import { nodeImport, nodeWorkerURL } from "./platform.js";
import { version } from "./version.js";

export { DbtdeferError, version };

let started = null; // Promise<Transport> once initialize() was called

/**
 * initialize loads and starts the wasm. Call it once; later calls fail
 * (after a failed start, it may be called again).
 */
export function initialize(options = {}) {
  if (started) return Promise.reject(new DbtdeferError("initialize.twice", 'initialize() must be called only once'));
  const p = (async () => {
    check("initialize", options, {
      wasmURL: urlLike,
      wasmModule: (v) => v instanceof WebAssembly.Module || "a WebAssembly.Module",
      worker: bool,
      parallel: (v) => typeof v === "boolean" || (Number.isInteger(v) && v > 0) || "a boolean or a size in bytes",
      warm: bool,
    });
    if (options.wasmURL != null && options.wasmModule != null) {
      throw new DbtdeferError("options.conflict", "initialize: give wasmURL or wasmModule, not both");
    }
    // The wasm beside this file, written as bundlers (Vite, webpack) see an
    // asset: they copy it and rewrite the URL.
    const wasmURL = options.wasmModule ? undefined : absoluteURL(options.wasmURL ?? new URL("./dist/dbtdefer.wasm", import.meta.url));
    const useWorker = options.worker ?? (typeof globalThis.Worker === "function");
    const t = useWorker ? await WorkerTransport.start() : new LocalTransport();
    let v;
    try {
      v = await t.init({ wasmURL, wasmModule: options.wasmModule, parallel: options.parallel ?? true, warm: options.warm ?? true });
    } catch (e) {
      t.close();
      throw e;
    }
    if (v.hostVersion !== version || v.wasmVersion !== version) {
      t.close();
      const which = v.wasmVersion !== version ? `dbtdefer.wasm is version ${v.wasmVersion}` : `worker.js is version ${v.hostVersion}`;
      throw new DbtdeferError("version.mismatch", `dbtdefer.js is version ${version} but ${which}: serve all of web/ from one build (a cached old file?)`);
    }
    t.cacheable = new Set(v.cacheable); // the engine says which answers may be kept
    return t;
  })();
  started = p;
  p.catch(() => {
    if (started === p) started = null;
  });
  return p.then(() => undefined);
}

/** openProject loads the manifests and indexes them. */
export async function openProject(options) {
  if (!started) throw new DbtdeferError("initialize.required", "call initialize() before openProject()");
  const t = await started;
  check("openProject", options, {
    manifest: input,
    state: input,
    catalog: input,
    runResults: input,
    projectYml: input,
    packageProjects: (v) =>
      (typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((x) => input(x) === true)) ||
      "an object of names (e.g. dbt_packages/<package>/dbt_project.yml) to inputs",
    devRelations: (v) => (Array.isArray(v) && v.every((s) => typeof s === "string")) || "an array of strings",
    onProgress: (v) => typeof v === "function" || "a function",
    headers: (v) => (typeof v === "object" && !Array.isArray(v)) || "an object of header names to values",
    cache: bool,
    maxManifestBytes: (v) => (Number.isInteger(v) && v >= 0) || "a non-negative integer",
    transfer: bool,
    stateRunResults: input,
    stateCatalog: input,
    upstream: (v) =>
      (typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((x) => input(x) === true)) ||
      "an object of upstream project names to their production manifests (inputs)",
    dependenciesYml: input,
    runURL: (v) => runURLTemplate(v),
    staleAfterMs: count,
    watchState: (v) => (object(v) === true && Object.keys(v).every((k) => k === "everyMs") && Number.isInteger(v.everyMs) && v.everyMs >= 1000) ||
      "{everyMs: an integer ≥ 1000}",
    onStateChange: (v) => typeof v === "function" || "a function",
    onStateError: (v) => typeof v === "function" || "a function",
    stateOrigin: (v) => (object(v) === true && Object.keys(v).every((k) => ["url", "etag", "lastModified"].includes(k)) && typeof v.url === "string" &&
      Object.values(v).every((x) => typeof x === "string")) || "{url, etag?, lastModified?} (strings)",
  });
  if (options.manifest == null) throw new DbtdeferError("options.missing", "openProject: manifest is required");
  if (options.watchState && options.state == null) throw new DbtdeferError("options.conflict", "openProject: watchState needs a state (a URL to revalidate)");
  if (options.stateOrigin && (options.state == null || typeof options.state === "string" || options.state instanceof URL)) {
    throw new DbtdeferError("options.conflict", "openProject: stateOrigin describes a state given as bytes or a Blob (a URL state is its own origin)");
  }
  const { onProgress, watchState, onStateChange, onStateError, ...rest } = options;
  if (rest.stateOrigin) rest.stateOrigin = { ...rest.stateOrigin, url: absoluteURL(rest.stateOrigin.url) };
  for (const k of inputKeys) {
    if (typeof rest[k] === "string" || rest[k] instanceof URL) rest[k] = absoluteURL(rest[k]);
  }
  for (const k of ["packageProjects", "upstream"]) {
    if (!rest[k]) continue;
    rest[k] = Object.fromEntries(Object.entries(rest[k]).map(([name, v]) => [name, typeof v === "string" || v instanceof URL ? absoluteURL(v) : v]));
  }
  const res = await t.open(rest, onProgress ?? (() => {}));
  const p = new Project(t, res);
  if (watchState) p.watchState(watchState.everyMs, onStateChange, onStateError);
  return p;
}

/**
 * memoryUsage reports what the wasm instance holds: the Go heap still live
 * after a collection (open projects' bytes and indexes), the heap the Go
 * runtime keeps, and the wasm linear memory, which never shrinks (so it is
 * the instance's peak).
 */
export async function memoryUsage() {
  if (!started) throw new DbtdeferError("initialize.required", "call initialize() before memoryUsage()");
  const t = await started;
  return t.memory();
}

// How much of the answers Project keeps (UTF-16 units); which methods' answers
// it keeps, the engine says (the protocol's Cacheable calls: not compile,
// whose render may read the clock, nor stateInfo).
const maxAnswerBytes = 8 << 20;


const callOptions = {
  defer: oneOf("off", "standard", "favor-state"),
  profile: oneOf("auto", "legacy", "modern", "fusion"),
  select: strings,
  exclude: strings,
  unknown: oneOf("missing", "present"),
  packageFirst: bool,
};

// The options of each Project method (made once: a resolve call is a few µs).
const schemas = {
  resolve: { from: str, ref: strings, ...callOptions },
  compile: { model: str, sql: str, vars: object, target: object, env: stringMap, incremental: bool, empty: bool, strategy: oneOf("render", "rewrite", "auto"), ...callOptions },
  select: { select: strings, exclude: strings },
  explain: { model: str, ...callOptions },
  nodes: { resourceType: strings, package: str, query: str, limit: count, offset: count },
  lineage: { up: bool, down: bool, depth: count, limit: count, tests: bool, ...callOptions },
  analyze: { model: str, sql: str, vars: object, env: stringMap, ...callOptions },
  complete: { model: str, sql: str, vars: object, env: stringMap, offset: count, limit: count, ...callOptions },
  refreshState: { state: input, stateRunResults: input, stateCatalog: input },
};

/** Project is one opened dev manifest with its optional state. */
class Project {
  #t;
  #handle;
  #disposed = false;

  constructor(t, { handle, warnings, info }) {
    this.#t = t;
    this.#handle = handle;
    /** Warnings found while opening (schema, mismatched projects…). */
    this.warnings = warnings;
    /** projectName, adapterType, dbtVersion, schemaVersion, counts, hasState, state. */
    this.info = info;
  }

  // An open project never changes, so a cacheable call's answer depends only
  // on its method and request: answers to resolve, explain, select, nodes,
  // node and lineage are kept (as JSON, so callers may mutate what they get)
  // and repeated calls — an IDE re-resolving a file's refs at every
  // keystroke — never reach the wasm or its worker. Bounded by total size;
  // the oldest go first.
  #answers = new Map();
  #answerBytes = 0;

  async #call(method, req) {
    if (this.#disposed) throw new DbtdeferError("project.disposed", `${method}: the project was disposed`);
    const reqText = JSON.stringify(req);
    if (!this.#t.cacheable.has(method)) return unwrap(await this.#t.call(this.#handle, method, reqText));
    const key = `${method}\u0000${reqText}`;
    const hit = this.#answers.get(key);
    if (hit !== undefined) {
      this.#answers.delete(key); // most recently used last
      this.#answers.set(key, hit);
      return unwrap(hit);
    }
    // The answer's text as the wasm wrote it: decoded once here, kept as is.
    const text = await this.#t.call(this.#handle, method, reqText);
    const res = unwrap(text); // an error is thrown, never kept
    if (text.length <= maxAnswerBytes / 16) {
      this.#answers.set(key, text);
      this.#answerBytes += text.length + key.length;
      if (this.#answerBytes > maxAnswerBytes) for (const [k, v] of this.#answers) {
        if (this.#answerBytes <= maxAnswerBytes) break;
        this.#answers.delete(k);
        this.#answerBytes -= v.length + k.length;
      }
    }
    return res;
  }

  /** resolve resolves ref()/source()/this from a node: {refs, diagnostics}. */
  async resolve(options) {
    check("resolve", options, schemas.resolve);
    const { ref, ...req } = options;
    if (ref == null) throw new DbtdeferError("options.missing", "resolve: ref is required (name, package.name, name@v2, source:src.table or this)");
    return this.#call("resolve", { ...normalize(req), refs: [ref].flat() });
  }

  /** compile previews SQL: a saved model, an edited buffer (model + sql) or ad-hoc sql. */
  async compile(options) {
    check("compile", options, schemas.compile);
    return this.#call("compile", normalize(options));
  }

  /** select evaluates dbt selection syntax: {uniqueIds, diagnostics}. */
  async select(selection) {
    const opts = typeof selection === "string" || Array.isArray(selection) ? { select: selection } : selection;
    check("select", opts, schemas.select);
    return this.#call("select", normalize(opts));
  }

  /** explain resolves every ref, source and this of a model, with reasons. */
  async explain(options) {
    const opts = typeof options === "string" ? { model: options } : options;
    check("explain", opts, schemas.explain);
    return this.#call("explain", normalize(opts));
  }

  /**
   * nodes lists the project's nodes, a page at a time, fuzzy-searched by
   * name in Go: {nodes, total, offset, limit}. Default: models, seeds,
   * snapshots and analyses, 100 rows.
   */
  async nodes(options = {}) {
    check("nodes", options, schemas.nodes);
    const req = { ...options };
    if (typeof req.resourceType === "string") req.resourceType = [req.resourceType];
    return this.#call("nodes", req);
  }

  /** node describes one node (a unique_id or a name): code, config, docs, columns, tests. */
  async node(uniqueIdOrName) {
    if (typeof uniqueIdOrName !== "string") throw new DbtdeferError("options.type", "node: the argument must be a unique_id or name (a string)");
    return this.#call("node", { node: uniqueIdOrName });
  }

  /**
   * lineage is a node's neighbourhood (depth steps up and down, default 1),
   * each node marked with where its relation resolves under the defer flags.
   */
  async lineage(uniqueIdOrName, options = {}) {
    if (typeof uniqueIdOrName !== "string") throw new DbtdeferError("options.type", "lineage: the first argument must be a unique_id or name (a string)");
    check("lineage", options, schemas.lineage);
    return this.#call("lineage", { ...normalize(options), node: uniqueIdOrName });
  }

  /**
   * stateInfo says which production run is in use (run: id, job, link,
   * trigger), how old it is (age, stale), what production's run results
   * say, and where and when it was fetched (null without a state).
   */
  async stateInfo() {
    return this.#call("stateInfo", {});
  }

  /**
   * analyze reads an edited buffer as an editor needs it: every ref(),
   * source(), this, var(), env_var(), config() and macro call with its range,
   * refs and sources resolved under the defer flags with their definitions,
   * and diagnostics with ranges. The buffer need not parse.
   */
  async analyze(options) {
    check("analyze", options, schemas.analyze);
    if (typeof options.sql !== "string") throw new DbtdeferError("options.missing", "analyze: sql is required (the editor's buffer)");
    return this.#call("analyze", normalize(options));
  }

  /** complete is what may be typed at the cursor (offset, in UTF-16 units: a CodeMirror position). */
  async complete(options) {
    check("complete", options, schemas.complete);
    if (typeof options.sql !== "string" || options.offset == null) throw new DbtdeferError("options.missing", "complete: sql and offset are required");
    return this.#call("complete", normalize(options));
  }

  #refreshing = null;
  #watch = null;

  /**
   * refreshState fetches the state again (conditionally, by its ETag or
   * Last-Modified: a 304 costs no download) and, when production has a
   * newer manifest, swaps it in without indexing the dev manifest again;
   * production's run results too when they came from a URL. Or it takes
   * the new bytes (or a URL) given: {state, stateRunResults, stateCatalog}. Answers kept
   * by this Project are dropped when the state changes. On any failure
   * (network, bad JSON, another project's state) the current state stays
   * and the error is thrown. Concurrent calls share one refresh.
   */
  async refreshState(options = {}) {
    if (this.#disposed) throw new DbtdeferError("project.disposed", "refreshState: the project was disposed");
    check("refreshState", options, schemas.refreshState);
    const over = { ...options };
    for (const k of stateKeys) if (typeof over[k] === "string" || over[k] instanceof URL) over[k] = absoluteURL(over[k]);
    if (this.#refreshing && Object.keys(over).length === 0) return this.#refreshing;
    const p = (async () => {
      const res = await this.#t.refresh(this.#handle, over);
      if (res.changed) {
        this.#answers.clear();
        this.#answerBytes = 0;
        this.warnings = res.warnings;
        this.info = { ...this.info, state: res.stateInfo };
      }
      return { changed: res.changed, stateInfo: res.stateInfo, warnings: res.warnings ?? this.warnings };
    })();
    this.#refreshing = p;
    p.finally(() => this.#refreshing === p && (this.#refreshing = null)).catch(() => {});
    return p;
  }

  /**
   * watchState refreshes the state every everyMs in the background (as
   * openProject's watchState does): onStateChange(result) when production
   * moved, onStateError(error) when a refresh failed (the state stays).
   * watchState(0) stops.
   */
  watchState(everyMs, onStateChange = () => {}, onStateError = () => {}) {
    clearInterval(this.#watch);
    this.#watch = null;
    if (!everyMs || this.#disposed) return;
    if (!Number.isInteger(everyMs) || everyMs < 1000) throw new DbtdeferError("options.type", "watchState: everyMs must be an integer ≥ 1000");
    this.#watch = setInterval(() => {
      if (this.#refreshing) return; // one at a time
      this.refreshState().then((r) => r.changed && onStateChange(r), (e) => !this.#disposed && onStateError(e));
    }, everyMs);
    this.#watch.unref?.(); // node: a watch does not keep the process alive
  }

  /**
   * warmed settles once the background work after the open is done: the
   * heads of every model, seed and snapshot decoded ahead of time, then 1,500
   * resolve calls so the engine optimizes that path, so that a ref asked for
   * the first time costs about what one asked before does (unless
   * initialize({warm: false})). Calls made before it settles are answered
   * meanwhile, between slices of that work.
   */
  async warmed() {
    if (this.#disposed) return;
    await this.#t.warmed(this.#handle);
  }

  /** dispose frees the project in the wasm; later calls fail with project.disposed. */
  async dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    clearInterval(this.#watch);
    this.#answers.clear();
    await this.#t.dispose(this.#handle);
  }
}

// normalize turns string selections into lists (the wire format).
function normalize(o) {
  const out = { ...o };
  for (const k of ["select", "exclude"]) if (typeof out[k] === "string") out[k] = [out[k]];
  return out;
}

// ---- option checking ---------------------------------------------------------

/** check rejects non-objects, unknown keys (by name, with a suggestion) and wrong types. */
function check(fn, options, schema) {
  if (options == null || typeof options !== "object" || Array.isArray(options)) {
    throw new DbtdeferError("options.type", `${fn}: options must be an object`);
  }
  for (const k of Object.keys(options)) {
    const v = options[k];
    if (!Object.hasOwn(schema, k)) { // not `in`: "toString" is no option
      const s = closest(k, Object.keys(schema));
      throw new DbtdeferError("options.unknown_key", `${fn}: unknown option "${k}"${s ? ` (did you mean "${s}"?)` : ""}`, s ? { suggestion: s } : {});
    }
    if (v === undefined) continue;
    const ok = schema[k](v);
    if (ok !== true) throw new DbtdeferError("options.type", `${fn}: option "${k}" must be ${ok}`);
  }
}

// Validators (function declarations: hoisted above callOptions) answer true
// or what the value should have been.
function str(v) { return typeof v === "string" || "a string"; }
function bool(v) { return typeof v === "boolean" || "a boolean"; }
function count(v) { return (Number.isInteger(v) && v >= 0) || "a non-negative integer"; }
function object(v) { return (v !== null && typeof v === "object" && !Array.isArray(v)) || "an object"; }
function stringMap(v) { return (object(v) === true && Object.values(v).every((s) => typeof s === "string")) || "an object of strings"; }
function strings(v) { return typeof v === "string" || (Array.isArray(v) && v.every((s) => typeof s === "string")) || "a string or an array of strings"; }
function urlLike(v) { return typeof v === "string" || v instanceof URL || "a URL or URL string"; }
function oneOf(...names) {
  return (v) => {
    if (names.includes(v)) return true;
    const s = typeof v === "string" ? closest(v, names) : "";
    return `one of ${names.map((n) => `"${n}"`).join(", ")}${s ? ` (did you mean "${s}"?)` : ""}`;
  };
}
function input(v) {
  return v instanceof Uint8Array || v instanceof ArrayBuffer || ArrayBuffer.isView(v) || (typeof Blob !== "undefined" && v instanceof Blob) ||
    typeof v === "string" || v instanceof URL || "bytes (Uint8Array/ArrayBuffer), a Blob/File, or a URL";
}

// runURLTemplate checks a run URL template as Go's resolve.CheckRunURL
// does (an absolute http(s) URL with {NAME} placeholders), so the mistake
// is reported at the call.
function runURLTemplate(v) {
  if (typeof v !== "string") return "a URL template string";
  if (!/^[^{}]*(\{[A-Za-z0-9_]+\}[^{}]*)*$/.test(v)) return "a URL template whose braces are {NAME} placeholders (letters, digits, _)";
  let u;
  try {
    u = new URL(v.replace(/\{[A-Za-z0-9_]+\}/g, "x"));
  } catch {
    return "an absolute http(s) URL template";
  }
  return ((u.protocol === "http:" || u.protocol === "https:") && u.host !== "" && !u.username) || "an http(s) URL template with a host (and no user)";
}

function absoluteURL(u) {
  const base = globalThis.location?.href ?? (typeof process !== "undefined" ? `file://${process.cwd()}/` : undefined);
  try {
    return new URL(String(u), base).href;
  } catch {
    throw new DbtdeferError("options.url", `not a URL: ${u}`);
  }
}

// ---- transports: the same host, on this thread or in a worker ---------------

/** LocalTransport runs the wasm on this thread (worker: false). */
class LocalTransport {
  async init(args) {
    const { startHost } = await import("./host.js");
    // A page's helper worker, started as bundlers see a worker (see WorkerTransport.start).
    const spawnHelper = typeof globalThis.Worker === "function"
      ? () => new Worker(new URL("./worker.js", import.meta.url), { type: "module", name: "dbtdefer-helper" })
      : undefined;
    this.host = await startHost({ ...args, spawnHelper });
    return { wasmVersion: this.host.wasmVersion, hostVersion: version, cacheable: this.host.cacheable };
  }
  open(opts, onProgress) {
    return this.host.open(opts, onProgress);
  }
  async call(handle, method, reqText) {
    // A call made while a project opens (from onProgress, or while a
    // split open waits for its helper) runs after it.
    while (this.host.opening) await this.host.opening;
    return this.host.callText(handle, method, reqText);
  }
  warmed(handle) {
    return this.host.warmed(handle);
  }
  async refresh(handle, over) {
    const got = await this.host.fetchState(handle, over);
    while (this.host.opening) await this.host.opening;
    return this.host.applyState(handle, got);
  }
  async dispose(handle) {
    return this.host.dispose(handle);
  }
  async memory() {
    return this.host.memory();
  }
  close() {}
}

/**
 * handOver prepares the byte inputs of args (at keys) to cross to the
 * worker and answers the buffers to transfer. With copy, the caller keeps
 * its bytes and the worker gets a plain copy of each (slice), handed over:
 * a structured clone of the same bytes costs 4–6× as much (about 3.5 ms a
 * MB in Chromium, serialized here then deserialized there, against 0.5–1);
 * without, their own buffers are handed over (detached here). A view given
 * twice is copied once; a SharedArrayBuffer is shared, never copied or
 * transferred; Blobs and Files cross as handles (the worker reads them).
 */
function handOver(args, keys, copy) {
  const isBytes = (v) => ArrayBuffer.isView(v) || v instanceof ArrayBuffer;
  if (copy) {
    const copies = new Map();
    for (const k of keys) {
      const v = args[k];
      if (!isBytes(v) || !((v.buffer ?? v) instanceof ArrayBuffer)) continue;
      if (!copies.has(v)) copies.set(v, ArrayBuffer.isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice() : v.slice(0));
      args[k] = copies.get(v);
    }
  }
  return [...new Set(keys.map((k) => args[k]).filter(isBytes).map((v) => v.buffer ?? v))].filter((b) => b instanceof ArrayBuffer);
}

/** WorkerTransport runs the wasm in a Web Worker (node: worker_threads). */
class WorkerTransport {
  static async start() {
    const t = new WorkerTransport();
    let ready;
    const isReady = new Promise((resolve, reject) => (ready = { resolve, reject }));
    const onMessage = (m) => (m?.ready ? ready.resolve() : t.#receive(m));
    const onError = (e) => {
      const err = new DbtdeferError("worker.error", `dbtdefer worker failed: ${e?.message ?? e}`);
      ready.reject(err);
      t.#failAll(err);
    };
    if (typeof globalThis.Worker === "function") {
      // Written as Vite and webpack recognise a worker (inline, a literal
      // URL and type): they bundle worker.js and rewrite its URL.
      t.worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module", name: "dbtdefer" });
      t.worker.onmessage = (e) => onMessage(e.data);
      t.worker.onerror = (e) => (e.preventDefault?.(), onError(e));
      t.post = (m, transfer) => t.worker.postMessage(m, transfer);
      t.ref = t.unref = () => {};
    } else {
      const { Worker: NodeWorker } = await nodeImport("node:worker_threads");
      t.worker = new NodeWorker(nodeWorkerURL());
      t.worker.on("message", onMessage);
      t.worker.on("error", onError);
      t.worker.on("exit", (code) => onError(new Error(`worker exited (code ${code})`)));
      t.post = (m, transfer) => t.worker.postMessage(m, transfer);
      // An idle worker must not keep node alive.
      t.ref = () => t.worker.ref();
      t.unref = () => t.worker.unref();
    }
    await isReady;
    t.unref();
    return t;
  }

  #next = 0;
  #pending = new Map();

  #request(op, args, onProgress, transfer = []) {
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, onProgress });
      this.ref();
      this.post({ id, op, args }, transfer);
    });
  }

  #receive({ id, ok, text, error, progress }) {
    const p = this.#pending.get(id);
    if (!p) return;
    if (progress) return void p.onProgress?.(progress);
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.unref();
    if (error) p.reject(DbtdeferError.fromData(error));
    else p.resolve(text ?? ok);
  }

  #failAll(err) {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
    this.dead = err;
  }

  init(args) {
    return this.#request("init", args);
  }
  open(opts, onProgress) {
    if (this.dead) return Promise.reject(this.dead);
    // transfer: true hands byte inputs' buffers to the worker (detached
    // here) instead of copying them (see handOver).
    const args = { ...opts };
    const transfer = handOver(args, inputKeys, !opts.transfer);
    return this.#request("open", args, onProgress, transfer);
  }
  call(handle, method, reqText) {
    if (this.dead) return Promise.reject(this.dead);
    return this.#request("call", { handle, method, req: reqText });
  }
  warmed(handle) {
    if (this.dead) return Promise.resolve();
    return this.#request("warmed", { handle });
  }
  refresh(handle, over) {
    if (this.dead) return Promise.reject(this.dead);
    // Bytes are copied (the caller keeps its own) and handed over, as open's.
    const args = { handle, over: { ...over } };
    return this.#request("refresh", args, undefined, handOver(args.over, stateKeys, true));
  }
  dispose(handle) {
    if (this.dead) return Promise.resolve(false);
    return this.#request("dispose", { handle });
  }
  memory() {
    if (this.dead) return Promise.reject(this.dead);
    return this.#request("memory", {});
  }
  close() {
    this.worker.terminate();
  }
}
