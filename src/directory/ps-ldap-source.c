/* ps-ldap-source.c — Active Directory (or any LDAP directory) as an identity source
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "ps-directory-entry.h"
#include "ps-directory-error.h"
#include "ps-directory-lookup.h"
#include "ps-ldap-source.h"
#include "ps-ldap-syntax.h"

struct _PsLdapSource
{
  GObject       parent_instance;

  PsDirectory  *directory;
  PsNestedMode  nested;
  GHashTable   *schema;        /* attribute names the directory knows, read once */
  gboolean      schema_read;
  GHashTable   *domain_sids;   /* this directory's domain SIDs, read once */
};

static void ps_ldap_source_iface_init (PsSourceInterface *iface);

G_DEFINE_TYPE_WITH_CODE (PsLdapSource, ps_ldap_source, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (PS_TYPE_SOURCE, ps_ldap_source_iface_init))

/* One read for one mapping. */
typedef struct {
  PsLdapSource        *self;
  const PsSourceQuery *query;
  GCancellable        *cancellable;
  GPtrArray           *people;
  guint                no_anchor;
  guint                bad_values;
} Read;

/* ---------------------------------------------------------------- helpers */

static const char *
first_nonempty (const char *a,
                const char *b)
{
  return a != NULL && *a != '\0' ? a : b;
}

static char *
entry_string (Read             *r,
              PsDirectoryEntry *entry,
              const char       *attribute)
{
  g_autoptr(GError) error = NULL;
  char *value = ps_directory_entry_dup_string (entry, attribute, &error);

  if (error != NULL)
    {
      r->bad_values++;
      ps_source_query_log (r->query, PS_SOURCE_LOG_WARNING, "%s (%s)", error->message, ps_directory_entry_get_dn (entry));
    }
  return value;
}

/* The value of an attribute, or of "a|b|c" the first non-empty one. */
static char *
entry_first_string (Read             *r,
                    PsDirectoryEntry *entry,
                    const char       *spec)
{
  g_auto(GStrv) names = NULL;

  if (strchr (spec, '|') == NULL)
    return entry_string (r, entry, spec);
  names = ps_ldap_attribute_spec_split (spec, NULL);
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      g_autofree char *value = entry_string (r, entry, names[i]);
      if (value != NULL && *value != '\0')
        return g_steal_pointer (&value);
    }
  return NULL;
}

/* Adds the directory attributes behind @spec ("a|b|c" gives three). */
static void
add_spec_attributes (GStrvBuilder *builder,
                     const char   *spec)
{
  g_auto(GStrv) names = NULL;

  if (spec == NULL)
    return;
  names = ps_ldap_attribute_spec_split (spec, NULL);
  if (names != NULL)
    g_strv_builder_addv (builder, (const char **) names);
}

static PsPerson *
person_from_entry (Read             *r,
                   PsDirectoryEntry *entry)
{
  const PsSourceQuery *q = r->query;
  g_autofree char *anchor = NULL;
  g_autofree char *remote = NULL;
  g_autofree char *display = NULL;
  g_autofree char *cn = NULL;
  g_autoptr(PsPerson) person = NULL;

  if (q->anchor_attribute == NULL)
    {
      g_autofree char *guid = ps_directory_entry_dup_guid (entry);
      g_autofree char *sid = ps_directory_entry_dup_sid (entry);

      anchor = g_strdup (guid != NULL ? guid : sid);
      remote = g_strdup (sid != NULL ? sid : guid);
    }
  else
    {
      anchor = entry_string (r, entry, q->anchor_attribute);
      remote = g_strdup (anchor);
    }
  if (anchor == NULL || *anchor == '\0')
    {
      r->no_anchor++;
      return NULL;
    }

  person = ps_person_new (anchor, ps_directory_entry_get_dn (entry));
  person->remote_anchor = g_steal_pointer (&remote);
  person->enabled = ps_directory_entry_get_enabled (entry);

  for (guint i = 0; q->attributes != NULL && q->attributes[i] != NULL; i++)
    {
      const char *spec = q->attributes[i];
      g_autofree char *value = NULL;

      if (ps_person_get_value (person, spec) != NULL)
        continue;
      value = entry_first_string (r, entry, spec);
      ps_person_set_value (person, spec, value != NULL ? value : "");
    }

  display = entry_string (r, entry, "displayName");
  cn = entry_string (r, entry, "cn");
  person->name = g_strdup (first_nonempty (display, first_nonempty (cn, person->dn)));
  return g_steal_pointer (&person);
}

