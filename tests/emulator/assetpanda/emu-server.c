/* emu-server.c — HTTP front of the emulator: dispatch, rate limit, faults,
 * latency, call log, statistics and the /_admin/ API
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include "emu-private.h"

#define USEC_PER_SEC G_GINT64_CONSTANT (1000000)

typedef struct {
  GQueue accepted;   /* of gint64*: calls served in the window */
  GQueue attempts;   /* of gint64*: every call, 429s included */
} ClientWindow;

struct _EmuServer {
  SoupServer   *soup;
  EmuState     *state;
  JsonNode     *seed;
  guint32       random_seed;
  GRand        *fault_rand;
  EmuSwitches   sw;
  EmuSwitches   initial;       /* for /_admin/reset */
  char         *save_path;
  gsize         max_body;
  guint         call_log_max;

  GHashTable   *tokens;        /* token → EmuToken* */
  GHashTable   *windows;       /* client → ClientWindow* */
  GHashTable   *granular;      /* client → GINT_TO_POINTER (0/1), run-time overrides */

  GPtrArray    *calls;         /* of JsonObject*, oldest first */
  guint64       next_seq;

  GHashTable   *by_endpoint;   /* route → count */
  GHashTable   *by_status;     /* status text → count */
  GHashTable   *by_fault;      /* fault name → count */
  guint64       n_calls;
  guint64       n_rate_limited;
  guint64       n_connections;
  guint         generation;    /* bumped by a stats reset */
  guint         max_in_window;
  guint         max_attempts_in_window;
};

/* ---------------------------------------------------------------- helpers */

gint64
emu_now (void)
{
  return g_get_real_time ();
}

char *
emu_format_time (gint64 usec)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (usec / USEC_PER_SEC);
  g_autoptr(GDateTime) precise = g_date_time_add (dt, usec % USEC_PER_SEC);

  return g_date_time_format (precise, "%Y-%m-%dT%H:%M:%S.%fZ");
}

gboolean
emu_parse_time (const char *text, gint64 *usec)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) dt = text != NULL ? g_date_time_new_from_iso8601 (text, utc) : NULL;

  if (dt == NULL)
    {
      /* A bare date means midnight UTC. */
      g_autofree char *full = text != NULL && strlen (text) == 10 ?
                              g_strconcat (text, "T00:00:00Z", NULL) : NULL;

      if (full != NULL)
        dt = g_date_time_new_from_iso8601 (full, utc);
    }
  if (dt == NULL)
    return FALSE;
  *usec = g_date_time_to_unix (dt) * USEC_PER_SEC + g_date_time_get_microsecond (dt);
  return TRUE;
}

static void
client_window_free (ClientWindow *window)
{
  g_queue_clear_full (&window->accepted, g_free);
  g_queue_clear_full (&window->attempts, g_free);
  g_free (window);
}

static void
token_free (EmuToken *token)
{
  g_free (token->token);
  g_free (token->client_id);
  g_free (token);
}

static JsonNode *
error_body (const char *message, JsonArray *errors)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "message", message);
  json_object_set_array_member (object, "errors", errors != NULL ? errors : json_array_new ());
  return emu_object_node (object);
}

/* ---------------------------------------------------------------- switches */

static const char *const token_field_words[] = { "both", "access_token", "token", NULL };
static const char *const list_value_words[] = { "value", "display_name", NULL };
static const char *const search_path_words[] = { "both", "search/objects", "objects/search", NULL };
static const char *const retry_after_words[] = { "seconds", "date", NULL };
static const char *const rate_limit_by_words[] = { "client", "ip", NULL };

#define SW(name, type, member, words) { name, type, G_STRUCT_OFFSET (EmuSwitches, member), words, 0, 0 }

static const EmuSwitchSpec switch_specs[] = {
  SW ("error_rate", EMU_SWITCH_DOUBLE, error_rate, NULL),
  SW ("error_retry_after", EMU_SWITCH_INT, error_retry_after, NULL),
  SW ("drop_rate", EMU_SWITCH_DOUBLE, drop_rate, NULL),
  SW ("malformed_rate", EMU_SWITCH_DOUBLE, malformed_rate, NULL),
  SW ("slow_rate", EMU_SWITCH_DOUBLE, slow_rate, NULL),
  SW ("slow_ms", EMU_SWITCH_UINT, slow_ms, NULL),
  SW ("latency_ms", EMU_SWITCH_UINT, latency_ms, NULL),
  SW ("fail_next", EMU_SWITCH_UINT, fail_next, NULL),
  SW ("fail_status", EMU_SWITCH_UINT, fail_status, NULL),
  SW ("drop_next", EMU_SWITCH_UINT, drop_next, NULL),
  SW ("malformed_next", EMU_SWITCH_UINT, malformed_next, NULL),
  SW ("truncate_rate", EMU_SWITCH_DOUBLE, truncate_rate, NULL),
  SW ("truncate_next", EMU_SWITCH_UINT, truncate_next, NULL),
  SW ("truncate_close", EMU_SWITCH_BOOL, truncate_close, NULL),
  SW ("throttle_rate", EMU_SWITCH_DOUBLE, throttle_rate, NULL),
  SW ("throttle_retry_after", EMU_SWITCH_INT, throttle_retry_after, NULL),
  SW ("html_rate", EMU_SWITCH_DOUBLE, html_rate, NULL),
  SW ("html_next", EMU_SWITCH_UINT, html_next, NULL),
  SW ("auth_error_status", EMU_SWITCH_UINT, auth_error_status, NULL),
  SW ("require_client", EMU_SWITCH_BOOL, require_client, NULL),
  SW ("token_lifetime", EMU_SWITCH_INT64, token_lifetime, NULL),
  SW ("token_field", EMU_SWITCH_WORD, token_field, token_field_words),
  SW ("list_value_key", EMU_SWITCH_WORD, list_value_key, list_value_words),
  SW ("search_path", EMU_SWITCH_WORD, search_path, search_path_words),
  SW ("omit_totals", EMU_SWITCH_BOOL, omit_totals, NULL),
  SW ("retry_after_format", EMU_SWITCH_WORD, retry_after_format, retry_after_words),
  SW ("pro_bare_lists", EMU_SWITCH_BOOL, pro_bare_lists, NULL),
  SW ("pro_put_max", EMU_SWITCH_UINT, pro_put_max, NULL),
  SW ("create_status", EMU_SWITCH_UINT, create_status, NULL),
  SW ("rate_limit_calls", EMU_SWITCH_UINT, rate_calls, NULL),
  SW ("rate_limit_window", EMU_SWITCH_UINT, rate_window, NULL),
  SW ("fault_match", EMU_SWITCH_WORD, fault_match, NULL),
  SW ("drop_after", EMU_SWITCH_BOOL, drop_after, NULL),
  SW ("html_errors", EMU_SWITCH_BOOL, html_errors, NULL),
  SW ("rate_limit_by", EMU_SWITCH_WORD, rate_limit_by, rate_limit_by_words),
};

