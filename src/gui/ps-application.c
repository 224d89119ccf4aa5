/* ps-application.c — the PandaSync GtkApplication
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Opens a profile (--profile-file, --profile, or the last one), shows the
 * wizard when its connection is not set up yet and the main window
 * otherwise, and keeps running in the tray after the window is closed when a
 * schedule is set and a tray host runs.
 */

#include <glib/gi18n.h>

#include "pages/ps-sync-page.h"
#include "ps-application.h"
#include "ps-gui-backend.h"
#include "ps-pages.h"
#include "ps-scheduler.h"
#include "ps-stall-log.h"

/* How often the tray looks at the run history. */
#define TRAY_REFRESH_SECONDS 10

struct _PsApplication
{
  GtkApplication  parent_instance;

  GSettings      *settings;   /* NULL when the schema is not installed */
  PsProfile      *profile;
  PsTray         *tray;
  PsWindow       *window;
  char           *page;       /* --page */
  gboolean        from_file;  /* --profile-file: not remembered as the last profile */

  guint           tray_refresh_id;
  GCancellable   *tray_cancellable;   /* the running history read */

  PsScheduler    *scheduler;          /* scheduled syncs while the app runs */
  gulong          profile_changed_id;
};

G_DEFINE_FINAL_TYPE (PsApplication, ps_application, GTK_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  { "profile-file", 'f', 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Open the profile in FILE (created by the wizard if missing)"), N_("FILE") },
  { "profile", 'p', 0, G_OPTION_ARG_STRING, NULL,
    N_("Open the profile called NAME"), N_("NAME") },
  { "page", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Show the page NAME: connection, schedule, users, collections, sync or history"),
    N_("NAME") },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
  { NULL }
};

/* ---------------------------------------------------------------- helpers */

static gboolean
profile_is_set_up (PsProfile *profile)
{
  PsTargetConfig *target = ps_profile_get_target (profile);
  PsDirectoryConfig *directory = ps_profile_get_directory (profile);
  PsEntraIdConfig *entra = ps_profile_get_entra_id (profile);
  PsOktaConfig *okta = ps_profile_get_okta (profile);
  gboolean source_set_up;

  switch (ps_profile_get_source_kind (profile))
    {
    case PS_SOURCE_KIND_ENTRA_ID:
      source_set_up = entra->tenant != NULL && entra->client_id != NULL;
      break;
    case PS_SOURCE_KIND_OKTA:
      source_set_up = okta->url != NULL;
      break;
    case PS_SOURCE_KIND_ACTIVE_DIRECTORY:
    default:
      source_set_up = directory->uris != NULL && directory->uris[0] != NULL;
      break;
    }

  /* The first-run wizard ends with a mapping: until there is one, a
   * profile opens in the wizard (on its connection, as the demo's does). */
  return target->client_id != NULL
         && source_set_up
         && ps_profile_get_mappings (profile)->len > 0
         && ps_profile_get_path (profile) != NULL
         && g_file_test (ps_profile_get_path (profile), G_FILE_TEST_EXISTS);
}

static char *
name_from_file (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  char *dot = strrchr (base, '.');

  if (dot != NULL && dot != base)
    *dot = '\0';
  return g_steal_pointer (&base);
}

/* Opens the profile the command line or the settings point at. */
static PsProfile *
open_profile (PsApplication  *self,
              const char     *file,
              const char     *name,
              GError        **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *last = NULL;
  PsProfile *profile;

  if (file != NULL)
    {
      g_autofree char *profile_name = NULL;

      if (g_file_test (file, G_FILE_TEST_EXISTS))
        return ps_profile_load_file (file, error);
      /* A new profile at a chosen place: write its defaults there now so
       * every later save goes to that file. */
      profile_name = name_from_file (file);
      profile = ps_profile_new (profile_name);
      if (!ps_profile_save_to_file (profile, file, error))
        {
          g_object_unref (profile);
          return NULL;
        }
      return profile;
    }

  if (name == NULL && self->settings != NULL)
    {
      last = g_settings_get_string (self->settings, "last-profile");
      if (*last != '\0')
        name = last;
    }
  if (name == NULL)
    name = "default";

  profile = ps_profile_load (name, &local);
  if (profile != NULL)
    return profile;
  if (!g_error_matches (local, PS_PROFILE_ERROR, PS_PROFILE_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if (!ps_profile_name_is_valid (name))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  return ps_profile_new (name);
}

static void
remember_profile (PsApplication *self)
{
  if (self->settings != NULL && self->profile != NULL && !self->from_file)
    g_settings_set_string (self->settings, "last-profile", ps_profile_get_name (self->profile));
}

static void
update_notice (PsApplication *self)
{
  PsSchedule *schedule;

  if (self->window == NULL || self->profile == NULL)
    return;
  schedule = ps_profile_get_schedule (self->profile);
  if (!schedule->enabled || ps_window_get_wizard (self->window))
    {
      ps_window_set_notice (self->window, NULL);
      return;
    }
  if (ps_tray_get_available (self->tray))
    ps_window_set_notice (self->window, NULL);
}

/* ---------------------------------------------------------------- callbacks */

static void
on_latest_run_read_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  PsApplication *self;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsGuiLatestRun) latest = ps_gui_backend_latest_run_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = PS_APPLICATION (user_data);
  g_clear_object (&self->tray_cancellable);
  if (latest == NULL)
    {
      g_debug ("Cannot read the run history: %s", error->message);
      return;
    }
  switch (latest->state)
    {
    case PS_GUI_RUN_RUNNING:
      ps_tray_set_state (self->tray, PS_TRAY_STATE_SYNCING, NULL);
      break;
    case PS_GUI_RUN_FAILED:
      ps_tray_set_state (self->tray, PS_TRAY_STATE_ERROR, latest->detail);
      break;
    case PS_GUI_RUN_NONE:
    case PS_GUI_RUN_OK:
    default:
      ps_tray_set_state (self->tray, PS_TRAY_STATE_IDLE, NULL);
      break;
    }
}

static gboolean
on_tray_refresh_timeout_cb (gpointer user_data)
{
  ps_application_refresh_tray (PS_APPLICATION (user_data));
  return G_SOURCE_CONTINUE;
}

static void
on_scheduler_run_started_cb (PsScheduler   *scheduler,
                             PsApplication *self)
{
  if (self->tray != NULL)
    ps_tray_set_state (self->tray, PS_TRAY_STATE_SYNCING, NULL);
}

/* A scheduled run ended: refresh the tray, and tell the administrator when
 * it failed or a mapping paused (always), or succeeded (when asked to). */
static void
on_scheduler_run_finished_cb (PsScheduler   *scheduler,
                              PsSyncResult  *result,
                              const GError  *error,
                              PsApplication *self)
{
  g_autoptr(GNotification) note = NULL;
  gboolean on_success = self->settings != NULL
                        && g_settings_get_boolean (self->settings, "notify-on-success");

  ps_application_refresh_tray (self);
  if (result == NULL)
    {
      note = g_notification_new (_("The scheduled sync did not run"));
      g_notification_set_body (note, error != NULL ? error->message : NULL);
    }
  else if (result->status == PS_RUN_PAUSED)
    {
      note = g_notification_new (_("A sync mapping is paused"));
      g_notification_set_body (note, _("More people would be deactivated than the mapping allows. "
                                       "Review the preview on the Sync page."));
    }
  else if (result->status != PS_RUN_SUCCEEDED)
    {
      note = g_notification_new (_("The scheduled sync did not complete"));
      g_notification_set_body (note, _("See the History page for what failed and why."));
    }
  else if (on_success)
    note = g_notification_new (_("The scheduled sync finished"));
  if (note == NULL)
    return;
  g_notification_set_priority (note, result != NULL && result->status == PS_RUN_SUCCEEDED
                                     ? G_NOTIFICATION_PRIORITY_NORMAL : G_NOTIFICATION_PRIORITY_HIGH);
  g_notification_set_default_action (note, "app.open");
  g_application_send_notification (G_APPLICATION (self), "scheduled-sync", note);
}

static void
on_profile_changed_cb (PsProfile     *profile,
                       PsApplication *self)
{
  if (self->scheduler != NULL)
    ps_scheduler_reschedule (self->scheduler);
}

/* The app runs the profile's schedule itself, unless the background service
 * does (then the service's runs show up in History and the tray). */
static void
start_scheduler (PsApplication *self)
{
  if (self->scheduler != NULL || self->profile == NULL)
    return;
  if (ps_scheduler_service_is_active (self->profile))
    {
      g_info ("The background service runs the schedule of profile %s", ps_profile_get_name (self->profile));
      return;
    }
  self->scheduler = ps_scheduler_new (self->profile, "schedule");
  g_signal_connect (self->scheduler, "run-started", G_CALLBACK (on_scheduler_run_started_cb), self);
  g_signal_connect (self->scheduler, "run-finished", G_CALLBACK (on_scheduler_run_finished_cb), self);
  self->profile_changed_id = g_signal_connect (self->profile, "changed",
                                               G_CALLBACK (on_profile_changed_cb), self);
  ps_scheduler_start (self->scheduler);
}

static void
stop_scheduler (PsApplication *self)
{
  if (self->scheduler == NULL)
    return;
  ps_scheduler_stop (self->scheduler);
  g_signal_handlers_disconnect_by_data (self->scheduler, self);
  g_clear_object (&self->scheduler);
  if (self->profile != NULL)
    g_clear_signal_handler (&self->profile_changed_id, self->profile);
}

/* The app and the background service never both run a slot (they share the
 * profile's lock), and the app leaves the schedule to a service that runs:
 * it stops its own scheduler when one starts (after its run in progress, if
 * any) and takes over again when it goes. Checked with every tray refresh. */
static void
follow_service (PsApplication *self)
{
  gboolean service;

  if (self->profile == NULL || self->window == NULL)
    return;
  service = ps_scheduler_service_is_active (self->profile);
  if (service && self->scheduler != NULL && !ps_scheduler_get_running (self->scheduler))
    {
      g_info ("A background service runs profile %s now: the app leaves its schedule to it",
              ps_profile_get_name (self->profile));
      stop_scheduler (self);
    }
  else if (!service && self->scheduler == NULL)
    start_scheduler (self);
}

static void
on_quit_activated_cb (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  PsApplication *self = PS_APPLICATION (user_data);

  if (self->window != NULL)
    gtk_widget_destroy (GTK_WIDGET (self->window));
  g_application_quit (G_APPLICATION (self));
}

static void
on_about_activated_cb (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (user_data));
  const char *authors[] = { "The PandaSync authors", NULL };

  gtk_show_about_dialog (window,
                         "program-name", _("PandaSync"),
                         "logo-icon-name", APPLICATION_ID,
                         "version", PACKAGE_VERSION,
                         "comments", _("Keeps Asset Panda in step with Active Directory"),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "authors", authors,
                         NULL);
}

