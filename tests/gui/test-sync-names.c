/* test-sync-names.c — Asset Panda's names, not its ids, in the Preview,
 * History and the CSV export; the empty log and the empty preview
 *
 * Against a real slapd and the Asset Panda emulator (its seed: the role
 * Basic is 30135, the collection Employees is 82677, its field_1 is "First
 * Name"). The tests run in order on one profile whose mappings keep to the
 * Sales department: the log before any run, a Preview, its run in History
 * and as CSV, then an apply and a Preview with nothing left to do.
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include "gui-test-util.h"
#include "pages/ps-history-page.h"
#include "pages/ps-sync-page.h"
#include "ps-engine.h"
#include "ps-names.h"
#include "ps-secret-store.h"
#include "widgets/ps-plan-sheet.h"

/* The Preview's columns (ps-sync-page.c) and History's (ps-history-page.c). */
enum { PLAN_MAPPING, PLAN_ACTION, PLAN_NAME, PLAN_FIELD, PLAN_OLD, PLAN_NEW };
enum { ACT_MAPPING, ACT_ACTION, ACT_NAME, ACT_CHANGES };

typedef struct {
  GtkWidget *window;
  GtkWidget *page;
} Fixture;

static PsProfile *profile;

static void
make_profile (void)
{
  const GuiTestDirectory *dir = gui_test_start_slapd ();
  const GuiTestTarget *target = gui_test_start_emulator ();

  profile = gui_test_ldap_profile ("sync-names", dir, target, PS_DIALECT_CLASSIC,
                                   gui_test_staff_mapping ("(department=Sales)"),
                                   gui_test_employees_mapping ("(department=Sales)"),
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
  ps_wizard_page_shown (PS_WIZARD_PAGE (f->page));
  gui_test_settle (200);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  gtk_widget_destroy (f->window);
  gui_test_settle (100);
}

static gboolean
label_contains (gpointer data)
{
  gpointer *args = data;
  return strstr (gtk_label_get_text (args[0]), args[1]) != NULL;
}

/* Whether any row's @column holds @needle. */
static gboolean
any_row_contains (GtkTreeModel *model,
                  int           column,
                  const char   *needle)
{
  GtkTreeIter iter;

  for (gboolean ok = gtk_tree_model_get_iter_first (model, &iter); ok; ok = gtk_tree_model_iter_next (model, &iter))
    {
      g_autofree char *value = NULL;

      gtk_tree_model_get (model, &iter, column, &value, -1);
      if (value != NULL && strstr (value, needle) != NULL)
        return TRUE;
    }
  return FALSE;
}

/* ---------------------------------------------------------------- tests */

/* Before any run, the log says so instead of staying blank. */
static void
test_log_before_any_run (Fixture *f, gconstpointer data)
{
  GtkLabel *empty = gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "log_empty_label");
  GtkStack *stack = gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "log_stack");
  gpointer args[] = { empty, (gpointer) "No sync has run yet" };

  g_assert_true (gui_test_wait (label_contains, args, 10000));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "empty");
}

/* The Preview names roles and fields as Asset Panda does. */
static void
test_preview_names (Fixture *f, gconstpointer data)
{
  GtkTreeModel *plan = gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "plan_store");
  GtkTreeIter iter;
  g_autofree char *old_value = NULL;
  g_autofree char *new_value = NULL;
  g_autofree char *first = NULL;

  gtk_button_clicked (gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "preview_button"));
  g_assert_true (gui_test_wait_sync_status (f->page, "Preview ready"));
  g_assert_cmpint (gtk_tree_model_iter_n_children (plan, NULL), >, 0);

  /* Invitations with the role Basic, not "30135". */
  g_assert_true (gui_test_find_row (plan, PLAN_FIELD, "Role", &iter));
  gtk_tree_model_get (plan, &iter, PLAN_NEW, &new_value, -1);
  g_assert_cmpstr (new_value, ==, "Basic");
  g_assert_false (any_row_contains (plan, PLAN_NEW, "30135"));
  /* Records' fields by their labels, not field_1. */
  g_assert_true (gui_test_find_row (plan, PLAN_FIELD, "First Name", &iter));
  gtk_tree_model_get (plan, &iter, PLAN_MAPPING, &first, -1);
  g_assert_cmpstr (first, ==, "Employees");
  g_assert_true (gui_test_find_row (plan, PLAN_FIELD, "Email", &iter));
  g_assert_false (any_row_contains (plan, PLAN_FIELD, "field_"));
  gui_test_screenshot (f->window, "sync-preview-names");
}

