#!/usr/bin/env bash
# Every script a user runs answers --help at once, with a "Usage:" line, and
# does nothing else: no install, no build, no benchmark, no test run.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
failed=0
for s in "$root"/scripts/*.sh "$root"/deploy/check.sh; do
  name=${s#"$root"/}
  out=$(timeout 20 bash "$s" --help 2>&1)
  rc=$?
  if [ $rc -ne 0 ]; then
    echo "FAIL $name --help exited $rc${out:+: $(head -n 3 <<<"$out")}"
    failed=1
  elif ! grep -Eq '^[Uu]sage: ' <<<"$out"; then
    echo "FAIL $name --help printed no 'Usage:' line: $(head -n 3 <<<"$out")"
    failed=1
  else
    echo "ok   $name: $(grep -Em1 '^[Uu]sage: ' <<<"$out")"
  fi
done
# A script that takes no arguments refuses one it does not know (exit 2,
# with a message), instead of going on to install.
out=$(timeout 20 bash "$root/scripts/install-deps.sh" --no-such-option 2>&1)
rc=$?
if [ $rc -ne 2 ] || ! grep -q "unknown argument '--no-such-option'" <<<"$out"; then
  echo "FAIL scripts/install-deps.sh --no-such-option exited $rc: $(head -n 3 <<<"$out")"
  failed=1
else
  echo "ok   scripts/install-deps.sh refuses an unknown argument: $out"
fi
exit $failed
