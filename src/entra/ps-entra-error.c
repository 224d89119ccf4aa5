/* ps-entra-error.c — OAuth, Graph and transport errors → PS_ENTRA_ERROR
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "ps-entra-error.h"
#include "ps-http-util.h"

/* AADSTS codes of the token endpoint (contract §1.4). */
#define AADSTS_TENANT_NOT_FOUND      90002
#define AADSTS_TENANT_INVALID        900023
#define AADSTS_CLIENT_NOT_FOUND      700016
#define AADSTS_SECRET_INVALID        7000215
#define AADSTS_SECRET_EXPIRED        7000222
#define AADSTS_ASSERTION_SIGNATURE   700027
#define AADSTS_ASSERTION_ISSUER      700021
#define AADSTS_ASSERTION_MALFORMED   50027
#define AADSTS_SCOPE_INVALID         70011
#define AADSTS_NO_CREDENTIAL         7000216
#define AADSTS_NO_CREDENTIAL_2       7000218

G_DEFINE_QUARK (ps-entra-error-quark, ps_entra_error)

/* ---------------------------------------------------------------- body readers */

/* Graph's error object: {"error": {"code", "message", "innerError": {…}}}. */
static JsonObject *
graph_error_object (JsonNode *root)
{
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return ps_http_json_object (json_node_get_object (root), "error");
}

static JsonObject *
inner_error (JsonObject *error)
{
  JsonObject *inner = ps_http_json_object (error, "innerError");

  return inner != NULL ? inner : ps_http_json_object (error, "innererror");
}

char *
ps_entra_error_graph_code (GBytes *body)
{
  g_autoptr(JsonNode) root = ps_http_read_json (body);

  return g_strdup (ps_http_json_string (graph_error_object (root), "code"));
}

gboolean
ps_entra_error_code_is_resync (const char *code)
{
  if (code == NULL)
    return FALSE;
  return g_ascii_strcasecmp (code, "syncStateNotFound") == 0
         || g_ascii_strncasecmp (code, "resync", 6) == 0;
}

/* TRUE when the outer code or any nested innerError code is a resync. */
static gboolean
graph_error_is_resync (JsonObject *error)
{
  for (guint depth = 0; error != NULL && depth < 8; depth++)
    {
      if (ps_entra_error_code_is_resync (ps_http_json_string (error, "code")))
        return TRUE;
      error = inner_error (error);
    }
  return FALSE;
}

gboolean
ps_entra_error_is_fatal (const GError *error)
{
  if (error == NULL || error->domain != PS_ENTRA_ERROR)
    return FALSE;
  switch ((PsEntraError) error->code)
    {
    case PS_ENTRA_ERROR_CONFIG:
    case PS_ENTRA_ERROR_TENANT_NOT_FOUND:
    case PS_ENTRA_ERROR_CLIENT_NOT_FOUND:
    case PS_ENTRA_ERROR_INVALID_SECRET:
    case PS_ENTRA_ERROR_SECRET_EXPIRED:
    case PS_ENTRA_ERROR_INVALID_CERTIFICATE:
    case PS_ENTRA_ERROR_INVALID_SCOPE:
    case PS_ENTRA_ERROR_AUTH:
    case PS_ENTRA_ERROR_PERMISSION:
    case PS_ENTRA_ERROR_NOT_SUPPORTED:
      return TRUE;
    case PS_ENTRA_ERROR_NOT_FOUND:
    case PS_ENTRA_ERROR_RESYNC_REQUIRED:
    case PS_ENTRA_ERROR_INVALID_REQUEST:
    case PS_ENTRA_ERROR_THROTTLED:
    case PS_ENTRA_ERROR_UNAVAILABLE:
    case PS_ENTRA_ERROR_TLS:
    case PS_ENTRA_ERROR_UNREACHABLE:
    case PS_ENTRA_ERROR_UNEXPECTED:
    case PS_ENTRA_ERROR_PARTIAL:
    default:
      return FALSE;
    }
}

gboolean
ps_entra_error_is_transient (const GError *error)
{
  if (error == NULL || error->domain != PS_ENTRA_ERROR)
    return FALSE;
  return error->code == PS_ENTRA_ERROR_THROTTLED
         || error->code == PS_ENTRA_ERROR_UNAVAILABLE
         || error->code == PS_ENTRA_ERROR_UNREACHABLE
         || error->code == PS_ENTRA_ERROR_UNEXPECTED;
}

/* ---------------------------------------------------------------- wording */

static const char *
service_name (const PsEntraExchange *x)
{
  return x->token_request ? _("The Microsoft Entra sign-in service")
                          : _("Microsoft Graph");
}

