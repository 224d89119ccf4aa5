/* ps-target-http.h — the Asset Panda transport (private to src/target)
 *
 * One PsHttp per PsTarget: one SoupSession (keep-alive, max-conns-per-host =
 * the profile's concurrency), one private GMainContext, one pacer. Callers
 * hand over a batch of calls and block until every call is answered; inside,
 * up to `concurrency` calls are in flight at once.
 *
 * Retries (R9): only 408, 429, 502/503/504, connection errors, and a 2xx
 * answer whose body is cut off or is not JSON; Retry-After (delta-seconds or
 * HTTP-date) is honoured, otherwise capped exponential backoff with full
 * jitter, at most PS_HTTP_MAX_ATTEMPTS per call, within a retry budget.
 * Every call but a create is idempotent — reads, the record searches (POST,
 * but they change nothing), the sign-in, updates and archives — and is
 * re-sent after a lost connection or an unreadable answer. A call marked
 * no_resend (a create) is never re-sent after an ambiguous failure: it comes
 * back with ambiguous = TRUE, and the caller looks it up by its anchor.
 * An HTML page instead of JSON (a proxy or sign-in page) is not retried.
 */
#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "ps-target-error.h"

G_BEGIN_DECLS

#define PS_HTTP_MAX_ATTEMPTS 6

typedef enum {
  PS_HTTP_CALL_PENDING,
  PS_HTTP_CALL_RUNNING,
  PS_HTTP_CALL_DONE,
} PsHttpCallState;

typedef struct {
  /* in */
  char       *method;
  char       *path;        /* relative to the base URL, with its query */
  GBytes     *body;        /* JSON, or NULL */
  gboolean    no_resend;   /* a create: an ambiguous failure is not re-sent */
  gboolean    is_login;    /* no credentials header; bodies never logged */
  gpointer    user_data;
  guint       user_index;
  guint       user_count;
  /* out */
  guint       status;
  GBytes     *response;
  char       *content_type; /* of the answer */
  GError     *error;       /* mapped PS_TARGET_ERROR (or cancelled); NULL on success */
  gboolean    ambiguous;   /* sent, then the connection failed: outcome unknown */
  gboolean    auth_failed; /* 401, or 400 with an auth message: sign in again */
  guint       attempts;
  /* private */
  PsHttpCallState state;
  gint64      not_before;
  gboolean    body_sent;
  gboolean    headers_sent;  /* the request reached the host */
  gboolean    answer_started;
} PsHttpCall;

typedef struct {
  guint64 sent;             /* HTTP requests put on the wire */
  guint64 retries;
  guint64 rate_limited;     /* 429 answers */
  guint64 unavailable;      /* 408/5xx answers */
  guint64 connection_errors;
  guint64 malformed;        /* 2xx answers cut off or not JSON */
  guint64 accepted;         /* 2xx answers but the sign-in's, readable or not: the token worked */
  gint64  paced_us;         /* time spent waiting for the pacer */
} PsHttpStats;

typedef struct _PsHttp PsHttp;
typedef void (*PsHttpAuthorizeFunc) (SoupMessage *msg, gpointer data);

PsHttp     *ps_http_new            (const char *base_url, const char *ca_file,
                                    guint concurrency, guint rate_calls, guint rate_window,
                                    GError **error);
void        ps_http_free           (PsHttp *http);
void        ps_http_set_authorize  (PsHttp *http, PsHttpAuthorizeFunc func, gpointer data);
void        ps_http_set_backoff    (PsHttp *http, guint base_ms, guint cap_ms);
void        ps_http_set_timeout    (PsHttp *http, guint seconds);
void        ps_http_set_idle_timeout (PsHttp *http, guint seconds);
void        ps_http_add_secret     (PsHttp *http, const char *secret);
char       *ps_http_redact         (PsHttp *http, const char *text);
const char *ps_http_get_host       (PsHttp *http);
int         ps_http_get_port       (PsHttp *http);
const char *ps_http_get_scheme     (PsHttp *http);
GTlsDatabase *ps_http_get_extra_ca (PsHttp *http);
void        ps_http_get_stats      (PsHttp *http, PsHttpStats *stats);
void        ps_http_lock           (PsHttp *http);
void        ps_http_unlock         (PsHttp *http);

/* Runs @calls (of PsHttpCall*) until each is DONE, or until a fatal answer
 * (401/403, auth failure) or cancellation stops dispatching: then FALSE, and
 * calls never started stay PENDING. */
gboolean    ps_http_run            (PsHttp *http, GPtrArray *calls,
                                    GCancellable *cancellable, GError **error);

PsHttpCall *ps_http_call_new       (const char *method, JsonNode *body,
                                    const char *path_format, ...) G_GNUC_PRINTF (3, 4);
void        ps_http_call_free      (PsHttpCall *call);
void        ps_http_call_reset     (PsHttpCall *call);
/* The parsed answer (JSON null for an empty one); the call's error if it failed. */
JsonNode   *ps_http_call_json      (PsHttpCall *call, GError **error);
GError     *ps_http_call_unexpected (PsHttpCall *call, const char *what);
/* The answer parsed, but not into the shape the contract allows. */
GError     *ps_http_call_shape_error (PsHttpCall *call);
/* One record's rejection inside a batch answer (@errors: its JSON), mapped
 * as if Asset Panda had answered 422 for it alone. */
GError     *ps_http_call_record_error (PsHttpCall *call, GBytes *errors);

/* The escaped form of @text for a path segment or query value. */
char       *ps_http_escape         (const char *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsHttpCall, ps_http_call_free)

G_END_DECLS
