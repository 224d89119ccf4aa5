/* test-emulator.c — the Asset Panda emulator, driven over HTTP as a client would
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Starts ps-emulator ($PS_EMULATOR) on a free port and checks both
 * dialects, paging, writes, the rate limiter, every fault switch, the admin
 * API and HTTPS with a test CA ($PS_EMULATOR_MAKE_CA).
 */

#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "emu-test-util.h"

#define ADMIN_EMAIL     "admin@example.com"
#define ADMIN_PASSWORD  "Panda-Admin-1"
#define CLIENT_ID       "ps-demo-client"
#define CLIENT_SECRET   "ps-demo-secret"
#define BASIC_CLIENT_ID "ps-basic-client"
#define BASIC_SECRET    "ps-basic-secret"
#define KEY_ID          "AKID-DEMO-0001"
#define KEY_SECRET      "aks-demo-secret-0001"
#define BASIC_KEY_ID    "AKID-BASIC-0002"
#define BASIC_KEY       "aks-basic-secret-0002"
#define EMPLOYEES       "82677"
#define ASSETS          "82676"

/* Who is calling: a Classic bearer token, a Pro key, or nobody. */
typedef struct {
  const char *bearer;
  const char *key_id;
  const char *key_secret;
} Auth;

static EmuProcess *shared;

/* ---------------------------------------------------------------- helpers */

static gsize
str_len (JsonNode *root, const char *expression)
{
  g_autofree char *value = emu_path_str (root, expression);

  return strlen (value);
}

/* ---------------------------------------------------------------- emulator */

static EmuProcess *
emulator_start_full (const char *const *extra, const char *ca_file)
{
  return emu_process_start ("PS_EMULATOR", extra, ca_file, 20);
}

static EmuProcess *
emulator_start (const char *const *extra)
{
  return emulator_start_full (extra, NULL);
}

static SoupMessage *
build_message (EmuProcess *emu, const char *method, const char *path, const char *body, const Auth *auth)
{
  g_autofree char *url = g_strconcat (emu->base, path, NULL);
  SoupMessage *msg = soup_message_new (method, url);
  SoupMessageHeaders *headers;

  g_assert_nonnull (msg);
  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (auth != NULL && auth->bearer != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", auth->bearer, NULL);

      soup_message_headers_replace (headers, "Authorization", value);
    }
  if (auth != NULL && auth->key_id != NULL)
    {
      soup_message_headers_replace (headers, "Access-Key-Id", auth->key_id);
      soup_message_headers_replace (headers, "Access-Key-Secret", auth->key_secret);
    }
  emu_set_body (msg, body, NULL);
  return msg;
}

static EmuReply *
call (EmuProcess *emu, const char *method, const char *path, const char *body, const Auth *auth)
{
  g_autoptr(SoupMessage) msg = build_message (emu, method, path, body, auth);

  return emu_send (emu->session, msg);
}

/* A call that must answer @status with a JSON body. */
static EmuReply *
expect (EmuProcess *emu, guint status, const char *method, const char *path, const char *body, const Auth *auth)
{
  EmuReply *reply = call (emu, method, path, body, auth);

  g_assert_no_error (reply->error);
  if (reply->status != status)
    g_error ("%s %s: expected %u, got %u: %.*s", method, path, status, reply->status,
             (int) g_bytes_get_size (reply->bytes), (const char *) g_bytes_get_data (reply->bytes, NULL));
  g_assert_nonnull (reply->json);
  return reply;
}

static void
admin (EmuProcess *emu, const char *path, const char *body)
{
  g_autoptr(EmuReply) reply = expect (emu, 200, body != NULL ? "POST" : "GET", path, body, NULL);
}

static void
reset (EmuProcess *emu)
{
  admin (emu, "/_admin/reset", "{}");
}

static char *
classic_login (EmuProcess *emu, const char *client_id, const char *client_secret)
{
  g_autofree char *body = emu_jq ("{'email':'%s','password':'%s','client_id':'%s','client_secret':'%s','device':'tests'}",
                              ADMIN_EMAIL, ADMIN_PASSWORD, client_id, client_secret);
  g_autoptr(EmuReply) reply = expect (emu, 200, "POST", "/v3/session/token", body, NULL);

  return emu_path_str (reply->json, "$.access_token");
}

typedef struct {
  char *account;
  char *module;
  char *employees;
  char *assets;
} Tenant;

static void
tenant_clear (Tenant *tenant)
{
  g_free (tenant->account);
  g_free (tenant->module);
  g_free (tenant->employees);
  g_free (tenant->assets);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Tenant, tenant_clear)

static const Auth pro_auth = { NULL, KEY_ID, KEY_SECRET };
static const Auth pro_basic = { NULL, BASIC_KEY_ID, BASIC_KEY };

static void
pro_tenant (EmuProcess *emu, Tenant *tenant)
{
  g_autoptr(EmuReply) accounts = expect (emu, 200, "GET", "/accounts", NULL, &pro_auth);
  g_autofree char *modules_path = NULL;
  g_autofree char *collections_path = NULL;
  g_autoptr(EmuReply) modules = NULL;
  g_autoptr(EmuReply) collections = NULL;

  tenant->account = emu_path_str (accounts->json, "$.data[0].id");
  modules_path = g_strdup_printf ("/modules?accountId=%s", tenant->account);
  modules = expect (emu, 200, "GET", modules_path, NULL, &pro_auth);
  tenant->module = emu_path_str (modules->json, "$.data[0].id");
  collections_path = g_strdup_printf ("/collections?accountId=%s&moduleId=%s", tenant->account, tenant->module);
  collections = expect (emu, 200, "GET", collections_path, NULL, &pro_auth);
  emu_assert_str (collections->json, "$.data[0].displayName", "Employees");
  emu_assert_str (collections->json, "$.data[1].displayName", "Assets");
  tenant->employees = emu_path_str (collections->json, "$.data[0].id");
  tenant->assets = emu_path_str (collections->json, "$.data[1].id");
}

static char *
tenant_json (Tenant *tenant, const char *collection)
{
  return emu_jq ("'tenant':{'accountId':'%s','moduleId':'%s'},'collectionId':'%s'",
             tenant->account, tenant->module, collection);
}

static char *
column (Tenant *tenant, int n, const char *slug, const char *type)
{
  return g_strdup_printf ("%s_%d_%s_%s", tenant->employees, n, slug, type);
}

/* ---------------------------------------------------------------- Classic */

static void
test_classic_auth (void)
{
  g_autofree char *token = NULL;
  g_autoptr(EmuReply) ok = NULL;
  g_autoptr(EmuReply) bad_password = NULL;
  g_autoptr(EmuReply) unknown = NULL;
  g_autoptr(EmuReply) bad_client = NULL;
  g_autoptr(EmuReply) form = NULL;
  g_autoptr(EmuReply) no_token = NULL;
  g_autoptr(EmuReply) bad_token = NULL;
  g_autoptr(EmuReply) bad_token_400 = NULL;
  g_autoptr(EmuReply) only_token = NULL;
  g_autoptr(EmuReply) groups = NULL;
  g_autoptr(SoupMessage) form_msg = NULL;
  g_autoptr(GBytes) form_bytes = NULL;
  g_autoptr(GError) error = NULL;
  Auth bogus = { "not-a-token", NULL, NULL };
  Auth auth = { NULL, NULL, NULL };
  g_autofree char *url = NULL;
  g_autofree char *good = emu_jq ("{'email':'%s','password':'%s'}", ADMIN_EMAIL, ADMIN_PASSWORD);
  g_autofree char *wrong = emu_jq ("{'email':'%s','password':'nope'}", ADMIN_EMAIL);
  g_autofree char *nobody = emu_jq ("{'email':'nobody@example.com','password':'x'}");
  g_autofree char *client = emu_jq ("{'email':'%s','password':'%s','client_id':'%s','client_secret':'wrong'}",
                                ADMIN_EMAIL, ADMIN_PASSWORD, CLIENT_ID);

  reset (shared);

  ok = expect (shared, 200, "POST", "/v3/session/token", good, NULL);
  token = emu_path_str (ok->json, "$.access_token");
  emu_assert_str (ok->json, "$.token", token);
  emu_assert_str (ok->json, "$.token_type", "bearer");
  g_assert_cmpint (emu_path_num (ok->json, "$.expires_in"), ==, 3600);
  g_assert_cmpuint (strlen (token), >, 20);

  bad_password = expect (shared, 401, "POST", "/v3/session/token", wrong, NULL);
  g_assert_true (emu_path_has (bad_password->json, "$.message"));
  g_assert_true (emu_path_has (bad_password->json, "$.errors[0].base[0]"));
  unknown = expect (shared, 401, "POST", "/v3/session/token", nobody, NULL);
  emu_assert_str (unknown->json, "$.message", "User email not found!");
  bad_client = expect (shared, 401, "POST", "/v3/session/token", client, NULL);

  /* Form data, as v2-era clients send it, is accepted too. */
  url = g_strconcat (shared->base, "/v3/session/token", NULL);
  form_msg = soup_message_new_from_encoded_form ("POST", url,
                                                 soup_form_encode ("email", ADMIN_EMAIL, "password",
                                                                   ADMIN_PASSWORD, NULL));
  form_bytes = soup_session_send_and_read (shared->session, form_msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (form_msg), ==, 200);

  auth.bearer = token;
  groups = expect (shared, 200, "GET", "/v3/groups", NULL, &auth);
  no_token = expect (shared, 401, "GET", "/v3/groups", NULL, NULL);
  g_assert_true (emu_path_has (no_token->json, "$.message"));
  bad_token = expect (shared, 401, "GET", "/v3/groups", NULL, &bogus);

  admin (shared, "/_admin/faults", "{\"auth_error_status\":400,\"token_field\":\"token\"}");
  bad_token_400 = expect (shared, 400, "GET", "/v3/groups", NULL, &bogus);
  {
    g_autofree char *message = emu_path_str (bad_token_400->json, "$.message");

    g_assert_nonnull (strstr (message, "token"));
  }
  only_token = expect (shared, 200, "POST", "/v3/session/token", good, NULL);
  g_assert_true (emu_path_has (only_token->json, "$.token"));
  g_assert_false (emu_path_has (only_token->json, "$.access_token"));
}

