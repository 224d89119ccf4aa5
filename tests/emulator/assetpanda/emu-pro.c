/* emu-pro.c — the Pro dialect (api.assetpanda.app)
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shapes follow the reference notes (assetpanda-api.md) §7 and the
 * contract's provisional endpoints (roles, users, invite).
 */

#include <string.h>

#include "emu-private.h"

#define DEFAULT_SIZE 10
#define MAX_SIZE     100

/* ---------------------------------------------------------------- helpers */

/* {"data": payload}; takes @payload. */
static JsonNode *
data_node (JsonNode *payload)
{
  JsonObject *root = json_object_new ();

  json_object_set_member (root, "data", payload);
  return emu_object_node (root);
}

/* {"data": {name: payload}}; takes @payload. */
static JsonNode *
data_member_node (const char *name, JsonNode *payload)
{
  JsonObject *inner = json_object_new ();

  json_object_set_member (inner, name, payload);
  return data_node (emu_object_node (inner));
}

static JsonNode *
copy_object_node (JsonObject *object, const char *const *skip)
{
  JsonObject *copy = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    if (skip == NULL || !g_strv_contains (skip, name))
      json_object_set_member (copy, name, json_node_copy (node));
  return emu_object_node (copy);
}

/* A list answer: {"data": [...]} or, with pro_bare_lists, the bare array. */
static void
reply_list (EmuRequest *req, JsonArray *list)
{
  JsonNode *node = emu_array_node (list);

  if (emu_server_switches (req->server)->pro_bare_lists)
    emu_reply (req, SOUP_STATUS_OK, node);
  else
    emu_reply (req, SOUP_STATUS_OK, data_node (node));
}

static JsonArray *
accounts (EmuState *state)
{
  return json_object_get_array_member (state->pro, "accounts");
}

static JsonObject *
find_by_id (JsonArray *list, const char *id)
{
  for (guint i = 0; list != NULL && id != NULL && i < json_array_get_length (list); i++)
    {
      JsonObject *item = json_array_get_object_element (list, i);

      if (g_strcmp0 (emu_member_string (item, "id"), id) == 0)
        return item;
    }
  return NULL;
}

static JsonObject *
find_module (EmuState *state, const char *account_id, const char *module_id)
{
  JsonObject *account = find_by_id (accounts (state), account_id);

  return account != NULL ? find_by_id (emu_member_array (account, "modules"), module_id) : NULL;
}

/* Every module of every account, for lookups by user id. */
static GPtrArray *
all_modules (EmuState *state)
{
  GPtrArray *modules = g_ptr_array_new ();
  JsonArray *list = accounts (state);

  for (guint a = 0; a < json_array_get_length (list); a++)
    {
      JsonArray *mods = emu_member_array (json_array_get_object_element (list, a), "modules");

      for (guint m = 0; mods != NULL && m < json_array_get_length (mods); m++)
        g_ptr_array_add (modules, json_array_get_object_element (mods, m));
    }
  return modules;
}

static JsonArray *
error_list (const char *field, const char *message)
{
  JsonArray *errors = json_array_new ();
  JsonObject *item = json_object_new ();

  if (field != NULL)
    json_object_set_string_member (item, "field", field);
  json_object_set_string_member (item, "message", message);
  json_array_add_object_element (errors, item);
  return errors;
}

/* ---------------------------------------------------------------- auth */

static JsonObject *
authenticate (EmuRequest *req)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (req->msg);
  const char *key_id = soup_message_headers_get_one (headers, "Access-Key-Id");
  const char *key_secret = soup_message_headers_get_one (headers, "Access-Key-Secret");
  JsonArray *keys = json_object_get_array_member (emu_server_state (req->server)->pro, "keys");

  for (guint i = 0; key_id != NULL && key_secret != NULL && i < json_array_get_length (keys); i++)
    {
      JsonObject *key = json_array_get_object_element (keys, i);

      if (g_strcmp0 (emu_member_string (key, "key_id"), key_id) == 0 &&
          g_strcmp0 (emu_member_string (key, "key_secret"), key_secret) == 0)
        return key;
    }

  emu_reply_auth_error (req, key_id == NULL || key_secret == NULL ?
                        "Unauthorized: send the Access-Key-Id and Access-Key-Secret headers" :
                        "Unauthorized: invalid Access-Key-Id or Access-Key-Secret");
  return NULL;
}

static gboolean
may_manage_users (EmuRequest *req, JsonObject *key)
{
  if (emu_server_client_granular (req->server, emu_member_string (key, "key_id")))
    return TRUE;
  emu_reply_error (req, SOUP_STATUS_FORBIDDEN,
                   "This API key has no permission to manage users; "
                   "ask Asset Panda support to enable the granular permissions", NULL);
  return FALSE;
}

