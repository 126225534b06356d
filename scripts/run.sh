#!/usr/bin/env bash
# Sets up everything on a fresh Debian 12 machine and runs hearth on an
# embedded default: both RocksDB stores under ./var/data, the web client at
# http://127.0.0.1:8080/. The first run initialises the data directory and
# prints the first admin's password.
set -euo pipefail
cd "$(dirname "$0")/.."
LISTEN=${HEARTH_LISTEN:-127.0.0.1:8080}
DATA=${HEARTH_DATA:-var/data}

./scripts/install-deps.sh
./scripts/build.sh --target hearth

if [ ! -d "$DATA/issuer" ]; then
  mkdir -p "$(dirname "$DATA")"
  umask 077
  head -c 18 /dev/urandom | base64 | tr '+/' '-_' > var/initial-admin-password
  ./build/hearth init --data "$DATA" --admin admin --admin-password-file var/initial-admin-password
  echo
  echo "  First admin: username 'admin', password '$(cat var/initial-admin-password)'"
  echo "  (also kept in var/initial-admin-password; change it by adding a new admin and removing this one)"
elif [ -f var/initial-admin-password ]; then
  echo "  First admin: username 'admin', password in var/initial-admin-password"
fi

echo
echo "  Employees:        http://$LISTEN/"
echo "  Staff console:    http://$LISTEN/staff   (sign in as admin, import the roster to get enrollment codes)"
echo
exec ./build/hearth serve --data "$DATA" --listen "$LISTEN" --web web/dist
