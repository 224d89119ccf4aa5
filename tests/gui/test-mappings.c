/* test-mappings.c — setup mistakes caught on the mapping pages
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Real widgets under Xvfb, against slapd --demo (320 people in six
 * departments nested in "All Staff"; Finance has 53) and the Asset Panda
 * emulator: the overlap warning and its count, the order of user mappings
 * (saved, and honoured by a sync's plan), editing a mapping in place with
 * its sync state, what a greyed-out Done waits for, names instead of ids
 * in rows loaded from disk, and the collection's field rows.
 */

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "gui-test-util.h"
#include "pages/ps-collection-mapping-page.h"
#include "pages/ps-user-mapping-page.h"
#include "ps-engine.h"
#include "ps-plan.h"
#include "ps-secret-store.h"
#include "ps-state.h"
#include "ps-window.h"
#include "widgets/ps-attribute-combo.h"
#include "widgets/ps-choice-combo.h"
#include "widgets/ps-mapping-row.h"

#define FINANCE_SIZE 53

/* ---------------------------------------------------------------- helpers */

/* Waits for @combo's choices and picks the one named @name. */
static void
choose_named (PsChoiceCombo *combo,
              const char    *name)
{
  GPtrArray *choices;

  g_assert_true (gui_test_wait (gui_test_combo_ready, combo, 20000));
  choices = ps_choice_combo_get_choices (combo);
  for (guint i = 0; i < choices->len; i++)
    {
      const PsGuiChoice *choice = g_ptr_array_index (choices, i);

      if (g_strcmp0 (choice->name, name) == 0)
        {
          g_assert_true (ps_choice_combo_set_active_id (combo, choice->id));
          return;
        }
    }
  g_error ("no choice named %s", name);
}

/* Fills the user mapping form (the first account and module, @role and
 * @group) and clicks Add. */
static void
add_user_mapping (PsWizardPage *page,
                  const char   *role,
                  const char   *group)
{
  GType type = PS_TYPE_USER_MAPPING_PAGE;

  gui_test_choose_first (gui_test_child (page, type, "account_combo"));
  gui_test_choose_first (gui_test_child (page, type, "module_combo"));
  choose_named (gui_test_child (page, type, "role_combo"), role);
  gui_test_search_group (page, type, group);
  g_assert_cmpstr (ps_choice_combo_get_active (gui_test_child (page, type, "group_combo"))->name, ==, group);
  g_assert_true (gtk_widget_get_sensitive (gui_test_child (page, type, "add_button")));
  gtk_button_clicked (gui_test_child (page, type, "add_button"));
}

/* The mapping rows of @page's list, in order. */
static GPtrArray *
mapping_rows (PsWizardPage *page,
              GType         type)
{
  g_autoptr(GList) children = gtk_container_get_children (gui_test_child (page, type, "mappings_list"));
  GPtrArray *rows = g_ptr_array_new ();

  for (GList *l = children; l != NULL; l = l->next)
    if (PS_IS_MAPPING_ROW (l->data))
      g_ptr_array_add (rows, l->data);
  return rows;
}

static gboolean
overlap_counted (gpointer page)
{
  GtkLabel *label = gui_test_child (page, PS_TYPE_USER_MAPPING_PAGE, "overlap_label");

  return gtk_widget_get_visible (GTK_WIDGET (label))
         && !g_str_has_prefix (gtk_label_get_text (label), "Counting");
}

/* The second row of the user mappings says who takes its people. */
static gboolean
second_row_claims (gpointer data)
{
  gpointer *parts = data;
  g_autoptr(GPtrArray) rows = mapping_rows (parts[0], PS_TYPE_USER_MAPPING_PAGE);
  const char *claims;

  if (rows->len < 2)
    return FALSE;
  claims = ps_mapping_row_get_claims (rows->pdata[1]);
  return claims != NULL && strstr (claims, parts[1]) != NULL && ps_mapping_row_get_claims (rows->pdata[0]) == NULL;
}

static PsMappingPlan *
find_plan (PsPlan     *plan,
           const char *name)
{
  for (guint i = 0; i < plan->mappings->len; i++)
    {
      PsMappingPlan *mp = g_ptr_array_index (plan->mappings, i);

      if (g_strcmp0 (mp->name, name) == 0)
        return mp;
    }
  g_error ("no plan for %s", name);
  return NULL;
}

