/* test-app.c — the application as started from the command line
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each case runs PsApplication with real arguments in its own subprocess
 * (one application per process, as in real life), looks at the window it
 * opened and quits.
 */

#include <stdlib.h>

#include "gui-test-util.h"
#include "ps-application.h"

typedef struct {
  PsApplication *app;
  const char    *expect_page;
  gboolean       expect_wizard;
  const char    *expect_path;
  gboolean       checked;
} Check;

/* ---------------------------------------------------------------- helpers */

static char *
write_profile (const char   *name,
               PsSourceKind  source,
               gboolean      with_mapping)
{
  g_autofree char *file = g_strconcat (name, ".conf", NULL);
  char *path = g_build_filename (g_get_user_config_dir (), "elsewhere", file, NULL);
  g_autoptr(PsProfile) profile = ps_profile_new (name);
  PsTargetConfig *t = ps_profile_get_target (profile);
  PsDirectoryConfig *d = ps_profile_get_directory (profile);
  PsEntraIdConfig *e = ps_profile_get_entra_id (profile);
  g_autoptr(GError) error = NULL;

  t->client_id = g_strdup ("ps-demo-client");
  if (source == PS_SOURCE_KIND_ENTRA_ID)
    {
      ps_profile_set_source_kind (profile, PS_SOURCE_KIND_ENTRA_ID);
      e->tenant = g_strdup ("contoso.onmicrosoft.com");
      e->client_id = g_strdup ("11111111-1111-4111-8111-111111111111");
    }
  else if (source == PS_SOURCE_KIND_OKTA)
    {
      ps_profile_set_source_kind (profile, PS_SOURCE_KIND_OKTA);
      ps_profile_get_okta (profile)->url = g_strdup ("https://acme.okta.com");
    }
  else
    {
      g_strfreev (d->uris);
      d->uris = g_strsplit ("ldaps://dc1.example.com", " ", -1);
      d->bind_dn = g_strdup ("svc@example.com");
      d->base_dn = g_strdup ("DC=example,DC=com");
    }
  if (with_mapping)
    ps_profile_add_mapping (profile, gui_test_staff_mapping (NULL));
  ps_profile_save_to_file (profile, path, &error);
  g_assert_no_error (error);
  return path;
}

static gboolean
on_check_timeout_cb (gpointer data)
{
  Check *check = data;
  PsWindow *window = ps_application_get_window (check->app);

  g_assert_nonnull (window);
  if (window != NULL)
    {
      PsWizardPage *page = ps_window_get_visible_page (window);

      g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
      g_assert_cmpint (ps_window_get_wizard (window), ==, check->expect_wizard);
      g_assert_cmpstr (ps_wizard_page_get_page_id (page), ==, check->expect_page);
      if (check->expect_path != NULL)
        g_assert_cmpstr (ps_profile_get_path (ps_window_get_profile (window)), ==, check->expect_path);
    }
  check->checked = TRUE;
  g_action_group_activate_action (G_ACTION_GROUP (check->app), "quit", NULL);
  return G_SOURCE_REMOVE;
}

static int
run_app (Check       *check,
         const char **args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  int status;

  g_ptr_array_add (argv, (char *) "pandasync");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  check->app = ps_application_new ();
  g_timeout_add (1500, on_check_timeout_cb, check);
  status = g_application_run (G_APPLICATION (check->app), argv->len - 1, (char **) argv->pdata);
  g_clear_object (&check->app);
  return status;
}

/* In the test's subprocess, starts the application with "--profile-file"
 * on a profile written by write_profile () (none when @name is NULL) and
 * @extra's arguments, and checks the window opened on @page, in the wizard
 * or not; in the test itself, asserts that the subprocess passed. */
static void
check_app_opens (const char   *name,
                 PsSourceKind  source,
                 gboolean      with_mapping,
                 const char   *extra[],
                 const char   *page,
                 gboolean      wizard)
{
  if (g_test_subprocess ())
    {
      g_autofree char *path = name != NULL ? write_profile (name, source, with_mapping) : NULL;
      g_autoptr(GPtrArray) args = g_ptr_array_new ();
      Check check = { NULL, page, wizard, path, FALSE };

      if (path != NULL)
        {
          g_ptr_array_add (args, (char *) "--profile-file");
          g_ptr_array_add (args, path);
        }
      for (guint i = 0; extra[i] != NULL; i++)
        g_ptr_array_add (args, (char *) extra[i]);
      g_ptr_array_add (args, NULL);
      g_assert_cmpint (run_app (&check, (const char **) args->pdata), ==, 0);
      g_assert_true (check.checked);
      exit (g_test_failed () ? 1 : 0);
    }
  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* ---------------------------------------------------------------- tests */

static void
test_profile_file_and_page (void)
{
  const char *extra[] = { "--page", "users", NULL };

  check_app_opens ("office", PS_SOURCE_KIND_ACTIVE_DIRECTORY, TRUE, extra, "user-mapping", FALSE);
}

static void
test_first_run_shows_wizard (void)
{
  const char *extra[] = { NULL };

  check_app_opens (NULL, PS_SOURCE_KIND_ACTIVE_DIRECTORY, FALSE, extra, "connection", TRUE);
}

/* A profile with its connections but no mapping yet (the demo's) has not
 * finished the first-run wizard: it opens there, on the Connection page. */
static void
test_unfinished_profile_shows_wizard (void)
{
  const char *extra[] = { NULL };

  check_app_opens ("demo", PS_SOURCE_KIND_ACTIVE_DIRECTORY, FALSE, extra, "connection", TRUE);
}

/* An Entra ID profile with a mapping has finished the wizard too, though it
 * has no LDAP URL. */
static void
test_entra_profile_opens_main_window (void)
{
  const char *extra[] = { "--page", "connection", NULL };

  check_app_opens ("cloud", PS_SOURCE_KIND_ENTRA_ID, TRUE, extra, "connection", FALSE);
}

/* So has an Okta profile with a mapping. */
static void
test_okta_profile_opens_main_window (void)
{
  const char *extra[] = { "--page", "connection", NULL };

  check_app_opens ("okta", PS_SOURCE_KIND_OKTA, TRUE, extra, "connection", FALSE);
}

static void
test_unknown_page_fails (void)
{
  if (g_test_subprocess ())
    {
      const char *args[] = { "--page", "nope", NULL };
      Check check = { NULL, NULL, FALSE, NULL, FALSE };

      /* No window: the command line is refused before anything opens. */
      check.app = ps_application_new ();
      {
        const char *argv[] = { "pandasync", args[0], args[1], NULL };
        int status = g_application_run (G_APPLICATION (check.app), 3, (char **) argv);

        g_assert_cmpint (status, ==, 1);
        g_assert_null (ps_application_get_window (check.app));
      }
      g_clear_object (&check.app);
      exit (g_test_failed () ? 1 : 0);
    }
  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*no page called*nope*");
}

int
main (int    argc,
      char **argv)
{
  gui_test_init (&argc, &argv);

  g_test_add_func ("/gui/app/profile-file-and-page", test_profile_file_and_page);
  g_test_add_func ("/gui/app/first-run-shows-wizard", test_first_run_shows_wizard);
  g_test_add_func ("/gui/app/unfinished-profile-shows-wizard", test_unfinished_profile_shows_wizard);
  g_test_add_func ("/gui/app/entra-profile-opens-main-window", test_entra_profile_opens_main_window);
  g_test_add_func ("/gui/app/okta-profile-opens-main-window", test_okta_profile_opens_main_window);
  g_test_add_func ("/gui/app/unknown-page-fails", test_unknown_page_fails);
  return g_test_run ();
}
