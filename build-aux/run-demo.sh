#!/usr/bin/env bash
# Opens PandaSync on the embedded demo: installs what is needed, builds, starts
# a local directory server (slapd with a sample organisation of 320 people in
# six departments, all in "All Staff") and a local Asset Panda emulator (the
# "Example Ltd" tenant), writes a profile connected to both, and opens the app.
#
#   build-aux/run-demo.sh [--source ad|entra|okta] [--mappings]
#                         [--screenshot FILE] [--page NAME]
#
#   --source SOURCE    the identity source: ad (default: slapd with the sample
#                      organisation), entra (the Microsoft Graph emulator's
#                      Contoso tenant) or okta (the Okta emulator's Acme org)
#   --mappings         also set up a user mapping and a collection mapping
#                      (otherwise the wizard walks you through them)
#   --screenshot FILE  run the app on a virtual display, save a picture of
#                      its window to FILE and quit (for machines without a
#                      desktop; used automatically when $DISPLAY is unset)
#   --page NAME        open this page (connection, schedule, users,
#                      collections, sync, history)
#
# Everything lives in one folder ($PANDASYNC_DEMO_DIR, default
# /tmp/pandasync-demo) and both servers stop when the app closes. Nothing is
# written to your own profiles or keyring: the demo's secrets are in a 0600
# credentials file in that folder.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${PANDASYNC_BUILDDIR:-$top/_build}
demo=${PANDASYNC_DEMO_DIR:-/tmp/pandasync-demo}
mappings=0
source=ad
screenshot=""
page=""
while [ $# -gt 0 ]; do
  case "$1" in
    --mappings) mappings=1; shift ;;
    --source) source=$2; shift 2 ;;
    --screenshot) screenshot=$2; shift 2 ;;
    --page) page=$2; shift 2 ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "run-demo.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$source" in
  ad|entra|okta) ;;
  *) echo "run-demo.sh: --source takes ad, entra or okta, not “$source”" >&2; exit 2 ;;
esac
if [ -z "$screenshot" ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  screenshot="$demo/pandasync-demo.png"
  echo "run-demo.sh: no display here, so the app runs on a virtual display and a"
  echo "             screenshot is saved to $screenshot"
fi

"$top/build-aux/install-deps.sh"
if [ -f "$builddir/build.ninja" ]; then
  meson setup --reconfigure "$builddir" >/dev/null
else
  meson setup "$builddir"
fi
ninja -C "$builddir"

# --- servers -----------------------------------------------------------------
rm -rf "$demo"
mkdir -p "$demo"
chmod 700 "$demo"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Starts an emulator binary (ARGS…) in the background and sets emulator_url
# to the URL it announces (not in a subshell: the EXIT trap must stop it).
start_emulator() {
  local name=$1; shift
  "$@" > "$demo/$name.out" 2> "$demo/$name.log" &
  pids+=($!)
  for _ in $(seq 1 100); do
    grep -q '^URL=' "$demo/$name.out" 2>/dev/null && break
    sleep 0.05
  done
  emulator_url=$(sed -n 's/^URL=//p' "$demo/$name.out")
}

case "$source" in
  ad)
    echo "run-demo.sh: starting the demo directory (slapd)…"
    slapd_env=""
    for _ in 1 2 3 4 5; do
      if slapd_env=$("$top/tests/servers/start-slapd.sh" "$demo/slapd" "$(free_port)" --demo 2>"$demo/slapd.log"); then
        break
      fi
      slapd_env=""
    done
    [ -n "$slapd_env" ] || { echo "run-demo.sh: slapd did not start; see $demo/slapd.log" >&2; exit 1; }
    eval "$slapd_env"
    pids+=("$PS_TEST_SLAPD_PID")
    ;;
  entra)
    echo "run-demo.sh: starting the demo Microsoft Entra ID tenant (Graph emulator)…"
    start_emulator graph "$builddir/tests/emulator/graph/ps-graph-emulator" --port 0
    graph_url=$emulator_url
    [ -n "$graph_url" ] || { echo "run-demo.sh: the Graph emulator did not start; see $demo/graph.log" >&2; exit 1; }
    ;;
  okta)
    echo "run-demo.sh: starting the demo Okta org (Okta emulator)…"
    start_emulator okta "$builddir/tests/emulator/okta/ps-okta-emulator" --port 0
    okta_url=$emulator_url
    [ -n "$okta_url" ] || { echo "run-demo.sh: the Okta emulator did not start; see $demo/okta.log" >&2; exit 1; }
    ;;
esac

echo "run-demo.sh: starting the demo Asset Panda (emulator)…"
start_emulator emulator "$builddir/tests/emulator/assetpanda/ps-emulator" --port 0 \
  --seed "$top/tests/emulator/assetpanda/seed-demo.json" --rate-limit 0 --save "$demo/asset-panda-state.json"
