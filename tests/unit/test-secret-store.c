/* test-secret-store.c — secrets in gnome-keyring and in a 0600 file
 *
 * Runs inside tests/with-session.sh --keyring: a private D-Bus session with an
 * unlocked gnome-keyring, so the Secret Service calls are real.
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gstdio.h>

#include "ps-profile.h"
#include "ps-secret-store.h"
#include "ps-test.h"

#define SENTINEL "S3ntinel-Secret-7f1c"

static void
require_keyring (void)
{
  if (!ps_test_have_keyring ())
    {
      /* Not a silent skip: without the session wrapper these tests cannot
       * mean anything, so they fail and say how to run them. */
      g_test_fail_printf ("no private keyring session: run through tests/with-session.sh --keyring "
                          "(meson test does this)");
    }
}

static char *
profile_with_credentials_file (PsProfile  *profile,
                               const char *contents,
                               int         mode)
{
  char *path = NULL;

  if (contents != NULL)
    path = ps_test_write_file ("creds/cred.ini", contents, -1, mode);
  else
    path = g_build_filename (g_get_user_cache_dir (), "creds", "new.ini", NULL);
  ps_profile_set_credentials_file (profile, path);
  return path;
}

/* ---------------------------------------------------------------- keyring */

static void
test_keyring_round_trip (void)
{
  g_autoptr(PsProfile) profile = ps_profile_new ("kr");
  g_autoptr(GError) error = NULL;
  g_autoptr(PsSecretString) value = NULL;

  require_keyring ();
  if (g_test_failed ())
    return;
  g_assert_true (ps_secret_store_sync (profile, PS_SECRET_BIND_PASSWORD, SENTINEL, NULL, &error));
  g_assert_no_error (error);
  value = ps_secret_lookup_sync (profile, PS_SECRET_BIND_PASSWORD, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, SENTINEL);

  /* Replacing keeps one item with the new value. */
  g_assert_true (ps_secret_store_sync (profile, PS_SECRET_BIND_PASSWORD, "second", NULL, &error));
  g_clear_pointer (&value, ps_secret_free);
  value = ps_secret_lookup_sync (profile, PS_SECRET_BIND_PASSWORD, NULL, &error);
  g_assert_cmpstr (value, ==, "second");

  g_assert_true (ps_secret_clear_sync (profile, PS_SECRET_BIND_PASSWORD, NULL, &error));
  g_assert_no_error (error);
  g_clear_pointer (&value, ps_secret_free);
  value = ps_secret_lookup_sync (profile, PS_SECRET_BIND_PASSWORD, NULL, &error);
  g_assert_null (value);
  g_assert_error (error, PS_SECRET_ERROR, PS_SECRET_ERROR_NOT_FOUND);
}

static void
test_keyring_separate_items (void)
{
  g_autoptr(PsProfile) a = ps_profile_new ("alpha");
  g_autoptr(PsProfile) b = ps_profile_new ("beta");
  g_autoptr(GError) error = NULL;
  g_autoptr(PsSecretString) v1 = NULL;
  g_autoptr(PsSecretString) v2 = NULL;
  g_autoptr(PsSecretString) v3 = NULL;

  require_keyring ();
  if (g_test_failed ())
    return;
  g_assert_true (ps_secret_store_sync (a, PS_SECRET_API_PASSWORD, "a-pass", NULL, &error));
  g_assert_true (ps_secret_store_sync (a, PS_SECRET_API_CLIENT_SECRET, "a-client", NULL, &error));
  g_assert_true (ps_secret_store_sync (b, PS_SECRET_API_PASSWORD, "b-pass", NULL, &error));
  g_assert_no_error (error);

  v1 = ps_secret_lookup_sync (a, PS_SECRET_API_PASSWORD, NULL, &error);
  v2 = ps_secret_lookup_sync (a, PS_SECRET_API_CLIENT_SECRET, NULL, &error);
  v3 = ps_secret_lookup_sync (b, PS_SECRET_API_PASSWORD, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (v1, ==, "a-pass");
  g_assert_cmpstr (v2, ==, "a-client");
  g_assert_cmpstr (v3, ==, "b-pass");
}

static void
test_keyring_not_found_message (void)
{
  g_autoptr(PsProfile) profile = ps_profile_new ("nosecret");
  g_autoptr(GError) error = NULL;
  g_autoptr(PsSecretString) value = NULL;

  require_keyring ();
  if (g_test_failed ())
    return;
  value = ps_secret_lookup_sync (profile, PS_SECRET_API_CLIENT_SECRET, NULL, &error);
  g_assert_null (value);
  g_assert_error (error, PS_SECRET_ERROR, PS_SECRET_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "Asset Panda API client secret"));
  g_assert_nonnull (strstr (error->message, "“nosecret”"));
  g_assert_nonnull (strstr (error->message, "set-secret --profile nosecret api-client-secret"));
}

