#!/usr/bin/env bash
# test-service.sh — `pandasync-cli service` against slapd --demo and the
# Asset Panda emulator, as cron or systemd would run it. TAP.
#
# Run through tests/directory/run-with-slapd.sh --demo (which exports
# PS_TEST_LDAP_URI and friends); starts its own emulators on free ports.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/tap.sh"
cli=${PANDASYNC_CLI:?}
src=${PANDASYNC_SOURCE_ROOT:?}
build=${PANDASYNC_BUILD_ROOT:?}
: "${PS_TEST_LDAP_URI:?run me through tests/directory/run-with-slapd.sh --demo}"

export PS_EMULATOR=${PS_EMULATOR:-$build/tests/emulator/assetpanda/ps-emulator}
seed="$src/tests/emulator/assetpanda/seed-demo.json"
command -v flock >/dev/null 2>&1 || { echo "1..0 # SKIP flock (util-linux) is not installed"; exit 0; }
command -v curl >/dev/null 2>&1 || { echo "1..0 # SKIP curl is not installed"; exit 0; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pandasync-service.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for f in "$tmp"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
# No desktop session: secrets come from the CredentialsFile.
unset DBUS_SESSION_BUS_ADDRESS INVOCATION_ID JOURNAL_STREAM PANDASYNC_PROFILE
export TZ=UTC XDG_CONFIG_HOME="$tmp/config" XDG_STATE_HOME="$tmp/state" HOME="$tmp/home"
mkdir -p "$HOME"

start_emulator() {   # NAME [options…] → sets URL_<NAME>
  local name=$1; shift
  local out
  out=$("$src/tests/emulator/assetpanda/start-emulator.sh" --pid-file "$tmp/$name.pid" --log "$tmp/$name.log" \
        -- --seed "$seed" --rate-limit 0 "$@") || { echo "Bail out! emulator $name did not start"; exit 1; }
  eval "URL_$name=$(printf '%s\n' "$out" | sed -n 's/^URL=//p')"
}
start_emulator main
start_emulator slow

umask 077
cat > "$tmp/creds.ini" <<EOF
[Credentials]
ApiClientSecret=ps-demo-secret
ApiPassword=Panda-Admin-1
BindPassword=$PS_TEST_LDAP_PASSWORD
EOF
umask 022

# write_profile NAME URL START INTERVAL → $tmp/NAME.conf with its own state
write_profile() {
  local name=$1 url=$2 start=$3 interval=$4
  cat > "$tmp/$name.conf" <<EOF
[Profile]
Version=1
Id=$name
CredentialsFile=$tmp/creds.ini
StateFile=$tmp/$name.db

[AssetPanda]
URL=$url
Dialect=classic
ClientId=ps-demo-client
Email=admin@example.com
RateCalls=100000
RateWindow=1
Concurrency=4

[Directory]
URIs=$PS_TEST_LDAP_URI
TLS=none
AllowPlaintextBind=true
BindDN=$PS_TEST_LDAP_BIND_DN
BaseDN=$PS_TEST_LDAP_BASE

[Schedule]
Enabled=true
StartTime=$start
Interval=$interval

[UserMapping Staff]
Account=21040
Role=30135
Group=All Staff
GroupName=All Staff

[CollectionMapping Employees]
Account=21040
Collection=82677
Group=All Staff
UniqueIdentifier=objectSid
StatusField=Integration Status AD
Field.First Name=givenName;overwrite
Field.Last Name=sn;overwrite
Field.Email=mail;never-blank
Field.Department=department;fill-empty
EOF
}

at() { date -u -d "$1" +%Y-%m-%dT%H:%M:%S; }
runs() { "$cli" history --json --profile-file "$1" | grep -c '"run" :'; }
json_has() { "$cli" service status --json --profile-file "$1" | grep -qE -- "$2"; }
stats() { curl -s "$1/_admin/stats"; }
wait_for() {   # SECONDS COMMAND…: poll until COMMAND succeeds
  local limit=$1; shift
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.2
  done
}

tap_plan 29

# --- refusal without a schedule
write_profile off "$URL_main" "$(at '-1 hour')" daily
sed -i 's/^Enabled=true/Enabled=false/' "$tmp/off.conf"
expect "a profile without an enabled schedule is refused" 1 'has no enabled schedule' -- \
  "$cli" service --profile-file "$tmp/off.conf"
expect "… also with --once" 1 'has no enabled schedule' -- \
  "$cli" service --once --profile-file "$tmp/off.conf"

# --- a due slot runs once, then nothing is due
p="$tmp/daily.conf"
write_profile daily "$URL_main" "$(at '-1 hour')" daily
expect "status before the first run: due, never run" 0 '"due" : true' -- \
  "$cli" service status --json --profile-file "$p"
expect "service --once runs the due slot" 0 'Run 1 succeeded: 628 created' -- \
  "$cli" service --once --profile-file "$p"
expect "history has the run, triggered by the service" 0 '"trigger" : "service"' -- \
  "$cli" history --json --profile-file "$p"
expect "the emulator received the writes" 0 '"POST /v3/users":314' -- stats "$URL_main"
calls_before=$(stats "$URL_main" | sed -n 's/^{"calls":\([0-9]*\).*/\1/p')
expect "service --once again: nothing is due" 0 'Nothing is due; the next run is at' -- \
  "$cli" service --once --profile-file "$p"
ok_if "… and no second run was recorded" test "$(runs "$p")" = 1
ok_if "… and Asset Panda saw no call" test "$(stats "$URL_main" | sed -n 's/^{"calls":\([0-9]*\).*/\1/p')" = "$calls_before"
expect "status: last run by the service, next one tomorrow, not due" 0 '"due" : false' -- \
  "$cli" service status --json --profile-file "$p"
tomorrow=$(date -u -d 'tomorrow' +%Y-%m-%d)
expect "status text names the next run" 0 "Next run: +$tomorrow" -- \
  "$cli" service status --profile-file "$p"

# --- --all: every profile with a schedule, in one process
mkdir -p "$XDG_CONFIG_HOME/pandasync/profiles"
write_profile one "$URL_main" "$(at '-1 hour')" daily
cp "$tmp/one.conf" "$XDG_CONFIG_HOME/pandasync/profiles/one.conf"
cp "$tmp/off.conf" "$XDG_CONFIG_HOME/pandasync/profiles/off.conf"
expect "--all --once runs the due profile and names the one without a schedule" 0 \
  'off: No enabled schedule: not watched' -- "$cli" service --once --all
ok_if "… and the due one ran" test "$(runs "$tmp/one.conf")" = 1
rm -f "$XDG_CONFIG_HOME/pandasync/profiles/"*.conf

# --- the lock held from the shell: skipped with 75, nothing run
p="$tmp/held.conf"
write_profile held "$URL_main" "$(at '-1 hour')" hourly
flock -o "$tmp/held.db.lock" sleep 30 &
holder=$!; pids+=("$holder")
wait_for 5 json_has "$p" '"locked" : true'
expect "status sees the lock" 0 '"locked" : true' -- "$cli" service status --json --profile-file "$p"
expect "service --once skips while another sync holds the lock (exit 75)" 75 \
  'another sync of it is running' -- "$cli" service --once --profile-file "$p"
ok_if "… and no run was recorded" test "$(runs "$p")" = 0
kill "$holder"; wait "$holder" 2>/dev/null
expect "once the lock is free, the slot runs" 0 'Run 1 succeeded' -- \
  "$cli" service --once --profile-file "$p"

# --- a real, long `pandasync-cli sync` holds the lock across a slot
curl -s -X POST -d '{"latency_ms": 150}' "$URL_slow/_admin/faults" >/dev/null
p="$tmp/long.conf"
write_profile long "$URL_slow" "$(at '+3 seconds')" hourly
"$cli" sync --profile-file "$p" >"$tmp/long-sync.out" 2>&1 &
sync_pid=$!; pids+=("$sync_pid")
wait_for 10 json_has "$p" '"locked" : true'
sleep 4   # the slot passes while the sync runs
expect "during a long CLI sync, the due slot is skipped (exit 75)" 75 \
  'another sync of it is running' -- "$cli" service --once --profile-file "$p"
expect "service status names who holds the lock" 0 '"running_trigger" : "cli"' -- \
  "$cli" service status --json --profile-file "$p"
wait "$sync_pid"
expect "after it, the missed slot runs once (coalesced)" 0 'Run 2 succeeded' -- \
  "$cli" service --once --profile-file "$p"
expect "… and only once" 0 'Nothing is due' -- "$cli" service --once --profile-file "$p"

# --- the service under "systemd": journald format, SIGHUP, SIGTERM mid-run
curl -s -X POST -d '{}' "$URL_slow/_admin/reset" >/dev/null
curl -s -X POST -d '{"latency_ms": 150}' "$URL_slow/_admin/faults" >/dev/null
p="$tmp/svc.conf"
write_profile svc "$URL_slow" "$(at '-1 hour')" daily
INVOCATION_ID=test JOURNAL_STREAM=1:1 "$cli" service --profile-file "$p" >"$tmp/svc.out" 2>"$tmp/svc.err" &
svc=$!; pids+=("$svc")
started() { grep -q 'written\|Plan:' "$tmp/svc.err"; }
wait_for 20 started
ok_if "the service logs with syslog priorities and no timestamps" \
  grep -qE '^<6>svc: Next run: |^<6>svc: A run is due now' "$tmp/svc.err"
expect "status: the service is running" 0 '"service_active" : true' -- \
  "$cli" service status --json --profile-file "$p"
expect "a second service for the same profile is refused" 1 'already runs the profile' -- \
  "$cli" service --profile-file "$p"
kill -HUP "$svc"
reloaded() { grep -q 'Profile reloaded' "$tmp/svc.err"; }
ok_if "SIGHUP reloads the profile" wait_for 10 reloaded
echo "# saved by the app" >> "$p"
reloaded_twice() { test "$(grep -c 'Profile reloaded' "$tmp/svc.err")" -ge 2; }
ok_if "saving the profile reloads it too" wait_for 10 reloaded_twice
kill -TERM "$svc"
wait_for 30 bash -c "! kill -0 $svc"
wait "$svc"; status=$?
ok_if "SIGTERM during a run: it cancels and exits 0" test "$status" = 0
expect "… and the run is recorded as cancelled" 0 '"status" : "cancelled"' -- \
  "$cli" history --json --profile-file "$p"
expect "the cancelled slot is due again for the next start" 0 '"due" : true' -- \
  "$cli" service status --json --profile-file "$p"
echo "# service log:"; sed 's/^/#   /' "$tmp/svc.err" | tail -n 8
tap_done
