/* test-profile.c — the profile model: load, validate, save
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gstdio.h>

#include "ps-profile.h"
#include "ps-test.h"

/* ---------------------------------------------------------------- helpers */

static PsProfile *
load_sample (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = ps_test_data_path ("sample.conf");
  PsProfile *profile = ps_profile_load_file (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (profile);
  return profile;
}

static char *
sample_text (void)
{
  g_autofree char *path = ps_test_data_path ("sample.conf");
  char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return text;
}

/* Loads @text as a profile file and returns the error (the load must fail). */
static GError *
load_text_error (const char *text,
                 gssize      length)
{
  g_autofree char *path = ps_test_write_file ("bad.conf", text, length, 0600);
  GError *error = NULL;
  g_autoptr(PsProfile) profile = ps_profile_load_file (path, &error);

  g_assert_null (profile);
  g_assert_nonnull (error);
  return error;
}

/* Replaces the first "@from" line of the sample by "@to" and loads it. */
static GError *
load_sample_with (const char *from,
                  const char *to)
{
  g_autofree char *text = sample_text ();
  g_autoptr(GString) edited = g_string_new (text);

  g_assert_nonnull (strstr (text, from));
  g_string_replace (edited, from, to, 1);
  return load_text_error (edited->str, edited->len);
}

static gboolean
problems_contain (GPtrArray  *problems,
                  const char *needle)
{
  for (guint i = 0; i < problems->len; i++)
    if (strstr (g_ptr_array_index (problems, i), needle) != NULL)
      return TRUE;
  return FALSE;
}

static void
dump_problems (GPtrArray *problems)
{
  for (guint i = 0; i < problems->len; i++)
    g_test_message ("problem: %s", (char *) g_ptr_array_index (problems, i));
}

/* ---------------------------------------------------------------- load */

static void
test_load_sample (void)
{
  g_autoptr(PsProfile) profile = load_sample ();
  PsTargetConfig *t = ps_profile_get_target (profile);
  PsDirectoryConfig *d = ps_profile_get_directory (profile);
  PsSchedule *s = ps_profile_get_schedule (profile);
  PsMapping *staff, *employees;
  const PsFieldMap *f;

  g_assert_cmpstr (ps_profile_get_name (profile), ==, "sample");
  g_assert_cmpstr (ps_profile_get_id (profile), ==, "sample");
  g_assert_cmpstr (t->url, ==, "https://api.assetpanda.com");
  g_assert_cmpint (t->dialect, ==, PS_DIALECT_CLASSIC);
  g_assert_cmpstr (t->client_id, ==, "3f8e1c2a-sample-client");
  g_assert_cmpstr (t->email, ==, "sync@example.com");
  g_assert_cmpuint (t->rate_calls, ==, 400);
  g_assert_cmpuint (t->rate_window, ==, 180);

  g_assert_cmpuint (g_strv_length (d->uris), ==, 2);
  g_assert_cmpstr (d->uris[1], ==, "ldaps://dc2.example.com");
  g_assert_cmpint (d->tls_mode, ==, PS_TLS_MODE_LDAPS);
  g_assert_cmpstr (d->bind_dn, ==, "CN=svc-pandasync,OU=Service Accounts,DC=example,DC=com");
  g_assert_cmpuint (d->page_size, ==, 1000);
  g_assert_cmpint (d->nested, ==, PS_NESTED_CLIENT);
  g_assert_false (d->allow_untrusted);

  g_assert_true (s->enabled);
  g_assert_nonnull (s->start);
  g_assert_cmpint (g_date_time_get_hour (s->start), ==, 2);
  g_assert_cmpint (s->interval, ==, PS_INTERVAL_DAILY);

  g_assert_cmpuint (ps_profile_get_mappings (profile)->len, ==, 2);
  staff = ps_profile_find_mapping (profile, "Staff");
  g_assert_nonnull (staff);
  g_assert_cmpint (staff->kind, ==, PS_MAPPING_USERS);
  g_assert_cmpstr (staff->role, ==, "30135");
  g_assert_cmpstr (staff->email_attr, ==, "mail");
  g_assert_cmpint (staff->deactivation_threshold, ==, -1);

  employees = ps_profile_find_mapping (profile, "Employees");
  g_assert_nonnull (employees);
  g_assert_cmpint (employees->kind, ==, PS_MAPPING_COLLECTION);
  g_assert_cmpstr (employees->unique_id_attr, ==, "objectSid");
  g_assert_cmpstr (employees->status_field, ==, "Integration Status AD");
  g_assert_cmpint (employees->deactivation_threshold, ==, 25);
  g_assert_cmpuint (employees->fields->len, ==, 4);
  f = g_ptr_array_index (employees->fields, 3);
  g_assert_cmpstr (f->field, ==, "field_4");
  g_assert_cmpstr (f->attribute, ==, "department");
  g_assert_cmpint (f->ownership, ==, PS_OWNERSHIP_FILL_EMPTY);
}

static void
test_load_missing (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "nope.conf", NULL);
  g_autoptr(PsProfile) profile = ps_profile_load_file (path, &error);

  g_assert_null (profile);
  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, path));
}

static void
test_load_not_a_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "dir.conf", NULL);
  g_autoptr(PsProfile) profile = NULL;

  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
  profile = ps_profile_load_file (path, &error);
  g_assert_null (profile);
  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_UNREADABLE);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
}

static void
test_load_corrupt (void)
{
  g_autoptr(GError) error = load_text_error ("[AssetPanda\nURL=https://x\n", -1);

  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "not a valid profile file"));
}

static void
test_load_truncated (void)
{
  g_autofree char *text = sample_text ();
  const char *cut = strstr (text, "[UserMapping St");
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (cut);
  /* Cut the file in the middle of a section header, as a full disk would. */
  error = load_text_error (text, (cut - text) + strlen ("[UserMapping St"));
  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_CORRUPT);
}

static void
test_load_non_utf8 (void)
{
  const char text[] = "[Profile]\nVersion=1\n\n[AssetPanda]\nEmail=caf\xe9@example.com\n";
  g_autoptr(GError) error = load_text_error (text, sizeof text - 1);

  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "UTF-8"));
  g_assert_nonnull (strstr (error->message, "line 5"));
}

static void
test_load_oversized_file (void)
{
  gsize size = PS_PROFILE_MAX_FILE_SIZE + 10;
  g_autofree char *text = g_malloc (size);
  g_autoptr(GError) error = NULL;

  memset (text, '#', size);
  error = load_text_error (text, size);
  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "at most"));
}

