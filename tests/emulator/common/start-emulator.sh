#!/bin/sh
# start-emulator.sh — start one of the emulators in the background on a free port
#
# Usage: start-emulator.sh NAME PATH BINARY [--pid-file FILE] [--log FILE] [--] [emulator options]
#
# Called by each emulator's own start script (assetpanda/start-emulator.sh,
# graph/start-graph-emulator.sh, okta/start-okta-emulator.sh): NAME is the
# executable's name (ps-emulator), PATH where the build puts it below
# tests/emulator (assetpanda/ps-emulator), BINARY the path the caller's
# environment names, or "" for the default: $PANDASYNC_BUILD_ROOT/tests/emulator/PATH,
# else ./build/tests/emulator/PATH under the source tree.
#
# Prints "PORT=<n>", "URL=<url>" and "PID=<pid>" once the emulator listens,
# and writes the pid to --pid-file when given. Stop it with `kill "$(cat FILE)"`.
#
# Copyright 2026 The PandaSync authors
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu

here=$(cd "$(dirname "$0")" && pwd)
name="$1"
path="$2"
emulator="$3"
shift 3
me="start-${name#ps-}"

pid_file=""
log=""
while [ $# -gt 0 ]; do
  case "$1" in
    --pid-file) pid_file="$2"; shift 2 ;;
    --log) log="$2"; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done

if [ -z "$emulator" ] && [ -n "${PANDASYNC_BUILD_ROOT:-}" ]; then
  emulator="$PANDASYNC_BUILD_ROOT/tests/emulator/$path"
fi
if [ -z "$emulator" ]; then
  emulator="$here/../../../build/tests/emulator/$path"
fi
if [ ! -x "$emulator" ]; then
  echo "$me: no $name at $emulator (build it, or set its PS_…EMULATOR variable)" >&2
  exit 1
fi

out=$(mktemp "${TMPDIR:-/tmp}/$name.XXXXXX")
if [ -z "$log" ]; then
  log="$out.log"
fi

"$emulator" --port 0 "$@" >"$out" 2>"$log" &
pid=$!

tries=0
while ! grep -q '^URL=' "$out" 2>/dev/null; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "$me: $name exited; see $log:" >&2
    cat "$log" >&2
    rm -f "$out"
    exit 1
  fi
  tries=$((tries + 1))
  if [ "$tries" -gt 600 ]; then
    echo "$me: $name did not report its port" >&2
    kill "$pid" 2>/dev/null || true
    rm -f "$out"
    exit 1
  fi
  sleep 0.05
done

if [ -n "$pid_file" ]; then
  echo "$pid" >"$pid_file"
fi
grep -E '^(PORT|URL)=' "$out"
echo "PID=$pid"
rm -f "$out"
