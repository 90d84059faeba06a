// dbtdefer — resolve dbt's --defer / --favor-state client-side.
// Hand-written types for dbtdefer.js. Result shapes are the Go structs'
// JSON (package resolve; wasm/browser/calls.go), the same the CLI prints
// with --json (`dbtdefer resolve --json`), field for field.

/** The version of dbtdefer.js; the wasm must report the same at start. */
export declare const version: string;

/** Starts the wasm. Call once (again only after a failed start). */
export declare function initialize(options?: InitializeOptions): Promise<void>;

export interface InitializeOptions {
  /** Where dbtdefer.wasm is; default: dist/dbtdefer.wasm next to dbtdefer.js. Relative to the page. */
  wasmURL?: string | URL;
  /** An already compiled module, for hosts that cannot fetch (give this or wasmURL). */
  wasmModule?: WebAssembly.Module;
  /** Run the wasm in a Web Worker (node: worker_threads). Default: true where `Worker` exists (browsers), else false. */
  worker?: boolean;
  /**
   * Index big manifests on two cores: a helper worker (a second instance of
   * the same module, started on the first such open) scans the second half
   * of the nodes while this instance scans the first (Project.info
   * .parallelIndex says it did). true (the default, where workers exist):
   * manifests of 16 MB and more; a number: that many bytes and more; false:
   * never. The helper keeps about half the largest manifest's size of wasm
   * memory (wasm memory never shrinks).
   */
  parallel?: boolean | number;
  /**
   * After an open, decode the heads of every model, seed and snapshot in the
   * background, then make 1,500 resolve calls so the engine optimizes that
   * path, in slices of about 2 ms while no calls are coming, so that a ref
   * asked for the first time is answered about as fast as one asked before
   * (see Project.warmed). Costs about 350 bytes of wasm memory a refable node.
   * Default true.
   */
  warm?: boolean;
}

/**
 * An input file: bytes, a Blob/File, or a URL. A string is always a URL
 * (relative to the page), never JSON text. URLs are fetched with conditional
 * requests (If-None-Match) and kept in the Cache API (in memory in node), so
 * reopening re-downloads nothing while the server's ETag is unchanged;
 * file: URLs are read from disk in node.
 */
export type Input = Uint8Array | ArrayBuffer | ArrayBufferView | Blob | URL | string;

/**
 * What the wasm instance holds. The linear memory never shrinks, so
 * wasmMemoryBytes is the instance's peak; heapLiveBytes is what the open
 * projects (their manifest bytes and indexes) keep after a collection.
 */
export declare function memoryUsage(): Promise<MemoryUsage>;

export interface MemoryUsage {
  /** Go heap still reachable after a full collection. */
  heapLiveBytes: number;
  /** Heap the Go runtime holds (live and free spans). */
  heapSysBytes: number;
  /** Everything the Go runtime took from the wasm memory. */
  sysBytes: number;
  /** Projects open (not disposed). */
  projects: number;
  /** Size of the wasm linear memory: the peak, as it never shrinks. */
  wasmMemoryBytes: number;
}

/** Opens a project: indexes the dev manifest and the optional state and oracle inputs. */
export declare function openProject(options: OpenOptions): Promise<Project>;

