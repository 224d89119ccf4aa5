/* emu-classic.c — the Classic v3 dialect (api.assetpanda.com)
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shapes follow the reference notes (assetpanda-api.md) §2–§6 and §8.
 */

#include <string.h>

#include "emu-private.h"

#define DEFAULT_LIMIT 50
#define MAX_LIMIT     100

/* ---------------------------------------------------------------- helpers */

static gint64
account_id (EmuState *state)
{
  JsonObject *account = json_object_get_object_member (state->classic, "account");

  return json_object_get_int_member_with_default (account, "id", 0);
}

static JsonArray *
users (EmuState *state)
{
  return json_object_get_array_member (state->classic, "users");
}

static JsonObject *
user_by_id (EmuState *state, gint64 id)
{
  JsonArray *list = users (state);

  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *user = json_array_get_object_element (list, i);

      if (json_object_get_int_member_with_default (user, "id", 0) == id)
        return user;
    }
  return NULL;
}

static JsonObject *
user_by_email (EmuState *state, const char *email)
{
  JsonArray *list = users (state);

  for (guint i = 0; email != NULL && i < json_array_get_length (list); i++)
    {
      JsonObject *user = json_array_get_object_element (list, i);

      if (g_ascii_strcasecmp (json_object_get_string_member_with_default (user, "email", ""), email) == 0)
        return user;
    }
  return NULL;
}

static JsonObject *
template_by_id (EmuState *state, gint64 id)
{
  JsonArray *list = json_object_get_array_member (state->classic, "templates");

  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *template = json_array_get_object_element (list, i);

      if (json_object_get_int_member_with_default (template, "template_id", 0) == id)
        return template;
    }
  return NULL;
}

static JsonNode *
render_user (EmuState *state, JsonObject *user)
{
  static const char *const order[] = { "id", "email", "first_name", "last_name", "account_id",
                                       "is_admin", "is_active", "template_rule_id", "integ_ad_sid",
                                       "phone", NULL };
  JsonObject *object = json_object_new ();

  for (guint i = 0; order[i] != NULL; i++)
    {
      JsonNode *node = json_object_get_member (user, order[i]);

      if (node != NULL)
        json_object_set_member (object, order[i], json_node_copy (node));
      else if (g_str_equal (order[i], "account_id"))
        json_object_set_int_member (object, order[i], account_id (state));
      else if (!g_str_equal (order[i], "phone"))
        json_object_set_null_member (object, order[i]);
    }
  return emu_object_node (object);
}

/* An integer sent as a number or as a decimal string; -1 when absent. */
static gint64
member_id (JsonObject *object, const char *name)
{
  g_autofree char *text = object != NULL ? emu_node_text (json_object_get_member (object, name)) : NULL;
  char *end = NULL;
  gint64 value;

  if (text == NULL || *text == '\0')
    return -1;
  value = g_ascii_strtoll (text, &end, 10);
  return *end == '\0' ? value : -2;
}

static JsonArray *
field_errors (const char *key, const char *message)
{
  JsonArray *errors = json_array_new ();
  JsonObject *item = json_object_new ();
  JsonArray *texts = json_array_new ();

  json_array_add_string_element (texts, message);
  json_object_set_array_member (item, key, texts);
  json_array_add_object_element (errors, item);
  return errors;
}

static void
reply_validation (EmuRequest *req, const char *key, const char *message, int code)
{
  g_autofree char *text = g_strdup_printf ("Validation failed: %s %s", key, message);
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "message", text);
  json_object_set_array_member (object, "errors", field_errors (key, message));
  json_object_set_int_member (object, "code", code);
  emu_reply (req, 422, emu_object_node (object));
}

/* ---------------------------------------------------------------- rendering */

static JsonNode *
render_value (EmuServer *server, EmuRecord *record, EmuField *field, JsonNode *stored)
{
  const char *label_key = emu_server_switches (server)->list_value_key;
  JsonObject *object;

  if (field == NULL || field->kind == EMU_FIELD_PLAIN)
    return json_node_copy (stored);

  object = json_object_new ();
  if (field->kind == EMU_FIELD_LIST)
    json_object_set_member (object, "id", json_node_copy (stored));
  else
    json_object_set_string_member (object, "id", json_node_get_string (stored));
  {
    g_autofree char *text = emu_record_text (record, field);

    json_object_set_string_member (object, label_key, text);
  }
  return emu_object_node (object);
}

JsonNode *
emu_classic_render_object (EmuServer *server, EmuRecord *record)
{
  EmuTable *table = record->table;
  JsonObject *object = json_object_new ();
  JsonObject *data = json_object_new ();
  JsonObject *entity = json_object_new ();
  g_autofree char *name = emu_record_display_name (record);
  g_autofree char *created = emu_format_time (record->created_at);
  g_autofree char *updated = emu_format_time (record->updated_at);
  g_autofree char *share = g_strdup_printf ("https://login.assetpanda.com/%s/%s", table->key, record->id);
  gint64 group_id = g_ascii_strtoll (table->id, NULL, 10);

  for (guint i = 0; i < table->fields->len; i++)
    {
      EmuField *field = g_ptr_array_index (table->fields, i);
      JsonNode *stored = json_object_get_member (record->values, field->key);

      if (stored != NULL)
        json_object_set_member (data, field->key, render_value (server, record, field, stored));
    }
  if (record->ad_sid != NULL)
    json_object_set_string_member (data, "integ_ad_sid", record->ad_sid);

  json_object_set_string_member (object, "id", record->id);
  json_object_set_string_member (object, "display_name", name);
  json_object_set_null_member (object, "secondary_name");
  json_object_set_string_member (object, "display_with_secondary", name);
  json_object_set_object_member (object, "data", data);
  if (record->ad_sid != NULL)
    json_object_set_string_member (object, "integ_ad_sid", record->ad_sid);
  else
    json_object_set_null_member (object, "integ_ad_sid");
  json_object_set_string_member (object, "share_url", share);
  json_object_set_string_member (object, "created_at", created);
  json_object_set_string_member (object, "updated_at", updated);
  json_object_set_boolean_member (object, "is_editable", TRUE);
  json_object_set_boolean_member (object, "is_deletable", TRUE);
  json_object_set_int_member (object, "object_version_ids", record->version);
  json_object_set_boolean_member (object, "has_audit_history", record->version > 1);
  json_object_set_boolean_member (object, "is_locked", FALSE);
  json_object_set_boolean_member (object, "is_archived", record->archived);
  json_object_set_int_member (entity, "id", group_id);
  json_object_set_string_member (entity, "key", table->key);
  json_object_set_object_member (object, "entity", entity);
  json_object_set_int_member (object, "group_id", group_id);
  json_object_set_int_member (object, "entity_id", group_id);
  return emu_object_node (object);
}

