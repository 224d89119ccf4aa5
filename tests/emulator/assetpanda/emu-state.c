/* emu-state.c — the emulated tenant: seed loading, indexes, validation, dump
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include "emu-private.h"

#define AD_SID_KEY "integ_ad_sid"

/* ---------------------------------------------------------------- helpers */

static JsonNode *
node_deep_copy (JsonNode *node)
{
  g_autofree char *text = json_to_string (node, FALSE);

  return json_from_string (text, NULL);
}

static JsonObject *
object_deep_copy (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);
  g_autoptr(JsonNode) copy = node_deep_copy (node);

  return json_object_ref (json_node_get_object (copy));
}

static JsonArray *
array_deep_copy (JsonArray *array)
{
  g_autoptr(JsonNode) node = json_node_init_array (json_node_alloc (), array);
  g_autoptr(JsonNode) copy = node_deep_copy (node);

  return json_array_ref (json_node_get_array (copy));
}

const char *
emu_member_string (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

JsonObject *
emu_member_object (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

JsonArray *
emu_member_array (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

/* The member names of @object, as a copy that survives changes to it. */
static GStrv
object_names (JsonObject *object)
{
  g_autoptr(GList) names = json_object_get_members (object);
  GStrv list = g_new0 (char *, g_list_length (names) + 1);
  guint i = 0;

  for (GList *l = names; l != NULL; l = l->next)
    list[i++] = g_strdup (l->data);
  return list;
}

char *
emu_node_text (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);

      if (json_object_has_member (object, "id"))
        return emu_node_text (json_object_get_member (object, "id"));
      return NULL;
    }

  if (JSON_NODE_HOLDS_ARRAY (node))
    return NULL;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return g_strdup (json_node_get_string (node));
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    case G_TYPE_DOUBLE:
      {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];

        return g_strdup (g_ascii_dtostr (buf, sizeof buf, json_node_get_double (node)));
      }
    case G_TYPE_BOOLEAN:
      return g_strdup (json_node_get_boolean (node) ? "true" : "false");
    default:
      return NULL;
    }
}

static char *
fold (const char *text)
{
  return text != NULL ? g_utf8_casefold (text, -1) : NULL;
}

static char *
member_text (JsonObject *object, const char *name)
{
  return emu_node_text (json_object_get_member (object, name));
}

static gboolean
member_bool (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
}

static void
option_free (EmuOption *option)
{
  g_free (option->id);
  g_free (option->label);
  g_free (option);
}

static void
field_free (EmuField *field)
{
  g_free (field->key);
  g_free (field->name);
  g_free (field->type);
  g_clear_pointer (&field->options, g_ptr_array_unref);
  g_free (field->link_table);
  g_clear_pointer (&field->extra, json_object_unref);
  g_free (field);
}

static void
record_free (EmuRecord *record)
{
  g_free (record->id);
  g_clear_pointer (&record->values, json_object_unref);
  g_free (record->ad_sid);
  g_free (record);
}

static void
table_free (EmuTable *table)
{
  g_free (table->id);
  g_free (table->name);
  g_free (table->key);
  g_free (table->account_id);
  g_free (table->module_id);
  g_clear_pointer (&table->extra, json_object_unref);
  g_strfreev (table->display_keys);
  g_clear_pointer (&table->statuses, json_array_unref);
  g_clear_pointer (&table->field_by_key, g_hash_table_unref);
  g_clear_pointer (&table->fields, g_ptr_array_unref);
  g_clear_pointer (&table->record_by_id, g_hash_table_unref);
  g_clear_pointer (&table->unique, g_hash_table_unref);
  g_clear_pointer (&table->records, g_ptr_array_unref);
  g_free (table->cache_key);
  g_clear_pointer (&table->cache_matches, g_ptr_array_unref);
  g_free (table);
}

/* A copy of @object without the members named in @skip. */
static JsonObject *
object_without (JsonObject *object, const char *const *skip)
{
  JsonObject *copy = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    if (!g_strv_contains (skip, name))
      json_object_set_member (copy, name, node_deep_copy (node));
  return copy;
}

static void
object_merge (JsonObject *into, JsonObject *from)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init_ordered (&iter, from);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    json_object_set_member (into, name, node_deep_copy (node));
}

/* ---------------------------------------------------------------- tables */

static EmuTable *
table_new (EmuState *state, EmuDialect dialect)
{
  EmuTable *table = g_new0 (EmuTable, 1);

  table->state = state;
  table->dialect = dialect;
  table->fields = g_ptr_array_new_with_free_func ((GDestroyNotify) field_free);
  table->field_by_key = g_hash_table_new (g_str_hash, g_str_equal);
  table->records = g_ptr_array_new_with_free_func ((GDestroyNotify) record_free);
  table->record_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  table->unique = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_hash_table_unref);
  return table;
}

static void
table_add_index (EmuTable *table, const char *key)
{
  g_hash_table_insert (table->unique, g_strdup (key),
                       g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL));
}

static void
table_add_field (EmuTable *table, EmuField *field)
{
  g_ptr_array_add (table->fields, field);
  g_hash_table_insert (table->field_by_key, field->key, field);
  if (field->unique)
    table_add_index (table, field->key);
}

