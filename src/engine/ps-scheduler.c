/* ps-scheduler.c — runs a profile's syncs on its schedule
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ps-lock.h"
#include "ps-scheduler.h"
#include "ps-state.h"

/* Retry after a busy skip: soon enough to catch the slot, rare enough not
 * to hammer the lock while a long run holds it. */
#define DEFAULT_BUSY_RETRY_SECONDS 300

struct _PsScheduler
{
  GObject             parent_instance;

  PsProfile          *profile;
  char               *trigger;
  GMainContext       *context;       /* where the timer and the runs live */

  PsClockFunc         clock_func;
  gpointer            clock_data;
  GDestroyNotify      clock_destroy;
  PsSchedulerRunFunc  run_func;
  gpointer            run_data;
  GDestroyNotify      run_destroy;
  PsSyncEventFunc     event_func;
  gpointer            event_data;
  GDestroyNotify      event_destroy;

  GSource            *timer;         /* the one armed timer, or NULL */
  GCancellable       *cancellable;   /* of the run in progress */
  gboolean            started;
  gboolean            running;
  guint               busy_retry;
  guint               jitter;        /* seconds, at most a quarter period */

  GDateTime          *next_run;
  GDateTime          *last_run;      /* the later of persisted and attempted */
  GDateTime          *last_attempt;  /* when this scheduler last started a run */
  GDateTime          *retry_at;      /* after a busy skip */
  gint64              persisted_start;  /* last seen in the state, unix seconds */

  /* What the state file said when it last changed: the check runs every
   * minute, and opening the file is only needed after someone wrote it. */
  char               *cache_path;
  gint64              cache_stamp[4];
  gboolean            cache_locked;
  gint64              cache_start;
  guint               cache_failures;
  guint               failures;      /* consecutive failed runs */
  char               *last_error;
  char               *failing_message;
};

