/* ps-target-classic.c — Asset Panda Classic v3 (contract §1–§2, reference §2–§6)
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything Classic-specific lives here (the provisional parts in
 * ps-target-provisional.c): paths, JSON shapes, the bearer token.
 */

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ps-target-private.h"

#define CLASSIC_PAGE       100   /* the documented maximum of search limit */
#define CLASSIC_BATCH      100   /* objects per create / PUT batch */
#define CLASSIC_MODULE_ID  "default"
#define MAX_WRITE_ROUNDS   4

#define PS_TYPE_TARGET_CLASSIC (ps_target_classic_get_type ())
G_DECLARE_FINAL_TYPE (PsTargetClassic, ps_target_classic, PS, TARGET_CLASSIC, PsTarget)

struct _PsTargetClassic
{
  PsTarget   parent_instance;

  GMutex     token_lock;
  char      *token;            /* never logged: registered with the redactor */
  char      *account_id;       /* from /v3/users/me */
  gboolean   swapped_search;   /* the tenant wants /objects/search */
};

G_DEFINE_FINAL_TYPE (PsTargetClassic, ps_target_classic, PS_TYPE_TARGET)

/* Keys valid on objects without a field definition. */
static const char *const builtin_keys[] = {
  "integ_ad_sid", "integ_audit_id", "gps_coordinates", NULL
};

/* ---------------------------------------------------------------- auth */

static void
authorize (SoupMessage *msg,
           gpointer     data)
{
  PsTargetClassic *self = data;
  g_autofree char *value = NULL;

  g_mutex_lock (&self->token_lock);
  if (self->token != NULL)
    value = g_strconcat ("Bearer ", self->token, NULL);
  g_mutex_unlock (&self->token_lock);
  if (value != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", value);
  if (value != NULL)
    memset (value, 0, strlen (value));
}

static gboolean
classic_login (PsTarget      *target,
               GCancellable  *cancellable,
               GError       **error)
{
  PsTargetClassic *self = PS_TARGET_CLASSIC (target);
  const PsTargetConfig *config = ps_target_get_config (target);
  PsHttp *http = ps_target_get_http (target);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(PsHttpCall) call = NULL;
  g_autoptr(GPtrArray) calls = g_ptr_array_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *token = NULL;
  const char *client_secret = ps_target_get_secret (target, PS_SECRET_API_CLIENT_SECRET);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "email");
  json_builder_add_string_value (b, config->email);
  json_builder_set_member_name (b, "password");
  json_builder_add_string_value (b, ps_target_get_secret (target, PS_SECRET_API_PASSWORD));
  if (config->client_id != NULL)
    {
      json_builder_set_member_name (b, "client_id");
      json_builder_add_string_value (b, config->client_id);
    }
  if (client_secret != NULL)
    {
      json_builder_set_member_name (b, "client_secret");
      json_builder_add_string_value (b, client_secret);
    }
  json_builder_set_member_name (b, "device");
  json_builder_add_string_value (b, "PandaSync");
  json_builder_set_member_name (b, "app_version");
  json_builder_add_string_value (b, PACKAGE_VERSION);
  json_builder_end_object (b);
  body = json_builder_get_root (b);

  call = ps_http_call_new ("POST", body, "/v3/session/token");
  call->is_login = TRUE;
  /* Wipe the builder's copy of the password. */
  json_node_unref (g_steal_pointer (&body));
  g_ptr_array_add (calls, call);
  g_debug ("signing in to Asset Panda as %s", config->email);
  if (!ps_http_run (http, calls, cancellable, error))
    return FALSE;
  root = ps_http_call_json (call, error);
  if (root == NULL)
    return FALSE;
  /* Be liberal: access_token, token or accessToken, also under data. */
  token = ps_json_member_text (ps_json_find_object (root, "", NULL),
                               "access_token", "token", "accessToken", NULL);
  if (token == NULL)
    token = ps_json_member_text (ps_json_find_object (root, "data", NULL),
                                 "access_token", "token", "accessToken", NULL);
  if (token == NULL || *token == '\0')
    {
      g_propagate_error (error, ps_http_call_unexpected (call, _("no token")));
      return FALSE;
    }
  {
    g_autofree char *expires = ps_json_member_text (ps_json_find_object (root, "", NULL),
                                                    "expires_in", "expiresIn", NULL);
    ps_target_set_token_lifetime (target, expires != NULL ? g_ascii_strtoll (expires, NULL, 10) : 0);
  }
  ps_http_add_secret (http, token);
  g_mutex_lock (&self->token_lock);
  g_clear_pointer (&self->token, ps_secret_free);
  self->token = g_steal_pointer (&token);
  g_mutex_unlock (&self->token_lock);
  return TRUE;
}

/* ---------------------------------------------------------------- discovery */

