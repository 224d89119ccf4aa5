#!/usr/bin/env bash
# pandasync-cli target …, against the emulator, in both dialects. TAP.
# Also checks that -v (all debug output) never prints a secret.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=${PANDASYNC_SOURCE_ROOT:?}
. "$src/tests/cli/tap.sh"
cli=${PANDASYNC_CLI:?}
emulator=${PS_EMULATOR:?}

tmp=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
export XDG_CONFIG_HOME="$tmp/config" XDG_STATE_HOME="$tmp/state" HOME="$tmp/home"
mkdir -p "$HOME"

"$emulator" --port 0 --seed "${PS_EMULATOR_SEED:?}" --rate-limit 0 >"$tmp/emu.out" 2>"$tmp/emu.err" &
pid=$!
for _ in $(seq 100); do grep -q '^PORT=' "$tmp/emu.out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/^PORT=//p' "$tmp/emu.out")
url="http://127.0.0.1:$port"

printf '[Credentials]\nApiClientSecret=ps-demo-secret\nApiPassword=Panda-Admin-1\n' >"$tmp/classic.creds"
printf '[Credentials]\nApiClientSecret=aks-demo-secret-0001\n' >"$tmp/pro.creds"
printf '[Credentials]\nApiClientSecret=ps-demo-secret\nApiPassword=Wrong-Pass-Sentinel\n' >"$tmp/wrong.creds"
chmod 600 "$tmp"/*.creds
profile() { # NAME DIALECT CLIENT EMAIL CREDS
  printf '[Profile]\nVersion=1\nId=%s\nCredentialsFile=%s\n\n[AssetPanda]\nURL=%s\nDialect=%s\nClientId=%s\n%s\n' \
    "$1" "$5" "$url" "$2" "$3" "${4:+Email=$4}" >"$tmp/$1.conf"
}
profile classic classic ps-demo-client admin@example.com "$tmp/classic.creds"
profile pro pro AKID-DEMO-0001 "" "$tmp/pro.creds"
profile wrong classic ps-demo-client admin@example.com "$tmp/wrong.creds"
c=(--profile-file "$tmp/classic.conf")
p=(--profile-file "$tmp/pro.conf")

no_secret() { # FILE…: none of the secrets, their base64, or a bearer token
  ! grep -qE 'Panda-Admin-1|ps-demo-secret|aks-demo-secret-0001|Wrong-Pass-Sentinel|UGFuZGEtQWRtaW4tMQ|cHMtZGVtby1zZWNyZXQ|eyJhbGciOi|Bearer ' "$@"
}

tap_plan 20
expect "classic accounts" 0 '^21040 ' -- "$cli" target accounts "${c[@]}"
expect "classic modules: one implicit" 0 '^default ' -- "$cli" target modules "${c[@]}"
expect "classic roles are the user templates" 0 'Manager' -- "$cli" target roles "${c[@]}"
expect "classic collections" 0 '^82677 +Employees' -- "$cli" target collections "${c[@]}"
expect "classic fields show single-select options" 0 '901 +Active' -- "$cli" target fields --collection 82677 "${c[@]}"
expect "classic users" 0 'admin@example.com' -- "$cli" target users "${c[@]}"
expect "classic records --limit" 0 '"field_8" : "Active"' -- "$cli" target records --collection 82677 --limit 2 --json "${c[@]}"
expect "classic records --json count" 0 '^2$' -- bash -c "\"$cli\" target records -c 82677 -n 2 --json --profile-file \"$tmp/classic.conf\" | grep -c '\"archived\"'"
expect "pro accounts --json" 0 '"id" : "01HWQGD1GHCAKJQ5NRFBFYH5K0"' -- "$cli" target accounts --json "${p[@]}"
expect "pro modules default to the only account" 0 'Asset Management' -- "$cli" target modules "${p[@]}"
expect "pro roles (provisional)" 0 'Collaborator' -- "$cli" target roles "${p[@]}"
expect "pro collections" 0 'Employees' -- "$cli" target collections "${p[@]}"
expect "pro fields" 0 'single-select' -- "$cli" target fields --collection 01HWQZC22GGFDETG9M3M7S2ZR5 "${p[@]}"
expect "pro users (provisional)" 0 'admin@example.com' -- "$cli" target users --json "${p[@]}"
expect "pro records" 0 'Lovelace' -- "$cli" target records --collection 01HWQZC22GGFDETG9M3M7S2ZR5 "${p[@]}"
expect "fields without --collection is a usage error" 2 'needs --collection' -- "$cli" target fields "${c[@]}"
expect "unknown subcommand" 2 'say what to list' -- "$cli" target frobs "${c[@]}"
expect "wrong password fails clearly" 1 'refused the sign-in' -- "$cli" target accounts "${c[@]/classic.conf/wrong.conf}"

G_MESSAGES_DEBUG=all PANDASYNC_HTTP_DEBUG=body "$cli" target users -v "${c[@]}" >"$tmp/v.out" 2>"$tmp/v.err"
G_MESSAGES_DEBUG=all PANDASYNC_HTTP_DEBUG=body "$cli" target accounts -v --profile-file "$tmp/wrong.conf" >>"$tmp/v.out" 2>>"$tmp/v.err"
G_MESSAGES_DEBUG=all PANDASYNC_HTTP_DEBUG=body "$cli" target records -c 01HWQZC22GGFDETG9M3M7S2ZR5 -v "${p[@]}" >>"$tmp/v.out" 2>>"$tmp/v.err"
ok_if "verbose output shows the HTTP traffic" grep -q 'HTTP > POST /v3/session/token' "$tmp/v.out" "$tmp/v.err"
ok_if "verbose stdout and stderr hold no secret" no_secret "$tmp/v.out" "$tmp/v.err"
tap_done
