/* stress-workers.c — the pages' edits against every worker, for ThreadSanitizer
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The main thread plays the GUI: every few milliseconds it edits the live
 * profile as the pages do (adds, edits and removes mappings and their
 * fields, rewrites the connection fields, the schedule, saves), while the
 * workers run on the same profile: syncs (dry and real) through the engine,
 * scheduled runs through PsScheduler, connection tests, the leavers report,
 * the History queries and CSV export, choice lists and scope counts through
 * ps-gui-backend.c. Every worker restarts as soon as it finishes, until the
 * time is up.
 *
 * It asserts that every kind of work completed, and that real runs reached
 * Asset Panda; the data races are ThreadSanitizer's to report
 * (tests/stress/run-tsan.sh).
 *
 * Environment (tests/stress/run-tsan.sh sets it): PS_STRESS_LDAP_URI,
 * PS_STRESS_LDAP_BASE, PS_STRESS_LDAP_BIND_DN, PS_STRESS_LDAP_PASSWORD,
 * PS_STRESS_EMULATOR_URL, PS_STRESS_SECONDS (default 60).
 */

#include <glib/gstdio.h>

#include "ps-engine.h"
#include "ps-gui-backend.h"
#include "ps-scheduler.h"
#include "ps-state.h"
#include "ps-test.h"

#define EDIT_INTERVAL_MS  3
#define CHECK_INTERVAL_MS 150

typedef enum {
  WORK_RUN,
  WORK_SCHEDULED,
  WORK_TEST,
  WORK_LEAVERS,
  WORK_HISTORY,
  WORK_LIST,
  WORK_COUNT,
  N_WORK
} WorkKind;

static const char *const work_names[N_WORK] = {
  "sync runs", "scheduled runs", "connection tests", "leavers reports",
  "History rounds", "choice lists", "scope counts",
};

typedef struct {
  PsProfile    *profile;
  PsScheduler  *scheduler;
  GCancellable *cancellable;
  gint64        deadline;
  gboolean      stopping;
  gboolean      busy[N_WORK];
  guint         done[N_WORK];
  guint         failed[N_WORK];
  guint         edits;
  guint         extra_serial;
  guint         real_runs_ok;
  gboolean      run_dry;
  guint         events;
  guint         clock_hours;
  char         *export_path;
  char         *url;
  char         *ldap_uri;
  char         *base_dn;
  char         *bind_dn;
  char         *bind_password;
} Stress;

static void start_work (Stress *s, WorkKind kind);

static const char *
env_or_die (const char *name)
{
  const char *value = g_getenv (name);

  if (value == NULL || *value == '\0')
    g_error ("%s is not set: run tests/stress/run-tsan.sh", name);
  return value;
}

static void
finish_work (Stress        *s,
             WorkKind       kind,
             const GError  *error)
{
  s->busy[kind] = FALSE;
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      s->failed[kind]++;
      g_printerr ("%s: %s\n", work_names[kind], error->message);
    }
  else if (error == NULL)
    s->done[kind]++;
  if (!s->stopping)
    start_work (s, kind);
}

/* ---------------------------------------------------------------- edits */

static PsMapping *
new_collection_mapping (const char *name)
{
  PsMapping *m = ps_mapping_new (PS_MAPPING_COLLECTION, name);

  m->account = g_strdup ("21040");
  m->collection = g_strdup ("82677");
  m->group = g_strdup ("All Staff");
  m->group_name = g_strdup ("All Staff");
  m->status_field = g_strdup ("Integration Status AD");
  ps_mapping_add_field (m, "field_1", "givenName", PS_OWNERSHIP_OVERWRITE);
  ps_mapping_add_field (m, "field_2", "sn", PS_OWNERSHIP_OVERWRITE);
  ps_mapping_add_field (m, "field_3", "mail", PS_OWNERSHIP_NEVER_BLANK);
  return m;
}

static void
replace (char       **slot,
         const char  *value)
{
  g_free (*slot);
  *slot = g_strdup (value);
}

static PsMapping *
some_mapping (Stress *s)
{
  GPtrArray *mappings = ps_profile_get_mappings (s->profile);

  if (mappings->len == 0)
    return NULL;
  return g_ptr_array_index (mappings, g_random_int_range (0, mappings->len));
}

