#!/usr/bin/env bash
# Refreshes docs/screenshots/*.png, the pictures README.md shows: the app on
# the embedded demo (slapd + the Asset Panda emulator, with mappings), one
# window capture per page, taken on a virtual display; the Connection page
# once more on a profile that reads Microsoft Entra ID (the Graph emulator's
# Contoso tenant), and the Connection and User Mapping pages on one that
# reads Okta (the Okta emulator's Acme org).
#
#   build-aux/update-screenshots.sh     (after building into _build)
#
# PANDASYNC_BUILDDIR names another build folder; PANDASYNC_SHOTS_DIR another
# folder for the pictures (to look at them before replacing the README's).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${PANDASYNC_BUILDDIR:-$top/_build}
out=${PANDASYNC_SHOTS_DIR:-$top/docs/screenshots}
mkdir -p "$out"

export PANDASYNC_DEMO_DIR=${PANDASYNC_DEMO_DIR:-/tmp/pandasync-screenshots}
export PANDASYNC_BUILDDIR="$builddir"
export SHOTS="$out"

"$top/tests/with-session.sh" --x11 -- bash -c '
  set -euo pipefail
  top=$1; builddir=$2
  demo=$PANDASYNC_DEMO_DIR
  rm -rf "$demo"; mkdir -p "$demo"
  port=$(python3 -c "import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); print(s.getsockname()[1])")
  eval "$("$top/tests/servers/start-slapd.sh" "$demo/slapd" "$port" --demo)"
  "$builddir/tests/emulator/assetpanda/ps-emulator" --port 0 --seed "$top/tests/emulator/assetpanda/seed-demo.json" \
    --rate-limit 0 > "$demo/emu.out" 2>/dev/null & emu=$!
  "$builddir/tests/emulator/graph/ps-graph-emulator" --port 0 > "$demo/graph.out" 2>/dev/null & graph=$!
  "$builddir/tests/emulator/okta/ps-okta-emulator" --port 0 > "$demo/okta.out" 2>/dev/null & okta=$!
  # Automation Sync with the background service: Install goes to the fake
  # systemd user manager and logind of the tests (ps-mock-systemd, on the
  # private bus of this session, never those of the machine), which runs
  # pandasync-cli service of this build for real.
  export DBUS_SYSTEM_BUS_ADDRESS=$DBUS_SESSION_BUS_ADDRESS
  "$builddir/tests/ps-mock-systemd" --systemd --login1 > "$demo/mock.out" 2> "$demo/mock.log" & mock=$!
  trap "kill $emu $graph $okta $mock $PS_TEST_SLAPD_PID 2>/dev/null || true" EXIT
  for _ in $(seq 1 100); do grep -q ^URL= "$demo/emu.out" && break; sleep 0.05; done
  for _ in $(seq 1 100); do grep -q ^URL= "$demo/graph.out" && break; sleep 0.05; done
  for _ in $(seq 1 100); do grep -q ^URL= "$demo/okta.out" && break; sleep 0.05; done
  url=$(sed -n "s/^URL=//p" "$demo/emu.out")
  graph_url=$(sed -n "s/^URL=//p" "$demo/graph.out")
  okta_url=$(sed -n "s/^URL=//p" "$demo/okta.out")
  umask 077
  printf "[Credentials]\nApiClientSecret=ps-demo-secret\nApiPassword=Panda-Admin-1\nBindPassword=%s\n" \
    "$PS_TEST_LDAP_PASSWORD" > "$demo/credentials.ini"
  printf "[Credentials]\nApiClientSecret=ps-demo-secret\nApiPassword=Panda-Admin-1\nEntraClientSecret=%s\n" \
    "ps-graph-secret~1" > "$demo/credentials-entra.ini"
  printf "[Credentials]\nApiClientSecret=ps-demo-secret\nApiPassword=Panda-Admin-1\nOktaApiToken=%s\n" \
    "00ps-okta-full-token-acme-00000000000001" > "$demo/credentials-okta.ini"
  cat > "$demo/demo.conf" <<PROFILE
[Profile]
Id=demo
CredentialsFile=$demo/credentials.ini
StateFile=$demo/state.db
[AssetPanda]
URL=$url
ClientId=ps-demo-client
Email=admin@example.com
RateCalls=100000
RateWindow=1
[Directory]
URIs=$PS_TEST_LDAPS_URI
TLS=ldaps
CAFile=$PS_TEST_CA_FILE
BindDN=$PS_TEST_LDAP_BIND_DN
BaseDN=$PS_TEST_LDAP_BASE
[Schedule]
Enabled=true
StartTime=$(date -d tomorrow +%Y-%m-%dT02:00:00)
Interval=daily
[UserMapping Staff]
Account=21040
Role=30135
Group=All Staff
GroupName=All Staff
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
  # The same organisation in Microsoft Entra ID: the Graph emulator serves
  # both the sign-in and Graph, so both URLs point at it.
  cat > "$demo/demo-entra.conf" <<PROFILE
[Profile]
Id=demo-entra
CredentialsFile=$demo/credentials-entra.ini
StateFile=$demo/state-entra.db
[AssetPanda]
URL=$url
ClientId=ps-demo-client
Email=admin@example.com
RateCalls=100000
RateWindow=1
[EntraID]
Tenant=contoso.onmicrosoft.com
ClientId=11111111-1111-4111-8111-111111111111
LoginURL=$graph_url
GraphURL=$graph_url
[UserMapping Staff]
Account=21040
Role=30135
Group=b0000001-0000-4000-8000-000000000001
GroupName=Staff
Email=mail|userPrincipalName
FirstName=givenName
LastName=surname
PROFILE
  # The same in Okta (the Acme org of the Okta emulator).
  cat > "$demo/demo-okta.conf" <<PROFILE
