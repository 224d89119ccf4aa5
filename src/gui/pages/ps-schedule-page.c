/* ps-schedule-page.c — Automation Sync: when the scheduled syncs run
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Submit saves the schedule to the profile and confirms it in a message; the
 * step ends when the message is dismissed. The scheduler itself reads the
 * profile and is not part of this page.
 *
 * Below the form the page says whether the saved schedule will really run,
 * and why: the background service runs it (systemd says so, or a service
 * holds the profile's service lock), or the app does from the tray (a
 * StatusNotifier host is there and the app stays in it), or only this
 * window does — with the reasons. Install and Remove set the service up and
 * take it away (ps-service-install.c, through ps-gui-backend.c); while the
 * page is on screen it asks again every few seconds.
 */

#include <glib/gi18n.h>

#include "ps-application.h"
#include "ps-gui-backend.h"
#include "ps-schedule-page.h"

/* How often the page asks systemd again while it is on screen. */
#define SERVICE_REFRESH_SECONDS 5

struct _PsSchedulePage
{
  PsWizardPage      parent_instance;

  GtkCalendar      *calendar;
  GtkPopover       *calendar_popover;
  GtkMenuButton    *date_button;
  GtkLabel         *date_label;
  GtkSwitch        *enabled_switch;
  GtkSpinButton    *hour_spin;
  GtkBox           *hours_box;
  GtkSpinButton    *hours_spin;
  GtkComboBoxText  *interval_combo;
  GtkLabel         *last_run_label;
  GtkSpinButton    *minute_spin;
  GtkLabel         *next_run_label;
  GtkLabel         *saved_label;
  GtkButton        *install_button;
  GtkButton        *remove_button;
  GtkLabel         *service_label;
  GtkLabel         *service_note;
  GtkSpinner       *service_spinner;
  GtkImage         *status_icon;
  GtkLabel         *status_headline;
  GtkLabel         *status_detail;

  GtkWidget        *confirmation;   /* the open message dialog, or NULL */
  GDateTime        *last_run;       /* from the run history, or NULL */
  GCancellable     *last_run_cancellable;

  PsServiceStatus  *service;        /* the latest word on the service, or NULL before it */
  GCancellable     *service_cancellable;   /* the status read in progress */
  GCancellable     *action_cancellable;    /* Install or Remove in progress */
  guint             service_refresh_id;
  PsTray           *tray;           /* the app's, watched for a tray host; not owned */
  PsScheduleRuns    runs;
};

G_DEFINE_FINAL_TYPE (PsSchedulePage, ps_schedule_page, PS_TYPE_WIZARD_PAGE)

static void on_last_run_loaded_cb (GObject      *source,
                                   GAsyncResult *result,
                                   gpointer      user_data);
static void on_service_status_cb  (GObject      *source,
                                   GAsyncResult *result,
                                   gpointer      user_data);
static void on_service_action_cb  (GObject      *source,
                                   GAsyncResult *result,
                                   gpointer      user_data);
static void update_schedule_status (PsSchedulePage *self);

/* ---------------------------------------------------------------- helpers */

static char *
format_when (GDateTime *when)
{
  g_autoptr(GDateTime) local = g_date_time_to_local (when);

  /* Translators: a date and time, see g_date_time_format() */
  return g_date_time_format (local, C_("date and time", "%A %-d %B %Y, %H:%M"));
}

static PsIntervalKind
active_interval (PsSchedulePage *self)
{
  const char *id = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->interval_combo));

  if (g_strcmp0 (id, "hourly") == 0)
    return PS_INTERVAL_HOURLY;
  if (g_strcmp0 (id, "hours") == 0)
    return PS_INTERVAL_HOURS;
  if (g_strcmp0 (id, "weekly") == 0)
    return PS_INTERVAL_WEEKLY;
  return PS_INTERVAL_DAILY;
}

static GDateTime *
form_start (PsSchedulePage *self)
{
  guint year = 0, month = 0, day = 0;

  gtk_calendar_get_date (self->calendar, &year, &month, &day);
  return g_date_time_new_local (year, month + 1, day,
                                gtk_spin_button_get_value_as_int (self->hour_spin),
                                gtk_spin_button_get_value_as_int (self->minute_spin), 0);
}