static void
switches_init (EmuSwitches *sw)
{
  memset (sw, 0, sizeof *sw);
  sw->error_retry_after = -1;
  sw->throttle_retry_after = 1;
  sw->fail_status = 503;
  sw->auth_error_status = 401;
  sw->token_lifetime = 3600;
  sw->token_field = g_strdup ("both");
  sw->list_value_key = g_strdup ("value");
  sw->search_path = g_strdup ("both");
  sw->retry_after_format = g_strdup ("seconds");
  sw->fault_match = g_strdup ("*");
  sw->rate_limit_by = g_strdup ("client");
  sw->pro_put_max = 5;
  sw->create_status = 200;
  sw->rate_calls = 400;
  sw->rate_window = 180;
}

static void
switches_clear (EmuSwitches *sw)
{
  emu_switches_clear (sw, switch_specs, G_N_ELEMENTS (switch_specs));
}

static void
switches_copy (EmuSwitches *to, const EmuSwitches *from)
{
  emu_switches_copy (to, from, sizeof *to, switch_specs, G_N_ELEMENTS (switch_specs));
}

static gboolean
switches_check (const EmuSwitches *sw, GError **error)
{
  if (sw->auth_error_status != 401 && sw->auth_error_status != 400)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "auth_error_status must be 401 or 400");
      return FALSE;
    }
  if (sw->fail_status < 400 || sw->fail_status > 599)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "fail_status must be 400–599");
      return FALSE;
    }
  if (sw->create_status != 200 && sw->create_status != 201)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "create_status must be 200 or 201");
      return FALSE;
    }
  if (sw->rate_window == 0 || sw->pro_put_max == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "rate_limit_window and pro_put_max must be positive");
      return FALSE;
    }
  return TRUE;
}

/* Applies every member of @object, or none when one is wrong. Besides the
 * switches it understands the actions "expire_tokens" (true: every token
 * issued so far expires now), "random_seed" (restarts the fault dice) and
 * "granular" ({client: bool}: the user-management permission). */
gboolean
emu_server_apply_switches (EmuServer *server, JsonObject *object, GError **error)
{
  EmuSwitches next = { 0 };
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  gboolean expire = FALSE;
  JsonObject *granular = NULL;
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
      else if (g_str_equal (name, "expire_tokens") && JSON_NODE_HOLDS_VALUE (value))
        expire = json_node_get_boolean (value);
      else if (g_str_equal (name, "random_seed") && JSON_NODE_HOLDS_VALUE (value))
        reseed = json_node_get_int (value);
      else if (g_str_equal (name, "granular") && JSON_NODE_HOLDS_OBJECT (value))
        granular = json_node_get_object (value);
      else
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "unknown switch %s", name);
          switches_clear (&next);
          return FALSE;
        }
    }

  if (!switches_check (&next, error))
    {
      switches_clear (&next);
      return FALSE;
    }

  switches_clear (&server->sw);
  server->sw = next;

  if (expire)
    {
      GHashTableIter it;
      EmuToken *token;

      g_hash_table_iter_init (&it, server->tokens);
      while (g_hash_table_iter_next (&it, NULL, (gpointer *) &token))
        token->expires_at = 0;
    }
  if (reseed >= 0)
    g_rand_set_seed (server->fault_rand, (guint32) reseed);
  if (granular != NULL)
    {
      json_object_iter_init_ordered (&iter, granular);
      while (json_object_iter_next_ordered (&iter, &name, &value))
        g_hash_table_replace (server->granular, g_strdup (name),
                              GINT_TO_POINTER (JSON_NODE_HOLDS_VALUE (value) && json_node_get_boolean (value)));
    }
  return TRUE;
}

JsonNode *
emu_server_dump_switches (EmuServer *server)
{
  JsonObject *object = json_object_new ();
  JsonObject *granular = json_object_new ();
  GHashTableIter iter;
  const char *client;
  gpointer allowed;

  emu_switches_dump (&server->sw, switch_specs, G_N_ELEMENTS (switch_specs), object);

  g_hash_table_iter_init (&iter, server->granular);
  while (g_hash_table_iter_next (&iter, (gpointer *) &client, &allowed))
    json_object_set_boolean_member (granular, client, GPOINTER_TO_INT (allowed));
  json_object_set_object_member (object, "granular", granular);
  return emu_object_node (object);
}

/* ---------------------------------------------------------------- tokens and clients */

