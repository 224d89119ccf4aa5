/* graph-private.h — shared types of the Microsoft Graph emulator
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The emulator holds one or more Entra tenants in memory: app
 * registrations, users, groups, devices, organisational contacts and
 * service principals, with a change sequence per tenant for delta queries.
 * It serves the token endpoint (login_base) and Graph v1.0 (graph_base)
 * from one loopback port. See README.md and §8 of
 * shared/reference/entra-graph.md.
 */
#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "emu-common.h"

G_BEGIN_DECLS

#define GRAPH_USEC_PER_SEC G_GINT64_CONSTANT (1000000)
#define GRAPH_USEC_PER_DAY (G_GINT64_CONSTANT (86400) * GRAPH_USEC_PER_SEC)

typedef enum {
  GRAPH_USER,
  GRAPH_GROUP,
  GRAPH_DEVICE,
  GRAPH_CONTACT,
  GRAPH_SERVICE_PRINCIPAL,
  GRAPH_N_KINDS,
} GraphKind;

typedef enum {
  GRAPH_ACTIVE,
  GRAPH_SOFT_DELETED,   /* in directory/deletedItems, restorable */
  GRAPH_PURGED,         /* gone for good; kept in memory for delta */
} GraphLife;

/* ---------------------------------------------------------------- properties */

typedef enum {
  PROP_STRING,
  PROP_BOOL,
  PROP_STRINGS,         /* collection of strings: [] when unset */
  PROP_DATETIME,
} GraphPropType;

typedef enum {
  PROP_DEFAULT     = 1 << 0,  /* in the default property set (no $select) */
  PROP_FILTER      = 1 << 1,  /* usable in $filter */
  PROP_SINGLE_ONLY = 1 << 2,  /* 501 when selected on a collection */
  PROP_READ_ONLY   = 1 << 3,  /* set by the service (admin API may not) */
} GraphPropFlags;

typedef struct {
  const char    *name;
  GraphPropType  type;
  guint          flags;
} GraphProp;

const GraphProp *graph_kind_props     (GraphKind    kind,
                                       guint       *n_props);
const GraphProp *graph_kind_prop      (GraphKind    kind,
                                       const char  *name);
const char  *graph_kind_type_name     (GraphKind    kind);     /* "user" */
const char  *graph_kind_odata_type    (GraphKind    kind);     /* "#microsoft.graph.user" */
gboolean     graph_kind_from_name     (const char  *name,
                                       GraphKind   *kind);     /* "user" or "microsoft.graph.user" */

/* ---------------------------------------------------------------- directory */

typedef struct _GraphState  GraphState;
typedef struct _GraphTenant GraphTenant;
typedef struct _GraphObject GraphObject;

typedef struct {
  guint64      seq;
  GraphObject *member;
  gboolean     added;
} GraphMemberEvent;

struct _GraphObject {
  GraphTenant  *tenant;
  GraphKind     kind;
  GraphLife     life;
  char         *id;             /* lower-case GUID */
  JsonObject   *props;          /* catalogue properties that have a value */
  GraphObject  *manager;        /* users */
  guint64       created_seq;    /* created, or restored */
  guint64       life_seq;       /* soft-deleted, purged or restored */
  guint64       changed_seq;    /* the latest of every change */
  GHashTable   *prop_seq;       /* property → GSIZE_TO_POINTER (seq); NULL until one changes */
  GList        *change_link;    /* in tenant->changes */
  GList        *deleted_link;   /* in tenant->deleted while soft-deleted */
  gint64        deleted_at;     /* emulated µs */
  GPtrArray    *member_of;      /* groups listing this object directly; NULL when none */
  /* groups */
  GQueue       *members;        /* of GraphObject*, in the order they were added */
  GHashTable   *member_links;   /* GraphObject* → GList* in members */
  GArray       *member_events;  /* of GraphMemberEvent, seq order */
  guint64       members_seq;
};

typedef struct {
  char   *value;
  char   *id;
  gint64  expires;              /* µs since the epoch, 0 = never */
} GraphSecret;

typedef struct {
  char   *pem;
  GBytes *der;
  char   *x5t;                  /* base64url SHA-1 of the DER */
  char   *x5t_s256;             /* base64url SHA-256 of the DER */
} GraphCert;

