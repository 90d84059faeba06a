// The whole JS API in node, on the main thread and in a worker thread.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { base, bytes, duck, expected, fresh, jaffle, kbrock, manifests, mutable, prodInvocation, publish, root, teradata } from "./helpers.mjs";
import { DbtdeferError } from "../errors.js";

/** rejects asserts that p fails with a DbtdeferError of this code; returns it. */
async function rejects(p, code, contains) {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof DbtdeferError, `not a DbtdeferError: ${e?.stack ?? e}`);
    if (code instanceof RegExp) assert.match(e.code, code, e.message);
    else assert.equal(e.code, code, e.message);
    if (contains) assert.match(e.message, contains);
    const data = JSON.parse(JSON.stringify(e));
    assert.deepEqual(Object.keys(data).sort(), ["code", "location", "message"]);
    return e;
  }
  assert.fail(`expected a ${code} error`);
}

for (const worker of [false, true]) {
  describe(`node, ${worker ? "worker thread" : "main thread"}`, () => {
    let api, p;
    const phases = [];

    before(async () => {
      api = await fresh();
      await api.initialize({ worker });
      p = await api.openProject({
        manifest: await bytes(new URL("dev/manifest.json", jaffle)),
        state: await bytes(new URL("prod/manifest.json", jaffle)),
        onProgress: (e) => phases.push(e.phase),
      });
    });
    after(() => p?.dispose());

    test("opens a dev/prod pair and reports progress", () => {
      assert.equal(p.info.projectName, "jaffle_shop");
      assert.equal(p.info.adapterType, "postgres");
      assert.ok(p.info.hasState);
      assert.equal(p.info.state.invocationId, prodInvocation);
      // The only warning: production's run is from 2023 (older than the default 24 h).
      assert.deepEqual(p.warnings.map((w) => w.code), ["state.stale"]);
      assert.equal(p.info.state.stale, true);
      assert.deepEqual(phases, ["copy", "index", "ready"]);
    });

    for (const mode of ["off", "standard", "favor-state"]) {
      test(`resolve under defer ${mode}`, async () => {
        const { refs, diagnostics } = await p.resolve({ from: "customers", ref: "stg_customers", defer: mode });
        assert.deepEqual(diagnostics, []);
        assert.equal(refs.length, 1);
        const r = refs[0];
        assert.deepEqual({ relation: r.relation, env: r.env, rule: r.rule }, expected[mode]);
        assert.equal(r.uniqueId, "model.jaffle_shop.stg_customers");
        assert.equal(r.selected, false);
        if (r.env === "state") assert.equal(r.state.invocationId, prodInvocation);
      });
    }

    test("resolve takes several refs, sources and this", async () => {
      const { refs } = await p.resolve({ from: "model.jaffle_shop.customers", ref: ["stg_customers", "this"], defer: "standard", unknown: "present" });
      assert.deepEqual(refs.map((r) => [r.kind, r.env, r.rule]), [
        ["ref", "dev", "dev-unknown-assumed-present"],
        ["this", "dev", "this-never-deferred"],
      ]);
    });

    test("the result matches the CLI's --json field for field", async () => {
      const cli = execCLI(["resolve", "--manifest", rel(jaffle, "dev/manifest.json"), "--state", rel(jaffle, "prod/manifest.json"),
        "--defer", "standard", "--from", "customers", "stg_customers", "--json", "--stale-after", "0"]);
      const { refs } = await p.resolve({ from: "customers", ref: "stg_customers", defer: "standard" });
      const want = JSON.parse(cli);
      delete want.state.file; // the CLI names the state by its path, the API by what it was given
      const got = structuredClone(refs[0]);
      delete got.state.file;
      assert.deepEqual(Object.keys(got), Object.keys(want));
      assert.deepEqual(got, want);
    });

    test("explain gives every ref of a model with its rule", async () => {
      const e = await p.explain({ model: "customers", defer: "favor-state" });
      assert.equal(e.uniqueId, "model.jaffle_shop.customers");
      const refs = e.refs.filter((r) => r.kind === "ref");
      assert.ok(refs.length >= 2);
      for (const r of refs) assert.equal(r.rule, "favor-state-unselected", r.ref);
      assert.equal(e.refs.at(-1).kind, "this");
      assert.deepEqual((await p.explain("customers")).refs.map((r) => r.env).filter((x) => x !== "dev"), []);
    });

    test("analyze and complete: ranges in the editor's own units (JS string indices), refs resolved, completions ranked", async () => {
      const prodManifest = JSON.parse(await readFile(new URL("prod/manifest.json", jaffle), "utf8"));
      const sql = "-- naïve 😀 clients\r\nselect * from {{ ref('stg_orders') }}\n\tjoin {{ ref('stg_orderz') }}";
      const res = await p.analyze({ model: "customers", sql, defer: "standard" });
      assert.equal(res.uniqueId, "model.jaffle_shop.customers");
      const [ok, bad] = res.calls;
      assert.equal(ok.range.start.offset, sql.indexOf("ref('stg_orders')"));
      assert.equal(ok.range.end.offset, sql.indexOf("ref('stg_orders')") + "ref('stg_orders')".length);
      assert.equal(sql.slice(ok.range.start.offset, ok.range.end.offset), "ref('stg_orders')");
      assert.deepEqual([ok.range.start.line, ok.range.start.column], [2, 18]);
      assert.equal(ok.resolution.relation, prodManifest.nodes["model.jaffle_shop.stg_orders"].relation_name);
      assert.equal(ok.definition.path, "models/staging/stg_orders.sql");
      assert.equal(bad.resolution, undefined);
      const d = res.diagnostics.find((x) => x.code === "ref.not_found");
      assert.equal(d.severity, "error");
      assert.equal(d.suggestion, "stg_orders");
      assert.equal(sql.slice(d.range.start.offset, d.range.end.offset), "'stg_orderz'");
      assert.deepEqual([d.range.start.line, d.range.start.column], [3, 14]);

      const buf = "select * from {{ ref('stg_cu') }}";
      const c = await p.complete({ model: "customers", sql: buf, offset: buf.indexOf("')"), defer: "standard" });
      assert.equal(c.context, "ref");
      assert.equal(c.items[0].label, "stg_customers");
      assert.ok(c.items[0].detail.includes(prodManifest.nodes["model.jaffle_shop.stg_customers"].relation_name), c.items[0].detail);
      assert.equal(buf.slice(0, c.from.offset) + c.items[0].insertText + buf.slice(c.to.offset), "select * from {{ ref('stg_customers') }}");

      await rejects(p.analyze({ sql: "x", modle: "customers" }), "options.unknown_key");
      await rejects(p.complete({ sql: "x" }), "options.missing");
      await rejects(p.analyze({ sql: 1 }), "options.type");
    });

    test("nodes, node and lineage list and navigate the project from Go", async () => {
      const dev = JSON.parse(await readFile(new URL("dev/manifest.json", jaffle), "utf8")); // the oracle
      const pickable = Object.values(dev.nodes).filter((n) => ["model", "seed", "snapshot", "analysis"].includes(n.resource_type));
      const all = await p.nodes({ limit: 1000 });
      assert.equal(all.total, pickable.length);
      assert.deepEqual(all.nodes.map((n) => n.uniqueId).sort(), pickable.map((n) => n.unique_id).sort());
      for (const n of all.nodes) {
        const d = dev.nodes[n.uniqueId];
        assert.equal(n.name, d.name);
        assert.equal(n.path, d.original_file_path);
        assert.equal(n.state, "unchanged", n.uniqueId);
      }
      const page = await p.nodes({ query: "stg", limit: 2 });
      assert.equal(page.nodes.length, 2);
      assert.ok(page.total > 2);
      for (const n of page.nodes) assert.equal(n.matches.length, 3);
      assert.equal((await p.nodes({ resourceType: "seed" })).total, pickable.filter((n) => n.resource_type === "seed").length);
      const node = await p.node("customers");
      assert.equal(node.rawCode, dev.nodes["model.jaffle_shop.customers"].raw_code);
      assert.deepEqual(node.columns.map((c) => c.name).sort(), Object.keys(dev.nodes["model.jaffle_shop.customers"].columns).sort());
      assert.deepEqual(node.tests.map((t) => t.uniqueId).sort(), dev.child_map["model.jaffle_shop.customers"].filter((c) => c.startsWith("test.")).sort());
      const lin = await p.lineage("customers", { down: false, defer: "favor-state", select: [] });
      assert.deepEqual(lin.nodes.slice(1).map((n) => n.uniqueId).sort(), dev.parent_map["model.jaffle_shop.customers"].slice().sort());
      for (const n of lin.nodes.slice(1)) assert.equal(n.rule, "favor-state-unselected", n.uniqueId);
      await rejects(p.nodes({ qurey: "x" }), "options.unknown_key", /"query"/);
      await rejects(p.nodes({ limit: -1 }), "options.type", /limit/);
      await rejects(p.nodes({ resourceType: "modle" }), "options.invalid", /modle/);
      await rejects(p.node("custmers"), "node.not_found", /custmers/);
      await rejects(p.node(42), "options.type");
      await rejects(p.lineage("customers", { depht: 2 }), "options.unknown_key", /"depth"/);
    });

    test("select returns unique_ids", async () => {
      const s = await p.select("customers");
      assert.ok(s.uniqueIds.includes("model.jaffle_shop.customers"));
      const s2 = await p.select({ select: ["customers", "orders"], exclude: "orders" });
      assert.ok(!s2.uniqueIds.includes("model.jaffle_shop.orders"));
    });

    test("stateInfo names the production run and where the bytes came from", async () => {
      const s = await p.stateInfo();
      assert.equal(s.invocationId, prodInvocation);
      assert.equal(s.dbtVersion, "1.8.0a1");
      assert.deepEqual(s.source, { kind: "bytes", size: (await bytes(new URL("prod/manifest.json", jaffle))).byteLength });
    });

    test("compile validates, then answers", async () => {
      await rejects(p.compile({ model: "customers", varz: {} }), "options.unknown_key", /"varz" \(did you mean "vars"\?\)/);
      await rejects(p.compile({ model: "customers", incremental: "yes" }), "options.type", /incremental/);
      await rejects(p.compile({}), "options.missing");
      await rejects(p.compile({ model: "nope_model" }), "node.not_found");
      const res = await p.compile({ model: "customers", defer: "standard" });
      assert.match(res.sql, /"postgres"\."prod"\."stg_customers"/);
      const empty = await p.compile({ model: "customers", defer: "standard", empty: true });
      assert.match(empty.sql, /\(select \* from "postgres"\."prod"\."stg_customers" where false limit 0\) _dbt_limit_subq_stg_customers/);
    });

    test("a repeated call is answered again, as a fresh object the caller may change", async () => {
      const req = { from: "customers", ref: ["stg_customers", "orders"], defer: "standard" };
      const a = await p.resolve(req);
      a.refs[0].relation = "changed by the caller";
      a.refs.pop();
      const b = await p.resolve(req);
      assert.equal(b.refs.length, 2);
      assert.equal(b.refs[0].relation, expected.standard.relation);
      assert.notEqual(a, b);
      const c1 = await p.compile({ model: "customers", defer: "favor-state" });
      c1.sql = "";
      assert.match((await p.compile({ model: "customers", defer: "favor-state" })).sql, /"postgres"\."prod"\."stg_customers"/);
    });

    test("maxManifestBytes refuses a bigger manifest or state before it reaches the wasm", async () => {
      const dev = await bytes(new URL("dev/manifest.json", jaffle));
      const prod = await bytes(new URL("prod/manifest.json", jaffle));
      const e = await rejects(api.openProject({ manifest: dev, maxManifestBytes: 1000 }), "manifest.too_large", /over maxManifestBytes \(1000 bytes\)/);
      assert.equal(e.location.file, "manifest");
      await rejects(api.openProject({ manifest: dev, state: new Blob([prod, prod]), maxManifestBytes: dev.byteLength }), "manifest.too_large", /state is \d+ bytes/);
      const ok = await api.openProject({ manifest: dev, maxManifestBytes: dev.byteLength });
      await ok.dispose();
      // The project opened before is still there.
      assert.equal((await p.resolve({ from: "customers", ref: "stg_customers" })).refs[0].rule, "defer-off");
    });

    test("transfer: true hands the bytes over (detached in a worker) and opens the same project", async () => {
      const dev = (await bytes(new URL("dev/manifest.json", jaffle))).slice();
      const q = await api.openProject({ manifest: dev, transfer: true });
      assert.equal(dev.byteLength, worker ? 0 : 740240, "a worker takes the buffer; the main thread leaves it");
      assert.equal((await q.resolve({ from: "customers", ref: "stg_customers" })).refs[0].rule, "defer-off");
      await q.dispose();
      await rejects(api.openProject({ manifest: new Uint8Array(1), transfer: "yes" }), "options.type", /transfer/);
    });

    test("memoryUsage reports the Go heap holding the open project", async () => {
      const m = await api.memoryUsage();
      assert.deepEqual(Object.keys(m).sort(), ["heapLiveBytes", "heapSysBytes", "projects", "sysBytes", "wasmMemoryBytes"]);
      assert.ok(m.projects >= 1, `projects ${m.projects}`);
      // The project keeps its dev and prod manifest bytes, so the live heap is at least their size.
      const inputs = (await bytes(new URL("dev/manifest.json", jaffle))).byteLength + (await bytes(new URL("prod/manifest.json", jaffle))).byteLength;
      assert.ok(m.heapLiveBytes >= inputs, `heapLive ${m.heapLiveBytes} < inputs ${inputs}`);
      assert.ok(m.heapLiveBytes <= m.heapSysBytes && m.heapSysBytes <= m.sysBytes && m.sysBytes <= m.wasmMemoryBytes, JSON.stringify(m));
    });

    test("options are validated and unknown keys rejected by name", async () => {
      const e = await rejects(p.resolve({ from: "customers", ref: "x", defr: "standard" }), "options.unknown_key", /"defr"/);
      assert.equal(e.location.suggestion, "defer");
      await rejects(p.resolve({ from: "customers", ref: "x", defer: "favour-state" }), "options.type", /did you mean "favor-state"/);
      await rejects(p.resolve({ from: "customers" }), "options.missing", /ref/);
      // A key every object inherits is no option either.
      await rejects(p.resolve({ from: "customers", ref: "x", toString: 1 }), "options.unknown_key", /"toString"/);
      await rejects(p.resolve({ from: "customers", ref: 3 }), "options.type");
      await rejects(p.resolve(null), "options.type");
      await rejects(p.select({ selector: "x" }), "options.unknown_key", /did you mean "select"/);
      await rejects(api.openProject({ manifest: new Uint8Array(), statee: "x" }), "options.unknown_key", /did you mean "state"/);
      await rejects(api.openProject({ state: new Uint8Array([1]) }), "options.missing", /manifest/);
      await rejects(api.openProject({ manifest: 42 }), "options.type");
    });

    test("resolve errors are data with dbt's wording and a suggestion", async () => {
      const e = await rejects(p.resolve({ from: "customers", ref: "stg_custmers" }), "ref.not_found", /depends on a node named 'stg_custmers' which was not found/);
      assert.equal(e.location.suggestion, "stg_customers");
      assert.equal(e.location.uniqueId, "model.jaffle_shop.customers");
      await rejects(p.resolve({ from: "nobody", ref: "x" }), "node.not_found");
    });

    test("a corrupt manifest is an error, not a dead instance", async () => {
      const corrupt = new TextEncoder().encode('{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"}, "nodes": {"model.a.b": {');
      const e = await rejects(api.openProject({ manifest: corrupt }), /^manifest\./, /truncated/);
      assert.equal(e.location.file, "manifest.json");
      await rejects(api.openProject({ manifest: await bytes(new URL("dev/manifest.json", jaffle)), state: new TextEncoder().encode("not json") }), /^manifest\./);
      // The instance lives on.
      assert.equal((await p.resolve({ from: "customers", ref: "stg_customers" })).refs.length, 1);
    });

    test("a call made from onProgress while a project opens runs after the open", async () => {
      // On the calling thread, onProgress runs inside the wasm's open: the
      // call waits for the open to end. In a worker, it waits its turn.
      const pending = [];
      const q = await api.openProject({
        manifest: await bytes(new URL("dev/manifest.json", jaffle)),
        onProgress: (e) => e.phase === "index" && pending.push(p.resolve({ from: "customers", ref: "stg_orders" }).then(() => "ok", (err) => err.code)),
      });
      assert.ok(pending.length > 0, "no index progress");
      assert.deepEqual(await Promise.all(pending), pending.map(() => "ok"));
      assert.equal((await p.resolve({ from: "customers", ref: "stg_customers", defer: "standard" })).refs.length, 1);
      await q.dispose();
    });

    test("a manifest indexed on two cores (parallel) answers as one indexed on one", async () => {
      // parallel: 1 splits every manifest (by default only 16 MB and more).
      const split = await fresh();
      await split.initialize({ worker, parallel: 1 });
      for (const dir of [jaffle, duck]) {
        const dev = await bytes(new URL("dev/manifest.json", dir));
        const state = await bytes(new URL("prod/manifest.json", dir));
        const a = await split.openProject({ manifest: dev, state });
        const b = await api.openProject({ manifest: dev, state });
        assert.equal(a.info.parallelIndex, true, `${dir}: the helper's index of the manifest was not used`);
        assert.equal(a.info.stateParallelIndex, true, `${dir}: the helper's index of the state was not used`);
        assert.equal(b.info.parallelIndex || b.info.stateParallelIndex, false);
        // The state's age is read at each open (a second may pass between the two).
        const ageless = (info) => ({ ...info, state: info.state && { ...info.state, age: 0 } });
        assert.ok(Math.abs(a.info.state.age - b.info.state.age) <= 5);
        assert.deepEqual(ageless({ ...a.info, parallelIndex: false, stateParallelIndex: false }), ageless(b.info));
        const models = (await b.select("resource_type:model")).uniqueIds;
        assert.ok(models.length > 3);
        assert.deepEqual((await a.select("resource_type:model")).uniqueIds, models);
        for (const m of models) {
          for (const defer of ["off", "favor-state"]) {
            assert.deepEqual(await a.explain({ model: m, defer }), await b.explain({ model: m, defer }), `${m} ${defer}`);
          }
        }
        await a.dispose();
        await b.dispose();
      }
      await rejects(split.openProject({ manifest: new TextEncoder().encode('{"nodes": {"model.a.b": {"name": "b"}, "model.a.c": {"name": '), state: undefined }), /^manifest\./, /truncated/);
      // The manifest and the state as views of one buffer, handed over: the
      // helper must not take (and so detach) the state with the manifest.
      const dev = await bytes(new URL("dev/manifest.json", jaffle));
      const state = await bytes(new URL("prod/manifest.json", jaffle));
      const one = new Uint8Array(dev.byteLength + state.byteLength);
      one.set(dev);
      one.set(state, dev.byteLength);
      const q = await split.openProject({ manifest: one.subarray(0, dev.byteLength), state: one.subarray(dev.byteLength), transfer: true });
      assert.equal(q.info.hasState, true);
      assert.equal(q.info.parallelIndex, true);
      assert.equal(q.info.stateParallelIndex, true);
      await q.dispose();
    });

    test("a warmed project (heads decoded in the background) answers as one that is not", async () => {
      const cold = await fresh();
      await cold.initialize({ worker, warm: false });
      for (const dir of [jaffle, duck]) {
        const dev = await bytes(new URL("dev/manifest.json", dir));
        const state = await bytes(new URL("prod/manifest.json", dir));
        const a = await api.openProject({ manifest: dev, state });
        const b = await cold.openProject({ manifest: dev, state });
        const models = (await b.select("resource_type:model")).uniqueIds;
        assert.ok(models.length > 3);
        // Asked while warming (the first slice waits 50 ms), then after.
        const early = await a.explain({ model: models[0], defer: "favor-state" });
        await a.warmed();
        await b.warmed(); // without warming: settled at once
        assert.deepEqual(early, await b.explain({ model: models[0], defer: "favor-state" }));
        const names = new Set();
        for (const m of models) {
          for (const defer of ["off", "standard", "favor-state"]) {
            const e = await b.explain({ model: m, defer });
            assert.deepEqual(await a.explain({ model: m, defer }), e, `${m} ${defer}`);
            for (const r of e.refs) if (r.kind === "ref") names.add(r.ref);
          }
        }
        assert.ok(names.size > 3);
        for (const m of models) {
          const req = { from: m, ref: [...names], defer: "standard", profile: "legacy" }; // a request explain never made
          assert.deepEqual(await a.resolve(req), await b.resolve(req), m);
        }
        await a.dispose();
        await a.warmed(); // disposed: settles
        await b.dispose();
      }
      await rejects(cold.initialize({ worker, warm: "yes" }), "initialize.twice");
      const other = await fresh();
      await rejects(other.initialize({ worker, warm: "yes" }), "options.type", /"warm" must be a boolean/);
    });

    test("initialize runs once; openProject needs it", async () => {
      await rejects(api.initialize({ worker }), "initialize.twice");
      const other = await fresh();
      await rejects(other.openProject({ manifest: new Uint8Array() }), "initialize.required");
      await rejects(other.initialize({ wasmUrl: "x" }), "options.unknown_key", /did you mean "wasmURL"/);
      // A failed start may be retried.
      await rejects(other.initialize({ wasmURL: new URL("nope.wasm", root), worker }), "wasm.load");
    });

    test("Blob and file: URL inputs", async () => {
      const q = await api.openProject({
        manifest: new Blob([await readFile(new URL("dev/manifest.json", duck))]),
        state: new URL("prod/manifest.json", duck),
        catalog: new URL("dev/catalog.json", duck).href,
      });
      const { refs } = await q.resolve({ from: "customers", ref: "stg_customers", defer: "standard" });
      assert.equal(refs[0].relation, '"jaffle_shop"."main"."stg_customers"');
      assert.equal(refs[0].evidence, "catalog");
      assert.equal((await q.stateInfo()).source.kind, "file");
      await q.dispose();
      await rejects(q.stateInfo(), "project.disposed");
    });

    test("catalogs answer introspection: a deferred ref reads production's", async () => {
      const prodCatalog = JSON.parse(await readFile(new URL("prod/catalog.json", duck), "utf8"));
      const q = await api.openProject({
        manifest: new URL("dev/manifest.json", duck),
        state: new URL("prod/manifest.json", duck),
        catalog: new URL("dev/catalog.json", duck),
        // bytes: refreshState has no URL to fetch it again from
        stateCatalog: await bytes(new URL("prod/catalog.json", duck)),
      });
      const sql = "{% for c in adapter.get_columns_in_relation(ref('customers')) %}{{ c.name }},{% endfor %}";
      const cols = Object.values(prodCatalog.nodes["model.jaffle_shop.customers"].columns).sort((a, b) => a.index - b.index).map((c) => c.name + ",");
      const r = await q.compile({ sql, defer: "favor-state" });
      assert.equal(r.sql, cols.join(""));
      assert.equal(r.selfContained, true);
      assert.equal(r.introspection.length, 1);
      assert.equal(r.introspection[0].answeredBy, "stateCatalog");
      assert.equal(r.introspection[0].deferred, true);
      assert.equal(r.introspection[0].file, "state/catalog.json");
      // Another run's state without its catalog drops production's catalog, and says so.
      const prod = await readFile(new URL("prod/manifest.json", duck), "utf8");
      const { invocation_id } = JSON.parse(prod).metadata;
      const next = new TextEncoder().encode(prod.replace(invocation_id, "00000000-0000-0000-0000-000000000000"));
      const res = await q.refreshState({ state: next });
      assert.equal(res.changed, true);
      assert.ok(res.warnings.some((w) => w.code === "state.catalog_dropped"), JSON.stringify(res.warnings));
      const after = await q.compile({ sql, defer: "favor-state" });
      assert.equal(after.sql, "");
      assert.equal(after.selfContained, false);
      assert.equal(after.introspection[0].answeredBy, "");
      await q.dispose();
      await rejects(api.openProject({ manifest: new URL("dev/manifest.json", duck), stateCatalog: new URL("prod/catalog.json", duck) }), "options.state_catalog");
    });

    test("dbt Mesh: a cross-project ref reads the producer's relation, never deferred", async () => {
      const mesh = new URL("mesh-dpguthrie-snowflake/", manifests);
      const producer = JSON.parse(await readFile(new URL("upstream/manifest.json", mesh), "utf8"));
      const q = await api.openProject({
        manifest: new URL("downstream/manifest.json", mesh),
        state: new URL("downstream/manifest.json", mesh),
        upstream: { upstream: new URL("upstream/manifest.json", mesh) },
        dependenciesYml: new URL("downstream/dependencies.yml", mesh),
      });
      for (const defer of ["off", "standard", "favor-state"]) {
        const { refs } = await q.resolve({ from: "agg_segment_page_views", ref: "upstream.int_segment__pages", defer });
        assert.equal(refs[0].relation, producer.nodes["model.upstream.int_segment__pages"].relation_name);
        assert.equal(refs[0].env, "upstream");
        assert.equal(refs[0].rule, "cross-project");
        assert.equal(refs[0].upstream.source, "manifest");
      }
      await rejects(q.resolve({ from: "agg_segment_page_views", ref: "upstream.stg_dbtc__pages" }), "ref.protected", /protected to the 'upstream' package/);
      await q.dispose();
      await rejects(api.openProject({ manifest: new URL("downstream/manifest.json", mesh), upstream: { upstream: 3 } }), "options.type");
    });

    test("run_results, devRelations and projectYml feed the project", async () => {
      const q = await api.openProject({
        manifest: await bytes(new URL("dev/manifest.json", duck)),
        state: await bytes(new URL("prod/manifest.json", duck)),
        runResults: await bytes(new URL("dev/run_results.json", duck)),
        projectYml: new TextEncoder().encode("name: jaffle_shop\nquoting:\n  identifier: false\n"),
      });
      const { refs } = await q.resolve({ from: "customers", ref: "stg_customers", defer: "standard" });
      assert.equal(refs[0].evidence, "run_results");
      assert.equal(refs[0].relation, '"jaffle_shop"."main".stg_customers');
      await q.dispose();
      const r = await api.openProject({ manifest: await bytes(new URL("dev/manifest.json", jaffle)), state: await bytes(new URL("prod/manifest.json", jaffle)), devRelations: ["dbt_dconnors.stg_customers"] });
      const res = await r.resolve({ from: "customers", ref: "stg_customers", defer: "standard" });
      assert.deepEqual(pick(res.refs[0]), expected.standardDevKnown);
      await r.dispose();
    });

    test("packageProjects: a package's own vars reach its nodes, under the root's", async () => {
      const q = await api.openProject({
        manifest: new URL("aparser-v5-jaffle/manifest.json", manifests),
        projectYml: new TextEncoder().encode("name: jaffle_shop\nvars:\n  b: root\n"),
        packageProjects: {
          "dbt_packages/elementary/dbt_project.yml": new TextEncoder().encode("name: elementary\nvars:\n  a: pkg\n  b: pkg\n"),
          "dbt_packages/broken/dbt_project.yml": new TextEncoder().encode("vars: [\n"),
        },
      });
      assert.ok(q.warnings.some((w) => w.code === "project_yml.parse" && w.location.file === "dbt_packages/broken/dbt_project.yml"), JSON.stringify(q.warnings));
      const sql = "{{ var('a') }}|{{ var('b') }}";
      assert.equal((await q.compile({ model: "model.elementary.elementary_runs", sql })).sql, "pkg|root");
      // a root-project node does not see the package's file
      await rejects(q.compile({ model: "model.jaffle_shop.dim_customers", sql }), "compile.var", /Required var 'a'/);
      await q.dispose();
      await rejects(api.openProject({ manifest: new URL("aparser-v5-jaffle/manifest.json", manifests), packageProjects: ["x"] }), "options.type", /packageProjects/);
    });

    test("defer without a state is an error", async () => {
      const q = await api.openProject({ manifest: await bytes(new URL("dev/manifest.json", jaffle)) });
      assert.equal(await q.stateInfo(), null);
      await rejects(q.resolve({ from: "customers", ref: "stg_customers", defer: "standard" }), "defer.no_state");
      await q.dispose();
    });

    test("a URL state is revalidated: 200, then 304 from the cache", { skip: !base && "no devserver (run test/run.mjs)" }, async () => {
      const url = `${base}/testdata/defer-jaffle-shop-postgres/prod/manifest.json?${worker ? "w" : "m"}`;
      const dev = await bytes(new URL("dev/manifest.json", jaffle));
      const fetchPhases = [];
      const a = await api.openProject({ manifest: dev, state: url, onProgress: (e) => e.phase === "fetch" && fetchPhases.push(e) });
      const b = await api.openProject({ manifest: dev, state: url });
      const [sa, sb] = [await a.stateInfo(), await b.stateInfo()];
      assert.equal(sa.source.status, 200);
      assert.equal(sa.source.fromCache, false);
      assert.equal(sb.source.status, 304);
      assert.equal(sb.source.fromCache, true);
      assert.equal(sb.source.etag, sa.source.etag);
      assert.equal(sb.source.fetchedAt, sa.source.fetchedAt);
      assert.equal(sb.invocationId, prodInvocation);
      assert.equal(sb.file, url);
      assert.ok(fetchPhases.length >= 2 && fetchPhases.at(-1).loaded === sa.source.size);
      const { refs } = await b.resolve({ from: "customers", ref: "stg_customers", defer: "favor-state" });
      assert.deepEqual(pick(refs[0]), expected["favor-state"]);
      await a.dispose();
      await b.dispose();
      await rejects(api.openProject({ manifest: dev, state: `${base}/testdata/nope.json` }), "fetch.http", /404/);
    });
  });
}

