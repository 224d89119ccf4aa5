/* ps-report.c — leavers who still hold assets
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ps-report.h"
#include "ps-target.h"

/* ---------------------------------------------------------------- helpers */

void
ps_leaver_asset_free (PsLeaverAsset *row)
{
  if (row == NULL)
    return;
  g_free (row->mapping);
  g_free (row->person_id);
  g_free (row->person);
  g_free (row->email);
  g_free (row->anchor);
  g_free (row->collection);
  g_free (row->asset_id);
  g_free (row->asset);
  g_free (row->field);
  g_free (row);
}

/* Joins the values of the mapping's fields mapped from these attributes. */
static char *
values_from (const PsMapping      *m,
             const PsTargetRecord *r,
             GPtrArray            *fields,
             const char *const    *attributes)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint a = 0; attributes[a] != NULL; a++)
    for (guint i = 0; i < m->fields->len; i++)
      {
        const PsFieldMap *f = g_ptr_array_index (m->fields, i);
        PsTargetField *field = ps_target_fields_find (fields, f->field);
        const char *value;

        if (field == NULL || g_ascii_strcasecmp (f->attribute, attributes[a]) != 0)
          continue;
        value = ps_target_record_get (r, field->key);
        if (value != NULL && *value != '\0')
          g_string_append_printf (out, "%s%s", out->len > 0 ? " " : "", value);
      }
  return out->len > 0 ? g_string_free (g_steal_pointer (&out), FALSE) : g_strdup (r->id);
}

static gboolean
report_mapping (PsTarget         *target,
                const PsMapping  *m,
                PsState          *state,
                GPtrArray        *rows,
                GCancellable     *cancellable,
                GError          **error)
{
  g_autoptr(GHashTable) stamps = NULL;
  const char *anchor_key = "integ_ad_sid";
  const char *const name_attrs[] = { "givenName", "sn", "displayName", "cn", NULL };
  const char *const mail_attrs[] = { "mail", "userPrincipalName", NULL };
  g_autoptr(GPtrArray) fields = NULL;
  g_autoptr(GPtrArray) people = NULL;
  g_autoptr(GPtrArray) collections = NULL;
  g_autoptr(GHashTable) leavers = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(PsTargetQuery) query = ps_target_query_new ();
  PsTargetField *status;

  fields = ps_target_list_fields_sync (target, m->account, m->module, m->collection,
                                       cancellable, error);
  if (fields == NULL)
    return FALSE;
  if (m->unique_field != NULL && ps_target_fields_find (fields, m->unique_field) != NULL)
    anchor_key = ps_target_fields_find (fields, m->unique_field)->key;
  /* When the sync marked each of them Inactive, from the run history. */
  if (state != NULL)
    {
      g_autoptr(GError) local = NULL;

      stamps = ps_state_last_actions (state, m->name, "deactivate", &local);
      if (stamps == NULL)
        g_debug ("The leavers report has no run numbers: %s", local->message);
    }
  status = ps_target_fields_find (fields, m->status_field);
  if (status == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("The collection of the mapping “%s” has no field “%s”"), m->name, m->status_field);
      return FALSE;
    }
  ps_target_query_add_filter (query, status->key, "Inactive");
  query->include_archived = TRUE;
  people = ps_target_search_records_sync (target, m->account, m->module, m->collection, query,
                                          cancellable, error);
  if (people == NULL)
    return FALSE;
  for (guint i = 0; i < people->len; i++)
    {
      PsTargetRecord *r = g_ptr_array_index (people, i);
      if (g_strcmp0 (ps_target_record_get (r, status->key), "Inactive") == 0)
        g_hash_table_insert (leavers, r->id, r);
    }
  if (g_hash_table_size (leavers) == 0)
    return TRUE;

  collections = ps_target_list_collections_sync (target, m->account, m->module, cancellable, error);
  if (collections == NULL)
    return FALSE;
  for (guint c = 0; c < collections->len; c++)
    {
      PsTargetEntity *coll = g_ptr_array_index (collections, c);
      g_autoptr(GPtrArray) coll_fields = NULL;
      g_autoptr(GPtrArray) links = g_ptr_array_new ();
      g_autoptr(GPtrArray) assets = NULL;

      if (g_strcmp0 (coll->id, m->collection) == 0)
        continue;
      coll_fields = ps_target_list_fields_sync (target, m->account, m->module, coll->id,
                                                cancellable, error);
      if (coll_fields == NULL)
        return FALSE;
      for (guint i = 0; i < coll_fields->len; i++)
        {
          PsTargetField *f = g_ptr_array_index (coll_fields, i);
          if (f->type == PS_FIELD_LINK)
            g_ptr_array_add (links, f);
        }
      if (links->len == 0)
        continue;
      assets = ps_target_search_records_sync (target, m->account, m->module, coll->id, NULL,
                                              cancellable, error);
      if (assets == NULL)
        return FALSE;
      for (guint a = 0; a < assets->len; a++)
        {
          PsTargetRecord *asset = g_ptr_array_index (assets, a);

          for (guint l = 0; l < links->len; l++)
            {
              PsTargetField *f = g_ptr_array_index (links, l);
              const char *held_by = g_hash_table_lookup (asset->option_ids, f->key);
              PsTargetRecord *person = held_by != NULL ? g_hash_table_lookup (leavers, held_by) : NULL;
              PsLeaverAsset *row;
              GHashTableIter iter;
              gpointer value;

              if (person == NULL)
                continue;
              row = g_new0 (PsLeaverAsset, 1);
              row->mapping = g_strdup (m->name);
              row->person_id = g_strdup (person->id);
              row->person = values_from (m, person, fields, name_attrs);
              row->email = values_from (m, person, fields, mail_attrs);
              row->anchor = g_strdup (ps_target_record_get (person, anchor_key));
              if (stamps != NULL && g_hash_table_contains (stamps, person->id))
                {
                  const PsRunStamp *stamp = g_hash_table_lookup (stamps, person->id);

                  row->run_id = stamp->run_id;
                  row->deactivated_at = stamp->started_at;
                }
              row->collection = g_strdup (coll->name);
              row->asset_id = g_strdup (asset->id);
              row->field = g_strdup (f->name);
              /* The asset's first non-link text value names it well enough. */
              g_hash_table_iter_init (&iter, asset->values);
              while (row->asset == NULL && g_hash_table_iter_next (&iter, NULL, &value))
                if (value != NULL && *(char *) value != '\0' && !g_str_equal (value, held_by))
                  row->asset = g_strdup (value);
              for (guint i = 0; i < coll_fields->len; i++)
                {
                  PsTargetField *cf = g_ptr_array_index (coll_fields, i);
                  const char *v = ps_target_record_get (asset, cf->key);
                  if (cf->required && cf->type != PS_FIELD_LINK && v != NULL && *v != '\0')
                    {
                      g_free (row->asset);
                      row->asset = g_strdup (v);
                      break;
                    }
                }
              g_ptr_array_add (rows, row);
            }
        }
    }
  return TRUE;
}

