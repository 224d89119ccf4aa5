#!/usr/bin/env bash
# run-with-slapd.sh [start-slapd.sh options] -- COMMAND [ARGS…]
#
# Starts a throwaway slapd (tests/servers/start-slapd.sh) on free ports of
# 127.0.0.1, exports its PS_TEST_* variables, runs COMMAND (a TAP producer),
# and stops slapd afterwards, whatever happened. Skips loudly when slapd is
# not installed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
servers="$here/../servers"
opts=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "usage: run-with-slapd.sh [options] -- COMMAND" >&2; exit 2; }

for tool in /usr/sbin/slapd /usr/sbin/slapadd /usr/bin/ldapsearch /usr/bin/python3 openssl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "1..0 # SKIP $tool is not installed: run build-aux/install-deps.sh"
    echo "# SKIP: $tool is not installed: run build-aux/install-deps.sh" >&2
    exit 0
  fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pandasync-slapd.XXXXXX")
stop() {
  # this slapd, and any a test started under $PS_TEST_TMP
  for pidfile in "$tmp"/*/run/slapd.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  rm -rf "$tmp"
}
trap stop EXIT

# two free consecutive ports (LDAP, LDAPS)
port=$(/usr/bin/python3 - <<'PY'
import random, socket
for _ in range(200):
    p = random.randint(20000, 60000)
    ok = True
    for q in (p, p + 1):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", q))
        except OSError:
            ok = False
        finally:
            s.close()
    if ok:
        print(p)
        break
PY
)
if ! "$servers/start-slapd.sh" "$tmp/slapd" "$port" "${opts[@]}" >"$tmp/start.log" 2>&1; then
  echo "Bail out! slapd did not start:"
  sed 's/^/# /' "$tmp/start.log"
  exit 1
fi
. "$tmp/slapd/env"
export PS_TEST_TMP="$tmp"
"$@"
