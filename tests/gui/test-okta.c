/* test-okta.c — the wizard with Okta as the identity source
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Real widgets under Xvfb against the Okta emulator (tests/emulator/okta,
 * its Acme org) and the Asset Panda emulator: the Connection page with Okta
 * chosen, its steps and the fields they blame (the token refused with
 * E0000011, an admin without the right to read users with E0000006, a host
 * that does not resolve), a profile that reopens on Okta, then the mapping
 * pages searching Okta's groups, offering its profile attributes and
 * counting the people a department and a status leave in scope.
 * Screenshots go to $builddir/tests/gui/screenshots/.
 */

#include "gui-test-util.h"
#include "pages/ps-collection-mapping-page.h"
#include "pages/ps-connection-page.h"
#include "pages/ps-user-mapping-page.h"
#include "ps-secret-store.h"
#include "widgets/ps-scope-editor.h"

/* The Acme org's group "Engineering" (tests/emulator/okta/README.md). */
#define ENGINEERING_ID "00gseed0000000000002"

/* ---------------------------------------------------------------- helpers */

static void
fill_okta (PsWizardPage *page,
           const char   *url,
           const char   *token)
{
  GType type = PS_TYPE_CONNECTION_PAGE;

  gtk_stack_set_visible_child_name (gui_test_child (page, type, "source_stack"), "okta");
  gui_test_type (gui_test_child (page, type, "okta_url_entry"), url);
  gui_test_type (gui_test_child (page, type, "okta_token_entry"), token);
}

/* No field but @field has an error. */
static void
assert_only_error (PsWizardPage *page,
                   PsGuiField    field)
{
  for (PsGuiField f = PS_GUI_FIELD_API_URL; f < PS_GUI_N_FIELDS; f++)
    if (f != field)
      g_assert_null (gui_test_field_error (page, f));
  g_assert_nonnull (gui_test_field_error (page, field));
}

static gboolean
entry_filled_cb (gpointer entry)
{
  return *gtk_entry_get_text (GTK_ENTRY (entry)) != '\0';
}

/* Waits for the scope editor's live count after a change, and returns it. */
static const char *
wait_count (PsScopeEditor *scope)
{
  g_assert_true (ps_scope_editor_get_counting (scope));
  g_assert_true (gui_test_wait (gui_test_scope_counted, scope, 30000));
  g_test_message ("count: %s", ps_scope_editor_get_count_text (scope));
  g_assert_false (ps_scope_editor_get_count_failed (scope));
  return ps_scope_editor_get_count_text (scope);
}

/* ---------------------------------------------------------------- tests */

