/* okta-server.c — HTTP front of the Okta emulator: org routing, fault
 * rules, switches, the per-minute rate-limit buckets, the emulated clock,
 * OAuth access tokens, the call log and statistics
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every answer carries Date (the emulated clock), X-Okta-Request-Id and
 * X-Rate-Limit-Limit/-Remaining/-Reset of the bucket the call fell in.
 */

#include <string.h>

#include "okta-private.h"

typedef enum {
  FAULT_THROTTLE,
  FAULT_CONCURRENCY,
  FAULT_ERROR,
  FAULT_TIMEOUT,
  FAULT_INVALID_TOKEN,
  FAULT_FORBIDDEN,
  FAULT_INSUFFICIENT_SCOPE,
  FAULT_EMPTY_PAGE,
  FAULT_SLOW,
  FAULT_DROP,
  FAULT_DROP_AFTER,
  FAULT_TRUNCATE,
  FAULT_MALFORMED,
  N_FAULTS,
} FaultKind;

static const char *const fault_names[N_FAULTS] = {
  "throttle", "concurrency", "error", "timeout", "invalid_token", "forbidden", "insufficient_scope",
  "empty_page", "slow", "drop", "drop_after", "truncate", "malformed",
};

struct _OktaServerRule {
  EmuRule    base;            /* kind is a FaultKind */
  char      *org;             /* only calls to this org; NULL = any */
  guint      status;          /* error */
  guint      reset;           /* throttle, concurrency: seconds to X-Rate-Limit-Reset */
  guint      ms;              /* slow */
  char      *scope;           /* insufficient_scope; NULL = the endpoint's */
};

typedef struct {
  gint64   reset_at;          /* emulated ms */
  guint    used;
  gboolean reported;          /* the violation is in the System Log */
} Window;

static const char *const bucket_names[OKTA_N_BUCKETS] = { "users", "user", "groups", "group", "logs", "other" };

/* ---------------------------------------------------------------- helpers */

const char *
okta_bucket_name (OktaBucket bucket)
{
  return bucket < OKTA_N_BUCKETS ? bucket_names[bucket] : "other";
}

static char *
random_text (OktaServer *server, guint length)
{
  static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  char *text = g_malloc (length + 1);

  for (guint i = 0; i < length; i++)
    text[i] = alphabet[g_rand_int_range (server->id_rand, 0, 62)];
  text[length] = '\0';
  return text;
}

/* ---------------------------------------------------------------- switches */

#define SW(name, type, member, min, max) \
  { name, type, G_STRUCT_OFFSET (OktaSwitches, member), NULL, min, max }
#define LIMIT(name, bucket) \
  { name, EMU_SWITCH_UINT, G_STRUCT_OFFSET (OktaSwitches, limits) + (bucket) * sizeof (guint), NULL, 1, \
    G_MAXINT32 }

static const EmuSwitchSpec switch_specs[] = {
  SW ("page_size", EMU_SWITCH_UINT, page_size, 0, 10000),
  SW ("empty_last_page", EMU_SWITCH_BOOL, empty_last_page, 0, 0),
  SW ("timeout_limit", EMU_SWITCH_UINT, timeout_limit, 0, G_MAXINT32),
  SW ("search_lag", EMU_SWITCH_UINT, search_lag, 0, 86400),
  SW ("log_retention_days", EMU_SWITCH_UINT, log_retention_days, 1, 3650),
  SW ("since_max_days", EMU_SWITCH_UINT, since_max_days, 1, 3650),
  SW ("token_lifetime", EMU_SWITCH_INT64, token_lifetime, 1, G_MAXINT32),
  SW ("token_idle_days", EMU_SWITCH_UINT, token_idle_days, 1, 3650),
  SW ("rate_limits", EMU_SWITCH_BOOL, rate_limits, 0, 0),
  SW ("rate_window", EMU_SWITCH_UINT, rate_window, 1, 86400),
  LIMIT ("limit_users", OKTA_BUCKET_USERS),
  LIMIT ("limit_user", OKTA_BUCKET_USER),
  LIMIT ("limit_groups", OKTA_BUCKET_GROUPS),
  LIMIT ("limit_group", OKTA_BUCKET_GROUP),
  LIMIT ("limit_logs", OKTA_BUCKET_LOGS),
  LIMIT ("limit_other", OKTA_BUCKET_OTHER),
  SW ("token_share", EMU_SWITCH_UINT, token_share, 1, 100),
  SW ("latency_ms", EMU_SWITCH_UINT, latency_ms, 0, 600000),
};

static void
switches_init (OktaSwitches *sw)
{
  memset (sw, 0, sizeof *sw);
  sw->log_retention_days = 90;
  sw->since_max_days = 180;
  sw->token_lifetime = 3600;
  sw->token_idle_days = 30;
  sw->rate_limits = TRUE;
  sw->rate_window = 60;
  /* The last published Workforce per-minute defaults (§5). */
  sw->limits[OKTA_BUCKET_USERS] = 600;
  sw->limits[OKTA_BUCKET_USER] = 2000;
  sw->limits[OKTA_BUCKET_GROUPS] = 500;
  sw->limits[OKTA_BUCKET_GROUP] = 1000;
  sw->limits[OKTA_BUCKET_LOGS] = 120;
  sw->limits[OKTA_BUCKET_OTHER] = 1200;
  sw->token_share = 50;
}

/* ---------------------------------------------------------------- fault rules */

static void
rule_free (OktaServerRule *rule)
{
  emu_rule_clear (&rule->base);
  g_free (rule->org);
  g_free (rule->scope);
  g_free (rule);
}

