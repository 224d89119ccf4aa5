/* ps-plan.c — the plan: types, JSON and CSV
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ps-engine-error.h"
#include "ps-plan.h"

static const char *const action_words[] = {
  "create", "update", "deactivate", "reactivate", "link", "skip", NULL
};
static const char *const plan_status_words[] = {
  "ready", "paused", "failed", "disabled", NULL
};

/* ---------------------------------------------------------------- items */

PsItem *
ps_item_new (const char *id)
{
  PsItem *item = g_new0 (PsItem, 1);

  item->id = g_strdup (id);
  item->active = TRUE;
  item->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return item;
}

void
ps_item_free (PsItem *item)
{
  if (item == NULL)
    return;
  g_free (item->id);
  g_free (item->anchor);
  g_free (item->email);
  g_free (item->status);
  g_free (item->role);
  g_hash_table_unref (item->values);
  g_free (item);
}

void
ps_item_set_value (PsItem     *item,
                   const char *field,
                   const char *value)
{
  g_hash_table_replace (item->values, g_strdup (field), g_strdup (value));
}

const char *
ps_item_get_value (const PsItem *item,
                   const char   *field)
{
  return g_hash_table_lookup (item->values, field);
}

/* ---------------------------------------------------------------- actions */

const char *
ps_action_kind_to_string (PsActionKind kind)
{
  g_return_val_if_fail (kind < PS_ACTION_N_KINDS, NULL);
  return action_words[kind];
}

gboolean
ps_action_kind_from_string (const char   *text,
                            PsActionKind *out)
{
  for (guint i = 0; action_words[i] != NULL; i++)
    if (g_strcmp0 (action_words[i], text) == 0)
      {
        *out = (PsActionKind) i;
        return TRUE;
      }
  return FALSE;
}

/* Copies @text to *@at and moves *@at past it; NULL stays NULL. */
static char *
copy_into (char       **at,
           const char  *text)
{
  char *copy;
  gsize size;

  if (text == NULL)
    return NULL;
  size = strlen (text) + 1;
  copy = memcpy (*at, text, size);
  *at += size;
  return copy;
}

PsAction *
ps_action_new (PsActionKind  kind,
               const char   *anchor,
               const char   *target_id)
{
  PsAction *action = g_new0 (PsAction, 1);

  action->kind = kind;
  action->anchor = g_strdup (anchor);
  action->target_id = g_strdup (target_id);
  action->active_after = kind != PS_ACTION_DEACTIVATE;
  action->changes = g_ptr_array_new_with_free_func (g_free);
  return action;
}

void
ps_action_free (PsAction *action)
{
  if (action == NULL)
    return;
  g_free (action->anchor);
  g_free (action->remote_anchor);
  g_free (action->target_id);
  g_free (action->name);
  g_free (action->email);
  g_free (action->dn);
  g_free (action->reason);
  g_free (action->values_hash);
  g_ptr_array_unref (action->changes);
  g_free (action);
}

void
ps_action_add_change (PsAction   *action,
                      const char *field,
                      const char *old_value,
                      const char *new_value)
{
  gsize size = sizeof (PsChange);
  PsChange *change;
  char *at;

  /* One block for the change and its three strings: a first sync's plan
   * holds a change per field of every create, and four small blocks each
   * cost malloc's overhead four times (18 MB of 155 at 100,000 people). */
  size += field != NULL ? strlen (field) + 1 : 0;
  size += old_value != NULL ? strlen (old_value) + 1 : 0;
  size += new_value != NULL ? strlen (new_value) + 1 : 0;
  change = g_malloc (size);
  at = (char *) (change + 1);
  change->field = copy_into (&at, field);
  change->old_value = copy_into (&at, old_value);
  change->new_value = copy_into (&at, new_value);
  g_ptr_array_add (action->changes, change);
}

const char *
ps_action_get_new_value (const PsAction *action,
                         const char     *field)
{
  for (guint i = 0; i < action->changes->len; i++)
    {
      const PsChange *c = g_ptr_array_index (action->changes, i);
      if (g_str_equal (c->field, field))
        return c->new_value;
    }
  return NULL;
}

/* ---------------------------------------------------------------- plans */

PsMappingPlan *
ps_mapping_plan_new (const char    *name,
                     PsMappingKind  kind)
{
  PsMappingPlan *plan = g_new0 (PsMappingPlan, 1);

  plan->name = g_strdup (name);
  plan->kind = kind;
  plan->actions = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_action_free);
  return plan;
}

