/* okta-private.h — shared types of the Okta emulator
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The emulator holds one or more Okta orgs in memory: users in all eight
 * statuses, flat groups with their members, the System Log, API tokens
 * (SSWS) and OAuth 2.0 service apps. It serves the Management API (v1) and
 * the org authorization server's token endpoint from one loopback port.
 * See README.md and §8 of shared/reference/okta-api.md.
 */
#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "emu-common.h"

G_BEGIN_DECLS

#define OKTA_MS_PER_SEC G_GINT64_CONSTANT (1000)
#define OKTA_MS_PER_DAY (G_GINT64_CONSTANT (86400) * OKTA_MS_PER_SEC)

typedef enum {
  OKTA_STAGED,
  OKTA_PROVISIONED,
  OKTA_ACTIVE,
  OKTA_RECOVERY,
  OKTA_PASSWORD_EXPIRED,
  OKTA_LOCKED_OUT,
  OKTA_SUSPENDED,
  OKTA_DEPROVISIONED,
  OKTA_N_STATUSES,
} OktaStatus;

#define OKTA_NO_STATUS (-1)

/* What an admin role may read (the emulator's own table, see README.md). */
typedef enum {
  OKTA_RIGHT_USERS  = 1 << 0,
  OKTA_RIGHT_GROUPS = 1 << 1,
  OKTA_RIGHT_LOGS   = 1 << 2,
  OKTA_RIGHT_ORG    = 1 << 3,
  OKTA_RIGHTS_ALL   = 0xf,
} OktaRights;

typedef struct _OktaState    OktaState;
typedef struct _OktaOrg      OktaOrg;
typedef struct _OktaUser     OktaUser;
typedef struct _OktaGroup    OktaGroup;
typedef struct _OktaEvent    OktaEvent;
typedef struct _OktaApiToken OktaApiToken;
typedef struct _OktaApp      OktaApp;

struct _OktaUser {
  OktaOrg       *org;
  char          *id;
  guint64        serial;          /* creation order: the plain listing's order */
  OktaStatus     status;
  int            transitioning;   /* an OktaStatus, or OKTA_NO_STATUS */
  gint64         created;         /* ms since the epoch; 0 = null */
  gint64         activated;
  gint64         status_changed;
  gint64         last_login;
  gint64         last_updated;
  gint64         password_changed;
  char          *type_id;
  char          *provider_type;   /* credentials.provider */
  char          *provider_name;
  JsonObject    *profile;
  char          *login_key;       /* folded profile.login, in org->user_by_login */
  GPtrArray     *groups;          /* of OktaGroup*, the groups listing this user */
  GSequenceIter *status_iter;     /* in org->by_status[status] */
  GSequenceIter *updated_iter;    /* in org->by_updated */
};

typedef struct {
  OktaUser *user;
  guint64   mseq;                 /* when it joined: the member list's order */
} OktaMember;

struct _OktaGroup {
  OktaOrg    *org;
  char       *id;
  guint64     serial;
  char       *type;               /* OKTA_GROUP, APP_GROUP or BUILT_IN */
  gint64      created;
  gint64      last_updated;       /* the profile */
  gint64      last_membership_updated;
  JsonObject *profile;
  char       *source_id;          /* APP_GROUP: the app it comes from */
  GSequence  *members;            /* of OktaMember*, by mseq; owns them */
  GHashTable *member_iters;       /* OktaUser* → GSequenceIter* */
  guint64     next_mseq;
};

struct _OktaEvent {
  guint64     seq;                /* persistence order */
  gint64      published;          /* ms */
  JsonObject *object;             /* the LogEvent as served */
};

struct _OktaApiToken {
  OktaOrg  *org;
  char     *value;                /* never logged */
  char     *name;
  char     *id;                   /* "00T…" */
  char     *admin_id;             /* the user who created it */
  char     *role;
  guint     rights;
  gint64    expires;              /* ms; 0 = only the idle rule */
  gint64    last_used;            /* ms; the token dies after the idle days */
  gboolean  revoked;
};

