/* test-directory-slapd.c — PsDirectory against a real slapd (run-with-slapd.sh)
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The fixture is described in tests/servers/gen-ldif.py: 5,000 users plus
 * three with special names, groups all-staff, engineering ⊃ platform ⊃ sre ⊃
 * engineering (a cycle), and "R&D, Ops + \"Lab\" #1 (*) \". The /slapd/adlike
 * tests start two more servers with AD-shaped memberships (gen-ldif.py adlike).
 */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <ldap.h>

#include "ps-test.h"
#include "ps-directory.h"

#define N_USERS 5000
#define SPECIAL_GROUP "R&D, Ops + \"Lab\" #1 (*) \\"

static const char *
env (const char *name)
{
  const char *value = g_getenv (name);

  if (value == NULL)
    g_error ("%s is not set: run this test through tests/directory/run-with-slapd.sh", name);
  return value;
}

static PsDirectoryConfig *
config_new (const char *uri)
{
  PsDirectoryConfig *c = g_new0 (PsDirectoryConfig, 1);

  c->uris = g_new0 (char *, 2);
  c->uris[0] = g_strdup (uri);
  c->tls_mode = g_str_has_prefix (uri, "ldaps:") ? PS_TLS_MODE_LDAPS : PS_TLS_MODE_STARTTLS;
  c->ca_file = g_strdup (env ("PS_TEST_CA_FILE"));
  c->bind_dn = g_strdup (env ("PS_TEST_LDAP_BIND_DN"));
  c->base_dn = g_strdup (env ("PS_TEST_LDAP_BASE"));
  c->page_size = 1000;
  c->timeout = 10;
  c->nested = PS_NESTED_CLIENT;
  return c;
}

static void
config_free (PsDirectoryConfig *c)
{
  g_strfreev (c->uris);
  g_free (c->ca_file);
  g_free (c->bind_dn);
  g_free (c->base_dn);
  g_free (c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsDirectoryConfig, config_free)

static PsDirectory *
open_dir (const char *uri)
{
  g_autoptr(PsDirectoryConfig) c = config_new (uri);

  return ps_directory_new (c, env ("PS_TEST_LDAP_PASSWORD"));
}

static PsDirectory *
connected (void)
{
  g_autoptr(GError) error = NULL;
  PsDirectory *dir = open_dir (env ("PS_TEST_LDAPS_URI"));

  g_assert_true (ps_directory_connect_sync (dir, NULL, &error));
  g_assert_no_error (error);
  return dir;
}

/* Collects entries; honours the restart contract. */
typedef struct {
  GPtrArray *entries;
  guint pages;
  guint max_page;
  gboolean restarted;
} Collector;

static gboolean
collect_cb (GPtrArray  *entries,
            gboolean    restarted,
            gpointer    user_data,
            GError    **error)
{
  Collector *c = user_data;

  if (restarted)
    {
      c->restarted = TRUE;
      g_ptr_array_set_size (c->entries, 0);
    }
  c->pages++;
  c->max_page = MAX (c->max_page, entries->len);
  for (guint i = 0; i < entries->len; i++)
    g_ptr_array_add (c->entries, ps_directory_entry_ref (g_ptr_array_index (entries, i)));
  return TRUE;
}

static void
collector_init (Collector *c)
{
  memset (c, 0, sizeof *c);
  c->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_directory_entry_unref);
}

static void
collector_clear (Collector *c)
{
  g_clear_pointer (&c->entries, g_ptr_array_unref);
}

static PsDirectoryEntry *
find_by_sam (GPtrArray  *entries,
             const char *sam)
{
  for (guint i = 0; i < entries->len; i++)
    {
      PsDirectoryEntry *e = g_ptr_array_index (entries, i);
      g_autofree char *s = ps_directory_entry_dup_string (e, "sAMAccountName", NULL);

      if (g_strcmp0 (s, sam) == 0)
        return e;
    }
  return NULL;
}

/* ---------------------------------------------------------------- connecting */

static void
test_ldaps_verified (void)
{
  g_autoptr(PsDirectory) dir = connected ();

  g_assert_cmpstr (ps_directory_get_connected_uri (dir), ==, env ("PS_TEST_LDAPS_URI"));
  g_assert_cmpint (ps_directory_get_kind (dir), ==, PS_DIRECTORY_KIND_OPENLDAP);
  g_assert_cmpstr (ps_directory_get_user_filter (dir), ==, "(|(objectClass=inetOrgPerson)(objectClass=person))");
}

static void
test_starttls_verified (void)
{
  g_autoptr(PsDirectory) dir = open_dir (env ("PS_TEST_LDAP_URI"));
  g_autoptr(GError) error = NULL;
  g_autoptr(PsDirectoryEntry) group = NULL;

  g_assert_true (ps_directory_connect_sync (dir, NULL, &error));
  g_assert_no_error (error);
  group = ps_directory_find_group_sync (dir, "all-staff", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ps_directory_entry_get_dn (group), ==, "cn=all-staff,ou=groups,dc=example,dc=com");
}

static void
expect_connect_error (PsDirectoryConfig *c,
                      const char        *password,
                      PsDirectoryError   code)
{
  g_autoptr(PsDirectory) dir = ps_directory_new (c, password);
  g_autoptr(GError) error = NULL;

  g_assert_false (ps_directory_connect_sync (dir, NULL, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, PS_DIRECTORY_ERROR, (gint) code);
  g_assert_null (strstr (error->message, password));
}

static void
test_wrong_ca (void)
{
  g_autoptr(PsDirectoryConfig) c = config_new (env ("PS_TEST_LDAPS_URI"));
  g_autoptr(PsDirectoryConfig) s = config_new (env ("PS_TEST_LDAP_URI"));

  g_free (c->ca_file);
  c->ca_file = g_strdup (env ("PS_TEST_OTHER_CA_FILE"));
  expect_connect_error (c, env ("PS_TEST_LDAP_PASSWORD"), PS_DIRECTORY_ERROR_TLS_UNKNOWN_CA);
  /* the same through StartTLS */
  g_free (s->ca_file);
  s->ca_file = g_strdup (env ("PS_TEST_OTHER_CA_FILE"));
  expect_connect_error (s, env ("PS_TEST_LDAP_PASSWORD"), PS_DIRECTORY_ERROR_TLS_UNKNOWN_CA);
}

static void
test_wrong_host (void)
{
  g_autoptr(PsDirectoryConfig) c = config_new (env ("PS_TEST_LDAPS_WRONG_HOST_URI"));

  expect_connect_error (c, env ("PS_TEST_LDAP_PASSWORD"), PS_DIRECTORY_ERROR_TLS_HOSTNAME);
}

static void
test_untrusted_allowed (void)
{
  g_autoptr(PsDirectoryConfig) c = config_new (env ("PS_TEST_LDAPS_WRONG_HOST_URI"));
  g_autoptr(PsDirectory) dir = NULL;
  g_autoptr(GError) error = NULL;

  g_free (c->ca_file);
  c->ca_file = g_strdup (env ("PS_TEST_OTHER_CA_FILE"));
  c->allow_untrusted = TRUE;
  dir = ps_directory_new (c, env ("PS_TEST_LDAP_PASSWORD"));
  g_test_expect_message ("PandaSync", G_LOG_LEVEL_WARNING, "*untrusted certificate*");
  g_assert_true (ps_directory_connect_sync (dir, NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
}

static int
free_port (void)
{
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { 0 };
  socklen_t len = sizeof a;
  int port;

  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &a, sizeof a), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &a, &len), ==, 0);
  port = ntohs (a.sin_port);
  close (fd);
  return port;
}

