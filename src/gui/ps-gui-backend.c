/* ps-gui-backend.c — everything the pages ask of the identity source and Asset Panda
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every public function here is a GTask run in a worker thread; the thread
 * function calls the blocking API of the identity source (PsSource, made by
 * ps_source_new_for_profile () from a copy of the profile loaded in the
 * worker), src/target (PsTarget), the run history (PsState) or the secret
 * store and returns plain data. Nothing here touches a widget. Of the
 * sources only their error domains are known here, to say which field of
 * the form a failed step is about.
 */

#include <string.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "ps-directory-error.h"
#include "ps-engine.h"
#include "ps-entra-error.h"
#include "ps-gui-backend.h"
#include "ps-names.h"
#include "ps-okta-error.h"
#include "ps-report.h"
#include "ps-secret-store.h"
#include "ps-source.h"
#include "ps-state.h"
#include "ps-target.h"

/* At most this many groups answer a search. */
#define GROUP_SEARCH_LIMIT 200

/* What a worker needs, copied on the main thread: the worker never reads
 * the connection settings of a profile the pages may be editing. The profile
 * itself is kept for its id and credentials file, which do not change. */
typedef struct
{
  PsProfile     *profile;
  PsTargetConfig target;
  PsSourceKind   source_kind;
  char          *state_path;
  PsGuiSecrets  *secrets;
  PsGuiListKind  kind;
  char          *account;
  char          *module;
  char          *detail;
  char          *profile_name;  /* the profile's name… */
  char          *profile_data;  /* …and the profile in memory, as a file */
  PsMapping     *mapping;       /* a scope count: the form's mapping, copied */
  char          *okta_ca_file;  /* a connection test: the [Okta] CA file, to blame it */
  char          *old_name;      /* overlaps: the mapping being edited; a rename: its name… */
  char          *new_name;      /* …and the new one */
} TaskData;

/* Tells the profile copies of connection tests apart (see load_test_snapshot). */
static guint test_serial;

/* ---------------------------------------------------------------- helpers */

static void
copy_target (PsTargetConfig       *dst,
             const PsTargetConfig *src)
{
  *dst = *src;
  dst->url = g_strdup (src->url);
  dst->client_id = g_strdup (src->client_id);
  dst->email = g_strdup (src->email);
  dst->ca_file = g_strdup (src->ca_file);
}

static void
clear_target (PsTargetConfig *target)
{
  g_free (target->url);
  g_free (target->client_id);
  g_free (target->email);
  g_free (target->ca_file);
}

static void
task_data_free (TaskData *data)
{
  clear_target (&data->target);
  g_free (data->state_path);
  g_clear_object (&data->profile);
  g_clear_pointer (&data->secrets, ps_gui_secrets_free);
  g_free (data->account);
  g_free (data->module);
  g_free (data->detail);
  g_free (data->profile_name);
  g_free (data->profile_data);
  g_clear_pointer (&data->mapping, ps_mapping_free);
  g_free (data->okta_ca_file);
  g_free (data->old_name);
  g_free (data->new_name);
  g_free (data);
}

static TaskData *
task_data_new (PsProfile          *profile,
               const PsGuiSecrets *secrets)
{
  TaskData *data = g_new0 (TaskData, 1);

  data->profile = g_object_ref (profile);
  copy_target (&data->target, ps_profile_get_target (profile));
  data->source_kind = ps_profile_get_source_kind (profile);
  data->state_path = ps_profile_dup_state_path (profile);
  data->okta_ca_file = g_strdup (ps_profile_get_okta (profile)->ca_file);
  if (secrets != NULL)
    data->secrets = ps_gui_secrets_new (secrets->api_client_secret, secrets->api_password,
                                        secrets->bind_password, secrets->entra_client_secret,
                                        secrets->okta_api_token);
  return data;
}

/* Keeps the profile as it is now, for a worker that needs its source. */
static void
task_data_take_snapshot (TaskData  *data,
                         PsProfile *profile)
{
  data->profile_name = g_strdup (ps_profile_get_name (profile));
  data->profile_data = ps_profile_to_data (profile, NULL);
}

/* The profile as it is in memory, loaded again from @data in this (worker)
 * thread: the engine reads the settings of its own copy, never those of the
 * profile the pages are editing. The file lives only for the load. */
static PsProfile *
load_snapshot (const char  *name,
               const char  *data,
               GError     **error)
{
  g_autofree char *dir = g_dir_make_tmp ("pandasync-scope-XXXXXX", error);
  g_autofree char *file = g_strconcat (name, ".conf", NULL);
  g_autofree char *path = NULL;
  PsProfile *snapshot = NULL;

  if (dir == NULL)
    return NULL;
  path = g_build_filename (dir, file, NULL);
  if (g_file_set_contents_full (path, data, -1, G_FILE_SET_CONTENTS_NONE, 0600, error))
    snapshot = ps_profile_load_file (path, error);
  g_unlink (path);
  g_rmdir (dir);
  return snapshot;
}

/* The identity source of the profile kept in @data, in this (worker) thread;
 * it finds its secret in the secret store as a sync does. */
static PsSource *
open_source (TaskData      *data,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(PsProfile) snapshot = load_snapshot (data->profile_name, data->profile_data, error);

  if (snapshot == NULL)
    return NULL;
  return ps_source_new_for_profile (snapshot, cancellable, error);
}

static const char *
source_secret (const PsGuiSecrets *secrets,
               PsSourceKind        kind)
{
  switch (kind)
    {
    case PS_SOURCE_KIND_ENTRA_ID:
      return secrets->entra_client_secret;
    case PS_SOURCE_KIND_OKTA:
      return secrets->okta_api_token;
    case PS_SOURCE_KIND_ACTIVE_DIRECTORY:
    default:
      return secrets->bind_password;
    }
}

/* The profile of the form, loaded in this (worker) thread under an id of
 * its own and without a credentials file: the source of a connection test
 * must use the secret typed into the form, which is not stored yet, and
 * must not see (or replace) the one stored for the real profile. */
static PsProfile *
load_test_snapshot (TaskData  *data,
                    GError   **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *id = NULL;
  g_autofree char *contents = NULL;

  if (!g_key_file_load_from_data (kf, data->profile_data, -1, G_KEY_FILE_KEEP_COMMENTS, error))
    return NULL;
  id = g_strdup_printf ("%s~connection-test-%u", ps_profile_get_id (data->profile),
                        (guint) g_atomic_int_add (&test_serial, 1));
  g_key_file_set_string (kf, "Profile", "Id", id);
  g_key_file_remove_key (kf, "Profile", "CredentialsFile", NULL);
  contents = g_key_file_to_data (kf, NULL, error);
  if (contents == NULL)
    return NULL;
  return load_snapshot (data->profile_name, contents, error);
}

/* The source of a connection test: its secret is handed over through the
 * session store of the test's own profile id, and forgotten (wiped) as
 * soon as the source holds it. */
