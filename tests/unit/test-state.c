/* test-state.c — the SQLite sync state and run history
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "ps-engine-error.h"
#include "ps-state.h"
#include "ps-test.h"

static PsState *
open_state (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_get_user_state_dir (), "pandasync", name, NULL);
  PsState *state = ps_state_open (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (state);
  return state;
}

static void
test_links (void)
{
  g_autoptr(PsState) state = open_state ("links.db");
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) links = NULL;
  g_autoptr(PsLink) link = ps_link_new ("guid-1", "obj1");
  PsLink *back;
  GStatBuf st;

  link->values_hash = g_strdup ("abc");
  link->dn = g_strdup ("CN=Ada,DC=example,DC=com");
  g_assert_true (ps_state_put_link (state, "Employees", link, &error));
  link->active = FALSE;
  g_free (link->anchor);
  link->anchor = g_strdup ("guid-2");
  g_assert_true (ps_state_put_link (state, "Employees", link, &error));
  g_assert_true (ps_state_put_link (state, "Other", link, &error));
  g_assert_no_error (error);

  links = ps_state_load_links (state, "Employees", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (links), ==, 2);
  back = g_hash_table_lookup (links, "guid-1");
  g_assert_cmpstr (back->target_id, ==, "obj1");
  g_assert_cmpstr (back->values_hash, ==, "abc");
  g_assert_true (back->active);
  g_assert_false (((PsLink *) g_hash_table_lookup (links, "guid-2"))->active);
  g_assert_cmpuint (ps_state_count_links (state, "Employees", TRUE), ==, 1);

  g_assert_true (ps_state_delete_link (state, "Employees", "guid-1", &error));
  g_assert_cmpuint (ps_state_count_links (state, "Employees", FALSE), ==, 1);

  g_assert_cmpint (g_stat (ps_state_get_path (state), &st), ==, 0);
  g_assert_cmpint (st.st_mode & 077, ==, 0);
}

static void
test_transaction_rollback (void)
{
  g_autoptr(PsState) state = open_state ("tx.db");
  g_autoptr(GError) error = NULL;
  g_autoptr(PsLink) link = ps_link_new ("guid-1", "obj1");

  g_assert_true (ps_state_begin (state, &error));
  g_assert_true (ps_state_put_link (state, "M", link, &error));
  ps_state_rollback (state);
  g_assert_cmpuint (ps_state_count_links (state, "M", FALSE), ==, 0);

  g_assert_true (ps_state_begin (state, &error));
  g_assert_true (ps_state_put_link (state, "M", link, &error));
  g_assert_true (ps_state_commit (state, &error));
  g_assert_cmpuint (ps_state_count_links (state, "M", FALSE), ==, 1);
}

static void
test_intents_and_watermarks (void)
{
  g_autoptr(PsState) state = open_state ("marks.db");
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) intents = NULL;
  g_autoptr(PsWatermark) mark = NULL;
  PsWatermark set = { (char *) "{\"usn\":4242,\"invocationId\":\"inv-1\"}", 1700000000 };

  g_assert_true (ps_state_add_intent (state, "M", "guid-9", "create", &error));
  intents = ps_state_load_intents (state, "M", &error);
  g_assert_cmpstr (g_hash_table_lookup (intents, "guid-9"), ==, "create");
  g_assert_true (ps_state_clear_intent (state, "M", "guid-9", &error));
  g_clear_pointer (&intents, g_hash_table_unref);
  intents = ps_state_load_intents (state, "M", &error);
  g_assert_cmpuint (g_hash_table_size (intents), ==, 0);

  g_assert_null (ps_state_get_watermark (state, "M"));
  g_assert_true (ps_state_set_watermark (state, "M", &set, &error));
  mark = ps_state_get_watermark (state, "M");
  g_assert_cmpstr (mark->token, ==, "{\"usn\":4242,\"invocationId\":\"inv-1\"}");
  g_assert_cmpint (mark->full_at, ==, 1700000000);
  g_assert_true (ps_state_clear_watermark (state, "M", &error));
  g_assert_null (ps_state_get_watermark (state, "M"));

  g_assert_cmpint (ps_state_get_source_count (state, "M"), ==, -1);
  g_assert_true (ps_state_set_source_count (state, "M", 812, &error));
  g_assert_cmpint (ps_state_get_source_count (state, "M"), ==, 812);
  g_assert_no_error (error);
}

/* A state file of schema 1 (Active Directory's watermark in columns of its
 * own) opens, keeps its links, and its old watermark reads as "none", so
 * the next run is a full read. */
