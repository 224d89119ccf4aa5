/* ps-target-pro.c — Asset Panda Pro / "Pioneer" (contract §1–§2, reference §7)
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything Pro-specific lives here (the provisional parts — roles and
 * users — in ps-target-provisional.c): key headers, tenant bodies, columns.
 */

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ps-target-private.h"

#define PRO_PAGE          100
#define PRO_CREATE_BATCH  100
#define PRO_UPDATE_BATCH  5    /* documented maximum of PUT /collection-records */
#define MAX_WRITE_ROUNDS  4
#define PRO_IDS_BY_GET    3    /* up to this many ids: one GET each, no questions */

#define PS_TYPE_TARGET_PRO (ps_target_pro_get_type ())
G_DECLARE_FINAL_TYPE (PsTargetPro, ps_target_pro, PS, TARGET_PRO, PsTarget)

struct _PsTargetPro
{
  PsTarget parent_instance;
};

G_DEFINE_FINAL_TYPE (PsTargetPro, ps_target_pro, PS_TYPE_TARGET)

/* ---------------------------------------------------------------- auth */

static void
authorize (SoupMessage *msg,
           gpointer     data)
{
  PsTarget *target = data;
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

  soup_message_headers_replace (headers, "Access-Key-Id", ps_target_get_config (target)->client_id);
  soup_message_headers_replace (headers, "Access-Key-Secret",
                                ps_target_get_secret (target, PS_SECRET_API_CLIENT_SECRET));
}

void
ps_target_pro_attach (PsTarget *target)
{
  ps_http_set_authorize (ps_target_get_http (target), authorize, target);
}

/* ---------------------------------------------------------------- helpers */

static void
add_tenant (JsonBuilder *b,
            const char  *account,
            const char  *module)
{
  json_builder_set_member_name (b, "tenant");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "accountId");
  json_builder_add_string_value (b, account);
  json_builder_set_member_name (b, "moduleId");
  json_builder_add_string_value (b, module);
  json_builder_end_object (b);
}

/* GET @call and read a list of {id, name|displayName} items. */
static GPtrArray *
list_entities (PsTarget            *target,
               PsHttpCall          *call,
               PsTargetEntityKind   kind,
               const char          *member,
               GCancellable        *cancellable,
               GError             **error)
{
  g_autoptr(JsonNode) root = ps_target_call (target, call, cancellable, error);
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_entity_free);
  g_autofree char *data_member = g_strconcat ("data.", member, NULL);
  JsonArray *array;

  if (root == NULL)
    return NULL;
  array = ps_json_find_array (root, "", "data", data_member, member, "items", "data.items", NULL);
  if (array == NULL)
    {
      g_propagate_error (error, ps_http_call_shape_error (call));
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *o = json_array_get_object_element (array, i);
      g_autofree char *id = NULL;
      g_autofree char *name = NULL;

      if (o == NULL || ps_json_member_bool (o, FALSE, "deleted", NULL)
          || !ps_json_member_bool (o, TRUE, "isActive", NULL))
        continue;
      id = ps_json_member_text (o, "id", NULL);
      name = ps_json_member_text (o, "displayName", "name", "display_name", NULL);
      if (id != NULL)
        g_ptr_array_add (list, ps_target_entity_new (kind, id, name, NULL));
    }
  return g_steal_pointer (&list);
}

/* ---------------------------------------------------------------- discovery */

static GPtrArray *
pro_list_accounts (PsTarget      *target,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_autoptr(PsHttpCall) call = ps_http_call_new ("GET", NULL, "/accounts");
  return list_entities (target, call, PS_TARGET_ACCOUNT, "accounts", cancellable, error);
}

static GPtrArray *
pro_list_modules (PsTarget      *target,
                  const char    *account,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autofree char *a = ps_http_escape (account);
  g_autoptr(PsHttpCall) call = NULL;

  if (account == NULL)
    {
      g_set_error_literal (error, PS_TARGET_ERROR, PS_TARGET_ERROR_CONFIG,
                           _("Choose an account first"));
      return NULL;
    }
  call = ps_http_call_new ("GET", NULL, "/modules?accountId=%s", a);
  return list_entities (target, call, PS_TARGET_MODULE, "modules", cancellable, error);
}

