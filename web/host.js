// host.js runs the Go wasm (wasm/browser) and feeds it: it compiles and
// starts the module, loads inputs (bytes, Blobs, URLs with ETag revalidation
// and the Cache API), and turns the bridge's JSON envelopes into values or
// DbtdeferErrors. It runs inside the Web Worker (worker.js) or, with
// `worker: false`, on the caller's thread; dbtdefer.js is the public face.
import Go from "./dist/wasm_exec.mjs"; // Go's own wasm_exec.js, copied from the toolchain at build time, as a module
import { DbtdeferError, unwrap } from "./errors.js";
import { inputKeys, stateKeys } from "./inputs.js";
import { isNode, nodeImport, nodeWorkerURL } from "./platform.js";

/**
 * startHost compiles and starts one wasm instance.
 * @param {{wasmURL?: string, wasmModule?: WebAssembly.Module}} opts
 */
export async function startHost({ wasmURL, wasmModule, parallel = true, warm = true, spawnHelper }) {
  if (parallel === true) parallel = splitMinBytes;
  const module = wasmModule ?? (await compileWasm(wasmURL));
  const go = new Go();
  // A per-instance callback name: several instances may share one realm.
  const key = `__dbtdeferReady_${Math.random().toString(36).slice(2)}`;
  const ready = new Promise((resolve) => (globalThis[key] = resolve));
  go.env = { DBTDEFER_READY: key };
  let exitCode = null;
  go.exit = (code) => (exitCode = code);
  let instance;
  try {
    instance = await WebAssembly.instantiate(module, go.importObject);
  } catch (e) {
    throw new DbtdeferError("wasm.instantiate", `cannot instantiate dbtdefer.wasm: ${e.message}`);
  }
  const host = new Host(go, instance, parallel ? module : null);
  host.spawnHelper = spawnHelper;
  host.splitMinBytes = parallel || Infinity;
  host.warm = warm;
  const exited = go.run(instance).then(() => host.died(`the Go program exited (code ${exitCode ?? 0})`));
  try {
    host.api = await Promise.race([ready, exited.then(() => { throw host.deadError(); })]);
  } finally {
    delete globalThis[key];
  }
  return host;
}

async function compileWasm(url) {
  if (url == null) throw new DbtdeferError("options.missing", "initialize: wasmURL or wasmModule is required");
  const u = new URL(String(url), isNode ? `file://${process.cwd()}/` : globalThis.location?.href);
  try {
    if (u.protocol === "file:") {
      const { readFile } = await nodeImport("node:fs/promises");
      return await WebAssembly.compile(await readFile(u));
    }
    const res = await fetch(u);
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    if (WebAssembly.compileStreaming && res.headers.get("Content-Type")?.startsWith("application/wasm")) {
      return await WebAssembly.compileStreaming(res);
    }
    return await WebAssembly.compile(await res.arrayBuffer());
  } catch (e) {
    throw new DbtdeferError("wasm.load", `cannot load dbtdefer.wasm from ${u}: ${e.message}`, { file: String(u) });
  }
}

/** Host is one running wasm instance and the projects opened in it. */
export class Host {
  constructor(go, instance, helperModule = null) {
    this.go = go;
    this.instance = instance;
    this.helperModule = helperModule; // the module a helper worker runs (null: no helper)
    this.helper = undefined; // Promise of the helper, once started
    this.opening = null; // the open in progress, if any
    this.api = null;
    this.dead = null; // why the instance stopped, once it has
    this.sources = new Map(); // handle → where the state and its run results came from, and how to fetch them again
    this.busy = 0; // how many js.FuncOf calls (open) or input reads into the wasm are in progress: dbtdefer_call must wait
    this.calls = 0; // callText calls so far (warming waits for a pause in them)
  }

  get wasmVersion() {
    return this.api?.version;
  }

  /** The methods whose answers may be kept (the protocol's Cacheable calls). */
  get cacheable() {
    return this.api?.cacheable ? this.api.cacheable.split(",") : [];
  }

  died(why) {
    this.dead ??= why;
  }

  deadError() {
    return new DbtdeferError("wasm.exited", `the dbtdefer wasm instance stopped: ${this.dead}; call initialize() again in a new page or worker`);
  }

  // invoke calls into Go and decodes its envelope. A JS exception out of the
  // wasm (a trap, out of memory) kills the instance: say so, every time.
  invoke(fn, ...args) {
    if (this.dead) throw this.deadError();
    let out;
    this.busy++; // no dbtdefer_call inside a js.FuncOf call (an onProgress callback)
    try {
      out = this.api[fn](...args);
    } catch (e) {
      this.died(`${e?.name ?? "Error"}: ${e?.message ?? e}`);
      throw this.deadError();
    } finally {
      this.busy--;
    }
    if (this.go.exited) this.died("the Go program exited");
    if (typeof out !== "string") return out;
    return unwrap(out);
  }