static JsonObject *
users_me (PsTargetClassic  *self,
          GCancellable     *cancellable,
          GError          **error)
{
  g_autoptr(PsHttpCall) call = ps_http_call_new ("GET", NULL, "/v3/users/me");
  g_autoptr(JsonNode) root = ps_target_call (PS_TARGET (self), call, cancellable, error);
  JsonObject *me;

  if (root == NULL)
    return NULL;
  me = ps_json_find_object (root, "user", "data", "", NULL);
  if (me == NULL)
    {
      g_propagate_error (error, ps_http_call_shape_error (call));
      return NULL;
    }
  return json_object_ref (me);
}

static GPtrArray *
classic_list_accounts (PsTarget      *target,
                       GCancellable  *cancellable,
                       GError       **error)
{
  PsTargetClassic *self = PS_TARGET_CLASSIC (target);
  g_autoptr(JsonObject) me = users_me (self, cancellable, error);
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_entity_free);
  g_autofree char *id = NULL;
  g_autofree char *name = NULL;

  if (me == NULL)
    return NULL;
  id = ps_json_member_text (me, "account_id", "accountId", NULL);
  if (id == NULL)
    {
      g_set_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_UNEXPECTED,
                   _("GET /v3/users/me answered without an account_id"));
      return NULL;
    }
  name = ps_json_member_text (me, "account_name", "company_name", "company", NULL);
  if (name == NULL)
    name = g_strdup_printf (_("Account %s"), id);
  g_free (self->account_id);
  self->account_id = g_strdup (id);
  g_ptr_array_add (list, ps_target_entity_new (PS_TARGET_ACCOUNT, id, name, NULL));
  return g_steal_pointer (&list);
}

static GPtrArray *
classic_list_modules (PsTarget      *target,
                      const char    *account,
                      GCancellable  *cancellable,
                      GError       **error)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_entity_free);

  /* Classic has one implicit module per account (contract §2). */
  g_ptr_array_add (list, ps_target_entity_new (PS_TARGET_MODULE, CLASSIC_MODULE_ID,
                                               _("Default"), NULL));
  return list;
}

static GPtrArray *
classic_list_roles (PsTarget      *target,
                    const char    *account,
                    const char    *module,
                    GCancellable  *cancellable,
                    GError       **error)
{
  g_autoptr(PsHttpCall) call = ps_http_call_new ("GET", NULL, "/v3/users/templates");
  g_autoptr(JsonNode) root = ps_target_call (target, call, cancellable, error);
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_entity_free);
  JsonArray *array;

  if (root == NULL)
    return NULL;
  array = ps_json_find_array (root, "", "templates", "user_templates", "data", NULL);
  if (array == NULL)
    {
      g_propagate_error (error, ps_http_call_shape_error (call));
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *o = json_array_get_object_element (array, i);
      g_autofree char *id = ps_json_member_text (o, "template_id", "id", NULL);
      g_autofree char *name = ps_json_member_text (o, "template_name", "name", NULL);

      if (id != NULL)
        g_ptr_array_add (list, ps_target_entity_new (PS_TARGET_ROLE, id, name, NULL));
    }
  return g_steal_pointer (&list);
}

static GPtrArray *
classic_list_collections (PsTarget      *target,
                          const char    *account,
                          const char    *module,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_autoptr(PsHttpCall) call = ps_http_call_new ("GET", NULL, "/v3/groups");
  g_autoptr(JsonNode) root = ps_target_call (target, call, cancellable, error);
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_entity_free);
  JsonArray *array;

  if (root == NULL)
    return NULL;
  array = ps_json_find_array (root, "groups", "entities", "", "data", NULL);
  if (array == NULL)
    {
      g_propagate_error (error, ps_http_call_shape_error (call));
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *o = json_array_get_object_element (array, i);
      g_autofree char *id = ps_json_member_text (o, "id", NULL);
      g_autofree char *name = ps_json_member_text (o, "name", "display_name", NULL);
      g_autofree char *key = ps_json_member_text (o, "key", NULL);

      if (id != NULL)
        g_ptr_array_add (list, ps_target_entity_new (PS_TARGET_COLLECTION, id, name, key));
    }
  return g_steal_pointer (&list);
}

static PsFieldType
classic_field_type (const char *type)
{
  static const char *const selects[] = { "list", "status", "dropdown", "select", "single_select",
                                         "radio", NULL };
  static const char *const links[] = { "entity_list", "group_list", "user", "link", NULL };
  static const char *const numbers[] = { "numeric", "number", "currency", "integer", "decimal", NULL };

  if (type == NULL)
    return PS_FIELD_TEXT;
  if (g_strv_contains (selects, type))
    return PS_FIELD_SINGLE_SELECT;
  if (g_strv_contains (links, type))
    return PS_FIELD_LINK;
  if (g_strv_contains (numbers, type))
    return PS_FIELD_NUMBER;
  if (g_str_equal (type, "date") || g_str_equal (type, "datetime"))
    return PS_FIELD_DATE;
  if (g_str_equal (type, "boolean") || g_str_equal (type, "checkbox"))
    return PS_FIELD_BOOLEAN;
  if (g_str_equal (type, "text") || g_str_equal (type, "textarea") || g_str_equal (type, "email")
      || g_str_equal (type, "url") || g_str_equal (type, "string"))
    return PS_FIELD_TEXT;
  return PS_FIELD_OTHER;
}