/* ---------------------------------------------------------------- tenant */

static JsonObject *
require_module (EmuRequest *req, const char *account_id, const char *module_id)
{
  JsonObject *module;

  if (account_id == NULL || module_id == NULL)
    {
      emu_reply_error (req, SOUP_STATUS_BAD_REQUEST, "accountId and moduleId are required", NULL);
      return NULL;
    }
  module = find_module (emu_server_state (req->server), account_id, module_id);
  if (module == NULL)
    emu_reply_error (req, SOUP_STATUS_NOT_FOUND, "Account or module not found", NULL);
  return module;
}

static EmuTable *
require_collection (EmuRequest *req, const char *account_id, const char *module_id, const char *collection_id)
{
  EmuTable *table;

  if (account_id == NULL || module_id == NULL || collection_id == NULL)
    {
      emu_reply_error (req, SOUP_STATUS_BAD_REQUEST, "accountId, moduleId and collectionId are required", NULL);
      return NULL;
    }
  table = emu_state_table (emu_server_state (req->server), EMU_DIALECT_PRO, collection_id);
  if (table == NULL || g_strcmp0 (table->account_id, account_id) != 0 ||
      g_strcmp0 (table->module_id, module_id) != 0)
    {
      emu_reply_error (req, SOUP_STATUS_NOT_FOUND, "Collection not found", NULL);
      return NULL;
    }
  return table;
}

/* The collection named by a records body: tenant + collectionId. */
static EmuTable *
body_collection (EmuRequest *req, JsonObject *body)
{
  JsonObject *tenant = emu_member_object (body, "tenant");

  if (body == NULL)
    {
      emu_reply_error (req, SOUP_STATUS_BAD_REQUEST, "Send a JSON body with tenant and collectionId", NULL);
      return NULL;
    }
  return require_collection (req, emu_member_string (tenant, "accountId"), emu_member_string (tenant, "moduleId"),
                             emu_member_string (body, "collectionId"));
}

/* ---------------------------------------------------------------- rendering */

static JsonObject *
render_record (EmuRecord *record)
{
  EmuTable *table = record->table;
  JsonObject *object = json_object_new ();
  g_autofree char *created = emu_format_time (record->created_at);
  g_autofree char *updated = emu_format_time (record->updated_at);

  json_object_set_string_member (object, "id", record->id);
  for (guint i = 0; i < table->fields->len; i++)
    {
      EmuField *field = g_ptr_array_index (table->fields, i);
      JsonNode *stored = json_object_get_member (record->values, field->key);

      if (stored == NULL)
        continue;
      if (field->kind == EMU_FIELD_PLAIN)
        json_object_set_member (object, field->key, json_node_copy (stored));
      else
        {
          JsonObject *value = json_object_new ();
          g_autofree char *text = emu_record_text (record, field);

          json_object_set_member (value, "id", json_node_copy (stored));
          json_object_set_string_member (value, "displayName", text);
          json_object_set_object_member (object, field->key, value);
        }
    }
  json_object_set_string_member (object, "createdAt", created);
  json_object_set_string_member (object, "updatedAt", updated);
  return object;
}

static JsonObject *
render_collection (EmuTable *table)
{
  JsonObject *object = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_set_string_member (object, "id", table->id);
  json_object_set_string_member (object, "displayName", table->name);
  json_object_set_boolean_member (object, "isActive", TRUE);
  json_object_set_boolean_member (object, "deleted", FALSE);
  json_object_iter_init_ordered (&iter, table->extra);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    json_object_set_member (object, name, json_node_copy (node));
  json_object_set_string_member (object, "accountId", table->account_id);
  json_object_set_string_member (object, "moduleId", table->module_id);
  return object;
}

static JsonObject *
render_column (EmuField *field)
{
  JsonObject *object = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_set_string_member (object, "id", field->key);
  json_object_set_string_member (object, "type", field->type);
  json_object_set_string_member (object, "displayName", field->name);
  json_object_set_boolean_member (object, "required", field->required);
  json_object_set_boolean_member (object, "unique", field->unique);
  if (field->options != NULL)
    {
      JsonArray *options = json_array_new ();

      for (guint i = 0; i < field->options->len; i++)
        {
          EmuOption *option = g_ptr_array_index (field->options, i);
          JsonObject *item = json_object_new ();

          json_object_set_string_member (item, "id", option->id);
          json_object_set_string_member (item, "displayName", option->label);
          json_array_add_object_element (options, item);
        }
      json_object_set_array_member (object, "options", options);
    }
  json_object_iter_init_ordered (&iter, field->extra);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    json_object_set_member (object, name, json_node_copy (node));
  return object;
}

