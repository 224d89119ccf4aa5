#!/usr/bin/env bash
# Installs every Debian package PandaSync needs to build, run its demo and run
# its whole test suite. Idempotent and non-interactive; run as root (or via sudo).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive

PACKAGES=(
  # build
  meson ninja-build pkg-config gcc gettext
  libglib2.0-dev libglib2.0-dev-bin libgtk-3-dev libsoup-3.0-dev libjson-glib-dev
  libldap-dev libsecret-1-dev libsqlite3-dev libayatana-appindicator3-dev libgnutls28-dev
  # data-file validation
  desktop-file-utils appstream
  # directory servers for the demo and the tests
  slapd ldap-utils
  samba samba-dsdb-modules samba-vfs-modules samba-ad-provision winbind krb5-user ldb-tools
  # TLS material for the test servers and the emulator
  openssl ca-certificates glib-networking
  # the directory reader's test servers and data generators
  iproute2 python3
  # desktop session for UI tests, keyring and screenshots
  xvfb xauth xdotool imagemagick dbus dbus-x11 gnome-keyring libsecret-tools
  # the German UI test builds de_DE.UTF-8 from these sources with localedef
  locales
  # the accessibility bus, and the AT-SPI client the accessibility test
  # (tests/gui/a11y-walk.py) walks the windows with
  at-spi2-core python3-pyatspi
  # tray host for the tray test
  haskell-status-notifier-item-utils
  # benchmarks
  time
  # the Debian package (build-aux/make-deb.sh) and its test (tests/package):
  # build, check, then install, verify and purge it
  debhelper dpkg-dev fakeroot lintian man-db systemd libglib2.0-bin
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}"

# Installing samba/winbind may add winbind to nsswitch.conf; it is not needed
# for anything PandaSync does and slows every name lookup when winbindd is not
# running, so take it out again.
if grep -qE '^(passwd|group):.*winbind' /etc/nsswitch.conf 2>/dev/null; then
  $SUDO sed -i -E '/^(passwd|group|shadow):/ s/ winbind//g' /etc/nsswitch.conf
fi
echo "install-deps: done"