export interface OpenOptions {
  /** The dev (current) manifest.json. Required. */
  manifest: Input;
  /** Production's manifest.json: the defer state. */
  state?: Input;
  /**
   * Dev catalog.json: which dev relations exist (the dev-existence oracle), and the columns
   * adapter.get_columns_in_relation answers for dev relations (dbt_utils.star and friends).
   */
  catalog?: Input;
  /**
   * Production's catalog.json (needs `state`): get_columns_in_relation about a relation a ref
   * resolved to production reads it first; CompileResult.introspection says which catalog answered.
   */
  stateCatalog?: Input;
  /**
   * dbt Mesh: the production manifest.json of each upstream project, by project name. A two-argument
   * ref('project', 'model') to one reads the producer's relation (env "upstream", rule "cross-project"),
   * never deferred; a model that is not public is refused with dbt's error. Without a manifest, the
   * public nodes dbt Cloud embeds in the dev manifest are used.
   */
  upstream?: Record<string, Input>;
  /** The project's dependencies.yml: its `projects:` are the upstream projects (warnings name the missing ones). */
  dependenciesYml?: Input;
  /** Dev run_results.json: successful builds exist in dev. */
  runResults?: Input;
  /** Dev relations known to exist: "schema.name" or "db.schema.name". */
  devRelations?: string[];
  /** dbt_project.yml; its `quoting:` block overrides the manifest's. */
  projectYml?: Input;
  /**
   * The installed packages' dbt_project.yml files (dbt_packages/<package>/
   * dbt_project.yml), keyed by a name used in warnings: each package's own
   * `vars:` apply to its nodes, under the root project's (dbt's precedence).
   */
  packageProjects?: Record<string, Input>;
  /** Extra request headers for URL inputs (e.g. Authorization). */
  headers?: Record<string, string>;
  /** Keep URL inputs in the Cache API and revalidate them (default true). */
  cache?: boolean;
  /** Reject manifests larger than this many bytes (0: no limit). */
  maxManifestBytes?: number;
  /**
   * Hand byte inputs over instead of copying them: in a worker their
   * ArrayBuffers are transferred (detached on this side, byteLength 0
   * afterwards), which saves a copy of each (about 2 ms a MB). Default false.
   */
  transfer?: boolean;
  /** Called as the inputs load; in a worker the page stays responsive meanwhile. */
  onProgress?: (p: Progress) => void;
  /**
   * Production's run_results.json: every ref that defers to production carries that node's status in
   * the run (RefResult.stateRun), and state.parent_not_success warns of a production relation that run
   * did not rebuild successfully (error, skipped, or not in the run).
   */
  stateRunResults?: Input;
  /**
   * A template of the production run's page: an http(s) URL whose {NAME} placeholders are metadata.env
   * keys of the state (dbt Cloud writes DBT_CLOUD_RUN_ID, DBT_CLOUD_JOB_ID, DBT_CLOUD_PROJECT_ID…; any
   * DBT_ENV_CUSTOM_ENV_* variable too) or invocation_id, generated_at, invocation_started_at,
   * project_name. E.g. "https://cloud.getdbt.com/deploy/12345/projects/{DBT_CLOUD_PROJECT_ID}/runs/{DBT_CLOUD_RUN_ID}".
   * Values are percent-encoded. A placeholder the state lacks gives no link and a warning
   * (state.run_url_placeholder); a template that is not http(s) is refused (options.type).
   */
  runURL?: string;
  /** The state's age past which it is stale (warning state.stale, StateInfo.stale). Default 24 h; 0: never. */
  staleAfterMs?: number;
  /**
   * Where a state given as bytes or a Blob was downloaded from, with the validators of that download:
   * refreshState revalidates it there (a page that fetched the manifest itself, to show its progress).
   */
  stateOrigin?: { url: string; etag?: string; lastModified?: string };
  /** Refresh the state in the background (Project.watchState). Needs a state given as a URL (or stateOrigin). */
  watchState?: { everyMs: number };
  /** Called when a background refresh found a newer production state (it is in use already). */
  onStateChange?: (r: RefreshResult) => void;
  /** Called when a background refresh failed (the current state stays). */
  onStateError?: (e: DbtdeferError) => void;
}

export interface RefreshOptions {
  /** New state bytes, Blob or URL (default: the state's URL, fetched again). */
  state?: Input;
  /** New production run_results.json (default: its URL fetched again, if it came from one). */
  stateRunResults?: Input;
  /**
   * New production catalog.json (default: its URL fetched again, if it came from one). A new state
   * without one drops the old catalog (warning state.catalog_dropped).
   */
  stateCatalog?: Input;
}

export interface RefreshResult {
  /** Whether the state in use changed (a 304, or the same run's bytes again, is no change). */
  changed: boolean;
  stateInfo: StateInfo;
  /** The project's warnings with the state now in use. */
  warnings: Diagnostic[];
}