static void
test_load_oversized_value (void)
{
  g_autofree char *big = g_strnfill (PS_PROFILE_MAX_VALUE_LEN + 1, 'x');
  g_autofree char *line = g_strdup_printf ("Email=%s", big);
  g_autoptr(GError) error = load_sample_with ("Email=sync@example.com", line);

  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "[AssetPanda] Email"));
  g_assert_nonnull (strstr (error->message, "longer than"));
}

static void
test_load_bad_enum (void)
{
  g_autoptr(GError) error = load_sample_with ("Dialect=classic", "Dialect=v4");

  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "[AssetPanda] Dialect"));
  g_assert_nonnull (strstr (error->message, "auto, classic, pro"));
}

/* [Directory] Kind: auto (the rootDSE decides) unless the profile says. */
static void
test_directory_kind (void)
{
  static const struct {
    const char *line;
    PsServerKind kind;
  } cases[] = {
    { "", PS_SERVER_KIND_AUTO },
    { "\nKind=auto", PS_SERVER_KIND_AUTO },
    { "\nKind=active-directory", PS_SERVER_KIND_ACTIVE_DIRECTORY },
    { "\nKind=LDAP", PS_SERVER_KIND_LDAP },
  };
  g_autofree char *text = sample_text ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) edited = g_string_new (text);
      g_autofree char *with = g_strconcat ("NestedGroups=client", cases[i].line, NULL);
      g_autofree char *path = NULL;
      g_autofree char *data = NULL;
      g_autoptr(PsProfile) profile = NULL;
      g_autoptr(PsProfile) again = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) problems = NULL;

      g_string_replace (edited, "NestedGroups=client", with, 1);
      path = ps_test_write_file ("kind.conf", edited->str, edited->len, 0600);
      profile = ps_profile_load_file (path, &error);
      g_assert_no_error (error);
      g_assert_cmpint (ps_profile_get_directory (profile)->kind, ==, cases[i].kind);
      g_assert_true (ps_profile_validate (profile, &problems));
      /* written only when it overrides the detection, and read back */
      data = ps_profile_to_data (profile, NULL);
      g_assert_true ((strstr (data, "\nKind=") != NULL) == (cases[i].kind != PS_SERVER_KIND_AUTO));
      g_free (path);
      path = ps_test_write_file ("kind-again.conf", data, -1, 0600);
      again = ps_profile_load_file (path, &error);
      g_assert_no_error (error);
      g_assert_cmpint (ps_profile_get_directory (again)->kind, ==, cases[i].kind);
    }

  {
    g_autoptr(GError) error = load_sample_with ("NestedGroups=client", "NestedGroups=client\nKind=novell");

    g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_INVALID);
    g_assert_nonnull (strstr (error->message, "[Directory] Kind"));
    g_assert_nonnull (strstr (error->message, "auto, active-directory, ldap"));
  }
  {
    g_autoptr(PsProfile) profile = load_sample ();
    PsDirectoryConfig *d = ps_profile_get_directory (profile);
    g_autoptr(GPtrArray) problems = NULL;

    /* in-chain nesting is AD's: not with a profile that says ldap */
    d->kind = PS_SERVER_KIND_LDAP;
    d->nested = PS_NESTED_IN_CHAIN;
    g_assert_false (ps_profile_validate (profile, &problems));
    dump_problems (problems);
    g_assert_true (problems_contain (problems, "[Directory] NestedGroups: in-chain nesting needs Active Directory"));
    g_clear_pointer (&problems, g_ptr_array_unref);
    d->kind = PS_SERVER_KIND_ACTIVE_DIRECTORY;
    g_assert_true (ps_profile_validate (profile, &problems));
  }
}

static void
test_load_bad_number (void)
{
  g_autoptr(GError) error = load_sample_with ("PageSize=1000", "PageSize=5000");

  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "[Directory] PageSize"));
  g_assert_nonnull (strstr (error->message, "from 1 to 1000"));
}

static void
test_load_bad_bool (void)
{
  g_autoptr(GError) error = load_sample_with ("AllowPlaintextBind=false", "AllowPlaintextBind=perhaps");

  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "[Directory] AllowPlaintextBind"));
}

static void
test_load_bad_date (void)
{
  g_autoptr(GError) error = load_sample_with ("StartTime=2026-01-05T02:00:00", "StartTime=tomorrow");

  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "[Schedule] StartTime"));
}

static void
test_load_attribute_fallbacks (void)
{
  g_autofree char *text = sample_text ();
  g_autoptr(GString) edited = g_string_new (text);
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsProfile) profile = NULL;
  g_autoptr(PsProfile) again = NULL;
  g_autofree char *data = NULL;
  PsMapping *m;

  g_string_replace (edited, "Email=mail\n", "Email=mail|userPrincipalName\n", 1);
  g_string_replace (edited, "Field.field_3=mail;never-blank", "Field.field_3=mail | proxyAddresses;never-blank", 1);
  g_string_replace (edited, "GroupName=All Staff\nUniqueIdentifier",
                    "GroupName=All Staff\nSearchBase=OU=Staff,DC=example,DC=com\n"
                    "Filter=department=Sales\nUniqueIdentifier", 1);
  path = ps_test_write_file ("fallbacks.conf", edited->str, edited->len, 0600);
  profile = ps_profile_load_file (path, &error);
  g_assert_no_error (error);
  m = ps_profile_find_mapping (profile, "Staff");
  g_assert_cmpstr (m->email_attr, ==, "mail|userPrincipalName");
  m = ps_profile_find_mapping (profile, "Employees");
  g_assert_cmpstr (m->search_base, ==, "OU=Staff,DC=example,DC=com");
  /* stored normalised, in parentheses */
  g_assert_cmpstr (m->filter, ==, "(department=Sales)");
  g_assert_true (ps_profile_validate (profile, NULL));

  /* saved and read back unchanged */
  g_assert_true (ps_profile_save (profile, &error));
  again = ps_profile_load_file (path, &error);
  g_assert_no_error (error);
  m = ps_profile_find_mapping (again, "Employees");
  g_assert_cmpstr (m->filter, ==, "(department=Sales)");
  g_assert_cmpstr (m->search_base, ==, "OU=Staff,DC=example,DC=com");
  data = ps_profile_to_data (again, NULL);
  g_assert_nonnull (strstr (data, "Field.field_3=mail | proxyAddresses;never-blank"));

  /* a new user mapping falls back to the UPN when mail is empty */
  {
    g_autoptr(PsMapping) fresh = ps_mapping_new (PS_MAPPING_USERS, "New");
    g_assert_cmpstr (fresh->email_attr, ==, "mail|userPrincipalName");
  }
}

