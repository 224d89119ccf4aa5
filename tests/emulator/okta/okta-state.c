/* okta-state.c — the orgs of the Okta emulator: seed loading, hash and
 * ordered indexes, admin changes with their System Log events, dumps
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Users are kept by serial (creation order) with hash indexes by id and
 * login and ordered indexes per status and by lastUpdated, so that every
 * page of a listing, a status filter or a lastUpdated delta costs
 * O(page + log n). Group members are kept in the order they joined.
 */

#include <string.h>

#include "okta-private.h"

#define ID_LENGTH 20

static const char *const status_names[OKTA_N_STATUSES] = {
  "STAGED", "PROVISIONED", "ACTIVE", "RECOVERY", "PASSWORD_EXPIRED", "LOCKED_OUT", "SUSPENDED", "DEPROVISIONED",
};

/* The UserProfile schema's base attributes (SPEC `UserProfile`). */
static const char *const standard_attributes[] = {
  "login", "email", "secondEmail", "firstName", "lastName", "middleName", "honorificPrefix", "honorificSuffix",
  "title", "displayName", "nickName", "profileUrl", "primaryPhone", "mobilePhone", "streetAddress", "city",
  "state", "zipCode", "postalAddress", "countryCode", "preferredLanguage", "locale", "timezone", "userType",
  "employeeNumber", "costCenter", "organization", "division", "department", "managerId", "manager", NULL,
};

static const struct {
  const char *role;
  guint       rights;
} role_table[] = {
  { "SUPER_ADMIN", OKTA_RIGHTS_ALL },
  { "ORG_ADMIN", OKTA_RIGHTS_ALL },
  { "READ_ONLY_ADMIN", OKTA_RIGHTS_ALL },
  { "USER_ADMIN", OKTA_RIGHT_USERS | OKTA_RIGHT_GROUPS },
  { "HELP_DESK_ADMIN", OKTA_RIGHT_USERS | OKTA_RIGHT_GROUPS },
  { "GROUP_MEMBERSHIP_ADMIN", OKTA_RIGHT_GROUPS },
  { "REPORT_ADMIN", OKTA_RIGHT_LOGS },
  { "APP_ADMIN", 0 },
  { "NONE", 0 },
};

static const struct {
  const char *type;
  const char *message;
} event_messages[] = {
  { "user.lifecycle.create", "Create Okta user" },
  { "user.lifecycle.activate", "Activate Okta user" },
  { "user.lifecycle.deactivate", "Deactivate Okta user" },
  { "user.lifecycle.reactivate", "Reactivate Okta user" },
  { "user.lifecycle.suspend", "Suspend Okta user" },
  { "user.lifecycle.unsuspend", "Unsuspend Okta user" },
  { "user.lifecycle.delete.initiated", "Delete Okta user" },
  { "user.lifecycle.delete.completed", "Delete Okta user completed" },
  { "user.account.update_profile", "Update user profile for Okta" },
  { "user.account.lock", "Max sign in attempts exceeded" },
  { "user.account.unlock_by_admin", "User account unlock by admin" },
  { "user.account.expire_password", "Expire password for Okta user" },
  { "user.account.reset_password", "Reset password for Okta user" },
  { "group.user_membership.add", "Add user to group membership" },
  { "group.user_membership.remove", "Remove user from group membership" },
  { "group.lifecycle.create", "Create Okta group" },
  { "group.lifecycle.delete", "Delete Okta group" },
  { "group.profile.update", "Okta group profile updated" },
  { "core.concurrency.org.limit.violation", "Too many requests in flight" },
  { "system.org.rate_limit.violation", "Rate limit violation" },
};

static const char base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* ---------------------------------------------------------------- small helpers */

const char *
okta_status_name (OktaStatus status)
{
  return status >= 0 && status < OKTA_N_STATUSES ? status_names[status] : NULL;
}

gboolean
okta_status_parse (const char *text, OktaStatus *status)
{
  for (int i = 0; text != NULL && i < OKTA_N_STATUSES; i++)
    if (g_str_equal (text, status_names[i]))
      {
        *status = i;
        return TRUE;
      }
  return FALSE;
}

gboolean
okta_profile_is_standard (const char *name)
{
  return name != NULL && g_strv_contains (standard_attributes, name);
}

gboolean
okta_org_knows_attribute (OktaOrg *org, const char *name)
{
  return okta_profile_is_standard (name) ||
         g_ptr_array_find_with_equal_func (org->custom, name, g_str_equal, NULL);
}

guint
okta_role_rights (const char *role)
{
  for (guint i = 0; i < G_N_ELEMENTS (role_table); i++)
    if (g_strcmp0 (role_table[i].role, role) == 0)
      return role_table[i].rights;
  return G_MAXUINT;
}

char *
okta_fold (const char *text)
{
  return g_utf8_casefold (text, -1);
}

char *
okta_format_time (gint64 ms)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (ms / OKTA_MS_PER_SEC);
  g_autofree char *head = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");

  return g_strdup_printf ("%s.%03dZ", head, (int) (ms % OKTA_MS_PER_SEC));
}

gboolean
okta_parse_time (const char *text, gint64 *ms)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) dt = NULL;

  if (text == NULL || strchr (text, 'T') == NULL)
    return FALSE;
  dt = g_date_time_new_from_iso8601 (text, utc);
  if (dt == NULL)
    return FALSE;
  *ms = g_date_time_to_unix (dt) * OKTA_MS_PER_SEC + g_date_time_get_microsecond (dt) / 1000;
  return TRUE;
}

gboolean
okta_parse_seed_time (const char *text, gint64 now, gint64 *ms)
{
  char *end = NULL;
  gint64 amount;
  gint64 unit;

  if (text == NULL)
    return FALSE;
  if (!g_str_has_prefix (text, "now"))
    return okta_parse_time (text, ms);
  if (text[3] == '\0')
    {
      *ms = now;
      return TRUE;
    }
  if (text[3] != '-' && text[3] != '+')
    return FALSE;
  amount = g_ascii_strtoll (text + 4, &end, 10);
  if (end == text + 4)
    return FALSE;
  switch (*end)
    {
    case 'd':
      unit = OKTA_MS_PER_DAY;
      break;
    case 'h':
      unit = 3600 * OKTA_MS_PER_SEC;
      break;
    case 'm':
      unit = 60 * OKTA_MS_PER_SEC;
      break;
    case 's':
      unit = OKTA_MS_PER_SEC;
      break;
    default:
      return FALSE;
    }
  if (end[1] != '\0')
    return FALSE;
  *ms = now + (text[3] == '-' ? -1 : 1) * amount * unit;
  return TRUE;
}

char *
okta_state_random_text (OktaState *state, guint length)
{
  char *text = g_malloc (length + 1);

  for (guint i = 0; i < length; i++)
    text[i] = base62[g_rand_int_range (state->rand, 0, 62)];
  text[length] = '\0';
  return text;
}

char *
okta_state_new_id (OktaState *state, const char *prefix)
{
  g_autofree char *tail = okta_state_random_text (state, ID_LENGTH - strlen (prefix));

  return g_strconcat (prefix, tail, NULL);
}

static char *
new_uuid (OktaState *state)
{
  guint32 a = g_rand_int (state->rand);
  guint32 b = g_rand_int (state->rand);
  guint32 c = g_rand_int (state->rand);
  guint32 d = g_rand_int (state->rand);

  return g_strdup_printf ("%08x-%04x-11%02x-%04x-%04x%08x", a, b >> 16, (b >> 8) & 0xff,
                          0x8000 | (c >> 18), c & 0xffff, d);
}

static const char *
either (const char *value, const char *fallback)
{
  return value != NULL ? value : fallback;
}

static void set_error (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
set_error (GError **error, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, message);
}

static const char *
member_string (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
member_time (JsonObject *object, const char *name, gint64 now, gint64 *ms, GError **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_NULL (node))
    {
      *ms = 0;
      return TRUE;
    }
  if (!okta_parse_seed_time (member_string (object, name), now, ms))
    {
      set_error (error, "%s: not a time (ISO 8601, or now, now-3d, now+2h…)", name);
      return FALSE;
    }
  return TRUE;
}

/* ---------------------------------------------------------------- lookups */

OktaOrg *
okta_state_org (OktaState *state, const char *name)
{
  g_autofree char *folded = name != NULL ? okta_fold (name) : NULL;

  return folded != NULL ? g_hash_table_lookup (state->org_by_name, folded) : NULL;
}

OktaOrg *
okta_state_default_org (OktaState *state)
{
  return state->orgs->len > 0 ? g_ptr_array_index (state->orgs, 0) : NULL;
}

OktaUser *
okta_org_user (OktaOrg *org, const char *id_or_login)
{
  OktaUser *user;
  g_autofree char *folded = NULL;

  if (id_or_login == NULL)
    return NULL;
  user = g_hash_table_lookup (org->user_by_id, id_or_login);
  if (user != NULL)
    return user;
  folded = okta_fold (id_or_login);
  return g_hash_table_lookup (org->user_by_login, folded);
}

OktaGroup *
okta_org_group (OktaOrg *org, const char *id)
{
  return id != NULL ? g_hash_table_lookup (org->group_by_id, id) : NULL;
}

OktaApiToken *
okta_org_token (OktaOrg *org, const char *value)
{
  return value != NULL ? g_hash_table_lookup (org->token_by_value, value) : NULL;
}

OktaApiToken *
okta_org_token_by_name (OktaOrg *org, const char *name)
{
  for (guint i = 0; i < org->tokens->len; i++)
    {
      OktaApiToken *token = g_ptr_array_index (org->tokens, i);

      if (g_strcmp0 (token->name, name) == 0 || g_strcmp0 (token->id, name) == 0)
        return token;
    }
  return NULL;
}

