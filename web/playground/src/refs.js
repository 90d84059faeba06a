// refs.js finds ref()/source()/this calls in a model's raw code and, when
// the engine's compile is not available, substitutes their resolved
// relations into the code for an approximate preview. Other Jinja is left as
// written. Only used as a fallback: compile() is the real preview.

const Q = String.raw`(['"])((?:(?!\1).)*)\1`;
const REF_ARGS = new RegExp(String.raw`^\s*${Q}\s*(?:,\s*(['"])((?:(?!\3).)*)\3\s*)?(?:,\s*(?:v|version)\s*=\s*(['"]?)([\w.-]+)\5\s*)?$`);
const SRC_ARGS = new RegExp(String.raw`^\s*${Q}\s*,\s*(['"])((?:(?!\3).)*)\3\s*$`);
const CALL = /\b(ref|source)\s*\(([^()]*)\)/g;
const EXPR = /\{\{-?\s*(?:(ref|source)\s*\(([^()]*)\)|(this))\s*-?\}\}/g;

/** specOf turns a call's name and argument text into dbtdefer's ref syntax, or "". */
export function specOf(fn, args) {
  if (fn === "ref") {
    const m = REF_ARGS.exec(args);
    if (!m) return "";
    const [pkg, name] = m[4] != null ? [m[2], m[4]] : ["", m[2]];
    if (!name) return "";
    return (pkg ? `${pkg}.${name}` : name) + (m[6] ? `@v${m[6]}` : "");
  }
  if (fn === "source") {
    const m = SRC_ARGS.exec(args);
    return m && m[2] && m[4] ? `source:${m[2]}.${m[4]}` : "";
  }
  return "";
}

/** extractRefs lists the distinct refs a model's code makes, in order, and `this` when used. */
export function extractRefs(code) {
  const out = [];
  const seen = new Set();
  for (const m of code.matchAll(CALL)) {
    const s = specOf(m[1], m[2]);
    if (s && !seen.has(s)) {
      seen.add(s);
      out.push(s);
    }
  }
  if (/\{\{[^}]*\bthis\b[^}]*\}\}/.test(code) && !seen.has("this")) out.push("this");
  return out;
}

/** keyOf is the ref syntax of a result, for matching calls to results. */
export function keyOf(r) {
  return r.ref ?? r.name ?? "";
}

/** substitute replaces {{ ref(…) }}, {{ source(…) }} and {{ this }} with resolved relations. */
export function substitute(code, refs) {
  const byKey = new Map();
  const byName = new Map();
  for (const r of refs) {
    const k = keyOf(r);
    byKey.set(k, r.relation);
    const bare = k.replace(/@v.*$/, "").split(".").pop();
    if (r.kind === "ref" || !r.kind) byName.set(bare, byName.has(bare) ? null : r.relation);
  }
  return code.replace(EXPR, (whole, fn, args, th) => {
    if (th) return byKey.get("this") ?? whole;
    const s = specOf(fn, args);
    if (!s) return whole;
    if (byKey.has(s)) return byKey.get(s);
    const bare = s.replace(/@v.*$/, "").split(".").pop();
    return fn === "ref" && byName.get(bare) ? byName.get(bare) : whole;
  });
}

/** callText shows a result as the call a dbt user wrote: ref('x'), source('a', 'b'), this. */
export function callText(r) {
  const k = keyOf(r);
  if (r.kind === "this" || k === "this") return "{{ this }}";
  if (r.kind === "source" || k.startsWith("source:")) {
    const rest = k.replace(/^source:/, "");
    const i = rest.indexOf(".");
    return `source('${rest.slice(0, i)}', '${rest.slice(i + 1)}')`;
  }
  let name = k;
  let v = "";
  const at = name.indexOf("@");
  if (at >= 0) [name, v] = [name.slice(0, at), name.slice(at + 1).replace(/^v/, "")];
  const dot = name.indexOf(".");
  const args = dot >= 0 ? `'${name.slice(0, dot)}', '${name.slice(dot + 1)}'` : `'${name}'`;
  return `ref(${args}${v ? `, v=${v}` : ""})`;
}