static void
test_schema_1_upgrade (void)
{
  g_autofree char *path = g_build_filename (g_get_user_state_dir (), "old.db", NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(PsState) state = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) links = NULL;
  g_autoptr(PsWatermark) mark = NULL;
  sqlite3 *db = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
      "CREATE TABLE links (mapping TEXT NOT NULL, anchor TEXT NOT NULL, target_id TEXT NOT NULL,"
      " values_hash TEXT, dn TEXT, active INTEGER NOT NULL DEFAULT 1, updated_at INTEGER NOT NULL,"
      " PRIMARY KEY (mapping, anchor));"
      "CREATE TABLE watermarks (mapping TEXT PRIMARY KEY, dc TEXT, service TEXT, invocation_id TEXT,"
      " usn INTEGER, full_at INTEGER);"
      "INSERT INTO links VALUES ('M', 'guid-1', 'obj-1', 'h', 'cn=a', 1, 0);"
      "INSERT INTO watermarks VALUES ('M', 'dc1', 'CN=NTDS', 'inv-1', 4242, 1700000000);"
      "PRAGMA user_version = 1;", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  state = ps_state_open (path, &error);
  g_assert_no_error (error);
  links = ps_state_load_links (state, "M", &error);
  g_assert_cmpuint (g_hash_table_size (links), ==, 1);
  mark = ps_state_get_watermark (state, "M");
  g_assert_null (mark->token);
  g_assert_cmpint (mark->full_at, ==, 1700000000);
  g_clear_pointer (&mark, ps_watermark_free);
  {
    PsWatermark set = { (char *) "t", 1 };
    g_assert_true (ps_state_set_watermark (state, "M", &set, &error));
    mark = ps_state_get_watermark (state, "M");
    g_assert_cmpstr (mark->token, ==, "t");
  }
}

static void
collect_row (const char *const *row,
             gpointer           user_data)
{
  g_autoptr(GString) line = g_string_new (NULL);

  for (guint i = 0; i < 8; i++)
    g_string_append_printf (line, "%s%s", i > 0 ? "|" : "", row[i] != NULL ? row[i] : "");
  g_ptr_array_add (user_data, g_string_free (g_steal_pointer (&line), FALSE));
}

static void
test_runs (void)
{
  g_autoptr(PsState) state = open_state ("runs.db");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(PsRunInfo) info = NULL;
  const guint counts[7] = { 3, 1, 2, 0, 4, 1, 0 };
  gint64 preview, real, dead;

  preview = ps_state_begin_run (state, "manual", TRUE, &error);
  g_assert_true (ps_state_finish_run (state, preview, PS_RUN_SUCCEEDED, &error));
  real = ps_state_begin_run (state, "schedule", FALSE, &error);
  g_assert_cmpint (real, >, preview);
  g_assert_true (ps_state_add_run_mapping (state, real, "Employees", "failed", counts, "one record failed", &error));
  g_assert_true (ps_state_add_action (state, real, "Employees", "create", "guid-1", "obj1", "Ada",
                                      "ada@example.com", "[{\"field\":\"field_1\",\"new\":\"Ada\"}]", NULL, &error));
  g_assert_true (ps_state_add_action (state, real, "Employees", "update", "guid-2", "obj2", "Bob",
                                      NULL, NULL, "422 field_3 is not unique", &error));
  g_assert_true (ps_state_add_log (state, real, "info", "Employees", "Read 12 people", &error));
  g_assert_true (ps_state_finish_run (state, real, PS_RUN_FAILED, &error));
  dead = ps_state_begin_run (state, "service", FALSE, &error);
  g_assert_no_error (error);

  /* A process that died mid-run leaves "running"; the next start marks it. */
  g_assert_cmpuint (ps_state_mark_interrupted (state), ==, 1);
  info = ps_state_get_run (state, dead, &error);
  g_assert_cmpint (info->status, ==, PS_RUN_INTERRUPTED);
  g_clear_pointer (&info, ps_run_info_free);

  runs = ps_state_list_runs (state, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 3);
  info = ps_state_get_run (state, real, &error);
  g_assert_cmpuint (info->created, ==, 3);
  g_assert_cmpuint (info->failed, ==, 1);
  g_assert_cmpint (info->status, ==, PS_RUN_FAILED);
  g_assert_cmpstr (info->trigger, ==, "schedule");

  g_assert_true (ps_state_foreach_action (state, real, collect_row, rows, &error));
  g_assert_cmpuint (rows->len, ==, 2);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (rows, 0), "Employees|create|guid-1|obj1|Ada"));
  g_assert_nonnull (strstr (g_ptr_array_index (rows, 1), "not unique"));
  g_assert_true (g_str_has_suffix (g_ptr_array_index (rows, 0), "|ada@example.com"));

  /* When a real run last created each item: previews do not count. */
  {
    g_autoptr(GHashTable) stamps = NULL;
    PsRunStamp *stamp;

    g_assert_true (ps_state_add_action (state, preview, "Employees", "create", "guid-9", "obj9", "Ivy",
                                        NULL, NULL, NULL, &error));
    stamps = ps_state_last_actions (state, "Employees", "create", &error);
    g_assert_no_error (error);
    g_assert_cmpuint (g_hash_table_size (stamps), ==, 1);
    stamp = g_hash_table_lookup (stamps, "obj1");
    g_assert_nonnull (stamp);
    g_assert_cmpint (stamp->run_id, ==, real);
    g_assert_cmpint (stamp->started_at, >, 0);
  }

  /* A run keeps its outline; a run without one answers NULL, not an error. */
  g_assert_null (ps_state_dup_run_outline (state, preview, &error));
  g_assert_no_error (error);
  g_assert_true (ps_state_set_run_outline (state, real, "{\"names\":{}}", &error));
  {
    g_autofree char *outline = ps_state_dup_run_outline (state, real, &error);
    g_assert_cmpstr (outline, ==, "{\"names\":{}}");
  }

  /* Previews do not count as the last run for scheduling. */
  g_assert_cmpint (ps_state_last_run_start (state, TRUE), >, 0);
  g_clear_pointer (&info, ps_run_info_free);
  info = ps_state_get_run (state, 999, &error);
  g_assert_null (info);
  g_assert_error (error, PS_ENGINE_ERROR, PS_ENGINE_ERROR_STATE);
}

