/* ps-okta-source.c — Okta (the Management API) as an identity source
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ps-okta-source.h"
#include "ps-okta-syntax.h"
#include "ps-secret-store.h"

#define MAX_NAMED_IDS 10   /* user ids named in a message */

struct _PsOktaSource
{
  GObject       parent_instance;

  PsOktaClient *client;
  char         *location;
};

static void ps_okta_source_iface_init (PsSourceInterface *iface);

G_DEFINE_TYPE_WITH_CODE (PsOktaSource, ps_okta_source, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (PS_TYPE_SOURCE, ps_okta_source_iface_init))

/* One read of a group's users. */
typedef struct {
  const PsSourceQuery *query;
  GPtrArray           *people;
  GHashTable          *seen;          /* user ids met in the group */
  GHashTable          *selected;      /* with a Filter: the ids it selects; else NULL */
  GHashTable          *known_names;   /* profile attribute names some user has */
  guint                members;       /* users in the group, every status */
  guint                outside;       /* members the Filter leaves out */
  guint                staged;
  guint                disabled;
  guint                no_anchor;
  guint                unclassified;
  GPtrArray           *unclassified_ids;
} Read;

/* ---------------------------------------------------------------- helpers */

/* The value of an attribute, or of "a|b|c" the first non-empty one. */
static char *
user_first_string (JsonObject *user,
                   const char *spec)
{
  g_auto(GStrv) parts = g_strsplit (spec, "|", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_autofree char *value = ps_okta_user_get_string (user, g_strstrip (parts[i]));
      if (value != NULL && *value != '\0')
        return g_steal_pointer (&value);
    }
  return NULL;
}

static char *
display_name (JsonObject *user,
              const char *id)
{
  g_autofree char *display = ps_okta_user_get_string (user, "profile.displayName");
  g_autofree char *first = NULL;
  g_autofree char *last = NULL;
  g_autofree char *login = NULL;

  if (display != NULL)
    return g_steal_pointer (&display);
  first = ps_okta_user_get_string (user, "profile.firstName");
  last = ps_okta_user_get_string (user, "profile.lastName");
  if (first != NULL || last != NULL)
    return g_strjoin (" ", first != NULL ? first : "", last != NULL ? last : "", NULL);
  login = ps_okta_user_get_string (user, "profile.login");
  return g_strdup (login != NULL ? login : id);
}

/* Notes which of the mapped profile attributes this user's profile has. */
static void
note_names (Read       *r,
            JsonObject *user)
{
  const PsSourceQuery *q = r->query;

  for (guint i = 0; q->attributes != NULL && q->attributes[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (q->attributes[i], "|", -1);

      for (guint j = 0; parts[j] != NULL; j++)
        {
          const char *name = g_strstrip (parts[j]);

          if (!g_hash_table_contains (r->known_names, name)
              && ps_okta_user_has_attribute (user, name))
            g_hash_table_add (r->known_names, g_strdup (name));
        }
    }
}

static void
note_unclassified (Read       *r,
                   const char *id)
{
  r->unclassified++;
  if (id != NULL && r->unclassified_ids->len < MAX_NAMED_IDS)
    g_ptr_array_add (r->unclassified_ids, g_strdup (id));
}

static void
read_user (Read       *r,
           JsonObject *user)
{
  const PsSourceQuery *q = r->query;
  const char *id = ps_okta_user_get_id (user);
  const char *status;
  g_autofree char *anchor = NULL;
  g_autoptr(PsPerson) person = NULL;
  PsOktaStatusClass klass;

  if (id == NULL)
    {
      note_unclassified (r, NULL);
      return;
    }
  if (!g_hash_table_add (r->seen, g_strdup (id)))
    return;   /* listed twice */
  r->members++;
  status = ps_okta_user_get_status (user);
  klass = ps_okta_status_classify (status);
  if (klass == PS_OKTA_STATUS_UNKNOWN)
    {
      g_debug ("user %s has the status %s, which is not classified", id,
               status != NULL ? status : "(none)");
      note_unclassified (r, id);
      return;
    }
  if (r->selected != NULL && !g_hash_table_contains (r->selected, id))
    {
      r->outside++;
      return;
    }
  if (klass == PS_OKTA_STATUS_NOT_YET)
    {
      r->staged++;
      return;
    }
  note_names (r, user);

  anchor = q->anchor_attribute != NULL ? ps_okta_user_get_string (user, q->anchor_attribute)
                                       : g_strdup (id);
  if (anchor == NULL || *anchor == '\0')
    {
      r->no_anchor++;
      return;
    }
  person = ps_person_new (anchor, NULL);
  person->remote_anchor = g_strdup (anchor);
  person->enabled = klass == PS_OKTA_STATUS_AT_WORK;
  if (!person->enabled)
    r->disabled++;
  for (guint i = 0; q->attributes != NULL && q->attributes[i] != NULL; i++)
    {
      const char *spec = q->attributes[i];
      g_autofree char *value = NULL;

      if (ps_person_get_value (person, spec) != NULL)
        continue;
      value = user_first_string (user, spec);
      ps_person_set_value (person, spec, value != NULL ? value : "");
    }
  person->name = display_name (user, id);
  g_ptr_array_add (r->people, g_steal_pointer (&person));
}

static gboolean
on_group_page_cb (JsonArray  *page,
                  gpointer    user_data,
                  GError    **error)
{
  Read *r = user_data;

  for (guint i = 0; i < json_array_get_length (page); i++)
    {
      JsonNode *node = json_array_get_element (page, i);

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          note_unclassified (r, NULL);
          continue;
        }
      read_user (r, json_node_get_object (node));
    }
  return TRUE;
}