static void
test_connection_okta_passes (void)
{
  const GuiTestOkta *okta;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  g_autoptr(PsProfile) reopened = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsSecretString) secret = NULL;
  g_autofree char *contents = NULL;
  PsWindow *window;
  PsWizardPage *page;
  GtkWidget *forward;
  GType type = PS_TYPE_CONNECTION_PAGE;
  GPtrArray *steps;
  guint n_source = 0;

  if (!gui_test_need_okta_servers (&okta, &tgt))
    return;
  profile = gui_test_new_profile ("okta");
  window = gui_test_show_window (profile, TRUE);
  page = ps_window_get_page (window, "connection");
  forward = GTK_WIDGET (ps_window_get_forward_button (window));

  gui_test_fill_asset_panda (page, tgt);
  gtk_stack_set_visible_child_name (gui_test_child (page, type, "source_stack"), "okta");

  /* Done waits for the org URL and the token, and says which is missing. */
  g_assert_false (ps_wizard_page_get_complete (page));
  g_assert_cmpstr (ps_wizard_page_get_incomplete_reason (page), ==,
                   "Enter the Okta org URL, such as https://acme.okta.com.");
  gui_test_type (gui_test_child (page, type, "okta_url_entry"), okta->url);
  g_assert_false (ps_wizard_page_get_complete (page));
  g_assert_cmpstr (ps_wizard_page_get_incomplete_reason (page), ==, "Enter the Okta API token.");
  {
    g_autofree char *tooltip = gtk_widget_get_tooltip_text (forward);
    g_assert_cmpstr (tooltip, ==, "Enter the Okta API token.");
  }
  gui_test_type (gui_test_child (page, type, "okta_token_entry"), okta->token);
  g_assert_true (ps_wizard_page_get_complete (page));
  g_assert_false (gtk_entry_get_visibility (gui_test_child (page, type, "okta_token_entry")));
  /* The defaults under the expander: Okta's largest page, a minute. */
  g_assert_cmpint (gtk_spin_button_get_value_as_int (gui_test_child (page, type, "okta_page_size_spin")),
                   ==, 200);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (gui_test_child (page, type, "okta_timeout_spin")),
                   ==, 60);
  gtk_expander_set_expanded (gui_test_child (page, type, "okta_expander"), TRUE);
  gtk_spin_button_set_value (gui_test_child (page, type, "okta_page_size_spin"), 50);
  gui_test_check_mnemonics (GTK_WIDGET (window), GTK_WIDGET (page));
  g_free (gui_test_screenshot (GTK_WIDGET (window), "wizard-connection-okta"));

  gtk_button_clicked (GTK_BUTTON (forward));
  g_assert_true (gui_test_wait (gui_test_window_on_schedule, window, 60000));
  /* DNS, connection, TLS, the token, users and groups: every step passed. */
  g_assert_cmpuint (gui_test_source_steps_failed (page, &n_source, NULL), ==, 0);
  g_assert_cmpuint (n_source, >=, 5);
  steps = ps_connection_page_get_steps (PS_CONNECTION_PAGE (page));
  {
    gboolean token_step = FALSE;

    for (guint i = 0; i < steps->len; i++)
      {
        const PsGuiStepResult *r = g_ptr_array_index (steps, i);
        token_step |= r->directory && g_str_equal (r->step->id, "token");
      }
    g_assert_true (token_step);
  }
  for (PsGuiField f = PS_GUI_FIELD_API_URL; f < PS_GUI_N_FIELDS; f++)
    g_assert_null (gui_test_field_error (page, f));

  /* Saved: an [Okta] profile without [Directory], the token in the keyring. */
  g_assert_cmpint (ps_profile_get_source_kind (profile), ==, PS_SOURCE_KIND_OKTA);
  contents = gui_test_read_profile_file (profile);
  g_test_message ("%s", contents);
  g_assert_nonnull (strstr (contents, "[Okta]"));
  g_assert_nonnull (strstr (contents, okta->url));
  g_assert_nonnull (strstr (contents, "PageSize=50\n"));
  g_assert_null (strstr (contents, "[Directory]"));
  g_assert_null (strstr (contents, "[EntraID]"));
  g_assert_null (strstr (contents, okta->token));
  secret = ps_secret_lookup_sync (profile, PS_SECRET_OKTA_API_TOKEN, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (secret, ==, okta->token);

  /* The mapping pages follow the source: Okta's conditions, not LDAP's. */
  {
    PsScopeEditor *scope = gui_test_child (ps_window_get_page (window, "user-mapping"),
                                           PS_TYPE_USER_MAPPING_PAGE, "scope_editor");

    g_assert_true (gtk_widget_get_visible (GTK_WIDGET (scope)));
    g_assert_cmpint (ps_scope_editor_get_source_kind (scope), ==, PS_SOURCE_KIND_OKTA);
    g_assert_true (gtk_widget_is_visible (gui_test_child (scope, PS_TYPE_SCOPE_EDITOR, "department_entry")));
    g_assert_false (gtk_widget_is_visible (gui_test_child (scope, PS_TYPE_SCOPE_EDITOR, "search_base_entry")));
  }
  gtk_widget_destroy (GTK_WIDGET (window));

  /* Reopened from its file, the profile shows Okta, not Active Directory. */
  reopened = ps_profile_load_file (ps_profile_get_path (profile), &error);
  g_assert_no_error (error);
  g_assert_cmpint (ps_profile_get_source_kind (reopened), ==, PS_SOURCE_KIND_OKTA);
  window = gui_test_show_window (reopened, FALSE);
  g_assert_true (ps_window_show_page (window, "connection"));
  page = ps_window_get_page (window, "connection");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (gui_test_child (page, type, "source_stack")), ==, "okta");
  g_assert_cmpstr (gtk_entry_get_text (gui_test_child (page, type, "okta_url_entry")), ==, okta->url);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (gui_test_child (page, type, "okta_page_size_spin")),
                   ==, 50);
  /* The token comes back from the keyring. */
  g_assert_true (gui_test_wait (entry_filled_cb, gui_test_child (page, type, "okta_token_entry"), 10000));
  g_assert_cmpstr (gtk_entry_get_text (gui_test_child (page, type, "okta_token_entry")), ==, okta->token);
  g_assert_true (gui_test_wait (entry_filled_cb, gui_test_child (page, type, "client_secret_entry"), 10000));

  /* Done again keeps it an [Okta] profile. */
  gui_test_press_done (window, page);
  g_assert_cmpuint (gui_test_source_steps_failed (page, &n_source, NULL), ==, 0);
  g_clear_pointer (&contents, g_free);
  contents = gui_test_read_profile_file (reopened);
  g_assert_nonnull (strstr (contents, "[Okta]"));
  g_assert_null (strstr (contents, "[Directory]"));
  g_assert_cmpint (ps_profile_get_source_kind (reopened), ==, PS_SOURCE_KIND_OKTA);
  g_free (gui_test_screenshot (GTK_WIDGET (window), "connection-okta-passed"));
  gtk_widget_destroy (GTK_WIDGET (window));
}

