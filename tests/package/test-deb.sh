#!/usr/bin/env bash
# test-deb.sh — the Debian package end to end. TAP.
#
# Builds pandasync_*.deb with build-aux/make-deb.sh, runs lintian on it (any
# error fails), installs it with apt-get, checks what a user gets (the CLI
# runs, the desktop file, metainfo and systemd units validate, the manual
# pages, schema, icon and translation are in place), then purges it and
# checks that nothing the package installed is left.
#
# It installs a system package, so it runs as root and alone
# (is_parallel: false); as anyone else it skips, and says why.
#
#   PANDASYNC_SOURCE_ROOT  the tree to package (default: this script's)
#   PANDASYNC_DEB_DIR      where the .deb goes (default: a temporary folder)
#   PANDASYNC_DEB_ARGS     more arguments for make-deb.sh, e.g. --committed to
#                          package the last commit instead of the working tree
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=${PANDASYNC_SOURCE_ROOT:-$(cd "$here/../.." && pwd)}
app_id=io.github.pandasync.PandaSync
plan=17

skip_all() {
  echo "1..0 # SKIP $1"
  echo "SKIP: the Debian package was NOT tested: $1" >&2
  exit 0
}

if [ "$(id -u)" -ne 0 ]; then
  skip_all "not root: installing the package needs root (CI runs as root; run 'sudo meson test -C _build --suite package')"
fi
for tool in apt-get dpkg dpkg-buildpackage dh lintian desktop-file-validate appstreamcli systemd-analyze man gsettings; do
  command -v "$tool" >/dev/null 2>&1 ||
    skip_all "$tool is not installed (build-aux/install-deps.sh installs it)"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pandasync-test-deb.XXXXXX")
chmod 755 "$tmp"
outdir=${PANDASYNC_DEB_DIR:-$tmp/deb}
installed_by_us=0
cleanup() {
  # Never leave the package behind, whatever happened above.
  if [ $installed_by_us = 1 ] && dpkg-query -W -f='${Status}' pandasync 2>/dev/null | grep -q installed; then
    apt-get purge -y -o DPkg::Lock::Timeout=300 pandasync >/dev/null 2>&1
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

n=0
failed=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); echo "not ok $n - $1"; failed=1; }
diag() { sed 's/^/# /'; }
# check DESCRIPTION COMMAND…: ok when COMMAND exits 0; its output follows as
# diagnostics when it does not.
check() {
  local desc=$1 out; shift
  if out=$("$@" 2>&1); then pass "$desc"; else fail "$desc"; printf '%s\n' "$out" | tail -n 40 | diag; fi
}
# check_quiet DESCRIPTION COMMAND…: as check, but any output also fails.
check_quiet() {
  local desc=$1 out status; shift
  out=$("$@" 2>&1); status=$?
  if [ $status = 0 ] && [ -z "$out" ]; then pass "$desc"; else fail "$desc"; printf '%s\n' "$out" | tail -n 40 | diag; fi
}
bail() { echo "Bail out! $1"; exit 1; }

echo "1..$plan"

if status=$(dpkg-query -W -f='${db:Status-Abbrev} ${Version}' pandasync 2>/dev/null) &&
   [ "${status:0:2}" != "un" ] && [ "${status:0:2}" != "pn" ]; then
  bail "pandasync is already on this machine ($status): this test installs and purges its own build and will not replace it; remove it first with 'apt-get purge pandasync'"
fi

# 1. Build.
start=$(date +%s)
# shellcheck disable=SC2086 # PANDASYNC_DEB_ARGS is a list of words
if deb=$("$top/build-aux/make-deb.sh" --output "$outdir" ${PANDASYNC_DEB_ARGS:-} 2>"$tmp/make-deb.log") &&
   [ -f "$deb" ]; then
  pass "build-aux/make-deb.sh built $(basename "$deb")"
  echo "# the package build took $(( $(date +%s) - start )) s"