static JsonObject *
render_group (EmuTable *table)
{
  JsonObject *object = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_set_int_member (object, "id", g_ascii_strtoll (table->id, NULL, 10));
  json_object_set_string_member (object, "name", table->name);
  json_object_set_string_member (object, "key", table->key);
  json_object_iter_init_ordered (&iter, table->extra);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    json_object_set_member (object, name, json_node_copy (node));
  if (!json_object_has_member (object, "icon"))
    json_object_set_string_member (object, "icon", "folder");
  if (!json_object_has_member (object, "is_submenu"))
    json_object_set_boolean_member (object, "is_submenu", FALSE);
  return object;
}

static JsonNode *
render_field (EmuServer *server, EmuTable *table, EmuField *field)
{
  JsonObject *object = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_set_int_member (object, "id", field->num_id);
  json_object_set_string_member (object, "name", field->name);
  json_object_set_string_member (object, "key", field->key);
  json_object_set_string_member (object, "type", field->type);
  json_object_set_boolean_member (object, "is_required", field->required);
  json_object_set_boolean_member (object, "is_unique", field->unique);
  json_object_set_boolean_member (object, "is_only_embedded", FALSE);
  json_object_set_int_member (object, "entity_id", g_ascii_strtoll (table->id, NULL, 10));
  json_object_set_boolean_member (object, "is_open_field", FALSE);
  json_object_set_boolean_member (object, "show_in_value", TRUE);
  if (field->link_table != NULL)
    json_object_set_int_member (object, "source_group_id", g_ascii_strtoll (field->link_table, NULL, 10));
  if (field->options != NULL)
    {
      JsonArray *values = json_array_new ();
      const char *label_key = emu_server_switches (server)->list_value_key;

      for (guint i = 0; i < field->options->len; i++)
        {
          EmuOption *option = g_ptr_array_index (field->options, i);
          JsonObject *item = json_object_new ();

          json_object_set_int_member (item, "id", g_ascii_strtoll (option->id, NULL, 10));
          json_object_set_string_member (item, label_key, option->label);
          json_array_add_object_element (values, item);
        }
      json_object_set_array_member (object, "list_values", values);
    }
  json_object_iter_init_ordered (&iter, field->extra);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    json_object_set_member (object, name, json_node_copy (node));
  return emu_object_node (object);
}

/* ---------------------------------------------------------------- session */

static void
handle_token (EmuRequest *req)
{
  EmuServer *server = req->server;
  EmuState *state = emu_server_state (server);
  EmuSwitches *sw = emu_server_switches (server);
  JsonObject *body = emu_request_object (req);
  const char *email = emu_member_string (body, "email");
  const char *password = emu_member_string (body, "password");
  const char *client_id = emu_member_string (body, "client_id");
  const char *client_secret = emu_member_string (body, "client_secret");
  JsonObject *user = user_by_email (state, email);
  JsonObject *object;
  EmuToken *token;

  emu_request_set_route (req, "/v3/session/token");

  if (client_id != NULL || sw->require_client)
    {
      JsonArray *clients = json_object_get_array_member (state->classic, "clients");
      gboolean known = FALSE;

      for (guint i = 0; client_id != NULL && i < json_array_get_length (clients); i++)
        {
          JsonObject *client = json_array_get_object_element (clients, i);

          known = known ||
                  (g_strcmp0 (emu_member_string (client, "client_id"), client_id) == 0 &&
                   g_strcmp0 (emu_member_string (client, "client_secret"), client_secret) == 0);
        }
      if (!known)
        {
          emu_reply_error (req, SOUP_STATUS_UNAUTHORIZED, "Invalid client_id or client_secret",
                           field_errors ("base", "Invalid client_id or client_secret"));
          return;
        }
    }

  if (user == NULL)
    {
      emu_reply_error (req, SOUP_STATUS_UNAUTHORIZED, "User email not found!",
                       field_errors ("base", "User email not found!"));
      return;
    }
  if (g_strcmp0 (emu_member_string (user, "password"), password) != 0)
    {
      emu_reply_error (req, SOUP_STATUS_UNAUTHORIZED, "Invalid email or password",
                       field_errors ("base", "Invalid email or password"));
      return;
    }
  if (!json_object_get_boolean_member_with_default (user, "is_active", TRUE))
    {
      emu_reply_error (req, SOUP_STATUS_UNAUTHORIZED, "This user is inactive",
                       field_errors ("base", "This user is inactive"));
      return;
    }

  token = emu_server_new_token (server, json_object_get_int_member (user, "id"), client_id);
  object = json_object_new ();
  if (!g_str_equal (sw->token_field, "token"))
    json_object_set_string_member (object, "access_token", token->token);
  if (!g_str_equal (sw->token_field, "access_token"))
    json_object_set_string_member (object, "token", token->token);
  json_object_set_string_member (object, "token_type", "bearer");
  json_object_set_int_member (object, "expires_in", sw->token_lifetime);
  json_object_set_int_member (object, "created_at", emu_now () / G_USEC_PER_SEC);
  emu_reply (req, SOUP_STATUS_OK, emu_object_node (object));
}

/* The signed-in user, or NULL after answering with an auth error. */
static JsonObject *
authenticate (EmuRequest *req, EmuToken **token_out)
{
  EmuServer *server = req->server;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (req->msg);
  const char *authorization = soup_message_headers_get_one (headers, "Authorization");
  EmuToken *token;
  JsonObject *user;

  if (authorization == NULL || g_ascii_strncasecmp (authorization, "Bearer ", 7) != 0)
    {
      emu_reply_auth_error (req, "Not authorized: send Authorization: Bearer <token>");
      return NULL;
    }
  token = emu_server_lookup_token (server, authorization + 7);
  if (token == NULL)
    {
      emu_reply_auth_error (req, "Invalid token: please log in again");
      return NULL;
    }
  if (token->expires_at <= emu_now ())
    {
      emu_reply_auth_error (req, "Token has expired: please log in again");
      return NULL;
    }
  user = user_by_id (emu_server_state (server), token->user_id);
  if (user == NULL || !json_object_get_boolean_member_with_default (user, "is_active", TRUE))
    {
      emu_reply_auth_error (req, "Invalid token: the user is no longer active");
      return NULL;
    }
  *token_out = token;
  return user;
}

