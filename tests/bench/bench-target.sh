#!/usr/bin/env bash
# bench-target.sh — the Asset Panda client against the emulator; prints a table.
#
# Usage: tests/bench/bench-target.sh [BUILD_DIR]     (default: ./build)
#   BENCH_N=10000       records per create/update run
#   BENCH_LATENCY=20    emulator latency per call, ms
#   BENCH_CONCURRENCY=4 the profile's Concurrency
#   BENCH_REAL=1        also a paced run at the real 400 calls / 180 s (takes 6 min)
#
# Throughput runs have the emulator's rate limit off; "floor" is calls ×
# latency ÷ concurrency, the best any client can do with that many calls.
# The paced run scales the documented 400 calls / 180 s down to 40 / 18 s
# (same rate, 10× shorter windows) and sends 5 windows' worth of calls (Pro
# PUTs of 5 updates each);
# a sliding-window pacer can send the first window at once, so its ideal time
# is (windows − 1) × window and the achieved rate is (calls − one window's
# calls) ÷ elapsed.
#
# Copyright 2026 The PandaSync authors
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
n=${BENCH_N:-10000}
latency=${BENCH_LATENCY:-20}
conc=${BENCH_CONCURRENCY:-4}
emulator="$build/tests/emulator/assetpanda/ps-emulator"
seed="$src/tests/emulator/assetpanda/seed-small.json"

[ -x "$emulator" ] || { echo "bench-target: build first (no $emulator)" >&2; exit 1; }
[ -f "$build/src/libpandasync.a" ] || { echo "bench-target: no $build/src/libpandasync.a" >&2; exit 1; }

tmp=$(mktemp -d)
emu_pid=""
cleanup() { [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# The driver links the static library of the build tree.
cc -O2 -o "$tmp/bench-target" "$src/tests/bench/bench-target.c" \
  -I"$src/src/target" -I"$src/src/core" -I"$build" \
  "$build/src/libpandasync.a" \
  $(pkg-config --cflags --libs glib-2.0 gio-2.0 gio-unix-2.0 libsoup-3.0 json-glib-1.0 libsecret-1 sqlite3) \
  -lldap -llber -lpthread

start_emu() {
  rm -f "$tmp/emu.out"
  "$emulator" --port 0 --seed "$seed" "$@" >"$tmp/emu.out" 2>"$tmp/emu.err" &
  emu_pid=$!
  for _ in $(seq 200); do grep -q '^PORT=' "$tmp/emu.out" 2>/dev/null && break; sleep 0.05; done
  port=$(sed -n 's/^PORT=//p' "$tmp/emu.out")
  url="http://127.0.0.1:$port"
}
stop_emu() { kill "$emu_pid" 2>/dev/null; wait "$emu_pid" 2>/dev/null || true; emu_pid=""; }
stat() { curl -s "$url/_admin/stats" | python3 -c "import json,sys; print(json.load(sys.stdin).get('$1', 0))"; }
reset_counters() {
  curl -s -X POST -H 'Content-Type: application/json' \
    -d '{"state": false, "tokens": false, "faults": false}' "$url/_admin/reset" >/dev/null
}
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }

# Runs the driver; resets the emulator's counters once its set-up is done.
drive() { # ARGS… → prints the driver's figures
  local line="" out=""
  coproc DRV { "$tmp/bench-target" "$@"; }
  local in=${DRV[0]} to=${DRV[1]} drv=$DRV_PID
  read -r line <&"$in" || true
  if [ "$line" = ready ]; then
    reset_counters
    echo go >&"$to"
    read -r out <&"$in" || true
  fi
  wait "$drv" || true
  echo "$out"
}

rows=()
run_throughput() { # DIALECT MODE
  local dialect=$1 mode=$2 out calls conns wall floor records
  start_emu --rate-limit 0 --latency-ms "$latency"
  out=$(drive "$url" "$dialect" "$mode" "$n" "$conc" 100000 1)
  calls=$(stat calls); conns=$(stat connections)
  wall=$(field wall "$out"); records=$(field records "$out")
  floor=$(python3 -c "print('%.2f' % ($calls * $latency / 1000 / $conc))")
  rows+=("$(printf '| %-7s | %-6s | %7s | %6s | %5s | %9s | %6s | %7s | %10s | %5s |' \
    "$dialect" "$mode" "$records" "$(field failed "$out")" "$calls" \
    "$(python3 -c "print('%.3f' % ($calls / $records))")" \
    "$wall" "$floor" "$(python3 -c "print('%.2f' % ($wall / $floor))")" "$conns")")
  stop_emu
}

paced=()
run_paced() { # CALLS WINDOW N
  local rc=$1 rw=$2 calls_n=$3 out calls limited maxwin wall ideal
  start_emu --rate-limit "$rc/$rw" --latency-ms "$latency"
  out=$(drive "$url" pro paced "$calls_n" "$conc" "$rc" "$rw")
  calls=$(stat calls); limited=$(stat rate_limited); maxwin=$(stat max_attempts_in_window)
  wall=$(field wall "$out")
  ideal=$(python3 -c "import math; print((math.ceil($calls / $rc) - 1) * $rw)")
  paced+=("$(printf '| %9s | %5s | %7s | %7s | %10s | %7s | %8s | %4s | %15s |' "$rc/$rw" "$calls" \
    "$wall" "$ideal" "$(python3 -c "print('%.3f' % (($calls - $rc) / $wall))")" \
    "$(python3 -c "print('%.3f' % ($rc / $rw))")" \
    "$(python3 -c "print('%.1f%%' % (100 * ($calls - $rc) / $wall / ($rc / $rw)))")" \
    "$limited" "$maxwin")")
  stop_emu
}

for d in classic pro; do
  run_throughput "$d" create
  run_throughput "$d" update
done
run_paced 40 18 200
if [ "${BENCH_REAL:-0}" = 1 ]; then
  run_paced 400 180 1200
fi

echo "Throughput: $n records per run, emulator latency ${latency} ms, concurrency $conc, rate limit off"
echo
echo "| dialect | run    | records | failed | calls | calls/rec | wall s | floor s | wall/floor | conns |"
echo "|---------|--------|--------:|-------:|------:|----------:|-------:|--------:|-----------:|------:|"
for r in "${rows[@]}"; do echo "$r"; done
echo
echo "Pacing: Pro PUTs of 5 updates, latency ${latency} ms, concurrency $conc"
echo
echo "| limit     | calls | wall s  | ideal s | achieved/s | limit/s | of limit | 429s | max in a window |"
echo "|-----------|------:|--------:|--------:|-----------:|--------:|---------:|-----:|----------------:|"
for r in "${paced[@]}"; do echo "$r"; done
