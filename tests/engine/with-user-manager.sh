#!/usr/bin/env bash
# with-user-manager.sh -- COMMAND [ARGS…]
#
# Runs COMMAND beside a private, real systemd user manager (`systemd --user`)
# in a private mount namespace, with HOME and XDG_RUNTIME_DIR in a temporary
# folder: what `systemctl --user` and PandaSync's service installer talk to.
#
# A container has no user manager of its own, and systemd refuses to start one
# unless /run/systemd/system exists: the namespace gets a tmpfs there. The
# manager moves every process of its cgroup into an init.scope below it, so it
# starts in a cgroup of its own, which is removed afterwards.
#
# Needs root (for the namespace and the cgroup), unshare and systemd. Exits 77
# (and says why on stderr) when a user manager cannot be started here; the
# caller then falls back to the fake (tests/engine/ps-mock-systemd).
# The manager's log is in $PS_USER_MANAGER_LOG while COMMAND runs.
set -u

systemd_bin=""
for candidate in /usr/lib/systemd/systemd /lib/systemd/systemd; do
  [ -x "$candidate" ] && { systemd_bin=$candidate; break; }
done

if [ -z "${PS_USER_MANAGER_INSIDE:-}" ]; then
  [ $# -gt 0 ] && [ "$1" = "--" ] && shift
  [ $# -gt 0 ] || { echo "usage: with-user-manager.sh -- COMMAND" >&2; exit 2; }
  why=""
  if [ -z "$systemd_bin" ]; then why="systemd is not installed"
  elif [ "$(id -u)" != 0 ]; then why="not root (a private mount namespace and cgroup need root)"
  elif ! command -v unshare >/dev/null 2>&1; then why="unshare is not installed"
  elif ! unshare -m --propagation private true 2>/dev/null; then why="unshare cannot make a mount namespace here (no CAP_SYS_ADMIN?)"
  fi
  cgroups=()
  if [ -z "$why" ]; then
    name="pandasync-test-$$"
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
      roots=(/sys/fs/cgroup)
    else
      roots=()
      for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do
        [ -d "$h" ] && roots+=("$h")
      done
    fi
    for root in "${roots[@]}"; do
      if mkdir "$root/$name" 2>/dev/null; then cgroups+=("$root/$name"); else why="cannot create a cgroup in $root"; fi
    done
    [ ${#cgroups[@]} -gt 0 ] || why=${why:-"no writable cgroup hierarchy"}
  fi
  if [ -n "$why" ]; then
    for cg in "${cgroups[@]}"; do rmdir "$cg" 2>/dev/null; done
    echo "with-user-manager.sh: no systemd user manager here: $why" >&2
    exit 77
  fi

  tmp=$(mktemp -d "${TMPDIR:-/tmp}/pandasync-user-manager.XXXXXX")
  chmod 700 "$tmp"
  mkdir -p "$tmp/home" "$tmp/run"
  chmod 700 "$tmp/run"
  cleanup() {
    local cg pid
    for cg in "${cgroups[@]}"; do
      # Anything the manager left behind, then the cgroups, deepest first.
      for pid in $(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null); do
        kill -KILL "$pid" 2>/dev/null
      done
    done
    sleep 0.2
    # …in every hierarchy, should systemd have made one elsewhere too.
    for cg in "${cgroups[@]}" /sys/fs/cgroup/*/"$name"; do
      [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    rm -rf "$tmp"
  }
  trap cleanup EXIT
  PS_USER_MANAGER_INSIDE=1 PS_USER_MANAGER_CGROUPS="${cgroups[*]}" PS_USER_MANAGER_DIR="$tmp" \
    unshare -m --propagation private "$0" "$@"
  exit $?
fi

# Inside the namespace.
tmp=$PS_USER_MANAGER_DIR
mount -t tmpfs -o mode=0755 tmpfs /run/systemd || { echo "Bail out! cannot mount a tmpfs on /run/systemd" >&2; exit 99; }
mkdir -p /run/systemd/system
for cg in $PS_USER_MANAGER_CGROUPS; do echo $$ > "$cg/cgroup.procs"; done

export HOME="$tmp/home"
export XDG_RUNTIME_DIR="$tmp/run"
unset XDG_CONFIG_HOME XDG_STATE_HOME XDG_DATA_HOME XDG_CACHE_HOME DBUS_SESSION_BUS_ADDRESS
"$systemd_bin" --user >"$tmp/manager.log" 2>&1 &
manager=$!
for _ in $(seq 1 100); do
  [ -S "$XDG_RUNTIME_DIR/systemd/private" ] && break
  sleep 0.05
done
if [ ! -S "$XDG_RUNTIME_DIR/systemd/private" ]; then
  echo "with-user-manager.sh: systemd --user did not start:" >&2
  sed 's/^/  /' "$tmp/manager.log" >&2
  kill "$manager" 2>/dev/null
  exit 77
fi
export PS_USER_MANAGER_LOG="$tmp/manager.log"

"$@"
status=$?

kill -TERM "$manager" 2>/dev/null
for _ in $(seq 1 100); do
  kill -0 "$manager" 2>/dev/null || break
  sleep 0.1
done
kill -KILL "$manager" 2>/dev/null
wait "$manager" 2>/dev/null
exit $status
