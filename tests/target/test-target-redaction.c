/* test-target-redaction.c — no secret ever reaches a log line or an error (S1)
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs the client with every debug message on (including SoupLogger's
 * headers and bodies) and captures all of it with a log writer; then looks
 * for the password, the client secret, the Pro key secret, a wrong password,
 * a generated user password and bearer tokens, also base64- and URL-encoded.
 */

#include <string.h>

#include "ps-test.h"
#include "ps-emu.h"

#define WRONG_PASSWORD "Wrong+Sentinel/Pass=77"
#define JWT_HEADER     "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"

static GMutex captured_lock;
static GString *captured;
static guint n_messages;

static GLogWriterOutput
capture_writer (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  g_mutex_lock (&captured_lock);
  for (gsize i = 0; i < n_fields; i++)
    {
      if (fields[i].length < 0)
        g_string_append (captured, fields[i].value);
      else
        g_string_append_len (captured, fields[i].value, fields[i].length);
      g_string_append_c (captured, ' ');
    }
  g_string_append_c (captured, '\n');
  n_messages++;
  g_mutex_unlock (&captured_lock);
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    return g_log_writer_default (level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

static void
keep (GError *error)
{
  /* Error messages are output too: capture them like log lines. */
  if (error != NULL)
    {
      g_mutex_lock (&captured_lock);
      g_string_append_printf (captured, "ERROR %s\n", error->message);
      g_mutex_unlock (&captured_lock);
      g_error_free (error);
    }
}

static void
assert_absent (const char *secret)
{
  g_autofree char *b64 = g_base64_encode ((const guchar *) secret, strlen (secret));
  g_autofree char *escaped = g_uri_escape_string (secret, NULL, FALSE);
  const char *found = NULL;

  g_mutex_lock (&captured_lock);
  if (strstr (captured->str, secret) != NULL)
    found = "as is";
  else if (strstr (captured->str, b64) != NULL)
    found = "base64-encoded";
  else if (strstr (captured->str, escaped) != NULL)
    found = "URL-encoded";
  g_mutex_unlock (&captured_lock);
  if (found != NULL)
    g_error ("a secret is in the log (%s): %.4s…", found, secret);
}

static char *
user_password (PsEmu      *emu,
               const char *email)
{
  g_autoptr(JsonNode) state = ps_emu_admin_get (emu, "state");
  JsonArray *users = json_object_get_array_member (
    json_object_get_object_member (json_node_get_object (state), "classic"), "users");

  for (guint i = 0; i < json_array_get_length (users); i++)
    {
      JsonObject *u = json_array_get_object_element (users, i);
      if (g_strcmp0 (json_object_get_string_member_with_default (u, "email", ""), email) == 0)
        return g_strdup (json_object_get_string_member_with_default (u, "password", NULL));
    }
  return NULL;
}

static void
test_redaction (void)
{
  g_autoptr(PsEmu) emu = ps_emu_start ("--rate-limit", "0", NULL);
  g_autoptr(PsTarget) classic = NULL;
  g_autoptr(PsTarget) pro = NULL;
  g_autoptr(PsTarget) wrong = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GPtrArray) writes = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_write_free);
  g_autoptr(PsTargetUser) user = NULL;
  g_autoptr(GPtrArray) steps = NULL;
  g_autofree char *generated = NULL;
  GError *error = NULL;
  PsTargetUserSpec spec = { 0 };
  PsTargetWrite *w;

  classic = ps_emu_classic (emu, 4, 400, 180);
  list = ps_target_list_collections_sync (classic, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&list, g_ptr_array_unref);
  w = ps_target_write_new_create ("integ_ad_sid", "S-1-5-21-9-9");
  ps_target_write_set (w, "field_1", "Red");
  ps_target_write_set (w, "field_2", "Acted");
  g_ptr_array_add (writes, w);
  g_assert_true (ps_target_write_records_sync (classic, NULL, NULL, EMU_CLASSIC_EMPLOYEES, writes, NULL, &error));
  spec.email = (char *) "redacted.user@example.com";
  spec.first_name = (char *) "Red";
  spec.last_name = (char *) "Acted";
  user = ps_target_create_user_sync (classic, NULL, NULL, &spec, NULL, &error);
  g_assert_no_error (error);
  /* an expired token: sign in again */
  ps_emu_faults (emu, "{\"expire_tokens\": true}");
  list = ps_target_list_users_sync (classic, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&list, g_ptr_array_unref);
  steps = ps_target_test_connection_sync (classic, NULL);
  g_clear_pointer (&steps, g_ptr_array_unref);

  /* failures carry messages: they must be clean too */
  wrong = ps_emu_target_full (emu, PS_DIALECT_CLASSIC, EMU_CLASSIC_CLIENT, EMU_CLASSIC_SECRET,
                              EMU_CLASSIC_EMAIL, WRONG_PASSWORD, 4, 400, 180);
  list = ps_target_list_accounts_sync (wrong, NULL, &error);
  g_assert_null (list);
  keep (g_steal_pointer (&error));
  steps = ps_target_test_connection_sync (wrong, NULL);
  for (guint i = 0; i < steps->len; i++)
    {
      PsConnectionStep *s = g_ptr_array_index (steps, i);
      if (s->message != NULL)
        keep (g_error_new_literal (PS_TARGET_ERROR, 0, s->message));
    }
  g_clear_pointer (&steps, g_ptr_array_unref);

  pro = ps_emu_pro (emu, 4, 400, 180);
  list = ps_target_list_accounts_sync (pro, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&list, g_ptr_array_unref);
  {
    g_autoptr(PsTarget) bad_key = ps_emu_target_full (emu, PS_DIALECT_PRO, EMU_PRO_KEY, WRONG_PASSWORD "-pro",
                                                      NULL, NULL, 4, 400, 180);
    list = ps_target_list_accounts_sync (bad_key, NULL, &error);
    keep (g_steal_pointer (&error));
  }

  generated = user_password (emu, spec.email);
  g_assert_nonnull (generated);

  /* The capture did see the traffic… */
  g_assert_cmpuint (n_messages, >, 50);
  g_assert_nonnull (strstr (captured->str, "HTTP > POST /v3/session/token"));
  g_assert_nonnull (strstr (captured->str, "HTTP > POST /v3/users"));
  g_assert_nonnull (strstr (captured->str, "Authorization: [redacted]"));
  g_assert_nonnull (strstr (captured->str, "Access-Key-Secret: [redacted]"));
  g_assert_nonnull (strstr (captured->str, "redacted.user@example.com"));   /* bodies are logged */
  /* …and none of the secrets. */
  assert_absent (EMU_CLASSIC_PASSWORD);
  assert_absent (EMU_CLASSIC_SECRET);
  assert_absent (EMU_PRO_SECRET);
  assert_absent (WRONG_PASSWORD);
  assert_absent (WRONG_PASSWORD "-pro");
  assert_absent (generated);
  assert_absent (JWT_HEADER);
  g_assert_null (strstr (captured->str, "Bearer "));
}

int
main (int    argc,
      char **argv)
{
  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  g_setenv ("PANDASYNC_HTTP_DEBUG", "body", TRUE);
  captured = g_string_new (NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);
  ps_test_init (&argc, &argv);
  /* g_test_init prints messages itself; send them to the writer instead. */
  g_log_set_default_handler (g_log_default_handler, NULL);
  g_test_add_func ("/target/redaction", test_redaction);
  return g_test_run ();
}