static void
form_to_schedule (PsSchedulePage *self,
                  PsSchedule     *schedule)
{
  schedule->enabled = gtk_switch_get_active (self->enabled_switch);
  g_clear_pointer (&schedule->start, g_date_time_unref);
  schedule->start = form_start (self);
  schedule->interval = active_interval (self);
  schedule->every_hours = gtk_spin_button_get_value_as_int (self->hours_spin);
}

static void
set_form_start (PsSchedulePage *self,
                GDateTime      *start)
{
  g_autoptr(GDateTime) local = g_date_time_to_local (start);

  gtk_calendar_select_month (self->calendar, g_date_time_get_month (local) - 1,
                             g_date_time_get_year (local));
  gtk_calendar_select_day (self->calendar, g_date_time_get_day_of_month (local));
  gtk_spin_button_set_value (self->hour_spin, g_date_time_get_hour (local));
  gtk_spin_button_set_value (self->minute_spin, g_date_time_get_minute (local));
}

static void
schedule_to_form (PsSchedulePage   *self,
                  const PsSchedule *schedule)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  if (schedule->start != NULL)
    {
      set_form_start (self, schedule->start);
    }
  else
    {
      /* A new schedule starts at the next full hour. */
      g_autoptr(GDateTime) hour = g_date_time_new_local (g_date_time_get_year (now),
                                                         g_date_time_get_month (now),
                                                         g_date_time_get_day_of_month (now),
                                                         g_date_time_get_hour (now), 0, 0);
      g_autoptr(GDateTime) next = g_date_time_add_hours (hour, 1);

      set_form_start (self, next);
    }
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->interval_combo),
                               ps_interval_to_string (schedule->interval));
  if (schedule->every_hours >= 2)
    gtk_spin_button_set_value (self->hours_spin, schedule->every_hours);
  /* A profile without a schedule yet proposes one; a saved "off" stays off. */
  gtk_switch_set_active (self->enabled_switch, schedule->enabled || schedule->start == NULL);
}

static const PsSchedule *
profile_schedule (PsSchedulePage *self)
{
  PsProfile *profile = ps_wizard_page_get_profile (PS_WIZARD_PAGE (self));

  return profile != NULL ? ps_profile_get_schedule (profile) : NULL;
}

static gboolean
same_schedule (const PsSchedule *a,
               const PsSchedule *b)
{
  if (b == NULL)
    return FALSE;
  if (a->enabled != b->enabled)
    return FALSE;
  if (!a->enabled)
    return TRUE;
  return a->interval == b->interval
         && (a->interval != PS_INTERVAL_HOURS || a->every_hours == b->every_hours)
         && a->start != NULL && b->start != NULL
         && g_date_time_to_unix (a->start) / 60 == g_date_time_to_unix (b->start) / 60;
}

static const char *
run_outcome (PsRunStatus status)
{
  switch (status)
    {
    case PS_RUN_RUNNING:
      return _("running now");
    case PS_RUN_SUCCEEDED:
      return _("succeeded");
    case PS_RUN_FAILED:
      return _("failed");
    case PS_RUN_PAUSED:
      return _("paused");
    case PS_RUN_CANCELLED:
      return _("cancelled");
    case PS_RUN_INTERRUPTED:
      return _("interrupted");
    default:
      return "?";
    }
}

static const char *
run_trigger (const char *trigger)
{
  if (g_strcmp0 (trigger, "service") == 0)
    return _("by the background service");
  if (g_strcmp0 (trigger, "schedule") == 0)
    return _("scheduled, by the app");
  if (g_strcmp0 (trigger, "cli") == 0)
    return _("from the command line");
  return _("started by hand");
}

/* "Wednesday 2 December 2026, 02:00 — succeeded, by the background service" */
static char *
describe_run (const PsRunInfo *run)
{
  g_autoptr(GDateTime) started = g_date_time_new_from_unix_local (run->started_at);
  g_autofree char *when = format_when (started);

  /* Translators: the last run: when, how it went, who started it */
  return g_strdup_printf (C_("last run", "%s — %s, %s"), when, run_outcome (run->status),
                          run_trigger (run->trigger));
}

