// main.js is the playground page: it opens a dev and a production manifest
// in dbtdefer (Go wasm in a Web Worker, via ../dbtdefer.js) and shows, for
// the chosen model and defer flags, the compiled preview, every ref with the
// rule that decided it, two modes side by side, and the lineage. Everything
// it shows of a manifest comes from the engine's calls (nodes, node,
// lineage, stateInfo, compile…): the page never parses a manifest itself.
// The wasm starts loading as the page loads, in parallel with the inputs.
//
// Manifest data only ever reaches the DOM as text (dom.js); see the
// hostile-manifest test in test/run.mjs.
import { h, replace, safeHref, $ } from "./dom.js";
import { ruleWords, ENV_WORDS, MODES } from "./rules.js";
import { sqlEditor, sqlViewer, languageService, LINT_DELAY_MS } from "./editors.js";
import { extractRefs, substitute, keyOf, callText } from "./refs.js";

const here = import.meta.url; // dist/playground.js
const rel = (p) => new URL(p, here).href;
const DEMO = { dev: rel("./demo/jaffle-shop-dev.json"), prod: rel("./demo/jaffle-shop-prod.json") };

const S = {
  api: null,
  project: null,
  inputs: { dev: null, prod: null, catalog: null }, // {source: File or URL, name, size?, url?, demo?}
  loaded: null, // the inputs of the open project, put back when a later load fails
  devRelations: [],
  unknown: "missing",
  modelCount: 0, // the dev manifest's models and other pickable nodes (project.nodes().total)
  uid: "",
  node: null, // project.node(): the chosen node
  nodeByName: false, // the node's name finds it (the link then names it by name)
  mode: "standard",
  select: "",
  cmp: ["off", "standard"],
  compile: null, // null: not tried; true: works; false: not implemented in this build
  adapter: "",
  gen: 0,
  loadGen: 0,
  last: null, // the latest evaluation, for copy buttons and tests
  runURL: "", // the production run's URL template (#run=)
  prodResults: "", // production's run_results.json URL (#prodResults=)
  moved: null, // when a refresh last found production moved: {at, info}
  refreshedAt: 0, // when the state was last revalidated (performance.now())
};

// ---- the engine --------------------------------------------------------------

// api starts the wasm once; the page calls it as it loads, so the module is
// compiled while the manifests download.
function api() {
  if (!S.api) {
    S.api = (async () => {
      const mod = await import(rel("../../dbtdefer.js"));
      await mod.initialize({ wasmURL: rel("../../dist/dbtdefer.wasm") });
      performance.mark("dbtdefer:initialized");
      return mod;
    })();
    S.api.catch(() => (S.api = null));
  }
  return S.api;
}

// ---- elements ----------------------------------------------------------------

const el = {
  banner: $("#state-banner"),
  progress: $("#progress"),
  loadError: $("#load-error"),
  inputsSummary: $("#inputs-summary"),
  modelInput: $("#model-input"),
  modelList: $("#model-list"),
  modelMeta: $("#model-meta"),
  modeGroup: $("#mode-group"),
  modeHelp: $("#mode-help"),
  selectInput: $("#select-input"),
  compileNote: $("#compile-note"),
  diagnostics: $("#diagnostics"),
  refBody: $("#ref-table tbody"),
  previewMode: $("#preview-mode"),
  revert: $("#revert"),
  cmpLeft: $("#cmp-left"),
  cmpRight: $("#cmp-right"),
  cmpSummary: $("#compare-summary"),
  lineage: $("#lineage"),
  devRelations: $("#dev-relations"),
  unknownPolicy: $("#unknown-policy"),
  toast: $("#toast"),
  drop: $("#drop-overlay"),
};

// The editor's language service is the engine's: analyze() for underlines,
// hover cards and ctrl/cmd-click, complete() for completion, both under the
// main mode and selection, as the buffer's model.
const service = {
  analyze: (sql) => S.project.analyze({ ...(S.node ? { model: S.node.uniqueId } : {}), sql, ...callOpts(S.mode) }),
  complete: (sql, offset) => S.project.complete({ ...(S.node ? { model: S.node.uniqueId } : {}), sql, offset, ...callOpts(S.mode) }),
  open(def) {
    if (/^(model|seed|snapshot|source)\./.test(def.uniqueId)) choose(def.uniqueId);
    else toast(`${def.uniqueId} is defined in ${def.path || "a package"}`);
  },
  hoverCard,
};
const editor = sqlEditor($("#editor"), () => schedule(editDebounceMs), "Model SQL, editable", languageService(service));
const preview = sqlViewer($("#preview"), "Compiled preview");
// Clicking a relation in the preview selects the ref() it came from.
$("#preview").addEventListener("click", (e) => {
  const rel = e.target.closest?.("[data-rel]")?.getAttribute("data-rel");
  const call = rel && service.last?.()?.calls.find((c) => c.resolution?.relation === rel);
  if (call) editor.flash(call.range.start.offset, call.range.end.offset);
});
const cmpViews = [sqlViewer($("#cmp-left-sql"), "Left compiled SQL"), sqlViewer($("#cmp-right-sql"), "Right compiled SQL")];

// ---- controls ----------------------------------------------------------------

for (const m of MODES) {
  const id = `mode-${m.value}`;
  el.modeGroup.append(
    h("input", { type: "radio", name: "mode", id, value: m.value, onchange: () => setMode(m.value) }),
    h("label", { for: id }, h("span", { class: "seg-label", text: m.label }), h("code", { class: "seg-flag", text: m.flag.replace(/-/g, "\u2011") })),
  );
  for (const s of [el.cmpLeft, el.cmpRight]) s.append(h("option", { value: m.value, text: `${m.label} (${m.flag})` }));
}
el.cmpLeft.addEventListener("change", () => ((S.cmp[0] = el.cmpLeft.value), schedule()));
el.cmpRight.addEventListener("change", () => ((S.cmp[1] = el.cmpRight.value), schedule()));

function setMode(mode, quiet) {
  S.mode = mode;
  const radio = document.getElementById(`mode-${mode}`);
  if (radio) radio.checked = true;
  el.modeHelp.textContent = MODES.find((m) => m.value === mode)?.help ?? "";
  if (!quiet) schedule();
}

el.selectInput.addEventListener("input", () => {
  S.select = el.selectInput.value;
  schedule(300);
});

el.devRelations.addEventListener("change", () => {
  S.devRelations = el.devRelations.value.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
  reopen();
});
el.unknownPolicy.addEventListener("change", () => {
  S.unknown = el.unknownPolicy.value;
  schedule();
});

el.revert.addEventListener("click", () => {
  if (S.node) editor.set(S.node.rawCode);
  schedule(0);
});