/* What the call was, for people: its action, else "call GET /v1.0/users". */
static char *
describe_call (const PsEntraExchange *x)
{
  if (x->action != NULL)
    return g_strdup (x->action);
  /* Translators: e.g. "call GET /v1.0/users"; completes "… may not %s" */
  return g_strdup_printf (_("call %s %s"), x->method, x->path);
}

static GError *
from_transport (const PsEntraExchange *x)
{
  const GError *e = x->transport_error;
  const char *service = service_name (x);
  gboolean timed_out = g_error_matches (e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);

  if (g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (e);
  if (e->domain == G_TLS_ERROR)
    return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_TLS,
                        /* Translators: %s is a host name, then the TLS library's reason */
                        _("The secure connection to %s failed: %s. If a proxy inspects TLS, "
                          "set its certificate authority’s file as CAFile in the profile; "
                          "otherwise check the sign-in and Graph URLs."),
                        x->host, e->message);
  if (e->domain == G_RESOLVER_ERROR)
    return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNREACHABLE,
                        /* Translators: %s is a host name, then the resolver's reason */
                        _("Cannot find the host %s: %s. Check the sign-in and Graph URLs in the "
                          "profile (they depend on the cloud: global, US Government or China) "
                          "and the network."), x->host, e->message);
  if (e->domain == SOUP_SESSION_ERROR && e->code == SOUP_SESSION_ERROR_PARSING)
    return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNEXPECTED,
                        /* Translators: e.g. "GET /v1.0/users answered with …" */
                        _("%s %s at %s answered with something that is not HTTP (%s). Check "
                          "the URLs in the profile and any proxy."),
                        x->method, x->path, x->host, e->message);
  if (!x->request_sent)
    {
      if (timed_out)
        return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNREACHABLE,
                            /* Translators: the first %s is a service ("Microsoft Graph"),
                             * the second a host name */
                            _("%s at %s is unreachable: it did not take the connection in "
                              "time. Check the network and any firewall or proxy."),
                            service, x->host);
      return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNREACHABLE,
                          /* Translators: a service ("Microsoft Graph"), a host name, then
                           * the network library's reason */
                          _("%s at %s is unreachable (%s). Check the URL in the profile, the "
                            "network and any firewall or proxy."),
                          service, x->host, e->message);
    }
  if (!x->answer_started)
    {
      if (timed_out)
        return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNREACHABLE,
                            _("%s at %s took the connection but did not answer %s %s in time. "
                              "Check the network and any firewall or proxy, or try again "
                              "later."), service, x->host, x->method, x->path);
      return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNREACHABLE,
                          g_dngettext (GETTEXT_PACKAGE,
                                       "The connection to %s closed before it answered %s %s "
                                       "(%s), after %u attempt. Try again later; if it keeps "
                                       "happening, check the network and any proxy.",
                                       "The connection to %s closed before it answered %s %s "
                                       "(%s), after %u attempts. Try again later; if it keeps "
                                       "happening, check the network and any proxy.",
                                       x->attempts),
                          x->host, x->method, x->path, e->message, x->attempts);
    }
  return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNREACHABLE,
                      g_dngettext (GETTEXT_PACKAGE,
                                   "The connection to %s was lost while reading the answer to "
                                   "%s %s (%s), after %u attempt. Try again later; if it keeps "
                                   "happening, check the network and any proxy.",
                                   "The connection to %s was lost while reading the answer to "
                                   "%s %s (%s), after %u attempts. Try again later; if it keeps "
                                   "happening, check the network and any proxy.",
                                   x->attempts),
                      x->host, x->method, x->path, e->message, x->attempts);
}

