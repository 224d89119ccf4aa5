/* ps-graph-client.h — Microsoft Graph v1.0, read-only, for the Entra ID source
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * § numbers refer to the Entra ID / Graph read contract (entra-graph.md).
 *
 * Authentication: OAuth 2.0 client credentials against
 * {login_base}/{tenant}/oauth2/v2.0/token with scope {graph_base}/.default
 * (§1.1). The token is cached and renewed shortly before it expires
 * (2 minutes, or a quarter of its lifetime when that is shorter), and once
 * more when Graph answers 401 (§0.7). The secret is copied into the client,
 * never logged, and wiped when the client is finalized. With a certificate
 * (ps-entra-certificate.h) each token request carries a fresh signed
 * assertion instead.
 *
 * Requests: every read is a GET of JSON with an explicit $select; pages are
 * followed through @odata.nextLink verbatim (an opaque URL, which must point
 * at the configured Graph host). 429, 503 and 504 honour Retry-After
 * (seconds, decimal seconds or an HTTP-date, capped at 180 s), else capped
 * exponential backoff with full jitter; a dropped connection or a cut-off
 * or malformed 2xx body is asked again; at most max_attempts tries per
 * request (3 when the host never took the connection). A Retry-After
 * pauses every request of the client, not only the one that got it.
 *
 * Results that can hold 100,000 entries (members, delta rounds, deleted
 * users) are streamed: each page's `value` array goes to a PsGraphPageFunc
 * and is dropped after it returns. A page is re-asked, never re-delivered.
 *
 * Threads: every `_sync` call blocks and is meant for a worker thread. A
 * PsGraphClient may be used from several threads at once; at most
 * `concurrency` requests are on the wire at a time, and one token serves
 * them all. The `_async` pairs run the `_sync` call in a GTask thread.
 *
 * Errors: PS_ENTRA_ERROR (ps-entra-error.h), or G_IO_ERROR_CANCELLED.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "ps-connection-step.h"
#include "ps-entra-error.h"

G_BEGIN_DECLS

#define PS_GRAPH_DEFAULT_LOGIN_BASE  "https://login.microsoftonline.com"
#define PS_GRAPH_DEFAULT_GRAPH_BASE  "https://graph.microsoft.com"
#define PS_GRAPH_MAX_PAGE_SIZE       999
#define PS_GRAPH_MAX_FILTER_IDS      50   /* ids per `id eq … or …` filter of a delta query */

/* Where and as whom to connect. Copied by ps_graph_client_new (); the
 * secret is passed beside it, never kept in a profile. */
typedef struct {
  char  *tenant;            /* tenant id (GUID) or a verified domain */
  char  *client_id;         /* the application (client) id */
  char  *login_base;        /* NULL: https://login.microsoftonline.com (§1.5) */
  char  *graph_base;        /* NULL: https://graph.microsoft.com; also the scope prefix */
  char  *ca_file;           /* optional extra certificate authority (tests, TLS proxies) */
  char  *certificate_file;  /* optional PEM file with a certificate and its RSA private
                             * key: a signed client assertion (§1.2) instead of a secret;
                             * the secret is then the key's passphrase, or NULL */
  gboolean certificate_rs256; /* sign assertions RS256 instead of PS256 (older tenants) */
  guint  timeout;           /* seconds per request; 0: 60 */
  guint  page_size;         /* $top of collection reads, 1–999; 0: 999 */
  guint  concurrency;       /* requests on the wire at once; 0: 4 */
} PsEntraConfig;

/* What a members read met (ps_graph_client_read_*_members_sync ()).
 * Members are told apart by their own @odata.type. A member without one,
 * or a page that cannot be read, is unclassifiable: the read then fails
 * with PS_ENTRA_ERROR_PARTIAL after delivering everything else. */
typedef struct {
  guint      users;
  guint      groups;
  guint      devices;
  guint      contacts;            /* orgContact */
  guint      service_principals;
  guint      other;               /* another @odata.type (named in `other_types`) */
  guint      unclassifiable;      /* no @odata.type, not an object, or in an unreadable page */
  guint      unreadable_pages;    /* pages that stayed cut off or malformed */
  guint      limited_users;       /* users whose selected properties were all null (§3.3) */
  guint      duplicates;          /* the same member id met again (not delivered twice) */
  guint      pages;
  GPtrArray *other_types;         /* the distinct other @odata.type values */
  GPtrArray *unclassified_ids;    /* ids of unclassifiable members, when they had one (≤ 100) */
} PsGraphMemberReport;

