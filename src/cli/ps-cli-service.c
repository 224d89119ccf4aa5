/* ps-cli-service.c — pandasync-cli service [--once] [--all] | service install|remove|status
 *
 * The background service: the schedulers of one profile (or of every
 * profile, --all) in a main loop, with no display and no D-Bus needed (without a Secret Service the secrets come
 * from the profile's CredentialsFile). Made for a systemd unit
 * (data/pandasync@.service): it logs to stderr, with syslog priority
 * prefixes and without timestamps when journald collects the output.
 *
 * `install` and `remove` set the unit up for a profile and take it away
 * again, as the app's Automation Sync page does (ps-service-install.c).
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <stdio.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "ps-cli.h"
#include "ps-engine.h"
#include "ps-scheduler.h"
#include "ps-service-install.h"
#include "ps-state.h"

/* `service --once` when the run was skipped because another sync holds the
 * lock: EX_TEMPFAIL, "try again later". */
#define PS_CLI_EXIT_BUSY 75

typedef struct _Daemon Daemon;

/* One profile's scheduler and what watches it. */
typedef struct {
  Daemon       *daemon;
  PsScheduler  *scheduler;
  GFileMonitor *monitor;
  GSource      *reload;        /* debounce of profile file changes */
  int           lock;          /* the service lock, or -1 */
  PsSchedulerCheck check;      /* --once: what the check did */
  gboolean      finished;      /* --once: its run is over */
  PsRunStatus   status;        /* --once: how it ended */
} Service;

struct _Daemon {
  PsCliContext *ctx;
  GPtrArray    *services;      /* of Service* */
  GMainLoop    *loop;          /* NULL with --once */
  gboolean      journal;       /* stderr goes to journald */
  gboolean      quitting;      /* a signal asked to stop: wait for the runs */
  gboolean      abandon;       /* a second signal: stop waiting */
  guint         signals_seen;
};

/* ---------------------------------------------------------------- helpers */

static gboolean
stderr_is_journal (void)
{
  /* systemd sets INVOCATION_ID for every unit, and JOURNAL_STREAM when
   * stderr is connected to the journal. */
  return g_getenv ("JOURNAL_STREAM") != NULL || g_getenv ("INVOCATION_ID") != NULL;
}

static int
syslog_priority (PsLogLevel level)
{
  switch (level)
    {
    case PS_LOG_ERROR:
      return 3;
    case PS_LOG_WARNING:
      return 4;
    case PS_LOG_INFO:
      return 6;
    case PS_LOG_DEBUG:
    default:
      return 7;
    }
}

/* One line per message: "<6>acme: text" for journald (which takes the
 * priority from the prefix and adds its own time), otherwise
 * "2026-01-05 02:00:00 [info] acme: text". */
static void
daemon_log (Daemon     *daemon,
            PsLogLevel  level,
            const char *where,
            const char *message)
{
  if (level == PS_LOG_DEBUG && !daemon->ctx->verbose)
    return;
  if (daemon->journal)
    g_printerr ("<%d>%s: %s\n", syslog_priority (level), where, message);
  else
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();
      g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%d %H:%M:%S");

      g_printerr ("%s [%s] %s: %s\n", stamp, ps_log_level_to_string (level), where, message);
    }
}

static void
service_log (Service    *svc,
             PsLogLevel  level,
             const char *mapping,
             const char *message)
{
  const char *name = ps_profile_get_name (ps_scheduler_get_profile (svc->scheduler));
  g_autofree char *where = mapping != NULL ? g_strdup_printf ("%s/%s", name, mapping)
                                           : g_strdup (name);

  daemon_log (svc->daemon, level, where, message);
}

static void
service_logf (Service    *svc,
              PsLogLevel  level,
              const char *format,
              ...) G_GNUC_PRINTF (3, 4);

static void
service_logf (Service    *svc,
              PsLogLevel  level,
              const char *format,
              ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  service_log (svc, level, NULL, message);
}

static char *
format_time (GDateTime *when)
{
  g_autoptr(GDateTime) local = NULL;

  if (when == NULL)
    return g_strdup (_("never"));
  local = g_date_time_to_local (when);
  return g_date_time_format (local, "%Y-%m-%d %H:%M:%S %Z");
}

static gboolean
schedule_is_enabled (PsProfile *profile)
{
  PsSchedule *schedule = ps_profile_get_schedule (profile);

  return schedule->enabled && schedule->start != NULL;
}

