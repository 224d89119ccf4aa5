/* test-okta-emulator.c — the Okta emulator, driven over HTTP as a client would
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Starts ps-okta-emulator ($PS_OKTA_EMULATOR) on a free port and checks
 * API tokens and their errors, users with Link paging, filter, search and
 * q, every status, groups and lastMembershipUpdated, group members, the
 * System Log with paging, purge and retention, rate-limit headers and 429,
 * every fault, the admin API, OAuth service apps (private_key_jwt, DPoP)
 * and a generated org.
 */

#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "emu-test-util.h"
#ifdef OKTA_HAVE_GNUTLS
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#endif

#define FULL_TOKEN   "00ps-okta-full-token-acme-00000000000001"
#define GROUP_TOKEN    "00ps-okta-group-admin-token-acme-0000002"
#define REPORT_TOKEN   "00ps-okta-report-admin-token-acme-000003"
#define EXPIRED_TOKEN  "00ps-okta-expired-token-acme-00000000004"
#define REVOKED_TOKEN  "00ps-okta-revoked-token-acme-00000000005"
#define IDLE_TOKEN     "00ps-okta-idle-token-acme-0000000000006"
#define GLOBEX_TOKEN   "00ps-okta-globex-token-00000000000000001"
#define FULL           "SSWS " FULL_TOKEN

#define SYNC_APP       "0oaseedsync000000001"
#define DPOP_APP       "0oaseeddpop000000002"
#define WEAK_APP       "0oaseedweak000000003"
#define USERS_APP      "0oaseedusers00000004"
#define SCOPES         "okta.users.read okta.groups.read okta.logs.read"

#define SAM            "00useed0000000000001"
#define ALICE          "00useed0000000000002"
#define BOB            "00useed0000000000003"
#define CAROL          "00useed0000000000004"
#define DAN            "00useed0000000000005"
#define HENRY          "00useed0000000000009"
#define IRENE          "00useed0000000000010"
#define JACK           "00useed0000000000011"
#define KATE           "00useed0000000000012"
#define LIAM           "00useed0000000000013"
#define MIA            "00useed0000000000014"
#define OLIVIA         "00useed0000000000016"
#define EVERYONE       "00gseed0000000000001"
#define ENGINEERING    "00gseed0000000000002"
#define SALES          "00gseed0000000000003"
#define FINANCE        "00gseed0000000000004"

#define N_USERS        15
#define N_LISTED       13     /* without the two DEPROVISIONED */

static EmuProcess *shared;

/* ---------------------------------------------------------------- helpers */

/* The ids (or another member) of a JSON array of objects, joined by ",". */
static char *
ids_of (JsonNode *root, const char *member)
{
  GString *text = g_string_new (NULL);
  JsonArray *array;

  g_assert_true (JSON_NODE_HOLDS_ARRAY (root));
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    g_string_append_printf (text, "%s%s", text->len > 0 ? "," : "",
                            json_object_get_string_member (json_array_get_object_element (array, i), member));
  return g_string_free (text, FALSE);
}

static gboolean
contains_id (JsonNode *root, const char *id)
{
  JsonArray *array = json_node_get_array (root);

  for (guint i = 0; i < json_array_get_length (array); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (array, i), "id"), id) == 0)
      return TRUE;
  return FALSE;
}

static guint
array_length (JsonNode *root)
{
  g_assert_true (JSON_NODE_HOLDS_ARRAY (root));
  return json_array_get_length (json_node_get_array (root));
}

/* ---------------------------------------------------------------- emulator */

static EmuProcess *
emulator_start_full (const char *const *extra, const char *ca_file)
{
  return emu_process_start ("PS_OKTA_EMULATOR", extra, ca_file, 30);
}

static EmuProcess *
emulator_start (const char *const *extra)
{
  return emulator_start_full (extra, NULL);
}

static EmuReply *
call_full (EmuProcess         *emu,
           const char         *method,
           const char         *path,
           const char         *body,
           const char         *content_type,
           const char         *authorization,
           const char *const  *headers)
{
  return emu_call (emu, method, path, authorization, headers, body, content_type);
}

static EmuReply *
expect_full (EmuProcess         *emu,
             guint               status,
             const char         *method,
             const char         *path,
             const char         *body,
             const char         *content_type,
             const char         *authorization,
             const char *const  *headers)
{
  return emu_expect (emu, status, method, path, authorization, headers, body, content_type);
}

/* An API GET that must answer @status with JSON. */
static EmuReply *
get (EmuProcess *emu, guint status, const char *path, const char *authorization)
{
  EmuReply *reply = expect_full (emu, status, "GET", path, NULL, NULL, authorization, NULL);

  g_assert_nonnull (reply->json);
  return reply;
}

static guint
admin_status (EmuProcess *emu, const char *method, const char *path, const char *body)
{
  g_autoptr(EmuReply) reply = call_full (emu, method, path, body, NULL, NULL, NULL);

  g_assert_no_error (reply->error);
  return reply->status;
}

static void
reset (EmuProcess *emu)
{
  emu_admin_do (emu, "POST", "/_admin/reset", "{}");
}

static void
faults (EmuProcess *emu, const char *body)
{
  emu_admin_do (emu, "POST", "/_admin/faults", body);
}

static void
advance (EmuProcess *emu, gint64 seconds)
{
  g_autofree char *body = g_strdup_printf ("{\"advance\": %" G_GINT64_FORMAT "}", seconds);

  emu_admin_do (emu, "POST", "/_admin/clock", body);
}

/* The emulated clock, ± @offset_seconds, as an ISO time for a filter. */
static char *
emu_time (EmuProcess *emu, gint64 offset_seconds)
{
  g_autoptr(JsonNode) clock = emu_admin (emu, "GET", "/_admin/clock", NULL);
  g_autofree char *now = emu_path_str (clock, "$.now");
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) parsed = g_date_time_new_from_iso8601 (now, utc);
  g_autoptr(GDateTime) moved = g_date_time_add_seconds (parsed, offset_seconds);
  g_autofree char *head = g_date_time_format (moved, "%Y-%m-%dT%H:%M:%S");

  return g_strdup_printf ("%s.%03dZ", head, g_date_time_get_microsecond (moved) / 1000);
}

static char *
escape (const char *text)
{
  return g_uri_escape_string (text, NULL, FALSE);
}

/* /api/v1/users?NAME=<escaped VALUE>&EXTRA */
static char *
query_path (const char *path, const char *name, const char *value, const char *extra)
{
  g_autofree char *escaped = escape (value);

  return g_strdup_printf ("%s?%s=%s%s%s", path, name, escaped, extra != NULL ? "&" : "", extra != NULL ? extra : "");
}

/* The Link header lines, as sent (one per line). */
static GPtrArray *
link_lines (EmuReply *reply)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  SoupMessageHeadersIter iter;
  const char *name;
  const char *value;

  soup_message_headers_iter_init (&iter, reply->headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    if (g_ascii_strcasecmp (name, "Link") == 0)
      g_ptr_array_add (lines, g_strdup (value));
  return lines;
}

/* The URL of rel="next", or NULL. */
static char *
next_link (EmuReply *reply)
{
  g_autoptr(GPtrArray) lines = link_lines (reply);

  for (guint i = 0; i < lines->len; i++)
    {
      const char *line = g_ptr_array_index (lines, i);
      const char *open = strchr (line, '<');
      const char *close = strchr (line, '>');

      if (strstr (line, "rel=\"next\"") != NULL && open != NULL && close != NULL)
        return g_strndup (open + 1, close - open - 1);
    }
  return NULL;
}

/* Follows next links; returns every element of every page. */
static JsonArray *
read_all (EmuProcess *emu, const char *path, const char *authorization, guint *pages)
{
  JsonArray *all = json_array_new ();
  g_autofree char *next = g_strdup (path);

  *pages = 0;
  while (next != NULL)
    {
      g_autoptr(EmuReply) page = get (emu, 200, next, authorization);
      JsonArray *array = json_node_get_array (page->json);

      (*pages)++;
      g_assert_cmpuint (*pages, <, 10000);
      for (guint i = 0; i < json_array_get_length (array); i++)
        json_array_add_element (all, json_node_copy (json_array_get_element (array, i)));
      g_clear_pointer (&next, g_free);
      next = next_link (page);
    }
  return all;
}

static void
assert_okta_error (EmuReply *reply, guint status, const char *code)
{
  g_autofree char *fields = NULL;
  g_autofree char *link = NULL;

  g_assert_no_error (reply->error);
  if (reply->status != status)
    g_error ("expected %u, got %u: %.*s", status, reply->status, (int) g_bytes_get_size (reply->bytes),
             (const char *) g_bytes_get_data (reply->bytes, NULL));
  g_assert_nonnull (reply->json);
  emu_assert_str (reply->json, "$.errorCode", code);
  fields = emu_path_keys (reply->json, "$");
  g_assert_cmpstr (fields, ==, "errorCauses,errorCode,errorId,errorLink,errorSummary");
  link = emu_path_str (reply->json, "$.errorLink");
  g_assert_cmpstr (link, ==, code);
  g_assert_cmpuint (emu_path_len (reply->json, "$.errorCauses"), ==, 0);
  g_assert_nonnull (soup_message_headers_get_one (reply->headers, "X-Okta-Request-Id"));
}

static void
assert_common_headers (EmuReply *reply)
{
  const char *date = soup_message_headers_get_one (reply->headers, "Date");
  g_autoptr(GDateTime) parsed = date != NULL ? soup_date_time_new_from_http_string (date) : NULL;

  g_assert_nonnull (soup_message_headers_get_one (reply->headers, "X-Okta-Request-Id"));
  g_assert_nonnull (soup_message_headers_get_one (reply->headers, "X-Rate-Limit-Limit"));
  g_assert_nonnull (soup_message_headers_get_one (reply->headers, "X-Rate-Limit-Remaining"));
  g_assert_nonnull (soup_message_headers_get_one (reply->headers, "X-Rate-Limit-Reset"));
  g_assert_nonnull (parsed);
}

static gint64
header_int (EmuReply *reply, const char *name)
{
  const char *value = soup_message_headers_get_one (reply->headers, name);

  g_assert_nonnull (value);
  return g_ascii_strtoll (value, NULL, 10);
}

/* ---------------------------------------------------------------- auth */

static void
test_auth_errors (void)
{
  EmuProcess *emu = shared;
  const char *const bad[] = { "SSWS 00nothing", "SSWS " EXPIRED_TOKEN, "SSWS " REVOKED_TOKEN, "SSWS " IDLE_TOKEN,
                              "SSWS " GLOBEX_TOKEN, "Bearer " FULL_TOKEN, "ssws", NULL };

  reset (emu);
  {
    g_autoptr(EmuReply) none = call_full (emu, "GET", "/api/v1/users", NULL, NULL, NULL, NULL);

    assert_okta_error (none, 401, "E0000011");
    emu_assert_str (none->json, "$.errorSummary", "Invalid token provided");
    assert_common_headers (none);
  }
  for (guint i = 0; bad[i] != NULL; i++)
    {
      g_autoptr(EmuReply) reply = call_full (emu, "GET", "/api/v1/users", NULL, NULL, bad[i], NULL);

      assert_okta_error (reply, 401, "E0000011");
    }
  {
    /* The globex token works against its own org, under its path. */
    g_autoptr(EmuReply) globex = get (emu, 200, "/globex/api/v1/users", "SSWS " GLOBEX_TOKEN);
    g_autofree char *next = NULL;

    g_assert_cmpuint (array_length (globex->json), ==, 2);
    next = emu_path_str (globex->json, "$[0]._links.self.href");
    g_assert_true (g_str_has_prefix (next, emu->base));
    g_assert_nonnull (strstr (next, "/globex/api/v1/users/"));
  }
  {
    /* Roles: a group-membership admin reads groups only, a report admin the log only. */
    g_autoptr(EmuReply) users = call_full (emu, "GET", "/api/v1/users", NULL, NULL, "SSWS " GROUP_TOKEN, NULL);
    g_autoptr(EmuReply) groups = get (emu, 200, "/api/v1/groups", "SSWS " GROUP_TOKEN);
    g_autoptr(EmuReply) members = get (emu, 200, "/api/v1/groups/" SALES "/users", "SSWS " GROUP_TOKEN);
    g_autoptr(EmuReply) logs = call_full (emu, "GET", "/api/v1/logs", NULL, NULL, "SSWS " GROUP_TOKEN, NULL);
    g_autoptr(EmuReply) report = get (emu, 200, "/api/v1/logs", "SSWS " REPORT_TOKEN);
    g_autoptr(EmuReply) report_users = call_full (emu, "GET", "/api/v1/users/" ALICE, NULL, NULL, "SSWS " REPORT_TOKEN,
                                               NULL);

    assert_okta_error (users, 403, "E0000006");
    emu_assert_str (users->json, "$.errorSummary", "You do not have permission to perform the requested action");
    assert_okta_error (logs, 403, "E0000006");
    assert_okta_error (report_users, 403, "E0000006");
  }
  {
    g_autoptr(EmuReply) me = get (emu, 200, "/api/v1/users/me", FULL);
    g_autoptr(EmuReply) post = call_full (emu, "POST", "/api/v1/users", "{}", NULL, FULL, NULL);
    g_autoptr(EmuReply) unknown = call_full (emu, "GET", "/api/v1/nothing", NULL, NULL, FULL, NULL);
    g_autoptr(EmuReply) org = get (emu, 200, "/api/v1/org", FULL);

    emu_assert_str (me->json, "$.id", SAM);
    emu_assert_str (me->json, "$.profile.login", "sam.admin@acme.example.com");
    assert_okta_error (post, 405, "E0000022");
    assert_okta_error (unknown, 404, "E0000007");
    emu_assert_str (org->json, "$.subdomain", "acme");
  }

  /* A token dies with its admin's account... */
  emu_admin_do (emu, "POST", "/_admin/users/" SAM "/lifecycle/suspend", NULL);
  {
    g_autoptr(EmuReply) dead = call_full (emu, "GET", "/api/v1/users", NULL, NULL, FULL, NULL);

    assert_okta_error (dead, 401, "E0000011");
  }
  reset (emu);
  /* ... after 30 days unused, and when revoked. */
  advance (emu, 31 * 86400);
  {
    g_autoptr(EmuReply) idle = call_full (emu, "GET", "/api/v1/users", NULL, NULL, FULL, NULL);

    assert_okta_error (idle, 401, "E0000011");
  }
  reset (emu);
  emu_admin_do (emu, "PATCH", "/_admin/tokens/PandaSync%20sync", "{\"revoked\": true}");
  {
    g_autoptr(EmuReply) revoked = call_full (emu, "GET", "/api/v1/users", NULL, NULL, FULL, NULL);

    assert_okta_error (revoked, 401, "E0000011");
  }
}

