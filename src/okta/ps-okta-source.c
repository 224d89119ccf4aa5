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

/* Deltas (§6, §7c). The watermark: MARK_PREFIX, then tab-separated the
 * time of the read (the server's clock, Unix seconds), the group id, its
 * lastMembershipUpdated, the System Log position (the polling link) and
 * the ids of every member of the group, comma-separated. */
#define MARK_PREFIX       "okta1"
#define MARGIN_SECONDS    (5 * 60)          /* lastUpdated is not exact to the second */
#define MARK_MAX_AGE_DAYS 85                /* the System Log keeps 90 days */
#define LOG_FILTER \
  "eventType eq \"user.lifecycle.delete.initiated\" or " \
  "eventType eq \"user.lifecycle.deactivate\" or " \
  "eventType eq \"user.lifecycle.suspend\" or " \
  "eventType eq \"group.user_membership.add\" or " \
  "eventType eq \"group.user_membership.remove\""

struct _PsOktaSource
{
  GObject       parent_instance;

  PsOktaClient *client;
  char         *location;

  /* The full read read_watermark () made, for the read_people () of the
   * same query right after it. */
  const PsSourceQuery *cached_query;
  GPtrArray           *cached_people;
  GError              *cached_error;
  guint                cached_members;
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

/* The full read of the scope; @group: the group already resolved, or
 * NULL; @member_ids (optional) gets the ids of every member. */
static GPtrArray *
read_full (PsOktaSource         *self,
           const PsSourceQuery  *query,
           const PsSourceGroup  *resolved,
           guint                *members,
           GHashTable          **member_ids,
           GCancellable         *cancellable,
           GError              **error)
{
  PsSource *source = PS_SOURCE (self);
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
  group = resolved != NULL ? ps_source_group_new (resolved->id, resolved->name)
                           : okta_resolve_group (source, query->group, cancellable, error);
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
  if (member_ids != NULL)
    *member_ids = g_steal_pointer (&seen);
  return g_steal_pointer (&people);
}

static void
clear_cache (PsOktaSource *self)
{
  self->cached_query = NULL;
  g_clear_pointer (&self->cached_people, g_ptr_array_unref);
  g_clear_error (&self->cached_error);
  self->cached_members = 0;
}

static GPtrArray *
okta_read_people (PsSource             *source,
                  const PsSourceQuery  *query,
                  guint                *members,
                  GCancellable         *cancellable,
                  GError              **error)
{
  PsOktaSource *self = PS_OKTA_SOURCE (source);

  if (self->cached_query == query && (self->cached_people != NULL || self->cached_error != NULL))
    {
      g_autoptr(GPtrArray) people = g_steal_pointer (&self->cached_people);

      if (self->cached_error != NULL)
        g_propagate_error (error, g_steal_pointer (&self->cached_error));
      else if (members != NULL)
        *members = self->cached_members;
      clear_cache (self);
      return g_steal_pointer (&people);
    }
  clear_cache (self);
  return read_full (self, query, NULL, members, NULL, cancellable, error);
}

/* ---------------------------------------------------------------- deltas */

typedef struct {
  gint64      time;          /* of the read, server clock */
  char       *group_id;
  char       *membership;    /* lastMembershipUpdated, "" when none */
  char       *position;      /* System Log polling link, "" when none */
  GPtrArray  *ids;           /* every member's id */
} Mark;

static void
mark_free (Mark *mark)
{
  g_free (mark->group_id);
  g_free (mark->membership);
  g_free (mark->position);
  g_clear_pointer (&mark->ids, g_ptr_array_unref);
  g_free (mark);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Mark, mark_free)

static char *
mark_to_string (gint64      time,
                const char *group_id,
                const char *membership,
                const char *position,
                GPtrArray  *ids)
{
  GString *out = g_string_sized_new (64 + ids->len * 21);

  g_string_append_printf (out, MARK_PREFIX "\t%" G_GINT64_FORMAT "\t%s\t%s\t%s\t", time,
                          group_id, membership != NULL ? membership : "",
                          position != NULL ? position : "");
  for (guint i = 0; i < ids->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, g_ptr_array_index (ids, i));
    }
  return g_string_free (out, FALSE);
}

