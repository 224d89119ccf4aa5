/* okta-admin.c — the /_admin/ API of the Okta emulator: state, calls,
 * faults, clock, reset, and the changes an Okta admin would make (users,
 * status transitions, groups, members, tokens, apps, the System Log)
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * No authentication, no faults, not in the call log. Objects live in the
 * first org unless ?org=NAME (or "org" in the body) names another.
 */

#include <string.h>

#include "okta-private.h"

typedef struct {
  OktaServer        *server;
  SoupServerMessage *msg;
  const char        *method;
  char             **segments;     /* after /_admin/ */
  guint              n_segments;
  GHashTable        *query;
  JsonNode          *json;
} Admin;

/* ---------------------------------------------------------------- helpers */

static JsonObject *
admin_body (Admin *admin)
{
  return admin->json != NULL && JSON_NODE_HOLDS_OBJECT (admin->json) ? json_node_get_object (admin->json) : NULL;
}

static const char *
body_string (Admin *admin, const char *name)
{
  JsonObject *body = admin_body (admin);
  JsonNode *node = body != NULL ? json_object_get_member (body, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING ?
         json_node_get_string (node) : NULL;
}

static const char *
query_string (Admin *admin, const char *name)
{
  return admin->query != NULL ? g_hash_table_lookup (admin->query, name) : NULL;
}

static gboolean
is (Admin *admin, const char *method, guint n, const char *first)
{
  return g_str_equal (admin->method, method) && admin->n_segments == n &&
         (first == NULL || g_str_equal (admin->segments[0], first));
}

static OktaOrg *
admin_org (Admin *admin)
{
  const char *name = query_string (admin, "org");

  if (name == NULL)
    name = body_string (admin, "org");
  return name != NULL ? okta_state_org (admin->server->state, name) :
         okta_state_default_org (admin->server->state);
}

static const char *
admin_actor (Admin *admin)
{
  const char *actor = query_string (admin, "actor");

  return actor != NULL ? actor : body_string (admin, "actor");
}

static gboolean
want (JsonObject *object, const char *name)
{
  return object == NULL || json_object_get_boolean_member_with_default (object, name, TRUE);
}

static gboolean
flag (Admin *admin, const char *name)
{
  const char *text = query_string (admin, name);
  JsonObject *body = admin_body (admin);

  if (text != NULL)
    return g_str_equal (text, "true") || g_str_equal (text, "1");
  return body != NULL && json_object_get_boolean_member_with_default (body, name, FALSE);
}

static JsonNode *
admin_user_node (OktaUser *user)
{
  JsonNode *node = okta_user_json (user, "", FALSE, TRUE, NULL);
  JsonObject *object = json_node_get_object (node);
  JsonArray *groups = json_array_new ();

  for (guint i = 0; i < user->groups->len; i++)
    json_array_add_string_element (groups, ((OktaGroup *) g_ptr_array_index (user->groups, i))->id);
  json_object_set_array_member (object, "groups", groups);
  json_object_set_int_member (object, "serial", user->serial);
  json_object_remove_member (object, "_links");
  return node;
}

static JsonNode *
admin_group_node (OktaGroup *group)
{
  JsonNode *node = okta_group_json (group, "", TRUE);
  JsonObject *object = json_node_get_object (node);
  JsonArray *members = json_array_new ();

  for (GSequenceIter *iter = g_sequence_get_begin_iter (group->members); !g_sequence_iter_is_end (iter);
       iter = g_sequence_iter_next (iter))
    json_array_add_string_element (members, ((OktaMember *) g_sequence_get (iter))->user->id);
  json_object_set_array_member (object, "members", members);
  json_object_remove_member (object, "_links");
  return node;
}

static JsonNode *
clock_node (OktaServer *server)
{
  JsonObject *object = json_object_new ();
  g_autofree char *now = okta_format_time (okta_server_now (server));

  json_object_set_string_member (object, "now", now);
  json_object_set_int_member (object, "offset_seconds", server->clock_offset / OKTA_MS_PER_SEC);
  return emu_object_node (object);
}

/* ---------------------------------------------------------------- users */

static void
admin_users (Admin *admin, OktaOrg *org)
{
  OktaServer *server = admin->server;
  JsonObject *body = admin_body (admin);
  gint64 now = okta_server_now (server);
  g_autoptr(GError) error = NULL;
  const char *action = NULL;
  OktaUser *user = NULL;
  g_autofree char *id = NULL;

  if (is (admin, "GET", 1, NULL))
    {
      JsonArray *users = json_array_new ();

      for (guint i = 0; i < org->users->len; i++)
        {
          OktaUser *one = g_ptr_array_index (org->users, i);
          JsonObject *entry = json_object_new ();

          json_object_set_string_member (entry, "id", one->id);
          json_object_set_string_member (entry, "login",
                                         json_object_get_string_member_with_default (one->profile, "login", ""));
          json_object_set_string_member (entry, "status", okta_status_name (one->status));
          json_array_add_object_element (users, entry);
        }
      emu_reply_json (admin->msg, 200, json_node_init_array (json_node_alloc (), users));
      json_array_unref (users);
      return;
    }
  if (is (admin, "POST", 1, NULL))
    {
      if (body == NULL)
        emu_reply_message (admin->msg, 400, "Send the user (profile, status, groups…) as a JSON object");
      else if ((user = okta_org_create_user (org, body, admin_actor (admin), now, &error)) == NULL)
        emu_reply_message (admin->msg, 400, error->message);
      else
        emu_reply_json (admin->msg, 201, admin_user_node (user));
      return;
    }
  if (admin->n_segments >= 2)
    user = okta_org_user (org, admin->segments[1]);
  if (user == NULL)
    {
      emu_reply_message (admin->msg, 404, "No such user (deleted users are gone)");
      return;
    }
  id = g_strdup (user->id);
  if (admin->n_segments == 4 && g_str_equal (admin->segments[2], "lifecycle"))
    action = admin->segments[3];
  else if (admin->n_segments == 3)
    action = admin->segments[2];

  if (is (admin, "GET", 2, NULL))
    emu_reply_json (admin->msg, 200, admin_user_node (user));
  else if (is (admin, "PATCH", 2, NULL) || is (admin, "PUT", 2, NULL))
    {
      if (body == NULL)
        emu_reply_message (admin->msg, 400, "Send {profile, status, transitioningToStatus, lastLogin, passwordChanged}");
      else if (!okta_user_update (user, body, admin_actor (admin), now, &error))
        emu_reply_message (admin->msg, 400, error->message);
      else
        emu_reply_json (admin->msg, 200, admin_user_node (user));
    }
  else if (is (admin, "DELETE", 2, NULL) || (g_str_equal (admin->method, "POST") && action != NULL))
    {
      g_autoptr(JsonObject) options = json_object_new ();
      JsonObject *result;

      if (body != NULL)
        {
          JsonObjectIter iter;
          const char *name;
          JsonNode *value;

          json_object_iter_init_ordered (&iter, body);
          while (json_object_iter_next_ordered (&iter, &name, &value))
            json_object_set_member (options, name, json_node_copy (value));
        }
      if (flag (admin, "hard"))
        json_object_set_boolean_member (options, "hard", TRUE);
      if (!okta_user_lifecycle (user, action != NULL ? action : "delete", options, admin_actor (admin), now, &error))
        {
          emu_reply_message (admin->msg, 400, error->message);
          return;
        }
      user = g_hash_table_lookup (org->user_by_id, id);
      if (user != NULL)
        {
          emu_reply_json (admin->msg, 200, admin_user_node (user));
          return;
        }
      result = json_object_new ();
      json_object_set_string_member (result, "id", id);
      json_object_set_boolean_member (result, "deleted", TRUE);
      emu_reply_json (admin->msg, 200, emu_object_node (result));
    }
  else
    emu_reply_message (admin->msg, 404, "Unknown admin endpoint");
}

/* ---------------------------------------------------------------- groups */

static gboolean
member_ids (JsonObject *body, GPtrArray *out)
{
  JsonNode *ids = body != NULL ? json_object_get_member (body, "ids") : NULL;
  const char *id = body != NULL ? json_object_get_string_member_with_default (body, "id", NULL) : NULL;

  if (ids != NULL && JSON_NODE_HOLDS_ARRAY (ids))
    for (guint i = 0; i < json_array_get_length (json_node_get_array (ids)); i++)
      {
        const char *text = json_array_get_string_element (json_node_get_array (ids), i);

        if (text == NULL)
          return FALSE;
        g_ptr_array_add (out, (gpointer) text);
      }
  else if (id != NULL)
    g_ptr_array_add (out, (gpointer) id);
  return out->len > 0;
}

static void
admin_groups (Admin *admin, OktaOrg *org)
{
  OktaServer *server = admin->server;
  JsonObject *body = admin_body (admin);
  gint64 now = okta_server_now (server);
  g_autoptr(GError) error = NULL;
  OktaGroup *group = NULL;

  if (is (admin, "GET", 1, NULL))
    {
      JsonArray *groups = json_array_new ();

      for (guint i = 0; i < org->groups->len; i++)
        json_array_add_element (groups, admin_group_node (g_ptr_array_index (org->groups, i)));
      emu_reply_json (admin->msg, 200, json_node_init_array (json_node_alloc (), groups));
      json_array_unref (groups);
      return;
    }
  if (is (admin, "POST", 1, NULL))
    {
      if (body == NULL)
        emu_reply_message (admin->msg, 400, "Send the group ({profile: {name, description}, type, members}) as JSON");
      else if ((group = okta_org_create_group (org, body, admin_actor (admin), now, &error)) == NULL)
        emu_reply_message (admin->msg, 400, error->message);
      else
        emu_reply_json (admin->msg, 201, admin_group_node (group));
      return;
    }
  if (admin->n_segments >= 2)
    group = okta_org_group (org, admin->segments[1]);
  if (group == NULL)
    {
      emu_reply_message (admin->msg, 404, "No such group");
      return;
    }
  if (is (admin, "GET", 2, NULL))
    emu_reply_json (admin->msg, 200, admin_group_node (group));
  else if (is (admin, "PATCH", 2, NULL) || is (admin, "PUT", 2, NULL))
    {
      if (body == NULL || !okta_group_update (group, body, admin_actor (admin), now, &error))
        emu_reply_message (admin->msg, 400, error != NULL ? error->message : "Send {\"profile\": {…}}");
      else
        emu_reply_json (admin->msg, 200, admin_group_node (group));
    }
  else if (is (admin, "DELETE", 2, NULL))
    {
      JsonObject *result = json_object_new ();

      json_object_set_string_member (result, "id", group->id);
      json_object_set_boolean_member (result, "deleted", TRUE);
      okta_group_delete (group, admin_actor (admin), now);
      emu_reply_json (admin->msg, 200, emu_object_node (result));
    }
  else if (is (admin, "POST", 3, NULL) && g_str_equal (admin->segments[2], "members"))
    {
      g_autoptr(GPtrArray) ids = g_ptr_array_new ();

      if (!member_ids (body, ids))
        {
          emu_reply_message (admin->msg, 400, "Send {\"id\": user} or {\"ids\": [users]}");
          return;
        }
      for (guint i = 0; i < ids->len; i++)
        if (okta_org_user (org, g_ptr_array_index (ids, i)) == NULL)
          {
            emu_reply_message (admin->msg, 404, "No such user");
            return;
          }
      for (guint i = 0; i < ids->len; i++)
        if (!okta_group_add (group, okta_org_user (org, g_ptr_array_index (ids, i)), admin_actor (admin), now,
                             &error))
          {
            emu_reply_message (admin->msg, 400, error->message);
            return;
          }
      emu_reply_json (admin->msg, 200, admin_group_node (group));
    }
  else if (is (admin, "DELETE", 4, NULL) && g_str_equal (admin->segments[2], "members"))
    {
      OktaUser *user = okta_org_user (org, admin->segments[3]);

      if (user == NULL)
        emu_reply_message (admin->msg, 404, "No such user");
      else if (!okta_group_remove (group, user, admin_actor (admin), now, &error))
        emu_reply_message (admin->msg, 400, error->message);
      else
        emu_reply_json (admin->msg, 200, admin_group_node (group));
    }
  else
    emu_reply_message (admin->msg, 404, "Unknown admin endpoint");
}

/* ---------------------------------------------------------------- the System Log */

static void
admin_logs (Admin *admin, OktaOrg *org)
{
  OktaServer *server = admin->server;
  JsonObject *body = admin_body (admin);
  gint64 now = okta_server_now (server);
  g_autoptr(GError) error = NULL;

  if (is (admin, "GET", 1, NULL))
    {
      JsonObject *object = json_object_new ();
      JsonArray *events = json_array_new ();

      for (guint i = 0; i < org->events->len; i++)
        json_array_add_object_element (events, json_object_ref (((OktaEvent *) g_ptr_array_index (org->events,
                                                                                                i))->object));
      json_object_set_array_member (object, "events", events);
      emu_reply_json (admin->msg, 200, emu_object_node (object));
    }
  else if (is (admin, "POST", 1, NULL))
    {
      OktaEvent *event;

      if (body == NULL)
        emu_reply_message (admin->msg, 400, "Send an event: {eventType, published, target: [ids or objects], …}");
      else if ((event = okta_org_log_raw (org, body, now, &error)) == NULL)
        emu_reply_message (admin->msg, 400, error->message);
      else
        emu_reply_json (admin->msg, 201, emu_object_node (json_object_ref (event->object)));
    }
  else if (is (admin, "POST", 2, NULL) && g_str_equal (admin->segments[1], "purge"))
    {
      gint64 before = 0;
      JsonObject *result;
      guint removed;

      if (body != NULL && json_object_get_boolean_member_with_default (body, "all", FALSE))
        before = G_MAXINT64;
      else if (body != NULL && json_object_has_member (body, "older_than_days"))
        before = now - json_object_get_int_member (body, "older_than_days") * OKTA_MS_PER_DAY;
      else if (body_string (admin, "before") == NULL ||
               !okta_parse_seed_time (body_string (admin, "before"), now, &before))
        {
          emu_reply_message (admin->msg, 400, "Send {\"before\": time}, {\"older_than_days\": N} or {\"all\": true}");
          return;
        }
      removed = okta_org_purge_log (org, before);
      result = json_object_new ();
      json_object_set_int_member (result, "removed", removed);
      json_object_set_int_member (result, "kept", org->events->len);
      emu_reply_json (admin->msg, 200, emu_object_node (result));
    }
  else
    emu_reply_message (admin->msg, 404, "Unknown admin endpoint");
}

/* ---------------------------------------------------------------- tokens and apps */

static gboolean
rights_from (JsonObject *body, guint *rights, GError **error)
{
  JsonNode *node = json_object_get_member (body, "rights");
  const char *role = json_object_get_string_member_with_default (body, "role", NULL);

  if (node == NULL && role == NULL)
    return TRUE;
  if (node == NULL)
    {
      *rights = okta_role_rights (role);
      if (*rights == G_MAXUINT)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "unknown role %s", role);
          return FALSE;
        }
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "rights is an array of users, groups, logs, org");
      return FALSE;
    }
  *rights = 0;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
    {
      const char *right = json_array_get_string_element (json_node_get_array (node), i);

      if (g_strcmp0 (right, "users") == 0)
        *rights |= OKTA_RIGHT_USERS;
      else if (g_strcmp0 (right, "groups") == 0)
        *rights |= OKTA_RIGHT_GROUPS;
      else if (g_strcmp0 (right, "logs") == 0)
        *rights |= OKTA_RIGHT_LOGS;
      else if (g_strcmp0 (right, "org") == 0)
        *rights |= OKTA_RIGHT_ORG;
      else
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "rights is an array of users, groups, logs, org");
          return FALSE;
        }
    }
  return TRUE;
}