static void
test_expired_certificate (void)
{
  g_autofree char *cert = g_build_filename (env ("PS_TEST_CERT_DIR"), "expired.pem", NULL);
  g_autofree char *key = g_build_filename (env ("PS_TEST_CERT_DIR"), "expired.key", NULL);
  int port = free_port ();
  g_autofree char *accept = g_strdup_printf ("127.0.0.1:%d", port);
  g_autofree char *uri = g_strdup_printf ("ldaps://127.0.0.1:%d", port);
  const char *argv[] = { "openssl", "s_server", "-quiet", "-accept", accept, "-cert", cert, "-key", key, NULL };
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                                                       | G_SUBPROCESS_FLAGS_STDERR_SILENCE
                                                                       | G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsDirectoryConfig) c = config_new (uri);

  server = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 100; i++)
    {
      g_autoptr(GSocketClient) client = g_socket_client_new ();
      g_autoptr(GSocketConnection) conn = NULL;

      g_socket_client_set_enable_proxy (client, FALSE);
      conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
      if (conn != NULL)
        break;
      g_usleep (50000);
    }
  expect_connect_error (c, env ("PS_TEST_LDAP_PASSWORD"), PS_DIRECTORY_ERROR_TLS_EXPIRED);
  g_subprocess_force_exit (server);
  g_subprocess_wait (server, NULL, NULL);
}

static void
test_refused_and_unreachable (void)
{
  g_autofree char *refused = g_strdup_printf ("ldaps://127.0.0.1:%d", free_port ());
  g_autoptr(PsDirectoryConfig) c = config_new (refused);
  g_autoptr(PsDirectoryConfig) u = config_new ("ldaps://192.0.2.1:636");  /* TEST-NET-1: never answers */
  g_autoptr(PsDirectory) dir = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  expect_connect_error (c, env ("PS_TEST_LDAP_PASSWORD"), PS_DIRECTORY_ERROR_CONNECT);

  u->timeout = 1;
  dir = ps_directory_new (u, env ("PS_TEST_LDAP_PASSWORD"));
  start = g_get_monotonic_time ();
  g_assert_false (ps_directory_connect_sync (dir, NULL, &error));
  g_test_message ("%s", error->message);
  g_assert_true (g_error_matches (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_CONNECT)
                 || g_error_matches (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_TIMEOUT));
  /* the connect timeout is honoured (the GIO diagnosis may add one more) */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
}

static void
test_silent_server (void)
{
  /* a port that completes the TCP handshake and then never says a word */
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { 0 };
  socklen_t len = sizeof a;
  static const PsTlsMode modes[] = { PS_TLS_MODE_LDAPS, PS_TLS_MODE_STARTTLS, PS_TLS_MODE_NONE };

  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &a, sizeof a), ==, 0);
  g_assert_cmpint (listen (fd, 16), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &a, &len), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      g_autofree char *uri = g_strdup_printf ("%s://127.0.0.1:%d", modes[i] == PS_TLS_MODE_LDAPS ? "ldaps" : "ldap",
                                              ntohs (a.sin_port));
      g_autoptr(PsDirectoryConfig) c = config_new (uri);
      g_autoptr(PsDirectory) dir = NULL;
      g_autoptr(GError) error = NULL;
      gint64 start = g_get_monotonic_time ();

      c->tls_mode = modes[i];
      c->allow_plaintext_bind = TRUE;
      c->timeout = 1;
      dir = ps_directory_new (c, env ("PS_TEST_LDAP_PASSWORD"));
      g_assert_false (ps_directory_connect_sync (dir, NULL, &error));
      g_test_message ("%s: %s", uri, error->message);
      g_assert_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_TIMEOUT);
      /* bounded by the timeout, not hung */
      g_assert_cmpint (g_get_monotonic_time () - start, <, 4 * G_USEC_PER_SEC);
    }
  close (fd);
}

static void
test_failover (void)
{
  g_autoptr(PsDirectoryConfig) c = config_new (env ("PS_TEST_LDAPS_URI"));
  g_autoptr(PsDirectory) dir = NULL;
  g_autoptr(GError) error = NULL;

  g_strfreev (c->uris);
  c->uris = g_new0 (char *, 3);
  c->uris[0] = g_strdup_printf ("ldaps://127.0.0.1:%d", free_port ());
  c->uris[1] = g_strdup (env ("PS_TEST_LDAPS_URI"));
  dir = ps_directory_new (c, env ("PS_TEST_LDAP_PASSWORD"));
  g_assert_true (ps_directory_connect_sync (dir, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (ps_directory_get_connected_uri (dir), ==, env ("PS_TEST_LDAPS_URI"));
}

static void
test_plaintext (void)
{
  g_autoptr(PsDirectoryConfig) c = config_new (env ("PS_TEST_LDAP_URI"));
  g_autoptr(PsDirectory) dir = NULL;
  g_autoptr(GError) error = NULL;

  c->tls_mode = PS_TLS_MODE_NONE;
  expect_connect_error (c, env ("PS_TEST_LDAP_PASSWORD"), PS_DIRECTORY_ERROR_PLAINTEXT_REFUSED);
  c->allow_plaintext_bind = TRUE;
  dir = ps_directory_new (c, env ("PS_TEST_LDAP_PASSWORD"));
  g_assert_true (ps_directory_connect_sync (dir, NULL, &error));
  g_assert_no_error (error);
}

static void
test_wrong_password (void)
{
  g_autoptr(PsDirectoryConfig) c = config_new (env ("PS_TEST_LDAPS_URI"));

  expect_connect_error (c, "not-the-password", PS_DIRECTORY_ERROR_INVALID_CREDENTIALS);
}

/* A username in none of the forms a bind takes is named as the fault, with
 * the forms it may take; a DN, even with a wrong password, is not. */
static void
test_bind_name_form (void)
{
  g_autoptr(PsDirectoryConfig) c = config_new (env ("PS_TEST_LDAPS_URI"));
  g_autoptr(PsDirectory) dir = NULL;
  g_autoptr(GError) error = NULL;

  g_free (c->bind_dn);
  c->bind_dn = g_strdup ("svc-pandasync");
  dir = ps_directory_new (c, env ("PS_TEST_LDAP_PASSWORD"));
  g_assert_false (ps_directory_connect_sync (dir, NULL, &error));
  g_assert_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_BIND_NAME);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "“svc-pandasync”"));
  g_assert_nonnull (strstr (error->message, "svc-pandasync@example.com"));
  g_assert_nonnull (strstr (error->message, "EXAMPLE\\svc-pandasync"));

  g_assert_true (ps_directory_bind_name_is_valid ("CN=svc,DC=example,DC=com"));
  g_assert_true (ps_directory_bind_name_is_valid ("svc@example.com"));
  g_assert_true (ps_directory_bind_name_is_valid ("EXAMPLE\\svc"));
  g_assert_false (ps_directory_bind_name_is_valid ("svc-pandasync"));
  g_assert_false (ps_directory_bind_name_is_valid ("@example.com"));
  g_assert_false (ps_directory_bind_name_is_valid ("svc@"));
  g_assert_false (ps_directory_bind_name_is_valid ("\\svc"));
  g_assert_false (ps_directory_bind_name_is_valid (""));
}

