/* ps-application.h — the PandaSync GtkApplication
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ps-profile.h"
#include "ps-tray.h"
#include "ps-window.h"

G_BEGIN_DECLS

#define PS_TYPE_APPLICATION (ps_application_get_type ())
G_DECLARE_FINAL_TYPE (PsApplication, ps_application, PS, APPLICATION, GtkApplication)

PsApplication *ps_application_new          (void);
PsWindow      *ps_application_get_window   (PsApplication *self);
PsTray        *ps_application_get_tray     (PsApplication *self);
PsProfile     *ps_application_get_profile  (PsApplication *self);

/* Reads the latest run from the profile's history now and shows it in the
 * tray (it is also read every few seconds, so runs of the background service
 * or the command line show too). */
void           ps_application_refresh_tray (PsApplication *self);

/* Whether the app runs the profile's schedule itself: FALSE while a
 * background service runs it (the app follows the service with every tray
 * refresh). */
gboolean       ps_application_get_runs_schedule (PsApplication *self);

/* Whether closing the window keeps the app running in the tray. */
gboolean       ps_application_keeps_running_in_tray (PsApplication *self);

/* The app's stylesheet; the tests load it too. */
void           ps_application_load_css     (void);

G_END_DECLS
