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

#include <string.h>

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
  g_autofree char *seed_path = NULL;
  g_autofree char *generate_group = NULL;
  g_autofree char *page_size = NULL;
  g_autofree char *rate_window = NULL;
  g_autofree char *token_share = NULL;
  g_autofree char *token_lifetime = NULL;
  g_autofree char *error_rate = NULL;
  g_autofree char *throttle_rate = NULL;
  g_auto(GStrv) rate_limits = NULL;
  gint64 throttle_reset = 1;
  int generate = 0;
  GOptionEntry entries[] = {
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
    { "error-rate", 0, 0, G_OPTION_ARG_STRING, &error_rate, "Fraction of calls answered 503", "0..1" },
    { "throttle-rate", 0, 0, G_OPTION_ARG_STRING, &throttle_rate, "Fraction of calls answered 429 E0000047",
      "0..1" },
    { "throttle-reset", 0, 0, G_OPTION_ARG_INT64, &throttle_reset,
      "Seconds to X-Rate-Limit-Reset on --throttle-rate answers (default 1)", "SECONDS" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— Okta Management API emulator for tests and demos");
  g_auto(EmuOptions) options = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(JsonObject) switches = json_object_new ();
  g_autoptr(JsonArray) rules = json_array_new ();
  g_autoptr(GTlsCertificate) certificate = NULL;
  OktaServer *server;
  OktaState *state;

  emu_options_init (&options);
  g_option_context_add_main_entries (context, entries, NULL);
  emu_options_add (&options, context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return emu_fail (2, "%s", error->message);
  if (generate < 0)
    return emu_fail (2, "bad --generate");

  if (!emu_option_number (switches, "page_size", page_size, &error) ||
      !emu_option_number (switches, "rate_window", rate_window, &error) ||
      !emu_option_number (switches, "token_share", token_share, &error) ||
      !emu_option_number (switches, "token_lifetime", token_lifetime, &error) ||
      !emu_option_rate_rule (rules, "error", "error-rate", error_rate, "reset", -1, &error) ||
      !emu_option_rate_rule (rules, "throttle", "throttle-rate", throttle_rate, "reset", throttle_reset,
                             &error))
    return emu_fail (2, "%s", error->message);
  for (guint i = 0; rate_limits != NULL && rate_limits[i] != NULL; i++)
    if (!add_rate_limit (switches, rate_limits[i], &error))
      return emu_fail (2, "%s", error->message);
  if (!emu_options_apply (&options, switches, rules, &error))
    return emu_fail (2, "%s", error->message);

  if (seed_path == NULL)
    seed_path = g_strdup (OKTA_DEFAULT_SEED);
  if (!json_parser_load_from_file (parser, seed_path, &error))
    return emu_fail (1, "%s: %s", seed_path, error->message);
  state = okta_state_new (json_parser_get_root (parser), (guint32) options.random_seed, generate, generate_group,
                          g_get_real_time () / 1000, &error);
  if (state == NULL)
    return emu_fail (1, "%s: %s", seed_path, error->message);

  server = okta_server_new (state, json_parser_get_root (parser), (guint32) options.random_seed, generate, generate_group);
  server->call_log_max = options.call_log_max;
  if (!okta_server_apply_switches (server, switches, &error))
    {
      okta_server_free (server);
      return emu_fail (2, "%s", error->message);
    }
  okta_server_commit_switches (server);

  certificate = emu_load_certificate (options.tls_cert, options.tls_key, &error);
  if (error != NULL || !okta_server_listen (server, options.port, certificate, &error))
    {
      okta_server_free (server);
      return emu_fail (1, "%s", error->message);
    }

  emu_announce (okta_server_port (server), certificate != NULL);

  emu_run_until_signal ();

  okta_server_free (server);
  return 0;
}
