/* test-target-keepalive.c — kept-alive connections across a long pause
 * between requests, and cancelling a request in flight
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A sync reads the identity source first and only then asks Asset Panda:
 * the client's connections then sit unused for as long as the read takes,
 * while nothing iterates the HTTP session's main context.
 */

#include "ps-test.h"
#include "ps-emu.h"

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

static guint
list_users (PsTarget     *target,
            GCancellable *cancellable,
            GError      **error)
{
  g_autoptr(GPtrArray) users = ps_target_list_users_sync (target, EMU_CLASSIC_ACCOUNT, NULL,
                                                          cancellable, error);

  return users != NULL ? users->len : 0;
}

static gpointer
cancel_after (gpointer data)
{
  GCancellable *cancellable = data;
  const char *delay = g_object_get_data (G_OBJECT (cancellable), "delay-ms");

  g_usleep ((gulong) g_ascii_strtoull (delay, NULL, 10) * 1000);
  g_cancellable_cancel (cancellable);
  return NULL;
}

/* A watchdog for a call that must not hang: cancels @cancellable after
 * @ms; a working client then fails with G_IO_ERROR_CANCELLED at once. */
static GThread *
watchdog (GCancellable *cancellable,
          guint         ms)
{
  g_object_set_data_full (G_OBJECT (cancellable), "delay-ms", g_strdup_printf ("%u", ms), g_free);
  return g_thread_new ("watchdog", cancel_after, cancellable);
}

/* The report: after a source read of over a minute (libsoup's idle timer
 * was 60 s) the first request hung until the session gave up on the host,
 * 300 s later, and cancelling did not end it. */
static void
test_long_pause (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start (NULL, NULL);
  g_autoptr(PsTarget) target = ps_emu_classic (emu, 4, 1000, 1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  GThread *dog;
  gint64 start;
  guint n;

  g_assert_cmpuint (list_users (target, NULL, &error), >, 0);
  g_assert_no_error (error);
  g_test_message ("pausing 62 s as a long directory read does");
  g_usleep (62 * G_USEC_PER_SEC);

  dog = watchdog (cancellable, 15000);
  start = g_get_monotonic_time ();
  n = list_users (target, cancellable, &error);
  g_test_message ("first request after the pause: %.2f s", seconds_since (start));
  g_assert_no_error (error);
  g_assert_cmpuint (n, >, 0);
  g_assert_cmpfloat (seconds_since (start), <, 5.0);
  g_cancellable_cancel (cancellable);
  g_thread_join (dog);
}

/* Connections idle for the idle timeout are closed, not reused; shorter
 * pauses keep them. */
static void
test_idle_timeout (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start (NULL, NULL);
  g_autoptr(PsTarget) target = ps_emu_classic (emu, 1, 1000, 1);
  g_autoptr(GError) error = NULL;
  gint64 before, start;

  ps_target_set_idle_timeout (target, 1);
  g_assert_cmpuint (list_users (target, NULL, &error), >, 0);
  g_assert_no_error (error);

  before = ps_emu_stat (emu, "connections");
  g_usleep (G_USEC_PER_SEC / 5);
  g_assert_cmpuint (list_users (target, NULL, &error), >, 0);
  g_assert_no_error (error);
  g_assert_cmpint (ps_emu_stat (emu, "connections"), ==, before);   /* reused */

  g_usleep (2 * G_USEC_PER_SEC);
  start = g_get_monotonic_time ();
  g_assert_cmpuint (list_users (target, NULL, &error), >, 0);
  g_assert_no_error (error);
  g_assert_cmpfloat (seconds_since (start), <, 5.0);
  g_assert_cmpint (ps_emu_stat (emu, "connections"), ==, before + 1);   /* a fresh one */
}

/* Cancelling (SIGTERM and Cancel do) ends a request the server sits on. */
static void
test_cancel_in_flight (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start (NULL, NULL);
  g_autoptr(PsTarget) target = ps_emu_classic (emu, 4, 1000, 1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  GThread *dog;
  gint64 start;

  g_assert_cmpuint (list_users (target, NULL, &error), >, 0);
  g_assert_no_error (error);
  ps_emu_faults (emu, "{\"slow_rate\": 1, \"slow_ms\": 30000}");
  dog = watchdog (cancellable, 500);
  start = g_get_monotonic_time ();
  g_assert_cmpuint (list_users (target, cancellable, &error), ==, 0);
  g_test_message ("cancelled after %.2f s", seconds_since (start));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpfloat (seconds_since (start), <, 3.0);
  g_thread_join (dog);
}

int
main (int    argc,
      char **argv)
{
  ps_test_init (&argc, &argv);
  g_test_add_func ("/target/keepalive/idle-timeout", test_idle_timeout);
  g_test_add_func ("/target/keepalive/cancel-in-flight", test_cancel_in_flight);
  g_test_add_func ("/target/keepalive/long-pause", test_long_pause);
  return g_test_run ();
}