static void
test_connection_okta_revoked_token (void)
{
  const GuiTestOkta *okta;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  PsWindow *window;
  PsWizardPage *page;
  GtkWidget *token_entry;
  const char *message;
  const char *failed = NULL;
  guint n_source = 0;

  if (!gui_test_need_okta_servers (&okta, &tgt))
    return;
  profile = gui_test_new_profile ("okta-revoked");
  window = gui_test_show_window (profile, TRUE);
  page = ps_window_get_page (window, "connection");
  gui_test_fill_asset_panda (page, tgt);
  fill_okta (page, okta->url, okta->revoked_token);
  gui_test_press_done (window, page);

  /* The token step fails and names Okta's code; the rest is not tried. */
  g_assert_cmpuint (gui_test_source_steps_failed (page, &n_source, &failed), ==, 1);
  g_assert_cmpstr (failed, ==, "token");
  message = gui_test_field_error (page, PS_GUI_FIELD_OKTA_TOKEN);
  g_assert_nonnull (message);
  g_test_message ("token error: %s", message);
  g_assert_nonnull (strstr (message, "E0000011"));
  g_assert_null (strstr (message, okta->revoked_token));
  assert_only_error (page, PS_GUI_FIELD_OKTA_TOKEN);
  token_entry = gui_test_child (page, PS_TYPE_CONNECTION_PAGE, "okta_token_entry");
  g_assert_true (gtk_style_context_has_class (gtk_widget_get_style_context (token_entry), "error"));
  /* It stays on the page, and nothing was saved. */
  g_assert_cmpstr (ps_wizard_page_get_page_id (ps_window_get_visible_page (window)), ==, "connection");
  g_assert_cmpint (ps_profile_get_source_kind (profile), ==, PS_SOURCE_KIND_ACTIVE_DIRECTORY);
  g_assert_null (ps_profile_get_okta (profile)->url);
  g_free (gui_test_screenshot (GTK_WIDGET (window), "connection-okta-revoked-token"));

  /* Typing another token clears what the old one caused. */
  gui_test_type (token_entry, okta->token);
  g_assert_null (gui_test_field_error (page, PS_GUI_FIELD_OKTA_TOKEN));
  g_assert_false (gtk_style_context_has_class (gtk_widget_get_style_context (token_entry), "error"));
  g_assert_cmpuint (ps_connection_page_get_n_steps (PS_CONNECTION_PAGE (page)), ==, 0);
  g_assert_false (gtk_widget_get_visible (gui_test_child (page, PS_TYPE_CONNECTION_PAGE, "steps_box")));
  gtk_widget_destroy (GTK_WIDGET (window));
}

