/* test-service-page.c — Automation Sync says whether scheduled syncs will run
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The running app on a scheduled profile, its Automation Sync page on
 * screen, in each state the page tells: only while the window is open (no
 * tray host, the service not installed, the service failed), from the tray
 * (status-notifier-watcher as the tray host, as in test-tray.c), from the
 * background service (installed with the page's button), and off. Install
 * and Remove go through the real installer (ps-service-install.c) to a FAKE
 * systemd user manager and logind, tests/engine/ps-mock-systemd, on the
 * test's private bus; the fake runs the unit's ExecStart for real, so the
 * build's `pandasync-cli service` runs and the app defers to it.
 *
 * One case, in order: the steps share one app, one fake systemd and one
 * home folder, as a user's session does. With PS_TEST_LANGUAGE=de (the
 * gui-service-de test) the same page in German instead: its words, its
 * mnemonics and its width.
 */

#include <locale.h>
#include <signal.h>
#include <sys/prctl.h>
#include <glib/gi18n.h>

#include "gui-test-util.h"
#include "pages/ps-schedule-page.h"
#include "ps-application.h"
#include "ps-state.h"

static PsApplication *app;
static gboolean have_locale;

/* ---------------------------------------------------------------- helpers */

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static GPid
spawn (const char *const *argv)
{
  g_autoptr(GError) error = NULL;
  GPid pid = 0;

  if (!g_spawn_async (NULL, (char **) argv, NULL,
                      G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_DO_NOT_REAP_CHILD,
                      die_with_parent, NULL, &pid, &error))
    g_error ("cannot start %s: %s", argv[0], error->message);
  return pid;
}

static void
stop (GPid pid)
{
  kill (pid, SIGTERM);
  g_spawn_close_pid (pid);
}

static gboolean
name_owned (gpointer name)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", (const char *) name),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, 2000, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

/* A set-up profile with a schedule (tomorrow: nothing runs during the test)
 * and one run of the service in its history. */
static void
write_scheduled_profile (void)
{
  g_autoptr(PsProfile) profile = ps_profile_new ("default");
  PsTargetConfig *t = ps_profile_get_target (profile);
  PsDirectoryConfig *d = ps_profile_get_directory (profile);
  PsSchedule *s = ps_profile_get_schedule (profile);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) yesterday = g_date_time_add_days (now, -1);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(PsState) state = NULL;
  PsMapping *m;
  gint64 run;

  t->client_id = g_strdup ("ps-demo-client");
  t->email = g_strdup ("admin@example.com");
  g_strfreev (d->uris);
  d->uris = g_strsplit ("ldaps://dc1.example.com", " ", -1);
  d->bind_dn = g_strdup ("svc@example.com");
  d->base_dn = g_strdup ("DC=example,DC=com");
  s->enabled = TRUE;
  s->start = g_date_time_new_local (g_date_time_get_year (yesterday), g_date_time_get_month (yesterday),
                                    g_date_time_get_day_of_month (yesterday), 2, 0, 0);
  s->interval = PS_INTERVAL_DAILY;
  m = ps_mapping_new (PS_MAPPING_USERS, "Staff");
  m->account = g_strdup ("21040");
  m->role = g_strdup ("30135");
  m->group = g_strdup ("All Staff");
  ps_profile_add_mapping (profile, m);
  ps_profile_save (profile, &error);
  g_assert_no_error (error);

  /* Today's 02:00 slot ran: nothing is due until tomorrow. */
  path = ps_profile_dup_state_path (profile);
  dir = g_path_get_dirname (path);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  state = ps_state_open (path, &error);
  g_assert_no_error (error);
  run = ps_state_begin_run (state, "service", FALSE, &error);
  g_assert_no_error (error);
  ps_state_finish_run (state, run, PS_RUN_SUCCEEDED, &error);
  g_assert_no_error (error);
}

static PsSchedulePage *
schedule_page (void)
{
  PsWindow *window = ps_application_get_window (app);

  return PS_SCHEDULE_PAGE (ps_window_get_page (window, "schedule"));
}

typedef struct {
  PsSchedulePage *page;
  PsScheduleRuns  runs;
} Want;

static gboolean
page_says (gpointer data)
{
  Want *want = data;

  if (ps_schedule_page_get_service_busy (want->page))
    return FALSE;
  if (ps_schedule_page_get_runs (want->page) != want->runs)
    {
      ps_schedule_page_refresh_service (want->page);
      gui_test_settle (100);
      return FALSE;
    }
  return TRUE;
}