static void
log_next_run (Service *svc)
{
  GDateTime *next = ps_scheduler_get_next_run (svc->scheduler);
  g_autoptr(GDateTime) now = ps_scheduler_get_now (svc->scheduler);
  g_autofree char *text = format_time (next);

  if (next == NULL)
    service_log (svc, PS_LOG_WARNING, NULL,
                 _("The profile has no enabled schedule: nothing will run until it gets one "
                   "(send SIGHUP, or change the profile, to reload it)"));
  else if (g_date_time_compare (next, now) <= 0)
    service_logf (svc, PS_LOG_INFO, _("A run is due now (slot %s)"), text);
  else
    service_logf (svc, PS_LOG_INFO, _("Next run: %s"), text);
}

static gboolean
any_running (Daemon *daemon)
{
  for (guint i = 0; i < daemon->services->len; i++)
    {
      Service *svc = g_ptr_array_index (daemon->services, i);

      if (ps_scheduler_get_running (svc->scheduler))
        return TRUE;
    }
  return FALSE;
}

/* ---------------------------------------------------------------- callbacks */

static void
on_event_cb (const PsSyncEvent *event,
             gpointer           user_data)
{
  Service *svc = user_data;

  switch (event->kind)
    {
    case PS_SYNC_EVENT_LOG:
      service_log (svc, event->level, event->mapping, event->message);
      break;
    case PS_SYNC_EVENT_PROGRESS:
      if (event->total > 0 && (event->done == event->total || event->done % 500 == 0))
        {
          /* Translators: progress of a mapping's writes, e.g. "1500/3200 written" */
          g_autofree char *text = g_strdup_printf (_("%u/%u written"), event->done, event->total);
          service_log (svc, PS_LOG_INFO, event->mapping, text);
        }
      break;
    case PS_SYNC_EVENT_MAPPING:
    default:
      break;
    }
}

static void
on_run_started_cb (PsScheduler *scheduler,
                   Service     *svc)
{
  service_log (svc, PS_LOG_INFO, NULL, _("Scheduled run started"));
}

static void
on_run_finished_cb (PsScheduler  *scheduler,
                    PsSyncResult *result,
                    const GError *error,
                    Service      *svc)
{
  Daemon *daemon = svc->daemon;

  svc->finished = TRUE;
  if (result != NULL)
    {
      PsLogLevel level = result->status == PS_RUN_SUCCEEDED ? PS_LOG_INFO : PS_LOG_WARNING;
      g_autofree char *run = g_strdup_printf ("%" G_GINT64_FORMAT, result->run_id);
      guint created = 0, updated = 0, deactivated = 0, failed = 0;

      svc->status = result->status;
      for (guint i = 0; result->mappings != NULL && i < result->mappings->len; i++)
        {
          PsMappingResult *r = g_ptr_array_index (result->mappings, i);

          created += r->created;
          updated += r->updated;
          deactivated += r->deactivated;
          failed += r->failed;
        }
      /* Translators: "Run 12 succeeded: 3 created, …"; the status word is not translated */
      service_logf (svc, level, _("Run %s %s: %u created, %u updated, %u deactivated, %u failed"),
                    run, ps_run_status_to_string (result->status), created, updated,
                    deactivated, failed);
    }
  else
    {
      svc->status = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                    ? PS_RUN_CANCELLED : PS_RUN_FAILED;
      /* The scheduler has logged skips and cancellations itself. */
      if (svc->status != PS_RUN_CANCELLED
          && !g_error_matches (error, PS_ENGINE_ERROR, PS_ENGINE_ERROR_BUSY))
        service_logf (svc, PS_LOG_ERROR, _("The run did not complete: %s"),
                      error != NULL ? error->message : "?");
    }
  if (daemon->quitting && daemon->loop != NULL && !any_running (daemon))
    g_main_loop_quit (daemon->loop);
}

static void
on_failing_changed_cb (PsScheduler *scheduler,
                       GParamSpec  *pspec,
                       Service     *svc)
{
  if (!ps_scheduler_get_failing (scheduler))
    service_log (svc, PS_LOG_INFO, NULL, _("A run succeeded again: back to the normal schedule"));
}