static GPtrArray *
pro_list_roles (PsTarget      *target,
                const char    *account,
                const char    *module,
                GCancellable  *cancellable,
                GError       **error)
{
  g_autoptr(PsHttpCall) call = ps_provisional_pro_roles_call (account, module);
  g_autoptr(JsonNode) root = ps_target_call (target, call, cancellable, error);

  if (root == NULL)
    return NULL;
  return ps_provisional_pro_parse_roles (call, root, error);
}

static GPtrArray *
pro_list_collections (PsTarget      *target,
                      const char    *account,
                      const char    *module,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autofree char *a = ps_http_escape (account);
  g_autofree char *m = ps_http_escape (module);
  g_autoptr(PsHttpCall) call = ps_http_call_new ("GET", NULL, "/collections?accountId=%s&moduleId=%s",
                                                 a, m);
  return list_entities (target, call, PS_TARGET_COLLECTION, "collections", cancellable, error);
}

static PsFieldType
pro_field_type (const char *type)
{
  const char *t;

  if (type == NULL)
    return PS_FIELD_TEXT;
  t = strrchr (type, '/');
  t = t != NULL ? t + 1 : type;
  if (g_str_equal (t, "text") || g_str_equal (t, "textarea") || g_str_equal (t, "email")
      || g_str_equal (t, "url") || g_str_equal (t, "string"))
    return PS_FIELD_TEXT;
  if (g_str_equal (t, "number") || g_str_equal (t, "numeric") || g_str_equal (t, "currency"))
    return PS_FIELD_NUMBER;
  if (g_str_equal (t, "date") || g_str_equal (t, "datetime"))
    return PS_FIELD_DATE;
  if (g_str_equal (t, "boolean") || g_str_equal (t, "checkbox"))
    return PS_FIELD_BOOLEAN;
  if (g_str_equal (t, "singleselect") || g_str_equal (t, "single-select")
      || g_str_equal (t, "single_select") || g_str_equal (t, "select") || g_str_equal (t, "list")
      || g_str_equal (t, "status") || g_str_equal (t, "dropdown"))
    return PS_FIELD_SINGLE_SELECT;
  if (g_str_equal (t, "reference") || g_str_equal (t, "link") || g_str_equal (t, "user"))
    return PS_FIELD_LINK;
  return PS_FIELD_OTHER;
}

static GPtrArray *
pro_list_fields (PsTarget      *target,
                 const char    *account,
                 const char    *module,
                 const char    *collection,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_autofree char *a = ps_http_escape (account);
  g_autofree char *m = ps_http_escape (module);
  g_autofree char *c = ps_http_escape (collection);
  g_autoptr(PsHttpCall) call =
    ps_http_call_new ("GET", NULL, "/collection-columns?accountId=%s&moduleId=%s&collectionId=%s",
                      a, m, c);
  g_autoptr(JsonNode) root = ps_target_call (target, call, cancellable, error);
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_field_free);
  JsonArray *array;

  if (root == NULL)
    return NULL;
  array = ps_json_find_array (root, "data.columns.all", "data.columns", "columns", "data", "", NULL);
  if (array == NULL)
    {
      g_propagate_error (error, ps_http_call_shape_error (call));
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *o = json_array_get_object_element (array, i);
      PsTargetField *f;

      if (o == NULL)
        continue;
      f = ps_target_field_new ();
      f->id = ps_json_member_text (o, "id", NULL);
      f->key = g_strdup (f->id);
      f->name = ps_json_member_text (o, "displayName", "name", NULL);
      f->type_name = ps_json_member_text (o, "type", NULL);
      f->type = pro_field_type (f->type_name);
      f->required = ps_json_member_bool (o, FALSE, "required", "isRequired", NULL);
      f->unique = ps_json_member_bool (o, FALSE, "unique", "isUnique", NULL);
      if (json_object_has_member (o, "references") && f->type == PS_FIELD_TEXT
          && JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "references")))
        f->type = PS_FIELD_LINK;
      ps_provisional_parse_options (PS_DIALECT_PRO, o, f);
      if (f->options->len > 0 && f->type == PS_FIELD_OTHER)
        f->type = PS_FIELD_SINGLE_SELECT;
      if (f->key == NULL)
        ps_target_field_free (f);
      else
        g_ptr_array_add (list, f);
    }
  return g_steal_pointer (&list);
}

static GPtrArray *
pro_list_users (PsTarget      *target,
                const char    *account,
                const char    *module,
                GCancellable  *cancellable,
                GError       **error)
{
  g_autoptr(PsHttpCall) call = ps_provisional_pro_users_call (account, module);
  g_autoptr(JsonNode) root = ps_target_call (target, call, cancellable, error);

  if (root == NULL)
    return NULL;
  return ps_provisional_pro_parse_users (call, root, error);
}