EmuField *
emu_table_field (EmuTable *table, const char *key)
{
  return g_hash_table_lookup (table->field_by_key, key);
}

EmuRecord *
emu_table_record (EmuTable *table, const char *id)
{
  return id != NULL ? g_hash_table_lookup (table->record_by_id, id) : NULL;
}

EmuOption *
emu_field_option (EmuField *field, const char *id)
{
  if (field->options == NULL || id == NULL)
    return NULL;
  for (guint i = 0; i < field->options->len; i++)
    {
      EmuOption *option = g_ptr_array_index (field->options, i);

      if (g_strcmp0 (option->id, id) == 0)
        return option;
    }
  return NULL;
}

static EmuOption *
field_option_by_label (EmuField *field, const char *label)
{
  if (field->options == NULL || label == NULL)
    return NULL;
  for (guint i = 0; i < field->options->len; i++)
    {
      EmuOption *option = g_ptr_array_index (field->options, i);

      if (g_utf8_collate (option->label, label) == 0 || g_ascii_strcasecmp (option->label, label) == 0)
        return option;
    }
  return NULL;
}

static EmuTable *
field_link_table (EmuTable *table, EmuField *field)
{
  if (field->link_table == NULL)
    return NULL;
  return g_hash_table_lookup (table->state->table_by_id, field->link_table);
}

char *
emu_record_display_name (EmuRecord *record)
{
  EmuTable *table = record->table;
  g_autoptr(GString) name = g_string_new (NULL);

  if (table->display_keys != NULL)
    {
      for (guint i = 0; table->display_keys[i] != NULL; i++)
        {
          EmuField *field = emu_table_field (table, table->display_keys[i]);
          g_autofree char *text = field != NULL ? emu_record_text (record, field) : NULL;

          if (text == NULL || *text == '\0')
            continue;
          if (name->len > 0)
            g_string_append_c (name, ' ');
          g_string_append (name, text);
        }
    }
  else if (table->fields->len > 0)
    {
      g_autofree char *text = emu_record_text (record, g_ptr_array_index (table->fields, 0));

      if (text != NULL)
        g_string_append (name, text);
    }

  return g_string_free (g_steal_pointer (&name), FALSE);
}

/* The text a person sees for the value of @field: option labels and the
 * display names of linked records rather than ids. */
char *
emu_record_text (EmuRecord *record, EmuField *field)
{
  g_autofree char *raw = member_text (record->values, field->key);

  if (raw == NULL)
    return NULL;

  switch (field->kind)
    {
    case EMU_FIELD_LIST:
      {
        EmuOption *option = emu_field_option (field, raw);

        return option != NULL ? g_strdup (option->label) : g_steal_pointer (&raw);
      }
    case EMU_FIELD_LINK:
      {
        EmuTable *linked = field_link_table (record->table, field);
        EmuRecord *target = linked != NULL ? emu_table_record (linked, raw) : NULL;

        return target != NULL ? emu_record_display_name (target) : g_steal_pointer (&raw);
      }
    case EMU_FIELD_PLAIN:
    default:
      return g_steal_pointer (&raw);
    }
}

static char *
record_index_text (EmuRecord *record, const char *key)
{
  EmuField *field;

  if (g_str_equal (key, AD_SID_KEY))
    return fold (record->ad_sid);
  field = emu_table_field (record->table, key);
  if (field == NULL)
    return NULL;
  {
    g_autofree char *text = emu_record_text (record, field);

    return text != NULL && *text != '\0' ? fold (text) : NULL;
  }
}

gboolean
emu_table_is_indexed (EmuTable *table, const char *key)
{
  return g_hash_table_contains (table->unique, key);
}

EmuRecord *
emu_table_find_unique (EmuTable *table, const char *key, const char *text)
{
  GHashTable *index = g_hash_table_lookup (table->unique, key);
  g_autofree char *folded = fold (text);

  if (index == NULL || folded == NULL)
    return NULL;
  return g_hash_table_lookup (index, folded);
}

static void
table_changed (EmuTable *table)
{
  table->version++;
  table->state->version++;
}

static void
index_record (EmuRecord *record, gboolean add)
{
  GHashTableIter iter;
  const char *key;
  GHashTable *index;

  g_hash_table_iter_init (&iter, record->table->unique);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, (gpointer *) &index))
    {
      g_autofree char *text = record_index_text (record, key);

      if (text == NULL)
        continue;
      if (add)
        g_hash_table_insert (index, g_steal_pointer (&text), record);
      else if (g_hash_table_lookup (index, text) == record)
        g_hash_table_remove (index, text);
    }
}

