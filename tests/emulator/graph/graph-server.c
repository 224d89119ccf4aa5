/* graph-server.c — HTTP front of the Graph emulator: dispatch, fault
 * rules, emulated clock, tokens, paging sessions, call log, statistics and
 * the /_admin/ API
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include "graph-private.h"

#define MAX_SESSIONS      256
#define MAX_SESSION_CELLS 4000000   /* objects held by all paging sessions */

typedef enum {
  FAULT_THROTTLE,
  FAULT_ERROR,
  FAULT_TOKEN_EXPIRED,
  FAULT_FORBIDDEN,
  FAULT_DELTA_EXPIRED,
  FAULT_EMPTY_PAGE,
  FAULT_AADSTS,
  FAULT_SLOW,
  FAULT_DROP,
  FAULT_DROP_AFTER,
  FAULT_TRUNCATE,
  FAULT_MALFORMED,
  N_FAULTS,
} FaultKind;

static const char *const fault_names[N_FAULTS] = {
  "throttle", "error", "token_expired", "forbidden", "delta_expired", "empty_page", "aadsts", "slow",
  "drop", "drop_after", "truncate", "malformed",
};

typedef struct {
  EmuRule    base;            /* kind is a FaultKind */
  guint      status;          /* error */
  double     retry_after;     /* seconds; < 0 = no header */
  char      *retry_format;    /* "seconds" or "date" */
  guint      ms;              /* slow */
  guint      aadsts;          /* token endpoint error code */
  char      *delta_mode;      /* delta_expired: "400", "410-location", "410-resync" or NULL */
} FaultRule;

typedef struct {
  char         *id;
  GraphSession *session;
  guint         size;
  GList        *link;         /* in session_order */
} SessionSlot;

typedef struct {
  gint64 at;                  /* monotonic µs */
  guint  cost;
} RuUse;

struct _GraphServer {
  SoupServer    *soup;
  GraphState    *state;
  JsonNode      *seed;
  char          *seed_dir;
  guint32        random_seed;
  guint          generate;
  char          *generate_group;
  GRand         *fault_rand;
  GRand         *id_rand;
  GraphSwitches  sw;
  GraphSwitches  initial;
  GPtrArray     *rules;         /* of FaultRule* */
  GPtrArray     *initial_rules;
  gint64         clock_offset;  /* µs added to real time */
  guint          delta_epoch;

  GHashTable    *tokens;        /* token → GraphToken* */
  GHashTable    *sessions;      /* id → SessionSlot* */
  GQueue         session_order; /* of SessionSlot*, least recently used first */
  guint64        session_cells;
  GHashTable    *ru_windows;    /* "tenant/app" → GQueue of RuUse* */

  GPtrArray     *calls;         /* of JsonObject*, oldest first */
  guint64        next_seq;
  guint          call_log_max;
  GHashTable    *by_route;
  GHashTable    *by_status;
  GHashTable    *by_fault;
  guint64        n_calls;
};

/* ---------------------------------------------------------------- time and text */

char *
graph_format_time (gint64 usec)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (usec / GRAPH_USEC_PER_SEC);

  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
}

gboolean
graph_parse_time (const char *text, gint64 *usec)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) dt = text != NULL ? g_date_time_new_from_iso8601 (text, utc) : NULL;

  if (dt == NULL)
    return FALSE;
  *usec = g_date_time_to_unix (dt) * GRAPH_USEC_PER_SEC + g_date_time_get_microsecond (dt);
  return TRUE;
}

char *
graph_base64url (const guint8 *data, gsize length)
{
  g_autofree char *encoded = g_base64_encode (data, length);
  char *end;

  g_strdelimit (encoded, "+", '-');
  g_strdelimit (encoded, "/", '_');
  end = strchr (encoded, '=');
  if (end != NULL)
    *end = '\0';
  return g_steal_pointer (&encoded);
}

GBytes *
graph_base64url_decode (const char *text)
{
  g_autoptr(GString) padded = g_string_new (text);
  guchar *data;
  gsize length = 0;

  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return NULL;
  g_strdelimit (padded->str, "-", '+');
  g_strdelimit (padded->str, "_", '/');
  while (padded->len % 4 != 0)
    g_string_append_c (padded, '=');
  data = g_base64_decode (padded->str, &length);
  return g_bytes_new_take (data, length);
}

/* ---------------------------------------------------------------- switches */

static const char *const delta_expiry_words[] = { "400", "410-location", "410-resync", NULL };
static const char *const reason_words[] = { "changed", "deleted", NULL };

#define SW(name, type, member, words, min, max) \
  { name, type, G_STRUCT_OFFSET (GraphSwitches, member), words, min, max }

static const EmuSwitchSpec switch_specs[] = {
  SW ("page_size", EMU_SWITCH_UINT, page_size, NULL, 1, 999),
  SW ("default_top", EMU_SWITCH_UINT, default_top, NULL, 1, 999),
  SW ("delta_page_size", EMU_SWITCH_UINT, delta_page_size, NULL, 1, 100000),
  SW ("expand_page_cap", EMU_SWITCH_UINT, expand_page_cap, NULL, 1, 999),
  SW ("token_lifetime", EMU_SWITCH_INT64, token_lifetime, NULL, 1, G_MAXINT32),
  SW ("delta_lifetime", EMU_SWITCH_INT64, delta_lifetime, NULL, 1, G_MAXINT32),
  SW ("delta_expiry", EMU_SWITCH_WORD, delta_expiry, delta_expiry_words, 0, 0),
  SW ("delta_replay", EMU_SWITCH_BOOL, delta_replay, NULL, 0, 0),
  SW ("soft_delete_reason", EMU_SWITCH_WORD, soft_delete_reason, reason_words, 0, 0),
  SW ("cast_strict", EMU_SWITCH_BOOL, cast_strict, NULL, 0, 0),
  SW ("ru_budget", EMU_SWITCH_UINT, ru_budget, NULL, 0, G_MAXINT32),
  SW ("latency_ms", EMU_SWITCH_UINT, latency_ms, NULL, 0, 600000),
  SW ("purge_after", EMU_SWITCH_INT64, purge_after, NULL, 1, G_MAXINT32),
  SW ("graph_resource", EMU_SWITCH_WORD, graph_resource, NULL, 0, 0),
  SW ("login_authority", EMU_SWITCH_WORD, login_authority, NULL, 0, 0),
};

static void
switches_init (GraphSwitches *sw)
{
  memset (sw, 0, sizeof *sw);
  sw->page_size = 999;
  sw->default_top = 100;
  sw->delta_page_size = 100;
  sw->expand_page_cap = 100;
  sw->token_lifetime = 3599;
  sw->delta_lifetime = 7 * 86400;
  sw->delta_expiry = g_strdup ("400");
  sw->soft_delete_reason = g_strdup ("changed");
  sw->purge_after = 30 * 86400;
  sw->graph_resource = g_strdup ("https://graph.microsoft.com");
  sw->login_authority = g_strdup ("https://login.microsoftonline.com");
}

static void
switches_clear (GraphSwitches *sw)
{
  emu_switches_clear (sw, switch_specs, G_N_ELEMENTS (switch_specs));
}

static void
switches_copy (GraphSwitches *to, const GraphSwitches *from)
{
  emu_switches_copy (to, from, sizeof *to, switch_specs, G_N_ELEMENTS (switch_specs));
}

/* ---------------------------------------------------------------- fault rules */

static void
rule_free (FaultRule *rule)
{
  emu_rule_clear (&rule->base);
  g_free (rule->retry_format);
  g_free (rule->delta_mode);
  g_free (rule);
}

static FaultRule *
rule_copy (const FaultRule *from)
{
  FaultRule *rule = g_memdup2 (from, sizeof *from);

  emu_rule_copy (&rule->base, &from->base);
  rule->retry_format = g_strdup (from->retry_format);
  rule->delta_mode = g_strdup (from->delta_mode);
  return rule;
}

static GPtrArray *
rules_copy (GPtrArray *rules)
{
  return emu_rules_copy (rules, (GBoxedCopyFunc) rule_copy, (GDestroyNotify) rule_free);
}

