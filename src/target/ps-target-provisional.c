/* ps-target-provisional.c — endpoints and shapes no public source confirms
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Contract §5: everything here is a guess (reference tags [INFER]), kept in
 * this one file so that it is the only one to change when a real tenant
 * shows the truth:
 *   - Pro roles:      GET /roles?accountId=&moduleId= → {"data":{"roles":[{id,displayName}]}}
 *   - Pro users:      GET /users?accountId=&moduleId=
 *   - Pro invite:     POST /users/invite {"tenant":{…},"email","firstName","lastName","roleId"}
 *   - Pro user edit:  PUT /users/{id} {"tenant":{…},"roleId"} / {"isActive":false}
 *   - Classic (de)activation: PUT /v3/users/{id} {"user":{"is_active":false}}
 *   - single-select options: list_values:[{id,value}] on a Classic field,
 *     options:[{id,displayName}] on a Pro column; values are written as the
 *     option id.
 */

#include <glib/gi18n-lib.h>

#include "ps-target-private.h"

static JsonObject *
tenant_object (const char *account,
               const char *module)
{
  JsonObject *tenant = json_object_new ();

  json_object_set_string_member (tenant, "accountId", account);
  json_object_set_string_member (tenant, "moduleId", module);
  return tenant;
}

PsHttpCall *
ps_provisional_pro_roles_call (const char *account,
                               const char *module)
{
  g_autofree char *a = ps_http_escape (account);
  g_autofree char *m = ps_http_escape (module);

  return ps_http_call_new ("GET", NULL, "/roles?accountId=%s&moduleId=%s", a, m);
}

GPtrArray *
ps_provisional_pro_parse_roles (PsHttpCall  *call,
                                JsonNode    *root,
                                GError     **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_entity_free);
  JsonArray *array = ps_json_find_array (root, "data.roles", "roles", "data", "", NULL);

  if (array == NULL)
    {
      g_propagate_error (error, ps_http_call_unexpected (call, _("an answer of an unexpected shape")));
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *o = json_array_get_object_element (array, i);
      g_autofree char *id = ps_json_member_text (o, "id", "roleId", NULL);
      g_autofree char *name = ps_json_member_text (o, "displayName", "name", NULL);

      if (id != NULL)
        g_ptr_array_add (list, ps_target_entity_new (PS_TARGET_ROLE, id, name, NULL));
    }
  return g_steal_pointer (&list);
}

PsHttpCall *
ps_provisional_pro_users_call (const char *account,
                               const char *module)
{
  g_autofree char *a = ps_http_escape (account);
  g_autofree char *m = ps_http_escape (module);

  return ps_http_call_new ("GET", NULL, "/users?accountId=%s&moduleId=%s", a, m);
}

PsTargetUser *
ps_provisional_pro_parse_user (JsonObject *o)
{
  PsTargetUser *u = ps_target_user_new ();

  u->id = ps_json_member_text (o, "id", "userId", NULL);
  u->email = ps_json_member_text (o, "email", NULL);
  u->first_name = ps_json_member_text (o, "firstName", "first_name", NULL);
  u->last_name = ps_json_member_text (o, "lastName", "last_name", NULL);
  u->role_id = ps_json_member_text (o, "roleId", "role_id", NULL);
  if (u->role_id == NULL && json_object_has_member (o, "role")
      && JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "role")))
    u->role_id = ps_json_member_text (json_object_get_object_member (o, "role"), "id", NULL);
  u->active = ps_json_member_bool (o, TRUE, "isActive", "active", "is_active", NULL);
  u->admin = ps_json_member_bool (o, FALSE, "isAdmin", NULL);
  return u;
}

GPtrArray *
ps_provisional_pro_parse_users (PsHttpCall  *call,
                                JsonNode    *root,
                                GError     **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_user_free);
  JsonArray *array = ps_json_find_array (root, "data.users", "users", "data", "", NULL);

  if (array == NULL)
    {
      g_propagate_error (error, ps_http_call_unexpected (call, _("an answer of an unexpected shape")));
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *o = json_array_get_object_element (array, i);
      if (o != NULL)
        g_ptr_array_add (list, ps_provisional_pro_parse_user (o));
    }
  return g_steal_pointer (&list);
}

PsHttpCall *
ps_provisional_pro_invite_call (const char              *account,
                                const char              *module,
                                const PsTargetUserSpec  *spec)
{
  g_autoptr(JsonObject) o = json_object_new ();
  g_autoptr(JsonNode) node = NULL;

  json_object_set_object_member (o, "tenant", tenant_object (account, module));
  json_object_set_string_member (o, "email", spec->email);
  json_object_set_string_member (o, "firstName", spec->first_name != NULL ? spec->first_name : "");
  json_object_set_string_member (o, "lastName", spec->last_name != NULL ? spec->last_name : "");
  if (spec->role_id != NULL)
    json_object_set_string_member (o, "roleId", spec->role_id);
  node = json_node_init_object (json_node_alloc (), o);
  return ps_http_call_new ("POST", node, "/users/invite");
}

/* @active: 1, 0, or -1 to leave it */
PsHttpCall *
ps_provisional_pro_user_update_call (const char *account,
                                     const char *module,
                                     const char *user_id,
                                     const char *role_id,
                                     int         active)
{
  g_autoptr(JsonObject) o = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *uid = ps_http_escape (user_id);

  json_object_set_object_member (o, "tenant", tenant_object (account, module));
  if (role_id != NULL)
    json_object_set_string_member (o, "roleId", role_id);
  if (active >= 0)
    json_object_set_boolean_member (o, "isActive", active != 0);
  node = json_node_init_object (json_node_alloc (), o);
  return ps_http_call_new ("PUT", node, "/users/%s", uid);
}

PsHttpCall *
ps_provisional_classic_set_active_call (const char *user_id,
                                        gboolean    active)
{
  g_autoptr(JsonObject) o = json_object_new ();
  g_autoptr(JsonObject) user = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *uid = ps_http_escape (user_id);

  json_object_set_string_member (o, "device", "web");
  json_object_set_boolean_member (user, "is_active", active);
  json_object_set_object_member (o, "user", g_steal_pointer (&user));
  node = json_node_init_object (json_node_alloc (), o);
  return ps_http_call_new ("PUT", node, "/v3/users/%s", uid);
}

void
ps_provisional_parse_options (PsDialect      dialect,
                              JsonObject    *definition,
                              PsTargetField *field)
{
  static const char *const members[] = { "list_values", "options", "values", "choices",
                                          "statuses", NULL };

  for (guint m = 0; members[m] != NULL; m++)
    {
      JsonNode *node = json_object_get_member (definition, members[m]);
      JsonArray *array;

      if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
        continue;
      array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);
          g_autofree char *id = NULL;
          g_autofree char *label = NULL;

          ps_json_read_value (item, &label, &id);
          if (id == NULL && label != NULL)
            id = g_strdup (label);
          if (id != NULL)
            g_ptr_array_add (field->options, ps_target_option_new (id, label != NULL ? label : id));
        }
      if (field->options->len > 0)
        return;
    }
}

JsonNode *
ps_provisional_option_value (PsDialect             dialect,
                             const PsTargetOption *option)
{
  /* The bare option id, as a string (quix's final Classic code). */
  return json_node_init_string (json_node_alloc (), option->id);
}