G_DEFINE_TYPE (PsScheduler, ps_scheduler, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PROFILE,
  PROP_TRIGGER,
  PROP_NEXT_RUN,
  PROP_LAST_RUN,
  PROP_RUNNING,
  PROP_FAILING,
  PROP_FAILING_MESSAGE,
  PROP_BUSY_RETRY,
  PROP_JITTER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_RUN_STARTED,
  SIGNAL_RUN_FINISHED,
  SIGNAL_RUN_SKIPPED,
  SIGNAL_NEXT_RUN_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---------------------------------------------------------------- helpers */

static gboolean
date_time_equal0 (GDateTime *a,
                  GDateTime *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_date_time_equal (a, b);
}

static GDateTime *
later_of (GDateTime *a,
          GDateTime *b)
{
  if (a == NULL)
    return b != NULL ? g_date_time_ref (b) : NULL;
  if (b == NULL || g_date_time_compare (a, b) >= 0)
    return g_date_time_ref (a);
  return g_date_time_ref (b);
}

static char *
format_local (GDateTime *when)
{
  g_autoptr(GDateTime) local = NULL;

  if (when == NULL)
    return g_strdup (_("never"));
  local = g_date_time_to_local (when);
  return g_date_time_format (local, "%Y-%m-%d %H:%M:%S");
}

/* Emits a log line through the event function, as the engine does. */
static void
log_line (PsScheduler *self,
          PsLogLevel   level,
          const char  *format,
          ...) G_GNUC_PRINTF (3, 4);

static void
log_line (PsScheduler *self,
          PsLogLevel   level,
          const char  *format,
          ...)
{
  g_autofree char *message = NULL;
  PsSyncEvent event = { 0 };
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_debug ("scheduler %s: %s", ps_profile_get_name (self->profile), message);
  if (self->event_func == NULL)
    return;
  event.kind = PS_SYNC_EVENT_LOG;
  event.level = level;
  event.time_us = g_get_real_time ();
  event.message = message;
  self->event_func (&event, self->event_data);
}

/* Modification times and sizes of the state file and its write-ahead log;
 * FALSE when the state file does not exist. */
static gboolean
stamp_state (const char *path,
             gint64      stamp[4])
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  struct stat st;

  if (stat (path, &st) != 0 || !S_ISREG (st.st_mode))
    return FALSE;
  stamp[0] = (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st.st_mtim.tv_nsec;
  stamp[1] = st.st_size;
  if (stat (wal, &st) == 0)
    {
      stamp[2] = (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st.st_mtim.tv_nsec;
      stamp[3] = st.st_size;
    }
  else
    stamp[2] = stamp[3] = -1;
  return TRUE;
}

/* The start of the last real run that covered its slot, and the number of
 * consecutive failed real runs, from the profile's state file; FALSE when
 * there is none. A cancelled or interrupted run (the service was stopped,
 * the machine went down) did not do its job, so after a restart its slot
 * runs again; a run still marked running counts only while someone holds
 * the lock (otherwise its process died). */
static gboolean
read_persisted (PsScheduler *self,
                gint64      *last_start,
                guint       *failures)
{
  g_autofree char *path = ps_profile_dup_state_path (self->profile);
  g_autoptr(PsState) state = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GError) error = NULL;
  gboolean counting = TRUE;
  gboolean locked;
  gint64 stamp[4];

  if (path == NULL || !stamp_state (path, stamp))
    return FALSE;
  locked = ps_engine_is_locked (self->profile);
  if (g_strcmp0 (path, self->cache_path) == 0 && locked == self->cache_locked
      && memcmp (stamp, self->cache_stamp, sizeof stamp) == 0)
    {
      *last_start = self->cache_start;
      *failures = self->cache_failures;
      return TRUE;
    }

  state = ps_state_open (path, &error);
  if (state == NULL)
    {
      g_debug ("scheduler: cannot read %s: %s", path, error->message);
      return FALSE;
    }
  *last_start = 0;
  *failures = 0;
  runs = ps_state_list_runs (state, 50, NULL);
  for (guint i = 0; runs != NULL && i < runs->len; i++)
    {
      PsRunInfo *info = g_ptr_array_index (runs, i);
      gboolean covered;

      if (info->dry_run)
        continue;
      covered = info->status != PS_RUN_CANCELLED && info->status != PS_RUN_INTERRUPTED
                && (info->status != PS_RUN_RUNNING || locked);
      if (covered && *last_start == 0)
        *last_start = info->started_at;
      if (counting && info->status == PS_RUN_FAILED)
        (*failures)++;
      else if (info->status == PS_RUN_SUCCEEDED || info->status == PS_RUN_PAUSED)
        counting = FALSE;
      /* running, cancelled and interrupted runs neither fail nor succeed */
      if (*last_start != 0 && !counting)
        break;
    }
  if (*last_start == 0 && runs != NULL && runs->len == 50)
    *last_start = ps_state_last_run_start (state, TRUE);

  /* Opening may itself touch the file: remember it as it is once closed. */
  g_clear_object (&state);
  if (stamp_state (path, self->cache_stamp))
    {
      g_free (self->cache_path);
      self->cache_path = g_steal_pointer (&path);
      self->cache_locked = locked;
      self->cache_start = *last_start;
      self->cache_failures = *failures;
    }
  return TRUE;
}

/* The message of the first failed mapping, for the alert. */
static const char *
first_failure (PsSyncResult *result)
{
  for (guint i = 0; result != NULL && result->mappings != NULL && i < result->mappings->len; i++)
    {
      PsMappingResult *mapping = g_ptr_array_index (result->mappings, i);

      if (g_strcmp0 (mapping->status, "failed") == 0 && mapping->message != NULL)
        return mapping->message;
    }
  return NULL;
}

static void
update_failing (PsScheduler *self)
{
  g_autofree char *message = NULL;
  gboolean was_failing = self->failing_message != NULL;

  if (self->failures >= PS_SCHEDULER_MAX_FAILURES)
    {
      if (self->last_error != NULL)
        /* Translators: %u is a count ≥ 5; the second %s is an error message */
        message = g_strdup_printf (_("The last %u runs of “%s” failed; PandaSync now tries once "
                                     "a day until a run succeeds. Last error: %s"),
                                   self->failures, ps_profile_get_name (self->profile),
                                   self->last_error);
      else
        message = g_strdup_printf (_("The last %u runs of “%s” failed; PandaSync now tries once "
                                     "a day until a run succeeds. See the history for details."),
                                   self->failures, ps_profile_get_name (self->profile));
    }
  if (g_strcmp0 (message, self->failing_message) == 0)
    return;
  g_free (self->failing_message);
  self->failing_message = g_steal_pointer (&message);
  if (was_failing != (self->failing_message != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FAILING]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FAILING_MESSAGE]);
}