static gboolean
on_members_page_cb (GPtrArray  *entries,
                    gboolean    restarted,
                    gpointer    user_data,
                    GError    **error)
{
  Read *r = user_data;

  if (restarted)
    {
      ps_source_query_log (r->query, PS_SOURCE_LOG_WARNING, _("The directory read was interrupted; reading again from the start"));
      g_ptr_array_set_size (r->people, 0);
    }
  for (guint i = 0; i < entries->len; i++)
    {
      PsPerson *person = person_from_entry (r, g_ptr_array_index (entries, i));
      if (person != NULL)
        g_ptr_array_add (r->people, person);
    }
  return !g_cancellable_set_error_if_cancelled (r->cancellable, error);
}

static GStrv
member_attributes (const PsSourceQuery *q,
                   gboolean             with_class)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  const char *base[] = { "objectGUID", "objectSid", "cn", "displayName", "userAccountControl",
                         "accountExpires", NULL };

  g_strv_builder_addv (b, base);
  if (q->anchor_attribute != NULL)
    g_strv_builder_add (b, q->anchor_attribute);
  for (guint i = 0; q->attributes != NULL && q->attributes[i] != NULL; i++)
    add_spec_attributes (b, q->attributes[i]);
  if (with_class)
    g_strv_builder_add (b, "objectClass");
  return g_strv_builder_end (b);
}

static void
log_no_anchor (Read *r)
{
  if (r->no_anchor > 0)
    ps_source_query_log (r->query, PS_SOURCE_LOG_WARNING,
         ngettext ("%u member has no %s and was left out",
                   "%u members have no %s and were left out", r->no_anchor),
         r->no_anchor, r->query->anchor_attribute != NULL ? r->query->anchor_attribute
                                                          : "objectGUID/objectSid");
}

/* Keeps only the people under the query's SearchBase and matching its
 * Filter (a search of DNs, ANDed with the group). */
static gboolean
restrict_to_scope (Read       *r,
                   GPtrArray  *people,
                   GError    **error)
{
  const PsSourceQuery *q = r->query;
  PsDirectory *dir = r->self->directory;
  g_autoptr(GHashTable) selected = NULL;
  gpointer *all;
  gsize n = 0;
  guint before = people->len;

  if (q->search_base == NULL && q->filter == NULL)
    return TRUE;
  if (q->search_base != NULL)
    {
      static const char *const no_attrs[] = { "1.1", NULL };
      g_autoptr(PsDirectoryEntry) base = ps_directory_read_entry_sync (dir, q->search_base, no_attrs,
                                                                       r->cancellable, error);
      if (base == NULL)
        {
          g_prefix_error (error, _("The mapping’s search base %s cannot be read: "), q->search_base);
          return FALSE;
        }
    }
  if (q->filter != NULL)
    {
      selected = ps_directory_search_dns_sync (dir, q->search_base, q->filter, r->cancellable, error);
      if (selected == NULL)
        {
          g_prefix_error (error, _("The mapping’s filter could not be searched: "));
          return FALSE;
        }
    }
  all = g_ptr_array_steal (people, &n);
  for (gsize i = 0; i < n; i++)
    {
      PsPerson *p = all[i];
      gboolean in = TRUE;

      if (q->search_base != NULL && !ps_directory_dn_is_under (p->dn, q->search_base))
        in = FALSE;
      if (in && selected != NULL)
        {
          g_autofree char *key = p->dn != NULL ? g_ascii_strdown (p->dn, -1) : NULL;
          in = key != NULL && g_hash_table_contains (selected, key);
        }
      if (in)
        g_ptr_array_add (people, p);
      else
        ps_person_free (p);
    }
  g_free (all);
  ps_source_query_log (r->query, PS_SOURCE_LOG_INFO, _("%u of %u members are in the mapping’s scope%s%s%s%s"),
       people->len, before,
       q->search_base != NULL ? _(" under ") : "", q->search_base != NULL ? q->search_base : "",
       q->filter != NULL ? _(" matching ") : "", q->filter != NULL ? q->filter : "");
  return TRUE;
}

