/* ps-ldap-syntax.c — attribute descriptions, fallbacks and filters
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ps-ldap-syntax.h"

/* Longest filter accepted, and how deep ( ) may nest. */
#define MAX_FILTER_LEN   4096
#define MAX_FILTER_DEPTH 32

typedef struct {
  const char *text;
  const char *p;
  guint       depth;
  GPtrArray  *attributes;
  char       *reason;
} FilterParser;

/* ---------------------------------------------------------------- helpers */

static gboolean
is_keychar (char c)
{
  return g_ascii_isalnum (c) || c == '-';
}

/* descr / numericoid, then ;options — the length of the longest valid
 * attribute description at @s (0 when there is none). */
static gsize
attribute_length (const char *s)
{
  const char *p = s;

  if (g_ascii_isalpha (*p))
    {
      while (is_keychar (*p))
        p++;
    }
  else if (g_ascii_isdigit (*p))
    {
      for (;;)
        {
          if (!g_ascii_isdigit (*p))
            return 0;
          if (*p == '0' && g_ascii_isdigit (p[1]))
            return 0;   /* no leading zeros in an OID arc */
          while (g_ascii_isdigit (*p))
            p++;
          if (*p != '.')
            break;
          p++;
        }
      if (strchr (s, '.') == NULL || strchr (s, '.') > p)
        return 0;   /* a bare number is not an OID */
    }
  else
    return 0;

  while (*p == ';')
    {
      const char *option = ++p;
      while (is_keychar (*p))
        p++;
      if (p == option)
        return 0;
    }
  return (gsize) (p - s);
}

static gboolean
fail (FilterParser *fp,
      const char   *what)
{
  if (fp->reason == NULL)
    /* Translators: %s says what is wrong, %u is a 1-based character position */
    fp->reason = g_strdup_printf (_("%s at character %u"), what,
                                  (guint) (fp->p - fp->text) + 1);
  return FALSE;
}

/* assertionvalue: anything but ( ) \ and NUL, with \HH escapes; '*' only
 * where @allow_star (substrings). */
static gboolean
parse_value (FilterParser *fp,
             gboolean      allow_star)
{
  while (*fp->p != '\0' && *fp->p != ')')
    {
      if (*fp->p == '(')
        return fail (fp, _("an unescaped “(” in a value (write \\28)"));
      if (*fp->p == '*' && !allow_star)
        return fail (fp, _("an unescaped “*” in a value (write \\2a)"));
      if (*fp->p == '\\')
        {
          if (!g_ascii_isxdigit (fp->p[1]) || !g_ascii_isxdigit (fp->p[2]))
            return fail (fp, _("“\\” must be followed by two hex digits (\\5c for a backslash)"));
          fp->p += 3;
          continue;
        }
      fp->p++;
    }
  return TRUE;
}

static gboolean parse_filter (FilterParser *fp);

static gboolean
parse_item (FilterParser *fp)
{
  gsize len = attribute_length (fp->p);

  if (len == 0 && *fp->p != ':')
    return fail (fp, _("an attribute name was expected"));
  if (len > 0 && fp->attributes != NULL)
    g_ptr_array_add (fp->attributes, g_strndup (fp->p, len));
  fp->p += len;

  if (*fp->p == ':')
    {
      /* extensible: attr [:dn] [:rule] := value, or [:dn] :rule := value */
      gboolean have_rule = FALSE;

      if (g_ascii_strncasecmp (fp->p, ":dn", 3) == 0 && (fp->p[3] == ':'))
        fp->p += 3;
      if (*fp->p == ':' && fp->p[1] != '=')
        {
          gsize rule;
          fp->p++;
          rule = attribute_length (fp->p);
          if (rule == 0)
            return fail (fp, _("a matching rule was expected after “:”"));
          fp->p += rule;
          have_rule = TRUE;
        }
      if (len == 0 && !have_rule)
        return fail (fp, _("an attribute name was expected"));
      if (fp->p[0] != ':' || fp->p[1] != '=')
        return fail (fp, _("“:=” was expected"));
      fp->p += 2;
      return parse_value (fp, FALSE);
    }

  if ((fp->p[0] == '~' || fp->p[0] == '>' || fp->p[0] == '<') && fp->p[1] == '=')
    {
      fp->p += 2;
      return parse_value (fp, FALSE);
    }
  if (*fp->p != '=')
    return fail (fp, _("“=”, “~=”, “>=” or “<=” was expected"));
  fp->p++;
  /* equality, presence (=*) or substrings (a*b*c) */
  return parse_value (fp, TRUE);
}