static PsApplication *
page_application (PsSchedulePage *self)
{
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  GtkApplication *app = GTK_IS_WINDOW (toplevel) ? gtk_window_get_application (GTK_WINDOW (toplevel))
                                                 : NULL;

  return PS_IS_APPLICATION (app) ? PS_APPLICATION (app) : NULL;
}

static gboolean
saved_schedule_enabled (PsSchedulePage *self)
{
  const PsSchedule *schedule = profile_schedule (self);

  return schedule != NULL && schedule->enabled && schedule->start != NULL;
}

/* Why the background service does not run the schedule, in one sentence. */
static char *
service_reason (const PsServiceStatus *service)
{
  switch (service->state)
    {
    case PS_SERVICE_UNAVAILABLE:
      /* Translators: the reason systemd cannot be asked follows */
      return g_strdup_printf (_("There is no background service to install here: %s"), service->unavailable);
    case PS_SERVICE_INACTIVE:
      return g_strdup (_("The background service is installed but does not run."));
    case PS_SERVICE_FAILED:
      return g_strdup (_("The background service has failed; the line above says why."));
    case PS_SERVICE_NOT_INSTALLED:
    case PS_SERVICE_STARTING:
    case PS_SERVICE_ACTIVE:
    default:
      return g_strdup (_("The background service is not installed: install it to run the schedule "
                         "without the app, also while nobody is logged in."));
    }
}

static void
set_verdict (PsSchedulePage *self,
             PsScheduleRuns  runs,
             const char     *icon,
             const char     *headline,
             const char     *detail)
{
  self->runs = runs;
  gtk_image_set_from_icon_name (self->status_icon, icon, GTK_ICON_SIZE_LARGE_TOOLBAR);
  gtk_label_set_text (self->status_headline, headline);
  gtk_label_set_text (self->status_detail, detail != NULL ? detail : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_detail), detail != NULL && *detail != '\0');
}

static void
load_service_status (PsSchedulePage *self)
{
  PsProfile *profile = ps_wizard_page_get_profile (PS_WIZARD_PAGE (self));

  if (profile == NULL || self->action_cancellable != NULL)
    return;
  g_cancellable_cancel (self->service_cancellable);
  g_clear_object (&self->service_cancellable);
  self->service_cancellable = g_cancellable_new ();
  ps_gui_backend_service_async (profile, PS_GUI_SERVICE_STATUS, self->service_cancellable,
                                on_service_status_cb, self);
}

static void
start_service_action (PsSchedulePage     *self,
                      PsGuiServiceAction  action)
{
  PsProfile *profile = ps_wizard_page_get_profile (PS_WIZARD_PAGE (self));

  if (profile == NULL || self->action_cancellable != NULL)
    return;
  g_cancellable_cancel (self->service_cancellable);
  g_clear_object (&self->service_cancellable);
  self->action_cancellable = g_cancellable_new ();
  gtk_widget_set_visible (GTK_WIDGET (self->service_note), FALSE);
  gtk_label_set_text (self->service_label, action == PS_GUI_SERVICE_INSTALL
                                           ? _("Installing and starting…")
                                           : _("Stopping and removing…"));
  update_schedule_status (self);
  ps_gui_backend_service_async (profile, action, self->action_cancellable, on_service_action_cb, self);
}

static void
watch_tray (PsSchedulePage *self)
{
  PsApplication *app = page_application (self);
  PsTray *tray = app != NULL ? ps_application_get_tray (app) : NULL;

  if (tray == NULL || tray == self->tray)
    return;
  self->tray = tray;
  g_object_add_weak_pointer (G_OBJECT (tray), (gpointer *) &self->tray);
  g_signal_connect_object (tray, "notify::available", G_CALLBACK (update_schedule_status), self,
                           G_CONNECT_SWAPPED);
}

/* The verdict, the service's line and its buttons, from the saved schedule,
 * the tray and the latest word on the service. */