static void
test_connection_okta_missing_permission (void)
{
  const GuiTestOkta *okta;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  PsWindow *window;
  PsWizardPage *page;
  const char *message;
  const char *failed = NULL;
  guint n_source = 0;

  if (!gui_test_need_okta_servers (&okta, &tgt))
    return;
  profile = gui_test_new_profile ("okta-group-admin");
  window = gui_test_show_window (profile, TRUE);
  page = ps_window_get_page (window, "connection");
  gui_test_fill_asset_panda (page, tgt);
  fill_okta (page, okta->url, okta->group_admin_token);
  gui_test_press_done (window, page);

  /* The token is accepted; reading users is refused with E0000006. */
  g_assert_cmpuint (gui_test_source_steps_failed (page, &n_source, &failed), >, 0);
  g_assert_cmpstr (failed, ==, "users");
  message = gui_test_field_error (page, PS_GUI_FIELD_OKTA_TOKEN);
  g_assert_nonnull (message);
  g_test_message ("token error: %s", message);
  g_assert_nonnull (strstr (message, "E0000006"));
  g_assert_nonnull (strstr (message, "Read-Only Administrator"));
  assert_only_error (page, PS_GUI_FIELD_OKTA_TOKEN);
  gtk_widget_destroy (GTK_WIDGET (window));
}

static void
test_connection_okta_unknown_host (void)
{
  const GuiTestOkta *okta;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  PsWindow *window;
  PsWizardPage *page;
  const char *message;
  const char *failed = NULL;
  guint n_source = 0;

  if (!gui_test_need_okta_servers (&okta, &tgt))
    return;
  profile = gui_test_new_profile ("okta-nowhere");
  window = gui_test_show_window (profile, TRUE);
  page = ps_window_get_page (window, "connection");
  gui_test_fill_asset_panda (page, tgt);

  /* Not an org URL at all: said under the field before any request. */
  fill_okta (page, "https://acme-admin.okta.com/admin/dashboard", okta->token);
  gtk_button_clicked (ps_window_get_forward_button (window));
  g_assert_true (gui_test_wait (gui_test_page_idle, page, 5000));
  message = gui_test_field_error (page, PS_GUI_FIELD_OKTA_URL);
  g_assert_nonnull (message);
  g_test_message ("URL error: %s", message);
  g_assert_cmpuint (ps_connection_page_get_n_steps (PS_CONNECTION_PAGE (page)), ==, 0);

  /* A host that does not resolve: the DNS step fails, on the URL. */
  fill_okta (page, "https://pandasync-test.invalid", okta->token);
  g_assert_null (gui_test_field_error (page, PS_GUI_FIELD_OKTA_URL));
  gui_test_press_done (window, page);
  g_assert_cmpuint (gui_test_source_steps_failed (page, &n_source, &failed), >, 0);
  g_assert_cmpstr (failed, ==, "resolve");
  message = gui_test_field_error (page, PS_GUI_FIELD_OKTA_URL);
  g_assert_nonnull (message);
  g_test_message ("URL error: %s", message);
  g_assert_nonnull (strstr (message, "pandasync-test.invalid"));
  assert_only_error (page, PS_GUI_FIELD_OKTA_URL);

  /* Back to Active Directory: the Okta results are gone. */
  gtk_stack_set_visible_child_name (gui_test_child (page, PS_TYPE_CONNECTION_PAGE, "source_stack"),
                                    "active-directory");
  g_assert_null (gui_test_field_error (page, PS_GUI_FIELD_OKTA_URL));
  g_assert_cmpuint (ps_connection_page_get_n_steps (PS_CONNECTION_PAGE (page)), ==, 0);
  gtk_widget_destroy (GTK_WIDGET (window));
}

