#!/usr/bin/env bash
# pandasync-cli profile …, driven as an administrator would. TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tap.sh"
cli=${PANDASYNC_CLI:?}
src=${PANDASYNC_SOURCE_ROOT:?}
sample="$src/tests/data/sample.conf"

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME="$tmp/config" XDG_STATE_HOME="$tmp/state" XDG_CACHE_HOME="$tmp/cache" HOME="$tmp/home"
mkdir -p "$HOME"

tap_plan 25
expect "--version prints the version" 0 '^pandasync-cli [0-9]+\.[0-9]+' -- "$cli" --version
expect "no arguments prints usage and exits 2" 2 'Usage: pandasync-cli' -- "$cli"
expect "unknown command is named" 2 'unknown command “frobnicate”' -- "$cli" frobnicate
expect "validate the shipped sample profile" 0 'Profile sample is valid' -- "$cli" profile validate --profile-file "$sample"
expect "validate --json says valid" 0 '"valid" : true' -- "$cli" profile validate --json --profile-file "$sample"
expect "show prints both panels" 0 'ldaps://dc1.example.com, ldaps://dc2.example.com' -- "$cli" profile show --profile-file "$sample"
expect "show --json has the mappings" 0 '"unique_identifier" : "objectSid"' -- "$cli" profile show --json --profile-file "$sample"

# An Okta profile and an Entra ID profile: show prints the section they read.
sed -e '/^\[Directory\]/,/^$/d' -e '/^\[UserMapping/,$d' "$sample" > "$tmp/okta.conf"
cat >> "$tmp/okta.conf" <<'CONF'
[Okta]
URL=https://acme.okta.com
PageSize=150
Timeout=45
CONF
sed -e '/^\[Directory\]/,/^$/d' -e '/^\[UserMapping/,$d' "$sample" > "$tmp/entra.conf"
cat >> "$tmp/entra.conf" <<'CONF'
[EntraID]
Tenant=contoso.onmicrosoft.com
ClientId=11111111-1111-4111-8111-111111111111
CONF
expect "show prints the [Okta] section" 0 'Org URL: +https://acme.okta.com' -- "$cli" profile show --profile-file "$tmp/okta.conf"
expect "show of an Okta profile has no Active Directory part" 0 '' -- \
  bash -c "! '$cli' profile show --profile-file '$tmp/okta.conf' | grep -qx 'Active Directory'"
expect "show --json has the okta section" 0 '"page_size" : 150' -- "$cli" profile show --json --profile-file "$tmp/okta.conf"
expect "show --json names the source" 0 '"source" : "okta"' -- "$cli" profile show --json --profile-file "$tmp/okta.conf"
expect "show lists the Okta API token among an Okta profile's secrets" 0 'Okta API token +(missing|unavailable)' -- \
  "$cli" profile show --profile-file "$tmp/okta.conf"
expect "show leaves out the secrets of the other sources" 0 '' -- \
  bash -c "! '$cli' profile show --profile-file '$tmp/okta.conf' | grep -E 'Active Directory password|Entra ID client secret'"
expect "show prints the [EntraID] section" 0 'Tenant: +contoso.onmicrosoft.com' -- "$cli" profile show --profile-file "$tmp/entra.conf"
expect "show --json has the entra_id section" 0 '"tenant" : "contoso.onmicrosoft.com"' -- "$cli" profile show --json --profile-file "$tmp/entra.conf"
expect "list with no profiles says where it looked" 0 "No profiles in $tmp/config/pandasync/profiles" -- "$cli" profile list

mkdir -p "$tmp/config/pandasync/profiles"
sed 's/^PageSize=1000/PageSize=0/' "$sample" > "$tmp/config/pandasync/profiles/broken.conf"
expect "a bad value names section and key" 1 '\[Directory\] PageSize: “0” is not a whole number from 1 to 1000' -- "$cli" profile validate --profile broken
cp "$sample" "$tmp/config/pandasync/profiles/good.conf"
expect "list shows profiles sorted" 0 '^broken$' -- "$cli" profile list
expect "two profiles need --profile" 1 'There are 2 profiles' -- "$cli" profile show
expect "--profile and --profile-file together are refused" 2 'not both' -- "$cli" profile show --profile good --profile-file "$sample"

# Names the last listing kept ($XDG_CACHE_HOME/pandasync/ID.names.json) stand
# for the ids; without them the ids show.
expect "show gives the role's id when no name was kept" 0 '→ role 30135' -- "$cli" profile show --profile-file "$sample"
mkdir -p "$tmp/cache/pandasync"
printf '{"roles": {"30135": "Basic"}, "collections": {"82677": "Employees"}}\n' > "$tmp/cache/pandasync/sample.names.json"
expect "show gives the role's name kept from the last listing" 0 '→ role Basic' -- "$cli" profile show --profile-file "$sample"
expect "show gives the collection's name kept from the last listing" 0 '→ collection Employees, by objectSid' -- \
  "$cli" profile show --profile-file "$sample"

# A credentials file: the secret comes from stdin, never argv, and never shows.
sed "s|^Id=sample|Id=sample\nCredentialsFile=$tmp/creds.ini|" "$sample" > "$tmp/svc.conf"
expect "set-secret stores from stdin" 0 'Stored the Active Directory password' -- \
  bash -c "printf 'Hunter2-Sentinel\n' | '$cli' profile set-secret bind-password --profile-file '$tmp/svc.conf'"
expect "show reports it stored, without printing it" 0 'Active Directory password +stored' -- \
  bash -c "'$cli' profile show --profile-file '$tmp/svc.conf' | grep -v Hunter2-Sentinel"
tap_done