  /**
   * open loads every input and opens a project.
   * @param {object} opts validated openProject options (minus onProgress)
   * @param {(p: object) => void} progress
   */
  open(opts, progress = () => {}) {
    // One open at a time: an open may read a Blob into the wasm's input
    // buffer over many tasks, which another open must not write meanwhile.
    const p = (this.opening ?? Promise.resolve()).then(() => this.#open(opts, progress));
    const settled = p.then(() => {}, () => {});
    this.opening = settled;
    settled.then(() => this.opening === settled && (this.opening = null));
    return p;
  }

  async #open(opts, progress) {
    const max = opts.maxManifestBytes ?? 0;
    // A manifest or state big enough to be split starts the helper worker
    // as soon as its size is known (before it is read: a Blob's size, a
    // response's Content-Length), so the helper starts while inputs load.
    const sized = (key, n) => {
      if ((key === "manifest" || key === "state") && this.helperModule && n >= this.splitMinBytes) this.#helper();
    };
    const load = { headers: opts.headers, cache: opts.cache !== false, progress, max, sized };
    const inputs = {};
    const names = { devRelations: opts.devRelations ?? [], maxManifestBytes: opts.maxManifestBytes ?? 0, runURL: opts.runURL ?? "",
      staleAfterMs: opts.staleAfterMs === 0 ? -1 : opts.staleAfterMs ?? 0 };
    const sources = {};
    const own = {}; // key → the bytes are this host's own (read by it, or handed over): their buffer may be handed on
    // Every input loads at once (a pair's two Files are read side by side).
    const keys = inputKeys.filter((key) => opts[key] != null);
    const packages = opts.packageProjects ? Object.entries(opts.packageProjects) : [];
    const upstream = opts.upstream ? Object.entries(opts.upstream) : [];
    // A big manifest is indexed on two cores: a helper worker scans the
    // entries from a split point near its middle while this instance scans
    // up to it (see manifest.Split: a wrong guess only costs time). A big
    // state is split too: the helper scans its part after the manifest's,
    // while this instance finishes the manifest and scans the state's first
    // part. A Blob's split point is found in a window of it before it is
    // read; then its part from there on is read first, and goes to the
    // helper chunk by chunk as it comes (handed over, not copied: see
    // #readInto), so the helper scans it while this instance reads the rest.
    const tees = {};
    for (const key of ["manifest", "state"]) {
      if (!streamable(opts[key]) || !this.helperModule || typeof MessageChannel !== "function") continue;
      const ch = new MessageChannel();
      tees[key] = { at: blobSplit(opts[key], this.splitMinBytes, max), port: ch.port1, peer: ch.port2, size: opts[key].size };
    }
    const early = (async () => {
      const [atM, atS] = await Promise.all([tees.manifest?.at ?? -1, tees.state?.at ?? -1]);
      const helper = atM > 0 || atS > 0 ? await this.#helper() : null;
      // The manifest's part is asked for first: the helper answers in order.
      const part = (tee, at) => (helper && at > 0 ? scan(helper, { port: tee.peer, byteLength: tee.size - at }) : (tee?.port.close(), null));
      return { helper, atM: helper ? atM : -1, atS: helper ? atS : -1, manifest: part(tees.manifest, atM), state: part(tees.state, atS) };
    })();
    // A Blob manifest or state is read straight into its own input buffer
    // in the wasm (manifestAdopted, stateAdopted): never whole in
    // JavaScript, and never copied a second time.
    const read = (key) => {
      if ((key === "manifest" || key === "state") && streamable(opts[key])) return this.#readIn(key, opts[key], load, tees[key]);
      return loadInput(key, opts[key], load);
    };
    const [got, pkgs, ups] = await Promise.all([
      Promise.all(keys.map(read)),
      Promise.all(packages.map(([name, v]) => loadInput(name, v, load))),
      Promise.all(upstream.map(([project, v]) => loadInput(`upstream.${project}`, v, load))),
    ]);
    const adopted = {}; // key → its length, when it is in its input buffer in the wasm already
    for (const [i, key] of keys.entries()) {
      const g = got[i];
      if (g.adopted != null) adopted[key] = g.adopted;
      else {
        checkSize(key, g.bytes.byteLength, load.max, g.name);
        inputs[key] = g.bytes;
        own[key] = g.own === true || (g.source.kind === "bytes" && !!(opts.ownsBytes || opts.transfer));
      }
      sources[key] = g.source;
      if (g.name) names[key] = g.name;
    }
    // installed packages' dbt_project.yml files travel as text, bounded
    if (opts.packageProjects) {
      const texts = {};
      let size = 0;
      for (const [i, [name]] of packages.entries()) {
        size += pkgs[i].bytes.byteLength;
        if (size > maxPackageProjectBytes)
          throw new DbtdeferError("options.too_large", `packageProjects: over ${maxPackageProjectBytes} bytes in all`, { file: name });
        texts[name] = new TextDecoder().decode(pkgs[i].bytes);
      }
      names.packageProjects = texts;
    }
    // upstream projects' manifests (dbt Mesh) travel as bytes, in the order of their names
    names.upstream = upstream.map(([project], i) => {
      checkSize(`upstream.${project}`, ups[i].bytes.byteLength, load.max, ups[i].name);
      return { project, name: ups[i].name ?? `upstream/${project}/manifest.json` };
    });
    const total = Object.values(inputs).reduce((n, b) => n + b.byteLength, (adopted.manifest ?? 0) + (adopted.state ?? 0)) +
      ups.reduce((n, u) => n + u.bytes.byteLength, 0);
    // Inputs given as bytes (or read from a URL) are split once loaded: the
    // helper gets the manifest's part before this instance starts scanning
    // (which holds the thread until the split point): the manifest is
    // copied into the wasm first, then its buffer handed to the helper when
    // it is ours (see partOf), else a copy of its second part; the state's
    // part goes once the open call copied the state into the wasm.
    const e = await early;
    let { helper, atM, atS } = e;
    let helpedManifest = e.manifest;
    let helpedState = e.state;
    const big = (b) => this.helperModule && b && b.byteLength >= this.splitMinBytes;
    const lateM = !tees.manifest && big(inputs.manifest) ? splitPoint(inputs.manifest) : -1;
    const lateS = !tees.state && big(inputs.state) ? splitPoint(inputs.state) : -1;
    if ((lateM > 0 || lateS > 0) && !helper) helper = await this.#helper();
    if (helper) {
      if (lateM > 0) atM = lateM;
      if (lateS > 0) atS = lateS;
    }
    progress({ phase: "copy", file: "", loaded: 0, total });
    const args = { ...inputs, upstream: ups.map((u) => u.bytes), names: JSON.stringify(names) };
    // partOf is the bytes of an input from at on: a view of its buffer (handed
    // over, and so detached) when the buffer is ours (bytes this host read
    // itself, from a Blob, a URL or a file, or bytes handed to it) and no
    // other input is a view of it, else a copy (the caller still owns them).
    const partOf = (key, at) => {
      const m = inputs[key];
      const owned = own[key] && m.buffer instanceof ArrayBuffer &&
        Object.entries(inputs).every(([k, v]) => k === key || v.buffer !== m.buffer);
      return owned ? new Uint8Array(m.buffer, m.byteOffset + at, m.byteLength - at) : m.slice(at);
    };
    if (adopted.state != null) args.stateAdopted = true;
    if (adopted.manifest != null) {
      args.manifestAdopted = true;
    } else if (helper && lateM > 0) {
      this.#adopt(inputs.manifest);
      delete args.manifest;
      args.manifestAdopted = true;
      helpedManifest = scan(helper, partOf("manifest", atM));
    }
    const onProgress = (phase, file, loaded, total) => progress({ phase, file, loaded, total });
    let res;
    if (!helper || (atM <= 0 && atS <= 0)) {
      res = this.invoke("open", args, onProgress);
    } else {
      let text = null;
      this.busy++; // the wasm is inside an open until it is done
      try {
        this.invoke("open", args, onProgress, { manifest: atM, state: atS }, (t) => (text = t));
        // That call copied the state into the wasm: its part can go now.
        if (lateS > 0) helpedState = scan(helper, partOf("state", atS));
        if (text === null && atM > 0) this.invoke("provide", 0, await helpedManifest);
        if (text === null && atS > 0) this.invoke("provide", 1, await helpedState);
      } finally {
        this.busy--;
      }
      if (text === null) throw new DbtdeferError("internal.error", "the split open did not finish");
      res = unwrap(text);
    }
    // A state the caller downloaded itself (bytes or a Blob) with its
    // origin given is revalidated at that URL by refreshState.
    const o = opts.stateOrigin;
    if (o && sources.state) {
      const now = new Date().toISOString();
      sources.state = { kind: "url", url: o.url, status: 200, fromCache: false, etag: o.etag, lastModified: o.lastModified, fetchedAt: now, checkedAt: now,
        size: sources.state.size };
    }
    this.sources.set(res.handle, { ...Object.fromEntries(stateKeys.map((k) => [k, sources[k] ?? null])),
      load: { headers: opts.headers, cache: opts.cache !== false, max } });
    if (this.warm) this.#startWarm(res.handle);
    return res;
  }