static OktaServerRule *
rule_copy (const OktaServerRule *from)
{
  OktaServerRule *rule = g_memdup2 (from, sizeof *from);

  emu_rule_copy (&rule->base, &from->base);
  rule->org = g_strdup (from->org);
  rule->scope = g_strdup (from->scope);
  return rule;
}

static GPtrArray *
rules_copy (GPtrArray *rules)
{
  return emu_rules_copy (rules, (GBoxedCopyFunc) rule_copy, (GDestroyNotify) rule_free);
}

static OktaServerRule *
rule_parse (JsonNode *node, GError **error)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  OktaServerRule *rule;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  int found = emu_rule_kind (object, fault_names, N_FAULTS, error);

  if (found < 0)
    return NULL;
  rule = g_new0 (OktaServerRule, 1);
  emu_rule_init (&rule->base, found);
  rule->status = 503;
  rule->reset = 1;
  rule->ms = 2000;

  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    {
      GType type = JSON_NODE_HOLDS_VALUE (value) ? json_node_get_value_type (value) : G_TYPE_INVALID;
      gboolean integer = type == G_TYPE_INT64 && json_node_get_int (value) >= 0 &&
                         json_node_get_int (value) <= G_MAXINT32;
      gboolean ok = TRUE;

      if (g_str_equal (name, "fault"))
        continue;
      else if (emu_rule_parse_member (&rule->base, name, value, &ok))
        {
          /* match, nth, rate or count */
        }
      else if (g_str_equal (name, "org") && type == G_TYPE_STRING)
        g_free (rule->org), rule->org = g_strdup (json_node_get_string (value));
      else if (g_str_equal (name, "status") && integer)
        {
          rule->status = json_node_get_int (value);
          ok = rule->status >= 500 && rule->status <= 599;
        }
      else if (g_str_equal (name, "reset") && integer)
        rule->reset = json_node_get_int (value);
      else if (g_str_equal (name, "ms") && integer)
        rule->ms = json_node_get_int (value);
      else if (g_str_equal (name, "scope") && type == G_TYPE_STRING)
        g_free (rule->scope), rule->scope = g_strdup (json_node_get_string (value));
      else
        ok = FALSE;
      if (!ok)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "fault rule: bad member %s", name);
          rule_free (rule);
          return NULL;
        }
    }
  emu_rule_finish (&rule->base, object);
  return rule;
}

static JsonNode *
rule_dump (OktaServerRule *rule)
{
  JsonObject *object = json_object_new ();

  emu_rule_dump (&rule->base, fault_names[rule->base.kind], object);
  if (rule->org != NULL)
    json_object_set_string_member (object, "org", rule->org);
  switch ((FaultKind) rule->base.kind)
    {
    case FAULT_ERROR:
      json_object_set_int_member (object, "status", rule->status);
      break;
    case FAULT_THROTTLE:
    case FAULT_CONCURRENCY:
      json_object_set_int_member (object, "reset", rule->reset);
      break;
    case FAULT_SLOW:
      json_object_set_int_member (object, "ms", rule->ms);
      break;
    case FAULT_INSUFFICIENT_SCOPE:
      if (rule->scope != NULL)
        json_object_set_string_member (object, "scope", rule->scope);
      break;
    case FAULT_TIMEOUT:
    case FAULT_INVALID_TOKEN:
    case FAULT_FORBIDDEN:
    case FAULT_EMPTY_PAGE:
    case FAULT_DROP:
    case FAULT_DROP_AFTER:
    case FAULT_TRUNCATE:
    case FAULT_MALFORMED:
    case N_FAULTS:
    default:
      break;
    }
  return emu_object_node (object);
}

/* EmuRuleApplies: whether @rule's kind of fault can happen to the call. */
static gboolean
rule_applies (gpointer data, gpointer user_data)
{
  OktaServerRule *rule = data;
  OktaCall *call = user_data;
  gboolean api = g_str_has_prefix (call->path, "/api/v1/");

  if (rule->org != NULL && (call->org == NULL || g_ascii_strcasecmp (rule->org, call->org->name) != 0))
    return FALSE;
  switch ((FaultKind) rule->base.kind)
    {
    case FAULT_INVALID_TOKEN:
    case FAULT_FORBIDDEN:
    case FAULT_INSUFFICIENT_SCOPE:
      return api;
    case FAULT_EMPTY_PAGE:
      return api && g_str_equal (call->method, "GET");
    case FAULT_THROTTLE:
    case FAULT_CONCURRENCY:
    case FAULT_ERROR:
    case FAULT_TIMEOUT:
    case FAULT_SLOW:
    case FAULT_DROP:
    case FAULT_DROP_AFTER:
    case FAULT_TRUNCATE:
    case FAULT_MALFORMED:
      return TRUE;
    case N_FAULTS:
    default:
      return FALSE;
    }
}

/* The first rule that fires for @call, or NULL. Every matching rule
 * counts the call. */
static OktaServerRule *
pick_rule (OktaServer *server, OktaCall *call)
{
  return emu_rule_pick (server->rules, call->method, call->path, rule_applies, call, server->fault_rand);
}

/* ---------------------------------------------------------------- switches, public */