/* The user DNs in the mapping's scope (lower-case → as read): the group's
 * members and, unless nesting is off, its nested groups' members. Only DNs
 * are read (ranged), which is cheap even for very large groups. */
static GHashTable *
read_scope_dns (Read        *r,
                const char  *group_dn,
                GError     **error)
{
  PsDirectory *dir = r->self->directory;
  g_autoptr(GHashTable) scope = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) group_dns = NULL;

  if (r->self->nested == PS_NESTED_OFF)
    {
      group_dns = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (group_dns, g_strdup (group_dn));
    }
  else
    {
      group_dns = ps_directory_expand_groups_sync (dir, group_dn, r->cancellable, error);
      if (group_dns == NULL)
        return NULL;
    }
  for (guint i = 0; i < group_dns->len; i++)
    g_hash_table_add (groups, g_ascii_strdown (g_ptr_array_index (group_dns, i), -1));
  for (guint i = 0; i < group_dns->len; i++)
    {
      g_autoptr(GPtrArray) members = ps_directory_read_ranged_sync (dir, g_ptr_array_index (group_dns, i),
                                                                    "member", r->cancellable, error);
      if (members == NULL)
        return NULL;
      for (guint j = 0; j < members->len; j++)
        {
          GBytes *value = g_ptr_array_index (members, j);
          gsize len = 0;
          const char *data = g_bytes_get_data (value, &len);
          g_autofree char *dn = g_strndup (data, len);
          g_autofree char *key = g_ascii_strdown (dn, -1);

          if (!g_hash_table_contains (groups, key))
            g_hash_table_replace (scope, g_steal_pointer (&key), g_steal_pointer (&dn));
        }
    }
  return g_steal_pointer (&scope);
}

typedef struct {
  Read        *read;
  GHashTable  *scope;      /* lower-case DN → DN */
  GHashTable  *seen;       /* lower-case DNs read as changed */
} DeltaRead;

static gboolean
on_changes_page_cb (GPtrArray  *entries,
                    gboolean    restarted,
                    gpointer    user_data,
                    GError    **error)
{
  DeltaRead *d = user_data;

  if (restarted)
    {
      g_ptr_array_set_size (d->read->people, 0);
      g_hash_table_remove_all (d->seen);
    }
  for (guint i = 0; i < entries->len; i++)
    {
      PsDirectoryEntry *entry = g_ptr_array_index (entries, i);
      g_autofree char *key = g_ascii_strdown (ps_directory_entry_get_dn (entry), -1);
      PsPerson *person;

      if (!g_hash_table_contains (d->scope, key))
        continue;   /* changed, but not in this mapping's group */
      person = person_from_entry (d->read, entry);
      if (person != NULL)
        {
          g_ptr_array_add (d->read->people, person);
          g_hash_table_add (d->seen, g_steal_pointer (&key));
        }
    }
  return !g_cancellable_set_error_if_cancelled (d->read->cancellable, error);
}

/* ---------------------------------------------------------------- watermarks */

static char *
mark_to_token (const PsDirectoryWatermark *mark)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "usn");
  json_builder_add_int_value (b, (gint64) mark->usn);
  json_builder_set_member_name (b, "invocationId");
  json_builder_add_string_value (b, mark->invocation_id);
  json_builder_set_member_name (b, "dsServiceName");
  json_builder_add_string_value (b, mark->service_name);
  json_builder_set_member_name (b, "dnsHostName");
  json_builder_add_string_value (b, mark->server);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static PsDirectoryWatermark *
