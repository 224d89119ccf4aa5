/* test-target-errors.c — the one mapping of HTTP answers to PS_TARGET_ERROR
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "ps-test.h"
#include "ps-target-error.h"
#include "ps-http-util.h"

static GBytes *
body (const char *json)
{
  return g_bytes_new (json, strlen (json));
}

static GError *
map (const char   *method,
     const char   *path,
     guint         status,
     const char   *content_type,
     const char   *text,
     const GError *transport,
     gboolean      sent,
     gboolean      answered)
{
  g_autoptr(GBytes) bytes = text != NULL ? body (text) : NULL;
  PsTargetExchange x = {
    .method = method, .path = path, .host = "api.example.com", .status = status,
    .content_type = content_type, .body = bytes, .transport_error = transport,
    .request_sent = sent, .answer_started = answered, .attempts = 6,
  };

  return ps_target_error_from_http (&x);
}

static void
expect (GError     *error,
        int         code,
        const char *needle)
{
  g_assert_error (error, PS_TARGET_ERROR, code);
  if (strstr (error->message, needle) == NULL)
    g_error ("“%s” not in “%s”", needle, error->message);
  g_error_free (error);
}

static void
check (const char *method,
       const char *path,
       guint       status,
       const char *json,
       int         code,
       const char *needle)
{
  expect (map (method, path, status, "application/json", json, NULL, TRUE, TRUE), code, needle);
}

static void
test_statuses (void)
{
  g_autoptr(GError) none = map ("GET", "/v3/groups", 200, NULL, NULL, NULL, TRUE, TRUE);
  g_autoptr(GError) json = map ("GET", "/v3/groups", 200, "application/json", "{\"groups\":[]}",
                                NULL, TRUE, TRUE);

  g_assert_no_error (none);
  g_assert_no_error (json);
  check ("POST", "/v3/session/token", 401, "{\"message\":\"User email not found!\"}",
         PS_TARGET_ERROR_AUTH, "User email not found!");
  check ("POST", "/v3/session/token", 401, NULL, PS_TARGET_ERROR_AUTH, "email and");
  check ("GET", "/accounts", 401, NULL, PS_TARGET_ERROR_AUTH, "client ID and secret");
  check ("POST", "/v3/users", 403, "{\"message\":\"Forbidden\"}", PS_TARGET_ERROR_PERMISSION,
         "Ask Asset Panda support for the granular permissions");
  check ("POST", "/users/invite", 403, NULL, PS_TARGET_ERROR_PERMISSION, "create or change Asset Panda users");
  check ("GET", "/v3/groups/9/fields", 404, NULL, PS_TARGET_ERROR_NOT_FOUND, "collection");
  check ("POST", "/v3/groups/9/objects", 422,
         "{\"errors\":[{\"field_1\":[\"SerialNumber is not unique\"]}],\"code\":2}",
         PS_TARGET_ERROR_INVALID, "field_1: SerialNumber is not unique");
  check ("POST", "/v3/groups/9/objects", 422,
         "{\"errors\":[{\"base\":[\"Something is off\"]}]}", PS_TARGET_ERROR_INVALID, "Something is off");
  check ("PUT", "/collection-records", 400,
         "{\"errors\":[{\"field\":\"col_1\",\"message\":\"can't be blank\"}]}",
         PS_TARGET_ERROR_INVALID, "col_1: can't be blank");
  check ("GET", "/v3/groups", 429, NULL, PS_TARGET_ERROR_RATE_LIMITED, "rate limit");
  check ("GET", "/v3/groups", 503, NULL, PS_TARGET_ERROR_UNAVAILABLE, "GET /v3/groups answered 503 after 6 attempts");
  check ("GET", "/v3/groups", 302, NULL, PS_TARGET_ERROR_UNEXPECTED, "GET /v3/groups answered 302");
}

/* A 2xx answer that is not JSON: cut off, or garbled. */
static void
test_unreadable (void)
{
  expect (map ("POST", "/v3/groups/9/search/objects", 200, "application/json",
               "{\"objects\":[{\"id\":\"5f1", NULL, TRUE, TRUE),
          PS_TARGET_ERROR_UNEXPECTED,
          "POST /v3/groups/9/search/objects answered 200 with data that was cut off or malformed "
          "(22 bytes), after 6 attempts");
  expect (map ("GET", "/v3/users", 200, NULL, "{\"users\": [1, 2<<garbage", NULL, TRUE, TRUE),
          PS_TARGET_ERROR_UNEXPECTED, "cut off or malformed");
}

