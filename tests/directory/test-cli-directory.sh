#!/usr/bin/env bash
# pandasync-cli test-connection and directory …, against the slapd that
# run-with-slapd.sh started. TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/tap.sh"
cli=${PANDASYNC_CLI:?}
: "${PS_TEST_LDAPS_URI:?run through tests/directory/run-with-slapd.sh}"

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME="$tmp/config" XDG_STATE_HOME="$tmp/state" HOME="$tmp/home"
mkdir -p "$HOME"

# A profile whose bind password comes from a 0600 credentials file.
printf '[Credentials]\nBindPassword=%s\n' "$PS_TEST_LDAP_PASSWORD" > "$tmp/creds"
chmod 600 "$tmp/creds"
profile() {  # NAME URI TLS CAFILE [BASE]
  cat > "$tmp/$1.conf" <<CONF
[Profile]
Version=1
Id=$1
CredentialsFile=$tmp/creds

[Directory]
URIs=$2;
TLS=$3
CAFile=$4
BindDN=$PS_TEST_LDAP_BIND_DN
BaseDN=${5:-$PS_TEST_LDAP_BASE}
PageSize=1000
Timeout=10
NestedGroups=client
CONF
}
profile good "$PS_TEST_LDAPS_URI" ldaps "$PS_TEST_CA_FILE"
profile starttls "$PS_TEST_LDAP_URI" starttls "$PS_TEST_CA_FILE"
profile wrongca "$PS_TEST_LDAPS_URI" ldaps "$PS_TEST_OTHER_CA_FILE"
profile wronghost "$PS_TEST_LDAPS_WRONG_HOST_URI" ldaps "$PS_TEST_CA_FILE"
profile refused "ldaps://127.0.0.1:1" ldaps "$PS_TEST_CA_FILE"
profile nobase "$PS_TEST_LDAPS_URI" ldaps "$PS_TEST_CA_FILE" "ou=nowhere,dc=example,dc=com"
profile plain "$PS_TEST_LDAP_URI" none "$PS_TEST_CA_FILE"
G="--profile-file $tmp/good.conf"

count_lines() {  # WANT COMMAND…: stdout has exactly WANT lines
  local want=$1; shift
  [ "$("$@" 2>/dev/null | wc -l)" = "$want" ]
}
json_field() {  # FILE EXPR: python3 evaluates EXPR over the list of objects
  /usr/bin/python3 -c "import json,sys; rows=[json.loads(l) for l in open(sys.argv[1])]; sys.exit(0 if ($2) else 1)" "$1"
}

tap_plan 27
expect "test-connection passes every step over LDAPS" 0 'ok +Find the group .*engineering' -- \
  "$cli" test-connection --only directory $G --group engineering
expect "test-connection passes with StartTLS" 0 'Encrypted \(StartTLS\), certificate checked' -- \
  "$cli" test-connection --only directory --profile-file "$tmp/starttls.conf"
expect "test-connection --json lists the steps in order" 0 '"id" : "ldap-resolve"' -- \
  "$cli" test-connection --only directory $G --json
expect "a wrong CA fails the TLS step with its own message" 1 'FAILED +Secure the connection.*not signed by a trusted authority' -- \
  "$cli" test-connection --only directory --profile-file "$tmp/wrongca.conf"
expect "a wrong host name fails the TLS step with its own message" 1 'FAILED +Secure the connection.*issued for another host name' -- \
  "$cli" test-connection --only directory --profile-file "$tmp/wronghost.conf"
expect "a refused port fails the connect step" 1 'FAILED +Connect to the directory server.*refused' -- \
  "$cli" test-connection --only directory --profile-file "$tmp/refused.conf"
expect "a missing base DN fails its step" 1 'FAILED +Read the base DN.*ou=nowhere' -- \
  "$cli" test-connection --only directory --profile-file "$tmp/nobase.conf"
expect "a plaintext bind is refused" 1 'FAILED +Log on.*unencrypted' -- \
  "$cli" test-connection --only directory --profile-file "$tmp/plain.conf"
