/* ps-tray.c — the StatusNotifier tray icon, behind a tiny facade
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libayatana-appindicator exports the icon as a StatusNotifierItem. The icon
 * is only created once org.kde.StatusNotifierWatcher owns its name on the
 * session bus: without a watcher the library would fall back to the old
 * XEmbed GtkStatusIcon, which nothing shows on a modern desktop.
 */

#include <glib/gi18n.h>
#include <gtk/gtk.h>
#if HAVE_APPINDICATOR
#include <libayatana-appindicator/app-indicator.h>
#endif

#include "ps-tray.h"

#define WATCHER_NAME "org.kde.StatusNotifierWatcher"

struct _PsTray
{
  GObject        parent_instance;

  GActionGroup  *actions;
  guint          watch_id;
  gboolean       watcher_present;
  gboolean       registered;
  PsTrayState    state;
  char          *status_text;

  GtkWidget     *menu;
  GtkWidget     *status_item;
#if HAVE_APPINDICATOR
  AppIndicator  *indicator;
#endif
};

G_DEFINE_FINAL_TYPE (PsTray, ps_tray, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_AVAILABLE,
  PROP_REGISTERED,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

/* ---------------------------------------------------------------- helpers */

#if HAVE_APPINDICATOR
static const char *
icon_for_state (PsTrayState state)
{
  switch (state)
    {
    case PS_TRAY_STATE_SYNCING:
      return "emblem-synchronizing-symbolic";
    case PS_TRAY_STATE_ERROR:
      return "dialog-warning-symbolic";
    case PS_TRAY_STATE_IDLE:
    default:
      return APPLICATION_ID;
    }
}
#endif

static void
update_status (PsTray *self)
{
  if (self->status_item != NULL)
    gtk_menu_item_set_label (GTK_MENU_ITEM (self->status_item), self->status_text);
#if HAVE_APPINDICATOR
  if (self->indicator != NULL)
    {
      app_indicator_set_icon_full (self->indicator, icon_for_state (self->state), self->status_text);
      app_indicator_set_title (self->indicator, self->status_text);
    }
#endif
}

#if HAVE_APPINDICATOR
static void
activate_action (PsTray     *self,
                 const char *name)
{
  if (self->actions != NULL && g_action_group_has_action (self->actions, name))
    g_action_group_activate_action (self->actions, name, NULL);
}

/* ---------------------------------------------------------------- callbacks */

static void
on_start_sync_item_activated_cb (PsTray *self)
{
  activate_action (self, "start-sync");
}

static void
on_open_item_activated_cb (PsTray *self)
{
  activate_action (self, "open");
}

static void
on_quit_item_activated_cb (PsTray *self)
{
  activate_action (self, "quit");
}

static void
on_indicator_connection_changed_cb (AppIndicator *indicator,
                                    gboolean      connected,
                                    gpointer      user_data)
{
  PsTray *self = PS_TRAY (user_data);

  if (self->registered == connected)
    return;
  self->registered = connected;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REGISTERED]);
}

static GtkWidget *
build_menu (PsTray *self)
{
  GtkWidget *menu = gtk_menu_new ();
  GtkWidget *item;

  self->status_item = gtk_menu_item_new_with_label (self->status_text);
  gtk_widget_set_sensitive (self->status_item, FALSE);
  gtk_menu_shell_append (GTK_MENU_SHELL (menu), self->status_item);
  gtk_menu_shell_append (GTK_MENU_SHELL (menu), gtk_separator_menu_item_new ());

  item = gtk_menu_item_new_with_mnemonic (_("_Start Sync"));
  g_signal_connect_swapped (item, "activate", G_CALLBACK (on_start_sync_item_activated_cb), self);
  gtk_menu_shell_append (GTK_MENU_SHELL (menu), item);
  item = gtk_menu_item_new_with_mnemonic (_("_Open PandaSync"));
  g_signal_connect_swapped (item, "activate", G_CALLBACK (on_open_item_activated_cb), self);
  gtk_menu_shell_append (GTK_MENU_SHELL (menu), item);
  gtk_menu_shell_append (GTK_MENU_SHELL (menu), gtk_separator_menu_item_new ());
  item = gtk_menu_item_new_with_mnemonic (_("_Quit"));
  g_signal_connect_swapped (item, "activate", G_CALLBACK (on_quit_item_activated_cb), self);
  gtk_menu_shell_append (GTK_MENU_SHELL (menu), item);
  gtk_widget_show_all (menu);
  return g_object_ref_sink (menu);
}
#endif