static FaultRule *
rule_parse (JsonNode *node, GError **error)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  g_autoptr(JsonNode) none = json_node_new (JSON_NODE_NULL);
  FaultRule *rule;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  int found = emu_rule_kind (object, fault_names, N_FAULTS, error);

  if (found < 0)
    return NULL;
  rule = g_new0 (FaultRule, 1);
  emu_rule_init (&rule->base, found);
  rule->status = 503;
  rule->retry_after = found == FAULT_THROTTLE ? 1 : -1;
  rule->retry_format = g_strdup ("seconds");
  rule->ms = 2000;
  rule->aadsts = 7000215;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &value))
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
      else if (g_str_equal (name, "status") && integer)
        {
          rule->status = json_node_get_int (value);
          ok = rule->status >= 400 && rule->status <= 599;
        }
      else if (g_str_equal (name, "retry_after") && (type == G_TYPE_DOUBLE || type == G_TYPE_INT64))
        rule->retry_after = json_node_get_double (value);
      else if (g_str_equal (name, "retry_after") && JSON_NODE_HOLDS_NULL (value))
        rule->retry_after = -1;
      else if (g_str_equal (name, "retry_after_format") && type == G_TYPE_STRING &&
               (g_str_equal (json_node_get_string (value), "seconds") ||
                g_str_equal (json_node_get_string (value), "date")))
        g_free (rule->retry_format), rule->retry_format = g_strdup (json_node_get_string (value));
      else if (g_str_equal (name, "ms") && integer)
        rule->ms = json_node_get_int (value);
      else if (g_str_equal (name, "aadsts") && integer)
        rule->aadsts = json_node_get_int (value);
      else if (g_str_equal (name, "mode") && type == G_TYPE_STRING &&
               g_strv_contains (delta_expiry_words, json_node_get_string (value)))
        g_free (rule->delta_mode), rule->delta_mode = g_strdup (json_node_get_string (value));
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
rule_dump (FaultRule *rule)
{
  JsonObject *object = json_object_new ();

  emu_rule_dump (&rule->base, fault_names[rule->base.kind], object);
  switch ((FaultKind) rule->base.kind)
    {
    case FAULT_ERROR:
      json_object_set_int_member (object, "status", rule->status);
      G_GNUC_FALLTHROUGH;
    case FAULT_THROTTLE:
      if (rule->retry_after >= 0)
        json_object_set_double_member (object, "retry_after", rule->retry_after);
      else
        json_object_set_null_member (object, "retry_after");
      json_object_set_string_member (object, "retry_after_format", rule->retry_format);
      break;
    case FAULT_SLOW:
      json_object_set_int_member (object, "ms", rule->ms);
      break;
    case FAULT_AADSTS:
      json_object_set_int_member (object, "aadsts", rule->aadsts);
      break;
    case FAULT_DELTA_EXPIRED:
      if (rule->delta_mode != NULL)
        json_object_set_string_member (object, "mode", rule->delta_mode);
      break;
    case FAULT_TOKEN_EXPIRED:
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

typedef struct {
  GraphCall *call;
  gboolean   part;         /* a part of a $batch */
} RuleCall;

/* EmuRuleApplies: whether @rule's kind of fault can happen to the call. */
static gboolean
rule_applies (gpointer data, gpointer user_data)
{
  FaultRule *rule = data;
  RuleCall *rc = user_data;
  GraphCall *call = rc->call;
  gboolean part = rc->part;
  gboolean graph = g_str_has_prefix (call->path, "/v1.0/");
  gboolean delta = graph && (g_str_has_suffix (call->path, "/delta") || g_str_has_suffix (call->path, "/delta()"));

  switch ((FaultKind) rule->base.kind)
    {
    case FAULT_AADSTS:
      return call->token_call;
    case FAULT_TOKEN_EXPIRED:
    case FAULT_FORBIDDEN:
      return graph;
    case FAULT_DELTA_EXPIRED:
      {
        /* Only a call that carries a delta or page token can have an expired one. */
        const char *token = g_hash_table_lookup (call->query, "$deltatoken");

        return delta && ((token != NULL && *token != '\0' && !g_str_equal (token, "latest")) ||
                         g_hash_table_contains (call->query, "$skiptoken"));
      }
    case FAULT_EMPTY_PAGE:
      return graph && g_str_equal (call->method, "GET");
    case FAULT_SLOW:
    case FAULT_DROP:
    case FAULT_DROP_AFTER:
    case FAULT_TRUNCATE:
    case FAULT_MALFORMED:
      return !part;
    case FAULT_THROTTLE:
    case FAULT_ERROR:
      return TRUE;
    case N_FAULTS:
    default:
      return FALSE;
    }
}

/* The first rule that fires for @call, or NULL. Every matching rule
 * counts the call. */
static FaultRule *
pick_rule (GraphServer *server, GraphCall *call, gboolean part)
{
  RuleCall rc = { call, part };

  return emu_rule_pick (server->rules, call->method, call->path, rule_applies, &rc, server->fault_rand);
}

/* ---------------------------------------------------------------- switches, public */

gboolean
graph_server_apply_switches (GraphServer *server, JsonObject *object, GError **error)
{
  GraphSwitches next = { 0 };
  g_autoptr(GPtrArray) rules = NULL;
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func ((GDestroyNotify) rule_free);
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  gboolean expire = FALSE;
  gboolean invalidate = FALSE;
  gboolean clear = FALSE;
  gint64 reseed = -1;

  switches_copy (&next, &server->sw);
  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    {
      const EmuSwitchSpec *spec = emu_switch_find (switch_specs, G_N_ELEMENTS (switch_specs), name);

      if (spec != NULL)
        {
          if (!emu_switch_set (&next, spec, value, error))
            {
              switches_clear (&next);
              return FALSE;
            }
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
              FaultRule *rule = rule_parse (json_array_get_element (array, i), error);

              if (rule == NULL)
                {
                  switches_clear (&next);
                  return FALSE;
                }
              g_ptr_array_add (into, rule);
            }
        }
      else if (g_str_equal (name, "add_rule"))
        {
          FaultRule *rule = rule_parse (value, error);

          if (rule == NULL)
            {
              switches_clear (&next);
              return FALSE;
            }
          g_ptr_array_add (added, rule);
        }
      else if (g_str_equal (name, "clear_rules") && JSON_NODE_HOLDS_VALUE (value))
        clear = json_node_get_boolean (value);
      else if (g_str_equal (name, "expire_tokens") && JSON_NODE_HOLDS_VALUE (value))
        expire = json_node_get_boolean (value);
      else if (g_str_equal (name, "invalidate_delta") && JSON_NODE_HOLDS_VALUE (value))
        invalidate = json_node_get_boolean (value);
      else if (g_str_equal (name, "random_seed") && JSON_NODE_HOLDS_VALUE (value))
        reseed = json_node_get_int (value);
      else
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "unknown switch %s", name);
          switches_clear (&next);
          return FALSE;
        }
    }

  switches_clear (&server->sw);
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
    {
      GHashTableIter it;
      GraphToken *token;

      g_hash_table_iter_init (&it, server->tokens);
      while (g_hash_table_iter_next (&it, NULL, (gpointer *) &token))
        token->expires_at = 0;
    }
  if (invalidate)
    server->delta_epoch++;
  if (reseed >= 0)
    g_rand_set_seed (server->fault_rand, (guint32) reseed);
  return TRUE;
}

static JsonNode *
dump_switches (GraphServer *server)
{
  JsonObject *object = json_object_new ();
  JsonArray *rules = json_array_new ();

  emu_switches_dump (&server->sw, switch_specs, G_N_ELEMENTS (switch_specs), object);
  for (guint i = 0; i < server->rules->len; i++)
    json_array_add_element (rules, rule_dump (g_ptr_array_index (server->rules, i)));
  json_object_set_array_member (object, "rules", rules);
  json_object_set_int_member (object, "delta_epoch", server->delta_epoch);
  return emu_object_node (object);
}

/* ---------------------------------------------------------------- tokens */

static void
token_free (GraphToken *token)
{
  g_free (token->token);
  g_free (token);
}