static void
test_load_bad_attribute_names (void)
{
  g_autoptr(GError) e1 = load_sample_with ("Email=mail\n", "Email=mail|user principal name\n");
  g_autoptr(GError) e2 = load_sample_with ("Field.field_2=sn;overwrite", "Field.field_2=sn|;overwrite");
  g_autoptr(GError) e3 = load_sample_with ("UniqueIdentifier=objectSid", "UniqueIdentifier=objectSid|objectGUID");
  g_autoptr(GError) e4 = load_sample_with ("FirstName=givenName", "FirstName=given_name");

  g_assert_error (e1, PS_PROFILE_ERROR, PS_PROFILE_ERROR_INVALID);
  g_assert_nonnull (strstr (e1->message, "[UserMapping Staff] Email"));
  g_assert_nonnull (strstr (e1->message, "“user principal name” is not a valid directory attribute name"));
  g_test_message ("%s", e2->message);
  g_assert_nonnull (strstr (e2->message, "[CollectionMapping Employees] Field.field_2"));
  g_assert_nonnull (strstr (e2->message, "empty alternative"));
  g_assert_nonnull (strstr (e3->message, "[CollectionMapping Employees] UniqueIdentifier"));
  g_assert_nonnull (strstr (e3->message, "no fallbacks"));
  g_assert_nonnull (strstr (e4->message, "[UserMapping Staff] FirstName"));
}

static void
test_load_bad_filter (void)
{
  g_autoptr(GError) e1 = load_sample_with ("UniqueIdentifier=objectSid",
                                           "Filter=(&(department=Sales)\nUniqueIdentifier=objectSid");
  g_autoptr(GError) e2 = load_sample_with ("UniqueIdentifier=objectSid",
                                           "Filter=(department=Sales)(title=Boss)\nUniqueIdentifier=objectSid");

  g_assert_error (e1, PS_PROFILE_ERROR, PS_PROFILE_ERROR_INVALID);
  g_assert_nonnull (strstr (e1->message, "[CollectionMapping Employees] Filter"));
  g_assert_nonnull (strstr (e1->message, "is not a valid LDAP filter: “)” was expected at character 21"));
  g_assert_nonnull (strstr (e2->message, "text after the end of the filter"));
}

static void
test_validate_scope (void)
{
  g_autoptr(PsProfile) profile = load_sample ();
  g_autoptr(GPtrArray) problems = NULL;
  PsMapping *m = ps_profile_find_mapping (profile, "Employees");

  /* set as the wizard would, bypassing the reader */
  m->filter = g_strdup ("(department=Sales");
  m->search_base = g_strdup ("Staff");
  g_free (m->unique_id_attr);
  m->unique_id_attr = g_strdup ("object Sid");
  g_assert_false (ps_profile_validate (profile, &problems));
  g_assert_true (problems_contain (problems, "[CollectionMapping Employees] Filter"));
  g_assert_true (problems_contain (problems, "[CollectionMapping Employees] SearchBase"));
  g_assert_true (problems_contain (problems, "[CollectionMapping Employees] UniqueIdentifier"));
}

static void
test_load_entra_id (void)
{
  g_autofree char *text = sample_text ();
  g_autoptr(GString) edited = g_string_new (text);
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsProfile) profile = NULL;
  g_autoptr(PsProfile) again = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autofree char *data = NULL;
  const char *start = strstr (edited->str, "[Directory]");
  const char *end = strstr (edited->str, "[Schedule]");
  PsEntraIdConfig *e;

  /* an old profile is Active Directory */
  profile = load_sample ();
  g_assert_cmpint (ps_profile_get_source_kind (profile), ==, PS_SOURCE_KIND_ACTIVE_DIRECTORY);
  g_clear_object (&profile);

  g_string_erase (edited, start - edited->str, end - start);
  g_string_replace (edited, "[Schedule]",
                    "[EntraID]\nTenant=contoso.onmicrosoft.com\n"
                    "ClientId=11111111-1111-4111-8111-111111111111\n"
                    "GraphURL=https://graph.microsoft.us\nLoginURL=https://login.microsoftonline.us\n\n"
                    "[Schedule]", 1);
  path = ps_test_write_file ("entra.conf", edited->str, edited->len, 0600);
  profile = ps_profile_load_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ps_profile_get_source_kind (profile), ==, PS_SOURCE_KIND_ENTRA_ID);
  e = ps_profile_get_entra_id (profile);
  g_assert_cmpstr (e->tenant, ==, "contoso.onmicrosoft.com");
  g_assert_cmpstr (e->graph_url, ==, "https://graph.microsoft.us");
  g_assert_cmpuint (e->page_size, ==, 999);
  g_assert_true (ps_profile_validate (profile, &problems));

  g_assert_true (ps_profile_save (profile, &error));
  data = ps_profile_to_data (profile, NULL);
  g_assert_null (strstr (data, "[Directory]"));
  again = ps_profile_load_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ps_profile_get_entra_id (again)->client_id, ==, "11111111-1111-4111-8111-111111111111");

  /* what is missing or wrong is named */
  g_free (ps_profile_get_entra_id (again)->tenant);
  ps_profile_get_entra_id (again)->tenant = NULL;
  g_free (ps_profile_get_entra_id (again)->graph_url);
  ps_profile_get_entra_id (again)->graph_url = g_strdup ("graph.microsoft.us");
  g_clear_pointer (&problems, g_ptr_array_unref);
  g_assert_false (ps_profile_validate (again, &problems));
  g_assert_true (problems_contain (problems, "[EntraID] Tenant"));
  g_assert_true (problems_contain (problems, "[EntraID] GraphURL"));
}

/* Graph's property names, dotted paths included, are valid in an Entra ID
 * profile; LDAP's syntax is not applied there. */
static void
test_load_entra_attribute_names (void)
{
  const char *base = "[Profile]\nId=e\n[AssetPanda]\nURL=https://api.assetpanda.com\nDialect=classic\n"
                     "ClientId=c\nEmail=a@b.c\n[EntraID]\nTenant=contoso.com\nClientId=x\n"
                     "[CollectionMapping People]\nAccount=1\nCollection=2\nGroup=g\nUniqueIdentifier=id\n";
  g_autofree char *good = g_strconcat (base, "Field.Cost=employeeOrgData.costCenter|department;overwrite\n", NULL);
  g_autofree char *bad = g_strconcat (base, "Field.Cost=employeeOrgData..costCenter;overwrite\n", NULL);
  g_autofree char *path = ps_test_write_file ("entra-attrs.conf", good, -1, 0600);
  g_autoptr(GError) error = NULL;
  g_autoptr(PsProfile) profile = ps_profile_load_file (path, &error);
  g_autoptr(GError) bad_error = load_text_error (bad, -1);

  g_assert_no_error (error);
  g_assert_cmpstr (((PsFieldMap *) g_ptr_array_index (ps_profile_find_mapping (profile, "People")->fields, 0))->attribute,
                   ==, "employeeOrgData.costCenter|department");
  g_assert_nonnull (strstr (bad_error->message, "not a Microsoft Graph property name"));
}