/* ---------------------------------------------------------------- users */

static void
test_users_paging (void)
{
  EmuProcess *emu = shared;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(JsonArray) all = NULL;
  guint pages = 0;

  reset (emu);
  {
    g_autoptr(EmuReply) first = get (emu, 200, "/api/v1/users?limit=4", FULL);
    g_autoptr(GPtrArray) lines = link_lines (first);
    g_autofree char *next = next_link (first);
    g_autofree char *self = g_strdup_printf ("<%s/api/v1/users?limit=4>; rel=\"self\"", emu->base);
    const char *cursor;

    assert_common_headers (first);
    g_assert_cmpuint (array_length (first->json), ==, 4);
    /* Two separate link: lines, self first. */
    g_assert_cmpuint (lines->len, ==, 2);
    g_assert_cmpstr (g_ptr_array_index (lines, 0), ==, self);
    g_assert_nonnull (next);
    g_assert_true (g_str_has_prefix (next, emu->base));
    cursor = strstr (next, "after=");
    g_assert_nonnull (cursor);
    /* Opaque: it does not look like an id. */
    g_assert_false (g_str_has_prefix (cursor + 6, "00u"));
    g_assert_nonnull (strstr (next, "limit=4"));
    /* No credentials member with okta-response=omitCredentials. */
    g_assert_true (emu_path_has (first->json, "$[0].credentials.provider.type"));
    g_assert_true (emu_path_has (first->json, "$[0]._links.self.href"));
  }
  all = read_all (emu, "/api/v1/users?limit=4", FULL, &pages);
  g_assert_cmpuint (json_array_get_length (all), ==, N_LISTED);
  g_assert_cmpuint (pages, ==, 4);
  for (guint i = 0; i < json_array_get_length (all); i++)
    {
      JsonObject *user = json_array_get_object_element (all, i);

      g_assert_false (g_hash_table_contains (seen, json_object_get_string_member (user, "id")));
      g_hash_table_add (seen, (gpointer) json_object_get_string_member (user, "id"));
      /* The plain listing leaves DEPROVISIONED out. */
      g_assert_cmpstr (json_object_get_string_member (user, "status"), !=, "DEPROVISIONED");
    }
  {
    /* The last page has only rel="self". */
    g_autoptr(EmuReply) last = get (emu, 200, "/api/v1/users?limit=13", FULL);
    g_autoptr(GPtrArray) lines = link_lines (last);

    g_assert_cmpuint (lines->len, ==, 1);
    g_assert_nonnull (strstr (g_ptr_array_index (lines, 0), "rel=\"self\""));
  }
  {
    /* limit is capped at 200; --page-size caps it lower. */
    g_autoptr(JsonArray) small = NULL;

    faults (emu, "{\"page_size\": 2}");
    small = read_all (emu, "/api/v1/users?limit=200", FULL, &pages);
    g_assert_cmpuint (json_array_get_length (small), ==, N_LISTED);
    g_assert_cmpuint (pages, ==, 7);
    faults (emu, "{\"page_size\": 0}");
  }
  {
    /* empty_last_page: a full last page still has next, then an empty page without. */
    g_autoptr(EmuReply) full = NULL;
    g_autoptr(EmuReply) empty = NULL;
    g_autofree char *next = NULL;
    g_autofree char *after_empty = NULL;

    faults (emu, "{\"empty_last_page\": true}");
    full = get (emu, 200, "/api/v1/users?limit=13", FULL);
    g_assert_cmpuint (array_length (full->json), ==, 13);
    next = next_link (full);
    g_assert_nonnull (next);
    empty = get (emu, 200, next, FULL);
    g_assert_cmpuint (array_length (empty->json), ==, 0);
    after_empty = next_link (empty);
    g_assert_null (after_empty);
    faults (emu, "{\"empty_last_page\": false}");
  }
  {
    g_autoptr(EmuReply) bad = call_full (emu, "GET", "/api/v1/users?after=00useed0000000000002", NULL, NULL, FULL, NULL);
    g_autoptr(EmuReply) bad_limit = call_full (emu, "GET", "/api/v1/users?limit=abc", NULL, NULL, FULL, NULL);
    const char *const omit[] = { "Content-Type: application/json; okta-response=omitCredentials", NULL };
    g_autoptr(EmuReply) omitted = expect_full (emu, 200, "GET", "/api/v1/users?limit=1", NULL, NULL, FULL, omit);

    assert_okta_error (bad, 400, "E0000001");
    assert_okta_error (bad_limit, 400, "E0000001");
    g_assert_false (emu_path_has (omitted->json, "$[0].credentials"));
  }
}

static guint
count_users (EmuProcess *emu, const char *name, const char *expression)
{
  g_autofree char *path = query_path ("/api/v1/users", name, expression, "limit=200");
  g_autoptr(EmuReply) reply = get (emu, 200, path, FULL);

  return array_length (reply->json);
}

static void
assert_user_query_error (EmuProcess *emu, const char *name, const char *expression, const char *code)
{
  g_autofree char *path = query_path ("/api/v1/users", name, expression, NULL);
  g_autoptr(EmuReply) reply = call_full (emu, "GET", path, NULL, NULL, FULL, NULL);

  assert_okta_error (reply, 400, code);
}

static void
test_users_filter (void)
{
  EmuProcess *emu = shared;
  static const struct { const char *status; guint count; } statuses[] = {
    { "STAGED", 1 }, { "PROVISIONED", 1 }, { "ACTIVE", 7 }, { "RECOVERY", 1 }, { "PASSWORD_EXPIRED", 1 },
    { "LOCKED_OUT", 1 }, { "SUSPENDED", 1 }, { "DEPROVISIONED", 2 },
  };
  guint total = 0;

  reset (emu);
  /* Every status of §2.4, and the filter includes DEPROVISIONED. */
  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      g_autofree char *expression = g_strdup_printf ("status eq \"%s\"", statuses[i].status);
      g_autofree char *path = query_path ("/api/v1/users", "filter", expression, NULL);
      g_autoptr(EmuReply) reply = get (emu, 200, path, FULL);
      JsonArray *array = json_node_get_array (reply->json);

      g_assert_cmpuint (json_array_get_length (array), ==, statuses[i].count);
      for (guint j = 0; j < json_array_get_length (array); j++)
        g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (array, j), "status"), ==,
                         statuses[i].status);
      total += statuses[i].count;
    }
  g_assert_cmpuint (total, ==, N_USERS);
  {
    /* transitioningToStatus shows where a user is heading. */
    g_autoptr(EmuReply) mia = get (emu, 200, "/api/v1/users/" MIA, FULL);
    g_autoptr(EmuReply) dan = get (emu, 200, "/api/v1/users/" DAN, FULL);

    emu_assert_str (mia->json, "$.transitioningToStatus", "DEPROVISIONED");
    g_assert_true (emu_path_is_null (dan->json, "$.transitioningToStatus"));
    g_assert_true (emu_path_is_null (dan->json, "$.activated"));
  }
  {
    g_autofree char *since = emu_time (emu, -(3 * 86400 + 3600));
    g_autofree char *gt = g_strdup_printf ("lastUpdated gt \"%s\"", since);
    g_autofree char *active = g_strdup_printf ("lastUpdated gt \"%s\" and (status eq \"ACTIVE\" or "
                                               "status eq \"RECOVERY\")", since);
    g_autofree char *lt = g_strdup_printf ("lastUpdated lt \"%s\"", since);
    g_autofree char *offset = g_strdup ("lastUpdated gt \"2020-01-01T00:00:00.000-07:00\"");
    g_autofree char *path = query_path ("/api/v1/users", "filter", gt, NULL);
    g_autoptr(EmuReply) delta = get (emu, 200, path, FULL);
    g_autofree char *order = ids_of (delta->json, "id");

    /* A lastUpdated delta comes back oldest change first. */
    g_assert_cmpuint (array_length (delta->json), ==, 7);
    g_assert_cmpstr (order, ==, KATE "," ALICE "," CAROL "," DAN ",00useed0000000000006,00useed0000000000008," MIA);
    g_assert_cmpuint (count_users (emu, "filter", active), ==, 4);
    g_assert_cmpuint (count_users (emu, "filter", lt), ==, N_USERS - 7);
    g_assert_cmpuint (count_users (emu, "filter", offset), ==, N_USERS);
  }
  g_assert_cmpuint (count_users (emu, "filter", "id eq \"" ALICE "\""), ==, 1);
  g_assert_cmpuint (count_users (emu, "filter", "profile.login eq \"bob.jones@acme.example.com\""), ==, 1);
  g_assert_cmpuint (count_users (emu, "filter", "profile.email eq \"kate.nguyen@acme.example.com\" or "
                                                "profile.lastName eq \"O'Brien\""), ==, 2);
  /* filter values are case-sensitive. */
  g_assert_cmpuint (count_users (emu, "filter", "profile.firstName eq \"alice\""), ==, 0);
  g_assert_cmpuint (count_users (emu, "filter", "profile.firstName eq \"Alice\""), ==, 1);

  assert_user_query_error (emu, "filter", "status ne \"ACTIVE\"", "E0000031");
  assert_user_query_error (emu, "filter", "not (status eq \"ACTIVE\")", "E0000031");
  assert_user_query_error (emu, "filter", "profile.department eq \"Sales\"", "E0000031");
  assert_user_query_error (emu, "filter", "status gt \"ACTIVE\"", "E0000031");
  assert_user_query_error (emu, "filter", "status eq \"active\"", "E0000031");
  assert_user_query_error (emu, "filter", "status eq \"ACTIVE\" and", "E0000031");
  assert_user_query_error (emu, "filter", "lastUpdated gt \"yesterday\"", "E0000030");
  {
    /* Paging a filter keeps the filter in the next link. */
    g_autofree char *path = query_path ("/api/v1/users", "filter", "status eq \"ACTIVE\"", "limit=3");
    g_autoptr(JsonArray) all = NULL;
    guint pages = 0;

    all = read_all (emu, path, FULL, &pages);
    g_assert_cmpuint (json_array_get_length (all), ==, 7);
    g_assert_cmpuint (pages, ==, 3);
  }
}