// The production run behind the state: its link, age and run results, and
// a state that follows production (refreshState, watchState) against the
// devserver's mutable/ folder, whose files the test rewrites as a
// production deploy would.
for (const worker of [false, true]) {
  describe(`production run, node ${worker ? "worker thread" : "main thread"}`, () => {
    let api;
    const mode = worker ? "w" : "m";
    before(async () => {
      api = await fresh();
      await api.initialize({ worker });
    });

    test("runURL links to the dbt Cloud run; age and staleness; bad templates are refused", async () => {
      const data = await bytes(new URL("manifest.json", kbrock));
      const env = JSON.parse(new TextDecoder().decode(data)).metadata.env;
      const p = await api.openProject({ manifest: data, state: data, runURL: "https://cloud.getdbt.com/deploy/9/projects/{DBT_CLOUD_PROJECT_ID}/runs/{DBT_CLOUD_RUN_ID}" });
      const info = await p.stateInfo();
      assert.equal(info.run.url, `https://cloud.getdbt.com/deploy/9/projects/${env.DBT_CLOUD_PROJECT_ID}/runs/${env.DBT_CLOUD_RUN_ID}`);
      assert.equal(info.run.jobId, env.DBT_CLOUD_JOB_ID);
      assert.equal(info.run.trigger, env.DBT_CLOUD_RUN_REASON);
      const age = (Date.now() - Date.parse(info.generatedAt)) / 1000;
      assert.ok(Math.abs(info.age - age) < 120, `age ${info.age}, expected about ${age}`);
      assert.equal(info.stale, true); // a 2023 run
      assert.ok(p.warnings.some((w) => w.code === "state.stale"));
      const { refs } = await p.resolve({ ref: "stg_tpch_orders", defer: "favor-state" });
      assert.equal(refs[0].env, "state");
      assert.equal(refs[0].state.run.url, info.run.url);
      await p.dispose();
      const q = await api.openProject({ manifest: data, state: data, staleAfterMs: 0, runURL: "https://x.example/{DBT_CLOUD_ACCOUNT_ID}" });
      assert.equal((await q.stateInfo()).stale, undefined);
      assert.ok(!q.warnings.some((w) => w.code === "state.stale"));
      assert.ok(q.warnings.some((w) => w.code === "state.run_url_placeholder" && /DBT_CLOUD_ACCOUNT_ID/.test(w.message)));
      assert.equal((await q.stateInfo()).run.url, undefined);
      await q.dispose();
      for (const bad of ["javascript:alert(1)", "ftp://x/{a}", "https://x/{a", "/relative/{DBT_CLOUD_RUN_ID}"]) {
        await rejects(api.openProject({ manifest: data, state: data, runURL: bad }), "options.type", /runURL/);
      }
    });

    test("stateRunResults: a deferred ref carries production's status; a failed parent warns", async () => {
      const data = await bytes(new URL("manifest.json", teradata));
      const rr = JSON.parse(await readFile(new URL("run_results.json", teradata), "utf8"));
      const failed = rr.results.find((r) => r.status === "error");
      const p = await api.openProject({ manifest: data, state: data, stateRunResults: new URL("run_results.json", teradata), staleAfterMs: 0 });
      const name = failed.unique_id.split(".").at(-1);
      const res = await p.resolve({ ref: [name, "stg_orders", "raw_orders"], defer: "favor-state" });
      assert.equal(res.refs[0].stateRun.status, "error");
      assert.equal(res.refs[0].stateRun.completedAt, failed.timing.at(-1).completed_at);
      assert.equal(res.refs[1].stateRun.status, rr.results.find((r) => r.unique_id.endsWith(".stg_orders")).status);
      assert.equal(res.refs[2].stateRun.status, "absent"); // a seed: not in a `dbt run`
      const warned = res.diagnostics.filter((d) => d.code === "state.parent_not_success").map((d) => d.location.uniqueId).sort();
      assert.deepEqual(warned, [failed.unique_id, "seed.jaffle_shop_teradata.raw_orders"]);
      const info = await p.stateInfo();
      assert.equal(info.runResults.command, "run");
      assert.equal(info.runResults.counts.error, rr.results.filter((r) => r.status === "error").length);
      await p.dispose();
    });

    test("refreshState follows production by ETag; a failed refresh keeps the state", { skip: !mutable && "no devserver (run test/run.mjs)" }, async () => {
      const prod = await bytes(new URL("prod/manifest.json", jaffle));
      const dev = await bytes(new URL("dev/manifest.json", jaffle));
      await publish(`prod-${mode}.json`, prod);
      const url = `${base}/mutable/prod-${mode}.json`;
      const p = await api.openProject({ manifest: dev, state: url, cache: false });
      const ask = async () => (await p.resolve({ from: "customers", ref: "stg_customers", defer: "favor-state" })).refs[0].relation;
      assert.equal(await ask(), expected["favor-state"].relation);
      let r = await p.refreshState();
      assert.equal(r.changed, false);
      assert.equal(r.stateInfo.source.status, 304);
      // Production deploys: the state is now the dev manifest's coordinates.
      await publish(`prod-${mode}.json`, dev);
      r = await p.refreshState();
      assert.equal(r.changed, true);
      assert.equal(r.stateInfo.source.status, 200);
      const devInvocation = JSON.parse(new TextDecoder().decode(dev)).metadata.invocation_id;
      assert.equal(r.stateInfo.invocationId, devInvocation);
      assert.equal(p.info.state.invocationId, devInvocation);
      assert.equal(await ask(), expected.off.relation); // the kept answer was dropped
      // Broken bytes, then another project's state: errors, and the state stays.
      await publish(`prod-${mode}.json`, new TextEncoder().encode('{"metadata": {"dbt_schema_version": '));
      await rejects(p.refreshState(), /^manifest\./);
      await publish(`prod-${mode}.json`, await bytes(new URL("manifest.json", teradata)));
      await rejects(p.refreshState(), "state.other_project", /jaffle_shop_teradata/);
      assert.equal((await p.stateInfo()).invocationId, devInvocation);
      assert.equal(await ask(), expected.off.relation);
      // Production comes back: one refresh swaps it in again.
      await publish(`prod-${mode}.json`, prod);
      assert.equal((await p.refreshState()).changed, true);
      assert.equal(await ask(), expected["favor-state"].relation);
      await p.dispose();
      await rejects(p.refreshState(), "project.disposed");
    });

    test("watchState refreshes in the background and calls onStateChange", { skip: !mutable && "no devserver (run test/run.mjs)" }, async () => {
      const prod = await bytes(new URL("prod/manifest.json", jaffle));
      const dev = await bytes(new URL("dev/manifest.json", jaffle));
      await publish(`watch-${mode}.json`, prod);
      let changed;
      const seen = new Promise((resolve) => (changed = resolve));
      const p = await api.openProject({ manifest: dev, state: `${base}/mutable/watch-${mode}.json`, cache: false, watchState: { everyMs: 1000 }, onStateChange: changed });
      await publish(`watch-${mode}.json`, dev);
      const r = await Promise.race([seen, new Promise((_, reject) => setTimeout(() => reject(new Error("no onStateChange in 10 s")), 10_000))]);
      assert.equal(r.changed, true);
      assert.equal(r.stateInfo.invocationId, JSON.parse(new TextDecoder().decode(dev)).metadata.invocation_id);
      await p.dispose();
      await rejects(api.openProject({ manifest: dev, watchState: { everyMs: 1000 } }), "options.conflict");
      await rejects(api.openProject({ manifest: dev, state: prod, watchState: { everyMs: 10 } }), "options.type", /everyMs/);
    });

    test("stateOrigin: bytes the caller downloaded revalidate at their URL", { skip: !mutable && "no devserver (run test/run.mjs)" }, async () => {
      const prod = await bytes(new URL("prod/manifest.json", jaffle));
      const dev = await bytes(new URL("dev/manifest.json", jaffle));
      await publish(`origin-${mode}.json`, prod);
      const url = `${base}/mutable/origin-${mode}.json`;
      const res = await fetch(url);
      const got = new Uint8Array(await res.arrayBuffer());
      const p = await api.openProject({ manifest: dev, state: new Blob([got]), stateOrigin: { url, etag: res.headers.get("ETag") } });
      const r = await p.refreshState();
      assert.equal(r.changed, false);
      assert.equal(r.stateInfo.source.status, 304);
      await publish(`origin-${mode}.json`, dev);
      assert.equal((await p.refreshState()).changed, true);
      await p.dispose();
      await rejects(api.openProject({ manifest: dev, state: url, stateOrigin: { url } }), "options.conflict");
      await rejects(api.openProject({ manifest: dev, state: prod, stateOrigin: { uri: url } }), "options.type", /stateOrigin/);
    });

    test("a state given as bytes refreshes from new bytes only", async () => {
      const prod = await bytes(new URL("prod/manifest.json", jaffle));
      const dev = await bytes(new URL("dev/manifest.json", jaffle));
      const p = await api.openProject({ manifest: dev, state: prod });
      await rejects(p.refreshState(), "state.not_url");
      const r = await p.refreshState({ state: dev });
      assert.equal(r.changed, true);
      assert.equal(dev.byteLength > 0, true); // the caller's bytes were copied, not taken
      assert.equal((await p.refreshState({ state: dev })).changed, false);
      await rejects(p.refreshState({ stat: dev }), "options.unknown_key", /did you mean "state"/);
      await p.dispose();
    });
  });
}

