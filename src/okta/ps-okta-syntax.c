/* ps-okta-syntax.c — org URLs, attribute names, fallbacks and search expressions
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ps-okta-syntax.h"

/* Longest expression accepted, how deep ( ) may nest, longest name. */
#define MAX_SEARCH_LEN  4096
#define MAX_SEARCH_DEPTH 32
#define MAX_NAME_LEN    128

typedef enum {
  TOKEN_END,
  TOKEN_OPEN,
  TOKEN_CLOSE,
  TOKEN_WORD,       /* a name, an operator, a keyword, true/false */
  TOKEN_STRING,     /* "…", unescaped in `text` */
  TOKEN_NUMBER,
} TokenKind;

typedef struct {
  TokenKind  kind;
  char      *text;
  gsize      start;  /* byte offset in the expression */
} Token;

typedef struct {
  const char *text;
  const char *p;
  Token       token;     /* the current one */
  guint       depth;
  GString    *out;
  GPtrArray  *attributes;
  char       *reason;
} SearchParser;

/* The user's own properties (§2.3) a mapping may read. */
static const char *const user_property_names[] = {
  "id", "status", "created", "activated", "statusChanged", "lastLogin", "lastUpdated",
  "passwordChanged", "transitioningToStatus",
  NULL
};

/* The top-level properties `search` accepts (§2.2); type.id apart. */
static const char *const search_property_names[] = {
  "id", "status", "created", "activated", "statusChanged", "lastUpdated",
  NULL
};

static const char *const date_property_names[] = {
  "created", "activated", "statusChanged", "lastUpdated",
  NULL
};

/* UserProfile (§2.3). */
static const char *const standard_attribute_names[] = {
  "login", "email", "secondEmail", "firstName", "lastName", "middleName", "displayName",
  "nickName", "honorificPrefix", "honorificSuffix", "title", "department", "division",
  "organization", "costCenter", "employeeNumber", "userType", "manager", "managerId",
  "mobilePhone", "primaryPhone", "streetAddress", "city", "state", "zipCode", "postalAddress",
  "countryCode", "preferredLanguage", "locale", "timezone", "profileUrl",
  NULL
};

/* The attributes `co` works on (§2.2). */
static const char *const contains_attribute_names[] = {
  "firstName", "lastName", "email", "login",
  NULL
};

static const char *const status_names[] = {
  "STAGED", "PROVISIONED", "ACTIVE", "RECOVERY", "PASSWORD_EXPIRED", "LOCKED_OUT",
  "SUSPENDED", "DEPROVISIONED",
  NULL
};

static const char *const operator_names[] = { "eq", "sw", "co", "gt", "ge", "lt", "le", NULL };

/* ---------------------------------------------------------------- helpers */

/* The entry of @names equal to @name ignoring case, or NULL. */
static const char *
find_casefold (const char *const *names,
               const char        *name)
{
  for (guint i = 0; names[i] != NULL; i++)
    if (g_ascii_strcasecmp (names[i], name) == 0)
      return names[i];
  return NULL;
}

/* A profile attribute's variable name: a letter, then letters, digits, _. */
static gboolean
name_is_valid (const char *name,
               gsize       length)
{
  if (length == 0 || length > MAX_NAME_LEN || !g_ascii_isalpha (name[0]))
    return FALSE;
  for (gsize i = 1; i < length; i++)
    if (!g_ascii_isalnum (name[i]) && name[i] != '_')
      return FALSE;
  return TRUE;
}

static const char *
strip_profile_prefix (const char *name)
{
  if (g_ascii_strncasecmp (name, "profile.", 8) == 0)
    return name + 8;
  return NULL;
}

/* ---------------------------------------------------------------- the tokenizer */

static gboolean
fail (SearchParser *sp,
      gsize         position,
      const char   *what)
{
  if (sp->reason == NULL)
    /* Translators: %s says what is wrong, %u is a 1-based character position */
    sp->reason = g_strdup_printf (_("%s (at character %u)"), what, (guint) position + 1);
  return FALSE;
}

