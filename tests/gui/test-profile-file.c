/* test-profile-file.c — hand edits of the profile file while the app runs:
 * reloaded when nothing here is unsaved, a warning with Reload and Keep Mine
 * when something is, and never silently overwritten
 *
 * Real widgets (the main window and its file bar) and a real file monitor:
 * the file is edited as an editor would, beside the running window.
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include "gui-test-util.h"
#include "pages/ps-connection-page.h"
#include "widgets/ps-profile-file-bar.h"

typedef struct {
  PsProfile        *profile;
  PsWindow         *window;
  PsProfileFileBar *bar;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  PsTargetConfig *target;

  f->profile = gui_test_new_profile (data);
  target = ps_profile_get_target (f->profile);
  g_free (target->url);
  target->url = g_strdup ("https://api.example.com");
  target->email = g_strdup ("admin@example.com");
  g_assert_true (ps_profile_save (f->profile, &error));
  g_assert_no_error (error);
  f->window = gui_test_show_window (f->profile, FALSE);
  f->bar = PS_PROFILE_FILE_BAR (ps_window_get_file_bar (f->window));
  g_assert_nonnull (f->bar);
  g_assert_false (ps_profile_file_bar_is_shown (f->bar));
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  gtk_widget_destroy (GTK_WIDGET (f->window));
  g_clear_object (&f->profile);
  gui_test_settle (100);
}

/* Replaces @from with @to in the profile's file, as an editor saving it would. */
static char *
edit_file (Fixture    *f,
           const char *from,
           const char *to)
{
  g_autofree char *contents = NULL;
  g_autoptr(GString) text = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_get_contents (ps_profile_get_path (f->profile), &contents, NULL, &error));
  g_assert_nonnull (strstr (contents, from));
  text = g_string_new (contents);
  g_string_replace (text, from, to, 1);
  g_assert_true (g_file_set_contents (ps_profile_get_path (f->profile), text->str, text->len, &error));
  g_assert_no_error (error);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static char *
file_contents (Fixture *f)
{
  char *contents = NULL;

  g_assert_true (g_file_get_contents (ps_profile_get_path (f->profile), &contents, NULL, NULL));
  return contents;
}

static gboolean
bar_shown (gpointer data)
{
  return ps_profile_file_bar_is_shown (data);
}

static GtkMessageType
bar_type (Fixture *f)
{
  return gtk_info_bar_get_message_type (gui_test_child (f->bar, PS_TYPE_PROFILE_FILE_BAR, "info_bar"));
}

static gboolean
button_visible (Fixture    *f,
                const char *name)
{
  return gtk_widget_get_visible (gui_test_child (f->bar, PS_TYPE_PROFILE_FILE_BAR, name));
}

/* Nothing unsaved here: the edit is taken at once, and the bar says so. */
static void
test_reload_when_clean (Fixture *f, gconstpointer data)
{
  g_autofree char *expected = NULL;
  g_autofree char *after = NULL;

  expected = edit_file (f, "https://api.example.com", "https://assets.example.org");
  g_assert_true (gui_test_wait (bar_shown, f->bar, 10000));
  g_test_message ("bar: %s", ps_profile_file_bar_get_text (f->bar));
  g_assert_cmpint (bar_type (f), ==, GTK_MESSAGE_INFO);
  g_assert_nonnull (strstr (ps_profile_file_bar_get_text (f->bar), "has been reloaded"));
  g_assert_cmpstr (ps_profile_get_target (f->profile)->url, ==, "https://assets.example.org");
  /* The pages show the file as it is now. */
  g_assert_cmpstr (gtk_entry_get_text (gui_test_child (ps_window_get_page (f->window, "connection"),
                                                       PS_TYPE_CONNECTION_PAGE, "url_entry")),
                   ==, "https://assets.example.org");
  g_assert_false (button_visible (f, "reload_button"));
  g_assert_false (button_visible (f, "keep_button"));
  /* Reloading wrote nothing: the file is the hand edit, byte for byte. */
  after = file_contents (f);
  g_assert_cmpstr (after, ==, expected);
  gui_test_screenshot (GTK_WIDGET (f->window), "profile-file-reloaded");

  /* A save of ours afterwards is not someone else's edit. */
  gtk_info_bar_response (gui_test_child (f->bar, PS_TYPE_PROFILE_FILE_BAR, "info_bar"), GTK_RESPONSE_CLOSE);
  g_assert_false (ps_profile_file_bar_is_shown (f->bar));
  g_assert_true (ps_profile_save (f->profile, NULL));
  gui_test_settle (600);
  g_assert_false (ps_profile_file_bar_is_shown (f->bar));
}

