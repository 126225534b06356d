#!/usr/bin/env bash
# Configures and builds hearth (C++ and the web client); the usage below says
# more. CMake and Vite show only warnings. ccache, when installed, is used
# with base_dir set (CMakeLists.txt), so a second clone of the repository
# builds from the cache.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  -h | --help)
    cat <<'EOF'
Usage: ./scripts/build.sh [CMAKE-BUILD-ARGUMENTS...]

Configures (the first time) and builds hearth into build/: the server, the
tests and the benchmarks, then the web client into web/dist/. Quiet unless
something is wrong. It installs nothing: ./scripts/install-deps.sh does.

Arguments go to `cmake --build`, e.g.:
  ./scripts/build.sh --target hearth        only the server

Environment:
  BUILD_DIR=DIR    the build directory (build)
EOF
    exit 0
    ;;
esac
BUILD_DIR=${BUILD_DIR:-build}
jobs=$(nproc 2>/dev/null || echo 2)

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  # Warnings and errors go to stderr; the progress lines on stdout are dropped.
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo --log-level=WARNING >/dev/null
fi
echo "hearth: building C++ ($jobs jobs; the first build takes a few minutes)"
cmake --build "$BUILD_DIR" -j "$jobs" "$@"

echo "hearth: building the web client"
( cd web && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run build --silent -- --logLevel warn )
