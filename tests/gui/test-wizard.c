/* test-wizard.c — the wizard pages and the window, driven as a user would
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Real widgets under Xvfb, against a real slapd (tests/servers) and the Asset
 * Panda emulator (tests/emulator/assetpanda) where those can run. Every test saves a
 * screenshot of what it drove into $builddir/tests/gui/screenshots/.
 */

#include <glib/gstdio.h>

#include "gui-test-util.h"
#include "pages/ps-collection-mapping-page.h"
#include "pages/ps-connection-page.h"
#include "pages/ps-schedule-page.h"
#include "pages/ps-user-mapping-page.h"
#include "ps-pages.h"
#include "ps-secret-store.h"
#include "ps-state.h"
#include "ps-window.h"
#include "widgets/ps-attribute-combo.h"
#include "widgets/ps-choice-combo.h"
#include "widgets/ps-mapping-row.h"
#include "widgets/ps-scope-editor.h"

/* ---------------------------------------------------------------- helpers */

static void
fill_connection (PsWizardPage           *page,
                 const GuiTestDirectory *dir,
                 const GuiTestTarget    *tgt,
                 const char             *client_secret,
                 const char             *bind_password)
{
  GType type = PS_TYPE_CONNECTION_PAGE;

  gui_test_type (gui_test_child (page, type, "url_entry"), tgt->url);
  gui_test_type (gui_test_child (page, type, "client_id_entry"), tgt->client_id);
  gui_test_type (gui_test_child (page, type, "client_secret_entry"), client_secret);
  gui_test_type (gui_test_child (page, type, "email_entry"), tgt->email);
  gui_test_type (gui_test_child (page, type, "password_entry"), tgt->password);
  gui_test_type (gui_test_child (page, type, "uris_entry"), dir->ldap_uri);
  /* The test slapd's plain port: no TLS (the page warns about it). */
  gtk_combo_box_set_active_id (gui_test_child (page, type, "tls_combo"), "none");
  gui_test_type (gui_test_child (page, type, "user_entry"), dir->bind_dn);
  gui_test_type (gui_test_child (page, type, "bind_password_entry"), bind_password);
  gui_test_type (gui_test_child (page, type, "base_dn_entry"), dir->base_dn);
}

/* ---------------------------------------------------------------- tests */

static void
test_page_table_follows_seed (void)
{
  const char *expected[] = { "connection", "schedule", "user-mapping", "collection-mapping",
                             "sync", "history" };
  guint n = 0;
  const PsPageEntry *table = ps_pages_get_table (&n);

  g_assert_cmpuint (n, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpstr (table[i].id, ==, expected[i]);
      g_assert_true (table[i].in_wizard == (i < 4));
    }
  g_assert_null (ps_pages_lookup ("nope"));
  g_assert_cmpstr (ps_pages_lookup ("users")->id, ==, "user-mapping");
  g_assert_cmpstr (ps_pages_lookup ("collections")->id, ==, "collection-mapping");
}

static void
on_wizard_finished_cb (PsWindow *window,
                       gpointer  user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
test_wizard_back_and_finish (void)
{
  g_autoptr(PsProfile) profile = gui_test_new_profile ("finish");
  g_autoptr(PsMapping) mapping = ps_mapping_new (PS_MAPPING_USERS, "Staff");
  PsWindow *window = gui_test_show_window (profile, TRUE);
  GtkWidget *sidebar = gui_test_child (window, PS_TYPE_WINDOW, "sidebar");
  gboolean finished = FALSE;
  PsWizardPage *page;

  g_signal_connect (window, "wizard-finished", G_CALLBACK (on_wizard_finished_cb), &finished);
  /* Sync and History are not part of the wizard. */
  g_assert_false (ps_window_show_page (window, "sync"));
  g_assert_true (ps_window_show_page (window, "schedule"));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (ps_window_get_back_button (window))));
  gtk_button_clicked (ps_window_get_back_button (window));
  g_assert_cmpstr (ps_wizard_page_get_page_id (ps_window_get_visible_page (window)), ==, "connection");

  /* The last page ends the wizard once the profile has a mapping. */
  g_assert_true (ps_window_show_page (window, "collection-mapping"));
  page = ps_window_get_visible_page (window);
  g_assert_false (ps_wizard_page_get_complete (page));
  mapping->account = g_strdup ("21040");
  mapping->group = g_strdup ("All Staff");
  mapping->role = g_strdup ("30135");
  ps_profile_add_mapping (profile, g_steal_pointer (&mapping));
  ps_profile_changed (profile);
  g_assert_true (ps_wizard_page_get_complete (page));
  g_assert_cmpstr (gtk_label_get_text (gui_test_child (window, PS_TYPE_WINDOW, "step_label")), ==,
                   "Step 4 of 4");
  gtk_button_clicked (ps_window_get_forward_button (window));

  g_assert_true (finished);
  g_assert_false (ps_window_get_wizard (window));
  g_assert_true (gtk_widget_get_visible (sidebar));
  g_assert_cmpstr (ps_wizard_page_get_page_id (ps_window_get_visible_page (window)), ==, "sync");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (ps_window_get_back_button (window))));
  gtk_widget_destroy (GTK_WIDGET (window));
}

