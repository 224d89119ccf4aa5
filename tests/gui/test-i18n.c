/* test-i18n.c — the app in German
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Builds a de_DE.UTF-8 locale into a private folder (LOCPATH), so the test
 * needs no system locale, reads the catalogue compiled into the build tree
 * and checks that the wizard speaks German.
 */

#include <locale.h>
#include <glib/gi18n.h>

#include "gui-test-util.h"
#include "ps-window.h"
#include "pages/ps-collection-mapping-page.h"
#include "pages/ps-connection-page.h"
#include "pages/ps-user-mapping-page.h"
#include "widgets/ps-scope-editor.h"

static gboolean have_locale;

static void
check_width (PsWindow *window)
{
  int min_width = 0;

  /* Longer German words must not push the window off a 1280-pixel screen. */
  gtk_widget_get_preferred_width (GTK_WIDGET (window), &min_width, NULL);
  g_test_message ("the window needs %d pixels", min_width);
  g_assert_cmpint (min_width, <=, 1200);
}

/* ---------------------------------------------------------------- helpers */

static gboolean
make_german_locale (void)
{
  g_autofree char *dir = g_dir_make_tmp ("pandasync-locale-XXXXXX", NULL);
  g_autofree char *target = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  if (dir == NULL)
    return FALSE;
  target = g_build_filename (dir, "de_DE.UTF-8", NULL);
  {
    const char *argv[] = { "localedef", "-i", "de_DE", "-f", "UTF-8", target, NULL };

    if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                       NULL, NULL, NULL, &err, &status, NULL)
        || !g_file_test (target, G_FILE_TEST_IS_DIR))
      return FALSE;
  }
  g_setenv ("LOCPATH", dir, TRUE);
  return TRUE;
}

/* ---------------------------------------------------------------- tests */

