/* test-okta-errors.c — the one mapping of Okta's answers to PS_OKTA_ERROR,
 * the status semantics and the value helpers of the Okta client
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <libsoup/soup.h>

#include "ps-test.h"
#include "ps-okta-client.h"

#define TOKEN "00QCjAl4MlV-WPXM-secret-token"

/* ---------------------------------------------------------------- helpers */

typedef struct {
  const char   *path;
  guint         status;
  const char   *content_type;
  const char   *body;
  const char   *www_authenticate;
  const GError *transport;
  gboolean      sent;
  gboolean      answered;
  const char   *action;
} Case;

static GError *
map (const Case *c)
{
  g_autoptr(GBytes) body = c->body != NULL ? g_bytes_new (c->body, strlen (c->body)) : NULL;
  PsOktaExchange x = {
    .method = "GET",
    .path = c->path != NULL ? c->path : "/api/v1/groups/00g1emaKYZTWRYYRRTSK/users",
    .host = "acme.okta.com",
    .status = c->status,
    .content_type = c->content_type != NULL ? c->content_type : "application/json",
    .body = body,
    .www_authenticate = c->www_authenticate,
    .transport_error = c->transport,
    .request_sent = c->sent,
    .answer_started = c->answered,
    .attempts = 6,
    .action = c->action != NULL ? c->action : "read the members of group “Staff”",
  };

  return ps_okta_error_from_http (&x);
}

static void
expect (GError     *error,
        int         code,
        const char *needle,
        const char *absent)
{
  g_assert_error (error, PS_OKTA_ERROR, code);
  g_test_message ("%s", error->message);
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_error ("“%s” not in “%s”", needle, error->message);
  if (absent != NULL && strstr (error->message, absent) != NULL)
    g_error ("“%s” should not be in “%s”", absent, error->message);
  /* never the token, never the header */
  g_assert_null (strstr (error->message, TOKEN));
  g_assert_null (strstr (error->message, "SSWS"));
  g_error_free (error);
}

static char *
okta_body (const char *code,
           const char *summary)
{
  return g_strdup_printf ("{\"errorCode\":\"%s\",\"errorSummary\":\"%s\",\"errorLink\":\"%s\","
                          "\"errorId\":\"oaehhZVvfglR-GnSbcOQDCm6g\",\"errorCauses\":[]}",
                          code, summary, code);
}

static void
check_okta (guint       status,
            const char *code,
            int         expected,
            const char *needle)
{
  g_autofree char *body = code != NULL ? okta_body (code, "Some summary.") : NULL;
  Case c = { .status = status, .body = body, .sent = TRUE, .answered = TRUE };

  /* Raw detail (the errorId) stays out of the message. */
  expect (map (&c), expected, needle, "oaehhZVvfglR");
}

/* ---------------------------------------------------------------- errors */

