#!/usr/bin/env bash
# Builds the benchmarks and runs every one that exists, saving the output to
# tests/output/bench.txt. Extra arguments go to bench_server (e.g. --quick).
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -gt 2 ] || jobs=2

if [ ! -f "$BUILD_DIR/build.ninja" ] && [ ! -f "$BUILD_DIR/Makefile" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo || exit 1
fi
# A part whose sources are missing has no target; build what exists.
targets=()
for t in bench_crypto bench_storage bench_server bench_search; do
  if cmake --build "$BUILD_DIR" --target help 2>/dev/null | grep -Eq "(^|/)$t:"; then targets+=("$t"); fi
done
[ ${#targets[@]} -gt 0 ] || targets=(bench_crypto bench_storage bench_server bench_search)
cmake --build "$BUILD_DIR" -j "$jobs" --target "${targets[@]}" || exit 1

# bench_server measures a Node `ws` server beside hearth; install its one
# dependency from the lock file first, so that npm's time and output stay out of
# the bench (bench_server would do it too, and skips the anchor without node).
anchor=tests/bench/node_ws_anchor
if [ ! -d "$anchor/node_modules/ws" ] && command -v node >/dev/null && command -v npm >/dev/null; then
  (cd "$anchor" && npm ci --no-audit --no-fund) || echo "npm ci failed in $anchor: bench_server will say whether the Node anchor runs"
fi

mkdir -p tests/output
out=tests/output/bench.txt
status=0
{
  echo "# hearth benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) core(s), $(uname -m)"
  echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  for b in bench_crypto bench_storage bench_server bench_search; do
    bin=$(find "$BUILD_DIR" -type f -name "$b" -perm -u+x 2>/dev/null | head -n1)
    if [ -z "$bin" ]; then
      echo; echo "== $b: not built, skipped"
      continue
    fi
    echo; echo "== $b"
    if [ "$b" = bench_server ]; then
      "$bin" --hearth "$BUILD_DIR/hearth" "$@" || status=1
    else
      "$bin" || status=1
    fi
  done
} 2>&1 | tee "$out"
echo "saved to $out"
exit $status
