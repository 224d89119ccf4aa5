/* ps-engine-read.c — what a run reads: Asset Panda, the delta, the source query and adoption
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ps-engine-private.h"

/* ---------------------------------------------------------------- reading Asset Panda */

static gboolean
resolve_field (GPtrArray   *fields,
               const char  *mapping_name,
               const char  *text,
               char       **key,
               GError     **error)
{
  PsTargetField *field = ps_target_fields_find (fields, text);

  if (field == NULL)
    {
      g_set_error (error, PS_ENGINE_ERROR, PS_ENGINE_ERROR_CONFIG,
                   _("The collection has no field “%s” (mapping “%s”): choose an existing field "
                     "in the Collection Mapping page"), text, mapping_name);
      return FALSE;
    }
  g_free (*key);
  *key = g_strdup (field->key);
  return TRUE;
}

static const char *
option_label (PsTargetField *field,
              const char    *wanted)
{
  for (guint i = 0; field->options != NULL && i < field->options->len; i++)
    {
      PsTargetOption *o = g_ptr_array_index (field->options, i);
      if (g_ascii_strcasecmp (o->label, wanted) == 0)
        return o->label;
    }
  return NULL;
}

/* Resolves the collection's field names to keys and finds the status options. */
gboolean
ps_engine_prepare_collection (Run          *run,
                    MappingWork  *work,
                    GError      **error)
{
  PsMapping *m = work->mapping;
  g_autoptr(GPtrArray) fields = NULL;

  fields = ps_target_list_fields_sync (run->target, m->account, m->module, m->collection,
                                       run->cancellable, error);
  if (fields == NULL)
    return FALSE;
  /* The listing names the fields for the plan, History and the next Preview. */
  for (guint i = 0; i < fields->len; i++)
    {
      PsTargetField *field = g_ptr_array_index (fields, i);

      if (run->names != NULL)
        ps_names_set (run->names, PS_NAME_FIELD, m->collection, field->key, field->name);
      if (run->listed != NULL)
        ps_names_set (run->listed, PS_NAME_FIELD, m->collection, field->key, field->name);
    }
  for (guint i = 0; i < m->fields->len; i++)
    {
      PsFieldMap *f = g_ptr_array_index (m->fields, i);
      if (!resolve_field (fields, m->name, f->field, &f->field, error))
        return FALSE;
    }
  if (m->unique_field != NULL)
    {
      if (!resolve_field (fields, m->name, m->unique_field, &work->anchor_key, error))
        return FALSE;
    }
  else if (ps_target_get_dialect (run->target) == PS_DIALECT_CLASSIC)
    work->anchor_key = g_strdup ("integ_ad_sid");
  else
    {
      g_set_error (error, PS_ENGINE_ERROR, PS_ENGINE_ERROR_CONFIG,
                   _("Asset Panda Pro has no built-in directory identifier: choose the collection "
                     "field that holds %s in the mapping “%s”"), m->unique_id_attr, m->name);
      return FALSE;
    }
  if (m->status_field != NULL)
    {
      PsTargetField *status = ps_target_fields_find (fields, m->status_field);
      const char *active, *inactive;

      if (status == NULL)
        {
          g_set_error (error, PS_ENGINE_ERROR, PS_ENGINE_ERROR_CONFIG,
                       _("The collection has no field “%s”. Create it in Asset Panda (type Single "
                         "Select List, options Active, Inactive and None), or clear the status "
                         "field of the mapping “%s”"), m->status_field, m->name);
          return FALSE;
        }
      active = option_label (status, "Active");
      inactive = option_label (status, "Inactive");
      if (active == NULL || inactive == NULL)
        {
          g_set_error (error, PS_ENGINE_ERROR, PS_ENGINE_ERROR_CONFIG,
                       _("The field “%s” needs the options Active and Inactive (and None for records "
                         "the sync must leave alone)"), m->status_field);
          return FALSE;
        }
      g_free (m->status_field);
      m->status_field = g_strdup (status->key);
      work->status_active = g_strdup (active);
      work->status_inactive = g_strdup (inactive);
      work->status_none = g_strdup (option_label (status, "None"));
    }
  return TRUE;
}

