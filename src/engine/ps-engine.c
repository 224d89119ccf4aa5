/* ps-engine.c — one sync of a profile: read, plan, (apply), record
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ps-engine.h"
#include "ps-ldap-syntax.h"
#include "ps-source.h"
#include "ps-lock.h"
#include "ps-secret-store.h"
#include "ps-target.h"

/* Writes go to Asset Panda in chunks, so progress, intents and links are
 * recorded as the run goes and a killed run loses at most one chunk's
 * bookkeeping (which the next run recovers by anchor). A chunk holds several
 * of the API's batches (100 records on Classic), so that the target can
 * keep its parallel calls busy. */
#define WRITE_CHUNK 400

struct _PsEngine
{
  GObject          parent_instance;

  PsProfile       *profile;
  PsSyncEventFunc  event_func;
  gpointer         event_data;
  GDestroyNotify   event_destroy;
};

G_DEFINE_TYPE (PsEngine, ps_engine, G_TYPE_OBJECT)

/* What the planner needs, resolved against Asset Panda, for one mapping. */
typedef struct {
  PsMapping     *mapping;       /* a copy, with field names resolved to keys */
  PsMappingPlan *plan;
  char          *anchor_key;    /* records: the field holding the anchor */
  char          *status_active;
  char          *status_inactive;
  char          *status_none;
  GHashTable    *own_anchors;   /* adoption: the unlinked records' anchors that are the source's */
  GHashTable    *foreign_ids;   /* adoption: records other mappings manage */
  gboolean       guard_held;    /* the read looked too small: keep the last count */
  gboolean       delta;         /* planned from what changed, not a full reconciliation */
  char          *new_mark;      /* the source's watermark, read before this run's read */
} MappingWork;

typedef struct {
  PsEngine            *engine;
  const PsSyncOptions *options;
  GCancellable        *cancellable;
  PsState             *state;
  gint64               run_id;
  PsSource            *source;
  PsTarget            *target;
  GHashTable          *claimed;    /* users: anchor → mapping name */
  PsSyncResult        *result;
} Run;

/* ---------------------------------------------------------------- helpers */

static void
mapping_work_free (MappingWork *work)
{
  ps_mapping_free (work->mapping);
  g_free (work->anchor_key);
  g_free (work->status_active);
  g_free (work->status_inactive);
  g_free (work->status_none);
  g_clear_pointer (&work->own_anchors, g_hash_table_unref);
  g_clear_pointer (&work->foreign_ids, g_hash_table_unref);
  g_free (work->new_mark);
  g_free (work);
}

static void
mapping_result_free (PsMappingResult *r)
{
  g_free (r->name);
  g_free (r->status);
  g_free (r->message);
  g_free (r);
}

static void
emit (Run           *run,
      PsSyncEvent   *event)
{
  PsEngine *self = run->engine;

  event->time_us = g_get_real_time ();
  if (event->kind == PS_SYNC_EVENT_LOG && event->level >= PS_LOG_INFO && run->state != NULL)
    ps_state_add_log (run->state, run->run_id, ps_log_level_to_string (event->level),
                      event->mapping, event->message, NULL);
  if (event->kind == PS_SYNC_EVENT_LOG)
    g_debug ("%s%s%s", event->mapping ? event->mapping : "", event->mapping ? ": " : "",
             event->message);
  if (self->event_func != NULL)
    self->event_func (event, self->event_data);
}

static void
log_line (Run        *run,
          PsLogLevel  level,
          const char *mapping,
          const char *format,
          ...) G_GNUC_PRINTF (4, 5);

static void
log_line (Run        *run,
          PsLogLevel  level,
          const char *mapping,
          const char *format,
          ...)
{
  PsSyncEvent event = { 0 };
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  event.kind = PS_SYNC_EVENT_LOG;
  event.level = level;
  event.mapping = (char *) mapping;
  event.message = message;
  emit (run, &event);
}

static void
progress (Run        *run,
          const char *mapping,
          guint       done,
          guint       total)
{
  PsSyncEvent event = { 0 };

  event.kind = PS_SYNC_EVENT_PROGRESS;
  event.mapping = (char *) mapping;
  event.done = done;
  event.total = total;
  emit (run, &event);
}

static char *
lock_path (PsProfile *profile)
{
  g_autofree char *state = ps_profile_dup_state_path (profile);
  return g_strconcat (state, ".lock", NULL);
}

/* Takes the profile's sync lock; -1 with @error when someone else has it. */
static int
take_lock (PsProfile  *profile,
           GError    **error)
{
  g_autofree char *path = lock_path (profile);
  g_autofree char *busy = g_strdup_printf (_("Another sync of the profile “%s” is running (in the app, "
                                             "the command line or the background service); this one "
                                             "was not started"), ps_profile_get_name (profile));

  return ps_lock_take (path, busy, error);
}

static char *
changes_to_json (const PsAction *action)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  if (action->changes->len == 0)
    return NULL;
  json_builder_begin_array (b);
  for (guint i = 0; i < action->changes->len; i++)
    {
      const PsChange *c = g_ptr_array_index (action->changes, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "field");
      json_builder_add_string_value (b, c->field);
      json_builder_set_member_name (b, "old");
      if (c->old_value != NULL)
        json_builder_add_string_value (b, c->old_value);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "new");
      json_builder_add_string_value (b, c->new_value != NULL ? c->new_value : "");
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

static void
record_action (Run            *run,
               const char     *mapping,
               const PsAction *action,
               const char     *target_id,
               const GError   *error)
{
  g_autofree char *changes = changes_to_json (action);

  ps_state_add_action (run->state, run->run_id, mapping,
                       error != NULL ? "failed" : ps_action_kind_to_string (action->kind),
                       action->anchor, target_id != NULL ? target_id : action->target_id,
                       action->name, changes,
                       error != NULL ? error->message : action->reason, NULL);
}

