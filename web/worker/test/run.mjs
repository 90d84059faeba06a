// Worker tests: start the built Worker (web/worker/build) in local workerd via
// Miniflare on 127.0.0.1 and send it real HTTP requests. Compile and resolve
// answers are compared with the CLI's --json output for the same inputs.
// MEASURE=DEV.json,PROD.json adds a timing/memory run over that pair.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Miniflare } from "miniflare";

const here = resolve(import.meta.dirname, "..");
const root = resolve(here, "../..");
const demo = join(root, "resolve/testdata/manifests/defer-jaffle-shop-postgres");
const DEV = join(demo, "dev/manifest.json");
const PROD = join(demo, "prod/manifest.json");
const TOKEN = "test-token-" + Math.random().toString(36).slice(2);
const RUN_URL = "https://orchestrator.example/runs/{invocation_id}";
const tmp = mkdtempSync(join(tmpdir(), "dbtdefer-worker-"));

let mf, base, origin, originURL;
const originLog = [];
let originETag = '"v1"';

function cli(...args) {
  const r = spawnSync(join(tmp, "dbtdefer"), args, { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function req(method, path, { body, headers = {} } = {}) {
  const res = await fetch(new URL(path, base), { method, body, headers });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, json, text };
}

before(async () => {
  const b = spawnSync("go", ["build", "-o", join(tmp, "dbtdefer"), "./resolve/cmd/dbtdefer"], { cwd: root, stdio: "inherit" });
  assert.equal(b.status, 0, "go build of the CLI");
  // An origin standing in for CI's published production manifest.
  origin = createServer((rq, rs) => {
    originLog.push({ url: rq.url, inm: rq.headers["if-none-match"] ?? null });
    if (rq.headers["if-none-match"] === originETag) { rs.writeHead(304); rs.end(); return; }
    rs.writeHead(200, { "content-type": "application/json", etag: originETag });
    rs.end(readFileSync(PROD));
  });
  await new Promise((r) => origin.listen(0, "127.0.0.1", r));
  originURL = `http://127.0.0.1:${origin.address().port}`;
  mf = new Miniflare({
    modules: true,
    scriptPath: join(here, "build/entry.mjs"),
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }, { type: "ESModule", include: ["**/*.js", "**/*.mjs"] }],
    compatibilityDate: "2026-04-01",
    r2Buckets: ["MANIFESTS"],
    bindings: { PUBLISH_TOKEN: TOKEN, RUN_URL, DEFAULT_MANIFEST: "dev", DEFAULT_STATE: "prod", ALLOWED_MANIFEST_URLS: `${originURL}/ci/`, MAX_BODY_BYTES: "65536", MAX_PUBLISH_BYTES: "67108864", ...(process.env.GO_MEMORY_LIMIT_MB ? { GO_MEMORY_LIMIT_MB: process.env.GO_MEMORY_LIMIT_MB } : {}) },
    host: "127.0.0.1",
    port: 0,
  });
  base = String(await mf.ready);
  for (const [name, file, kind] of [["dev", DEV, "dev"], ["prod", PROD, "state"]]) {
    const r = await req("PUT", `/v1/manifests/${name}?kind=${kind}`, { body: readFileSync(file), headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(r.status, 201, r.text);
    assert.ok(!r.text.includes(TOKEN));
  }
});

after(async () => {
  await mf?.dispose();
  origin?.close();
});

test("healthz", async () => {
  const r = await req("GET", "/healthz");
  assert.equal(r.status, 200);
  assert.equal(r.json.ok, true);
  assert.ok(r.headers.get("x-dbtdefer-instance"));
});

const modes = ["off", "standard", "favor-state"];
const stripFile = (x) => JSON.parse(JSON.stringify(x, (k, v) => (k === "file" ? undefined : v)));

test("resolve matches the CLI under all three modes", async () => {
  for (const mode of modes) {
    for (const [from, ref] of [["customers", "stg_customers"], ["orders", "stg_orders"], ["customers", "this"]]) {
      const c = cli("resolve", "--manifest", DEV, "--state", PROD, "--run-url", RUN_URL, "--defer", mode, "--from", from, ref, "--json");
      assert.equal(c.code, 0, c.err);
      const want = c.out.trim().split("\n").map((l) => JSON.parse(l)).filter((x) => !x.warning);
      const r = await req("GET", `/v1/resolve?from=${from}&ref=${encodeURIComponent(ref)}&defer=${mode}`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(stripFile(r.json.refs), stripFile(want), `${mode} ${from} ${ref}`);
    }
  }
});

test("compile of the demo models matches the CLI under all three modes", async () => {
  // The Worker has no dbt_project.yml (vars, dispatch): give the CLI a bare one too.
  const pyml = join(tmp, "dbt_project.yml");
  writeFileSync(pyml, 'name: "jaffle_shop"\n');
  const models = ["customers", "orders", "stg_customers", "order_items"];
  for (const mode of modes) {
    for (const model of models) {
      const c = cli("compile", "--manifest", DEV, "--state", PROD, "--run-url", RUN_URL, "--defer", mode, "--project", pyml, model, "--json");
      const r = await req("POST", "/v1/compile", { body: JSON.stringify({ model, defer: mode }) });
      if (c.code !== 0) {
        const e = JSON.parse(c.err.trim().split("\n").pop());
        assert.equal(r.json?.code, e.code, `${mode} ${model}: CLI failed with ${c.err}; Worker ${r.text}`);
        continue;
      }
      const want = c.out.trim().split("\n").map((l) => JSON.parse(l)).filter((x) => !x.warning).pop();
      assert.equal(r.status, 200, r.text);
      for (const k of ["refs", "ctes", "diagnostics"]) want[k] ??= [];
      assert.equal(r.json.sql, want.sql, `${mode} ${model} sql`);
      assert.deepEqual(stripFile(r.json), stripFile(want), `${mode} ${model}`);
    }
  }
});

test("the production run: RUN_URL links it, run results published with the state judge each deferred parent", async () => {
  const td = join(root, "resolve/testdata/manifests/teradata-pibbers");
  const man = readFileSync(join(td, "manifest.json"));
  const rr = JSON.parse(readFileSync(join(td, "run_results.json"), "utf8"));
  const auth = { authorization: `Bearer ${TOKEN}` };
  for (const [name, kind, body] of [["td", "dev", man], ["tdprod", "state", man], ["tdprod", "run_results", JSON.stringify(rr)]]) {
    const r = await req("PUT", `/v1/manifests/${name}?kind=${kind}`, { body, headers: auth });
    assert.equal(r.status, 201, r.text);
  }
  const invocation = JSON.parse(man.toString()).metadata.invocation_id;
  const s = await req("GET", "/v1/state?manifest=td&state=tdprod");
  assert.equal(s.status, 200, s.text);
  assert.equal(s.json.run.url, `https://orchestrator.example/runs/${invocation}`);
  assert.ok(s.json.age > 0 && s.json.stale === true, s.text); // a January 2025 run
  assert.equal(s.json.runResults.command, "run");
  const failed = rr.results.find((x) => x.status === "error");
  const name = failed.unique_id.split(".").at(-1);
  const r = await req("GET", `/v1/resolve?manifest=td&state=tdprod&ref=${name}&ref=stg_orders&defer=favor-state`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.refs[0].stateRun.status, "error");
  assert.equal(r.json.refs[0].stateRun.completedAt, failed.timing.at(-1).completed_at);
  assert.equal(r.json.refs[1].stateRun.status, "success");
  assert.deepEqual(r.json.diagnostics.filter((d) => d.code === "state.parent_not_success").map((d) => d.location.uniqueId), [failed.unique_id]);
  // The CLI says the same.
  const c = cli("resolve", "--manifest", join(td, "manifest.json"), "--state", join(td, "manifest.json"), "--state-run-results", join(td, "run_results.json"),
    "--run-url", RUN_URL, "--defer", "favor-state", name, "stg_orders", "--json");
  assert.equal(c.code, 0, c.err);
  const want = c.out.trim().split("\n").map((l) => JSON.parse(l)).filter((x) => !x.warning);
  assert.deepEqual(stripFile(r.json.refs), stripFile(want));
  const bad = await req("PUT", "/v1/manifests/tdprod?kind=run_results", { body: "{\"results\": 3}", headers: auth });
  assert.equal(bad.status, 422, bad.text);
  assert.equal(bad.json.code, "run_results.wrong_artifact");
});

test("nodes lists the demo's models and seeds as the CLI does", async () => {
  const c = cli("nodes", "--manifest", DEV, "--limit", "1000", "--json");
  assert.equal(c.code, 0, c.err);
  const want = c.out.trim().split("\n").map((l) => JSON.parse(l)).filter((x) => !x.warning).pop();
  const r = await req("GET", "/v1/nodes?limit=1000");
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.total, 19); // 13 models + 6 seeds
  assert.deepEqual(r.json, want);
  const seeds = await req("GET", "/v1/nodes?resourceType=seed&limit=x");
  assert.equal(seeds.status, 400);
  assert.equal(seeds.json.code, "options.limit");
});

test("state info", async () => {
  const r = await req("GET", "/v1/state");
  assert.equal(r.status, 200, r.text);
  const prod = JSON.parse(readFileSync(PROD, "utf8"));
  assert.equal(r.json.invocationId, prod.metadata.invocation_id);
  assert.equal(r.json.projectName, "jaffle_shop");
});

test("an allow-listed URL is re-fetched conditionally by ETag", async () => {
  const u = `/v1/state?state=${encodeURIComponent(originURL + "/ci/prod/manifest.json")}`;
  originLog.length = 0;
  let r = await req("GET", u);
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get("x-dbtdefer-sources"), /state=url:.*loaded/);
  r = await req("GET", u, { headers: { "cache-control": "no-cache" } });
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get("x-dbtdefer-sources"), /revalidated/);
  assert.deepEqual(originLog.map((l) => l.inm), [null, '"v1"']);
  originETag = '"v2"'; // CI published a new run
  r = await req("GET", u, { headers: { "cache-control": "no-cache" } });
  assert.match(r.headers.get("x-dbtdefer-sources"), /etag="v2"; loaded/);
});