static PsSource *
open_test_source (TaskData      *data,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autoptr(PsProfile) snapshot = load_test_snapshot (data, error);
  PsSecretKind kind = ps_secret_kind_for_source (data->source_kind);
  const char *secret = source_secret (data->secrets, data->source_kind);
  g_autoptr(GError) local = NULL;
  PsSource *source;

  if (snapshot == NULL)
    return NULL;
  if (secret != NULL && *secret != '\0')
    ps_secret_remember_for_session (snapshot, kind, secret);
  source = ps_source_new_for_profile (snapshot, cancellable, error);
  if (secret != NULL && *secret != '\0'
      && !ps_secret_clear_sync (snapshot, kind, NULL, &local))
    g_debug ("Nothing to clear for the connection test's profile: %s", local->message);
  return source;
}

static PsGuiStepResult *
step_result_new (gboolean          directory,
                 PsConnectionStep *step,
                 PsGuiField        field)
{
  PsGuiStepResult *result = g_new0 (PsGuiStepResult, 1);

  result->directory = directory;
  result->step = step;
  result->field = step->status == PS_STEP_FAILED ? field : PS_GUI_FIELD_NONE;
  return result;
}

static gboolean
is_blank (const char *text)
{
  return text == NULL || *text == '\0';
}

/* Which field a failed directory step is about: its stable id, refined by
 * the error code (a wrong password fails the bind step, a locked account
 * too, but they are about different fields). */
static PsGuiField
directory_field_for_step (const PsConnectionStep *step)
{
  static const struct { PsDirectoryError code; PsGuiField field; } bind_table[] = {
    { PS_DIRECTORY_ERROR_INVALID_CREDENTIALS, PS_GUI_FIELD_AD_PASSWORD },
    { PS_DIRECTORY_ERROR_PASSWORD_EXPIRED, PS_GUI_FIELD_AD_PASSWORD },
    { PS_DIRECTORY_ERROR_PASSWORD_MUST_CHANGE, PS_GUI_FIELD_AD_PASSWORD },
    { PS_DIRECTORY_ERROR_BIND_NAME, PS_GUI_FIELD_AD_USER },
    { PS_DIRECTORY_ERROR_ACCOUNT_DISABLED, PS_GUI_FIELD_AD_USER },
    { PS_DIRECTORY_ERROR_ACCOUNT_LOCKED, PS_GUI_FIELD_AD_USER },
    { PS_DIRECTORY_ERROR_ACCOUNT_EXPIRED, PS_GUI_FIELD_AD_USER },
    { PS_DIRECTORY_ERROR_LOGON_RESTRICTED, PS_GUI_FIELD_AD_USER },
    { PS_DIRECTORY_ERROR_PLAINTEXT_REFUSED, PS_GUI_FIELD_AD_URIS },
    { PS_DIRECTORY_ERROR_STRONG_AUTH_REQUIRED, PS_GUI_FIELD_AD_URIS },
  };

  if (g_str_equal (step->id, "ldap-bind"))
    {
      for (guint i = 0; step->error != NULL && i < G_N_ELEMENTS (bind_table); i++)
        if (g_error_matches (step->error, PS_DIRECTORY_ERROR, bind_table[i].code))
          return bind_table[i].field;
      return PS_GUI_FIELD_AD_PASSWORD;
    }
  if (g_str_equal (step->id, "ldap-tls") && step->error != NULL
      && g_error_matches (step->error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_TLS_UNKNOWN_CA))
    return PS_GUI_FIELD_AD_CA_FILE;
  if (g_str_equal (step->id, "ldap-base-dn") || g_str_equal (step->id, "ldap-group"))
    return PS_GUI_FIELD_AD_BASE_DN;
  if (step->error != NULL && g_error_matches (step->error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_CONFIG))
    return PS_GUI_FIELD_AD_URIS;
  return PS_GUI_FIELD_AD_URIS;
}

/* Which field a failed Microsoft Entra ID step is about, by its error code;
 * PS_GUI_FIELD_NONE when the step alone cannot tell (a refusal that names
 * no culprit, an outage). */
static PsGuiField
entra_field_for_step (const PsConnectionStep *step)
{
  gboolean sign_in = g_str_equal (step->id, "token");

  if (step->error == NULL || step->error->domain != PS_ENTRA_ERROR)
    return PS_GUI_FIELD_NONE;
  switch ((PsEntraError) step->error->code)
    {
    case PS_ENTRA_ERROR_CONFIG:
    case PS_ENTRA_ERROR_TENANT_NOT_FOUND:
      return PS_GUI_FIELD_ENTRA_TENANT;
    case PS_ENTRA_ERROR_CLIENT_NOT_FOUND:
    case PS_ENTRA_ERROR_PERMISSION:
      /* the app registration lacks the permission: it is named by its id */
      return PS_GUI_FIELD_ENTRA_CLIENT_ID;
    case PS_ENTRA_ERROR_INVALID_SECRET:
    case PS_ENTRA_ERROR_SECRET_EXPIRED:
      return PS_GUI_FIELD_ENTRA_CLIENT_SECRET;
    case PS_ENTRA_ERROR_INVALID_SCOPE:
      return PS_GUI_FIELD_ENTRA_GRAPH_URL;
    case PS_ENTRA_ERROR_TLS:
      return PS_GUI_FIELD_ENTRA_CA_FILE;
    case PS_ENTRA_ERROR_AUTH:
      /* after the sign-in: Graph refused its token, another cloud's */
      return sign_in ? PS_GUI_FIELD_NONE : PS_GUI_FIELD_ENTRA_GRAPH_URL;
    case PS_ENTRA_ERROR_UNREACHABLE:
    case PS_ENTRA_ERROR_UNEXPECTED:
      return sign_in ? PS_GUI_FIELD_ENTRA_LOGIN_URL : PS_GUI_FIELD_ENTRA_GRAPH_URL;
    case PS_ENTRA_ERROR_INVALID_CERTIFICATE:
    case PS_ENTRA_ERROR_NOT_FOUND:
    case PS_ENTRA_ERROR_RESYNC_REQUIRED:
    case PS_ENTRA_ERROR_INVALID_REQUEST:
    case PS_ENTRA_ERROR_THROTTLED:
    case PS_ENTRA_ERROR_UNAVAILABLE:
    case PS_ENTRA_ERROR_PARTIAL:
    case PS_ENTRA_ERROR_NOT_SUPPORTED:
    default:
      return PS_GUI_FIELD_NONE;
    }
}

/* Which field a failed Okta step is about, by its error code: the org URL
 * for DNS, an unreachable host or a page that is not Okta's API; the CA
 * file for TLS (and a CA file that cannot be read); the token when Okta
 * refuses it (E0000011) or its admin may not read (E0000006). */