static char *
base64url (const char *text)
{
  g_autofree char *encoded = g_base64_encode ((const guchar *) text, strlen (text));

  g_strdelimit (encoded, "+", '-');
  g_strdelimit (encoded, "/", '_');
  return g_strdup (g_strchomp (g_strdelimit (encoded, "=", ' ')));
}

EmuToken *
emu_server_new_token (EmuServer *server, gint64 user_id, const char *client_id)
{
  EmuToken *token = g_new0 (EmuToken, 1);
  gint64 now = emu_now ();
  g_autofree char *payload = g_strdup_printf ("{\"sub\":%" G_GINT64_FORMAT ",\"iat\":%" G_GINT64_FORMAT
                                              ",\"exp\":%" G_GINT64_FORMAT ",\"jti\":\"%08x%08x\"}",
                                              user_id, now / USEC_PER_SEC,
                                              now / USEC_PER_SEC + server->sw.token_lifetime,
                                              g_rand_int (server->state->rand),
                                              g_rand_int (server->state->rand));
  g_autofree char *header = base64url ("{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
  g_autofree char *body = base64url (payload);
  g_autofree char *signature = g_strdup_printf ("%08x%08x%08x%08x", g_rand_int (server->state->rand),
                                                g_rand_int (server->state->rand),
                                                g_rand_int (server->state->rand),
                                                g_rand_int (server->state->rand));

  token->token = g_strdup_printf ("%s.%s.%s", header, body, signature);
  token->user_id = user_id;
  token->client_id = g_strdup (client_id);
  token->expires_at = now + server->sw.token_lifetime * USEC_PER_SEC;
  g_hash_table_insert (server->tokens, token->token, token);
  return token;
}

EmuToken *
emu_server_lookup_token (EmuServer *server, const char *token)
{
  return token != NULL ? g_hash_table_lookup (server->tokens, token) : NULL;
}

const char *
emu_server_token_client (EmuServer *server, const char *token)
{
  EmuToken *found = emu_server_lookup_token (server, token);

  return found != NULL ? found->client_id : NULL;
}

/* The permission that lets an API client create and change login users
 * ("granular" permissions that Asset Panda support grants). Run-time
 * overrides first, then the seed's client or key entry; unknown clients
 * have it. */
gboolean
emu_server_client_granular (EmuServer *server, const char *client)
{
  gpointer allowed;
  JsonArray *lists[2];

  if (client == NULL)
    return TRUE;
  if (g_hash_table_lookup_extended (server->granular, client, NULL, &allowed))
    return GPOINTER_TO_INT (allowed);

  lists[0] = json_object_get_array_member (server->state->classic, "clients");
  lists[1] = json_object_get_array_member (server->state->pro, "keys");
  for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
    for (guint i = 0; lists[l] != NULL && i < json_array_get_length (lists[l]); i++)
      {
        JsonObject *entry = json_array_get_object_element (lists[l], i);
        const char *id = json_object_get_string_member_with_default (entry, l == 0 ? "client_id" : "key_id", "");

        if (g_str_equal (id, client))
          return json_object_get_boolean_member_with_default (entry, "granular", TRUE);
      }
  return TRUE;
}

/* ---------------------------------------------------------------- replies */

static void
set_body (SoupServerMessage *msg, char *text)
{
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, strlen (text));
}

void
emu_reply (EmuRequest *req, guint status, JsonNode *body)
{
  req->status = status;
  soup_server_message_set_status (req->msg, status, NULL);
  if (body != NULL)
    {
      set_body (req->msg, json_to_string (body, FALSE));
      json_node_unref (body);
    }
}

void
emu_reply_error (EmuRequest *req, guint status, const char *message, JsonArray *errors)
{
  emu_reply (req, status, error_body (message, errors));
}

void
emu_reply_auth_error (EmuRequest *req, const char *message)
{
  JsonArray *errors = json_array_new ();
  JsonObject *base = json_object_new ();
  JsonArray *texts = json_array_new ();

  json_array_add_string_element (texts, message);
  json_object_set_array_member (base, "base", texts);
  json_array_add_object_element (errors, base);
  emu_reply_error (req, req->server->sw.auth_error_status, message, errors);
}

void
emu_request_set_route (EmuRequest *req, const char *route)
{
  g_free (req->route);
  req->route = g_strdup_printf ("%s %s", req->method, route);
}

const char *
emu_request_query (EmuRequest *req, const char *name)
{
  return req->query != NULL ? g_hash_table_lookup (req->query, name) : NULL;
}

JsonObject *
emu_request_object (EmuRequest *req)
{
  return req->json != NULL && JSON_NODE_HOLDS_OBJECT (req->json) ? json_node_get_object (req->json) : NULL;
}

static void
set_retry_after (EmuServer *server, SoupServerMessage *msg, gint64 seconds)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  if (g_str_equal (server->sw.retry_after_format, "date"))
    {
      /* An HTTP date has whole seconds; round up so the wait is long enough. */
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      g_autoptr(GDateTime) then = g_date_time_add_seconds (now, seconds + 1);
      g_autofree char *text = soup_date_time_to_string (then, SOUP_DATE_HTTP);

      soup_message_headers_replace (headers, "Retry-After", text);
    }
  else
    {
      g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, seconds);

      soup_message_headers_replace (headers, "Retry-After", text);
    }
}

/* ---------------------------------------------------------------- rate limit */

static guint
window_push (GQueue *queue, gint64 now, gint64 span)
{
  while (!g_queue_is_empty (queue) && *(gint64 *) g_queue_peek_head (queue) <= now - span)
    g_free (g_queue_pop_head (queue));
  g_queue_push_tail (queue, g_memdup2 (&now, sizeof now));
  return g_queue_get_length (queue);
}