static GPtrArray *
classic_list_fields (PsTarget      *target,
                     const char    *account,
                     const char    *module,
                     const char    *collection,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autofree char *gid = ps_http_escape (collection);
  g_autoptr(PsHttpCall) call = ps_http_call_new ("GET", NULL, "/v3/groups/%s/fields", gid);
  g_autoptr(JsonNode) root = ps_target_call (target, call, cancellable, error);
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_field_free);
  JsonArray *array;

  if (root == NULL)
    return NULL;
  array = ps_json_find_array (root, "fields", "", "data", NULL);
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
      f->key = ps_json_member_text (o, "key", NULL);
      f->id = ps_json_member_text (o, "id", NULL);
      f->name = ps_json_member_text (o, "name", "display_name", NULL);
      f->type_name = ps_json_member_text (o, "type", "field_type", NULL);
      f->type = classic_field_type (f->type_name);
      f->required = ps_json_member_bool (o, FALSE, "is_required", "required", NULL);
      f->unique = ps_json_member_bool (o, FALSE, "is_unique", "unique", NULL);
      ps_provisional_parse_options (PS_DIALECT_CLASSIC, o, f);
      if (f->options->len > 0 && f->type == PS_FIELD_OTHER)
        f->type = PS_FIELD_SINGLE_SELECT;
      if (f->key == NULL)
        f->key = g_strdup (f->id);
      if (f->key == NULL)
        ps_target_field_free (f);
      else
        g_ptr_array_add (list, f);
    }
  return g_steal_pointer (&list);
}

static PsTargetUser *
parse_user (JsonObject *o)
{
  PsTargetUser *u = ps_target_user_new ();

  u->id = ps_json_member_text (o, "id", NULL);
  u->email = ps_json_member_text (o, "email", NULL);
  u->first_name = ps_json_member_text (o, "first_name", NULL);
  u->last_name = ps_json_member_text (o, "last_name", NULL);
  u->role_id = ps_json_member_text (o, "template_rule_id", "template_id", NULL);
  u->active = ps_json_member_bool (o, TRUE, "is_active", "active", NULL);
  u->admin = ps_json_member_bool (o, FALSE, "is_admin", NULL);
  u->anchor = ps_json_member_text (o, "integ_ad_sid", NULL);
  return u;
}

static GPtrArray *
classic_list_users (PsTarget      *target,
                    const char    *account,
                    const char    *module,
                    GCancellable  *cancellable,
                    GError       **error)
{
  g_autoptr(PsHttpCall) call = ps_http_call_new ("GET", NULL, "/v3/users");
  g_autoptr(JsonNode) root = ps_target_call (target, call, cancellable, error);
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_user_free);
  JsonArray *array;

  if (root == NULL)
    return NULL;
  array = ps_json_find_array (root, "", "users", "data", NULL);
  if (array == NULL)
    {
      g_propagate_error (error, ps_http_call_shape_error (call));
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *o = json_array_get_object_element (array, i);
      if (o != NULL)
        g_ptr_array_add (list, parse_user (o));
    }
  return g_steal_pointer (&list);
}

/* ---------------------------------------------------------------- records */

static PsTargetRecord *
parse_object (JsonObject *o)
{
  g_autofree char *id = ps_json_member_text (o, "id", NULL);
  JsonObject *data;
  PsTargetRecord *r;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  if (id == NULL || *id == '\0')
    return NULL;   /* a record without an id cannot be addressed */
  r = ps_target_record_new (id);
  r->archived = ps_json_member_bool (o, FALSE, "is_archived", "archived", NULL);
  r->updated_at = ps_json_member_text (o, "updated_at", NULL);
  /* v3 keeps the values under "data"; v2 at the top level. */
  data = json_object_has_member (o, "data") && JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "data"))
         ? json_object_get_object_member (o, "data") : o;
  json_object_iter_init (&iter, data);
  while (json_object_iter_next (&iter, &name, &value))
    {
      g_autofree char *text = NULL;
      g_autofree char *option = NULL;

      if (data == o && (g_str_equal (name, "id") || g_str_equal (name, "entity")))
        continue;
      ps_json_read_value (value, &text, &option);
      if (text != NULL)
        g_hash_table_replace (r->values, g_strdup (name), g_steal_pointer (&text));
      if (option != NULL)
        g_hash_table_replace (r->option_ids, g_strdup (name), g_steal_pointer (&option));
    }
  /* integ_ad_sid may sit beside data */
  if (data != o && json_object_has_member (o, "integ_ad_sid")
      && !g_hash_table_contains (r->values, "integ_ad_sid"))
    {
      char *sid = ps_json_member_text (o, "integ_ad_sid", NULL);
      if (sid != NULL)
        g_hash_table_replace (r->values, g_strdup ("integ_ad_sid"), sid);
    }
  return r;
}

