/* test-target-faults.c — retries, pacing, ambiguous creates, expired tokens,
 * and every "be liberal" rule of the contract, against the emulator
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <unistd.h>

#include "ps-test.h"
#include "ps-emu.h"

#define SID "S-1-5-21-7-4242"

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

static GPtrArray *
pro_ids (PsTarget *target,
         guint     n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = ps_target_search_records_sync (target, EMU_PRO_ACCOUNT, EMU_PRO_MODULE,
                                                                EMU_PRO_EMPLOYEES, NULL, NULL, &error);
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);

  g_assert_no_error (error);
  g_assert_cmpuint (records->len, >, 0);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (ids, g_strdup (((PsTargetRecord *) g_ptr_array_index (records, i % records->len))->id));
  return ids;
}

/* Many calls at once: Pro PUTs carry at most 5 updates, so 5 × @n updates of
 * the seeded records make @n calls. Returns how many updates were done. */
static guint
many_calls (PsTarget  *target,
            GPtrArray *ids,
            GError   **error)
{
  g_autoptr(GPtrArray) writes = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_write_free);
  guint done = 0;

  for (guint i = 0; i < ids->len * 5; i++)
    {
      PsTargetWrite *w = ps_target_write_new_update (g_ptr_array_index (ids, i % ids->len));
      g_autofree char *title = g_strdup_printf ("Title %u", i);

      ps_target_write_set (w, EMU_PRO_EMPLOYEES "_4_title_text", title);
      g_ptr_array_add (writes, w);
    }
  if (!ps_target_write_records_sync (target, EMU_PRO_ACCOUNT, EMU_PRO_MODULE, EMU_PRO_EMPLOYEES,
                                     writes, NULL, error))
    return 0;
  for (guint i = 0; i < writes->len; i++)
    done += ((PsTargetWrite *) g_ptr_array_index (writes, i))->done;
  return done;
}

/* ---------------------------------------------------------------- 429, pacing */

static void
run_storm (const char *format)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "10/2", NULL);
  g_autoptr(PsTarget) target = ps_emu_pro (emu, 4, 1000, 1);   /* no pacing: meet the 429s */
  g_autoptr(GPtrArray) ids = pro_ids (target, 30);
  g_autoptr(GError) error = NULL;
  g_autofree char *sw = g_strdup_printf ("{\"retry_after_format\": \"%s\"}", format);
  PsTargetStats stats;
  gint64 start;
  double elapsed;
  guint done;

  ps_emu_faults (emu, sw);
  start = g_get_monotonic_time ();
  done = many_calls (target, ids, &error);
  elapsed = seconds_since (start);
  g_assert_no_error (error);
  g_assert_cmpuint (done, ==, 150);
  ps_target_get_stats (target, &stats);
  g_test_message ("429 storm (%s): %.2f s, %" G_GUINT64_FORMAT " requests, %" G_GUINT64_FORMAT
                  " answered 429", format, elapsed, stats.requests, stats.rate_limited);
  g_assert_cmpuint (stats.rate_limited, >, 0);
  g_assert_cmpuint (stats.retries, >=, stats.rate_limited);
  /* 32 calls at 10 per 2 s: Retry-After makes it take about three windows… */
  g_assert_cmpfloat (elapsed, >=, 3.0);
  g_assert_cmpfloat (elapsed, <, 15.0);
  /* …and after a 429 every call waits, so few calls are wasted. */
  g_assert_cmpint (ps_emu_stat (emu, "rate_limited"), <=, 12);
}

static void
test_429_seconds (void)
{
  run_storm ("seconds");
}

static void
test_429_date (void)
{
  run_storm ("date");
}

static void
test_pacing (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "10/2", NULL);
  g_autoptr(PsTarget) target = ps_emu_pro (emu, 4, 10, 2);
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GError) error = NULL;
  PsTargetStats stats;
  gint64 start = g_get_monotonic_time ();
  double elapsed;
  guint done;

  ids = pro_ids (target, 30);
  done = many_calls (target, ids, &error);
  elapsed = seconds_since (start);
  g_assert_no_error (error);
  g_assert_cmpuint (done, ==, 150);
  ps_target_get_stats (target, &stats);
  g_test_message ("paced: %" G_GUINT64_FORMAT " calls in %.2f s, max %" G_GINT64_FORMAT
                  " in any 2 s window", stats.requests, elapsed,
                  ps_emu_stat (emu, "max_attempts_in_window"));
  g_assert_cmpuint (stats.requests, ==, 32);
  g_assert_cmpuint (stats.rate_limited, ==, 0);
  g_assert_cmpint (ps_emu_stat (emu, "rate_limited"), ==, 0);
  g_assert_cmpint (ps_emu_stat (emu, "max_attempts_in_window"), <=, 10);
  g_assert_cmpint (ps_emu_stat (emu, "max_attempts_in_window"), >=, 9);   /* and uses the room */
  /* 32 calls, 10 per 2 s: the last ones go after three full windows */
  g_assert_cmpfloat (elapsed, >=, 5.5);
  g_assert_cmpfloat (elapsed, <, 10.0);
}

/* ---------------------------------------------------------------- 5xx, drops, malformed */

static void
test_503_retry_after (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", NULL);
  g_autoptr(PsTarget) target = ps_emu_pro (emu, 4, 400, 180);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;
  PsTargetStats stats;
  gint64 start;

  ps_emu_faults (emu, "{\"fail_next\": 2, \"fail_status\": 503, \"error_retry_after\": 1}");
  start = g_get_monotonic_time ();
  list = ps_target_list_accounts_sync (target, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpfloat (seconds_since (start), >=, 1.9);
  ps_target_get_stats (target, &stats);
  g_assert_cmpuint (stats.retries, ==, 2);
  g_assert_cmpuint (stats.unavailable, ==, 2);
}

static void
test_503_gives_up (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", NULL);
  g_autoptr(PsTarget) target = ps_emu_pro (emu, 4, 400, 180);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;

  ps_emu_faults (emu, "{\"fail_next\": 100, \"fail_status\": 503}");
  list = ps_target_list_accounts_sync (target, NULL, &error);
  g_assert_null (list);
  g_assert_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "GET /accounts answered 503 after 6 attempts"));
  g_assert_cmpint (ps_emu_stat (emu, "calls"), ==, 6);
}

