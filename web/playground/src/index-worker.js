// index-worker.js parses the dev and production manifests off the main thread
// (JSON.parse of a 100 MB manifest takes about half a second) and keeps them,
// answering the page with small pieces: the model list, one model's raw code,
// lineage, and the metadata for the state banner. The wasm (dbtdefer.js)
// answers resolution; this worker only lists what is in the files.
//
// Messages: {id, op, args} → {id, ok} | {id, error}.

const docs = { dev: null, state: null };

self.onmessage = async (e) => {
  const { id, op, args } = e.data;
  try {
    let ok;
    switch (op) {
      case "load":
        ok = await load(args.which, args.blob);
        break;
      case "node":
        ok = node(args.uniqueId);
        break;
      default:
        throw new Error(`index worker: unknown op ${op}`);
    }
    self.postMessage({ id, ok });
  } catch (err) {
    self.postMessage({ id, error: String(err?.message ?? err) });
  }
};

async function load(which, blob) {
  if (!blob) {
    docs[which] = null;
    return null;
  }
  const text = await blob.text();
  let m;
  try {
    m = JSON.parse(text);
  } catch (err) {
    throw new Error(`${blob.name || which}: not JSON (${err.message})`);
  }
  if (m === null || typeof m !== "object" || Array.isArray(m)) throw new Error(`${blob.name || which}: not a manifest (not a JSON object)`);
  docs[which] = m;
  const meta = isObj(m.metadata) ? m.metadata : {};
  const out = { metadata: summarizeMeta(meta) };
  if (which === "dev") {
    out.models = listNodes(m);
    out.children = childrenCount(m);
  }
  return out;
}

function isObj(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function str(v) {
  return typeof v === "string" ? v : v == null ? "" : String(v);
}

// summarizeMeta keeps the metadata fields the banner shows, and every http(s)
// URL that the metadata (env included) carries, as candidate links.
function summarizeMeta(meta) {
  const links = [];
  const visit = (key, v, depth) => {
    if (depth > 3 || links.length > 5) return;
    if (typeof v === "string" && /^https?:\/\//i.test(v.trim())) links.push({ key, url: v.trim() });
    else if (isObj(v)) for (const [k, x] of Object.entries(v)) visit(key ? `${key}.${k}` : k, x, depth + 1);
  };
  visit("", meta, 0);
  return {
    generatedAt: str(meta.generated_at),
    invocationId: str(meta.invocation_id),
    dbtVersion: str(meta.dbt_version),
    projectName: str(meta.project_name),
    adapterType: str(meta.adapter_type),
    schemaVersion: str(meta.dbt_schema_version),
    links: links.filter((l) => !/schemas\.getdbt\.com/.test(l.url)),
  };
}

const LISTED = new Set(["model", "seed", "snapshot", "analysis"]);

// listNodes returns the pickable nodes, smallest form: the picker searches
// thousands of these on every keystroke.
function listNodes(m) {
  const nodes = isObj(m.nodes) ? m.nodes : {};
  const out = [];
  for (const [uid, n] of Object.entries(nodes)) {
    if (!isObj(n)) continue;
    const type = str(n.resource_type);
    if (!LISTED.has(type)) continue;
    out.push({
      uniqueId: uid,
      name: str(n.name),
      package: str(n.package_name),
      type,
      path: str(n.original_file_path || n.path),
      materialized: str(n.config?.materialized),
      version: n.version == null ? "" : str(n.version),
    });
  }
  out.sort((a, b) => (b.type === "model") - (a.type === "model") || a.name.localeCompare(b.name) || a.uniqueId.localeCompare(b.uniqueId));
  return out;
}

function childrenCount(m) {
  const nodes = isObj(m.nodes) ? m.nodes : {};
  let edges = 0;
  for (const n of Object.values(nodes)) if (isObj(n) && Array.isArray(n.depends_on?.nodes)) edges += n.depends_on.nodes.length;
  return edges;
}

// node returns one node's code and lineage: its parents (depends_on.nodes,
// in dev) and its children in dev, each with a name and type.
function node(uid) {
  const m = docs.dev;
  if (!m) throw new Error("no dev manifest loaded");
  const n = m.nodes?.[uid];
  if (!isObj(n)) throw new Error(`${uid} is not in the dev manifest`);
  const describe = (id) => {
    const x = m.nodes?.[id] ?? m.sources?.[id];
    if (!isObj(x)) return { uniqueId: id, name: id.split(".").pop(), type: id.split(".")[0] };
    const name = x.resource_type === "source" ? `${str(x.source_name)}.${str(x.name)}` : str(x.name);
    return { uniqueId: id, name, type: str(x.resource_type), materialized: str(x.config?.materialized), inState: !!docs.state?.nodes?.[id] || !!docs.state?.sources?.[id] };
  };
  const parents = (Array.isArray(n.depends_on?.nodes) ? n.depends_on.nodes : []).map(str).map(describe);
  const children = [];
  const childMap = m.child_map?.[uid];
  if (Array.isArray(childMap)) {
    for (const c of childMap) children.push(describe(str(c)));
  } else {
    for (const [id, x] of Object.entries(m.nodes ?? {})) {
      if (isObj(x) && Array.isArray(x.depends_on?.nodes) && x.depends_on.nodes.includes(uid)) children.push(describe(id));
    }
  }
  const st = docs.state?.nodes?.[uid];
  return {
    uniqueId: uid,
    name: str(n.name),
    type: str(n.resource_type),
    language: str(n.language || "sql"),
    rawCode: str(n.raw_code ?? n.raw_sql),
    description: str(n.description),
    path: str(n.original_file_path || n.path),
    materialized: str(n.config?.materialized),
    inState: isObj(st),
    changed: isObj(st) && str(st.raw_code ?? st.raw_sql) !== str(n.raw_code ?? n.raw_sql),
    parents,
    children: children.filter((c) => c.type !== "test").concat(children.filter((c) => c.type === "test")),
    tests: children.filter((c) => c.type === "test").length,
  };
}
