// run.mjs: the npm package as its consumers meet it. It packs web/ with
// `npm pack`, installs that tarball into node_modules/dbtdefer (as npm
// installs a tarball: its files, unchanged; dbtdefer has no dependencies),
// then, offline, with the bundlers from this folder's package-lock.json:
//
//   vite      vite build, then vite preview, opened in Chromium
//   esbuild   --bundle --format=esm (the worker as a second entry), in Chromium
//   webpack   webpack 5, production mode, in Chromium
//   node      a node script importing "dbtdefer"
//   tsc       tsc --noEmit --strict against the package's dbtdefer.d.ts
//
// Each bundle is app/main.js unchanged (no wasmURL, no worker URL): it
// opens the demo pair and compiles customers under favor-state; the test
// checks the relations dbt's favor-state gives (spec §1.5): stg_customers is
// not selected, so it reads production's "postgres"."prod"."stg_customers".
//
//   node run.mjs            (from web/pkgtest, after npm ci and a wasm build)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const web = join(here, "..");
const repo = join(web, "..");
const cache = join(repo, ".cache", "pkgtest");
const app = join(here, "app");
const demo = join(repo, "resolve", "testdata", "manifests", "defer-jaffle-shop-postgres");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const version = JSON.parse(readFileSync(join(web, "package.json"), "utf8")).version;

// What dbt's favor-state gives from customers (helpers.mjs's expectations).
const PROD = '"postgres"."prod"."stg_customers"';
const DEV = '"postgres"."dbt_dconnors"."stg_customers"';

let browser;
const servers = [];

before(async () => {
  assert.ok(existsSync(join(web, "dist", "dbtdefer.wasm")), "build the wasm first (./build.sh build)");
  rmSync(cache, { recursive: true, force: true });
  mkdirSync(cache, { recursive: true });
  const packed = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", cache], { cwd: web, encoding: "utf8" }))[0];
  const tgz = join(cache, packed.filename);
  const pkg = join(here, "node_modules", "dbtdefer");
  rmSync(pkg, { recursive: true, force: true });
  mkdirSync(pkg, { recursive: true });
  execFileSync("tar", ["-xzf", tgz, "-C", pkg, "--strip-components=1"]);
  console.log(`packed ${packed.filename}: ${packed.entryCount} files, ${packed.size} bytes (unpacked ${packed.unpackedSize})`);
  execFileSync("go", ["build", "-o", join(cache, "devserver"), "./resolve/internal/devserver"], { cwd: repo, stdio: "inherit" });
  const { chromium } = await import("playwright-core");
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  for (const s of servers) s.kill();
});

/** site makes an output folder with the demo pair under demo/. */
function site(name) {
  const dir = join(cache, name);
  mkdirSync(join(dir, "demo"), { recursive: true });
  cpSync(join(demo, "dev", "manifest.json"), join(dir, "demo", "dev.json"));
  cpSync(join(demo, "prod", "manifest.json"), join(dir, "demo", "prod.json"));
  return dir;
}

/** serve serves dir with the Go devserver (application/wasm, ETags) and answers its base URL. */
async function serve(dir) {
  const p = spawn(join(cache, "devserver"), ["-addr", "127.0.0.1:0", "-dir", dir, "-testdata", ""], { stdio: ["ignore", "pipe", "inherit"] });
  servers.push(p);
  return new Promise((resolve, reject) => {
    p.on("exit", (code) => reject(new Error(`devserver exited (${code})`)));
    createInterface({ input: p.stdout }).once("line", (line) => {
      const m = /listening on (http:\/\/\S+?)\/? /.exec(line);
      m ? resolve(m[1]) : reject(new Error(`devserver said: ${line}`));
    });
  });
}

/** inChromium opens url and answers what app/main.js left in window.result. */
async function inChromium(url) {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  const failed = [];
  const favicon = (u) => new URL(u).pathname === "/favicon.ico"; // Chromium asks every origin for one
  page.on("console", (m) => m.type() === "error" && !favicon(m.location().url || "http://x/") && problems.push(`console: ${m.text()} (${m.location().url})`));
  page.on("requestfailed", (r) => failed.push(r.url()));
  const wasm = [];
  page.on("request", (r) => /\.wasm(\?|$)/.test(r.url()) && wasm.push(r.url())); // the worker's requests too
  page.on("response", (r) => r.status() >= 400 && !favicon(r.url()) && failed.push(`${r.status()} ${r.url()}`));
  await page.goto(url);
  await page.waitForFunction(() => window.result, null, { timeout: 60_000 });
  const result = await page.evaluate(() => window.result);
  const workers = page.workers().map((w) => w.url());
  await page.close();
  return { ...result, problems, failed, wasm, workers };
}