static void
admin_tokens (Admin *admin, OktaOrg *org)
{
  JsonObject *body = admin_body (admin);
  gint64 now = okta_server_now (admin->server);
  g_autoptr(GError) error = NULL;
  OktaApiToken *token;

  if (is (admin, "GET", 1, NULL))
    {
      JsonArray *tokens = json_array_new ();

      for (guint i = 0; i < org->tokens->len; i++)
        json_array_add_object_element (tokens, okta_token_dump (g_ptr_array_index (org->tokens, i), FALSE));
      emu_reply_json (admin->msg, 200, json_node_init_array (json_node_alloc (), tokens));
      json_array_unref (tokens);
      return;
    }
  if (is (admin, "POST", 1, NULL))
    {
      const char *value = body_string (admin, "token");
      guint rights = OKTA_RIGHTS_ALL;

      if (body == NULL || value == NULL || *value == '\0' || okta_org_token (org, value) != NULL)
        {
          emu_reply_message (admin->msg, 400, "Send {token (a new value), name, role or rights, admin, expires}");
          return;
        }
      if (!rights_from (body, &rights, &error))
        {
          emu_reply_message (admin->msg, 400, error->message);
          return;
        }
      token = g_new0 (OktaApiToken, 1);
      token->org = org;
      token->value = g_strdup (value);
      token->name = g_strdup (json_object_get_string_member_with_default (body, "name", "API token"));
      token->id = okta_state_new_id (org->state, "00T");
      token->admin_id = g_strdup (json_object_get_string_member_with_default (body, "admin", org->actor_id));
      token->role = g_strdup (json_object_get_string_member_with_default (body, "role", "READ_ONLY_ADMIN"));
      token->rights = rights;
      token->last_used = now;
      if (body_string (admin, "expires") != NULL)
        okta_parse_seed_time (body_string (admin, "expires"), now, &token->expires);
      g_ptr_array_add (org->tokens, token);
      g_hash_table_insert (org->token_by_value, token->value, token);
      emu_reply_json (admin->msg, 201, emu_object_node (okta_token_dump (token, FALSE)));
      return;
    }
  token = admin->n_segments == 2 ? okta_org_token_by_name (org, admin->segments[1]) : NULL;
  if (token == NULL)
    {
      emu_reply_message (admin->msg, 404, "No such token (address it by name or id)");
      return;
    }
  if (is (admin, "GET", 2, NULL))
    emu_reply_json (admin->msg, 200, emu_object_node (okta_token_dump (token, FALSE)));
  else if (is (admin, "PATCH", 2, NULL) || is (admin, "POST", 2, NULL))
    {
      guint rights = token->rights;

      if (body == NULL || !rights_from (body, &rights, &error))
        {
          emu_reply_message (admin->msg, 400, error != NULL ? error->message :
                       "Send {revoked, role, rights, admin, expires, lastUsed}");
          return;
        }
      token->rights = rights;
      if (json_object_has_member (body, "role"))
        {
          g_free (token->role);
          token->role = g_strdup (json_object_get_string_member (body, "role"));
        }
      if (json_object_has_member (body, "revoked"))
        token->revoked = json_object_get_boolean_member (body, "revoked");
      if (json_object_has_member (body, "admin"))
        {
          g_free (token->admin_id);
          token->admin_id = g_strdup (body_string (admin, "admin"));
        }
      if (body_string (admin, "expires") != NULL &&
          !okta_parse_seed_time (body_string (admin, "expires"), now, &token->expires))
        {
          emu_reply_message (admin->msg, 400, "expires: not a time");
          return;
        }
      if (body_string (admin, "lastUsed") != NULL &&
          !okta_parse_seed_time (body_string (admin, "lastUsed"), now, &token->last_used))
        {
          emu_reply_message (admin->msg, 400, "lastUsed: not a time");
          return;
        }
      emu_reply_json (admin->msg, 200, emu_object_node (okta_token_dump (token, FALSE)));
    }
  else
    emu_reply_message (admin->msg, 404, "Unknown admin endpoint");
}

