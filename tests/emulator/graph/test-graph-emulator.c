/* test-graph-emulator.c — the Graph emulator, driven over HTTP as a client would
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Starts ps-graph-emulator ($PS_GRAPH_EMULATOR) on a free port and checks
 * the token endpoint (secrets, HTTP Basic, certificates and every AADSTS
 * case), users, groups, members with paging and $select, delta rounds,
 * deleted items, $batch, every fault and the admin API.
 */

#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "emu-test-util.h"
#ifdef GRAPH_HAVE_GNUTLS
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>
#endif

#define TENANT     "f0000000-0000-4000-8000-0000000000c1"
#define FABRIKAM     "f0000000-0000-4000-8000-0000000000f2"
#define APP          "11111111-1111-4111-8111-111111111111"
#define SECRET       "ps-graph-secret~1"
#define EXPIRED      "ps-graph-expired~1"
#define MEMBERS_APP  "22222222-2222-4222-8222-222222222222"
#define NONE_APP     "33333333-3333-4333-8333-333333333333"
#define DIR_APP      "44444444-4444-4444-8444-444444444444"
#define CERT_APP     "55555555-5555-4555-8555-555555555555"
#define FAB_APP      "66666666-6666-4666-8666-666666666666"
#define SCOPE        "https://graph.microsoft.com/.default"

#define STAFF        "b0000001-0000-4000-8000-000000000001"
#define ENGINEERING  "b0000002-0000-4000-8000-000000000002"
#define PLATFORM     "b0000003-0000-4000-8000-000000000003"
#define SALES        "b0000005-0000-4000-8000-000000000005"
#define ALL_COMPANY  "b0000008-0000-4000-8000-000000000008"
#define ADELE        "a0000001-0000-4000-8000-000000000001"
#define ALEX         "a0000002-0000-4000-8000-000000000002"
#define MEGAN        "a0000003-0000-4000-8000-000000000003"
#define LEE          "a0000004-0000-4000-8000-000000000004"
#define DIEGO        "a0000005-0000-4000-8000-000000000005"
#define LYNNE        "a0000009-0000-4000-8000-000000000009"
#define NESTOR       "a000000a-0000-4000-8000-00000000000a"
#define PATTI        "a000000b-0000-4000-8000-00000000000b"
#define GRADY        "a000000c-0000-4000-8000-00000000000c"

static EmuProcess *shared;

/* ---------------------------------------------------------------- emulator */

static EmuProcess *
emulator_start_full (const char *const *extra, const char *ca_file)
{
  return emu_process_start ("PS_GRAPH_EMULATOR", extra, ca_file, 30);
}

static EmuProcess *
emulator_start (const char *const *extra)
{
  return emulator_start_full (extra, NULL);
}

/* @bearer: an access token, or NULL. */
static EmuReply *
call_full (EmuProcess         *emu,
           const char         *method,
           const char         *path,
           const char         *body,
           const char         *content_type,
           const char         *bearer,
           const char *const  *headers)
{
  g_autofree char *authorization = bearer != NULL ? g_strconcat ("Bearer ", bearer, NULL) : NULL;

  return emu_call (emu, method, path, authorization, headers, body, content_type);
}

static EmuReply *
expect_full (EmuProcess         *emu,
             guint               status,
             const char         *method,
             const char         *path,
             const char         *body,
             const char         *content_type,
             const char         *bearer,
             const char *const  *headers)
{
  g_autofree char *authorization = bearer != NULL ? g_strconcat ("Bearer ", bearer, NULL) : NULL;

  return emu_expect (emu, status, method, path, authorization, headers, body, content_type);
}

/* A Graph GET that must answer @status with JSON. */
static EmuReply *
get (EmuProcess *emu, guint status, const char *path, const char *bearer)
{
  EmuReply *reply = expect_full (emu, status, "GET", path, NULL, NULL, bearer, NULL);

  g_assert_nonnull (reply->json);
  return reply;
}

static EmuReply *
get_with (EmuProcess *emu, guint status, const char *path, const char *bearer, const char *const *headers)
{
  EmuReply *reply = expect_full (emu, status, "GET", path, NULL, NULL, bearer, headers);

  g_assert_nonnull (reply->json);
  return reply;
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

static char *
form (const char *first, ...)
{
  va_list args;
  GString *text = g_string_new (NULL);
  const char *name = first;

  va_start (args, first);
  while (name != NULL)
    {
      const char *value = va_arg (args, const char *);
      g_autofree char *escaped = g_uri_escape_string (value, NULL, FALSE);

      g_string_append_printf (text, "%s%s=%s", text->len > 0 ? "&" : "", name, escaped);
      name = va_arg (args, const char *);
    }
  va_end (args);
  return g_string_free (text, FALSE);
}

static EmuReply *
token_call (EmuProcess *emu, const char *tenant, const char *body, const char *const *headers)
{
  g_autofree char *path = g_strdup_printf ("/%s/oauth2/v2.0/token", tenant);

  return call_full (emu, "POST", path, body, "application/x-www-form-urlencoded", NULL, headers);
}

static char *
token_for (EmuProcess *emu, const char *client_id, const char *secret)
{
  g_autofree char *body = form ("client_id", client_id, "scope", SCOPE, "client_secret", secret,
                                "grant_type", "client_credentials", NULL);
  g_autoptr(EmuReply) reply = token_call (emu, TENANT, body, NULL);

  g_assert_no_error (reply->error);
  g_assert_cmpuint (reply->status, ==, 200);
  return emu_path_str (reply->json, "$.access_token");
}

static char *
token (EmuProcess *emu)
{
  return token_for (emu, APP, SECRET);
}

/* A token error: status, error and the first AADSTS code, with §1.4's fields. */
static void
assert_token_error (EmuReply *reply, guint status, const char *error, gint64 code)
{
  g_autofree char *fields = NULL;
  g_autofree char *description = NULL;
  g_autofree char *prefix = g_strdup_printf ("AADSTS%" G_GINT64_FORMAT ": ", code);

  g_assert_no_error (reply->error);
  if (reply->status != status)
    g_error ("expected %u, got %u: %.*s", status, reply->status, (int) g_bytes_get_size (reply->bytes),
             (const char *) g_bytes_get_data (reply->bytes, NULL));
  emu_assert_str (reply->json, "$.error", error);
  g_assert_cmpint (emu_path_num (reply->json, "$.error_codes[0]"), ==, code);
  fields = emu_path_keys (reply->json, "$");
  g_assert_cmpstr (fields, ==, "correlation_id,error,error_codes,error_description,error_uri,timestamp,trace_id");
  description = emu_path_str (reply->json, "$.error_description");
  g_assert_true (g_str_has_prefix (description, prefix));
  g_assert_nonnull (strstr (description, "\r\nTrace ID: "));
}

static void
assert_graph_error (EmuReply *reply, guint status, const char *code)
{
  g_assert_cmpuint (reply->status, ==, status);
  emu_assert_str (reply->json, "$.error.code", code);
  g_assert_true (emu_path_has (reply->json, "$.error.message"));
  g_assert_true (emu_path_has (reply->json, "$.error.innerError.request-id"));
  g_assert_true (emu_path_has (reply->json, "$.error.innerError.date"));
  g_assert_nonnull (soup_message_headers_get_one (reply->headers, "request-id"));
}

/* Follows nextLinks; returns every entry of every page. */
static JsonArray *
read_all (EmuProcess *emu, const char *path, const char *bearer, guint *pages, char **delta_link)
{
  JsonArray *all = json_array_new ();
  g_autofree char *next = g_strdup (path);

  *pages = 0;
  while (next != NULL)
    {
      g_autoptr(EmuReply) page = get (emu, 200, next, bearer);
      JsonArray *value = json_node_get_array (emu_path_node (page->json, "$.value"));

      (*pages)++;
      for (guint i = 0; i < json_array_get_length (value); i++)
        json_array_add_element (all, json_node_copy (json_array_get_element (value, i)));
      json_array_unref (value);
      g_clear_pointer (&next, g_free);
      g_assert_false (emu_path_has (page->json, "$['@odata.nextLink']") && emu_path_has (page->json, "$['@odata.deltaLink']"));
      if (emu_path_has (page->json, "$['@odata.nextLink']"))
        next = emu_path_str (page->json, "$['@odata.nextLink']");
      else if (delta_link != NULL)
        *delta_link = emu_path_has (page->json, "$['@odata.deltaLink']") ? emu_path_str (page->json, "$['@odata.deltaLink']") : NULL;
    }
  return all;
}

static JsonObject *
find_id (JsonArray *array, const char *id)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (object, "id", NULL), id) == 0)
        return object;
    }
  return NULL;
}

static guint
count_type (JsonArray *array, const char *type)
{
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (array); i++)
    if (g_strcmp0 (json_object_get_string_member_with_default (json_array_get_object_element (array, i),
                                                               "@odata.type", NULL), type) == 0)
      n++;
  return n;
}

/* ---------------------------------------------------------------- tokens */

static void
test_token_success (void)
{
  EmuProcess *emu = shared;
  g_autofree char *body = form ("client_id", APP, "scope", SCOPE, "client_secret", SECRET,
                                "grant_type", "client_credentials", NULL);
  g_autofree char *own_scope = g_strdup_printf ("%s/.default", emu->base);
  g_autofree char *own_body = form ("client_id", APP, "scope", own_scope, "client_secret", SECRET,
                                    "grant_type", "client_credentials", NULL);
  g_autofree char *basic_body = form ("scope", SCOPE, "grant_type", "client_credentials", NULL);
  g_autofree char *basic_raw = g_strdup_printf ("%s:%s", APP, "ps-graph-secret%7E1");
  g_autofree char *basic_b64 = g_base64_encode ((const guchar *) basic_raw, strlen (basic_raw));
  g_autofree char *basic_header = g_strdup_printf ("Authorization: Basic %s", basic_b64);
  const char *basic_headers[] = { basic_header, NULL };
  g_autoptr(EmuReply) reply = NULL;
  g_autoptr(EmuReply) by_domain = NULL;
  g_autoptr(EmuReply) own = NULL;
  g_autoptr(EmuReply) basic = NULL;
  g_autoptr(EmuReply) users = NULL;
  g_autofree char *fields = NULL;
  g_autofree char *access = NULL;

  reset (emu);
  reply = token_call (emu, TENANT, body, NULL);
  g_assert_cmpuint (reply->status, ==, 200);
  fields = emu_path_keys (reply->json, "$");
  g_assert_cmpstr (fields, ==, "access_token,expires_in,ext_expires_in,token_type");
  emu_assert_str (reply->json, "$.token_type", "Bearer");
  g_assert_cmpint (emu_path_num (reply->json, "$.expires_in"), ==, 3599);
  access = emu_path_str (reply->json, "$.access_token");
  g_assert_nonnull (strchr (access, '.'));

  /* A verified domain names the tenant as well as its GUID. */
  by_domain = token_call (emu, "contoso.onmicrosoft.com", body, NULL);
  g_assert_cmpuint (by_domain->status, ==, 200);
  /* The emulator's own URL is a valid resource for the scope. */
  own = token_call (emu, "contoso.com", own_body, NULL);
  g_assert_cmpuint (own->status, ==, 200);
  /* RFC 6749 §2.3.1: HTTP Basic with url-encoded id and secret. */
  basic = token_call (emu, TENANT, basic_body, basic_headers);
  g_assert_cmpuint (basic->status, ==, 200);

  users = get (emu, 200, "/v1.0/users?$top=1&$select=id,accountEnabled", access);
  g_assert_cmpuint (emu_path_len (users->json, "$.value"), ==, 1);
}