static void
test_classic_discovery (void)
{
  g_autofree char *token = NULL;
  Auth auth = { NULL, NULL, NULL };
  g_autoptr(EmuReply) settings = NULL;
  g_autoptr(EmuReply) users = NULL;
  g_autoptr(EmuReply) me = NULL;
  g_autoptr(EmuReply) templates = NULL;
  g_autoptr(EmuReply) groups = NULL;
  g_autoptr(EmuReply) fields = NULL;
  g_autoptr(EmuReply) fields2 = NULL;
  g_autoptr(EmuReply) statuses = NULL;
  g_autoptr(EmuReply) missing = NULL;

  reset (shared);
  token = classic_login (shared, CLIENT_ID, CLIENT_SECRET);
  auth.bearer = token;

  settings = expect (shared, 200, "GET", "/v3/settings", NULL, &auth);
  g_assert_cmpint (emu_path_num (settings->json, "$.user_details.account_id"), ==, 21040);
  g_assert_cmpuint (emu_path_len (settings->json, "$.settings.groups"), ==, 2);
  g_assert_cmpint (emu_path_num (settings->json, "$.settings.token_expires_in"), ==, 3600);

  users = expect (shared, 200, "GET", "/v3/users", NULL, &auth);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (users->json));
  emu_assert_str (users->json, "$[0].email", ADMIN_EMAIL);
  g_assert_true (emu_path_has (users->json, "$[0].integ_ad_sid"));
  g_assert_false (emu_path_has (users->json, "$[0].password"));

  me = expect (shared, 200, "GET", "/v3/users/me", NULL, &auth);
  g_assert_cmpint (emu_path_num (me->json, "$.account_id"), ==, 21040);

  templates = expect (shared, 200, "GET", "/v3/users/templates", NULL, &auth);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (templates->json)), ==, 3);
  emu_assert_str (templates->json, "$[0].template_name", "Admin");
  emu_assert_str (templates->json, "$[1].template_name", "Manager");
  emu_assert_str (templates->json, "$[2].template_name", "Basic");
  g_assert_cmpint (emu_path_num (templates->json, "$[0].template_users[0].id"), ==, emu_path_num (me->json, "$.id"));

  groups = expect (shared, 200, "GET", "/v3/groups", NULL, &auth);
  emu_assert_str (groups->json, "$.groups[0].name", "Employees");
  emu_assert_str (groups->json, "$.groups[1].name", "Assets");
  g_assert_cmpint (emu_path_num (groups->json, "$.groups[0].id"), ==, 82677);

  fields = expect (shared, 200, "GET", "/v3/groups/" EMPLOYEES "/fields", NULL, &auth);
  g_assert_cmpuint (emu_path_len (fields->json, "$.fields"), ==, 8);
  emu_assert_str (fields->json, "$.fields[2].key", "field_3");
  g_assert_true (emu_path_bool (fields->json, "$.fields[2].is_unique"));
  emu_assert_str (fields->json, "$.fields[7].name", "Integration Status AD");
  g_assert_cmpuint (emu_path_len (fields->json, "$.fields[7].list_values"), ==, 3);
  g_assert_cmpint (emu_path_num (fields->json, "$.fields[7].list_values[0].id"), ==, 901);
  emu_assert_str (fields->json, "$.fields[7].list_values[0].value", "Active");
  emu_assert_str (fields->json, "$.fields[7].list_values[1].value", "Inactive");
  emu_assert_str (fields->json, "$.fields[7].list_values[2].value", "None");

  admin (shared, "/_admin/faults", "{\"list_value_key\":\"display_name\"}");
  fields2 = expect (shared, 200, "GET", "/v3/groups/" EMPLOYEES "/fields", NULL, &auth);
  emu_assert_str (fields2->json, "$.fields[7].list_values[0].display_name", "Active");
  g_assert_false (emu_path_has (fields2->json, "$.fields[7].list_values[0].value"));

  statuses = expect (shared, 200, "GET", "/v3/groups/" ASSETS "/statuses", NULL, &auth);
  g_assert_cmpuint (emu_path_len (statuses->json, "$.statuses"), ==, 3);
  emu_assert_str (statuses->json, "$.statuses[0].name", "Available");

  missing = expect (shared, 404, "GET", "/v3/groups/999/fields", NULL, &auth);
  g_assert_true (emu_path_has (missing->json, "$.message"));
}

/* Adds @n employees in one batch; emails are bulk<i>@example.com. */
static void
add_employees (EmuProcess *emu, const Auth *auth, guint n)
{
  g_autoptr(GString) body = g_string_new ("{\"objects\":[");
  g_autoptr(EmuReply) reply = NULL;

  for (guint i = 0; i < n; i++)
    g_string_append_printf (body, "%s{\"field_1\":\"Bulk\",\"field_2\":\"No %u\",\"field_3\":\"bulk%u@example.com\","
                            "\"integ_ad_sid\":\"S-1-5-21-9-%u\"}", i > 0 ? "," : "", i, i, i);
  g_string_append (body, "]}");
  reply = expect (emu, 200, "POST", "/v3/groups/" EMPLOYEES "/objects", body->str, auth);
  g_assert_cmpuint (emu_path_len (reply->json, "$.objects"), ==, n);
}