/* Turns a value as sent into the stored form; NULL node means "clear". */
static gboolean
coerce_value (EmuTable *table, EmuField *field, JsonNode *value, JsonNode **stored, char **message)
{
  g_autofree char *text = emu_node_text (value);

  *stored = NULL;
  if (text == NULL || *text == '\0')
    {
      if (value != NULL && JSON_NODE_HOLDS_VALUE (value) && field->kind == EMU_FIELD_PLAIN)
        *stored = json_node_copy (value);
      return TRUE;
    }

  switch (field->kind)
    {
    case EMU_FIELD_LIST:
      {
        EmuOption *option = emu_field_option (field, text);

        if (option == NULL && JSON_NODE_HOLDS_OBJECT (value))
          {
            JsonObject *object = json_node_get_object (value);
            const char *label = emu_member_string (object, "value");

            option = field_option_by_label (field, label != NULL ? label :
                                            emu_member_string (object, "display_name"));
          }
        if (option == NULL)
          option = field_option_by_label (field, text);
        if (option == NULL)
          {
            *message = g_strdup_printf ("%s is not a valid option for %s", text, field->name);
            return FALSE;
          }
        *stored = json_node_new (JSON_NODE_VALUE);
        if (table->dialect == EMU_DIALECT_CLASSIC)
          json_node_set_int (*stored, g_ascii_strtoll (option->id, NULL, 10));
        else
          json_node_set_string (*stored, option->id);
        return TRUE;
      }
    case EMU_FIELD_LINK:
      {
        EmuTable *linked = field_link_table (table, field);

        if (linked == NULL || emu_table_record (linked, text) == NULL)
          {
            *message = g_strdup_printf ("%s does not name a record linked by %s", text, field->name);
            return FALSE;
          }
        *stored = json_node_new (JSON_NODE_VALUE);
        json_node_set_string (*stored, text);
        return TRUE;
      }
    case EMU_FIELD_PLAIN:
    default:
      if (!JSON_NODE_HOLDS_VALUE (value))
        {
          *message = g_strdup_printf ("%s takes a plain value", field->name);
          return FALSE;
        }
      *stored = json_node_copy (value);
      return TRUE;
    }
}

static void
add_error (JsonObject *errors, const char *key, const char *message)
{
  JsonArray *list;

  if (!json_object_has_member (errors, key))
    json_object_set_array_member (errors, key, json_array_new ());
  list = json_object_get_array_member (errors, key);
  json_array_add_string_element (list, message);
}

/* The text a unique index would hold for a change, or NULL. */
static char *
change_index_text (EmuTable *table, const char *key, JsonNode *stored)
{
  g_autofree char *raw = emu_node_text (stored);
  EmuField *field;

  if (raw == NULL || *raw == '\0')
    return NULL;
  field = emu_table_field (table, key);
  if (field != NULL && field->kind == EMU_FIELD_LIST)
    {
      EmuOption *option = emu_field_option (field, raw);

      if (option != NULL)
        return fold (option->label);
    }
  if (field != NULL && field->kind == EMU_FIELD_LINK)
    {
      EmuTable *linked = field_link_table (table, field);
      EmuRecord *target = linked != NULL ? emu_table_record (linked, raw) : NULL;

      if (target != NULL)
        {
          g_autofree char *name = emu_record_display_name (target);

          return fold (name);
        }
    }
  return fold (raw);
}

gboolean
emu_table_check (EmuTable    *table,
                 EmuRecord   *self,
                 JsonObject  *changes,
                 gboolean     creating,
                 GHashTable  *batch_seen,
                 JsonObject  *errors,
                 gboolean    *unique_breach)
{
  g_auto(GStrv) names = object_names (changes);
  gboolean ok = TRUE;

  for (guint i = 0; names[i] != NULL; i++)
    {
      const char *key = names[i];
      JsonNode *value = json_object_get_member (changes, key);
      EmuField *field = emu_table_field (table, key);
      g_autofree char *message = NULL;
      JsonNode *stored = NULL;

      if (table->dialect == EMU_DIALECT_CLASSIC && g_str_equal (key, AD_SID_KEY))
        {
          g_autofree char *text = emu_node_text (value);

          stored = json_node_new (JSON_NODE_VALUE);
          if (text != NULL)
            json_node_set_string (stored, text);
          else
            json_node_init_null (stored);
        }
      else if (field == NULL)
        {
          add_error (errors, key, "is not a field of this collection");
          ok = FALSE;
          continue;
        }
      else if (!coerce_value (table, field, value, &stored, &message))
        {
          add_error (errors, key, message);
          ok = FALSE;
          continue;
        }

      if (stored == NULL)
        {
          stored = json_node_new (JSON_NODE_NULL);
          if (field != NULL && field->required)
            {
              add_error (errors, key, "can't be blank");
              ok = FALSE;
            }
        }

      if (emu_table_is_indexed (table, key))
        {
          g_autofree char *text = change_index_text (table, key, stored);
          EmuRecord *other = text != NULL ? emu_table_find_unique (table, key, text) : NULL;
          g_autofree char *seen_key = text != NULL ? g_strconcat (key, "\x1f", text, NULL) : NULL;

          if ((other != NULL && other != self) ||
              (seen_key != NULL && batch_seen != NULL && g_hash_table_contains (batch_seen, seen_key)))
            {
              g_autofree char *msg = g_strdup_printf ("%s is not unique",
                                                      field != NULL ? field->name : key);

              add_error (errors, key, msg);
              *unique_breach = TRUE;
              ok = FALSE;
            }
          else if (seen_key != NULL && batch_seen != NULL)
            g_hash_table_add (batch_seen, g_steal_pointer (&seen_key));
        }

      json_object_set_member (changes, key, stored);
    }

  if (creating)
    for (guint i = 0; i < table->fields->len; i++)
      {
        EmuField *field = g_ptr_array_index (table->fields, i);

        if (field->required && !json_object_has_member (changes, field->key))
          {
            add_error (errors, field->key, "can't be blank");
            ok = FALSE;
          }
      }

  return ok;
}