/* The syntax check the transport runs on every 2xx answer agrees with
 * json-glib, and a cut anywhere in a real answer is caught. */
static void
test_json_check (void)
{
  static const char *const good[] = {
    "{}", "[]", " {\"a\": [1, -2.5e+3, 0, true, false, null, \"x\\u00e9\\n\\\"\"]}\r\n",
    "{\"objects\":[{\"id\":\"5f1\",\"data\":{\"field_1\":\"Zoë\"}}],\"totals\":{\"objects\":1}}",
    "\"text\"", "42", "\xef\xbb\xbf{\"bom\": true}", "[[[[[]]]]]", "{\"\":{}}",
    /* not JSON, but json-glib takes them, and no cut makes them */
    "[01]", "[1.]", "\"\\x\"", "{} {}", "[\"a\tb\"]",
  };
  static const char *const bad[] = {
    "{", "[", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":1,", "[1,]", "{\"a\":1,}", "{a:1}",
    "[-]", "[tru]", "[nul]", "\"abc", "\"\\u12\"", "{}x", "<html></html>",
    "{\"a\":1}<<garbage",
  };
  const char *answer = "{\"objects\":[{\"id\":\"5f1e\",\"data\":{\"field_1\":\"Ada\",\"field_8\":"
                       "{\"id\":901,\"value\":\"Active\"}},\"is_archived\":false}],"
                       "\"totals\":{\"objects\":1,\"group_totals\":5,\"offset\":0,\"limit\":100}}";

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GBytes) bytes = body (good[i]);
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (!ps_target_answer_is_json (bytes))
        g_error ("“%s” should be JSON", good[i]);
      if (g_str_has_prefix (good[i], "\xef\xbb\xbf"))
        continue;
      g_assert_true (json_parser_load_from_data (parser, good[i], -1, NULL));
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GBytes) bytes = body (bad[i]);
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (ps_target_answer_is_json (bytes))
        g_error ("“%s” should not be JSON", bad[i]);
      g_assert_false (json_parser_load_from_data (parser, bad[i], -1, NULL));
    }
  for (gsize cut = 1; cut < strlen (answer); cut++)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (answer, cut);
      g_assert_false (ps_target_answer_is_json (bytes));
    }
  g_assert_true (ps_target_answer_is_json (NULL));
}

/* A proxy, a captive portal or a sign-in page answered instead of the API. */
static void
test_web_page (void)
{
  const char *page = "<!DOCTYPE html>\n<html><head><title>Sign in</title></head></html>";
  const char *needle = "with a web page instead of data (HTTP 200): a proxy or sign-in page may "
                       "be in the way; check the URL and proxy settings";
  g_autoptr(GBytes) bom = body ("\xef\xbb\xbf  <html>");

  /* by its content type, or by its first character */
  expect (map ("GET", "/v3/groups", 200, "text/html", page, NULL, TRUE, TRUE),
          PS_TARGET_ERROR_UNEXPECTED, needle);
  expect (map ("GET", "/v3/groups", 200, "application/json", page, NULL, TRUE, TRUE),
          PS_TARGET_ERROR_UNEXPECTED, needle);
  expect (map ("POST", "/v3/session/token", 200, "text/html; charset=utf-8", "", NULL, TRUE, TRUE),
          PS_TARGET_ERROR_UNEXPECTED, "POST /v3/session/token with a web page");
  g_assert_true (ps_http_is_web_page (NULL, bom));
  g_assert_false (ps_http_is_web_page ("application/json", NULL));
  /* not "no permission" nor "unknown collection": the page is in the way */
  expect (map ("GET", "/accounts", 403, "text/html", page, NULL, TRUE, TRUE),
          PS_TARGET_ERROR_UNEXPECTED, "(HTTP 403): a proxy or sign-in page");
  expect (map ("GET", "/v3/groups/9/fields", 404, "text/html", page, NULL, TRUE, TRUE),
          PS_TARGET_ERROR_UNEXPECTED, "(HTTP 404)");
  expect (map ("GET", "/v3/groups", 407, "text/html", page, NULL, TRUE, TRUE),
          PS_TARGET_ERROR_UNEXPECTED, "(HTTP 407)");
  /* a gateway's error page still says the service is unavailable */
  expect (map ("GET", "/v3/groups", 502, "text/html", "<html>Bad Gateway</html>", NULL, TRUE, TRUE),
          PS_TARGET_ERROR_UNAVAILABLE, "answered 502");
  expect (map ("GET", "/v3/groups", 500, NULL, "<html>oops</html>", NULL, TRUE, TRUE),
          PS_TARGET_ERROR_UNAVAILABLE, "answered 500");
}