static void
test_classic_search (void)
{
  g_autofree char *token = NULL;
  Auth auth = { NULL, NULL, NULL };
  g_autoptr(EmuReply) first = NULL;
  g_autoptr(EmuReply) last = NULL;
  g_autoptr(EmuReply) clamped = NULL;
  g_autoptr(EmuReply) alias = NULL;
  g_autoptr(EmuReply) by_email = NULL;
  g_autoptr(EmuReply) by_sid = NULL;
  g_autoptr(EmuReply) partial = NULL;
  g_autoptr(EmuReply) text = NULL;
  g_autoptr(EmuReply) by_ids = NULL;
  g_autoptr(EmuReply) future = NULL;
  g_autoptr(EmuReply) linked = NULL;
  g_autoptr(EmuReply) bad_field = NULL;
  g_autoptr(EmuReply) no_alias = NULL;
  g_autoptr(EmuReply) no_totals = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *ids_body = NULL;
  g_autofree char *first_id = NULL;
  g_autofree char *second_id = NULL;

  reset (shared);
  token = classic_login (shared, CLIENT_ID, CLIENT_SECRET);
  auth.bearer = token;
  add_employees (shared, &auth, 120);   /* 5 seeded + 120 */

  first = expect (shared, 200, "POST", "/v3/groups/" EMPLOYEES "/search/objects", "{}", &auth);
  g_assert_cmpuint (emu_path_len (first->json, "$.objects"), ==, 50);
  g_assert_cmpint (emu_path_num (first->json, "$.totals.objects"), ==, 125);
  g_assert_cmpint (emu_path_num (first->json, "$.totals.group_totals"), ==, 125);
  g_assert_cmpint (emu_path_num (first->json, "$.totals.offset"), ==, 0);
  g_assert_cmpint (emu_path_num (first->json, "$.totals.limit"), ==, 50);
  g_assert_cmpint (emu_path_num (first->json, "$.not_viewable"), ==, 0);
  emu_assert_str (first->json, "$.objects[0].data.field_1", "Ada");
  emu_assert_str (first->json, "$.objects[0].data.field_8.value", "Active");
  g_assert_cmpint (emu_path_num (first->json, "$.objects[0].data.field_8.id"), ==, 901);
  g_assert_cmpuint (str_len (first->json, "$.objects[0].id"), ==, 24);

  last = expect (shared, 200, "POST", "/v3/groups/" EMPLOYEES "/search/objects?offset=100&limit=100", "{}", &auth);
  g_assert_cmpuint (emu_path_len (last->json, "$.objects"), ==, 25);
  clamped = expect (shared, 200, "POST", "/v3/groups/" EMPLOYEES "/search/objects?limit=500", "{}", &auth);
  g_assert_cmpuint (emu_path_len (clamped->json, "$.objects"), ==, 100);
  g_assert_cmpint (emu_path_num (clamped->json, "$.totals.limit"), ==, 100);

  /* Paging with the alias path visits every record once. */
  for (guint offset = 0; offset < 200; offset += 40)
    {
      g_autofree char *path = g_strdup_printf ("/v3/groups/" EMPLOYEES "/objects/search?offset=%u&limit=40", offset);
      g_autoptr(EmuReply) page = expect (shared, 200, "POST", path, "{}", &auth);
      guint n = emu_path_len (page->json, "$.objects");

      for (guint i = 0; i < n; i++)
        {
          g_autofree char *expression = g_strdup_printf ("$.objects[%u].id", i);

          g_assert_true (g_hash_table_add (seen, emu_path_str (page->json, expression)));
        }
      if (n < 40)
        break;
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, 125);

  by_email = expect (shared, 200, "POST", "/v3/groups/" EMPLOYEES "/search/objects",
                     "{\"field_filters\":{\"field_3\":\"BULK7@example.com\"}}", &auth);
  g_assert_cmpuint (emu_path_len (by_email->json, "$.objects"), ==, 1);
  emu_assert_str (by_email->json, "$.objects[0].data.field_2", "No 7");
  g_assert_cmpint (emu_path_num (by_email->json, "$.totals.objects"), ==, 1);

  by_sid = expect (shared, 200, "POST", "/v3/groups/" EMPLOYEES "/search/objects",
                   "{\"field_filters\":{\"integ_ad_sid\":\"S-1-5-21-9-42\"}}", &auth);
  emu_assert_str (by_sid->json, "$.objects[0].integ_ad_sid", "S-1-5-21-9-42");

  partial = expect (shared, 200, "POST", "/v3/groups/" EMPLOYEES "/search/objects?limit=100",
                    "{\"field_filters\":{\"field_2\":\"no 1\"},\"field_match\":\"partial\"}", &auth);
  g_assert_cmpint (emu_path_num (partial->json, "$.totals.objects"), ==, 31);   /* 1, 10–19, 100–119 */

  text = expect (shared, 200, "POST", "/v3/groups/" EMPLOYEES "/search/objects",
                 "{\"search\":\"lovelace\"}", &auth);
  g_assert_cmpuint (emu_path_len (text->json, "$.objects"), ==, 1);

  first_id = emu_path_str (first->json, "$.objects[3].id");
  second_id = emu_path_str (first->json, "$.objects[1].id");
  ids_body = emu_jq ("{'ids':['%s','%s','000000000000000000000000']}", first_id, second_id);
  by_ids = expect (shared, 200, "POST", "/v3/groups/" EMPLOYEES "/search/objects", ids_body, &auth);
  g_assert_cmpuint (emu_path_len (by_ids->json, "$.objects"), ==, 2);
  emu_assert_str (by_ids->json, "$.objects[0].id", second_id);

  future = expect (shared, 200, "POST", "/v3/groups/" EMPLOYEES "/search/objects",
                   "{\"last_modified\":{\"gte\":\"2099-01-01T00:00:00Z\"}}", &auth);
  g_assert_cmpuint (emu_path_len (future->json, "$.objects"), ==, 0);

  /* Entity-list filters take the display text of the linked record. */
  linked = expect (shared, 200, "POST", "/v3/groups/" ASSETS "/search/objects",
                   "{\"field_filters\":{\"field_5\":\"Ada Lovelace\"}}", &auth);
  g_assert_cmpuint (emu_path_len (linked->json, "$.objects"), ==, 1);
  emu_assert_str (linked->json, "$.objects[0].data.field_5.value", "Ada Lovelace");
  emu_assert_str (linked->json, "$.objects[0].data.field_4.value", "Assigned");

  bad_field = expect (shared, 422, "POST", "/v3/groups/" EMPLOYEES "/search/objects",
                      "{\"field_filters\":{\"field_99\":\"x\"}}", &auth);

  admin (shared, "/_admin/faults", "{\"search_path\":\"search/objects\",\"omit_totals\":true}");
  no_alias = expect (shared, 404, "POST", "/v3/groups/" EMPLOYEES "/objects/search", "{}", &auth);
  no_totals = expect (shared, 200, "POST", "/v3/groups/" EMPLOYEES "/search/objects", "{}", &auth);
  g_assert_false (emu_path_has (no_totals->json, "$.totals"));
  g_assert_cmpuint (emu_path_len (no_totals->json, "$.objects"), ==, 50);
}

static void
test_classic_writes (void)
{
  g_autofree char *token = NULL;
  Auth auth = { NULL, NULL, NULL };
  g_autoptr(EmuReply) created = NULL;
  g_autoptr(EmuReply) duplicate = NULL;
  g_autoptr(EmuReply) batch_dup = NULL;
  g_autoptr(EmuReply) bad_option = NULL;
  g_autoptr(EmuReply) patched = NULL;
  g_autoptr(EmuReply) put_one = NULL;
  g_autoptr(EmuReply) patch_dup = NULL;
  g_autoptr(EmuReply) batch = NULL;
  g_autoptr(EmuReply) batch_missing = NULL;
  g_autoptr(EmuReply) archived = NULL;
  g_autoptr(EmuReply) active = NULL;
  g_autoptr(EmuReply) all = NULL;
  g_autoptr(EmuReply) only_archived = NULL;
  g_autoptr(EmuReply) unarchived = NULL;
  g_autoptr(EmuReply) after = NULL;
  g_autoptr(EmuReply) missing = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *batch_body = NULL;
  g_autofree char *archive_body = NULL;
  g_autofree char *unarchive_body = NULL;

  reset (shared);
  token = classic_login (shared, CLIENT_ID, CLIENT_SECRET);
  auth.bearer = token;

  created = expect (shared, 200, "POST", "/v3/groups/" EMPLOYEES "/objects",
                    "{\"field_1\":\"Mary\",\"field_2\":\"Jackson\",\"field_3\":\"mary.jackson@example.com\","
                    "\"field_8\":\"902\",\"integ_ad_sid\":\"S-1-5-21-77\"}", &auth);
  id = emu_path_str (created->json, "$.id");
  g_assert_cmpuint (strlen (id), ==, 24);
  emu_assert_str (created->json, "$.display_name", "Mary Jackson");
  emu_assert_str (created->json, "$.data.field_8.value", "Inactive");
  emu_assert_str (created->json, "$.integ_ad_sid", "S-1-5-21-77");

  /* The unique Email field: 422, code 2, errors keyed by field. */
  duplicate = expect (shared, 422, "POST", "/v3/groups/" EMPLOYEES "/objects",
                      "{\"field_1\":\"M\",\"field_2\":\"J\",\"field_3\":\"MARY.JACKSON@example.com\"}", &auth);
  g_assert_cmpint (emu_path_num (duplicate->json, "$.code"), ==, 2);
  g_assert_true (emu_path_has (duplicate->json, "$.errors[0].field_3[0]"));
  g_assert_true (emu_path_has (duplicate->json, "$.message"));

  batch_dup = expect (shared, 422, "POST", "/v3/groups/" EMPLOYEES "/objects",
                      "{\"objects\":[{\"field_1\":\"A\",\"field_2\":\"B\",\"field_3\":\"same@example.com\"},"
                      "{\"field_1\":\"C\",\"field_2\":\"D\",\"field_3\":\"same@example.com\"}]}", &auth);
  g_assert_cmpint (emu_path_num (batch_dup->json, "$.code"), ==, 2);
  g_assert_cmpint (emu_path_num (batch_dup->json, "$.errors[0].index"), ==, 1);

  bad_option = expect (shared, 422, "POST", "/v3/groups/" EMPLOYEES "/objects",
                       "{\"field_1\":\"A\",\"field_2\":\"B\",\"field_8\":\"Maybe\"}", &auth);
  g_assert_cmpint (emu_path_num (bad_option->json, "$.code"), ==, 1);

  path = g_strdup_printf ("/v3/groups/" EMPLOYEES "/objects/%s", id);
  patched = expect (shared, 200, "PATCH", path, "{\"field_5\":\"Engineer\",\"field_8\":{\"id\":901,\"value\":\"Active\"}}", &auth);
  emu_assert_str (patched->json, "$.data.field_5", "Engineer");
  emu_assert_str (patched->json, "$.data.field_8.value", "Active");
  emu_assert_str (patched->json, "$.data.field_1", "Mary");
  g_assert_cmpint (emu_path_num (patched->json, "$.object_version_ids"), ==, 2);

  put_one = expect (shared, 200, "PUT", path, "{\"field_8\":\"None\"}", &auth);
  emu_assert_str (put_one->json, "$.data.field_8.value", "None");

  patch_dup = expect (shared, 422, "PATCH", path, "{\"field_3\":\"ada.lovelace@example.com\"}", &auth);
  g_assert_cmpint (emu_path_num (patch_dup->json, "$.code"), ==, 2);

  batch_body = emu_jq ("{'objects':[{'id':'%s','field_4':'Research'}]}", id);
  batch = expect (shared, 200, "PUT", "/v3/groups/" EMPLOYEES "/objects", batch_body, &auth);
  emu_assert_str (batch->json, "$.objects[0].data.field_4", "Research");
  batch_missing = expect (shared, 404, "PUT", "/v3/groups/" EMPLOYEES "/objects",
                          "{\"objects\":[{\"id\":\"ffffffffffffffffffffffff\",\"field_4\":\"x\"}]}", &auth);

  archive_body = emu_jq ("{'object_ids':['%s'],'stop_date':'01/01/2026'}", id);
  archived = expect (shared, 200, "POST", "/v3/groups/" EMPLOYEES "/objects/archive", archive_body, &auth);
  g_assert_cmpint (emu_path_num (archived->json, "$.count"), ==, 1);
  active = expect (shared, 200, "POST", "/v3/groups/" EMPLOYEES "/search/objects", "{}", &auth);
  g_assert_cmpint (emu_path_num (active->json, "$.totals.objects"), ==, 5);
  all = expect (shared, 200, "POST", "/v3/groups/" EMPLOYEES "/search/objects", "{\"view_archived\":\"all\"}", &auth);
  g_assert_cmpint (emu_path_num (all->json, "$.totals.objects"), ==, 6);
  only_archived = expect (shared, 200, "POST", "/v3/groups/" EMPLOYEES "/search/objects",
                          "{\"view_archived\":\"archived\"}", &auth);
  g_assert_cmpint (emu_path_num (only_archived->json, "$.totals.objects"), ==, 1);
  g_assert_true (emu_path_bool (only_archived->json, "$.objects[0].is_archived"));

  unarchive_body = emu_jq ("{'ids':['%s']}", id);
  unarchived = expect (shared, 200, "POST", "/v3/groups/" EMPLOYEES "/objects/unarchive", unarchive_body, &auth);
  after = expect (shared, 200, "POST", "/v3/groups/" EMPLOYEES "/search/objects", "{}", &auth);
  g_assert_cmpint (emu_path_num (after->json, "$.totals.objects"), ==, 6);

  missing = expect (shared, 404, "PATCH", "/v3/groups/" EMPLOYEES "/objects/ffffffffffffffffffffffff",
                    "{\"field_4\":\"x\"}", &auth);
}