static JsonNode *
search_body (const PsTargetQuery *query)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  if (g_hash_table_size (query->filters) > 0)
    {
      GHashTableIter iter;
      gpointer key, value;

      json_builder_set_member_name (b, "field_filters");
      json_builder_begin_object (b);
      g_hash_table_iter_init (&iter, query->filters);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          json_builder_set_member_name (b, key);
          json_builder_add_string_value (b, value);
        }
      json_builder_end_object (b);
    }
  if (query->ids->len > 0)
    {
      json_builder_set_member_name (b, "ids");
      json_builder_begin_array (b);
      for (guint i = 0; i < query->ids->len; i++)
        json_builder_add_string_value (b, g_ptr_array_index (query->ids, i));
      json_builder_end_array (b);
    }
  if (query->modified_since != NULL)
    {
      g_autofree char *iso = g_date_time_format_iso8601 (query->modified_since);

      json_builder_set_member_name (b, "last_modified");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "gte");
      json_builder_add_string_value (b, iso);
      json_builder_end_object (b);
    }
  if (query->include_archived)
    {
      json_builder_set_member_name (b, "view_archived");
      json_builder_add_string_value (b, "all");
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static PsHttpCall *
search_call (PsTargetClassic *self,
             const char      *gid,
             JsonNode        *body,
             guint            offset,
             guint            limit)
{
  return ps_http_call_new ("POST", body, "/v3/groups/%s/%s?offset=%u&limit=%u", gid,
                           self->swapped_search ? "objects/search" : "search/objects",
                           offset, limit);
}

/* Reads one page; returns the number of objects, or -1 on error. */
static int
read_page (PsHttpCall  *call,
           GPtrArray   *records,
           gint64      *total,
           GError     **error)
{
  g_autoptr(JsonNode) root = ps_http_call_json (call, error);
  JsonArray *objects;
  JsonObject *totals;

  if (root == NULL)
    return -1;
  objects = ps_json_find_array (root, "objects", "data", "", NULL);
  if (objects == NULL)
    {
      g_propagate_error (error, ps_http_call_shape_error (call));
      return -1;
    }
  for (guint i = 0; i < json_array_get_length (objects); i++)
    {
      JsonObject *o = json_array_get_object_element (objects, i);
      PsTargetRecord *r = o != NULL ? parse_object (o) : NULL;
      if (r != NULL)
        g_ptr_array_add (records, r);
    }
  totals = ps_json_find_object (root, "totals", NULL);
  *total = -1;
  if (totals != NULL)
    {
      g_autofree char *t = ps_json_member_text (totals, "objects", NULL);
      g_autofree char *g = ps_json_member_text (totals, "group_totals", NULL);
      gint64 matches = t != NULL ? g_ascii_strtoll (t, NULL, 10) : -1;

      /* "objects" is the number of matches when it exceeds a page; else trust
       * the short page. */
      if (matches > (gint64) json_array_get_length (objects))
        *total = matches;
      else if (g != NULL && matches < 0)
        *total = g_ascii_strtoll (g, NULL, 10);
    }
  return (int) json_array_get_length (objects);
}

static GPtrArray *
classic_search_records (PsTarget             *target,
                        const char           *account,
                        const char           *module,
                        const char           *collection,
                        const PsTargetQuery  *query,
                        GCancellable         *cancellable,
                        GError              **error)
{
  PsTargetClassic *self = PS_TARGET_CLASSIC (target);
  g_autofree char *gid = ps_http_escape (collection);
  g_autoptr(JsonNode) body = search_body (query);
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_record_free);
  guint page = query->limit > 0 ? MIN (query->limit, CLASSIC_PAGE) : CLASSIC_PAGE;
  guint offset = 0;
  gint64 total = -1;
  int got;

  /* The first page, sequentially: it tells the path spelling and the total. */
  {
    g_autoptr(PsHttpCall) call = search_call (self, gid, body, 0, page);
    g_autoptr(GPtrArray) calls = g_ptr_array_new ();
    g_autoptr(GError) local = NULL;

    g_ptr_array_add (calls, call);
    if (!ps_target_run (target, calls, cancellable, &local) && call->status != 404)
      {
        g_propagate_error (error, g_steal_pointer (&local));
        return NULL;
      }
    if (call->status == 404 && !self->swapped_search)
      {
        /* Be liberal: some tenants spell it /objects/search. */
        g_autoptr(PsHttpCall) other = NULL;

        self->swapped_search = TRUE;
        other = search_call (self, gid, body, 0, page);
        g_ptr_array_set_size (calls, 0);
        g_ptr_array_add (calls, other);
        if (!ps_target_run (target, calls, cancellable, error))
          return NULL;
        got = read_page (other, records, &total, error);
        if (got < 0 && other->status == 404)
          self->swapped_search = FALSE;
      }
    else
      got = read_page (call, records, &total, error);
    if (got < 0)
      return NULL;
  }
  offset = got;

  while (got == (int) page && (query->limit == 0 || records->len < query->limit)
         && !(query->ids != NULL && query->ids->len > 0 && records->len >= query->ids->len))
    {
      /* (A query by ids is complete once every id came back: no need to ask
       * for a page that can only be empty.) */
      g_autoptr(GPtrArray) calls = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_http_call_free);
      guint n_pages = 1;

      /* With a total, fetch the remaining pages at once. */
      if (total > (gint64) offset)
        n_pages = (guint) ((total - offset + page - 1) / page);
      if (query->limit > 0)
        n_pages = MIN (n_pages, (query->limit - records->len + page - 1) / page);
      n_pages = CLAMP (n_pages, 1, 200);
      for (guint i = 0; i < n_pages; i++)
        g_ptr_array_add (calls, search_call (self, gid, body, offset + i * page, page));
      if (!ps_target_run (target, calls, cancellable, error))
        return NULL;
      for (guint i = 0; i < calls->len; i++)
        {
          gint64 t;
          got = read_page (g_ptr_array_index (calls, i), records, &t, error);
          if (got < 0)
            return NULL;
          offset += got;
          if (got < (int) page)
            break;   /* a short page is the last one, totals or not */
        }
    }
  if (query->limit > 0 && records->len > query->limit)
    g_ptr_array_set_size (records, query->limit);
  return g_steal_pointer (&records);
}