static void
test_no_retry (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", NULL);
  g_autoptr(PsTarget) target = ps_emu_pro (emu, 4, 400, 180);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;

  /* 500 and 400 are not transient (R9): one call each. */
  ps_emu_faults (emu, "{\"fail_next\": 1, \"fail_status\": 500}");
  list = ps_target_list_accounts_sync (target, NULL, &error);
  g_assert_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_UNAVAILABLE);
  g_assert_cmpint (ps_emu_stat (emu, "calls"), ==, 1);
  g_clear_error (&error);
  ps_emu_faults (emu, "{\"fail_next\": 1, \"fail_status\": 400}");
  list = ps_target_list_accounts_sync (target, NULL, &error);
  g_assert_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_INVALID);
  g_assert_cmpint (ps_emu_stat (emu, "calls"), ==, 2);
}

static void
test_dropped_get (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", NULL);
  g_autoptr(PsTarget) target = ps_emu_pro (emu, 4, 400, 180);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;
  PsTargetStats stats;

  ps_emu_faults (emu, "{\"drop_next\": 2}");
  list = ps_target_list_accounts_sync (target, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  ps_target_get_stats (target, &stats);
  g_assert_cmpuint (stats.connection_errors, ==, 2);
  g_assert_cmpint (ps_emu_stat (emu, "calls"), ==, 3);
}

static guint
count_anchor (PsTarget   *target,
              PsDialect   dialect,
              const char *value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsTargetQuery) query = ps_target_query_new ();
  g_autoptr(GPtrArray) found = NULL;

  query->include_archived = TRUE;
  if (dialect == PS_DIALECT_CLASSIC)
    {
      ps_target_query_add_filter (query, "integ_ad_sid", value);
      found = ps_target_search_records_sync (target, NULL, NULL, EMU_CLASSIC_EMPLOYEES, query, NULL, &error);
    }
  else
    {
      ps_target_query_add_filter (query, EMU_PRO_EMPLOYEES "_2_email_text", value);
      found = ps_target_search_records_sync (target, EMU_PRO_ACCOUNT, EMU_PRO_MODULE, EMU_PRO_EMPLOYEES,
                                             query, NULL, &error);
    }
  g_assert_no_error (error);
  return found->len;
}

static void
create_under_fault (PsDialect   dialect,
                    const char *fault,
                    gboolean    applied)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", NULL);
  g_autoptr(PsTarget) target = dialect == PS_DIALECT_PRO ? ps_emu_pro (emu, 4, 400, 180)
                                                         : ps_emu_classic (emu, 4, 400, 180);
  g_autoptr(GPtrArray) writes = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_write_free);
  g_autoptr(GPtrArray) fields = NULL;
  g_autoptr(GError) error = NULL;
  const char *account = dialect == PS_DIALECT_PRO ? EMU_PRO_ACCOUNT : NULL;
  const char *module = dialect == PS_DIALECT_PRO ? EMU_PRO_MODULE : NULL;
  const char *coll = dialect == PS_DIALECT_PRO ? EMU_PRO_EMPLOYEES : EMU_CLASSIC_EMPLOYEES;
  const char *anchor_value = dialect == PS_DIALECT_PRO ? "crash.test@example.com" : SID;
  PsTargetWrite *w;
  guint creates_before, searches_before;
  const char *search_route = dialect == PS_DIALECT_PRO ? "POST /collection-records/search"
                                                       : "POST /v3/groups/{id}/search/objects";
  const char *create_route = dialect == PS_DIALECT_PRO ? "POST /collection-records"
                                                       : "POST /v3/groups/{id}/objects";

  /* Sign in and read the fields first, so that the fault hits the create. */
  fields = ps_target_list_fields_sync (target, account, module, coll, NULL, &error);
  if (dialect == PS_DIALECT_CLASSIC)
    {
      w = ps_target_write_new_create ("integ_ad_sid", SID);
      ps_target_write_set (w, "field_1", "Crash");
      ps_target_write_set (w, "field_2", "Test");
      ps_target_write_set (w, "field_3", "crash.test@example.com");
    }
  else
    {
      w = ps_target_write_new_create (EMU_PRO_EMPLOYEES "_2_email_text", anchor_value);
      ps_target_write_set (w, EMU_PRO_EMPLOYEES "_0_firstname_text", "Crash");
      ps_target_write_set (w, EMU_PRO_EMPLOYEES "_1_lastname_text", "Test");
    }
  g_assert_no_error (error);
  g_ptr_array_add (writes, w);
  creates_before = ps_emu_count_route (emu, create_route);
  searches_before = ps_emu_count_route (emu, search_route);
  ps_emu_faults (emu, fault);
  g_assert_true (ps_target_write_records_sync (target, account, module, coll, writes, NULL, &error));
  g_assert_no_error (error);
  g_assert_no_error (w->error);
  g_assert_true (w->done);
  g_assert_nonnull (w->new_id);
  /* applied: the lost answer's record was found, not created again */
  g_assert_cmpint (w->existed, ==, applied);
  /* one create reached the state: the dropped one never did, the lost
   * answer's one was not sent again */
  g_assert_cmpuint (ps_emu_count_route (emu, create_route) - creates_before, ==, 1);
  /* and the record was looked up by its anchor before anything was re-sent */
  g_assert_cmpuint (ps_emu_count_route (emu, search_route) - searches_before, >=, 1);
  g_assert_cmpuint (count_anchor (target, dialect, anchor_value), ==, 1);
}

static void
test_create_dropped_classic (void)
{
  create_under_fault (PS_DIALECT_CLASSIC, "{\"drop_next\": 1}", FALSE);
}

static void
test_create_dropped_pro (void)
{
  create_under_fault (PS_DIALECT_PRO, "{\"drop_next\": 1}", FALSE);
}

static void
test_create_answer_lost_classic (void)
{
  create_under_fault (PS_DIALECT_CLASSIC, "{\"malformed_next\": 1}", TRUE);
}

static void
test_create_answer_lost_pro (void)
{
  create_under_fault (PS_DIALECT_PRO, "{\"malformed_next\": 1}", TRUE);
}

/* ---------------------------------------------------------------- unreadable answers */

