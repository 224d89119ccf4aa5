/* test-entra-errors.c — the one mapping of OAuth/Graph answers to PS_ENTRA_ERROR,
 * and the value helpers of the Graph client
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <libsoup/soup.h>

#include "ps-test.h"
#include "ps-graph-client.h"
#include "ps-http-util.h"

#define TENANT    "contoso.onmicrosoft.com"
#define CLIENT_ID "11111111-2222-3333-4444-555555555555"

/* ---------------------------------------------------------------- helpers */

typedef struct {
  const char   *method;
  const char   *path;
  guint         status;
  const char   *content_type;
  const char   *body;
  const GError *transport;
  gboolean      sent;
  gboolean      answered;
  gboolean      token;
  gboolean      delta;
  const char   *permission;
  const char   *action;
  gboolean      secret_is_id;
} Case;

static GError *
map (const Case *c)
{
  g_autoptr(GBytes) body = c->body != NULL ? g_bytes_new (c->body, strlen (c->body)) : NULL;
  PsEntraExchange x = {
    .method = c->method != NULL ? c->method : "GET",
    .path = c->path != NULL ? c->path : "/v1.0/users",
    .host = c->token ? "login.microsoftonline.com" : "graph.microsoft.com",
    .status = c->status,
    .content_type = c->content_type != NULL ? c->content_type : "application/json",
    .body = body,
    .transport_error = c->transport,
    .request_sent = c->sent,
    .answer_started = c->answered,
    .attempts = 6,
    .token_request = c->token,
    .delta = c->delta,
    .permission = c->permission,
    .action = c->action,
    .tenant = TENANT,
    .client_id = CLIENT_ID,
    .graph_base = "https://graph.microsoft.com",
    .secret_looks_like_id = c->secret_is_id,
  };

  return ps_entra_error_from_http (&x);
}

static void
expect (GError     *error,
        int         code,
        const char *needle,
        const char *absent)
{
  g_assert_error (error, PS_ENTRA_ERROR, code);
  g_test_message ("%s", error->message);
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_error ("“%s” not in “%s”", needle, error->message);
  if (absent != NULL && strstr (error->message, absent) != NULL)
    g_error ("“%s” should not be in “%s”", absent, error->message);
  g_error_free (error);
}

/* A token endpoint answer of the §1.4 shape. */
static char *
token_body (const char *error,
            gint64      code)
{
  return g_strdup_printf ("{\"error\":\"%s\",\"error_description\":\"AADSTS%" G_GINT64_FORMAT
                          ": Something. Trace ID: 0f3c\\r\\nCorrelation ID: 9a1\\r\\nTimestamp: "
                          "2026-01-01 00:00:00Z\",\"error_codes\":[%" G_GINT64_FORMAT "],"
                          "\"timestamp\":\"2026-01-01 00:00:00Z\",\"trace_id\":\"0f3c\","
                          "\"correlation_id\":\"9a1\",\"error_uri\":"
                          "\"https://login.microsoftonline.com/error?code=%" G_GINT64_FORMAT "\"}",
                          error, code, code, code);
}

static void
check_token (guint       status,
             const char *oauth_error,
             gint64      code,
             gboolean    secret_is_id,
             int         expected,
             const char *needle)
{
  g_autofree char *body = token_body (oauth_error, code);
  Case c = {
    .method = "POST", .path = "/" TENANT "/oauth2/v2.0/token", .status = status,
    .body = body, .sent = TRUE, .answered = TRUE, .token = TRUE, .secret_is_id = secret_is_id,
  };

  /* Raw detail (description, trace ids) stays out of the message. */
  expect (map (&c), expected, needle, "Trace ID");
}

static char *
graph_body (const char *code,
            const char *message)
{
  return g_strdup_printf ("{\"error\":{\"code\":\"%s\",\"message\":\"%s\",\"innerError\":"
                          "{\"date\":\"2026-01-01T00:00:00\",\"request-id\":\"fba2\","
                          "\"client-request-id\":\"fba2\"}}}", code, message);
}

static void
check_graph (guint       status,
             const char *code,
             const char *permission,
             gboolean    delta,
             int         expected,
             const char *needle)
{
  g_autofree char *body = code != NULL ? graph_body (code, "Some message.") : NULL;
  Case c = {
    .path = "/v1.0/groups/abc/transitiveMembers", .status = status, .body = body,
    .sent = TRUE, .answered = TRUE, .delta = delta, .permission = permission,
    .action = "read the members of group abc",
  };

  expect (map (&c), expected, needle, NULL);
}

/* ---------------------------------------------------------------- the token endpoint */

