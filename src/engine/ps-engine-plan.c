/* ps-engine-plan.c — planning one mapping from what was read
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

/* ---------------------------------------------------------------- planning */

MappingWork *
ps_engine_fail_work (Run          *run,
           MappingWork  *work,
           const GError *error)
{
  gboolean cancelled = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  g_clear_pointer (&work->plan, ps_mapping_plan_free);
  work->plan = ps_mapping_plan_new (work->mapping->name, work->mapping->kind);
  work->plan->status = PS_MAPPING_PLAN_FAILED;
  /* A cancelled read is the administrator's decision, not an error to show. */
  work->plan->message = cancelled ? g_strdup (_("Cancelled while reading")) : g_strdup (error->message);
  ps_engine_log (run, cancelled ? PS_LOG_INFO : PS_LOG_ERROR, work->mapping->name, "%s",
                 work->plan->message);
  return work;
}

MappingWork *
ps_engine_plan_one (Run             *run,
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
  ps_engine_query_init (&query, run, original);
  m = work->mapping;

  if (m->kind == PS_MAPPING_COLLECTION && !ps_engine_prepare_collection (run, work, &error))
    return ps_engine_fail_work (run, work, error);

  links = ps_state_load_links (run->state, m->name, &error);
  if (links == NULL)
    return ps_engine_fail_work (run, work, error);

  if (!ps_source_check_attributes_sync (run->source, &query.query, run->cancellable, &error))
    return ps_engine_fail_work (run, work, error);

  ps_engine_log (run, PS_LOG_INFO, m->name, _("Reading the members of %s"),
            m->group_name != NULL ? m->group_name : m->group);
  if (ps_engine_delta_allowed (run, m, links))
    {
      g_autoptr(PsWatermark) mark = ps_state_get_watermark (run->state, m->name);
      g_autoptr(GHashTable) known = ps_engine_known_from_links (links);

      if (mark != NULL && mark->token != NULL)
        people = ps_source_read_changes_sync (run->source, &query.query, mark->token, known,
                                              &work->new_mark, run->cancellable, &error);
      if (people == NULL && error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return ps_engine_fail_work (run, work, error);
      if (people == NULL && error != NULL)
        {
          ps_engine_log (run, PS_LOG_WARNING, m->name, _("The changes could not be read (%s); reading everything"),
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
      work->new_mark = ps_source_read_watermark_sync (run->source, &query.query, run->cancellable,
                                                      &mark_error);
      if (mark_error != NULL && !g_error_matches (mark_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        ps_engine_log (run, PS_LOG_WARNING, m->name,
                       _("Changes cannot be followed from this run on (%s); the next run reads "
                         "everything again"), mark_error->message);
      people = ps_source_read_people_sync (run->source, &query.query, NULL, run->cancellable, &error);
    }
  ctx.source_complete = people != NULL;
  if (people == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return ps_engine_fail_work (run, work, error);
      ps_engine_log (run, PS_LOG_ERROR, m->name, _("The directory read failed: %s"), error->message);
      people = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_person_free);
      g_clear_error (&error);
    }
  else
    ps_engine_log (run, PS_LOG_INFO, m->name,
              ngettext ("Read %u person from the directory", "Read %u people from the directory",
                        people->len), people->len);

  ctx.allow_deactivations = run->options->allow_deactivations;
  ctx.last_source_count = ps_state_get_source_count (run->state, m->name);
  ctx.status_active = work->status_active != NULL ? work->status_active : "Active";
  ctx.status_inactive = work->status_inactive != NULL ? work->status_inactive : "Inactive";
  ctx.status_none = work->status_none;
  ctx.claimed = run->claimed;

  if (ctx.source_complete && ps_engine_delta_allowed (run, m, links))
    {
      g_autoptr(GPtrArray) dirty = g_ptr_array_new ();
      g_autoptr(GHashTable) dirty_links = g_hash_table_new (g_str_hash, g_str_equal);
      gboolean need_full = FALSE;
      GHashTableIter iter;
      gpointer value;

      ps_engine_split_delta (m, people, links, &ctx, dirty, dirty_links);
      ctx.total_people = MAX (people->len, 1);
      g_hash_table_iter_init (&iter, links);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        ctx.total_managed += ((PsLink *) value)->active ? 1 : 0;
      ps_engine_log (run, PS_LOG_INFO, m->name,
                _("Changed since the last run: %u of %u people, %u gone"),
                dirty->len, people->len, g_hash_table_size (dirty_links) > dirty->len
                  ? g_hash_table_size (dirty_links) - MIN (dirty->len, g_hash_table_size (dirty_links)) : 0);
      if (dirty->len == 0 && g_hash_table_size (dirty_links) == 0)
        items = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_item_free);
      else if (m->kind == PS_MAPPING_USERS)
        items = ps_engine_read_items (run, work, &error);
      else
        items = ps_engine_read_records_for (run, work, dirty, dirty_links, &need_full, &error);
      if (items == NULL && error != NULL)
        {
          g_prefix_error (&error, _("Asset Panda could not be read: "));
          return ps_engine_fail_work (run, work, error);
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
      items = ps_engine_read_items (run, work, &error);
      if (items == NULL)
        {
          g_prefix_error (&error, _("Asset Panda could not be read: "));
          return ps_engine_fail_work (run, work, error);
        }
      ps_engine_log (run, PS_LOG_INFO, m->name,
                ngettext ("Read %u item from Asset Panda", "Read %u items from Asset Panda",
                          items->len), items->len);
      if (m->kind == PS_MAPPING_COLLECTION
          && !ps_engine_prepare_adoption (run, work, original, &query.query, people, items, links, &ctx, &error))
        {
          g_prefix_error (&error, _("The directory could not tell which records are its own: "));
          return ps_engine_fail_work (run, work, error);
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
    ps_engine_log (run, work->plan->status == PS_MAPPING_PLAN_READY ? PS_LOG_WARNING : PS_LOG_ERROR,
              m->name, "%s", work->plan->message);
  ps_engine_log (run, PS_LOG_INFO, m->name,
            _("Plan: %u to create, %u to update, %u to deactivate, %u to reactivate, %u skipped"),
            ps_mapping_plan_count (work->plan, PS_ACTION_CREATE),
            ps_mapping_plan_count (work->plan, PS_ACTION_UPDATE),
            ps_mapping_plan_count (work->plan, PS_ACTION_DEACTIVATE),
            ps_mapping_plan_count (work->plan, PS_ACTION_REACTIVATE),
            ps_mapping_plan_count (work->plan, PS_ACTION_SKIP));
  return work;
}
