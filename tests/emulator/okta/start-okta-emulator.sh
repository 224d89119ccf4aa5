#!/bin/sh
# start-okta-emulator.sh — start ps-okta-emulator in the background on a free port
#
# Usage: start-okta-emulator.sh [--pid-file FILE] [--log FILE] [--] [ps-okta-emulator options]
#
# Prints "PORT=<n>", "URL=<url>" and "PID=<pid>" once the emulator listens,
# and writes the pid to --pid-file when given. Stop it with
# `kill "$(cat FILE)"`. The binary is $PS_OKTA_EMULATOR, else
# $PANDASYNC_BUILD_ROOT/tests/emulator/okta/ps-okta-emulator, else
# ./build/tests/emulator/okta/ps-okta-emulator under the source tree
# (see ../common/start-emulator.sh).
#
# Copyright 2026 The PandaSync authors
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu

here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../common/start-emulator.sh" ps-okta-emulator okta/ps-okta-emulator "${PS_OKTA_EMULATOR:-}" "$@"
