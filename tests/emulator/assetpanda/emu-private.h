/* emu-private.h — shared types of the Asset Panda emulator
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The emulator holds one tenant in memory in two dialects: Classic v3
 * (groups, objects, users, user templates) and Pro (accounts, modules,
 * collections, records, roles, users). See README.md for the contract.
 */
#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "emu-common.h"

G_BEGIN_DECLS

typedef enum {
  EMU_DIALECT_CLASSIC,
  EMU_DIALECT_PRO,
} EmuDialect;

typedef enum {
  EMU_FIELD_PLAIN,     /* text, numbers, dates: stored as given */
  EMU_FIELD_LIST,      /* single-select: stores an option id */
  EMU_FIELD_LINK,      /* entity list / reference: stores a record id */
} EmuFieldKind;

typedef struct {
  char *id;            /* Classic: decimal integer; Pro: ULID-like */
  char *label;
} EmuOption;

typedef struct {
  char         *key;         /* field_N (Classic) or column id (Pro) */
  gint64        num_id;      /* Classic field id */
  char         *name;
  char         *type;
  EmuFieldKind  kind;
  gboolean      required;
  gboolean      unique;
  GPtrArray    *options;     /* of EmuOption* */
  char         *link_table;  /* EMU_FIELD_LINK: id of the linked table */
  JsonObject   *extra;       /* seed members echoed back unchanged */
} EmuField;

typedef struct _EmuTable EmuTable;
typedef struct _EmuState EmuState;

typedef struct {
  char       *id;
  EmuTable   *table;
  JsonObject *values;        /* field key → stored value */
  char       *ad_sid;        /* built-in integ_ad_sid (Classic) */
  gboolean    archived;
  gint64      created_at;    /* µs since the epoch */
  gint64      updated_at;
  guint       version;
  guint       index;         /* position in table->records */
} EmuRecord;

struct _EmuTable {
  EmuState   *state;
  EmuDialect  dialect;
  char       *id;
  char       *name;
  char       *key;           /* Classic group key */
  char       *account_id;    /* Pro */
  char       *module_id;     /* Pro */
  JsonObject *extra;         /* other seed members (icon, isActive, …) */
  char      **display_keys;  /* fields that make the display name */
  JsonArray  *statuses;      /* Classic */

  GPtrArray  *fields;        /* of EmuField*, seed order */
  GHashTable *field_by_key;
  GPtrArray  *records;       /* of EmuRecord*, creation order */
  GHashTable *record_by_id;
  GHashTable *unique;        /* field key → (folded text → EmuRecord*) */
  guint       n_archived;
  guint64     version;       /* bumped on every change of the table */
  int         column_seq;

  /* The last filtered search, so that paging through it is O(page). */
  char       *cache_key;
  guint64     cache_version;
  GPtrArray  *cache_matches;
};

struct _EmuState {
  JsonObject *classic;       /* seed "classic" minus groups */
  JsonObject *pro;           /* seed "pro" minus collections */
  GPtrArray  *tables;        /* of EmuTable*, both dialects, seed order */
  GHashTable *table_by_id;
  GRand      *rand;          /* ids: deterministic under --random-seed */
  guint64     version;       /* bumped on every change of any table */
  gint64      next_user_id;
};

/* ---------------------------------------------------------------- JSON helpers */

/* Borrowed; NULL when @object is NULL or the member is missing or of
 * another type. */
const char *emu_member_string        (JsonObject  *object,
                                      const char  *name);
JsonObject *emu_member_object        (JsonObject  *object,
                                      const char  *name);
JsonArray  *emu_member_array         (JsonObject  *object,
                                      const char  *name);

/* ---------------------------------------------------------------- state */

EmuState   *emu_state_new_from_json  (JsonNode    *seed,
                                      guint32      random_seed,
                                      GError     **error);
void        emu_state_free           (EmuState    *state);
JsonNode   *emu_state_dump           (EmuState    *state);
EmuTable   *emu_state_table          (EmuState    *state,
                                      EmuDialect   dialect,
                                      const char  *id);