test("version handshake: a wasm of another version is refused", { skip: !process.env.DBTDEFER_MISMATCH_WASM && "no mismatched wasm (run test/run.mjs)" }, async () => {
  const api = await fresh();
  await rejects(api.initialize({ wasmURL: new URL(`file://${process.env.DBTDEFER_MISMATCH_WASM}`), worker: false }), "version.mismatch", /0\.0\.0-mismatch/);
});

test("dbtdefer.js and the Go bridge carry the same version", async () => {
  const go = await readFile(new URL("wasm/browser/version.go", root), "utf8");
  const { version } = await import("../version.js");
  assert.equal(/var Version = "([^"]+)"/.exec(go)?.[1], version);
  const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8"));
  assert.equal(pkg.version, version);
});

test("dbtdefer.d.ts declares every Project method and option", async () => {
  const dts = await readFile(new URL("../dbtdefer.d.ts", import.meta.url), "utf8");
  const js = await readFile(new URL("../dbtdefer.js", import.meta.url), "utf8");
  for (const m of ["resolve", "compile", "select", "explain", "stateInfo", "refreshState", "watchState", "dispose", "initialize", "openProject"]) {
    assert.match(dts, new RegExp(`\\b${m}\\(`), m);
  }
  // Every option key the JS accepts is typed.
  for (const [, keys] of js.matchAll(/check\("\w+", \w+, \{([^}]*)\}/g)) {
    for (const [, k] of keys.matchAll(/(\w+):/g)) assert.match(dts, new RegExp(`\\b${k}\\??:`), k);
  }
});

function pick(r) {
  return { relation: r.relation, env: r.env, rule: r.rule };
}

function rel(dir, p) {
  return new URL(p, dir).pathname;
}

import { execFileSync } from "node:child_process";
let cliBuilt = false;
function execCLI(args) {
  const bin = new URL(".cache/webtest/dbtdefer", root).pathname;
  // Built once a run (go build is cached): a binary left from an older build would compare the API with old code.
  if (!cliBuilt) execFileSync("go", ["build", "-o", bin, "./resolve/cmd/dbtdefer"], { cwd: root.pathname }), (cliBuilt = true);
  return execFileSync(bin, args, { encoding: "utf8" }).split("\n")[0];
}