/* Returns 0 when the call may go on, or the seconds until the window has
 * room again. Rejected calls do not take room in the window. */
static gint64
rate_limit (EmuServer *server, const char *client)
{
  ClientWindow *window = g_hash_table_lookup (server->windows, client);
  gint64 now = g_get_monotonic_time ();
  gint64 span = (gint64) server->sw.rate_window * USEC_PER_SEC;
  guint attempts;
  guint n;

  if (window == NULL)
    {
      window = g_new0 (ClientWindow, 1);
      g_hash_table_insert (server->windows, g_strdup (client), window);
    }

  attempts = window_push (&window->attempts, now, span);
  server->max_attempts_in_window = MAX (server->max_attempts_in_window, attempts);

  while (!g_queue_is_empty (&window->accepted) &&
         *(gint64 *) g_queue_peek_head (&window->accepted) <= now - span)
    g_free (g_queue_pop_head (&window->accepted));

  if (server->sw.rate_calls > 0 && g_queue_get_length (&window->accepted) >= server->sw.rate_calls)
    {
      gint64 oldest = *(gint64 *) g_queue_peek_head (&window->accepted);
      gint64 wait = oldest + span - now;

      return MAX (1, (wait + USEC_PER_SEC - 1) / USEC_PER_SEC);
    }

  n = window_push (&window->accepted, now, span);
  server->max_in_window = MAX (server->max_in_window, n);
  return 0;
}

/* ---------------------------------------------------------------- call log */

/* The request body as JSON text, passwords and secrets masked. Kept as
 * text: a parsed tree per call would cost far more memory. */
static char *
logged_body (EmuRequest *req)
{
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (req->json == NULL)
    return g_strdup ("\"<not JSON>\"");

  text = json_to_string (req->json, FALSE);
  node = json_from_string (text, NULL);
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      JsonObject *user = json_object_has_member (object, "user") &&
                         JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "user")) ?
                         json_object_get_object_member (object, "user") : NULL;

      for (const char *const *k = (const char *const[]) { "password", "client_secret", NULL }; *k; k++)
        if (json_object_has_member (object, *k))
          json_object_set_string_member (object, *k, "***");
      for (const char *const *k = (const char *const[]) { "password", "password_confirmation",
                                                          "confirm_password", NULL }; user != NULL && *k; k++)
        if (json_object_has_member (user, *k))
          json_object_set_string_member (user, *k, "***");
    }
  return json_to_string (node, FALSE);
}

static JsonObject *
log_call (EmuRequest *req, gboolean with_body)
{
  EmuServer *server = req->server;
  JsonObject *entry = json_object_new ();
  g_autofree char *started = emu_format_time (emu_now ());
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (req->msg);
  const char *query = g_uri_get_query (soup_server_message_get_uri (req->msg));

  json_object_set_int_member (entry, "seq", server->next_seq++);
  json_object_set_string_member (entry, "method", req->method);
  json_object_set_string_member (entry, "path", req->path);
  json_object_set_string_member (entry, "query", query != NULL ? query : "");
  json_object_set_string_member (entry, "client", req->client);
  json_object_set_string_member (entry, "dialect", g_str_has_prefix (req->path, "/v3/") ? "classic" : "pro");
  json_object_set_string_member (entry, "started", started);
  json_object_set_int_member (entry, "started_us", g_get_monotonic_time ());
  json_object_set_boolean_member (entry, "authorized",
                                  soup_message_headers_get_one (headers, "Authorization") != NULL ||
                                  soup_message_headers_get_one (headers, "Access-Key-Id") != NULL);
  if (with_body && req->body != NULL && g_bytes_get_size (req->body) > 0)
    {
      g_autofree char *text = logged_body (req);

      json_object_set_string_member (entry, "request_body", text);
    }

  if (server->call_log_max > 0 && server->calls->len >= server->call_log_max)
    g_ptr_array_remove_range (server->calls, 0, MAX (1, server->call_log_max / 10));
  g_ptr_array_add (server->calls, entry);
  return entry;
}

/* ---------------------------------------------------------------- faults */

static gboolean
roll (EmuServer *server, double rate)
{
  return rate > 0 && g_rand_double (server->fault_rand) < rate;
}

/* Names the fault in the call's log entry and counts it. */
static void
mark_fault (EmuServer *server, JsonObject *entry, const char *fault)
{
  json_object_set_string_member (entry, "fault", fault);
  emu_count (server->by_fault, fault);
}

/* A fault's answer: the usual JSON error, or with html_errors the kind of
 * page a gateway in front of the API sends. */
static void
reply_fault (EmuServer *server, EmuRequest *req, guint status)
{
  const char *phrase = soup_status_get_phrase (status);
  char *page;

  if (!server->sw.html_errors)
    {
      emu_reply_error (req, status, phrase, NULL);
      return;
    }
  page = g_strdup_printf ("<html>\r\n<head><title>%u %s</title></head>\r\n"
                          "<body>\r\n<center><h1>%u %s</h1></center>\r\n</body>\r\n</html>\r\n",
                          status, phrase, status, phrase);
  req->status = status;
  soup_server_message_set_status (req->msg, status, NULL);
  soup_server_message_set_response (req->msg, "text/html", SOUP_MEMORY_TAKE, page, strlen (page));
}

/* Closes the connection unanswered and logs it. @fault is "dropped" when
 * the call was not applied: it counts under the endpoint "dropped", since
 * it never reached one; "dropped_after" counts under its endpoint. */
static void
drop_call (EmuServer *server, EmuRequest *req, JsonObject *entry, const char *fault)
{
  const char *route = req->route != NULL ? req->route : "dropped";

  mark_fault (server, entry, fault);
  json_object_set_string_member (entry, "status", "dropped");
  json_object_set_string_member (entry, "route", route);
  emu_count (server->by_status, "dropped");
  emu_count (server->by_endpoint, route);
  emu_drop_connection (req->msg);
}

