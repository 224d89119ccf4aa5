/* test-target-errors.c — the one mapping of HTTP answers to PS_TARGET_ERROR
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <libsoup/soup.h>

#include "ps-test.h"
#include "ps-target-error.h"

static GBytes *
body (const char *json)
{
  return g_bytes_new (json, strlen (json));
}

static void
check (const char *method,
       const char *path,
       guint       status,
       const char *json,
       int         code,
       const char *needle)
{
  g_autoptr(GBytes) bytes = json != NULL ? body (json) : NULL;
  g_autoptr(GError) error = ps_target_error_from_http (method, path, "api.example.com", status,
                                                       bytes, NULL, 6);

  g_assert_error (error, PS_TARGET_ERROR, code);
  if (strstr (error->message, needle) == NULL)
    g_error ("“%s” not in “%s”", needle, error->message);
}

static void
test_statuses (void)
{
  g_autoptr(GError) none = ps_target_error_from_http ("GET", "/v3/groups", NULL, 200, NULL, NULL, 1);

  g_assert_no_error (none);
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
  check ("GET", "/v3/groups", 500, "<html>oops</html>", PS_TARGET_ERROR_UNAVAILABLE, "answered 500");
  check ("GET", "/v3/groups", 302, NULL, PS_TARGET_ERROR_UNEXPECTED, "GET /v3/groups answered 302");
}

static void
test_transport (void)
{
  g_autoptr(GError) tls = g_error_new_literal (G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE, "Unacceptable TLS certificate");
  g_autoptr(GError) dns = g_error_new_literal (G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "Name not known");
  g_autoptr(GError) refused = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "Connection refused");
  g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
  g_autoptr(GError) a = ps_target_error_from_http ("GET", "/accounts", "api.example.com", 0, NULL, tls, 1);
  g_autoptr(GError) b = ps_target_error_from_http ("GET", "/accounts", "api.example.com", 0, NULL, dns, 1);
  g_autoptr(GError) c = ps_target_error_from_http ("GET", "/accounts", "api.example.com", 0, NULL, refused, 1);
  g_autoptr(GError) d = ps_target_error_from_http ("GET", "/accounts", "api.example.com", 0, NULL, cancelled, 1);

  g_assert_error (a, PS_TARGET_ERROR, PS_TARGET_ERROR_TLS);
  g_assert_nonnull (strstr (a->message, "CAFile"));
  g_assert_error (b, PS_TARGET_ERROR, PS_TARGET_ERROR_UNREACHABLE);
  g_assert_nonnull (strstr (b->message, "api.example.com"));
  g_assert_error (c, PS_TARGET_ERROR, PS_TARGET_ERROR_UNREACHABLE);
  g_assert_error (d, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (ps_target_error_is_fatal (c));
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
  g_test_add_func ("/target/errors/transport", test_transport);
  g_test_add_func ("/target/errors/fatal", test_fatal);
  return g_test_run ();
}