static void
apply_changes (EmuRecord *record, JsonObject *changes)
{
  JsonObjectIter iter;
  const char *key;
  JsonNode *node;

  json_object_iter_init_ordered (&iter, changes);
  while (json_object_iter_next_ordered (&iter, &key, &node))
    {
      if (record->table->dialect == EMU_DIALECT_CLASSIC && g_str_equal (key, AD_SID_KEY))
        {
          g_free (record->ad_sid);
          record->ad_sid = emu_node_text (node);
        }
      else if (JSON_NODE_HOLDS_NULL (node))
        json_object_remove_member (record->values, key);
      else
        json_object_set_member (record->values, key, json_node_copy (node));
    }
}

EmuRecord *
emu_table_insert (EmuTable *table, JsonObject *changes, const char *id)
{
  EmuRecord *record = g_new0 (EmuRecord, 1);

  record->table = table;
  if (id != NULL)
    record->id = g_strdup (id);
  else if (table->dialect == EMU_DIALECT_CLASSIC)
    record->id = emu_state_new_object_id (table->state);
  else
    record->id = emu_state_new_ulid (table->state);
  record->values = json_object_new ();
  record->created_at = record->updated_at = emu_now ();
  record->version = 1;
  record->index = table->records->len;
  apply_changes (record, changes);

  g_ptr_array_add (table->records, record);
  g_hash_table_insert (table->record_by_id, record->id, record);
  index_record (record, TRUE);
  table_changed (table);
  return record;
}

void
emu_table_update (EmuRecord *record, JsonObject *changes)
{
  index_record (record, FALSE);
  apply_changes (record, changes);
  index_record (record, TRUE);
  record->updated_at = emu_now ();
  record->version++;
  table_changed (record->table);
}

void
emu_table_set_archived (EmuRecord *record, gboolean archived)
{
  if (record->archived == archived)
    return;
  record->archived = archived;
  if (archived)
    record->table->n_archived++;
  else
    record->table->n_archived--;
  record->updated_at = emu_now ();
  record->version++;
  table_changed (record->table);
}

void
emu_table_remove (EmuTable *table, EmuRecord *record)
{
  guint index = record->index;

  index_record (record, FALSE);
  if (record->archived)
    table->n_archived--;
  g_hash_table_remove (table->record_by_id, record->id);
  g_ptr_array_remove_index (table->records, index);
  for (guint i = index; i < table->records->len; i++)
    ((EmuRecord *) g_ptr_array_index (table->records, i))->index = i;
  table_changed (table);
}

GPtrArray *
emu_table_matches (EmuTable *table, const char *cache_key, EmuMatchFunc match, gpointer data)
{
  /* Any change anywhere invalidates: filters on linked records read the
   * display names of records in other tables. */
  if (table->cache_matches != NULL && table->cache_version == table->state->version &&
      g_strcmp0 (table->cache_key, cache_key) == 0)
    return table->cache_matches;

  g_clear_pointer (&table->cache_matches, g_ptr_array_unref);
  table->cache_matches = g_ptr_array_new ();
  for (guint i = 0; i < table->records->len; i++)
    {
      EmuRecord *record = g_ptr_array_index (table->records, i);

      if (match (record, data))
        g_ptr_array_add (table->cache_matches, record);
    }
  g_free (table->cache_key);
  table->cache_key = g_strdup (cache_key);
  table->cache_version = table->state->version;
  return table->cache_matches;
}

/* ---------------------------------------------------------------- ids */

char *
emu_state_new_object_id (EmuState *state)
{
  for (;;)
    {
      g_autofree char *id = g_strdup_printf ("%08x%08x%08x", g_rand_int (state->rand),
                                             g_rand_int (state->rand), g_rand_int (state->rand));
      gboolean taken = FALSE;

      for (guint i = 0; i < state->tables->len && !taken; i++)
        taken = emu_table_record (g_ptr_array_index (state->tables, i), id) != NULL;
      if (!taken)
        return g_steal_pointer (&id);
    }
}

char *
emu_state_new_ulid (EmuState *state)
{
  static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  char id[27];

  id[0] = '0';
  id[1] = '1';
  id[2] = 'J';
  for (int i = 3; i < 26; i++)
    id[i] = alphabet[g_rand_int_range (state->rand, 0, 32)];
  id[26] = '\0';
  return g_strdup (id);
}

/* ---------------------------------------------------------------- load */

