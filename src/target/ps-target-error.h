/* ps-target-error.h — the one error domain of the Asset Panda client
 *
 * Every failure of src/target, whatever its cause (HTTP status, JSON body,
 * TLS, DNS, a socket), ends up here with a translated message a person can
 * act on. The mapping lives in one function, ps_target_error_from_http().
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PS_TARGET_ERROR (ps_target_error_quark ())
GQuark ps_target_error_quark (void);

typedef enum {
  PS_TARGET_ERROR_AUTH,          /* wrong credentials, or a token that a new sign-in did not fix */
  PS_TARGET_ERROR_PERMISSION,    /* 403: the API user may not do this (e.g. create users) */
  PS_TARGET_ERROR_NOT_FOUND,     /* 404: unknown account, module, collection, field or record */
  PS_TARGET_ERROR_INVALID,       /* 400/422: Asset Panda rejected the values (per record) */
  PS_TARGET_ERROR_RATE_LIMITED,  /* 429 that did not clear within the retries */
  PS_TARGET_ERROR_UNAVAILABLE,   /* 5xx / 408 that did not clear within the retries */
  PS_TARGET_ERROR_TLS,           /* certificate or TLS handshake problem */
  PS_TARGET_ERROR_UNREACHABLE,   /* DNS, refused, silent or dropped connections */
  PS_TARGET_ERROR_UNEXPECTED,    /* a cut-off or malformed answer, a web page, or a shape we cannot read */
  PS_TARGET_ERROR_AMBIGUOUS,     /* a create was sent and its outcome is unknown */
  PS_TARGET_ERROR_NOT_SUPPORTED, /* this dialect has no such operation */
  PS_TARGET_ERROR_CONFIG,        /* the profile lacks a URL, a secret, an id…; an empty record id */
} PsTargetError;

/* TRUE for errors that must stop a whole mapping (R10): auth and permission. */
gboolean ps_target_error_is_fatal (const GError *error);

/* One exchange with Asset Panda as the transport saw it: what was asked,
 * how far it got and what came back. */
typedef struct {
  const char   *method;
  const char   *path;            /* without its query */
  const char   *host;            /* named in the message; NULL: "Asset Panda" */
  guint         status;          /* 0 when no answer came */
  const char   *content_type;    /* of the answer, or NULL */
  GBytes       *body;            /* the answer's body, or NULL */
  const GError *transport_error; /* the GIO/libsoup error, or NULL when an answer came */
  gboolean      request_sent;    /* the request's headers went out (the host was reached) */
  gboolean      answer_started;  /* the answer's headers came in */
  guint         attempts;
} PsTargetExchange;

/* The one mapping function. A transport error is named by how far the
 * exchange got: a host that cannot be reached or stays silent is
 * UNREACHABLE; a connection lost before or while the answer came says so.
 * An answer that is a web page (text/html, or a body starting with '<') is
 * named as such, whatever its status, unless the status itself says the
 * service is unavailable. A 2xx answer whose body is not JSON (cut off, or
 * malformed) is UNEXPECTED. Returns NULL for a 2xx answer whose body is
 * JSON or empty. */
GError *ps_target_error_from_http (const PsTargetExchange *exchange);

/* TRUE when @body is empty or one complete JSON text: a syntax check that
 * builds nothing, for every answer (a cut-off answer is not JSON). */
gboolean ps_target_answer_is_json    (GBytes     *body);

/* The server's own message from an error body: message, error,
 * errors[0].base[0], errors[0].field_N[0] … ; NULL when none. */
char   *ps_target_error_body_message (GBytes *body);

G_END_DECLS
