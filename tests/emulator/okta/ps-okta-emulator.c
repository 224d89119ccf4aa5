/* ps-okta-emulator.c — an Okta Management API emulator for tests,
 * benchmarks and the demo
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Listens on 127.0.0.1 only. The first line on stdout is "PORT=<n>", the
 * second "URL=http(s)://127.0.0.1:<n>" (the first org; others answer under
 * URL/<org name>). See README.md for the options, the seed format, the
 * faults and the /_admin/ API.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib-unix.h>

#include "okta-private.h"

/* ---------------------------------------------------------------- helpers */

/* --rate-limit off | on | all=N | BUCKET=N (users, user, groups, group, logs, other) */
static gboolean
add_rate_limit (JsonObject *switches, const char *text, GError **error)
{
  static const char *const buckets[] = { "users", "user", "groups", "group", "logs", "other", "all", NULL };
  const char *eq = strchr (text, '=');
  g_autofree char *bucket = NULL;
  g_autofree char *name = NULL;
  char *end = NULL;
  gint64 value;

  if (g_str_equal (text, "off") || g_str_equal (text, "on"))
    {
      json_object_set_boolean_member (switches, "rate_limits", g_str_equal (text, "on"));
      return TRUE;
    }
  if (eq == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--rate-limit takes off, on or BUCKET=N (users, user, groups, group, logs, other, all)");
      return FALSE;
    }
  bucket = g_strndup (text, eq - text);
  value = g_ascii_strtoll (eq + 1, &end, 10);
  if (!g_strv_contains (buckets, bucket) || *end != '\0' || end == eq + 1 || value < 1 || value > G_MAXINT32)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--rate-limit takes off, on or BUCKET=N (users, user, groups, group, logs, other, all)");
      return FALSE;
    }
  name = g_strdup_printf ("limit_%s", bucket);
  json_object_set_int_member (switches, name, value);
  return TRUE;
}

/* ---------------------------------------------------------------- main */