/* ---------------------------------------------------------------- discovery */

static void
handle_accounts (EmuRequest *req)
{
  static const char *const skip[] = { "modules", NULL };
  JsonArray *list = accounts (emu_server_state (req->server));
  JsonArray *out = json_array_new ();

  for (guint i = 0; i < json_array_get_length (list); i++)
    json_array_add_element (out, copy_object_node (json_array_get_object_element (list, i), skip));
  reply_list (req, out);
}

static void
handle_modules (EmuRequest *req)
{
  static const char *const skip[] = { "roles", "users", NULL };
  const char *account_id = emu_request_query (req, "accountId");
  JsonObject *account = find_by_id (accounts (emu_server_state (req->server)), account_id);
  JsonArray *modules;
  JsonArray *out;

  if (account_id == NULL)
    {
      emu_reply_error (req, SOUP_STATUS_BAD_REQUEST, "accountId is required", NULL);
      return;
    }
  if (account == NULL)
    {
      emu_reply_error (req, SOUP_STATUS_NOT_FOUND, "Account not found", NULL);
      return;
    }
  modules = emu_member_array (account, "modules");
  out = json_array_new ();
  for (guint i = 0; modules != NULL && i < json_array_get_length (modules); i++)
    {
      JsonNode *node = copy_object_node (json_array_get_object_element (modules, i), skip);

      json_object_set_string_member (json_node_get_object (node), "accountId", account_id);
      json_array_add_element (out, node);
    }
  reply_list (req, out);
}

static void
handle_collections (EmuRequest *req)
{
  const char *account_id = emu_request_query (req, "accountId");
  const char *module_id = emu_request_query (req, "moduleId");
  EmuState *state = emu_server_state (req->server);
  JsonArray *out;

  if (require_module (req, account_id, module_id) == NULL)
    return;
  out = json_array_new ();
  for (guint i = 0; i < state->tables->len; i++)
    {
      EmuTable *table = g_ptr_array_index (state->tables, i);

      if (table->dialect == EMU_DIALECT_PRO && g_str_equal (table->account_id, account_id) &&
          g_str_equal (table->module_id, module_id))
        json_array_add_object_element (out, render_collection (table));
    }
  reply_list (req, out);
}

static void
handle_columns (EmuRequest *req)
{
  EmuTable *table = require_collection (req, emu_request_query (req, "accountId"),
                                        emu_request_query (req, "moduleId"),
                                        emu_request_query (req, "collectionId"));
  JsonObject *columns;
  JsonArray *all;

  if (table == NULL)
    return;
  all = json_array_new ();
  for (guint i = 0; i < table->fields->len; i++)
    json_array_add_object_element (all, render_column (g_ptr_array_index (table->fields, i)));
  columns = json_object_new ();
  json_object_set_array_member (columns, "all", all);
  emu_reply (req, SOUP_STATUS_OK, data_member_node ("columns", emu_object_node (columns)));
}

static void
handle_one (EmuRequest *req, const char *kind, const char *id)
{
  static const char *const account_skip[] = { "modules", NULL };
  static const char *const module_skip[] = { "roles", "users", NULL };
  EmuState *state = emu_server_state (req->server);
  JsonNode *found = NULL;

  if (g_str_equal (kind, "account"))
    {
      JsonObject *account = find_by_id (accounts (state), id);

      if (account != NULL)
        found = copy_object_node (account, account_skip);
    }
  else if (g_str_equal (kind, "module"))
    {
      g_autoptr(GPtrArray) modules = all_modules (state);

      for (guint i = 0; i < modules->len && found == NULL; i++)
        if (g_strcmp0 (emu_member_string (g_ptr_array_index (modules, i), "id"), id) == 0)
          found = copy_object_node (g_ptr_array_index (modules, i), module_skip);
    }
  else
    {
      EmuTable *table = emu_state_table (state, EMU_DIALECT_PRO, id);

      if (table != NULL)
        found = emu_object_node (render_collection (table));
    }

  if (found == NULL)
    emu_reply_error (req, SOUP_STATUS_NOT_FOUND, "Not found", NULL);
  else
    emu_reply (req, SOUP_STATUS_OK, data_node (found));
}

/* ---------------------------------------------------------------- search */

typedef struct {
  gboolean   any;          /* matchType Any */
  GPtrArray *fields;       /* EmuField*, NULL entry = the record id */
  GPtrArray *values;       /* folded text */
  GArray    *equals;       /* gboolean per filter: equals, else contains */
} Selection;

