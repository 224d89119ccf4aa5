/* ps-directory-lookup.c — scope and identity questions asked of a directory
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ps-directory-entry.h"
#include "ps-directory-error.h"
#include "ps-directory-lookup.h"

/* Values looked up in one search: (|(a=v1)(a=v2)…). */
#define VALUES_PER_FILTER 50

typedef struct {
  GHashTable *dns;
  GHashTable *found;
  const char *attribute;
} Collect;

/* ---------------------------------------------------------------- callbacks */

static gboolean
on_dns_page_cb (GPtrArray  *entries,
                gboolean    restarted,
                gpointer    user_data,
                GError    **error)
{
  Collect *c = user_data;

  if (restarted)
    g_hash_table_remove_all (c->dns);
  for (guint i = 0; i < entries->len; i++)
    {
      const char *dn = ps_directory_entry_get_dn (g_ptr_array_index (entries, i));
      g_hash_table_replace (c->dns, g_ascii_strdown (dn, -1), g_strdup (dn));
    }
  return TRUE;
}

static gboolean
on_values_page_cb (GPtrArray  *entries,
                   gboolean    restarted,
                   gpointer    user_data,
                   GError    **error)
{
  Collect *c = user_data;

  for (guint i = 0; i < entries->len; i++)
    {
      g_auto(GStrv) values = ps_directory_entry_dup_strings (g_ptr_array_index (entries, i),
                                                            c->attribute, NULL);
      for (guint j = 0; values != NULL && values[j] != NULL; j++)
        g_hash_table_add (c->found, g_ascii_strdown (values[j], -1));
    }
  return TRUE;
}

typedef struct {
  char *default_nc;
  char *subschema;
} RootRead;

static gboolean
on_root_page_cb (GPtrArray  *entries,
                 gboolean    restarted,
                 gpointer    user_data,
                 GError    **error)
{
  RootRead *r = user_data;

  if (entries->len > 0 && r->default_nc == NULL)
    r->default_nc = ps_directory_entry_dup_string (g_ptr_array_index (entries, 0),
                                                   "defaultNamingContext", NULL);
  if (entries->len > 0 && r->subschema == NULL)
    r->subschema = ps_directory_entry_dup_string (g_ptr_array_index (entries, 0),
                                                  "subschemaSubentry", NULL);
  return TRUE;
}

/* ---------------------------------------------------------------- helpers */

/* The filter form of a value read as text: SIDs and GUIDs are binary in the
 * directory. NULL when the text cannot be such a value. */
static char *
escape_value (const char *attribute,
              const char *text)
{
  g_autoptr(GBytes) bytes = NULL;
  gsize length = 0;
  const guint8 *data;

  if (g_ascii_strcasecmp (attribute, "objectSid") == 0)
    bytes = ps_directory_sid_from_string (text, NULL);
  else if (g_ascii_strcasecmp (attribute, "objectGUID") == 0)
    bytes = ps_directory_guid_from_string (text, NULL);
  else
    return ps_directory_escape_filter_value (text, strlen (text));
  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &length);
  return ps_directory_escape_filter_value (data, length);
}

static void
add_sid_of (PsDirectory   *self,
            const char    *dn,
            GHashTable    *sids,
            GCancellable  *cancellable)
{
  static const char *const attrs[] = { "objectSid", NULL };
  g_autoptr(PsDirectoryEntry) entry = NULL;
  g_autofree char *sid = NULL;
  g_autoptr(GError) local = NULL;

  if (dn == NULL || *dn == '\0')
    return;
  entry = ps_directory_read_entry_sync (self, dn, attrs, cancellable, &local);
  if (entry == NULL)
    {
      g_debug ("no domain SID at %s: %s", dn, local->message);
      return;
    }
  sid = ps_directory_entry_dup_sid (entry);
  /* A domain's own SID is S-1-5-21-a-b-c: three sub-authorities after 21. */
  if (sid != NULL && g_str_has_prefix (sid, "S-1-5-21-"))
    g_hash_table_add (sids, g_steal_pointer (&sid));
}