GraphToken *
graph_server_new_token (GraphServer *server, GraphTenant *tenant, GraphApp *app, gint64 now)
{
  GraphToken *token = g_new0 (GraphToken, 1);
  gint64 exp = now / GRAPH_USEC_PER_SEC + server->sw.token_lifetime;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) payload = NULL;
  g_autofree char *payload_text = NULL;
  g_autofree char *header = NULL;
  g_autofree char *body = NULL;
  g_autofree char *iss = g_strdup_printf ("https://sts.windows.net/%s/", tenant->id);
  guint8 signature[32];
  g_autofree char *signature_text = NULL;
  static const char header_text[] = "{\"typ\":\"JWT\",\"alg\":\"RS256\",\"kid\":\"ps-graph-emulator\"}";

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "aud");
  json_builder_add_string_value (builder, server->sw.graph_resource);
  json_builder_set_member_name (builder, "iss");
  json_builder_add_string_value (builder, iss);
  json_builder_set_member_name (builder, "iat");
  json_builder_add_int_value (builder, now / GRAPH_USEC_PER_SEC);
  json_builder_set_member_name (builder, "nbf");
  json_builder_add_int_value (builder, now / GRAPH_USEC_PER_SEC);
  json_builder_set_member_name (builder, "exp");
  json_builder_add_int_value (builder, exp);
  json_builder_set_member_name (builder, "appid");
  json_builder_add_string_value (builder, app->client_id);
  json_builder_set_member_name (builder, "idtyp");
  json_builder_add_string_value (builder, "app");
  json_builder_set_member_name (builder, "tid");
  json_builder_add_string_value (builder, tenant->id);
  if (app->permissions->len > 0)
    {
      /* App-only tokens carry no roles claim when nothing is granted. */
      json_builder_set_member_name (builder, "roles");
      json_builder_begin_array (builder);
      for (guint i = 0; i < app->permissions->len; i++)
        json_builder_add_string_value (builder, g_ptr_array_index (app->permissions, i));
      json_builder_end_array (builder);
    }
  json_builder_set_member_name (builder, "uti");
  json_builder_add_int_value (builder, g_rand_int (server->id_rand));
  json_builder_end_object (builder);
  payload = json_builder_get_root (builder);
  payload_text = json_to_string (payload, FALSE);

  for (guint i = 0; i < sizeof signature; i++)
    signature[i] = g_rand_int_range (server->id_rand, 0, 256);
  header = graph_base64url ((const guint8 *) header_text, strlen (header_text));
  body = graph_base64url ((const guint8 *) payload_text, strlen (payload_text));
  signature_text = graph_base64url (signature, sizeof signature);

  token->token = g_strdup_printf ("%s.%s.%s", header, body, signature_text);
  token->tenant = tenant;
  token->app = app;
  token->expires_at = now + server->sw.token_lifetime * GRAPH_USEC_PER_SEC;
  g_hash_table_insert (server->tokens, token->token, token);
  return token;
}

GraphToken *
graph_server_lookup_token (GraphServer *server, const char *token)
{
  return token != NULL ? g_hash_table_lookup (server->tokens, token) : NULL;
}

/* ---------------------------------------------------------------- sessions */

static void
slot_free (SessionSlot *slot)
{
  g_free (slot->id);
  graph_session_free (slot->session);
  g_free (slot);
}

char *
graph_server_new_session_id (GraphServer *server)
{
  guint8 bytes[12];

  for (guint i = 0; i < sizeof bytes; i++)
    bytes[i] = g_rand_int_range (server->id_rand, 0, 256);
  return graph_base64url (bytes, sizeof bytes);
}

GraphSession *
graph_server_session_get (GraphServer *server, const char *id)
{
  SessionSlot *slot = id != NULL ? g_hash_table_lookup (server->sessions, id) : NULL;

  if (slot == NULL)
    return NULL;
  g_queue_unlink (&server->session_order, slot->link);
  g_queue_push_tail_link (&server->session_order, slot->link);
  return slot->session;
}

static void
session_evict_oldest (GraphServer *server)
{
  SessionSlot *slot = g_queue_pop_head (&server->session_order);

  server->session_cells -= slot->size;
  g_hash_table_remove (server->sessions, slot->id);
}

void
graph_server_session_add (GraphServer *server, GraphSession *session, guint size)
{
  SessionSlot *slot = g_new0 (SessionSlot, 1);

  slot->id = g_strdup (graph_session_id (session));
  slot->session = session;
  slot->size = size;
  while (!g_queue_is_empty (&server->session_order) &&
         (g_queue_get_length (&server->session_order) >= MAX_SESSIONS ||
          server->session_cells + size > MAX_SESSION_CELLS))
    session_evict_oldest (server);
  g_queue_push_tail (&server->session_order, slot);
  slot->link = server->session_order.tail;
  server->session_cells += size;
  g_hash_table_insert (server->sessions, slot->id, slot);
}

static void
sessions_clear (GraphServer *server)
{
  g_queue_clear (&server->session_order);
  g_hash_table_remove_all (server->sessions);
  server->session_cells = 0;
}

/* ---------------------------------------------------------------- resource units */

/* Charges @cost to the call's app and tenant. Returns 0, or the seconds
 * to wait when the 10-second budget is spent; *@percent is the budget
 * used, for x-ms-throttle-limit-percentage. */
static gint64
ru_charge (GraphServer *server, GraphCall *call, guint cost, double *percent)
{
  g_autofree char *key = NULL;
  GQueue *window;
  gint64 now = g_get_monotonic_time ();
  gint64 span = 10 * GRAPH_USEC_PER_SEC;
  guint used = 0;
  RuUse *use;

  *percent = 0;
  if (server->sw.ru_budget == 0 || call->token == NULL)
    return 0;
  key = g_strdup_printf ("%s/%s", call->token->tenant->id, call->token->app->client_id);
  window = g_hash_table_lookup (server->ru_windows, key);
  if (window == NULL)
    {
      window = g_queue_new ();
      g_hash_table_insert (server->ru_windows, g_steal_pointer (&key), window);
    }
  while (!g_queue_is_empty (window) && ((RuUse *) g_queue_peek_head (window))->at <= now - span)
    g_free (g_queue_pop_head (window));
  for (GList *l = window->head; l != NULL; l = l->next)
    used += ((RuUse *) l->data)->cost;
  if (used + cost > server->sw.ru_budget)
    {
      gint64 free_at = now;
      guint freed = 0;

      for (GList *l = window->head; l != NULL && used - freed + cost > server->sw.ru_budget; l = l->next)
        {
          freed += ((RuUse *) l->data)->cost;
          free_at = ((RuUse *) l->data)->at + span;
        }
      *percent = (double) used / server->sw.ru_budget;
      return MAX (1, (free_at - now + GRAPH_USEC_PER_SEC - 1) / GRAPH_USEC_PER_SEC);
    }
  use = g_new0 (RuUse, 1);
  use->at = now;
  use->cost = cost;
  g_queue_push_tail (window, use);
  *percent = (double) (used + cost) / server->sw.ru_budget;
  return 0;
}

static void
ru_window_free (GQueue *window)
{
  g_queue_free_full (window, g_free);
}

/* ---------------------------------------------------------------- calls */

static void
call_free (GraphCall *call)
{
  g_free (call->path);
  g_strfreev (call->segments);
  g_clear_pointer (&call->query, g_hash_table_unref);
  g_clear_pointer (&call->headers, g_hash_table_unref);
  g_clear_pointer (&call->body, g_bytes_unref);
  g_free (call->base);
  g_free (call->request_id);
  g_clear_pointer (&call->answer, json_node_unref);
  g_free (call->text_answer);
  g_clear_pointer (&call->out_headers, g_ptr_array_unref);
  g_free (call->route);
  g_free (call->fault);
  g_free (call->tenant_key);
  g_free (call->client_id);
  g_free (call);
}


static char *
new_request_id (GraphServer *server)
{
  guint32 a = g_rand_int (server->id_rand);
  guint32 b = g_rand_int (server->id_rand);
  guint32 c = g_rand_int (server->id_rand);
  guint32 d = g_rand_int (server->id_rand);

  return g_strdup_printf ("%08x-%04x-4%03x-%04x-%04x%08x", a, b >> 16, b & 0xfff,
                          0x8000 | (c >> 18), c & 0xffff, d);
}

static GraphCall *
call_new (GraphServer *server, const char *method, const char *path, GHashTable *query)
{
  GraphCall *call = g_new0 (GraphCall, 1);

  call->server = server;
  call->method = method;
  call->path = g_strdup (path);
  call->segments = g_strsplit (path + 1, "/", -1);
  call->n_segments = g_strv_length (call->segments);
  call->query = query != NULL ? g_hash_table_ref (query) :
                g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  call->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  call->out_headers = g_ptr_array_new_with_free_func (g_free);
  call->request_id = new_request_id (server);
  call->now = graph_server_now (server);
  call->token_call = call->n_segments == 4 && g_str_equal (call->segments[1], "oauth2") &&
                     g_str_equal (call->segments[2], "v2.0") && g_str_equal (call->segments[3], "token");
  return call;
}