static void
test_connection_completeness (void)
{
  g_autoptr(PsProfile) profile = gui_test_new_profile ("complete");
  PsWindow *window = gui_test_show_window (profile, TRUE);
  PsWizardPage *page = ps_window_get_page (window, "connection");
  GtkWidget *forward = GTK_WIDGET (ps_window_get_forward_button (window));
  GType type = PS_TYPE_CONNECTION_PAGE;

  /* The URL has its default; nothing else is filled in. */
  g_assert_cmpstr (gtk_entry_get_text (gui_test_child (page, type, "url_entry")), ==,
                   "https://api.assetpanda.com");
  g_assert_false (ps_wizard_page_get_complete (page));
  g_assert_false (gtk_widget_get_sensitive (forward));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (ps_window_get_back_button (window))));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (forward)), ==, "_Done");
  g_assert_false (gtk_widget_get_visible (gui_test_child (window, PS_TYPE_WINDOW, "sidebar")));
  g_assert_cmpstr (gtk_label_get_text (gui_test_child (window, PS_TYPE_WINDOW, "step_label")), ==,
                   "Step 1 of 4");

  gui_test_type (gui_test_child (page, type, "client_id_entry"), "id");
  gui_test_type (gui_test_child (page, type, "client_secret_entry"), "secret");
  gui_test_type (gui_test_child (page, type, "uris_entry"), "ldaps://dc1.example.com");
  gui_test_type (gui_test_child (page, type, "user_entry"), "svc@example.com");
  gui_test_type (gui_test_child (page, type, "bind_password_entry"), "pw");
  gui_test_type (gui_test_child (page, type, "base_dn_entry"), "DC=example,DC=com");
  /* Auto (Classic for this host) still needs the API user's email and password. */
  g_assert_false (ps_wizard_page_get_complete (page));
  gtk_combo_box_set_active_id (gui_test_child (page, type, "dialect_combo"), "pro");
  g_assert_true (ps_wizard_page_get_complete (page));
  g_assert_true (gtk_widget_get_sensitive (forward));
  gtk_combo_box_set_active_id (gui_test_child (page, type, "dialect_combo"), "auto");
  g_assert_false (ps_wizard_page_get_complete (page));
  gui_test_type (gui_test_child (page, type, "email_entry"), "admin@example.com");
  gui_test_type (gui_test_child (page, type, "password_entry"), "pw");
  g_assert_true (ps_wizard_page_get_complete (page));

  /* An ldap:// URL switches TLS away from ldaps; "allow untrusted" warns. */
  gui_test_type (gui_test_child (page, type, "uris_entry"), "ldap://dc1.example.com");
  g_assert_cmpstr (gtk_combo_box_get_active_id (gui_test_child (page, type, "tls_combo")), ==, "starttls");
  gtk_toggle_button_set_active (gui_test_child (page, type, "untrusted_check"), TRUE);
  g_assert_true (gtk_widget_get_visible (gui_test_child (page, type, "untrusted_warning_label")));

  /* An empty base DN is read from the directory: the page stays complete. */
  gui_test_type (gui_test_child (page, type, "base_dn_entry"), "  ");
  g_assert_true (ps_wizard_page_get_complete (page));
  g_assert_true (gtk_widget_get_visible (gui_test_child (page, type, "base_dn_note_label")));

  /* Blanking a required field makes the page incomplete again. */
  gui_test_type (gui_test_child (page, type, "bind_password_entry"), "");
  g_assert_false (ps_wizard_page_get_complete (page));
  g_assert_false (gtk_widget_get_sensitive (forward));
  g_assert_cmpstr (ps_wizard_page_get_incomplete_reason (page), ==, "Enter the AD password.");
  gui_test_type (gui_test_child (page, type, "bind_password_entry"), "pw");

  /* Auto with a Pro URL (*.assetpanda.app) asks for no Classic user. */
  gui_test_type (gui_test_child (page, type, "email_entry"), "");
  gui_test_type (gui_test_child (page, type, "password_entry"), "");
  g_assert_false (ps_wizard_page_get_complete (page));
  g_assert_cmpstr (ps_wizard_page_get_incomplete_reason (page), ==,
                   "Enter the email address of the Asset Panda API user.");
  g_assert_true (gtk_widget_get_sensitive (gui_test_child (page, type, "email_entry")));
  gui_test_type (gui_test_child (page, type, "url_entry"), "https://acme.assetpanda.app");
  g_assert_cmpstr (gtk_combo_box_get_active_id (gui_test_child (page, type, "dialect_combo")), ==, "auto");
  g_assert_true (ps_wizard_page_get_complete (page));
  g_assert_null (ps_wizard_page_get_incomplete_reason (page));
  g_assert_false (gtk_widget_get_sensitive (gui_test_child (page, type, "email_entry")));
  g_assert_false (gtk_widget_get_sensitive (gui_test_child (page, type, "password_entry")));
  /* Classic chosen by hand asks for them again. */
  gtk_combo_box_set_active_id (gui_test_child (page, type, "dialect_combo"), "classic");
  g_assert_false (ps_wizard_page_get_complete (page));
  g_assert_true (gtk_widget_get_sensitive (gui_test_child (page, type, "email_entry")));
  gtk_combo_box_set_active_id (gui_test_child (page, type, "dialect_combo"), "auto");
  gui_test_type (gui_test_child (page, type, "url_entry"), "https://api.assetpanda.com");
  g_assert_false (ps_wizard_page_get_complete (page));

  g_free (gui_test_screenshot (GTK_WIDGET (window), "wizard-connection"));
  gtk_widget_destroy (GTK_WIDGET (window));
}

static gboolean
url_error_shown (gpointer page)
{
  return ps_connection_page_get_field_error (PS_CONNECTION_PAGE (page), PS_GUI_FIELD_API_URL) != NULL;
}

static void
test_connection_invalid_url (void)
{
  g_autoptr(PsProfile) profile = gui_test_new_profile ("invalid");
  PsWindow *window = gui_test_show_window (profile, TRUE);
  PsWizardPage *page = ps_window_get_page (window, "connection");
  GType type = PS_TYPE_CONNECTION_PAGE;

  gui_test_type (gui_test_child (page, type, "url_entry"), "ftp://example.com");
  gui_test_type (gui_test_child (page, type, "client_id_entry"), "id");
  gui_test_type (gui_test_child (page, type, "client_secret_entry"), "secret");
  gui_test_type (gui_test_child (page, type, "email_entry"), "a@example.com");
  gui_test_type (gui_test_child (page, type, "password_entry"), "pw");
  gui_test_type (gui_test_child (page, type, "uris_entry"), "dc1.example.com");
  gui_test_type (gui_test_child (page, type, "user_entry"), "svc");
  gui_test_type (gui_test_child (page, type, "bind_password_entry"), "pw");
  gui_test_type (gui_test_child (page, type, "base_dn_entry"), "DC=example,DC=com");
  /* Enter in a field presses Done (GtkButton's "activate" shows the press
   * for a moment before it clicks). */
  g_assert_true (gtk_window_get_default_widget (GTK_WINDOW (window))
                 == GTK_WIDGET (ps_window_get_forward_button (window)));
  gtk_widget_activate (gui_test_child (page, type, "base_dn_entry"));
  g_assert_true (gui_test_wait (url_error_shown, page, 5000));
  g_assert_true (gui_test_wait (gui_test_page_idle, page, 5000));

  /* Checked before any network: each problem under its own field. */
  g_assert_nonnull (ps_connection_page_get_field_error (PS_CONNECTION_PAGE (page), PS_GUI_FIELD_API_URL));
  g_assert_nonnull (ps_connection_page_get_field_error (PS_CONNECTION_PAGE (page), PS_GUI_FIELD_AD_URIS));
  g_assert_null (ps_connection_page_get_field_error (PS_CONNECTION_PAGE (page), PS_GUI_FIELD_AD_PASSWORD));
  g_assert_cmpuint (ps_connection_page_get_n_steps (PS_CONNECTION_PAGE (page)), ==, 0);
  g_assert_cmpstr (ps_wizard_page_get_page_id (ps_window_get_visible_page (window)), ==, "connection");
  gtk_widget_destroy (GTK_WIDGET (window));
}