static gboolean
on_terminate_cb (gpointer user_data)
{
  Daemon *daemon = user_data;

  daemon->signals_seen++;
  if (daemon->signals_seen > 1 || !any_running (daemon))
    {
      daemon->abandon = TRUE;
      if (daemon->loop != NULL)
        g_main_loop_quit (daemon->loop);
      return G_SOURCE_CONTINUE;
    }
  daemon->quitting = TRUE;
  for (guint i = 0; i < daemon->services->len; i++)
    {
      Service *svc = g_ptr_array_index (daemon->services, i);

      ps_scheduler_stop (svc->scheduler);
      if (ps_scheduler_get_running (svc->scheduler))
        {
          service_log (svc, PS_LOG_INFO, NULL,
                       _("Stopping: cancelling the run in progress after its current step…"));
          ps_scheduler_cancel (svc->scheduler);
        }
    }
  return G_SOURCE_CONTINUE;
}

static void
reload_profile (Service *svc)
{
  PsProfile *current = ps_scheduler_get_profile (svc->scheduler);
  const char *path = ps_profile_get_path (current);
  g_autoptr(PsProfile) profile = NULL;
  g_autoptr(GError) error = NULL;

  if (path == NULL)
    return;
  profile = ps_profile_load_file (path, &error);
  if (profile == NULL)
    {
      service_logf (svc, PS_LOG_ERROR, _("Cannot reload the profile; keeping the old one: %s"),
                    error->message);
      return;
    }
  ps_scheduler_set_profile (svc->scheduler, profile);
  service_log (svc, PS_LOG_INFO, NULL, _("Profile reloaded"));
  log_next_run (svc);
}

static gboolean
on_hangup_cb (gpointer user_data)
{
  Daemon *daemon = user_data;

  for (guint i = 0; i < daemon->services->len; i++)
    reload_profile (g_ptr_array_index (daemon->services, i));
  return G_SOURCE_CONTINUE;
}

static gboolean
on_reload_timeout_cb (gpointer user_data)
{
  Service *svc = user_data;

  g_clear_pointer (&svc->reload, g_source_unref);
  reload_profile (svc);
  return G_SOURCE_REMOVE;
}

/* The app saved the profile (an edit of the schedule, a mapping): reload
 * once the writes have settled. */
static void
on_profile_file_changed_cb (GFileMonitor      *monitor,
                            GFile             *file,
                            GFile             *other,
                            GFileMonitorEvent  event,
                            Service           *svc)
{
  if (event == G_FILE_MONITOR_EVENT_DELETED || event == G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED)
    return;
  if (svc->reload != NULL)
    {
      g_source_destroy (svc->reload);
      g_clear_pointer (&svc->reload, g_source_unref);
    }
  svc->reload = g_timeout_source_new_seconds (1);
  g_source_set_callback (svc->reload, on_reload_timeout_cb, svc, NULL);
  g_source_attach (svc->reload, NULL);
}

/* ---------------------------------------------------------------- services */

static Service *
service_new (Daemon    *daemon,
             PsProfile *profile,
             int        busy_retry,
             int        jitter)
{
  Service *svc = g_new0 (Service, 1);

  svc->daemon = daemon;
  svc->lock = -1;
  svc->status = PS_RUN_RUNNING;
  svc->scheduler = ps_scheduler_new (profile, "service");
  if (busy_retry > 0)
    ps_scheduler_set_busy_retry (svc->scheduler, busy_retry);
  if (jitter > 0)
    ps_scheduler_set_jitter (svc->scheduler, jitter);
  ps_scheduler_set_event_func (svc->scheduler, on_event_cb, svc, NULL);
  g_signal_connect (svc->scheduler, "run-started", G_CALLBACK (on_run_started_cb), svc);
  g_signal_connect (svc->scheduler, "run-finished", G_CALLBACK (on_run_finished_cb), svc);
  g_signal_connect (svc->scheduler, "notify::failing", G_CALLBACK (on_failing_changed_cb), svc);
  return svc;
}

static void
service_free (Service *svc)
{
  if (svc->reload != NULL)
    {
      g_source_destroy (svc->reload);
      g_clear_pointer (&svc->reload, g_source_unref);
    }
  if (svc->monitor != NULL)
    g_signal_handlers_disconnect_by_data (svc->monitor, svc);
  g_clear_object (&svc->monitor);
  ps_scheduler_stop (svc->scheduler);
  g_signal_handlers_disconnect_by_data (svc->scheduler, svc);
  ps_scheduler_set_event_func (svc->scheduler, NULL, NULL, NULL);
  g_clear_object (&svc->scheduler);
  if (svc->lock >= 0)
    close (svc->lock);
  g_free (svc);
}