$("#copy-link").addEventListener("click", () => copy(location.href, "Link copied"));
for (const b of document.querySelectorAll("button.copy")) {
  b.addEventListener("click", () => {
    const what = b.dataset.copy;
    const text = what === "editor" ? editor.text : what === "preview" ? preview.text : what === "left" ? cmpViews[0].text : cmpViews[1].text;
    copy(text, "SQL copied");
  });
}

async function copy(text, msg) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const t = h("textarea", { class: "vh" });
    t.value = text;
    document.body.append(t);
    t.select();
    document.execCommand("copy");
    t.remove();
  }
  toast(msg);
}

let toastTimer;
function toast(msg) {
  el.toast.textContent = msg;
  el.toast.classList.add("show");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.toast.classList.remove("show"), 1600);
}

// ---- the model picker (combobox) ---------------------------------------------

let results = [];
let active = -1;

let listing = Promise.resolve(); // the list's latest answer
function openList() {
  listing = renderList();
  el.modelList.hidden = false;
  el.modelInput.setAttribute("aria-expanded", "true");
}
function closeList() {
  el.modelList.hidden = true;
  el.modelInput.setAttribute("aria-expanded", "false");
  el.modelInput.removeAttribute("aria-activedescendant");
}

// renderList asks the engine for the nodes matching what is typed (fuzzy,
// ranked in Go, 60 at most) and shows them; an answer that a later keystroke
// made stale is dropped.
let listGen = 0;
function renderList() {
  return track(renderListNow());
}

async function renderListNow() {
  const gen = ++listGen;
  const q = el.modelInput.value === (S.node?.name ?? "") ? "" : el.modelInput.value;
  const project = S.project;
  if (!project) return;
  let page;
  try {
    page = await project.nodes({ query: q.trim(), limit: 60 });
  } catch (err) {
    if (gen === listGen) replace(el.modelList, h("li", { class: "opt-empty", role: "option", "aria-disabled": "true", text: `${err.code ?? "error"}: ${err.message}` }));
    return;
  }
  if (gen !== listGen || project !== S.project) return;
  results = page.nodes;
  active = results.length ? 0 : -1;
  const items = results.map((item, i) => {
    const name = h("span", { class: "opt-name" });
    const pos = new Set(item.matchedIn ? [] : item.matches ?? []);
    let buf = "";
    let inMark = false;
    const flush = () => {
      if (buf) name.append(inMark ? h("mark", { text: buf }) : document.createTextNode(buf));
      buf = "";
    };
    for (let k = 0; k < item.name.length; k++) { // UTF-16 offsets, as matches counts them
      if (pos.has(k) !== inMark) {
        flush();
        inMark = pos.has(k);
      }
      buf += item.name[k];
    }
    flush();
    const changed = item.state === "new" ? "new" : item.state === "modified" ? "modified" : "";
    return h(
      "li",
      {
        id: `opt-${i}`,
        role: "option",
        "aria-selected": i === active ? "true" : "false",
        "data-uid": item.uniqueId,
        "data-name": item.name,
        // On press, not click: a keystroke's answer may repaint the list
        // between press and release, and a click would then be lost.
        onmousedown: (e) => {
          e.preventDefault();
          if (e.button === 0) choose(item.uniqueId);
        },
      },
      name,
      changed ? h("span", { class: `badge ${changed === "new" ? "b-dev" : "b-assume"}`, text: changed }) : null,
      h("span", { class: "opt-meta", text: [...new Set([item.resourceType !== "model" ? item.resourceType : "", item.version ? `v${item.version}` : "", item.materialized, item.package].filter(Boolean))].join(" · ") }),
    );
  });
  if (!items.length) items.push(h("li", { class: "opt-empty", role: "option", "aria-disabled": "true", text: "No model matches" }));
  if (page.total > results.length) items.push(h("li", { class: "opt-more", role: "presentation", text: `showing ${results.length} of ${page.total}; type to narrow` }));
  replace(el.modelList, items);
  setActive(active);
}

function setActive(i) {
  active = i;
  for (const li of el.modelList.querySelectorAll("[role=option]")) li.setAttribute("aria-selected", "false");
  const li = document.getElementById(`opt-${i}`);
  if (li) {
    li.setAttribute("aria-selected", "true");
    el.modelInput.setAttribute("aria-activedescendant", li.id);
    li.scrollIntoView({ block: "nearest" });
  }
}

el.modelInput.addEventListener("input", () => openList());
el.modelInput.addEventListener("focus", () => el.modelInput.select());
el.modelInput.addEventListener("click", () => openList());
el.modelInput.addEventListener("blur", () => {
  closeList();
  if (S.node) el.modelInput.value = S.node.name;
});
el.modelInput.addEventListener("keydown", (e) => {
  if (e.key === "ArrowDown" || e.key === "ArrowUp") {
    e.preventDefault();
    if (el.modelList.hidden) return openList();
    const n = results.length;
    if (n) setActive((active + (e.key === "ArrowDown" ? 1 : n - 1)) % n);
  } else if (e.key === "Enter") {
    e.preventDefault();
    if (el.modelList.hidden) return;
    // The answer for what was typed last, not a stale one.
    track(listing.then(() => results[active] && choose(results[active].uniqueId)));
  } else if (e.key === "Escape") {
    if (!el.modelList.hidden) {
      e.preventDefault();
      closeList();
      if (S.node) el.modelInput.value = S.node.name;
    }
  }
});

/** choose shows the node uid (tracked: the page is not idle until it is shown). */
function choose(uid, quiet) {
  return track(chooseNow(uid, quiet));
}

async function chooseNow(uid, quiet) {
  closeList();
  S.uid = uid;
  let node;
  try {
    node = await S.project.node(uid);
  } catch (err) {
    showError(err);
    return;
  }
  if (S.uid !== uid) return;
  S.node = node;
  el.modelInput.value = node.name;
  const state = { new: "new in dev (not in production)", modified: "changed since production", unchanged: "unchanged since production" }[node.state] ?? "";
  const bits = [node.uniqueId, node.materialized && `materialized: ${node.materialized}`, node.path, state];
  el.modelMeta.textContent = bits.filter(Boolean).join(" · ");
  editor.set(node.rawCode);
  // The link names the model by name when the name finds this very node.
  S.nodeByName = await S.project.node(node.name).then((n) => n.uniqueId === node.uniqueId, () => false);
  if (!quiet) schedule(0);
}

// ---- loading -----------------------------------------------------------------