static void
test_connection_wrong_ldap_password (void)
{
  const GuiTestDirectory *dir;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  PsWindow *window;
  PsWizardPage *page;
  const char *message;

  if (!gui_test_need_ldap_servers (&dir, &tgt))
    return;
  profile = gui_test_new_profile ("wrong-ldap");
  window = gui_test_show_window (profile, TRUE);
  page = ps_window_get_page (window, "connection");
  fill_connection (page, dir, tgt, tgt->client_secret, "not-the-password");
  g_assert_true (ps_wizard_page_get_complete (page));
  gtk_button_clicked (ps_window_get_forward_button (window));
  g_assert_true (ps_wizard_page_get_applying (page));
  g_assert_true (gui_test_wait (gui_test_page_idle, page, 60000));

  message = ps_connection_page_get_field_error (PS_CONNECTION_PAGE (page), PS_GUI_FIELD_AD_PASSWORD);
  g_assert_nonnull (message);
  g_test_message ("AD password error: %s", message);
  g_assert_null (ps_connection_page_get_field_error (PS_CONNECTION_PAGE (page),
                                                     PS_GUI_FIELD_API_CLIENT_SECRET));
  g_assert_true (gtk_style_context_has_class (gtk_widget_get_style_context (
                   gui_test_child (page, PS_TYPE_CONNECTION_PAGE, "bind_password_entry")), "error"));
  g_assert_cmpuint (ps_connection_page_get_n_steps (PS_CONNECTION_PAGE (page)), >, 3);
  g_assert_true (gtk_widget_get_visible (gui_test_child (page, PS_TYPE_CONNECTION_PAGE, "result_label")));
  /* It stays on the page, and nothing was saved. */
  g_assert_cmpstr (ps_wizard_page_get_page_id (ps_window_get_visible_page (window)), ==, "connection");
  g_assert_null (ps_profile_get_target (profile)->client_id);
  g_free (gui_test_screenshot (GTK_WIDGET (window), "connection-wrong-ldap-password"));
  gtk_widget_destroy (GTK_WIDGET (window));
}

static void
test_connection_wrong_api_secret (void)
{
  const GuiTestDirectory *dir;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  PsWindow *window;
  PsWizardPage *page;
  const char *message;

  if (!gui_test_need_ldap_servers (&dir, &tgt))
    return;
  profile = gui_test_new_profile ("wrong-api");
  window = gui_test_show_window (profile, TRUE);
  page = ps_window_get_page (window, "connection");
  fill_connection (page, dir, tgt, "not-the-secret", dir->bind_password);
  gtk_button_clicked (ps_window_get_forward_button (window));
  g_assert_true (gui_test_wait (gui_test_page_idle, page, 60000));

  message = ps_connection_page_get_field_error (PS_CONNECTION_PAGE (page), PS_GUI_FIELD_API_CLIENT_SECRET);
  g_assert_nonnull (message);
  g_test_message ("client secret error: %s", message);
  g_assert_null (ps_connection_page_get_field_error (PS_CONNECTION_PAGE (page), PS_GUI_FIELD_AD_PASSWORD));
  g_assert_cmpstr (ps_wizard_page_get_page_id (ps_window_get_visible_page (window)), ==, "connection");
  g_free (gui_test_screenshot (GTK_WIDGET (window), "connection-wrong-api-secret"));
  gtk_widget_destroy (GTK_WIDGET (window));
}

/* A username in none of the forms a bind takes is blamed on the username
 * field, saying which forms it may take; an empty base DN is read from the
 * directory's rootDSE; editing a field clears the stale result. */
static void
test_connection_bind_name_and_base_dn (void)
{
  const GuiTestDirectory *dir;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  g_autofree char *contents = NULL;
  PsWindow *window;
  PsWizardPage *page;
  GPtrArray *steps;
  const char *message;
  gboolean from_root_dse = FALSE;
  GType type = PS_TYPE_CONNECTION_PAGE;

  if (!gui_test_need_ldap_servers (&dir, &tgt))
    return;
  profile = gui_test_new_profile ("bind-name");
  window = gui_test_show_window (profile, TRUE);
  page = ps_window_get_page (window, "connection");
  fill_connection (page, dir, tgt, tgt->client_secret, dir->bind_password);
  gui_test_type (gui_test_child (page, type, "user_entry"), "svc-pandasync");
  gui_test_type (gui_test_child (page, type, "base_dn_entry"), "");
  g_assert_true (ps_wizard_page_get_complete (page));
  gtk_button_clicked (ps_window_get_forward_button (window));
  g_assert_true (gui_test_wait (gui_test_page_idle, page, 60000));

  message = ps_connection_page_get_field_error (PS_CONNECTION_PAGE (page), PS_GUI_FIELD_AD_USER);
  g_assert_nonnull (message);
  g_test_message ("username error: %s", message);
  g_assert_nonnull (strstr (message, "svc-pandasync"));
  g_assert_nonnull (strstr (message, "user@domain"));
  g_assert_nonnull (strstr (message, "DOMAIN\\user"));
  g_assert_nonnull (strstr (message, "distinguished name"));
  g_assert_null (ps_connection_page_get_field_error (PS_CONNECTION_PAGE (page), PS_GUI_FIELD_AD_PASSWORD));
  g_assert_true (gtk_style_context_has_class (gtk_widget_get_style_context (
                   gui_test_child (page, type, "user_entry")), "error"));
  g_assert_cmpstr (ps_wizard_page_get_page_id (ps_window_get_visible_page (window)), ==, "connection");
  g_free (gui_test_screenshot (GTK_WIDGET (window), "connection-bind-name"));

  /* Editing the field clears its error and the steps it made stale. */
  g_assert_cmpuint (ps_connection_page_get_n_steps (PS_CONNECTION_PAGE (page)), >, 0);
  gui_test_type (gui_test_child (page, type, "user_entry"), dir->bind_dn);
  g_assert_null (ps_connection_page_get_field_error (PS_CONNECTION_PAGE (page), PS_GUI_FIELD_AD_USER));
  g_assert_cmpuint (ps_connection_page_get_n_steps (PS_CONNECTION_PAGE (page)), ==, 0);
  g_assert_false (gtk_widget_get_visible (gui_test_child (page, type, "steps_box")));

  /* The base DN is the directory's own, from its rootDSE. */
  gtk_button_clicked (ps_window_get_forward_button (window));
  g_assert_true (gui_test_wait (gui_test_window_on_schedule, window, 60000));
  steps = ps_connection_page_get_steps (PS_CONNECTION_PAGE (page));
  for (guint i = 0; i < steps->len; i++)
    {
      const PsGuiStepResult *r = g_ptr_array_index (steps, i);

      if (r->directory && g_str_equal (r->step->id, "ldap-base-dn"))
        {
          g_test_message ("base DN step: %s", r->step->message);
          g_assert_cmpint (r->step->status, ==, PS_STEP_OK);
          g_assert_nonnull (strstr (r->step->message, dir->base_dn));
          g_assert_nonnull (strstr (r->step->message, "rootDSE"));
          from_root_dse = TRUE;
        }
    }
  g_assert_true (from_root_dse);
  contents = gui_test_read_profile_file (profile);
  g_assert_null (strstr (contents, "BaseDN="));
  g_assert_true (ps_profile_validate (profile, NULL));
  gtk_widget_destroy (GTK_WIDGET (window));
}