static PsGuiField
okta_field_for_step (const PsConnectionStep *step,
                     const char             *ca_file)
{
  if (step->error == NULL || step->error->domain != PS_OKTA_ERROR)
    return PS_GUI_FIELD_NONE;
  switch ((PsOktaError) step->error->code)
    {
    case PS_OKTA_ERROR_CONFIG:
      /* the client could not be made: the CA file, the URL or no token */
      if (ca_file != NULL && strstr (step->error->message, ca_file) != NULL)
        return PS_GUI_FIELD_OKTA_CA_FILE;
      return PS_GUI_FIELD_OKTA_URL;
    case PS_OKTA_ERROR_HOST_NOT_FOUND:
    case PS_OKTA_ERROR_UNREACHABLE:
    case PS_OKTA_ERROR_UNEXPECTED:
      return PS_GUI_FIELD_OKTA_URL;
    case PS_OKTA_ERROR_TLS:
      return PS_GUI_FIELD_OKTA_CA_FILE;
    case PS_OKTA_ERROR_AUTH:
    case PS_OKTA_ERROR_PERMISSION:
    case PS_OKTA_ERROR_NOT_SUPPORTED:
      return PS_GUI_FIELD_OKTA_TOKEN;
    case PS_OKTA_ERROR_NOT_FOUND:
    case PS_OKTA_ERROR_AMBIGUOUS:
    case PS_OKTA_ERROR_INVALID_SEARCH:
    case PS_OKTA_ERROR_INVALID_REQUEST:
    case PS_OKTA_ERROR_THROTTLED:
    case PS_OKTA_ERROR_UNAVAILABLE:
    case PS_OKTA_ERROR_PARTIAL:
    default:
      return PS_GUI_FIELD_NONE;
    }
}

static PsGuiField
source_field_for_step (TaskData               *data,
                       const PsConnectionStep *step)
{
  if (data->source_kind == PS_SOURCE_KIND_ENTRA_ID)
    return entra_field_for_step (step);
  if (data->source_kind == PS_SOURCE_KIND_OKTA)
    return okta_field_for_step (step, data->okta_ca_file);
  return directory_field_for_step (step);
}

static const char *
describe_settings_step (PsSourceKind kind)
{
  switch (kind)
    {
    case PS_SOURCE_KIND_ENTRA_ID:
      return _("Read the Microsoft Entra ID settings");
    case PS_SOURCE_KIND_OKTA:
      return _("Read the Okta settings");
    case PS_SOURCE_KIND_ACTIVE_DIRECTORY:
    default:
      return _("Read the Active Directory settings");
    }
}

/* The text Asset Panda itself gave, the last “…” of a target error. */
static const char *
server_words (const char *message,
              char      **out)
{
  const char *open = message != NULL ? g_strrstr (message, "“") : NULL;
  const char *close = open != NULL ? strstr (open, "”") : NULL;

  *out = open != NULL && close != NULL ? g_strndup (open + strlen ("“"), close - open - strlen ("“")) : NULL;
  return *out;
}

/* Which field a failed Asset Panda step is about. */
static PsGuiField
target_field_for_step (const PsTargetConfig   *target,
                       const PsConnectionStep *step)
{
  gboolean classic = ps_target_config_effective_dialect (target) == PS_DIALECT_CLASSIC;

  if (g_str_equal (step->id, "auth") || g_str_equal (step->id, "accounts")
      || g_str_equal (step->id, "config"))
    {
      g_autofree char *said = NULL;
      g_autofree char *lower = NULL;

      if (!classic)
        return PS_GUI_FIELD_API_CLIENT_SECRET;
      /* Classic signs in with both the API client and the user: what
       * Asset Panda answered says which of them it refused. */
      if (server_words (step->message, &said) == NULL)
        return PS_GUI_FIELD_API_CLIENT_SECRET;
      lower = g_utf8_strdown (said, -1);
      if (strstr (lower, "client") != NULL)
        return PS_GUI_FIELD_API_CLIENT_SECRET;
      if (strstr (lower, "email") != NULL && strstr (lower, "password") == NULL)
        return PS_GUI_FIELD_API_EMAIL;
      if (strstr (lower, "password") != NULL || strstr (lower, "inactive") != NULL)
        return PS_GUI_FIELD_API_PASSWORD;
      return PS_GUI_FIELD_API_CLIENT_SECRET;
    }
  if (g_str_equal (step->id, "permissions"))
    return PS_GUI_FIELD_API_CLIENT_ID;
  return PS_GUI_FIELD_API_URL;
}

/* A one-step result for a test that could not start (bad settings). */
static GPtrArray *
failed_steps (const char   *id,
              const char   *title,
              const GError *error)
{
  GPtrArray *steps = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_connection_step_free);
  PsConnectionStep *step = ps_connection_step_new (id, title);

  ps_connection_step_finish (step, g_get_monotonic_time (), PS_STEP_FAILED, NULL, error);
  g_ptr_array_add (steps, step);
  return steps;
}

/* The identity source's connection test, in this (worker) thread. Returns
 * the steps, whose errors keep their codes for the field mapping. */
static GPtrArray *
run_source_test (TaskData     *data,
                 GCancellable *cancellable)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsSource) source = open_test_source (data, cancellable, &error);
  GPtrArray *steps;

  if (source == NULL)
    return failed_steps ("config", describe_settings_step (data->source_kind), error);
  steps = ps_source_test_connection_sync (source, NULL, cancellable, &error);
  ps_source_close (source);
  if (steps == NULL)
    return failed_steps ("test", _("Test the connection"), error);
  return steps;
}

/* Asset Panda's connection test, in this (worker) thread. */
static GPtrArray *
run_target_test (TaskData     *data,
                 GCancellable *cancellable)
{
  const PsGuiSecrets *secrets = data->secrets;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsTarget) target = ps_target_new (&data->target,
                                              is_blank (secrets->api_client_secret) ? NULL : secrets->api_client_secret,
                                              is_blank (secrets->api_password) ? NULL : secrets->api_password,
                                              &error);

  if (target == NULL)
    return failed_steps ("config", _("Read the Asset Panda settings"), error);
  return ps_target_test_connection_sync (target, cancellable);
}

static PsGuiChoice *
choice_from_entity (const PsTargetEntity *entity)
{
  return ps_gui_choice_new (entity->id, entity->name);
}

static PsGuiChoice *
choice_from_field (const PsTargetField *field)
{
  PsGuiChoice *choice = ps_gui_choice_new (field->key, field->name);

  choice->type = g_strdup (field->type_name);
  if (field->options != NULL)
    {
      choice->options = g_new0 (char *, field->options->len + 1);
      for (guint i = 0; i < field->options->len; i++)
        choice->options[i] = g_strdup (((PsTargetOption *) g_ptr_array_index (field->options, i))->label);
    }
  return choice;
}

/* The source's groups matching the search text, each by the id that
 * survives renames and moves (objectGUID, or the DN on a directory without
 * one; the Graph object id). */
static GPtrArray *
list_groups (TaskData      *data,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(PsSource) source = open_source (data, cancellable, error);
  g_autoptr(GPtrArray) groups = NULL;
  GPtrArray *choices;
  const char *search = is_blank (data->detail) ? NULL : data->detail;

  if (source == NULL)
    return NULL;
  groups = ps_source_find_groups_sync (source, search, GROUP_SEARCH_LIMIT, cancellable, error);
  ps_source_close (source);
  if (groups == NULL)
    return NULL;
  choices = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_gui_choice_free);
  for (guint i = 0; i < groups->len; i++)
    {
      const PsSourceGroup *group = g_ptr_array_index (groups, i);
      g_ptr_array_add (choices, ps_gui_choice_new (group->id, group->name));
    }
  return choices;
}