static void
test_users_search (void)
{
  EmuProcess *emu = shared;

  reset (emu);
  /* Values are case-insensitive and DEPROVISIONED users are found. */
  g_assert_cmpuint (count_users (emu, "search", "profile.department eq \"engineering\""), ==, 6);
  g_assert_cmpuint (count_users (emu, "search", "profile.department eq \"Engineering\" and status eq \"ACTIVE\""),
                    ==, 3);
  g_assert_cmpuint (count_users (emu, "search", "profile.lastName sw \"o'\""), ==, 1);
  g_assert_cmpuint (count_users (emu, "search", "profile.firstName co \"an\""), ==, 2);   /* Dan, Frank */
  g_assert_cmpuint (count_users (emu, "search", "profile.email co \"acme\""), ==, N_USERS);
  g_assert_cmpuint (count_users (emu, "search", "profile.badgeId eq \"b-1010\""), ==, 1);
  g_assert_cmpuint (count_users (emu, "search", "profile.startDate pr"), ==, 3);
  g_assert_cmpuint (count_users (emu, "search", "status pr"), ==, N_USERS);
  g_assert_cmpuint (count_users (emu, "search", "type.id eq \"otyseed0000000000001\""), ==, N_USERS);
  g_assert_cmpuint (count_users (emu, "search", "status lt \"B\" or status gt \"R\""), ==, 7 + 3);
  assert_user_query_error (emu, "search", "profile.department co \"gin\"", "E0000031");
  assert_user_query_error (emu, "search", "profile.nothing eq \"x\"", "E0000031");
  assert_user_query_error (emu, "search", "status ne \"ACTIVE\"", "E0000031");
  assert_user_query_error (emu, "search", "created gt \"not a date\"", "E0000030");
  assert_user_query_error (emu, "search", "status eq \"ACTIVE\"&filter=status eq \"ACTIVE\"", "E0000031");
  {
    g_autofree char *path = query_path ("/api/v1/users", "search", "profile.department eq \"Sales\"",
                                        "sortBy=profile.lastName&sortOrder=desc&limit=2");
    g_autoptr(JsonArray) all = NULL;
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *names = NULL;
    guint pages = 0;

    all = read_all (emu, path, FULL, &pages);
    root = json_node_init_array (json_node_alloc (), all);
    g_assert_cmpuint (pages, ==, 3);
    {
      GString *text = g_string_new (NULL);

      for (guint i = 0; i < json_array_get_length (all); i++)
        g_string_append_printf (text, "%s ", json_object_get_string_member (
                                  json_object_get_object_member (json_array_get_object_element (all, i), "profile"),
                                  "lastName"));
      names = g_string_free (text, FALSE);
    }
    g_assert_cmpstr (names, ==, "White Nguyen Moore King Black ");
  }
  {
    /* fields: a projection, id always there. */
    g_autofree char *path = query_path ("/api/v1/users", "search", "id eq \"" ALICE "\"",
                                        "fields=status,profile:(login,department)");
    g_autoptr(EmuReply) reply = get (emu, 200, path, FULL);
    g_autofree char *top = emu_path_keys (reply->json, "$[0]");
    g_autofree char *profile = emu_path_keys (reply->json, "$[0].profile");

    g_assert_cmpstr (top, ==, "id,profile,status");
    g_assert_cmpstr (profile, ==, "department,login");
  }
  {
    /* Eventual consistency: search misses a fresh change, filter sees it. */
    g_autofree char *since = emu_time (emu, -60);
    g_autofree char *filter = g_strdup_printf ("lastUpdated gt \"%s\"", since);

    faults (emu, "{\"search_lag\": 30}");
    emu_admin_do (emu, "PATCH", "/_admin/users/" LIAM, "{\"profile\": {\"department\": \"Platform\"}}");
    g_assert_cmpuint (count_users (emu, "search", "profile.department eq \"Platform\""), ==, 0);
    g_assert_cmpuint (count_users (emu, "filter", filter), ==, 1);
    advance (emu, 31);
    g_assert_cmpuint (count_users (emu, "search", "profile.department eq \"Platform\""), ==, 1);
  }
}

static void
test_users_q_and_get (void)
{
  EmuProcess *emu = shared;

  reset (emu);
  {
    g_autoptr(EmuReply) q = get (emu, 200, "/api/v1/users?q=al", FULL);
    g_autoptr(GPtrArray) lines = link_lines (q);
    g_autoptr(EmuReply) lopez = get (emu, 200, "/api/v1/users?q=Lop", FULL);
    g_autoptr(EmuReply) jones = get (emu, 200, "/api/v1/users?q=JON", FULL);
    g_autoptr(EmuReply) many = get (emu, 200, "/api/v1/users?q=b", FULL);
    g_autoptr(EmuReply) few = get (emu, 200, "/api/v1/users?q=b&limit=2", FULL);

    g_assert_cmpuint (array_length (q->json), ==, 1);
    emu_assert_str (q->json, "$[0].id", ALICE);
    /* q: no paging, no Link header at all; DEPROVISIONED left out. */
    g_assert_cmpuint (lines->len, ==, 0);
    g_assert_cmpuint (array_length (lopez->json), ==, 0);
    emu_assert_str (jones->json, "$[0].id", BOB);
    g_assert_cmpuint (array_length (many->json), ==, 3);     /* Bob, Dan Brown, Erin Black */
    g_assert_cmpuint (array_length (few->json), ==, 2);
  }
  {
    g_autoptr(EmuReply) by_id = get (emu, 200, "/api/v1/users/" ALICE, FULL);
    g_autoptr(EmuReply) by_login = get (emu, 200, "/api/v1/users/alice.smith@acme.example.com", FULL);
    g_autoptr(EmuReply) missing = call_full (emu, "GET", "/api/v1/users/00uuibMot2FBByTbs0g4", NULL, NULL, FULL, NULL);
    g_autoptr(EmuReply) groups = get (emu, 200, "/api/v1/users/" JACK "/groups", FULL);
    g_autofree char *summary = NULL;
    g_autofree char *group_ids = NULL;

    emu_assert_str (by_id->json, "$.profile.managerId", BOB);
    emu_assert_str (by_id->json, "$.profile.manager", "Bob Jones");
    emu_assert_str (by_id->json, "$.profile.badgeId", "B-1002");
    g_assert_true (emu_path_is_null (by_id->json, "$.profile.mobilePhone"));
    g_assert_nonnull (soup_message_headers_get_one (by_id->headers, "ETag"));
    g_assert_true (emu_path_has (by_id->json, "$._links.suspend.href"));
    emu_assert_str (by_login->json, "$.id", ALICE);
    assert_okta_error (missing, 404, "E0000007");
    summary = emu_path_str (missing->json, "$.errorSummary");
    g_assert_cmpstr (summary, ==, "Not found: Resource not found: 00uuibMot2FBByTbs0g4 (User)");
    group_ids = ids_of (groups->json, "id");
    g_assert_cmpstr (group_ids, ==, EVERYONE "," SALES "," FINANCE);
  }
}

/* ---------------------------------------------------------------- groups */

static void
test_groups (void)
{
  EmuProcess *emu = shared;

  reset (emu);
  {
    g_autoptr(EmuReply) all = get (emu, 200, "/api/v1/groups?expand=stats", FULL);
    g_autoptr(EmuReply) q = get (emu, 200, "/api/v1/groups?q=eng", FULL);
    g_autoptr(GPtrArray) q_lines = link_lines (q);
    g_autoptr(EmuReply) by_name = NULL;
    g_autoptr(EmuReply) app_groups = NULL;
    g_autoptr(EmuReply) one = get (emu, 200, "/api/v1/groups/" FINANCE, FULL);
    g_autoptr(EmuReply) missing = call_full (emu, "GET", "/api/v1/groups/00gnothing", NULL, NULL, FULL, NULL);
    g_autoptr(EmuReply) rules = get (emu, 200, "/api/v1/groups/rules", FULL);
    g_autofree char *path = query_path ("/api/v1/groups", "search", "profile.name eq \"sales\"", NULL);
    g_autofree char *type_path = query_path ("/api/v1/groups", "filter", "type eq \"APP_GROUP\"", NULL);
    g_autofree char *ids = ids_of (all->json, "id");

    g_assert_cmpstr (ids, ==, EVERYONE "," ENGINEERING "," SALES "," FINANCE);
    g_assert_cmpint (emu_path_num (all->json, "$[0]._embedded.stats.usersCount"), ==, N_USERS);
    g_assert_cmpint (emu_path_num (all->json, "$[1]._embedded.stats.usersCount"), ==, 6);
    emu_assert_str (all->json, "$[0].type", "BUILT_IN");
    emu_assert_str (all->json, "$[1].objectClass[0]", "okta:user_group");
    g_assert_true (emu_path_has (all->json, "$[1].lastMembershipUpdated"));
    g_assert_true (emu_path_has (all->json, "$[1]._links.users.href"));
    g_assert_cmpuint (array_length (q->json), ==, 1);
    g_assert_cmpuint (q_lines->len, ==, 0);
    by_name = get (emu, 200, path, FULL);
    g_assert_cmpuint (array_length (by_name->json), ==, 1);
    emu_assert_str (by_name->json, "$[0].id", SALES);
    app_groups = get (emu, 200, type_path, FULL);
    g_assert_cmpuint (array_length (app_groups->json), ==, 1);
    emu_assert_str (one->json, "$.type", "APP_GROUP");
    emu_assert_str (one->json, "$.profile.samAccountName", "Finance");
    assert_okta_error (missing, 404, "E0000007");
    emu_assert_str (rules->json, "$[0].type", "group_rule");
  }
  {
    /* Members page with Link headers; deactivated members come back. */
    g_autoptr(JsonArray) members = NULL;
    g_autoptr(JsonNode) root = NULL;
    g_autoptr(EmuReply) first = get (emu, 200, "/api/v1/groups/" ENGINEERING "/users?limit=4", FULL);
    g_autoptr(EmuReply) filtered = get (emu, 200, "/api/v1/groups/" ENGINEERING
                                     "/users?filter=status%20eq%20%22ACTIVE%22", FULL);
    guint pages = 0;

    g_autofree char *first_next = next_link (first);

    g_assert_cmpuint (array_length (first->json), ==, 4);
    g_assert_nonnull (first_next);
    members = read_all (emu, "/api/v1/groups/" ENGINEERING "/users?limit=4", FULL, &pages);
    root = json_node_init_array (json_node_alloc (), members);
    g_assert_cmpuint (pages, ==, 2);
    g_assert_cmpuint (json_array_get_length (members), ==, 6);
    g_assert_true (contains_id (root, IRENE));
    g_assert_true (contains_id (root, DAN));
    /* filter is ignored on members. */
    g_assert_cmpuint (array_length (filtered->json), ==, 6);
  }
  {
    /* lastMembershipUpdated moves on add and remove; the user's lastUpdated does not. */
    g_autoptr(EmuReply) before = get (emu, 200, "/api/v1/users/" LIAM, FULL);
    g_autofree char *liam_updated = emu_path_str (before->json, "$.lastUpdated");
    g_autofree char *mark = NULL;
    g_autofree char *filter = NULL;
    g_autofree char *path = NULL;
    g_autoptr(EmuReply) after = NULL;
    g_autoptr(EmuReply) changed = NULL;
    g_autoptr(EmuReply) sales = NULL;
    g_autofree char *after_updated = NULL;
    g_autofree char *changed_ids = NULL;

    advance (emu, 2);
    mark = emu_time (emu, -1);
    emu_admin_do (emu, "POST", "/_admin/groups/" SALES "/members", "{\"id\": \"" LIAM "\"}");
    emu_admin_do (emu, "DELETE", "/_admin/groups/" FINANCE "/members/" JACK, NULL);
    after = get (emu, 200, "/api/v1/users/" LIAM, FULL);
    after_updated = emu_path_str (after->json, "$.lastUpdated");
    g_assert_cmpstr (after_updated, ==, liam_updated);
    filter = g_strdup_printf ("lastMembershipUpdated gt \"%s\"", mark);
    path = query_path ("/api/v1/groups", "filter", filter, NULL);
    changed = get (emu, 200, path, FULL);
    changed_ids = ids_of (changed->json, "id");
    g_assert_cmpstr (changed_ids, ==, SALES "," FINANCE);
    sales = get (emu, 200, "/api/v1/groups/" SALES "/users", FULL);
    g_assert_cmpuint (array_length (sales->json), ==, 6);
    emu_assert_str (sales->json, "$[5].id", LIAM);
  }
  {
    g_autofree char *path = query_path ("/api/v1/groups", "filter", "profile.name eq \"Sales\"", NULL);
    g_autoptr(EmuReply) bad = call_full (emu, "GET", path, NULL, NULL, FULL, NULL);
    g_autofree char *co = query_path ("/api/v1/groups", "search", "profile.name co \"ale\"", NULL);
    g_autoptr(EmuReply) contains = get (emu, 200, co, FULL);

    assert_okta_error (bad, 400, "E0000031");
    emu_assert_str (contains->json, "$[0].id", SALES);
  }
}