static void
test_token_errors (void)
{
  EmuProcess *emu = shared;
  g_autofree char *wrong = form ("client_id", APP, "scope", SCOPE, "client_secret", "5ec0e7a1-0000-4000-8000-000000000001",
                                 "grant_type", "client_credentials", NULL);
  g_autofree char *expired = form ("client_id", APP, "scope", SCOPE, "client_secret", EXPIRED,
                                   "grant_type", "client_credentials", NULL);
  g_autofree char *good = form ("client_id", APP, "scope", SCOPE, "client_secret", SECRET,
                                "grant_type", "client_credentials", NULL);
  g_autofree char *unknown_app = form ("client_id", "99999999-9999-4999-8999-999999999999", "scope", SCOPE,
                                       "client_secret", SECRET, "grant_type", "client_credentials", NULL);
  g_autofree char *other_tenant_app = form ("client_id", FAB_APP, "scope", SCOPE, "client_secret",
                                            "fabrikam-secret~1", "grant_type", "client_credentials", NULL);
  g_autofree char *bad_scope = form ("client_id", APP, "scope", "User.Read", "client_secret", SECRET,
                                     "grant_type", "client_credentials", NULL);
  g_autofree char *no_secret = form ("client_id", APP, "scope", SCOPE, "grant_type", "client_credentials", NULL);
  g_autofree char *bad_grant = form ("client_id", APP, "scope", SCOPE, "client_secret", SECRET,
                                     "grant_type", "password", NULL);
  struct {
    const char *tenant;
    const char *body;
    guint status;
    const char *error;
    gint64 code;
  } cases[] = {
    { TENANT, wrong, 401, "invalid_client", 7000215 },
    { TENANT, expired, 401, "invalid_client", 7000222 },
    { "f0000000-0000-4000-8000-00000000dead", good, 400, "invalid_tenant", 90002 },
    { "nowhere.example.com", good, 400, "invalid_tenant", 90002 },
    { "not a tenant!", good, 400, "invalid_request", 900023 },
    { TENANT, unknown_app, 400, "unauthorized_client", 700016 },
    { TENANT, other_tenant_app, 400, "unauthorized_client", 700016 },
    { TENANT, bad_scope, 400, "invalid_scope", 70011 },
    { TENANT, no_secret, 401, "invalid_client", 7000218 },
    { TENANT, bad_grant, 400, "unsupported_grant_type", 70003 },
  };

  reset (emu);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *tenant = g_uri_escape_string (cases[i].tenant, NULL, FALSE);
      g_autoptr(EmuReply) reply = token_call (emu, tenant, cases[i].body, NULL);

      assert_token_error (reply, cases[i].status, cases[i].error, cases[i].code);
    }
  {
    /* The same app in its own tenant is fine; a GET is not. */
    g_autoptr(EmuReply) fab = token_call (emu, "fabrikam.onmicrosoft.com", other_tenant_app, NULL);
    g_autoptr(EmuReply) get_token = call_full (emu, "GET", "/" TENANT "/oauth2/v2.0/token", NULL, NULL, NULL, NULL);
    g_autoptr(JsonNode) calls = emu_admin (emu, "GET", "/_admin/calls", NULL);
    g_autofree char *logged = NULL;

    g_assert_cmpuint (fab->status, ==, 200);
    assert_token_error (get_token, 400, "invalid_request", 900561);
    /* Secrets never reach the call log. */
    logged = emu_path_str (calls, "$.calls[0].request_body");
    g_assert_null (strstr (logged, "5ec0e7a1"));
    g_assert_nonnull (strstr (logged, "client_secret=%2A%2A%2A"));
  }
}

#ifdef GRAPH_HAVE_GNUTLS
typedef struct {
  gnutls_x509_privkey_t key;
  gnutls_privkey_t      signer;
  char                 *pem;
  char                 *x5t_s256;
  char                 *x5t;
} TestCert;

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

static char *
digest_b64url (GChecksumType type, const guint8 *data, gsize length)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (type);
  guint8 digest[64];
  gsize size = sizeof digest;

  g_checksum_update (checksum, data, length);
  g_checksum_get_digest (checksum, digest, &size);
  return b64url (digest, size);
}

static void
test_cert_init (TestCert *cert)
{
  gnutls_x509_crt_t crt;
  gnutls_datum_t pem = { NULL, 0 };
  gnutls_datum_t der = { NULL, 0 };
  time_t now = time (NULL);
  static const unsigned char serial[] = { 1 };

  g_assert_cmpint (gnutls_x509_privkey_init (&cert->key), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_generate (cert->key, GNUTLS_PK_RSA, 2048, 0), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  gnutls_x509_crt_set_version (crt, 3);
  gnutls_x509_crt_set_serial (crt, serial, sizeof serial);
  gnutls_x509_crt_set_activation_time (crt, now - 60);
  gnutls_x509_crt_set_expiration_time (crt, now + 86400);
  gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, "PandaSync test", strlen ("PandaSync test"));
  gnutls_x509_crt_set_issuer_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, "PandaSync test",
                                        strlen ("PandaSync test"));
  g_assert_cmpint (gnutls_x509_crt_set_key (crt, cert->key), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_sign2 (crt, crt, cert->key, GNUTLS_DIG_SHA256, 0), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &pem), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &der), ==, 0);
  cert->pem = g_strndup ((const char *) pem.data, pem.size);
  cert->x5t_s256 = digest_b64url (G_CHECKSUM_SHA256, der.data, der.size);
  cert->x5t = digest_b64url (G_CHECKSUM_SHA1, der.data, der.size);
  gnutls_free (pem.data);
  gnutls_free (der.data);
  gnutls_x509_crt_deinit (crt);
  g_assert_cmpint (gnutls_privkey_init (&cert->signer), ==, 0);
  g_assert_cmpint (gnutls_privkey_import_x509 (cert->signer, cert->key, 0), ==, 0);
}

static void
test_cert_clear (TestCert *cert)
{
  gnutls_privkey_deinit (cert->signer);
  gnutls_x509_privkey_deinit (cert->key);
  g_free (cert->pem);
  g_free (cert->x5t_s256);
  g_free (cert->x5t);
}

/* A client assertion (§1.2) signed by @cert with @alg. */
static char *
assertion (TestCert *cert, TestCert *thumb_of, const char *alg, const char *aud, const char *iss, gint64 exp_delta)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *header = emu_jq ("{'alg':'%s','typ':'JWT','x5t':'%s','x5t#S256':'%s'}", alg, thumb_of->x5t,
                                thumb_of->x5t_s256);
  g_autofree char *claims = emu_jq ("{'aud':'%s','iss':'%s','sub':'%s','jti':'%08x','nbf':%" G_GINT64_FORMAT
                                ",'iat':%" G_GINT64_FORMAT ",'exp':%" G_GINT64_FORMAT "}",
                                aud, iss, CERT_APP, g_random_int (), now, now, now + exp_delta);
  g_autofree char *h = b64url ((const guint8 *) header, strlen (header));
  g_autofree char *c = b64url ((const guint8 *) claims, strlen (claims));
  g_autofree char *signed_text = g_strdup_printf ("%s.%s", h, c);
  gnutls_datum_t data = { (unsigned char *) signed_text, strlen (signed_text) };
  gnutls_datum_t signature = { NULL, 0 };
  g_autofree char *s = NULL;

  g_assert_cmpint (gnutls_privkey_sign_data2 (cert->signer, g_str_equal (alg, "PS256") ?
                                              GNUTLS_SIGN_RSA_PSS_RSAE_SHA256 : GNUTLS_SIGN_RSA_SHA256,
                                              0, &data, &signature), ==, 0);
  s = b64url (signature.data, signature.size);
  gnutls_free (signature.data);
  return g_strdup_printf ("%s.%s", signed_text, s);
}

