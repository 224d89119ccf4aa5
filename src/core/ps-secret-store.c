/* ps-secret-store.c — libsecret, and the 0600 credentials file fallback
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <libsecret/secret.h>

#include "ps-secret-store.h"

#define CREDENTIALS_GROUP "Credentials"
#define SCHEMA_FORMAT 1

G_DEFINE_QUARK (ps-secret-error-quark, ps_secret_error)

static const char *const kind_words[] = {
  "api-client-secret", "api-password", "bind-password", "entra-client-secret", "okta-api-token",
  NULL
};
static const char *const file_keys[] = {
  "ApiClientSecret", "ApiPassword", "BindPassword", "EntraClientSecret", "OktaApiToken", NULL
};

/* Session-only secrets, for when no Secret Service is running. */
static GMutex session_lock;
static GHashTable *session_secrets;

/* ---------------------------------------------------------------- helpers */

static const SecretSchema *
get_schema (void)
{
  static const SecretSchema schema = {
    APPLICATION_ID ".Secret", SECRET_SCHEMA_NONE,
    {
      { "profile", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "format", SECRET_SCHEMA_ATTRIBUTE_INTEGER },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  };
  return &schema;
}

static char *
session_key (PsProfile    *profile,
             PsSecretKind  kind)
{
  return g_strdup_printf ("%s/%s", ps_profile_get_id (profile), kind_words[kind]);
}

static char *
session_lookup (PsProfile    *profile,
                PsSecretKind  kind)
{
  g_autofree char *key = session_key (profile, kind);
  char *value = NULL;

  g_mutex_lock (&session_lock);
  if (session_secrets != NULL)
    value = g_strdup (g_hash_table_lookup (session_secrets, key));
  g_mutex_unlock (&session_lock);
  return value;
}

static void
session_forget (PsProfile    *profile,
                PsSecretKind  kind)
{
  g_autofree char *key = session_key (profile, kind);

  g_mutex_lock (&session_lock);
  if (session_secrets != NULL)
    g_hash_table_remove (session_secrets, key);
  g_mutex_unlock (&session_lock);
}

static void
set_service_error (GError       **error,
                   const GError  *cause)
{
  g_debug ("Secret Service error: %s", cause->message);
  g_set_error (error, PS_SECRET_ERROR, PS_SECRET_ERROR_NO_SERVICE,
               _("The keyring (Secret Service) cannot be reached: %s. Unlock or start your "
                 "keyring, or give the profile a CredentialsFile for headless use."),
               cause->message);
}

static gboolean
check_secret_value (const char  *secret,
                    GError     **error)
{
  if (secret == NULL || *secret == '\0')
    {
      g_set_error_literal (error, PS_SECRET_ERROR, PS_SECRET_ERROR_INVALID,
                           _("The secret is empty"));
      return FALSE;
    }
  if (strlen (secret) > PS_SECRET_MAX_LEN)
    {
      g_set_error (error, PS_SECRET_ERROR, PS_SECRET_ERROR_INVALID,
                   _("The secret is longer than %d bytes"), PS_SECRET_MAX_LEN);
      return FALSE;
    }
  if (strchr (secret, '\n') != NULL || strchr (secret, '\r') != NULL)
    {
      g_set_error_literal (error, PS_SECRET_ERROR, PS_SECRET_ERROR_INVALID,
                           _("The secret contains a line break"));
      return FALSE;
    }
  return TRUE;
}

gboolean
ps_secret_check_file_permissions (const char  *path,
                                  GError     **error)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    {
      int saved = errno;
      g_set_error (error, PS_SECRET_ERROR, PS_SECRET_ERROR_FILE,
                   _("Cannot read the credentials file %s: %s"), path, g_strerror (saved));
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, PS_SECRET_ERROR, PS_SECRET_ERROR_FILE,
                   _("The credentials file %s is not a regular file"), path);
      return FALSE;
    }
  if (st.st_uid != getuid ())
    {
      g_set_error (error, PS_SECRET_ERROR, PS_SECRET_ERROR_INSECURE_FILE,
                   _("The credentials file %s belongs to another user (uid %u); "
                     "it must belong to the user the sync runs as"),
                   path, (guint) st.st_uid);
      return FALSE;
    }
  if ((st.st_mode & 077) != 0)
    {
      g_set_error (error, PS_SECRET_ERROR, PS_SECRET_ERROR_INSECURE_FILE,
                   _("The credentials file %s can be read by other users (mode %04o); "
                     "refusing to use it. Run: chmod 600 %s"),
                   path, (guint) (st.st_mode & 07777), path);
      return FALSE;
    }
  return TRUE;
}