/* ---------------------------------------------------------------- the System Log */

static JsonArray *
read_log_until_empty (EmuProcess *emu, const char *path, char **last_next, guint *pages)
{
  JsonArray *all = json_array_new ();
  g_autofree char *next = g_strdup (path);

  *pages = 0;
  for (;;)
    {
      g_autoptr(EmuReply) page = get (emu, 200, next, FULL);
      JsonArray *array = json_node_get_array (page->json);

      (*pages)++;
      g_assert_cmpuint (*pages, <, 100);
      g_free (next);
      next = next_link (page);
      /* Polling: next is always there, even on an empty page. */
      g_assert_nonnull (next);
      if (json_array_get_length (array) == 0)
        break;
      for (guint i = 0; i < json_array_get_length (array); i++)
        json_array_add_element (all, json_node_copy (json_array_get_element (array, i)));
    }
  *last_next = g_steal_pointer (&next);
  return all;
}

static char *
event_types (JsonArray *events)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (events); i++)
    g_string_append_printf (text, "%s%s", text->len > 0 ? "," : "",
                            json_object_get_string_member (json_array_get_object_element (events, i), "eventType"));
  return g_string_free (text, FALSE);
}

static void
test_logs (void)
{
  EmuProcess *emu = shared;
  g_autofree char *since = NULL;
  g_autofree char *since_escaped = NULL;
  g_autofree char *deletes = escape ("eventType eq \"user.lifecycle.delete.initiated\" or "
                                     "eventType eq \"user.lifecycle.deactivate\" or "
                                     "eventType eq \"group.user_membership.remove\"");
  g_autofree char *path = NULL;
  g_autofree char *cursor = NULL;
  g_autoptr(JsonArray) events = NULL;
  guint pages = 0;

  reset (emu);
  since = emu_time (emu, -30 * 86400);
  since_escaped = escape (since);
  path = g_strdup_printf ("/api/v1/logs?since=%s&filter=%s&sortOrder=ASCENDING&limit=2", since_escaped, deletes);
  events = read_log_until_empty (emu, path, &cursor, &pages);
  {
    g_autofree char *types = event_types (events);
    g_autoptr(JsonNode) root = json_node_init_array (json_node_alloc (), events);
    g_autofree char *fields = emu_path_keys (root, "$[0]");

    /* Irene's deactivation, Olivia's deactivation, removal and deletion,
     * Kate leaving Engineering — oldest first. */
    g_assert_cmpstr (types, ==, "user.lifecycle.deactivate,user.lifecycle.deactivate,group.user_membership.remove,"
                     "user.lifecycle.delete.initiated,group.user_membership.remove");
    g_assert_cmpuint (pages, ==, 4);
    emu_assert_str (root, "$[3].target[0].id", OLIVIA);
    /* Fields of a LogEvent. */

    g_assert_nonnull (strstr (fields, "actor,"));
    g_assert_nonnull (strstr (fields, "displayMessage,"));
    g_assert_nonnull (strstr (fields, "eventType,"));
    g_assert_nonnull (strstr (fields, "outcome,"));
    g_assert_nonnull (strstr (fields, "published,"));
    g_assert_nonnull (strstr (fields, "target,"));
    g_assert_nonnull (strstr (fields, "uuid,"));
    emu_assert_str (root, "$[0].target[0].type", "User");
    emu_assert_str (root, "$[2].target[1].type", "UserGroup");
    emu_assert_str (root, "$[0].outcome.result", "SUCCESS");
  }
  {
    /* A hard delete after the cursor: deactivate, delete initiated and
     * completed; the stored next link picks them up; GET answers 404. */
    g_autoptr(EmuReply) gone = NULL;
    g_autoptr(JsonArray) more = NULL;
    g_autofree char *cursor2 = NULL;
    g_autofree char *all = escape ("eventType sw \"user.lifecycle\"");
    g_autofree char *again = NULL;
    g_autofree char *types = NULL;
    guint more_pages = 0;

    advance (emu, 1);
    emu_admin_do (emu, "DELETE", "/_admin/users/" BOB "?hard=true", NULL);
    more = read_log_until_empty (emu, cursor, &cursor2, &more_pages);
    types = event_types (more);
    g_assert_cmpstr (types, ==, "user.lifecycle.deactivate,user.lifecycle.delete.initiated");
    gone = call_full (emu, "GET", "/api/v1/users/" BOB, NULL, NULL, FULL, NULL);
    assert_okta_error (gone, 404, "E0000007");
    again = g_strdup_printf ("/api/v1/logs?since=%s&filter=%s", since_escaped, all);
    {
      g_autoptr(EmuReply) lifecycle = get (emu, 200, again, FULL);
      g_autofree char *last_types = event_types (json_node_get_array (lifecycle->json));

      g_assert_true (g_str_has_suffix (last_types, "user.lifecycle.deactivate,user.lifecycle.delete.initiated,"
                                       "user.lifecycle.delete.completed"));
    }
  }
  {
    /* Bounded query (until): ordered by published, no next on the last page. */
    g_autofree char *until = emu_time (emu, -86400 - 60);
    g_autofree char *until_escaped = escape (until);
    g_autofree char *bounded = g_strdup_printf ("/api/v1/logs?since=%s&until=%s&limit=4", since_escaped,
                                                until_escaped);
    g_autoptr(JsonArray) all = NULL;
    g_autofree char *descending = g_strdup_printf ("/api/v1/logs?since=%s&until=%s&sortOrder=DESCENDING&limit=100",
                                                   since_escaped, until_escaped);
    g_autoptr(EmuReply) down = get (emu, 200, descending, FULL);
    guint bounded_pages = 0;

    all = read_all (emu, bounded, FULL, &bounded_pages);
    g_assert_cmpuint (json_array_get_length (all), ==, 14);
    g_assert_cmpuint (bounded_pages, ==, 4);
    g_assert_cmpuint (array_length (down->json), ==, 14);
    emu_assert_str (down->json, "$[0].eventType", "user.account.update_profile");
    emu_assert_str (down->json, "$[13].eventType", "user.lifecycle.deactivate");
  }
  {
    g_autofree char *target = escape ("target.id eq \"" KATE "\"");
    g_autofree char *by_target = g_strdup_printf ("/api/v1/logs?since=%s&filter=%s", since_escaped, target);
    g_autoptr(EmuReply) kate = get (emu, 200, by_target, FULL);
    g_autoptr(EmuReply) rejected = NULL;
    g_autofree char *ne = escape ("eventType ne \"x\"");
    g_autofree char *bad_filter = g_strdup_printf ("/api/v1/logs?filter=%s", ne);
    g_autoptr(EmuReply) bad = call_full (emu, "GET", bad_filter, NULL, NULL, FULL, NULL);
    g_autoptr(EmuReply) published = call_full (emu, "GET", "/api/v1/logs?filter=published%20eq%20%22x%22", NULL, NULL,
                                            FULL, NULL);
    g_autofree char *keyword_path = g_strdup_printf ("/api/v1/logs?q=olivia&since=%s", since_escaped);
    g_autoptr(EmuReply) keyword = get (emu, 200, keyword_path, FULL);

    g_assert_cmpuint (array_length (kate->json), ==, 3);
    /* §6.3: since more than 180 days back is refused... */
    {
      g_autofree char *far = emu_time (emu, -181 * 86400);
      g_autofree char *far_escaped = escape (far);
      g_autofree char *far_path = g_strdup_printf ("/api/v1/logs?since=%s", far_escaped);

      rejected = call_full (emu, "GET", far_path, NULL, NULL, FULL, NULL);
      assert_okta_error (rejected, 400, "E0000053");
      emu_assert_str (rejected->json, "$.errorSummary",
                  "Invalid parameter: The since parameter is over 180 days prior to the current day.");
    }
    assert_okta_error (bad, 400, "E0000053");
    assert_okta_error (published, 400, "E0000053");
    g_assert_cmpuint (array_length (keyword->json), ==, 4);
  }
  {
    /* ... between 90 and 180 days it succeeds without the purged events. */
    g_autofree char *old = emu_time (emu, -170 * 86400);
    g_autofree char *old_escaped = escape (old);
    g_autofree char *filter = escape ("eventType eq \"user.lifecycle.delete.initiated\"");
    g_autofree char *old_path = g_strdup_printf ("/api/v1/logs?since=%s&filter=%s", old_escaped, filter);
    g_autoptr(EmuReply) reply = get (emu, 200, old_path, FULL);

    g_assert_cmpuint (array_length (reply->json), ==, 2);      /* Olivia, Bob: not Paul (100 days) */
    emu_assert_str (reply->json, "$[0].target[0].id", OLIVIA);
  }
  {
    /* The purge switch: Olivia deleted 10 days ago, the log purged after. */
    g_autoptr(JsonNode) purged = emu_admin (emu, "POST", "/_admin/logs/purge", "{\"older_than_days\": 7}");
    g_autofree char *filter = escape ("eventType eq \"user.lifecycle.delete.initiated\"");
    g_autofree char *purged_path = g_strdup_printf ("/api/v1/logs?since=%s&filter=%s", since_escaped, filter);
    g_autoptr(EmuReply) reply = get (emu, 200, purged_path, FULL);

    g_assert_cmpint (emu_path_num (purged, "$.removed"), >, 0);
    g_assert_cmpuint (array_length (reply->json), ==, 1);
    emu_assert_str (reply->json, "$[0].target[0].id", BOB);
  }
  {
    /* Retention follows the clock: 91 days later nothing of today is left. */
    g_autoptr(EmuReply) reply = NULL;
    g_autofree char *old = NULL;
    g_autofree char *old_escaped = NULL;
    g_autofree char *old_path = NULL;

    advance (emu, 91 * 86400);
    emu_admin_do (emu, "PATCH", "/_admin/tokens/PandaSync%20sync", "{\"lastUsed\": \"now\"}");
    old = emu_time (emu, -170 * 86400);
    old_escaped = escape (old);
    old_path = g_strdup_printf ("/api/v1/logs?since=%s", old_escaped);
    reply = get (emu, 200, old_path, FULL);
    g_assert_cmpuint (array_length (reply->json), ==, 0);
  }
}

/* ---------------------------------------------------------------- rate limits */

