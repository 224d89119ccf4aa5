/* test-entra-graph.c — PsGraphClient against the Microsoft Graph emulator
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Starts ps-graph-emulator ($PS_GRAPH_EMULATOR) once, on a free port, with
 * its small seed ($PS_GRAPH_EMULATOR_SEED), and resets it before every
 * test through /_admin/reset. Covers sign-in and its errors, certificate
 * credentials, member reads with paging and non-user members, delta round
 * trips (users and groups), expired delta links, throttling, token renewal,
 * permissions, unreadable pages, the connection test, and that no secret
 * or token reaches the log.
 */

#include <string.h>
#include <signal.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <libsoup/soup.h>

#include "ps-test.h"
#include "ps-graph-client.h"
#include "entra-test-cert.h"

/* tests/emulator/graph/seed-small.json */
#define TENANT            "contoso.onmicrosoft.com"
#define TENANT_ID         "f0000000-0000-4000-8000-0000000000c1"
#define APP               "11111111-1111-4111-8111-111111111111"
#define SECRET            "ps-graph-secret~1"
#define SECRET_ID         "5ec0e7a1-0000-4000-8000-000000000001"
#define EXPIRED_SECRET    "ps-graph-expired~1"
#define APP_MEMBERS_ONLY  "22222222-2222-4222-8222-222222222222"
#define SECRET_MEMBERS    "ps-graph-secret~2"
#define APP_NO_CONSENT    "33333333-3333-4333-8333-333333333333"
#define SECRET_NO_CONSENT "ps-graph-secret~3"
#define APP_CERT          "55555555-5555-4555-8555-555555555555"

#define STAFF             "b0000001-0000-4000-8000-000000000001"
#define ENGINEERING       "b0000002-0000-4000-8000-000000000002"
#define PLATFORM          "b0000003-0000-4000-8000-000000000003"
#define ONCALL            "b0000004-0000-4000-8000-000000000004"
#define SALES             "b0000005-0000-4000-8000-000000000005"
#define ADELE             "a0000001-0000-4000-8000-000000000001"
#define ALEX              "a0000002-0000-4000-8000-000000000002"
#define MEGAN             "a0000003-0000-4000-8000-000000000003"
#define LEE               "a0000004-0000-4000-8000-000000000004"
#define LYNNE             "a0000009-0000-4000-8000-000000000009"
#define STAFF_USERS       11   /* active users under Staff, nesting and its cycle resolved
                                * (Patti is soft-deleted) */

typedef struct {
  GSubprocess *process;
  guint        port;
  char        *url;
  SoupSession *admin;
} Emulator;

static Emulator emu;

/* ---------------------------------------------------------------- the emulator */

/* The emulator goes when the test goes, whatever way it ends. */
static void
child_setup (gpointer data)
{
#ifdef __linux__
  prctl (PR_SET_PDEATHSIG, SIGTERM);
#endif
}

static void
emulator_start (void)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  const char *emulator = g_getenv ("PS_GRAPH_EMULATOR");
  const char *seed = g_getenv ("PS_GRAPH_EMULATOR_SEED");

  g_assert_nonnull (emulator);
  g_ptr_array_add (argv, (char *) emulator);
  g_ptr_array_add (argv, (char *) "--port");
  g_ptr_array_add (argv, (char *) "0");
  if (seed != NULL)
    {
      g_ptr_array_add (argv, (char *) "--seed");
      g_ptr_array_add (argv, (char *) seed);
    }
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  emu.process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata,
                                              &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (emu.process));
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (out, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);
      if (g_str_has_prefix (line, "PORT="))
        {
          emu.port = (guint) g_ascii_strtoull (line + 5, NULL, 10);
          break;
        }
    }
  g_assert_cmpuint (emu.port, >, 0);
  emu.url = g_strdup_printf ("http://127.0.0.1:%u", emu.port);
  emu.admin = soup_session_new ();
}

static void
emulator_stop (void)
{
  g_subprocess_send_signal (emu.process, SIGTERM);
  g_subprocess_wait (emu.process, NULL, NULL);
  g_clear_object (&emu.process);
  g_clear_object (&emu.admin);
  g_clear_pointer (&emu.url, g_free);
}

static JsonNode *
admin (const char *method,
       const char *what,
       const char *json)
{
  g_autofree char *uri = g_strdup_printf ("%s/_admin/%s", emu.url, what);
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  guint status;

  if (json != NULL)
    {
      g_autoptr(GBytes) request = g_bytes_new (json, strlen (json));
      soup_message_set_request_body_from_bytes (msg, "application/json", request);
    }
  body = soup_session_send_and_read (emu.admin, msg, NULL, &error);
  g_assert_no_error (error);
  status = soup_message_get_status (msg);
  if (status < 200 || status >= 300)
    g_error ("admin %s %s: %u %.*s", method, what, status, (int) g_bytes_get_size (body),
             (const char *) g_bytes_get_data (body, NULL));
  if (!json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                   NULL))
    return json_node_new (JSON_NODE_NULL);
  return json_node_ref (json_parser_get_root (parser));
}

static void
admin_do (const char *method,
          const char *what,
          const char *json)
{
  g_autoptr(JsonNode) ignored = admin (method, what, json);
}

/* Switches and fault rules, e.g. {"page_size": 3}. */
static void
faults (const char *json)
{
  admin_do ("POST", "faults", json);
}

/* Graph calls (not the token endpoint, not admin) logged since @since. */
static guint
graph_calls_since (gint64      since,
                   const char *path_prefix)
{
  g_autofree char *what = g_strdup_printf ("calls?since=%" G_GINT64_FORMAT, since);
  g_autoptr(JsonNode) log = admin ("GET", what, NULL);
  JsonArray *calls = json_object_get_array_member (json_node_get_object (log), "calls");
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (calls); i++)
    {
      JsonObject *call = json_array_get_object_element (calls, i);
      const char *path = json_object_get_string_member_with_default (call, "path", "");

      if (g_str_has_prefix (path, path_prefix != NULL ? path_prefix : "/v1.0/"))
        n++;
    }
  return n;
}

static gint64
log_mark (void)
{
  g_autoptr(JsonNode) log = admin ("GET", "calls?limit=0", NULL);

  return json_object_get_int_member (json_node_get_object (log), "next_seq");
}

/* ---------------------------------------------------------------- clients */

static PsGraphClient *
client_full (const char *tenant,
             const char *client_id,
             const char *secret,
             const char *certificate_file,
             GError    **error)
{
  PsEntraConfig config = { 0 };
  PsGraphClient *client;

  config.tenant = (char *) tenant;
  config.client_id = (char *) client_id;
  config.login_base = emu.url;
  config.graph_base = emu.url;
  config.certificate_file = (char *) certificate_file;
  config.timeout = 10;
  client = ps_graph_client_new (&config, secret, error);
  if (client != NULL)
    /* Short backoff so that fault tests stay fast; Retry-After still rules. */
    ps_graph_client_set_retry (client, 6, 20, 200);
  return client;
}

static PsGraphClient *
client_as (const char *client_id,
           const char *secret)
{
  g_autoptr(GError) error = NULL;
  PsGraphClient *client = client_full (TENANT, client_id, secret, NULL, &error);

  g_assert_no_error (error);
  return client;
}

