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
    } finally {
      await ctx.close();
    }
  } catch (e) {
    out.error = `${e.message}\n${logs.slice(-10).join("\n")}`;
  }
  return out;
}