static void
test_okta_errors (void)
{
  check_okta (401, "E0000011", PS_OKTA_ERROR_AUTH, "refused the API token (401 E0000011)");
  check_okta (401, NULL, PS_OKTA_ERROR_AUTH, "okta-api-token");
  check_okta (403, "E0000006", PS_OKTA_ERROR_PERMISSION,
              "may not read the members of group “Staff” (403 E0000006)");
  check_okta (403, "E0000006", PS_OKTA_ERROR_PERMISSION, "Read-Only Administrator");
  check_okta (404, "E0000007", PS_OKTA_ERROR_NOT_FOUND, "Okta has no such object (404 E0000007)");
  check_okta (429, "E0000047", PS_OKTA_ERROR_THROTTLED, "after 6 attempts");
  check_okta (400, "E0000031", PS_OKTA_ERROR_INVALID_SEARCH, "Filter");
  check_okta (400, "E0000030", PS_OKTA_ERROR_INVALID_SEARCH, "400 E0000030");
  check_okta (400, "E0000001", PS_OKTA_ERROR_INVALID_REQUEST, "Okta said: “Some summary.”");
  check_okta (500, "E0000009", PS_OKTA_ERROR_UNAVAILABLE, "500 E0000009 after 6 attempts");
  check_okta (503, NULL, PS_OKTA_ERROR_UNAVAILABLE, "status.okta.com");
  check_okta (302, NULL, PS_OKTA_ERROR_UNEXPECTED, "does not expect");

  /* the cause is said, the error id is not */
  {
    Case c = { .status = 400, .sent = TRUE, .answered = TRUE,
               .body = "{\"errorCode\":\"E0000031\",\"errorSummary\":\"Invalid search criteria.\","
                       "\"errorId\":\"abc123\",\"errorCauses\":[{\"errorSummary\":"
                       "\"Invalid operator ne\"}]}" };
    expect (map (&c), PS_OKTA_ERROR_INVALID_SEARCH, "Invalid operator ne", "abc123");
  }
  /* an OAuth token without a scope: 403, no body, the scope in the challenge */
  {
    Case c = { .status = 403, .sent = TRUE, .answered = TRUE, .body = "",
               .www_authenticate = "Bearer authorization_uri=\"http://acme.okta.com/oauth2/v1/"
                                   "authorize\", realm=\"http://acme.okta.com\", "
                                   "scope=\"okta.groups.read\", error=\"insufficient_scope\", "
                                   "error_description=\"The access token provided does not "
                                   "contain the required scopes.\"" };
    expect (map (&c), PS_OKTA_ERROR_PERMISSION, "lacks the scope okta.groups.read", NULL);
  }
}

static void
test_bodies (void)
{
  /* a sign-in page or a proxy's page instead of JSON */
  {
    Case c = { .status = 200, .content_type = "text/html", .sent = TRUE, .answered = TRUE,
               .body = "<!DOCTYPE html><html><body>Sign In</body></html>" };
    expect (map (&c), PS_OKTA_ERROR_UNEXPECTED, "web page instead of data (HTTP 200)", NULL);
  }
  {
    Case c = { .status = 403, .content_type = "application/json", .sent = TRUE,
               .answered = TRUE, .body = "  <html>Forbidden by proxy</html>" };
    expect (map (&c), PS_OKTA_ERROR_UNEXPECTED, "web page", NULL);
  }
  /* a gateway's error page still says unavailable */
  {
    Case c = { .status = 502, .content_type = "text/html", .sent = TRUE, .answered = TRUE,
               .body = "<html>Bad gateway</html>" };
    expect (map (&c), PS_OKTA_ERROR_UNAVAILABLE, "502", NULL);
  }
  /* a cut-off list */
  {
    Case c = { .status = 200, .sent = TRUE, .answered = TRUE, .body = "[{\"id\":\"00u1\",\"sta" };
    expect (map (&c), PS_OKTA_ERROR_UNEXPECTED, "cut off or malformed", NULL);
  }
  {
    Case c = { .status = 200, .sent = TRUE, .answered = TRUE, .body = "" };
    expect (map (&c), PS_OKTA_ERROR_UNEXPECTED, "cut off or malformed (0 bytes)", NULL);
  }
  /* fine: an object, an array, an empty array */
  {
    Case ok1 = { .status = 200, .sent = TRUE, .answered = TRUE, .body = "{\"id\":\"00u1\"}" };
    Case ok2 = { .status = 200, .sent = TRUE, .answered = TRUE, .body = "[]" };
    g_assert_null (map (&ok1));
    g_assert_null (map (&ok2));
  }
  {
    g_autoptr(GBytes) body = g_bytes_new_static ("{\"errorCode\":\"E0000011\"}", 24);
    g_autofree char *code = ps_okta_error_code (body);
    g_assert_cmpstr (code, ==, "E0000011");
  }
}