static void
test_token_errors (void)
{
  check_token (400, "invalid_tenant", 90002, FALSE, PS_ENTRA_ERROR_TENANT_NOT_FOUND,
               "does not know the tenant “" TENANT "”");
  /* The 2020 spelling of the same error. */
  check_token (400, "invalid_request", 90002, FALSE, PS_ENTRA_ERROR_TENANT_NOT_FOUND,
               "cloud");
  check_token (400, "invalid_request", 900023, FALSE, PS_ENTRA_ERROR_TENANT_NOT_FOUND,
               "neither a tenant ID nor a verified domain");
  check_token (400, "unauthorized_client", 700016, FALSE, PS_ENTRA_ERROR_CLIENT_NOT_FOUND,
               "client ID “" CLIENT_ID "”");
  check_token (401, "invalid_client", 7000215, FALSE, PS_ENTRA_ERROR_INVALID_SECRET,
               "not its Secret ID");
  check_token (401, "invalid_client", 7000215, TRUE, PS_ENTRA_ERROR_INVALID_SECRET,
               "looks like a Secret ID");
  check_token (401, "invalid_client", 7000222, FALSE, PS_ENTRA_ERROR_SECRET_EXPIRED,
               "has expired");
  check_token (401, "invalid_client", 700027, FALSE, PS_ENTRA_ERROR_INVALID_CERTIFICATE,
               "Upload the certificate");
  check_token (401, "invalid_client", 700021, FALSE, PS_ENTRA_ERROR_INVALID_CERTIFICATE,
               "AADSTS700021");
  check_token (400, "invalid_scope", 70011, FALSE, PS_ENTRA_ERROR_INVALID_SCOPE,
               "https://graph.microsoft.com/.default");
  check_token (401, "invalid_client", 7000216, FALSE, PS_ENTRA_ERROR_AUTH,
               "neither a client secret nor a certificate");
  /* Branch on error and error_codes, not the description. */
  check_token (400, "invalid_scope", 0, FALSE, PS_ENTRA_ERROR_INVALID_SCOPE, "same cloud");
  check_token (400, "invalid_tenant", 0, FALSE, PS_ENTRA_ERROR_TENANT_NOT_FOUND, "tenant");
  check_token (503, "temporarily_unavailable", 0, FALSE, PS_ENTRA_ERROR_UNAVAILABLE,
               "unavailable");
  check_token (401, "invalid_client", 123456, FALSE, PS_ENTRA_ERROR_AUTH, "AADSTS123456");
  check_token (400, "invalid_grant", 0, FALSE, PS_ENTRA_ERROR_AUTH, "invalid_grant");

  {
    Case c = { .method = "POST", .path = "/x/oauth2/v2.0/token", .status = 404,
               .content_type = "text/plain", .body = "Not Found", .sent = TRUE,
               .answered = TRUE, .token = TRUE };
    expect (map (&c), PS_ENTRA_ERROR_UNEXPECTED, "Check the sign-in URL", NULL);
  }
  {
    Case c = { .method = "POST", .path = "/x/oauth2/v2.0/token", .status = 200,
               .content_type = "text/html", .body = "<html>Sign in</html>", .sent = TRUE,
               .answered = TRUE, .token = TRUE };
    expect (map (&c), PS_ENTRA_ERROR_UNEXPECTED, "web page", NULL);
  }
  {
    Case c = { .method = "POST", .path = "/x/oauth2/v2.0/token", .status = 429,
               .body = "{}", .sent = TRUE, .answered = TRUE, .token = TRUE };
    expect (map (&c), PS_ENTRA_ERROR_THROTTLED, "too many", NULL);
  }
}

/* ---------------------------------------------------------------- Graph */