/* An org behind a certificate nothing trusts: the TLS step fails, on the CA
 * file (its expander opens to show it); with the CA chosen it passes, and
 * the profile keeps the file. */
static void
test_connection_okta_tls (void)
{
  const GuiTestOkta *okta = gui_test_start_okta_tls ();
  const GuiTestTarget *tgt = gui_test_start_emulator ();
  g_autoptr(PsProfile) profile = NULL;
  g_autofree char *contents = NULL;
  PsWindow *window;
  PsWizardPage *page;
  GtkFileChooser *ca;
  const char *message;
  const char *failed = NULL;
  guint n_source = 0;
  GType type = PS_TYPE_CONNECTION_PAGE;

  if (okta == NULL || tgt == NULL)
    {
      g_test_skip ("the Okta emulator cannot serve HTTPS here (openssl or the emulator is missing)");
      return;
    }
  profile = gui_test_new_profile ("okta-tls");
  window = gui_test_show_window (profile, TRUE);
  page = ps_window_get_page (window, "connection");
  gui_test_fill_asset_panda (page, tgt);
  fill_okta (page, okta->tls_url, okta->token);
  g_assert_false (gtk_expander_get_expanded (gui_test_child (page, type, "okta_expander")));
  gui_test_press_done (window, page);

  g_assert_cmpuint (gui_test_source_steps_failed (page, &n_source, &failed), ==, 1);
  g_assert_cmpstr (failed, ==, "tls");
  message = gui_test_field_error (page, PS_GUI_FIELD_OKTA_CA_FILE);
  g_assert_nonnull (message);
  g_test_message ("CA file error: %s", message);
  assert_only_error (page, PS_GUI_FIELD_OKTA_CA_FILE);
  g_assert_true (gtk_expander_get_expanded (gui_test_child (page, type, "okta_expander")));
  g_free (gui_test_screenshot (GTK_WIDGET (window), "connection-okta-untrusted"));

  /* Choosing the CA clears the error; then every step passes. */
  ca = gui_test_child (page, type, "okta_ca_file_button");
  g_assert_true (gtk_file_chooser_set_filename (ca, okta->tls_ca_file));
  g_signal_emit_by_name (ca, "file-set");
  g_assert_null (gui_test_field_error (page, PS_GUI_FIELD_OKTA_CA_FILE));
  g_assert_true (gtk_widget_get_sensitive (gui_test_child (page, type, "okta_ca_file_clear_button")));
  gtk_button_clicked (ps_window_get_forward_button (window));
  g_assert_true (gui_test_wait (gui_test_window_on_schedule, window, 60000));
  g_assert_cmpuint (gui_test_source_steps_failed (page, &n_source, NULL), ==, 0);
  contents = gui_test_read_profile_file (profile);
  g_assert_nonnull (strstr (contents, okta->tls_url));
  g_assert_nonnull (strstr (contents, okta->tls_ca_file));
  gtk_widget_destroy (GTK_WIDGET (window));
}