/* ---------------------------------------------------------------- public API */

GPtrArray *
ps_report_leavers_sync (PsProfile     *profile,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_autoptr(PsTarget) target = ps_target_new_for_profile (profile, cancellable, error);
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_leaver_asset_free);
  g_autofree char *state_path = ps_profile_dup_state_path (profile);
  g_autoptr(PsState) state = NULL;
  GPtrArray *mappings = ps_profile_get_mappings (profile);

  if (target == NULL)
    return NULL;
  /* A profile that never ran has no history, and none is made here. */
  if (g_file_test (state_path, G_FILE_TEST_EXISTS))
    {
      g_autoptr(GError) local = NULL;

      state = ps_state_open (state_path, &local);
      if (state == NULL)
        g_debug ("The leavers report has no run numbers: %s", local->message);
    }
  for (guint i = 0; i < mappings->len; i++)
    {
      const PsMapping *m = g_ptr_array_index (mappings, i);

      if (m->kind != PS_MAPPING_COLLECTION || m->status_field == NULL || !m->enabled)
        continue;
      if (!report_mapping (target, m, state, rows, cancellable, error))
        return NULL;
    }
  return g_steal_pointer (&rows);
}

static void
append_cell (GString    *csv,
             const char *text,
             gboolean    last)
{
  g_autoptr(GString) cell = g_string_new (text != NULL ? text : "");

  g_string_replace (cell, "\"", "\"\"", 0);
  if (cell->len > 0 && strchr ("=+-@", cell->str[0]) != NULL)
    g_string_prepend_c (cell, '\'');
  g_string_append_printf (csv, "\"%s\"%s", cell->str, last ? "\r\n" : ",");
}

char *
ps_report_leavers_to_csv (GPtrArray *rows)
{
  GString *csv = g_string_new ("\"person\",\"email\",\"anchor\",\"collection\",\"asset\","
                               "\"asset id\",\"field\",\"mapping\",\"run\",\"time\"\r\n");

  for (guint i = 0; i < rows->len; i++)
    {
      const PsLeaverAsset *r = g_ptr_array_index (rows, i);
      g_autofree char *run = r->run_id > 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, r->run_id) : NULL;
      g_autofree char *time = NULL;

      if (r->deactivated_at > 0)
        {
          g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (r->deactivated_at);
          time = g_date_time_format (when, "%Y-%m-%dT%H:%M:%S%:z");
        }
      append_cell (csv, r->person, FALSE);
      append_cell (csv, r->email, FALSE);
      append_cell (csv, r->anchor, FALSE);
      append_cell (csv, r->collection, FALSE);
      append_cell (csv, r->asset, FALSE);
      append_cell (csv, r->asset_id, FALSE);
      append_cell (csv, r->field, FALSE);
      append_cell (csv, r->mapping, FALSE);
      append_cell (csv, run, FALSE);
      append_cell (csv, time, TRUE);
    }
  return g_string_free (csv, FALSE);
}

