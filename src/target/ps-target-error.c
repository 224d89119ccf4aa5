/* ps-target-error.c — HTTP status, JSON body and transport errors → PS_TARGET_ERROR
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "ps-target-error.h"
#include "ps-http-util.h"

G_DEFINE_QUARK (ps-target-error-quark, ps_target_error)

gboolean
ps_target_error_is_fatal (const GError *error)
{
  return error != NULL
         && error->domain == PS_TARGET_ERROR
         && (error->code == PS_TARGET_ERROR_AUTH || error->code == PS_TARGET_ERROR_PERMISSION);
}

static char *
first_string_in (JsonNode *node)
{
  if (node == NULL)
    return NULL;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          char *s = first_string_in (json_array_get_element (array, i));
          if (s != NULL)
            return s;
        }
    }
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      g_autoptr(GList) members = json_object_get_members (object);

      if (json_object_has_member (object, "message"))
        {
          g_autofree char *m = first_string_in (json_object_get_member (object, "message"));
          g_autofree char *f = first_string_in (json_object_get_member (object, "field"));

          if (m != NULL && f != NULL)
            return g_strdup_printf ("%s: %s", f, m);
          if (m != NULL)
            return g_steal_pointer (&m);
        }
      if (json_object_has_member (object, "base"))
        return first_string_in (json_object_get_member (object, "base"));
      for (GList *l = members; l != NULL; l = l->next)
        {
          g_autofree char *s = first_string_in (json_object_get_member (object, l->data));
          if (s != NULL)
            {
              /* {"field_1": ["is not unique"]} → "field_1: is not unique" */
              if (g_str_equal (l->data, "message") || g_str_equal (l->data, "messages"))
                return g_steal_pointer (&s);
              return g_strdup_printf ("%s: %s", (const char *) l->data, s);
            }
        }
    }
  return NULL;
}