[Profile]
Id=demo-okta
CredentialsFile=$demo/credentials-okta.ini
StateFile=$demo/state-okta.db
[AssetPanda]
URL=$url
ClientId=ps-demo-client
Email=admin@example.com
RateCalls=100000
RateWindow=1
[Okta]
URL=$okta_url
[UserMapping Sales]
Account=21040
Role=30135
Group=00gseed0000000000003
GroupName=Sales
Filter=status eq "ACTIVE"
PROFILE
  shoot () {   # PAGE NAME [ACTIONS…]; PROFILE names another demo profile
    page=$1; name=$2; shift 2
    GSETTINGS_SCHEMA_DIR="$builddir/data" "$builddir/src/gui/pandasync" \
      --profile-file "$demo/${PROFILE:-demo}.conf" --page "$page" & app=$!
    wid=""
    for _ in $(seq 1 100); do
      wid=$(xdotool search --onlyvisible --name "PandaSync" 2>/dev/null | head -n 1) && [ -n "$wid" ] && break
      sleep 0.1
    done
    sleep 1.5
    for action in "$@"; do eval "$action"; done
    xdotool mousemove 5 795   # no tooltip in the picture
    sleep 0.5
    import -window "$wid" "$SHOTS/$name.png"
    kill $app; wait $app 2>/dev/null || true
  }
  shoot connection connection
  # Entra ID chosen; Done (Enter in the focused field) tests the connection,
  # and the wheel scrolls down to the steps it lists.
  PROFILE=demo-entra shoot connection connection-entra
  PROFILE=demo-entra shoot connection connection-entra-test \
    "xdotool windowfocus --sync \$wid key Return; sleep 4" \
    "xdotool mousemove --window \$wid 600 400 click --repeat 20 --delay 30 5; sleep 1"
  # Okta chosen, its expander open (Alt+G); then its test, scrolled to the steps.
  PROFILE=demo-okta shoot connection connection-okta "xdotool windowfocus --sync \$wid key alt+g; sleep 0.5"
  PROFILE=demo-okta shoot connection connection-okta-test \
    "xdotool windowfocus --sync \$wid key Return; sleep 4" \
    "xdotool mousemove --window \$wid 600 400 click --repeat 20 --delay 30 5; sleep 1"
  # User Mapping on Okta: Alt+G searches the groups (Engineering is picked),
  # Alt+V opens Advanced, Alt+P is the department, Tab and Down make the
  # status "At work", and the live count follows.
  PROFILE=demo-okta shoot users user-mapping-okta \
    "xdotool windowfocus --sync \$wid key alt+g; xdotool type --delay 40 Eng; sleep 2" \
    "xdotool key alt+v; sleep 0.5; xdotool key alt+p; xdotool type --delay 40 Engineering; sleep 1" \
    "xdotool key Tab Down; sleep 3"
  shoot schedule schedule
  shoot users user-mapping
  # A second user mapping whose group is inside the first mapping’s: Alt+R and
  # Down pick a role, Alt+G searches the groups; the page counts the people
  # both mappings cover and says which one wins.
  shoot users user-mapping-overlap \
    "xdotool windowfocus --sync \$wid key alt+r Down; sleep 1" \
    "xdotool key alt+g; xdotool type --delay 40 Finance; sleep 5" \
    "xdotool mousemove --window \$wid 400 400 click --repeat 5 --delay 30 5; sleep 0.5"
  shoot collections collection-mapping
  # Advanced open on a group, counting who a filter keeps: Alt+L and Down
  # pick the first collection, Alt+G searches the groups (the only match is
  # picked), Alt+V opens Advanced, Alt+I is the filter.
  shoot collections collection-mapping-advanced \
    "xdotool windowfocus --sync \$wid key alt+l Down; sleep 2" \
    "xdotool key alt+g; xdotool type --delay 40 \"All Staff\"; sleep 2" \
    "xdotool key alt+v; sleep 0.5; xdotool key alt+i" \
    "xdotool type --delay 40 \"(department=Sales)\"; sleep 3"
  # Preview (Alt+P), then Start Sync (buttons at the top right of the Sync page).
  shoot sync sync-preview "xdotool windowfocus --sync \$wid key alt+p; sleep 4"
  # The first Start Sync plans and asks (nothing is written); Alt+A applies.
  shoot sync sync-confirm "xdotool mousemove --window \$wid 852 82 click 1; sleep 4"
  shoot sync sync "xdotool mousemove --window \$wid 852 82 click 1; sleep 4" \
    "xdotool windowfocus --sync \$wid key alt+a; sleep 5"
  shoot history history "xdotool mousemove --window \$wid 400 181 click 1; sleep 2"
  # Alt+I is Install Background Service; the service then runs for the rest.
  shoot schedule schedule-service "xdotool windowfocus --sync \$wid key alt+i; sleep 4"
  # Sales leaves both mappings’ scope: 54 leavers, more than their limit, so
  # both pause and their cards offer Review and Allow Once.
  sed -i "/^\[UserMapping Staff\]\$/a Filter=(!(department=Sales))
/^\[CollectionMapping Employees\]\$/a Filter=(!(department=Sales))" "$demo/demo.conf"
  shoot sync sync-paused "xdotool mousemove --window \$wid 852 82 click 1; sleep 6"
' bash "$top" "$builddir"
ls -la "$out"