/* Creates @n Classic employees, so that a search has several pages. */
static void
add_employees (PsTarget *target,
               guint     n)
{
  g_autoptr(GPtrArray) writes = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_write_free);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *sid = g_strdup_printf ("S-1-5-21-7-%u", 5000 + i);
      g_autofree char *mail = g_strdup_printf ("page.person%u@example.com", i);
      PsTargetWrite *w = ps_target_write_new_create ("integ_ad_sid", sid);

      ps_target_write_set (w, "field_1", "Page");
      ps_target_write_set (w, "field_2", "Person");
      ps_target_write_set (w, "field_3", mail);
      g_ptr_array_add (writes, w);
    }
  g_assert_true (ps_target_write_records_sync (target, NULL, NULL, EMU_CLASSIC_EMPLOYEES, writes,
                                               NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    g_assert_true (((PsTargetWrite *) g_ptr_array_index (writes, i))->done);
}

static guint
count_faults (PsEmu      *emu,
              const char *fault)
{
  g_autoptr(JsonNode) stats = ps_emu_admin_get (emu, "stats");
  JsonObject *faults = json_object_get_object_member (json_node_get_object (stats), "faults");

  return (guint) json_object_get_int_member_with_default (faults, fault, 0);
}

/* A search page whose 200 answer is cut off is asked for again: the search
 * is complete, not failed. */
static void
test_truncated_search_page (gconstpointer data)
{
  gboolean close = GPOINTER_TO_INT (data);
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", NULL);
  g_autoptr(PsTarget) target = ps_emu_classic (emu, 4, 400, 180);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *faults = NULL;
  PsTargetStats stats;

  add_employees (target, 250);
  /* the first page (read alone) and one of the pages read together */
  faults = g_strdup_printf ("{\"truncate_next\": 2, \"truncate_close\": %s, "
                            "\"fault_match\": \"POST */search/objects\"}", close ? "true" : "false");
  ps_emu_faults (emu, faults);
  records = ps_target_search_records_sync (target, NULL, NULL, EMU_CLASSIC_EMPLOYEES, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 255);
  g_assert_cmpuint (count_faults (emu, "truncated"), ==, 2);
  ps_target_get_stats (target, &stats);
  g_assert_cmpuint (stats.retries, ==, 2);
  if (close)
    g_assert_cmpuint (stats.connection_errors, ==, 2);
  else
    g_assert_cmpuint (stats.malformed, ==, 2);
  /* 3 pages, 2 of them twice */
  g_assert_cmpuint (ps_emu_count_route (emu, "POST /v3/groups/{id}/search/objects"), ==, 5);
}

/* Pro pages, garbled rather than cut, and the users list. */
static void
test_malformed_reads_retried (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", NULL);
  g_autoptr(PsTarget) pro = ps_emu_pro (emu, 4, 400, 180);
  g_autoptr(PsTarget) classic = ps_emu_classic (emu, 4, 400, 180);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) users = NULL;
  g_autoptr(GPtrArray) groups = NULL;
  g_autoptr(GError) error = NULL;
  PsTargetStats stats;

  ps_emu_faults (emu, "{\"malformed_next\": 1, \"fault_match\": \"POST /collection-records/search\"}");
  records = ps_target_search_records_sync (pro, EMU_PRO_ACCOUNT, EMU_PRO_MODULE, EMU_PRO_EMPLOYEES,
                                           NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 5);
  ps_target_get_stats (pro, &stats);
  g_assert_cmpuint (stats.malformed, ==, 1);
  g_assert_cmpuint (stats.retries, ==, 1);

  ps_emu_faults (emu, "{\"truncate_next\": 1, \"fault_match\": \"GET /v3/users\"}");
  users = ps_target_list_users_sync (classic, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (users->len, >, 0);
  ps_emu_faults (emu, "{\"truncate_next\": 1, \"fault_match\": \"GET /v3/groups\"}");
  groups = ps_target_list_collections_sync (classic, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (groups->len, ==, 2);
  ps_target_get_stats (classic, &stats);
  g_assert_cmpuint (stats.malformed, ==, 2);
}

/* The sign-in is asked for again too: it creates nothing. */
static void
test_truncated_token (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", NULL);
  g_autoptr(PsTarget) target = ps_emu_classic (emu, 4, 400, 180);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;

  ps_emu_faults (emu, "{\"truncate_next\": 2, \"fault_match\": \"POST /v3/session/token\"}");
  list = ps_target_list_collections_sync (target, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpuint (ps_emu_count_route (emu, "POST /v3/session/token"), ==, 3);
}

/* An answer that stays unreadable: named, after the usual attempts. */
static void
test_malformed_gives_up (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", NULL);
  g_autoptr(PsTarget) target = ps_emu_classic (emu, 4, 400, 180);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;

  list = ps_target_list_accounts_sync (target, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&list, g_ptr_array_unref);
  ps_emu_faults (emu, "{\"truncate_rate\": 1.0, \"fault_match\": \"GET /v3/groups\"}");
  list = ps_target_list_collections_sync (target, NULL, NULL, NULL, &error);
  g_assert_null (list);
  g_assert_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_UNEXPECTED);
  g_assert_nonnull (strstr (error->message, "GET /v3/groups answered 200 with data that was cut off "
                                            "or malformed"));
  g_assert_nonnull (strstr (error->message, "after 6 attempts"));
  g_assert_cmpuint (ps_emu_count_route (emu, "GET /v3/groups"), ==, 6);
}

/* A created record whose answer is cut off is looked up, not sent again. */
static void
test_create_answer_truncated (gconstpointer data)
{
  PsDialect dialect = GPOINTER_TO_INT (data);
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", NULL);
  g_autoptr(PsTarget) target = dialect == PS_DIALECT_PRO ? ps_emu_pro (emu, 4, 400, 180)
                                                         : ps_emu_classic (emu, 4, 400, 180);
  g_autoptr(GPtrArray) writes = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_write_free);
  g_autoptr(GPtrArray) fields = NULL;
  g_autoptr(GError) error = NULL;
  const char *account = dialect == PS_DIALECT_PRO ? EMU_PRO_ACCOUNT : NULL;
  const char *module = dialect == PS_DIALECT_PRO ? EMU_PRO_MODULE : NULL;
  const char *coll = dialect == PS_DIALECT_PRO ? EMU_PRO_EMPLOYEES : EMU_CLASSIC_EMPLOYEES;
  const char *create_route = dialect == PS_DIALECT_PRO ? "POST /collection-records"
                                                       : "POST /v3/groups/{id}/objects";
  PsTargetWrite *w;

  fields = ps_target_list_fields_sync (target, account, module, coll, NULL, &error);
  g_assert_no_error (error);
  if (dialect == PS_DIALECT_CLASSIC)
    {
      w = ps_target_write_new_create ("integ_ad_sid", SID);
      ps_target_write_set (w, "field_1", "Cut");
      ps_target_write_set (w, "field_2", "Off");
      ps_target_write_set (w, "field_3", "cut.off@example.com");
    }
  else
    {
      w = ps_target_write_new_create (EMU_PRO_EMPLOYEES "_2_email_text", "cut.off@example.com");
      ps_target_write_set (w, EMU_PRO_EMPLOYEES "_0_firstname_text", "Cut");
      ps_target_write_set (w, EMU_PRO_EMPLOYEES "_1_lastname_text", "Off");
    }
  g_ptr_array_add (writes, w);
  ps_emu_faults (emu, "{\"truncate_next\": 1}");
  g_assert_true (ps_target_write_records_sync (target, account, module, coll, writes, NULL, &error));
  g_assert_no_error (error);
  g_assert_no_error (w->error);
  g_assert_true (w->done);
  g_assert_true (w->existed);
  g_assert_cmpuint (ps_emu_count_route (emu, create_route), ==, 1);
}

/* A whole batch of creates whose answer was lost: every record is looked up
 * by its anchor, all at once rather than one after another. */
static void
test_ambiguous_batch_looked_up_at_once (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", "--latency-ms", "100", NULL);
  g_autoptr(PsTarget) target = ps_emu_classic (emu, 4, 400, 180);
  g_autoptr(GPtrArray) writes = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_write_free);
  g_autoptr(GPtrArray) fields = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  fields = ps_target_list_fields_sync (target, NULL, NULL, EMU_CLASSIC_EMPLOYEES, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 40; i++)
    {
      g_autofree char *sid = g_strdup_printf ("S-1-5-21-7-%u", 6000 + i);
      g_autofree char *mail = g_strdup_printf ("lost.batch%u@example.com", i);
      PsTargetWrite *w = ps_target_write_new_create ("integ_ad_sid", sid);

      ps_target_write_set (w, "field_1", "Lost");
      ps_target_write_set (w, "field_2", "Batch");
      ps_target_write_set (w, "field_3", mail);
      g_ptr_array_add (writes, w);
    }
  ps_emu_faults (emu, "{\"truncate_next\": 1, \"fault_match\": \"POST /v3/groups/*/objects\"}");
  start = g_get_monotonic_time ();
  g_assert_true (ps_target_write_records_sync (target, NULL, NULL, EMU_CLASSIC_EMPLOYEES, writes, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < writes->len; i++)
    {
      PsTargetWrite *w = g_ptr_array_index (writes, i);
      g_assert_no_error (w->error);
      g_assert_true (w->done && w->existed);
    }
  g_assert_cmpuint (ps_emu_count_route (emu, "POST /v3/groups/{id}/objects"), ==, 1);
  g_assert_cmpuint (ps_emu_count_route (emu, "POST /v3/groups/{id}/search/objects"), ==, 40);
  /* 40 lookups at 100 ms, 4 at a time: about 1 s; one after another: 4 s */
  g_assert_cmpfloat (seconds_since (start), <, 2.5);
}

/* A user create that stays ambiguous is looked up and sent again, a few
 * times, never twice blindly. */
static void
test_user_create_rounds (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", NULL);
  g_autoptr(PsTarget) target = ps_emu_classic (emu, 4, 400, 180);
  g_autoptr(PsTargetUser) user = NULL;
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GError) error = NULL;
  PsTargetUserSpec spec = { 0 };
  guint n = 0;

  spec.email = (char *) "rounds@example.com";
  spec.first_name = (char *) "Round";
  spec.last_name = (char *) "Trip";
  spec.role_id = (char *) "30135";
  before = ps_target_list_users_sync (target, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  /* two gateway errors: not created, outcome unknown to the client */
  ps_emu_faults (emu, "{\"fail_next\": 2, \"fail_status\": 502, \"fault_match\": \"POST /v3/users\"}");
  user = ps_target_create_user_sync (target, NULL, NULL, &spec, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (user);
  g_assert_cmpstr (user->email, ==, "rounds@example.com");
  /* three sends, a look after each 502, and one user */
  g_assert_cmpuint (ps_emu_count_route (emu, "POST /v3/users"), ==, 3);
  g_assert_cmpuint (ps_emu_count_route (emu, "GET /v3/users"), ==, 3);
  g_clear_pointer (&before, g_ptr_array_unref);
  before = ps_target_list_users_sync (target, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < before->len; i++)
    n += g_strcmp0 (((PsTargetUser *) g_ptr_array_index (before, i))->email, spec.email) == 0;
  g_assert_cmpuint (n, ==, 1);
}

/* A token that runs out in the middle of a long batch, again and again, is
 * renewed each time it had served some calls. */
static void
test_token_expires_mid_batch (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", "--latency-ms", "300", "--token-lifetime", "1", NULL);
  g_autoptr(PsTarget) target = ps_emu_classic (emu, 1, 400, 180);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;

  /* 10 creates, then 10 pages, one at a time: 3 s each, three tokens' worth */
  add_employees (target, 1000);
  records = ps_target_search_records_sync (target, NULL, NULL, EMU_CLASSIC_EMPLOYEES, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 1005);
  g_assert_cmpuint (ps_emu_count_route (emu, "POST /v3/session/token"), >=, 5);
}

/* A token that runs out while one call waits between its retries: the cut
 * answers it got showed that the token worked, so it is renewed again. */
static void
test_token_expires_between_retries (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", "--latency-ms", "300", "--token-lifetime", "1", NULL);
  g_autoptr(PsTarget) target = ps_emu_classic (emu, 1, 400, 180);
  g_autoptr(GPtrArray) fields = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;

  fields = ps_target_list_fields_sync (target, NULL, NULL, EMU_CLASSIC_EMPLOYEES, NULL, &error);
  g_assert_no_error (error);
  ps_target_set_backoff (target, 400, 400);
  ps_emu_faults (emu, "{\"truncate_next\": 5, \"fault_match\": \"POST */search/objects\"}");
  records = ps_target_search_records_sync (target, NULL, NULL, EMU_CLASSIC_EMPLOYEES, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 5);
  g_assert_cmpuint (ps_emu_count_route (emu, "POST /v3/session/token"), >=, 3);
}

/* A kept-alive connection closed after the server applied an update: libsoup
 * sends the request again by itself, and it must carry its body (libsoup
 * 3.2 sends it empty). Searches alike: an empty search body matches all. */
static void
test_resent_keeps_body (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", NULL);
  g_autoptr(PsTarget) target = ps_emu_pro (emu, 1, 400, 180);
  g_autoptr(GPtrArray) ids = pro_ids (target, 1);
  g_autoptr(GPtrArray) fields = NULL;
  g_autoptr(GPtrArray) writes = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_write_free);
  g_autoptr(PsTargetQuery) query = ps_target_query_new ();
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(JsonNode) log = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *calls;
  PsTargetWrite *w;
  guint puts = 0;

  fields = ps_target_list_fields_sync (target, EMU_PRO_ACCOUNT, EMU_PRO_MODULE, EMU_PRO_EMPLOYEES, NULL, &error);
  g_assert_no_error (error);
  ps_emu_faults (emu, "{\"drop_next\": 1, \"drop_after\": true, \"fault_match\": \"PUT /collection-records\"}");
  w = ps_target_write_new_update (g_ptr_array_index (ids, 0));
  ps_target_write_set (w, EMU_PRO_EMPLOYEES "_4_title_text", "Sent twice");
  g_ptr_array_add (writes, w);
  g_assert_true (ps_target_write_records_sync (target, EMU_PRO_ACCOUNT, EMU_PRO_MODULE, EMU_PRO_EMPLOYEES,
                                               writes, NULL, &error));
  g_assert_no_error (error);
  g_assert_no_error (w->error);
  g_assert_true (w->done);

  ps_emu_faults (emu, "{\"drop_next\": 1, \"fault_match\": \"POST /collection-records/search\"}");
  ps_target_query_add_filter (query, EMU_PRO_EMPLOYEES "_4_title_text", "Sent twice");
  found = ps_target_search_records_sync (target, EMU_PRO_ACCOUNT, EMU_PRO_MODULE, EMU_PRO_EMPLOYEES,
                                         query, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);

  /* every request that reached the emulator had its body */
  log = ps_emu_admin_get (emu, "calls");
  calls = json_object_get_array_member (json_node_get_object (log), "calls");
  for (guint i = 0; i < json_array_get_length (calls); i++)
    {
      JsonObject *c = json_array_get_object_element (calls, i);

      if (g_str_equal (json_object_get_string_member (c, "method"), "GET"))
        continue;
      g_assert_true (json_object_has_member (c, "request_body"));
      puts += g_str_equal (json_object_get_string_member (c, "method"), "PUT");
    }
  g_assert_cmpuint (puts, ==, 2);
}

/* A proxy's or a portal's sign-in page is named, and not asked for again. */
static void
test_web_page (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", NULL);
  g_autoptr(PsTarget) target = ps_emu_pro (emu, 4, 400, 180);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;

  ps_emu_faults (emu, "{\"html_next\": 1}");
  list = ps_target_list_accounts_sync (target, NULL, &error);
  g_assert_null (list);
  g_assert_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_UNEXPECTED);
  g_assert_cmpstr (error->message, ==,
                   "Asset Panda answered GET /accounts with a web page instead of data (HTTP 200): "
                   "a proxy or sign-in page may be in the way; check the URL and proxy settings.");
  g_assert_null (strstr (error->message, "JSON"));
  g_assert_cmpint (ps_emu_stat (emu, "calls"), ==, 1);
}

