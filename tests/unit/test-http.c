/* test-http.c — the HTTP plumbing the three clients share (src/http)
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include "ps-test.h"
#include "ps-http-util.h"

static GBytes *
bytes_of (const char *text)
{
  return g_bytes_new (text, strlen (text));
}

static void
test_retry_after (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) later = g_date_time_add_seconds (now, 30);
  g_autofree char *date = g_date_time_format (later, "%a, %d %b %Y %H:%M:%S GMT");
  gint64 us;

  g_assert_cmpint (ps_http_parse_retry_after (NULL, 180), ==, -1);
  g_assert_cmpint (ps_http_parse_retry_after ("soon", 180), ==, -1);
  g_assert_cmpint (ps_http_parse_retry_after ("5", 180), ==, 5 * G_USEC_PER_SEC);
  g_assert_cmpint (ps_http_parse_retry_after (" 2 ", 180), ==, 2 * G_USEC_PER_SEC);
  g_assert_cmpint (ps_http_parse_retry_after ("1.5", 180), ==, 1500000);
  g_assert_cmpint (ps_http_parse_retry_after ("0", 180), ==, 0);
  /* An absurd wait is capped. */
  g_assert_cmpint (ps_http_parse_retry_after ("86400", 180), ==, 180 * G_USEC_PER_SEC);
  g_assert_cmpint (ps_http_parse_retry_after ("86400", 900), ==, 900 * G_USEC_PER_SEC);
  /* An HTTP-date: the time until then. */
  us = ps_http_parse_retry_after (date, 180);
  g_assert_cmpint (us, >, 25 * G_USEC_PER_SEC);
  g_assert_cmpint (us, <=, 30 * G_USEC_PER_SEC);
  g_assert_cmpint (ps_http_parse_retry_after ("Thu, 01 Jan 1970 00:00:00 GMT", 180), ==, 0);
}

static void
test_backoff (void)
{
  for (guint attempt = 1; attempt <= 30; attempt++)
    for (guint i = 0; i < 50; i++)
      {
        gint64 us = ps_http_backoff_us (100, 2000, attempt);
        gint64 ceiling = MIN ((gint64) 2000, (gint64) 100 << MIN (attempt - 1, 20u)) * 1000;

        g_assert_cmpint (us, >=, 0);
        g_assert_cmpint (us, <=, ceiling);
      }
}

static void
test_connection_errors (void)
{
  g_autoptr(GError) refused = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "x");
  g_autoptr(GError) closed = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "x");
  g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "x");
  g_autoptr(GError) no_host = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND, "x");
  g_autoptr(GError) dns_blip = g_error_new_literal (G_RESOLVER_ERROR,
                                                    G_RESOLVER_ERROR_TEMPORARY_FAILURE, "x");
  g_autoptr(GError) dns_none = g_error_new_literal (G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
                                                    "x");
  g_autoptr(GError) tls = g_error_new_literal (G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE, "x");
  g_autoptr(GError) parsing = g_error_new_literal (SOUP_SESSION_ERROR,
                                                   SOUP_SESSION_ERROR_PARSING, "x");

  g_assert_true (ps_http_error_is_connection (refused));
  g_assert_true (ps_http_error_is_connection (closed));
  g_assert_true (ps_http_error_is_connection (dns_blip));
  g_assert_true (ps_http_error_is_connection (parsing));
  g_assert_false (ps_http_error_is_connection (cancelled));
  g_assert_false (ps_http_error_is_connection (no_host));
  g_assert_false (ps_http_error_is_connection (dns_none));
  g_assert_false (ps_http_error_is_connection (tls));

  /* A host that never took the request gets three tries at most. */
  g_assert_cmpuint (ps_http_connection_attempts (&(PsHttpProgress) { FALSE, FALSE }, 6), ==, 3);
  g_assert_cmpuint (ps_http_connection_attempts (&(PsHttpProgress) { FALSE, FALSE }, 2), ==, 2);
  g_assert_cmpuint (ps_http_connection_attempts (&(PsHttpProgress) { TRUE, FALSE }, 6), ==, 6);
}

static void
test_web_page_and_json (void)
{
  g_autoptr(GBytes) page = bytes_of ("\xef\xbb\xbf  \n<!DOCTYPE html><html></html>");
  g_autoptr(GBytes) json = bytes_of ("{\"value\": [1, 2]}");
  g_autoptr(GBytes) cut = bytes_of ("{\"value\": [1, ");
  g_autoptr(GBytes) empty = bytes_of ("");
  g_autoptr(JsonNode) root = NULL;

  g_assert_true (ps_http_is_web_page (NULL, page));
  g_assert_true (ps_http_is_web_page ("text/html; charset=utf-8", json));
  g_assert_true (ps_http_is_web_page ("application/xhtml+xml", NULL));
  g_assert_false (ps_http_is_web_page ("application/json", json));
  g_assert_false (ps_http_is_web_page (NULL, NULL));

  root = ps_http_read_json (json);
  g_assert_nonnull (root);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (root),
                                                                         "value")), ==, 2);
  g_assert_null (ps_http_read_json (cut));
  g_assert_null (ps_http_read_json (empty));
  g_assert_null (ps_http_read_json (NULL));
}