void
graph_call_header (GraphCall *call, const char *name, const char *value)
{
  g_ptr_array_add (call->out_headers, g_strdup (name));
  g_ptr_array_add (call->out_headers, g_strdup (value));
}

void
graph_call_reply (GraphCall *call, guint status, JsonNode *body)
{
  call->status = status;
  g_clear_pointer (&call->answer, json_node_unref);
  call->answer = body;
}

JsonNode *
graph_error_body (GraphCall *call, const char *code, const char *message)
{
  JsonObject *error = json_object_new ();
  JsonObject *inner = json_object_new ();
  JsonObject *root = json_object_new ();
  g_autofree char *date = graph_format_time (call->now);
  const char *client_request_id = graph_call_request_header (call, "client-request-id");

  json_object_set_string_member (error, "code", code);
  json_object_set_string_member (error, "message", message);
  /* innerError.date has no time zone suffix on the wire. */
  date[strlen (date) - 1] = '\0';
  json_object_set_string_member (inner, "date", date);
  json_object_set_string_member (inner, "request-id", call->request_id);
  json_object_set_string_member (inner, "client-request-id",
                                 client_request_id != NULL ? client_request_id : call->request_id);
  json_object_set_object_member (error, "innerError", inner);
  json_object_set_object_member (root, "error", error);
  return emu_object_node (root);
}

void
graph_call_error (GraphCall *call, guint status, const char *code, const char *message)
{
  graph_call_reply (call, status, graph_error_body (call, code, message));
}

void
graph_call_graph_error (GraphCall *call, GraphError *error)
{
  graph_call_error (call, error->status, error->code, error->message);
}

void
graph_call_set_route (GraphCall *call, const char *route)
{
  g_free (call->route);
  call->route = g_strdup_printf ("%s %s", call->method, route);
}

const char *
graph_call_query (GraphCall *call, const char *name)
{
  return g_hash_table_lookup (call->query, name);
}

const char *
graph_call_request_header (GraphCall *call, const char *name)
{
  g_autofree char *folded = g_ascii_strdown (name, -1);

  return g_hash_table_lookup (call->headers, folded);
}

static void
set_retry_after (GraphCall *call, double seconds, const char *format)
{
  g_autofree char *text = NULL;

  if (seconds < 0)
    return;
  if (g_strcmp0 (format, "date") == 0)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      g_autoptr(GDateTime) then = g_date_time_add_seconds (now, seconds + 1);

      text = soup_date_time_to_string (then, SOUP_DATE_HTTP);
    }
  else if (seconds == (gint64) seconds)
    text = g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) seconds);
  else
    {
      char buffer[G_ASCII_DTOSTR_BUF_SIZE];

      text = g_strdup (g_ascii_dtostr (buffer, sizeof buffer, seconds));
    }
  graph_call_header (call, "Retry-After", text);
}

/* 429 with §6.2's body. */
static void
reply_throttled (GraphCall *call, double retry_after, const char *format)
{
  JsonObject *root;
  JsonObject *inner;

  graph_call_error (call, 429, "TooManyRequests", "Please retry again later.");
  root = json_node_get_object (call->answer);
  inner = json_object_get_object_member (json_object_get_object_member (root, "error"), "innerError");
  json_object_set_string_member (inner, "code", "429");
  json_object_set_string_member (inner, "message", "Please retry after");
  json_object_set_string_member (inner, "status", "429");
  set_retry_after (call, retry_after, format);
}

static const char *
error_code_for (guint status)
{
  switch (status)
    {
    case 500:
      return "generalException";
    case 502:
      return "badGateway";
    case 503:
      return "serviceNotAvailable";
    case 504:
      return "gatewayTimeout";
    case 429:
      return "TooManyRequests";
    default:
      return "generalException";
    }
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

  /* soup_form_decode's keys and values share one allocation: copy. */
  g_hash_table_iter_init (&iter, form);
  while (g_hash_table_iter_next (&iter, (gpointer *) &name, (gpointer *) &value))
    g_hash_table_insert (masked, (gpointer) name, (gpointer) (g_str_equal (name, "client_secret") ||
                                                              g_str_equal (name, "client_assertion") ? "***" : value));
  return soup_form_encode_hash (masked);
}

static JsonObject *
log_call (GraphServer *server, GraphCall *call, guint64 batch_seq)
{
  JsonObject *entry = json_object_new ();
  g_autofree char *started = graph_format_time (call->now);
  GString *query = g_string_new (NULL);
  g_autoptr(GList) keys = g_hash_table_get_keys (call->query);

  keys = g_list_sort (keys, (GCompareFunc) g_strcmp0);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      g_autofree char *value = g_uri_escape_string (g_hash_table_lookup (call->query, l->data), "$,'()=", FALSE);

      g_string_append_printf (query, "%s%s=%s", query->len > 0 ? "&" : "", (char *) l->data, value);
    }
  json_object_set_int_member (entry, "seq", server->next_seq++);
  json_object_set_string_member (entry, "method", call->method);
  json_object_set_string_member (entry, "path", call->path);
  json_object_set_string_member (entry, "query", query->str);
  g_string_free (query, TRUE);
  json_object_set_string_member (entry, "started", started);
  json_object_set_int_member (entry, "started_us", g_get_monotonic_time ());
  json_object_set_string_member (entry, "request_id", call->request_id);
  if (batch_seq > 0)
    json_object_set_int_member (entry, "batch", batch_seq);
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
finish_log (GraphServer *server, GraphCall *call, JsonObject *entry, const char *status)
{
  g_autofree char *status_text = status != NULL ? g_strdup (status) : g_strdup_printf ("%u", call->status);

  if (call->route == NULL)
    call->route = g_strdup_printf ("%s %s", call->method, call->path);
  if (status != NULL)
    json_object_set_string_member (entry, "status", status);
  else
    json_object_set_int_member (entry, "status", call->status);
  json_object_set_string_member (entry, "route", call->route);
  if (call->tenant_key != NULL || call->token != NULL)
    json_object_set_string_member (entry, "tenant", call->token != NULL ? call->token->tenant->id : call->tenant_key);
  if (call->client_id != NULL || call->token != NULL)
    json_object_set_string_member (entry, "client", call->token != NULL ? call->token->app->client_id :
                                   call->client_id);
  if (call->fault != NULL)
    {
      json_object_set_string_member (entry, "fault", call->fault);
      emu_count (server->by_fault, call->fault);
    }
  emu_count (server->by_route, call->route);
  emu_count (server->by_status, status_text);
  server->n_calls++;
}

/* ---------------------------------------------------------------- execution */

static void
purge_expired (GraphServer *server, gint64 now)
{
  for (guint i = 0; i < server->state->tenants->len; i++)
    graph_tenant_purge_expired (g_ptr_array_index (server->state->tenants, i),
                                now - server->sw.purge_after * GRAPH_USEC_PER_SEC);
}

static void
reply_token_fault (GraphCall *call, guint status)
{
  /* The token endpoint fails in its own format. */
  graph_auth_token_error (call, status == 500 ? 50000 : 90033);
  call->status = status;
}

/* Runs one call (a whole HTTP request, or one part of a $batch) with its
 * faults. Returns the rule that fired, for the transport faults. */