mark_from_token (const char *token)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(PsDirectoryWatermark) mark = g_new0 (PsDirectoryWatermark, 1);
  JsonObject *o;

  if (token == NULL || !json_parser_load_from_data (parser, token, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  o = json_node_get_object (json_parser_get_root (parser));
  mark->usn = (guint64) json_object_get_int_member_with_default (o, "usn", 0);
  mark->invocation_id = g_strdup (json_object_get_string_member_with_default (o, "invocationId", NULL));
  mark->service_name = g_strdup (json_object_get_string_member_with_default (o, "dsServiceName", NULL));
  mark->server = g_strdup (json_object_get_string_member_with_default (o, "dnsHostName", NULL));
  if (mark->usn == 0 || mark->invocation_id == NULL)
    return NULL;
  return g_steal_pointer (&mark);
}

/* ---------------------------------------------------------------- PsSource */

static const char *
ldap_get_kind_name (PsSource *source)
{
  PsLdapSource *self = PS_LDAP_SOURCE (source);

  return ps_directory_get_kind (self->directory) == PS_DIRECTORY_KIND_ACTIVE_DIRECTORY
         ? _("Active Directory") : _("LDAP directory");
}

static gboolean
ldap_connect (PsSource      *source,
              GCancellable  *cancellable,
              GError       **error)
{
  return ps_directory_connect_sync (PS_LDAP_SOURCE (source)->directory, cancellable, error);
}

static void
ldap_close (PsSource *source)
{
  ps_directory_close (PS_LDAP_SOURCE (source)->directory);
}

static const char *
ldap_get_location (PsSource *source)
{
  return ps_directory_get_connected_uri (PS_LDAP_SOURCE (source)->directory);
}

static GPtrArray *
ldap_test_connection (PsSource      *source,
                      const char    *group,
                      GCancellable  *cancellable,
                      GError       **error)
{
  /* every failure is a step of the result, never an error */
  return ps_directory_test_connection_sync (PS_LDAP_SOURCE (source)->directory, group, cancellable);
}

static PsSourceGroup *
group_from_entry (PsDirectoryEntry *entry)
{
  g_autofree char *guid = ps_directory_entry_dup_guid (entry);
  g_autofree char *cn = ps_directory_entry_dup_string (entry, "cn", NULL);
  PsSourceGroup *group = ps_source_group_new (guid != NULL ? guid : ps_directory_entry_get_dn (entry),
                                              cn != NULL ? cn : ps_directory_entry_get_dn (entry));

  group->path = g_strdup (ps_directory_entry_get_dn (entry));
  group->description = ps_directory_entry_dup_string (entry, "description", NULL);
  return group;
}

static GPtrArray *
ldap_find_groups (PsSource      *source,
                  const char    *search,
                  guint          limit,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autoptr(GPtrArray) entries = ps_directory_list_groups_sync (PS_LDAP_SOURCE (source)->directory,
                                                                search, limit, cancellable, error);
  g_autoptr(GPtrArray) groups = NULL;

  if (entries == NULL)
    return NULL;
  groups = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_source_group_free);
  for (guint i = 0; i < entries->len; i++)
    g_ptr_array_add (groups, group_from_entry (g_ptr_array_index (entries, i)));
  return g_steal_pointer (&groups);
}

static PsSourceGroup *
ldap_resolve_group (PsSource      *source,
                    const char    *group,
                    GCancellable  *cancellable,
                    GError       **error)
{
  g_autoptr(PsDirectoryEntry) entry = ps_directory_find_group_sync (PS_LDAP_SOURCE (source)->directory,
                                                                    group, cancellable, error);

  return entry != NULL ? group_from_entry (entry) : NULL;
}

static const char *const *
ldap_suggested_attributes (PsSource *source)
{
  static const char *const names[] = {
    "mail|userPrincipalName", "mail", "userPrincipalName", "givenName", "sn", "displayName", "cn",
    "department", "title", "company", "physicalDeliveryOfficeName", "telephoneNumber", "mobile",
    "employeeID", "employeeNumber", "sAMAccountName", "manager", "l", "co", NULL
  };
  return names;
}

