/* test-directory-unit.c — the directory reader's decoders, escaping and error mapping (no server)
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <ldap.h>

#include "ps-test.h"
#include "ps-directory.h"

static void
test_sid_round_trip (void)
{
  /* S-1-5-21-1004336348-1177238915-682003330-1105, as AD sends it */
  static const guint8 wire[] = {
    0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x15, 0x00, 0x00, 0x00,
    0xdc, 0xf4, 0xdc, 0x3b, 0x83, 0x3d, 0x2b, 0x46, 0x82, 0x8b, 0xa6, 0x28, 0x51, 0x04, 0x00, 0x00
  };
  g_autofree char *text = ps_directory_sid_to_string (wire, sizeof wire);
  g_autoptr(GBytes) back = NULL;
  g_autoptr(GError) error = NULL;
  gsize n;
  const guint8 *data;

  g_assert_cmpstr (text, ==, "S-1-5-21-1004336348-1177238915-682003330-1105");
  back = ps_directory_sid_from_string (text, &error);
  g_assert_no_error (error);
  data = g_bytes_get_data (back, &n);
  g_assert_cmpmem (data, n, wire, sizeof wire);

  /* well-known SIDs with fewer sub-authorities */
  {
    g_autoptr(GBytes) everyone = ps_directory_sid_from_string ("S-1-1-0", &error);
    g_autofree char *again = NULL;

    g_assert_no_error (error);
    data = g_bytes_get_data (everyone, &n);
    again = ps_directory_sid_to_string (data, n);
    g_assert_cmpstr (again, ==, "S-1-1-0");
  }

  /* malformed */
  g_assert_null (ps_directory_sid_to_string (wire, sizeof wire - 1));
  g_assert_null (ps_directory_sid_to_string (wire, 3));
  for (guint i = 0; i < 5; i++)
    {
      static const char *const bad[] = { "S-1", "S-2-5-21", "S-1-5-x", "X-1-5-21", "S-1-5-21-99999999999" };
      g_autoptr(GError) e = NULL;

      g_assert_null (ps_directory_sid_from_string (bad[i], &e));
      g_assert_error (e, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_INVALID_ARGUMENT);
    }
}

static void
test_guid_round_trip (void)
{
  /* Microsoft's byte order: the first three groups are little-endian */
  static const guint8 wire[] = {
    0x3c, 0x2d, 0x1e, 0x0f, 0x5a, 0x4b, 0x78, 0x69, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0
  };
  g_autofree char *text = ps_directory_guid_to_string (wire, sizeof wire);
  g_autoptr(GBytes) back = NULL;
  g_autoptr(GBytes) braced = NULL;
  g_autoptr(GError) error = NULL;
  gsize n;
  const guint8 *data;

  g_assert_cmpstr (text, ==, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
  back = ps_directory_guid_from_string (text, &error);
  g_assert_no_error (error);
  data = g_bytes_get_data (back, &n);
  g_assert_cmpmem (data, n, wire, sizeof wire);
  braced = ps_directory_guid_from_string ("{0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0}", &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (braced, back));

  g_assert_null (ps_directory_guid_to_string (wire, 15));
  g_assert_null (ps_directory_guid_from_string ("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f", &error));
  g_assert_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (ps_directory_guid_from_string ("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1fz", &error));
  g_assert_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_INVALID_ARGUMENT);
}

static PsDirectoryEntry *
make_user (const char *uac,
           const char *expires)
{
  PsDirectoryEntry *e = ps_directory_entry_new ("CN=Test,DC=example,DC=com");

  if (uac != NULL)
    ps_directory_entry_add_value (e, "userAccountControl", uac, strlen (uac));
  if (expires != NULL)
    ps_directory_entry_add_value (e, "accountExpires", expires, strlen (expires));
  return e;
}

