#!/usr/bin/env bash
# run-tsan.sh [SECONDS] [BUILD-DIR]
#
# Needs GLib itself built with ThreadSanitizer: Debian's GLib locks its
# GMutex, GCond and GAsyncQueue (what GTask's hand-over to a worker rests on)
# with futexes and atomics ThreadSanitizer cannot see, so against it every
# value a worker reads is reported as a race. Either
#   GLIB_TSAN=DIR   a GLib build (of the system's version) configured with
#                   -Db_sanitize=thread, or
#   GLIB_SRC=DIR    a GLib source tree of the system's version (e.g. from
#                   "apt-get source glib2.0" or its git tag): it is built in
#                   BUILD-DIR/glib-tsan the first time (about 5 minutes).
# The run uses it through LD_LIBRARY_PATH; GTK, libsoup and the rest stay
# the system's.
#
# The workers' stress test under ThreadSanitizer (issue 12, item 4).
# Configures a ThreadSanitizer build in BUILD-DIR (default build-dir-tsan in
# the source tree; -Db_sanitize=thread -Db_lundef=false), builds the stress
# program and the Asset Panda emulator there, starts slapd (the demo
# organisation) and the emulator on loopback, and runs
# tests/stress/stress-workers for SECONDS (default 60): the main thread edits
# the live profile as the pages do while syncs, scheduled runs, connection
# tests, the leavers report and the History queries run in their workers.
#
# Fails when the program fails (some kind of work never completed, or
# failed) or when ThreadSanitizer reports anything that
# tests/stress/tsan.supp does not suppress (that file holds narrowly
# justified entries for GLib and libraries only, never for our code).
# The reports land in BUILD-DIR/stress/ and are summarised at the end.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
SECONDS_TO_RUN=${1:-60}
BUILD=${2:-$src/build-dir-tsan}
py=/usr/bin/python3

command -v slapd > /dev/null || [ -x /usr/sbin/slapd ] || { echo "slapd is missing: run build-aux/install-deps.sh" >&2; exit 1; }

if [ ! -f "$BUILD/build.ninja" ]; then
  echo "# configuring the ThreadSanitizer build in $BUILD" >&2
  meson setup "$BUILD" "$src" -Db_sanitize=thread -Db_lundef=false -Dbuildtype=debugoptimized \
    -Dtray=disabled > "${TMPDIR:-/tmp}/pandasync-tsan-setup.log" 2>&1 \
    || { cat "${TMPDIR:-/tmp}/pandasync-tsan-setup.log" >&2; exit 1; }
fi
glib_version=$(pkg-config --modversion glib-2.0)
glib_so=0.$(echo "$glib_version" | awk -F. '{ print $2 * 100 "." $3 }')   # 2.74.6 → 0.7400.6
glib_libs="glib/libglib-2.0.so gobject/libgobject-2.0.so gio/libgio-2.0.so gmodule/libgmodule-2.0.so gthread/libgthread-2.0.so"
if [ -z "${GLIB_TSAN:-}" ] && [ -d "$BUILD/glib-tsan" ]; then
  GLIB_TSAN="$BUILD/glib-tsan"
fi
if [ -z "${GLIB_TSAN:-}" ] && [ -n "${GLIB_SRC:-}" ]; then
  GLIB_TSAN="$BUILD/glib-tsan"
  echo "# building GLib $glib_version with ThreadSanitizer in $GLIB_TSAN" >&2
  meson setup "$GLIB_TSAN" "$GLIB_SRC" -Db_sanitize=thread -Db_lundef=false -Dbuildtype=debugoptimized \
    -Dtests=false -Dinstalled_tests=false -Dman=false -Dgtk_doc=false -Dselinux=disabled -Dxattr=false \
    -Dlibmount=disabled -Dsysprof=disabled -Dnls=disabled -Dlibelf=disabled --wrap-mode=nodownload \
    > "${TMPDIR:-/tmp}/pandasync-glib-tsan-setup.log" 2>&1 \
    || { tail -20 "${TMPDIR:-/tmp}/pandasync-glib-tsan-setup.log" >&2; rm -rf "$GLIB_TSAN"; exit 1; }
fi
[ -n "${GLIB_TSAN:-}" ] || {
  echo "GLib built with ThreadSanitizer is needed (the system's hides its locks from it):" >&2
  echo "set GLIB_SRC to a GLib $glib_version source tree, or GLIB_TSAN to such a build" >&2
  exit 1
}
if [ -f "$GLIB_TSAN/build.ninja" ]; then
  targets=""
  for l in $glib_libs; do targets="$targets $l.$glib_so"; done
  # shellcheck disable=SC2086
  ninja -C "$GLIB_TSAN" $targets > "$BUILD/glib-tsan-ninja.log" 2>&1 \
    || { tail -20 "$BUILD/glib-tsan-ninja.log" >&2; exit 1; }
fi
glib_path=""
for l in $glib_libs; do
  [ -e "$GLIB_TSAN/$l.0" ] || { echo "$GLIB_TSAN/$l.0 is missing: not a GLib build" >&2; exit 1; }
  glib_path="$glib_path${glib_path:+:}$GLIB_TSAN/$(dirname "$l")"
done
found=$(basename "$(readlink -f "$GLIB_TSAN/glib/libglib-2.0.so.0")")
[ "$found" = "libglib-2.0.so.$glib_so" ] \
  || { echo "$GLIB_TSAN holds $found, but the system's GLib is $glib_version" >&2; exit 1; }