static EmuReply *
assertion_call (EmuProcess *emu, const char *jwt)
{
  g_autofree char *body = form ("client_id", CERT_APP, "scope", SCOPE,
                                "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                                "client_assertion", jwt, "grant_type", "client_credentials", NULL);

  return token_call (emu, TENANT, body, NULL);
}
#endif

static void
test_token_certificate (void)
{
#ifdef GRAPH_HAVE_GNUTLS
  EmuProcess *emu = shared;
  TestCert cert = { 0 };
  TestCert other = { 0 };
  g_autofree char *aud = g_strdup_printf ("%s/%s/oauth2/v2.0/token", emu->base, TENANT);
  g_autofree char *register_body = NULL;
  g_autofree char *ps256 = NULL;
  g_autofree char *rs256 = NULL;
  g_autofree char *real_aud = NULL;
  g_autofree char *wrong_iss = NULL;
  g_autofree char *wrong_key = NULL;
  g_autofree char *unknown = NULL;
  g_autofree char *stale = NULL;
  g_autofree char *wrong_aud = NULL;
  g_autofree char *escaped_pem = NULL;

  reset (emu);
  test_cert_init (&cert);
  test_cert_init (&other);
  {
    g_autoptr(JsonNode) node = json_node_new (JSON_NODE_VALUE);

    json_node_set_string (node, cert.pem);
    escaped_pem = json_to_string (node, FALSE);
  }
  register_body = g_strdup_printf ("{\"add_certificate\": %s}", escaped_pem);
  emu_admin_do (emu, "POST", "/_admin/apps/" CERT_APP, register_body);

  ps256 = assertion (&cert, &cert, "PS256", aud, CERT_APP, 300);
  rs256 = assertion (&cert, &cert, "RS256", aud, CERT_APP, 300);
  real_aud = assertion (&cert, &cert, "PS256", "https://login.microsoftonline.com/" TENANT "/oauth2/v2.0/token",
                        CERT_APP, 300);
  wrong_iss = assertion (&cert, &cert, "PS256", aud, APP, 300);
  wrong_key = assertion (&other, &cert, "PS256", aud, CERT_APP, 300);
  unknown = assertion (&other, &other, "PS256", aud, CERT_APP, 300);
  stale = assertion (&cert, &cert, "PS256", aud, CERT_APP, -3600);
  wrong_aud = assertion (&cert, &cert, "PS256", "https://example.com/token", CERT_APP, 300);
  {
    g_autoptr(EmuReply) ok1 = assertion_call (emu, ps256);
    g_autoptr(EmuReply) ok2 = assertion_call (emu, rs256);
    g_autoptr(EmuReply) ok3 = assertion_call (emu, real_aud);
    g_autoptr(EmuReply) iss = assertion_call (emu, wrong_iss);
    g_autoptr(EmuReply) key = assertion_call (emu, wrong_key);
    g_autoptr(EmuReply) thumb = assertion_call (emu, unknown);
    g_autoptr(EmuReply) old = assertion_call (emu, stale);
    g_autoptr(EmuReply) where = assertion_call (emu, wrong_aud);
    g_autoptr(EmuReply) garbage = assertion_call (emu, "not.a.jwt");

    g_assert_cmpuint (ok1->status, ==, 200);
    g_assert_true (emu_path_has (ok1->json, "$.access_token"));
    g_assert_cmpuint (ok2->status, ==, 200);
    g_assert_cmpuint (ok3->status, ==, 200);
    assert_token_error (iss, 401, "invalid_client", 700021);
    assert_token_error (key, 401, "invalid_client", 700027);
    assert_token_error (thumb, 401, "invalid_client", 700027);
    assert_token_error (old, 401, "invalid_client", 700024);
    assert_token_error (where, 401, "invalid_client", 50027);
    assert_token_error (garbage, 401, "invalid_client", 50027);
  }
  test_cert_clear (&cert);
  test_cert_clear (&other);
#else
  g_test_skip ("SKIP: built without GnuTLS: certificate assertions cannot be signed or checked");
#endif
}

/* ---------------------------------------------------------------- users and groups */

static void
test_users (void)
{
  EmuProcess *emu = shared;
  g_autofree char *access = NULL;
  const char *const eventual[] = { "ConsistencyLevel: eventual", NULL };

  reset (emu);
  access = token (emu);
  {
    g_autoptr(EmuReply) all = get (emu, 200, "/v1.0/users?$select=id,displayName,accountEnabled,mail", access);
    g_autofree char *fields = emu_path_keys (all->json, "$.value[0]");
    g_autofree char *context = emu_path_str (all->json, "$['@odata.context']");

    /* Active users only (Patti is in the recycle bin); exactly the selected properties. */
    g_assert_cmpuint (emu_path_len (all->json, "$.value"), ==, 12);
    g_assert_cmpstr (fields, ==, "accountEnabled,displayName,id,mail");
    g_assert_true (g_str_has_suffix (context, "/v1.0/$metadata#users(id,displayName,accountEnabled,mail)"));
    g_assert_false (emu_path_has (all->json, "$['@odata.nextLink']"));
  }
  {
    g_autoptr(EmuReply) plain = get (emu, 200, "/v1.0/users/" ADELE, access);
    g_autofree char *fields = emu_path_keys (plain->json, "$");

    /* The default property set: no accountEnabled, department or onPremises*. */
    g_assert_cmpstr (fields, ==, "@odata.context,businessPhones,displayName,givenName,id,jobTitle,mail,mobilePhone,"
                     "officeLocation,preferredLanguage,surname,userPrincipalName");
    g_assert_true (emu_path_is_null (plain->json, "$.preferredLanguage"));
  }
  {
    g_autoptr(EmuReply) no_mail = get (emu, 200, "/v1.0/users/diego.siciliani@contoso.com?$select=id,mail,onPremisesSecurityIdentifier", access);
    g_autoptr(EmuReply) disabled = get (emu, 200, "/v1.0/users?$filter=accountEnabled%20eq%20false&$select=id", access);
    g_autoptr(EmuReply) by_upn = get (emu, 200, "/v1.0/users?$filter=userPrincipalName%20eq%20'ADELE.VANCE@contoso.com'&$select=id", access);
    g_autoptr(EmuReply) prefix = get (emu, 200, "/v1.0/users?$filter=startswith(displayName,'a')&$select=id,displayName", access);
    g_autoptr(EmuReply) employee = get (emu, 200, "/v1.0/users?$filter=employeeId%20eq%20'E1010'&$select=id", access);
    g_autoptr(EmuReply) in = get (emu, 200, "/v1.0/users?$filter=id%20in%20('" ADELE "','" LEE "')&$select=id", access);
    g_autoptr(EmuReply) guest = get (emu, 200, "/v1.0/users?$filter=userType%20eq%20'Guest'&$select=id,userType,mail", access);
    g_autoptr(EmuReply) ne = get (emu, 400, "/v1.0/users?$filter=accountEnabled%20ne%20true", access);
    g_autoptr(EmuReply) ne_ok = get_with (emu, 200, "/v1.0/users?$filter=accountEnabled%20ne%20true&$count=true&$select=id",
                                       access, eventual);
    g_autoptr(EmuReply) top = get (emu, 400, "/v1.0/users?$top=1000", access);
    g_autoptr(EmuReply) skills = get (emu, 501, "/v1.0/users?$select=id,skills", access);
    g_autoptr(EmuReply) unknown = get (emu, 400, "/v1.0/users?$select=id,shoeSize", access);
    g_autoptr(EmuReply) missing = get (emu, 404, "/v1.0/users/a00000ff-0000-4000-8000-0000000000ff", access);
    g_autoptr(EmuReply) deleted = get (emu, 404, "/v1.0/users/" PATTI, access);
    g_autoptr(EmuReply) skip = get (emu, 400, "/v1.0/users?$skip=2", access);
    g_autoptr(EmuReply) bad_filter = get (emu, 400, "/v1.0/users?$filter=shoeSize%20eq%20'9'", access);

    emu_assert_str (no_mail->json, "$.id", DIEGO);
    g_assert_true (emu_path_is_null (no_mail->json, "$.mail"));
    g_assert_cmpuint (emu_path_len (disabled->json, "$.value"), ==, 1);
    emu_assert_str (disabled->json, "$.value[0].id", LEE);
    emu_assert_str (by_upn->json, "$.value[0].id", ADELE);
    g_assert_cmpuint (emu_path_len (prefix->json, "$.value"), ==, 2);     /* Adele, Alex */
    emu_assert_str (employee->json, "$.value[0].id", NESTOR);
    g_assert_cmpuint (emu_path_len (in->json, "$.value"), ==, 2);
    g_assert_cmpuint (emu_path_len (guest->json, "$.value"), ==, 1);
    emu_assert_str (guest->json, "$.value[0].mail", "pat@fabrikam.com");
    assert_graph_error (ne, 400, "Request_UnsupportedQuery");
    g_assert_cmpint (emu_path_num (ne_ok->json, "$['@odata.count']"), ==, 1);
    assert_graph_error (top, 400, "Request_BadRequest");
    assert_graph_error (skills, 501, "NotImplemented");
    assert_graph_error (unknown, 400, "Request_BadRequest");
    assert_graph_error (missing, 404, "Request_ResourceNotFound");
    assert_graph_error (deleted, 404, "Request_ResourceNotFound");
    assert_graph_error (skip, 400, "Request_BadRequest");
    assert_graph_error (bad_filter, 400, "Request_UnsupportedQuery");
  }
  {
    g_autoptr(EmuReply) manager = get (emu, 200, "/v1.0/users/" ADELE "/manager?$select=id,displayName", access);
    g_autoptr(EmuReply) none = get (emu, 404, "/v1.0/users/" MEGAN "/manager", access);
    g_autoptr(EmuReply) expanded = get (emu, 200, "/v1.0/users?$select=id&$expand=manager($select=id)&$top=999", access);
    g_autoptr(EmuReply) count = expect_full (emu, 200, "GET", "/v1.0/users/$count", NULL, NULL, access, eventual);
    g_autoptr(EmuReply) count_no_header = get (emu, 400, "/v1.0/users/$count", access);

    emu_assert_str (manager->json, "$.id", MEGAN);
    emu_assert_str (manager->json, "$['@odata.type']", "#microsoft.graph.user");
    assert_graph_error (none, 404, "Request_ResourceNotFound");
    emu_assert_str (expanded->json, "$.value[0].manager.id", MEGAN);
    g_assert_false (emu_path_has (expanded->json, "$.value[1].manager"));
    g_assert_cmpstr (g_bytes_get_data (count->bytes, NULL), ==, "12");
    assert_graph_error (count_no_header, 400, "Request_BadRequest");
  }
}

static void
test_groups (void)
{
  EmuProcess *emu = shared;
  g_autofree char *access = NULL;
  const char *const eventual[] = { "ConsistencyLevel: eventual", NULL };

  reset (emu);
  access = token (emu);
  {
    g_autoptr(EmuReply) staff = get (emu, 200, "/v1.0/groups?$filter=displayName%20eq%20'Staff'&$select=id,displayName,"
                                  "groupTypes,securityEnabled", access);
    g_autoptr(EmuReply) prefix = get (emu, 200, "/v1.0/groups?$filter=startswith(displayName,'Pla')&$select=id,displayName&$top=50",
                                   access);
    g_autoptr(EmuReply) one = get (emu, 200, "/v1.0/groups/" ENGINEERING "?$select=id,displayName", access);
    g_autoptr(EmuReply) gone = get (emu, 404, "/v1.0/groups/b00000ff-0000-4000-8000-0000000000ff", access);
    g_autoptr(EmuReply) search = get (emu, 400, "/v1.0/groups?$search=%22displayName:Sta%22", access);
    g_autoptr(EmuReply) search_ok = get_with (emu, 200, "/v1.0/groups?$search=%22displayName:Sta%22&$select=id", access,
                                           eventual);
    g_autofree char *fields = emu_path_keys (one->json, "$");

    /* Display names are not unique. */
    g_assert_cmpuint (emu_path_len (staff->json, "$.value"), ==, 2);
    emu_assert_str (staff->json, "$.value[0].id", STAFF);
    g_assert_true (emu_path_bool (staff->json, "$.value[0].securityEnabled"));
    g_assert_cmpuint (emu_path_len (staff->json, "$.value[0].groupTypes"), ==, 0);
    g_assert_cmpuint (emu_path_len (prefix->json, "$.value"), ==, 2);   /* Platform, Platform On-Call */
    g_assert_cmpstr (fields, ==, "@odata.context,displayName,id");
    assert_graph_error (gone, 404, "Request_ResourceNotFound");
    assert_graph_error (search, 400, "Request_UnsupportedQuery");
    g_assert_cmpuint (emu_path_len (search_ok->json, "$.value"), ==, 2);
  }
}

static void
test_members_paging (void)
{
  EmuProcess *emu = shared;
  g_autofree char *access = NULL;
  g_autoptr(JsonArray) all = NULL;
  g_autoptr(JsonArray) direct = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint pages = 0;

  reset (emu);
  access = token (emu);
  all = read_all (emu, "/v1.0/groups/" STAFF "/transitiveMembers?$select=id,userPrincipalName,accountEnabled&$top=4",
                  access, &pages, NULL);
  /* 11 users, 4 nested groups (three levels and a cycle back to
   * Engineering), a device, a contact and a service principal. */
  g_assert_cmpuint (json_array_get_length (all), ==, 18);
  g_assert_cmpuint (pages, ==, 5);
  g_assert_cmpuint (count_type (all, "#microsoft.graph.user"), ==, 11);
  g_assert_cmpuint (count_type (all, "#microsoft.graph.group"), ==, 4);
  g_assert_cmpuint (count_type (all, "#microsoft.graph.device"), ==, 1);
  g_assert_cmpuint (count_type (all, "#microsoft.graph.orgContact"), ==, 1);
  g_assert_cmpuint (count_type (all, "#microsoft.graph.servicePrincipal"), ==, 1);
  for (guint i = 0; i < json_array_get_length (all); i++)
    {
      JsonObject *entry = json_array_get_object_element (all, i);

      g_assert_true (g_hash_table_add (seen, (gpointer) json_object_get_string_member (entry, "id")));
      if (g_str_equal (json_object_get_string_member (entry, "@odata.type"), "#microsoft.graph.user"))
        {
          g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), entry);
          g_autofree char *fields = emu_path_keys (node, "$");

          g_assert_cmpstr (fields, ==, "@odata.type,accountEnabled,id,userPrincipalName");
        }
    }
  g_assert_false (json_object_get_boolean_member (find_id (all, LEE), "accountEnabled"));
  g_assert_false (g_hash_table_contains (seen, PATTI));   /* deleted: not a member now */
  g_assert_false (g_hash_table_contains (seen, STAFF));   /* not its own member */

  direct = read_all (emu, "/v1.0/groups/" STAFF "/members?$select=id,displayName", access, &pages, NULL);
  g_assert_cmpuint (json_array_get_length (direct), ==, 7);
  g_assert_cmpuint (pages, ==, 1);
  {
    g_autoptr(EmuReply) cast = get (emu, 200, "/v1.0/groups/" STAFF "/transitiveMembers/microsoft.graph.user?$select=id", access);
    g_autoptr(EmuReply) impossible = get (emu, 400, "/v1.0/groups/" ALL_COMPANY "/members/microsoft.graph.group", access);
    g_autoptr(EmuReply) strict = NULL;
    g_autoptr(EmuReply) gone = get (emu, 404, "/v1.0/groups/b00000ff-0000-4000-8000-0000000000ff/members", access);
    g_autoptr(EmuReply) bad_token = NULL;

    g_assert_cmpuint (emu_path_len (cast->json, "$.value"), ==, 11);
    assert_graph_error (impossible, 400, "Request_UnsupportedQuery");
    assert_graph_error (gone, 404, "Request_ResourceNotFound");
    faults (emu, "{\"cast_strict\": true}");
    strict = get (emu, 400, "/v1.0/groups/" STAFF "/members/microsoft.graph.user", access);
    assert_graph_error (strict, 400, "Request_UnsupportedQuery");
    bad_token = get (emu, 400, "/v1.0/groups/" STAFF "/members?$skiptoken=nope~4", access);
    assert_graph_error (bad_token, 400, "Directory_ExpiredPageToken");
  }
  {
    /* --page-size caps every page, $top included. */
    g_autoptr(JsonArray) small = NULL;

    faults (emu, "{\"page_size\": 2}");
    small = read_all (emu, "/v1.0/groups/" STAFF "/transitiveMembers?$select=id&$top=999", access, &pages, NULL);
    g_assert_cmpuint (json_array_get_length (small), ==, 18);
    g_assert_cmpuint (pages, ==, 9);
  }
}