static void
test_classic_users (void)
{
  g_autofree char *token = NULL;
  g_autofree char *basic_token = NULL;
  Auth auth = { NULL, NULL, NULL };
  Auth basic = { NULL, NULL, NULL };
  g_autoptr(EmuReply) created = NULL;
  g_autoptr(EmuReply) duplicate = NULL;
  g_autoptr(EmuReply) mismatch = NULL;
  g_autoptr(EmuReply) templates = NULL;
  g_autoptr(EmuReply) deactivated = NULL;
  g_autoptr(EmuReply) login = NULL;
  g_autoptr(EmuReply) reactivated = NULL;
  g_autoptr(EmuReply) forbidden = NULL;
  g_autoptr(EmuReply) forbidden_put = NULL;
  g_autoptr(EmuReply) overridden = NULL;
  g_autofree char *path = NULL;
  g_autofree char *message = NULL;
  const char *user = "{\"device\":\"web\",\"user\":{\"first_name\":\"Dorothy\",\"last_name\":\"Vaughan\","
                     "\"email\":\"dorothy@example.com\",\"password\":\"Secret-1\",\"password_confirmation\":\"Secret-1\","
                     "\"create_for_account\":\"21040\"},\"template_id\":30134,\"phone\":\"555-0100\"}";

  reset (shared);
  token = classic_login (shared, CLIENT_ID, CLIENT_SECRET);
  auth.bearer = token;

  created = expect (shared, 200, "POST", "/v3/users", user, &auth);
  emu_assert_str (created->json, "$.email", "dorothy@example.com");
  g_assert_cmpint (emu_path_num (created->json, "$.template_rule_id"), ==, 30134);
  g_assert_true (emu_path_bool (created->json, "$.is_active"));
  g_assert_false (emu_path_has (created->json, "$.password"));

  duplicate = expect (shared, 422, "POST", "/v3/users", user, &auth);
  g_assert_true (emu_path_has (duplicate->json, "$.errors[0].email[0]"));
  mismatch = expect (shared, 422, "POST", "/v3/users",
                     "{\"user\":{\"email\":\"x@example.com\",\"password\":\"a\",\"password_confirmation\":\"b\"}}", &auth);

  templates = expect (shared, 200, "GET", "/v3/users/templates", NULL, &auth);
  g_assert_cmpuint (emu_path_len (templates->json, "$[1].template_users"), ==, 1);

  path = g_strdup_printf ("/v3/users/%" G_GINT64_FORMAT, emu_path_num (created->json, "$.id"));
  deactivated = expect (shared, 200, "PUT", path, "{\"user\":{\"is_active\":false}}", &auth);
  g_assert_false (emu_path_bool (deactivated->json, "$.is_active"));
  login = expect (shared, 401, "POST", "/v3/session/token", "{\"email\":\"dorothy@example.com\",\"password\":\"Secret-1\"}", NULL);
  reactivated = expect (shared, 200, "PUT", path, "{\"user\":{\"is_active\":true,\"template_rule_id\":30135}}", &auth);
  g_assert_cmpint (emu_path_num (reactivated->json, "$.template_rule_id"), ==, 30135);

  /* An API client without the granular permission gets 403. */
  basic_token = classic_login (shared, BASIC_CLIENT_ID, BASIC_SECRET);
  basic.bearer = basic_token;
  forbidden = expect (shared, 403, "POST", "/v3/users", user, &basic);
  message = emu_path_str (forbidden->json, "$.message");
  g_assert_nonnull (strstr (message, "permission"));
  forbidden_put = expect (shared, 403, "PUT", path, "{\"user\":{\"is_active\":false}}", &basic);

  admin (shared, "/_admin/faults", "{\"granular\":{\"" CLIENT_ID "\":false}}");
  overridden = expect (shared, 403, "PUT", path, "{\"user\":{\"is_active\":false}}", &auth);
}

/* ---------------------------------------------------------------- Pro */

static void
test_pro_auth (void)
{
  Auth no_secret = { NULL, KEY_ID, "wrong" };
  g_autoptr(EmuReply) ok = NULL;
  g_autoptr(EmuReply) none = NULL;
  g_autoptr(EmuReply) bad = NULL;
  g_autoptr(EmuReply) bad_400 = NULL;

  reset (shared);
  ok = expect (shared, 200, "GET", "/accounts", NULL, &pro_auth);
  none = expect (shared, 401, "GET", "/accounts", NULL, NULL);
  g_assert_true (emu_path_has (none->json, "$.message"));
  bad = expect (shared, 401, "GET", "/accounts", NULL, &no_secret);
  admin (shared, "/_admin/faults", "{\"auth_error_status\":400}");
  bad_400 = expect (shared, 400, "GET", "/accounts", NULL, &no_secret);
}

static void
test_pro_discovery (void)
{
  g_auto(Tenant) tenant = { 0 };
  g_autofree char *columns_path = NULL;
  g_autofree char *roles_path = NULL;
  g_autofree char *account_path = NULL;
  g_autoptr(EmuReply) columns = NULL;
  g_autoptr(EmuReply) roles = NULL;
  g_autoptr(EmuReply) account = NULL;
  g_autoptr(EmuReply) bare = NULL;
  g_autoptr(EmuReply) wrong = NULL;

  reset (shared);
  pro_tenant (shared, &tenant);
  g_assert_cmpuint (strlen (tenant.account), ==, 26);

  columns_path = g_strdup_printf ("/collection-columns?accountId=%s&moduleId=%s&collectionId=%s",
                                  tenant.account, tenant.module, tenant.employees);
  columns = expect (shared, 200, "GET", columns_path, NULL, &pro_auth);
  g_assert_cmpuint (emu_path_len (columns->json, "$.data.columns.all"), ==, 8);
  emu_assert_str (columns->json, "$.data.columns.all[0].displayName", "First Name");
  emu_assert_str (columns->json, "$.data.columns.all[0].type", "ap://system/datatype/text");
  emu_assert_str (columns->json, "$.data.columns.all[7].displayName", "Integration Status AD");
  g_assert_cmpuint (emu_path_len (columns->json, "$.data.columns.all[7].options"), ==, 3);
  emu_assert_str (columns->json, "$.data.columns.all[7].options[1].displayName", "Inactive");
  {
    g_autofree char *email_id = emu_path_str (columns->json, "$.data.columns.all[2].id");

    g_assert_true (g_str_has_prefix (email_id, tenant.employees));
  }

  roles_path = g_strdup_printf ("/roles?accountId=%s&moduleId=%s", tenant.account, tenant.module);
  roles = expect (shared, 200, "GET", roles_path, NULL, &pro_auth);
  g_assert_cmpuint (emu_path_len (roles->json, "$.data.roles"), ==, 4);
  emu_assert_str (roles->json, "$.data.roles[0].displayName", "Organization Admin");
  emu_assert_str (roles->json, "$.data.roles[3].displayName", "Collaborator");

  account_path = g_strdup_printf ("/account/%s", tenant.account);
  account = expect (shared, 200, "GET", account_path, NULL, &pro_auth);
  emu_assert_str (account->json, "$.data.name", "Example Ltd");

  admin (shared, "/_admin/faults", "{\"pro_bare_lists\":true}");
  bare = expect (shared, 200, "GET", "/accounts", NULL, &pro_auth);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (bare->json));

  wrong = expect (shared, 404, "GET", "/modules?accountId=01HWQ0000000000000000NOPE0", NULL, &pro_auth);
}

static EmuReply *
pro_search (Tenant *tenant, const char *filters, const char *match, guint from, guint size)
{
  g_autofree char *where = tenant_json (tenant, tenant->employees);
  g_autofree char *body = g_strdup_printf ("{%s,\"searchInput\":{\"selection\":{\"matchType\":\"%s\",\"filters\":[%s]}},"
                                           "\"pagination\":{\"from\":%u,\"size\":%u}}",
                                           where, match, filters, from, size);

  return expect (shared, 200, "POST", "/collection-records/search", body, &pro_auth);
}