static void
test_rate_limits (void)
{
  EmuProcess *emu = shared;
  gint64 reset_at;

  reset (emu);
  {
    g_autoptr(EmuReply) first = get (emu, 200, "/api/v1/users?limit=1", FULL);
    g_autoptr(EmuReply) second = get (emu, 200, "/api/v1/users?limit=1", FULL);
    g_autoptr(EmuReply) logs = get (emu, 200, "/api/v1/logs?limit=1", FULL);

    /* Each token gets 50 % of a bucket by default. */
    g_assert_cmpint (header_int (first, "X-Rate-Limit-Limit"), ==, 300);
    g_assert_cmpint (header_int (first, "X-Rate-Limit-Remaining"), ==, 299);
    g_assert_cmpint (header_int (second, "X-Rate-Limit-Remaining"), ==, 298);
    g_assert_cmpint (header_int (logs, "X-Rate-Limit-Limit"), ==, 60);
    g_assert_cmpint (header_int (logs, "X-Rate-Limit-Remaining"), ==, 59);
    g_assert_cmpint (header_int (first, "X-Rate-Limit-Reset"), >, g_get_real_time () / G_USEC_PER_SEC);
  }
  faults (emu, "{\"limit_logs\": 3, \"token_share\": 100, \"reset_rates\": true}");
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(EmuReply) ok = get (emu, 200, "/api/v1/logs?limit=1", FULL);

      g_assert_cmpint (header_int (ok, "X-Rate-Limit-Limit"), ==, 3);
      g_assert_cmpint (header_int (ok, "X-Rate-Limit-Remaining"), ==, 2 - i);
    }
  {
    g_autoptr(EmuReply) limited = call_full (emu, "GET", "/api/v1/logs?limit=1", NULL, NULL, FULL, NULL);
    g_autoptr(EmuReply) users = get (emu, 200, "/api/v1/users?limit=1", FULL);
    const char *date = soup_message_headers_get_one (limited->headers, "Date");
    g_autoptr(GDateTime) server_now = soup_date_time_new_from_http_string (date);

    assert_okta_error (limited, 429, "E0000047");
    emu_assert_str (limited->json, "$.errorSummary", "API call exceeded rate limit due to too many requests.");
    g_assert_cmpint (header_int (limited, "X-Rate-Limit-Remaining"), ==, 0);
    g_assert_cmpint (header_int (limited, "X-Rate-Limit-Limit"), ==, 3);
    reset_at = header_int (limited, "X-Rate-Limit-Reset");
    /* Reset − Date is the wait, about a minute. */
    g_assert_cmpint (reset_at - g_date_time_to_unix (server_now), >, 0);
    g_assert_cmpint (reset_at - g_date_time_to_unix (server_now), <=, 61);
    /* Another bucket is not touched. */
    g_assert_cmpint (header_int (users, "X-Rate-Limit-Remaining"), ==, 599);
  }
  {
    /* The window ends on the emulated clock. */
    g_autoptr(EmuReply) later = NULL;

    advance (emu, 61);
    later = get (emu, 200, "/api/v1/logs?limit=1", FULL);
    g_assert_cmpint (header_int (later, "X-Rate-Limit-Remaining"), ==, 2);
    g_assert_cmpint (header_int (later, "X-Rate-Limit-Reset"), >, reset_at);
  }
  {
    /* Random 429s by rate, repeatable under the same seed. */
    g_autoptr(EmuReply) throttled = NULL;
    g_autoptr(EmuReply) concurrency = NULL;
    g_autoptr(GDateTime) date = NULL;

    faults (emu, "{\"add_rule\": {\"fault\": \"throttle\", \"rate\": 1.0, \"reset\": 5, \"count\": 1}}");
    throttled = call_full (emu, "GET", "/api/v1/users", NULL, NULL, FULL, NULL);
    assert_okta_error (throttled, 429, "E0000047");
    g_assert_cmpint (header_int (throttled, "X-Rate-Limit-Remaining"), ==, 0);
    date = soup_date_time_new_from_http_string (soup_message_headers_get_one (throttled->headers, "Date"));
    g_assert_cmpint (header_int (throttled, "X-Rate-Limit-Reset") - g_date_time_to_unix (date), ==, 5);
    faults (emu, "{\"add_rule\": {\"fault\": \"concurrency\", \"count\": 1}}");
    concurrency = call_full (emu, "GET", "/api/v1/users", NULL, NULL, FULL, NULL);
    assert_okta_error (concurrency, 429, "E0000047");
    g_assert_cmpint (header_int (concurrency, "X-Rate-Limit-Limit"), ==, 0);
    g_assert_cmpint (header_int (concurrency, "X-Rate-Limit-Remaining"), ==, 0);
  }
  {
    g_autoptr(JsonNode) log = emu_admin (emu, "GET", "/_admin/logs", NULL);
    g_autoptr(JsonNode) all = emu_path_node (log, "$.events");
    g_autofree char *types = event_types (json_node_get_array (all));

    g_assert_nonnull (strstr (types, "system.org.rate_limit.violation"));
    g_assert_true (g_str_has_suffix (types, "core.concurrency.org.limit.violation"));
  }
  {
    /* Limits off: headers still there, no 429. */
    faults (emu, "{\"rate_limits\": false, \"limit_all\": 1, \"reset_rates\": true}");
    for (guint i = 0; i < 3; i++)
      {
        g_autoptr(EmuReply) ok = get (emu, 200, "/api/v1/groups", FULL);

        g_assert_cmpint (header_int (ok, "X-Rate-Limit-Limit"), ==, 1);
      }
  }
}

/* ---------------------------------------------------------------- faults */

static void
test_faults (void)
{
  EmuProcess *emu = shared;

  reset (emu);
  {
    g_autoptr(EmuReply) ok = NULL;
    g_autoptr(EmuReply) error = NULL;
    g_autoptr(EmuReply) after = NULL;

    faults (emu, "{\"add_rule\": {\"fault\": \"error\", \"match\": \"GET /api/v1/users\", \"nth\": 2}}");
    ok = get (emu, 200, "/api/v1/users", FULL);
    error = call_full (emu, "GET", "/api/v1/users", NULL, NULL, FULL, NULL);
    after = get (emu, 200, "/api/v1/users", FULL);
    assert_okta_error (error, 503, "E0000009");
    assert_common_headers (error);
  }
  {
    /* Per path: only members of one group fail. */
    g_autoptr(EmuReply) members = NULL;
    g_autoptr(EmuReply) other = NULL;

    faults (emu, "{\"rules\": [{\"fault\": \"error\", \"status\": 500, \"match\": \"GET /api/v1/groups/*/users\"}]}");
    members = call_full (emu, "GET", "/api/v1/groups/" SALES "/users", NULL, NULL, FULL, NULL);
    other = get (emu, 200, "/api/v1/groups/" SALES, FULL);
    assert_okta_error (members, 500, "E0000009");
  }
  {
    g_autoptr(EmuReply) dropped = NULL;
    g_autoptr(EmuReply) truncated = NULL;
    g_autoptr(EmuReply) malformed = NULL;

    faults (emu, "{\"rules\": [{\"fault\": \"drop\", \"count\": 1}]}");
    /* On a fresh connection: libsoup re-sends a GET that fails on a reused
     * one, which would hide the fault. */
    g_object_unref (emu->session);
    emu->session = soup_session_new_with_options ("timeout", 30, NULL);
    dropped = call_full (emu, "GET", "/api/v1/users", NULL, NULL, FULL, NULL);
    g_assert_nonnull (dropped->error);
    faults (emu, "{\"rules\": [{\"fault\": \"truncate\", \"count\": 1}]}");
    truncated = call_full (emu, "GET", "/api/v1/users", NULL, NULL, FULL, NULL);
    g_assert_no_error (truncated->error);
    g_assert_cmpuint (truncated->status, ==, 200);
    g_assert_null (truncated->json);
    faults (emu, "{\"rules\": [{\"fault\": \"malformed\", \"count\": 1}]}");
    malformed = call_full (emu, "GET", "/api/v1/users", NULL, NULL, FULL, NULL);
    g_assert_null (malformed->json);
    g_assert_nonnull (g_strstr_len (g_bytes_get_data (malformed->bytes, NULL), g_bytes_get_size (malformed->bytes),
                                    "<<garbage"));
  }
  {
    g_autoptr(EmuReply) invalid = NULL;
    g_autoptr(EmuReply) forbidden = NULL;
    g_autoptr(EmuReply) scope = NULL;
    const char *www;

    faults (emu, "{\"rules\": [{\"fault\": \"invalid_token\", \"count\": 1}, "
                 "{\"fault\": \"forbidden\", \"match\": \"GET /api/v1/logs\"}, "
                 "{\"fault\": \"insufficient_scope\", \"match\": \"GET /api/v1/groups\", "
                 "\"scope\": \"okta.groups.read\"}]}");
    invalid = call_full (emu, "GET", "/api/v1/users", NULL, NULL, FULL, NULL);
    assert_okta_error (invalid, 401, "E0000011");
    forbidden = call_full (emu, "GET", "/api/v1/logs", NULL, NULL, FULL, NULL);
    assert_okta_error (forbidden, 403, "E0000006");
    scope = call_full (emu, "GET", "/api/v1/groups", NULL, NULL, FULL, NULL);
    g_assert_cmpuint (scope->status, ==, 403);
    g_assert_true (scope->bytes == NULL || g_bytes_get_size (scope->bytes) == 0);
    www = soup_message_headers_get_one (scope->headers, "WWW-Authenticate");
    g_assert_nonnull (www);
    g_assert_nonnull (strstr (www, "error=\"insufficient_scope\""));
    g_assert_nonnull (strstr (www, "scope=\"okta.groups.read\""));
  }
  {
    /* §8.7: a large page "took too long"; a smaller one works. */
    g_autoptr(EmuReply) slow = NULL;

    faults (emu, "{\"clear_rules\": true, \"timeout_limit\": 100}");
    slow = call_full (emu, "GET", "/api/v1/users?limit=200", NULL, NULL, FULL, NULL);
    assert_okta_error (slow, 500, "E0000009");
    g_clear_pointer (&slow, emu_reply_free);
    slow = get (emu, 200, "/api/v1/users?limit=100", FULL);
    faults (emu, "{\"timeout_limit\": 0}");
  }
  {
    /* An empty page with a next link to the same place. */
    g_autoptr(EmuReply) empty = NULL;
    g_autoptr(EmuReply) full = NULL;
    g_autofree char *next = NULL;

    faults (emu, "{\"rules\": [{\"fault\": \"empty_page\", \"count\": 1, \"match\": \"GET /api/v1/users\"}]}");
    empty = get (emu, 200, "/api/v1/users?limit=5", FULL);
    g_assert_cmpuint (array_length (empty->json), ==, 0);
    next = next_link (empty);
    g_assert_nonnull (next);
    full = get (emu, 200, next, FULL);
    g_assert_cmpuint (array_length (full->json), ==, 5);
    emu_assert_str (full->json, "$[0].id", SAM);
  }
  {
    /* The same seed, the same faults. */
    g_autoptr(GString) first = g_string_new (NULL);
    g_autoptr(GString) second = g_string_new (NULL);

    for (guint round = 0; round < 2; round++)
      {
        faults (emu, "{\"rules\": [{\"fault\": \"throttle\", \"rate\": 0.5}], \"random_seed\": 42}");
        for (guint i = 0; i < 20; i++)
          {
            g_autoptr(EmuReply) reply = call_full (emu, "GET", "/api/v1/groups", NULL, NULL, FULL, NULL);

            g_string_append_c (round == 0 ? first : second, reply->status == 429 ? 'x' : '.');
          }
      }
    g_assert_cmpstr (first->str, ==, second->str);
    g_assert_nonnull (strchr (first->str, 'x'));
    g_assert_nonnull (strchr (first->str, '.'));
  }
  {
    g_autoptr(JsonNode) stats = emu_admin (emu, "GET", "/_admin/stats", NULL);
    g_autoptr(JsonNode) dump = emu_admin (emu, "GET", "/_admin/faults", NULL);

    g_assert_cmpint (emu_path_num (stats, "$.faults.throttle"), >, 0);
    emu_assert_str (dump, "$.rules[0].fault", "throttle");
    g_assert_cmpint (emu_path_num (dump, "$.rules[0].seen"), ==, 20);
  }
  {
    g_autoptr(EmuReply) bad = call_full (emu, "POST", "/_admin/faults", "{\"rules\": [{\"fault\": \"nope\"}]}", NULL,
                                      NULL, NULL);
    g_autoptr(EmuReply) unknown = call_full (emu, "POST", "/_admin/faults", "{\"nope\": 1}", NULL, NULL, NULL);

    g_assert_cmpuint (bad->status, ==, 400);
    g_assert_cmpuint (unknown->status, ==, 400);
  }
}

/* ---------------------------------------------------------------- admin */

