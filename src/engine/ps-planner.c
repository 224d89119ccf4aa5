/* ps-planner.c — from both sides' data to a plan, for one mapping
 *
 * Pure: no I/O. The engine reads the directory, Asset Panda and the local
 * links, then asks this file what to do.
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ps-plan.h"
#include "ps-state.h"

/* The user fields the engine manages; collection fields are the mapping's. */
#define USER_EMAIL "email"
#define USER_FIRST "first_name"
#define USER_LAST  "last_name"
#define USER_ROLE  "role"
#define STATUS_KEY "status"

typedef struct {
  const PsMapping     *mapping;
  const PsPlanContext *context;
  PsMappingPlan       *plan;
  GHashTable          *by_id;      /* item id → PsItem* */
  GHashTable          *by_anchor;  /* remote anchor → PsItem* (NULL value: ambiguous) */
  GHashTable          *by_email;   /* lower-case email → PsItem* (NULL value: ambiguous) */
  GHashTable          *taken;      /* item ids already matched in this plan */
  const char          *email_field;/* collections: the field holding the email, if any */
} Planner;

/* ---------------------------------------------------------------- helpers */

static gboolean
is_empty (const char *s)
{
  return s == NULL || *s == '\0';
}

static void
index_unique (GHashTable *table,
              char       *key,
              PsItem     *item)
{
  if (key == NULL || *key == '\0')
    {
      g_free (key);
      return;
    }
  if (g_hash_table_contains (table, key))
    {
      g_hash_table_replace (table, key, NULL);   /* two items: ambiguous */
      return;
    }
  g_hash_table_insert (table, key, item);
}

/* Whether the attribute spec ("a|b|c", checked when the profile was read,
 * in the syntax of its source) reads @name among its alternatives; Okta's
 * "profile.NAME" reads NAME. */
static gboolean
spec_reads (const char *spec,
            const char *name)
{
  g_auto(GStrv) names = g_strsplit (spec, "|", -1);

  for (guint i = 0; names[i] != NULL; i++)
    {
      const char *one = g_strstrip (names[i]);

      if (g_ascii_strncasecmp (one, "profile.", 8) == 0)
        one += 8;
      if (g_ascii_strcasecmp (one, name) == 0)
        return TRUE;
    }
  return FALSE;
}

/* The field holding the email: mapped from mail or userPrincipalName (AD,
 * Entra ID), or from Okta's email or login. */
static const char *
email_field_of (const PsMapping *mapping)
{
  static const char *const email_names[] = { "mail", "userPrincipalName", "email", "login", NULL };

  for (guint i = 0; i < mapping->fields->len; i++)
    {
      const PsFieldMap *f = g_ptr_array_index (mapping->fields, i);

      for (guint j = 0; email_names[j] != NULL; j++)
        if (spec_reads (f->attribute, email_names[j]))
          return f->field;
    }
  return NULL;
}

/* Why @item is this directory's to manage though no link says so: it
 * carries an anchor of this directory. NULL when it is not (another
 * domain's SID, an identifier not found here, or another mapping's). */
static const char *
adoption_note (const Planner *p,
               const PsItem  *item)
{
  const PsPlanContext *c = p->context;
  g_autofree char *lower = NULL;

  if (!c->adopt || is_empty (item->anchor) || c->own_anchors == NULL)
    return NULL;
  if (c->foreign_ids != NULL && g_hash_table_contains (c->foreign_ids, item->id))
    return NULL;
  lower = g_utf8_strdown (item->anchor, -1);
  if (!g_hash_table_contains (c->own_anchors, lower))
    return NULL;
  return g_str_has_prefix (item->anchor, "S-1-5-21-")
         ? _("taken over (carries this domain’s SID)")
         : _("taken over (its identifier is found in this directory)");
}

static gboolean
is_none (const Planner *p,
         const PsItem  *item)
{
  return p->mapping->kind == PS_MAPPING_COLLECTION && item->status != NULL
         && p->context->status_none != NULL && g_str_equal (item->status, p->context->status_none);
}