static gboolean
runs_listed (gpointer data)
{
  GtkTreeModel *runs = gui_test_child (data, PS_TYPE_HISTORY_PAGE, "runs_store");
  return gtk_tree_model_iter_n_children (runs, NULL) > 0;
}

static gboolean
actions_listed (gpointer data)
{
  GtkStack *stack = gui_test_child (data, PS_TYPE_HISTORY_PAGE, "actions_stack");
  return g_strcmp0 (gtk_stack_get_visible_child_name (stack), "list") == 0 && gui_test_history_idle (data);
}

/* The line of @csv that holds @needle, without its line end. */
static char *
csv_line_with (const char *csv,
               const char *needle)
{
  const char *hit = strstr (csv, needle);
  const char *start;

  if (hit == NULL)
    return NULL;
  for (start = hit; start > csv && start[-1] != '\n'; start--)
    ;
  return g_strndup (start, strcspn (start, "\r\n"));
}

/* History shows the preview's changes by name, and the CSV has run, time,
 * collection, email and anchor; names stay as they were when it ran. */
static void
test_history_names_and_csv (Fixture *f, gconstpointer data)
{
  GtkTreeModel *runs = gui_test_child (f->page, PS_TYPE_HISTORY_PAGE, "runs_store");
  GtkTreeModel *actions = gui_test_child (f->page, PS_TYPE_HISTORY_PAGE, "actions_store");
  g_autofree char *csv_path = g_build_filename (g_get_user_cache_dir (), "names-run.csv", NULL);
  g_autofree char *csv = NULL;
  g_autofree char *staff = NULL;
  g_autofree char *employee = NULL;
  g_autofree char *run_cell = NULL;
  g_autoptr(PsNames) renamed = ps_names_new ();
  g_autoptr(GError) error = NULL;
  GtkTreeIter iter;
  gint64 run_id;

  g_assert_true (gui_test_wait (runs_listed, f->page, 10000));
  g_assert_true (gui_test_wait (actions_listed, f->page, 10000));
  g_assert_true (gtk_tree_model_get_iter_first (runs, &iter));
  gtk_tree_model_get (runs, &iter, 0, &run_id, -1);
  g_assert_true (any_row_contains (actions, ACT_CHANGES, "Role: Basic"));
  g_assert_true (any_row_contains (actions, ACT_CHANGES, "First Name: "));
  g_assert_false (any_row_contains (actions, ACT_CHANGES, "field_"));
  g_assert_false (any_row_contains (actions, ACT_CHANGES, "30135"));
  gui_test_screenshot (f->window, "history-names");

  ps_history_page_export_run (PS_HISTORY_PAGE (f->page), run_id, csv_path);
  g_assert_true (gui_test_wait (gui_test_history_idle, f->page, 10000));
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  g_assert_true (g_str_has_prefix (csv, "\"run\",\"time\",\"mapping\",\"collection\",\"action\",\"person\","
                                   "\"email\",\"anchor\",\"asset panda id\",\"changes\",\"detail\"\r\n"));
  run_cell = g_strdup_printf ("\"%" G_GINT64_FORMAT "\",\"", run_id);
  /* An invitation: the run, its time, "Users", the email, the anchor, the role's name. */
  staff = csv_line_with (csv, "Role: Basic");
  g_assert_nonnull (staff);
  g_test_message ("user row: %s", staff);
  g_assert_true (g_str_has_prefix (staff, run_cell));
  g_assert_true (g_regex_match_simple ("^\"[0-9]+\",\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[+-Z]", staff, 0, 0));
  g_assert_nonnull (strstr (staff, "\",\"Staff\",\"Users\",\"create\",\""));
  g_assert_true (g_regex_match_simple ("\"[^\",]+@[^\",]+\",\"[^\"]+\",\"\",\"", staff, 0, 0));
  /* A record: its collection by name, its fields by label. */
  employee = csv_line_with (csv, "\"Employees\",\"Employees\",\"create\"");
  g_assert_nonnull (employee);
  g_test_message ("record row: %s", employee);
  g_assert_nonnull (strstr (employee, "First Name: "));
  g_assert_null (strstr (csv, "field_1"));

  /* Asset Panda renames the role later: this run still says what it did then. */
  ps_names_set (renamed, PS_NAME_ROLE, NULL, "30135", "Renamed Later");
  g_assert_true (ps_names_remember (profile, renamed, &error));
  gtk_tree_selection_unselect_all (gtk_tree_view_get_selection (gui_test_child (f->page, PS_TYPE_HISTORY_PAGE,
                                                                                "runs_view")));
  gtk_tree_selection_select_iter (gtk_tree_view_get_selection (gui_test_child (f->page, PS_TYPE_HISTORY_PAGE,
                                                                               "runs_view")), &iter);
  g_assert_true (gui_test_wait (actions_listed, f->page, 10000));
  g_assert_true (any_row_contains (actions, ACT_CHANGES, "Role: Basic"));
  g_assert_false (any_row_contains (actions, ACT_CHANGES, "Renamed Later"));
}

