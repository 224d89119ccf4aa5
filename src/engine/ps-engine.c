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

#include "ps-engine-private.h"
#include "ps-ldap-syntax.h"
#include "ps-lock.h"

G_DEFINE_TYPE (PsEngine, ps_engine, G_TYPE_OBJECT)

/* ---------------------------------------------------------------- helpers */

void
ps_mapping_work_free (MappingWork *work)
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

void
ps_engine_emit (Run           *run,
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

void
ps_engine_log (Run        *run,
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
  ps_engine_emit (run, &event);
}

void
ps_engine_progress (Run        *run,
          const char *mapping,
          guint       done,
          guint       total)
{
  PsSyncEvent event = { 0 };

  event.kind = PS_SYNC_EVENT_PROGRESS;
  event.mapping = (char *) mapping;
  event.done = done;
  event.total = total;
  ps_engine_emit (run, &event);
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

void
ps_engine_record_action (Run            *run,
               const char     *mapping,
               const PsAction *action,
               const char     *target_id,
               const GError   *error)
{
  g_autofree char *changes = changes_to_json (action);

  ps_state_add_action (run->state, run->run_id, mapping,
                       error != NULL ? "failed" : ps_action_kind_to_string (action->kind),
                       action->anchor, target_id != NULL ? target_id : action->target_id,
                       action->name, action->email, changes,
                       error != NULL ? error->message : action->reason, NULL);
}

gboolean
ps_engine_error_is_fatal (const GError *error)
{
  return g_error_matches (error, PS_TARGET_ERROR, PS_TARGET_ERROR_AUTH)
         || g_error_matches (error, PS_TARGET_ERROR, PS_TARGET_ERROR_PERMISSION)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
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

static void
copy_name (PsNames    *to,
           PsNames    *from,
           PsNameKind  kind,
           const char *scope,
           const char *id)
{
  g_autofree char *name = ps_names_lookup (from, kind, scope, id);

  if (name != NULL)
    ps_names_set (to, kind, scope, id, name);
}

static gboolean
name_known (Run        *run,
            PsNameKind  kind,
            const char *id)
{
  g_autofree char *name = ps_names_lookup (run->names, kind, NULL, id);

  return id == NULL || name != NULL;
}

/* Asset Panda's names for roles or collections, when the plan needs one that
 * no listing has named yet: one call per run at most, never one per row. A
 * failure costs only the name (the plan shows the id). */
static void
list_names (Run             *run,
            const PsMapping *m,
            PsNameKind       kind)
{
  g_autoptr(GPtrArray) entities = NULL;
  g_autoptr(GError) error = NULL;

  if (run->target == NULL || g_cancellable_is_cancelled (run->cancellable))
    return;
  if (kind == PS_NAME_ROLE)
    {
      if (run->roles_listed)
        return;
      run->roles_listed = TRUE;
      entities = ps_target_list_roles_sync (run->target, m->account, m->module, run->cancellable, &error);
    }
  else
    {
      if (run->collections_listed)
        return;
      run->collections_listed = TRUE;
      entities = ps_target_list_collections_sync (run->target, m->account, m->module,
                                                  run->cancellable, &error);
    }
  if (entities == NULL)
    {
      g_debug ("Asset Panda's names were not listed: %s", error->message);
      return;
    }
  for (guint i = 0; i < entities->len; i++)
    {
      const PsTargetEntity *e = g_ptr_array_index (entities, i);

      ps_names_set (run->names, kind, NULL, e->id, e->name);
      ps_names_set (run->listed, kind, NULL, e->id, e->name);
    }
}

/* The role ids a user mapping's plan names: its own, and those it changes. */
static GPtrArray *
plan_role_ids (const PsMapping     *m,
               const PsMappingPlan *mp)
{
  GPtrArray *ids = g_ptr_array_new ();

  if (m->role != NULL)
    g_ptr_array_add (ids, m->role);
  for (guint i = 0; i < mp->actions->len; i++)
    {
      const PsAction *a = g_ptr_array_index (mp->actions, i);

      for (guint k = 0; k < a->changes->len; k++)
        {
          const PsChange *c = g_ptr_array_index (a->changes, k);

          if (!g_str_equal (c->field, "role"))
            continue;
          if (c->old_value != NULL)
            g_ptr_array_add (ids, c->old_value);
          if (c->new_value != NULL)
            g_ptr_array_add (ids, c->new_value);
        }
    }
  return ids;
}

/* The names a mapping's plan speaks of, into the run's plan: History shows
 * them as they were when it ran. */
static void
add_plan_names (Run         *run,
                MappingWork *work)
{
  const PsMapping *m = work->mapping;
  PsMappingPlan *mp = work->plan;
  PsNames *to = run->result->plan->names;

  g_free (mp->account);
  mp->account = g_strdup (m->account);
  g_free (mp->collection);
  mp->collection = m->kind == PS_MAPPING_COLLECTION ? g_strdup (m->collection) : NULL;
  copy_name (to, run->names, PS_NAME_ACCOUNT, NULL, m->account);
  copy_name (to, run->names, PS_NAME_MODULE, NULL, m->module);
  if (m->kind == PS_MAPPING_USERS)
    {
      g_autoptr(GPtrArray) roles = plan_role_ids (m, mp);

      for (guint i = 0; i < roles->len; i++)
        if (!name_known (run, PS_NAME_ROLE, g_ptr_array_index (roles, i)))
          list_names (run, m, PS_NAME_ROLE);
      for (guint i = 0; i < roles->len; i++)
        copy_name (to, run->names, PS_NAME_ROLE, NULL, g_ptr_array_index (roles, i));
      return;
    }
  if (!name_known (run, PS_NAME_COLLECTION, m->collection))
    list_names (run, m, PS_NAME_COLLECTION);
  copy_name (to, run->names, PS_NAME_COLLECTION, NULL, m->collection);
  copy_name (to, run->names, PS_NAME_FIELD, m->collection, m->status_field);
  copy_name (to, run->names, PS_NAME_FIELD, m->collection, work->anchor_key);
  for (guint i = 0; i < m->fields->len; i++)
    {
      const PsFieldMap *f = g_ptr_array_index (m->fields, i);
      copy_name (to, run->names, PS_NAME_FIELD, m->collection, f->field);
    }
}

static gboolean
connect_both (Run     *run,
              GError **error)
{
  PsProfile *profile = run->engine->profile;

  ps_engine_log (run, PS_LOG_INFO, NULL, _("Connecting to the directory"));
  run->source = ps_source_new_for_profile (profile, run->cancellable, error);
  if (run->source == NULL || !ps_source_connect_sync (run->source, run->cancellable, error))
    {
      g_prefix_error (error, _("The directory cannot be read: "));
      return FALSE;
    }
  ps_engine_log (run, PS_LOG_INFO, NULL, _("Connected to %s"), ps_source_get_location (run->source));
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
  g_autoptr(GPtrArray) works = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_mapping_work_free);
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
  result->plan->run_id = run->run_id;
  result->mappings = g_ptr_array_new_with_free_func ((GDestroyNotify) mapping_result_free);
  run->names = ps_names_load_for_profile (profile);
  run->listed = ps_names_new ();

  ps_engine_log (run, PS_LOG_INFO, NULL, run->options->dry_run
            ? _("Preview of profile %s (nothing is written)") : _("Sync of profile %s started"),
            ps_profile_get_name (profile));
  if (interrupted > 0)
    ps_engine_log (run, PS_LOG_WARNING, NULL,
              _("The previous run was interrupted; this run checks Asset Panda by anchor "
                "so nothing is created twice"));

  if (!connect_both (run, &connect_error))
    ps_engine_log (run, PS_LOG_ERROR, NULL, "%s", connect_error->message);

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
          work = ps_engine_plan_one (run, m);
        add_plan_names (run, work);
        g_ptr_array_add (works, work);
      }

  if (works->len == 0)
    ps_engine_log (run, PS_LOG_WARNING, NULL, run->options->only_mapping != NULL
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
          ps_engine_log (run, PS_LOG_ERROR, NULL, "%s", (*error)->message);
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
          r->status = g_strdup ("cancelled");
          r->message = g_strdup (_("Cancelled before it was written"));
        }
      else
        r = ps_engine_apply_one (run, w);
      ps_engine_emit_mapping_done (run, r);
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
  {
    g_autofree char *outline = ps_plan_outline_to_data (result->plan);
    g_autoptr(GError) names_error = NULL;

    ps_state_set_run_outline (run->state, run->run_id, outline, NULL);
    if (!ps_names_remember (profile, run->listed, &names_error))
      g_debug ("The names of this run's listings were not kept: %s", names_error->message);
  }
  ps_state_finish_run (run->state, run->run_id, result->status, NULL);
  ps_engine_log (run, result->status == PS_RUN_SUCCEEDED || result->status == PS_RUN_CANCELLED
                     ? PS_LOG_INFO : PS_LOG_WARNING, NULL,
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

  /* A run reads its own snapshot: the pages may edit or remove mappings
   * of the live profile while a worker plans from it. */
  self->profile = ps_profile_snapshot (profile);
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
  g_clear_object (&run.names);
  g_clear_object (&run.listed);
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

  /* An Okta mapping's Filter is an Okta search expression, which the
   * source checks (ps_source_check_attributes_sync ()) before any read. */
  if (mapping->filter != NULL
      && ps_profile_get_source_kind (self->profile) != PS_SOURCE_KIND_OKTA)
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
  ps_engine_query_init (&query, &run, mapping);
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

void
ps_engine_overlap_free (PsEngineOverlap *overlap)
{
  if (overlap == NULL)
    return;
  g_free (overlap->mapping);
  g_free (overlap->group_name);
  g_free (overlap);
}

/* The anchors of everyone @mapping covers, read with @source as a sync reads them. */
static GHashTable *
read_scope_anchors (PsEngine        *self,
                    PsSource        *source,
                    const PsMapping *mapping,
                    GCancellable    *cancellable,
                    GError         **error)
{
  g_autoptr(GPtrArray) people = NULL;
  g_autoptr(GHashTable) anchors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto(Query) query = { 0 };
  PsSyncOptions defaults = { 0 };
  Run run = { 0 };
  guint members = 0;

  run.engine = self;
  run.options = &defaults;
  run.cancellable = cancellable;
  run.source = source;
  ps_engine_query_init (&query, &run, mapping);
  if (ps_source_check_attributes_sync (source, &query.query, cancellable, error))
    people = ps_source_read_people_sync (source, &query.query, &members, cancellable, error);
  if (people == NULL)
    return NULL;
  for (guint i = 0; i < people->len; i++)
    g_hash_table_add (anchors, g_strdup (((PsPerson *) g_ptr_array_index (people, i))->anchor));
  return g_steal_pointer (&anchors);
}

/**
 * ps_engine_count_overlaps_sync:
 * @mapping: a user mapping, usually the page's form (not one of the profile's)
 * @replaces: (nullable): the name of the mapping @mapping is an edit of
 *
 * For every other enabled user mapping of the engine's profile whose people
 * share some with @mapping, how many they share: a PsEngineOverlap each, in
 * the profile's order. Only the first mapping that matches a person manages
 * them. Blocks: call it from a worker thread. Nothing is written.
 */
GPtrArray *
ps_engine_count_overlaps_sync (PsEngine         *self,
                               const PsMapping  *mapping,
                               const char       *replaces,
                               GCancellable     *cancellable,
                               GError          **error)
{
  GPtrArray *mappings = ps_profile_get_mappings (self->profile);
  g_autoptr(GPtrArray) overlaps = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_engine_overlap_free);
  g_autoptr(PsSource) source = NULL;
  g_autoptr(GHashTable) mine = NULL;
  gboolean any = FALSE;

  g_return_val_if_fail (PS_IS_ENGINE (self), NULL);
  g_return_val_if_fail (mapping != NULL && mapping->kind == PS_MAPPING_USERS, NULL);

  for (guint i = 0; i < mappings->len && !any; i++)
    {
      const PsMapping *other = g_ptr_array_index (mappings, i);

      any = other->kind == PS_MAPPING_USERS && other->enabled
            && g_strcmp0 (other->name, mapping->name) != 0 && g_strcmp0 (other->name, replaces) != 0;
    }
  if (!any)
    return g_steal_pointer (&overlaps);

  source = ps_source_new_for_profile (self->profile, cancellable, error);
  if (source == NULL || !ps_source_connect_sync (source, cancellable, error))
    return NULL;
  mine = read_scope_anchors (self, source, mapping, cancellable, error);
  for (guint i = 0; mine != NULL && i < mappings->len; i++)
    {
      const PsMapping *other = g_ptr_array_index (mappings, i);
      g_autoptr(GHashTable) theirs = NULL;
      GHashTableIter iter;
      gpointer anchor;
      guint shared = 0;

      if (other->kind != PS_MAPPING_USERS || !other->enabled
          || g_strcmp0 (other->name, mapping->name) == 0 || g_strcmp0 (other->name, replaces) == 0)
        continue;
      theirs = read_scope_anchors (self, source, other, cancellable, error);
      if (theirs == NULL)
        {
          g_prefix_error (error, _("The people of “%s” could not be read: "), other->name);
          g_clear_pointer (&mine, g_hash_table_unref);
          break;
        }
      g_hash_table_iter_init (&iter, mine);
      while (g_hash_table_iter_next (&iter, &anchor, NULL))
        shared += g_hash_table_contains (theirs, anchor) ? 1 : 0;
      if (shared > 0)
        {
          PsEngineOverlap *overlap = g_new0 (PsEngineOverlap, 1);

          overlap->mapping = g_strdup (other->name);
          overlap->group_name = g_strdup (other->group_name != NULL ? other->group_name : other->group);
          overlap->position = i;
          overlap->shared = shared;
          g_ptr_array_add (overlaps, overlap);
        }
    }
  ps_source_close (source);
  if (mine == NULL)
    return NULL;
  return g_steal_pointer (&overlaps);
}

/**
 * ps_engine_count_claims_sync:
 *
 * What a sync's first-match rule does to the engine's profile: for every
 * enabled user mapping, in order, the people an earlier one already
 * manages. Returns a GHashTable: the name of a mapping that loses people →
 * a GPtrArray of PsEngineOverlap*, one per earlier mapping that takes some
 * (its name, group, index and how many it takes). Blocks: call it from a
 * worker thread. Nothing is written.
 */
GHashTable *
ps_engine_count_claims_sync (PsEngine      *self,
                             GCancellable  *cancellable,
                             GError       **error)
{
  GPtrArray *mappings = ps_profile_get_mappings (self->profile);
  g_autoptr(GHashTable) losses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                        (GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GHashTable) claimed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(PsSource) source = NULL;
  guint users = 0;

  g_return_val_if_fail (PS_IS_ENGINE (self), NULL);

  for (guint i = 0; i < mappings->len; i++)
    {
      const PsMapping *m = g_ptr_array_index (mappings, i);
      users += m->kind == PS_MAPPING_USERS && m->enabled ? 1 : 0;
    }
  if (users < 2)
    return g_steal_pointer (&losses);

  source = ps_source_new_for_profile (self->profile, cancellable, error);
  if (source == NULL || !ps_source_connect_sync (source, cancellable, error))
    return NULL;
  for (guint i = 0; i < mappings->len; i++)
    {
      const PsMapping *m = g_ptr_array_index (mappings, i);
      g_autoptr(GHashTable) people = NULL;
      g_autoptr(GHashTable) by_winner = NULL;   /* winner index → count */
      GHashTableIter iter;
      gpointer anchor, winner, count;

      if (m->kind != PS_MAPPING_USERS || !m->enabled)
        continue;
      people = read_scope_anchors (self, source, m, cancellable, error);
      if (people == NULL)
        {
          g_prefix_error (error, _("The people of “%s” could not be read: "), m->name);
          ps_source_close (source);
          return NULL;
        }
      by_winner = g_hash_table_new (g_direct_hash, g_direct_equal);
      g_hash_table_iter_init (&iter, people);
      while (g_hash_table_iter_next (&iter, &anchor, NULL))
        {
          if (g_hash_table_lookup_extended (claimed, anchor, NULL, &winner))
            {
              guint n = GPOINTER_TO_UINT (g_hash_table_lookup (by_winner, winner));
              g_hash_table_insert (by_winner, winner, GUINT_TO_POINTER (n + 1));
            }
          else
            g_hash_table_insert (claimed, g_strdup (anchor), GUINT_TO_POINTER (i));
        }
      if (g_hash_table_size (by_winner) == 0)
        continue;
      {
        GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_engine_overlap_free);

        /* In the profile's order of the mappings that take them. */
        for (guint w = 0; w < i; w++)
          {
            const PsMapping *other = g_ptr_array_index (mappings, w);
            PsEngineOverlap *overlap;

            count = g_hash_table_lookup (by_winner, GUINT_TO_POINTER (w));
            if (count == NULL)
              continue;
            overlap = g_new0 (PsEngineOverlap, 1);
            overlap->mapping = g_strdup (other->name);
            overlap->group_name = g_strdup (other->group_name != NULL ? other->group_name : other->group);
            overlap->position = w;
            overlap->shared = GPOINTER_TO_UINT (count);
            g_ptr_array_add (list, overlap);
          }
        g_hash_table_insert (losses, g_strdup (m->name), list);
      }
    }
  ps_source_close (source);
  return g_steal_pointer (&losses);
}

/**
 * ps_engine_rename_mapping_sync:
 *
 * Carries the sync state of the mapping @from over to @to (its links, so
 * its people are not taken for leavers, its watermark and its history),
 * under the profile's sync lock: it fails with PS_ENGINE_ERROR_BUSY while a
 * sync runs. Rename the mapping in the profile only after this succeeded.
 */
gboolean
ps_engine_rename_mapping_sync (PsEngine    *self,
                               const char  *from,
                               const char  *to,
                               GError     **error)
{
  g_autofree char *state_path = NULL;
  g_autoptr(PsState) state = NULL;
  gboolean ok;
  int fd;

  g_return_val_if_fail (PS_IS_ENGINE (self), FALSE);
  if (g_strcmp0 (from, to) == 0)
    return TRUE;
  state_path = ps_profile_dup_state_path (self->profile);
  /* No state yet: nothing to carry. */
  if (!g_file_test (state_path, G_FILE_TEST_EXISTS))
    return TRUE;
  fd = take_lock (self->profile, error);
  if (fd < 0)
    return FALSE;
  state = ps_state_open (state_path, error);
  ok = state != NULL && ps_state_rename_mapping (state, from, to, error);
  close (fd);
  return ok;
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
 * flush that is still queued when the run completes finds it alive. The
 * worker takes references while the main thread drops them: atomically. */
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
  g_atomic_rc_box_release_full (data, (GDestroyNotify) async_run_clear);
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
      g_source_set_callback (idle, flush_events_cb, g_atomic_rc_box_acquire (ar), async_run_release);
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

  ar = g_atomic_rc_box_new0 (AsyncRun);
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
