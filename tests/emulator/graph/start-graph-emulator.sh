#!/bin/sh
# start-graph-emulator.sh — start ps-graph-emulator in the background on a free port
#
# Usage: start-graph-emulator.sh [--pid-file FILE] [--log FILE] [--] [ps-graph-emulator options]
#
# Prints "PORT=<n>", "URL=<url>" and "PID=<pid>" once the emulator listens,
# and writes the pid to --pid-file when given. Stop it with
# `kill "$(cat FILE)"`. The binary is $PS_GRAPH_EMULATOR, else
# $PANDASYNC_BUILD_ROOT/tests/emulator/graph/ps-graph-emulator, else
# ./build/tests/emulator/graph/ps-graph-emulator under the source tree
# (see ../common/start-emulator.sh).
#
# Copyright 2026 The PandaSync authors
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu

here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../common/start-emulator.sh" ps-graph-emulator graph/ps-graph-emulator "${PS_GRAPH_EMULATOR:-}" "$@"