/* ---------------------------------------------------------------- unreachable hosts */

/* A port on 127.0.0.1 that listens with a backlog of @backlog and never
 * accepts. Returns the socket (close it) and the port. */
static int
silent_listener (int    backlog,
                 guint *port)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (socket);
  g_assert_true (g_socket_bind (socket, any, TRUE, &error));
  g_socket_set_listen_backlog (socket, backlog);
  g_assert_true (g_socket_listen (socket, &error));
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return dup (g_socket_get_fd (socket));
}

static void
expect_unreachable (guint       port,
                    const char *needle)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", port);
  g_autoptr(PsTarget) target = ps_emu_target_at (url, PS_DIALECT_PRO);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;
  PsTargetStats stats;

  ps_target_set_timeout (target, 1);
  list = ps_target_list_accounts_sync (target, NULL, &error);
  g_assert_null (list);
  g_assert_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_UNREACHABLE);
  g_test_message ("%s", error->message);
  if (strstr (error->message, needle) == NULL)
    g_error ("“%s” not in “%s”", needle, error->message);
  g_assert_null (strstr (error->message, "while reading"));
  g_assert_null (strstr (error->message, "closed before"));
  /* retried as a connection error, then given up */
  ps_target_get_stats (target, &stats);
  g_assert_cmpuint (stats.requests, ==, 6);
}