static gboolean
check_spec_known (PsLdapSource  *self,
                  const char    *name,
                  const char    *key,
                  const char    *spec,
                  GError       **error)
{
  g_auto(GStrv) names = NULL;

  if (key == NULL || spec == NULL)
    return TRUE;
  names = ps_ldap_attribute_spec_split (spec, NULL);
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      g_autofree char *type = g_ascii_strdown (names[i], -1);
      char *options = strchr (type, ';');

      if (options != NULL)
        *options = '\0';
      if (!g_hash_table_contains (self->schema, type))
        {
          g_set_error (error, PS_SOURCE_ERROR, PS_SOURCE_ERROR_UNKNOWN_ATTRIBUTE,
                       _("%s names the directory attribute “%s”, which this directory’s schema "
                         "does not know: check the spelling in the mapping “%s”"),
                       key, names[i], name);
          return FALSE;
        }
    }
  return TRUE;
}

/* Every directory attribute the mapping names must be one the directory's
 * schema knows: a misspelt name would otherwise read as empty for everyone.
 * A schema this account cannot read is only noted. */
static gboolean
ldap_check_attributes (PsSource             *source,
                       const PsSourceQuery  *query,
                       GCancellable         *cancellable,
                       GError              **error)
{
  PsLdapSource *self = PS_LDAP_SOURCE (source);
  Read r = { self, query, cancellable, NULL, 0, 0 };
  g_autoptr(GPtrArray) used = NULL;

  if (!self->schema_read)
    {
      g_autoptr(GError) local = NULL;

      self->schema_read = TRUE;
      self->schema = ps_directory_read_schema_attributes_sync (self->directory, cancellable, &local);
      if (self->schema == NULL)
        ps_source_query_log (r.query, PS_SOURCE_LOG_WARNING,
             _("The directory’s schema could not be read (%s); attribute names are not checked"),
             local->message);
    }
  if (self->schema == NULL)
    return TRUE;

  if (query->anchor_attribute != NULL
      && !check_spec_known (self, query->name, "UniqueIdentifier", query->anchor_attribute, error))
    return FALSE;
  for (guint i = 0; query->attributes != NULL && query->attributes[i] != NULL; i++)
    if (!check_spec_known (self, query->name,
                           query->attribute_keys != NULL ? query->attribute_keys[i] : query->attributes[i],
                           query->attributes[i], error))
      return FALSE;
  if (query->filter != NULL)
    {
      g_autofree char *normal = ps_ldap_filter_parse (query->filter, &used, NULL);

      for (guint i = 0; used != NULL && i < used->len; i++)
        if (!check_spec_known (self, query->name, "Filter", g_ptr_array_index (used, i), error))
          return FALSE;
    }
  return TRUE;
}

static GPtrArray *
ldap_read_people (PsSource             *source,
                  const PsSourceQuery  *query,
                  guint                *members,
                  GCancellable         *cancellable,
                  GError              **error)
{
  PsLdapSource *self = PS_LDAP_SOURCE (source);
  g_autoptr(PsDirectoryEntry) group = NULL;
  g_autoptr(GPtrArray) people = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_person_free);
  g_auto(GStrv) attrs = member_attributes (query, FALSE);
  g_autoptr(PsDirectoryMemberReport) report = NULL;
  g_autoptr(GError) local = NULL;
  Read r = { self, query, cancellable, people, 0, 0 };
  gboolean complete;

  group = ps_directory_find_group_sync (self->directory, query->group, cancellable, error);
  if (group == NULL)
    return NULL;
  complete = ps_directory_read_members_sync (self->directory, ps_directory_entry_get_dn (group),
                                             self->nested, (const char *const *) attrs,
                                             on_members_page_cb, &r, &report, cancellable, &local);
  if (report->computers + report->contacts + report->foreign_principals > 0)
    ps_source_query_log (r.query, PS_SOURCE_LOG_INFO,
         _("Members that are not people were skipped: %u computers, %u contacts, "
           "%u foreign security principals"),
         report->computers, report->contacts, report->foreign_principals);
  if (!complete)
    {
      /* name every member that is missing: the error names only a few */
      if (g_error_matches (local, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_PARTIAL_MEMBERS))
        {
          guint missing = report->unreadable->len + report->unclassified->len;

          for (guint i = 0; i < report->unreadable->len; i++)
            ps_source_query_log (r.query, PS_SOURCE_LOG_WARNING,
                 _("The member %s could not be read: it does not exist, or the service account "
                   "may not read it"), (const char *) g_ptr_array_index (report->unreadable, i));
          for (guint i = 0; i < report->unclassified->len; i++)
            ps_source_query_log (r.query, PS_SOURCE_LOG_WARNING,
                 _("The member %s is not a person, a group, a computer, a contact or a foreign "
                   "security principal"), (const char *) g_ptr_array_index (report->unclassified, i));
          ps_source_query_log (r.query, PS_SOURCE_LOG_WARNING,
               ngettext ("%u member could not be read or classified: the membership is incomplete",
                         "%u members could not be read or classified: the membership is incomplete",
                         missing), missing);
        }
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  log_no_anchor (&r);
  if (members != NULL)
    *members = people->len;
  if (!restrict_to_scope (&r, people, error))
    return NULL;
  return g_steal_pointer (&people);
}

