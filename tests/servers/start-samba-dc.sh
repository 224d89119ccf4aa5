#!/usr/bin/env bash
# start-samba-dc.sh DIR [--users N]
#
# Provisions a Samba AD DC (realm LAB.EXAMPLE.COM, DC dc1) into DIR, gives it
# our own CA and a certificate for 127.0.0.1/localhost (make-certs.sh), starts
# it on 127.0.0.1 (fixed AD ports: run one at a time, ideally in a private
# network namespace, see tests/directory/run-with-samba.sh) and seeds it with
# ldapadd over LDAPS. Prints "export NAME=VALUE" lines (also in DIR/env).
# Stop it with: kill -TERM -- -"$(cat DIR/run/samba-launch.pid)".
#
# Seed (under OU=PandaSync,DC=lab,DC=example,DC=com):
#   bulkNNNN (N users, default 1600, no password, userAccountControl 544 =
#   enabled + password not required; every 100th is 546 = disabled)
#   "Big Group": all N bulk users (over 1,500: range retrieval)
#   Eng: bulk0001..0020 + "Eng Platform"; Eng Platform: bulk0021..0030 + "Eng SRE";
#   Eng SRE: bulk0031..0035 + Eng (a cycle)
#   svc-reader / Reader-Passw0rd!  an ordinary user, the service account
#   off-user / Off-Passw0rd!      a disabled user (bind fails with data 533)
#   Administrator / Passw0rd!Lab  the domain admin, for changes
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
DIR=${1:?usage: start-samba-dc.sh DIR [--users N]}
USERS=1600
[ "${2:-}" = "--users" ] && USERS=${3:?}
for tool in samba samba-tool ldapadd ldbsearch openssl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "start-samba-dc.sh: $tool is not installed: run build-aux/install-deps.sh" >&2; exit 77; }
done
ADMIN_PW='Passw0rd!Lab'
BASE='DC=lab,DC=example,DC=com'
OU="OU=PandaSync,$BASE"

rm -rf "$DIR"; mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
samba-tool domain provision --use-rfc2307 --realm=LAB.EXAMPLE.COM --domain=LAB \
  --server-role=dc --dns-backend=NONE --host-name=dc1 --adminpass="$ADMIN_PW" \
  --targetdir="$DIR" \
  --option='interfaces=lo' --option='bind interfaces only=yes' >"$DIR/provision.log" 2>&1 ||
  { echo "start-samba-dc.sh: provision failed:" >&2; tail -5 "$DIR/provision.log" >&2; exit 1; }
"$here/make-certs.sh" "$DIR/certs"
sed -i "/^\[global\]/a\\
\tlog file = $DIR/log/log.%m\\
\tpid directory = $DIR/run\\
\tntp signd socket directory = $DIR/ntp_signd\\
\twinbindd socket directory = $DIR/winbindd\\
\ttls enabled = yes\\
\ttls keyfile = $DIR/certs/server.key\\
\ttls certfile = $DIR/certs/server.pem\\
\ttls cafile = $DIR/certs/ca.pem" "$DIR/etc/smb.conf"
sed -i '/^\tlog file = \/var\/log/d' "$DIR/etc/smb.conf"
mkdir -p "$DIR/log" "$DIR/run" "$DIR/cache"
samba-tool domain passwordsettings set --complexity=off --min-pwd-length=1 --history-length=0 --min-pwd-age=0 \
  --max-pwd-age=0 -s "$DIR/etc/smb.conf" >/dev/null
setsid samba -F -s "$DIR/etc/smb.conf" >"$DIR/log/stdout.log" 2>&1 </dev/null &
echo $! > "$DIR/run/samba-launch.pid"

export LDAPTLS_CACERT="$DIR/certs/ca.pem"
ok=0
for _ in $(seq 1 300); do
  ldapsearch -x -H ldaps://127.0.0.1 -D "Administrator@lab.example.com" -w "$ADMIN_PW" \
    -b '' -s base >/dev/null 2>&1 && { ok=1; break; }
  sleep 0.2
done
[ $ok = 1 ] || { echo "samba AD DC did not come up; see $DIR/log" >&2; exit 1; }