static void
test_profile_never_holds_secret (void)
{
  g_autoptr(PsProfile) profile = ps_profile_new ("clean");
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "clean.conf", NULL);
  g_autofree char *contents = NULL;

  require_keyring ();
  if (g_test_failed ())
    return;
  for (PsSecretKind k = 0; k < PS_SECRET_N_KINDS; k++)
    g_assert_true (ps_secret_store_sync (profile, k, SENTINEL, NULL, &error));
  g_assert_true (ps_profile_save_to_file (profile, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_null (strstr (contents, SENTINEL));
}

static void
test_no_service (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(PsProfile) profile = ps_profile_new ("nobus");
      g_autoptr(GError) error = NULL;
      g_autoptr(PsSecretString) value = NULL;
      g_autofree char *bus = g_strdup_printf ("unix:path=%s/no-such-bus", g_get_user_runtime_dir ());

      /* A fresh process: point it at a bus that does not exist before
       * anything connects, as on a server with no desktop session. */
      g_setenv ("DBUS_SESSION_BUS_ADDRESS", bus, TRUE);
      g_unsetenv ("DISPLAY");
      value = ps_secret_lookup_sync (profile, PS_SECRET_BIND_PASSWORD, NULL, &error);
      g_assert_null (value);
      g_assert_error (error, PS_SECRET_ERROR, PS_SECRET_ERROR_NO_SERVICE);
      g_assert_nonnull (strstr (error->message, "CredentialsFile"));
      g_clear_error (&error);

      g_assert_false (ps_secret_store_sync (profile, PS_SECRET_BIND_PASSWORD, "x", NULL, &error));
      g_assert_error (error, PS_SECRET_ERROR, PS_SECRET_ERROR_NO_SERVICE);

      /* The session-only fallback still works. */
      ps_secret_remember_for_session (profile, PS_SECRET_BIND_PASSWORD, "in-memory");
      value = ps_secret_lookup_sync (profile, PS_SECRET_BIND_PASSWORD, NULL, NULL);
      g_assert_cmpstr (value, ==, "in-memory");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* ---------------------------------------------------------------- file */

static void
test_file_round_trip (void)
{
  g_autoptr(PsProfile) profile = ps_profile_new ("svc");
  g_autoptr(GError) error = NULL;
  g_autofree char *path = profile_with_credentials_file (profile, NULL, 0);
  g_autoptr(PsSecretString) value = NULL;
  g_autofree char *contents = NULL;
  GStatBuf st;

  g_assert_true (ps_secret_store_sync (profile, PS_SECRET_BIND_PASSWORD, SENTINEL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ps_secret_store_sync (profile, PS_SECRET_API_PASSWORD, "api", NULL, &error));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  value = ps_secret_lookup_sync (profile, PS_SECRET_BIND_PASSWORD, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, SENTINEL);

  g_assert_true (ps_secret_clear_sync (profile, PS_SECRET_BIND_PASSWORD, NULL, &error));
  g_clear_pointer (&value, ps_secret_free);
  value = ps_secret_lookup_sync (profile, PS_SECRET_BIND_PASSWORD, NULL, &error);
  g_assert_error (error, PS_SECRET_ERROR, PS_SECRET_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "BindPassword"));

  /* The other secret is still there. */
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "ApiPassword=api"));
}

static void
test_file_hand_written (void)
{
  g_autoptr(PsProfile) profile = ps_profile_new ("svc");
  g_autoptr(GError) error = NULL;
  g_autofree char *path = profile_with_credentials_file (
      profile, "# written by the administrator\n[Credentials]\nBindPassword=Pa55;word=\n", 0600);
  g_autoptr(PsSecretString) value = ps_secret_lookup_sync (profile, PS_SECRET_BIND_PASSWORD,
                                                           NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, "Pa55;word=");
}