static gboolean
on_search_page_cb (JsonArray  *page,
                   gpointer    user_data,
                   GError    **error)
{
  GHashTable *selected = user_data;

  for (guint i = 0; i < json_array_get_length (page); i++)
    {
      JsonNode *node = json_array_get_element (page, i);
      const char *id;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      id = ps_okta_user_get_id (json_node_get_object (node));
      if (id != NULL)
        g_hash_table_add (selected, g_strdup (id));
    }
  return TRUE;
}

static PsSourceGroup *
group_from_okta (const PsOktaGroup *g)
{
  PsSourceGroup *group = ps_source_group_new (g->id, g->name);

  group->description = g_strdup (g->description);
  return group;
}

/* The mapping's Filter as Okta's search expression, normalised; NULL
 * without an error when there is none. */
static char *
parse_filter (const PsSourceQuery  *query,
              gboolean             *failed,
              GError              **error)
{
  g_autofree char *reason = NULL;
  char *normal;

  *failed = FALSE;
  if (query->filter == NULL || *query->filter == '\0')
    return NULL;
  normal = ps_okta_search_parse (query->filter, NULL, &reason);
  if (normal == NULL)
    {
      *failed = TRUE;
      g_set_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_INVALID_SEARCH,
                   /* Translators: the filter, the mapping's name, then the reason */
                   _("The Filter “%s” of the mapping “%s” is not an Okta search expression: %s. "
                     "Write it as Okta’s search does, e.g. profile.department eq \"Sales\" and "
                     "status eq \"ACTIVE\"."), query->filter, query->name, reason);
    }
  return normal;
}

static gboolean
check_search_base (const PsSourceQuery  *query,
                   GError              **error)
{
  if (query->search_base == NULL || *query->search_base == '\0')
    return TRUE;
  g_set_error (error, PS_SOURCE_ERROR, PS_SOURCE_ERROR_NOT_SUPPORTED,
               _("The mapping “%s” has a SearchBase, which only a directory read over LDAP has: "
                 "remove it. An Okta mapping is scoped by its group and its Filter (an Okta "
                 "search expression such as profile.department eq \"Sales\")."), query->name);
  return FALSE;
}

/* ---------------------------------------------------------------- PsSource */

static const char *
okta_get_kind_name (PsSource *source)
{
  return _("Okta");
}

static gboolean
okta_connect (PsSource      *source,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(JsonObject) me = ps_okta_client_get_me_sync (PS_OKTA_SOURCE (source)->client,
                                                         cancellable, &local);

  /* A 403 is a token Okta accepted, whose admin may not read even this:
   * the reads name the right that is missing. */
  if (me != NULL || g_error_matches (local, PS_OKTA_ERROR, PS_OKTA_ERROR_PERMISSION))
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

static const char *
okta_get_location (PsSource *source)
{
  return PS_OKTA_SOURCE (source)->location;
}

static GPtrArray *
okta_test_connection (PsSource      *source,
                      const char    *group,
                      GCancellable  *cancellable,
                      GError       **error)
{
  return ps_okta_client_test_sync (PS_OKTA_SOURCE (source)->client, group, cancellable);
}

static GPtrArray *
okta_find_groups (PsSource      *source,
                  const char    *search,
                  guint          limit,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autoptr(GPtrArray) found = ps_okta_client_find_groups_sync (PS_OKTA_SOURCE (source)->client,
                                                                search, limit, cancellable,
                                                                error);
  g_autoptr(GPtrArray) groups = NULL;

  if (found == NULL)
    return NULL;
  groups = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_source_group_free);
  for (guint i = 0; i < found->len; i++)
    g_ptr_array_add (groups, group_from_okta (g_ptr_array_index (found, i)));
  return g_steal_pointer (&groups);
}

