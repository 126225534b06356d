#!/usr/bin/env bash
# Builds hearth with AddressSanitizer + UndefinedBehaviorSanitizer into
# build-asan/ and runs the unit and integration tests against it. Slower than
# scripts/test.sh (a second full build); run it before releases.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
# (Re)configured every time, so that an older build-asan gets the options too;
# jemalloc is left out: ASan brings its own allocator.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHEARTH_JEMALLOC=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -O1" >/dev/null
cmake --build build-asan -j "$(nproc)" --target hearth crypto_test storage_test
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
./build-asan/tests/crypto/crypto_test
./build-asan/tests/storage/storage_test
( cd tests/integration && { [ -d node_modules/ws ] || npm ci --no-audit --no-fund; } &&
  HEARTH_BIN="$PWD/../../build-asan/hearth" node --test --test-concurrency=1 )