static const char *
person_email (const Planner  *p,
              const PsPerson *person)
{
  if (p->mapping->kind == PS_MAPPING_USERS)
    return ps_person_get_value (person, p->mapping->email_attr);
  for (guint i = 0; i < p->mapping->fields->len; i++)
    {
      const PsFieldMap *f = g_ptr_array_index (p->mapping->fields, i);
      if (p->email_field != NULL && g_str_equal (f->field, p->email_field))
        return ps_person_get_value (person, f->attribute);
    }
  return NULL;
}

static const char *
item_email (const Planner *p,
            const PsItem  *item)
{
  if (p->mapping->kind == PS_MAPPING_USERS)
    return item->email;
  return p->email_field != NULL ? ps_item_get_value (item, p->email_field) : NULL;
}

/* The email a person reading the plan knows them by: the directory's, else
 * Asset Panda's. */
static char *
action_email (const Planner  *p,
              const PsPerson *person,
              const PsItem   *item)
{
  const char *email = person != NULL ? person_email (p, person) : NULL;

  if ((email == NULL || *email == '\0') && item != NULL)
    email = item_email (p, item);
  return email != NULL && *email != '\0' ? g_strdup (email) : NULL;
}

static char *
display_name (const PsPerson *person)
{
  if (person->name != NULL)
    return g_strdup (person->name);
  return g_strdup (person->dn != NULL ? person->dn : person->anchor);
}

/* The values PandaSync wants the item to have, field → value (NULL = leave). */
static GHashTable *
desired_values (const Planner  *p,
                const PsPerson *person)
{
  GHashTable *want = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const PsMapping *m = p->mapping;

  if (m->kind == PS_MAPPING_USERS)
    {
      g_hash_table_insert (want, g_strdup (USER_EMAIL), g_strdup (ps_person_get_value (person, m->email_attr)));
      g_hash_table_insert (want, g_strdup (USER_FIRST), g_strdup (ps_person_get_value (person, m->first_name_attr)));
      g_hash_table_insert (want, g_strdup (USER_LAST), g_strdup (ps_person_get_value (person, m->last_name_attr)));
      g_hash_table_insert (want, g_strdup (USER_ROLE), g_strdup (m->role));
    }
  else
    {
      for (guint i = 0; i < m->fields->len; i++)
        {
          const PsFieldMap *f = g_ptr_array_index (m->fields, i);
          g_hash_table_insert (want, g_strdup (f->field),
                               g_strdup (ps_person_get_value (person, f->attribute)));
        }
    }
  return want;
}

/* Login users: Asset Panda's API sets the email and names when a user is
 * created; afterwards only the role (and whether the user is active) can be
 * changed, so only those are compared. */
static gboolean
field_is_compared (const Planner *p,
                   const char    *field)
{
  if (p->mapping->kind != PS_MAPPING_USERS)
    return TRUE;
  return g_str_equal (field, USER_ROLE);
}

static PsOwnership
ownership_of (const Planner *p,
              const char    *field)
{
  if (p->mapping->kind == PS_MAPPING_USERS)
    /* The mandatory invitation fields: AD wins, but an empty AD value never
     * blanks what Asset Panda has. */
    return PS_OWNERSHIP_NEVER_BLANK;
  for (guint i = 0; i < p->mapping->fields->len; i++)
    {
      const PsFieldMap *f = g_ptr_array_index (p->mapping->fields, i);
      if (g_str_equal (f->field, field))
        return f->ownership;
    }
  return PS_OWNERSHIP_NEVER_BLANK;
}

/* Adds to @action the changes that take @item to @want, honouring ownership. */
static void
diff_values (const Planner *p,
             PsAction      *action,
             const PsItem  *item,
             GHashTable    *want)
{
  g_autoptr(GList) keys = g_hash_table_get_keys (want);

  keys = g_list_sort (keys, (GCompareFunc) g_strcmp0);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      const char *field = l->data;
      const char *new_value = g_hash_table_lookup (want, field);
      const char *old_value = field != NULL && g_str_equal (field, USER_ROLE)
                              ? item->role : ps_item_get_value (item, field);

      if (!field_is_compared (p, field))
        continue;
      switch (ownership_of (p, field))
        {
        case PS_OWNERSHIP_OVERWRITE:
          if (g_strcmp0 (is_empty (new_value) ? "" : new_value, is_empty (old_value) ? "" : old_value) != 0)
            ps_action_add_change (action, field, old_value, is_empty (new_value) ? "" : new_value);
          break;
        case PS_OWNERSHIP_FILL_EMPTY:
          if (is_empty (old_value) && !is_empty (new_value))
            ps_action_add_change (action, field, old_value, new_value);
          break;
        case PS_OWNERSHIP_NEVER_BLANK:
        default:
          if (!is_empty (new_value) && g_strcmp0 (new_value, old_value) != 0)
            ps_action_add_change (action, field, old_value, new_value);
          break;
        }
    }
}