static gboolean
error_is_fatal (const GError *error)
{
  return g_error_matches (error, PS_TARGET_ERROR, PS_TARGET_ERROR_AUTH)
         || g_error_matches (error, PS_TARGET_ERROR, PS_TARGET_ERROR_PERMISSION)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

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
static gboolean
prepare_collection (Run          *run,
                    MappingWork  *work,
                    GError      **error)
{
  PsMapping *m = work->mapping;
  g_autoptr(GPtrArray) fields = NULL;

  fields = ps_target_list_fields_sync (run->target, m->account, m->module, m->collection,
                                       run->cancellable, error);
  if (fields == NULL)
    return FALSE;
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

static GPtrArray *
read_items (Run          *run,
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
static GPtrArray *
read_records_for (Run          *run,
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
static void
split_delta (const PsMapping     *m,
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

static gboolean
delta_allowed (Run             *run,
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

/* A mapping as a source reads it. The strings stay owned by @m. */
typedef struct {
  PsSourceQuery  query;
  GPtrArray     *specs;     /* const char* */
  GPtrArray     *keys;      /* char*, the profile keys naming them */
  Run           *run;
} Query;

static void
on_source_log_cb (PsSourceLogLevel  level,
                  const char       *message,
                  gpointer          user_data)
{
  Query *q = user_data;

  log_line (q->run, level == PS_SOURCE_LOG_WARNING ? PS_LOG_WARNING : PS_LOG_INFO,
            q->query.name, "%s", message);
}

static void
query_init (Query           *q,
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

static void
query_clear (Query *q)
{
  g_clear_pointer (&q->specs, g_ptr_array_unref);
  g_clear_pointer (&q->keys, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Query, query_clear)

/* What the source needs of the local links for a delta read. */
static GHashTable *
known_from_links (GHashTable *links)
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
static gboolean
prepare_adoption (Run                 *run,
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

/* ---------------------------------------------------------------- planning */

static MappingWork *
fail_work (Run          *run,
           MappingWork  *work,
           const GError *error)
{
  g_clear_pointer (&work->plan, ps_mapping_plan_free);
  work->plan = ps_mapping_plan_new (work->mapping->name, work->mapping->kind);
  work->plan->status = PS_MAPPING_PLAN_FAILED;
  work->plan->message = g_strdup (error->message);
  log_line (run, PS_LOG_ERROR, work->mapping->name, "%s", error->message);
  return work;
}

static MappingWork *
plan_one (Run             *run,
          const PsMapping *original)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) people = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GHashTable) links = NULL;
  MappingWork *work = g_new0 (MappingWork, 1);
  PsPlanContext ctx = { 0 };
  g_auto(Query) query = { 0 };
  PsMapping *m;

  work->mapping = ps_mapping_copy (original);
  query_init (&query, run, original);
  m = work->mapping;

  if (m->kind == PS_MAPPING_COLLECTION && !prepare_collection (run, work, &error))
    return fail_work (run, work, error);

  links = ps_state_load_links (run->state, m->name, &error);
  if (links == NULL)
    return fail_work (run, work, error);

  if (!ps_source_check_attributes_sync (run->source, &query.query, run->cancellable, &error))
    return fail_work (run, work, error);

  log_line (run, PS_LOG_INFO, m->name, _("Reading the members of %s"),
            m->group_name != NULL ? m->group_name : m->group);
  if (delta_allowed (run, m, links))
    {
      g_autoptr(PsWatermark) mark = ps_state_get_watermark (run->state, m->name);
      g_autoptr(GHashTable) known = known_from_links (links);

      if (mark != NULL && mark->token != NULL)
        people = ps_source_read_changes_sync (run->source, &query.query, mark->token, known,
                                              &work->new_mark, run->cancellable, &error);
      if (people == NULL && error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return fail_work (run, work, error);
      if (people == NULL && error != NULL)
        {
          log_line (run, PS_LOG_WARNING, m->name, _("The changes could not be read (%s); reading everything"),
                    error->message);
          g_clear_error (&error);
        }
    }
  if (people == NULL)
    {
      g_autoptr(GError) mark_error = NULL;

      /* Read the watermark before the read, so that nothing changed during
       * it is missed next time. A source without one: full reads only. */
      g_clear_pointer (&work->new_mark, g_free);
      work->new_mark = ps_source_read_watermark_sync (run->source, run->cancellable, &mark_error);
      people = ps_source_read_people_sync (run->source, &query.query, NULL, run->cancellable, &error);
    }
  ctx.source_complete = people != NULL;
  if (people == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return fail_work (run, work, error);
      log_line (run, PS_LOG_ERROR, m->name, _("The directory read failed: %s"), error->message);
      people = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_person_free);
      g_clear_error (&error);
    }
  else
    log_line (run, PS_LOG_INFO, m->name,
              ngettext ("Read %u person from the directory", "Read %u people from the directory",
                        people->len), people->len);

  ctx.allow_deactivations = run->options->allow_deactivations;
  ctx.last_source_count = ps_state_get_source_count (run->state, m->name);
  ctx.status_active = work->status_active != NULL ? work->status_active : "Active";
  ctx.status_inactive = work->status_inactive != NULL ? work->status_inactive : "Inactive";
  ctx.status_none = work->status_none;
  ctx.claimed = run->claimed;

  if (ctx.source_complete && delta_allowed (run, m, links))
    {
      g_autoptr(GPtrArray) dirty = g_ptr_array_new ();
      g_autoptr(GHashTable) dirty_links = g_hash_table_new (g_str_hash, g_str_equal);
      gboolean need_full = FALSE;
      GHashTableIter iter;
      gpointer value;

      split_delta (m, people, links, &ctx, dirty, dirty_links);
      ctx.total_people = MAX (people->len, 1);
      g_hash_table_iter_init (&iter, links);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        ctx.total_managed += ((PsLink *) value)->active ? 1 : 0;
      log_line (run, PS_LOG_INFO, m->name,
                _("Changed since the last run: %u of %u people, %u gone"),
                dirty->len, people->len, g_hash_table_size (dirty_links) > dirty->len
                  ? g_hash_table_size (dirty_links) - MIN (dirty->len, g_hash_table_size (dirty_links)) : 0);
      if (dirty->len == 0 && g_hash_table_size (dirty_links) == 0)
        items = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_item_free);
      else if (m->kind == PS_MAPPING_USERS)
        items = read_items (run, work, &error);
      else
        items = read_records_for (run, work, dirty, dirty_links, &need_full, &error);
      if (items == NULL && error != NULL)
        {
          g_prefix_error (&error, _("Asset Panda could not be read: "));
          return fail_work (run, work, error);
        }
      if (!need_full)
        {
          work->plan = ps_plan_mapping (m, dirty, items, dirty_links, &ctx);
          work->delta = TRUE;
        }
      else
        {
          ctx.total_people = 0;
          ctx.total_managed = 0;
        }
    }

  if (work->plan == NULL && ctx.source_complete)
    {
      items = read_items (run, work, &error);
      if (items == NULL)
        {
          g_prefix_error (&error, _("Asset Panda could not be read: "));
          return fail_work (run, work, error);
        }
      log_line (run, PS_LOG_INFO, m->name,
                ngettext ("Read %u item from Asset Panda", "Read %u items from Asset Panda",
                          items->len), items->len);
      if (m->kind == PS_MAPPING_COLLECTION
          && !prepare_adoption (run, work, original, &query.query, people, items, links, &ctx, &error))
        {
          g_prefix_error (&error, _("The directory could not tell which records are its own: "));
          return fail_work (run, work, error);
        }
    }
  else if (work->plan == NULL)
    items = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_item_free);

  if (work->plan == NULL)
    work->plan = ps_plan_mapping (m, people, items, links, &ctx);
  work->guard_held = people->len == 0
                     || (ctx.last_source_count > 0 && (gint64) people->len * 2 < ctx.last_source_count);

  if (m->kind == PS_MAPPING_USERS && work->plan->status == PS_MAPPING_PLAN_READY)
    for (guint i = 0; i < people->len; i++)
      {
        PsPerson *p = g_ptr_array_index (people, i);
        if (!g_hash_table_contains (run->claimed, p->anchor))
          g_hash_table_insert (run->claimed, g_strdup (p->anchor), g_strdup (m->name));
      }

  if (work->plan->message != NULL)
    log_line (run, work->plan->status == PS_MAPPING_PLAN_READY ? PS_LOG_WARNING : PS_LOG_ERROR,
              m->name, "%s", work->plan->message);
  log_line (run, PS_LOG_INFO, m->name,
            _("Plan: %u to create, %u to update, %u to deactivate, %u to reactivate, %u skipped"),
            ps_mapping_plan_count (work->plan, PS_ACTION_CREATE),
            ps_mapping_plan_count (work->plan, PS_ACTION_UPDATE),
            ps_mapping_plan_count (work->plan, PS_ACTION_DEACTIVATE),
            ps_mapping_plan_count (work->plan, PS_ACTION_REACTIVATE),
            ps_mapping_plan_count (work->plan, PS_ACTION_SKIP));
  return work;
}

/* ---------------------------------------------------------------- applying */

static void
count_result (PsMappingResult *r,
              PsActionKind     kind)
{
  switch (kind)
    {
    case PS_ACTION_CREATE:
      r->created++;
      break;
    case PS_ACTION_UPDATE:
      r->updated++;
      break;
    case PS_ACTION_DEACTIVATE:
      r->deactivated++;
      break;
    case PS_ACTION_REACTIVATE:
      r->reactivated++;
      break;
    case PS_ACTION_LINK:
      r->linked++;
      break;
    case PS_ACTION_SKIP:
    case PS_ACTION_N_KINDS:
    default:
      r->skipped++;
      break;
    }
}

static void
store_link (Run            *run,
            const char     *mapping,
            const PsAction *action,
            const char     *target_id)
{
  g_autoptr(PsLink) link = ps_link_new (action->anchor, target_id != NULL ? target_id : action->target_id);
  g_autoptr(GError) error = NULL;

  if (link->anchor == NULL || link->target_id == NULL)
    return;
  link->values_hash = g_strdup (action->values_hash);
  link->dn = g_strdup (action->dn);
  link->active = action->active_after;
  if (!ps_state_put_link (run->state, mapping, link, &error))
    log_line (run, PS_LOG_ERROR, mapping, "%s", error->message);
}

/* Local-only outcomes: links and skips. */
static void
apply_local (Run             *run,
             MappingWork     *work,
             PsMappingResult *r)
{
  const char *name = work->mapping->name;

  for (guint i = 0; i < work->plan->actions->len; i++)
    {
      PsAction *a = g_ptr_array_index (work->plan->actions, i);

      if (a->kind == PS_ACTION_LINK)
        store_link (run, name, a, NULL);
      else if (a->kind == PS_ACTION_SKIP && a->target_id == NULL && a->values_hash != NULL)
        store_link (run, name, a, "");   /* known, not in Asset Panda */
      if (a->kind == PS_ACTION_LINK || a->kind == PS_ACTION_SKIP)
        {
          count_result (r, a->kind);
          record_action (run, name, a, NULL, NULL);
        }
    }
}

static void
fill_write (PsTargetWrite  *w,
            MappingWork    *work,
            const PsAction *a)
{
  for (guint k = 0; k < a->changes->len; k++)
    {
      const PsChange *c = g_ptr_array_index (a->changes, k);

      if (g_str_equal (c->field, "anchor"))
        ps_target_write_set (w, work->anchor_key, c->new_value);
      else
        ps_target_write_set (w, c->field, c->new_value);
    }
}

/* Collections: batched record writes. FALSE when the mapping had to stop. */
static gboolean
apply_records (Run              *run,
               MappingWork      *work,
               PsMappingResult  *r,
               GError          **error)
{
  PsMapping *m = work->mapping;
  g_autoptr(GPtrArray) todo = g_ptr_array_new ();
  guint done = 0;

  for (guint i = 0; i < work->plan->actions->len; i++)
    {
      PsAction *a = g_ptr_array_index (work->plan->actions, i);
      if (a->kind != PS_ACTION_LINK && a->kind != PS_ACTION_SKIP)
        g_ptr_array_add (todo, a);
    }

  for (guint start = 0; start < todo->len; start += WRITE_CHUNK)
    {
      g_autoptr(GPtrArray) writes = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_write_free);
      g_autoptr(GError) batch_error = NULL;
      guint end = MIN (todo->len, start + WRITE_CHUNK);
      gboolean ok;

      /* Intents first: a create that is cut off by a crash is found by its
       * anchor next time instead of being sent again. */
      ps_state_begin (run->state, NULL);
      for (guint i = start; i < end; i++)
        {
          PsAction *a = g_ptr_array_index (todo, i);
          PsTargetWrite *w;

          if (a->kind == PS_ACTION_CREATE)
            {
              w = ps_target_write_new_create (work->anchor_key, a->remote_anchor);
              ps_state_add_intent (run->state, m->name, a->anchor, "create", NULL);
            }
          else
            w = ps_target_write_new_update (a->target_id);
          fill_write (w, work, a);
          w->user_data = a;
          g_ptr_array_add (writes, w);
        }
      if (!ps_state_commit (run->state, error))
        return FALSE;

      ok = ps_target_write_records_sync (run->target, m->account, m->module, m->collection,
                                         writes, run->cancellable, &batch_error);

      ps_state_begin (run->state, NULL);
      for (guint i = 0; i < writes->len; i++)
        {
          PsTargetWrite *w = g_ptr_array_index (writes, i);
          PsAction *a = w->user_data;

          if (w->done)
            {
              store_link (run, m->name, a, w->new_id);
              count_result (r, a->kind);
              record_action (run, m->name, a, w->new_id, NULL);
              if (w->existed)
                log_line (run, PS_LOG_INFO, m->name,
                          _("%s was already in Asset Panda (an earlier run was cut off); linked"),
                          a->name);
            }
          else
            {
              const GError *why = w->error != NULL ? w->error : batch_error;
              r->failed++;
              record_action (run, m->name, a, NULL, why);
              if (why != NULL && !error_is_fatal (why))
                log_line (run, PS_LOG_ERROR, m->name, _("%s: %s"), a->name, why->message);
            }
          if (a->kind == PS_ACTION_CREATE && (w->done || !g_error_matches (w->error, PS_TARGET_ERROR,
                                                                            PS_TARGET_ERROR_AMBIGUOUS)))
            ps_state_clear_intent (run->state, m->name, a->anchor, NULL);
        }
      if (!ps_state_commit (run->state, error))
        return FALSE;

      done = end;
      progress (run, m->name, done, todo->len);
      if (!ok)
        {
          g_propagate_error (error, g_steal_pointer (&batch_error));
          return FALSE;
        }
    }
  return TRUE;
}

/* Users: one call per change (the API has no batch for users). */
static gboolean
apply_users (Run              *run,
             MappingWork      *work,
             PsMappingResult  *r,
             GError          **error)
{
  PsMapping *m = work->mapping;
  g_autoptr(GPtrArray) todo = g_ptr_array_new ();

  for (guint i = 0; i < work->plan->actions->len; i++)
    {
      PsAction *a = g_ptr_array_index (work->plan->actions, i);
      if (a->kind != PS_ACTION_LINK && a->kind != PS_ACTION_SKIP)
        g_ptr_array_add (todo, a);
    }

  for (guint i = 0; i < todo->len; i++)
    {
      PsAction *a = g_ptr_array_index (todo, i);
      g_autoptr(GError) local = NULL;
      g_autofree char *new_id = NULL;
      const char *role = ps_action_get_new_value (a, "role");
      gboolean ok = TRUE;

      switch (a->kind)
        {
        case PS_ACTION_CREATE:
          {
            PsTargetUserSpec spec = { 0 };
            PsTargetUser *user;

            spec.email = (char *) ps_action_get_new_value (a, "email");
            spec.first_name = (char *) ps_action_get_new_value (a, "first_name");
            spec.last_name = (char *) ps_action_get_new_value (a, "last_name");
            spec.role_id = m->role;
            spec.anchor = a->remote_anchor;
            ps_state_add_intent (run->state, m->name, a->anchor, "create", NULL);
            user = ps_target_create_user_sync (run->target, m->account, m->module, &spec,
                                               run->cancellable, &local);
            ok = user != NULL;
            if (ok)
              new_id = g_strdup (user->id);
            ps_target_user_free (user);
            break;
          }
        case PS_ACTION_DEACTIVATE:
          ok = ps_target_set_user_active_sync (run->target, m->account, m->module, a->target_id,
                                               FALSE, run->cancellable, &local);
          break;
        case PS_ACTION_REACTIVATE:
          ok = ps_target_set_user_active_sync (run->target, m->account, m->module, a->target_id,
                                               TRUE, run->cancellable, &local);
          if (ok && role != NULL)
            ok = ps_target_set_user_role_sync (run->target, m->account, m->module, a->target_id,
                                               role, run->cancellable, &local);
          break;
        case PS_ACTION_UPDATE:
          if (role != NULL)
            ok = ps_target_set_user_role_sync (run->target, m->account, m->module, a->target_id,
                                               role, run->cancellable, &local);
          break;
        case PS_ACTION_LINK:
        case PS_ACTION_SKIP:
        case PS_ACTION_N_KINDS:
        default:
          break;
        }

      if (ok)
        {
          store_link (run, m->name, a, new_id);
          count_result (r, a->kind);
          record_action (run, m->name, a, new_id, NULL);
        }
      else
        {
          r->failed++;
          record_action (run, m->name, a, NULL, local);
          if (!error_is_fatal (local))
            log_line (run, PS_LOG_ERROR, m->name, _("%s: %s"), a->name, local->message);
        }
      if (a->kind == PS_ACTION_CREATE
          && (ok || !g_error_matches (local, PS_TARGET_ERROR, PS_TARGET_ERROR_AMBIGUOUS)))
        ps_state_clear_intent (run->state, m->name, a->anchor, NULL);
      progress (run, m->name, i + 1, todo->len);
      if (!ok && error_is_fatal (local))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
    }
  return TRUE;
}

static PsMappingResult *
apply_one (Run         *run,
           MappingWork *work)
{
  PsMappingResult *r = g_new0 (PsMappingResult, 1);
  PsMappingPlan *plan = work->plan;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  r->name = g_strdup (work->mapping->name);
  r->message = g_strdup (plan->message);
  if (plan->status == PS_MAPPING_PLAN_FAILED)
    {
      r->status = g_strdup ("failed");
      return r;
    }
  if (plan->status == PS_MAPPING_PLAN_PAUSED)
    {
      r->status = g_strdup ("paused");
      return r;
    }
  if (run->options->dry_run)
    {
      for (guint i = 0; i < plan->actions->len; i++)
        {
          PsAction *a = g_ptr_array_index (plan->actions, i);
          count_result (r, a->kind);
          record_action (run, r->name, a, NULL, NULL);
        }
      r->status = g_strdup ("dry-run");
      return r;
    }

  ps_state_begin (run->state, NULL);
  apply_local (run, work, r);
  ps_state_commit (run->state, NULL);

  if (work->mapping->kind == PS_MAPPING_USERS)
    ok = apply_users (run, work, r, &error);
  else
    ok = apply_records (run, work, r, &error);

  if (!ok)
    {
      g_autofree char *message = g_strdup_printf (_("Stopped writing: %s"), error->message);
      log_line (run, PS_LOG_ERROR, r->name, "%s", message);
      g_free (r->message);
      r->message = g_steal_pointer (&message);
      r->status = g_strdup ("failed");
      return r;
    }
  if (!work->guard_held)
    ps_state_set_source_count (run->state, r->name, plan->source_count, NULL);
  if (r->failed == 0)
    {
      /* Commit the watermark only now that the writes succeeded. */
      g_autoptr(PsWatermark) old = ps_state_get_watermark (run->state, r->name);
      PsWatermark mark = { NULL, 0 };

      mark.full_at = work->delta && old != NULL ? old->full_at : g_get_real_time () / G_USEC_PER_SEC;
      mark.token = work->new_mark;
      ps_state_set_watermark (run->state, r->name, &mark, NULL);
    }
  r->status = g_strdup (r->failed > 0 ? "failed" : "succeeded");
  return r;
}

static void
emit_mapping_done (Run                   *run,
                   const PsMappingResult *r)
{
  PsSyncEvent event = { 0 };
  g_autofree char *message = g_strdup_printf (
      _("%s: %u created, %u updated, %u deactivated, %u reactivated, %u skipped, %u failed"),
      r->status, r->created, r->updated, r->deactivated, r->reactivated, r->skipped, r->failed);
  const guint counts[7] = { r->created, r->updated, r->deactivated, r->reactivated, r->skipped,
                            r->failed, g_str_equal (r->status, "paused") ? 1 : 0 };

  ps_state_add_run_mapping (run->state, run->run_id, r->name, r->status, counts, r->message, NULL);
  event.kind = PS_SYNC_EVENT_MAPPING;
  event.level = g_str_equal (r->status, "failed") ? PS_LOG_ERROR
                : g_str_equal (r->status, "paused") ? PS_LOG_WARNING : PS_LOG_INFO;
  event.mapping = r->name;
  event.message = message;
  event.status = r->status;
  event.counts[PS_ACTION_CREATE] = r->created;
  event.counts[PS_ACTION_UPDATE] = r->updated;
  event.counts[PS_ACTION_DEACTIVATE] = r->deactivated;
  event.counts[PS_ACTION_REACTIVATE] = r->reactivated;
  event.counts[PS_ACTION_SKIP] = r->skipped;
  event.counts[PS_ACTION_LINK] = r->linked;
  emit (run, &event);
  log_line (run, event.level, r->name, "%s", message);
}

/* ---------------------------------------------------------------- the run */

static gboolean
mapping_selected (const PsSyncOptions *options,
                  const PsMapping     *m)
{
  if (options->only_mapping != NULL)
    return g_strcmp0 (options->only_mapping, m->name) == 0;
  return m->enabled;
}

static gboolean
plans_match (PsPlan  *expected,
             PsPlan  *actual)
{
  g_autoptr(GPtrArray) a = ps_plan_summary_lines (expected);
  g_autoptr(GPtrArray) b = ps_plan_summary_lines (actual);

  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    if (g_strcmp0 (g_ptr_array_index (a, i), g_ptr_array_index (b, i)) != 0)
      return FALSE;
  return TRUE;
}

static gboolean
connect_both (Run     *run,
              GError **error)
{
  PsProfile *profile = run->engine->profile;

  log_line (run, PS_LOG_INFO, NULL, _("Connecting to the directory"));
  run->source = ps_source_new_for_profile (profile, run->cancellable, error);
  if (run->source == NULL || !ps_source_connect_sync (run->source, run->cancellable, error))
    {
      g_prefix_error (error, _("The directory cannot be read: "));
      return FALSE;
    }
  log_line (run, PS_LOG_INFO, NULL, _("Connected to %s"), ps_source_get_location (run->source));
  run->target = ps_target_new_for_profile (profile, run->cancellable, error);
  if (run->target == NULL)
    {
      g_prefix_error (error, _("Asset Panda cannot be used: "));
      return FALSE;
    }
  return TRUE;
}

static PsSyncResult *
run_locked (Run     *run,
            GError **error)
{
  PsProfile *profile = run->engine->profile;
  GPtrArray *mappings = ps_profile_get_mappings (profile);
  g_autoptr(GPtrArray) works = g_ptr_array_new_with_free_func ((GDestroyNotify) mapping_work_free);
  g_autoptr(GError) connect_error = NULL;
  g_autofree char *state_path = ps_profile_dup_state_path (profile);
  PsSyncResult *result;
  gboolean any_failed = FALSE, any_paused = FALSE;
  guint interrupted;

  run->state = ps_state_open (state_path, error);
  if (run->state == NULL)
    return NULL;
  if (run->options->due_at > 0
      && ps_state_last_run_start (run->state, TRUE) >= run->options->due_at)
    {
      g_set_error (error, PS_ENGINE_ERROR, PS_ENGINE_ERROR_BUSY,
                   _("Another process has just synced the profile “%s” for this slot; "
                     "this run was not started"), ps_profile_get_name (profile));
      return NULL;
    }
  interrupted = ps_state_mark_interrupted (run->state);
  run->run_id = ps_state_begin_run (run->state,
                                    run->options->trigger != NULL ? run->options->trigger : "manual",
                                    run->options->dry_run, error);
  if (run->run_id < 0)
    return NULL;

  result = g_new0 (PsSyncResult, 1);
  run->result = result;
  result->run_id = run->run_id;
  result->plan = ps_plan_new (ps_profile_get_name (profile));
  result->mappings = g_ptr_array_new_with_free_func ((GDestroyNotify) mapping_result_free);

  log_line (run, PS_LOG_INFO, NULL, run->options->dry_run
            ? _("Preview of profile %s (nothing is written)") : _("Sync of profile %s started"),
            ps_profile_get_name (profile));
  if (interrupted > 0)
    log_line (run, PS_LOG_WARNING, NULL,
              _("The previous run was interrupted; this run checks Asset Panda by anchor "
                "so nothing is created twice"));

  if (!connect_both (run, &connect_error))
    log_line (run, PS_LOG_ERROR, NULL, "%s", connect_error->message);

  /* Phase 1: plan every mapping, users first, then collections. */
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < mappings->len; i++)
      {
        PsMapping *m = g_ptr_array_index (mappings, i);
        MappingWork *work;

        if ((pass == 0) != (m->kind == PS_MAPPING_USERS) || !mapping_selected (run->options, m))
          continue;
        if (g_cancellable_is_cancelled (run->cancellable))
          break;
        if (connect_error != NULL)
          {
            work = g_new0 (MappingWork, 1);
            work->mapping = ps_mapping_copy (m);
            work->plan = ps_mapping_plan_new (m->name, m->kind);
            work->plan->status = PS_MAPPING_PLAN_FAILED;
            work->plan->message = g_strdup (connect_error->message);
          }
        else
          work = plan_one (run, m);
        g_ptr_array_add (works, work);
      }

  if (works->len == 0)
    log_line (run, PS_LOG_WARNING, NULL, run->options->only_mapping != NULL
              ? _("There is no mapping with that name") : _("No mapping is enabled: nothing to do"));

  /* "Apply this plan": the data must still be what the preview showed. */
  if (run->options->expected_plan != NULL && !run->options->dry_run)
    {
      g_autoptr(PsPlan) actual = ps_plan_new (NULL);

      for (guint i = 0; i < works->len; i++)
        {
          MappingWork *w = g_ptr_array_index (works, i);
          g_ptr_array_add (actual->mappings, w->plan);
        }
      if (!plans_match (run->options->expected_plan, actual))
        {
          g_ptr_array_set_free_func (actual->mappings, NULL);
          g_set_error (error, PS_ENGINE_ERROR, PS_ENGINE_ERROR_PLAN_STALE,
                       _("The directory or Asset Panda changed since the preview, so the previewed "
                         "plan was not applied. Preview again."));
          log_line (run, PS_LOG_ERROR, NULL, "%s", (*error)->message);
          ps_state_finish_run (run->state, run->run_id, PS_RUN_FAILED, NULL);
          ps_sync_result_free (result);
          run->result = NULL;
          return NULL;
        }
      g_ptr_array_set_free_func (actual->mappings, NULL);
    }

  /* Phase 2: apply (or, for a preview, record) each mapping in order. */
  for (guint i = 0; i < works->len; i++)
    {
      MappingWork *w = g_ptr_array_index (works, i);
      PsMappingResult *r;

      if (g_cancellable_is_cancelled (run->cancellable))
        {
          r = g_new0 (PsMappingResult, 1);
          r->name = g_strdup (w->mapping->name);
          r->status = g_strdup ("failed");
          r->message = g_strdup (_("cancelled"));
        }
      else
        r = apply_one (run, w);
      emit_mapping_done (run, r);
      any_failed |= g_str_equal (r->status, "failed");
      any_paused |= g_str_equal (r->status, "paused");
      g_ptr_array_add (result->mappings, r);
      g_ptr_array_add (result->plan->mappings, g_steal_pointer (&w->plan));
    }

  if (g_cancellable_is_cancelled (run->cancellable))
    result->status = PS_RUN_CANCELLED;
  else if (any_failed)
    result->status = PS_RUN_FAILED;
  else if (any_paused)
    result->status = PS_RUN_PAUSED;
  else
    result->status = PS_RUN_SUCCEEDED;
  ps_state_finish_run (run->state, run->run_id, result->status, NULL);
  log_line (run, result->status == PS_RUN_SUCCEEDED ? PS_LOG_INFO : PS_LOG_WARNING, NULL,
            _("Run %lld finished: %s"), (long long) run->run_id,
            ps_run_status_to_string (result->status));
  run->result = NULL;
  return result;
}

/* ---------------------------------------------------------------- GObject */

static void
ps_engine_finalize (GObject *object)
{
  PsEngine *self = PS_ENGINE (object);

  if (self->event_destroy != NULL)
    self->event_destroy (self->event_data);
  g_clear_object (&self->profile);

  G_OBJECT_CLASS (ps_engine_parent_class)->finalize (object);
}

static void
ps_engine_class_init (PsEngineClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ps_engine_finalize;
}

static void
ps_engine_init (PsEngine *self)
{
}

/* ---------------------------------------------------------------- public API */

const char *
ps_log_level_to_string (PsLogLevel level)
{
  switch (level)
    {
    case PS_LOG_DEBUG:
      return "debug";
    case PS_LOG_WARNING:
      return "warning";
    case PS_LOG_ERROR:
      return "error";
    case PS_LOG_INFO:
    default:
      return "info";
    }
}

void
ps_sync_event_free (PsSyncEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->mapping);
  g_free (event->message);
  g_free (event->status);
  g_free (event);
}

PsSyncEvent *
ps_sync_event_copy (const PsSyncEvent *event)
{
  PsSyncEvent *copy = g_memdup2 (event, sizeof *event);

  copy->mapping = g_strdup (event->mapping);
  copy->message = g_strdup (event->message);
  copy->status = g_strdup (event->status);
  return copy;
}

void
ps_sync_result_free (PsSyncResult *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->plan, ps_plan_free);
  g_clear_pointer (&result->mappings, g_ptr_array_unref);
  g_free (result);
}

