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

#include <glib/gstdio.h>

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

static SoupSession *
new_session (const char *ca_file, guint timeout_s)
{
  SoupSession *session = soup_session_new_with_options ("timeout", timeout_s, NULL);

  if (ca_file != NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GTlsDatabase) database = g_tls_file_database_new (ca_file, &error);

      g_assert_no_error (error);
      soup_session_set_tls_database (session, database);
    }
  return session;
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
  emu->session = new_session (ca_file, timeout_s);
  return emu;
}

/* Serves HTTPS with a throw-away CA ($PS_EMULATOR_MAKE_CA) that the
 * session trusts; NULL when openssl is not installed (skip the test). */
EmuProcess *
emu_process_start_tls (const char *binary_variable, const char *const *extra, guint timeout_s)
{
  const char *make_ca = g_getenv ("PS_EMULATOR_MAKE_CA");
  g_autofree char *dir = NULL;
  g_autofree char *ca = NULL;
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GSubprocess) maker = NULL;
  g_autoptr(GError) error = NULL;
  EmuProcess *emu;

  g_assert_nonnull (make_ca);
  if (g_find_program_in_path ("openssl") == NULL)
    return NULL;
  dir = g_dir_make_tmp ("ps-emulator-ca-XXXXXX", &error);
  g_assert_no_error (error);
  maker = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                            make_ca, dir, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_check (maker, NULL, &error);
  g_assert_no_error (error);
  ca = g_build_filename (dir, "ca.pem", NULL);
  cert = g_build_filename (dir, "server.pem", NULL);
  key = g_build_filename (dir, "server.key", NULL);
  g_ptr_array_add (args, (gpointer) "--tls-cert");
  g_ptr_array_add (args, cert);
  g_ptr_array_add (args, (gpointer) "--tls-key");
  g_ptr_array_add (args, key);
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) extra[i]);
  g_ptr_array_add (args, NULL);
  emu = emu_process_start (binary_variable, (const char *const *) args->pdata, ca, timeout_s);
  g_assert_true (g_str_has_prefix (emu->base, "https://127.0.0.1:"));
  emu->ca_dir = g_steal_pointer (&dir);
  return emu;
}

/* Starts it through its start script ($@script_variable, with --pid-file
 * and @extra), which must print PORT=, URL= and PID= and write the pid. */
EmuProcess *
emu_process_start_script (const char *script_variable, const char *const *extra, guint timeout_s)
{
  const char *script = g_getenv (script_variable);
  g_autofree char *dir = g_dir_make_tmp ("ps-emulator-start-XXXXXX", NULL);
  g_autofree char *pid_file = g_build_filename (dir, "emulator.pid", NULL);
  g_autofree char *out = NULL;
  g_autofree char *pid_text = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  EmuProcess *emu = g_new0 (EmuProcess, 1);

  if (script == NULL)
    g_error ("$%s is not set: run this test through meson test", script_variable);
  g_ptr_array_add (argv, (gpointer) script);
  g_ptr_array_add (argv, (gpointer) "--pid-file");
  g_ptr_array_add (argv, pid_file);
  g_ptr_array_add (argv, (gpointer) "--");
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra[i]);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (process));

  lines = g_strsplit (out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), >=, 3);
  g_assert_true (g_str_has_prefix (lines[0], "PORT="));
  g_assert_true (g_str_has_prefix (lines[1], "URL=http://127.0.0.1:"));
  g_assert_true (g_str_has_prefix (lines[2], "PID="));
  g_assert_true (g_file_get_contents (pid_file, &pid_text, NULL, &error));
  emu->pid = atoi (pid_text);
  g_assert_cmpint (emu->pid, ==, atoi (lines[2] + 4));
  emu->port = atoi (lines[0] + 5);
  emu->base = g_strdup (lines[1] + 4);
  emu->session = new_session (NULL, timeout_s);
  g_unlink (pid_file);
  g_rmdir (dir);
  return emu;
}

/* Stops it with SIGTERM: it must exit cleanly. */
void
emu_process_stop (EmuProcess *emu)
{
  g_autoptr(GError) error = NULL;

  if (emu->process != NULL)
    {
      g_subprocess_send_signal (emu->process, SIGTERM);
      g_subprocess_wait_check (emu->process, NULL, &error);
      g_assert_no_error (error);
      g_object_unref (emu->process);
    }
  else
    g_assert_cmpint (kill (emu->pid, SIGTERM), ==, 0);
  if (emu->ca_dir != NULL)
    {
      for (const char *const *f = (const char *const[]) { "ca.pem", "ca.key", "server.pem", "server.key", NULL };
           *f != NULL; f++)
        {
          g_autofree char *path = g_build_filename (emu->ca_dir, *f, NULL);

          g_unlink (path);
        }
      g_rmdir (emu->ca_dir);
      g_free (emu->ca_dir);
    }
  g_object_unref (emu->session);
  g_free (emu->base);
  g_free (emu);
}

/* --listen with anything but 127.0.0.1 exits with status 2. */
void
emu_assert_listen_refused (const char *binary_variable)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                                                     g_getenv (binary_variable), "--listen", "0.0.0.0", NULL);

  g_assert_no_error (error);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 2);
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

/* A request for JSON to @path (relative to the emulator, or an absolute
 * URL such as a next link), with an Authorization header when given,
 * "Name: value" @headers and a @body (JSON unless @content_type says
 * otherwise). */
EmuReply *
emu_call (EmuProcess        *emu,
          const char        *method,
          const char        *path,
          const char        *authorization,
          const char *const *headers,
          const char        *body,
          const char        *content_type)
{
  g_autofree char *url = g_str_has_prefix (path, "http") ? g_strdup (path) : g_strconcat (emu->base, path, NULL);
  g_autoptr(GUri) uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  g_autoptr(SoupMessage) msg = NULL;
  SoupMessageHeaders *request_headers;

  if (uri == NULL)
    g_error ("bad URL %s", url);
  msg = soup_message_new_from_uri (method, uri);
  request_headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (request_headers, "Accept", "application/json");
  if (authorization != NULL)
    soup_message_headers_replace (request_headers, "Authorization", authorization);
  emu_add_header_lines (msg, headers);
  emu_set_body (msg, body, content_type);
  return emu_send (emu->session, msg);
}

/* emu_call () that must get an answer with @status. */
EmuReply *
emu_expect (EmuProcess        *emu,
            guint              status,
            const char        *method,
            const char        *path,
            const char        *authorization,
            const char *const *headers,
            const char        *body,
            const char        *content_type)
{
  EmuReply *reply = emu_call (emu, method, path, authorization, headers, body, content_type);

  g_assert_no_error (reply->error);
  if (reply->status != status)
    g_error ("%s %s: expected %u, got %u: %.*s", method, path, status, reply->status,
             (int) g_bytes_get_size (reply->bytes), (const char *) g_bytes_get_data (reply->bytes, NULL));
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

JsonNode *
emu_admin (EmuProcess *emu, const char *method, const char *path, const char *body)
{
  g_autoptr(EmuReply) reply = emu_call (emu, method, path, NULL, NULL, body, NULL);

  g_assert_no_error (reply->error);
  if (reply->status != 200 && reply->status != 201)
    g_error ("%s %s: %u %.*s", method, path, reply->status, (int) g_bytes_get_size (reply->bytes),
             (const char *) g_bytes_get_data (reply->bytes, NULL));
  return json_node_ref (reply->json);
}

void
emu_admin_do (EmuProcess *emu, const char *method, const char *path, const char *body)
{
  g_autoptr(JsonNode) node = emu_admin (emu, method, path, body);
}