/* ---------------------------------------------------------------- records */

static const char *const record_meta[] = {
  "id", "recordId", "collectionId", "createdAt", "updatedAt", "createdBy", "updatedBy",
  "tenant", "version", NULL
};

static PsTargetRecord *
parse_record (JsonObject *o)
{
  g_autofree char *id = ps_json_member_text (o, "id", "recordId", NULL);
  JsonObject *values;
  PsTargetRecord *r;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  if (id == NULL || *id == '\0')
    return NULL;   /* a record without an id cannot be addressed */
  r = ps_target_record_new (id);
  r->updated_at = ps_json_member_text (o, "updatedAt", "updated_at", NULL);
  r->archived = ps_json_member_bool (o, FALSE, "archived", "isArchived", "deleted", NULL);
  values = json_object_has_member (o, "values")
           && JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "values"))
           ? json_object_get_object_member (o, "values") : o;
  json_object_iter_init (&iter, values);
  while (json_object_iter_next (&iter, &name, &value))
    {
      g_autofree char *text = NULL;
      g_autofree char *option = NULL;

      if (values == o && g_strv_contains (record_meta, name))
        continue;
      ps_json_read_value (value, &text, &option);
      if (text != NULL)
        g_hash_table_replace (r->values, g_strdup (name), g_steal_pointer (&text));
      if (option != NULL)
        g_hash_table_replace (r->option_ids, g_strdup (name), g_steal_pointer (&option));
    }
  return r;
}

static JsonNode *
search_body (const char          *account,
             const char          *module,
             const char          *collection,
             const PsTargetQuery *query,
             guint                from,
             guint                size)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  GHashTableIter iter;
  gpointer key, value;

  json_builder_begin_object (b);
  add_tenant (b, account, module);
  json_builder_set_member_name (b, "collectionId");
  json_builder_add_string_value (b, collection);
  if (query != NULL && g_hash_table_size (query->filters) > 0)
    {
      json_builder_set_member_name (b, "searchInput");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "selection");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "matchType");
      json_builder_add_string_value (b, "All");
      json_builder_set_member_name (b, "filters");
      json_builder_begin_array (b);
      g_hash_table_iter_init (&iter, query->filters);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "field");
          json_builder_add_string_value (b, key);
          /* Only "contains" is documented; exact matches are kept below. */
          json_builder_set_member_name (b, "operator");
          json_builder_add_string_value (b, "contains");
          json_builder_set_member_name (b, "value");
          json_builder_add_string_value (b, value);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  json_builder_set_member_name (b, "pagination");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "from");
  json_builder_add_int_value (b, from);
  json_builder_set_member_name (b, "size");
  json_builder_add_int_value (b, size);
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
record_matches (PsTargetRecord      *r,
                const PsTargetQuery *query)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, query->filters);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (g_strcmp0 (ps_target_record_get (r, key), value) != 0
        && g_strcmp0 (g_hash_table_lookup (r->option_ids, key), value) != 0)
      return FALSE;
  if (query->modified_since != NULL && r->updated_at != NULL)
    {
      g_autoptr(GDateTime) t = g_date_time_new_from_iso8601 (r->updated_at, NULL);
      if (t != NULL && g_date_time_compare (t, query->modified_since) < 0)
        return FALSE;
    }
  return TRUE;
}

static int
read_page (PsHttpCall           *call,
           const PsTargetQuery  *query,
           GPtrArray            *records,
           gint64               *total,
           GError              **error)
{
  g_autoptr(JsonNode) root = ps_http_call_json (call, error);
  JsonArray *array;
  g_autofree char *t = NULL;

  if (root == NULL)
    return -1;
  array = ps_json_find_array (root, "data.records", "records", "data", "", NULL);
  if (array == NULL)
    {
      g_propagate_error (error, ps_http_call_shape_error (call));
      return -1;
    }
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *o = json_array_get_object_element (array, i);
      PsTargetRecord *r = o != NULL ? parse_record (o) : NULL;

      if (r != NULL && record_matches (r, query))
        g_ptr_array_add (records, r);
      else
        ps_target_record_free (r);
    }
  t = ps_json_member_text (ps_json_find_object (root, "data", "", NULL), "total", "totalCount", NULL);
  if (t == NULL)
    t = ps_json_member_text (ps_json_find_object (root, "data.pagination", "pagination", NULL),
                             "total", "totalCount", NULL);
  *total = t != NULL ? g_ascii_strtoll (t, NULL, 10) : -1;
  return (int) json_array_get_length (array);
}