static void
test_unreachable_refused (void)
{
  guint port;
  int fd = silent_listener (1, &port);

  close (fd);   /* nothing listens there now: refused */
  expect_unreachable (port, "Asset Panda at 127.0.0.1 is unreachable (GET /accounts: ");
}

static void
test_unreachable_silent (void)
{
  guint port;
  int fd = silent_listener (16, &port);

  /* the kernel takes the connection; nobody reads or answers */
  expect_unreachable (port, "Asset Panda at 127.0.0.1 is unreachable: it took the connection but "
                            "did not answer GET /accounts in time");
  close (fd);
}

static void
test_unreachable_no_connection (void)
{
  g_autoptr(GPtrArray) fillers = g_ptr_array_new_with_free_func (g_object_unref);
  guint port;
  int fd = silent_listener (0, &port);

  /* fill the backlog: further connection attempts go unanswered */
  for (guint i = 0; i < 4; i++)
    {
      GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
      g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
      g_autoptr(GSocketAddress) to = g_inet_socket_address_new (loopback, port);

      g_socket_set_blocking (s, FALSE);
      g_socket_connect (s, to, NULL, NULL);
      g_ptr_array_add (fillers, s);
    }
  g_usleep (100 * 1000);
  expect_unreachable (port, "Asset Panda at 127.0.0.1 is unreachable: it did not take the "
                            "connection in time");
  close (fd);
}