static char *
values_hash_for (GHashTable *want,
                 const char *status)
{
  g_autoptr(GHashTable) copy = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, want);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (copy, key, value);
  if (status != NULL)
    g_hash_table_insert (copy, (gpointer) STATUS_KEY, (gpointer) status);
  return ps_values_hash (copy);
}

static PsAction *
add_action (Planner        *p,
            PsActionKind    kind,
            const PsPerson *person,
            const PsItem   *item,
            const char     *reason)
{
  PsAction *action = ps_action_new (kind, person != NULL ? person->anchor : NULL,
                                    item != NULL ? item->id : NULL);

  if (person != NULL)
    {
      action->name = display_name (person);
      action->dn = g_strdup (person->dn);
      action->remote_anchor = g_strdup (person->remote_anchor);
    }
  action->email = action_email (p, person, item);
  action->reason = g_strdup (reason);
  g_ptr_array_add (p->plan->actions, action);
  return action;
}

/* Finds the Asset Panda item for @person; sets *reason when it must be skipped. */
static PsItem *
match_item (Planner         *p,
            const PsPerson  *person,
            PsLink          *link,
            char           **reason)
{
  PsItem *item = NULL;
  const char *email;

  if (link != NULL)
    {
      item = g_hash_table_lookup (p->by_id, link->target_id);
      if (item != NULL)
        return item;
    }

  if (person->remote_anchor != NULL && g_hash_table_contains (p->by_anchor, person->remote_anchor))
    {
      item = g_hash_table_lookup (p->by_anchor, person->remote_anchor);
      if (item == NULL)
        {
          *reason = g_strdup_printf (_("several Asset Panda items carry the identifier %s; "
                                       "remove the duplicates"), person->remote_anchor);
          return NULL;
        }
      return item;
    }

  email = person_email (p, person);
  if (!is_empty (email))
    {
      g_autofree char *key = g_utf8_strdown (email, -1);

      if (g_hash_table_contains (p->by_email, key))
        {
          item = g_hash_table_lookup (p->by_email, key);
          if (item == NULL)
            {
              *reason = g_strdup_printf (_("several Asset Panda items have the email %s; "
                                           "not guessing which one is this person"), email);
              return NULL;
            }
          if (!is_empty (item->anchor) && g_strcmp0 (item->anchor, person->remote_anchor) != 0)
            {
              *reason = g_strdup_printf (_("the Asset Panda item with the email %s belongs to "
                                           "another directory account (%s)"), email, item->anchor);
              return NULL;
            }
          return item;
        }
    }
  return NULL;
}