export interface Progress {
  /** fetch (downloading a URL), read (a Blob), copy (into the wasm), index (Go indexing), ready. */
  phase: "fetch" | "read" | "copy" | "index" | "ready";
  file: string;
  loaded: number;
  /** 0 when unknown (e.g. a compressed response). */
  total: number;
}

/** The defer flags every resolve, explain and compile call takes (the CLI's flags). */
export interface CallOptions {
  /** off (default), standard (--defer) or favor-state (--defer --favor-state). */
  defer?: "off" | "standard" | "favor-state";
  /** dbt behaviour: auto (from the dev manifest's dbt_version), legacy (≤1.7), modern (1.8+), fusion. */
  profile?: "auto" | "legacy" | "modern" | "fusion";
  /** dbt --select. Absent: the node itself is selected (as `dbt compile -s MODEL`); [] selects nothing. */
  select?: string | string[];
  exclude?: string | string[];
  /** Dev relations nothing reports on: "missing" (default, dbt's empty dev schema) or "present". */
  unknown?: "missing" | "present";
  /** Search the calling package before the root project (dbt 1.11 flag; always in Fusion). */
  packageFirst?: boolean;
}

export interface ResolveOptions extends CallOptions {
  /** The calling node: unique_id or name. Omitted: an ad-hoc snippet in the root project. */
  from?: string;
  /** name, package.name, name@v2, source:src.table, this, or fk:name (a contract's foreign-key to:). */
  ref: string | string[];
}

export interface CompileOptions extends CallOptions {
  /** A saved model (alone), or the model an edited buffer belongs to (with sql). */
  model?: string;
  /** The editor buffer, or ad-hoc SQL without model. */
  sql?: string;
  /** --vars */
  vars?: Record<string, unknown>;
  /** Overrides of target.* (name, schema, database, type…). */
  target?: Record<string, unknown>;
  /** env_var() values. */
  env?: Record<string, string>;
  /** The answer is_incremental() gives. */
  incremental?: boolean;
  /** dbt --empty: every ref() and source() renders as a zero-row subquery (adapter's form); `this` does not. */
  empty?: boolean;
  /**
   * render (default) compiles from the raw code; rewrite substitutes the
   * deferred relations in dbt's saved compiled code; auto rewrites where
   * the saved code allows it and renders otherwise.
   */
  strategy?: "render" | "rewrite" | "auto";
}

export interface ExplainOptions extends CallOptions {
  /** The model to explain: name or unique_id. */
  model: string;
}

export interface SelectOptions {
  select?: string | string[];
  exclude?: string | string[];
}