  // ---- warming: heads decoded ahead of time, while the thread is idle ----
  // After an open, the heads of the project's refable nodes (what a ref
  // needs of a node: a first ask decodes two, 25–45 µs each in wasm) are
  // decoded, then 1,500 resolve calls made so V8 optimizes that path (see
  // Session.Warm), in slices of about 2 ms, each a task of its own, so calls
  // (and on a page's thread, input and rendering) go between them, and not
  // while calls keep coming. warmed(handle) settles when that is done (or
  // the project is gone).
  #warming = new Map(); // handle → { done: Promise, settle }

  #startWarm(handle) {
    let settle;
    const done = new Promise((r) => (settle = r));
    const w = { done, settle, keepAlive: null, calls: this.calls };
    this.#warming.set(handle, w);
    const step = () => {
      if (this.#warming.get(handle) !== w) return; // disposed
      if (this.dead) return this.#endWarm(handle);
      if (this.opening) return void this.opening.then(() => nextTask(step)); // never inside an open
      if (this.busy) return later(() => nextTask(step), idleMs);
      // Calls come first: while they keep coming (an IDE resolving a file,
      // a batch), warming waits until none came for a while.
      if (this.calls !== w.calls) {
        w.calls = this.calls;
        return later(() => nextTask(step), idleMs);
      }
      const until = now() + sliceMs;
      let left;
      try {
        do left = this.instance.exports.dbtdefer_warm(handle, 8);
        while (left > 0 && now() < until);
      } catch (e) {
        this.died(`${e?.name ?? "Error"}: ${e?.message ?? e}`);
        left = 0;
      }
      if (left > 0) nextTask(step);
      else this.#endWarm(handle);
    };
    // The first slice waits a little: the first calls after an open (an
    // IDE resolving the file it shows) come before it.
    later(() => nextTask(step), 50);
  }

