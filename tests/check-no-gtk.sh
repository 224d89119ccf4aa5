#!/usr/bin/env bash
# The core, directory, target, engine and CLI code must build without GTK:
# only src/gui may include it. Prints TAP.
set -u
src=${1:?usage: check-no-gtk.sh SRCDIR}
echo "1..1"
hits=$(grep -rnE '#include *[<"](gtk|gdk)/' "$src" --include='*.c' --include='*.h' | grep -v "^$src/gui/" || true)
if [ -n "$hits" ]; then
  echo "not ok 1 - GTK is included outside src/gui:"
  echo "$hits" | sed 's/^/# /'
  exit 1
fi
echo "ok 1 - nothing outside src/gui includes GTK or GDK"
