/* test-names.c — Asset Panda's names for its ids, as the app remembers them
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib/gstdio.h>

#include "ps-names.h"
#include "ps-test.h"

static void
test_lookup_and_json (void)
{
  g_autoptr(PsNames) names = ps_names_new ();
  g_autoptr(PsNames) back = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *role = NULL;
  g_autofree char *field = NULL;
  g_autofree char *other = NULL;
  g_autofree char *unknown = NULL;

  ps_names_set (names, PS_NAME_ROLE, NULL, "30135", "Basic");
  ps_names_set (names, PS_NAME_FIELD, "82677", "field_1", "First Name");
  ps_names_set (names, PS_NAME_FIELD, "99999", "field_1", "Serial");
  ps_names_set (names, PS_NAME_ACCOUNT, NULL, "21040", "Acme");
  /* Nothing to remember without an id or a name. */
  ps_names_set (names, PS_NAME_ROLE, NULL, "", "Nobody");
  ps_names_set (names, PS_NAME_ROLE, NULL, "1", NULL);
  g_assert_cmpuint (ps_names_get_size (names), ==, 4);

  node = ps_names_to_json (names);
  back = ps_names_new_from_json (node);
  role = ps_names_lookup (back, PS_NAME_ROLE, NULL, "30135");
  field = ps_names_lookup (back, PS_NAME_FIELD, "82677", "field_1");
  other = ps_names_display (back, PS_NAME_FIELD, "99999", "field_1");
  unknown = ps_names_display (back, PS_NAME_ROLE, NULL, "777");
  g_assert_cmpstr (role, ==, "Basic");
  /* A field's name belongs to its collection. */
  g_assert_cmpstr (field, ==, "First Name");
  g_assert_cmpstr (other, ==, "Serial");
  /* Unknown: the id itself, never an empty cell. */
  g_assert_cmpstr (unknown, ==, "777");
  g_assert_null (ps_names_lookup (back, PS_NAME_COLLECTION, NULL, "30135"));
  g_assert_cmpuint (ps_names_get_size (back), ==, 4);
}

static void
test_remember (void)
{
  g_autoptr(PsProfile) profile = ps_profile_new ("names");
  g_autoptr(PsNames) first = ps_names_new ();
  g_autoptr(PsNames) second = ps_names_new ();
  g_autoptr(PsNames) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "pandasync", "names.names.json", NULL);
  g_autofree char *role = NULL;
  g_autofree char *collection = NULL;
  GStatBuf st;

  /* Nothing kept yet: empty, not an error. */
  loaded = ps_names_load_for_profile (profile);
  g_assert_cmpuint (ps_names_get_size (loaded), ==, 0);
  g_clear_object (&loaded);

  ps_names_set (first, PS_NAME_ROLE, NULL, "30135", "Basic");
  ps_names_set (first, PS_NAME_COLLECTION, NULL, "82677", "Employees");
  g_assert_true (ps_names_remember (profile, first, &error));
  g_assert_no_error (error);
  /* A later listing adds to what was kept and renames what changed. */
  ps_names_set (second, PS_NAME_ROLE, NULL, "30135", "Basic User");
  ps_names_set (second, PS_NAME_ROLE, NULL, "30136", "Admin");
  g_assert_true (ps_names_remember (profile, second, &error));

  loaded = ps_names_load_for_profile (profile);
  role = ps_names_lookup (loaded, PS_NAME_ROLE, NULL, "30135");
  collection = ps_names_lookup (loaded, PS_NAME_COLLECTION, NULL, "82677");
  g_assert_cmpstr (role, ==, "Basic User");
  g_assert_cmpstr (collection, ==, "Employees");
  g_assert_cmpuint (ps_names_get_size (loaded), ==, 3);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_clear_object (&loaded);

  /* A damaged file is a cache miss, not a failure. */
  g_assert_true (g_file_set_contents (path, "{not json", -1, NULL));
  loaded = ps_names_load_for_profile (profile);
  g_assert_cmpuint (ps_names_get_size (loaded), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  ps_test_init (&argc, &argv);
  g_test_add_func ("/names/lookup-and-json", test_lookup_and_json);
  g_test_add_func ("/names/remember", test_remember);
  return g_test_run ();
}
