#!/bin/sh
# Runs the Node interop test against hearth_crypto_tool ($HEARTH_CRYPTO_TOOL).
set -eu
cd "$(dirname "$0")"
if [ -z "${HEARTH_CRYPTO_TOOL:-}" ]; then
  echo "HEARTH_CRYPTO_TOOL is not set" >&2
  exit 2
fi
if [ ! -d node_modules/@cloudflare/blindrsa-ts ]; then
  npm ci --no-audit --no-fund --prefer-offline
fi
exec node --test blindrsa.test.mjs