static void
update_schedule_status (PsSchedulePage *self)
{
  PsApplication *app = page_application (self);
  const PsServiceStatus *service = self->service;
  gboolean busy = self->action_cancellable != NULL;
  gboolean enabled = saved_schedule_enabled (self);
  gboolean tray = app != NULL && ps_application_keeps_running_in_tray (app);
  gboolean service_runs = service != NULL && ps_service_status_runs_schedule (service);
  g_autofree char *describe = NULL;
  g_autofree char *detail = NULL;

  if (busy)
    gtk_spinner_start (self->service_spinner);
  else
    gtk_spinner_stop (self->service_spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->service_spinner), busy);
  if (service != NULL && !busy)
    {
      describe = ps_service_status_describe (service);
      if (service->state != PS_SERVICE_NOT_INSTALLED && service->state != PS_SERVICE_UNAVAILABLE
          && !service->by_pandasync)
        {
          /* Translators: the service's state, then how it was set up */
          g_autofree char *by_hand = g_strdup_printf (_("%s (set up outside PandaSync)"), describe);

          g_free (describe);
          describe = g_steal_pointer (&by_hand);
        }
      gtk_label_set_text (self->service_label, describe);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->install_button),
                          service != NULL && service->state != PS_SERVICE_UNAVAILABLE && !service_runs);
  gtk_widget_set_visible (GTK_WIDGET (self->remove_button), service != NULL && service->by_pandasync);
  gtk_widget_set_sensitive (GTK_WIDGET (self->install_button), !busy && enabled);
  gtk_widget_set_sensitive (GTK_WIDGET (self->remove_button), !busy);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->install_button),
                               enabled ? _("Runs the schedule as a systemd user service, without the "
                                           "app, also while nobody is logged in")
                                       : _("Turn on “Sync automatically” and press Submit first"));

  if (!enabled)
    {
      set_verdict (self, PS_SCHEDULE_RUNS_OFF, "media-playback-pause-symbolic",
                   _("Scheduled syncs will not run: automatic sync is off"),
                   service_runs ? _("The background service runs, but has no schedule to follow.")
                                : _("PandaSync syncs only when you click Start Sync."));
      return;
    }
  if (service_runs)
    {
      if (service->linger == PS_LINGER_ON)
        detail = g_strdup (service->linger_by_pandasync
                           ? _("It runs whether or not anyone is logged in (PandaSync turned on "
                               "linger for it). The app leaves the schedule to the service.")
                           : _("It runs whether or not anyone is logged in. The app leaves the "
                               "schedule to the service."));
      else
        detail = g_strdup (_("It runs while you are logged in: linger is off, so it stops when "
                             "you log out. The app leaves the schedule to the service."));
      set_verdict (self, PS_SCHEDULE_RUNS_SERVICE, "emblem-ok-symbolic",
                   _("Scheduled syncs will run: the background service runs them"), detail);
      return;
    }
  if (tray)
    {
      set_verdict (self, PS_SCHEDULE_RUNS_TRAY, "emblem-ok-symbolic",
                   _("Scheduled syncs will run while PandaSync stays in the system tray"),
                   _("Closing the window keeps PandaSync running in the tray. The syncs stop when "
                     "you quit PandaSync or log out; the background service runs them without "
                     "the app."));
      return;
    }
  if (service == NULL)
    {
      set_verdict (self, PS_SCHEDULE_RUNS_UNKNOWN, "content-loading-symbolic",
                   _("Checking whether scheduled syncs will run…"), NULL);
      return;
    }
  {
    g_autofree char *reason = service_reason (service);

    /* Translators: why the tray cannot help, then why the service does not */
    detail = g_strdup_printf (_("No system tray (StatusNotifier host) is there to keep PandaSync "
                                "running once you close this window. %s"), reason);
  }
  set_verdict (self, PS_SCHEDULE_RUNS_WINDOW_ONLY, "dialog-warning-symbolic",
               _("Scheduled syncs run only while this window is open"), detail);
}

