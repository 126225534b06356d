#!/usr/bin/env bash
# Sets up everything on a fresh Debian 12 machine and runs hearth in the
# foreground. See usage() below and the README's "First run" section.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'EOF'
Usage: ./scripts/run.sh [--help]

Installs the missing Debian packages, builds hearth (C++ server and web
client) and runs it in the foreground, as one service holding both the
issuer and the forum. The first run initialises the data directory and
prints the first admin's password.

Environment:
  HEARTH_LISTEN  HOST:PORT to listen on          (default 127.0.0.1:8080)
  HEARTH_DATA    the data directory              (default var/data)
  HEARTH_CONFIG  a TOML settings file, optional  (docs/configuration.md)

The first admin's password is also kept in initial-admin-password beside
the data directory (var/initial-admin-password by default).
The log goes to this terminal (standard error); hearth writes no log file.
Stop the server with Ctrl-C (or SIGTERM): it closes connections and exits.
EOF
}

case "${1:-}" in
  '') ;;
  -h | --help)
    usage
    exit 0
    ;;
  *)
    echo "run.sh: unknown argument '$1'" >&2
    usage >&2
    exit 2
    ;;
esac

LISTEN=${HEARTH_LISTEN:-127.0.0.1:8080}
DATA=${HEARTH_DATA:-var/data}
CONFIG=${HEARTH_CONFIG:-}
PASSWORD_FILE="$(dirname "$DATA")/initial-admin-password"
config_args=()
if [ -n "$CONFIG" ]; then
  [ -f "$CONFIG" ] || { echo "run.sh: HEARTH_CONFIG names '$CONFIG', which is not a file" >&2; exit 2; }
  config_args=(--config "$CONFIG")
fi

# Refuse before building anything when the address is taken (most often by a
# hearth started earlier in another terminal).
host=${LISTEN%:*}
port=${LISTEN##*:}
host=${host#[}
host=${host%]}
if [ "$port" != 0 ] && timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null; then
  echo "run.sh: something already listens on $LISTEN (a hearth started earlier?)." >&2
  echo "        Stop it with Ctrl-C in its terminal, or choose another address: HEARTH_LISTEN=127.0.0.1:8081 ./scripts/run.sh" >&2
  exit 1
fi

./scripts/install-deps.sh
./scripts/build.sh --target hearth

if [ ! -d "$DATA/issuer" ] && [ ! -d "$DATA/forum" ]; then
  if [ -e "$PASSWORD_FILE" ]; then
    echo "run.sh: $PASSWORD_FILE already exists (from another data directory?); move it away first." >&2
    exit 1
  fi
  mkdir -p "$(dirname "$DATA")"
  (
    umask 077
    head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$PASSWORD_FILE"
  )
  ./build/hearth init --data "$DATA" --admin admin --admin-password-file "$PASSWORD_FILE" "${config_args[@]}"
  echo
  echo "  First admin: username 'admin', password '$(cat "$PASSWORD_FILE")'"
  echo "  (also kept in $PASSWORD_FILE: change it in the staff console under"
  echo "  'My password', then delete that file)"
elif [ -f "$PASSWORD_FILE" ]; then
  echo "  First admin: username 'admin', password in $PASSWORD_FILE"
fi

echo
echo "  Employees:        http://$LISTEN/"
echo "  Staff console:    http://$LISTEN/staff   (sign in as admin, import the roster to get enrollment codes)"
echo "  Stop with Ctrl-C. The log follows here."
echo
exec ./build/hearth serve --data "$DATA" --listen "$LISTEN" --web web/dist "${config_args[@]}"