static GPtrArray *
pro_get_records (PsTarget             *target,
                 const char           *account,
                 const char           *module,
                 const char           *collection,
                 const PsTargetQuery  *query,
                 GCancellable         *cancellable,
                 GError              **error)
{
  g_autofree char *a = ps_http_escape (account);
  g_autofree char *m = ps_http_escape (module);
  g_autofree char *c = ps_http_escape (collection);
  g_autoptr(GPtrArray) calls = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_http_call_free);
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_record_free);

  for (guint i = 0; i < query->ids->len; i++)
    {
      g_autofree char *id = ps_http_escape (g_ptr_array_index (query->ids, i));
      g_ptr_array_add (calls, ps_http_call_new ("GET", NULL,
                                                "/collection-record/%s?collectionId=%s&accountId=%s&moduleId=%s",
                                                id, c, a, m));
    }
  ps_target_run (target, calls, cancellable, NULL);
  for (guint i = 0; i < calls->len; i++)
    {
      PsHttpCall *call = g_ptr_array_index (calls, i);
      g_autoptr(JsonNode) root = NULL;
      JsonObject *o;
      PsTargetRecord *r;

      if (call->error != NULL && g_error_matches (call->error, PS_TARGET_ERROR, PS_TARGET_ERROR_NOT_FOUND))
        continue;
      root = ps_http_call_json (call, error);
      if (root == NULL)
        return NULL;
      o = ps_json_find_object (root, "data.record", "data", "record", "", NULL);
      r = o != NULL ? parse_record (o) : NULL;
      if (r != NULL && record_matches (r, query))
        g_ptr_array_add (records, r);
      else
        ps_target_record_free (r);
    }
  return g_steal_pointer (&records);
}

static GPtrArray *pro_search_records (PsTarget *target, const char *account, const char *module,
                                      const char *collection, const PsTargetQuery *query,
                                      GCancellable *cancellable, GError **error);

static GPtrArray *
pro_search_records (PsTarget             *target,
                    const char           *account,
                    const char           *module,
                    const char           *collection,
                    const PsTargetQuery  *query,
                    GCancellable         *cancellable,
                    GError              **error)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_record_free);
  guint page = PRO_PAGE;
  guint offset = 0;
  gint64 total = -1;
  int got = (int) page;
  gboolean first = TRUE;

  if (query->ids->len > 0 && query->ids->len <= PRO_IDS_BY_GET)
    return pro_get_records (target, account, module, collection, query, cancellable, error);
  if (query->ids->len > 0)
    {
      /* Many ids: one GET each costs more calls than reading every page
       * when the collection has fewer pages than ids. Ask for the total. */
      g_autoptr(JsonNode) body = search_body (account, module, collection, NULL, 0, 1);
      g_autoptr(PsHttpCall) call = ps_http_call_new ("POST", body, "/collection-records/search");
      g_autoptr(JsonNode) root = ps_target_call (target, call, cancellable, error);
      g_autoptr(PsTargetQuery) all = NULL;
      g_autoptr(GHashTable) wanted = NULL;
      g_autoptr(GPtrArray) every = NULL;
      g_autofree char *t = NULL;
      gint64 count;

      if (root == NULL)
        return NULL;
      t = ps_json_member_text (ps_json_find_object (root, "data.pagination", "pagination", "data", NULL),
                               "total", "totalCount", NULL);
      count = t != NULL ? g_ascii_strtoll (t, NULL, 10) : -1;
      if (count < 0 || (count + PRO_PAGE - 1) / PRO_PAGE >= (gint64) query->ids->len)
        return pro_get_records (target, account, module, collection, query, cancellable, error);

      all = ps_target_query_new ();
      all->modified_since = query->modified_since != NULL ? g_date_time_ref (query->modified_since) : NULL;
      {
        GHashTableIter iter;
        gpointer k, v;

        g_hash_table_iter_init (&iter, query->filters);
        while (g_hash_table_iter_next (&iter, &k, &v))
          ps_target_query_add_filter (all, k, v);
      }
      every = pro_search_records (target, account, module, collection, all, cancellable, error);
      if (every == NULL)
        return NULL;
      wanted = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint i = 0; i < query->ids->len; i++)
        g_hash_table_add (wanted, g_ptr_array_index (query->ids, i));
      for (guint i = 0; i < every->len; i++)
        {
          PsTargetRecord *r = g_ptr_array_index (every, i);
          if (g_hash_table_contains (wanted, r->id))
            g_ptr_array_add (records, ps_target_record_copy (r));
        }
      return g_steal_pointer (&records);
    }

  while (got == (int) page && (query->limit == 0 || records->len < query->limit))
    {
      g_autoptr(GPtrArray) calls = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_http_call_free);
      guint n_pages = 1;

      if (!first && total > (gint64) offset)
        n_pages = CLAMP ((guint) ((total - offset + page - 1) / page), 1, 200);
      first = FALSE;
      for (guint i = 0; i < n_pages; i++)
        {
          g_autoptr(JsonNode) body = search_body (account, module, collection, query,
                                                  offset + i * page, page);
          g_ptr_array_add (calls, ps_http_call_new ("POST", body, "/collection-records/search"));
        }
      if (!ps_target_run (target, calls, cancellable, error))
        return NULL;
      for (guint i = 0; i < calls->len; i++)
        {
          gint64 t = -1;

          got = read_page (g_ptr_array_index (calls, i), query, records, &t, error);
          if (got < 0)
            return NULL;
          if (t >= 0)
            total = t;
          offset += got;
          if (got < (int) page)
            break;
        }
    }
  if (query->limit > 0 && records->len > query->limit)
    g_ptr_array_set_size (records, query->limit);
  return g_steal_pointer (&records);
}

