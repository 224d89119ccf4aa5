/* test-scheduler.c — PsScheduler with an injected clock and a stub runner
 *
 * No servers: the runner is a stub that records each run and completes it
 * when the test says so. The busy-lock and restart cases use the real
 * state file and the real lock file of the profile.
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "ps-scheduler.h"
#include "ps-state.h"
#include "ps-test.h"

typedef struct {
  GDateTime   *now;          /* the injected clock */
  PsProfile   *profile;
  PsScheduler *scheduler;
  GPtrArray   *pending;      /* GTask* of runs not yet completed */
  GPtrArray   *triggers;     /* trigger of each run started */
  gboolean     hold;         /* keep runs pending until finish_run() */
  PsRunStatus  outcome;      /* what a completed run reports */
  gboolean     outcome_error;
  guint        started;
  guint        finished;
  guint        skipped;
  guint        next_changed;
  PsRunStatus  last_status;
} Fixture;

/* ---------------------------------------------------------------- helpers */

static GDateTime *
fake_clock (gpointer user_data)
{
  Fixture *f = user_data;

  return g_date_time_ref (f->now);
}

static void
set_now (Fixture   *f,
         GDateTime *now)
{
  g_clear_pointer (&f->now, g_date_time_unref);
  f->now = g_date_time_ref (now);
}

static void
advance (Fixture   *f,
         GTimeSpan  span)
{
  GDateTime *later = g_date_time_add (f->now, span);

  g_date_time_unref (f->now);
  f->now = later;
}

static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
complete (Fixture *f,
          GTask   *task)
{
  if (f->outcome_error)
    g_task_return_new_error (task, PS_ENGINE_ERROR, PS_ENGINE_ERROR_SOURCE,
                             "Cannot contact the directory (stub)");
  else
    {
      PsSyncResult *result = g_new0 (PsSyncResult, 1);

      result->run_id = f->started;
      result->status = f->outcome;
      result->mappings = g_ptr_array_new ();
      g_task_return_pointer (task, result, (GDestroyNotify) ps_sync_result_free);
    }
}

static void
stub_runner (PsScheduler         *scheduler,
             const PsSyncOptions *options,
             GCancellable        *cancellable,
             GTask               *task,
             gpointer             user_data)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->triggers, g_strdup (options->trigger));
  if (f->hold)
    g_ptr_array_add (f->pending, g_object_ref (task));
  else
    complete (f, task);
}

/* Completes the oldest pending run and lets its callback run. */
static void
finish_run (Fixture *f)
{
  g_autoptr(GTask) task = NULL;

  g_assert_cmpuint (f->pending->len, >, 0);
  task = g_ptr_array_steal_index (f->pending, 0);
  complete (f, task);
  drain ();
}

static void
on_run_started_cb (PsScheduler *scheduler,
                   Fixture     *f)
{
  f->started++;
}

static void
on_run_finished_cb (PsScheduler  *scheduler,
                    PsSyncResult *result,
                    const GError *error,
                    Fixture      *f)
{
  f->finished++;
  f->last_status = result != NULL ? result->status : PS_RUN_FAILED;
}

static void
on_run_skipped_cb (PsScheduler *scheduler,
                   const char  *reason,
                   Fixture     *f)
{
  g_assert_nonnull (reason);
  f->skipped++;
}

static void
on_next_run_changed_cb (PsScheduler *scheduler,
                        Fixture     *f)
{
  f->next_changed++;
}

static GDateTime *
local (int year, int month, int day, int hour, int minute)
{
  return g_date_time_new_local (year, month, day, hour, minute, 0);
}