/* ---------------------------------------------------------------- settings and users */

static void
handle_settings (EmuRequest *req, JsonObject *me)
{
  EmuServer *server = req->server;
  EmuState *state = emu_server_state (server);
  JsonObject *root = json_object_new ();
  JsonObject *settings = json_object_new ();
  JsonObject *currency = json_object_new ();
  JsonObject *records = json_object_new ();
  JsonArray *groups = json_array_new ();
  JsonObject *extra = json_object_has_member (state->classic, "settings") ?
                      json_object_get_object_member (state->classic, "settings") : NULL;
  guint used = 0;
  gint64 max_records = 100000;

  for (guint i = 0; i < state->tables->len; i++)
    {
      EmuTable *table = g_ptr_array_index (state->tables, i);

      if (table->dialect != EMU_DIALECT_CLASSIC)
        continue;
      json_array_add_object_element (groups, render_group (table));
      used += table->records->len;
    }

  json_object_set_int_member (settings, "list_items_per_page", DEFAULT_LIMIT);
  json_object_set_string_member (currency, "symbol", "$");
  json_object_set_string_member (currency, "name", "USD");
  json_object_set_object_member (settings, "currency", currency);
  json_object_set_string_member (settings, "date_format", "%m/%d/%Y");
  json_object_set_string_member (settings, "time_format", "%I:%M %p");
  json_object_set_int_member (settings, "token_expires_in", emu_server_switches (server)->token_lifetime);
  if (extra != NULL)
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *node;

      json_object_iter_init_ordered (&iter, extra);
      while (json_object_iter_next_ordered (&iter, &name, &node))
        json_object_set_member (settings, name, json_node_copy (node));
      max_records = json_object_get_int_member_with_default (extra, "max_records", max_records);
    }
  json_object_set_array_member (settings, "groups", groups);

  json_object_set_int_member (records, "used_records", used);
  json_object_set_int_member (records, "max_records", max_records);
  {
    g_autofree char *percent = g_strdup_printf ("%.1f", max_records > 0 ? 100.0 * used / max_records : 0.0);

    json_object_set_string_member (records, "used_records_percent", percent);
  }

  json_object_set_object_member (root, "settings", settings);
  json_object_set_member (root, "user_details", render_user (state, me));
  json_object_set_object_member (root, "records", records);
  json_object_set_object_member (root, "company_support", json_object_new ());
  json_object_set_object_member (root, "user_access_rules", json_object_new ());
  json_object_set_array_member (root, "submenu_entities", json_array_new ());
  emu_reply (req, SOUP_STATUS_OK, emu_object_node (root));
}

static void
handle_users (EmuRequest *req)
{
  EmuState *state = emu_server_state (req->server);
  JsonArray *list = users (state);
  JsonArray *out = json_array_new ();

  for (guint i = 0; i < json_array_get_length (list); i++)
    json_array_add_element (out, render_user (state, json_array_get_object_element (list, i)));
  emu_reply (req, SOUP_STATUS_OK, emu_array_node (out));
}

static void
handle_templates (EmuRequest *req)
{
  EmuState *state = emu_server_state (req->server);
  JsonArray *templates = json_object_get_array_member (state->classic, "templates");
  JsonArray *list = users (state);
  JsonArray *out = json_array_new ();

  for (guint i = 0; i < json_array_get_length (templates); i++)
    {
      JsonObject *template = json_array_get_object_element (templates, i);
      gint64 id = json_object_get_int_member_with_default (template, "template_id", 0);
      JsonObject *item = json_object_new ();
      JsonArray *members = json_array_new ();

      for (guint j = 0; j < json_array_get_length (list); j++)
        {
          JsonObject *user = json_array_get_object_element (list, j);

          if (member_id (user, "template_rule_id") == id)
            {
              JsonObject *member = json_object_new ();
              g_autofree char *name = g_strdup_printf ("%s %s",
                                                       json_object_get_string_member_with_default (user, "first_name", ""),
                                                       json_object_get_string_member_with_default (user, "last_name", ""));

              json_object_set_int_member (member, "id", json_object_get_int_member (user, "id"));
              json_object_set_string_member (member, "name", g_strstrip (name));
              json_array_add_object_element (members, member);
            }
        }
      json_object_set_int_member (item, "template_id", id);
      json_object_set_string_member (item, "template_name",
                                     json_object_get_string_member_with_default (template, "template_name", ""));
      json_object_set_array_member (item, "template_users", members);
      json_array_add_object_element (out, item);
    }
  emu_reply (req, SOUP_STATUS_OK, emu_array_node (out));
}

/* Users may be created and changed only by company admins whose API client
 * has the "granular" user-management permission. */
static gboolean
may_manage_users (EmuRequest *req, JsonObject *me, EmuToken *token)
{
  if (!emu_server_client_granular (req->server, token->client_id))
    {
      emu_reply_error (req, SOUP_STATUS_FORBIDDEN,
                       "This API client has no permission to manage users; "
                       "ask Asset Panda support to enable the granular permissions", NULL);
      return FALSE;
    }
  if (!json_object_get_boolean_member_with_default (me, "is_admin", FALSE))
    {
      emu_reply_error (req, SOUP_STATUS_FORBIDDEN, "Only company administrators can manage users", NULL);
      return FALSE;
    }
  return TRUE;
}

/* Applies the user members of a create or update body to @user. The
 * template and phone may sit inside "user" or beside it. */
