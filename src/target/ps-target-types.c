/* ps-target-types.c — dialect-neutral Asset Panda values
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "ps-target-types.h"

PsTargetEntity *
ps_target_entity_new (PsTargetEntityKind  kind,
                      const char         *id,
                      const char         *name,
                      const char         *key)
{
  PsTargetEntity *entity = g_new0 (PsTargetEntity, 1);

  entity->kind = kind;
  entity->id = g_strdup (id);
  entity->name = g_strdup (name != NULL ? name : id);
  entity->key = g_strdup (key);
  return entity;
}

void
ps_target_entity_free (PsTargetEntity *entity)
{
  if (entity == NULL)
    return;
  g_free (entity->id);
  g_free (entity->name);
  g_free (entity->key);
  g_free (entity);
}

const char *
ps_target_entity_kind_to_string (PsTargetEntityKind kind)
{
  switch (kind)
    {
    case PS_TARGET_ACCOUNT:
      return "account";
    case PS_TARGET_MODULE:
      return "module";
    case PS_TARGET_ROLE:
      return "role";
    case PS_TARGET_COLLECTION:
      return "collection";
    default:
      return "?";
    }
}

PsTargetOption *
ps_target_option_new (const char *id,
                      const char *label)
{
  PsTargetOption *option = g_new0 (PsTargetOption, 1);

  option->id = g_strdup (id);
  option->label = g_strdup (label);
  return option;
}

void
ps_target_option_free (PsTargetOption *option)
{
  if (option == NULL)
    return;
  g_free (option->id);
  g_free (option->label);
  g_free (option);
}

PsTargetField *
ps_target_field_new (void)
{
  PsTargetField *field = g_new0 (PsTargetField, 1);

  field->options = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_option_free);
  return field;
}

void
ps_target_field_free (PsTargetField *field)
{
  if (field == NULL)
    return;
  g_free (field->key);
  g_free (field->id);
  g_free (field->name);
  g_free (field->type_name);
  g_ptr_array_unref (field->options);
  g_free (field);
}

const char *
ps_field_type_to_string (PsFieldType type)
{
  switch (type)
    {
    case PS_FIELD_TEXT:
      return "text";
    case PS_FIELD_NUMBER:
      return "number";
    case PS_FIELD_DATE:
      return "date";
    case PS_FIELD_BOOLEAN:
      return "boolean";
    case PS_FIELD_SINGLE_SELECT:
      return "single-select";
    case PS_FIELD_LINK:
      return "link";
    case PS_FIELD_OTHER:
    default:
      return "other";
    }
}

const PsTargetOption *
ps_target_field_find_option (const PsTargetField *field,
                             const char          *text)
{
  g_return_val_if_fail (field != NULL, NULL);

  if (text == NULL)
    return NULL;
  for (guint i = 0; i < field->options->len; i++)
    {
      const PsTargetOption *o = g_ptr_array_index (field->options, i);
      if (g_strcmp0 (o->id, text) == 0)
        return o;
    }
  for (guint i = 0; i < field->options->len; i++)
    {
      const PsTargetOption *o = g_ptr_array_index (field->options, i);
      g_autofree char *a = o->label != NULL ? g_utf8_casefold (o->label, -1) : NULL;
      g_autofree char *b = g_utf8_casefold (text, -1);
      if (g_strcmp0 (a, b) == 0)
        return o;
    }
  return NULL;
}

PsTargetField *
ps_target_fields_find (GPtrArray  *fields,
                       const char *text)
{
  if (fields == NULL || text == NULL)
    return NULL;
  for (guint i = 0; i < fields->len; i++)
    {
      PsTargetField *f = g_ptr_array_index (fields, i);
      if (g_strcmp0 (f->key, text) == 0 || g_strcmp0 (f->id, text) == 0)
        return f;
    }
  for (guint i = 0; i < fields->len; i++)
    {
      PsTargetField *f = g_ptr_array_index (fields, i);
      if (f->name != NULL && g_ascii_strcasecmp (f->name, text) == 0)
        return f;
    }
  return NULL;
}

PsTargetUser *
ps_target_user_new (void)
{
  PsTargetUser *user = g_new0 (PsTargetUser, 1);

  user->active = TRUE;
  return user;
}

void
ps_target_user_free (PsTargetUser *user)
{
  if (user == NULL)
    return;
  g_free (user->id);
  g_free (user->email);
  g_free (user->first_name);
  g_free (user->last_name);
  g_free (user->role_id);
  g_free (user->anchor);
  g_free (user);
}

PsTargetRecord *
ps_target_record_new (const char *id)
{
  PsTargetRecord *record = g_new0 (PsTargetRecord, 1);

  record->id = g_strdup (id);
  record->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  record->option_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return record;
}

PsTargetRecord *
ps_target_record_copy (const PsTargetRecord *record)
{
  PsTargetRecord *copy = ps_target_record_new (record->id);
  GHashTableIter iter;
  gpointer k, v;

  copy->archived = record->archived;
  copy->updated_at = g_strdup (record->updated_at);
  g_hash_table_iter_init (&iter, record->values);
  while (g_hash_table_iter_next (&iter, &k, &v))
    g_hash_table_insert (copy->values, g_strdup (k), g_strdup (v));
  g_hash_table_iter_init (&iter, record->option_ids);
  while (g_hash_table_iter_next (&iter, &k, &v))
    g_hash_table_insert (copy->option_ids, g_strdup (k), g_strdup (v));
  return copy;
}

void
ps_target_record_free (PsTargetRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->id);
  g_free (record->updated_at);
  g_hash_table_unref (record->values);
  g_hash_table_unref (record->option_ids);
  g_free (record);
}

const char *
ps_target_record_get (const PsTargetRecord *record,
                      const char           *key)
{
  g_return_val_if_fail (record != NULL, NULL);
  return g_hash_table_lookup (record->values, key);
}

PsTargetQuery *
ps_target_query_new (void)
{
  PsTargetQuery *query = g_new0 (PsTargetQuery, 1);

  query->filters = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  query->ids = g_ptr_array_new_with_free_func (g_free);
  return query;
}

void
ps_target_query_free (PsTargetQuery *query)
{
  if (query == NULL)
    return;
  g_hash_table_unref (query->filters);
  g_ptr_array_unref (query->ids);
  g_clear_pointer (&query->modified_since, g_date_time_unref);
  g_free (query);
}

void
ps_target_query_add_filter (PsTargetQuery *query,
                            const char    *key,
                            const char    *value)
{
  g_hash_table_replace (query->filters, g_strdup (key), g_strdup (value));
}

void
ps_target_query_add_id (PsTargetQuery *query,
                        const char    *id)
{
  g_ptr_array_add (query->ids, g_strdup (id));
}

static PsTargetWrite *
write_new (void)
{
  PsTargetWrite *write = g_new0 (PsTargetWrite, 1);

  write->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return write;
}

PsTargetWrite *
ps_target_write_new_create (const char *anchor_field,
                            const char *anchor_value)
{
  PsTargetWrite *write = write_new ();

  write->anchor_field = g_strdup (anchor_field);
  write->anchor_value = g_strdup (anchor_value);
  if (anchor_field != NULL && anchor_value != NULL)
    ps_target_write_set (write, anchor_field, anchor_value);
  return write;
}

PsTargetWrite *
ps_target_write_new_update (const char *record_id)
{
  PsTargetWrite *write = write_new ();

  write->record_id = g_strdup (record_id);
  return write;
}

void
ps_target_write_set (PsTargetWrite *write,
                     const char    *key,
                     const char    *value)
{
  g_hash_table_replace (write->values, g_strdup (key), g_strdup (value != NULL ? value : ""));
}

void
ps_target_write_free (PsTargetWrite *write)
{
  if (write == NULL)
    return;
  g_free (write->record_id);
  g_hash_table_unref (write->values);
  g_free (write->anchor_field);
  g_free (write->anchor_value);
  g_free (write->new_id);
  g_clear_error (&write->error);
  g_free (write);
}

void
ps_target_user_spec_free (PsTargetUserSpec *spec)
{
  if (spec == NULL)
    return;
  g_free (spec->email);
  g_free (spec->first_name);
  g_free (spec->last_name);
  g_free (spec->role_id);
  g_free (spec->anchor);
  g_free (spec);
}