static void
test_enabled (void)
{
  static const struct {
    const char *uac;
    const char *expires;
    gboolean enabled;
  } cases[] = {
    { "512", NULL, TRUE },
    { "514", NULL, FALSE },                   /* NORMAL | ACCOUNTDISABLE */
    { "546", NULL, FALSE },                   /* + PASSWD_NOTREQD */
    { "66050", NULL, FALSE },                 /* + DONT_EXPIRE_PASSWORD */
    { "66048", NULL, TRUE },                  /* DONT_EXPIRE_PASSWORD, enabled */
    { "544", NULL, TRUE },
    { "-2147483136", NULL, TRUE },            /* 0x80000200: high bit, signed; bit 0x2 clear */
    { "-2147483134", NULL, FALSE },           /* 0x80000202 */
    { "-2147483646", NULL, FALSE },           /* 0x80000002 */
    { "512", "0", TRUE },                     /* never */
    { "512", "9223372036854775807", TRUE },   /* never */
    { "512", "132223104000000000", FALSE },   /* 2020-01-01: expired */
    { "512", "157766880000000000", TRUE },    /* 2100-01-01 */
    { "514", "157766880000000000", FALSE },
    { NULL, NULL, TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(PsDirectoryEntry) e = make_user (cases[i].uac, cases[i].expires);

      g_test_message ("uac %s expires %s", cases[i].uac, cases[i].expires);
      g_assert_cmpint (ps_directory_entry_get_enabled (e), ==, cases[i].enabled);
    }
  {
    g_autoptr(GDateTime) when = ps_directory_filetime_to_date_time (G_GINT64_CONSTANT (132223104000000000));

    g_assert_nonnull (when);
    g_assert_cmpint (g_date_time_get_year (when), ==, 2020);
    g_assert_cmpint (g_date_time_get_month (when), ==, 1);
    g_assert_cmpint (g_date_time_get_day_of_month (when), ==, 1);
    g_assert_null (ps_directory_filetime_to_date_time (0));
    g_assert_null (ps_directory_filetime_to_date_time (PS_FILETIME_NEVER));
  }
}

static void
test_entry_values (void)
{
  g_autoptr(PsDirectoryEntry) e = ps_directory_entry_new ("CN=Zoë,DC=example,DC=com");
  static const guint8 sid[] = { 1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0 };
  static const char bad_utf8[] = "caf\xc3";
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) all = NULL;
  g_autoptr(GDateTime) changed = NULL;

  ps_directory_entry_add_value (e, "objectSid", sid, sizeof sid);
  ps_directory_entry_add_value (e, "givenName", "Zoë", strlen ("Zoë"));
  ps_directory_entry_add_value (e, "description", bad_utf8, strlen (bad_utf8));
  ps_directory_entry_add_value (e, "memberOf", "CN=A", 4);
  ps_directory_entry_add_value (e, "memberOf", "CN=B", 4);
  ps_directory_entry_add_value (e, "whenChanged", "20261122023750.0Z", 17);
  ps_directory_entry_add_value (e, "uSNChanged", "123456", 6);
  ps_directory_entry_add_value (e, "lockoutTime", "0", 1);

  text = ps_directory_entry_dup_string (e, "OBJECTSID", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "S-1-5-18");
  g_clear_pointer (&text, g_free);
  text = ps_directory_entry_dup_string (e, "givenname", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "Zoë");
  g_clear_pointer (&text, g_free);

  /* invalid UTF-8 is an error, not a crash and not mangled text */
  text = ps_directory_entry_dup_string (e, "description", &error);
  g_assert_null (text);
  g_assert_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_INVALID_VALUE);
  g_clear_error (&error);

  g_assert_null (ps_directory_entry_dup_string (e, "mail", &error));
  g_assert_no_error (error);

  all = ps_directory_entry_dup_strings (e, "memberOf", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (all), ==, 2);
  g_assert_cmpstr (all[1], ==, "CN=B");

  changed = ps_directory_entry_dup_when_changed (e);
  g_assert_nonnull (changed);
  g_assert_cmpint (g_date_time_get_hour (changed), ==, 2);
  g_assert_cmpint (g_date_time_get_minute (changed), ==, 37);
  g_assert_cmpuint (ps_directory_entry_get_usn_changed (e), ==, 123456);
  g_assert_false (ps_directory_entry_get_locked (e));
  g_assert_null (ps_directory_entry_dup_guid (e));
}