// The progress area: a row per input (dev, production, catalog) with a bar
// for its download or read, then the engine's copy and index steps.
const INPUT_WORDS = { dev: "dev manifest", prod: "production manifest", catalog: "catalog" };
let bars = {};
function progressStart() {
  bars = {};
  const rows = [];
  for (const key of ["dev", "prod", "catalog"]) {
    const x = S.inputs[key];
    if (!x) continue;
    const bar = h("progress", { max: "1", "aria-label": `${INPUT_WORDS[key]} progress` });
    const state = h("span", { class: "p-state", text: "Waiting…" });
    bars[key] = { bar, state };
    rows.push(h("span", { class: "p-name", text: INPUT_WORDS[key] }), bar, state);
  }
  replace(el.progress, rows);
  el.progress.hidden = false;
}
function progressSet(key, text, loaded, total) {
  const b = bars[key];
  if (!b) return;
  b.state.textContent = text;
  if (total > 0) {
    b.bar.max = total;
    b.bar.value = Math.min(loaded, total);
  } else if (loaded === 1) b.bar.value = b.bar.max; // done
  else b.bar.removeAttribute("value"); // indeterminate
}
function progressDone() {
  el.progress.hidden = true;
  replace(el.progress);
  bars = {};
}

const mb = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1e3))} kB`);

/** onProgress shows the engine's progress events in the input they are about. */
function onProgress({ phase, file, loaded, total }) {
  const key = Object.keys(bars).find((k) => S.inputs[k] && reportedName(S.inputs[k]) === file);
  const of = total ? ` of ${mb(total)}` : "";
  if (phase === "fetch" || phase === "read") {
    if (key) {
      if (total) S.inputs[key].size = total;
      else if (loaded) S.inputs[key].size = loaded;
      progressSet(key, `${phase === "fetch" ? "Downloading" : "Reading"} ${mb(loaded)}${of}`, loaded, total);
    }
    return;
  }
  if (phase !== "fetch" && phase !== "read") performance.mark(`dbtdefer:${phase}`);
  const words = { copy: "Copying into the engine…", index: "Indexing…", ready: "Ready" }[phase];
  if (!words) return;
  for (const k of Object.keys(bars)) progressSet(k, words, phase === "ready" ? 1 : 0, 0);
}

/** reportedName is the name the engine's progress events give an input. */
function reportedName(x) {
  return typeof x.source === "string" ? x.source : x.source?.name || "";
}

/** load opens whatever S.inputs hold, then shows the first view. */
function load(opts) {
  return track(loadNow(opts));
}

async function loadNow({ keepModel } = {}) {
  const gen = ++S.loadGen;
  el.loadError.hidden = true;
  if (!S.inputs.dev) return;
  try {
    await openProject();
    performance.mark("dbtdefer:opened");
    if (gen !== S.loadGen) return;
    S.loaded = { ...S.inputs };
    const c = S.project.info?.counts ?? {};
    S.modelCount = (c.model ?? 0) + (c.seed ?? 0) + (c.snapshot ?? 0) + (c.analysis ?? 0);
    S.adapter = S.project.info?.adapterType ?? "";
    for (const v of [editor, preview, ...cmpViews]) v.setDialect(S.adapter);
    const want = keepModel ?? hashParams().get("model") ?? "";
    // The preview first: compile() finds the model by name, and what the
    // rest of the view needs (node(), lineage(): the project's graph and
    // what changed against production) follows it.
    await firstPreview(want || "customers");
    const uid = (await findModel(want)) ?? (await findModel("customers")) ?? (await pickDefault());
    if (gen !== S.loadGen) return;
    if (uid) await choose(uid, true);
    performance.mark("dbtdefer:chosen");
    await refresh(); // the first preview before anything else
    progressDone();
    renderInputs();
    await renderBanner();
  } catch (err) {
    progressDone();
    const kept = gen === S.loadGen && restoreLoaded();
    showError(err, kept);
  }
}

/** firstPreview paints the compiled preview of a saved model under the main mode, before anything else is known. */
async function firstPreview(model) {
  let r;
  try {
    r = await S.project.compile({ model, ...callOpts(S.mode) });
  } catch {
    return; // not a model (or it does not compile): the full view says why
  }
  renderMain({ mode: S.mode, sql: r.sql ?? "", refs: r.refs ?? [], ctes: r.ctes ?? [], diagnostics: r.diagnostics ?? [], approx: false });
  painted(performance.now());
}

/**
 * restoreLoaded, after a failed load, puts back the inputs of the project
 * that is still open, so it stays usable: the names shown and later reopens
 * (a catalog, dev relations) go back to the manifests that opened.
 */
function restoreLoaded() {
  const good = S.loaded;
  if (!good || !S.project) return false;
  S.inputs = { ...good };
  for (const id of ["dev-file", "prod-file", "catalog-file"]) $(`#${id}`).value = "";
  renderInputs();
  return true;
}

/** pickDefault is the first model (or other pickable node) in the engine's order. */
async function pickDefault() {
  const models = await S.project.nodes({ resourceType: "model", limit: 1 });
  return models.nodes[0]?.uniqueId ?? (await S.project.nodes({ limit: 1 })).nodes[0]?.uniqueId;
}

const PICKABLE = new Set(["model", "seed", "snapshot", "analysis"]);

/** findModel finds a pickable node by unique_id or name (undefined: none). */
async function findModel(want) {
  if (!want) return undefined;
  try {
    const n = await S.project.node(want);
    return PICKABLE.has(n.resourceType) ? n.uniqueId : undefined;
  } catch {
    return undefined;
  }
}

/** openProject (re)opens the project in the wasm with the current inputs. */
async function openProject() {
  const started = api();
  const { dev, prod, catalog } = S.inputs;
  progressStart();
  // URL inputs are Promises of Files until their downloads end.
  const [m, st, cat] = await Promise.all([dev.source, prod?.source, catalog?.source]);
  for (const [x, f] of [[dev, m], [prod, st], [catalog, cat]]) if (x && f) x.source = f;
  const opts = { manifest: m, onProgress };
  if (st) opts.state = st;
  if (st && prod.origin) opts.stateOrigin = prod.origin;
  if (st && S.runURL) opts.runURL = S.runURL;
  if (st && S.prodResults) opts.stateRunResults = S.prodResults;
  if (cat) opts.catalog = cat;
  if (S.devRelations.length) opts.devRelations = S.devRelations;
  const mod = await started;
  const old = S.project;
  S.project = await mod.openProject(opts);
  S.moved = null;
  S.refreshedAt = performance.now();
  old?.dispose().catch(() => {});
  return S.project;
}

/**
 * refreshProduction revalidates the production manifest at its URL (by
 * ETag: a 304 when nothing changed) when the page gets the focus back, and
 * says so when production moved: the preview, refs and lineage are then
 * recomputed against the new run.
 */
function refreshProduction() {
  return track(refreshProductionNow());
}