static PsSourceGroup *
okta_resolve_group (PsSource      *source,
                    const char    *group,
                    GCancellable  *cancellable,
                    GError       **error)
{
  PsOktaSource *self = PS_OKTA_SOURCE (source);
  g_autoptr(GPtrArray) found = NULL;

  if (group == NULL || *group == '\0')
    {
      g_set_error_literal (error, PS_OKTA_ERROR, PS_OKTA_ERROR_CONFIG,
                           _("No group is set: choose the group in the mapping."));
      return NULL;
    }
  if (ps_okta_id_is_valid (group, "00g"))
    {
      g_autoptr(PsOktaGroup) g = ps_okta_client_get_group_sync (self->client, group, cancellable,
                                                                error);
      return g != NULL ? group_from_okta (g) : NULL;
    }
  found = ps_okta_client_find_groups_by_name_sync (self->client, group, cancellable, error);
  if (found == NULL)
    return NULL;
  if (found->len == 0)
    {
      g_set_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_NOT_FOUND,
                   _("Okta has no group named “%s”: check the name, or choose the group again "
                     "in the mapping."), group);
      return NULL;
    }
  if (found->len > 1)
    {
      g_set_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_AMBIGUOUS,
                   ngettext ("%u group in Okta is named “%s”: choose the group again in the "
                             "mapping, so that it is stored by its id.",
                             "%u groups in Okta are named “%s”: choose the group again in the "
                             "mapping, so that it is stored by its id.", found->len),
                   found->len, group);
      return NULL;
    }
  return group_from_okta (g_ptr_array_index (found, 0));
}

static const char *const *
okta_suggested_attributes (PsSource *source)
{
  return ps_okta_user_attribute_names ();
}

static gboolean
check_name (const PsSourceQuery  *query,
            const char           *key,
            const char           *spec,
            gboolean              single,
            GError              **error)
{
  g_autofree char *reason = NULL;
  g_auto(GStrv) parts = ps_okta_attribute_spec_split (spec, &reason);

  if (parts == NULL)
    {
      g_set_error (error, PS_SOURCE_ERROR, PS_SOURCE_ERROR_UNKNOWN_ATTRIBUTE,
                   /* Translators: a profile key, the mapping, then the reason */
                   _("%s of the mapping “%s” cannot be read from Okta: %s."), key, query->name,
                   reason);
      return FALSE;
    }
  if (single && parts[1] != NULL)
    {
      g_set_error (error, PS_SOURCE_ERROR, PS_SOURCE_ERROR_UNKNOWN_ATTRIBUTE,
                   _("%s of the mapping “%s” names several attributes (“%s”): the identifier "
                     "is one attribute, without fallbacks; id is recommended."), key,
                   query->name, spec);
      return FALSE;
    }
  return TRUE;
}

static gboolean
okta_check_attributes (PsSource             *source,
                       const PsSourceQuery  *query,
                       GCancellable         *cancellable,
                       GError              **error)
{
  g_autofree char *normal = NULL;
  gboolean failed = FALSE;

  if (!check_search_base (query, error))
    return FALSE;
  normal = parse_filter (query, &failed, error);
  if (failed)
    return FALSE;
  if (query->anchor_attribute != NULL
      && !check_name (query, "UniqueIdentifier", query->anchor_attribute, TRUE, error))
    return FALSE;
  for (guint i = 0; query->attributes != NULL && query->attributes[i] != NULL; i++)
    if (!check_name (query, query->attribute_keys != NULL ? query->attribute_keys[i]
                                                          : query->attributes[i],
                     query->attributes[i], FALSE, error))
      return FALSE;
  return TRUE;
}

/* Mapped profile attributes that no user of the read has at all: most
 * likely misspelt (Okta's names are case-sensitive), so say so. */