static void
test_load_two_sources (void)
{
  g_autoptr(GError) error = load_sample_with ("[Schedule]",
                                              "[EntraID]\nTenant=contoso.com\nClientId=x\n\n[Schedule]");

  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "one identity source"));
}

static void
test_copy_is_a_snapshot (void)
{
  g_autoptr(PsProfile) live = load_sample ();
  g_autoptr(PsProfile) copy = ps_profile_snapshot (live);
  PsMapping *m;

  g_assert_cmpstr (ps_profile_get_id (copy), ==, ps_profile_get_id (live));
  g_assert_cmpstr (ps_profile_get_path (copy), ==, ps_profile_get_path (live));
  g_assert_cmpuint (ps_profile_get_mappings (copy)->len, ==, ps_profile_get_mappings (live)->len);

  /* what the pages do while a worker runs: none of it reaches the copy */
  g_assert_true (ps_profile_remove_mapping (live, "Employees"));
  g_free (ps_profile_get_target (live)->url);
  ps_profile_get_target (live)->url = g_strdup ("https://elsewhere.example");
  m = ps_profile_find_mapping (copy, "Employees");
  g_assert_nonnull (m);
  g_assert_cmpuint (m->fields->len, ==, 4);
  g_assert_cmpstr (ps_profile_get_target (copy)->url, ==, "https://api.assetpanda.com");
}


#define ORDER_PROFILE \
  "[Profile]\nVersion=1\nId=order\n\n" \
  "[AssetPanda]\nURL=https://api.assetpanda.com\nDialect=classic\nClientId=c\nEmail=a@example.com\n\n" \
  "[Directory]\nURIs=ldap://127.0.0.1\nTLS=none\nBaseDN=dc=example,dc=com\n\n" \
  "# everyone\n[UserMapping Staff]\nAccount=21040\nRole=30135\nGroup=g1\nEmail=mail\n\n" \
  "[UserMapping Finance]\nAccount=21040\nRole=30136\nGroup=g2\nEmail=mail\n# kept by hand\nX-Note=admins\n"

/* First match wins in file order: a reordered list is saved in that order,
 * with each section's comments and keys; an edit keeps its place. */
static void
test_mapping_order_saved (void)
{
  g_autofree char *path = ps_test_write_file ("order.conf", ORDER_PROFILE, -1, 0600);
  g_autoptr(GError) error = NULL;
  g_autoptr(PsProfile) profile = ps_profile_load_file (path, &error);
  g_autoptr(PsProfile) again = NULL;
  g_autoptr(PsProfile) third = NULL;
  g_autofree char *text = NULL;
  PsMapping *edited;

  g_assert_no_error (error);
  g_assert_true (ps_profile_move_mapping (profile, "Finance", 0));
  g_assert_false (ps_profile_move_mapping (profile, "Nobody", 0));
  g_assert_true (ps_profile_save (profile, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_true (strstr (text, "[UserMapping Finance]") < strstr (text, "[UserMapping Staff]"));
  g_assert_nonnull (strstr (text, "# everyone"));
  g_assert_null (strstr (strstr (text, "# everyone") + 1, "# everyone"));
  g_assert_nonnull (strstr (text, "# kept by hand\nX-Note=admins"));

  again = ps_profile_load_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (((PsMapping *) g_ptr_array_index (ps_profile_get_mappings (again), 0))->name, ==, "Finance");
  g_assert_cmpstr (((PsMapping *) g_ptr_array_index (ps_profile_get_mappings (again), 1))->name, ==, "Staff");

  /* An edit (here also a rename) stays where the mapping was. */
  edited = ps_mapping_copy (ps_profile_find_mapping (again, "Finance"));
  g_free (edited->name);
  edited->name = g_strdup ("Finance admins");
  g_free (edited->role);
  edited->role = g_strdup ("30137");
  g_assert_true (ps_profile_replace_mapping (again, "Finance", edited));
  /* …but never onto another mapping's name. */
  edited = ps_mapping_copy (ps_profile_find_mapping (again, "Staff"));
  g_free (edited->name);
  edited->name = g_strdup ("Finance admins");
  g_assert_false (ps_profile_replace_mapping (again, "Staff", edited));
  g_assert_true (ps_profile_save (again, &error));
  g_assert_no_error (error);
  third = ps_profile_load_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ps_profile_get_mappings (third)->len, ==, 2);
  g_assert_cmpstr (((PsMapping *) g_ptr_array_index (ps_profile_get_mappings (third), 0))->name, ==,
                   "Finance admins");
  g_assert_cmpstr (((PsMapping *) g_ptr_array_index (ps_profile_get_mappings (third), 0))->role, ==, "30137");
  g_assert_null (ps_profile_find_mapping (third, "Finance"));
}

#define OKTA_PROFILE \
  "[Profile]\nVersion=1\nId=okta\n\n" \
  "[AssetPanda]\nURL=https://api.assetpanda.com\nDialect=classic\nClientId=c\nEmail=a@example.com\n\n" \
  "[Okta]\nURL=https://acme.okta.com/\nPageSize=150\n\n" \
  "[UserMapping Staff]\nAccount=21040\nRole=30135\nGroup=00g1emaKYZTWRYYRRTSK\n" \
  "Email=email|profile.login\n\n" \
  "[CollectionMapping Employees]\nAccount=21040\nCollection=82677\nGroup=Staff\n" \
  "Filter=department eq \"Sales\" and status eq \"active\"\n" \
  "Field.field_1=firstName;overwrite\nField.field_4=profile.department;fill-empty\n" \
  "Field.field_5=costCentre_2;overwrite\n"

static void
test_load_okta (void)
{
  g_autofree char *path = ps_test_write_file ("okta.conf", OKTA_PROFILE, -1, 0600);
  g_autoptr(GError) error = NULL;
  g_autoptr(PsProfile) profile = NULL;
  g_autoptr(PsProfile) again = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autofree char *data = NULL;
  PsOktaConfig *o;
  PsMapping *staff;
  PsMapping *employees;

  profile = ps_profile_load_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ps_profile_get_source_kind (profile), ==, PS_SOURCE_KIND_OKTA);
  g_assert_cmpstr (ps_source_kind_to_string (PS_SOURCE_KIND_OKTA), ==, "okta");
  o = ps_profile_get_okta (profile);
  g_assert_cmpstr (o->url, ==, "https://acme.okta.com/");
  g_assert_cmpuint (o->page_size, ==, 150);
  g_assert_cmpuint (o->timeout, ==, 60);
  g_assert_null (o->client_id);

  /* Okta's names and defaults, and the Filter as a normalised search expression */
  staff = ps_profile_find_mapping (profile, "Staff");
  g_assert_cmpstr (staff->email_attr, ==, "email|profile.login");
  g_assert_cmpstr (staff->first_name_attr, ==, "firstName");
  g_assert_cmpstr (staff->last_name_attr, ==, "lastName");
  employees = ps_profile_find_mapping (profile, "Employees");
  g_assert_cmpstr (employees->unique_id_attr, ==, "id");
  g_assert_cmpstr (employees->filter, ==,
                   "profile.department eq \"Sales\" and status eq \"ACTIVE\"");
  if (!ps_profile_validate (profile, &problems))
    dump_problems (problems);
  g_assert_cmpuint (problems->len, ==, 0);

  /* saved without [Directory] or [EntraID], and read back the same */
  g_assert_true (ps_profile_save (profile, &error));
  data = ps_profile_to_data (profile, NULL);
  g_assert_null (strstr (data, "[Directory]"));
  g_assert_null (strstr (data, "[EntraID]"));
  g_assert_nonnull (strstr (data, "[Okta]"));
  again = ps_profile_load_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ps_profile_get_okta (again)->page_size, ==, 150);
  g_assert_cmpstr (ps_profile_find_mapping (again, "Employees")->filter, ==,
                   employees->filter);

  /* what is missing or wrong is named */
  o = ps_profile_get_okta (again);
  g_free (o->url);
  o->url = g_strdup ("https://acme.okta.com/api/v1");
  o->client_id = g_strdup ("0oa1service");
  employees = ps_profile_find_mapping (again, "Employees");
  employees->search_base = g_strdup ("OU=Staff,DC=example,DC=com");
  g_free (employees->unique_id_attr);
  employees->unique_id_attr = g_strdup ("employee-number");
  g_free (employees->filter);
  employees->filter = g_strdup ("(department=Sales)");
  g_clear_pointer (&problems, g_ptr_array_unref);
  g_assert_false (ps_profile_validate (again, &problems));
  dump_problems (problems);
  g_assert_true (problems_contain (problems, "[Okta] URL: remove “/api/v1”"));
  g_assert_true (problems_contain (problems, "[Okta] ClientId: OAuth 2.0"));
  g_assert_true (problems_contain (problems, "[CollectionMapping Employees] SearchBase"));
  g_assert_true (problems_contain (problems, "[CollectionMapping Employees] UniqueIdentifier"));
  g_assert_true (problems_contain (problems, "[CollectionMapping Employees] Filter: "
                                             "“(department=Sales)” is not an Okta search"));

  g_free (o->url);
  o->url = NULL;
  g_clear_pointer (&problems, g_ptr_array_unref);
  g_assert_false (ps_profile_validate (again, &problems));
  g_assert_true (problems_contain (problems, "[Okta] URL: give the org URL"));
  g_free (o->url);
  o->url = g_strdup ("http://acme.okta.com");
  g_clear_pointer (&problems, g_ptr_array_unref);
  g_assert_false (ps_profile_validate (again, &problems));
  g_assert_true (problems_contain (problems, "127.0.0.1"));
  g_free (o->url);
  o->url = g_strdup ("http://127.0.0.1:8080");
  g_clear_pointer (&problems, g_ptr_array_unref);
  ps_profile_validate (again, &problems);
  g_assert_false (problems_contain (problems, "[Okta] URL"));
}

