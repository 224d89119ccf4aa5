/* test-report.c — the CSVs people read: a run from the history, the leavers
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include "ps-report.h"
#include "ps-test.h"

/* A run exported as CSV: its number and time on every row, Asset Panda's
 * names as they were when it ran, the person's email and anchor. */
static void
test_run_csv (void)
{
  g_autofree char *path = g_build_filename (g_get_user_state_dir (), "pandasync", "report.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PsState) state = ps_state_open (path, &error);
  g_autoptr(PsPlan) outline = ps_plan_new ("acme");
  g_autofree char *outline_data = NULL;
  g_autofree char *csv = NULL;
  g_autofree char *prefix = NULL;
  g_auto(GStrv) lines = NULL;
  PsMappingPlan *staff, *employees;
  guint rows = 0;
  gint64 run;

  g_assert_no_error (error);
  run = ps_state_begin_run (state, "manual", FALSE, &error);
  staff = ps_mapping_plan_new ("Staff", PS_MAPPING_USERS);
  staff->account = g_strdup ("21040");
  employees = ps_mapping_plan_new ("Employees", PS_MAPPING_COLLECTION);
  employees->account = g_strdup ("21040");
  employees->collection = g_strdup ("82677");
  g_ptr_array_add (outline->mappings, staff);
  g_ptr_array_add (outline->mappings, employees);
  ps_names_set (outline->names, PS_NAME_ROLE, NULL, "30135", "Basic");
  ps_names_set (outline->names, PS_NAME_COLLECTION, NULL, "82677", "Employees");
  ps_names_set (outline->names, PS_NAME_FIELD, "82677", "field_1", "First Name");
  outline_data = ps_plan_outline_to_data (outline);
  g_assert_true (ps_state_set_run_outline (state, run, outline_data, &error));
  g_assert_true (ps_state_add_action (state, run, "Staff", "create", "guid-1", "u-7", "Ada Lovelace",
                                      "ada@example.com",
                                      "[{\"field\":\"role\",\"old\":null,\"new\":\"30135\"}]", NULL, &error));
  g_assert_true (ps_state_add_action (state, run, "Employees", "update", "S-1-5-21-1-1001", "obj-9", "Ada Lovelace",
                                      "ada@example.com",
                                      "[{\"field\":\"field_1\",\"old\":\"Ada\",\"new\":\"Augusta\"},"
                                      "{\"field\":\"field_4\",\"old\":null,\"new\":\"=SUM(A1)\"}]",
                                      NULL, &error));
  g_assert_true (ps_state_finish_run (state, run, PS_RUN_SUCCEEDED, &error));
  g_assert_no_error (error);

  csv = ps_report_run_to_csv (state, run, &rows, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows, ==, 2);
  lines = g_strsplit (csv, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);   /* header, two rows, the empty end */
  g_assert_cmpstr (lines[0], ==, "\"run\",\"time\",\"mapping\",\"collection\",\"action\",\"person\",\"email\","
                   "\"anchor\",\"asset panda id\",\"changes\",\"detail\"");
  prefix = g_strdup_printf ("\"%" G_GINT64_FORMAT "\",\"", run);
  g_test_message ("%s\n%s", lines[1], lines[2]);
  g_assert_true (g_str_has_prefix (lines[1], prefix));
  g_assert_true (g_regex_match_simple ("^\"[0-9]+\",\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                                       "[+-][0-9]{2}:[0-9]{2}\",", lines[1], 0, 0));
  g_assert_nonnull (strstr (lines[1], ",\"Staff\",\"Users\",\"create\",\"Ada Lovelace\",\"ada@example.com\","
                                      "\"guid-1\",\"u-7\",\"Role: Basic\",\"\""));
  /* A field without a name shows its key; a formula is defused. */
  g_assert_nonnull (strstr (lines[2], ",\"Employees\",\"Employees\",\"update\",\"Ada Lovelace\","
                                      "\"ada@example.com\",\"S-1-5-21-1-1001\",\"obj-9\","
                                      "\"First Name: Ada → Augusta; field_4: =SUM(A1)\",\"\""));

  /* A run that does not exist is an error that names it. */
  g_clear_pointer (&csv, g_free);
  csv = ps_report_run_to_csv (state, 999, NULL, &error);
  g_assert_null (csv);
  g_assert_nonnull (strstr (error->message, "999"));
}

/* The leavers report's CSV: its header, and a row with the email, the
 * anchor, the run that marked them Inactive and when. */
static void
test_leavers_csv (void)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_leaver_asset_free);
  PsLeaverAsset *r = g_new0 (PsLeaverAsset, 1);
  g_autoptr(GDateTime) when = g_date_time_new_local (2026, 11, 30, 2, 0, 0);
  g_autofree char *time = g_date_time_format (when, "%Y-%m-%dT%H:%M:%S%:z");
  g_autofree char *expected = NULL;
  g_autofree char *csv = NULL;

  r->mapping = g_strdup ("Employees");
  r->person_id = g_strdup ("obj-9");
  r->person = g_strdup ("Ada Lovelace");
  r->email = g_strdup ("ada@example.com");
  r->anchor = g_strdup ("S-1-5-21-1-1001");
  r->collection = g_strdup ("Assets");
  r->asset_id = g_strdup ("a-1");
  r->asset = g_strdup ("-LT-0001");
  r->field = g_strdup ("Assigned To");
  r->run_id = 12;
  r->deactivated_at = g_date_time_to_unix (when);
  g_ptr_array_add (rows, r);
  csv = ps_report_leavers_to_csv (rows);
  expected = g_strdup_printf ("\"person\",\"email\",\"anchor\",\"collection\",\"asset\",\"asset id\",\"field\","
                              "\"mapping\",\"run\",\"time\"\r\n"
                              "\"Ada Lovelace\",\"ada@example.com\",\"S-1-5-21-1-1001\",\"Assets\",\"'-LT-0001\","
                              "\"a-1\",\"Assigned To\",\"Employees\",\"12\",\"%s\"\r\n", time);
  g_assert_cmpstr (csv, ==, expected);
}

int
main (int    argc,
      char **argv)
{
  ps_test_init (&argc, &argv);
  g_test_add_func ("/report/run-csv", test_run_csv);
  g_test_add_func ("/report/leavers-csv", test_leavers_csv);
  return g_test_run ();
}