typedef struct {
  GraphTenant *tenant;
  char        *client_id;       /* lower-case GUID */
  char        *name;
  GPtrArray   *secrets;         /* of GraphSecret* */
  GPtrArray   *certs;           /* of GraphCert* */
  GPtrArray   *permissions;     /* of char*: application roles granted */
} GraphApp;

struct _GraphTenant {
  GraphState  *state;
  char        *id;              /* lower-case GUID */
  char        *name;
  GPtrArray   *domains;         /* of char*, the first is the default */
  GPtrArray   *apps;            /* of GraphApp* */
  GHashTable  *app_by_id;
  GPtrArray   *objects;         /* of GraphObject*, creation order, owns them */
  GPtrArray   *by_kind[GRAPH_N_KINDS]; /* the same, per kind */
  GHashTable  *by_id;           /* id → object; purged objects are removed */
  GHashTable  *user_by_upn;     /* folded UPN → active or soft-deleted user */
  GQueue       changes;         /* objects ordered by changed_seq */
  GQueue       deleted;         /* soft-deleted objects in deletion order */
  guint64      seq;             /* the tenant's change counter */
};

struct _GraphState {
  GPtrArray   *tenants;         /* of GraphTenant* */
  GHashTable  *tenant_by_key;   /* folded id or domain → tenant */
  GRand       *rand;            /* new ids: repeatable under --random-seed */
  char        *instance;        /* random per state; in every delta token */
  char        *seed_dir;        /* certificate files are relative to it */
};

/* Loads @seed (see README.md). @generate adds that many users in one group
 * named @generate_group to the first tenant. */
GraphState  *graph_state_new          (JsonNode     *seed,
                                       const char   *seed_dir,
                                       guint32       random_seed,
                                       guint         generate,
                                       const char   *generate_group,
                                       gint64        now,
                                       GError      **error);
void         graph_state_free         (GraphState   *state);
JsonNode    *graph_state_dump         (GraphState   *state);
GraphTenant *graph_state_tenant       (GraphState   *state,
                                       const char   *key);     /* id or domain */
GraphTenant *graph_state_default_tenant (GraphState *state);
char        *graph_state_new_guid     (GraphState   *state);
gboolean     graph_is_guid            (const char   *text);
char        *graph_fold               (const char   *text);

GraphObject *graph_tenant_lookup      (GraphTenant  *tenant,
                                       const char   *id);      /* any life but purged */
GraphObject *graph_tenant_user_by_upn (GraphTenant  *tenant,
                                       const char   *upn);
GraphApp    *graph_tenant_app         (GraphTenant  *tenant,
                                       const char   *client_id);

/* Object values */
JsonNode    *graph_object_value       (GraphObject  *object,
                                       const GraphProp *prop);   /* borrowed; NULL = null */
const char  *graph_object_string      (GraphObject  *object,
                                       const char   *name);
gboolean     graph_object_has_changed (GraphObject  *object,
                                       const char   *name,
                                       guint64       since);
gboolean     graph_group_is_unified   (GraphObject  *group);
GPtrArray   *graph_group_transitive   (GraphObject  *group,
                                       gboolean      include_groups);  /* active only; borrowed items */
GPtrArray   *graph_group_direct       (GraphObject  *group);            /* active only */

/* Changes (the admin API). Every one bumps the tenant's sequence. @props
 * are validated against the catalogue; errors name the property. */
GraphObject *graph_tenant_create      (GraphTenant  *tenant,
                                       GraphKind     kind,
                                       JsonObject   *props,
                                       gint64        now,
                                       GError      **error);
gboolean     graph_object_update      (GraphObject  *object,
                                       JsonObject   *props,
                                       GError      **error);
gboolean     graph_object_set_manager (GraphObject  *user,
                                       const char   *manager_id,
                                       GError      **error);
gboolean     graph_object_delete      (GraphObject  *object,
                                       gboolean      purge,
                                       gint64        now,
                                       GError      **error);
gboolean     graph_object_restore     (GraphObject  *object,
                                       GError      **error);
gboolean     graph_group_add_member   (GraphObject  *group,
                                       GraphObject  *member,
                                       GError      **error);
gboolean     graph_group_remove_member (GraphObject *group,
                                       GraphObject  *member,
                                       GError      **error);
/* Purges soft-deleted objects deleted before @before. Returns how many. */
guint        graph_tenant_purge_expired (GraphTenant *tenant,
                                       gint64        before);