/* The token endpoint: branch on `error` and error_codes[0] (contract §1.4). */
static GError *
from_token_endpoint (const PsEntraExchange *x,
                     JsonNode              *root)
{
  JsonObject *object = root != NULL && JSON_NODE_HOLDS_OBJECT (root)
                       ? json_node_get_object (root) : NULL;
  const char *oauth_error = ps_http_json_string (object, "error");
  const char *tenant = x->tenant != NULL ? x->tenant : "";
  const char *client_id = x->client_id != NULL ? x->client_id : "";
  JsonNode *codes_node = object != NULL ? json_object_get_member (object, "error_codes") : NULL;
  gint64 code = 0;

  if (codes_node != NULL && JSON_NODE_HOLDS_ARRAY (codes_node)
      && json_array_get_length (json_node_get_array (codes_node)) > 0)
    {
      JsonNode *first = json_array_get_element (json_node_get_array (codes_node), 0);
      if (JSON_NODE_HOLDS_VALUE (first) && json_node_get_value_type (first) == G_TYPE_INT64)
        code = json_node_get_int (first);
    }
  g_debug ("token endpoint %s answered %u: error %s, AADSTS%" G_GINT64_FORMAT
           ", trace %s, correlation %s: %s", x->host, x->status,
           oauth_error != NULL ? oauth_error : "(none)", code,
           ps_http_json_string (object, "trace_id") != NULL ? ps_http_json_string (object, "trace_id") : "-",
           ps_http_json_string (object, "correlation_id") != NULL
           ? ps_http_json_string (object, "correlation_id") : "-",
           ps_http_json_string (object, "error_description") != NULL
           ? ps_http_json_string (object, "error_description") : "");

  switch (code)
    {
    case AADSTS_TENANT_NOT_FOUND:
      return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_TENANT_NOT_FOUND,
                          /* Translators: %s are the tenant and the sign-in host */
                          _("Microsoft Entra ID does not know the tenant “%s” at %s "
                            "(AADSTS90002). Check the tenant ID or domain, and that the sign-in "
                            "URL is that of the tenant’s cloud (global, US Government or "
                            "China)."), tenant, x->host);
    case AADSTS_TENANT_INVALID:
      return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_TENANT_NOT_FOUND,
                          _("The tenant “%s” is neither a tenant ID nor a verified domain "
                            "(AADSTS900023). Copy the Directory (tenant) ID from the app "
                            "registration’s Overview page."), tenant);
    case AADSTS_CLIENT_NOT_FOUND:
      return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_CLIENT_NOT_FOUND,
                          /* Translators: %s are a tenant and a client id */
                          _("The tenant “%s” has no application with the client ID “%s” "
                            "(AADSTS700016). Copy the Application (client) ID from the app "
                            "registration’s Overview page, and check that the app is "
                            "registered in, or consented to, this tenant."),
                          tenant, client_id);
    case AADSTS_SECRET_INVALID:
      if (x->secret_looks_like_id)
        return g_error_new_literal (PS_ENTRA_ERROR, PS_ENTRA_ERROR_INVALID_SECRET,
                                    _("Microsoft Entra ID refused the client secret "
                                      "(AADSTS7000215): the secret entered looks like a "
                                      "Secret ID. Enter the secret’s Value instead — it is "
                                      "shown only once, under Certificates & secrets, when the "
                                      "secret is created; make a new one if it was not "
                                      "copied."));
      return g_error_new_literal (PS_ENTRA_ERROR, PS_ENTRA_ERROR_INVALID_SECRET,
                                  _("Microsoft Entra ID refused the client secret "
                                    "(AADSTS7000215). Enter the secret’s Value from "
                                    "Certificates & secrets — not its Secret ID — or make a "
                                    "new secret and enter its Value."));
    case AADSTS_SECRET_EXPIRED:
      return g_error_new_literal (PS_ENTRA_ERROR, PS_ENTRA_ERROR_SECRET_EXPIRED,
                                  _("The client secret has expired (AADSTS7000222). Make a new "
                                    "secret under Certificates & secrets in the app "
                                    "registration and enter its Value in the profile."));
    case AADSTS_ASSERTION_SIGNATURE:
    case AADSTS_ASSERTION_ISSUER:
    case AADSTS_ASSERTION_MALFORMED:
      return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_INVALID_CERTIFICATE,
                          /* Translators: %d is an AADSTS error number */
                          _("Microsoft Entra ID refused the certificate credential "
                            "(AADSTS%d). Upload the certificate (its public part) under "
                            "Certificates & secrets in the app registration, and check that "
                            "the profile’s certificate file holds the matching private key."),
                          (int) code);
    case AADSTS_SCOPE_INVALID:
      return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_INVALID_SCOPE,
                          /* Translators: %s is a URL such as https://graph.microsoft.com */
                          _("Microsoft Entra ID refused the scope “%s/.default” (AADSTS70011). "
                            "Check that the Graph URL in the profile belongs to the same cloud "
                            "as the sign-in URL."),
                          x->graph_base != NULL ? x->graph_base : "");
    case AADSTS_NO_CREDENTIAL:
    case AADSTS_NO_CREDENTIAL_2:
      return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_AUTH,
                          _("Microsoft Entra ID received neither a client secret nor a "
                            "certificate (AADSTS%d). Enter the client secret in the "
                            "profile."), (int) code);
    default:
      break;
    }

  if (g_strcmp0 (oauth_error, "invalid_tenant") == 0)
    return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_TENANT_NOT_FOUND,
                        _("Microsoft Entra ID does not know the tenant “%s” at %s. Check the "
                          "tenant ID or domain, and that the sign-in URL is that of the "
                          "tenant’s cloud."), tenant, x->host);
  if (g_strcmp0 (oauth_error, "invalid_scope") == 0)
    return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_INVALID_SCOPE,
                        _("Microsoft Entra ID refused the scope “%s/.default”. Check that the "
                          "Graph URL in the profile belongs to the same cloud as the sign-in "
                          "URL."), x->graph_base != NULL ? x->graph_base : "");
  if (g_strcmp0 (oauth_error, "temporarily_unavailable") == 0 || x->status >= 500)
    return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNAVAILABLE,
                        g_dngettext (GETTEXT_PACKAGE,
                                     "The Microsoft Entra sign-in service at %s is unavailable "
                                     "(HTTP %u after %u attempt). Try again later.",
                                     "The Microsoft Entra sign-in service at %s is unavailable "
                                     "(HTTP %u after %u attempts). Try again later.",
                                     x->attempts), x->host, x->status, x->attempts);
  if (x->status == 429)
    return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_THROTTLED,
                        _("The Microsoft Entra sign-in service at %s kept refusing requests "
                          "as too many (HTTP 429). Wait a few minutes and try again."),
                        x->host);
  if (oauth_error == NULL)
    return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNEXPECTED,
                        /* Translators: %s is a host name, %u an HTTP status */
                        _("%s does not answer like a Microsoft Entra token endpoint (HTTP %u). "
                          "Check the sign-in URL in the profile."), x->host, x->status);
  if (code != 0)
    return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_AUTH,
                        /* Translators: application id, tenant, OAuth error name, AADSTS number */
                        _("Microsoft Entra ID refused the sign-in of application “%s” in tenant "
                          "“%s” (%s, AADSTS%" G_GINT64_FORMAT "). Check the client ID, the "
                          "secret and the tenant in the profile."),
                        client_id, tenant, oauth_error, code);
  return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_AUTH,
                      _("Microsoft Entra ID refused the sign-in of application “%s” in tenant "
                        "“%s” (%s). Check the client ID, the secret and the tenant in the "
                        "profile."), client_id, tenant, oauth_error);
}