static void
pro_lookup_records (PsTarget      *target,
                    const char    *account,
                    const char    *module,
                    const char    *collection,
                    GPtrArray     *lookups,
                    GCancellable  *cancellable)
{
  g_autoptr(GPtrArray) calls = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_http_call_free);

  for (guint i = 0; i < lookups->len; i++)
    {
      PsTargetLookup *lookup = g_ptr_array_index (lookups, i);
      g_autoptr(JsonNode) body = search_body (account, module, collection, lookup->query, 0, PRO_PAGE);
      PsHttpCall *call = ps_http_call_new ("POST", body, "/collection-records/search");

      call->user_data = lookup;
      g_ptr_array_add (calls, call);
    }
  /* Calls that did not finish carry the error that stopped them. */
  ps_target_run (target, calls, cancellable, NULL);
  for (guint i = 0; i < calls->len; i++)
    {
      PsHttpCall *call = g_ptr_array_index (calls, i);
      PsTargetLookup *lookup = call->user_data;
      gint64 total;

      g_clear_error (&lookup->error);
      lookup->records = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_record_free);
      if (read_page (call, lookup->query, lookup->records, &total, &lookup->error) < 0)
        g_clear_pointer (&lookup->records, g_ptr_array_unref);
    }
}

/* ---------------------------------------------------------------- writes */

typedef struct {
  GPtrArray *writes;
  gboolean   create;
} Chunk;

static void
chunk_free (Chunk *chunk)
{
  g_ptr_array_unref (chunk->writes);
  g_free (chunk);
}

static void
write_fail (PsTargetWrite *w,
            const GError  *error)
{
  g_clear_error (&w->error);
  w->error = g_error_copy (error);
  w->done = FALSE;
}

static PsHttpCall *
chunk_call (const char *account,
            const char *module,
            const char *collection,
            Chunk      *chunk,
            GPtrArray  *bodies)
{
  g_autoptr(JsonObject) root = json_object_new ();
  g_autoptr(JsonObject) tenant = json_object_new ();
  g_autoptr(JsonArray) array = json_array_new ();
  g_autoptr(JsonNode) node = NULL;
  PsHttpCall *call;

  json_object_set_string_member (tenant, "accountId", account);
  json_object_set_string_member (tenant, "moduleId", module);
  json_object_set_object_member (root, "tenant", g_steal_pointer (&tenant));
  json_object_set_string_member (root, "collectionId", collection);
  for (guint i = 0; i < bodies->len; i++)
    json_array_add_object_element (array, json_object_ref (g_ptr_array_index (bodies, i)));
  json_object_set_array_member (root, "records", g_steal_pointer (&array));
  node = json_node_init_object (json_node_alloc (), root);
  call = ps_http_call_new (chunk->create ? "POST" : "PUT", node, "/collection-records");
  call->no_resend = chunk->create;
  return call;
}