/* One edit as a page makes it: the struct, then ps_profile_changed(). */
static gboolean
on_edit_cb (gpointer user_data)
{
  Stress *s = user_data;
  PsTargetConfig *t = ps_profile_get_target (s->profile);
  PsDirectoryConfig *d = ps_profile_get_directory (s->profile);
  PsSchedule *schedule = ps_profile_get_schedule (s->profile);
  GPtrArray *mappings = ps_profile_get_mappings (s->profile);
  PsMapping *m;
  g_autoptr(GError) error = NULL;

  if (s->stopping)
    return G_SOURCE_REMOVE;
  switch (s->edits % 9)
    {
    case 0:   /* add a mapping */
      if (mappings->len < 4)
        {
          g_autofree char *name = g_strdup_printf ("Extra %u", ++s->extra_serial);
          ps_profile_add_mapping (s->profile, new_collection_mapping (name));
        }
      break;
    case 1:   /* remove one (never the last) */
      if (mappings->len > 1)
        {
          g_autofree char *name =
            g_strdup (((PsMapping *) g_ptr_array_index (mappings, mappings->len - 1))->name);
          ps_profile_remove_mapping (s->profile, name);
        }
      break;
    case 2:   /* edit a mapping's scope and names */
      if ((m = some_mapping (s)) != NULL)
        {
          replace (&m->group_name, s->edits % 2 ? "All Staff" : "Everyone");
          replace (&m->filter, s->edits % 4 == 2 ? "(objectClass=person)" : NULL);
          replace (&m->status_field, "Integration Status AD");
        }
      break;
    case 3:   /* add and remove field rows */
      if ((m = some_mapping (s)) != NULL && m->kind == PS_MAPPING_COLLECTION)
        {
          if (m->fields->len > 3)
            g_ptr_array_remove_index (m->fields, m->fields->len - 1);
          else
            ps_mapping_add_field (m, "field_4", "title", PS_OWNERSHIP_FILL_EMPTY);
        }
      break;
    case 4:   /* the Connection page: Asset Panda's fields */
      replace (&t->url, s->url);
      replace (&t->client_id, "ps-demo-client");
      replace (&t->email, "admin@example.com");
      t->concurrency = 2 + s->edits % 3;
      break;
    case 5:   /* the Connection page: the directory's fields */
      g_strfreev (d->uris);
      d->uris = g_strsplit (s->ldap_uri, ";", -1);
      replace (&d->base_dn, s->base_dn);
      replace (&d->bind_dn, s->bind_dn);
      d->page_size = 500 + s->edits % 500;
      break;
    case 6:   /* Automation Sync */
      schedule->every_hours = 1 + s->edits % 5;
      g_clear_pointer (&schedule->start, g_date_time_unref);
      schedule->start = g_date_time_new_local (2024, 1, 1, 0, 0, 0);
      break;
    case 7:   /* a mapping paused and resumed */
      if ((m = some_mapping (s)) != NULL && mappings->len > 1)
        m->enabled = !m->enabled;
      break;
    case 8:
    default:
      if (!ps_profile_save (s->profile, &error))
        g_error ("cannot save the profile: %s", error->message);
      break;
    }
  ps_profile_changed (s->profile);
  s->edits++;
  return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------- workers */

static void
on_event_cb (const PsSyncEvent *event,
             gpointer           user_data)
{
  Stress *s = user_data;

  s->events++;
}

static void
on_run_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Stress *s = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsSyncResult) run = ps_engine_run_finish (PS_ENGINE (source), result, &error);

  if (run != NULL && !s->run_dry && run->status == PS_RUN_SUCCEEDED)
    s->real_runs_ok++;
  /* The scheduler's run holding the lock is not a failure here. */
  if (g_error_matches (error, PS_ENGINE_ERROR, PS_ENGINE_ERROR_BUSY))
    g_clear_error (&error);
  finish_work (s, WORK_RUN, error);
}

static void
start_run (Stress *s)
{
  g_autoptr(PsEngine) engine = ps_engine_new (s->profile);
  PsSyncOptions options = { 0 };

  options.dry_run = s->run_dry = s->done[WORK_RUN] % 2 == 0;
  options.full = s->done[WORK_RUN] % 3 == 0;
  options.trigger = (char *) "manual";
  ps_engine_set_event_func (engine, on_event_cb, s, NULL);
  ps_engine_run_async (engine, &options, s->cancellable, on_run_done_cb, s);
}