static void
test_load_okta_errors (void)
{
  g_autoptr(GString) text = g_string_new (OKTA_PROFILE);
  g_autoptr(GError) error = NULL;

  /* one identity source */
  error = load_sample_with ("[Schedule]", "[Okta]\nURL=https://acme.okta.com\n\n[Schedule]");
  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "one identity source"));
  g_assert_nonnull (strstr (error->message, "[Directory]"));
  g_clear_error (&error);

  /* a bad search expression is a profile error, never a read of nobody */
  g_string_replace (text, "and status eq", "and status ne", 1);
  error = load_text_error (text->str, text->len);
  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_INVALID);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "[CollectionMapping Employees] Filter"));
  g_assert_nonnull (strstr (error->message, "no “ne”"));
  g_clear_error (&error);

  /* Okta's attribute names */
  g_string_assign (text, OKTA_PROFILE);
  g_string_replace (text, "profile.department;", "profile.cost-center;", 1);
  error = load_text_error (text->str, text->len);
  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "Field.field_4"));
  g_assert_nonnull (strstr (error->message, "not an Okta user attribute"));
  g_clear_error (&error);

  /* PageSize is Okta's at most */
  g_string_assign (text, OKTA_PROFILE);
  g_string_replace (text, "PageSize=150", "PageSize=500", 1);
  error = load_text_error (text->str, text->len);
  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "[Okta] PageSize"));
  g_clear_error (&error);

  /* unknown keys are pointed out */
  {
    g_autofree char *path = NULL;
    g_autoptr(PsProfile) profile = NULL;
    g_autoptr(GPtrArray) problems = NULL;

    g_string_assign (text, OKTA_PROFILE);
    g_string_replace (text, "PageSize=150", "PageSize=150\nTenant=acme", 1);
    path = ps_test_write_file ("okta-unknown.conf", text->str, text->len, 0600);
    profile = ps_profile_load_file (path, &error);
    g_assert_no_error (error);
    g_assert_false (ps_profile_validate (profile, &problems));
    g_assert_true (problems_contain (problems, "[Okta] Tenant: unknown key"));
  }
}

static void
test_load_bad_field_mode (void)
{
  g_autoptr(GError) error = load_sample_with ("Field.field_4=department;fill-empty",
                                              "Field.field_4=department;sometimes");

  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "[CollectionMapping Employees] Field.field_4"));
  g_assert_nonnull (strstr (error->message, "overwrite, fill-empty, never-blank"));
}

static void
test_load_duplicate_mapping_name (void)
{
  g_autoptr(GError) error = load_sample_with ("[CollectionMapping Employees]",
                                              "[CollectionMapping Staff]");

  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "already has the name “Staff”"));
}

static void
test_load_newer_version (void)
{
  g_autoptr(GError) error = load_sample_with ("Version=1", "Version=7");

  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "newer PandaSync"));
}

/* ---------------------------------------------------------------- validate */

static void
test_validate_sample (void)
{
  g_autoptr(PsProfile) profile = load_sample ();
  g_autoptr(GPtrArray) problems = NULL;
  gboolean valid = ps_profile_validate (profile, &problems);

  dump_problems (problems);
  g_assert_true (valid);
  g_assert_cmpuint (problems->len, ==, 0);
}