/* No base DN: the server's own, from the one namingContexts of its rootDSE. */
static void
test_base_dn_from_root_dse (void)
{
  g_autoptr(PsDirectoryConfig) c = config_new (env ("PS_TEST_LDAPS_URI"));
  g_autoptr(PsDirectory) dir = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsDirectoryEntry) group = NULL;

  g_clear_pointer (&c->base_dn, g_free);
  dir = ps_directory_new (c, env ("PS_TEST_LDAP_PASSWORD"));
  g_assert_true (ps_directory_connect_sync (dir, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (ps_directory_get_base_dn (dir), ==, env ("PS_TEST_LDAP_BASE"));
  /* and a search under it finds what is there */
  group = ps_directory_find_group_sync (dir, "all-staff", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (group);
}

static void
test_connection_steps (void)
{
  g_autoptr(PsDirectory) good = open_dir (env ("PS_TEST_LDAPS_URI"));
  g_autoptr(PsDirectoryConfig) c = config_new (env ("PS_TEST_LDAPS_URI"));
  g_autoptr(PsDirectory) bad_base = NULL;
  g_autoptr(GPtrArray) steps = ps_directory_test_connection_sync (good, "engineering", NULL);
  static const char *const ids[] = { "ldap-resolve", "ldap-connect", "ldap-tls", "ldap-bind", "ldap-base-dn", "ldap-group" };
  PsConnectionStep *step;

  g_assert_cmpuint (steps->len, ==, G_N_ELEMENTS (ids));
  for (guint i = 0; i < steps->len; i++)
    {
      step = g_ptr_array_index (steps, i);
      g_assert_cmpstr (step->id, ==, ids[i]);
      g_assert_cmpint (step->status, ==, PS_STEP_OK);
      g_assert_cmpint (step->duration_us, >=, 0);
    }
  g_assert_true (ps_connection_steps_passed (steps));
  g_clear_pointer (&steps, g_ptr_array_unref);

  g_free (c->base_dn);
  c->base_dn = g_strdup ("ou=nowhere,dc=example,dc=com");
  bad_base = ps_directory_new (c, env ("PS_TEST_LDAP_PASSWORD"));
  steps = ps_directory_test_connection_sync (bad_base, "no such group", NULL);
  g_assert_false (ps_connection_steps_passed (steps));
  step = g_ptr_array_index (steps, 4);
  g_assert_cmpstr (step->id, ==, "ldap-base-dn");
  g_assert_cmpint (step->status, ==, PS_STEP_FAILED);
  g_assert_error (step->error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NO_SUCH_OBJECT);
  step = g_ptr_array_index (steps, 5);
  g_assert_cmpint (step->status, ==, PS_STEP_SKIPPED);
}

static void
test_group_not_found (void)
{
  g_autoptr(PsDirectory) dir = connected ();
  g_autoptr(GError) error = NULL;
  Collector c;

  g_assert_null (ps_directory_find_group_sync (dir, "no-such-group", NULL, &error));
  g_assert_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (ps_directory_find_group_sync (dir, "cn=nope,ou=groups,dc=example,dc=com", NULL, &error));
  g_assert_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* a missing group is an error, never an empty membership */
  collector_init (&c);
  g_assert_false (ps_directory_list_members_sync (dir, "cn=nope,ou=groups,dc=example,dc=com", PS_NESTED_OFF,
                                                  NULL, collect_cb, &c, NULL, &error));
  g_assert_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NO_SUCH_OBJECT);
  g_assert_cmpuint (c.entries->len, ==, 0);
  collector_clear (&c);
}

/* ---------------------------------------------------------------- reading */

static void
test_paged_search (void)
{
  g_autoptr(PsDirectoryConfig) cfg = config_new (env ("PS_TEST_LDAPS_URI"));
  static const char *const attrs[] = { "sAMAccountName", NULL };

  /* the service account's unpaged limit is 1,000 (like AD's MaxPageSize) */
  for (guint size = 250; size <= 1000; size += 750)
    {
      g_autoptr(PsDirectory) dir = NULL;
      g_autoptr(GError) error = NULL;
      Collector c;

      cfg->page_size = size;
      dir = ps_directory_new (cfg, env ("PS_TEST_LDAP_PASSWORD"));
      collector_init (&c);
      g_assert_true (ps_directory_search_sync (dir, "ou=people,dc=example,dc=com", PS_DIRECTORY_SCOPE_ONE,
                                               "(objectClass=inetOrgPerson)", attrs, collect_cb, &c, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (c.entries->len, ==, N_USERS + 3);
      g_assert_cmpuint (c.max_page, <=, size);
      g_assert_cmpuint (c.pages, ==, (N_USERS + 3 + size - 1) / size);
      g_assert_false (c.restarted);
      /* only the attributes asked for */
      g_assert_false (ps_directory_entry_has_attribute (g_ptr_array_index (c.entries, 0), "mail"));
      g_assert_true (ps_directory_entry_has_attribute (g_ptr_array_index (c.entries, 0), "sAMAccountName"));
      collector_clear (&c);
    }
}

static void
test_size_limit (void)
{
  /* this account's paged searches stop at 2,000 entries: an error, never a
   * short result passed off as complete */
  g_autoptr(PsDirectoryConfig) cfg = config_new (env ("PS_TEST_LDAPS_URI"));
  g_autoptr(PsDirectory) dir = NULL;
  g_autoptr(GError) error = NULL;
  static const char *const attrs[] = { "sAMAccountName", NULL };
  Collector c;

  g_free (cfg->bind_dn);
  cfg->bind_dn = g_strdup (env ("PS_TEST_LDAP_LIMITED_BIND_DN"));
  dir = ps_directory_new (cfg, env ("PS_TEST_LDAP_PASSWORD"));
  collector_init (&c);
  g_assert_false (ps_directory_search_sync (dir, "ou=people,dc=example,dc=com", PS_DIRECTORY_SCOPE_ONE,
                                            "(objectClass=inetOrgPerson)", attrs, collect_cb, &c, NULL, &error));
  g_test_message ("%s (after %u entries)", error->message, c.entries->len);
  g_assert_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_SIZE_LIMIT);
  g_assert_nonnull (strstr (error->message, "incomplete"));
  g_assert_cmpuint (c.entries->len, <, N_USERS + 3);
  collector_clear (&c);
}

static void
test_members (void)
{
  g_autoptr(PsDirectory) dir = connected ();
  static const struct {
    const char *group;
    PsNestedMode mode;
    guint count;
    guint enabled;
  } cases[] = {
    { "all-staff", PS_NESTED_OFF, N_USERS, N_USERS - N_USERS / 100 - N_USERS / 100 },
    { "all-staff", PS_NESTED_CLIENT, N_USERS, N_USERS - N_USERS / 100 - N_USERS / 100 },
    { "engineering", PS_NESTED_OFF, 300, 294 },
    { "engineering", PS_NESTED_CLIENT, 360, 353 },
    { "platform", PS_NESTED_CLIENT, 360, 353 },   /* the cycle brings engineering back in */
    { "sre", PS_NESTED_OFF, 10, 10 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PsDirectoryEntry) group = ps_directory_find_group_sync (dir, cases[i].group, NULL, &error);
      g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
      guint enabled = 0;
      Collector c;

      g_assert_no_error (error);
      collector_init (&c);
      g_assert_true (ps_directory_list_members_sync (dir, ps_directory_entry_get_dn (group), cases[i].mode,
                                                     NULL, collect_cb, &c, NULL, &error));
      g_assert_no_error (error);
      g_test_message ("%s mode %d: %u members", cases[i].group, cases[i].mode, c.entries->len);
      g_assert_cmpuint (c.entries->len, ==, cases[i].count);
      for (guint j = 0; j < c.entries->len; j++)
        {
          PsDirectoryEntry *e = g_ptr_array_index (c.entries, j);

          g_assert_true (g_hash_table_add (seen, (gpointer) ps_directory_entry_get_dn (e)));  /* each once */
          if (ps_directory_entry_get_enabled (e))
            enabled++;
        }
      g_assert_cmpuint (enabled, ==, cases[i].enabled);
      if (g_str_equal (cases[i].group, "engineering") && cases[i].mode == PS_NESTED_CLIENT)
        for (guint n = 1; n <= 360; n++)
          {
            g_autofree char *sam = g_strdup_printf ("user%05u", n);

            g_assert_nonnull (find_by_sam (c.entries, sam));
          }
      collector_clear (&c);
    }
  {
    g_autoptr(GError) error = NULL;
    Collector c;

    collector_init (&c);
    g_assert_false (ps_directory_list_members_sync (dir, "cn=engineering,ou=groups,dc=example,dc=com",
                                                    PS_NESTED_IN_CHAIN, NULL, collect_cb, &c, NULL, &error));
    g_assert_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NOT_SUPPORTED);
    collector_clear (&c);
  }
}

static void
test_expand_cycle (void)
{
  g_autoptr(PsDirectory) dir = connected ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) groups = ps_directory_expand_groups_sync (dir, "cn=engineering,ou=groups,dc=example,dc=com",
                                                                 NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (groups->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (groups, 0), ==, "cn=engineering,ou=groups,dc=example,dc=com");
  g_assert_cmpstr (g_ptr_array_index (groups, 1), ==, "cn=platform,ou=groups,dc=example,dc=com");
  g_assert_cmpstr (g_ptr_array_index (groups, 2), ==, "cn=sre,ou=groups,dc=example,dc=com");
}

static void
test_decoding (void)
{
  g_autoptr(PsDirectory) dir = connected ();
  static const struct {
    const char *user;
    const char *sid;
    const char *guid;
    guint32 uac;
    gboolean enabled;
  } cases[] = {
    { "user00001", "S-1-5-21-1111-2222-3333-1001", "00000001-1111-1111-1111-111111111111", 512, TRUE },
    { "user00050", "S-1-5-21-1111-2222-3333-1050", "00000032-1111-1111-1111-111111111111", 512, FALSE },
    { "user00051", "S-1-5-21-1111-2222-3333-1051", "00000033-1111-1111-1111-111111111111", 512, TRUE },
    { "user00100", "S-1-5-21-1111-2222-3333-1100", "00000064-1111-1111-1111-111111111111", 546, FALSE },
    { "user00200", "S-1-5-21-1111-2222-3333-1200", "000000c8-1111-1111-1111-111111111111", 66050, FALSE },
    { "user00300", "S-1-5-21-1111-2222-3333-1300", "0000012c-1111-1111-1111-111111111111", 514, FALSE },
    { "user04999", "S-1-5-21-1111-2222-3333-5999", "00001387-1111-1111-1111-111111111111", 512, TRUE },
  };
  static const char *const attrs[] = {
    "objectSid", "objectGUID", "userAccountControl", "accountExpires", "whenChanged", "uSNChanged", "sAMAccountName", NULL
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PsDirectoryEntry) e = ps_directory_find_user_sync (dir, cases[i].user, attrs, NULL, &error);
      g_autofree char *sid = NULL;
      g_autofree char *guid = NULL;
      g_autofree char *guid_text = NULL;
      g_autoptr(PsDirectoryEntry) by_sid = NULL;
      g_autoptr(PsDirectoryEntry) by_guid = NULL;
      g_autoptr(GDateTime) when = NULL;

      g_assert_no_error (error);
      sid = ps_directory_entry_dup_sid (e);
      guid = ps_directory_entry_dup_guid (e);
      guid_text = ps_directory_entry_dup_string (e, "objectGUID", &error);
      g_assert_cmpstr (sid, ==, cases[i].sid);
      g_assert_cmpstr (guid, ==, cases[i].guid);
      g_assert_cmpstr (guid_text, ==, cases[i].guid);
      g_assert_cmpuint (ps_directory_entry_get_uac (e), ==, cases[i].uac);
      g_assert_cmpint (ps_directory_entry_get_enabled (e), ==, cases[i].enabled);
      when = ps_directory_entry_dup_when_changed (e);
      g_assert_nonnull (when);
      g_assert_cmpint (g_date_time_get_year (when), ==, 2026);
      g_assert_cmpuint (ps_directory_entry_get_usn_changed (e), ==, g_ascii_strtoull (cases[i].user + 4, NULL, 10));

      /* the same user found by its SID and by its GUID */
      by_sid = ps_directory_find_user_sync (dir, cases[i].sid, attrs, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (ps_directory_entry_get_dn (by_sid), ==, ps_directory_entry_get_dn (e));
      by_guid = ps_directory_find_user_sync (dir, cases[i].guid, attrs, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (ps_directory_entry_get_dn (by_guid), ==, ps_directory_entry_get_dn (e));
    }
}

static void
test_special_names (void)
{
  g_autoptr(PsDirectory) dir = connected ();
  g_autoptr(GError) error = NULL;
  g_autoptr(PsDirectoryEntry) group = ps_directory_find_group_sync (dir, SPECIAL_GROUP, NULL, &error);
  g_autoptr(PsDirectoryEntry) by_dn = NULL;
  g_autoptr(PsDirectoryEntry) by_guid = NULL;
  g_autoptr(PsDirectoryEntry) by_sid = NULL;
  g_autoptr(PsDirectoryEntry) smith = NULL;
  g_autofree char *cn = NULL;
  g_autofree char *dn_value = ps_directory_escape_dn_value (SPECIAL_GROUP);
  g_autofree char *dn = g_strdup_printf ("cn=%s,ou=groups,dc=example,dc=com", dn_value);
  PsDirectoryEntry *zoe;
  PsDirectoryEntry *yamada;
  Collector c;

  g_assert_no_error (error);
  cn = ps_directory_entry_dup_string (group, "cn", &error);
  g_assert_cmpstr (cn, ==, SPECIAL_GROUP);

  /* by DN (escaped per RFC 4514), by objectGUID and by objectSid */
  by_dn = ps_directory_find_group_sync (dir, dn, NULL, &error);
  g_assert_no_error (error);
  by_guid = ps_directory_find_group_sync (dir, "00000005-2222-2222-2222-222222222222", NULL, &error);
  g_assert_no_error (error);
  by_sid = ps_directory_find_group_sync (dir, "S-1-5-21-1111-2222-3333-500005", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ps_directory_entry_get_dn (by_dn), ==, ps_directory_entry_get_dn (group));
  g_assert_cmpstr (ps_directory_entry_get_dn (by_guid), ==, ps_directory_entry_get_dn (group));
  g_assert_cmpstr (ps_directory_entry_get_dn (by_sid), ==, ps_directory_entry_get_dn (group));

  collector_init (&c);
  g_assert_true (ps_directory_list_members_sync (dir, ps_directory_entry_get_dn (group), PS_NESTED_CLIENT,
                                                 NULL, collect_cb, &c, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.entries->len, ==, 3);
  zoe = find_by_sam (c.entries, "zoe");
  yamada = find_by_sam (c.entries, "yamada");
  g_assert_nonnull (zoe);
  g_assert_nonnull (yamada);
  g_assert_nonnull (find_by_sam (c.entries, "smith(*)"));
  {
    g_autofree char *given = ps_directory_entry_dup_string (zoe, "givenName", &error);
    g_autofree char *sn = ps_directory_entry_dup_string (yamada, "sn", &error);

    g_assert_no_error (error);
    g_assert_cmpstr (given, ==, "Zoë");
    g_assert_cmpstr (sn, ==, "山田");
  }
  collector_clear (&c);

  /* a name with filter metacharacters is escaped, not interpreted */
  smith = ps_directory_find_user_sync (dir, "smith(*)", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ps_directory_entry_get_dn (smith), ==,
                   "cn=Smith\\2C John \\2B \\22Jr\\22 #1 (*) \\5C x,ou=people,dc=example,dc=com");
  g_assert_null (ps_directory_find_user_sync (dir, "user*", NULL, NULL, &error));
  g_assert_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NOT_FOUND);
}

static void
test_ranged_plain (void)
{
  g_autoptr(PsDirectory) dir = connected ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) members = ps_directory_read_ranged_sync (dir, "cn=all-staff,ou=groups,dc=example,dc=com",
                                                                "member", NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (members->len, ==, N_USERS);
}

static void
test_groups_listing (void)
{
  g_autoptr(PsDirectory) dir = connected ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = ps_directory_list_groups_sync (dir, NULL, 0, NULL, &error);
  g_autoptr(GPtrArray) some = NULL;
  g_autoptr(GPtrArray) star = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 5);
  some = ps_directory_list_groups_sync (dir, "eng", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (some->len, ==, 1);
  g_assert_cmpstr (ps_directory_entry_get_dn (g_ptr_array_index (some, 0)), ==,
                   "cn=engineering,ou=groups,dc=example,dc=com");
  /* "*" is a literal character in the search text */
  star = ps_directory_list_groups_sync (dir, "(*)", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (star->len, ==, 1);
}

static void
test_delta_not_supported (void)
{
  g_autoptr(PsDirectory) dir = connected ();
  g_autoptr(GError) error = NULL;

  g_assert_null (ps_directory_read_watermark_sync (dir, NULL, &error));
  g_assert_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NOT_SUPPORTED);
}

static void
test_cancelled (void)
{
  g_autoptr(PsDirectory) dir = connected ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Collector c;

  collector_init (&c);
  g_cancellable_cancel (cancellable);
  g_assert_false (ps_directory_list_members_sync (dir, "cn=all-staff,ou=groups,dc=example,dc=com",
                                                  PS_NESTED_OFF, NULL, collect_cb, &c, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  collector_clear (&c);
}

/* ---------------------------------------------------------------- AD-shaped members, AD announced or not */

/* Two more slapd instances with the AD-like memberships of gen-ldif.py
 * adlike, one announcing AD's capability OID in its rootDSE and one not, as
 * a proxy in front of AD might. Started on first use, stopped after the run
 * (run-with-slapd.sh also stops them if this program dies). */
typedef struct {
  char *uri;
  char *ca_file;
  GPid pid;
} AdlikeServer;

static AdlikeServer adlike_servers[2];   /* [0] plain rootDSE, [1] AD's */

static int
free_port_pair (void)
{
  for (guint attempt = 0; attempt < 200; attempt++)
    {
      int port = g_random_int_range (20000, 60000);
      gboolean free = TRUE;

      for (int p = port; p <= port + 1 && free; p++)
        {
          struct sockaddr_in a = { 0 };
          int fd = socket (AF_INET, SOCK_STREAM, 0);

          a.sin_family = AF_INET;
          a.sin_port = htons (p);
          a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
          free = bind (fd, (struct sockaddr *) &a, sizeof a) == 0;
          close (fd);
        }
      if (free)
        return port;
    }
  g_error ("no two free ports on 127.0.0.1");
}

static AdlikeServer *
adlike_server (gboolean ad_rootdse)
{
  AdlikeServer *server = &adlike_servers[ad_rootdse ? 1 : 0];
  g_autofree char *script = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) lines = NULL;
  int status = -1;

  if (server->uri != NULL)
    return server;
  script = g_build_filename (env ("PANDASYNC_SOURCE_ROOT"), "tests", "servers", "start-slapd.sh", NULL);
  dir = g_build_filename (env ("PS_TEST_TMP"), ad_rootdse ? "adlike-ad" : "adlike-plain", NULL);
  for (guint attempt = 0; attempt < 5 && status != 0; attempt++)
    {
      g_autofree char *port = g_strdup_printf ("%d", free_port_pair ());
      const char *argv[] = { script, dir, port, "--adlike", ad_rootdse ? "--ad-rootdse" : NULL, NULL };
      g_autoptr(GError) error = NULL;

      g_clear_pointer (&out, g_free);
      g_clear_pointer (&err, g_free);
      g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                   &out, &err, &status, &error));
      g_assert_no_error (error);
    }
  if (status != 0)
    g_error ("start-slapd.sh --adlike failed: %s", err);
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];

      if (g_str_has_prefix (line, "export PS_TEST_LDAPS_URI="))
        server->uri = g_strdup (line + strlen ("export PS_TEST_LDAPS_URI="));
      else if (g_str_has_prefix (line, "export PS_TEST_CA_FILE="))
        server->ca_file = g_strdup (line + strlen ("export PS_TEST_CA_FILE="));
      else if (g_str_has_prefix (line, "export PS_TEST_SLAPD_PID="))
        server->pid = (GPid) g_ascii_strtoll (line + strlen ("export PS_TEST_SLAPD_PID="), NULL, 10);
    }
  g_assert_nonnull (server->uri);
  g_assert_nonnull (server->ca_file);
  g_assert_cmpint (server->pid, >, 0);
  return server;
}