async function refreshProductionNow() {
  const p = S.project;
  if (!p?.info?.hasState || !S.loaded?.prod?.origin || performance.now() - S.refreshedAt < 2000) return;
  S.refreshedAt = performance.now();
  try {
    const r = await p.refreshState();
    if (p !== S.project) return;
    if (r.changed) {
      S.moved = { at: new Date(), info: r.stateInfo };
      toast(`Production moved on: now ${runName(r.stateInfo)}, generated ${ago(r.stateInfo.age)}`);
      schedule(0);
    }
    await renderBanner();
  } catch (err) {
    if (p === S.project) toast(`Could not refresh the production manifest (still using the one loaded): ${err?.message ?? err}`);
  }
}

window.addEventListener("focus", () => refreshProduction());
document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && refreshProduction());

/** reopen reopens the wasm project after the dev-existence inputs change. */
function reopen() {
  return track(reopenNow());
}

async function reopenNow() {
  if (!S.inputs.dev) return;
  try {
    await openProject();
    S.loaded = { ...S.inputs };
    progressDone();
    renderInputs();
    schedule(0);
  } catch (err) {
    progressDone();
    showError(err, restoreLoaded());
  }
}

function showError(err, kept = false) {
  console.error(err);
  el.loadError.hidden = false;
  el.loadError.textContent = `${err?.code ? `${err.code}: ` : ""}${err?.message ?? err}${kept ? ` (still using ${S.inputs.dev?.name ?? "the previous manifests"})` : ""}`;
}

/** setInput takes a File (or null). */
function setInput(which, file) {
  S.inputs[which] = file ? { source: file, name: file.name || which, size: file.size } : null;
}

/**
 * setURL takes an input by URL. Its download starts at once, in parallel
 * with the other input's and with the wasm's start, as a Blob the engine's
 * worker then reads straight into the wasm: the bytes never pass through
 * this page's JavaScript heap. The row of the progress area counts them.
 */
function setURL(which, url, { demo } = {}) {
  const u = safeHref(url);
  if (!u) throw new Error(`${INPUT_WORDS[which]}: only http(s) URLs can be loaded (${String(url).slice(0, 80)})`);
  const parts = decodeURIComponent(new URL(u).pathname).split("/").filter(Boolean);
  const name = parts.slice(-2).join("/") || "manifest.json";
  const x = { name, url: demo ? "" : url, demo, downloaded: 0 };
  x.source = download(u, name, which, x);
  x.source.catch(() => {}); // the open reports it
  S.inputs[which] = x;
}

/** download fetches url as a File named name, counting its bytes into x (and its progress row). */
async function download(url, name, which, x) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${INPUT_WORDS[which]}: HTTP ${res.status} ${res.statusText} from ${url}`);
  const total = res.headers.get("Content-Encoding") ? 0 : Number(res.headers.get("Content-Length")) || 0;
  let body = res;
  if (res.body?.tee) {
    const [count, keep] = res.body.tee();
    body = new Response(keep);
    (async () => {
      const reader = count.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        x.downloaded += value.byteLength;
        if (S.inputs[which] === x) progressSet(which, `Downloading ${mb(x.downloaded)}${total ? ` of ${mb(total)}` : ""}`, x.downloaded, total);
      }
    })().catch(() => {});
  }
  const file = new File([await body.blob()], name, { type: "application/json" });
  x.size = file.size;
  // Where it came from and its validators: refreshState revalidates it there.
  x.origin = { url };
  for (const [k, hdr] of [["etag", "ETag"], ["lastModified", "Last-Modified"]]) if (res.headers.get(hdr)) x.origin[k] = res.headers.get(hdr);
  performance.mark(`dbtdefer:downloaded:${which}`);
  if (S.inputs[which] === x) progressSet(which, `Downloaded ${mb(file.size)}`, 1, 0);
  return file;
}

function loadURLs(devURL, prodURL, opts) {
  return track(loadURLsNow(devURL, prodURL, opts));
}

async function loadURLsNow(devURL, prodURL, { demo } = {}) {
  try {
    setURL("dev", devURL, { demo });
    if (prodURL) setURL("prod", prodURL, { demo });
    else S.inputs.prod = null;
    await load({ keepModel: hashParams().get("model") ?? undefined });
  } catch (err) {
    progressDone();
    showError(err, restoreLoaded());
  }
}

$("#swap").addEventListener("click", () => {
  if (!S.inputs.prod) return;
  [S.inputs.dev, S.inputs.prod] = [S.inputs.prod, S.inputs.dev];
  load({ keepModel: S.uid });
});

$("#load-demo").addEventListener("click", () => {
  S.inputs.catalog = null;
  loadURLs(DEMO.dev, DEMO.prod, { demo: true });
});

for (const which of ["dev", "prod"]) {
  $(`#${which}-file`).addEventListener("change", async (e) => {
    const f = e.target.files?.[0];
    if (!f) return;
    setInput(which, f);
    if (which === "dev" && S.inputs.prod?.demo) S.inputs.prod = null;
    if (which === "prod" && S.inputs.dev?.demo) {
      // A production manifest alone keeps the demo's dev until one is given.
    }
    await load();
  });
}
$("#catalog-file").addEventListener("change", async (e) => {
  const f = e.target.files?.[0];
  if (!f) return;
  setInput("catalog", f);
  reopen();
});
$("#catalog-clear").addEventListener("click", () => {
  S.inputs.catalog = null;
  $("#catalog-file").value = "";
  reopen();
});
for (const form of document.querySelectorAll("form.url-form")) {
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const which = form.dataset.which;
    const url = form.querySelector("input").value.trim();
    if (!url) return;
    try {
      setURL(which, url);
      if (which === "dev" && S.inputs.prod?.demo) S.inputs.prod = null;
      await load();
    } catch (err) {
      progressDone();
      showError(err, restoreLoaded());
    }
  });
}

// Drag and drop anywhere on the page.
let dragDepth = 0;
window.addEventListener("dragenter", (e) => {
  if (![...(e.dataTransfer?.types ?? [])].includes("Files")) return;
  e.preventDefault();
  dragDepth++;
  el.drop.hidden = false;
});
window.addEventListener("dragover", (e) => e.preventDefault());
window.addEventListener("dragleave", () => {
  if (--dragDepth <= 0) (dragDepth = 0), (el.drop.hidden = true);
});
window.addEventListener("drop", async (e) => {
  e.preventDefault();
  dragDepth = 0;
  el.drop.hidden = true;
  const files = [...(e.dataTransfer?.files ?? [])];
  if (files.length) await takeFiles(files);
});

/** takeFiles sorts dropped files into dev manifest, production manifest and catalog. */
function takeFiles(files) {
  return track(takeFilesNow(files));
}