/* What the source suggests for a mapping's attributes, in its order. */
static GPtrArray *
list_attributes (TaskData      *data,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_autoptr(PsSource) source = open_source (data, cancellable, error);
  const char *const *names;
  GPtrArray *choices;

  if (source == NULL)
    return NULL;
  names = ps_source_suggested_attributes (source);
  choices = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_gui_choice_free);
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    g_ptr_array_add (choices, ps_gui_choice_new (names[i], names[i]));
  return choices;
}

/* Keeps what Asset Panda calls these ids (ps-names.h): the mapping rows,
 * the Preview and History name them without asking again. */
static void
remember_names (TaskData  *data,
                GPtrArray *choices)
{
  static const PsNameKind kinds[] = {
    [PS_GUI_LIST_ACCOUNTS] = PS_NAME_ACCOUNT,
    [PS_GUI_LIST_MODULES] = PS_NAME_MODULE,
    [PS_GUI_LIST_ROLES] = PS_NAME_ROLE,
    [PS_GUI_LIST_COLLECTIONS] = PS_NAME_COLLECTION,
    [PS_GUI_LIST_FIELDS] = PS_NAME_FIELD,
  };
  g_autoptr(PsNames) names = ps_names_new ();
  g_autoptr(GError) error = NULL;

  if (data->kind >= G_N_ELEMENTS (kinds))
    return;
  for (guint i = 0; i < choices->len; i++)
    {
      const PsGuiChoice *choice = g_ptr_array_index (choices, i);
      ps_names_set (names, kinds[data->kind], data->kind == PS_GUI_LIST_FIELDS ? data->detail : NULL,
                    choice->id, choice->name);
    }
  if (!ps_names_remember (data->profile, names, &error))
    g_debug ("The names Asset Panda listed were not kept: %s", error->message);
}

static GPtrArray *
list_target (TaskData      *data,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(PsTarget) target = NULL;
  g_autoptr(GPtrArray) items = NULL;
  GPtrArray *choices;

  target = ps_target_new (&data->target,
                          is_blank (data->secrets->api_client_secret) ? NULL : data->secrets->api_client_secret,
                          is_blank (data->secrets->api_password) ? NULL : data->secrets->api_password,
                          error);
  if (target == NULL)
    return NULL;

  switch (data->kind)
    {
    case PS_GUI_LIST_ACCOUNTS:
      items = ps_target_list_accounts_sync (target, cancellable, error);
      break;
    case PS_GUI_LIST_MODULES:
      items = ps_target_list_modules_sync (target, data->account, cancellable, error);
      break;
    case PS_GUI_LIST_ROLES:
      items = ps_target_list_roles_sync (target, data->account, data->module, cancellable, error);
      break;
    case PS_GUI_LIST_COLLECTIONS:
      items = ps_target_list_collections_sync (target, data->account, data->module, cancellable, error);
      break;
    case PS_GUI_LIST_FIELDS:
      items = ps_target_list_fields_sync (target, data->account, data->module, data->detail,
                                          cancellable, error);
      break;
    case PS_GUI_LIST_GROUPS:
    case PS_GUI_LIST_ATTRIBUTES:
    default:
      g_assert_not_reached ();
    }
  if (items == NULL)
    return NULL;

  choices = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_gui_choice_free);
  for (guint i = 0; i < items->len; i++)
    g_ptr_array_add (choices, data->kind == PS_GUI_LIST_FIELDS
                              ? choice_from_field (g_ptr_array_index (items, i))
                              : choice_from_entity (g_ptr_array_index (items, i)));
  remember_names (data, choices);
  return choices;
}

static GPtrArray *
run_list (TaskData      *data,
          GCancellable  *cancellable,
          GError       **error)
{
  if (data->kind == PS_GUI_LIST_GROUPS)
    return list_groups (data, cancellable, error);
  if (data->kind == PS_GUI_LIST_ATTRIBUTES)
    return list_attributes (data, cancellable, error);
  return list_target (data, cancellable, error);
}

/* ---------------------------------------------------------------- threads */

static void
test_connections_thread (GTask        *task,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  TaskData *data = task_data;
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_gui_step_result_free);
  g_autoptr(GPtrArray) target_steps = NULL;
  g_autoptr(GPtrArray) source_steps = NULL;
  const PsTargetConfig *target = &data->target;

  target_steps = run_target_test (data, cancellable);
  if (g_task_return_error_if_cancelled (task))
    return;
  source_steps = run_source_test (data, cancellable);
  if (g_task_return_error_if_cancelled (task))
    return;

  g_ptr_array_set_free_func (target_steps, NULL);
  for (guint i = 0; i < target_steps->len; i++)
    {
      PsConnectionStep *step = g_ptr_array_index (target_steps, i);
      g_ptr_array_add (results, step_result_new (FALSE, step, target_field_for_step (target, step)));
    }
  g_ptr_array_set_free_func (source_steps, NULL);
  for (guint i = 0; i < source_steps->len; i++)
    {
      PsConnectionStep *step = g_ptr_array_index (source_steps, i);
      g_ptr_array_add (results, step_result_new (TRUE, step,
                                                 source_field_for_step (data, step)));
    }
  g_task_return_pointer (task, g_steal_pointer (&results), (GDestroyNotify) g_ptr_array_unref);
}

static gboolean
store_one (PsProfile     *profile,
           PsSecretKind   kind,
           const char    *secret,
           GCancellable  *cancellable,
           GError       **error)
{
  g_autoptr(GError) local = NULL;

  if (is_blank (secret))
    return TRUE;
  if (ps_secret_store_sync (profile, kind, secret, cancellable, &local))
    return TRUE;
  if (g_error_matches (local, PS_SECRET_ERROR, PS_SECRET_ERROR_NO_SERVICE))
    {
      /* No keyring: keep it for this session so the pages still work. */
      g_debug ("No Secret Service; keeping the %s for this session only: %s",
               ps_secret_kind_to_string (kind), local->message);
      ps_secret_remember_for_session (profile, kind, secret);
      return TRUE;
    }
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

static void
store_secrets_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  TaskData *data = task_data;
  g_autoptr(GError) error = NULL;

  if (!store_one (data->profile, PS_SECRET_API_CLIENT_SECRET, data->secrets->api_client_secret,
                  cancellable, &error)
      || !store_one (data->profile, PS_SECRET_API_PASSWORD, data->secrets->api_password,
                     cancellable, &error)
      || !store_one (data->profile, PS_SECRET_BIND_PASSWORD, data->secrets->bind_password,
                     cancellable, &error)
      || !store_one (data->profile, PS_SECRET_ENTRA_CLIENT_SECRET, data->secrets->entra_client_secret,
                     cancellable, &error)
      || !store_one (data->profile, PS_SECRET_OKTA_API_TOKEN, data->secrets->okta_api_token,
                     cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static char *
lookup_one (PsProfile    *profile,
            PsSecretKind  kind,
            GCancellable *cancellable)
{
  g_autoptr(GError) error = NULL;
  char *secret = ps_secret_lookup_sync (profile, kind, cancellable, &error);

  if (secret == NULL && !g_error_matches (error, PS_SECRET_ERROR, PS_SECRET_ERROR_NOT_FOUND))
    g_debug ("Cannot read the %s: %s", ps_secret_kind_to_string (kind), error->message);
  return secret;
}

static void
lookup_secrets_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  TaskData *data = task_data;
  PsGuiSecrets *secrets = g_new0 (PsGuiSecrets, 1);

  secrets->api_client_secret = lookup_one (data->profile, PS_SECRET_API_CLIENT_SECRET, cancellable);
  secrets->api_password = lookup_one (data->profile, PS_SECRET_API_PASSWORD, cancellable);
  secrets->bind_password = lookup_one (data->profile, PS_SECRET_BIND_PASSWORD, cancellable);
  secrets->entra_client_secret = lookup_one (data->profile, PS_SECRET_ENTRA_CLIENT_SECRET, cancellable);
  secrets->okta_api_token = lookup_one (data->profile, PS_SECRET_OKTA_API_TOKEN, cancellable);
  g_task_return_pointer (task, secrets, (GDestroyNotify) ps_gui_secrets_free);
}

static void
list_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  TaskData *data = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) choices = NULL;

  /* Asset Panda's secrets; a source looks its own up as it is made. */
  if (data->secrets == NULL && data->kind != PS_GUI_LIST_GROUPS && data->kind != PS_GUI_LIST_ATTRIBUTES)
    {
      data->secrets = g_new0 (PsGuiSecrets, 1);
      data->secrets->api_client_secret = lookup_one (data->profile, PS_SECRET_API_CLIENT_SECRET,
                                                     cancellable);
      data->secrets->api_password = lookup_one (data->profile, PS_SECRET_API_PASSWORD, cancellable);
    }
  choices = run_list (data, cancellable, &error);
  if (choices == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, g_steal_pointer (&choices), (GDestroyNotify) g_ptr_array_unref);
}

