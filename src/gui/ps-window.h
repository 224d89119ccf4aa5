/* ps-window.h — the main window */
#pragma once

#include <gtk/gtk.h>

#include "ps-application.h"

G_BEGIN_DECLS

#define PS_TYPE_WINDOW (ps_window_get_type ())
G_DECLARE_FINAL_TYPE (PsWindow, ps_window, PS, WINDOW, GtkApplicationWindow)

PsWindow *ps_window_new (PsApplication *application);

G_END_DECLS