static void
malform (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  gsize length = g_bytes_get_size (bytes);
  g_autoptr(GString) text = g_string_new_len (g_bytes_get_data (bytes, NULL), length / 2);

  g_string_append (text, "<<garbage");
  soup_message_body_truncate (body);
  soup_message_body_append (body, SOUP_MEMORY_COPY, text->str, text->len);
}

/* Cuts a 2xx answer's body in half. With @close the headers keep the full
 * length and the connection is closed after the half: the client sees the
 * connection lost while it read the answer. Without, the headers declare
 * the cut length: a complete answer whose JSON stops early. */
static void
truncate_answer (EmuRequest *req, gboolean close)
{
  SoupMessageBody *body = soup_server_message_get_response_body (req->msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  gsize length = g_bytes_get_size (bytes);
  const char *data = g_bytes_get_data (bytes, NULL);
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GString) head = NULL;
  SoupMessageHeadersIter iter;
  const char *name;
  const char *value;

  if (!close)
    {
      g_autofree char *half = g_strndup (data, length / 2);

      soup_message_body_truncate (body);
      soup_message_body_append (body, SOUP_MEMORY_COPY, half, strlen (half));
      return;
    }
  head = g_string_new (NULL);
  g_string_append_printf (head, "HTTP/1.1 %u %s\r\n", req->status,
                          soup_status_get_phrase (req->status));
  soup_message_headers_iter_init (&iter, soup_server_message_get_response_headers (req->msg));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    if (g_ascii_strcasecmp (name, "Content-Length") != 0)
      g_string_append_printf (head, "%s: %s\r\n", name, value);
  /* No "Connection: close": libsoup would take the early end for the end. */
  g_string_append_printf (head, "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n", length);
  g_string_append_len (head, data, length / 2);
  stream = soup_server_message_steal_connection (req->msg);
  if (stream == NULL)
    return;
  g_output_stream_write_all (g_io_stream_get_output_stream (stream), head->str, head->len,
                             NULL, NULL, NULL);
  g_io_stream_close (stream, NULL, NULL);
}

/* What a sign-in portal or a proxy sends instead of the API's answer. */
static void
reply_sign_in_page (EmuRequest *req)
{
  static const char page[] =
    "<!DOCTYPE html>\r\n<html>\r\n<head><title>Sign in</title></head>\r\n"
    "<body>\r\n<h1>Sign in to continue</h1>\r\n"
    "<form method=\"post\" action=\"/login\"><input name=\"user\"><input name=\"password\" "
    "type=\"password\"></form>\r\n</body>\r\n</html>\r\n";

  req->status = SOUP_STATUS_OK;
  soup_server_message_set_status (req->msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (req->msg, "text/html; charset=utf-8", SOUP_MEMORY_STATIC,
                                    page, strlen (page));
}

/* ---------------------------------------------------------------- dispatch */

static void
request_free (EmuRequest *req)
{
  g_strfreev (req->segments);
  g_clear_pointer (&req->body, g_bytes_unref);
  g_clear_pointer (&req->json, json_node_unref);
  g_free (req->client);
  g_free (req->route);
  g_free (req);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EmuRequest, request_free)

static void
parse_body (EmuRequest *req)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (req->msg);
  const char *type = soup_message_headers_get_content_type (headers, NULL);
  gsize length = g_bytes_get_size (req->body);
  g_autoptr(JsonParser) parser = NULL;

  if (length == 0)
    return;

  parser = json_parser_new ();
  if (json_parser_load_from_data (parser, g_bytes_get_data (req->body, NULL), length, NULL))
    {
      req->json = json_node_ref (json_parser_get_root (parser));
      return;
    }

  /* Form data is accepted where clients are known to send it (login). */
  if (g_strcmp0 (type, "application/x-www-form-urlencoded") == 0)
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (req->body, NULL), length);
      g_autoptr(GHashTable) form = soup_form_decode (text);
      JsonObject *object = json_object_new ();
      GHashTableIter iter;
      const char *name;
      const char *value;

      g_hash_table_iter_init (&iter, form);
      while (g_hash_table_iter_next (&iter, (gpointer *) &name, (gpointer *) &value))
        json_object_set_string_member (object, name, value);
      req->json = emu_object_node (object);
      return;
    }
  req->bad_json = TRUE;
}

static char *
client_key (EmuServer *server, EmuRequest *req)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (req->msg);
  const char *authorization = soup_message_headers_get_one (headers, "Authorization");
  const char *key_id = soup_message_headers_get_one (headers, "Access-Key-Id");
  JsonObject *body = emu_request_object (req);

  if (key_id != NULL)
    return g_strdup (key_id);
  if (authorization != NULL && g_ascii_strncasecmp (authorization, "Bearer ", 7) == 0)
    {
      const char *client = emu_server_token_client (server, authorization + 7);

      if (client != NULL)
        return g_strdup (client);
    }
  if (body != NULL && g_str_equal (req->path, "/v3/session/token") &&
      json_object_has_member (body, "client_id") &&
      JSON_NODE_HOLDS_VALUE (json_object_get_member (body, "client_id")))
    return g_strdup (json_object_get_string_member (body, "client_id"));
  return g_strdup (soup_server_message_get_remote_host (req->msg));
}

static void
count_connection (EmuServer *server, SoupServerMessage *msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);

  /* A connection counts once per stats generation, so that after a reset
   * a kept-alive connection counts again on its first call. */
  if (socket != NULL &&
      GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (socket), "emu-generation")) != server->generation)
    {
      g_object_set_data (G_OBJECT (socket), "emu-generation", GUINT_TO_POINTER (server->generation));
      server->n_connections++;
    }
}

