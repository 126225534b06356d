#!/usr/bin/env bash
# Installs every Debian package hearth needs (the usage below says more).
set -euo pipefail
case "${1:-}" in
  -h | --help)
    cat <<'EOF'
Usage: ./scripts/install-deps.sh

Installs the Debian 12 packages hearth needs to build, test and run (with
apt-get, through sudo when not root), and nothing else. Packages already
installed are left alone, so a second run only checks. It takes no
arguments.
EOF
    exit 0
    ;;
  '') ;;
  *) echo "install-deps.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-all-dev libsodium-dev libssl-dev librocksdb-dev libjemalloc-dev
  doctest-dev libcli11-dev libspdlog-dev libtomlplusplus-dev
  nodejs npm chromium
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    # A tool that is already on PATH from elsewhere (e.g. node/npm) counts as present.
    case "$p" in
      nodejs) command -v node >/dev/null 2>&1 && continue ;;
      npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "hearth: installing ${#missing[@]} missing package(s): ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "hearth: all system packages present"
fi
