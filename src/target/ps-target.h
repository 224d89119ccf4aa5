/* ps-target.h — the Asset Panda target, for the sync engine and the wizard
 *
 * PsTarget is an abstract class with one subclass per API dialect
 * (PsTargetClassic, PsTargetPro: contract §1–§2). Make one with
 * ps_target_new_for_profile(): it picks the dialect and loads the secrets.
 *
 * Threading: the `_sync` functions block and are meant for a worker thread
 * (the engine's) or for the CLI. Inside, a call fans out into many
 * concurrent HTTP requests on the target's private main context. A PsTarget
 * serves one `_sync` call at a time; concurrent callers wait their turn.
 * The GUI uses the `_async`/`_finish` pairs, which run the `_sync` function
 * in a GTask thread.
 *
 * Ids: Classic needs no account or module (pass NULL or what
 * ps_target_list_accounts_sync() returned); Pro needs both.
 */
#pragma once

#include <gio/gio.h>

#include "ps-profile.h"
#include "ps-connection-step.h"
#include "ps-target-error.h"
#include "ps-target-types.h"

G_BEGIN_DECLS

#define PS_TYPE_TARGET (ps_target_get_type ())
G_DECLARE_DERIVABLE_TYPE (PsTarget, ps_target, PS, TARGET, GObject)

struct _PsTargetClass
{
  GObjectClass parent_class;

  /* Classic signs in for a token; Pro has nothing to do. */
  gboolean    (*login)            (PsTarget *self, GCancellable *cancellable, GError **error);

  GPtrArray  *(*list_accounts)    (PsTarget *self, GCancellable *cancellable, GError **error);
  GPtrArray  *(*list_modules)     (PsTarget *self, const char *account,
                                   GCancellable *cancellable, GError **error);
  GPtrArray  *(*list_roles)       (PsTarget *self, const char *account, const char *module,
                                   GCancellable *cancellable, GError **error);
  GPtrArray  *(*list_collections) (PsTarget *self, const char *account, const char *module,
                                   GCancellable *cancellable, GError **error);
  GPtrArray  *(*list_fields)      (PsTarget *self, const char *account, const char *module,
                                   const char *collection,
                                   GCancellable *cancellable, GError **error);
  GPtrArray  *(*list_users)       (PsTarget *self, const char *account, const char *module,
                                   GCancellable *cancellable, GError **error);

  GPtrArray  *(*search_records)   (PsTarget *self, const char *account, const char *module,
                                   const char *collection, const PsTargetQuery *query,
                                   GCancellable *cancellable, GError **error);
  gboolean    (*write_records)    (PsTarget *self, const char *account, const char *module,
                                   const char *collection, GPtrArray *writes,
                                   GCancellable *cancellable, GError **error);
  gboolean    (*archive_records)  (PsTarget *self, const char *account, const char *module,
                                   const char *collection, GPtrArray *ids, gboolean archive,
                                   GCancellable *cancellable, GError **error);

  PsTargetUser *(*create_user)    (PsTarget *self, const char *account, const char *module,
                                   const PsTargetUserSpec *spec,
                                   GCancellable *cancellable, GError **error);
  gboolean    (*set_user_role)    (PsTarget *self, const char *account, const char *module,
                                   const char *user_id, const char *role_id,
                                   GCancellable *cancellable, GError **error);
  gboolean    (*set_user_active)  (PsTarget *self, const char *account, const char *module,
                                   const char *user_id, gboolean active,
                                   GCancellable *cancellable, GError **error);

  /* Runs many searches at once and reads the first page of each: the
   * lookups by anchor after creates whose outcome is unknown. @lookups is
   * a GPtrArray of PsTargetLookup* (ps-target-private.h). */
  void        (*lookup_records)   (PsTarget *self, const char *account, const char *module,
                                   const char *collection, GPtrArray *lookups,
                                   GCancellable *cancellable);

  gpointer padding[7];
};

/* ---- construction */

PsTarget   *ps_target_new_for_profile (PsProfile *profile, GCancellable *cancellable,
                                       GError **error);
/* For tests and tools: explicit settings and secrets (copied). */
PsTarget   *ps_target_new             (const PsTargetConfig *config,
                                       const char *client_secret, const char *password,
                                       GError **error);
PsDialect   ps_target_get_dialect     (PsTarget *self);
const char *ps_target_get_url         (PsTarget *self);

/* ---- discovery (GPtrArray of PsTargetEntity* / PsTargetField* / PsTargetUser*) */

GPtrArray  *ps_target_list_accounts_sync    (PsTarget *self, GCancellable *cancellable,
                                             GError **error);
GPtrArray  *ps_target_list_modules_sync     (PsTarget *self, const char *account,
                                             GCancellable *cancellable, GError **error);
GPtrArray  *ps_target_list_roles_sync       (PsTarget *self, const char *account,
                                             const char *module,
                                             GCancellable *cancellable, GError **error);
GPtrArray  *ps_target_list_collections_sync (PsTarget *self, const char *account,
                                             const char *module,
                                             GCancellable *cancellable, GError **error);
GPtrArray  *ps_target_list_fields_sync      (PsTarget *self, const char *account,
                                             const char *module, const char *collection,
                                             GCancellable *cancellable, GError **error);
