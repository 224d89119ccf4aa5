#!/usr/bin/env bash
# start-slapd.sh DIR PORT [--demo | --users N | --bench N | --adlike | --ldif FILE] [--ad-rootdse]
#
# Starts a throwaway slapd on 127.0.0.1 with an AD-like schema (adlike.schema),
# the memberOf overlay and AD-like limits, loaded with slapadd -q before it
# starts (fast). Prints "export NAME=VALUE" lines for the test to eval, and
# writes them to DIR/env too. Stop it with: kill "$(cat DIR/run/slapd.pid)".
#
# Listeners:  ldap://127.0.0.1:PORT           (StartTLS available)
#             ldaps://127.0.0.1:PORT+1        (certificate: IP 127.0.0.1, localhost)
#             ldaps://127.0.0.2:PORT+1        (same certificate: a wrong host name)
#
# Accounts (all seeds):
#   base DN     dc=example,dc=com
#   service     uid=svc-pandasync,ou=service,dc=example,dc=com / Svc-Passw0rd!
#               (not the rootdn: unpaged searches stop at 1,000 entries like
#               AD's MaxPageSize; paged searches are unlimited)
#   limited     uid=svc-limited,ou=service,dc=example,dc=com / Svc-Passw0rd!
#               (paged searches stop after 2,000 entries: a size limit that hits)
#   admin       cn=admin,dc=example,dc=com / secret   (rootdn, for changes)
# --demo: the demo organisation (320 people in departments Engineering, Sales,
#   Support, Finance, People, IT, all nested in "All Staff", a few disabled),
#   with the same accounts and base DN as above.
# --adlike: AD-shaped group memberships (gen-ldif.py adlike), with the same
#   accounts; nothing under ou=restricted is readable by the service account.
# --ad-rootdse: the rootDSE announces AD's capability OID
#   (supportedCapabilities: 1.2.840.113556.1.4.800), as an AD DC does.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
DIR=${1:?usage: start-slapd.sh DIR PORT [--demo|--users N|--bench N|--adlike|--ldif FILE] [--ad-rootdse]}
PORT=${2:?port}
shift 2
mode=fixture
count=5000
ldif=""
ad_rootdse=0
while [ $# -gt 0 ]; do
  case "$1" in
    --demo) mode=demo; shift ;;
    --users) mode=fixture; count=$2; shift 2 ;;
    --bench) mode=bench; count=$2; shift 2 ;;
    --adlike) mode=adlike; shift ;;
    --ldif) mode=file; ldif=$2; shift 2 ;;
    --ad-rootdse) ad_rootdse=1; shift ;;
    *) echo "start-slapd.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in /usr/sbin/slapd /usr/sbin/slapadd /usr/bin/ldapsearch openssl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "start-slapd.sh: $tool is not installed: run build-aux/install-deps.sh" >&2; exit 77; }
done
TLS_PORT=$((PORT + 1))

rm -rf "$DIR"
mkdir -p "$DIR/data" "$DIR/run"
DIR=$(cd "$DIR" && pwd)
"$here/make-certs.sh" "$DIR/certs"

rootdse=""
if [ $ad_rootdse = 1 ]; then
  printf 'dn:\nsupportedCapabilities: 1.2.840.113556.1.4.800\n' > "$DIR/rootdse.ldif"
  rootdse="rootDSE   $DIR/rootdse.ldif"
fi

cat > "$DIR/slapd.conf" <<CONF
include   /etc/ldap/schema/core.schema
include   /etc/ldap/schema/cosine.schema
include   /etc/ldap/schema/nis.schema
include   /etc/ldap/schema/inetorgperson.schema
include   $here/adlike.schema
pidfile   $DIR/run/slapd.pid
argsfile  $DIR/run/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
sizelimit  size.soft=1000 size.hard=1000 size.prtotal=unlimited
timelimit  60
loglevel   none
$rootdse
TLSCACertificateFile $DIR/certs/ca.pem
TLSCertificateFile   $DIR/certs/server.pem
TLSCertificateKeyFile $DIR/certs/server.key

database  mdb
suffix    "dc=example,dc=com"
rootdn    "cn=admin,dc=example,dc=com"
rootpw    secret
directory $DIR/data
maxsize   4294967296
dbnosync
index     objectClass eq
index     uid,cn,mail,sAMAccountName eq,sub
index     userPrincipalName eq
index     member,memberOf,objectSid,objectGUID eq
index     uSNChanged eq
limits dn.exact="uid=svc-limited,ou=service,dc=example,dc=com" size.soft=1000 size.hard=1000 size.prtotal=2000
access to dn.subtree="ou=restricted,dc=example,dc=com"
  by * none
access to attrs=userPassword
  by self =xw
  by anonymous auth
  by * none
access to *
  by users read
  by * none
overlay   memberof
memberof-group-oc groupOfNames
memberof-member-ad member
memberof-memberof-ad memberOf
memberof-refint TRUE
CONF
slaptest -Q -u -f "$DIR/slapd.conf"

case "$mode" in
  fixture) /usr/bin/python3 "$here/gen-ldif.py" fixture "$count" > "$DIR/seed.ldif" ;;
  demo) /usr/bin/python3 "$here/gen-ldif.py" demo > "$DIR/seed.ldif" ;;
  bench) /usr/bin/python3 "$here/gen-ldif.py" bench "$count" > "$DIR/seed.ldif" ;;
  adlike) /usr/bin/python3 "$here/gen-ldif.py" adlike > "$DIR/seed.ldif" ;;
  file) cp "$ldif" "$DIR/seed.ldif" ;;
esac
slapadd -q -f "$DIR/slapd.conf" -l "$DIR/seed.ldif"

/usr/sbin/slapd -f "$DIR/slapd.conf" \
  -h "ldap://127.0.0.1:$PORT/ ldaps://127.0.0.1:$TLS_PORT/ ldaps://127.0.0.2:$TLS_PORT/"
ok=0
for _ in $(seq 1 100); do
  ldapsearch -x -H "ldap://127.0.0.1:$PORT" -b '' -s base >/dev/null 2>&1 && { ok=1; break; }
  sleep 0.05
done
[ $ok = 1 ] || { echo "slapd did not come up on port $PORT" >&2; exit 1; }

cat > "$DIR/env" <<ENV
export PS_TEST_SLAPD_PID=$(cat "$DIR/run/slapd.pid")
export PS_TEST_SLAPD_DIR=$DIR
export PS_TEST_LDAP_URI=ldap://127.0.0.1:$PORT
export PS_TEST_LDAPS_URI=ldaps://127.0.0.1:$TLS_PORT
export PS_TEST_LDAPS_WRONG_HOST_URI=ldaps://127.0.0.2:$TLS_PORT
export PS_TEST_LDAP_BASE=dc=example,dc=com
export PS_TEST_LDAP_BIND_DN=uid=svc-pandasync,ou=service,dc=example,dc=com
export PS_TEST_LDAP_PASSWORD='Svc-Passw0rd!'
export PS_TEST_LDAP_LIMITED_BIND_DN=uid=svc-limited,ou=service,dc=example,dc=com
export PS_TEST_LDAP_ADMIN_DN=cn=admin,dc=example,dc=com
export PS_TEST_LDAP_ADMIN_PASSWORD=secret
export PS_TEST_LDAP_USERS=$count
export PS_TEST_CA_FILE=$DIR/certs/ca.pem
export PS_TEST_OTHER_CA_FILE=$DIR/certs/other-ca.pem
export PS_TEST_CERT_DIR=$DIR/certs
ENV
cat "$DIR/env"
