#!/usr/bin/env bash
# Builds hearth with AddressSanitizer + UndefinedBehaviorSanitizer into
# build-asan/ and runs the unit tests and, under CTest, the integration tests
# against it (scripts/test.sh runs this after the normal suite). Any
# sanitizer report fails: the unit tests abort on the first one, and the
# integration harness fails a test whose server printed one or did not exit
# cleanly on SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh >/dev/null
# (Re)configured every time, so that an older build-asan gets the options too.
# -O1 keeps the instrumented build and its tests fast enough for CI; jemalloc
# is left out (ASan brings its own allocator), and so are the benchmarks and
# the interop tool: only what the tests below run is built.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHEARTH_JEMALLOC=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -O1" >/dev/null
cmake --build build-asan -j "$(nproc)" --target hearth crypto_test storage_test views_test appeal_decide_only
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The unit tests directly: their CTest timeouts are sized for the normal build.
./build-asan/tests/crypto/crypto_test
./build-asan/tests/storage/storage_test
./build-asan/tests/server/views_test
ctest --test-dir build-asan --output-on-failure --timeout 900 -R '^integration_'