expect "a missing group fails the group step" 1 'FAILED +Find the group.*no group “nope”' -- \
  "$cli" test-connection --only directory $G --group nope

# The fixture really limits the service account like AD's MaxPageSize …
expect "an unpaged search by the service account stops at 1,000 (size limit)" 4 'Size limit exceeded' -- \
  ldapsearch -x -H "$PS_TEST_LDAP_URI" -D "$PS_TEST_LDAP_BIND_DN" -w "$PS_TEST_LDAP_PASSWORD" \
  -b "ou=people,$PS_TEST_LDAP_BASE" '(objectClass=inetOrgPerson)' 1.1
# … and paging reads past it.
"$cli" directory members $G --group all-staff --json > "$tmp/all.json" 2>"$tmp/all.err"
ok_if "members of all-staff: exactly 5000 JSON lines" test "$(wc -l < "$tmp/all.json")" = 5000
ok_if "members: every line has the documented fields" json_field "$tmp/all.json" \
  "all(set(r) == {'dn','objectGUID','objectSid','sAMAccountName','userPrincipalName','mail','givenName','sn','enabled'} for r in rows)"
ok_if "members: 50 disabled (UAC bit 0x2) and 50 expired are not enabled" json_field "$tmp/all.json" \
  "sum(1 for r in rows if not r['enabled']) == 100"
ok_if "members: user00001 has its SID and GUID" json_field "$tmp/all.json" \
  "any(r['sAMAccountName']=='user00001' and r['objectSid']=='S-1-5-21-1111-2222-3333-1001' and r['objectGUID']=='00000001-1111-1111-1111-111111111111' for r in rows)"
ok_if "members: no duplicates" json_field "$tmp/all.json" "len({r['dn'] for r in rows}) == len(rows)"
ok_if "engineering: 300 direct members" count_lines 300 "$cli" directory members $G --group engineering --json
ok_if "engineering --nested: 360 members through the cycle" count_lines 360 "$cli" directory members $G --group engineering --nested --json
"$cli" directory members $G --group 'R&D, Ops + "Lab" #1 (*) \' --nested --json --attr department --attr uSNChanged > "$tmp/rd.json"
ok_if "a group named with , + \\ # \" * ( ) has its 3 members, with --attr" json_field "$tmp/rd.json" \
  "len(rows) == 3 and all('uSNChanged' in r and 'department' in r for r in rows) and any(r['givenName']=='Zoë' for r in rows)"
ok_if "members by objectSid" count_lines 10 "$cli" directory members $G --group S-1-5-21-1111-2222-3333-500004 --json
ok_if "members by objectGUID" count_lines 10 "$cli" directory members $G --group 00000004-2222-2222-2222-222222222222 --json
expect "members of a missing group fail" 1 'no group “ghost”' -- "$cli" directory members $G --group ghost --json
expect "groups --search" 0 'engineering' -- "$cli" directory groups $G --search eng
expect "user --json decodes the account" 0 '"userAccountControl":"546".*"disabled_flag":true' -- \
  "$cli" directory user user00100 --json $G
expect "members needs --group" 2 'needs --group' -- "$cli" directory members $G
expect "a value that is not UTF-8 is printed as null, not a crash" 0 '"jpegPhoto":null' -- \
  "$cli" directory user user00002 --json --attr jpegPhoto $G
expect "… and reported on stderr" 0 'jpegPhoto value .* is not valid UTF-8' -- \
  bash -c "'$cli' directory user user00002 --json --attr jpegPhoto $G 2>&1 >/dev/null"

# the password never appears in any output
out=$("$cli" test-connection --only directory $G --json -v 2>&1; "$cli" directory user user00001 $G -v 2>&1;
      "$cli" test-connection --only directory --profile-file "$tmp/wrongca.conf" -v 2>&1)
ok_if "the bind password is never printed" bash -c '! printf "%s" "$1" | grep -qF "$2"' _ "$out" "$PS_TEST_LDAP_PASSWORD"
tap_done
