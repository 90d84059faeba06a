// dom.js builds DOM without ever parsing markup: manifest data (names,
// descriptions, SQL) reaches the page only as text nodes and checked
// attributes. There is no innerHTML, insertAdjacentHTML or document.write in
// the playground; links are http(s) only.

const ATTRS = new Set([
  "id", "class", "role", "title", "type", "name", "value", "for", "tabindex", "placeholder", "autocomplete",
  "spellcheck", "hidden", "disabled", "checked", "accept", "multiple", "rel", "target", "colspan", "scope", "datetime", "max",
]);

/**
 * h creates an element. attrs: a plain object; keys are attribute names
 * (ATTRS, aria-*, data-*), "text" (textContent), "on…" (listeners), "href"
 * (http(s) only). children: nodes, strings (as text), arrays, null.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v == null || v === false) continue;
    if (k === "text") el.textContent = String(v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "href") {
      const safe = safeHref(v);
      if (safe) el.setAttribute("href", safe);
    } else if (ATTRS.has(k) || k.startsWith("aria-") || k.startsWith("data-")) el.setAttribute(k, v === true ? "" : String(v));
    else throw new Error(`h: attribute ${k} is not allowed`);
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** replace swaps an element's children for new ones. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** safeHref returns an absolute http(s) URL, or "" for anything else (javascript:, data:, …). */
export function safeHref(v) {
  if (v == null || String(v).trim() === "") return ""; // "" would resolve to the page itself
  try {
    const u = new URL(String(v).trim(), document.baseURI);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : "";
  } catch {
    return "";
  }
}

export function $(sel, root = document) {
  const el = root.querySelector(sel);
  if (!el) throw new Error(`missing element ${sel}`);
  return el;
}