/* ---------------------------------------------------------------- run history */

PsPlan *
ps_report_run_outline (PsState *state,
                       gint64   run_id)
{
  g_autofree char *data = state != NULL ? ps_state_dup_run_outline (state, run_id, NULL) : NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  PsPlan *plan = NULL;

  if (data != NULL && json_parser_load_from_data (parser, data, -1, NULL))
    plan = ps_plan_from_json (json_parser_get_root (parser), NULL);
  return plan != NULL ? plan : ps_plan_new (NULL);
}

char *
ps_report_describe_changes (const PsPlan *outline,
                            const char   *mapping,
                            const char   *changes_json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(PsAction) action = ps_action_new (PS_ACTION_UPDATE, NULL, NULL);
  JsonArray *changes;

  if (changes_json == NULL || !json_parser_load_from_data (parser, changes_json, -1, NULL)
      || !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    return g_strdup (changes_json != NULL ? changes_json : "");
  changes = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (changes); i++)
    {
      JsonObject *c = json_array_get_object_element (changes, i);

      if (c == NULL)
        continue;
      ps_action_add_change (action, json_object_get_string_member_with_default (c, "field", "?"),
                            json_object_get_string_member_with_default (c, "old", NULL),
                            json_object_get_string_member_with_default (c, "new", ""));
    }
  return ps_plan_describe_changes (outline, ps_plan_find_mapping (outline, mapping), action);
}

typedef struct {
  GString    *csv;
  PsPlan     *outline;
  const char *run;
  const char *time;
  guint       rows;
} RunCsv;

static void
add_run_row_cb (const char *const *row,
                gpointer           user_data)
{
  RunCsv *out = user_data;
  const PsMappingPlan *mp = ps_plan_find_mapping (out->outline, row[0]);
  g_autofree char *collection = NULL;
  g_autofree char *changes = ps_report_describe_changes (out->outline, row[0], row[5]);

  if (mp != NULL)
    collection = mp->kind == PS_MAPPING_USERS
                 ? g_strdup (_("Users"))
                 : ps_names_display (out->outline->names, PS_NAME_COLLECTION, NULL, mp->collection);
  append_cell (out->csv, out->run, FALSE);
  append_cell (out->csv, out->time, FALSE);
  append_cell (out->csv, row[0], FALSE);                          /* mapping */
  append_cell (out->csv, collection, FALSE);
  append_cell (out->csv, row[1], FALSE);                          /* action */
  append_cell (out->csv, row[4] != NULL ? row[4] : row[2], FALSE); /* person, else the anchor */
  append_cell (out->csv, row[7], FALSE);                          /* email */
  append_cell (out->csv, row[2], FALSE);                          /* anchor */
  append_cell (out->csv, row[3], FALSE);                          /* Asset Panda id */
  append_cell (out->csv, changes, FALSE);
  append_cell (out->csv, row[6], TRUE);                           /* why, or the error */
  out->rows++;
}

char *
ps_report_run_to_csv (PsState  *state,
                      gint64    run_id,
                      guint    *rows,
                      GError  **error)
{
  g_autoptr(PsRunInfo) info = NULL;
  g_autoptr(PsPlan) outline = NULL;
  g_autoptr(GDateTime) when = NULL;
  g_autofree char *run = NULL;
  g_autofree char *time = NULL;
  RunCsv out = { 0 };

  g_return_val_if_fail (PS_IS_STATE (state), NULL);

  info = ps_state_get_run (state, run_id, error);
  if (info == NULL)
    return NULL;
  outline = ps_report_run_outline (state, run_id);
  when = g_date_time_new_from_unix_local (info->started_at);
  run = g_strdup_printf ("%" G_GINT64_FORMAT, run_id);
  time = g_date_time_format (when, "%Y-%m-%dT%H:%M:%S%:z");
  out.csv = g_string_new ("\"run\",\"time\",\"mapping\",\"collection\",\"action\",\"person\","
                          "\"email\",\"anchor\",\"asset panda id\",\"changes\",\"detail\"\r\n");
  out.outline = outline;
  out.run = run;
  out.time = time;
  if (!ps_state_foreach_action (state, run_id, add_run_row_cb, &out, error))
    {
      g_string_free (out.csv, TRUE);
      return NULL;
    }
  if (rows != NULL)
    *rows = out.rows;
  return g_string_free (out.csv, FALSE);
}