char       *emu_state_new_object_id  (EmuState    *state);
char       *emu_state_new_ulid       (EmuState    *state);

EmuField   *emu_table_field          (EmuTable    *table,
                                      const char  *key);
EmuRecord  *emu_table_record         (EmuTable    *table,
                                      const char  *id);
EmuOption  *emu_field_option         (EmuField    *field,
                                      const char  *id);
char       *emu_record_display_name  (EmuRecord   *record);
char       *emu_record_text          (EmuRecord   *record,
                                      EmuField    *field);
EmuRecord  *emu_table_find_unique    (EmuTable    *table,
                                      const char  *key,
                                      const char  *text);
gboolean    emu_table_is_indexed     (EmuTable    *table,
                                      const char  *key);

/* Validates @changes (field key → value as sent) against @table: unknown
 * fields, options, links, required fields (when @creating) and unique
 * fields. @self is the record being updated, or NULL. Problems go into
 * @errors as field key → message; the return value is TRUE when there are
 * none and one of them is a uniqueness breach in @unique_breach. */
gboolean    emu_table_check          (EmuTable    *table,
                                      EmuRecord   *self,
                                      JsonObject  *changes,
                                      gboolean     creating,
                                      GHashTable  *batch_seen,
                                      JsonObject  *errors,
                                      gboolean    *unique_breach);
EmuRecord  *emu_table_insert         (EmuTable    *table,
                                      JsonObject  *changes,
                                      const char  *id);
void        emu_table_update         (EmuRecord   *record,
                                      JsonObject  *changes);
void        emu_table_set_archived   (EmuRecord   *record,
                                      gboolean     archived);
void        emu_table_remove         (EmuTable    *table,
                                      EmuRecord   *record);

/* Records of @table that @match accepts, in creation order. The last answer
 * is cached under @cache_key until the table changes, so that paging through
 * one query costs O(page) per page. Borrowed. */
typedef gboolean (*EmuMatchFunc) (EmuRecord *record, gpointer data);
GPtrArray  *emu_table_matches        (EmuTable    *table,
                                      const char  *cache_key,
                                      EmuMatchFunc match,
                                      gpointer     data);
char       *emu_node_text            (JsonNode    *node);

/* ---------------------------------------------------------------- server */

typedef struct _EmuServer EmuServer;

typedef struct {
  EmuServer         *server;
  SoupServerMessage *msg;
  const char        *method;
  const char        *path;
  GHashTable        *query;      /* may be NULL */
  char             **segments;   /* path split on '/', without the empty first */
  guint              n_segments;
  GBytes            *body;
  JsonNode          *json;       /* parsed body, or NULL */
  gboolean           bad_json;   /* a body was sent and is not JSON */
  char              *client;     /* rate-limit and permission key */
  char              *route;      /* "METHOD /pattern" for the stats */
  guint              status;
} EmuRequest;

