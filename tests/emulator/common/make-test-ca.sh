#!/bin/sh
# make-test-ca.sh — a throw-away CA and a server certificate for 127.0.0.1
#
# Usage: make-test-ca.sh OUTDIR [--force]
#
# Writes OUTDIR/ca.pem (trust this one), OUTDIR/ca.key, OUTDIR/server.pem and
# OUTDIR/server.key (for ps-emulator --tls-cert/--tls-key). The server
# certificate names IP 127.0.0.1 and DNS localhost. Existing files are kept
# unless --force is given. For tests and the demo only: the keys are not
# protected.
#
# Copyright 2026 The PandaSync authors
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu

out="${1:?usage: make-test-ca.sh OUTDIR [--force]}"
force="${2:-}"

mkdir -p "$out"
cd "$out"
if [ -s server.pem ] && [ -s server.key ] && [ -s ca.pem ] && [ "$force" != "--force" ]; then
  exit 0
fi

openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
  -days 3650 -subj "/O=PandaSync tests/CN=PandaSync Test CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout ca.key -out ca.pem 2>/dev/null

openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
  -subj "/O=PandaSync tests/CN=127.0.0.1" \
  -keyout server.key -out server.csr 2>/dev/null

cat >server.ext <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
EXT

openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
  -days 825 -sha256 -extfile server.ext -out server.pem 2>/dev/null

rm -f server.csr server.ext ca.srl
chmod 600 ca.key server.key
