/* ps-gui-backend.c — everything the pages ask of the directory and Asset Panda
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every public function here is a GTask run in a worker thread; the thread
 * function calls the blocking API of src/directory, src/target or the secret
 * store and returns plain data. Nothing here touches a widget.
 */

#include <glib/gi18n.h>

#include "ps-gui-backend.h"
#include "ps-secret-store.h"

typedef struct
{
  PsProfile     *profile;
  PsGuiSecrets  *secrets;
  PsGuiListKind  kind;
  char          *account;
  char          *parent;
} TaskData;

/* ---------------------------------------------------------------- helpers */

static void
task_data_free (TaskData *data)
{
  g_clear_object (&data->profile);
  g_clear_pointer (&data->secrets, ps_gui_secrets_free);
  g_free (data->account);
  g_free (data->parent);
  g_free (data);
}

static TaskData *
task_data_new (PsProfile          *profile,
               const PsGuiSecrets *secrets)
{
  TaskData *data = g_new0 (TaskData, 1);

  data->profile = g_object_ref (profile);
  if (secrets != NULL)
    data->secrets = ps_gui_secrets_new (secrets->api_client_secret, secrets->api_password,
                                        secrets->bind_password);
  return data;
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

/* Which field a failed directory step is about, from its stable id. */
static PsGuiField
directory_field_for_step (const PsConnectionStep *step)
{
  static const struct { const char *id; PsGuiField field; } table[] = {
    { "resolve", PS_GUI_FIELD_AD_URIS },
    { "connect", PS_GUI_FIELD_AD_URIS },
    { "tls", PS_GUI_FIELD_AD_CA_FILE },
    { "bind", PS_GUI_FIELD_AD_PASSWORD },
    { "base", PS_GUI_FIELD_AD_BASE_DN },
    { "search", PS_GUI_FIELD_AD_BASE_DN },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (g_strcmp0 (step->id, table[i].id) == 0)
      return table[i].field;
  return PS_GUI_FIELD_AD_URIS;
}

/* Which field a failed Asset Panda step is about. */
static PsGuiField
target_field_for_step (const PsTargetConfig   *target,
                       const PsConnectionStep *step)
{
  gboolean pro = ps_target_config_effective_dialect (target) == PS_DIALECT_PRO;

  if (g_strcmp0 (step->id, "auth") == 0 || g_strcmp0 (step->id, "token") == 0)
    return pro ? PS_GUI_FIELD_API_CLIENT_SECRET : PS_GUI_FIELD_API_PASSWORD;
  if (g_strcmp0 (step->id, "client") == 0)
    return PS_GUI_FIELD_API_CLIENT_ID;
  if (g_strcmp0 (step->id, "secret") == 0)
    return PS_GUI_FIELD_API_CLIENT_SECRET;
  if (g_strcmp0 (step->id, "email") == 0)
    return PS_GUI_FIELD_API_EMAIL;
  return PS_GUI_FIELD_API_URL;
}

/* The directory's connection test. */
static GPtrArray *
run_directory_test (PsProfile          *profile,
                    const PsGuiSecrets *secrets,
                    GCancellable       *cancellable)
{
  g_autoptr(GPtrArray) steps = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_connection_step_free);
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                                 _("The directory connection test is not available in this build"));
  PsConnectionStep *step = ps_connection_step_new ("connect", _("Connect to Active Directory"));

  ps_connection_step_finish (step, g_get_monotonic_time (), PS_STEP_FAILED, NULL, error);
  g_ptr_array_add (steps, step);
  return g_steal_pointer (&steps);
}

/* Asset Panda's connection test. */
static GPtrArray *
run_target_test (PsProfile          *profile,
                 const PsGuiSecrets *secrets,
                 GCancellable       *cancellable)
{
  g_autoptr(GPtrArray) steps = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_connection_step_free);
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                                 _("The Asset Panda connection test is not available in this build"));
  PsConnectionStep *step = ps_connection_step_new ("connect", _("Connect to Asset Panda"));

  ps_connection_step_finish (step, g_get_monotonic_time (), PS_STEP_FAILED, NULL, error);
  g_ptr_array_add (steps, step);
  return g_steal_pointer (&steps);
}

static GPtrArray *
run_list (TaskData      *data,
          GCancellable  *cancellable,
          GError       **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       data->kind == PS_GUI_LIST_GROUPS
                       ? _("Listing directory groups is not available in this build")
                       : _("Listing Asset Panda accounts is not available in this build"));
  return NULL;
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
  g_autoptr(GPtrArray) directory_steps = NULL;
  PsTargetConfig *target = ps_profile_get_target (data->profile);

  target_steps = run_target_test (data->profile, data->secrets, cancellable);
  if (g_task_return_error_if_cancelled (task))
    return;
  directory_steps = run_directory_test (data->profile, data->secrets, cancellable);
  if (g_task_return_error_if_cancelled (task))
    return;

  g_ptr_array_set_free_func (target_steps, NULL);
  g_ptr_array_set_free_func (directory_steps, NULL);
  for (guint i = 0; i < target_steps->len; i++)
    {
      PsConnectionStep *step = g_ptr_array_index (target_steps, i);
      g_ptr_array_add (results, step_result_new (FALSE, step, target_field_for_step (target, step)));
    }
  for (guint i = 0; i < directory_steps->len; i++)
    {
      PsConnectionStep *step = g_ptr_array_index (directory_steps, i);
      g_ptr_array_add (results, step_result_new (TRUE, step, directory_field_for_step (step)));
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

  if (data->secrets == NULL)
    {
      data->secrets = g_new0 (PsGuiSecrets, 1);
      data->secrets->api_client_secret = lookup_one (data->profile, PS_SECRET_API_CLIENT_SECRET,
                                                     cancellable);
      data->secrets->api_password = lookup_one (data->profile, PS_SECRET_API_PASSWORD, cancellable);
      data->secrets->bind_password = lookup_one (data->profile, PS_SECRET_BIND_PASSWORD, cancellable);
    }
  choices = run_list (data, cancellable, &error);
  if (choices == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, g_steal_pointer (&choices), (GDestroyNotify) g_ptr_array_unref);
}

static void
start_task (TaskData            *data,
            gpointer             source_tag,
            GTaskThreadFunc      thread_func,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, data, (GDestroyNotify) task_data_free);
  g_task_run_in_thread (task, thread_func);
}

/* ---------------------------------------------------------------- public API */

PsGuiSecrets *
ps_gui_secrets_new (const char *api_client_secret,
                    const char *api_password,
                    const char *bind_password)
{
  PsGuiSecrets *secrets = g_new0 (PsGuiSecrets, 1);

  secrets->api_client_secret = g_strdup (api_client_secret);
  secrets->api_password = g_strdup (api_password);
  secrets->bind_password = g_strdup (bind_password);
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
  g_return_if_fail (PS_IS_PROFILE (profile));
  g_return_if_fail (secrets != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  start_task (task_data_new (profile, secrets), ps_gui_backend_test_connections_async,
              test_connections_thread, cancellable, callback, user_data);
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
                           const char          *parent,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  TaskData *data;

  g_return_if_fail (PS_IS_PROFILE (profile));

  data = task_data_new (profile, NULL);
  data->kind = kind;
  data->account = g_strdup (account);
  data->parent = g_strdup (parent);
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

GDateTime *
ps_gui_backend_dup_last_run (PsProfile *profile)
{
  g_return_val_if_fail (PS_IS_PROFILE (profile), NULL);
  /* The engine's run history records this; until it does, nothing ran. */
  return NULL;
}