static void
test_json_members (void)
{
  g_autoptr(JsonNode) root = json_from_string ("{\"id\": \"a1\", \"Mail\": \"x@example.com\", "
                                               "\"n\": 42, \"on\": true, \"ratio\": 0.5, \"empty\": \"\", "
                                               "\"list\": [1], \"inner\": {\"k\": \"v\"}, \"none\": null}",
                                               NULL);
  JsonObject *object = json_node_get_object (root);
  g_autofree char *n = ps_http_json_text (json_object_get_member (object, "n"));
  g_autofree char *on = ps_http_json_text (json_object_get_member (object, "on"));
  g_autofree char *ratio = ps_http_json_text (json_object_get_member (object, "ratio"));

  g_assert_cmpstr (ps_http_json_string (object, "id"), ==, "a1");
  g_assert_null (ps_http_json_string (object, "n"));
  g_assert_null (ps_http_json_string (NULL, "id"));
  g_assert_nonnull (ps_http_json_object (object, "inner"));
  g_assert_null (ps_http_json_object (object, "list"));
  g_assert_cmpuint (json_array_get_length (ps_http_json_array (object, "list")), ==, 1);
  g_assert_null (ps_http_json_array (object, "inner"));
  /* exactly, else case-insensitively */
  g_assert_cmpstr (json_node_get_string (ps_http_json_member (object, "mail")), ==, "x@example.com");
  g_assert_null (ps_http_json_member (object, "missing"));
  g_assert_null (ps_http_json_member (NULL, "id"));
  g_assert_cmpstr (n, ==, "42");
  g_assert_cmpstr (on, ==, "true");
  g_assert_cmpstr (ratio, ==, "0.5");
  g_assert_null (ps_http_json_text (json_object_get_member (object, "empty")));
  g_assert_null (ps_http_json_text (json_object_get_member (object, "none")));
  g_assert_null (ps_http_json_text (json_object_get_member (object, "list")));
}

static void
test_urls (void)
{
  g_autofree char *path = ps_http_url_path ("https://graph.example.com:8443/v1.0/users?$top=5");
  g_autofree char *host = ps_http_url_host ("https://graph.example.com:8443/v1.0/users");
  g_autofree char *bad_path = ps_http_url_path ("not a url");
  g_autofree char *bad_host = ps_http_url_host ("not a url");
  g_autofree char *secret = g_strdup ("s3cret");

  g_assert_cmpstr (path, ==, "/v1.0/users");
  g_assert_cmpstr (host, ==, "graph.example.com");
  g_assert_cmpstr (bad_path, ==, "?");
  g_assert_cmpstr (bad_host, ==, "?");
  ps_http_wipe_string (secret);
  for (guint i = 0; i < 6; i++)
    g_assert_cmpint (secret[i], ==, 0);
}

typedef struct {
  PsHttpGate   *gate;
  GCancellable *cancellable;
  gboolean      got;
  GError       *error;
} Waiter;

static gpointer
acquire_thread (gpointer data)
{
  Waiter *w = data;

  w->got = ps_http_gate_acquire (w->gate, NULL, NULL, w->cancellable, &w->error);
  return NULL;
}

static gint64
hold_for_a_while (gpointer user_data,
                  gint64   now,
                  gint64   hold_until)
{
  guint *calls = user_data;

  (*calls)++;
  return *calls == 1 ? now + 50 * 1000 : 0;
}

static void
test_gate (void)
{
  PsHttpGate gate;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Waiter w = { &gate, cancellable, FALSE, NULL };
  GThread *thread;
  gint64 start;
  guint calls = 0;

  ps_http_gate_init (&gate, 1);

  /* One slot: the second request waits until it is cancelled. */
  g_assert_true (ps_http_gate_acquire (&gate, NULL, NULL, NULL, NULL));
  thread = g_thread_new ("waiter", acquire_thread, &w);
  g_usleep (50 * 1000);
  g_cancellable_cancel (cancellable);
  g_thread_join (thread);
  g_assert_false (w.got);
  g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&w.error);
  ps_http_gate_release (&gate);

  /* A cancelled sleep ends at once, with the cancellation. */
  start = g_get_monotonic_time ();
  g_assert_false (ps_http_gate_sleep (&gate, 10 * G_USEC_PER_SEC, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);

  /* A hold makes the next request wait for it. */
  ps_http_gate_hold (&gate, 100 * 1000);
  start = g_get_monotonic_time ();
  g_assert_true (ps_http_gate_acquire (&gate, NULL, NULL, NULL, NULL));
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 90 * 1000);
  ps_http_gate_release (&gate);

  /* The client's own check may make it wait too. */
  start = g_get_monotonic_time ();
  g_assert_true (ps_http_gate_acquire (&gate, hold_for_a_while, &calls, NULL, NULL));
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 45 * 1000);
  g_assert_cmpuint (calls, ==, 2);
  ps_http_gate_release (&gate);

  ps_http_gate_clear (&gate);
}

int
main (int    argc,
      char **argv)
{
  ps_test_init (&argc, &argv);

  g_test_add_func ("/http/retry-after", test_retry_after);
  g_test_add_func ("/http/backoff", test_backoff);
  g_test_add_func ("/http/connection-errors", test_connection_errors);
  g_test_add_func ("/http/web-page-and-json", test_web_page_and_json);
  g_test_add_func ("/http/json-members", test_json_members);
  g_test_add_func ("/http/urls", test_urls);
  g_test_add_func ("/http/gate", test_gate);
  return g_test_run ();
}