static void
on_open_activated_cb (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  g_application_activate (G_APPLICATION (user_data));
}

static void
on_start_sync_activated_cb (GSimpleAction *action,
                            GVariant      *parameter,
                            gpointer       user_data)
{
  PsApplication *self = PS_APPLICATION (user_data);
  PsWizardPage *page;

  g_application_activate (G_APPLICATION (self));
  if (self->window == NULL || ps_window_get_wizard (self->window))
    return;
  ps_window_show_page (self->window, "sync");
  page = ps_window_get_page (self->window, "sync");
  if (page != NULL)
    ps_sync_page_start_sync (PS_SYNC_PAGE (page));
}

static gboolean
on_window_delete_event_cb (GtkWidget *widget,
                           GdkEvent  *event,
                           gpointer   user_data)
{
  PsApplication *self = PS_APPLICATION (user_data);
  PsSchedule *schedule = ps_profile_get_schedule (self->profile);

  if (!schedule->enabled || ps_window_get_wizard (self->window))
    return GDK_EVENT_PROPAGATE;
  /* The background service runs the schedule: nothing to keep running. */
  if (ps_scheduler_service_is_active (self->profile))
    return GDK_EVENT_PROPAGATE;
  if (ps_tray_get_available (self->tray))
    {
      /* Scheduled syncs go on; the tray's Open brings the window back. */
      gtk_widget_hide (widget);
      return GDK_EVENT_STOP;
    }
  if (ps_window_get_notice (self->window) != NULL)
    return GDK_EVENT_PROPAGATE;   /* asked twice: the user means it */
  ps_window_set_notice (self->window,
                        _("Scheduled syncs run only while PandaSync runs, and no system tray "
                          "(a StatusNotifier host) is available to keep it in the background. "
                          "Keep this window open, install the background service, or quit anyway."));
  return GDK_EVENT_STOP;
}