else
  fail "build-aux/make-deb.sh built a .deb"
  tail -n 60 "$tmp/make-deb.log" | diag
  bail "no package to test"
fi
version=$(dpkg-deb -f "$deb" Version)

# 2. lintian: errors fail; warnings and the rest are listed.
lintian --fail-on error --display-info --pedantic "$deb" >"$tmp/lintian.log" 2>&1
status=$?
if [ $status = 0 ]; then pass "lintian reports no errors"; else fail "lintian reports no errors (exit $status)"; fi
# Every tag it printed, whatever its level (root's own notice aside).
grep -v '^running with root privileges' "$tmp/lintian.log" | diag
echo "# lintian: $(grep -c '^E: ' "$tmp/lintian.log") errors, $(grep -c '^W: ' "$tmp/lintian.log") warnings, $(grep -cE '^[IPX]: ' "$tmp/lintian.log") other tags"

# 3. Depends computed by dpkg-shlibdeps (the libraries the programs link).
depends=$(dpkg-deb -f "$deb" Depends)
echo "# Depends: $depends"
check "Depends names the libraries the programs link" \
  bash -c 'for lib in libc6 libglib2.0-0 libgtk-3-0 libsoup-3.0-0 libldap libsecret-1-0 libsqlite3-0 libjson-glib-1.0-0; do
             printf "%s\n" "$1" | tr "," "\n" | grep -q "^ *$lib" || { echo "Depends lacks $lib"; exit 1; }; done' _ "$depends"

# 4. Install, as a user would (no other package should be needed).
start=$(date +%s)
installed_by_us=1
if out=$(cd "$(dirname "$deb")" && apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=300 \
           "./$(basename "$deb")" 2>&1) &&
   dpkg-query -W -f='${Status}' pandasync 2>/dev/null | grep -q "install ok installed"; then
  pass "apt-get install ./$(basename "$deb")"
  printf '%s\n' "$out" | grep -E 'newly installed' | diag
  echo "# installing took $(( $(date +%s) - start )) s"
else
  fail "apt-get install ./$(basename "$deb")"
  printf '%s\n' "$out" | tail -n 40 | diag
  bail "the package did not install"
fi
dpkg -L pandasync >"$tmp/files"

# 5. What is in it.
expected="/usr/bin/pandasync
/usr/bin/pandasync-cli
/usr/share/applications/$app_id.desktop
/usr/share/metainfo/$app_id.metainfo.xml
/usr/share/icons/hicolor/scalable/apps/$app_id.svg
/usr/share/glib-2.0/schemas/$app_id.gschema.xml
/usr/share/locale/de/LC_MESSAGES/pandasync.mo
/usr/lib/systemd/user/pandasync@.service
/usr/share/pandasync/pandasync-system@.service
/usr/share/man/man1/pandasync-cli.1.gz
/usr/share/man/man1/pandasync.1.gz
/usr/share/doc/pandasync/copyright
/usr/share/doc/pandasync/changelog.gz"
missing=$(printf '%s\n' "$expected" | while IFS= read -r f; do
  grep -qxF "$f" "$tmp/files" && [ -e "$f" ] || echo "$f"; done)
if [ -z "$missing" ]; then
  pass "the package installed the app, the CLI, data files, units, manual pages and the translation"
else
  fail "the package installed the app, the CLI, data files, units, manual pages and the translation"
  printf '%s\n' "$missing" | sed 's/^/missing: /' | diag
fi

# 6–7. The programs run from /usr/bin and know the package's version.
check "pandasync-cli --version says $version" \
  bash -c 'out=$(/usr/bin/pandasync-cli --version) && echo "$out" && [ "$out" = "pandasync-cli $1" ]' _ "$version"
check "pandasync --version says $version (no display needed)" \
  bash -c 'out=$(env -u DISPLAY -u WAYLAND_DISPLAY /usr/bin/pandasync --version) && echo "$out" && [ "$out" = "pandasync $1" ]' _ "$version"

