/* ps-cli-sync.c — pandasync-cli sync | history | report
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <stdio.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "ps-cli.h"
#include "ps-engine.h"
#include "ps-report.h"
#include "ps-state.h"

/* ---------------------------------------------------------------- helpers */

static void
on_event_cb (const PsSyncEvent *event,
             gpointer           user_data)
{
  PsCliContext *ctx = user_data;
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (event->time_us / G_USEC_PER_SEC);
  g_autofree char *stamp = g_date_time_format (when, "%H:%M:%S");

  if (event->kind == PS_SYNC_EVENT_PROGRESS)
    {
      if (!ctx->json && (event->done == event->total || event->done % 500 == 0))
        g_printerr ("%s [progress] %s: %u/%u\n", stamp, event->mapping, event->done, event->total);
      return;
    }
  if (event->kind != PS_SYNC_EVENT_LOG)
    return;
  if (event->level == PS_LOG_DEBUG && !ctx->verbose)
    return;
  /* Log lines go to stderr so that --json output stays clean. */
  g_printerr ("%s [%s] %s%s%s\n", stamp, ps_log_level_to_string (event->level),
              event->mapping != NULL ? event->mapping : "",
              event->mapping != NULL ? ": " : "", event->message);
}

static gboolean
on_signal_cb (gpointer user_data)
{
  GCancellable *cancellable = user_data;

  g_printerr ("%s\n", _("Stopping after the current step…"));
  g_cancellable_cancel (cancellable);
  return G_SOURCE_CONTINUE;
}

static PsPlan *
load_plan_file (const char  *path,
                GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_file (parser, path, error))
    {
      g_prefix_error (error, _("Cannot read the plan %s: "), path);
      return NULL;
    }
  return ps_plan_from_json (json_parser_get_root (parser), error);
}

static void
print_summary (PsCliContext *ctx,
               PsSyncResult *result)
{
  if (ctx->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "run");
      json_builder_add_int_value (b, result->run_id);
      json_builder_set_member_name (b, "status");
      json_builder_add_string_value (b, ps_run_status_to_string (result->status));
      json_builder_set_member_name (b, "mappings");
      json_builder_begin_array (b);
      for (guint i = 0; i < result->mappings->len; i++)
        {
          PsMappingResult *r = g_ptr_array_index (result->mappings, i);
          const struct { const char *name; guint value; } counts[] = {
            { "created", r->created }, { "updated", r->updated },
            { "deactivated", r->deactivated }, { "reactivated", r->reactivated },
            { "skipped", r->skipped }, { "failed", r->failed }, { "linked", r->linked },
          };

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, r->name);
          json_builder_set_member_name (b, "status");
          json_builder_add_string_value (b, r->status);
          json_builder_set_member_name (b, "message");
          if (r->message != NULL)
            json_builder_add_string_value (b, r->message);
          else
            json_builder_add_null_value (b);
          for (guint k = 0; k < G_N_ELEMENTS (counts); k++)
            {
              json_builder_set_member_name (b, counts[k].name);
              json_builder_add_int_value (b, counts[k].value);
            }
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      /* The plan itself can be 100 MB for 100k people: it goes to
       * --plan-out, not into this summary. */
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      ps_cli_print_json (root);
      return;
    }

  g_print ("\n%-24s %-10s %8s %8s %8s %8s %8s %8s\n", _("Mapping"), _("Status"), _("Created"),
           _("Updated"), _("Deact."), _("React."), _("Skipped"), _("Failed"));
  for (guint i = 0; i < result->mappings->len; i++)
    {
      PsMappingResult *r = g_ptr_array_index (result->mappings, i);

      g_print ("%-24s %-10s %8u %8u %8u %8u %8u %8u\n", r->name, r->status, r->created,
               r->updated, r->deactivated, r->reactivated, r->skipped, r->failed);
      if (r->message != NULL)
        g_print ("  %s\n", r->message);
    }
  g_print (_("\nRun %lld: %s\n"), (long long) result->run_id,
           ps_run_status_to_string (result->status));
}