static guint
count_claimed_skips (const PsMappingPlan *mp)
{
  guint n = 0;

  for (guint i = 0; i < mp->actions->len; i++)
    {
      const PsAction *a = g_ptr_array_index (mp->actions, i);

      if (a->kind == PS_ACTION_SKIP && a->reason != NULL && strstr (a->reason, "already managed by") != NULL)
        n++;
    }
  return n;
}

/* How many of the emulator's active users have the role @role. */
static guint
users_with_role (gint64 role)
{
  const GuiTestTarget *target = gui_test_start_emulator ();
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (target->url, "/_admin/state", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = soup_session_send_and_read (session, msg, NULL, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *users;
  guint n = 0;

  g_assert_nonnull (body);
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), -1, NULL));
  users = json_object_get_array_member (json_object_get_object_member (
              json_node_get_object (json_parser_get_root (parser)), "classic"), "users");
  for (guint i = 0; i < json_array_get_length (users); i++)
    {
      JsonObject *u = json_array_get_object_element (users, i);

      if (json_object_get_int_member (u, "template_rule_id") == role
          && json_object_get_boolean_member (u, "is_active")
          && !json_object_get_null_member (u, "integ_ad_sid"))
        n++;
    }
  return n;
}

/* A run of @profile as the engine plans it: a preview writes nothing. */
static PsSyncResult *
run (PsProfile *profile,
     gboolean   dry_run)
{
  g_autoptr(PsEngine) engine = ps_engine_new (profile);
  g_autoptr(GError) error = NULL;
  PsSyncOptions options = { 0 };
  PsSyncResult *result;

  options.dry_run = dry_run;
  result = ps_engine_run_sync (engine, &options, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  return result;
}

static gboolean
mapping_renamed (gpointer data)
{
  gpointer *pair = data;

  return ps_profile_find_mapping (pair[0], pair[1]) != NULL;
}

static gboolean
combo_has_active (gpointer data)
{
  gpointer *pair = data;

  return g_strcmp0 (ps_choice_combo_get_active_id (pair[0]), pair[1]) == 0;
}

static void
wait_for_choice (PsChoiceCombo *combo,
                 const char    *id)
{
  gpointer pair[] = { combo, (gpointer) id };

  g_assert_true (gui_test_wait (combo_has_active, pair, 20000));
}

/* ---------------------------------------------------------------- tests */

/* Finance → Manager added after All Staff → Basic: 53 people are in both,
 * the page says so with the count, and the earlier mapping wins until
 * Finance is moved up; the order is saved and a sync's plan follows it. */
static void
test_overlap_and_order (void)
{
  const GuiTestDirectory *dir;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  g_autoptr(PsProfile) again = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *file = NULL;
  PsWindow *window;
  PsWizardPage *page;
  GtkLabel *overlap;
  GType type = PS_TYPE_USER_MAPPING_PAGE;
  const char *staff = "All Staff to Basic";
  const char *finance = "Finance to Manager";

  if (!gui_test_need_ldap_servers (&dir, &tgt))
    return;
  profile = gui_test_ldap_profile ("overlap", dir, tgt, PS_DIALECT_AUTO, NULL);
  window = gui_test_show_window (profile, FALSE);
  g_assert_true (ps_window_show_page (window, "user-mapping"));
  page = ps_window_get_page (window, "user-mapping");
  overlap = gui_test_child (page, type, "overlap_label");

  /* The first mapping overlaps nothing: no warning. */
  add_user_mapping (page, "Basic", "All Staff");
  g_assert_nonnull (ps_profile_find_mapping (profile, staff));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (overlap)));

  /* The second: counted through the source, in a worker. */
  choose_named (gui_test_child (page, type, "role_combo"), "Manager");
  gui_test_search_group (page, type, "Finance");
  g_assert_true (gui_test_wait (overlap_counted, page, 30000));
  text = g_strdup (gtk_label_get_text (overlap));
  g_test_message ("overlap: %s", text);
  g_assert_nonnull (strstr (text, "53 people of Finance are also in All Staff → Basic"));
  g_assert_nonnull (strstr (text, "the first mapping that matches wins, and that one comes first"));
  g_free (gui_test_screenshot (GTK_WIDGET (window), "page-user-mapping-overlap"));
  gtk_button_clicked (gui_test_child (page, type, "add_button"));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (overlap)));
  /* Once added, its row keeps saying so. */
  {
    gpointer parts[] = { page, (gpointer) "53 of its people are managed by mapping 1 (All Staff), which matches first." };
    g_assert_true (gui_test_wait (second_row_claims, parts, 30000));
  }

  /* The order is shown; the first cannot go up, the last not down. */
  rows = mapping_rows (page, type);
  g_assert_cmpuint (rows->len, ==, 2);
  g_assert_cmpstr (ps_mapping_row_get_mapping_name (rows->pdata[0]), ==, staff);
  g_assert_cmpstr (gtk_label_get_text (gui_test_child (rows->pdata[0], PS_TYPE_MAPPING_ROW, "position_label")),
                   ==, "1");
  g_assert_cmpstr (gtk_label_get_text (gui_test_child (rows->pdata[1], PS_TYPE_MAPPING_ROW, "position_label")),
                   ==, "2");
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (ps_mapping_row_get_move_button (rows->pdata[0], -1))));
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (ps_mapping_row_get_move_button (rows->pdata[1], 1))));
  g_assert_cmpstr (atk_object_get_name (gtk_widget_get_accessible (
                     GTK_WIDGET (ps_mapping_row_get_move_button (rows->pdata[1], -1)))), ==, "Move up");
  g_assert_cmpstr (atk_object_get_name (gtk_widget_get_accessible (
                     GTK_WIDGET (ps_mapping_row_get_edit_button (rows->pdata[1])))), ==, "Edit");

  /* As saved: All Staff first, so Finance's 53 stay Basic. */
  {
    g_autoptr(PsSyncResult) result = run (profile, TRUE);

    g_assert_cmpuint (count_claimed_skips (find_plan (result->plan, finance)), ==, FINANCE_SIZE);
    g_assert_cmpuint (count_claimed_skips (find_plan (result->plan, staff)), ==, 0);
  }

  /* Finance up: saved in that order, and the plan follows it. */
  gtk_button_clicked (ps_mapping_row_get_move_button (rows->pdata[1], -1));
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = mapping_rows (page, type);
  g_assert_cmpstr (ps_mapping_row_get_mapping_name (rows->pdata[0]), ==, finance);
  g_assert_cmpstr (gtk_label_get_text (gui_test_child (rows->pdata[0], PS_TYPE_MAPPING_ROW, "position_label")),
                   ==, "1");
  {
    gpointer parts[] = { page, (gpointer) "53 of its people are managed by mapping 1 (Finance), which matches first." };
    g_assert_true (gui_test_wait (second_row_claims, parts, 30000));
  }
  g_free (gui_test_screenshot (GTK_WIDGET (window), "page-user-mapping-order"));
  file = gui_test_read_profile_file (profile);
  g_assert_true (strstr (file, "[UserMapping Finance to Manager]") < strstr (file, "[UserMapping All Staff to Basic]"));
  again = ps_profile_load_file (ps_profile_get_path (profile), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (((PsMapping *) g_ptr_array_index (ps_profile_get_mappings (again), 0))->name, ==, finance);
  {
    g_autoptr(PsSyncResult) result = run (again, TRUE);
    PsMappingPlan *fin = find_plan (result->plan, finance);

    g_assert_cmpuint (count_claimed_skips (fin), ==, 0);
    g_assert_cmpuint (fin->actions->len, ==, FINANCE_SIZE);
    g_assert_cmpuint (count_claimed_skips (find_plan (result->plan, staff)), ==, FINANCE_SIZE);
  }
  /* And a real run writes it: Finance's people are invited as Managers,
   * everyone else as Basic. */
  {
    g_autoptr(PsSyncResult) result = run (again, FALSE);
    guint invited_finance = ps_mapping_plan_count (find_plan (result->plan, finance), PS_ACTION_CREATE);
    guint invited_staff = ps_mapping_plan_count (find_plan (result->plan, staff), PS_ACTION_CREATE);

    g_test_message ("invited: %u of Finance, %u of the rest", invited_finance, invited_staff);
    g_assert_cmpuint (invited_finance, >, 40);
    g_assert_cmpuint (users_with_role (30134), ==, invited_finance);
    g_assert_cmpuint (users_with_role (30135), ==, invited_staff);
  }

  /* Editing All Staff (now second) says it comes after Finance. */
  gtk_button_clicked (ps_mapping_row_get_edit_button (rows->pdata[1]));
  wait_for_choice (gui_test_child (page, type, "group_combo"),
                   ps_profile_find_mapping (profile, staff)->group);
  g_assert_true (gui_test_wait (overlap_counted, page, 30000));
  g_test_message ("overlap while editing: %s", gtk_label_get_text (overlap));
  g_assert_nonnull (strstr (gtk_label_get_text (overlap), "53 people of All Staff are also in Finance → Manager"));
  gtk_button_clicked (gui_test_child (page, type, "cancel_edit_button"));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (overlap)));
  gtk_widget_destroy (GTK_WIDGET (window));
}

