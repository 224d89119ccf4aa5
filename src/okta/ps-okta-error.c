/* ps-okta-error.c — Okta's HTTP answers and transport errors → PS_OKTA_ERROR
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "ps-okta-error.h"
#include "ps-http-util.h"

G_DEFINE_QUARK (ps-okta-error-quark, ps_okta_error)

/* ---------------------------------------------------------------- body readers */

static JsonObject *
root_object (JsonNode *root)
{
  return root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
}

/* The first errorCauses[].errorSummary, or NULL. */
static const char *
first_cause (JsonObject *error)
{
  JsonNode *node = error != NULL ? json_object_get_member (error, "errorCauses") : NULL;
  JsonArray *causes;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  causes = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (causes); i++)
    {
      JsonNode *cause = json_array_get_element (causes, i);
      const char *summary;

      if (!JSON_NODE_HOLDS_OBJECT (cause))
        continue;
      summary = ps_http_json_string (json_node_get_object (cause), "errorSummary");
      if (summary != NULL && *summary != '\0')
        return summary;
    }
  return NULL;
}

/* A parameter of a WWW-Authenticate challenge (scope="…"), or NULL. */
static char *
challenge_param (const char *header,
                 const char *name)
{
  g_autofree char *needle = g_strconcat (name, "=", NULL);
  const char *p = header;

  while (p != NULL && (p = strstr (p, needle)) != NULL)
    {
      const char *value;
      const char *end;

      /* a whole parameter name, not the tail of another */
      if (p != header && (g_ascii_isalnum (p[-1]) || p[-1] == '_'))
        {
          p += strlen (needle);
          continue;
        }
      value = p + strlen (needle);
      if (*value == '"')
        {
          value++;
          end = strchr (value, '"');
        }
      else
        {
          end = value;
          while (*end != '\0' && *end != ',' && *end != ' ')
            end++;
        }
      if (end == NULL)
        return NULL;
      return g_strndup (value, end - value);
    }
  return NULL;
}

/* ---------------------------------------------------------------- public helpers */

char *
ps_okta_error_code (GBytes *body)
{
  g_autoptr(JsonNode) root = ps_http_read_json (body);

  return g_strdup (ps_http_json_string (root_object (root), "errorCode"));
}

gboolean
ps_okta_error_is_fatal (const GError *error)
{
  if (error == NULL || error->domain != PS_OKTA_ERROR)
    return FALSE;
  switch ((PsOktaError) error->code)
    {
    case PS_OKTA_ERROR_CONFIG:
    case PS_OKTA_ERROR_AUTH:
    case PS_OKTA_ERROR_PERMISSION:
    case PS_OKTA_ERROR_NOT_SUPPORTED:
      return TRUE;
    case PS_OKTA_ERROR_HOST_NOT_FOUND:
    case PS_OKTA_ERROR_TLS:
    case PS_OKTA_ERROR_UNREACHABLE:
    case PS_OKTA_ERROR_NOT_FOUND:
    case PS_OKTA_ERROR_AMBIGUOUS:
    case PS_OKTA_ERROR_INVALID_SEARCH:
    case PS_OKTA_ERROR_INVALID_REQUEST:
    case PS_OKTA_ERROR_THROTTLED:
    case PS_OKTA_ERROR_UNAVAILABLE:
    case PS_OKTA_ERROR_UNEXPECTED:
    case PS_OKTA_ERROR_PARTIAL:
    default:
      return FALSE;
    }
}

gboolean
ps_okta_error_is_transient (const GError *error)
{
  if (error == NULL || error->domain != PS_OKTA_ERROR)
    return FALSE;
  return error->code == PS_OKTA_ERROR_THROTTLED
         || error->code == PS_OKTA_ERROR_UNAVAILABLE
         || error->code == PS_OKTA_ERROR_UNREACHABLE
         || error->code == PS_OKTA_ERROR_UNEXPECTED;
}

/* ---------------------------------------------------------------- wording */