static Mark *
mark_parse (const char *text)
{
  g_auto(GStrv) fields = NULL;
  g_autoptr(Mark) mark = NULL;
  char *end = NULL;

  if (text == NULL || !g_str_has_prefix (text, MARK_PREFIX "\t"))
    return NULL;
  fields = g_strsplit (text, "\t", 6);
  if (g_strv_length (fields) != 6)
    return NULL;
  mark = g_new0 (Mark, 1);
  mark->time = g_ascii_strtoll (fields[1], &end, 10);
  if (end == fields[1] || *end != '\0' || mark->time <= 0 || *fields[2] == '\0')
    return NULL;
  mark->group_id = g_strdup (fields[2]);
  mark->membership = g_strdup (fields[3]);
  mark->position = g_strdup (fields[4]);
  mark->ids = g_ptr_array_new_with_free_func (g_free);
  if (*fields[5] != '\0')
    {
      g_auto(GStrv) ids = g_strsplit (fields[5], ",", -1);

      for (guint i = 0; ids[i] != NULL; i++)
        g_ptr_array_add (mark->ids, g_steal_pointer (&ids[i]));
    }
  return g_steal_pointer (&mark);
}

static char *
iso_time (gint64 unix_seconds)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (unix_seconds);

  return g_date_time_format (time, "%Y-%m-%dT%H:%M:%S.000Z");
}

static gint64
server_now (PsOktaSource *self)
{
  gint64 now = ps_okta_client_get_server_time (self->client);

  return now > 0 ? now : g_get_real_time () / G_USEC_PER_SEC;
}

/* Changes can be followed for a mapping without a Filter (Okta's search
 * is eventually consistent) whose anchor is the user id. */
static gboolean
delta_possible (const PsSourceQuery *query)
{
  return (query->filter == NULL || *query->filter == '\0')
         && (query->anchor_attribute == NULL
             || g_ascii_strcasecmp (query->anchor_attribute, "id") == 0);
}

/* The mapping's group with its lastMembershipUpdated, in one request: by
 * id, or the one group of that name (NULL without an error when the name
 * is not one group's: the full read says why). */
static PsOktaGroup *
get_group_for_delta (PsOktaSource         *self,
                     const PsSourceQuery  *query,
                     GCancellable         *cancellable,
                     GError              **error)
{
  g_autoptr(GPtrArray) found = NULL;
  PsOktaGroup *g;
  PsOktaGroup *group;

  if (query->group == NULL || *query->group == '\0')
    return NULL;
  if (ps_okta_id_is_valid (query->group, "00g"))
    return ps_okta_client_get_group_sync (self->client, query->group, cancellable, error);
  found = ps_okta_client_find_groups_by_name_sync (self->client, query->group, cancellable,
                                                   error);
  if (found == NULL || found->len != 1)
    return NULL;
  g = g_ptr_array_index (found, 0);
  group = g_new0 (PsOktaGroup, 1);
  group->id = g_strdup (g->id);
  group->name = g_strdup (g->name);
  group->last_membership_updated = g_strdup (g->last_membership_updated);
  return group;
}

static char *
okta_read_watermark (PsSource             *source,
                     const PsSourceQuery  *query,
                     GCancellable         *cancellable,
                     GError              **error)
{
  PsOktaSource *self = PS_OKTA_SOURCE (source);
  g_autoptr(PsOktaGroup) group = NULL;
  g_autoptr(PsSourceGroup) resolved = NULL;
  g_autoptr(GHashTable) member_ids = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *since = NULL;
  g_autofree char *position = NULL;
  GPtrArray *people;
  GHashTableIter iter;
  gpointer key;
  gint64 time;

  clear_cache (self);
  if (!delta_possible (query) || !check_search_base (query, NULL))
    return NULL;
  /* The group, its lastMembershipUpdated, and the server's clock before
   * anything is read. */
  group = get_group_for_delta (self, query, cancellable, &local);
  if (group == NULL)
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local));
      return NULL;   /* the read says why */
    }
  resolved = ps_source_group_new (group->id, group->name);
  time = server_now (self);
  since = iso_time (time - MARGIN_SECONDS);
  if (!ps_okta_client_poll_logs_sync (self->client, since, NULL, LOG_FILTER, NULL, NULL,
                                      &position, cancellable, &local))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }

  /* The full read, now: the members' ids go into the watermark. */
  people = read_full (self, query, resolved, &self->cached_members, &member_ids, cancellable,
                      &self->cached_error);
  self->cached_query = query;
  self->cached_people = people;
  if (people == NULL)
    return NULL;
  ids = g_ptr_array_new_with_free_func (g_free);
  g_hash_table_iter_init (&iter, member_ids);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (ids, g_strdup (key));
  return mark_to_string (time, group->id, group->last_membership_updated, position, ids);
}

/* What a delta read collects. */
typedef struct {
  PsOktaSource *self;
  GHashTable   *members;     /* id → nothing: the group's members at the last read */
  GHashTable   *changed;     /* id → JsonObject of users changed since */
  GHashTable   *to_fetch;    /* ids the System Log names */
  const char   *group_id;
  gboolean      membership;  /* the System Log has a membership change of the group */
} Changes;