async function takeFilesNow(files) {
  const kinds = await Promise.all(files.map(sniff));
  const manifests = [];
  let catalog = null;
  for (let i = 0; i < files.length; i++) {
    if (kinds[i].kind === "catalog") catalog = files[i];
    else if (kinds[i].kind === "manifest") manifests.push({ file: files[i], ...kinds[i] });
  }
  if (catalog) setInput("catalog", catalog);
  if (manifests.length >= 2) {
    const named = manifests.find((m) => /prod|state|production/i.test(m.file.name));
    let prod = named;
    if (!prod) prod = [...manifests].sort((a, b) => (a.generatedAt || "").localeCompare(b.generatedAt || ""))[0];
    const dev = manifests.find((m) => m !== prod);
    setInput("dev", dev.file);
    setInput("prod", prod.file);
    await load();
  } else if (manifests.length === 1) {
    const m = manifests[0];
    const which = /prod|state|production/i.test(m.file.name) ? "prod" : "dev";
    setInput(which, m.file);
    if (which === "dev" && S.inputs.prod?.demo) S.inputs.prod = null;
    await load();
  } else if (catalog) reopen();
  else showError(new Error(`not a manifest.json or catalog.json: ${files.map((f) => f.name).join(", ")}`));
}

async function sniff(file) {
  const head = await file.slice(0, 8192).text();
  const schema = /"dbt_schema_version"\s*:\s*"([^"]*)"/.exec(head)?.[1] ?? "";
  const generatedAt = /"generated_at"\s*:\s*"([^"]*)"/.exec(head)?.[1] ?? "";
  if (/\/catalog\//.test(schema) || /catalog/i.test(file.name)) return { kind: "catalog", generatedAt };
  if (/\/run-results\//.test(schema)) return { kind: "run-results", generatedAt };
  return { kind: "manifest", generatedAt };
}

// ---- evaluation ----------------------------------------------------------------

// busy counts work in flight (loads, evaluations, a pending debounce) so tests
// and users can tell when the view is current.
let timer = null;
let busy = 0;
// How long an edit waits for the next keystroke before the view is
// recomputed; the benchmark sets it to 0 to time what follows it.
let editDebounceMs = 150;

// paints records, for the benchmark, how long each recomputation took from
// its start to the next frame painted after it (the last 512).
const paints = [];

/**
 * painted records, after the frame that shows a view computed from t0 on,
 * how long that took, and the first preview's time since navigation started
 * (the benchmark's J2).
 */
function painted(t0) {
  if (S.firstPaint === undefined) performance.mark("dbtdefer:first-preview");
  return new Promise((resolve) =>
    requestAnimationFrame(() => {
      // A message posted from the frame's callback arrives once that frame is done.
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        S.firstPaint ??= performance.now();
        paints.push(performance.now() - t0);
        if (paints.length > 512) paints.shift();
        ch.port1.close();
        resolve();
      };
      ch.port2.postMessage(0);
    }),
  );
}

function schedule(delay = 150) {
  clearTimeout(timer);
  timer = setTimeout(() => {
    timer = null;
    refresh();
  }, delay);
}
async function track(promise) {
  busy++;
  try {
    return await promise;
  } finally {
    busy--;
  }
}

function callOpts(mode) {
  const o = { defer: mode, unknown: S.unknown };
  const words = S.select.split(/\s+/).filter(Boolean);
  if (words.length) o.select = words;
  return o;
}

/**
 * evaluate compiles the editor's SQL under one mode. When compile() fails (a
 * Jinja error in the buffer, a macro that needs the warehouse) the error is
 * shown and the refs the code makes are still resolved and substituted into
 * it (approx: true), so the ref table keeps answering while the user types.
 */
async function evaluate(mode) {
  const p = S.project;
  const node = S.node;
  const text = editor.text;
  const edited = text !== node.rawCode;
  const opts = callOpts(mode);
  let compileError = null;
  try {
    const r = await p.compile({ model: node.uniqueId, ...(edited ? { sql: text } : {}), ...opts });
    S.compile = true;
    return { mode, sql: r.sql ?? "", refs: r.refs ?? [], ctes: r.ctes ?? [], diagnostics: r.diagnostics ?? [], approx: false };
  } catch (err) {
    S.compile = false;
    compileError = err;
  }
  const diagnostics = [];
  let refs = [];
  if (!edited) {
    const r = await p.explain({ model: node.uniqueId, ...opts });
    refs = r.refs;
    diagnostics.push(...(r.diagnostics ?? []));
  } else {
    const specs = extractRefs(text);
    if (specs.length) {
      try {
        const r = await p.resolve({ from: node.uniqueId, ref: specs, ...opts });
        refs = r.refs;
        diagnostics.push(...(r.diagnostics ?? []));
      } catch {
        // One bad ref fails the call: resolve them one by one to show the rest.
        for (const s of specs) {
          try {
            const r = await p.resolve({ from: node.uniqueId, ref: s, ...opts });
            refs.push(...r.refs);
          } catch (err) {
            diagnostics.push({ severity: "error", code: err.code, message: err.message });
          }
        }
      }
    }
  }
  if (compileError) diagnostics.unshift({ severity: "error", code: compileError.code, message: compileError.message });
  return { mode, sql: substitute(text, refs), refs, ctes: [], diagnostics, approx: true };
}

function refresh() {
  return track(refreshNow());
}

async function refreshNow() {
  if (!S.project || !S.node) return;
  const gen = ++S.gen;
  const t0 = performance.now();
  // Each mode is evaluated on its own: one failing (say --defer without a
  // production manifest) must not leave the others stale.
  const safe = (mode) => evaluate(mode).catch((error) => ({ mode, error, sql: "", refs: [], diagnostics: [], approx: S.compile !== true }));
  // The preview first, painted before the rest is computed: a keystroke's
  // answer is the preview; the comparison, the selection and the lineage
  // (which the edited text does not change) follow it.
  const main = await safe(S.mode);
  if (gen !== S.gen) return;
  const t1 = performance.now();
  renderMain(main);
  performance.measure("dbtdefer:evaluate", { start: t0, end: t1 });
  performance.measure("dbtdefer:render", { start: t1 });
  await painted(t0); // the rest waits for the frame that shows the preview
  if (gen !== S.gen) return;
  const left = S.cmp[0] === S.mode ? main : await safe(S.cmp[0]);
  const right = S.cmp[1] === S.mode ? main : S.cmp[1] === S.cmp[0] ? left : await safe(S.cmp[1]);
  const selection = await describeSelection();
  const lineage = await S.project.lineage(S.node.uniqueId, callOpts(S.mode)).catch((error) => ({ nodes: [], error }));
  if (gen !== S.gen) return;
  S.last = { main, left, right };
  renderSelection(selection);
  renderCompare(left, right);
  renderLineage(lineage);
  el.revert.disabled = editor.text === S.node.rawCode;
  writeHash();
  document.body.dataset.ready = "true";
  document.body.dataset.compile = S.compile ? "real" : "approx";
}