/* Takes the service lock and watches the profile file. */
static gboolean
service_claim (Service  *svc,
               GError  **error)
{
  PsProfile *profile = ps_scheduler_get_profile (svc->scheduler);

  svc->lock = ps_scheduler_claim_service (profile, error);
  if (svc->lock < 0)
    return FALSE;
  if (ps_profile_get_path (profile) != NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_path (ps_profile_get_path (profile));

      svc->monitor = g_file_monitor_file (file, G_FILE_MONITOR_NONE, NULL, NULL);
      if (svc->monitor != NULL)
        g_signal_connect (svc->monitor, "changed", G_CALLBACK (on_profile_file_changed_cb), svc);
    }
  return TRUE;
}

/* --all: every profile with an enabled schedule; the others are named. */
static GPtrArray *
load_all_profiles (Daemon  *daemon,
                   GError **error)
{
  g_autoptr(GPtrArray) names = ps_profile_list_names (error);
  g_autoptr(GPtrArray) profiles = g_ptr_array_new_with_free_func (g_object_unref);

  if (names == NULL)
    return NULL;
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autoptr(GError) local = NULL;
      g_autoptr(PsProfile) profile = ps_profile_load (name, &local);

      if (profile == NULL)
        daemon_log (daemon, PS_LOG_ERROR, name, local->message);
      else if (!schedule_is_enabled (profile))
        daemon_log (daemon, PS_LOG_INFO, name, _("No enabled schedule: not watched"));
      else
        g_ptr_array_add (profiles, g_steal_pointer (&profile));
    }
  if (profiles->len == 0)
    {
      g_set_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_NOT_FOUND,
                   _("No profile has an enabled schedule, so the service has nothing to do. "
                     "Set one on the Automation Sync page, or in a profile’s [Schedule] group "
                     "(Enabled=true, StartTime=…, Interval=…)."));
      return NULL;
    }
  return g_steal_pointer (&profiles);
}

/* ---------------------------------------------------------------- status */

static void
add_time (JsonBuilder *b,
          const char  *name,
          GDateTime   *when)
{
  json_builder_set_member_name (b, name);
  if (when != NULL)
    {
      g_autofree char *iso = g_date_time_format_iso8601 (when);
      json_builder_add_string_value (b, iso);
    }
  else
    json_builder_add_null_value (b);
}

static const char *
linger_to_string (PsLinger linger)
{
  switch (linger)
    {
    case PS_LINGER_ON:
      return "on";
    case PS_LINGER_OFF:
      return "off";
    case PS_LINGER_UNKNOWN:
    default:
      return "unknown";
    }
}

/* The "systemd" member of status, install and remove: what systemd says
 * about the profile's unit and what PandaSync installed. */
static void
add_service_status (JsonBuilder           *b,
                    const PsServiceStatus *status)
{
  g_autofree char *description = ps_service_status_describe (status);

  json_builder_set_member_name (b, "systemd");
  json_builder_begin_object (b);
  ps_cli_json_string (b, "unit", status->unit);
  ps_cli_json_string (b, "state", ps_service_state_to_string (status->state));
  ps_cli_json_string (b, "description", description);
  ps_cli_json_string (b, "active_state", status->active_state);
  ps_cli_json_string (b, "sub_state", status->sub_state);
  ps_cli_json_string (b, "unit_file_state", status->unit_file_state);
  ps_cli_json_string (b, "unit_file", status->fragment_path);
  ps_cli_json_string (b, "result", status->result);
  ps_cli_json_int (b, "exit_status", status->exit_status);
  ps_cli_json_string (b, "unavailable", status->unavailable);
  ps_cli_json_bool (b, "installed_by_pandasync", status->by_pandasync);
  ps_cli_json_string (b, "written_unit", status->written_unit);
  ps_cli_json_string (b, "linger", linger_to_string (status->linger));
  ps_cli_json_bool (b, "linger_by_pandasync", status->linger_by_pandasync);
  ps_cli_json_bool (b, "runs_schedule", ps_service_status_runs_schedule (status));
  ps_cli_json_string (b, "note", status->note);
  json_builder_end_object (b);
}

