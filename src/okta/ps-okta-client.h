/* ps-okta-client.h — the Okta Management API (v1), read-only, for the Okta source
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * § numbers refer to the Okta read contract (okta-api.md).
 *
 * Authentication: an API token, sent as `Authorization: SSWS <token>`
 * (§1.3). It is copied into the client, never logged, and wiped when the
 * client is finalized. OAuth 2.0 service apps (private_key_jwt, §1.4) are
 * not supported yet.
 *
 * Requests: every read is a GET of JSON. Lists are followed through the
 * `Link: <…>; rel="next"` header verbatim (an opaque URL, which must point
 * at the org's own host: the token goes nowhere else); a list ends at the
 * first page without a next link, or at an empty page (§4).
 *
 * Rate limits (§5): every answer's X-Rate-Limit-Limit/-Remaining/-Reset is
 * kept per endpoint family (users, one user, groups, one group, logs,
 * other); before a request whose family has nothing left (or under a tenth
 * of its limit), the client waits for the window to reset instead of
 * running into a 429. A 429 holds every request of the client until
 * `X-Rate-Limit-Reset − Date + 1 s` (the server's clock, so a skewed local
 * clock does not matter), at least 1 s, capped. 500, 502, 503, 504 and 408,
 * dropped connections and cut-off or malformed 2xx bodies are asked again
 * with capped exponential backoff and full jitter; at most max_attempts
 * tries per request (3 when the host never took the connection). A 500
 * E0000009 (Okta's own timeout) on the first page of a list asks again
 * with half the page size. 4xx other than 408 and 429 are never retried.
 *
 * Threads: every `_sync` call blocks and is meant for a worker thread. A
 * PsOktaClient may be used from several threads at once; at most
 * `concurrency` requests are on the wire (one by default, §0.6).
 *
 * Errors: PS_OKTA_ERROR (ps-okta-error.h), or G_IO_ERROR_CANCELLED.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "ps-connection-step.h"
#include "ps-okta-error.h"

G_BEGIN_DECLS

#define PS_OKTA_MAX_PAGE_SIZE  200   /* users and group members (§2.2, §3.1) */
#define PS_OKTA_MAX_LOG_PAGE_SIZE 1000   /* System Log events (§6) */

/* Where to connect. Copied by ps_okta_client_new (); the API token is
 * passed beside it, never kept in a profile. */
typedef struct {
  char  *org_url;       /* https://acme.okta.com (ps_okta_org_url_check ()) */
  char  *ca_file;       /* optional extra certificate authority (tests, TLS proxies) */
  guint  timeout;       /* seconds per request; 0: 60 */
  guint  page_size;     /* `limit` of list reads, 1–200; 0: 200 */
  guint  concurrency;   /* requests on the wire at once; 0: 1; at most 4 */
} PsOktaClientConfig;

/* A group as Okta describes it (§3.2). */
typedef struct {
  char *id;             /* 00g…, the anchor */
  char *name;           /* profile.name */
  char *description;    /* profile.description, or NULL */
  char *type;           /* OKTA_GROUP, APP_GROUP or BUILT_IN */
  char *last_membership_updated;  /* when a member last joined or left (ISO 8601), or NULL */
} PsOktaGroup;

PsOktaGroup *ps_okta_group_new_from_json (JsonObject *object);
void         ps_okta_group_free          (PsOktaGroup *group);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsOktaGroup, ps_okta_group_free)

/* Called with each page of a list (an array of user objects); return
 * FALSE with @error set to stop. Take a reference to keep an element. */
typedef gboolean (*PsOktaPageFunc) (JsonArray  *page,
                                    gpointer    user_data,
                                    GError    **error);

/* How the client fared, for logs and tests. */
typedef struct {
  guint64 requests;          /* HTTP requests put on the wire (retries included) */
  guint64 retries;
  guint64 throttled;         /* 429 answers */
  guint64 paced;             /* waits for a rate-limit window before a request */
  guint64 unavailable;       /* 5xx answers */
  guint64 connection_errors;
  guint64 malformed;         /* 2xx answers cut off or not JSON */
  gint64  waited_ms;         /* time spent waiting for rate limits */
} PsOktaStats;