/* Unsaved changes here: a warning, the save refused, and Keep Mine writes ours. */
static void
test_warn_and_keep_mine (Fixture *f, gconstpointer data)
{
  PsTargetConfig *target = ps_profile_get_target (f->profile);
  g_autoptr(GError) error = NULL;
  g_autofree char *hand = NULL;
  g_autofree char *after = NULL;
  g_autoptr(PsProfile) saved = NULL;

  g_free (target->email);
  target->email = g_strdup ("mine@example.com");
  hand = edit_file (f, "https://api.example.com", "https://assets.example.org");
  g_assert_true (gui_test_wait (bar_shown, f->bar, 10000));
  g_test_message ("bar: %s", ps_profile_file_bar_get_text (f->bar));
  g_assert_cmpint (bar_type (f), ==, GTK_MESSAGE_WARNING);
  g_assert_nonnull (strstr (ps_profile_file_bar_get_text (f->bar), "changed outside PandaSync"));
  g_assert_true (button_visible (f, "reload_button"));
  g_assert_true (button_visible (f, "keep_button"));
  /* Nothing was taken from the file yet, nor written over it. */
  g_assert_cmpstr (target->url, ==, "https://api.example.com");
  g_assert_false (ps_profile_save (f->profile, &error));
  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_CHANGED_ON_DISK);
  g_clear_error (&error);
  after = file_contents (f);
  g_assert_cmpstr (after, ==, hand);
  gui_test_screenshot (GTK_WIDGET (f->window), "profile-file-changed");

  gtk_button_clicked (gui_test_child (f->bar, PS_TYPE_PROFILE_FILE_BAR, "keep_button"));
  g_assert_cmpint (bar_type (f), ==, GTK_MESSAGE_INFO);
  saved = ps_profile_load_file (ps_profile_get_path (f->profile), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ps_profile_get_target (saved)->email, ==, "mine@example.com");
  g_assert_cmpstr (ps_profile_get_target (saved)->url, ==, "https://api.example.com");
  g_assert_false (ps_profile_changed_on_disk (f->profile));
}

/* Unsaved changes here, and Reload: the file wins. */
static void
test_warn_and_reload (Fixture *f, gconstpointer data)
{
  PsTargetConfig *target = ps_profile_get_target (f->profile);
  g_autofree char *hand = NULL;
  g_autofree char *after = NULL;

  g_free (target->email);
  target->email = g_strdup ("mine@example.com");
  hand = edit_file (f, "https://api.example.com", "https://assets.example.org");
  g_assert_true (gui_test_wait (bar_shown, f->bar, 10000));
  g_assert_cmpint (bar_type (f), ==, GTK_MESSAGE_WARNING);

  gtk_button_clicked (gui_test_child (f->bar, PS_TYPE_PROFILE_FILE_BAR, "reload_button"));
  target = ps_profile_get_target (f->profile);
  g_assert_cmpstr (target->url, ==, "https://assets.example.org");
  g_assert_cmpstr (target->email, ==, "admin@example.com");
  g_assert_false (ps_profile_has_unsaved_changes (f->profile));
  after = file_contents (f);
  g_assert_cmpstr (after, ==, hand);
}

/* Typed into the Connection form but not saved (no Done yet): that counts
 * as unsaved too, and is not reloaded over. */
static void
test_unsaved_form (Fixture *f, gconstpointer data)
{
  GtkEntry *email = gui_test_child (ps_window_get_page (f->window, "connection"), PS_TYPE_CONNECTION_PAGE,
                                    "email_entry");
  g_autofree char *hand = NULL;

  g_assert_false (ps_profile_has_unsaved_changes (f->profile));
  gtk_entry_set_text (email, "typed@example.com");
  hand = edit_file (f, "https://api.example.com", "https://assets.example.org");
  g_assert_true (gui_test_wait (bar_shown, f->bar, 10000));
  g_test_message ("bar: %s", ps_profile_file_bar_get_text (f->bar));
  g_assert_cmpint (bar_type (f), ==, GTK_MESSAGE_WARNING);
  g_assert_true (button_visible (f, "reload_button"));
  g_assert_cmpstr (gtk_entry_get_text (email), ==, "typed@example.com");
  g_assert_cmpstr (ps_profile_get_target (f->profile)->url, ==, "https://api.example.com");

  /* Reload takes the file, and the form shows it. */
  gtk_button_clicked (gui_test_child (f->bar, PS_TYPE_PROFILE_FILE_BAR, "reload_button"));
  g_assert_cmpstr (ps_profile_get_target (f->profile)->url, ==, "https://assets.example.org");
  g_assert_cmpstr (gtk_entry_get_text (email), ==, "admin@example.com");
}

/* A hand edit that breaks the file: PandaSync keeps its profile and says why. */
static void
test_broken_edit (Fixture *f, gconstpointer data)
{
  g_autofree char *hand = edit_file (f, "[AssetPanda]", "[AssetPanda");

  g_assert_true (gui_test_wait (bar_shown, f->bar, 10000));
  g_test_message ("bar: %s", ps_profile_file_bar_get_text (f->bar));
  g_assert_cmpint (bar_type (f), ==, GTK_MESSAGE_ERROR);
  g_assert_nonnull (strstr (ps_profile_file_bar_get_text (f->bar), "cannot be read"));
  g_assert_cmpstr (ps_profile_get_target (f->profile)->url, ==, "https://api.example.com");
  g_assert_false (ps_profile_save (f->profile, NULL));
}

int
main (int    argc,
      char **argv)
{
  gui_test_init (&argc, &argv);
  g_test_add ("/profile-file/reload-when-clean", Fixture, "clean", fixture_set_up,
              test_reload_when_clean, fixture_tear_down);
  g_test_add ("/profile-file/warn-and-keep-mine", Fixture, "keep", fixture_set_up,
              test_warn_and_keep_mine, fixture_tear_down);
  g_test_add ("/profile-file/warn-and-reload", Fixture, "reload", fixture_set_up,
              test_warn_and_reload, fixture_tear_down);
  g_test_add ("/profile-file/unsaved-form", Fixture, "form", fixture_set_up,
              test_unsaved_form, fixture_tear_down);
  g_test_add ("/profile-file/broken-edit", Fixture, "broken", fixture_set_up,
              test_broken_edit, fixture_tear_down);
  return g_test_run ();
}