PsEngine *
ps_engine_new (PsProfile *profile)
{
  PsEngine *self = g_object_new (PS_TYPE_ENGINE, NULL);

  self->profile = g_object_ref (profile);
  return self;
}

/**
 * ps_engine_set_event_func:
 *
 * @func is called for every log line, progress step and finished mapping:
 * on the running thread for ps_engine_run_sync(), on the caller's main
 * context for ps_engine_run_async().
 */
void
ps_engine_set_event_func (PsEngine        *self,
                          PsSyncEventFunc  func,
                          gpointer         user_data,
                          GDestroyNotify   destroy)
{
  g_return_if_fail (PS_IS_ENGINE (self));

  if (self->event_destroy != NULL)
    self->event_destroy (self->event_data);
  self->event_func = func;
  self->event_data = user_data;
  self->event_destroy = destroy;
}

PsSyncResult *
ps_engine_run_sync (PsEngine             *self,
                    const PsSyncOptions  *options,
                    GCancellable         *cancellable,
                    GError              **error)
{
  PsSyncOptions defaults = { 0 };
  Run run = { 0 };
  PsSyncResult *result;
  int fd;

  g_return_val_if_fail (PS_IS_ENGINE (self), NULL);

  run.engine = self;
  run.options = options != NULL ? options : &defaults;
  run.cancellable = cancellable;
  run.claimed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  fd = take_lock (self->profile, error);
  if (fd < 0)
    {
      g_hash_table_unref (run.claimed);
      return NULL;
    }
  result = run_locked (&run, error);

  if (run.source != NULL)
    ps_source_close (run.source);
  g_clear_object (&run.source);
  g_clear_object (&run.target);
  g_clear_object (&run.state);
  g_hash_table_unref (run.claimed);
  close (fd);
  return result;
}