/** describeSelection evaluates the selection box with the engine's selector. */
async function describeSelection() {
  const words = S.select.split(/\s+/).filter(Boolean);
  if (!words.length) return null;
  try {
    const r = await S.project.select({ select: words });
    return { ids: r.uniqueIds };
  } catch (error) {
    return { error };
  }
}

const selectHelp = $("#select-help");
const selectHelpDefault = [...selectHelp.childNodes].map((n) => n.cloneNode(true));
function renderSelection(sel) {
  if (!sel) return replace(selectHelp, selectHelpDefault.map((n) => n.cloneNode(true)));
  if (sel.error) return replace(selectHelp, h("span", { class: "sel-error", text: sel.error.message }));
  const tests = sel.ids.filter((id) => id.startsWith("test.") || id.startsWith("unit_test."));
  const nodes = sel.ids.filter((id) => !tests.includes(id));
  const names = nodes.map((id) => id.split(".").slice(2).join("."));
  const shown = names.slice(0, 6).join(", ") + (names.length > 6 ? `, … ${names.length - 6} more` : "");
  const self = sel.ids.includes(S.node?.uniqueId);
  const testWords = tests.length ? ` (and ${tests.length} ${tests.length === 1 ? "test" : "tests"})` : "";
  replace(selectHelp, `Selects ${nodes.length} ${nodes.length === 1 ? "node" : "nodes"}${shown ? `: ${shown}` : ""}${testWords}.${self ? "" : " This model is not selected."}`);
}

// ---- rendering -----------------------------------------------------------------

/** relCode shows a relation as code that may wrap only after its dots. */
function relCode(text, cls) {
  const code = h("code", { class: cls });
  const parts = String(text ?? "").split(".");
  parts.forEach((p, i) => {
    code.append(document.createTextNode(i < parts.length - 1 ? `${p}.` : p));
    if (i < parts.length - 1) code.append(h("wbr"));
  });
  return code;
}

const envClass = (env) => (env === "state" ? "rel-state" : env === "ephemeral" ? "rel-eph" : "rel-dev");

/** hoverCard is a ref's card in the editor: where it reads, the rule and why, the production run, and its file. */
function hoverCard(call) {
  const r = call.resolution;
  const def = call.definition;
  const card = h("div", { class: "hover-card", "data-kind": call.kind });
  const words = r && ruleWords(r.rule);
  if (r) {
    card.append(
      h("div", { class: "hc-rel" }, relCode(r.relation, `rel ${envClass(r.env)}`)),
      h("div", { class: "hc-env", text: `reads ${ENV_WORDS[r.env] ?? r.env}` }),
      h("div", { class: "hc-rule" }, h("strong", { text: words.label }), " ", r.reason),
    );
    if (r.env === "state" && r.state?.run) {
      const run = r.state.run;
      card.append(h("div", { class: "hc-run" }, "production run ", run.url ? h("a", { href: run.url, target: "_blank", rel: "noopener noreferrer", text: run.id }) : run.id,
        r.stateRun ? ` · ${r.stateRun.status}` : ""));
    }
  }
  if (def) card.append(h("div", { class: "hc-def", text: `${def.path || def.uniqueId} · ${navigator.platform.startsWith("Mac") ? "⌘" : "Ctrl"}-click to open` }));
  return card;
}

function marksFor(refs, extra = () => ({})) {
  return refs.filter((r) => r.relation).map((r) => ({
    text: r.relation,
    cls: `rel ${envClass(r.env)}`,
    title: `${callText(r)} → ${ENV_WORDS[r.env] ?? r.env}: ${ruleWords(r.rule).label}`,
    ...extra(r),
  }));
}


function renderMain(res) {
  const modeInfo = MODES.find((m) => m.value === res.mode);
  el.previewMode.textContent = `${modeInfo.label} · ${modeInfo.flag}${res.approx ? " · approximate" : ""}`;
  preview.set(res.sql, marksFor(res.refs));
  el.compileNote.hidden = !res.approx;
  if (res.approx) {
    el.compileNote.textContent =
      "Approximate preview: this build of dbtdefer cannot compile Jinja yet, so each ref(), source() and {{ this }} is replaced by its resolved relation and other Jinja is left as written. The ref table is exact.";
  }
  const all = res.error ? [{ severity: "error", code: res.error.code, message: res.error.message }, ...res.diagnostics] : res.diagnostics;
  const diags = all.slice(0, 8).map((d) =>
    h("p", { class: `diag diag-${d.severity === "error" ? "error" : "warn"}` }, h("strong", { text: d.code ?? d.severity ?? "note" }), " ", d.message ?? ""),
  );
  replace(el.diagnostics, diags);
  if (res.error) {
    preview.set(`-- ${modeInfo.flag}: ${res.error.message}`);
    replace(el.refBody, h("tr", {}, h("td", { colspan: "4", class: "diag-error", text: `${res.error.code ?? "error"}: ${res.error.message}` })));
    return;
  }
  renderRefTable(res.refs);
}

function renderRefTable(refs) {
  const rows = refs.map((r) => {
    const words = ruleWords(r.rule);
    const other = r.env === "state" ? r.devRelation : r.env === "dev" ? r.stateRelation : "";
    const badges = [h("span", { class: `badge ${r.env === "state" ? "b-state" : r.env === "ephemeral" ? "b-eph" : "b-dev"}`, text: ENV_WORDS[r.env] ?? r.env })];
    if (r.assumption) badges.push(h("span", { class: "badge b-assume", title: "Decided by the unknown-existence policy, not by evidence", text: "assumed" }));
    if (r.selected && r.kind !== "this") badges.push(h("span", { class: "badge b-sel", text: "selected" }));
    // Production's run results on the relation a deferred ref reads.
    const run = r.stateRun;
    if (run) {
      const ok = run.status === "success";
      const title = run.status === "absent" ? "Not part of production's last run: its table is from an earlier one" : `${run.status} in production's run${run.completedAt ? ` (${fmtDate(run.completedAt)})` : ""}${run.message ? `: ${run.message}` : ""}`;
      badges.push(h("span", { class: `badge ${ok ? "b-run" : "b-warn"}`, title, "data-run": run.status, text: ok ? "built in prod" : run.status === "absent" ? "not in prod run" : `prod ${run.status}` }));
    }
    return h(
      "tr",
      { "data-ref": keyOf(r), "data-env": r.env, "data-rule": r.rule },
      h("td", { class: "c-ref" }, h("code", { text: callText(r) })),
      h(
        "td",
        { class: "c-rel" },
        relCode(r.relation, `rel ${envClass(r.env)}`),
        other && other !== r.relation ? h("div", { class: "small muted" }, r.env === "state" ? "dev would be " : "production is ", relCode(other)) : null,
      ),
      h("td", { class: "c-env" }, badges),
      h("td", { class: "c-why" }, h("strong", { class: "rule", title: words.meaning, "data-code": r.rule, text: words.label }), h("div", { class: "reason", text: r.reason ?? "" })),
    );
  });
  if (!rows.length) rows.push(h("tr", {}, h("td", { colspan: "4", class: "muted", text: "This model makes no ref(), source() or this call." })));
  replace(el.refBody, rows);
}