static void
wait_for_verdict (PsScheduleRuns runs,
                  const char     *expect_in_text)
{
  PsSchedulePage *page = schedule_page ();
  Want want = { page, runs };
  g_autofree char *text = NULL;

  ps_schedule_page_refresh_service (page);
  if (!gui_test_wait (page_says, &want, 15000))
    g_error ("the page says %d (“%s”: %s), not %d", ps_schedule_page_get_runs (page),
             ps_schedule_page_get_verdict (page), ps_schedule_page_get_verdict_detail (page), runs);
  text = g_strdup_printf ("%s %s", ps_schedule_page_get_verdict (page),
                          ps_schedule_page_get_verdict_detail (page));
  g_test_message ("Automation Sync: %s", text);
  if (expect_in_text != NULL && strstr (text, expect_in_text) == NULL)
    g_error ("“%s” is not in “%s”", expect_in_text, text);
}

static GtkButton *
button (const char *name)
{
  return gui_test_child (schedule_page (), PS_TYPE_SCHEDULE_PAGE, name);
}

static gboolean
service_idle (gpointer page)
{
  return !ps_schedule_page_get_service_busy (PS_SCHEDULE_PAGE (page));
}

static void
click (const char *name)
{
  GtkButton *b = button (name);

  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (b)));
  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (b)));
  gtk_button_clicked (b);
  g_assert_true (ps_schedule_page_get_service_busy (schedule_page ()));
  g_assert_true (gui_test_wait (service_idle, schedule_page (), 30000));
}

static const char *
service_label (void)
{
  GtkLabel *label = gui_test_child (schedule_page (), PS_TYPE_SCHEDULE_PAGE, "service_label");

  return gtk_label_get_text (label);
}

static gboolean
app_defers (gpointer data)
{
  ps_application_refresh_tray (app);
  return ps_application_get_runs_schedule (app) == GPOINTER_TO_INT (data);
}

static gboolean
tray_registered (gpointer tray)
{
  return ps_tray_get_available (PS_TRAY (tray)) && ps_tray_get_registered (PS_TRAY (tray));
}

static void
fail_unit (const char *unit,
           int         status)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                       "io.github.pandasync.MockSystemd", "FailUnit",
                                       g_variant_new ("(si)", unit, status), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
}

static void
screenshot (const char *name)
{
  gui_test_settle (300);
  g_free (gui_test_screenshot (GTK_WIDGET (ps_application_get_window (app)), name));
}

/* ---------------------------------------------------------------- the test */

/* The fake systemd and logind, a scheduled profile, and the app on its
 * Automation Sync page. Returns the fake's process. */
static GPid
start_session (void)
{
  const char *mock = g_getenv ("PS_MOCK_SYSTEMD");
  const char *mock_argv[] = { mock, "--systemd", "--login1", NULL };
  g_autoptr(GError) error = NULL;
  PsWindow *window;
  GPid mock_pid;

  g_test_message ("!!! systemd and logind are FAKE here (tests/engine/ps-mock-systemd); "
                  "tests/engine/test-service-install.sh runs the installer against a real one");
  g_assert_nonnull (mock);
  /* logind is the fake too, on the same private bus: never the machine's. */
  g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", g_getenv ("DBUS_SESSION_BUS_ADDRESS"), TRUE);
  write_scheduled_profile ();
  mock_pid = spawn (mock_argv);
  g_assert_true (gui_test_wait (name_owned, (gpointer) "org.freedesktop.systemd1", 10000));

  app = ps_application_new ();
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));
  window = ps_application_get_window (app);
  g_assert_nonnull (window);
  g_assert_false (ps_window_get_wizard (window));
  gtk_window_resize (GTK_WINDOW (window), 1100, 700);
  g_assert_true (ps_window_show_page (window, "schedule"));
  gui_test_settle (200);
  return mock_pid;
}