static void
test_pro_records (void)
{
  g_auto(Tenant) tenant = { 0 };
  g_autofree char *first = NULL;
  g_autofree char *last = NULL;
  g_autofree char *email = NULL;
  g_autofree char *status = NULL;
  g_autofree char *where = NULL;
  g_autofree char *filter = NULL;
  g_autofree char *body = NULL;
  g_autofree char *put_body = NULL;
  g_autofree char *put_six = NULL;
  g_autofree char *put_noid = NULL;
  g_autofree char *delete_body = NULL;
  g_autofree char *columns_path = NULL;
  g_autofree char *new_id = NULL;
  g_autofree char *inactive = NULL;
  g_autofree char *record_path = NULL;
  g_autoptr(EmuReply) all = NULL;
  g_autoptr(EmuReply) page = NULL;
  g_autoptr(EmuReply) contains = NULL;
  g_autoptr(EmuReply) equals = NULL;
  g_autoptr(EmuReply) any = NULL;
  g_autoptr(EmuReply) created = NULL;
  g_autoptr(EmuReply) six = NULL;
  g_autoptr(EmuReply) noid = NULL;
  g_autoptr(EmuReply) updated = NULL;
  g_autoptr(EmuReply) one = NULL;
  g_autoptr(EmuReply) deleted = NULL;
  g_autoptr(EmuReply) after = NULL;
  g_autoptr(EmuReply) columns = NULL;
  g_autoptr(EmuReply) bad_operator = NULL;

  reset (shared);
  pro_tenant (shared, &tenant);
  first = column (&tenant, 0, "firstname", "text");
  last = column (&tenant, 1, "lastname", "text");
  email = column (&tenant, 2, "email", "text");
  status = column (&tenant, 7, "integrationstatusad", "singleselect");
  where = tenant_json (&tenant, tenant.employees);

  all = pro_search (&tenant, "", "All", 0, 10);
  g_assert_cmpuint (emu_path_len (all->json, "$.data.records"), ==, 5);
  g_assert_cmpint (emu_path_num (all->json, "$.data.pagination.total"), ==, 5);
  g_assert_true (emu_path_has (all->json, "$.data.records[0].id"));
  page = pro_search (&tenant, "", "All", 4, 2);
  g_assert_cmpuint (emu_path_len (page->json, "$.data.records"), ==, 1);

  filter = g_strdup_printf ("{\"field\":\"%s\",\"operator\":\"contains\",\"value\":\"LOVE\"}", last);
  contains = pro_search (&tenant, filter, "All", 0, 10);
  g_assert_cmpuint (emu_path_len (contains->json, "$.data.records"), ==, 1);
  g_free (filter);
  filter = g_strdup_printf ("{\"field\":\"%s\",\"operator\":\"equals\",\"value\":\"grace.hopper@example.com\"}", email);
  equals = pro_search (&tenant, filter, "All", 0, 10);
  g_assert_cmpuint (emu_path_len (equals->json, "$.data.records"), ==, 1);
  g_free (filter);
  filter = g_strdup_printf ("{\"field\":\"%s\",\"operator\":\"equals\",\"value\":\"Ada\"},"
                            "{\"field\":\"%s\",\"operator\":\"equals\",\"value\":\"Turing\"}", first, last);
  any = pro_search (&tenant, filter, "Any", 0, 10);
  g_assert_cmpuint (emu_path_len (any->json, "$.data.records"), ==, 2);

  /* Batch create: per-record results under HTTP 200. */
  body = g_strdup_printf ("{%s,\"records\":[{\"%s\":\"Mae\",\"%s\":\"Jemison\",\"%s\":\"mae@example.com\"},"
                          "{\"%s\":\"Dup\",\"%s\":\"Licate\",\"%s\":\"ada.lovelace@example.com\"},"
                          "{\"%s\":\"No last name\"}]}",
                          where, first, last, email, first, last, email, first);
  created = expect (shared, 200, "POST", "/collection-records", body, &pro_auth);
  g_assert_cmpuint (emu_path_len (created->json, "$.data.records"), ==, 3);
  g_assert_true (emu_path_bool (created->json, "$.data.records[0].success"));
  g_assert_false (emu_path_bool (created->json, "$.data.records[1].success"));
  emu_assert_str (created->json, "$.data.records[1].errors[0].field", email);
  g_assert_false (emu_path_bool (created->json, "$.data.records[2].success"));
  g_assert_cmpint (emu_path_num (created->json, "$.data.records[2].index"), ==, 2);
  new_id = emu_path_str (created->json, "$.data.records[0].id");

  /* PUT: at most five, each with recordId. */
  put_six = g_strdup_printf ("{%s,\"records\":[{\"recordId\":\"%s\"},{\"recordId\":\"%s\"},{\"recordId\":\"%s\"},"
                             "{\"recordId\":\"%s\"},{\"recordId\":\"%s\"},{\"recordId\":\"%s\"}]}",
                             where, new_id, new_id, new_id, new_id, new_id, new_id);
  six = expect (shared, 400, "PUT", "/collection-records", put_six, &pro_auth);
  g_assert_true (emu_path_has (six->json, "$.message"));
  put_noid = g_strdup_printf ("{%s,\"records\":[{\"id\":\"%s\",\"%s\":\"x\"}]}", where, new_id, first);
  noid = expect (shared, 400, "PUT", "/collection-records", put_noid, &pro_auth);

  columns_path = g_strdup_printf ("/collection-columns?accountId=%s&moduleId=%s&collectionId=%s",
                                  tenant.account, tenant.module, tenant.employees);
  columns = expect (shared, 200, "GET", columns_path, NULL, &pro_auth);
  inactive = emu_path_str (columns->json, "$.data.columns.all[7].options[1].id");
  put_body = g_strdup_printf ("{%s,\"records\":[{\"recordId\":\"%s\",\"%s\":\"%s\"},{\"recordId\":\"01HWQ000000000000000000000\"}]}",
                              where, new_id, status, inactive);
  updated = expect (shared, 200, "PUT", "/collection-records", put_body, &pro_auth);
  g_assert_true (emu_path_bool (updated->json, "$.data.records[0].success"));
  g_assert_false (emu_path_bool (updated->json, "$.data.records[1].success"));

  record_path = g_strdup_printf ("/collection-record/%s?collectionId=%s&accountId=%s&moduleId=%s",
                                 new_id, tenant.employees, tenant.account, tenant.module);
  one = expect (shared, 200, "GET", record_path, NULL, &pro_auth);
  {
    g_autofree char *expression = g_strdup_printf ("$.data['%s'].displayName", status);

    emu_assert_str (one->json, expression, "Inactive");
  }

  delete_body = g_strdup_printf ("{%s,\"recordIds\":[\"%s\"]}", where, new_id);
  deleted = expect (shared, 200, "DELETE", "/collection-records", delete_body, &pro_auth);
  g_assert_true (emu_path_bool (deleted->json, "$.data.records[0].success"));
  after = pro_search (&tenant, "", "All", 0, 10);
  g_assert_cmpint (emu_path_num (after->json, "$.data.pagination.total"), ==, 5);

  g_free (filter);
  filter = g_strdup_printf ("{\"field\":\"%s\",\"operator\":\"startsWith\",\"value\":\"A\"}", first);
  g_free (body);
  body = g_strdup_printf ("{%s,\"searchInput\":{\"selection\":{\"filters\":[%s]}}}", where, filter);
  bad_operator = expect (shared, 400, "POST", "/collection-records/search", body, &pro_auth);
}

static void
test_pro_users (void)
{
  g_auto(Tenant) tenant = { 0 };
  g_autofree char *roles_path = NULL;
  g_autofree char *users_path = NULL;
  g_autofree char *role = NULL;
  g_autofree char *invite = NULL;
  g_autofree char *user_path = NULL;
  g_autofree char *message = NULL;
  g_autoptr(EmuReply) roles = NULL;
  g_autoptr(EmuReply) invited = NULL;
  g_autoptr(EmuReply) again = NULL;
  g_autoptr(EmuReply) users = NULL;
  g_autoptr(EmuReply) deactivated = NULL;
  g_autoptr(EmuReply) forbidden = NULL;
  g_autoptr(EmuReply) forbidden_invite = NULL;

  reset (shared);
  pro_tenant (shared, &tenant);
  roles_path = g_strdup_printf ("/roles?accountId=%s&moduleId=%s", tenant.account, tenant.module);
  roles = expect (shared, 200, "GET", roles_path, NULL, &pro_auth);
  role = emu_path_str (roles->json, "$.data.roles[3].id");

  invite = emu_jq ("{'tenant':{'accountId':'%s','moduleId':'%s'},'email':'new.user@example.com',"
               "'firstName':'New','lastName':'User','roleId':'%s'}", tenant.account, tenant.module, role);
  invited = expect (shared, 200, "POST", "/users/invite", invite, &pro_auth);
  emu_assert_str (invited->json, "$.data.user.email", "new.user@example.com");
  emu_assert_str (invited->json, "$.data.user.roleId", role);
  again = expect (shared, 422, "POST", "/users/invite", invite, &pro_auth);

  users_path = g_strdup_printf ("/users?accountId=%s&moduleId=%s", tenant.account, tenant.module);
  users = expect (shared, 200, "GET", users_path, NULL, &pro_auth);
  g_assert_cmpuint (emu_path_len (users->json, "$.data.users"), ==, 2);

  {
    g_autofree char *id = emu_path_str (invited->json, "$.data.user.id");

    user_path = g_strdup_printf ("/users/%s", id);
  }
  deactivated = expect (shared, 200, "PUT", user_path, "{\"isActive\":false}", &pro_auth);
  g_assert_false (emu_path_bool (deactivated->json, "$.data.user.isActive"));

  forbidden = expect (shared, 403, "GET", users_path, NULL, &pro_basic);
  message = emu_path_str (forbidden->json, "$.message");
  g_assert_nonnull (strstr (message, "permission"));
  forbidden_invite = expect (shared, 403, "POST", "/users/invite", invite, &pro_basic);
}

