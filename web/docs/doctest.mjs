// The docs' own test (./build.sh test runs it from the repository's root):
// every ```sh block of README.md and web/docs/*.md is run with bash -e, and
// must succeed; a block fenced ```sh notest: REASON is shown but not run, and
// says why (it runs until stopped, or it is the command running this test).
// `./build.sh serve` is one of those: this test starts it on a free port,
// loads the playground from it and stops it. Every relative link and image
// of those pages and of web/*.md must name a file that exists.
//
//   node web/docs/doctest.mjs [--list]
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const docs = join(repo, "web", "docs");
const pages = ["README.md", ...readdirSync(docs).filter((f) => f.endsWith(".md")).map((f) => join("web", "docs", f))];
const linked = [...pages, ...["web/README.md", "web/EMBEDDING.md", "web/worker/README.md", "web/playground/README.md"].filter((f) => existsSync(join(repo, f)))];

/** blocks are a page's fenced code blocks: {info, body, line}. */
function blocks(page) {
  const out = [];
  const lines = readFileSync(join(repo, page), "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(.*)$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    assert.ok(i < lines.length, `${page}:${start + 1}: a code block that never closes`);
    out.push({ info: open[1].trim(), body: body.join("\n"), line: start + 1 });
  }
  return out;
}

const shell = pages.flatMap((page) => blocks(page).filter((b) => /^(sh|bash)\b/.test(b.info)).map((b) => ({ ...b, page })));

if (process.argv.includes("--list")) {
  for (const b of shell) console.log(`${b.page}:${b.line} ${b.info}\n${b.body}\n`);
  process.exit(0);
}

test("the docs have shell blocks to run", () => {
  assert.ok(shell.filter((b) => b.info === "sh").length >= 4, "fewer runnable blocks than the README alone has");
});

for (const b of shell) {
  const where = `${b.page}:${b.line}`;
  const notest = /^(?:sh|bash)\s+notest(?::\s*(.*))?$/.exec(b.info);
  if (notest) {
    test(`${where} is not run, and says why`, () => {
      assert.ok((notest[1] ?? "").length > 10, `${where}: "notest" needs a reason after it`);
    });
    continue;
  }
  assert.match(b.info, /^(sh|bash)$/, `${where}: unknown fence ${b.info}`);
  test(`${where}: ${b.body.split("\n").find((l) => l.trim() && !l.startsWith("#"))}`, () => {
    const r = spawnSync("bash", ["-eo", "pipefail", "-c", b.body], { cwd: repo, encoding: "utf8", timeout: 300_000, maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, `${where} failed (${r.signal ?? r.status}):\n${b.body}\n--- stderr\n${r.stderr.slice(-4000)}\n--- stdout\n${r.stdout.slice(-2000)}`);
  });
}

test("./build.sh serve serves the playground with the demo pair", async () => {
  const serveBlock = shell.find((b) => b.body.includes("./build.sh serve") && b.info.startsWith("sh notest"));
  assert.ok(serveBlock && /doctest\.mjs starts it/.test(serveBlock.info), "the README's serve block says this test runs it");
  const port = await freePort();
  const child = spawn("./build.sh", ["serve"], { cwd: repo, env: { ...process.env, PORT: String(port) }, detached: true, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  try {
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 240_000;
    let page;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) break;
      try {
        const res = await fetch(`${base}/`);
        if (res.ok) {
          page = await res.text();
          break;
        }
      } catch {}
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(page, `./build.sh serve did not answer on ${base} (exit ${child.exitCode}):\n${stderr.slice(-3000)}`);
    assert.match(page, /<title>[^<]*dbtdefer/i, "the home page is the playground");
    // The demo pair is the committed jaffle-shop pair, byte for byte.
    for (const [file, which] of [["jaffle-shop-dev.json", "dev"], ["jaffle-shop-prod.json", "prod"]]) {
      const served = Buffer.from(await (await fetch(`${base}/playground/dist/demo/${file}`)).arrayBuffer());
      const committed = readFileSync(join(repo, "resolve", "testdata", "manifests", "defer-jaffle-shop-postgres", which, "manifest.json"));
      assert.ok(served.equals(committed), `the served demo ${file} is the committed ${which} manifest`);
    }
    const wasm = await fetch(`${base}/dist/dbtdefer.wasm`, { method: "HEAD" });
    assert.equal(wasm.status, 200, "the wasm is served");
    assert.match(wasm.headers.get("content-type") ?? "", /application\/wasm/);
  } finally {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
  }
});

test("every relative link and image names a file that exists", () => {
  const missing = [];
  for (const page of linked) {
    const text = readFileSync(join(repo, page), "utf8").replace(/```[\s\S]*?```/g, "");
    for (const m of text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)) {
      const target = m[1].split("#")[0];
      if (!target || /^[a-z]+:/i.test(target)) continue;
      if (!existsSync(resolve(repo, dirname(page), target))) missing.push(`${page}: ${m[1]}`);
    }
  }
  assert.deepEqual(missing, []);
});

test("the README's picture is the playground screenshot the playground tests take", () => {
  const png = join(docs, "playground.png");
  const b = readFileSync(png);
  assert.equal(b.subarray(1, 4).toString(), "PNG", `${relative(repo, png)} is not a PNG`);
  assert.equal(b.readUInt32BE(16), 1280, "width: the playground tests' viewport");
  assert.ok(readFileSync(join(repo, "README.md"), "utf8").includes("](web/docs/playground.png)"));
});

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
    s.on("error", rej);
  });
}