/* Edit fills the form; saving replaces the mapping in place, keeps what the
 * form does not show, and a new name takes the sync state with it. */
static void
test_edit_keeps_state (void)
{
  const GuiTestDirectory *dir;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  g_autoptr(PsState) state = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *state_path = NULL;
  PsWindow *window;
  PsWizardPage *page;
  PsMapping *m;
  GType type = PS_TYPE_USER_MAPPING_PAGE;
  const char *old_name = "Sales to Basic";
  const char *new_name = "Sales to Admin";

  if (!gui_test_need_ldap_servers (&dir, &tgt))
    return;
  profile = gui_test_ldap_profile ("edit", dir, tgt, PS_DIALECT_AUTO, NULL);
  window = gui_test_show_window (profile, FALSE);
  g_assert_true (ps_window_show_page (window, "user-mapping"));
  page = ps_window_get_page (window, "user-mapping");
  add_user_mapping (page, "Basic", "Sales");
  add_user_mapping (page, "Basic", "Support");
  /* Settings the form does not show, and people it manages. */
  m = ps_profile_find_mapping (profile, old_name);
  g_assert_nonnull (m);
  m->deactivation_threshold = 7;
  m->match_only = TRUE;
  ps_profile_save (profile, &error);
  g_assert_no_error (error);
  state_path = ps_profile_dup_state_path (profile);
  state = ps_state_open (state_path, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *anchor = g_strdup_printf ("S-1-5-21-1-2-3-%u", 1000 + i);
      g_autoptr(PsLink) link = ps_link_new (anchor, "42");

      g_assert_true (ps_state_put_link (state, old_name, link, &error));
      g_assert_no_error (error);
    }

  rows = mapping_rows (page, type);
  gtk_button_clicked (ps_mapping_row_get_edit_button (rows->pdata[0]));
  /* The form fills in as its lists load; the row is marked. */
  wait_for_choice (gui_test_child (page, type, "role_combo"), m->role);
  wait_for_choice (gui_test_child (page, type, "group_combo"), m->group);
  g_assert_true (gtk_widget_get_visible (gui_test_child (page, type, "cancel_edit_button")));
  g_assert_cmpstr (gtk_button_get_label (gui_test_child (page, type, "add_button")), ==, "S_ave");
  g_assert_false (ps_wizard_page_get_complete (page));
  g_assert_cmpstr (ps_wizard_page_get_incomplete_reason (page), ==,
                   "Save the mapping you are editing, or cancel the edit");
  g_free (gui_test_screenshot (GTK_WIDGET (window), "page-user-mapping-edit"));

  /* Only an attribute changes: same name, same place. */
  gui_test_type (ps_attribute_combo_get_entry (gui_test_child (page, type, "email_combo")), "mail");
  gtk_button_clicked (gui_test_child (page, type, "add_button"));
  m = g_ptr_array_index (ps_profile_get_mappings (profile), 0);
  g_assert_cmpstr (m->name, ==, old_name);
  g_assert_cmpstr (m->email_attr, ==, "mail");
  g_assert_cmpint (m->deactivation_threshold, ==, 7);
  g_assert_true (m->match_only);
  g_assert_true (ps_wizard_page_get_complete (page));

  /* Another role: a new name, and the state follows it. */
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = mapping_rows (page, type);
  gtk_button_clicked (ps_mapping_row_get_edit_button (rows->pdata[0]));
  wait_for_choice (gui_test_child (page, type, "group_combo"), m->group);
  choose_named (gui_test_child (page, type, "role_combo"), "Admin");
  gtk_button_clicked (gui_test_child (page, type, "add_button"));
  {
    gpointer pair[] = { profile, (gpointer) new_name };
    g_assert_true (gui_test_wait (mapping_renamed, pair, 20000));
  }
  g_assert_null (ps_profile_find_mapping (profile, old_name));
  m = g_ptr_array_index (ps_profile_get_mappings (profile), 0);
  g_assert_cmpstr (m->name, ==, new_name);
  g_assert_cmpstr (m->email_attr, ==, "mail");
  g_assert_cmpint (m->deactivation_threshold, ==, 7);
  g_assert_cmpuint (ps_state_count_links (state, new_name, FALSE), ==, 3);
  g_assert_cmpuint (ps_state_count_links (state, old_name, FALSE), ==, 0);
  {
    g_autofree char *file = gui_test_read_profile_file (profile);

    g_assert_nonnull (strstr (file, "[UserMapping Sales to Admin]"));
    g_assert_null (strstr (file, "[UserMapping Sales to Basic]"));
    g_assert_true (strstr (file, "[UserMapping Sales to Admin]") < strstr (file, "[UserMapping Support to Basic]"));
  }

  /* Onto another mapping's name: refused, with the reason. */
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = mapping_rows (page, type);
  gtk_button_clicked (ps_mapping_row_get_edit_button (rows->pdata[1]));
  wait_for_choice (gui_test_child (page, type, "group_combo"),
                   ps_profile_find_mapping (profile, "Support to Basic")->group);
  gui_test_search_group (page, type, "Sales");
  choose_named (gui_test_child (page, type, "role_combo"), "Admin");
  gtk_button_clicked (gui_test_child (page, type, "add_button"));
  g_assert_true (gtk_widget_get_visible (gui_test_child (page, type, "save_error_label")));
  g_test_message ("refused: %s", gtk_label_get_text (gui_test_child (page, type, "save_error_label")));
  g_assert_nonnull (strstr (gtk_label_get_text (gui_test_child (page, type, "save_error_label")),
                            "Another mapping is already called “Sales to Admin”"));
  g_assert_nonnull (ps_profile_find_mapping (profile, "Support to Basic"));
  gtk_button_clicked (gui_test_child (page, type, "cancel_edit_button"));
  g_assert_true (ps_wizard_page_get_complete (page));
  gtk_widget_destroy (GTK_WIDGET (window));
}