/* ---------------------------------------------------------------- rate limit */

static void
test_rate_limit (void)
{
  const char *const args[] = { "--rate-limit", "5/2", NULL };
  EmuProcess *emu = emulator_start (args);
  g_autoptr(EmuReply) limited = NULL;
  g_autoptr(EmuReply) other = NULL;
  g_autoptr(EmuReply) later = NULL;
  g_autoptr(EmuReply) stats = NULL;
  g_autoptr(EmuReply) dated = NULL;
  g_autoptr(EmuReply) by_ip = NULL;
  const char *retry_after;
  guint64 wait;

  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(EmuReply) reply = expect (emu, 200, "GET", "/accounts", NULL, &pro_auth);
    }
  limited = expect (emu, 429, "GET", "/accounts", NULL, &pro_auth);
  emu_assert_str (limited->json, "$.message", "Rate limit exceeded");
  retry_after = soup_message_headers_get_one (limited->headers, "Retry-After");
  g_assert_nonnull (retry_after);
  g_assert_true (g_ascii_string_to_unsigned (retry_after, 10, 1, 2, &wait, NULL));

  /* The window is per API client, and the admin API is not limited. */
  other = expect (emu, 200, "GET", "/accounts", NULL, &pro_basic);
  for (guint i = 0; i < 10; i++)
    admin (emu, "/_admin/health", NULL);

  g_usleep (wait * G_USEC_PER_SEC);
  later = expect (emu, 200, "GET", "/accounts", NULL, &pro_auth);

  stats = expect (emu, 200, "GET", "/_admin/stats", NULL, NULL);
  g_assert_cmpint (emu_path_num (stats->json, "$.rate_limited"), ==, 1);
  g_assert_cmpint (emu_path_num (stats->json, "$.max_calls_in_window"), ==, 5);
  g_assert_cmpint (emu_path_num (stats->json, "$.max_attempts_in_window"), ==, 6);
  g_assert_cmpint (emu_path_num (stats->json, "$.statuses['429']"), ==, 1);

  /* Retry-After as an HTTP date. */
  admin (emu, "/_admin/faults", "{\"retry_after_format\":\"date\"}");
  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(EmuReply) reply = call (emu, "GET", "/accounts", NULL, &pro_auth);

      if (reply->status == 429)
        {
          dated = g_steal_pointer (&reply);
          break;
        }
    }
  g_assert_nonnull (dated);
  {
    g_autoptr(GDateTime) when = soup_date_time_new_from_http_string (
      soup_message_headers_get_one (dated->headers, "Retry-After"));
    g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

    g_assert_nonnull (when);
    g_assert_cmpint (g_date_time_compare (when, now), >=, 0);
  }

  /* Per address, as Asset Panda's help page words it: two keys share one
   * window, so the sixth call of the two together is refused. */
  admin (emu, "/_admin/faults", "{\"rate_limit_by\":\"ip\"}");
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(EmuReply) reply = expect (emu, 200, "GET", "/accounts", NULL, i < 3 ? &pro_auth : &pro_basic);
    }
  by_ip = expect (emu, 429, "GET", "/accounts", NULL, &pro_basic);
  emu_process_stop (emu);
}

/* ---------------------------------------------------------------- faults */

static void
test_fault_errors (void)
{
  g_autoptr(EmuReply) first = NULL;
  g_autoptr(EmuReply) second = NULL;
  g_autoptr(EmuReply) third = NULL;
  g_autoptr(EmuReply) random = NULL;
  g_autoptr(EmuReply) html = NULL;

  reset (shared);
  admin (shared, "/_admin/faults", "{\"fail_next\":2,\"fail_status\":503,\"error_retry_after\":3}");
  first = expect (shared, 503, "GET", "/accounts", NULL, &pro_auth);
  g_assert_cmpstr (soup_message_headers_get_one (first->headers, "Retry-After"), ==, "3");
  g_assert_true (emu_path_has (first->json, "$.message"));
  second = expect (shared, 503, "GET", "/accounts", NULL, &pro_auth);
  third = expect (shared, 200, "GET", "/accounts", NULL, &pro_auth);

  admin (shared, "/_admin/faults", "{\"error_rate\":1.0,\"error_retry_after\":-1}");
  for (guint i = 0; i < 6; i++)
    {
      g_autoptr(EmuReply) reply = call (shared, "GET", "/accounts", NULL, &pro_auth);

      g_assert_true (reply->status == 502 || reply->status == 503 || reply->status == 504);
      g_assert_null (soup_message_headers_get_one (reply->headers, "Retry-After"));
    }
  admin (shared, "/_admin/faults", "{\"error_rate\":0}");
  random = expect (shared, 200, "GET", "/accounts", NULL, &pro_auth);

  /* Gateway-style HTML pages instead of JSON. */
  admin (shared, "/_admin/faults", "{\"fail_next\":1,\"fail_status\":502,\"html_errors\":true}");
  html = call (shared, "GET", "/accounts", NULL, &pro_auth);
  g_assert_cmpuint (html->status, ==, 502);
  g_assert_null (html->json);
  g_assert_true (g_str_has_prefix (soup_message_headers_get_content_type (html->headers, NULL), "text/html"));
}

static void
test_fault_drop (void)
{
  g_autoptr(EmuReply) dropped = NULL;
  g_autoptr(EmuReply) next = NULL;
  g_autoptr(EmuReply) stats = NULL;

  reset (shared);
  admin (shared, "/_admin/faults", "{\"drop_next\":1}");
  /* On a fresh connection: libsoup itself re-sends a GET that fails on a
   * reused one, which would hide the fault. */
  g_object_unref (shared->session);
  shared->session = soup_session_new_with_options ("timeout", 20, NULL);
  dropped = call (shared, "GET", "/accounts", NULL, &pro_auth);
  g_assert_nonnull (dropped->error);
  g_assert_null (dropped->json);
  next = expect (shared, 200, "GET", "/accounts", NULL, &pro_auth);
  stats = expect (shared, 200, "GET", "/_admin/stats", NULL, NULL);
  g_assert_cmpint (emu_path_num (stats->json, "$.statuses.dropped"), ==, 1);
}

/* fault_match aims the faults at some calls; drop_after loses the answer
 * of a call that was applied, drop (before) loses the request. */
static void
test_fault_targeted (void)
{
  g_autofree char *token = NULL;
  Auth auth = { NULL, NULL, NULL };
  g_autoptr(EmuReply) lost_answer = NULL;
  g_autoptr(EmuReply) lost_request = NULL;
  g_autoptr(EmuReply) untouched = NULL;
  g_autoptr(EmuReply) applied = NULL;
  g_autoptr(EmuReply) not_applied = NULL;
  g_autoptr(EmuReply) calls = NULL;

  reset (shared);
  token = classic_login (shared, CLIENT_ID, CLIENT_SECRET);
  auth.bearer = token;

  admin (shared, "/_admin/faults", "{\"drop_next\":1,\"drop_after\":true,"
         "\"fault_match\":\"POST /v3/groups/" EMPLOYEES "/objects\"}");
  untouched = expect (shared, 200, "POST", "/v3/groups/" EMPLOYEES "/search/objects", "{}", &auth);
  lost_answer = call (shared, "POST", "/v3/groups/" EMPLOYEES "/objects",
                      "{\"field_1\":\"Lost\",\"field_2\":\"Answer\",\"field_3\":\"lost.answer@example.com\"}", &auth);
  g_assert_nonnull (lost_answer->error);
  applied = expect (shared, 200, "POST", "/v3/groups/" EMPLOYEES "/search/objects",
                    "{\"field_filters\":{\"field_3\":\"lost.answer@example.com\"}}", &auth);
  g_assert_cmpuint (emu_path_len (applied->json, "$.objects"), ==, 1);

  admin (shared, "/_admin/faults", "{\"drop_next\":1,\"drop_after\":false}");
  lost_request = call (shared, "POST", "/v3/groups/" EMPLOYEES "/objects",
                       "{\"field_1\":\"Lost\",\"field_2\":\"Request\",\"field_3\":\"lost.request@example.com\"}", &auth);
  g_assert_nonnull (lost_request->error);
  not_applied = expect (shared, 200, "POST", "/v3/groups/" EMPLOYEES "/search/objects",
                        "{\"field_filters\":{\"field_3\":\"lost.request@example.com\"}}", &auth);
  g_assert_cmpuint (emu_path_len (not_applied->json, "$.objects"), ==, 0);

  calls = expect (shared, 200, "GET", "/_admin/calls?bodies=0", NULL, NULL);
  emu_assert_str (calls->json, "$.calls[2].fault", "dropped_after");
  emu_assert_str (calls->json, "$.calls[2].status", "dropped");
  emu_assert_str (calls->json, "$.calls[4].fault", "dropped");
}