/* The jitter of one slot: the same for every scheduler of the profile (the
 * app's and the service's agree) and for every look at it, different from
 * profile to profile and slot to slot. Never more than a quarter period, so
 * a run never passes the next slot. */
static guint
slot_offset (PsScheduler *self,
             GDateTime   *slot)
{
  GTimeSpan period = ps_schedule_period (ps_profile_get_schedule (self->profile));
  guint limit = MIN (self->jitter, (guint) (period / G_USEC_PER_SEC / 4));
  g_autofree char *key = g_strdup_printf ("%s/%" G_GINT64_FORMAT,
                                          ps_profile_get_id (self->profile),
                                          g_date_time_to_unix (slot));

  return g_str_hash (key) % (limit + 1);
}

/* Recomputes last-run and next-run from the persisted state, the schedule
 * and the clock; notifies when they changed. */
static void
compute (PsScheduler *self)
{
  PsSchedule *schedule = ps_profile_get_schedule (self->profile);
  g_autoptr(GDateTime) now = ps_scheduler_get_now (self);
  g_autoptr(GDateTime) persisted = NULL;
  g_autoptr(GDateTime) last = NULL;
  g_autoptr(GDateTime) next = NULL;
  gint64 start = 0;
  guint failures = 0;

  if (read_persisted (self, &start, &failures))
    {
      /* A run recorded since we last looked (ours, or another process's):
       * the history is the truth about consecutive failures. */
      if (start != self->persisted_start)
        {
          self->persisted_start = start;
          if (failures != self->failures)
            {
              self->failures = failures;
              if (failures == 0)
                g_clear_pointer (&self->last_error, g_free);
            }
        }
      if (start > 0)
        persisted = g_date_time_new_from_unix_local (start);
    }
  update_failing (self);

  last = later_of (persisted, self->last_attempt);
  if (!date_time_equal0 (last, self->last_run))
    {
      g_clear_pointer (&self->last_run, g_date_time_unref);
      self->last_run = g_steal_pointer (&last);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_RUN]);
    }

  next = ps_schedule_next_run (schedule, self->last_run, now);
  if (next != NULL && self->jitter > 0)
    {
      g_autoptr(GDateTime) slot = g_steal_pointer (&next);

      next = g_date_time_add_seconds (slot, slot_offset (self, slot));
    }
  if (next != NULL && self->failures >= PS_SCHEDULER_MAX_FAILURES && self->last_run != NULL)
    {
      g_autoptr(GDateTime) daily = g_date_time_add_days (self->last_run, 1);
      g_autoptr(GDateTime) slot = g_steal_pointer (&next);

      next = later_of (slot, daily);
    }
  if (next != NULL && self->retry_at != NULL)
    {
      g_autoptr(GDateTime) slot = g_steal_pointer (&next);

      next = later_of (slot, self->retry_at);
    }
  if (!date_time_equal0 (next, self->next_run))
    {
      g_clear_pointer (&self->next_run, g_date_time_unref);
      self->next_run = g_steal_pointer (&next);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NEXT_RUN]);
      g_signal_emit (self, signals[SIGNAL_NEXT_RUN_CHANGED], 0);
    }
}

static void
stop_timer (PsScheduler *self)
{
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
}

static gboolean
on_timer_fired_cb (gpointer user_data)
{
  PsScheduler *self = user_data;

  g_clear_pointer (&self->timer, g_source_unref);
  ps_scheduler_check_now (self);
  return G_SOURCE_REMOVE;
}

/* Arms the one timer for the next run, or for the next look at the clock:
 * a monotonic timer does not count the time the machine slept, so it never
 * sleeps longer than PS_SCHEDULER_MAX_SLEEP_SECONDS. */