static void
test_transport (void)
{
  g_autoptr(GError) tls = g_error_new_literal (G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE, "Unacceptable TLS certificate");
  g_autoptr(GError) dns = g_error_new_literal (G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "Name not known");
  g_autoptr(GError) refused = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "Connection refused");
  g_autoptr(GError) no_route = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE, "No route to host");
  g_autoptr(GError) timeout = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "Socket I/O timed out");
  g_autoptr(GError) cut = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT, "Connection terminated unexpectedly");
  g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
  g_autoptr(GError) parsing = g_error_new_literal (SOUP_SESSION_ERROR, SOUP_SESSION_ERROR_PARSING, "Could not parse HTTP response");
  g_autoptr(GError) c = map ("GET", "/accounts", 0, NULL, NULL, refused, FALSE, FALSE);
  g_autoptr(GError) d = map ("GET", "/accounts", 0, NULL, NULL, cancelled, TRUE, FALSE);

  expect (map ("GET", "/accounts", 0, NULL, NULL, tls, FALSE, FALSE), PS_TARGET_ERROR_TLS, "CAFile");
  expect (map ("GET", "/accounts", 0, NULL, NULL, dns, FALSE, FALSE), PS_TARGET_ERROR_UNREACHABLE,
          "Cannot find the host api.example.com");
  /* refused, no route, or a host that never takes the connection: unreachable */
  g_assert_error (c, PS_TARGET_ERROR, PS_TARGET_ERROR_UNREACHABLE);
  g_assert_nonnull (strstr (c->message, "Asset Panda at api.example.com is unreachable (GET /accounts: "
                                        "Connection refused)"));
  g_assert_false (ps_target_error_is_fatal (c));
  expect (map ("GET", "/accounts", 0, NULL, NULL, no_route, FALSE, FALSE), PS_TARGET_ERROR_UNREACHABLE,
          "is unreachable (GET /accounts: No route to host)");
  expect (map ("GET", "/accounts", 0, NULL, NULL, timeout, FALSE, FALSE), PS_TARGET_ERROR_UNREACHABLE,
          "is unreachable: it did not take the connection in time");
  /* a host that takes the connection and stays silent: unreachable too */
  expect (map ("GET", "/accounts", 0, NULL, NULL, timeout, TRUE, FALSE), PS_TARGET_ERROR_UNREACHABLE,
          "is unreachable: it took the connection but did not answer GET /accounts in time");
  /* a connection cut before or during the answer says so */
  expect (map ("GET", "/accounts", 0, NULL, NULL, cut, TRUE, FALSE), PS_TARGET_ERROR_UNREACHABLE,
          "The connection to api.example.com closed before Asset Panda answered GET /accounts");
  expect (map ("GET", "/accounts", 200, NULL, NULL, cut, TRUE, TRUE), PS_TARGET_ERROR_UNREACHABLE,
          "was lost while reading Asset Panda’s answer to GET /accounts");
  expect (map ("GET", "/accounts", 0, NULL, NULL, parsing, TRUE, FALSE), PS_TARGET_ERROR_UNEXPECTED,
          "something that is not HTTP");
  g_assert_error (d, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_fatal (void)
{
  g_autoptr(GError) auth = g_error_new_literal (PS_TARGET_ERROR, PS_TARGET_ERROR_AUTH, "x");
  g_autoptr(GError) perm = g_error_new_literal (PS_TARGET_ERROR, PS_TARGET_ERROR_PERMISSION, "x");
  g_autoptr(GError) invalid = g_error_new_literal (PS_TARGET_ERROR, PS_TARGET_ERROR_INVALID, "x");

  g_assert_true (ps_target_error_is_fatal (auth));
  g_assert_true (ps_target_error_is_fatal (perm));
  g_assert_false (ps_target_error_is_fatal (invalid));
  g_assert_false (ps_target_error_is_fatal (NULL));
}

int
main (int    argc,
      char **argv)
{
  ps_test_init (&argc, &argv);
  g_test_add_func ("/target/errors/statuses", test_statuses);
  g_test_add_func ("/target/errors/unreadable", test_unreadable);
  g_test_add_func ("/target/errors/json-check", test_json_check);
  g_test_add_func ("/target/errors/web-page", test_web_page);
  g_test_add_func ("/target/errors/transport", test_transport);
  g_test_add_func ("/target/errors/fatal", test_fatal);
  return g_test_run ();
}
