/* test-okta-client.c — the Okta client and source against a small fake Okta
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The fake answers the few endpoints the client reads, with the shapes and
 * faults a test needs exactly when it needs them (Link paging with opaque
 * cursors, a foreign next link, 429 with X-Rate-Limit-Reset, a bucket that
 * runs dry, cut-off bodies, 500 E0000009 on big pages, web pages, 401/403/
 * 404). The end-to-end behaviour against the Okta emulator is in
 * tests/sync/test-sync-okta.py.
 */

#include <string.h>
#include <libsoup/soup.h>

#include "ps-test.h"
#include "ps-okta-client.h"
#include "ps-okta-source.h"

#define TOKEN       "00QCjAl4MlV-WPXM-good-token"
#define WEAK_TOKEN  "00QCjAl4MlV-WPXM-weak-token"
#define STAFF       "00gSTAFF000000000001"
#define EMPTY_GROUP "00gEMPTY000000000002"

/* ---------------------------------------------------------------- the fake */

typedef struct {
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  SoupServer   *server;
  char         *url;
  GMutex        lock;
  /* what it serves */
  GPtrArray    *users;          /* JsonObject* of the group STAFF, in order */
  guint         page_size;      /* the largest page it gives */
  /* faults, each used up as it fires */
  guint         fail_429;       /* answer 429 this many times */
  guint         dry_bucket;     /* answer with X-Rate-Limit-Remaining: 0 this many times */
  guint         truncate;       /* cut off this many 2xx bodies */
  guint         fail_503;
  guint         timeout_over;   /* 500 E0000009 when limit is above this (0: never) */
  gboolean      foreign_next;
  gboolean      html;
  /* what it saw */
  GPtrArray    *calls;          /* "PATH?QUERY" */
  guint         bad_authorization;
} Fake;

static void
add_user (Fake       *fake,
          const char *id,
          const char *status,
          const char *transitioning,
          const char *department,
          const char *employee_number)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *email = g_strconcat (id, "@example.com", NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, id);
  if (status != NULL)
    {
      json_builder_set_member_name (b, "status");
      json_builder_add_string_value (b, status);
    }
  json_builder_set_member_name (b, "transitioningToStatus");
  if (transitioning != NULL)
    json_builder_add_string_value (b, transitioning);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "profile");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "login");
  json_builder_add_string_value (b, id);
  json_builder_set_member_name (b, "email");
  json_builder_add_string_value (b, email);
  json_builder_set_member_name (b, "firstName");
  json_builder_add_string_value (b, "First");
  json_builder_set_member_name (b, "lastName");
  json_builder_add_string_value (b, id);
  if (department != NULL)
    {
      json_builder_set_member_name (b, "department");
      json_builder_add_string_value (b, department);
    }
  if (employee_number != NULL)
    {
      json_builder_set_member_name (b, "employeeNumber");
      json_builder_add_string_value (b, employee_number);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  g_ptr_array_add (fake->users, json_object_ref (json_node_get_object (root)));
}

static char *
to_json (JsonNode *node)
{
  return json_to_string (node, FALSE);
}

static char *
error_body (const char *code,
            const char *summary)
{
  return g_strdup_printf ("{\"errorCode\":\"%s\",\"errorSummary\":\"%s\",\"errorLink\":\"%s\","
                          "\"errorId\":\"oae1\",\"errorCauses\":[]}", code, summary, code);
}

/* The tiny part of Okta's search the fake needs: A eq "V" [and …]. */
static gboolean
matches (JsonObject *user,
         const char *search)
{
  g_auto(GStrv) terms = g_strsplit (search, " and ", -1);

  for (guint i = 0; terms[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (terms[i], " eq ", 2);
      g_autofree char *value = NULL;
      g_autofree char *have = NULL;

      if (parts[0] == NULL || parts[1] == NULL)
        return FALSE;
      value = g_strndup (parts[1] + 1, strlen (parts[1]) - 2);
      have = ps_okta_user_get_string (user, parts[0]);
      if (have == NULL || g_ascii_strcasecmp (have, value) != 0)
        return FALSE;
    }
  return TRUE;
}

static void
page_of (Fake              *fake,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         GPtrArray         *list,
         char             **body)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *limit_text = query != NULL ? g_hash_table_lookup (query, "limit") : NULL;
  const char *after = query != NULL ? g_hash_table_lookup (query, "after") : NULL;
  guint limit = limit_text != NULL ? (guint) g_ascii_strtoull (limit_text, NULL, 10) : 1000;
  guint start = 0;
  g_autoptr(JsonArray) page = json_array_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_ARRAY);
  g_autofree char *self_link = NULL;

  limit = MIN (limit, fake->page_size);
  if (after != NULL)
    /* cursors that look unlike ids: "c~<index>~x" */
    start = (guint) g_ascii_strtoull (after + 2, NULL, 10);
  for (guint i = start; i < list->len && i < start + limit; i++)
    json_array_add_object_element (page, json_object_ref (g_ptr_array_index (list, i)));
  self_link = g_strdup_printf ("<%s%s?limit=%u>; rel=\"self\"", fake->url, path, limit);
  soup_message_headers_append (headers, "Link", self_link);
  if (start + limit < list->len)
    {
      g_autofree char *search = NULL;
      g_autofree char *next = NULL;
      const char *s = query != NULL ? g_hash_table_lookup (query, "search") : NULL;

      if (s != NULL)
        {
          g_autofree char *escaped = g_uri_escape_string (s, NULL, TRUE);
          search = g_strdup_printf ("search=%s&", escaped);
        }
      next = g_strdup_printf ("<%s%s?%safter=c~%u~x&limit=%u>; rel=\"next\"",
                              fake->foreign_next ? "https://evil.example" : fake->url, path,
                              search != NULL ? search : "", start + limit, limit);
      soup_message_headers_append (headers, "Link", next);
    }
  json_node_take_array (node, g_steal_pointer (&page));
  *body = to_json (node);
}