static void
arm_timer (PsScheduler *self)
{
  g_autoptr(GDateTime) now = NULL;
  GTimeSpan wait;

  stop_timer (self);
  if (!self->started || self->running || self->next_run == NULL)
    return;

  now = ps_scheduler_get_now (self);
  wait = g_date_time_difference (self->next_run, now);
  if (wait <= 0)
    self->timer = g_timeout_source_new (0);
  else
    {
      gint64 seconds = (wait + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;

      self->timer = g_timeout_source_new_seconds ((guint) CLAMP (seconds, 1,
                                                                 PS_SCHEDULER_MAX_SLEEP_SECONDS));
    }
  g_source_set_callback (self->timer, on_timer_fired_cb, self, NULL);
  g_source_set_static_name (self->timer, "[pandasync] scheduler");
  g_source_attach (self->timer, self->context);
}

/* ---------------------------------------------------------------- callbacks */

static void
on_engine_event_cb (const PsSyncEvent *event,
                    gpointer           user_data)
{
  PsScheduler *self = user_data;

  if (self->event_func != NULL)
    self->event_func (event, self->event_data);
}

static void
on_engine_run_done_cb (GObject      *source,
                       GAsyncResult *res,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  PsSyncResult *result = ps_engine_run_finish (PS_ENGINE (source), res, &error);

  if (result == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, result, (GDestroyNotify) ps_sync_result_free);
}

/* The default runner: the engine, in its worker thread. */
static void
run_with_engine (PsScheduler         *self,
                 const PsSyncOptions *options,
                 GCancellable        *cancellable,
                 GTask               *task,
                 gpointer             user_data)
{
  g_autoptr(PsEngine) engine = ps_engine_new (self->profile);

  /* The task holds a reference on the scheduler until the run is over, so
   * the events never outlive it. */
  ps_engine_set_event_func (engine, on_engine_event_cb, self, NULL);
  ps_engine_run_async (engine, options, cancellable, on_engine_run_done_cb, g_object_ref (task));
}

static void
on_run_finished_cb (GObject      *source,
                    GAsyncResult *res,
                    gpointer      user_data)
{
  g_autoptr(PsScheduler) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsSyncResult) result = g_task_propagate_pointer (G_TASK (res), &error);
  g_autofree char *next = NULL;

  self->running = FALSE;
  g_clear_object (&self->cancellable);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);

  if (result == NULL && g_error_matches (error, PS_ENGINE_ERROR, PS_ENGINE_ERROR_BUSY))
    {
      /* Someone took the lock between our check and the engine's. */
      g_autoptr(GDateTime) now = ps_scheduler_get_now (self);

      g_clear_pointer (&self->retry_at, g_date_time_unref);
      self->retry_at = g_date_time_add_seconds (now, self->busy_retry);
      log_line (self, PS_LOG_WARNING, "%s", error->message);
      g_signal_emit (self, signals[SIGNAL_RUN_SKIPPED], 0, error->message);
    }
  else if (result == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    log_line (self, PS_LOG_INFO, "%s", _("The scheduled run was cancelled"));
  else if (result == NULL || result->status == PS_RUN_FAILED)
    {
      self->failures++;
      g_free (self->last_error);
      self->last_error = g_strdup (error != NULL ? error->message : first_failure (result));
    }
  else if (result->status == PS_RUN_SUCCEEDED)
    {
      self->failures = 0;
      g_clear_pointer (&self->last_error, g_free);
    }

  compute (self);
  if (self->failures >= PS_SCHEDULER_MAX_FAILURES && self->failing_message != NULL)
    log_line (self, PS_LOG_ERROR, "%s", self->failing_message);
  next = format_local (self->next_run);
  if (self->next_run != NULL)
    log_line (self, PS_LOG_INFO, _("Next scheduled run: %s"), next);
  g_signal_emit (self, signals[SIGNAL_RUN_FINISHED], 0, result, error);
  arm_timer (self);
}

static char *
service_lock_path (PsProfile *profile)
{
  g_autofree char *state = ps_profile_dup_state_path (profile);

  return g_strconcat (state, ".service", NULL);
}

/* ---------------------------------------------------------------- GObject */

static void
ps_scheduler_dispose (GObject *object)
{
  PsScheduler *self = PS_SCHEDULER (object);

  stop_timer (self);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (ps_scheduler_parent_class)->dispose (object);
}

static void
ps_scheduler_finalize (GObject *object)
{
  PsScheduler *self = PS_SCHEDULER (object);

  if (self->clock_destroy != NULL)
    self->clock_destroy (self->clock_data);
  if (self->run_destroy != NULL)
    self->run_destroy (self->run_data);
  if (self->event_destroy != NULL)
    self->event_destroy (self->event_data);
  g_clear_object (&self->profile);
  g_free (self->trigger);
  g_main_context_unref (self->context);
  g_clear_pointer (&self->next_run, g_date_time_unref);
  g_clear_pointer (&self->last_run, g_date_time_unref);
  g_clear_pointer (&self->last_attempt, g_date_time_unref);
  g_clear_pointer (&self->retry_at, g_date_time_unref);
  g_free (self->last_error);
  g_free (self->failing_message);
  g_free (self->cache_path);

  G_OBJECT_CLASS (ps_scheduler_parent_class)->finalize (object);
}