static void
classic_lookup_records (PsTarget      *target,
                        const char    *account,
                        const char    *module,
                        const char    *collection,
                        GPtrArray     *lookups,
                        GCancellable  *cancellable)
{
  PsTargetClassic *self = PS_TARGET_CLASSIC (target);
  g_autofree char *gid = ps_http_escape (collection);
  g_autoptr(GPtrArray) calls = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_http_call_free);

  for (guint i = 0; i < lookups->len; i++)
    {
      PsTargetLookup *lookup = g_ptr_array_index (lookups, i);
      g_autoptr(JsonNode) body = search_body (lookup->query);
      PsHttpCall *call = search_call (self, gid, body, 0, CLASSIC_PAGE);

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
      if (read_page (call, lookup->records, &total, &lookup->error) < 0)
        g_clear_pointer (&lookup->records, g_ptr_array_unref);
    }
}

/* ---------------------------------------------------------------- writes */

typedef struct {
  GPtrArray *writes;   /* borrowed PsTargetWrite*, in body order */
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
chunk_call (const char *gid,
            Chunk      *chunk,
            GPtrArray  *bodies)
{
  PsHttpCall *call;

  if (chunk->writes->len == 1)
    {
      PsTargetWrite *w = g_ptr_array_index (chunk->writes, 0);
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (),
                                                        g_ptr_array_index (bodies, 0));
      if (chunk->create)
        call = ps_http_call_new ("POST", node, "/v3/groups/%s/objects", gid);
      else
        {
          g_autofree char *oid = ps_http_escape (w->record_id);
          call = ps_http_call_new ("PATCH", node, "/v3/groups/%s/objects/%s", gid, oid);
        }
    }
  else
    {
      g_autoptr(JsonObject) root = json_object_new ();
      g_autoptr(JsonArray) array = json_array_new ();
      g_autoptr(JsonNode) node = NULL;

      for (guint i = 0; i < bodies->len; i++)
        json_array_add_object_element (array, json_object_ref (g_ptr_array_index (bodies, i)));
      json_object_set_array_member (root, "objects", g_steal_pointer (&array));
      node = json_node_init_object (json_node_alloc (), root);
      call = ps_http_call_new (chunk->create ? "POST" : "PUT", node, "/v3/groups/%s/objects", gid);
    }
  call->no_resend = chunk->create;
  return call;
}

/* Per-record errors inside a 200 batch answer: {"errors":[{"index":i,…}]}
 * or objects carrying "errors". */