static void
test_transport (void)
{
  {
    g_autoptr(GError) e = g_error_new_literal (G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
                                               "Name or service not known");
    Case c = { .transport = e };
    expect (map (&c), PS_OKTA_ERROR_HOST_NOT_FOUND, "Cannot find the host acme.okta.com", NULL);
  }
  {
    g_autoptr(GError) e = g_error_new_literal (G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                                               "Unacceptable TLS certificate");
    Case c = { .transport = e };
    expect (map (&c), PS_OKTA_ERROR_TLS, "CAFile", NULL);
  }
  {
    g_autoptr(GError) e = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED,
                                               "Connection refused");
    Case c = { .transport = e };
    expect (map (&c), PS_OKTA_ERROR_UNREACHABLE, "is unreachable (Connection refused)", NULL);
  }
  {
    g_autoptr(GError) e = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "timed out");
    Case c = { .transport = e };
    expect (map (&c), PS_OKTA_ERROR_UNREACHABLE, "did not take the connection in time", NULL);
  }
  {
    g_autoptr(GError) e = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                               "Connection terminated unexpectedly");
    Case c = { .transport = e, .sent = TRUE };
    expect (map (&c), PS_OKTA_ERROR_UNREACHABLE, "closed before it answered", NULL);
  }
  {
    g_autoptr(GError) e = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                                               "Connection terminated unexpectedly");
    Case c = { .transport = e, .sent = TRUE, .answered = TRUE };
    expect (map (&c), PS_OKTA_ERROR_UNREACHABLE, "lost while reading", NULL);
  }
  {
    g_autoptr(GError) e = g_error_new_literal (SOUP_SESSION_ERROR, SOUP_SESSION_ERROR_PARSING,
                                               "Could not parse HTTP response");
    Case c = { .transport = e, .sent = TRUE };
    expect (map (&c), PS_OKTA_ERROR_UNEXPECTED, "not HTTP", NULL);
  }
  {
    g_autoptr(GError) e = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
    Case c = { .transport = e };
    g_autoptr(GError) out = map (&c);
    g_assert_error (out, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  }
}

static void
test_fatal (void)
{
  g_autoptr(GError) auth = g_error_new_literal (PS_OKTA_ERROR, PS_OKTA_ERROR_AUTH, "x");
  g_autoptr(GError) permission = g_error_new_literal (PS_OKTA_ERROR, PS_OKTA_ERROR_PERMISSION, "x");
  g_autoptr(GError) throttled = g_error_new_literal (PS_OKTA_ERROR, PS_OKTA_ERROR_THROTTLED, "x");
  g_autoptr(GError) partial = g_error_new_literal (PS_OKTA_ERROR, PS_OKTA_ERROR_PARTIAL, "x");

  g_assert_true (ps_okta_error_is_fatal (auth));
  g_assert_true (ps_okta_error_is_fatal (permission));
  g_assert_false (ps_okta_error_is_fatal (throttled));
  g_assert_true (ps_okta_error_is_transient (throttled));
  g_assert_false (ps_okta_error_is_transient (auth));
  g_assert_false (ps_okta_error_is_transient (partial));
}