  #endWarm(handle) {
    const w = this.#warming.get(handle);
    if (!w) return;
    clearInterval(w.keepAlive);
    w.settle();
    this.#warming.delete(handle);
  }

  /** warmed settles once the project's warming is done (see #startWarm). */
  warmed(handle) {
    const w = this.#warming.get(handle);
    if (!w) return Promise.resolve();
    // node: the slices' timers do not keep the process alive (a script that
    // is done does not wait for warming); one that awaits this does.
    if (isNode) w.keepAlive ??= setInterval(() => {}, 1 << 30);
    return w.done;
  }

  /**
   * callText runs a method with a JSON request text and returns the answer
   * envelope's text ({"ok":…} or {"error":…}) undecoded: a worker posts it as
   * is and the page decodes it once. It goes through the dbtdefer_in and
   * dbtdefer_call wasm exports (see wasm/browser/main_js.go: a js.FuncOf
   * call costs 25–100 µs before any work, an export under 1 µs).
   */
  callText(handle, method, reqText) {
    if (this.dead) throw this.deadError();
    this.calls++;
    if (this.busy) {
      throw new DbtdeferError("api.busy", `${method}: the wasm is busy opening a project; call it after openProject() settles (not from onProgress)`);
    }
    const ex = this.instance.exports;
    const max = method.length + 3 * reqText.length; // UTF-8 is at most 3 bytes a UTF-16 unit
    let text;
    try {
      const at = ex.dbtdefer_in(max);
      const buf = new Uint8Array(ex.mem.buffer, at, max);
      const m = encoder.encodeInto(method, buf).written;
      const r = encoder.encodeInto(reqText, buf.subarray(m)).written;
      const out = ex.dbtdefer_call(handle, m, r);
      // The memory may have grown during the call: a new view of it.
      text = decoder.decode(new Uint8Array(ex.mem.buffer, Number(out >> 32n), Number(out & 0xffffffffn)));
    } catch (e) {
      this.died(`${e?.name ?? "Error"}: ${e?.message ?? e}`);
      throw this.deadError();
    }
    if (this.go.exited) this.died("the Go program exited");
    if (method === "stateInfo") {
      const env = JSON.parse(text);
      if (env.ok) env.ok = { ...env.ok, source: this.sources.get(handle)?.state ?? null };
      text = JSON.stringify(env);
    }
    return text;
  }

  /**
   * scanEntries is the helper's side of a split open: the entries of the
   * bytes (from a key to its object's end: a Uint8Array, or {port,
   * byteLength}, chunks posted to the port as they are read, then null) as
   * dbtdefer_scan wrote them (a Uint8Array for provide), or null.
   */
  async scanEntries(part) {
    const ex = this.instance.exports;
    const n = part.byteLength;
    if (part instanceof Uint8Array) this.#adopt(part);
    else await receiveInto(ex, part.port, n);
    const out = ex.dbtdefer_scan(n);
    const len = Number(out & 0xffffffffn);
    return len === 0 ? null : new Uint8Array(ex.mem.buffer.slice(Number(out >> 32n), Number(out >> 32n) + len));
  }

  /**
   * #readIn reads a Blob manifest or state straight into its input buffer in
   * the wasm (dbtdefer_in, dbtdefer_in_state), for open to take
   * (manifestAdopted, stateAdopted: no copy of it in JavaScript, and the
   * copy into the wasm goes on while it is read). With tee, its part goes
   * to the helper as it is read.
   */
  async #readIn(key, blob, { max, progress, sized }, tee = null) {
    const file = blob.name || key;
    try {
      checkSize(key, blob.size, max, blob.name); // before reading a file that is too big
    } catch (e) {
      tee?.port.postMessage({ error: e.message });
      throw e;
    }
    sized(key, blob.size);
    progress({ phase: "read", file, loaded: 0, total: blob.size });
    const n = await this.#readInto(blob, file, (loaded) => progress({ phase: "read", file, loaded, total: blob.size }), tee, key);
    const source = { kind: "blob", name: blob.name ?? "", size: blob.size };
    return { adopted: n, name: blob.name || undefined, source };
  }

  /**
   * #readInto reads a Blob a chunk at a time (into one reused 1 MB buffer
   * where the stream takes one: a BYOB reader) into an input buffer of the
   * wasm: the manifest's (dbtdefer_in, slot "manifest") or the state's
   * (dbtdefer_in_state). Nothing else may write them meanwhile: opens run
   * one at a time, and calls wait for them (busy). It answers the length.
   * With tee ({at: Promise of a split point or -1, port}), the bytes from
   * the split point on are read first and posted to
   * the port too, chunk by chunk (a chunk wholly after it handed over, its
   * buffer replaced by a new one), then null (or {error}), then the rest.
   */
  async #readInto(blob, file, report = () => {}, tee = null, slot = "manifest") {
    const ex = this.instance.exports;
    const n = blob.size;
    this.busy++;
    try {
      const at = slot === "state" ? ex.dbtdefer_in_state(n) : ex.dbtdefer_in(n);
      const split = tee ? await tee.at : -1;
      let loaded = 0, reported = 0;
      const take = (chunk, off, own) => {
        new Uint8Array(ex.mem.buffer, at, n).set(chunk, off); // a new view: the memory may have grown
        loaded += chunk.byteLength;
        if (loaded - reported >= 4 << 20) report(loaded), (reported = loaded);
        if (split > 0 && off + chunk.byteLength > split) {
          if (own && off >= split) return tee.port.postMessage(chunk, [chunk.buffer]), true;
          tee.port.postMessage(chunk.slice(Math.max(0, split - off)));
        }
        return false;
      };
      if (split > 0) {
        await readChunks(blob, split, n, take);
        tee.port.postMessage(null); // the helper's part is whole: it scans while the rest is read
        await readChunks(blob, 0, split, take);
      } else {
        await readChunks(blob, 0, n, take);
      }
      report(n);
      return n;
    } catch (e) {
      tee?.port.postMessage({ error: String(e?.message ?? e) });
      throw e instanceof DbtdeferError ? e : new DbtdeferError("io.read", `cannot read ${file}: ${e?.message ?? e}`, { file });
    } finally {
      this.busy--;
    }
  }

  /** #adopt copies bytes into the wasm's input buffer (a manifest for open to take, manifestAdopted; the helper's part to scan). */
  #adopt(bytes) {
    const ex = this.instance.exports;
    const at = ex.dbtdefer_in(bytes.byteLength); // first: it may grow (and so replace) the memory's buffer
    new Uint8Array(ex.mem.buffer, at, bytes.byteLength).set(bytes);
  }

  /**
   * #helper starts the helper worker once; null where there is none (or
   * where it did not start within 10 s: the open goes on without it).
   */
  #helper() {
    this.helper ??= within(10_000, startHelper(this.helperModule, this.spawnHelper)).catch(() => null);
    return this.helper;
  }

  /**
   * fetchState is refreshState's first half, which leaves the wasm alone
   * (so calls go on while it downloads): the new state and run results to
   * swap in, given (over) or fetched again from their URLs, revalidated by
   * ETag or Last-Modified (no bytes where the server says 304 Not Modified).
   */
  async fetchState(handle, over = {}) {
    const h = this.sources.get(handle);
    if (!h) throw new DbtdeferError("project.disposed", `refreshState: project ${handle} is not open (disposed?)`);
    if (!h.state && over.state == null) throw new DbtdeferError("state.none", "refreshState: the project was opened without a state");
    if (stateKeys.every((k) => over[k] == null) && h.state.kind !== "url" && h.state.kind !== "file") {
      throw new DbtdeferError("state.not_url", `refreshState: the state was given as ${h.state.kind === "blob" ? "a Blob or File" : "bytes"}, so there is nothing to fetch again; pass the new one: refreshState({state})`);
    }
    const load = { ...h.load, progress: () => {} };
    const got = {};
    for (const key of stateKeys) {
      if (over[key] != null) {
        got[key] = await loadInput(key, over[key], load);
        checkSize(key, got[key].bytes.byteLength, load.max, got[key].name);
      } else if (h[key]?.kind === "url" || h[key]?.kind === "file") {
        got[key] = await revalidate(key, h[key], load);
      }
    }
    return got;
  }

  /**
   * applyState is refreshState's second half: it swaps what fetchState got
   * into the project (Session.SwapState: dev is kept) and answers {changed,
   * stateInfo, warnings}.
   */
  applyState(handle, got) {
    const h = this.sources.get(handle);
    if (!h) throw new DbtdeferError("project.disposed", `refreshState: project ${handle} is not open (disposed?)`);
    const next = { ...h };
    for (const key of stateKeys) if (got[key]) next[key] = got[key].source;
    const args = {}, names = {};
    for (const key of stateKeys) {
      if (!got[key]?.bytes) continue;
      args[key] = got[key].bytes;
      names[key] = got[key].name ?? key;
    }
    let res;
    if (Object.keys(args).length > 0) {
      res = this.invoke("swapState", handle, { ...args, names: JSON.stringify(names) });
    } else {
      res = { changed: false, stateInfo: unwrap(this.callText(handle, "stateInfo", "{}")), warnings: null };
    }
    this.sources.set(handle, next);
    return { ...res, stateInfo: res.stateInfo && { ...res.stateInfo, source: next.state ?? null } };
  }

  /** memory: the Go heap after a collection, and the wasm linear memory (which never shrinks: its peak). */
  memory() {
    const stats = this.invoke("memory");
    return { ...stats, wasmMemoryBytes: this.instance.exports.mem.buffer.byteLength };
  }

  dispose(handle) {
    this.sources.delete(handle);
    this.#endWarm(handle);
    return this.invoke("dispose", handle);
  }
}