static gboolean
load_records (EmuTable *table, JsonArray *records, GError **error)
{
  static const char *const classic_skip[] = { "id", "data", AD_SID_KEY, "is_archived",
                                              "created_at", "updated_at", NULL };
  static const char *const pro_skip[] = { "id", "createdAt", "updatedAt", NULL };

  for (guint i = 0; records != NULL && i < json_array_get_length (records); i++)
    {
      JsonObject *seed = json_array_get_object_element (records, i);
      g_autoptr(JsonObject) changes = NULL;
      g_autoptr(JsonObject) errors = json_object_new ();
      g_autofree char *id = member_text (seed, "id");
      gboolean breach = FALSE;
      const char *created;
      const char *updated;
      EmuRecord *record;

      if (table->dialect == EMU_DIALECT_CLASSIC)
        {
          JsonObject *data = json_object_get_object_member (seed, "data");

          changes = data != NULL ? object_without (data, classic_skip) : json_object_new ();
          if (json_object_has_member (seed, AD_SID_KEY))
            json_object_set_member (changes, AD_SID_KEY,
                                    json_node_copy (json_object_get_member (seed, AD_SID_KEY)));
          created = emu_member_string (seed, "created_at");
          updated = emu_member_string (seed, "updated_at");
        }
      else
        {
          changes = object_without (seed, pro_skip);
          created = emu_member_string (seed, "createdAt");
          updated = emu_member_string (seed, "updatedAt");
        }

      if (id != NULL && emu_table_record (table, id) != NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "seed: record %s appears twice in %s", id, table->name);
          return FALSE;
        }
      if (!emu_table_check (table, NULL, changes, FALSE, NULL, errors, &breach))
        {
          g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), errors);
          g_autofree char *text = json_to_string (node, FALSE);

          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "seed: record %u of %s: %s", i, table->name, text);
          return FALSE;
        }

      record = emu_table_insert (table, changes, id);
      if (created != NULL)
        emu_parse_time (created, &record->created_at);
      if (updated != NULL)
        emu_parse_time (updated, &record->updated_at);
      else
        record->updated_at = record->created_at;
      if (table->dialect == EMU_DIALECT_CLASSIC)
        emu_table_set_archived (record, member_bool (seed, "is_archived"));
      record->version = 1;
    }
  return TRUE;
}

static EmuField *
classic_field (JsonObject *seed)
{
  static const char *const skip[] = { "id", "key", "name", "type", "is_required", "is_unique",
                                      "list_values", "source_group_id", NULL };
  EmuField *field = g_new0 (EmuField, 1);
  JsonArray *values = json_object_has_member (seed, "list_values") ?
                      json_object_get_array_member (seed, "list_values") : NULL;

  field->key = member_text (seed, "key");
  field->num_id = json_object_get_int_member_with_default (seed, "id", 0);
  field->name = g_strdup (json_object_get_string_member_with_default (seed, "name", field->key));
  field->type = g_strdup (json_object_get_string_member_with_default (seed, "type", "text"));
  field->required = member_bool (seed, "is_required");
  field->unique = member_bool (seed, "is_unique");
  field->link_table = member_text (seed, "source_group_id");
  field->kind = field->link_table != NULL ? EMU_FIELD_LINK : EMU_FIELD_PLAIN;
  if (values != NULL)
    {
      field->kind = EMU_FIELD_LIST;
      field->options = g_ptr_array_new_with_free_func ((GDestroyNotify) option_free);
      for (guint i = 0; i < json_array_get_length (values); i++)
        {
          JsonObject *value = json_array_get_object_element (values, i);
          EmuOption *option = g_new0 (EmuOption, 1);

          option->id = member_text (value, "id");
          option->label = g_strdup (emu_member_string (value, "value") != NULL ?
                                    emu_member_string (value, "value") :
                                    emu_member_string (value, "display_name"));
          g_ptr_array_add (field->options, option);
        }
    }
  field->extra = object_without (seed, skip);
  return field;
}

static EmuField *
pro_field (JsonObject *seed)
{
  static const char *const skip[] = { "id", "displayName", "type", "required", "unique",
                                      "options", NULL };
  EmuField *field = g_new0 (EmuField, 1);
  JsonArray *options = json_object_has_member (seed, "options") ?
                       json_object_get_array_member (seed, "options") : NULL;
  JsonObject *references = json_object_has_member (seed, "references") ?
                           json_object_get_object_member (seed, "references") : NULL;

  field->key = member_text (seed, "id");
  field->name = g_strdup (json_object_get_string_member_with_default (seed, "displayName", field->key));
  field->type = g_strdup (json_object_get_string_member_with_default (seed, "type",
                                                                       "ap://system/datatype/text"));
  field->required = member_bool (seed, "required");
  field->unique = member_bool (seed, "unique");
  field->kind = EMU_FIELD_PLAIN;
  if (references != NULL && g_strcmp0 (emu_member_string (references, "entityType"), "collection") == 0 &&
      emu_member_string (references, "columnId") == NULL)
    {
      field->kind = EMU_FIELD_LINK;
      field->link_table = member_text (references, "entityId");
    }
  if (options != NULL)
    {
      field->kind = EMU_FIELD_LIST;
      field->options = g_ptr_array_new_with_free_func ((GDestroyNotify) option_free);
      for (guint i = 0; i < json_array_get_length (options); i++)
        {
          JsonObject *value = json_array_get_object_element (options, i);
          EmuOption *option = g_new0 (EmuOption, 1);

          option->id = member_text (value, "id");
          option->label = g_strdup (emu_member_string (value, "displayName"));
          g_ptr_array_add (field->options, option);
        }
    }
  field->extra = object_without (seed, skip);
  return field;
}