t0=$(date +%s)
ninja -C "$BUILD" tests/stress/stress-workers tests/emulator/assetpanda/ps-emulator > "$BUILD/stress-ninja.log" 2>&1 \
  || { tail -30 "$BUILD/stress-ninja.log" >&2; exit 1; }
echo "# built in $(( $(date +%s) - t0 )) s" >&2

out="$BUILD/stress"
rm -rf "$out"
mkdir -p "$out"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pandasync-stress.XXXXXX")
emu_pid=""
cleanup() {
  [ -n "$emu_pid" ] && kill "$emu_pid" 2> /dev/null && wait "$emu_pid" 2> /dev/null
  [ -f "$tmp/slapd/run/slapd.pid" ] && kill "$(cat "$tmp/slapd/run/slapd.pid")" 2> /dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port_pair() {
  $py -c 'import socket,random
for _ in range(200):
    p=random.randint(20000,60000); ok=True
    for q in (p,p+1):
        s=socket.socket()
        try: s.bind(("127.0.0.1",q))
        except OSError: ok=False
        s.close()
    if ok: print(p); break'
}

started=""
for _ in 1 2 3 4 5; do
  port=$(free_port_pair)
  if "$src/tests/servers/start-slapd.sh" "$tmp/slapd" "$port" --demo > "$tmp/slapd.log" 2>&1; then
    started=1; break
  fi
  [ -f "$tmp/slapd/run/slapd.pid" ] && kill "$(cat "$tmp/slapd/run/slapd.pid")" 2> /dev/null
  rm -rf "$tmp/slapd"
done
[ -n "$started" ] || { echo "slapd did not start: $(tail -5 "$tmp/slapd.log")" >&2; exit 1; }
# shellcheck disable=SC1091
. "$tmp/slapd/env"

# The emulator is not what is tested: it runs without the sanitizer's reports.
TSAN_OPTIONS="report_bugs=0" "$BUILD/tests/emulator/assetpanda/ps-emulator" --port 0 \
  --seed "$src/tests/emulator/assetpanda/seed-demo.json" --rate-limit 0 --call-log-max 1000 \
  > "$tmp/emu.out" 2> "$out/emulator.log" &
emu_pid=$!
emu_port=""
for _ in $(seq 1 200); do
  emu_port=$(sed -n 's/^PORT=//p' "$tmp/emu.out" 2> /dev/null)
  [ -n "$emu_port" ] && break
  kill -0 "$emu_pid" 2> /dev/null || break
  sleep 0.05
done
[ -n "$emu_port" ] || { echo "the emulator did not start: $(tail -3 "$out/emulator.log")" >&2; exit 1; }

echo "# stress for $SECONDS_TO_RUN s: slapd $PS_TEST_LDAP_URI, emulator http://127.0.0.1:$emu_port" >&2
t0=$(date +%s)
env PS_STRESS_SECONDS="$SECONDS_TO_RUN" \
  PS_STRESS_EMULATOR_URL="http://127.0.0.1:$emu_port" \
  PS_STRESS_LDAP_URI="$PS_TEST_LDAP_URI" \
  PS_STRESS_LDAP_BASE="$PS_TEST_LDAP_BASE" \
  PS_STRESS_LDAP_BIND_DN="$PS_TEST_LDAP_BIND_DN" \
  PS_STRESS_LDAP_PASSWORD="$PS_TEST_LDAP_PASSWORD" \
  GSETTINGS_BACKEND=memory GIO_USE_PROXY_RESOLVER=dummy G_DEBUG=fatal-criticals \
  LD_LIBRARY_PATH="$glib_path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  TSAN_OPTIONS="suppressions=$here/tsan.supp halt_on_error=0 second_deadlock_stack=1 history_size=4 log_path=$out/tsan" \
  "$BUILD/tests/stress/stress-workers" --tap > "$out/stress.tap" 2> "$out/stress.log"
rc=$?
elapsed=$(( $(date +%s) - t0 ))

grep -E '^# (.* done, |[0-9]+ edits|real runs)' "$out/stress.tap" >&2
reports=$(cat "$out"/tsan.* 2> /dev/null | grep -c '^WARNING: ThreadSanitizer' || true)
ours=0
if [ "$reports" -gt 0 ]; then
  # A report is ours when one of its frames is in src/ or tests/ of this tree
  # (frames name files relative to the build folder: ../src/…).
  ours=$($py - "$src" "$out"/tsan.* <<'PY'
import re, sys
src = sys.argv[1]
n = 0
for path in sys.argv[2:]:
    for report in open(path, errors="replace").read().split("WARNING: ThreadSanitizer")[1:]:
        if re.search(r"\s(\.\./|%s/)(src|tests)/[^ ]+\.[ch]:\d+" % re.escape(src), report):
            n += 1
print(n)
PY
)
  echo "# ThreadSanitizer: $reports report(s), $ours with a frame in our code; summaries:" >&2
  cat "$out"/tsan.* | grep '^SUMMARY: ThreadSanitizer' | sort | uniq -c | sort -rn >&2
  echo "# full reports: $out/tsan.*" >&2
fi
echo "# stress program: exit $rc after $elapsed s; ThreadSanitizer reports: $reports" >&2
[ "$rc" -eq 0 ] || { echo "FAIL: the stress program failed (see $out/stress.log, $out/stress.tap)" >&2; tail -20 "$out/stress.log" >&2; exit 1; }
[ "$reports" -eq 0 ] || { echo "FAIL: ThreadSanitizer reported $reports race(s) or other errors" >&2; exit 1; }
echo "PASS: no race reports" >&2