const now = () => performance.now();

// Warming's slices, and how long it waits when calls came since its last
// slice (ms).
const sliceMs = 2;
const idleMs = 10;

// later runs fn after ms; in node it does not keep the process alive.
const later = (fn, ms) => setTimeout(fn, ms).unref?.();

// nextTask runs fn in a task of its own, soon: a timer in node (see
// later); a MessageChannel message elsewhere (setTimeout waits 4 ms a turn
// once nested).
const nextTask = (() => {
  if (isNode) return (fn) => later(fn, 0);
  const ch = new MessageChannel();
  const queue = [];
  ch.port1.onmessage = () => queue.shift()?.();
  return (fn) => {
    queue.push(fn);
    ch.port2.postMessage(0);
  };
})();

// The buffer a Blob is read through (Host.#readInto).
const chunkBytes = 1 << 20;

// packageProjects are small YAML files; a host handing over more is wrong.
const maxPackageProjectBytes = 8 << 20;

// Manifests this big or bigger are indexed with the helper worker (by
// default: initialize's parallel option).
const splitMinBytes = 16 << 20;

// The first segment of the unique_ids of "nodes" and "macros" entries: a
// split point is the key of one.
const nodeKeyPrefixes = ["model.", "test.", "seed.", "snapshot.", "analysis.", "operation.", "sql_operation.", "unit_test.", "function.", "macro."]
  .map((p) => new TextEncoder().encode(`"${p}`));

// Where splitPoint starts looking, and how far on it looks.
const splitFrom = (n) => Math.floor(n * 0.52); // the helper starts later (its copy) but also scans what follows "nodes"
const splitWindow = 1 << 20;

/**
 * splitPoint guesses where an entry of "nodes" (or "macros") starts near
 * the middle of a manifest: a quote after `},` that opens a unique_id-like
 * key followed by `:{`, searched from 52% of the bytes on. It may be wrong
 * (the index then does without it); -1 when none is near.
 */