static void
read_chunk_answer (PsHttpCall *call,
                   Chunk      *chunk,
                   GPtrArray  *ambiguous)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = ps_http_call_json (call, &error);
  JsonArray *objects = NULL;

  if (root == NULL)
    {
      for (guint i = 0; i < chunk->writes->len; i++)
        {
          PsTargetWrite *w = g_ptr_array_index (chunk->writes, i);
          /* The server acted but we cannot read what it made. */
          if (chunk->create)
            g_ptr_array_add (ambiguous, w);
          write_fail (w, error);
        }
      return;
    }
  if (JSON_NODE_HOLDS_ARRAY (root))
    objects = json_node_get_array (root);
  else
    objects = ps_json_find_array (root, "objects", "data", NULL);

  for (guint i = 0; i < chunk->writes->len; i++)
    {
      PsTargetWrite *w = g_ptr_array_index (chunk->writes, i);
      JsonObject *o = NULL;

      if (objects != NULL && i < json_array_get_length (objects))
        o = json_array_get_object_element (objects, i);
      else if (objects == NULL && chunk->writes->len == 1 && JSON_NODE_HOLDS_OBJECT (root))
        {
          o = json_node_get_object (root);
          if (!json_object_has_member (o, "id"))
            o = ps_json_find_object (root, "object", "data", NULL);
        }

      if (o != NULL && json_object_has_member (o, "errors")
          && !JSON_NODE_HOLDS_NULL (json_object_get_member (o, "errors"))
          && !(JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "errors"))
               && json_array_get_length (json_object_get_array_member (o, "errors")) == 0))
        {
          g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), o);
          g_autoptr(GBytes) bytes = NULL;
          g_autofree char *text = json_to_string (node, FALSE);

          bytes = g_bytes_new (text, strlen (text));
          g_clear_error (&w->error);
          w->error = ps_http_call_record_error (call, bytes);
          continue;
        }
      if (chunk->create)
        {
          g_autofree char *id = o != NULL ? ps_json_member_text (o, "id", "object_id", NULL) : NULL;
          if (id == NULL || *id == '\0')
            {
              /* Created, but no id to hand back: find it by its anchor. */
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

/* A rejected batch whose errors name their items ({"index": i, "field_N":
 * [msg]}): those writes fail with their own message, the others go again in
 * the next round. FALSE when the errors do not say which item failed. */
static gboolean
blame_items (PsHttpCall *call,
             Chunk      *chunk,
             GPtrArray  *next)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GHashTable) blamed = g_hash_table_new (NULL, NULL);
  gsize size = 0;
  const char *data = call->response != NULL ? g_bytes_get_data (call->response, &size) : NULL;
  JsonArray *errors;

  if (data == NULL || !json_parser_load_from_data (parser, data, size, NULL))
    return FALSE;
  errors = ps_json_find_array (json_parser_get_root (parser), "errors", NULL);
  if (errors == NULL || json_array_get_length (errors) == 0)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (errors); i++)
    {
      JsonObject *item = json_array_get_object_element (errors, i);
      g_autofree char *index = ps_json_member_text (item, "index", NULL);
      guint64 n = index != NULL ? g_ascii_strtoull (index, NULL, 10) : G_MAXUINT64;

      if (n >= chunk->writes->len)
        return FALSE;
    }
  for (guint i = 0; i < json_array_get_length (errors); i++)
    {
      JsonObject *item = json_array_get_object_element (errors, i);
      g_autofree char *index = ps_json_member_text (item, "index", NULL);
      PsTargetWrite *w = g_ptr_array_index (chunk->writes, g_ascii_strtoull (index, NULL, 10));
      g_autoptr(JsonObject) copy = json_object_new ();
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(GBytes) bytes = NULL;
      g_autofree char *text = NULL;
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      json_object_iter_init (&iter, item);
      while (json_object_iter_next (&iter, &name, &value))
        if (!g_str_equal (name, "index"))
          json_object_set_member (copy, name, json_node_copy (value));
      node = json_node_init_object (json_node_alloc (), json_object_new ());
      json_object_set_array_member (json_node_get_object (node), "errors", json_array_new ());
      json_array_add_object_element (json_object_get_array_member (json_node_get_object (node), "errors"),
                                     g_steal_pointer (&copy));
      text = json_to_string (node, FALSE);
      bytes = g_bytes_new (text, strlen (text));
      g_clear_error (&w->error);
      w->error = ps_http_call_record_error (call, bytes);
      g_hash_table_add (blamed, w);
    }
  for (guint i = 0; i < chunk->writes->len; i++)
    {
      PsTargetWrite *w = g_ptr_array_index (chunk->writes, i);
      if (!g_hash_table_contains (blamed, w))
        g_ptr_array_add (next, w);
    }
  return TRUE;
}

