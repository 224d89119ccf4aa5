/* ps-gui-backend.h — everything the pages ask of the identity source and Asset Panda
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The pages never call src/source or src/target themselves: they go through
 * these few GIO-style async functions, which run the blocking work in a GTask
 * thread and hand the result back on the caller's main context. The identity
 * source (Active Directory, Microsoft Entra ID or Okta) is known here only as a
 * PsSource. Keeping the seam in one file keeps the pages testable and the
 * wiring in one place.
 */
#pragma once

#include <gio/gio.h>

#include "ps-connection-step.h"
#include "ps-profile.h"
#include "ps-service-install.h"

G_BEGIN_DECLS

/* The form field a failed connection step points at. */
typedef enum {
  PS_GUI_FIELD_NONE,
  PS_GUI_FIELD_API_URL,
  PS_GUI_FIELD_API_CLIENT_ID,
  PS_GUI_FIELD_API_CLIENT_SECRET,
  PS_GUI_FIELD_API_EMAIL,
  PS_GUI_FIELD_API_PASSWORD,
  PS_GUI_FIELD_AD_URIS,
  PS_GUI_FIELD_AD_CA_FILE,
  PS_GUI_FIELD_AD_USER,
  PS_GUI_FIELD_AD_PASSWORD,
  PS_GUI_FIELD_AD_BASE_DN,
  PS_GUI_FIELD_ENTRA_TENANT,
  PS_GUI_FIELD_ENTRA_CLIENT_ID,
  PS_GUI_FIELD_ENTRA_CLIENT_SECRET,
  PS_GUI_FIELD_ENTRA_LOGIN_URL,
  PS_GUI_FIELD_ENTRA_GRAPH_URL,
  PS_GUI_FIELD_ENTRA_CA_FILE,
  PS_GUI_FIELD_OKTA_URL,
  PS_GUI_FIELD_OKTA_TOKEN,
  PS_GUI_FIELD_OKTA_CA_FILE,
  PS_GUI_N_FIELDS
} PsGuiField;

typedef struct {
  char *api_client_secret;
  char *api_password;
  char *bind_password;         /* Active Directory */
  char *entra_client_secret;   /* Microsoft Entra ID */
  char *okta_api_token;        /* Okta */
} PsGuiSecrets;

PsGuiSecrets *ps_gui_secrets_new  (const char *api_client_secret,
                                   const char *api_password,
                                   const char *bind_password,
                                   const char *entra_client_secret,
                                   const char *okta_api_token);
void          ps_gui_secrets_free (PsGuiSecrets *secrets);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsGuiSecrets, ps_gui_secrets_free)

typedef struct {
  gboolean          directory;   /* TRUE: a step of the identity source; FALSE: of Asset Panda */
  PsConnectionStep *step;
  PsGuiField        field;       /* the field at fault when the step failed */
} PsGuiStepResult;

void ps_gui_step_result_free (PsGuiStepResult *result);

typedef enum {
  PS_GUI_LIST_ACCOUNTS,
  PS_GUI_LIST_MODULES,       /* of an account */
  PS_GUI_LIST_ROLES,         /* of an account's module */
  PS_GUI_LIST_COLLECTIONS,   /* of an account's module */
  PS_GUI_LIST_FIELDS,        /* of a collection */
  PS_GUI_LIST_GROUPS,        /* the source's groups matching a search text, by id */
  PS_GUI_LIST_ATTRIBUTES,    /* the attributes the source suggests for a mapping */
} PsGuiListKind;

typedef struct {
  char  *id;
  char  *name;
  char  *type;      /* fields: the field type, e.g. "single_select" */
  char **options;   /* fields: the options of a single-select field */
} PsGuiChoice;

PsGuiChoice *ps_gui_choice_new  (const char *id,
                                 const char *name);
void         ps_gui_choice_free (PsGuiChoice *choice);

/* The name of the collection field that tracks each record's AD status. */
#define PS_GUI_STATUS_FIELD_NAME "Integration Status AD"

/* Runs both connection tests, Asset Panda's and that of the identity source
 * @profile names (with the secrets of the form, which need not be stored
 * yet); the result is a GPtrArray of PsGuiStepResult*, Asset Panda's steps
 * first. A failed test is not an error: it is a failed step. The error is for
 * "could not run at all" (and cancellation). */