static gboolean
string_array (JsonObject *body, const char *name, GPtrArray **out)
{
  JsonNode *node = json_object_get_member (body, name);

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return FALSE;
  *out = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
    {
      const char *text = json_array_get_string_element (json_node_get_array (node), i);

      if (text == NULL)
        {
          g_clear_pointer (out, g_ptr_array_unref);
          return FALSE;
        }
      g_ptr_array_add (*out, g_strdup (text));
    }
  return TRUE;
}

static void
admin_apps (Admin *admin, OktaOrg *org)
{
  JsonObject *body = admin_body (admin);
  g_autoptr(GPtrArray) scopes = NULL;
  g_autoptr(GPtrArray) grant = NULL;
  g_autoptr(GPtrArray) revoke = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *add_key;
  guint rights;
  OktaApp *app;

  if (is (admin, "GET", 1, NULL))
    {
      JsonArray *apps = json_array_new ();

      for (guint i = 0; i < org->apps->len; i++)
        json_array_add_object_element (apps, okta_app_dump (g_ptr_array_index (org->apps, i)));
      emu_reply_json (admin->msg, 200, json_node_init_array (json_node_alloc (), apps));
      json_array_unref (apps);
      return;
    }
  app = admin->n_segments == 2 ? okta_org_app (org, admin->segments[1]) : NULL;
  if (app == NULL)
    {
      emu_reply_message (admin->msg, 404, "No such app in this org");
      return;
    }
  if (is (admin, "GET", 2, NULL))
    {
      emu_reply_json (admin->msg, 200, emu_object_node (okta_app_dump (app)));
      return;
    }
  if (!is (admin, "POST", 2, NULL) && !is (admin, "PATCH", 2, NULL))
    {
      emu_reply_message (admin->msg, 404, "Unknown admin endpoint");
      return;
    }
  rights = app->rights;
  if (body == NULL || !string_array (body, "scopes", &scopes) || !string_array (body, "grant", &grant) ||
      !string_array (body, "revoke", &revoke) || !rights_from (body, &rights, &error))
    {
      emu_reply_message (admin->msg, 400, error != NULL ? error->message :
                   "Send {scopes|grant|revoke: [scopes], add_key: JWK or {kid, pem}, remove_keys: bool, role, "
                   "rights, dpop: bool}");
      return;
    }
  if (json_object_get_boolean_member_with_default (body, "remove_keys", FALSE))
    g_ptr_array_set_size (app->keys, 0);
  add_key = json_object_get_member (body, "add_key");
  if (add_key != NULL && (!JSON_NODE_HOLDS_OBJECT (add_key) ||
                          !okta_app_add_key (app, json_node_get_object (add_key), &error)))
    {
      emu_reply_message (admin->msg, 400, error != NULL ? error->message : "add_key takes a JWK or {kid, pem}");
      return;
    }
  app->rights = rights;
  if (json_object_has_member (body, "role"))
    {
      g_free (app->role);
      app->role = g_strdup (json_object_get_string_member (body, "role"));
    }
  if (json_object_has_member (body, "dpop"))
    app->dpop = json_object_get_boolean_member (body, "dpop");
  if (scopes != NULL)
    {
      g_ptr_array_set_size (app->scopes, 0);
      for (guint i = 0; i < scopes->len; i++)
        g_ptr_array_add (app->scopes, g_strdup (g_ptr_array_index (scopes, i)));
    }
  for (guint i = 0; grant != NULL && i < grant->len; i++)
    if (!g_ptr_array_find_with_equal_func (app->scopes, g_ptr_array_index (grant, i), g_str_equal, NULL))
      g_ptr_array_add (app->scopes, g_strdup (g_ptr_array_index (grant, i)));
  for (guint i = 0; revoke != NULL && i < revoke->len; i++)
    {
      guint index;

      if (g_ptr_array_find_with_equal_func (app->scopes, g_ptr_array_index (revoke, i), g_str_equal, &index))
        g_ptr_array_remove_index (app->scopes, index);
    }
  emu_reply_json (admin->msg, 200, emu_object_node (okta_app_dump (app)));
}