[ -n "$emulator_url" ] || { echo "run-demo.sh: the emulator did not start; see $demo/emulator.log" >&2; exit 1; }

# --- the profile ---------------------------------------------------------------
umask 077
case "$source" in
  ad) source_secret="BindPassword=$PS_TEST_LDAP_PASSWORD" ;;
  entra) source_secret="EntraClientSecret=ps-graph-secret~1" ;;
  okta) source_secret="OktaApiToken=00ps-okta-full-token-acme-00000000000001" ;;
esac
cat > "$demo/credentials.ini" <<CREDS
[Credentials]
ApiClientSecret=ps-demo-secret
ApiPassword=Panda-Admin-1
$source_secret
CREDS
cat > "$demo/demo.conf" <<PROFILE
# The PandaSync demo: a local slapd and a local Asset Panda emulator.
[Profile]
Version=1
Id=demo
CredentialsFile=$demo/credentials.ini
StateFile=$demo/state.db

[AssetPanda]
URL=$emulator_url
Dialect=classic
ClientId=ps-demo-client
Email=admin@example.com
# The emulator has no rate limit; a real tenant keeps 400 calls / 180 s.
RateCalls=100000
RateWindow=1
PROFILE
case "$source" in
  ad)
    cat >> "$demo/demo.conf" <<PROFILE

[Directory]
URIs=$PS_TEST_LDAPS_URI
TLS=ldaps
CAFile=$PS_TEST_CA_FILE
BindDN=$PS_TEST_LDAP_BIND_DN
BaseDN=$PS_TEST_LDAP_BASE
PROFILE
    source_info="Directory     $PS_TEST_LDAPS_URI (base $PS_TEST_LDAP_BASE, bind $PS_TEST_LDAP_BIND_DN)"
    ;;
  entra)
    # The Graph emulator serves both the sign-in and Graph.
    cat >> "$demo/demo.conf" <<PROFILE

[EntraID]
Tenant=contoso.onmicrosoft.com
ClientId=11111111-1111-4111-8111-111111111111
LoginURL=$graph_url
GraphURL=$graph_url
PROFILE
    source_info="Entra ID      $graph_url (tenant contoso.onmicrosoft.com)"
    ;;
  okta)
    cat >> "$demo/demo.conf" <<PROFILE

[Okta]
URL=$okta_url
PROFILE
    source_info="Okta          $okta_url (the Acme org)"
    ;;
esac
if [ "$mappings" = 1 ] && [ "$source" = entra ]; then
  cat >> "$demo/demo.conf" <<PROFILE

[UserMapping Staff]
Account=21040
Role=30135
Group=b0000001-0000-4000-8000-000000000001
GroupName=Staff
Email=mail|userPrincipalName
FirstName=givenName
LastName=surname
PROFILE
elif [ "$mappings" = 1 ] && [ "$source" = okta ]; then
  cat >> "$demo/demo.conf" <<PROFILE

[UserMapping Sales]
Account=21040
Role=30135
Group=00gseed0000000000003
GroupName=Sales
Filter=status eq "ACTIVE"
PROFILE
elif [ "$mappings" = 1 ]; then
  cat >> "$demo/demo.conf" <<PROFILE

[UserMapping Staff]
Account=21040
Role=30135
Group=All Staff
GroupName=All Staff
Email=mail
FirstName=givenName
LastName=sn

[CollectionMapping Employees]
Account=21040
Collection=82677
Group=All Staff
GroupName=All Staff
UniqueIdentifier=objectSid
StatusField=Integration Status AD
Field.field_1=givenName;overwrite
Field.field_2=sn;overwrite
Field.field_3=mail;never-blank
Field.field_4=department;fill-empty
PROFILE
fi

cat <<INFO

PandaSync demo
  $source_info
  Asset Panda   $emulator_url (Classic; account 21040 "Example Ltd")
  Profile       $demo/demo.conf
  Command line  $builddir/src/cli/pandasync-cli sync --dry-run --profile-file $demo/demo.conf

INFO

# --- the app -----------------------------------------------------------------
export GSETTINGS_SCHEMA_DIR="$builddir/data"
args=(--profile-file "$demo/demo.conf")
[ -n "$page" ] && args+=(--page "$page")
if [ -n "$screenshot" ]; then
  PANDASYNC_SCREENSHOT="$screenshot" "$top/tests/with-session.sh" --x11 -- bash -c '
    "$0" "$@" & app=$!
    for _ in $(seq 1 100); do
      wid=$(xdotool search --onlyvisible --name "PandaSync" 2>/dev/null | head -n 1) && [ -n "$wid" ] && break
      sleep 0.1
    done
    sleep 1.5
    import -window root "$PANDASYNC_SCREENSHOT"
    kill $app; wait $app 2>/dev/null || true' "$builddir/src/gui/pandasync" "${args[@]}"
  echo "run-demo.sh: saved $screenshot"
else
  "$builddir/src/gui/pandasync" "${args[@]}"
fi
