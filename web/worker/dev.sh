#!/usr/bin/env bash
# Starts the Worker in local workerd (wrangler dev) on 127.0.0.1:${PORT:-8787}
# and publishes the demo pair as "dev" and "prod". The local publish token is
# kept in web/worker/.dev.vars (git-ignored), made on first run.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PORT=${PORT:-8787}
[ -f "$HERE/build/app.wasm" ] || bash "$HERE/build.sh"
if [ ! -f "$HERE/.dev.vars" ]; then
  echo "PUBLISH_TOKEN=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')" >"$HERE/.dev.vars"
fi
TOKEN=$(sed -n 's/^PUBLISH_TOKEN=//p' "$HERE/.dev.vars")
cd "$HERE"
export WRANGLER_SEND_METRICS=false
npx wrangler dev --ip 127.0.0.1 --port "$PORT" --persist-to "$HERE/.wrangler/state" &
WR=$!
trap 'kill $WR 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
DEMO="$ROOT/resolve/testdata/manifests/defer-jaffle-shop-postgres"
curl -fsS -X PUT -H "Authorization: Bearer $TOKEN" --data-binary @"$DEMO/dev/manifest.json" "http://127.0.0.1:$PORT/v1/manifests/dev?kind=dev" && echo
curl -fsS -X PUT -H "Authorization: Bearer $TOKEN" --data-binary @"$DEMO/prod/manifest.json" "http://127.0.0.1:$PORT/v1/manifests/prod?kind=state" && echo
echo "==> Worker on http://127.0.0.1:$PORT with the demo pair published (token in web/worker/.dev.vars). Try:"
echo "    curl 'http://127.0.0.1:$PORT/v1/resolve?from=customers&ref=stg_customers&defer=favor-state'"
echo "    curl -X POST http://127.0.0.1:$PORT/v1/compile -d '{\"model\":\"customers\",\"defer\":\"standard\"}'"
wait $WR