static FaultRule *
execute (GraphServer *server, GraphCall *call, guint64 batch_seq, JsonObject **log_entry)
{
  JsonObject *entry = log_call (server, call, batch_seq);
  FaultRule *rule;
  const char *client_request_id = graph_call_request_header (call, "client-request-id");

  purge_expired (server, call->now);
  rule = pick_rule (server, call, batch_seq > 0);
  if (rule != NULL)
    call->fault = g_strdup (fault_names[rule->base.kind]);

  graph_call_header (call, "request-id", call->request_id);
  graph_call_header (call, "client-request-id", client_request_id != NULL ? client_request_id : call->request_id);

  switch (rule != NULL ? rule->base.kind : N_FAULTS)
    {
    case FAULT_THROTTLE:
      if (call->token_call)
        {
          reply_token_fault (call, 429);
          set_retry_after (call, rule->retry_after, rule->retry_format);
        }
      else
        reply_throttled (call, rule->retry_after, rule->retry_format);
      break;
    case FAULT_ERROR:
      if (call->token_call)
        reply_token_fault (call, rule->status);
      else
        graph_call_error (call, rule->status, error_code_for (rule->status),
                          rule->status == 503 ? "The service is temporarily unavailable. Please retry later." :
                          rule->status == 504 ? "The gateway did not receive a timely response." :
                          "General exception while processing.");
      set_retry_after (call, rule->retry_after, rule->retry_format);
      break;
    case FAULT_TOKEN_EXPIRED:
      graph_call_error (call, 401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.");
      {
        g_autofree char *www = g_strdup_printf ("Bearer realm=\"\", authorization_uri=\"%s/common/oauth2/authorize\", "
                                                "client_id=\"00000003-0000-0000-c000-000000000000\"", call->base);

        graph_call_header (call, "WWW-Authenticate", www);
      }
      break;
    case FAULT_FORBIDDEN:
      graph_call_error (call, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
      break;
    case FAULT_AADSTS:
      graph_auth_token_error (call, rule->aadsts);
      break;
    case FAULT_DROP:
      finish_log (server, call, entry, "dropped");
      return rule;
    case FAULT_DELTA_EXPIRED:
    case FAULT_EMPTY_PAGE:
    case FAULT_SLOW:
    case FAULT_DROP_AFTER:
    case FAULT_TRUNCATE:
    case FAULT_MALFORMED:
    case N_FAULTS:
    default:
      if (rule != NULL && rule->base.kind == FAULT_EMPTY_PAGE)
        call->empty_page = TRUE;
      if (rule != NULL && rule->base.kind == FAULT_DELTA_EXPIRED)
        call->delta_expired = rule->delta_mode != NULL ? rule->delta_mode : server->sw.delta_expiry;
      if (call->token_call)
        graph_auth_token (call, call->segments[0]);
      else if (g_str_has_prefix (call->path, "/v1.0/") || g_str_equal (call->path, "/v1.0"))
        graph_api_handle (call);
      else
        graph_call_error (call, 400, "BadRequest", "Invalid version: the emulator serves /v1.0 only.");
      break;
    }

  if (call->ru_cost > 0 && call->status < 400)
    {
      double percent = 0;
      gint64 wait = ru_charge (server, call, call->ru_cost, &percent);
      g_autofree char *cost = g_strdup_printf ("%u", call->ru_cost);

      if (wait > 0)
        {
          g_autofree char *scope = g_strdup_printf ("Tenant_Application/Read/%s/%s", call->token->app->client_id,
                                                    call->token->tenant->id);

          g_ptr_array_set_size (call->out_headers, 4);   /* request-id, client-request-id */
          reply_throttled (call, wait, "seconds");
          graph_call_header (call, "x-ms-throttle-scope", scope);
          graph_call_header (call, "x-ms-throttle-information", "ResourceUnitLimitExceeded");
          g_free (call->fault);
          call->fault = g_strdup ("ru_budget");
        }
      else
        graph_call_header (call, "x-ms-resource-unit", cost);
      if (percent >= 0.8)
        {
          char buffer[G_ASCII_DTOSTR_BUF_SIZE];

          graph_call_header (call, "x-ms-throttle-limit-percentage",
                             g_ascii_formatd (buffer, sizeof buffer, "%.1f", MIN (percent, 1.8)));
        }
    }

  finish_log (server, call, entry, NULL);
  if (log_entry != NULL)
    *log_entry = entry;
  return rule;
}

/* One part of a $batch: the same dispatch, faults and log, no transport. */
GraphCall *
graph_server_run_part (GraphServer *server,
                       GraphCall   *outer,
                       const char  *method,
                       const char  *url,
                       JsonObject  *headers,
                       JsonNode    *body,
                       guint64      batch_seq)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *full = NULL;
  g_autofree char *path = NULL;
  GHashTable *query;
  GraphCall *part;

  if (g_str_has_prefix (url, "http://") || g_str_has_prefix (url, "https://"))
    full = g_strdup (url);
  else
    full = g_strconcat (outer->base, g_str_has_prefix (url, "/v1.0/") ? "" : "/v1.0",
                        g_str_has_prefix (url, "/") ? "" : "/", url, NULL);
  uri = g_uri_parse (full, G_URI_FLAGS_ENCODED_QUERY, NULL);
  if (uri == NULL)
    return NULL;
  path = g_uri_unescape_string (g_uri_get_path (uri), NULL);
  query = g_uri_get_query (uri) != NULL ? soup_form_decode (g_uri_get_query (uri)) : NULL;
  part = call_new (server, g_intern_string (method), path != NULL ? path : "/", query);
  g_clear_pointer (&query, g_hash_table_unref);
  part->base = g_strdup (outer->base);
  part->token = outer->token;
  part->now = outer->now;
  if (headers != NULL)
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      json_object_iter_init (&iter, headers);
      while (json_object_iter_next (&iter, &name, &value))
        if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
          g_hash_table_replace (part->headers, g_ascii_strdown (name, -1), g_strdup (json_node_get_string (value)));
    }
  if (body != NULL)
    {
      g_autofree char *text = json_to_string (body, FALSE);
      gsize length = strlen (text);

      part->body = g_bytes_new_take (g_steal_pointer (&text), length);
    }
  execute (server, part, batch_seq, NULL);
  return part;
}

guint64
graph_server_current_seq (GraphServer *server)
{
  return server->next_seq - 1;
}

void
graph_call_free (GraphCall *call)
{
  call_free (call);
}

/* ---------------------------------------------------------------- transport */

static void
write_answer (GraphCall *call, SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  char *text;

  soup_server_message_set_status (msg, call->status, NULL);
  for (guint i = 0; i + 1 < call->out_headers->len; i += 2)
    soup_message_headers_append (headers, g_ptr_array_index (call->out_headers, i),
                                 g_ptr_array_index (call->out_headers, i + 1));
  if (call->text_answer != NULL)
    soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY, call->text_answer,
                                      strlen (call->text_answer));
  else if (call->answer != NULL)
    {
      const char *type = call->token_call ? "application/json; charset=utf-8" :
                         "application/json;odata.metadata=minimal;odata.streaming=true;"
                         "IEEE754Compatible=false;charset=utf-8";

      text = json_to_string (call->answer, FALSE);
      soup_server_message_set_response (msg, type, SOUP_MEMORY_TAKE, text, strlen (text));
    }
}

static char *
message_base (GraphServer *server, SoupServerMessage *msg)
{
  GUri *uri = soup_server_message_get_uri (msg);
  const char *host = g_uri_get_host (uri);

  return g_strdup_printf ("%s://%s:%d", g_uri_get_scheme (uri),
                          host != NULL && *host != '\0' ? host : "127.0.0.1",
                          g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : (int) graph_server_port (server));
}

static void handle_admin (GraphServer *server, SoupServerMessage *msg, const char *path, GHashTable *query);