struct _OktaApp {
  OktaOrg   *org;
  char      *client_id;
  char      *name;
  GPtrArray *scopes;              /* of char*: granted Okta API scopes */
  GPtrArray *keys;                /* of JsonObject*: public JWKs ("kid", "kty", …) */
  char      *role;
  guint      rights;
  gboolean   dpop;                /* "Require DPoP header in token requests" */
};

struct _OktaOrg {
  OktaState  *state;
  char       *name;               /* path prefix and host label: "acme" */
  char       *id;                 /* "00o…" */
  char       *company;
  char       *user_type_id;       /* "oty…" */
  char       *actor_id;           /* the admin acting in the System Log */
  GPtrArray  *custom;             /* of char*: custom profile attributes */
  GPtrArray  *users;              /* of OktaUser*, by serial; owns them */
  GHashTable *user_by_id;
  GHashTable *user_by_login;      /* folded login → user */
  GSequence  *by_status[OKTA_N_STATUSES]; /* of OktaUser*, by serial */
  GSequence  *by_updated;         /* of OktaUser*, by (last_updated, serial) */
  GPtrArray  *groups;             /* of OktaGroup*, by serial; owns them */
  GHashTable *group_by_id;
  OktaGroup  *everyone;           /* the BUILT_IN group every user joins, or NULL */
  GPtrArray  *events;             /* of OktaEvent*, persistence order; owns them */
  guint64     next_event_seq;
  GPtrArray  *tokens;             /* of OktaApiToken*; owns them */
  GHashTable *token_by_value;
  GPtrArray  *apps;               /* of OktaApp*; owns them */
  GHashTable *app_by_id;
  JsonArray  *group_rules;        /* served as is */
  guint64     next_serial;
  gint64      created;
};

struct _OktaState {
  GPtrArray  *orgs;               /* of OktaOrg*; the first is the default */
  GHashTable *org_by_name;        /* folded name → org */
  GRand      *rand;               /* new ids: repeatable under --random-seed */
};

/* ---------------------------------------------------------------- state */

OktaState   *okta_state_new          (JsonNode     *seed,
                                      guint32       random_seed,
                                      guint         generate,
                                      const char   *generate_group,
                                      gint64        now,
                                      GError      **error);
void         okta_state_free         (OktaState    *state);
JsonNode    *okta_state_dump         (OktaState    *state,
                                      gboolean      with_logs);
OktaOrg     *okta_state_org          (OktaState    *state,
                                      const char   *name);
OktaOrg     *okta_state_default_org  (OktaState    *state);
char        *okta_state_new_id       (OktaState    *state,
                                      const char   *prefix);
char        *okta_state_random_text  (OktaState    *state,
                                      guint         length);

const char  *okta_status_name        (OktaStatus    status);
gboolean     okta_status_parse       (const char   *text,
                                      OktaStatus   *status);
gboolean     okta_profile_is_standard (const char  *name);
gboolean     okta_org_knows_attribute (OktaOrg     *org,
                                      const char   *name);
guint        okta_role_rights        (const char   *role);
char        *okta_fold               (const char   *text);
char        *okta_format_time        (gint64        ms);
gboolean     okta_parse_time         (const char   *text,
                                      gint64       *ms);
/* Seed times also take "now", "now-3d", "now+2h", "now-90m", "now-30s". */
gboolean     okta_parse_seed_time    (const char   *text,
                                      gint64        now,
                                      gint64       *ms);

OktaUser    *okta_org_user           (OktaOrg      *org,
                                      const char   *id_or_login);
OktaGroup   *okta_org_group          (OktaOrg      *org,
                                      const char   *id);
OktaApiToken *okta_org_token         (OktaOrg      *org,
                                      const char   *value);
OktaApiToken *okta_org_token_by_name (OktaOrg      *org,
                                      const char   *name);
OktaApp     *okta_org_app            (OktaOrg      *org,
                                      const char   *client_id);
/* The index in org->users of the first user with a serial above @serial. */
guint        okta_org_users_after    (OktaOrg      *org,
                                      guint64       serial);