/* A greyed-out Done says what it waits for, beside it. */
static void
test_done_reason (void)
{
  const GuiTestDirectory *dir;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  PsWindow *window;
  PsWizardPage *page;
  GtkWidget *forward;
  GtkLabel *missing;
  GType type = PS_TYPE_USER_MAPPING_PAGE;

  if (!gui_test_need_ldap_servers (&dir, &tgt))
    return;
  profile = gui_test_ldap_profile ("done", dir, tgt, PS_DIALECT_AUTO, NULL);
  window = gui_test_show_window (profile, FALSE);
  forward = GTK_WIDGET (ps_window_get_forward_button (window));
  missing = gui_test_child (window, PS_TYPE_WINDOW, "missing_label");

  /* Collection Mapping with no mapping at all: Done cannot end the wizard. */
  g_assert_true (ps_window_show_page (window, "collection-mapping"));
  page = ps_window_get_page (window, "collection-mapping");
  gui_test_settle (100);
  g_assert_false (gtk_widget_get_sensitive (forward));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (missing)));
  g_test_message ("collection page: %s", gtk_label_get_text (missing));
  g_assert_cmpstr (gtk_label_get_text (missing), ==, ps_wizard_page_get_incomplete_reason (page));
  g_assert_nonnull (ps_wizard_page_get_incomplete_reason (page));

  /* User Mapping: a group picked, no role yet. */
  g_assert_true (ps_window_show_page (window, "user-mapping"));
  page = ps_window_get_page (window, "user-mapping");
  g_assert_true (ps_wizard_page_get_complete (page));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (missing)));
  gui_test_choose_first (gui_test_child (page, type, "account_combo"));
  gui_test_choose_first (gui_test_child (page, type, "module_combo"));
  g_assert_true (gui_test_wait (gui_test_combo_ready, gui_test_child (page, type, "role_combo"), 20000));
  gui_test_search_group (page, type, "Finance");
  g_assert_false (gtk_widget_get_sensitive (forward));
  g_assert_cmpstr (gtk_label_get_text (missing), ==, "Choose a role");
  {
    g_autofree char *tooltip = gtk_widget_get_tooltip_text (forward);
    g_assert_cmpstr (tooltip, ==, "Choose a role");
  }
  g_assert_cmpstr (atk_object_get_description (gtk_widget_get_accessible (forward)), ==, "Choose a role");
  /* The email attribute emptied: that is what it says next. */
  choose_named (gui_test_child (page, type, "role_combo"), "Basic");
  gui_test_type (ps_attribute_combo_get_entry (gui_test_child (page, type, "email_combo")), "");
  g_assert_cmpstr (gtk_label_get_text (missing), ==, "Map the email attribute");
  g_free (gui_test_screenshot (GTK_WIDGET (window), "done-reason"));
  gui_test_type (ps_attribute_combo_get_entry (gui_test_child (page, type, "email_combo")), "mail");
  g_assert_cmpstr (gtk_label_get_text (missing), ==, "Add the mapping of “Finance”, or clear the group");
  gtk_button_clicked (gui_test_child (page, type, "add_button"));
  g_assert_true (gtk_widget_get_sensitive (forward));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (missing)));
  gtk_widget_destroy (GTK_WIDGET (window));
}