static void
set_schedule (Fixture        *f,
              GDateTime      *start,
              PsIntervalKind  interval,
              guint           every_hours)
{
  PsSchedule *s = ps_profile_get_schedule (f->profile);

  s->enabled = TRUE;
  g_clear_pointer (&s->start, g_date_time_unref);
  s->start = g_date_time_ref (start);
  s->interval = interval;
  s->every_hours = every_hours;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->profile = ps_profile_new ("sched");
  f->now = local (2030, 1, 1, 0, 0);
  f->pending = g_ptr_array_new_with_free_func (g_object_unref);
  f->triggers = g_ptr_array_new_with_free_func (g_free);
  f->outcome = PS_RUN_SUCCEEDED;
  f->last_status = PS_RUN_RUNNING;
  f->scheduler = ps_scheduler_new (f->profile, "schedule");
  ps_scheduler_set_clock (f->scheduler, fake_clock, f, NULL);
  ps_scheduler_set_runner (f->scheduler, stub_runner, f, NULL);
  g_signal_connect (f->scheduler, "run-started", G_CALLBACK (on_run_started_cb), f);
  g_signal_connect (f->scheduler, "run-finished", G_CALLBACK (on_run_finished_cb), f);
  g_signal_connect (f->scheduler, "run-skipped", G_CALLBACK (on_run_skipped_cb), f);
  g_signal_connect (f->scheduler, "next-run-changed", G_CALLBACK (on_next_run_changed_cb), f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  /* Pending runs keep the scheduler alive: finish them first. */
  f->hold = FALSE;
  while (f->pending->len > 0)
    finish_run (f);
  drain ();
  g_assert_finalize_object (f->scheduler);
  g_clear_object (&f->profile);
  g_clear_pointer (&f->now, g_date_time_unref);
  g_ptr_array_unref (f->pending);
  g_ptr_array_unref (f->triggers);
}

static void
assert_next (Fixture   *f,
             GDateTime *want)
{
  GDateTime *next = ps_scheduler_get_next_run (f->scheduler);
  g_autofree char *got_text = next != NULL ? g_date_time_format_iso8601 (next) : g_strdup ("(null)");
  g_autofree char *want_text = g_date_time_format_iso8601 (want);

  g_assert_cmpstr (got_text, ==, want_text);
}

/* Checks, and when a run started, completes it. */
static PsSchedulerCheck
check_and_finish (Fixture *f)
{
  PsSchedulerCheck check = ps_scheduler_check_now (f->scheduler);

  drain ();
  return check;
}

/* ---------------------------------------------------------------- tests */

static void
test_disabled (Fixture       *f,
               gconstpointer  data)
{
  g_assert_cmpint (ps_scheduler_check_now (f->scheduler), ==, PS_SCHEDULER_CHECK_DISABLED);
  g_assert_null (ps_scheduler_get_next_run (f->scheduler));
  g_assert_cmpuint (f->triggers->len, ==, 0);
}

static void
test_first_run_at_start (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GDateTime) start = local (2030, 1, 1, 2, 0);
  g_autoptr(GDateTime) before = local (2030, 1, 1, 1, 59);
  g_autoptr(GDateTime) tomorrow = g_date_time_add_days (start, 1);

  set_schedule (f, start, PS_INTERVAL_DAILY, 0);
  set_now (f, before);
  g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_NOT_DUE);
  assert_next (f, start);
  g_assert_null (ps_scheduler_get_last_run (f->scheduler));

  set_now (f, start);
  g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_STARTED);
  g_assert_cmpuint (f->started, ==, 1);
  g_assert_cmpuint (f->finished, ==, 1);
  g_assert_cmpint (f->last_status, ==, PS_RUN_SUCCEEDED);
  g_assert_cmpstr (g_ptr_array_index (f->triggers, 0), ==, "schedule");
  g_assert_true (g_date_time_equal (ps_scheduler_get_last_run (f->scheduler), start));
  assert_next (f, tomorrow);
  g_assert_cmpuint (f->next_changed, >=, 2);

  /* Nothing more today. */
  advance (f, 23 * G_TIME_SPAN_HOUR);
  g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_NOT_DUE);
  g_assert_cmpuint (f->triggers->len, ==, 1);
}

typedef struct {
  PsIntervalKind interval;
  guint          every_hours;
  GTimeSpan      period;
} SlotCase;