gboolean
okta_server_apply_switches (OktaServer *server, JsonObject *object, GError **error)
{
  OktaSwitches next = server->sw;
  g_autoptr(GPtrArray) rules = NULL;
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func ((GDestroyNotify) rule_free);
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  gboolean expire = FALSE;
  gboolean clear = FALSE;
  gboolean reset_rates = FALSE;
  gint64 reseed = -1;

  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    {
      const EmuSwitchSpec *spec = emu_switch_find (switch_specs, G_N_ELEMENTS (switch_specs), name);

      if (spec != NULL)
        {
          if (!emu_switch_set (&next, spec, value, error))
            return FALSE;
        }
      else if (g_str_equal (name, "limit_all") && JSON_NODE_HOLDS_VALUE (value) &&
               json_node_get_value_type (value) == G_TYPE_INT64 && json_node_get_int (value) >= 1 &&
               json_node_get_int (value) <= G_MAXINT32)
        {
          for (guint b = 0; b < OKTA_N_BUCKETS; b++)
            next.limits[b] = json_node_get_int (value);
        }
      else if ((g_str_equal (name, "rules") || g_str_equal (name, "add_rules")) && JSON_NODE_HOLDS_ARRAY (value))
        {
          JsonArray *array = json_node_get_array (value);
          GPtrArray *into = added;

          if (g_str_equal (name, "rules"))
            {
              g_clear_pointer (&rules, g_ptr_array_unref);
              rules = g_ptr_array_new_with_free_func ((GDestroyNotify) rule_free);
              into = rules;
            }
          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              OktaServerRule *rule = rule_parse (json_array_get_element (array, i), error);

              if (rule == NULL)
                return FALSE;
              g_ptr_array_add (into, rule);
            }
        }
      else if (g_str_equal (name, "add_rule"))
        {
          OktaServerRule *rule = rule_parse (value, error);

          if (rule == NULL)
            return FALSE;
          g_ptr_array_add (added, rule);
        }
      else if (g_str_equal (name, "clear_rules") && JSON_NODE_HOLDS_VALUE (value))
        clear = json_node_get_boolean (value);
      else if (g_str_equal (name, "expire_tokens") && JSON_NODE_HOLDS_VALUE (value))
        expire = json_node_get_boolean (value);
      else if (g_str_equal (name, "reset_rates") && JSON_NODE_HOLDS_VALUE (value))
        reset_rates = json_node_get_boolean (value);
      else if (g_str_equal (name, "random_seed") && JSON_NODE_HOLDS_VALUE (value))
        reseed = json_node_get_int (value);
      else
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "unknown switch %s", name);
          return FALSE;
        }
    }

  server->sw = next;
  if (clear)
    g_ptr_array_set_size (server->rules, 0);
  if (rules != NULL)
    {
      g_ptr_array_unref (server->rules);
      server->rules = g_steal_pointer (&rules);
    }
  for (guint i = 0; i < added->len; i++)
    g_ptr_array_add (server->rules, g_ptr_array_steal_index (added, i--));
  if (expire)
    okta_server_expire_access (server);
  if (reset_rates)
    okta_server_reset_rates (server);
  if (reseed >= 0)
    g_rand_set_seed (server->fault_rand, (guint32) reseed);
  return TRUE;
}

JsonNode *
okta_server_dump_switches (OktaServer *server)
{
  JsonObject *object = json_object_new ();
  JsonArray *rules = json_array_new ();

  emu_switches_dump (&server->sw, switch_specs, G_N_ELEMENTS (switch_specs), object);
  for (guint i = 0; i < server->rules->len; i++)
    json_array_add_element (rules, rule_dump (g_ptr_array_index (server->rules, i)));
  json_object_set_array_member (object, "rules", rules);
  return emu_object_node (object);
}

void
okta_server_reset_faults (OktaServer *server)
{
  server->sw = server->initial;
  g_ptr_array_unref (server->rules);
  server->rules = rules_copy (server->initial_rules);
  g_rand_set_seed (server->fault_rand, server->random_seed);
}

/* ---------------------------------------------------------------- access tokens */

static void
access_free (OktaAccess *access)
{
  g_free (access->value);
  g_ptr_array_unref (access->scopes);
  g_free (access->jkt);
  g_free (access);
}

OktaAccess *
okta_server_new_access (OktaServer *server, OktaOrg *org, OktaApp *app, GPtrArray *scopes, const char *jkt,
                        gint64 now)
{
  OktaAccess *access = g_new0 (OktaAccess, 1);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) payload = NULL;
  g_autofree char *payload_text = NULL;
  g_autofree char *jti = random_text (server, 24);
  g_autofree char *signature = random_text (server, 86);
  g_autofree char *header = NULL;
  g_autofree char *body = NULL;
  static const char header_text[] = "{\"kid\":\"ps-okta-emulator\",\"alg\":\"RS256\"}";

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ver");
  json_builder_add_int_value (builder, 1);
  json_builder_set_member_name (builder, "jti");
  json_builder_add_string_value (builder, jti);
  json_builder_set_member_name (builder, "iss");
  json_builder_add_string_value (builder, org->name);
  json_builder_set_member_name (builder, "iat");
  json_builder_add_int_value (builder, now / OKTA_MS_PER_SEC);
  json_builder_set_member_name (builder, "exp");
  json_builder_add_int_value (builder, now / OKTA_MS_PER_SEC + server->sw.token_lifetime);
  json_builder_set_member_name (builder, "cid");
  json_builder_add_string_value (builder, app->client_id);
  json_builder_set_member_name (builder, "sub");
  json_builder_add_string_value (builder, app->client_id);
  json_builder_set_member_name (builder, "scp");
  json_builder_begin_array (builder);
  for (guint i = 0; i < scopes->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (scopes, i));
  json_builder_end_array (builder);
  if (jkt != NULL)
    {
      json_builder_set_member_name (builder, "cnf");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "jkt");
      json_builder_add_string_value (builder, jkt);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  payload = json_builder_get_root (builder);
  payload_text = json_to_string (payload, FALSE);
  header = okta_base64url ((const guint8 *) header_text, strlen (header_text));
  body = okta_base64url ((const guint8 *) payload_text, strlen (payload_text));

  access->value = g_strdup_printf ("%s.%s.%s", header, body, signature);
  access->org = org;
  access->app = app;
  access->scopes = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < scopes->len; i++)
    g_ptr_array_add (access->scopes, g_strdup (g_ptr_array_index (scopes, i)));
  access->expires_at = now + server->sw.token_lifetime * OKTA_MS_PER_SEC;
  access->jkt = g_strdup (jkt);
  g_hash_table_insert (server->access, access->value, access);
  return access;
}