#define PS_TYPE_OKTA_CLIENT (ps_okta_client_get_type ())
G_DECLARE_FINAL_TYPE (PsOktaClient, ps_okta_client, PS, OKTA_CLIENT, GObject)

/* Checks @config (the org URL, a readable CA file) and copies it with
 * @api_token. Sends nothing. */
PsOktaClient  *ps_okta_client_new            (const PsOktaClientConfig  *config,
                                              const char                *api_token,
                                              GError                   **error);
/* Retries: at most @max_attempts tries per request (≥ 1; default 6),
 * backoff from @base_ms doubling up to @cap_ms (defaults 1 s and 30 s);
 * a rate-limit wait is capped at @rate_wait_cap_s (default 120 s). */
void           ps_okta_client_set_retry      (PsOktaClient *self,
                                              guint         max_attempts,
                                              guint         base_ms,
                                              guint         cap_ms,
                                              guint         rate_wait_cap_s);
void           ps_okta_client_get_stats      (PsOktaClient *self,
                                              PsOktaStats  *stats);
/* The org URL as used (no trailing slash). */
const char    *ps_okta_client_get_org_url    (PsOktaClient *self);
/* The rate limit of the last answer that had one: FALSE when none came. */
gboolean       ps_okta_client_get_rate_limit (PsOktaClient *self,
                                              guint        *limit,
                                              guint        *remaining);

/* The admin the API token belongs to (`GET /api/v1/users/me`, §1.3): the
 * connection test of the token. Returns a new reference. */
JsonObject    *ps_okta_client_get_me_sync    (PsOktaClient  *self,
                                              GCancellable  *cancellable,
                                              GError       **error);

/* Groups whose name starts with @search (`q=`, no paging; all groups,
 * paged, when NULL or empty; the one group when @search is a group id),
 * at most @limit (0: no limit), sorted by name. Returns PsOktaGroup*. */
GPtrArray     *ps_okta_client_find_groups_sync   (PsOktaClient  *self,
                                                  const char    *search,
                                                  guint          limit,
                                                  GCancellable  *cancellable,
                                                  GError       **error);
/* Groups whose name is @name (`search=profile.name eq "…"`; exact matches
 * first, else those equal but for case). Names need not be unique. */
GPtrArray     *ps_okta_client_find_groups_by_name_sync (PsOktaClient  *self,
                                                        const char    *name,
                                                        GCancellable  *cancellable,
                                                        GError       **error);
/* One group by id; PS_OKTA_ERROR_NOT_FOUND when it does not exist. */
PsOktaGroup   *ps_okta_client_get_group_sync     (PsOktaClient  *self,
                                                  const char    *id,
                                                  GCancellable  *cancellable,
                                                  GError       **error);

/* Every user in @group_id (`GET /api/v1/groups/{id}/users`, §3.3), page
 * by page, whatever their status (deactivated members included). */
gboolean       ps_okta_client_read_group_users_sync (PsOktaClient    *self,
                                                     const char      *group_id,
                                                     PsOktaPageFunc   func,
                                                     gpointer         user_data,
                                                     GCancellable    *cancellable,
                                                     GError         **error);
/* Users of the org (`GET /api/v1/users`, §2.2) that @search (a search
 * expression, as ps_okta_search_parse () normalised it) or @filter (a
 * filter expression) selects; both NULL lists everyone but the
 * deactivated. A search is eventually consistent. */
gboolean       ps_okta_client_list_users_sync    (PsOktaClient    *self,
                                                  const char      *search,
                                                  const char      *filter,
                                                  PsOktaPageFunc   func,
                                                  gpointer         user_data,
                                                  GCancellable    *cancellable,
                                                  GError         **error);
/* One user by id (or login); NOT_FOUND when there is no such user (any
 * more: a hard delete, §6.4). Returns a new reference. */
JsonObject    *ps_okta_client_get_user_sync      (PsOktaClient  *self,
                                                  const char    *id,
                                                  GCancellable  *cancellable,
                                                  GError       **error);