static void
adlike_servers_stop (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (adlike_servers); i++)
    {
      if (adlike_servers[i].pid > 0)
        {
          kill (adlike_servers[i].pid, SIGTERM);
          for (guint n = 0; n < 100 && kill (adlike_servers[i].pid, 0) == 0; n++)
            g_usleep (20000);
        }
      g_clear_pointer (&adlike_servers[i].uri, g_free);
      g_clear_pointer (&adlike_servers[i].ca_file, g_free);
    }
}

static PsDirectory *
adlike_dir (gboolean      ad_rootdse,
            PsServerKind  kind)
{
  AdlikeServer *server = adlike_server (ad_rootdse);
  g_autoptr(PsDirectoryConfig) c = config_new (server->uri);

  g_free (c->ca_file);
  c->ca_file = g_strdup (server->ca_file);
  c->kind = kind;
  return ps_directory_new (c, env ("PS_TEST_LDAP_PASSWORD"));
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* The members' DNs, lower-case and sorted, with the report. */
static char *
read_members_text (PsDirectory               *dir,
                   const char                *group,
                   PsNestedMode               nested,
                   PsDirectoryMemberReport  **report,
                   GError                   **error)
{
  g_autofree char *dn = g_strdup_printf ("cn=%s,ou=groups,dc=example,dc=com", group);
  g_autoptr(GPtrArray) dns = g_ptr_array_new_with_free_func (g_free);
  Collector c;

  collector_init (&c);
  ps_directory_read_members_sync (dir, dn, nested, NULL, collect_cb, &c, report, NULL, error);
  for (guint i = 0; i < c.entries->len; i++)
    g_ptr_array_add (dns, g_ascii_strdown (ps_directory_entry_get_dn (g_ptr_array_index (c.entries, i)), -1));
  g_ptr_array_sort (dns, compare_strings);
  g_ptr_array_add (dns, NULL);
  collector_clear (&c);
  return g_strjoinv (" ", (char **) dns->pdata);
}

#define PEOPLE "ou=people,dc=example,dc=com"

static void
test_adlike_members (void)
{
  static const struct {
    const char *group;
    PsNestedMode nested;
    const char *people;
    guint groups, computers, contacts, fsps;
  } cases[] = {
    { "mixed", PS_NESTED_CLIENT,
      "cn=ad1," PEOPLE " cn=ad2," PEOPLE " cn=ad4," PEOPLE " cn=ad5," PEOPLE " uid=person3," PEOPLE,
      1, 1, 1, 1 },
    { "mixed", PS_NESTED_OFF, "cn=ad1," PEOPLE " cn=ad2," PEOPLE " uid=person3," PEOPLE, 1, 1, 1, 1 },
    { "mixed-nested", PS_NESTED_CLIENT, "cn=ad2," PEOPLE " cn=ad4," PEOPLE " cn=ad5," PEOPLE, 0, 0, 0, 0 },
    { "unique", PS_NESTED_CLIENT, "cn=ad1," PEOPLE " cn=ad2," PEOPLE, 0, 0, 0, 0 },
  };
  static const PsServerKind kinds[] = {
    PS_SERVER_KIND_AUTO, PS_SERVER_KIND_LDAP, PS_SERVER_KIND_ACTIVE_DIRECTORY
  };

  /* the same members whether the server announces AD or not, and whatever
   * the profile says it is */
  for (guint ad = 0; ad < 2; ad++)
    for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
      {
        g_autoptr(PsDirectory) dir = adlike_dir (ad, kinds[k]);

        for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
          {
            g_autoptr(GError) error = NULL;
            g_autoptr(PsDirectoryMemberReport) report = NULL;
            g_autofree char *people = read_members_text (dir, cases[i].group, cases[i].nested, &report, &error);
            g_auto(GStrv) words = g_strsplit (cases[i].people, " ", -1);

            g_test_message ("AD rootDSE %u, kind %u, %s nested %d: %s", ad, kinds[k], cases[i].group,
                            cases[i].nested, people);
            g_assert_no_error (error);
            g_assert_cmpstr (people, ==, cases[i].people);
            g_assert_cmpuint (report->people, ==, g_strv_length (words));
            g_assert_cmpuint (report->groups, ==, cases[i].groups);
            g_assert_cmpuint (report->computers, ==, cases[i].computers);
            g_assert_cmpuint (report->contacts, ==, cases[i].contacts);
            g_assert_cmpuint (report->foreign_principals, ==, cases[i].fsps);
            g_assert_cmpuint (report->unreadable->len, ==, 0);
            g_assert_cmpuint (report->unclassified->len, ==, 0);
          }
      }
}

/* A member that does not exist, one the service account may not read and
 * one of no known class: every readable person still comes, then an error
 * that names them; never a shorter membership passed off as complete. */
static void
test_adlike_partial (void)
{
  for (guint ad = 0; ad < 2; ad++)
    {
      g_autoptr(PsDirectory) dir = adlike_dir (ad, PS_SERVER_KIND_AUTO);
      g_autoptr(GError) error = NULL;
      g_autoptr(PsDirectoryMemberReport) report = NULL;
      g_autofree char *people = read_members_text (dir, "broken", PS_NESTED_CLIENT, &report, &error);

      g_test_message ("%s", error != NULL ? error->message : "(no error)");
      g_assert_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_PARTIAL_MEMBERS);
      g_assert_cmpstr (people, ==, "cn=ad1," PEOPLE);
      g_assert_cmpuint (report->people, ==, 1);
      g_assert_cmpuint (report->unreadable->len, ==, 2);
      g_assert_cmpstr (g_ptr_array_index (report->unreadable, 0), ==, "uid=ghost," PEOPLE);
      g_assert_cmpstr (g_ptr_array_index (report->unreadable, 1), ==, "uid=hidden,ou=restricted,dc=example,dc=com");
      g_assert_cmpuint (report->unclassified->len, ==, 1);
      g_assert_cmpstr (g_ptr_array_index (report->unclassified, 0), ==, "cn=printer,ou=devices,dc=example,dc=com");
      /* the message names the count, the DNs and what to do */
      g_assert_nonnull (strstr (error->message, "2 members"));
      g_assert_nonnull (strstr (error->message, "uid=ghost," PEOPLE));
      g_assert_nonnull (strstr (error->message, "uid=hidden,ou=restricted,dc=example,dc=com"));
      g_assert_nonnull (strstr (error->message, "read access"));
      g_assert_nonnull (strstr (error->message, "cn=printer,ou=devices,dc=example,dc=com"));

      /* the plain listing fails the same way */
      {
        g_autoptr(GError) again = NULL;
        Collector c;

        collector_init (&c);
        g_assert_false (ps_directory_list_members_sync (dir, "cn=broken,ou=groups,dc=example,dc=com",
                                                        PS_NESTED_OFF, NULL, collect_cb, &c, NULL, &again));
        g_assert_error (again, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_PARTIAL_MEMBERS);
        g_assert_cmpuint (c.entries->len, ==, 1);
        collector_clear (&c);
      }
    }
}