function splitPoint(b, from = splitFrom(b.length)) {
  const isWS = (c) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
  const stop = Math.min(b.length - 2, from + splitWindow);
  for (let i = from; i >= 0 && i < stop; i++) {
    i = b.indexOf(0x7d, i); // '}'
    if (i < 0 || i >= stop) return -1;
    let j = i + 1;
    while (isWS(b[j])) j++;
    if (b[j] !== 0x2c) continue; // ','
    j++;
    while (isWS(b[j])) j++;
    if (b[j] !== 0x22 || !nodeKeyPrefixes.some((p) => p.every((c, k) => b[j + k] === c))) continue;
    let e = b.indexOf(0x22, j + 1); // the key's closing quote (unique_ids have no escapes)
    if (e < 0 || e - j > 1024 || b.subarray(j, e).includes(0x5c)) continue;
    e++;
    while (isWS(b[e])) e++;
    if (b[e] !== 0x3a) continue; // ':'
    e++;
    while (isWS(b[e])) e++;
    if (b[e] === 0x7b) return j; // '{'
  }
  return -1;
}

const isBlob = (v) => typeof Blob !== "undefined" && v instanceof Blob;

// streamable: a Blob read a chunk at a time (Host.#readInto). Not in node,
// whose Blob streams come 64 KB a read (its Blobs are in memory: read
// whole, they are a copy).
const streamable = (v) => !isNode && isBlob(v) && v.size > 0 && typeof v.stream === "function";

/**
 * readChunks reads blob's bytes from `from` to `to`, calling take(chunk,
 * offset, own) for each chunk in order; own: the chunk's buffer is the
 * reader's own, and take may keep it (it then answers true). A BYOB reader
 * reads into one buffer, handed back and forth, where the stream takes one.
 */
async function readChunks(blob, from, to, take) {
  // The slice is used again at the end: a Blob slice collected while its
  // stream is read (Chromium, under the GC pressure of a big open) ends the
  // stream early, as if empty.
  const part = blob.slice(from, to);
  const stream = part.stream();
  let reader, buf = null;
  try {
    reader = stream.getReader({ mode: "byob" });
    buf = new ArrayBuffer(chunkBytes);
  } catch {
    reader = stream.getReader();
  }
  let off = from;
  for (;;) {
    const { done, value } = await reader.read(buf ? new Uint8Array(buf) : undefined);
    if (done) break;
    const len = value.byteLength; // before take: a chunk handed over is detached
    if (off + len > to) throw new Error(`more than its ${to - from} bytes from ${from} (did it change?)`);
    const kept = take(value, off, !!buf);
    if (buf) buf = kept ? new ArrayBuffer(chunkBytes) : value.buffer;
    off += len;
  }
  if (off !== to || part.size !== to - from) throw new Error(`read ${off - from} of ${to - from} bytes from ${from} (did it change?)`);
}

// A helper that does not answer in time (10 s, plus 1 s a 10 MB) is done
// without: the instance waiting at the split point scans on.
function scan(helper, part) {
  return within(10_000 + part.byteLength / 10_000, helper.scan(part)).catch(() => null);
}

/**
 * blobSplit is splitPoint for a Blob at least minBytes big (and not over
 * max), found in a window of it (read before the Blob itself is); -1
 * otherwise.
 */
async function blobSplit(v, minBytes, max) {
  if (v.size < minBytes || (max && v.size > max)) return -1;
  // Earlier than splitPoint's 52%: the helper has its part (read first)
  // while this instance still reads the rest (measured in Chromium on a
  // 100 + 100 MB pair of Files: 40% opened ~60 ms sooner than 52% or 30%).
  const from = Math.floor(v.size * 0.4);
  try {
    const at = splitPoint(new Uint8Array(await v.slice(from, from + splitWindow + 4096).arrayBuffer()), 0);
    return at < 0 ? -1 : from + at;
  } catch {
    return -1; // unreadable: reading it whole says why
  }
}

/**
 * receiveInto writes the chunks posted to port (Uint8Arrays, then null, or
 * {error}) into the wasm's input buffer, n bytes in all; it rejects when
 * they are more or fewer, or when none comes for 10 s (the sender is gone).
 */
function receiveInto(ex, port, n) {
  const at = ex.dbtdefer_in(n);
  let off = 0, timer;
  return new Promise((resolve, reject) => {
    const idle = () => (clearTimeout(timer), (timer = setTimeout(() => reject(new Error("no bytes for 10 s")), 10_000)));
    idle();
    port.onmessage = ({ data }) => {
      idle();
      if (data === null) return off === n ? resolve() : reject(new Error(`got ${off} of ${n} bytes`));
      if (!(data instanceof Uint8Array)) return reject(new Error(data?.error ?? "not bytes"));
      if (off + data.byteLength > n) return reject(new Error(`more than ${n} bytes`));
      new Uint8Array(ex.mem.buffer, at + off, data.byteLength).set(data);
      off += data.byteLength;
    };
  }).finally(() => (clearTimeout(timer), port.close()));
}