/* Every source's CA file can be cleared again. */
static void
test_connection_ca_file_clears (void)
{
  g_autoptr(PsProfile) profile = gui_test_new_profile ("ca-clear");
  g_autofree char *ca = g_build_filename (g_get_user_config_dir (), "extra-ca.pem", NULL);
  PsWindow *window;
  PsWizardPage *page;
  GType type = PS_TYPE_CONNECTION_PAGE;
  g_autoptr(GError) error = NULL;
  const char *const buttons[][2] = {
    { "ca_file_button", "ca_file_clear_button" },
    { "entra_ca_file_button", "entra_ca_file_clear_button" },
    { "okta_ca_file_button", "okta_ca_file_clear_button" },
  };

  g_file_set_contents (ca, "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", -1, &error);
  g_assert_no_error (error);
  ps_profile_get_directory (profile)->ca_file = g_strdup (ca);
  ps_profile_get_entra_id (profile)->ca_file = g_strdup (ca);
  ps_profile_get_okta (profile)->ca_file = g_strdup (ca);
  window = gui_test_show_window (profile, TRUE);
  page = ps_window_get_page (window, "connection");
  for (guint i = 0; i < G_N_ELEMENTS (buttons); i++)
    {
      GtkFileChooser *chooser = gui_test_child (page, type, buttons[i][0]);
      GtkWidget *clear = gui_test_child (page, type, buttons[i][1]);
      g_autofree char *before = gtk_file_chooser_get_filename (chooser);
      g_autofree char *after = NULL;

      g_assert_cmpstr (before, ==, ca);
      g_assert_true (gtk_widget_get_sensitive (clear));
      gtk_button_clicked (GTK_BUTTON (clear));
      after = gtk_file_chooser_get_filename (chooser);
      g_assert_null (after);
      g_assert_false (gtk_widget_get_sensitive (clear));
    }
  gtk_widget_destroy (GTK_WIDGET (window));
}

static void
test_connection_success_moves_on (void)
{
  const GuiTestDirectory *dir;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(PsSecretString) secret = NULL;
  PsWindow *window;
  PsWizardPage *page;

  if (!gui_test_need_ldap_servers (&dir, &tgt))
    return;
  profile = gui_test_new_profile ("good");
  window = gui_test_show_window (profile, TRUE);
  page = ps_window_get_page (window, "connection");
  fill_connection (page, dir, tgt, tgt->client_secret, dir->bind_password);
  gtk_button_clicked (ps_window_get_forward_button (window));
  g_assert_true (gui_test_wait (gui_test_window_on_schedule, window, 60000));

  for (PsGuiField f = PS_GUI_FIELD_API_URL; f < PS_GUI_N_FIELDS; f++)
    g_assert_null (ps_connection_page_get_field_error (PS_CONNECTION_PAGE (page), f));
  g_assert_nonnull (strstr (gtk_label_get_text (gui_test_child (page, PS_TYPE_CONNECTION_PAGE, "result_label")),
                            "saved"));
  /* Saved: the settings in the profile file, the secrets in the keyring. */
  contents = gui_test_read_profile_file (profile);
  g_assert_nonnull (strstr (contents, dir->ldap_uri));
  g_assert_nonnull (strstr (contents, tgt->client_id));
  g_assert_null (strstr (contents, tgt->client_secret));
  g_assert_null (strstr (contents, dir->bind_password));
  secret = ps_secret_lookup_sync (profile, PS_SECRET_BIND_PASSWORD, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (secret, ==, dir->bind_password);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (ps_window_get_back_button (window))));
  g_assert_cmpstr (gtk_button_get_label (ps_window_get_forward_button (window)), ==, "_Submit");
  g_free (gui_test_screenshot (GTK_WIDGET (window), "wizard-schedule"));
  gtk_widget_destroy (GTK_WIDGET (window));
}

static void
test_connection_cancel_then_retry (void)
{
  const GuiTestDirectory *dir;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  PsWindow *window;
  PsWizardPage *page;
  GtkButton *cancel;

  if (!gui_test_need_ldap_servers (&dir, &tgt))
    return;
  profile = gui_test_new_profile ("cancel");
  window = gui_test_show_window (profile, TRUE);
  page = ps_window_get_page (window, "connection");
  cancel = gui_test_child (window, PS_TYPE_WINDOW, "cancel_button");
  fill_connection (page, dir, tgt, tgt->client_secret, dir->bind_password);

  gtk_button_clicked (ps_window_get_forward_button (window));
  g_assert_true (ps_wizard_page_get_applying (page));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (cancel)));
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (ps_window_get_forward_button (window))));
  gtk_button_clicked (cancel);
  /* Cancel ends the step at once; the worker's late answer is ignored. */
  g_assert_false (ps_wizard_page_get_applying (page));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (cancel)));
  gui_test_settle (1500);
  g_assert_cmpstr (ps_wizard_page_get_page_id (ps_window_get_visible_page (window)), ==, "connection");
  g_assert_null (ps_profile_get_target (profile)->client_id);

  /* And Done works again afterwards. */
  gtk_button_clicked (ps_window_get_forward_button (window));
  g_assert_true (gui_test_wait (gui_test_window_on_schedule, window, 60000));
  g_assert_cmpstr (ps_profile_get_target (profile)->client_id, ==, tgt->client_id);
  gtk_widget_destroy (GTK_WIDGET (window));
}

