/* ps-entra-source.c — Microsoft Entra ID (Microsoft Graph) as an identity source
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ps-entra-source.h"
#include "ps-secret-store.h"

/* What an Entra ID profile may call objectSid: the on-premises SID that
 * Entra Connect copies to the cloud user. */
#define SID_ATTRIBUTE "onPremisesSecurityIdentifier"

struct _PsEntraSource
{
  GObject        parent_instance;

  PsGraphClient *client;
  char          *location;
};

static void ps_entra_source_iface_init (PsSourceInterface *iface);

G_DEFINE_TYPE_WITH_CODE (PsEntraSource, ps_entra_source, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (PS_TYPE_SOURCE, ps_entra_source_iface_init))

typedef struct {
  const PsSourceQuery *query;
  GPtrArray           *people;
  guint                no_anchor;
  guint                no_state;
} Read;

/* ---------------------------------------------------------------- helpers */

static void
say (const PsSourceQuery *query,
     PsSourceLogLevel     level,
     const char          *format,
     ...) G_GNUC_PRINTF (3, 4);

static void
say (const PsSourceQuery *query,
     PsSourceLogLevel     level,
     const char          *format,
     ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (query->log != NULL)
    query->log (level, message, query->log_data);
  else
    g_debug ("%s: %s", query->name, message);
}

/* A directory attribute as Graph spells it: AD's names for the anchor are
 * accepted, the rest must be Graph's. */
static const char *
graph_name (const char *name)
{
  if (g_ascii_strcasecmp (name, "objectSid") == 0)
    return SID_ATTRIBUTE;
  return name;
}

static GStrv
select_names (const PsSourceQuery *q)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  g_strv_builder_add (b, "displayName");
  g_strv_builder_add (b, "userPrincipalName");
  g_strv_builder_add (b, SID_ATTRIBUTE);
  if (q->anchor_attribute != NULL)
    g_strv_builder_add (b, graph_name (q->anchor_attribute));
  for (guint i = 0; q->attributes != NULL && q->attributes[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (q->attributes[i], "|", -1);
      for (guint j = 0; parts[j] != NULL; j++)
        g_strv_builder_add (b, graph_name (g_strstrip (parts[j])));
    }
  return g_strv_builder_end (b);
}

/* The value of a property, or of "a|b|c" the first non-empty one. */
static char *
user_first_string (JsonObject *user,
                   const char *spec)
{
  g_auto(GStrv) parts = g_strsplit (spec, "|", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_autofree char *value = ps_graph_user_get_string (user, graph_name (g_strstrip (parts[i])));
      if (value != NULL && *value != '\0')
        return g_steal_pointer (&value);
    }
  return NULL;
}

static PsPerson *
person_from_user (Read       *r,
                  JsonObject *user)
{
  const PsSourceQuery *q = r->query;
  const char *id = ps_graph_object_get_id (user);
  g_autofree char *anchor = NULL;
  g_autofree char *remote = NULL;
  g_autofree char *display = NULL;
  g_autoptr(PsPerson) person = NULL;
  gboolean enabled = FALSE;

  if (q->anchor_attribute == NULL)
    {
      g_autofree char *sid = ps_graph_user_get_string (user, SID_ATTRIBUTE);

      anchor = g_strdup (id);
      remote = g_strdup (sid != NULL ? sid : id);
    }
  else
    {
      anchor = ps_graph_user_get_string (user, graph_name (q->anchor_attribute));
      remote = g_strdup (anchor);
    }
  if (anchor == NULL || *anchor == '\0')
    {
      r->no_anchor++;
      return NULL;
    }
  if (!ps_graph_user_get_enabled (user, &enabled))
    {
      /* accountEnabled was selected: without it the state is unknown */
      r->no_state++;
      return NULL;
    }

  person = ps_person_new (anchor, NULL);
  person->remote_anchor = g_steal_pointer (&remote);
  person->enabled = enabled;
  for (guint i = 0; q->attributes != NULL && q->attributes[i] != NULL; i++)
    {
      const char *spec = q->attributes[i];
      g_autofree char *value = NULL;

      if (ps_person_get_value (person, spec) != NULL)
        continue;
      value = user_first_string (user, spec);
      ps_person_set_value (person, spec, value != NULL ? value : "");
    }
  display = ps_graph_user_get_string (user, "displayName");
  if (display == NULL)
    display = ps_graph_user_get_string (user, "userPrincipalName");
  person->name = g_strdup (display != NULL ? display : id);
  return g_steal_pointer (&person);
}

