// parts.mjs times the parts of one resolve call in headless Chromium, on the
// calling thread, once V8 has optimized them: what a call costs inside the
// wasm (the request read, the resolution, the answer written), what
// crossing into it costs (a "ping" answered at once), and what the page
// does with the answer (TextDecoder, JSON.parse). It runs the probe build of
// the module (go build -tags probe: wasm/browser/probe_js.go), whose
// dbtdefer_probe export loops over one part inside the wasm.
//   node web/bench/parts.mjs [MB]    (a size ./build.sh bench generated; 10 by default)
//   PROFILE=4 node web/bench/parts.mjs   also profiles probe part 4 (see
//   probe_js.go) with Chromium's sampling profiler and prints the functions
//   with the most self time.
import { spawn, execFileSync } from "node:child_process";
import { readFileSync, mkdirSync } from "node:fs";
import { dirname, join, basename } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const root = fileURLToPath(new URL("../../", import.meta.url));
const web = fileURLToPath(new URL("../", import.meta.url));
const mb = process.argv[2] ?? "10";
const native = JSON.parse(readFileSync(join(root, ".cache/bench/native.json"), "utf8"));
const sz = native.sizes.find((s) => String(s.mb) === mb);
if (!sz) throw new Error(`no ${mb} MB pair in .cache/bench/native.json: run BENCH_SIZES=${mb} ./build.sh bench first`);

const out = join(root, ".cache/bench");
mkdirSync(out, { recursive: true });
console.error("parts: building the probe module and the devserver");
execFileSync("go", ["build", "-tags", "probe", "-trimpath", "-o", join(out, "probe.wasm"), "./wasm/browser"], {
  cwd: root, stdio: "inherit", env: { ...process.env, GOOS: "js", GOARCH: "wasm" },
});
execFileSync("go", ["build", "-o", join(out, "devserver"), "./resolve/internal/devserver"], { cwd: root, stdio: "inherit" });
const server = spawn(join(out, "devserver"), ["-addr", "127.0.0.1:0", "-dir", web, "-testdata", "",
  "-mount", `bench-data=${dirname(sz.dev)}`, "-mount", `probe=${out}`], { stdio: ["ignore", "pipe", "inherit"] });
const base = await new Promise((resolve, reject) => {
  server.on("exit", (code) => reject(new Error(`devserver exited (${code})`)));
  createInterface({ input: server.stdout }).once("line", (line) => resolve(/listening on (http:\/\/\S+?)\/? /.exec(line)[1]));
});

const { chromium } = await import("playwright-core");
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-gpu"] });
try {
  const page = await browser.newPage();
  await page.goto(`${base}/test/blank.html`);
  const rows = await page.evaluate(async ({ dev, prod, from, ref, refs }) => {
    const { startHost } = await import("/host.js");
    const get = async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer());
    const host = await startHost({ wasmURL: "/probe/probe.wasm", warm: false });
    const { handle } = await host.open({ manifest: await get(dev), state: await get(prod) }, () => {});
    const ex = host.instance.exports;
    while (ex.dbtdefer_warm(handle, 1 << 20) > 0); // the heads, then the exercise calls
    const enc = new TextEncoder();
    const probe = (part, n) => {
      const buf = new Uint8Array(ex.mem.buffer, ex.dbtdefer_in(3 * (from.length + ref.length)), 3 * (from.length + ref.length));
      const f = enc.encodeInto(from, buf).written;
      const r = enc.encodeInto(ref, buf.subarray(f)).written;
      if (ex.dbtdefer_probe(handle, part, n, f, r) !== 1) throw new Error(`probe ${part} failed`);
    };
    const req = (r, defer) => JSON.stringify({ from, refs: [r], defer });
    const answer = host.callText(handle, "resolve", req(ref, "favor-state"));
    const bytes = enc.encode(answer);
    const dec = new TextDecoder();
    const reqText = req(ref, "favor-state");
    const at = ex.dbtdefer_in(4096);
    new Uint8Array(ex.mem.buffer, at, bytes.length).set(bytes);
    const n = 20000;
    const time = (fn) => {
      const t = performance.now();
      fn();
      return ((performance.now() - t) / n) * 1e3;
    };
    const loop = (f) => () => { for (let i = 0; i < n; i++) f(i); };
    const parts = {
      "in the wasm: the request read (decodeStrict)": () => probe(0, n),
      "in the wasm: Project.Resolve (call context + ResolveOne)": () => probe(1, n),
      "in the wasm: ResolveOne": () => probe(2, n),
      "in the wasm: the answer written (AppendJSON)": () => probe(3, n),
      "in the wasm: the whole call (resolveJSON)": () => probe(4, n),
      "in the wasm: Session.Call (what dbtdefer_call runs)": () => probe(5, n),
      "export: Session.Call once a crossing (dbtdefer_probe_once)": loop(() => ex.dbtdefer_probe_once(handle)),
      "callText: ping (a method answering at once)": loop(() => host.callText(handle, "ping", "{}")),
      "callText: resolve, the probe's request again": loop(() => host.callText(handle, "resolve", req(ref, "favor-state"))),
      "callText: resolve, 256 requests asked before, in turn": loop((i) => host.callText(handle, "resolve", req(refs[i % refs.length], "standard"))),
      "page: TextDecoder of the answer": loop(() => dec.decode(bytes)),
      "page: TextDecoder of the answer in wasm memory": loop(() => dec.decode(new Uint8Array(ex.mem.buffer, at, bytes.length))),
      "page: encodeInto of the request into wasm memory": loop(() => enc.encodeInto(reqText, new Uint8Array(ex.mem.buffer, at, 3 * reqText.length))),
      "page: JSON.parse of the answer": loop(() => JSON.parse(answer)),
    };
    const rounds = {};
    for (let round = 0; round < 5; round++) for (const [k, fn] of Object.entries(parts)) (rounds[k] ??= []).push(time(fn));
    // The median of the last 3 rounds (the first ones are V8 optimizing).
    globalThis.__probePart = (part) => probe(part, 100000);
    return { answerBytes: bytes.length, parts: Object.fromEntries(Object.entries(rounds).map(([k, v]) => [k, v.slice(2).sort((a, b) => a - b)[1]])) };
  }, { dev: `/bench-data/${basename(sz.dev)}`, prod: `/bench-data/${basename(sz.prod)}`, from: sz.model, ref: sz.ref, refs: sz.refs });
  console.log(`one resolve call's parts, ${mb} MB pair, Chromium ${browser.version()}, calling thread, µs per op (median of 3 rounds of 20000):`);
  for (const [k, v] of Object.entries(rows.parts)) console.log(`  ${k.padEnd(58)} ${v.toFixed(2)}`);
  console.log(`  (the answer: ${rows.answerBytes} bytes)`);
  if (process.env.PROFILE) {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 50 });
    await cdp.send("Profiler.start");
    await page.evaluate((part) => globalThis.__probePart(part), Number(process.env.PROFILE));
    const { profile } = await cdp.send("Profiler.stop");
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map();
    let total = 0;
    profile.samples.forEach((id, i) => {
      const f = byId.get(id).callFrame;
      const name = f.functionName || f.url || "(anonymous)";
      self.set(name, (self.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0));
      total += profile.timeDeltas[i] ?? 0;
    });
    console.log(`part ${process.env.PROFILE}, self time:`);
    for (const [name, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${((100 * t) / total).toFixed(1).padStart(5)}%  ${name}`);
  }
} finally {
  await browser.close();
  server.kill();
}