static gboolean
next_token (SearchParser *sp)
{
  const char *p = sp->p;
  const char *start;

  g_clear_pointer (&sp->token.text, g_free);
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
    p++;
  start = p;
  sp->token.start = (gsize) (p - sp->text);
  if (*p == '\0')
    {
      sp->token.kind = TOKEN_END;
      sp->p = p;
      return TRUE;
    }
  if (*p == '(' || *p == ')')
    {
      sp->token.kind = *p == '(' ? TOKEN_OPEN : TOKEN_CLOSE;
      sp->p = p + 1;
      return TRUE;
    }
  if (*p == '"')
    {
      GString *value = g_string_new (NULL);

      for (p++; *p != '"'; p++)
        {
          if (*p == '\0')
            {
              g_string_free (value, TRUE);
              sp->p = p;
              return fail (sp, (gsize) (start - sp->text),
                           _("a quoted value that is never closed (a “\"” is missing)"));
            }
          if (*p == '\\')
            {
              if (p[1] != '"' && p[1] != '\\')
                {
                  g_string_free (value, TRUE);
                  return fail (sp, (gsize) (p - sp->text),
                               _("“\\” in a value must be followed by “\"” or “\\”"));
                }
              p++;
            }
          g_string_append_c (value, *p);
        }
      sp->token.kind = TOKEN_STRING;
      sp->token.text = g_string_free (value, FALSE);
      sp->p = p + 1;
      return TRUE;
    }
  if (g_ascii_isdigit (*p) || (*p == '-' && g_ascii_isdigit (p[1])))
    {
      p++;
      while (g_ascii_isdigit (*p) || *p == '.')
        p++;
      sp->token.kind = TOKEN_NUMBER;
      sp->token.text = g_strndup (start, p - start);
      sp->p = p;
      if (g_ascii_isalpha (*p))
        return fail (sp, (gsize) (p - sp->text), _("a space was expected after a number"));
      return TRUE;
    }
  if (g_ascii_isalpha (*p) || *p == '_')
    {
      while (g_ascii_isalnum (*p) || *p == '_' || *p == '.')
        p++;
      sp->token.kind = TOKEN_WORD;
      sp->token.text = g_strndup (start, p - start);
      sp->p = p;
      return TRUE;
    }
  sp->p = p;
  if (*p == '\'')
    return fail (sp, sp->token.start, _("values are quoted with “\"”, not “'”"));
  if (*p == '=' || *p == '!' || *p == '<' || *p == '>')
    return fail (sp, sp->token.start,
                 _("comparisons are written with words: eq, sw, co, gt, ge, lt, le or pr"));
  return fail (sp, sp->token.start, _("an unexpected character"));
}

/* ---------------------------------------------------------------- the parser */

typedef enum {
  ATTRIBUTE_PROFILE,
  ATTRIBUTE_STATUS,
  ATTRIBUTE_DATE,
  ATTRIBUTE_OTHER,   /* id, type.id */
} AttributeKind;

/* The attribute as Okta spells it in a search, or NULL (the reason set). */
static char *
search_attribute (SearchParser  *sp,
                  const char    *word,
                  gsize          position,
                  AttributeKind *kind)
{
  const char *bare = strip_profile_prefix (word);
  const char *top;
  const char *standard;

  if (bare == NULL)
    {
      if (g_ascii_strcasecmp (word, "type.id") == 0)
        {
          *kind = ATTRIBUTE_OTHER;
          return g_strdup ("type.id");
        }
      top = find_casefold (search_property_names, word);
      if (top != NULL)
        {
          *kind = g_str_equal (top, "status") ? ATTRIBUTE_STATUS
                  : find_casefold (date_property_names, top) != NULL ? ATTRIBUTE_DATE
                  : ATTRIBUTE_OTHER;
          return g_strdup (top);
        }
      if (find_casefold (user_property_names, word) != NULL)
        {
          g_autofree char *what = g_strdup_printf (_("Okta cannot search by “%s”"), word);
          fail (sp, position, what);
          return NULL;
        }
      bare = word;
    }
  if (!name_is_valid (bare, strlen (bare)))
    {
      g_autofree char *what =
        g_strdup_printf (_("“%s” is not an Okta attribute (write profile.NAME, e.g. "
                           "profile.department, or id, status, created, lastUpdated)"), word);
      fail (sp, position, what);
      return NULL;
    }
  *kind = ATTRIBUTE_PROFILE;
  standard = find_casefold (standard_attribute_names, bare);
  return g_strconcat ("profile.", standard != NULL ? standard : bare, NULL);
}