PsGraphMemberReport *ps_graph_member_report_new  (void);
void                 ps_graph_member_report_free (PsGraphMemberReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsGraphMemberReport, ps_graph_member_report_free)

/* A group, as the wizard shows it. */
typedef struct {
  char     *id;
  char     *display_name;
  char     *description;
  gboolean  security_enabled;
  gboolean  mail_enabled;
  gboolean  unified;              /* a Microsoft 365 group (groupTypes has "Unified") */
  gboolean  dynamic;              /* groupTypes has "DynamicMembership" */
} PsGraphGroup;

PsGraphGroup *ps_graph_group_new_from_json (JsonObject *object);
void          ps_graph_group_free          (PsGraphGroup *group);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsGraphGroup, ps_graph_group_free)

/* One groups/delta filter (§4.3): ≤ 50 group ids and the delta link of
 * its last complete round, or NULL before the first. */
typedef struct {
  GPtrArray *group_ids;           /* of char* */
  char      *delta_link;
} PsGraphDeltaRound;

PsGraphDeltaRound *ps_graph_delta_round_new  (void);
PsGraphDeltaRound *ps_graph_delta_round_copy (const PsGraphDeltaRound *round);
void               ps_graph_delta_round_free (PsGraphDeltaRound *round);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsGraphDeltaRound, ps_graph_delta_round_free)

/* The rounds that cover @group_ids: every round of @previous (of
 * PsGraphDeltaRound*, may be NULL) that still holds one of them is kept
 * as it is, with its link (its filter is encoded in the link); the ids no
 * kept round covers go into new rounds of at most 50, without a link.
 * Rounds whose groups all left are dropped. Returns a new array. */
GPtrArray *ps_graph_delta_rounds_plan (GPtrArray         *previous,
                                       const char *const *group_ids);

/* Called with each page's `value` array; return FALSE with @error set to
 * stop. Take a reference to keep an element. */
typedef gboolean (*PsGraphPageFunc) (JsonArray  *value,
                                     gpointer    user_data,
                                     GError    **error);

/* How many requests the client sent, for logs and tests. */
typedef struct {
  guint64 requests;        /* HTTP requests to Graph put on the wire (retries included) */
  guint64 token_requests;  /* requests to the token endpoint */
  guint64 retries;
  guint64 throttled;       /* 429 answers */
  guint64 unavailable;     /* 5xx answers */
  guint64 connection_errors;
  guint64 malformed;       /* 2xx answers cut off or not JSON */
  guint64 renewals;        /* tokens renewed after a 401 */
} PsGraphStats;

#define PS_TYPE_GRAPH_CLIENT (ps_graph_client_get_type ())
G_DECLARE_FINAL_TYPE (PsGraphClient, ps_graph_client, PS, GRAPH_CLIENT, GObject)

/* Checks @config (a tenant, a client id, http(s) URLs, a readable CA file)
 * and copies it with @secret. Sends nothing. */
PsGraphClient *ps_graph_client_new           (const PsEntraConfig  *config,
                                              const char           *secret,
                                              GError              **error);
/* Retries: at most @max_attempts tries per request (≥ 1; default 6),
 * backoff from @base_ms doubling up to @cap_ms (defaults 1 s and 60 s). */
void           ps_graph_client_set_retry     (PsGraphClient *self,
                                              guint          max_attempts,
                                              guint          base_ms,
                                              guint          cap_ms);
void           ps_graph_client_get_stats     (PsGraphClient *self,
                                              PsGraphStats  *stats);
const char    *ps_graph_client_get_graph_base (PsGraphClient *self);

/* Signs in (or reuses a token that is still good). TRUE when a token is
 * held; the token itself never leaves the client. */
gboolean       ps_graph_client_get_token_sync (PsGraphClient  *self,
                                               GCancellable   *cancellable,
                                               GError        **error);

/* Groups whose displayName starts with @search (all groups when NULL or
 * empty; the one group when @search is a group id), at most @limit
 * (0: no limit), sorted by name. Returns PsGraphGroup*. */
GPtrArray     *ps_graph_client_find_groups_sync   (PsGraphClient  *self,
                                                   const char     *search,
                                                   guint           limit,
                                                   GCancellable   *cancellable,
                                                   GError        **error);