static char **
string_list (JsonObject *object, const char *name)
{
  JsonArray *array;
  GStrvBuilder *builder;
  char **list;

  if (!json_object_has_member (object, name))
    return NULL;
  array = json_object_get_array_member (object, name);
  builder = g_strv_builder_new ();
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    g_strv_builder_add (builder, json_array_get_string_element (array, i));
  list = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return list;
}

static void
state_add_table (EmuState *state, EmuTable *table)
{
  g_ptr_array_add (state->tables, table);
  g_hash_table_insert (state->table_by_id, table->id, table);
}

static gboolean
load_classic (EmuState *state, JsonObject *classic, GError **error)
{
  static const char *const skip[] = { "groups", NULL };
  static const char *const group_skip[] = { "id", "name", "key", "fields", "objects", "statuses",
                                            "display_fields", NULL };
  JsonArray *groups = json_object_has_member (classic, "groups") ?
                      json_object_get_array_member (classic, "groups") : NULL;
  JsonArray *users;
  g_autoptr(GPtrArray) loaded = g_ptr_array_new ();
  g_autoptr(GPtrArray) loaded_tables = g_ptr_array_new ();

  state->classic = object_without (classic, skip);
  if (!json_object_has_member (state->classic, "users"))
    json_object_set_array_member (state->classic, "users", json_array_new ());
  if (!json_object_has_member (state->classic, "templates"))
    json_object_set_array_member (state->classic, "templates", json_array_new ());
  if (!json_object_has_member (state->classic, "clients"))
    json_object_set_array_member (state->classic, "clients", json_array_new ());
  if (!json_object_has_member (state->classic, "account"))
    json_object_set_object_member (state->classic, "account", json_object_new ());

  users = json_object_get_array_member (state->classic, "users");
  state->next_user_id = 1000001;
  for (guint i = 0; i < json_array_get_length (users); i++)
    {
      gint64 id = json_object_get_int_member_with_default (json_array_get_object_element (users, i),
                                                           "id", 0);

      state->next_user_id = MAX (state->next_user_id, id + 1);
    }

  for (guint i = 0; groups != NULL && i < json_array_get_length (groups); i++)
    {
      JsonObject *seed = json_array_get_object_element (groups, i);
      JsonArray *fields = json_object_has_member (seed, "fields") ?
                          json_object_get_array_member (seed, "fields") : NULL;
      EmuTable *table = table_new (state, EMU_DIALECT_CLASSIC);

      table->id = member_text (seed, "id");
      table->name = g_strdup (json_object_get_string_member_with_default (seed, "name", ""));
      table->key = g_strdup (json_object_get_string_member_with_default (seed, "key", ""));
      table->extra = object_without (seed, group_skip);
      table->display_keys = string_list (seed, "display_fields");
      table->statuses = json_object_has_member (seed, "statuses") ?
                        json_array_ref (json_object_get_array_member (seed, "statuses")) :
                        json_array_new ();
      table_add_index (table, AD_SID_KEY);
      for (guint j = 0; fields != NULL && j < json_array_get_length (fields); j++)
        table_add_field (table, classic_field (json_array_get_object_element (fields, j)));

      if (table->id == NULL || g_hash_table_contains (state->table_by_id, table->id))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "seed: group %u has no id or a duplicate one", i);
          table_free (table);
          return FALSE;
        }
      state_add_table (state, table);
      g_ptr_array_add (loaded, seed);
      g_ptr_array_add (loaded_tables, table);
    }

  for (guint i = 0; i < loaded->len; i++)
    {
      JsonObject *seed = g_ptr_array_index (loaded, i);
      EmuTable *table = g_ptr_array_index (loaded_tables, i);

      if (!load_records (table, json_object_has_member (seed, "objects") ?
                         json_object_get_array_member (seed, "objects") : NULL, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
load_pro (EmuState *state, JsonObject *pro, GError **error)
{
  static const char *const collection_skip[] = { "id", "displayName", "columns", "records",
                                                  "display_columns", NULL };
  JsonArray *accounts;
  g_autoptr(GPtrArray) loaded = g_ptr_array_new ();

  state->pro = object_deep_copy (pro);
  if (!json_object_has_member (state->pro, "accounts"))
    json_object_set_array_member (state->pro, "accounts", json_array_new ());
  if (!json_object_has_member (state->pro, "keys"))
    json_object_set_array_member (state->pro, "keys", json_array_new ());

  accounts = json_object_get_array_member (state->pro, "accounts");
  for (guint a = 0; a < json_array_get_length (accounts); a++)
    {
      JsonObject *account = json_array_get_object_element (accounts, a);
      JsonArray *modules = json_object_has_member (account, "modules") ?
                           json_object_get_array_member (account, "modules") : NULL;

      for (guint m = 0; modules != NULL && m < json_array_get_length (modules); m++)
        {
          JsonObject *module = json_array_get_object_element (modules, m);
          JsonArray *collections = json_object_has_member (module, "collections") ?
                                   json_object_get_array_member (module, "collections") : NULL;

          for (const char *const *k = (const char *const[]) { "roles", "users", NULL }; *k; k++)
            if (!json_object_has_member (module, *k))
              json_object_set_array_member (module, *k, json_array_new ());

          for (guint c = 0; collections != NULL && c < json_array_get_length (collections); c++)
            {
              JsonObject *seed = json_array_get_object_element (collections, c);
              JsonArray *columns = json_object_has_member (seed, "columns") ?
                                   json_object_get_array_member (seed, "columns") : NULL;
              EmuTable *table = table_new (state, EMU_DIALECT_PRO);

              table->id = member_text (seed, "id");
              table->name = g_strdup (json_object_get_string_member_with_default (seed, "displayName", ""));
              table->account_id = member_text (account, "id");
              table->module_id = member_text (module, "id");
              table->extra = object_without (seed, collection_skip);
              table->display_keys = string_list (seed, "display_columns");
              for (guint j = 0; columns != NULL && j < json_array_get_length (columns); j++)
                table_add_field (table, pro_field (json_array_get_object_element (columns, j)));
              table->column_seq = columns != NULL ? json_array_get_length (columns) : 0;

              if (table->id == NULL || g_hash_table_contains (state->table_by_id, table->id))
                {
                  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "seed: collection %u of module %u has no id or a duplicate one", c, m);
                  table_free (table);
                  return FALSE;
                }
              state_add_table (state, table);
              g_ptr_array_add (loaded, json_object_ref (seed));
            }
          json_object_remove_member (module, "collections");
        }
    }

  for (guint i = 0; i < loaded->len; i++)
    {
      JsonObject *seed = g_ptr_array_index (loaded, i);
      g_autofree char *id = member_text (seed, "id");
      EmuTable *table = emu_state_table (state, EMU_DIALECT_PRO, id);
      gboolean ok = load_records (table, json_object_has_member (seed, "records") ?
                                  json_object_get_array_member (seed, "records") : NULL, error);

      json_object_unref (seed);
      g_ptr_array_index (loaded, i) = NULL;
      if (!ok)
        {
          for (guint j = i + 1; j < loaded->len; j++)
            json_object_unref (g_ptr_array_index (loaded, j));
          return FALSE;
        }
    }
  return TRUE;
}

EmuState *
emu_state_new_from_json (JsonNode *seed, guint32 random_seed, GError **error)
{
  g_autoptr(JsonNode) copy = NULL;
  JsonObject *root;
  EmuState *state;

  if (seed == NULL || !JSON_NODE_HOLDS_OBJECT (seed))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "seed: the top level is not an object");
      return NULL;
    }

  copy = node_deep_copy (seed);
  root = json_node_get_object (copy);
  if (!json_object_has_member (root, "classic"))
    json_object_set_object_member (root, "classic", json_object_new ());
  if (!json_object_has_member (root, "pro"))
    json_object_set_object_member (root, "pro", json_object_new ());
  state = g_new0 (EmuState, 1);
  state->rand = g_rand_new_with_seed (random_seed);
  state->tables = g_ptr_array_new_with_free_func ((GDestroyNotify) table_free);
  state->table_by_id = g_hash_table_new (g_str_hash, g_str_equal);

  if (!load_classic (state, json_object_get_object_member (root, "classic"), error) ||
      !load_pro (state, json_object_get_object_member (root, "pro"), error))
    {
      emu_state_free (state);
      return NULL;
    }
  return state;
}