/* ---------------------------------------------------------------- empty ids */

/* A record or user without an id is never asked for: the call would name
 * no record, or another endpoint. */
static void
test_empty_id (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", NULL);
  g_autoptr(PsTarget) classic = ps_emu_classic (emu, 4, 400, 180);
  g_autoptr(PsTarget) pro = ps_emu_pro (emu, 4, 400, 180);
  g_autoptr(PsTargetQuery) query = ps_target_query_new ();
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) writes = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_write_free);
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(PsTargetRecord) found = NULL;
  PsTargetWrite *w;

  ps_emu_admin_post (emu, "reset", "{\"state\": false}");
  ps_target_query_add_id (query, "");
  records = ps_target_search_records_sync (classic, NULL, NULL, EMU_CLASSIC_EMPLOYEES, query, NULL, &error);
  g_assert_null (records);
  g_assert_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "A search for records by id was given an empty id. "
                                            "Nothing was sent to Asset Panda."));
  g_clear_error (&error);
  records = ps_target_search_records_sync (pro, EMU_PRO_ACCOUNT, EMU_PRO_MODULE, EMU_PRO_EMPLOYEES,
                                           query, NULL, &error);
  g_assert_null (records);
  g_assert_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_CONFIG);
  g_clear_error (&error);

  /* an update of "" would PATCH /objects/, the create path: it fails alone */
  w = ps_target_write_new_update ("");
  ps_target_write_set (w, "field_5", "Nobody");
  g_ptr_array_add (writes, w);
  g_assert_true (ps_target_write_records_sync (classic, NULL, NULL, EMU_CLASSIC_EMPLOYEES, writes,
                                               NULL, &error));
  g_assert_no_error (error);
  g_assert_false (w->done);
  g_assert_error (w->error, PS_TARGET_ERROR, PS_TARGET_ERROR_CONFIG);
  g_assert_nonnull (strstr (w->error->message, "An update was given a record without an id."));

  g_ptr_array_add (ids, (gpointer) "");
  g_assert_false (ps_target_archive_records_sync (classic, NULL, NULL, EMU_CLASSIC_EMPLOYEES, ids, TRUE,
                                                  NULL, &error));
  g_assert_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_CONFIG);
  g_clear_error (&error);
  g_assert_false (ps_target_set_user_active_sync (classic, NULL, NULL, "", FALSE, NULL, &error));
  g_assert_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "A deactivation was given a user without an id."));
  g_clear_error (&error);
  g_assert_false (ps_target_set_user_active_sync (pro, EMU_PRO_ACCOUNT, EMU_PRO_MODULE, NULL, TRUE,
                                                  NULL, &error));
  g_assert_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_CONFIG);
  g_clear_error (&error);
  g_assert_false (ps_target_set_user_role_sync (classic, NULL, NULL, "", "30135", NULL, &error));
  g_assert_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_CONFIG);
  g_clear_error (&error);
  found = ps_target_find_record_by_anchor_sync (classic, NULL, NULL, EMU_CLASSIC_EMPLOYEES,
                                                "integ_ad_sid", "", NULL, &error);
  g_assert_null (found);
  g_assert_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_CONFIG);

  /* not one call went out, not even a sign-in */
  g_assert_cmpint (ps_emu_stat (emu, "calls"), ==, 0);
}

/* ---------------------------------------------------------------- tokens */

static void
test_expired_token (gconstpointer data)
{
  const char *status = data;
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", "--auth-error-status", status, NULL);
  g_autoptr(PsTarget) target = ps_emu_classic (emu, 4, 400, 180);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;

  list = ps_target_list_collections_sync (target, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&list, g_ptr_array_unref);
  g_assert_cmpuint (ps_emu_count_route (emu, "POST /v3/session/token"), ==, 1);
  ps_emu_faults (emu, "{\"expire_tokens\": true}");
  list = ps_target_list_collections_sync (target, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  /* exactly one new sign-in */
  g_assert_cmpuint (ps_emu_count_route (emu, "POST /v3/session/token"), ==, 2);
}

static void
test_token_refused_again (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", "--token-lifetime", "0", NULL);
  g_autoptr(PsTarget) target = ps_emu_classic (emu, 4, 400, 180);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;

  list = ps_target_list_collections_sync (target, NULL, NULL, NULL, &error);
  g_assert_null (list);
  g_assert_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "again right after a new sign-in"));
  g_assert_cmpuint (ps_emu_count_route (emu, "POST /v3/session/token"), ==, 2);
}

static void
test_token_refreshed_before_expiry (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", "--token-lifetime", "2", NULL);
  g_autoptr(PsTarget) target = ps_emu_classic (emu, 4, 400, 180);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) stats = NULL;

  list = ps_target_list_collections_sync (target, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&list, g_ptr_array_unref);
  g_usleep (2 * G_USEC_PER_SEC);
  list = ps_target_list_collections_sync (target, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  /* signed in again before the token ran out: no call was refused */
  g_assert_cmpuint (ps_emu_count_route (emu, "POST /v3/session/token"), ==, 2);
  stats = ps_emu_admin_get (emu, "stats");
  g_assert_false (json_object_has_member (json_object_get_object_member (json_node_get_object (stats),
                                                                         "statuses"), "401"));
}

static void
test_wrong_password (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", NULL);
  g_autoptr(PsTarget) target = ps_emu_target_full (emu, PS_DIALECT_CLASSIC, EMU_CLASSIC_CLIENT,
                                                   EMU_CLASSIC_SECRET, EMU_CLASSIC_EMAIL, "nope-nope",
                                                   4, 400, 180);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;

  list = ps_target_list_collections_sync (target, NULL, NULL, NULL, &error);
  g_assert_null (list);
  g_assert_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "email and password"));
  g_assert_cmpuint (ps_emu_count_route (emu, "POST /v3/session/token"), ==, 1);
}