static PsItem *
item_from_record (MappingWork    *work,
                  PsTargetRecord *r)
{
  PsMapping *m = work->mapping;
  PsItem *item = ps_item_new (r->id);
  GHashTableIter iter;
  gpointer key, value;

  item->anchor = g_strdup (ps_target_record_get (r, work->anchor_key));
  if (m->status_field != NULL)
    item->status = g_strdup (ps_target_record_get (r, m->status_field));
  item->active = !r->archived && g_strcmp0 (item->status, work->status_inactive) != 0;
  g_hash_table_iter_init (&iter, r->values);
  while (g_hash_table_iter_next (&iter, &key, &value))
    ps_item_set_value (item, key, value);
  return item;
}

GPtrArray *
ps_engine_read_items (Run          *run,
            MappingWork  *work,
            GError      **error)
{
  PsMapping *m = work->mapping;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_item_free);

  if (m->kind == PS_MAPPING_USERS)
    {
      g_autoptr(GPtrArray) users = ps_target_list_users_sync (run->target, m->account, m->module,
                                                             run->cancellable, error);
      if (users == NULL)
        return NULL;
      for (guint i = 0; i < users->len; i++)
        {
          PsTargetUser *u = g_ptr_array_index (users, i);
          PsItem *item = ps_item_new (u->id);

          item->anchor = g_strdup (u->anchor);
          item->email = g_strdup (u->email);
          item->active = u->active;
          item->role = g_strdup (u->role_id);
          ps_item_set_value (item, "email", u->email);
          ps_item_set_value (item, "first_name", u->first_name);
          ps_item_set_value (item, "last_name", u->last_name);
          g_ptr_array_add (items, item);
        }
    }
  else
    {
      g_autoptr(PsTargetQuery) query = ps_target_query_new ();
      g_autoptr(GPtrArray) records = NULL;

      query->include_archived = TRUE;
      records = ps_target_search_records_sync (run->target, m->account, m->module, m->collection,
                                               query, run->cancellable, error);
      if (records == NULL)
        return NULL;
      for (guint i = 0; i < records->len; i++)
        g_ptr_array_add (items, item_from_record (work, g_ptr_array_index (records, i)));
    }
  return g_steal_pointer (&items);
}

/* ---------------------------------------------------------------- delta */

/* At most this many new people are looked up one by one in a delta run;
 * more, and Asset Panda is read in full (fewer calls). */
#define DELTA_LOOKUPS 50


/* The Asset Panda records of a delta run: the linked ones by id, the new
 * people's by anchor. NULL (and *@full set) when a full read is cheaper. */
GPtrArray *
ps_engine_read_records_for (Run          *run,
                  MappingWork  *work,
                  GPtrArray    *people,
                  GHashTable   *links,
                  gboolean     *full,
                  GError      **error)
{
  PsMapping *m = work->mapping;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_item_free);
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();
  g_autoptr(GPtrArray) fresh = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  *full = FALSE;
  for (guint i = 0; i < people->len; i++)
    {
      PsPerson *p = g_ptr_array_index (people, i);
      if (!g_hash_table_contains (links, p->anchor))
        g_ptr_array_add (fresh, p);
    }
  if (fresh->len > DELTA_LOOKUPS)
    {
      *full = TRUE;
      return NULL;
    }
  g_hash_table_iter_init (&iter, links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      const char *id = ((PsLink *) value)->target_id;
      /* an empty id is a person known but not in Asset Panda */
      if (id != NULL && *id != '\0')
        g_ptr_array_add (ids, (gpointer) id);
    }

  for (guint start = 0; start < ids->len; start += 100)
    {
      g_autoptr(PsTargetQuery) query = ps_target_query_new ();
      g_autoptr(GPtrArray) records = NULL;

      query->include_archived = TRUE;
      for (guint i = start; i < MIN (ids->len, start + 100); i++)
        ps_target_query_add_id (query, g_ptr_array_index (ids, i));
      records = ps_target_search_records_sync (run->target, m->account, m->module, m->collection,
                                               query, run->cancellable, error);
      if (records == NULL)
        return NULL;
      for (guint i = 0; i < records->len; i++)
        g_ptr_array_add (items, item_from_record (work, g_ptr_array_index (records, i)));
    }
  for (guint i = 0; i < fresh->len; i++)
    {
      PsPerson *p = g_ptr_array_index (fresh, i);
      g_autoptr(PsTargetRecord) r = NULL;
      g_autoptr(GError) local = NULL;

      if (p->remote_anchor == NULL)
        continue;
      r = ps_target_find_record_by_anchor_sync (run->target, m->account, m->module, m->collection,
                                                work->anchor_key, p->remote_anchor,
                                                run->cancellable, &local);
      if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      if (r != NULL)
        g_ptr_array_add (items, item_from_record (work, r));
    }
  return g_steal_pointer (&items);
}