static void
test_graph_errors (void)
{
  check_graph (403, "Authorization_RequestDenied", "GroupMember.Read.All", FALSE,
               PS_ENTRA_ERROR_PERMISSION, "application permission GroupMember.Read.All");
  check_graph (403, "Authorization_RequestDenied", "User.Read.All", FALSE,
               PS_ENTRA_ERROR_PERMISSION, "may not read the members of group abc");
  check_graph (403, "Authorization_RequestDenied", NULL, FALSE, PS_ENTRA_ERROR_PERMISSION,
               "User.Read.All and GroupMember.Read.All");
  check_graph (403, "insufficient_claims", "User.Read.All", FALSE, PS_ENTRA_ERROR_PERMISSION,
               "Conditional Access");
  check_graph (401, "InvalidAuthenticationToken", NULL, FALSE, PS_ENTRA_ERROR_AUTH,
               "same cloud");
  check_graph (404, "Request_ResourceNotFound", NULL, FALSE, PS_ENTRA_ERROR_NOT_FOUND,
               "does not exist");
  check_graph (429, "TooManyRequests", NULL, FALSE, PS_ENTRA_ERROR_THROTTLED,
               "after 6 attempts");
  check_graph (503, "serviceNotAvailable", NULL, FALSE, PS_ENTRA_ERROR_UNAVAILABLE,
               "503 serviceNotAvailable");
  check_graph (504, NULL, NULL, FALSE, PS_ENTRA_ERROR_UNAVAILABLE, "504");
  check_graph (500, "generalException", NULL, FALSE, PS_ENTRA_ERROR_UNAVAILABLE, "500");
  check_graph (400, "Request_BadRequest", NULL, FALSE, PS_ENTRA_ERROR_INVALID_REQUEST,
               "Microsoft Graph said: “Some message.”");
  check_graph (501, "NotImplemented", NULL, FALSE, PS_ENTRA_ERROR_INVALID_REQUEST,
               "one user at a time");
  check_graph (418, "Teapot", NULL, FALSE, PS_ENTRA_ERROR_UNEXPECTED, "does not expect");

  /* Expired delta tokens, in every shape of §4.4. */
  check_graph (400, "syncStateNotFound", NULL, TRUE, PS_ENTRA_ERROR_RESYNC_REQUIRED,
               "7 days");
  check_graph (410, "SyncStateNotFound", NULL, TRUE, PS_ENTRA_ERROR_RESYNC_REQUIRED,
               "read again");
  check_graph (410, "resyncRequired", NULL, TRUE, PS_ENTRA_ERROR_RESYNC_REQUIRED, "read again");
  check_graph (410, NULL, NULL, TRUE, PS_ENTRA_ERROR_RESYNC_REQUIRED, "410");
  check_graph (404, "resyncApplyDifferences", NULL, TRUE, PS_ENTRA_ERROR_RESYNC_REQUIRED,
               "read again");
  /* A 410 outside a delta round is no resync. */
  check_graph (410, NULL, NULL, FALSE, PS_ENTRA_ERROR_NOT_FOUND, "gone");
  {
    Case c = {
      .status = 400, .sent = TRUE, .answered = TRUE, .delta = TRUE,
      .body = "{\"error\":{\"code\":\"badRequest\",\"message\":\"x\",\"innerError\":"
              "{\"code\":\"syncStateNotFound\"}}}",
    };
    expect (map (&c), PS_ENTRA_ERROR_RESYNC_REQUIRED, NULL, NULL);
  }

  g_assert_true (ps_entra_error_code_is_resync ("syncStateNotFound"));
  g_assert_true (ps_entra_error_code_is_resync ("RESYNCREQUIRED"));
  g_assert_false (ps_entra_error_code_is_resync ("Request_BadRequest"));
  g_assert_false (ps_entra_error_code_is_resync (NULL));
  {
    g_autofree char *text = graph_body ("InvalidAuthenticationToken", "Access token has expired.");
    g_autoptr(GBytes) body = g_bytes_new (text, strlen (text));
    g_autofree char *code = ps_entra_error_graph_code (body);

    g_assert_cmpstr (code, ==, "InvalidAuthenticationToken");
  }
}

static void
test_bodies (void)
{
  /* 2xx: JSON objects and empty bodies are fine. */
  {
    Case c = { .status = 200, .body = "{\"value\":[]}", .sent = TRUE, .answered = TRUE };
    g_assert_no_error (map (&c));
  }
  {
    Case c = { .status = 204, .sent = TRUE, .answered = TRUE };
    g_assert_no_error (map (&c));
  }
  /* Cut off and malformed 2xx bodies. */
  {
    Case c = { .status = 200, .body = "{\"value\":[{\"id\":\"1\",\"mail", .sent = TRUE,
               .answered = TRUE };
    expect (map (&c), PS_ENTRA_ERROR_UNEXPECTED, "cut off or malformed", NULL);
  }
  {
    Case c = { .status = 200, .body = "[1,2,3]", .sent = TRUE, .answered = TRUE };
    expect (map (&c), PS_ENTRA_ERROR_UNEXPECTED, "after 6 attempts", NULL);
  }
  /* A web page is named as such, whatever its status… */
  {
    Case c = { .status = 200, .content_type = "text/html; charset=utf-8",
               .body = "<!DOCTYPE html><html>Sign in to continue</html>", .sent = TRUE,
               .answered = TRUE };
    expect (map (&c), PS_ENTRA_ERROR_UNEXPECTED, "web page", NULL);
  }
  {
    Case c = { .status = 403, .content_type = "application/octet-stream",
               .body = "\xef\xbb\xbf  <html>Blocked by proxy</html>", .sent = TRUE,
               .answered = TRUE };
    expect (map (&c), PS_ENTRA_ERROR_UNEXPECTED, "proxy", NULL);
  }
  /* … unless it says the service is unavailable (a gateway's page). */
  {
    Case c = { .status = 502, .content_type = "text/html", .body = "<html>Bad Gateway</html>",
               .sent = TRUE, .answered = TRUE };
    expect (map (&c), PS_ENTRA_ERROR_UNAVAILABLE, "502", NULL);
  }
  {
    g_autoptr(GBytes) page = g_bytes_new_static ("  <html>", 8);

    g_assert_true (ps_http_is_web_page (NULL, page));
  }
  g_assert_false (ps_http_is_web_page ("application/json", NULL));
}