static const SlotCase slot_cases[] = {
  { PS_INTERVAL_HOURLY, 0, G_TIME_SPAN_HOUR },
  { PS_INTERVAL_HOURS, 4, 4 * G_TIME_SPAN_HOUR },
  { PS_INTERVAL_DAILY, 0, G_TIME_SPAN_DAY },
  { PS_INTERVAL_WEEKLY, 0, 7 * G_TIME_SPAN_DAY },
};

/* Three consecutive slots: each runs once, exactly at its time, and a
 * check a second before a slot does nothing. */
static void
test_slots (Fixture       *f,
            gconstpointer  data)
{
  const SlotCase *c = data;
  g_autoptr(GDateTime) start = local (2030, 1, 1, 2, 30);

  set_schedule (f, start, c->interval, c->every_hours);
  set_now (f, start);
  for (guint k = 0; k < 3; k++)
    {
      g_autoptr(GDateTime) slot = g_date_time_add (start, k * c->period);
      g_autoptr(GDateTime) next_slot = g_date_time_add (start, (k + 1) * c->period);

      set_now (f, slot);
      advance (f, -G_TIME_SPAN_SECOND);
      if (k > 0)
        g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_NOT_DUE);
      set_now (f, slot);
      g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_STARTED);
      g_assert_cmpuint (f->triggers->len, ==, k + 1);
      assert_next (f, next_slot);
      g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_NOT_DUE);
    }
}

/* The machine slept through three and a half days: one run on wake. */
static void
test_missed_slots_coalesce (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GDateTime) start = local (2030, 1, 1, 2, 0);
  g_autoptr(GDateTime) after = g_date_time_add (start, 4 * G_TIME_SPAN_DAY);

  set_schedule (f, start, PS_INTERVAL_DAILY, 0);
  set_now (f, start);
  g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_STARTED);

  advance (f, 3 * G_TIME_SPAN_DAY + 12 * G_TIME_SPAN_HOUR);
  g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_STARTED);
  g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_NOT_DUE);
  g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_NOT_DUE);
  g_assert_cmpuint (f->triggers->len, ==, 2);
  /* Back on the grid: the slot after the wake-up run. */
  assert_next (f, after);
}

static void
test_single_flight (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GDateTime) start = local (2030, 1, 1, 2, 0);

  set_schedule (f, start, PS_INTERVAL_HOURLY, 0);
  set_now (f, start);
  f->hold = TRUE;
  g_assert_cmpint (ps_scheduler_check_now (f->scheduler), ==, PS_SCHEDULER_CHECK_STARTED);
  g_assert_true (ps_scheduler_get_running (f->scheduler));
  for (guint i = 0; i < 5; i++)
    {
      g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_RUNNING);
      advance (f, G_TIME_SPAN_MINUTE);
    }
  g_assert_cmpuint (f->triggers->len, ==, 1);
  g_assert_cmpuint (f->pending->len, ==, 1);
  finish_run (f);
  g_assert_false (ps_scheduler_get_running (f->scheduler));
  g_assert_cmpuint (f->finished, ==, 1);
}

/* An hourly run that takes 3½ hours: the slots it overlapped become one
 * catch-up run after it, then the schedule is back on the grid. */
static void
test_long_run_coalesces (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GDateTime) start = local (2030, 1, 1, 2, 0);
  g_autoptr(GDateTime) slot4 = g_date_time_add (start, 4 * G_TIME_SPAN_HOUR);

  set_schedule (f, start, PS_INTERVAL_HOURLY, 0);
  set_now (f, start);
  f->hold = TRUE;
  g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_STARTED);
  for (guint i = 0; i < 7; i++)
    {
      advance (f, 30 * G_TIME_SPAN_MINUTE);
      g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_RUNNING);
    }
  f->hold = FALSE;
  finish_run (f);
  /* Due at once (slot 1 was missed), and only once. */
  g_assert_cmpint (g_date_time_compare (ps_scheduler_get_next_run (f->scheduler), f->now), <=, 0);
  g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_STARTED);
  g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_NOT_DUE);
  g_assert_cmpuint (f->triggers->len, ==, 2);
  assert_next (f, slot4);
}