static void
last_run_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  TaskData *data = task_data;
  g_autoptr(PsState) state = NULL;
  g_autoptr(GError) error = NULL;
  gint64 started;

  /* No state file yet: it never ran (and opening would create one). */
  if (!g_file_test (data->state_path, G_FILE_TEST_EXISTS))
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  state = ps_state_open (data->state_path, &error);
  if (state == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  started = ps_state_last_run_start (state, TRUE);
  g_task_return_pointer (task, started > 0 ? g_date_time_new_from_unix_local (started) : NULL,
                         (GDestroyNotify) g_date_time_unref);
}

static void
count_scope_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  TaskData *data = task_data;
  g_autoptr(PsProfile) snapshot = NULL;
  g_autoptr(PsEngine) engine = NULL;
  g_autofree PsGuiScopeCount *count = g_new0 (PsGuiScopeCount, 1);
  g_autoptr(GError) error = NULL;

  snapshot = load_snapshot (data->profile_name, data->profile_data, &error);
  if (snapshot != NULL)
    engine = ps_engine_new (snapshot);
  if (engine == NULL
      || !ps_engine_count_scope_sync (engine, data->mapping, &count->members, &count->in_scope,
                                      &count->enabled, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&count), g_free);
}

static void
count_overlaps_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  TaskData *data = task_data;
  g_autoptr(PsProfile) snapshot = NULL;
  g_autoptr(PsEngine) engine = NULL;
  g_autoptr(GPtrArray) overlaps = NULL;
  g_autoptr(GError) error = NULL;

  snapshot = load_snapshot (data->profile_name, data->profile_data, &error);
  if (snapshot != NULL)
    engine = ps_engine_new (snapshot);
  if (engine != NULL)
    overlaps = ps_engine_count_overlaps_sync (engine, data->mapping, data->old_name, cancellable, &error);
  if (overlaps == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&overlaps), (GDestroyNotify) g_ptr_array_unref);
}

static void
count_claims_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  TaskData *data = task_data;
  g_autoptr(PsProfile) snapshot = NULL;
  g_autoptr(PsEngine) engine = NULL;
  g_autoptr(GHashTable) losses = NULL;
  g_autoptr(GError) error = NULL;

  snapshot = load_snapshot (data->profile_name, data->profile_data, &error);
  if (snapshot != NULL)
    engine = ps_engine_new (snapshot);
  if (engine != NULL)
    losses = ps_engine_count_claims_sync (engine, cancellable, &error);
  if (losses == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&losses), (GDestroyNotify) g_hash_table_unref);
}

static void
rename_mapping_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  TaskData *data = task_data;
  g_autoptr(PsProfile) snapshot = NULL;
  g_autoptr(PsEngine) engine = NULL;
  g_autoptr(GError) error = NULL;

  snapshot = load_snapshot (data->profile_name, data->profile_data, &error);
  if (snapshot != NULL)
    engine = ps_engine_new (snapshot);
  if (engine == NULL || !ps_engine_rename_mapping_sync (engine, data->old_name, data->new_name, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static const char *
describe_failed_status (PsRunStatus status)
{
  switch (status)
    {
    case PS_RUN_PAUSED:
      return _("a mapping paused");
    case PS_RUN_INTERRUPTED:
      return _("it was interrupted");
    case PS_RUN_FAILED:
    case PS_RUN_RUNNING:
    case PS_RUN_SUCCEEDED:
    case PS_RUN_CANCELLED:
    default:
      return _("see the History page");
    }
}

static void
latest_run_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  TaskData *data = task_data;
  g_autoptr(PsState) state = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GError) error = NULL;
  PsGuiLatestRun *latest = g_new0 (PsGuiLatestRun, 1);

  latest->state = PS_GUI_RUN_NONE;
  if (!g_file_test (data->state_path, G_FILE_TEST_EXISTS))
    {
      g_task_return_pointer (task, latest, (GDestroyNotify) ps_gui_latest_run_free);
      return;
    }
  state = ps_state_open (data->state_path, &error);
  runs = state != NULL ? ps_state_list_runs (state, 20, &error) : NULL;
  if (runs == NULL)
    {
      ps_gui_latest_run_free (latest);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Newest first; previews (dry runs) change nothing, so they do not count. */
  for (guint i = 0; i < runs->len; i++)
    {
      const PsRunInfo *info = g_ptr_array_index (runs, i);
      g_autofree char *when = NULL;

      if (info->dry_run)
        continue;
      latest->started = g_date_time_new_from_unix_local (info->started_at);
      switch (info->status)
        {
        case PS_RUN_RUNNING:
          latest->state = PS_GUI_RUN_RUNNING;
          break;
        case PS_RUN_FAILED:
        case PS_RUN_PAUSED:
        case PS_RUN_INTERRUPTED:
          latest->state = PS_GUI_RUN_FAILED;
          /* Translators: the date and time of a run, see g_date_time_format() */
          when = g_date_time_format (latest->started, C_("run time", "%-d %B, %H:%M"));
          /* Translators: what happened, and when the run started */
          latest->detail = g_strdup_printf (_("%s (%s)"), describe_failed_status (info->status), when);
          break;
        case PS_RUN_SUCCEEDED:
        case PS_RUN_CANCELLED:
        default:
          latest->state = PS_GUI_RUN_OK;
          break;
        }
      break;
    }
  g_task_return_pointer (task, latest, (GDestroyNotify) ps_gui_latest_run_free);
}

/* Runs @thread_func in a worker with @data (freed by @data_free when the
 * task ends). */
static void
run_in_worker (gpointer             data,
               GDestroyNotify       data_free,
               gpointer             source_tag,
               GTaskThreadFunc      thread_func,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, data, data_free);
  g_task_run_in_thread (task, thread_func);
}