static gboolean
apply_user (EmuRequest *req, JsonObject *body, JsonObject *user, gboolean creating)
{
  EmuState *state = emu_server_state (req->server);
  JsonObject *fields = json_object_has_member (body, "user") &&
                       JSON_NODE_HOLDS_OBJECT (json_object_get_member (body, "user")) ?
                       json_object_get_object_member (body, "user") : NULL;
  const char *email = emu_member_string (fields, "email");
  const char *password = emu_member_string (fields, "password");
  const char *confirmation = emu_member_string (fields, "password_confirmation");
  gint64 template_id = -1;
  gint64 account;

  if (fields == NULL)
    {
      reply_validation (req, "user", "is missing", 1);
      return FALSE;
    }
  if (confirmation == NULL)
    confirmation = emu_member_string (fields, "confirm_password");

  for (const char *const *k = (const char *const[]) { "template_id", "template_rule_id", NULL }; *k; k++)
    {
      if (template_id == -1)
        template_id = member_id (fields, *k);
      if (template_id == -1)
        template_id = member_id (body, *k);
    }

  if (creating && (email == NULL || strchr (email, '@') == NULL))
    {
      reply_validation (req, "email", "is invalid", 1);
      return FALSE;
    }
  if (email != NULL)
    {
      JsonObject *other = user_by_email (state, email);

      if (strchr (email, '@') == NULL)
        {
          reply_validation (req, "email", "is invalid", 1);
          return FALSE;
        }
      if (other != NULL && other != user)
        {
          reply_validation (req, "email", "has already been taken", 2);
          return FALSE;
        }
    }
  if (creating && (password == NULL || *password == '\0'))
    {
      reply_validation (req, "password", "can't be blank", 1);
      return FALSE;
    }
  if (password != NULL && confirmation != NULL && !g_str_equal (password, confirmation))
    {
      reply_validation (req, "password_confirmation", "doesn't match Password", 1);
      return FALSE;
    }
  account = member_id (fields, "create_for_account");
  if (account == -1)
    account = member_id (body, "create_for_account");
  if (account != -1 && account != account_id (state))
    {
      reply_validation (req, "create_for_account", "is not your account", 1);
      return FALSE;
    }
  if (template_id < -1 || (template_id >= 0 && template_by_id (state, template_id) == NULL))
    {
      reply_validation (req, "template_id", "does not name a user template", 1);
      return FALSE;
    }

  for (const char *const *k = (const char *const[]) { "first_name", "last_name", "email", "password",
                                                      "integ_ad_sid", NULL }; *k; k++)
    if (emu_member_string (fields, *k) != NULL)
      json_object_set_string_member (user, *k, emu_member_string (fields, *k));
  if (emu_member_string (fields, "phone") != NULL || emu_member_string (body, "phone") != NULL)
    json_object_set_string_member (user, "phone", emu_member_string (fields, "phone") != NULL ?
                                   emu_member_string (fields, "phone") : emu_member_string (body, "phone"));
  if (template_id >= 0)
    json_object_set_int_member (user, "template_rule_id", template_id);
  if (json_object_has_member (fields, "is_active"))
    {
      JsonNode *node = json_object_get_member (fields, "is_active");

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
        {
          reply_validation (req, "is_active", "must be true or false", 1);
          return FALSE;
        }
      json_object_set_boolean_member (user, "is_active", json_node_get_boolean (node));
    }
  return TRUE;
}

static void
handle_create_user (EmuRequest *req, JsonObject *me, EmuToken *token)
{
  EmuState *state = emu_server_state (req->server);
  JsonObject *body = emu_request_object (req);
  g_autoptr(JsonObject) user = json_object_new ();

  if (!may_manage_users (req, me, token))
    return;
  if (body == NULL)
    {
      reply_validation (req, "user", "is missing", 1);
      return;
    }

  json_object_set_int_member (user, "id", state->next_user_id);
  json_object_set_int_member (user, "account_id", account_id (state));
  json_object_set_boolean_member (user, "is_admin", FALSE);
  json_object_set_boolean_member (user, "is_active", TRUE);
  json_object_set_null_member (user, "template_rule_id");
  json_object_set_null_member (user, "integ_ad_sid");
  if (!apply_user (req, body, user, TRUE))
    return;

  state->next_user_id++;
  json_array_add_object_element (users (state), json_object_ref (user));
  emu_reply (req, emu_server_switches (req->server)->create_status, render_user (state, user));
}

static void
handle_update_user (EmuRequest *req, JsonObject *me, EmuToken *token, const char *id_text)
{
  EmuState *state = emu_server_state (req->server);
  JsonObject *body = emu_request_object (req);
  JsonObject *user = user_by_id (state, g_ascii_strtoll (id_text, NULL, 10));
  g_autoptr(JsonObject) draft = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  if (user == NULL)
    {
      emu_reply_error (req, SOUP_STATUS_NOT_FOUND, "User not found", NULL);
      return;
    }
  if (!may_manage_users (req, me, token))
    return;
  if (body == NULL)
    {
      reply_validation (req, "user", "is missing", 1);
      return;
    }

  /* Validate on a copy so that a rejected update changes nothing. */
  draft = json_object_new ();
  json_object_iter_init_ordered (&iter, user);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    json_object_set_member (draft, name, json_node_copy (node));
  if (!apply_user (req, body, draft, FALSE))
    return;

  json_object_iter_init_ordered (&iter, draft);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    json_object_set_member (user, name, json_node_copy (node));
  emu_reply (req, SOUP_STATUS_OK, render_user (state, user));
}

/* ---------------------------------------------------------------- search */

typedef struct {
  EmuTable    *table;
  GPtrArray   *filter_fields;   /* EmuField*, NULL entry = integ_ad_sid */
  GPtrArray   *filter_values;   /* folded text */
  gboolean     partial;
  char        *search;          /* folded, or NULL */
  GHashTable  *ids;             /* or NULL */
  gboolean     has_gte, has_lte;
  gint64       gte, lte;
  int          archived;        /* 0 active only, 1 all, 2 archived only */
} Search;

