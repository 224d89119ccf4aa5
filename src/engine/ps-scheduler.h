/* ps-scheduler.h — runs a profile's syncs on its schedule
 *
 * One PsScheduler watches one profile. It decides whether a run is due from
 * the profile's schedule (slots at start + k × period, see
 * ps_schedule_next_run()) and the start of the last real run persisted in the
 * profile's state, never from the timer alone: after a suspend, a restart or
 * a crash the next check finds the missed slots and runs once (missed slots
 * coalesce). It arms one timer on the thread-default main context of its
 * creator, capped so that a wake from suspend is noticed within a minute.
 *
 * Single-flight: it never starts a run while its own run is in progress,
 * and it skips (and retries after a short back-off) when another process —
 * the app, the command line or the background service — holds the profile's
 * sync lock. After PS_SCHEDULER_MAX_FAILURES consecutive failed runs it
 * backs off to one attempt a day and says so ("failing").
 *
 * The clock and the run itself are injectable, so tests can drive it
 * without waiting and without servers.
 */
#pragma once

#include <gio/gio.h>

#include "ps-engine.h"
#include "ps-profile.h"

G_BEGIN_DECLS

/* Consecutive failed runs after which the scheduler backs off to daily. */
#define PS_SCHEDULER_MAX_FAILURES 5

/* The longest the timer sleeps before it looks at the clock again. */
#define PS_SCHEDULER_MAX_SLEEP_SECONDS 60

#define PS_TYPE_SCHEDULER (ps_scheduler_get_type ())
G_DECLARE_FINAL_TYPE (PsScheduler, ps_scheduler, PS, SCHEDULER, GObject)

/* Returns the current time, (transfer full). */
typedef GDateTime *(*PsClockFunc) (gpointer user_data);

/* Starts one run. Completes @task (whose source object is the scheduler)
 * with g_task_return_pointer (task, result, ps_sync_result_free) or
 * g_task_return_error(); on the scheduler's main context. */
typedef void (*PsSchedulerRunFunc) (PsScheduler         *scheduler,
                                    const PsSyncOptions *options,
                                    GCancellable        *cancellable,
                                    GTask               *task,
                                    gpointer             user_data);

/* What ps_scheduler_check_now() did. */
typedef enum {
  PS_SCHEDULER_CHECK_DISABLED,   /* no enabled schedule */
  PS_SCHEDULER_CHECK_NOT_DUE,    /* the next run is in the future */
  PS_SCHEDULER_CHECK_STARTED,    /* a run was due and has started */
  PS_SCHEDULER_CHECK_RUNNING,    /* this scheduler's run is still in progress */
  PS_SCHEDULER_CHECK_BUSY,       /* another process holds the sync lock: skipped */
} PsSchedulerCheck;

const char *ps_scheduler_check_to_string (PsSchedulerCheck check);

PsScheduler      *ps_scheduler_new            (PsProfile   *profile,
                                               const char  *trigger);

PsProfile        *ps_scheduler_get_profile    (PsScheduler *self);
void              ps_scheduler_set_profile    (PsScheduler *self,
                                               PsProfile   *profile);
const char       *ps_scheduler_get_trigger    (PsScheduler *self);

void              ps_scheduler_set_clock      (PsScheduler    *self,
                                               PsClockFunc     func,
                                               gpointer        user_data,
                                               GDestroyNotify  destroy);
void              ps_scheduler_set_runner     (PsScheduler        *self,
                                               PsSchedulerRunFunc  func,
                                               gpointer            user_data,
                                               GDestroyNotify      destroy);
void              ps_scheduler_set_event_func (PsScheduler     *self,
                                               PsSyncEventFunc  func,
                                               gpointer         user_data,
                                               GDestroyNotify   destroy);
void              ps_scheduler_set_busy_retry (PsScheduler *self,
                                               guint        seconds);
guint             ps_scheduler_get_busy_retry (PsScheduler *self);
void              ps_scheduler_set_jitter     (PsScheduler *self,
                                               guint        seconds);
guint             ps_scheduler_get_jitter     (PsScheduler *self);

void              ps_scheduler_start          (PsScheduler *self);
void              ps_scheduler_stop           (PsScheduler *self);
gboolean          ps_scheduler_is_started     (PsScheduler *self);
void              ps_scheduler_reschedule     (PsScheduler *self);
PsSchedulerCheck  ps_scheduler_check_now      (PsScheduler *self);
void              ps_scheduler_cancel         (PsScheduler *self);

GDateTime        *ps_scheduler_get_now        (PsScheduler *self);
GDateTime        *ps_scheduler_get_next_run   (PsScheduler *self);
GDateTime        *ps_scheduler_get_last_run   (PsScheduler *self);
gboolean          ps_scheduler_get_running    (PsScheduler *self);
gboolean          ps_scheduler_get_failing    (PsScheduler *self);
const char       *ps_scheduler_get_failing_message (PsScheduler *self);
guint             ps_scheduler_get_consecutive_failures (PsScheduler *self);

/* The background service holds a second lock next to the state file for its
 * whole life (not only while it syncs), so that the app can show that it is
 * there and a second service for the same profile refuses to start. */
int               ps_scheduler_claim_service  (PsProfile   *profile,
                                               GError     **error);
gboolean          ps_scheduler_service_is_active (PsProfile *profile);

G_END_DECLS
