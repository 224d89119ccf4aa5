/* ps-stall-log.c — records how long the main loop stalls (PANDASYNC_STALL_LOG)
 *
 * A benchmark's probe (tests/bench/bench-gui.sh) that costs nothing unless
 * the variable is set: a timeout every TICK_MS at high priority is
 * dispatched as soon as the loop is free, so the gap between two ticks
 * beyond TICK_MS is how long the loop could not answer input or draw.
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ps-stall-log.h"

#define TICK_MS   10
#define REPORT_MS 20
#define RSS_EVERY 100   /* ticks: about a second */

typedef struct {
  FILE   *out;
  guint   source;
  gint64  started;
  gint64  last;
  gint64  longest;
  guint   ticks;
} StallLog;

static StallLog *stall_log;

/* VmHWM of /proc/self/status in kB, or 0. */
static guint64
peak_rss_kb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, "VmHWM:");
  return line != NULL ? g_ascii_strtoull (line + strlen ("VmHWM:"), NULL, 10) : 0;
}

/* VmRSS now, in kB, or 0. */
static guint64
rss_kb (void)
{
  g_autofree char *statm = NULL;
  char *space;

  if (!g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL)
      || (space = strchr (statm, ' ')) == NULL)
    return 0;
  return g_ascii_strtoull (space + 1, NULL, 10) * (sysconf (_SC_PAGESIZE) / 1024);
}

static gboolean
on_tick_cb (gpointer user_data)
{
  StallLog *log = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 gap = now - log->last;

  log->last = now;
  if (++log->ticks % RSS_EVERY == 0)
    {
      fprintf (log->out, "rss %" G_GUINT64_FORMAT " at %.3f\n", rss_kb (), g_get_real_time () / 1e6);
      fflush (log->out);
    }
  if (gap < REPORT_MS * 1000)
    return G_SOURCE_CONTINUE;
  fprintf (log->out, "stall %.1f at %.3f\n", gap / 1000.0, g_get_real_time () / 1e6);
  if (gap > log->longest)
    {
      log->longest = gap;
      fprintf (log->out, "max %.1f\n", gap / 1000.0);
    }
  fflush (log->out);
  return G_SOURCE_CONTINUE;
}

void
ps_stall_log_start_from_env (void)
{
  const char *path = g_getenv ("PANDASYNC_STALL_LOG");
  FILE *out;

  if (path == NULL || *path == '\0' || stall_log != NULL)
    return;
  out = fopen (path, "a");
  if (out == NULL)
    {
      g_warning ("PANDASYNC_STALL_LOG: cannot open %s", path);
      return;
    }
  stall_log = g_new0 (StallLog, 1);
  stall_log->out = out;
  stall_log->started = stall_log->last = g_get_monotonic_time ();
  fprintf (out, "start tick %d ms\n", TICK_MS);
  fflush (out);
  stall_log->source = g_timeout_add_full (G_PRIORITY_HIGH, TICK_MS, on_tick_cb, stall_log, NULL);
  g_source_set_name_by_id (stall_log->source, "[pandasync] stall log");
}

void
ps_stall_log_stop (void)
{
  if (stall_log == NULL)
    return;
  g_source_remove (stall_log->source);
  fprintf (stall_log->out, "end %.3f\nrss-peak %" G_GUINT64_FORMAT "\n",
           (g_get_monotonic_time () - stall_log->started) / 1e6, peak_rss_kb ());
  fclose (stall_log->out);
  g_clear_pointer (&stall_log, g_free);
}