pw() { printf '"%s"' "$1" | iconv -f UTF-8 -t UTF-16LE | base64 -w0; }
{
  printf 'dn: %s\nobjectClass: organizationalUnit\nou: PandaSync\n\n' "$OU"
  printf 'dn: CN=svc-reader,%s\nobjectClass: user\nsAMAccountName: svc-reader\nuserPrincipalName: svc-reader@lab.example.com\nunicodePwd:: %s\nuserAccountControl: 512\n\n' "$OU" "$(pw 'Reader-Passw0rd!')"
  printf 'dn: CN=off-user,%s\nobjectClass: user\nsAMAccountName: off-user\nuserPrincipalName: off-user@lab.example.com\nunicodePwd:: %s\nuserAccountControl: 514\n\n' "$OU" "$(pw 'Off-Passw0rd!')"
  awk -v n="$USERS" -v ou="$OU" 'BEGIN { for (i = 1; i <= n; i++) { id = sprintf("bulk%04d", i);
    printf "dn: CN=%s,%s\nobjectClass: user\nsAMAccountName: %s\nuserPrincipalName: %s@lab.example.com\n", id, ou, id, id
    printf "givenName: Bulk\nsn: User %d\nmail: %s@lab.example.com\nuserAccountControl: %d\n\n", i, id, (i % 100 == 0) ? 546 : 544 } }'
  for g in "Big Group" "Eng" "Eng Platform" "Eng SRE"; do
    printf 'dn: CN=%s,%s\nobjectClass: group\nsAMAccountName: %s\n\n' "$g" "$OU" "$g"
  done
} > "$DIR/seed.ldif"
ldapadd -x -H ldaps://127.0.0.1 -D "Administrator@lab.example.com" -w "$ADMIN_PW" -f "$DIR/seed.ldif" >/dev/null

members() {  # GROUP FIRST LAST [EXTRA-DN]
  printf 'dn: CN=%s,%s\nchangetype: modify\nadd: member\n' "$1" "$OU"
  awk -v a="$2" -v b="$3" -v ou="$OU" 'BEGIN { for (i = a; i <= b; i++) printf "member: CN=bulk%04d,%s\n", i, ou }'
  [ -n "${4:-}" ] && printf 'member: %s\n' "$4"
  printf '\n'
}
{
  members "Big Group" 1 "$USERS"
  members "Eng" 1 20 "CN=Eng Platform,$OU"
  members "Eng Platform" 21 30 "CN=Eng SRE,$OU"
  members "Eng SRE" 31 35 "CN=Eng,$OU"
} > "$DIR/members.ldif"
ldapmodify -x -H ldaps://127.0.0.1 -D "Administrator@lab.example.com" -w "$ADMIN_PW" -f "$DIR/members.ldif" >/dev/null

# SID and GUID of bulk0001 as Samba's own tools print them, for the tests
show=$(ldbsearch -H "$DIR/private/sam.ldb" "(sAMAccountName=bulk0001)" objectSid objectGUID 2>/dev/null)
SID=$(printf '%s\n' "$show" | awk '/^objectSid:/ { print $2 }')
GUID=$(printf '%s\n' "$show" | awk '/^objectGUID:/ { print $2 }')

cat > "$DIR/env" <<ENV
export PS_TEST_SAMBA_DIR=$DIR
export PS_TEST_SAMBA_PID=$(cat "$DIR/run/samba-launch.pid")
export PS_TEST_SAMBA_LDAPS_URI=ldaps://127.0.0.1
export PS_TEST_SAMBA_LDAP_URI=ldap://127.0.0.1
export PS_TEST_SAMBA_LDAPS_WRONG_HOST_URI=ldaps://127.0.0.2
export PS_TEST_SAMBA_BASE='$BASE'
export PS_TEST_SAMBA_OU='$OU'
export PS_TEST_SAMBA_BIND_DN='svc-reader@lab.example.com'
export PS_TEST_SAMBA_PASSWORD='Reader-Passw0rd!'
export PS_TEST_SAMBA_DISABLED_DN='off-user@lab.example.com'
export PS_TEST_SAMBA_DISABLED_PASSWORD='Off-Passw0rd!'
export PS_TEST_SAMBA_ADMIN_DN='Administrator@lab.example.com'
export PS_TEST_SAMBA_ADMIN_PASSWORD='$ADMIN_PW'
export PS_TEST_SAMBA_USERS=$USERS
export PS_TEST_SAMBA_USER1_SID=$SID
export PS_TEST_SAMBA_USER1_GUID=$GUID
export PS_TEST_SAMBA_CA_FILE=$DIR/certs/ca.pem
export PS_TEST_SAMBA_OTHER_CA_FILE=$DIR/certs/other-ca.pem
ENV
cat "$DIR/env"