/* Splits @people into those whose written values or state may have changed
 * since the last run (compared by hash with their link) and the rest, and
 * collects the links the plan must see: the changed people's, and those of
 * people who are gone. */
void
ps_engine_split_delta (const PsMapping     *m,
             GPtrArray           *people,
             GHashTable          *links,
             const PsPlanContext *ctx,
             GPtrArray           *dirty,
             GHashTable          *dirty_links)
{
  g_autoptr(GHashTable) present = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; i < people->len; i++)
    {
      PsPerson *p = g_ptr_array_index (people, i);
      PsLink *link = g_hash_table_lookup (links, p->anchor);
      g_autofree char *hash = NULL;

      g_hash_table_add (present, p->anchor);
      if (p->unchanged)
        continue;   /* the directory says nothing about them changed */
      if (link == NULL && !p->enabled)
        continue;   /* disabled and never synced: nothing to do */
      if (link != NULL && link->values_hash != NULL && link->active == p->enabled)
        {
          hash = ps_plan_person_hash (m, p, ctx);
          if (g_str_equal (hash, link->values_hash))
            continue;
        }
      g_ptr_array_add (dirty, p);
      if (link != NULL)
        g_hash_table_insert (dirty_links, link->anchor, link);
    }
  g_hash_table_iter_init (&iter, links);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (present, key) && ((PsLink *) value)->active)
      g_hash_table_insert (dirty_links, key, value);
}

gboolean
ps_engine_delta_allowed (Run             *run,
               const PsMapping *m,
               GHashTable      *links)
{
  g_autoptr(PsWatermark) mark = NULL;
  g_autoptr(GHashTable) intents = NULL;
  PsSchedule *schedule = ps_profile_get_schedule (run->engine->profile);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (run->options->full || g_hash_table_size (links) == 0)
    return FALSE;
  mark = ps_state_get_watermark (run->state, m->name);
  if (mark == NULL || mark->full_at <= 0
      || now - mark->full_at >= (gint64) schedule->full_every_hours * 3600)
    return FALSE;
  intents = ps_state_load_intents (run->state, m->name, NULL);
  return intents != NULL && g_hash_table_size (intents) == 0;
}

/* ---------------------------------------------------------------- scope */



static void
on_source_log_cb (PsSourceLogLevel  level,
                  const char       *message,
                  gpointer          user_data)
{
  Query *q = user_data;

  ps_engine_log (q->run, level == PS_SOURCE_LOG_WARNING ? PS_LOG_WARNING : PS_LOG_INFO,
            q->query.name, "%s", message);
}

