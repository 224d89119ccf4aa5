/* ps-engine-apply.c — applying one mapping's plan, and recording it
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

/* ---------------------------------------------------------------- applying */

/* A write stopped by the run's cancellation was not done; it did not fail. */
static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static guint
count_writes (const PsMappingPlan *plan)
{
  guint n = 0;

  for (guint i = 0; i < plan->actions->len; i++)
    {
      const PsAction *a = g_ptr_array_index (plan->actions, i);
      if (a->kind != PS_ACTION_LINK && a->kind != PS_ACTION_SKIP)
        n++;
    }
  return n;
}

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
    ps_engine_log (run, PS_LOG_ERROR, mapping, "%s", error->message);
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
          ps_engine_record_action (run, name, a, NULL, NULL);
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
              ps_engine_record_action (run, m->name, a, w->new_id, NULL);
              if (w->existed)
                ps_engine_log (run, PS_LOG_INFO, m->name,
                          _("%s was already in Asset Panda (an earlier run was cut off); linked"),
                          a->name);
            }
          else if (is_cancelled (w->error != NULL ? w->error : batch_error))
            ;   /* not written because the run was cancelled: not a failure */
          else
            {
              const GError *why = w->error != NULL ? w->error : batch_error;
              r->failed++;
              ps_engine_record_action (run, m->name, a, NULL, why);
              if (why != NULL && !ps_engine_error_is_fatal (why))
                ps_engine_log (run, PS_LOG_ERROR, m->name, _("%s: %s"), a->name, why->message);
            }
          if (a->kind == PS_ACTION_CREATE && (w->done || !g_error_matches (w->error, PS_TARGET_ERROR,
                                                                            PS_TARGET_ERROR_AMBIGUOUS)))
            ps_state_clear_intent (run->state, m->name, a->anchor, NULL);
        }
      if (!ps_state_commit (run->state, error))
        return FALSE;

      done = end;
      ps_engine_progress (run, m->name, done, todo->len);
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
          ps_engine_record_action (run, m->name, a, new_id, NULL);
        }
      else if (!is_cancelled (local))
        {
          r->failed++;
          ps_engine_record_action (run, m->name, a, NULL, local);
          if (!ps_engine_error_is_fatal (local))
            ps_engine_log (run, PS_LOG_ERROR, m->name, _("%s: %s"), a->name, local->message);
        }
      if (a->kind == PS_ACTION_CREATE
          && (ok || !g_error_matches (local, PS_TARGET_ERROR, PS_TARGET_ERROR_AMBIGUOUS)))
        ps_state_clear_intent (run->state, m->name, a->anchor, NULL);
      ps_engine_progress (run, m->name, i + 1, todo->len);
      if (!ok && ps_engine_error_is_fatal (local))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
    }
  return TRUE;
}

PsMappingResult *
ps_engine_apply_one (Run         *run,
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
          ps_engine_record_action (run, r->name, a, NULL, NULL);
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

  if (!ok && is_cancelled (error))
    {
      /* Cancelling is the administrator's decision, not a failure. */
      g_free (r->message);
      r->message = g_strdup_printf (_("Cancelled after %u of %u changes"),
                                    r->created + r->updated + r->deactivated + r->reactivated,
                                    count_writes (plan));
      ps_engine_log (run, PS_LOG_INFO, r->name, "%s", r->message);
      r->status = g_strdup ("cancelled");
      return r;
    }
  if (!ok)
    {
      g_autofree char *message = g_strdup_printf (_("Stopped writing: %s"), error->message);
      ps_engine_log (run, PS_LOG_ERROR, r->name, "%s", message);
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

void
ps_engine_emit_mapping_done (Run                   *run,
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
  ps_engine_emit (run, &event);
  ps_engine_log (run, event.level, r->name, "%s", message);
}