guint        okta_org_groups_after   (OktaOrg      *org,
                                      guint64       serial);
guint        okta_group_size         (OktaGroup    *group);

/* Changes (the admin API). Each bumps the timestamps §8 names and writes
 * its System Log events; @actor is a user id or NULL for the org's admin. */
OktaUser    *okta_org_create_user    (OktaOrg      *org,
                                      JsonObject   *body,
                                      const char   *actor,
                                      gint64        now,
                                      GError      **error);
gboolean     okta_user_update        (OktaUser     *user,
                                      JsonObject   *body,
                                      const char   *actor,
                                      gint64        now,
                                      GError      **error);
/* activate, deactivate, suspend, unsuspend, lock, unlock, expire_password,
 * reset_password, delete. delete frees @user. */
gboolean     okta_user_lifecycle     (OktaUser     *user,
                                      const char   *action,
                                      JsonObject   *options,
                                      const char   *actor,
                                      gint64        now,
                                      GError      **error);
OktaGroup   *okta_org_create_group   (OktaOrg      *org,
                                      JsonObject   *body,
                                      const char   *actor,
                                      gint64        now,
                                      GError      **error);
gboolean     okta_group_update       (OktaGroup    *group,
                                      JsonObject   *body,
                                      const char   *actor,
                                      gint64        now,
                                      GError      **error);
void         okta_group_delete       (OktaGroup    *group,
                                      const char   *actor,
                                      gint64        now);
gboolean     okta_group_add          (OktaGroup    *group,
                                      OktaUser     *user,
                                      const char   *actor,
                                      gint64        now,
                                      GError      **error);
gboolean     okta_group_remove       (OktaGroup    *group,
                                      OktaUser     *user,
                                      const char   *actor,
                                      gint64        now,
                                      GError      **error);

/* The System Log. @targets is taken. */
OktaEvent   *okta_org_log            (OktaOrg      *org,
                                      const char   *event_type,
                                      const char   *actor,
                                      JsonArray    *targets,
                                      const char   *severity,
                                      gint64        published);
/* An event from the admin API or a seed: any LogEvent members; ids in
 * "targets" become full targets. */
OktaEvent   *okta_org_log_raw        (OktaOrg      *org,
                                      JsonObject   *body,
                                      gint64        now,
                                      GError      **error);
guint        okta_org_purge_log      (OktaOrg      *org,
                                      gint64        before);
JsonObject  *okta_user_target        (OktaUser     *user);
JsonObject  *okta_group_target       (OktaGroup    *group);

JsonObject  *okta_app_dump           (OktaApp      *app);
JsonObject  *okta_token_dump         (OktaApiToken *token,
                                      gboolean      with_value);
gboolean     okta_app_add_key        (OktaApp      *app,
                                      JsonObject   *jwk,
                                      GError      **error);

/* ---------------------------------------------------------------- queries */

typedef enum {
  OKTA_Q_USER_FILTER,
  OKTA_Q_USER_SEARCH,
  OKTA_Q_GROUP_FILTER,
  OKTA_Q_GROUP_SEARCH,
  OKTA_Q_LOG_FILTER,
} OktaQueryMode;

typedef struct {
  guint  status;                  /* 0 = no error */
  char  *code;                    /* "E0000031" */
  char  *summary;
} OktaError;

void         okta_error_clear        (OktaError    *error);
void         okta_error_set          (OktaError    *error,
                                      guint         status,
                                      const char   *code,
                                      const char   *format,
                                      ...) G_GNUC_PRINTF (4, 5);

typedef struct _OktaExpr OktaExpr;

OktaExpr    *okta_expr_parse         (const char   *text,
                                      OktaQueryMode mode,
                                      OktaOrg      *org,
                                      OktaError    *error);
void         okta_expr_free          (OktaExpr     *expr);
gboolean     okta_expr_match_user    (OktaExpr     *expr,
                                      OktaUser     *user);
gboolean     okta_expr_match_group   (OktaExpr     *expr,
                                      OktaGroup    *group);
gboolean     okta_expr_match_event   (OktaExpr     *expr,
                                      OktaEvent    *event);

