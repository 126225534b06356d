#!/usr/bin/env bash
# Builds the benchmarks and runs every one that exists, saving the output to
# tests/output/bench.txt. Arguments and environment: the usage below.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
case "${1:-}" in
  -h | --help)
    cat <<'EOF'
Usage: ./scripts/bench.sh [--quick] [BENCH_SERVER-ARGUMENTS...]

Builds the benchmarks and runs each one that exists (tests/bench/README.md):
bench_crypto, bench_storage, bench_server, bench_search and bench_load. Each
prints its figures beside an anchor measured in the same run, as a ratio,
and the goal; the output is also saved to tests/output/bench.txt. At full
size it takes about an hour (bench_load most of it): run it on an otherwise
idle machine, since the server and the client are pinned to one core each.

  --quick            a fast smoke run of everything (bench_load too)
  other arguments    go to bench_server, e.g. --repeats 3 or --perf posts
                     (build/tests/bench/bench_server --help lists them)

Environment:
  LOAD_ARGS="..."    arguments for bench_load alone, e.g.
                     LOAD_ARGS="--phase mixed --rates 1000 --repeats 1"
                     (build/tests/bench/bench_load --help lists them)
  BUILD_DIR=DIR      the build directory (build)
EOF
    exit 0
    ;;
esac
BUILD_DIR=${BUILD_DIR:-build}
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -gt 2 ] || jobs=2

if [ ! -f "$BUILD_DIR/build.ninja" ] && [ ! -f "$BUILD_DIR/Makefile" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo || exit 1
fi
# A part whose sources are missing has no target; build what exists.
targets=()
for t in bench_crypto bench_storage bench_server bench_search bench_load; do
  if cmake --build "$BUILD_DIR" --target help 2>/dev/null | grep -Eq "(^|/)$t:"; then targets+=("$t"); fi
done
[ ${#targets[@]} -gt 0 ] || targets=(bench_crypto bench_storage bench_server bench_search bench_load)
cmake --build "$BUILD_DIR" -j "$jobs" --target "${targets[@]}" || exit 1

# bench_server and bench_load measure a Node `ws` server beside hearth; install its one
# dependency from the lock file first, so that npm's time and output stay out of
# the bench (the benches would do it too, and skip the anchor without node).
anchor=tests/bench/node_ws_anchor
if [ ! -d "$anchor/node_modules/ws" ] && command -v node >/dev/null && command -v npm >/dev/null; then
  (cd "$anchor" && npm ci --no-audit --no-fund) || echo "npm ci failed in $anchor: bench_server will say whether the Node anchor runs"
fi

load_args=()
for a in "$@"; do [ "$a" = --quick ] && load_args+=(--quick); done
# shellcheck disable=SC2206  # LOAD_ARGS is split on purpose
load_args+=(${LOAD_ARGS:-})

mkdir -p tests/output
out=tests/output/bench.txt
status=0
{
  echo "# hearth benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) core(s), $(uname -m)"
  echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  for b in bench_crypto bench_storage bench_server bench_search bench_load; do
    bin=$(find "$BUILD_DIR" -type f -name "$b" -perm -u+x 2>/dev/null | head -n1)
    if [ -z "$bin" ]; then
      echo; echo "== $b: not built, skipped"
      continue
    fi
    echo; echo "== $b"
    if [ "$b" = bench_server ]; then
      "$bin" --hearth "$BUILD_DIR/hearth" "$@" || status=1
    elif [ "$b" = bench_load ]; then
      # its table: figure | median | spread | anchor | ratio | goal | met?
      "$bin" --hearth "$BUILD_DIR/hearth" "${load_args[@]}" || status=1
    else
      "$bin" || status=1
    fi
  done
  exit $status  # (this group is a subshell: its status leaves through the pipe)
} 2>&1 | tee "$out"
status=$?
echo "saved to $out"
exit $status