export interface Project {
  /** Warnings found while opening (future schema, state from another project…). */
  readonly warnings: Diagnostic[];
  readonly info: ProjectInfo;
  /** Resolves ref()/source()/this from a node (Go: resolve.Project.Resolve). */
  resolve(options: ResolveOptions): Promise<ResolveResult>;
  /** Compiles a preview: saved model, edited buffer or ad-hoc SQL (Go: resolve.Project.Compile). */
  compile(options: CompileOptions): Promise<CompileResult>;
  /** Evaluates dbt selection syntax (Go: resolve.Project.SelectSet). */
  select(selection: string | string[] | SelectOptions): Promise<SelectResult>;
  /** Every ref(), source() and this of a model, each with the rule that decided it. */
  explain(options: ExplainOptions | string): Promise<ExplainResult>;
  /**
   * Lists the project's nodes a page at a time (Go: resolve.Project.Nodes), searched fuzzily by name in
   * Go: a model picker never holds the whole manifest. Errors: options.invalid (unknown resourceType, limit over 100 000).
   */
  nodes(options?: NodesOptions): Promise<NodesResult>;
  /** One node by unique_id or name: code, config, docs, columns, tests (Go: resolve.Project.NodeDetail). node.not_found with a suggestion. */
  node(uniqueIdOrName: string): Promise<NodeDetail>;
  /**
   * A node's neighbourhood, `depth` steps up and down (default 1, at most `limit` nodes, default 200),
   * each node resolved as a ref() from the root under the defer flags (Go: resolve.Project.Lineage).
   */
  lineage(uniqueIdOrName: string, options?: LineageOptions): Promise<LineageResult>;
  /** Which production run the state came from (with its link), how old it is, and where and when it was fetched; null without a state. */
  stateInfo(): Promise<StateInfo | null>;
  /**
   * The language service's reading of an edited buffer: every call with its
   * range, refs and sources resolved (with definitions), located diagnostics.
   * Works on a buffer that does not compile (Go: resolve.Project.Analyze).
   */
  analyze(options: AnalyzeOptions): Promise<AnalyzeResult>;
  /** Completions at the cursor, best first (Go: resolve.Project.Complete). */
  complete(options: CompleteOptions): Promise<CompleteResult>;
  /**
   * Revalidates the state by its ETag (or takes the one given) and swaps a newer one in without
   * re-indexing the dev manifest; answers kept by this Project are dropped when it changed. A failure
   * (fetch.network, fetch.http, manifest.*, state.other_project, state.not_url) keeps the current state.
   */
  refreshState(options?: RefreshOptions): Promise<RefreshResult>;
  /** Refreshes every everyMs (≥ 1000) in the background; watchState(0) stops. */
  watchState(everyMs: number, onStateChange?: (r: RefreshResult) => void, onStateError?: (e: DbtdeferError) => void): void;
  /** Settles when the background warming after the open is done (at once without it). Calls made meanwhile are answered between its slices. */
  warmed(): Promise<void>;
  /** Frees the project in the wasm (wasm memory is reused, never returned). Later calls fail with project.disposed. */
  dispose(): Promise<void>;
}

export type ResourceType =
  | "model" | "seed" | "snapshot" | "analysis" | "test" | "operation" | "sql_operation" | "function"
  | "source" | "exposure" | "metric" | "semantic_model" | "saved_query" | "unit_test";

export interface NodesOptions {
  /** Default: model, seed, snapshot, analysis. */
  resourceType?: ResourceType | ResourceType[];
  /** Only this package's nodes. */
  package?: string;
  /**
   * Fuzzy name search: the query's characters in order; the exact name first, then a match at the
   * start, at a word start (after _ . / -), shorter names first. With a "." or "/" it searches unique_ids.
   */
  query?: string;
  /** Rows in the page: default 100, at most 100 000. */
  limit?: number;
  offset?: number;
}

export interface NodeSummary {
  uniqueId: string;
  name: string;
  resourceType: ResourceType;
  package: string;
  /** original_file_path (else path). */
  path: string;
  materialized?: string;
  version?: string;
  latestVersion?: string;
  /** A versioned model that is its latest version. */
  latest?: boolean;
  access?: "private" | "protected" | "public" | string;
  /** Against the state, as dbt's state:new / state:modified select; absent without a state. */
  state?: "new" | "modified" | "unchanged";
  /** UTF-16 offsets of the query's characters in name (or in uniqueId: matchedIn). */
  matches?: number[];
  matchedIn?: "uniqueId";
}

export interface NodesResult {
  nodes: NodeSummary[];
  /** How many matched, before paging. */
  total: number;
  offset: number;
  limit: number;
}

export interface NodeDetail extends NodeSummary {
  originalFilePath?: string;
  patchPath?: string;
  language?: string;
  group?: string;
  description: string;
  rawCode: string;
  /** What dbt compiled, when the manifest has it; null otherwise (compile() makes a preview). */
  compiledCode: string | null;
  config: Record<string, unknown>;
  meta: Record<string, unknown>;
  tags: string[];
  columns: { name: string; description?: string; dataType?: string; tags?: string[]; meta?: Record<string, unknown> }[];
  tests: { uniqueId: string; name: string; column?: string }[];
  /** depends_on.nodes. */
  dependsOn: string[];
  /** Children other than tests. */
  children: string[];
  /** The entry's byte offset in the dev manifest. */
  offset: number;
}