GPtrArray  *ps_target_list_users_sync       (PsTarget *self, const char *account,
                                             const char *module,
                                             GCancellable *cancellable, GError **error);

/* ---- records (GPtrArray of PsTargetRecord*) */

/* Every page of the matching records (@query may be NULL: everything). */
GPtrArray  *ps_target_search_records_sync   (PsTarget *self, const char *account,
                                             const char *module, const char *collection,
                                             const PsTargetQuery *query,
                                             GCancellable *cancellable, GError **error);
/* The record whose unique @field is @value, or NULL without error when none. */
PsTargetRecord *ps_target_find_record_by_anchor_sync (PsTarget *self, const char *account,
                                                      const char *module, const char *collection,
                                                      const char *field, const char *value,
                                                      GCancellable *cancellable, GError **error);

/* The batch API. @writes is a GPtrArray of PsTargetWrite*: creates (no
 * record_id) and updates, in any number. They go out batched where the
 * dialect allows (Classic: {objects:[…]} of up to 100; Pro: POST batches, PUT
 * at most 5), many requests at once. Values of single-select fields may be an
 * option label or id: they are sent as the option id. Each write gets its own
 * outcome (done, new_id, or error); a per-record failure (422 …) never stops
 * the batch. Returns FALSE only when the whole batch had to stop: wrong
 * credentials, no permission (403), cancellation — then writes not yet done
 * carry that error too. A create whose outcome is unknown (the connection
 * dropped after it was sent) is looked up by its anchor, never re-sent
 * blindly. */
gboolean    ps_target_write_records_sync    (PsTarget *self, const char *account,
                                             const char *module, const char *collection,
                                             GPtrArray *writes,
                                             GCancellable *cancellable, GError **error);
/* One record: a create when @record_id is NULL. Returns the record's id. */
char       *ps_target_write_record_sync     (PsTarget *self, const char *account,
                                             const char *module, const char *collection,
                                             const char *record_id, GHashTable *values,
                                             GCancellable *cancellable, GError **error);
/* Sets a single-select field by its option (label or id). */
gboolean    ps_target_set_option_sync       (PsTarget *self, const char *account,
                                             const char *module, const char *collection,
                                             const char *record_id, const char *field,
                                             const char *option,
                                             GCancellable *cancellable, GError **error);
/* Archive (or unarchive) records by id; Classic only. */
gboolean    ps_target_archive_records_sync  (PsTarget *self, const char *account,
                                             const char *module, const char *collection,
                                             GPtrArray *ids, gboolean archive,
                                             GCancellable *cancellable, GError **error);

/* ---- login users */

PsTargetUser *ps_target_create_user_sync    (PsTarget *self, const char *account,
                                             const char *module, const PsTargetUserSpec *spec,
                                             GCancellable *cancellable, GError **error);
gboolean    ps_target_set_user_role_sync    (PsTarget *self, const char *account,
                                             const char *module, const char *user_id,
                                             const char *role_id,
                                             GCancellable *cancellable, GError **error);
gboolean    ps_target_set_user_active_sync  (PsTarget *self, const char *account,
                                             const char *module, const char *user_id,
                                             gboolean active,
                                             GCancellable *cancellable, GError **error);

/* ---- connection test: resolve → connect → TLS → authenticate → accounts
 * → (Classic) permission to manage users. A GPtrArray of PsConnectionStep*,
 * never NULL; failures are in the steps. */
GPtrArray  *ps_target_test_connection_sync  (PsTarget *self, GCancellable *cancellable);
void        ps_target_test_connection_async (PsTarget *self, GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data);
GPtrArray  *ps_target_test_connection_finish (PsTarget *self, GAsyncResult *result);

/* ---- async wrappers for the wizard (GTask threads). @kind selects the list;
 * @account/@module/@collection as for the _sync functions. The result is
 * a GPtrArray as the matching _sync function returns. */
typedef enum {
  PS_TARGET_LIST_ACCOUNTS,
  PS_TARGET_LIST_MODULES,
  PS_TARGET_LIST_ROLES,
  PS_TARGET_LIST_COLLECTIONS,
  PS_TARGET_LIST_FIELDS,
  PS_TARGET_LIST_USERS,
} PsTargetListKind;

void        ps_target_list_async            (PsTarget *self, PsTargetListKind kind,
                                             const char *account, const char *module,
                                             const char *collection, GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data);
GPtrArray  *ps_target_list_finish           (PsTarget *self, GAsyncResult *result,
                                             GError **error);

/* ---- transport figures, for the benchmark and the log */
typedef struct {
  guint64 requests;
  guint64 retries;
  guint64 rate_limited;
  guint64 unavailable;
  guint64 connection_errors;
  guint64 malformed;          /* 2xx answers cut off or not JSON */
} PsTargetStats;

void        ps_target_get_stats             (PsTarget *self, PsTargetStats *stats);
/* Shortens backoff (tests); base 1 s and cap 60 s by default. */
void        ps_target_set_backoff           (PsTarget *self, guint base_ms, guint cap_ms);
/* How long to wait for a connection, and then for each read or write
 * (tests); 60 s by default. */
void        ps_target_set_timeout           (PsTarget *self, guint seconds);
/* A kept-alive connection idle for @seconds (default 30) is closed, never reused. */
void        ps_target_set_idle_timeout      (PsTarget *self, guint seconds);

G_END_DECLS