static void
on_fake_request_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    const char        *path,
                    GHashTable        *query,
                    gpointer           user_data)
{
  Fake *fake = user_data;
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *authorization = soup_message_headers_get_one (request, "Authorization");
  const char *type = "application/json";
  g_autofree char *body = NULL;
  g_autofree char *date = NULL;
  g_autofree char *reset = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  const char *remaining = "599";
  guint status = 200;
  gboolean weak = FALSE;
  gboolean truncate = FALSE;

  g_mutex_lock (&fake->lock);
  {
    GUri *uri = soup_server_message_get_uri (msg);
    g_ptr_array_add (fake->calls, g_strdup_printf ("%s?%s", path, g_uri_get_query (uri) != NULL
                                                                  ? g_uri_get_query (uri) : ""));
  }
  date = soup_date_time_to_string (now, SOUP_DATE_HTTP);
  soup_message_headers_replace (headers, "Date", date);
  soup_message_headers_replace (headers, "X-Okta-Request-Id", "fake-req");
  reset = g_strdup_printf ("%" G_GINT64_FORMAT, g_date_time_to_unix (now) + 1);

  if (g_strcmp0 (authorization, "SSWS " WEAK_TOKEN) == 0)
    weak = TRUE;
  else if (g_strcmp0 (authorization, "SSWS " TOKEN) != 0)
    {
      fake->bad_authorization++;
      status = 401;
      body = error_body ("E0000011", "Invalid token provided");
    }
  if (body == NULL && fake->fail_429 > 0)
    {
      fake->fail_429--;
      status = 429;
      remaining = "0";
      body = error_body ("E0000047", "API call exceeded rate limit due to too many requests.");
    }
  else if (body == NULL && fake->fail_503 > 0)
    {
      fake->fail_503--;
      status = 503;
      body = g_strdup ("{}");
    }
  else if (body == NULL && fake->html)
    {
      type = "text/html";
      body = g_strdup ("<!DOCTYPE html><html><body>Okta Sign-In</body></html>");
    }
  else if (body == NULL && fake->timeout_over > 0 && query != NULL
           && g_hash_table_lookup (query, "limit") != NULL
           && g_ascii_strtoull (g_hash_table_lookup (query, "limit"), NULL, 10) > fake->timeout_over)
    {
      status = 500;
      body = error_body ("E0000009", "Internal Server Error");
    }
  if (body == NULL)
    {
      if (g_str_equal (path, "/api/v1/users/me"))
        body = g_strdup ("{\"id\":\"00uADMIN00000000000\",\"status\":\"ACTIVE\","
                         "\"profile\":{\"login\":\"sync-admin@example.com\"}}");
      else if (weak && g_str_has_prefix (path, "/api/v1/groups"))
        {
          status = 403;
          body = error_body ("E0000006", "You do not have permission to perform the requested "
                                         "action");
        }
      else if (g_str_equal (path, "/api/v1/groups"))
        {
          const char *search = query != NULL ? g_hash_table_lookup (query, "search") : NULL;

          if (search != NULL && strstr (search, "\"Twins\"") != NULL)
            body = g_strdup ("[{\"id\":\"00gTWIN1000000000001\",\"type\":\"OKTA_GROUP\","
                             "\"profile\":{\"name\":\"Twins\"}},{\"id\":\"00gTWIN2000000000002\","
                             "\"type\":\"OKTA_GROUP\",\"profile\":{\"name\":\"Twins\"}}]");
          else if (search != NULL && strstr (search, "\"Staff\"") != NULL)
            body = g_strdup ("[{\"id\":\"" STAFF "\",\"type\":\"OKTA_GROUP\",\"profile\":"
                             "{\"name\":\"Staff\",\"description\":\"Everyone\"}}]");
          else if (search != NULL)
            body = g_strdup ("[]");
          else
            body = g_strdup ("[{\"id\":\"" STAFF "\",\"type\":\"OKTA_GROUP\",\"profile\":"
                             "{\"name\":\"Staff\"}},{\"id\":\"" EMPTY_GROUP "\",\"type\":"
                             "\"OKTA_GROUP\",\"profile\":{\"name\":\"Empty\"}}]");
        }
      else if (g_str_equal (path, "/api/v1/groups/" STAFF))
        body = g_strdup ("{\"id\":\"" STAFF "\",\"type\":\"OKTA_GROUP\",\"profile\":"
                         "{\"name\":\"Staff\"}}");
      else if (g_str_equal (path, "/api/v1/groups/" EMPTY_GROUP))
        body = g_strdup ("{\"id\":\"" EMPTY_GROUP "\",\"type\":\"OKTA_GROUP\",\"profile\":"
                         "{\"name\":\"Empty\"}}");
      else if (g_str_equal (path, "/api/v1/groups/" STAFF "/users"))
        page_of (fake, msg, path, query, fake->users, &body);
      else if (g_str_equal (path, "/api/v1/groups/" EMPTY_GROUP "/users"))
        body = g_strdup ("[]");
      else if (g_str_equal (path, "/api/v1/users"))
        {
          const char *search = query != NULL ? g_hash_table_lookup (query, "search") : NULL;
          g_autoptr(GPtrArray) found = g_ptr_array_new ();

          for (guint i = 0; i < fake->users->len; i++)
            if (search == NULL || matches (g_ptr_array_index (fake->users, i), search))
              g_ptr_array_add (found, g_ptr_array_index (fake->users, i));
          page_of (fake, msg, path, query, found, &body);
        }
      else if (g_str_has_prefix (path, "/api/v1/users/"))
        {
          const char *id = path + strlen ("/api/v1/users/");

          for (guint i = 0; i < fake->users->len && body == NULL; i++)
            if (g_strcmp0 (ps_okta_user_get_id (g_ptr_array_index (fake->users, i)), id) == 0)
              {
                g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
                json_node_set_object (node, g_ptr_array_index (fake->users, i));
                body = to_json (node);
              }
          if (body == NULL)
            {
              status = 404;
              body = g_strdup_printf ("{\"errorCode\":\"E0000007\",\"errorSummary\":\"Not found: "
                                      "Resource not found: %s (User)\",\"errorCauses\":[]}", id);
            }
        }
      else
        {
          status = 404;
          body = error_body ("E0000007", "Not found");
        }
    }
  if (status == 200 && fake->dry_bucket > 0)
    {
      fake->dry_bucket--;
      remaining = "0";
    }
  if (status == 200 && fake->truncate > 0)
    {
      fake->truncate--;
      truncate = TRUE;
    }
  g_mutex_unlock (&fake->lock);

  soup_message_headers_replace (headers, "X-Rate-Limit-Limit", "600");
  soup_message_headers_replace (headers, "X-Rate-Limit-Remaining", remaining);
  soup_message_headers_replace (headers, "X-Rate-Limit-Reset", reset);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY, body,
                                    truncate ? strlen (body) / 2 : strlen (body));
}

