/* test-keyboard.c — the first-run wizard, completed with the keyboard only
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Real widgets under Xvfb, a real slapd (tests/servers) and the Asset Panda
 * emulator (tests/emulator/assetpanda). Every input is a synthesized key
 * event that goes through GTK's own dispatch (gtk_main_do_event) to the
 * window: Tab and Shift+Tab to move, the arrows to choose, text typed a key
 * at a time, Enter to press. The test only looks at where the focus is — as
 * a user looks at the focus ring — and never sets a widget itself. At the
 * end the saved profile and the keyring hold what was typed.
 */

#include <string.h>

#include "gui-test-util.h"
#include "pages/ps-connection-page.h"
#include "pages/ps-schedule-page.h"
#include "pages/ps-user-mapping-page.h"
#include "ps-secret-store.h"

/* More Tab presses than any page has controls: a field not reached by then
 * is not reachable from the keyboard. */
#define MAX_TABS 80

/* ---------------------------------------------------------------- helpers */

static void
send_key (GtkWidget       *window,
          guint            keyval,
          GdkModifierType  modifiers,
          GdkEventType     type)
{
  GtkWidget *toplevel = gtk_widget_get_toplevel (window);
  GdkDisplay *display = gtk_widget_get_display (toplevel);
  g_autofree GdkKeymapKey *keys = NULL;
  gint n_keys = 0;
  gunichar c = gdk_keyval_to_unicode (keyval);
  GdkEvent *event = gdk_event_new (type);

  g_assert_nonnull (gtk_widget_get_window (toplevel));
  event->key.window = g_object_ref (gtk_widget_get_window (toplevel));
  event->key.send_event = TRUE;
  event->key.time = GDK_CURRENT_TIME;
  event->key.state = modifiers;
  event->key.keyval = keyval;
  event->key.string = c != 0 ? g_ucs4_to_utf8 (&c, 1, NULL, NULL, NULL) : g_strdup ("");
  event->key.length = strlen (event->key.string);
  if (gdk_keymap_get_entries_for_keyval (gdk_keymap_get_for_display (display), keyval, &keys, &n_keys))
    {
      event->key.hardware_keycode = keys[0].keycode;
      event->key.group = keys[0].group;
    }
  gdk_event_set_device (event, gdk_seat_get_keyboard (gdk_display_get_default_seat (display)));
  /* GTK's own dispatch: grabs, the window's mnemonics and key bindings, the
   * focus widget and its input method. */
  gtk_main_do_event (event);
  gdk_event_free (event);
}

static void
press (GtkWidget       *window,
       guint            keyval,
       GdkModifierType  modifiers)
{
  send_key (window, keyval, modifiers, GDK_KEY_PRESS);
  send_key (window, keyval, modifiers, GDK_KEY_RELEASE);
  gui_test_settle (10);
}

static void
type_text (GtkWidget  *window,
           const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    press (window, gdk_unicode_to_keyval (g_utf8_get_char (p)), 0);
}

static gboolean
focus_within (GtkWidget *window,
              GtkWidget *target)
{
  GtkWidget *focus = gtk_window_get_focus (GTK_WINDOW (window));

  return focus != NULL && (focus == target || gtk_widget_is_ancestor (focus, target));
}

/* Presses Tab until the focus is on @target (or inside it). */
static void
tab_to (GtkWidget  *window,
        GtkWidget  *target,
        const char *what)
{
  for (int i = 0; i < MAX_TABS && !focus_within (window, target); i++)
    press (window, GDK_KEY_Tab, 0);
  if (!focus_within (window, target))
    {
      GtkWidget *focus = gtk_window_get_focus (GTK_WINDOW (window));

      g_test_fail_printf ("%s cannot be reached with Tab (the focus stays on a %s)", what,
                          focus != NULL ? G_OBJECT_TYPE_NAME (focus) : "nothing");
    }
}

static void
fill (GtkWidget  *window,
      GtkWidget  *entry,
      const char *what,
      const char *text)
{
  tab_to (window, entry, what);
  /* Tabbing into an entry selects its text: typing replaces it. */
  type_text (window, text);
  g_assert_cmpstr (gtk_entry_get_text (GTK_ENTRY (entry)), ==, text);
}

/* Moves a focused combo box with the arrow keys until it shows @id. */
static void
arrow_to (GtkWidget   *window,
          GtkComboBox *combo,
          const char  *id)
{
  for (int i = 0; i < 20 && g_strcmp0 (gtk_combo_box_get_active_id (combo), id) != 0; i++)
    press (window, GDK_KEY_Down, 0);
  g_assert_cmpstr (gtk_combo_box_get_active_id (combo), ==, id);
}

/* Picks the first item of a focused combo box that has none yet. */
static void
arrow_to_first (GtkWidget   *window,
                GtkComboBox *combo)
{
  if (gtk_combo_box_get_active (combo) < 0)
    press (window, GDK_KEY_Down, 0);
  g_assert_cmpint (gtk_combo_box_get_active (combo), >=, 0);
}