static void
test_members_limited (void)
{
  EmuProcess *emu = shared;
  g_autofree char *members_only = NULL;
  g_autofree char *nothing = NULL;
  g_autofree char *directory = NULL;
  g_autoptr(EmuReply) users = NULL;
  g_autoptr(EmuReply) members = NULL;
  g_autoptr(EmuReply) groups = NULL;
  g_autoptr(EmuReply) none = NULL;
  g_autoptr(EmuReply) org_denied = NULL;
  g_autoptr(EmuReply) org = NULL;
  g_autoptr(JsonArray) all = NULL;
  guint pages;

  reset (emu);
  members_only = token_for (emu, MEMBERS_APP, "ps-graph-secret~2");
  nothing = token_for (emu, NONE_APP, "ps-graph-secret~3");
  directory = token_for (emu, DIR_APP, "ps-graph-secret~4");

  /* GroupMember.Read.All alone: no user list, members with nulls (§3.3). */
  users = get (emu, 403, "/v1.0/users?$top=1&$select=id,accountEnabled", members_only);
  assert_graph_error (users, 403, "Authorization_RequestDenied");
  emu_assert_str (users->json, "$.error.message", "Insufficient privileges to complete the operation.");
  groups = get (emu, 200, "/v1.0/groups?$filter=displayName%20eq%20'Sales'&$select=id", members_only);
  g_assert_cmpuint (emu_path_len (groups->json, "$.value"), ==, 1);
  all = read_all (emu, "/v1.0/groups/" SALES "/transitiveMembers?$select=id,userPrincipalName,accountEnabled",
                  members_only, &pages, NULL);
  g_assert_cmpuint (json_array_get_length (all), ==, 1);
  members = get (emu, 200, "/v1.0/groups/" SALES "/members?$select=id,userPrincipalName,accountEnabled", members_only);
  emu_assert_str (members->json, "$.value[0].id", ALEX);
  emu_assert_str (members->json, "$.value[0]['@odata.type']", "#microsoft.graph.user");
  g_assert_true (emu_path_is_null (members->json, "$.value[0].userPrincipalName"));
  g_assert_true (emu_path_is_null (members->json, "$.value[0].accountEnabled"));

  /* No permission at all: a token, then 403 on every call. */
  none = get (emu, 403, "/v1.0/groups/" SALES "/members", nothing);
  assert_graph_error (none, 403, "Authorization_RequestDenied");

  /* /organization needs Directory.Read.All. */
  org_denied = get (emu, 403, "/v1.0/organization", members_only);
  org = get (emu, 200, "/v1.0/organization?$select=id,displayName,verifiedDomains", directory);
  emu_assert_str (org->json, "$.value[0].id", TENANT);
  emu_assert_str (org->json, "$.value[0].displayName", "Contoso");
  g_assert_cmpuint (emu_path_len (org->json, "$.value[0].verifiedDomains"), ==, 2);

  /* Granting the role through the admin API takes effect at once. */
  emu_admin_do (emu, "POST", "/_admin/apps/" MEMBERS_APP, "{\"grant\": [\"User.Read.All\"]}");
  {
    g_autoptr(EmuReply) granted = get (emu, 200, "/v1.0/groups/" SALES "/members?$select=id,userPrincipalName",
                                     members_only);

    emu_assert_str (granted->json, "$.value[0].userPrincipalName", "alex.wilber@contoso.com");
  }
  emu_admin_do (emu, "POST", "/_admin/apps/" MEMBERS_APP, "{\"revoke\": [\"User.Read.All\"]}");
  {
    g_autoptr(EmuReply) revoked = get (emu, 403, "/v1.0/users", members_only);
  }
}

/* ---------------------------------------------------------------- delta */

static char *
delta_round (EmuProcess *emu, const char *link, const char *access, JsonArray **items)
{
  char *next_link = NULL;
  guint pages;

  *items = read_all (emu, link, access, &pages, &next_link);
  g_assert_nonnull (next_link);
  return next_link;
}