OktaAccess *
okta_server_lookup_access (OktaServer *server, const char *value)
{
  return value != NULL ? g_hash_table_lookup (server->access, value) : NULL;
}

void
okta_server_expire_access (OktaServer *server)
{
  GHashTableIter iter;
  OktaAccess *access;

  g_hash_table_iter_init (&iter, server->access);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &access))
    access->expires_at = 0;
}

gboolean
okta_server_use_jti (OktaServer *server, GHashTable *table, const char *jti, gint64 expires, gint64 now)
{
  GHashTableIter iter;
  gpointer value;

  /* Forget what can no longer be replayed. */
  if (g_hash_table_size (table) > 4096)
    {
      g_hash_table_iter_init (&iter, table);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        if (*(gint64 *) value < now)
          g_hash_table_iter_remove (&iter);
    }
  if (g_hash_table_contains (table, jti))
    return FALSE;
  g_hash_table_insert (table, g_strdup (jti), g_memdup2 (&expires, sizeof expires));
  return TRUE;
}

/* ---------------------------------------------------------------- rate limits */

static guint
bucket_limit (OktaServer *server, OktaBucket bucket)
{
  return MAX (1, (guint) ((guint64) server->sw.limits[bucket] * server->sw.token_share / 100));
}

/* Who the call counts against: the API token, the OAuth app, or nobody. */
static char *
credential_key (OktaCall *call)
{
  const char *authorization = okta_call_request_header (call, "authorization");
  const char *who = "anonymous";

  if (call->token_call)
    who = "token-endpoint";
  else if (authorization != NULL && call->org != NULL && g_ascii_strncasecmp (authorization, "SSWS ", 5) == 0)
    {
      OktaApiToken *token = okta_org_token (call->org, authorization + 5);

      if (token != NULL)
        who = token->id;
    }
  else if (authorization != NULL && (g_ascii_strncasecmp (authorization, "Bearer ", 7) == 0 ||
                                     g_ascii_strncasecmp (authorization, "DPoP ", 5) == 0))
    {
      OktaAccess *access = okta_server_lookup_access (call->server, strchr (authorization, ' ') + 1);

      if (access != NULL)
        who = access->app->client_id;
    }
  return g_strdup_printf ("%s/%s/%s", call->org != NULL ? call->org->name : "-", okta_bucket_name (call->bucket),
                          who);
}

static Window *
window_for (OktaServer *server, OktaCall *call)
{
  g_autofree char *key = credential_key (call);
  Window *window = g_hash_table_lookup (server->windows, key);

  if (window == NULL)
    {
      window = g_new0 (Window, 1);
      g_hash_table_insert (server->windows, g_steal_pointer (&key), window);
    }
  if (call->now >= window->reset_at)
    {
      window->reset_at = call->now + server->sw.rate_window * OKTA_MS_PER_SEC;
      window->used = 0;
      window->reported = FALSE;
    }
  return window;
}

/* Counts @call; FALSE when the bucket is spent (and rate limits are on). */
static gboolean
rate_take (OktaServer *server, OktaCall *call)
{
  Window *window = window_for (server, call);
  guint limit = bucket_limit (server, call->bucket);

  call->rate_limit = limit;
  call->rate_reset = (window->reset_at + OKTA_MS_PER_SEC - 1) / OKTA_MS_PER_SEC;
  if (window->used >= limit && server->sw.rate_limits)
    {
      call->rate_remaining = 0;
      if (!window->reported && call->org != NULL)
        {
          okta_org_log (call->org, "system.org.rate_limit.violation", NULL, NULL, "WARN", call->now);
          window->reported = TRUE;
        }
      return FALSE;
    }
  window->used++;
  call->rate_counted = TRUE;
  call->rate_remaining = window->used >= limit ? 0 : limit - window->used;
  return TRUE;
}

static void
rate_peek (OktaServer *server, OktaCall *call)
{
  Window *window = window_for (server, call);
  guint limit = bucket_limit (server, call->bucket);

  call->rate_limit = limit;
  call->rate_remaining = window->used >= limit ? 0 : limit - window->used;
  call->rate_reset = (window->reset_at + OKTA_MS_PER_SEC - 1) / OKTA_MS_PER_SEC;
}

void
okta_server_reset_rates (OktaServer *server)
{
  g_hash_table_remove_all (server->windows);
}