static void
ps_scheduler_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  PsScheduler *self = PS_SCHEDULER (object);

  switch (prop_id)
    {
    case PROP_PROFILE:
      g_value_set_object (value, self->profile);
      break;
    case PROP_TRIGGER:
      g_value_set_string (value, self->trigger);
      break;
    case PROP_NEXT_RUN:
      g_value_set_boxed (value, self->next_run);
      break;
    case PROP_LAST_RUN:
      g_value_set_boxed (value, self->last_run);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    case PROP_FAILING:
      g_value_set_boolean (value, self->failing_message != NULL);
      break;
    case PROP_FAILING_MESSAGE:
      g_value_set_string (value, self->failing_message);
      break;
    case PROP_BUSY_RETRY:
      g_value_set_uint (value, self->busy_retry);
      break;
    case PROP_JITTER:
      g_value_set_uint (value, self->jitter);
      break;
    case PROP_0:
    case N_PROPS:
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ps_scheduler_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  PsScheduler *self = PS_SCHEDULER (object);

  switch (prop_id)
    {
    case PROP_PROFILE:
      self->profile = g_value_dup_object (value);
      break;
    case PROP_TRIGGER:
      g_free (self->trigger);
      self->trigger = g_value_dup_string (value);
      break;
    case PROP_BUSY_RETRY:
      ps_scheduler_set_busy_retry (self, g_value_get_uint (value));
      break;
    case PROP_JITTER:
      ps_scheduler_set_jitter (self, g_value_get_uint (value));
      break;
    case PROP_0:
    case PROP_NEXT_RUN:
    case PROP_LAST_RUN:
    case PROP_RUNNING:
    case PROP_FAILING:
    case PROP_FAILING_MESSAGE:
    case N_PROPS:
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ps_scheduler_class_init (PsSchedulerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ps_scheduler_dispose;
  object_class->finalize = ps_scheduler_finalize;
  object_class->get_property = ps_scheduler_get_property;
  object_class->set_property = ps_scheduler_set_property;

  properties[PROP_PROFILE] =
    g_param_spec_object ("profile", NULL, NULL, PS_TYPE_PROFILE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TRIGGER] =
    g_param_spec_string ("trigger", NULL, NULL, "schedule",
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NEXT_RUN] =
    g_param_spec_boxed ("next-run", NULL, NULL, G_TYPE_DATE_TIME,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_RUN] =
    g_param_spec_boxed ("last-run", NULL, NULL, G_TYPE_DATE_TIME,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FAILING] =
    g_param_spec_boolean ("failing", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FAILING_MESSAGE] =
    g_param_spec_string ("failing-message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY_RETRY] =
    g_param_spec_uint ("busy-retry", NULL, NULL, 1, G_MAXUINT, DEFAULT_BUSY_RETRY_SECONDS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_JITTER] =
    g_param_spec_uint ("jitter", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * PsScheduler::run-started:
   *
   * A scheduled run has started.
   */
  signals[SIGNAL_RUN_STARTED] =
    g_signal_new ("run-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * PsScheduler::run-finished:
   * @result: (nullable): the PsSyncResult, or %NULL when the run failed to run
   * @error: (nullable): why there is no result
   */
  signals[SIGNAL_RUN_FINISHED] =
    g_signal_new ("run-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  G_TYPE_POINTER, G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * PsScheduler::run-skipped:
   * @reason: a translated sentence
   *
   * A run was due, but another process holds the profile's sync lock.
   */
  signals[SIGNAL_RUN_SKIPPED] =
    g_signal_new ("run-skipped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * PsScheduler::next-run-changed:
   *
   * The next run moved (also notified as PsScheduler:next-run).
   */
  signals[SIGNAL_NEXT_RUN_CHANGED] =
    g_signal_new ("next-run-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ps_scheduler_init (PsScheduler *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->busy_retry = DEFAULT_BUSY_RETRY_SECONDS;
  self->run_func = run_with_engine;
}

/* ---------------------------------------------------------------- public API */

const char *
ps_scheduler_check_to_string (PsSchedulerCheck check)
{
  switch (check)
    {
    case PS_SCHEDULER_CHECK_DISABLED:
      return "disabled";
    case PS_SCHEDULER_CHECK_NOT_DUE:
      return "not-due";
    case PS_SCHEDULER_CHECK_STARTED:
      return "started";
    case PS_SCHEDULER_CHECK_RUNNING:
      return "running";
    case PS_SCHEDULER_CHECK_BUSY:
      return "busy";
    default:
      return "unknown";
    }
}

/**
 * ps_scheduler_new:
 * @trigger: (nullable): recorded with each run: "schedule" (the app,
 *   the default) or "service"
 *
 * The scheduler is idle until ps_scheduler_start(); ps_scheduler_check_now()
 * works either way. Its timer and runs use the thread-default main context
 * of the caller.
 */
PsScheduler *
ps_scheduler_new (PsProfile  *profile,
                  const char *trigger)
{
  g_return_val_if_fail (PS_IS_PROFILE (profile), NULL);

  return g_object_new (PS_TYPE_SCHEDULER,
                       "profile", profile,
                       "trigger", trigger != NULL ? trigger : "schedule",
                       NULL);
}

PsProfile *
ps_scheduler_get_profile (PsScheduler *self)
{
  g_return_val_if_fail (PS_IS_SCHEDULER (self), NULL);
  return self->profile;
}

/**
 * ps_scheduler_set_profile:
 *
 * Replaces the profile (after an edit or a reload) and reschedules. A run in
 * progress finishes with the profile it started with.
 */
void
ps_scheduler_set_profile (PsScheduler *self,
                          PsProfile   *profile)
{
  g_return_if_fail (PS_IS_SCHEDULER (self));
  g_return_if_fail (PS_IS_PROFILE (profile));

  if (profile != self->profile)
    {
      g_set_object (&self->profile, profile);
      self->persisted_start = -1;   /* the state file may be another one */
      g_clear_pointer (&self->cache_path, g_free);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROFILE]);
    }
  ps_scheduler_reschedule (self);
}

const char *
ps_scheduler_get_trigger (PsScheduler *self)
{
  g_return_val_if_fail (PS_IS_SCHEDULER (self), NULL);
  return self->trigger;
}

/**
 * ps_scheduler_set_clock:
 * @func: (nullable): returns "now"; %NULL for the system clock
 *
 * For tests: the scheduler asks @func whenever it needs the time.
 */
void
ps_scheduler_set_clock (PsScheduler    *self,
                        PsClockFunc     func,
                        gpointer        user_data,
                        GDestroyNotify  destroy)
{
  g_return_if_fail (PS_IS_SCHEDULER (self));

  if (self->clock_destroy != NULL)
    self->clock_destroy (self->clock_data);
  self->clock_func = func;
  self->clock_data = user_data;
  self->clock_destroy = destroy;
}

/**
 * ps_scheduler_set_runner:
 * @func: (nullable): starts one run; %NULL for the engine
 *
 * For tests: replaces the engine with @func.
 */
void
ps_scheduler_set_runner (PsScheduler        *self,
                         PsSchedulerRunFunc  func,
                         gpointer            user_data,
                         GDestroyNotify      destroy)
{
  g_return_if_fail (PS_IS_SCHEDULER (self));

  if (self->run_destroy != NULL)
    self->run_destroy (self->run_data);
  self->run_func = func != NULL ? func : run_with_engine;
  self->run_data = func != NULL ? user_data : NULL;
  self->run_destroy = func != NULL ? destroy : NULL;
}

/**
 * ps_scheduler_set_event_func:
 *
 * @func receives the engine's events of every scheduled run, and the
 * scheduler's own log lines (skips, back-off, the next run), on the
 * scheduler's main context.
 */
void
ps_scheduler_set_event_func (PsScheduler     *self,
                             PsSyncEventFunc  func,
                             gpointer         user_data,
                             GDestroyNotify   destroy)
{
  g_return_if_fail (PS_IS_SCHEDULER (self));

  if (self->event_destroy != NULL)
    self->event_destroy (self->event_data);
  self->event_func = func;
  self->event_data = user_data;
  self->event_destroy = destroy;
}

void
ps_scheduler_set_busy_retry (PsScheduler *self,
                             guint        seconds)
{
  g_return_if_fail (PS_IS_SCHEDULER (self));

  seconds = MAX (seconds, 1);
  if (seconds == self->busy_retry)
    return;
  self->busy_retry = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY_RETRY]);
}

guint
ps_scheduler_get_busy_retry (PsScheduler *self)
{
  g_return_val_if_fail (PS_IS_SCHEDULER (self), 0);
  return self->busy_retry;
}

/**
 * ps_scheduler_set_jitter:
 * @seconds: the most a run may start after its slot; 0 (the default) for none
 *
 * Spreads the runs of many profiles (or many sites) that share a start time,
 * so they do not all call Asset Panda at once. Each slot gets a fixed offset
 * from 0 to @seconds (at most a quarter of the period), derived from the
 * profile's id and the slot, so every process computes the same one.
 */
void
ps_scheduler_set_jitter (PsScheduler *self,
                         guint        seconds)
{
  g_return_if_fail (PS_IS_SCHEDULER (self));

  if (seconds == self->jitter)
    return;
  self->jitter = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_JITTER]);
  ps_scheduler_reschedule (self);
}

guint
ps_scheduler_get_jitter (PsScheduler *self)
{
  g_return_val_if_fail (PS_IS_SCHEDULER (self), 0);
  return self->jitter;
}

/**
 * ps_scheduler_start:
 *
 * Computes the next run and arms the timer; a run that is already due (a
 * missed slot) starts from the main loop right away.
 */
void
ps_scheduler_start (PsScheduler *self)
{
  g_return_if_fail (PS_IS_SCHEDULER (self));

  self->started = TRUE;
  ps_scheduler_reschedule (self);
}

/* Disarms the timer; a run in progress goes on (see ps_scheduler_cancel()). */
void
ps_scheduler_stop (PsScheduler *self)
{
  g_return_if_fail (PS_IS_SCHEDULER (self));

  self->started = FALSE;
  stop_timer (self);
}

gboolean
ps_scheduler_is_started (PsScheduler *self)
{
  g_return_val_if_fail (PS_IS_SCHEDULER (self), FALSE);
  return self->started;
}

/**
 * ps_scheduler_reschedule:
 *
 * Recomputes the next run from the persisted state and the schedule (call it
 * after the profile's schedule changed) and re-arms the timer.
 */
void
ps_scheduler_reschedule (PsScheduler *self)
{
  g_return_if_fail (PS_IS_SCHEDULER (self));

  compute (self);
  arm_timer (self);
}

/**
 * ps_scheduler_check_now:
 *
 * Looks at the clock: starts the run when one is due (once, however many
 * slots were missed), unless a run is in progress here or in another
 * process. The timer calls this; tests and `pandasync-cli service --once`
 * call it directly.
 */
PsSchedulerCheck
ps_scheduler_check_now (PsScheduler *self)
{
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GTask) task = NULL;
  PsSyncOptions options = { 0 };

  g_return_val_if_fail (PS_IS_SCHEDULER (self), PS_SCHEDULER_CHECK_DISABLED);

  if (self->running)
    {
      /* Single flight: the slot is coalesced into the run that follows. */
      g_debug ("scheduler %s: a run is in progress; not starting another",
               ps_profile_get_name (self->profile));
      return PS_SCHEDULER_CHECK_RUNNING;
    }

  compute (self);
  if (self->next_run == NULL)
    {
      stop_timer (self);
      return PS_SCHEDULER_CHECK_DISABLED;
    }
  now = ps_scheduler_get_now (self);
  if (g_date_time_compare (self->next_run, now) > 0)
    {
      arm_timer (self);
      return PS_SCHEDULER_CHECK_NOT_DUE;
    }

  if (ps_engine_is_locked (self->profile))
    {
      g_autofree char *reason = NULL;
      g_autofree char *retry = NULL;

      g_clear_pointer (&self->retry_at, g_date_time_unref);
      self->retry_at = g_date_time_add_seconds (now, self->busy_retry);
      retry = format_local (self->retry_at);
      reason = g_strdup_printf (_("Skipped the scheduled run of “%s”: another sync of it is "
                                  "running (in the app, the command line or the background "
                                  "service). Trying again at %s."),
                                ps_profile_get_name (self->profile), retry);
      log_line (self, PS_LOG_WARNING, "%s", reason);
      compute (self);
      g_signal_emit (self, signals[SIGNAL_RUN_SKIPPED], 0, reason);
      arm_timer (self);
      return PS_SCHEDULER_CHECK_BUSY;
    }

  stop_timer (self);
  g_clear_pointer (&self->retry_at, g_date_time_unref);
  g_clear_pointer (&self->last_attempt, g_date_time_unref);
  self->last_attempt = g_date_time_ref (now);
  self->running = TRUE;
  self->cancellable = g_cancellable_new ();
  compute (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_signal_emit (self, signals[SIGNAL_RUN_STARTED], 0);

  options.trigger = self->trigger;
  options.due_at = g_date_time_to_unix (now);
  task = g_task_new (self, self->cancellable, on_run_finished_cb, g_object_ref (self));
  g_task_set_source_tag (task, ps_scheduler_check_now);
  g_task_set_check_cancellable (task, FALSE);
  self->run_func (self, &options, self->cancellable, task, self->run_data);
  return PS_SCHEDULER_CHECK_STARTED;
}

/* Cancels the run in progress, if any; run-finished follows. */
void
ps_scheduler_cancel (PsScheduler *self)
{
  g_return_if_fail (PS_IS_SCHEDULER (self));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

/**
 * ps_scheduler_get_now:
 *
 * Returns: (transfer full): the scheduler's idea of the current time
 */
GDateTime *
ps_scheduler_get_now (PsScheduler *self)
{
  g_return_val_if_fail (PS_IS_SCHEDULER (self), NULL);

  if (self->clock_func != NULL)
    return self->clock_func (self->clock_data);
  return g_date_time_new_now_local ();
}

/* Returns: (transfer none) (nullable): when the next run is due; at or
 * before now means "due" (missed slots coalesce into it). */
GDateTime *
ps_scheduler_get_next_run (PsScheduler *self)
{
  g_return_val_if_fail (PS_IS_SCHEDULER (self), NULL);
  return self->next_run;
}

/* Returns: (transfer none) (nullable): the start of the last real run. */
GDateTime *
ps_scheduler_get_last_run (PsScheduler *self)
{
  g_return_val_if_fail (PS_IS_SCHEDULER (self), NULL);
  return self->last_run;
}

gboolean
ps_scheduler_get_running (PsScheduler *self)
{
  g_return_val_if_fail (PS_IS_SCHEDULER (self), FALSE);
  return self->running;
}

/* TRUE after PS_SCHEDULER_MAX_FAILURES consecutive failed runs: the
 * scheduler tries once a day, and the app or service should alert. */
gboolean
ps_scheduler_get_failing (PsScheduler *self)
{
  g_return_val_if_fail (PS_IS_SCHEDULER (self), FALSE);
  return self->failing_message != NULL;
}

const char *
ps_scheduler_get_failing_message (PsScheduler *self)
{
  g_return_val_if_fail (PS_IS_SCHEDULER (self), NULL);
  return self->failing_message;
}

guint
ps_scheduler_get_consecutive_failures (PsScheduler *self)
{
  g_return_val_if_fail (PS_IS_SCHEDULER (self), 0);
  return self->failures;
}

/**
 * ps_scheduler_claim_service:
 *
 * Takes the profile's service lock for the life of the process (the
 * descriptor is close-on-exec; closing it releases the lock).
 *
 * Returns: the descriptor, or -1 with @error (PS_ENGINE_ERROR_BUSY when
 *   another service runs the profile)
 */
int
ps_scheduler_claim_service (PsProfile  *profile,
                            GError    **error)
{
  g_autofree char *path = NULL;
  g_autofree char *busy = NULL;

  g_return_val_if_fail (PS_IS_PROFILE (profile), -1);

  path = service_lock_path (profile);
  busy = g_strdup_printf (_("A PandaSync background service already runs the profile “%s”"),
                          ps_profile_get_name (profile));
  return ps_lock_take (path, busy, error);
}

/* TRUE while a background service (`pandasync-cli service`) runs the profile,
 * whether or not it is syncing right now. */
gboolean
ps_scheduler_service_is_active (PsProfile *profile)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (PS_IS_PROFILE (profile), FALSE);

  path = service_lock_path (profile);
  return ps_lock_is_held (path);
}