static void
test_service_states (void)
{
  const char *watcher_argv[] = { "status-notifier-watcher", NULL };
  g_autofree char *unit_file = g_build_filename (g_get_user_config_dir (), "systemd", "user",
                                                 "pandasync@default.service", NULL);
  g_autoptr(GError) error = NULL;
  const PsServiceStatus *service;
  PsSchedule *schedule;
  PsWindow *window;
  GPid mock_pid, watcher_pid;

  mock_pid = start_session ();
  window = ps_application_get_window (app);

  /* 1. Neither: no tray host, no service. The app runs the schedule only
   *    while its window is open. */
  wait_for_verdict (PS_SCHEDULE_RUNS_WINDOW_ONLY, "not installed");
  g_assert_nonnull (strstr (ps_schedule_page_get_verdict_detail (schedule_page ()), "tray"));
  g_assert_true (ps_application_get_runs_schedule (app));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (button ("install_button"))));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (button ("remove_button"))));
  g_assert_nonnull (strstr (service_label (), "Not installed"));
  screenshot ("schedule-window-only");

  /* 2. Install: the unit is written (a build tree has no template of its
   *    own), enabled and started; linger goes on. The app defers to it. */
  click ("install_button");
  wait_for_verdict (PS_SCHEDULE_RUNS_SERVICE, "background service runs them");
  service = ps_schedule_page_get_service (schedule_page ());
  g_assert_cmpint (service->state, ==, PS_SERVICE_ACTIVE);
  g_assert_true (service->by_pandasync);
  g_assert_cmpint (service->linger, ==, PS_LINGER_ON);
  g_assert_true (service->linger_by_pandasync);
  g_assert_true (g_file_test (unit_file, G_FILE_TEST_IS_REGULAR));
  g_assert_nonnull (strstr (ps_schedule_page_get_verdict_detail (schedule_page ()),
                            "whether or not anyone is logged in"));
  g_assert_nonnull (strstr (service_label (), "Active (running)"));
  /* The fake runs the real `pandasync-cli service`, which takes the
   * profile's service lock: the app stops its own scheduler. */
  g_assert_true (gui_test_wait (app_defers, GINT_TO_POINTER (FALSE), 15000));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (button ("install_button"))));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (button ("remove_button"))));
  {
    GtkLabel *last = gui_test_child (schedule_page (), PS_TYPE_SCHEDULE_PAGE, "last_run_label");

    g_test_message ("Last sync: %s", gtk_label_get_text (last));
    g_assert_nonnull (strstr (gtk_label_get_text (last), "succeeded, by the background service"));
  }
  screenshot ("schedule-service");

  /* 3. The service fails: the page says so, with the exit status, and the
   *    app runs the schedule again while its window is open. */
  fail_unit ("pandasync@default.service", 1);
  wait_for_verdict (PS_SCHEDULE_RUNS_WINDOW_ONLY, "failed");
  g_assert_nonnull (strstr (service_label (), "Failed: it exited with status 1"));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (button ("install_button"))));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (button ("remove_button"))));
  gui_test_check_mnemonics (GTK_WIDGET (window), GTK_WIDGET (schedule_page ()));
  g_assert_true (gui_test_wait (app_defers, GINT_TO_POINTER (TRUE), 15000));
  screenshot ("schedule-service-failed");

  /* 4. Remove: the unit file, its enabling and linger go; nothing else. */
  click ("remove_button");
  wait_for_verdict (PS_SCHEDULE_RUNS_WINDOW_ONLY, "not installed");
  service = ps_schedule_page_get_service (schedule_page ());
  g_assert_cmpint (service->state, ==, PS_SERVICE_NOT_INSTALLED);
  g_assert_false (service->by_pandasync);
  g_assert_cmpint (service->linger, ==, PS_LINGER_OFF);
  g_assert_false (g_file_test (unit_file, G_FILE_TEST_EXISTS));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (button ("remove_button"))));

  /* 5. A tray host appears: the app keeps the schedule from the tray. */
  if (HAVE_APPINDICATOR)
    {
      watcher_pid = spawn (watcher_argv);
      g_assert_true (gui_test_wait (tray_registered, ps_application_get_tray (app), 10000));
      wait_for_verdict (PS_SCHEDULE_RUNS_TRAY, "system tray");
      screenshot ("schedule-tray");

      /* 6. With a tray host, an installed service still takes over. */
      click ("install_button");
      wait_for_verdict (PS_SCHEDULE_RUNS_SERVICE, "background service runs them");
      g_assert_true (gui_test_wait (app_defers, GINT_TO_POINTER (FALSE), 15000));
      click ("remove_button");
      wait_for_verdict (PS_SCHEDULE_RUNS_TRAY, "system tray");
      g_assert_true (gui_test_wait (app_defers, GINT_TO_POINTER (TRUE), 15000));
      stop (watcher_pid);
    }
  else
    g_test_message ("built without the tray (-Dtray=disabled): the tray state was NOT checked");

  /* 7. Automatic sync off: nothing will run, and Install waits for a schedule. */
  schedule = ps_profile_get_schedule (ps_application_get_profile (app));
  schedule->enabled = FALSE;
  ps_profile_changed (ps_application_get_profile (app));
  ps_profile_save (ps_application_get_profile (app), &error);
  g_assert_no_error (error);
  wait_for_verdict (PS_SCHEDULE_RUNS_OFF, "automatic sync is off");
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (button ("install_button"))));

  stop (mock_pid);
}