/* The index that can drive a user query: a conjunct of the top level. */
typedef enum {
  OKTA_DRIVE_ALL,                 /* every user, by serial */
  OKTA_DRIVE_ID,                  /* id eq: one lookup */
  OKTA_DRIVE_LOGIN,               /* profile.login eq: one lookup */
  OKTA_DRIVE_UPDATED,             /* lastUpdated gt/ge: by_updated from a time */
  OKTA_DRIVE_STATUS,              /* status eq: by_status[] */
} OktaDriveKind;

typedef struct {
  OktaDriveKind kind;
  const char   *text;             /* ID, LOGIN */
  gint64        time;             /* UPDATED */
  gboolean      inclusive;        /* UPDATED: ge */
  OktaStatus    status;           /* STATUS */
} OktaDrive;

void         okta_expr_user_drive    (OktaExpr     *expr,
                                      OktaDrive    *drive);

/* fields=id,status,profile:(login,email) */
typedef struct _OktaFields OktaFields;
OktaFields  *okta_fields_parse       (const char   *text,
                                      OktaError    *error);
void         okta_fields_free        (OktaFields   *fields);
gboolean     okta_fields_has         (OktaFields   *fields,
                                      const char   *name);
gboolean     okta_fields_has_profile (OktaFields   *fields,
                                      const char   *name);

/* A user attribute for sortBy and the matcher: a string, or NULL. */
char        *okta_user_attribute_text (OktaUser    *user,
                                      const char   *attribute);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OktaExpr, okta_expr_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OktaFields, okta_fields_free)

/* ---------------------------------------------------------------- JOSE (okta-jose.c) */

typedef enum {
  OKTA_JWS_OK,
  OKTA_JWS_MALFORMED,             /* not header.claims.signature of JSON */
  OKTA_JWS_BAD_ALG,               /* not RS/ES 256/384/512 */
  OKTA_JWS_BAD_KEY,               /* the key cannot be read */
  OKTA_JWS_BAD_SIGNATURE,
  OKTA_JWS_UNSUPPORTED,           /* built without GnuTLS */
} OktaJwsResult;

typedef struct {
  char       *signed_text;        /* header "." claims, as sent */
  JsonObject *header;
  JsonObject *claims;
  GBytes     *signature;
  const char *alg;                /* in header */
} OktaJws;

OktaJws     *okta_jws_parse          (const char   *compact);
void         okta_jws_free           (OktaJws      *jws);
gboolean     okta_jws_alg_ok         (const char   *alg);
OktaJwsResult okta_jws_verify        (OktaJws      *jws,
                                      JsonObject   *jwk);
/* RFC 7638 SHA-256 thumbprint, base64url; NULL for a key it cannot read. */
char        *okta_jwk_thumbprint     (JsonObject   *jwk);
/* A JWK from a PEM public key ("-----BEGIN PUBLIC KEY-----"). */
JsonObject  *okta_jwk_from_pem      (const char   *pem,
                                      GError      **error);
gboolean     okta_jwk_check          (JsonObject   *jwk,
                                      GError      **error);
gboolean     okta_have_crypto        (void);
char        *okta_base64url          (const guint8 *data,
                                      gsize         length);
GBytes      *okta_base64url_decode   (const char   *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OktaJws, okta_jws_free)

/* ---------------------------------------------------------------- server */

typedef struct _OktaServer OktaServer;
typedef struct _OktaCall   OktaCall;

typedef enum {
  OKTA_BUCKET_USERS,              /* GET /api/v1/users */
  OKTA_BUCKET_USER,               /* /api/v1/users/{id}… */
  OKTA_BUCKET_GROUPS,             /* GET /api/v1/groups */
  OKTA_BUCKET_GROUP,              /* /api/v1/groups/{id}… */
  OKTA_BUCKET_LOGS,               /* /api/v1/logs */
  OKTA_BUCKET_OTHER,              /* the rest of /api/v1, and the token endpoint */
  OKTA_N_BUCKETS,
} OktaBucket;

const char  *okta_bucket_name        (OktaBucket    bucket);

