/* test-a11y.c — every page as a screen reader finds it, at 800×600
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs inside tests/with-session.sh --a11y: GTK's AT-SPI bridge is on and
 * the accessibility bus runs on the private session bus. For each page of
 * the wizard and of the main window the test shows the page and lets
 * a11y-walk.py (pyatspi, another process, as Orca would be) walk the window's
 * accessibility tree while this process keeps answering it. The walker fails
 * on an unnamed control and on a label that is not related to its field.
 * Each page is also drawn at 800×600 — plain, with HighContrast and at 200 %
 * text — into $builddir/tests/gui/screenshots/a11y-*.png.
 */

#include <string.h>
#include <unistd.h>

#include "gui-test-util.h"
#include "pages/ps-collection-mapping-page.h"
#include "pages/ps-connection-page.h"
#include "pages/ps-sync-page.h"
#include "pages/ps-user-mapping-page.h"
#include "ps-pages.h"
#include "ps-secret-store.h"
#include "widgets/ps-scope-editor.h"

typedef struct {
  gboolean  done;
  char     *out;
  int       status;
} Walk;

/* ---------------------------------------------------------------- helpers */

static void
on_walk_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Walk *walk = user_data;
  g_autoptr(GError) error = NULL;
  GSubprocess *proc = G_SUBPROCESS (source);

  g_subprocess_communicate_utf8_finish (proc, result, &walk->out, NULL, &error);
  g_assert_no_error (error);
  walk->status = g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc) : -1;
  walk->done = TRUE;
}

static gboolean
walk_done (gpointer data)
{
  return ((Walk *) data)->done;
}

/* Runs the walker on this process's windows while the main loop answers it;
 * returns its exit status and its report in @out. */
static int
walk_tree (const char  *what,
           char       **out)
{
  g_autofree char *script = g_build_filename (g_getenv ("PANDASYNC_SOURCE_ROOT"), "tests", "gui",
                                              "a11y-walk.py", NULL);
  g_autofree char *pid = g_strdup_printf ("%d", (int) getpid ());
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  Walk walk = { FALSE, NULL, -1 };

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, script, pid, what, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (proc, NULL, NULL, on_walk_done_cb, &walk);
  if (!gui_test_wait (walk_done, &walk, 40000))
    {
      g_subprocess_force_exit (proc);
      g_assert_true (gui_test_wait (walk_done, &walk, 5000));
      g_test_message ("%s: the walker did not finish in 40 s", what);
    }
  g_test_message ("%s", walk.out != NULL ? walk.out : "");
  *out = walk.out;
  return walk.status;
}

static void
assert_page_accessible (PsWindow   *window,
                        const char *what)
{
  g_autofree char *out = NULL;
  int status = walk_tree (what, &out);

  if (status != 0)
    g_test_fail_printf ("%s: the accessibility walk found problems (exit %d):\n%s", what, status,
                        out != NULL ? out : "");
}

/* Destroyed widgets whose accessibles the bridge still caches make it
 * trip over a NULL state set on the next walk (atk-bridge 2.46): the tests
 * hide their windows instead; the walker looks only at showing ones. */
static void
hide_window (GtkWidget *window)
{
  gtk_widget_hide (window);
  gui_test_settle (100);
}

static void
set_look (const char *theme,
          double      text_scale)
{
  GtkSettings *settings = gtk_settings_get_default ();

  g_object_set (settings,
                "gtk-theme-name", theme,
                "gtk-xft-dpi", (int) (96 * 1024 * text_scale),
                NULL);
}

/* The window's natural content must fit 800 px: wider content scrolls. */
static void
assert_fits_800 (PsWindow   *window,
                 const char *what)
{
  int min_width = 0, min_height = 0;

  gtk_widget_get_preferred_width (GTK_WIDGET (window), &min_width, NULL);
  gtk_widget_get_preferred_height_for_width (GTK_WIDGET (window), 800, &min_height, NULL);
  if (min_width > 800)
    g_test_fail_printf ("%s needs %d px of width; the window must fit 800", what, min_width);
  if (min_height > 600)
    g_test_fail_printf ("%s needs %d px of height at 800 px wide; the window must fit 600", what,
                        min_height);
}

static PsWindow *
show_window_800 (PsProfile *profile,
                 gboolean   wizard)
{
  PsWindow *window = ps_window_new (NULL, profile, wizard);

  gtk_window_set_default_size (GTK_WINDOW (window), 800, 600);
  gtk_widget_show (GTK_WIDGET (window));
  gui_test_settle (200);
  return window;
}