test("a URL off the allow-list is refused and not fetched", async () => {
  originLog.length = 0;
  const r = await req("GET", `/v1/state?state=${encodeURIComponent(originURL + "/private/manifest.json")}`);
  assert.equal(r.status, 403);
  assert.equal(r.json.code, "fetch.not_allowed");
  assert.equal(originLog.length, 0);
});

test("an allow-listed prefix cannot be left with dot segments or backslashes", async () => {
  // workerd's fetch resolves these (WHATWG URL parsing): /ci/%2e%2e/private/… would reach /private/….
  originLog.length = 0;
  for (const p of ["/ci/%2e%2e/private/manifest.json", "/ci/.%2E/private/manifest.json", "/ci/%2e%2e%2fprivate/manifest.json", "/ci/..%5Cprivate/manifest.json", "/ci/x/../../private/manifest.json"]) {
    const r = await req("GET", `/v1/state?state=${encodeURIComponent(originURL + p)}`);
    assert.equal(r.status, 403, `${p}: ${r.text}`);
    assert.equal(r.json.code, "fetch.not_allowed");
  }
  assert.deepEqual(originLog, []);
});

test("bad JSON", async () => {
  const r = await req("POST", "/v1/compile", { body: '{"model": "customers",' });
  assert.equal(r.status, 400);
  assert.equal(r.json.code, "options.invalid");
  assert.equal(r.json.location.offset, 22, r.text); // where the JSON stops
  assert.equal(r.json.location.column, 23, r.text);
});