static void
start_task (TaskData            *data,
            gpointer             source_tag,
            GTaskThreadFunc      thread_func,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  run_in_worker (data, (GDestroyNotify) task_data_free, source_tag, thread_func, cancellable,
                 callback, user_data);
}

/* ---------------------------------------------------------------- public API */

PsGuiSecrets *
ps_gui_secrets_new (const char *api_client_secret,
                    const char *api_password,
                    const char *bind_password,
                    const char *entra_client_secret,
                    const char *okta_api_token)
{
  PsGuiSecrets *secrets = g_new0 (PsGuiSecrets, 1);

  secrets->api_client_secret = g_strdup (api_client_secret);
  secrets->api_password = g_strdup (api_password);
  secrets->bind_password = g_strdup (bind_password);
  secrets->entra_client_secret = g_strdup (entra_client_secret);
  secrets->okta_api_token = g_strdup (okta_api_token);
  return secrets;
}

void
ps_gui_secrets_free (PsGuiSecrets *secrets)
{
  if (secrets == NULL)
    return;
  ps_secret_free (secrets->api_client_secret);
  ps_secret_free (secrets->api_password);
  ps_secret_free (secrets->bind_password);
  ps_secret_free (secrets->entra_client_secret);
  ps_secret_free (secrets->okta_api_token);
  g_free (secrets);
}

void
ps_gui_step_result_free (PsGuiStepResult *result)
{
  if (result == NULL)
    return;
  ps_connection_step_free (result->step);
  g_free (result);
}

PsGuiChoice *
ps_gui_choice_new (const char *id,
                   const char *name)
{
  PsGuiChoice *choice = g_new0 (PsGuiChoice, 1);

  choice->id = g_strdup (id);
  choice->name = g_strdup (name != NULL ? name : id);
  return choice;
}

void
ps_gui_choice_free (PsGuiChoice *choice)
{
  if (choice == NULL)
    return;
  g_free (choice->id);
  g_free (choice->name);
  g_free (choice->type);
  g_strfreev (choice->options);
  g_free (choice);
}