static void
test_schedule_submit (void)
{
  g_autoptr(PsProfile) profile = gui_test_new_profile ("schedule");
  PsWindow *window = gui_test_show_window (profile, FALSE);
  PsWizardPage *page;
  GtkDialog *dialog;
  g_autofree char *contents = NULL;
  GType type = PS_TYPE_SCHEDULE_PAGE;

  g_assert_true (ps_window_show_page (window, "schedule"));
  page = ps_window_get_page (window, "schedule");
  gtk_combo_box_set_active_id (gui_test_child (page, type, "interval_combo"), "hours");
  g_assert_true (gtk_widget_get_visible (gui_test_child (page, type, "hours_box")));
  gtk_spin_button_set_value (gui_test_child (page, type, "hours_spin"), 6);
  gtk_spin_button_set_value (gui_test_child (page, type, "hour_spin"), 2);
  gtk_spin_button_set_value (gui_test_child (page, type, "minute_spin"), 30);
  g_assert_true (ps_wizard_page_get_complete (page));
  g_assert_cmpstr (gtk_label_get_text (gui_test_child (page, type, "last_run_label")), ==, "Never");
  g_assert_cmpstr (ps_schedule_page_get_next_run_text (PS_SCHEDULE_PAGE (page)), !=, "");
  g_free (gui_test_screenshot (GTK_WIDGET (window), "page-schedule"));

  gtk_button_clicked (ps_window_get_forward_button (window));
  g_assert_true (gui_test_wait (gui_test_confirmation_open, page, 5000));
  dialog = ps_schedule_page_get_confirmation (PS_SCHEDULE_PAGE (page));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  g_free (gui_test_screenshot (GTK_WIDGET (dialog), "schedule-confirmation"));
  gtk_dialog_response (dialog, GTK_RESPONSE_OK);
  g_assert_true (gui_test_wait (gui_test_page_idle, page, 5000));
  g_assert_null (ps_schedule_page_get_confirmation (PS_SCHEDULE_PAGE (page)));

  contents = gui_test_read_profile_file (profile);
  g_assert_nonnull (strstr (contents, "[Schedule]"));
  g_assert_nonnull (strstr (contents, "Interval=hours"));
  g_assert_nonnull (strstr (contents, "EveryHours=6"));
  g_assert_true (ps_profile_get_schedule (profile)->enabled);
  g_assert_cmpint (g_date_time_get_hour (ps_profile_get_schedule (profile)->start), ==, 2);
  g_assert_cmpint (g_date_time_get_minute (ps_profile_get_schedule (profile)->start), ==, 30);
  gtk_widget_destroy (GTK_WIDGET (window));
}

static gboolean
last_run_known (gpointer label)
{
  return g_strcmp0 (gtk_label_get_text (GTK_LABEL (label)), "Never") != 0;
}

static void
test_schedule_last_run_from_history (void)
{
  g_autoptr(PsProfile) profile = gui_test_new_profile ("history");
  g_autofree char *state_path = ps_profile_dup_state_path (profile);
  g_autofree char *state_dir = g_path_get_dirname (state_path);
  g_autoptr(PsState) state = NULL;
  g_autoptr(GError) error = NULL;
  PsSchedule *schedule = ps_profile_get_schedule (profile);
  PsWindow *window;
  PsWizardPage *page;
  GtkLabel *last_label;
  gint64 run;

  /* One real run in the profile's history, at the schedule's first slot. */
  schedule->enabled = TRUE;
  schedule->start = g_date_time_new_local (2026, 1, 5, 2, 0, 0);
  schedule->interval = PS_INTERVAL_WEEKLY;
  g_assert_cmpint (g_mkdir_with_parents (state_dir, 0700), ==, 0);
  state = ps_state_open (state_path, &error);
  g_assert_no_error (error);
  run = ps_state_begin_run (state, "manual", FALSE, &error);
  g_assert_no_error (error);
  ps_state_finish_run (state, run, PS_RUN_SUCCEEDED, &error);
  g_assert_no_error (error);
  g_clear_object (&state);

  window = gui_test_show_window (profile, FALSE);
  g_assert_true (ps_window_show_page (window, "schedule"));
  page = ps_window_get_page (window, "schedule");
  last_label = gui_test_child (page, PS_TYPE_SCHEDULE_PAGE, "last_run_label");
  g_assert_true (gui_test_wait (last_run_known, last_label, 5000));
  g_test_message ("last sync: %s; next: %s", gtk_label_get_text (last_label),
                  ps_schedule_page_get_next_run_text (PS_SCHEDULE_PAGE (page)));
  /* Weekly from a Monday in January: the next slot is a Monday after now. */
  g_assert_nonnull (strstr (ps_schedule_page_get_next_run_text (PS_SCHEDULE_PAGE (page)), "Monday"));
  gtk_widget_destroy (GTK_WIDGET (window));
}