static void
test_transport (void)
{
  g_autoptr(GError) resolve = g_error_new_literal (G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
                                                    "Name or service not known");
  g_autoptr(GError) refused = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED,
                                                    "Connection refused");
  g_autoptr(GError) timeout = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                                    "Socket I/O timed out");
  g_autoptr(GError) closed = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                                   "Connection terminated unexpectedly");
  g_autoptr(GError) tls = g_error_new_literal (G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                                                "Unacceptable TLS certificate");
  g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                      "Operation was cancelled");
  g_autoptr(GError) parsing = g_error_new_literal (SOUP_SESSION_ERROR,
                                                    SOUP_SESSION_ERROR_PARSING, "bad");

  {
    Case c = { .transport = resolve };
    expect (map (&c), PS_ENTRA_ERROR_UNREACHABLE, "Cannot find the host graph.microsoft.com",
            NULL);
  }
  {
    Case c = { .transport = refused };
    expect (map (&c), PS_ENTRA_ERROR_UNREACHABLE, "Microsoft Graph at graph.microsoft.com is "
            "unreachable", NULL);
  }
  {
    Case c = { .transport = refused, .token = TRUE, .method = "POST" };
    expect (map (&c), PS_ENTRA_ERROR_UNREACHABLE, "sign-in service at login.microsoftonline.com",
            NULL);
  }
  {
    Case c = { .transport = timeout };
    expect (map (&c), PS_ENTRA_ERROR_UNREACHABLE, "did not take the connection in time", NULL);
  }
  {
    Case c = { .transport = timeout, .sent = TRUE };
    expect (map (&c), PS_ENTRA_ERROR_UNREACHABLE, "did not answer", NULL);
  }
  {
    Case c = { .transport = closed, .sent = TRUE };
    expect (map (&c), PS_ENTRA_ERROR_UNREACHABLE, "closed before it answered", NULL);
  }
  {
    Case c = { .transport = closed, .sent = TRUE, .answered = TRUE };
    expect (map (&c), PS_ENTRA_ERROR_UNREACHABLE, "lost while reading", NULL);
  }
  {
    Case c = { .transport = tls };
    expect (map (&c), PS_ENTRA_ERROR_TLS, "CAFile", NULL);
  }
  {
    Case c = { .transport = parsing, .sent = TRUE };
    expect (map (&c), PS_ENTRA_ERROR_UNEXPECTED, "not HTTP", NULL);
  }
  {
    Case c = { .transport = cancelled };
    g_autoptr(GError) error = map (&c);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  }
}

static void
test_fatal (void)
{
  g_autoptr(GError) auth = g_error_new_literal (PS_ENTRA_ERROR, PS_ENTRA_ERROR_INVALID_SECRET, "x");
  g_autoptr(GError) permission = g_error_new_literal (PS_ENTRA_ERROR, PS_ENTRA_ERROR_PERMISSION, "x");
  g_autoptr(GError) throttled = g_error_new_literal (PS_ENTRA_ERROR, PS_ENTRA_ERROR_THROTTLED, "x");
  g_autoptr(GError) resync = g_error_new_literal (PS_ENTRA_ERROR, PS_ENTRA_ERROR_RESYNC_REQUIRED, "x");
  g_autoptr(GError) other = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "x");

  g_assert_true (ps_entra_error_is_fatal (auth));
  g_assert_true (ps_entra_error_is_fatal (permission));
  g_assert_false (ps_entra_error_is_fatal (throttled));
  g_assert_false (ps_entra_error_is_fatal (resync));
  g_assert_false (ps_entra_error_is_fatal (other));
  g_assert_true (ps_entra_error_is_transient (throttled));
  g_assert_false (ps_entra_error_is_transient (resync));
}

/* ---------------------------------------------------------------- value helpers */

