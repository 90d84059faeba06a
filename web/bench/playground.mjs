// playground.mjs measures the playground as a user meets it (issue 16's
// journeys J2 and J4), in headless Chromium, against a baseline from the
// same run and origin:
//   J2: the playground opened by URL (#dev=…&prod=…&model=…) → the first
//       compiled preview painted (the page's own mark: the frame after the
//       first view is rendered, since navigation started). Baseline: fetch +
//       JSON.parse of both manifests from the same server, in a fresh page.
//   J4: one keystroke in the model's editor → the preview repainted, with
//       the page's edit debounce set to 0 (excluded), over `keystrokes`
//       keystrokes typed one after another at the end of the model's SQL.
// Every measurement runs in a new browser context (empty HTTP and Cache API
// caches), so the downloads are real.
//   import { playgroundJourneys } from "./playground.mjs";
//   await playgroundJourneys(browser, base, { dev, prod, model }, { runs, keystrokes })

/** quantile q (0..1) of xs, nearest rank. */
export function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

async function baseline(browser, base, devURL, prodURL) {
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    await page.goto(`${base}/test/blank.html`);
    return await page.evaluate(async ([dev, prod]) => {
      const t0 = performance.now();
      const parse = async (u) => JSON.parse(await (await fetch(u, { cache: "no-store" })).text());
      const docs = await Promise.all([parse(dev), parse(prod)]);
      const ms = performance.now() - t0;
      return docs.length === 2 ? ms : NaN;
    }, [devURL, prodURL]);
  } finally {
    await ctx.close();
  }
}

async function openPlayground(browser, base, devURL, prodURL, model, logs) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  page.on("console", (m) => m.type() === "error" && logs.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => logs.push(`pageerror: ${e.message}`));
  const hash = new URLSearchParams({ dev: devURL, prod: prodURL, model, mode: "favor-state" });
  await page.goto(`${base}/playground/#${hash}`);
  await page.waitForFunction(() => window.dbtdeferPlayground?.firstPaint !== undefined || !document.querySelector("#load-error").hidden, null, { timeout: 300_000 });
  const err = await page.evaluate(() => (document.querySelector("#load-error").hidden ? "" : document.querySelector("#load-error").textContent));
  if (err) throw new Error(`the playground failed to load: ${err}`);
  const ms = await page.evaluate(() => window.dbtdeferPlayground.firstPaint);
  return { ctx, page, ms };
}

export async function playgroundJourneys(browser, base, { dev, prod, model }, { runs = 2, keystrokes = 200 } = {}) {
  const logs = [];
  const devURL = `${base}${dev}`;
  const prodURL = `${base}${prod}`;
  const out = { runs };
  try {
    const j2 = [];
    const parse = [];
    let last = null;
    for (let i = 0; i < runs; i++) {
      parse.push(await baseline(browser, base, devURL, prodURL));
      if (last) await last.ctx.close();
      last = await openPlayground(browser, base, devURL, prodURL, model, logs);
      j2.push(last.ms);
    }
    out.j2Ms = Math.min(...j2);
    out.j2BaselineMs = Math.min(...parse);
    out.j2Ratio = out.j2Ms / out.j2BaselineMs;
    // J4 on the last page opened.
    const { page, ctx } = last;
    try {
      await page.waitForFunction(() => window.dbtdeferPlayground.idle, null, { timeout: 60_000 });
      await page.evaluate(() => (window.dbtdeferPlayground.editDebounceMs = 0));
      await page.click("#editor .cm-content");
      await page.keyboard.press("Control+End");
      await page.keyboard.type("\n-- ");
      await page.waitForFunction(() => window.dbtdeferPlayground.idle, null, { timeout: 60_000 });
      const times = [];
      const letters = "abcdefghijklmnopqrstuvwxyz";
      for (let i = 0; i < keystrokes; i++) {
        const before = await page.evaluate(() => window.dbtdeferPlayground.paints.length);
        await page.keyboard.type(letters[i % letters.length]);
        await page.waitForFunction((n) => window.dbtdeferPlayground.paints.length > n && window.dbtdeferPlayground.idle, before, { timeout: 60_000, polling: 1 });
        times.push(await page.evaluate(() => window.dbtdeferPlayground.paints.at(-1)));
      }
      const compiled = await page.evaluate(() => window.dbtdeferPlayground.state.compile);
      if (compiled !== true) throw new Error("the edited model did not compile (the preview is the approximate one)");
      out.j4P95Ms = quantile(times, 0.95);
      out.j4P50Ms = quantile(times, 0.5);
      out.keystrokes = times.length;
      // Keystroke → underline (issue 18): each keystroke makes a ref wrong
      // (Backspace: its name's last letter) or right again (the letter),
      // until its underline appears or goes; the editor's own wait before it
      // asks analyze() (lintDelayMs) is excluded. The ref is the first one
      // the model makes.
      const wait = await page.evaluate(() => window.dbtdeferPlayground.lintDelayMs);
      const name = await page.evaluate(() => /ref\(\s*['"]([^'"]+)['"]\s*\)/.exec(window.dbtdeferPlayground.text("editor"))?.[1]);
      if (!name) throw new Error("the model makes no ref() to type");
      const last = name.at(-1);
      await page.keyboard.type(`\n-- {{ ref('${name}') }}`);
      for (let k = 0; k < 5; k++) await page.keyboard.press("ArrowLeft");
      await page.waitForFunction(() => window.dbtdeferPlayground.idle, null, { timeout: 60_000 });
      await page.waitForTimeout(wait * 2);
      const lint = [];
      for (let i = 0; i < 40; i++) {
        const wrong = i % 2 === 0;
        const t0 = await page.evaluate(() => performance.now());
        await (wrong ? page.keyboard.press("Backspace") : page.keyboard.type(last));
        const t1 = await page.waitForFunction((wrong) => {
          const n = document.querySelectorAll("#editor .cm-lintRange-error").length;
          return (wrong ? n > 0 : n === 0) && performance.now();
        }, wrong, { timeout: 60_000, polling: 1 });
        lint.push((await t1.jsonValue()) - t0 - wait);
      }
      out.lintP95Ms = quantile(lint, 0.95);
      out.lintP50Ms = quantile(lint, 0.5);
    } finally {
      await ctx.close();
    }
  } catch (e) {
    out.error = `${e.message}\n${logs.slice(-10).join("\n")}`;
  }
  return out;
}