OktaApp *
okta_org_app (OktaOrg *org, const char *client_id)
{
  return client_id != NULL ? g_hash_table_lookup (org->app_by_id, client_id) : NULL;
}

guint
okta_org_users_after (OktaOrg *org, guint64 serial)
{
  guint lo = 0;
  guint hi = org->users->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (((OktaUser *) g_ptr_array_index (org->users, mid))->serial <= serial)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

guint
okta_org_groups_after (OktaOrg *org, guint64 serial)
{
  guint lo = 0;
  guint hi = org->groups->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (((OktaGroup *) g_ptr_array_index (org->groups, mid))->serial <= serial)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

guint
okta_group_size (OktaGroup *group)
{
  return g_sequence_get_length (group->members);
}

/* ---------------------------------------------------------------- ordered indexes */

static int
compare_serial (gconstpointer a, gconstpointer b, gpointer data)
{
  guint64 sa = ((const OktaUser *) a)->serial;
  guint64 sb = ((const OktaUser *) b)->serial;

  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

static int
compare_updated (gconstpointer a, gconstpointer b, gpointer data)
{
  const OktaUser *ua = a;
  const OktaUser *ub = b;

  if (ua->last_updated != ub->last_updated)
    return ua->last_updated < ub->last_updated ? -1 : 1;
  return compare_serial (a, b, NULL);
}

static void
index_status (OktaUser *user)
{
  if (user->status_iter != NULL)
    g_sequence_remove (user->status_iter);
  user->status_iter = g_sequence_insert_sorted (user->org->by_status[user->status], user, compare_serial, NULL);
}

static void
index_updated (OktaUser *user)
{
  if (user->updated_iter != NULL)
    g_sequence_remove (user->updated_iter);
  user->updated_iter = g_sequence_insert_sorted (user->org->by_updated, user, compare_updated, NULL);
}

static void
set_status (OktaUser *user, OktaStatus status)
{
  user->status = status;
  index_status (user);
}

static void
touch (OktaUser *user, gint64 now)
{
  user->last_updated = now;
  index_updated (user);
}

static void
index_login (OktaUser *user)
{
  const char *login = member_string (user->profile, "login");

  if (user->login_key != NULL)
    g_hash_table_remove (user->org->user_by_login, user->login_key);
  g_clear_pointer (&user->login_key, g_free);
  if (login != NULL)
    {
      user->login_key = okta_fold (login);
      g_hash_table_insert (user->org->user_by_login, user->login_key, user);
    }
}

/* ---------------------------------------------------------------- freeing */

static void
user_free (OktaUser *user)
{
  g_free (user->id);
  g_free (user->type_id);
  g_free (user->provider_type);
  g_free (user->provider_name);
  g_clear_pointer (&user->profile, json_object_unref);
  g_free (user->login_key);
  g_clear_pointer (&user->groups, g_ptr_array_unref);
  g_free (user);
}

static void
group_free (OktaGroup *group)
{
  g_free (group->id);
  g_free (group->type);
  g_clear_pointer (&group->profile, json_object_unref);
  g_free (group->source_id);
  g_clear_pointer (&group->members, g_sequence_free);
  g_clear_pointer (&group->member_iters, g_hash_table_unref);
  g_free (group);
}

static void
event_free (OktaEvent *event)
{
  json_object_unref (event->object);
  g_free (event);
}

static void
token_free (OktaApiToken *token)
{
  g_free (token->value);
  g_free (token->name);
  g_free (token->id);
  g_free (token->admin_id);
  g_free (token->role);
  g_free (token);
}

static void
app_free (OktaApp *app)
{
  g_free (app->client_id);
  g_free (app->name);
  g_ptr_array_unref (app->scopes);
  g_ptr_array_unref (app->keys);
  g_free (app->role);
  g_free (app);
}

static void
org_free (OktaOrg *org)
{
  g_hash_table_unref (org->user_by_id);
  g_hash_table_unref (org->user_by_login);
  for (guint i = 0; i < OKTA_N_STATUSES; i++)
    g_sequence_free (org->by_status[i]);
  g_sequence_free (org->by_updated);
  g_ptr_array_unref (org->users);
  g_hash_table_unref (org->group_by_id);
  g_ptr_array_unref (org->groups);
  g_ptr_array_unref (org->events);
  g_hash_table_unref (org->token_by_value);
  g_ptr_array_unref (org->tokens);
  g_hash_table_unref (org->app_by_id);
  g_ptr_array_unref (org->apps);
  g_ptr_array_unref (org->custom);
  g_clear_pointer (&org->group_rules, json_array_unref);
  g_free (org->name);
  g_free (org->id);
  g_free (org->company);
  g_free (org->user_type_id);
  g_free (org->actor_id);
  g_free (org);
}

static OktaOrg *
org_new (OktaState *state)
{
  OktaOrg *org = g_new0 (OktaOrg, 1);

  org->state = state;
  org->custom = g_ptr_array_new_with_free_func (g_free);
  org->users = g_ptr_array_new_with_free_func ((GDestroyNotify) user_free);
  org->user_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  org->user_by_login = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < OKTA_N_STATUSES; i++)
    org->by_status[i] = g_sequence_new (NULL);
  org->by_updated = g_sequence_new (NULL);
  org->groups = g_ptr_array_new_with_free_func ((GDestroyNotify) group_free);
  org->group_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  org->events = g_ptr_array_new_with_free_func ((GDestroyNotify) event_free);
  org->next_event_seq = 1;
  org->tokens = g_ptr_array_new_with_free_func ((GDestroyNotify) token_free);
  org->token_by_value = g_hash_table_new (g_str_hash, g_str_equal);
  org->apps = g_ptr_array_new_with_free_func ((GDestroyNotify) app_free);
  org->app_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  org->next_serial = 1;
  return org;
}

/* ---------------------------------------------------------------- the System Log */

JsonObject *
okta_user_target (OktaUser *user)
{
  JsonObject *target = json_object_new ();
  const char *display = member_string (user->profile, "displayName");
  g_autofree char *name = NULL;

  if (display == NULL)
    name = g_strdup_printf ("%s %s", either (member_string (user->profile, "firstName"), ""),
                            either (member_string (user->profile, "lastName"), ""));
  json_object_set_string_member (target, "id", user->id);
  json_object_set_string_member (target, "type", "User");
  json_object_set_string_member (target, "alternateId", either (member_string (user->profile, "login"), user->id));
  json_object_set_string_member (target, "displayName", display != NULL ? display : g_strstrip (name));
  json_object_set_null_member (target, "detailEntry");
  return target;
}

JsonObject *
okta_group_target (OktaGroup *group)
{
  JsonObject *target = json_object_new ();

  json_object_set_string_member (target, "id", group->id);
  json_object_set_string_member (target, "type", "UserGroup");
  json_object_set_string_member (target, "alternateId", "unknown");
  json_object_set_string_member (target, "displayName", either (member_string (group->profile, "name"), group->id));
  json_object_set_null_member (target, "detailEntry");
  return target;
}

static JsonObject *
actor_object (OktaOrg *org, const char *actor_id)
{
  OktaUser *actor = okta_org_user (org, actor_id != NULL ? actor_id : org->actor_id);
  JsonObject *object;

  if (actor != NULL)
    {
      object = okta_user_target (actor);
      json_object_remove_member (object, "detailEntry");
      return object;
    }
  object = json_object_new ();
  json_object_set_string_member (object, "id", "0oa1emulatorsystem00");
  json_object_set_string_member (object, "type", "SystemPrincipal");
  json_object_set_string_member (object, "alternateId", "system@okta.com");
  json_object_set_string_member (object, "displayName", "Okta System");
  return object;
}

static void
append_event (OktaOrg *org, OktaEvent *event)
{
  event->seq = org->next_event_seq++;
  g_ptr_array_add (org->events, event);
}

OktaEvent *
okta_org_log (OktaOrg      *org,
              const char   *event_type,
              const char   *actor,
              JsonArray    *targets,
              const char   *severity,
              gint64        published)
{
  OktaEvent *event = g_new0 (OktaEvent, 1);
  JsonObject *object = json_object_new ();
  JsonObject *client = json_object_new ();
  JsonObject *agent = json_object_new ();
  JsonObject *outcome = json_object_new ();
  JsonObject *transaction = json_object_new ();
  JsonObject *debug = json_object_new ();
  JsonObject *request = json_object_new ();
  const char *message = event_type;
  g_autofree char *uuid = new_uuid (org->state);
  g_autofree char *when = okta_format_time (published);
  g_autofree char *transaction_id = okta_state_random_text (org->state, 27);

  for (guint i = 0; i < G_N_ELEMENTS (event_messages); i++)
    if (g_str_equal (event_messages[i].type, event_type))
      message = event_messages[i].message;

  json_object_set_string_member (object, "uuid", uuid);
  json_object_set_string_member (object, "published", when);
  json_object_set_string_member (object, "eventType", event_type);
  json_object_set_string_member (object, "version", "0");
  json_object_set_string_member (object, "severity", severity != NULL ? severity : "INFO");
  json_object_set_null_member (object, "legacyEventType");
  json_object_set_string_member (object, "displayMessage", message);
  json_object_set_object_member (object, "actor", actor_object (org, actor));
  json_object_set_string_member (agent, "rawUserAgent", "ps-okta-emulator");
  json_object_set_string_member (agent, "os", "Unknown");
  json_object_set_string_member (agent, "browser", "UNKNOWN");
  json_object_set_object_member (client, "userAgent", agent);
  json_object_set_string_member (client, "zone", "null");
  json_object_set_string_member (client, "device", "Unknown");
  json_object_set_null_member (client, "id");
  json_object_set_string_member (client, "ipAddress", "127.0.0.1");
  json_object_set_null_member (client, "geographicalContext");
  json_object_set_object_member (object, "client", client);
  json_object_set_string_member (outcome, "result", "SUCCESS");
  json_object_set_null_member (outcome, "reason");
  json_object_set_object_member (object, "outcome", outcome);
  json_object_set_array_member (object, "target", targets != NULL ? targets : json_array_new ());
  json_object_set_string_member (transaction, "type", "WEB");
  json_object_set_string_member (transaction, "id", transaction_id);
  json_object_set_object_member (transaction, "detail", json_object_new ());
  json_object_set_object_member (object, "transaction", transaction);
  json_object_set_object_member (debug, "debugData", json_object_new ());
  json_object_set_object_member (object, "debugContext", debug);
  json_object_set_array_member (request, "ipChain", json_array_new ());
  json_object_set_object_member (object, "request", request);

  event->published = published;
  event->object = object;
  append_event (org, event);
  return event;
}

static JsonArray *
targets_of (OktaUser *user, OktaGroup *group)
{
  JsonArray *targets = json_array_new ();

  if (user != NULL)
    json_array_add_object_element (targets, okta_user_target (user));
  if (group != NULL)
    json_array_add_object_element (targets, okta_group_target (group));
  return targets;
}

static gboolean
resolve_targets (OktaOrg *org, JsonNode *node, JsonArray **out, GError **error)
{
  JsonArray *array;
  g_autoptr(JsonArray) targets = json_array_new ();

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      set_error (error, "target must be an array of ids or target objects");
      return FALSE;
    }
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_OBJECT (item))
        json_array_add_element (targets, json_node_copy (item));
      else if (JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_STRING)
        {
          const char *id = json_node_get_string (item);
          OktaUser *user = okta_org_user (org, id);
          OktaGroup *group = okta_org_group (org, id);

          if (user != NULL)
            json_array_add_object_element (targets, okta_user_target (user));
          else if (group != NULL)
            json_array_add_object_element (targets, okta_group_target (group));
          else
            {
              set_error (error, "target %s: no such user or group (give a target object for one that is gone)", id);
              return FALSE;
            }
        }
      else
        {
          set_error (error, "target must be an array of ids or target objects");
          return FALSE;
        }
    }
  *out = g_steal_pointer (&targets);
  return TRUE;
}

