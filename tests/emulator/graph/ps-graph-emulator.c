/* ps-graph-emulator.c — a Microsoft Graph (Entra ID) emulator for tests,
 * benchmarks and the demo
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Listens on 127.0.0.1 only and serves both the token endpoint
 * (login_base) and Graph v1.0 (graph_base). The first line on stdout is
 * "PORT=<n>", the second "URL=http(s)://127.0.0.1:<n>". See README.md for
 * the options, the seed format, the faults and the /_admin/ API.
 */

#include <string.h>

#include "graph-private.h"

/* ---------------------------------------------------------------- helpers */

/* ---------------------------------------------------------------- main */

int
main (int argc, char **argv)
{
  g_autofree char *seed_path = NULL;
  g_autofree char *generate_group = NULL;
  g_autofree char *token_lifetime = NULL;
  g_autofree char *page_size = NULL;
  g_autofree char *delta_page_size = NULL;
  g_autofree char *ru_budget = NULL;
  g_autofree char *error_rate = NULL;
  g_autofree char *throttle_rate = NULL;
  gint64 throttle_retry_after = 1;
  int generate = 0;
  GOptionEntry entries[] = {
    { "seed", 's', 0, G_OPTION_ARG_FILENAME, &seed_path, "Tenant seed (JSON)", "FILE" },
    { "generate", 0, 0, G_OPTION_ARG_INT, &generate, "Add N generated users in one group to the first tenant", "N" },
    { "generate-group", 0, 0, G_OPTION_ARG_STRING, &generate_group,
      "Display name of that group (default \"Generated Users\")", "NAME" },
    { "token-lifetime", 0, 0, G_OPTION_ARG_STRING, &token_lifetime, "Access token lifetime, expires_in (default 3599)",
      "SECONDS" },
    { "page-size", 0, 0, G_OPTION_ARG_STRING, &page_size, "Cap on every page, $top included (1–999; default 999)", "N" },
    { "delta-page-size", 0, 0, G_OPTION_ARG_STRING, &delta_page_size, "Entries per delta page (default 100)", "N" },
    { "ru-budget", 0, 0, G_OPTION_ARG_STRING, &ru_budget, "Resource units per 10 s per app and tenant (0 = off)", "N" },
    { "error-rate", 0, 0, G_OPTION_ARG_STRING, &error_rate, "Fraction of calls answered 503", "0..1" },
    { "throttle-rate", 0, 0, G_OPTION_ARG_STRING, &throttle_rate, "Fraction of calls answered 429", "0..1" },
    { "throttle-retry-after", 0, 0, G_OPTION_ARG_INT64, &throttle_retry_after,
      "Retry-After of --throttle-rate answers (default 1; -1 = none)", "SECONDS" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— Microsoft Graph emulator for tests and demos");
  g_auto(EmuOptions) options = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(JsonObject) switches = json_object_new ();
  g_autoptr(JsonArray) rules = json_array_new ();
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autofree char *seed_dir = NULL;
  GraphServer *server;
  GraphState *state;

  emu_options_init (&options);
  g_option_context_add_main_entries (context, entries, NULL);
  emu_options_add (&options, context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return emu_fail (2, "%s", error->message);
  if (generate < 0)
    return emu_fail (2, "bad --generate");

  if (!emu_option_number (switches, "token_lifetime", token_lifetime, &error) ||
      !emu_option_number (switches, "page_size", page_size, &error) ||
      !emu_option_number (switches, "delta_page_size", delta_page_size, &error) ||
      !emu_option_number (switches, "ru_budget", ru_budget, &error) ||
      !emu_option_rate_rule (rules, "error", "error-rate", error_rate, "retry_after", -1, &error) ||
      !emu_option_rate_rule (rules, "throttle", "throttle-rate", throttle_rate, "retry_after",
                             throttle_retry_after, &error))
    return emu_fail (2, "%s", error->message);
  if (!emu_options_apply (&options, switches, rules, &error))
    return emu_fail (2, "%s", error->message);

  if (seed_path == NULL)
    seed_path = g_strdup (GRAPH_DEFAULT_SEED);
  if (!json_parser_load_from_file (parser, seed_path, &error))
    return emu_fail (1, "%s: %s", seed_path, error->message);
  seed_dir = g_path_get_dirname (seed_path);
  state = graph_state_new (json_parser_get_root (parser), seed_dir, (guint32) options.random_seed, generate,
                           generate_group, g_get_real_time (), &error);
  if (state == NULL)
    return emu_fail (1, "%s: %s", seed_path, error->message);

  server = graph_server_new (state, json_parser_get_root (parser), seed_dir, (guint32) options.random_seed, generate,
                             generate_group);
  graph_server_set_call_log_max (server, options.call_log_max);
  if (!graph_server_apply_switches (server, switches, &error))
    {
      graph_server_free (server);
      return emu_fail (2, "%s", error->message);
    }
  graph_server_commit_switches (server);

  certificate = emu_load_certificate (options.tls_cert, options.tls_key, &error);
  if (error != NULL || !graph_server_listen (server, options.port, certificate, &error))
    {
      graph_server_free (server);
      return emu_fail (1, "%s", error->message);
    }

  emu_announce (graph_server_port (server), certificate != NULL);

  emu_run_until_signal ();

  graph_server_free (server);
  return 0;
}