static void
test_validate_new_profile (void)
{
  g_autoptr(PsProfile) profile = ps_profile_new ("fresh");
  g_autoptr(GPtrArray) problems = NULL;

  g_assert_false (ps_profile_validate (profile, &problems));
  dump_problems (problems);
  g_assert_true (problems_contain (problems, "[AssetPanda] ClientId"));
  g_assert_true (problems_contain (problems, "[AssetPanda] Email"));
  g_assert_true (problems_contain (problems, "[Directory] URIs"));
  /* an empty base DN is read from the directory's rootDSE */
  g_assert_false (problems_contain (problems, "[Directory] BaseDN"));
  g_assert_true (problems_contain (problems, "[Directory] BindDN"));
  g_assert_false (problems_contain (problems, "[AssetPanda] URL"));
}

static void
test_validate_urls (void)
{
  g_autoptr(PsProfile) profile = load_sample ();
  PsTargetConfig *t = ps_profile_get_target (profile);
  PsDirectoryConfig *d = ps_profile_get_directory (profile);
  g_autoptr(GPtrArray) problems = NULL;

  g_free (t->url);
  t->url = g_strdup ("ftp://api.assetpanda.com");
  g_strfreev (d->uris);
  d->uris = g_strsplit ("ldap://dc1.example.com;http://dc2", ";", -1);

  g_assert_false (ps_profile_validate (profile, &problems));
  dump_problems (problems);
  g_assert_true (problems_contain (problems, "[AssetPanda] URL: “ftp://api.assetpanda.com” must start with https://"));
  g_assert_true (problems_contain (problems, "[Directory] TLS: “ldap://dc1.example.com” is an ldap:// URL"));
  g_assert_true (problems_contain (problems, "[Directory] URIs: “http://dc2” is not an LDAP URL"));

  g_clear_pointer (&problems, g_ptr_array_unref);
  g_free (t->url);
  t->url = g_strdup ("not a url at all");
  g_assert_false (ps_profile_validate (profile, &problems));
  g_assert_true (problems_contain (problems, "[AssetPanda] URL: “not a url at all” is not a URL"));
}

static void
test_validate_plaintext_bind (void)
{
  g_autoptr(PsProfile) profile = load_sample ();
  PsDirectoryConfig *d = ps_profile_get_directory (profile);
  g_autoptr(GPtrArray) problems = NULL;

  d->tls_mode = PS_TLS_MODE_NONE;
  g_strfreev (d->uris);
  d->uris = g_strsplit ("ldap://dc1.example.com", ";", -1);
  g_assert_false (ps_profile_validate (profile, &problems));
  g_assert_true (problems_contain (problems, "[Directory] TLS: without TLS"));

  g_clear_pointer (&problems, g_ptr_array_unref);
  d->allow_plaintext_bind = TRUE;
  g_assert_true (ps_profile_validate (profile, &problems));
}

static void
test_validate_mappings (void)
{
  g_autoptr(PsProfile) profile = load_sample ();
  g_autoptr(GPtrArray) problems = NULL;
  PsMapping *users = ps_mapping_new (PS_MAPPING_USERS, "Empty users");
  PsMapping *coll = ps_mapping_new (PS_MAPPING_COLLECTION, "Empty records");

  ps_mapping_add_field (coll, "field_1", "givenName", PS_OWNERSHIP_OVERWRITE);
  ps_mapping_add_field (coll, "field_1", "sn", PS_OWNERSHIP_OVERWRITE);
  ps_profile_add_mapping (profile, users);
  ps_profile_add_mapping (profile, coll);

  g_assert_false (ps_profile_validate (profile, &problems));
  dump_problems (problems);
  g_assert_true (problems_contain (problems, "[UserMapping Empty users] Account"));
  g_assert_true (problems_contain (problems, "[UserMapping Empty users] Group"));
  g_assert_true (problems_contain (problems, "[UserMapping Empty users] Role"));
  g_assert_true (problems_contain (problems, "[CollectionMapping Empty records] Collection"));
  g_assert_true (problems_contain (problems, "[CollectionMapping Empty records] Field: the field “field_1” is mapped twice"));
}

static void
test_validate_unknown_keys (void)
{
  g_autofree char *text = sample_text ();
  g_autofree char *edited = g_strconcat (text, "\n[Extras]\nFoo=1\n", NULL);
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsProfile) profile = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GString) s = g_string_new (edited);

  g_string_replace (s, "PageSize=1000", "PageSize=1000\nPagesize=500", 1);
  path = ps_test_write_file ("unknown.conf", s->str, s->len, 0600);
  profile = ps_profile_load_file (path, &error);
  g_assert_no_error (error);

  g_assert_false (ps_profile_validate (profile, &problems));
  dump_problems (problems);
  g_assert_true (problems_contain (problems, "[Directory] Pagesize: unknown key"));
  g_assert_true (problems_contain (problems, "[Extras]: unknown section"));
}

static void
test_dialect_from_url (void)
{
  g_autoptr(PsProfile) profile = ps_profile_new ("d");
  PsTargetConfig *t = ps_profile_get_target (profile);

  g_assert_cmpint (ps_target_config_effective_dialect (t), ==, PS_DIALECT_CLASSIC);
  g_free (t->url);
  t->url = g_strdup ("https://api.assetpanda.app");
  g_assert_cmpint (ps_target_config_effective_dialect (t), ==, PS_DIALECT_PRO);
  g_free (t->url);
  t->url = g_strdup ("https://evil-assetpanda.app.example.com");
  g_assert_cmpint (ps_target_config_effective_dialect (t), ==, PS_DIALECT_CLASSIC);
  t->dialect = PS_DIALECT_PRO;
  g_assert_cmpint (ps_target_config_effective_dialect (t), ==, PS_DIALECT_PRO);
}

/* ---------------------------------------------------------------- save */

static void
test_round_trip (void)
{
  g_autoptr(PsProfile) profile = load_sample ();
  g_autoptr(PsProfile) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "copy", "rt.conf", NULL);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  g_assert_true (ps_profile_save_to_file (profile, path, &error));
  g_assert_no_error (error);
  again = ps_profile_load_file (path, &error);
  g_assert_no_error (error);

  first = ps_profile_to_data (profile, NULL);
  second = ps_profile_to_data (again, NULL);
  g_assert_cmpstr (first, ==, second);
  g_assert_cmpuint (ps_profile_get_mappings (again)->len, ==, 2);
  g_assert_cmpstr (ps_profile_get_directory (again)->uris[0], ==, "ldaps://dc1.example.com");
  g_assert_true (ps_profile_validate (again, NULL));
}