OktaEvent *
okta_org_log_raw (OktaOrg *org, JsonObject *body, gint64 now, GError **error)
{
  const char *type = member_string (body, "eventType");
  const char *actor = member_string (body, "actor");
  gint64 published = now;
  JsonArray *targets = NULL;
  OktaEvent *event;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  if (type == NULL)
    {
      set_error (error, "an event needs an eventType");
      return NULL;
    }
  if (!member_time (body, "published", now, &published, error))
    return NULL;
  if (json_object_has_member (body, "target") &&
      !resolve_targets (org, json_object_get_member (body, "target"), &targets, error))
    return NULL;
  if (actor != NULL && okta_org_user (org, actor) == NULL)
    {
      set_error (error, "actor %s: no such user (give an actor object instead)", actor);
      g_clear_pointer (&targets, json_array_unref);
      return NULL;
    }
  event = okta_org_log (org, type, actor, targets, member_string (body, "severity"), published);
  json_object_iter_init_ordered (&iter, body);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    {
      if (g_str_equal (name, "published") || g_str_equal (name, "target") || g_str_equal (name, "eventType") ||
          (g_str_equal (name, "actor") && !JSON_NODE_HOLDS_OBJECT (value)))
        continue;
      json_object_set_member (event->object, name, json_node_copy (value));
    }
  return event;
}

guint
okta_org_purge_log (OktaOrg *org, gint64 before)
{
  guint kept = 0;
  guint removed;

  for (guint i = 0; i < org->events->len; i++)
    {
      OktaEvent *event = g_ptr_array_index (org->events, i);

      if (event->published < before)
        event_free (event);
      else
        org->events->pdata[kept++] = event;
    }
  removed = org->events->len - kept;
  /* The events are freed already: drop the slots without the free func. */
  g_ptr_array_set_free_func (org->events, NULL);
  g_ptr_array_set_size (org->events, kept);
  g_ptr_array_set_free_func (org->events, (GDestroyNotify) event_free);
  return removed;
}

/* ---------------------------------------------------------------- users */

static gboolean
check_profile_value (const char *name, JsonNode *value, GError **error)
{
  if (JSON_NODE_HOLDS_NULL (value))
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (value))
    return TRUE;
  if (JSON_NODE_HOLDS_ARRAY (value))
    {
      JsonArray *array = json_node_get_array (value);

      for (guint i = 0; i < json_array_get_length (array); i++)
        if (!JSON_NODE_HOLDS_VALUE (json_array_get_element (array, i)))
          break;
        else if (i + 1 == json_array_get_length (array))
          return TRUE;
      if (json_array_get_length (array) == 0)
        return TRUE;
    }
  set_error (error, "profile.%s: a string, number, boolean, null or an array of those", name);
  return FALSE;
}

/* Merges @changes into @profile (null removes a custom attribute and nulls
 * a standard one), checking names and login uniqueness. */
static gboolean
merge_profile (OktaOrg *org, OktaUser *self, JsonObject *profile, JsonObject *changes, GError **error)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  json_object_iter_init_ordered (&iter, changes);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    {
      if (!okta_org_knows_attribute (org, name))
        {
          set_error (error, "profile.%s: not a standard attribute nor one of the org's customAttributes", name);
          return FALSE;
        }
      if (!check_profile_value (name, value, error))
        return FALSE;
      if ((g_str_equal (name, "login") || g_str_equal (name, "email")) &&
          (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING ||
           *json_node_get_string (value) == '\0'))
        {
          set_error (error, "profile.%s must be a non-empty string", name);
          return FALSE;
        }
      if (g_str_equal (name, "login"))
        {
          OktaUser *other = okta_org_user (org, json_node_get_string (value));

          if (other != NULL && other != self)
            {
              set_error (error, "profile.login %s is taken", json_node_get_string (value));
              return FALSE;
            }
        }
    }
  json_object_iter_init_ordered (&iter, changes);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    {
      if (JSON_NODE_HOLDS_NULL (value) && !okta_profile_is_standard (name))
        json_object_remove_member (profile, name);
      else
        json_object_set_member (profile, name, json_node_copy (value));
    }
  return TRUE;
}

static void
join_group (OktaGroup *group, OktaUser *user)
{
  OktaMember *member = g_new0 (OktaMember, 1);

  member->user = user;
  member->mseq = group->next_mseq++;
  g_hash_table_insert (group->member_iters, user, g_sequence_append (group->members, member));
  g_ptr_array_add (user->groups, group);
}

static void
leave_group (OktaGroup *group, OktaUser *user)
{
  GSequenceIter *iter = g_hash_table_lookup (group->member_iters, user);

  g_hash_table_remove (group->member_iters, user);
  g_sequence_remove (iter);
  g_ptr_array_remove (user->groups, group);
}

static OktaUser *
user_new (OktaOrg *org, const char *id)
{
  OktaUser *user = g_new0 (OktaUser, 1);

  user->org = org;
  user->id = g_strdup (id);
  user->serial = org->next_serial++;
  user->transitioning = OKTA_NO_STATUS;
  user->profile = json_object_new ();
  user->groups = g_ptr_array_new ();
  user->type_id = g_strdup (org->user_type_id);
  user->provider_type = g_strdup ("OKTA");
  user->provider_name = g_strdup ("OKTA");
  return user;
}

static void
user_insert (OktaOrg *org, OktaUser *user)
{
  g_ptr_array_add (org->users, user);
  g_hash_table_insert (org->user_by_id, user->id, user);
  index_login (user);
  index_status (user);
  index_updated (user);
}