void
ps_mapping_plan_free (PsMappingPlan *plan)
{
  if (plan == NULL)
    return;
  g_free (plan->name);
  g_free (plan->account);
  g_free (plan->collection);
  g_free (plan->message);
  g_ptr_array_unref (plan->actions);
  g_free (plan);
}

guint
ps_mapping_plan_count (const PsMappingPlan *plan,
                       PsActionKind         kind)
{
  guint n = 0;

  for (guint i = 0; i < plan->actions->len; i++)
    if (((PsAction *) g_ptr_array_index (plan->actions, i))->kind == kind)
      n++;
  return n;
}

PsPlan *
ps_plan_new (const char *profile)
{
  PsPlan *plan = g_new0 (PsPlan, 1);

  plan->profile = g_strdup (profile);
  plan->created = g_date_time_new_now_utc ();
  plan->mappings = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_mapping_plan_free);
  plan->names = ps_names_new ();
  return plan;
}

void
ps_plan_free (PsPlan *plan)
{
  if (plan == NULL)
    return;
  g_free (plan->profile);
  g_date_time_unref (plan->created);
  g_ptr_array_unref (plan->mappings);
  g_clear_object (&plan->names);
  g_free (plan);
}

/* ---------------------------------------------------------------- JSON */

static void
add_string (JsonBuilder *b,
            const char  *name,
            const char  *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

static JsonNode *
build_json (const PsPlan *plan,
            gboolean      with_actions)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *created = g_date_time_format_iso8601 (plan->created);

  json_builder_begin_object (b);
  add_string (b, "profile", plan->profile);
  add_string (b, "created", created);
  if (plan->run_id > 0)
    {
      json_builder_set_member_name (b, "run");
      json_builder_add_int_value (b, plan->run_id);
    }
  json_builder_set_member_name (b, "names");
  json_builder_add_value (b, ps_names_to_json (plan->names));
  json_builder_set_member_name (b, "mappings");
  json_builder_begin_array (b);
  for (guint i = 0; i < plan->mappings->len; i++)
    {
      const PsMappingPlan *mp = g_ptr_array_index (plan->mappings, i);

      json_builder_begin_object (b);
      add_string (b, "name", mp->name);
      add_string (b, "kind", mp->kind == PS_MAPPING_USERS ? "users" : "collection");
      add_string (b, "account", mp->account);
      add_string (b, "collection", mp->collection);
      add_string (b, "status", plan_status_words[mp->status]);
      add_string (b, "message", mp->message);
      json_builder_set_member_name (b, "source_count");
      json_builder_add_int_value (b, mp->source_count);
      json_builder_set_member_name (b, "managed_count");
      json_builder_add_int_value (b, mp->managed_count);
      json_builder_set_member_name (b, "threshold");
      json_builder_add_int_value (b, mp->threshold);
      json_builder_set_member_name (b, "delta");
      json_builder_add_boolean_value (b, mp->delta);
      json_builder_set_member_name (b, "counts");
      json_builder_begin_object (b);
      for (PsActionKind k = 0; k < PS_ACTION_N_KINDS; k++)
        {
          json_builder_set_member_name (b, action_words[k]);
          json_builder_add_int_value (b, ps_mapping_plan_count (mp, k));
        }
      json_builder_end_object (b);
      if (!with_actions)
        {
          json_builder_end_object (b);
          continue;
        }
      json_builder_set_member_name (b, "actions");
      json_builder_begin_array (b);
      for (guint j = 0; j < mp->actions->len; j++)
        {
          const PsAction *a = g_ptr_array_index (mp->actions, j);

          json_builder_begin_object (b);
          add_string (b, "action", action_words[a->kind]);
          add_string (b, "anchor", a->anchor);
          add_string (b, "remote_anchor", a->remote_anchor);
          add_string (b, "target_id", a->target_id);
          add_string (b, "name", a->name);
          add_string (b, "email", a->email);
          add_string (b, "dn", a->dn);
          add_string (b, "reason", a->reason);
          add_string (b, "values_hash", a->values_hash);
          json_builder_set_member_name (b, "active_after");
          json_builder_add_boolean_value (b, a->active_after);
          json_builder_set_member_name (b, "changes");
          json_builder_begin_array (b);
          for (guint k = 0; k < a->changes->len; k++)
            {
              const PsChange *c = g_ptr_array_index (a->changes, k);
              json_builder_begin_object (b);
              add_string (b, "field", c->field);
              json_builder_set_member_name (b, "old");
              if (c->old_value != NULL)
                json_builder_add_string_value (b, c->old_value);
              else
                json_builder_add_null_value (b);
              json_builder_set_member_name (b, "new");
              if (c->new_value != NULL)
                json_builder_add_string_value (b, c->new_value);
              else
                json_builder_add_null_value (b);
              json_builder_end_object (b);
            }
          json_builder_end_array (b);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

JsonNode *
ps_plan_to_json (const PsPlan *plan)
{
  return build_json (plan, TRUE);
}

char *
ps_plan_outline_to_data (const PsPlan *plan)
{
  g_autoptr(JsonNode) node = build_json (plan, FALSE);
  g_autoptr(JsonGenerator) gen = json_generator_new ();

  json_generator_set_root (gen, node);
  return json_generator_to_data (gen, NULL);
}

static const char *
member_string (JsonObject *obj,
               const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
fail_plan (GError     **error,
           const char  *what)
{
  g_set_error (error, PS_ENGINE_ERROR, PS_ENGINE_ERROR_PLAN_STALE,
               _("The plan file is not a PandaSync plan: %s"), what);
  return FALSE;
}

PsPlan *
ps_plan_from_json (JsonNode  *node,
                   GError   **error)
{
  g_autoptr(PsPlan) plan = NULL;
  JsonObject *root;
  JsonArray *mappings;
  const char *created;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      fail_plan (error, _("the top level is not an object"));
      return NULL;
    }
  root = json_node_get_object (node);
  if (!json_object_has_member (root, "mappings")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "mappings")))
    {
      fail_plan (error, _("it has no list of mappings"));
      return NULL;
    }
  plan = ps_plan_new (member_string (root, "profile"));
  created = member_string (root, "created");
  if (created != NULL)
    {
      GDateTime *dt = g_date_time_new_from_iso8601 (created, NULL);
      if (dt != NULL)
        {
          g_date_time_unref (plan->created);
          plan->created = dt;
        }
    }
  plan->run_id = json_object_get_int_member_with_default (root, "run", 0);
  if (json_object_has_member (root, "names"))
    {
      g_clear_object (&plan->names);
      plan->names = ps_names_new_from_json (json_object_get_member (root, "names"));
    }
  mappings = json_object_get_array_member (root, "mappings");
  for (guint i = 0; i < json_array_get_length (mappings); i++)
    {
      JsonObject *mo = json_array_get_object_element (mappings, i);
      PsMappingPlan *mp;
      JsonArray *actions;
      const char *status;

      if (mo == NULL || member_string (mo, "name") == NULL)
        {
          fail_plan (error, _("a mapping has no name"));
          return NULL;
        }
      mp = ps_mapping_plan_new (member_string (mo, "name"),
                                g_strcmp0 (member_string (mo, "kind"), "users") == 0
                                  ? PS_MAPPING_USERS : PS_MAPPING_COLLECTION);
      g_ptr_array_add (plan->mappings, mp);
      mp->account = g_strdup (member_string (mo, "account"));
      mp->collection = g_strdup (member_string (mo, "collection"));
      status = member_string (mo, "status");
      for (guint s = 0; plan_status_words[s] != NULL; s++)
        if (g_strcmp0 (plan_status_words[s], status) == 0)
          mp->status = (PsMappingPlanStatus) s;
      mp->message = g_strdup (member_string (mo, "message"));
      mp->source_count = json_object_get_int_member_with_default (mo, "source_count", 0);
      mp->managed_count = json_object_get_int_member_with_default (mo, "managed_count", 0);
      mp->threshold = json_object_get_int_member_with_default (mo, "threshold", 0);
      mp->delta = json_object_get_boolean_member_with_default (mo, "delta", FALSE);
      if (!json_object_has_member (mo, "actions"))
        continue;
      actions = json_object_get_array_member (mo, "actions");
      for (guint j = 0; actions != NULL && j < json_array_get_length (actions); j++)
        {
          JsonObject *ao = json_array_get_object_element (actions, j);
          PsActionKind kind;
          PsAction *a;
          JsonArray *changes;

          if (ao == NULL || !ps_action_kind_from_string (member_string (ao, "action"), &kind))
            {
              fail_plan (error, _("an action has an unknown kind"));
              return NULL;
            }
          a = ps_action_new (kind, member_string (ao, "anchor"), member_string (ao, "target_id"));
          a->remote_anchor = g_strdup (member_string (ao, "remote_anchor"));
          a->name = g_strdup (member_string (ao, "name"));
          a->email = g_strdup (member_string (ao, "email"));
          a->dn = g_strdup (member_string (ao, "dn"));
          a->reason = g_strdup (member_string (ao, "reason"));
          a->values_hash = g_strdup (member_string (ao, "values_hash"));
          a->active_after = json_object_get_boolean_member_with_default (ao, "active_after",
                                                                         kind != PS_ACTION_DEACTIVATE);
          g_ptr_array_add (mp->actions, a);
          if (!json_object_has_member (ao, "changes"))
            continue;
          changes = json_object_get_array_member (ao, "changes");
          for (guint k = 0; changes != NULL && k < json_array_get_length (changes); k++)
            {
              JsonObject *co = json_array_get_object_element (changes, k);
              if (co != NULL && member_string (co, "field") != NULL)
                ps_action_add_change (a, member_string (co, "field"), member_string (co, "old"),
                                      member_string (co, "new"));
            }
        }
    }
  return g_steal_pointer (&plan);
}

/* ---------------------------------------------------------------- names */

PsMappingPlan *
ps_plan_find_mapping (const PsPlan *plan,
                      const char   *name)
{
  for (guint i = 0; plan != NULL && i < plan->mappings->len; i++)
    {
      PsMappingPlan *mp = g_ptr_array_index (plan->mappings, i);
      if (g_strcmp0 (mp->name, name) == 0)
        return mp;
    }
  return NULL;
}

char *
ps_plan_field_label (const PsPlan        *plan,
                     const PsMappingPlan *mapping,
                     const char          *field)
{
  static const struct {
    const char *field;
    const char *label;
  } user_fields[] = {
    { "email", N_("Email") },
    { "first_name", N_("First name") },
    { "last_name", N_("Last name") },
    { "role", N_("Role") },
  };

  if (field == NULL)
    return NULL;
  if (mapping != NULL && mapping->kind == PS_MAPPING_USERS)
    {
      for (guint i = 0; i < G_N_ELEMENTS (user_fields); i++)
        if (g_str_equal (field, user_fields[i].field))
          return g_strdup (_(user_fields[i].label));
      return g_strdup (field);
    }
  /* The planner's own name for the field that holds the directory's anchor. */
  if (g_str_equal (field, "anchor"))
    return g_strdup (_("Directory anchor"));
  return ps_names_display (plan != NULL ? plan->names : NULL, PS_NAME_FIELD,
                           mapping != NULL ? mapping->collection : NULL, field);
}

char *
ps_plan_value_label (const PsPlan        *plan,
                     const PsMappingPlan *mapping,
                     const char          *field,
                     const char          *value)
{
  if (value == NULL)
    return NULL;
  if (mapping != NULL && mapping->kind == PS_MAPPING_USERS && g_strcmp0 (field, "role") == 0)
    return ps_names_display (plan != NULL ? plan->names : NULL, PS_NAME_ROLE, NULL, value);
  return g_strdup (value);
}

char *
ps_plan_describe_changes (const PsPlan        *plan,
                          const PsMappingPlan *mapping,
                          const PsAction      *action)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < action->changes->len; i++)
    {
      const PsChange *c = g_ptr_array_index (action->changes, i);
      g_autofree char *field = ps_plan_field_label (plan, mapping, c->field);
      g_autofree char *old_value = ps_plan_value_label (plan, mapping, c->field, c->old_value);
      g_autofree char *new_value = ps_plan_value_label (plan, mapping, c->field, c->new_value);

      g_string_append_printf (out, "%s%s: %s%s%s", out->len > 0 ? "; " : "", field,
                              old_value != NULL ? old_value : "", old_value != NULL ? " → " : "",
                              new_value != NULL ? new_value : "");
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* ---------------------------------------------------------------- CSV */

static void
csv_field (GString    *out,
           const char *value)
{
  if (value == NULL)
    value = "";
  /* Quote always; neutralise spreadsheet formulas. */
  g_string_append_c (out, '"');
  if (*value == '=' || *value == '+' || *value == '-' || *value == '@')
    g_string_append_c (out, '\'');
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
csv_row (GString           *out,
         const char *const *cells,
         guint              n)
{
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      csv_field (out, cells[i]);
    }
  g_string_append (out, "\r\n");
}

char *
ps_plan_to_csv (const PsPlan *plan)
{
  GString *out = g_string_new (NULL);
  const char *header[] = { "run", "time", "mapping", "collection", "action", "name", "email",
                           "anchor", "target_id", "field", "old", "new", "reason" };
  g_autofree char *run = plan->run_id > 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, plan->run_id) : NULL;
  g_autoptr(GDateTime) local = g_date_time_to_local (plan->created);
  g_autofree char *time = g_date_time_format (local, "%Y-%m-%dT%H:%M:%S%:z");

  csv_row (out, header, G_N_ELEMENTS (header));
  for (guint i = 0; i < plan->mappings->len; i++)
    {
      const PsMappingPlan *mp = g_ptr_array_index (plan->mappings, i);
      g_autofree char *collection = mp->kind == PS_MAPPING_USERS
        ? g_strdup (_("Users"))
        : ps_names_display (plan->names, PS_NAME_COLLECTION, NULL, mp->collection);

      for (guint j = 0; j < mp->actions->len; j++)
        {
          const PsAction *a = g_ptr_array_index (mp->actions, j);

          if (a->changes->len == 0)
            {
              const char *row[] = { run, time, mp->name, collection, action_words[a->kind], a->name,
                                    a->email, a->anchor, a->target_id, NULL, NULL, NULL, a->reason };
              csv_row (out, row, G_N_ELEMENTS (row));
            }
          for (guint k = 0; k < a->changes->len; k++)
            {
              const PsChange *c = g_ptr_array_index (a->changes, k);
              g_autofree char *field = ps_plan_field_label (plan, mp, c->field);
              g_autofree char *old_value = ps_plan_value_label (plan, mp, c->field, c->old_value);
              g_autofree char *new_value = ps_plan_value_label (plan, mp, c->field, c->new_value);
              const char *row[] = { run, time, mp->name, collection, action_words[a->kind], a->name,
                                    a->email, a->anchor, a->target_id, field, old_value, new_value,
                                    a->reason };
              csv_row (out, row, G_N_ELEMENTS (row));
            }
        }
    }
  return g_string_free (out, FALSE);
}