static GError *
from_graph (const PsEntraExchange *x,
            JsonNode              *root)
{
  JsonObject *error = graph_error_object (root);
  JsonObject *inner = inner_error (error);
  const char *code = ps_http_json_string (error, "code");
  const char *server_message = ps_http_json_string (error, "message");
  g_autofree char *what = describe_call (x);
  g_autofree char *code_text = NULL;
  g_autofree char *said = NULL;

  g_debug ("%s %s answered %u: %s (request-id %s): %s", x->method, x->path, x->status,
           code != NULL ? code : "(no code)",
           ps_http_json_string (inner, "request-id") != NULL ? ps_http_json_string (inner, "request-id") : "-",
           server_message != NULL ? server_message : "");
  /* The HTTP status and Graph's error code, e.g. "403 Authorization_RequestDenied" */
  code_text = code != NULL ? g_strdup_printf ("%u %s", x->status, code)
                           : g_strdup_printf ("%u", x->status);
  /* Translators: appended to an error; %s is Graph's own message */
  said = server_message != NULL ? g_strdup_printf (_(" Microsoft Graph said: “%s”"),
                                                   server_message)
                                : g_strdup ("");

  if (graph_error_is_resync (error) || (x->delta && x->status == 410))
    return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_RESYNC_REQUIRED,
                        /* Translators: %s is e.g. "410 syncStateNotFound" */
                        _("Microsoft Graph no longer accepts the stored change token (%s): it "
                          "expires after 7 days without a sync. Everything is read again in "
                          "full; schedule a sync at least once a day to avoid it."),
                        code_text);

  switch (x->status)
    {
    case 401:
      return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_AUTH,
                          /* Translators: a host name, the call ("read the group's members"),
                           * the status and code */
                          _("Microsoft Graph at %s refused a fresh access token when asked to "
                            "%s (%s). Check that the sign-in URL and the Graph URL in the "
                            "profile belong to the same cloud."), x->host, what, code_text);
    case 403:
      if (g_strcmp0 (code, "insufficient_claims") == 0)
        return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_PERMISSION,
                            _("A Conditional Access policy blocks the application when it "
                              "tries to %s (%s). Ask an administrator to exclude the "
                              "application’s service principal from the policy."),
                            what, code_text);
      if (x->permission != NULL)
        return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_PERMISSION,
                            /* Translators: the call, the status and code, then a permission
                             * name such as User.Read.All */
                            _("The application may not %s (%s). In the app registration’s "
                              "API permissions, add the Microsoft Graph application "
                              "permission %s and grant admin consent."),
                            what, code_text, x->permission);
      return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_PERMISSION,
                          _("The application may not %s (%s). In the app registration’s API "
                            "permissions, add the Microsoft Graph application permissions "
                            "User.Read.All and GroupMember.Read.All and grant admin consent."),
                          what, code_text);
    case 404:
      return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_NOT_FOUND,
                          _("Cannot %s: it does not exist in the tenant (%s). It may have been "
                            "deleted; choose it again in the profile."), what, code_text);
    case 410:
      return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_NOT_FOUND,
                          _("Cannot %s: it is gone from the tenant (%s)."), what, code_text);
    case 400:
    case 405:
    case 406:
    case 413:
    case 414:
    case 501:
      return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_INVALID_REQUEST,
                          /* Translators: the call, the status and code, then Graph's message */
                          _("Microsoft Graph rejected the request to %s (%s). Check the "
                            "attribute names in the mappings; some attributes can only be "
                            "read one user at a time.%s"), what, code_text, said);
    case 429:
      return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_THROTTLED,
                          g_dngettext (GETTEXT_PACKAGE,
                                       "Microsoft Graph was still throttling the application "
                                       "after %u attempt to %s. Wait a few minutes and try "
                                       "again; if it keeps happening, sync less often.",
                                       "Microsoft Graph was still throttling the application "
                                       "after %u attempts to %s. Wait a few minutes and try "
                                       "again; if it keeps happening, sync less often.",
                                       x->attempts), x->attempts, what);
    default:
      break;
    }
  if (x->status >= 500 || x->status == 408)
    return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNAVAILABLE,
                        g_dngettext (GETTEXT_PACKAGE,
                                     "Microsoft Graph is unavailable: the request to %s "
                                     "answered %s after %u attempt. Try again later; check "
                                     "the Microsoft 365 service health if it lasts.",
                                     "Microsoft Graph is unavailable: the request to %s "
                                     "answered %s after %u attempts. Try again later; check "
                                     "the Microsoft 365 service health if it lasts.",
                                     x->attempts), what, code_text, x->attempts);
  return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNEXPECTED,
                      _("Microsoft Graph answered the request to %s with %s, which PandaSync "
                        "does not expect.%s"), what, code_text, said);
}