static void
selection_clear (Selection *selection)
{
  g_clear_pointer (&selection->fields, g_ptr_array_unref);
  g_clear_pointer (&selection->values, g_ptr_array_unref);
  g_clear_pointer (&selection->equals, g_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Selection, selection_clear)

static gboolean
filter_matches (EmuRecord *record, EmuField *field, const char *want, gboolean equals)
{
  g_autofree char *text = field != NULL ? emu_record_text (record, field) : g_strdup (record->id);
  g_autofree char *raw = field != NULL ? emu_node_text (json_object_get_member (record->values, field->key)) : NULL;
  g_autofree char *folded = text != NULL ? g_utf8_casefold (text, -1) : g_strdup ("");
  g_autofree char *folded_raw = raw != NULL ? g_utf8_casefold (raw, -1) : NULL;

  if (equals)
    return g_str_equal (folded, want) || (folded_raw != NULL && g_str_equal (folded_raw, want));
  return strstr (folded, want) != NULL;
}

static gboolean
selection_match (EmuRecord *record, gpointer data)
{
  Selection *selection = data;

  if (selection->fields->len == 0)
    return TRUE;
  for (guint i = 0; i < selection->fields->len; i++)
    {
      gboolean hit = filter_matches (record, g_ptr_array_index (selection->fields, i),
                                     g_ptr_array_index (selection->values, i),
                                     g_array_index (selection->equals, gboolean, i));

      if (hit && selection->any)
        return TRUE;
      if (!hit && !selection->any)
        return FALSE;
    }
  return !selection->any;
}

static gboolean
selection_parse (EmuRequest *req, EmuTable *table, JsonObject *body, Selection *selection)
{
  JsonObject *input = emu_member_object (emu_member_object (body, "searchInput"), "selection");
  JsonArray *filters = emu_member_array (input, "filters");
  const char *match_type = emu_member_string (input, "matchType");

  selection->fields = g_ptr_array_new ();
  selection->values = g_ptr_array_new_with_free_func (g_free);
  selection->equals = g_array_new (FALSE, FALSE, sizeof (gboolean));
  if (match_type != NULL && g_ascii_strcasecmp (match_type, "All") != 0 && g_ascii_strcasecmp (match_type, "Any") != 0)
    {
      emu_reply_error (req, SOUP_STATUS_BAD_REQUEST, "matchType must be All or Any", NULL);
      return FALSE;
    }
  selection->any = match_type != NULL && g_ascii_strcasecmp (match_type, "Any") == 0;

  for (guint i = 0; filters != NULL && i < json_array_get_length (filters); i++)
    {
      JsonNode *node = json_array_get_element (filters, i);
      JsonObject *filter = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *field_id = emu_member_string (filter, "field");
      const char *operator = emu_member_string (filter, "operator");
      g_autofree char *value = filter != NULL ? emu_node_text (json_object_get_member (filter, "value")) : NULL;
      EmuField *field = field_id != NULL ? emu_table_field (table, field_id) : NULL;
      gboolean equals;

      if (field == NULL && g_strcmp0 (field_id, "id") != 0)
        {
          g_autofree char *message = g_strdup_printf ("Unknown column %s", field_id != NULL ? field_id : "(none)");

          emu_reply_error (req, SOUP_STATUS_BAD_REQUEST, message, error_list (field_id, "is not a column"));
          return FALSE;
        }
      if (g_strcmp0 (operator, "contains") != 0 && g_strcmp0 (operator, "equals") != 0)
        {
          emu_reply_error (req, SOUP_STATUS_BAD_REQUEST, "Unsupported operator: use contains or equals",
                           error_list (field_id, "unsupported operator"));
          return FALSE;
        }
      equals = g_str_equal (operator, "equals");
      g_ptr_array_add (selection->fields, field);
      g_ptr_array_add (selection->values, g_utf8_casefold (value != NULL ? value : "", -1));
      g_array_append_val (selection->equals, equals);
    }
  return TRUE;
}

static gint64
member_count (JsonObject *object, const char *name, gint64 fallback)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return fallback;
  return MAX (0, json_node_get_int (node));
}

