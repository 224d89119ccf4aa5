#!/usr/bin/env bash
# with-session.sh [--keyring] [--x11] [--a11y] -- COMMAND [ARGS…]
#
# Runs COMMAND in a private desktop session: its own D-Bus session bus, and
# with --keyring an unlocked gnome-keyring (the Secret Service libsecret
# talks to), with --x11 an Xvfb display, with --a11y the accessibility bus
# (at-spi2-core) with GTK's bridge to it switched on, as a screen reader
# would find it. Nothing outside is touched: HOME and
# XDG_RUNTIME_DIR point into a temporary folder that is removed afterwards.
set -euo pipefail

keyring=0
x11=0
a11y=0
while [ $# -gt 0 ]; do
  case "$1" in
    --keyring) keyring=1; shift ;;
    --x11) x11=1; shift ;;
    --a11y) a11y=1; shift ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: with-session.sh [--keyring] [--x11] -- COMMAND" >&2; exit 2; }

if [ -n "${PANDASYNC_IN_SESSION:-}" ]; then
  exec "$@"
fi

need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "Bail out! with-session.sh: $1 is not installed; run build-aux/install-deps.sh" >&2
    exit 99
  fi
}
need dbus-run-session
[ $keyring = 1 ] && need gnome-keyring-daemon
[ $x11 = 1 ] && need Xvfb
atspi_launcher=""
if [ $a11y = 1 ]; then
  for f in /usr/libexec/at-spi-bus-launcher /usr/lib/at-spi2-core/at-spi-bus-launcher; do
    [ -x "$f" ] && { atspi_launcher=$f; break; }
  done
  if [ -z "$atspi_launcher" ]; then
    echo "Bail out! with-session.sh: at-spi-bus-launcher (at-spi2-core) is not installed; run build-aux/install-deps.sh" >&2
    exit 99
  fi
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pandasync-session.XXXXXX")
chmod 700 "$tmp"
mkdir -p "$tmp/home" "$tmp/run"
chmod 700 "$tmp/run"
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT

export PANDASYNC_SESSION_DIR="$tmp"
export PANDASYNC_SESSION_KEYRING=$keyring
export PANDASYNC_SESSION_X11=$x11
export PANDASYNC_SESSION_ATSPI=$atspi_launcher
export HOME="$tmp/home"
export XDG_RUNTIME_DIR="$tmp/run"
if [ $a11y = 1 ]; then
  unset NO_AT_BRIDGE GTK_A11Y
else
  export NO_AT_BRIDGE=1
  export GTK_A11Y=none
fi

inner() {
  set -euo pipefail
  xvfb_pid=""
  keyring_pid=""
  atspi_pid=""
  stop() {
    [ -n "$atspi_pid" ] && kill "$atspi_pid" 2>/dev/null || true
    [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
    [ -n "$keyring_pid" ] && kill "$keyring_pid" 2>/dev/null || true
  }
  trap stop EXIT
  if [ "$PANDASYNC_SESSION_X11" = 1 ]; then
    # Pick a free display number.
    for n in $(seq 90 200); do
      [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ] || { disp=$n; break; }
    done
    Xvfb ":$disp" -screen 0 1280x800x24 -nolisten tcp >"$PANDASYNC_SESSION_DIR/xvfb.log" 2>&1 &
    xvfb_pid=$!
    export DISPLAY=":$disp"
    for _ in $(seq 1 100); do
      [ -e "/tmp/.X11-unix/X$disp" ] && break
      sleep 0.05
    done
  fi
  if [ "$PANDASYNC_SESSION_KEYRING" = 1 ]; then
    eval "$(printf 'session-password' | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)"
    keyring_pid=${GNOME_KEYRING_PID:-}
    ok=0
    for _ in $(seq 1 100); do
      if gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
           --method org.freedesktop.DBus.NameHasOwner org.freedesktop.secrets 2>/dev/null | grep -q true; then
        ok=1; break
      fi
      sleep 0.05
    done
    if [ $ok != 1 ]; then
      echo "Bail out! gnome-keyring did not take the Secret Service name on the private bus" >&2
      exit 99
    fi
  fi
  if [ -n "$PANDASYNC_SESSION_ATSPI" ]; then
    # The accessibility bus, started now rather than on the first client's
    # request, so that a test does not race its start-up.
    "$PANDASYNC_SESSION_ATSPI" --launch-immediately >"$PANDASYNC_SESSION_DIR/atspi.log" 2>&1 &
    atspi_pid=$!
    ok=0
    for _ in $(seq 1 100); do
      if gdbus call --session --dest org.a11y.Bus --object-path /org/a11y/bus \
           --method org.a11y.Bus.GetAddress 2>/dev/null | grep -q unix; then
        ok=1; break
      fi
      sleep 0.05
    done
    if [ $ok != 1 ]; then
      echo "Bail out! the accessibility bus (at-spi-bus-launcher) did not start on the private bus" >&2
      exit 99
    fi
  fi
  export PANDASYNC_IN_SESSION=1
  "$@"
}
export -f inner

exec dbus-run-session -- bash -c 'inner "$@"' inner "$@"
