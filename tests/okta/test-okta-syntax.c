/* test-okta-syntax.c — org URLs, attribute names and search expressions
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include "ps-test.h"
#include "ps-okta-syntax.h"

/* ---------------------------------------------------------------- helpers */

static void
expect_search (const char *text,
               const char *normal)
{
  g_autofree char *reason = NULL;
  g_autofree char *out = ps_okta_search_parse (text, NULL, &reason);

  if (out == NULL)
    g_error ("“%s” was refused: %s", text, reason);
  g_assert_cmpstr (out, ==, normal);
  /* The normal form is itself valid and stays as it is. */
  {
    g_autofree char *again = ps_okta_search_parse (out, NULL, NULL);
    g_assert_cmpstr (again, ==, normal);
  }
}

static void
expect_refused (const char *text,
                const char *needle)
{
  g_autofree char *reason = NULL;
  g_autofree char *out = ps_okta_search_parse (text, NULL, &reason);

  if (out != NULL)
    g_error ("“%s” was accepted as “%s”", text, out);
  g_assert_nonnull (reason);
  g_test_message ("%s → %s", text, reason);
  if (needle != NULL && strstr (reason, needle) == NULL)
    g_error ("“%s” not in “%s”", needle, reason);
}

static void
expect_url (const char *url,
            const char *normal,
            const char *needle)
{
  g_autofree char *reason = NULL;
  g_autofree char *out = ps_okta_org_url_check (url, &reason);

  if (normal != NULL)
    {
      if (out == NULL)
        g_error ("“%s” was refused: %s", url, reason);
      g_assert_cmpstr (out, ==, normal);
      return;
    }
  if (out != NULL)
    g_error ("“%s” was accepted as “%s”", url, out);
  g_test_message ("%s → %s", url, reason);
  if (needle != NULL && strstr (reason, needle) == NULL)
    g_error ("“%s” not in “%s”", needle, reason);
}

/* ---------------------------------------------------------------- tests */

static void
test_org_url (void)
{
  expect_url ("https://acme.okta.com", "https://acme.okta.com", NULL);
  expect_url ("https://acme.okta.com/", "https://acme.okta.com", NULL);
  expect_url ("  https://ACME.oktapreview.com  ", "https://acme.oktapreview.com", NULL);
  expect_url ("https://acme.okta-emea.com", "https://acme.okta-emea.com", NULL);
  expect_url ("https://login.acme.example", "https://login.acme.example", NULL);
  expect_url ("https://login.acme.example:8443", "https://login.acme.example:8443", NULL);
  expect_url ("http://127.0.0.1:8080", "http://127.0.0.1:8080", NULL);

  expect_url (NULL, NULL, "give the org URL");
  expect_url ("acme.okta.com", NULL, "https://");
  expect_url ("http://acme.okta.com", NULL, "127.0.0.1");
  expect_url ("http://localhost:8080", NULL, "127.0.0.1");
  expect_url ("ftp://acme.okta.com", NULL, "https://");
  /* a path is an error that names what to remove */
  expect_url ("https://acme.okta.com/api/v1", NULL, "remove “/api/v1”");
  expect_url ("https://acme.okta.com/admin/dashboard", NULL, "remove “/admin/dashboard”");
  expect_url ("https://acme.okta.com/?x=1", NULL, "remove “?x=1”");
  expect_url ("https://acme-admin.okta.com", NULL, "https://acme.okta.com");
  expect_url ("https://{yourOktaDomain}", NULL, "placeholder");
  expect_url ("https://user@acme.okta.com", NULL, "remove “user@”");
}

static void
test_attribute_names (void)
{
  g_auto(GStrv) parts = NULL;
  g_autofree char *reason = NULL;

  g_assert_true (ps_okta_attribute_is_valid ("department"));
  g_assert_true (ps_okta_attribute_is_valid ("profile.department"));
  g_assert_true (ps_okta_attribute_is_valid ("custom_attr2"));
  g_assert_true (ps_okta_attribute_is_valid ("id"));
  g_assert_true (ps_okta_attribute_is_valid ("status"));
  g_assert_false (ps_okta_attribute_is_valid (""));
  g_assert_false (ps_okta_attribute_is_valid ("profile."));
  g_assert_false (ps_okta_attribute_is_valid ("2fa"));
  g_assert_false (ps_okta_attribute_is_valid ("cost-center"));
  g_assert_false (ps_okta_attribute_is_valid ("profile.a.b"));
  g_assert_false (ps_okta_attribute_is_valid ("credentials.provider"));

  parts = ps_okta_attribute_spec_split ("email | login|profile.secondEmail", &reason);
  g_assert_nonnull (parts);
  g_assert_cmpstr (parts[0], ==, "email");
  g_assert_cmpstr (parts[1], ==, "login");
  g_assert_cmpstr (parts[2], ==, "profile.secondEmail");
  g_assert_null (parts[3]);
  g_clear_pointer (&parts, g_strfreev);

  parts = ps_okta_attribute_spec_split ("email||login", &reason);
  g_assert_null (parts);
  g_assert_nonnull (strstr (reason, "empty alternative"));
  g_clear_pointer (&reason, g_free);
  parts = ps_okta_attribute_spec_split ("email|given-name", &reason);
  g_assert_null (parts);
  g_assert_nonnull (strstr (reason, "“given-name”"));
}