/* The same page in German: the verdicts, the service's line, the buttons'
 * mnemonics, and a width that fits a 1280-pixel screen. */
static void
test_service_in_german (void)
{
  PsWindow *window;
  GtkLabel *last;
  int min_width = 0;
  GPid mock_pid;

  if (!have_locale)
    {
      g_test_skip ("the de_DE.UTF-8 locale cannot be built here (localedef and the locales data)");
      return;
    }
  g_assert_cmpstr (_("Background service"), ==, "Hintergrunddienst");
  mock_pid = start_session ();
  window = ps_application_get_window (app);

  wait_for_verdict (PS_SCHEDULE_RUNS_WINDOW_ONLY, "nicht eingerichtet");
  g_assert_cmpstr (ps_schedule_page_get_verdict (schedule_page ()), ==,
                   "Geplante Abgleiche laufen nur, solange dieses Fenster offen ist");
  g_assert_cmpstr (gtk_button_get_label (button ("install_button")), ==, "_Hintergrunddienst einrichten");
  g_assert_cmpstr (service_label (), ==, "Nicht eingerichtet");

  click ("install_button");
  wait_for_verdict (PS_SCHEDULE_RUNS_SERVICE, "Der Hintergrunddienst führt sie aus");
  g_assert_cmpstr (service_label (), ==, "Aktiv (läuft)");
  last = gui_test_child (schedule_page (), PS_TYPE_SCHEDULE_PAGE, "last_run_label");
  g_test_message ("Letzter Abgleich: %s", gtk_label_get_text (last));
  g_assert_nonnull (strstr (gtk_label_get_text (last), "erfolgreich, vom Hintergrunddienst"));
  screenshot ("schedule-service-de");

  fail_unit ("pandasync@default.service", 1);
  wait_for_verdict (PS_SCHEDULE_RUNS_WINDOW_ONLY, "fehlgeschlagen");
  g_assert_nonnull (strstr (service_label (), "Fehlgeschlagen: er hat sich mit Status 1 beendet"));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (button ("remove_button"))));
  gui_test_check_mnemonics (GTK_WIDGET (window), GTK_WIDGET (schedule_page ()));
  gtk_widget_get_preferred_width (GTK_WIDGET (window), &min_width, NULL);
  g_test_message ("the window needs %d pixels", min_width);
  g_assert_cmpint (min_width, <=, 1200);
  screenshot ("schedule-service-failed-de");

  click ("remove_button");
  wait_for_verdict (PS_SCHEDULE_RUNS_WINDOW_ONLY, "nicht eingerichtet");
  stop (mock_pid);
}

/* As test-i18n.c: a de_DE.UTF-8 locale built into a private folder. */
static gboolean
make_german_locale (void)
{
  g_autofree char *dir = g_dir_make_tmp ("pandasync-locale-XXXXXX", NULL);
  g_autofree char *target = NULL;
  const char *argv[] = { "localedef", "-i", "de_DE", "-f", "UTF-8", NULL, NULL };
  int status = 0;

  if (dir == NULL)
    return FALSE;
  target = g_build_filename (dir, "de_DE.UTF-8", NULL);
  argv[5] = target;
  if (!g_spawn_sync (NULL, (char **) argv, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, &status, NULL)
      || !g_file_test (target, G_FILE_TEST_IS_DIR))
    return FALSE;
  g_setenv ("LOCPATH", dir, TRUE);
  return TRUE;
}

int
main (int    argc,
      char **argv)
{
  gboolean german = g_strcmp0 (g_getenv ("PS_TEST_LANGUAGE"), "de") == 0;
  int result;

  if (german)
    {
      have_locale = make_german_locale ();
      g_setenv ("LANGUAGE", "de", TRUE);
      g_setenv ("LC_ALL", "de_DE.UTF-8", TRUE);
    }
  gui_test_init (&argc, &argv);
  if (german)
    {
      g_autofree char *catalogue = g_build_filename (g_getenv ("PANDASYNC_BUILD_ROOT"), "po", NULL);

      if (setlocale (LC_ALL, "") == NULL)
        have_locale = FALSE;
      bindtextdomain (GETTEXT_PACKAGE, catalogue);
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      textdomain (GETTEXT_PACKAGE);
      g_test_add_func ("/gui/service/german", test_service_in_german);
    }
  else
    g_test_add_func ("/gui/service/states", test_service_states);
  result = g_test_run ();
  if (app != NULL)
    {
      if (ps_application_get_window (app) != NULL)
        gtk_widget_destroy (GTK_WIDGET (ps_application_get_window (app)));
      g_clear_object (&app);
    }
  return result;
}