static JsonObject *
object_from (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
assert_string (JsonObject *user,
               const char *name,
               const char *expected)
{
  g_autofree char *value = ps_graph_user_get_string (user, name);

  g_assert_cmpstr (value, ==, expected);
}

static void
test_values (void)
{
  g_autoptr(JsonObject) user = object_from (
    "{\"@odata.type\":\"#microsoft.graph.user\",\"id\":\"6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0\","
    "\"userPrincipalName\":\"adams@contoso.com\",\"mail\":null,\"accountEnabled\":false,"
    "\"businessPhones\":[\"\",\"+1 425 555 0109\",\"+1 425 555 0110\"],\"otherMails\":[],"
    "\"department\":\"\",\"employeeId\":\"E-1\",\"age\":42,\"ratio\":0.5,"
    "\"onPremisesExtensionAttributes\":{\"extensionAttribute1\":\"Cost 7\","
    "\"extensionAttribute2\":null},\"employeeOrgData\":null,\"manager\":{\"id\":\"x\"}}");
  g_autoptr(JsonObject) unknown = object_from ("{\"id\":\"1\"}");
  g_autoptr(JsonObject) removed = object_from ("{\"id\":\"1\",\"@removed\":{\"reason\":\"changed\"}}");
  g_autoptr(JsonObject) purged = object_from ("{\"id\":\"1\",\"@removed\":{}}");
  g_autoptr(JsonObject) group = object_from (
    "{\"id\":\"g1\",\"members@delta\":[{\"@odata.type\":\"#microsoft.graph.user\",\"id\":\"u1\","
    "\"@removed\":{\"reason\":\"deleted\"}}]}");
  gboolean enabled = TRUE;

  g_assert_cmpstr (ps_graph_object_get_id (user), ==, "6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0");
  g_assert_true (ps_graph_user_get_enabled (user, &enabled));
  g_assert_false (enabled);
  g_assert_false (ps_graph_user_get_enabled (unknown, &enabled));

  assert_string (user, "userPrincipalName", "adams@contoso.com");
  assert_string (user, "USERPRINCIPALNAME", "adams@contoso.com");
  assert_string (user, "mail", NULL);
  assert_string (user, "department", NULL);
  assert_string (user, "surname", NULL);
  assert_string (user, "accountEnabled", "false");
  assert_string (user, "businessPhones", "+1 425 555 0109");
  assert_string (user, "otherMails", NULL);
  assert_string (user, "age", "42");
  assert_string (user, "ratio", "0.5");
  assert_string (user, "manager", NULL);
  assert_string (user, "onPremisesExtensionAttributes.extensionAttribute1", "Cost 7");
  assert_string (user, "onpremisesextensionattributes.EXTENSIONATTRIBUTE1", "Cost 7");
  assert_string (user, "onPremisesExtensionAttributes.extensionAttribute2", NULL);
  assert_string (user, "employeeOrgData.costCenter", NULL);

  g_assert_cmpint (ps_graph_object_kind (user), ==, PS_GRAPH_KIND_USER);
  g_assert_cmpint (ps_graph_object_kind (unknown), ==, PS_GRAPH_KIND_UNKNOWN);
  {
    g_autoptr(JsonObject) device = object_from ("{\"@odata.type\":\"#microsoft.graph.device\"}");
    g_autoptr(JsonObject) contact = object_from ("{\"@odata.type\":\"#microsoft.graph.orgContact\"}");
    g_autoptr(JsonObject) sp = object_from ("{\"@odata.type\":\"#microsoft.graph.servicePrincipal\"}");
    g_autoptr(JsonObject) nested = object_from ("{\"@odata.type\":\"#microsoft.graph.group\"}");
    g_autoptr(JsonObject) other = object_from ("{\"@odata.type\":\"#microsoft.graph.application\"}");

    g_assert_cmpint (ps_graph_object_kind (device), ==, PS_GRAPH_KIND_DEVICE);
    g_assert_cmpint (ps_graph_object_kind (contact), ==, PS_GRAPH_KIND_CONTACT);
    g_assert_cmpint (ps_graph_object_kind (sp), ==, PS_GRAPH_KIND_SERVICE_PRINCIPAL);
    g_assert_cmpint (ps_graph_object_kind (nested), ==, PS_GRAPH_KIND_GROUP);
    g_assert_cmpint (ps_graph_object_kind (other), ==, PS_GRAPH_KIND_OTHER);
  }

  g_assert_null (ps_graph_object_removed_reason (user));
  g_assert_cmpstr (ps_graph_object_removed_reason (removed), ==, "changed");
  g_assert_cmpstr (ps_graph_object_removed_reason (purged), ==, "deleted");
  g_assert_nonnull (ps_graph_group_members_delta (group));
  g_assert_cmpuint (json_array_get_length (ps_graph_group_members_delta (group)), ==, 1);
  g_assert_null (ps_graph_group_members_delta (user));
}

static void
test_select (void)
{
  const char *const mapped[] = { "mail", "department", "Mail", "id",
                                 "onPremisesExtensionAttributes.extensionAttribute3",
                                 "onPremisesExtensionAttributes.extensionAttribute4", NULL };
  const char *const bad[] = { "mail", "mail,password", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *select = ps_graph_select_for (mapped, &error);
  g_autofree char *none = NULL;
  const char *const *names = ps_graph_user_attribute_names ();

  g_assert_no_error (error);
  g_assert_cmpstr (select, ==, "id,accountEnabled,mail,department,onPremisesExtensionAttributes");
  none = ps_graph_select_for (bad, &error);
  g_assert_null (none);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG);

  g_assert_true (ps_graph_attribute_name_is_valid ("extension_abc123_costCenter"));
  g_assert_true (ps_graph_attribute_name_is_valid ("employeeOrgData.division"));
  g_assert_false (ps_graph_attribute_name_is_valid ("a.b.c"));
  g_assert_false (ps_graph_attribute_name_is_valid (".mail"));
  g_assert_false (ps_graph_attribute_name_is_valid ("mail."));
  g_assert_false (ps_graph_attribute_name_is_valid ("$select"));
  g_assert_false (ps_graph_attribute_name_is_valid (""));

  /* Every suggested name is valid, and the ones the brief names are there. */
  for (guint i = 0; names[i] != NULL; i++)
    g_assert_true (ps_graph_attribute_name_is_valid (names[i]));
  g_assert_true (g_strv_contains (names, "onPremisesSecurityIdentifier"));
  g_assert_true (g_strv_contains (names, "onPremisesImmutableId"));
  g_assert_true (g_strv_contains (names, "employeeId"));
  g_assert_true (g_strv_contains (ps_graph_default_user_select (), "accountEnabled"));
}

static void
test_rounds (void)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GPtrArray) second = NULL;
  g_autoptr(GPtrArray) third = NULL;
  PsGraphDeltaRound *round;

  for (guint i = 0; i < 120; i++)
    g_ptr_array_add (ids, g_strdup_printf ("g%03u", i));
  g_ptr_array_add (ids, NULL);

  /* 120 groups: rounds of 50, 50 and 20, none started. */
  first = ps_graph_delta_rounds_plan (NULL, (const char *const *) ids->pdata);
  g_assert_cmpuint (first->len, ==, 3);
  g_assert_cmpuint (((PsGraphDeltaRound *) first->pdata[0])->group_ids->len, ==, 50);
  g_assert_cmpuint (((PsGraphDeltaRound *) first->pdata[2])->group_ids->len, ==, 20);
  for (guint i = 0; i < first->len; i++)
    {
      round = g_ptr_array_index (first, i);
      g_assert_null (round->delta_link);
      round->delta_link = g_strdup_printf ("https://graph/link%u", i);
    }

  /* g000–g049 leave, g200 joins: the first round goes, the others keep
   * their links, and g200 gets a new round. */
  g_ptr_array_remove_index (ids, ids->len - 1);
  g_ptr_array_remove_range (ids, 0, 50);
  g_ptr_array_add (ids, g_strdup ("g200"));
  g_ptr_array_add (ids, NULL);
  second = ps_graph_delta_rounds_plan (first, (const char *const *) ids->pdata);
  g_assert_cmpuint (second->len, ==, 3);
  g_assert_cmpstr (((PsGraphDeltaRound *) second->pdata[0])->delta_link, ==, "https://graph/link1");
  g_assert_cmpstr (((PsGraphDeltaRound *) second->pdata[1])->delta_link, ==, "https://graph/link2");
  round = g_ptr_array_index (second, 2);
  g_assert_null (round->delta_link);
  g_assert_cmpuint (round->group_ids->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (round->group_ids, 0), ==, "g200");

  /* Nothing wanted: nothing kept. */
  third = ps_graph_delta_rounds_plan (second, NULL);
  g_assert_cmpuint (third->len, ==, 0);
}