static void
warn_unknown_names (Read *r)
{
  const PsSourceQuery *q = r->query;
  g_autoptr(GHashTable) warned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *const *standard = ps_okta_standard_attribute_names ();

  if (r->people->len == 0)
    return;
  for (guint i = 0; q->attributes != NULL && q->attributes[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (q->attributes[i], "|", -1);

      for (guint j = 0; parts[j] != NULL; j++)
        {
          const char *name = g_strstrip (parts[j]);
          const char *bare = g_ascii_strncasecmp (name, "profile.", 8) == 0 ? name + 8 : name;

          /* Okta may leave out a standard attribute that is null. */
          if (g_strv_contains (standard, bare)
              || g_hash_table_contains (r->known_names, name)
              || !g_hash_table_add (warned, g_strdup (name)))
            continue;
          ps_source_query_log (q, PS_SOURCE_LOG_WARNING,
               _("No user has the attribute “%s” (%s): it reads as empty. Check its spelling "
                 "in the Okta profile editor; names are case-sensitive."), name,
               q->attribute_keys != NULL ? q->attribute_keys[i] : q->attributes[i]);
        }
    }
}

static GPtrArray *
okta_read_people (PsSource             *source,
                  const PsSourceQuery  *query,
                  guint                *members,
                  GCancellable         *cancellable,
                  GError              **error)
{
  PsOktaSource *self = PS_OKTA_SOURCE (source);
  g_autoptr(GPtrArray) people = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_person_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) known_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                             NULL);
  g_autoptr(GHashTable) selected = NULL;
  g_autoptr(GPtrArray) unclassified_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(PsSourceGroup) group = NULL;
  g_autofree char *search = NULL;
  gboolean failed = FALSE;
  Read r = { 0 };

  if (!check_search_base (query, error))
    return NULL;
  search = parse_filter (query, &failed, error);
  if (failed)
    return NULL;
  group = okta_resolve_group (source, query->group, cancellable, error);
  if (group == NULL)
    return NULL;

  if (search != NULL)
    {
      /* The users the Filter selects, org-wide, then only those of them in
       * the group: Okta's search cannot ask for a group's members. */
      selected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      if (!ps_okta_client_list_users_sync (self->client, search, NULL, on_search_page_cb,
                                           selected, cancellable, error))
        return NULL;
    }

  r.query = query;
  r.people = people;
  r.seen = seen;
  r.selected = selected;
  r.known_names = known_names;
  r.unclassified_ids = unclassified_ids;
  if (!ps_okta_client_read_group_users_sync (self->client, group->id, on_group_page_cb, &r,
                                             cancellable, error))
    return NULL;

  if (selected != NULL)
    ps_source_query_log (query, PS_SOURCE_LOG_INFO,
         ngettext ("The filter %s keeps %u of the group’s %u user",
                   "The filter %s keeps %u of the group’s %u users", r.members),
         search, r.members - r.outside, r.members);
  if (r.staged > 0)
    ps_source_query_log (query, PS_SOURCE_LOG_INFO,
         ngettext ("%u user is STAGED (not yet activated in Okta) and was left out until "
                   "activated",
                   "%u users are STAGED (not yet activated in Okta) and were left out until "
                   "activated", r.staged), r.staged);
  if (r.disabled > 0)
    ps_source_query_log (query, PS_SOURCE_LOG_INFO,
         ngettext ("%u user is SUSPENDED or DEPROVISIONED in Okta and counts as disabled",
                   "%u users are SUSPENDED or DEPROVISIONED in Okta and count as disabled",
                   r.disabled), r.disabled);
  if (r.unclassified > 0)
    {
      g_autofree char *ids = NULL;

      g_ptr_array_add (unclassified_ids, NULL);
      ids = g_strjoinv (", ", (char **) unclassified_ids->pdata);
      g_set_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_PARTIAL,
                   ngettext ("%u user of group “%s” came without an id or with a status "
                             "PandaSync does not know (%s): the membership is incomplete, so "
                             "nobody is treated as having left. Try again later; if it keeps "
                             "happening, report the status.",
                             "%u users of group “%s” came without an id or with a status "
                             "PandaSync does not know (%s): the membership is incomplete, so "
                             "nobody is treated as having left. Try again later; if it keeps "
                             "happening, report the status.", r.unclassified),
                   r.unclassified, group->name != NULL ? group->name : group->id,
                   *ids != '\0' ? ids : "-");
      return NULL;
    }
  if (r.no_anchor > 0 && people->len == 0)
    {
      g_set_error (error, PS_SOURCE_ERROR, PS_SOURCE_ERROR_UNKNOWN_ATTRIBUTE,
                   ngettext ("The %u user in scope has no %s, the UniqueIdentifier of the "
                             "mapping “%s”: set UniqueIdentifier=id (the Okta user id), or an "
                             "attribute every user has.",
                             "None of the %u users in scope has %s, the UniqueIdentifier of the "
                             "mapping “%s”: set UniqueIdentifier=id (the Okta user id), or an "
                             "attribute every user has.", r.no_anchor),
                   r.no_anchor, query->anchor_attribute, query->name);
      return NULL;
    }
  if (r.no_anchor > 0)
    ps_source_query_log (query, PS_SOURCE_LOG_WARNING,
         ngettext ("%u user has no %s and was left out",
                   "%u users have no %s and were left out", r.no_anchor),
         r.no_anchor, query->anchor_attribute != NULL ? query->anchor_attribute : "id");
  warn_unknown_names (&r);
  if (members != NULL)
    *members = r.members;
  return g_steal_pointer (&people);
}