gboolean
ps_plan_write (const PsPlan  *plan,
               const char    *path,
               GError       **error)
{
  g_autofree char *data = NULL;

  if (g_str_has_suffix (path, ".csv"))
    data = ps_plan_to_csv (plan);
  else
    {
      g_autoptr(JsonNode) node = ps_plan_to_json (plan);
      g_autoptr(JsonGenerator) gen = json_generator_new ();

      json_generator_set_pretty (gen, TRUE);
      json_generator_set_root (gen, node);
      data = json_generator_to_data (gen, NULL);
    }
  return g_file_set_contents_full (path, data, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

static int
compare_lines (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
ps_plan_summary_lines (const PsPlan *plan)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < plan->mappings->len; i++)
    {
      const PsMappingPlan *mp = g_ptr_array_index (plan->mappings, i);

      if (mp->status != PS_MAPPING_PLAN_READY)
        continue;
      for (guint j = 0; j < mp->actions->len; j++)
        {
          const PsAction *a = g_ptr_array_index (mp->actions, j);
          g_autoptr(GString) line = NULL;

          if (a->kind == PS_ACTION_SKIP || a->kind == PS_ACTION_LINK)
            continue;
          line = g_string_new (NULL);
          g_string_append_printf (line, "%s %s %s", action_words[a->kind], mp->name,
                                  a->remote_anchor != NULL ? a->remote_anchor : a->anchor);
          for (guint k = 0; k < a->changes->len; k++)
            {
              const PsChange *c = g_ptr_array_index (a->changes, k);
              g_string_append_printf (line, " %s=%s", c->field, c->new_value ? c->new_value : "");
            }
          g_ptr_array_add (lines, g_string_free (g_steal_pointer (&line), FALSE));
        }
    }
  g_ptr_array_sort (lines, compare_lines);
  return lines;
}