/* ---------------------------------------------------------------- statuses */

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
test_statuses (void)
{
  static const struct {
    const char        *status;
    PsOktaStatusClass  klass;
  } table[] = {
    { "ACTIVE", PS_OKTA_STATUS_AT_WORK },
    { "PROVISIONED", PS_OKTA_STATUS_AT_WORK },
    { "RECOVERY", PS_OKTA_STATUS_AT_WORK },
    { "PASSWORD_EXPIRED", PS_OKTA_STATUS_AT_WORK },
    { "LOCKED_OUT", PS_OKTA_STATUS_AT_WORK },
    { "SUSPENDED", PS_OKTA_STATUS_DISABLED },
    { "DEPROVISIONED", PS_OKTA_STATUS_DISABLED },
    { "STAGED", PS_OKTA_STATUS_NOT_YET },
    /* never guessed */
    { "active", PS_OKTA_STATUS_UNKNOWN },
    { "ARCHIVED", PS_OKTA_STATUS_UNKNOWN },
    { "", PS_OKTA_STATUS_UNKNOWN },
    { NULL, PS_OKTA_STATUS_UNKNOWN },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    g_assert_cmpint (ps_okta_status_classify (table[i].status), ==, table[i].klass);

  /* a status on the way counts as reached */
  {
    g_autoptr(JsonObject) u = parse_object ("{\"id\":\"00u1\",\"status\":\"ACTIVE\","
                                            "\"transitioningToStatus\":\"DEPROVISIONED\"}");
    g_assert_cmpstr (ps_okta_user_get_status (u), ==, "DEPROVISIONED");
  }
  {
    g_autoptr(JsonObject) u = parse_object ("{\"id\":\"00u1\",\"status\":\"SUSPENDED\","
                                            "\"transitioningToStatus\":null}");
    g_assert_cmpstr (ps_okta_user_get_status (u), ==, "SUSPENDED");
  }
  {
    g_autoptr(JsonObject) u = parse_object ("{\"id\":\"00u1\"}");
    g_assert_null (ps_okta_user_get_status (u));
  }
}

/* ---------------------------------------------------------------- values */

static void
test_values (void)
{
  g_autoptr(JsonObject) u = parse_object (
    "{\"id\":\"00u118oQYT4TBTemp0g4\",\"status\":\"ACTIVE\",\"created\":\"2022-04-04T15:56:05.000Z\","
    "\"lastLogin\":null,\"profile\":{\"login\":\"alice@example.com\",\"email\":\"alice@example.com\","
    "\"secondEmail\":null,\"firstName\":\"Alice\",\"lastName\":\"Smith\",\"department\":\"\","
    "\"employeeNumber\":4711,\"isContractor\":false,\"status\":\"custom status\","
    "\"phones\":[\"\",\"+1 555 0100\"],\"address\":{\"city\":\"Austin\"},\"Custom_Attr\":\"x\"}}");
  g_autofree char *v = NULL;

  g_assert_cmpstr (ps_okta_user_get_id (u), ==, "00u118oQYT4TBTemp0g4");
#define CHECK(name, expected) \
  G_STMT_START { g_free (v); v = ps_okta_user_get_string (u, name); \
                 g_assert_cmpstr (v, ==, expected); } G_STMT_END
  CHECK ("email", "alice@example.com");
  CHECK ("profile.email", "alice@example.com");
  CHECK ("firstName", "Alice");
  CHECK ("FIRSTNAME", "Alice");               /* matched ignoring case */
  CHECK ("id", "00u118oQYT4TBTemp0g4");       /* the user's own properties */
  CHECK ("status", "ACTIVE");
  CHECK ("profile.status", "custom status");  /* … unless profile. says otherwise */
  CHECK ("created", "2022-04-04T15:56:05.000Z");
  CHECK ("lastLogin", NULL);
  CHECK ("secondEmail", NULL);
  CHECK ("department", NULL);                 /* empty is absent */
  CHECK ("employeeNumber", "4711");
  CHECK ("isContractor", "false");
  CHECK ("phones", "+1 555 0100");
  CHECK ("address", NULL);
  CHECK ("custom_attr", "x");
  CHECK ("missing", NULL);
#undef CHECK

  g_assert_true (ps_okta_user_has_attribute (u, "secondEmail"));
  g_assert_true (ps_okta_user_has_attribute (u, "profile.department"));
  g_assert_true (ps_okta_user_has_attribute (u, "id"));
  g_assert_false (ps_okta_user_has_attribute (u, "costCentre"));

  g_assert_true (ps_okta_id_is_valid ("00u118oQYT4TBTemp0g4", "00u"));
  g_assert_false (ps_okta_id_is_valid ("00u118oQYT4TBTemp0g4", "00g"));
  g_assert_false (ps_okta_id_is_valid ("00u118oQYT4TBTemp0g", "00u"));
  g_assert_false (ps_okta_id_is_valid ("00u118oQYT4TBTe-p0g4", NULL));
  g_assert_false (ps_okta_id_is_valid (NULL, NULL));

  g_assert_true (g_strv_contains (ps_okta_user_attribute_names (), "employeeNumber"));
  g_assert_true (g_strv_contains (ps_okta_user_attribute_names (), "email"));
}

static void
test_group_json (void)
{
  g_autoptr(JsonObject) o = parse_object (
    "{\"id\":\"00g1emaKYZTWRYYRRTSK\",\"type\":\"OKTA_GROUP\",\"profile\":{\"name\":\"West\","
    "\"description\":\"All users West of The Rockies\"}}");
  g_autoptr(JsonObject) bad = parse_object ("{\"profile\":{\"name\":\"x\"}}");
  g_autoptr(PsOktaGroup) g = ps_okta_group_new_from_json (o);

  g_assert_cmpstr (g->id, ==, "00g1emaKYZTWRYYRRTSK");
  g_assert_cmpstr (g->name, ==, "West");
  g_assert_cmpstr (g->description, ==, "All users West of The Rockies");
  g_assert_cmpstr (g->type, ==, "OKTA_GROUP");
  g_assert_null (ps_okta_group_new_from_json (bad));
}

/* ---------------------------------------------------------------- links */

static void
test_links (void)
{
  static const struct {
    const char *header;
    const char *next;
  } table[] = {
    /* two link: lines, joined by libsoup */
    { "<https://acme.okta.com/api/v1/users?limit=200>; rel=\"self\", "
      "<https://acme.okta.com/api/v1/users?after=00ud4tVDDXYVKPXKVLCO&limit=200>; rel=\"next\"",
      "https://acme.okta.com/api/v1/users?after=00ud4tVDDXYVKPXKVLCO&limit=200" },
    /* next first, rel unquoted, odd spacing and case */
    { "<https://a.example/n?after=x%2Cy&limit=2>;rel=NEXT ,<https://a.example/s>; rel=self",
      "https://a.example/n?after=x%2Cy&limit=2" },
    /* a comma inside the URL does not split it */
    { "<https://a.example/s>; rel=\"self\", <https://a.example/n?after=a,b>; rel=\"next\"",
      "https://a.example/n?after=a,b" },
    /* other parameters around rel */
    { "<https://a.example/n?after=1>; title=\"x, y\"; rel=\"next\"; type=\"application/json\"",
      "https://a.example/n?after=1" },
    /* several rels */
    { "<https://a.example/n?after=2>; rel=\"prefetch next\"", "https://a.example/n?after=2" },
    /* the last page: self only */
    { "<https://acme.okta.com/api/v1/users?limit=200>; rel=\"self\"", NULL },
    { "", NULL },
    { "garbage", NULL },
    { "<https://a.example/n", NULL },
    { NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_autofree char *next = ps_okta_link_next (table[i].header);
      g_assert_cmpstr (next, ==, table[i].next);
    }
}

/* ---------------------------------------------------------------- config */

static void
test_config (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsOktaClient) client = NULL;
  PsOktaClientConfig config = { 0 };

  config.org_url = (char *) "https://acme.okta.com/api/v1";
  client = ps_okta_client_new (&config, TOKEN, &error);
  g_assert_null (client);
  g_assert_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "remove “/api/v1”"));
  g_clear_error (&error);

  config.org_url = (char *) "https://acme.okta.com/";
  client = ps_okta_client_new (&config, "", &error);
  g_assert_null (client);
  g_assert_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "set-secret okta-api-token"));
  g_clear_error (&error);

  config.ca_file = (char *) "/nonexistent/ca.pem";
  client = ps_okta_client_new (&config, TOKEN, &error);
  g_assert_null (client);
  g_assert_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_CONFIG);
  g_clear_error (&error);

  config.ca_file = NULL;
  client = ps_okta_client_new (&config, TOKEN, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ps_okta_client_get_org_url (client), ==, "https://acme.okta.com");
  g_assert_false (ps_okta_client_get_rate_limit (client, NULL, NULL));
}

int
main (int    argc,
      char **argv)
{
  ps_test_init (&argc, &argv);

  g_test_add_func ("/okta/errors/okta", test_okta_errors);
  g_test_add_func ("/okta/errors/bodies", test_bodies);
  g_test_add_func ("/okta/errors/transport", test_transport);
  g_test_add_func ("/okta/errors/fatal", test_fatal);
  g_test_add_func ("/okta/values/statuses", test_statuses);
  g_test_add_func ("/okta/values/user", test_values);
  g_test_add_func ("/okta/values/group", test_group_json);
  g_test_add_func ("/okta/values/links", test_links);
  g_test_add_func ("/okta/client/config", test_config);
  return g_test_run ();
}