/* Reads a user from a seed or an admin body; @now is the default time. */
static OktaUser *
load_user (OktaOrg *org, JsonObject *seed, gint64 now, GError **error)
{
  const char *id = member_string (seed, "id");
  const char *status_text = member_string (seed, "status");
  const char *transitioning = member_string (seed, "transitioningToStatus");
  JsonObject *profile = json_object_has_member (seed, "profile") &&
                        JSON_NODE_HOLDS_OBJECT (json_object_get_member (seed, "profile")) ?
                        json_object_get_object_member (seed, "profile") : NULL;
  JsonObject *type = json_object_has_member (seed, "type") &&
                     JSON_NODE_HOLDS_OBJECT (json_object_get_member (seed, "type")) ?
                     json_object_get_object_member (seed, "type") : NULL;
  JsonObject *credentials = json_object_has_member (seed, "credentials") &&
                            JSON_NODE_HOLDS_OBJECT (json_object_get_member (seed, "credentials")) ?
                            json_object_get_object_member (seed, "credentials") : NULL;
  JsonObject *provider = credentials != NULL && json_object_has_member (credentials, "provider") ?
                         json_object_get_object_member (credentials, "provider") : NULL;
  g_autofree char *new_id = NULL;
  OktaStatus status = OKTA_ACTIVE;
  OktaStatus heading = OKTA_ACTIVE;
  OktaUser *user;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  static const char *const known[] = {
    "id", "status", "transitioningToStatus", "created", "activated", "statusChanged", "lastLogin", "lastUpdated",
    "passwordChanged", "type", "profile", "credentials", "groups", "_links", "realmId", NULL,
  };

  json_object_iter_init_ordered (&iter, seed);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    if (!g_strv_contains (known, name))
      {
        set_error (error, "user %s: unknown member %s", id != NULL ? id : "(new)", name);
        return NULL;
      }
  if (profile == NULL || member_string (profile, "login") == NULL || member_string (profile, "email") == NULL)
    {
      set_error (error, "user %s: needs a profile with login and email", id != NULL ? id : "(new)");
      return NULL;
    }
  if (status_text != NULL && !okta_status_parse (status_text, &status))
    {
      set_error (error, "user %s: unknown status %s", id != NULL ? id : "(new)", status_text);
      return NULL;
    }
  if (transitioning != NULL && !okta_status_parse (transitioning, &heading))
    {
      set_error (error, "user %s: unknown transitioningToStatus %s", id != NULL ? id : "(new)", transitioning);
      return NULL;
    }
  if (id == NULL)
    id = new_id = okta_state_new_id (org->state, "00u");
  if (g_hash_table_contains (org->user_by_id, id))
    {
      set_error (error, "user %s: the id is taken", id);
      return NULL;
    }

  user = user_new (org, id);
  user->status = status;
  if (transitioning != NULL)
    user->transitioning = heading;
  user->created = now;
  user->last_updated = now;
  user->status_changed = 0;
  user->activated = status == OKTA_STAGED ? 0 : now;
  if (!member_time (seed, "created", now, &user->created, error) ||
      !member_time (seed, "activated", now, &user->activated, error) ||
      !member_time (seed, "statusChanged", now, &user->status_changed, error) ||
      !member_time (seed, "lastLogin", now, &user->last_login, error) ||
      !member_time (seed, "lastUpdated", now, &user->last_updated, error) ||
      !member_time (seed, "passwordChanged", now, &user->password_changed, error) ||
      !merge_profile (org, NULL, user->profile, profile, error))
    {
      g_prefix_error (error, "user %s: ", id);
      user_free (user);
      return NULL;
    }
  if (type != NULL && member_string (type, "id") != NULL)
    {
      g_free (user->type_id);
      user->type_id = g_strdup (member_string (type, "id"));
    }
  if (provider != NULL)
    {
      g_free (user->provider_type);
      g_free (user->provider_name);
      user->provider_type = g_strdup (either (member_string (provider, "type"), "OKTA"));
      user->provider_name = g_strdup (either (member_string (provider, "name"), user->provider_type));
    }
  user_insert (org, user);
  if (org->everyone != NULL)
    join_group (org->everyone, user);
  return user;
}

static const char *
transition_event (OktaStatus from, OktaStatus to)
{
  if (to == OKTA_DEPROVISIONED)
    return "user.lifecycle.deactivate";
  if (to == OKTA_SUSPENDED)
    return "user.lifecycle.suspend";
  if (from == OKTA_SUSPENDED && to == OKTA_ACTIVE)
    return "user.lifecycle.unsuspend";
  if (from == OKTA_DEPROVISIONED)
    return "user.lifecycle.reactivate";
  if (from == OKTA_STAGED)
    return "user.lifecycle.activate";
  if (to == OKTA_LOCKED_OUT)
    return "user.account.lock";
  if (from == OKTA_LOCKED_OUT)
    return "user.account.unlock_by_admin";
  if (to == OKTA_PASSWORD_EXPIRED)
    return "user.account.expire_password";
  if (to == OKTA_RECOVERY)
    return "user.account.reset_password";
  return "user.lifecycle.activate";
}

/* A status change: statusChanged and lastUpdated move, the log says so. */
static void
change_status (OktaUser *user, OktaStatus to, const char *event_type, const char *actor, gint64 now)
{
  OktaStatus from = user->status;

  if ((from == OKTA_STAGED || from == OKTA_DEPROVISIONED) && to != OKTA_DEPROVISIONED && to != OKTA_STAGED)
    user->activated = now;
  set_status (user, to);
  user->transitioning = OKTA_NO_STATUS;
  user->status_changed = now;
  touch (user, now);
  okta_org_log (user->org, event_type != NULL ? event_type : transition_event (from, to), actor,
                targets_of (user, NULL), NULL, now);
}

OktaUser *
okta_org_create_user (OktaOrg *org, JsonObject *body, const char *actor, gint64 now, GError **error)
{
  g_autoptr(JsonObject) seed = json_object_new ();
  JsonArray *groups = json_object_has_member (body, "groups") &&
                      JSON_NODE_HOLDS_ARRAY (json_object_get_member (body, "groups")) ?
                      json_object_get_array_member (body, "groups") : NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  OktaUser *user;

  for (guint i = 0; groups != NULL && i < json_array_get_length (groups); i++)
    if (okta_org_group (org, json_array_get_string_element (groups, i)) == NULL)
      {
        set_error (error, "no group %s", json_array_get_string_element (groups, i));
        return NULL;
      }
  /* Timestamps are the emulator's, as on a real create. */
  json_object_iter_init_ordered (&iter, body);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    if (!g_str_equal (name, "groups") && !g_str_equal (name, "created") && !g_str_equal (name, "lastUpdated") &&
        !g_str_equal (name, "activated") && !g_str_equal (name, "statusChanged") && !g_str_equal (name, "actor") &&
        !g_str_equal (name, "org"))
      json_object_set_member (seed, name, json_node_copy (value));
  user = load_user (org, seed, now, error);
  if (user == NULL)
    return NULL;
  user->status_changed = user->status == OKTA_STAGED ? 0 : now;
  if (org->everyone != NULL)
    org->everyone->last_membership_updated = now;
  okta_org_log (org, "user.lifecycle.create", actor, targets_of (user, NULL), NULL, now);
  if (user->status != OKTA_STAGED)
    okta_org_log (org, "user.lifecycle.activate", actor, targets_of (user, NULL), NULL, now);
  for (guint i = 0; groups != NULL && i < json_array_get_length (groups); i++)
    okta_group_add (okta_org_group (org, json_array_get_string_element (groups, i)), user, actor, now, NULL);
  return user;
}

gboolean
okta_user_update (OktaUser *user, JsonObject *body, const char *actor, gint64 now, GError **error)
{
  JsonNode *profile = json_object_get_member (body, "profile");
  JsonNode *status = json_object_get_member (body, "status");
  JsonNode *transitioning = json_object_get_member (body, "transitioningToStatus");
  OktaStatus new_status = user->status;
  OktaStatus heading = OKTA_NO_STATUS;
  gint64 last_login = user->last_login;
  gint64 password_changed = user->password_changed;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  static const char *const known[] = { "profile", "status", "transitioningToStatus", "lastLogin",
                                       "passwordChanged", "actor", "org", NULL };

  json_object_iter_init_ordered (&iter, body);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    if (!g_strv_contains (known, name))
      {
        set_error (error, "%s cannot be changed (send profile, status, transitioningToStatus, lastLogin, "
                   "passwordChanged)", name);
        return FALSE;
      }
  if (profile != NULL && !JSON_NODE_HOLDS_OBJECT (profile))
    {
      set_error (error, "profile must be an object");
      return FALSE;
    }
  if (status != NULL && !okta_status_parse (member_string (body, "status"), &new_status))
    {
      set_error (error, "unknown status");
      return FALSE;
    }
  if (transitioning != NULL && !JSON_NODE_HOLDS_NULL (transitioning) &&
      !okta_status_parse (member_string (body, "transitioningToStatus"), &heading))
    {
      set_error (error, "unknown transitioningToStatus");
      return FALSE;
    }
  if (!member_time (body, "lastLogin", now, &last_login, error) ||
      !member_time (body, "passwordChanged", now, &password_changed, error))
    return FALSE;
  if (profile != NULL)
    {
      g_autoptr(JsonObject) copy = json_object_new ();
      JsonObject *changes = json_node_get_object (profile);

      json_object_iter_init_ordered (&iter, user->profile);
      while (json_object_iter_next_ordered (&iter, &name, &value))
        json_object_set_member (copy, name, json_node_copy (value));
      if (!merge_profile (user->org, user, copy, changes, error))
        return FALSE;
      json_object_unref (user->profile);
      user->profile = g_steal_pointer (&copy);
      index_login (user);
      touch (user, now);
      okta_org_log (user->org, "user.account.update_profile", actor, targets_of (user, NULL), NULL, now);
    }
  /* Sign-ins are not profile changes: lastUpdated stays. */
  user->last_login = last_login;
  user->password_changed = password_changed;
  if (status != NULL && new_status != user->status)
    change_status (user, new_status, NULL, actor, now);
  if (transitioning != NULL)
    {
      user->transitioning = heading;
      touch (user, now);
    }
  return TRUE;
}

static void
user_delete (OktaUser *user, const char *actor, gint64 now)
{
  OktaOrg *org = user->org;
  g_autoptr(GPtrArray) groups = g_ptr_array_copy (user->groups, NULL, NULL);
  guint index = okta_org_users_after (org, user->serial) - 1;

  okta_org_log (org, "user.lifecycle.delete.initiated", actor, targets_of (user, NULL), NULL, now);
  okta_org_log (org, "user.lifecycle.delete.completed", actor, targets_of (user, NULL), NULL, now);
  for (guint i = 0; i < groups->len; i++)
    {
      OktaGroup *group = g_ptr_array_index (groups, i);

      leave_group (group, user);
      group->last_membership_updated = now;
    }
  g_sequence_remove (user->status_iter);
  g_sequence_remove (user->updated_iter);
  if (user->login_key != NULL)
    g_hash_table_remove (org->user_by_login, user->login_key);
  g_hash_table_remove (org->user_by_id, user->id);
  g_assert (g_ptr_array_index (org->users, index) == user);
  g_ptr_array_remove_index (org->users, index);
}

