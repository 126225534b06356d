#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test under CTest:
# crypto (RFC 9474 vectors), storage (races, kill -9 crash test, privacy),
# interop (Node blind RSA), integration (the real server over WebSocket) and
# the browser end-to-end tests (Playwright + Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure --timeout 900 "$@"
