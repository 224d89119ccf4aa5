/* ps-emu.c — start the Asset Panda emulator for a test
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <libsoup/soup.h>

#include "ps-emu.h"

PsEmu *
ps_emu_start (const char *first_arg,
              ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  const char *emulator = g_getenv ("PS_EMULATOR");
  const char *seed = g_getenv ("PS_EMULATOR_SEED");
  PsEmu *emu = g_new0 (PsEmu, 1);
  va_list args;

  g_assert_nonnull (emulator);
  g_ptr_array_add (argv, (char *) emulator);
  g_ptr_array_add (argv, (char *) "--port");
  g_ptr_array_add (argv, (char *) "0");
  if (seed != NULL)
    {
      g_ptr_array_add (argv, (char *) "--seed");
      g_ptr_array_add (argv, (char *) seed);
    }
  va_start (args, first_arg);
  for (const char *a = first_arg; a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) a);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  emu->process = g_subprocess_newv ((const char *const *) argv->pdata,
                                    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                                    &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (emu->process));
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (out, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (line);
      if (g_str_has_prefix (line, "PORT="))
        {
          emu->port = (guint) g_ascii_strtoull (line + 5, NULL, 10);
          break;
        }
    }
  g_assert_cmpuint (emu->port, >, 0);
  emu->url = g_strdup_printf ("http://127.0.0.1:%u", emu->port);
  emu->admin = soup_session_new ();
  return emu;
}

void
ps_emu_stop (PsEmu *emu)
{
  if (emu == NULL)
    return;
  g_subprocess_send_signal (emu->process, SIGTERM);
  g_subprocess_wait (emu->process, NULL, NULL);
  g_object_unref (emu->process);
  g_object_unref (emu->admin);
  g_free (emu->url);
  g_free (emu);
}

static JsonNode *
admin (PsEmu      *emu,
       const char *method,
       const char *what,
       const char *json)
{
  g_autofree char *uri = g_strdup_printf ("%s/_admin/%s", emu->url, what);
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (json != NULL)
    {
      g_autoptr(GBytes) request = g_bytes_new (json, strlen (json));
      soup_message_set_request_body_from_bytes (msg, "application/json", request);
    }
  body = soup_session_send_and_read (emu->admin, msg, NULL, &error);
  g_assert_no_error (error);
  if (soup_message_get_status (msg) != 200)
    g_error ("admin %s %s: %u %.*s", method, what, soup_message_get_status (msg),
             (int) g_bytes_get_size (body), (const char *) g_bytes_get_data (body, NULL));
  if (!json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error))
    return json_node_new (JSON_NODE_NULL);
  return json_node_ref (json_parser_get_root (parser));
}

JsonNode *
ps_emu_admin_get (PsEmu      *emu,
                  const char *what)
{
  return admin (emu, "GET", what, NULL);
}

void
ps_emu_admin_post (PsEmu      *emu,
                   const char *what,
                   const char *json)
{
  g_autoptr(JsonNode) node = admin (emu, "POST", what, json != NULL ? json : "{}");
}

void
ps_emu_faults (PsEmu      *emu,
               const char *json)
{
  ps_emu_admin_post (emu, "faults", json);
}

gint64
ps_emu_stat (PsEmu      *emu,
             const char *member)
{
  g_autoptr(JsonNode) stats = ps_emu_admin_get (emu, "stats");

  return json_object_get_int_member_with_default (json_node_get_object (stats), member, -1);
}

guint
ps_emu_count_route (PsEmu      *emu,
                    const char *route)
{
  g_autoptr(JsonNode) stats = ps_emu_admin_get (emu, "stats");
  JsonObject *endpoints = json_object_get_object_member (json_node_get_object (stats), "endpoints");

  return (guint) json_object_get_int_member_with_default (endpoints, route, 0);
}

PsTarget *
ps_emu_target_full (PsEmu      *emu,
                    PsDialect   dialect,
                    const char *client_id,
                    const char *client_secret,
                    const char *email,
                    const char *password,
                    guint       concurrency,
                    guint       rate_calls,
                    guint       rate_window)
{
  g_autoptr(GError) error = NULL;
  PsTargetConfig config = { 0 };
  PsTarget *target;

  config.url = emu->url;
  config.dialect = dialect;
  config.client_id = (char *) client_id;
  config.email = (char *) email;
  config.concurrency = concurrency;
  config.rate_calls = rate_calls;
  config.rate_window = rate_window;
  target = ps_target_new (&config, client_secret, password, &error);
  g_assert_no_error (error);
  g_assert_nonnull (target);
  /* Short backoff so that fault tests stay fast; Retry-After still rules. */
  ps_target_set_backoff (target, 50, 400);
  return target;
}

PsTarget *
ps_emu_target_at (const char *url,
                  PsDialect   dialect)
{
  PsEmu fake = { 0 };

  fake.url = (char *) url;
  if (dialect == PS_DIALECT_CLASSIC)
    return ps_emu_target_full (&fake, dialect, EMU_CLASSIC_CLIENT, EMU_CLASSIC_SECRET,
                               EMU_CLASSIC_EMAIL, EMU_CLASSIC_PASSWORD, 2, 400, 180);
  return ps_emu_target_full (&fake, dialect, EMU_PRO_KEY, EMU_PRO_SECRET, NULL, NULL, 2, 400, 180);
}

PsTarget *
ps_emu_classic (PsEmu *emu,
                guint  concurrency,
                guint  rate_calls,
                guint  rate_window)
{
  return ps_emu_target_full (emu, PS_DIALECT_CLASSIC, EMU_CLASSIC_CLIENT, EMU_CLASSIC_SECRET,
                             EMU_CLASSIC_EMAIL, EMU_CLASSIC_PASSWORD, concurrency, rate_calls,
                             rate_window);
}

PsTarget *
ps_emu_pro (PsEmu *emu,
            guint  concurrency,
            guint  rate_calls,
            guint  rate_window)
{
  return ps_emu_target_full (emu, PS_DIALECT_PRO, EMU_PRO_KEY, EMU_PRO_SECRET, NULL, NULL,
                             concurrency, rate_calls, rate_window);
}