static void
update_run_labels (PsSchedulePage *self)
{
  GDateTime *last = self->last_run;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) next = NULL;
  g_autofree char *last_text = NULL;
  g_autofree char *next_text = NULL;
  PsSchedule schedule = { 0 };
  gboolean unsaved;

  form_to_schedule (self, &schedule);
  next = ps_schedule_next_run (&schedule, last, now);
  unsaved = !same_schedule (&schedule, profile_schedule (self));
  g_clear_pointer (&schedule.start, g_date_time_unref);

  if (self->service != NULL && self->service->last_run != NULL)
    last_text = describe_run (self->service->last_run);
  else
    last_text = last != NULL ? format_when (last) : g_strdup (_("Never"));
  if (next == NULL)
    next_text = g_strdup (_("Not scheduled"));
  else if (g_date_time_compare (next, now) <= 0)
    next_text = g_strdup (_("As soon as PandaSync runs"));
  else
    next_text = format_when (next);
  if (unsaved)
    {
      /* The form proposes a schedule; it is not in force until Submit. */
      g_autofree char *proposed = g_strdup_printf (_("%s, once you press Submit"), next_text);
      g_free (next_text);
      next_text = g_steal_pointer (&proposed);
    }
  gtk_label_set_text (self->last_run_label, last_text);
  gtk_label_set_text (self->next_run_label, next_text);
}

static void
update_date_label (PsSchedulePage *self)
{
  g_autoptr(GDateTime) start = form_start (self);
  /* Translators: the start date of the schedule, see g_date_time_format() */
  g_autofree char *text = g_date_time_format (start, C_("start date", "%a %-d %B %Y"));

  gtk_label_set_text (self->date_label, text);
}

static void
load_last_run (PsSchedulePage *self)
{
  PsProfile *profile = ps_wizard_page_get_profile (PS_WIZARD_PAGE (self));

  if (profile == NULL)
    return;
  g_cancellable_cancel (self->last_run_cancellable);
  g_clear_object (&self->last_run_cancellable);
  self->last_run_cancellable = g_cancellable_new ();
  ps_gui_backend_last_run_async (profile, self->last_run_cancellable, on_last_run_loaded_cb, self);
}

/* ---------------------------------------------------------------- callbacks */

static void
on_form_changed_cb (PsSchedulePage *self)
{
  gboolean enabled = gtk_switch_get_active (self->enabled_switch);

  gtk_widget_set_visible (GTK_WIDGET (self->hours_box), active_interval (self) == PS_INTERVAL_HOURS);
  gtk_widget_set_sensitive (GTK_WIDGET (self->date_button), enabled);
  gtk_widget_set_sensitive (GTK_WIDGET (self->hour_spin), enabled);
  gtk_widget_set_sensitive (GTK_WIDGET (self->minute_spin), enabled);
  gtk_widget_set_sensitive (GTK_WIDGET (self->interval_combo), enabled);
  gtk_widget_set_sensitive (GTK_WIDGET (self->hours_box), enabled);
  gtk_widget_set_visible (GTK_WIDGET (self->saved_label), FALSE);
  update_date_label (self);
  update_run_labels (self);
  ps_wizard_page_set_missing (PS_WIZARD_PAGE (self),
                              !enabled || active_interval (self) != PS_INTERVAL_HOURS
                              || gtk_spin_button_get_value_as_int (self->hours_spin) >= 2
                              ? NULL : _("Choose every 2 hours or more, or Hourly"));
}

static void
on_calendar_day_selected_cb (PsSchedulePage *self)
{
  on_form_changed_cb (self);
}

static void
on_calendar_day_activated_cb (PsSchedulePage *self)
{
  gtk_popover_popdown (self->calendar_popover);
}

static gboolean
on_spin_output_cb (GtkSpinButton *spin,
                   gpointer       user_data)
{
  g_autofree char *text = g_strdup_printf ("%02d", gtk_spin_button_get_value_as_int (spin));

  if (g_strcmp0 (text, gtk_entry_get_text (GTK_ENTRY (spin))) != 0)
    gtk_entry_set_text (GTK_ENTRY (spin), text);
  return TRUE;
}

static void
on_last_run_loaded_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  PsSchedulePage *self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) last = ps_gui_backend_last_run_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = PS_SCHEDULE_PAGE (user_data);
  g_clear_object (&self->last_run_cancellable);
  if (error != NULL)
    g_debug ("Cannot read the run history: %s", error->message);
  g_clear_pointer (&self->last_run, g_date_time_unref);
  self->last_run = g_steal_pointer (&last);
  update_run_labels (self);
}