static gboolean
on_changed_page_cb (JsonArray  *page,
                    gpointer    user_data,
                    GError    **error)
{
  Changes *c = user_data;

  for (guint i = 0; i < json_array_get_length (page); i++)
    {
      JsonNode *node = json_array_get_element (page, i);
      JsonObject *user;
      const char *id;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      user = json_node_get_object (node);
      id = ps_okta_user_get_id (user);
      if (id != NULL && g_hash_table_contains (c->members, id))
        g_hash_table_replace (c->changed, g_strdup (id), json_object_ref (user));
    }
  return TRUE;
}

static gboolean
on_log_page_cb (JsonArray  *page,
                gpointer    user_data,
                GError    **error)
{
  Changes *c = user_data;

  for (guint i = 0; i < json_array_get_length (page); i++)
    {
      JsonNode *node = json_array_get_element (page, i);
      JsonObject *event;
      JsonArray *targets;
      const char *type;
      gboolean membership;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      event = json_node_get_object (node);
      type = json_object_get_string_member_with_default (event, "eventType", "");
      membership = g_str_has_prefix (type, "group.user_membership.");
      if (!json_object_has_member (event, "target")
          || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (event, "target")))
        continue;
      targets = json_object_get_array_member (event, "target");
      for (guint j = 0; j < json_array_get_length (targets); j++)
        {
          JsonNode *t = json_array_get_element (targets, j);
          const char *id;

          if (!JSON_NODE_HOLDS_OBJECT (t))
            continue;
          id = json_object_get_string_member_with_default (json_node_get_object (t), "id", NULL);
          if (id == NULL)
            continue;
          if (membership && g_strcmp0 (id, c->group_id) == 0)
            c->membership = TRUE;
          else if (!membership && g_hash_table_contains (c->members, id))
            g_hash_table_add (c->to_fetch, g_strdup (id));
        }
    }
  return TRUE;
}

