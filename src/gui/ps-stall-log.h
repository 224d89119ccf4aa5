/* ps-stall-log.h — records how long the main loop stalls (PANDASYNC_STALL_LOG)
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* When $PANDASYNC_STALL_LOG names a file, a 10 ms timeout on the default
 * main context appends every gap between its ticks that exceeds 20 ms to
 * that file ("stall MS at T" lines, T the wall clock in Unix seconds), a
 * "max MS" line whenever the longest gap grows, "rss KB at T" about every
 * second and "rss-peak KB" at exit. Without the variable it does nothing. */
void ps_stall_log_start_from_env (void);
void ps_stall_log_stop           (void);

G_END_DECLS