static void
test_group_json (void)
{
  g_autoptr(JsonObject) object = object_from (
    "{\"id\":\"g1\",\"displayName\":\"Staff\",\"description\":null,\"securityEnabled\":true,"
    "\"mailEnabled\":false,\"groupTypes\":[\"Unified\",\"DynamicMembership\"]}");
  g_autoptr(JsonObject) no_id = object_from ("{\"displayName\":\"x\"}");
  g_autoptr(PsGraphGroup) group = ps_graph_group_new_from_json (object);

  g_assert_cmpstr (group->id, ==, "g1");
  g_assert_cmpstr (group->display_name, ==, "Staff");
  g_assert_null (group->description);
  g_assert_true (group->security_enabled);
  g_assert_false (group->mail_enabled);
  g_assert_true (group->unified);
  g_assert_true (group->dynamic);
  g_assert_null (ps_graph_group_new_from_json (no_id));
}

/* ---------------------------------------------------------------- the client, offline */

static void
test_config (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsGraphClient) client = NULL;
  PsEntraConfig config = { 0 };

  client = ps_graph_client_new (&config, "secret", &error);
  g_assert_null (client);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG);
  g_clear_error (&error);

  config.tenant = (char *) TENANT;
  client = ps_graph_client_new (&config, "secret", &error);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "client ID"));
  g_clear_error (&error);

  config.client_id = (char *) CLIENT_ID;
  client = ps_graph_client_new (&config, "", &error);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "secret"));
  g_clear_error (&error);

  config.tenant = (char *) "contoso/../x";
  client = ps_graph_client_new (&config, "secret", &error);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG);
  g_clear_error (&error);

  config.tenant = (char *) TENANT;
  config.graph_base = (char *) "ftp://graph.example.com";
  client = ps_graph_client_new (&config, "secret", &error);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "Graph URL"));
  g_clear_error (&error);

  /* Defaults: the global cloud. */
  config.graph_base = NULL;
  client = ps_graph_client_new (&config, "secret", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ps_graph_client_get_graph_base (client), ==, PS_GRAPH_DEFAULT_GRAPH_BASE);
  g_clear_object (&client);

  config.graph_base = (char *) "https://graph.microsoft.us/";
  client = ps_graph_client_new (&config, "secret", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ps_graph_client_get_graph_base (client), ==, "https://graph.microsoft.us");
}

