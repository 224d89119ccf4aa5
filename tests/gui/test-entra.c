/* test-entra.c — the wizard with Microsoft Entra ID as the identity source
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Real widgets under Xvfb against the Microsoft Graph emulator
 * (tests/emulator/graph, its Contoso tenant) and the Asset Panda emulator:
 * the Connection page with Entra ID chosen, its steps and the fields they
 * blame, then the mapping pages searching Entra ID's groups and offering
 * Graph's attributes. Screenshots go to $builddir/tests/gui/screenshots/.
 */

#include "gui-test-util.h"
#include "pages/ps-collection-mapping-page.h"
#include "pages/ps-connection-page.h"
#include "pages/ps-user-mapping-page.h"
#include "ps-secret-store.h"
#include "widgets/ps-scope-editor.h"

/* The Contoso tenant's group "Platform" (tests/emulator/graph/README.md). */
#define PLATFORM_ID "b0000003-0000-4000-8000-000000000003"

/* ---------------------------------------------------------------- helpers */

/* Chooses Entra ID and fills its fields; the emulator serves both the
 * sign-in and Graph, so both URLs (under the expander) point at it. */
static void
fill_entra (PsWizardPage       *page,
            const GuiTestGraph *graph,
            const char         *tenant,
            const char         *client_id,
            const char         *secret)
{
  GType type = PS_TYPE_CONNECTION_PAGE;

  gtk_stack_set_visible_child_name (gui_test_child (page, type, "source_stack"), "entra-id");
  gui_test_type (gui_test_child (page, type, "entra_tenant_entry"), tenant);
  gui_test_type (gui_test_child (page, type, "entra_client_id_entry"), client_id);
  gui_test_type (gui_test_child (page, type, "entra_secret_entry"), secret);
  gtk_expander_set_expanded (gui_test_child (page, type, "entra_expander"), TRUE);
  gui_test_type (gui_test_child (page, type, "entra_login_url_entry"), graph->url);
  gui_test_type (gui_test_child (page, type, "entra_graph_url_entry"), graph->url);
}

/* ---------------------------------------------------------------- tests */

static void
test_connection_entra_passes (void)
{
  const GuiTestGraph *graph;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsSecretString) secret = NULL;
  g_autofree char *contents = NULL;
  PsWindow *window;
  PsWizardPage *page;
  GtkWidget *forward;
  GType type = PS_TYPE_CONNECTION_PAGE;
  guint n_source = 0;

  if (!gui_test_need_graph_servers (&graph, &tgt))
    return;
  profile = gui_test_new_profile ("entra");
  window = gui_test_show_window (profile, TRUE);
  page = ps_window_get_page (window, "connection");
  forward = GTK_WIDGET (ps_window_get_forward_button (window));

  /* A new profile reads Active Directory until told otherwise. */
  g_assert_cmpstr (gtk_stack_get_visible_child_name (gui_test_child (page, type, "source_stack")), ==,
                   "active-directory");
  gui_test_fill_asset_panda (page, tgt);
  gtk_stack_set_visible_child_name (gui_test_child (page, type, "source_stack"), "entra-id");

  /* Done waits for the three required fields, and says which is missing. */
  g_assert_false (ps_wizard_page_get_complete (page));
  g_assert_cmpstr (ps_wizard_page_get_incomplete_reason (page), ==,
                   "Enter the tenant: its ID or a verified domain.");
  {
    g_autofree char *tooltip = gtk_widget_get_tooltip_text (forward);
    g_assert_cmpstr (tooltip, ==, "Enter the tenant: its ID or a verified domain.");
  }
  gui_test_type (gui_test_child (page, type, "entra_tenant_entry"), graph->tenant);
  gui_test_type (gui_test_child (page, type, "entra_client_id_entry"), graph->client_id);
  g_assert_false (ps_wizard_page_get_complete (page));
  g_assert_cmpstr (ps_wizard_page_get_incomplete_reason (page), ==,
                   "Enter the value of the app registration’s client secret.");
  fill_entra (page, graph, graph->tenant, graph->client_id, graph->client_secret);
  g_assert_true (ps_wizard_page_get_complete (page));
  g_assert_null (ps_wizard_page_get_incomplete_reason (page));
  g_assert_null (gtk_widget_get_tooltip_text (forward));
  gui_test_check_mnemonics (GTK_WIDGET (window), GTK_WIDGET (page));
  g_free (gui_test_screenshot (GTK_WIDGET (window), "wizard-connection-entra"));

  gtk_button_clicked (GTK_BUTTON (forward));
  g_assert_true (gui_test_wait (gui_test_window_on_schedule, window, 60000));
  /* Sign-in, users, groups and delta: every step passed. */
  g_assert_cmpuint (gui_test_source_steps_failed (page, &n_source, NULL), ==, 0);
  g_assert_cmpuint (n_source, >=, 3);
  for (PsGuiField f = PS_GUI_FIELD_API_URL; f < PS_GUI_N_FIELDS; f++)
    g_assert_null (gui_test_field_error (page, f));

  /* Saved: an [EntraID] profile without [Directory], the secret in the keyring. */
  g_assert_cmpint (ps_profile_get_source_kind (profile), ==, PS_SOURCE_KIND_ENTRA_ID);
  contents = gui_test_read_profile_file (profile);
  g_test_message ("%s", contents);
  g_assert_nonnull (strstr (contents, "[EntraID]"));
  g_assert_nonnull (strstr (contents, "Tenant=contoso.onmicrosoft.com"));
  g_assert_nonnull (strstr (contents, graph->client_id));
  g_assert_null (strstr (contents, "[Directory]"));
  g_assert_null (strstr (contents, graph->client_secret));
  secret = ps_secret_lookup_sync (profile, PS_SECRET_ENTRA_CLIENT_SECRET, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (secret, ==, graph->client_secret);

  /* The mapping pages follow the source: no LDAP scope for Entra ID. */
  g_assert_false (gtk_widget_get_visible (gui_test_child (ps_window_get_page (window, "user-mapping"),
                                                          PS_TYPE_USER_MAPPING_PAGE, "scope_editor")));
  g_assert_false (gtk_widget_get_visible (gui_test_child (ps_window_get_page (window, "collection-mapping"),
                                                          PS_TYPE_COLLECTION_MAPPING_PAGE, "scope_editor")));

  /* Back on the Connection page: the steps that passed. */
  gtk_button_clicked (ps_window_get_back_button (window));
  g_assert_cmpstr (ps_wizard_page_get_page_id (ps_window_get_visible_page (window)), ==, "connection");
  g_free (gui_test_screenshot (GTK_WIDGET (window), "wizard-connection-entra-passed"));
  gtk_widget_destroy (GTK_WIDGET (window));
}

