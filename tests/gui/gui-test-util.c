/* gui-test-util.c — helpers for the UI tests: servers, waiting, screenshots
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <string.h>
#include <glib/gstdio.h>

#include "gui-test-util.h"
#include "pages/ps-collection-mapping-page.h"
#include "pages/ps-connection-page.h"
#include "pages/ps-history-page.h"
#include "pages/ps-schedule-page.h"
#include "pages/ps-sync-page.h"
#include "ps-application.h"
#include "ps-secret-store.h"
#include "ps-test.h"
#include "widgets/ps-scope-editor.h"

static GuiTestDirectory *directory;
static GuiTestTarget *target;
static GuiTestGraph *graph;
static GuiTestOkta *okta;
static char *slapd_dir;
static GPid emulator_pid;
static GPid graph_pid;
static GPid okta_pid;
static GPid okta_tls_pid;
static gboolean slapd_failed;
static gboolean emulator_failed;
static gboolean graph_failed;
static gboolean okta_failed;
static gboolean okta_tls_failed;

/* ---------------------------------------------------------------- helpers */

static gboolean
on_timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static guint
free_port (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  guint16 port;

  /* Two consecutive free ports: slapd also listens on PORT+1 for ldaps. */
  for (int attempt = 0; attempt < 20; attempt++)
    {
      g_autoptr(GSocketListener) probe = g_socket_listener_new ();

      port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
      g_assert_no_error (error);
      if (port < 65535 && g_socket_listener_add_inet_port (probe, port + 1, NULL, NULL))
        {
          g_socket_listener_close (probe);
          g_socket_listener_close (listener);
          return port;
        }
    }
  g_assert_not_reached ();
  return 0;
}

static char *
source_path (const char *first, ...)
{
  const char *root = g_getenv ("PANDASYNC_SOURCE_ROOT");
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  va_list args;

  g_assert_nonnull (root);
  g_ptr_array_add (parts, (char *) root);
  va_start (args, first);
  for (const char *p = first; p != NULL; p = va_arg (args, const char *))
    g_ptr_array_add (parts, (char *) p);
  va_end (args);
  g_ptr_array_add (parts, NULL);
  return g_build_filenamev ((char **) parts->pdata);
}

static char *
env_value (const char *output,
           const char *name)
{
  g_auto(GStrv) lines = g_strsplit (output, "\n", -1);
  g_autofree char *prefix = g_strdup_printf ("export %s=", name);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], prefix))
      {
        g_autofree char *value = g_strdup (lines[i] + strlen (prefix));
        g_autoptr(GError) error = NULL;
        char *unquoted = g_shell_unquote (value, &error);

        return unquoted != NULL ? unquoted : g_steal_pointer (&value);
      }
  return NULL;
}

/* The emulator dies with the test, even when the test crashes. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* The watcher leaves the test's process group, so that killing the group
 * (a test timeout) does not kill the watcher before it has done its job. */
static void
leave_process_group (gpointer data)
{
  setsid ();
}

/* Starts an emulator that prints "PORT=<n>" first; returns its URL. */
static char *
spawn_emulator (const char *const *argv,
                GPid              *pid)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOChannel) channel = NULL;
  g_autofree char *line = NULL;
  int out_fd = -1;

  if (!g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, die_with_parent, NULL,
                                 pid, NULL, &out_fd, NULL, &error))
    {
      g_test_message ("%s did not start: %s", argv[0], error->message);
      return NULL;
    }
  channel = g_io_channel_unix_new (out_fd);
  g_io_channel_set_close_on_unref (channel, TRUE);
  if (g_io_channel_read_line (channel, &line, NULL, NULL, &error) != G_IO_STATUS_NORMAL
      || !g_str_has_prefix (line, "PORT="))
    {
      g_test_message ("%s said no port: %s", argv[0], line != NULL ? line : "");
      return NULL;
    }
  g_strstrip (line);
  return g_strdup_printf ("http://127.0.0.1:%s", line + strlen ("PORT="));
}

