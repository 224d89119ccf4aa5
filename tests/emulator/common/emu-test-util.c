/* emu-test-util.c — what the three emulators' test programs share
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "emu-test-util.h"

/* ---------------------------------------------------------------- an emulator process */

/* The emulator goes when the test program goes, even on a failed
 * assertion, so that nothing holds the test's output open. */
static void
child_setup (gpointer data)
{
#ifdef __linux__
  prctl (PR_SET_PDEATHSIG, SIGTERM);
#endif
}

/* Starts the emulator that $@binary_variable names on a free port, with
 * --random-seed 7 and @extra, and waits for its PORT= and URL= lines. */
EmuProcess *
emu_process_start (const char *binary_variable, const char *const *extra, const char *ca_file, guint timeout_s)
{
  const char *binary = g_getenv (binary_variable);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_autofree char *url = NULL;
  EmuProcess *emu = g_new0 (EmuProcess, 1);

  if (binary == NULL)
    g_error ("$%s is not set: run this test through meson test", binary_variable);
  g_ptr_array_add (argv, (gpointer) binary);
  g_ptr_array_add (argv, (gpointer) "--port");
  g_ptr_array_add (argv, (gpointer) "0");
  g_ptr_array_add (argv, (gpointer) "--random-seed");
  g_ptr_array_add (argv, (gpointer) "7");
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra[i]);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  emu->process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (emu->process));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "PORT="));
  emu->port = atoi (line + 5);
  g_assert_cmpuint (emu->port, >, 0);
  url = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (url);
  g_assert_true (g_str_has_prefix (url, ca_file != NULL ? "URL=https://127.0.0.1:" : "URL=http://127.0.0.1:"));
  emu->base = g_strdup (url + 4);
  emu->session = soup_session_new_with_options ("timeout", timeout_s, NULL);
  if (ca_file != NULL)
    {
      g_autoptr(GTlsDatabase) database = g_tls_file_database_new (ca_file, &error);

      g_assert_no_error (error);
      soup_session_set_tls_database (emu->session, database);
    }
  return emu;
}

/* Stops it with SIGTERM: it must exit cleanly. */
void
emu_process_stop (EmuProcess *emu)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (emu->process, SIGTERM);
  g_subprocess_wait_check (emu->process, NULL, &error);
  g_assert_no_error (error);
  g_object_unref (emu->process);
  g_object_unref (emu->session);
  g_free (emu->base);
  g_free (emu);
}

/* ---------------------------------------------------------------- one request */

void
emu_reply_free (EmuReply *reply)
{
  g_clear_pointer (&reply->bytes, g_bytes_unref);
  g_clear_pointer (&reply->json, json_node_unref);
  g_clear_pointer (&reply->headers, soup_message_headers_unref);
  g_clear_error (&reply->error);
  g_free (reply);
}

/* "Name: value" strings, NULL-terminated; @headers may be NULL. */
void
emu_add_header_lines (SoupMessage *msg, const char *const *headers)
{
  SoupMessageHeaders *request_headers = soup_message_get_request_headers (msg);

  for (guint i = 0; headers != NULL && headers[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (headers[i], ": ", 2);

      soup_message_headers_replace (request_headers, parts[0], parts[1]);
    }
}

/* @body as the request's body (JSON unless @content_type says otherwise). */
void
emu_set_body (SoupMessage *msg, const char *body, const char *content_type)
{
  g_autoptr(GBytes) bytes = NULL;

  if (body == NULL)
    return;
  bytes = g_bytes_new (body, strlen (body));
  soup_message_set_request_body_from_bytes (msg, content_type != NULL ? content_type : "application/json", bytes);
}

/* Sends @msg and keeps what came back, and how long it took. */
EmuReply *
emu_send (SoupSession *session, SoupMessage *msg)
{
  EmuReply *reply = g_new0 (EmuReply, 1);
  gint64 start = g_get_monotonic_time ();

  reply->bytes = soup_session_send_and_read (session, msg, NULL, &reply->error);
  reply->seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  reply->status = soup_message_get_status (msg);
  reply->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  if (reply->bytes != NULL && g_bytes_get_size (reply->bytes) > 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (json_parser_load_from_data (parser, g_bytes_get_data (reply->bytes, NULL),
                                      g_bytes_get_size (reply->bytes), NULL))
        reply->json = json_node_ref (json_parser_get_root (parser));
    }
  return reply;
}

/* ---------------------------------------------------------------- JSON by JSONPath */

/* printf, then ' becomes " so that JSON bodies read well in C. */
char *
emu_jq (const char *format, ...)
{
  va_list args;
  char *text;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  return g_strdelimit (text, "'", '"');
}

/* The first match of @expression, or NULL. */
JsonNode *
emu_path_node (JsonNode *root, const char *expression)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) matches = NULL;
  JsonArray *array;

  g_assert_nonnull (root);
  matches = json_path_query (expression, root, &error);
  g_assert_no_error (error);
  array = json_node_get_array (matches);
  if (json_array_get_length (array) == 0)
    return NULL;
  return json_node_copy (json_array_get_element (array, 0));
}

static JsonNode *
must_find (JsonNode *root, const char *expression)
{
  JsonNode *node = emu_path_node (root, expression);

  if (node == NULL)
    g_error ("%s: missing", expression);
  return node;
}

gboolean
emu_path_has (JsonNode *root, const char *expression)
{
  g_autoptr(JsonNode) node = emu_path_node (root, expression);

  return node != NULL;
}

char *
emu_path_str (JsonNode *root, const char *expression)
{
  g_autoptr(JsonNode) node = must_find (root, expression);

  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  return g_strdup (json_node_get_string (node));
}

gint64
emu_path_num (JsonNode *root, const char *expression)
{
  g_autoptr(JsonNode) node = must_find (root, expression);

  return json_node_get_int (node);
}

guint
emu_path_len (JsonNode *root, const char *expression)
{
  g_autoptr(JsonNode) node = must_find (root, expression);

  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  return json_array_get_length (json_node_get_array (node));
}

gboolean
emu_path_is_null (JsonNode *root, const char *expression)
{
  g_autoptr(JsonNode) node = must_find (root, expression);

  return JSON_NODE_HOLDS_NULL (node);
}

gboolean
emu_path_bool (JsonNode *root, const char *expression)
{
  g_autoptr(JsonNode) node = must_find (root, expression);

  return json_node_get_boolean (node);
}

/* The member names of the object at @expression, sorted and joined by ",". */
char *
emu_path_keys (JsonNode *root, const char *expression)
{
  g_autoptr(JsonNode) node = emu_path_node (root, expression);
  g_autoptr(GList) names = NULL;
  GString *text = g_string_new (NULL);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  names = json_object_get_members (json_node_get_object (node));
  names = g_list_sort (names, (GCompareFunc) g_strcmp0);
  for (GList *l = names; l != NULL; l = l->next)
    g_string_append_printf (text, "%s%s", text->len > 0 ? "," : "", (char *) l->data);
  return g_string_free (text, FALSE);
}

void
emu_assert_str (JsonNode *root, const char *expression, const char *expected)
{
  g_autofree char *value = emu_path_str (root, expression);

  g_assert_cmpstr (value, ==, expected);
}