static void
print_service_status (const PsServiceStatus *status)
{
  g_autofree char *description = ps_service_status_describe (status);

  g_print (_("Unit:             %s: %s\n"), status->unit, description);
  if (status->by_pandasync && status->written_unit != NULL)
    g_print (_("Installed by:     PandaSync (the unit file %s)\n"), status->written_unit);
  else if (status->by_pandasync)
    g_print (_("Installed by:     PandaSync (the installed template %s)\n"),
             status->fragment_path != NULL ? status->fragment_path : "pandasync@.service");
  else if (status->state != PS_SERVICE_NOT_INSTALLED && status->state != PS_SERVICE_UNAVAILABLE)
    g_print ("%s\n", _("Installed by:     hand (“service remove” leaves it alone)"));
  if (status->linger == PS_LINGER_ON)
    g_print ("%s\n", _("Linger:           on: the service runs with nobody logged in"));
  else if (status->linger == PS_LINGER_OFF)
    g_print ("%s\n", _("Linger:           off: the service runs only while you are logged in"));
  if (status->note != NULL)
    g_print ("\n%s\n", status->note);
}

/* The newest real run, and the trigger of a run still marked running. */
static PsRunInfo *
read_last_run (PsProfile  *profile,
               char      **running_trigger)
{
  g_autofree char *path = ps_profile_dup_state_path (profile);
  g_autoptr(PsState) state = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  PsRunInfo *last = NULL;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return NULL;
  state = ps_state_open (path, NULL);
  if (state != NULL)
    runs = ps_state_list_runs (state, 50, NULL);
  for (guint i = 0; runs != NULL && i < runs->len; i++)
    {
      PsRunInfo *info = g_ptr_array_index (runs, i);

      if (info->status == PS_RUN_RUNNING && *running_trigger == NULL)
        *running_trigger = g_strdup (info->trigger);
      if (!info->dry_run && last == NULL)
        last = g_ptr_array_steal_index (runs, i--);
      if (last != NULL && *running_trigger != NULL)
        break;
    }
  return last;
}

static int
service_status (PsCliContext *ctx,
                PsProfile    *profile)
{
  g_autoptr(PsScheduler) scheduler = ps_scheduler_new (profile, "service");
  g_autoptr(PsRunInfo) last = NULL;
  g_autofree char *holder = NULL;
  PsSchedule *schedule = ps_profile_get_schedule (profile);
  gboolean locked = ps_engine_is_locked (profile);
  gboolean service = ps_scheduler_service_is_active (profile);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(PsServiceStatus) systemd = ps_service_status_sync (profile, NULL, NULL);
  GDateTime *next;
  gboolean due;

  ps_scheduler_reschedule (scheduler);
  next = ps_scheduler_get_next_run (scheduler);
  due = next != NULL && g_date_time_compare (next, now) <= 0;
  last = read_last_run (profile, &holder);
  if (!locked)
    g_clear_pointer (&holder, g_free);   /* a stale "running" row of a killed run */

  if (ctx->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "profile");
      json_builder_add_string_value (b, ps_profile_get_name (profile));
      json_builder_set_member_name (b, "schedule");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "enabled");
      json_builder_add_boolean_value (b, schedule_is_enabled (profile));
      add_time (b, "start", schedule->start);
      json_builder_set_member_name (b, "interval");
      json_builder_add_string_value (b, ps_interval_to_string (schedule->interval));
      json_builder_set_member_name (b, "every_hours");
      json_builder_add_int_value (b, schedule->every_hours);
      json_builder_end_object (b);
      json_builder_set_member_name (b, "service_active");
      json_builder_add_boolean_value (b, service);
      json_builder_set_member_name (b, "locked");
      json_builder_add_boolean_value (b, locked);
      json_builder_set_member_name (b, "running_trigger");
      if (holder != NULL)
        json_builder_add_string_value (b, holder);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "last_run");
      if (last != NULL)
        {
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "run");
          json_builder_add_int_value (b, last->id);
          json_builder_set_member_name (b, "started_at");
          json_builder_add_int_value (b, last->started_at);
          json_builder_set_member_name (b, "finished_at");
          json_builder_add_int_value (b, last->finished_at);
          json_builder_set_member_name (b, "trigger");
          json_builder_add_string_value (b, last->trigger);
          json_builder_set_member_name (b, "status");
          json_builder_add_string_value (b, ps_run_status_to_string (last->status));
          json_builder_end_object (b);
        }
      else
        json_builder_add_null_value (b);
      add_time (b, "next_run", next);
      json_builder_set_member_name (b, "due");
      json_builder_add_boolean_value (b, due);
      json_builder_set_member_name (b, "failing");
      json_builder_add_boolean_value (b, ps_scheduler_get_failing (scheduler));
      json_builder_set_member_name (b, "failing_message");
      if (ps_scheduler_get_failing_message (scheduler) != NULL)
        json_builder_add_string_value (b, ps_scheduler_get_failing_message (scheduler));
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "consecutive_failures");
      json_builder_add_int_value (b, ps_scheduler_get_consecutive_failures (scheduler));
      if (systemd != NULL)
        add_service_status (b, systemd);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      ps_cli_print_json (root);
      return PS_CLI_EXIT_OK;
    }

  {
    g_autofree char *next_text = format_time (next);
    g_autoptr(GDateTime) last_time = last != NULL ? g_date_time_new_from_unix_local (last->started_at)
                                                  : NULL;
    g_autofree char *last_text = format_time (last_time);

    g_print (_("Profile:          %s\n"), ps_profile_get_name (profile));
    g_print (_("Service:          %s\n"), service ? _("running") : _("not running"));
    if (locked)
      g_print (_("Sync in progress: yes (started by %s)\n"), holder != NULL ? holder : _("unknown"));
    else
      g_print ("%s\n", _("Sync in progress: no"));
    if (last != NULL)
      g_print (_("Last run:         %s (%s, %s)\n"), last_text, last->trigger,
               ps_run_status_to_string (last->status));
    else
      g_print (_("Last run:         %s\n"), last_text);
    if (!schedule_is_enabled (profile))
      g_print ("%s\n", _("Next run:         no schedule"));
    else
      g_print (_("Next run:         %s%s\n"), next_text, due ? _(" (due now)") : "");
    if (systemd != NULL)
      print_service_status (systemd);
    if (ps_scheduler_get_failing (scheduler))
      g_print ("\n%s\n", ps_scheduler_get_failing_message (scheduler));
  }
  return PS_CLI_EXIT_OK;
}

