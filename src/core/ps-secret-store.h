/* ps-secret-store.h — where passwords and API secrets live.
 *
 * Secrets are kept in the Secret Service (libsecret) under one schema keyed by
 * profile id and kind. A profile with a CredentialsFile (the headless service
 * with no keyring) reads them from that file instead, which must be a regular
 * file readable by its owner only (mode 0600 or stricter).
 *
 * Blocking calls: use them from a worker thread, or wrap them in a GTask.
 */
#pragma once

#include "ps-profile.h"

G_BEGIN_DECLS

#define PS_SECRET_ERROR (ps_secret_error_quark ())
GQuark ps_secret_error_quark (void);

typedef enum {
  PS_SECRET_ERROR_NOT_FOUND,        /* nothing stored for this profile and kind */
  PS_SECRET_ERROR_NO_SERVICE,       /* no Secret Service on the session bus */
  PS_SECRET_ERROR_INSECURE_FILE,    /* credentials file readable by others, or not ours */
  PS_SECRET_ERROR_FILE,             /* credentials file missing, unreadable or corrupt */
  PS_SECRET_ERROR_INVALID,          /* empty or oversized secret */
} PsSecretError;

typedef enum {
  PS_SECRET_API_CLIENT_SECRET,
  PS_SECRET_API_PASSWORD,
  PS_SECRET_BIND_PASSWORD,
  PS_SECRET_ENTRA_CLIENT_SECRET,    /* the Entra ID app registration's client secret */
  PS_SECRET_OKTA_API_TOKEN,         /* an Okta API token (SSWS) of a read-only admin */
  PS_SECRET_N_KINDS
} PsSecretKind;

#define PS_SECRET_MAX_LEN 4096

const char *ps_secret_kind_to_string   (PsSecretKind kind);   /* "api-client-secret" … */
gboolean    ps_secret_kind_from_string (const char *text, PsSecretKind *out);
const char *ps_secret_kind_describe    (PsSecretKind kind);   /* translated, for people */
/* The secret an identity source signs in with: the bind password, Entra ID's
 * client secret or Okta's API token. */
PsSecretKind ps_secret_kind_for_source (PsSourceKind source);

char       *ps_secret_lookup_sync (PsProfile     *profile,
                                   PsSecretKind   kind,
                                   GCancellable  *cancellable,
                                   GError       **error);
gboolean    ps_secret_store_sync  (PsProfile     *profile,
                                   PsSecretKind   kind,
                                   const char    *secret,
                                   GCancellable  *cancellable,
                                   GError       **error);
gboolean    ps_secret_clear_sync  (PsProfile     *profile,
                                   PsSecretKind   kind,
                                   GCancellable  *cancellable,
                                   GError       **error);

/* Keeps a secret in this process only, for when no Secret Service runs. */
void        ps_secret_remember_for_session (PsProfile *profile, PsSecretKind kind, const char *secret);

/* Checks a credentials file: regular, owned by us, no group/other bits. */
gboolean    ps_secret_check_file_permissions (const char *path, GError **error);

/* Overwrites then frees a secret string. */
void        ps_secret_free (char *secret);
typedef char PsSecretString;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsSecretString, ps_secret_free)

G_END_DECLS