test("unknown model, with a suggestion", async () => {
  const r = await req("POST", "/v1/compile", { body: JSON.stringify({ model: "customerz", defer: "standard" }) });
  assert.equal(r.status, 404, r.text);
  assert.equal(r.json.code, "node.not_found");
  assert.equal(r.json.location.suggestion, "customers");
});

test("publishing needs the token", async () => {
  let r = await req("PUT", "/v1/manifests/x", { body: "{}" });
  assert.equal(r.status, 401);
  assert.equal(r.json.code, "auth.missing");
  r = await req("PUT", "/v1/manifests/x", { body: "{}", headers: { authorization: "Bearer nope" } });
  assert.equal(r.status, 403);
  assert.equal(r.json.code, "auth.invalid");
  assert.ok(!r.text.includes(TOKEN) && !r.text.includes("nope"));
});

test("an oversized body is refused", async () => {
  const r = await req("POST", "/v1/compile", { body: JSON.stringify({ model: "customers", sql: "x".repeat(70000) }) });
  assert.equal(r.status, 413);
  assert.equal(r.json.code, "request.too_large");
});

if (process.env.MEASURE) {
  test("measure: cold and warm request time, wasm memory", async () => {
    const [dev, prod] = process.env.MEASURE.split(",");
    // Big compact forms go straight into R2, as CI's `wrangler r2 object put` does.
    const bucket = await mf.getR2Bucket("MANIFESTS");
    for (const [name, file] of [["bigdev", dev], ["bigprod", prod]]) await bucket.put(`manifests/${name}.json`, readFileSync(file, "utf8"));
    // A fresh isolate: a new Miniflare over the same persisted bucket would be
    // cleaner; the first call on a new (manifest, state) pair measures the load.
    const body = JSON.stringify({ manifest: "bigdev", state: "bigprod", model: process.env.MEASURE_MODEL || "customers", defer: "favor-state" });
    const t = [];
    for (let i = 0; i < 41; i++) {
      const t0 = performance.now();
      const r = await req("POST", "/v1/compile", { body });
      t.push([performance.now() - t0, r.headers.get("server-timing"), r.headers.get("x-dbtdefer-wasm-memory"), r.status]);
    }
    const warm = t.slice(1).map((x) => x[0]).sort((a, b) => a - b);
    const q = (p) => warm[Math.floor(p * (warm.length - 1))].toFixed(1);
    console.log(`MEASURE cold ${t[0][0].toFixed(1)} ms (${t[0][1]}), warm p50 ${q(0.5)} ms p90 ${q(0.9)} ms, wasm memory ${t.at(-1)[2]} bytes, status ${t.at(-1)[3]}`);
  });
}