void
emu_state_free (EmuState *state)
{
  if (state == NULL)
    return;
  g_clear_pointer (&state->classic, json_object_unref);
  g_clear_pointer (&state->pro, json_object_unref);
  g_clear_pointer (&state->table_by_id, g_hash_table_unref);
  g_clear_pointer (&state->tables, g_ptr_array_unref);
  g_clear_pointer (&state->rand, g_rand_free);
  g_free (state);
}

EmuTable *
emu_state_table (EmuState *state, EmuDialect dialect, const char *id)
{
  EmuTable *table = id != NULL ? g_hash_table_lookup (state->table_by_id, id) : NULL;

  return table != NULL && table->dialect == dialect ? table : NULL;
}

/* ---------------------------------------------------------------- dump */

static JsonNode *
dump_field (EmuField *field, EmuDialect dialect)
{
  JsonObject *object = json_object_new ();

  if (dialect == EMU_DIALECT_CLASSIC)
    {
      json_object_set_int_member (object, "id", field->num_id);
      json_object_set_string_member (object, "key", field->key);
      json_object_set_string_member (object, "name", field->name);
      json_object_set_string_member (object, "type", field->type);
      json_object_set_boolean_member (object, "is_required", field->required);
      json_object_set_boolean_member (object, "is_unique", field->unique);
      if (field->link_table != NULL)
        json_object_set_int_member (object, "source_group_id", g_ascii_strtoll (field->link_table, NULL, 10));
    }
  else
    {
      json_object_set_string_member (object, "id", field->key);
      json_object_set_string_member (object, "displayName", field->name);
      json_object_set_string_member (object, "type", field->type);
      json_object_set_boolean_member (object, "required", field->required);
      json_object_set_boolean_member (object, "unique", field->unique);
    }
  if (field->options != NULL)
    {
      JsonArray *options = json_array_new ();

      for (guint i = 0; i < field->options->len; i++)
        {
          EmuOption *option = g_ptr_array_index (field->options, i);
          JsonObject *item = json_object_new ();

          if (dialect == EMU_DIALECT_CLASSIC)
            {
              json_object_set_int_member (item, "id", g_ascii_strtoll (option->id, NULL, 10));
              json_object_set_string_member (item, "value", option->label);
            }
          else
            {
              json_object_set_string_member (item, "id", option->id);
              json_object_set_string_member (item, "displayName", option->label);
            }
          json_array_add_object_element (options, item);
        }
      json_object_set_array_member (object, dialect == EMU_DIALECT_CLASSIC ? "list_values" : "options",
                                    options);
    }
  object_merge (object, field->extra);
  return emu_object_node (object);
}