/* slapd daemonizes: a small watcher stops it once the test is gone. */
static void
watch_daemon (const char *pid_text)
{
  g_autofree char *script = g_strdup_printf ("while kill -0 %d 2>/dev/null; do sleep 1; done; kill %s",
                                             (int) getpid (), pid_text);
  const char *argv[] = { "/bin/sh", "-c", script, NULL };
  g_autoptr(GError) error = NULL;

  if (!g_spawn_async (NULL, (char **) argv, NULL,
                      G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL | G_SPAWN_STDIN_FROM_DEV_NULL,
                      leave_process_group, NULL, NULL, &error))
    g_test_message ("cannot watch slapd: %s", error->message);
}

static gboolean
removal_confirmable (gpointer row)
{
  return gtk_widget_get_sensitive (gui_test_child (row, PS_TYPE_MAPPING_ROW, "confirm_button"));
}

/* ---------------------------------------------------------------- public API */

void
gui_test_init (int    *argc,
               char ***argv)
{
  g_autofree char *home = g_dir_make_tmp ("pandasync-ui-XXXXXX", NULL);
  g_autofree char *config = g_build_filename (home, "config", NULL);
  g_autofree char *cache = g_build_filename (home, "cache", NULL);
  g_autofree char *data = g_build_filename (home, "data", NULL);
  g_autofree char *state = g_build_filename (home, "state", NULL);

  /* Like ps_test_init, but the system data dirs stay visible: widgets need
   * the icon themes and the MIME database. The user dirs are private. */
  g_assert_nonnull (home);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("XDG_STATE_HOME", state, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", FALSE);
  g_unsetenv ("PANDASYNC_PROFILE");
  setlocale (LC_ALL, "");
  g_test_init (argc, argv, NULL);
  gtk_init (argc, argv);
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  ps_application_load_css ();
  g_test_set_nonfatal_assertions ();
}

gboolean
gui_test_wait (GuiTestCondition condition,
               gpointer         data,
               guint            timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, on_timeout_cb, &timed_out);

  while (!condition (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return condition (data);
}

void
gui_test_settle (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, on_timeout_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

char *
gui_test_screenshot (GtkWidget  *window,
                     const char *name)
{
  g_autofree char *dir = g_build_filename (g_getenv ("PANDASYNC_BUILD_ROOT"), "tests", "gui",
                                           "screenshots", NULL);
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  char *path = g_build_filename (dir, file, NULL);
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GError) error = NULL;
  GdkWindow *gdk_window;

  gui_test_settle (300);
  gdk_window = gtk_widget_get_window (window);
  g_assert_nonnull (gdk_window);
  pixbuf = gdk_pixbuf_get_from_window (gdk_window, 0, 0,
                                       gdk_window_get_width (gdk_window),
                                       gdk_window_get_height (gdk_window));
  g_assert_nonnull (pixbuf);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  gdk_pixbuf_save (pixbuf, path, "png", &error, NULL);
  g_assert_no_error (error);
  g_test_message ("screenshot: %s", path);
  return path;
}

const GuiTestDirectory *
gui_test_start_slapd (void)
{
  g_autofree char *script = source_path ("tests", "servers", "start-slapd.sh", NULL);
  g_autofree char *port = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (directory != NULL || slapd_failed)
    return directory;
  if (!g_file_test (script, G_FILE_TEST_IS_EXECUTABLE))
    {
      slapd_failed = TRUE;
      return NULL;
    }
  slapd_dir = g_build_filename (g_get_user_cache_dir (), "slapd", NULL);
  port = g_strdup_printf ("%u", free_port ());
  {
    const char *argv[] = { script, slapd_dir, port, "--demo", NULL };

    if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error)
        || !g_spawn_check_wait_status (status, NULL))
      {
        g_test_message ("slapd did not start: %s %s", error != NULL ? error->message : "", err);
        slapd_failed = TRUE;
        return NULL;
      }
  }
  {
    g_autofree char *pid = env_value (out, "PS_TEST_SLAPD_PID");

    if (pid != NULL)
      watch_daemon (pid);
  }
  directory = g_new0 (GuiTestDirectory, 1);
  directory->ldap_uri = env_value (out, "PS_TEST_LDAP_URI");
  directory->base_dn = env_value (out, "PS_TEST_LDAP_BASE");
  directory->bind_dn = env_value (out, "PS_TEST_LDAP_BIND_DN");
  directory->bind_password = env_value (out, "PS_TEST_LDAP_PASSWORD");
  g_assert_nonnull (directory->ldap_uri);
  g_assert_nonnull (directory->bind_password);
  return directory;
}