/* ---------------------------------------------------------------- sync */

static void
on_run_finished_cb (GObject      *source,
                    GAsyncResult *res,
                    gpointer      user_data)
{
  GTask *task = user_data;   /* a plain holder for the outcome */
  g_autoptr(GError) error = NULL;
  PsSyncResult *result = ps_engine_run_finish (PS_ENGINE (source), res, &error);

  if (result == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, result, (GDestroyNotify) ps_sync_result_free);
}

/* Runs the engine in its worker thread while this thread's main loop
 * delivers its events and watches SIGINT/SIGTERM, so Ctrl+C cancels cleanly. */
static PsSyncResult *
run_with_signals (PsEngine       *engine,
                  PsSyncOptions  *options,
                  GCancellable   *cancellable,
                  GError        **error)
{
  g_autoptr(GTask) holder = g_task_new (NULL, NULL, NULL, NULL);

  ps_engine_run_async (engine, options, cancellable, on_run_finished_cb, holder);
  while (!g_task_get_completed (holder))
    g_main_context_iteration (NULL, TRUE);
  return g_task_propagate_pointer (holder, error);
}

int
ps_cli_sync (PsCliContext  *ctx,
             int            argc,
             char         **argv)
{
  gboolean dry_run = FALSE, full = FALSE, allow = FALSE;
  g_autofree char *mapping = NULL;
  g_autofree char *plan_out = NULL;
  g_autofree char *apply_plan = NULL;
  g_autofree char *trigger = NULL;
  const GOptionEntry entries[] = {
    { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run,
      N_("Plan only: show what would change, write nothing"), NULL },
    { "mapping", 'm', 0, G_OPTION_ARG_STRING, &mapping,
      N_("Sync only the mapping NAME"), N_("NAME") },
    { "full", 0, 0, G_OPTION_ARG_NONE, &full,
      N_("Read everything, not only what changed"), NULL },
    { "allow-deactivations", 0, 0, G_OPTION_ARG_NONE, &allow,
      N_("Release the deactivation limit for this run"), NULL },
    { "plan-out", 0, 0, G_OPTION_ARG_FILENAME, &plan_out,
      N_("Write the plan to FILE (.json or .csv)"), N_("FILE") },
    { "apply-plan", 0, 0, G_OPTION_ARG_FILENAME, &apply_plan,
      N_("Apply a plan written by --dry-run --plan-out, if the data has not changed since"), N_("FILE") },
    { "trigger", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &trigger, NULL, NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    ps_cli_option_context_new (ctx, NULL,
                               _("Sync the profile: users first, then collections. Exits with 1 "
                                 "when anything failed or a mapping paused."), entries);
  g_autoptr(GError) error = NULL;
  g_autoptr(PsProfile) profile = NULL;
  g_autoptr(PsEngine) engine = NULL;
  g_autoptr(PsSyncResult) result = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  PsSyncOptions options = { 0 };
  guint sigint, sigterm;

  if (!ps_cli_parse (ctx, context, &argc, &argv))
    return PS_CLI_EXIT_USAGE;
  if (argc > 1)
    return ps_cli_usage (ctx, _("unexpected argument “%s”"), argv[1]);
  profile = ps_cli_load_profile (ctx, &error);
  if (profile == NULL)
    return ps_cli_fail (ctx, error);

  options.dry_run = dry_run;
  options.only_mapping = mapping;
  options.allow_deactivations = allow;
  options.trigger = trigger != NULL ? trigger : (char *) "cli";
  options.full = full;
  if (apply_plan != NULL)
    {
      options.expected_plan = load_plan_file (apply_plan, &error);
      if (options.expected_plan == NULL)
        return ps_cli_fail (ctx, error);
    }

  engine = ps_engine_new (profile);
  ps_engine_set_event_func (engine, on_event_cb, ctx, NULL);
  sigint = g_unix_signal_add (SIGINT, on_signal_cb, cancellable);
  sigterm = g_unix_signal_add (SIGTERM, on_signal_cb, cancellable);
  result = run_with_signals (engine, &options, cancellable, &error);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_clear_pointer (&options.expected_plan, ps_plan_free);

  if (result == NULL)
    return ps_cli_fail (ctx, error);
  if (plan_out != NULL && !ps_plan_write (result->plan, plan_out, &error))
    {
      g_prefix_error (&error, _("Cannot write the plan to %s: "), plan_out);
      return ps_cli_fail (ctx, error);
    }
  print_summary (ctx, result);
  return result->status == PS_RUN_SUCCEEDED ? PS_CLI_EXIT_OK : PS_CLI_EXIT_FAILURE;
}

/* ---------------------------------------------------------------- history */

typedef struct {
  PsCliContext *ctx;
  JsonBuilder  *builder;
} RowContext;

/* @text padded to @width characters (not bytes: names are often not ASCII). */
static char *
pad_utf8 (const char *text,
          guint       width)
{
  GString *out = g_string_new (text != NULL ? text : "");
  glong chars = g_utf8_strlen (out->str, -1);

  while (chars++ < (glong) width)
    g_string_append_c (out, ' ');
  return g_string_free (out, FALSE);
}

/* "3 fields changed" from the history's JSON list of changes. */
static char *
count_changes (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  guint n;

  if (json == NULL || !json_parser_load_from_data (parser, json, -1, NULL)
      || !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    return NULL;
  n = json_array_get_length (json_node_get_array (json_parser_get_root (parser)));
  return g_strdup_printf (ngettext ("%u field written", "%u fields written", n), n);
}

static void
on_action_row_cb (const char *const *row,
                  gpointer           user_data)
{
  RowContext *rc = user_data;
  const char *names[] = { "mapping", "action", "anchor", "target_id", "name", "changes", "detail" };

  if (rc->builder != NULL)
    {
      json_builder_begin_object (rc->builder);
      for (guint i = 0; i < G_N_ELEMENTS (names); i++)
        {
          json_builder_set_member_name (rc->builder, names[i]);
          if (row[i] != NULL)
            json_builder_add_string_value (rc->builder, row[i]);
          else
            json_builder_add_null_value (rc->builder);
        }
      json_builder_end_object (rc->builder);
    }
  else
    {
      g_autofree char *mapping = pad_utf8 (row[0], 16);
      g_autofree char *action = pad_utf8 (row[1], 11);
      g_autofree char *name = pad_utf8 (row[4] != NULL ? row[4] : row[2], 32);
      g_autofree char *what = row[6] != NULL ? g_strdup (row[6]) : count_changes (row[5]);

      g_print ("%s %s %s %s\n", mapping, action, name, what != NULL ? what : "");
    }
}

static char *
format_time (gint64 unix_time)
{
  g_autoptr(GDateTime) dt = NULL;

  if (unix_time <= 0)
    return g_strdup ("—");
  dt = g_date_time_new_from_unix_local (unix_time);
  return g_date_time_format (dt, "%Y-%m-%d %H:%M:%S");
}

int
ps_cli_history (PsCliContext  *ctx,
                int            argc,
                char         **argv)
{
  gint64 run_id = 0;
  gboolean csv = FALSE;
  int limit = 20;
  const GOptionEntry entries[] = {
    { "run", 'r', 0, G_OPTION_ARG_INT64, &run_id, N_("Show the actions of run ID"), N_("ID") },
    { "csv", 0, 0, G_OPTION_ARG_NONE, &csv, N_("Print the actions as CSV"), NULL },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("Show at most N runs (default 20)"), N_("N") },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    ps_cli_option_context_new (ctx, NULL, _("Past runs, and what each did."), entries);
  g_autoptr(GError) error = NULL;
  g_autoptr(PsProfile) profile = NULL;
  g_autoptr(PsState) state = NULL;
  g_autofree char *path = NULL;

  if (!ps_cli_parse (ctx, context, &argc, &argv))
    return PS_CLI_EXIT_USAGE;
  profile = ps_cli_load_profile (ctx, &error);
  if (profile == NULL)
    return ps_cli_fail (ctx, error);
  path = ps_profile_dup_state_path (profile);
  state = ps_state_open (path, &error);
  if (state == NULL)
    return ps_cli_fail (ctx, error);

  if (run_id > 0)
    {
      g_autoptr(PsRunInfo) info = ps_state_get_run (state, run_id, &error);
      g_autoptr(JsonBuilder) b = ctx->json ? json_builder_new () : NULL;
      RowContext rc = { ctx, b };

      if (info == NULL)
        return ps_cli_fail (ctx, error);
      if (csv)
        {
          /* The same CSV as History's export: names, email, anchor, run and time. */
          g_autofree char *text = ps_report_run_to_csv (state, run_id, NULL, &error);

          if (text == NULL)
            return ps_cli_fail (ctx, error);
          fputs (text, stdout);
          return PS_CLI_EXIT_OK;
        }
      else if (b != NULL)
        json_builder_begin_array (b);
      else
        {
          g_autofree char *start = format_time (info->started_at);
          g_print (_("Run %lld (%s, %s%s): %s\n\n"), (long long) info->id, start, info->trigger,
                   info->dry_run ? _(", preview") : "", ps_run_status_to_string (info->status));
        }
      if (!ps_state_foreach_action (state, run_id, on_action_row_cb, &rc, &error))
        return ps_cli_fail (ctx, error);
      if (b != NULL)
        {
          g_autoptr(JsonNode) root = NULL;
          json_builder_end_array (b);
          root = json_builder_get_root (b);
          ps_cli_print_json (root);
        }
      return PS_CLI_EXIT_OK;
    }

  {
    g_autoptr(GPtrArray) runs = ps_state_list_runs (state, MAX (limit, 1), &error);
    g_autoptr(JsonBuilder) b = ctx->json ? json_builder_new () : NULL;

    if (runs == NULL)
      return ps_cli_fail (ctx, error);
    if (b != NULL)
      json_builder_begin_array (b);
    else if (runs->len == 0)
      g_print ("%s\n", _("No runs yet."));
    else
      g_print ("%6s  %-19s %9s  %-9s %-11s %7s %7s %7s %7s %7s\n", _("Run"), _("Started"),
               _("Duration"), _("Trigger"), _("Status"), _("Created"), _("Updated"), _("Deact."),
               _("Skipped"), _("Failed"));
    for (guint i = 0; i < runs->len; i++)
      {
        PsRunInfo *r = g_ptr_array_index (runs, i);
        g_autofree char *start = format_time (r->started_at);
        gint64 secs = r->finished_at > 0 ? r->finished_at - r->started_at : -1;

        if (b != NULL)
          {
            json_builder_begin_object (b);
            json_builder_set_member_name (b, "run");
            json_builder_add_int_value (b, r->id);
            json_builder_set_member_name (b, "started_at");
            json_builder_add_int_value (b, r->started_at);
            json_builder_set_member_name (b, "finished_at");
            json_builder_add_int_value (b, r->finished_at);
            json_builder_set_member_name (b, "trigger");
            json_builder_add_string_value (b, r->trigger);
            json_builder_set_member_name (b, "dry_run");
            json_builder_add_boolean_value (b, r->dry_run);
            json_builder_set_member_name (b, "status");
            json_builder_add_string_value (b, ps_run_status_to_string (r->status));
            json_builder_set_member_name (b, "created");
            json_builder_add_int_value (b, r->created);
            json_builder_set_member_name (b, "updated");
            json_builder_add_int_value (b, r->updated);
            json_builder_set_member_name (b, "deactivated");
            json_builder_add_int_value (b, r->deactivated);
            json_builder_set_member_name (b, "reactivated");
            json_builder_add_int_value (b, r->reactivated);
            json_builder_set_member_name (b, "skipped");
            json_builder_add_int_value (b, r->skipped);
            json_builder_set_member_name (b, "failed");
            json_builder_add_int_value (b, r->failed);
            json_builder_end_object (b);
          }
        else
          {
            g_autofree char *dur = secs >= 0 ? g_strdup_printf ("%" G_GINT64_FORMAT " s", secs)
                                             : g_strdup ("—");
            g_autofree char *status = g_strdup_printf ("%s%s", ps_run_status_to_string (r->status),
                                                       r->dry_run ? "*" : "");
            g_print ("%6" G_GINT64_FORMAT "  %-19s %9s  %-9s %-11s %7u %7u %7u %7u %7u\n", r->id,
                     start, dur, r->trigger, status, r->created, r->updated, r->deactivated,
                     r->skipped, r->failed);
          }
      }
    if (b != NULL)
      {
        g_autoptr(JsonNode) root = NULL;
        json_builder_end_array (b);
        root = json_builder_get_root (b);
        ps_cli_print_json (root);
      }
    else if (runs->len > 0)
      g_print ("%s\n", _("* a preview (dry run): nothing was written"));
  }
  return PS_CLI_EXIT_OK;
}

/* ---------------------------------------------------------------- report */

int
ps_cli_report (PsCliContext  *ctx,
               int            argc,
               char         **argv)
{
  gboolean csv = FALSE;
  const GOptionEntry entries[] = {
    { "csv", 0, 0, G_OPTION_ARG_NONE, &csv, N_("Print CSV"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    ps_cli_option_context_new (ctx, "leavers",
                               _("leavers: people marked Inactive who still hold assets in "
                                 "Asset Panda (records of other collections that link to them)."),
                               entries);
  g_autoptr(GError) error = NULL;
  g_autoptr(PsProfile) profile = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  if (!ps_cli_parse (ctx, context, &argc, &argv))
    return PS_CLI_EXIT_USAGE;
  if (argc != 2 || !g_str_equal (argv[1], "leavers"))
    return ps_cli_usage (ctx, _("name the report: leavers"));
  profile = ps_cli_load_profile (ctx, &error);
  if (profile == NULL)
    return ps_cli_fail (ctx, error);
  rows = ps_report_leavers_sync (profile, NULL, &error);
  if (rows == NULL)
    return ps_cli_fail (ctx, error);

  if (ctx->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_array (b);
      for (guint i = 0; i < rows->len; i++)
        {
          PsLeaverAsset *r = g_ptr_array_index (rows, i);
          const char *pairs[][2] = {
            { "mapping", r->mapping }, { "person_id", r->person_id }, { "person", r->person },
            { "email", r->email }, { "anchor", r->anchor }, { "collection", r->collection },
            { "asset_id", r->asset_id }, { "asset", r->asset }, { "field", r->field },
          };

          json_builder_begin_object (b);
          for (guint k = 0; k < G_N_ELEMENTS (pairs); k++)
            {
              json_builder_set_member_name (b, pairs[k][0]);
              json_builder_add_string_value (b, pairs[k][1] != NULL ? pairs[k][1] : "");
            }
          /* The run that marked them Inactive, when the history knows it. */
          json_builder_set_member_name (b, "run");
          json_builder_add_int_value (b, r->run_id);
          json_builder_set_member_name (b, "deactivated_at");
          json_builder_add_int_value (b, r->deactivated_at);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      root = json_builder_get_root (b);
      ps_cli_print_json (root);
      return PS_CLI_EXIT_OK;
    }
  if (csv)
    {
      g_autofree char *text = ps_report_leavers_to_csv (rows);

      fputs (text, stdout);
      return PS_CLI_EXIT_OK;
    }
  if (rows->len == 0)
    {
      g_print ("%s\n", _("No leaver holds an asset."));
      return PS_CLI_EXIT_OK;
    }
  g_print ("%-28s %-32s %-12s %s\n", _("Person"), _("Email"), _("Collection"), _("Asset"));
  for (guint i = 0; i < rows->len; i++)
    {
      PsLeaverAsset *r = g_ptr_array_index (rows, i);
      g_print ("%-28s %-32s %-12s %s (%s)\n", r->person, r->email, r->collection,
               r->asset != NULL ? r->asset : "", r->asset_id);
    }
  return PS_CLI_EXIT_OK;
}
