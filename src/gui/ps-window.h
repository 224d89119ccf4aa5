/* ps-window.h — the main window: the wizard on first run, a sidebar after
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ps-profile.h"
#include "ps-wizard-page.h"

G_BEGIN_DECLS

#define PS_TYPE_WINDOW (ps_window_get_type ())
G_DECLARE_FINAL_TYPE (PsWindow, ps_window, PS, WINDOW, GtkApplicationWindow)

PsWindow     *ps_window_new                 (GtkApplication *application,
                                             PsProfile      *profile,
                                             gboolean        wizard);
PsProfile    *ps_window_get_profile         (PsWindow   *self);
gboolean      ps_window_get_wizard          (PsWindow   *self);
gboolean      ps_window_show_page           (PsWindow   *self,
                                             const char *page_id);
PsWizardPage *ps_window_get_page            (PsWindow   *self,
                                             const char *page_id);
PsWizardPage *ps_window_get_visible_page    (PsWindow   *self);
GtkButton    *ps_window_get_forward_button  (PsWindow   *self);
GtkButton    *ps_window_get_back_button     (PsWindow   *self);
void          ps_window_set_notice          (PsWindow   *self,
                                             const char *message);
const char   *ps_window_get_notice          (PsWindow   *self);
GtkWidget    *ps_window_get_file_bar        (PsWindow   *self);

G_END_DECLS
