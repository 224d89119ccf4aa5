#!/bin/sh
# start-okta-emulator.sh — start ps-okta-emulator in the background on a free port
#
# Usage: start-okta-emulator.sh [--pid-file FILE] [--log FILE] [--] [ps-okta-emulator options]
#
# Prints "PORT=<n>", "URL=<url>" and "PID=<pid>" once the emulator listens,
# and writes the pid to --pid-file when given. Stop it with
# `kill "$(cat FILE)"`. The binary is $PS_OKTA_EMULATOR, else
# $PANDASYNC_BUILD_ROOT/tests/emulator/okta/ps-okta-emulator, else
# ./build/tests/emulator/okta/ps-okta-emulator under the source tree.
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

emulator="${PS_OKTA_EMULATOR:-}"
if [ -z "$emulator" ] && [ -n "${PANDASYNC_BUILD_ROOT:-}" ]; then
  emulator="$PANDASYNC_BUILD_ROOT/tests/emulator/okta/ps-okta-emulator"
fi
if [ -z "$emulator" ]; then
  emulator="$here/../../../build/tests/emulator/okta/ps-okta-emulator"
fi
if [ ! -x "$emulator" ]; then
  echo "start-okta-emulator: no ps-okta-emulator at $emulator (build it, or set PS_OKTA_EMULATOR)" >&2
  exit 1
fi

out=$(mktemp "${TMPDIR:-/tmp}/ps-okta-emulator.XXXXXX")
if [ -z "$log" ]; then
  log="$out.log"
fi

"$emulator" --port 0 "$@" >"$out" 2>"$log" &
pid=$!

tries=0
while ! grep -q '^URL=' "$out" 2>/dev/null; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "start-okta-emulator: ps-okta-emulator exited; see $log:" >&2
    cat "$log" >&2
    rm -f "$out"
    exit 1
  fi
  tries=$((tries + 1))
  if [ "$tries" -gt 600 ]; then
    echo "start-okta-emulator: ps-okta-emulator did not report its port" >&2
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