static PsGraphClient *
client_new (void)
{
  return client_as (APP, SECRET);
}

static GError *
token_error (const char *tenant,
             const char *client_id,
             const char *secret)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsGraphClient) client = client_full (tenant, client_id, secret, NULL, &error);

  g_assert_no_error (error);
  g_assert_false (ps_graph_client_get_token_sync (client, NULL, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  return g_steal_pointer (&error);
}

static void
assert_contains (const GError *error,
                 const char   *needle)
{
  g_assert_nonnull (error);
  if (strstr (error->message, needle) == NULL)
    g_error ("“%s” not in “%s”", needle, error->message);
}

/* ---------------------------------------------------------------- collectors */

typedef struct {
  GHashTable *objects;      /* id → JsonObject (ref) */
  guint       pages;
  guint       entries;
  gboolean    expire_after_first;
} Collected;

static void
collected_init (Collected *c)
{
  memset (c, 0, sizeof *c);
  c->objects = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify) json_object_unref);
}

static void
collected_clear (Collected *c)
{
  g_clear_pointer (&c->objects, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Collected, collected_clear)

static gboolean
collect_cb (JsonArray  *value,
            gpointer    user_data,
            GError    **error)
{
  Collected *c = user_data;

  c->pages++;
  for (guint i = 0; i < json_array_get_length (value); i++)
    {
      JsonObject *object = json_array_get_object_element (value, i);
      const char *id = ps_graph_object_get_id (object);

      g_assert_nonnull (id);
      c->entries++;
      g_hash_table_replace (c->objects, g_strdup (id), json_object_ref (object));
    }
  if (c->expire_after_first && c->pages == 1)
    admin_do ("POST", "expire-tokens", "{}");
  return TRUE;
}

static gboolean
count_members_cb (JsonArray  *value,
                  gpointer    user_data,
                  GError    **error)
{
  guint *n = user_data;

  g_atomic_int_add (n, json_array_get_length (value));
  return TRUE;
}

static JsonObject *
collected (Collected  *c,
           const char *id)
{
  return g_hash_table_lookup (c->objects, id);
}

/* Group objects of a groups/delta round, members@delta merged per group:
 * group id → (member id → "added" | "removed"). */
static gboolean
collect_groups_cb (JsonArray  *value,
                   gpointer    user_data,
                   GError    **error)
{
  GHashTable *groups = user_data;

  for (guint i = 0; i < json_array_get_length (value); i++)
    {
      JsonObject *group = json_array_get_object_element (value, i);
      JsonArray *members = ps_graph_group_members_delta (group);
      const char *id = ps_graph_object_get_id (group);
      GHashTable *set = g_hash_table_lookup (groups, id);

      if (set == NULL)
        {
          set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
          g_hash_table_insert (groups, g_strdup (id), set);
        }
      for (guint m = 0; members != NULL && m < json_array_get_length (members); m++)
        {
          JsonObject *member = json_array_get_object_element (members, m);

          g_hash_table_insert (set, g_strdup (ps_graph_object_get_id (member)),
                               (gpointer) (ps_graph_object_removed_reason (member) != NULL
                                           ? "removed" : "added"));
        }
    }
  return TRUE;
}

static GHashTable *
groups_table_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                (GDestroyNotify) g_hash_table_unref);
}

static const char *
member_change (GHashTable *groups,
               const char *group,
               const char *member)
{
  GHashTable *set = g_hash_table_lookup (groups, group);

  return set != NULL ? g_hash_table_lookup (set, member) : NULL;
}

/* ---------------------------------------------------------------- set-up */

static void
setup (void)
{
  admin_do ("POST", "reset", "{}");
}

/* ---------------------------------------------------------------- sign-in */

static void
test_token (void)
{
  g_autoptr(PsGraphClient) client = NULL;
  g_autoptr(GError) error = NULL;
  PsGraphStats stats;

  setup ();
  client = client_new ();
  g_assert_true (ps_graph_client_get_token_sync (client, NULL, &error));
  g_assert_no_error (error);
  /* The token is kept: no second sign-in. */
  g_assert_true (ps_graph_client_get_token_sync (client, NULL, &error));
  ps_graph_client_get_stats (client, &stats);
  g_assert_cmpuint (stats.token_requests, ==, 1);

  /* The tenant by id works as well as by domain. */
  g_clear_object (&client);
  client = client_full (TENANT_ID, APP, SECRET, NULL, &error);
  g_assert_true (ps_graph_client_get_token_sync (client, NULL, &error));
  g_assert_no_error (error);
}

static void
test_token_errors (void)
{
  GError *error;

  setup ();
  error = token_error (TENANT, APP, "not-the-secret");
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_INVALID_SECRET);
  assert_contains (error, "not its Secret ID");
  g_error_free (error);

  /* The secret's ID pasted instead of its value. */
  error = token_error (TENANT, APP, SECRET_ID);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_INVALID_SECRET);
  assert_contains (error, "looks like a Secret ID");
  g_error_free (error);

  error = token_error (TENANT, APP, EXPIRED_SECRET);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_SECRET_EXPIRED);
  assert_contains (error, "Make a new secret");
  g_error_free (error);

  error = token_error ("nosuch.onmicrosoft.com", APP, SECRET);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_TENANT_NOT_FOUND);
  assert_contains (error, "nosuch.onmicrosoft.com");
  g_error_free (error);

  error = token_error ("contoso_tenant", APP, SECRET);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_TENANT_NOT_FOUND);
  assert_contains (error, "AADSTS900023");
  g_error_free (error);

  error = token_error (TENANT, "99999999-9999-4999-8999-999999999999", SECRET);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CLIENT_NOT_FOUND);
  assert_contains (error, "99999999-9999-4999-8999-999999999999");
  g_error_free (error);

  faults ("{\"add_rule\": {\"fault\": \"aadsts\", \"aadsts\": 70011, \"count\": 1}}");
  error = token_error (TENANT, APP, SECRET);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_INVALID_SCOPE);
  assert_contains (error, emu.url);
  g_error_free (error);

  faults ("{\"add_rule\": {\"fault\": \"aadsts\", \"aadsts\": 700027, \"count\": 1}}");
  error = token_error (TENANT, APP, SECRET);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_INVALID_CERTIFICATE);
  g_error_free (error);

  /* A sign-in service that fails for a while is asked again. */
  {
    g_autoptr(PsGraphClient) client = client_new ();
    g_autoptr(GError) local = NULL;
    PsGraphStats stats;

    faults ("{\"add_rule\": {\"fault\": \"error\", \"status\": 503, \"match\": \"POST *\", "
            "\"count\": 2}}");
    g_assert_true (ps_graph_client_get_token_sync (client, NULL, &local));
    g_assert_no_error (local);
    ps_graph_client_get_stats (client, &stats);
    g_assert_cmpuint (stats.token_requests, ==, 3);
  }
}