static gboolean
on_members_page_cb (JsonArray  *value,
                    gpointer    user_data,
                    GError    **error)
{
  Read *r = user_data;

  for (guint i = 0; i < json_array_get_length (value); i++)
    {
      JsonNode *node = json_array_get_element (value, i);
      PsPerson *person;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;   /* the client counts these as unclassifiable */
      person = person_from_user (r, json_node_get_object (node));
      if (person != NULL)
        g_ptr_array_add (r->people, person);
    }
  return TRUE;
}

static PsSourceGroup *
group_from_graph (const PsGraphGroup *g)
{
  PsSourceGroup *group = ps_source_group_new (g->id, g->display_name);

  group->description = g_strdup (g->description);
  return group;
}

static gboolean
is_guid (const char *text)
{
  static const char pattern[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

  if (text == NULL || strlen (text) != sizeof pattern - 1)
    return FALSE;
  for (guint i = 0; pattern[i] != '\0'; i++)
    if (pattern[i] == '-' ? text[i] != '-' : !g_ascii_isxdigit (text[i]))
      return FALSE;
  return TRUE;
}

/* ---------------------------------------------------------------- PsSource */

static const char *
entra_get_kind_name (PsSource *source)
{
  return _("Microsoft Entra ID");
}

static gboolean
entra_connect (PsSource      *source,
               GCancellable  *cancellable,
               GError       **error)
{
  return ps_graph_client_get_token_sync (PS_ENTRA_SOURCE (source)->client, cancellable, error);
}

static const char *
entra_get_location (PsSource *source)
{
  return PS_ENTRA_SOURCE (source)->location;
}

static GPtrArray *
entra_test_connection (PsSource      *source,
                       const char    *group,
                       GCancellable  *cancellable,
                       GError       **error)
{
  return ps_graph_client_test_sync (PS_ENTRA_SOURCE (source)->client, group, cancellable);
}

static GPtrArray *
entra_find_groups (PsSource      *source,
                   const char    *search,
                   guint          limit,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_autoptr(GPtrArray) found = ps_graph_client_find_groups_sync (PS_ENTRA_SOURCE (source)->client,
                                                                 search, limit, cancellable, error);
  g_autoptr(GPtrArray) groups = NULL;

  if (found == NULL)
    return NULL;
  groups = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_source_group_free);
  for (guint i = 0; i < found->len; i++)
    g_ptr_array_add (groups, group_from_graph (g_ptr_array_index (found, i)));
  return g_steal_pointer (&groups);
}

static PsSourceGroup *
entra_resolve_group (PsSource      *source,
                     const char    *group,
                     GCancellable  *cancellable,
                     GError       **error)
{
  PsEntraSource *self = PS_ENTRA_SOURCE (source);
  g_autoptr(GPtrArray) found = NULL;

  if (is_guid (group))
    {
      g_autoptr(PsGraphGroup) g = ps_graph_client_get_group_sync (self->client, group, cancellable, error);
      return g != NULL ? group_from_graph (g) : NULL;
    }
  found = ps_graph_client_find_groups_by_name_sync (self->client, group, cancellable, error);
  if (found == NULL)
    return NULL;
  if (found->len == 0)
    {
      g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_NOT_FOUND,
                   _("Microsoft Entra ID has no group named “%s”: check the name, or choose the group "
                     "again in the mapping"), group);
      return NULL;
    }
  if (found->len > 1)
    {
      g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_NOT_FOUND,
                   _("%u groups in Microsoft Entra ID are named “%s”: choose the group again in the "
                     "mapping, so that it is stored by its id"), found->len, group);
      return NULL;
    }
  return group_from_graph (g_ptr_array_index (found, 0));
}

static const char *const *
entra_suggested_attributes (PsSource *source)
{
  return ps_graph_user_attribute_names ();
}