export interface LineageOptions extends CallOptions {
  /** Walk upstream (default true). */
  up?: boolean;
  /** Walk downstream (default true). */
  down?: boolean;
  /** Steps each way (default 1). */
  depth?: number;
  /** Nodes at most (default 200, at most 10 000); `truncated` says when it cut. */
  limit?: number;
  /** Include tests and unit tests (default false). */
  tests?: boolean;
}

export interface LineageNode {
  uniqueId: string;
  name: string;
  resourceType: ResourceType;
  package: string;
  materialized?: string;
  /** 0 for the root, -k for k steps upstream, k downstream. */
  depth: number;
  state?: "new" | "modified" | "unchanged";
  /** Where a ref() from the root (the root: `this`; sources: source()) resolves it; absent for tests, exposures… */
  relation?: string;
  env?: "dev" | "state" | "ephemeral" | "upstream";
  rule?: string;
  reason?: string;
  selected?: boolean;
  assumption?: boolean;
  /** Production's run status of a node that resolves there (openProject's stateRunResults). */
  stateRun?: NodeRun;
  /** Why it could not be resolved from the root (access, ambiguity…). */
  error?: Diagnostic;
}

export interface LineageResult {
  root: string;
  /** The root first, then upstream and downstream by distance. */
  nodes: LineageNode[];
  /** Parent → child, among nodes. */
  edges: { from: string; to: string }[];
  truncated: boolean;
  state: StateInfo | null;
  diagnostics: Diagnostic[];
}

export interface ProjectInfo {
  projectName?: string;
  adapterType?: string;
  dbtVersion?: string;
  schemaVersion: number;
  /** Entries per manifest section (nodes by resource type, sources, macros…). */
  counts: Record<string, number>;
  hasState: boolean;
  state: StateInfo | null;
  /** The helper worker indexed part of the manifest (initialize's parallel). */
  parallelIndex: boolean;
  /** The helper worker indexed part of the state. */
  stateParallelIndex: boolean;
}

/** Go: resolve.RefResult. */
export interface RefResult {
  /** The ref as written: "stg_orders", "pkg.name", "name@v2", "source:src.table", "this", "fk:stg_orders" (a contract's foreign-key to:). */
  ref: string;
  kind: "ref" | "source" | "this" | "fk";
  uniqueId: string;
  /** What the ref renders to in compiled SQL. */
  relation: string;
  /** Where it resolved: dev, state (production), ephemeral (a CTE) or upstream (another project's production relation, dbt Mesh). */
  env: "dev" | "state" | "ephemeral" | "upstream";
  /** The rule that fired, e.g. defer-off, favor-state-unselected, dev-exists, dev-unknown-assumed-missing, not-in-state, source-never-deferred, this-never-deferred. */
  rule: string;
  /** The rule in words. */
  reason: string;
  /** True when the decision rested on the unknown-existence policy. */
  assumption?: boolean;
  /** What said the dev relation exists: "catalog", "run_results", "relation list". */
  evidence?: string;
  database?: string;
  schema?: string;
  identifier?: string;
  devRelation?: string;
  stateRelation?: string;
  /** Whether the target was in the selection. */
  selected: boolean;
  /** The production run, when the ref went to the state. */
  state?: StateInfo;
  /** For a cross-project ref: the upstream project and where its relation came from. */
  upstream?: { project: string; source: "manifest" | "embedded"; file?: string; generatedAt?: string; invocationId?: string };
  /** Production's run results on the relation a deferred ref reads (with openProject's stateRunResults). */
  stateRun?: NodeRun;
}

/** Go: resolve.NodeRun: what production's run_results.json says of one node. */
export interface NodeRun {
  /** success, error, skipped, … as dbt writes it; "absent" when the run did not include the node. */
  status: string;
  completedAt?: string;
  /** dbt's message (an error's first 300 bytes). */
  message?: string;
}