static char *
ldap_read_watermark (PsSource             *source,
                     const PsSourceQuery  *query,
                     GCancellable         *cancellable,
                     GError              **error)
{
  PsLdapSource *self = PS_LDAP_SOURCE (source);
  g_autoptr(GError) local = NULL;
  g_autoptr(PsDirectoryWatermark) mark = ps_directory_read_watermark_sync (self->directory, cancellable,
                                                                          &local);

  /* OpenLDAP has no uSNChanged: no watermark, full reads only. */
  if (mark == NULL)
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  return mark_to_token (mark);
}

/* A delta read (Active Directory): the members whose uSNChanged moved since
 * the watermark, people who joined the group, and the unchanged rest taken
 * from what the engine knows. NULL without an error when a full read is
 * needed instead. */
static GPtrArray *
ldap_read_changes (PsSource             *source,
                   const PsSourceQuery  *query,
                   const char           *watermark,
                   GHashTable           *known,
                   char                **new_watermark,
                   GCancellable         *cancellable,
                   GError              **error)
{
  PsLdapSource *self = PS_LDAP_SOURCE (source);
  g_autoptr(PsDirectoryWatermark) since = mark_from_token (watermark);
  g_autoptr(PsDirectoryWatermark) now = NULL;
  g_autoptr(PsDirectoryEntry) group = NULL;
  g_autoptr(GHashTable) scope = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) by_dn = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) people = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_person_free);
  g_auto(GStrv) attrs = member_attributes (query, TRUE);
  g_autoptr(GError) local = NULL;
  Read r = { self, query, cancellable, people, 0, 0 };
  DeltaRead d = { &r, NULL, seen };
  GHashTableIter iter;
  gpointer key, value;
  guint joined = 0;
  guint skipped[3] = { 0, 0, 0 };   /* computers, contacts, foreign security principals */

  if (since == NULL || self->nested == PS_NESTED_IN_CHAIN)
    return NULL;
  group = ps_directory_find_group_sync (self->directory, query->group, cancellable, error);
  if (group == NULL)
    return NULL;
  scope = read_scope_dns (&r, ps_directory_entry_get_dn (group), error);
  if (scope == NULL)
    return NULL;
  d.scope = scope;
  if (!ps_directory_search_changes_sync (self->directory, since, NULL, (const char *const *) attrs,
                                         on_changes_page_cb, &d, &now, cancellable, &local))
    {
      if (g_error_matches (local, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_FULL_READ_REQUIRED))
        {
          ps_source_query_log (r.query, PS_SOURCE_LOG_INFO, "%s", local->message);
          return NULL;
        }
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }

  g_hash_table_iter_init (&iter, known);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      PsSourceKnown *k = value;
      if (k->dn != NULL)
        g_hash_table_insert (by_dn, g_ascii_strdown (k->dn, -1), k);
    }
  g_hash_table_iter_init (&iter, scope);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      PsSourceKnown *k;

      if (g_hash_table_contains (seen, key))
        continue;
      k = g_hash_table_lookup (by_dn, key);
      /* Unchanged only when the last run read them; someone who left and
       * came back is read again. */
      if (k != NULL && k->synced)
        {
          PsPerson *p = ps_person_new (k->anchor, value);
          p->unchanged = TRUE;
          p->enabled = k->active;
          g_ptr_array_add (people, p);
        }
      else
        {
          /* Joined the group without changing themselves (or not a person):
           * read them, and see what they are. */
          g_autoptr(GError) read_error = NULL;
          g_autoptr(PsDirectoryEntry) entry = ps_directory_read_entry_sync (self->directory, value,
                                                                            (const char *const *) attrs,
                                                                            cancellable, &read_error);
          PsDirectoryMemberKind kind;
          PsPerson *p;

          if (entry == NULL
              && !g_error_matches (read_error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NO_SUCH_OBJECT)
              && !g_error_matches (read_error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_ACCESS_DENIED))
            {
              g_propagate_error (error, g_steal_pointer (&read_error));
              return NULL;
            }
          kind = entry != NULL ? ps_directory_entry_get_member_kind (entry) : PS_DIRECTORY_MEMBER_UNKNOWN;
          if (kind == PS_DIRECTORY_MEMBER_COMPUTER || kind == PS_DIRECTORY_MEMBER_CONTACT
              || kind == PS_DIRECTORY_MEMBER_FOREIGN_PRINCIPAL)
            {
              skipped[kind == PS_DIRECTORY_MEMBER_COMPUTER ? 0 : kind == PS_DIRECTORY_MEMBER_CONTACT ? 1 : 2]++;
              continue;
            }
          if (kind == PS_DIRECTORY_MEMBER_GROUP && self->nested == PS_NESTED_OFF)
            continue;   /* a nested group, and nesting is off */
          if (kind != PS_DIRECTORY_MEMBER_PERSON)
            {
              /* A member that cannot be read, of no known class, or a group
               * the expansion missed: a delta cannot be complete. The full
               * read accounts for every member and names each one. */
              ps_source_query_log (r.query, PS_SOURCE_LOG_INFO,
                   _("The member %s could not be read or is not a person; reading the whole "
                     "group instead of the changes"), (const char *) value);
              return NULL;
            }
          p = person_from_entry (&r, entry);
          if (p != NULL)
            g_ptr_array_add (people, p);
          joined++;
        }
    }
  if (skipped[0] + skipped[1] + skipped[2] > 0)
    ps_source_query_log (r.query, PS_SOURCE_LOG_INFO,
         _("Members that are not people were skipped: %u computers, %u contacts, "
           "%u foreign security principals"), skipped[0], skipped[1], skipped[2]);
  ps_source_query_log (r.query, PS_SOURCE_LOG_INFO,
       _("Read %u changed and %u newly added people from the directory (uSNChanged above %lld); "
         "%u members in all"),
       g_hash_table_size (seen), joined, (long long) since->usn, g_hash_table_size (scope));
  log_no_anchor (&r);
  if (!restrict_to_scope (&r, people, error))
    return NULL;
  if (new_watermark != NULL)
    *new_watermark = mark_to_token (now);
  return g_steal_pointer (&people);
}