static void
search_clear (Search *search)
{
  g_clear_pointer (&search->filter_fields, g_ptr_array_unref);
  g_clear_pointer (&search->filter_values, g_ptr_array_unref);
  g_clear_pointer (&search->search, g_free);
  g_clear_pointer (&search->ids, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Search, search_clear)

static gboolean
text_matches (const char *have, const char *want, gboolean partial)
{
  g_autofree char *folded = have != NULL ? g_utf8_casefold (have, -1) : NULL;

  if (folded == NULL)
    return *want == '\0';
  return partial ? strstr (folded, want) != NULL : g_str_equal (folded, want);
}

static gboolean
search_match (EmuRecord *record, gpointer data)
{
  Search *search = data;

  if ((search->archived == 0 && record->archived) || (search->archived == 2 && !record->archived))
    return FALSE;
  if (search->ids != NULL && !g_hash_table_contains (search->ids, record->id))
    return FALSE;
  if (search->has_gte && record->updated_at < search->gte)
    return FALSE;
  if (search->has_lte && record->updated_at > search->lte)
    return FALSE;

  for (guint i = 0; i < search->filter_fields->len; i++)
    {
      EmuField *field = g_ptr_array_index (search->filter_fields, i);
      const char *want = g_ptr_array_index (search->filter_values, i);
      g_autofree char *text = field != NULL ? emu_record_text (record, field) : g_strdup (record->ad_sid);
      g_autofree char *raw = field != NULL ? emu_node_text (json_object_get_member (record->values, field->key)) : NULL;

      if (!text_matches (text, want, search->partial) &&
          !(raw != NULL && text_matches (raw, want, FALSE)))
        return FALSE;
    }

  if (search->search != NULL)
    {
      gboolean found = FALSE;
      EmuTable *table = record->table;

      for (guint i = 0; i < table->fields->len && !found; i++)
        {
          g_autofree char *text = emu_record_text (record, g_ptr_array_index (table->fields, i));

          found = text != NULL && text_matches (text, search->search, TRUE);
        }
      if (!found)
        return FALSE;
    }
  return TRUE;
}

/* Reads the search body; FALSE after answering with an error. */
static gboolean
search_parse (EmuRequest *req, EmuTable *table, JsonObject *body, Search *search)
{
  JsonObject *filters = NULL;
  JsonNode *ids;
  const char *archived = emu_member_string (body, "view_archived");

  search->table = table;
  search->filter_fields = g_ptr_array_new ();
  search->filter_values = g_ptr_array_new_with_free_func (g_free);
  search->partial = g_strcmp0 (emu_member_string (body, "field_match"), "partial") == 0;
  search->archived = g_strcmp0 (archived, "all") == 0 ? 1 : g_strcmp0 (archived, "archived") == 0 ? 2 : 0;

  if (body != NULL && json_object_has_member (body, "field_filters"))
    {
      JsonNode *node = json_object_get_member (body, "field_filters");

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          reply_validation (req, "field_filters", "must be an object", 1);
          return FALSE;
        }
      filters = json_node_get_object (node);
    }
  if (filters != NULL)
    {
      JsonObjectIter iter;
      const char *key;
      JsonNode *value;

      json_object_iter_init_ordered (&iter, filters);
      while (json_object_iter_next_ordered (&iter, &key, &value))
        {
          EmuField *field = emu_table_field (table, key);
          g_autofree char *text = emu_node_text (value);

          if (field == NULL && !g_str_equal (key, "integ_ad_sid"))
            {
              reply_validation (req, key, "is not a field of this group", 1);
              return FALSE;
            }
          g_ptr_array_add (search->filter_fields, field);
          g_ptr_array_add (search->filter_values, g_utf8_casefold (text != NULL ? text : "", -1));
        }
    }

  if (emu_member_string (body, "search") != NULL && *emu_member_string (body, "search") != '\0')
    search->search = g_utf8_casefold (emu_member_string (body, "search"), -1);

  ids = body != NULL ? json_object_get_member (body, "ids") : NULL;
  if (ids != NULL && !JSON_NODE_HOLDS_NULL (ids))
    {
      search->ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      if (JSON_NODE_HOLDS_ARRAY (ids))
        {
          JsonArray *array = json_node_get_array (ids);

          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              char *id = emu_node_text (json_array_get_element (array, i));

              if (id != NULL)
                g_hash_table_add (search->ids, id);
            }
        }
      else
        {
          char *id = emu_node_text (ids);

          if (id != NULL)
            g_hash_table_add (search->ids, id);
        }
    }

  if (body != NULL && json_object_has_member (body, "last_modified"))
    {
      JsonNode *node = json_object_get_member (body, "last_modified");
      JsonObject *range = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *gte = emu_member_string (range, "gte");
      const char *lte = emu_member_string (range, "lte");

      if (range == NULL || (gte != NULL && !emu_parse_time (gte, &search->gte)) ||
          (lte != NULL && !emu_parse_time (lte, &search->lte)))
        {
          reply_validation (req, "last_modified", "takes {\"gte\": ISO-8601, \"lte\": ISO-8601}", 1);
          return FALSE;
        }
      search->has_gte = gte != NULL;
      search->has_lte = lte != NULL;
    }
  return TRUE;
}

static int
compare_index (gconstpointer a, gconstpointer b)
{
  const EmuRecord *ra = *(EmuRecord *const *) a;
  const EmuRecord *rb = *(EmuRecord *const *) b;

  return (ra->index > rb->index) - (ra->index < rb->index);
}

static gint64
query_int (EmuRequest *req, const char *name, gint64 fallback)
{
  const char *text = emu_request_query (req, name);
  char *end = NULL;
  gint64 value;

  if (text == NULL || *text == '\0')
    return fallback;
  value = g_ascii_strtoll (text, &end, 10);
  return *end == '\0' && value >= 0 ? value : fallback;
}