static void
on_service_status_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  PsSchedulePage *self;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsServiceStatus) status = ps_gui_backend_service_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = PS_SCHEDULE_PAGE (user_data);
  g_clear_object (&self->service_cancellable);
  if (status == NULL)
    {
      g_debug ("Cannot tell the background service's state: %s", error->message);
      return;
    }
  g_clear_pointer (&self->service, ps_service_status_free);
  self->service = g_steal_pointer (&status);
  update_schedule_status (self);
  update_run_labels (self);
}

static void
on_service_action_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  PsSchedulePage *self;
  PsApplication *app;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsServiceStatus) status = ps_gui_backend_service_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = PS_SCHEDULE_PAGE (user_data);
  g_clear_object (&self->action_cancellable);
  if (status != NULL)
    {
      g_clear_pointer (&self->service, ps_service_status_free);
      self->service = g_steal_pointer (&status);
    }
  gtk_label_set_text (self->service_note, error != NULL ? error->message
                                          : self->service->note != NULL ? self->service->note : "");
  gtk_widget_set_visible (GTK_WIDGET (self->service_note),
                          error != NULL || self->service->note != NULL);
  /* The app stops (or starts again) running the schedule itself. */
  app = page_application (self);
  if (app != NULL)
    ps_application_refresh_tray (app);
  update_schedule_status (self);
  update_run_labels (self);
  if (error != NULL)
    load_service_status (self);
}

static void
on_install_clicked_cb (PsSchedulePage *self)
{
  start_service_action (self, PS_GUI_SERVICE_INSTALL);
}

static void
on_remove_clicked_cb (PsSchedulePage *self)
{
  start_service_action (self, PS_GUI_SERVICE_REMOVE);
}

static gboolean
on_service_refresh_timeout_cb (gpointer user_data)
{
  PsSchedulePage *self = PS_SCHEDULE_PAGE (user_data);

  if (self->service_cancellable == NULL)
    load_service_status (self);
  update_schedule_status (self);
  return G_SOURCE_CONTINUE;
}

static void
on_confirmation_destroyed_cb (PsSchedulePage *self)
{
  self->confirmation = NULL;
}

static void
on_confirmation_response_cb (GtkDialog *dialog,
                             int        response,
                             gpointer   user_data)
{
  PsSchedulePage *self = PS_SCHEDULE_PAGE (user_data);

  gtk_widget_destroy (GTK_WIDGET (dialog));
  ps_wizard_page_apply_complete (PS_WIZARD_PAGE (self), TRUE);
}

/* ---------------------------------------------------------------- overrides */

static gboolean
ps_schedule_page_apply (PsWizardPage *page,
                        GCancellable *cancellable)
{
  PsSchedulePage *self = PS_SCHEDULE_PAGE (page);
  PsSchedule *schedule = ps_profile_get_schedule (ps_wizard_page_get_profile (page));
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) next = NULL;
  g_autofree char *when = NULL;
  g_autofree char *detail = NULL;

  form_to_schedule (self, schedule);
  if (!ps_wizard_page_save_profile (page, &error))
    {
      gtk_label_set_text (self->saved_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->saved_label), TRUE);
      ps_wizard_page_apply_complete (page, FALSE);
      return TRUE;
    }

  next = ps_schedule_next_run (schedule, self->last_run, now);
  if (next == NULL)
    detail = g_strdup (_("PandaSync syncs only when you click Start Sync."));
  else if (g_date_time_compare (next, now) <= 0)
    detail = g_strdup (_("The first sync runs as soon as PandaSync runs in the background."));
  else
    {
      when = format_when (next);
      detail = g_strdup_printf (_("The next sync runs on %s."), when);
    }
  gtk_label_set_text (self->saved_label, detail);
  gtk_widget_set_visible (GTK_WIDGET (self->saved_label), TRUE);
  update_run_labels (self);
  update_schedule_status (self);

  self->confirmation = gtk_message_dialog_new (GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                               GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                               GTK_MESSAGE_INFO, GTK_BUTTONS_OK, "%s",
                                               schedule->enabled ? _("Automatic sync is scheduled")
                                                                 : _("Automatic sync is off"));
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (self->confirmation), "%s", detail);
  g_signal_connect (self->confirmation, "response", G_CALLBACK (on_confirmation_response_cb), self);
  g_signal_connect_swapped (self->confirmation, "destroy", G_CALLBACK (on_confirmation_destroyed_cb), self);
  gtk_widget_show (self->confirmation);
  return TRUE;
}