/* Which anchors are this directory's: a SID whose domain is one of this
 * directory's (its domain SIDs, and the domains of the people just read),
 * or another identifier that an entry here carries. */
static GHashTable *
ldap_own_anchors (PsSource             *source,
                  const PsSourceQuery  *query,
                  GPtrArray            *people,
                  GPtrArray            *anchors,
                  GCancellable         *cancellable,
                  GError              **error)
{
  PsLdapSource *self = PS_LDAP_SOURCE (source);
  g_autoptr(GHashTable) own = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) domains = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) present = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) lookups = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  if (self->domain_sids == NULL)
    {
      self->domain_sids = ps_directory_read_domain_sids_sync (self->directory, cancellable, error);
      if (self->domain_sids == NULL)
        return NULL;
    }
  g_hash_table_iter_init (&iter, self->domain_sids);
  while (g_hash_table_iter_next (&iter, &value, NULL))
    g_hash_table_add (domains, g_strdup (value));
  for (guint i = 0; i < people->len; i++)
    {
      PsPerson *p = g_ptr_array_index (people, i);
      char *domain = ps_directory_sid_domain (p->remote_anchor);

      if (domain != NULL)
        g_hash_table_add (domains, domain);
      if (p->remote_anchor != NULL)
        g_hash_table_add (present, g_utf8_strdown (p->remote_anchor, -1));
    }

  for (guint i = 0; i < anchors->len; i++)
    {
      const char *anchor = g_ptr_array_index (anchors, i);
      g_autofree char *domain = ps_directory_sid_domain (anchor);
      g_autofree char *lower = g_utf8_strdown (anchor, -1);

      if (domain != NULL)
        {
          if (g_hash_table_contains (domains, domain))
            g_hash_table_add (own, g_steal_pointer (&lower));
        }
      else if (g_hash_table_contains (present, lower))
        g_hash_table_add (own, g_steal_pointer (&lower));
      else
        g_ptr_array_add (lookups, (gpointer) anchor);
    }
  if (lookups->len > 0)
    {
      g_autoptr(GHashTable) found = ps_directory_find_values_sync (self->directory,
                                                                   query->anchor_attribute != NULL
                                                                   ? query->anchor_attribute : "objectSid",
                                                                   lookups, cancellable, error);
      if (found == NULL)
        return NULL;
      g_hash_table_iter_init (&iter, found);
      while (g_hash_table_iter_next (&iter, &value, NULL))
        g_hash_table_add (own, g_strdup (value));
    }
  return g_steal_pointer (&own);
}