gboolean
ps_engine_count_scope_sync (PsEngine        *self,
                            const PsMapping *mapping,
                            guint           *members,
                            guint           *in_scope,
                            guint           *enabled,
                            GCancellable    *cancellable,
                            GError         **error)
{
  g_autoptr(PsSource) source = NULL;
  g_autoptr(GPtrArray) people = NULL;
  g_autofree char *reason = NULL;
  g_auto(Query) query = { 0 };
  PsSyncOptions defaults = { 0 };
  Run run = { 0 };
  guint n_enabled = 0;

  g_return_val_if_fail (PS_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (mapping != NULL, FALSE);

  if (mapping->filter != NULL)
    {
      g_autofree char *normal = ps_ldap_filter_parse (mapping->filter, NULL, &reason);
      if (normal == NULL)
        {
          g_set_error (error, PS_ENGINE_ERROR, PS_ENGINE_ERROR_CONFIG,
                       _("“%s” is not a valid LDAP filter: %s"), mapping->filter, reason);
          return FALSE;
        }
    }
  source = ps_source_new_for_profile (self->profile, cancellable, error);
  if (source == NULL || !ps_source_connect_sync (source, cancellable, error))
    return FALSE;

  run.engine = self;
  run.options = &defaults;
  run.cancellable = cancellable;
  run.source = source;
  query_init (&query, &run, mapping);
  if (ps_source_check_attributes_sync (source, &query.query, cancellable, error))
    people = ps_source_read_people_sync (source, &query.query, members, cancellable, error);
  ps_source_close (source);
  if (people == NULL)
    return FALSE;
  for (guint i = 0; i < people->len; i++)
    n_enabled += ((PsPerson *) g_ptr_array_index (people, i))->enabled ? 1 : 0;
  if (in_scope != NULL)
    *in_scope = people->len;
  if (enabled != NULL)
    *enabled = n_enabled;
  return TRUE;
}

gboolean
ps_engine_is_locked (PsProfile *profile)
{
  g_autofree char *path = lock_path (profile);

  return ps_lock_is_held (path);
}

/* ---------------------------------------------------------------- async */

/* Events from the worker reach the caller's main context in batches: the
 * worker queues them, and one idle on that context delivers all queued. */
typedef struct {
  PsEngine     *engine;
  GMainContext *context;
  GMutex        lock;
  GPtrArray    *queue;
  gboolean      flush_pending;
  PsSyncOptions options;
  PsSyncEventFunc  user_func;
  gpointer         user_data;
} AsyncRun;

/* Shared by the task and every pending idle flush: reference-counted, so a
 * flush that is still queued when the run completes finds it alive. */
static void
async_run_clear (AsyncRun *ar)
{
  g_clear_object (&ar->engine);
  g_main_context_unref (ar->context);
  g_mutex_clear (&ar->lock);
  g_ptr_array_unref (ar->queue);
  g_free (ar->options.only_mapping);
  g_free (ar->options.trigger);
  g_clear_pointer (&ar->options.expected_plan, ps_plan_free);
}

static void
async_run_release (gpointer data)
{
  g_rc_box_release_full (data, (GDestroyNotify) async_run_clear);
}

static gboolean
flush_events_cb (gpointer data)
{
  AsyncRun *ar = data;
  g_autoptr(GPtrArray) batch = NULL;

  g_mutex_lock (&ar->lock);
  batch = g_steal_pointer (&ar->queue);
  ar->queue = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_sync_event_free);
  ar->flush_pending = FALSE;
  g_mutex_unlock (&ar->lock);

  for (guint i = 0; i < batch->len && ar->user_func != NULL; i++)
    ar->user_func (g_ptr_array_index (batch, i), ar->user_data);
  return G_SOURCE_REMOVE;
}