static void handle_admin (EmuServer *server, EmuRequest *req);

/* Answers one API call: the rate limiter, then the faults, then the
 * dialects. Returns FALSE when the connection was dropped instead. */
static gboolean
answer_call (EmuServer *server, EmuRequest *req, JsonObject *entry)
{
  EmuSwitches *sw = &server->sw;
  g_autofree char *call_text = g_strdup_printf ("%s %s", req->method, req->path);
  gboolean targeted = g_pattern_match_simple (sw->fault_match, call_text);
  const char *window = g_str_equal (sw->rate_limit_by, "ip") ?
                       soup_server_message_get_remote_host (req->msg) : req->client;
  gint64 wait = rate_limit (server, window);
  gboolean drop = wait == 0 && targeted && (sw->drop_next > 0 || roll (server, sw->drop_rate));

  if (drop && sw->drop_next > 0)
    sw->drop_next--;

  if (wait > 0)
    {
      server->n_rate_limited++;
      set_retry_after (server, req->msg, wait);
      emu_reply_error (req, 429, "Rate limit exceeded", NULL);
      return TRUE;
    }
  if (drop && !sw->drop_after)
    {
      /* The request is lost: nothing was applied. */
      drop_call (server, req, entry, "dropped");
      return FALSE;
    }

  if (targeted && sw->fail_next > 0)
    {
      sw->fail_next--;
      mark_fault (server, entry, "fail_next");
      if (sw->error_retry_after >= 0)
        set_retry_after (server, req->msg, sw->error_retry_after);
      reply_fault (server, req, sw->fail_status);
    }
  else if (targeted && roll (server, sw->error_rate))
    {
      static const guint statuses[] = { 502, 503, 504 };
      guint status = statuses[g_rand_int_range (server->fault_rand, 0, G_N_ELEMENTS (statuses))];

      mark_fault (server, entry, "error_rate");
      if (sw->error_retry_after >= 0)
        set_retry_after (server, req->msg, sw->error_retry_after);
      reply_fault (server, req, status);
    }
  else if (targeted && roll (server, sw->throttle_rate))
    {
      /* A 429 of a limiter we cannot see (another client, a gateway). */
      mark_fault (server, entry, "throttled");
      if (sw->throttle_retry_after >= 0)
        set_retry_after (server, req->msg, sw->throttle_retry_after);
      emu_reply_error (req, 429, "Rate limit exceeded", NULL);
    }
  else if (targeted && (sw->html_next > 0 || roll (server, sw->html_rate)))
    {
      if (sw->html_next > 0)
        sw->html_next--;
      mark_fault (server, entry, "html");
      reply_sign_in_page (req);
    }
  else if (req->bad_json)
    emu_reply_error (req, SOUP_STATUS_BAD_REQUEST, "The request body is not valid JSON", NULL);
  else if (!emu_classic_handle (req) && !emu_pro_handle (req))
    emu_reply_error (req, SOUP_STATUS_NOT_FOUND, "Not found", NULL);

  if (drop)
    {
      /* The answer is lost: the request was applied. */
      drop_call (server, req, entry, "dropped_after");
      return FALSE;
    }
  if (targeted && SOUP_STATUS_IS_SUCCESSFUL (req->status) &&
      (sw->malformed_next > 0 || roll (server, sw->malformed_rate)))
    {
      if (sw->malformed_next > 0)
        sw->malformed_next--;
      mark_fault (server, entry, "malformed");
      malform (req->msg);
    }
  else if (targeted && SOUP_STATUS_IS_SUCCESSFUL (req->status) &&
           soup_server_message_get_response_body (req->msg)->length > 1 &&
           (sw->truncate_next > 0 || roll (server, sw->truncate_rate)))
    {
      if (sw->truncate_next > 0)
        sw->truncate_next--;
      mark_fault (server, entry, "truncated");
      if (sw->truncate_close)
        {
          json_object_set_string_member (entry, "route", req->route != NULL ? req->route : "");
          json_object_set_int_member (entry, "status", req->status);
          emu_count (server->by_endpoint, req->route != NULL ? req->route : "");
          emu_count (server->by_status, "truncated");
          truncate_answer (req, TRUE);
          return FALSE;
        }
      truncate_answer (req, FALSE);
    }
  return TRUE;
}

static void
server_callback (SoupServer        *soup,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  EmuServer *server = user_data;
  g_autoptr(EmuRequest) req = g_new0 (EmuRequest, 1);
  g_autofree char *status_text = NULL;
  g_autofree char *finished = NULL;
  JsonObject *entry;
  guint delay;

  /* The early handler already answered 413. */
  if (soup_server_message_get_status (msg) != SOUP_STATUS_NONE)
    return;

  req->server = server;
  req->msg = msg;
  req->method = soup_server_message_get_method (msg);
  req->path = path;
  req->query = query;
  req->segments = g_strsplit (path + 1, "/", -1);
  req->n_segments = g_strv_length (req->segments);
  req->body = soup_message_body_flatten (soup_server_message_get_request_body (msg));

  if (g_str_has_prefix (path, "/_admin/"))
    {
      parse_body (req);
      handle_admin (server, req);
      return;
    }

  count_connection (server, msg);
  server->n_calls++;

  if (g_bytes_get_size (req->body) > server->max_body)
    {
      req->client = g_strdup (soup_server_message_get_remote_host (msg));
      entry = log_call (req, FALSE);
      emu_reply_error (req, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "Request body too large", NULL);
    }
  else
    {
      parse_body (req);
      req->client = client_key (server, req);
      entry = log_call (req, !g_str_equal (req->method, "GET"));
      if (!answer_call (server, req, entry))
        return;
    }

  if (req->route == NULL)
    req->route = g_strdup_printf ("%s %s", req->method, path);
  status_text = g_strdup_printf ("%u", req->status);
  emu_count (server->by_endpoint, req->route);
  emu_count (server->by_status, status_text);
  json_object_set_int_member (entry, "status", req->status);
  json_object_set_string_member (entry, "route", req->route);

  delay = server->sw.latency_ms;
  if (roll (server, server->sw.slow_rate))
    delay += server->sw.slow_ms;
  finished = emu_format_time (emu_now () + (gint64) delay * 1000);
  json_object_set_int_member (entry, "delay_ms", delay);
  json_object_set_string_member (entry, "finished", finished);
  if (delay > 0)
    {
      emu_delay_answer (msg, delay);
    }
}

