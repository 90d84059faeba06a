#!/usr/bin/env bash
# Builds the Cloudflare Worker into web/worker/build/:
#   wasm_exec.js, runtime.mjs   syumai/workers' glue (workers-assets-gen -mode=go; its
#                               stock worker.mjs is replaced by src/entry.mjs, which keeps
#                               one Go instance per isolate instead of one per request)
#   app.wasm                    GOOS=js GOARCH=wasm build of ./wasm/worker (Go, not TinyGo)
#   entry.mjs                   the Worker's main module (wrangler.jsonc "main")
# and installs the npm packages (wrangler, miniflare) from package-lock.json.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
say() { printf '==> %s\n' "$*" >&2; }

if [ ! -d "$HERE/node_modules" ] || [ "$HERE/package-lock.json" -nt "$HERE/node_modules/.package-lock.json" ]; then
  say "installing the Worker's npm packages (npm ci in web/worker)"
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
fi

OUT="$HERE/build"
say "generating syumai/workers assets (workers-assets-gen -mode=go)"
go run github.com/syumai/workers/cmd/workers-assets-gen -mode=go -o "$OUT"
rm -f "$OUT/worker.mjs"
cp "$HERE/src/entry.mjs" "$OUT/entry.mjs"

say "building web/worker/build/app.wasm (GOOS=js GOARCH=wasm ./wasm/worker)"
GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o "$OUT/app.wasm" ./wasm/worker

# Workers limit the compressed upload (3 MiB free plan, 10 MiB paid), so print it.
node -e '
const fs = require("fs"), zlib = require("zlib");
const f = process.argv[1], raw = fs.readFileSync(f);
const gz = zlib.gzipSync(raw, { level: 9 }).length;
const br = zlib.brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const mib = (n) => (n / 1048576).toFixed(2) + " MiB";
console.error(`==> app.wasm: raw ${raw.length} bytes (${mib(raw.length)}), gzip ${gz} bytes (${mib(gz)}), brotli ${br} bytes (${mib(br)})`);
' "$OUT/app.wasm"