static void
test_wrong_key (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", NULL);
  g_autoptr(PsTarget) target = ps_emu_target_full (emu, PS_DIALECT_PRO, EMU_PRO_KEY, "bad-secret",
                                                   NULL, NULL, 4, 400, 180);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;

  list = ps_target_list_accounts_sync (target, NULL, &error);
  g_assert_null (list);
  g_assert_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_AUTH);
  g_assert_cmpint (ps_emu_stat (emu, "calls"), ==, 1);
}

/* ---------------------------------------------------------------- be liberal */

static void
test_token_field (gconstpointer data)
{
  const char *field = data;
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", NULL);
  g_autoptr(PsTarget) target = ps_emu_classic (emu, 4, 400, 180);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *sw = g_strdup_printf ("{\"token_field\": \"%s\"}", field);

  ps_emu_faults (emu, sw);
  list = ps_target_list_accounts_sync (target, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (((PsTargetEntity *) g_ptr_array_index (list, 0))->id, ==, EMU_CLASSIC_ACCOUNT);
}

static void
test_display_name (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", NULL);
  g_autoptr(PsTarget) target = ps_emu_classic (emu, 4, 400, 180);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) fields = NULL;
  g_autoptr(GError) error = NULL;
  PsTargetRecord *r;

  ps_emu_faults (emu, "{\"list_value_key\": \"display_name\"}");
  fields = ps_target_list_fields_sync (target, NULL, NULL, EMU_CLASSIC_EMPLOYEES, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ps_target_field_find_option (ps_target_fields_find (fields, "field_8"), "Inactive"));
  records = ps_target_search_records_sync (target, NULL, NULL, EMU_CLASSIC_EMPLOYEES, NULL, NULL, &error);
  g_assert_no_error (error);
  r = g_ptr_array_index (records, 0);
  g_assert_cmpstr (ps_target_record_get (r, "field_8"), ==, "Active");
  g_assert_cmpstr (g_hash_table_lookup (r->option_ids, "field_8"), ==, "901");
}

static void
test_search_spelling (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", NULL);
  g_autoptr(PsTarget) target = ps_emu_classic (emu, 4, 400, 180);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;

  ps_emu_faults (emu, "{\"search_path\": \"objects/search\"}");
  records = ps_target_search_records_sync (target, NULL, NULL, EMU_CLASSIC_EMPLOYEES, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 5);
  g_assert_cmpuint (ps_emu_count_route (emu, "POST /v3/groups/{id}/objects/search"), ==, 1);
  g_clear_pointer (&records, g_ptr_array_unref);
  /* remembered: the next search goes straight to it */
  records = ps_target_search_records_sync (target, NULL, NULL, EMU_CLASSIC_EMPLOYEES, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ps_emu_count_route (emu, "POST /v3/groups/{id}/objects/search"), ==, 2);
}

static void
test_missing_totals (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", NULL);
  g_autoptr(PsTarget) target = ps_emu_classic (emu, 4, 400, 180);
  g_autoptr(GPtrArray) writes = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_write_free);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 195; i++)
    {
      g_autofree char *first = g_strdup_printf ("T%u", i);
      PsTargetWrite *w = ps_target_write_new_create (NULL, NULL);
      ps_target_write_set (w, "field_1", first);
      ps_target_write_set (w, "field_2", "Totals");
      g_ptr_array_add (writes, w);
    }
  g_assert_true (ps_target_write_records_sync (target, NULL, NULL, EMU_CLASSIC_EMPLOYEES, writes, NULL, &error));
  ps_emu_faults (emu, "{\"omit_totals\": true}");
  records = ps_target_search_records_sync (target, NULL, NULL, EMU_CLASSIC_EMPLOYEES, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 200);
  /* 100 + 100 + a short page of 0: three calls */
  g_assert_cmpuint (ps_emu_count_route (emu, "POST /v3/groups/{id}/search/objects"), ==, 3);
}