/* ---------------------------------------------------------------- install, remove */

static void
print_last_run (const PsServiceStatus *status)
{
  g_autoptr(GDateTime) when = NULL;
  g_autofree char *text = NULL;

  if (status->last_run == NULL)
    {
      g_print (_("Last run:         %s\n"), _("never"));
      return;
    }
  when = g_date_time_new_from_unix_local (status->last_run->started_at);
  text = format_time (when);
  g_print (_("Last run:         %s (%s, %s)\n"), text, status->last_run->trigger,
           ps_run_status_to_string (status->last_run->status));
}

static int
print_install_result (PsCliContext          *ctx,
                      const PsServiceStatus *status,
                      gboolean               installed)
{
  if (ctx->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      ps_cli_json_string (b, "profile", status->profile);
      ps_cli_json_string (b, "action", installed ? "install" : "remove");
      add_service_status (b, status);
      json_builder_set_member_name (b, "last_run");
      if (status->last_run != NULL)
        {
          json_builder_begin_object (b);
          ps_cli_json_int (b, "run", status->last_run->id);
          ps_cli_json_int (b, "started_at", status->last_run->started_at);
          ps_cli_json_string (b, "trigger", status->last_run->trigger);
          ps_cli_json_string (b, "status", ps_run_status_to_string (status->last_run->status));
          json_builder_end_object (b);
        }
      else
        json_builder_add_null_value (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      ps_cli_print_json (root);
    }
  else
    {
      if (installed)
        g_print (_("Installed the background service %s for the profile “%s”.\n"),
                 status->unit, status->profile);
      else
        g_print (_("Removed the background service %s of the profile “%s”.\n"),
                 status->unit, status->profile);
      print_service_status (status);
      print_last_run (status);
    }
  /* Installed but not running is a failure worth a non-zero status. */
  if (installed && !ps_service_status_runs_schedule (status))
    return PS_CLI_EXIT_FAILURE;
  return PS_CLI_EXIT_OK;
}

static int
service_install (PsCliContext *ctx,
                 PsProfile    *profile)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsServiceStatus) status = ps_service_install_sync (profile, NULL, &error);

  if (status == NULL)
    return ps_cli_fail (ctx, error);
  return print_install_result (ctx, status, TRUE);
}

static int
service_remove (PsCliContext *ctx,
                PsProfile    *profile)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsServiceStatus) status = ps_service_remove_sync (profile, NULL, &error);

  if (status == NULL)
    return ps_cli_fail (ctx, error);
  return print_install_result (ctx, status, FALSE);
}