static void
test_connection_entra_wrong_secret (void)
{
  const GuiTestGraph *graph;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  PsWindow *window;
  PsWizardPage *page;
  GtkWidget *secret_entry;
  const char *message;
  guint n_source = 0;

  if (!gui_test_need_graph_servers (&graph, &tgt))
    return;
  profile = gui_test_new_profile ("entra-wrong-secret");
  window = gui_test_show_window (profile, TRUE);
  page = ps_window_get_page (window, "connection");
  gui_test_fill_asset_panda (page, tgt);
  fill_entra (page, graph, graph->tenant, graph->client_id, "not-the-secret");
  gui_test_press_done (window, page);

  g_assert_cmpuint (gui_test_source_steps_failed (page, &n_source, NULL), >, 0);
  message = gui_test_field_error (page, PS_GUI_FIELD_ENTRA_CLIENT_SECRET);
  g_assert_nonnull (message);
  g_test_message ("secret error: %s", message);
  g_assert_nonnull (strstr (message, "AADSTS7000215"));
  secret_entry = gui_test_child (page, PS_TYPE_CONNECTION_PAGE, "entra_secret_entry");
  g_assert_true (gtk_style_context_has_class (gtk_widget_get_style_context (secret_entry), "error"));
  g_assert_null (gui_test_field_error (page, PS_GUI_FIELD_ENTRA_TENANT));
  g_assert_null (gui_test_field_error (page, PS_GUI_FIELD_ENTRA_CLIENT_ID));
  g_assert_null (gui_test_field_error (page, PS_GUI_FIELD_API_CLIENT_SECRET));
  /* It stays on the page, and nothing was saved. */
  g_assert_cmpstr (ps_wizard_page_get_page_id (ps_window_get_visible_page (window)), ==, "connection");
  g_assert_cmpint (ps_profile_get_source_kind (profile), ==, PS_SOURCE_KIND_ACTIVE_DIRECTORY);
  g_assert_null (ps_profile_get_entra_id (profile)->tenant);
  g_free (gui_test_screenshot (GTK_WIDGET (window), "connection-entra-wrong-secret"));

  /* Typing a new secret clears what the old one caused. */
  gui_test_type (secret_entry, graph->client_secret);
  g_assert_null (gui_test_field_error (page, PS_GUI_FIELD_ENTRA_CLIENT_SECRET));
  g_assert_false (gtk_style_context_has_class (gtk_widget_get_style_context (secret_entry), "error"));
  g_assert_cmpuint (ps_connection_page_get_n_steps (PS_CONNECTION_PAGE (page)), ==, 0);
  g_assert_false (gtk_widget_get_visible (gui_test_child (page, PS_TYPE_CONNECTION_PAGE, "result_label")));
  g_assert_false (gtk_widget_get_visible (gui_test_child (page, PS_TYPE_CONNECTION_PAGE, "steps_box")));
  gtk_widget_destroy (GTK_WIDGET (window));
}

