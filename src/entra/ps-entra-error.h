/* ps-entra-error.h — the one error domain of the Microsoft Entra ID source
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every failure of src/entra — the token endpoint's OAuth errors (AADSTS
 * codes), Microsoft Graph's HTTP statuses and error bodies, TLS, DNS and
 * dropped connections — ends up here with a translated message that says
 * what failed and what to change. The mapping lives in one function,
 * ps_entra_error_from_http (); raw detail (error descriptions, request ids)
 * goes to g_debug () only. No message ever holds a secret or a token.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PS_ENTRA_ERROR (ps_entra_error_quark ())
GQuark ps_entra_error_quark (void);

typedef enum {
  PS_ENTRA_ERROR_CONFIG,             /* no tenant, client id or secret; a URL that is not http(s) */
  PS_ENTRA_ERROR_TENANT_NOT_FOUND,   /* AADSTS90002 / 900023: unknown tenant, or the wrong cloud */
  PS_ENTRA_ERROR_CLIENT_NOT_FOUND,   /* AADSTS700016: no such application in the tenant */
  PS_ENTRA_ERROR_INVALID_SECRET,     /* AADSTS7000215: wrong secret (often its ID, not its value) */
  PS_ENTRA_ERROR_SECRET_EXPIRED,     /* AADSTS7000222 */
  PS_ENTRA_ERROR_INVALID_CERTIFICATE,/* AADSTS700027 / 700021 / 50027: the client assertion */
  PS_ENTRA_ERROR_INVALID_SCOPE,      /* AADSTS70011: the Graph URL does not fit the cloud */
  PS_ENTRA_ERROR_AUTH,               /* any other sign-in failure; Graph refusing a fresh token */
  PS_ENTRA_ERROR_PERMISSION,         /* 403: an application permission is missing or not consented */
  PS_ENTRA_ERROR_NOT_FOUND,          /* 404: the group or user does not exist */
  PS_ENTRA_ERROR_RESYNC_REQUIRED,    /* the delta link expired (syncStateNotFound, resyncRequired,
                                      * 410): drop it and read everything again */
  PS_ENTRA_ERROR_INVALID_REQUEST,    /* 400/501: Graph rejected the query (an attribute name…) */
  PS_ENTRA_ERROR_THROTTLED,          /* 429 that did not clear within the retries */
  PS_ENTRA_ERROR_UNAVAILABLE,        /* 5xx that did not clear within the retries */
  PS_ENTRA_ERROR_TLS,                /* certificate or TLS handshake problem */
  PS_ENTRA_ERROR_UNREACHABLE,        /* DNS, refused, silent or dropped connections */
  PS_ENTRA_ERROR_UNEXPECTED,         /* a web page, cut-off or malformed data, an odd shape */
  PS_ENTRA_ERROR_PARTIAL,            /* the read delivered what it could, but some members
                                      * could not be classified: the result is incomplete */
  PS_ENTRA_ERROR_NOT_SUPPORTED,      /* e.g. certificate credentials in this build */
} PsEntraError;

/* One exchange with the token endpoint or Microsoft Graph, as the
 * transport saw it: what was asked, how far it got and what came back. */
typedef struct {
  const char   *method;
  const char   *path;             /* without its query */
  const char   *host;             /* named in messages */
  guint         status;           /* 0 when no answer came */
  const char   *content_type;     /* of the answer, or NULL */
  GBytes       *body;             /* the answer's body, or NULL */
  const GError *transport_error;  /* the GIO/libsoup error, or NULL when an answer came */
  gboolean      request_sent;     /* the request's headers went out (the host was reached) */
  gboolean      answer_started;   /* the answer's headers came in */
  guint         attempts;
  /* what the call was */
  gboolean      token_request;    /* the OAuth token endpoint (its own error shape) */
  gboolean      delta;            /* a delta link, or a page of a delta round */
  const char   *permission;       /* the least application permission the call needs */
  const char   *action;           /* translated, e.g. "read the members of group “Staff”" */
  /* for the token endpoint's messages */
  const char   *tenant;
  const char   *client_id;
  const char   *graph_base;
  gboolean      secret_looks_like_id;  /* the configured secret has a GUID's shape */
} PsEntraExchange;

/* The one mapping function. Returns NULL for a 2xx answer whose body is a
 * JSON object (or empty). Otherwise:
 * - a transport error is named by how far the exchange got (unreachable,
 *   no answer in time, connection lost), TLS errors as TLS;
 * - an HTML answer is named as a web page (a proxy or sign-in portal),
 *   unless its status says the service is unavailable;
 * - the token endpoint's errors by `error` and `error_codes[0]`, never by
 *   the description text;
 * - Graph's errors by status and `error.code` (walking `innerError.code`):
 *   403 names @permission, 401 means the token was refused, 404 not found,
 *   syncStateNotFound / resyncRequired / resync* (and 410 on a delta call)
 *   is RESYNC_REQUIRED, 429 THROTTLED, 5xx UNAVAILABLE. */
GError     *ps_entra_error_from_http       (const PsEntraExchange *exchange);

/* Graph's `error.code` (the outer one), or NULL. */
char       *ps_entra_error_graph_code      (GBytes *body);

/* TRUE when @code (case-insensitive) says a delta token is no longer valid. */
gboolean    ps_entra_error_code_is_resync  (const char *code);

/* TRUE for errors that must stop a whole run: sign-in and permissions. */
gboolean    ps_entra_error_is_fatal        (const GError *error);

/* TRUE for errors that may clear by themselves (throttling, outages,
 * unreachable hosts, cut-off answers): worth another run later. */
gboolean    ps_entra_error_is_transient    (const GError *error);

G_END_DECLS