static void
test_admin (void)
{
  EmuProcess *emu = shared;
  g_autofree char *new_id = NULL;
  g_autofree char *mark = NULL;

  reset (emu);
  advance (emu, 1);
  mark = emu_time (emu, 0);
  {
    g_autoptr(JsonNode) created = emu_admin (emu, "POST", "/_admin/users",
                                         "{\"profile\": {\"login\": \"zoe.new@acme.example.com\", "
                                         "\"email\": \"zoe.new@acme.example.com\", \"firstName\": \"Zoe\", "
                                         "\"lastName\": \"New\", \"department\": \"Sales\", \"badgeId\": \"B-2000\"}, "
                                         "\"status\": \"ACTIVE\", \"groups\": [\"" SALES "\"], "
                                         "\"actor\": \"" BOB "\"}");
    g_autoptr(EmuReply) user = NULL;
    g_autofree char *path = NULL;

    new_id = emu_path_str (created, "$.id");
    g_assert_true (g_str_has_prefix (new_id, "00u"));
    g_assert_cmpuint (strlen (new_id), ==, 20);
    emu_assert_str (created, "$.status", "ACTIVE");
    g_assert_cmpuint (emu_path_len (created, "$.groups"), ==, 2);   /* Everyone and Sales */
    {
      g_autoptr(EmuReply) everyone = get (emu, 200, "/api/v1/groups/" EVERYONE, FULL);
      g_autofree char *moved = emu_path_str (everyone->json, "$.lastMembershipUpdated");

      g_assert_cmpstr (moved, >=, mark);
    }
    path = g_strdup_printf ("/api/v1/users/%s", new_id);
    user = get (emu, 200, path, FULL);
    emu_assert_str (user->json, "$.profile.badgeId", "B-2000");
    {
      /* The admin named as actor is in the create event. */
      g_autoptr(JsonNode) log = emu_admin (emu, "GET", "/_admin/logs", NULL);
      g_autoptr(JsonNode) events = emu_path_node (log, "$.events");
      JsonArray *array = json_node_get_array (events);
      gboolean found = FALSE;

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonObject *event = json_array_get_object_element (array, i);

          if (g_str_equal (json_object_get_string_member (event, "eventType"), "user.lifecycle.create") &&
              g_strcmp0 (json_object_get_string_member (json_array_get_object_element (
                           json_object_get_array_member (event, "target"), 0), "id"), new_id) == 0)
            {
              g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (event, "actor"), "id"),
                               ==, BOB);
              found = TRUE;
            }
        }
      g_assert_true (found);
    }
  }
  {
    /* Unknown attributes and taken logins are refused. */
    g_assert_cmpuint (admin_status (emu, "POST", "/_admin/users",
                                    "{\"profile\": {\"login\": \"x@acme.example.com\", \"email\": \"x@a.com\", "
                                    "\"shoeSize\": 44}}"), ==, 400);
    g_assert_cmpuint (admin_status (emu, "POST", "/_admin/users",
                                    "{\"profile\": {\"login\": \"ALICE.SMITH@acme.example.com\", "
                                    "\"email\": \"x@a.com\"}}"), ==, 400);
    g_assert_cmpuint (admin_status (emu, "PATCH", "/_admin/users/" ALICE, "{\"created\": \"now\"}"), ==, 400);
  }
  {
    /* A profile change moves lastUpdated and writes update_profile. */
    g_autoptr(JsonNode) changed = emu_admin (emu, "PATCH", "/_admin/users/" ALICE,
                                         "{\"profile\": {\"title\": \"Staff Engineer\", \"mobilePhone\": "
                                         "\"+1 555 0199\"}}");
    g_autofree char *updated = emu_path_str (changed, "$.lastUpdated");

    g_assert_cmpstr (updated, >=, mark);
    emu_assert_str (changed, "$.profile.title", "Staff Engineer");
  }
  {
    /* Status transitions, each with its event and a new lastUpdated. */
    static const struct { const char *user; const char *action; const char *status; guint http; } steps[] = {
      { ALICE, "suspend", "SUSPENDED", 200 },
      { ALICE, "suspend", NULL, 400 },
      { ALICE, "unsuspend", "ACTIVE", 200 },
      { ALICE, "lock", "LOCKED_OUT", 200 },
      { ALICE, "unlock", "ACTIVE", 200 },
      { ALICE, "expire_password", "PASSWORD_EXPIRED", 200 },
      { ALICE, "reset_password", "RECOVERY", 200 },
      { ALICE, "deactivate", "DEPROVISIONED", 200 },
      { ALICE, "deactivate", NULL, 400 },
      { ALICE, "activate", "ACTIVE", 200 },
      { DAN, "activate", "ACTIVE", 200 },
      { CAROL, "unlock", NULL, 400 },
    };

    for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
      {
        g_autofree char *path = g_strdup_printf ("/_admin/users/%s/lifecycle/%s", steps[i].user, steps[i].action);
        g_autoptr(EmuReply) reply = call_full (emu, "POST", path, NULL, NULL, NULL, NULL);

        g_assert_cmpuint (reply->status, ==, steps[i].http);
        if (steps[i].status != NULL)
          emu_assert_str (reply->json, "$.status", steps[i].status);
      }
  }
  {
    g_autofree char *filter = escape ("target.id eq \"" ALICE "\"");
    g_autofree char *mark_escaped = escape (mark);
    g_autofree char *path = g_strdup_printf ("/api/v1/logs?since=%s&filter=%s", mark_escaped, filter);
    g_autoptr(EmuReply) log = get (emu, 200, path, FULL);
    g_autofree char *types = event_types (json_node_get_array (log->json));

    g_assert_cmpstr (types, ==, "user.account.update_profile,user.lifecycle.suspend,user.lifecycle.unsuspend,"
                     "user.account.lock,user.account.unlock_by_admin,user.account.expire_password,"
                     "user.account.reset_password,user.lifecycle.deactivate,user.lifecycle.reactivate");
  }
  {
    /* DELETE on an active user deactivates it; a second DELETE deletes it. */
    g_autoptr(JsonNode) first = emu_admin (emu, "DELETE", "/_admin/users/" KATE, NULL);
    g_autoptr(JsonNode) second = NULL;
    g_autoptr(EmuReply) gone = NULL;
    g_autoptr(EmuReply) sales = NULL;

    emu_assert_str (first, "$.status", "DEPROVISIONED");
    second = emu_admin (emu, "DELETE", "/_admin/users/" KATE, NULL);
    g_assert_true (emu_path_has (second, "$.deleted"));
    gone = call_full (emu, "GET", "/api/v1/users/" KATE, NULL, NULL, FULL, NULL);
    assert_okta_error (gone, 404, "E0000007");
    sales = get (emu, 200, "/api/v1/groups/" SALES "/users", FULL);
    g_assert_false (contains_id (sales->json, KATE));
  }
  {
    /* Groups: create, rename, members, delete. */
    g_autoptr(JsonNode) group = emu_admin (emu, "POST", "/_admin/groups",
                                       "{\"profile\": {\"name\": \"Contractors\", \"description\": \"External\"}, "
                                       "\"members\": [\"" LIAM "\"]}");
    g_autofree char *id = emu_path_str (group, "$.id");
    g_autofree char *group_path = g_strdup_printf ("/_admin/groups/%s", id);
    g_autofree char *members_path = g_strdup_printf ("/_admin/groups/%s/members", id);
    g_autofree char *api_path = g_strdup_printf ("/api/v1/groups/%s/users", id);
    g_autoptr(JsonNode) renamed = NULL;
    g_autoptr(EmuReply) members = NULL;

    g_assert_true (g_str_has_prefix (id, "00g"));
    renamed = emu_admin (emu, "PATCH", group_path, "{\"profile\": {\"name\": \"Contractors EU\"}}");
    emu_assert_str (renamed, "$.profile.name", "Contractors EU");
    emu_admin_do (emu, "POST", members_path, "{\"ids\": [\"" MIA "\", \"" JACK "\"]}");
    members = get (emu, 200, api_path, FULL);
    g_assert_cmpuint (array_length (members->json), ==, 3);
    g_assert_cmpuint (admin_status (emu, "POST", "/_admin/groups/" EVERYONE "/members", "{\"id\": \"" MIA "\"}"), ==,
                      200);
    g_assert_cmpuint (admin_status (emu, "DELETE", "/_admin/groups/" EVERYONE "/members/" MIA, NULL), ==, 400);
    emu_admin_do (emu, "DELETE", group_path, NULL);
    g_assert_cmpuint (admin_status (emu, "GET", group_path, NULL), ==, 404);
  }
  {
    /* State in seed format; the call log names tokens, never their values. */
    g_autoptr(JsonNode) state = emu_admin (emu, "GET", "/_admin/state", NULL);
    g_autoptr(JsonNode) calls = emu_admin (emu, "GET", "/_admin/calls", NULL);
    g_autofree char *calls_text = json_to_string (calls, FALSE);
    g_autoptr(JsonNode) second_org = emu_admin (emu, "GET", "/_admin/users?org=globex", NULL);

    emu_assert_str (state, "$.orgs[0].name", "acme");
    emu_assert_str (state, "$.orgs[1].name", "globex");
    g_assert_true (emu_path_has (state, "$.orgs[0].users[0].profile.login"));
    g_assert_true (emu_path_has (state, "$.orgs[0].groups[1].members"));
    g_assert_true (emu_path_has (state, "$.orgs[0].logs"));
    g_assert_true (emu_path_has (state, "$.now"));
    g_assert_cmpint (emu_path_num (calls, "$.calls[0].seq"), ==, 1);
    emu_assert_str (calls, "$.calls[0].method", "GET");
    g_assert_true (emu_path_has (calls, "$.calls[0].path"));
    g_assert_true (emu_path_has (calls, "$.calls[0].status"));
    emu_assert_str (calls, "$.calls[0].token", "PandaSync sync");
    emu_assert_str (calls, "$.calls[0].auth", "SSWS");
    g_assert_null (strstr (calls_text, FULL_TOKEN));
    g_assert_cmpuint (array_length (second_org), ==, 2);
  }
  {
    /* Reset brings the seed back. */
    g_autoptr(EmuReply) kate = NULL;

    reset (emu);
    kate = get (emu, 200, "/api/v1/users/" KATE, FULL);
    emu_assert_str (kate->json, "$.status", "ACTIVE");
  }
  {
    /* Custom events, and a clock that only goes forward. */
    g_autoptr(JsonNode) event = emu_admin (emu, "POST", "/_admin/logs",
                                       "{\"eventType\": \"user.lifecycle.delete.initiated\", \"published\": "
                                       "\"now-1h\", \"target\": [{\"id\": \"00ugone0000000000001\", \"type\": \"User\"}]}");

    emu_assert_str (event, "$.target[0].id", "00ugone0000000000001");
    g_assert_cmpuint (admin_status (emu, "POST", "/_admin/clock", "{\"advance\": -5}"), ==, 400);
    g_assert_cmpuint (admin_status (emu, "GET", "/_admin/nothing", NULL), ==, 404);
    g_assert_cmpuint (admin_status (emu, "GET", "/_admin/users?org=nowhere", NULL), ==, 404);
  }
}

/* ---------------------------------------------------------------- OAuth */

#ifdef OKTA_HAVE_GNUTLS
typedef struct {
  gnutls_privkey_t key;
  gboolean         ec;
  char            *kid;
  char            *jwk;       /* the public JWK as JSON */
} TestKey;

static char *
b64url (const guint8 *data, gsize length)
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

/* A big-endian number as exactly @size bytes. */
static char *
b64url_fixed (const gnutls_datum_t *datum, gsize size)
{
  g_autofree guint8 *buffer = g_malloc0 (size);
  gsize skip = 0;

  while (skip < datum->size && datum->data[skip] == 0 && datum->size - skip > size)
    skip++;
  g_assert_cmpuint (datum->size - skip, <=, size);
  memcpy (buffer + size - (datum->size - skip), datum->data + skip, datum->size - skip);
  return b64url (buffer, size);
}

static void
test_key_init (TestKey *key, gboolean ec, const char *kid)
{
  gnutls_pubkey_t pub;
  gnutls_datum_t a = { NULL, 0 };
  gnutls_datum_t b = { NULL, 0 };

  key->ec = ec;
  key->kid = g_strdup (kid);
  g_assert_cmpint (gnutls_privkey_init (&key->key), ==, 0);
  g_assert_cmpint (gnutls_privkey_generate2 (key->key, ec ? GNUTLS_PK_ECDSA : GNUTLS_PK_RSA,
                                             ec ? GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1) : 2048, 0, NULL,
                                             0), ==, 0);
  g_assert_cmpint (gnutls_pubkey_init (&pub), ==, 0);
  g_assert_cmpint (gnutls_pubkey_import_privkey (pub, key->key, 0, 0), ==, 0);
  if (ec)
    {
      gnutls_ecc_curve_t curve;
      g_autofree char *x = NULL;
      g_autofree char *y = NULL;

      g_assert_cmpint (gnutls_pubkey_export_ecc_raw2 (pub, &curve, &a, &b, GNUTLS_EXPORT_FLAG_NO_LZ), ==, 0);
      x = b64url_fixed (&a, 32);
      y = b64url_fixed (&b, 32);
      key->jwk = emu_jq ("{'kty': 'EC', 'crv': 'P-256', 'kid': '%s', 'x': '%s', 'y': '%s'}", kid, x, y);
    }
  else
    {
      g_autofree char *n = NULL;
      g_autofree char *e = NULL;

      g_assert_cmpint (gnutls_pubkey_export_rsa_raw2 (pub, &a, &b, GNUTLS_EXPORT_FLAG_NO_LZ), ==, 0);
      n = b64url (a.data, a.size);
      e = b64url (b.data, b.size);
      key->jwk = emu_jq ("{'kty': 'RSA', 'kid': '%s', 'n': '%s', 'e': '%s'}", kid, n, e);
    }
  gnutls_free (a.data);
  gnutls_free (b.data);
  gnutls_pubkey_deinit (pub);
}

static void
test_key_clear (TestKey *key)
{
  gnutls_privkey_deinit (key->key);
  g_free (key->kid);
  g_free (key->jwk);
}