char *
ps_target_error_body_message (GBytes *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize size = 0;
  const char *data = body != NULL ? g_bytes_get_data (body, &size) : NULL;
  JsonNode *root;
  JsonObject *object;
  static const char *const keys[] = { "message", "error", "error_description", "detail", "title", NULL };

  if (data == NULL || size == 0 || !json_parser_load_from_data (parser, data, size, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  object = json_node_get_object (root);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      JsonNode *member = json_object_get_member (object, keys[i]);
      if (member != NULL && JSON_NODE_HOLDS_VALUE (member)
          && json_node_get_value_type (member) == G_TYPE_STRING
          && *json_node_get_string (member) != '\0')
        return g_strdup (json_node_get_string (member));
    }
  if (json_object_has_member (object, "errors"))
    return first_string_in (json_object_get_member (object, "errors"));
  if (json_object_has_member (object, "data"))
    return first_string_in (json_object_get_member (object, "data"));
  return NULL;
}

static gboolean
path_is_users (const char *path)
{
  return strstr (path, "/users") != NULL || strstr (path, "/accounts") == path;
}

static gboolean
path_is_login (const char *path)
{
  return strstr (path, "/session/token") != NULL;
}

/* ---- a JSON syntax check that allocates nothing. As lenient as json-glib
 * where it is (control characters and unknown escapes in strings, loose
 * numbers, several values in a row): what matters is that every bracket,
 * string and word is closed, which an answer cut short never is. */

#define JSON_MAX_DEPTH 512

typedef struct {
  const char *p;
  const char *end;
  guint       depth;
} Scan;

static void
skip_space (Scan *s)
{
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

static gboolean
scan_string (Scan *s)
{
  s->p++;   /* the opening quote */
  while (s->p < s->end)
    {
      char c = *s->p++;

      if (c == '"')
        return TRUE;
      if (c != '\\')
        continue;
      if (s->p >= s->end)
        return FALSE;
      if (*s->p++ == 'u')
        {
          for (guint k = 0; k < 4; k++, s->p++)
            if (s->p >= s->end || !g_ascii_isxdigit (*s->p))
              return FALSE;
        }
    }
  return FALSE;
}

static gboolean
scan_number (Scan *s)
{
  gboolean digits = FALSE;

  if (*s->p == '-')
    s->p++;
  while (s->p < s->end && (g_ascii_isdigit (*s->p) || strchr (".eE+-", *s->p) != NULL))
    digits |= g_ascii_isdigit (*s->p++);
  return digits;
}

static gboolean
scan_word (Scan       *s,
           const char *word)
{
  gsize n = strlen (word);

  if ((gsize) (s->end - s->p) < n || memcmp (s->p, word, n) != 0)
    return FALSE;
  s->p += n;
  return TRUE;
}

static gboolean
scan_value (Scan *s)
{
  char close;

  skip_space (s);
  if (s->p >= s->end)
    return FALSE;
  switch (*s->p)
    {
    case '"':
      return scan_string (s);
    case 't':
      return scan_word (s, "true");
    case 'f':
      return scan_word (s, "false");
    case 'n':
      return scan_word (s, "null");
    case '{':
    case '[':
      break;
    default:
      return (*s->p == '-' || g_ascii_isdigit (*s->p)) && scan_number (s);
    }

  close = *s->p == '{' ? '}' : ']';
  if (++s->depth > JSON_MAX_DEPTH)
    return FALSE;
  s->p++;
  skip_space (s);
  if (s->p < s->end && *s->p == close)
    {
      s->p++;
      s->depth--;
      return TRUE;
    }
  for (;;)
    {
      if (close == '}')
        {
          skip_space (s);
          if (s->p >= s->end || *s->p != '"' || !scan_string (s))
            return FALSE;
          skip_space (s);
          if (s->p >= s->end || *s->p++ != ':')
            return FALSE;
        }
      if (!scan_value (s))
        return FALSE;
      skip_space (s);
      if (s->p >= s->end)
        return FALSE;
      if (*s->p == ',')
        {
          s->p++;
          continue;
        }
      if (*s->p++ != close)
        return FALSE;
      s->depth--;
      return TRUE;
    }
}

gboolean
ps_target_answer_is_json (GBytes *body)
{
  gsize size = 0;
  const char *data = body != NULL ? g_bytes_get_data (body, &size) : NULL;
  Scan s = { data, data + size, 0 };

  if (data == NULL || size == 0)
    return TRUE;
  if (size >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0)
    s.p += 3;
  do
    {
      if (!scan_value (&s))
        return FALSE;
      skip_space (&s);
    }
  while (s.p < s.end);
  return TRUE;
}

static GError *
from_transport (const PsTargetExchange *x,
                const char             *host)
{
  const GError *e = x->transport_error;
  gboolean timed_out = g_error_matches (e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);

  if (g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (e);
  if (e->domain == G_TLS_ERROR)
    return g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_TLS,
                        /* Translators: %s is a host name, then the TLS library's reason */
                        _("The secure connection to %s failed: %s. If the service uses a private "
                          "certificate authority, set its file as CAFile in the profile."),
                        host, e->message);
  if (e->domain == G_RESOLVER_ERROR)
    return g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_UNREACHABLE,
                        _("Cannot find the host %s: %s. Check the URL in the profile and the "
                          "network."), host, e->message);
  if (e->domain == SOUP_SESSION_ERROR && e->code == SOUP_SESSION_ERROR_PARSING)
    return g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_UNEXPECTED,
                        /* Translators: e.g. "POST /v3/groups/1/objects answered with …" */
                        _("%s %s answered with something that is not HTTP (%s)"),
                        x->method, x->path, e->message);
  if (!x->request_sent)
    {
      /* Nothing went out: refused, no route, or no answer to the connection. */
      if (timed_out)
        return g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_UNREACHABLE,
                            /* Translators: %s is a host name, then e.g. "GET /v3/groups" */
                            _("Asset Panda at %s is unreachable: it did not take the connection "
                              "in time (%s %s). Check the URL, the network and any firewall or "
                              "proxy."), host, x->method, x->path);
      return g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_UNREACHABLE,
                          /* Translators: %s is a host name, then e.g. "GET /v3/groups", then
                           * the network library's reason */
                          _("Asset Panda at %s is unreachable (%s %s: %s). Check the URL, the "
                            "network and any firewall or proxy."),
                          host, x->method, x->path, e->message);
    }
  if (!x->answer_started)
    {
      if (timed_out)
        return g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_UNREACHABLE,
                            _("Asset Panda at %s is unreachable: it took the connection but did "
                              "not answer %s %s in time. Check the network and any firewall or "
                              "proxy, or try again later."), host, x->method, x->path);
      return g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_UNREACHABLE,
                          g_dngettext (GETTEXT_PACKAGE,
                                       "The connection to %s closed before Asset Panda answered "
                                       "%s %s (%s), after %u attempt. Try again later; if it "
                                       "keeps happening, check the network and any proxy.",
                                       "The connection to %s closed before Asset Panda answered "
                                       "%s %s (%s), after %u attempts. Try again later; if it "
                                       "keeps happening, check the network and any proxy.",
                                       x->attempts),
                          host, x->method, x->path, e->message, x->attempts);
    }
  return g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_UNREACHABLE,
                      g_dngettext (GETTEXT_PACKAGE,
                                   "The connection to %s was lost while reading Asset Panda’s "
                                   "answer to %s %s (%s), after %u attempt. Try again later; if "
                                   "it keeps happening, check the network and any proxy.",
                                   "The connection to %s was lost while reading Asset Panda’s "
                                   "answer to %s %s (%s), after %u attempts. Try again later; if "
                                   "it keeps happening, check the network and any proxy.",
                                   x->attempts),
                      host, x->method, x->path, e->message, x->attempts);
}