static void
test_certificate (void)
{
  g_autoptr(EntraTestCert) cert = entra_test_cert_new ();
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *body_text = NULL;
  g_autofree char *path = NULL;
  g_autofree char *locked = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsGraphClient) client = NULL;
  g_autoptr(JsonObject) user = NULL;

  setup ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "add_certificate");
  json_builder_add_string_value (builder, cert->certificate_pem);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  body_text = json_to_string (body, FALSE);
  admin_do ("POST", "apps/" APP_CERT, body_text);

  path = ps_test_write_file ("app-cert.pem", cert->pem, -1, 0600);
  client = client_full (TENANT, APP_CERT, NULL, path, &error);
  g_assert_no_error (error);
  g_assert_true (ps_graph_client_get_token_sync (client, NULL, &error));
  g_assert_no_error (error);
  user = ps_graph_client_get_user_sync (client, ADELE, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (user);

  /* An encrypted key with its passphrase as the secret; RS256 as well. */
  g_clear_object (&client);
  locked = ps_test_write_file ("app-cert-locked.pem", cert->encrypted_pem, -1, 0600);
  {
    PsEntraConfig config = { 0 };

    config.tenant = (char *) TENANT;
    config.client_id = (char *) APP_CERT;
    config.login_base = emu.url;
    config.graph_base = emu.url;
    config.certificate_file = locked;
    config.certificate_rs256 = TRUE;
    client = ps_graph_client_new (&config, "pass phrase", &error);
    g_assert_no_error (error);
    g_assert_true (ps_graph_client_get_token_sync (client, NULL, &error));
    g_assert_no_error (error);
  }

  /* The certificate of another app: refused, and named as a certificate problem. */
  g_clear_object (&client);
  client = client_full (TENANT, APP, NULL, path, &error);
  g_assert_no_error (error);
  g_assert_false (ps_graph_client_get_token_sync (client, NULL, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_INVALID_CERTIFICATE);
}

/* ---------------------------------------------------------------- members */

static void
test_transitive_members (void)
{
  g_autoptr(PsGraphClient) client = client_new ();
  g_autoptr(PsGraphMemberReport) report = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(Collected) c;
  const char *const select[] = { "mail", "department", "onPremisesSecurityIdentifier",
                                 "businessPhones", NULL };
  JsonObject *adele;
  g_autofree char *phone = NULL;
  g_autofree char *what = NULL;
  g_autoptr(JsonNode) log = NULL;
  JsonArray *calls;
  gboolean enabled = FALSE;
  gint64 mark;

  setup ();
  collected_init (&c);
  /* Pages of 3: the 18 members of Staff's tree come in 6 pages. */
  faults ("{\"page_size\": 3}");
  mark = log_mark ();
  g_assert_true (ps_graph_client_read_transitive_members_sync (client, STAFF, select, collect_cb,
                                                               &c, &report, NULL, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (g_hash_table_size (c.objects), ==, STAFF_USERS);
  g_assert_cmpuint (c.entries, ==, STAFF_USERS);   /* each once */
  g_assert_cmpuint (report->users, ==, STAFF_USERS);
  g_assert_cmpuint (report->groups, ==, 4);
  g_assert_cmpuint (report->devices, ==, 1);
  g_assert_cmpuint (report->contacts, ==, 1);
  g_assert_cmpuint (report->service_principals, ==, 1);
  g_assert_cmpuint (report->unclassifiable, ==, 0);
  g_assert_cmpuint (report->limited_users, ==, 0);
  g_assert_cmpuint (report->pages, ==, 6);

  adele = collected (&c, ADELE);
  g_assert_nonnull (adele);
  g_assert_true (ps_graph_user_get_enabled (adele, &enabled));
  g_assert_true (enabled);
  phone = ps_graph_user_get_string (adele, "businessPhones");
  g_assert_cmpstr (phone, ==, "+1 425 555 0100");
  g_assert_true (json_object_has_member (adele, "department"));
  g_assert_false (json_object_has_member (adele, "jobTitle"));   /* not selected */

  /* $select and $top went out on the first request; the rest were nextLinks. */
  what = g_strdup_printf ("calls?since=%" G_GINT64_FORMAT, mark);
  log = admin ("GET", what, NULL);
  calls = json_object_get_array_member (json_node_get_object (log), "calls");
  {
    JsonObject *first = NULL;

    for (guint i = 0; i < json_array_get_length (calls) && first == NULL; i++)
      if (g_str_has_suffix (json_object_get_string_member (json_array_get_object_element (calls, i),
                                                           "path"), "/transitiveMembers"))
        first = json_array_get_object_element (calls, i);
    g_assert_nonnull (first);
    g_assert_nonnull (strstr (json_object_get_string_member (first, "query"), "select"));
    g_assert_nonnull (strstr (json_object_get_string_member (first, "query"), "department"));
  }
}

static void
test_direct_members (void)
{
  g_autoptr(PsGraphClient) client = client_new ();
  g_autoptr(PsGraphMemberReport) report = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(Collected) c;
  JsonObject *platform;

  setup ();
  collected_init (&c);
  g_assert_true (ps_graph_client_read_direct_members_sync (client, ENGINEERING, NULL, collect_cb,
                                                           &c, &report, NULL, &error));
  g_assert_no_error (error);
  /* Adele, Megan, Lee, Joni and the nested group Platform. */
  g_assert_cmpuint (g_hash_table_size (c.objects), ==, 5);
  g_assert_cmpuint (report->users, ==, 4);
  g_assert_cmpuint (report->groups, ==, 1);
  platform = collected (&c, PLATFORM);
  g_assert_nonnull (platform);
  g_assert_cmpint (ps_graph_object_kind (platform), ==, PS_GRAPH_KIND_GROUP);

  /* A group that does not exist. */
  g_clear_pointer (&report, ps_graph_member_report_free);
  g_assert_false (ps_graph_client_read_direct_members_sync (client,
                                                            "b0000099-0000-4000-8000-000000000099",
                                                            NULL, collect_cb, &c, &report, NULL,
                                                            &error));
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_NOT_FOUND);
}

static void
test_permissions (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsGraphMemberReport) report = NULL;
  g_auto(Collected) c;

  setup ();
  collected_init (&c);

  /* Members without User.Read.All: users come back as id + nulls (§3.3). */
  {
    g_autoptr(PsGraphClient) client = client_as (APP_MEMBERS_ONLY, SECRET_MEMBERS);

    g_assert_false (ps_graph_client_read_transitive_members_sync (client, STAFF, NULL, collect_cb,
                                                                  &c, &report, NULL, &error));
    g_test_message ("%s", error->message);
    g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_PERMISSION);
    assert_contains (error, "User.Read.All");
    g_assert_cmpuint (report->users, >, 0);
    g_assert_cmpuint (report->limited_users, ==, report->users);
    g_clear_error (&error);

    /* …and users themselves are refused with 403. */
    g_assert_null (ps_graph_client_get_user_sync (client, ADELE, NULL, NULL, &error));
    g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_PERMISSION);
    assert_contains (error, "User.Read.All");
    g_clear_error (&error);
  }

  /* No permission consented at all. */
  {
    g_autoptr(PsGraphClient) client = client_as (APP_NO_CONSENT, SECRET_NO_CONSENT);
    g_autofree char *link = NULL;

    g_clear_pointer (&report, ps_graph_member_report_free);
    g_assert_false (ps_graph_client_read_transitive_members_sync (client, STAFF, NULL, collect_cb,
                                                                  &c, &report, NULL, &error));
    g_test_message ("%s", error->message);
    g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_PERMISSION);
    assert_contains (error, "GroupMember.Read.All");
    assert_contains (error, "admin consent");
    g_clear_error (&error);

    g_assert_false (ps_graph_client_users_delta_sync (client, NULL, NULL, collect_cb, &c, &link,
                                                      NULL, &error));
    g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_PERMISSION);
    assert_contains (error, "User.Read.All");
    g_clear_error (&error);
  }

  /* A 403 on one endpoint only. */
  {
    g_autoptr(PsGraphClient) client = client_new ();
    PsGraphStats stats;

    faults ("{\"add_rule\": {\"fault\": \"forbidden\", \"match\": \"GET /v1.0/directory/*\"}}");
    g_assert_false (ps_graph_client_list_deleted_users_sync (client, collect_cb, &c, NULL, &error));
    g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_PERMISSION);
    assert_contains (error, "User.Read.All");
    /* 403 is not asked again. */
    ps_graph_client_get_stats (client, &stats);
    g_assert_cmpuint (stats.requests, ==, 1);
  }
}