static void
plan_present (Planner        *p,
              const PsPerson *person,
              PsLink         *link)
{
  const PsMapping *m = p->mapping;
  g_autofree char *reason = NULL;
  g_autoptr(GHashTable) want = desired_values (p, person);
  const char *want_status = person->enabled ? p->context->status_active : p->context->status_inactive;
  const char *adopted = NULL;
  PsItem *item;
  PsAction *action;

  if (p->context->claimed != NULL && m->kind == PS_MAPPING_USERS
      && g_hash_table_contains (p->context->claimed, person->anchor))
    {
      g_autofree char *why = g_strdup_printf (_("already managed by the user mapping “%s”"),
                                              (char *) g_hash_table_lookup (p->context->claimed, person->anchor));
      add_action (p, PS_ACTION_SKIP, person, NULL, why);
      return;
    }

  item = match_item (p, person, link, &reason);
  if (reason != NULL)
    {
      add_action (p, PS_ACTION_SKIP, person, NULL, reason);
      return;
    }
  if (item != NULL && g_hash_table_contains (p->taken, item->id))
    {
      g_autofree char *why = g_strdup_printf (_("the Asset Panda item %s already belongs to another "
                                                "person of this group"), item->id);
      add_action (p, PS_ACTION_SKIP, person, NULL, why);
      return;
    }

  if (item == NULL)
    {
      if (!person->enabled)
        {
          /* Remembered (with no Asset Panda id), so that delta runs need not
           * read them again until they change. */
          action = add_action (p, PS_ACTION_SKIP, person, NULL,
                               _("disabled in the directory and not in Asset Panda: nothing to do"));
          action->active_after = FALSE;
          action->values_hash = values_hash_for (want, want_status);
          return;
        }
      if (m->match_only)
        {
          add_action (p, PS_ACTION_SKIP, person, NULL,
                      _("no matching Asset Panda item, and this mapping never creates"));
          return;
        }
      if (m->kind == PS_MAPPING_USERS && is_empty (g_hash_table_lookup (want, USER_EMAIL)))
        {
          g_autofree char *why = g_strdup_printf (_("no email: the directory attribute %s is empty"),
                                                  m->email_attr);
          add_action (p, PS_ACTION_SKIP, person, NULL, why);
          return;
        }
      action = add_action (p, PS_ACTION_CREATE, person, NULL, NULL);
      {
        g_autoptr(GList) keys = g_hash_table_get_keys (want);
        keys = g_list_sort (keys, (GCompareFunc) g_strcmp0);
        for (GList *l = keys; l != NULL; l = l->next)
          {
            const char *value = g_hash_table_lookup (want, l->data);
            if (!is_empty (value))
              ps_action_add_change (action, l->data, NULL, value);
          }
      }
      if (m->kind == PS_MAPPING_COLLECTION && m->status_field != NULL)
        ps_action_add_change (action, m->status_field, NULL, p->context->status_active);
      action->values_hash = values_hash_for (want, want_status);
      return;
    }

  g_hash_table_add (p->taken, item->id);
  if ((link == NULL || g_strcmp0 (link->target_id, item->id) != 0)
      && !is_empty (item->anchor) && g_strcmp0 (item->anchor, person->remote_anchor) == 0)
    adopted = adoption_note (p, item);

  if (is_none (p, item))
    {
      action = add_action (p, PS_ACTION_SKIP, person, item,
                           _("marked “None” in Asset Panda: not managed by the sync"));
      return;
    }

  if (!person->enabled)
    {
      if (item->active)
        {
          g_autofree char *why = adopted != NULL
            ? g_strdup_printf ("%s; %s", adopted, _("disabled or expired in the directory"))
            : g_strdup (_("disabled or expired in the directory"));
          action = add_action (p, PS_ACTION_DEACTIVATE, person, item, why);
          if (m->kind == PS_MAPPING_COLLECTION && m->status_field != NULL)
            ps_action_add_change (action, m->status_field, item->status, p->context->status_inactive);
          action->values_hash = values_hash_for (want, want_status);
        }
      else if (link == NULL || link->active)
        {
          action = add_action (p, PS_ACTION_LINK, person, item,
                               adopted != NULL ? adopted : _("already inactive"));
          action->active_after = FALSE;
          action->values_hash = values_hash_for (want, want_status);
        }
      return;
    }

  action = ps_action_new (item->active ? PS_ACTION_UPDATE : PS_ACTION_REACTIVATE,
                          person->anchor, item->id);
  diff_values (p, action, item, want);
  if (m->kind == PS_MAPPING_COLLECTION && m->status_field != NULL
      && g_strcmp0 (item->status, p->context->status_active) != 0)
    {
      ps_action_add_change (action, m->status_field, item->status, p->context->status_active);
      if (item->status != NULL && g_str_equal (item->status, p->context->status_inactive))
        action->kind = PS_ACTION_REACTIVATE;
    }
  /* A record without the anchor gets it; a login user's anchor cannot be
   * written (the API has no field for it), so planning it would be an
   * update that changes nothing, on every full run. */
  if (m->kind == PS_MAPPING_COLLECTION && is_empty (item->anchor) && person->remote_anchor != NULL)
    ps_action_add_change (action, "anchor", NULL, person->remote_anchor);
  action->name = display_name (person);
  action->email = action_email (p, person, item);
  action->dn = g_strdup (person->dn);
  action->remote_anchor = g_strdup (person->remote_anchor);
  action->values_hash = values_hash_for (want, want_status);
  action->reason = g_strdup (adopted);

  if (action->kind == PS_ACTION_UPDATE && action->changes->len == 0)
    {
      /* Nothing to write. Keep a link action only when the local link is new
       * or stale, so that a second run plans nothing at all. */
      if (link == NULL || g_strcmp0 (link->target_id, item->id) != 0
          || g_strcmp0 (link->values_hash, action->values_hash) != 0 || !link->active)
        {
          action->kind = PS_ACTION_LINK;
          g_ptr_array_add (p->plan->actions, action);
        }
      else
        ps_action_free (action);
      return;
    }
  g_ptr_array_add (p->plan->actions, action);
}

