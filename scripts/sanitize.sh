#!/usr/bin/env bash
# Builds hearth under a sanitizer and runs the unit tests and, under CTest,
# the integration tests against it. Any sanitizer report fails: a unit test
# binary exits non-zero, and the integration harness fails a test
# whose server printed one or did not exit cleanly on SIGTERM.
# (ASan and UBSan stop at the first report, TSan exits with 66 after it.)
#
#   ./scripts/sanitize.sh           AddressSanitizer + UBSan in build-asan/
#                                   (scripts/test.sh runs this after the normal suite)
#   ./scripts/sanitize.sh thread    ThreadSanitizer in build-tsan/ (not part of
#                                   scripts/test.sh: about 12 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-address}"
case "$mode" in
  -h|--help) echo "Usage: ./scripts/sanitize.sh [address|thread]"; echo; sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  address|thread) ;;
  *) echo "sanitize.sh: unknown mode '$mode' (address or thread; --help)" >&2; exit 2 ;;
esac
./scripts/install-deps.sh >/dev/null
# (Re)configured every time, so that an older build directory gets the
# options too. -O1 keeps the instrumented build and its tests fast enough;
# jemalloc is left out (the sanitizers bring their own allocators), and so
# are the benchmarks and the interop tool: only what the tests below run is
# built.
if [ "$mode" = address ]; then
  dir=build-asan
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHEARTH_JEMALLOC=OFF \
    -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -O1" >/dev/null
  export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  unit_tests=(crypto/crypto_test storage/storage_test server/views_test)
else
  # RocksDB is linked as its shared library so that tests/tsan.supp can leave
  # its uninstrumented code out. The storage unit tests are not run: RocksDB's
  # write group hands each writer's batch to a leader through atomics TSan
  # cannot see, and the leader's copy of the batch is reported from hearth's
  # frames, so they would report races that are not there.
  dir=build-tsan
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHEARTH_JEMALLOC=OFF -DHEARTH_ROCKSDB_SHARED=ON \
    -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer -O1" >/dev/null
  export TSAN_OPTIONS="suppressions=$PWD/tests/tsan.supp halt_on_error=0 second_deadlock_stack=1"
  unit_tests=(crypto/crypto_test server/views_test)
fi
targets=(hearth appeal_decide_only)
for t in "${unit_tests[@]}"; do targets+=("${t#*/}"); done
cmake --build "$dir" -j "$(nproc)" --target "${targets[@]}"
# The unit tests directly: their CTest timeouts are sized for the normal build.
# (TSan goes on after a report and exits with 66 at the end.)
for t in "${unit_tests[@]}"; do "./$dir/tests/$t"; done
ctest --test-dir "$dir" --output-on-failure --timeout 900 -R '^integration_'