/* Another process holds the profile's sync lock: skipped, retried later. */
static void
test_busy_lock (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GDateTime) start = local (2030, 1, 1, 2, 0);
  g_autofree char *state = ps_profile_dup_state_path (f->profile);
  g_autofree char *lock = g_strconcat (state, ".lock", NULL);
  g_autofree char *dir = g_path_get_dirname (lock);
  g_autoptr(GDateTime) retry = NULL;
  int fd;

  set_schedule (f, start, PS_INTERVAL_DAILY, 0);
  set_now (f, start);
  ps_scheduler_set_busy_retry (f->scheduler, 120);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  fd = g_open (lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (flock (fd, LOCK_EX | LOCK_NB), ==, 0);
  g_assert_true (ps_engine_is_locked (f->profile));

  g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_BUSY);
  g_assert_cmpuint (f->skipped, ==, 1);
  g_assert_cmpuint (f->triggers->len, ==, 0);
  retry = g_date_time_add_seconds (start, 120);
  assert_next (f, retry);

  /* Before the back-off is over nothing happens, even when asked. */
  advance (f, 60 * G_TIME_SPAN_SECOND);
  g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_NOT_DUE);

  /* Still held at the retry: skipped again. */
  advance (f, 60 * G_TIME_SPAN_SECOND);
  g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_BUSY);
  g_assert_cmpuint (f->skipped, ==, 2);

  flock (fd, LOCK_UN);
  close (fd);
  g_assert_false (ps_engine_is_locked (f->profile));
  advance (f, 120 * G_TIME_SPAN_SECOND);
  g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_STARTED);
  g_assert_cmpuint (f->triggers->len, ==, 1);
}

/* R11: five failed runs in a row → once a day, and said so; a success
 * ends it. */
static void
test_failure_back_off (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GDateTime) start = local (2030, 1, 1, 2, 0);
  gboolean as_error = GPOINTER_TO_INT (data);

  set_schedule (f, start, PS_INTERVAL_HOURLY, 0);
  set_now (f, start);
  f->outcome = PS_RUN_FAILED;
  f->outcome_error = as_error;
  for (guint i = 0; i < PS_SCHEDULER_MAX_FAILURES; i++)
    {
      g_assert_false (ps_scheduler_get_failing (f->scheduler));
      g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_STARTED);
      g_assert_cmpuint (ps_scheduler_get_consecutive_failures (f->scheduler), ==, i + 1);
      advance (f, G_TIME_SPAN_HOUR);
    }
  g_assert_true (ps_scheduler_get_failing (f->scheduler));
  g_assert_nonnull (ps_scheduler_get_failing_message (f->scheduler));
  if (as_error)
    g_assert_nonnull (strstr (ps_scheduler_get_failing_message (f->scheduler),
                              "Cannot contact the directory (stub)"));

  /* Next attempt a day after the last one, not at the next hourly slot. */
  {
    g_autoptr(GDateTime) last = g_date_time_add (start, 4 * G_TIME_SPAN_HOUR);
    g_autoptr(GDateTime) daily = g_date_time_add_days (last, 1);

    assert_next (f, daily);
    for (guint i = 0; i < 20; i++)
      {
        g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_NOT_DUE);
        advance (f, G_TIME_SPAN_HOUR);
      }
    set_now (f, daily);
  }
  f->outcome = PS_RUN_SUCCEEDED;
  f->outcome_error = FALSE;
  g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_STARTED);
  g_assert_false (ps_scheduler_get_failing (f->scheduler));
  g_assert_null (ps_scheduler_get_failing_message (f->scheduler));
  g_assert_cmpuint (ps_scheduler_get_consecutive_failures (f->scheduler), ==, 0);
  /* Hourly again. */
  advance (f, G_TIME_SPAN_HOUR);
  g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_STARTED);
}

static void
record_run (PsState     *state,
            PsRunStatus  status)
{
  g_autoptr(GError) error = NULL;
  gint64 id = ps_state_begin_run (state, "schedule", FALSE, &error);

  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  g_assert_true (ps_state_finish_run (state, id, status, &error));
  g_assert_no_error (error);
}