/* ---------------------------------------------------------------- the mapping */

GError *
ps_entra_error_from_http (const PsEntraExchange *x)
{
  g_autoptr(JsonNode) root = NULL;
  gboolean web_page;

  g_return_val_if_fail (x != NULL && x->method != NULL && x->path != NULL && x->host != NULL,
                        NULL);

  if (x->transport_error != NULL)
    return from_transport (x);

  /* A proxy, a captive portal or a sign-in page answered instead of the
   * service; its status tells nothing, unless it says the service behind
   * it is unavailable (a gateway's error page). */
  web_page = ps_http_is_web_page (x->content_type, x->body);
  if (web_page && !(x->status == 408 || x->status == 429 || x->status >= 500))
    return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNEXPECTED,
                        /* Translators: a host, the request, then an HTTP status */
                        _("%s answered %s %s with a web page instead of data (HTTP %u): a proxy "
                          "or sign-in page may be in the way. Check the URLs in the profile and "
                          "the proxy settings."), x->host, x->method, x->path, x->status);

  root = web_page ? NULL : ps_http_read_json (x->body);
  if (x->status >= 200 && x->status < 300)
    {
      gsize size = x->body != NULL ? g_bytes_get_size (x->body) : 0;

      if (size == 0 || (root != NULL && JSON_NODE_HOLDS_OBJECT (root)))
        return NULL;
      return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNEXPECTED,
                          g_dngettext (GETTEXT_PACKAGE,
                                       "%s %s answered %u with data that was cut off or "
                                       "malformed (%u bytes), after %u attempt. Try again "
                                       "later; if it keeps happening, a proxy may be changing "
                                       "the answers.",
                                       "%s %s answered %u with data that was cut off or "
                                       "malformed (%u bytes), after %u attempts. Try again "
                                       "later; if it keeps happening, a proxy may be changing "
                                       "the answers.",
                                       x->attempts),
                          x->method, x->path, x->status, (guint) MIN (size, G_MAXUINT),
                          x->attempts);
    }
  if (x->token_request)
    return from_token_endpoint (x, root);
  return from_graph (x, root);
}