/* System Log events (`GET /api/v1/logs`, §6) that @filter (an event
 * filter such as `eventType eq "user.lifecycle.suspend"`; NULL: all)
 * selects, in the order Okta stored them, page by page (arrays of event
 * objects): from @position (the link a previous poll ended at) or, when
 * it is NULL, published from @since (ISO 8601) on. A polling query: it
 * ends at the first empty page; *@new_position gets the link to poll
 * next time. */
gboolean       ps_okta_client_poll_logs_sync     (PsOktaClient    *self,
                                                  const char      *since,
                                                  const char      *position,
                                                  const char      *filter,
                                                  PsOktaPageFunc   func,
                                                  gpointer         user_data,
                                                  char           **new_position,
                                                  GCancellable    *cancellable,
                                                  GError         **error);
/* The server's clock as of the last answer (its Date header), in Unix
 * seconds; 0 when no answer had one yet. */
gint64         ps_okta_client_get_server_time    (PsOktaClient  *self);

/* Connection test (§7a): find the host (DNS) → connect → TLS → the API
 * token (`/users/me`) → read users → read groups and a group's members →
 * @group (an id or an exact name; optional) and its members. Each failed
 * step names what to fix; the steps after a failed connection or token are
 * skipped. Returns the steps (PsConnectionStep*). */
GPtrArray     *ps_okta_client_test_sync          (PsOktaClient        *self,
                                                  const char          *group,
                                                  GCancellable        *cancellable);
void           ps_okta_client_test_async         (PsOktaClient        *self,
                                                  const char          *group,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
GPtrArray     *ps_okta_client_test_finish        (PsOktaClient        *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

/* ---------------------------------------------------------------- values */

/* The user attributes the mapping pages suggest: Okta's standard profile
 * attributes (§2.3, §7b) and id. NULL-terminated, static. */
const char *const *ps_okta_user_attribute_names (void);

/* The target of the `rel="next"` link among the values of Link headers
 * (@header as libsoup joins repeated headers: "<a>; rel=\"self\", <b>;
 * rel=\"next\""), or NULL. The URL is returned as sent, never rebuilt. */
char          *ps_okta_link_next            (const char *header);

/* TRUE when @text has the shape of an Okta object id with @prefix
 * ("00u" users, "00g" groups): 20 letters and digits. */
gboolean       ps_okta_id_is_valid          (const char *text,
                                             const char *prefix);

/* How the sync treats a user status (§2.4). */
typedef enum {
  PS_OKTA_STATUS_UNKNOWN,   /* absent or a status Okta did not document: never guessed */
  PS_OKTA_STATUS_AT_WORK,   /* ACTIVE, PROVISIONED, RECOVERY, PASSWORD_EXPIRED, LOCKED_OUT */
  PS_OKTA_STATUS_DISABLED,  /* SUSPENDED, DEPROVISIONED */
  PS_OKTA_STATUS_NOT_YET,   /* STAGED: not yet created, left out */
} PsOktaStatusClass;

PsOktaStatusClass ps_okta_status_classify   (const char *status);

/* The user's `id`, or NULL. */
const char    *ps_okta_user_get_id          (JsonObject *user);
/* The status that counts: `transitioningToStatus` when the user is on the
 * way to another status, else `status`; NULL when neither is there. */
const char    *ps_okta_user_get_status      (JsonObject *user);

/* An attribute as text. "profile.NAME" reads the profile; a bare name is
 * one of the user's own properties (id, status, created, …) when it is
 * one, else the profile attribute. Profile names are matched exactly,
 * else ignoring case. Strings as they are, true/false, numbers in
 * decimal, an array's first non-empty element; NULL for absent, null,
 * empty or an object. */
char          *ps_okta_user_get_string      (JsonObject *user,
                                             const char *name);
/* TRUE when the user's profile has the attribute @name names (even as
 * null): whether Okta knows the name at all. */
gboolean       ps_okta_user_has_attribute   (JsonObject *user,
                                             const char *name);

G_END_DECLS