/* A mapping has "run before" only after a real run in which it succeeded:
 * previews, failures and pauses do not count. */
static void
test_applied_mappings (void)
{
  g_autoptr(PsState) state = open_state ("applied.db");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) names = NULL;
  const guint counts[7] = { 0 };
  gint64 run;

  names = ps_state_list_applied_mappings (state, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (names->len, ==, 0);
  g_clear_pointer (&names, g_ptr_array_unref);

  run = ps_state_begin_run (state, "manual", TRUE, &error);
  g_assert_true (ps_state_add_run_mapping (state, run, "Preview only", "succeeded", counts, NULL, &error));
  g_assert_true (ps_state_finish_run (state, run, PS_RUN_SUCCEEDED, &error));
  run = ps_state_begin_run (state, "manual", FALSE, &error);
  g_assert_true (ps_state_add_run_mapping (state, run, "Staff", "succeeded", counts, NULL, &error));
  g_assert_true (ps_state_add_run_mapping (state, run, "Employees", "paused", counts, NULL, &error));
  g_assert_true (ps_state_add_run_mapping (state, run, "Assets", "failed", counts, NULL, &error));
  g_assert_true (ps_state_finish_run (state, run, PS_RUN_FAILED, &error));
  run = ps_state_begin_run (state, "schedule", FALSE, &error);
  g_assert_true (ps_state_add_run_mapping (state, run, "Staff", "succeeded", counts, NULL, &error));
  g_assert_true (ps_state_finish_run (state, run, PS_RUN_SUCCEEDED, &error));
  g_assert_no_error (error);

  names = ps_state_list_applied_mappings (state, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (names->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (names, 0), ==, "Staff");
}

static void
test_unopenable (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *blocker = ps_test_write_file ("blocker", "x", -1, 0600);
  g_autofree char *path = g_build_filename (blocker, "state.db", NULL);
  g_autoptr(PsState) state = ps_state_open (path, &error);

  g_assert_null (state);
  g_assert_error (error, PS_ENGINE_ERROR, PS_ENGINE_ERROR_STATE);
  g_assert_nonnull (strstr (error->message, blocker));
}

static void
test_corrupt_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = ps_test_write_file ("garbage.db", "this is not a database, just text "
                                              "long enough to fill a header page ...........", -1, 0600);
  g_autoptr(PsState) state = ps_state_open (path, &error);

  g_assert_null (state);
  g_assert_error (error, PS_ENGINE_ERROR, PS_ENGINE_ERROR_STATE);
  g_assert_nonnull (strstr (error->message, path));
}

int
main (int    argc,
      char **argv)
{
  ps_test_init (&argc, &argv);

  g_test_add_func ("/state/links", test_links);
  g_test_add_func ("/state/transaction-rollback", test_transaction_rollback);
  g_test_add_func ("/state/intents-and-watermarks", test_intents_and_watermarks);
  g_test_add_func ("/state/schema-1-upgrade", test_schema_1_upgrade);
  g_test_add_func ("/state/runs", test_runs);
  g_test_add_func ("/state/applied-mappings", test_applied_mappings);
  g_test_add_func ("/state/unopenable", test_unopenable);
  g_test_add_func ("/state/corrupt-file", test_corrupt_file);

  return g_test_run ();
}