/* Rejects a too large body before it is read, when its length is declared. */
static void
early_callback (SoupServer        *soup,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  EmuServer *server = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > server->max_body)
    {
      g_autoptr(JsonNode) body = error_body ("Request body too large", NULL);

      soup_server_message_set_status (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, NULL);
      set_body (msg, json_to_string (body, FALSE));
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
      server->n_calls++;
      emu_count (server->by_status, "413");
    }
}

/* ---------------------------------------------------------------- admin */

static void
reset_stats (EmuServer *server)
{
  g_hash_table_remove_all (server->by_endpoint);
  g_hash_table_remove_all (server->by_status);
  g_hash_table_remove_all (server->by_fault);
  g_hash_table_remove_all (server->windows);
  server->n_calls = 0;
  server->n_rate_limited = 0;
  server->n_connections = 0;
  server->generation++;
  server->max_in_window = 0;
  server->max_attempts_in_window = 0;
}

static JsonNode *
stats_node (EmuServer *server)
{
  JsonObject *object = json_object_new ();

  json_object_set_int_member (object, "calls", server->n_calls);
  json_object_set_int_member (object, "rate_limited", server->n_rate_limited);
  json_object_set_int_member (object, "connections", server->n_connections);
  json_object_set_int_member (object, "max_calls_in_window", server->max_in_window);
  json_object_set_int_member (object, "max_attempts_in_window", server->max_attempts_in_window);
  json_object_set_int_member (object, "window_seconds", server->sw.rate_window);
  json_object_set_int_member (object, "rate_limit_calls", server->sw.rate_calls);
  json_object_set_member (object, "endpoints", emu_counts_node (server->by_endpoint));
  json_object_set_member (object, "statuses", emu_counts_node (server->by_status));
  json_object_set_member (object, "faults", emu_counts_node (server->by_fault));
  return emu_object_node (object);
}

static JsonNode *
calls_node (EmuServer *server, EmuRequest *req)
{
  const char *since_text = emu_request_query (req, "since");
  const char *limit_text = emu_request_query (req, "limit");
  const char *bodies = emu_request_query (req, "bodies");
  gint64 since = since_text != NULL ? g_ascii_strtoll (since_text, NULL, 10) : 0;
  gint64 limit = limit_text != NULL ? g_ascii_strtoll (limit_text, NULL, 10) : G_MAXINT64;
  gboolean with_bodies = g_strcmp0 (bodies, "0") != 0 && g_strcmp0 (bodies, "false") != 0;
  JsonObject *object = json_object_new ();
  JsonArray *calls = json_array_new ();
  guint first = emu_call_log_find (server->calls, since);

  for (guint i = first; i < server->calls->len && json_array_get_length (calls) < limit; i++)
    {
      JsonObject *entry = g_ptr_array_index (server->calls, i);
      JsonObject *copy = json_object_new ();
      JsonObjectIter iter;
      const char *name;
      JsonNode *node;

      json_object_iter_init_ordered (&iter, entry);
      while (json_object_iter_next_ordered (&iter, &name, &node))
        {
          if (!g_str_equal (name, "request_body"))
            json_object_set_member (copy, name, json_node_copy (node));
          else if (with_bodies)
            json_object_set_member (copy, name, json_from_string (json_node_get_string (node), NULL));
        }
      json_array_add_object_element (calls, copy);
    }

  json_object_set_int_member (object, "next_seq", server->next_seq);
  json_object_set_array_member (object, "calls", calls);
  return emu_object_node (object);
}

static gboolean
reset_state (EmuServer *server, GError **error)
{
  EmuState *fresh = emu_state_new_from_json (server->seed, server->random_seed, error);

  if (fresh == NULL)
    return FALSE;
  emu_state_free (server->state);
  server->state = fresh;
  return TRUE;
}

static gboolean
want (JsonObject *object, const char *name)
{
  return object == NULL || json_object_get_boolean_member_with_default (object, name, TRUE);
}