static void
handle_search (EmuRequest *req)
{
  JsonObject *body = emu_request_object (req);
  EmuTable *table = body_collection (req, body);
  JsonObject *pagination = emu_member_object (body, "pagination");
  gint64 from = member_count (pagination, "from", 0);
  gint64 size = CLAMP (member_count (pagination, "size", DEFAULT_SIZE), 1, MAX_SIZE);
  g_auto(Selection) selection = { 0 };
  g_autoptr(GPtrArray) own = NULL;
  GPtrArray *matches = NULL;
  JsonObject *data;
  JsonArray *records;

  if (table == NULL || !selection_parse (req, table, body, &selection))
    return;

  if (selection.fields->len == 0)
    matches = table->records;
  else if (!selection.any)
    {
      /* An equals filter on the id or a unique column is one lookup. */
      for (guint i = 0; i < selection.fields->len && matches == NULL; i++)
        {
          EmuField *field = g_ptr_array_index (selection.fields, i);
          const char *want = g_ptr_array_index (selection.values, i);
          EmuRecord *record;

          if (!g_array_index (selection.equals, gboolean, i))
            continue;
          if (field == NULL)
            {
              /* Ids are upper case; the filter value was folded. */
              g_autofree char *id = g_ascii_strup (want, -1);

              record = emu_table_record (table, id);
            }
          else if (emu_table_is_indexed (table, field->key))
            record = emu_table_find_unique (table, field->key, want);
          else
            continue;
          own = g_ptr_array_new ();
          if (record != NULL && selection_match (record, &selection))
            g_ptr_array_add (own, record);
          matches = own;
        }
    }
  if (matches == NULL)
    {
      JsonNode *input = json_object_get_member (body, "searchInput");
      g_autofree char *cache_key = input != NULL ? json_to_string (input, FALSE) : g_strdup ("");

      matches = emu_table_matches (table, cache_key, selection_match, &selection);
    }

  records = json_array_new ();
  for (gint64 i = from; i < matches->len && i < from + size; i++)
    json_array_add_object_element (records, render_record (g_ptr_array_index (matches, i)));

  data = json_object_new ();
  json_object_set_array_member (data, "records", records);
  if (!emu_server_switches (req->server)->omit_totals)
    {
      JsonObject *page = json_object_new ();

      json_object_set_int_member (page, "from", from);
      json_object_set_int_member (page, "size", size);
      json_object_set_int_member (page, "total", matches->len);
      json_object_set_object_member (data, "pagination", page);
    }
  emu_reply (req, SOUP_STATUS_OK, data_node (emu_object_node (data)));
}

static void
handle_get_record (EmuRequest *req, const char *id)
{
  EmuTable *table = require_collection (req, emu_request_query (req, "accountId"),
                                        emu_request_query (req, "moduleId"),
                                        emu_request_query (req, "collectionId"));
  EmuRecord *record;

  if (table == NULL)
    return;
  record = emu_table_record (table, id);
  if (record == NULL)
    emu_reply_error (req, SOUP_STATUS_NOT_FOUND, "Record not found", NULL);
  else
    emu_reply (req, SOUP_STATUS_OK, data_node (emu_object_node (render_record (record))));
}

/* ---------------------------------------------------------------- writes */

static JsonObject *
result_new (guint index, const char *id)
{
  JsonObject *result = json_object_new ();

  json_object_set_int_member (result, "index", index);
  if (id != NULL)
    json_object_set_string_member (result, "id", id);
  return result;
}

static void
result_set (JsonObject *result, gboolean success, JsonArray *errors)
{
  json_object_set_boolean_member (result, "success", success);
  json_object_set_array_member (result, "errors", errors != NULL ? errors : json_array_new ());
}

/* Turns emu_table_check's {key: [messages]} into [{field, message}]. */
static JsonArray *
convert_errors (JsonObject *errors)
{
  JsonArray *list = json_array_new ();
  JsonObjectIter iter;
  const char *key;
  JsonNode *node;

  json_object_iter_init_ordered (&iter, errors);
  while (json_object_iter_next_ordered (&iter, &key, &node))
    {
      JsonArray *messages = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (messages); i++)
        {
          JsonObject *item = json_object_new ();

          json_object_set_string_member (item, "field", key);
          json_object_set_string_member (item, "message", json_array_get_string_element (messages, i));
          json_array_add_object_element (list, item);
        }
    }
  return list;
}

static JsonObject *
record_changes (JsonObject *item)
{
  static const char *const skip[] = { "id", "recordId", "createdAt", "updatedAt", NULL };
  JsonObject *changes = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init_ordered (&iter, item);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    if (!g_strv_contains (skip, name))
      json_object_set_member (changes, name, json_node_copy (node));
  return changes;
}

static void
reply_results (EmuRequest *req, JsonArray *results)
{
  JsonObject *data = json_object_new ();

  json_object_set_array_member (data, "records", results);
  emu_reply (req, SOUP_STATUS_OK, data_node (emu_object_node (data)));
}

static JsonArray *
body_records (EmuRequest *req, JsonObject *body)
{
  JsonArray *records = emu_member_array (body, "records");

  if (records == NULL || json_array_get_length (records) == 0)
    {
      emu_reply_error (req, SOUP_STATUS_BAD_REQUEST, "records must be a non-empty array", NULL);
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (records); i++)
    if (!JSON_NODE_HOLDS_OBJECT (json_array_get_element (records, i)))
      {
        emu_reply_error (req, SOUP_STATUS_BAD_REQUEST, "records must hold objects", NULL);
        return NULL;
      }
  return records;
}

