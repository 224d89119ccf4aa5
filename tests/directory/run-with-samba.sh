#!/usr/bin/env bash
# run-with-samba.sh -- COMMAND [ARGS…]
#
# Provisions and starts one Samba AD DC (tests/servers/start-samba-dc.sh) in a
# private network namespace, so its fixed AD ports (389, 636, 88, …) never
# meet anything else on this machine, and runs COMMAND (a TAP producer) in
# that namespace with the PS_TEST_SAMBA_* variables. Samba is stopped and the
# namespace removed afterwards, whatever happened. Needs root (ip netns).
# Skips loudly when Samba is not installed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
servers="$here/../servers"
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "usage: run-with-samba.sh -- COMMAND" >&2; exit 2; }

for tool in samba samba-tool ldbsearch ldapadd ip openssl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "1..0 # SKIP $tool is not installed: run build-aux/install-deps.sh"
    echo "# SKIP: $tool is not installed: run build-aux/install-deps.sh" >&2
    exit 0
  fi
done
if [ ! -d /usr/share/samba/setup/ad-schema ]; then
  echo "1..0 # SKIP samba-ad-provision is not installed: run build-aux/install-deps.sh"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "Bail out! the Samba AD DC tests need root (a private network namespace)"
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pandasync-samba.XXXXXX")
ns="pandasync-samba-$$"
stop() {
  if [ -f "$tmp/samba/run/samba-launch.pid" ]; then
    pid=$(cat "$tmp/samba/run/samba-launch.pid")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null
  fi
  # anything else still inside the namespace
  for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  ip netns del "$ns" 2>/dev/null
  rm -rf "$tmp"
}
trap stop EXIT

ip netns add "$ns" || { echo "Bail out! cannot create network namespace $ns"; exit 1; }
ip netns exec "$ns" ip link set lo up
# a second loopback address: the certificate names 127.0.0.1, so this one is a wrong host name
ip netns exec "$ns" ip addr add 127.0.0.2/8 dev lo
if ! ip netns exec "$ns" "$servers/start-samba-dc.sh" "$tmp/samba" >"$tmp/start.log" 2>&1; then
  echo "Bail out! the Samba AD DC did not start:"
  sed 's/^/# /' "$tmp/start.log" | tail -20
  exit 1
fi
. "$tmp/samba/env"
export PS_TEST_TMP="$tmp"
ip netns exec "$ns" "$@"