JsonNode *
okta_server_windows_node (OktaServer *server)
{
  JsonObject *object = json_object_new ();
  JsonObject *windows = json_object_new ();
  g_autoptr(GList) keys = g_hash_table_get_keys (server->windows);
  gint64 now = okta_server_now (server);

  keys = g_list_sort (keys, (GCompareFunc) g_strcmp0);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      Window *window = g_hash_table_lookup (server->windows, l->data);
      JsonObject *entry = json_object_new ();

      json_object_set_int_member (entry, "used", window->reset_at > now ? window->used : 0);
      json_object_set_int_member (entry, "reset", (window->reset_at + OKTA_MS_PER_SEC - 1) / OKTA_MS_PER_SEC);
      json_object_set_object_member (windows, l->data, entry);
    }
  json_object_set_object_member (object, "windows", windows);
  json_object_set_boolean_member (object, "enabled", server->sw.rate_limits);
  for (guint b = 0; b < OKTA_N_BUCKETS; b++)
    {
      g_autofree char *name = g_strdup_printf ("limit_%s", bucket_names[b]);

      json_object_set_int_member (object, name, bucket_limit (server, b));
    }
  return emu_object_node (object);
}

/* ---------------------------------------------------------------- calls */

static void
call_free (OktaCall *call)
{
  g_free (call->path);
  g_free (call->full_path);
  g_strfreev (call->segments);
  g_clear_pointer (&call->query, g_hash_table_unref);
  g_free (call->raw_query);
  g_clear_pointer (&call->headers, g_hash_table_unref);
  g_clear_pointer (&call->body, g_bytes_unref);
  g_free (call->origin);
  g_free (call->base);
  g_free (call->request_id);
  g_free (call->client_id);
  g_clear_pointer (&call->answer, json_node_unref);
  g_clear_pointer (&call->out_headers, g_ptr_array_unref);
  g_free (call->route);
  g_free (call->fault);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OktaCall, call_free)

void
okta_call_header (OktaCall *call, const char *name, const char *value)
{
  g_ptr_array_add (call->out_headers, g_strdup (name));
  g_ptr_array_add (call->out_headers, g_strdup (value));
}

void
okta_call_reply (OktaCall *call, guint status, JsonNode *body)
{
  call->status = status;
  g_clear_pointer (&call->answer, json_node_unref);
  call->answer = body;
}

const char *
okta_error_summary (const char *code)
{
  static const struct { const char *code; const char *summary; } catalogue[] = {
    { "E0000001", "Api validation failed" },
    { "E0000006", "You do not have permission to perform the requested action" },
    { "E0000007", "Not found" },
    { "E0000009", "Internal Server Error" },
    { "E0000011", "Invalid token provided" },
    { "E0000022", "The endpoint does not support the provided HTTP method" },
    { "E0000031", "Invalid search criteria." },
    { "E0000047", "API call exceeded rate limit due to too many requests." },
    { "E0000053", "Invalid SCIM filter." },
  };

  for (guint i = 0; i < G_N_ELEMENTS (catalogue); i++)
    if (g_str_equal (catalogue[i].code, code))
      return catalogue[i].summary;
  return code;
}

void
okta_call_error (OktaCall *call, guint status, const char *code, const char *summary)
{
  JsonObject *body = json_object_new ();
  g_autofree char *error_id = random_text (call->server, 22);
  g_autofree char *id = g_strconcat ("oae", error_id, NULL);

  json_object_set_string_member (body, "errorCode", code);
  json_object_set_string_member (body, "errorSummary", summary != NULL ? summary : okta_error_summary (code));
  json_object_set_string_member (body, "errorLink", code);
  json_object_set_string_member (body, "errorId", id);
  json_object_set_array_member (body, "errorCauses", json_array_new ());
  okta_call_reply (call, status, emu_object_node (body));
}

void
okta_call_okta_error (OktaCall *call, OktaError *error)
{
  okta_call_error (call, error->status, error->code, error->summary);
}

void
okta_call_oauth_error (OktaCall *call, guint status, const char *error, const char *description)
{
  JsonObject *body = json_object_new ();

  json_object_set_string_member (body, "error", error);
  json_object_set_string_member (body, "error_description", description);
  okta_call_reply (call, status, emu_object_node (body));
}

void
okta_call_set_route (OktaCall *call, const char *route)
{
  g_free (call->route);
  call->route = g_strdup_printf ("%s %s", call->method, route);
}

const char *
okta_call_query (OktaCall *call, const char *name)
{
  return g_hash_table_lookup (call->query, name);
}

const char *
okta_call_request_header (OktaCall *call, const char *name)
{
  g_autofree char *folded = g_ascii_strdown (name, -1);

  return g_hash_table_lookup (call->headers, folded);
}

/* ---------------------------------------------------------------- call log */

static char *
masked_form (GBytes *body)
{
  g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_autoptr(GHashTable) form = soup_form_decode (text);
  g_autoptr(GHashTable) masked = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  const char *name;
  const char *value;

  g_hash_table_iter_init (&iter, form);
  while (g_hash_table_iter_next (&iter, (gpointer *) &name, (gpointer *) &value))
    g_hash_table_insert (masked, (gpointer) name,
                         (gpointer) (g_str_equal (name, "client_secret") || g_str_equal (name, "client_assertion") ?
                                     "***" : value));
  return soup_form_encode_hash (masked);
}

static JsonObject *
log_call (OktaServer *server, OktaCall *call)
{
  JsonObject *entry = json_object_new ();
  g_autofree char *started = okta_format_time (call->now);

  json_object_set_int_member (entry, "seq", server->next_seq++);
  json_object_set_string_member (entry, "method", call->method);
  json_object_set_string_member (entry, "path", call->path);
  json_object_set_string_member (entry, "query", call->raw_query != NULL ? call->raw_query : "");
  if (call->org != NULL)
    json_object_set_string_member (entry, "org", call->org->name);
  json_object_set_string_member (entry, "started", started);
  json_object_set_int_member (entry, "started_us", g_get_monotonic_time ());
  json_object_set_string_member (entry, "request_id", call->request_id);
  if (call->token_call && call->body != NULL && g_bytes_get_size (call->body) > 0)
    {
      g_autofree char *masked = masked_form (call->body);

      json_object_set_string_member (entry, "request_body", masked);
    }
  if (server->call_log_max > 0 && server->calls->len >= server->call_log_max)
    g_ptr_array_remove_range (server->calls, 0, MAX (1, server->call_log_max / 10));
  g_ptr_array_add (server->calls, entry);
  return entry;
}