function renderCompare(left, right) {
  const lm = new Map(left.refs.map((r) => [keyOf(r), r]));
  const rm = new Map(right.refs.map((r) => [keyOf(r), r]));
  const differ = new Set();
  for (const [k, r] of lm) if (rm.has(k) && rm.get(k).relation !== r.relation) differ.add(k);
  for (const [i, res] of [left, right].entries()) if (res.error) res.sql = `-- ${res.error.code ?? "error"}: ${res.error.message}`;
  const mk = (refs) => marksFor(refs, (r) => (differ.has(keyOf(r)) ? { cls: `rel ${envClass(r.env)} rel-diff` } : {}));
  cmpViews[0].set(left.sql, mk(left.refs));
  cmpViews[1].set(right.sql, mk(right.refs));
  const title = (res) => {
    const m = MODES.find((x) => x.value === res.mode);
    return [m.label, " ", h("code", { class: "small", text: m.flag })];
  };
  replace($("#cmp-left-h"), title(left));
  replace($("#cmp-right-h"), title(right));
  el.cmpLeft.value = left.mode;
  el.cmpRight.value = right.mode;
  if (left.error || right.error) {
    replace(el.cmpSummary, h("span", { class: "diag-error", text: (left.error ?? right.error).message }));
    return;
  }
  if (!differ.size) {
    replace(el.cmpSummary, left.mode === right.mode ? "Pick two different modes to compare." : "Both modes resolve every ref to the same relation.");
    return;
  }
  const items = [...differ].map((k) =>
    h("li", { "data-ref": k }, h("code", { text: callText(lm.get(k)) }), ": ", relCode(lm.get(k).relation, `rel ${envClass(lm.get(k).env)}`), " vs ", relCode(rm.get(k).relation, `rel ${envClass(rm.get(k).env)}`)),
  );
  replace(el.cmpSummary, h("span", { text: `${differ.size} of ${lm.size} ${lm.size === 1 ? "ref differs" : "refs differ"}:` }), h("ul", { class: "diff-list" }, items));
}

/**
 * renderLineage shows the chosen node's parents and children from
 * project.lineage() under the main mode: each card says where a ref() to
 * that node reads from (production, dev, ephemeral) and why.
 */
function renderLineage(lin) {
  const node = S.node;
  const nodes = lin?.nodes ?? [];
  const card = (n) => {
    const env = n.resourceType === "source" ? "source" : n.env ?? "";
    const label = n.error ? "cannot ref" : env === "state" ? "production" : env === "dev" ? "dev" : env === "ephemeral" ? "ephemeral" : env === "source" ? "source" : n.resourceType;
    const clickable = PICKABLE.has(n.resourceType);
    const body = [h("span", { class: "ln-name", text: n.name }), h("span", { class: `badge ${env === "state" ? "b-state" : env === "dev" ? "b-dev" : env === "ephemeral" ? "b-eph" : "b-plain"}`, text: label })];
    if (n.relation) body.push(relCode(n.relation, "ln-rel small"));
    const title = n.error ? n.error.message : n.reason ? `${ruleWords(n.rule).label}: ${n.reason}` : n.uniqueId;
    return clickable
      ? h("li", {}, h("button", { type: "button", class: "ln-card", "data-uid": n.uniqueId, "data-env": env, "data-rule": n.rule ?? "", title, onclick: () => choose(n.uniqueId) }, body))
      : h("li", {}, h("div", { class: "ln-card static", "data-uid": n.uniqueId, "data-env": env, title }, body));
  };
  const parents = nodes.filter((n) => n.depth < 0).map(card);
  const kids = nodes.filter((n) => n.depth > 0).map(card);
  const more = lin?.truncated ? " (more not shown)" : "";
  const tests = node.tests.length;
  replace(
    el.lineage,
    h("div", { class: "ln-col" }, h("h3", { text: `Parents (${parents.length})${more}` }), parents.length ? h("ul", { class: "ln-list" }, parents) : h("p", { class: "muted small", text: lin?.error ? lin.error.message : "No parents." })),
    h("div", { class: "ln-arrow", "aria-hidden": "true", text: "→" }),
    h("div", { class: "ln-col ln-self" }, h("h3", { text: "This model" }), h("ul", { class: "ln-list" }, h("li", {}, h("div", { class: "ln-card self" }, h("span", { class: "ln-name", text: node.name }), h("span", { class: "badge b-dev", text: "built in dev" }))))),
    h("div", { class: "ln-arrow", "aria-hidden": "true", text: "→" }),
    h("div", { class: "ln-col" }, h("h3", { text: `Children (${kids.length})${more}${tests ? ` · ${tests} tests` : ""}` }), kids.length ? h("ul", { class: "ln-list" }, kids) : h("p", { class: "muted small", text: "No downstream models." })),
  );
}

function renderInputs() {
  const { dev, prod, catalog } = S.inputs;
  const desc = (x) => (x ? `${x.name}${x.size ? ` (${mb(x.size)})` : ""}${x.demo ? " · demo" : ""}` : "none");
  $("#dev-name").textContent = `Loaded: ${desc(dev)}`;
  $("#prod-name").textContent = `Loaded: ${desc(prod)}`;
  $("#catalog-name").textContent = catalog ? `Loaded: ${desc(catalog)}` : "";
  $("#catalog-clear").hidden = !catalog;
  const counts = S.project?.info?.counts ?? {};
  const extra = [catalog && "catalog", S.devRelations.length && `${S.devRelations.length} dev relations`].filter(Boolean);
  el.inputsSummary.textContent = `${dev?.demo ? "Demo: jaffle-shop" : `dev ${desc(dev)}`}${prod ? ` vs ${prod.demo ? "its production run" : `production ${desc(prod)}`}` : ", no production manifest"}${extra.length ? ` · ${extra.join(", ")}` : ""} · ${counts.model ?? 0} models`;
  $("#demo-note").hidden = !dev?.demo;
}