static gboolean
on_page (gpointer data)
{
  gpointer *args = data;
  PsWizardPage *page = ps_window_get_visible_page (PS_WINDOW (args[0]));

  return g_strcmp0 (ps_wizard_page_get_page_id (page), args[1]) == 0;
}

static void
wait_for_page (PsWindow   *window,
               const char *id)
{
  gpointer args[] = { window, (gpointer) id };

  if (!gui_test_wait (on_page, args, 60000))
    g_test_fail_printf ("the wizard did not reach the %s page", id);
}

static gboolean
forward_sensitive (gpointer window)
{
  return gtk_widget_is_sensitive (GTK_WIDGET (ps_window_get_forward_button (PS_WINDOW (window))));
}

/* Enter on the forward button (Done, Submit). */
static void
press_forward (PsWindow *window)
{
  GtkWidget *forward = GTK_WIDGET (ps_window_get_forward_button (window));

  g_assert_true (gui_test_wait (forward_sensitive, window, 5000));
  tab_to (GTK_WIDGET (window), forward, "The forward button");
  press (GTK_WIDGET (window), GDK_KEY_Return, 0);
}

static gboolean
on_finished (gpointer window)
{
  return !ps_window_get_wizard (PS_WINDOW (window));
}

/* ---------------------------------------------------------------- tests */

static void
test_wizard_by_keyboard (void)
{
  const GuiTestDirectory *dir;
  const GuiTestTarget *tgt;
  g_autoptr(PsProfile) profile = NULL;
  g_autoptr(PsSecretString) secret = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  PsWindow *window;
  GtkWidget *w;
  PsWizardPage *page;

  if (!gui_test_need_ldap_servers (&dir, &tgt))
    return;
  profile = gui_test_new_profile ("keyboard");
  window = ps_window_new (NULL, profile, TRUE);
  w = GTK_WIDGET (window);
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 600);
  gtk_widget_show (w);
  gui_test_settle (200);

  /* Connection: the wizard puts the focus on the page's first field. */
  page = ps_window_get_visible_page (window);
  g_assert_cmpstr (ps_wizard_page_get_page_id (page), ==, "connection");
  g_assert_true (focus_within (w, GTK_WIDGET (page)));
  {
    GType type = PS_TYPE_CONNECTION_PAGE;

    fill (w, gui_test_child (page, type, "url_entry"), "The Asset Panda URL", tgt->url);
    fill (w, gui_test_child (page, type, "client_id_entry"), "The API client id", tgt->client_id);
    fill (w, gui_test_child (page, type, "client_secret_entry"), "The API client secret",
          tgt->client_secret);
    fill (w, gui_test_child (page, type, "email_entry"), "The email address", tgt->email);
    fill (w, gui_test_child (page, type, "password_entry"), "The password", tgt->password);
    fill (w, gui_test_child (page, type, "uris_entry"), "The LDAP URL", dir->ldap_uri);
    /* The test slapd's plain port. */
    tab_to (w, gui_test_child (page, type, "tls_combo"), "The TLS mode");
    arrow_to (w, gui_test_child (page, type, "tls_combo"), "none");
    fill (w, gui_test_child (page, type, "user_entry"), "The bind user", dir->bind_dn);
    fill (w, gui_test_child (page, type, "bind_password_entry"), "The bind password",
          dir->bind_password);
    fill (w, gui_test_child (page, type, "base_dn_entry"), "The base DN", dir->base_dn);
    /* Shift+Tab goes back: to the bind password, which keeps what was typed. */
    press (w, GDK_KEY_ISO_Left_Tab, GDK_SHIFT_MASK);
    g_assert_true (focus_within (w, gui_test_child (page, type, "bind_password_entry")));
    press (w, GDK_KEY_Tab, 0);
    g_assert_true (focus_within (w, gui_test_child (page, type, "base_dn_entry")));
    /* Enter in a field presses Done; the connection test runs against the servers. */
    g_assert_true (gui_test_wait (forward_sensitive, window, 5000));
    press (w, GDK_KEY_Return, 0);
  }
  wait_for_page (window, "schedule");
  g_free (gui_test_screenshot (w, "keyboard-schedule"));

  /* Automation Sync: weekly, then Submit and confirm with Enter. */
  page = ps_window_get_visible_page (window);
  {
    GtkWidget *interval = gui_test_child (page, PS_TYPE_SCHEDULE_PAGE, "interval_combo");

    tab_to (w, interval, "The repeat interval");
    arrow_to (w, GTK_COMBO_BOX (interval), "weekly");
  }
  press_forward (window);
  g_assert_true (gui_test_wait (gui_test_confirmation_open, page, 5000));
  {
    GtkWidget *dialog = GTK_WIDGET (ps_schedule_page_get_confirmation (PS_SCHEDULE_PAGE (page)));

    gui_test_settle (200);
    /* The dialog's default answer is the one Enter gives. */
    press (dialog, GDK_KEY_Return, 0);
  }
  wait_for_page (window, "user-mapping");

  /* User Mapping: account, module, role and a group, chosen with the arrows. */
  page = ps_window_get_visible_page (window);
  {
    GType type = PS_TYPE_USER_MAPPING_PAGE;
    const char *combos[] = { "account_combo", "module_combo", "role_combo" };
    PsChoiceCombo *groups = gui_test_child (page, type, "group_combo");

    for (guint i = 0; i < G_N_ELEMENTS (combos); i++)
      {
        PsChoiceCombo *combo = gui_test_child (page, type, combos[i]);
        GtkComboBox *inner = ps_choice_combo_get_combo (combo);

        g_assert_true (gui_test_wait (gui_test_combo_ready, combo, 20000));
        g_assert_null (ps_choice_combo_get_error (combo));
        tab_to (w, GTK_WIDGET (inner), combos[i]);
        arrow_to_first (w, inner);
      }
    fill (w, gui_test_child (page, type, "group_search_entry"), "The group search", "All Staff");
    /* The search runs after a short pause, then the directory answers. */
    gui_test_settle (500);
    g_assert_true (gui_test_wait (gui_test_combo_ready, groups, 20000));
    tab_to (w, GTK_WIDGET (ps_choice_combo_get_combo (groups)), "The group list");
    arrow_to_first (w, ps_choice_combo_get_combo (groups));
    g_assert_nonnull (ps_choice_combo_get_active (groups));
    tab_to (w, gui_test_child (page, type, "add_button"), "Add");
    press (w, GDK_KEY_Return, 0);
    g_assert_cmpuint (ps_profile_get_mappings (profile)->len, ==, 1);
  }
  g_free (gui_test_screenshot (w, "keyboard-user-mapping"));
  press_forward (window);
  wait_for_page (window, "collection-mapping");

  /* Collection Mapping is optional: Done ends the wizard. */
  press_forward (window);
  if (!gui_test_wait (on_finished, window, 20000))
    g_test_fail_printf ("Done on the last page did not end the wizard");
  g_free (gui_test_screenshot (w, "keyboard-finished"));

  /* The saved profile holds what was typed; the secrets are in the keyring. */
  contents = gui_test_read_profile_file (profile);
  g_assert_nonnull (strstr (contents, tgt->url));
  g_assert_nonnull (strstr (contents, tgt->client_id));
  g_assert_nonnull (strstr (contents, dir->ldap_uri));
  g_assert_nonnull (strstr (contents, dir->bind_dn));
  g_assert_nonnull (strstr (contents, dir->base_dn));
  g_assert_nonnull (strstr (contents, "Interval=weekly"));
  g_assert_nonnull (strstr (contents, "[UserMapping "));
  g_assert_nonnull (strstr (contents, "All Staff"));
  g_assert_null (strstr (contents, tgt->client_secret));
  g_assert_null (strstr (contents, dir->bind_password));
  secret = ps_secret_lookup_sync (profile, PS_SECRET_BIND_PASSWORD, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (secret, ==, dir->bind_password);
  gtk_widget_destroy (w);
}

