#!/usr/bin/env bash
# Checks the files in deploy/ as they are shipped:
#   1. each nginx site with `nginx -t` (certificate and log paths pointed at
#      throwaway ones, nothing else changed);
#   2. each systemd unit with `systemd-analyze verify` (any warning fails);
#   3. each example settings file with hearth's own parser (`hearth init`
#      into a throwaway directory);
#   4. unless --static: deploy/check.mjs runs an issuer and a forum behind
#      the two-party nginx sites (TLS from a throwaway CA, a stand-in SSO
#      proxy) and takes an employee through them.
# Nothing is installed system-wide and nothing is left running. Without an
# nginx on PATH, Debian's package is unpacked into the work directory
# (`apt-get download`, no service started).
#
#   deploy/check.sh [--static]
#   HEARTH_BIN (default build/hearth), WEB_DIST (default web/dist), NGINX.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
static_only=0
case "${1:-}" in
  --static) static_only=1 ;;
  -h|--help) echo "Usage: deploy/check.sh [--static]"; echo; sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "deploy/check.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
esac

hearth=${HEARTH_BIN:-$root/build/hearth}
[[ -x $hearth ]] || { echo "deploy/check.sh: no hearth binary at $hearth (build it, or set HEARTH_BIN)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/hearth-deploy-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok:   $*"; }

# ---------------------------------------------------------------- nginx
nginx=${NGINX:-$(command -v nginx || true)}
mime=/etc/nginx/mime.types
if [[ -z $nginx ]]; then
  echo "(no nginx on PATH: unpacking Debian's package into $work)"
  (cd "$work" && apt-get download nginx nginx-common >/dev/null 2>&1) ||
    { apt-get update -qq >/dev/null && (cd "$work" && apt-get download nginx nginx-common >/dev/null); }
  for deb in "$work"/nginx*.deb; do dpkg -x "$deb" "$work/nginx-root"; done
  nginx=$work/nginx-root/usr/sbin/nginx
  mime=$work/nginx-root/etc/nginx/mime.types
fi
[[ -f $mime ]] || mime=$(dirname "$(dirname "$nginx")")/etc/nginx/mime.types

mkdir -p "$work/ng/logs" "$work/ng/tmp" "$work/ng/conf" "$work/ca"
# A throwaway CA and one server certificate for every name the sites use.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=hearth check CA" \
  -keyout "$work/ca/ca.key" -out "$work/ca/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=hearth check" \
  -keyout "$work/ca/key.pem" -out "$work/ca/req.pem" 2>/dev/null
printf 'subjectAltName=DNS:hearth.example.com,DNS:hearth-issuer.example.com,IP:127.0.0.1\n' > "$work/ca/ext"
openssl x509 -req -in "$work/ca/req.pem" -CA "$work/ca/ca.pem" -CAkey "$work/ca/ca.key" -CAcreateserial \
  -days 2 -extfile "$work/ca/ext" -out "$work/ca/cert.pem" 2>/dev/null

# The site as shipped, with only the certificate and log paths replaced.
site_copy() {
  sed -e "s#/etc/ssl/[A-Za-z0-9_-]*/fullchain.pem#$work/ca/cert.pem#" \
      -e "s#/etc/ssl/[A-Za-z0-9_-]*/privkey.pem#$work/ca/key.pem#" \
      -e "s#/var/log/nginx/#$work/ng/logs/#" "$here/$1"
}
wrapper() {  # wrapper FILE SITE...: an nginx.conf around the sites, everything under $work/ng
  {
    echo "pid $work/ng/logs/nginx.pid;"
    echo "error_log $work/ng/logs/error.log;"
    echo "events {}"
    echo "http {"
    for t in client_body proxy fastcgi uwsgi scgi; do echo "  ${t}_temp_path $work/ng/tmp/$t;"; done
    echo "  include $mime;"
    shift_sites=("${@:2}")
    for s in "${shift_sites[@]}"; do echo "  include $work/ng/conf/$s;"; done
    echo "}"
  } > "$1"
}

for site in nginx.conf nginx-issuer.conf nginx-forum.conf; do
  site_copy "$site" > "$work/ng/conf/$site"
  wrapper "$work/ng/wrap-$site" "$site"
  if out=$("$nginx" -t -p "$work/ng" -c "$work/ng/wrap-$site" 2>&1); then pass "nginx -t $site"
  else fail "nginx -t $site"; echo "$out"; fi
done
# The two sites of a two-party deployment side by side (a staging host).
wrapper "$work/ng/wrap-two" nginx-issuer.conf nginx-forum.conf
if out=$("$nginx" -t -p "$work/ng" -c "$work/ng/wrap-two" 2>&1) && ! grep -q '\[warn\]' <<<"$out"; then
  pass "nginx -t nginx-issuer.conf + nginx-forum.conf together"
else fail "nginx -t nginx-issuer.conf + nginx-forum.conf together"; echo "$out"; fi

# --------------------------------------------------------------- systemd
if command -v systemd-analyze >/dev/null; then
  sroot=$work/sroot
  mkdir -p "$sroot/usr/local/bin" "$sroot/etc/systemd/system" "$sroot/usr/lib/systemd"
  cp -a /usr/lib/systemd/system "$sroot/usr/lib/systemd/"
  cp "$hearth" "$sroot/usr/local/bin/hearth"   # (a symlink would point outside --root)
  for unit in hearth.service hearth-issuer.service hearth-forum.service; do
    cp "$here/$unit" "$sroot/etc/systemd/system/"
    out=$(systemd-analyze --root="$sroot" verify "$unit" 2>&1 | grep -v -i 'symlink' || true)
    if [[ -z $out ]]; then pass "systemd-analyze verify $unit"; else fail "systemd-analyze verify $unit"; echo "$out"; fi
  done
else
  echo "(no systemd-analyze: units not checked)"
fi

# ---------------------------------------------------------- settings files
for toml in hearth-issuer.toml hearth-forum.toml; do
  if out=$("$hearth" init --role issuer --data "$work/init-$toml" --config "$here/$toml" 2>&1); then
    pass "hearth reads $toml"
  else fail "hearth reads $toml"; echo "$out"; fi
done

# -------------------------------------------------------------- live run
if [[ $static_only == 0 ]]; then
  if NGINX="$nginx" NGINX_MIME="$mime" CHECK_WORK="$work" HEARTH_BIN="$hearth" \
     WEB_DIST="${WEB_DIST:-$root/web/dist}" node "$here/check.mjs"; then
    pass "two-party run behind nginx (deploy/check.mjs)"
  else fail "two-party run behind nginx (deploy/check.mjs)"; fi
fi

if [[ $failures -gt 0 ]]; then echo "deploy/check.sh: $failures check(s) failed"; exit 1; fi
echo "deploy/check.sh: all checks passed"
