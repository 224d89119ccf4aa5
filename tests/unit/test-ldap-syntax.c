/* test-ldap-syntax.c — attribute names, fallbacks and filters as a profile
 * writes them
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include "ps-ldap-syntax.h"
#include "ps-test.h"

static void
test_attribute_names (void)
{
  const char *good[] = { "mail", "userPrincipalName", "extensionAttribute15", "msDS-cloudExtensionAttribute1",
                         "cn;lang-de", "2.5.4.3", "1.2.840.113556.1.4.221", NULL };
  const char *bad[] = { "", "1mail", "mail address", "mail|", "ma_il", "cn;", "2", "2.05.4", "-cn",
                        "mail,sn", NULL };

  for (guint i = 0; good[i] != NULL; i++)
    g_assert_true (ps_ldap_attribute_is_valid (good[i]));
  for (guint i = 0; bad[i] != NULL; i++)
    {
      g_test_message ("bad: %s", bad[i]);
      g_assert_false (ps_ldap_attribute_is_valid (bad[i]));
    }
  g_assert_false (ps_ldap_attribute_is_valid (NULL));
}

static void
test_fallbacks (void)
{
  g_auto(GStrv) two = ps_ldap_attribute_spec_split ("mail|userPrincipalName", NULL);
  g_auto(GStrv) spaced = ps_ldap_attribute_spec_split (" mail | proxyAddresses |userPrincipalName ", NULL);
  g_auto(GStrv) one = ps_ldap_attribute_spec_split ("department", NULL);
  g_autofree char *reason = NULL;
  g_autofree char *reason2 = NULL;
  g_auto(GStrv) empty_part = ps_ldap_attribute_spec_split ("mail||upn", &reason);
  g_auto(GStrv) bad_name = ps_ldap_attribute_spec_split ("mail|user principal", &reason2);

  g_assert_cmpuint (g_strv_length (two), ==, 2);
  g_assert_cmpstr (two[1], ==, "userPrincipalName");
  g_assert_cmpuint (g_strv_length (spaced), ==, 3);
  g_assert_cmpstr (spaced[1], ==, "proxyAddresses");
  g_assert_cmpuint (g_strv_length (one), ==, 1);
  g_assert_null (empty_part);
  g_assert_nonnull (strstr (reason, "empty alternative"));
  g_assert_null (bad_name);
  g_assert_nonnull (strstr (reason2, "“user principal” is not a valid directory attribute name"));
  g_assert_null (ps_ldap_attribute_spec_split ("  ", NULL));
}

static void
test_filters (void)
{
  struct { const char *in; const char *out; guint n_attrs; } good[] = {
    { "(department=Sales)", "(department=Sales)", 1 },
    { "department=Sales", "(department=Sales)", 1 },
    { "  (&(department=Sales)(!(title=Intern*)))  ", "(&(department=Sales)(!(title=Intern*)))", 2 },
    { "(|(l=Paris)(l=Lyon)(co=FR))", "(|(l=Paris)(l=Lyon)(co=FR))", 3 },
    { "(employeeID=*)", "(employeeID=*)", 1 },
    { "(cn=a*b*c)", "(cn=a*b*c)", 1 },
    { "(cn=Smith\\2c John)", "(cn=Smith\\2c John)", 1 },
    { "(userAccountControl:1.2.840.113556.1.4.803:=2)", "(userAccountControl:1.2.840.113556.1.4.803:=2)", 1 },
    { "(:dn:2.5.13.5:=Sales)", "(:dn:2.5.13.5:=Sales)", 0 },
    { "(ou:dn:=Sales)", "(ou:dn:=Sales)", 1 },
    { "(badPwdCount>=3)", "(badPwdCount>=3)", 1 },
    { "(sn~=smith)", "(sn~=smith)", 1 },
    { "(description=)", "(description=)", 1 },
    { "(cn:=x)", "(cn:=x)", 1 },
  };
  struct { const char *in; const char *reason; } bad[] = {
    { "(department=Sales", "“)” was expected" },
    { "(&(department=Sales)", "“)” was expected" },
    { "(department=Sales))", "text after the end of the filter" },
    { "(department=Sales)(title=x)", "text after the end of the filter" },
    { "(&)", "“(” was expected after “&” or “|”" },
    { "()", "the filter is empty" },
    { "", "the filter is empty" },
    { "(=Sales)", "an attribute name was expected" },
    { "(depart ment=Sales)", "“=”, “~=”, “>=” or “<=” was expected" },
    { "(cn=a(b)", "an unescaped “(”" },
    { "(cn=a\\zz)", "two hex digits" },
    { "(cn>=a*)", "an unescaped “*”" },
    { "(cn:1.2.3.x:=x)", "a matching rule was expected" },
    { "(:=x)", "an attribute name was expected" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GPtrArray) attrs = NULL;
      g_autofree char *reason = NULL;
      g_autofree char *out = ps_ldap_filter_parse (good[i].in, &attrs, &reason);

      g_test_message ("good: %s (%s)", good[i].in, reason != NULL ? reason : "ok");
      g_assert_cmpstr (out, ==, good[i].out);
      g_assert_cmpuint (attrs->len, ==, good[i].n_attrs);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *reason = NULL;
      g_autofree char *out = ps_ldap_filter_parse (bad[i].in, NULL, &reason);

      g_test_message ("bad: %s → %s", bad[i].in, reason);
      g_assert_null (out);
      g_assert_nonnull (strstr (reason, bad[i].reason));
    }
  {
    /* the filter's attributes, for the schema check */
    g_autoptr(GPtrArray) attrs = NULL;
    g_autofree char *out = ps_ldap_filter_parse ("(&(department=Sales)(|(l=Paris)(title=*)))", &attrs, NULL);
    g_assert_cmpstr (g_ptr_array_index (attrs, 0), ==, "department");
    g_assert_cmpstr (g_ptr_array_index (attrs, 2), ==, "title");
  }
  {
    /* deep nesting is refused, not a stack overflow */
    g_autoptr(GString) deep = g_string_new (NULL);
    g_autofree char *reason = NULL;
    g_autofree char *out = NULL;
    for (guint i = 0; i < 200; i++)
      g_string_append (deep, "(!");
    g_string_append (deep, "(cn=x)");
    for (guint i = 0; i < 200; i++)
      g_string_append_c (deep, ')');
    out = ps_ldap_filter_parse (deep->str, NULL, &reason);
    g_assert_null (out);
    g_assert_nonnull (strstr (reason, "nests too deeply"));
  }
}

int
main (int    argc,
      char **argv)
{
  ps_test_init (&argc, &argv);
  g_test_add_func ("/ldap-syntax/attribute-names", test_attribute_names);
  g_test_add_func ("/ldap-syntax/fallbacks", test_fallbacks);
  g_test_add_func ("/ldap-syntax/filters", test_filters);
  return g_test_run ();
}
