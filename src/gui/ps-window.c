/* ps-window.c — the main window
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib/gi18n.h>

#include "ps-window.h"

struct _PsWindow
{
  GtkApplicationWindow  parent_instance;

  GtkHeaderBar         *header_bar;
  GtkStack             *stack;
};

G_DEFINE_TYPE (PsWindow, ps_window, GTK_TYPE_APPLICATION_WINDOW)

static void
ps_window_class_init (PsWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/ps-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PsWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, stack);
}

static void
ps_window_init (PsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

PsWindow *
ps_window_new (PsApplication *application)
{
  return g_object_new (PS_TYPE_WINDOW, "application", application, NULL);
}