JsonNode    *graph_app_dump           (GraphApp     *app);
gboolean     graph_app_add_cert       (GraphApp     *app,
                                       const char   *pem,
                                       GError      **error);

/* ---------------------------------------------------------------- OData queries */

typedef struct _GraphFilter GraphFilter;

typedef struct {
  guint        status;          /* 0 = no error */
  const char  *code;
  char        *message;
} GraphError;

void         graph_error_clear        (GraphError   *error);
void         graph_error_set          (GraphError   *error,
                                       guint         status,
                                       const char   *code,
                                       const char   *format,
                                       ...) G_GNUC_PRINTF (4, 5);

/* $select: a list of property names, checked against the kinds in
 * @kinds (a bit per GraphKind). Unknown → 400; a single-object-only
 * property on a collection → 501. */
GPtrArray   *graph_select_parse       (const char   *text,
                                       guint         kinds,
                                       gboolean      collection,
                                       GraphError   *error);

GraphFilter *graph_filter_parse       (const char   *text,
                                       GraphKind     kind,
                                       gboolean      advanced,
                                       GraphError   *error);
void         graph_filter_free        (GraphFilter  *filter);
gboolean     graph_filter_match       (GraphFilter  *filter,
                                       GraphObject  *object);
/* The ids of a filter made only of `id eq '…'` joined by `or`; NULL
 * otherwise. */
GPtrArray   *graph_filter_id_list     (GraphFilter  *filter);
/* An exact lookup the filter allows (id eq, userPrincipalName eq), or
 * NULL; sets *@exact when the filter was nothing else. */
const char  *graph_filter_simple_eq   (GraphFilter  *filter,
                                       const char  **property);

/* $search="prop:term" [AND|OR "prop:term"]… */
typedef struct _GraphSearch GraphSearch;
GraphSearch *graph_search_parse       (const char   *text,
                                       GraphKind     kind,
                                       GraphError   *error);
void         graph_search_free        (GraphSearch  *search);
gboolean     graph_search_match       (GraphSearch  *search,
                                       GraphObject  *object);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GraphFilter, graph_filter_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GraphSearch, graph_search_free)

/* ---------------------------------------------------------------- server */

typedef struct _GraphServer GraphServer;
typedef struct _GraphCall   GraphCall;

typedef struct {
  guint     page_size;          /* cap on every page (1–999) */
  guint     default_top;        /* page size without $top (100) */
  guint     delta_page_size;    /* entries per delta page (100) */
  guint     expand_page_cap;    /* page cap with $expand=manager (100) */
  gint64    token_lifetime;     /* seconds */
  gint64    delta_lifetime;     /* seconds (7 days) */
  char     *delta_expiry;       /* "400", "410-location", "410-resync" */
  gboolean  delta_replay;       /* every object of a delta round appears twice */
  char     *soft_delete_reason; /* @removed.reason of a soft delete: "changed" (§4.2) or "deleted" */
  gboolean  cast_strict;        /* OData casts need ConsistencyLevel + $count */
  guint     ru_budget;          /* RU per 10 s per app and tenant; 0 = off */
  guint     latency_ms;
  gint64    purge_after;        /* seconds a soft-deleted object stays (30 days) */
  char     *graph_resource;     /* accepted scope prefix besides our own URL */
  char     *login_authority;    /* accepted assertion aud prefix besides ours */
} GraphSwitches;

typedef struct {
  char          *token;
  GraphTenant   *tenant;
  GraphApp      *app;
  gint64         expires_at;    /* emulated µs */
} GraphToken;

struct _GraphCall {
  GraphServer   *server;
  const char    *method;
  char          *path;          /* decoded, from the root: "/v1.0/users" */
  char         **segments;      /* path split on '/', without the empty first */
  guint          n_segments;
  GHashTable    *query;         /* decoded; owned */
  GHashTable    *headers;       /* folded name → value; owned */
  GBytes        *body;
  char          *base;          /* "http://127.0.0.1:PORT" */
  char          *request_id;
  gint64         now;           /* emulated µs */
  GraphToken    *token;         /* after authentication */
  /* the answer */
  guint          status;
  JsonNode      *answer;        /* JSON body, or NULL */
  char          *text_answer;   /* text/plain body ($count), or NULL */
  GPtrArray     *out_headers;   /* name, value, name, value… */
  char          *route;         /* "GET /v1.0/groups/{id}/members" */
  char          *fault;         /* the fault that hit the call */
  gboolean       empty_page;    /* fault: answer an empty page with a nextLink */
  const char    *delta_expired; /* fault: answer this expired-token mode */
  guint          ru_cost;
  gboolean       token_call;
  char          *tenant_key;    /* for the log */
  char          *client_id;     /* for the log */
};