/* A new scheduler (the app or the service restarted) decides from the
 * persisted history: a run recorded "now" means nothing is due until the
 * next slot, and five recorded failures mean the back-off is on. */
static void
test_restart_uses_persisted_state (Fixture       *f,
                                   gconstpointer  data)
{
  g_autoptr(GDateTime) real_now = g_date_time_new_now_local ();
  /* Whole seconds, like the history; the slots fall an hour before now. */
  g_autoptr(GDateTime) start =
    g_date_time_new_from_unix_local (g_date_time_to_unix (real_now) - 10 * 86400 - 3600);
  g_autofree char *path = ps_profile_dup_state_path (f->profile);
  g_autoptr(GError) error = NULL;
  g_autoptr(PsState) state = NULL;
  g_autoptr(PsScheduler) again = NULL;
  GDateTime *last;

  set_schedule (f, start, PS_INTERVAL_DAILY, 0);
  set_now (f, real_now);
  /* Nothing recorded: the slots since the start are missed: due now. */
  {
    g_autoptr(GDateTime) now = ps_scheduler_get_now (f->scheduler);
    g_assert_true (g_date_time_equal (now, real_now));
  }
  ps_scheduler_reschedule (f->scheduler);
  assert_next (f, start);

  state = ps_state_open (path, &error);
  g_assert_no_error (error);
  record_run (state, PS_RUN_SUCCEEDED);

  again = ps_scheduler_new (f->profile, "service");
  ps_scheduler_set_clock (again, fake_clock, f, NULL);
  ps_scheduler_set_runner (again, stub_runner, f, NULL);
  g_assert_cmpint (ps_scheduler_check_now (again), ==, PS_SCHEDULER_CHECK_NOT_DUE);
  last = ps_scheduler_get_last_run (again);
  g_assert_nonnull (last);
  g_assert_cmpint (ABS (g_date_time_difference (last, real_now)), <, 5 * G_TIME_SPAN_SECOND);
  g_assert_cmpint (g_date_time_difference (ps_scheduler_get_next_run (again), real_now), >,
                   22 * G_TIME_SPAN_HOUR);
  g_assert_cmpuint (f->triggers->len, ==, 0);

  /* A day later: due, once, with the service's trigger. */
  advance (f, G_TIME_SPAN_DAY + G_TIME_SPAN_MINUTE);
  g_assert_cmpint (ps_scheduler_check_now (again), ==, PS_SCHEDULER_CHECK_STARTED);
  drain ();
  g_assert_cmpint (ps_scheduler_check_now (again), ==, PS_SCHEDULER_CHECK_NOT_DUE);
  g_assert_cmpuint (f->triggers->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->triggers, 0), ==, "service");
  g_assert_finalize_object (g_steal_pointer (&again));

  /* Five failed runs in the history: a fresh scheduler starts failing. */
  for (guint i = 0; i < PS_SCHEDULER_MAX_FAILURES; i++)
    record_run (state, PS_RUN_FAILED);
  again = ps_scheduler_new (f->profile, "service");
  ps_scheduler_set_clock (again, fake_clock, f, NULL);
  ps_scheduler_reschedule (again);
  g_assert_true (ps_scheduler_get_failing (again));
  g_assert_cmpuint (ps_scheduler_get_consecutive_failures (again), ==, PS_SCHEDULER_MAX_FAILURES);
  g_assert_cmpint (g_date_time_difference (ps_scheduler_get_next_run (again),
                                           ps_scheduler_get_last_run (again)), ==,
                   G_TIME_SPAN_DAY);
}

/* Only runs that did their job cover a slot: a cancelled or interrupted run,
 * or one still marked running whose process died (nobody holds the lock),
 * leaves the slot due; a running run whose process holds the lock covers
 * it. The same scheduler notices new runs in the state file. */