static void
on_worker_event_cb (const PsSyncEvent *event,
                    gpointer           user_data)
{
  AsyncRun *ar = user_data;
  gboolean schedule;

  g_mutex_lock (&ar->lock);
  g_ptr_array_add (ar->queue, ps_sync_event_copy (event));
  schedule = !ar->flush_pending;
  ar->flush_pending = TRUE;
  g_mutex_unlock (&ar->lock);
  if (schedule)
    {
      GSource *idle = g_idle_source_new ();
      g_source_set_callback (idle, flush_events_cb, g_rc_box_acquire (ar), async_run_release);
      g_source_set_priority (idle, G_PRIORITY_DEFAULT_IDLE);
      g_source_attach (idle, ar->context);
      g_source_unref (idle);
    }
}

static void
run_thread (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  AsyncRun *ar = task_data;
  g_autoptr(PsEngine) worker = ps_engine_new (ar->engine->profile);
  g_autoptr(GError) error = NULL;
  PsSyncResult *result;

  ps_engine_set_event_func (worker, on_worker_event_cb, ar, NULL);
  result = ps_engine_run_sync (worker, &ar->options, cancellable, &error);
  if (result == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, result, (GDestroyNotify) ps_sync_result_free);
}

static void
on_run_done_cb (GObject      *source,
                GAsyncResult *res,
                gpointer      user_data)
{
  g_autoptr(GTask) outer = user_data;
  AsyncRun *ar = g_task_get_task_data (outer);
  g_autoptr(GError) error = NULL;
  PsSyncResult *result;

  /* Deliver the last queued events before the result; later flushes find
   * nothing to deliver and no one to deliver it to. */
  flush_events_cb (ar);
  ar->user_func = NULL;
  result = g_task_propagate_pointer (G_TASK (res), &error);
  if (result == NULL)
    g_task_return_error (outer, g_steal_pointer (&error));
  else
    g_task_return_pointer (outer, result, (GDestroyNotify) ps_sync_result_free);
}