static void
test_file_refuses_loose_mode (void)
{
  const int modes[] = { 0644, 0640, 0604, 0660 };

  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      g_autoptr(PsProfile) profile = ps_profile_new ("svc");
      g_autoptr(GError) error = NULL;
      g_autofree char *path = profile_with_credentials_file (
          profile, "[Credentials]\nBindPassword=" SENTINEL "\n", modes[i]);
      g_autoptr(PsSecretString) value = NULL;
      g_autofree char *mode = g_strdup_printf ("%04o", modes[i]);

      value = ps_secret_lookup_sync (profile, PS_SECRET_BIND_PASSWORD, NULL, &error);
      g_assert_null (value);
      g_assert_error (error, PS_SECRET_ERROR, PS_SECRET_ERROR_INSECURE_FILE);
      g_assert_nonnull (strstr (error->message, mode));
      g_assert_nonnull (strstr (error->message, "chmod 600"));
      g_assert_null (strstr (error->message, SENTINEL));
      g_clear_error (&error);

      /* Storing is refused too, and the file is left as it was. */
      g_assert_false (ps_secret_store_sync (profile, PS_SECRET_API_PASSWORD, "x", NULL, &error));
      g_assert_error (error, PS_SECRET_ERROR, PS_SECRET_ERROR_INSECURE_FILE);
    }
}

static void
test_file_missing_and_corrupt (void)
{
  g_autoptr(PsProfile) profile = ps_profile_new ("svc");
  g_autoptr(GError) error = NULL;
  g_autoptr(PsSecretString) value = NULL;
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "absent.ini", NULL);

  ps_profile_set_credentials_file (profile, path);
  value = ps_secret_lookup_sync (profile, PS_SECRET_BIND_PASSWORD, NULL, &error);
  g_assert_null (value);
  g_assert_error (error, PS_SECRET_ERROR, PS_SECRET_ERROR_FILE);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);

  g_free (path);
  path = profile_with_credentials_file (profile, "BindPassword=no group\n", 0600);
  value = ps_secret_lookup_sync (profile, PS_SECRET_BIND_PASSWORD, NULL, &error);
  g_assert_null (value);
  g_assert_error (error, PS_SECRET_ERROR, PS_SECRET_ERROR_FILE);
}

static void
test_invalid_values (void)
{
  g_autoptr(PsProfile) profile = ps_profile_new ("svc");
  g_autoptr(GError) error = NULL;
  g_autofree char *path = profile_with_credentials_file (profile, NULL, 0);
  g_autofree char *huge = g_strnfill (PS_SECRET_MAX_LEN + 1, 'x');

  g_assert_false (ps_secret_store_sync (profile, PS_SECRET_BIND_PASSWORD, "", NULL, &error));
  g_assert_error (error, PS_SECRET_ERROR, PS_SECRET_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (ps_secret_store_sync (profile, PS_SECRET_BIND_PASSWORD, "a\nb", NULL, &error));
  g_assert_error (error, PS_SECRET_ERROR, PS_SECRET_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (ps_secret_store_sync (profile, PS_SECRET_BIND_PASSWORD, huge, NULL, &error));
  g_assert_error (error, PS_SECRET_ERROR, PS_SECRET_ERROR_INVALID);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
test_kind_names (void)
{
  PsSecretKind kind;

  for (PsSecretKind k = 0; k < PS_SECRET_N_KINDS; k++)
    {
      g_assert_true (ps_secret_kind_from_string (ps_secret_kind_to_string (k), &kind));
      g_assert_cmpint (kind, ==, k);
    }
  g_assert_false (ps_secret_kind_from_string ("password", &kind));
}

int
main (int    argc,
      char **argv)
{
  ps_test_init (&argc, &argv);

  g_test_add_func ("/secret/keyring/round-trip", test_keyring_round_trip);
  g_test_add_func ("/secret/keyring/separate-items", test_keyring_separate_items);
  g_test_add_func ("/secret/keyring/not-found-message", test_keyring_not_found_message);
  g_test_add_func ("/secret/keyring/profile-never-holds-secret", test_profile_never_holds_secret);
  g_test_add_func ("/secret/no-service", test_no_service);
  g_test_add_func ("/secret/file/round-trip", test_file_round_trip);
  g_test_add_func ("/secret/file/hand-written", test_file_hand_written);
  g_test_add_func ("/secret/file/refuses-loose-mode", test_file_refuses_loose_mode);
  g_test_add_func ("/secret/file/missing-and-corrupt", test_file_missing_and_corrupt);
  g_test_add_func ("/secret/invalid-values", test_invalid_values);
  g_test_add_func ("/secret/kind-names", test_kind_names);

  return g_test_run ();
}
