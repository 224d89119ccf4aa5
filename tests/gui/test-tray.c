/* test-tray.c — closing the window with and without a tray host
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Without a StatusNotifier watcher on the (private) session bus, closing the
 * window of a scheduled profile keeps it open and explains why. With
 * status-notifier-watcher running, the icon registers and closing the window
 * hides it: the app stays in the tray.
 */

#include <signal.h>
#include <sys/prctl.h>

#include "gui-test-util.h"
#include "ps-application.h"
#include "ps-state.h"

static GPid watcher_pid;
static PsApplication *app;   /* one app for both tests, as a user's session */

/* ---------------------------------------------------------------- helpers */

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* A set-up profile with a schedule, as the app finds it at start. */
static void
write_scheduled_profile (void)
{
  g_autoptr(PsProfile) profile = ps_profile_new ("default");
  PsTargetConfig *t = ps_profile_get_target (profile);
  PsDirectoryConfig *d = ps_profile_get_directory (profile);
  PsSchedule *s = ps_profile_get_schedule (profile);
  g_autoptr(GError) error = NULL;

  t->client_id = g_strdup ("ps-demo-client");
  t->email = g_strdup ("admin@example.com");
  g_strfreev (d->uris);
  d->uris = g_strsplit ("ldaps://dc1.example.com", " ", -1);
  d->bind_dn = g_strdup ("svc@example.com");
  d->base_dn = g_strdup ("DC=example,DC=com");
  s->enabled = TRUE;
  {
    /* Tomorrow: the app's scheduler must not start a real sync in this test. */
    g_autoptr(GDateTime) now = g_date_time_new_now_local ();
    s->start = g_date_time_add_days (now, 1);
  }
  s->interval = PS_INTERVAL_DAILY;
  {
    /* A finished wizard ends with a mapping. */
    PsMapping *m = ps_mapping_new (PS_MAPPING_USERS, "Staff");

    m->account = g_strdup ("21040");
    m->role = g_strdup ("30135");
    m->group = g_strdup ("All Staff");
    ps_profile_add_mapping (profile, m);
  }
  ps_profile_save (profile, &error);
  g_assert_no_error (error);
}

static void
start_app (void)
{
  g_autoptr(GError) error = NULL;

  app = ps_application_new ();
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));
  g_assert_nonnull (ps_application_get_window (app));
  gui_test_settle (200);
}

static gboolean
tray_registered (gpointer tray)
{
  return ps_tray_get_available (PS_TRAY (tray)) && ps_tray_get_registered (PS_TRAY (tray));
}

static gboolean
tray_in_error (gpointer tray)
{
  return ps_tray_get_state (PS_TRAY (tray)) == PS_TRAY_STATE_ERROR;
}

static gboolean
tray_idle (gpointer tray)
{
  return ps_tray_get_state (PS_TRAY (tray)) == PS_TRAY_STATE_IDLE;
}

static gboolean
window_hidden (gpointer window)
{
  return !gtk_widget_get_visible (GTK_WIDGET (window));
}

static gboolean
notice_shown (gpointer window)
{
  return ps_window_get_notice (PS_WINDOW (window)) != NULL;
}

static gboolean
watcher_owned (gpointer data)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", "org.kde.StatusNotifierWatcher"),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, 2000, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

static GStrv
registered_items (void)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_sync (bus, "org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher",
                                       "org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)", "org.kde.StatusNotifierWatcher",
                                                      "RegisteredStatusNotifierItems"),
                                       G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  return g_variant_dup_strv (value, NULL);
}

/* ---------------------------------------------------------------- tests */

static void
test_no_tray_host_keeps_window (void)
{
  PsWindow *window;

  write_scheduled_profile ();
  start_app ();
  window = ps_application_get_window (app);
  g_assert_false (ps_window_get_wizard (window));
  g_assert_false (ps_tray_get_available (ps_application_get_tray (app)));
  g_assert_false (ps_application_keeps_running_in_tray (app));
  g_assert_null (ps_window_get_notice (window));

  gtk_window_close (GTK_WINDOW (window));
  g_assert_true (gui_test_wait (notice_shown, window, 5000));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_nonnull (strstr (ps_window_get_notice (window), "tray"));
  g_free (gui_test_screenshot (GTK_WIDGET (window), "window-no-tray-host"));
  ps_window_set_notice (window, NULL);
}