/* Rows loaded from disk name roles, accounts, collections and fields at
 * once: Asset Panda is not even reachable then. */
static void
test_names_after_reload (void)
{
  const GuiTestDirectory *dir;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  g_autoptr(PsProfile) again = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  PsWindow *window;
  PsWizardPage *page;
  const PsMapping *m;
  GType ctype = PS_TYPE_COLLECTION_MAPPING_PAGE;

  if (!gui_test_need_ldap_servers (&dir, &tgt))
    return;
  profile = gui_test_ldap_profile ("names", dir, tgt, PS_DIALECT_AUTO, NULL);
  window = gui_test_show_window (profile, FALSE);
  g_assert_true (ps_window_show_page (window, "user-mapping"));
  add_user_mapping (ps_window_get_page (window, "user-mapping"), "Manager", "IT");
  g_assert_true (ps_window_show_page (window, "collection-mapping"));
  page = ps_window_get_page (window, "collection-mapping");
  gui_test_choose_first (gui_test_child (page, ctype, "account_combo"));
  gui_test_choose_first (gui_test_child (page, ctype, "module_combo"));
  choose_named (gui_test_child (page, ctype, "collection_combo"), "Employees");
  g_assert_true (gui_test_wait (gui_test_fields_loaded, page, 20000));
  gui_test_search_group (page, ctype, "IT");
  gtk_button_clicked (gui_test_child (page, ctype, "add_button"));
  gtk_widget_destroy (GTK_WIDGET (window));
  m = ps_profile_find_mapping (profile, "IT to Manager");
  g_assert_nonnull (m);

  /* The same profile from disk, with Asset Panda out of reach. */
  again = ps_profile_load_file (ps_profile_get_path (profile), &error);
  g_assert_no_error (error);
  g_free (ps_profile_get_target (again)->url);
  ps_profile_get_target (again)->url = g_strdup ("http://127.0.0.1:9");
  window = gui_test_show_window (again, FALSE);
  g_assert_true (ps_window_show_page (window, "user-mapping"));
  rows = mapping_rows (ps_window_get_page (window, "user-mapping"), PS_TYPE_USER_MAPPING_PAGE);
  g_assert_cmpuint (rows->len, ==, 1);
  g_test_message ("user row: %s / %s", ps_mapping_row_get_title (rows->pdata[0]),
                  ps_mapping_row_get_subtitle (rows->pdata[0]));
  g_assert_cmpstr (ps_mapping_row_get_title (rows->pdata[0]), ==, "IT → role Manager");
  /* Classic's API names no account: "Account 21040" is the name it was listed by. */
  g_test_message ("account %s, module %s, role %s", m->account, m->module, m->role);
  g_assert_true (g_str_has_prefix (ps_mapping_row_get_subtitle (rows->pdata[0]), "Account 21040 › Default · "));
  g_assert_null (strstr (ps_mapping_row_get_title (rows->pdata[0]), m->role));
  g_clear_pointer (&rows, g_ptr_array_unref);
  g_assert_true (ps_window_show_page (window, "collection-mapping"));
  rows = mapping_rows (ps_window_get_page (window, "collection-mapping"), ctype);
  g_assert_cmpuint (rows->len, ==, 1);
  g_test_message ("collection row: %s / %s", ps_mapping_row_get_title (rows->pdata[0]),
                  ps_mapping_row_get_subtitle (rows->pdata[0]));
  g_assert_cmpstr (ps_mapping_row_get_title (rows->pdata[0]), ==, "IT → collection Employees");
  g_assert_nonnull (strstr (ps_mapping_row_get_subtitle (rows->pdata[0]),
                            "First Name ← givenName, Last Name ← sn, Email ← mail|userPrincipalName"));
  g_assert_null (strstr (ps_mapping_row_get_subtitle (rows->pdata[0]), "field_"));
  g_free (gui_test_screenshot (GTK_WIDGET (window), "mapping-rows-names"));
  gtk_widget_destroy (GTK_WIDGET (window));
}

