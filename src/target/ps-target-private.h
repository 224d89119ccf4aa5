/* ps-target-private.h — what the dialects share (private to src/target) */
#pragma once

#include "ps-target.h"
#include "ps-target-http.h"
#include "ps-secret-store.h"

G_BEGIN_DECLS

PsHttp     *ps_target_get_http      (PsTarget *self);
const PsTargetConfig *ps_target_get_config (PsTarget *self);
const char *ps_target_get_secret    (PsTarget *self, PsSecretKind kind);
void        ps_target_set_logged_in (PsTarget *self, gboolean logged_in);
/* The token's lifetime from the sign-in answer; 0 when unknown. */
void        ps_target_set_token_lifetime (PsTarget *self, gint64 seconds);

/* Runs @calls with the dialect's credentials; signs in first when needed and
 * again, once, when Asset Panda says the token expired. On FALSE, calls that
 * did not finish carry the error too. */
gboolean    ps_target_run           (PsTarget *self, GPtrArray *calls,
                                     GCancellable *cancellable, GError **error);
/* One call; returns its parsed answer. */
JsonNode   *ps_target_call          (PsTarget *self, PsHttpCall *call,
                                     GCancellable *cancellable, GError **error);
/* The fields of a collection, read once per target. */
GPtrArray  *ps_target_get_fields_cached (PsTarget *self, const char *account,
                                         const char *module, const char *collection,
                                         GCancellable *cancellable, GError **error);
/* The JSON object of @write's values; single-select values become option ids.
 * @builtin lists keys that are valid without a field definition. */
JsonObject *ps_target_build_values  (PsTarget *self, GPtrArray *fields, PsTargetWrite *write,
                                     const char *const *builtin, GError **error);
/* One search of many run together by the lookup_records vfunc. */
typedef struct {
  PsTargetQuery *query;    /* in */
  GPtrArray     *records;  /* out: PsTargetRecord* of the first page, or NULL */
  GError        *error;    /* out: why the search failed */
} PsTargetLookup;

/* After an ambiguous create: look each write up by its anchor. Found ones
 * are done (existed = TRUE); others are returned for a new create; writes
 * without an anchor get an AMBIGUOUS error. */
GPtrArray  *ps_target_resolve_ambiguous (PsTarget *self, const char *account,
                                         const char *module, const char *collection,
                                         GPtrArray *writes, GCancellable *cancellable,
                                         GError **error);
/* The end of one round of a batch write: stop on @fatal (taken), look the
 * @ambiguous creates up by anchor (those not found go to @next), and make
 * @next the @todo of the following round. */
gboolean    ps_target_end_write_round (PsTarget *self, const char *account, const char *module,
                                       const char *collection, GError **fatal,
                                       GPtrArray *ambiguous, GPtrArray *next, GPtrArray *todo,
                                       GCancellable *cancellable, GError **error);
gboolean    ps_target_check_scope   (PsTarget *self, const char *account, const char *module,
                                     const char *collection, GError **error);

/* ---- JSON helpers: liberal readers */
char       *ps_json_text            (JsonNode *node);
char       *ps_json_member_text     (JsonObject *object, ...) G_GNUC_NULL_TERMINATED;
gboolean    ps_json_member_bool     (JsonObject *object, gboolean fallback, ...) G_GNUC_NULL_TERMINATED;
/* The first array found at one of @paths ("data.records", "objects", "" = root). */
JsonArray  *ps_json_find_array      (JsonNode *root, ...) G_GNUC_NULL_TERMINATED;
JsonObject *ps_json_find_object     (JsonNode *root, ...) G_GNUC_NULL_TERMINATED;
/* Reads a value as text, and as option id + label when it is {id, value}
 * or {id, display_name} (or displayName, label, name). */
void        ps_json_read_value      (JsonNode *node, char **text, char **option_id);

/* ---- provisional endpoints and shapes (ps-target-provisional.c) */
PsHttpCall *ps_provisional_pro_roles_call      (const char *account, const char *module);
GPtrArray  *ps_provisional_pro_parse_roles     (PsHttpCall *call, JsonNode *root, GError **error);
PsHttpCall *ps_provisional_pro_users_call      (const char *account, const char *module);
GPtrArray  *ps_provisional_pro_parse_users     (PsHttpCall *call, JsonNode *root, GError **error);
PsTargetUser *ps_provisional_pro_parse_user    (JsonObject *object);
PsHttpCall *ps_provisional_pro_invite_call     (const char *account, const char *module,
                                                const PsTargetUserSpec *spec);
PsHttpCall *ps_provisional_pro_user_update_call (const char *account, const char *module,
                                                 const char *user_id, const char *role_id,
                                                 int active);
PsHttpCall *ps_provisional_classic_set_active_call (const char *user_id, gboolean active);
void        ps_provisional_parse_options       (PsDialect dialect, JsonObject *definition,
                                                PsTargetField *field);
JsonNode   *ps_provisional_option_value        (PsDialect dialect, const PsTargetOption *option);

/* ---- the dialects */
void        ps_target_classic_attach   (PsTarget *target);
void        ps_target_pro_attach       (PsTarget *target);

G_END_DECLS
