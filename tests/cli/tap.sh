# tap.sh — a tiny TAP helper for the shell tests (sourced).
# ok_if DESCRIPTION COMMAND…  runs COMMAND; "ok" when it exits 0.
_tap_n=0
_tap_failed=0
tap_plan() { echo "1..$1"; }
ok_if() {
  local desc=$1; shift
  _tap_n=$((_tap_n + 1))
  if "$@" >/dev/null 2>&1; then
    echo "ok $_tap_n - $desc"
  else
    echo "not ok $_tap_n - $desc"
    _tap_failed=1
  fi
}
# expect DESCRIPTION WANT_STATUS PATTERN -- COMMAND…: status must match and the
# combined output must contain PATTERN (a grep -E expression; "" for any).
expect() {
  local desc=$1 want=$2 pattern=$3; shift 4
  local out status
  _tap_n=$((_tap_n + 1))
  out=$("$@" 2>&1); status=$?
  if [ "$status" = "$want" ] && { [ -z "$pattern" ] || printf '%s' "$out" | grep -qE -- "$pattern"; }; then
    echo "ok $_tap_n - $desc"
  else
    echo "not ok $_tap_n - $desc"
    echo "# wanted status $want and /$pattern/; got status $status, output:"
    printf '%s\n' "$out" | sed 's/^/#   /' | head -n 40
    _tap_failed=1
  fi
}
tap_done() { exit $_tap_failed; }