static void
on_window_wizard_finished_cb (PsApplication *self)
{
  remember_profile (self);
  update_notice (self);
}

static void
on_window_destroy_cb (PsApplication *self)
{
  self->window = NULL;
}

static void
on_tray_available_changed_cb (PsApplication *self)
{
  update_notice (self);
}

/* ---------------------------------------------------------------- overrides */

static int
ps_application_handle_local_options (GApplication *app,
                                     GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("pandasync %s\n", PACKAGE_VERSION);
      return 0;
    }
  return -1;
}

static int
ps_application_command_line (GApplication            *app,
                             GApplicationCommandLine *command_line)
{
  PsApplication *self = PS_APPLICATION (app);
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  g_autofree char *file = NULL;
  g_autofree char *name = NULL;
  g_autofree char *page = NULL;
  g_autoptr(GError) error = NULL;

  g_variant_dict_lookup (options, "profile-file", "^ay", &file);
  g_variant_dict_lookup (options, "profile", "s", &name);
  g_variant_dict_lookup (options, "page", "s", &page);

  if (page != NULL && ps_pages_lookup (page) == NULL)
    {
      g_application_command_line_printerr (command_line, _("There is no page called “%s”.\n"), page);
      return 1;
    }
  if (file != NULL && !g_path_is_absolute (file))
    {
      g_autofree char *relative = g_steal_pointer (&file);
      file = g_build_filename (g_application_command_line_get_cwd (command_line), relative, NULL);
    }

  if (self->profile == NULL || file != NULL || name != NULL)
    {
      g_autoptr(PsProfile) profile = open_profile (self, file, name, &error);

      if (profile == NULL)
        {
          g_application_command_line_printerr (command_line, "%s\n", error->message);
          return 1;
        }
      if (self->window != NULL)
        gtk_widget_destroy (GTK_WIDGET (self->window));
      g_set_object (&self->profile, profile);
      self->from_file = file != NULL;
    }
  g_free (self->page);
  self->page = g_steal_pointer (&page);
  g_application_activate (app);
  return 0;
}