void
ps_engine_query_init (Query           *q,
            Run             *run,
            const PsMapping *m)
{
  memset (q, 0, sizeof *q);
  q->run = run;
  q->specs = g_ptr_array_new ();
  q->keys = g_ptr_array_new_with_free_func (g_free);
  if (m->kind == PS_MAPPING_USERS)
    {
      g_ptr_array_add (q->specs, m->email_attr);
      g_ptr_array_add (q->keys, g_strdup ("Email"));
      g_ptr_array_add (q->specs, m->first_name_attr);
      g_ptr_array_add (q->keys, g_strdup ("FirstName"));
      g_ptr_array_add (q->specs, m->last_name_attr);
      g_ptr_array_add (q->keys, g_strdup ("LastName"));
    }
  for (guint i = 0; i < m->fields->len; i++)
    {
      const PsFieldMap *f = g_ptr_array_index (m->fields, i);
      g_ptr_array_add (q->specs, f->attribute);
      g_ptr_array_add (q->keys, g_strconcat ("Field.", f->field, NULL));
    }
  /* drop the unset ones, keeping specs and keys side by side */
  for (guint i = q->specs->len; i > 0; i--)
    if (g_ptr_array_index (q->specs, i - 1) == NULL)
      {
        g_ptr_array_remove_index (q->specs, i - 1);
        g_ptr_array_remove_index (q->keys, i - 1);
      }
  g_ptr_array_add (q->specs, NULL);
  g_ptr_array_add (q->keys, NULL);
  q->query.name = m->name;
  q->query.group = m->group;
  q->query.search_base = m->search_base;
  q->query.filter = m->filter;
  q->query.anchor_attribute = m->kind == PS_MAPPING_COLLECTION ? m->unique_id_attr : NULL;
  q->query.attributes = (const char *const *) q->specs->pdata;
  q->query.attribute_keys = (const char *const *) q->keys->pdata;
  q->query.log = on_source_log_cb;
  q->query.log_data = q;
}

void
ps_engine_query_clear (Query *q)
{
  g_clear_pointer (&q->specs, g_ptr_array_unref);
  g_clear_pointer (&q->keys, g_ptr_array_unref);
}


/* What the source needs of the local links for a delta read. */
GHashTable *
ps_engine_known_from_links (GHashTable *links)
{
  GHashTable *known = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      PsLink *link = value;
      PsSourceKnown *k = g_new0 (PsSourceKnown, 1);

      k->anchor = link->anchor;
      k->dn = link->dn;
      k->active = link->active;
      k->synced = link->values_hash != NULL;
      g_hash_table_insert (known, link->anchor, k);
    }
  return known;
}

/* What adoption needs to know for a full plan of a collection: which
 * anchors of unlinked records belong to this source, and the records
 * another mapping of the profile manages. */
gboolean
ps_engine_prepare_adoption (Run                 *run,
                  MappingWork         *work,
                  const PsMapping     *original,
                  const PsSourceQuery *query,
                  GPtrArray           *people,
                  GPtrArray           *items,
                  GHashTable          *links,
                  PsPlanContext       *ctx,
                  GError             **error)
{
  GPtrArray *mappings = ps_profile_get_mappings (run->engine->profile);
  g_autoptr(GHashTable) linked = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) candidates = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  work->foreign_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < mappings->len; i++)
    {
      const PsMapping *other = g_ptr_array_index (mappings, i);
      g_autoptr(GHashTable) other_links = NULL;

      if (other->kind != PS_MAPPING_COLLECTION || g_str_equal (other->name, original->name)
          || g_strcmp0 (other->account, original->account) != 0
          || g_strcmp0 (other->module, original->module) != 0
          || g_strcmp0 (other->collection, original->collection) != 0)
        continue;
      other_links = ps_state_load_links (run->state, other->name, NULL);
      if (other_links == NULL)
        continue;
      g_hash_table_iter_init (&iter, other_links);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        if (((PsLink *) value)->target_id != NULL)
          g_hash_table_add (work->foreign_ids, g_strdup (((PsLink *) value)->target_id));
    }

  g_hash_table_iter_init (&iter, links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((PsLink *) value)->target_id != NULL)
      g_hash_table_add (linked, ((PsLink *) value)->target_id);
  for (guint i = 0; i < items->len; i++)
    {
      PsItem *item = g_ptr_array_index (items, i);

      if (item->anchor != NULL && *item->anchor != '\0' && !g_hash_table_contains (linked, item->id)
          && !g_hash_table_contains (work->foreign_ids, item->id))
        g_ptr_array_add (candidates, item->anchor);
    }
  work->own_anchors = ps_source_own_anchors_sync (run->source, query, people, candidates,
                                                  run->cancellable, error);
  if (work->own_anchors == NULL)
    return FALSE;

  ctx->adopt = TRUE;
  ctx->own_anchors = work->own_anchors;
  ctx->foreign_ids = work->foreign_ids;
  return TRUE;
}
