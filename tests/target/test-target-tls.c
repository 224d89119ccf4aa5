/* test-target-tls.c — HTTPS to the emulator with its own test CA (S7)
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include "ps-test.h"
#include "ps-emu.h"

static char *ca_dir;
static char *other_dir;

static void
make_ca (const char *dir)
{
  const char *script = g_getenv ("PS_EMULATOR_MAKE_CA");
  const char *argv[] = { script, dir, "--force", NULL };
  g_autoptr(GError) error = NULL;
  int status = -1;

  g_assert_nonnull (script);
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

static PsEmu *
start_https (void)
{
  g_autofree char *cert = g_build_filename (ca_dir, "server.pem", NULL);
  g_autofree char *key = g_build_filename (ca_dir, "server.key", NULL);
  g_autofree char *ca = g_build_filename (ca_dir, "ca.pem", NULL);
  g_autoptr(GTlsDatabase) db = NULL;
  g_autoptr(GError) error = NULL;
  PsEmu *emu = ps_emu_start ("--rate-limit", "0", "--tls-cert", cert, "--tls-key", key, NULL);

  g_free (emu->url);
  emu->url = g_strdup_printf ("https://127.0.0.1:%u", emu->port);
  db = g_tls_file_database_new (ca, &error);
  g_assert_no_error (error);
  g_object_unref (emu->admin);
  emu->admin = soup_session_new_with_options ("tls-database", db, NULL);
  return emu;
}

static PsTarget *
target_with_ca (PsEmu      *emu,
                const char *ca_file)
{
  g_autoptr(GError) error = NULL;
  PsTargetConfig config = { 0 };
  PsTarget *target;

  config.url = emu->url;
  config.dialect = PS_DIALECT_PRO;
  config.client_id = (char *) EMU_PRO_KEY;
  config.ca_file = (char *) ca_file;
  target = ps_target_new (&config, EMU_PRO_SECRET, NULL, &error);
  g_assert_no_error (error);
  return target;
}

static void
test_trusted (void)
{
  g_autoptr(PsEmu) emu = start_https ();
  g_autofree char *ca = g_build_filename (ca_dir, "ca.pem", NULL);
  g_autoptr(PsTarget) target = target_with_ca (emu, ca);
  g_autoptr(GPtrArray) steps = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;

  list = ps_target_list_accounts_sync (target, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  steps = ps_target_test_connection_sync (target, NULL);
  g_assert_null (ps_connection_steps_first_failure (steps));
  g_assert_cmpstr (((PsConnectionStep *) g_ptr_array_index (steps, 2))->id, ==, "tls");
  g_assert_cmpint (((PsConnectionStep *) g_ptr_array_index (steps, 2))->status, ==, PS_STEP_OK);
}

static void
check_untrusted (const char *ca_file)
{
  g_autoptr(PsEmu) emu = start_https ();
  g_autoptr(PsTarget) target = target_with_ca (emu, ca_file);
  g_autoptr(GPtrArray) steps = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;
  PsConnectionStep *failed;

  list = ps_target_list_accounts_sync (target, NULL, &error);
  g_assert_null (list);
  g_assert_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_TLS);
  g_assert_nonnull (strstr (error->message, "CAFile"));
  /* a certificate problem is not retried */
  g_assert_cmpint (ps_emu_stat (emu, "calls"), ==, 0);
  steps = ps_target_test_connection_sync (target, NULL);
  failed = ps_connection_steps_first_failure (steps);
  g_assert_nonnull (failed);
  g_assert_cmpstr (failed->id, ==, "tls");
  g_assert_error (failed->error, PS_TARGET_ERROR, PS_TARGET_ERROR_TLS);
}

static void
test_system_cas_only (void)
{
  check_untrusted (NULL);
}

static void
test_wrong_ca (void)
{
  g_autofree char *other = g_build_filename (other_dir, "ca.pem", NULL);
  check_untrusted (other);
}

static void
test_bad_ca_file (void)
{
  PsTargetConfig config = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PsTarget) target = NULL;

  config.url = (char *) "https://127.0.0.1:1";
  config.dialect = PS_DIALECT_PRO;
  config.client_id = (char *) "k";
  config.ca_file = (char *) "/nonexistent/ca.pem";
  target = ps_target_new (&config, "s", NULL, &error);
  g_assert_null (target);
  g_assert_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "/nonexistent/ca.pem"));
}

int
main (int    argc,
      char **argv)
{
  int status;
  g_autofree char *tmp = NULL;

  ps_test_init (&argc, &argv);
  tmp = g_dir_make_tmp ("ps-tls-XXXXXX", NULL);
  ca_dir = g_build_filename (tmp, "ca", NULL);
  other_dir = g_build_filename (tmp, "other", NULL);
  make_ca (ca_dir);
  make_ca (other_dir);
  g_test_add_func ("/target/tls/trusted-with-ca-file", test_trusted);
  g_test_add_func ("/target/tls/untrusted-without-ca-file", test_system_cas_only);
  g_test_add_func ("/target/tls/untrusted-wrong-ca", test_wrong_ca);
  g_test_add_func ("/target/tls/unreadable-ca-file", test_bad_ca_file);
  status = g_test_run ();
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
    if (system (cmd) != 0)
      g_warning ("could not remove %s", tmp);
  }
  g_free (ca_dir);
  g_free (other_dir);
  return status;
}