static void
finish_log (OktaServer *server, OktaCall *call, JsonObject *entry, gboolean dropped)
{
  g_autofree char *status_text = dropped ? g_strdup ("dropped") : g_strdup_printf ("%u", call->status);

  if (call->route == NULL)
    call->route = g_strdup_printf ("%s %s", call->method, call->path);
  if (dropped)
    json_object_set_string_member (entry, "status", "dropped");
  else
    json_object_set_int_member (entry, "status", call->status);
  json_object_set_string_member (entry, "route", call->route);
  json_object_set_string_member (entry, "bucket", okta_bucket_name (call->bucket));
  if (call->auth_scheme != NULL)
    json_object_set_string_member (entry, "auth", call->auth_scheme);
  /* The token's name, never its value. */
  if (call->api_token != NULL)
    json_object_set_string_member (entry, "token", call->api_token->name);
  if (call->access != NULL)
    json_object_set_string_member (entry, "client", call->access->app->client_id);
  else if (call->client_id != NULL)
    json_object_set_string_member (entry, "client", call->client_id);
  if (call->fault != NULL)
    {
      json_object_set_string_member (entry, "fault", call->fault);
      emu_count (server->by_fault, call->fault);
    }
  emu_count (server->by_route, call->route);
  emu_count (server->by_status, status_text);
  server->n_calls++;
}

JsonNode *
okta_server_calls_node (OktaServer *server, GHashTable *query)
{
  const char *since_text = query != NULL ? g_hash_table_lookup (query, "since") : NULL;
  const char *limit_text = query != NULL ? g_hash_table_lookup (query, "limit") : NULL;
  gint64 since = since_text != NULL ? g_ascii_strtoll (since_text, NULL, 10) : 0;
  gint64 limit = limit_text != NULL ? g_ascii_strtoll (limit_text, NULL, 10) : G_MAXINT64;
  JsonObject *object = json_object_new ();
  JsonArray *calls = json_array_new ();
  guint first = emu_call_log_find (server->calls, since);

  for (guint i = first; i < server->calls->len && json_array_get_length (calls) < limit; i++)
    json_array_add_object_element (calls, json_object_ref (g_ptr_array_index (server->calls, i)));
  json_object_set_int_member (object, "next_seq", server->next_seq);
  json_object_set_array_member (object, "calls", calls);
  return emu_object_node (object);
}

JsonNode *
okta_server_stats_node (OktaServer *server)
{
  JsonObject *object = json_object_new ();

  json_object_set_int_member (object, "calls", server->n_calls);
  json_object_set_member (object, "routes", emu_counts_node (server->by_route));
  json_object_set_member (object, "statuses", emu_counts_node (server->by_status));
  json_object_set_member (object, "faults", emu_counts_node (server->by_fault));
  json_object_set_int_member (object, "access_tokens", g_hash_table_size (server->access));
  return emu_object_node (object);
}

void
okta_server_clear_calls (OktaServer *server, gboolean restart_seq)
{
  g_ptr_array_set_size (server->calls, 0);
  if (restart_seq)
    server->next_seq = 1;
}

void
okta_server_clear_stats (OktaServer *server)
{
  g_hash_table_remove_all (server->by_route);
  g_hash_table_remove_all (server->by_status);
  g_hash_table_remove_all (server->by_fault);
  server->n_calls = 0;
}

/* ---------------------------------------------------------------- execution */

static void
rate_headers (OktaCall *call)
{
  g_autofree char *limit = g_strdup_printf ("%u", call->rate_limit);
  g_autofree char *remaining = g_strdup_printf ("%u", call->rate_remaining);
  g_autofree char *reset = g_strdup_printf ("%" G_GINT64_FORMAT, call->rate_reset);

  okta_call_header (call, "X-Rate-Limit-Limit", limit);
  okta_call_header (call, "X-Rate-Limit-Remaining", remaining);
  okta_call_header (call, "X-Rate-Limit-Reset", reset);
}

static void
reply_throttled (OktaCall *call)
{
  okta_call_error (call, 429, "E0000047", NULL);
}

static void
reply_server_error (OktaCall *call, guint status)
{
  const char *summary = status == 500 ? "Internal Server Error" :
                        status == 502 ? "Bad Gateway" :
                        status == 503 ? "Service Unavailable" :
                        status == 504 ? "Gateway Timeout" : "Internal Server Error";

  okta_call_error (call, status, "E0000009", summary);
}

void
okta_server_apply_retention (OktaServer *server)
{
  gint64 cutoff = okta_server_now (server) - server->sw.log_retention_days * OKTA_MS_PER_DAY;

  for (guint i = 0; i < server->state->orgs->len; i++)
    okta_org_purge_log (g_ptr_array_index (server->state->orgs, i), cutoff);
}

/* Runs one call with its faults. Returns the rule that fired, for the
 * transport faults. */