/**
 * fileJourney is J1 and J3: a dev + prod pair as Files (made in the page
 * from fetched bytes, as an <input type=file> hands them over) → the first
 * compile() result, with initialize()'s and openProject()'s default options
 * (the Web Worker, its helper), timed from once initialize() settled (its
 * own time is initMs); baseline: TextDecoder + JSON.parse of both
 * files' bytes in the same page. Then J3: the tab's memory with the pair
 * open and that preview shown — the page's JS heap, every worker's JS heap where
 * Chromium reports it (performance.memory: not in workers, so 0 there) and the
 * engine's wasm memory (memoryUsage(); the helper worker's wasm memory is
 * not reachable from the page and is not counted) — against the pair's bytes.
 */
export async function fileJourney(browser, base, { dev, prod, model }, { runs = 2 } = {}) {
  const out = { runs };
  const j1 = [];
  const parse = [];
  try {
    for (let i = 0; i < runs; i++) {
      const ctx = await browser.newContext();
      try {
        const page = await ctx.newPage();
        await page.goto(`${base}/test/blank.html`);
        const r = await page.evaluate(async ({ dev, prod, model }) => {
          const get = async (u) => new Uint8Array(await (await fetch(u, { cache: "no-store" })).arrayBuffer());
          const [d, p] = await Promise.all([get(dev), get(prod)]);
          const files = [new File([d], "manifest.json", { type: "application/json" }), new File([p], "prod-manifest.json", { type: "application/json" })];
          // baseline, on the same bytes
          const t0 = performance.now();
          const dec = new TextDecoder();
          JSON.parse(dec.decode(d));
          JSON.parse(dec.decode(p));
          const parseMs = performance.now() - t0;
          const api = await import("/dbtdefer.js");
          const tInit = performance.now();
          await api.initialize();
          const initMs = performance.now() - tInit;
          const t1 = performance.now(); // the engine is started, as in an IDE before files come
          const project = await api.openProject({ manifest: files[0], state: files[1] });
          const c = await project.compile({ model, defer: "favor-state" });
          const j1Ms = performance.now() - t1;
          window.__project = project;
          window.__mem = await api.memoryUsage();
          return { parseMs, j1Ms, initMs, bytes: d.byteLength + p.byteLength, ok: typeof c.sql === "string" && c.sql.length > 0 };
        }, { dev: `${base}${dev}`, prod: `${base}${prod}`, model });
        if (!r.ok) throw new Error("compile gave no SQL");
        j1.push(r.j1Ms);
        out.initMs = Math.min(out.initMs ?? Infinity, r.initMs);
        parse.push(r.parseMs);
        out.pairBytes = r.bytes;
        if (i === runs - 1) {
          // J3 on this page: collect garbage, then sum the heaps.
          const heap = async (target) => {
            const s = await ctx.newCDPSession(target);
            try {
              await s.send("HeapProfiler.collectGarbage").catch(() => {});
              return (await s.send("Runtime.getHeapUsage")).usedSize;
            } finally {
              await s.detach().catch(() => {});
            }
          };
          const pageHeap = await heap(page);
          let workerHeap = 0;
          for (const w of page.workers()) workerHeap += (await w.evaluate(() => performance.memory?.usedJSHeapSize ?? 0).catch(() => 0));
          const mem = await page.evaluate(() => window.__mem);
          out.j3PageHeapBytes = pageHeap;
          out.j3WorkerHeapBytes = workerHeap;
          out.j3WasmBytes = mem.wasmMemoryBytes;
          out.j3Bytes = pageHeap + workerHeap + mem.wasmMemoryBytes;
          out.j3Ratio = out.j3Bytes / r.bytes;
        }
      } finally {
        await ctx.close();
      }
    }
    out.j1Ms = Math.min(...j1);
    out.j1BaselineMs = Math.min(...parse);
    out.j1Ratio = out.j1Ms / out.j1BaselineMs;
  } catch (e) {
    out.error = e.message;
  }
  return out;
}