function check(r, { browser = true } = {}) {
  assert.equal(r.error, undefined, r.error);
  assert.equal(r.version, version);
  const stg = r.refs.find((x) => x.ref === "stg_customers");
  assert.deepEqual(stg, { ref: "stg_customers", relation: PROD, env: "state", rule: "favor-state-unselected" });
  assert.ok(r.sql.includes(PROD) && !r.sql.includes(DEV), r.sql);
  if (browser) {
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.failed, []);
    assert.equal(r.wasm.length, 1, `one wasm fetched: ${r.wasm}`);
    assert.equal(r.workers.length, 1, `the engine ran in a Web Worker: ${r.workers}`);
  }
}

const bin = (name) => join(here, "node_modules", ".bin", name);
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: here, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...opts });

test("vite: build, then preview, with no configuration", async () => {
  const out = join(cache, "vite");
  const pub = site("vite-public");
  const { build, preview } = await import("vite");
  await build({ root: app, logLevel: "warn", publicDir: pub, build: { outDir: out, emptyOutDir: true } });
  const server = await preview({ root: app, logLevel: "warn", build: { outDir: out }, preview: { host: "127.0.0.1", port: 0, strictPort: false } });
  try {
    const url = server.resolvedUrls.local[0];
    const r = await inChromium(url);
    check(r);
    assert.match(r.wasm[0], /\/assets\/dbtdefer-[\w-]+\.wasm$/, "Vite emitted the wasm as a hashed asset");
  } finally {
    await new Promise((resolve) => server.httpServer.close(resolve));
  }
});

test("esbuild: --bundle --format=esm, the worker as a second entry point and the wasm copied", async () => {
  const out = site("esbuild");
  run(bin("esbuild"), [join(app, "main.js"), "dbtdefer/worker.js", "--bundle", "--format=esm", "--entry-names=[name]", `--outdir=${out}`, "--log-level=warning"]);
  mkdirSync(join(out, "dist"), { recursive: true });
  cpSync(join(here, "node_modules", "dbtdefer", "dist", "dbtdefer.wasm"), join(out, "dist", "dbtdefer.wasm"));
  writeFileSync(join(out, "index.html"), readFileSync(join(app, "index.html"), "utf8"));
  const r = await inChromium(`${await serve(out)}/index.html`);
  check(r);
});

test("webpack 5: production build with no configuration for dbtdefer", async () => {
  const out = site("webpack");
  const { default: webpack } = await import("webpack");
  const stats = await new Promise((resolve, reject) =>
    webpack({ mode: "production", context: app, entry: "./main.js", output: { path: out, filename: "main.js", clean: false }, devtool: false, performance: { hints: false } },
      (err, s) => (err ? reject(err) : resolve(s))));
  assert.ok(!stats.hasErrors(), stats.toString("errors-only"));
  assert.deepEqual(stats.toJson({ all: false, warnings: true }).warnings, []);
  writeFileSync(join(out, "index.html"), readFileSync(join(app, "index.html"), "utf8"));
  const r = await inChromium(`${await serve(out)}/index.html`);
  check(r);
});

test("node ≥ 20: a script importing the package by name", () => {
  const outp = run(process.execPath, [join(app, "node.mjs"), join(demo, "dev", "manifest.json"), join(demo, "prod", "manifest.json")]);
  check(JSON.parse(outp.trim().split("\n").pop()), { browser: false });
});

test("TypeScript: tsc --noEmit --strict against the package's types", () => {
  let out = "";
  try {
    out = run(bin("tsc"), ["--noEmit", "--strict", "-p", join(here, "tsconfig.json")]);
    // Node's own resolution too (what EMBEDDING.md promises).
    for (const m of ["node16", "nodenext"]) out += run(bin("tsc"), ["--noEmit", "--strict", "--module", m, "--moduleResolution", m, "-p", join(here, "tsconfig.json")]);
  } catch (e) {
    assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
  }
  assert.equal(out.trim(), "");
  // And the check can fail: a wrong type is reported against dbtdefer.d.ts.
  const bad = join(here, ".bad.ts");
  const tsconfig = join(here, ".tsconfig.bad.json");
  writeFileSync(bad, 'import { openProject } from "dbtdefer";\nexport const p = openProject({ manifest: 42 });\n');
  const cfg = JSON.parse(readFileSync(join(here, "tsconfig.json"), "utf8"));
  writeFileSync(tsconfig, JSON.stringify({ ...cfg, files: [".bad.ts"] }));
  try {
    assert.throws(() => run(bin("tsc"), ["-p", tsconfig]), (e) => (/\.bad\.ts\(2,/.test(e.stdout) && /TS2322|TS2769|TS2345/.test(e.stdout)) || assert.fail(e.stdout));
  } finally {
    rmSync(bad, { force: true });
    rmSync(tsconfig, { force: true });
  }
});