static void
plan_gone (Planner      *p,
           PsLink       *link,
           const char   *reason)
{
  PsItem *item = g_hash_table_lookup (p->by_id, link->target_id);
  PsAction *action;

  if (item == NULL || !item->active)
    {
      if (link->active)
        {
          /* Already gone or inactive in Asset Panda: just remember it. */
          action = ps_action_new (PS_ACTION_LINK, link->anchor, link->target_id);
          action->reason = g_strdup (item == NULL ? _("no longer in Asset Panda")
                                                  : _("already inactive"));
          action->dn = g_strdup (link->dn);
          action->name = g_strdup (link->dn != NULL ? link->dn : link->anchor);
          action->email = item != NULL ? action_email (p, NULL, item) : NULL;
          action->active_after = FALSE;
          g_ptr_array_add (p->plan->actions, action);
        }
      return;
    }
  if (is_none (p, item))
    return;

  action = ps_action_new (PS_ACTION_DEACTIVATE, link->anchor, link->target_id);
  action->reason = g_strdup (reason);
  action->dn = g_strdup (link->dn);
  action->name = g_strdup (link->dn != NULL ? link->dn : link->anchor);
  action->email = action_email (p, NULL, item);
  action->remote_anchor = g_strdup (item->anchor);
  if (p->mapping->kind == PS_MAPPING_COLLECTION && p->mapping->status_field != NULL)
    ps_action_add_change (action, p->mapping->status_field, item->status,
                          p->context->status_inactive);
  g_ptr_array_add (p->plan->actions, action);
}

/* A record's name for people reading the plan: from the fields the mapping
 * fills with names, else its email, else its anchor. */
static char *
item_display_name (const Planner *p,
                   const PsItem  *item)
{
  const char *given = NULL, *sn = NULL, *full = NULL;

  for (guint i = 0; i < p->mapping->fields->len; i++)
    {
      const PsFieldMap *f = g_ptr_array_index (p->mapping->fields, i);
      const char *value = ps_item_get_value (item, f->field);

      if (is_empty (value))
        continue;
      if (spec_reads (f->attribute, "displayName") || spec_reads (f->attribute, "cn"))
        full = value;
      else if (spec_reads (f->attribute, "givenName"))
        given = value;
      else if (spec_reads (f->attribute, "sn"))
        sn = value;
    }
  if (full != NULL)
    return g_strdup (full);
  if (given != NULL && sn != NULL)
    return g_strjoin (" ", given, sn, NULL);
  if (given != NULL || sn != NULL)
    return g_strdup (given != NULL ? given : sn);
  if (!is_empty (item_email (p, item)))
    return g_strdup (item_email (p, item));
  return g_strdup (item->anchor);
}

/* Records that carry this directory's anchor but no person of the group
 * matched them: out of scope, disabled elsewhere or deleted. Deactivated
 * like a linked leaver, under the same guards and threshold. */
