// run.mjs runs every JS test: builds the Go devserver and a deliberately
// mismatched wasm, starts the devserver on an ephemeral 127.0.0.1 port, then
// runs the node:test suites (api.test.mjs in node, browser.test.mjs in
// headless Debian chromium through playwright-core) with the spec reporter,
// whose summary lines end the output. Exits non-zero on any failure.
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const root = fileURLToPath(new URL("../../", import.meta.url));
const web = fileURLToPath(new URL("../", import.meta.url));
const cache = `${root}.cache/webtest`;
mkdirSync(cache, { recursive: true });

const t0 = Date.now();
const go = (args, env = {}) => execFileSync("go", args, { cwd: root, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, ...env } });
go(["build", "-o", `${cache}/devserver`, "./resolve/internal/devserver"]);
go(["build", "-trimpath", "-ldflags=-s -w -X=main.Version=0.0.0-mismatch", "-o", `${cache}/mismatch.wasm`, "./wasm/browser"], { GOOS: "js", GOARCH: "wasm" });

// mutable/ is a folder the tests write to: a "production" that moves on.
const mutable = `${cache}/mutable`;
rmSync(mutable, { recursive: true, force: true });
mkdirSync(mutable, { recursive: true });
const server = spawn(`${cache}/devserver`, ["-addr", "127.0.0.1:0", "-dir", web, "-testdata", `${root}resolve/testdata/manifests`, "-mount", `mutable=${mutable}`],
  { stdio: ["ignore", "pipe", "inherit"] });
const base = await new Promise((resolve, reject) => {
  server.on("exit", (code) => reject(new Error(`devserver exited (${code})`)));
  createInterface({ input: server.stdout }).once("line", (line) => {
    const m = /listening on (http:\/\/\S+?)\/? /.exec(line);
    m ? resolve(m[1]) : reject(new Error(`devserver said: ${line}`));
  });
});
console.log(`devserver on ${base} (setup ${Date.now() - t0} ms)`);

const files = process.argv.slice(2).length ? process.argv.slice(2) : ["test/api.test.mjs", "test/browser.test.mjs"];
const tests = spawn(process.execPath, ["--test", "--test-reporter=spec", ...files], {
  cwd: web,
  stdio: "inherit",
  env: { ...process.env, DBTDEFER_TEST_BASE: base, DBTDEFER_MISMATCH_WASM: `${cache}/mismatch.wasm`, DBTDEFER_TEST_MUTABLE: mutable },
});
const timer = setTimeout(() => {
  console.error("JS tests took over 3 minutes: stopping them");
  tests.kill();
}, 180_000);
const code = await new Promise((resolve) => tests.on("exit", (c, sig) => resolve(c ?? (sig ? 1 : 0))));
clearTimeout(timer);
server.kill();
console.log(`JS tests ${code === 0 ? "passed" : "FAILED"} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(code);