static void
test_search_valid (void)
{
  expect_search ("profile.department eq \"Sales\"", "profile.department eq \"Sales\"");
  /* a bare name is a profile attribute, in Okta's spelling */
  expect_search ("department eq \"Sales\"", "profile.department eq \"Sales\"");
  expect_search ("Department EQ \"Sales\"", "profile.department eq \"Sales\"");
  expect_search ("profile.EMPLOYEENUMBER sw \"47\"", "profile.employeeNumber sw \"47\"");
  /* custom attributes keep their spelling */
  expect_search ("profile.costCentre_2 eq \"CC 12\"", "profile.costCentre_2 eq \"CC 12\"");
  expect_search ("status eq \"active\"", "status eq \"ACTIVE\"");
  expect_search ("status  eq  \"SUSPENDED\"  or status eq \"DEPROVISIONED\"",
                 "status eq \"SUSPENDED\" or status eq \"DEPROVISIONED\"");
  expect_search ("(department eq \"Sales\" or department eq \"Support\") and status eq \"ACTIVE\"",
                 "(profile.department eq \"Sales\" or profile.department eq \"Support\") and "
                 "status eq \"ACTIVE\"");
  expect_search ("lastUpdated gt \"2026-01-01T00:00:00.000Z\"",
                 "lastUpdated gt \"2026-01-01T00:00:00.000Z\"");
  expect_search ("profile.email co \"@example.com\"", "profile.email co \"@example.com\"");
  expect_search ("profile.title pr", "profile.title pr");
  expect_search ("profile.level ge 3 and profile.contractor eq FALSE",
                 "profile.level ge 3 and profile.contractor eq false");
  expect_search ("type.id eq \"oty1\"", "type.id eq \"oty1\"");
  expect_search ("profile.title eq \"The \\\"Boss\\\" \\\\ more\"",
                 "profile.title eq \"The \\\"Boss\\\" \\\\ more\"");

  {
    g_autoptr(GPtrArray) attributes = NULL;
    g_autofree char *out = ps_okta_search_parse ("department eq \"x\" and status eq \"ACTIVE\"",
                                                 &attributes, NULL);

    g_assert_nonnull (out);
    g_assert_cmpuint (attributes->len, ==, 2);
    g_assert_cmpstr (g_ptr_array_index (attributes, 0), ==, "profile.department");
    g_assert_cmpstr (g_ptr_array_index (attributes, 1), ==, "status");
  }
}

static void
test_search_invalid (void)
{
  /* never a read that returns nobody: each is a named error */
  expect_refused ("", "empty");
  expect_refused ("(department=Sales)", "comparisons are written with words");
  expect_refused ("department = \"Sales\"", "comparisons are written with words");
  expect_refused ("department eq Sales", "quotes");
  expect_refused ("department eq 'Sales'", "not “'”");
  expect_refused ("department eq \"Sales", "never closed");
  expect_refused ("department ne \"Sales\"", "no “ne”");
  expect_refused ("not (department eq \"Sales\")", "no “not”");
  expect_refused ("department like \"S%\"", "“like” is not an operator");
  expect_refused ("department co \"ale\"", "only in firstName, lastName, email and login");
  expect_refused ("status eq \"ACTIV\"", "one of STAGED");
  expect_refused ("status sw \"ACT\"", "compared with eq");
  expect_refused ("lastUpdated gt \"yesterday\"", "a date in quotes");
  expect_refused ("lastLogin gt \"2026-01-01T00:00:00.000Z\"", "cannot search by “lastLogin”");
  expect_refused ("profile.a.b eq \"x\"", "not an Okta attribute");
  expect_refused ("department eq \"Sales\" status eq \"ACTIVE\"", "“and” or “or” was expected");
  expect_refused ("(department eq \"Sales\"", "a “)” was expected");
  expect_refused ("department eq \"Sales\")", "without its “(”");
  expect_refused ("department eq \"Sales\" and", "ends where a comparison");
  expect_refused ("department eq \"a\\nb\"", "“\\” in a value");
  expect_refused ("department eq 12abc", "space was expected after a number");
  expect_refused ("department", "operator");

  {
    g_autoptr(GString) deep = g_string_new (NULL);
    for (guint i = 0; i < 40; i++)
      g_string_append_c (deep, '(');
    g_string_append (deep, "department eq \"x\"");
    for (guint i = 0; i < 40; i++)
      g_string_append_c (deep, ')');
    expect_refused (deep->str, "too deep");
  }
  {
    g_autofree char *position = NULL;
    g_autofree char *out = ps_okta_search_parse ("department eq \"Sales\" and title ne \"x\"",
                                                 NULL, &position);
    g_assert_null (out);
    /* the reason names where: "ne" starts at character 33 */
    g_assert_nonnull (strstr (position, "character 33"));
  }
}

static void
test_lists (void)
{
  const char *const *statuses = ps_okta_status_names ();

  g_assert_cmpuint (g_strv_length ((char **) statuses), ==, 8);
  g_assert_true (g_strv_contains (ps_okta_standard_attribute_names (), "employeeNumber"));
  g_assert_true (g_strv_contains (ps_okta_user_property_names (), "lastUpdated"));
}

int
main (int    argc,
      char **argv)
{
  ps_test_init (&argc, &argv);

  g_test_add_func ("/okta/syntax/org-url", test_org_url);
  g_test_add_func ("/okta/syntax/attribute-names", test_attribute_names);
  g_test_add_func ("/okta/syntax/search-valid", test_search_valid);
  g_test_add_func ("/okta/syntax/search-invalid", test_search_invalid);
  g_test_add_func ("/okta/syntax/lists", test_lists);
  return g_test_run ();
}