void
ps_gui_backend_test_connections_async (PsProfile           *profile,
                                       const PsGuiSecrets  *secrets,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  TaskData *data;

  g_return_if_fail (PS_IS_PROFILE (profile));
  g_return_if_fail (secrets != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  data = task_data_new (profile, secrets);
  task_data_take_snapshot (data, profile);
  start_task (data, ps_gui_backend_test_connections_async, test_connections_thread, cancellable,
              callback, user_data);
}

GPtrArray *
ps_gui_backend_test_connections_finish (GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ps_gui_backend_test_connections_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ps_gui_backend_store_secrets_async (PsProfile           *profile,
                                    const PsGuiSecrets  *secrets,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (PS_IS_PROFILE (profile));
  g_return_if_fail (secrets != NULL);

  start_task (task_data_new (profile, secrets), ps_gui_backend_store_secrets_async,
              store_secrets_thread, cancellable, callback, user_data);
}

gboolean
ps_gui_backend_store_secrets_finish (GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ps_gui_backend_store_secrets_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
ps_gui_backend_lookup_secrets_async (PsProfile           *profile,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (PS_IS_PROFILE (profile));

  start_task (task_data_new (profile, NULL), ps_gui_backend_lookup_secrets_async,
              lookup_secrets_thread, cancellable, callback, user_data);
}

PsGuiSecrets *
ps_gui_backend_lookup_secrets_finish (GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ps_gui_backend_lookup_secrets_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ps_gui_backend_list_async (PsProfile           *profile,
                           PsGuiListKind        kind,
                           const char          *account,
                           const char          *module,
                           const char          *detail,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  TaskData *data;

  g_return_if_fail (PS_IS_PROFILE (profile));

  data = task_data_new (profile, NULL);
  data->kind = kind;
  data->account = g_strdup (account);
  data->module = g_strdup (module);
  data->detail = g_strdup (detail);
  if (kind == PS_GUI_LIST_GROUPS || kind == PS_GUI_LIST_ATTRIBUTES)
    task_data_take_snapshot (data, profile);
  start_task (data, ps_gui_backend_list_async, list_thread, cancellable, callback, user_data);
}

GPtrArray *
ps_gui_backend_list_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ps_gui_backend_list_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ps_gui_backend_last_run_async (PsProfile           *profile,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (PS_IS_PROFILE (profile));

  start_task (task_data_new (profile, NULL), ps_gui_backend_last_run_async,
              last_run_thread, cancellable, callback, user_data);
}

GDateTime *
ps_gui_backend_last_run_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ps_gui_backend_last_run_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ps_gui_latest_run_free (PsGuiLatestRun *run)
{
  if (run == NULL)
    return;
  g_clear_pointer (&run->started, g_date_time_unref);
  g_free (run->detail);
  g_free (run);
}

void
ps_gui_backend_latest_run_async (PsProfile           *profile,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (PS_IS_PROFILE (profile));

  start_task (task_data_new (profile, NULL), ps_gui_backend_latest_run_async,
              latest_run_thread, cancellable, callback, user_data);
}

PsGuiLatestRun *
ps_gui_backend_latest_run_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ps_gui_backend_latest_run_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ps_gui_backend_count_scope_async (PsProfile           *profile,
                                  const PsMapping     *mapping,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  TaskData *data;

  g_return_if_fail (PS_IS_PROFILE (profile));
  g_return_if_fail (mapping != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  data = task_data_new (profile, NULL);
  task_data_take_snapshot (data, profile);
  data->mapping = ps_mapping_copy (mapping);
  start_task (data, ps_gui_backend_count_scope_async, count_scope_thread, cancellable, callback,
              user_data);
}

gboolean
ps_gui_backend_count_scope_finish (GAsyncResult     *result,
                                   PsGuiScopeCount  *count,
                                   GError          **error)
{
  g_autofree PsGuiScopeCount *counted = NULL;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ps_gui_backend_count_scope_async, FALSE);

  counted = g_task_propagate_pointer (G_TASK (result), error);
  if (counted == NULL)
    return FALSE;
  if (count != NULL)
    *count = *counted;
  return TRUE;
}

void
ps_gui_backend_count_overlaps_async (PsProfile           *profile,
                                     const PsMapping     *mapping,
                                     const char          *replaces,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  TaskData *data;

  g_return_if_fail (PS_IS_PROFILE (profile));
  g_return_if_fail (mapping != NULL && mapping->kind == PS_MAPPING_USERS);

  data = task_data_new (profile, NULL);
  task_data_take_snapshot (data, profile);
  data->mapping = ps_mapping_copy (mapping);
  data->old_name = g_strdup (replaces);
  start_task (data, ps_gui_backend_count_overlaps_async, count_overlaps_thread, cancellable, callback,
              user_data);
}

GPtrArray *
ps_gui_backend_count_overlaps_finish (GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ps_gui_backend_count_overlaps_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ps_gui_backend_count_claims_async (PsProfile           *profile,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  TaskData *data;

  g_return_if_fail (PS_IS_PROFILE (profile));

  data = task_data_new (profile, NULL);
  task_data_take_snapshot (data, profile);
  start_task (data, ps_gui_backend_count_claims_async, count_claims_thread, cancellable, callback,
              user_data);
}

GHashTable *
ps_gui_backend_count_claims_finish (GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ps_gui_backend_count_claims_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ps_gui_backend_rename_mapping_async (PsProfile           *profile,
                                     const char          *from,
                                     const char          *to,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  TaskData *data;

  g_return_if_fail (PS_IS_PROFILE (profile));
  g_return_if_fail (from != NULL && to != NULL);

  data = task_data_new (profile, NULL);
  task_data_take_snapshot (data, profile);
  data->old_name = g_strdup (from);
  data->new_name = g_strdup (to);
  start_task (data, ps_gui_backend_rename_mapping_async, rename_mapping_thread, cancellable, callback,
              user_data);
}

gboolean
ps_gui_backend_rename_mapping_finish (GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ps_gui_backend_rename_mapping_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---------------------------------------------------------------- the background service */

static void
service_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  PsProfile *snapshot = task_data;
  PsGuiServiceAction action = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (task), "action"));
  g_autoptr(GError) error = NULL;
  PsServiceStatus *status;

  switch (action)
    {
    case PS_GUI_SERVICE_INSTALL:
      status = ps_service_install_sync (snapshot, cancellable, &error);
      break;
    case PS_GUI_SERVICE_REMOVE:
      status = ps_service_remove_sync (snapshot, cancellable, &error);
      break;
    case PS_GUI_SERVICE_STATUS:
    default:
      status = ps_service_status_sync (snapshot, cancellable, &error);
      break;
    }
  if (status == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, status, (GDestroyNotify) ps_service_status_free);
}

void
ps_gui_backend_service_async (PsProfile           *profile,
                              PsGuiServiceAction   action,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (PS_IS_PROFILE (profile));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, ps_gui_backend_service_async);
  g_task_set_task_data (task, ps_profile_snapshot (profile), g_object_unref);
  g_object_set_data (G_OBJECT (task), "action", GINT_TO_POINTER (action));
  g_task_run_in_thread (task, service_thread);
}

PsServiceStatus *
ps_gui_backend_service_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ps_gui_backend_service_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ================================================================ run history
 *
 * The History page's queries, its CSV export and the leavers report, and what
 * the Sync page asks before a run (which mappings ran before, how many people
 * a mapping manages). Each opens the profile's state file in its worker; a
 * profile that never ran has no state file, and none is created here.
 */

typedef struct
{
  char      *state_path;
  char      *mapping;
  char      *path;       /* the export's file */
  gint64     run_id;
  guint      limit;
  PsProfile *snapshot;   /* the leavers report's own copy of the profile */
  GPtrArray *leavers;    /* the leavers export's rows (PsLeaverAsset*) */
} HistoryJob;

typedef struct
{
  GPtrArray *rows;
  guint      total;
} RowsResult;

static void
history_job_free (HistoryJob *job)
{
  g_free (job->state_path);
  g_free (job->mapping);
  g_free (job->path);
  g_clear_object (&job->snapshot);
  g_clear_pointer (&job->leavers, g_ptr_array_unref);
  g_free (job);
}

static HistoryJob *
history_job_new (PsProfile *profile)
{
  HistoryJob *job = g_new0 (HistoryJob, 1);

  job->state_path = ps_profile_dup_state_path (profile);
  return job;
}

static void
rows_result_free (RowsResult *result)
{
  g_clear_pointer (&result->rows, g_ptr_array_unref);
  g_free (result);
}

static void
start_history_task (HistoryJob          *job,
                    gpointer             source_tag,
                    GTaskThreadFunc      thread_func,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  run_in_worker (job, (GDestroyNotify) history_job_free, source_tag, thread_func, cancellable,
                 callback, user_data);
}

/* The state, or NULL without an error when the profile never ran. */
static PsState *
open_existing_state (HistoryJob  *job,
                     GError     **error)
{
  if (!g_file_test (job->state_path, G_FILE_TEST_EXISTS))
    return NULL;
  return ps_state_open (job->state_path, error);
}

static void
applied_mappings_thread (GTask        *task,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsState) state = open_existing_state (task_data, &error);
  g_autoptr(GPtrArray) names = NULL;
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (state != NULL)
    names = ps_state_list_applied_mappings (state, &error);
  if (error != NULL)
    {
      g_hash_table_unref (set);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  for (guint i = 0; names != NULL && i < names->len; i++)
    g_hash_table_add (set, g_strdup (g_ptr_array_index (names, i)));
  g_task_return_pointer (task, set, (GDestroyNotify) g_hash_table_unref);
}

static void
count_links_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  HistoryJob *job = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsState) state = open_existing_state (job, &error);

  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_int (task, state != NULL ? ps_state_count_links (state, job->mapping, FALSE) : 0);
}

static void
list_runs_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  HistoryJob *job = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsState) state = open_existing_state (job, &error);
  g_autoptr(GPtrArray) runs = NULL;

  if (state != NULL)
    runs = ps_state_list_runs (state, job->limit, &error);
  else if (error == NULL)
    runs = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_run_info_free);
  if (runs == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, g_steal_pointer (&runs), (GDestroyNotify) g_ptr_array_unref);
}

typedef struct
{
  RowsResult   *result;
  guint         limit;
  GCancellable *cancellable;
  PsPlan       *outline;
} CollectData;

static void
collect_action_cb (const char *const *row,
                   gpointer           user_data)
{
  CollectData *collect = user_data;
  PsGuiRunAction *action;

  collect->result->total++;
  if (collect->limit > 0 && collect->result->rows->len >= collect->limit)
    return;
  action = g_new0 (PsGuiRunAction, 1);
  action->mapping = g_strdup (row[0] != NULL ? row[0] : "");
  action->action = g_strdup (row[1] != NULL ? row[1] : "");
  action->anchor = g_strdup (row[2] != NULL ? row[2] : "");
  action->target_id = g_strdup (row[3] != NULL ? row[3] : "");
  action->name = g_strdup (row[4] != NULL ? row[4] : action->anchor);
  action->changes = ps_report_describe_changes (collect->outline, action->mapping, row[5]);
  action->detail = g_strdup (row[6] != NULL ? row[6] : "");
  action->email = g_strdup (row[7] != NULL ? row[7] : "");
  g_ptr_array_add (collect->result->rows, action);
}

static void
run_actions_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  HistoryJob *job = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsState) state = open_existing_state (job, &error);
  RowsResult *result = g_new0 (RowsResult, 1);
  g_autoptr(PsPlan) outline = ps_report_run_outline (state, job->run_id);
  CollectData collect = { result, job->limit, cancellable, outline };

  result->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_gui_run_action_free);
  if (error != NULL
      || (state != NULL && !ps_state_foreach_action (state, job->run_id, collect_action_cb,
                                                     &collect, &error)))
    {
      rows_result_free (result);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, result, (GDestroyNotify) rows_result_free);
}