static void
read_chunk_answer (PsHttpCall *call,
                   Chunk      *chunk,
                   GPtrArray  *ambiguous)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = ps_http_call_json (call, &error);
  JsonArray *results;

  if (root == NULL)
    {
      for (guint i = 0; i < chunk->writes->len; i++)
        {
          PsTargetWrite *w = g_ptr_array_index (chunk->writes, i);
          if (chunk->create)
            g_ptr_array_add (ambiguous, w);
          write_fail (w, error);
        }
      return;
    }
  results = ps_json_find_array (root, "data.records", "records", "data", "", NULL);
  for (guint i = 0; i < chunk->writes->len; i++)
    {
      PsTargetWrite *w = g_ptr_array_index (chunk->writes, i);
      JsonObject *o = NULL;

      /* Results carry their "index"; fall back to the position. */
      for (guint j = 0; results != NULL && j < json_array_get_length (results); j++)
        {
          JsonObject *candidate = json_array_get_object_element (results, j);
          g_autofree char *index = ps_json_member_text (candidate, "index", NULL);
          if (index != NULL && g_ascii_strtoull (index, NULL, 10) == i)
            {
              o = candidate;
              break;
            }
        }
      if (o == NULL && results != NULL && i < json_array_get_length (results))
        o = json_array_get_object_element (results, i);

      if (o != NULL && !ps_json_member_bool (o, TRUE, "success", NULL))
        {
          g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), o);
          g_autofree char *text = json_to_string (node, FALSE);
          g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));

          g_clear_error (&w->error);
          w->error = ps_http_call_record_error (call, bytes);
          continue;
        }
      if (chunk->create)
        {
          g_autofree char *id = NULL;

          if (o != NULL)
            {
              id = ps_json_member_text (o, "id", "recordId", NULL);
              if (id == NULL)
                id = ps_json_member_text (ps_json_find_object (json_object_get_member (o, "record"),
                                                               "", NULL), "id", NULL);
            }
          if (id == NULL || *id == '\0')
            {
              g_ptr_array_add (ambiguous, w);
              continue;
            }
          g_free (w->new_id);
          w->new_id = g_steal_pointer (&id);
        }
      w->done = TRUE;
      g_clear_error (&w->error);
    }
}