static void
handle_search (EmuRequest *req, EmuTable *table)
{
  EmuServer *server = req->server;
  JsonObject *body = emu_request_object (req);
  gint64 offset = query_int (req, "offset", 0);
  gint64 limit = CLAMP (query_int (req, "limit", DEFAULT_LIMIT), 1, MAX_LIMIT);
  g_auto(Search) search = { 0 };
  g_autoptr(GPtrArray) own = NULL;
  GPtrArray *matches = NULL;
  gboolean plain;
  guint total;
  JsonObject *root;
  JsonArray *objects;

  if (req->json != NULL && body == NULL)
    {
      reply_validation (req, "body", "must be a JSON object", 1);
      return;
    }
  if (!search_parse (req, table, body, &search))
    return;

  plain = search.filter_fields->len == 0 && search.search == NULL && search.ids == NULL &&
          !search.has_gte && !search.has_lte;

  if (plain && (search.archived == 1 || (search.archived == 0 && table->n_archived == 0)))
    matches = table->records;
  else if (search.ids != NULL)
    {
      GHashTableIter iter;
      const char *id;

      own = g_ptr_array_new ();
      g_hash_table_iter_init (&iter, search.ids);
      while (g_hash_table_iter_next (&iter, (gpointer *) &id, NULL))
        {
          EmuRecord *record = emu_table_record (table, id);

          if (record != NULL && search_match (record, &search))
            g_ptr_array_add (own, record);
        }
      g_ptr_array_sort (own, compare_index);
      matches = own;
    }
  else
    {
      /* An exact filter on a unique field or integ_ad_sid is one lookup. */
      for (guint i = 0; i < search.filter_fields->len && matches == NULL && !search.partial; i++)
        {
          EmuField *field = g_ptr_array_index (search.filter_fields, i);
          const char *key = field != NULL ? field->key : "integ_ad_sid";

          if (emu_table_is_indexed (table, key))
            {
              EmuRecord *record = emu_table_find_unique (table, key, g_ptr_array_index (search.filter_values, i));

              own = g_ptr_array_new ();
              if (record != NULL && search_match (record, &search))
                g_ptr_array_add (own, record);
              matches = own;
            }
        }
      if (matches == NULL)
        {
          g_autofree char *cache_key = body != NULL ?
                                       json_to_string (req->json, FALSE) : g_strdup ("{}");

          matches = emu_table_matches (table, cache_key, search_match, &search);
        }
    }

  total = matches->len;
  root = json_object_new ();
  objects = json_array_new ();
  for (gint64 i = offset; i < total && i < offset + limit; i++)
    json_array_add_element (objects, emu_classic_render_object (server, g_ptr_array_index (matches, i)));

  json_object_set_array_member (root, "objects", objects);
  if (!emu_server_switches (server)->omit_totals)
    {
      JsonObject *totals = json_object_new ();

      json_object_set_int_member (totals, "objects", total);
      json_object_set_int_member (totals, "group_totals", table->records->len - table->n_archived);
      json_object_set_int_member (totals, "offset", offset);
      json_object_set_int_member (totals, "limit", limit);
      json_object_set_object_member (root, "totals", totals);
    }
  json_object_set_int_member (root, "not_viewable", 0);
  emu_reply (req, SOUP_STATUS_OK, emu_object_node (root));
}

/* ---------------------------------------------------------------- objects */

/* Builds the 422 answer for failed items: one errors entry per item. */
static void
reply_item_errors (EmuRequest *req, GPtrArray *failed, gboolean breach)
{
  JsonObject *object = json_object_new ();
  JsonArray *errors = json_array_new ();
  g_autofree char *first = NULL;

  for (guint i = 0; i < failed->len; i++)
    {
      JsonObject *item = g_ptr_array_index (failed, i);

      if (first == NULL)
        {
          g_autoptr(GList) names = json_object_get_members (item);

          for (GList *l = names; l != NULL && first == NULL; l = l->next)
            if (!g_str_equal (l->data, "index"))
              first = g_strdup_printf ("Validation failed: %s %s", (char *) l->data,
                                       json_array_get_string_element (json_object_get_array_member (item, l->data), 0));
        }
      json_array_add_object_element (errors, json_object_ref (item));
    }

  json_object_set_string_member (object, "message", first != NULL ? first : "Validation failed");
  json_object_set_array_member (object, "errors", errors);
  json_object_set_int_member (object, "code", breach ? 2 : 1);
  emu_reply (req, 422, emu_object_node (object));
}

/* The field values of one item as sent: a flat map, or a map under "data". */
static JsonObject *
item_changes (JsonObject *item)
{
  static const char *const skip[] = { "id", "device", NULL };
  JsonObject *source = item;
  JsonObject *changes = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  if (json_object_get_size (item) <= 2 && json_object_has_member (item, "data") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (item, "data")))
    source = json_object_get_object_member (item, "data");

  json_object_iter_init_ordered (&iter, source);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    if (!g_strv_contains (skip, name))
      json_object_set_member (changes, name, json_node_copy (node));
  return changes;
}

static void
handle_create (EmuRequest *req, EmuTable *table)
{
  EmuServer *server = req->server;
  JsonObject *body = emu_request_object (req);
  JsonNode *batch = body != NULL ? json_object_get_member (body, "objects") : NULL;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GPtrArray) failed = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gboolean breach = FALSE;
  JsonArray *created;

  if (body == NULL)
    {
      reply_validation (req, "body", "must be a JSON object of field values", 1);
      return;
    }
  if (batch != NULL && !JSON_NODE_HOLDS_ARRAY (batch))
    {
      reply_validation (req, "objects", "must be an array", 1);
      return;
    }

  if (batch != NULL)
    {
      JsonArray *array = json_node_get_array (batch);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *node = json_array_get_element (array, i);

          if (!JSON_NODE_HOLDS_OBJECT (node))
            {
              reply_validation (req, "objects", "must hold objects", 1);
              return;
            }
          g_ptr_array_add (items, item_changes (json_node_get_object (node)));
        }
    }
  else
    g_ptr_array_add (items, item_changes (body));

  for (guint i = 0; i < items->len; i++)
    {
      JsonObject *errors = json_object_new ();

      if (!emu_table_check (table, NULL, g_ptr_array_index (items, i), TRUE, seen, errors, &breach))
        {
          if (batch != NULL)
            json_object_set_int_member (errors, "index", i);
          g_ptr_array_add (failed, errors);
        }
      else
        json_object_unref (errors);
    }
  if (failed->len > 0)
    {
      reply_item_errors (req, failed, breach);
      return;
    }

  created = json_array_new ();
  for (guint i = 0; i < items->len; i++)
    {
      EmuRecord *record = emu_table_insert (table, g_ptr_array_index (items, i), NULL);

      json_array_add_element (created, emu_classic_render_object (server, record));
    }

  if (batch == NULL)
    {
      JsonNode *one = json_node_copy (json_array_get_element (created, 0));

      json_array_unref (created);
      emu_reply (req, emu_server_switches (server)->create_status, one);
    }
  else
    {
      JsonObject *root = json_object_new ();

      json_object_set_array_member (root, "objects", created);
      emu_reply (req, emu_server_switches (server)->create_status, emu_object_node (root));
    }
}