static void
test_delta_users (void)
{
  EmuProcess *emu = shared;
  g_autofree char *access = NULL;
  g_autofree char *link = NULL;
  g_autoptr(JsonArray) items = NULL;

  reset (emu);
  access = token (emu);
  faults (emu, "{\"delta_page_size\": 5}");
  link = delta_round (emu, "/v1.0/users/delta?$select=id,userPrincipalName,displayName,accountEnabled,department",
                      access, &items);
  g_assert_cmpuint (json_array_get_length (items), ==, 12);
  g_assert_true (strstr (link, "/v1.0/users/delta?$deltatoken=") != NULL);

  /* A no-op round: nothing, and a new deltaLink. */
  {
    g_autoptr(JsonArray) none = NULL;
    g_autofree char *again = delta_round (emu, link, access, &none);

    g_assert_cmpuint (json_array_get_length (none), ==, 0);
    g_free (link);
    link = g_steal_pointer (&again);
  }

  /* Change, disable, an unselected change, delete, create. */
  emu_admin_do (emu, "PATCH", "/_admin/users/" ADELE, "{\"displayName\": \"Adele Vance-Smith\"}");
  emu_admin_do (emu, "POST", "/_admin/users/" LEE "/enable", NULL);
  emu_admin_do (emu, "POST", "/_admin/users/" ALEX "/disable", NULL);
  emu_admin_do (emu, "PATCH", "/_admin/users/" MEGAN, "{\"jobTitle\": \"VP Engineering\"}");
  emu_admin_do (emu, "DELETE", "/_admin/users/" NESTOR, NULL);
  emu_admin_do (emu, "POST", "/_admin/users", "{\"id\": \"a0000100-0000-4000-8000-000000000100\", "
            "\"userPrincipalName\": \"new.hire@contoso.com\", \"displayName\": \"New Hire\", "
            "\"department\": \"Sales\", \"memberOf\": [\"" SALES "\"]}");
  {
    g_autoptr(JsonArray) changes = NULL;
    g_autofree char *next = delta_round (emu, link, access, &changes);
    JsonObject *adele = find_id (changes, ADELE);
    JsonObject *alex = find_id (changes, ALEX);
    JsonObject *lee = find_id (changes, LEE);
    JsonObject *nestor = find_id (changes, NESTOR);
    JsonObject *hire = find_id (changes, "a0000100-0000-4000-8000-000000000100");

    g_assert_cmpuint (json_array_get_length (changes), ==, 5);
    g_assert_null (find_id (changes, MEGAN));        /* jobTitle is not selected */
    g_assert_cmpstr (json_object_get_string_member (adele, "displayName"), ==, "Adele Vance-Smith");
    g_assert_cmpstr (json_object_get_string_member (adele, "department"), ==, "Engineering");
    g_assert_false (json_object_get_boolean_member (alex, "accountEnabled"));
    g_assert_true (json_object_get_boolean_member (lee, "accountEnabled"));
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (nestor, "@removed"), "reason"), ==,
                     "changed");
    g_assert_false (json_object_has_member (nestor, "displayName"));
    g_assert_cmpstr (json_object_get_string_member (hire, "displayName"), ==, "New Hire");
    g_free (link);
    link = g_steal_pointer (&next);
  }

  /* Soft-deleted users are in deletedItems; a purge says "deleted". */
  {
    g_autoptr(EmuReply) bin = get (emu, 200, "/v1.0/directory/deletedItems/microsoft.graph.user?$select=id,displayName,"
                                "deletedDateTime&$top=999", access);
    g_autoptr(JsonArray) purged = NULL;
    g_autofree char *next = NULL;

    g_assert_cmpuint (emu_path_len (bin->json, "$.value"), ==, 2);     /* Patti from the seed, Nestor */
    g_assert_true (emu_path_has (bin->json, "$.value[1].deletedDateTime"));
    emu_admin_do (emu, "POST", "/_admin/users/" NESTOR "/purge", NULL);
    next = delta_round (emu, link, access, &purged);
    g_assert_cmpuint (json_array_get_length (purged), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (find_id (purged, NESTOR), "@removed"),
                                                    "reason"), ==, "deleted");
    g_free (link);
    link = g_steal_pointer (&next);
  }

  /* The other reading of §4.2, for a client's tolerance. */
  faults (emu, "{\"soft_delete_reason\": \"deleted\"}");
  emu_admin_do (emu, "DELETE", "/_admin/users/" GRADY, NULL);
  {
    g_autoptr(JsonArray) gone = NULL;
    g_autofree char *next = delta_round (emu, link, access, &gone);

    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (find_id (gone, GRADY), "@removed"),
                                                    "reason"), ==, "deleted");
    g_free (link);
    link = g_steal_pointer (&next);
  }
  faults (emu, "{\"soft_delete_reason\": \"changed\"}");
  emu_admin_do (emu, "POST", "/_admin/users/" GRADY "/restore", NULL);
  {
    g_autoptr(JsonArray) back = NULL;
    g_autofree char *next = delta_round (emu, link, access, &back);

    g_assert_nonnull (find_id (back, GRADY));
    g_free (link);
    link = g_steal_pointer (&next);
  }

  /* A restore looks like a creation. */
  emu_admin_do (emu, "POST", "/_admin/users/" PATTI "/restore", NULL);
  {
    g_autoptr(JsonArray) restored = NULL;
    g_autofree char *next = delta_round (emu, link, access, &restored);

    g_assert_cmpuint (json_array_get_length (restored), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (find_id (restored, PATTI), "userPrincipalName"), ==,
                     "patti.fernandez@contoso.com");
    g_free (link);
    link = g_steal_pointer (&next);
  }

  /* $deltatoken=latest: no data, a deltaLink from now on. */
  {
    g_autoptr(EmuReply) latest = get (emu, 200, "/v1.0/users/delta?$deltatoken=latest&$select=id,displayName", access);
    g_autofree char *from_now = emu_path_str (latest->json, "$['@odata.deltaLink']");
    g_autoptr(JsonArray) after = NULL;
    g_autofree char *next = NULL;

    g_assert_cmpuint (emu_path_len (latest->json, "$.value"), ==, 0);
    emu_admin_do (emu, "PATCH", "/_admin/users/" LYNNE, "{\"displayName\": \"Lynne R.\"}");
    next = delta_round (emu, from_now, access, &after);
    g_assert_cmpuint (json_array_get_length (after), ==, 1);
  }

  /* Prefer: return=minimal sends only what changed; odata.maxpagesize pages. */
  {
    const char *const minimal[] = { "Prefer: return=minimal", NULL };
    const char *const small[] = { "Prefer: odata.maxpagesize=2", NULL };
    g_autoptr(EmuReply) first = get (emu, 200, "/v1.0/users/delta?$select=displayName,department,jobTitle", access);
    g_autoptr(EmuReply) paged = get_with (emu, 200, "/v1.0/users/delta?$select=displayName", access, small);
    g_autofree char *round = NULL;
    g_autoptr(EmuReply) changed = NULL;
    g_autofree char *fields = NULL;

    while (emu_path_has (first->json, "$['@odata.nextLink']"))
      {
        g_autofree char *more = emu_path_str (first->json, "$['@odata.nextLink']");

        g_clear_pointer (&first, emu_reply_free);
        first = get (emu, 200, more, access);
      }
    round = emu_path_str (first->json, "$['@odata.deltaLink']");
    g_assert_cmpuint (emu_path_len (paged->json, "$.value"), ==, 2);
    emu_admin_do (emu, "PATCH", "/_admin/users/" GRADY, "{\"jobTitle\": \"Senior Technician\"}");
    changed = get_with (emu, 200, round, access, minimal);
    fields = emu_path_keys (changed->json, "$.value[0]");
    g_assert_cmpstr (fields, ==, "id,jobTitle");
    g_assert_cmpstr (soup_message_headers_get_one (changed->headers, "Preference-Applied"), ==, "return=minimal");
  }

  /* $filter=id eq … follows only those users. */
  {
    g_autoptr(JsonArray) some = NULL;
    g_autoptr(JsonArray) later = NULL;
    g_autofree char *first = delta_round (emu, "/v1.0/users/delta?$select=displayName&$filter=id%20eq%20'" ADELE
                                          "'%20or%20id%20eq%20'" GRADY "'", access, &some);
    g_autofree char *second = NULL;
    g_autoptr(EmuReply) bad = get (emu, 400, "/v1.0/users/delta?$filter=displayName%20eq%20'x'", access);
    g_autoptr(EmuReply) top = get (emu, 400, "/v1.0/users/delta?$top=5", access);

    g_assert_cmpuint (json_array_get_length (some), ==, 2);
    emu_admin_do (emu, "PATCH", "/_admin/users/" GRADY, "{\"displayName\": \"Grady A.\"}");
    emu_admin_do (emu, "PATCH", "/_admin/users/" DIEGO, "{\"displayName\": \"Diego S.\"}");
    second = delta_round (emu, first, access, &later);
    g_assert_cmpuint (json_array_get_length (later), ==, 1);
    g_assert_nonnull (find_id (later, GRADY));
    assert_graph_error (bad, 400, "Request_UnsupportedQuery");
    assert_graph_error (top, 400, "Request_UnsupportedQuery");
  }
}

static JsonArray *
member_changes_of (JsonArray *items, const char *group)
{
  JsonArray *merged = json_array_new ();

  /* The same group may repeat over pages: merge them. */
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);
      JsonArray *members;

      if (g_strcmp0 (json_object_get_string_member (item, "id"), group) != 0 ||
          !json_object_has_member (item, "members@delta"))
        continue;
      members = json_object_get_array_member (item, "members@delta");
      for (guint m = 0; m < json_array_get_length (members); m++)
        json_array_add_element (merged, json_node_copy (json_array_get_element (members, m)));
    }
  return merged;
}

static gboolean
member_removed (JsonArray *changes, const char *id)
{
  JsonObject *entry = find_id (changes, id);

  g_assert_nonnull (entry);
  return json_object_has_member (entry, "@removed");
}

static void
test_delta_groups (void)
{
  EmuProcess *emu = shared;
  g_autofree char *access = NULL;
  g_autofree char *link = NULL;
  g_autoptr(JsonArray) items = NULL;
  g_autoptr(JsonArray) engineering = NULL;
  guint repeats = 0;

  reset (emu);
  access = token (emu);
  faults (emu, "{\"delta_page_size\": 3}");
  link = delta_round (emu, "/v1.0/groups/delta?$select=displayName,members&$filter=id%20eq%20'" ENGINEERING
                      "'%20or%20id%20eq%20'" PLATFORM "'", access, &items);
  /* Engineering has five direct members: split over pages, it repeats. */
  for (guint i = 0; i < json_array_get_length (items); i++)
    if (g_str_equal (json_object_get_string_member (json_array_get_object_element (items, i), "id"), ENGINEERING))
      repeats++;
  g_assert_cmpuint (repeats, >, 1);
  engineering = member_changes_of (items, ENGINEERING);
  g_assert_cmpuint (json_array_get_length (engineering), ==, 5);
  g_assert_cmpuint (count_type (engineering, "#microsoft.graph.group"), ==, 1);   /* Platform, nested */

  /* No change: an empty round. */
  {
    g_autoptr(JsonArray) none = NULL;
    g_autofree char *next = delta_round (emu, link, access, &none);

    g_assert_cmpuint (json_array_get_length (none), ==, 0);
    g_free (link);
    link = g_steal_pointer (&next);
  }

  /* Add, remove, a member deleted, a nested group created. */
  emu_admin_do (emu, "POST", "/_admin/groups/" ENGINEERING "/members", "{\"id\": \"" LYNNE "\"}");
  emu_admin_do (emu, "DELETE", "/_admin/groups/" ENGINEERING "/members/" LEE, NULL);
  emu_admin_do (emu, "DELETE", "/_admin/users/" DIEGO, NULL);
  emu_admin_do (emu, "POST", "/_admin/groups", "{\"id\": \"b0000100-0000-4000-8000-000000000100\", "
            "\"displayName\": \"Platform Interns\", \"memberOf\": [\"" PLATFORM "\"], \"members\": [\"" ALEX "\"]}");
  emu_admin_do (emu, "PATCH", "/_admin/users/" ADELE, "{\"displayName\": \"Not a membership change\"}");
  {
    g_autoptr(JsonArray) changes = NULL;
    g_autofree char *next = delta_round (emu, link, access, &changes);
    g_autoptr(JsonArray) eng = member_changes_of (changes, ENGINEERING);
    g_autoptr(JsonArray) plat = member_changes_of (changes, PLATFORM);

    g_assert_cmpuint (json_array_get_length (eng), ==, 2);
    g_assert_false (member_removed (eng, LYNNE));
    g_assert_true (member_removed (eng, LEE));
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (find_id (eng, LEE), "@removed"),
                                                    "reason"), ==, "deleted");
    g_assert_cmpuint (json_array_get_length (plat), ==, 2);
    g_assert_true (member_removed (plat, DIEGO));
    g_assert_false (member_removed (plat, "b0000100-0000-4000-8000-000000000100"));
    g_assert_cmpstr (json_object_get_string_member (find_id (plat, "b0000100-0000-4000-8000-000000000100"),
                                                    "@odata.type"), ==, "#microsoft.graph.group");
    g_free (link);
    link = g_steal_pointer (&next);
  }

  /* The transitive read sees the new nesting at once. */
  {
    g_autoptr(JsonArray) all = NULL;
    guint pages;

    all = read_all (emu, "/v1.0/groups/" STAFF "/transitiveMembers?$select=id", access, &pages, NULL);
    g_assert_nonnull (find_id (all, "b0000100-0000-4000-8000-000000000100"));
    g_assert_nonnull (find_id (all, LYNNE));
    g_assert_null (find_id (all, DIEGO));
  }

  /* A replay switch repeats every object of a round. */
  faults (emu, "{\"delta_replay\": true}");
  emu_admin_do (emu, "POST", "/_admin/groups/" PLATFORM "/members", "{\"id\": \"" GRADY "\"}");
  {
    g_autoptr(JsonArray) replayed = NULL;
    g_autofree char *next = delta_round (emu, link, access, &replayed);
    g_autoptr(JsonArray) plat = member_changes_of (replayed, PLATFORM);

    g_assert_cmpuint (json_array_get_length (plat), ==, 2);
  }
}