/** within settles as p does, or rejects after ms. */
function within(ms, p) {
  let timer;
  const late = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * startHelper starts a second dbtdefer worker (worker.js) on the same
 * module, for split opens: {scan(bytes) → Promise<Uint8Array|null>}.
 */
async function startHelper(module, spawn) {
  let post, ref = () => {}, unref = () => {};
  const waiting = new Map();
  let next = 0;
  let ready;
  const isReady = new Promise((resolve, reject) => (ready = { resolve, reject }));
  const receive = (m) => {
    if (m?.ready) return ready.resolve();
    const w = waiting.get(m?.id);
    if (!w) return;
    waiting.delete(m.id);
    if (waiting.size === 0) unref();
    m.error ? w.reject(DbtdeferError.fromData(m.error)) : w.resolve(m.ok);
  };
  const fail = (e) => {
    ready.reject(e);
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  if (typeof globalThis.Worker === "function" && (spawn || typeof WorkerGlobalScope !== "undefined")) {
    // On a page, the page's own spawn (bundlers see it there); inside the
    // dbtdefer worker, this worker's own script again, of its own kind (a
    // bundler may have made it a classic script: importScripts() is a no-op
    // there and throws in a module worker).
    let type = "module";
    if (!spawn) {
      try {
        importScripts();
        type = "classic";
      } catch {}
    }
    const w = spawn ? spawn() : new Worker(self.location.href, { type, name: "dbtdefer-helper" });
    w.onmessage = (e) => receive(e.data);
    w.onerror = (e) => (e.preventDefault?.(), fail(new Error(e?.message ?? "helper failed")));
    post = (m, t) => w.postMessage(m, t);
  } else if (isNode) {
    const { Worker: NodeWorker } = await nodeImport("node:worker_threads");
    const w = new NodeWorker(nodeWorkerURL());
    w.on("message", receive);
    w.on("error", fail);
    w.on("exit", () => fail(new Error("helper exited")));
    post = (m, t) => w.postMessage(m, t);
    ref = () => w.ref();
    unref = () => w.unref();
  } else {
    return null;
  }
  const request = (op, args, transfer = []) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      waiting.set(id, { resolve, reject });
      ref();
      post({ id, op, args }, transfer);
    });
  await isReady;
  await request("init", { wasmModule: module, parallel: false });
  unref();
  // scan hands over bytes' whole buffer (transferred: the caller's view of
  // it is detached).
  // A part is bytes (their buffer handed over) or {port, byteLength}: the
  // chunks come through the port (see Host.#readInto).
  return {
    scan: (part) => part instanceof Uint8Array
      ? request("scan", { buffer: part.buffer, offset: part.byteOffset, length: part.byteLength }, [part.buffer])
      : request("scan", { port: part.port, length: part.byteLength }, [part.port]),
  };
}
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * checkSize refuses a manifest or state over maxManifestBytes before it is
 * read (Blobs) or copied into the wasm; Go checks again on its side.
 */
function checkSize(key, size, max, name) {
  if (!max || (key !== "manifest" && key !== "state") || size <= max) return;
  throw new DbtdeferError("manifest.too_large", `${name ?? key} is ${size} bytes, over maxManifestBytes (${max} bytes)`, { file: name ?? key });
}

/**
 * loadInput turns bytes, a Blob/File, or a URL into a Uint8Array, with a
 * description of where it came from.
 */
async function loadInput(key, v, { headers, cache, progress, max = 0, sized = () => {} }) {
  if (v instanceof Uint8Array) return { bytes: v, source: { kind: "bytes", size: v.byteLength } };
  if (v instanceof ArrayBuffer) return loadInput(key, new Uint8Array(v), { headers, cache, progress });
  if (ArrayBuffer.isView(v)) return loadInput(key, new Uint8Array(v.buffer, v.byteOffset, v.byteLength), { headers, cache, progress });
  if (typeof Blob !== "undefined" && v instanceof Blob) {
    checkSize(key, v.size, max, v.name); // before reading a file that is too big
    sized(key, v.size);
    progress({ phase: "read", file: v.name ?? key, loaded: 0, total: v.size });
    const bytes = new Uint8Array(await v.arrayBuffer());
    progress({ phase: "read", file: v.name ?? key, loaded: bytes.byteLength, total: v.size });
    return { bytes, own: true, name: v.name || undefined, source: { kind: "blob", name: v.name ?? "", size: v.size } };
  }
  if (typeof v === "string" || v instanceof URL) return fetchInput(key, new URL(String(v)), { headers, cache, progress, sized: (n) => sized(key, n) });
  throw new DbtdeferError("options.type", `openProject: ${key} must be a Uint8Array, ArrayBuffer, Blob, File, URL or URL string`);
}

// ---- URLs: conditional requests and a cache ---------------------------------

const CACHE_NAME = "dbtdefer-inputs-v1";
const memoryCache = new Map(); // where the Cache API is missing (node)

/** openStore returns the Cache API store, or an in-memory one with the same use. */
async function openStore() {
  if (globalThis.caches?.open) {
    try {
      const c = await globalThis.caches.open(CACHE_NAME);
      return {
        async get(url) {
          const r = await c.match(url);
          if (!r) return undefined;
          return { etag: r.headers.get("ETag"), lastModified: r.headers.get("Last-Modified"),
            fetchedAt: r.headers.get("X-Dbtdefer-Fetched-At"), bytes: async () => new Uint8Array(await r.arrayBuffer()) };
        },
        async put(url, bytes, meta) {
          const h = new Headers({ "Content-Type": "application/json", "X-Dbtdefer-Fetched-At": meta.fetchedAt });
          if (meta.etag) h.set("ETag", meta.etag);
          if (meta.lastModified) h.set("Last-Modified", meta.lastModified);
          await c.put(url, new Response(bytes, { headers: h }));
        },
      };
    } catch {
      // caches exists but is unusable (opaque origin, storage disabled): fall through.
    }
  }
  return {
    shared: true, // what get and put hold is the cache's own (not to be handed on)
    async get(url) {
      const e = memoryCache.get(url);
      return e && { ...e, bytes: async () => e.data };
    },
    async put(url, data, meta) {
      memoryCache.set(url, { ...meta, data });
    },
  };
}