static void
on_scheduler_finished_cb (PsScheduler  *scheduler,
                          PsSyncResult *result,
                          const GError *error,
                          gpointer      user_data)
{
  Stress *s = user_data;

  finish_work (s, WORK_SCHEDULED, NULL);
}

/* Two hours later at every look: a slot is always due. */
static GDateTime *
stress_clock (gpointer user_data)
{
  Stress *s = user_data;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  return g_date_time_add_hours (now, 2 * ++s->clock_hours);
}

static gboolean
on_check_cb (gpointer user_data)
{
  Stress *s = user_data;

  if (s->stopping)
    return G_SOURCE_REMOVE;
  if (!s->busy[WORK_SCHEDULED])
    {
      PsSchedulerCheck check = ps_scheduler_check_now (s->scheduler);

      if (check == PS_SCHEDULER_CHECK_STARTED)
        s->busy[WORK_SCHEDULED] = TRUE;
    }
  return G_SOURCE_CONTINUE;
}

static void
on_tests_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Stress *s = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) steps = ps_gui_backend_test_connections_finish (result, &error);

  if (steps != NULL)
    for (guint i = 0; i < steps->len && error == NULL; i++)
      {
        PsGuiStepResult *step = g_ptr_array_index (steps, i);

        /* The saved settings work: a failed step is a broken copy. */
        if (step->step->status == PS_STEP_FAILED)
          error = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "the step %s failed: %s",
                               step->step->id, step->step->message);
      }
  finish_work (s, WORK_TEST, error);
}

static void
on_leavers_done_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Stress *s = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = ps_gui_backend_leavers_finish (result, &error);

  finish_work (s, WORK_LEAVERS, error);
}

/* History: the runs, then the newest one's actions, log and CSV, as the
 * History page asks them one after the other. */
typedef struct {
  Stress *s;
  gint64  run_id;
  guint   step;
} HistoryRound;

static void history_next (HistoryRound *round, GAsyncResult *result);

static void
on_history_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  history_next (user_data, result);
}

static void
history_next (HistoryRound *round,
              GAsyncResult *result)
{
  Stress *s = round->s;
  g_autoptr(GError) error = NULL;

  switch (round->step++)
    {
    case 0:
      ps_gui_backend_list_runs_async (s->profile, 50, s->cancellable, on_history_cb, round);
      return;
    case 1:
      {
        g_autoptr(GPtrArray) runs = ps_gui_backend_list_runs_finish (result, &error);

        if (runs == NULL || runs->len == 0)
          break;
        round->run_id = ((PsRunInfo *) g_ptr_array_index (runs, 0))->id;
        ps_gui_backend_run_actions_async (s->profile, round->run_id, 200, s->cancellable,
                                          on_history_cb, round);
        return;
      }
    case 2:
      {
        guint total = 0;
        g_autoptr(GPtrArray) actions = ps_gui_backend_run_actions_finish (result, &total, &error);

        if (actions == NULL)
          break;
        ps_gui_backend_run_log_async (s->profile, round->run_id, s->cancellable, on_history_cb, round);
        return;
      }
    case 3:
      {
        g_autoptr(GPtrArray) lines = ps_gui_backend_run_log_finish (result, &error);

        if (lines == NULL)
          break;
        ps_gui_backend_export_run_async (s->profile, round->run_id, s->export_path, s->cancellable,
                                         on_history_cb, round);
        return;
      }
    case 4:
      {
        guint rows = 0;

        if (!ps_gui_backend_export_run_finish (result, &rows, &error))
          break;
        ps_gui_backend_latest_run_async (s->profile, s->cancellable, on_history_cb, round);
        return;
      }
    case 5:
      {
        g_autoptr(PsGuiLatestRun) latest = ps_gui_backend_latest_run_finish (result, &error);

        if (latest == NULL)
          break;
        ps_gui_backend_applied_mappings_async (s->profile, s->cancellable, on_history_cb, round);
        return;
      }
    case 6:
      {
        g_autoptr(GHashTable) applied = ps_gui_backend_applied_mappings_finish (result, &error);

        if (applied == NULL)
          break;
        ps_gui_backend_count_links_async (s->profile, "Employees", s->cancellable, on_history_cb, round);
        return;
      }
    case 7:
    default:
      {
        guint links = 0;

        ps_gui_backend_count_links_finish (result, &links, &error);
        break;
      }
    }
  g_free (round);
  finish_work (s, WORK_HISTORY, error);
}

