#!/usr/bin/env bash
# make-certs.sh DIR — a private CA and a server certificate for the test servers.
#
#   DIR/ca.pem          the CA that signed server.pem (give it as CAFile)
#   DIR/server.pem/.key the server certificate: SAN IP:127.0.0.1, DNS:localhost
#                       (so 127.0.0.2 is a "wrong host name")
#   DIR/other-ca.pem    an unrelated CA (the "wrong CA" case)
#   DIR/expired.pem/.key a certificate from ca.pem that expired in 2021
set -euo pipefail
DIR=${1:?usage: make-certs.sh DIR}
mkdir -p "$DIR"
cd "$DIR"
ossl() { openssl "$@" >/dev/null 2>&1 || { echo "openssl $1 failed" >&2; openssl "$@"; exit 1; }; }

ossl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=PandaSync Test CA" \
  -keyout ca.key -out ca.pem -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign"
ossl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Some Other CA" \
  -keyout other-ca.key -out other-ca.pem -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign"

cat > server.ext <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
EXT
ossl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr
ossl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 \
  -extfile server.ext -out server.pem

# An expired one: signed by the same CA through "openssl ca" with fixed dates.
mkdir -p ca-db
: > ca-db/index.txt
echo 1000 > ca-db/serial
cat > ca.cnf <<CNF
[ca]
default_ca = test
[test]
database = ca-db/index.txt
serial = ca-db/serial
new_certs_dir = ca-db
certificate = ca.pem
private_key = ca.key
default_md = sha256
policy = any
copy_extensions = none
unique_subject = no
[any]
commonName = supplied
CNF
ossl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout expired.key -out expired.csr
ossl ca -batch -config ca.cnf -startdate 20200101000000Z -enddate 20210101000000Z \
  -extfile server.ext -in expired.csr -out expired.pem
chmod 600 ./*.key