static void
plan_adopted_gone (Planner    *p,
                   GPtrArray  *items,
                   GHashTable *linked_ids)
{
  for (guint i = 0; i < items->len; i++)
    {
      const PsItem *item = g_ptr_array_index (items, i);
      const char *note;
      g_autofree char *why = NULL;
      PsAction *action;

      if (g_hash_table_contains (p->taken, item->id) || g_hash_table_contains (linked_ids, item->id)
          || !item->active || is_none (p, item))
        continue;
      note = adoption_note (p, item);
      if (note == NULL)
        continue;
      why = g_strdup_printf ("%s; %s", note,
                             _("not a member of the group (or outside its scope), or deleted "
                               "from the directory"));
      action = ps_action_new (PS_ACTION_DEACTIVATE, item->anchor, item->id);
      action->reason = g_steal_pointer (&why);
      action->name = item_display_name (p, item);
      action->email = action_email (p, NULL, item);
      action->remote_anchor = g_strdup (item->anchor);
      if (p->mapping->kind == PS_MAPPING_COLLECTION && p->mapping->status_field != NULL)
        ps_action_add_change (action, p->mapping->status_field, item->status,
                              p->context->status_inactive);
      g_ptr_array_add (p->plan->actions, action);
    }
}

/* ---------------------------------------------------------------- public API */

/**
 * ps_deactivation_threshold:
 *
 * How many deactivations a run may make before the mapping pauses:
 * the mapping's number, or automatically min(500, max(10, 5 % of managed));
 * 0 means no limit.
 */
guint
ps_deactivation_threshold (const PsMapping *mapping,
                           guint            managed)
{
  if (mapping->deactivation_threshold == 0)
    return 0;
  if (mapping->deactivation_threshold > 0)
    return (guint) mapping->deactivation_threshold;
  return MIN (500, MAX (10, managed / 20));
}

/* A stable hash of field → value pairs (sorted), for "did anything change". */
char *
ps_values_hash (GHashTable *values)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr(GList) keys = g_hash_table_get_keys (values);

  keys = g_list_sort (keys, (GCompareFunc) g_strcmp0);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      const char *value = g_hash_table_lookup (values, l->data);
      g_checksum_update (sum, l->data, -1);
      g_checksum_update (sum, (const guchar *) "\x1f", 1);
      if (value != NULL)
        g_checksum_update (sum, (const guchar *) value, -1);
      g_checksum_update (sum, (const guchar *) "\x1e", 1);
    }
  return g_strdup (g_checksum_get_string (sum));
}

char *
ps_plan_person_hash (const PsMapping     *mapping,
                     const PsPerson      *person,
                     const PsPlanContext *context)
{
  Planner p = { 0 };
  g_autoptr(GHashTable) want = NULL;

  p.mapping = mapping;
  p.context = context;
  want = desired_values (&p, person);
  return values_hash_for (want, person->enabled ? context->status_active : context->status_inactive);
}