/* A compact JWS of @header_json and @claims_json. */
static char *
sign (TestKey *key, const char *header_json, const char *claims_json)
{
  g_autofree char *header = b64url ((const guint8 *) header_json, strlen (header_json));
  g_autofree char *claims = b64url ((const guint8 *) claims_json, strlen (claims_json));
  g_autofree char *input = g_strdup_printf ("%s.%s", header, claims);
  gnutls_datum_t data = { (unsigned char *) input, strlen (input) };
  gnutls_datum_t signature = { NULL, 0 };
  g_autofree char *encoded = NULL;

  g_assert_cmpint (gnutls_privkey_sign_data2 (key->key, key->ec ? GNUTLS_SIGN_ECDSA_SHA256 : GNUTLS_SIGN_RSA_SHA256,
                                              0, &data, &signature), ==, 0);
  if (key->ec)
    {
      gnutls_datum_t r = { NULL, 0 };
      gnutls_datum_t s = { NULL, 0 };
      g_autofree char *r_text = NULL;
      g_autofree char *s_text = NULL;
      g_autoptr(GBytes) r_bytes = NULL;
      guint8 raw[64];

      g_assert_cmpint (gnutls_decode_rs_value (&signature, &r, &s), ==, 0);
      memset (raw, 0, sizeof raw);
      {
        gsize r_skip = r.size > 32 ? r.size - 32 : 0;
        gsize s_skip = s.size > 32 ? s.size - 32 : 0;

        memcpy (raw + 32 - (r.size - r_skip), r.data + r_skip, r.size - r_skip);
        memcpy (raw + 64 - (s.size - s_skip), s.data + s_skip, s.size - s_skip);
      }
      encoded = b64url (raw, sizeof raw);
      gnutls_free (r.data);
      gnutls_free (s.data);
    }
  else
    encoded = b64url (signature.data, signature.size);
  gnutls_free (signature.data);
  return g_strdup_printf ("%s.%s", input, encoded);
}

static char *
assertion_full (EmuProcess *emu, TestKey *key, const char *client_id, const char *aud, gint64 exp_offset,
                const char *jti)
{
  g_autofree char *header = emu_jq ("{'alg': '%s', 'kid': '%s'}", key->ec ? "ES256" : "RS256", key->kid);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *default_aud = g_strdup_printf ("%s/oauth2/v1/token", emu->base);
  g_autofree char *claims = emu_jq ("{'iss': '%s', 'sub': '%s', 'aud': '%s', 'iat': %" G_GINT64_FORMAT ", "
                                "'exp': %" G_GINT64_FORMAT ", 'jti': '%s'}", client_id, client_id,
                                aud != NULL ? aud : default_aud, now, now + exp_offset, jti);

  return sign (key, header, claims);
}

static char *
token_form (const char *assertion, const char *scope)
{
  g_autofree char *a = g_uri_escape_string (assertion, NULL, FALSE);
  g_autofree char *s = g_uri_escape_string (scope, NULL, FALSE);

  return g_strdup_printf ("grant_type=client_credentials&scope=%s&client_assertion_type="
                          "urn%%3Aietf%%3Aparams%%3Aoauth%%3Aclient-assertion-type%%3Ajwt-bearer&client_assertion=%s",
                          s, a);
}

static EmuReply *
token_call (EmuProcess *emu, const char *form, const char *const *headers)
{
  return call_full (emu, "POST", "/oauth2/v1/token", form, "application/x-www-form-urlencoded", NULL, headers);
}

static void
assert_oauth_error (EmuReply *reply, guint status, const char *error, const char *description)
{
  g_autofree char *fields = NULL;

  g_assert_no_error (reply->error);
  if (reply->status != status)
    g_error ("expected %u, got %u: %.*s", status, reply->status, (int) g_bytes_get_size (reply->bytes),
             (const char *) g_bytes_get_data (reply->bytes, NULL));
  fields = emu_path_keys (reply->json, "$");
  g_assert_cmpstr (fields, ==, "error,error_description");
  emu_assert_str (reply->json, "$.error", error);
  if (description != NULL)
    emu_assert_str (reply->json, "$.error_description", description);
}

static void
register_key (EmuProcess *emu, const char *client_id, TestKey *key)
{
  g_autofree char *path = g_strdup_printf ("/_admin/apps/%s", client_id);
  g_autofree char *body = g_strdup_printf ("{\"add_key\": %s}", key->jwk);

  emu_admin_do (emu, "POST", path, body);
}

static void
test_oauth (void)
{
  EmuProcess *emu = shared;
  TestKey rsa = { 0 };
  TestKey ec = { 0 };
  TestKey stranger = { 0 };
  g_autofree char *access = NULL;

  reset (emu);
  test_key_init (&rsa, FALSE, "rsa-1");
  test_key_init (&ec, TRUE, "ec-1");
  test_key_init (&stranger, FALSE, "rsa-1");
  register_key (emu, SYNC_APP, &rsa);
  register_key (emu, SYNC_APP, &ec);
  register_key (emu, USERS_APP, &rsa);
  register_key (emu, WEAK_APP, &rsa);
  {
    g_autofree char *assertion = assertion_full (emu, &rsa, SYNC_APP, NULL, 300, "jti-1");
    g_autofree char *form = token_form (assertion, SCOPES);
    g_autoptr(EmuReply) reply = token_call (emu, form, NULL);
    g_autofree char *fields = NULL;
    g_autofree char *bearer = NULL;
    g_autoptr(EmuReply) users = NULL;
    g_autoptr(EmuReply) me = NULL;
    g_autoptr(EmuReply) org = NULL;

    g_assert_cmpuint (reply->status, ==, 200);
    fields = emu_path_keys (reply->json, "$");
    g_assert_cmpstr (fields, ==, "access_token,expires_in,scope,token_type");
    emu_assert_str (reply->json, "$.token_type", "Bearer");
    g_assert_cmpint (emu_path_num (reply->json, "$.expires_in"), ==, 3600);
    emu_assert_str (reply->json, "$.scope", SCOPES);
    access = emu_path_str (reply->json, "$.access_token");
    bearer = g_strdup_printf ("Bearer %s", access);
    users = get (emu, 200, "/api/v1/users?limit=2", bearer);
    g_assert_cmpuint (array_length (users->json), ==, 2);
    /* A service app has no user behind it. */
    me = call_full (emu, "GET", "/api/v1/users/me", NULL, NULL, bearer, NULL);
    assert_okta_error (me, 404, "E0000007");
    /* /org needs okta.orgs.read: 403, no body, the scope named. */
    org = call_full (emu, "GET", "/api/v1/org", NULL, NULL, bearer, NULL);
    g_assert_cmpuint (org->status, ==, 403);
    g_assert_nonnull (strstr (soup_message_headers_get_one (org->headers, "WWW-Authenticate"),
                              "scope=\"okta.orgs.read\""));
  }
  {
    /* ES256 works as well. */
    g_autofree char *assertion = assertion_full (emu, &ec, SYNC_APP, NULL, 300, "jti-ec");
    g_autofree char *form = token_form (assertion, "okta.users.read");
    g_autoptr(EmuReply) reply = token_call (emu, form, NULL);

    g_assert_cmpuint (reply->status, ==, 200);
  }
  {
    g_autofree char *reused_assertion = assertion_full (emu, &rsa, SYNC_APP, NULL, 300, "jti-1");
    g_autofree char *wrong_aud = assertion_full (emu, &rsa, SYNC_APP, "https://acme.okta.com/oauth2/v1/token", 300,
                                                 "jti-2");
    g_autofree char *too_far = assertion_full (emu, &rsa, SYNC_APP, NULL, 7200, "jti-3");
    g_autofree char *expired = assertion_full (emu, &rsa, SYNC_APP, NULL, -10, "jti-4");
    g_autofree char *forged = assertion_full (emu, &stranger, SYNC_APP, NULL, 300, "jti-5");
    g_autofree char *unknown_app = assertion_full (emu, &rsa, "0oanothing0000000000", NULL, 300, "jti-6");
    g_autofree char *good = assertion_full (emu, &rsa, SYNC_APP, NULL, 300, "jti-7");
    struct {
      char       *form;
      guint       status;
      const char *error;
      const char *description;
    } cases[] = {
      { token_form (reused_assertion, SCOPES), 401, "invalid_client",
        "The client_assertion token has already been used." },
      { token_form (wrong_aud, SCOPES), 401, "invalid_client",
        "The audience claim for client_assertion must be the endpoint invoked for the request." },
      { token_form (too_far, SCOPES), 401, "invalid_client",
        "The client_assertion token has an expiration too far into the future." },
      { token_form (expired, SCOPES), 401, "invalid_client", "The client_assertion token is expired." },
      { token_form (forged, SCOPES), 401, "invalid_client", "The client_assertion signature is invalid." },
      { token_form (unknown_app, SCOPES), 401, "invalid_client",
        "The issuer claim for client_assertion is not a valid client_id." },
      { token_form (good, "okta.users.read okta.orgs.read"), 400, "invalid_scope", NULL },
      { token_form (good, ""), 400, "invalid_scope", "No scopes were requested." },
      { g_strdup ("grant_type=client_credentials&scope=okta.users.read&client_id=" SYNC_APP
                  "&client_secret=s3cret"), 401, "invalid_client",
        "Client Credentials requests to the Org Authorization Server must use the private_key_jwt "
        "token_endpoint_auth_method." },
      { g_strdup ("grant_type=password&scope=okta.users.read"), 400, "unsupported_grant_type", NULL },
      { g_strdup ("grant_type=client_credentials&scope=okta.users.read"), 401, "invalid_client",
        "No client credentials found." },
      { g_strdup ("grant_type=client_credentials&client_assertion_type=x&client_assertion=a.b.c"), 400,
        "invalid_request", "The client_assertion_type is invalid." },
      { g_strdup ("grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-"
                  "assertion-type%3Ajwt-bearer&client_assertion=not-a-jwt"), 401, "invalid_client",
        "The parsing of the client_assertion failed." },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autoptr(EmuReply) reply = token_call (emu, cases[i].form, NULL);

        assert_oauth_error (reply, cases[i].status, cases[i].error, cases[i].description);
        g_free (cases[i].form);
      }
    {
      /* Secrets and assertions never reach the call log. */
      g_autoptr(JsonNode) calls = emu_admin (emu, "GET", "/_admin/calls", NULL);
      g_autofree char *text = json_to_string (calls, FALSE);

      g_assert_null (strstr (text, "s3cret"));
      g_assert_null (strstr (text, reused_assertion));
      g_assert_nonnull (strstr (text, "client_assertion=%2A%2A%2A"));
    }
  }
  {
    /* Scopes: an app with users only gets 403 + insufficient_scope on groups. */
    g_autofree char *assertion = assertion_full (emu, &rsa, USERS_APP, NULL, 300, "jti-u1");
    g_autofree char *form = token_form (assertion, "okta.users.read");
    g_autoptr(EmuReply) reply = token_call (emu, form, NULL);
    g_autofree char *token = emu_path_str (reply->json, "$.access_token");
    g_autofree char *bearer = g_strdup_printf ("Bearer %s", token);
    g_autoptr(EmuReply) groups = call_full (emu, "GET", "/api/v1/groups", NULL, NULL, bearer, NULL);
    const char *www = soup_message_headers_get_one (groups->headers, "WWW-Authenticate");

    g_assert_cmpuint (groups->status, ==, 403);
    g_assert_true (groups->bytes == NULL || g_bytes_get_size (groups->bytes) == 0);
    g_assert_nonnull (www);
    g_assert_true (g_str_has_prefix (www, "Bearer "));
    g_assert_nonnull (strstr (www, "scope=\"okta.groups.read\""));
    g_assert_nonnull (strstr (www, "error=\"insufficient_scope\""));
    g_assert_nonnull (strstr (www, "The access token provided does not contain the required scopes."));
  }
  {
    /* Silent downscoping: the scope is granted, the admin role lacks it. */
    g_autofree char *assertion = assertion_full (emu, &rsa, WEAK_APP, NULL, 300, "jti-w1");
    g_autofree char *form = token_form (assertion, SCOPES);
    g_autoptr(EmuReply) reply = token_call (emu, form, NULL);
    g_autofree char *token = emu_path_str (reply->json, "$.access_token");
    g_autofree char *bearer = g_strdup_printf ("Bearer %s", token);
    g_autoptr(EmuReply) users = call_full (emu, "GET", "/api/v1/users", NULL, NULL, bearer, NULL);
    g_autoptr(EmuReply) groups = get (emu, 200, "/api/v1/groups", bearer);

    assert_okta_error (users, 403, "E0000006");
  }
  {
    /* After an hour on the clock the token is expired: 401 with the header. */
    g_autofree char *bearer = g_strdup_printf ("Bearer %s", access);
    g_autoptr(EmuReply) expired = NULL;
    const char *www;

    advance (emu, 3601);
    expired = call_full (emu, "GET", "/api/v1/users", NULL, NULL, bearer, NULL);
    assert_okta_error (expired, 401, "E0000011");
    www = soup_message_headers_get_one (expired->headers, "WWW-Authenticate");
    g_assert_nonnull (www);
    g_assert_nonnull (strstr (www, "error=\"invalid_token\""));
  }
  test_key_clear (&rsa);
  test_key_clear (&ec);
  test_key_clear (&stranger);
}

