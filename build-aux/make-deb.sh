#!/usr/bin/env bash
# Builds the Debian package pandasync_VERSION_ARCH.deb from a clean copy of the
# tree and prints its path (the only line on standard output; the build's own
# output goes to standard error).
#
#   build-aux/make-deb.sh [--committed] [--output DIR] [--keep]
#
#   --committed   package the committed tree (git archive HEAD) instead of the
#                 working tree (the files git tracks or would track, as they
#                 are now; build folders and ignored files are left out)
#   --output DIR  where the .deb, its -dbgsym .deb, .buildinfo and .changes go
#                 (default: _build-deb in the top folder)
#   --keep        keep the temporary build folder and print where it is
#
# The packaging lives in build-aux/debian so that the top folder stays as it
# is; it is copied to debian/ inside the copy, and the copy is built with
# `dpkg-buildpackage -b -us -uc` (debhelper, `dh $@ --buildsystem=meson`)
# without running the test suite (DEB_BUILD_OPTIONS=nocheck). The packages it
# needs are in build-aux/install-deps.sh.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
output="$top/_build-deb"
committed=0
keep=0

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --committed) committed=1 ;;
    --output) [ $# -ge 2 ] || usage; output=$2; shift ;;
    --output=*) output=${1#--output=} ;;
    --keep) keep=1 ;;
    -h|--help) usage ;;
    *) echo "make-deb: unknown argument: $1" >&2; usage ;;
  esac
  shift
done

say() { echo "make-deb: $*" >&2; }
die() { echo "make-deb: error: $*" >&2; exit 1; }

for tool in dpkg-buildpackage dh dpkg-parsechangelog tar; do
  command -v "$tool" >/dev/null 2>&1 ||
    die "$tool is missing: run build-aux/install-deps.sh (it installs debhelper and dpkg-dev)"
done
[ -f "$top/build-aux/debian/control" ] || die "no build-aux/debian/control in $top"

# The package's version comes from build-aux/debian/changelog; it must be the
# project's own (meson.build), or the package would say one thing and
# `pandasync-cli --version` another.
deb_version=$(dpkg-parsechangelog -l "$top/build-aux/debian/changelog" -S Version)
project_version=$(sed -n "s/^ *version: *'\([^']*\)'.*/\1/p" "$top/meson.build" | head -n 1)
if [ "${deb_version%%-*}" != "$project_version" ]; then
  die "build-aux/debian/changelog is at $deb_version but meson.build at $project_version: add an entry for $project_version at the top of build-aux/debian/changelog"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/pandasync-deb.XXXXXX")
if [ $keep = 1 ]; then
  trap 'say "kept the build folder $work"' EXIT
else
  trap 'rm -rf "$work"' EXIT
fi
src="$work/pandasync-$project_version"
mkdir "$src"

# A clean copy: no build folders, no earlier packages, no debian/ of its own.
if [ $committed = 1 ]; then
  git -C "$top" rev-parse --verify -q HEAD >/dev/null || die "--committed needs a git checkout with a commit"
  say "copying the committed tree ($(git -C "$top" rev-parse --short HEAD))"
  git -C "$top" archive --format=tar HEAD | tar -x -C "$src"
elif git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  say "copying the working tree (tracked and new files, not the ignored ones)"
  (cd "$top" && git ls-files -z --cached --others --exclude-standard |
     while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done |
     tar --null --no-recursion -T - -c) | tar -x -C "$src"
else
  say "copying the tree (not a git checkout: leaving out _build*, build, obj-* and debian)"
  (cd "$top" && tar -c --exclude='./_build*' --exclude=./build --exclude='./obj-*' \
     --exclude=./debian --exclude=./.git .) | tar -x -C "$src"
fi
[ ! -e "$src/debian" ] || die "the tree has a debian/ folder of its own; the packaging lives in build-aux/debian"
cp -a "$src/build-aux/debian" "$src/debian"
chmod +x "$src/debian/rules"

jobs=$(nproc 2>/dev/null || echo 1)
export DEB_BUILD_OPTIONS="nocheck parallel=$jobs${DEB_BUILD_OPTIONS:+ $DEB_BUILD_OPTIONS}"
say "building pandasync $deb_version in $src (DEB_BUILD_OPTIONS=$DEB_BUILD_OPTIONS)"
start=$(date +%s)
(cd "$src" && dpkg-buildpackage -b -us -uc) >&2 || die "dpkg-buildpackage failed (see above)"
say "built in $(( $(date +%s) - start )) s"

arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb="pandasync_${deb_version}_${arch}.deb"
[ -f "$work/$deb" ] || die "dpkg-buildpackage did not make $deb"

mkdir -p "$output"
output=$(cd "$output" && pwd)
# Never committed by accident, wherever it is (as meson does for its folders).
[ -e "$output/.gitignore" ] || printf '*\n' > "$output/.gitignore"
for f in "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes; do
  [ -e "$f" ] && mv -f "$f" "$output/"
done
echo "$output/$deb"
