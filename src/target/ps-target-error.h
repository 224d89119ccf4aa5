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
  PS_TARGET_ERROR_UNREACHABLE,   /* DNS, refused or dropped connections */
  PS_TARGET_ERROR_UNEXPECTED,    /* malformed JSON, or a shape we cannot read */
  PS_TARGET_ERROR_AMBIGUOUS,     /* a create was sent and its outcome is unknown */
  PS_TARGET_ERROR_NOT_SUPPORTED, /* this dialect has no such operation */
  PS_TARGET_ERROR_CONFIG,        /* the profile lacks a URL, a secret, an id… */
} PsTargetError;

/* TRUE for errors that must stop a whole mapping (R10): auth and permission. */
gboolean ps_target_error_is_fatal (const GError *error);

/* The one mapping function. @transport_error is the GIO/libsoup error of the
 * exchange (NULL when a response arrived); otherwise @status and @body are
 * read. @method and @path name the endpoint in the message. Returns NULL for
 * a 2xx answer without transport error. */
GError *ps_target_error_from_http (const char   *method,
                                   const char   *path,
                                   const char   *host,
                                   guint         status,
                                   GBytes       *body,
                                   const GError *transport_error,
                                   guint         attempts);

/* The server's own message from an error body: message, error,
 * errors[0].base[0], errors[0].field_N[0] … ; NULL when none. */
char   *ps_target_error_body_message (GBytes *body);

G_END_DECLS