static gboolean
classic_write_records (PsTarget      *target,
                       const char    *account,
                       const char    *module,
                       const char    *collection,
                       GPtrArray     *writes,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autofree char *gid = ps_http_escape (collection);
  g_autoptr(GPtrArray) fields = NULL;
  g_autoptr(GPtrArray) todo = g_ptr_array_new ();
  g_autoptr(GHashTable) single = g_hash_table_new (NULL, NULL);

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
          Chunk *chunk = NULL;
          g_autoptr(GPtrArray) bodies = NULL;

          for (guint i = 0; i <= todo->len; i++)
            {
              PsTargetWrite *w = i < todo->len ? g_ptr_array_index (todo, i) : NULL;
              g_autoptr(GError) local = NULL;
              JsonObject *values;

              if (w != NULL && (w->record_id == NULL) != create)
                continue;
              if (chunk != NULL
                  && (w == NULL || chunk->writes->len >= CLASSIC_BATCH
                      || g_hash_table_contains (single, w)))
                {
                  PsHttpCall *call = chunk_call (gid, chunk, bodies);
                  call->user_data = chunk;
                  g_ptr_array_add (calls, call);
                  g_ptr_array_add (chunks, chunk);
                  chunk = NULL;
                  g_clear_pointer (&bodies, g_ptr_array_unref);
                }
              if (w == NULL)
                break;
              values = ps_target_build_values (target, fields, w, builtin_keys, &local);
              if (values == NULL)
                {
                  write_fail (w, local);
                  continue;
                }
              if (!create)
                json_object_set_string_member (values, "id", w->record_id);
              if (chunk == NULL)
                {
                  chunk = g_new0 (Chunk, 1);
                  chunk->writes = g_ptr_array_new ();
                  chunk->create = create;
                  bodies = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
                }
              g_ptr_array_add (chunk->writes, w);
              g_ptr_array_add (bodies, values);
              if (g_hash_table_contains (single, w))
                {
                  PsHttpCall *call = chunk_call (gid, chunk, bodies);
                  call->user_data = chunk;
                  g_ptr_array_add (calls, call);
                  g_ptr_array_add (chunks, chunk);
                  chunk = NULL;
                  g_clear_pointer (&bodies, g_ptr_array_unref);
                }
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
          if (call->ambiguous)
            {
              for (guint j = 0; j < chunk->writes->len; j++)
                {
                  PsTargetWrite *w = g_ptr_array_index (chunk->writes, j);
                  write_fail (w, call->error);
                  g_ptr_array_add (ambiguous, w);
                }
              continue;
            }
          if (chunk->writes->len > 1 && fatal == NULL
              && g_error_matches (call->error, PS_TARGET_ERROR, PS_TARGET_ERROR_INVALID)
              && blame_items (call, chunk, next))
            continue;
          if (chunk->writes->len > 1 && fatal == NULL
              && (g_error_matches (call->error, PS_TARGET_ERROR, PS_TARGET_ERROR_INVALID)
                  || g_error_matches (call->error, PS_TARGET_ERROR, PS_TARGET_ERROR_NOT_FOUND)))
            {
              /* One bad record fails a whole batch: send them one by one to
               * learn which (a rejected batch created nothing). */
              for (guint j = 0; j < chunk->writes->len; j++)
                {
                  PsTargetWrite *w = g_ptr_array_index (chunk->writes, j);
                  g_hash_table_add (single, w);
                  g_ptr_array_add (next, w);
                }
              continue;
            }
          for (guint j = 0; j < chunk->writes->len; j++)
            write_fail (g_ptr_array_index (chunk->writes, j), call->error);
        }
      if (!ps_target_end_write_round (target, account, module, collection, &fatal, ambiguous,
                                      next, todo, cancellable, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
classic_archive_records (PsTarget      *target,
                         const char    *account,
                         const char    *module,
                         const char    *collection,
                         GPtrArray     *ids,
                         gboolean       archive,
                         GCancellable  *cancellable,
                         GError       **error)
{
  g_autofree char *gid = ps_http_escape (collection);
  g_autoptr(GPtrArray) calls = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_http_call_free);

  for (guint from = 0; from < ids->len; from += CLASSIC_BATCH)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) body = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "object_ids");
      json_builder_begin_array (b);
      for (guint i = from; i < MIN (ids->len, from + CLASSIC_BATCH); i++)
        json_builder_add_string_value (b, g_ptr_array_index (ids, i));
      json_builder_end_array (b);
      json_builder_end_object (b);
      body = json_builder_get_root (b);
      g_ptr_array_add (calls, ps_http_call_new ("POST", body, "/v3/groups/%s/objects/%s", gid,
                                                archive ? "archive" : "unarchive"));
    }
  if (!ps_target_run (target, calls, cancellable, error))
    return FALSE;
  for (guint i = 0; i < calls->len; i++)
    {
      PsHttpCall *call = g_ptr_array_index (calls, i);
      if (call->error != NULL)
        {
          g_propagate_error (error, g_error_copy (call->error));
          return FALSE;
        }
    }
  return TRUE;
}

/* ---------------------------------------------------------------- users */

static char *
random_password (void)
{
  static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#%+=?";
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < 24; i++)
    g_string_append_c (s, alphabet[g_random_int_range (0, sizeof alphabet - 1)]);
  g_string_append (s, "a7!");
  return g_string_free (s, FALSE);
}