/* [Directory] Kind overrides what the rootDSE says, both ways. */
static void
test_adlike_kind_override (void)
{
  static const struct {
    gboolean ad_rootdse;
    PsServerKind setting;
    PsDirectoryKind kind;
  } cases[] = {
    { FALSE, PS_SERVER_KIND_AUTO, PS_DIRECTORY_KIND_OPENLDAP },
    { TRUE, PS_SERVER_KIND_AUTO, PS_DIRECTORY_KIND_ACTIVE_DIRECTORY },
    { FALSE, PS_SERVER_KIND_ACTIVE_DIRECTORY, PS_DIRECTORY_KIND_ACTIVE_DIRECTORY },
    { TRUE, PS_SERVER_KIND_LDAP, PS_DIRECTORY_KIND_OPENLDAP },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(PsDirectory) dir = adlike_dir (cases[i].ad_rootdse, cases[i].setting);
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) steps = NULL;

      g_assert_true (ps_directory_connect_sync (dir, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpint (ps_directory_get_kind (dir), ==, cases[i].kind);
      g_assert_cmpstr (ps_directory_get_user_filter (dir), ==,
                       cases[i].kind == PS_DIRECTORY_KIND_ACTIVE_DIRECTORY
                       ? "(&(objectCategory=person)(objectClass=user))"
                       : "(|(objectClass=inetOrgPerson)(objectClass=person))");
      /* the connection test reads the rootDSE itself: the setting holds there too */
      ps_directory_close (dir);
      steps = ps_directory_test_connection_sync (dir, NULL, NULL);
      g_assert_true (ps_connection_steps_passed (steps));
      g_assert_cmpint (ps_directory_get_kind (dir), ==, cases[i].kind);
      ps_directory_close (dir);
    }
  /* in-chain nesting needs AD: refused when the profile says ldap */
  {
    g_autoptr(PsDirectory) dir = adlike_dir (TRUE, PS_SERVER_KIND_LDAP);
    g_autoptr(GError) error = NULL;
    Collector c;

    collector_init (&c);
    g_assert_false (ps_directory_list_members_sync (dir, "cn=mixed,ou=groups,dc=example,dc=com",
                                                    PS_NESTED_IN_CHAIN, NULL, collect_cb, &c, NULL, &error));
    g_assert_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NOT_SUPPORTED);
    collector_clear (&c);
  }
}