static void
test_user_mapping_add_remove (void)
{
  const GuiTestDirectory *dir;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  PsWindow *window;
  PsWizardPage *page;
  PsMappingRow *row;
  GType type = PS_TYPE_USER_MAPPING_PAGE;

  if (!gui_test_need_ldap_servers (&dir, &tgt))
    return;
  profile = gui_test_ldap_profile ("users", dir, tgt, PS_DIALECT_AUTO, NULL);
  window = gui_test_show_window (profile, FALSE);
  g_assert_true (ps_window_show_page (window, "user-mapping"));
  page = ps_window_get_page (window, "user-mapping");

  g_assert_true (ps_wizard_page_get_complete (page));
  gui_test_choose_first (gui_test_child (page, type, "account_combo"));
  gui_test_choose_first (gui_test_child (page, type, "module_combo"));
  gui_test_choose_first (gui_test_child (page, type, "role_combo"));
  gui_test_search_group (page, type, "Engineering");
  /* A picked group not added yet: Done would lose it. */
  g_assert_false (ps_wizard_page_get_complete (page));
  /* A new mapping's Email falls back to the UPN, and offers it. */
  {
    PsAttributeCombo *email = gui_test_child (page, type, "email_combo");
    g_autofree char *spec = ps_attribute_combo_dup_spec (email);

    g_assert_cmpstr (spec, ==, "mail|userPrincipalName");
    g_assert_true (gui_test_combo_offers (ps_attribute_combo_get_combo (email), "mail|userPrincipalName"));
  }
  g_assert_true (gtk_widget_get_sensitive (gui_test_child (page, type, "add_button")));
  /* First name takes fallbacks too; a wrong one says why and blocks Add. */
  {
    PsAttributeCombo *first = gui_test_child (page, type, "first_name_combo");

    gui_test_type (ps_attribute_combo_get_entry (first), "givenName||cn");
    g_assert_nonnull (ps_attribute_combo_get_error (first));
    g_assert_true (gtk_widget_get_visible (gui_test_child (first, PS_TYPE_ATTRIBUTE_COMBO, "error_label")));
    g_assert_false (gtk_widget_get_sensitive (gui_test_child (page, type, "add_button")));
    gui_test_type (ps_attribute_combo_get_entry (first), " givenName | cn ");
    g_assert_null (ps_attribute_combo_get_error (first));
  }
  /* The scope: a bare filter is saved normalised, with the search base. */
  {
    PsScopeEditor *scope = gui_test_child (page, type, "scope_editor");

    g_assert_false (ps_scope_editor_get_expanded (scope));
    ps_scope_editor_set_search_base (scope, "ou=people,dc=example,dc=com");
    ps_scope_editor_set_filter (scope, "department=Engineering");
    g_assert_true (ps_scope_editor_get_valid (scope));
  }
  g_assert_true (gtk_widget_get_sensitive (gui_test_child (page, type, "add_button")));

  gtk_button_clicked (gui_test_child (page, type, "add_button"));
  after = gui_test_read_profile_file (profile);
  g_assert_nonnull (strstr (after, "[UserMapping "));
  g_assert_nonnull (strstr (after, "Email=mail|userPrincipalName"));
  g_assert_nonnull (strstr (after, "FirstName=givenName|cn"));
  g_assert_nonnull (strstr (after, "SearchBase=ou=people,dc=example,dc=com"));
  g_assert_nonnull (strstr (after, "Filter=(department=Engineering)"));
  g_assert_cmpuint (ps_profile_get_mappings (profile)->len, ==, 1);
  g_assert_true (ps_wizard_page_get_complete (page));
  /* The next group starts with the whole group again. */
  g_assert_null (ps_scope_editor_get_filter (gui_test_child (page, type, "scope_editor")));
  row = gui_test_first_mapping_row (page, type);
  g_assert_nonnull (row);
  g_assert_cmpstr (gtk_label_get_text (gui_test_child (row, PS_TYPE_MAPPING_ROW, "scope_label")), ==,
                   "Only members under ou=people,dc=example,dc=com matching (department=Engineering)");
  g_free (gui_test_screenshot (GTK_WIDGET (window), "page-user-mapping"));

  gui_test_remove_mapping (row);
  before = gui_test_read_profile_file (profile);
  g_assert_null (strstr (before, "[UserMapping "));
  g_assert_cmpuint (ps_profile_get_mappings (profile)->len, ==, 0);
  g_assert_null (gui_test_first_mapping_row (page, type));
  gtk_widget_destroy (GTK_WIDGET (window));
}

static void
test_collection_mapping_add_remove (void)
{
  const GuiTestDirectory *dir;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  g_autofree char *after = NULL;
  g_autofree char *removed = NULL;
  PsWindow *window;
  PsWizardPage *page;
  PsMappingRow *row;
  const PsMapping *mapping;
  GType type = PS_TYPE_COLLECTION_MAPPING_PAGE;

  if (!gui_test_need_ldap_servers (&dir, &tgt))
    return;
  profile = gui_test_ldap_profile ("collections", dir, tgt, PS_DIALECT_AUTO, NULL);
  window = gui_test_show_window (profile, FALSE);
  g_assert_true (ps_window_show_page (window, "collection-mapping"));
  page = ps_window_get_page (window, "collection-mapping");

  /* No mapping at all yet: the wizard cannot end here. */
  g_assert_false (ps_wizard_page_get_complete (page));
  gui_test_choose_first (gui_test_child (page, type, "account_combo"));
  gui_test_choose_first (gui_test_child (page, type, "module_combo"));
  gui_test_choose_first (gui_test_child (page, type, "collection_combo"));
  g_assert_true (gui_test_wait (gui_test_fields_loaded, page, 20000));
  g_test_message ("status: %s",
                  ps_collection_mapping_page_get_status_text (PS_COLLECTION_MAPPING_PAGE (page)));
  /* The seed's Employees collection has the field, with its three options. */
  g_assert_nonnull (strstr (ps_collection_mapping_page_get_status_text (PS_COLLECTION_MAPPING_PAGE (page)),
                            "PandaSync sets it to Active"));
  gui_test_search_group (page, type, "Sales");
  g_assert_cmpstr (gtk_combo_box_get_active_id (gui_test_child (page, type, "unique_id_combo")), ==,
                   "objectSid");
  gtk_button_clicked (gui_test_child (page, type, "add_field_button"));
  {
    GtkComboBox *field_combo;
    PsAttributeCombo *attribute_combo;

    /* After the three rows a new collection starts with. */
    gui_test_field_row_parts (page, 3, &field_combo, &attribute_combo, NULL);
    /* An unfinished field row blocks Add. */
    g_assert_false (gtk_widget_get_sensitive (gui_test_child (page, type, "add_button")));
    gtk_combo_box_set_active (field_combo, 0);
    gui_test_type (ps_attribute_combo_get_entry (attribute_combo), "department");
  }
  g_assert_true (gtk_widget_get_sensitive (gui_test_child (page, type, "add_button")));
  g_free (gui_test_screenshot (GTK_WIDGET (window), "page-collection-mapping-form"));
  gtk_button_clicked (gui_test_child (page, type, "add_button"));

  after = gui_test_read_profile_file (profile);
  g_assert_nonnull (strstr (after, "[CollectionMapping "));
  g_assert_nonnull (strstr (after, "UniqueIdentifier=objectSid"));
  g_assert_cmpuint (ps_profile_get_mappings (profile)->len, ==, 1);
  mapping = g_ptr_array_index (ps_profile_get_mappings (profile), 0);
  g_assert_cmpuint (mapping->fields->len, ==, 4);
  g_assert_nonnull (mapping->status_field);
  g_assert_cmpstr (((PsFieldMap *) g_ptr_array_index (mapping->fields, 0))->attribute, ==, "givenName");
  g_assert_cmpstr (((PsFieldMap *) g_ptr_array_index (mapping->fields, 3))->attribute, ==, "department");
  g_assert_true (ps_wizard_page_get_complete (page));
  g_free (gui_test_screenshot (GTK_WIDGET (window), "page-collection-mapping"));

  row = gui_test_first_mapping_row (page, type);
  g_assert_nonnull (row);
  gui_test_remove_mapping (row);
  removed = gui_test_read_profile_file (profile);
  g_assert_null (strstr (removed, "[CollectionMapping "));
  g_assert_false (ps_wizard_page_get_complete (page));
  gtk_widget_destroy (GTK_WIDGET (window));
}

/* Scrolls the form to the bottom, where the Advanced part is. */
static void
scroll_form_to_end (PsWizardPage *page,
                    GType         type)
{
  GtkAdjustment *adjustment =
    gtk_scrolled_window_get_vadjustment (gui_test_child (page, type, "form_scrolled"));

  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment)
                                        - gtk_adjustment_get_page_size (adjustment));
}