static void
test_unreadable_pages (void)
{
  g_autoptr(PsGraphClient) client = client_new ();
  g_autoptr(PsGraphMemberReport) report = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(Collected) c;
  PsGraphStats stats;

  setup ();
  collected_init (&c);
  faults ("{\"page_size\": 3, \"add_rules\": ["
          "{\"fault\": \"malformed\", \"match\": \"GET */transitiveMembers\", \"nth\": 2},"
          "{\"fault\": \"truncate\", \"match\": \"GET */transitiveMembers\", \"nth\": 4},"
          "{\"fault\": \"drop\", \"match\": \"GET */transitiveMembers\", \"nth\": 6}]}");
  g_assert_true (ps_graph_client_read_transitive_members_sync (client, STAFF, NULL, collect_cb,
                                                               &c, &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (c.objects), ==, STAFF_USERS);
  ps_graph_client_get_stats (client, &stats);
  g_assert_cmpuint (stats.malformed, ==, 2);
  /* The dropped connection was asked again (by libsoup itself when the
   * connection was a kept-alive one, else by the client). */
  {
    g_autoptr(JsonNode) emulator_stats = admin ("GET", "stats", NULL);
    JsonObject *fired = json_object_get_object_member (json_node_get_object (emulator_stats),
                                                       "faults");

    g_assert_cmpint (json_object_get_int_member_with_default (fired, "drop", 0), ==, 1);
    g_assert_cmpint (json_object_get_int_member_with_default (fired, "malformed", 0), ==, 1);
    g_assert_cmpint (json_object_get_int_member_with_default (fired, "truncate", 0), ==, 1);
  }

  /* A page that stays malformed: what came before is delivered, then PARTIAL. */
  g_clear_pointer (&report, ps_graph_member_report_free);
  g_hash_table_remove_all (c.objects);
  c.pages = 0;
  faults ("{\"clear_rules\": true, \"add_rule\": {\"fault\": \"malformed\", "
          "\"match\": \"GET */transitiveMembers\", \"nth\": 3, \"count\": 1000}}");
  g_assert_false (ps_graph_client_read_transitive_members_sync (client, STAFF, NULL, collect_cb,
                                                                &c, &report, NULL, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_PARTIAL);
  assert_contains (error, "nobody is treated as having left");
  g_assert_cmpuint (report->unreadable_pages, ==, 1);
  g_assert_cmpuint (report->unclassifiable, >=, 1);
  g_assert_cmpuint (report->pages, ==, 2);   /* the third stayed unreadable */
  g_assert_cmpuint (g_hash_table_size (c.objects), >, 0);
}

/* ---------------------------------------------------------------- throttling and renewal */

static void
test_throttling (void)
{
  g_autoptr(PsGraphClient) client = client_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) user = NULL;
  PsGraphStats stats;
  gint64 started;

  setup ();
  /* Retry-After: 1 twice → about 2 s, not the backoff's few ms. */
  faults ("{\"add_rule\": {\"fault\": \"throttle\", \"match\": \"GET /v1.0/users/*\", "
          "\"retry_after\": 1, \"count\": 2}}");
  started = g_get_monotonic_time ();
  user = ps_graph_client_get_user_sync (client, ADELE, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (user);
  g_assert_cmpint (g_get_monotonic_time () - started, >=, 2 * G_USEC_PER_SEC - 50000);
  ps_graph_client_get_stats (client, &stats);
  g_assert_cmpuint (stats.throttled, ==, 2);

  /* An HTTP-date, and a decimal number of seconds. */
  g_clear_pointer (&user, json_object_unref);
  faults ("{\"clear_rules\": true, \"add_rules\": ["
          "{\"fault\": \"throttle\", \"match\": \"GET /v1.0/users/*\", \"retry_after\": 1, "
          "\"retry_after_format\": \"date\", \"count\": 1},"
          "{\"fault\": \"error\", \"status\": 503, \"match\": \"GET /v1.0/users/*\", "
          "\"retry_after\": 0.5, \"count\": 1}]}");
  started = g_get_monotonic_time ();
  user = ps_graph_client_get_user_sync (client, ADELE, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_get_monotonic_time () - started, >=, 1 * G_USEC_PER_SEC);

  /* Without Retry-After: backoff; 504 too. */
  g_clear_pointer (&user, json_object_unref);
  faults ("{\"clear_rules\": true, \"add_rules\": ["
          "{\"fault\": \"throttle\", \"match\": \"GET /v1.0/users/*\", \"retry_after\": null, "
          "\"count\": 1},"
          "{\"fault\": \"error\", \"status\": 504, \"match\": \"GET /v1.0/users/*\", \"count\": 1}]}");
  user = ps_graph_client_get_user_sync (client, ADELE, NULL, NULL, &error);
  g_assert_no_error (error);

  /* Throttled for good: bounded attempts, then THROTTLED. */
  g_clear_pointer (&user, json_object_unref);
  ps_graph_client_set_retry (client, 3, 10, 50);
  faults ("{\"clear_rules\": true, \"add_rule\": {\"fault\": \"throttle\", "
          "\"match\": \"GET /v1.0/users/*\", \"retry_after\": null}}");
  user = ps_graph_client_get_user_sync (client, ADELE, NULL, NULL, &error);
  g_assert_null (user);
  g_test_message ("%s", error->message);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_THROTTLED);
  assert_contains (error, "after 3 attempts");
}

static void
test_renewal (void)
{
  g_autoptr(PsGraphClient) client = client_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) user = NULL;
  g_auto(Collected) c;
  PsGraphStats stats;
  gint64 mark;

  setup ();
  collected_init (&c);
  /* One 401: one new token, one more try. */
  faults ("{\"add_rule\": {\"fault\": \"token_expired\", \"count\": 1}}");
  user = ps_graph_client_get_user_sync (client, ADELE, NULL, NULL, &error);
  g_assert_no_error (error);
  ps_graph_client_get_stats (client, &stats);
  g_assert_cmpuint (stats.renewals, ==, 1);
  g_assert_cmpuint (stats.token_requests, ==, 2);
  g_assert_cmpuint (stats.requests, ==, 2);

  /* Tokens expire in the middle of paging: renewed, and paging goes on. */
  faults ("{\"clear_rules\": true, \"page_size\": 3}");
  c.expire_after_first = TRUE;
  g_assert_true (ps_graph_client_read_transitive_members_sync (client, STAFF, NULL, collect_cb,
                                                               &c, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (c.objects), ==, STAFF_USERS);
  ps_graph_client_get_stats (client, &stats);
  g_assert_cmpuint (stats.renewals, ==, 2);

  /* 401 every time: renewed once only, then AUTH. */
  g_clear_pointer (&user, json_object_unref);
  faults ("{\"clear_rules\": true, \"add_rule\": {\"fault\": \"token_expired\"}}");
  mark = log_mark ();
  user = ps_graph_client_get_user_sync (client, ADELE, NULL, NULL, &error);
  g_assert_null (user);
  g_test_message ("%s", error->message);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_AUTH);
  g_assert_cmpuint (graph_calls_since (mark, "/v1.0/"), ==, 2);
}

