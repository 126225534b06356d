#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang and
# -fsanitize=fuzzer,address,undefined into build-fuzz/, then runs each for a
# bounded time. Prints each target's coverage at the end; exits non-zero if
# any target crashed, leaked, hung or tripped a sanitizer or an invariant.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'EOF'
usage: scripts/fuzz.sh [options] [-- libFuzzer flags...]

Builds tests/fuzz with clang (-fsanitize=fuzzer,address,undefined) into
build-fuzz/ and runs every fuzz target, one after another or --jobs at a time.

  --seconds-per-target N  how long each target runs (default 60)
  --target NAME           run only this target (repeatable); NAME is a folder of
                          tests/fuzz/corpus/ (base64url, codec, blind_rsa, ...)
  --jobs N                targets run at once, and build jobs (default: nproc)
  --timeout N             seconds one input may take before it counts as a hang
                          (default 25; libFuzzer measures wall time, so give a
                          run under nice on a busy machine more)
  --work DIR              where new corpus entries go, one folder per target
                          (default build-fuzz/corpus); the committed seeds in
                          tests/fuzz/corpus/ are read, never written...
  --update-seeds          ...unless this is given: then each target's new
                          entries are merged (-merge=1, only those that add
                          coverage) into tests/fuzz/corpus/<target>/
  --no-build              use the binaries already in build-fuzz/
  --list                  print the target names and exit
  -h, --help              this text

Everything after -- goes to every libFuzzer run (e.g. -- -max_len=8192).
Crash, leak and timeout inputs are saved in build-fuzz/artifacts/<target>/;
replay one with: build-fuzz/tests/fuzz/<target>_fuzz FILE
Inputs kept in tests/fuzz/regressions/<target>/ are replayed on every run.
EOF
}

seconds=60
timeout=25
jobs=$(nproc 2>/dev/null || echo 2)
work=build-fuzz/corpus
build=1
update_seeds=0
targets=()
extra=()
while (($#)); do
  case "$1" in
    --seconds-per-target) seconds=${2:?--seconds-per-target needs a number}; shift 2 ;;
    --target) targets+=("${2:?--target needs a name}"); shift 2 ;;
    --jobs) jobs=${2:?--jobs needs a number}; shift 2 ;;
    --timeout) timeout=${2:?--timeout needs a number}; shift 2 ;;
    --work) work=${2:?--work needs a folder}; shift 2 ;;
    --update-seeds) update_seeds=1; shift ;;
    --no-build) build=0; shift ;;
    --list) ls tests/fuzz/corpus; exit 0 ;;
    -h | --help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "fuzz.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "fuzz.sh: --seconds-per-target must be a positive integer" >&2; exit 2; }
[[ $jobs =~ ^[0-9]+$ && $jobs -gt 0 ]] || { echo "fuzz.sh: --jobs must be a positive integer" >&2; exit 2; }
[[ $timeout =~ ^[0-9]+$ && $timeout -gt 0 ]] || { echo "fuzz.sh: --timeout must be a positive integer" >&2; exit 2; }
((${#targets[@]})) || mapfile -t targets < <(ls tests/fuzz/corpus)
for t in "${targets[@]}"; do
  [ -d "tests/fuzz/corpus/$t" ] || { echo "fuzz.sh: no target '$t' (--list shows them)" >&2; exit 2; }
done

if ((build)); then
  command -v clang++ >/dev/null || ./scripts/install-deps.sh
  # Every library is instrumented (coverage and sanitizers), not just the
  # targets: the parsers under test live in them. UBSan findings abort, so
  # libFuzzer reports them as crashes.
  flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DHEARTH_FUZZ=ON -DHEARTH_JEMALLOC=OFF \
    -DCMAKE_CXX_FLAGS="$flags" >/dev/null
  echo "fuzz: building the fuzz targets into build-fuzz/ ($jobs jobs)"
  cmake --build build-fuzz --target fuzz -j "$jobs"
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
logs=build-fuzz/logs
mkdir -p "$logs"

run_one() {
  local t=$1 bin=build-fuzz/tests/fuzz/${1}_fuzz
  local out=$work/$t arts=build-fuzz/artifacts/$t
  mkdir -p "$out" "$arts"
  [ -x "$bin" ] || { echo "fuzz: $bin is missing (build without --no-build)" > "$logs/$t.log"; return 1; }
  local rc=0 dict=()
  # A dictionary of the input's words (op and field names), where there is one.
  [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
  # Known crashers first, once each: a fixed bug must stay fixed.
  if compgen -G "tests/fuzz/regressions/$t/*" >/dev/null; then
    "$bin" -timeout="$timeout" "${extra[@]}" tests/fuzz/regressions/"$t"/* > "$logs/$t.regressions.log" 2>&1 || rc=$?
  fi
  if ((rc == 0)); then
    # New entries land in the first folder ($out); the seeds are only read.
    "$bin" -max_total_time="$seconds" -timeout="$timeout" -print_final_stats=1 -artifact_prefix="$arts/" \
      "${dict[@]}" "${extra[@]}" "$out" "tests/fuzz/corpus/$t" > "$logs/$t.log" 2>&1 || rc=$?
  else
    cp "$logs/$t.regressions.log" "$logs/$t.log"
  fi
  if ((rc == 0 && update_seeds)); then
    "$bin" -merge=1 "tests/fuzz/corpus/$t" "$out" >> "$logs/$t.log" 2>&1 || rc=$?
  fi
  return "$rc"
}

echo "fuzz: ${#targets[@]} target(s), ${seconds} s each, ${jobs} at a time; logs in $logs/"
declare -A pid_of rc_of
running=0
for t in "${targets[@]}"; do
  while ((running >= jobs)); do
    wait -n || true
    running=$((running - 1))
  done
  run_one "$t" &
  pid_of[$t]=$!
  running=$((running + 1))
done
for t in "${targets[@]}"; do
  rc=0
  wait "${pid_of[$t]}" || rc=$?
  rc_of[$t]=$rc
done

# libFuzzer's last status line: "#N DONE cov: C ft: F corp: K/S ... exec/s: E".
status=0
printf '\n%-12s %-8s %10s %7s %7s %14s %8s\n' target result runs cov ft corpus exec/s
for t in "${targets[@]}"; do
  log=$logs/$t.log
  line=$(grep -E '^#[0-9]+.*cov: ' "$log" 2>/dev/null | tail -n 1 || true)
  runs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$line")
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$line")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$line")
  corp=$(sed -nE 's/.* corp: ([^ ]+).*/\1/p' <<<"$line")
  eps=$(sed -nE 's/.*exec\/s: ([0-9]+).*/\1/p' <<<"$line")
  result=ok
  if ((rc_of[$t] != 0)); then
    result=FAILED
    status=1
  fi
  printf '%-12s %-8s %10s %7s %7s %14s %8s\n' "$t" "$result" "${runs:--}" "${cov:--}" "${ft:--}" "${corp:--}" "${eps:--}"
done
if ((status)); then
  for t in "${targets[@]}"; do
    ((rc_of[$t] == 0)) && continue
    echo
    echo "fuzz: $t failed (exit ${rc_of[$t]}); the end of $logs/$t.log:"
    grep -E 'ERROR|invariant failed|SUMMARY|Test unit written|runtime error' "$logs/$t.log" | head -n 20 || true
    tail -n 40 "$logs/$t.log"
  done
fi
exit "$status"