void
ps_engine_run_async (PsEngine            *self,
                     const PsSyncOptions *options,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) outer = NULL;
  g_autoptr(GTask) inner = NULL;
  AsyncRun *ar;

  g_return_if_fail (PS_IS_ENGINE (self));

  ar = g_rc_box_new0 (AsyncRun);
  ar->engine = g_object_ref (self);
  ar->context = g_main_context_ref_thread_default ();
  g_mutex_init (&ar->lock);
  ar->queue = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_sync_event_free);
  ar->user_func = self->event_func;
  ar->user_data = self->event_data;
  if (options != NULL)
    {
      ar->options.dry_run = options->dry_run;
      ar->options.allow_deactivations = options->allow_deactivations;
      ar->options.full = options->full;
      ar->options.due_at = options->due_at;
      ar->options.only_mapping = g_strdup (options->only_mapping);
      ar->options.trigger = g_strdup (options->trigger);
      if (options->expected_plan != NULL)
        {
          g_autoptr(JsonNode) node = ps_plan_to_json (options->expected_plan);
          ar->options.expected_plan = ps_plan_from_json (node, NULL);
        }
    }

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, ps_engine_run_async);
  g_task_set_task_data (outer, ar, async_run_release);

  inner = g_task_new (self, cancellable, on_run_done_cb, g_object_ref (outer));
  g_task_set_task_data (inner, ar, NULL);
  g_task_run_in_thread (inner, run_thread);
}

PsSyncResult *
ps_engine_run_finish (PsEngine      *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ps_engine_run_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