static PsProfile *
connected_profile (const GuiTestDirectory *dir,
                   const GuiTestTarget    *tgt)
{
  PsMapping *m = ps_mapping_new (PS_MAPPING_COLLECTION, "Employees");

  m->account = g_strdup ("21040");
  m->collection = g_strdup ("82677");
  m->group = g_strdup ("All Staff");
  ps_mapping_add_field (m, "field_1", "givenName", PS_OWNERSHIP_OVERWRITE);
  return gui_test_ldap_profile ("a11y", dir, tgt, PS_DIALECT_AUTO, gui_test_staff_mapping (NULL), m, NULL);
}

/* Waits for what a page loads when it is shown, so the walk sees it filled. */
static void
settle_page (PsWizardPage *page,
             const char   *id)
{
  if (g_str_equal (id, "user-mapping"))
    gui_test_choose_first (gui_test_child (page, PS_TYPE_USER_MAPPING_PAGE, "account_combo"));
  else if (g_str_equal (id, "collection-mapping"))
    {
      gui_test_choose_first (gui_test_child (page, PS_TYPE_COLLECTION_MAPPING_PAGE, "account_combo"));
      gui_test_choose_first (gui_test_child (page, PS_TYPE_COLLECTION_MAPPING_PAGE, "collection_combo"));
      /* A field row, so that its combo boxes are walked too. */
      if (gui_test_wait (gui_test_fields_loaded, page, 20000))
        gtk_button_clicked (gui_test_child (page, PS_TYPE_COLLECTION_MAPPING_PAGE, "add_field_button"));
    }
  gui_test_settle (300);
}

/* The parts a page shows only on request: the other identity sources'
 * forms of the Connection page, the mapping pages' Advanced scope. */
static void
walk_hidden_parts (PsWindow     *window,
                   PsWizardPage *page,
                   const char   *what)
{
  const char *id = ps_wizard_page_get_page_id (page);

  if (g_str_equal (id, "connection"))
    {
      GtkStack *sources = gui_test_child (page, PS_TYPE_CONNECTION_PAGE, "source_stack");
      g_autofree char *shown = g_strdup (gtk_stack_get_visible_child_name (sources));
      const char *others[] = { "entra-id", "okta" };

      for (guint i = 0; i < G_N_ELEMENTS (others); i++)
        {
          g_autofree char *name = g_strconcat (what, "-", others[i], NULL);

          gtk_stack_set_visible_child_name (sources, others[i]);
          gui_test_settle (300);
          assert_page_accessible (window, name);
        }
      gtk_stack_set_visible_child_name (sources, shown);
      gui_test_settle (300);
    }
  else if (g_str_equal (id, "user-mapping") || g_str_equal (id, "collection-mapping"))
    {
      PsScopeEditor *scope = gui_test_child (page, G_OBJECT_TYPE (page), "scope_editor");

      ps_scope_editor_set_expanded (scope, TRUE);
      gui_test_settle (300);
    }
}

static void
walk_pages (PsWindow   *window,
            const char *prefix)
{
  guint n = 0;
  const PsPageEntry *table = ps_pages_get_table (&n);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *what = NULL;
      PsWizardPage *page;

      if (ps_window_get_wizard (window) && !table[i].in_wizard)
        continue;
      g_assert_true (ps_window_show_page (window, table[i].id));
      page = ps_window_get_visible_page (window);
      /* A blank wizard has nothing to load. */
      if (!ps_window_get_wizard (window))
        settle_page (page, table[i].id);
      gui_test_settle (300);
      what = g_strconcat (prefix, "-", table[i].id, NULL);
      assert_fits_800 (window, what);
      walk_hidden_parts (window, page, what);
      assert_page_accessible (window, what);
      g_free (gui_test_screenshot (GTK_WIDGET (window), what));
      /* The same page with HighContrast and at twice the text size. */
      {
        g_autofree char *hc = g_strconcat (what, "-hc", NULL);
        g_autofree char *big = g_strconcat (what, "-200", NULL);

        set_look ("HighContrast", 1.0);
        g_free (gui_test_screenshot (GTK_WIDGET (window), hc));
        set_look ("Adwaita", 2.0);
        g_free (gui_test_screenshot (GTK_WIDGET (window), big));
        set_look ("Adwaita", 1.0);
        gtk_window_resize (GTK_WINDOW (window), 800, 600);
      }
    }
}

