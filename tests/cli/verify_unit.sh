#!/usr/bin/env bash
# The systemd unit as installed, checked by systemd itself: the template is
# filled in with the built lanlord (systemd-analyze checks that ExecStart is
# executable) and `systemd-analyze verify` must accept it without a single
# complaint (it only warns about unknown keys or bad values, so any output
# fails the test).
#   verify_unit.sh UNIT.in LANLORD_DIR
set -euo pipefail
unit_in=$1
bindir=$2
if ! command -v systemd-analyze >/dev/null; then
  echo "systemd-analyze is missing: scripts/install-deps.sh installs systemd" >&2
  exit 1
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|@LANLORD_UNIT_BINDIR@|$bindir|g" "$unit_in" >"$dir/lanlord@.service"
grep -q '^Type=notify$' "$dir/lanlord@.service"
out=$(cd "$dir" && systemd-analyze verify --man=no ./lanlord@example.service 2>&1) || {
  echo "$out" >&2
  exit 1
}
if [ -n "$out" ]; then
  echo "systemd-analyze verify complained:" >&2
  echo "$out" >&2
  exit 1
fi
echo "lanlord@.service: systemd-analyze verify found nothing to complain about"