static void
test_fault_malformed (void)
{
  g_autoptr(EmuReply) broken = NULL;
  g_autoptr(EmuReply) fine = NULL;

  reset (shared);
  admin (shared, "/_admin/faults", "{\"malformed_next\":1}");
  broken = call (shared, "GET", "/accounts", NULL, &pro_auth);
  g_assert_no_error (broken->error);
  g_assert_cmpuint (broken->status, ==, 200);
  g_assert_cmpuint (g_bytes_get_size (broken->bytes), >, 0);
  g_assert_null (broken->json);
  fine = expect (shared, 200, "GET", "/accounts", NULL, &pro_auth);
}

/* A 2xx answer cut short: a shorter complete answer, or the connection
 * closed half-way through the declared length. Searches are hit too. */
static void
test_fault_truncate (void)
{
  g_autofree char *token = NULL;
  Auth auth = { NULL, NULL, NULL };
  g_autoptr(EmuReply) whole = NULL;
  g_autoptr(EmuReply) cut = NULL;
  g_autoptr(EmuReply) search = NULL;
  g_autoptr(EmuReply) closed = NULL;
  g_autoptr(EmuReply) stats = NULL;
  gsize size, cut_size;
  const char *data;

  reset (shared);
  whole = expect (shared, 200, "GET", "/accounts", NULL, &pro_auth);
  size = g_bytes_get_size (whole->bytes);
  admin (shared, "/_admin/faults", "{\"truncate_next\":1}");
  cut = call (shared, "GET", "/accounts", NULL, &pro_auth);
  g_assert_no_error (cut->error);
  g_assert_cmpuint (cut->status, ==, 200);
  g_assert_null (cut->json);
  /* the first half of the real answer, nothing added */
  data = g_bytes_get_data (cut->bytes, &cut_size);
  g_assert_cmpuint (cut_size, ==, size / 2);
  g_assert_cmpmem (data, cut_size, g_bytes_get_data (whole->bytes, NULL), size / 2);

  token = classic_login (shared, CLIENT_ID, CLIENT_SECRET);
  auth.bearer = token;
  admin (shared, "/_admin/faults", "{\"truncate_next\":1,\"fault_match\":\"POST */search/objects\"}");
  search = call (shared, "POST", "/v3/groups/" EMPLOYEES "/search/objects", "{}", &auth);
  g_assert_cmpuint (search->status, ==, 200);
  g_assert_null (search->json);

  admin (shared, "/_admin/faults", "{\"truncate_next\":1,\"truncate_close\":true,\"fault_match\":\"*\"}");
  g_object_unref (shared->session);
  shared->session = soup_session_new_with_options ("timeout", 20, NULL);
  closed = call (shared, "GET", "/accounts", NULL, &pro_auth);
  g_assert_error (closed->error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT);
  stats = expect (shared, 200, "GET", "/_admin/stats", NULL, NULL);
  g_assert_cmpint (emu_path_num (stats->json, "$.faults.truncated"), ==, 3);
}

/* A 429 at a rate, with Retry-After; and a sign-in page instead of data. */
static void
test_fault_throttle_and_html (void)
{
  g_autoptr(EmuReply) page = NULL;
  g_autoptr(EmuReply) after = NULL;
  g_autoptr(EmuReply) stats = NULL;
  guint throttled = 0;

  reset (shared);
  admin (shared, "/_admin/faults", "{\"throttle_rate\":0.5,\"throttle_retry_after\":2}");
  for (guint i = 0; i < 40; i++)
    {
      g_autoptr(EmuReply) reply = call (shared, "GET", "/accounts", NULL, &pro_auth);

      g_assert_true (reply->status == 200 || reply->status == 429);
      if (reply->status == 429)
        {
          throttled++;
          g_assert_cmpstr (soup_message_headers_get_one (reply->headers, "Retry-After"), ==, "2");
          emu_assert_str (reply->json, "$.message", "Rate limit exceeded");
        }
    }
  g_assert_cmpuint (throttled, >, 5);
  g_assert_cmpuint (throttled, <, 35);
  stats = expect (shared, 200, "GET", "/_admin/stats", NULL, NULL);
  g_assert_cmpint (emu_path_num (stats->json, "$.faults.throttled"), ==, throttled);
  /* the limiter's own count is separate */
  g_assert_cmpint (emu_path_num (stats->json, "$.rate_limited"), ==, 0);

  admin (shared, "/_admin/faults", "{\"throttle_rate\":0,\"html_next\":1}");
  page = call (shared, "GET", "/accounts", NULL, &pro_auth);
  g_assert_cmpuint (page->status, ==, 200);
  g_assert_null (page->json);
  g_assert_true (g_str_has_prefix (soup_message_headers_get_content_type (page->headers, NULL), "text/html"));
  g_assert_true (g_str_has_prefix (g_bytes_get_data (page->bytes, NULL), "<!DOCTYPE html>"));
  after = expect (shared, 200, "GET", "/accounts", NULL, &pro_auth);
}

static void
test_fault_tokens (void)
{
  g_autofree char *token = NULL;
  g_autofree char *short_token = NULL;
  g_autofree char *message = NULL;
  Auth auth = { NULL, NULL, NULL };
  g_autoptr(EmuReply) before = NULL;
  g_autoptr(EmuReply) expired = NULL;
  g_autoptr(EmuReply) short_lived = NULL;
  g_autoptr(EmuReply) again = NULL;

  reset (shared);
  token = classic_login (shared, CLIENT_ID, CLIENT_SECRET);
  auth.bearer = token;
  before = expect (shared, 200, "GET", "/v3/groups", NULL, &auth);
  admin (shared, "/_admin/faults", "{\"expire_tokens\":true}");
  expired = expect (shared, 401, "GET", "/v3/groups", NULL, &auth);
  message = emu_path_str (expired->json, "$.message");
  g_assert_nonnull (strstr (message, "expired"));

  admin (shared, "/_admin/faults", "{\"token_lifetime\":1}");
  short_token = classic_login (shared, CLIENT_ID, CLIENT_SECRET);
  auth.bearer = short_token;
  again = expect (shared, 200, "GET", "/v3/groups", NULL, &auth);
  g_usleep (1100 * 1000);
  short_lived = expect (shared, 401, "GET", "/v3/groups", NULL, &auth);
}

typedef struct {
  GMainLoop *loop;
  guint      pending;
  guint      ok;
} Batch;

static void
batch_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Batch *batch = data;
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);

  if (bytes != NULL)
    batch->ok++;
  if (--batch->pending == 0)
    g_main_loop_quit (batch->loop);
}

static void
test_fault_latency (void)
{
  g_autoptr(EmuReply) slow = NULL;
  g_autoptr(EmuReply) slower = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(SoupSession) session = soup_session_new_with_options ("max-conns-per-host", 8, NULL);
  Batch batch = { loop, 4, 0 };
  gint64 start;
  double elapsed;

  reset (shared);
  admin (shared, "/_admin/faults", "{\"latency_ms\":300}");
  slow = expect (shared, 200, "GET", "/accounts", NULL, &pro_auth);
  g_assert_cmpfloat (slow->seconds, >=, 0.29);

  admin (shared, "/_admin/faults", "{\"slow_rate\":1.0,\"slow_ms\":300}");
  slower = expect (shared, 200, "GET", "/accounts", NULL, &pro_auth);
  g_assert_cmpfloat (slower->seconds, >=, 0.59);

  /* Delays are timers, not sleeps: four parallel calls overlap. */
  admin (shared, "/_admin/faults", "{\"slow_rate\":0,\"latency_ms\":400}");
  start = g_get_monotonic_time ();
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(SoupMessage) msg = build_message (shared, "GET", "/accounts", NULL, &pro_auth);

      soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, batch_done, &batch);
    }
  g_main_loop_run (loop);
  elapsed = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_assert_cmpuint (batch.ok, ==, 4);
  g_assert_cmpfloat (elapsed, >=, 0.39);
  g_assert_cmpfloat (elapsed, <, 1.5);   /* one after another: 1.6 s */
}

/* ---------------------------------------------------------------- admin API */