/* ---------------------------------------------------------------- tests */

static void
test_walker_finds_problems (void)
{
  GtkWidget *window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
  GtkWidget *grid = gtk_grid_new ();
  GtkWidget *icon_button = gtk_button_new_from_icon_name ("pandasync-test-symbolic", GTK_ICON_SIZE_BUTTON);
  GtkWidget *label = gtk_label_new ("Server name");
  GtkWidget *entry = gtk_entry_new ();
  g_autofree char *out = NULL;

  /* What the walker must catch: an icon-only button with only a tooltip,
   * and a label beside an entry it is not the mnemonic label of. */
  gtk_widget_set_tooltip_text (icon_button, "Add");
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_grid_attach (GTK_GRID (grid), label, 0, 0, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), entry, 1, 0, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), icon_button, 2, 0, 1, 1);
  gtk_container_add (GTK_CONTAINER (window), grid);
  gtk_widget_show_all (window);
  gui_test_settle (300);

  g_assert_cmpint (walk_tree ("negative", &out), ==, 1);
  g_assert_nonnull (strstr (out, "unnamed button"));
  g_assert_nonnull (strstr (out, "label “Server name” is not related to its text field"));
  g_clear_pointer (&out, g_free);

  /* Named and related, the same window passes. */
  atk_object_set_name (gtk_widget_get_accessible (icon_button), "Add");
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), entry);
  gui_test_settle (100);
  g_assert_cmpint (walk_tree ("negative-fixed", &out), ==, 0);
  hide_window (window);
}

static void
test_wizard_pages (void)
{
  g_autoptr(PsProfile) profile = gui_test_new_profile ("a11y-wizard");
  PsWindow *window = show_window_800 (profile, TRUE);

  walk_pages (window, "a11y-wizard");
  hide_window (GTK_WIDGET (window));
}

/* Okta's form (its expander open) and its filter controls on both mapping
 * pages (Advanced open): every control named, every label related. */
static void
test_okta_forms (void)
{
  g_autoptr(PsProfile) profile = gui_test_new_profile ("a11y-okta");
  PsWindow *window;
  PsWizardPage *page;

  ps_profile_set_source_kind (profile, PS_SOURCE_KIND_OKTA);
  ps_profile_get_okta (profile)->url = g_strdup ("https://acme.okta.com");
  window = show_window_800 (profile, TRUE);
  page = ps_window_get_page (window, "connection");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (gui_test_child (page, PS_TYPE_CONNECTION_PAGE,
                                                                     "source_stack")), ==, "okta");
  gtk_expander_set_expanded (gui_test_child (page, PS_TYPE_CONNECTION_PAGE, "okta_expander"), TRUE);
  gui_test_settle (300);
  assert_fits_800 (window, "a11y-okta-connection");
  assert_page_accessible (window, "a11y-okta-connection");
  for (guint i = 0; i < 2; i++)
    {
      const char *id = i == 0 ? "user-mapping" : "collection-mapping";
      GType type = i == 0 ? PS_TYPE_USER_MAPPING_PAGE : PS_TYPE_COLLECTION_MAPPING_PAGE;
      g_autofree char *what = g_strconcat ("a11y-okta-", id, NULL);

      g_assert_true (ps_window_show_page (window, id));
      ps_scope_editor_set_expanded (gui_test_child (ps_window_get_page (window, id), type, "scope_editor"),
                                    TRUE);
      gui_test_settle (300);
      assert_page_accessible (window, what);
      g_free (gui_test_screenshot (GTK_WIDGET (window), what));
    }
  hide_window (GTK_WIDGET (window));
}

static void
test_main_window_pages (void)
{
  const GuiTestDirectory *dir;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  PsWindow *window;

  if (!gui_test_need_ldap_servers (&dir, &tgt))
    return;
  profile = connected_profile (dir, tgt);
  window = show_window_800 (profile, FALSE);
  walk_pages (window, "a11y-main");
  hide_window (GTK_WIDGET (window));
}

static void
find_columns (GtkWidget *widget,
              gpointer   data)
{
  if (GTK_IS_BOX (widget) && gtk_style_context_has_class (gtk_widget_get_style_context (widget), "ps-columns"))
    *(GtkWidget **) data = widget;
  else if (GTK_IS_CONTAINER (widget))
    gtk_container_foreach (GTK_CONTAINER (widget), find_columns, data);
}