static gpointer
fake_thread (gpointer data)
{
  Fake *fake = data;

  g_main_context_push_thread_default (fake->context);
  g_main_loop_run (fake->loop);
  g_main_context_pop_thread_default (fake->context);
  return NULL;
}

static Fake *
fake_start (void)
{
  Fake *fake = g_new0 (Fake, 1);
  g_autoptr(GError) error = NULL;
  g_autoslist(GUri) uris = NULL;

  g_mutex_init (&fake->lock);
  fake->users = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  fake->calls = g_ptr_array_new_with_free_func (g_free);
  fake->page_size = 200;
  fake->context = g_main_context_new ();
  fake->loop = g_main_loop_new (fake->context, FALSE);
  g_main_context_push_thread_default (fake->context);
  fake->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (fake->server, NULL, on_fake_request_cb, fake, NULL);
  soup_server_listen_local (fake->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  g_main_context_pop_thread_default (fake->context);
  uris = soup_server_get_uris (fake->server);
  fake->url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  fake->thread = g_thread_new ("fake-okta", fake_thread, fake);
  return fake;
}

static void
fake_stop (Fake *fake)
{
  g_main_loop_quit (fake->loop);
  g_thread_join (fake->thread);
  g_main_context_push_thread_default (fake->context);
  soup_server_disconnect (fake->server);
  g_clear_object (&fake->server);
  g_main_context_pop_thread_default (fake->context);
  g_main_loop_unref (fake->loop);
  g_main_context_unref (fake->context);
  g_mutex_clear (&fake->lock);
  g_ptr_array_unref (fake->users);
  g_ptr_array_unref (fake->calls);
  g_free (fake->url);
  g_free (fake);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fake, fake_stop)

/* The staff: five at work, and one of each other kind. */
static void
fake_add_staff (Fake *fake)
{
  add_user (fake, "00uACTIVE00000000001", "ACTIVE", NULL, "Sales", "1001");
  add_user (fake, "00uPROVISIONED000002", "PROVISIONED", NULL, "Sales", "1002");
  add_user (fake, "00uRECOVERY000000003", "RECOVERY", NULL, "Support", "1003");
  add_user (fake, "00uEXPIRED0000000004", "PASSWORD_EXPIRED", NULL, "Support", "1004");
  add_user (fake, "00uLOCKED00000000005", "LOCKED_OUT", NULL, "Sales", NULL);
  add_user (fake, "00uSUSPENDED00000006", "SUSPENDED", NULL, "Sales", "1006");
  add_user (fake, "00uDEPROVISIONED0007", "DEPROVISIONED", NULL, "Support", "1007");
  add_user (fake, "00uSTAGED00000000008", "STAGED", NULL, "Sales", "1008");
  add_user (fake, "00uLEAVING0000000009", "ACTIVE", "DEPROVISIONED", "Sales", "1009");
}

static PsOktaClient *
fake_client (Fake       *fake,
             const char *token)
{
  g_autoptr(GError) error = NULL;
  PsOktaClientConfig config = { 0 };
  PsOktaClient *client;

  config.org_url = fake->url;
  client = ps_okta_client_new (&config, token, &error);
  g_assert_no_error (error);
  ps_okta_client_set_retry (client, 4, 10, 40, 5);
  return client;
}

static guint
calls_to (Fake       *fake,
          const char *prefix)
{
  guint n = 0;

  g_mutex_lock (&fake->lock);
  for (guint i = 0; i < fake->calls->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (fake->calls, i), prefix))
      n++;
  g_mutex_unlock (&fake->lock);
  return n;
}

typedef struct {
  GPtrArray *ids;
  guint      pages;
} Collected;