static gboolean
sheet_shown (gpointer data)
{
  return ps_plan_sheet_is_shown (gui_test_child (data, PS_TYPE_SYNC_PAGE, "plan_sheet"));
}

static gboolean
leavers_done (gpointer data)
{
  return gtk_widget_get_sensitive (gui_test_child (data, PS_TYPE_HISTORY_PAGE, "leavers_button"))
         && gui_test_history_idle (data);
}

/* The leavers report's CSV from History: after the apply no one is
 * Inactive, so the file is its header alone, in the report's columns. */
static void
test_leavers_csv (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "leavers.csv", NULL);
  g_autofree char *csv = NULL;
  GList *toplevels;

  g_assert_false (ps_history_page_export_leavers (PS_HISTORY_PAGE (f->page), path));
  gtk_button_clicked (gui_test_child (f->page, PS_TYPE_HISTORY_PAGE, "leavers_button"));
  g_assert_true (gui_test_wait (leavers_done, f->page, 30000));
  toplevels = gtk_window_list_toplevels ();
  for (GList *l = toplevels; l != NULL; l = l->next)
    if (GTK_IS_DIALOG (l->data))
      gtk_widget_destroy (l->data);
  g_list_free (toplevels);
  g_assert_true (ps_history_page_export_leavers (PS_HISTORY_PAGE (f->page), path));
  g_assert_true (gui_test_wait (gui_test_history_idle, f->page, 10000));
  g_assert_true (g_file_get_contents (path, &csv, NULL, NULL));
  g_assert_cmpstr (csv, ==, "\"person\",\"email\",\"anchor\",\"collection\",\"asset\",\"asset id\","
                   "\"field\",\"mapping\",\"run\",\"time\"\r\n");
}

/* After the apply, a Preview has nothing to change, and says so. */
static void
test_empty_preview (Fixture *f, gconstpointer data)
{
  GtkStack *plan_stack = gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "plan_stack");
  GtkWidget *empty;
  g_autofree char *text = NULL;

  gtk_button_clicked (gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "start_button"));
  g_assert_true (gui_test_wait (sheet_shown, f->page, 60000));
  gtk_button_clicked (gui_test_child (gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "plan_sheet"),
                                      PS_TYPE_PLAN_SHEET, "apply_button"));
  g_assert_true (gui_test_wait_sync_status (f->page, "finished: succeeded"));

  gtk_button_clicked (gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "preview_button"));
  g_assert_true (gui_test_wait_sync_status (f->page, "Preview ready"));
  {
    GtkTreeModel *plan = gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "plan_filter");
    GtkTreeIter iter;
    guint n = 0;

    /* Whatever it still plans, for the log when this fails. */
    g_test_message ("shown: %s, %d rows of %d",
                    gtk_combo_box_get_active_id (gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "plan_action_combo")),
                    gtk_tree_model_iter_n_children (plan, NULL),
                    gtk_tree_model_iter_n_children (gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "plan_store"), NULL));
    for (gboolean ok = gtk_tree_model_get_iter_first (plan, &iter); ok && n < 5;
         ok = gtk_tree_model_iter_next (plan, &iter), n++)
      {
        g_autofree char *mapping = NULL, *action = NULL, *name = NULL, *field = NULL, *why = NULL;

        gtk_tree_model_get (plan, &iter, PLAN_MAPPING, &mapping, PLAN_ACTION, &action, PLAN_NAME, &name,
                            PLAN_FIELD, &field, PLAN_NEW + 1, &why, -1);
        g_test_message ("still planned: %s %s %s %s (%s)", mapping, action, name, field, why);
      }
  }
  g_assert_cmpstr (gtk_stack_get_visible_child_name (plan_stack), ==, "empty");
  /* Nothing to apply, and the status line does not ask for it. */
  g_assert_false (gtk_widget_get_sensitive (gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "apply_plan_button")));
  g_assert_true (gui_test_wait_sync_status (f->page, "already up to date"));
  empty = gtk_stack_get_child_by_name (plan_stack, "empty");
  g_assert_true (gtk_widget_get_mapped (empty));
  text = gui_test_labels_text (empty);
  g_test_message ("empty preview: %s", text);
  g_assert_nonnull (strstr (text, "Asset Panda is already up to date"));
  gui_test_screenshot (f->window, "sync-preview-empty");
}