/* What a member is comes from its own objectClass values only. */
static void
test_member_kind (void)
{
  static const struct {
    const char *classes;
    PsDirectoryMemberKind kind;
  } cases[] = {
    { "top person organizationalPerson user", PS_DIRECTORY_MEMBER_PERSON },
    { "inetOrgPerson", PS_DIRECTORY_MEMBER_PERSON },
    { "top person", PS_DIRECTORY_MEMBER_PERSON },
    { "organizationalPerson", PS_DIRECTORY_MEMBER_PERSON },
    /* AD's computer derives from user and person: the computer wins */
    { "top person organizationalPerson user computer", PS_DIRECTORY_MEMBER_COMPUTER },
    { "top person organizationalPerson user computer msDS-GroupManagedServiceAccount",
      PS_DIRECTORY_MEMBER_COMPUTER },
    { "top person organizationalPerson contact", PS_DIRECTORY_MEMBER_CONTACT },
    { "top foreignSecurityPrincipal", PS_DIRECTORY_MEMBER_FOREIGN_PRINCIPAL },
    { "top group", PS_DIRECTORY_MEMBER_GROUP },
    { "GROUPOFNAMES", PS_DIRECTORY_MEMBER_GROUP },
    { "groupOfUniqueNames", PS_DIRECTORY_MEMBER_GROUP },
    { "top device", PS_DIRECTORY_MEMBER_UNKNOWN },
    { "top organizationalUnit", PS_DIRECTORY_MEMBER_UNKNOWN },
    { "", PS_DIRECTORY_MEMBER_UNKNOWN },   /* objectClass not read */
    { "users persons", PS_DIRECTORY_MEMBER_UNKNOWN },   /* whole names only */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(PsDirectoryEntry) e = ps_directory_entry_new ("CN=x,DC=example,DC=com");
      g_auto(GStrv) classes = g_strsplit (cases[i].classes, " ", -1);

      for (guint j = 0; classes[j] != NULL; j++)
        if (*classes[j] != '\0')
          ps_directory_entry_add_value (e, j % 2 == 0 ? "objectClass" : "OBJECTCLASS", classes[j],
                                        strlen (classes[j]));
      g_assert_cmpint (ps_directory_entry_get_member_kind (e), ==, cases[i].kind);
    }
}

static void
test_escaping (void)
{
  g_autofree char *f = ps_directory_escape_filter_value ("a*(b)\\c", 7);
  static const char with_nul[] = { 'x', '\0', 'y' };
  g_autofree char *nul = ps_directory_escape_filter_value (with_nul, 3);
  g_autofree char *dn = NULL;
  g_autofree char *value = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (f, ==, "a\\2A\\28b\\29\\5Cc");
  g_assert_cmpstr (nul, ==, "x\\00y");

  value = ps_directory_escape_dn_value ("Smith, John + \"Jr\" #1 <x>;\\");
  g_assert_cmpstr (value, ==, "Smith\\2C John \\2B \\22Jr\\22 #1 \\3Cx\\3E\\3B\\5C");
  dn = ps_directory_normalize_dn ("cn=Smith\\, John,ou=People,dc=example,dc=com", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dn, ==, "cn=Smith\\2C John,ou=People,dc=example,dc=com");
  g_assert_null (ps_directory_normalize_dn ("cn=a,,dc=b=", &error));
  g_assert_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_INVALID_ARGUMENT);
}