static void
ps_schedule_page_shown (PsWizardPage *page)
{
  PsSchedulePage *self = PS_SCHEDULE_PAGE (page);

  /* A sync may have run since the page was last shown, the service may
   * have started or failed, a tray host may have come or gone. */
  load_last_run (self);
  watch_tray (self);
  load_service_status (self);
  update_schedule_status (self);
}

static void
ps_schedule_page_map (GtkWidget *widget)
{
  PsSchedulePage *self = PS_SCHEDULE_PAGE (widget);

  GTK_WIDGET_CLASS (ps_schedule_page_parent_class)->map (widget);
  if (self->service_refresh_id == 0)
    self->service_refresh_id = g_timeout_add_seconds (SERVICE_REFRESH_SECONDS,
                                                      on_service_refresh_timeout_cb, self);
}

static void
ps_schedule_page_unmap (GtkWidget *widget)
{
  PsSchedulePage *self = PS_SCHEDULE_PAGE (widget);

  g_clear_handle_id (&self->service_refresh_id, g_source_remove);
  GTK_WIDGET_CLASS (ps_schedule_page_parent_class)->unmap (widget);
}

static void
ps_schedule_page_constructed (GObject *object)
{
  PsSchedulePage *self = PS_SCHEDULE_PAGE (object);
  PsProfile *profile;

  G_OBJECT_CLASS (ps_schedule_page_parent_class)->constructed (object);

  profile = ps_wizard_page_get_profile (PS_WIZARD_PAGE (self));
  if (profile != NULL)
    schedule_to_form (self, ps_profile_get_schedule (profile));
  on_form_changed_cb (self);
}

static void
ps_schedule_page_dispose (GObject *object)
{
  PsSchedulePage *self = PS_SCHEDULE_PAGE (object);

  if (self->confirmation != NULL)
    gtk_widget_destroy (self->confirmation);
  g_cancellable_cancel (self->last_run_cancellable);
  g_clear_object (&self->last_run_cancellable);
  g_clear_pointer (&self->last_run, g_date_time_unref);
  g_clear_handle_id (&self->service_refresh_id, g_source_remove);
  g_cancellable_cancel (self->service_cancellable);
  g_clear_object (&self->service_cancellable);
  g_cancellable_cancel (self->action_cancellable);
  g_clear_object (&self->action_cancellable);
  g_clear_pointer (&self->service, ps_service_status_free);
  if (self->tray != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->tray, self);
      g_object_remove_weak_pointer (G_OBJECT (self->tray), (gpointer *) &self->tray);
      self->tray = NULL;
    }
  G_OBJECT_CLASS (ps_schedule_page_parent_class)->dispose (object);
}