static gboolean
check_name (const PsSourceQuery  *query,
            const char           *key,
            const char           *spec,
            GError              **error)
{
  g_auto(GStrv) parts = g_strsplit (spec, "|", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *name = graph_name (g_strstrip (parts[i]));

      if (!ps_graph_attribute_name_is_valid (name))
        {
          g_set_error (error, PS_SOURCE_ERROR, PS_SOURCE_ERROR_UNKNOWN_ATTRIBUTE,
                       _("%s names “%s”, which is not a Microsoft Graph user property: check the "
                         "spelling in the mapping “%s” (for example mail, userPrincipalName, "
                         "givenName, surname, department)"), key, parts[i], query->name);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
entra_check_attributes (PsSource             *source,
                        const PsSourceQuery  *query,
                        GCancellable         *cancellable,
                        GError              **error)
{
  if (query->filter != NULL || query->search_base != NULL)
    {
      g_set_error (error, PS_SOURCE_ERROR, PS_SOURCE_ERROR_NOT_SUPPORTED,
                   _("The mapping “%s” has a %s, which only a directory read over LDAP has: "
                     "Microsoft Entra ID mappings are scoped by their group"),
                   query->name, query->filter != NULL ? "Filter" : "SearchBase");
      return FALSE;
    }
  if (query->anchor_attribute != NULL
      && !check_name (query, "UniqueIdentifier", query->anchor_attribute, error))
    return FALSE;
  for (guint i = 0; query->attributes != NULL && query->attributes[i] != NULL; i++)
    if (!check_name (query, query->attribute_keys != NULL ? query->attribute_keys[i] : query->attributes[i],
                     query->attributes[i], error))
      return FALSE;
  return TRUE;
}

static GPtrArray *
entra_read_people (PsSource             *source,
                   const PsSourceQuery  *query,
                   guint                *members,
                   GCancellable         *cancellable,
                   GError              **error)
{
  PsEntraSource *self = PS_ENTRA_SOURCE (source);
  g_autoptr(GPtrArray) people = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_person_free);
  g_autoptr(PsSourceGroup) group = NULL;
  g_autoptr(PsGraphMemberReport) report = NULL;
  g_autoptr(GError) local = NULL;
  g_auto(GStrv) select = select_names (query);
  Read r = { query, people, 0, 0 };
  gboolean complete;
  guint skipped;

  group = entra_resolve_group (source, query->group, cancellable, error);
  if (group == NULL)
    return NULL;
  complete = ps_graph_client_read_transitive_members_sync (self->client, group->id,
                                                           (const char *const *) select,
                                                           on_members_page_cb, &r, &report,
                                                           cancellable, &local);
  skipped = report->groups + report->devices + report->contacts + report->service_principals + report->other;
  if (skipped > 0)
    say (query, PS_SOURCE_LOG_INFO,
         _("Members that are not people were skipped: %u devices, %u contacts, %u service "
           "principals, %u other objects (nested groups are read through)"),
         report->devices, report->contacts, report->service_principals, report->other);
  if (!complete)
    {
      if (report->unclassifiable > 0)
        say (query, PS_SOURCE_LOG_WARNING,
             ngettext ("%u member could not be classified: the membership is incomplete",
                       "%u members could not be classified: the membership is incomplete",
                       report->unclassifiable), report->unclassifiable);
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if (r.no_state > 0)
    {
      g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_PARTIAL,
                   ngettext ("%u user came back without accountEnabled, so whether they may work is "
                             "unknown: the read is incomplete (grant User.Read.All)",
                             "%u users came back without accountEnabled, so whether they may work is "
                             "unknown: the read is incomplete (grant User.Read.All)", r.no_state),
                   r.no_state);
      return NULL;
    }
  if (r.no_anchor > 0)
    say (query, PS_SOURCE_LOG_WARNING,
         ngettext ("%u member has no %s and was left out",
                   "%u members have no %s and were left out", r.no_anchor),
         r.no_anchor, query->anchor_attribute != NULL ? graph_name (query->anchor_attribute) : "id");
  if (members != NULL)
    *members = people->len;
  return g_steal_pointer (&people);
}

/* An anchor is this tenant's when one of its users carries it: the people
 * just read, then the rest looked up one by one (object ids), or by the
 * on-premises SID's users (a filter per value). */
static GHashTable *
entra_own_anchors (PsSource             *source,
                   const PsSourceQuery  *query,
                   GPtrArray            *people,
                   GPtrArray            *anchors,
                   GCancellable         *cancellable,
                   GError              **error)
{
  PsEntraSource *self = PS_ENTRA_SOURCE (source);
  g_autoptr(GHashTable) own = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) present = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  static const char *const id_only[] = { "id", NULL };

  for (guint i = 0; i < people->len; i++)
    {
      PsPerson *p = g_ptr_array_index (people, i);
      if (p->remote_anchor != NULL)
        g_hash_table_add (present, g_utf8_strdown (p->remote_anchor, -1));
    }
  for (guint i = 0; i < anchors->len; i++)
    {
      const char *anchor = g_ptr_array_index (anchors, i);
      g_autofree char *lower = g_utf8_strdown (anchor, -1);

      if (g_hash_table_contains (present, lower))
        g_hash_table_add (own, g_steal_pointer (&lower));
      else if (query->anchor_attribute == NULL && is_guid (anchor))
        {
          /* an object id: is it (still) a user of this tenant? */
          g_autoptr(GError) local = NULL;
          g_autoptr(JsonObject) user = ps_graph_client_get_user_sync (self->client, anchor, id_only,
                                                                      cancellable, &local);
          if (user != NULL)
            g_hash_table_add (own, g_steal_pointer (&lower));
          else if (!g_error_matches (local, PS_ENTRA_ERROR, PS_ENTRA_ERROR_NOT_FOUND))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return NULL;
            }
        }
      /* Others (SIDs of users gone from the tenant, values of another
       * source) are never taken over: nothing here proves they are ours. */
    }
  return g_steal_pointer (&own);
}