static gboolean
columns_are (gpointer data)
{
  gpointer *args = data;

  return gtk_orientable_get_orientation (args[0]) == GPOINTER_TO_INT (args[1]);
}

/* The Connection page's two columns stand one above the other at 800 px and
 * side by side again in a wide window. */
static void
test_columns_reflow (void)
{
  g_autoptr(PsProfile) profile = gui_test_new_profile ("a11y-columns");
  PsWindow *window = show_window_800 (profile, FALSE);
  GtkWidget *columns = NULL;
  gpointer args[2];

  g_assert_true (ps_window_show_page (window, "connection"));
  find_columns (GTK_WIDGET (ps_window_get_page (window, "connection")), &columns);
  g_assert_nonnull (columns);
  args[0] = columns;
  args[1] = GINT_TO_POINTER (GTK_ORIENTATION_VERTICAL);
  g_assert_true (gui_test_wait (columns_are, args, 5000));
  assert_fits_800 (window, "the Connection page");

  gtk_window_resize (GTK_WINDOW (window), 1260, 700);
  args[1] = GINT_TO_POINTER (GTK_ORIENTATION_HORIZONTAL);
  g_assert_true (gui_test_wait (columns_are, args, 5000));
  g_free (gui_test_screenshot (GTK_WIDGET (window), "a11y-connection-wide"));
  hide_window (GTK_WIDGET (window));
}

static void
on_listener_line_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  char **line = user_data;
  g_autoptr(GError) error = NULL;

  *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL, &error);
  if (*line == NULL)
    *line = g_strdup ("");
}

static gboolean
string_set (gpointer data)
{
  return *(char **) data != NULL;
}

/* The Sync page's status is announced when it changes, without taking the
 * focus: a listener on the accessibility bus hears it as a notification. */
static void
test_status_announced (void)
{
  g_autoptr(PsProfile) profile = gui_test_new_profile ("a11y-status");
  g_autofree char *script = g_build_filename (g_getenv ("PANDASYNC_SOURCE_ROOT"), "tests", "gui",
                                              "a11y-walk.py", NULL);
  g_autofree char *pid = g_strdup_printf ("%d", (int) getpid ());
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ready = NULL;
  g_autofree char *rest = NULL;
  PsWindow *window = show_window_800 (profile, FALSE);
  PsWizardPage *page;
  Walk walk = { FALSE, NULL, -1 };

  g_assert_true (ps_window_show_page (window, "sync"));
  page = ps_window_get_page (window, "sync");
  gui_test_settle (300);
  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, script, "--listen", pid, "a11y-status",
                           "15", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  g_data_input_stream_read_line_async (out, G_PRIORITY_DEFAULT, NULL, on_listener_line_cb, &ready);
  g_assert_true (gui_test_wait (string_set, &ready, 15000));
  g_assert_cmpstr (ready, ==, "ready");

  /* Nothing to sync in a blank profile: the page says so, out loud. */
  gtk_button_clicked (gui_test_child (page, PS_TYPE_SYNC_PAGE, "start_button"));
  g_subprocess_communicate_utf8_async (proc, NULL, NULL, on_walk_done_cb, &walk);
  g_assert_true (gui_test_wait (walk_done, &walk, 20000));
  g_test_message ("%s", walk.out != NULL ? walk.out : "");
  g_assert_cmpint (walk.status, ==, 0);
  g_assert_nonnull (strstr (walk.out, "notification “There is nothing to sync yet"));
  g_free (walk.out);
  hide_window (GTK_WIDGET (window));
}

int
main (int    argc,
      char **argv)
{
  int result;

  gui_test_init (&argc, &argv);
  if (g_getenv ("NO_AT_BRIDGE") != NULL || g_strcmp0 (g_getenv ("GTK_A11Y"), "none") == 0)
    g_error ("the accessibility bridge is off: run this test with tests/with-session.sh --a11y");

  g_test_add_func ("/a11y/walker-finds-problems", test_walker_finds_problems);
  g_test_add_func ("/a11y/wizard-pages", test_wizard_pages);
  g_test_add_func ("/a11y/main-window-pages", test_main_window_pages);
  g_test_add_func ("/a11y/okta-forms", test_okta_forms);
  g_test_add_func ("/a11y/columns-reflow", test_columns_reflow);
  g_test_add_func ("/a11y/status-announced", test_status_announced);

  result = g_test_run ();
  gui_test_stop_servers ();
  return result;
}