static void
ps_schedule_page_class_init (PsSchedulePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  PsWizardPageClass *page_class = PS_WIZARD_PAGE_CLASS (klass);

  object_class->constructed = ps_schedule_page_constructed;
  object_class->dispose = ps_schedule_page_dispose;
  widget_class->map = ps_schedule_page_map;
  widget_class->unmap = ps_schedule_page_unmap;
  page_class->page_id = "schedule";
  page_class->apply = ps_schedule_page_apply;
  page_class->shown = ps_schedule_page_shown;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/pages/ps-schedule-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PsSchedulePage, calendar);
  gtk_widget_class_bind_template_child (widget_class, PsSchedulePage, calendar_popover);
  gtk_widget_class_bind_template_child (widget_class, PsSchedulePage, date_button);
  gtk_widget_class_bind_template_child (widget_class, PsSchedulePage, date_label);
  gtk_widget_class_bind_template_child (widget_class, PsSchedulePage, enabled_switch);
  gtk_widget_class_bind_template_child (widget_class, PsSchedulePage, hour_spin);
  gtk_widget_class_bind_template_child (widget_class, PsSchedulePage, hours_box);
  gtk_widget_class_bind_template_child (widget_class, PsSchedulePage, hours_spin);
  gtk_widget_class_bind_template_child (widget_class, PsSchedulePage, interval_combo);
  gtk_widget_class_bind_template_child (widget_class, PsSchedulePage, last_run_label);
  gtk_widget_class_bind_template_child (widget_class, PsSchedulePage, minute_spin);
  gtk_widget_class_bind_template_child (widget_class, PsSchedulePage, next_run_label);
  gtk_widget_class_bind_template_child (widget_class, PsSchedulePage, saved_label);
  gtk_widget_class_bind_template_child (widget_class, PsSchedulePage, install_button);
  gtk_widget_class_bind_template_child (widget_class, PsSchedulePage, remove_button);
  gtk_widget_class_bind_template_child (widget_class, PsSchedulePage, service_label);
  gtk_widget_class_bind_template_child (widget_class, PsSchedulePage, service_note);
  gtk_widget_class_bind_template_child (widget_class, PsSchedulePage, service_spinner);
  gtk_widget_class_bind_template_child (widget_class, PsSchedulePage, status_icon);
  gtk_widget_class_bind_template_child (widget_class, PsSchedulePage, status_headline);
  gtk_widget_class_bind_template_child (widget_class, PsSchedulePage, status_detail);
  gtk_widget_class_bind_template_callback (widget_class, on_calendar_day_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_calendar_day_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_form_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_install_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_remove_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_spin_output_cb);
}

static void
ps_schedule_page_init (PsSchedulePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  ps_wizard_page_set_title (PS_WIZARD_PAGE (self), _("Automation Sync"));
  ps_wizard_page_set_apply_label (PS_WIZARD_PAGE (self), _("_Submit"));
}

/* ---------------------------------------------------------------- public API */

PsWizardPage *
ps_schedule_page_new (PsProfile *profile)
{
  return g_object_new (PS_TYPE_SCHEDULE_PAGE, "profile", profile, NULL);
}

GtkDialog *
ps_schedule_page_get_confirmation (PsSchedulePage *self)
{
  g_return_val_if_fail (PS_IS_SCHEDULE_PAGE (self), NULL);
  return self->confirmation != NULL ? GTK_DIALOG (self->confirmation) : NULL;
}

const char *
ps_schedule_page_get_next_run_text (PsSchedulePage *self)
{
  g_return_val_if_fail (PS_IS_SCHEDULE_PAGE (self), NULL);
  return gtk_label_get_text (self->next_run_label);
}

PsScheduleRuns
ps_schedule_page_get_runs (PsSchedulePage *self)
{
  g_return_val_if_fail (PS_IS_SCHEDULE_PAGE (self), PS_SCHEDULE_RUNS_UNKNOWN);
  return self->runs;
}

const char *
ps_schedule_page_get_verdict (PsSchedulePage *self)
{
  g_return_val_if_fail (PS_IS_SCHEDULE_PAGE (self), NULL);
  return gtk_label_get_text (self->status_headline);
}

const char *
ps_schedule_page_get_verdict_detail (PsSchedulePage *self)
{
  g_return_val_if_fail (PS_IS_SCHEDULE_PAGE (self), NULL);
  return gtk_label_get_text (self->status_detail);
}

const PsServiceStatus *
ps_schedule_page_get_service (PsSchedulePage *self)
{
  g_return_val_if_fail (PS_IS_SCHEDULE_PAGE (self), NULL);
  return self->service;
}

gboolean
ps_schedule_page_get_service_busy (PsSchedulePage *self)
{
  g_return_val_if_fail (PS_IS_SCHEDULE_PAGE (self), FALSE);
  return self->action_cancellable != NULL;
}

void
ps_schedule_page_refresh_service (PsSchedulePage *self)
{
  g_return_if_fail (PS_IS_SCHEDULE_PAGE (self));
  load_service_status (self);
}
