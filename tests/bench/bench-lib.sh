# bench-lib.sh — what the benchmarks of tests/bench share: a throwaway slapd
# with N AD-shaped users, the Asset Panda emulator on loopback, the profile
# that points pandasync at both. Sourced by bench-sync.sh, bench-gui.sh,
# bench-entra.sh and bench-okta.sh.
#
# The caller sets: src (the source tree), py (python3), tmp (a scratch
# folder it removes), out (where raw numbers go), emu (the emulator binary),
# seed (its tenant), cli (pandasync-cli), CONCURRENCY; and a log function.

free_port_pair() {
  $py -c 'import socket,random
for _ in range(200):
    p=random.randint(20000,60000); ok=True
    for q in (p,p+1):
        s=socket.socket()
        try: s.bind(("127.0.0.1",q))
        except OSError: ok=False
        s.close()
    if ok: print(p); break'
}

start_slapd() {  # DIR N → sources DIR/env
  local dir=$1 n=$2 port
  for _ in 1 2 3 4 5; do
    port=$(free_port_pair)
    "$src/tests/servers/start-slapd.sh" "$dir" "$port" --bench "$n" > "$dir.start.log" 2>&1 && return 0
    [ -f "$dir/run/slapd.pid" ] && kill "$(cat "$dir/run/slapd.pid")" 2> /dev/null
    rm -rf "$dir"
  done
  echo "slapd did not start: $(tail -5 "$dir.start.log")" >&2
  exit 1
}

# wait_port OUT-FILE PID NAME LOG → prints the port an emulator announced in
# OUT-FILE; gives up after 60 s (an emulator generating 100,000 users needs
# some) or when PID exits, naming NAME and the end of its LOG.
wait_port() {
  local port=""
  for _ in $(seq 1 1200); do
    port=$(sed -n 's/^PORT=//p' "$1" 2> /dev/null)
    [ -n "$port" ] && break
    kill -0 "$2" 2> /dev/null || break
    sleep 0.05
  done
  [ -n "$port" ] || { echo "the $3 did not start: $(tail -3 "$4")" >&2; exit 1; }
  echo "$port"
}

# start_emulator LATENCY-MS → emu_pid, emu_port, emu_url (no rate limit)
start_emulator() {
  local LATENCY_MS=$1
  "$emu" --port 0 --seed "$seed" --rate-limit 0 --latency-ms "$LATENCY_MS" --call-log-max 1000 \
    > "$tmp/emu.out" 2> "$out/emulator.log" &
  emu_pid=$!
  emu_port=$(wait_port "$tmp/emu.out" "$emu_pid" "Asset Panda emulator" "$out/emulator.log")
  emu_url="http://127.0.0.1:$emu_port"
}

write_profile() {  # FILE STATE-FILE MAPPING-SECTION (slapd env must be loaded)
  cat > "$1" <<CONF
[Profile]
Id=bench-sync
CredentialsFile=$tmp/credentials.ini
StateFile=$2

[AssetPanda]
URL=$emu_url
Dialect=classic
ClientId=ps-demo-client
Email=admin@example.com
Concurrency=$CONCURRENCY
RateCalls=100000
RateWindow=1

[Directory]
URIs=$PS_TEST_LDAP_URI
TLS=none
AllowPlaintextBind=true
BindDN=$PS_TEST_LDAP_BIND_DN
BaseDN=$PS_TEST_LDAP_BASE
PageSize=1000
Timeout=120

$3
CONF
}

group_guid() {  # PROFILE → objectGUID of cn=all-staff
  "$cli" directory groups --search all-staff --json --profile-file "$1" 2> "$tmp/groups.err" | $py -c '
import json, sys
for line in sys.stdin:
    g = json.loads(line)
    if g.get("cn") == "all-staff":
        print(g.get("objectGUID")); break'
}

coll_section() {
  cat <<SEC
[CollectionMapping Employees]
Account=21040
Collection=82677
Group=$1
GroupName=All Staff
UniqueIdentifier=objectSid
StatusField=Integration Status AD
Field.First Name=givenName;overwrite
Field.Last Name=sn;overwrite
Field.Email=mail;never-blank
SEC
}
