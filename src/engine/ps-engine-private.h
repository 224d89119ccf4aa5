/* ps-engine-private.h — what the files of the sync engine share
 *
 * A run is split by what it does: ps-engine.c (the run itself, its events
 * and the public API), ps-engine-read.c (reading Asset Panda, the delta, the
 * source query and adoption), ps-engine-plan.c (planning one mapping) and
 * ps-engine-apply.c (writing one mapping's plan). Nothing here is public.
 */
#pragma once

#include "ps-engine.h"
#include "ps-ldap-syntax.h"
#include "ps-secret-store.h"
#include "ps-source.h"
#include "ps-target.h"

G_BEGIN_DECLS

/* Writes go to Asset Panda in chunks, so progress, intents and links are
 * recorded as the run goes and a killed run loses at most one chunk's
 * bookkeeping (which the next run recovers by anchor). A chunk holds several
 * of the API's batches (100 records on Classic), so that the target can
 * keep its parallel calls busy. */
#define WRITE_CHUNK 400

struct _PsEngine
{
  GObject          parent_instance;

  PsProfile       *profile;
  PsSyncEventFunc  event_func;
  gpointer         event_data;
  GDestroyNotify   event_destroy;
};

/* What the planner needs, resolved against Asset Panda, for one mapping. */
typedef struct {
  PsMapping     *mapping;       /* a copy, with field names resolved to keys */
  PsMappingPlan *plan;
  char          *anchor_key;    /* records: the field holding the anchor */
  char          *status_active;
  char          *status_inactive;
  char          *status_none;
  GHashTable    *own_anchors;   /* adoption: the unlinked records' anchors that are the source's */
  GHashTable    *foreign_ids;   /* adoption: records other mappings manage */
  gboolean       guard_held;    /* the read looked too small: keep the last count */
  gboolean       delta;         /* planned from what changed, not a full reconciliation */
  char          *new_mark;      /* the source's watermark, read before this run's read */
} MappingWork;

typedef struct {
  PsEngine            *engine;
  const PsSyncOptions *options;
  GCancellable        *cancellable;
  PsState             *state;
  gint64               run_id;
  PsSource            *source;
  PsTarget            *target;
  GHashTable          *claimed;    /* users: anchor → mapping name */
  PsSyncResult        *result;
  PsNames             *names;      /* Asset Panda's names: remembered, and what this run listed */
  PsNames             *listed;     /* what this run listed, to remember */
  gboolean             roles_listed;       /* asked once per run at most, when a */
  gboolean             collections_listed; /*   name was not known yet */
} Run;

/* A mapping as a source reads it. The strings stay owned by @m. */
typedef struct {
  PsSourceQuery  query;
  GPtrArray     *specs;     /* const char* */
  GPtrArray     *keys;      /* char*, the profile keys naming them */
  Run           *run;
} Query;

/* ps-engine.c */
void        ps_mapping_work_free     (MappingWork *work);
void        ps_engine_emit           (Run *run, PsSyncEvent *event);
void        ps_engine_log            (Run *run, PsLogLevel level, const char *mapping,
                                      const char *format, ...) G_GNUC_PRINTF (4, 5);
void        ps_engine_progress       (Run *run, const char *mapping, guint done, guint total);
void        ps_engine_record_action  (Run *run, const char *mapping, const PsAction *action,
                                      const char *new_id, const GError *error);
gboolean    ps_engine_error_is_fatal (const GError *error);

/* ps-engine-read.c */
gboolean    ps_engine_prepare_collection (Run *run, MappingWork *work, GError **error);
GPtrArray  *ps_engine_read_items         (Run *run, MappingWork *work, GError **error);
GPtrArray  *ps_engine_read_records_for   (Run *run, MappingWork *work, GPtrArray *people,
                                          GHashTable *links, gboolean *full, GError **error);
void        ps_engine_split_delta        (const PsMapping *m, GPtrArray *people, GHashTable *links,
                                          const PsPlanContext *ctx, GPtrArray *dirty,
                                          GHashTable *dirty_links);
gboolean    ps_engine_delta_allowed      (Run *run, const PsMapping *m, GHashTable *links);
void        ps_engine_query_init         (Query *q, Run *run, const PsMapping *m);
void        ps_engine_query_clear        (Query *q);
GHashTable *ps_engine_known_from_links   (GHashTable *links);
gboolean    ps_engine_prepare_adoption   (Run *run, MappingWork *work, const PsMapping *original,
                                          const PsSourceQuery *query, GPtrArray *people,
                                          GPtrArray *items, GHashTable *links, PsPlanContext *ctx,
                                          GError **error);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Query, ps_engine_query_clear)

/* ps-engine-plan.c */
MappingWork *ps_engine_fail_work (Run *run, MappingWork *work, const GError *error);
MappingWork *ps_engine_plan_one  (Run *run, const PsMapping *original);

/* ps-engine-apply.c */
PsMappingResult *ps_engine_apply_one         (Run *run, MappingWork *work);
void             ps_engine_emit_mapping_done (Run *run, const PsMappingResult *r);

G_END_DECLS