/* ---------------------------------------------------------------- public API */

GHashTable *
ps_directory_search_dns_sync (PsDirectory   *self,
                              const char    *base,
                              const char    *filter,
                              GCancellable  *cancellable,
                              GError       **error)
{
  static const char *const no_attrs[] = { "1.1", NULL };
  g_autoptr(GHashTable) dns = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  Collect c = { dns, NULL, NULL };

  g_return_val_if_fail (PS_IS_DIRECTORY (self), NULL);
  if (!ps_directory_search_sync (self, base, PS_DIRECTORY_SCOPE_SUBTREE, filter, no_attrs,
                                 on_dns_page_cb, &c, cancellable, error))
    return NULL;
  return g_steal_pointer (&dns);
}

GHashTable *
ps_directory_find_values_sync (PsDirectory   *self,
                               const char    *attribute,
                               GPtrArray     *values,
                               GCancellable  *cancellable,
                               GError       **error)
{
  g_autoptr(GHashTable) found = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *attrs[] = { attribute, NULL };
  Collect c = { NULL, found, attribute };
  g_autoptr(GString) filter = g_string_new (NULL);
  guint in_filter = 0;

  g_return_val_if_fail (PS_IS_DIRECTORY (self), NULL);
  for (guint i = 0; i < values->len; i++)
    {
      g_autofree char *escaped = escape_value (attribute, g_ptr_array_index (values, i));

      if (escaped != NULL)
        {
          if (in_filter == 0)
            g_string_assign (filter, "(|");
          g_string_append_printf (filter, "(%s=%s)", attribute, escaped);
          in_filter++;
        }
      if (in_filter > 0 && (in_filter == VALUES_PER_FILTER || i + 1 == values->len))
        {
          g_string_append_c (filter, ')');
          if (!ps_directory_search_sync (self, NULL, PS_DIRECTORY_SCOPE_SUBTREE, filter->str,
                                         attrs, on_values_page_cb, &c, cancellable, error))
            return NULL;
          in_filter = 0;
        }
    }
  return g_steal_pointer (&found);
}

GHashTable *
ps_directory_read_domain_sids_sync (PsDirectory   *self,
                                    GCancellable  *cancellable,
                                    GError       **error)
{
  static const char *const root_attrs[] = { "defaultNamingContext", NULL };
  g_autoptr(GHashTable) sids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *default_nc = NULL;
  g_autoptr(GError) local = NULL;
  RootRead root = { NULL };

  g_return_val_if_fail (PS_IS_DIRECTORY (self), NULL);
  if (!ps_directory_connect_sync (self, cancellable, error))
    return NULL;
  if (ps_directory_search_sync (self, "", PS_DIRECTORY_SCOPE_BASE, "(objectClass=*)", root_attrs,
                                on_root_page_cb, &root, cancellable, &local))
    default_nc = g_steal_pointer (&root.default_nc);
  else
    g_debug ("rootDSE not readable: %s", local->message);
  g_free (root.default_nc);
  g_free (root.subschema);
  add_sid_of (self, default_nc, sids, cancellable);
  add_sid_of (self, ps_directory_get_base_dn (self), sids, cancellable);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  return g_steal_pointer (&sids);
}

/* Adds the OID and every NAME of one attributeTypes value:
 * "( 2.5.4.3 NAME ( 'cn' 'commonName' ) SUP name )". */