static void
server_callback (SoupServer        *soup,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  GraphServer *server = user_data;
  g_autoptr(GraphCall) call = NULL;
  SoupMessageHeadersIter iter;
  const char *name;
  const char *value;
  FaultRule *rule;
  guint delay;

  if (g_str_has_prefix (path, "/_admin/"))
    {
      handle_admin (server, msg, path, query);
      return;
    }

  call = call_new (server, soup_server_message_get_method (msg), path, query);
  call->base = message_base (server, msg);
  call->body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  soup_message_headers_iter_init (&iter, soup_server_message_get_request_headers (msg));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    g_hash_table_replace (call->headers, g_ascii_strdown (name, -1), g_strdup (value));

  rule = execute (server, call, 0, NULL);
  if (rule != NULL && rule->base.kind == FAULT_DROP)
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

/* ---------------------------------------------------------------- admin */

typedef struct {
  GraphServer       *server;
  SoupServerMessage *msg;
  const char        *method;
  char             **segments;     /* after /_admin/ */
  guint              n_segments;
  GHashTable        *query;
  JsonNode          *json;
  gboolean           bad_json;
} Admin;

static JsonObject *
admin_body (Admin *admin)
{
  return admin->json != NULL && JSON_NODE_HOLDS_OBJECT (admin->json) ? json_node_get_object (admin->json) : NULL;
}

static gboolean
is (Admin *admin, const char *method, guint n, const char *first)
{
  return g_str_equal (admin->method, method) && admin->n_segments == n &&
         (first == NULL || g_str_equal (admin->segments[0], first));
}

static JsonNode *
calls_node (GraphServer *server, GHashTable *query)
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

static JsonNode *
stats_node (GraphServer *server)
{
  JsonObject *object = json_object_new ();

  json_object_set_int_member (object, "calls", server->n_calls);
  json_object_set_member (object, "routes", emu_counts_node (server->by_route));
  json_object_set_member (object, "statuses", emu_counts_node (server->by_status));
  json_object_set_member (object, "faults", emu_counts_node (server->by_fault));
  json_object_set_int_member (object, "sessions", g_hash_table_size (server->sessions));
  json_object_set_int_member (object, "tokens", g_hash_table_size (server->tokens));
  return emu_object_node (object);
}

static JsonNode *
clock_node (GraphServer *server)
{
  JsonObject *object = json_object_new ();
  g_autofree char *now = graph_format_time (graph_server_now (server));

  json_object_set_string_member (object, "now", now);
  json_object_set_int_member (object, "offset_seconds", server->clock_offset / GRAPH_USEC_PER_SEC);
  return emu_object_node (object);
}

static gboolean
reset_state (GraphServer *server, GError **error)
{
  GraphState *fresh = graph_state_new (server->seed, server->seed_dir, server->random_seed, server->generate,
                                       server->generate_group, graph_server_now (server), error);

  if (fresh == NULL)
    return FALSE;
  sessions_clear (server);
  g_hash_table_remove_all (server->tokens);
  graph_state_free (server->state);
  server->state = fresh;
  return TRUE;
}

static gboolean
want (JsonObject *object, const char *name)
{
  return object == NULL || json_object_get_boolean_member_with_default (object, name, TRUE);
}

static GraphTenant *
admin_tenant (Admin *admin)
{
  const char *key = admin->query != NULL ? g_hash_table_lookup (admin->query, "tenant") : NULL;
  JsonObject *body = admin_body (admin);

  if (key == NULL && body != NULL && json_object_has_member (body, "tenant") &&
      JSON_NODE_HOLDS_VALUE (json_object_get_member (body, "tenant")))
    key = json_object_get_string_member (body, "tenant");
  return key != NULL ? graph_state_tenant (admin->server->state, key) :
         graph_state_default_tenant (admin->server->state);
}

static JsonNode *
admin_object_node (GraphObject *object)
{
  JsonObject *out = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  JsonArray *member_of = json_array_new ();

  json_object_set_string_member (out, "@odata.type", graph_kind_odata_type (object->kind));
  json_object_set_string_member (out, "id", object->id);
  json_object_iter_init_ordered (&iter, object->props);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    json_object_set_member (out, name, json_node_copy (value));
  json_object_set_string_member (out, "life", object->life == GRAPH_ACTIVE ? "active" :
                                 object->life == GRAPH_SOFT_DELETED ? "deleted" : "purged");
  if (object->manager != NULL)
    json_object_set_string_member (out, "manager", object->manager->id);
  for (guint i = 0; object->member_of != NULL && i < object->member_of->len; i++)
    json_array_add_string_element (member_of, ((GraphObject *) g_ptr_array_index (object->member_of, i))->id);
  json_object_set_array_member (out, "memberOf", member_of);
  if (object->kind == GRAPH_GROUP)
    {
      JsonArray *members = json_array_new ();

      for (GList *l = object->members->head; l != NULL; l = l->next)
        json_array_add_string_element (members, ((GraphObject *) l->data)->id);
      json_object_set_array_member (out, "members", members);
    }
  json_object_set_int_member (out, "changed_seq", object->changed_seq);
  return emu_object_node (out);
}

static gboolean
kind_of_collection (const char *name, GraphKind *kind)
{
  static const struct { const char *name; GraphKind kind; } collections[] = {
    { "users", GRAPH_USER }, { "groups", GRAPH_GROUP }, { "devices", GRAPH_DEVICE },
    { "contacts", GRAPH_CONTACT }, { "servicePrincipals", GRAPH_SERVICE_PRINCIPAL },
    { "objects", GRAPH_N_KINDS },
  };

  for (guint i = 0; i < G_N_ELEMENTS (collections); i++)
    if (g_str_equal (collections[i].name, name))
      {
        *kind = collections[i].kind;
        return TRUE;
      }
  return FALSE;
}

/* Adds @object to the groups named in @body's "memberOf" and, for a
 * group, the objects of "members". */
static gboolean
admin_link (GraphTenant *tenant, GraphObject *object, JsonObject *body, GError **error)
{
  JsonArray *lists[2] = {
    json_object_has_member (body, "memberOf") ? json_object_get_array_member (body, "memberOf") : NULL,
    json_object_has_member (body, "members") ? json_object_get_array_member (body, "members") : NULL,
  };

  for (guint l = 0; l < 2; l++)
    for (guint i = 0; lists[l] != NULL && i < json_array_get_length (lists[l]); i++)
      {
        GraphObject *other = graph_tenant_lookup (tenant, json_array_get_string_element (lists[l], i));

        if (other == NULL)
          {
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no object %s",
                         json_array_get_string_element (lists[l], i));
            return FALSE;
          }
        if (!(l == 0 ? graph_group_add_member (other, object, error) : graph_group_add_member (object, other, error)))
          return FALSE;
      }
  return TRUE;
}