static char *
proof (EmuProcess *emu, TestKey *key, const char *method, const char *path, const char *nonce, const char *token,
       const char *jti)
{
  g_autofree char *header = emu_jq ("{'typ': 'dpop+jwt', 'alg': '%s', 'jwk': %s}", key->ec ? "ES256" : "RS256",
                                key->jwk);
  g_autofree char *htu = g_strconcat (emu->base, path, NULL);
  g_autofree char *nonce_part = nonce != NULL ? emu_jq (", 'nonce': '%s'", nonce) : g_strdup ("");
  g_autofree char *ath_part = NULL;
  g_autofree char *claims = NULL;

  if (token != NULL)
    {
      g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
      guint8 digest[32];
      gsize size = sizeof digest;
      g_autofree char *ath = NULL;

      g_checksum_update (checksum, (const guchar *) token, strlen (token));
      g_checksum_get_digest (checksum, digest, &size);
      ath = b64url (digest, size);
      ath_part = emu_jq (", 'ath': '%s'", ath);
    }
  claims = emu_jq ("{'htm': '%s', 'htu': '%s', 'iat': %" G_GINT64_FORMAT ", 'jti': '%s'%s%s}", method, htu,
               g_get_real_time () / G_USEC_PER_SEC, jti, nonce_part, ath_part != NULL ? ath_part : "");
  return sign (key, header, claims);
}

static void
test_dpop (void)
{
  EmuProcess *emu = shared;
  TestKey client = { 0 };
  TestKey binding = { 0 };
  g_autofree char *nonce = NULL;
  g_autofree char *token = NULL;

  reset (emu);
  test_key_init (&client, FALSE, "client-1");
  test_key_init (&binding, TRUE, "dpop-ec");
  register_key (emu, DPOP_APP, &client);
  {
    g_autofree char *assertion = assertion_full (emu, &client, DPOP_APP, NULL, 300, "d-1");
    g_autofree char *form = token_form (assertion, SCOPES);
    g_autoptr(EmuReply) missing = token_call (emu, form, NULL);
    g_autofree char *first_proof = proof (emu, &binding, "POST", "/oauth2/v1/token", NULL, NULL, "p-1");
    g_autofree char *first_header = g_strdup_printf ("DPoP: %s", first_proof);
    const char *first_headers[] = { first_header, NULL };
    g_autoptr(EmuReply) dance = NULL;
    g_autofree char *second_proof = NULL;
    g_autofree char *second_header = NULL;
    g_autoptr(EmuReply) issued = NULL;

    assert_oauth_error (missing, 400, "invalid_dpop_proof", "The DPoP proof JWT header is missing.");
    /* The nonce dance: 400 use_dpop_nonce with a DPoP-Nonce header, then retry. */
    dance = token_call (emu, form, first_headers);
    assert_oauth_error (dance, 400, "use_dpop_nonce", "Authorization server requires nonce in DPoP proof.");
    nonce = g_strdup (soup_message_headers_get_one (dance->headers, "DPoP-Nonce"));
    g_assert_nonnull (nonce);
    second_proof = proof (emu, &binding, "POST", "/oauth2/v1/token", nonce, NULL, "p-2");
    second_header = g_strdup_printf ("DPoP: %s", second_proof);
    {
      const char *second_headers[] = { second_header, NULL };

      issued = token_call (emu, form, second_headers);
    }
    g_assert_cmpuint (issued->status, ==, 200);
    emu_assert_str (issued->json, "$.token_type", "DPoP");
    token = emu_path_str (issued->json, "$.access_token");
  }
  {
    g_autofree char *as_bearer = g_strdup_printf ("Bearer %s", token);
    g_autofree char *as_dpop = g_strdup_printf ("DPoP %s", token);
    g_autoptr(EmuReply) bearer = call_full (emu, "GET", "/api/v1/users", NULL, NULL, as_bearer, NULL);
    g_autoptr(EmuReply) no_proof = call_full (emu, "GET", "/api/v1/users", NULL, NULL, as_dpop, NULL);
    g_autofree char *good_proof = proof (emu, &binding, "GET", "/api/v1/users", NULL, token, "p-3");
    g_autofree char *good_header = g_strdup_printf ("DPoP: %s", good_proof);
    const char *good_headers[] = { good_header, NULL };
    g_autoptr(EmuReply) good = NULL;
    g_autoptr(EmuReply) replayed = NULL;
    g_autofree char *wrong_key_proof = proof (emu, &client, "GET", "/api/v1/users", NULL, token, "p-4");
    g_autofree char *wrong_key_header = g_strdup_printf ("DPoP: %s", wrong_key_proof);
    const char *wrong_key_headers[] = { wrong_key_header, NULL };
    g_autoptr(EmuReply) wrong_key = NULL;
    g_autofree char *wrong_htu_proof = proof (emu, &binding, "GET", "/api/v1/groups", NULL, token, "p-5");
    g_autofree char *wrong_htu_header = g_strdup_printf ("DPoP: %s", wrong_htu_proof);
    const char *wrong_htu_headers[] = { wrong_htu_header, NULL };
    g_autoptr(EmuReply) wrong_htu = NULL;

    g_assert_cmpuint (bearer->status, ==, 401);
    g_assert_cmpuint (no_proof->status, ==, 401);
    g_assert_nonnull (strstr (soup_message_headers_get_one (no_proof->headers, "WWW-Authenticate"),
                              "The DPoP proof JWT header is missing."));
    good = expect_full (emu, 200, "GET", "/api/v1/users", NULL, NULL, as_dpop, good_headers);
    replayed = call_full (emu, "GET", "/api/v1/users", NULL, NULL, as_dpop, good_headers);
    g_assert_cmpuint (replayed->status, ==, 401);
    g_assert_nonnull (strstr (soup_message_headers_get_one (replayed->headers, "WWW-Authenticate"),
                              "already been used"));
    wrong_key = call_full (emu, "GET", "/api/v1/users", NULL, NULL, as_dpop, wrong_key_headers);
    g_assert_cmpuint (wrong_key->status, ==, 401);
    wrong_htu = call_full (emu, "GET", "/api/v1/users", NULL, NULL, as_dpop, wrong_htu_headers);
    g_assert_cmpuint (wrong_htu->status, ==, 401);
    g_assert_nonnull (strstr (soup_message_headers_get_one (wrong_htu->headers, "WWW-Authenticate"), "'htu'"));
  }
  test_key_clear (&client);
  test_key_clear (&binding);
}
#endif

#ifndef OKTA_HAVE_GNUTLS
static void
test_oauth_skipped (void)
{
  g_test_skip ("built without GnuTLS: private_key_jwt and DPoP are not checked");
}
#endif

/* ---------------------------------------------------------------- scale, HTTPS, command line */

static void
test_generate (void)
{
  const char *args[] = { "--generate", "20000", "--rate-limit", "off", NULL };
  EmuProcess *emu = emulator_start (args);
  g_autoptr(JsonArray) users = NULL;
  g_autoptr(JsonArray) members = NULL;
  g_autoptr(EmuReply) one = NULL;
  g_autoptr(EmuReply) status = NULL;
  g_autoptr(EmuReply) login = NULL;
  g_autofree char *group_id = NULL;
  g_autofree char *members_path = NULL;
  guint pages = 0;
  gint64 start;
  double seconds;

  start = g_get_monotonic_time ();
  users = read_all (emu, "/api/v1/users?limit=200", FULL, &pages);
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_assert_cmpuint (json_array_get_length (users), ==, 20000 + N_LISTED);
  g_assert_cmpuint (pages, ==, (20000 + N_LISTED + 199) / 200);
  g_test_message ("read %u users in %u pages in %.2f s", json_array_get_length (users), pages, seconds);
  {
    g_autoptr(EmuReply) groups = get (emu, 200, "/api/v1/groups?q=Generated", FULL);

    group_id = emu_path_str (groups->json, "$[0].id");
  }
  members_path = g_strdup_printf ("/api/v1/groups/%s/users?limit=500", group_id);
  members = read_all (emu, members_path, FULL, &pages);
  g_assert_cmpuint (json_array_get_length (members), ==, 20000);
  /* Hash and ordered indexes: one lookup, one page. */
  one = get (emu, 200, "/api/v1/users/user19999@generated.example.com", FULL);
  emu_assert_str (one->json, "$.profile.employeeNumber", "G0019999");
  login = get (emu, 200, "/api/v1/users?filter=profile.login%20eq%20%22user7@generated.example.com%22", FULL);
  g_assert_cmpuint (array_length (login->json), ==, 1);
  status = get (emu, 200, "/api/v1/users?filter=status%20eq%20%22SUSPENDED%22", FULL);
  g_assert_cmpuint (array_length (status->json), ==, 1);
  g_assert_cmpfloat (status->seconds, <, 1.0);
  emu_process_stop (emu);
}

static void
test_https (void)
{
  g_autofree char *next = NULL;
  EmuProcess *emu = emu_process_start_tls ("PS_OKTA_EMULATOR", NULL, 30);

  if (emu == NULL)
    {
      g_test_skip ("openssl is not installed: no test CA");
      return;
    }
  {
    g_autoptr(EmuReply) page = get (emu, 200, "/api/v1/users?limit=2", FULL);

    next = next_link (page);
    g_assert_true (g_str_has_prefix (next, "https://127.0.0.1:"));
  }
  emu_process_stop (emu);
}

static void
test_cli (void)
{
  g_autoptr(GError) error = NULL;
  const char *binary = g_getenv ("PS_OKTA_EMULATOR");
  const char *const cases[][4] = {
    { "--listen", "0.0.0.0", NULL, NULL },
    { "--rate-limit", "bogus", NULL, NULL },
    { "--fault", "[1]", NULL, NULL },
    { "--switch", "nope=1", NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GSubprocess) process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error, binary,
                                                         cases[i][0], cases[i][1], NULL);

      g_assert_no_error (error);
      g_subprocess_wait (process, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (g_subprocess_get_if_exited (process));
      g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 2);
    }
}

static void
test_start_script (void)
{
  const char *const args[] = { "--page-size", "3", NULL };
  EmuProcess *emu = emu_process_start_script ("PS_OKTA_EMULATOR_START", args, 30);
  g_autoptr(EmuReply) page = get (emu, 200, "/api/v1/users", FULL);

  g_assert_cmpuint (array_length (page->json), ==, 3);
  emu_process_stop (emu);
}

/* ---------------------------------------------------------------- main */

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/okta-emulator/auth/errors", test_auth_errors);
  g_test_add_func ("/okta-emulator/users/paging", test_users_paging);
  g_test_add_func ("/okta-emulator/users/filter", test_users_filter);
  g_test_add_func ("/okta-emulator/users/search", test_users_search);
  g_test_add_func ("/okta-emulator/users/q-and-get", test_users_q_and_get);
  g_test_add_func ("/okta-emulator/groups", test_groups);
  g_test_add_func ("/okta-emulator/logs", test_logs);
  g_test_add_func ("/okta-emulator/rate-limits", test_rate_limits);
  g_test_add_func ("/okta-emulator/faults", test_faults);
  g_test_add_func ("/okta-emulator/admin", test_admin);
#ifdef OKTA_HAVE_GNUTLS
  g_test_add_func ("/okta-emulator/oauth", test_oauth);
  g_test_add_func ("/okta-emulator/dpop", test_dpop);
#else
  g_test_add_func ("/okta-emulator/oauth", test_oauth_skipped);
#endif
  g_test_add_func ("/okta-emulator/generate", test_generate);
  g_test_add_func ("/okta-emulator/https", test_https);
  g_test_add_func ("/okta-emulator/cli", test_cli);
  g_test_add_func ("/okta-emulator/cli/start-script", test_start_script);

  shared = emulator_start (NULL);
  status = g_test_run ();
  emu_process_stop (shared);
  return status;
}