/* What the call was, for people: its action, else "call GET /api/v1/users". */
static char *
describe_call (const PsOktaExchange *x)
{
  if (x->action != NULL)
    return g_strdup (x->action);
  /* Translators: e.g. "call GET /api/v1/users"; completes "… may not %s" */
  return g_strdup_printf (_("call %s %s"), x->method, x->path);
}

static GError *
from_transport (const PsOktaExchange *x)
{
  const GError *e = x->transport_error;
  gboolean timed_out = g_error_matches (e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);

  if (g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (e);
  if (e->domain == G_TLS_ERROR)
    return g_error_new (PS_OKTA_ERROR, PS_OKTA_ERROR_TLS,
                        /* Translators: %s is a host name, then the TLS library's reason */
                        _("The secure connection to %s failed: %s. If a proxy inspects TLS, set "
                          "its certificate authority’s file as CAFile in the [Okta] section; "
                          "otherwise check the org URL."), x->host, e->message);
  if (e->domain == G_RESOLVER_ERROR || g_error_matches (e, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND))
    return g_error_new (PS_OKTA_ERROR, PS_OKTA_ERROR_HOST_NOT_FOUND,
                        /* Translators: %s is a host name, then the resolver's reason */
                        _("Cannot find the host %s (%s). Check the org URL in the [Okta] section "
                          "(such as https://acme.okta.com or your custom domain) and the "
                          "network’s DNS."), x->host, e->message);
  if (e->domain == SOUP_SESSION_ERROR && e->code == SOUP_SESSION_ERROR_PARSING)
    return g_error_new (PS_OKTA_ERROR, PS_OKTA_ERROR_UNEXPECTED,
                        /* Translators: e.g. "GET /api/v1/users at acme.okta.com answered …" */
                        _("%s %s at %s answered with something that is not HTTP (%s). Check the "
                          "org URL in the [Okta] section and any proxy."),
                        x->method, x->path, x->host, e->message);
  if (!x->request_sent)
    {
      if (timed_out)
        return g_error_new (PS_OKTA_ERROR, PS_OKTA_ERROR_UNREACHABLE,
                            /* Translators: %s is a host name */
                            _("Okta at %s is unreachable: it did not take the connection in "
                              "time. Check the network and any firewall or proxy."), x->host);
      return g_error_new (PS_OKTA_ERROR, PS_OKTA_ERROR_UNREACHABLE,
                          /* Translators: a host name, then the network library's reason */
                          _("Okta at %s is unreachable (%s). Check the org URL in the [Okta] "
                            "section, the network and any firewall or proxy."),
                          x->host, e->message);
    }
  if (!x->answer_started)
    {
      if (timed_out)
        return g_error_new (PS_OKTA_ERROR, PS_OKTA_ERROR_UNREACHABLE,
                            _("Okta at %s took the connection but did not answer %s %s in "
                              "time. Check the network and any firewall or proxy, or try again "
                              "later."), x->host, x->method, x->path);
      return g_error_new (PS_OKTA_ERROR, PS_OKTA_ERROR_UNREACHABLE,
                          g_dngettext (GETTEXT_PACKAGE,
                                       "The connection to Okta at %s closed before it answered "
                                       "%s %s (%s), after %u attempt. Try again later; if it "
                                       "keeps happening, check the network and any proxy.",
                                       "The connection to Okta at %s closed before it answered "
                                       "%s %s (%s), after %u attempts. Try again later; if it "
                                       "keeps happening, check the network and any proxy.",
                                       x->attempts),
                          x->host, x->method, x->path, e->message, x->attempts);
    }
  return g_error_new (PS_OKTA_ERROR, PS_OKTA_ERROR_UNREACHABLE,
                      g_dngettext (GETTEXT_PACKAGE,
                                   "The connection to Okta at %s was lost while reading the "
                                   "answer to %s %s (%s), after %u attempt. Try again later; if "
                                   "it keeps happening, check the network and any proxy.",
                                   "The connection to Okta at %s was lost while reading the "
                                   "answer to %s %s (%s), after %u attempts. Try again later; if "
                                   "it keeps happening, check the network and any proxy.",
                                   x->attempts),
                      x->host, x->method, x->path, e->message, x->attempts);
}

static GError *
from_okta (const PsOktaExchange *x,
           JsonNode             *root)
{
  JsonObject *error = root_object (root);
  const char *code = ps_http_json_string (error, "errorCode");
  const char *summary = ps_http_json_string (error, "errorSummary");
  const char *cause = first_cause (error);
  g_autofree char *what = describe_call (x);
  g_autofree char *code_text = NULL;
  g_autofree char *said = NULL;

  g_debug ("%s %s answered %u: %s (errorId %s): %s%s%s", x->method, x->path, x->status,
           code != NULL ? code : "(no code)",
           ps_http_json_string (error, "errorId") != NULL ? ps_http_json_string (error, "errorId") : "-",
           summary != NULL ? summary : "", cause != NULL ? " — " : "", cause != NULL ? cause : "");
  /* The HTTP status and Okta's error code, e.g. "401 E0000011" */
  code_text = code != NULL ? g_strdup_printf ("%u %s", x->status, code)
                           : g_strdup_printf ("%u", x->status);
  /* Translators: appended to an error; %s is Okta's own summary of it */
  said = cause != NULL || summary != NULL
         ? g_strdup_printf (_(" Okta said: “%s”"), cause != NULL ? cause : summary)
         : g_strdup ("");

  if (x->status == 401 || g_strcmp0 (code, PS_OKTA_E_INVALID_TOKEN) == 0)
    return g_error_new (PS_OKTA_ERROR, PS_OKTA_ERROR_AUTH,
                        /* Translators: a host name, then the status and code "401 E0000011" */
                        _("Okta at %s refused the API token (%s): it is wrong, expired (a token "
                          "expires after 30 days without use) or revoked, or the admin who "
                          "created it was deactivated. Create a token under Security → API → "
                          "Tokens and store it with “pandasync-cli profile set-secret "
                          "okta-api-token”."), x->host, code_text);
  if (x->status == 403)
    {
      g_autofree char *scope = x->www_authenticate != NULL
                               ? challenge_param (x->www_authenticate, "scope") : NULL;
      g_autofree char *reason = x->www_authenticate != NULL
                                ? challenge_param (x->www_authenticate, "error") : NULL;

      if (g_strcmp0 (reason, "insufficient_scope") == 0)
        return g_error_new (PS_OKTA_ERROR, PS_OKTA_ERROR_PERMISSION,
                            /* Translators: the call, then an OAuth scope such as
                             * okta.groups.read */
                            _("The access token may not %s: it lacks the scope %s. Grant that "
                              "scope to the service app under Okta API Scopes."),
                            what, scope != NULL ? scope : "okta.users.read okta.groups.read");
      return g_error_new (PS_OKTA_ERROR, PS_OKTA_ERROR_PERMISSION,
                          /* Translators: the call, then the status and code "403 E0000006" */
                          _("The admin who owns the API token may not %s (%s). Give that admin "
                            "a role that can read users and groups (the Read-Only Administrator "
                            "role is enough), or create the token as such an admin."),
                          what, code_text);
    }
  if (x->status == 404 || g_strcmp0 (code, PS_OKTA_E_NOT_FOUND) == 0)
    return g_error_new (PS_OKTA_ERROR, PS_OKTA_ERROR_NOT_FOUND,
                        _("Cannot %s: Okta has no such object (%s). It may have been deleted; "
                          "choose it again in the mapping."), what, code_text);
  if (x->status == 429)
    return g_error_new (PS_OKTA_ERROR, PS_OKTA_ERROR_THROTTLED,
                        g_dngettext (GETTEXT_PACKAGE,
                                     "Okta still refused requests as over its rate limit after "
                                     "%u attempt to %s (%s). Wait a minute and try again; if it "
                                     "keeps happening, sync less often or raise the token’s "
                                     "share of the rate limit in the Admin Console.",
                                     "Okta still refused requests as over its rate limit after "
                                     "%u attempts to %s (%s). Wait a minute and try again; if it "
                                     "keeps happening, sync less often or raise the token’s "
                                     "share of the rate limit in the Admin Console.",
                                     x->attempts), x->attempts, what, code_text);
  if (x->status == 400 && (g_strcmp0 (code, PS_OKTA_E_INVALID_SEARCH) == 0
                           || g_strcmp0 (code, PS_OKTA_E_INVALID_DATE) == 0))
    return g_error_new (PS_OKTA_ERROR, PS_OKTA_ERROR_INVALID_SEARCH,
                        /* Translators: the call, the status and code, then Okta's summary */
                        _("Okta rejected the search expression when asked to %s (%s). Check the "
                          "mapping’s Filter: attribute names are case-sensitive, values are "
                          "quoted with \".%s"), what, code_text, said);
  if (x->status >= 500 || x->status == 408)
    return g_error_new (PS_OKTA_ERROR, PS_OKTA_ERROR_UNAVAILABLE,
                        g_dngettext (GETTEXT_PACKAGE,
                                     "Okta is unavailable: the request to %s answered %s after "
                                     "%u attempt. Try again later; check status.okta.com if it "
                                     "lasts.",
                                     "Okta is unavailable: the request to %s answered %s after "
                                     "%u attempts. Try again later; check status.okta.com if it "
                                     "lasts.",
                                     x->attempts), what, code_text, x->attempts);
  if (x->status >= 400 && x->status < 500)
    return g_error_new (PS_OKTA_ERROR, PS_OKTA_ERROR_INVALID_REQUEST,
                        /* Translators: the call, the status and code, then Okta's summary */
                        _("Okta rejected the request to %s (%s). Check the org URL and the "
                          "mapping.%s"), what, code_text, said);
  return g_error_new (PS_OKTA_ERROR, PS_OKTA_ERROR_UNEXPECTED,
                      _("Okta answered the request to %s with %s, which PandaSync does not "
                        "expect.%s"), what, code_text, said);
}

/* ---------------------------------------------------------------- the mapping */

GError *
ps_okta_error_from_http (const PsOktaExchange *x)
{
  g_autoptr(JsonNode) root = NULL;
  gboolean web_page;

  g_return_val_if_fail (x != NULL && x->method != NULL && x->path != NULL && x->host != NULL,
                        NULL);

  if (x->transport_error != NULL)
    return from_transport (x);

  /* A proxy, a captive portal or a sign-in page answered instead of the
   * API; its status tells nothing, unless it says the service behind it is
   * unavailable (a gateway's error page). */
  web_page = ps_http_is_web_page (x->content_type, x->body);
  if (web_page && !(x->status == 408 || x->status == 429 || x->status >= 500))
    return g_error_new (PS_OKTA_ERROR, PS_OKTA_ERROR_UNEXPECTED,
                        /* Translators: a host, the request, then an HTTP status */
                        _("%s answered %s %s with a web page instead of data (HTTP %u): a proxy, "
                          "a sign-in page or a wrong org URL is in the way. Check the org URL in "
                          "the [Okta] section (the API lives at https://acme.okta.com, not at "
                          "the Admin Console) and the proxy settings."),
                        x->host, x->method, x->path, x->status);

  root = web_page ? NULL : ps_http_read_json (x->body);
  if (x->status >= 200 && x->status < 300)
    {
      gsize size = x->body != NULL ? g_bytes_get_size (x->body) : 0;

      if (root != NULL && (JSON_NODE_HOLDS_OBJECT (root) || JSON_NODE_HOLDS_ARRAY (root)))
        return NULL;
      return g_error_new (PS_OKTA_ERROR, PS_OKTA_ERROR_UNEXPECTED,
                          g_dngettext (GETTEXT_PACKAGE,
                                       "%s %s answered %u with data that was cut off or "
                                       "malformed (%u bytes), after %u attempt. Try again later; "
                                       "if it keeps happening, a proxy may be changing the "
                                       "answers.",
                                       "%s %s answered %u with data that was cut off or "
                                       "malformed (%u bytes), after %u attempts. Try again "
                                       "later; if it keeps happening, a proxy may be changing "
                                       "the answers.",
                                       x->attempts),
                          x->method, x->path, x->status, (guint) MIN (size, G_MAXUINT),
                          x->attempts);
    }
  return from_okta (x, root);
}
