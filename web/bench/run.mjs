// run.mjs is `./build.sh bench`'s suite: it reads the native figures that
// resolve/internal/benchsuite wrote (with the paths of the synthetic dev/prod
// pairs it generated), measures the wasm on the same bytes in node (a fresh
// process per size) and in headless Chromium (Debian's /usr/bin/chromium
// through playwright-core, the page loaded from the Go devserver), adds the
// wasm sizes, prints one table and writes everything as JSON.
//   node web/bench/run.mjs [native.json] [results.json]
// It leads with issue 16's journeys (J1–J4: web/bench/playground.mjs). The
// last line it prints is J1's ratio:
//   bench: first preview/JSON.parse for a 100+100 MB pair in Chromium = R
import { spawn, execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { dirname, join, basename } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { brotliCompressSync, gzipSync, constants as zc } from "node:zlib";
import { fileJourney, playgroundJourneys } from "./playground.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const web = fileURLToPath(new URL("../", import.meta.url));
const nativePath = process.argv[2] ?? join(root, ".cache/bench/native.json");
const outPath = process.argv[3] ?? join(root, ".cache/bench/results.json");
const native = JSON.parse(readFileSync(nativePath, "utf8"));
const chromium = "/usr/bin/chromium";

const say = (s) => console.error(`bench: ${s}`);

// ---- node: one fresh process per size -------------------------------------
function runNode(sz) {
  const out = execFileSync(process.execPath, ["--expose-gc", "--max-old-space-size=8192", join(web, "bench/node.mjs"), sz.dev, sz.prod, sz.model, [sz.ref, ...sz.refs].join(",")], {
    cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split("\n").at(-1));
}

// ---- Chromium: the page imports dbtdefer.js and measure.js from the devserver
async function startServer() {
  const bin = join(root, ".cache/bench/devserver");
  mkdirSync(dirname(bin), { recursive: true });
  execFileSync("go", ["build", "-o", bin, "./resolve/internal/devserver"], { cwd: root, stdio: "inherit" });
  const dir = dirname(native.sizes[0].dev);
  const server = spawn(bin, ["-addr", "127.0.0.1:0", "-dir", web, "-testdata", "", "-mount", `bench-data=${dir}`], { stdio: ["ignore", "pipe", "inherit"] });
  const base = await new Promise((resolve, reject) => {
    server.on("exit", (code) => reject(new Error(`devserver exited (${code})`)));
    createInterface({ input: server.stdout }).once("line", (line) => {
      const m = /listening on (http:\/\/\S+?)\/? /.exec(line);
      m ? resolve(m[1]) : reject(new Error(`devserver said: ${line}`));
    });
  });
  return { server, base };
}

async function runChromium(sizes) {
  if (!existsSync(chromium)) {
    say(`${chromium} is missing: no Chromium figures (./build.sh bench installs it)`);
    return {};
  }
  const { chromium: pw } = await import("playwright-core");
  const { server, base } = await startServer();
  const results = {};
  try {
    results.initCold = await initCold(pw, base);
    say(`initialize() cold in Chromium: median ${results.initCold.error ?? `${results.initCold.medianMs.toFixed(0)} ms vs compileStreaming ${results.initCold.baselineMedianMs.toFixed(0)} ms`}`);
    for (const sz of sizes) {
      // A fresh browser per size: wasm memory never shrinks, and 250 MB
      // inputs must not meet the previous size's heap.
      const profile = mkdtempSync(join(tmpdir(), "dbtdefer-bench-"));
      const browser = await pw.launch({
        executablePath: chromium,
        headless: true,
        args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--js-flags=--expose-gc", `--crash-dumps-dir=${profile}`],
      });
      try {
        const page = await browser.newPage();
        const logs = [];
        page.on("console", (m) => logs.push(m.text()));
        page.on("pageerror", (e) => logs.push(`pageerror: ${e.message}`));
        await page.goto(`${base}/test/blank.html`);
        const run = (worker) => page.evaluate(async ({ dev, prod, model, ref, refs, worker }) => {
          const api = await import(`/dbtdefer.js?${worker ? "worker" : "thread"}`); // a fresh module: initialize() runs once per module
          const { measure } = await import("/bench/measure.js");
          await api.initialize({ worker });
          const get = async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer());
          // In the default Web Worker: everything. On the page's thread (as
          // an IDE's own language-service worker would call it): per call.
          return measure({ api, dev: await get(dev), prod: await get(prod), model, ref, refs, now: () => performance.now(), gc: globalThis.gc, perCallOnly: !worker });
        }, { dev: `/bench-data/${basename(sz.dev)}`, prod: `/bench-data/${basename(sz.prod)}`, model: sz.model, ref: sz.ref, refs: sz.refs, worker }).catch((e) => ({ error: `${e.message}\n${logs.join("\n")}` }));
        results[sz.mb] = { ...(await run(true)), where: `Chromium ${browser.version()}, Web Worker` };
        results[sz.mb].thread = await run(false);
        await page.close();
        // The journeys (issue 16): what a user waits for, on the default path.
        const pair = { dev: `/bench-data/${basename(sz.dev)}`, prod: `/bench-data/${basename(sz.prod)}`, model: sz.model };
        results[sz.mb].files = await fileJourney(browser, base, pair);
        results[sz.mb].playground = await playgroundJourneys(browser, base, pair, { keystrokes: Number(process.env.BENCH_KEYSTROKES ?? 200) });
      } finally {
        await browser.close();
        rmSync(profile, { recursive: true, force: true });
      }
      say(`${sz.mb} MB in Chromium: ${results[sz.mb].error ?? `ready ${results[sz.mb].readyMs.toFixed(0)} ms, JSON.parse ${results[sz.mb].jsonParseMs.toFixed(0)} ms`}`);
    }
  } finally {
    server.kill();
  }
  return results;
}

/**
 * initCold times initialize() as a page's first call (issue 20): a fresh
 * browser context each time (no HTTP cache, no cached wasm code), the wasm
 * fetched from the local server, compiled (streaming: served as
 * application/wasm), instantiated in the Web Worker and the version
 * handshake done; median of 5. The baseline, in the same run and fresh
 * contexts too: WebAssembly.compileStreaming of the same wasm alone.
 */
async function initCold(pw, base) {
  const browser = await pw.launch({ executablePath: chromium, headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  const once = async (fn) => {
    const ctx = await browser.newContext();
    try {
      const page = await ctx.newPage();
      await page.goto(`${base}/test/blank.html`);
      return await page.evaluate(fn);
    } finally {
      await ctx.close();
    }
  };
  try {
    const runs = [], baseline = [];
    for (let i = 0; i < 5; i++) {
      runs.push(await once(async () => {
        const t0 = performance.now();
        const api = await import("/dbtdefer.js");
        await api.initialize();
        return performance.now() - t0;
      }));
      baseline.push(await once(async () => {
        const t0 = performance.now();
        await WebAssembly.compileStreaming(fetch("/dist/dbtdefer.wasm"));
        return performance.now() - t0;
      }));
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    return { runs, baseline, medianMs: median(runs), baselineMedianMs: median(baseline), ratio: median(runs) / median(baseline) };
  } catch (e) {
    return { error: String(e.message) };
  } finally {
    await browser.close();
  }
}

// ---- wasm sizes -------------------------------------------------------------
function sizes(file) {
  if (!existsSync(file)) return null;
  const b = readFileSync(file);
  return {
    raw: b.length,
    gzip: gzipSync(b, { level: 9 }).length,
    brotli: brotliCompressSync(b, { params: { [zc.BROTLI_PARAM_QUALITY]: 11, [zc.BROTLI_PARAM_SIZE_HINT]: b.length } }).length,
  };
}

// ---- run ----------------------------------------------------------------------
const nodeRes = {};
for (const sz of native.sizes) {
  say(`${sz.mb} MB in node`);
  try {
    nodeRes[sz.mb] = runNode(sz);
  } catch (e) {
    nodeRes[sz.mb] = { error: String(e.message).split("\n")[0] };
  }
}
const chromeRes = await runChromium(native.sizes);
const wasm = { browser: sizes(join(web, "dist/dbtdefer.wasm")), worker: sizes(join(web, "worker/build/app.wasm")) };

const results = { date: new Date().toISOString(), go: native.go, cpus: native.cpus, initCold: chromeRes.initCold, sizes: native.sizes.map((sz) => ({ ...sz, node: nodeRes[sz.mb], chromium: chromeRes[sz.mb] })), wasm };
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, JSON.stringify(results, null, 2) + "\n");

// ---- the table ------------------------------------------------------------------
const f = (x, d = 1) => (x == null || Number.isNaN(x) ? "—" : x.toFixed(d));
const mb = (b) => (b / 1e6).toFixed(1);
const rows = [];
const row = (...cells) => rows.push(cells);
row("figure", ...native.sizes.map((s) => `${s.mb} MB`), "budget");

const each = (fn) => native.sizes.map((s) => {
  try {
    return fn(s);
  } catch {
    return "—";
  }
});
{
  // The journeys first: what a user waits for, each against its baseline from the same run.
  const j = (s, k) => {
    const x = chromeRes[s.mb]?.[k];
    if (!x || x.error) throw new Error(x?.error ?? "not run");
    return x;
  };
  row("J1 Chromium: dev+prod Files → first compile(), default options (Web Worker), ms vs TextDecoder+JSON.parse of both", ...each((s) => `${f(j(s, "files").j1Ms, 0)} vs ${f(j(s, "files").j1BaselineMs, 0)} (${f(j(s, "files").j1Ratio, 2)}×)`), "≤ 0.5× at 100 MB");
  row("J2 Chromium: playground by URL → first preview painted, ms vs fetch+JSON.parse of both", ...each((s) => `${f(j(s, "playground").j2Ms, 0)} vs ${f(j(s, "playground").j2BaselineMs, 0)} (${f(j(s, "playground").j2Ratio, 2)}×)`), "≤ 0.6× at 100 MB; ≤ 1500 ms at 10 MB");
  row("J3 Chromium: tab memory with the pair open and a preview (page JS heap + wasm memory), × pair bytes", ...each((s) => `${mb(j(s, "files").j3Bytes)} MB (${f(j(s, "files").j3Ratio, 2)}×)`), "≤ 1.5× at 100 MB");
  row("J4 Chromium: keystroke → preview repainted, debounce excluded, ms p95 (p50)", ...each((s) => `${f(j(s, "playground").j4P95Ms)} (${f(j(s, "playground").j4P50Ms)}) over ${j(s, "playground").keystrokes}`), "≤ 30 ms p95 at 100 MB");
  row("J4 Chromium: keystroke → underline shown or gone (analyze), the editor's wait excluded, ms p95 (p50)", ...each((s) => `${f(j(s, "playground").lintP95Ms)} (${f(j(s, "playground").lintP50Ms)}) over 40`), "≤ 30 ms p95 at 100 MB");
  row("Chromium: initialize() (fetch, compile, start the wasm in its worker), ms", ...each((s) => f(j(s, "files").initMs, 0)), "");
  const errs = native.sizes.flatMap((s) => ["files", "playground"].filter((k) => chromeRes[s.mb]?.[k]?.error).map((k) => `${s.mb} MB ${k}: ${chromeRes[s.mb][k].error.split("\n")[0]}`));
  if (errs.length) row("journeys: errors", errs.join("; "), ...native.sizes.slice(1).map(() => ""), "");
}
row("input bytes (dev manifest)", ...each((s) => `${mb(s.bytes)} MB`), "");
row("native: open → ready, ms (MB/s)", ...each((s) => `${f(s.openMs)} (${f(s.openMBps, 0)})`), "");
row("native: encoding/json → map, ms", ...each((s) => `${f(s.encodingJsonMs, 0)} (${f(s.encodingJsonMs / s.openMs)}× slower)`), "");
row("native: retained beyond input", ...each((s) => `${mb(s.retainedBytes)} MB (${f(s.retainedBytes / s.bytes, 3)}×)`), "");
row("native: ref resolution, ns/op", ...each((s) => f(s.resolveNs, 0)), "");
row("native: compile preview, µs/op (first)", ...each((s) => `${f(s.compileUs)} (${f(s.firstCompileUs, 0)})`), "");
row("native: state:modified+, ms (selected)", ...each((s) => `${f(s.stateModifiedPlusMs)} (${s.stateModifiedPlusSelected})`), "");
for (const [name, res] of [["node", nodeRes], ["Chromium", chromeRes]]) {
  const r = (s) => {
    const x = res[s.mb];
    if (!x || x.error) throw new Error(x?.error ?? "not run");
    return x;
  };
  row(`${name}: TextDecoder+JSON.parse, ms`, ...each((s) => f(r(s).jsonParseMs, 0)), "");
  row(`${name}: bytes handed over → ready to resolve, ms`, ...each((s) => `${f(r(s).readyMs, 0)} (${f(r(s).readyOverJsonParse, 2)}× JSON.parse)`), name === "Chromium" ? "≤ 0.5× at 100 MB" : "");
  row(`${name}: bytes copied → ready to resolve, ms`, ...each((s) => `${f(r(s).readyCopyMs, 0)} (${f(r(s).readyCopyOverJsonParse, 2)}× JSON.parse)`), "");
  row(`${name}: Go heap retained beyond input`, ...each((s) => `${mb(r(s).retainedBytes)} MB (${f(r(s).retainedOverInput, 3)}×)`), name === "Chromium" ? "≤ 0.2×" : "");
  row(`${name}: pair open, ms; then warmed (every refable head decoded, a compile and first asks meanwhile), ms more`, ...each((s) => `${f(r(s).pairReadyMs, 0)}; ${f(r(s).warmMs, 0)}`), "");
  row(`${name}: Go heap beyond the pair's input after a compile, first asks and warming`, ...each((s) => `${mb(r(s).warmedRetainedBytes)} MB (${f(r(s).warmedRetainedOverInput, 3)}×)`), "");
  row(`${name}: peak wasm memory (× dev input)`, ...each((s) => `${mb(r(s).wasmMemoryBytes)} MB (${f(r(s).wasmMemoryOverInput, 2)}×)`), "");
  row(`${name}: refreshState to a newer state (bytes), ms vs JSON.parse of them; the same state again, ms`,
    ...each((s) => `${f(r(s).refreshChangedMs, 0)} (${f(r(s).refreshOverJsonParse, 2)}× JSON.parse); ${f(r(s).refreshSameMs, 0)}`), "");
  row(`${name}: first compile after load, ms`, ...each((s) => f(r(s).firstCompileMs)), "");
  const calls = (label, r, budget) => {
    row(`${label}: a call doing nothing (stateInfo), µs`, ...each((s) => f(r(s).noopCallUs)), "");
    row(`${label}: resolve per call, µs: first ask while warming / once warm / nodes known / asked again (per ref in a 100-ref call)`,
      ...each((s) => `${f(r(s).resolveColdUs, 0)} / ${f(r(s).resolveWarmedUs, 0)} / ${f(r(s).resolveKnownUs, 0)} / ${f(r(s).resolveWarmUs)} (${f(r(s).resolveBatchedUsPerRef)})`), budget ? "< 20 µs" : "");
    row(`${label}: a ref's hover answer (resolve, each ref's first ask), ms p99 (p50) vs a call doing nothing`,
      ...each((s) => `${f(r(s).hoverP99Ms, 2)} (${f(r(s).hoverP50Ms, 2)}) over ${r(s).hoverAsks} vs ${f(r(s).noopCallUs / 1e3, 2)} (${f(r(s).hoverP99Ms / (r(s).noopCallUs / 1e3), 1)}×)`), budget ? "< 16 ms p99" : "");
    row(`${label}: compile preview of an edited model per call, µs`, ...each((s) => f(r(s).compileUs, 0)), budget ? "< 2000 µs" : "");
    row(`${label}: analyze / complete of an edited buffer per keystroke, ms p95 (p50) vs a call doing nothing`,
      ...each((s) => `${f(r(s).analyzeP95Ms, 2)} (${f(r(s).analyzeP50Ms, 2)}) / ${f(r(s).completeP95Ms, 2)} (${f(r(s).completeP50Ms, 2)}) vs ${f(r(s).noopCallUs / 1e3, 2)}`), budget ? "≤ 5 ms p95 at 100 MB" : "");
  };
  calls(name === "Chromium" ? "Chromium (Web Worker)" : name, r, true);
  if (name === "Chromium") {
    calls("Chromium (calling thread)", (s) => {
      const x = r(s).thread;
      if (!x || x.error) throw new Error(x?.error ?? "not run");
      return x;
    }, true);
  }
  row(`${name}: the helper worker indexed part of the manifest`, ...each((s) => (r(s).parallelIndex ? "yes" : "no")), "");
  const errs = native.sizes.filter((s) => res[s.mb]?.error).map((s) => `${s.mb} MB: ${res[s.mb].error.split("\n")[0]}`);
  if (errs.length) row(`${name}: errors`, errs.join("; "), ...native.sizes.slice(1).map(() => ""), "");
}
{
  const ic = chromeRes.initCold;
  row("Chromium: initialize() cold (fresh context: fetch, streaming compile, instantiate, handshake), median of 5, ms vs compileStreaming of the same wasm",
    ic && !ic.error ? `${f(ic.medianMs, 0)} vs ${f(ic.baselineMedianMs, 0)} (${f(ic.ratio, 2)}×)` : ic?.error ?? "—", ...native.sizes.slice(1).map(() => ""), "");
}
for (const [k, v] of Object.entries(wasm)) if (v) row(`wasm size (${k}): raw / gzip / brotli`, `${v.raw} / ${v.gzip} / ${v.brotli} bytes`, ...native.sizes.slice(1).map(() => ""), k === "browser" ? "≤ 1.75 MB brotli" : "");

const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? "").length)));
for (const [i, r] of rows.entries()) {
  console.log(r.map((c, j) => String(c ?? "").padEnd(widths[j])).join(" | "));
  if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("-|-"));
}
console.log(`\n(${native.go}, ${native.cpus} cores; every timing is the fastest of ${nodeRes[native.sizes[0].mb]?.runs ?? 3} runs except per-call means and first-time figures; JSON: ${outPath})`);
const c100 = chromeRes[100];
console.log(`bench: ready/JSON.parse at 100 MB in Chromium = ${c100 && !c100.error ? c100.readyOverJsonParse.toFixed(3) : "n/a"}`);
const j1 = c100?.files;
console.log(`bench: first preview/JSON.parse for a 100+100 MB pair in Chromium = ${j1 && !j1.error ? j1.j1Ratio.toFixed(3) : "n/a"}`);