static GKeyFile *
load_credentials_file (const char  *path,
                       gboolean     missing_ok,
                       GError     **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) local = NULL;

  if (missing_ok && !g_file_test (path, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&kf);
  if (!ps_secret_check_file_permissions (path, error))
    return NULL;
  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_KEEP_COMMENTS, &local))
    {
      g_set_error (error, PS_SECRET_ERROR, PS_SECRET_ERROR_FILE,
                   _("The credentials file %s cannot be read: %s"), path, local->message);
      return NULL;
    }
  return g_steal_pointer (&kf);
}

static gboolean
save_credentials_file (GKeyFile    *kf,
                       const char  *path,
                       GError     **error)
{
  g_autofree char *data = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) local = NULL;
  gsize length = 0;
  gboolean ok;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, PS_SECRET_ERROR, PS_SECRET_ERROR_FILE,
                   _("Cannot create the folder %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }
  data = g_key_file_to_data (kf, &length, NULL);
  ok = g_file_set_contents_full (path, data, length, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local);
  memset (data, 0, length);
  if (!ok)
    {
      g_set_error (error, PS_SECRET_ERROR, PS_SECRET_ERROR_FILE,
                   _("Cannot write the credentials file %s: %s"), path, local->message);
      return FALSE;
    }
  return TRUE;
}

/* ---------------------------------------------------------------- public API */

const char *
ps_secret_kind_to_string (PsSecretKind kind)
{
  g_return_val_if_fail (kind < PS_SECRET_N_KINDS, NULL);
  return kind_words[kind];
}

gboolean
ps_secret_kind_from_string (const char   *text,
                            PsSecretKind *out)
{
  for (guint i = 0; kind_words[i] != NULL; i++)
    if (g_strcmp0 (kind_words[i], text) == 0)
      {
        *out = (PsSecretKind) i;
        return TRUE;
      }
  return FALSE;
}

const char *
ps_secret_kind_describe (PsSecretKind kind)
{
  switch (kind)
    {
    case PS_SECRET_API_CLIENT_SECRET:
      return _("Asset Panda API client secret");
    case PS_SECRET_API_PASSWORD:
      return _("Asset Panda password");
    case PS_SECRET_BIND_PASSWORD:
      return _("Active Directory password");
    case PS_SECRET_ENTRA_CLIENT_SECRET:
      return _("Microsoft Entra ID client secret");
    case PS_SECRET_OKTA_API_TOKEN:
      return _("Okta API token");
    case PS_SECRET_N_KINDS:
    default:
      g_return_val_if_reached (NULL);
    }
}

PsSecretKind
ps_secret_kind_for_source (PsSourceKind source)
{
  switch (source)
    {
    case PS_SOURCE_KIND_ENTRA_ID:
      return PS_SECRET_ENTRA_CLIENT_SECRET;
    case PS_SOURCE_KIND_OKTA:
      return PS_SECRET_OKTA_API_TOKEN;
    case PS_SOURCE_KIND_ACTIVE_DIRECTORY:
    default:
      return PS_SECRET_BIND_PASSWORD;
    }
}

void
ps_secret_free (char *secret)
{
  if (secret == NULL)
    return;
  memset (secret, 0, strlen (secret));
  g_free (secret);
}

void
ps_secret_remember_for_session (PsProfile    *profile,
                                PsSecretKind  kind,
                                const char   *secret)
{
  g_mutex_lock (&session_lock);
  if (session_secrets == NULL)
    session_secrets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) ps_secret_free);
  g_hash_table_replace (session_secrets, session_key (profile, kind), g_strdup (secret));
  g_mutex_unlock (&session_lock);
}

/**
 * ps_secret_lookup_sync:
 *
 * Returns: (transfer full): the secret; free it with ps_secret_free().
 */