static GPtrArray *
okta_read_changes (PsSource             *source,
                   const PsSourceQuery  *query,
                   const char           *watermark,
                   GHashTable           *known,
                   char                **new_watermark,
                   GCancellable         *cancellable,
                   GError              **error)
{
  PsOktaSource *self = PS_OKTA_SOURCE (source);
  g_autoptr(Mark) mark = mark_parse (watermark);
  g_autoptr(PsOktaGroup) group = NULL;
  g_autoptr(GHashTable) members = NULL;
  g_autoptr(GHashTable) changed = NULL;
  g_autoptr(GHashTable) to_fetch = NULL;
  g_autoptr(GHashTable) gone = NULL;
  g_autoptr(GPtrArray) people = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) known_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                             NULL);
  g_autoptr(GPtrArray) unclassified_ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *filter = NULL;
  g_autofree char *since = NULL;
  g_autofree char *position = NULL;
  PsOktaStats before = { 0 };
  PsOktaStats after = { 0 };
  Changes c = { 0 };
  Read r = { 0 };
  GHashTableIter iter;
  gpointer key;
  guint n_unchanged = 0;
  gint64 time;

  clear_cache (self);
  if (!delta_possible (query))
    {
      ps_source_query_log (query, PS_SOURCE_LOG_INFO,
                           _("Changes are followed only for a mapping without a Filter whose "
                             "UniqueIdentifier is id; reading everything"));
      return NULL;
    }
  if (mark == NULL)
    {
      ps_source_query_log (query, PS_SOURCE_LOG_INFO,
                           _("The stored watermark is not one of Okta; reading everything"));
      return NULL;
    }
  if (g_get_real_time () / G_USEC_PER_SEC - mark->time > MARK_MAX_AGE_DAYS * 24 * 3600)
    {
      ps_source_query_log (query, PS_SOURCE_LOG_INFO,
                           ngettext ("The last read is over %u day old, older than the System "
                                     "Log keeps deletions for; reading everything",
                                     "The last read is over %u days old, older than the System "
                                     "Log keeps deletions for; reading everything",
                                     MARK_MAX_AGE_DAYS), MARK_MAX_AGE_DAYS);
      return NULL;
    }
  ps_okta_client_get_stats (self->client, &before);

  group = get_group_for_delta (self, query, cancellable, error);
  if (group == NULL)
    {
      if (error == NULL || *error == NULL)
        ps_source_query_log (query, PS_SOURCE_LOG_INFO,
                             _("The group “%s” is not one group in Okta; reading everything"),
                             query->group);
      return NULL;
    }
  if (g_strcmp0 (group->id, mark->group_id) != 0)
    {
      ps_source_query_log (query, PS_SOURCE_LOG_INFO,
                           _("The mapping names another group than at the last read; reading "
                             "everything"));
      return NULL;
    }
  time = server_now (self);
  if (g_strcmp0 (group->last_membership_updated != NULL ? group->last_membership_updated : "",
                 mark->membership) != 0)
    {
      ps_source_query_log (query, PS_SOURCE_LOG_INFO,
                           _("Members joined or left the group %s since the last read; "
                             "reading the whole group"),
                           group->name != NULL ? group->name : group->id);
      return NULL;
    }

  members = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < mark->ids->len; i++)
    g_hash_table_add (members, g_ptr_array_index (mark->ids, i));
  changed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                   (GDestroyNotify) json_object_unref);
  to_fetch = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gone = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  c.self = self;
  c.members = members;
  c.changed = changed;
  c.to_fetch = to_fetch;
  c.group_id = group->id;

  /* Users changed since the last read (a margin before it), members only. */
  since = iso_time (mark->time - MARGIN_SECONDS);
  filter = g_strdup_printf ("lastUpdated gt \"%s\"", since);
  if (!ps_okta_client_list_users_sync (self->client, NULL, filter, on_changed_page_cb, &c,
                                       cancellable, error))
    return NULL;
  /* Deletions, deactivations, suspensions and membership changes since. */
  if (!ps_okta_client_poll_logs_sync (self->client, since,
                                      *mark->position != '\0' ? mark->position : NULL,
                                      LOG_FILTER, on_log_page_cb, &c, &position, cancellable,
                                      error))
    return NULL;
  if (c.membership)
    {
      ps_source_query_log (query, PS_SOURCE_LOG_INFO,
                           _("The System Log has members joining or leaving the group %s; "
                             "reading the whole group"),
                           group->name != NULL ? group->name : group->id);
      return NULL;
    }
  /* The users the System Log names that the list did not bring: a 404 is
   * a user deleted since. */
  g_hash_table_iter_init (&iter, to_fetch);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_autoptr(GError) local = NULL;
      g_autoptr(JsonObject) user = NULL;

      if (g_hash_table_contains (changed, key))
        continue;
      user = ps_okta_client_get_user_sync (self->client, key, cancellable, &local);
      if (user != NULL)
        g_hash_table_replace (changed, g_strdup (key), g_steal_pointer (&user));
      else if (g_error_matches (local, PS_OKTA_ERROR, PS_OKTA_ERROR_NOT_FOUND))
        g_hash_table_add (gone, g_strdup (key));
      else
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
    }

  people = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_person_free);
  ids = g_ptr_array_new_with_free_func (g_free);
  r.query = query;
  r.people = people;
  r.seen = seen;
  r.known_names = known_names;
  r.unclassified_ids = unclassified_ids;
  for (guint i = 0; i < mark->ids->len; i++)
    {
      const char *id = g_ptr_array_index (mark->ids, i);
      JsonObject *user;
      const PsSourceKnown *k;
      PsPerson *person;

      if (g_hash_table_contains (gone, id))
        continue;
      g_ptr_array_add (ids, g_strdup (id));
      user = g_hash_table_lookup (changed, id);
      if (user != NULL)
        {
          read_user (&r, user);
          continue;
        }
      k = g_hash_table_lookup (known, id);
      if (k == NULL)
        continue;   /* left out at the last read (STAGED, no anchor): still so */
      person = ps_person_new (id, NULL);
      person->unchanged = TRUE;
      person->enabled = k->active;
      g_ptr_array_add (people, person);
      n_unchanged++;
    }
  if (r.unclassified > 0)
    {
      ps_source_query_log (query, PS_SOURCE_LOG_INFO,
                           ngettext ("%u changed user has a status PandaSync does not know; "
                                     "reading the whole group",
                                     "%u changed users have a status PandaSync does not know; "
                                     "reading the whole group", r.unclassified),
                           r.unclassified);
      return NULL;
    }

  ps_okta_client_get_stats (self->client, &after);
  ps_source_query_log (query, PS_SOURCE_LOG_INFO,
                       ngettext ("Okta changes since the last read: %u user changed, %u deleted "
                                 "(%u requests)",
                                 "Okta changes since the last read: %u users changed, %u deleted "
                                 "(%u requests)", g_hash_table_size (changed)),
                       g_hash_table_size (changed), g_hash_table_size (gone),
                       (guint) (after.requests - before.requests));
  *new_watermark = mark_to_string (time, group->id, group->last_membership_updated, position,
                                   ids);
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

  clear_cache (self);
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
  iface->read_watermark = okta_read_watermark;
  iface->read_changes = okta_read_changes;
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