static gboolean
pro_write_records (PsTarget      *target,
                   const char    *account,
                   const char    *module,
                   const char    *collection,
                   GPtrArray     *writes,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_autoptr(GPtrArray) fields = NULL;
  g_autoptr(GPtrArray) todo = g_ptr_array_new ();

  fields = ps_target_get_fields_cached (target, account, module, collection, cancellable, error);
  if (fields == NULL)
    return FALSE;
  for (guint i = 0; i < writes->len; i++)
    {
      PsTargetWrite *w = g_ptr_array_index (writes, i);
      if (!w->done)
        g_ptr_array_add (todo, w);
    }

  for (guint round = 0; round < MAX_WRITE_ROUNDS && todo->len > 0; round++)
    {
      g_autoptr(GPtrArray) chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) chunk_free);
      g_autoptr(GPtrArray) calls = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_http_call_free);
      g_autoptr(GPtrArray) ambiguous = g_ptr_array_new ();
      g_autoptr(GPtrArray) next = g_ptr_array_new ();
      g_autoptr(GError) fatal = NULL;

      for (int create = 1; create >= 0; create--)
        {
          guint max = create ? PRO_CREATE_BATCH : PRO_UPDATE_BATCH;
          Chunk *chunk = NULL;
          g_autoptr(GPtrArray) bodies = NULL;

          for (guint i = 0; i <= todo->len; i++)
            {
              PsTargetWrite *w = i < todo->len ? g_ptr_array_index (todo, i) : NULL;
              g_autoptr(GError) local = NULL;
              JsonObject *values;

              if (w != NULL && (w->record_id == NULL) != create)
                continue;
              if (chunk != NULL && (w == NULL || chunk->writes->len >= max))
                {
                  PsHttpCall *call = chunk_call (account, module, collection, chunk, bodies);
                  call->user_data = chunk;
                  g_ptr_array_add (calls, call);
                  g_ptr_array_add (chunks, chunk);
                  chunk = NULL;
                  g_clear_pointer (&bodies, g_ptr_array_unref);
                }
              if (w == NULL)
                break;
              values = ps_target_build_values (target, fields, w, NULL, &local);
              if (values == NULL)
                {
                  write_fail (w, local);
                  continue;
                }
              if (!create)
                json_object_set_string_member (values, "recordId", w->record_id);
              if (chunk == NULL)
                {
                  chunk = g_new0 (Chunk, 1);
                  chunk->writes = g_ptr_array_new ();
                  chunk->create = create;
                  bodies = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
                }
              g_ptr_array_add (chunk->writes, w);
              g_ptr_array_add (bodies, values);
            }
        }
      if (calls->len == 0)
        break;
      ps_target_run (target, calls, cancellable, &fatal);

      for (guint i = 0; i < calls->len; i++)
        {
          PsHttpCall *call = g_ptr_array_index (calls, i);
          Chunk *chunk = call->user_data;

          if (call->error == NULL)
            {
              read_chunk_answer (call, chunk, ambiguous);
              continue;
            }
          for (guint j = 0; j < chunk->writes->len; j++)
            {
              PsTargetWrite *w = g_ptr_array_index (chunk->writes, j);
              write_fail (w, call->error);
              if (call->ambiguous)
                g_ptr_array_add (ambiguous, w);
            }
        }
      if (!ps_target_end_write_round (target, account, module, collection, &fatal, ambiguous,
                                      next, todo, cancellable, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
pro_archive_records (PsTarget      *target,
                     const char    *account,
                     const char    *module,
                     const char    *collection,
                     GPtrArray     *ids,
                     gboolean       archive,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_set_error_literal (error, PS_TARGET_ERROR, PS_TARGET_ERROR_NOT_SUPPORTED,
                       _("Asset Panda Pro has no archive; set the status field instead"));
  return FALSE;
}

/* ---------------------------------------------------------------- users (provisional) */

static PsTargetUser *
pro_create_user (PsTarget                *target,
                 const char              *account,
                 const char              *module,
                 const PsTargetUserSpec  *spec,
                 GCancellable            *cancellable,
                 GError                 **error)
{
  g_autoptr(PsHttpCall) call = ps_provisional_pro_invite_call (account, module, spec);
  g_autoptr(JsonNode) root = NULL;
  JsonObject *o;

  call->no_resend = TRUE;
  root = ps_target_call (target, call, cancellable, error);
  if (root == NULL)
    return NULL;
  o = ps_json_find_object (root, "data.user", "data", "user", "", NULL);
  if (o == NULL)
    {
      g_propagate_error (error, ps_http_call_shape_error (call));
      return NULL;
    }
  return ps_provisional_pro_parse_user (o);
}

static gboolean
pro_set_user_role (PsTarget      *target,
                   const char    *account,
                   const char    *module,
                   const char    *user_id,
                   const char    *role_id,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_autoptr(PsHttpCall) call = ps_provisional_pro_user_update_call (account, module, user_id,
                                                                    role_id, -1);
  g_autoptr(JsonNode) root = ps_target_call (target, call, cancellable, error);
  return root != NULL;
}

static gboolean
pro_set_user_active (PsTarget      *target,
                     const char    *account,
                     const char    *module,
                     const char    *user_id,
                     gboolean       active,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autoptr(PsHttpCall) call = ps_provisional_pro_user_update_call (account, module, user_id,
                                                                    NULL, active ? 1 : 0);
  g_autoptr(JsonNode) root = ps_target_call (target, call, cancellable, error);
  return root != NULL;
}

/* ---------------------------------------------------------------- GObject */

static void
ps_target_pro_class_init (PsTargetProClass *klass)
{
  PsTargetClass *target_class = PS_TARGET_CLASS (klass);

  target_class->login = NULL;
  target_class->list_accounts = pro_list_accounts;
  target_class->list_modules = pro_list_modules;
  target_class->list_roles = pro_list_roles;
  target_class->list_collections = pro_list_collections;
  target_class->list_fields = pro_list_fields;
  target_class->list_users = pro_list_users;
  target_class->search_records = pro_search_records;
  target_class->lookup_records = pro_lookup_records;
  target_class->write_records = pro_write_records;
  target_class->archive_records = pro_archive_records;
  target_class->create_user = pro_create_user;
  target_class->set_user_role = pro_set_user_role;
  target_class->set_user_active = pro_set_user_active;
}

static void
ps_target_pro_init (PsTargetPro *self)
{
}