static void
admin_objects (Admin *admin, GraphKind collection_kind)
{
  GraphServer *server = admin->server;
  GraphTenant *tenant = admin_tenant (admin);
  JsonObject *body = admin_body (admin);
  gint64 now = graph_server_now (server);
  g_autoptr(GError) error = NULL;
  GraphObject *object = NULL;
  const char *action = admin->n_segments >= 3 ? admin->segments[2] : NULL;

  if (tenant == NULL)
    {
      emu_reply_message (admin->msg, 404, "Unknown tenant");
      return;
    }
  if (admin->n_segments == 1 && g_str_equal (admin->method, "POST"))
    {
      g_autoptr(JsonObject) props = NULL;
      GraphKind kind = collection_kind;
      const char *type = body != NULL ? json_object_get_string_member_with_default (body, "@odata.type", NULL) : NULL;

      if (body == NULL)
        {
          emu_reply_message (admin->msg, 400, "Send the object's properties as a JSON object");
          return;
        }
      if (kind == GRAPH_N_KINDS && (type == NULL || !graph_kind_from_name (type, &kind)))
        {
          emu_reply_message (admin->msg, 400, "POST /_admin/objects needs an @odata.type");
          return;
        }
      props = json_object_ref (body);
      object = graph_tenant_create (tenant, kind, props, now, &error);
      if (object != NULL && json_object_has_member (body, "manager") &&
          !graph_object_set_manager (object, json_object_get_string_member (body, "manager"), &error))
        object = NULL;
      if (object != NULL && !admin_link (tenant, object, body, &error))
        object = NULL;
      if (object == NULL)
        emu_reply_message (admin->msg, 400, error->message);
      else
        emu_reply_json (admin->msg, 201, admin_object_node (object));
      return;
    }
  if (admin->n_segments >= 2)
    object = graph_tenant_lookup (tenant, admin->segments[1]);
  if (object == NULL)
    {
      emu_reply_message (admin->msg, 404, "No such object (purged objects are gone)");
      return;
    }

  if (is (admin, "GET", 2, NULL))
    emu_reply_json (admin->msg, 200, admin_object_node (object));
  else if (is (admin, "PATCH", 2, NULL) || is (admin, "PUT", 2, NULL))
    {
      if (body == NULL)
        emu_reply_message (admin->msg, 400, "Send the changed properties as a JSON object");
      else if (!graph_object_update (object, body, &error))
        emu_reply_message (admin->msg, 400, error->message);
      else
        emu_reply_json (admin->msg, 200, admin_object_node (object));
    }
  else if (is (admin, "DELETE", 2, NULL))
    {
      const char *purge = admin->query != NULL ? g_hash_table_lookup (admin->query, "purge") : NULL;

      if (!graph_object_delete (object, g_strcmp0 (purge, "true") == 0 || g_strcmp0 (purge, "1") == 0, now, &error))
        emu_reply_message (admin->msg, 400, error->message);
      else
        emu_reply_json (admin->msg, 200, admin_object_node (object));
    }
  else if (is (admin, "POST", 3, NULL) && (g_str_equal (action, "disable") || g_str_equal (action, "enable")))
    {
      g_autoptr(JsonObject) change = json_object_new ();

      json_object_set_boolean_member (change, "accountEnabled", g_str_equal (action, "enable"));
      if (!graph_object_update (object, change, &error))
        emu_reply_message (admin->msg, 400, error->message);
      else
        emu_reply_json (admin->msg, 200, admin_object_node (object));
    }
  else if (is (admin, "POST", 3, NULL) && g_str_equal (action, "purge"))
    {
      if (!graph_object_delete (object, TRUE, now, &error))
        emu_reply_message (admin->msg, 400, error->message);
      else
        emu_reply_json (admin->msg, 200, admin_object_node (object));
    }
  else if (is (admin, "POST", 3, NULL) && g_str_equal (action, "restore"))
    {
      if (!graph_object_restore (object, &error))
        emu_reply_message (admin->msg, 400, error->message);
      else
        emu_reply_json (admin->msg, 200, admin_object_node (object));
    }
  else if (is (admin, "POST", 3, NULL) && g_str_equal (action, "members"))
    {
      JsonArray *ids = body != NULL && json_object_has_member (body, "ids") ?
                       json_object_get_array_member (body, "ids") : NULL;
      const char *id = body != NULL ? json_object_get_string_member_with_default (body, "id", NULL) : NULL;
      guint n = ids != NULL ? json_array_get_length (ids) : id != NULL ? 1 : 0;

      if (n == 0)
        {
          emu_reply_message (admin->msg, 400, "Send {\"id\": member} or {\"ids\": [members]}");
          return;
        }
      for (guint i = 0; i < n; i++)
        {
          const char *member_id = ids != NULL ? json_array_get_string_element (ids, i) : id;
          GraphObject *member = graph_tenant_lookup (tenant, member_id);

          if (member == NULL)
            {
              emu_reply_message (admin->msg, 404, "No such member");
              return;
            }
          if (!graph_group_add_member (object, member, &error))
            {
              emu_reply_message (admin->msg, 400, error->message);
              return;
            }
        }
      emu_reply_json (admin->msg, 200, admin_object_node (object));
    }
  else if (is (admin, "DELETE", 4, NULL) && g_str_equal (action, "members"))
    {
      GraphObject *member = graph_tenant_lookup (tenant, admin->segments[3]);

      if (member == NULL)
        emu_reply_message (admin->msg, 404, "No such member");
      else if (!graph_group_remove_member (object, member, &error))
        emu_reply_message (admin->msg, 400, error->message);
      else
        emu_reply_json (admin->msg, 200, admin_object_node (object));
    }
  else
    emu_reply_message (admin->msg, 404, "Unknown admin endpoint");
}

static gboolean
string_array (JsonObject *body, const char *name, GPtrArray **out)
{
  JsonArray *array = json_object_has_member (body, name) ? json_object_get_array_member (body, name) : NULL;

  *out = NULL;
  if (!json_object_has_member (body, name))
    return TRUE;
  if (array == NULL)
    return FALSE;
  *out = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      const char *text = json_array_get_string_element (array, i);

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
admin_apps (Admin *admin)
{
  GraphTenant *tenant = admin_tenant (admin);
  JsonObject *body = admin_body (admin);
  g_autoptr(GPtrArray) permissions = NULL;
  g_autoptr(GPtrArray) grant = NULL;
  g_autoptr(GPtrArray) revoke = NULL;
  g_autoptr(GError) error = NULL;
  GraphApp *app;

  if (tenant == NULL)
    {
      emu_reply_message (admin->msg, 404, "Unknown tenant");
      return;
    }
  if (is (admin, "GET", 1, NULL))
    {
      JsonArray *apps = json_array_new ();

      for (guint i = 0; i < tenant->apps->len; i++)
        json_array_add_element (apps, graph_app_dump (g_ptr_array_index (tenant->apps, i)));
      emu_reply_json (admin->msg, 200, json_node_init_array (json_node_alloc (), apps));
      json_array_unref (apps);
      return;
    }
  app = admin->n_segments == 2 ? graph_tenant_app (tenant, admin->segments[1]) : NULL;
  if (app == NULL)
    {
      emu_reply_message (admin->msg, 404, "No such app in this tenant");
      return;
    }
  if (is (admin, "GET", 2, NULL))
    {
      emu_reply_json (admin->msg, 200, graph_app_dump (app));
      return;
    }
  if (!is (admin, "POST", 2, NULL) && !is (admin, "PATCH", 2, NULL))
    {
      emu_reply_message (admin->msg, 404, "Unknown admin endpoint");
      return;
    }
  if (body == NULL || !string_array (body, "permissions", &permissions) ||
      !string_array (body, "grant", &grant) || !string_array (body, "revoke", &revoke))
    {
      emu_reply_message (admin->msg, 400, "Send {permissions|grant|revoke: [names], add_secret: {value, expires}, "
                   "add_certificate: PEM, remove_secrets: bool, remove_certificates: bool}");
      return;
    }
  if (json_object_has_member (body, "add_certificate") &&
      !graph_app_add_cert (app, json_object_get_string_member (body, "add_certificate"), &error))
    {
      emu_reply_message (admin->msg, 400, error->message);
      return;
    }
  if (json_object_get_boolean_member_with_default (body, "remove_secrets", FALSE))
    g_ptr_array_set_size (app->secrets, 0);
  if (json_object_get_boolean_member_with_default (body, "remove_certificates", FALSE))
    g_ptr_array_set_size (app->certs, 0);
  if (json_object_has_member (body, "add_secret"))
    {
      JsonObject *secret = json_object_get_object_member (body, "add_secret");
      GraphSecret *added = g_new0 (GraphSecret, 1);
      const char *expires = secret != NULL ? json_object_get_string_member_with_default (secret, "expires", NULL) : NULL;

      added->value = g_strdup (secret != NULL ? json_object_get_string_member_with_default (secret, "value", "") : "");
      added->id = g_strdup (secret != NULL ? json_object_get_string_member_with_default (secret, "id", NULL) : NULL);
      if (added->id == NULL)
        added->id = graph_state_new_guid (tenant->state);
      if (expires != NULL)
        graph_parse_time (expires, &added->expires);
      g_ptr_array_add (app->secrets, added);
    }
  if (permissions != NULL)
    {
      g_ptr_array_set_size (app->permissions, 0);
      for (guint i = 0; i < permissions->len; i++)
        g_ptr_array_add (app->permissions, g_strdup (g_ptr_array_index (permissions, i)));
    }
  for (guint i = 0; grant != NULL && i < grant->len; i++)
    if (!g_ptr_array_find_with_equal_func (app->permissions, g_ptr_array_index (grant, i), g_str_equal, NULL))
      g_ptr_array_add (app->permissions, g_strdup (g_ptr_array_index (grant, i)));
  for (guint i = 0; revoke != NULL && i < revoke->len; i++)
    {
      guint index;

      if (g_ptr_array_find_with_equal_func (app->permissions, g_ptr_array_index (revoke, i), g_str_equal, &index))
        g_ptr_array_remove_index (app->permissions, index);
    }
  emu_reply_json (admin->msg, 200, graph_app_dump (app));
}

static void
handle_admin (GraphServer *server, SoupServerMessage *msg, const char *path, GHashTable *query)
{
  Admin admin_data = { server, msg, soup_server_message_get_method (msg), NULL, 0, query, NULL, FALSE };
  Admin *admin = &admin_data;
  g_autoptr(GBytes) bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr(GError) error = NULL;
  JsonObject *body;
  GraphKind kind;

  admin->segments = g_strsplit (path + strlen ("/_admin/"), "/", -1);
  admin->n_segments = g_strv_length (admin->segments);
  if (g_bytes_get_size (bytes) > 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL))
        admin->json = json_node_ref (json_parser_get_root (parser));
      else
        admin->bad_json = TRUE;
    }
  body = admin_body (admin);

  if (admin->bad_json)
    emu_reply_message (admin->msg, 400, "The request body is not valid JSON");
  else if (admin->n_segments == 0)
    emu_reply_message (admin->msg, 404, "Unknown admin endpoint");
  else if (is (admin, "GET", 1, "health"))
    {
      JsonObject *object = json_object_new ();

      json_object_set_boolean_member (object, "ok", TRUE);
      json_object_set_int_member (object, "port", graph_server_port (server));
      emu_reply_json (admin->msg, 200, emu_object_node (object));
    }
  else if (is (admin, "GET", 1, "state"))
    {
      JsonNode *dump = graph_state_dump (server->state);
      JsonObject *root = json_node_get_object (dump);
      g_autofree char *now = graph_format_time (graph_server_now (server));

      json_object_set_string_member (root, "now", now);
      json_object_set_int_member (root, "delta_epoch", server->delta_epoch);
      emu_reply_json (admin->msg, 200, dump);
    }
  else if (is (admin, "GET", 1, "calls"))
    emu_reply_json (admin->msg, 200, calls_node (server, query));
  else if (is (admin, "DELETE", 1, "calls"))
    {
      g_ptr_array_set_size (server->calls, 0);
      emu_reply_json (admin->msg, 200, calls_node (server, query));
    }
  else if (is (admin, "GET", 1, "stats"))
    emu_reply_json (admin->msg, 200, stats_node (server));
  else if (is (admin, "GET", 1, "faults"))
    emu_reply_json (admin->msg, 200, dump_switches (server));
  else if (is (admin, "POST", 1, "faults"))
    {
      if (body == NULL)
        emu_reply_message (admin->msg, 400, "Send a JSON object of switches");
      else if (!graph_server_apply_switches (server, body, &error))
        emu_reply_message (admin->msg, 400, error->message);
      else
        emu_reply_json (admin->msg, 200, dump_switches (server));
    }
  else if (is (admin, "POST", 1, "expire-tokens"))
    {
      g_autoptr(JsonObject) action = json_object_new ();

      json_object_set_boolean_member (action, "expire_tokens", TRUE);
      graph_server_apply_switches (server, action, NULL);
      emu_reply_json (admin->msg, 200, stats_node (server));
    }
  else if (is (admin, "POST", 1, "invalidate-delta"))
    {
      g_autoptr(JsonObject) action = json_object_new ();

      json_object_set_boolean_member (action, "invalidate_delta", TRUE);
      graph_server_apply_switches (server, action, NULL);
      emu_reply_json (admin->msg, 200, dump_switches (server));
    }
  else if (is (admin, "GET", 1, "clock"))
    emu_reply_json (admin->msg, 200, clock_node (server));
  else if (is (admin, "POST", 1, "clock"))
    {
      gint64 advance = 0;

      if (body != NULL && json_object_has_member (body, "advance"))
        advance = json_object_get_int_member (body, "advance") * GRAPH_USEC_PER_SEC;
      if (body != NULL && json_object_has_member (body, "advance_days"))
        advance += json_object_get_int_member (body, "advance_days") * GRAPH_USEC_PER_DAY;
      if (advance < 0)
        emu_reply_message (admin->msg, 400, "The clock only goes forward");
      else
        {
          server->clock_offset += advance;
          purge_expired (server, graph_server_now (server));
          emu_reply_json (admin->msg, 200, clock_node (server));
        }
    }
  else if (is (admin, "POST", 1, "reset"))
    {
      if (want (body, "state") && !reset_state (server, &error))
        emu_reply_message (admin->msg, 500, error->message);
      else
        {
          if (want (body, "calls"))
            {
              g_ptr_array_set_size (server->calls, 0);
              server->next_seq = 1;
            }
          if (want (body, "stats"))
            {
              g_hash_table_remove_all (server->by_route);
              g_hash_table_remove_all (server->by_status);
              g_hash_table_remove_all (server->by_fault);
              g_hash_table_remove_all (server->ru_windows);
              server->n_calls = 0;
            }
          if (want (body, "tokens"))
            g_hash_table_remove_all (server->tokens);
          if (want (body, "faults"))
            {
              switches_copy (&server->sw, &server->initial);
              g_ptr_array_unref (server->rules);
              server->rules = rules_copy (server->initial_rules);
              g_rand_set_seed (server->fault_rand, server->random_seed);
              server->delta_epoch = 0;
            }
          if (want (body, "clock"))
            server->clock_offset = 0;
          emu_reply_json (admin->msg, 200, stats_node (server));
        }
    }
  else if (g_str_equal (admin->segments[0], "apps"))
    admin_apps (admin);
  else if (kind_of_collection (admin->segments[0], &kind))
    admin_objects (admin, kind);
  else
    emu_reply_message (admin->msg, 404, "Unknown admin endpoint");

  g_strfreev (admin->segments);
  g_clear_pointer (&admin->json, json_node_unref);
}