int
main (int argc, char **argv)
{
  int port = 0;
  g_autofree char *listen = NULL;
  g_autofree char *tls_cert = NULL;
  g_autofree char *tls_key = NULL;
  g_autofree char *seed_path = NULL;
  g_autofree char *generate_group = NULL;
  g_autofree char *page_size = NULL;
  g_autofree char *latency = NULL;
  g_autofree char *rate_window = NULL;
  g_autofree char *token_share = NULL;
  g_autofree char *token_lifetime = NULL;
  g_autofree char *error_rate = NULL;
  g_autofree char *throttle_rate = NULL;
  g_auto(GStrv) rate_limits = NULL;
  g_auto(GStrv) switch_args = NULL;
  g_auto(GStrv) fault_args = NULL;
  gint64 random_seed = 1;
  gint64 throttle_reset = 1;
  int generate = 0;
  int call_log_max = 200000;
  GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "Port on 127.0.0.1; 0 picks a free one (default)", "N" },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &listen, "Address to listen on: 127.0.0.1 only", "ADDR" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert, "Serve HTTPS with this PEM certificate", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key, "Private key of --tls-cert", "FILE" },
    { "seed", 's', 0, G_OPTION_ARG_FILENAME, &seed_path, "Org seed (JSON)", "FILE" },
    { "generate", 0, 0, G_OPTION_ARG_INT, &generate, "Add N generated ACTIVE users in one group to the first org",
      "N" },
    { "generate-group", 0, 0, G_OPTION_ARG_STRING, &generate_group,
      "Name of that group (default \"Generated Users\")", "NAME" },
    { "page-size", 0, 0, G_OPTION_ARG_STRING, &page_size, "Cap on every page, limit included (0 = the API's own)",
      "N" },
    { "rate-limit", 0, 0, G_OPTION_ARG_STRING_ARRAY, &rate_limits,
      "off, on, or BUCKET=N per minute (users, user, groups, group, logs, other, all); repeatable", "SPEC" },
    { "rate-window", 0, 0, G_OPTION_ARG_STRING, &rate_window, "Seconds of a rate-limit window (default 60)", "S" },
    { "token-share", 0, 0, G_OPTION_ARG_STRING, &token_share,
      "Percent of each bucket one token or app gets (default 50)", "P" },
    { "token-lifetime", 0, 0, G_OPTION_ARG_STRING, &token_lifetime,
      "OAuth access token lifetime, expires_in (default 3600)", "SECONDS" },
    { "latency-ms", 0, 0, G_OPTION_ARG_STRING, &latency, "Delay every answer by N ms", "N" },
    { "random-seed", 0, 0, G_OPTION_ARG_INT64, &random_seed, "Seed of the fault dice and of new ids (default 1)", "N" },
    { "error-rate", 0, 0, G_OPTION_ARG_STRING, &error_rate, "Fraction of calls answered 503", "0..1" },
    { "throttle-rate", 0, 0, G_OPTION_ARG_STRING, &throttle_rate, "Fraction of calls answered 429 E0000047",
      "0..1" },
    { "throttle-reset", 0, 0, G_OPTION_ARG_INT64, &throttle_reset,
      "Seconds to X-Rate-Limit-Reset on --throttle-rate answers (default 1)", "SECONDS" },
    { "fault", 0, 0, G_OPTION_ARG_STRING_ARRAY, &fault_args, "A fault rule as JSON (repeatable)", "JSON" },
    { "switch", 0, 0, G_OPTION_ARG_STRING_ARRAY, &switch_args, "Any /_admin/faults switch (repeatable)", "NAME=VALUE" },
    { "call-log-max", 0, 0, G_OPTION_ARG_INT, &call_log_max, "Calls kept in the log (default 200000; 0 = all)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— Okta Management API emulator for tests and demos");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(JsonObject) switches = json_object_new ();
  g_autoptr(JsonArray) rules = json_array_new ();
  g_autoptr(GTlsCertificate) certificate = NULL;
  OktaServer *server;
  OktaState *state;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("ps-okta-emulator: %s\n", error->message);
      return 2;
    }
  if (!emu_listen_is_local (listen))
    {
      g_printerr ("ps-okta-emulator: --listen accepts 127.0.0.1 only\n");
      return 2;
    }
  if (port < 0 || port > 65535 || generate < 0 || call_log_max < 0)
    {
      g_printerr ("ps-okta-emulator: bad --port, --generate or --call-log-max\n");
      return 2;
    }

  if (!emu_option_number (switches, "page_size", page_size, &error) ||
      !emu_option_number (switches, "rate_window", rate_window, &error) ||
      !emu_option_number (switches, "token_share", token_share, &error) ||
      !emu_option_number (switches, "token_lifetime", token_lifetime, &error) ||
      !emu_option_number (switches, "latency_ms", latency, &error) ||
      !emu_option_rate_rule (rules, "error", "error-rate", error_rate, "reset", -1, &error) ||
      !emu_option_rate_rule (rules, "throttle", "throttle-rate", throttle_rate, "reset", throttle_reset,
                             &error))
    {
      g_printerr ("ps-okta-emulator: %s\n", error->message);
      return 2;
    }
  for (guint i = 0; rate_limits != NULL && rate_limits[i] != NULL; i++)
    if (!add_rate_limit (switches, rate_limits[i], &error))
      {
        g_printerr ("ps-okta-emulator: %s\n", error->message);
        return 2;
      }
  for (guint i = 0; fault_args != NULL && fault_args[i] != NULL; i++)
    if (!emu_option_fault (rules, fault_args[i], &error))
      {
        g_printerr ("ps-okta-emulator: %s\n", error->message);
        return 2;
      }
  for (guint i = 0; switch_args != NULL && switch_args[i] != NULL; i++)
    if (!emu_option_switch (switches, switch_args[i], &error))
      {
        g_printerr ("ps-okta-emulator: %s\n", error->message);
        return 2;
      }
  if (json_array_get_length (rules) > 0)
    json_object_set_array_member (switches, "add_rules", json_array_ref (rules));

  if (seed_path == NULL)
    seed_path = g_strdup (OKTA_DEFAULT_SEED);
  if (!json_parser_load_from_file (parser, seed_path, &error))
    {
      g_printerr ("ps-okta-emulator: %s: %s\n", seed_path, error->message);
      return 1;
    }
  state = okta_state_new (json_parser_get_root (parser), (guint32) random_seed, generate, generate_group,
                          g_get_real_time () / 1000, &error);
  if (state == NULL)
    {
      g_printerr ("ps-okta-emulator: %s: %s\n", seed_path, error->message);
      return 1;
    }

  server = okta_server_new (state, json_parser_get_root (parser), (guint32) random_seed, generate, generate_group);
  server->call_log_max = call_log_max;
  if (!okta_server_apply_switches (server, switches, &error))
    {
      g_printerr ("ps-okta-emulator: %s\n", error->message);
      okta_server_free (server);
      return 2;
    }
  okta_server_commit_switches (server);

  certificate = emu_load_certificate (tls_cert, tls_key, &error);
  if (error != NULL || !okta_server_listen (server, port, certificate, &error))
    {
      g_printerr ("ps-okta-emulator: %s\n", error->message);
      okta_server_free (server);
      return 1;
    }

  emu_announce (okta_server_port (server), certificate != NULL);

  emu_run_until_signal ();

  okta_server_free (server);
  return 0;
}