static JsonNode *
dump_record (EmuRecord *record)
{
  JsonObject *object = json_object_new ();
  g_autofree char *created = emu_format_time (record->created_at);
  g_autofree char *updated = emu_format_time (record->updated_at);

  json_object_set_string_member (object, "id", record->id);
  if (record->table->dialect == EMU_DIALECT_CLASSIC)
    {
      json_object_set_object_member (object, "data", object_deep_copy (record->values));
      if (record->ad_sid != NULL)
        json_object_set_string_member (object, AD_SID_KEY, record->ad_sid);
      else
        json_object_set_null_member (object, AD_SID_KEY);
      json_object_set_boolean_member (object, "is_archived", record->archived);
      json_object_set_string_member (object, "created_at", created);
      json_object_set_string_member (object, "updated_at", updated);
    }
  else
    {
      object_merge (object, record->values);
      json_object_set_string_member (object, "createdAt", created);
      json_object_set_string_member (object, "updatedAt", updated);
    }
  return emu_object_node (object);
}

static JsonNode *
dump_table (EmuTable *table)
{
  JsonObject *object = json_object_new ();
  JsonArray *fields = json_array_new ();
  JsonArray *records = json_array_new ();
  gboolean classic = table->dialect == EMU_DIALECT_CLASSIC;

  if (classic)
    {
      json_object_set_int_member (object, "id", g_ascii_strtoll (table->id, NULL, 10));
      json_object_set_string_member (object, "name", table->name);
      json_object_set_string_member (object, "key", table->key);
    }
  else
    {
      json_object_set_string_member (object, "id", table->id);
      json_object_set_string_member (object, "displayName", table->name);
    }
  object_merge (object, table->extra);
  if (table->display_keys != NULL)
    {
      JsonArray *keys = json_array_new ();

      for (guint i = 0; table->display_keys[i] != NULL; i++)
        json_array_add_string_element (keys, table->display_keys[i]);
      json_object_set_array_member (object, classic ? "display_fields" : "display_columns", keys);
    }
  if (classic)
    json_object_set_array_member (object, "statuses", array_deep_copy (table->statuses));
  for (guint i = 0; i < table->fields->len; i++)
    json_array_add_element (fields, dump_field (g_ptr_array_index (table->fields, i), table->dialect));
  json_object_set_array_member (object, classic ? "fields" : "columns", fields);
  for (guint i = 0; i < table->records->len; i++)
    json_array_add_element (records, dump_record (g_ptr_array_index (table->records, i)));
  json_object_set_array_member (object, classic ? "objects" : "records", records);
  return emu_object_node (object);
}

JsonNode *
emu_state_dump (EmuState *state)
{
  JsonObject *root = json_object_new ();
  JsonObject *classic = object_deep_copy (state->classic);
  JsonObject *pro = object_deep_copy (state->pro);
  JsonArray *groups = json_array_new ();
  JsonArray *accounts = json_object_get_array_member (pro, "accounts");

  for (guint i = 0; i < state->tables->len; i++)
    {
      EmuTable *table = g_ptr_array_index (state->tables, i);

      if (table->dialect == EMU_DIALECT_CLASSIC)
        {
          json_array_add_element (groups, dump_table (table));
          continue;
        }
      for (guint a = 0; a < json_array_get_length (accounts); a++)
        {
          JsonObject *account = json_array_get_object_element (accounts, a);
          JsonArray *modules = json_object_has_member (account, "modules") ?
                               json_object_get_array_member (account, "modules") : NULL;

          if (g_strcmp0 (emu_member_string (account, "id"), table->account_id) != 0)
            continue;
          for (guint m = 0; modules != NULL && m < json_array_get_length (modules); m++)
            {
              JsonObject *module = json_array_get_object_element (modules, m);

              if (g_strcmp0 (emu_member_string (module, "id"), table->module_id) != 0)
                continue;
              if (!json_object_has_member (module, "collections"))
                json_object_set_array_member (module, "collections", json_array_new ());
              json_array_add_element (json_object_get_array_member (module, "collections"),
                                      dump_table (table));
            }
        }
    }

  json_object_set_array_member (classic, "groups", groups);
  json_object_set_object_member (root, "classic", classic);
  json_object_set_object_member (root, "pro", pro);
  return emu_object_node (root);
}
