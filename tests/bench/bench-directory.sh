#!/usr/bin/env bash
# bench-directory.sh [USERS] [BUILD-DIR]
#
# Reads USERS (default 100,000) AD-shaped users from a throwaway slapd with
# pandasync-cli and with ldapsearch, same server, same filter, same attributes,
# same paging (1,000) and the same LDAPS transport, and prints a table with
# wall time, the ratio and peak RSS. Not part of "meson test".
# Goal (issue 3): pandasync-cli ≤ 1.5 × ldapsearch's time, ≤ 100 MB peak RSS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
USERS=${1:-100000}
BUILD=${2:-$src/build-dir-directory}
cli="$BUILD/src/cli/pandasync-cli"
[ -x "$cli" ] || { echo "build first: $cli not found" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing: run build-aux/install-deps.sh" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pandasync-bench.XXXXXX")
cleanup() {
  [ -f "$tmp/slapd/run/slapd.pid" ] && kill "$(cat "$tmp/slapd/run/slapd.pid")" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
port=$(/usr/bin/python3 -c 'import socket,random
for _ in range(100):
    p=random.randint(20000,60000); ok=True
    for q in (p,p+1):
        s=socket.socket()
        try: s.bind(("127.0.0.1",q))
        except OSError: ok=False
        s.close()
    if ok: print(p); break')

echo "Generating and loading $USERS users (slapadd -q)…" >&2
start=$(date +%s.%N)
"$src/tests/servers/start-slapd.sh" "$tmp/slapd" "$port" --bench "$USERS" > /dev/null
echo "  loaded in $(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo '?') s" >&2
. "$tmp/slapd/env"

printf '[Credentials]\nBindPassword=%s\n' "$PS_TEST_LDAP_PASSWORD" > "$tmp/creds"
chmod 600 "$tmp/creds"
cat > "$tmp/bench.conf" <<CONF
[Profile]
Version=1
Id=bench
CredentialsFile=$tmp/creds

[Directory]
URIs=$PS_TEST_LDAPS_URI;
TLS=ldaps
CAFile=$PS_TEST_CA_FILE
BindDN=$PS_TEST_LDAP_BIND_DN
BaseDN=$PS_TEST_LDAP_BASE
PageSize=1000
Timeout=60
CONF
export XDG_CONFIG_HOME="$tmp/config" LDAPTLS_CACERT="$PS_TEST_CA_FILE"
attrs="objectGUID objectSid sAMAccountName userPrincipalName mail givenName sn displayName userAccountControl accountExpires"
filter='(&(|(objectClass=inetOrgPerson)(objectClass=person))(memberOf=cn=all-staff,ou=groups,dc=example,dc=com))'

run_cli() { "$cli" directory members --profile-file "$tmp/bench.conf" --group all-staff --json; }
run_ldapsearch() {
  # shellcheck disable=SC2086
  ldapsearch -LLL -x -H "$PS_TEST_LDAPS_URI" -D "$PS_TEST_LDAP_BIND_DN" -w "$PS_TEST_LDAP_PASSWORD" \
    -E pr=1000/noprompt -b "$PS_TEST_LDAP_BASE" "$filter" $attrs
}
export -f run_cli run_ldapsearch
export cli tmp filter attrs PS_TEST_LDAPS_URI PS_TEST_LDAP_BIND_DN PS_TEST_LDAP_PASSWORD PS_TEST_LDAP_BASE

# check both see every user
n_cli=$(run_cli | wc -l)
n_ls=$(run_ldapsearch | grep -c '^dn:')
[ "$n_cli" = "$USERS" ] && [ "$n_ls" = "$USERS" ] || { echo "count mismatch: cli $n_cli, ldapsearch $n_ls, want $USERS" >&2; exit 1; }

measure() {  # NAME → "seconds kB" (best of 3)
  local best_t="" best_m=""
  for _ in 1 2 3; do
    /usr/bin/time -f '%e %M' -o "$tmp/time" bash -c "$1 > /dev/null"
    read -r t m < "$tmp/time"
    if [ -z "$best_t" ] || awk -v a="$t" -v b="$best_t" 'BEGIN { exit !(a < b) }'; then best_t=$t; fi
    if [ -z "$best_m" ] || [ "$m" -gt "$best_m" ]; then best_m=$m; fi
  done
  echo "$best_t $best_m"
}
read -r t_ls m_ls < <(measure run_ldapsearch)
read -r t_cli m_cli < <(measure run_cli)
ratio=$(awk -v a="$t_cli" -v b="$t_ls" 'BEGIN { printf "%.2f", a / b }')

printf '\n%s users, page size 1000, LDAPS, %s attributes, best of 3 (peak RSS: highest of 3)\n\n' "$USERS" "$(echo $attrs | wc -w)"
printf '| %-40s | %8s | %6s | %13s |\n' "Reader" "time (s)" "ratio" "peak RSS (MB)"
printf '|%s|%s|%s|%s|\n' "------------------------------------------" "----------" "--------" "---------------"
printf '| %-40s | %8s | %6s | %13.1f |\n' "ldapsearch -E pr=1000/noprompt (LDIF)" "$t_ls" "1.00" "$(awk -v m="$m_ls" 'BEGIN { print m / 1024 }')"
printf '| %-40s | %8s | %6s | %13.1f |\n' "pandasync-cli directory members --json" "$t_cli" "$ratio" "$(awk -v m="$m_cli" 'BEGIN { print m / 1024 }')"
ok_t=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.5) ? "yes" : "NO" }')
ok_m=$(awk -v m="$m_cli" 'BEGIN { print (m <= 100 * 1024) ? "yes" : "NO" }')
printf '\nGoal ≤ 1.5× ldapsearch: %s;  goal ≤ 100 MB: %s\n' "$ok_t" "$ok_m"