static void
test_connection_entra_missing_permission (void)
{
  const GuiTestGraph *graph;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  PsWindow *window;
  PsWizardPage *page;
  GPtrArray *steps;
  const char *message;
  gboolean named = FALSE;
  guint n_source = 0;

  if (!gui_test_need_graph_servers (&graph, &tgt))
    return;
  profile = gui_test_new_profile ("entra-members-only");
  window = gui_test_show_window (profile, TRUE);
  page = ps_window_get_page (window, "connection");
  gui_test_fill_asset_panda (page, tgt);
  fill_entra (page, graph, graph->tenant, graph->members_only_client_id, graph->members_only_client_secret);
  gui_test_press_done (window, page);

  /* The sign-in works; reading users fails and names the permission. */
  g_assert_cmpuint (gui_test_source_steps_failed (page, &n_source, NULL), >, 0);
  steps = ps_connection_page_get_steps (PS_CONNECTION_PAGE (page));
  for (guint i = 0; i < steps->len; i++)
    {
      const PsGuiStepResult *r = g_ptr_array_index (steps, i);

      if (!r->directory)
        continue;
      if (g_str_equal (r->step->id, "token"))
        g_assert_cmpint (r->step->status, ==, PS_STEP_OK);
      if (r->step->status == PS_STEP_FAILED && strstr (r->step->message, "User.Read.All") != NULL)
        named = TRUE;
    }
  g_assert_true (named);
  message = gui_test_field_error (page, PS_GUI_FIELD_ENTRA_CLIENT_ID);
  g_assert_nonnull (message);
  g_test_message ("client id error: %s", message);
  g_assert_nonnull (strstr (message, "User.Read.All"));
  g_assert_null (gui_test_field_error (page, PS_GUI_FIELD_ENTRA_CLIENT_SECRET));
  g_free (gui_test_screenshot (GTK_WIDGET (window), "connection-entra-missing-permission"));
  gtk_widget_destroy (GTK_WIDGET (window));
}

static void
test_connection_entra_unknown_tenant_and_app (void)
{
  const GuiTestGraph *graph;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  PsWindow *window;
  PsWizardPage *page;
  const char *message;

  if (!gui_test_need_graph_servers (&graph, &tgt))
    return;
  profile = gui_test_new_profile ("entra-unknown");
  window = gui_test_show_window (profile, TRUE);
  page = ps_window_get_page (window, "connection");
  gui_test_fill_asset_panda (page, tgt);

  fill_entra (page, graph, "nowhere.onmicrosoft.com", graph->client_id, graph->client_secret);
  gui_test_press_done (window, page);
  message = gui_test_field_error (page, PS_GUI_FIELD_ENTRA_TENANT);
  g_assert_nonnull (message);
  g_test_message ("tenant error: %s", message);
  g_assert_null (gui_test_field_error (page, PS_GUI_FIELD_ENTRA_CLIENT_ID));
  g_assert_null (gui_test_field_error (page, PS_GUI_FIELD_ENTRA_CLIENT_SECRET));

  fill_entra (page, graph, graph->tenant, "99999999-9999-4999-8999-999999999999", graph->client_secret);
  /* The edit cleared the tenant's error. */
  g_assert_null (gui_test_field_error (page, PS_GUI_FIELD_ENTRA_TENANT));
  gui_test_press_done (window, page);
  message = gui_test_field_error (page, PS_GUI_FIELD_ENTRA_CLIENT_ID);
  g_assert_nonnull (message);
  g_test_message ("client id error: %s", message);
  g_assert_nonnull (strstr (message, "AADSTS700016"));
  g_assert_null (gui_test_field_error (page, PS_GUI_FIELD_ENTRA_TENANT));
  g_assert_null (gui_test_field_error (page, PS_GUI_FIELD_ENTRA_CLIENT_SECRET));

  /* Back to Active Directory: the Entra ID results are gone. */
  gtk_stack_set_visible_child_name (gui_test_child (page, PS_TYPE_CONNECTION_PAGE, "source_stack"),
                                    "active-directory");
  g_assert_null (gui_test_field_error (page, PS_GUI_FIELD_ENTRA_CLIENT_ID));
  g_assert_cmpuint (ps_connection_page_get_n_steps (PS_CONNECTION_PAGE (page)), ==, 0);
  g_assert_false (ps_wizard_page_get_complete (page));
  g_assert_cmpstr (ps_wizard_page_get_incomplete_reason (page), ==, "Enter the AD connection string.");
  gtk_widget_destroy (GTK_WIDGET (window));
}