static void
ps_application_startup (GApplication *app)
{
  PsApplication *self = PS_APPLICATION (app);
  const GActionEntry entries[] = {
    { "quit", on_quit_activated_cb, NULL, NULL, NULL, { 0 } },
    { "about", on_about_activated_cb, NULL, NULL, NULL, { 0 } },
    { "open", on_open_activated_cb, NULL, NULL, NULL, { 0 } },
    { "start-sync", on_start_sync_activated_cb, NULL, NULL, NULL, { 0 } },
  };
  const char *quit_accels[] = { "<Control>q", NULL };

  G_APPLICATION_CLASS (ps_application_parent_class)->startup (app);
  ps_stall_log_start_from_env ();

  g_action_map_add_action_entries (G_ACTION_MAP (app), entries, G_N_ELEMENTS (entries), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_window_set_default_icon_name (APPLICATION_ID);
  ps_application_load_css ();

  self->tray = ps_tray_new (G_ACTION_GROUP (app));
  g_signal_connect_object (self->tray, "notify::available", G_CALLBACK (on_tray_available_changed_cb),
                           self, G_CONNECT_SWAPPED);
}

static void
ps_application_activate (GApplication *app)
{
  PsApplication *self = PS_APPLICATION (app);

  if (self->profile == NULL)
    {
      g_autoptr(GError) error = NULL;

      self->profile = open_profile (self, NULL, NULL, &error);
      if (self->profile == NULL)
        {
          g_warning ("%s", error->message);
          self->profile = ps_profile_new ("default");
        }
    }

  if (self->window == NULL)
    {
      gboolean wizard = !profile_is_set_up (self->profile);

      self->window = ps_window_new (GTK_APPLICATION (app), self->profile, wizard);
      g_signal_connect (self->window, "delete-event", G_CALLBACK (on_window_delete_event_cb), self);
      g_signal_connect_swapped (self->window, "wizard-finished",
                                G_CALLBACK (on_window_wizard_finished_cb), self);
      g_signal_connect_swapped (self->window, "destroy", G_CALLBACK (on_window_destroy_cb), self);
      if (!wizard)
        remember_profile (self);
    }
  if (self->page != NULL)
    ps_window_show_page (self->window, self->page);
  update_notice (self);
  if (self->tray_refresh_id == 0)
    self->tray_refresh_id = g_timeout_add_seconds (TRAY_REFRESH_SECONDS, on_tray_refresh_timeout_cb, self);
  start_scheduler (self);
  ps_application_refresh_tray (self);
  gtk_window_present (GTK_WINDOW (self->window));
}

static void
ps_application_shutdown (GApplication *app)
{
  ps_stall_log_stop ();
  G_APPLICATION_CLASS (ps_application_parent_class)->shutdown (app);
}

static void
ps_application_dispose (GObject *object)
{
  PsApplication *self = PS_APPLICATION (object);

  stop_scheduler (self);
  g_clear_handle_id (&self->tray_refresh_id, g_source_remove);
  g_cancellable_cancel (self->tray_cancellable);
  g_clear_object (&self->tray_cancellable);
  g_clear_object (&self->tray);
  g_clear_object (&self->profile);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (ps_application_parent_class)->dispose (object);
}

static void
ps_application_finalize (GObject *object)
{
  PsApplication *self = PS_APPLICATION (object);

  g_free (self->page);
  G_OBJECT_CLASS (ps_application_parent_class)->finalize (object);
}

static void
ps_application_class_init (PsApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = ps_application_dispose;
  object_class->finalize = ps_application_finalize;
  app_class->handle_local_options = ps_application_handle_local_options;
  app_class->command_line = ps_application_command_line;
  app_class->startup = ps_application_startup;
  app_class->activate = ps_application_activate;
  app_class->shutdown = ps_application_shutdown;
}

static void
ps_application_init (PsApplication *self)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE);
  if (schema != NULL)
    self->settings = g_settings_new (APPLICATION_ID);

  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Keeps Asset Panda in step with Active Directory."));
}