static void
test_admin (void)
{
  g_autofree char *token = NULL;
  Auth auth = { NULL, NULL, NULL };
  g_autoptr(EmuReply) created = NULL;
  g_autoptr(EmuReply) calls = NULL;
  g_autoptr(EmuReply) since = NULL;
  g_autoptr(EmuReply) no_bodies = NULL;
  g_autoptr(EmuReply) stats = NULL;
  g_autoptr(EmuReply) state = NULL;
  g_autoptr(EmuReply) after_reset = NULL;
  g_autoptr(EmuReply) faults = NULL;
  g_autoptr(EmuReply) unknown = NULL;
  g_autoptr(EmuReply) bad_value = NULL;
  g_autoptr(EmuReply) no_save = NULL;
  g_autoptr(EmuReply) too_big = NULL;
  g_autoptr(GString) big = g_string_new ("{\"field_1\":\"");
  g_autofree char *calls_text = NULL;
  g_autofree char *since_path = NULL;
  guint n_calls;

  /* A new session, so that the connection count starts from nothing. */
  g_object_unref (shared->session);
  shared->session = soup_session_new_with_options ("timeout", 20, NULL);
  reset (shared);
  token = classic_login (shared, CLIENT_ID, CLIENT_SECRET);
  auth.bearer = token;
  created = expect (shared, 200, "POST", "/v3/groups/" EMPLOYEES "/objects",
                    "{\"field_1\":\"Log\",\"field_2\":\"Me\"}", &auth);
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(EmuReply) reply = expect (shared, 200, "GET", "/v3/groups", NULL, &auth);
    }

  calls = expect (shared, 200, "GET", "/_admin/calls", NULL, NULL);
  n_calls = emu_path_len (calls->json, "$.calls");
  g_assert_cmpuint (n_calls, ==, 6);
  emu_assert_str (calls->json, "$.calls[0].method", "POST");
  emu_assert_str (calls->json, "$.calls[0].path", "/v3/session/token");
  emu_assert_str (calls->json, "$.calls[0].request_body.password", "***");
  emu_assert_str (calls->json, "$.calls[0].request_body.client_secret", "***");
  emu_assert_str (calls->json, "$.calls[0].client", CLIENT_ID);
  emu_assert_str (calls->json, "$.calls[1].request_body.field_1", "Log");
  g_assert_cmpint (emu_path_num (calls->json, "$.calls[1].status"), ==, 200);
  emu_assert_str (calls->json, "$.calls[1].route", "POST /v3/groups/{id}/objects");
  g_assert_true (emu_path_has (calls->json, "$.calls[2].started"));
  g_assert_false (emu_path_has (calls->json, "$.calls[2].request_body"));
  calls_text = json_to_string (calls->json, FALSE);
  g_assert_null (strstr (calls_text, ADMIN_PASSWORD));
  g_assert_null (strstr (calls_text, CLIENT_SECRET));

  since_path = g_strdup_printf ("/_admin/calls?since=%" G_GINT64_FORMAT, emu_path_num (calls->json, "$.calls[4].seq"));
  since = expect (shared, 200, "GET", since_path, NULL, NULL);
  g_assert_cmpuint (emu_path_len (since->json, "$.calls"), ==, 2);
  no_bodies = expect (shared, 200, "GET", "/_admin/calls?bodies=0&limit=2", NULL, NULL);
  g_assert_cmpuint (emu_path_len (no_bodies->json, "$.calls"), ==, 2);
  g_assert_false (emu_path_has (no_bodies->json, "$.calls[0].request_body"));

  stats = expect (shared, 200, "GET", "/_admin/stats", NULL, NULL);
  g_assert_cmpint (emu_path_num (stats->json, "$.calls"), ==, 6);
  g_assert_cmpint (emu_path_num (stats->json, "$.endpoints['GET /v3/groups']"), ==, 4);
  g_assert_cmpint (emu_path_num (stats->json, "$.statuses['200']"), ==, 6);
  /* Keep-alive: the four GETs share connections. (libsoup opens a new
   * connection for a POST rather than reuse an idle one.) */
  g_assert_cmpint (emu_path_num (stats->json, "$.connections"), >=, 1);
  g_assert_cmpint (emu_path_num (stats->json, "$.connections"), <=, 3);
  g_assert_cmpint (emu_path_num (stats->json, "$.max_calls_in_window"), ==, 6);

  state = expect (shared, 200, "GET", "/_admin/state", NULL, NULL);
  g_assert_cmpuint (emu_path_len (state->json, "$.classic.groups[0].objects"), ==, 6);
  g_assert_true (emu_path_has (state->json, "$.pro.accounts[0].modules[0].collections[1].records"));

  reset (shared);
  after_reset = expect (shared, 200, "GET", "/_admin/state", NULL, NULL);
  g_assert_cmpuint (emu_path_len (after_reset->json, "$.classic.groups[0].objects"), ==, 5);

  faults = expect (shared, 200, "POST", "/_admin/faults", "{\"latency_ms\":0,\"drop_rate\":0.0}", NULL);
  g_assert_cmpint (emu_path_num (faults->json, "$.rate_limit_calls"), ==, 400);
  g_assert_cmpint (emu_path_num (faults->json, "$.rate_limit_window"), ==, 180);
  unknown = expect (shared, 400, "POST", "/_admin/faults", "{\"no_such_switch\":1}", NULL);
  bad_value = expect (shared, 400, "POST", "/_admin/faults", "{\"auth_error_status\":418}", NULL);
  no_save = expect (shared, 500, "POST", "/_admin/save", "{}", NULL);

  /* Bodies over the limit are refused before they are read. */
  while (big->len < 9 * 1024 * 1024)
    g_string_append (big, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
  g_string_append (big, "\"}");
  too_big = call (shared, "POST", "/v3/groups/" EMPLOYEES "/objects", big->str, &auth);
  g_assert_cmpuint (too_big->status, ==, 413);
}

static void
test_save_and_reseed (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ps-emulator-XXXXXX", NULL);
  g_autofree char *save = g_build_filename (dir, "state.json", NULL);
  const char *const first_args[] = { "--save", save, NULL };
  const char *const second_args[] = { "--seed", save, NULL };
  EmuProcess *emu = emulator_start (first_args);
  g_autofree char *token = classic_login (emu, CLIENT_ID, CLIENT_SECRET);
  Auth auth = { token, NULL, NULL };
  g_autoptr(EmuReply) created = expect (emu, 200, "POST", "/v3/groups/" EMPLOYEES "/objects",
                                     "{\"field_1\":\"Saved\",\"field_2\":\"Person\",\"field_3\":\"saved@example.com\"}", &auth);
  g_autoptr(EmuReply) saved = expect (emu, 200, "POST", "/_admin/save", "{}", NULL);
  g_autoptr(EmuReply) found = NULL;
  g_autofree char *id = emu_path_str (created->json, "$.id");

  g_assert_true (g_file_test (save, G_FILE_TEST_EXISTS));
  emu_process_stop (emu);

  emu = emulator_start (second_args);
  g_free (token);
  token = classic_login (emu, CLIENT_ID, CLIENT_SECRET);
  auth.bearer = token;
  found = expect (emu, 200, "POST", "/v3/groups/" EMPLOYEES "/search/objects",
                  "{\"field_filters\":{\"field_3\":\"saved@example.com\"}}", &auth);
  emu_assert_str (found->json, "$.objects[0].id", id);
  emu_process_stop (emu);

  g_unlink (save);
  g_rmdir (dir);
}

/* ---------------------------------------------------------------- HTTPS and CLI */

static void
test_https (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupSession) untrusting = soup_session_new ();
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(EmuReply) trusted = NULL;
  g_autofree char *url = NULL;
  EmuProcess *emu = emu_process_start_tls ("PS_EMULATOR", NULL, 20);

  if (emu == NULL)
    {
      g_test_skip ("openssl is not installed: no test CA");
      return;
    }
  trusted = expect (emu, 200, "GET", "/accounts", NULL, &pro_auth);
  emu_assert_str (trusted->json, "$.data[0].name", "Example Ltd");

  /* Without the test CA the certificate is refused. */
  url = g_strconcat (emu->base, "/_admin/health", NULL);
  msg = soup_message_new ("GET", url);
  bytes = soup_session_send_and_read (untrusting, msg, NULL, &error);
  g_assert_null (bytes);
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  emu_process_stop (emu);
}

static void
test_cli_listen (void)
{
  emu_assert_listen_refused ("PS_EMULATOR");
}

/* start-emulator.sh starts it in the background on the demo seed. */
static void
test_start_script (void)
{
  g_autofree char *seed = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "seed-demo.json", NULL);
  const char *const args[] = { "--seed", seed, NULL };
  EmuProcess *emu = emu_process_start_script ("PS_EMULATOR_START", args, 20);
  g_autofree char *token = classic_login (emu, CLIENT_ID, CLIENT_SECRET);
  Auth auth = { token, NULL, NULL };
  g_autoptr(EmuReply) employees = expect (emu, 200, "POST", "/v3/groups/" EMPLOYEES "/search/objects", "{}",
                                          &auth);

  g_assert_cmpint (emu_path_num (employees->json, "$.totals.group_totals"), ==, 15);
  emu_process_stop (emu);
}

/* ---------------------------------------------------------------- main */

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/emulator/classic/auth", test_classic_auth);
  g_test_add_func ("/emulator/classic/discovery", test_classic_discovery);
  g_test_add_func ("/emulator/classic/search", test_classic_search);
  g_test_add_func ("/emulator/classic/writes", test_classic_writes);
  g_test_add_func ("/emulator/classic/users", test_classic_users);
  g_test_add_func ("/emulator/pro/auth", test_pro_auth);
  g_test_add_func ("/emulator/pro/discovery", test_pro_discovery);
  g_test_add_func ("/emulator/pro/records", test_pro_records);
  g_test_add_func ("/emulator/pro/users", test_pro_users);
  g_test_add_func ("/emulator/rate-limit", test_rate_limit);
  g_test_add_func ("/emulator/faults/errors", test_fault_errors);
  g_test_add_func ("/emulator/faults/drop", test_fault_drop);
  g_test_add_func ("/emulator/faults/targeted", test_fault_targeted);
  g_test_add_func ("/emulator/faults/malformed", test_fault_malformed);
  g_test_add_func ("/emulator/faults/truncate", test_fault_truncate);
  g_test_add_func ("/emulator/faults/throttle-and-html", test_fault_throttle_and_html);
  g_test_add_func ("/emulator/faults/tokens", test_fault_tokens);
  g_test_add_func ("/emulator/faults/latency", test_fault_latency);
  g_test_add_func ("/emulator/admin", test_admin);
  g_test_add_func ("/emulator/admin/save", test_save_and_reseed);
  g_test_add_func ("/emulator/https", test_https);
  g_test_add_func ("/emulator/cli/listen", test_cli_listen);
  g_test_add_func ("/emulator/cli/start-script", test_start_script);

  shared = emulator_start (NULL);
  status = g_test_run ();
  emu_process_stop (shared);
  return status;
}