static void
test_pro_bare_lists (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", NULL);
  g_autoptr(PsTarget) target = ps_emu_pro (emu, 4, 400, 180);
  g_autoptr(GPtrArray) accounts = NULL;
  g_autoptr(GPtrArray) modules = NULL;
  g_autoptr(GPtrArray) collections = NULL;
  g_autoptr(GError) error = NULL;

  ps_emu_faults (emu, "{\"pro_bare_lists\": true}");
  accounts = ps_target_list_accounts_sync (target, NULL, &error);
  g_assert_no_error (error);
  modules = ps_target_list_modules_sync (target, EMU_PRO_ACCOUNT, NULL, &error);
  g_assert_no_error (error);
  collections = ps_target_list_collections_sync (target, EMU_PRO_ACCOUNT, EMU_PRO_MODULE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (accounts->len, ==, 1);
  g_assert_cmpuint (modules->len, >=, 1);
  g_assert_cmpuint (collections->len, >=, 2);
}

static void
test_create_201 (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", NULL);
  g_autoptr(PsTarget) target = ps_emu_classic (emu, 4, 400, 180);
  g_autoptr(GHashTable) values = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;

  ps_emu_faults (emu, "{\"create_status\": 201}");
  g_hash_table_insert (values, (gpointer) "field_1", (gpointer) "Created");
  g_hash_table_insert (values, (gpointer) "field_2", (gpointer) "With201");
  id = ps_target_write_record_sync (target, NULL, NULL, EMU_CLASSIC_EMPLOYEES, NULL, values, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (id);
}

/* ---------------------------------------------------------------- cancel */

static gpointer
cancel_thread (gpointer data)
{
  g_usleep (300 * 1000);
  g_cancellable_cancel (data);
  return NULL;
}

static void
test_cancel (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", "--latency-ms", "200", NULL);
  g_autoptr(PsTarget) target = ps_emu_pro (emu, 2, 400, 180);
  g_autoptr(GPtrArray) ids = pro_ids (target, 40);
  g_autoptr(GPtrArray) fields = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GPtrArray) writes = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_write_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(GThread) thread = NULL;
  gint64 start;

  fields = ps_target_list_fields_sync (target, EMU_PRO_ACCOUNT, EMU_PRO_MODULE, EMU_PRO_EMPLOYEES, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < ids->len * 5; i++)
    {
      PsTargetWrite *w = ps_target_write_new_update (g_ptr_array_index (ids, i % ids->len));
      ps_target_write_set (w, EMU_PRO_EMPLOYEES "_4_title_text", "Cancelled");
      g_ptr_array_add (writes, w);
    }
  thread = g_thread_new ("cancel", cancel_thread, cancellable);
  start = g_get_monotonic_time ();
  g_assert_false (ps_target_write_records_sync (target, EMU_PRO_ACCOUNT, EMU_PRO_MODULE, EMU_PRO_EMPLOYEES,
                                                writes, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* 40 calls at 200 ms, 2 at once, would take 4 s */
  g_assert_cmpfloat (seconds_since (start), <, 1.5);
  /* the writes not done say so */
  g_assert_error (((PsTargetWrite *) g_ptr_array_index (writes, writes->len - 1))->error,
                  G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_thread_join (g_steal_pointer (&thread));
}

/* Many ids in a small collection: reading its pages beats one GET per id. */
static void
test_many_ids (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", NULL);
  g_autoptr(PsTarget) target = ps_emu_pro (emu, 4, 400, 180);
  g_autoptr(GPtrArray) ids = pro_ids (target, 5);
  g_autoptr(PsTargetQuery) query = ps_target_query_new ();
  g_autoptr(PsTargetQuery) few = ps_target_query_new ();
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 4; i++)
    ps_target_query_add_id (query, g_ptr_array_index (ids, i));
  records = ps_target_search_records_sync (target, EMU_PRO_ACCOUNT, EMU_PRO_MODULE, EMU_PRO_EMPLOYEES,
                                           query, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 4);
  g_assert_cmpuint (ps_emu_count_route (emu, "GET /collection-record/{id}"), ==, 0);
  g_clear_pointer (&records, g_ptr_array_unref);
  /* up to three ids: one GET each */
  ps_target_query_add_id (few, g_ptr_array_index (ids, 0));
  ps_target_query_add_id (few, "01HWQZZZZZZZZZZZZZZZZZZZZZ");   /* unknown: skipped */
  records = ps_target_search_records_sync (target, EMU_PRO_ACCOUNT, EMU_PRO_MODULE, EMU_PRO_EMPLOYEES,
                                           few, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 1);
  g_assert_cmpuint (ps_emu_count_route (emu, "GET /collection-record/{id}"), >=, 1);
}

int
main (int    argc,
      char **argv)
{
  ps_test_init (&argc, &argv);
  g_test_add_func ("/target/faults/429-retry-after-seconds", test_429_seconds);
  g_test_add_func ("/target/faults/429-retry-after-date", test_429_date);
  g_test_add_func ("/target/faults/pacing", test_pacing);
  g_test_add_func ("/target/faults/503-retry-after", test_503_retry_after);
  g_test_add_func ("/target/faults/503-gives-up", test_503_gives_up);
  g_test_add_func ("/target/faults/no-retry-on-500-400", test_no_retry);
  g_test_add_func ("/target/faults/dropped-get", test_dropped_get);
  g_test_add_func ("/target/faults/classic/create-dropped", test_create_dropped_classic);
  g_test_add_func ("/target/faults/pro/create-dropped", test_create_dropped_pro);
  g_test_add_func ("/target/faults/classic/create-answer-lost", test_create_answer_lost_classic);
  g_test_add_func ("/target/faults/pro/create-answer-lost", test_create_answer_lost_pro);
  g_test_add_data_func ("/target/faults/truncated-search-page", GINT_TO_POINTER (FALSE),
                        test_truncated_search_page);
  g_test_add_data_func ("/target/faults/search-page-connection-lost", GINT_TO_POINTER (TRUE),
                        test_truncated_search_page);
  g_test_add_func ("/target/faults/malformed-reads-retried", test_malformed_reads_retried);
  g_test_add_func ("/target/faults/truncated-token", test_truncated_token);
  g_test_add_func ("/target/faults/malformed-gives-up", test_malformed_gives_up);
  g_test_add_data_func ("/target/faults/classic/create-answer-truncated",
                        GINT_TO_POINTER (PS_DIALECT_CLASSIC), test_create_answer_truncated);
  g_test_add_data_func ("/target/faults/pro/create-answer-truncated",
                        GINT_TO_POINTER (PS_DIALECT_PRO), test_create_answer_truncated);
  g_test_add_func ("/target/faults/resent-keeps-body", test_resent_keeps_body);
  g_test_add_func ("/target/faults/ambiguous-batch-looked-up-at-once", test_ambiguous_batch_looked_up_at_once);
  g_test_add_func ("/target/faults/user-create-rounds", test_user_create_rounds);
  g_test_add_func ("/target/faults/token-expires-mid-batch", test_token_expires_mid_batch);
  g_test_add_func ("/target/faults/token-expires-between-retries", test_token_expires_between_retries);
  g_test_add_func ("/target/faults/web-page", test_web_page);
  g_test_add_func ("/target/faults/unreachable-refused", test_unreachable_refused);
  g_test_add_func ("/target/faults/unreachable-silent", test_unreachable_silent);
  g_test_add_func ("/target/faults/unreachable-no-connection", test_unreachable_no_connection);
  g_test_add_func ("/target/faults/empty-id", test_empty_id);
  g_test_add_data_func ("/target/faults/expired-token-401", "401", test_expired_token);
  g_test_add_data_func ("/target/liberal/expired-token-400", "400", test_expired_token);
  g_test_add_func ("/target/faults/token-refused-again", test_token_refused_again);
  g_test_add_func ("/target/faults/token-refreshed-before-expiry", test_token_refreshed_before_expiry);
  g_test_add_func ("/target/faults/wrong-password", test_wrong_password);
  g_test_add_func ("/target/faults/wrong-key", test_wrong_key);
  g_test_add_func ("/target/faults/cancel", test_cancel);
  g_test_add_func ("/target/faults/pro/many-ids-read-pages", test_many_ids);
  g_test_add_data_func ("/target/liberal/token-field-access_token", "access_token", test_token_field);
  g_test_add_data_func ("/target/liberal/token-field-token", "token", test_token_field);
  g_test_add_func ("/target/liberal/list-value-display_name", test_display_name);
  g_test_add_func ("/target/liberal/objects-search-spelling", test_search_spelling);
  g_test_add_func ("/target/liberal/missing-totals", test_missing_totals);
  g_test_add_func ("/target/liberal/pro-bare-lists", test_pro_bare_lists);
  g_test_add_func ("/target/liberal/create-201", test_create_201);
  return g_test_run ();
}
