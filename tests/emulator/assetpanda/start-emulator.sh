#!/bin/sh
# start-emulator.sh — start ps-emulator in the background on a free port
#
# Usage: start-emulator.sh [--pid-file FILE] [--log FILE] [--] [ps-emulator options]
#
# Prints "PORT=<n>", "URL=<url>" and "PID=<pid>" once the emulator listens,
# and writes the pid to --pid-file when given. Stop it with
# `kill "$(cat FILE)"`. SIGTERM also writes the --save file, if any. The binary is $PS_EMULATOR, else
# $PANDASYNC_BUILD_ROOT/tests/emulator/assetpanda/ps-emulator, else
# ./build/tests/emulator/assetpanda/ps-emulator under the source tree
# (see ../common/start-emulator.sh).
#
# Copyright 2026 The PandaSync authors
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu

here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../common/start-emulator.sh" ps-emulator assetpanda/ps-emulator "${PS_EMULATOR:-}" "$@"
