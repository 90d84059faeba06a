// platform.js: what differs between node and a browser, written so that
// bundlers (Vite, esbuild, webpack) leave node's modules alone: a node
// module is imported by a name they cannot see, at run time, in node only.

/** isNode is true in node (also in its worker threads). */
export const isNode = typeof process !== "undefined" && !!process.versions?.node;

/** nodeImport imports a node: module in node (bundlers do not follow it). */
export function nodeImport(name) {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ name);
}

// The worker's file, by a name bundlers do not see as an asset (node only:
// a browser page starts the worker with the pattern they do see, in
// dbtdefer.js).
const workerFile = "./worker.js";

/** nodeWorkerURL is worker.js's file: URL, for node's worker_threads. */
export function nodeWorkerURL() {
  return new URL(/* webpackIgnore: true */ workerFile, import.meta.url);
}
