#!/usr/bin/env bash
# bench-entra.sh [USERS] [BUILD-DIR]
#
# The Microsoft Entra ID benchmark: delta over Microsoft Graph (contract
# §0.5 of shared/reference/entra-graph.md). Not part of "meson test".
#
# The Graph emulator with USERS (default 100,000) generated users, all in
# one group ("Generated Users"), and the Asset Panda emulator (Classic, demo
# seed, no rate limit), both on loopback with 20 ms latency on every answer.
# pandasync-cli syncs a CollectionMapping of that group into Employees
# (givenName, surname, mail, department; UniqueIdentifier=id), Concurrency=4:
#
#   1. full sync (--full): the watermark (users/delta and groups/delta from
#      now, the nesting tree's direct members), then transitiveMembers
#   2. a no-op delta run right after it
#   3. a 1 % change (department of USERS/100 users) and a delta run
#
# Each step is set beside its floor in the same run: the Graph read floor
# is transitiveMembers' pages × latency (pages of 999), the Asset Panda
# floor its calls × latency ÷ Concurrency. Calls come from both emulators'
# /_admin/stats (reset before each step), wall time and peak RSS from GNU
# time, the Graph side of a sync from time-stamped log lines, the
# watermark's size from the state file. Raw numbers go to
# tests/bench/out/entra/ (gitignored); the table is printed at the end.
#
# Peak RSS of the full sync at 100,000 users: 137.6 MB (was 155.5 MB, over
# the 150 MB goal, until a plan's changes became one allocation each; the
# peak is the planning step, where the people read and the plan coexist).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
USERS=${1:-100000}
BUILD=${2:-$src/build-dir-bench}
LATENCY_MS=20
CONCURRENCY=4
BATCH=100              # Classic objects per create / PUT call
GRAPH_PAGE=999
cli="$BUILD/src/cli/pandasync-cli"
emu="$BUILD/tests/emulator/assetpanda/ps-emulator"
graph="$BUILD/tests/emulator/graph/ps-graph-emulator"
seed="$src/tests/emulator/assetpanda/seed-demo.json"
graph_seed="$src/tests/emulator/graph/seed-small.json"
py=/usr/bin/python3
TENANT=contoso.onmicrosoft.com
APP=11111111-1111-4111-8111-111111111111
SECRET='ps-graph-secret~1'
for f in "$cli" "$emu" "$graph"; do
  [ -x "$f" ] || { echo "build first: ninja -C $BUILD src/cli/pandasync-cli tests/emulator/assetpanda/ps-emulator tests/emulator/graph/ps-graph-emulator ($f not found)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing: run build-aux/install-deps.sh" >&2; exit 1; }