static void
test_user_mapping_entra_group (void)
{
  const GuiTestGraph *graph;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  g_autofree char *after = NULL;
  PsWindow *window;
  PsWizardPage *page;
  PsAttributeCombo *last_name;
  const PsGuiChoice *group;
  const PsMapping *mapping;
  GType type = PS_TYPE_USER_MAPPING_PAGE;

  if (!gui_test_need_graph_servers (&graph, &tgt))
    return;
  profile = gui_test_entra_profile ("entra-users", graph, tgt);
  window = gui_test_show_window (profile, FALSE);
  g_assert_true (ps_window_show_page (window, "user-mapping"));
  page = ps_window_get_page (window, "user-mapping");

  /* Scoped by the group alone: no search base or LDAP filter to set. */
  g_assert_false (gtk_widget_get_visible (gui_test_child (page, type, "scope_editor")));
  /* Graph's names, and the rest of what Entra ID suggests once loaded. */
  last_name = gui_test_child (page, type, "last_name_combo");
  {
    g_autofree char *spec = ps_attribute_combo_dup_spec (last_name);
    g_assert_cmpstr (spec, ==, "surname");
  }
  g_assert_true (gui_test_wait_combo_offers (ps_attribute_combo_get_combo (last_name),
                                             "jobTitle", 20000));

  gui_test_choose_first (gui_test_child (page, type, "account_combo"));
  gui_test_choose_first (gui_test_child (page, type, "module_combo"));
  gui_test_choose_first (gui_test_child (page, type, "role_combo"));
  gui_test_search_group (page, type, "Plat");
  group = ps_choice_combo_get_active (gui_test_child (page, type, "group_combo"));
  g_assert_cmpstr (group->name, ==, "Platform");
  g_assert_cmpstr (group->id, ==, PLATFORM_ID);
  g_assert_true (gtk_widget_get_sensitive (gui_test_child (page, type, "add_button")));
  g_free (gui_test_screenshot (GTK_WIDGET (window), "page-user-mapping-entra"));

  gtk_button_clicked (gui_test_child (page, type, "add_button"));
  after = gui_test_read_profile_file (profile);
  g_test_message ("%s", after);
  g_assert_nonnull (strstr (after, "Group=" PLATFORM_ID "\n"));
  g_assert_nonnull (strstr (after, "GroupName=Platform\n"));
  g_assert_nonnull (strstr (after, "LastName=surname\n"));
  g_assert_null (strstr (after, "Filter="));
  g_assert_null (strstr (after, "SearchBase="));
  g_assert_cmpuint (ps_profile_get_mappings (profile)->len, ==, 1);
  mapping = g_ptr_array_index (ps_profile_get_mappings (profile), 0);
  g_assert_cmpstr (mapping->group, ==, PLATFORM_ID);
  g_assert_true (ps_profile_validate (profile, NULL));
  gtk_widget_destroy (GTK_WIDGET (window));
}