gboolean
okta_user_lifecycle (OktaUser     *user,
                     const char   *action,
                     JsonObject   *options,
                     const char   *actor,
                     gint64        now,
                     GError      **error)
{
  OktaStatus from = user->status;
  const char *to_text = options != NULL ? member_string (options, "status") : NULL;
  gboolean hard = options != NULL && json_object_get_boolean_member_with_default (options, "hard", FALSE);
  OktaStatus to = OKTA_ACTIVE;

  if (g_str_equal (action, "activate") || g_str_equal (action, "reactivate"))
    {
      if (to_text != NULL && (!okta_status_parse (to_text, &to) || (to != OKTA_ACTIVE && to != OKTA_PROVISIONED)))
        {
          set_error (error, "activate takes status ACTIVE or PROVISIONED");
          return FALSE;
        }
      if (from != OKTA_STAGED && from != OKTA_DEPROVISIONED && from != OKTA_PROVISIONED)
        {
          set_error (error, "activate: the user is %s (only STAGED, PROVISIONED and DEPROVISIONED users are "
                     "activated)", okta_status_name (from));
          return FALSE;
        }
      change_status (user, to, from == OKTA_DEPROVISIONED ? "user.lifecycle.reactivate" :
                     "user.lifecycle.activate", actor, now);
    }
  else if (g_str_equal (action, "deactivate"))
    {
      if (from == OKTA_DEPROVISIONED)
        {
          set_error (error, "deactivate: the user is DEPROVISIONED already");
          return FALSE;
        }
      change_status (user, OKTA_DEPROVISIONED, "user.lifecycle.deactivate", actor, now);
    }
  else if (g_str_equal (action, "suspend"))
    {
      if (from != OKTA_ACTIVE)
        {
          set_error (error, "suspend: only ACTIVE users are suspended; the user is %s", okta_status_name (from));
          return FALSE;
        }
      change_status (user, OKTA_SUSPENDED, "user.lifecycle.suspend", actor, now);
    }
  else if (g_str_equal (action, "unsuspend"))
    {
      if (from != OKTA_SUSPENDED)
        {
          set_error (error, "unsuspend: the user is %s, not SUSPENDED", okta_status_name (from));
          return FALSE;
        }
      change_status (user, OKTA_ACTIVE, "user.lifecycle.unsuspend", actor, now);
    }
  else if (g_str_equal (action, "lock"))
    {
      if (from != OKTA_ACTIVE && from != OKTA_RECOVERY && from != OKTA_PASSWORD_EXPIRED)
        {
          set_error (error, "lock: the user is %s", okta_status_name (from));
          return FALSE;
        }
      change_status (user, OKTA_LOCKED_OUT, "user.account.lock", actor, now);
    }
  else if (g_str_equal (action, "unlock"))
    {
      if (from != OKTA_LOCKED_OUT)
        {
          set_error (error, "unlock: the user is %s, not LOCKED_OUT", okta_status_name (from));
          return FALSE;
        }
      change_status (user, OKTA_ACTIVE, "user.account.unlock_by_admin", actor, now);
    }
  else if (g_str_equal (action, "expire_password"))
    {
      if (from != OKTA_ACTIVE && from != OKTA_RECOVERY)
        {
          set_error (error, "expire_password: the user is %s", okta_status_name (from));
          return FALSE;
        }
      user->password_changed = now;
      change_status (user, OKTA_PASSWORD_EXPIRED, "user.account.expire_password", actor, now);
    }
  else if (g_str_equal (action, "reset_password"))
    {
      if (from != OKTA_ACTIVE && from != OKTA_PASSWORD_EXPIRED && from != OKTA_LOCKED_OUT)
        {
          set_error (error, "reset_password: the user is %s", okta_status_name (from));
          return FALSE;
        }
      change_status (user, OKTA_RECOVERY, "user.account.reset_password", actor, now);
    }
  else if (g_str_equal (action, "delete"))
    {
      /* DELETE /api/v1/users/{id}: only a DEPROVISIONED user is deleted;
       * any other is deactivated first. "hard" does both. */
      if (from != OKTA_DEPROVISIONED)
        {
          change_status (user, OKTA_DEPROVISIONED, "user.lifecycle.deactivate", actor, now);
          if (!hard)
            return TRUE;
        }
      user_delete (user, actor, now);
    }
  else
    {
      set_error (error, "unknown lifecycle action %s (activate, deactivate, suspend, unsuspend, lock, unlock, "
                 "expire_password, reset_password, delete)", action);
      return FALSE;
    }
  return TRUE;
}

/* ---------------------------------------------------------------- groups */

static OktaGroup *
group_new (OktaOrg *org, const char *id)
{
  OktaGroup *group = g_new0 (OktaGroup, 1);

  group->org = org;
  group->id = g_strdup (id);
  group->serial = org->next_serial++;
  group->type = g_strdup ("OKTA_GROUP");
  group->profile = json_object_new ();
  group->members = g_sequence_new (g_free);
  group->member_iters = g_hash_table_new (NULL, NULL);
  group->next_mseq = 1;
  return group;
}

static gboolean
set_group_profile (OktaGroup *group, JsonObject *profile, GError **error)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  const char *group_name = member_string (profile, "name");

  if (json_object_has_member (profile, "name") && (group_name == NULL || *group_name == '\0'))
    {
      set_error (error, "profile.name must be a non-empty string");
      return FALSE;
    }
  json_object_iter_init_ordered (&iter, profile);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    {
      if (!check_profile_value (name, value, error))
        return FALSE;
    }
  json_object_iter_init_ordered (&iter, profile);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    json_object_set_member (group->profile, name, json_node_copy (value));
  return TRUE;
}

static OktaGroup *
load_group (OktaOrg *org, JsonObject *seed, gint64 now, gboolean with_members, GError **error)
{
  const char *id = member_string (seed, "id");
  const char *type = member_string (seed, "type");
  JsonNode *profile = json_object_get_member (seed, "profile");
  JsonNode *members = json_object_get_member (seed, "members");
  JsonNode *source = json_object_get_member (seed, "source");
  g_autofree char *new_id = NULL;
  OktaGroup *group;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  static const char *const known[] = {
    "id", "type", "profile", "created", "lastUpdated", "lastMembershipUpdated", "members", "source",
    "objectClass", "_links", NULL,
  };
  static const char *const types[] = { "OKTA_GROUP", "APP_GROUP", "BUILT_IN", NULL };

  json_object_iter_init_ordered (&iter, seed);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    if (!g_strv_contains (known, name))
      {
        set_error (error, "group %s: unknown member %s", id != NULL ? id : "(new)", name);
        return NULL;
      }
  if (profile == NULL || !JSON_NODE_HOLDS_OBJECT (profile) ||
      member_string (json_node_get_object (profile), "name") == NULL)
    {
      set_error (error, "group %s: needs a profile with a name", id != NULL ? id : "(new)");
      return NULL;
    }
  if (type != NULL && !g_strv_contains (types, type))
    {
      set_error (error, "group %s: type is OKTA_GROUP, APP_GROUP or BUILT_IN", id != NULL ? id : "(new)");
      return NULL;
    }
  if (members != NULL && (!with_members || !JSON_NODE_HOLDS_ARRAY (members)))
    {
      set_error (error, "group %s: members must be an array of user ids", id != NULL ? id : "(new)");
      return NULL;
    }
  if (id == NULL)
    id = new_id = okta_state_new_id (org->state, "00g");
  if (g_hash_table_contains (org->group_by_id, id))
    {
      set_error (error, "group %s: the id is taken", id);
      return NULL;
    }
  group = group_new (org, id);
  if (type != NULL)
    {
      g_free (group->type);
      group->type = g_strdup (type);
    }
  if (source != NULL && JSON_NODE_HOLDS_OBJECT (source))
    group->source_id = g_strdup (member_string (json_node_get_object (source), "id"));
  group->created = group->last_updated = group->last_membership_updated = now;
  if (!member_time (seed, "created", now, &group->created, error) ||
      !member_time (seed, "lastUpdated", now, &group->last_updated, error) ||
      !member_time (seed, "lastMembershipUpdated", now, &group->last_membership_updated, error) ||
      !set_group_profile (group, json_node_get_object (profile), error))
    {
      g_prefix_error (error, "group %s: ", id);
      group_free (group);
      return NULL;
    }
  for (guint i = 0; members != NULL && i < json_array_get_length (json_node_get_array (members)); i++)
    {
      const char *user_id = json_array_get_string_element (json_node_get_array (members), i);
      OktaUser *user = user_id != NULL ? g_hash_table_lookup (org->user_by_id, user_id) : NULL;

      if (user == NULL)
        {
          set_error (error, "group %s: no user %s", id, user_id != NULL ? user_id : "(not a string)");
          group_free (group);
          return NULL;
        }
      if (!g_hash_table_contains (group->member_iters, user))
        join_group (group, user);
    }
  g_ptr_array_add (org->groups, group);
  g_hash_table_insert (org->group_by_id, group->id, group);
  return group;
}

