/* test-sync-page.c — the Sync and History pages, driven as an administrator
 * would, against a real slapd and the Asset Panda emulator
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "gui-test-util.h"
#include "pages/ps-history-page.h"
#include "pages/ps-sync-page.h"
#include "ps-engine.h"
#include "ps-secret-store.h"

#define EMPLOYEES 82677

typedef struct {
  GtkWidget *window;
  GtkWidget *page;
} Fixture;

static PsProfile *profile;

/* ---------------------------------------------------------------- helpers */

static JsonNode *
emulator_get (const char *path)
{
  const GuiTestTarget *target = gui_test_start_emulator ();
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (target->url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = soup_session_send_and_read (session, msg, NULL, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_assert_nonnull (body);
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), -1, NULL));
  return json_node_copy (json_parser_get_root (parser));
}

static guint
employee_count (void)
{
  g_autoptr(JsonNode) state = emulator_get ("/_admin/state");
  JsonArray *groups = json_object_get_array_member (
      json_object_get_object_member (json_node_get_object (state), "classic"), "groups");

  for (guint i = 0; i < json_array_get_length (groups); i++)
    {
      JsonObject *g = json_array_get_object_element (groups, i);
      if (json_object_get_int_member (g, "id") == EMPLOYEES)
        return json_array_get_length (json_object_get_array_member (g, "objects"));
    }
  g_assert_not_reached ();
}

static void
make_profile (void)
{
  const GuiTestDirectory *dir = gui_test_start_slapd ();
  const GuiTestTarget *target = gui_test_start_emulator ();

  profile = gui_test_ldap_profile ("sync-page", dir, target, PS_DIALECT_CLASSIC,
                                   gui_test_employees_mapping (NULL),
                                   NULL);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  if (profile == NULL)
    make_profile ();
  f->window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1000, 680);
  f->page = GTK_WIDGET (GPOINTER_TO_INT (data) ? ps_history_page_new (profile) : ps_sync_page_new (profile));
  gtk_container_add (GTK_CONTAINER (f->window), f->page);
  gtk_widget_show_all (f->window);
  gui_test_settle (200);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  gtk_widget_destroy (f->window);
}

/* ---------------------------------------------------------------- tests */

static void
test_preview_then_apply (Fixture *f, gconstpointer data)
{
  GtkButton *preview = gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "preview_button");
  GtkButton *apply = gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "apply_plan_button");
  GtkTreeModel *plan = gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "plan_store");
  guint before = employee_count ();
  g_autofree char *log = NULL;
  g_autofree char *shot = NULL;

  gtk_button_clicked (preview);
  g_assert_true (gui_test_wait_sync_status (f->page, "Preview ready"));
  g_assert_cmpuint (employee_count (), ==, before);
  g_assert_cmpint (gtk_tree_model_iter_n_children (plan, NULL), >, 314);
  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (apply)));
  shot = gui_test_screenshot (f->window, "sync-preview");
  g_test_message ("screenshot %s", shot);

  gtk_button_clicked (apply);
  g_assert_true (gui_test_wait_sync_status (f->page, "finished: succeeded"));
  g_assert_cmpuint (employee_count (), ==, before + 314);
  log = gui_test_sync_log (f->page);
  g_assert_nonnull (strstr (log, "Employees: Read 320 people from the directory"));
  g_assert_nonnull (strstr (log, "Employees: succeeded: 314 created"));
  g_clear_pointer (&shot, g_free);
  shot = gui_test_screenshot (f->window, "sync");
}

static void
test_second_start_writes_nothing (Fixture *f, gconstpointer data)
{
  GtkButton *start = gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "start_button");
  guint before = employee_count ();
  g_autofree char *log = NULL;

  gtk_button_clicked (start);
  g_assert_true (gui_test_wait_sync_status (f->page, "finished: succeeded"));
  g_assert_cmpuint (employee_count (), ==, before);
  log = gui_test_sync_log (f->page);
  g_assert_nonnull (strstr (log, "Employees: succeeded: 0 created, 0 updated"));
}

