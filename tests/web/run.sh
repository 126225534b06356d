#!/usr/bin/env bash
# Web client tests. Usage: run.sh [all|unit|e2e [FILE.test.mjs...]]
#   unit: npm ci (if needed), npm run build, vitest
#   e2e:  build if web/dist is missing or older than the sources, then the
#         browser tests (every tests/web/*.test.mjs, or the files named)
#         against $HEARTH_BIN
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
web="$root/web"
what="${1:-all}"

ensure_deps() {
  if [ ! -d "$web/node_modules" ] || [ "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
    (cd "$web" && npm ci --no-audit --no-fund)
  fi
  # Browser tests may drive the server with the integration tests' protocol client.
  local it="$root/tests/integration"
  if [ -f "$it/package-lock.json" ] && [ ! -d "$it/node_modules/ws" ]; then
    (cd "$it" && npm ci --no-audit --no-fund)
  fi
}

build() {
  (cd "$web" && npm run build)
}

unit() {
  (cd "$web" && npx vitest run)
}

e2e() {
  export HEARTH_BIN="${HEARTH_BIN:-$root/build/hearth}"
  if [ ! -x "$HEARTH_BIN" ]; then
    echo "hearth binary not found at $HEARTH_BIN (set HEARTH_BIN)" >&2
    exit 1
  fi
  # Rebuild when any source is newer than the last build.
  if [ ! -f "$web/dist/index.html" ] || [ -n "$(find "$web/src" "$web/index.html" "$web/staff.html" -newer "$web/dist/index.html" -print -quit)" ]; then build; fi
  # Node 20 has WebSocket behind a flag; newer Node has it by default.
  local flags=()
  if ! node -e 'process.exit(typeof WebSocket === "function" ? 0 : 1)'; then flags+=(--experimental-websocket); fi
  local files=("$@")
  if [ ${#files[@]} -eq 0 ]; then files=("$here"/*.test.mjs); fi
  node "${flags[@]}" --test --test-concurrency=1 "${files[@]}"
}

case "$what" in
  unit) ensure_deps; build; unit ;;
  e2e) shift; ensure_deps; e2e "$@" ;;
  all) ensure_deps; build; unit; e2e ;;
  *) echo "usage: $0 [all|unit|e2e [FILE.test.mjs...]]" >&2; exit 2 ;;
esac