static void
test_user_mapping_okta_scope (void)
{
  const GuiTestOkta *okta;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  g_autofree char *after = NULL;
  PsWindow *window;
  PsWizardPage *page;
  PsAttributeCombo *email;
  PsAttributeCombo *first_name;
  PsScopeEditor *scope;
  const PsGuiChoice *group;
  const PsMapping *mapping;
  GType type = PS_TYPE_USER_MAPPING_PAGE;
  GType scope_type = PS_TYPE_SCOPE_EDITOR;

  if (!gui_test_need_okta_servers (&okta, &tgt))
    return;
  profile = gui_test_okta_profile ("okta-users", okta, tgt);
  window = gui_test_show_window (profile, FALSE);
  g_assert_true (ps_window_show_page (window, "user-mapping"));
  page = ps_window_get_page (window, "user-mapping");

  /* Okta's names, and the rest of its profile attributes once loaded. */
  email = gui_test_child (page, type, "email_combo");
  first_name = gui_test_child (page, type, "first_name_combo");
  {
    g_autofree char *spec = ps_attribute_combo_dup_spec (email);
    g_autofree char *last = ps_attribute_combo_dup_spec (gui_test_child (page, type, "last_name_combo"));
    g_assert_cmpstr (spec, ==, "email");
    g_assert_cmpstr (last, ==, "lastName");
  }
  g_assert_true (gui_test_wait_combo_offers (ps_attribute_combo_get_combo (first_name),
                                             "department", 20000));
  g_assert_true (gui_test_combo_offers (ps_attribute_combo_get_combo (first_name), "employeeNumber"));
  g_assert_true (gui_test_combo_offers (ps_attribute_combo_get_combo (first_name), "mobilePhone"));
  /* Names in Okta's syntax are accepted, LDAP-only ones are not. */
  gui_test_type (ps_attribute_combo_get_entry (first_name), "profile.firstName|nickName");
  g_assert_null (ps_attribute_combo_get_error (first_name));
  gui_test_type (ps_attribute_combo_get_entry (first_name), "onPremisesExtensionAttributes.extensionAttribute1");
  g_assert_nonnull (ps_attribute_combo_get_error (first_name));
  g_test_message ("attribute error: %s", ps_attribute_combo_get_error (first_name));
  gui_test_type (ps_attribute_combo_get_entry (first_name), "firstName");
  g_assert_null (ps_attribute_combo_get_error (first_name));

  gui_test_choose_first (gui_test_child (page, type, "account_combo"));
  gui_test_choose_first (gui_test_child (page, type, "module_combo"));
  gui_test_choose_first (gui_test_child (page, type, "role_combo"));
  gui_test_search_group (page, type, "Eng");
  group = ps_choice_combo_get_active (gui_test_child (page, type, "group_combo"));
  g_assert_cmpstr (group->name, ==, "Engineering");
  g_assert_cmpstr (group->id, ==, ENGINEERING_ID);

  /* Okta's conditions instead of a search base and an LDAP filter. */
  scope = gui_test_child (page, type, "scope_editor");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (scope)));
  g_assert_false (gtk_widget_is_visible (gui_test_child (scope, scope_type, "search_base_entry")));
  g_assert_false (gtk_widget_is_visible (gui_test_child (scope, scope_type, "filter_entry")));
  g_assert_true (gtk_widget_is_visible (gui_test_child (scope, scope_type, "status_combo")));
  g_assert_true (gtk_widget_is_visible (gui_test_child (scope, scope_type, "expression_entry")));

  /* Six members: Alice, Bob, Grace (locked out), Irene (deprovisioned) and
   * Liam are in scope; Dan is STAGED, not yet a person. */
  ps_scope_editor_set_expanded (scope, TRUE);
  g_assert_cmpstr (wait_count (scope), ==, "5 of 6 members are in scope (4 enabled)");
  g_assert_null (ps_scope_editor_get_filter (scope));

  /* At work: Irene leaves the scope. */
  gtk_combo_box_set_active_id (gui_test_child (scope, scope_type, "status_combo"), "active");
  g_assert_cmpstr (wait_count (scope), ==, "4 of 6 members are in scope (4 enabled)");
  /* Deprovisioned only: Irene alone, who is not enabled. */
  gtk_combo_box_set_active_id (gui_test_child (scope, scope_type, "status_combo"), "deprovisioned");
  g_assert_cmpstr (wait_count (scope), ==, "1 of 6 members are in scope (0 enabled)");
  /* Another department: nobody of Engineering is in Sales. */
  gtk_combo_box_set_active_id (gui_test_child (scope, scope_type, "status_combo"), "active");
  gui_test_type (gui_test_child (scope, scope_type, "department_entry"), "Sales");
  g_assert_cmpstr (wait_count (scope), ==, "0 of 6 members are in scope (0 enabled)");
  gui_test_type (gui_test_child (scope, scope_type, "department_entry"), "Engineering");
  g_assert_cmpstr (wait_count (scope), ==, "4 of 6 members are in scope (4 enabled)");

  /* A raw expression is checked before use: Okta has no "ne". */
  gui_test_type (gui_test_child (scope, scope_type, "expression_entry"), "profile.lastName ne \"Smith\"");
  g_assert_false (ps_scope_editor_get_valid (scope));
  g_assert_false (ps_scope_editor_get_counting (scope));
  g_test_message ("expression error: %s", ps_scope_editor_get_error (scope));
  g_assert_nonnull (strstr (ps_scope_editor_get_error (scope), "ne"));
  g_assert_true (gtk_widget_get_visible (gui_test_child (scope, scope_type, "expression_error_label")));
  g_assert_false (gtk_widget_get_sensitive (gui_test_child (page, type, "add_button")));
  /* Liam O'Brien's last name starts with O. */
  gui_test_type (gui_test_child (scope, scope_type, "expression_entry"), "lastName sw \"O\"");
  g_assert_true (ps_scope_editor_get_valid (scope));
  g_assert_cmpstr (wait_count (scope), ==, "1 of 6 members are in scope (1 enabled)");
  g_test_message ("filter: %s", ps_scope_editor_get_filter (scope));
  g_assert_true (gtk_widget_get_sensitive (gui_test_child (page, type, "add_button")));
  gui_test_check_mnemonics (GTK_WIDGET (window), GTK_WIDGET (page));
  g_free (gui_test_screenshot (GTK_WIDGET (window), "page-user-mapping-okta"));

  gtk_button_clicked (gui_test_child (page, type, "add_button"));
  after = gui_test_read_profile_file (profile);
  g_test_message ("%s", after);
  g_assert_nonnull (strstr (after, "Group=" ENGINEERING_ID "\n"));
  g_assert_nonnull (strstr (after, "GroupName=Engineering\n"));
  g_assert_nonnull (strstr (after, "Email=email\n"));
  g_assert_nonnull (strstr (after, "Filter=profile.department eq \"Engineering\" and (status eq \"ACTIVE\""));
  g_assert_nonnull (strstr (after, "and (profile.lastName sw \"O\")\n"));
  g_assert_null (strstr (after, "SearchBase="));
  mapping = g_ptr_array_index (ps_profile_get_mappings (profile), 0);
  g_assert_cmpstr (mapping->group, ==, ENGINEERING_ID);
  g_assert_true (ps_profile_validate (profile, NULL));
  gtk_widget_destroy (GTK_WIDGET (window));
}