/* An anchor is this org's when one of its users has it: the people just
 * read, then the rest looked up one by one as user ids (paced by the
 * client's rate limits). Values of another attribute are never taken
 * over: nothing here proves they are this org's. */
static GHashTable *
okta_own_anchors (PsSource             *source,
                  const PsSourceQuery  *query,
                  GPtrArray            *people,
                  GPtrArray            *anchors,
                  GCancellable         *cancellable,
                  GError              **error)
{
  PsOktaSource *self = PS_OKTA_SOURCE (source);
  g_autoptr(GHashTable) own = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) present = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gboolean by_id = query->anchor_attribute == NULL
                   || g_ascii_strcasecmp (query->anchor_attribute, "id") == 0;

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
      else if (by_id && ps_okta_id_is_valid (anchor, "00u"))
        {
          /* a user id: is it (still) a user of this org? */
          g_autoptr(GError) local = NULL;
          g_autoptr(JsonObject) user = ps_okta_client_get_user_sync (self->client, anchor,
                                                                     cancellable, &local);
          if (user != NULL && g_strcmp0 (ps_okta_user_get_id (user), anchor) == 0)
            g_hash_table_add (own, g_steal_pointer (&lower));
          else if (user == NULL && !g_error_matches (local, PS_OKTA_ERROR, PS_OKTA_ERROR_NOT_FOUND))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return NULL;
            }
        }
    }
  return g_steal_pointer (&own);
}

/* ---------------------------------------------------------------- GObject */

static void
ps_okta_source_finalize (GObject *object)
{
  PsOktaSource *self = PS_OKTA_SOURCE (object);

  g_clear_object (&self->client);
  g_free (self->location);
  G_OBJECT_CLASS (ps_okta_source_parent_class)->finalize (object);
}

static void
ps_okta_source_iface_init (PsSourceInterface *iface)
{
  iface->get_kind_name = okta_get_kind_name;
  iface->connect = okta_connect;
  iface->get_location = okta_get_location;
  iface->test_connection = okta_test_connection;
  iface->find_groups = okta_find_groups;
  iface->resolve_group = okta_resolve_group;
  iface->suggested_attributes = okta_suggested_attributes;
  iface->check_attributes = okta_check_attributes;
  iface->read_people = okta_read_people;
  iface->own_anchors = okta_own_anchors;
}

static void
ps_okta_source_class_init (PsOktaSourceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ps_okta_source_finalize;
}

static void
ps_okta_source_init (PsOktaSource *self)
{
}

/* ---------------------------------------------------------------- public API */

PsOktaSource *
ps_okta_source_new (PsOktaClient *client,
                    const char   *location)
{
  PsOktaSource *self;

  g_return_val_if_fail (PS_IS_OKTA_CLIENT (client), NULL);

  self = g_object_new (PS_TYPE_OKTA_SOURCE, NULL);
  self->client = g_object_ref (client);
  self->location = g_strdup (location);
  return self;
}

PsOktaSource *
ps_okta_source_new_for_profile (PsProfile     *profile,
                                GCancellable  *cancellable,
                                GError       **error)
{
  PsOktaConfig *o = ps_profile_get_okta (profile);
  g_autoptr(PsSecretString) token = NULL;
  g_autoptr(PsOktaClient) client = NULL;
  PsOktaClientConfig config = { 0 };

  if (o->client_id != NULL)
    {
      g_set_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_NOT_SUPPORTED,
                   _("The [Okta] section names an OAuth 2.0 service app (ClientId=%s), which "
                     "PandaSync cannot sign in with yet: remove ClientId and store an API token "
                     "with “pandasync-cli profile set-secret okta-api-token”."), o->client_id);
      return NULL;
    }
  token = ps_secret_lookup_sync (profile, PS_SECRET_OKTA_API_TOKEN, cancellable, error);
  if (token == NULL)
    return NULL;
  config.org_url = o->url;
  config.ca_file = o->ca_file;
  config.page_size = o->page_size;
  config.timeout = o->timeout;
  client = ps_okta_client_new (&config, token, error);
  if (client == NULL)
    return NULL;
  return ps_okta_source_new (client, ps_okta_client_get_org_url (client));
}

PsOktaClient *
ps_okta_source_get_client (PsOktaSource *self)
{
  g_return_val_if_fail (PS_IS_OKTA_SOURCE (self), NULL);
  return self->client;
}