const GuiTestTarget *
gui_test_start_emulator (void)
{
  const char *emulator = g_getenv ("PS_EMULATOR");
  const char *seed = g_getenv ("PS_EMULATOR_SEED");
  const char *argv[] = { emulator, "--port", "0", "--seed", seed, NULL };
  g_autofree char *url = NULL;

  if (target != NULL || emulator_failed)
    return target;
  if (emulator == NULL || !g_file_test (emulator, G_FILE_TEST_IS_EXECUTABLE)
      || (url = spawn_emulator (argv, &emulator_pid)) == NULL)
    {
      emulator_failed = TRUE;
      return NULL;
    }
  target = g_new0 (GuiTestTarget, 1);
  target->url = g_steal_pointer (&url);
  target->client_id = g_strdup ("ps-demo-client");
  target->client_secret = g_strdup ("ps-demo-secret");
  target->email = g_strdup ("admin@example.com");
  target->password = g_strdup ("Panda-Admin-1");
  return target;
}

const GuiTestGraph *
gui_test_start_graph (void)
{
  const char *emulator = g_getenv ("PS_GRAPH_EMULATOR");
  const char *seed = g_getenv ("PS_GRAPH_EMULATOR_SEED");
  const char *argv[] = { emulator, "--port", "0", "--seed", seed, NULL };
  g_autofree char *url = NULL;

  if (graph != NULL || graph_failed)
    return graph;
  if (emulator == NULL || seed == NULL || !g_file_test (emulator, G_FILE_TEST_IS_EXECUTABLE)
      || (url = spawn_emulator (argv, &graph_pid)) == NULL)
    {
      graph_failed = TRUE;
      return NULL;
    }
  graph = g_new0 (GuiTestGraph, 1);
  graph->url = g_steal_pointer (&url);
  graph->tenant = g_strdup ("contoso.onmicrosoft.com");
  graph->client_id = g_strdup ("11111111-1111-4111-8111-111111111111");
  graph->client_secret = g_strdup ("ps-graph-secret~1");
  graph->members_only_client_id = g_strdup ("22222222-2222-4222-8222-222222222222");
  graph->members_only_client_secret = g_strdup ("ps-graph-secret~2");
  return graph;
}

const GuiTestOkta *
gui_test_start_okta (void)
{
  const char *emulator = g_getenv ("PS_OKTA_EMULATOR");
  const char *seed = g_getenv ("PS_OKTA_EMULATOR_SEED");
  const char *argv[] = { emulator, "--port", "0", "--seed", seed, NULL };
  g_autofree char *url = NULL;

  if (okta != NULL || okta_failed)
    return okta;
  if (emulator == NULL || seed == NULL || !g_file_test (emulator, G_FILE_TEST_IS_EXECUTABLE)
      || (url = spawn_emulator (argv, &okta_pid)) == NULL)
    {
      okta_failed = TRUE;
      return NULL;
    }
  okta = g_new0 (GuiTestOkta, 1);
  okta->url = g_steal_pointer (&url);
  okta->token = g_strdup ("00ps-okta-full-token-acme-00000000000001");
  okta->revoked_token = g_strdup ("00ps-okta-revoked-token-acme-00000000005");
  okta->group_admin_token = g_strdup ("00ps-okta-group-admin-token-acme-0000002");
  return okta;
}