static gboolean
collect_cb (JsonArray  *page,
            gpointer    user_data,
            GError    **error)
{
  Collected *c = user_data;

  c->pages++;
  for (guint i = 0; i < json_array_get_length (page); i++)
    g_ptr_array_add (c->ids, g_strdup (ps_okta_user_get_id (
      json_node_get_object (json_array_get_element (page, i)))));
  return TRUE;
}

/* ---------------------------------------------------------------- the client */

static void
test_paging (void)
{
  g_autoptr(Fake) fake = fake_start ();
  g_autoptr(PsOktaClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  Collected c = { ids, 0 };

  fake_add_staff (fake);
  fake->page_size = 2;
  client = fake_client (fake, TOKEN);
  g_assert_true (ps_okta_client_read_group_users_sync (client, STAFF, collect_cb, &c, NULL,
                                                       &error));
  g_assert_no_error (error);
  /* every member once, in five pages of two, the cursors followed as sent */
  g_assert_cmpuint (ids->len, ==, 9);
  g_assert_cmpuint (c.pages, ==, 5);
  g_assert_cmpstr (g_ptr_array_index (ids, 8), ==, "00uLEAVING0000000009");
  g_assert_cmpuint (calls_to (fake, "/api/v1/groups/" STAFF "/users?after=c~"), ==, 4);
  g_assert_cmpuint (fake->bad_authorization, ==, 0);
}

static void
test_foreign_link (void)
{
  g_autoptr(Fake) fake = fake_start ();
  g_autoptr(PsOktaClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  Collected c = { ids, 0 };

  fake_add_staff (fake);
  fake->page_size = 2;
  fake->foreign_next = TRUE;
  client = fake_client (fake, TOKEN);
  g_assert_false (ps_okta_client_read_group_users_sync (client, STAFF, collect_cb, &c, NULL,
                                                        &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_UNEXPECTED);
  g_assert_nonnull (strstr (error->message, "evil.example"));
  g_assert_null (strstr (error->message, TOKEN));
}

static void
test_rate_limits (void)
{
  g_autoptr(Fake) fake = fake_start ();
  g_autoptr(PsOktaClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  Collected c = { ids, 0 };
  PsOktaStats stats = { 0 };
  gint64 started;
  guint limit = 0;
  guint remaining = 0;

  fake_add_staff (fake);
  fake->page_size = 3;
  client = fake_client (fake, TOKEN);

  /* A 429 holds the client until the window resets (Reset − Date + 1 s). */
  fake->fail_429 = 1;
  started = g_get_monotonic_time ();
  g_assert_true (ps_okta_client_read_group_users_sync (client, STAFF, collect_cb, &c, NULL,
                                                       &error));
  g_assert_no_error (error);
  ps_okta_client_get_stats (client, &stats);
  g_assert_cmpuint (stats.throttled, ==, 1);
  g_assert_cmpint (g_get_monotonic_time () - started, >=, G_USEC_PER_SEC);
  g_assert_cmpuint (ids->len, ==, 9);

  /* A bucket with nothing left: the next request waits for the reset
   * instead of running into a 429. */
  g_ptr_array_set_size (ids, 0);
  fake->dry_bucket = 1;
  started = g_get_monotonic_time ();
  g_assert_true (ps_okta_client_read_group_users_sync (client, STAFF, collect_cb, &c, NULL,
                                                       &error));
  g_assert_no_error (error);
  ps_okta_client_get_stats (client, &stats);
  g_assert_cmpuint (stats.paced, ==, 1);
  g_assert_cmpuint (stats.throttled, ==, 1);
  g_assert_cmpint (g_get_monotonic_time () - started, >=, G_USEC_PER_SEC);
  g_assert_cmpuint (ids->len, ==, 9);
  g_assert_true (ps_okta_client_get_rate_limit (client, &limit, &remaining));
  g_assert_cmpuint (limit, ==, 600);
  g_assert_cmpuint (remaining, ==, 599);

  /* A 429 that does not clear is named, after the retries. */
  ps_okta_client_set_retry (client, 2, 10, 40, 1);
  fake->fail_429 = 100;
  g_assert_false (ps_okta_client_read_group_users_sync (client, STAFF, NULL, NULL, NULL, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_THROTTLED);
  fake->fail_429 = 0;
}

static void
test_retries (void)
{
  g_autoptr(Fake) fake = fake_start ();
  g_autoptr(PsOktaClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  Collected c = { ids, 0 };
  PsOktaStats stats = { 0 };

  fake_add_staff (fake);
  fake->page_size = 4;
  client = fake_client (fake, TOKEN);

  /* a cut-off page and a 503 are asked again; nothing is delivered twice */
  fake->truncate = 1;
  fake->fail_503 = 1;
  g_assert_true (ps_okta_client_read_group_users_sync (client, STAFF, collect_cb, &c, NULL,
                                                       &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 9);
  ps_okta_client_get_stats (client, &stats);
  g_assert_cmpuint (stats.malformed, ==, 1);
  g_assert_cmpuint (stats.unavailable, ==, 1);

  /* Okta's own timeout on a big page: the page is asked again, smaller */
  g_ptr_array_set_size (ids, 0);
  g_mutex_lock (&fake->lock);
  g_ptr_array_set_size (fake->calls, 0);
  g_mutex_unlock (&fake->lock);
  fake->timeout_over = 60;
  g_assert_true (ps_okta_client_read_group_users_sync (client, STAFF, collect_cb, &c, NULL,
                                                       &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 9);
  g_assert_cmpuint (calls_to (fake, "/api/v1/groups/" STAFF "/users?limit=200"), ==, 1);
  g_assert_cmpuint (calls_to (fake, "/api/v1/groups/" STAFF "/users?limit=100"), ==, 1);
  g_assert_cmpuint (calls_to (fake, "/api/v1/groups/" STAFF "/users?limit=50"), ==, 1);
  fake->timeout_over = 0;

  /* a web page is named at once, never retried */
  fake->html = TRUE;
  g_mutex_lock (&fake->lock);
  g_ptr_array_set_size (fake->calls, 0);
  g_mutex_unlock (&fake->lock);
  g_assert_false (ps_okta_client_read_group_users_sync (client, STAFF, NULL, NULL, NULL, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_UNEXPECTED);
  g_assert_nonnull (strstr (error->message, "web page"));
  g_assert_cmpuint (calls_to (fake, "/"), ==, 1);
}

static void
test_refusals (void)
{
  g_autoptr(Fake) fake = fake_start ();
  g_autoptr(PsOktaClient) client = NULL;
  g_autoptr(PsOktaClient) wrong = NULL;
  g_autoptr(PsOktaClient) weak = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) user = NULL;

  fake_add_staff (fake);
  client = fake_client (fake, TOKEN);
  wrong = fake_client (fake, "not-the-token");
  weak = fake_client (fake, WEAK_TOKEN);

  user = ps_okta_client_get_user_sync (client, "00uGONE0000000000000", NULL, &error);
  g_assert_null (user);
  g_assert_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_NOT_FOUND);
  g_clear_error (&error);
  user = ps_okta_client_get_user_sync (client, "00uACTIVE00000000001", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ps_okta_user_get_status (user), ==, "ACTIVE");

  g_assert_false (ps_okta_client_read_group_users_sync (wrong, STAFF, NULL, NULL, NULL, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "E0000011"));
  g_assert_null (strstr (error->message, "not-the-token"));
  g_clear_error (&error);

  g_assert_false (ps_okta_client_read_group_users_sync (weak, STAFF, NULL, NULL, NULL, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_PERMISSION);
  g_assert_nonnull (strstr (error->message, "E0000006"));
  g_clear_error (&error);

  g_assert_null (ps_okta_client_get_group_sync (client, "00gNOPE0000000000000", NULL, &error));
  g_assert_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_NOT_FOUND);
}

static void
test_groups (void)
{
  g_autoptr(Fake) fake = fake_start ();
  g_autoptr(PsOktaClient) client = fake_client (fake, TOKEN);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) named = NULL;
  g_autoptr(GPtrArray) twins = NULL;
  g_autoptr(GPtrArray) by_id = NULL;

  all = ps_okta_client_find_groups_sync (client, NULL, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 2);
  /* sorted by name */
  g_assert_cmpstr (((PsOktaGroup *) g_ptr_array_index (all, 0))->name, ==, "Empty");

  named = ps_okta_client_find_groups_by_name_sync (client, "Staff", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (named->len, ==, 1);
  g_assert_cmpstr (((PsOktaGroup *) g_ptr_array_index (named, 0))->description, ==, "Everyone");
  g_assert_cmpuint (calls_to (fake, "/api/v1/groups?search=profile.name%20eq%20%22Staff%22"), ==,
                    1);

  twins = ps_okta_client_find_groups_by_name_sync (client, "Twins", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (twins->len, ==, 2);

  by_id = ps_okta_client_find_groups_sync (client, STAFF, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (by_id->len, ==, 1);
}

static PsConnectionStep *
step_of (GPtrArray  *steps,
         const char *id)
{
  for (guint i = 0; i < steps->len; i++)
    if (g_str_equal (((PsConnectionStep *) g_ptr_array_index (steps, i))->id, id))
      return g_ptr_array_index (steps, i);
  g_error ("no step %s", id);
  return NULL;
}

static void
test_connection_test (void)
{
  g_autoptr(Fake) fake = fake_start ();
  g_autoptr(PsOktaClient) client = fake_client (fake, TOKEN);
  g_autoptr(PsOktaClient) wrong = fake_client (fake, "not-the-token");
  g_autoptr(PsOktaClient) weak = fake_client (fake, WEAK_TOKEN);
  g_autoptr(GPtrArray) steps = NULL;

  steps = ps_okta_client_test_sync (client, "Staff", NULL);
  for (guint i = 0; i < steps->len; i++)
    {
      PsConnectionStep *s = g_ptr_array_index (steps, i);
      g_test_message ("%s: %s — %s", s->id, ps_step_status_to_string (s->status), s->message);
    }
  g_assert_true (ps_connection_steps_passed (steps));
  g_assert_cmpuint (steps->len, ==, 7);
  g_assert_nonnull (strstr (step_of (steps, "token")->message, "sync-admin@example.com"));
  g_assert_nonnull (strstr (step_of (steps, "users")->message, "599 of 600"));
  g_assert_nonnull (strstr (step_of (steps, "group")->message, STAFF));
  g_clear_pointer (&steps, g_ptr_array_unref);

  steps = ps_okta_client_test_sync (wrong, NULL, NULL);
  g_assert_false (ps_connection_steps_passed (steps));
  g_assert_cmpint (step_of (steps, "connect")->status, ==, PS_STEP_OK);
  g_assert_cmpint (step_of (steps, "token")->status, ==, PS_STEP_FAILED);
  g_assert_error (step_of (steps, "token")->error, PS_OKTA_ERROR, PS_OKTA_ERROR_AUTH);
  g_assert_cmpint (step_of (steps, "users")->status, ==, PS_STEP_SKIPPED);
  g_clear_pointer (&steps, g_ptr_array_unref);

  steps = ps_okta_client_test_sync (weak, NULL, NULL);
  g_assert_cmpint (step_of (steps, "users")->status, ==, PS_STEP_OK);
  g_assert_cmpint (step_of (steps, "groups")->status, ==, PS_STEP_FAILED);
  g_assert_error (step_of (steps, "groups")->error, PS_OKTA_ERROR, PS_OKTA_ERROR_PERMISSION);
  g_clear_pointer (&steps, g_ptr_array_unref);

  steps = ps_okta_client_test_sync (client, "Twins", NULL);
  g_assert_error (step_of (steps, "group")->error, PS_OKTA_ERROR, PS_OKTA_ERROR_AMBIGUOUS);
}

static void
test_connection_unreachable (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(PsOktaClient) closed = NULL;
  g_autoptr(PsOktaClient) nowhere = NULL;
  g_autoptr(GPtrArray) steps = NULL;
  g_autofree char *url = NULL;
  PsOktaClientConfig config = { 0 };
  guint16 port;

  /* Take a free port, then close it. */
  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_listener_close (listener);
  url = g_strdup_printf ("http://127.0.0.1:%u", port);
  config.org_url = url;
  closed = ps_okta_client_new (&config, TOKEN, &error);
  g_assert_no_error (error);
  ps_okta_client_set_retry (closed, 2, 10, 20, 1);
  steps = ps_okta_client_test_sync (closed, NULL, NULL);
  g_assert_cmpint (step_of (steps, "resolve")->status, ==, PS_STEP_OK);
  g_assert_cmpint (step_of (steps, "connect")->status, ==, PS_STEP_FAILED);
  g_assert_error (step_of (steps, "connect")->error, PS_OKTA_ERROR, PS_OKTA_ERROR_UNREACHABLE);
  g_assert_cmpint (step_of (steps, "token")->status, ==, PS_STEP_SKIPPED);
  g_clear_pointer (&steps, g_ptr_array_unref);

  config.org_url = (char *) "https://nothing.invalid";
  nowhere = ps_okta_client_new (&config, TOKEN, &error);
  g_assert_no_error (error);
  ps_okta_client_set_retry (nowhere, 2, 10, 20, 1);
  steps = ps_okta_client_test_sync (nowhere, NULL, NULL);
  g_test_message ("%s", step_of (steps, "resolve")->message);
  g_assert_cmpint (step_of (steps, "resolve")->status, ==, PS_STEP_FAILED);
  g_assert_error (step_of (steps, "resolve")->error, PS_OKTA_ERROR, PS_OKTA_ERROR_HOST_NOT_FOUND);
  g_assert_cmpint (step_of (steps, "connect")->status, ==, PS_STEP_SKIPPED);
}

/* ---------------------------------------------------------------- the source */

static const char *const query_specs[] = {
  "email", "firstName", "profile.lastName", "secondEmail|login", "department", NULL
};
static const char *const query_keys[] = {
  "Email", "FirstName", "LastName", "Field.Login", "Field.Department", NULL
};

typedef struct {
  GPtrArray *lines;
} Log;

static void
on_log_cb (PsSourceLogLevel  level,
           const char       *message,
           gpointer          user_data)
{
  Log *log = user_data;

  g_test_message ("log: %s", message);
  g_ptr_array_add (log->lines, g_strdup (message));
}

static gboolean
log_has (Log        *log,
         const char *needle)
{
  for (guint i = 0; i < log->lines->len; i++)
    if (strstr (g_ptr_array_index (log->lines, i), needle) != NULL)
      return TRUE;
  return FALSE;
}

static PsPerson *
person_of (GPtrArray  *people,
           const char *anchor)
{
  for (guint i = 0; i < people->len; i++)
    if (g_str_equal (((PsPerson *) g_ptr_array_index (people, i))->anchor, anchor))
      return g_ptr_array_index (people, i);
  return NULL;
}

static void
test_source_statuses (void)
{
  g_autoptr(Fake) fake = fake_start ();
  g_autoptr(PsOktaClient) client = fake_client (fake, TOKEN);
  g_autoptr(PsOktaSource) source = ps_okta_source_new (client, fake->url);
  g_autoptr(GPtrArray) people = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  Log log = { lines };
  PsSourceQuery q = {
    .name = "Staff", .group = "Staff", .attributes = query_specs,
    .attribute_keys = query_keys, .log = on_log_cb, .log_data = &log,
  };
  guint members = 0;
  PsPerson *p;

  fake_add_staff (fake);
  fake->page_size = 4;
  g_assert_true (ps_source_connect_sync (PS_SOURCE (source), NULL, &error));
  g_assert_true (ps_source_check_attributes_sync (PS_SOURCE (source), &q, NULL, &error));
  people = ps_source_read_people_sync (PS_SOURCE (source), &q, &members, NULL, &error);
  g_assert_no_error (error);
  /* STAGED is left out, counted and logged */
  g_assert_cmpuint (members, ==, 9);
  g_assert_cmpuint (people->len, ==, 8);
  g_assert_null (person_of (people, "00uSTAGED00000000008"));
  g_assert_true (log_has (&log, "1 user is STAGED"));
  /* at work */
  g_assert_true (person_of (people, "00uACTIVE00000000001")->enabled);
  g_assert_true (person_of (people, "00uPROVISIONED000002")->enabled);
  g_assert_true (person_of (people, "00uRECOVERY000000003")->enabled);
  g_assert_true (person_of (people, "00uEXPIRED0000000004")->enabled);
  g_assert_true (person_of (people, "00uLOCKED00000000005")->enabled);
  /* disabled: Inactive */
  g_assert_false (person_of (people, "00uSUSPENDED00000006")->enabled);
  g_assert_false (person_of (people, "00uDEPROVISIONED0007")->enabled);
  /* on the way out counts as out */
  g_assert_false (person_of (people, "00uLEAVING0000000009")->enabled);
  /* values: profile.x and x alike, fallbacks */
  p = person_of (people, "00uACTIVE00000000001");
  g_assert_cmpstr (p->remote_anchor, ==, "00uACTIVE00000000001");
  g_assert_cmpstr (ps_person_get_value (p, "email"), ==, "00uACTIVE00000000001@example.com");
  g_assert_cmpstr (ps_person_get_value (p, "profile.lastName"), ==, "00uACTIVE00000000001");
  g_assert_cmpstr (ps_person_get_value (p, "secondEmail|login"), ==, "00uACTIVE00000000001");
  g_assert_cmpstr (ps_person_get_value (p, "department"), ==, "Sales");
  g_assert_cmpstr (p->name, ==, "First 00uACTIVE00000000001");

  /* own anchors: the people read, then ids looked up (404: not ours) */
  {
    g_autoptr(GPtrArray) anchors = g_ptr_array_new ();
    g_autoptr(GHashTable) own = NULL;

    g_ptr_array_add (anchors, (gpointer) "00uACTIVE00000000001");
    g_ptr_array_add (anchors, (gpointer) "00uSTAGED00000000008");
    g_ptr_array_add (anchors, (gpointer) "00uGONE0000000000000");
    g_ptr_array_add (anchors, (gpointer) "S-1-5-21-1-2-3-1105");
    own = ps_source_own_anchors_sync (PS_SOURCE (source), &q, people, anchors, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (g_hash_table_contains (own, "00uactive00000000001"));
    g_assert_true (g_hash_table_contains (own, "00ustaged00000000008"));
    g_assert_false (g_hash_table_contains (own, "00ugone0000000000000"));
    g_assert_cmpuint (g_hash_table_size (own), ==, 2);
    g_assert_cmpuint (calls_to (fake, "/api/v1/users/00u"), ==, 2);
  }

  /* a status PandaSync does not know: everything is read, then it fails */
  g_clear_pointer (&people, g_ptr_array_unref);
  add_user (fake, "00uARCHIVED000000010", "ARCHIVED", NULL, "Sales", "1010");
  add_user (fake, "00uNOSTATUS000000011", NULL, NULL, "Sales", "1011");
  people = ps_source_read_people_sync (PS_SOURCE (source), &q, NULL, NULL, &error);
  g_assert_null (people);
  g_test_message ("%s", error->message);
  g_assert_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_PARTIAL);
  g_assert_nonnull (strstr (error->message, "00uARCHIVED000000010"));
  g_assert_nonnull (strstr (error->message, "00uNOSTATUS000000011"));
}

static void
test_source_filters (void)
{
  g_autoptr(Fake) fake = fake_start ();
  g_autoptr(PsOktaClient) client = fake_client (fake, TOKEN);
  g_autoptr(PsOktaSource) source = ps_okta_source_new (client, fake->url);
  g_autoptr(GPtrArray) people = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  Log log = { lines };
  PsSourceQuery q = {
    .name = "Sales", .group = STAFF, .attributes = query_specs,
    .attribute_keys = query_keys, .log = on_log_cb, .log_data = &log,
    .filter = "department eq \"sales\"",
  };
  guint members = 0;

  fake_add_staff (fake);
  fake->page_size = 3;
  /* the group's users ∩ the users the search selects */
  people = ps_source_read_people_sync (PS_SOURCE (source), &q, &members, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (members, ==, 9);
  /* Sales: ACTIVE, PROVISIONED, LOCKED_OUT, SUSPENDED, LEAVING (STAGED left out) */
  g_assert_cmpuint (people->len, ==, 5);
  g_assert_nonnull (person_of (people, "00uSUSPENDED00000006"));
  g_assert_null (person_of (people, "00uRECOVERY000000003"));
  g_assert_cmpuint (calls_to (fake, "/api/v1/users?search=profile.department%20eq%20%22sales%22&limit=200"),
                    ==, 1);
  g_assert_true (log_has (&log, "keeps 6 of the group’s 9 users"));
  g_clear_pointer (&people, g_ptr_array_unref);

  /* by status */
  q.filter = "status eq \"active\"";
  people = ps_source_read_people_sync (PS_SOURCE (source), &q, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (people->len, ==, 2);
  g_assert_nonnull (person_of (people, "00uACTIVE00000000001"));
  g_assert_nonnull (person_of (people, "00uLEAVING0000000009"));
  g_clear_pointer (&people, g_ptr_array_unref);

  /* a bad expression is an error before any read */
  g_mutex_lock (&fake->lock);
  g_ptr_array_set_size (fake->calls, 0);
  g_mutex_unlock (&fake->lock);
  q.filter = "department ne \"Sales\"";
  g_assert_false (ps_source_check_attributes_sync (PS_SOURCE (source), &q, NULL, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_INVALID_SEARCH);
  g_assert_nonnull (strstr (error->message, "“Sales”"));
  g_clear_error (&error);
  g_assert_null (ps_source_read_people_sync (PS_SOURCE (source), &q, NULL, NULL, &error));
  g_assert_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_INVALID_SEARCH);
  g_clear_error (&error);
  g_assert_cmpuint (calls_to (fake, "/"), ==, 0);

  /* SearchBase is LDAP's */
  q.filter = NULL;
  q.search_base = "OU=Staff,DC=example,DC=com";
  g_assert_false (ps_source_check_attributes_sync (PS_SOURCE (source), &q, NULL, &error));
  g_assert_error (error, PS_SOURCE_ERROR, PS_SOURCE_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "SearchBase"));
  g_clear_error (&error);
  q.search_base = NULL;

  /* attribute names */
  {
    static const char *const bad[] = { "email", "cost-center", NULL };
    static const char *const keys[] = { "Email", "Field.Cost", NULL };
    PsSourceQuery b = q;

    b.attributes = bad;
    b.attribute_keys = keys;
    g_assert_false (ps_source_check_attributes_sync (PS_SOURCE (source), &b, NULL, &error));
    g_test_message ("%s", error->message);
    g_assert_error (error, PS_SOURCE_ERROR, PS_SOURCE_ERROR_UNKNOWN_ATTRIBUTE);
    g_assert_nonnull (strstr (error->message, "Field.Cost"));
    g_clear_error (&error);
    b.attributes = query_specs;
    b.attribute_keys = query_keys;
    b.anchor_attribute = "employeeNumber|id";
    g_assert_false (ps_source_check_attributes_sync (PS_SOURCE (source), &b, NULL, &error));
    g_assert_error (error, PS_SOURCE_ERROR, PS_SOURCE_ERROR_UNKNOWN_ATTRIBUTE);
    g_clear_error (&error);
  }
}

static void
test_source_anchor (void)
{
  g_autoptr(Fake) fake = fake_start ();
  g_autoptr(PsOktaClient) client = fake_client (fake, TOKEN);
  g_autoptr(PsOktaSource) source = ps_okta_source_new (client, fake->url);
  g_autoptr(GPtrArray) people = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  Log log = { lines };
  static const char *const specs[] = { "email", "costCentre", NULL };
  static const char *const keys[] = { "Field.Email", "Field.Cost", NULL };
  PsSourceQuery q = {
    .name = "Employees", .group = STAFF, .attributes = specs, .attribute_keys = keys,
    .anchor_attribute = "employeeNumber", .log = on_log_cb, .log_data = &log,
  };

  fake_add_staff (fake);
  people = ps_source_read_people_sync (PS_SOURCE (source), &q, NULL, NULL, &error);
  g_assert_no_error (error);
  /* anchored by the profile attribute; the one without it is left out */
  g_assert_nonnull (person_of (people, "1001"));
  g_assert_cmpuint (people->len, ==, 7);
  g_assert_true (log_has (&log, "1 user has no employeeNumber"));
  /* a custom attribute nobody has is most likely misspelt */
  g_assert_true (log_has (&log, "No user has the attribute “costCentre”"));
  g_clear_pointer (&people, g_ptr_array_unref);

  /* an identifier nobody has is an error, never a scope of nobody */
  q.anchor_attribute = "objectSid";
  people = ps_source_read_people_sync (PS_SOURCE (source), &q, NULL, NULL, &error);
  g_assert_null (people);
  g_test_message ("%s", error->message);
  g_assert_error (error, PS_SOURCE_ERROR, PS_SOURCE_ERROR_UNKNOWN_ATTRIBUTE);
  g_assert_nonnull (strstr (error->message, "UniqueIdentifier=id"));
  g_clear_error (&error);

  /* UniqueIdentifier=id is the Okta id */
  q.anchor_attribute = "id";
  people = ps_source_read_people_sync (PS_SOURCE (source), &q, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (person_of (people, "00uLOCKED00000000005"));
  g_clear_pointer (&people, g_ptr_array_unref);

  /* an empty group is an empty scope; a group that is not there is an error */
  q.group = EMPTY_GROUP;
  people = ps_source_read_people_sync (PS_SOURCE (source), &q, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (people->len, ==, 0);
  g_clear_pointer (&people, g_ptr_array_unref);
  q.group = "No Such Group";
  g_assert_null (ps_source_read_people_sync (PS_SOURCE (source), &q, NULL, NULL, &error));
  g_assert_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_NOT_FOUND);
  g_clear_error (&error);
  q.group = "Twins";
  g_assert_null (ps_source_read_people_sync (PS_SOURCE (source), &q, NULL, NULL, &error));
  g_assert_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_AMBIGUOUS);
}

int
main (int    argc,
      char **argv)
{
  ps_test_init (&argc, &argv);

  g_test_add_func ("/okta/client/paging", test_paging);
  g_test_add_func ("/okta/client/foreign-link", test_foreign_link);
  g_test_add_func ("/okta/client/rate-limits", test_rate_limits);
  g_test_add_func ("/okta/client/retries", test_retries);
  g_test_add_func ("/okta/client/refusals", test_refusals);
  g_test_add_func ("/okta/client/groups", test_groups);
  g_test_add_func ("/okta/client/connection-test", test_connection_test);
  g_test_add_func ("/okta/client/connection-unreachable", test_connection_unreachable);
  g_test_add_func ("/okta/source/statuses", test_source_statuses);
  g_test_add_func ("/okta/source/filters", test_source_filters);
  g_test_add_func ("/okta/source/anchor", test_source_anchor);
  return g_test_run ();
}