/* ---------------------------------------------------------------- public API */

PsApplication *
ps_application_new (void)
{
  return g_object_new (PS_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       NULL);
}

PsWindow *
ps_application_get_window (PsApplication *self)
{
  g_return_val_if_fail (PS_IS_APPLICATION (self), NULL);
  return self->window;
}

PsTray *
ps_application_get_tray (PsApplication *self)
{
  g_return_val_if_fail (PS_IS_APPLICATION (self), NULL);
  return self->tray;
}

PsProfile *
ps_application_get_profile (PsApplication *self)
{
  g_return_val_if_fail (PS_IS_APPLICATION (self), NULL);
  return self->profile;
}

void
ps_application_refresh_tray (PsApplication *self)
{
  g_return_if_fail (PS_IS_APPLICATION (self));

  if (self->profile == NULL || self->tray == NULL)
    return;
  follow_service (self);
  g_cancellable_cancel (self->tray_cancellable);
  g_clear_object (&self->tray_cancellable);
  self->tray_cancellable = g_cancellable_new ();
  ps_gui_backend_latest_run_async (self->profile, self->tray_cancellable, on_latest_run_read_cb, self);
}

gboolean
ps_application_get_runs_schedule (PsApplication *self)
{
  g_return_val_if_fail (PS_IS_APPLICATION (self), FALSE);
  return self->scheduler != NULL;
}

gboolean
ps_application_keeps_running_in_tray (PsApplication *self)
{
  g_return_val_if_fail (PS_IS_APPLICATION (self), FALSE);
  return self->profile != NULL && ps_profile_get_schedule (self->profile)->enabled
         && self->tray != NULL && ps_tray_get_available (self->tray);
}

void
ps_application_load_css (void)
{
  static gboolean loaded;
  g_autoptr(GtkCssProvider) provider = NULL;
  GdkScreen *screen = gdk_screen_get_default ();

  if (loaded || screen == NULL)
    return;
  loaded = TRUE;
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, RESOURCE_PATH "/ps-style.css");
  gtk_style_context_add_provider_for_screen (screen, GTK_STYLE_PROVIDER (provider),
                                             GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}