static void
test_delta_expiry (void)
{
  EmuProcess *emu = shared;
  g_autofree char *access = NULL;
  g_autofree char *link = NULL;
  g_autoptr(JsonArray) items = NULL;

  reset (emu);
  access = token (emu);
  link = delta_round (emu, "/v1.0/users/delta?$select=id,displayName", access, &items);

  /* Seven emulated days later the token is gone (§4.4). */
  emu_admin_do (emu, "POST", "/_admin/clock", "{\"advance_days\": 8}");
  g_free (access);
  access = token (emu);
  {
    g_autoptr(EmuReply) expired = get (emu, 400, link, access);

    assert_graph_error (expired, 400, "syncStateNotFound");
  }
  faults (emu, "{\"delta_expiry\": \"410-location\"}");
  {
    g_autoptr(EmuReply) gone = get (emu, 410, link, access);
    const char *location = soup_message_headers_get_one (gone->headers, "Location");

    assert_graph_error (gone, 410, "syncStateNotFound");
    g_assert_nonnull (location);
    g_assert_true (g_str_has_prefix (location, emu->base));
    g_assert_true (g_str_has_suffix (location, "$deltatoken="));
    g_assert_nonnull (strstr (location, "$select=id,displayName"));
    {
      /* Following it starts a full round. */
      g_autoptr(JsonArray) again = NULL;
      g_autofree char *fresh = delta_round (emu, location, access, &again);

      g_assert_cmpuint (json_array_get_length (again), ==, 12);
      g_free (link);
      link = g_steal_pointer (&fresh);
    }
  }
  /* A token from before a reset is expired too. */
  {
    g_autoptr(JsonArray) before = NULL;
    g_autofree char *old_link = delta_round (emu, "/v1.0/users/delta?$select=id", access, &before);
    g_autofree char *after_reset = NULL;
    g_autoptr(EmuReply) stale = NULL;

    emu_admin_do (emu, "POST", "/_admin/reset", "{\"clock\": false, \"faults\": false}");
    after_reset = token (emu);
    stale = get (emu, 410, old_link, after_reset);
    assert_graph_error (stale, 410, "syncStateNotFound");
    g_free (access);
    access = g_steal_pointer (&after_reset);
  }
  faults (emu, "{\"delta_expiry\": \"410-resync\"}");
  emu_admin_do (emu, "POST", "/_admin/invalidate-delta", NULL);
  {
    g_autoptr(EmuReply) resync = get (emu, 410, link, access);

    assert_graph_error (resync, 410, "resyncRequired");
  }
  /* As a fault rule, on the Nth call that carries a delta token. */
  reset (emu);
  g_free (access);
  access = token (emu);
  g_clear_pointer (&items, json_array_unref);
  g_free (link);
  link = delta_round (emu, "/v1.0/users/delta?$select=id", access, &items);
  faults (emu, "{\"add_rule\": {\"fault\": \"delta_expired\", \"match\": \"GET /v1.0/users/delta\", \"nth\": 2}}");
  {
    g_autoptr(EmuReply) first = get (emu, 200, link, access);
    g_autoptr(EmuReply) second = get (emu, 400, link, access);
    g_autoptr(EmuReply) third = get (emu, 200, link, access);

    assert_graph_error (second, 400, "syncStateNotFound");
  }
}

/* ---------------------------------------------------------------- faults */

static void
test_fault_throttle (void)
{
  EmuProcess *emu = shared;
  g_autofree char *access = NULL;

  reset (emu);
  access = token (emu);
  faults (emu, "{\"add_rule\": {\"fault\": \"throttle\", \"match\": \"GET /v1.0/users*\", \"nth\": 2, \"retry_after\": 7}}");
  {
    g_autoptr(EmuReply) one = get (emu, 200, "/v1.0/users?$select=id", access);
    g_autoptr(EmuReply) two = get (emu, 429, "/v1.0/users?$select=id", access);
    g_autoptr(EmuReply) three = get (emu, 200, "/v1.0/users?$select=id", access);
    g_autoptr(EmuReply) groups = get (emu, 200, "/v1.0/groups?$select=id", access);

    assert_graph_error (two, 429, "TooManyRequests");
    g_assert_cmpstr (soup_message_headers_get_one (two->headers, "Retry-After"), ==, "7");
    emu_assert_str (two->json, "$.error.innerError.status", "429");
    emu_assert_str (two->json, "$.error.innerError.code", "429");
  }
  faults (emu, "{\"rules\": [{\"fault\": \"throttle\", \"count\": 1, \"retry_after\": 1.5}, "
          "{\"fault\": \"throttle\", \"count\": 1, \"retry_after\": 30, \"retry_after_format\": \"date\"}, "
          "{\"fault\": \"throttle\", \"count\": 1, \"retry_after\": null}]}");
  {
    g_autoptr(EmuReply) decimal = get (emu, 429, "/v1.0/groups", access);
    g_autoptr(EmuReply) date = get (emu, 429, "/v1.0/groups", access);
    g_autoptr(EmuReply) none = get (emu, 429, "/v1.0/groups", access);
    g_autoptr(EmuReply) fine = get (emu, 200, "/v1.0/groups", access);
    g_autoptr(GDateTime) when = soup_date_time_new_from_http_string (soup_message_headers_get_one (date->headers,
                                                                                                   "Retry-After"));

    g_assert_cmpstr (soup_message_headers_get_one (decimal->headers, "Retry-After"), ==, "1.5");
    g_assert_nonnull (when);
    g_assert_null (soup_message_headers_get_one (none->headers, "Retry-After"));
  }
  /* The resource-unit budget (§6.3). */
  faults (emu, "{\"clear_rules\": true, \"ru_budget\": 6}");
  {
    g_autoptr(EmuReply) first = get (emu, 200, "/v1.0/groups/" STAFF "/transitiveMembers", access);
    g_autoptr(EmuReply) second = get (emu, 429, "/v1.0/groups/" STAFF "/transitiveMembers", access);

    g_assert_cmpstr (soup_message_headers_get_one (first->headers, "x-ms-resource-unit"), ==, "5");
    g_assert_nonnull (soup_message_headers_get_one (first->headers, "x-ms-throttle-limit-percentage"));
    g_assert_cmpstr (soup_message_headers_get_one (second->headers, "x-ms-throttle-information"), ==,
                     "ResourceUnitLimitExceeded");
    g_assert_true (g_str_has_prefix (soup_message_headers_get_one (second->headers, "x-ms-throttle-scope"),
                                     "Tenant_Application/Read/" APP "/"));
    g_assert_nonnull (soup_message_headers_get_one (second->headers, "Retry-After"));
  }
}

static char *
status_pattern (EmuProcess *emu, const char *access)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < 30; i++)
    {
      g_autoptr(EmuReply) reply = call_full (emu, "GET", "/v1.0/groups?$select=id", NULL, NULL, access, NULL);

      g_string_append_printf (text, "%u ", reply->status);
    }
  return g_string_free (text, FALSE);
}

static void
test_fault_errors (void)
{
  EmuProcess *emu = shared;
  g_autofree char *access = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  reset (emu);
  access = token (emu);
  faults (emu, "{\"rules\": [{\"fault\": \"error\", \"status\": 503, \"count\": 1, \"retry_after\": 2}, "
          "{\"fault\": \"error\", \"status\": 504, \"count\": 1}, "
          "{\"fault\": \"error\", \"status\": 500, \"count\": 1}]}");
  {
    g_autoptr(EmuReply) unavailable = get (emu, 503, "/v1.0/groups", access);
    g_autoptr(EmuReply) gateway = get (emu, 504, "/v1.0/groups", access);
    g_autoptr(EmuReply) general = get (emu, 500, "/v1.0/groups", access);

    assert_graph_error (unavailable, 503, "serviceNotAvailable");
    g_assert_cmpstr (soup_message_headers_get_one (unavailable->headers, "Retry-After"), ==, "2");
    assert_graph_error (gateway, 504, "gatewayTimeout");
    g_assert_null (soup_message_headers_get_one (gateway->headers, "Retry-After"));
    assert_graph_error (general, 500, "generalException");
  }

  /* By rate: seeded dice, the same faults on the same calls after a reset. */
  faults (emu, "{\"rules\": [{\"fault\": \"error\", \"rate\": 0.3}], \"random_seed\": 42}");
  first = status_pattern (emu, access);
  faults (emu, "{\"random_seed\": 42}");
  second = status_pattern (emu, access);
  g_assert_cmpstr (first, ==, second);
  g_assert_nonnull (strstr (first, "503"));
  g_assert_nonnull (strstr (first, "200"));

  /* The token endpoint fails in its own format. */
  faults (emu, "{\"rules\": [{\"fault\": \"error\", \"status\": 500, \"match\": \"POST /*/oauth2/v2.0/token\", "
          "\"count\": 1}, {\"fault\": \"aadsts\", \"aadsts\": 7000222, \"count\": 1}]}");
  {
    g_autofree char *body = form ("client_id", APP, "scope", SCOPE, "client_secret", SECRET,
                                  "grant_type", "client_credentials", NULL);
    g_autoptr(EmuReply) broken = token_call (emu, TENANT, body, NULL);
    g_autoptr(EmuReply) expired = token_call (emu, TENANT, body, NULL);
    g_autoptr(EmuReply) fine = token_call (emu, TENANT, body, NULL);

    assert_token_error (broken, 500, "server_error", 50000);
    assert_token_error (expired, 401, "invalid_client", 7000222);
    g_assert_cmpuint (fine->status, ==, 200);
  }
  /* A forbidden fault on a chosen endpoint. */
  faults (emu, "{\"rules\": [{\"fault\": \"forbidden\", \"match\": \"GET /v1.0/groups/*/transitiveMembers\"}]}");
  {
    g_autoptr(EmuReply) denied = get (emu, 403, "/v1.0/groups/" STAFF "/transitiveMembers", access);
    g_autoptr(EmuReply) allowed = get (emu, 200, "/v1.0/groups/" STAFF "/members", access);

    assert_graph_error (denied, 403, "Authorization_RequestDenied");
  }
}