static void
handle_admin (EmuServer *server, EmuRequest *req)
{
  const char *what = req->path + strlen ("/_admin/");
  gboolean get = g_str_equal (req->method, "GET");
  gboolean post = g_str_equal (req->method, "POST");
  JsonObject *body = emu_request_object (req);
  g_autoptr(GError) error = NULL;

  if (req->bad_json)
    emu_reply_error (req, SOUP_STATUS_BAD_REQUEST, "The request body is not valid JSON", NULL);
  else if (get && g_str_equal (what, "health"))
    {
      JsonObject *object = json_object_new ();

      json_object_set_boolean_member (object, "ok", TRUE);
      json_object_set_int_member (object, "port", emu_server_port (server));
      emu_reply (req, SOUP_STATUS_OK, emu_object_node (object));
    }
  else if (get && g_str_equal (what, "state"))
    emu_reply (req, SOUP_STATUS_OK, emu_state_dump (server->state));
  else if (get && g_str_equal (what, "calls"))
    emu_reply (req, SOUP_STATUS_OK, calls_node (server, req));
  else if (g_str_equal (req->method, "DELETE") && g_str_equal (what, "calls"))
    {
      g_ptr_array_set_size (server->calls, 0);
      emu_reply (req, SOUP_STATUS_OK, calls_node (server, req));
    }
  else if (get && g_str_equal (what, "stats"))
    emu_reply (req, SOUP_STATUS_OK, stats_node (server));
  else if (get && g_str_equal (what, "faults"))
    emu_reply (req, SOUP_STATUS_OK, emu_server_dump_switches (server));
  else if (post && g_str_equal (what, "faults"))
    {
      if (body == NULL)
        emu_reply_error (req, SOUP_STATUS_BAD_REQUEST, "Send a JSON object of switches", NULL);
      else if (!emu_server_apply_switches (server, body, &error))
        emu_reply_error (req, SOUP_STATUS_BAD_REQUEST, error->message, NULL);
      else
        emu_reply (req, SOUP_STATUS_OK, emu_server_dump_switches (server));
    }
  else if (post && g_str_equal (what, "reset"))
    {
      if (want (body, "state") && !reset_state (server, &error))
        emu_reply_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message, NULL);
      else
        {
          if (want (body, "calls"))
            {
              g_ptr_array_set_size (server->calls, 0);
              server->next_seq = 1;
            }
          if (want (body, "stats"))
            reset_stats (server);
          if (want (body, "tokens"))
            g_hash_table_remove_all (server->tokens);
          if (want (body, "faults"))
            {
              switches_copy (&server->sw, &server->initial);
              g_hash_table_remove_all (server->granular);
              g_rand_set_seed (server->fault_rand, server->random_seed);
            }
          emu_reply (req, SOUP_STATUS_OK, stats_node (server));
        }
    }
  else if (post && g_str_equal (what, "save"))
    {
      if (!emu_server_save (server, &error))
        emu_reply_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message, NULL);
      else
        {
          JsonObject *object = json_object_new ();

          json_object_set_string_member (object, "saved", server->save_path);
          emu_reply (req, SOUP_STATUS_OK, emu_object_node (object));
        }
    }
  else
    emu_reply_error (req, SOUP_STATUS_NOT_FOUND, "Unknown admin endpoint", NULL);
}

/* ---------------------------------------------------------------- public API */

EmuServer *
emu_server_new (EmuState *state, JsonNode *seed, guint32 random_seed)
{
  EmuServer *server = g_new0 (EmuServer, 1);

  server->state = state;
  server->seed = json_node_ref (seed);
  server->random_seed = random_seed;
  server->fault_rand = g_rand_new_with_seed (random_seed);
  switches_init (&server->sw);
  switches_init (&server->initial);
  server->max_body = 8 * 1024 * 1024;
  server->call_log_max = 200000;
  server->next_seq = 1;
  server->generation = 1;
  server->tokens = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) token_free);
  server->windows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) client_window_free);
  server->granular = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  server->calls = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  server->by_endpoint = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  server->by_status = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  server->by_fault = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return server;
}

void
emu_server_free (EmuServer *server)
{
  if (server == NULL)
    return;
  if (server->soup != NULL)
    soup_server_disconnect (server->soup);
  g_clear_object (&server->soup);
  emu_state_free (server->state);
  g_clear_pointer (&server->seed, json_node_unref);
  g_clear_pointer (&server->fault_rand, g_rand_free);
  switches_clear (&server->sw);
  switches_clear (&server->initial);
  g_free (server->save_path);
  g_clear_pointer (&server->tokens, g_hash_table_unref);
  g_clear_pointer (&server->windows, g_hash_table_unref);
  g_clear_pointer (&server->granular, g_hash_table_unref);
  g_clear_pointer (&server->calls, g_ptr_array_unref);
  g_clear_pointer (&server->by_endpoint, g_hash_table_unref);
  g_clear_pointer (&server->by_status, g_hash_table_unref);
  g_clear_pointer (&server->by_fault, g_hash_table_unref);
  g_free (server);
}

EmuSwitches *
emu_server_switches (EmuServer *server)
{
  return &server->sw;
}

EmuState *
emu_server_state (EmuServer *server)
{
  return server->state;
}

void
emu_server_set_limits (EmuServer *server, gsize max_body, guint call_log_max)
{
  server->max_body = max_body;
  server->call_log_max = call_log_max;
}

/* Makes the current switches the ones /_admin/reset goes back to. */
void
emu_server_commit_switches (EmuServer *server)
{
  switches_copy (&server->initial, &server->sw);
}

void
emu_server_set_save_path (EmuServer *server, const char *path)
{
  g_free (server->save_path);
  server->save_path = g_strdup (path);
}

gboolean
emu_server_save (EmuServer *server, GError **error)
{
  g_autoptr(JsonNode) dump = NULL;
  g_autoptr(JsonGenerator) generator = NULL;

  if (server->save_path == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "No --save file was given");
      return FALSE;
    }
  dump = emu_state_dump (server->state);
  generator = json_generator_new ();
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, dump);
  return json_generator_to_file (generator, server->save_path, error);
}

gboolean
emu_server_listen (EmuServer *server, guint port, GTlsCertificate *certificate, GError **error)
{
  server->soup = soup_server_new ("server-header", "AssetPandaEmulator/1.0", NULL);
  soup_server_add_early_handler (server->soup, NULL, early_callback, server, NULL);
  soup_server_add_handler (server->soup, NULL, server_callback, server, NULL);
  return emu_soup_listen (server->soup, port, certificate, error);
}

guint
emu_server_port (EmuServer *server)
{
  return emu_soup_port (server->soup);
}