static void
test_wizard_in_german (void)
{
  g_autoptr(PsProfile) profile = NULL;
  PsWindow *window;
  PsWizardPage *page;

  if (!have_locale)
    {
      g_test_skip ("the de_DE.UTF-8 locale cannot be built here (localedef and the locales data)");
      return;
    }
  g_assert_cmpstr (_("Connection"), ==, "Verbindung");

  profile = gui_test_new_profile ("deutsch");
  window = ps_window_new (NULL, profile, TRUE);
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 700);
  gtk_widget_show (GTK_WIDGET (window));
  page = ps_window_get_page (window, "connection");

  g_assert_cmpstr (ps_wizard_page_get_title (page), ==, "Verbindung");
  g_assert_cmpstr (gtk_button_get_label (ps_window_get_forward_button (window)), ==, "_Fertig");
  g_assert_cmpstr (gtk_label_get_text (gui_test_child (window, PS_TYPE_WINDOW, "step_label")), ==,
                   "Schritt 1 von 4");
  g_assert_cmpstr (gtk_combo_box_text_get_active_text (gui_test_child (page, PS_TYPE_CONNECTION_PAGE,
                                                                       "dialect_combo")),
                   ==, "Automatisch");
  g_assert_cmpstr (ps_wizard_page_get_title (ps_window_get_page (window, "schedule")), ==,
                   "Automatischer Abgleich");
  g_free (gui_test_screenshot (GTK_WIDGET (window), "wizard-connection-de"));

  /* Microsoft Entra ID with its expander open: Done says in German what is
   * missing, the mnemonics stay distinct and the page fits a 1280-pixel
   * screen. */
  gtk_stack_set_visible_child_name (gui_test_child (page, PS_TYPE_CONNECTION_PAGE, "source_stack"), "entra-id");
  gtk_expander_set_expanded (gui_test_child (page, PS_TYPE_CONNECTION_PAGE, "entra_expander"), TRUE);
  g_assert_cmpstr (ps_wizard_page_get_incomplete_reason (page), ==, "Geben Sie die API-Client-ID ein.");
  gui_test_check_mnemonics (GTK_WIDGET (window), GTK_WIDGET (page));
  check_width (window);
  g_free (gui_test_screenshot (GTK_WIDGET (window), "wizard-connection-entra-de"));

  /* Okta, with its expander open, likewise. */
  gtk_stack_set_visible_child_name (gui_test_child (page, PS_TYPE_CONNECTION_PAGE, "source_stack"), "okta");
  gtk_expander_set_expanded (gui_test_child (page, PS_TYPE_CONNECTION_PAGE, "okta_expander"), TRUE);
  gui_test_type (gui_test_child (page, PS_TYPE_CONNECTION_PAGE, "client_id_entry"), "id");
  gui_test_type (gui_test_child (page, PS_TYPE_CONNECTION_PAGE, "client_secret_entry"), "secret");
  gui_test_type (gui_test_child (page, PS_TYPE_CONNECTION_PAGE, "email_entry"), "admin@example.com");
  gui_test_type (gui_test_child (page, PS_TYPE_CONNECTION_PAGE, "password_entry"), "pw");
  g_assert_cmpstr (ps_wizard_page_get_incomplete_reason (page), ==,
                   "Geben Sie die Okta-Org-URL ein, etwa https://acme.okta.com.");
  gui_test_check_mnemonics (GTK_WIDGET (window), GTK_WIDGET (page));
  check_width (window);
  g_free (gui_test_screenshot (GTK_WIDGET (window), "wizard-connection-okta-de"));
  gui_test_type (gui_test_child (page, PS_TYPE_CONNECTION_PAGE, "client_id_entry"), "");
  gtk_stack_set_visible_child_name (gui_test_child (page, PS_TYPE_CONNECTION_PAGE, "source_stack"),
                                    "active-directory");

  /* Every page keeps distinct keyboard mnemonics in German too. */
  for (const char *const *id = (const char *const[]) { "schedule", "user-mapping", "collection-mapping",
                                                        "connection", NULL };
       *id != NULL; id++)
    {
      g_autofree char *name = g_strconcat ("wizard-", *id, "-de", NULL);

      g_assert_true (ps_window_show_page (window, *id));
      gui_test_check_mnemonics (GTK_WIDGET (window), GTK_WIDGET (ps_window_get_page (window, *id)));
      g_free (gui_test_screenshot (GTK_WIDGET (window), name));
    }

  /* Both mapping pages with Advanced open and its longest line, an error. */
  for (guint i = 0; i < 2; i++)
    {
      const char *id = i == 0 ? "user-mapping" : "collection-mapping";
      GType type = i == 0 ? PS_TYPE_USER_MAPPING_PAGE : PS_TYPE_COLLECTION_MAPPING_PAGE;
      g_autofree char *name = g_strconcat ("wizard-", id, "-advanced-de", NULL);
      PsScopeEditor *scope;

      g_assert_true (ps_window_show_page (window, id));
      scope = gui_test_child (ps_window_get_page (window, id), type, "scope_editor");
      ps_scope_editor_set_expanded (scope, TRUE);
      ps_scope_editor_set_filter (scope, "(department=Sales");
      g_assert_true (g_str_has_prefix (ps_scope_editor_get_error (scope), "Das ist kein LDAP-Filter: "));
      g_assert_cmpstr (ps_scope_editor_get_count_text (scope), ==, "");
      ps_scope_editor_set_filter (scope, NULL);
      g_assert_cmpstr (ps_scope_editor_get_count_text (scope), ==,
                       "Wählen Sie eine Gruppe, um ihre Mitglieder im Geltungsbereich zu zählen.");
      ps_scope_editor_set_filter (scope, "(department=Sales");
      check_width (window);
      g_free (gui_test_screenshot (GTK_WIDGET (window), name));
    }
  gtk_widget_destroy (GTK_WIDGET (window));

  /* Okta's filter controls on both mapping pages, in German. */
  {
    g_autoptr(PsProfile) okta = gui_test_new_profile ("deutsch-okta");

    ps_profile_set_source_kind (okta, PS_SOURCE_KIND_OKTA);
    ps_profile_get_okta (okta)->url = g_strdup ("https://acme.okta.com");
    window = ps_window_new (NULL, okta, TRUE);
    gtk_window_set_default_size (GTK_WINDOW (window), 1100, 700);
    gtk_widget_show (GTK_WIDGET (window));
    for (guint i = 0; i < 2; i++)
      {
        const char *id = i == 0 ? "user-mapping" : "collection-mapping";
        GType type = i == 0 ? PS_TYPE_USER_MAPPING_PAGE : PS_TYPE_COLLECTION_MAPPING_PAGE;
        g_autofree char *name = g_strconcat ("wizard-", id, "-okta-de", NULL);
        PsScopeEditor *scope;

        g_assert_true (ps_window_show_page (window, id));
        scope = gui_test_child (ps_window_get_page (window, id), type, "scope_editor");
        ps_scope_editor_set_expanded (scope, TRUE);
        ps_scope_editor_set_filter (scope, "department ne \"Sales\"");
        g_assert_true (g_str_has_prefix (ps_scope_editor_get_error (scope), "Dies ist kein Okta-Suchausdruck: "));
        gui_test_check_mnemonics (GTK_WIDGET (window), GTK_WIDGET (ps_window_get_page (window, id)));
        check_width (window);
        g_free (gui_test_screenshot (GTK_WIDGET (window), name));
      }
    gtk_widget_destroy (GTK_WIDGET (window));
  }

  /* After setup: the Sync and History pages too. */
  window = ps_window_new (NULL, profile, FALSE);
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 700);
  gtk_widget_show (GTK_WIDGET (window));
  for (const char *const *id = (const char *const[]) { "sync", "history", NULL }; *id != NULL; id++)
    {
      g_autofree char *name = g_strconcat ("page-", *id, "-de", NULL);

      g_assert_true (ps_window_show_page (window, *id));
      gui_test_check_mnemonics (GTK_WIDGET (window), GTK_WIDGET (ps_window_get_page (window, *id)));
      g_free (gui_test_screenshot (GTK_WIDGET (window), name));
    }
  g_assert_cmpstr (ps_wizard_page_get_title (ps_window_get_page (window, "history")), ==, "Verlauf");
  check_width (window);
  gtk_widget_destroy (GTK_WIDGET (window));
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *catalogue = g_build_filename (g_getenv ("PANDASYNC_BUILD_ROOT"), "po", NULL);

  have_locale = make_german_locale ();
  g_setenv ("LANGUAGE", "de", TRUE);
  g_setenv ("LC_ALL", "de_DE.UTF-8", TRUE);
  gui_test_init (&argc, &argv);
  if (setlocale (LC_ALL, "") == NULL)
    have_locale = FALSE;
  bindtextdomain (GETTEXT_PACKAGE, catalogue);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_test_add_func ("/gui/i18n/wizard-in-german", test_wizard_in_german);
  return g_test_run ();
}
