/* ps-directory-error.h — the errors of the directory reader
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One domain for everything under src/directory. The code says which step
 * failed; the message (translated) says what an administrator can do about it.
 * The raw LDAP detail goes to g_debug () only.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PS_DIRECTORY_ERROR (ps_directory_error_quark ())
GQuark ps_directory_error_quark (void);

typedef enum {
  PS_DIRECTORY_ERROR_CONFIG,               /* the profile's directory settings are unusable */
  PS_DIRECTORY_ERROR_RESOLVE,              /* host name or SRV record not found */
  PS_DIRECTORY_ERROR_CONNECT,              /* refused, unreachable, timed out */
  PS_DIRECTORY_ERROR_TLS,                  /* TLS failed for another reason */
  PS_DIRECTORY_ERROR_TLS_UNKNOWN_CA,       /* certificate not signed by a trusted CA */
  PS_DIRECTORY_ERROR_TLS_HOSTNAME,         /* certificate is for another host name */
  PS_DIRECTORY_ERROR_TLS_EXPIRED,          /* certificate expired or not yet valid */
  PS_DIRECTORY_ERROR_PLAINTEXT_REFUSED,    /* a simple bind without TLS, not allowed */
  PS_DIRECTORY_ERROR_INVALID_CREDENTIALS,  /* 49 / data 52e, 525 */
  PS_DIRECTORY_ERROR_ACCOUNT_DISABLED,     /* data 533 */
  PS_DIRECTORY_ERROR_ACCOUNT_LOCKED,       /* data 775 */
  PS_DIRECTORY_ERROR_ACCOUNT_EXPIRED,      /* data 701 */
  PS_DIRECTORY_ERROR_PASSWORD_EXPIRED,     /* data 532 */
  PS_DIRECTORY_ERROR_PASSWORD_MUST_CHANGE, /* data 773 */
  PS_DIRECTORY_ERROR_LOGON_RESTRICTED,     /* data 530, 531 */
  PS_DIRECTORY_ERROR_STRONG_AUTH_REQUIRED, /* the server wants TLS or signing */
  PS_DIRECTORY_ERROR_BIND,                 /* any other bind failure */
  PS_DIRECTORY_ERROR_NO_SUCH_OBJECT,       /* base DN or named entry does not exist */
  PS_DIRECTORY_ERROR_ACCESS_DENIED,        /* insufficient rights */
  PS_DIRECTORY_ERROR_NOT_FOUND,            /* no group / user matched */
  PS_DIRECTORY_ERROR_AMBIGUOUS,            /* more than one matched */
  PS_DIRECTORY_ERROR_SIZE_LIMIT,           /* a size limit cut the result short */
  PS_DIRECTORY_ERROR_TIME_LIMIT,           /* a time limit cut the result short */
  PS_DIRECTORY_ERROR_SERVER_DOWN,          /* connection lost */
  PS_DIRECTORY_ERROR_TIMEOUT,              /* no answer in time */
  PS_DIRECTORY_ERROR_PARTIAL,              /* the read stopped part-way: results are incomplete */
  PS_DIRECTORY_ERROR_SEARCH,               /* any other search failure */
  PS_DIRECTORY_ERROR_NOT_SUPPORTED,        /* e.g. uSNChanged deltas on OpenLDAP */
  PS_DIRECTORY_ERROR_INVALID_ARGUMENT,     /* bad SID/GUID/DN text */
  PS_DIRECTORY_ERROR_INVALID_VALUE,        /* a value that cannot be decoded (bad UTF-8) */
  PS_DIRECTORY_ERROR_FULL_READ_REQUIRED,   /* the delta watermark is from another DC or database */
  PS_DIRECTORY_ERROR_PARTIAL_MEMBERS,      /* members that cannot be read or classified: the
                                            * membership is incomplete (see PsDirectoryMemberReport) */
  PS_DIRECTORY_ERROR_BIND_NAME,            /* the bind was refused, and the username is in none of
                                            * the forms a directory binds with (a DN, user@domain,
                                            * DOMAIN\user) */
} PsDirectoryError;

/* What was being done when an LDAP call failed; picks the wording. */
typedef enum {
  PS_DIRECTORY_OP_CONNECT,
  PS_DIRECTORY_OP_TLS,
  PS_DIRECTORY_OP_BIND,
  PS_DIRECTORY_OP_SEARCH,
  PS_DIRECTORY_OP_READ_BASE,
} PsDirectoryOp;

void     ps_directory_set_error_from_ldap (GError     **error,
                                           PsDirectoryOp op,
                                           int          result_code,
                                           const char  *diagnostic,
                                           const char  *target);
int      ps_directory_ad_data_code        (const char  *diagnostic);
gboolean ps_directory_error_is_transient  (const GError *error);

G_END_DECLS