static OktaServerRule *
execute (OktaServer *server, OktaCall *call, gboolean *dropped)
{
  JsonObject *entry;
  OktaServerRule *rule;
  g_autoptr(GDateTime) when = NULL;
  g_autofree char *date = NULL;

  okta_api_classify (call);
  entry = log_call (server, call);
  rule = pick_rule (server, call);
  if (rule != NULL)
    call->fault = g_strdup (fault_names[rule->base.kind]);
  okta_call_header (call, "X-Okta-Request-Id", call->request_id);

  switch (rule != NULL ? rule->base.kind : N_FAULTS)
    {
    case FAULT_THROTTLE:
      rate_peek (server, call);
      reply_throttled (call);
      call->rate_remaining = 0;
      call->rate_reset = call->now / OKTA_MS_PER_SEC + rule->reset;
      break;
    case FAULT_CONCURRENCY:
      reply_throttled (call);
      call->rate_limit = 0;
      call->rate_remaining = 0;
      call->rate_reset = call->now / OKTA_MS_PER_SEC + rule->reset;
      if (call->org != NULL)
        okta_org_log (call->org, "core.concurrency.org.limit.violation", NULL, NULL, "WARN", call->now);
      break;
    case FAULT_ERROR:
      rate_peek (server, call);
      reply_server_error (call, rule->status);
      break;
    case FAULT_TIMEOUT:
      rate_peek (server, call);
      okta_call_error (call, 500, "E0000009", "Internal Server Error");
      break;
    case FAULT_INVALID_TOKEN:
      rate_peek (server, call);
      okta_auth_invalid_token (call, "The access token is invalid.");
      break;
    case FAULT_FORBIDDEN:
      rate_peek (server, call);
      okta_call_error (call, 403, "E0000006", NULL);
      break;
    case FAULT_INSUFFICIENT_SCOPE:
      rate_peek (server, call);
      okta_auth_insufficient_scope (call, rule->scope != NULL ? rule->scope :
                                    call->scope != NULL ? call->scope : "okta.users.read");
      break;
    case FAULT_DROP:
      *dropped = TRUE;
      finish_log (server, call, entry, TRUE);
      return rule;
    case FAULT_EMPTY_PAGE:
    case FAULT_SLOW:
    case FAULT_DROP_AFTER:
    case FAULT_TRUNCATE:
    case FAULT_MALFORMED:
    case N_FAULTS:
    default:
      if (rule != NULL && rule->base.kind == FAULT_EMPTY_PAGE)
        call->empty_page = TRUE;
      if (!rate_take (server, call))
        {
          reply_throttled (call);
          g_free (call->fault);
          call->fault = g_strdup ("rate_limit");
        }
      else if (call->token_call)
        okta_auth_token (call);
      else
        okta_api_handle (call);
      break;
    }

  rate_headers (call);
  when = g_date_time_new_from_unix_utc (call->now / OKTA_MS_PER_SEC);
  date = soup_date_time_to_string (when, SOUP_DATE_HTTP);
  okta_call_header (call, "Date", date);
  finish_log (server, call, entry, FALSE);
  return rule;
}

/* ---------------------------------------------------------------- transport */

static void
write_answer (OktaCall *call, SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_server_message_set_status (msg, call->status, NULL);
  for (guint i = 0; i + 1 < call->out_headers->len; i += 2)
    {
      const char *name = g_ptr_array_index (call->out_headers, i);

      if (g_ascii_strcasecmp (name, "Date") == 0)
        soup_message_headers_replace (headers, name, g_ptr_array_index (call->out_headers, i + 1));
      else
        soup_message_headers_append (headers, name, g_ptr_array_index (call->out_headers, i + 1));
    }
  if (call->answer != NULL)
    {
      char *text = json_to_string (call->answer, FALSE);

      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, strlen (text));
    }
  else
    soup_server_message_set_response (msg, NULL, SOUP_MEMORY_STATIC, NULL, 0);
}

static char *
message_origin (OktaServer *server, SoupServerMessage *msg)
{
  GUri *uri = soup_server_message_get_uri (msg);
  const char *host = g_uri_get_host (uri);

  return g_strdup_printf ("%s://%s:%d", g_uri_get_scheme (uri),
                          host != NULL && *host != '\0' ? host : "127.0.0.1",
                          g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : (int) okta_server_port (server));
}

/* Picks the org: a first path segment naming one ("/acme/api/v1/…"), else
 * the first label of the host ("acme.localhost"), else the first org. */
static void
route_org (OktaServer *server, OktaCall *call, SoupServerMessage *msg, const char *path)
{
  const char *rest = strchr (path + 1, '/');
  g_autofree char *first = rest != NULL ? g_strndup (path + 1, rest - path - 1) : g_strdup (path + 1);
  const char *host = g_uri_get_host (soup_server_message_get_uri (msg));
  OktaOrg *org = NULL;

  if (*first != '\0' && !g_str_equal (first, "api") && !g_str_equal (first, "oauth2"))
    org = okta_state_org (server->state, first);
  if (org != NULL)
    {
      call->path = g_strdup (rest != NULL ? rest : "/");
      call->base = g_strdup_printf ("%s/%s", call->origin, first);
    }
  else
    {
      if (host != NULL && strchr (host, '.') != NULL)
        {
          g_autofree char *label = g_strndup (host, strchr (host, '.') - host);

          org = okta_state_org (server->state, label);
        }
      if (org == NULL)
        org = okta_state_default_org (server->state);
      call->path = g_strdup (path);
      call->base = g_strdup (call->origin);
    }
  call->org = org;
}