const GuiTestOkta *
gui_test_start_okta_tls (void)
{
  g_autofree char *script = source_path ("tests", "emulator", "common", "make-test-ca.sh", NULL);
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "okta-tls", NULL);
  g_autofree char *cert = g_build_filename (dir, "server.pem", NULL);
  g_autofree char *key = g_build_filename (dir, "server.key", NULL);
  g_autofree char *url = NULL;
  g_autoptr(GError) error = NULL;
  const char *emulator = g_getenv ("PS_OKTA_EMULATOR");
  const char *seed = g_getenv ("PS_OKTA_EMULATOR_SEED");
  int status = 0;

  if (gui_test_start_okta () == NULL || okta_tls_failed)
    return NULL;
  if (okta->tls_url != NULL)
    return okta;
  {
    const char *argv[] = { script, dir, NULL };

    if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, &error)
        || !g_spawn_check_wait_status (status, NULL))
      {
        g_test_message ("no test CA: %s", error != NULL ? error->message : "make-test-ca.sh failed");
        okta_tls_failed = TRUE;
        return NULL;
      }
  }
  {
    const char *argv[] = { emulator, "--port", "0", "--seed", seed, "--tls-cert", cert, "--tls-key", key, NULL };

    url = spawn_emulator (argv, &okta_tls_pid);
  }
  if (url == NULL || !g_str_has_prefix (url, "http://"))
    {
      okta_tls_failed = TRUE;
      return NULL;
    }
  okta->tls_url = g_strconcat ("https://", url + strlen ("http://"), NULL);
  okta->tls_ca_file = g_build_filename (dir, "ca.pem", NULL);
  return okta;
}

void
gui_test_stop_servers (void)
{
  if (okta_tls_pid != 0)
    {
      kill (okta_tls_pid, SIGTERM);
      g_spawn_close_pid (okta_tls_pid);
      okta_tls_pid = 0;
    }
  if (okta_pid != 0)
    {
      kill (okta_pid, SIGTERM);
      g_spawn_close_pid (okta_pid);
      okta_pid = 0;
    }
  if (graph_pid != 0)
    {
      kill (graph_pid, SIGTERM);
      g_spawn_close_pid (graph_pid);
      graph_pid = 0;
    }
  if (emulator_pid != 0)
    {
      kill (emulator_pid, SIGTERM);
      g_spawn_close_pid (emulator_pid);
      emulator_pid = 0;
    }
  if (slapd_dir != NULL)
    {
      g_autofree char *pid_file = g_build_filename (slapd_dir, "run", "slapd.pid", NULL);
      g_autofree char *pid = NULL;

      if (g_file_get_contents (pid_file, &pid, NULL, NULL))
        kill ((pid_t) g_ascii_strtoll (pid, NULL, 10), SIGTERM);
      g_clear_pointer (&slapd_dir, g_free);
    }
}

gpointer
gui_test_child (gpointer    widget,
                GType       type,
                const char *name)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (widget), type, name);

  g_assert_nonnull (child);
  return child;
}

void
gui_test_type (gpointer    entry,
               const char *text)
{
  gtk_entry_set_text (GTK_ENTRY (entry), text);
}

static void
collect_mnemonic_labels (GtkWidget *widget,
                         gpointer   data)
{
  GPtrArray *labels = data;

  /* Hidden, or a page of a stack that is not shown (GTK activates only the
   * mnemonics of mapped widgets). */
  if (!gtk_widget_is_visible (widget) || !gtk_widget_get_child_visible (widget))
    return;
  if (GTK_IS_LABEL (widget) && gtk_label_get_mnemonic_keyval (GTK_LABEL (widget)) != GDK_KEY_VoidSymbol)
    g_ptr_array_add (labels, widget);
  if (GTK_IS_CONTAINER (widget))
    gtk_container_foreach (GTK_CONTAINER (widget), collect_mnemonic_labels, labels);
}

void
gui_test_check_mnemonics (GtkWidget *window,
                          GtkWidget *page)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  GtkWidget *action_bar = gtk_widget_get_template_child (window, G_OBJECT_TYPE (window), "action_bar")
                          ? GTK_WIDGET (gtk_widget_get_template_child (window, G_OBJECT_TYPE (window),
                                                                       "action_bar"))
                          : NULL;

  collect_mnemonic_labels (page, labels);
  if (action_bar != NULL)
    collect_mnemonic_labels (action_bar, labels);
  for (guint i = 0; i < labels->len; i++)
    {
      GtkLabel *label = g_ptr_array_index (labels, i);
      guint key = gdk_keyval_to_lower (gtk_label_get_mnemonic_keyval (label));
      GtkLabel *other = g_hash_table_lookup (seen, GUINT_TO_POINTER (key));

      if (gtk_label_get_mnemonic_widget (label) == NULL)
        g_error ("“%s” has a mnemonic but no widget", gtk_label_get_label (label));
      if (other != NULL)
        g_error ("“%s” and “%s” share the mnemonic %s", gtk_label_get_label (label),
                 gtk_label_get_label (other), gdk_keyval_name (key));
      g_hash_table_insert (seen, GUINT_TO_POINTER (key), label);
    }
}