/* ---------------------------------------------------------------- a server that drops the connection */

typedef struct {
  int listen_fd;
  int upstream_port;
  guint fail_connections;   /* the first N connections are cut … */
  gsize cut_after;          /* … after this many bytes to the client */
  guint connections;
  gboolean stop;
  gboolean die;             /* after the first cut, stop listening: the server is gone */
} Proxy;

static void
pump (int client,
      int upstream,
      gsize limit)
{
  char buffer[16384];
  gsize down = 0;

  for (;;)
    {
      struct pollfd fds[2] = { { client, POLLIN, 0 }, { upstream, POLLIN, 0 } };
      ssize_t n;

      if (poll (fds, 2, 5000) <= 0)
        return;
      if (fds[0].revents & (POLLIN | POLLHUP))
        {
          n = read (client, buffer, sizeof buffer);
          if (n <= 0 || write (upstream, buffer, n) != n)
            return;
        }
      if (fds[1].revents & (POLLIN | POLLHUP))
        {
          n = read (upstream, buffer, sizeof buffer);
          if (n <= 0)
            return;
          if (limit > 0 && down + n > limit)
            return;   /* drop both ends mid-stream */
          if (write (client, buffer, n) != n)
            return;
          down += n;
        }
    }
}

static gpointer
proxy_thread (gpointer data)
{
  Proxy *p = data;

  while (!p->stop)
    {
      int client = accept (p->listen_fd, NULL, NULL);
      int upstream;
      struct sockaddr_in a = { 0 };

      if (client < 0)
        break;
      /* the reader probes the port with a bare TCP connect first: not an LDAP session */
      {
        struct pollfd pfd = { client, POLLIN, 0 };
        char byte;

        if (poll (&pfd, 1, 5000) <= 0 || recv (client, &byte, 1, MSG_PEEK) <= 0)
          {
            close (client);
            continue;
          }
      }
      upstream = socket (AF_INET, SOCK_STREAM, 0);
      a.sin_family = AF_INET;
      a.sin_port = htons (p->upstream_port);
      a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
      if (connect (upstream, (struct sockaddr *) &a, sizeof a) == 0)
        pump (client, upstream, p->connections < p->fail_connections ? p->cut_after : 0);
      p->connections++;
      close (upstream);
      close (client);
      if (p->die)
        {
          shutdown (p->listen_fd, SHUT_RDWR);
          break;
        }
    }
  return NULL;
}