void           ps_graph_client_find_groups_async  (PsGraphClient       *self,
                                                   const char          *search,
                                                   guint                limit,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
GPtrArray     *ps_graph_client_find_groups_finish (PsGraphClient  *self,
                                                   GAsyncResult   *result,
                                                   GError        **error);
/* Groups whose displayName equals @name exactly (names are not unique). */
GPtrArray     *ps_graph_client_find_groups_by_name_sync (PsGraphClient  *self,
                                                         const char     *name,
                                                         GCancellable   *cancellable,
                                                         GError        **error);
/* One group by id; PS_ENTRA_ERROR_NOT_FOUND when it does not exist. */
PsGraphGroup  *ps_graph_client_get_group_sync     (PsGraphClient  *self,
                                                   const char     *id,
                                                   GCancellable   *cancellable,
                                                   GError        **error);

/* Every user in @group_id, nesting resolved by Graph (§0.4): delivers
 * only the `#microsoft.graph.user` members of each page, each once, with
 * @select (NULL: ps_graph_default_user_select ()); counts the others in
 * @report (optional, also set on failure). A member that cannot be
 * classified, or a page that stays unreadable, makes the call fail with
 * PS_ENTRA_ERROR_PARTIAL after everything else was delivered; when every
 * user came back with null properties (§3.3) it fails with
 * PS_ENTRA_ERROR_PERMISSION naming User.Read.All. */
gboolean       ps_graph_client_read_transitive_members_sync (PsGraphClient         *self,
                                                             const char            *group_id,
                                                             const char *const     *select,
                                                             PsGraphPageFunc        func,
                                                             gpointer               user_data,
                                                             PsGraphMemberReport  **report,
                                                             GCancellable          *cancellable,
                                                             GError               **error);
/* The direct members of @group_id, every type (users, nested groups, …),
 * for the nesting graph: delivers each page's members as they are (each
 * with its @odata.type), with @select (NULL: id, displayName). The same
 * PARTIAL rule and @report as above. */
gboolean       ps_graph_client_read_direct_members_sync     (PsGraphClient         *self,
                                                             const char            *group_id,
                                                             const char *const     *select,
                                                             PsGraphPageFunc        func,
                                                             gpointer               user_data,
                                                             PsGraphMemberReport  **report,
                                                             GCancellable          *cancellable,
                                                             GError               **error);

/* One round of users/delta (§4.1): from @delta_link, or a new round with
 * @select (NULL: the default) when it is NULL; every page goes to @func
 * (full objects, and `@removed` entries: ps_graph_object_removed_reason ()).
 * On success *@new_delta_link holds the round's deltaLink, to be stored
 * with the data of the round. PS_ENTRA_ERROR_RESYNC_REQUIRED when the
 * link has expired: drop it and read everything again. */
gboolean       ps_graph_client_users_delta_sync  (PsGraphClient      *self,
                                                  const char         *delta_link,
                                                  const char *const  *select,
                                                  PsGraphPageFunc     func,
                                                  gpointer            user_data,
                                                  char              **new_delta_link,
                                                  GCancellable       *cancellable,
                                                  GError            **error);
/* "Sync from now": a users/delta link with @select that returns only the
 * changes made after this call (`$deltatoken=latest`); take it before a
 * full read so that nothing falls between the two (§7.2). */
char          *ps_graph_client_users_delta_latest_sync (PsGraphClient      *self,
                                                        const char *const  *select,
                                                        GCancellable       *cancellable,
                                                        GError            **error);

/* groups/delta over every group of a scope's nesting tree (§0.5, §4.3):
 * the rounds for @group_ids are planned from @previous_rounds
 * (ps_graph_delta_rounds_plan ()), then each runs once — from its link,
 * or, for a new round, `$select=members&$filter=id eq '…' or …` (which
 * lists the groups' current direct members: read new groups in full first,
 * so that those listings are no news). Pages go to @func: group objects with
 * `members@delta` (ps_graph_group_members_delta ()); the same group can
 * come in several pages. On success *@new_rounds holds every round with
 * its new link. A no-op round costs one request. RESYNC_REQUIRED when a
 * link has expired. */
gboolean       ps_graph_client_groups_delta_sync (PsGraphClient      *self,
                                                  const char *const  *group_ids,
                                                  GPtrArray          *previous_rounds,
                                                  PsGraphPageFunc     func,
                                                  gpointer            user_data,
                                                  GPtrArray         **new_rounds,
                                                  GCancellable       *cancellable,
                                                  GError            **error);

/* One user by id with @select (NULL: the default); NOT_FOUND when there
 * is no such user (any more). Returns a new reference. */
JsonObject    *ps_graph_client_get_user_sync     (PsGraphClient      *self,
                                                  const char         *id,
                                                  const char *const  *select,
                                                  GCancellable       *cancellable,
                                                  GError            **error);

/* Soft-deleted users, restorable for 30 days (§5): id, userPrincipalName,
 * displayName and deletedDateTime, page by page. */
gboolean       ps_graph_client_list_deleted_users_sync (PsGraphClient    *self,
                                                        PsGraphPageFunc   func,
                                                        gpointer          user_data,
                                                        GCancellable     *cancellable,
                                                        GError          **error);

/* Connection test (§7.1): sign in → read users (User.Read.All) → read
 * groups and members (GroupMember.Read.All) → @group (an id or an exact
 * display name; optional) and its members → users/delta (a warning when
 * unavailable). Each failed step names what to fix and the missing
 * permission. Returns the steps (PsConnectionStep*). */
GPtrArray     *ps_graph_client_test_sync         (PsGraphClient       *self,
                                                  const char          *group,
                                                  GCancellable        *cancellable);
void           ps_graph_client_test_async        (PsGraphClient       *self,
                                                  const char          *group,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
GPtrArray     *ps_graph_client_test_finish       (PsGraphClient       *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

/* ---------------------------------------------------------------- values */

/* The user attributes the mapping pages suggest, in Graph's spelling;
 * "a.b" names the member b of the object a (onPremisesExtensionAttributes,
 * employeeOrgData). NULL-terminated, static. */
const char *const *ps_graph_user_attribute_names (void);

/* The $select of a full read (§7.2): the anchor, enabled state and every
 * suggested attribute. NULL-terminated, static. */
const char *const *ps_graph_default_user_select  (void);

/* The $select value for @attributes: the top-level property of each
 * (a.b → a), plus id and accountEnabled, each once, comma-separated.
 * NULL (with @error) when a name is not a Graph property name. */
char          *ps_graph_select_for              (const char *const  *attributes,
                                                 GError            **error);

/* TRUE when @name can be a Graph property (or a.b path) name. */
gboolean       ps_graph_attribute_name_is_valid (const char *name);

/* The kind of a directory object by its @odata.type. */
typedef enum {
  PS_GRAPH_KIND_UNKNOWN,          /* no @odata.type */
  PS_GRAPH_KIND_USER,
  PS_GRAPH_KIND_GROUP,
  PS_GRAPH_KIND_DEVICE,
  PS_GRAPH_KIND_CONTACT,
  PS_GRAPH_KIND_SERVICE_PRINCIPAL,
  PS_GRAPH_KIND_OTHER,
} PsGraphKind;

PsGraphKind    ps_graph_object_kind             (JsonObject *object);

/* The object's `id` (the anchor, §0.3), or NULL. */
const char    *ps_graph_object_get_id           (JsonObject *object);

/* `@removed.reason` of a delta entry ("changed": soft-deleted, "deleted":
 * gone for good, §4.2), or NULL for a full object. For a removal without
 * a reason, "deleted". */
const char    *ps_graph_object_removed_reason   (JsonObject *object);

/* `members@delta` of a groups/delta entry, or NULL. */
JsonArray     *ps_graph_group_members_delta     (JsonObject *group);

/* `accountEnabled`: TRUE with *@enabled set when the user has it as a
 * boolean; FALSE when it is absent or null (not selected, §2.1). */
gboolean       ps_graph_user_get_enabled        (JsonObject *user,
                                                 gboolean   *enabled);

/* A property as text, by name (case-insensitive, "a.b" for a member of
 * an object property). The rule: a string as it is; true/false as "true"
 * or "false"; a number in decimal; an array (businessPhones, otherMails…)
 * gives its first non-empty element, as with LDAP's multi-valued
 * attributes — the only number businessPhones can hold is its first.
 * NULL for an absent or null property, an empty string or empty array,
 * or an object. */
char          *ps_graph_user_get_string         (JsonObject *user,
                                                 const char *name);

G_END_DECLS