static void
handle_update_one (EmuRequest *req, EmuTable *table, const char *id)
{
  JsonObject *body = emu_request_object (req);
  EmuRecord *record = emu_table_record (table, id);
  g_autoptr(JsonObject) changes = NULL;
  g_autoptr(JsonObject) errors = json_object_new ();
  g_autoptr(GPtrArray) failed = NULL;
  gboolean breach = FALSE;

  if (record == NULL)
    {
      emu_reply_error (req, SOUP_STATUS_NOT_FOUND, "Object not found", NULL);
      return;
    }
  if (body == NULL)
    {
      reply_validation (req, "body", "must be a JSON object of field values", 1);
      return;
    }

  changes = item_changes (body);
  if (!emu_table_check (table, record, changes, FALSE, NULL, errors, &breach))
    {
      failed = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
      g_ptr_array_add (failed, g_steal_pointer (&errors));
      reply_item_errors (req, failed, breach);
      return;
    }
  emu_table_update (record, changes);
  emu_reply (req, SOUP_STATUS_OK, emu_classic_render_object (req->server, record));
}

static void
handle_update_batch (EmuRequest *req, EmuTable *table)
{
  JsonObject *body = emu_request_object (req);
  JsonNode *batch = body != NULL ? json_object_get_member (body, "objects") : NULL;
  g_autoptr(GPtrArray) records = g_ptr_array_new ();
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GPtrArray) failed = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gboolean breach = FALSE;
  JsonArray *array;
  JsonArray *updated;
  JsonObject *root;

  if (batch == NULL || !JSON_NODE_HOLDS_ARRAY (batch))
    {
      reply_validation (req, "objects", "must be an array of {\"id\": …, field values}", 1);
      return;
    }

  array = json_node_get_array (batch);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *item = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      g_autofree char *id = item != NULL ? emu_node_text (json_object_get_member (item, "id")) : NULL;
      EmuRecord *record = emu_table_record (table, id);

      if (record == NULL)
        {
          g_autofree char *message = g_strdup_printf ("Object %s not found", id != NULL ? id : "(no id)");

          emu_reply_error (req, SOUP_STATUS_NOT_FOUND, message, NULL);
          return;
        }
      g_ptr_array_add (records, record);
      g_ptr_array_add (items, item_changes (item));
    }

  for (guint i = 0; i < items->len; i++)
    {
      JsonObject *errors = json_object_new ();

      if (!emu_table_check (table, g_ptr_array_index (records, i), g_ptr_array_index (items, i),
                            FALSE, seen, errors, &breach))
        {
          json_object_set_int_member (errors, "index", i);
          g_ptr_array_add (failed, errors);
        }
      else
        json_object_unref (errors);
    }
  if (failed->len > 0)
    {
      reply_item_errors (req, failed, breach);
      return;
    }

  updated = json_array_new ();
  for (guint i = 0; i < items->len; i++)
    {
      emu_table_update (g_ptr_array_index (records, i), g_ptr_array_index (items, i));
      json_array_add_element (updated, emu_classic_render_object (req->server, g_ptr_array_index (records, i)));
    }
  root = json_object_new ();
  json_object_set_array_member (root, "objects", updated);
  emu_reply (req, SOUP_STATUS_OK, emu_object_node (root));
}

static void
handle_archive (EmuRequest *req, EmuTable *table, gboolean archive)
{
  JsonObject *body = emu_request_object (req);
  JsonNode *ids = body != NULL ? json_object_get_member (body, "object_ids") : NULL;
  JsonArray *done = json_array_new ();
  JsonArray *missing = json_array_new ();
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (g_free);
  JsonObject *root;

  if (ids == NULL && body != NULL)
    ids = json_object_get_member (body, "ids");
  if (ids != NULL && JSON_NODE_HOLDS_ARRAY (ids))
    for (guint i = 0; i < json_array_get_length (json_node_get_array (ids)); i++)
      g_ptr_array_add (list, emu_node_text (json_array_get_element (json_node_get_array (ids), i)));
  else if (ids != NULL)
    g_ptr_array_add (list, emu_node_text (ids));

  if (list->len == 0)
    {
      json_array_unref (done);
      json_array_unref (missing);
      reply_validation (req, "object_ids", "can't be blank", 1);
      return;
    }

  for (guint i = 0; i < list->len; i++)
    {
      const char *id = g_ptr_array_index (list, i);
      EmuRecord *record = emu_table_record (table, id);

      if (record == NULL)
        {
          json_array_add_string_element (missing, id != NULL ? id : "");
          continue;
        }
      emu_table_set_archived (record, archive);
      json_array_add_string_element (done, id);
    }

  root = json_object_new ();
  json_object_set_string_member (root, "message", archive ? "Objects archived" : "Objects unarchived");
  json_object_set_int_member (root, "count", json_array_get_length (done));
  json_object_set_array_member (root, "object_ids", done);
  json_object_set_array_member (root, "not_found", missing);
  emu_reply (req, json_array_get_length (done) > 0 ? SOUP_STATUS_OK : SOUP_STATUS_NOT_FOUND, emu_object_node (root));
}

/* ---------------------------------------------------------------- groups */

static void
handle_groups (EmuRequest *req)
{
  EmuState *state = emu_server_state (req->server);
  JsonObject *root = json_object_new ();
  JsonArray *groups = json_array_new ();

  for (guint i = 0; i < state->tables->len; i++)
    {
      EmuTable *table = g_ptr_array_index (state->tables, i);

      if (table->dialect == EMU_DIALECT_CLASSIC)
        json_array_add_object_element (groups, render_group (table));
    }
  json_object_set_array_member (root, "groups", groups);
  emu_reply (req, SOUP_STATUS_OK, emu_object_node (root));
}

static void
handle_fields (EmuRequest *req, EmuTable *table)
{
  JsonObject *root = json_object_new ();
  JsonArray *fields = json_array_new ();

  for (guint i = 0; i < table->fields->len; i++)
    json_array_add_element (fields, render_field (req->server, table, g_ptr_array_index (table->fields, i)));
  json_object_set_array_member (root, "fields", fields);
  emu_reply (req, SOUP_STATUS_OK, emu_object_node (root));
}