char *
ps_secret_lookup_sync (PsProfile     *profile,
                       PsSecretKind   kind,
                       GCancellable  *cancellable,
                       GError       **error)
{
  const char *file = ps_profile_get_credentials_file (profile);
  g_autoptr(GError) local = NULL;
  char *value;

  g_return_val_if_fail (PS_IS_PROFILE (profile), NULL);
  g_return_val_if_fail (kind < PS_SECRET_N_KINDS, NULL);

  value = session_lookup (profile, kind);
  if (value != NULL)
    return value;

  if (file != NULL)
    {
      g_autoptr(GKeyFile) kf = load_credentials_file (file, FALSE, error);

      if (kf == NULL)
        return NULL;
      value = g_key_file_get_string (kf, CREDENTIALS_GROUP, file_keys[kind], NULL);
      if (value == NULL || *value == '\0')
        {
          g_free (value);
          g_set_error (error, PS_SECRET_ERROR, PS_SECRET_ERROR_NOT_FOUND,
                       _("The credentials file %s has no %s (key %s in [%s])"),
                       file, ps_secret_kind_describe (kind), file_keys[kind], CREDENTIALS_GROUP);
          return NULL;
        }
      return value;
    }

  value = secret_password_lookup_sync (get_schema (), cancellable, &local,
                                       "profile", ps_profile_get_id (profile),
                                       "kind", kind_words[kind],
                                       "format", SCHEMA_FORMAT,
                                       NULL);
  if (local != NULL)
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local));
      else
        set_service_error (error, local);
      return NULL;
    }
  if (value == NULL)
    {
      g_set_error (error, PS_SECRET_ERROR, PS_SECRET_ERROR_NOT_FOUND,
                   _("No %s is stored for the profile “%s”. Enter it in the Connection page, or run: "
                     "pandasync-cli profile set-secret --profile %s %s"),
                   ps_secret_kind_describe (kind), ps_profile_get_name (profile),
                   ps_profile_get_name (profile), kind_words[kind]);
      return NULL;
    }
  /* libsecret hands out non-pageable memory; copy it to ordinary memory that
   * callers free with ps_secret_free(). */
  {
    char *copy = g_strdup (value);
    secret_password_free (value);
    return copy;
  }
}

gboolean
ps_secret_store_sync (PsProfile     *profile,
                      PsSecretKind   kind,
                      const char    *secret,
                      GCancellable  *cancellable,
                      GError       **error)
{
  const char *file = ps_profile_get_credentials_file (profile);
  g_autoptr(GError) local = NULL;
  g_autofree char *label = NULL;

  g_return_val_if_fail (PS_IS_PROFILE (profile), FALSE);
  g_return_val_if_fail (kind < PS_SECRET_N_KINDS, FALSE);

  if (!check_secret_value (secret, error))
    return FALSE;

  session_forget (profile, kind);
  if (file != NULL)
    {
      g_autoptr(GKeyFile) kf = load_credentials_file (file, TRUE, error);

      if (kf == NULL)
        return FALSE;
      g_key_file_set_string (kf, CREDENTIALS_GROUP, file_keys[kind], secret);
      return save_credentials_file (kf, file, error);
    }

  /* Translators: the label of a keyring item; %s is a profile name */
  label = g_strdup_printf (_("PandaSync %s: %s"), ps_profile_get_name (profile),
                           ps_secret_kind_describe (kind));
  if (!secret_password_store_sync (get_schema (), SECRET_COLLECTION_DEFAULT, label, secret,
                                   cancellable, &local,
                                   "profile", ps_profile_get_id (profile),
                                   "kind", kind_words[kind],
                                   "format", SCHEMA_FORMAT,
                                   NULL))
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local));
      else
        set_service_error (error, local);
      return FALSE;
    }
  return TRUE;
}

gboolean
ps_secret_clear_sync (PsProfile     *profile,
                      PsSecretKind   kind,
                      GCancellable  *cancellable,
                      GError       **error)
{
  const char *file = ps_profile_get_credentials_file (profile);
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (PS_IS_PROFILE (profile), FALSE);

  session_forget (profile, kind);
  if (file != NULL)
    {
      g_autoptr(GKeyFile) kf = load_credentials_file (file, TRUE, error);

      if (kf == NULL)
        return FALSE;
      g_key_file_remove_key (kf, CREDENTIALS_GROUP, file_keys[kind], NULL);
      return save_credentials_file (kf, file, error);
    }

  secret_password_clear_sync (get_schema (), cancellable, &local,
                              "profile", ps_profile_get_id (profile),
                              "kind", kind_words[kind],
                              "format", SCHEMA_FORMAT,
                              NULL);
  if (local != NULL)
    {
      set_service_error (error, local);
      return FALSE;
    }
  return TRUE;
}
