/* ps-profile-file-bar.c — hand edits of the profile file while the app runs
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib/gi18n.h>

#include "ps-profile-file-bar.h"

/* Editors write in several steps (a temporary file, a rename): look once
 * they are done. */
#define SETTLE_MS 250

enum {
  RESPONSE_RELOAD = 1,
  RESPONSE_KEEP = 2,
};

struct _PsProfileFileBar
{
  GtkRevealer   parent_instance;

  GtkInfoBar   *info_bar;
  GtkButton    *keep_button;
  GtkLabel     *message_label;
  GtkButton    *reload_button;

  PsProfile    *profile;
  PsUnsavedFunc unsaved_func;
  gpointer      unsaved_data;
  GFileMonitor *monitor;
  guint         settle_id;
};

G_DEFINE_FINAL_TYPE (PsProfileFileBar, ps_profile_file_bar, GTK_TYPE_REVEALER)

enum {
  PROP_0,
  PROP_PROFILE,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

/* ---------------------------------------------------------------- helpers */

static void
show_message (PsProfileFileBar *self,
              GtkMessageType    type,
              const char       *text,
              gboolean          reload,
              gboolean          keep)
{
  gtk_info_bar_set_message_type (self->info_bar, type);
  gtk_label_set_text (self->message_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->reload_button), reload);
  gtk_widget_set_visible (GTK_WIDGET (self->keep_button), keep);
  gtk_widget_show (GTK_WIDGET (self));
  gtk_revealer_set_reveal_child (GTK_REVEALER (self), TRUE);
}

static void
hide_bar (PsProfileFileBar *self)
{
  gtk_revealer_set_reveal_child (GTK_REVEALER (self), FALSE);
  gtk_widget_hide (GTK_WIDGET (self));
}

static void
reload (PsProfileFileBar *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (ps_profile_reload (self->profile, &error))
    {
      text = g_strdup_printf (_("The profile file %s was changed outside PandaSync and has been "
                                "reloaded: the pages show it as it is now."),
                              ps_profile_get_path (self->profile));
      g_message ("%s", text);
      show_message (self, GTK_MESSAGE_INFO, text, FALSE, FALSE);
      return;
    }
  /* Translators: %s says why the file cannot be read */
  text = g_strdup_printf (_("The profile file was changed outside PandaSync and cannot be read:\n%s\n"
                            "PandaSync keeps the profile it has and does not save over the file "
                            "until it is fixed, or until you choose Keep Mine."), error->message);
  show_message (self, GTK_MESSAGE_ERROR, text, TRUE, TRUE);
}

static void
keep_mine (PsProfileFileBar *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  ps_profile_keep_mine (self->profile);
  if (!ps_profile_save (self->profile, &error))
    {
      show_message (self, GTK_MESSAGE_ERROR, error->message, TRUE, TRUE);
      return;
    }
  text = g_strdup_printf (_("PandaSync's version of the profile was saved over %s."),
                          ps_profile_get_path (self->profile));
  show_message (self, GTK_MESSAGE_INFO, text, FALSE, FALSE);
}

/* ---------------------------------------------------------------- callbacks */

static gboolean
on_settled_cb (gpointer user_data)
{
  PsProfileFileBar *self = user_data;

  self->settle_id = 0;
  ps_profile_file_bar_check (self);
  return G_SOURCE_REMOVE;
}

static void
on_monitor_changed_cb (GFileMonitor      *monitor,
                       GFile             *file,
                       GFile             *other,
                       GFileMonitorEvent  event,
                       PsProfileFileBar  *self)
{
  if (event == G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED)
    return;
  g_clear_handle_id (&self->settle_id, g_source_remove);
  self->settle_id = g_timeout_add (SETTLE_MS, on_settled_cb, self);
}