static int
proxy_start (Proxy   *p,
             GThread **thread)
{
  struct sockaddr_in a = { 0 };
  socklen_t len = sizeof a;
  int one = 1;
  g_autoptr(GUri) uri = g_uri_parse (env ("PS_TEST_LDAP_URI"), G_URI_FLAGS_NONE, NULL);

  p->upstream_port = g_uri_get_port (uri);
  p->listen_fd = socket (AF_INET, SOCK_STREAM, 0);
  setsockopt (p->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (p->listen_fd, (struct sockaddr *) &a, sizeof a), ==, 0);
  g_assert_cmpint (listen (p->listen_fd, 8), ==, 0);
  g_assert_cmpint (getsockname (p->listen_fd, (struct sockaddr *) &a, &len), ==, 0);
  *thread = g_thread_new ("proxy", proxy_thread, p);
  return ntohs (a.sin_port);
}

static void
proxy_stop (Proxy   *p,
            GThread *thread)
{
  p->stop = TRUE;
  shutdown (p->listen_fd, SHUT_RDWR);
  close (p->listen_fd);
  g_thread_join (thread);
}

static PsDirectory *
through_proxy (int port)
{
  g_autofree char *uri = g_strdup_printf ("ldap://127.0.0.1:%d", port);
  g_autoptr(PsDirectoryConfig) c = config_new (uri);

  c->tls_mode = PS_TLS_MODE_NONE;
  c->allow_plaintext_bind = TRUE;   /* loopback only; keeps the byte count predictable */
  return ps_directory_new (c, env ("PS_TEST_LDAP_PASSWORD"));
}

