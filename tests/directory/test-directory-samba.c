/* test-directory-samba.c — PsDirectory against a real Samba AD DC (run-with-samba.sh)
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The seed is described in tests/servers/start-samba-dc.sh: bulk0001…bulkN
 * (every 100th disabled), "Big Group" with all of them (over 1,500: range
 * retrieval), Eng ⊃ Eng Platform ⊃ Eng SRE ⊃ Eng, svc-reader (the service
 * account) and off-user (disabled). One DC serves every case of this file.
 */

#include <string.h>
#include <ldap.h>

#include "ps-test.h"
#include "ps-directory.h"

static const char *
env (const char *name)
{
  const char *value = g_getenv (name);

  if (value == NULL)
    g_error ("%s is not set: run this test through tests/directory/run-with-samba.sh", name);
  return value;
}

static guint
n_users (void)
{
  return (guint) g_ascii_strtoull (env ("PS_TEST_SAMBA_USERS"), NULL, 10);
}

static PsDirectoryConfig *
config_new (const char *uri)
{
  PsDirectoryConfig *c = g_new0 (PsDirectoryConfig, 1);

  c->uris = g_new0 (char *, 2);
  c->uris[0] = g_strdup (uri);
  c->tls_mode = g_str_has_prefix (uri, "ldaps:") ? PS_TLS_MODE_LDAPS : PS_TLS_MODE_STARTTLS;
  c->ca_file = g_strdup (env ("PS_TEST_SAMBA_CA_FILE"));
  c->bind_dn = g_strdup (env ("PS_TEST_SAMBA_BIND_DN"));
  c->base_dn = g_strdup (env ("PS_TEST_SAMBA_BASE"));
  c->page_size = 1000;
  c->timeout = 20;
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
connected_as (const char *bind_dn,
              const char *password)
{
  g_autoptr(PsDirectoryConfig) c = config_new (env ("PS_TEST_SAMBA_LDAPS_URI"));
  g_autoptr(GError) error = NULL;
  PsDirectory *dir;

  g_free (c->bind_dn);
  c->bind_dn = g_strdup (bind_dn);
  dir = ps_directory_new (c, password);
  g_assert_true (ps_directory_connect_sync (dir, NULL, &error));
  g_assert_no_error (error);
  return dir;
}

static PsDirectory *
connected (void)
{
  return connected_as (env ("PS_TEST_SAMBA_BIND_DN"), env ("PS_TEST_SAMBA_PASSWORD"));
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

typedef struct {
  GPtrArray *entries;
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

static GHashTable *
sam_names (GPtrArray *entries)
{
  GHashTable *names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < entries->len; i++)
    {
      char *sam = ps_directory_entry_dup_string (g_ptr_array_index (entries, i), "sAMAccountName", NULL);

      g_assert_nonnull (sam);
      g_assert_true (g_hash_table_add (names, sam));   /* each once */
    }
  return names;
}

static char *
group_dn (const char *cn)
{
  return g_strdup_printf ("CN=%s,%s", cn, env ("PS_TEST_SAMBA_OU"));
}

/* An administrator's handle, to change the directory under the reader. */
static LDAP *
admin_ldap (void)
{
  LDAP *ld = NULL;
  int version = LDAP_VERSION3;
  int newctx = 0;
  struct berval cred = { 0, NULL };

  g_assert_cmpint (ldap_initialize (&ld, env ("PS_TEST_SAMBA_LDAPS_URI")), ==, LDAP_SUCCESS);
  ldap_set_option (ld, LDAP_OPT_PROTOCOL_VERSION, &version);
  ldap_set_option (ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
  ldap_set_option (ld, LDAP_OPT_X_TLS_CACERTFILE, env ("PS_TEST_SAMBA_CA_FILE"));
  ldap_set_option (ld, LDAP_OPT_X_TLS_NEWCTX, &newctx);
  cred.bv_val = (char *) env ("PS_TEST_SAMBA_ADMIN_PASSWORD");
  cred.bv_len = strlen (cred.bv_val);
  g_assert_cmpint (ldap_sasl_bind_s (ld, env ("PS_TEST_SAMBA_ADMIN_DN"), LDAP_SASL_SIMPLE, &cred,
                                     NULL, NULL, NULL), ==, LDAP_SUCCESS);
  return ld;
}

static void
admin_replace (LDAP       *ld,
               const char *user,
               const char *attribute,
               const char *value)
{
  g_autofree char *dn = group_dn (user);
  char *values[] = { (char *) value, NULL };
  LDAPMod mod = { LDAP_MOD_REPLACE, (char *) attribute, { values } };
  LDAPMod *mods[] = { &mod, NULL };

  g_assert_cmpint (ldap_modify_ext_s (ld, dn, mods, NULL, NULL), ==, LDAP_SUCCESS);
}

/* ---------------------------------------------------------------- connecting */

static void
test_ldaps_verified (void)
{
  g_autoptr(PsDirectory) dir = connected ();

  g_assert_cmpint (ps_directory_get_kind (dir), ==, PS_DIRECTORY_KIND_ACTIVE_DIRECTORY);
  g_assert_cmpstr (ps_directory_get_user_filter (dir), ==, "(&(objectCategory=person)(objectClass=user))");
  g_assert_cmpstr (ps_directory_get_base_dn (dir), ==, env ("PS_TEST_SAMBA_BASE"));
}

static void
test_starttls_verified (void)
{
  g_autoptr(PsDirectoryConfig) c = config_new (env ("PS_TEST_SAMBA_LDAP_URI"));
  g_autoptr(PsDirectory) dir = ps_directory_new (c, env ("PS_TEST_SAMBA_PASSWORD"));
  g_autoptr(GError) error = NULL;
  g_autoptr(PsDirectoryEntry) group = NULL;

  g_assert_true (ps_directory_connect_sync (dir, NULL, &error));
  g_assert_no_error (error);
  group = ps_directory_find_group_sync (dir, "Eng", NULL, &error);
  g_assert_no_error (error);
}

static void
test_wrong_ca (void)
{
  g_autoptr(PsDirectoryConfig) c = config_new (env ("PS_TEST_SAMBA_LDAPS_URI"));

  g_free (c->ca_file);
  c->ca_file = g_strdup (env ("PS_TEST_SAMBA_OTHER_CA_FILE"));
  expect_connect_error (c, env ("PS_TEST_SAMBA_PASSWORD"), PS_DIRECTORY_ERROR_TLS_UNKNOWN_CA);
}

static void
test_wrong_host (void)
{
  g_autoptr(PsDirectoryConfig) c = config_new (env ("PS_TEST_SAMBA_LDAPS_WRONG_HOST_URI"));

  expect_connect_error (c, env ("PS_TEST_SAMBA_PASSWORD"), PS_DIRECTORY_ERROR_TLS_HOSTNAME);
}

static void
test_wrong_password (void)
{
  g_autoptr(PsDirectoryConfig) c = config_new (env ("PS_TEST_SAMBA_LDAPS_URI"));

  expect_connect_error (c, "Not-The-Passw0rd", PS_DIRECTORY_ERROR_INVALID_CREDENTIALS);
}

static void
test_disabled_account (void)
{
  g_autoptr(PsDirectoryConfig) c = config_new (env ("PS_TEST_SAMBA_LDAPS_URI"));

  g_free (c->bind_dn);
  c->bind_dn = g_strdup (env ("PS_TEST_SAMBA_DISABLED_DN"));
  expect_connect_error (c, env ("PS_TEST_SAMBA_DISABLED_PASSWORD"), PS_DIRECTORY_ERROR_ACCOUNT_DISABLED);
}

static void
test_strong_auth_required (void)
{
  /* even when the profile allows a plaintext bind, the DC refuses it */
  g_autoptr(PsDirectoryConfig) c = config_new (env ("PS_TEST_SAMBA_LDAP_URI"));

  c->tls_mode = PS_TLS_MODE_NONE;
  c->allow_plaintext_bind = TRUE;
  expect_connect_error (c, env ("PS_TEST_SAMBA_PASSWORD"), PS_DIRECTORY_ERROR_STRONG_AUTH_REQUIRED);
}

/* ---------------------------------------------------------------- reading */

static void
test_decoding (void)
{
  g_autoptr(PsDirectory) dir = connected ();
  g_autoptr(GError) error = NULL;
  g_autoptr(PsDirectoryEntry) first = ps_directory_find_user_sync (dir, "bulk0001", NULL, NULL, &error);
  g_autoptr(PsDirectoryEntry) off = NULL;
  g_autoptr(PsDirectoryEntry) by_sid = NULL;
  g_autoptr(PsDirectoryEntry) by_guid = NULL;
  g_autofree char *sid = NULL;
  g_autofree char *guid = NULL;

  g_assert_no_error (error);
  sid = ps_directory_entry_dup_sid (first);
  guid = ps_directory_entry_dup_guid (first);
  /* the same text as Samba's own tools print */
  g_assert_cmpstr (sid, ==, env ("PS_TEST_SAMBA_USER1_SID"));
  g_assert_cmpstr (guid, ==, env ("PS_TEST_SAMBA_USER1_GUID"));
  g_assert_cmpuint (ps_directory_entry_get_uac (first), ==, 544);
  g_assert_true (ps_directory_entry_get_enabled (first));

  off = ps_directory_find_user_sync (dir, "bulk0100", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ps_directory_entry_get_uac (off), ==, 546);
  g_assert_false (ps_directory_entry_get_enabled (off));

  by_sid = ps_directory_find_user_sync (dir, sid, NULL, NULL, &error);
  g_assert_no_error (error);
  by_guid = ps_directory_find_user_sync (dir, guid, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ps_directory_entry_get_dn (by_sid), ==, ps_directory_entry_get_dn (first));
  g_assert_cmpstr (ps_directory_entry_get_dn (by_guid), ==, ps_directory_entry_get_dn (first));
}

static void
test_range_retrieval (void)
{
  g_autoptr(PsDirectory) dir = connected ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dn = group_dn ("Big Group");
  g_autoptr(GPtrArray) members = ps_directory_read_ranged_sync (dir, dn, "member", NULL, &error);
  g_autoptr(GHashTable) distinct = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_assert_no_error (error);
  g_assert_cmpuint (n_users (), >, 1500);
  g_assert_cmpuint (members->len, ==, n_users ());
  for (guint i = 0; i < members->len; i++)
    {
      gsize n;
      const char *data = g_bytes_get_data (g_ptr_array_index (members, i), &n);

      g_assert_true (g_hash_table_add (distinct, g_ascii_strdown (data, n)));
    }
  g_assert_cmpuint (g_hash_table_size (distinct), ==, n_users ());
}

static void
test_members (void)
{
  g_autoptr(PsDirectory) dir = connected ();
  static const struct {
    const char *group;
    PsNestedMode mode;
    guint first;
    guint last;
  } cases[] = {
    { "Eng", PS_NESTED_OFF, 1, 20 },
    { "Eng", PS_NESTED_CLIENT, 1, 35 },
    { "Eng", PS_NESTED_IN_CHAIN, 1, 35 },
    { "Eng SRE", PS_NESTED_CLIENT, 1, 35 },   /* the cycle */
    { "Eng SRE", PS_NESTED_OFF, 31, 35 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *dn = group_dn (cases[i].group);
      g_autoptr(GHashTable) names = NULL;
      Collector c;

      collector_init (&c);
      g_assert_true (ps_directory_list_members_sync (dir, dn, cases[i].mode, NULL, collect_cb, &c, NULL, &error));
      g_assert_no_error (error);
      names = sam_names (c.entries);
      g_assert_cmpuint (g_hash_table_size (names), ==, cases[i].last - cases[i].first + 1);
      for (guint n = cases[i].first; n <= cases[i].last; n++)
        {
          g_autofree char *sam = g_strdup_printf ("bulk%04u", n);

          g_assert_true (g_hash_table_contains (names, sam));
        }
      collector_clear (&c);
    }

  /* the big group, streamed in pages, with exact enabled flags */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *dn = group_dn ("Big Group");
    g_autoptr(GHashTable) names = NULL;
    guint enabled = 0;
    Collector c;

    collector_init (&c);
    g_assert_true (ps_directory_list_members_sync (dir, dn, PS_NESTED_CLIENT, NULL, collect_cb, &c, NULL, &error));
    g_assert_no_error (error);
    names = sam_names (c.entries);
    g_assert_cmpuint (g_hash_table_size (names), ==, n_users ());
    for (guint i = 0; i < c.entries->len; i++)
      if (ps_directory_entry_get_enabled (g_ptr_array_index (c.entries, i)))
        enabled++;
    g_assert_cmpuint (enabled, ==, n_users () - n_users () / 100);
    collector_clear (&c);
  }
}

static void
test_primary_group (void)
{
  /* Domain Users holds its members through their primaryGroupID only */
  g_autoptr(PsDirectory) dir = connected ();
  g_autoptr(GError) error = NULL;
  g_autoptr(PsDirectoryEntry) group = ps_directory_find_group_sync (dir, "Domain Users", NULL, &error);
  g_autoptr(GHashTable) names = NULL;
  Collector c;

  g_assert_no_error (error);
  collector_init (&c);
  g_assert_true (ps_directory_list_members_sync (dir, ps_directory_entry_get_dn (group), PS_NESTED_OFF, NULL,
                                                 collect_cb, &c, NULL, &error));
  g_assert_no_error (error);
  names = sam_names (c.entries);
  g_assert_true (g_hash_table_contains (names, "bulk0001"));
  g_assert_true (g_hash_table_contains (names, "svc-reader"));
  g_assert_true (g_hash_table_contains (names, "Administrator"));
  /* every bulk user (one may already be deleted by the tombstone case) */
  g_assert_cmpuint (g_hash_table_size (names), >=, n_users () + 1);
  collector_clear (&c);
}

static void
test_groups (void)
{
  g_autoptr(PsDirectory) dir = connected ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) eng = ps_directory_list_groups_sync (dir, "Eng", 0, NULL, &error);
  g_autoptr(PsDirectoryEntry) by_name = NULL;
  g_autoptr(PsDirectoryEntry) by_sid = NULL;
  g_autoptr(PsDirectoryEntry) by_guid = NULL;
  g_autofree char *sid = NULL;
  g_autofree char *guid = NULL;
  g_autoptr(GPtrArray) sre = NULL;
  g_autoptr(GHashTable) names = NULL;

  g_assert_no_error (error);
  /* "eng" also matches built-in groups' descriptions ("…challenge…") */
  names = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < eng->len; i++)
    g_hash_table_add (names, (gpointer) ps_directory_entry_get_dn (g_ptr_array_index (eng, i)));
  for (guint i = 0; i < 3; i++)
    {
      static const char *const cns[] = { "Eng", "Eng Platform", "Eng SRE" };
      g_autofree char *dn = group_dn (cns[i]);

      g_assert_true (g_hash_table_contains (names, dn));
    }
  sre = ps_directory_list_groups_sync (dir, "Eng S", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sre->len, ==, 1);
  by_name = ps_directory_find_group_sync (dir, "Big Group", NULL, &error);
  g_assert_no_error (error);
  sid = ps_directory_entry_dup_sid (by_name);
  guid = ps_directory_entry_dup_guid (by_name);
  g_assert_true (g_str_has_prefix (sid, "S-1-5-21-"));
  by_sid = ps_directory_find_group_sync (dir, sid, NULL, &error);
  g_assert_no_error (error);
  by_guid = ps_directory_find_group_sync (dir, guid, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ps_directory_entry_get_dn (by_sid), ==, ps_directory_entry_get_dn (by_name));
  g_assert_cmpstr (ps_directory_entry_get_dn (by_guid), ==, ps_directory_entry_get_dn (by_name));
  g_assert_null (ps_directory_find_group_sync (dir, "S-1-5-21-1-2-3-4", NULL, &error));
  g_assert_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NOT_FOUND);
}

