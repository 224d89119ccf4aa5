/* bench-target.c — drives PsTarget for tests/bench/bench-target.sh
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bench-target URL classic|pro create|update|paced N CONCURRENCY RATE_CALLS RATE_WINDOW
 *
 *   create  N creates into Employees, one batch API call
 *   update  N creates (untimed), then N updates (timed)
 *   paced   N calls (Pro: the columns, then PUTs of 5 updates), paced at RATE_CALLS/RATE_WINDOW
 *
 * Prints one line of key=value figures for the timed part.
 */

#include <stdio.h>
#include <stdlib.h>

#include "ps-target.h"

#define PRO_ACCOUNT "01HWQGD1GHCAKJQ5NRFBFYH5K0"
#define PRO_MODULE  "01HWQJKCTVJVWAEKG252XHYN9C"
#define PRO_COLL    "01HWQZC22GGFDETG9M3M7S2ZR5"

static gboolean pro;

static const char *
key (const char *classic_key,
     const char *pro_suffix)
{
  static char buffer[4][128];
  static int n;

  if (!pro)
    return classic_key;
  n = (n + 1) % 4;
  g_snprintf (buffer[n], sizeof buffer[n], "%s_%s", PRO_COLL, pro_suffix);
  return buffer[n];
}

static GPtrArray *
make_creates (guint n,
              const char *tag)
{
  GPtrArray *writes = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_write_free);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *first = g_strdup_printf ("%s%05u", tag, i);
      g_autofree char *mail = g_strdup_printf ("%s%05u@bench.example.com", tag, i);
      PsTargetWrite *w = ps_target_write_new_create (NULL, NULL);

      ps_target_write_set (w, key ("field_1", "0_firstname_text"), first);
      ps_target_write_set (w, key ("field_2", "1_lastname_text"), "Bench");
      ps_target_write_set (w, key ("field_3", "2_email_text"), mail);
      ps_target_write_set (w, key ("field_8", "7_integrationstatusad_singleselect"), "Active");
      g_ptr_array_add (writes, w);
    }
  return writes;
}

static guint
count_failures (GPtrArray *writes)
{
  guint failed = 0;

  for (guint i = 0; i < writes->len; i++)
    {
      PsTargetWrite *w = g_ptr_array_index (writes, i);
      if (!w->done)
        {
          if (failed == 0 && w->error != NULL)
            g_printerr ("first failure: %s\n", w->error->message);
          failed++;
        }
    }
  return failed;
}

static PsTarget *
new_target (PsTargetConfig  *config,
            GError         **error)
{
  return ps_target_new (config, pro ? "aks-demo-secret-0001" : "ps-demo-secret",
                        pro ? NULL : "Panda-Admin-1", error);
}

/* Set-up is done: the script resets the emulator's counters, then says go. */
static gboolean
wait_for_go (void)
{
  char line[16];

  printf ("ready\n");
  fflush (stdout);
  return fgets (line, sizeof line, stdin) != NULL;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsTarget) target = NULL;
  g_autoptr(GPtrArray) writes = NULL;
  PsTargetConfig config = { 0 };
  PsTargetStats before, after;
  const char *mode;
  const char *account, *module, *coll;
  guint n, failed = 0, records = 0;
  gint64 start, end;

  if (argc != 8)
    {
      g_printerr ("usage: bench-target URL classic|pro create|update|paced N CONCURRENCY RATE_CALLS RATE_WINDOW\n");
      return 2;
    }
  pro = g_str_equal (argv[2], "pro");
  mode = argv[3];
  n = (guint) atoi (argv[4]);
  config.url = argv[1];
  config.dialect = pro ? PS_DIALECT_PRO : PS_DIALECT_CLASSIC;
  config.client_id = pro ? (char *) "AKID-DEMO-0001" : (char *) "ps-demo-client";
  config.email = (char *) "admin@example.com";
  config.concurrency = (guint) atoi (argv[5]);
  config.rate_calls = (guint) atoi (argv[6]);
  config.rate_window = (guint) atoi (argv[7]);
  target = new_target (&config, &error);
  if (target == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  account = pro ? PRO_ACCOUNT : NULL;
  module = pro ? PRO_MODULE : NULL;
  coll = pro ? PRO_COLL : "82677";

  /* Sign in and read the fields outside the timed part. */
  {
    g_autoptr(GPtrArray) fields = ps_target_list_fields_sync (target, account, module, coll, NULL, &error);
    if (fields == NULL)
      {
        g_printerr ("%s\n", error->message);
        return 1;
      }
  }

  if (g_str_equal (mode, "update"))
    {
      g_autoptr(GPtrArray) creates = make_creates (n, "U");

      if (!ps_target_write_records_sync (target, account, module, coll, creates, NULL, &error))
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      writes = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_write_free);
      for (guint i = 0; i < creates->len; i++)
        {
          PsTargetWrite *c = g_ptr_array_index (creates, i);
          PsTargetWrite *u = ps_target_write_new_update (c->new_id);

          ps_target_write_set (u, key ("field_4", "3_department_text"), "Benchmarking");
          ps_target_write_set (u, key ("field_8", "7_integrationstatusad_singleselect"), "Inactive");
          g_ptr_array_add (writes, u);
        }
      if (!wait_for_go ())
        return 1;
    }
  else if (g_str_equal (mode, "create"))
    {
      writes = make_creates (n, "C");
      if (!wait_for_go ())
        return 1;
    }

  ps_target_get_stats (target, &before);
  start = g_get_monotonic_time ();
  if (writes != NULL)
    {
      if (!ps_target_write_records_sync (target, account, module, coll, writes, NULL, &error))
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      failed = count_failures (writes);
      records = writes->len;
    }
  else
    {
      /* N calls in all: the columns, then N − 1 PUTs of 5 updates each of
       * the seeded records. */
      g_autoptr(PsTargetQuery) all = ps_target_query_new ();
      g_autoptr(GPtrArray) list = NULL;
      g_autoptr(GPtrArray) fields = NULL;
      g_autoptr(GPtrArray) updates = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_write_free);

      all->limit = 5;
      list = ps_target_search_records_sync (target, account, module, coll, all, NULL, &error);
      if (list == NULL)
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      /* A fresh target (and pacer) for the timed part, as the emulator's
       * windows are reset with its counters. */
      g_clear_object (&target);
      if (!wait_for_go ())
        return 1;
      target = new_target (&config, &error);
      ps_target_get_stats (target, &before);
      start = g_get_monotonic_time ();
      fields = ps_target_list_fields_sync (target, account, module, coll, NULL, &error);
      if (fields == NULL)
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      for (guint i = 0; i < (n - 1) * 5; i++)
        {
          PsTargetWrite *w = ps_target_write_new_update (((PsTargetRecord *) g_ptr_array_index (list, i % list->len))->id);
          ps_target_write_set (w, key ("field_5", "4_title_text"), "Paced");
          g_ptr_array_add (updates, w);
        }
      if (!ps_target_write_records_sync (target, account, module, coll, updates, NULL, &error))
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      failed = count_failures (updates);
      records = updates->len;
    }
  end = g_get_monotonic_time ();
  ps_target_get_stats (target, &after);
  printf ("records=%u failed=%u requests=%" G_GUINT64_FORMAT " retries=%" G_GUINT64_FORMAT
          " rate_limited=%" G_GUINT64_FORMAT " wall=%.3f\n",
          records, failed, after.requests - before.requests, after.retries - before.retries,
          after.rate_limited - before.rate_limited, (end - start) / 1e6);
  return failed == 0 ? 0 : 1;
}