static void
ensure_indicator (PsTray *self)
{
#if HAVE_APPINDICATOR
  if (self->indicator != NULL)
    return;
  if (self->menu == NULL)
    self->menu = build_menu (self);
  self->indicator = app_indicator_new (APPLICATION_ID, icon_for_state (self->state),
                                       APP_INDICATOR_CATEGORY_APPLICATION_STATUS);
  g_signal_connect (self->indicator, "connection-changed",
                    G_CALLBACK (on_indicator_connection_changed_cb), self);
  app_indicator_set_menu (self->indicator, GTK_MENU (self->menu));
  app_indicator_set_status (self->indicator, APP_INDICATOR_STATUS_ACTIVE);
  update_status (self);
#endif
}

static void
on_watcher_appeared_cb (GDBusConnection *connection,
                        const char      *name,
                        const char      *owner,
                        gpointer         user_data)
{
  PsTray *self = PS_TRAY (user_data);

  self->watcher_present = TRUE;
  ensure_indicator (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AVAILABLE]);
}

static void
on_watcher_vanished_cb (GDBusConnection *connection,
                        const char      *name,
                        gpointer         user_data)
{
  PsTray *self = PS_TRAY (user_data);

  if (!self->watcher_present)
    return;
  self->watcher_present = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AVAILABLE]);
}

/* ---------------------------------------------------------------- overrides */

static void
ps_tray_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  PsTray *self = PS_TRAY (object);

  switch (prop_id)
    {
    case PROP_AVAILABLE:
      g_value_set_boolean (value, ps_tray_get_available (self));
      break;
    case PROP_REGISTERED:
      g_value_set_boolean (value, self->registered);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ps_tray_dispose (GObject *object)
{
  PsTray *self = PS_TRAY (object);

  if (self->watch_id != 0)
    {
      g_bus_unwatch_name (self->watch_id);
      self->watch_id = 0;
    }
#if HAVE_APPINDICATOR
  g_clear_object (&self->indicator);
#endif
  if (self->menu != NULL)
    {
      gtk_widget_destroy (self->menu);
      g_clear_object (&self->menu);
    }
  g_clear_object (&self->actions);
  G_OBJECT_CLASS (ps_tray_parent_class)->dispose (object);
}

static void
ps_tray_finalize (GObject *object)
{
  PsTray *self = PS_TRAY (object);

  g_free (self->status_text);
  G_OBJECT_CLASS (ps_tray_parent_class)->finalize (object);
}

static void
ps_tray_class_init (PsTrayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ps_tray_get_property;
  object_class->dispose = ps_tray_dispose;
  object_class->finalize = ps_tray_finalize;

  properties[PROP_AVAILABLE] =
    g_param_spec_boolean ("available", "Available", "A tray host runs and the icon can be shown",
                          FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_REGISTERED] =
    g_param_spec_boolean ("registered", "Registered", "The icon is registered with the tray host",
                          FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ps_tray_init (PsTray *self)
{
  self->status_text = g_strdup (_("PandaSync is idle"));
}

/* ---------------------------------------------------------------- public API */

PsTray *
ps_tray_new (GActionGroup *actions)
{
  PsTray *self = g_object_new (PS_TYPE_TRAY, NULL);

  self->actions = actions != NULL ? g_object_ref (actions) : NULL;
  self->watch_id = g_bus_watch_name (G_BUS_TYPE_SESSION, WATCHER_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                     on_watcher_appeared_cb, on_watcher_vanished_cb, self, NULL);
  return self;
}

/* TRUE when an icon can be shown: a watcher runs and this build has the tray. */
gboolean
ps_tray_get_available (PsTray *self)
{
  g_return_val_if_fail (PS_IS_TRAY (self), FALSE);
  return HAVE_APPINDICATOR && self->watcher_present;
}

gboolean
ps_tray_get_registered (PsTray *self)
{
  g_return_val_if_fail (PS_IS_TRAY (self), FALSE);
  return self->registered;
}

void
ps_tray_set_state (PsTray      *self,
                   PsTrayState  state,
                   const char  *detail)
{
  g_return_if_fail (PS_IS_TRAY (self));

  self->state = state;
  g_free (self->status_text);
  switch (state)
    {
    case PS_TRAY_STATE_SYNCING:
      self->status_text = g_strdup (_("Syncing…"));
      break;
    case PS_TRAY_STATE_ERROR:
      self->status_text = detail != NULL ? g_strdup_printf (_("Last sync failed: %s"), detail)
                                         : g_strdup (_("Last sync failed"));
      break;
    case PS_TRAY_STATE_IDLE:
    default:
      self->status_text = g_strdup (_("PandaSync is idle"));
      break;
    }
  update_status (self);
}

PsTrayState
ps_tray_get_state (PsTray *self)
{
  g_return_val_if_fail (PS_IS_TRAY (self), PS_TRAY_STATE_IDLE);
  return self->state;
}

const char *
ps_tray_get_status_text (PsTray *self)
{
  g_return_val_if_fail (PS_IS_TRAY (self), NULL);
  return self->status_text;
}
