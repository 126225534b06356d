#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test; CI runs
# exactly this. What it runs, its arguments and environment: the usage below.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  -h | --help)
    cat <<'EOF'
Usage: ./scripts/test.sh [CTEST-ARGUMENTS...]

Installs the missing Debian packages, builds everything, and runs every test:
  1. CTest: the unit, interop, integration (the real server on a loopback
     port), linkage and browser (Chromium) tests, and deploy_check;
  2. the unit and integration tests again under AddressSanitizer + UBSan
     (./scripts/sanitize.sh);
  3. every fuzz target for a while (./scripts/fuzz.sh).
This is what CI runs (.ci/run). It exits non-zero on any failure, sanitizer
report or fuzz finding.

Arguments go to the first CTest run, e.g.:
  ./scripts/test.sh -R integration_hardening    the tests whose names match

Environment:
  HEARTH_SANITIZE=0        skip step 2
  HEARTH_FUZZ_SECONDS=N    seconds per fuzz target in step 3 (30; 0 skips it)
  BUILD_DIR=DIR            the build directory (build)
EOF
    exit 0
    ;;
esac
./scripts/install-deps.sh
./scripts/build.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure --timeout 900 "$@"

if [ "${HEARTH_SANITIZE:-1}" != 0 ]; then
  echo "hearth: unit and integration tests under AddressSanitizer + UBSan"
  ./scripts/sanitize.sh
fi
fuzz_seconds=${HEARTH_FUZZ_SECONDS:-30}
if [ "$fuzz_seconds" != 0 ]; then
  echo "hearth: fuzz targets, ${fuzz_seconds} s each"
  ./scripts/fuzz.sh --seconds-per-target "$fuzz_seconds"
fi
