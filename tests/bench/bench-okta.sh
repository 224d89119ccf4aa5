#!/usr/bin/env bash
# bench-okta.sh [USERS] [BUILD-DIR]
#
# The Okta benchmark (okta-api.md §5, §6, §7c). Not part of "meson test".
#
# The Okta emulator with USERS (default 100,000) generated users, all in one
# group ("Generated Users"), and the Asset Panda emulator (Classic, demo
# seed, no rate limit), both on loopback with 20 ms latency on every answer.
# pandasync-cli syncs a CollectionMapping of that group into Employees
# (firstName, lastName, email, department; UniqueIdentifier=id),
# Concurrency=4:
#
#   1. full sync (--full), the Okta emulator with --rate-limit off and a
#      "group" bucket large enough that the client never has to pace
#   2. a no-op delta run right after it
#   3. a full read again (--full) with the emulator's real rate limits
#      (the published "group" bucket, 429 past the limit), nothing to write
#
# STEP_TIMEOUT (seconds, default 900) bounds each sync.
#
# The Okta read floor is the group's pages (200 users each) × latency; the
# emulator sends its X-Rate-Limit-* headers even with 429s off, and the
# client paces by them, so the pages over the token's share of the "group"
# bucket in a window wait for the next window (the rate-limit floor). Calls come from both emulators' /_admin/stats (reset
# before each step), wall time and peak RSS of the whole sync from GNU time,
# the Okta side from time-stamped log lines. Raw numbers go to
# tests/bench/out/okta/ (gitignored); the table is printed at the end.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
USERS=${1:-100000}
BUILD=${2:-$src/build-dir-bench}
LATENCY_MS=20
CONCURRENCY=4
OKTA_PAGE=200
cli="$BUILD/src/cli/pandasync-cli"
emu="$BUILD/tests/emulator/assetpanda/ps-emulator"
okta="$BUILD/tests/emulator/okta/ps-okta-emulator"
seed="$src/tests/emulator/assetpanda/seed-demo.json"
okta_seed="$src/tests/emulator/okta/seed-small.json"
py=/usr/bin/python3
TOKEN=00ps-okta-full-token-acme-00000000000001
for f in "$cli" "$emu" "$okta"; do
  [ -x "$f" ] || { echo "build first: ninja -C $BUILD src/cli/pandasync-cli tests/emulator/assetpanda/ps-emulator tests/emulator/okta/ps-okta-emulator ($f not found)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing: run build-aux/install-deps.sh" >&2; exit 1; }