static void
test_persisted_runs_that_cover (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GDateTime) real_now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) start =
    g_date_time_new_from_unix_local (g_date_time_to_unix (real_now) - 10 * 86400 - 3600);
  g_autofree char *path = ps_profile_dup_state_path (f->profile);
  g_autofree char *lock = g_strconcat (path, ".lock", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PsState) state = NULL;
  gint64 running;
  int fd;

  set_schedule (f, start, PS_INTERVAL_DAILY, 0);
  set_now (f, real_now);
  state = ps_state_open (path, &error);
  g_assert_no_error (error);

  record_run (state, PS_RUN_CANCELLED);
  record_run (state, PS_RUN_INTERRUPTED);
  ps_scheduler_reschedule (f->scheduler);
  g_assert_null (ps_scheduler_get_last_run (f->scheduler));
  assert_next (f, start);

  running = ps_state_begin_run (state, "cli", FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (running, >, 0);
  ps_scheduler_reschedule (f->scheduler);
  g_assert_null (ps_scheduler_get_last_run (f->scheduler));   /* its process is gone */

  fd = g_open (lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (flock (fd, LOCK_EX | LOCK_NB), ==, 0);
  g_assert_cmpint (ps_scheduler_check_now (f->scheduler), ==, PS_SCHEDULER_CHECK_NOT_DUE);
  g_assert_nonnull (ps_scheduler_get_last_run (f->scheduler));
  flock (fd, LOCK_UN);
  close (fd);

  g_assert_true (ps_state_finish_run (state, running, PS_RUN_SUCCEEDED, &error));
  g_assert_no_error (error);
  g_assert_cmpint (ps_scheduler_check_now (f->scheduler), ==, PS_SCHEDULER_CHECK_NOT_DUE);
  g_assert_nonnull (ps_scheduler_get_last_run (f->scheduler));
  g_assert_cmpuint (f->triggers->len, ==, 0);
}

/* The background service's own lock: one service per profile, visible to
 * the app. */
static void
test_service_lock (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  int fd, again;

  g_assert_false (ps_scheduler_service_is_active (f->profile));
  fd = ps_scheduler_claim_service (f->profile, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  g_assert_true (ps_scheduler_service_is_active (f->profile));
  again = ps_scheduler_claim_service (f->profile, &error);
  g_assert_error (error, PS_ENGINE_ERROR, PS_ENGINE_ERROR_BUSY);
  g_assert_cmpint (again, ==, -1);
  /* The sync lock is a different one. */
  g_assert_false (ps_engine_is_locked (f->profile));
  close (fd);
  g_assert_false (ps_scheduler_service_is_active (f->profile));
}

/* P11: with jitter, each slot starts a fixed offset after its time: within
 * the limit (at most a quarter period), the same for every scheduler of the
 * profile, and still one run per slot. */
static void
test_jitter (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GDateTime) start = local (2030, 1, 1, 2, 0);
  g_autoptr(PsScheduler) other = NULL;
  gboolean some_offset = FALSE;

  set_schedule (f, start, PS_INTERVAL_HOURLY, 0);
  set_now (f, start);
  ps_scheduler_set_jitter (f->scheduler, 24 * 3600);   /* capped at 15 minutes */
  g_assert_cmpuint (ps_scheduler_get_jitter (f->scheduler), ==, 24 * 3600);
  other = ps_scheduler_new (f->profile, "service");
  ps_scheduler_set_clock (other, fake_clock, f, NULL);
  ps_scheduler_set_jitter (other, 24 * 3600);

  for (guint k = 0; k < 8; k++)
    {
      g_autoptr(GDateTime) slot = g_date_time_add_hours (start, k);
      GDateTime *next = ps_scheduler_get_next_run (f->scheduler);
      GTimeSpan offset = g_date_time_difference (next, slot);

      g_assert_cmpint (offset, >=, 0);
      g_assert_cmpint (offset, <=, 15 * G_TIME_SPAN_MINUTE);
      some_offset |= offset > 0;
      if (k == 0)
        {
          /* Another process (nothing has run yet) agrees on the offset. */
          ps_scheduler_reschedule (other);
          g_assert_true (g_date_time_equal (next, ps_scheduler_get_next_run (other)));
        }

      set_now (f, slot);
      if (offset > 0)
        g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_NOT_DUE);
      set_now (f, next);
      g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_STARTED);
      g_assert_cmpint (check_and_finish (f), ==, PS_SCHEDULER_CHECK_NOT_DUE);
      g_assert_cmpuint (f->triggers->len, ==, k + 1);
    }
  g_assert_true (some_offset);
}