static void
handle_create (EmuRequest *req)
{
  JsonObject *body = emu_request_object (req);
  EmuTable *table = body_collection (req, body);
  JsonArray *records = table != NULL ? body_records (req, body) : NULL;
  JsonArray *results;

  if (records == NULL)
    return;

  results = json_array_new ();
  for (guint i = 0; i < json_array_get_length (records); i++)
    {
      g_autoptr(JsonObject) changes = record_changes (json_array_get_object_element (records, i));
      g_autoptr(JsonObject) errors = json_object_new ();
      gboolean breach = FALSE;
      JsonObject *result;

      if (emu_table_check (table, NULL, changes, TRUE, NULL, errors, &breach))
        {
          EmuRecord *record = emu_table_insert (table, changes, NULL);

          result = result_new (i, record->id);
          result_set (result, TRUE, NULL);
        }
      else
        {
          result = result_new (i, NULL);
          result_set (result, FALSE, convert_errors (errors));
        }
      json_array_add_object_element (results, result);
    }
  reply_results (req, results);
}

static void
handle_update (EmuRequest *req)
{
  JsonObject *body = emu_request_object (req);
  EmuTable *table = body_collection (req, body);
  JsonArray *records = table != NULL ? body_records (req, body) : NULL;
  guint max = emu_server_switches (req->server)->pro_put_max;
  JsonArray *results;

  if (records == NULL)
    return;
  if (json_array_get_length (records) > max)
    {
      g_autofree char *message = g_strdup_printf ("At most %u records can be updated per request", max);

      emu_reply_error (req, SOUP_STATUS_BAD_REQUEST, message, error_list ("records", message));
      return;
    }
  for (guint i = 0; i < json_array_get_length (records); i++)
    if (emu_member_string (json_array_get_object_element (records, i), "recordId") == NULL)
      {
        emu_reply_error (req, SOUP_STATUS_BAD_REQUEST, "Every record needs a recordId",
                         error_list ("recordId", "is required"));
        return;
      }

  results = json_array_new ();
  for (guint i = 0; i < json_array_get_length (records); i++)
    {
      JsonObject *item = json_array_get_object_element (records, i);
      const char *id = emu_member_string (item, "recordId");
      EmuRecord *record = emu_table_record (table, id);
      g_autoptr(JsonObject) changes = record_changes (item);
      g_autoptr(JsonObject) errors = json_object_new ();
      gboolean breach = FALSE;
      JsonObject *result = result_new (i, id);

      if (record == NULL)
        result_set (result, FALSE, error_list ("recordId", "Record not found"));
      else if (!emu_table_check (table, record, changes, FALSE, NULL, errors, &breach))
        result_set (result, FALSE, convert_errors (errors));
      else
        {
          emu_table_update (record, changes);
          result_set (result, TRUE, NULL);
        }
      json_array_add_object_element (results, result);
    }
  reply_results (req, results);
}

static void
handle_delete (EmuRequest *req)
{
  JsonObject *body = emu_request_object (req);
  EmuTable *table = body_collection (req, body);
  JsonArray *ids = emu_member_array (body, "recordIds");
  JsonArray *records = emu_member_array (body, "records");
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (g_free);
  JsonArray *results;

  if (table == NULL)
    return;
  if (ids == NULL)
    ids = emu_member_array (body, "ids");
  for (guint i = 0; ids != NULL && i < json_array_get_length (ids); i++)
    g_ptr_array_add (list, emu_node_text (json_array_get_element (ids, i)));
  for (guint i = 0; ids == NULL && records != NULL && i < json_array_get_length (records); i++)
    {
      JsonNode *node = json_array_get_element (records, i);

      g_ptr_array_add (list, JSON_NODE_HOLDS_OBJECT (node) ?
                       g_strdup (emu_member_string (json_node_get_object (node), "recordId")) :
                       emu_node_text (node));
    }
  if (list->len == 0)
    {
      emu_reply_error (req, SOUP_STATUS_BAD_REQUEST, "recordIds must be a non-empty array", NULL);
      return;
    }

  results = json_array_new ();
  for (guint i = 0; i < list->len; i++)
    {
      const char *id = g_ptr_array_index (list, i);
      EmuRecord *record = emu_table_record (table, id);
      JsonObject *result = result_new (i, id);

      if (record == NULL)
        result_set (result, FALSE, error_list ("recordId", "Record not found"));
      else
        {
          emu_table_remove (table, record);
          result_set (result, TRUE, NULL);
        }
      json_array_add_object_element (results, result);
    }
  reply_results (req, results);
}

/* ---------------------------------------------------------------- roles and users (provisional) */