OktaGroup *
okta_org_create_group (OktaOrg *org, JsonObject *body, const char *actor, gint64 now, GError **error)
{
  g_autoptr(JsonObject) seed = json_object_new ();
  JsonArray *members = json_object_has_member (body, "members") &&
                       JSON_NODE_HOLDS_ARRAY (json_object_get_member (body, "members")) ?
                       json_object_get_array_member (body, "members") : NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  OktaGroup *group;

  if (json_object_has_member (body, "members") && members == NULL)
    {
      set_error (error, "members must be an array of user ids");
      return NULL;
    }
  for (guint i = 0; members != NULL && i < json_array_get_length (members); i++)
    if (okta_org_user (org, json_array_get_string_element (members, i)) == NULL)
      {
        set_error (error, "no user %s", json_array_get_string_element (members, i));
        return NULL;
      }
  json_object_iter_init_ordered (&iter, body);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    if (!g_str_equal (name, "members") && !g_str_equal (name, "created") && !g_str_equal (name, "lastUpdated") &&
        !g_str_equal (name, "lastMembershipUpdated") && !g_str_equal (name, "actor") && !g_str_equal (name, "org"))
      json_object_set_member (seed, name, json_node_copy (value));
  group = load_group (org, seed, now, FALSE, error);
  if (group == NULL)
    return NULL;
  okta_org_log (org, "group.lifecycle.create", actor, targets_of (NULL, group), NULL, now);
  for (guint i = 0; members != NULL && i < json_array_get_length (members); i++)
    okta_group_add (group, okta_org_user (org, json_array_get_string_element (members, i)), actor, now, NULL);
  return group;
}

gboolean
okta_group_update (OktaGroup *group, JsonObject *body, const char *actor, gint64 now, GError **error)
{
  JsonNode *profile = json_object_get_member (body, "profile");
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  json_object_iter_init_ordered (&iter, body);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    if (!g_str_equal (name, "profile") && !g_str_equal (name, "actor") && !g_str_equal (name, "org"))
      {
        set_error (error, "%s cannot be changed (send profile)", name);
        return FALSE;
      }
  if (profile == NULL || !JSON_NODE_HOLDS_OBJECT (profile))
    {
      set_error (error, "send {\"profile\": {…}}");
      return FALSE;
    }
  if (!set_group_profile (group, json_node_get_object (profile), error))
    return FALSE;
  group->last_updated = now;
  okta_org_log (group->org, "group.profile.update", actor, targets_of (NULL, group), NULL, now);
  return TRUE;
}

void
okta_group_delete (OktaGroup *group, const char *actor, gint64 now)
{
  OktaOrg *org = group->org;
  guint index = okta_org_groups_after (org, group->serial) - 1;

  okta_org_log (org, "group.lifecycle.delete", actor, targets_of (NULL, group), NULL, now);
  for (GSequenceIter *iter = g_sequence_get_begin_iter (group->members); !g_sequence_iter_is_end (iter);
       iter = g_sequence_iter_next (iter))
    g_ptr_array_remove (((OktaMember *) g_sequence_get (iter))->user->groups, group);
  if (org->everyone == group)
    org->everyone = NULL;
  g_hash_table_remove (org->group_by_id, group->id);
  g_ptr_array_remove_index (org->groups, index);
}

gboolean
okta_group_add (OktaGroup *group, OktaUser *user, const char *actor, gint64 now, GError **error)
{
  if (g_hash_table_contains (group->member_iters, user))
    return TRUE;
  if (g_str_equal (group->type, "BUILT_IN"))
    {
      set_error (error, "the members of a BUILT_IN group are managed by Okta");
      return FALSE;
    }
  join_group (group, user);
  /* Membership is not a user change: the user's lastUpdated stays. */
  group->last_membership_updated = now;
  okta_org_log (group->org, "group.user_membership.add", actor, targets_of (user, group), NULL, now);
  return TRUE;
}

gboolean
okta_group_remove (OktaGroup *group, OktaUser *user, const char *actor, gint64 now, GError **error)
{
  if (!g_hash_table_contains (group->member_iters, user))
    {
      set_error (error, "%s is not a member of %s", user->id, group->id);
      return FALSE;
    }
  if (g_str_equal (group->type, "BUILT_IN"))
    {
      set_error (error, "the members of a BUILT_IN group are managed by Okta");
      return FALSE;
    }
  leave_group (group, user);
  group->last_membership_updated = now;
  okta_org_log (group->org, "group.user_membership.remove", actor, targets_of (user, group), NULL, now);
  return TRUE;
}

/* ---------------------------------------------------------------- tokens and apps */

static gboolean
read_rights (JsonObject *seed, const char *what, guint *rights, GError **error)
{
  JsonNode *node = json_object_get_member (seed, "rights");
  JsonArray *array;
  const char *role = member_string (seed, "role");

  if (node == NULL)
    {
      *rights = okta_role_rights (role != NULL ? role : "READ_ONLY_ADMIN");
      if (*rights == G_MAXUINT)
        {
          set_error (error, "%s: unknown role %s", what, role);
          return FALSE;
        }
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      set_error (error, "%s: rights is an array of users, groups, logs, org", what);
      return FALSE;
    }
  array = json_node_get_array (node);
  *rights = 0;
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      const char *right = json_array_get_string_element (array, i);

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
          set_error (error, "%s: rights is an array of users, groups, logs, org", what);
          return FALSE;
        }
    }
  return TRUE;
}

static JsonArray *
rights_array (guint rights)
{
  JsonArray *array = json_array_new ();

  if (rights & OKTA_RIGHT_USERS)
    json_array_add_string_element (array, "users");
  if (rights & OKTA_RIGHT_GROUPS)
    json_array_add_string_element (array, "groups");
  if (rights & OKTA_RIGHT_LOGS)
    json_array_add_string_element (array, "logs");
  if (rights & OKTA_RIGHT_ORG)
    json_array_add_string_element (array, "org");
  return array;
}

static gboolean
load_token (OktaOrg *org, JsonObject *seed, gint64 now, GError **error)
{
  const char *value = member_string (seed, "token");
  OktaApiToken *token;

  if (value == NULL || *value == '\0')
    {
      set_error (error, "a token needs \"token\" (its value)");
      return FALSE;
    }
  if (g_hash_table_contains (org->token_by_value, value))
    {
      set_error (error, "a token value is listed twice");
      return FALSE;
    }
  token = g_new0 (OktaApiToken, 1);
  token->org = org;
  token->value = g_strdup (value);
  token->name = g_strdup (either (member_string (seed, "name"), "API token"));
  token->id = g_strdup (member_string (seed, "id"));
  if (token->id == NULL)
    token->id = okta_state_new_id (org->state, "00T");
  token->admin_id = g_strdup (either (member_string (seed, "admin"), org->actor_id));
  token->role = g_strdup (either (member_string (seed, "role"), "READ_ONLY_ADMIN"));
  token->revoked = json_object_get_boolean_member_with_default (seed, "revoked", FALSE);
  token->last_used = now;
  if (!read_rights (seed, token->name, &token->rights, error) ||
      !member_time (seed, "expires", now, &token->expires, error) ||
      !member_time (seed, "lastUsed", now, &token->last_used, error))
    {
      token_free (token);
      return FALSE;
    }
  g_ptr_array_add (org->tokens, token);
  g_hash_table_insert (org->token_by_value, token->value, token);
  return TRUE;
}

JsonObject *
okta_token_dump (OktaApiToken *token, gboolean with_value)
{
  JsonObject *object = json_object_new ();

  if (with_value)
    json_object_set_string_member (object, "token", token->value);
  json_object_set_string_member (object, "name", token->name);
  json_object_set_string_member (object, "id", token->id);
  if (token->admin_id != NULL)
    json_object_set_string_member (object, "admin", token->admin_id);
  json_object_set_string_member (object, "role", token->role);
  json_object_set_array_member (object, "rights", rights_array (token->rights));
  if (token->expires != 0)
    {
      g_autofree char *expires = okta_format_time (token->expires);

      json_object_set_string_member (object, "expires", expires);
    }
  json_object_set_boolean_member (object, "revoked", token->revoked);
  return object;
}

gboolean
okta_app_add_key (OktaApp *app, JsonObject *jwk, GError **error)
{
  g_autoptr(JsonObject) key = NULL;
  const char *pem = member_string (jwk, "pem");
  const char *kid = member_string (jwk, "kid");

  if (pem != NULL)
    {
      key = okta_jwk_from_pem (pem, error);
      if (key == NULL)
        return FALSE;
      if (member_string (jwk, "alg") != NULL)
        json_object_set_string_member (key, "alg", member_string (jwk, "alg"));
    }
  else
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      key = json_object_new ();
      json_object_iter_init_ordered (&iter, jwk);
      while (json_object_iter_next_ordered (&iter, &name, &value))
        json_object_set_member (key, name, json_node_copy (value));
    }
  if (kid == NULL || *kid == '\0')
    {
      set_error (error, "a key needs a kid");
      return FALSE;
    }
  json_object_set_string_member (key, "kid", kid);
  if (!okta_jwk_check (key, error))
    return FALSE;
  for (guint i = 0; i < app->keys->len; i++)
    if (g_strcmp0 (member_string (g_ptr_array_index (app->keys, i), "kid"), kid) == 0)
      {
        set_error (error, "the app has a key %s already", kid);
        return FALSE;
      }
  g_ptr_array_add (app->keys, g_steal_pointer (&key));
  return TRUE;
}

static gboolean
string_list (JsonObject *seed, const char *name, GPtrArray *into, GError **error)
{
  JsonNode *node = json_object_get_member (seed, name);
  JsonArray *array;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      set_error (error, "%s must be an array of strings", name);
      return FALSE;
    }
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      const char *text = json_array_get_string_element (array, i);

      if (text == NULL)
        {
          set_error (error, "%s must be an array of strings", name);
          return FALSE;
        }
      g_ptr_array_add (into, g_strdup (text));
    }
  return TRUE;
}