GraphServer *graph_server_new          (GraphState   *state,
                                        JsonNode     *seed,
                                        const char   *seed_dir,
                                        guint32       random_seed,
                                        guint         generate,
                                        const char   *generate_group);
void         graph_server_free         (GraphServer  *server);
GraphSwitches *graph_server_switches   (GraphServer  *server);
GraphState  *graph_server_state        (GraphServer  *server);
gboolean     graph_server_apply_switches (GraphServer *server,
                                        JsonObject   *object,
                                        GError      **error);
void         graph_server_commit_switches (GraphServer *server);
gboolean     graph_server_listen       (GraphServer  *server,
                                        guint         port,
                                        GTlsCertificate *certificate,
                                        GError      **error);
guint        graph_server_port         (GraphServer  *server);
void         graph_server_set_call_log_max (GraphServer *server,
                                        guint         max);
gint64       graph_server_now          (GraphServer  *server);   /* emulated µs */
guint        graph_server_delta_epoch  (GraphServer  *server);
GRand       *graph_server_rand         (GraphServer  *server);

/* Tokens */
GraphToken  *graph_server_new_token    (GraphServer  *server,
                                        GraphTenant  *tenant,
                                        GraphApp     *app,
                                        gint64        now);
GraphToken  *graph_server_lookup_token (GraphServer  *server,
                                        const char   *token);

/* Paging sessions: a snapshot of a query's answer, so that paging is
 * O(page) and stable while the directory changes. */
typedef struct _GraphSession GraphSession;
GraphSession *graph_server_session_get (GraphServer  *server,
                                        const char   *id);
/* Takes @session; @size is how many objects it holds. */
void         graph_server_session_add  (GraphServer  *server,
                                        GraphSession *session,
                                        guint         size);
char        *graph_server_new_session_id (GraphServer *server);
/* One part of a $batch, with the same dispatch, faults and log. */
GraphCall   *graph_server_run_part     (GraphServer  *server,
                                        GraphCall    *outer,
                                        const char   *method,
                                        const char   *url,
                                        JsonObject   *headers,
                                        JsonNode     *body,
                                        guint64      batch_seq);
guint64      graph_server_current_seq  (GraphServer  *server);
void         graph_call_free           (GraphCall    *call);

/* Answers (graph-api.c and graph-auth.c) */
void         graph_call_reply          (GraphCall    *call,
                                        guint         status,
                                        JsonNode     *body);
void         graph_call_error          (GraphCall    *call,
                                        guint         status,
                                        const char   *code,
                                        const char   *message);
void         graph_call_graph_error    (GraphCall    *call,
                                        GraphError   *error);
void         graph_call_header         (GraphCall    *call,
                                        const char   *name,
                                        const char   *value);
void         graph_call_set_route      (GraphCall    *call,
                                        const char   *route);
const char  *graph_call_query          (GraphCall    *call,
                                        const char   *name);
const char  *graph_call_request_header (GraphCall    *call,
                                        const char   *name);
JsonNode    *graph_error_body          (GraphCall    *call,
                                        const char   *code,
                                        const char   *message);
char        *graph_format_time         (gint64        usec);     /* ISO-8601, seconds, Z */
gboolean     graph_parse_time          (const char   *text,
                                        gint64       *usec);
char        *graph_base64url           (const guint8 *data,
                                        gsize         length);
GBytes      *graph_base64url_decode    (const char   *text);

/* graph-auth.c */
void         graph_auth_token          (GraphCall    *call,
                                        const char   *tenant_key);
/* Checks the bearer token; answers 401 and returns FALSE when it is not good. */
gboolean     graph_auth_check          (GraphCall    *call);
gboolean     graph_app_has             (GraphApp     *app,
                                        const char *const *any_of);
void         graph_auth_token_error    (GraphCall    *call,
                                        guint         aadsts);  /* a fault */

/* graph-api.c */
void         graph_api_handle          (GraphCall    *call);
void         graph_session_free        (GraphSession *session);
const char  *graph_session_id          (GraphSession *session);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GraphCall, graph_call_free)

G_END_DECLS
