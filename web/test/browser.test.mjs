// The JS API in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core; never a downloaded browser), loading dbtdefer.js and the
// brotli-precompressed wasm from the Go devserver, with the dev/prod pairs
// from resolve/testdata served under /testdata/.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFile } from "node:fs/promises";
import { base, expected, jaffle, mutable, prodInvocation, publish } from "./helpers.mjs";

const chromium = "/usr/bin/chromium";
const skip = (!base && "no devserver (run test/run.mjs)") || (!existsSync(chromium) && `${chromium} is missing (apt-get install chromium)`);

// Inside the page: import the API once per page and keep it on window.
const setup = async ({ worker }) => {
  const api = await import("/dbtdefer.js");
  window.api = api;
  window.phases = [];
  await api.initialize(worker === undefined ? {} : { worker });
  return api.version;
};
// failure runs fn in the page and returns the error's data (or null).
const failure = async (page, fn, arg) =>
  page.evaluate(async ([src, arg]) => {
    try {
      await (0, eval)(src)(arg);
      return null;
    } catch (e) {
      return { data: e.toJSON?.() ?? { message: String(e) }, isDbtdeferError: e instanceof window.api.DbtdeferError };
    }
  }, [`(${fn})`, arg]);

describe("chromium", { skip }, () => {
  let browser, profile;
  const logs = [];

  before(async () => {
    const { chromium: pw } = await import("playwright-core");
    profile = mkdtempSync(join(tmpdir(), "dbtdefer-chromium-"));
    // The flags this machine needs (no sandbox as root, no background network).
    // playwright-core makes its own fresh profile; profile only holds crash dumps.
    browser = await pw.launch({
      executablePath: chromium,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", `--crash-dumps-dir=${profile}`],
    });
  });
  after(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (process.exitCode) console.log(logs.join("\n"));
  });

  async function newPage(worker) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    page.on("console", (m) => logs.push(`[console] ${m.text()}`));
    page.on("pageerror", (e) => logs.push(`[pageerror] ${e.message}`));
    await page.goto(`${base}/test/blank.html`);
    const v = await page.evaluate(setup, { worker });
    return { page, ctx, version: v };
  }

  describe("in a Web Worker (the default)", () => {
    let page, ctx;
    before(async () => ({ page, ctx } = await newPage(undefined)));
    after(() => ctx?.close());

    test("initialize starts the wasm in a worker", async () => {
      assert.equal(page.workers().length, 1);
      const wasm = await fetch(`${base}/dist/dbtdefer.wasm`, { headers: { "Accept-Encoding": "br" } });
      assert.equal(wasm.headers.get("content-type"), "application/wasm");
    });

    test("nodes, node and lineage in the worker", async () => {
      const got = await page.evaluate(async () => {
        const p = await window.api.openProject({
          manifest: "/testdata/defer-jaffle-shop-postgres/dev/manifest.json",
          state: "/testdata/defer-jaffle-shop-postgres/prod/manifest.json",
        });
        const out = {
          first: (await p.nodes({ query: "ord" })).nodes[0],
          total: (await p.nodes()).total,
          node: await p.node("model.jaffle_shop.orders"),
          lineage: await p.lineage("orders", { defer: "favor-state", select: [] }),
        };
        await p.dispose();
        return out;
      });
      assert.equal(got.first.name, "orders");
      assert.deepEqual(got.first.matches, [0, 1, 2]);
      assert.equal(got.total, 19); // 13 models and 6 seeds in the dev manifest
      assert.match(got.node.rawCode, /ref\('stg_orders'\)/);
      assert.equal(got.lineage.root, "model.jaffle_shop.orders");
      const up = got.lineage.nodes.filter((n) => n.depth === -1);
      assert.deepEqual(up.map((n) => n.name).sort(), ["order_items", "stg_orders"]);
      for (const n of up) assert.equal(n.env, "state", n.name);
    });

    test("resolve under off, standard and favor-state from URL inputs", async () => {
      const got = await page.evaluate(async () => {
        const p = await window.api.openProject({
          manifest: "/testdata/defer-jaffle-shop-postgres/dev/manifest.json",
          state: "/testdata/defer-jaffle-shop-postgres/prod/manifest.json",
          onProgress: (e) => window.phases.push(e.phase),
        });
        const out = {};
        for (const defer of ["off", "standard", "favor-state"]) {
          const { refs } = await p.resolve({ from: "customers", ref: "stg_customers", defer });
          out[defer] = { relation: refs[0].relation, env: refs[0].env, rule: refs[0].rule, inv: refs[0].state?.invocationId };
        }
        const known = await window.api.openProject({
          manifest: "/testdata/defer-jaffle-shop-postgres/dev/manifest.json",
          state: "/testdata/defer-jaffle-shop-postgres/prod/manifest.json",
          devRelations: ["dbt_dconnors.stg_customers"],
        });
        const r = (await known.resolve({ from: "customers", ref: "stg_customers", defer: "standard" })).refs[0];
        out.standardDevKnown = { relation: r.relation, env: r.env, rule: r.rule };
        await p.dispose();
        await known.dispose();
        return { out, phases: [...new Set(window.phases)] };
      });
      for (const mode of ["off", "standard", "favor-state"]) {
        const { inv, ...r } = got.out[mode];
        assert.deepEqual(r, expected[mode], mode);
        if (r.env === "state") assert.equal(inv, prodInvocation);
      }
      assert.deepEqual(got.out.standardDevKnown, expected.standardDevKnown);
      assert.deepEqual(got.phases, ["fetch", "copy", "index", "ready"]);
    });

    test("compile under off, standard and favor-state", async () => {
      const got = await page.evaluate(async () => {
        const p = await window.api.openProject({
          manifest: "/testdata/defer-jaffle-shop-postgres/dev/manifest.json",
          state: "/testdata/defer-jaffle-shop-postgres/prod/manifest.json",
        });
        const out = {};
        try {
          for (const defer of ["off", "standard", "favor-state"]) out[defer] = (await p.compile({ model: "customers", defer })).sql;
        } catch (e) {
          out.error = e.toJSON();
        }
        await p.dispose();
        return out;
      });
      assert.equal(got.error, undefined, JSON.stringify(got.error));
      for (const mode of ["off", "standard", "favor-state"]) assert.ok(got[mode].includes(expected[mode].relation), `${mode}: ${got[mode]}`);
    });

    test("a URL state is fetched once, then revalidated with a 304 and read from the Cache API", async () => {
      const got = await page.evaluate(async () => {
        await caches.delete("dbtdefer-inputs-v1");
        const url = "/testdata/defer-jaffle-shop-postgres/prod/manifest.json";
        const dev = new Uint8Array(await (await fetch("/testdata/defer-jaffle-shop-postgres/dev/manifest.json")).arrayBuffer());
        const infos = [];
        for (let i = 0; i < 2; i++) {
          const p = await window.api.openProject({ manifest: dev, state: url });
          infos.push(await p.stateInfo());
          await p.dispose();
        }
        const cached = await (await caches.open("dbtdefer-inputs-v1")).match(new URL(url, location.href).href);
        return { infos, cachedETag: cached?.headers.get("ETag") };
      });
      const [a, b] = got.infos;
      assert.equal(a.source.status, 200);
      assert.equal(a.source.fromCache, false);
      assert.equal(b.source.status, 304);
      assert.equal(b.source.fromCache, true);
      assert.equal(b.source.etag, a.source.etag);
      assert.equal(got.cachedETag, a.source.etag);
      assert.equal(b.source.fetchedAt, a.source.fetchedAt);
      assert.equal(b.invocationId, prodInvocation);
      assert.equal(b.file, `${base}/testdata/defer-jaffle-shop-postgres/prod/manifest.json`);
    });

    test("refreshState: production moves on, the page's project follows by ETag without re-indexing dev", { skip: !mutable && "no mutable folder" }, async () => {
      const prod = await readFile(new URL("prod/manifest.json", jaffle));
      const dev = await readFile(new URL("dev/manifest.json", jaffle));
      await publish("chromium-prod.json", prod);
      await page.evaluate(async () => {
        window.proj = await window.api.openProject({ manifest: "/testdata/defer-jaffle-shop-postgres/dev/manifest.json", state: "/mutable/chromium-prod.json",
          runURL: "https://ci.example/runs/{invocation_id}" });
        window.ask = async () => (await window.proj.resolve({ from: "customers", ref: "stg_customers", defer: "favor-state" })).refs[0];
      });
      const first = await page.evaluate(async () => ({ ref: await window.ask(), r: await window.proj.refreshState() }));
      assert.equal(first.ref.relation, expected["favor-state"].relation);
      assert.equal(first.ref.state.run.url, `https://ci.example/runs/${prodInvocation}`);
      assert.equal(first.r.changed, false);
      assert.equal(first.r.stateInfo.source.status, 304);
      await publish("chromium-prod.json", dev);
      const second = await page.evaluate(async () => {
        const t0 = performance.now();
        const r = await window.proj.refreshState();
        return { r, ms: performance.now() - t0, ref: await window.ask(), info: window.proj.info.state };
      });
      const devInvocation = JSON.parse(dev.toString()).metadata.invocation_id;
      assert.equal(second.r.changed, true);
      assert.equal(second.r.stateInfo.invocationId, devInvocation);
      assert.equal(second.r.stateInfo.source.status, 200);
      assert.equal(second.info.invocationId, devInvocation);
      assert.equal(second.ref.relation, expected.off.relation); // the kept answer was dropped
      assert.equal(second.ref.state.run.url, `https://ci.example/runs/${devInvocation}`);
      await publish("chromium-prod.json", Buffer.from("{not json"));
      const e = await failure(page, () => window.proj.refreshState());
      assert.ok(e?.isDbtdeferError && /^manifest\./.test(e.data.code), JSON.stringify(e));
      assert.equal((await page.evaluate(() => window.ask())).relation, expected.off.relation);
      await page.evaluate(() => window.proj.dispose());
    });

    test("a dev and a state as Files are read straight into the wasm and answer as bytes do", async () => {
      const got = await page.evaluate(async () => {
        const get = async (p) => new Uint8Array(await (await fetch(p)).arrayBuffer());
        const dev = await get("/testdata/defer-jaffle-shop-postgres/dev/manifest.json");
        const prod = await get("/testdata/defer-jaffle-shop-postgres/prod/manifest.json");
        const ask = async (p) => (await p.resolve({ from: "customers", ref: ["stg_orders", "customers"], defer: "favor-state", select: ["customers"] })).refs;
        const phases = [];
        const files = await window.api.openProject({
          manifest: new File([dev], "dev.json"), state: new File([prod], "prod.json"),
          onProgress: (e) => phases.push(`${e.phase}:${e.file ?? ""}`),
        });
        const bytes = await window.api.openProject({ manifest: dev, state: prod });
        const out = { files: await ask(files), bytes: await ask(bytes), info: files.info.state, phases };
        await files.dispose();
        await bytes.dispose();
        return out;
      });
      assert.deepEqual(got.files.map((r) => [r.relation, r.env, r.rule]), got.bytes.map((r) => [r.relation, r.env, r.rule]));
      assert.equal(got.files[0].env, "state");
      assert.equal(got.info.file, "prod.json");
      // Both Files were read (chunk by chunk, into the wasm), then indexed.
      assert.ok(got.phases.includes("read:dev.json") && got.phases.includes("read:prod.json"), got.phases.join(" "));
    });

    test("a corrupt manifest is a DbtdeferError with a code and location; the instance lives on", async () => {
      const e = await failure(page, async () => {
        const bytes = new TextEncoder().encode('{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"}, "nodes": {"model.a.b": {');
        await window.api.openProject({ manifest: new Blob([bytes]) });
      });
      assert.ok(e.isDbtdeferError);
      assert.match(e.data.code, /^manifest\./);
      assert.match(e.data.message, /truncated/);
      assert.deepEqual(Object.keys(e.data).sort(), ["code", "location", "message"]);
      const still = await page.evaluate(async () => {
        const p = await window.api.openProject({ manifest: "/testdata/defer-jaffle-shop-postgres/dev/manifest.json" });
        return (await p.resolve({ from: "customers", ref: "this" })).refs[0].relation;
      });
      assert.equal(still, '"postgres"."dbt_dconnors"."customers"');
    });

    test("unknown options are rejected by name; HTTP errors are data", async () => {
      const e = await failure(page, () => window.api.openProject({ manifest: "/x.json", stat: "/y.json" }));
      assert.equal(e.data.code, "options.unknown_key");
      assert.equal(e.data.location.suggestion, "state");
      const h = await failure(page, () => window.api.openProject({ manifest: "/testdata/missing/manifest.json" }));
      assert.equal(h.data.code, "fetch.http");
      assert.match(h.data.message, /404/);
    });
  });

  describe("on the main thread (worker: false)", () => {
    let page, ctx;
    before(async () => ({ page, ctx } = await newPage(false)));
    after(() => ctx?.close());

    test("resolves a duckdb pair with its catalog, no worker", async () => {
      assert.equal(page.workers().length, 0);
      const got = await page.evaluate(async () => {
        const d = "/testdata/defer-mrkidbk-duckdb/";
        const p = await window.api.openProject({ manifest: d + "dev/manifest.json", state: d + "prod/manifest.json", catalog: d + "dev/catalog.json" });
        const q = await window.api.openProject({ manifest: d + "dev/manifest.json", state: d + "prod/manifest.json" });
        const [a, b] = [(await p.resolve({ from: "customers", ref: "stg_customers", defer: "standard" })).refs[0], (await q.resolve({ from: "customers", ref: "stg_customers", defer: "standard" })).refs[0]];
        const e = await p.explain("customers");
        return { a: [a.relation, a.evidence], b: [b.relation, b.rule], explained: e.refs.length, info: p.info };
      });
      assert.deepEqual(got.a, ['"jaffle_shop"."main"."stg_customers"', "catalog"]);
      assert.deepEqual(got.b, ['"jaffle_shop"."prod"."stg_customers"', "dev-unknown-assumed-missing"]);
      assert.equal(got.explained, 4); // three refs and this
      assert.equal(got.info.adapterType, "duckdb");
    });
  });
});