typedef struct {
  /* Faults */
  double   error_rate;           /* random 502/503/504 */
  int      error_retry_after;    /* seconds, -1 = no header */
  double   drop_rate;            /* close without answering */
  double   malformed_rate;       /* 2xx with a JSON body cut in half and garbage added */
  double   slow_rate;
  guint    slow_ms;
  guint    latency_ms;
  guint    fail_next;            /* the next N calls answer fail_status */
  guint    fail_status;
  guint    drop_next;
  gboolean drop_after;           /* drop after applying the call (answer lost) */
  guint    malformed_next;
  double   truncate_rate;        /* 2xx whose body is cut short, nothing added */
  guint    truncate_next;
  gboolean truncate_close;       /* declare the full length, close after the cut */
  double   throttle_rate;        /* random 429 with Retry-After */
  int      throttle_retry_after; /* seconds on those, -1 = no header */
  double   html_rate;            /* a 200 sign-in page instead of the answer */
  guint    html_next;
  char    *fault_match;          /* glob on "METHOD /path": which calls faults hit */
  gboolean html_errors;          /* fault 5xx answers are HTML pages */
  /* Auth */
  guint    auth_error_status;    /* 401 or 400 */
  gboolean require_client;       /* Classic login needs client_id/secret */
  gint64   token_lifetime;       /* seconds */
  /* Answer shapes */
  char    *token_field;          /* "both", "access_token", "token" */
  char    *list_value_key;       /* "value" or "display_name" */
  char    *search_path;          /* "both", "search/objects", "objects/search" */
  gboolean omit_totals;
  char    *retry_after_format;   /* "seconds" or "date" */
  gboolean pro_bare_lists;       /* accounts/modules/collections as bare arrays */
  guint    pro_put_max;          /* 5 */
  guint    create_status;        /* 200 or 201 */
  /* Rate limit */
  guint    rate_calls;           /* 0 = off */
  guint    rate_window;          /* seconds */
  char    *rate_limit_by;        /* "client" or "ip" */
} EmuSwitches;

EmuServer  *emu_server_new           (EmuState    *state,
                                      JsonNode    *seed,
                                      guint32      random_seed);
void        emu_server_free          (EmuServer   *server);
EmuSwitches *emu_server_switches     (EmuServer   *server);
EmuState   *emu_server_state         (EmuServer   *server);
void        emu_server_set_save_path (EmuServer   *server,
                                      const char  *path);
void        emu_server_set_limits    (EmuServer   *server,
                                      gsize        max_body,
                                      guint        call_log_max);
void        emu_server_commit_switches (EmuServer *server);
gboolean    emu_server_save          (EmuServer   *server,
                                      GError     **error);
gboolean    emu_server_apply_switches (EmuServer  *server,
                                      JsonObject  *object,
                                      GError     **error);
JsonNode   *emu_server_dump_switches (EmuServer   *server);
gboolean    emu_server_listen        (EmuServer   *server,
                                      guint        port,
                                      GTlsCertificate *certificate,
                                      GError     **error);
guint       emu_server_port          (EmuServer   *server);

/* Answers for the dialect handlers. */
void        emu_reply                (EmuRequest  *req,
                                      guint        status,
                                      JsonNode    *body);
void        emu_reply_error          (EmuRequest  *req,
                                      guint        status,
                                      const char  *message,
                                      JsonArray   *errors);
void        emu_reply_auth_error     (EmuRequest  *req,
                                      const char  *message);
void        emu_request_set_route    (EmuRequest  *req,
                                      const char  *route);
const char *emu_request_query        (EmuRequest  *req,
                                      const char  *name);
JsonObject *emu_request_object       (EmuRequest  *req);
gint64      emu_now                  (void);
char       *emu_format_time          (gint64       usec);
gboolean    emu_parse_time           (const char  *text,
                                      gint64      *usec);

/* Client keys and permissions */
const char *emu_server_token_client  (EmuServer   *server,
                                      const char  *token);
gboolean    emu_server_client_granular (EmuServer *server,
                                      const char  *client);

/* ---------------------------------------------------------------- dialects */

/* Both return FALSE when the path is not theirs. */
gboolean    emu_classic_handle       (EmuRequest  *req);
gboolean    emu_pro_handle           (EmuRequest  *req);

/* Classic tokens live in the server. */
typedef struct {
  char   *token;
  gint64  user_id;
  char   *client_id;   /* NULL when logged in without one */
  gint64  expires_at;  /* µs, real time */
} EmuToken;

EmuToken   *emu_server_new_token     (EmuServer   *server,
                                      gint64       user_id,
                                      const char  *client_id);
EmuToken   *emu_server_lookup_token  (EmuServer   *server,
                                      const char  *token);

/* The JSON members ordered and rendered for the wire. */
JsonNode   *emu_classic_render_object (EmuServer  *server,
                                       EmuRecord  *record);

G_END_DECLS