/** Go: resolve.RunInfo. */
export interface RunInfo {
  /** DBT_CLOUD_RUN_ID, else the invocation_id. */
  id?: string;
  jobId?: string;
  projectId?: string;
  /** The run's page, from openProject's runURL (http or https only). */
  url?: string;
  startedAt?: string;
  /** DBT_CLOUD_RUN_REASON, e.g. "scheduled". */
  trigger?: string;
  source: "dbt-cloud" | "invocation";
}

/** Go: resolve.StateRunResults. */
export interface StateRunResults {
  file?: string;
  invocationId?: string;
  generatedAt?: string;
  /** The dbt command of the run: build, run, seed… */
  command?: string;
  /** False for a command that builds nothing (compile, docs generate, test): no ref is judged. */
  builds: boolean;
  counts: Record<string, number>;
  elapsedTime?: number;
}

export interface ResolveResult {
  refs: RefResult[];
  diagnostics: Diagnostic[];
}

export interface ExplainResult {
  uniqueId: string;
  refs: RefResult[];
  /** Warnings, and an error diagnostic for each ref that failed (the others are still explained). */
  diagnostics: Diagnostic[];
}

export interface SelectResult {
  /** Selected unique_ids, sorted. */
  uniqueIds: string[];
  diagnostics: Diagnostic[];
}

export interface CompileResult {
  /** The compiled node's unique_id (absent for a snippet). */
  uniqueId?: string;
  sql: string;
  /** Every ref()/source()/this resolved while compiling, ephemeral bodies included. */
  refs: RefResult[];
  /** The injected ephemeral CTEs, as dbt's extra_ctes. */
  ctes: { id: string; sql: string }[];
  diagnostics: Diagnostic[];
  state: StateInfo | null;
  /** "render" or "rewrite" (dbt's saved compiled code with deferred relations replaced). */
  strategy: string;
  /** What the render needed from outside the inputs (is_incremental, run_query, introspection no catalog answered…). */
  outside?: string[];
  /** Whether the inputs sufficed: nothing in `outside`. */
  selfContained: boolean;
  /** The adapter calls about relations (get_columns_in_relation, get_relation) and who answered each. */
  introspection?: Introspection[];
}

/** Go: compile.Introspection. */
export interface Introspection {
  /** The adapter method, e.g. "get_columns_in_relation". */
  call: string;
  /** The relation asked about, as dbt renders it. */
  relation: string;
  /** "catalog" (the dev catalog), "stateCatalog" (production's), or "" when no catalog lists it (then it is in `outside`). */
  answeredBy: "catalog" | "stateCatalog" | "";
  /** The answering catalog's file name. */
  file?: string;
  /** Columns in the answer (get_columns_in_relation). */
  columns: number;
  /** The relation came from a ref resolved to production. */
  deferred?: boolean;
  location: Location;
}

/** Go: resolve.StateInfo, plus where the bytes came from. */
export interface StateInfo {
  invocationId?: string;
  generatedAt?: string;
  invocationStartedAt?: string;
  dbtVersion?: string;
  schemaVersion: number;
  projectName?: string;
  adapterType?: string;
  env?: Record<string, string>;
  /** The state's name in messages: its URL, file name, or "state/manifest.json". */
  file?: string;
  run?: RunInfo;
  runResults?: StateRunResults;
  /** Seconds since generatedAt (stateInfo() and ProjectInfo only). */
  age?: number;
  /** Older than staleAfter (seconds). */
  stale?: boolean;
  staleAfter?: number;
  /** Present on Project.stateInfo(). */
  source?: StateSource | null;
}

export type StateSource =
  | { kind: "bytes"; size: number }
  | { kind: "blob"; name: string; size: number }
  | { kind: "file"; url: string; size: number }
  | {
      kind: "url";
      url: string;
      /** 200: downloaded now; 304: unchanged, read from the cache; 0: offline, read from the cache. */
      status: number;
      fromCache: boolean;
      offline?: boolean;
      etag?: string;
      lastModified?: string;
      /** When these bytes were downloaded (ISO 8601). */
      fetchedAt?: string;
      /** When the server was last asked (ISO 8601). */
      checkedAt: string;
      size: number;
    };