/* ---------------------------------------------------------------- run */

static int
run_once (Daemon *daemon)
{
  g_autoptr(JsonBuilder) b = daemon->ctx->json ? json_builder_new () : NULL;
  gboolean started = FALSE, busy = FALSE, failed = FALSE;
  guint sigint, sigterm;

  sigint = g_unix_signal_add (SIGINT, on_terminate_cb, daemon);
  sigterm = g_unix_signal_add (SIGTERM, on_terminate_cb, daemon);
  for (guint i = 0; i < daemon->services->len; i++)
    {
      Service *svc = g_ptr_array_index (daemon->services, i);
      g_autofree char *next = NULL;

      svc->check = ps_scheduler_check_now (svc->scheduler);
      switch (svc->check)
        {
        case PS_SCHEDULER_CHECK_STARTED:
          started = TRUE;
          break;
        case PS_SCHEDULER_CHECK_NOT_DUE:
          next = format_time (ps_scheduler_get_next_run (svc->scheduler));
          service_logf (svc, PS_LOG_INFO, _("Nothing is due; the next run is at %s"), next);
          break;
        case PS_SCHEDULER_CHECK_BUSY:   /* the scheduler has said why */
          busy = TRUE;
          break;
        case PS_SCHEDULER_CHECK_RUNNING:
        case PS_SCHEDULER_CHECK_DISABLED:
        default:
          break;
        }
    }
  while (started && any_running (daemon) && !daemon->abandon)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (sigint);
  g_source_remove (sigterm);

  if (b != NULL)
    json_builder_begin_array (b);
  for (guint i = 0; i < daemon->services->len; i++)
    {
      Service *svc = g_ptr_array_index (daemon->services, i);
      PsProfile *profile = ps_scheduler_get_profile (svc->scheduler);

      if (svc->check == PS_SCHEDULER_CHECK_STARTED && !svc->finished)
        svc->status = PS_RUN_CANCELLED;
      if (svc->check == PS_SCHEDULER_CHECK_STARTED && svc->status != PS_RUN_SUCCEEDED)
        failed = TRUE;
      if (b != NULL)
        {
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "profile");
          json_builder_add_string_value (b, ps_profile_get_name (profile));
          json_builder_set_member_name (b, "check");
          json_builder_add_string_value (b, ps_scheduler_check_to_string (svc->check));
          json_builder_set_member_name (b, "status");
          if (svc->check == PS_SCHEDULER_CHECK_STARTED)
            json_builder_add_string_value (b, ps_run_status_to_string (svc->status));
          else
            json_builder_add_null_value (b);
          json_builder_end_object (b);
        }
    }
  if (b != NULL)
    {
      g_autoptr(JsonNode) root = NULL;

      json_builder_end_array (b);
      root = json_builder_get_root (b);
      ps_cli_print_json (root);
    }
  if (failed)
    return PS_CLI_EXIT_FAILURE;
  return busy ? PS_CLI_EXIT_BUSY : PS_CLI_EXIT_OK;
}

static int
run_daemon (Daemon *daemon)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  guint sigint, sigterm, sighup;

  for (guint i = 0; i < daemon->services->len; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!service_claim (g_ptr_array_index (daemon->services, i), &error))
        return ps_cli_fail (daemon->ctx, error);
    }

  daemon->loop = loop;
  sigint = g_unix_signal_add (SIGINT, on_terminate_cb, daemon);
  sigterm = g_unix_signal_add (SIGTERM, on_terminate_cb, daemon);
  sighup = g_unix_signal_add (SIGHUP, on_hangup_cb, daemon);
  for (guint i = 0; i < daemon->services->len; i++)
    {
      Service *svc = g_ptr_array_index (daemon->services, i);

      service_logf (svc, PS_LOG_INFO, _("PandaSync %s background service started (process %d)"),
                    PACKAGE_VERSION, (int) getpid ());
      ps_scheduler_start (svc->scheduler);
      log_next_run (svc);
    }
  g_main_loop_run (loop);

  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_source_remove (sighup);
  daemon->loop = NULL;
  for (guint i = 0; i < daemon->services->len; i++)
    {
      Service *svc = g_ptr_array_index (daemon->services, i);

      ps_scheduler_stop (svc->scheduler);
      service_log (svc, PS_LOG_INFO, NULL, _("Background service stopped"));
    }
  return PS_CLI_EXIT_OK;
}