static void
test_drop_mid_search (void)
{
  static const char *const attrs[] = { "sAMAccountName", "mail", "objectGUID", NULL };
  GThread *thread;

  /* every connection is cut after 400 kB (two or three pages): never a complete read */
  {
    Proxy p = { .fail_connections = G_MAXUINT, .cut_after = 400000 };
    int port = proxy_start (&p, &thread);
    g_autoptr(PsDirectory) dir = through_proxy (port);
    g_autoptr(GError) error = NULL;
    Collector c;

    collector_init (&c);
    g_assert_false (ps_directory_search_sync (dir, "ou=people,dc=example,dc=com", PS_DIRECTORY_SCOPE_ONE,
                                              "(objectClass=inetOrgPerson)", attrs, collect_cb, &c, NULL, &error));
    g_test_message ("%s", error->message);
    g_assert_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_PARTIAL);
    g_assert_cmpuint (c.entries->len, <, N_USERS + 3);
    g_assert_cmpuint (p.connections, ==, 3);   /* the first try and two restarts */
    collector_clear (&c);
    ps_directory_close (dir);
    proxy_stop (&p, thread);
  }
  /* the server goes away for good mid-read: reconnecting fails, the read is partial */
  {
    Proxy p = { .fail_connections = 1, .cut_after = 400000, .die = TRUE };
    int port = proxy_start (&p, &thread);
    g_autoptr(PsDirectory) dir = through_proxy (port);
    g_autoptr(GError) error = NULL;
    Collector c;

    collector_init (&c);
    g_assert_false (ps_directory_search_sync (dir, "ou=people,dc=example,dc=com", PS_DIRECTORY_SCOPE_ONE,
                                              "(objectClass=inetOrgPerson)", attrs, collect_cb, &c, NULL, &error));
    g_test_message ("%s", error->message);
    g_assert_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_PARTIAL);
    g_assert_cmpuint (c.entries->len, >, 0);
    g_assert_cmpuint (c.entries->len, <, N_USERS + 3);
    collector_clear (&c);
    ps_directory_close (dir);
    proxy_stop (&p, thread);
  }
  /* only the first connection is cut: the read restarts from page one and completes */
  {
    Proxy p = { .fail_connections = 1, .cut_after = 300000 };
    int port = proxy_start (&p, &thread);
    g_autoptr(PsDirectory) dir = through_proxy (port);
    g_autoptr(GError) error = NULL;
    Collector c;

    collector_init (&c);
    g_assert_true (ps_directory_search_sync (dir, "ou=people,dc=example,dc=com", PS_DIRECTORY_SCOPE_ONE,
                                             "(objectClass=inetOrgPerson)", attrs, collect_cb, &c, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (c.restarted);
    g_assert_cmpuint (c.entries->len, ==, N_USERS + 3);
    collector_clear (&c);
    ps_directory_close (dir);
    proxy_stop (&p, thread);
  }
}

typedef struct {
  Collector c;
  guint pages;
} Killer;

static gboolean
kill_after_two_pages_cb (GPtrArray  *entries,
                         gboolean    restarted,
                         gpointer    user_data,
                         GError    **error)
{
  Killer *k = user_data;

  if (++k->pages == 2)
    {
      pid_t pid = (pid_t) g_ascii_strtoll (env ("PS_TEST_SLAPD_PID"), NULL, 10);

      g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
      for (guint i = 0; i < 100 && kill (pid, 0) == 0; i++)
        g_usleep (20000);
    }
  return collect_cb (entries, restarted, &k->c, error);
}

/* Runs last: it kills the slapd of this run in the middle of a paged read. */
static void
test_server_killed (void)
{
  g_autoptr(PsDirectory) dir = connected ();
  g_autoptr(GError) error = NULL;
  Killer k = { { 0 }, 0 };

  collector_init (&k.c);
  g_assert_false (ps_directory_list_members_sync (dir, "cn=all-staff,ou=groups,dc=example,dc=com", PS_NESTED_OFF,
                                                  NULL, kill_after_two_pages_cb, &k, NULL, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_PARTIAL);
  g_assert_cmpuint (k.pages, ==, 2);
  g_assert_cmpuint (k.c.entries->len, ==, 2000);
  collector_clear (&k.c);
}

/* ---------------------------------------------------------------- async */

static void
on_async_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
test_async (void)
{
  g_autoptr(PsDirectory) dir = open_dir (env ("PS_TEST_LDAPS_URI"));
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) steps = NULL;
  g_autoptr(GPtrArray) groups = NULL;
  g_autoptr(PsDirectoryEntry) group = NULL;

  ps_directory_test_connection_async (dir, "sre", NULL, on_async_done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  steps = ps_directory_test_connection_finish (dir, result, &error);
  g_assert_no_error (error);
  g_assert_true (ps_connection_steps_passed (steps));
  g_clear_object (&result);

  ps_directory_list_groups_async (dir, "r", 2, NULL, on_async_done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  groups = ps_directory_list_groups_finish (dir, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (groups->len, ==, 2);   /* 4 match "r"; the limit is honoured */
  g_clear_object (&result);

  ps_directory_find_group_async (dir, "no-such-group", NULL, on_async_done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  group = ps_directory_find_group_finish (dir, result, &error);
  g_assert_null (group);
  g_assert_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NOT_FOUND);
}

int
main (int    argc,
      char **argv)
{
  int status;

  ps_test_init (&argc, &argv);

  g_test_add_func ("/slapd/connect/ldaps-verified", test_ldaps_verified);
  g_test_add_func ("/slapd/connect/starttls-verified", test_starttls_verified);
  g_test_add_func ("/slapd/connect/wrong-ca", test_wrong_ca);
  g_test_add_func ("/slapd/connect/wrong-host", test_wrong_host);
  g_test_add_func ("/slapd/connect/untrusted-allowed", test_untrusted_allowed);
  g_test_add_func ("/slapd/connect/expired-certificate", test_expired_certificate);
  g_test_add_func ("/slapd/connect/refused-unreachable", test_refused_and_unreachable);
  g_test_add_func ("/slapd/connect/failover", test_failover);
  g_test_add_func ("/slapd/connect/silent-server", test_silent_server);
  g_test_add_func ("/slapd/connect/plaintext", test_plaintext);
  g_test_add_func ("/slapd/connect/wrong-password", test_wrong_password);
  g_test_add_func ("/slapd/connect/bind-name-form", test_bind_name_form);
  g_test_add_func ("/slapd/connect/base-dn-from-root-dse", test_base_dn_from_root_dse);
  g_test_add_func ("/slapd/connect/steps", test_connection_steps);
  g_test_add_func ("/slapd/read/group-not-found", test_group_not_found);
  g_test_add_func ("/slapd/read/paged", test_paged_search);
  g_test_add_func ("/slapd/read/size-limit", test_size_limit);
  g_test_add_func ("/slapd/read/members", test_members);
  g_test_add_func ("/slapd/read/expand-cycle", test_expand_cycle);
  g_test_add_func ("/slapd/read/decoding", test_decoding);
  g_test_add_func ("/slapd/read/special-names", test_special_names);
  g_test_add_func ("/slapd/read/ranged-plain", test_ranged_plain);
  g_test_add_func ("/slapd/read/groups", test_groups_listing);
  g_test_add_func ("/slapd/read/delta-not-supported", test_delta_not_supported);
  g_test_add_func ("/slapd/read/cancelled", test_cancelled);
  g_test_add_func ("/slapd/read/drop-mid-search", test_drop_mid_search);
  g_test_add_func ("/slapd/adlike/members", test_adlike_members);
  g_test_add_func ("/slapd/adlike/partial", test_adlike_partial);
  g_test_add_func ("/slapd/adlike/kind-override", test_adlike_kind_override);
  g_test_add_func ("/slapd/async", test_async);
  /* last: the read suite runs after the others, and this ends the server */
  g_test_add_func ("/slapd/read/zz-server-killed", test_server_killed);
  status = g_test_run ();
  adlike_servers_stop ();
  return status;
}
