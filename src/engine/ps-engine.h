/* ps-engine.h — one sync of a profile: read, plan, (apply), record
 *
 * A run reads the directory and Asset Panda for each enabled mapping (all
 * user mappings first, then all collection mappings, one after another),
 * plans, and — unless it is a dry run — applies exactly that plan. A failing
 * mapping never stops the others; every per-record error is kept with its
 * reason in the run history.
 *
 * Only one run of a profile at a time, across processes: the app, the CLI
 * and the background service share a lock next to the profile's state file.
 *
 * ps_engine_run_sync() blocks: call it from a worker thread (the CLI and the
 * service call it directly). ps_engine_run_async() runs it in a GTask thread
 * and delivers events to the caller's main context, batched.
 */
#pragma once

#include <gio/gio.h>

#include "ps-engine-error.h"
#include "ps-plan.h"
#include "ps-profile.h"
#include "ps-state.h"

G_BEGIN_DECLS

typedef enum {
  PS_LOG_DEBUG,
  PS_LOG_INFO,
  PS_LOG_WARNING,
  PS_LOG_ERROR,
} PsLogLevel;

const char *ps_log_level_to_string (PsLogLevel level);

typedef enum {
  PS_SYNC_EVENT_LOG,        /* a log line */
  PS_SYNC_EVENT_PROGRESS,   /* done / total for a mapping's writes */
  PS_SYNC_EVENT_MAPPING,    /* a mapping finished: its counts */
} PsSyncEventKind;

typedef struct {
  PsSyncEventKind kind;
  PsLogLevel      level;
  gint64          time_us;     /* wall clock */
  char           *mapping;     /* NULL for run-wide lines */
  char           *message;
  guint           done;
  guint           total;
  guint           counts[PS_ACTION_N_KINDS];
  char           *status;      /* PS_SYNC_EVENT_MAPPING: ready, paused, failed … */
} PsSyncEvent;

void         ps_sync_event_free (PsSyncEvent *event);
PsSyncEvent *ps_sync_event_copy (const PsSyncEvent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsSyncEvent, ps_sync_event_free)

typedef void (*PsSyncEventFunc) (const PsSyncEvent *event, gpointer user_data);

typedef struct {
  gboolean    dry_run;
  char       *only_mapping;          /* NULL: every enabled mapping */
  gboolean    allow_deactivations;   /* release the threshold for this run */
  gboolean    full;                  /* reconcile everything, not only what changed */
  char       *trigger;               /* manual | schedule | service | cli */
  PsPlan     *expected_plan;         /* "apply this plan": stop if the data changed since */
  /* The scheduler decided at this time (unix seconds; 0: no check) that a
   * run is due; under the lock, the run does not start if another real run
   * started since, so two processes never both take one slot. */
  gint64      due_at;
} PsSyncOptions;

/* Per mapping: what happened. */
typedef struct {
  char        *name;
  char        *status;        /* succeeded | failed | paused | cancelled | dry-run | disabled */
  char        *message;
  guint        created, updated, deactivated, reactivated, skipped, failed, linked;
} PsMappingResult;

typedef struct {
  gint64       run_id;
  PsRunStatus  status;
  PsPlan      *plan;
  GPtrArray   *mappings;      /* of PsMappingResult* */
} PsSyncResult;

void ps_sync_result_free (PsSyncResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsSyncResult, ps_sync_result_free)

#define PS_TYPE_ENGINE (ps_engine_get_type ())
G_DECLARE_FINAL_TYPE (PsEngine, ps_engine, PS, ENGINE, GObject)

PsEngine     *ps_engine_new            (PsProfile *profile);
void          ps_engine_set_event_func (PsEngine *self, PsSyncEventFunc func,
                                        gpointer user_data, GDestroyNotify destroy);
PsSyncResult *ps_engine_run_sync       (PsEngine *self, const PsSyncOptions *options,
                                        GCancellable *cancellable, GError **error);
void          ps_engine_run_async      (PsEngine *self, const PsSyncOptions *options,
                                        GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data);
PsSyncResult *ps_engine_run_finish     (PsEngine *self, GAsyncResult *result, GError **error);

/* TRUE when another process (or thread) holds the profile's sync lock. */
gboolean      ps_engine_is_locked      (PsProfile *profile);

/* The size of a mapping's scope, read as a sync reads it: the members of its
 * group (@members), those under its SearchBase and matching its Filter
 * (@in_scope), and of those the enabled ones (@enabled). Blocks: call it
 * from a worker thread. Nothing is written. */
gboolean      ps_engine_count_scope_sync (PsEngine        *self,
                                          const PsMapping *mapping,
                                          guint           *members,
                                          guint           *in_scope,
                                          guint           *enabled,
                                          GCancellable    *cancellable,
                                          GError         **error);

/* Another user mapping that covers some of the same people. */
typedef struct {
  char  *mapping;      /* its name */
  char  *group_name;   /* its group, as people know it */
  guint  position;     /* its index in the profile's mappings */
  guint  shared;       /* how many people both cover */
} PsEngineOverlap;

void          ps_engine_overlap_free   (PsEngineOverlap *overlap);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsEngineOverlap, ps_engine_overlap_free)

GPtrArray    *ps_engine_count_overlaps_sync (PsEngine         *self,
                                             const PsMapping  *mapping,
                                             const char       *replaces,
                                             GCancellable     *cancellable,
                                             GError          **error);
GHashTable   *ps_engine_count_claims_sync (PsEngine      *self,
                                           GCancellable  *cancellable,
                                           GError       **error);
gboolean      ps_engine_rename_mapping_sync (PsEngine    *self,
                                             const char  *from,
                                             const char  *to,
                                             GError     **error);

G_END_DECLS