static gboolean
load_app (OktaOrg *org, JsonObject *seed, GError **error)
{
  const char *client_id = member_string (seed, "client_id");
  JsonNode *keys = json_object_get_member (seed, "keys");
  OktaApp *app;

  if (client_id == NULL || g_hash_table_contains (org->app_by_id, client_id))
    {
      set_error (error, "an app needs a client_id of its own");
      return FALSE;
    }
  app = g_new0 (OktaApp, 1);
  app->org = org;
  app->client_id = g_strdup (client_id);
  app->name = g_strdup (either (member_string (seed, "name"), client_id));
  app->scopes = g_ptr_array_new_with_free_func (g_free);
  app->keys = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  app->role = g_strdup (either (member_string (seed, "role"), "READ_ONLY_ADMIN"));
  app->dpop = json_object_get_boolean_member_with_default (seed, "dpop", FALSE);
  g_ptr_array_add (org->apps, app);
  g_hash_table_insert (org->app_by_id, app->client_id, app);
  if (!read_rights (seed, client_id, &app->rights, error) || !string_list (seed, "scopes", app->scopes, error))
    return FALSE;
  if (keys != NULL && !JSON_NODE_HOLDS_ARRAY (keys))
    {
      set_error (error, "app %s: keys is an array of JWKs", client_id);
      return FALSE;
    }
  for (guint i = 0; keys != NULL && i < json_array_get_length (json_node_get_array (keys)); i++)
    {
      JsonNode *key = json_array_get_element (json_node_get_array (keys), i);

      if (!JSON_NODE_HOLDS_OBJECT (key) || !okta_app_add_key (app, json_node_get_object (key), error))
        {
          g_prefix_error (error, "app %s: ", client_id);
          if (error != NULL && *error == NULL)
            set_error (error, "app %s: keys is an array of JWKs", client_id);
          return FALSE;
        }
    }
  return TRUE;
}

JsonObject *
okta_app_dump (OktaApp *app)
{
  JsonObject *object = json_object_new ();
  JsonArray *scopes = json_array_new ();
  JsonArray *keys = json_array_new ();

  json_object_set_string_member (object, "client_id", app->client_id);
  json_object_set_string_member (object, "name", app->name);
  for (guint i = 0; i < app->scopes->len; i++)
    json_array_add_string_element (scopes, g_ptr_array_index (app->scopes, i));
  json_object_set_array_member (object, "scopes", scopes);
  for (guint i = 0; i < app->keys->len; i++)
    json_array_add_object_element (keys, json_object_ref (g_ptr_array_index (app->keys, i)));
  json_object_set_array_member (object, "keys", keys);
  json_object_set_string_member (object, "role", app->role);
  json_object_set_array_member (object, "rights", rights_array (app->rights));
  json_object_set_boolean_member (object, "dpop", app->dpop);
  return object;
}

/* ---------------------------------------------------------------- seed */

static gint
compare_seed_events (gconstpointer a, gconstpointer b)
{
  const OktaEvent *ea = *(OktaEvent *const *) a;
  const OktaEvent *eb = *(OktaEvent *const *) b;

  if (ea->published != eb->published)
    return ea->published < eb->published ? -1 : 1;
  return ea->seq < eb->seq ? -1 : ea->seq > eb->seq ? 1 : 0;
}

static JsonArray *
member_array (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static void
generate_users (OktaOrg *org, guint n, const char *group_name, gint64 now)
{
  static const char *const first[] = { "Ava", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Hugo",
                                       "Isla", "Jonas", "Kira", "Leo", "Maya", "Nils", "Olga", "Piet" };
  static const char *const last[] = { "Adams", "Berg", "Costa", "Dietz", "Evans", "Fischer", "Garcia",
                                      "Hansen", "Ito", "Jensen", "Kowalski", "Larsen", "Meyer", "Novak" };
  static const char *const departments[] = { "Engineering", "Sales", "Finance", "Marketing", "Support",
                                             "Operations", "Legal", "People" };
  g_autofree char *group_id = g_strdup_printf ("00g%014ugen", 1u);
  OktaGroup *group = group_new (org, group_id);

  json_object_set_string_member (group->profile, "name", group_name);
  json_object_set_string_member (group->profile, "description", "Users made by --generate");
  group->created = group->last_updated = group->last_membership_updated = now;
  g_ptr_array_add (org->groups, group);
  g_hash_table_insert (org->group_by_id, group->id, group);

  for (guint i = 1; i <= n; i++)
    {
      g_autofree char *id = g_strdup_printf ("00ug%013ugen", i);
      g_autofree char *login = g_strdup_printf ("user%u@generated.example.com", i);
      g_autofree char *number = g_strdup_printf ("G%07u", i);
      const char *given = first[i % G_N_ELEMENTS (first)];
      const char *family = last[(i / G_N_ELEMENTS (first)) % G_N_ELEMENTS (last)];
      g_autofree char *display = g_strdup_printf ("%s %s %u", given, family, i);
      OktaUser *user = user_new (org, id);

      user->status = OKTA_ACTIVE;
      user->created = user->activated = user->status_changed = user->last_updated = now;
      json_object_set_string_member (user->profile, "login", login);
      json_object_set_string_member (user->profile, "email", login);
      json_object_set_string_member (user->profile, "firstName", given);
      json_object_set_string_member (user->profile, "lastName", family);
      json_object_set_string_member (user->profile, "displayName", display);
      json_object_set_string_member (user->profile, "department", departments[i % G_N_ELEMENTS (departments)]);
      json_object_set_string_member (user->profile, "title", "Generated");
      json_object_set_string_member (user->profile, "employeeNumber", number);
      json_object_set_string_member (user->profile, "organization", "Generated Org");
      g_ptr_array_add (org->users, user);
      g_hash_table_insert (org->user_by_id, user->id, user);
      index_login (user);
      /* Serial order is also (lastUpdated, serial) order here: append. */
      user->status_iter = g_sequence_append (org->by_status[OKTA_ACTIVE], user);
      user->updated_iter = g_sequence_insert_sorted (org->by_updated, user, compare_updated, NULL);
      join_group (group, user);
      if (org->everyone != NULL)
        join_group (org->everyone, user);
    }
}

static OktaOrg *
load_org (OktaState *state, JsonObject *seed, gint64 now, GError **error)
{
  g_autoptr(GPtrArray) loaded_events = g_ptr_array_new ();
  OktaOrg *org = org_new (state);
  const char *name = member_string (seed, "name");
  JsonArray *users = member_array (seed, "users");
  JsonArray *groups = member_array (seed, "groups");
  JsonArray *tokens = member_array (seed, "tokens");
  JsonArray *apps = member_array (seed, "apps");
  JsonArray *logs = member_array (seed, "logs");
  JsonArray *rules = member_array (seed, "groupRules");
  g_autofree char *folded = NULL;
  JsonObjectIter iter;
  const char *member;
  JsonNode *value;
  static const char *const known[] = {
    "name", "id", "companyName", "userTypeId", "actor", "customAttributes", "created", "users", "groups",
    "tokens", "apps", "logs", "groupRules", NULL,
  };

  json_object_iter_init_ordered (&iter, seed);
  while (json_object_iter_next_ordered (&iter, &member, &value))
    if (!g_strv_contains (known, member))
      {
        set_error (error, "org %s: unknown member %s", name != NULL ? name : "?", member);
        org_free (org);
        return NULL;
      }
  if (name == NULL || *name == '\0' || strchr (name, '/') != NULL || strchr (name, '.') != NULL)
    {
      set_error (error, "an org needs a name (one path segment, no dots)");
      org_free (org);
      return NULL;
    }
  folded = okta_fold (name);
  if (g_hash_table_contains (state->org_by_name, folded))
    {
      set_error (error, "two orgs are called %s", name);
      org_free (org);
      return NULL;
    }
  org->name = g_strdup (name);
  org->id = g_strdup (member_string (seed, "id"));
  if (org->id == NULL)
    org->id = okta_state_new_id (state, "00o");
  org->company = g_strdup (either (member_string (seed, "companyName"), name));
  org->user_type_id = g_strdup (member_string (seed, "userTypeId"));
  if (org->user_type_id == NULL)
    org->user_type_id = okta_state_new_id (state, "oty");
  org->actor_id = g_strdup (member_string (seed, "actor"));
  org->created = now - 365 * OKTA_MS_PER_DAY;
  g_ptr_array_add (state->orgs, org);
  g_hash_table_insert (state->org_by_name, g_steal_pointer (&folded), org);

  if (!member_time (seed, "created", now, &org->created, error) ||
      !string_list (seed, "customAttributes", org->custom, error))
    {
      g_prefix_error (error, "org %s: ", name);
      return NULL;
    }
  for (guint i = 0; i < org->custom->len; i++)
    if (okta_profile_is_standard (g_ptr_array_index (org->custom, i)))
      {
        set_error (error, "org %s: %s is a standard attribute, not a custom one", name,
                   (char *) g_ptr_array_index (org->custom, i));
        return NULL;
      }
  for (guint i = 0; users != NULL && i < json_array_get_length (users); i++)
    {
      JsonNode *node = json_array_get_element (users, i);

      if (!JSON_NODE_HOLDS_OBJECT (node) || load_user (org, json_node_get_object (node), now, error) == NULL)
        {
          if (error != NULL && *error == NULL)
            set_error (error, "users[%u] is not an object", i);
          g_prefix_error (error, "org %s: ", name);
          return NULL;
        }
    }
  for (guint i = 0; groups != NULL && i < json_array_get_length (groups); i++)
    {
      JsonNode *node = json_array_get_element (groups, i);
      OktaGroup *group;

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          (group = load_group (org, json_node_get_object (node), now, TRUE, error)) == NULL)
        {
          if (error != NULL && *error == NULL)
            set_error (error, "groups[%u] is not an object", i);
          g_prefix_error (error, "org %s: ", name);
          return NULL;
        }
      if (g_str_equal (group->type, "BUILT_IN") &&
          g_strcmp0 (member_string (group->profile, "name"), "Everyone") == 0)
        org->everyone = group;
    }
  /* Everyone holds every user, whatever the seed listed. */
  for (guint i = 0; org->everyone != NULL && i < org->users->len; i++)
    {
      OktaUser *user = g_ptr_array_index (org->users, i);

      if (!g_hash_table_contains (org->everyone->member_iters, user))
        join_group (org->everyone, user);
    }
  for (guint i = 0; tokens != NULL && i < json_array_get_length (tokens); i++)
    {
      JsonNode *node = json_array_get_element (tokens, i);

      if (!JSON_NODE_HOLDS_OBJECT (node) || !load_token (org, json_node_get_object (node), now, error))
        {
          if (error != NULL && *error == NULL)
            set_error (error, "tokens[%u] is not an object", i);
          g_prefix_error (error, "org %s: ", name);
          return NULL;
        }
    }
  for (guint i = 0; apps != NULL && i < json_array_get_length (apps); i++)
    {
      JsonNode *node = json_array_get_element (apps, i);

      if (!JSON_NODE_HOLDS_OBJECT (node) || !load_app (org, json_node_get_object (node), error))
        {
          if (error != NULL && *error == NULL)
            set_error (error, "apps[%u] is not an object", i);
          g_prefix_error (error, "org %s: ", name);
          return NULL;
        }
    }
  /* Seeded events are persisted in published order. */
  for (guint i = 0; logs != NULL && i < json_array_get_length (logs); i++)
    {
      JsonNode *node = json_array_get_element (logs, i);
      OktaEvent *event;

      if (!JSON_NODE_HOLDS_OBJECT (node) || (event = okta_org_log_raw (org, json_node_get_object (node), now,
                                                                        error)) == NULL)
        {
          if (error != NULL && *error == NULL)
            set_error (error, "logs[%u] is not an object", i);
          g_prefix_error (error, "org %s: logs[%u]: ", name, i);
          return NULL;
        }
    }
  for (guint i = 0; i < org->events->len; i++)
    g_ptr_array_add (loaded_events, g_ptr_array_index (org->events, i));
  g_ptr_array_sort (loaded_events, compare_seed_events);
  for (guint i = 0; i < loaded_events->len; i++)
    {
      OktaEvent *event = g_ptr_array_index (loaded_events, i);

      org->events->pdata[i] = event;
      event->seq = i + 1;
    }
  org->group_rules = rules != NULL ? json_array_ref (rules) : json_array_new ();
  return org;
}