/* A preview that failed is dimmed like the others no more: red, bold, "Failed". */
static void
test_failed_preview (Fixture *f, gconstpointer data)
{
  GtkTreeModel *runs = gui_test_child (f->page, PS_TYPE_HISTORY_PAGE, "runs_store");
  PsMapping *m = ps_mapping_new (PS_MAPPING_COLLECTION, "Broken");
  g_autoptr(PsEngine) engine = NULL;
  g_autoptr(PsSyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *status = NULL;
  g_autofree char *color = NULL;
  PsSyncOptions options = { 0 };
  GtkTreeIter iter;
  int weight = 0;

  m->account = g_strdup ("21040");
  m->collection = g_strdup ("999999");
  m->group = g_strdup ("All Staff");
  ps_profile_add_mapping (profile, m);
  options.only_mapping = (char *) "Broken";
  options.dry_run = TRUE;
  options.trigger = (char *) "manual";
  engine = ps_engine_new (profile);
  result = ps_engine_run_sync (engine, &options, NULL, &error);
  ps_profile_remove_mapping (profile, "Broken");
  g_assert_no_error (error);
  g_assert_cmpint (result->status, ==, PS_RUN_FAILED);

  ps_wizard_page_shown (PS_WIZARD_PAGE (f->page));
  g_assert_true (gui_test_wait (runs_listed, f->page, 10000));
  g_assert_true (gui_test_wait (gui_test_history_idle, f->page, 10000));
  g_assert_true (gtk_tree_model_get_iter_first (runs, &iter));
  gtk_tree_model_get (runs, &iter, 4, &status, 11, &color, 12, &weight, -1);
  g_assert_cmpstr (status, ==, "Preview: Failed");
  g_assert_cmpstr (color, ==, "#c01c28");
  g_assert_cmpint (weight, ==, PANGO_WEIGHT_BOLD);
}

int
main (int    argc,
      char **argv)
{
  int status;

  gui_test_init (&argc, &argv);
  if (!gui_test_ldap_servers_or_skip_all ())
    return 0;
  g_test_add ("/sync-names/log-before-any-run", Fixture, GINT_TO_POINTER (0), fixture_set_up,
              test_log_before_any_run, fixture_tear_down);
  g_test_add ("/sync-names/preview", Fixture, GINT_TO_POINTER (0), fixture_set_up,
              test_preview_names, fixture_tear_down);
  g_test_add ("/sync-names/history-and-csv", Fixture, GINT_TO_POINTER (1), fixture_set_up,
              test_history_names_and_csv, fixture_tear_down);
  g_test_add ("/sync-names/empty-preview", Fixture, GINT_TO_POINTER (0), fixture_set_up,
              test_empty_preview, fixture_tear_down);
  g_test_add ("/sync-names/leavers-csv", Fixture, GINT_TO_POINTER (1), fixture_set_up,
              test_leavers_csv, fixture_tear_down);
  g_test_add ("/sync-names/failed-preview", Fixture, GINT_TO_POINTER (1), fixture_set_up,
              test_failed_preview, fixture_tear_down);
  status = g_test_run ();
  gui_test_stop_servers ();
  return status;
}