static void
test_collection_mapping_okta (void)
{
  const GuiTestOkta *okta;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  g_autofree char *after = NULL;
  PsWindow *window;
  PsWizardPage *page;
  GtkComboBox *unique_id;
  GtkComboBox *field_combo;
  PsAttributeCombo *attribute_combo;
  GType type = PS_TYPE_COLLECTION_MAPPING_PAGE;

  if (!gui_test_need_okta_servers (&okta, &tgt))
    return;
  profile = gui_test_okta_profile ("okta-collections", okta, tgt);
  window = gui_test_show_window (profile, FALSE);
  g_assert_true (ps_window_show_page (window, "collection-mapping"));
  page = ps_window_get_page (window, "collection-mapping");

  /* The Okta user id by default. */
  unique_id = gui_test_child (page, type, "unique_id_combo");
  g_assert_cmpstr (gtk_combo_box_get_active_id (unique_id), ==, "id");
  g_assert_true (gui_test_combo_offers (unique_id, "employeeNumber"));
  g_assert_false (gui_test_combo_offers (unique_id, "objectSid"));

  gui_test_choose_first (gui_test_child (page, type, "account_combo"));
  gui_test_choose_first (gui_test_child (page, type, "module_combo"));
  gui_test_choose_first (gui_test_child (page, type, "collection_combo"));
  g_assert_true (gui_test_wait (gui_test_fields_loaded, page, 20000));
  gui_test_search_group (page, type, "Eng");
  g_assert_cmpstr (ps_choice_combo_get_active_id (gui_test_child (page, type, "group_combo")), ==,
                   ENGINEERING_ID);

  /* A field row offers Okta's profile attributes, and takes profile.NAME. */
  /* After the three rows a new collection starts with (First Name, Last
   * Name, Email). */
  gtk_button_clicked (gui_test_child (page, type, "add_field_button"));
  gui_test_field_row_parts (page, 3, &field_combo, &attribute_combo, NULL);
  g_assert_true (gui_test_wait_combo_offers (ps_attribute_combo_get_combo (attribute_combo),
                                             "department", 20000));
  for (guint i = 0; i < 6; i++)
    {
      const char *names[] = { "email", "login", "displayName", "title", "employeeNumber", "mobilePhone" };
      g_assert_true (gui_test_combo_offers (ps_attribute_combo_get_combo (attribute_combo), names[i]));
    }
  g_assert_false (gui_test_combo_offers (ps_attribute_combo_get_combo (attribute_combo), "sAMAccountName"));
  gtk_combo_box_set_active (field_combo, 0);
  gui_test_type (ps_attribute_combo_get_entry (attribute_combo), "profile.department");
  g_assert_null (ps_attribute_combo_get_error (attribute_combo));
  g_assert_true (gtk_widget_get_sensitive (gui_test_child (page, type, "add_button")));
  ps_scope_editor_set_expanded (gui_test_child (page, type, "scope_editor"), TRUE);
  gui_test_check_mnemonics (GTK_WIDGET (window), GTK_WIDGET (page));
  g_free (gui_test_screenshot (GTK_WIDGET (window), "page-collection-mapping-okta"));

  gtk_button_clicked (gui_test_child (page, type, "add_button"));
  after = gui_test_read_profile_file (profile);
  g_test_message ("%s", after);
  g_assert_nonnull (strstr (after, "[CollectionMapping "));
  g_assert_nonnull (strstr (after, "Group=" ENGINEERING_ID "\n"));
  g_assert_nonnull (strstr (after, "UniqueIdentifier=id\n"));
  g_assert_nonnull (strstr (after, "=profile.department;never-blank"));
  g_assert_true (ps_profile_validate (profile, NULL));
  gtk_widget_destroy (GTK_WIDGET (window));
}

int
main (int    argc,
      char **argv)
{
  int result;

  gui_test_init (&argc, &argv);

  g_test_add_func ("/gui/okta/connection-passes", test_connection_okta_passes);
  g_test_add_func ("/gui/okta/revoked-token", test_connection_okta_revoked_token);
  g_test_add_func ("/gui/okta/missing-permission", test_connection_okta_missing_permission);
  g_test_add_func ("/gui/okta/unknown-host", test_connection_okta_unknown_host);
  g_test_add_func ("/gui/okta/untrusted-certificate", test_connection_okta_tls);
  g_test_add_func ("/gui/okta/user-mapping-scope", test_user_mapping_okta_scope);
  g_test_add_func ("/gui/okta/collection-mapping", test_collection_mapping_okta);

  result = g_test_run ();
  gui_test_stop_servers ();
  return result;
}
