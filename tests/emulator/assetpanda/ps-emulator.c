/* ps-emulator.c — an Asset Panda emulator (Classic v3 and Pro) for tests,
 * benchmarks and the demo
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Listens on 127.0.0.1 only. The first line on stdout is "PORT=<n>". See
 * README.md for the options, the seed format and the /_admin/ API.
 */

#include <string.h>

#include "emu-private.h"

/* ---------------------------------------------------------------- helpers */

/* --rate-limit CALLS/SECONDS, or 0 for none. */
static gboolean
add_rate_limit (JsonObject *switches, const char *text, GError **error)
{
  g_auto(GStrv) parts = NULL;
  guint64 calls;
  guint64 seconds;

  if (text == NULL)
    return TRUE;
  if (g_str_equal (text, "0"))
    {
      json_object_set_int_member (switches, "rate_limit_calls", 0);
      return TRUE;
    }
  parts = g_strsplit (text, "/", 2);
  if (g_strv_length (parts) != 2 ||
      !g_ascii_string_to_unsigned (parts[0], 10, 1, G_MAXUINT, &calls, NULL) ||
      !g_ascii_string_to_unsigned (parts[1], 10, 1, G_MAXUINT, &seconds, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--rate-limit takes CALLS/SECONDS (e.g. 400/180) or 0");
      return FALSE;
    }
  json_object_set_int_member (switches, "rate_limit_calls", calls);
  json_object_set_int_member (switches, "rate_limit_window", seconds);
  return TRUE;
}

/* ---------------------------------------------------------------- main */

int
main (int argc, char **argv)
{
  g_autofree char *seed_path = NULL;
  g_autofree char *save_path = NULL;
  g_autofree char *rate_limit = NULL;
  g_autofree char *token_lifetime = NULL;
  g_autofree char *error_rate = NULL;
  g_autofree char *error_retry_after = NULL;
  g_autofree char *drop_rate = NULL;
  g_autofree char *malformed_rate = NULL;
  g_autofree char *truncate_rate = NULL;
  g_autofree char *throttle_rate = NULL;
  g_autofree char *html_rate = NULL;
  g_autofree char *slow_rate = NULL;
  g_autofree char *slow_ms = NULL;
  g_autofree char *auth_error_status = NULL;
  gint64 max_body = 8 * 1024 * 1024;
  GOptionEntry entries[] = {
    { "seed", 's', 0, G_OPTION_ARG_FILENAME, &seed_path, "Tenant seed (JSON)", "FILE" },
    { "save", 0, 0, G_OPTION_ARG_FILENAME, &save_path, "Write the state here on exit and on POST /_admin/save", "FILE" },
    { "rate-limit", 0, 0, G_OPTION_ARG_STRING, &rate_limit, "Calls per window per client (default 400/180; 0 = off)", "CALLS/SECONDS" },
    { "token-lifetime", 0, 0, G_OPTION_ARG_STRING, &token_lifetime, "Classic token lifetime (default 3600)", "SECONDS" },
    { "error-rate", 0, 0, G_OPTION_ARG_STRING, &error_rate, "Fraction of calls answered 502/503/504", "0..1" },
    { "error-retry-after", 0, 0, G_OPTION_ARG_STRING, &error_retry_after, "Retry-After on those (-1 = none)", "SECONDS" },
    { "drop-rate", 0, 0, G_OPTION_ARG_STRING, &drop_rate, "Fraction of calls whose connection is closed unanswered", "0..1" },
    { "malformed-rate", 0, 0, G_OPTION_ARG_STRING, &malformed_rate, "Fraction of 2xx answers cut in half with garbage added", "0..1" },
    { "truncate-rate", 0, 0, G_OPTION_ARG_STRING, &truncate_rate, "Fraction of 2xx answers whose body is cut in half", "0..1" },
    { "throttle-rate", 0, 0, G_OPTION_ARG_STRING, &throttle_rate, "Fraction of calls answered 429 with Retry-After", "0..1" },
    { "html-rate", 0, 0, G_OPTION_ARG_STRING, &html_rate, "Fraction of calls answered 200 with a sign-in web page", "0..1" },
    { "slow-rate", 0, 0, G_OPTION_ARG_STRING, &slow_rate, "Fraction of calls delayed by --slow-ms more", "0..1" },
    { "slow-ms", 0, 0, G_OPTION_ARG_STRING, &slow_ms, "Extra delay of slow calls", "N" },
    { "auth-error-status", 0, 0, G_OPTION_ARG_STRING, &auth_error_status, "Status for a bad or expired token: 401 (default) or 400", "N" },
    { "max-body", 0, 0, G_OPTION_ARG_INT64, &max_body, "Largest request body; larger ones get 413 (default 8 MiB)", "BYTES" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— Asset Panda emulator for tests and demos");
  g_auto(EmuOptions) options = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(JsonObject) switches = json_object_new ();
  g_autoptr(GTlsCertificate) certificate = NULL;
  EmuState *state;
  EmuServer *server;

  emu_options_init (&options);
  g_option_context_add_main_entries (context, entries, NULL);
  emu_options_add (&options, context, FALSE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return emu_fail (2, "%s", error->message);
  if (max_body <= 0)
    return emu_fail (2, "bad --max-body");

  if (!add_rate_limit (switches, rate_limit, &error) ||
      !emu_option_number (switches, "token_lifetime", token_lifetime, &error) ||
      !emu_option_fraction (switches, "error_rate", error_rate, &error) ||
      !emu_option_number (switches, "error_retry_after", error_retry_after, &error) ||
      !emu_option_fraction (switches, "drop_rate", drop_rate, &error) ||
      !emu_option_fraction (switches, "malformed_rate", malformed_rate, &error) ||
      !emu_option_fraction (switches, "truncate_rate", truncate_rate, &error) ||
      !emu_option_fraction (switches, "throttle_rate", throttle_rate, &error) ||
      !emu_option_fraction (switches, "html_rate", html_rate, &error) ||
      !emu_option_fraction (switches, "slow_rate", slow_rate, &error) ||
      !emu_option_number (switches, "slow_ms", slow_ms, &error) ||
      !emu_option_number (switches, "auth_error_status", auth_error_status, &error))
    return emu_fail (2, "%s", error->message);
  if (!emu_options_apply (&options, switches, NULL, &error))
    return emu_fail (2, "%s", error->message);

  if (seed_path == NULL)
    seed_path = g_strdup (EMU_DEFAULT_SEED);
  if (!json_parser_load_from_file (parser, seed_path, &error))
    return emu_fail (1, "%s: %s", seed_path, error->message);
  state = emu_state_new_from_json (json_parser_get_root (parser), (guint32) options.random_seed, &error);
  if (state == NULL)
    return emu_fail (1, "%s: %s", seed_path, error->message);

  server = emu_server_new (state, json_parser_get_root (parser), (guint32) options.random_seed);
  emu_server_set_limits (server, max_body, options.call_log_max);
  if (!emu_server_apply_switches (server, switches, &error))
    {
      emu_server_free (server);
      return emu_fail (2, "%s", error->message);
    }
  emu_server_commit_switches (server);
  emu_server_set_save_path (server, save_path);

  certificate = emu_load_certificate (options.tls_cert, options.tls_key, &error);
  if (error != NULL || !emu_server_listen (server, options.port, certificate, &error))
    {
      emu_server_free (server);
      return emu_fail (1, "%s", error->message);
    }

  emu_announce (emu_server_port (server), certificate != NULL);

  emu_run_until_signal ();

  if (save_path != NULL && !emu_server_save (server, &error))
    emu_fail (1, "saving %s: %s", save_path, error->message);
  emu_server_free (server);
  return error != NULL ? 1 : 0;
}
