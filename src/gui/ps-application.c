/* ps-application.c — the PandaSync GtkApplication
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib/gi18n.h>

#include "ps-application.h"
#include "ps-window.h"

struct _PsApplication
{
  GtkApplication parent_instance;
};

G_DEFINE_TYPE (PsApplication, ps_application, GTK_TYPE_APPLICATION)

/* ---------------------------------------------------------------- callbacks */

static void
on_quit_activated_cb (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
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

/* ---------------------------------------------------------------- overrides */

static void
ps_application_startup (GApplication *app)
{
  const GActionEntry entries[] = {
    { "quit", on_quit_activated_cb, NULL, NULL, NULL, { 0 } },
    { "about", on_about_activated_cb, NULL, NULL, NULL, { 0 } },
  };
  const char *quit_accels[] = { "<Control>q", NULL };

  G_APPLICATION_CLASS (ps_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), entries, G_N_ELEMENTS (entries), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_window_set_default_icon_name (APPLICATION_ID);
}

static void
ps_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (ps_window_new (PS_APPLICATION (app)));
  gtk_window_present (window);
}

static void
ps_application_class_init (PsApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->startup = ps_application_startup;
  app_class->activate = ps_application_activate;
}

static void
ps_application_init (PsApplication *self)
{
}

/* ---------------------------------------------------------------- public API */

PsApplication *
ps_application_new (void)
{
  return g_object_new (PS_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       NULL);
}