static PsTargetUser *
classic_create_user (PsTarget                *target,
                     const char              *account,
                     const char              *module,
                     const PsTargetUserSpec  *spec,
                     GCancellable            *cancellable,
                     GError                 **error)
{
  PsTargetClassic *self = PS_TARGET_CLASSIC (target);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(PsHttpCall) call = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(PsSecretString) password = random_password ();
  const char *account_id = account;
  JsonObject *o;

  /* A new login gets a random password nobody knows; people reset it. */
  ps_http_add_secret (ps_target_get_http (target), password);
  if (account_id == NULL)
    {
      if (self->account_id == NULL)
        {
          g_autoptr(GPtrArray) accounts = classic_list_accounts (target, cancellable, error);
          if (accounts == NULL)
            return NULL;
        }
      account_id = self->account_id;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "device");
  json_builder_add_string_value (b, "web");
  json_builder_set_member_name (b, "user");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "first_name");
  json_builder_add_string_value (b, spec->first_name != NULL ? spec->first_name : "");
  json_builder_set_member_name (b, "last_name");
  json_builder_add_string_value (b, spec->last_name != NULL ? spec->last_name : "");
  json_builder_set_member_name (b, "email");
  json_builder_add_string_value (b, spec->email);
  json_builder_set_member_name (b, "password");
  json_builder_add_string_value (b, password);
  json_builder_set_member_name (b, "password_confirmation");
  json_builder_add_string_value (b, password);
  json_builder_set_member_name (b, "create_for_account");
  json_builder_add_string_value (b, account_id);
  if (spec->anchor != NULL)
    {
      json_builder_set_member_name (b, "integ_ad_sid");
      json_builder_add_string_value (b, spec->anchor);
    }
  json_builder_end_object (b);
  if (spec->role_id != NULL)
    {
      json_builder_set_member_name (b, "template_id");
      json_builder_add_int_value (b, g_ascii_strtoll (spec->role_id, NULL, 10));
    }
  json_builder_end_object (b);
  body = json_builder_get_root (b);
  call = ps_http_call_new ("POST", body, "/v3/users");
  call->no_resend = TRUE;
  call->is_login = FALSE;
  root = ps_target_call (target, call, cancellable, error);
  if (root == NULL)
    return NULL;
  o = ps_json_find_object (root, "user", "data", "", NULL);
  if (o == NULL || !json_object_has_member (o, "id"))
    {
      g_propagate_error (error, ps_http_call_shape_error (call));
      return NULL;
    }
  return parse_user (o);
}

static gboolean
classic_set_user_role (PsTarget      *target,
                       const char    *account,
                       const char    *module,
                       const char    *user_id,
                       const char    *role_id,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autofree char *uid = ps_http_escape (user_id);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(PsHttpCall) call = NULL;
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "device");
  json_builder_add_string_value (b, "web");
  json_builder_set_member_name (b, "user");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "template_rule_id");
  json_builder_add_int_value (b, g_ascii_strtoll (role_id, NULL, 10));
  json_builder_end_object (b);
  json_builder_end_object (b);
  body = json_builder_get_root (b);
  call = ps_http_call_new ("PUT", body, "/v3/users/%s", uid);
  root = ps_target_call (target, call, cancellable, error);
  return root != NULL;
}

static gboolean
classic_set_user_active (PsTarget      *target,
                         const char    *account,
                         const char    *module,
                         const char    *user_id,
                         gboolean       active,
                         GCancellable  *cancellable,
                         GError       **error)
{
  g_autoptr(PsHttpCall) call = ps_provisional_classic_set_active_call (user_id, active);
  g_autoptr(JsonNode) root = ps_target_call (target, call, cancellable, error);

  return root != NULL;
}

/* ---------------------------------------------------------------- GObject */

static void
ps_target_classic_finalize (GObject *object)
{
  PsTargetClassic *self = PS_TARGET_CLASSIC (object);

  g_clear_pointer (&self->token, ps_secret_free);
  g_free (self->account_id);
  g_mutex_clear (&self->token_lock);
  G_OBJECT_CLASS (ps_target_classic_parent_class)->finalize (object);
}

static void
ps_target_classic_constructed (GObject *object)
{
  G_OBJECT_CLASS (ps_target_classic_parent_class)->constructed (object);
}

static void
ps_target_classic_class_init (PsTargetClassicClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  PsTargetClass *target_class = PS_TARGET_CLASS (klass);

  object_class->finalize = ps_target_classic_finalize;
  object_class->constructed = ps_target_classic_constructed;
  target_class->login = classic_login;
  target_class->list_accounts = classic_list_accounts;
  target_class->list_modules = classic_list_modules;
  target_class->list_roles = classic_list_roles;
  target_class->list_collections = classic_list_collections;
  target_class->list_fields = classic_list_fields;
  target_class->list_users = classic_list_users;
  target_class->search_records = classic_search_records;
  target_class->lookup_records = classic_lookup_records;
  target_class->write_records = classic_write_records;
  target_class->archive_records = classic_archive_records;
  target_class->create_user = classic_create_user;
  target_class->set_user_role = classic_set_user_role;
  target_class->set_user_active = classic_set_user_active;
}

static void
ps_target_classic_init (PsTargetClassic *self)
{
  g_mutex_init (&self->token_lock);
}

/* Called by ps_target_new() once the transport exists. */
void
ps_target_classic_attach (PsTarget *target)
{
  ps_http_set_authorize (ps_target_get_http (target), authorize, target);
}