/* ---------------------------------------------------------------- dispatch */

static void
admin_reset (Admin *admin)
{
  OktaServer *server = admin->server;
  JsonObject *body = admin_body (admin);
  g_autoptr(GError) error = NULL;

  /* The clock first: the seed's relative times are read at the new now. */
  if (want (body, "clock"))
    server->clock_offset = 0;
  if (want (body, "state") && !okta_server_reset_state (server, &error))
    {
      emu_reply_message (admin->msg, 500, error->message);
      return;
    }
  if (want (body, "calls"))
    okta_server_clear_calls (server, TRUE);
  if (want (body, "stats"))
    okta_server_clear_stats (server);
  if (want (body, "rates"))
    okta_server_reset_rates (server);
  if (want (body, "tokens"))
    {
      g_hash_table_remove_all (server->access);
      g_hash_table_remove_all (server->assertion_jtis);
      g_hash_table_remove_all (server->proof_jtis);
    }
  if (want (body, "faults"))
    okta_server_reset_faults (server);
  emu_reply_json (admin->msg, 200, okta_server_stats_node (server));
}

void
okta_admin_handle (OktaServer *server, SoupServerMessage *msg, const char *path, GHashTable *query)
{
  Admin admin_data = { server, msg, soup_server_message_get_method (msg), NULL, 0, query, NULL };
  Admin *admin = &admin_data;
  g_autoptr(GBytes) bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr(GError) error = NULL;
  JsonObject *body;
  OktaOrg *org;

  admin->segments = g_strsplit (path + strlen ("/_admin/"), "/", -1);
  admin->n_segments = g_strv_length (admin->segments);
  if (g_bytes_get_size (bytes) > 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (!json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL))
        {
          emu_reply_message (admin->msg, 400, "The request body is not valid JSON");
          g_strfreev (admin->segments);
          return;
        }
      admin->json = json_node_ref (json_parser_get_root (parser));
    }
  body = admin_body (admin);
  org = admin_org (admin);

  if (admin->n_segments == 0 || *admin->segments[0] == '\0')
    emu_reply_message (admin->msg, 404, "Unknown admin endpoint");
  else if (org == NULL)
    emu_reply_message (admin->msg, 404, "Unknown org");
  else if (is (admin, "GET", 1, "health"))
    {
      JsonObject *object = json_object_new ();

      json_object_set_boolean_member (object, "ok", TRUE);
      json_object_set_int_member (object, "port", okta_server_port (server));
      json_object_set_boolean_member (object, "crypto", okta_have_crypto ());
      emu_reply_json (admin->msg, 200, emu_object_node (object));
    }
  else if (is (admin, "GET", 1, "state"))
    {
      const char *logs = query_string (admin, "logs");
      JsonNode *dump = okta_state_dump (server->state, logs == NULL || !g_str_equal (logs, "false"));
      g_autofree char *now = okta_format_time (okta_server_now (server));

      json_object_set_string_member (json_node_get_object (dump), "now", now);
      emu_reply_json (admin->msg, 200, dump);
    }
  else if (is (admin, "GET", 1, "calls"))
    emu_reply_json (admin->msg, 200, okta_server_calls_node (server, query));
  else if (is (admin, "DELETE", 1, "calls"))
    {
      okta_server_clear_calls (server, FALSE);
      emu_reply_json (admin->msg, 200, okta_server_calls_node (server, query));
    }
  else if (is (admin, "GET", 1, "stats"))
    emu_reply_json (admin->msg, 200, okta_server_stats_node (server));
  else if (is (admin, "GET", 1, "faults"))
    emu_reply_json (admin->msg, 200, okta_server_dump_switches (server));
  else if (is (admin, "POST", 1, "faults"))
    {
      if (body == NULL)
        emu_reply_message (admin->msg, 400, "Send a JSON object of switches");
      else if (!okta_server_apply_switches (server, body, &error))
        emu_reply_message (admin->msg, 400, error->message);
      else
        emu_reply_json (admin->msg, 200, okta_server_dump_switches (server));
    }
  else if (is (admin, "GET", 1, "rate-limits"))
    emu_reply_json (admin->msg, 200, okta_server_windows_node (server));
  else if (is (admin, "POST", 2, "rate-limits") && g_str_equal (admin->segments[1], "reset"))
    {
      okta_server_reset_rates (server);
      emu_reply_json (admin->msg, 200, okta_server_windows_node (server));
    }
  else if (is (admin, "POST", 1, "expire-tokens"))
    {
      okta_server_expire_access (server);
      emu_reply_json (admin->msg, 200, okta_server_stats_node (server));
    }
  else if (is (admin, "GET", 1, "clock"))
    emu_reply_json (admin->msg, 200, clock_node (server));
  else if (is (admin, "POST", 1, "clock"))
    {
      gint64 advance = 0;

      if (body != NULL && json_object_has_member (body, "advance"))
        advance = json_object_get_int_member (body, "advance") * OKTA_MS_PER_SEC;
      if (body != NULL && json_object_has_member (body, "advance_days"))
        advance += json_object_get_int_member (body, "advance_days") * OKTA_MS_PER_DAY;
      if (advance < 0)
        emu_reply_message (admin->msg, 400, "The clock only goes forward");
      else
        {
          server->clock_offset += advance;
          okta_server_apply_retention (server);
          emu_reply_json (admin->msg, 200, clock_node (server));
        }
    }
  else if (is (admin, "POST", 1, "reset"))
    admin_reset (admin);
  else if (g_str_equal (admin->segments[0], "users"))
    admin_users (admin, org);
  else if (g_str_equal (admin->segments[0], "groups"))
    admin_groups (admin, org);
  else if (g_str_equal (admin->segments[0], "logs"))
    admin_logs (admin, org);
  else if (g_str_equal (admin->segments[0], "tokens"))
    admin_tokens (admin, org);
  else if (g_str_equal (admin->segments[0], "apps"))
    admin_apps (admin, org);
  else
    emu_reply_message (admin->msg, 404, "Unknown admin endpoint");

  g_strfreev (admin->segments);
  g_clear_pointer (&admin->json, json_node_unref);
}
