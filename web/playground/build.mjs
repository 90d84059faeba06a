// build.mjs bundles the playground into dist/ with esbuild:
//   dist/playground.js      the page (CodeMirror 6 + UI), one ES module
//   dist/playground.css     styles
//   dist/demo/…             the demo dev/prod manifest pair, copied from
//                           resolve/testdata/manifests/defer-jaffle-shop-postgres
// Everything the page references is relative, so web/ can be served from any
// static host under any sub-path. dbtdefer.js (the JS API) is not bundled: the
// page imports ../dbtdefer.js at run time, so its Web Worker and wasm resolve
// next to it.
import * as esbuild from "esbuild";
import { copyFile, mkdir, rm, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");
const out = join(here, "dist");
const watch = process.argv.includes("--watch");

await rm(out, { recursive: true, force: true });
await mkdir(join(out, "demo"), { recursive: true });

// The demo pair: committed real manifests from dbt-labs/jaffle-shop.
const demo = join(repo, "resolve", "testdata", "manifests", "defer-jaffle-shop-postgres");
await copyFile(join(demo, "dev", "manifest.json"), join(out, "demo", "jaffle-shop-dev.json"));
await copyFile(join(demo, "prod", "manifest.json"), join(out, "demo", "jaffle-shop-prod.json"));
await copyFile(join(demo, "SOURCE.md"), join(out, "demo", "SOURCE.md"));

const options = {
  entryPoints: {
    playground: join(here, "src", "main.js"),
  },
  bundle: true,
  format: "esm",
  target: ["es2022"],
  outdir: out,
  minify: !watch && !process.argv.includes("--dev"),
  sourcemap: true,
  legalComments: "linked",
  logLevel: "info",
  loader: { ".css": "css" },
};
await esbuild.build(options);
await esbuild.build({
  entryPoints: [join(here, "src", "style.css")],
  bundle: true,
  outfile: join(out, "playground.css"),
  minify: !watch && !process.argv.includes("--dev"),
  logLevel: "info",
});
const meta = { built: new Date().toISOString(), demo: "resolve/testdata/manifests/defer-jaffle-shop-postgres" };
await writeFile(join(out, "build.json"), JSON.stringify(meta, null, 2) + "\n");
if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
  console.log("watching src/ …");
}