// The bytes fetchInput answers are its own (own: true, read for this open)
// unless the in-memory cache keeps them too.
async function fetchInput(key, url, { headers, cache, progress, sized }) {
  const name = url.href;
  if (url.protocol === "file:") {
    if (!isNode) throw new DbtdeferError("fetch.file", `${key}: file: URLs can only be read in node`, { file: name });
    const { readFile } = await nodeImport("node:fs/promises");
    try {
      const buf = await readFile(url);
      const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      return { bytes, own: buf.byteLength === buf.buffer.byteLength, name, source: { kind: "file", url: name, size: bytes.byteLength } };
    } catch (e) {
      throw new DbtdeferError("io.read", `${key}: cannot read ${name}: ${e.message}`, { file: name });
    }
  }
  const store = cache ? await openStore() : null;
  const cached = store ? await store.get(name) : undefined;
  const checkedAt = new Date().toISOString();
  let res;
  try {
    res = await conditionalGet(url, headers, cached);
  } catch (e) {
    if (cached) {
      const bytes = await cached.bytes();
      return { bytes, own: !store.shared, name, source: { kind: "url", url: name, status: 0, fromCache: true, offline: true,
        etag: cached.etag ?? undefined, fetchedAt: cached.fetchedAt, checkedAt, size: bytes.byteLength } };
    }
    throw networkError(key, name, e);
  }
  if (res.status === 304 && cached) {
    const bytes = await cached.bytes();
    progress({ phase: "fetch", file: name, loaded: bytes.byteLength, total: bytes.byteLength });
    return { bytes, own: !store.shared, name, source: { kind: "url", url: name, status: 304, fromCache: true,
      etag: cached.etag ?? undefined, fetchedAt: cached.fetchedAt, checkedAt, size: bytes.byteLength } };
  }
  return takeBody(key, res, name, { store, checkedAt, progress, sized });
}

/**
 * revalidate fetches a URL input again, conditionally on the ETag (or
 * Last-Modified) of the bytes in use: {source} alone when it did not
 * change (304), else {bytes, name, source}, kept in the cache as
 * fetchInput keeps them. A file: URL is read again.
 */
async function revalidate(key, src, { headers, cache, max }) {
  const url = new URL(src.url);
  if (url.protocol === "file:") return fetchInput(key, url, { headers, cache: false, progress: () => {} });
  const checkedAt = new Date().toISOString();
  let res;
  try {
    res = await conditionalGet(url, headers, src);
  } catch (e) {
    throw networkError(key, url.href, e);
  }
  if (res.status === 304) return { source: { ...src, status: 304, checkedAt } };
  // A state over maxManifestBytes stops the read as soon as it is known to be.
  const sized = (n) => n && checkSize(key, n, max, url.href);
  const got = await takeBody(key, res, url.href, { store: cache ? await openStore() : null, checkedAt, progress: () => {}, sized });
  checkSize(key, got.bytes.byteLength, max, url.href);
  return got;
}

/** conditionalGet fetches url conditionally on the validators v ({etag, lastModified}). */
function conditionalGet(url, headers, v) {
  const h = new Headers(headers ?? {});
  if (v?.etag) h.set("If-None-Match", v.etag);
  else if (v?.lastModified) h.set("If-Modified-Since", v.lastModified);
  // no-store: our cache is the only one, so a 304 reaches us instead of
  // being turned into a 200 by the HTTP cache.
  return fetch(url, { headers: h, cache: "no-store" });
}

function networkError(key, name, e) {
  return new DbtdeferError("fetch.network", `${key}: cannot fetch ${name}: ${e.message}`, { file: name });
}

/**
 * takeBody reads a response that is not a 304 (fetch.http unless it is
 * ok) and keeps its bytes in the store when it has validators; the bytes
 * are the caller's own unless the in-memory store keeps them too.
 */
async function takeBody(key, res, name, { store, checkedAt, progress, sized }) {
  if (!res.ok) {
    throw new DbtdeferError("fetch.http", `${key}: ${name} answered HTTP ${res.status} ${res.statusText}`.trim(), { file: name });
  }
  const bytes = await readBody(res, name, progress, sized);
  const meta = { etag: res.headers.get("ETag") ?? undefined, lastModified: res.headers.get("Last-Modified") ?? undefined, fetchedAt: checkedAt };
  let own = true;
  if (store && (meta.etag || meta.lastModified)) {
    try {
      await store.put(name, bytes, meta); // the Cache API keeps a copy (new Response(bytes)); the in-memory one, bytes
      own = !store.shared;
    } catch {
      // Quota exceeded or storage disabled: the project still opens, uncached.
    }
  }
  return { bytes, own, name, source: { kind: "url", url: name, status: res.status, fromCache: false, ...meta, checkedAt, size: bytes.byteLength } };
}

/** readBody reads a response, reporting progress about every megabyte. */
async function readBody(res, file, progress, sized = () => {}) {
  // Content-Length counts encoded bytes: only a total when nothing is encoded.
  const encoded = res.headers.get("Content-Encoding");
  const total = encoded ? 0 : Number(res.headers.get("Content-Length")) || 0;
  sized(total);
  if (!res.body?.getReader) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  let out = total ? new Uint8Array(total) : null;
  const chunks = [];
  let loaded = 0;
  let reported = 0;
  progress({ phase: "fetch", file, loaded: 0, total });
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (out && loaded + value.byteLength <= out.byteLength) out.set(value, loaded);
    else {
      if (out) chunks.push(out.subarray(0, loaded)), (out = null);
      chunks.push(value);
    }
    loaded += value.byteLength;
    if (loaded - reported >= 1 << 20) {
      if (!total) sized(loaded);
      progress({ phase: "fetch", file, loaded, total });
      reported = loaded;
    }
  }
  progress({ phase: "fetch", file, loaded, total: total || loaded });
  if (out) return loaded === out.byteLength ? out : out.subarray(0, loaded);
  const all = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) all.set(c, at), (at += c.byteLength);
  return all;
}