PsProfile *
gui_test_new_profile (const char *name)
{
  g_autofree char *file = g_strconcat (name, ".conf", NULL);
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "test-profiles", file, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PsProfile) profile = ps_profile_new (name);

  ps_profile_save_to_file (profile, path, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&profile);
}

PsWindow *
gui_test_show_window (PsProfile *profile,
                      gboolean   wizard)
{
  PsWindow *window = ps_window_new (NULL, profile, wizard);

  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 700);
  gtk_widget_show (GTK_WIDGET (window));
  gui_test_settle (100);
  return window;
}

gboolean
gui_test_page_idle (gpointer page)
{
  return !ps_wizard_page_get_applying (PS_WIZARD_PAGE (page));
}

gboolean
gui_test_combo_ready (gpointer combo)
{
  return !ps_choice_combo_get_loading (PS_CHOICE_COMBO (combo))
         && (ps_choice_combo_get_n_choices (PS_CHOICE_COMBO (combo)) > 0
             || ps_choice_combo_get_error (PS_CHOICE_COMBO (combo)) != NULL);
}

char *
gui_test_read_profile_file (PsProfile *profile)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (ps_profile_get_path (profile), &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

void
gui_test_choose_first (PsChoiceCombo *combo)
{
  g_assert_true (gui_test_wait (gui_test_combo_ready, combo, 20000));
  g_assert_null (ps_choice_combo_get_error (combo));
  g_assert_cmpuint (ps_choice_combo_get_n_choices (combo), >, 0);
  if (ps_choice_combo_get_active (combo) == NULL)
    gtk_combo_box_set_active (ps_choice_combo_get_combo (combo), 0);
  g_assert_nonnull (ps_choice_combo_get_active (combo));
}

void
gui_test_search_group (PsWizardPage *page,
                       GType         type,
                       const char   *text)
{
  PsChoiceCombo *groups = gui_test_child (page, type, "group_combo");

  gui_test_type (gui_test_child (page, type, "group_search_entry"), text);
  /* search-changed comes after a short delay, then the worker answers. */
  g_assert_true (gui_test_wait (gui_test_combo_ready, groups, 20000));
  gui_test_settle (300);
  g_assert_true (gui_test_wait (gui_test_combo_ready, groups, 20000));
  gui_test_choose_first (groups);
}

PsMappingRow *
gui_test_first_mapping_row (PsWizardPage *page,
                            GType         type)
{
  GtkListBox *list = gui_test_child (page, type, "mappings_list");
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (list, 0);

  /* After a removal the list may show its Undo row: not a mapping. */
  return row != NULL && PS_IS_MAPPING_ROW (row) ? PS_MAPPING_ROW (row) : NULL;
}

void
gui_test_remove_mapping (PsMappingRow *row)
{
  gtk_button_clicked (ps_mapping_row_get_remove_button (row));
  g_assert_true (gui_test_wait (removal_confirmable, row, 10000));
  gtk_button_clicked (gui_test_child (row, PS_TYPE_MAPPING_ROW, "confirm_button"));
}

void
gui_test_field_row_parts (PsWizardPage      *page,
                          guint              index,
                          GtkComboBox      **field,
                          PsAttributeCombo **attribute,
                          GtkLabel         **error)
{
  GtkBox *fields = gui_test_child (page, PS_TYPE_COLLECTION_MAPPING_PAGE, "fields_box");
  g_autoptr(GList) rows = gtk_container_get_children (GTK_CONTAINER (fields));
  GtkWidget *row = g_list_nth_data (rows, index);
  g_autoptr(GList) parts = NULL;
  g_autoptr(GList) line = NULL;

  g_assert_nonnull (row);
  /* A row is its line (field ← attribute, ownership, remove) over its error. */
  parts = gtk_container_get_children (GTK_CONTAINER (row));
  line = gtk_container_get_children (GTK_CONTAINER (parts->data));
  *field = GTK_COMBO_BOX (line->data);
  *attribute = PS_ATTRIBUTE_COMBO (g_list_nth_data (line, 2));
  if (error != NULL)
    *error = GTK_LABEL (g_list_nth_data (parts, 1));
}

gboolean
gui_test_combo_offers (GtkComboBox *combo,
                       const char  *id)
{
  GtkTreeModel *model = gtk_combo_box_get_model (combo);
  GtkTreeIter iter;
  int column = gtk_combo_box_get_id_column (combo);

  for (gboolean ok = gtk_tree_model_get_iter_first (model, &iter); ok;
       ok = gtk_tree_model_iter_next (model, &iter))
    {
      g_autofree char *value = NULL;

      gtk_tree_model_get (model, &iter, column, &value, -1);
      if (g_strcmp0 (value, id) == 0)
        return TRUE;
    }
  return FALSE;
}

gboolean
gui_test_fields_loaded (gpointer page)
{
  return gtk_widget_get_sensitive (gui_test_child (page, PS_TYPE_COLLECTION_MAPPING_PAGE, "add_field_button"));
}

gboolean
gui_test_window_on_schedule (gpointer window)
{
  PsWizardPage *page = ps_window_get_visible_page (PS_WINDOW (window));

  return g_strcmp0 (ps_wizard_page_get_page_id (page), "schedule") == 0;
}

void
gui_test_fill_asset_panda (PsWizardPage        *page,
                           const GuiTestTarget *tgt)
{
  GType type = PS_TYPE_CONNECTION_PAGE;

  gui_test_type (gui_test_child (page, type, "url_entry"), tgt->url);
  gui_test_type (gui_test_child (page, type, "client_id_entry"), tgt->client_id);
  gui_test_type (gui_test_child (page, type, "client_secret_entry"), tgt->client_secret);
  gui_test_type (gui_test_child (page, type, "email_entry"), tgt->email);
  gui_test_type (gui_test_child (page, type, "password_entry"), tgt->password);
}

void
gui_test_press_done (PsWindow     *window,
                     PsWizardPage *page)
{
  g_assert_true (ps_wizard_page_get_complete (page));
  gtk_button_clicked (ps_window_get_forward_button (window));
  g_assert_true (ps_wizard_page_get_applying (page));
  g_assert_true (gui_test_wait (gui_test_page_idle, page, 60000));
}

gboolean
gui_test_need_ldap_servers (const GuiTestDirectory **dir,
                            const GuiTestTarget    **tgt)
{
  *dir = gui_test_start_slapd ();
  *tgt = gui_test_start_emulator ();
  if (*dir == NULL || *tgt == NULL)
    {
      g_test_skip ("slapd or the Asset Panda emulator cannot run here");
      return FALSE;
    }
  return TRUE;
}

gboolean
gui_test_ldap_servers_or_skip_all (void)
{
  if (gui_test_start_slapd () == NULL || gui_test_start_emulator () == NULL)
    {
      g_print ("1..0 # SKIP slapd or the emulator cannot run here: run build-aux/install-deps.sh\n");
      return FALSE;
    }
  return TRUE;
}

gboolean
gui_test_need_okta_servers (const GuiTestOkta   **org,
                            const GuiTestTarget **tgt)
{
  *org = gui_test_start_okta ();
  *tgt = gui_test_start_emulator ();
  if (*org == NULL || *tgt == NULL)
    {
      g_test_skip ("the Okta emulator or the Asset Panda emulator cannot run here");
      return FALSE;
    }
  return TRUE;
}

gboolean
gui_test_need_graph_servers (const GuiTestGraph  **tenant,
                             const GuiTestTarget **tgt)
{
  *tenant = gui_test_start_graph ();
  *tgt = gui_test_start_emulator ();
  if (*tenant == NULL || *tgt == NULL)
    {
      g_test_skip ("the Microsoft Graph emulator or the Asset Panda emulator cannot run here");
      return FALSE;
    }
  return TRUE;
}

/* Points @profile's target at @tgt's Asset Panda. */
static void
set_target (PsProfile           *profile,
            const GuiTestTarget *tgt,
            PsDialect            dialect)
{
  PsTargetConfig *t = ps_profile_get_target (profile);

  g_free (t->url);
  t->url = g_strdup (tgt->url);
  t->dialect = dialect;
  t->client_id = g_strdup (tgt->client_id);
  t->email = g_strdup (tgt->email);
}

/* Saves @profile and puts @tgt's secrets and the source's in the keyring. */
static void
save_with_secrets (PsProfile           *profile,
                   const GuiTestTarget *tgt,
                   PsSecretKind         source_kind,
                   const char          *source_secret)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ps_profile_save (profile, &error));
  g_assert_no_error (error);
  g_assert_true (ps_secret_store_sync (profile, PS_SECRET_API_CLIENT_SECRET, tgt->client_secret, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ps_secret_store_sync (profile, PS_SECRET_API_PASSWORD, tgt->password, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ps_secret_store_sync (profile, source_kind, source_secret, NULL, &error));
  g_assert_no_error (error);
}

PsProfile *
gui_test_ldap_profile (const char             *name,
                       const GuiTestDirectory *dir,
                       const GuiTestTarget    *tgt,
                       PsDialect               dialect,
                       ...)
{
  PsProfile *profile = gui_test_new_profile (name);
  PsDirectoryConfig *d = ps_profile_get_directory (profile);
  PsMapping *m;
  va_list mappings;

  set_target (profile, tgt, dialect);
  g_strfreev (d->uris);
  d->uris = g_strsplit (dir->ldap_uri, " ", -1);
  d->tls_mode = PS_TLS_MODE_NONE;
  d->allow_plaintext_bind = TRUE;
  d->bind_dn = g_strdup (dir->bind_dn);
  d->base_dn = g_strdup (dir->base_dn);
  va_start (mappings, dialect);
  while ((m = va_arg (mappings, PsMapping *)) != NULL)
    ps_profile_add_mapping (profile, m);
  va_end (mappings);
  save_with_secrets (profile, tgt, PS_SECRET_BIND_PASSWORD, dir->bind_password);
  return profile;
}

PsProfile *
gui_test_okta_profile (const char          *name,
                       const GuiTestOkta   *org,
                       const GuiTestTarget *tgt)
{
  PsProfile *profile = gui_test_new_profile (name);
  PsOktaConfig *o = ps_profile_get_okta (profile);

  set_target (profile, tgt, PS_DIALECT_AUTO);
  ps_profile_set_source_kind (profile, PS_SOURCE_KIND_OKTA);
  o->url = g_strdup (org->url);
  save_with_secrets (profile, tgt, PS_SECRET_OKTA_API_TOKEN, org->token);
  return profile;
}

PsProfile *
gui_test_entra_profile (const char          *name,
                        const GuiTestGraph  *tenant,
                        const GuiTestTarget *tgt)
{
  PsProfile *profile = gui_test_new_profile (name);
  PsEntraIdConfig *e = ps_profile_get_entra_id (profile);

  set_target (profile, tgt, PS_DIALECT_AUTO);
  ps_profile_set_source_kind (profile, PS_SOURCE_KIND_ENTRA_ID);
  e->tenant = g_strdup (tenant->tenant);
  e->client_id = g_strdup (tenant->client_id);
  e->login_url = g_strdup (tenant->url);
  e->graph_url = g_strdup (tenant->url);
  save_with_secrets (profile, tgt, PS_SECRET_ENTRA_CLIENT_SECRET, tenant->client_secret);
  return profile;
}

PsMapping *
gui_test_staff_mapping (const char *filter)
{
  PsMapping *m = ps_mapping_new (PS_MAPPING_USERS, "Staff");

  m->account = g_strdup ("21040");
  m->role = g_strdup ("30135");
  m->group = g_strdup ("All Staff");
  m->filter = g_strdup (filter);
  return m;
}

PsMapping *
gui_test_employees_mapping (const char *filter)
{
  PsMapping *m = ps_mapping_new (PS_MAPPING_COLLECTION, "Employees");

  m->account = g_strdup ("21040");
  m->collection = g_strdup ("82677");
  m->group = g_strdup ("All Staff");
  m->filter = g_strdup (filter);
  m->status_field = g_strdup ("Integration Status AD");
  ps_mapping_add_field (m, "field_1", "givenName", PS_OWNERSHIP_OVERWRITE);
  ps_mapping_add_field (m, "field_2", "sn", PS_OWNERSHIP_OVERWRITE);
  ps_mapping_add_field (m, "field_3", "mail", PS_OWNERSHIP_NEVER_BLANK);
  return m;
}

typedef struct {
  GtkComboBox *combo;
  const char  *id;
} Offer;

static gboolean
combo_offers_cb (gpointer data)
{
  Offer *offer = data;

  return gui_test_combo_offers (offer->combo, offer->id);
}

gboolean
gui_test_wait_combo_offers (GtkComboBox *combo,
                            const char  *id,
                            guint        timeout_ms)
{
  Offer offer = { combo, id };

  return gui_test_wait (combo_offers_cb, &offer, timeout_ms);
}

const char *
gui_test_field_error (PsWizardPage *page,
                      PsGuiField    field)
{
  return ps_connection_page_get_field_error (PS_CONNECTION_PAGE (page), field);
}

guint
gui_test_source_steps_failed (PsWizardPage  *page,
                              guint         *n_source,
                              const char   **first_failed)
{
  GPtrArray *steps = ps_connection_page_get_steps (PS_CONNECTION_PAGE (page));
  guint failed = 0;

  *n_source = 0;
  if (first_failed != NULL)
    *first_failed = NULL;
  g_assert_nonnull (steps);
  for (guint i = 0; i < steps->len; i++)
    {
      const PsGuiStepResult *r = g_ptr_array_index (steps, i);

      g_test_message ("%s step %s: %s — %s", r->directory ? "source" : "Asset Panda", r->step->id,
                      ps_step_status_to_string (r->step->status),
                      r->step->message != NULL ? r->step->message : "");
      if (!r->directory)
        continue;
      (*n_source)++;
      if (r->step->status != PS_STEP_FAILED)
        continue;
      if (failed++ == 0 && first_failed != NULL)
        *first_failed = r->step->id;
    }
  return failed;
}

char *
gui_test_labels_text (GtkWidget *widget)
{
  g_autoptr(GString) text = g_string_new (NULL);

  if (GTK_IS_LABEL (widget))
    g_string_append (text, gtk_label_get_text (GTK_LABEL (widget)));
  else if (GTK_IS_CONTAINER (widget))
    {
      g_autoptr(GList) children = gtk_container_get_children (GTK_CONTAINER (widget));

      for (GList *l = children; l != NULL; l = l->next)
        {
          g_autofree char *inner = gui_test_labels_text (l->data);
          g_string_append_printf (text, "%s ", inner);
        }
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

char *
gui_test_sync_log (GtkWidget *page)
{
  GtkTextView *view = gui_test_child (page, PS_TYPE_SYNC_PAGE, "log_view");
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static gboolean
status_contains (gpointer data)
{
  gpointer *args = data;
  GtkLabel *label = gui_test_child (args[0], PS_TYPE_SYNC_PAGE, "status_label");
  return strstr (gtk_label_get_text (label), args[1]) != NULL;
}

gboolean
gui_test_wait_sync_status (GtkWidget  *page,
                           const char *needle)
{
  gpointer args[] = { page, (gpointer) needle };
  return gui_test_wait (status_contains, args, 60000);
}

gboolean
gui_test_history_idle (gpointer page)
{
  gboolean active = TRUE;

  g_object_get (gui_test_child (page, PS_TYPE_HISTORY_PAGE, "spinner"), "active", &active, NULL);
  return !active;
}

gboolean
gui_test_find_row (GtkTreeModel *model,
                   int           column,
                   const char   *text,
                   GtkTreeIter  *iter)
{
  for (gboolean ok = gtk_tree_model_get_iter_first (model, iter); ok; ok = gtk_tree_model_iter_next (model, iter))
    {
      g_autofree char *value = NULL;

      gtk_tree_model_get (model, iter, column, &value, -1);
      if (g_strcmp0 (value, text) == 0)
        return TRUE;
    }
  return FALSE;
}

gboolean
gui_test_confirmation_open (gpointer page)
{
  return ps_schedule_page_get_confirmation (PS_SCHEDULE_PAGE (page)) != NULL;
}

gboolean
gui_test_scope_counted (gpointer editor)
{
  return !ps_scope_editor_get_counting (PS_SCOPE_EDITOR (editor));
}