static void
on_list_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Stress *s = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) choices = ps_gui_backend_list_finish (result, &error);

  finish_work (s, WORK_LIST, error);
}

static void
on_count_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Stress *s = user_data;
  g_autoptr(GError) error = NULL;
  PsGuiScopeCount count = { 0 };

  ps_gui_backend_count_scope_finish (result, &count, &error);
  finish_work (s, WORK_COUNT, error);
}

static void
start_work (Stress   *s,
            WorkKind  kind)
{
  static const PsGuiListKind lists[] = {
    PS_GUI_LIST_COLLECTIONS, PS_GUI_LIST_FIELDS, PS_GUI_LIST_ROLES, PS_GUI_LIST_GROUPS,
  };

  if (s->stopping || g_get_monotonic_time () >= s->deadline || s->busy[kind])
    return;
  s->busy[kind] = TRUE;
  switch (kind)
    {
    case WORK_RUN:
      start_run (s);
      break;
    case WORK_SCHEDULED:
      s->busy[kind] = FALSE;   /* on_check_cb starts these */
      break;
    case WORK_TEST:
      {
        g_autoptr(PsGuiSecrets) secrets = ps_gui_secrets_new ("ps-demo-secret", "Panda-Admin-1",
                                                              s->bind_password, NULL, NULL);

        ps_gui_backend_test_connections_async (s->profile, secrets, s->cancellable,
                                               on_tests_done_cb, s);
        break;
      }
    case WORK_LEAVERS:
      ps_gui_backend_leavers_async (s->profile, s->cancellable, on_leavers_done_cb, s);
      break;
    case WORK_HISTORY:
      {
        HistoryRound *round = g_new0 (HistoryRound, 1);

        round->s = s;
        history_next (round, NULL);
        break;
      }
    case WORK_LIST:
      {
        PsGuiListKind list = lists[s->done[kind] % G_N_ELEMENTS (lists)];

        ps_gui_backend_list_async (s->profile, list, "21040", NULL,
                                   list == PS_GUI_LIST_GROUPS ? "staff" : "82677",
                                   s->cancellable, on_list_done_cb, s);
        break;
      }
    case WORK_COUNT:
      {
        /* The page's own form: a copy, as the pages pass it. */
        g_autoptr(PsMapping) form = new_collection_mapping ("Form");

        ps_gui_backend_count_scope_async (s->profile, form, s->cancellable, on_count_done_cb, s);
        break;
      }
    case N_WORK:
    default:
      g_assert_not_reached ();
    }
}