static void
test_round_trip_keeps_unknown (void)
{
  g_autofree char *text = sample_text ();
  g_autofree char *edited = g_strconcat ("# kept comment\n", text, "\n[Extras]\nFoo=bar\n", NULL);
  g_autofree char *path = ps_test_write_file ("keep.conf", edited, -1, 0600);
  g_autoptr(GError) error = NULL;
  g_autoptr(PsProfile) profile = ps_profile_load_file (path, &error);
  g_autofree char *saved = NULL;

  g_assert_no_error (error);
  ps_profile_get_target (profile)->concurrency = 2;
  g_assert_true (ps_profile_save (profile, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &saved, NULL, NULL));
  g_assert_nonnull (strstr (saved, "# kept comment"));
  g_assert_nonnull (strstr (saved, "[Extras]\nFoo=bar"));
  g_assert_nonnull (strstr (saved, "Concurrency=2"));
}

static void
test_save_mode_and_removal (void)
{
  g_autoptr(PsProfile) profile = load_sample ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "mode.conf", NULL);
  g_autofree char *saved = NULL;
  GStatBuf st;

  g_assert_true (ps_profile_remove_mapping (profile, "Staff"));
  g_assert_false (ps_profile_remove_mapping (profile, "Staff"));
  g_assert_true (ps_profile_save_to_file (profile, path, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (g_file_get_contents (path, &saved, NULL, NULL));
  g_assert_null (strstr (saved, "[UserMapping Staff]"));
  g_assert_nonnull (strstr (saved, "[CollectionMapping Employees]"));
}

static void
test_save_unwritable (void)
{
  g_autoptr(PsProfile) profile = load_sample ();
  g_autoptr(GError) error = NULL;
  g_autofree char *blocker = ps_test_write_file ("blocker", "keep me", -1, 0600);
  g_autofree char *path = g_build_filename (blocker, "p.conf", NULL);
  g_autofree char *after = NULL;

  /* The profile folder is a file: the save must fail, name the folder, and
   * leave what is there alone. */
  g_assert_false (ps_profile_save_to_file (profile, path, &error));
  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_UNWRITABLE);
  g_assert_nonnull (strstr (error->message, blocker));
  g_assert_true (g_file_get_contents (blocker, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, "keep me");
}

static void
test_save_failure_keeps_old (void)
{
  g_autoptr(PsProfile) profile = load_sample ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (g_get_user_config_dir (), "isdir.conf", NULL);
  g_autofree char *inner = g_build_filename (dir, "precious", NULL);

  /* Renaming over a non-empty directory fails: the old content survives. */
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (inner, "data", -1, NULL));
  g_assert_false (ps_profile_save_to_file (profile, dir, &error));
  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_UNWRITABLE);
  g_assert_nonnull (strstr (error->message, "previous version was kept"));
  g_assert_true (g_file_test (inner, G_FILE_TEST_IS_REGULAR));
}

static void
test_list_and_names (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(PsProfile) b = ps_profile_new ("beta");
  g_autoptr(PsProfile) a = ps_profile_new ("alpha");
  g_autoptr(PsProfile) loaded = NULL;
  g_autofree char *stray = g_build_filename (g_get_user_config_dir (), "pandasync", "profiles",
                                             "bad name.conf", NULL);

  names = ps_profile_list_names (&error);
  g_assert_no_error (error);
  g_assert_cmpuint (names->len, ==, 0);
  g_clear_pointer (&names, g_ptr_array_unref);

  g_assert_true (ps_profile_save (b, &error));
  g_assert_true (ps_profile_save (a, &error));
  g_assert_true (g_file_set_contents (stray, "", -1, NULL));
  names = ps_profile_list_names (&error);
  g_assert_no_error (error);
  g_assert_cmpuint (names->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (names, 0), ==, "alpha");
  g_assert_cmpstr (g_ptr_array_index (names, 1), ==, "beta");

  loaded = ps_profile_load ("beta", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ps_profile_get_name (loaded), ==, "beta");

  g_assert_true (ps_profile_name_is_valid ("Acme-HQ_2.prod"));
  g_assert_false (ps_profile_name_is_valid ("../etc/passwd"));
  g_assert_false (ps_profile_name_is_valid (".hidden"));
  g_assert_false (ps_profile_name_is_valid ("a/b"));
  g_assert_false (ps_profile_name_is_valid (""));
  g_clear_object (&loaded);
  loaded = ps_profile_load ("../escape", &error);
  g_assert_null (loaded);
  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_NOT_FOUND);
}

static void
test_mapping_copy (void)
{
  g_autoptr(PsProfile) profile = load_sample ();
  PsMapping *orig = ps_profile_find_mapping (profile, "Employees");
  g_autoptr(PsMapping) copy = ps_mapping_copy (orig);

  g_assert_cmpstr (copy->collection, ==, orig->collection);
  g_assert_true (copy->collection != orig->collection);
  g_assert_cmpuint (copy->fields->len, ==, orig->fields->len);
  g_assert_cmpint (copy->deactivation_threshold, ==, 25);
}

/* ---------------------------------------------------------------- schedule */

static void
test_schedule_next_run (void)
{
  g_autoptr(PsProfile) profile = load_sample ();
  PsSchedule *s = ps_profile_get_schedule (profile);
  g_autoptr(GDateTime) now = g_date_time_add_hours (s->start, 30);
  g_autoptr(GDateTime) last = NULL;
  g_autoptr(GDateTime) next = NULL;

  /* Never ran: the start time itself (in the past, so: due now). */
  next = ps_schedule_next_run (s, NULL, now);
  g_assert_true (g_date_time_equal (next, s->start));
  g_clear_pointer (&next, g_date_time_unref);

  /* Ran at start + 1 h: next slot is start + 1 day. */
  last = g_date_time_add_hours (s->start, 1);
  next = ps_schedule_next_run (s, last, now);
  g_assert_cmpint (g_date_time_difference (next, s->start), ==, G_TIME_SPAN_DAY);
  g_clear_pointer (&next, g_date_time_unref);
  g_clear_pointer (&last, g_date_time_unref);

  /* Asleep for three days: one run, not three (missed slots coalesce). */
  last = g_date_time_add_hours (s->start, 2);
  g_clear_pointer (&now, g_date_time_unref);
  now = g_date_time_add_days (s->start, 4);
  next = ps_schedule_next_run (s, last, now);
  g_assert_cmpint (g_date_time_compare (next, now), <=, 0);
  g_clear_pointer (&next, g_date_time_unref);

  s->interval = PS_INTERVAL_HOURS;
  s->every_hours = 6;
  next = ps_schedule_next_run (s, last, now);
  g_assert_cmpint (g_date_time_difference (next, s->start), ==, 6 * G_TIME_SPAN_HOUR);
  g_clear_pointer (&next, g_date_time_unref);

  s->enabled = FALSE;
  g_assert_null (ps_schedule_next_run (s, last, now));
}

/* A hand edit while the profile is open: saving never overwrites it
 * unasked; reloading takes it, keeping mine overwrites it. */
