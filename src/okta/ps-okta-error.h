/* ps-okta-error.h — the one error domain of the Okta source
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every failure of src/okta — Okta's HTTP statuses and error bodies
 * (`errorCode`, §1.5 of the Okta read contract), DNS, TLS and dropped
 * connections, web pages where JSON was expected — ends up here with a
 * translated message that says what failed and what to change. The mapping
 * lives in one function, ps_okta_error_from_http (); raw detail (error
 * summaries, X-Okta-Request-Id) goes to g_debug () only. No message ever
 * holds the API token or an Authorization header.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PS_OKTA_ERROR (ps_okta_error_quark ())
GQuark ps_okta_error_quark (void);

typedef enum {
  PS_OKTA_ERROR_CONFIG,          /* no or a bad org URL, no API token, an unreadable CA file */
  PS_OKTA_ERROR_HOST_NOT_FOUND,  /* DNS: the org's host name does not resolve */
  PS_OKTA_ERROR_TLS,             /* certificate or TLS handshake problem */
  PS_OKTA_ERROR_UNREACHABLE,     /* refused, silent or dropped connections */
  PS_OKTA_ERROR_AUTH,            /* 401 E0000011: the token is wrong, expired or revoked */
  PS_OKTA_ERROR_PERMISSION,      /* 403 E0000006 (the admin role), or a missing OAuth scope */
  PS_OKTA_ERROR_NOT_FOUND,       /* 404 E0000007: no such group or user (any more) */
  PS_OKTA_ERROR_AMBIGUOUS,       /* several groups have the name */
  PS_OKTA_ERROR_INVALID_SEARCH,  /* a Filter that is not an Okta search expression,
                                  * or 400 E0000031 / E0000030 */
  PS_OKTA_ERROR_INVALID_REQUEST, /* any other 4xx */
  PS_OKTA_ERROR_THROTTLED,       /* 429 that did not clear within the retries */
  PS_OKTA_ERROR_UNAVAILABLE,     /* 5xx that did not clear within the retries */
  PS_OKTA_ERROR_UNEXPECTED,      /* a web page, cut-off or malformed data, an odd shape */
  PS_OKTA_ERROR_PARTIAL,         /* the read delivered what it could, but some users could
                                  * not be classified: the result is incomplete */
  PS_OKTA_ERROR_NOT_SUPPORTED,   /* e.g. an OAuth 2.0 service app instead of an API token */
} PsOktaError;

/* Okta's error codes the mapping branches on (§1.5). */
#define PS_OKTA_E_INVALID_TOKEN    "E0000011"
#define PS_OKTA_E_FORBIDDEN        "E0000006"
#define PS_OKTA_E_NOT_FOUND        "E0000007"
#define PS_OKTA_E_TOO_MANY         "E0000047"
#define PS_OKTA_E_INVALID_SEARCH   "E0000031"
#define PS_OKTA_E_INVALID_DATE     "E0000030"
#define PS_OKTA_E_TIMEOUT          "E0000009"

/* One exchange with Okta, as the transport saw it. */
typedef struct {
  const char   *method;
  const char   *path;             /* without its query */
  const char   *host;             /* named in messages */
  guint         status;           /* 0 when no answer came */
  const char   *content_type;     /* of the answer, or NULL */
  GBytes       *body;             /* the answer's body, or NULL */
  const char   *www_authenticate; /* of a 401/403 answer, or NULL */
  const GError *transport_error;  /* the GIO/libsoup error, or NULL when an answer came */
  gboolean      request_sent;     /* the request's headers went out (the host was reached) */
  gboolean      answer_started;   /* the answer's headers came in */
  guint         attempts;
  const char   *action;           /* translated, e.g. "read the members of group “Staff”" */
} PsOktaExchange;

/* The one mapping function. Returns NULL for a 2xx answer whose body is a
 * JSON object or array. Otherwise:
 * - a transport error is named by its kind (DNS, TLS) and by how far the
 *   exchange got (unreachable, no answer in time, connection lost);
 * - an HTML answer is named as a web page (a proxy or sign-in portal),
 *   unless its status says the service is unavailable;
 * - a 2xx answer that does not parse is cut off or malformed;
 * - Okta's errors by status and `errorCode`, never by `errorSummary`:
 *   401 (E0000011) AUTH, 403 (E0000006, or an empty body with
 *   `error="insufficient_scope"`) PERMISSION, 404 (E0000007) NOT_FOUND,
 *   400 E0000031/E0000030 INVALID_SEARCH, 429 THROTTLED, 5xx UNAVAILABLE. */
GError     *ps_okta_error_from_http   (const PsOktaExchange *exchange);

/* Okta's `errorCode` in @body, or NULL. */
char       *ps_okta_error_code        (GBytes *body);

/* TRUE for errors that must stop a whole run: the token and permissions. */
gboolean    ps_okta_error_is_fatal    (const GError *error);

/* TRUE for errors that may clear by themselves (throttling, outages,
 * unreachable hosts, cut-off answers): worth another run later. */
gboolean    ps_okta_error_is_transient (const GError *error);

G_END_DECLS