/* ---------------------------------------------------------------- command */

int
ps_cli_service (PsCliContext  *ctx,
                int            argc,
                char         **argv)
{
  gboolean once = FALSE, all = FALSE;
  int busy_retry = 0, jitter = 0;
  const GOptionEntry entries[] = {
    { "once", 0, 0, G_OPTION_ARG_NONE, &once,
      N_("Run the scheduled sync if it is due, then exit (for cron and tests)"), NULL },
    { "all", 'a', 0, G_OPTION_ARG_NONE, &all,
      N_("Every profile that has an enabled schedule, in one process"), NULL },
    { "jitter", 0, 0, G_OPTION_ARG_INT, &jitter,
      N_("Start each run up to SECONDS after its time (at most a quarter of the interval), "
         "so that many profiles do not call Asset Panda at once"), N_("SECONDS") },
    { "busy-retry", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &busy_retry, NULL, NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    ps_cli_option_context_new (ctx, _("[install|remove|status]"),
                               _("Run the profile’s schedule in the background, without a "
                                 "display (the systemd unit pandasync@.service runs this).\n\n"
                                 "“service install” sets up the systemd user unit of the profile, "
                                 "enables and starts it, and turns on linger so that it runs "
                                 "with nobody logged in; “service remove” undoes exactly that.\n\n"
                                 "“service status” shows whether a service runs the profile "
                                 "(and what systemd says of its unit), whether a sync holds its "
                                 "lock, the last run and the next.\n\n"
                                 "Exit status of --once: 0 when the run succeeded or nothing was "
                                 "due, 1 when it failed or paused, 75 when another sync held the "
                                 "lock and the run was skipped."), entries);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) profiles = NULL;
  g_autoptr(GPtrArray) services = g_ptr_array_new_with_free_func ((GDestroyNotify) service_free);
  Daemon daemon = { 0 };
  const char *action = NULL;   /* status, install, remove, or NULL: run */

  if (!ps_cli_parse (ctx, context, &argc, &argv))
    return PS_CLI_EXIT_USAGE;
  if (argc > 1 && (g_str_equal (argv[1], "status") || g_str_equal (argv[1], "install")
                   || g_str_equal (argv[1], "remove")))
    action = argv[1];
  else if (argc > 1)
    return ps_cli_usage (ctx, _("unexpected argument “%s”"), argv[1]);
  if (argc > 2)
    return ps_cli_usage (ctx, _("unexpected argument “%s”"), argv[2]);
  if (action != NULL && (once || jitter > 0))
    return ps_cli_usage (ctx, _("--once and --jitter do not go with “%s”"), action);
  if (all && (action != NULL || ctx->profile_name != NULL || ctx->profile_file != NULL))
    return ps_cli_usage (ctx, "%s", _("--all does not go with “status”, “install”, “remove”, "
                                      "--profile or --profile-file"));

  daemon.ctx = ctx;
  daemon.services = services;
  daemon.journal = stderr_is_journal ();
  if (all)
    {
      profiles = load_all_profiles (&daemon, &error);
      if (profiles == NULL)
        return ps_cli_fail (ctx, error);
    }
  else
    {
      g_autoptr(PsProfile) profile = ps_cli_load_profile (ctx, &error);

      if (profile == NULL)
        return ps_cli_fail (ctx, error);
      if (g_strcmp0 (action, "status") == 0)
        return service_status (ctx, profile);
      if (g_strcmp0 (action, "install") == 0)
        return service_install (ctx, profile);
      if (g_strcmp0 (action, "remove") == 0)
        return service_remove (ctx, profile);
      if (!schedule_is_enabled (profile))
        {
          g_set_error (&error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_INVALID,
                       _("The profile “%s” has no enabled schedule, so the service has nothing "
                         "to do. Set one on the Automation Sync page, or in the profile’s "
                         "[Schedule] group (Enabled=true, StartTime=…, Interval=…)."),
                       ps_profile_get_name (profile));
          return ps_cli_fail (ctx, error);
        }
      profiles = g_ptr_array_new_with_free_func (g_object_unref);
      g_ptr_array_add (profiles, g_steal_pointer (&profile));
    }

  for (guint i = 0; i < profiles->len; i++)
    g_ptr_array_add (services, service_new (&daemon, g_ptr_array_index (profiles, i), busy_retry,
                                                jitter));
  return once ? run_once (&daemon) : run_daemon (&daemon);
}