static void
test_fault_tokens (void)
{
  EmuProcess *emu = shared;
  g_autofree char *access = NULL;
  g_autofree char *fresh = NULL;
  g_autofree char *next = NULL;

  reset (emu);
  {
    g_autoptr(EmuReply) empty = get (emu, 401, "/v1.0/users", NULL);
    g_autoptr(EmuReply) garbage = get (emu, 401, "/v1.0/users", "garbage");
    const char *www = soup_message_headers_get_one (empty->headers, "WWW-Authenticate");

    assert_graph_error (empty, 401, "InvalidAuthenticationToken");
    emu_assert_str (empty->json, "$.error.message", "Access token is empty.");
    assert_graph_error (garbage, 401, "InvalidAuthenticationToken");
    g_assert_nonnull (www);
    g_assert_nonnull (strstr (www, "client_id=\"00000003-0000-0000-c000-000000000000\""));
  }

  /* expires_in follows the switch; the emulated clock expires tokens. */
  faults (emu, "{\"token_lifetime\": 60}");
  {
    g_autofree char *body = form ("client_id", APP, "scope", SCOPE, "client_secret", SECRET,
                                  "grant_type", "client_credentials", NULL);
    g_autoptr(EmuReply) issued = token_call (emu, TENANT, body, NULL);

    g_assert_cmpint (emu_path_num (issued->json, "$.expires_in"), ==, 60);
    access = emu_path_str (issued->json, "$.access_token");
  }
  {
    g_autoptr(EmuReply) page = get (emu, 200, "/v1.0/groups/" STAFF "/transitiveMembers?$select=id&$top=5", access);

    next = emu_path_str (page->json, "$['@odata.nextLink']");
  }
  emu_admin_do (emu, "POST", "/_admin/clock", "{\"advance\": 61}");
  {
    /* Mid-pagination: 401, a new token, the same nextLink again. */
    g_autoptr(EmuReply) expired = get (emu, 401, next, access);
    g_autoptr(EmuReply) retried = NULL;

    assert_graph_error (expired, 401, "InvalidAuthenticationToken");
    emu_assert_str (expired->json, "$.error.message", "Lifetime validation failed, the token is expired.");
    g_assert_nonnull (soup_message_headers_get_one (expired->headers, "WWW-Authenticate"));
    fresh = token (emu);
    retried = get (emu, 200, next, fresh);
    g_assert_cmpuint (emu_path_len (retried->json, "$.value"), ==, 5);
  }
  emu_admin_do (emu, "POST", "/_admin/expire-tokens", NULL);
  {
    g_autoptr(EmuReply) revoked = get (emu, 401, "/v1.0/groups", fresh);
  }
  /* As a fault rule, on the second page. */
  g_free (fresh);
  fresh = token (emu);
  faults (emu, "{\"add_rule\": {\"fault\": \"token_expired\", \"match\": \"GET /v1.0/groups/*/transitiveMembers\", "
          "\"nth\": 2}}");
  {
    g_autoptr(EmuReply) page = get (emu, 200, "/v1.0/groups/" STAFF "/transitiveMembers?$select=id&$top=5", fresh);
    g_autofree char *second = emu_path_str (page->json, "$['@odata.nextLink']");
    g_autoptr(EmuReply) fails = get (emu, 401, second, fresh);
    g_autoptr(EmuReply) works = get (emu, 200, second, fresh);
  }
}

static void
test_fault_transport (void)
{
  EmuProcess *emu = shared;
  g_autofree char *access = NULL;

  reset (emu);
  access = token (emu);
  faults (emu, "{\"rules\": [{\"fault\": \"drop\", \"count\": 1}]}");
  /* On a fresh connection: libsoup re-sends a GET that fails on a reused
   * one, which would hide the fault. */
  g_object_unref (emu->session);
  emu->session = soup_session_new_with_options ("timeout", 30, NULL);
  {
    g_autoptr(EmuReply) dropped = call_full (emu, "GET", "/v1.0/groups", NULL, NULL, access, NULL);

    g_assert_nonnull (dropped->error);
  }
  faults (emu, "{\"rules\": [{\"fault\": \"truncate\", \"count\": 1}, {\"fault\": \"malformed\", \"count\": 1}]}");
  {
    g_autoptr(EmuReply) cut = call_full (emu, "GET", "/v1.0/groups", NULL, NULL, access, NULL);
    g_autoptr(EmuReply) garbage = call_full (emu, "GET", "/v1.0/groups", NULL, NULL, access, NULL);
    g_autoptr(EmuReply) fine = get (emu, 200, "/v1.0/groups", access);

    g_assert_cmpuint (cut->status, ==, 200);
    g_assert_null (cut->json);
    g_assert_cmpuint (garbage->status, ==, 200);
    g_assert_null (garbage->json);
  }
  faults (emu, "{\"rules\": [{\"fault\": \"empty_page\", \"count\": 1, \"match\": \"GET /v1.0/groups/*\"}]}");
  {
    g_autoptr(JsonArray) all = NULL;
    guint pages;

    /* An empty first page that still has a nextLink. */
    all = read_all (emu, "/v1.0/groups/" STAFF "/members?$select=id", access, &pages, NULL);
    g_assert_cmpuint (pages, ==, 2);
    g_assert_cmpuint (json_array_get_length (all), ==, 7);
  }
  faults (emu, "{\"rules\": [{\"fault\": \"slow\", \"ms\": 300, \"count\": 1}]}");
  {
    g_autoptr(EmuReply) slow = get (emu, 200, "/v1.0/groups?$select=id", access);

    g_assert_cmpfloat (slow->seconds, >=, 0.3);
  }
  {
    g_autoptr(JsonNode) calls = emu_admin (emu, "GET", "/_admin/calls", NULL);
    g_autoptr(JsonNode) stats = emu_admin (emu, "GET", "/_admin/stats", NULL);
    JsonArray *entries = json_object_get_array_member (json_node_get_object (calls), "calls");
    gboolean dropped = FALSE;

    g_assert_cmpint (emu_path_num (stats, "$.faults.slow"), ==, 1);
    g_assert_cmpint (emu_path_num (stats, "$.faults.drop"), ==, 1);

    for (guint i = 0; i < json_array_get_length (entries); i++)
      {
        JsonObject *entry = json_array_get_object_element (entries, i);

        if (json_node_get_value_type (json_object_get_member (entry, "status")) == G_TYPE_STRING &&
            g_str_equal (json_object_get_string_member (entry, "status"), "dropped"))
          dropped = TRUE;
      }
    g_assert_true (dropped);
  }
}

/* ---------------------------------------------------------------- batch, admin, scale */

static void
test_batch (void)
{
  EmuProcess *emu = shared;
  g_autofree char *access = NULL;
  GString *many = g_string_new ("{\"requests\": [");
  g_autofree char *many_text = NULL;

  reset (emu);
  access = token (emu);
  {
    g_autofree char *body = emu_jq ("{'requests': ["
                                "{'id': '1', 'method': 'GET', 'url': '/users/%s/manager?$select=id'},"
                                "{'id': '2', 'method': 'GET', 'url': '/users/%s/manager?$select=id'},"
                                "{'id': '3', 'method': 'GET', 'url': '/groups/%s?$select=displayName', 'dependsOn': ['2']},"
                                "{'id': '4', 'method': 'GET', 'url': '/users/$count', 'headers': {'ConsistencyLevel': 'eventual'}}]}",
                                ADELE, MEGAN, STAFF);
    g_autoptr(EmuReply) reply = expect_full (emu, 200, "POST", "/v1.0/$batch", body, NULL, access, NULL);

    g_assert_cmpuint (emu_path_len (reply->json, "$.responses"), ==, 4);
    g_assert_cmpint (emu_path_num (reply->json, "$.responses[0].status"), ==, 200);
    emu_assert_str (reply->json, "$.responses[0].body.id", MEGAN);
    g_assert_cmpint (emu_path_num (reply->json, "$.responses[1].status"), ==, 404);
    g_assert_cmpint (emu_path_num (reply->json, "$.responses[2].status"), ==, 424);
    g_assert_cmpint (emu_path_num (reply->json, "$.responses[3].status"), ==, 200);
    emu_assert_str (reply->json, "$.responses[3].body", "12");
  }
  /* A part is throttled on its own. */
  faults (emu, "{\"add_rule\": {\"fault\": \"throttle\", \"match\": \"GET /v1.0/users/" ALEX "\", \"retry_after\": 3}}");
  {
    g_autofree char *body = emu_jq ("{'requests': [{'id': 'a', 'method': 'GET', 'url': '/users/%s?$select=id'},"
                                "{'id': 'b', 'method': 'GET', 'url': '/users/%s?$select=id'}]}", ADELE, ALEX);
    g_autoptr(EmuReply) reply = expect_full (emu, 200, "POST", "/v1.0/$batch", body, NULL, access, NULL);

    g_assert_cmpint (emu_path_num (reply->json, "$.responses[0].status"), ==, 200);
    g_assert_cmpint (emu_path_num (reply->json, "$.responses[1].status"), ==, 429);
    emu_assert_str (reply->json, "$.responses[1].headers['Retry-After']", "3");
  }
  for (guint i = 0; i < 21; i++)
    g_string_append_printf (many, "%s{\"id\": \"%u\", \"method\": \"GET\", \"url\": \"/users?$top=1\"}", i > 0 ? "," : "", i);
  g_string_append (many, "]}");
  many_text = g_string_free (many, FALSE);
  {
    g_autoptr(EmuReply) too_many = expect_full (emu, 400, "POST", "/v1.0/$batch", many_text, NULL, access, NULL);
    g_autofree char *dupes = emu_jq ("{'requests': [{'id': '1', 'method': 'GET', 'url': '/users'},"
                                 "{'id': '1', 'method': 'GET', 'url': '/groups'}]}");
    g_autoptr(EmuReply) duplicate = expect_full (emu, 400, "POST", "/v1.0/$batch", dupes, NULL, access, NULL);

    assert_graph_error (too_many, 400, "BadRequest");
    assert_graph_error (duplicate, 400, "BadRequest");
  }
}