typedef struct {
  guint     page_size;            /* cap on every page; 0 = the API's own caps */
  gboolean  empty_last_page;      /* a full last page still has a next link */
  guint     timeout_limit;        /* limit above this → 500 E0000009; 0 = off */
  guint     search_lag;           /* seconds a change takes to reach search */
  guint     log_retention_days;   /* 90 */
  guint     since_max_days;       /* 180 */
  gint64    token_lifetime;       /* OAuth access tokens, seconds */
  guint     token_idle_days;      /* SSWS tokens die after this long unused (30) */
  gboolean  rate_limits;          /* the per-minute buckets */
  guint     rate_window;          /* seconds */
  guint     limits[OKTA_N_BUCKETS];
  guint     token_share;          /* percent of a bucket each token or app gets */
  guint     latency_ms;
} OktaSwitches;

typedef struct {
  char      *value;               /* never logged */
  OktaOrg   *org;
  OktaApp   *app;
  GPtrArray *scopes;              /* of char* */
  gint64     expires_at;          /* emulated ms */
  char      *jkt;                 /* DPoP: the bound key's thumbprint, or NULL */
} OktaAccess;

struct _OktaCall {
  OktaServer    *server;
  const char    *method;
  char          *path;            /* decoded, after the org prefix: "/api/v1/users" */
  char          *full_path;       /* decoded, as received */
  char         **segments;        /* path split on '/', without the empty first */
  guint          n_segments;
  GHashTable    *query;           /* decoded; owned */
  char          *raw_query;       /* as received (encoded), or NULL */
  GHashTable    *headers;         /* folded name → value; owned */
  GBytes        *body;
  char          *origin;          /* "http://127.0.0.1:PORT" */
  char          *base;            /* origin + the org prefix */
  char          *request_id;
  gint64         now;             /* emulated ms */
  OktaOrg       *org;
  /* routing (okta_api_classify) */
  OktaBucket     bucket;
  guint          rights;          /* what the endpoint needs */
  const char    *scope;           /* OAuth scope it needs, or NULL */
  gboolean       token_call;
  /* after authentication */
  OktaApiToken  *api_token;
  OktaAccess    *access;
  const char    *auth_scheme;     /* "SSWS", "Bearer", "DPoP" or NULL */
  char          *client_id;       /* token endpoint, for the log */
  /* the answer */
  guint          status;
  JsonNode      *answer;          /* JSON body, or NULL for none */
  GPtrArray     *out_headers;     /* name, value, name, value… */
  char          *route;           /* "GET /api/v1/groups/{id}/users" */
  char          *fault;
  gboolean       empty_page;      /* fault: an empty page with a next link */
  gboolean       rate_counted;
  guint          rate_limit;      /* for the headers */
  guint          rate_remaining;
  gint64         rate_reset;      /* epoch seconds */
};

typedef struct _OktaServerRule OktaServerRule;

struct _OktaServer {
  SoupServer   *soup;
  OktaState    *state;
  JsonNode     *seed;
  guint32       random_seed;
  guint         generate;
  char         *generate_group;
  GRand        *fault_rand;
  GRand        *id_rand;
  OktaSwitches  sw;
  OktaSwitches  initial;
  GPtrArray    *rules;            /* of OktaServerRule* */
  GPtrArray    *initial_rules;
  gint64        clock_offset;     /* ms added to real time */
  GHashTable   *access;           /* value → OktaAccess* */
  GHashTable   *assertion_jtis;   /* jti → expiry (ms), client assertions */
  GHashTable   *proof_jtis;       /* jti → expiry (ms), DPoP proofs */
  char         *dpop_nonce;
  GHashTable   *windows;          /* "org/bucket/credential" → OktaWindow* */
  GPtrArray    *calls;            /* of JsonObject*, oldest first */
  guint64       next_seq;
  guint         call_log_max;
  GHashTable   *by_route;
  GHashTable   *by_status;
  GHashTable   *by_fault;
  guint64       n_calls;
};