static void
test_delta (void)
{
  g_autoptr(PsDirectory) dir = connected ();
  g_autoptr(GError) error = NULL;
  g_autoptr(PsDirectoryWatermark) before = ps_directory_read_watermark_sync (dir, NULL, &error);
  g_autoptr(PsDirectoryWatermark) after = NULL;
  g_autoptr(PsDirectoryWatermark) again = NULL;
  g_autoptr(PsDirectoryWatermark) other = NULL;
  g_autoptr(GHashTable) names = NULL;
  LDAP *ld;
  Collector c;

  g_assert_no_error (error);
  g_assert_cmpuint (before->usn, >, 0);
  g_assert_cmpstr (before->server, ==, "dc1.lab.example.com");
  g_assert_nonnull (before->invocation_id);
  g_assert_cmpuint (strlen (before->invocation_id), ==, 36);

  /* nothing changed yet */
  collector_init (&c);
  g_assert_true (ps_directory_search_changes_sync (dir, before, NULL, NULL, collect_cb, &c, &after, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.entries->len, ==, 0);
  g_clear_pointer (&after, ps_directory_watermark_free);
  collector_clear (&c);

  ld = admin_ldap ();
  admin_replace (ld, "bulk0002", "description", "moved to finance");
  admin_replace (ld, "bulk0003", "telephoneNumber", "+1 555 0003");
  admin_replace (ld, "bulk0004", "userAccountControl", "546");
  ldap_unbind_ext_s (ld, NULL, NULL);

  collector_init (&c);
  g_assert_true (ps_directory_search_changes_sync (dir, before, NULL, NULL, collect_cb, &c, &after, NULL, &error));
  g_assert_no_error (error);
  names = sam_names (c.entries);
  g_assert_cmpuint (g_hash_table_size (names), ==, 3);
  g_assert_true (g_hash_table_contains (names, "bulk0002"));
  g_assert_true (g_hash_table_contains (names, "bulk0003"));
  g_assert_true (g_hash_table_contains (names, "bulk0004"));
  for (guint i = 0; i < c.entries->len; i++)
    {
      PsDirectoryEntry *e = g_ptr_array_index (c.entries, i);
      g_autofree char *sam = ps_directory_entry_dup_string (e, "sAMAccountName", NULL);

      g_assert_cmpint (ps_directory_entry_get_enabled (e), ==, !g_str_equal (sam, "bulk0004"));
    }
  g_assert_cmpuint (after->usn, >, before->usn);
  g_assert_cmpstr (after->invocation_id, ==, before->invocation_id);
  collector_clear (&c);

  /* from the new watermark: nothing */
  collector_init (&c);
  g_assert_true (ps_directory_search_changes_sync (dir, after, NULL, NULL, collect_cb, &c, &again, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.entries->len, ==, 0);
  g_assert_cmpuint (again->usn, ==, after->usn);
  collector_clear (&c);

  /* a restored database (new invocationId) forces a full read */
  other = ps_directory_watermark_copy (after);
  g_free (other->invocation_id);
  other->invocation_id = g_strdup ("00000000-0000-0000-0000-000000000000");
  collector_init (&c);
  g_assert_false (ps_directory_search_changes_sync (dir, other, NULL, NULL, collect_cb, &c, NULL, NULL, &error));
  g_assert_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_FULL_READ_REQUIRED);
  collector_clear (&c);
}

static void
test_tombstones (void)
{
  g_autoptr(PsDirectory) admin = connected_as (env ("PS_TEST_SAMBA_ADMIN_DN"), env ("PS_TEST_SAMBA_ADMIN_PASSWORD"));
  g_autoptr(PsDirectory) reader = connected ();
  g_autoptr(GError) error = NULL;
  g_autoptr(PsDirectoryEntry) victim = ps_directory_find_user_sync (admin, "bulk0005", NULL, NULL, &error);
  g_autoptr(PsDirectoryWatermark) before = NULL;
  g_autofree char *guid = NULL;
  g_autofree char *sid = NULL;
  LDAP *ld;
  Collector c;

  g_assert_no_error (error);
  guid = ps_directory_entry_dup_guid (victim);
  sid = ps_directory_entry_dup_sid (victim);
  before = ps_directory_read_watermark_sync (admin, NULL, &error);
  g_assert_no_error (error);

  ld = admin_ldap ();
  g_assert_cmpint (ldap_delete_ext_s (ld, ps_directory_entry_get_dn (victim), NULL, NULL), ==, LDAP_SUCCESS);
  ldap_unbind_ext_s (ld, NULL, NULL);

  collector_init (&c);
  g_assert_true (ps_directory_search_deleted_sync (admin, before, NULL, collect_cb, &c, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.entries->len, ==, 1);
  {
    PsDirectoryEntry *tomb = g_ptr_array_index (c.entries, 0);
    g_autofree char *tomb_guid = ps_directory_entry_dup_guid (tomb);
    g_autofree char *tomb_sid = ps_directory_entry_dup_sid (tomb);
    g_autofree char *deleted = ps_directory_entry_dup_string (tomb, "isDeleted", NULL);

    g_test_message ("tombstone %s", ps_directory_entry_get_dn (tomb));
    g_assert_cmpstr (tomb_guid, ==, guid);
    g_assert_cmpstr (tomb_sid, ==, sid);
    g_assert_cmpstr (deleted, ==, "TRUE");
  }
  collector_clear (&c);

  /* the deleted user is gone from the live tree */
  g_assert_null (ps_directory_find_user_sync (reader, guid, NULL, NULL, &error));
  g_assert_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* an ordinary account may not be allowed to see tombstones: that is an
   * answer (none, or access denied), never a crash or a wrong entry */
  collector_init (&c);
  if (ps_directory_search_deleted_sync (reader, before, NULL, collect_cb, &c, NULL, &error))
    {
      g_test_message ("the service account sees %u tombstones", c.entries->len);
      g_assert_cmpuint (c.entries->len, <=, 1);
    }
  else
    g_test_message ("the service account may not list tombstones: %s", error->message);
  collector_clear (&c);
}

int
main (int    argc,
      char **argv)
{
  ps_test_init (&argc, &argv);

  g_test_add_func ("/samba/connect/ldaps-verified", test_ldaps_verified);
  g_test_add_func ("/samba/connect/starttls-verified", test_starttls_verified);
  g_test_add_func ("/samba/connect/wrong-ca", test_wrong_ca);
  g_test_add_func ("/samba/connect/wrong-host", test_wrong_host);
  g_test_add_func ("/samba/connect/wrong-password", test_wrong_password);
  g_test_add_func ("/samba/connect/disabled-account", test_disabled_account);
  g_test_add_func ("/samba/connect/strong-auth-required", test_strong_auth_required);
  g_test_add_func ("/samba/read/decoding", test_decoding);
  g_test_add_func ("/samba/read/range-retrieval", test_range_retrieval);
  g_test_add_func ("/samba/read/members", test_members);
  g_test_add_func ("/samba/read/groups", test_groups);
  g_test_add_func ("/samba/read/primary-group", test_primary_group);
  g_test_add_func ("/samba/delta/usn-changed", test_delta);
  g_test_add_func ("/samba/delta/tombstones", test_tombstones);
  return g_test_run ();
}