PsMappingPlan *
ps_plan_mapping (const PsMapping     *mapping,
                 GPtrArray           *people,
                 GPtrArray           *items,
                 GHashTable          *links,
                 const PsPlanContext *context)
{
  Planner p = { 0 };
  g_autoptr(GHashTable) present = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) by_anchor = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) by_email = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) taken = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) linked_ids = g_hash_table_new (g_str_hash, g_str_equal);
  PsMappingPlan *plan = ps_mapping_plan_new (mapping->name, mapping->kind);
  guint deactivations = 0;
  gboolean small_read;
  GHashTableIter iter;
  gpointer key, value;

  p.mapping = mapping;
  p.context = context;
  p.plan = plan;
  p.by_id = by_id;
  p.by_anchor = by_anchor;
  p.by_email = by_email;
  p.taken = taken;
  p.email_field = mapping->kind == PS_MAPPING_COLLECTION ? email_field_of (mapping) : NULL;

  plan->source_count = context->total_people > 0 ? context->total_people : people->len;
  plan->managed_count = 0;
  g_hash_table_iter_init (&iter, links);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      PsLink *link = value;
      if (link->active)
        plan->managed_count++;
      if (link->target_id != NULL && *link->target_id != '\0')
        g_hash_table_add (linked_ids, link->target_id);
    }
  if (context->total_managed > 0)
    plan->managed_count = context->total_managed;
  /* Records taken over count as managed, for the threshold too. */
  if (context->adopt && mapping->kind == PS_MAPPING_COLLECTION)
    for (guint i = 0; i < items->len; i++)
      {
        const PsItem *item = g_ptr_array_index (items, i);
        if (item->active && !g_hash_table_contains (linked_ids, item->id) && !is_none (&p, item)
            && adoption_note (&p, item) != NULL)
          plan->managed_count++;
      }
  plan->delta = context->total_people > 0;
  plan->threshold = ps_deactivation_threshold (mapping, plan->managed_count);

  if (!context->source_complete)
    {
      plan->status = PS_MAPPING_PLAN_FAILED;
      plan->message = g_strdup (_("the directory read failed or was incomplete, so nothing is "
                                  "changed for this mapping"));
      return plan;
    }

  for (guint i = 0; i < items->len; i++)
    {
      PsItem *item = g_ptr_array_index (items, i);
      const char *email = item_email (&p, item);

      g_hash_table_insert (by_id, item->id, item);
      index_unique (by_anchor, g_strdup (item->anchor), item);
      if (!is_empty (email))
        index_unique (by_email, g_utf8_strdown (email, -1), item);
    }

  for (guint i = 0; i < people->len; i++)
    {
      const PsPerson *person = g_ptr_array_index (people, i);

      if (person->anchor == NULL || g_hash_table_contains (present, person->anchor))
        continue;
      g_hash_table_add (present, person->anchor);
      plan_present (&p, person, g_hash_table_lookup (links, person->anchor));
    }

  /* Managed items whose person left the group or the directory. */
  {
    g_autoptr(GList) anchors = g_hash_table_get_keys (links);

    anchors = g_list_sort (anchors, (GCompareFunc) g_strcmp0);
    for (GList *l = anchors; l != NULL; l = l->next)
      {
        PsLink *link = g_hash_table_lookup (links, l->data);

        if (!g_hash_table_contains (present, link->anchor))
          plan_gone (&p, link, _("no longer a member of the group, or deleted from the directory"));
      }
  }
  if (context->adopt && mapping->kind == PS_MAPPING_COLLECTION)
    plan_adopted_gone (&p, items, linked_ids);

  /* A collection without a status field has no way to mark a record
   * inactive, and records are never deleted: leavers are reported only. */
  if (mapping->kind == PS_MAPPING_COLLECTION && mapping->status_field == NULL)
    for (guint i = 0; i < plan->actions->len; i++)
      {
        PsAction *a = g_ptr_array_index (plan->actions, i);
        if (a->kind != PS_ACTION_DEACTIVATE)
          continue;
        a->kind = PS_ACTION_SKIP;
        g_free (a->reason);
        a->reason = g_strdup (_("left the group, but the mapping has no status field to mark "
                                "the record inactive (records are never deleted)"));
      }

  deactivations = ps_mapping_plan_count (plan, PS_ACTION_DEACTIVATE);

  /* The empty or shrunken source guard: never deactivate on a read that
   * returned nothing or less than half of what the last good read did. */
  small_read = context->last_source_count > 0
               && (gint64) plan->source_count * 2 < context->last_source_count;
  if (deactivations > 0 && (plan->source_count == 0 || small_read) && !context->allow_deactivations)
    {
      for (guint i = 0; i < plan->actions->len; i++)
        {
          PsAction *a = g_ptr_array_index (plan->actions, i);
          if (a->kind != PS_ACTION_DEACTIVATE)
            continue;
          a->kind = PS_ACTION_SKIP;
          g_free (a->reason);
          a->reason = g_strdup (_("deactivation held: the directory returned too few people"));
          g_ptr_array_set_size (a->changes, 0);
        }
      plan->message = g_strdup_printf (_("The directory returned %u people where the last good read "
                                         "had %lld; no one is deactivated. Check the "
                                         "group and the base DN, or allow deactivations for one run."),
                                       plan->source_count, (long long) context->last_source_count);
      return plan;
    }

  if (plan->threshold > 0 && deactivations > plan->threshold && !context->allow_deactivations)
    {
      plan->status = PS_MAPPING_PLAN_PAUSED;
      plan->message = g_strdup_printf (_("%u deactivations are pending, more than the limit of %u: "
                                         "the mapping is paused and nothing is written. Review the "
                                         "preview, then allow deactivations for one run."),
                                       deactivations, plan->threshold);
    }
  return plan;
}