static void
test_collection_mapping_scope (void)
{
  const GuiTestDirectory *dir;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  g_autofree char *after = NULL;
  g_autofree char *field_id = NULL;
  g_autofree char *field_line = NULL;
  PsWindow *window;
  PsWizardPage *page;
  PsScopeEditor *scope;
  GtkWidget *add;
  GtkLabel *filter_error;
  GtkComboBox *field_combo;
  PsAttributeCombo *attribute_combo;
  GtkLabel *field_error;
  PsMappingRow *row;
  const PsMapping *mapping;
  GType type = PS_TYPE_COLLECTION_MAPPING_PAGE;

  if (!gui_test_need_ldap_servers (&dir, &tgt))
    return;
  profile = gui_test_ldap_profile ("scope", dir, tgt, PS_DIALECT_AUTO, NULL);
  window = gui_test_show_window (profile, FALSE);
  g_assert_true (ps_window_show_page (window, "collection-mapping"));
  page = ps_window_get_page (window, "collection-mapping");
  scope = gui_test_child (page, type, "scope_editor");
  add = gui_test_child (page, type, "add_button");
  filter_error = gui_test_child (scope, PS_TYPE_SCOPE_EDITOR, "filter_error_label");

  gui_test_choose_first (gui_test_child (page, type, "account_combo"));
  gui_test_choose_first (gui_test_child (page, type, "module_combo"));
  gui_test_choose_first (gui_test_child (page, type, "collection_combo"));
  g_assert_true (gui_test_wait (gui_test_fields_loaded, page, 20000));
  gui_test_search_group (page, type, "All Staff");
  g_assert_cmpstr (ps_choice_combo_get_active (gui_test_child (page, type, "group_combo"))->name, ==,
                   "All Staff");

  /* Advanced starts closed, and nothing is counted while it is. */
  g_assert_false (ps_scope_editor_get_expanded (scope));
  g_assert_false (ps_scope_editor_get_counting (scope));
  gtk_expander_set_expanded (gui_test_child (scope, PS_TYPE_SCOPE_EDITOR, "expander"), TRUE);
  g_assert_true (ps_scope_editor_get_counting (scope));
  g_assert_true (gui_test_wait (gui_test_scope_counted, scope, 30000));
  /* The demo directory, as `pandasync-cli directory scope` counts it: 320
   * members in All Staff, 6 of them disabled; 54 in Sales, all enabled. */
  g_assert_cmpstr (ps_scope_editor_get_count_text (scope), ==, "320 of 320 members are in scope (314 enabled)");

  /* A filter is counted half a second after the last keystroke; the
   * earlier counts are dropped. */
  gui_test_type (gui_test_child (scope, PS_TYPE_SCOPE_EDITOR, "filter_entry"), "(department=Support)");
  gui_test_type (gui_test_child (scope, PS_TYPE_SCOPE_EDITOR, "filter_entry"), "(department=Sales)");
  g_assert_true (ps_scope_editor_get_counting (scope));
  g_assert_cmpstr (ps_scope_editor_get_count_text (scope), ==, "Counting the members in scope…");
  g_assert_true (gui_test_wait (gui_test_scope_counted, scope, 30000));
  g_assert_cmpstr (ps_scope_editor_get_count_text (scope), ==, "54 of 320 members are in scope (54 enabled)");
  g_assert_false (ps_scope_editor_get_count_failed (scope));

  /* Another group is counted again, with the same filter. */
  gui_test_search_group (page, type, "Sales");
  g_assert_cmpstr (ps_choice_combo_get_active (gui_test_child (page, type, "group_combo"))->name, ==, "Sales");
  g_assert_true (gui_test_wait (gui_test_scope_counted, scope, 30000));
  g_assert_cmpstr (ps_scope_editor_get_count_text (scope), ==, "54 of 54 members are in scope (54 enabled)");
  gui_test_search_group (page, type, "All Staff");
  g_assert_true (gui_test_wait (gui_test_scope_counted, scope, 30000));
  g_assert_cmpstr (ps_scope_editor_get_count_text (scope), ==, "54 of 320 members are in scope (54 enabled)");

  /* A filter that does not parse says where at once, asks nothing of the
   * directory, and blocks Add with the reason. */
  gui_test_type (gui_test_child (scope, PS_TYPE_SCOPE_EDITOR, "filter_entry"), "(department=Sales");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (filter_error)));
  g_test_message ("filter error: %s", gtk_label_get_text (filter_error));
  g_assert_nonnull (strstr (gtk_label_get_text (filter_error), "at character 18"));
  g_assert_false (ps_scope_editor_get_valid (scope));
  g_assert_false (ps_scope_editor_get_counting (scope));
  g_assert_false (gtk_widget_get_sensitive (add));
  {
    g_autofree char *tooltip = gtk_widget_get_tooltip_text (add);
    g_assert_nonnull (strstr (tooltip, "at character 18"));
  }
  g_free (gui_test_screenshot (GTK_WIDGET (window), "page-collection-mapping-filter-error"));

  /* A search base that is not there is the count's error, in its place. */
  gui_test_type (gui_test_child (scope, PS_TYPE_SCOPE_EDITOR, "filter_entry"), "(department=Sales)");
  gui_test_type (gui_test_child (scope, PS_TYPE_SCOPE_EDITOR, "search_base_entry"),
                 "OU=Nowhere,DC=example,DC=com");
  g_assert_true (gui_test_wait (gui_test_scope_counted, scope, 30000));
  g_test_message ("count error: %s", ps_scope_editor_get_count_text (scope));
  g_assert_true (ps_scope_editor_get_count_failed (scope));
  g_assert_nonnull (strstr (ps_scope_editor_get_count_text (scope), "OU=Nowhere,DC=example,DC=com"));
  /* One that is no DN at all is caught as it is typed. */
  gui_test_type (gui_test_child (scope, PS_TYPE_SCOPE_EDITOR, "search_base_entry"), "Staff");
  g_assert_false (ps_scope_editor_get_valid (scope));
  g_assert_false (gtk_widget_get_sensitive (add));
  gui_test_type (gui_test_child (scope, PS_TYPE_SCOPE_EDITOR, "search_base_entry"), "");
  g_assert_true (gui_test_wait (gui_test_scope_counted, scope, 30000));
  g_assert_cmpstr (ps_scope_editor_get_count_text (scope), ==, "54 of 320 members are in scope (54 enabled)");

  /* A field with fallbacks: offered in the list, checked as typed. */
  /* After the three rows a new collection starts with (First Name, Last
   * Name, Email). */
  gtk_button_clicked (gui_test_child (page, type, "add_field_button"));
  gui_test_field_row_parts (page, 3, &field_combo, &attribute_combo, &field_error);
  g_assert_true (gui_test_combo_offers (ps_attribute_combo_get_combo (attribute_combo), "mail|userPrincipalName"));
  gtk_combo_box_set_active (field_combo, 0);
  field_id = g_strdup (gtk_combo_box_get_active_id (field_combo));
  gui_test_type (ps_attribute_combo_get_entry (attribute_combo), "mail|");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (field_error)));
  g_assert_nonnull (strstr (gtk_label_get_text (field_error), "empty alternative"));
  g_assert_false (gtk_widget_get_sensitive (add));
  gui_test_type (ps_attribute_combo_get_entry (attribute_combo), "mail | userPrincipalName");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (field_error)));
  g_assert_true (gtk_widget_get_sensitive (add));

  /* The picture of the open Advanced part, scrolled into sight. */
  scroll_form_to_end (page, type);
  g_free (gui_test_screenshot (GTK_WIDGET (window), "page-collection-mapping-advanced"));

  gtk_button_clicked (GTK_BUTTON (add));
  after = gui_test_read_profile_file (profile);
  g_test_message ("%s", after);
  g_assert_nonnull (strstr (after, "Filter=(department=Sales)\n"));
  g_assert_null (strstr (after, "SearchBase="));
  field_line = g_strdup_printf ("Field.%s=mail|userPrincipalName;never-blank;", field_id);
  g_assert_nonnull (strstr (after, field_line));
  g_assert_cmpuint (ps_profile_get_mappings (profile)->len, ==, 1);
  mapping = g_ptr_array_index (ps_profile_get_mappings (profile), 0);
  g_assert_cmpstr (mapping->filter, ==, "(department=Sales)");
  g_assert_null (mapping->search_base);
  row = gui_test_first_mapping_row (page, type);
  g_assert_nonnull (row);
  g_assert_cmpstr (gtk_label_get_text (gui_test_child (row, PS_TYPE_MAPPING_ROW, "scope_label")), ==,
                   "Only members matching (department=Sales)");

  /* Ready for the next group: no scope, nothing to count. */
  g_assert_null (ps_scope_editor_get_filter (scope));
  g_assert_false (ps_scope_editor_get_counting (scope));
  g_assert_cmpstr (ps_scope_editor_get_count_text (scope), ==, "Choose a group to count its members in scope.");
  gtk_widget_destroy (GTK_WIDGET (window));
}