static gboolean
on_deadline_cb (gpointer user_data)
{
  Stress *s = user_data;

  s->stopping = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
all_idle (Stress *s)
{
  for (guint k = 0; k < N_WORK; k++)
    if (s->busy[k])
      return FALSE;
  return !ps_scheduler_get_running (s->scheduler);
}

/* ---------------------------------------------------------------- main */

static PsProfile *
make_profile (Stress *s)
{
  g_autofree char *creds = g_build_filename (g_get_user_config_dir (), "stress-credentials.ini", NULL);
  g_autofree char *creds_text = g_strdup_printf ("[Credentials]\nApiClientSecret=ps-demo-secret\n"
                                                 "ApiPassword=Panda-Admin-1\nBindPassword=%s\n",
                                                 s->bind_password);
  g_autoptr(GError) error = NULL;
  PsProfile *profile = ps_profile_new ("stress");
  PsTargetConfig *t = ps_profile_get_target (profile);
  PsDirectoryConfig *d = ps_profile_get_directory (profile);
  PsSchedule *schedule = ps_profile_get_schedule (profile);

  g_mkdir_with_parents (g_get_user_config_dir (), 0700);
  if (!g_file_set_contents_full (creds, creds_text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_error ("%s", error->message);
  ps_profile_set_credentials_file (profile, creds);
  replace (&t->url, s->url);
  t->dialect = PS_DIALECT_CLASSIC;
  replace (&t->client_id, "ps-demo-client");
  replace (&t->email, "admin@example.com");
  t->rate_calls = 100000;
  t->rate_window = 1;
  g_strfreev (d->uris);
  d->uris = g_strsplit (s->ldap_uri, ";", -1);
  d->tls_mode = PS_TLS_MODE_NONE;
  d->allow_plaintext_bind = TRUE;
  replace (&d->bind_dn, s->bind_dn);
  replace (&d->base_dn, s->base_dn);
  schedule->enabled = TRUE;
  schedule->interval = PS_INTERVAL_HOURS;
  schedule->every_hours = 1;
  schedule->start = g_date_time_new_local (2024, 1, 1, 0, 0, 0);
  ps_profile_add_mapping (profile, new_collection_mapping ("Employees"));
  if (!ps_profile_save (profile, &error))
    g_error ("cannot save the profile: %s", error->message);
  return profile;
}

static void
test_workers (void)
{
  Stress s = { 0 };
  const char *seconds = g_getenv ("PS_STRESS_SECONDS");
  guint total_failed = 0;

  s.url = g_strdup (env_or_die ("PS_STRESS_EMULATOR_URL"));
  s.ldap_uri = g_strdup (env_or_die ("PS_STRESS_LDAP_URI"));
  s.base_dn = g_strdup (env_or_die ("PS_STRESS_LDAP_BASE"));
  s.bind_dn = g_strdup (env_or_die ("PS_STRESS_LDAP_BIND_DN"));
  s.bind_password = g_strdup (env_or_die ("PS_STRESS_LDAP_PASSWORD"));
  s.export_path = g_build_filename (g_get_user_cache_dir (), "stress-export.csv", NULL);
  g_mkdir_with_parents (g_get_user_cache_dir (), 0700);

  s.profile = make_profile (&s);
  s.cancellable = g_cancellable_new ();
  s.deadline = g_get_monotonic_time ()
               + (gint64) (seconds != NULL ? g_ascii_strtoull (seconds, NULL, 10) : 60) * G_USEC_PER_SEC;

  s.scheduler = ps_scheduler_new (s.profile, "schedule");
  ps_scheduler_set_clock (s.scheduler, stress_clock, &s, NULL);
  ps_scheduler_set_jitter (s.scheduler, 0);
  ps_scheduler_set_busy_retry (s.scheduler, 1);
  ps_scheduler_set_event_func (s.scheduler, on_event_cb, &s, NULL);
  g_signal_connect (s.scheduler, "run-finished", G_CALLBACK (on_scheduler_finished_cb), &s);

  g_timeout_add (EDIT_INTERVAL_MS, on_edit_cb, &s);
  g_timeout_add (CHECK_INTERVAL_MS, on_check_cb, &s);
  g_timeout_add ((guint) ((s.deadline - g_get_monotonic_time ()) / 1000), on_deadline_cb, &s);
  for (guint k = 0; k < N_WORK; k++)
    start_work (&s, k);

  while (!s.stopping)
    g_main_context_iteration (NULL, TRUE);
  /* Time is up: cancel what runs and wait for every worker to report back. */
  g_cancellable_cancel (s.cancellable);
  ps_scheduler_cancel (s.scheduler);
  while (!all_idle (&s))
    g_main_context_iteration (NULL, TRUE);
  ps_scheduler_stop (s.scheduler);

  g_test_message ("%u edits of the live profile; %u engine events", s.edits, s.events);
  for (guint k = 0; k < N_WORK; k++)
    {
      g_test_message ("%-18s %5u done, %u failed", work_names[k], s.done[k], s.failed[k]);
      total_failed += s.failed[k];
    }
  g_test_message ("real runs that succeeded: %u", s.real_runs_ok);
  for (guint k = 0; k < N_WORK; k++)
    if (s.done[k] == 0)
      g_error ("no %s completed", work_names[k]);
  g_assert_cmpuint (s.real_runs_ok, >, 0);
  g_assert_cmpuint (total_failed, ==, 0);

  g_clear_object (&s.scheduler);
  g_clear_object (&s.profile);
  g_clear_object (&s.cancellable);
  g_free (s.url);
  g_free (s.ldap_uri);
  g_free (s.base_dn);
  g_free (s.bind_dn);
  g_free (s.bind_password);
  g_free (s.export_path);
}

int
main (int    argc,
      char **argv)
{
  ps_test_init (&argc, &argv);
  g_test_add_func ("/stress/workers", test_workers);
  return g_test_run ();
}