static void
watch_file (PsProfileFileBar *self)
{
  const char *path = ps_profile_get_path (self->profile);
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  if (path == NULL)
    return;
  file = g_file_new_for_path (path);
  self->monitor = g_file_monitor_file (file, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (self->monitor == NULL)
    {
      /* Saving still refuses to overwrite a newer file; only the notice is lost. */
      g_warning ("Edits of %s by other programs will not be noticed: %s", path, error->message);
      return;
    }
  g_signal_connect (self->monitor, "changed", G_CALLBACK (on_monitor_changed_cb), self);
}

static void
on_info_bar_response_cb (PsProfileFileBar *self,
                         int               response)
{
  switch (response)
    {
    case RESPONSE_RELOAD:
      reload (self);
      break;
    case RESPONSE_KEEP:
      keep_mine (self);
      break;
    default:
      hide_bar (self);
      break;
    }
}

/* A new profile has no file until its first save: watch from then on. */
static void
on_profile_changed_cb (PsProfile        *profile,
                       PsProfileFileBar *self)
{
  if (self->monitor == NULL)
    watch_file (self);
}

/* ---------------------------------------------------------------- overrides */

static void
ps_profile_file_bar_constructed (GObject *object)
{
  PsProfileFileBar *self = PS_PROFILE_FILE_BAR (object);

  G_OBJECT_CLASS (ps_profile_file_bar_parent_class)->constructed (object);

  watch_file (self);
  g_signal_connect_object (self->profile, "changed", G_CALLBACK (on_profile_changed_cb), self, 0);
}

static void
ps_profile_file_bar_dispose (GObject *object)
{
  PsProfileFileBar *self = PS_PROFILE_FILE_BAR (object);

  g_clear_handle_id (&self->settle_id, g_source_remove);
  if (self->monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->monitor, self);
      g_file_monitor_cancel (self->monitor);
    }
  g_clear_object (&self->monitor);
  g_clear_object (&self->profile);
  G_OBJECT_CLASS (ps_profile_file_bar_parent_class)->dispose (object);
}

static void
ps_profile_file_bar_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  PsProfileFileBar *self = PS_PROFILE_FILE_BAR (object);

  switch (prop_id)
    {
    case PROP_PROFILE:
      self->profile = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ps_profile_file_bar_class_init (PsProfileFileBarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = ps_profile_file_bar_constructed;
  object_class->dispose = ps_profile_file_bar_dispose;
  object_class->set_property = ps_profile_file_bar_set_property;

  properties[PROP_PROFILE] =
    g_param_spec_object ("profile", NULL, NULL, PS_TYPE_PROFILE,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/widgets/ps-profile-file-bar.ui");
  gtk_widget_class_bind_template_child (widget_class, PsProfileFileBar, info_bar);
  gtk_widget_class_bind_template_child (widget_class, PsProfileFileBar, keep_button);
  gtk_widget_class_bind_template_child (widget_class, PsProfileFileBar, message_label);
  gtk_widget_class_bind_template_child (widget_class, PsProfileFileBar, reload_button);
  gtk_widget_class_bind_template_callback (widget_class, on_info_bar_response_cb);
}

static void
ps_profile_file_bar_init (PsProfileFileBar *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_no_show_all (GTK_WIDGET (self), TRUE);
  gtk_widget_hide (GTK_WIDGET (self));
}

/* ---------------------------------------------------------------- public API */

GtkWidget *
ps_profile_file_bar_new (PsProfile *profile)
{
  g_return_val_if_fail (PS_IS_PROFILE (profile), NULL);
  return g_object_new (PS_TYPE_PROFILE_FILE_BAR, "profile", profile, NULL);
}

void
ps_profile_file_bar_check (PsProfileFileBar *self)
{
  g_autofree char *text = NULL;
  const char *path;

  g_return_if_fail (PS_IS_PROFILE_FILE_BAR (self));

  /* Our own saves land here too: the file is then what we wrote. */
  if (!ps_profile_changed_on_disk (self->profile))
    return;
  path = ps_profile_get_path (self->profile);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      text = g_strdup_printf (_("The profile file %s was removed outside PandaSync. Keep Mine "
                                "writes the profile as it is here again."), path);
      show_message (self, GTK_MESSAGE_WARNING, text, FALSE, TRUE);
      return;
    }
  if (!ps_profile_has_unsaved_changes (self->profile)
      && (self->unsaved_func == NULL || !self->unsaved_func (self->unsaved_data)))
    {
      reload (self);
      return;
    }
  text = g_strdup_printf (_("The profile file %s was changed outside PandaSync while changes made "
                            "here are not saved. Reload takes the file and drops them; Keep Mine "
                            "saves them over the file."), path);
  show_message (self, GTK_MESSAGE_WARNING, text, TRUE, TRUE);
}

void
ps_profile_file_bar_set_unsaved_func (PsProfileFileBar *self,
                                      PsUnsavedFunc     func,
                                      gpointer          user_data)
{
  g_return_if_fail (PS_IS_PROFILE_FILE_BAR (self));
  self->unsaved_func = func;
  self->unsaved_data = user_data;
}

gboolean
ps_profile_file_bar_is_shown (PsProfileFileBar *self)
{
  g_return_val_if_fail (PS_IS_PROFILE_FILE_BAR (self), FALSE);
  return gtk_widget_get_visible (GTK_WIDGET (self))
         && gtk_revealer_get_reveal_child (GTK_REVEALER (self));
}

const char *
ps_profile_file_bar_get_text (PsProfileFileBar *self)
{
  g_return_val_if_fail (PS_IS_PROFILE_FILE_BAR (self), NULL);
  return gtk_label_get_text (self->message_label);
}
