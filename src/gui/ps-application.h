/* ps-application.h — the PandaSync GtkApplication */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define PS_TYPE_APPLICATION (ps_application_get_type ())
G_DECLARE_FINAL_TYPE (PsApplication, ps_application, PS, APPLICATION, GtkApplication)

PsApplication *ps_application_new (void);

G_END_DECLS