static void
add_type_names (GHashTable *names,
                const char *definition)
{
  const char *p = definition;
  const char *name;

  while (*p == '(' || g_ascii_isspace (*p))
    p++;
  if (g_ascii_isdigit (*p))
    {
      const char *start = p;
      while (g_ascii_isdigit (*p) || *p == '.')
        p++;
      g_hash_table_add (names, g_strndup (start, (gsize) (p - start)));
    }
  name = strstr (p, " NAME ");
  if (name == NULL)
    return;
  p = name + strlen (" NAME ");
  while (g_ascii_isspace (*p))
    p++;
  {
    gboolean list = *p == '(';
    if (list)
      p++;
    for (;;)
      {
        const char *start, *end;

        while (g_ascii_isspace (*p))
          p++;
        if (*p != '\'')
          break;
        start = ++p;
        end = strchr (start, '\'');
        if (end == NULL)
          break;
        g_hash_table_add (names, g_ascii_strdown (start, (gssize) (end - start)));
        p = end + 1;
        if (!list)
          break;
      }
  }
}

typedef struct {
  GHashTable *names;
} SchemaRead;

static gboolean
on_schema_page_cb (GPtrArray  *entries,
                   gboolean    restarted,
                   gpointer    user_data,
                   GError    **error)
{
  SchemaRead *r = user_data;

  for (guint i = 0; i < entries->len; i++)
    {
      g_auto(GStrv) types = ps_directory_entry_dup_strings (g_ptr_array_index (entries, i),
                                                           "attributeTypes", NULL);
      for (guint j = 0; types != NULL && types[j] != NULL; j++)
        add_type_names (r->names, types[j]);
    }
  return TRUE;
}

GHashTable *
ps_directory_read_schema_attributes_sync (PsDirectory   *self,
                                          GCancellable  *cancellable,
                                          GError       **error)
{
  static const char *const root_attrs[] = { "subschemaSubentry", NULL };
  static const char *const schema_attrs[] = { "attributeTypes", NULL };
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  RootRead root = { NULL };
  SchemaRead r = { names };
  g_autofree char *subschema = NULL;

  g_return_val_if_fail (PS_IS_DIRECTORY (self), NULL);
  if (!ps_directory_connect_sync (self, cancellable, error))
    return NULL;
  if (!ps_directory_search_sync (self, "", PS_DIRECTORY_SCOPE_BASE, "(objectClass=*)", root_attrs,
                                 on_root_page_cb, &root, cancellable, error))
    {
      g_free (root.default_nc);
      g_free (root.subschema);
      return NULL;
    }
  g_free (root.default_nc);
  subschema = root.subschema;
  if (subschema == NULL)
    {
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NOT_SUPPORTED,
                   _("The directory does not say where its schema is (no subschemaSubentry)"));
      return NULL;
    }
  if (!ps_directory_search_sync (self, subschema, PS_DIRECTORY_SCOPE_BASE, "(objectClass=*)",
                                 schema_attrs, on_schema_page_cb, &r, cancellable, error))
    return NULL;
  if (g_hash_table_size (names) == 0)
    {
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NOT_SUPPORTED,
                   _("The directory’s schema lists no attribute types to this account"));
      return NULL;
    }
  return g_steal_pointer (&names);
}

char *
ps_directory_sid_domain (const char *sid)
{
  const char *last;

  if (sid == NULL || !g_str_has_prefix (sid, "S-1-5-21-"))
    return NULL;
  last = strrchr (sid, '-');
  if (last == NULL || last[1] == '\0')
    return NULL;
  return g_strndup (sid, (gsize) (last - sid));
}

gboolean
ps_directory_dn_is_under (const char *dn,
                          const char *base)
{
  g_autofree char *d = NULL;
  g_autofree char *b = NULL;
  gsize dl, bl;

  if (dn == NULL || base == NULL)
    return FALSE;
  d = ps_directory_normalize_dn (dn, NULL);
  b = ps_directory_normalize_dn (base, NULL);
  if (d == NULL || b == NULL)
    return FALSE;
  {
    char *ld = g_ascii_strdown (d, -1), *lb = g_ascii_strdown (b, -1);
    g_free (d);
    g_free (b);
    d = ld;
    b = lb;
  }
  dl = strlen (d);
  bl = strlen (b);
  if (dl == bl)
    return g_str_equal (d, b);
  return dl > bl && d[dl - bl - 1] == ',' && g_str_equal (d + dl - bl, b);
}
