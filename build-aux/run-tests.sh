#!/usr/bin/env bash
# Installs what PandaSync needs, builds it with warnings as errors, and runs
# every test suite: unit, data, cli, integration (real slapd, Samba AD DC and
# the Asset Panda emulator on 127.0.0.1) and ui (real GTK widgets under Xvfb).
#
#   build-aux/run-tests.sh [meson test arguments…]
#
# Examples: build-aux/run-tests.sh --suite unit
#           build-aux/run-tests.sh profile secret-store
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
builddir=${PANDASYNC_BUILDDIR:-_build}

"$top/build-aux/install-deps.sh"

if [ -f "$builddir/build.ninja" ]; then
  meson setup --reconfigure "$builddir" --werror >/dev/null
else
  meson setup "$builddir" --werror
fi
ninja -C "$builddir"

status=0
meson test -C "$builddir" --print-errorlogs --num-processes "$(nproc)" "$@" || status=$?

# One plain summary line, counted from meson's own log.
python3 - "$builddir/meson-logs/testlog.json" <<'PY' || true
import json, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif r == "SKIP":
        skipped += 1
    else:
        failed += 1
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