static void
test_admin (void)
{
  EmuProcess *emu = shared;
  g_autofree char *access = NULL;
  g_autoptr(JsonNode) state = NULL;
  g_autoptr(JsonNode) calls = NULL;
  g_autoptr(JsonNode) created = NULL;
  g_autoptr(JsonNode) clock = NULL;

  reset (emu);
  access = token (emu);
  state = emu_admin (emu, "GET", "/_admin/state", NULL);
  emu_assert_str (state, "$.tenants[0].id", TENANT);
  g_assert_cmpuint (emu_path_len (state, "$.tenants[0].users"), ==, 13);
  g_assert_cmpuint (emu_path_len (state, "$.tenants"), ==, 2);

  {
    g_autoptr(EmuReply) users = get (emu, 200, "/v1.0/users?$select=id", access);
    const char *client_request = "client-request-id: 0f0f0f0f-1111-4222-8333-444444444444";
    const char *headers[] = { client_request, NULL };
    g_autoptr(EmuReply) echoed = get_with (emu, 200, "/v1.0/groups?$select=id", access, headers);

    g_assert_nonnull (soup_message_headers_get_one (users->headers, "request-id"));
    g_assert_cmpstr (soup_message_headers_get_one (echoed->headers, "client-request-id"), ==,
                     "0f0f0f0f-1111-4222-8333-444444444444");
  }
  calls = emu_admin (emu, "GET", "/_admin/calls?since=2", NULL);
  g_assert_cmpint (emu_path_num (calls, "$.calls[0].seq"), ==, 2);
  emu_assert_str (calls, "$.calls[0].method", "GET");
  emu_assert_str (calls, "$.calls[0].path", "/v1.0/users");
  emu_assert_str (calls, "$.calls[0].route", "GET /v1.0/users");
  g_assert_cmpint (emu_path_num (calls, "$.calls[0].status"), ==, 200);
  emu_assert_str (calls, "$.calls[0].client", APP);
  emu_assert_str (calls, "$.calls[0].tenant", TENANT);

  /* Create a user in a new nested group, by domain-named tenant. */
  created = emu_admin (emu, "POST", "/_admin/groups?tenant=contoso.com", "{\"displayName\": \"Night Shift\", "
                   "\"memberOf\": [\"" STAFF "\"]}");
  {
    g_autofree char *group = emu_path_str (created, "$.id");
    g_autofree char *body = g_strdup_printf ("{\"userPrincipalName\": \"night.owl@contoso.com\", "
                                             "\"displayName\": \"Night Owl\", \"memberOf\": [\"%s\"], "
                                             "\"accountEnabled\": true, \"employeeId\": \"E2000\"}", group);
    g_autoptr(JsonNode) user = emu_admin (emu, "POST", "/_admin/users", body);
    g_autoptr(EmuReply) found = get (emu, 200, "/v1.0/users?$filter=employeeId%20eq%20'E2000'&$select=id,displayName", access);
    g_autoptr(JsonArray) all = NULL;
    g_autofree char *user_id = emu_path_str (user, "$.id");
    g_autoptr(EmuReply) bad = call_full (emu, "POST", "/_admin/users", "{\"displayName\": \"No UPN\"}", NULL, NULL, NULL);
    g_autoptr(EmuReply) bad_prop = call_full (emu, "PATCH", "/_admin/users/" ADELE, "{\"shoeSize\": 9}", NULL, NULL, NULL);
    guint pages;

    g_assert_cmpuint (emu_path_len (found->json, "$.value"), ==, 1);
    all = read_all (emu, "/v1.0/groups/" STAFF "/transitiveMembers?$select=id", access, &pages, NULL);
    g_assert_nonnull (find_id (all, user_id));
    g_assert_nonnull (find_id (all, group));
    g_assert_cmpuint (bad->status, ==, 400);
    g_assert_cmpuint (bad_prop->status, ==, 400);
  }
  /* Devices, contacts and service principals too. */
  emu_admin_do (emu, "POST", "/_admin/objects", "{\"@odata.type\": \"#microsoft.graph.device\", \"displayName\": "
            "\"KIOSK-02\", \"memberOf\": [\"" STAFF "\"]}");
  {
    g_autoptr(EmuReply) members = get (emu, 200, "/v1.0/groups/" STAFF "/members?$select=id,displayName", access);

    g_assert_cmpuint (emu_path_len (members->json, "$.value"), ==, 9);
  }

  clock = emu_admin (emu, "POST", "/_admin/clock", "{\"advance_days\": 31}");
  g_assert_cmpint (emu_path_num (clock, "$.offset_seconds"), ==, 31 * 86400);
  {
    /* Patti was deleted on 2026-11-20: purged after 30 emulated days. */
    g_autofree char *fresh = token (emu);
    g_autoptr(EmuReply) bin = get (emu, 200, "/v1.0/directory/deletedItems/microsoft.graph.user", fresh);
    g_autoptr(EmuReply) bare = get (emu, 400, "/v1.0/directory/deletedItems", fresh);

    g_assert_cmpuint (emu_path_len (bin->json, "$.value"), ==, 0);
    assert_graph_error (bare, 400, "Request_BadRequest");
  }

  reset (emu);
  {
    g_autoptr(JsonNode) again = emu_admin (emu, "GET", "/_admin/state", NULL);
    g_autoptr(JsonNode) after = emu_admin (emu, "GET", "/_admin/calls", NULL);
    g_autoptr(JsonNode) faults_now = emu_admin (emu, "GET", "/_admin/faults", NULL);

    g_assert_cmpuint (emu_path_len (again, "$.tenants[0].groups"), ==, 8);
    g_assert_cmpuint (emu_path_len (after, "$.calls"), ==, 0);
    g_assert_cmpint (emu_path_num (faults_now, "$.page_size"), ==, 999);
    g_assert_cmpuint (emu_path_len (faults_now, "$.rules"), ==, 0);
  }
  {
    g_autoptr(EmuReply) unknown = call_full (emu, "POST", "/_admin/faults", "{\"no_such_switch\": 1}", NULL, NULL, NULL);

    g_assert_cmpuint (unknown->status, ==, 400);
  }
}

static void
test_generate (void)
{
  const char *const extra[] = { "--generate", "2500", "--generate-group", "Everyone", "--page-size", "999", NULL };
  EmuProcess *emu = emulator_start (extra);
  g_autofree char *access = token (emu);
  g_autoptr(EmuReply) group = get (emu, 200, "/v1.0/groups?$filter=displayName%20eq%20'Everyone'&$select=id", access);
  g_autofree char *group_id = emu_path_str (group->json, "$.value[0].id");
  g_autofree char *path = g_strdup_printf ("/v1.0/groups/%s/transitiveMembers?$select=id,userPrincipalName,"
                                           "onPremisesSecurityIdentifier&$top=999", group_id);
  g_autoptr(JsonArray) all = NULL;
  guint pages;

  all = read_all (emu, path, access, &pages, NULL);
  g_assert_cmpuint (json_array_get_length (all), ==, 2500);
  g_assert_cmpuint (pages, ==, 3);
  emu_process_stop (emu);
}

/* Served over HTTPS, every link the emulator writes is https too. */
static void
test_https (void)
{
  g_autofree char *access = NULL;
  g_autofree char *next = NULL;
  EmuProcess *emu = emu_process_start_tls ("PS_GRAPH_EMULATOR", NULL, 30);

  if (emu == NULL)
    {
      g_test_skip ("openssl is not installed: no test CA");
      return;
    }
  access = token (emu);
  {
    g_autoptr(EmuReply) page = get (emu, 200, "/v1.0/groups/" STAFF "/transitiveMembers?$select=id&$top=5", access);

    next = emu_path_str (page->json, "$['@odata.nextLink']");
    g_assert_true (g_str_has_prefix (next, emu->base));
    g_assert_true (g_str_has_prefix (next, "https://127.0.0.1:"));
  }
  emu_process_stop (emu);
}

static void
test_cli_listen (void)
{
  emu_assert_listen_refused ("PS_GRAPH_EMULATOR");
}

static void
test_start_script (void)
{
  const char *const args[] = { "--token-lifetime", "300", NULL };
  EmuProcess *emu = emu_process_start_script ("PS_GRAPH_EMULATOR_START", args, 30);
  g_autofree char *body = form ("client_id", APP, "scope", SCOPE, "client_secret", SECRET,
                                "grant_type", "client_credentials", NULL);
  g_autoptr(EmuReply) issued = token_call (emu, TENANT, body, NULL);

  g_assert_cmpint (emu_path_num (issued->json, "$.expires_in"), ==, 300);
  emu_process_stop (emu);
}

/* ---------------------------------------------------------------- main */

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/graph-emulator/token/success", test_token_success);
  g_test_add_func ("/graph-emulator/token/errors", test_token_errors);
  g_test_add_func ("/graph-emulator/token/certificate", test_token_certificate);
  g_test_add_func ("/graph-emulator/users", test_users);
  g_test_add_func ("/graph-emulator/groups", test_groups);
  g_test_add_func ("/graph-emulator/members/paging", test_members_paging);
  g_test_add_func ("/graph-emulator/members/limited", test_members_limited);
  g_test_add_func ("/graph-emulator/delta/users", test_delta_users);
  g_test_add_func ("/graph-emulator/delta/groups", test_delta_groups);
  g_test_add_func ("/graph-emulator/delta/expiry", test_delta_expiry);
  g_test_add_func ("/graph-emulator/faults/throttle", test_fault_throttle);
  g_test_add_func ("/graph-emulator/faults/errors", test_fault_errors);
  g_test_add_func ("/graph-emulator/faults/tokens", test_fault_tokens);
  g_test_add_func ("/graph-emulator/faults/transport", test_fault_transport);
  g_test_add_func ("/graph-emulator/batch", test_batch);
  g_test_add_func ("/graph-emulator/admin", test_admin);
  g_test_add_func ("/graph-emulator/generate", test_generate);
  g_test_add_func ("/graph-emulator/https", test_https);
  g_test_add_func ("/graph-emulator/cli/listen", test_cli_listen);
  g_test_add_func ("/graph-emulator/cli/start-script", test_start_script);

  shared = emulator_start (NULL);
  status = g_test_run ();
  emu_process_stop (shared);
  return status;
}