static void
handle_roles (EmuRequest *req)
{
  JsonObject *module = require_module (req, emu_request_query (req, "accountId"), emu_request_query (req, "moduleId"));
  JsonArray *roles;
  JsonArray *out;

  if (module == NULL)
    return;
  roles = emu_member_array (module, "roles");
  out = json_array_new ();
  for (guint i = 0; roles != NULL && i < json_array_get_length (roles); i++)
    json_array_add_element (out, copy_object_node (json_array_get_object_element (roles, i), NULL));
  emu_reply (req, SOUP_STATUS_OK, data_member_node ("roles", emu_array_node (out)));
}

static void
handle_users (EmuRequest *req)
{
  JsonObject *module = require_module (req, emu_request_query (req, "accountId"), emu_request_query (req, "moduleId"));
  JsonArray *users;
  JsonArray *out;

  if (module == NULL)
    return;
  users = emu_member_array (module, "users");
  out = json_array_new ();
  for (guint i = 0; users != NULL && i < json_array_get_length (users); i++)
    json_array_add_element (out, copy_object_node (json_array_get_object_element (users, i), NULL));
  emu_reply (req, SOUP_STATUS_OK, data_member_node ("users", emu_array_node (out)));
}

static void
handle_invite (EmuRequest *req)
{
  EmuState *state = emu_server_state (req->server);
  JsonObject *body = emu_request_object (req);
  JsonObject *tenant = emu_member_object (body, "tenant");
  JsonObject *module = require_module (req, emu_member_string (tenant, "accountId"), emu_member_string (tenant, "moduleId"));
  const char *email = emu_member_string (body, "email");
  const char *role_id = emu_member_string (body, "roleId");
  JsonArray *users;
  JsonObject *user;
  g_autofree char *id = NULL;

  if (module == NULL)
    return;
  users = emu_member_array (module, "users");
  if (email == NULL || strchr (email, '@') == NULL)
    {
      emu_reply_error (req, 422, "A valid email is required", error_list ("email", "is invalid"));
      return;
    }
  for (guint i = 0; i < json_array_get_length (users); i++)
    if (g_ascii_strcasecmp (emu_member_string (json_array_get_object_element (users, i), "email"), email) == 0)
      {
        emu_reply_error (req, 422, "A user with this email already exists in the module",
                         error_list ("email", "already exists"));
        return;
      }
  if (find_by_id (emu_member_array (module, "roles"), role_id) == NULL)
    {
      emu_reply_error (req, 422, "roleId does not name a role of the module", error_list ("roleId", "is unknown"));
      return;
    }

  id = emu_state_new_ulid (state);
  user = json_object_new ();
  json_object_set_string_member (user, "id", id);
  json_object_set_string_member (user, "email", email);
  json_object_set_string_member (user, "firstName", emu_member_string (body, "firstName") != NULL ?
                                 emu_member_string (body, "firstName") : "");
  json_object_set_string_member (user, "lastName", emu_member_string (body, "lastName") != NULL ?
                                 emu_member_string (body, "lastName") : "");
  json_object_set_string_member (user, "roleId", role_id);
  json_object_set_boolean_member (user, "isActive", TRUE);
  json_object_set_string_member (user, "status", "invited");
  json_array_add_object_element (users, user);
  emu_reply (req, emu_server_switches (req->server)->create_status,
             data_member_node ("user", copy_object_node (user, NULL)));
}

static void
handle_update_user (EmuRequest *req, const char *id)
{
  JsonObject *body = emu_request_object (req);
  g_autoptr(GPtrArray) modules = all_modules (emu_server_state (req->server));
  JsonObject *module = NULL;
  JsonObject *user = NULL;
  JsonNode *active;
  const char *role_id = emu_member_string (body, "roleId");

  for (guint i = 0; i < modules->len && user == NULL; i++)
    {
      module = g_ptr_array_index (modules, i);
      user = find_by_id (emu_member_array (module, "users"), id);
    }
  if (user == NULL)
    {
      emu_reply_error (req, SOUP_STATUS_NOT_FOUND, "User not found", NULL);
      return;
    }
  if (body == NULL)
    {
      emu_reply_error (req, SOUP_STATUS_BAD_REQUEST, "Send a JSON body", NULL);
      return;
    }
  active = json_object_get_member (body, "isActive");
  if (active != NULL && (!JSON_NODE_HOLDS_VALUE (active) || json_node_get_value_type (active) != G_TYPE_BOOLEAN))
    {
      emu_reply_error (req, 422, "isActive must be true or false", error_list ("isActive", "must be a boolean"));
      return;
    }
  if (role_id != NULL && find_by_id (emu_member_array (module, "roles"), role_id) == NULL)
    {
      emu_reply_error (req, 422, "roleId does not name a role of the module", error_list ("roleId", "is unknown"));
      return;
    }

  if (active != NULL)
    json_object_set_boolean_member (user, "isActive", json_node_get_boolean (active));
  if (role_id != NULL)
    json_object_set_string_member (user, "roleId", role_id);
  for (const char *const *k = (const char *const[]) { "firstName", "lastName", NULL }; *k; k++)
    if (emu_member_string (body, *k) != NULL)
      json_object_set_string_member (user, *k, emu_member_string (body, *k));
  emu_reply (req, SOUP_STATUS_OK, data_member_node ("user", copy_object_node (user, NULL)));
}