out="$here/out/entra"
mkdir -p "$out"
rm -f "$out"/*.json "$out"/*.log "$out"/*.time "$out"/*.stats "$out"/*.txt "$out"/*.tsv "$out"/*.start
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pandasync-bench-entra.XXXXXX")
emu_pid=""
graph_pid=""
cleanup() {
  [ -n "$emu_pid" ] && kill "$emu_pid" 2> /dev/null && wait "$emu_pid" 2> /dev/null
  [ -n "$graph_pid" ] && kill "$graph_pid" 2> /dev/null && wait "$graph_pid" 2> /dev/null
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

g0=$(date +%s.%N)
"$graph" --port 0 --seed "$graph_seed" --generate "$USERS" --latency-ms "$LATENCY_MS" --call-log-max 1000 \
  > "$tmp/graph.out" 2> "$out/graph-emulator.log" &
graph_pid=$!
graph_url="http://127.0.0.1:$(wait_port "$tmp/graph.out" "$graph_pid" "Graph emulator" "$out/graph-emulator.log")"
log "Graph emulator pid $graph_pid on $graph_url with $USERS generated users (started in $(since "$g0") s)"

# The generated group's id, and the ids of its users (for the 1 % change).
$py - "$graph_url" "$TENANT" "$APP" "$SECRET" "$tmp/group-id" "$tmp/user-ids" <<'PY' || exit 1
import json, sys, urllib.parse, urllib.request
url, tenant, app, secret, group_out, users_out = sys.argv[1:]
form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": app, "client_secret": secret,
                               "scope": url + "/.default"}).encode()
token = json.load(urllib.request.urlopen(url + "/%s/oauth2/v2.0/token" % tenant, form))["access_token"]
q = urllib.parse.quote("displayName eq 'Generated Users'")
req = urllib.request.Request(url + "/v1.0/groups?$filter=" + q + "&$select=id",
                             headers={"Authorization": "Bearer " + token})
gid = json.load(urllib.request.urlopen(req))["value"][0]["id"]
open(group_out, "w").write(gid)
members = json.load(urllib.request.urlopen(url + "/_admin/groups/" + gid))["members"]
open(users_out, "w").write("\n".join(m if isinstance(m, str) else m["id"] for m in members))
PY
group_id=$(cat "$tmp/group-id")
log "group Generated Users: $group_id"

emu_reset_counters() {
  curl -sf -X POST -H 'Content-Type: application/json' \
    -d '{"state": false, "tokens": false, "faults": false}' "$emu_url/_admin/reset" > /dev/null
  curl -sf -X POST -H 'Content-Type: application/json' \
    -d '{"state": false, "calls": true, "stats": true, "tokens": false, "faults": false, "clock": false}' \
    "$graph_url/_admin/reset" > /dev/null
}
# NAME → saves both emulators' stats; prints "ap_calls ap_writes graph_calls transitive direct gdelta udelta user_reads"
emu_stats() {
  curl -sf "$emu_url/_admin/stats" > "$out/$1.stats"
  curl -sf "$graph_url/_admin/stats" > "$out/$1.graph.stats"
  $py - "$out/$1.stats" "$out/$1.graph.stats" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
writes = 0
for ep, n in s.get("endpoints", {}).items():
    if ep == "dropped" or ep.startswith("GET /_admin") or " " not in ep:
        continue
    method, path = ep.split(" ", 1)
    if method in ("POST", "PUT", "PATCH", "DELETE") and "/search" not in path and "/session/token" not in path:
        writes += n
g = json.load(open(sys.argv[2]))
routes = g.get("routes", {})
def count(pred):
    return sum(n for r, n in routes.items() if pred(r))
graph = count(lambda r: "/v1.0/" in r)
print(s.get("calls", 0), writes, graph,
      count(lambda r: r.endswith("/transitiveMembers")), count(lambda r: r.endswith("/members")),
      count(lambda r: r.endswith("/groups/delta")), count(lambda r: r.endswith("/users/delta")),
      count(lambda r: r.endswith("/users/{id}")))
PY
}
# NAME → "GET /v1.0/…=n, …" (the Graph calls of a step)
graph_profile() {
  $py - "$out/$1.graph.stats" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print("; ".join("%s ×%d" % (k, v) for k, v in sorted(s.get("routes", {}).items(), key=lambda kv: -kv[1])))
PY
}

# ------------------------------------------------------------------ runs
export LC_ALL=C.UTF-8 XDG_CONFIG_HOME="$tmp/config" XDG_STATE_HOME="$tmp/state" HOME="$tmp"
unset PANDASYNC_PROFILE

stamp_lines() {  # prefix each stderr line with the epoch time it arrived
  $py -u -c 'import sys, time
for line in sys.stdin:
    sys.stdout.write("%.3f %s" % (time.time(), line))
    sys.stdout.flush()'
}

# NAME PROFILE [ARGS…] → sets t_wall, rss_mb, rc; files out/NAME.{json,log,time}
run_sync() {
  local name=$1 profile=$2 t0
  shift 2
  emu_reset_counters
  t0=$(date +%s.%N)
  { /usr/bin/time -v -o "$out/$name.time" "$cli" sync --json --profile-file "$profile" "$@" \
      2>&1 > "$out/$name.json"; echo $? > "$tmp/rc"; } | stamp_lines > "$out/$name.log"
  t_wall=$(since "$t0")
  rc=$(cat "$tmp/rc")
  rss_mb=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$out/$name.time")
  echo "$t0" > "$out/$name.start"
}
# NAME REGEX1 REGEX2 → seconds between two log lines
between() {
  awk -v a="$2" -v b="$3" '!ta && $0 ~ a { ta = $1 } ta && $0 ~ b { printf "%.2f", $1 - ta; found = 1; exit }
    END { if (!found) printf "n/a" }' "$out/$1.log"
}
# NAME REGEX → seconds from the start of the run to the first log line matching
at() {
  awk -v t0="$(cat "$out/$1.start")" -v re="$2" '$0 ~ re { printf "%.2f", $1 - t0; found = 1; exit }
    END { if (!found) printf "n/a" }' "$out/$1.log"
}
# NAME KEY → the sum of KEY over the mappings of the JSON summary
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
watermark_kb() {  # the stored watermark's size
  $py - "$tmp/state.db" <<'PY'
import sqlite3, sys
row = sqlite3.connect(sys.argv[1]).execute("SELECT length(token) FROM watermarks").fetchone()
print("%.0f" % (row[0] / 1024) if row and row[0] else "none")
PY
}
fmt() { awk -v x="$1" -v f="${2:-%.2f}" 'BEGIN { if (x ~ /^[0-9.eE+-]+$/) printf f, x; else printf "%s", x }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b + 0 > 0) printf "%.1f×", a / b; else printf "–" }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { if (a !~ /^[0-9.]+$/) print "n/a"; else print (a + 0 <= b + 0) ? "yes" : "NO" }'; }
eq() { [ "$1" = "$2" ] && echo yes || echo NO; }

printf '[Credentials]\nApiClientSecret=ps-demo-secret\nApiPassword=Panda-Admin-1\nEntraClientSecret=%s\n' \
  "$SECRET" > "$tmp/credentials.ini"
chmod 600 "$tmp/credentials.ini"
cat > "$tmp/entra.conf" <<CONF
[Profile]
Id=bench-entra
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

[EntraID]
Tenant=$TENANT
ClientId=$APP
LoginURL=$graph_url
GraphURL=$graph_url
PageSize=$GRAPH_PAGE
Timeout=120

[CollectionMapping Employees]
Account=21040
Collection=82677
Group=$group_id
GroupName=Generated Users
UniqueIdentifier=id
StatusField=Integration Status AD
Field.First Name=givenName;overwrite
Field.Last Name=surname;overwrite
Field.Email=mail;never-blank
Field.Department=department;overwrite
CONF

pages=$(( (USERS + GRAPH_PAGE - 1) / GRAPH_PAGE ))
graph_floor=$(awk -v p="$pages" -v l="$LATENCY_MS" 'BEGIN { printf "%.2f", p * l / 1000 }')

# ------------------------------------------------------------------ 1. full sync
log "1. full sync of $USERS users into Employees…"
run_sync 1-full "$tmp/entra.conf" --full
t1_wall=$t_wall; t1_rss=$rss_mb; t1_rc=$rc
read -r c1_ap c1_writes c1_graph c1_trans c1_direct c1_gdelta c1_udelta c1_reads < <(emu_stats 1-full)
c1_created=$(summary 1-full created); c1_failed=$(summary 1-full failed)
t1_read=$(between 1-full 'Reading the members' 'Read [0-9]+ people? from the directory')
t1_mark=$(between 1-full 'Reading the members' 'Changes are followed from now on')
t1_trans=$(between 1-full 'Changes are followed from now on' 'Read [0-9]+ people? from the directory')
t1_floor=$(awk -v g="$graph_floor" -v c="$c1_ap" -v l="$LATENCY_MS" -v k="$CONCURRENCY" \
  'BEGIN { printf "%.2f", g + c * l / 1000 / k }')
w1_kb=$(watermark_kb)
log "   $t1_wall s, Graph read $t1_read s, $c1_graph Graph calls, $c1_ap Asset Panda calls ($c1_writes writes), created $c1_created, rc $t1_rc"

# ------------------------------------------------------------------ 2. no-op delta
log "2. no-op delta run…"
run_sync 2-noop "$tmp/entra.conf"
t2_wall=$t_wall; t2_rss=$rss_mb; t2_rc=$rc
read -r c2_ap c2_writes c2_graph c2_trans c2_direct c2_gdelta c2_udelta c2_reads < <(emu_stats 2-noop)
t2_read=$(between 2-noop 'Reading the members' 'Read [0-9]+ people? from the directory')
t2_mode=$(grep -q 'Changed since the last run' "$out/2-noop.log" && echo delta || echo full)
log "   $t2_wall s ($t2_mode), $c2_graph Graph calls, $c2_ap Asset Panda calls ($c2_writes writes), rc $t2_rc"

# ------------------------------------------------------------------ 3. 1 % change
n_change=$(( USERS / 100 ))
log "3. changing the department of $n_change users (Graph emulator admin API)…"
t0=$(date +%s.%N)
$py - "$graph_url" "$tmp/user-ids" "$n_change" <<'PY' || exit 1
import http.client, json, sys, urllib.parse
url, ids_file, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
ids = open(ids_file).read().split()
step = max(1, len(ids) // n)
u = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port)
for i in range(n):
    body = json.dumps({"department": "Changed %06d" % i})
    conn.request("PATCH", "/_admin/users/" + ids[i * step], body, {"Content-Type": "application/json"})
    r = conn.getresponse(); r.read()
    if r.status != 200:
        sys.exit("PATCH failed: %d" % r.status)
PY
t_change=$(since "$t0")
run_sync 3-delta "$tmp/entra.conf"
t3_wall=$t_wall; t3_rss=$rss_mb; t3_rc=$rc
read -r c3_ap c3_writes c3_graph c3_trans c3_direct c3_gdelta c3_udelta c3_reads < <(emu_stats 3-delta)
c3_updated=$(summary 3-delta updated); c3_failed=$(summary 3-delta failed)
t3_read=$(between 3-delta 'Reading the members' 'Read [0-9]+ people? from the directory')
t3_mode=$(grep -q 'Changed since the last run' "$out/3-delta.log" && echo delta || echo full)
c3_floor=$(( (n_change + 99) / 100 + 1 ))   # users/delta pages of 100 changes, one groups/delta round
t3_gfloor=$(awk -v c="$c3_floor" -v l="$LATENCY_MS" 'BEGIN { printf "%.2f", c * l / 1000 }')
w3_kb=$(watermark_kb)
log "   $t3_wall s ($t3_mode), Graph side $t3_read s, $c3_graph Graph calls, $c3_writes writes, updated $c3_updated, rc $t3_rc"

# ================================================================== table
bench_total=$(since "$bench_start")
{
printf '\nPandaSync Entra ID benchmark — %s users in one group (Graph emulator), both emulators at %s ms latency, Concurrency=%s, Graph pages of %s\n' \
  "$USERS" "$LATENCY_MS" "$CONCURRENCY" "$GRAPH_PAGE"
printf '%s, %s cores, build %s; floor = what the protocol allows in this run\n\n' \
  "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(nproc)" "$(basename "$BUILD")"
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$out/rows.tsv"; }
: > "$out/rows.tsv"
row "#" "measure" "measured" "floor (same run)" "ratio" "goal" "met"
row 1 "full sync $USERS → Employees, wall (s)" "$(fmt "$t1_wall")" "$(fmt "$t1_floor") (Graph pages + AP calls÷$CONCURRENCY)" "$(ratio "$t1_wall" "$t1_floor")" "–" ""
row 1 "  of which Graph read, watermark included (s)" "$(fmt "$t1_read")" "$(fmt "$graph_floor") ($pages pages×${LATENCY_MS}ms)" "$(ratio "$t1_read" "$graph_floor")" "–" ""
row 1 "    watermark: Δ links from now + direct members (s)" "$(fmt "$t1_mark")" "$(fmt "$graph_floor") ($pages pages×${LATENCY_MS}ms)" "$(ratio "$t1_mark" "$graph_floor")" "" ""
row 1 "    transitiveMembers read (s)" "$(fmt "$t1_trans")" "$(fmt "$graph_floor") ($pages pages×${LATENCY_MS}ms)" "$(ratio "$t1_trans" "$graph_floor")" "" ""
row 1 "  Graph calls: transitive / direct / groups Δ / users Δ" "$c1_trans / $c1_direct / $c1_gdelta / $c1_udelta" "$pages / – / – / –" "" "" ""
row 1 "  records created / failed" "$c1_created / $c1_failed" "$USERS / 0" "" "exact" "$(eq "$c1_created/$c1_failed" "$USERS/0")"
row 1 "  Asset Panda calls (writes)" "$c1_ap ($c1_writes)" "$(( (USERS + BATCH - 1) / BATCH )) writes (÷$BATCH)" "" "" ""
row 1 "  peak RSS pandasync-cli (MB)" "$t1_rss" "" "" "≤ 150 MB" "$(le "$t1_rss" 150)"
row 1 "  stored watermark (KB)" "$w1_kb" "" "" "≪ 10 MB" "$(le "$w1_kb" 5120)"
row 2 "no-op delta ($t2_mode), wall (s)" "$(fmt "$t2_wall")" "$(fmt "$graph_floor") (a full Graph read)" "$(ratio "$t2_wall" "$graph_floor")" "≤ 1 s" "$(le "$t2_wall" 1)"
row 2 "  Graph calls (groups Δ / users Δ)" "$c2_graph ($c2_gdelta / $c2_udelta)" "2" "" "≤ 3" "$(le "$c2_graph" 3)"
row 2 "  Asset Panda calls (writes)" "$c2_ap ($c2_writes)" "0 (0)" "" "0 writes" "$(eq "$c2_writes" 0)"
row 2 "  peak RSS (MB)" "$t2_rss" "" "" "≤ 150 MB" "$(le "$t2_rss" 150)"
row 3 "1 % change ($n_change departments), wall (s)" "$(fmt "$t3_wall")" "" "" "–" ""
row 3 "  of which Graph side (s)" "$(fmt "$t3_read")" "$(fmt "$t3_gfloor") ($c3_floor calls×${LATENCY_MS}ms)" "$(ratio "$t3_read" "$t3_gfloor")" "" ""
row 3 "  Graph calls (groups Δ / users Δ / users/{id})" "$c3_graph ($c3_gdelta / $c3_udelta / $c3_reads)" "$c3_floor" "$(ratio "$c3_graph" "$c3_floor")" "" ""
row 3 "  records updated / failed" "$c3_updated / $c3_failed" "$n_change / 0" "" "= changes" "$(eq "$c3_updated/$c3_failed" "$n_change/0")"
row 3 "  Asset Panda calls (writes)" "$c3_ap ($c3_writes)" "$(( (n_change + BATCH - 1) / BATCH )) writes (÷$BATCH)" "" "" ""
row 3 "  peak RSS (MB) / watermark (KB)" "$t3_rss / $w3_kb" "" "" "≤ 150 MB" "$(le "$t3_rss" 150)"
$py - "$out/rows.tsv" <<'PY2'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8")]
w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
right = {2, 3, 4}
def line(r):
    return "| " + " | ".join(c.rjust(w[i]) if i in right else c.ljust(w[i]) for i, c in enumerate(r)) + " |"
print(line(rows[0]))
print("|" + "|".join("-" * (x + 2) for x in w) + "|")
for r in rows[1:]:
    print(line(r))
PY2
printf '\nExit codes: full %s, no-op %s, 1%% %s. The %s changes took %s s through the admin API (not counted).\n' \
  "$t1_rc" "$t2_rc" "$t3_rc" "$n_change" "$(fmt "$t_change")"
printf 'Bench total %s s. Raw data: %s\n' "$(fmt "$bench_total" %.0f)" "$out"
printf '\nGraph calls per step (emulator /_admin/stats):\n'
for s in 1-full 2-noop 3-delta; do printf '  %-8s %s\n' "$s" "$(graph_profile "$s")"; done
} | tee "$out/table.txt"

cat > "$out/numbers.tsv" <<TSV
users	$USERS
latency_ms	$LATENCY_MS
concurrency	$CONCURRENCY
graph_floor_s	$graph_floor
full_wall_s	$t1_wall
full_graph_read_s	$t1_read
full_watermark_s	$t1_mark
full_transitive_s	$t1_trans
full_floor_s	$t1_floor
full_graph_calls	$c1_graph
full_transitive_pages	$c1_trans
full_direct_pages	$c1_direct
full_ap_calls	$c1_ap
full_writes	$c1_writes
full_created	$c1_created
full_failed	$c1_failed
full_rss_mb	$t1_rss
full_rc	$t1_rc
watermark_kb	$w1_kb
noop_mode	$t2_mode
noop_wall_s	$t2_wall
noop_graph_calls	$c2_graph
noop_ap_calls	$c2_ap
noop_writes	$c2_writes
noop_rss_mb	$t2_rss
noop_rc	$t2_rc
delta_mode	$t3_mode
delta_wall_s	$t3_wall
delta_graph_s	$t3_read
delta_graph_calls	$c3_graph
delta_writes	$c3_writes
delta_updated	$c3_updated
delta_failed	$c3_failed
delta_rss_mb	$t3_rss
delta_rc	$t3_rc
bench_total_s	$bench_total
TSV