static void
test_changed_on_disk (void)
{
  g_autoptr(PsProfile) profile = ps_profile_new ("edited");
  g_autoptr(PsProfile) other = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *edited = NULL;
  const char *path;

  ps_profile_get_target (profile)->url = g_strdup ("https://api.example.com");
  g_assert_true (ps_profile_save (profile, &error));
  path = ps_profile_get_path (profile);
  g_assert_false (ps_profile_changed_on_disk (profile));
  g_assert_false (ps_profile_has_unsaved_changes (profile));

  /* Saving what is unchanged on disk works, as before. */
  g_free (ps_profile_get_target (profile)->email);
  ps_profile_get_target (profile)->email = g_strdup ("admin@example.com");
  g_assert_true (ps_profile_has_unsaved_changes (profile));
  g_assert_true (ps_profile_save (profile, &error));
  g_assert_false (ps_profile_has_unsaved_changes (profile));

  /* Someone edits the file by hand. */
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  edited = g_strconcat (contents, "\n# edited by hand\n[Schedule]\nEnabled=true\n", NULL);
  g_assert_true (g_file_set_contents (path, edited, -1, NULL));
  g_assert_true (ps_profile_changed_on_disk (profile));

  /* Mine changed too: the save is refused, naming the file, and the hand edit stays. */
  g_free (ps_profile_get_target (profile)->email);
  ps_profile_get_target (profile)->email = g_strdup ("mine@example.com");
  g_assert_false (ps_profile_save (profile, &error));
  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_CHANGED_ON_DISK);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, edited);
  g_assert_true (ps_profile_has_unsaved_changes (profile));

  /* Reload: the file's settings, in the same object. */
  g_assert_true (ps_profile_reload (profile, &error));
  g_assert_no_error (error);
  g_assert_true (ps_profile_get_schedule (profile)->enabled);
  g_assert_cmpstr (ps_profile_get_target (profile)->email, ==, "admin@example.com");
  g_assert_false (ps_profile_changed_on_disk (profile));
  g_assert_false (ps_profile_has_unsaved_changes (profile));

  /* Another edit, then Keep Mine: the save replaces the file. */
  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  g_assert_true (g_file_set_contents (path, "[Profile]\nVersion=1\n", -1, NULL));
  g_assert_true (ps_profile_changed_on_disk (profile));
  g_assert_false (ps_profile_save (profile, NULL));
  ps_profile_keep_mine (profile);
  g_assert_true (ps_profile_save (profile, &error));
  other = ps_profile_load_file (path, &error);
  g_assert_no_error (error);
  g_assert_true (ps_profile_get_schedule (other)->enabled);
  g_assert_cmpstr (ps_profile_get_target (other)->url, ==, "https://api.example.com");

  /* A file that no longer parses cannot be reloaded: the profile stays as it was. */
  g_assert_true (g_file_set_contents (path, "[AssetPanda\nURL=", -1, NULL));
  g_assert_false (ps_profile_reload (profile, &error));
  g_assert_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_CORRUPT);
  g_assert_cmpstr (ps_profile_get_target (profile)->url, ==, "https://api.example.com");
}

int
main (int    argc,
      char **argv)
{
  ps_test_init (&argc, &argv);

  g_test_add_func ("/profile/load/sample", test_load_sample);
  g_test_add_func ("/profile/load/missing", test_load_missing);
  g_test_add_func ("/profile/load/not-a-file", test_load_not_a_file);
  g_test_add_func ("/profile/load/corrupt", test_load_corrupt);
  g_test_add_func ("/profile/load/truncated", test_load_truncated);
  g_test_add_func ("/profile/load/non-utf8", test_load_non_utf8);
  g_test_add_func ("/profile/load/oversized-file", test_load_oversized_file);
  g_test_add_func ("/profile/load/oversized-value", test_load_oversized_value);
  g_test_add_func ("/profile/load/bad-enum", test_load_bad_enum);
  g_test_add_func ("/profile/load/directory-kind", test_directory_kind);
  g_test_add_func ("/profile/load/bad-number", test_load_bad_number);
  g_test_add_func ("/profile/load/bad-bool", test_load_bad_bool);
  g_test_add_func ("/profile/load/bad-date", test_load_bad_date);
  g_test_add_func ("/profile/load/bad-field-mode", test_load_bad_field_mode);
  g_test_add_func ("/profile/load/attribute-fallbacks", test_load_attribute_fallbacks);
  g_test_add_func ("/profile/load/bad-attribute-names", test_load_bad_attribute_names);
  g_test_add_func ("/profile/load/bad-filter", test_load_bad_filter);
  g_test_add_func ("/profile/validate/scope", test_validate_scope);
  g_test_add_func ("/profile/load/entra-id", test_load_entra_id);
  g_test_add_func ("/profile/load/two-sources", test_load_two_sources);
  g_test_add_func ("/profile/load/entra-attribute-names", test_load_entra_attribute_names);
  g_test_add_func ("/profile/load/okta", test_load_okta);
  g_test_add_func ("/profile/load/okta-errors", test_load_okta_errors);
  g_test_add_func ("/profile/load/duplicate-mapping-name", test_load_duplicate_mapping_name);
  g_test_add_func ("/profile/load/newer-version", test_load_newer_version);
  g_test_add_func ("/profile/validate/sample", test_validate_sample);
  g_test_add_func ("/profile/validate/new-profile", test_validate_new_profile);
  g_test_add_func ("/profile/validate/urls", test_validate_urls);
  g_test_add_func ("/profile/validate/plaintext-bind", test_validate_plaintext_bind);
  g_test_add_func ("/profile/validate/mappings", test_validate_mappings);
  g_test_add_func ("/profile/validate/unknown-keys", test_validate_unknown_keys);
  g_test_add_func ("/profile/dialect-from-url", test_dialect_from_url);
  g_test_add_func ("/profile/save/round-trip", test_round_trip);
  g_test_add_func ("/profile/save/keeps-unknown", test_round_trip_keeps_unknown);
  g_test_add_func ("/profile/save/mode-and-removal", test_save_mode_and_removal);
  g_test_add_func ("/profile/save/unwritable", test_save_unwritable);
  g_test_add_func ("/profile/save/failure-keeps-old", test_save_failure_keeps_old);
  g_test_add_func ("/profile/list-and-names", test_list_and_names);
  g_test_add_func ("/profile/mapping-copy", test_mapping_copy);
  g_test_add_func ("/profile/copy-is-a-snapshot", test_copy_is_a_snapshot);
  g_test_add_func ("/profile/changed-on-disk", test_changed_on_disk);
  g_test_add_func ("/profile/mapping-order-saved", test_mapping_order_saved);
  g_test_add_func ("/schedule/next-run", test_schedule_next_run);

  return g_test_run ();
}