static gboolean
parse_list (FilterParser *fp)
{
  guint n = 0;

  while (*fp->p == '(')
    {
      if (!parse_filter (fp))
        return FALSE;
      n++;
    }
  if (n == 0)
    return fail (fp, _("“(” was expected after “&” or “|”"));
  return TRUE;
}

static gboolean
parse_filter (FilterParser *fp)
{
  if (*fp->p != '(')
    return fail (fp, _("“(” was expected"));
  if (++fp->depth > MAX_FILTER_DEPTH)
    return fail (fp, _("the filter nests too deeply"));
  fp->p++;
  switch (*fp->p)
    {
    case '&':
    case '|':
      fp->p++;
      if (!parse_list (fp))
        return FALSE;
      break;
    case '!':
      fp->p++;
      if (!parse_filter (fp))
        return FALSE;
      break;
    case ')':
      return fail (fp, _("an empty “()”"));
    default:
      if (!parse_item (fp))
        return FALSE;
      break;
    }
  if (*fp->p != ')')
    return fail (fp, _("“)” was expected"));
  fp->p++;
  fp->depth--;
  return TRUE;
}

/* ---------------------------------------------------------------- public API */

gboolean
ps_ldap_attribute_is_valid (const char *name)
{
  gsize len;

  if (name == NULL || *name == '\0')
    return FALSE;
  len = attribute_length (name);
  return len > 0 && name[len] == '\0';
}

GStrv
ps_ldap_attribute_spec_split (const char  *spec,
                              char       **reason)
{
  g_auto(GStrv) parts = NULL;
  g_autoptr(GStrvBuilder) out = g_strv_builder_new ();

  if (spec == NULL || strspn (spec, " \t") == strlen (spec))
    {
      if (reason != NULL)
        *reason = g_strdup (_("no directory attribute is given"));
      return NULL;
    }
  parts = g_strsplit (spec, "|", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *name = g_strstrip (parts[i]);

      if (*name == '\0')
        {
          if (reason != NULL)
            *reason = g_strdup_printf (_("“%s” has an empty alternative: write names between "
                                         "the “|”, as in mail|userPrincipalName"), spec);
          return NULL;
        }
      if (!ps_ldap_attribute_is_valid (name))
        {
          if (reason != NULL)
            *reason = g_strdup_printf (_("“%s” is not a valid directory attribute name (letters, "
                                         "digits and “-”, starting with a letter)"), name);
          return NULL;
        }
      g_strv_builder_add (out, name);
    }
  return g_strv_builder_end (out);
}

char *
ps_ldap_filter_parse (const char  *text,
                      GPtrArray  **attributes,
                      char       **reason)
{
  g_autofree char *filter = NULL;
  g_autoptr(GPtrArray) attrs = g_ptr_array_new_with_free_func (g_free);
  FilterParser fp = { 0 };
  char *trimmed;

  if (text == NULL)
    {
      if (reason != NULL)
        *reason = g_strdup (_("the filter is empty"));
      return NULL;
    }
  trimmed = g_strstrip (g_strdup (text));
  filter = trimmed[0] == '(' ? trimmed : g_strdup_printf ("(%s)", trimmed);
  if (filter != trimmed)
    g_free (trimmed);

  if (strlen (filter) > MAX_FILTER_LEN)
    {
      if (reason != NULL)
        *reason = g_strdup_printf (_("the filter is longer than %u characters"), MAX_FILTER_LEN);
      return NULL;
    }
  if (g_str_equal (filter, "()"))
    {
      if (reason != NULL)
        *reason = g_strdup (_("the filter is empty"));
      return NULL;
    }

  fp.text = filter;
  fp.p = filter;
  fp.attributes = attrs;
  if (parse_filter (&fp) && *fp.p != '\0')
    fail (&fp, _("text after the end of the filter (join several conditions with (&…))"));
  if (fp.reason != NULL)
    {
      if (reason != NULL)
        *reason = g_steal_pointer (&fp.reason);
      g_free (fp.reason);
      return NULL;
    }
  if (attributes != NULL)
    *attributes = g_steal_pointer (&attrs);
  return g_steal_pointer (&filter);
}