static OktaCall *
call_new (OktaServer *server, SoupServerMessage *msg, const char *path, GHashTable *query)
{
  OktaCall *call = g_new0 (OktaCall, 1);
  const char *raw_query = g_uri_get_query (soup_server_message_get_uri (msg));
  SoupMessageHeadersIter iter;
  const char *name;
  const char *value;

  call->server = server;
  call->method = soup_server_message_get_method (msg);
  call->full_path = g_strdup (path);
  call->origin = message_origin (server, msg);
  call->query = query != NULL ? g_hash_table_ref (query) :
                g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  call->raw_query = g_strdup (raw_query);
  call->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  soup_message_headers_iter_init (&iter, soup_server_message_get_request_headers (msg));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    g_hash_table_replace (call->headers, g_ascii_strdown (name, -1), g_strdup (value));
  call->body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  call->out_headers = g_ptr_array_new_with_free_func (g_free);
  call->request_id = random_text (server, 27);
  call->now = okta_server_now (server);
  call->bucket = OKTA_BUCKET_OTHER;
  route_org (server, call, msg, path);
  call->segments = g_strsplit (call->path + 1, "/", -1);
  call->n_segments = g_strv_length (call->segments);
  return call;
}

static void
server_callback (SoupServer        *soup,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  OktaServer *server = user_data;
  g_autoptr(OktaCall) call = NULL;
  OktaServerRule *rule;
  gboolean dropped = FALSE;
  guint delay;

  if (g_str_has_prefix (path, "/_admin/"))
    {
      okta_admin_handle (server, msg, path, query);
      return;
    }

  call = call_new (server, msg, path, query);
  rule = execute (server, call, &dropped);
  if (dropped)
    {
      emu_drop_connection (msg);
      return;
    }
  write_answer (call, msg);
  if (rule != NULL && rule->base.kind == FAULT_DROP_AFTER)
    {
      emu_drop_connection (msg);
      return;
    }
  if (rule != NULL && (rule->base.kind == FAULT_TRUNCATE || rule->base.kind == FAULT_MALFORMED))
    emu_cut_body (msg, rule->base.kind == FAULT_MALFORMED);

  delay = server->sw.latency_ms + (rule != NULL && rule->base.kind == FAULT_SLOW ? rule->ms : 0);
  if (delay > 0)
    {
      emu_delay_answer (msg, delay);
    }
}

/* ---------------------------------------------------------------- public API */

OktaServer *
okta_server_new (OktaState   *state,
                 JsonNode    *seed,
                 guint32      random_seed,
                 guint        generate,
                 const char  *generate_group)
{
  OktaServer *server = g_new0 (OktaServer, 1);

  server->state = state;
  server->seed = json_node_ref (seed);
  server->random_seed = random_seed;
  server->generate = generate;
  server->generate_group = g_strdup (generate_group);
  server->fault_rand = g_rand_new_with_seed (random_seed);
  server->id_rand = g_rand_new_with_seed (random_seed ^ 0x5eed);
  switches_init (&server->sw);
  switches_init (&server->initial);
  server->rules = g_ptr_array_new_with_free_func ((GDestroyNotify) rule_free);
  server->initial_rules = g_ptr_array_new_with_free_func ((GDestroyNotify) rule_free);
  server->access = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) access_free);
  server->assertion_jtis = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  server->proof_jtis = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  server->dpop_nonce = random_text (server, 32);
  server->windows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  server->calls = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  server->next_seq = 1;
  server->call_log_max = 200000;
  server->by_route = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  server->by_status = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  server->by_fault = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return server;
}

void
okta_server_free (OktaServer *server)
{
  if (server == NULL)
    return;
  if (server->soup != NULL)
    soup_server_disconnect (server->soup);
  g_clear_object (&server->soup);
  g_hash_table_unref (server->access);
  g_hash_table_unref (server->assertion_jtis);
  g_hash_table_unref (server->proof_jtis);
  g_free (server->dpop_nonce);
  okta_state_free (server->state);
  json_node_unref (server->seed);
  g_free (server->generate_group);
  g_rand_free (server->fault_rand);
  g_rand_free (server->id_rand);
  g_ptr_array_unref (server->rules);
  g_ptr_array_unref (server->initial_rules);
  g_hash_table_unref (server->windows);
  g_ptr_array_unref (server->calls);
  g_hash_table_unref (server->by_route);
  g_hash_table_unref (server->by_status);
  g_hash_table_unref (server->by_fault);
  g_free (server);
}

/* Makes the current switches and rules the ones /_admin/reset goes back to. */
void
okta_server_commit_switches (OktaServer *server)
{
  server->initial = server->sw;
  g_ptr_array_unref (server->initial_rules);
  server->initial_rules = rules_copy (server->rules);
}

gboolean
okta_server_reset_state (OktaServer *server, GError **error)
{
  OktaState *fresh = okta_state_new (server->seed, server->random_seed, server->generate, server->generate_group,
                                     okta_server_now (server), error);

  if (fresh == NULL)
    return FALSE;
  /* Access tokens point into the old orgs. */
  g_hash_table_remove_all (server->access);
  g_hash_table_remove_all (server->assertion_jtis);
  g_hash_table_remove_all (server->proof_jtis);
  okta_state_free (server->state);
  server->state = fresh;
  return TRUE;
}

gint64
okta_server_now (OktaServer *server)
{
  return g_get_real_time () / 1000 + server->clock_offset;
}

gboolean
okta_server_listen (OktaServer *server, guint port, GTlsCertificate *certificate, GError **error)
{
  server->soup = soup_server_new ("server-header", "nginx (ps-okta-emulator)", NULL);
  soup_server_add_handler (server->soup, NULL, server_callback, server, NULL);
  return emu_soup_listen (server->soup, port, certificate, error);
}

guint
okta_server_port (OktaServer *server)
{
  return emu_soup_port (server->soup);
}