out="$here/out/okta"
mkdir -p "$out"
rm -f "$out"/*.json "$out"/*.log "$out"/*.time "$out"/*.stats "$out"/*.start "$out"/*.tsv
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pandasync-bench-okta.XXXXXX")
emu_pid=""
okta_pid=""
cleanup() {
  [ -n "$emu_pid" ] && kill "$emu_pid" 2> /dev/null && wait "$emu_pid" 2> /dev/null
  [ -n "$okta_pid" ] && kill "$okta_pid" 2> /dev/null && wait "$okta_pid" 2> /dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bench_start=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'; }
log() { printf '[%6.1f s] %s\n' "$(since "$bench_start")" "$*" >&2; }

# shellcheck source=bench-lib.sh
. "$here/bench-lib.sh"

# ------------------------------------------------------------------ emulators
start_emulator "$LATENCY_MS"
log "Asset Panda emulator pid $emu_pid on $emu_url, latency $LATENCY_MS ms, no rate limit"

o0=$(date +%s.%N)
"$okta" --port 0 --seed "$okta_seed" --generate "$USERS" --rate-limit off --rate-limit group=$((4 * USERS / OKTA_PAGE + 100)) \
  --latency-ms "$LATENCY_MS" \
  --call-log-max 1000 > "$tmp/okta.out" 2> "$out/okta-emulator.log" &
okta_pid=$!
okta_url="http://127.0.0.1:$(wait_port "$tmp/okta.out" "$okta_pid" "Okta emulator" "$out/okta-emulator.log")"
log "Okta emulator pid $okta_pid on $okta_url with $USERS generated users (started in $(since "$o0") s)"

group_id=$($py - "$okta_url" <<'PY'
import json, sys, urllib.request
groups = json.load(urllib.request.urlopen(sys.argv[1] + "/_admin/groups"))
groups = groups.get("groups", groups) if isinstance(groups, dict) else groups
print([g["id"] for g in groups if g.get("profile", {}).get("name") == "Generated Users"][0])
PY
) || exit 1
log "group Generated Users: $group_id"

reset_counters() {
  curl -sf -X POST -H 'Content-Type: application/json' \
    -d '{"state": false, "tokens": false, "faults": false}' "$emu_url/_admin/reset" > /dev/null
  curl -sf -X POST -H 'Content-Type: application/json' \
    -d '{"state": false, "calls": true, "stats": true, "rates": false, "tokens": false, "faults": false, "clock": false}' \
    "$okta_url/_admin/reset" > /dev/null
}
# NAME → saves both emulators' stats; prints "ap_calls ap_writes okta_reads okta_429 group_pages"
emu_stats() {
  curl -sf "$emu_url/_admin/stats" > "$out/$1.stats"
  curl -sf "$okta_url/_admin/stats" > "$out/$1.okta.stats"
  $py - "$out/$1.stats" "$out/$1.okta.stats" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
writes = 0
for ep, n in s.get("endpoints", {}).items():
    if ep == "dropped" or ep.startswith("GET /_admin") or " " not in ep:
        continue
    method, path = ep.split(" ", 1)
    if method in ("POST", "PUT", "PATCH", "DELETE") and "/search" not in path and "/session/token" not in path:
        writes += n
o = json.load(open(sys.argv[2]))
routes = o.get("routes", {})
reads = sum(n for r, n in routes.items() if "/api/v1/" in r and not r.endswith("/users/me"))
statuses = o.get("statuses", {})
throttled = sum(n for st, n in statuses.items() if str(st) == "429")
pages = sum(n for r, n in routes.items() if r.endswith("/groups/{id}/users"))
print(s.get("calls", 0), writes, reads, throttled, pages)
PY
}
okta_profile() {
  $py - "$out/$1.okta.stats" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print("; ".join("%s ×%d" % (k, v) for k, v in sorted(s.get("routes", {}).items(), key=lambda kv: -kv[1])))
PY
}

# ------------------------------------------------------------------ runs
export LC_ALL=C.UTF-8 XDG_CONFIG_HOME="$tmp/config" XDG_STATE_HOME="$tmp/state" HOME="$tmp"
unset PANDASYNC_PROFILE

stamp_lines() {
  $py -u -c 'import sys, time
for line in sys.stdin:
    sys.stdout.write("%.3f %s" % (time.time(), line))
    sys.stdout.flush()'
}
# NAME PROFILE [ARGS…] → sets t_wall, rss_mb, rc
run_sync() {
  local name=$1 profile=$2 t0
  shift 2
  reset_counters
  t0=$(date +%s.%N)
  { /usr/bin/time -v -o "$out/$name.time" timeout "${STEP_TIMEOUT:-900}" "$cli" sync --json --profile-file "$profile" "$@" \
      2>&1 > "$out/$name.json"; echo $? > "$tmp/rc"; } | stamp_lines > "$out/$name.log"
  t_wall=$(since "$t0")
  rc=$(cat "$tmp/rc")
  rss_mb=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$out/$name.time")
}
between() {
  awk -v a="$2" -v b="$3" '!ta && $0 ~ a { ta = $1 } ta && $0 ~ b { printf "%.2f", $1 - ta; found = 1; exit }
    END { if (!found) printf "n/a" }' "$out/$1.log"
}
summary() {
  $py - "$out/$1.json" "$2" <<'PY'
import json, sys
try:
    s = json.load(open(sys.argv[1]))
except ValueError:
    print("?"); sys.exit()
print(sum(m.get(sys.argv[2], 0) for m in s.get("mappings", [])))
PY
}
watermark_kb() {
  $py - "$tmp/state.db" <<'PY'
import sqlite3, sys
row = sqlite3.connect(sys.argv[1]).execute("SELECT length(token) FROM watermarks").fetchone()
print("%.0f" % (row[0] / 1024) if row and row[0] else "none")
PY
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b + 0 > 0) printf "%.1f×", a / b; else printf "–" }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { if (a !~ /^[0-9.]+$/) print "n/a"; else print (a + 0 <= b + 0) ? "yes" : "NO" }'; }

printf '[Credentials]\nApiClientSecret=ps-demo-secret\nApiPassword=Panda-Admin-1\nOktaApiToken=%s\n' \
  "$TOKEN" > "$tmp/credentials.ini"
chmod 600 "$tmp/credentials.ini"
write_profile() {  # OKTA-URL
  cat > "$tmp/okta.conf" <<CONF
[Profile]
Id=bench-okta
CredentialsFile=$tmp/credentials.ini
StateFile=$tmp/state.db

[AssetPanda]
URL=$emu_url
Dialect=classic
ClientId=ps-demo-client
Email=admin@example.com
Concurrency=$CONCURRENCY
RateCalls=100000
RateWindow=1

[Okta]
URL=$1
PageSize=$OKTA_PAGE
Timeout=120

[CollectionMapping Employees]
Account=21040
Collection=82677
Group=$group_id
GroupName=Generated Users
UniqueIdentifier=id
StatusField=Integration Status AD
Field.First Name=firstName;overwrite
Field.Last Name=lastName;overwrite
Field.Email=email|login;never-blank
Field.Department=profile.department;overwrite
CONF
}
write_profile "$okta_url"

pages=$(( (USERS + OKTA_PAGE - 1) / OKTA_PAGE ))
read_floor=$(awk -v p="$pages" -v l="$LATENCY_MS" 'BEGIN { printf "%.2f", p * l / 1000 }')

# The generated users were all updated just now: move the emulated clock
# past the delta's 5-minute margin, as a real org's users would be.
curl -sf -X POST -H 'Content-Type: application/json' -d '{"advance": 600}' "$okta_url/_admin/clock" > /dev/null

curl -sf "$okta_url/_admin/rate-limits" > "$out/rate-limits.json"
# The token's share of the "group" bucket (members pages), and the window.
read -r group_limit window < <($py - "$out/rate-limits.json" "$okta_url" <<'PY'
import json, sys, urllib.request
d = json.load(open(sys.argv[1]))
f = json.load(urllib.request.urlopen(sys.argv[2] + "/_admin/faults"))
sw = f.get("switches", f)
share = sw.get("token_share", 50) if isinstance(sw, dict) else 50
window = sw.get("rate_window", 60) if isinstance(sw, dict) else 60
print(int(d.get("limit_group", 0) * share / 100), window)
PY
)

# ------------------------------------------------------------------ 1. full sync
log "1. full sync of $USERS users into Employees (Okta: no rate limit)…"
run_sync 1-full "$tmp/okta.conf" --full
t1_wall=$t_wall; t1_rss=$rss_mb; t1_rc=$rc
read -r c1_ap c1_writes c1_okta c1_429 c1_pages < <(emu_stats 1-full)
c1_created=$(summary 1-full created)
t1_read=$(between 1-full 'Reading the members' 'Read [0-9]+ people? from the directory')
w1_kb=$(watermark_kb)
log "   $t1_wall s, Okta read $t1_read s ($c1_pages pages), $c1_okta Okta reads, $c1_ap Asset Panda calls ($c1_writes writes), created $c1_created, rc $t1_rc"

# ------------------------------------------------------------------ 2. no-op delta
log "2. no-op delta run…"
run_sync 2-noop "$tmp/okta.conf"
t2_wall=$t_wall; t2_rss=$rss_mb; t2_rc=$rc
read -r c2_ap c2_writes c2_okta c2_429 c2_pages < <(emu_stats 2-noop)
t2_mode=$(grep -q 'Okta changes since the last read' "$out/2-noop.log" && echo delta || echo full)
log "   $t2_wall s ($t2_mode), $c2_okta Okta reads, $c2_ap Asset Panda calls ($c2_writes writes), rc $t2_rc"

# ------------------------------------------------------------------ 3. full read with rate limits
log "3. the Okta emulator's real rate limits on; a full read again (--full)…"
curl -sf -X POST -H 'Content-Type: application/json' -d '{"rate_limits": true, "limit_group": 1000}' \
  "$okta_url/_admin/faults" > /dev/null || curl -sf -X POST -H 'Content-Type: application/json' \
  -d '{"switches": {"rate_limits": true, "limit_group": 1000}}' "$okta_url/_admin/faults" > /dev/null \
  || { echo "could not switch the rate limits on" >&2; exit 1; }
curl -sf -X POST "$okta_url/_admin/rate-limits/reset" > /dev/null
# The token's share of the "group" bucket, as Okta states it: X-Rate-Limit-Limit.
group_limit=$(curl -sf -D - -o /dev/null -H "Authorization: SSWS $TOKEN" \
  "$okta_url/api/v1/groups/$group_id/users?limit=1" | tr -d '\r' \
  | awk -F': ' 'tolower($1) == "x-rate-limit-limit" { print $2; exit }')
curl -sf -X POST "$okta_url/_admin/rate-limits/reset" > /dev/null
run_sync 3-limited "$tmp/okta.conf" --full
t3_wall=$t_wall; t3_rss=$rss_mb; t3_rc=$rc
read -r c3_ap c3_writes c3_okta c3_429 c3_pages < <(emu_stats 3-limited)
t3_read=$(between 3-limited 'Reading the members' 'Read [0-9]+ people? from the directory')
# Pages past the first window's share wait for the next window(s).
# A window holds at most that share of the bucket's requests (the pages and
# the group itself); each further share waits
# for the next window, then its pages take their latency.
rl_floor=$(awk -v p="$((pages + 1))" -v l="$LATENCY_MS" -v g="$group_limit" -v w="$window" \
  'BEGIN { if (g + 0 <= 0) { printf "%.2f", p * l / 1000; exit }
           waits = int((p - 1) / g); t = p * l / 1000;
           if (waits > 0) t = waits * w + (p - waits * g) * l / 1000; printf "%.2f", t }')
log "   $t3_wall s, Okta read $t3_read s, $c3_okta Okta reads, $c3_429 × 429, group bucket $group_limit per ${window} s, rc $t3_rc"

# ------------------------------------------------------------------ table
bench_total=$(since "$bench_start")
printf '\nPandaSync Okta benchmark — %s users in one group (Okta emulator), both emulators at %s ms latency, Concurrency=%s, Okta pages of %s\n' \
  "$USERS" "$LATENCY_MS" "$CONCURRENCY" "$OKTA_PAGE"
printf '%s, %s cores; floor = what the protocol allows in this run\n\n' "$(uname -m)" "$(nproc)"
{
  printf 'step\twall s\tOkta read s\tfloor s (latency / rate limit)\tread/floor\tOkta reads\tAP calls\tAP writes\tpeak RSS MB\tgoal\tmet\n'
  printf '1. full, no rate limit\t%s\t%s\t%s / %s\t%s\t%s\t%s\t%s\t%s\tRSS ≤ 150 MB\t%s\n' "$t1_wall" "$t1_read" \
    "$read_floor" "–" "$(ratio "$t1_read" "$read_floor")" "$c1_okta" "$c1_ap" "$c1_writes" "$t1_rss" "$(le "$t1_rss" 150)"
  printf '2. no-op delta (%s)\t%s\t–\t–\t–\t%s\t%s\t%s\t%s\t≤ 3 Okta reads, 0 writes\t%s\n' "$t2_mode" "$t2_wall" \
    "$c2_okta" "$c2_ap" "$c2_writes" "$t2_rss" \
    "$([ "$(le "$c2_okta" 3)" = yes ] && [ "$c2_writes" = 0 ] && echo yes || echo NO)"
  printf '3. full, real rate limits\t%s\t%s\t%s / %s\t%s\t%s\t%s\t%s\t%s\tRSS ≤ 150 MB\t%s\n' "$t3_wall" "$t3_read" \
    "$read_floor" "$rl_floor" "$(ratio "$t3_read" "$rl_floor")" "$c3_okta" "$c3_ap" "$c3_writes" "$t3_rss" "$(le "$t3_rss" 150)"
} > "$out/table.tsv"
column -t -s $'\t' "$out/table.tsv"
printf '\nExit codes: full %s, no-op %s, rate-limited %s. Watermark %s KB. 429 answers in step 3: %s (token share of the group bucket: %s per %s s).\n' \
  "$t1_rc" "$t2_rc" "$t3_rc" "$w1_kb" "$c3_429" "$group_limit" "$window"
printf 'Bench total %.0f s. Raw data: %s\n' "$bench_total" "$out"
printf '\nOkta calls per step (emulator /_admin/stats):\n'
for s in 1-full 2-noop 3-limited; do printf '  %-10s %s\n' "$s" "$(okta_profile "$s")"; done