static void
test_error_mapping (void)
{
  static const struct {
    int rc;
    const char *diagnostic;
    PsDirectoryOp op;
    PsDirectoryError code;
    const char *words;
  } cases[] = {
    { LDAP_INVALID_CREDENTIALS, "80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 52e, v1db1",
      PS_DIRECTORY_OP_BIND, PS_DIRECTORY_ERROR_INVALID_CREDENTIALS, "invalid credentials" },
    { LDAP_INVALID_CREDENTIALS, "… data 525, v1db1", PS_DIRECTORY_OP_BIND, PS_DIRECTORY_ERROR_INVALID_CREDENTIALS, "no account" },
    { LDAP_INVALID_CREDENTIALS, "… data 530, v1db1", PS_DIRECTORY_OP_BIND, PS_DIRECTORY_ERROR_LOGON_RESTRICTED, "logon hours" },
    { LDAP_INVALID_CREDENTIALS, "… data 531, v1db1", PS_DIRECTORY_OP_BIND, PS_DIRECTORY_ERROR_LOGON_RESTRICTED, "workstation" },
    { LDAP_INVALID_CREDENTIALS, "… data 532, v1db1", PS_DIRECTORY_OP_BIND, PS_DIRECTORY_ERROR_PASSWORD_EXPIRED, "expired" },
    { LDAP_INVALID_CREDENTIALS, "… data 533, v1db1", PS_DIRECTORY_OP_BIND, PS_DIRECTORY_ERROR_ACCOUNT_DISABLED, "disabled" },
    { LDAP_INVALID_CREDENTIALS, "… data 701, v1db1", PS_DIRECTORY_OP_BIND, PS_DIRECTORY_ERROR_ACCOUNT_EXPIRED, "expired" },
    { LDAP_INVALID_CREDENTIALS, "… data 773, v1db1", PS_DIRECTORY_OP_BIND, PS_DIRECTORY_ERROR_PASSWORD_MUST_CHANGE, "must be changed" },
    { LDAP_INVALID_CREDENTIALS, "… data 775, v1db1", PS_DIRECTORY_OP_BIND, PS_DIRECTORY_ERROR_ACCOUNT_LOCKED, "locked" },
    { LDAP_INVALID_CREDENTIALS, NULL, PS_DIRECTORY_OP_BIND, PS_DIRECTORY_ERROR_INVALID_CREDENTIALS, "invalid credentials" },
    { LDAP_STRONG_AUTH_REQUIRED, "BindSimple: Transport encryption required.", PS_DIRECTORY_OP_BIND,
      PS_DIRECTORY_ERROR_STRONG_AUTH_REQUIRED, "LDAPS or StartTLS" },
    { LDAP_SERVER_DOWN, NULL, PS_DIRECTORY_OP_CONNECT, PS_DIRECTORY_ERROR_CONNECT, "Cannot reach" },
    { LDAP_SERVER_DOWN, NULL, PS_DIRECTORY_OP_SEARCH, PS_DIRECTORY_ERROR_SERVER_DOWN, "was lost" },
    { LDAP_SIZELIMIT_EXCEEDED, NULL, PS_DIRECTORY_OP_SEARCH, PS_DIRECTORY_ERROR_SIZE_LIMIT, "incomplete" },
    { LDAP_TIMELIMIT_EXCEEDED, NULL, PS_DIRECTORY_OP_SEARCH, PS_DIRECTORY_ERROR_TIME_LIMIT, "incomplete" },
    { LDAP_NO_SUCH_OBJECT, NULL, PS_DIRECTORY_OP_SEARCH, PS_DIRECTORY_ERROR_NO_SUCH_OBJECT, "base DN" },
    { LDAP_INSUFFICIENT_ACCESS, NULL, PS_DIRECTORY_OP_SEARCH, PS_DIRECTORY_ERROR_ACCESS_DENIED, "read access" },
  };

  g_assert_cmpint (ps_directory_ad_data_code ("x, data 52e, v1db1"), ==, 0x52e);
  g_assert_cmpint (ps_directory_ad_data_code ("no code here"), ==, 0);
  g_assert_cmpint (ps_directory_ad_data_code (NULL), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      ps_directory_set_error_from_ldap (&error, cases[i].op, cases[i].rc, cases[i].diagnostic, "svc@example.com");
      g_test_message ("case %u: %s", i, error->message);
      g_assert_error (error, PS_DIRECTORY_ERROR, (gint) cases[i].code);
      g_assert_nonnull (strstr (error->message, cases[i].words));
    }
  {
    g_autoptr(GError) down = g_error_new_literal (PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_SERVER_DOWN, "x");
    g_autoptr(GError) creds = g_error_new_literal (PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_INVALID_CREDENTIALS, "x");

    g_assert_true (ps_directory_error_is_transient (down));
    g_assert_false (ps_directory_error_is_transient (creds));
  }
}

static void
test_check_steps (void)
{
  g_autoptr(GPtrArray) steps = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_connection_step_free);
  PsConnectionStep *a = ps_connection_step_new ("a", "A");
  PsConnectionStep *b = ps_connection_step_new ("b", "B");
  g_autoptr(GError) error = g_error_new_literal (PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_CONNECT, "refused");

  g_ptr_array_add (steps, a);
  g_ptr_array_add (steps, b);
  ps_connection_step_done (a, g_get_monotonic_time (), NULL, "fine");
  g_assert_cmpint (a->status, ==, PS_STEP_OK);
  g_assert_true (ps_connection_steps_passed (steps));
  ps_connection_step_done (b, g_get_monotonic_time (), error, NULL);
  g_assert_cmpint (b->status, ==, PS_STEP_FAILED);
  g_assert_cmpstr (b->message, ==, "refused");
  g_assert_false (ps_connection_steps_passed (steps));
  g_assert_cmpstr (ps_step_status_to_string (b->status), ==, "failed");
}