# 8–9. The desktop file and the metainfo as installed.
check "desktop-file-validate on the installed desktop file" \
  desktop-file-validate "/usr/share/applications/$app_id.desktop"
check "appstreamcli validate --no-net on the installed metainfo" \
  appstreamcli validate --no-net "/usr/share/metainfo/$app_id.metainfo.xml"

# 10–11. The systemd units, as tests/engine/verify-units.sh checks them in the
# build tree: any warning fails. The user unit is found by name in systemd's
# own search path; the system-wide example is verified as the README installs
# it, as /etc/systemd/system/pandasync@.service (here a copy in a temporary
# folder).
mkdir -m 700 "$tmp/run"
check_quiet "systemd-analyze --user verify pandasync@.service and pandasync@acme.service (installed)" \
  env XDG_RUNTIME_DIR="$tmp/run" systemd-analyze --user verify pandasync@.service pandasync@acme.service
mkdir "$tmp/system"
cp /usr/share/pandasync/pandasync-system@.service "$tmp/system/pandasync@.service"
cp /usr/share/pandasync/pandasync-system@.service "$tmp/system/pandasync@acme.service"
check_quiet "systemd-analyze verify the system-wide example as pandasync@.service and pandasync@acme.service" \
  systemd-analyze verify "$tmp/system/pandasync@.service" "$tmp/system/pandasync@acme.service"

# 12. The manual pages: man finds them and renders them without a warning.
check_quiet "man pandasync-cli and man pandasync render without warnings" \
  bash -c 'for page in pandasync-cli pandasync; do
             [ "$(man -w "$page")" = "/usr/share/man/man1/$page.1.gz" ] || { echo "man -w $page: $(man -w "$page" 2>&1)"; exit 1; }
             LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -Tutf8 -Z "$page" >/dev/null
           done'

# 13. The GSettings trigger compiled the schema into the system's.
schemas() { env -u GSETTINGS_SCHEMA_DIR GSETTINGS_BACKEND=memory gsettings list-schemas; }
check "the installed schema is compiled (gsettings list-schemas lists $app_id)" \
  bash -c "$(declare -f schemas); schemas | grep -qx '$app_id'"

# 14. Purge.
if out=$(apt-get purge -y -o DPkg::Lock::Timeout=300 pandasync 2>&1); then
  pass "apt-get purge -y pandasync"
  installed_by_us=0
else
  fail "apt-get purge -y pandasync"
  printf '%s\n' "$out" | tail -n 40 | diag
fi
check "dpkg no longer knows pandasync" \
  bash -c 'status=$(dpkg-query -W -f="\${db:Status-Abbrev}" pandasync 2>/dev/null) || exit 0
           case $status in un*|pn*) exit 0 ;; *) echo "dpkg status: $status"; exit 1 ;; esac'

# 16. Nothing left: every file and link dpkg -L listed is gone, and every
# folder still there belongs to another package.
left=$(while IFS= read -r p; do
  [ "$p" = "/." ] && continue
  if [ -L "$p" ] || { [ -e "$p" ] && [ ! -d "$p" ]; }; then
    echo "file left: $p"
  elif [ -d "$p" ] && ! dpkg-query -S "$p" 2>/dev/null | grep -v '^diversion by' | grep -q ": $p\$"; then
    echo "folder left that no other package owns: $p"
  fi
done <"$tmp/files")
if [ -z "$left" ]; then
  pass "nothing of the $(grep -c . "$tmp/files") paths dpkg -L listed is left"
else
  fail "nothing of the $(grep -c . "$tmp/files") paths dpkg -L listed is left"
  printf '%s\n' "$left" | diag
fi

# 17. The triggers took the schema out again.
check "gsettings list-schemas no longer lists $app_id" \
  bash -c "$(declare -f schemas); ! schemas | grep -qx '$app_id'"

[ $n = $plan ] || { echo "# ran $n tests but planned $plan"; failed=1; }
exit $failed
