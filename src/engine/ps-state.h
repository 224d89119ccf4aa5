/* ps-state.h — sync state and run history, in one SQLite file per profile
 *
 * The file (WAL mode) holds:
 *  - links: directory anchor ↔ Asset Panda id per mapping, with a hash of the
 *    values last written and whether PandaSync last set the item active;
 *  - intents: writes that were started but not confirmed (a create that may
 *    or may not have reached Asset Panda), so the next run looks the item up
 *    by its anchor before sending again;
 *  - watermarks: per mapping, the DC, its invocationId and highestCommittedUSN
 *    of the last successful read, and when the last full read happened;
 *  - source counts: the size of the last successful read per mapping, for the
 *    empty-source guard;
 *  - runs, with per-mapping counts, per-record actions and log lines.
 *
 * A PsState belongs to one thread; open one per thread (SQLite handles the
 * concurrency between them).
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  char     *anchor;
  char     *target_id;
  char     *values_hash;
  char     *dn;
  gboolean  active;
} PsLink;

PsLink *ps_link_new  (const char *anchor, const char *target_id);
void    ps_link_free (PsLink *link);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsLink, ps_link_free)

typedef struct {
  char   *token;          /* the source's own watermark (opaque), or NULL */
  gint64  full_at;        /* unix time of the last full read */
} PsWatermark;

void ps_watermark_free (PsWatermark *mark);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsWatermark, ps_watermark_free)

typedef enum {
  PS_RUN_RUNNING,
  PS_RUN_SUCCEEDED,
  PS_RUN_FAILED,      /* a mapping failed, or a record did */
  PS_RUN_PAUSED,      /* a safety limit held a mapping back */
  PS_RUN_CANCELLED,
  PS_RUN_INTERRUPTED, /* the process ended during the run */
} PsRunStatus;

const char *ps_run_status_to_string (PsRunStatus status);

typedef struct {
  gint64       id;
  gint64       started_at;   /* unix seconds */
  gint64       finished_at;  /* 0 while running */
  char        *trigger;      /* "manual", "schedule", "service", "cli" */
  gboolean     dry_run;
  PsRunStatus  status;
  guint        created, updated, deactivated, reactivated, skipped, failed, paused;
} PsRunInfo;

void ps_run_info_free (PsRunInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsRunInfo, ps_run_info_free)

#define PS_TYPE_STATE (ps_state_get_type ())
G_DECLARE_FINAL_TYPE (PsState, ps_state, PS, STATE, GObject)

PsState    *ps_state_open          (const char *path, GError **error);
const char *ps_state_get_path      (PsState *self);

gboolean    ps_state_begin         (PsState *self, GError **error);
gboolean    ps_state_commit        (PsState *self, GError **error);
void        ps_state_rollback      (PsState *self);

/* links (anchor → PsLink*) */
GHashTable *ps_state_load_links    (PsState *self, const char *mapping, GError **error);
gboolean    ps_state_put_link      (PsState *self, const char *mapping, const PsLink *link, GError **error);
gboolean    ps_state_delete_link   (PsState *self, const char *mapping, const char *anchor, GError **error);
guint       ps_state_count_links   (PsState *self, const char *mapping, gboolean active_only);
gboolean    ps_state_rename_mapping (PsState *self, const char *from, const char *to, GError **error);

/* intents */
gboolean    ps_state_add_intent    (PsState *self, const char *mapping, const char *anchor,
                                    const char *operation, GError **error);
gboolean    ps_state_clear_intent  (PsState *self, const char *mapping, const char *anchor, GError **error);
GHashTable *ps_state_load_intents  (PsState *self, const char *mapping, GError **error); /* anchor → op */

/* watermarks and counts */
PsWatermark *ps_state_get_watermark (PsState *self, const char *mapping);
gboolean     ps_state_set_watermark (PsState *self, const char *mapping, const PsWatermark *mark,
                                     GError **error);
gboolean     ps_state_clear_watermark (PsState *self, const char *mapping, GError **error);
gint64       ps_state_get_source_count (PsState *self, const char *mapping);
gboolean     ps_state_set_source_count (PsState *self, const char *mapping, gint64 count,
                                        GError **error);

/* runs */
gint64      ps_state_begin_run     (PsState *self, const char *trigger, gboolean dry_run, GError **error);
gboolean    ps_state_finish_run    (PsState *self, gint64 run_id, PsRunStatus status, GError **error);
gboolean    ps_state_add_run_mapping (PsState *self, gint64 run_id, const char *mapping,
                                      const char *status, const guint counts[7],
                                      const char *message, GError **error);
gboolean    ps_state_add_action    (PsState *self, gint64 run_id, const char *mapping,
                                    const char *action, const char *anchor, const char *target_id,
                                    const char *name, const char *email, const char *changes_json,
                                    const char *error_text, GError **error);
gboolean    ps_state_add_log       (PsState *self, gint64 run_id, const char *level,
                                    const char *mapping, const char *message, GError **error);
/* A run's outline (ps_plan_outline_to_data ()): its mappings' ids and
 * Asset Panda's names for them when it ran; NULL (no error) when it has none. */
gboolean    ps_state_set_run_outline (PsState *self, gint64 run_id, const char *outline,
                                      GError **error);
char       *ps_state_dup_run_outline (PsState *self, gint64 run_id, GError **error);
GPtrArray  *ps_state_list_runs     (PsState *self, guint limit, GError **error);
PsRunInfo  *ps_state_get_run       (PsState *self, gint64 run_id, GError **error);
gint64      ps_state_last_run_start (PsState *self, gboolean real_runs_only);
guint       ps_state_mark_interrupted (PsState *self);

/* Iterates the actions of a run: each row as a NULL-terminated array of
 * mapping, action, anchor, target_id, name, changes_json, error, email. */
typedef void (*PsStateRowFunc) (const char *const *row, gpointer user_data);
gboolean    ps_state_foreach_action (PsState *self, gint64 run_id, PsStateRowFunc func,
                                     gpointer user_data, GError **error);
gboolean    ps_state_foreach_log    (PsState *self, gint64 run_id, PsStateRowFunc func,
                                     gpointer user_data, GError **error);
gboolean    ps_state_foreach_run_mapping (PsState *self, gint64 run_id, PsStateRowFunc func,
                                          gpointer user_data, GError **error);
/* When a real run last did @action (e.g. "deactivate") to each Asset Panda
 * item of @mapping: target id → PsRunStamp*. */
typedef struct {
  gint64 run_id;
  gint64 started_at;   /* unix seconds: when that run started */
} PsRunStamp;

GHashTable *ps_state_last_actions   (PsState *self, const char *mapping, const char *action,
                                     GError **error);
/* The names (char*) of the mappings with at least one successful real run. */
GPtrArray  *ps_state_list_applied_mappings (PsState *self, GError **error);

G_END_DECLS