/* In the main window Tab leaves the sidebar for the page, and the arrow keys
 * choose the page. */
static void
test_sidebar_keys (void)
{
  g_autoptr(PsProfile) profile = gui_test_new_profile ("sidebar");
  PsWindow *window = ps_window_new (NULL, profile, FALSE);
  GtkWidget *w = GTK_WIDGET (window);
  GtkWidget *sidebar = gui_test_child (window, PS_TYPE_WINDOW, "sidebar");
  PsWizardPage *page;

  gtk_window_set_default_size (GTK_WINDOW (window), 800, 600);
  gtk_widget_show (w);
  gui_test_settle (200);
  /* Tab reaches the sidebar; Down there shows the next page. */
  tab_to (w, sidebar, "The sidebar");
  g_assert_cmpstr (ps_wizard_page_get_page_id (ps_window_get_visible_page (window)), ==, "connection");
  {
    GtkWidget *row = gtk_window_get_focus (GTK_WINDOW (window));

    g_assert_true (GTK_IS_LIST_BOX_ROW (row));
    g_assert_true (gtk_list_box_row_is_selected (GTK_LIST_BOX_ROW (row)));
  }
  press (w, GDK_KEY_Down, 0);
  page = ps_window_get_visible_page (window);
  g_assert_cmpstr (ps_wizard_page_get_page_id (page), ==, "schedule");
  g_assert_true (focus_within (w, sidebar));

  /* One Tab, and the focus is in the page. */
  press (w, GDK_KEY_Tab, 0);
  g_assert_true (focus_within (w, GTK_WIDGET (page)));
  /* Shift+Tab from the page's first control comes back to the sidebar. */
  press (w, GDK_KEY_ISO_Left_Tab, GDK_SHIFT_MASK);
  g_assert_true (focus_within (w, sidebar));
  g_free (gui_test_screenshot (w, "keyboard-sidebar-focus"));
  gtk_widget_destroy (w);
}

int
main (int    argc,
      char **argv)
{
  int result;

  gui_test_init (&argc, &argv);

  g_test_add_func ("/keyboard/sidebar", test_sidebar_keys);
  g_test_add_func ("/keyboard/wizard", test_wizard_by_keyboard);

  result = g_test_run ();
  gui_test_stop_servers ();
  return result;
}