static void
test_log_filter (Fixture *f, gconstpointer data)
{
  GtkButton *start = gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "start_button");
  GtkEntry *search = gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "log_search");
  GtkComboBox *level = gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "log_level_combo");
  g_autofree char *all = NULL;
  g_autofree char *filtered = NULL;
  g_autofree char *errors = NULL;

  gtk_button_clicked (start);
  g_assert_true (gui_test_wait_sync_status (f->page, "finished"));
  all = gui_test_sync_log (f->page);
  gui_test_type (search, "Connected to");
  gui_test_settle (500);   /* a search entry reports its change after a short pause */
  filtered = gui_test_sync_log (f->page);
  g_assert_nonnull (strstr (filtered, "Connected to"));
  g_assert_null (strstr (filtered, "Reading the members"));
  g_assert_cmpuint (strlen (filtered), <, strlen (all));
  gui_test_type (search, "");
  gui_test_settle (500);
  gtk_combo_box_set_active_id (level, "error");
  errors = gui_test_sync_log (f->page);
  g_assert_cmpstr (errors, ==, "");
}

static gboolean
runs_listed (gpointer data)
{
  GtkTreeModel *runs = gui_test_child (data, PS_TYPE_HISTORY_PAGE, "runs_store");
  return gtk_tree_model_iter_n_children (runs, NULL) >= 4;
}

static gboolean
actions_listed (gpointer data)
{
  GtkTreeModel *actions = gui_test_child (data, PS_TYPE_HISTORY_PAGE, "actions_store");
  return gtk_tree_model_iter_n_children (actions, NULL) > 0;
}

static void
test_history (Fixture *f, gconstpointer data)
{
  GtkTreeView *view = gui_test_child (f->page, PS_TYPE_HISTORY_PAGE, "runs_view");
  GtkTreeModel *runs = gui_test_child (f->page, PS_TYPE_HISTORY_PAGE, "runs_store");
  GtkTreeModel *actions = gui_test_child (f->page, PS_TYPE_HISTORY_PAGE, "actions_store");
  g_autoptr(GtkTreePath) second = gtk_tree_path_new_from_indices (2, -1);
  g_autofree char *status = NULL;
  g_autofree char *shot = NULL;
  GtkTreeIter iter;

  ps_wizard_page_shown (PS_WIZARD_PAGE (f->page));
  g_assert_true (gui_test_wait (runs_listed, f->page, 5000));
  /* Newest first: run 2 (the applied plan) is third from the top. */
  g_assert_true (gtk_tree_model_get_iter (runs, &iter, second));
  gtk_tree_model_get (runs, &iter, 4, &status, -1);
  g_assert_cmpstr (status, ==, "Succeeded");
  gtk_tree_selection_select_path (gtk_tree_view_get_selection (view), second);
  g_assert_true (gui_test_wait (actions_listed, f->page, 10000));
  g_assert_cmpint (gtk_tree_model_iter_n_children (actions, NULL), ==, 320);
  shot = gui_test_screenshot (f->window, "history");
}

int
main (int    argc,
      char **argv)
{
  int status;

  gui_test_init (&argc, &argv);
  if (!gui_test_ldap_servers_or_skip_all ())
    return 0;
  g_test_add ("/sync-page/preview-then-apply", Fixture, GINT_TO_POINTER (0), fixture_set_up,
              test_preview_then_apply, fixture_tear_down);
  g_test_add ("/sync-page/second-start-writes-nothing", Fixture, GINT_TO_POINTER (0), fixture_set_up,
              test_second_start_writes_nothing, fixture_tear_down);
  g_test_add ("/sync-page/log-filter", Fixture, GINT_TO_POINTER (0), fixture_set_up,
              test_log_filter, fixture_tear_down);
  g_test_add ("/history-page/runs-and-actions", Fixture, GINT_TO_POINTER (1), fixture_set_up,
              test_history, fixture_tear_down);
  status = g_test_run ();
  gui_test_stop_servers ();
  return status;
}