/* A closed port on loopback: unreachable, named as such, quickly. */
static void
test_unreachable (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsGraphClient) client = NULL;
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autofree char *base = NULL;
  PsEntraConfig config = { 0 };
  guint16 port;

  /* Take a free port, then close it. */
  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_listener_close (listener);
  base = g_strdup_printf ("http://127.0.0.1:%u", port);

  config.tenant = (char *) TENANT;
  config.client_id = (char *) CLIENT_ID;
  config.login_base = base;
  config.graph_base = base;
  client = ps_graph_client_new (&config, "secret", &error);
  g_assert_no_error (error);
  ps_graph_client_set_retry (client, 2, 10, 20);
  g_assert_false (ps_graph_client_get_token_sync (client, NULL, &error));
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNREACHABLE);
  g_assert_nonnull (strstr (error->message, "unreachable"));
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
  g_assert_null (strstr (error->message, "secret"));
}

static void
test_cancelled (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsGraphClient) client = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  PsEntraConfig config = { 0 };

  config.tenant = (char *) TENANT;
  config.client_id = (char *) CLIENT_ID;
  config.login_base = (char *) "http://127.0.0.1:9";
  client = ps_graph_client_new (&config, "secret", &error);
  g_assert_no_error (error);
  g_cancellable_cancel (cancellable);
  g_assert_false (ps_graph_client_get_token_sync (client, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* ---------------------------------------------------------------- a fake Graph, for shapes the emulator never sends */

typedef struct {
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  SoupServer   *server;
  char         *url;
  guint         graph_requests;
  GMutex        lock;
} Fake;

static void
on_fake_request_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    const char        *path,
                    GHashTable        *query,
                    gpointer           user_data)
{
  Fake *fake = user_data;
  g_autofree char *body = NULL;
  const char *type = "application/json";
  guint status = 200;

  if (g_str_has_suffix (path, "/oauth2/v2.0/token"))
    body = g_strdup ("{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"fake-token\"}");
  else
    {
      g_mutex_lock (&fake->lock);
      fake->graph_requests++;
      g_mutex_unlock (&fake->lock);
      if (strstr (path, "/groups/untyped/") != NULL)
        body = g_strdup ("{\"value\":[{\"@odata.type\":\"#microsoft.graph.user\",\"id\":\"u1\","
                         "\"mail\":\"a@example.com\",\"accountEnabled\":true},"
                         "{\"id\":\"x1\",\"mail\":null},"
                         "42,"
                         "{\"@odata.type\":\"#microsoft.graph.application\",\"id\":\"app1\"},"
                         "{\"@odata.type\":\"#microsoft.graph.user\",\"id\":\"u1\","
                         "\"mail\":\"a@example.com\",\"accountEnabled\":true}]}");
      else if (strstr (path, "/groups/html/") != NULL)
        {
          type = "text/html";
          body = g_strdup ("<!DOCTYPE html><html><body>Please sign in</body></html>");
        }
      else if (strstr (path, "/groups/foreign/") != NULL)
        body = g_strdup ("{\"value\":[],\"@odata.nextLink\":"
                         "\"https://graph.attacker.example/v1.0/next?$skiptoken=1\"}");
      else if (g_str_has_suffix (path, "/users/delta"))
        body = g_strdup ("{\"value\":[{\"id\":\"u1\"}]}");
      else
        {
          status = 404;
          body = g_strdup ("{\"error\":{\"code\":\"Request_ResourceNotFound\",\"message\":\"x\"}}");
        }
    }
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY, body, strlen (body));
}

static gpointer
fake_thread (gpointer data)
{
  Fake *fake = data;

  g_main_context_push_thread_default (fake->context);
  g_main_loop_run (fake->loop);
  g_main_context_pop_thread_default (fake->context);
  return NULL;
}