static void
test_main_window_pages (void)
{
  const GuiTestDirectory *dir;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  PsWindow *window;
  guint n = 0;
  const PsPageEntry *table = ps_pages_get_table (&n);

  if (!gui_test_need_ldap_servers (&dir, &tgt))
    return;
  profile = gui_test_ldap_profile ("main", dir, tgt, PS_DIALECT_AUTO, NULL);
  window = gui_test_show_window (profile, FALSE);
  g_assert_false (ps_window_get_wizard (window));
  g_assert_true (gtk_widget_get_visible (gui_test_child (window, PS_TYPE_WINDOW, "sidebar")));

  /* Every page is reachable and stays editable after setup. */
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strconcat ("page-", table[i].id, "-sidebar", NULL);
      PsWizardPage *page;

      g_assert_true (ps_window_show_page (window, table[i].id));
      page = ps_window_get_visible_page (window);
      g_assert_cmpstr (ps_wizard_page_get_page_id (page), ==, table[i].id);
      g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (page)));
      gui_test_check_mnemonics (GTK_WIDGET (window), GTK_WIDGET (page));
      g_assert_false (gtk_widget_get_visible (GTK_WIDGET (ps_window_get_back_button (window))));
      if (g_str_equal (table[i].id, "user-mapping"))
        {
          PsChoiceCombo *accounts = gui_test_child (page, PS_TYPE_USER_MAPPING_PAGE, "account_combo");
          g_assert_true (gui_test_wait (gui_test_combo_ready, accounts, 20000));
        }
      g_free (gui_test_screenshot (GTK_WIDGET (window), name));
    }
  /* Every page fits a 1280-pixel screen beside the sidebar. */
  {
    int min_width = 0;

    gtk_widget_get_preferred_width (GTK_WIDGET (window), &min_width, NULL);
    g_assert_cmpint (min_width, <=, 1200);
  }
  /* The connection page shows what was saved, secrets from the keyring. */
  ps_window_show_page (window, "connection");
  g_assert_cmpstr (gtk_entry_get_text (gui_test_child (ps_window_get_page (window, "connection"),
                                                       PS_TYPE_CONNECTION_PAGE, "uris_entry")),
                   ==, dir->ldap_uri);
  gtk_widget_destroy (GTK_WIDGET (window));
}

int
main (int    argc,
      char **argv)
{
  int result;

  gui_test_init (&argc, &argv);

  g_test_add_func ("/gui/wizard/page-table-follows-seed", test_page_table_follows_seed);
  g_test_add_func ("/gui/wizard/back-and-finish", test_wizard_back_and_finish);
  g_test_add_func ("/gui/connection/completeness", test_connection_completeness);
  g_test_add_func ("/gui/connection/invalid-settings", test_connection_invalid_url);
  g_test_add_func ("/gui/connection/wrong-ldap-password", test_connection_wrong_ldap_password);
  g_test_add_func ("/gui/connection/wrong-api-secret", test_connection_wrong_api_secret);
  g_test_add_func ("/gui/connection/bind-name-and-base-dn", test_connection_bind_name_and_base_dn);
  g_test_add_func ("/gui/connection/ca-file-clears", test_connection_ca_file_clears);
  g_test_add_func ("/gui/connection/success-moves-on", test_connection_success_moves_on);
  g_test_add_func ("/gui/connection/cancel-then-retry", test_connection_cancel_then_retry);
  g_test_add_func ("/gui/schedule/submit", test_schedule_submit);
  g_test_add_func ("/gui/schedule/last-run-from-history", test_schedule_last_run_from_history);
  g_test_add_func ("/gui/user-mapping/add-remove", test_user_mapping_add_remove);
  g_test_add_func ("/gui/collection-mapping/add-remove", test_collection_mapping_add_remove);
  g_test_add_func ("/gui/collection-mapping/scope", test_collection_mapping_scope);
  g_test_add_func ("/gui/window/every-page", test_main_window_pages);

  result = g_test_run ();
  gui_test_stop_servers ();
  return result;
}