static void
test_tray_host_keeps_app_in_tray (void)
{
  const char *argv[] = { "status-notifier-watcher", NULL };
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) items = NULL;
  PsWindow *window;
  PsTray *tray;

  if (!HAVE_APPINDICATOR)
    {
      g_test_skip ("built without the tray (-Dtray=disabled)");
      return;
    }
  if (!g_spawn_async (NULL, (char **) argv, NULL,
                      G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_DO_NOT_REAP_CHILD,
                      die_with_parent, NULL, &watcher_pid, &error))
    {
      g_test_skip_printf ("status-notifier-watcher cannot run: %s", error->message);
      return;
    }
  g_assert_true (gui_test_wait (watcher_owned, NULL, 10000));

  /* The running app notices the new tray host and registers its icon. */
  g_assert_nonnull (app);
  window = ps_application_get_window (app);
  tray = ps_application_get_tray (app);
  g_assert_true (gui_test_wait (tray_registered, tray, 10000));
  g_assert_true (ps_application_keeps_running_in_tray (app));
  items = registered_items ();
  g_assert_cmpuint (g_strv_length (items), ==, 1);
  g_test_message ("registered item: %s", items[0]);

  /* The tray follows the profile's run history: a paused run is an error
   * until a later run succeeds; previews do not count. */
  {
    g_autofree char *path = ps_profile_dup_state_path (ps_application_get_profile (app));
    g_autofree char *dir = g_path_get_dirname (path);
    g_autoptr(PsState) state = NULL;
    gint64 run;

    g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
    state = ps_state_open (path, &error);
    g_assert_no_error (error);
    run = ps_state_begin_run (state, "schedule", FALSE, &error);
    g_assert_no_error (error);
    ps_state_finish_run (state, run, PS_RUN_PAUSED, &error);
    g_assert_no_error (error);
    ps_application_refresh_tray (app);
    g_assert_true (gui_test_wait (tray_in_error, tray, 5000));
    g_test_message ("tray: %s", ps_tray_get_status_text (tray));
    g_assert_nonnull (strstr (ps_tray_get_status_text (tray), "paused"));

    run = ps_state_begin_run (state, "manual", TRUE, &error);
    g_assert_no_error (error);
    ps_state_finish_run (state, run, PS_RUN_SUCCEEDED, &error);
    ps_application_refresh_tray (app);
    gui_test_settle (500);
    g_assert_cmpint (ps_tray_get_state (tray), ==, PS_TRAY_STATE_ERROR);

    run = ps_state_begin_run (state, "manual", FALSE, &error);
    g_assert_no_error (error);
    ps_state_finish_run (state, run, PS_RUN_SUCCEEDED, &error);
    ps_application_refresh_tray (app);
    g_assert_true (gui_test_wait (tray_idle, tray, 5000));
  }

  gtk_window_close (GTK_WINDOW (window));
  g_assert_true (gui_test_wait (window_hidden, window, 5000));
  /* Hidden, not gone: the tray's Open brings it back. */
  g_assert_true (ps_application_get_window (app) == window);
  g_assert_null (ps_window_get_notice (window));
  g_action_group_activate_action (G_ACTION_GROUP (app), "open", NULL);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));

  kill (watcher_pid, SIGTERM);
  g_spawn_close_pid (watcher_pid);
}

int
main (int    argc,
      char **argv)
{
  int result;

  gui_test_init (&argc, &argv);

  /* Order matters: the watcher, once started, stays for the rest. */
  g_test_add_func ("/gui/tray/no-host-keeps-window", test_no_tray_host_keeps_window);
  g_test_add_func ("/gui/tray/host-keeps-app-in-tray", test_tray_host_keeps_app_in_tray);
  result = g_test_run ();
  if (app != NULL)
    {
      if (ps_application_get_window (app) != NULL)
        gtk_widget_destroy (GTK_WIDGET (ps_application_get_window (app)));
      g_clear_object (&app);
    }
  return result;
}