/** Go: diag.Location. */
export interface Location {
  file?: string;
  uniqueId?: string;
  offset?: number;
  line?: number;
  column?: number;
  /** "Did you mean" for near-miss names. */
  suggestion?: string;
}

export interface AnalyzeOptions extends CallOptions {
  /** The model the buffer belongs to (name or unique_id); without it, an ad-hoc snippet of the root project. */
  model?: string;
  /** The editor's buffer. */
  sql: string;
  /** --vars: var() calls they set are not reported. */
  vars?: Record<string, unknown>;
  /** env_var() values. */
  env?: Record<string, string>;
}

export interface CompleteOptions extends AnalyzeOptions {
  /** The cursor, in UTF-16 units from the buffer's start (a CodeMirror position, a JS string index). */
  offset: number;
  /** At most this many items (default 50, at most 1000). */
  limit?: number;
}

/** A place in the buffer. */
export interface Pos {
  /** UTF-16 units from the buffer's start. */
  offset: number;
  /** 1-based; "\r\n", "\n" and "\r" each end a line. */
  line: number;
  /** 1-based, in UTF-16 units (a tab is one). */
  column: number;
  /** The offset in the buffer's UTF-8 bytes. */
  byte: number;
}

export interface Range {
  start: Pos;
  /** The position after the range's last character. */
  end: Pos;
}

/** Go: resolve.AnalyzedCall. */
export interface AnalyzedCall {
  kind: "ref" | "source" | "this" | "var" | "env_var" | "config" | "macro" | "call";
  /** The callee as written: "ref", "dbt_utils.star". */
  name: string;
  range: Range;
  nameRange: Range;
  args: { key?: string; value?: string; range: Range }[];
  /** Its ")" is in the buffer. */
  closed: boolean;
  /** Inside {% if %}, {% for %} or {% macro %}: it may not render. */
  conditional?: boolean;
  /** A ref's, source's or this's resolution, as resolve() answers it. */
  resolution?: RefResult;
  /** Where what it names is defined: the node's file (from its start) or the macro's. */
  definition?: { uniqueId: string; package?: string; path?: string; position: Pos };
  var?: { name: string; found: boolean; hasDefault: boolean; value?: unknown };
  /** It needs the warehouse: a preview answers it with an empty or default result. */
  warehouse?: boolean;
}

/** A diagnostic located in the buffer (Go: resolve.Diagnostic). */
export interface RangeDiagnostic {
  code: string;
  severity: "error" | "warning" | "info";
  message: string;
  range: Range;
  suggestion?: string;
}

export interface AnalyzeResult {
  uniqueId?: string;
  calls: AnalyzedCall[];
  diagnostics: RangeDiagnostic[];
}

export interface CompletionItem {
  label: string;
  kind: "model" | "seed" | "snapshot" | "package" | "version" | "source" | "table" | "macro" | "var" | "config" | "materialization" | "function";
  /** For a model: where it would resolve now ("prod \"db\".\"schema\".\"name\" (rule)"). */
  detail?: string;
  insertText: string;
  uniqueId?: string;
}

export interface CompleteResult {
  /** The items replace the buffer from here… */
  from: Pos;
  /** …to here (the word being typed). */
  to: Pos;
  items: CompletionItem[];
  context: "ref" | "ref-package" | "ref-version" | "source" | "source-table" | "var" | "config" | "config-materialized" | "jinja" | "none";
}

/** Go: diag.Diagnostic. */
export interface Diagnostic {
  code: string;
  severity: "error" | "warning" | "info";
  message: string;
  location: Location;
}

/**
 * Every failure: an Error that is also data. Stable codes include
 * options.unknown_key, options.type, options.missing, initialize.twice,
 * initialize.required, version.mismatch, wasm.load, wasm.exited,
 * fetch.http, fetch.network, manifest.*, ref.not_found, node.not_found,
 * defer.no_state, project.disposed, jinja.*, dbt.*, internal.panic.
 */
export declare class DbtdeferError extends Error {
  readonly code: string;
  readonly location: Location;
  toJSON(): { code: string; message: string; location: Location };
}