function fmtDate(s) {
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return s;
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** runLinks are the http(s) URLs the state's metadata.env carries (dbt Cloud's run and job pages), run pages first. */
function runLinks(env) {
  const entries = Object.entries(env ?? {}).filter(([, v]) => typeof v === "string" && /^https?:\/\//i.test(v.trim()));
  entries.sort(([a], [b]) => /RUN/.test(b) - /RUN/.test(a) || a.localeCompare(b));
  return entries.map(([, v]) => safeHref(v.trim())).filter(Boolean);
}

/** span says a number of seconds as a person would ("3 h"); ago adds "ago". */
function span(seconds) {
  for (const [n, u] of [[86400, "d"], [3600, "h"], [60, "min"]]) if (seconds >= n) return `${Math.floor(seconds / n)} ${u}`;
  return "";
}
function ago(seconds) {
  if (seconds == null) return "";
  return span(seconds) ? `${span(seconds)} ago` : "just now";
}

/** runName names a state's run: dbt Cloud's run id, else the invocation. */
function runName(info) {
  const r = info?.run;
  if (r?.source === "dbt-cloud") return `dbt Cloud run ${r.id}`;
  return `invocation ${info?.invocationId ?? "?"}`;
}

async function renderBanner() {
  let info = null;
  try {
    info = await S.project.stateInfo();
  } catch {
    info = null;
  }
  if (!info) {
    replace(el.banner, h("span", { class: "banner-title", text: "No production manifest" }), h("span", { class: "muted", text: " — load one: with nothing to defer to, every ref reads dev." }));
  } else {
    const field = (label, value, cls, extra = {}) => (value ? h("span", { class: "bf", ...extra }, h("span", { class: "bf-l", text: label }), h("span", { class: `bf-v ${cls ?? ""}`, text: value })) : null);
    // The run's page: the engine's link (openProject's runURL over the
    // state's metadata), else an http(s) URL the metadata carries. Text
    // only, http(s) only, opened without the opener.
    const href = safeHref(info.run?.url) || runLinks(info.env)[0];
    const link = href ? h("a", { href, class: "bf-link", rel: "noopener noreferrer", target: "_blank", "data-testid": "run-link" }, `Open ${runName(info)} ↗`) : null;
    const run = info.run;
    const rr = info.runResults;
    const counts = rr ? Object.entries(rr.counts ?? {}).map(([k, n]) => `${n} ${k}`).join(", ") : "";
    replace(
      el.banner,
      h("span", { class: "banner-title", text: "Production state" }),
      field("project", info.projectName),
      field("generated", `${fmtDate(info.generatedAt)}${info.age != null ? ` (${ago(info.age)})` : ""}`, info.stale ? "stale" : "", { "data-testid": "state-age" }),
      info.stale ? h("span", { class: "badge b-warn", title: `Older than ${span(info.staleAfter)}: production may have changed since`, text: "stale" }) : null,
      run?.source === "dbt-cloud" ? field("run", run.id, "mono") : null,
      run?.jobId ? field("job", run.jobId, "mono") : null,
      run?.trigger ? field("trigger", run.trigger) : null,
      field("invocation", info.invocationId, "mono"),
      field("dbt", info.dbtVersion),
      field("adapter", info.adapterType),
      rr ? field("run results", `dbt ${rr.command ?? "?"}: ${counts}`, "", { "data-testid": "state-run-results" }) : null,
      link,
      S.moved ? h("span", { class: "bf moved", "data-testid": "state-moved", text: `Production moved on at ${S.moved.at.toTimeString().slice(0, 5)}: now ${runName(S.moved.info)}` }) : null,
    );
  }
  const dbt = S.project.info?.dbtVersion;
  const versions = [dbt && `dev manifest: dbt ${dbt}`, S.api && `engine ${(await S.api).version}`].filter(Boolean);
  $("#versions").textContent = versions.join(" · ");
}

// ---- the URL records the view ---------------------------------------------------

function hashParams() {
  return new URLSearchParams(location.hash.replace(/^#/, ""));
}

function writeHash() {
  const q = new URLSearchParams();
  const name = S.node?.name;
  q.set("model", name && S.nodeByName ? name : S.node.uniqueId);
  q.set("mode", S.mode);
  if (S.select.trim()) q.set("select", S.select.trim());
  if (S.cmp[0] !== "off" || S.cmp[1] !== "standard") q.set("cmp", S.cmp.join(","));
  if (S.unknown !== "missing") q.set("unknown", S.unknown);
  if (S.inputs.dev?.url) q.set("dev", S.inputs.dev.url);
  if (S.inputs.prod?.url) q.set("prod", S.inputs.prod.url);
  if (S.runURL) q.set("run", S.runURL);
  if (S.prodResults) q.set("prodResults", S.prodResults);
  const next = `#${q.toString()}`;
  if (location.hash !== next) history.replaceState(null, "", next);
}

function readHash() {
  const q = hashParams();
  const mode = q.get("mode");
  setMode(MODES.some((m) => m.value === mode) ? mode : "standard", true);
  S.select = q.get("select") ?? "";
  el.selectInput.value = S.select;
  const cmp = (q.get("cmp") ?? "off,standard").split(",");
  S.cmp = [0, 1].map((i) => (MODES.some((m) => m.value === cmp[i]) ? cmp[i] : ["off", "standard"][i]));
  S.unknown = q.get("unknown") === "present" ? "present" : "missing";
  el.unknownPolicy.value = S.unknown;
  S.runURL = q.get("run") ?? "";
  S.prodResults = q.get("prodResults") ? safeHref(q.get("prodResults")) : "";
  return { model: q.get("model"), dev: q.get("dev"), prod: q.get("prod") };
}

window.addEventListener("hashchange", async () => {
  const want = readHash();
  if ((want.dev && want.dev !== S.inputs.dev?.url) || (want.prod && want.prod !== S.inputs.prod?.url)) {
    return loadURLs(want.dev ?? DEMO.dev, want.prod ?? DEMO.prod);
  }
  const uid = await findModel(want.model);
  if (uid && uid !== S.uid) await choose(uid, true);
  schedule(0);
});

// ---- start -----------------------------------------------------------------------

// Tests and curious users can read the latest results here (plain data).
window.dbtdeferPlayground = {
  get state() {
    return { model: S.node?.uniqueId, mode: S.mode, select: S.select, compile: S.compile, models: S.modelCount, last: S.last };
  },
  get idle() {
    return busy === 0 && timer === null;
  },
  text(which) {
    return { editor: editor.text, preview: preview.text, left: cmpViews[0].text, right: cmpViews[1].text }[which];
  },
  takeFiles,
  /** For the benchmark: recomputation-to-paint times (ms), and the edit debounce. */
  paints,
  get firstPaint() {
    return S.firstPaint;
  },
  /** Revalidate production now, as regaining the focus does (tests). */
  refreshProduction: () => ((S.refreshedAt = 0), refreshProduction()),
  set editDebounceMs(ms) {
    editDebounceMs = ms;
  },
  /** The editor's wait before it asks for underlines (the benchmark excludes it). */
  lintDelayMs: LINT_DELAY_MS,
};

const start = readHash();
api().catch(() => {}); // the wasm loads while the manifests download (a failure is shown by the load)
if (start.dev) loadURLs(start.dev, start.prod);
else loadURLs(DEMO.dev, DEMO.prod, { demo: true });