/* ---------------------------------------------------------------- GObject */

static void
ps_ldap_source_finalize (GObject *object)
{
  PsLdapSource *self = PS_LDAP_SOURCE (object);

  g_clear_object (&self->directory);
  g_clear_pointer (&self->schema, g_hash_table_unref);
  g_clear_pointer (&self->domain_sids, g_hash_table_unref);
  G_OBJECT_CLASS (ps_ldap_source_parent_class)->finalize (object);
}

static void
ps_ldap_source_iface_init (PsSourceInterface *iface)
{
  iface->get_kind_name = ldap_get_kind_name;
  iface->connect = ldap_connect;
  iface->close = ldap_close;
  iface->get_location = ldap_get_location;
  iface->test_connection = ldap_test_connection;
  iface->find_groups = ldap_find_groups;
  iface->resolve_group = ldap_resolve_group;
  iface->suggested_attributes = ldap_suggested_attributes;
  iface->check_attributes = ldap_check_attributes;
  iface->read_people = ldap_read_people;
  iface->read_watermark = ldap_read_watermark;
  iface->read_changes = ldap_read_changes;
  iface->own_anchors = ldap_own_anchors;
}

static void
ps_ldap_source_class_init (PsLdapSourceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ps_ldap_source_finalize;
}

static void
ps_ldap_source_init (PsLdapSource *self)
{
}

/* ---------------------------------------------------------------- public API */

PsLdapSource *
ps_ldap_source_new (PsDirectory  *directory,
                    PsNestedMode  nested)
{
  PsLdapSource *self = g_object_new (PS_TYPE_LDAP_SOURCE, NULL);

  g_return_val_if_fail (PS_IS_DIRECTORY (directory), NULL);
  self->directory = g_object_ref (directory);
  self->nested = nested;
  return self;
}

PsLdapSource *
ps_ldap_source_new_for_profile (PsProfile     *profile,
                                GCancellable  *cancellable,
                                GError       **error)
{
  g_autoptr(PsDirectory) directory = ps_directory_new_for_profile (profile, cancellable, error);

  if (directory == NULL)
    return NULL;
  return ps_ldap_source_new (directory, ps_profile_get_directory (profile)->nested);
}

PsDirectory *
ps_ldap_source_get_directory (PsLdapSource *self)
{
  g_return_val_if_fail (PS_IS_LDAP_SOURCE (self), NULL);
  return self->directory;
}