/* ---------------------------------------------------------------- public API */

GraphServer *
graph_server_new (GraphState  *state,
                  JsonNode    *seed,
                  const char  *seed_dir,
                  guint32      random_seed,
                  guint        generate,
                  const char  *generate_group)
{
  GraphServer *server = g_new0 (GraphServer, 1);

  server->state = state;
  server->seed = json_node_ref (seed);
  server->seed_dir = g_strdup (seed_dir);
  server->random_seed = random_seed;
  server->generate = generate;
  server->generate_group = g_strdup (generate_group);
  server->fault_rand = g_rand_new_with_seed (random_seed);
  server->id_rand = g_rand_new_with_seed (random_seed ^ 0x5eed);
  switches_init (&server->sw);
  switches_init (&server->initial);
  server->rules = g_ptr_array_new_with_free_func ((GDestroyNotify) rule_free);
  server->initial_rules = g_ptr_array_new_with_free_func ((GDestroyNotify) rule_free);
  server->tokens = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) token_free);
  server->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) slot_free);
  g_queue_init (&server->session_order);
  server->ru_windows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) ru_window_free);
  server->calls = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  server->next_seq = 1;
  server->call_log_max = 200000;
  server->by_route = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  server->by_status = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  server->by_fault = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return server;
}

void
graph_server_free (GraphServer *server)
{
  if (server == NULL)
    return;
  if (server->soup != NULL)
    soup_server_disconnect (server->soup);
  g_clear_object (&server->soup);
  sessions_clear (server);
  g_hash_table_unref (server->sessions);
  g_hash_table_unref (server->tokens);
  graph_state_free (server->state);
  json_node_unref (server->seed);
  g_free (server->seed_dir);
  g_free (server->generate_group);
  g_rand_free (server->fault_rand);
  g_rand_free (server->id_rand);
  switches_clear (&server->sw);
  switches_clear (&server->initial);
  g_ptr_array_unref (server->rules);
  g_ptr_array_unref (server->initial_rules);
  g_hash_table_unref (server->ru_windows);
  g_ptr_array_unref (server->calls);
  g_hash_table_unref (server->by_route);
  g_hash_table_unref (server->by_status);
  g_hash_table_unref (server->by_fault);
  g_free (server);
}

GraphSwitches *
graph_server_switches (GraphServer *server)
{
  return &server->sw;
}

GraphState *
graph_server_state (GraphServer *server)
{
  return server->state;
}

/* Makes the current switches and rules the ones /_admin/reset goes back to. */
void
graph_server_commit_switches (GraphServer *server)
{
  switches_copy (&server->initial, &server->sw);
  g_ptr_array_unref (server->initial_rules);
  server->initial_rules = rules_copy (server->rules);
}

void
graph_server_set_call_log_max (GraphServer *server, guint max)
{
  server->call_log_max = max;
}

gint64
graph_server_now (GraphServer *server)
{
  return g_get_real_time () + server->clock_offset;
}

guint
graph_server_delta_epoch (GraphServer *server)
{
  return server->delta_epoch;
}

GRand *
graph_server_rand (GraphServer *server)
{
  return server->id_rand;
}

gboolean
graph_server_listen (GraphServer *server, guint port, GTlsCertificate *certificate, GError **error)
{
  server->soup = soup_server_new ("server-header", "Microsoft-IIS/10.0 (ps-graph-emulator)", NULL);
  soup_server_add_handler (server->soup, NULL, server_callback, server, NULL);
  return emu_soup_listen (server->soup, port, certificate, error);
}

guint
graph_server_port (GraphServer *server)
{
  return emu_soup_port (server->soup);
}