GError *
ps_target_error_from_http (const PsTargetExchange *x)
{
  g_autofree char *server = NULL;
  g_autofree char *said = NULL;
  const char *host;
  const char *method;
  const char *path;
  guint status;
  gboolean web_page;

  g_return_val_if_fail (x != NULL && x->method != NULL && x->path != NULL, NULL);

  host = x->host != NULL ? x->host : "Asset Panda";
  method = x->method;
  path = x->path;
  status = x->status;
  if (x->transport_error != NULL)
    return from_transport (x, host);

  /* A proxy, a captive portal or a single sign-on page answered instead of
   * the API; its status tells nothing about Asset Panda, unless it says
   * the service behind it is unavailable (a gateway's error page). */
  web_page = ps_http_is_web_page (x->content_type, x->body);
  if (web_page && !(status == 408 || status == 429 || status >= 500))
    return g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_UNEXPECTED,
                        /* Translators: e.g. "… answered GET /v3/groups with a web page …
                         * (HTTP 200)" */
                        _("Asset Panda answered %s %s with a web page instead of data (HTTP %u): "
                          "a proxy or sign-in page may be in the way; check the URL and proxy "
                          "settings."), method, path, status);
  if (status >= 200 && status < 300)
    {
      gsize size = x->body != NULL ? g_bytes_get_size (x->body) : 0;

      if (ps_target_answer_is_json (x->body))
        return NULL;
      return g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_UNEXPECTED,
                          g_dngettext (GETTEXT_PACKAGE,
                                       "%s %s answered %u with data that was cut off or "
                                       "malformed (%u bytes), after %u "
                                       "attempt. Try again later; if it keeps happening, a "
                                       "proxy may be changing Asset Panda’s answers.",
                                       "%s %s answered %u with data that was cut off or "
                                       "malformed (%u bytes), after %u "
                                       "attempts. Try again later; if it keeps happening, a "
                                       "proxy may be changing Asset Panda’s answers.",
                                       x->attempts),
                          method, path, status, (guint) MIN (size, G_MAXUINT), x->attempts);
    }

  server = web_page ? NULL : ps_target_error_body_message (x->body);
  /* Translators: appended to an error; %s is Asset Panda's own message */
  said = server != NULL ? g_strdup_printf (_(" Asset Panda said: “%s”."), server) : g_strdup ("");

  switch (status)
    {
    case 401:
      if (path_is_login (path))
        return g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_AUTH,
                            _("Asset Panda refused the sign-in. Check the API user’s email and "
                              "password, and the client ID and secret.%s"), said);
      return g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_AUTH,
                          _("Asset Panda refused the credentials (%s %s answered 401). Check the "
                            "client ID and secret (and, for Classic, the email and password).%s"),
                          method, path, said);
    case 403:
      if (path_is_users (path))
        return g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_PERMISSION,
                            _("The API user has no permission to create or change Asset Panda "
                              "users (%s %s answered 403). Ask Asset Panda support for the "
                              "granular permissions.%s"), method, path, said);
      return g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_PERMISSION,
                          _("The API user has no permission for %s %s (403). Ask an Asset Panda "
                            "administrator, or Asset Panda support, for the granular "
                            "permissions.%s"), method, path, said);
    case 404:
    case 410:
      return g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_NOT_FOUND,
                          _("Asset Panda does not know the collection, field or record of %s %s "
                            "(%u). Check the mapping, or read the collections and fields again "
                            "in the wizard.%s"), method, path, status, said);
    case 429:
      return g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_RATE_LIMITED,
                          g_dngettext (GETTEXT_PACKAGE,
                                       "Asset Panda’s rate limit was still exceeded after %u "
                                       "attempt at %s %s. Wait a few minutes, or lower RateCalls "
                                       "in the profile.",
                                       "Asset Panda’s rate limit was still exceeded after %u "
                                       "attempts at %s %s. Wait a few minutes, or lower RateCalls "
                                       "in the profile.", x->attempts),
                          x->attempts, method, path);
    case 408:
    case 500:
    case 502:
    case 503:
    case 504:
      return g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_UNAVAILABLE,
                          _("Asset Panda is unavailable: %s %s answered %u after %u attempts. "
                            "Try again later.%s"), method, path, status, x->attempts, said);
    case 400:
    case 409:
    case 422:
      if (path_is_login (path))
        return g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_AUTH,
                            _("Asset Panda refused the sign-in (%u). Check the API user’s email "
                              "and password, and the client ID and secret.%s"), status, said);
      return g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_INVALID,
                          _("Asset Panda rejected the values (%s %s answered %u): %s"),
                          method, path, status,
                          server != NULL ? server : _("no reason given"));
    default:
      break;
    }
  if (status >= 500)
    return g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_UNAVAILABLE,
                        _("Asset Panda failed: %s %s answered %u. Try again later.%s"),
                        method, path, status, said);
  return g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_UNEXPECTED,
                      _("%s %s answered %u, which PandaSync does not expect.%s"),
                      method, path, status, said);
}