static void
collect_log_cb (const char *const *row,
                gpointer           user_data)
{
  GPtrArray *lines = user_data;
  PsGuiRunLogLine *line = g_new0 (PsGuiRunLogLine, 1);

  /* The history keeps milliseconds. */
  line->time = row[0] != NULL ? g_ascii_strtoll (row[0], NULL, 10) / 1000 : 0;
  line->level = g_strdup (row[1] != NULL ? row[1] : "info");
  line->mapping = g_strdup (row[2]);
  line->message = g_strdup (row[3] != NULL ? row[3] : "");
  g_ptr_array_add (lines, line);
}

static void
run_log_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  HistoryJob *job = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsState) state = open_existing_state (job, &error);
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_gui_run_log_line_free);

  if (error != NULL
      || (state != NULL && !ps_state_foreach_log (state, job->run_id, collect_log_cb, lines, &error)))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, g_steal_pointer (&lines), (GDestroyNotify) g_ptr_array_unref);
}

static void
export_run_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  HistoryJob *job = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsState) state = open_existing_state (job, &error);
  g_autofree char *csv = NULL;
  guint rows = 0;

  if (state == NULL && error == NULL)
    g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                         _("There is no history yet: no sync has run."));
  if (error == NULL)
    csv = ps_report_run_to_csv (state, job->run_id, &rows, &error);
  if (csv == NULL || !g_file_set_contents (job->path, csv, -1, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_int (task, rows);
}

static void
leavers_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  HistoryJob *job = task_data;
  GError *error = NULL;
  GPtrArray *rows = ps_report_leavers_sync (job->snapshot, cancellable, &error);

  if (rows == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, rows, (GDestroyNotify) g_ptr_array_unref);
}

static void
export_leavers_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  HistoryJob *job = task_data;
  g_autofree char *csv = ps_report_leavers_to_csv (job->leavers);
  GError *error = NULL;

  if (!g_file_set_contents (job->path, csv, -1, &error))
    g_task_return_error (task, error);
  else
    g_task_return_int (task, job->leavers->len);
}

void
ps_gui_run_action_free (PsGuiRunAction *action)
{
  if (action == NULL)
    return;
  g_free (action->mapping);
  g_free (action->action);
  g_free (action->name);
  g_free (action->email);
  g_free (action->anchor);
  g_free (action->target_id);
  g_free (action->changes);
  g_free (action->detail);
  g_free (action);
}

void
ps_gui_run_log_line_free (PsGuiRunLogLine *line)
{
  if (line == NULL)
    return;
  g_free (line->level);
  g_free (line->mapping);
  g_free (line->message);
  g_free (line);
}

void
ps_gui_backend_applied_mappings_async (PsProfile           *profile,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_return_if_fail (PS_IS_PROFILE (profile));
  start_history_task (history_job_new (profile), ps_gui_backend_applied_mappings_async,
                      applied_mappings_thread, cancellable, callback, user_data);
}

GHashTable *
ps_gui_backend_applied_mappings_finish (GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ps_gui_backend_count_links_async (PsProfile           *profile,
                                  const char          *mapping,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  HistoryJob *job;

  g_return_if_fail (PS_IS_PROFILE (profile));
  g_return_if_fail (mapping != NULL);
  job = history_job_new (profile);
  job->mapping = g_strdup (mapping);
  start_history_task (job, ps_gui_backend_count_links_async, count_links_thread,
                      cancellable, callback, user_data);
}

gboolean
ps_gui_backend_count_links_finish (GAsyncResult  *result,
                                   guint         *count,
                                   GError       **error)
{
  gssize n;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  n = g_task_propagate_int (G_TASK (result), error);
  if (n < 0)
    return FALSE;
  if (count != NULL)
    *count = (guint) n;
  return TRUE;
}

void
ps_gui_backend_list_runs_async (PsProfile           *profile,
                                guint                limit,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  HistoryJob *job;

  g_return_if_fail (PS_IS_PROFILE (profile));
  job = history_job_new (profile);
  job->limit = limit;
  start_history_task (job, ps_gui_backend_list_runs_async, list_runs_thread,
                      cancellable, callback, user_data);
}

GPtrArray *
ps_gui_backend_list_runs_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ps_gui_backend_run_actions_async (PsProfile           *profile,
                                  gint64               run_id,
                                  guint                limit,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  HistoryJob *job;

  g_return_if_fail (PS_IS_PROFILE (profile));
  job = history_job_new (profile);
  job->run_id = run_id;
  job->limit = limit;
  start_history_task (job, ps_gui_backend_run_actions_async, run_actions_thread,
                      cancellable, callback, user_data);
}

GPtrArray *
ps_gui_backend_run_actions_finish (GAsyncResult  *result,
                                   guint         *total,
                                   GError       **error)
{
  RowsResult *rows;
  GPtrArray *actions;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  rows = g_task_propagate_pointer (G_TASK (result), error);
  if (rows == NULL)
    return NULL;
  if (total != NULL)
    *total = rows->total;
  actions = g_steal_pointer (&rows->rows);
  rows_result_free (rows);
  return actions;
}

void
ps_gui_backend_run_log_async (PsProfile           *profile,
                              gint64               run_id,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  HistoryJob *job;

  g_return_if_fail (PS_IS_PROFILE (profile));
  job = history_job_new (profile);
  job->run_id = run_id;
  start_history_task (job, ps_gui_backend_run_log_async, run_log_thread,
                      cancellable, callback, user_data);
}

GPtrArray *
ps_gui_backend_run_log_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ps_gui_backend_export_run_async (PsProfile           *profile,
                                 gint64               run_id,
                                 const char          *path,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  HistoryJob *job;

  g_return_if_fail (PS_IS_PROFILE (profile));
  g_return_if_fail (path != NULL);
  job = history_job_new (profile);
  job->run_id = run_id;
  job->path = g_strdup (path);
  start_history_task (job, ps_gui_backend_export_run_async, export_run_thread,
                      cancellable, callback, user_data);
}

gboolean
ps_gui_backend_export_run_finish (GAsyncResult  *result,
                                  guint         *rows,
                                  GError       **error)
{
  gssize n;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  n = g_task_propagate_int (G_TASK (result), error);
  if (n < 0)
    return FALSE;
  if (rows != NULL)
    *rows = (guint) n;
  return TRUE;
}

void
ps_gui_backend_leavers_async (PsProfile           *profile,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  HistoryJob *job;

  g_return_if_fail (PS_IS_PROFILE (profile));
  job = history_job_new (profile);
  job->snapshot = ps_profile_snapshot (profile);
  start_history_task (job, ps_gui_backend_leavers_async, leavers_thread,
                      cancellable, callback, user_data);
}

GPtrArray *
ps_gui_backend_leavers_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ps_gui_backend_export_leavers_async (GPtrArray           *rows,
                                     const char          *path,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  HistoryJob *job;

  g_return_if_fail (rows != NULL);
  g_return_if_fail (path != NULL);
  job = g_new0 (HistoryJob, 1);
  job->leavers = g_ptr_array_ref (rows);
  job->path = g_strdup (path);
  start_history_task (job, ps_gui_backend_export_leavers_async, export_leavers_thread,
                      cancellable, callback, user_data);
}

gboolean
ps_gui_backend_export_leavers_finish (GAsyncResult  *result,
                                      guint         *rows,
                                      GError       **error)
{
  return ps_gui_backend_export_run_finish (result, rows, error);
}
