#!/usr/bin/env bash
# verify-units.sh USER_UNIT SYSTEM_UNIT — systemd-analyze verify of the
# service units (copies whose ExecStart is the build tree's pandasync-cli).
# Any warning fails, not only errors. TAP.
set -u
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "1..0 # SKIP systemd-analyze is not installed: the systemd units were NOT verified"
  echo "SKIP: systemd-analyze is not installed: the systemd units were NOT verified" >&2
  exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pandasync-units.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 700 "$tmp"

echo "1..4"
n=0
check() {   # DESCRIPTION MODE UNIT
  local desc=$1 mode=$2 unit=$3 out status
  n=$((n + 1))
  if [ "$mode" = user ]; then
    out=$(XDG_RUNTIME_DIR="$tmp" systemd-analyze --user verify "$unit" 2>&1); status=$?
  else
    out=$(systemd-analyze verify "$unit" 2>&1); status=$?
  fi
  # An instance is named after a profile; verify the template and an instance.
  if [ $status = 0 ] && [ -z "$out" ]; then
    echo "ok $n - $desc"
  else
    echo "not ok $n - $desc"
    printf '%s\n' "$out" | sed 's/^/# /'
    failed=1
  fi
}
failed=0
cp "$1" "$tmp/pandasync@.service"
cp "$1" "$tmp/pandasync@acme.service"
cp "$2" "$tmp/pandasync-system@.service"
cp "$2" "$tmp/pandasync-system@acme.service"
check "user unit template" user "$tmp/pandasync@.service"
check "user unit instance pandasync@acme" user "$tmp/pandasync@acme.service"
check "system unit template" system "$tmp/pandasync-system@.service"
check "system unit instance" system "$tmp/pandasync-system@acme.service"
exit $failed