static void
test_collection_mapping_entra (void)
{
  const GuiTestGraph *graph;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  g_autofree char *after = NULL;
  PsWindow *window;
  PsWizardPage *page;
  GtkComboBox *unique_id;
  GtkComboBox *field_combo;
  PsAttributeCombo *attribute_combo;
  GType type = PS_TYPE_COLLECTION_MAPPING_PAGE;

  if (!gui_test_need_graph_servers (&graph, &tgt))
    return;
  profile = gui_test_entra_profile ("entra-collections", graph, tgt);
  window = gui_test_show_window (profile, FALSE);
  g_assert_true (ps_window_show_page (window, "collection-mapping"));
  page = ps_window_get_page (window, "collection-mapping");

  /* Advanced (search base and LDAP filter) is not there for Entra ID. */
  g_assert_false (gtk_widget_get_visible (gui_test_child (page, type, "scope_editor")));
  /* The object id by default; the on-premises SID offered, with its hint. */
  unique_id = gui_test_child (page, type, "unique_id_combo");
  g_assert_cmpstr (gtk_combo_box_get_active_id (unique_id), ==, "id");
  g_assert_true (gui_test_combo_offers (unique_id, "onPremisesSecurityIdentifier"));
  g_assert_false (gui_test_combo_offers (unique_id, "objectGUID"));
  g_assert_true (gtk_widget_get_visible (gui_test_child (page, type, "unique_id_hint_label")));
  g_assert_nonnull (strstr (gtk_label_get_text (gui_test_child (page, type, "unique_id_hint_label")),
                            "keeps the records a sync from on-premises AD made"));

  gui_test_choose_first (gui_test_child (page, type, "account_combo"));
  gui_test_choose_first (gui_test_child (page, type, "module_combo"));
  gui_test_choose_first (gui_test_child (page, type, "collection_combo"));
  g_assert_true (gui_test_wait (gui_test_fields_loaded, page, 20000));
  gui_test_search_group (page, type, "Plat");
  g_assert_cmpstr (ps_choice_combo_get_active_id (gui_test_child (page, type, "group_combo")), ==,
                   PLATFORM_ID);

  /* A field row offers Graph's attributes. */
  /* After the three rows a new collection starts with (First Name, Last
   * Name, Email). */
  gtk_button_clicked (gui_test_child (page, type, "add_field_button"));
  gui_test_field_row_parts (page, 3, &field_combo, &attribute_combo, NULL);
  g_assert_true (gui_test_wait_combo_offers (ps_attribute_combo_get_combo (attribute_combo),
                                             "jobTitle", 20000));
  g_assert_true (gui_test_combo_offers (ps_attribute_combo_get_combo (attribute_combo), "surname"));
  g_assert_true (gui_test_combo_offers (ps_attribute_combo_get_combo (attribute_combo), "employeeId"));
  g_assert_false (gui_test_combo_offers (ps_attribute_combo_get_combo (attribute_combo), "sn"));
  gtk_combo_box_set_active (field_combo, 0);
  /* Graph's names are checked as Graph's: a member of an object property
   * is one name, not an LDAP error. */
  gui_test_type (ps_attribute_combo_get_entry (attribute_combo),
                 "onPremisesExtensionAttributes.extensionAttribute1");
  g_assert_null (ps_attribute_combo_get_error (attribute_combo));
  gui_test_type (ps_attribute_combo_get_entry (attribute_combo), "extension-attribute 1");
  g_assert_nonnull (ps_attribute_combo_get_error (attribute_combo));
  gui_test_type (ps_attribute_combo_get_entry (attribute_combo), "jobTitle");
  g_assert_true (gtk_widget_get_sensitive (gui_test_child (page, type, "add_button")));
  g_free (gui_test_screenshot (GTK_WIDGET (window), "page-collection-mapping-entra"));

  gtk_button_clicked (gui_test_child (page, type, "add_button"));
  after = gui_test_read_profile_file (profile);
  g_test_message ("%s", after);
  g_assert_nonnull (strstr (after, "[CollectionMapping "));
  g_assert_nonnull (strstr (after, "Group=" PLATFORM_ID "\n"));
  g_assert_nonnull (strstr (after, "UniqueIdentifier=id\n"));
  g_assert_nonnull (strstr (after, "=jobTitle;never-blank"));
  g_assert_null (strstr (after, "Filter="));
  g_assert_true (ps_profile_validate (profile, NULL));
  gtk_widget_destroy (GTK_WIDGET (window));
}

int
main (int    argc,
      char **argv)
{
  int result;

  gui_test_init (&argc, &argv);

  g_test_add_func ("/gui/entra/connection-passes", test_connection_entra_passes);
  g_test_add_func ("/gui/entra/wrong-secret", test_connection_entra_wrong_secret);
  g_test_add_func ("/gui/entra/missing-permission", test_connection_entra_missing_permission);
  g_test_add_func ("/gui/entra/unknown-tenant-and-app", test_connection_entra_unknown_tenant_and_app);
  g_test_add_func ("/gui/entra/user-mapping-group", test_user_mapping_entra_group);
  g_test_add_func ("/gui/entra/collection-mapping", test_collection_mapping_entra);

  result = g_test_run ();
  gui_test_stop_servers ();
  return result;
}