static gboolean
row_names_fields (gpointer page)
{
  g_autoptr(GPtrArray) rows = mapping_rows (page, PS_TYPE_COLLECTION_MAPPING_PAGE);

  return rows->len == 1 && strstr (ps_mapping_row_get_subtitle (rows->pdata[0]), "Department ← department") != NULL;
}

/* A mapping written by hand, whose fields were never listed: the page lists
 * them once in the background, and the row then names them. */
static void
test_names_listed_for_rows (void)
{
  const GuiTestDirectory *dir;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  PsMapping *m;
  PsWindow *window;
  PsWizardPage *page;

  if (!gui_test_need_ldap_servers (&dir, &tgt))
    return;
  profile = gui_test_ldap_profile ("unlisted", dir, tgt, PS_DIALECT_AUTO, NULL);
  m = ps_mapping_new (PS_MAPPING_COLLECTION, "Staff records");
  m->account = g_strdup ("21040");
  m->collection = g_strdup ("82677");
  m->group = g_strdup ("All Staff");
  m->group_name = g_strdup ("All Staff");
  ps_mapping_add_field (m, "field_4", "department", PS_OWNERSHIP_FILL_EMPTY);
  ps_profile_add_mapping (profile, m);
  ps_profile_save (profile, &error);
  g_assert_no_error (error);

  window = gui_test_show_window (profile, FALSE);
  g_assert_true (ps_window_show_page (window, "collection-mapping"));
  page = ps_window_get_page (window, "collection-mapping");
  rows = mapping_rows (page, PS_TYPE_COLLECTION_MAPPING_PAGE);
  g_assert_cmpuint (rows->len, ==, 1);
  g_test_message ("before: %s", ps_mapping_row_get_subtitle (rows->pdata[0]));
  g_assert_true (gui_test_wait (row_names_fields, page, 20000));
  gtk_widget_destroy (GTK_WIDGET (window));
}

