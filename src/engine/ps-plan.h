/* ps-plan.h — what a sync will do, mapping by mapping
 *
 * The engine first reads both sides and computes a plan; a dry run prints or
 * exports it, a real run applies exactly it. The plan never names an API path
 * or a JSON shape: a field is a collection field key (or, for users, one of
 * "email", "first_name", "last_name", "role").
 */
#pragma once

#include <json-glib/json-glib.h>

#include "ps-names.h"
#include "ps-person.h"
#include "ps-profile.h"

G_BEGIN_DECLS

/* A user or a record as Asset Panda has it. */
typedef struct {
  char       *id;
  char       *anchor;   /* integ_ad_sid or the unique field's value; NULL when unset */
  char       *email;    /* users: the login email; records: NULL */
  gboolean    active;   /* users: is active; records: not archived and status not Inactive */
  char       *status;   /* records: the status field's label, or NULL */
  char       *role;     /* users: role id */
  GHashTable *values;   /* field → value; users: email, first_name, last_name */
} PsItem;

PsItem     *ps_item_new       (const char *id);
void        ps_item_free      (PsItem *item);
void        ps_item_set_value (PsItem *item, const char *field, const char *value);
const char *ps_item_get_value (const PsItem *item, const char *field);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsItem, ps_item_free)

typedef enum {
  PS_ACTION_CREATE,
  PS_ACTION_UPDATE,
  PS_ACTION_DEACTIVATE,
  PS_ACTION_REACTIVATE,
  PS_ACTION_LINK,      /* first match, nothing to write: only the local link is stored */
  PS_ACTION_SKIP,
  PS_ACTION_N_KINDS
} PsActionKind;

const char *ps_action_kind_to_string (PsActionKind kind);
gboolean    ps_action_kind_from_string (const char *text, PsActionKind *out);

/* One block with its strings (ps_action_add_change ()); read-only. */
typedef struct {
  char *field;
  char *old_value;
  char *new_value;
} PsChange;

typedef struct {
  PsActionKind  kind;
  char         *anchor;
  char         *remote_anchor;
  char         *target_id;    /* NULL for a create */
  char         *name;
  char         *email;        /* the person's, or the item's: for people reading the plan */
  char         *dn;
  char         *reason;       /* why: skip reasons, deactivation causes */
  GPtrArray    *changes;      /* of PsChange*; for a create, every field written */
  char         *values_hash;  /* hash of the mapped values after the action */
  gboolean      active_after; /* whether the item is active once this is done */
} PsAction;

PsAction *ps_action_new        (PsActionKind kind, const char *anchor, const char *target_id);
void      ps_action_free       (PsAction *action);
void      ps_action_add_change (PsAction *action, const char *field,
                                const char *old_value, const char *new_value);
const char *ps_action_get_new_value (const PsAction *action, const char *field);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsAction, ps_action_free)

typedef enum {
  PS_MAPPING_PLAN_READY,
  PS_MAPPING_PLAN_PAUSED,   /* a safety limit holds it back; nothing will be written */
  PS_MAPPING_PLAN_FAILED,   /* it could not be planned (read failed, config) */
  PS_MAPPING_PLAN_DISABLED,
} PsMappingPlanStatus;

typedef struct {
  char                *name;
  PsMappingKind        kind;
  char                *account;        /* Asset Panda ids, for names (ps-names.h) */
  char                *collection;     /* collections only */
  PsMappingPlanStatus  status;
  char                *message;        /* why paused or failed; guard notes */
  guint                source_count;   /* people read from the directory */
  guint                managed_count;  /* items PandaSync manages for it */
  guint                threshold;      /* deactivations allowed before pausing; 0 = no limit */
  gboolean             delta;          /* read only what changed */
  GPtrArray           *actions;        /* of PsAction* */
} PsMappingPlan;

PsMappingPlan *ps_mapping_plan_new   (const char *name, PsMappingKind kind);
void           ps_mapping_plan_free  (PsMappingPlan *plan);
guint          ps_mapping_plan_count (const PsMappingPlan *plan, PsActionKind kind);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsMappingPlan, ps_mapping_plan_free)

typedef struct {
  char      *profile;
  GDateTime *created;
  gint64     run_id;     /* the run that planned it; 0 when unknown */
  GPtrArray *mappings;   /* of PsMappingPlan* */
  PsNames   *names;      /* what Asset Panda called its ids when it was planned */
} PsPlan;

PsPlan   *ps_plan_new       (const char *profile);
void      ps_plan_free      (PsPlan *plan);
JsonNode *ps_plan_to_json   (const PsPlan *plan);
char     *ps_plan_to_csv    (const PsPlan *plan);
PsPlan   *ps_plan_from_json (JsonNode *node, GError **error);
gboolean  ps_plan_write     (const PsPlan *plan, const char *path, GError **error);
/* For people: a change's field ("First Name", "Role") and value (a role's
 * name instead of its id), from the plan's names; the id when unknown. */
char     *ps_plan_field_label (const PsPlan *plan, const PsMappingPlan *mapping,
                               const char *field);
char     *ps_plan_value_label (const PsPlan *plan, const PsMappingPlan *mapping,
                               const char *field, const char *value);
/* "First Name: Ann → Anna; Role: Basic → Admin" */
char     *ps_plan_describe_changes (const PsPlan *plan, const PsMappingPlan *mapping,
                                    const PsAction *action);
PsMappingPlan *ps_plan_find_mapping (const PsPlan *plan, const char *name);
/* The plan without its actions (its mappings' ids and the names), as the
 * run history keeps it; read back with ps_plan_from_json(). */
char     *ps_plan_outline_to_data (const PsPlan *plan);
/* The plan's writes as comparable lines ("create Employees S-1-5-…"), for
 * checking that a run did what its preview said. */
GPtrArray *ps_plan_summary_lines (const PsPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsPlan, ps_plan_free)

/* ---------------------------------------------------------------- planning */

typedef struct {
  gboolean    allow_deactivations;  /* the explicit per-run release of the threshold */
  gint64      last_source_count;    /* -1 when unknown */
  gboolean    source_complete;      /* FALSE: the read failed or was partial */
  const char *status_active;        /* labels of the status field's options */
  const char *status_inactive;
  const char *status_none;
  GHashTable *claimed;              /* anchors claimed by earlier user mappings → mapping name */
  /* A delta plan sees only the people and items that may have changed;
   * these give the whole mapping's sizes for the threshold and the guards
   * (0: count what is passed). */
  guint       total_people;
  guint       total_managed;
  /* Adoption (collections, full plans only): a record that carries an
   * anchor of this directory is managed whether or not a link says so. */
  gboolean    adopt;
  GHashTable *own_anchors;          /* anchors of unlinked items that belong to this source,
                                       lower-case (ps_source_own_anchors_sync ()) */
  GHashTable *foreign_ids;          /* item ids linked by another mapping of the profile */
} PsPlanContext;

PsMappingPlan *ps_plan_mapping (const PsMapping   *mapping,
                                GPtrArray         *people,   /* of PsPerson* */
                                GPtrArray         *items,    /* of PsItem* */
                                GHashTable        *links,    /* anchor → PsLink* */
                                const PsPlanContext *context);

guint  ps_deactivation_threshold (const PsMapping *mapping, guint managed);
/* The hash the plan would store for @person: equal to the link's hash when
 * nothing PandaSync writes has changed since the last run. */
char  *ps_plan_person_hash       (const PsMapping *mapping, const PsPerson *person,
                                  const PsPlanContext *context);
char  *ps_values_hash            (GHashTable *values);

G_END_DECLS