static void
append_quoted (GString    *out,
               const char *value)
{
  g_string_append_c (out, '"');
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static gboolean parse_or (SearchParser *sp);

static gboolean
parse_comparison (SearchParser *sp)
{
  g_autofree char *attribute = NULL;
  g_autofree char *op = NULL;
  AttributeKind kind = ATTRIBUTE_OTHER;
  gsize op_at;
  gsize value_at;

  if (sp->token.kind != TOKEN_WORD)
    return fail (sp, sp->token.start, sp->token.kind == TOKEN_END
                 ? _("the expression ends where a comparison was expected")
                 : _("an attribute name was expected"));
  if (g_ascii_strcasecmp (sp->token.text, "not") == 0)
    return fail (sp, sp->token.start,
                 _("Okta’s search has no “not”: compare with lt/gt, or list the values "
                   "you want with “or”"));
  attribute = search_attribute (sp, sp->token.text, sp->token.start, &kind);
  if (attribute == NULL)
    return FALSE;
  if (!next_token (sp))
    return FALSE;
  op_at = sp->token.start;
  if (sp->token.kind != TOKEN_WORD)
    return fail (sp, op_at, _("an operator (eq, sw, co, gt, ge, lt, le or pr) was expected"));
  op = g_ascii_strdown (sp->token.text, -1);
  if (sp->attributes != NULL)
    g_ptr_array_add (sp->attributes, g_strdup (attribute));
  if (g_str_equal (op, "pr"))
    {
      g_string_append_printf (sp->out, "%s pr", attribute);
      return next_token (sp);
    }
  if (g_str_equal (op, "ne"))
    return fail (sp, op_at,
                 _("Okta’s search has no “ne”: write (A lt \"x\" or A gt \"x\") instead"));
  if (find_casefold (operator_names, op) == NULL)
    {
      g_autofree char *what =
        g_strdup_printf (_("“%s” is not an operator (use eq, sw, co, gt, ge, lt, le or pr)"),
                         sp->token.text);
      return fail (sp, op_at, what);
    }
  if (g_str_equal (op, "co") && (kind != ATTRIBUTE_PROFILE
                                 || find_casefold (contains_attribute_names,
                                                   attribute + strlen ("profile.")) == NULL))
    return fail (sp, op_at,
                 _("Okta searches with “co” only in firstName, lastName, email and login: "
                   "use eq or sw"));
  if (!next_token (sp))
    return FALSE;
  value_at = sp->token.start;

  switch (kind)
    {
    case ATTRIBUTE_STATUS:
      {
        const char *status;

        if (!g_str_equal (op, "eq"))
          return fail (sp, op_at, _("a status is compared with eq, e.g. status eq \"ACTIVE\""));
        if (sp->token.kind != TOKEN_STRING
            || (status = find_casefold (status_names, sp->token.text)) == NULL)
          {
            g_autofree char *list = g_strjoinv (", ", (char **) status_names);
            g_autofree char *what = g_strdup_printf (_("a status in quotes was expected: one "
                                                       "of %s"), list);
            return fail (sp, value_at, what);
          }
        g_string_append_printf (sp->out, "%s eq \"%s\"", attribute, status);
        return next_token (sp);
      }
    case ATTRIBUTE_DATE:
      {
        g_autoptr(GDateTime) when = NULL;

        if (g_str_equal (op, "sw") || g_str_equal (op, "co"))
          return fail (sp, op_at, _("a date is compared with eq, gt, ge, lt or le"));
        if (sp->token.kind == TOKEN_STRING)
          when = g_date_time_new_from_iso8601 (sp->token.text, NULL);
        if (when == NULL)
          return fail (sp, value_at, _("a date in quotes was expected, such as "
                                       "\"2026-01-31T00:00:00.000Z\""));
        break;
      }
    case ATTRIBUTE_PROFILE:
    case ATTRIBUTE_OTHER:
    default:
      if (sp->token.kind == TOKEN_WORD
          && g_ascii_strcasecmp (sp->token.text, "true") != 0
          && g_ascii_strcasecmp (sp->token.text, "false") != 0)
        return fail (sp, value_at, _("a value in “\"” quotes was expected"));
      if (sp->token.kind != TOKEN_STRING && sp->token.kind != TOKEN_NUMBER
          && sp->token.kind != TOKEN_WORD)
        return fail (sp, value_at, _("a value was expected"));
      if (sp->token.kind != TOKEN_STRING && (g_str_equal (op, "sw") || g_str_equal (op, "co")))
        return fail (sp, value_at, _("sw and co compare with text in “\"” quotes"));
      break;
    }

  g_string_append_printf (sp->out, "%s %s ", attribute, op);
  if (sp->token.kind == TOKEN_STRING)
    append_quoted (sp->out, sp->token.text);
  else if (sp->token.kind == TOKEN_WORD)
    {
      g_autofree char *lower = g_ascii_strdown (sp->token.text, -1);
      g_string_append (sp->out, lower);
    }
  else
    g_string_append (sp->out, sp->token.text);
  return next_token (sp);
}

static gboolean
parse_term (SearchParser *sp)
{
  gsize open_at = sp->token.start;

  if (sp->token.kind != TOKEN_OPEN)
    return parse_comparison (sp);
  if (++sp->depth > MAX_SEARCH_DEPTH)
    return fail (sp, open_at, _("parentheses nested too deep"));
  g_string_append_c (sp->out, '(');
  if (!next_token (sp) || !parse_or (sp))
    return FALSE;
  if (sp->token.kind != TOKEN_CLOSE)
    return fail (sp, sp->token.start, _("a “)” was expected"));
  g_string_append_c (sp->out, ')');
  sp->depth--;
  return next_token (sp);
}

static gboolean
parse_and (SearchParser *sp)
{
  if (!parse_term (sp))
    return FALSE;
  while (sp->token.kind == TOKEN_WORD && g_ascii_strcasecmp (sp->token.text, "and") == 0)
    {
      g_string_append (sp->out, " and ");
      if (!next_token (sp) || !parse_term (sp))
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_or (SearchParser *sp)
{
  if (!parse_and (sp))
    return FALSE;
  while (sp->token.kind == TOKEN_WORD && g_ascii_strcasecmp (sp->token.text, "or") == 0)
    {
      g_string_append (sp->out, " or ");
      if (!next_token (sp) || !parse_and (sp))
        return FALSE;
    }
  return TRUE;
}

/* ---------------------------------------------------------------- public API */

char *
ps_okta_org_url_check (const char  *url,
                       char       **reason)
{
  g_autofree char *text = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *host = NULL;
  const char *scheme;
  const char *path;
  int port;

  if (url == NULL || *url == '\0')
    {
      if (reason != NULL)
        *reason = g_strdup (_("give the org URL, such as https://acme.okta.com"));
      return NULL;
    }
  text = g_strstrip (g_strdup (url));
  uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0'
      || (g_strcmp0 (scheme, "https") != 0 && g_strcmp0 (scheme, "http") != 0))
    {
      if (reason != NULL)
        *reason = g_strdup_printf (_("“%s” is not an https:// URL such as "
                                     "https://acme.okta.com"), text);
      return NULL;
    }
  host = g_ascii_strdown (g_uri_get_host (uri), -1);
  if (g_str_equal (scheme, "http") && !g_str_equal (host, "127.0.0.1"))
    {
      if (reason != NULL)
        *reason = g_strdup_printf (_("“%s” is not an https:// URL: Okta is only reached over "
                                     "https (http is for a test server on 127.0.0.1)"), text);
      return NULL;
    }
  if (strchr (host, '{') != NULL || strstr (host, "youroktadomain") != NULL)
    {
      if (reason != NULL)
        *reason = g_strdup_printf (_("“%s” is the documentation’s placeholder: give your org’s "
                                     "URL, such as https://acme.okta.com"), text);
      return NULL;
    }
  if (strstr (host, "-admin.") != NULL)
    {
      g_autoptr(GString) fixed = g_string_new (host);

      g_string_replace (fixed, "-admin.", ".", 1);
      if (reason != NULL)
        *reason = g_strdup_printf (_("%s is the Admin Console’s host, which does not serve the "
                                     "API: use https://%s"), host, fixed->str);
      return NULL;
    }
  if (g_uri_get_userinfo (uri) != NULL)
    {
      if (reason != NULL)
        *reason = g_strdup_printf (_("remove “%s@” from the URL: the API token is stored apart, "
                                     "never in the URL"), g_uri_get_userinfo (uri));
      return NULL;
    }
  path = g_uri_get_path (uri);
  if (path != NULL && *path != '\0' && !g_str_equal (path, "/"))
    {
      if (reason != NULL)
        *reason = g_strdup_printf (_("remove “%s” from the URL: the org URL is only "
                                     "https://host, such as https://acme.okta.com"), path);
      return NULL;
    }
  if (g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    {
      if (reason != NULL)
        *reason = g_strdup_printf (_("remove “%s%s%s” from the URL: the org URL is only "
                                     "https://host, such as https://acme.okta.com"),
                                   g_uri_get_query (uri) != NULL ? "?" : "",
                                   g_uri_get_query (uri) != NULL ? g_uri_get_query (uri) : "",
                                   g_uri_get_fragment (uri) != NULL ? "#…" : "");
      return NULL;
    }
  port = g_uri_get_port (uri);
  if (port > 0)
    return g_strdup_printf ("%s://%s:%d", scheme, host, port);
  return g_strdup_printf ("%s://%s", scheme, host);
}

gboolean
ps_okta_attribute_is_valid (const char *name)
{
  const char *bare;

  if (name == NULL)
    return FALSE;
  bare = strip_profile_prefix (name);
  if (bare != NULL)
    return name_is_valid (bare, strlen (bare));
  return name_is_valid (name, strlen (name));
}

GStrv
ps_okta_attribute_spec_split (const char  *spec,
                              char       **reason)
{
  g_auto(GStrv) parts = NULL;

  if (spec == NULL || *spec == '\0')
    {
      if (reason != NULL)
        *reason = g_strdup (_("no attribute is named"));
      return NULL;
    }
  parts = g_strsplit (spec, "|", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_strstrip (parts[i]);
      if (*parts[i] == '\0')
        {
          if (reason != NULL)
            *reason = g_strdup_printf (_("“%s” has an empty alternative: write a|b|c with a "
                                         "name between each “|”"), spec);
          return NULL;
        }
      if (!ps_okta_attribute_is_valid (parts[i]))
        {
          if (reason != NULL)
            *reason = g_strdup_printf (_("“%s” is not an Okta user attribute: write a profile "
                                         "attribute such as email or profile.department "
                                         "(letters, digits and _), or id"), parts[i]);
          return NULL;
        }
    }
  return g_steal_pointer (&parts);
}

const char *const *
ps_okta_user_property_names (void)
{
  return user_property_names;
}

const char *const *
ps_okta_standard_attribute_names (void)
{
  return standard_attribute_names;
}

const char *const *
ps_okta_status_names (void)
{
  return status_names;
}

char *
ps_okta_search_parse (const char  *text,
                      GPtrArray  **attributes,
                      char       **reason)
{
  SearchParser sp = { 0 };
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  gboolean ok;

  if (attributes != NULL)
    *attributes = NULL;
  if (text == NULL || *text == '\0')
    {
      if (reason != NULL)
        *reason = g_strdup (_("the expression is empty"));
      return NULL;
    }
  if (strlen (text) > MAX_SEARCH_LEN)
    {
      if (reason != NULL)
        *reason = g_strdup_printf (_("the expression is longer than %u characters"),
                                   MAX_SEARCH_LEN);
      return NULL;
    }
  sp.text = text;
  sp.p = text;
  sp.out = g_string_new (NULL);
  sp.attributes = found;
  ok = next_token (&sp) && parse_or (&sp);
  if (ok && sp.token.kind != TOKEN_END)
    ok = fail (&sp, sp.token.start, sp.token.kind == TOKEN_CLOSE
               ? _("a “)” without its “(”")
               : _("“and” or “or” was expected between two comparisons"));
  g_free (sp.token.text);
  if (!ok)
    {
      if (reason != NULL)
        *reason = g_steal_pointer (&sp.reason);
      g_free (sp.reason);
      g_string_free (sp.out, TRUE);
      return NULL;
    }
  if (attributes != NULL)
    *attributes = g_steal_pointer (&found);
  return g_string_free (sp.out, FALSE);
}