/* A token that lives 4 s is renewed before it runs out (a quarter early). */
static void
test_token_lifetime (void)
{
  g_autoptr(PsGraphClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  PsGraphStats stats;

  setup ();
  faults ("{\"token_lifetime\": 4}");
  client = client_new ();
  first = ps_graph_client_get_user_sync (client, ADELE, NULL, NULL, &error);
  g_assert_no_error (error);
  g_usleep (3200 * 1000);
  second = ps_graph_client_get_user_sync (client, ADELE, NULL, NULL, &error);
  g_assert_no_error (error);
  ps_graph_client_get_stats (client, &stats);
  g_assert_cmpuint (stats.token_requests, ==, 2);
  g_assert_cmpuint (stats.renewals, ==, 0);   /* no 401 was needed */
}

/* An empty page that still has a nextLink, and a slow answer. */
static void
test_empty_and_slow (void)
{
  g_autoptr(PsGraphClient) client = client_new ();
  g_autoptr(PsGraphClient) impatient = NULL;
  g_autoptr(PsGraphMemberReport) report = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) user = NULL;
  g_auto(Collected) c;
  PsEntraConfig config = { 0 };
  PsGraphStats stats;

  setup ();
  collected_init (&c);
  faults ("{\"page_size\": 3, \"add_rule\": {\"fault\": \"empty_page\", "
          "\"match\": \"GET */transitiveMembers\", \"nth\": 2}}");
  g_assert_true (ps_graph_client_read_transitive_members_sync (client, STAFF, NULL, collect_cb,
                                                               &c, &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (c.objects), ==, STAFF_USERS);
  g_assert_cmpuint (report->pages, ==, 7);

  /* A request timeout of 1 s: one slow answer is asked again… */
  config.tenant = (char *) TENANT;
  config.client_id = (char *) APP;
  config.login_base = emu.url;
  config.graph_base = emu.url;
  config.timeout = 1;
  impatient = ps_graph_client_new (&config, SECRET, &error);
  g_assert_no_error (error);
  ps_graph_client_set_retry (impatient, 2, 10, 20);
  g_assert_true (ps_graph_client_get_token_sync (impatient, NULL, &error));
  faults ("{\"clear_rules\": true, \"add_rule\": {\"fault\": \"slow\", \"ms\": 2500, "
          "\"match\": \"GET /v1.0/users/*\", \"count\": 1}}");
  user = ps_graph_client_get_user_sync (impatient, ADELE, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (user);
  ps_graph_client_get_stats (impatient, &stats);
  g_assert_cmpuint (stats.requests, ==, 2);

  /* …and one that stays slow is named as unanswered. */
  g_clear_pointer (&user, json_object_unref);
  faults ("{\"clear_rules\": true, \"add_rule\": {\"fault\": \"slow\", \"ms\": 2500, "
          "\"match\": \"GET /v1.0/users/*\"}}");
  user = ps_graph_client_get_user_sync (impatient, ADELE, NULL, NULL, &error);
  g_assert_null (user);
  g_test_message ("%s", error->message);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNREACHABLE);
  assert_contains (error, "in time");
}

/* ---------------------------------------------------------------- threads */

typedef struct {
  PsGraphClient *client;
  const char    *user;
  gboolean       ok;
} Worker;

static gpointer
worker_thread (gpointer data)
{
  Worker *worker = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) user = NULL;
  g_autoptr(PsGraphMemberReport) report = NULL;
  guint delivered = 0;

  user = ps_graph_client_get_user_sync (worker->client, worker->user, NULL, NULL, &error);
  worker->ok = user != NULL
               && ps_graph_client_read_direct_members_sync (worker->client, ENGINEERING, NULL,
                                                            count_members_cb, &delivered, &report,
                                                            NULL, &error)
               && delivered == 5;
  if (error != NULL)
    g_test_message ("worker: %s", error->message);
  return NULL;
}