static gboolean
row_in_view (gpointer data)
{
  gpointer *parts = data;
  GtkWidget *row = parts[0];
  GtkScrolledWindow *scrolled = parts[1];
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (scrolled);
  GtkWidget *viewport = gtk_bin_get_child (GTK_BIN (scrolled));
  int x = 0, y = 0;
  GtkAllocation allocation;

  gtk_widget_get_allocation (row, &allocation);
  if (allocation.height <= 1
      || !gtk_widget_translate_coordinates (row, gtk_bin_get_child (GTK_BIN (viewport)), 0, 0, &x, &y))
    return FALSE;
  return y >= gtk_adjustment_get_value (adjustment)
         && y + allocation.height <= gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment);
}

/* Headings, the email and name rows to start with, no field twice, room
 * for userPrincipalName, and a new row scrolled into view. */
static void
test_field_rows (void)
{
  const GuiTestDirectory *dir;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  PsWindow *window;
  PsWizardPage *page;
  GtkComboBox *field;
  PsAttributeCombo *attribute;
  GType type = PS_TYPE_COLLECTION_MAPPING_PAGE;
  const char *want[][2] = {
    { "field_1", "givenName" }, { "field_2", "sn" }, { "field_3", "mail|userPrincipalName" }
  };

  if (!gui_test_need_ldap_servers (&dir, &tgt))
    return;
  profile = gui_test_ldap_profile ("fields", dir, tgt, PS_DIALECT_AUTO, NULL);
  window = gui_test_show_window (profile, FALSE);
  gtk_window_resize (GTK_WINDOW (window), 900, 600);
  g_assert_true (ps_window_show_page (window, "collection-mapping"));
  page = ps_window_get_page (window, "collection-mapping");
  gui_test_choose_first (gui_test_child (page, type, "account_combo"));
  gui_test_choose_first (gui_test_child (page, type, "module_combo"));
  choose_named (gui_test_child (page, type, "collection_combo"), "Employees");
  g_assert_true (gui_test_wait (gui_test_fields_loaded, page, 20000));

  /* The rows a new collection starts with. */
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      g_autofree char *spec = NULL;

      gui_test_field_row_parts (page, i, &field, &attribute, NULL);
      spec = ps_attribute_combo_dup_spec (attribute);
      g_assert_cmpstr (gtk_combo_box_get_active_id (field), ==, want[i][0]);
      g_assert_cmpstr (spec, ==, want[i][1]);
    }

  /* A new row offers none of them, nor the status field. */
  gtk_button_clicked (gui_test_child (page, type, "add_field_button"));
  gui_test_field_row_parts (page, 3, &field, &attribute, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    g_assert_false (gui_test_combo_offers (field, want[i][0]));
  g_assert_false (gui_test_combo_offers (field, "field_8"));
  g_assert_true (gui_test_combo_offers (field, "field_4"));
  /* userPrincipalName fits its entry. */
  {
    GtkWidget *entry = GTK_WIDGET (ps_attribute_combo_get_entry (attribute));
    PangoLayout *layout = gtk_widget_create_pango_layout (entry, "userPrincipalName");
    int text_width = 0;

    gui_test_settle (100);
    pango_layout_get_pixel_size (layout, &text_width, NULL);
    g_object_unref (layout);
    g_test_message ("userPrincipalName: %d px in an entry of %d px", text_width,
                    gtk_widget_get_allocated_width (entry));
    g_assert_cmpint (gtk_widget_get_allocated_width (entry), >, text_width);
  }
  /* Once a row takes a field, the others stop offering it; freed again on removal. */
  gtk_combo_box_set_active_id (field, "field_4");
  {
    GtkComboBox *first;
    PsAttributeCombo *first_attribute;

    gui_test_field_row_parts (page, 0, &first, &first_attribute, NULL);
    g_assert_false (gui_test_combo_offers (first, "field_4"));
    g_assert_true (gui_test_combo_offers (first, "field_1"));
  }
  gui_test_type (ps_attribute_combo_get_entry (attribute), "userPrincipalName");

  /* More rows than the form shows: the newest scrolls into view. */
  for (guint i = 0; i < 3; i++)
    gtk_button_clicked (gui_test_child (page, type, "add_field_button"));
  {
    GtkBox *fields = gui_test_child (page, type, "fields_box");
    g_autoptr(GList) children = gtk_container_get_children (GTK_CONTAINER (fields));
    gpointer parts[] = { g_list_last (children)->data, gui_test_child (page, type, "form_scrolled") };

    g_assert_true (gui_test_wait (row_in_view, parts, 5000));
  }
  g_free (gui_test_screenshot (GTK_WIDGET (window), "page-collection-mapping-fields"));
  gtk_widget_destroy (GTK_WIDGET (window));
}

int
main (int    argc,
      char **argv)
{
  int result;

  gui_test_init (&argc, &argv);
  g_test_add_func ("/gui/mappings/overlap-and-order", test_overlap_and_order);
  g_test_add_func ("/gui/mappings/edit-keeps-state", test_edit_keeps_state);
  g_test_add_func ("/gui/mappings/done-reason", test_done_reason);
  g_test_add_func ("/gui/mappings/names-after-reload", test_names_after_reload);
  g_test_add_func ("/gui/mappings/names-listed-for-rows", test_names_listed_for_rows);
  g_test_add_func ("/gui/mappings/field-rows", test_field_rows);
  result = g_test_run ();
  gui_test_stop_servers ();
  return result;
}