/* ---------------------------------------------------------------- GObject */

static void
ps_entra_source_finalize (GObject *object)
{
  PsEntraSource *self = PS_ENTRA_SOURCE (object);

  g_clear_object (&self->client);
  g_free (self->location);
  G_OBJECT_CLASS (ps_entra_source_parent_class)->finalize (object);
}

static void
ps_entra_source_iface_init (PsSourceInterface *iface)
{
  iface->get_kind_name = entra_get_kind_name;
  iface->connect = entra_connect;
  iface->get_location = entra_get_location;
  iface->test_connection = entra_test_connection;
  iface->find_groups = entra_find_groups;
  iface->resolve_group = entra_resolve_group;
  iface->suggested_attributes = entra_suggested_attributes;
  iface->check_attributes = entra_check_attributes;
  iface->read_people = entra_read_people;
  iface->own_anchors = entra_own_anchors;
}

static void
ps_entra_source_class_init (PsEntraSourceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ps_entra_source_finalize;
}

static void
ps_entra_source_init (PsEntraSource *self)
{
}

/* ---------------------------------------------------------------- public API */

PsEntraSource *
ps_entra_source_new (PsGraphClient *client,
                     const char    *location)
{
  PsEntraSource *self = g_object_new (PS_TYPE_ENTRA_SOURCE, NULL);

  self->client = g_object_ref (client);
  self->location = g_strdup (location);
  return self;
}

PsEntraSource *
ps_entra_source_new_for_profile (PsProfile     *profile,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  PsEntraIdConfig *e = ps_profile_get_entra_id (profile);
  g_autoptr(PsSecretString) secret = NULL;
  g_autoptr(PsGraphClient) client = NULL;
  g_autofree char *location = NULL;
  PsEntraConfig config = { 0 };

  if (e->certificate_file == NULL)
    {
      secret = ps_secret_lookup_sync (profile, PS_SECRET_ENTRA_CLIENT_SECRET, cancellable, error);
      if (secret == NULL)
        return NULL;
    }
  config.tenant = e->tenant;
  config.client_id = e->client_id;
  config.login_base = e->login_url;
  config.graph_base = e->graph_url;
  config.ca_file = e->ca_file;
  config.certificate_file = e->certificate_file;
  config.timeout = e->timeout;
  config.page_size = e->page_size;
  client = ps_graph_client_new (&config, secret, error);
  if (client == NULL)
    return NULL;
  location = g_strdup_printf ("%s (%s)", ps_graph_client_get_graph_base (client),
                              e->tenant != NULL ? e->tenant : "?");
  return ps_entra_source_new (client, location);
}

PsGraphClient *
ps_entra_source_get_client (PsEntraSource *self)
{
  g_return_val_if_fail (PS_IS_ENTRA_SOURCE (self), NULL);
  return self->client;
}