void       ps_gui_backend_test_connections_async  (PsProfile           *profile,
                                                   const PsGuiSecrets  *secrets,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
GPtrArray *ps_gui_backend_test_connections_finish (GAsyncResult  *result,
                                                   GError       **error);

/* Stores the non-empty secrets in the keyring (or, without one, for the
 * session); the source's secret as PS_SECRET_BIND_PASSWORD,
 * PS_SECRET_ENTRA_CLIENT_SECRET or PS_SECRET_OKTA_API_TOKEN. */
void       ps_gui_backend_store_secrets_async     (PsProfile           *profile,
                                                   const PsGuiSecrets  *secrets,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean   ps_gui_backend_store_secrets_finish    (GAsyncResult  *result,
                                                   GError       **error);

void          ps_gui_backend_lookup_secrets_async  (PsProfile           *profile,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
PsGuiSecrets *ps_gui_backend_lookup_secrets_finish (GAsyncResult  *result,
                                                    GError       **error);

/* Lists choices for a combo: modules of @account, roles and collections of
 * @account's @module, fields of the collection @detail, the groups of the
 * profile's source matching the search text @detail (each by its immutable
 * id), or the attributes that source suggests. Returns a GPtrArray of
 * PsGuiChoice*. */
void       ps_gui_backend_list_async  (PsProfile           *profile,
                                       PsGuiListKind        kind,
                                       const char          *account,
                                       const char          *module,
                                       const char          *detail,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
GPtrArray *ps_gui_backend_list_finish (GAsyncResult  *result,
                                       GError       **error);

/* When the last real (not dry-run) sync of @profile started, from its run
 * history; NULL (and no error) when it never ran. */
void       ps_gui_backend_last_run_async  (PsProfile           *profile,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
GDateTime *ps_gui_backend_last_run_finish (GAsyncResult  *result,
                                           GError       **error);

/* The size of a mapping's scope (ps_engine_count_scope_sync). */
typedef struct {
  guint members;    /* of the group */
  guint in_scope;   /* of those, under SearchBase and matching Filter */
  guint enabled;    /* of those in scope, the enabled ones */
} PsGuiScopeCount;

/* Counts the people @mapping covers, reading the directory as a sync does.
 * @mapping is copied at once: pass the page's current form, never a mapping
 * of the profile. The error names what is wrong (a filter that does not
 * parse, an unknown attribute, a search base that does not exist). */
void     ps_gui_backend_count_scope_async  (PsProfile           *profile,
                                            const PsMapping     *mapping,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean ps_gui_backend_count_scope_finish (GAsyncResult     *result,
                                            PsGuiScopeCount  *count,
                                            GError          **error);

/* The other user mappings that share people with @mapping (the form; an
 * edit of the mapping @replaces, which is left out), read from the source
 * in a worker: a GPtrArray of PsEngineOverlap* (ps-engine.h), in the
 * profile's order. */
void       ps_gui_backend_count_overlaps_async  (PsProfile           *profile,
                                                 const PsMapping     *mapping,
                                                 const char          *replaces,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
GPtrArray *ps_gui_backend_count_overlaps_finish (GAsyncResult  *result,
                                                 GError       **error);

/* For each user mapping of @profile, the people earlier ones manage
 * (ps_engine_count_claims_sync), read in a worker: mapping name → a
 * GPtrArray of PsEngineOverlap*. */
void        ps_gui_backend_count_claims_async  (PsProfile           *profile,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
GHashTable *ps_gui_backend_count_claims_finish (GAsyncResult  *result,
                                                GError       **error);

/* Carries the sync state of the mapping @from over to the name @to
 * (ps_engine_rename_mapping_sync), before the profile renames it. */
void       ps_gui_backend_rename_mapping_async  (PsProfile           *profile,
                                                 const char          *from,
                                                 const char          *to,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean   ps_gui_backend_rename_mapping_finish (GAsyncResult  *result,
                                                 GError       **error);

/* How the latest real run of a profile went, for the tray. */
typedef enum {
  PS_GUI_RUN_NONE,      /* never ran */
  PS_GUI_RUN_RUNNING,
  PS_GUI_RUN_OK,        /* succeeded, or was cancelled */
  PS_GUI_RUN_FAILED,    /* failed, paused or interrupted */
} PsGuiRunState;

typedef struct {
  PsGuiRunState  state;
  GDateTime     *started;   /* NULL with PS_GUI_RUN_NONE */
  char          *detail;    /* translated, for PS_GUI_RUN_FAILED: what went wrong and when */
} PsGuiLatestRun;

void ps_gui_latest_run_free (PsGuiLatestRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsGuiLatestRun, ps_gui_latest_run_free)

void            ps_gui_backend_latest_run_async  (PsProfile           *profile,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
PsGuiLatestRun *ps_gui_backend_latest_run_finish (GAsyncResult  *result,
                                                  GError       **error);

/* The profile's background service (ps-service-install.c): what systemd
 * and the profile's history say of it, or installing or removing it. The
 * work runs in a worker on a snapshot of @profile taken now; the result is
 * a PsServiceStatus (ps_service_status_free). */
typedef enum {
  PS_GUI_SERVICE_STATUS,
  PS_GUI_SERVICE_INSTALL,
  PS_GUI_SERVICE_REMOVE,
} PsGuiServiceAction;

void             ps_gui_backend_service_async  (PsProfile           *profile,
                                                PsGuiServiceAction   action,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
PsServiceStatus *ps_gui_backend_service_finish (GAsyncResult  *result,
                                                GError       **error);

/* ---------------------------------------------------------------- run history
 *
 * The run history of the profile's state file, read in a worker; a profile
 * that never ran has none (empty results, no error). */

/* The names of @profile's mappings that have had a successful real run, as a
 * set (GHashTable of char*): for any other mapping the next run is its first. */
void        ps_gui_backend_applied_mappings_async  (PsProfile           *profile,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
GHashTable *ps_gui_backend_applied_mappings_finish (GAsyncResult  *result,
                                                    GError       **error);

/* How many people @mapping manages: its links in the sync state. */
void     ps_gui_backend_count_links_async  (PsProfile           *profile,
                                            const char          *mapping,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean ps_gui_backend_count_links_finish (GAsyncResult  *result,
                                            guint         *count,
                                            GError       **error);

/* The newest @limit runs (0: all), newest first: a GPtrArray of PsRunInfo*
 * (ps-state.h). */
void       ps_gui_backend_list_runs_async  (PsProfile           *profile,
                                            guint                limit,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
GPtrArray *ps_gui_backend_list_runs_finish (GAsyncResult  *result,
                                            GError       **error);

/* One action of a run, as the history recorded it. */
typedef struct {
  char *mapping;
  char *action;      /* create, update, deactivate, reactivate, link, skip, failed */
  char *name;        /* the person (their anchor when the name is unknown) */
  char *email;       /* theirs, or "" when the run did not know it */
  char *anchor;
  char *target_id;   /* the Asset Panda id */
  char *changes;     /* "First Name: old → new; …", named as when the run ran */
  char *detail;      /* why, or the error */
} PsGuiRunAction;

void ps_gui_run_action_free (PsGuiRunAction *action);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsGuiRunAction, ps_gui_run_action_free)

/* The first @limit (0: all) actions of run @run_id in order, a GPtrArray of
 * PsGuiRunAction*; @total is how many the run has. */
void       ps_gui_backend_run_actions_async  (PsProfile           *profile,
                                              gint64               run_id,
                                              guint                limit,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GPtrArray *ps_gui_backend_run_actions_finish (GAsyncResult  *result,
                                              guint         *total,
                                              GError       **error);

/* One line of a run's log. */
typedef struct {
  gint64  time;      /* unix seconds */
  char   *level;     /* info, warning, error */
  char   *mapping;   /* NULL for run-wide lines */
  char   *message;
} PsGuiRunLogLine;

void ps_gui_run_log_line_free (PsGuiRunLogLine *line);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsGuiRunLogLine, ps_gui_run_log_line_free)

/* The log of run @run_id, a GPtrArray of PsGuiRunLogLine*. */
void       ps_gui_backend_run_log_async  (PsProfile           *profile,
                                          gint64               run_id,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
GPtrArray *ps_gui_backend_run_log_finish (GAsyncResult  *result,
                                          GError       **error);

/* Writes every action of run @run_id to @path as CSV (run, time, mapping,
 * collection, action, person, email, anchor, Asset Panda id, changes,
 * detail), named as when it ran; @rows is how many were written. */
void     ps_gui_backend_export_run_async  (PsProfile           *profile,
                                           gint64               run_id,
                                           const char          *path,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean ps_gui_backend_export_run_finish (GAsyncResult  *result,
                                           guint         *rows,
                                           GError       **error);

/* The leavers report (ps_report_leavers_sync) on a snapshot of @profile
 * taken now: a GPtrArray of PsLeaverAsset* (ps-report.h). */
void       ps_gui_backend_leavers_async  (PsProfile           *profile,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
GPtrArray *ps_gui_backend_leavers_finish (GAsyncResult  *result,
                                          GError       **error);

/* Writes the leavers report's @rows (PsLeaverAsset*, kept alive until it is
 * done) to @path as CSV (ps_report_leavers_to_csv ()); @rows on finish is
 * how many were written. */
void     ps_gui_backend_export_leavers_async  (GPtrArray           *rows,
                                               const char          *path,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean ps_gui_backend_export_leavers_finish (GAsyncResult  *result,
                                               guint         *rows,
                                               GError       **error);

G_END_DECLS