/* The timer path: start() arms a timer; a due run starts from the main
 * loop without anyone calling check_now(). */
static void
test_timer_fires (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GDateTime) start = local (2030, 1, 1, 2, 0);
  g_autoptr(GDateTime) later = local (2030, 1, 2, 6, 0);
  gint64 deadline;

  set_schedule (f, start, PS_INTERVAL_DAILY, 0);
  set_now (f, start);
  ps_scheduler_start (f->scheduler);
  g_assert_true (ps_scheduler_is_started (f->scheduler));
  deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  while (f->finished == 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (f->triggers->len, ==, 1);

  /* The profile changed: the next run moves at once. */
  {
    guint changed = f->next_changed;

    set_schedule (f, later, PS_INTERVAL_DAILY, 0);
    ps_scheduler_reschedule (f->scheduler);
    g_assert_cmpuint (f->next_changed, ==, changed + 1);
    assert_next (f, later);
  }
  ps_scheduler_stop (f->scheduler);
  g_assert_false (ps_scheduler_is_started (f->scheduler));
}

/* Cancelling a running run: run-finished follows, no failure counted. */
static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GDateTime) start = local (2030, 1, 1, 2, 0);
  GTask *task;

  set_schedule (f, start, PS_INTERVAL_DAILY, 0);
  set_now (f, start);
  f->hold = TRUE;
  g_assert_cmpint (ps_scheduler_check_now (f->scheduler), ==, PS_SCHEDULER_CHECK_STARTED);
  ps_scheduler_cancel (f->scheduler);
  task = g_ptr_array_steal_index (f->pending, 0);
  g_assert_true (g_cancellable_is_cancelled (g_task_get_cancellable (task)));
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
  g_object_unref (task);
  drain ();
  g_assert_cmpuint (f->finished, ==, 1);
  g_assert_false (ps_scheduler_get_running (f->scheduler));
  g_assert_cmpuint (ps_scheduler_get_consecutive_failures (f->scheduler), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_setenv ("TZ", "UTC", TRUE);
  ps_test_init (&argc, &argv);

#define ADD(path, func, data) \
  g_test_add (path, Fixture, data, fixture_setup, func, fixture_teardown)

  ADD ("/scheduler/disabled", test_disabled, NULL);
  ADD ("/scheduler/first-run-at-start", test_first_run_at_start, NULL);
  ADD ("/scheduler/slots/hourly", test_slots, &slot_cases[0]);
  ADD ("/scheduler/slots/every-4-hours", test_slots, &slot_cases[1]);
  ADD ("/scheduler/slots/daily", test_slots, &slot_cases[2]);
  ADD ("/scheduler/slots/weekly", test_slots, &slot_cases[3]);
  ADD ("/scheduler/missed-slots-coalesce", test_missed_slots_coalesce, NULL);
  ADD ("/scheduler/single-flight", test_single_flight, NULL);
  ADD ("/scheduler/long-run-coalesces", test_long_run_coalesces, NULL);
  ADD ("/scheduler/busy-lock", test_busy_lock, NULL);
  ADD ("/scheduler/failure-back-off/status", test_failure_back_off, GINT_TO_POINTER (FALSE));
  ADD ("/scheduler/failure-back-off/error", test_failure_back_off, GINT_TO_POINTER (TRUE));
  ADD ("/scheduler/restart-uses-persisted-state", test_restart_uses_persisted_state, NULL);
  ADD ("/scheduler/persisted-runs-that-cover", test_persisted_runs_that_cover, NULL);
  ADD ("/scheduler/service-lock", test_service_lock, NULL);
  ADD ("/scheduler/jitter", test_jitter, NULL);
  ADD ("/scheduler/timer-fires", test_timer_fires, NULL);
  ADD ("/scheduler/cancel", test_cancel, NULL);

#undef ADD
  return g_test_run ();
}