static void
test_plaintext_refused (void)
{
  /* refused before anything is sent: no server needed */
  PsDirectoryConfig config = { 0 };
  char *uris[] = { (char *) "ldap://127.0.0.1:9", NULL };
  g_autoptr(PsDirectory) dir = NULL;

  config.uris = uris;
  config.tls_mode = PS_TLS_MODE_NONE;
  config.bind_dn = (char *) "cn=svc,dc=example,dc=com";
  config.page_size = 1000;
  config.timeout = 2;
  dir = ps_directory_new (&config, "Sentinel-Password");
  g_assert_nonnull (dir);
  /* the connection itself fails first on a closed port; either way, no bind is tried */
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (ps_directory_connect_sync (dir, NULL, &error));
    g_assert_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_CONNECT);
    g_assert_null (strstr (error->message, "Sentinel-Password"));
  }
}

/* A resolver that answers SRV queries from a table, for the discovery test. */
#define PS_TYPE_FAKE_RESOLVER (ps_fake_resolver_get_type ())
G_DECLARE_FINAL_TYPE (PsFakeResolver, ps_fake_resolver, PS, FAKE_RESOLVER, GResolver)

struct _PsFakeResolver
{
  GResolver parent_instance;
  char *asked;
};

G_DEFINE_TYPE (PsFakeResolver, ps_fake_resolver, G_TYPE_RESOLVER)

static GList *
fake_lookup_service (GResolver     *resolver,
                     const char    *rrname,
                     GCancellable  *cancellable,
                     GError       **error)
{
  PsFakeResolver *self = PS_FAKE_RESOLVER (resolver);
  GList *targets = NULL;

  g_free (self->asked);
  self->asked = g_strdup (rrname);
  if (!g_str_has_suffix (rrname, ".example.com"))
    {
      g_set_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "no SRV records for %s", rrname);
      return NULL;
    }
  targets = g_list_append (targets, g_srv_target_new ("dc1.example.com", 389, 0, 100));
  targets = g_list_append (targets, g_srv_target_new ("dc2.example.com", 3389, 10, 100));
  return targets;
}

static void
ps_fake_resolver_finalize (GObject *object)
{
  g_free (PS_FAKE_RESOLVER (object)->asked);
  G_OBJECT_CLASS (ps_fake_resolver_parent_class)->finalize (object);
}

static void
ps_fake_resolver_class_init (PsFakeResolverClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ps_fake_resolver_finalize;
  G_RESOLVER_CLASS (klass)->lookup_service = fake_lookup_service;
}

static void
ps_fake_resolver_init (PsFakeResolver *self)
{
}

static void
test_srv_discovery (void)
{
  g_autoptr(GResolver) original = g_resolver_get_default ();
  g_autoptr(PsFakeResolver) fake = g_object_new (PS_TYPE_FAKE_RESOLVER, NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) ldaps = NULL;
  g_auto(GStrv) plain = NULL;
  g_auto(GStrv) none = NULL;

  g_resolver_set_default (G_RESOLVER (fake));
  ldaps = ps_directory_discover_uris_sync ("example.com", PS_TLS_MODE_LDAPS, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fake->asked, ==, "_ldap._tcp.dc._msdcs.example.com");
  g_assert_cmpuint (g_strv_length (ldaps), ==, 2);
  g_assert_cmpstr (ldaps[0], ==, "ldaps://dc1.example.com:636");
  g_assert_cmpstr (ldaps[1], ==, "ldaps://dc2.example.com:636");
  plain = ps_directory_discover_uris_sync ("example.com", PS_TLS_MODE_STARTTLS, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (plain[0], ==, "ldap://dc1.example.com:389");
  g_assert_cmpstr (plain[1], ==, "ldap://dc2.example.com:3389");
  none = ps_directory_discover_uris_sync ("nowhere.test", PS_TLS_MODE_LDAPS, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_RESOLVE);
  g_resolver_set_default (original);
}

int
main (int    argc,
      char **argv)
{
  ps_test_init (&argc, &argv);

  g_test_add_func ("/directory/sid", test_sid_round_trip);
  g_test_add_func ("/directory/guid", test_guid_round_trip);
  g_test_add_func ("/directory/enabled", test_enabled);
  g_test_add_func ("/directory/entry-values", test_entry_values);
  g_test_add_func ("/directory/member-kind", test_member_kind);
  g_test_add_func ("/directory/escaping", test_escaping);
  g_test_add_func ("/directory/error-mapping", test_error_mapping);
  g_test_add_func ("/directory/check-steps", test_check_steps);
  g_test_add_func ("/directory/refused-port", test_plaintext_refused);
  g_test_add_func ("/directory/srv-discovery", test_srv_discovery);
  return g_test_run ();
}
