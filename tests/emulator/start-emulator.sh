#!/bin/sh
# start-emulator.sh — start ps-emulator in the background on a free port
#
# Usage: start-emulator.sh [--pid-file FILE] [--log FILE] [--] [ps-emulator options]
#
# Prints "PORT=<n>", "URL=<url>" and "PID=<pid>" once the emulator listens,
# and writes the pid to --pid-file when given. Stop it with
# `kill "$(cat FILE)"` (SIGTERM also writes the --save file, if any).
# The binary is $PS_EMULATOR, else $PANDASYNC_BUILD_ROOT/tests/emulator/ps-emulator,
# else ./build/tests/emulator/ps-emulator under the source tree.
#
# Copyright 2026 The PandaSync authors
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu

here=$(cd "$(dirname "$0")" && pwd)
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

emulator="${PS_EMULATOR:-}"
if [ -z "$emulator" ] && [ -n "${PANDASYNC_BUILD_ROOT:-}" ]; then
  emulator="$PANDASYNC_BUILD_ROOT/tests/emulator/ps-emulator"
fi
if [ -z "$emulator" ]; then
  emulator="$here/../../build/tests/emulator/ps-emulator"
fi
if [ ! -x "$emulator" ]; then
  echo "start-emulator: no ps-emulator at $emulator (build it, or set PS_EMULATOR)" >&2
  exit 1
fi

out=$(mktemp "${TMPDIR:-/tmp}/ps-emulator.XXXXXX")
if [ -z "$log" ]; then
  log="$out.log"
fi

"$emulator" --port 0 "$@" >"$out" 2>"$log" &
pid=$!

tries=0
while ! grep -q '^URL=' "$out" 2>/dev/null; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "start-emulator: ps-emulator exited; see $log:" >&2
    cat "$log" >&2
    rm -f "$out"
    exit 1
  fi
  tries=$((tries + 1))
  if [ "$tries" -gt 200 ]; then
    echo "start-emulator: ps-emulator did not report its port" >&2
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
