/* gui-test-util.h — helpers for the UI tests: servers, waiting, screenshots
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ps-profile.h"

G_BEGIN_DECLS

typedef gboolean (*GuiTestCondition) (gpointer data);

/* gtk_test_init + ps_test_init's isolation, the app's resources and CSS. */
void        gui_test_init             (int *argc, char ***argv);

/* Iterates the main loop until @condition holds or @timeout_ms passes;
 * returns whether it held. Never sleeps as an assertion. */
gboolean    gui_test_wait             (GuiTestCondition condition,
                                       gpointer         data,
                                       guint            timeout_ms);
/* Lets pending redraws and idles run for about @ms. */
void        gui_test_settle           (guint ms);

/* Saves a PNG of @window into $builddir/tests/gui/screenshots/NAME.png and
 * returns its path. */
char       *gui_test_screenshot       (GtkWidget  *window,
                                       const char *name);

/* Test servers, started once per test program; NULL (and the test skips)
 * when they cannot run here. */
typedef struct {
  char *ldap_uri;
  char *base_dn;
  char *bind_dn;
  char *bind_password;
} GuiTestDirectory;

typedef struct {
  char *url;
  char *client_id;
  char *client_secret;
  char *email;
  char *password;
} GuiTestTarget;

const GuiTestDirectory *gui_test_start_slapd    (void);
const GuiTestTarget    *gui_test_start_emulator (void);
void                    gui_test_stop_servers   (void);

/* A template child of @widget's class @type, by its id in the .ui. */
gpointer    gui_test_child            (gpointer    widget,
                                       GType       type,
                                       const char *name);

/* Sets an entry's text as typing would (emits "changed"). */
void        gui_test_type             (gpointer    entry,
                                       const char *text);

/* Checks the mnemonics a user sees on @page of @window: every label with
 * one points at a widget, and no two share a key (the action bar included). */
void        gui_test_check_mnemonics  (GtkWidget  *window,
                                       GtkWidget  *page);

/* A profile saved in the test's private folder. */
PsProfile  *gui_test_new_profile      (const char *name);

G_END_DECLS