OktaServer  *okta_server_new          (OktaState    *state,
                                       JsonNode     *seed,
                                       guint32       random_seed,
                                       guint         generate,
                                       const char   *generate_group);
void         okta_server_free         (OktaServer   *server);
gboolean     okta_server_apply_switches (OktaServer *server,
                                       JsonObject   *switches,
                                       GError      **error);
void         okta_server_commit_switches (OktaServer *server);
JsonNode    *okta_server_dump_switches (OktaServer  *server);
gboolean     okta_server_listen       (OktaServer   *server,
                                       guint         port,
                                       GTlsCertificate *certificate,
                                       GError      **error);
guint        okta_server_port         (OktaServer   *server);
gint64       okta_server_now          (OktaServer   *server);     /* emulated ms */
gboolean     okta_server_reset_state  (OktaServer   *server,
                                       GError      **error);
void         okta_server_reset_rates  (OktaServer   *server);
void         okta_server_apply_retention (OktaServer *server);
JsonNode    *okta_server_calls_node   (OktaServer   *server,
                                       GHashTable   *query);
JsonNode    *okta_server_stats_node   (OktaServer   *server);
JsonNode    *okta_server_windows_node (OktaServer   *server);
void         okta_server_clear_calls  (OktaServer   *server,
                                       gboolean      restart_seq);
void         okta_server_clear_stats  (OktaServer   *server);
void         okta_server_reset_faults (OktaServer   *server);

/* OAuth access tokens and DPoP */
OktaAccess  *okta_server_new_access   (OktaServer   *server,
                                       OktaOrg      *org,
                                       OktaApp      *app,
                                       GPtrArray    *scopes,
                                       const char   *jkt,
                                       gint64        now);
OktaAccess  *okta_server_lookup_access (OktaServer  *server,
                                       const char   *value);
void         okta_server_expire_access (OktaServer  *server);
/* Remembers @jti until @expires; FALSE when it was seen already. */
gboolean     okta_server_use_jti      (OktaServer   *server,
                                       GHashTable   *table,
                                       const char   *jti,
                                       gint64        expires,
                                       gint64        now);

/* Answers */
void         okta_call_reply          (OktaCall     *call,
                                       guint         status,
                                       JsonNode     *body);
void         okta_call_error          (OktaCall     *call,
                                       guint         status,
                                       const char   *code,
                                       const char   *summary);
void         okta_call_okta_error     (OktaCall     *call,
                                       OktaError    *error);
void         okta_call_oauth_error    (OktaCall     *call,
                                       guint         status,
                                       const char   *error,
                                       const char   *description);
void         okta_call_header         (OktaCall     *call,
                                       const char   *name,
                                       const char   *value);
void         okta_call_set_route      (OktaCall     *call,
                                       const char   *route);
const char  *okta_call_query          (OktaCall     *call,
                                       const char   *name);
const char  *okta_call_request_header (OktaCall     *call,
                                       const char   *name);
/* "summary" for a given error code, from the catalogue */
const char  *okta_error_summary       (const char   *code);

/* okta-auth.c */
void         okta_auth_token          (OktaCall     *call);
/* Checks SSWS, Bearer or DPoP credentials, the scope and the role for
 * call->rights / call->scope; answers and returns FALSE when not allowed. */
gboolean     okta_auth_check          (OktaCall     *call);
void         okta_auth_insufficient_scope (OktaCall *call,
                                       const char   *scope);
void         okta_auth_invalid_token  (OktaCall     *call,
                                       const char   *description);

/* okta-api.c */
void         okta_api_classify        (OktaCall     *call);
void         okta_api_handle          (OktaCall     *call);
JsonNode    *okta_user_json           (OktaUser     *user,
                                       const char   *base,
                                       gboolean      collection,
                                       gboolean      credentials,
                                       OktaFields   *fields);
JsonNode    *okta_group_json          (OktaGroup    *group,
                                       const char   *base,
                                       gboolean      stats);

/* okta-admin.c */
void         okta_admin_handle        (OktaServer   *server,
                                       SoupServerMessage *msg,
                                       const char   *path,
                                       GHashTable   *query);

G_END_DECLS