static Fake *
fake_start (void)
{
  Fake *fake = g_new0 (Fake, 1);
  g_autoptr(GError) error = NULL;
  g_autoslist(GUri) uris = NULL;

  g_mutex_init (&fake->lock);
  fake->context = g_main_context_new ();
  fake->loop = g_main_loop_new (fake->context, FALSE);
  g_main_context_push_thread_default (fake->context);
  fake->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (fake->server, NULL, on_fake_request_cb, fake, NULL);
  soup_server_listen_local (fake->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  g_main_context_pop_thread_default (fake->context);
  uris = soup_server_get_uris (fake->server);
  fake->url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  fake->thread = g_thread_new ("fake-graph", fake_thread, fake);
  return fake;
}

static void
fake_stop (Fake *fake)
{
  g_main_loop_quit (fake->loop);
  g_thread_join (fake->thread);
  g_main_context_push_thread_default (fake->context);
  soup_server_disconnect (fake->server);
  g_clear_object (&fake->server);
  g_main_context_pop_thread_default (fake->context);
  g_main_loop_unref (fake->loop);
  g_main_context_unref (fake->context);
  g_mutex_clear (&fake->lock);
  g_free (fake->url);
  g_free (fake);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fake, fake_stop)

static PsGraphClient *
fake_client (Fake *fake)
{
  g_autoptr(GError) error = NULL;
  PsEntraConfig config = { 0 };
  PsGraphClient *client;

  config.tenant = (char *) TENANT;
  config.client_id = (char *) CLIENT_ID;
  config.login_base = fake->url;
  config.graph_base = fake->url;
  client = ps_graph_client_new (&config, "secret", &error);
  g_assert_no_error (error);
  ps_graph_client_set_retry (client, 3, 10, 20);
  return client;
}

static gboolean
count_cb (JsonArray  *value,
          gpointer    user_data,
          GError    **error)
{
  guint *n = user_data;

  *n += json_array_get_length (value);
  return TRUE;
}

/* A member without @odata.type, an element that is not an object: both
 * unclassifiable; the users still come, once each, then PARTIAL. */
static void
test_unclassifiable (void)
{
  g_autoptr(Fake) fake = fake_start ();
  g_autoptr(PsGraphClient) client = fake_client (fake);
  g_autoptr(PsGraphMemberReport) report = NULL;
  g_autoptr(GError) error = NULL;
  guint delivered = 0;

  g_assert_false (ps_graph_client_read_transitive_members_sync (client, "untyped", NULL, count_cb,
                                                                &delivered, &report, NULL,
                                                                &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_PARTIAL);
  g_assert_nonnull (strstr (error->message, "2 members of group untyped could not be classified"));
  g_assert_cmpuint (delivered, ==, 1);
  g_assert_cmpuint (report->users, ==, 1);
  g_assert_cmpuint (report->duplicates, ==, 1);
  g_assert_cmpuint (report->unclassifiable, ==, 2);
  g_assert_cmpuint (report->other, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (report->other_types, 0), ==, "#microsoft.graph.application");
  g_assert_cmpuint (report->unclassified_ids->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (report->unclassified_ids, 0), ==, "x1");
}

static void
test_odd_answers (void)
{
  g_autoptr(Fake) fake = fake_start ();
  g_autoptr(PsGraphClient) client = fake_client (fake);
  g_autoptr(GError) error = NULL;
  g_autofree char *link = NULL;
  guint delivered = 0;

  /* A sign-in page instead of data: named as such, and not asked again. */
  g_assert_false (ps_graph_client_read_direct_members_sync (client, "html", NULL, count_cb,
                                                            &delivered, NULL, NULL, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNEXPECTED);
  g_assert_nonnull (strstr (error->message, "web page"));
  g_assert_cmpuint (fake->graph_requests, ==, 1);
  g_clear_error (&error);

  /* A nextLink to another host: the token is not sent there. */
  g_assert_false (ps_graph_client_read_direct_members_sync (client, "foreign", NULL, count_cb,
                                                            &delivered, NULL, NULL, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNEXPECTED);
  g_assert_nonnull (strstr (error->message, "graph.attacker.example"));
  g_clear_error (&error);

  /* A delta round that ends without a deltaLink is not complete. */
  g_assert_false (ps_graph_client_users_delta_sync (client, NULL, NULL, count_cb, &delivered,
                                                    &link, NULL, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNEXPECTED);
  g_assert_null (link);
}

int
main (int    argc,
      char **argv)
{
  ps_test_init (&argc, &argv);

  g_test_add_func ("/entra/errors/token", test_token_errors);
  g_test_add_func ("/entra/errors/graph", test_graph_errors);
  g_test_add_func ("/entra/errors/bodies", test_bodies);
  g_test_add_func ("/entra/errors/transport", test_transport);
  g_test_add_func ("/entra/errors/fatal", test_fatal);
  g_test_add_func ("/entra/values/user", test_values);
  g_test_add_func ("/entra/values/select", test_select);
  g_test_add_func ("/entra/values/rounds", test_rounds);
  g_test_add_func ("/entra/values/group", test_group_json);
  g_test_add_func ("/entra/client/config", test_config);
  g_test_add_func ("/entra/client/unreachable", test_unreachable);
  g_test_add_func ("/entra/client/cancelled", test_cancelled);
  g_test_add_func ("/entra/client/unclassifiable", test_unclassifiable);
  g_test_add_func ("/entra/client/odd-answers", test_odd_answers);
  return g_test_run ();
}