static void
run_workers (PsGraphClient *client)
{
  const char *const users[] = { ADELE, ALEX, MEGAN, LEE, LYNNE, ADELE, ALEX, MEGAN };
  Worker workers[G_N_ELEMENTS (users)];
  GThread *threads[G_N_ELEMENTS (users)];

  for (guint i = 0; i < G_N_ELEMENTS (users); i++)
    {
      workers[i] = (Worker) { client, users[i], FALSE };
      threads[i] = g_thread_new ("worker", worker_thread, &workers[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (users); i++)
    {
      g_thread_join (threads[i]);
      g_assert_true (workers[i].ok);
    }
}

/* One client, many threads: one token for all, one renewal for all. */
static void
test_threads (void)
{
  g_autoptr(PsGraphClient) client = NULL;
  g_autoptr(GError) error = NULL;
  PsEntraConfig config = { 0 };
  PsGraphStats stats;

  setup ();
  config.tenant = (char *) TENANT;
  config.client_id = (char *) APP;
  config.login_base = emu.url;
  config.graph_base = emu.url;
  config.concurrency = 2;
  client = ps_graph_client_new (&config, SECRET, &error);
  g_assert_no_error (error);
  faults ("{\"latency_ms\": 20}");

  run_workers (client);
  ps_graph_client_get_stats (client, &stats);
  g_assert_cmpuint (stats.token_requests, ==, 1);
  g_assert_cmpuint (stats.requests, ==, 16);

  /* Every token revoked at once: each thread meets a 401, one new token. */
  admin_do ("POST", "expire-tokens", "{}");
  run_workers (client);
  ps_graph_client_get_stats (client, &stats);
  g_assert_cmpuint (stats.token_requests, ==, 2);
}

/* ---------------------------------------------------------------- delta */

static const char *const delta_select[] = { "mail", "department", "displayName", NULL };

static void
test_users_delta (void)
{
  g_autoptr(PsGraphClient) client = client_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *link = NULL;
  g_autofree char *next = NULL;
  g_autofree char *last = NULL;
  g_autofree char *department = NULL;
  g_auto(Collected) initial;
  g_auto(Collected) changes;
  g_auto(Collected) none;
  g_autoptr(JsonNode) created = NULL;
  const char *new_id;
  JsonObject *object;
  gboolean enabled = TRUE;
  PsGraphStats before;
  PsGraphStats after;
  gint64 mark;

  setup ();
  collected_init (&initial);
  collected_init (&changes);
  collected_init (&none);
  faults ("{\"delta_page_size\": 4}");

  /* The first round: everyone, over several pages, ending in a deltaLink. */
  g_assert_true (ps_graph_client_users_delta_sync (client, NULL, delta_select, collect_cb, &initial,
                                                   &link, NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (link);
  g_assert_true (g_str_has_prefix (link, emu.url));
  g_assert_cmpuint (g_hash_table_size (initial.objects), ==, 12);   /* Patti is soft-deleted */
  g_assert_cmpuint (initial.pages, >=, 3);

  /* Changed, disabled, soft-deleted, purged, created. */
  admin_do ("PATCH", "users/" ADELE, "{\"department\": \"Research\"}");
  admin_do ("POST", "users/" ALEX "/disable", NULL);
  admin_do ("DELETE", "users/" MEGAN, NULL);
  admin_do ("DELETE", "users/" LEE "?purge=true", NULL);
  created = admin ("POST", "users", "{\"userPrincipalName\": \"new.hire@contoso.com\", "
                   "\"displayName\": \"New Hire\", \"accountEnabled\": true}");
  new_id = json_object_get_string_member (json_node_get_object (created), "id");

  g_assert_true (ps_graph_client_users_delta_sync (client, link, NULL, collect_cb, &changes, &next,
                                                   NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (next);
  g_assert_cmpstr (next, !=, link);

  object = collected (&changes, ADELE);
  g_assert_nonnull (object);
  department = ps_graph_user_get_string (object, "department");
  g_assert_cmpstr (department, ==, "Research");
  g_assert_null (ps_graph_object_removed_reason (object));

  object = collected (&changes, ALEX);
  g_assert_nonnull (object);
  g_assert_true (ps_graph_user_get_enabled (object, &enabled));
  g_assert_false (enabled);

  object = collected (&changes, MEGAN);
  g_assert_nonnull (object);
  g_assert_cmpstr (ps_graph_object_removed_reason (object), ==, "changed");

  object = collected (&changes, LEE);
  g_assert_nonnull (object);
  g_assert_cmpstr (ps_graph_object_removed_reason (object), ==, "deleted");

  g_assert_nonnull (collected (&changes, new_id));
  /* Nobody who did not change. */
  g_assert_null (collected (&changes, LYNNE));

  /* Nothing changed: one request, nothing delivered, a link to go on with. */
  ps_graph_client_get_stats (client, &before);
  mark = log_mark ();
  g_assert_true (ps_graph_client_users_delta_sync (client, next, NULL, collect_cb, &none, &last,
                                                   NULL, &error));
  g_assert_no_error (error);
  ps_graph_client_get_stats (client, &after);
  g_assert_cmpuint (after.requests - before.requests, ==, 1);
  g_assert_cmpuint (graph_calls_since (mark, "/v1.0/"), ==, 1);
  g_assert_cmpuint (g_hash_table_size (none.objects), ==, 0);
  g_assert_nonnull (last);

  /* A restore looks like a creation. */
  g_clear_pointer (&link, g_free);
  admin_do ("POST", "users/" MEGAN "/restore", NULL);
  collected_clear (&none);
  collected_init (&none);
  g_assert_true (ps_graph_client_users_delta_sync (client, last, NULL, collect_cb, &none, &link,
                                                   NULL, &error));
  g_assert_no_error (error);
  object = collected (&none, MEGAN);
  g_assert_nonnull (object);
  g_assert_null (ps_graph_object_removed_reason (object));
}

static void
test_users_delta_latest (void)
{
  g_autoptr(PsGraphClient) client = client_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *link = NULL;
  g_autofree char *next = NULL;
  g_auto(Collected) changes;
  PsGraphStats stats;

  setup ();
  collected_init (&changes);
  link = ps_graph_client_users_delta_latest_sync (client, delta_select, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (link);
  ps_graph_client_get_stats (client, &stats);
  g_assert_cmpuint (stats.requests, ==, 1);

  admin_do ("PATCH", "users/" LYNNE, "{\"department\": \"Audit\"}");
  g_assert_true (ps_graph_client_users_delta_sync (client, link, NULL, collect_cb, &changes, &next,
                                                   NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (changes.objects), ==, 1);
  g_assert_nonnull (collected (&changes, LYNNE));
}

static void
test_groups_delta (void)
{
  g_autoptr(PsGraphClient) client = client_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rounds = NULL;
  g_autoptr(GPtrArray) next = NULL;
  g_autoptr(GPtrArray) last = NULL;
  g_autoptr(GHashTable) initial = groups_table_new ();
  g_autoptr(GHashTable) changes = groups_table_new ();
  g_autoptr(GHashTable) none = groups_table_new ();
  const char *const tree[] = { STAFF, ENGINEERING, PLATFORM, ONCALL, SALES, NULL };
  PsGraphStats before;
  PsGraphStats after;
  gint64 mark;

  setup ();
  faults ("{\"delta_page_size\": 2}");
  g_assert_true (ps_graph_client_groups_delta_sync (client, tree, NULL, collect_groups_cb, initial,
                                                    &rounds, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rounds->len, ==, 1);
  g_assert_nonnull (((PsGraphDeltaRound *) rounds->pdata[0])->delta_link);
  /* The first round lists the groups' current direct members. */
  g_assert_cmpstr (member_change (initial, SALES, ALEX), ==, "added");
  g_assert_cmpstr (member_change (initial, ENGINEERING, PLATFORM), ==, "added");
  g_assert_cmpstr (member_change (initial, ENGINEERING, LEE), ==, "added");

  /* A member added to Sales, one removed from Engineering. */
  admin_do ("POST", "groups/" SALES "/members", "{\"id\": \"" LYNNE "\"}");
  admin_do ("DELETE", "groups/" ENGINEERING "/members/" LEE, NULL);
  g_assert_true (ps_graph_client_groups_delta_sync (client, tree, rounds, collect_groups_cb,
                                                    changes, &next, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (member_change (changes, SALES, LYNNE), ==, "added");
  g_assert_cmpstr (member_change (changes, ENGINEERING, LEE), ==, "removed");
  g_assert_null (member_change (changes, SALES, ALEX));

  /* Nothing changed: one request per round. */
  ps_graph_client_get_stats (client, &before);
  mark = log_mark ();
  g_assert_true (ps_graph_client_groups_delta_sync (client, tree, next, collect_groups_cb, none,
                                                    &last, NULL, &error));
  g_assert_no_error (error);
  ps_graph_client_get_stats (client, &after);
  g_assert_cmpuint (after.requests - before.requests, ==, last->len);
  g_assert_cmpuint (graph_calls_since (mark, "/v1.0/groups/delta"), ==, 1);
  g_assert_cmpuint (g_hash_table_size (none), ==, 0);
}

/* More than 50 groups in the tree: several filters, each with its link. */
static void
test_groups_delta_rounds (void)
{
  g_autoptr(PsGraphClient) client = client_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) rounds = NULL;
  g_autoptr(GPtrArray) next = NULL;
  g_autoptr(GHashTable) initial = groups_table_new ();
  g_autoptr(GHashTable) none = groups_table_new ();
  gint64 mark;

  setup ();
  for (guint i = 0; i < 60; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"displayName\": \"Team %02u\", "
                                               "\"securityEnabled\": true, \"members\": [\"%s\"]}",
                                               i, ADELE);
      g_autoptr(JsonNode) group = admin ("POST", "groups", body);

      g_ptr_array_add (ids, g_strdup (json_object_get_string_member (json_node_get_object (group),
                                                                     "id")));
    }
  g_ptr_array_add (ids, NULL);

  g_assert_true (ps_graph_client_groups_delta_sync (client, (const char *const *) ids->pdata,
                                                    NULL, collect_groups_cb, initial, &rounds,
                                                    NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rounds->len, ==, 2);
  g_assert_cmpuint (g_hash_table_size (initial), ==, 60);

  mark = log_mark ();
  g_assert_true (ps_graph_client_groups_delta_sync (client, (const char *const *) ids->pdata,
                                                    rounds, collect_groups_cb, none, &next,
                                                    NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (next->len, ==, 2);
  g_assert_cmpuint (graph_calls_since (mark, "/v1.0/groups/delta"), ==, 2);
  g_assert_cmpuint (g_hash_table_size (none), ==, 0);
}

static void
check_resync (PsGraphClient *client,
              const char    *link)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *next = NULL;
  g_auto(Collected) c;

  collected_init (&c);
  g_assert_false (ps_graph_client_users_delta_sync (client, link, NULL, collect_cb, &c, &next,
                                                    NULL, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_RESYNC_REQUIRED);
  g_assert_null (next);
}

static void
test_delta_expired (void)
{
  g_autoptr(PsGraphClient) client = client_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *link = NULL;
  g_autoptr(GPtrArray) rounds = NULL;
  g_autoptr(GPtrArray) next = NULL;
  g_autoptr(GHashTable) groups = groups_table_new ();
  const char *const tree[] = { STAFF, NULL };

  setup ();
  link = ps_graph_client_users_delta_latest_sync (client, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ps_graph_client_groups_delta_sync (client, tree, NULL, collect_groups_cb, groups,
                                                    &rounds, NULL, &error));
  g_assert_no_error (error);

  /* 7 days later the link is gone (400 syncStateNotFound by default). */
  admin_do ("POST", "clock", "{\"advance_days\": 8}");
  check_resync (client, link);
  g_assert_false (ps_graph_client_groups_delta_sync (client, tree, rounds, collect_groups_cb,
                                                     groups, &next, NULL, &error));
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_RESYNC_REQUIRED);
  g_assert_null (next);
  g_clear_error (&error);

  /* The other shapes of §4.4: 410 with Location, 410 resyncRequired. */
  faults ("{\"delta_expiry\": \"410-location\"}");
  check_resync (client, link);
  faults ("{\"delta_expiry\": \"410-resync\"}");
  check_resync (client, link);

  /* A reset of the sync state without any clock. */
  admin_do ("POST", "reset", "{\"clock\": true, \"faults\": true, \"state\": false}");
  g_clear_pointer (&link, g_free);
  link = ps_graph_client_users_delta_latest_sync (client, NULL, NULL, &error);
  g_assert_no_error (error);
  admin_do ("POST", "invalidate-delta", "{}");
  check_resync (client, link);

  /* A link for another Graph host is never followed. */
  check_resync (client, "https://graph.example.net/v1.0/users/delta?$deltatoken=abc");
}

/* ---------------------------------------------------------------- groups, users */

static void
test_find_groups (void)
{
  g_autoptr(PsGraphClient) client = client_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(PsGraphGroup) group = NULL;
  g_autoptr(JsonNode) created = NULL;

  setup ();
  found = ps_graph_client_find_groups_sync (client, "Sta", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 2);
  g_assert_cmpstr (((PsGraphGroup *) found->pdata[0])->display_name, ==, "Staff");
  g_clear_pointer (&found, g_ptr_array_unref);

  found = ps_graph_client_find_groups_sync (client, "", 3, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 3);
  g_clear_pointer (&found, g_ptr_array_unref);

  found = ps_graph_client_find_groups_by_name_sync (client, "Staff", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 2);
  g_clear_pointer (&found, g_ptr_array_unref);

  found = ps_graph_client_find_groups_sync (client, STAFF, 10, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (((PsGraphGroup *) found->pdata[0])->id, ==, STAFF);
  g_clear_pointer (&found, g_ptr_array_unref);

  /* Quotes are doubled, the rest percent-encoded. */
  created = admin ("POST", "groups", "{\"displayName\": \"O'Brien & Sons (R&D)\", "
                   "\"securityEnabled\": true}");
  found = ps_graph_client_find_groups_sync (client, "O'Brien & S", 10, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (((PsGraphGroup *) found->pdata[0])->display_name, ==, "O'Brien & Sons (R&D)");
  g_clear_pointer (&found, g_ptr_array_unref);

  group = ps_graph_client_get_group_sync (client, SALES, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (group->display_name, ==, "Sales");
  g_clear_pointer (&group, ps_graph_group_free);

  group = ps_graph_client_get_group_sync (client, "b0000099-0000-4000-8000-000000000099", NULL,
                                          &error);
  g_assert_null (group);
  g_test_message ("%s", error->message);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_NOT_FOUND);
}

static void
test_users (void)
{
  g_autoptr(PsGraphClient) client = client_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) user = NULL;
  g_auto(Collected) deleted;
  const char *const select[] = { "mail", "onPremisesSecurityIdentifier", "mobilePhone", NULL };
  g_autofree char *sid = NULL;
  JsonObject *megan;

  setup ();
  collected_init (&deleted);
  user = ps_graph_client_get_user_sync (client, ADELE, select, NULL, &error);
  g_assert_no_error (error);
  sid = ps_graph_user_get_string (user, "onPremisesSecurityIdentifier");
  g_assert_cmpstr (sid, ==, "S-1-5-21-3623811015-3361044348-30300820-1101");
  g_clear_pointer (&user, json_object_unref);

  user = ps_graph_client_get_user_sync (client, "a0000099-0000-4000-8000-000000000099", NULL, NULL,
                                        &error);
  g_assert_null (user);
  g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* An attribute name that is no property: refused before anything is sent. */
  {
    const char *const bad[] = { "mail,passwordProfile", NULL };

    user = ps_graph_client_get_user_sync (client, ADELE, bad, NULL, &error);
    g_assert_null (user);
    g_assert_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG);
    g_clear_error (&error);
  }

  admin_do ("DELETE", "users/" MEGAN, NULL);
  g_assert_true (ps_graph_client_list_deleted_users_sync (client, collect_cb, &deleted, NULL,
                                                          &error));
  g_assert_no_error (error);
  megan = collected (&deleted, MEGAN);
  g_assert_nonnull (megan);
  g_assert_nonnull (json_object_get_string_member_with_default (megan, "deletedDateTime", NULL));
}

/* ---------------------------------------------------------------- the connection test */

static PsConnectionStep *
step (GPtrArray  *steps,
      const char *id)
{
  for (guint i = 0; i < steps->len; i++)
    {
      PsConnectionStep *s = g_ptr_array_index (steps, i);

      if (g_str_equal (s->id, id))
        {
          g_test_message ("%s: %s — %s", s->id, ps_step_status_to_string (s->status),
                          s->message != NULL ? s->message : "");
          return s;
        }
    }
  g_error ("no step %s", id);
  return NULL;
}

static void
assert_step (GPtrArray    *steps,
             const char   *id,
             PsStepStatus  status,
             const char   *needle)
{
  PsConnectionStep *s = step (steps, id);

  g_assert_cmpstr (ps_step_status_to_string (s->status), ==, ps_step_status_to_string (status));
  if (needle != NULL && (s->message == NULL || strstr (s->message, needle) == NULL))
    g_error ("step %s: “%s” not in “%s”", id, needle, s->message);
}

static void
test_connection_test (void)
{
  setup ();
  {
    g_autoptr(PsGraphClient) client = client_new ();
    g_autoptr(GPtrArray) steps = ps_graph_client_test_sync (client, STAFF, NULL);

    g_assert_cmpuint (steps->len, ==, 5);
    assert_step (steps, "token", PS_STEP_OK, NULL);
    assert_step (steps, "users", PS_STEP_OK, NULL);
    assert_step (steps, "groups", PS_STEP_OK, NULL);
    assert_step (steps, "group", PS_STEP_OK, "Staff");
    assert_step (steps, "delta", PS_STEP_OK, NULL);
    g_assert_true (ps_connection_steps_passed (steps));
  }
  {
    /* Two groups are named Staff: pick by id. */
    g_autoptr(PsGraphClient) client = client_new ();
    g_autoptr(GPtrArray) steps = ps_graph_client_test_sync (client, "Staff", NULL);

    assert_step (steps, "group", PS_STEP_FAILED, "2 groups are named “Staff”");
  }
  {
    g_autoptr(PsGraphClient) client = client_new ();
    g_autoptr(GPtrArray) steps = ps_graph_client_test_sync (client, "Sales", NULL);

    g_autoptr(GPtrArray) without = ps_graph_client_test_sync (client, NULL, NULL);

    assert_step (steps, "group", PS_STEP_OK, SALES);
    g_assert_cmpuint (without->len, ==, 4);
  }
  {
    g_autoptr(PsGraphClient) client = client_as (APP, "wrong");
    g_autoptr(GPtrArray) steps = ps_graph_client_test_sync (client, STAFF, NULL);

    assert_step (steps, "token", PS_STEP_FAILED, "client secret");
    assert_step (steps, "users", PS_STEP_SKIPPED, NULL);
    assert_step (steps, "delta", PS_STEP_SKIPPED, NULL);
  }
  {
    g_autoptr(PsGraphClient) client = client_as (APP_NO_CONSENT, SECRET_NO_CONSENT);
    g_autoptr(GPtrArray) steps = ps_graph_client_test_sync (client, STAFF, NULL);

    assert_step (steps, "token", PS_STEP_OK, NULL);
    assert_step (steps, "users", PS_STEP_FAILED, "User.Read.All");
    assert_step (steps, "groups", PS_STEP_FAILED, "GroupMember.Read.All");
    assert_step (steps, "group", PS_STEP_FAILED, "GroupMember.Read.All");
  }
  {
    g_autoptr(PsGraphClient) client = client_as (APP_MEMBERS_ONLY, SECRET_MEMBERS);
    g_autoptr(GPtrArray) steps = ps_graph_client_test_sync (client, STAFF, NULL);

    assert_step (steps, "users", PS_STEP_FAILED, "User.Read.All");
    assert_step (steps, "groups", PS_STEP_OK, NULL);
    assert_step (steps, "group", PS_STEP_FAILED, "User.Read.All");
  }
}

/* ---------------------------------------------------------------- no secret in the log */

static GString *captured;

static GLogWriterOutput
capture_writer (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  if (captured != NULL)
    for (gsize i = 0; i < n_fields; i++)
      if (g_str_equal (fields[i].key, "MESSAGE"))
        {
          g_string_append_len (captured, fields[i].value,
                               fields[i].length < 0 ? (gssize) strlen (fields[i].value)
                                                    : fields[i].length);
          g_string_append_c (captured, '\n');
        }
  /* Debug messages are made for the capture only; TAP keeps stdout. */
  if (level & G_LOG_LEVEL_DEBUG)
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (level, fields, n_fields, user_data);
}

static void
test_no_secret_logged (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(Collected) c;

  setup ();
  collected_init (&c);
  captured = g_string_new (NULL);
  {
    g_autoptr(PsGraphClient) client = client_new ();
    g_autoptr(PsGraphClient) wrong = client_as (APP, "not-the-secret~x");
    g_autoptr(GPtrArray) steps = NULL;

    faults ("{\"add_rule\": {\"fault\": \"token_expired\", \"count\": 1}}");
    g_assert_true (ps_graph_client_read_transitive_members_sync (client, STAFF, NULL, collect_cb,
                                                                 &c, NULL, NULL, &error));
    g_assert_no_error (error);
    steps = ps_graph_client_test_sync (wrong, STAFF, NULL);
    for (guint i = 0; i < steps->len; i++)
      {
        PsConnectionStep *s = g_ptr_array_index (steps, i);

        if (s->message != NULL)
          g_string_append_printf (captured, "%s\n", s->message);
      }
  }
  g_assert_cmpuint (captured->len, >, 0);
  g_assert_nonnull (strstr (captured->str, "transitiveMembers"));   /* debug was captured */
  g_assert_null (strstr (captured->str, SECRET));
  g_assert_null (strstr (captured->str, "not-the-secret"));
  g_assert_null (strstr (captured->str, "Bearer"));
  g_assert_null (strstr (captured->str, "eyJ"));   /* no JWT: neither token nor assertion */
  g_string_free (g_steal_pointer (&captured), TRUE);
}

int
main (int    argc,
      char **argv)
{
  int rc;

  ps_test_init (&argc, &argv);
  g_log_set_writer_func (capture_writer, NULL, NULL);
  /* Debug messages are made, so that the redaction test sees them. */
  g_log_set_debug_enabled (TRUE);
  emulator_start ();

  g_test_add_func ("/entra/graph/token", test_token);
  g_test_add_func ("/entra/graph/token-errors", test_token_errors);
  g_test_add_func ("/entra/graph/token-lifetime", test_token_lifetime);
  g_test_add_func ("/entra/graph/certificate", test_certificate);
  g_test_add_func ("/entra/graph/members/transitive", test_transitive_members);
  g_test_add_func ("/entra/graph/members/direct", test_direct_members);
  g_test_add_func ("/entra/graph/members/unreadable-pages", test_unreadable_pages);
  g_test_add_func ("/entra/graph/permissions", test_permissions);
  g_test_add_func ("/entra/graph/throttling", test_throttling);
  g_test_add_func ("/entra/graph/renewal", test_renewal);
  g_test_add_func ("/entra/graph/empty-and-slow", test_empty_and_slow);
  g_test_add_func ("/entra/graph/threads", test_threads);
  g_test_add_func ("/entra/graph/delta/users", test_users_delta);
  g_test_add_func ("/entra/graph/delta/users-latest", test_users_delta_latest);
  g_test_add_func ("/entra/graph/delta/groups", test_groups_delta);
  g_test_add_func ("/entra/graph/delta/groups-rounds", test_groups_delta_rounds);
  g_test_add_func ("/entra/graph/delta/expired", test_delta_expired);
  g_test_add_func ("/entra/graph/groups", test_find_groups);
  g_test_add_func ("/entra/graph/users", test_users);
  g_test_add_func ("/entra/graph/connection-test", test_connection_test);
  g_test_add_func ("/entra/graph/no-secret-logged", test_no_secret_logged);
  rc = g_test_run ();

  emulator_stop ();
  return rc;
}