static void
handle_statuses (EmuRequest *req, EmuTable *table)
{
  JsonObject *root = json_object_new ();
  g_autoptr(JsonNode) copy = json_node_init_array (json_node_alloc (), table->statuses);
  g_autofree char *text = json_to_string (copy, FALSE);

  json_object_set_member (root, "statuses", json_from_string (text, NULL));
  emu_reply (req, SOUP_STATUS_OK, emu_object_node (root));
}

/* Routes /v3/groups/{id}/…; segments[0..1] are "v3", "groups". */
static void
route_group (EmuRequest *req)
{
  EmuSwitches *sw = emu_server_switches (req->server);
  EmuTable *table = emu_state_table (emu_server_state (req->server), EMU_DIALECT_CLASSIC, req->segments[2]);
  const char *method = req->method;
  const char *a = req->n_segments > 3 ? req->segments[3] : NULL;
  const char *b = req->n_segments > 4 ? req->segments[4] : NULL;
  gboolean post = g_str_equal (method, "POST");

  if (table == NULL)
    {
      emu_request_set_route (req, "/v3/groups/{id}/…");
      emu_reply_error (req, SOUP_STATUS_NOT_FOUND, "Group not found", NULL);
      return;
    }

  if (a == NULL && g_str_equal (method, "GET"))
    {
      emu_request_set_route (req, "/v3/groups/{id}");
      emu_reply (req, SOUP_STATUS_OK, emu_object_node (render_group (table)));
    }
  else if (g_strcmp0 (a, "fields") == 0 && b == NULL && g_str_equal (method, "GET"))
    {
      emu_request_set_route (req, "/v3/groups/{id}/fields");
      handle_fields (req, table);
    }
  else if (g_strcmp0 (a, "statuses") == 0 && b == NULL && g_str_equal (method, "GET"))
    {
      emu_request_set_route (req, "/v3/groups/{id}/statuses");
      handle_statuses (req, table);
    }
  else if (post && g_strcmp0 (a, "search") == 0 && g_strcmp0 (b, "objects") == 0 &&
           req->n_segments == 5 && !g_str_equal (sw->search_path, "objects/search"))
    {
      emu_request_set_route (req, "/v3/groups/{id}/search/objects");
      handle_search (req, table);
    }
  else if (post && g_strcmp0 (a, "objects") == 0 && g_strcmp0 (b, "search") == 0 &&
           req->n_segments == 5 && !g_str_equal (sw->search_path, "search/objects"))
    {
      emu_request_set_route (req, "/v3/groups/{id}/objects/search");
      handle_search (req, table);
    }
  else if (g_strcmp0 (a, "objects") == 0 && b == NULL && post)
    {
      emu_request_set_route (req, "/v3/groups/{id}/objects");
      handle_create (req, table);
    }
  else if (g_strcmp0 (a, "objects") == 0 && b == NULL && g_str_equal (method, "PUT"))
    {
      emu_request_set_route (req, "/v3/groups/{id}/objects");
      handle_update_batch (req, table);
    }
  else if (g_strcmp0 (a, "objects") == 0 && req->n_segments == 5 && post &&
           (g_str_equal (b, "archive") || g_str_equal (b, "unarchive")))
    {
      emu_request_set_route (req, g_str_equal (b, "archive") ? "/v3/groups/{id}/objects/archive" :
                             "/v3/groups/{id}/objects/unarchive");
      handle_archive (req, table, g_str_equal (b, "archive"));
    }
  else if (g_strcmp0 (a, "objects") == 0 && req->n_segments == 5 &&
           (g_str_equal (method, "PATCH") || g_str_equal (method, "PUT")))
    {
      emu_request_set_route (req, "/v3/groups/{id}/objects/{oid}");
      handle_update_one (req, table, b);
    }
  else
    {
      emu_request_set_route (req, "/v3/groups/{id}/…");
      emu_reply_error (req, SOUP_STATUS_NOT_FOUND, "Not found", NULL);
    }
}

/* ---------------------------------------------------------------- entry point */

gboolean
emu_classic_handle (EmuRequest *req)
{
  const char *method = req->method;
  char **s = req->segments;
  guint n = req->n_segments;
  EmuToken *token = NULL;
  JsonObject *me;

  if (n < 2 || !g_str_equal (s[0], "v3"))
    return FALSE;

  if (n == 3 && g_str_equal (s[1], "session") && g_str_equal (s[2], "token") && g_str_equal (method, "POST"))
    {
      handle_token (req);
      return TRUE;
    }

  me = authenticate (req, &token);
  if (me == NULL)
    {
      emu_request_set_route (req, "/v3/… (unauthorized)");
      return TRUE;
    }

  if (n == 2 && g_str_equal (s[1], "settings") && g_str_equal (method, "GET"))
    {
      emu_request_set_route (req, "/v3/settings");
      handle_settings (req, me);
    }
  else if (n == 2 && g_str_equal (s[1], "users") && g_str_equal (method, "GET"))
    {
      emu_request_set_route (req, "/v3/users");
      handle_users (req);
    }
  else if (n == 2 && g_str_equal (s[1], "users") && g_str_equal (method, "POST"))
    {
      emu_request_set_route (req, "/v3/users");
      handle_create_user (req, me, token);
    }
  else if (n == 3 && g_str_equal (s[1], "users") && g_str_equal (s[2], "me") && g_str_equal (method, "GET"))
    {
      emu_request_set_route (req, "/v3/users/me");
      emu_reply (req, SOUP_STATUS_OK, render_user (emu_server_state (req->server), me));
    }
  else if (n == 3 && g_str_equal (s[1], "users") && g_str_equal (s[2], "templates") &&
           g_str_equal (method, "GET"))
    {
      emu_request_set_route (req, "/v3/users/templates");
      handle_templates (req);
    }
  else if (n == 3 && g_str_equal (s[1], "users") && g_str_equal (method, "PUT"))
    {
      emu_request_set_route (req, "/v3/users/{id}");
      handle_update_user (req, me, token, s[2]);
    }
  else if (n == 2 && g_str_equal (s[1], "groups") && g_str_equal (method, "GET"))
    {
      emu_request_set_route (req, "/v3/groups");
      handle_groups (req);
    }
  else if (n >= 3 && g_str_equal (s[1], "groups"))
    route_group (req);
  else
    {
      emu_request_set_route (req, "/v3/…");
      emu_reply_error (req, SOUP_STATUS_NOT_FOUND, "Not found", NULL);
    }
  return TRUE;
}