OktaState *
okta_state_new (JsonNode     *seed,
                guint32       random_seed,
                guint         generate,
                const char   *generate_group,
                gint64        now,
                GError      **error)
{
  OktaState *state = g_new0 (OktaState, 1);
  JsonObject *root = JSON_NODE_HOLDS_OBJECT (seed) ? json_node_get_object (seed) : NULL;
  JsonArray *orgs = root != NULL ? member_array (root, "orgs") : NULL;

  state->orgs = g_ptr_array_new_with_free_func ((GDestroyNotify) org_free);
  state->org_by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  state->rand = g_rand_new_with_seed (random_seed);
  if (orgs == NULL || json_array_get_length (orgs) == 0)
    {
      set_error (error, "the seed needs {\"orgs\": [ … ]} with at least one org");
      okta_state_free (state);
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (orgs); i++)
    {
      JsonNode *node = json_array_get_element (orgs, i);

      if (!JSON_NODE_HOLDS_OBJECT (node) || load_org (state, json_node_get_object (node), now, error) == NULL)
        {
          if (error != NULL && *error == NULL)
            set_error (error, "orgs[%u] is not an object", i);
          okta_state_free (state);
          return NULL;
        }
    }
  if (generate > 0)
    generate_users (okta_state_default_org (state), generate,
                    generate_group != NULL ? generate_group : "Generated Users", now);
  return state;
}

void
okta_state_free (OktaState *state)
{
  if (state == NULL)
    return;
  g_ptr_array_unref (state->orgs);
  g_hash_table_unref (state->org_by_name);
  g_rand_free (state->rand);
  g_free (state);
}

/* ---------------------------------------------------------------- dump */

static void
dump_time (JsonObject *object, const char *name, gint64 ms)
{
  if (ms == 0)
    json_object_set_null_member (object, name);
  else
    {
      g_autofree char *text = okta_format_time (ms);

      json_object_set_string_member (object, name, text);
    }
}

static JsonObject *
dump_user (OktaUser *user)
{
  JsonObject *object = json_object_new ();
  JsonObject *type = json_object_new ();
  JsonObject *credentials = json_object_new ();
  JsonObject *provider = json_object_new ();

  json_object_set_string_member (object, "id", user->id);
  json_object_set_string_member (object, "status", okta_status_name (user->status));
  if (user->transitioning != OKTA_NO_STATUS)
    json_object_set_string_member (object, "transitioningToStatus", okta_status_name (user->transitioning));
  else
    json_object_set_null_member (object, "transitioningToStatus");
  dump_time (object, "created", user->created);
  dump_time (object, "activated", user->activated);
  dump_time (object, "statusChanged", user->status_changed);
  dump_time (object, "lastLogin", user->last_login);
  dump_time (object, "lastUpdated", user->last_updated);
  dump_time (object, "passwordChanged", user->password_changed);
  json_object_set_string_member (type, "id", user->type_id);
  json_object_set_object_member (object, "type", type);
  json_object_set_object_member (object, "profile", json_object_ref (user->profile));
  json_object_set_string_member (provider, "type", user->provider_type);
  json_object_set_string_member (provider, "name", user->provider_name);
  json_object_set_object_member (credentials, "provider", provider);
  json_object_set_object_member (object, "credentials", credentials);
  return object;
}

static JsonObject *
dump_group (OktaGroup *group)
{
  JsonObject *object = json_object_new ();
  JsonArray *members = json_array_new ();

  json_object_set_string_member (object, "id", group->id);
  json_object_set_string_member (object, "type", group->type);
  dump_time (object, "created", group->created);
  dump_time (object, "lastUpdated", group->last_updated);
  dump_time (object, "lastMembershipUpdated", group->last_membership_updated);
  json_object_set_object_member (object, "profile", json_object_ref (group->profile));
  if (group->source_id != NULL)
    {
      JsonObject *source = json_object_new ();

      json_object_set_string_member (source, "id", group->source_id);
      json_object_set_object_member (object, "source", source);
    }
  for (GSequenceIter *iter = g_sequence_get_begin_iter (group->members); !g_sequence_iter_is_end (iter);
       iter = g_sequence_iter_next (iter))
    json_array_add_string_element (members, ((OktaMember *) g_sequence_get (iter))->user->id);
  json_object_set_array_member (object, "members", members);
  return object;
}

JsonNode *
okta_state_dump (OktaState *state, gboolean with_logs)
{
  JsonObject *root = json_object_new ();
  JsonArray *orgs = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  for (guint o = 0; o < state->orgs->len; o++)
    {
      OktaOrg *org = g_ptr_array_index (state->orgs, o);
      JsonObject *object = json_object_new ();
      JsonArray *custom = json_array_new ();
      JsonArray *users = json_array_new ();
      JsonArray *groups = json_array_new ();
      JsonArray *tokens = json_array_new ();
      JsonArray *apps = json_array_new ();

      json_object_set_string_member (object, "name", org->name);
      json_object_set_string_member (object, "id", org->id);
      json_object_set_string_member (object, "companyName", org->company);
      json_object_set_string_member (object, "userTypeId", org->user_type_id);
      if (org->actor_id != NULL)
        json_object_set_string_member (object, "actor", org->actor_id);
      dump_time (object, "created", org->created);
      for (guint i = 0; i < org->custom->len; i++)
        json_array_add_string_element (custom, g_ptr_array_index (org->custom, i));
      json_object_set_array_member (object, "customAttributes", custom);
      for (guint i = 0; i < org->users->len; i++)
        json_array_add_object_element (users, dump_user (g_ptr_array_index (org->users, i)));
      json_object_set_array_member (object, "users", users);
      for (guint i = 0; i < org->groups->len; i++)
        json_array_add_object_element (groups, dump_group (g_ptr_array_index (org->groups, i)));
      json_object_set_array_member (object, "groups", groups);
      for (guint i = 0; i < org->tokens->len; i++)
        json_array_add_object_element (tokens, okta_token_dump (g_ptr_array_index (org->tokens, i), TRUE));
      json_object_set_array_member (object, "tokens", tokens);
      for (guint i = 0; i < org->apps->len; i++)
        json_array_add_object_element (apps, okta_app_dump (g_ptr_array_index (org->apps, i)));
      json_object_set_array_member (object, "apps", apps);
      json_object_set_array_member (object, "groupRules", json_array_ref (org->group_rules));
      if (with_logs)
        {
          JsonArray *logs = json_array_new ();

          for (guint i = 0; i < org->events->len; i++)
            json_array_add_object_element (logs, json_object_ref (((OktaEvent *) g_ptr_array_index (org->events,
                                                                                                  i))->object));
          json_object_set_array_member (object, "logs", logs);
        }
      json_array_add_object_element (orgs, object);
    }
  json_object_set_array_member (root, "orgs", orgs);
  json_node_take_object (node, root);
  return node;
}