/* ---------------------------------------------------------------- entry point */

gboolean
emu_pro_handle (EmuRequest *req)
{
  static const char *const roots[] = { "accounts", "account", "modules", "module", "collections", "collection",
                                       "collection-columns", "collection-records", "collection-record",
                                       "categories", "roles", "users", NULL };
  const char *method = req->method;
  char **s = req->segments;
  guint n = req->n_segments;
  gboolean get = g_str_equal (method, "GET");
  JsonObject *key;

  if (n == 0 || !g_strv_contains (roots, s[0]))
    return FALSE;

  key = authenticate (req);
  if (key == NULL)
    {
      emu_request_set_route (req, "/… (unauthorized)");
      return TRUE;
    }

  if (n == 1 && get && g_str_equal (s[0], "accounts"))
    {
      emu_request_set_route (req, "/accounts");
      handle_accounts (req);
    }
  else if (n == 1 && get && g_str_equal (s[0], "modules"))
    {
      emu_request_set_route (req, "/modules");
      handle_modules (req);
    }
  else if (n == 1 && get && g_str_equal (s[0], "collections"))
    {
      emu_request_set_route (req, "/collections");
      handle_collections (req);
    }
  else if (n == 2 && get && (g_str_equal (s[0], "account") || g_str_equal (s[0], "module") ||
                             g_str_equal (s[0], "collection")))
    {
      g_autofree char *route = g_strdup_printf ("/%s/{id}", s[0]);

      emu_request_set_route (req, route);
      handle_one (req, s[0], s[1]);
    }
  else if (n == 1 && get && g_str_equal (s[0], "collection-columns"))
    {
      emu_request_set_route (req, "/collection-columns");
      handle_columns (req);
    }
  else if (n == 2 && g_str_equal (method, "POST") && g_str_equal (s[0], "collection-records") &&
           g_str_equal (s[1], "search"))
    {
      emu_request_set_route (req, "/collection-records/search");
      handle_search (req);
    }
  else if (n == 1 && g_str_equal (s[0], "collection-records") && g_str_equal (method, "POST"))
    {
      emu_request_set_route (req, "/collection-records");
      handle_create (req);
    }
  else if (n == 1 && g_str_equal (s[0], "collection-records") && g_str_equal (method, "PUT"))
    {
      emu_request_set_route (req, "/collection-records");
      handle_update (req);
    }
  else if (n == 1 && g_str_equal (s[0], "collection-records") && g_str_equal (method, "DELETE"))
    {
      emu_request_set_route (req, "/collection-records");
      handle_delete (req);
    }
  else if (n == 2 && get && g_str_equal (s[0], "collection-record"))
    {
      emu_request_set_route (req, "/collection-record/{id}");
      handle_get_record (req, s[1]);
    }
  else if (n == 1 && get && g_str_equal (s[0], "categories"))
    {
      emu_request_set_route (req, "/categories");
      reply_list (req, json_array_new ());
    }
  else if (n == 1 && get && g_str_equal (s[0], "roles"))
    {
      emu_request_set_route (req, "/roles");
      handle_roles (req);
    }
  else if (g_str_equal (s[0], "users"))
    {
      if (!may_manage_users (req, key))
        emu_request_set_route (req, "/users… (forbidden)");
      else if (n == 1 && get)
        {
          emu_request_set_route (req, "/users");
          handle_users (req);
        }
      else if (n == 2 && g_str_equal (s[1], "invite") && g_str_equal (method, "POST"))
        {
          emu_request_set_route (req, "/users/invite");
          handle_invite (req);
        }
      else if (n == 2 && g_str_equal (method, "PUT"))
        {
          emu_request_set_route (req, "/users/{id}");
          handle_update_user (req, s[1]);
        }
      else
        {
          emu_request_set_route (req, "/users/…");
          emu_reply_error (req, SOUP_STATUS_NOT_FOUND, "Not found", NULL);
        }
    }
  else
    {
      emu_request_set_route (req, "/…");
      emu_reply_error (req, SOUP_STATUS_NOT_FOUND, "Not found", NULL);
    }
  return TRUE;
}
