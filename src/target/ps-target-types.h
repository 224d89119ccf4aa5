/* ps-target-types.h — dialect-neutral Asset Panda values
 *
 * The sync engine and the wizard see only these: no path, no JSON shape.
 * Ids are strings in both dialects (Classic ids are numbers or hex strings,
 * Pro ids are ULIDs).
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
  PS_TARGET_ACCOUNT,
  PS_TARGET_MODULE,
  PS_TARGET_ROLE,
  PS_TARGET_COLLECTION,
} PsTargetEntityKind;

/* An account, a module, a role or a collection: what the wizard lists. */
typedef struct {
  PsTargetEntityKind kind;
  char *id;
  char *name;
  char *key;           /* Classic group key ("employees"), or NULL */
} PsTargetEntity;

/* One choice of a single-select field. */
typedef struct {
  char *id;
  char *label;
} PsTargetOption;

typedef enum {
  PS_FIELD_TEXT,
  PS_FIELD_NUMBER,
  PS_FIELD_DATE,
  PS_FIELD_BOOLEAN,
  PS_FIELD_SINGLE_SELECT,  /* list / status: values are options */
  PS_FIELD_LINK,           /* a record of another collection, or a user */
  PS_FIELD_OTHER,
} PsFieldType;

typedef struct {
  char        *key;        /* what records are keyed by: field_N, or the Pro column id */
  char        *id;         /* the field's own id (Classic numeric id; Pro = key) */
  char        *name;
  char        *type_name;  /* as Asset Panda says it */
  PsFieldType  type;
  gboolean     required;
  gboolean     unique;
  GPtrArray   *options;    /* of PsTargetOption*, single-select only */
} PsTargetField;

typedef struct {
  char     *id;
  char     *email;
  char     *first_name;
  char     *last_name;
  char     *role_id;
  gboolean  active;
  gboolean  admin;
  char     *anchor;        /* integ_ad_sid (Classic); NULL where the dialect has none */
} PsTargetUser;

/* A record: field key → value as text. Single-select values are their
 * option's label in @values, and the option id is kept in @option_ids. */
typedef struct {
  char       *id;
  gboolean    archived;
  char       *updated_at;  /* ISO 8601, or NULL */
  GHashTable *values;      /* char* key → char* value */
  GHashTable *option_ids;  /* char* key → char* option id */
} PsTargetRecord;

/* What to look for. All members are optional and combine with AND. */
typedef struct {
  GHashTable *filters;     /* field key → exact value */
  GPtrArray  *ids;         /* of char*: records with these ids */
  GDateTime  *modified_since;
  gboolean    include_archived;
  guint       limit;       /* 0 = all */
} PsTargetQuery;

/* One record write of a batch: a create when @record_id is NULL, else an
 * update. Fill the inputs, hand a GPtrArray of them to
 * ps_target_write_records_sync(), read the outputs. */
typedef struct {
  /* in */
  char       *record_id;
  GHashTable *values;       /* field key → text; single-select: the option label or id */
  char       *anchor_field; /* creates: the unique field that identifies the record */
  char       *anchor_value; /*   (integ_ad_sid or the mapped field) */
  gpointer    user_data;
  /* out */
  gboolean    done;         /* TRUE when Asset Panda has the values */
  gboolean    existed;      /* a create found its anchor already there (after a crash) */
  char       *new_id;       /* the id of a created (or found) record */
  GError     *error;        /* per-record failure; never aborts the batch */
} PsTargetWrite;

/* What a user write does. */
typedef struct {
  char     *email;
  char     *first_name;
  char     *last_name;
  char     *role_id;
  char     *anchor;
} PsTargetUserSpec;

PsTargetEntity *ps_target_entity_new   (PsTargetEntityKind kind, const char *id,
                                        const char *name, const char *key);
void            ps_target_entity_free  (PsTargetEntity *entity);
const char     *ps_target_entity_kind_to_string (PsTargetEntityKind kind);

PsTargetOption *ps_target_option_new   (const char *id, const char *label);
void            ps_target_option_free  (PsTargetOption *option);

PsTargetField  *ps_target_field_new    (void);
void            ps_target_field_free   (PsTargetField *field);
const char     *ps_field_type_to_string (PsFieldType type);
/* The option whose id or label (case-insensitive) is @text, or NULL. */
const PsTargetOption *ps_target_field_find_option (const PsTargetField *field, const char *text);
/* The field whose key, id or name is @text, or NULL. */
PsTargetField  *ps_target_fields_find  (GPtrArray *fields, const char *text);

PsTargetUser   *ps_target_user_new     (void);
void            ps_target_user_free    (PsTargetUser *user);

PsTargetRecord *ps_target_record_new   (const char *id);
PsTargetRecord *ps_target_record_copy  (const PsTargetRecord *record);
void            ps_target_record_free  (PsTargetRecord *record);
const char     *ps_target_record_get   (const PsTargetRecord *record, const char *key);

PsTargetQuery  *ps_target_query_new    (void);
void            ps_target_query_free   (PsTargetQuery *query);
void            ps_target_query_add_filter (PsTargetQuery *query, const char *key, const char *value);
void            ps_target_query_add_id (PsTargetQuery *query, const char *id);

PsTargetWrite  *ps_target_write_new_create (const char *anchor_field, const char *anchor_value);
PsTargetWrite  *ps_target_write_new_update (const char *record_id);
void            ps_target_write_set    (PsTargetWrite *write, const char *key, const char *value);
void            ps_target_write_free   (PsTargetWrite *write);

void            ps_target_user_spec_free (PsTargetUserSpec *spec);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsTargetEntity, ps_target_entity_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsTargetOption, ps_target_option_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsTargetField, ps_target_field_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsTargetUser, ps_target_user_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsTargetRecord, ps_target_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsTargetQuery, ps_target_query_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsTargetWrite, ps_target_write_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsTargetUserSpec, ps_target_user_spec_free)

G_END_DECLS
