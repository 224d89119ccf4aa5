/* graph-auth.c — the token endpoint (client credentials with a secret or
 * a certificate assertion), bearer token checks and app permissions
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Errors follow §1.4 of the contract: {error, error_description,
 * error_codes, timestamp, trace_id, correlation_id, error_uri}, with the
 * observed HTTP statuses. Assertion signatures are checked with GnuTLS
 * when the build has it (RS256 and PS256).
 */

#include <string.h>

#ifdef GRAPH_HAVE_GNUTLS
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>
#endif

#include "graph-private.h"

#define JWT_BEARER "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#define CLOCK_SKEW (5 * 60)

/* ---------------------------------------------------------------- errors */

static char *
token_error_message (GraphCall *call, guint aadsts, const char *detail)
{
  const char *client = call->client_id != NULL ? call->client_id : "";
  const char *tenant = call->tenant_key != NULL ? call->tenant_key : "";

  switch (aadsts)
    {
    case 90002:
      return g_strdup_printf ("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are "
                              "signing into the correct cloud. Check with your subscription administrator, this "
                              "may happen if there are no active subscriptions for the tenant.", tenant);
    case 900023:
      return g_strdup_printf ("Specified tenant identifier '%s' is neither a valid DNS name, nor a valid external "
                              "domain.", tenant);
    case 700016:
      return g_strdup_printf ("Application with identifier '%s' was not found in the directory '%s'. This can "
                              "happen if the application has not been installed by the administrator of the "
                              "tenant or consented to by any user in the tenant. You may have sent your "
                              "authentication request to the wrong tenant.", client, tenant);
    case 7000215:
      return g_strdup_printf ("Invalid client secret provided. Ensure the secret being sent in the request is the "
                              "client secret value, not the client secret ID, for a secret added to app '%s'.",
                              client);
    case 7000222:
      return g_strdup_printf ("The provided client secret keys for app '%s' are expired. Visit the Azure portal "
                              "to create new keys for your app: https://aka.ms/NewClientSecret, or consider using "
                              "certificate credentials for added security: https://aka.ms/certCreds.", client);
    case 700027:
      return g_strdup_printf ("Client assertion failed signature validation. [Reason - %s, Client app ID: %s]",
                              detail != NULL ? detail : "The key was not found.", client);
    case 700021:
      return g_strdup ("Client assertion application identifier doesn't match 'client_id' parameter. Review the "
                       "documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/"
                       "active-directory-certificate-credentials .");
    case 700024:
      return g_strdup_printf ("Client assertion is not within its valid time range. %s",
                              detail != NULL ? detail : "");
    case 50027:
      return g_strdup_printf ("JWT token is invalid or malformed. %s", detail != NULL ? detail : "");
    case 70011:
      return g_strdup_printf ("The provided request must include a 'scope' input parameter. The provided value "
                              "for the input parameter 'scope' is not valid. The scope %s is not valid.",
                              detail != NULL ? detail : "");
    case 7000216:
      return g_strdup ("'client_assertion', 'client_secret' or 'request' is required for the "
                       "'client_credentials' grant type.");
    case 7000218:
      return g_strdup ("The request body must contain the following parameter: 'client_assertion' or "
                       "'client_secret'.");
    case 900144:
      return g_strdup_printf ("The request body must contain the following parameter: '%s'.",
                              detail != NULL ? detail : "grant_type");
    case 70003:
      return g_strdup_printf ("The app requested an unsupported grant type '%s'.", detail != NULL ? detail : "");
    case 900561:
      return g_strdup_printf ("The endpoint only accepts POST, OPTIONS requests. Received a %s request.",
                              call->method);
    case 90023:
      return g_strdup_printf ("Invalid request. %s", detail != NULL ? detail : "");
    case 90033:
      return g_strdup ("A transient error has occurred. Please try again.");
    case 50000:
      return g_strdup ("There was an error issuing a token or an issue with our sign-in service.");
    default:
      return g_strdup_printf ("Emulated error %u.", aadsts);
    }
}

static void
token_error_full (GraphCall *call, guint aadsts, const char *detail)
{
  const char *error;
  guint status;
  g_autofree char *message = token_error_message (call, aadsts, detail);
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc (call->now / GRAPH_USEC_PER_SEC);
  g_autofree char *timestamp = g_date_time_format (now, "%Y-%m-%d %H:%M:%SZ");
  g_autofree char *description = NULL;
  g_autofree char *uri = g_strdup_printf ("%s/error?code=%u", call->base, aadsts);
  JsonObject *body = json_object_new ();
  JsonArray *codes = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  switch (aadsts)
    {
    case 90002:
      error = "invalid_tenant", status = 400;
      break;
    case 700016:
      error = "unauthorized_client", status = 400;
      break;
    case 7000215:
    case 7000222:
    case 700027:
    case 700021:
    case 700024:
    case 50027:
    case 7000216:
    case 7000218:
      error = "invalid_client", status = 401;
      break;
    case 70011:
      error = "invalid_scope", status = 400;
      break;
    case 70003:
      error = "unsupported_grant_type", status = 400;
      break;
    case 90033:
      error = "temporarily_unavailable", status = 503;
      break;
    case 50000:
      error = "server_error", status = 500;
      break;
    default:
      error = "invalid_request", status = 400;
      break;
    }
  description = g_strdup_printf ("AADSTS%u: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s", aadsts,
                                 message, call->request_id, call->request_id, timestamp);
  json_object_set_string_member (body, "error", error);
  json_object_set_string_member (body, "error_description", description);
  json_array_add_int_element (codes, aadsts);
  json_object_set_array_member (body, "error_codes", codes);
  json_object_set_string_member (body, "timestamp", timestamp);
  json_object_set_string_member (body, "trace_id", call->request_id);
  json_object_set_string_member (body, "correlation_id", call->request_id);
  json_object_set_string_member (body, "error_uri", uri);
  json_node_take_object (node, body);
  graph_call_reply (call, status, node);
}

void
graph_auth_token_error (GraphCall *call, guint aadsts)
{
  token_error_full (call, aadsts, NULL);
}

/* ---------------------------------------------------------------- tenants and scopes */

static gboolean
is_domain (const char *text)
{
  gboolean dot = FALSE;

  if (text == NULL || *text == '\0' || *text == '.' || *text == '-')
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '.')
        {
          if (p[1] == '\0' || p[1] == '.')
            return FALSE;
          dot = TRUE;
        }
      else if (!g_ascii_isalnum (*p) && *p != '-')
        return FALSE;
    }
  return dot;
}

static gboolean
scope_ok (GraphCall *call, const char *scope)
{
  GraphSwitches *sw = graph_server_switches (call->server);
  const char *const prefixes[] = { call->base, sw->graph_resource, "00000003-0000-0000-c000-000000000000" };

  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    {
      g_autofree char *wanted = g_strdup_printf ("%s/.default", prefixes[i]);
      g_autofree char *wanted_slash = g_strdup_printf ("%s//.default", prefixes[i]);

      if (g_ascii_strcasecmp (scope, wanted) == 0 || g_ascii_strcasecmp (scope, wanted_slash) == 0)
        return TRUE;
    }
  return FALSE;
}

/* ---------------------------------------------------------------- credentials */

static gboolean
check_secret (GraphCall *call, GraphApp *app, const char *secret)
{
  for (guint i = 0; i < app->secrets->len; i++)
    {
      GraphSecret *known = g_ptr_array_index (app->secrets, i);

      if (g_str_equal (known->value, secret))
        {
          if (known->expires != 0 && known->expires <= call->now)
            {
              graph_auth_token_error (call, 7000222);
              return FALSE;
            }
          return TRUE;
        }
    }
  graph_auth_token_error (call, 7000215);
  return FALSE;
}

static JsonObject *
decode_part (const char *text)
{
  g_autoptr(GBytes) bytes = graph_base64url_decode (text);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (bytes == NULL || g_bytes_get_size (bytes) == 0 ||
      !json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL))
    return NULL;
  root = json_parser_get_root (parser);
  return JSON_NODE_HOLDS_OBJECT (root) ? json_object_ref (json_node_get_object (root)) : NULL;
}

#ifdef GRAPH_HAVE_GNUTLS
static gboolean
signature_valid (GraphCert *cert, gboolean pss, const char *signed_text, GBytes *signature)
{
  gnutls_x509_crt_t crt = NULL;
  gnutls_pubkey_t key = NULL;
  gnutls_datum_t der = { (unsigned char *) g_bytes_get_data (cert->der, NULL), g_bytes_get_size (cert->der) };
  gnutls_datum_t data = { (unsigned char *) signed_text, strlen (signed_text) };
  gnutls_datum_t sig = { (unsigned char *) g_bytes_get_data (signature, NULL), g_bytes_get_size (signature) };
  gboolean ok = FALSE;

  if (gnutls_x509_crt_init (&crt) == 0 && gnutls_x509_crt_import (crt, &der, GNUTLS_X509_FMT_DER) == 0 &&
      gnutls_pubkey_init (&key) == 0 && gnutls_pubkey_import_x509 (key, crt, 0) == 0)
    ok = gnutls_pubkey_verify_data2 (key, pss ? GNUTLS_SIGN_RSA_PSS_RSAE_SHA256 : GNUTLS_SIGN_RSA_SHA256, 0,
                                     &data, &sig) >= 0;
  if (key != NULL)
    gnutls_pubkey_deinit (key);
  if (crt != NULL)
    gnutls_x509_crt_deinit (crt);
  return ok;
}
#endif

static gboolean
audience_ok (GraphCall *call, GraphTenant *tenant, const char *aud)
{
  GraphSwitches *sw = graph_server_switches (call->server);
  const char *const bases[] = { call->base, sw->login_authority };
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();

  g_ptr_array_add (keys, tenant->id);
  g_ptr_array_add (keys, call->tenant_key);
  for (guint i = 0; i < tenant->domains->len; i++)
    g_ptr_array_add (keys, g_ptr_array_index (tenant->domains, i));
  for (guint b = 0; b < G_N_ELEMENTS (bases); b++)
    for (guint k = 0; k < keys->len; k++)
      {
        g_autofree char *v2 = g_strdup_printf ("%s/%s/oauth2/v2.0/token", bases[b], (char *) keys->pdata[k]);
        g_autofree char *v1 = g_strdup_printf ("%s/%s/oauth2/token", bases[b], (char *) keys->pdata[k]);

        if (g_ascii_strcasecmp (aud, v2) == 0 || g_ascii_strcasecmp (aud, v1) == 0)
          return TRUE;
      }
  return FALSE;
}

static gboolean
check_assertion (GraphCall *call, GraphTenant *tenant, GraphApp *app, const char *assertion)
{
  g_auto(GStrv) parts = g_strsplit (assertion, ".", -1);
  g_autoptr(JsonObject) header = NULL;
  g_autoptr(JsonObject) claims = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autofree char *signed_text = NULL;
  const char *alg;
  const char *x5t256;
  const char *x5t;
  const char *kid;
  const char *iss;
  const char *sub;
  const char *aud;
  gint64 now = g_get_real_time () / GRAPH_USEC_PER_SEC;
  gint64 exp;
  gint64 nbf;
  GraphCert *cert = NULL;

  if (g_strv_length (parts) != 3 || (header = decode_part (parts[0])) == NULL ||
      (claims = decode_part (parts[1])) == NULL || (signature = graph_base64url_decode (parts[2])) == NULL ||
      g_bytes_get_size (signature) == 0)
    {
      token_error_full (call, 50027, "The assertion is not a signed JWT (header.claims.signature).");
      return FALSE;
    }
  alg = json_object_get_string_member_with_default (header, "alg", "");
  if (!g_str_equal (alg, "RS256") && !g_str_equal (alg, "PS256"))
    {
      token_error_full (call, 50027, "The assertion's alg must be RS256 or PS256.");
      return FALSE;
    }
  x5t256 = json_object_get_string_member_with_default (header, "x5t#S256", NULL);
  x5t = json_object_get_string_member_with_default (header, "x5t", NULL);
  kid = json_object_get_string_member_with_default (header, "kid", NULL);
  for (guint i = 0; i < app->certs->len && cert == NULL; i++)
    {
      GraphCert *candidate = g_ptr_array_index (app->certs, i);

      if ((x5t256 != NULL && g_str_equal (x5t256, candidate->x5t_s256)) ||
          (x5t256 == NULL && x5t != NULL && g_str_equal (x5t, candidate->x5t)) ||
          (x5t256 == NULL && x5t == NULL && kid != NULL && g_str_equal (kid, candidate->x5t)))
        cert = candidate;
    }
  if (cert == NULL)
    {
      g_autofree char *reason = g_strdup_printf ("The key was not found., Thumbprint of key used by client: '%s'",
                                                 x5t256 != NULL ? x5t256 : x5t != NULL ? x5t :
                                                 kid != NULL ? kid : "");

      token_error_full (call, 700027, reason);
      return FALSE;
    }
  signed_text = g_strdup_printf ("%s.%s", parts[0], parts[1]);
#ifdef GRAPH_HAVE_GNUTLS
  if (!signature_valid (cert, g_str_equal (alg, "PS256"), signed_text, signature))
    {
      token_error_full (call, 700027, "The signature does not match the registered certificate.");
      return FALSE;
    }
#else
  token_error_full (call, 700027, "This emulator was built without GnuTLS and cannot check signatures.");
  return FALSE;
#endif
  iss = json_object_get_string_member_with_default (claims, "iss", "");
  sub = json_object_get_string_member_with_default (claims, "sub", "");
  if (g_ascii_strcasecmp (iss, app->client_id) != 0 || g_ascii_strcasecmp (sub, app->client_id) != 0)
    {
      token_error_full (call, 700021, NULL);
      return FALSE;
    }
  aud = json_object_get_string_member_with_default (claims, "aud", "");
  if (!audience_ok (call, tenant, aud))
    {
      g_autofree char *reason = g_strdup_printf ("The assertion audience '%s' is not this token endpoint.", aud);

      token_error_full (call, 50027, reason);
      return FALSE;
    }
  exp = json_object_get_int_member_with_default (claims, "exp", 0);
  nbf = json_object_get_int_member_with_default (claims, "nbf", 0);
  if (exp == 0 || exp + CLOCK_SKEW < now || nbf - CLOCK_SKEW > now)
    {
      g_autofree char *reason = g_strdup_printf ("Current time: %" G_GINT64_FORMAT ", assertion valid from %"
                                                 G_GINT64_FORMAT ", expiry time of assertion %" G_GINT64_FORMAT,
                                                 now, nbf, exp);

      token_error_full (call, 700024, reason);
      return FALSE;
    }
  return TRUE;
}

/* Authorization: Basic base64(urlencoded id ":" urlencoded secret), RFC 6749 §2.3.1. */
static gboolean
basic_credentials (GraphCall *call, char **client_id, char **secret)
{
  const char *authorization = graph_call_request_header (call, "authorization");
  g_autofree guchar *decoded = NULL;
  gsize length = 0;
  g_autofree char *text = NULL;
  char *colon;

  if (authorization == NULL || g_ascii_strncasecmp (authorization, "Basic ", 6) != 0)
    return FALSE;
  decoded = g_base64_decode (authorization + 6, &length);
  text = g_strndup ((const char *) decoded, length);
  colon = strchr (text, ':');
  if (colon == NULL)
    return FALSE;
  *colon = '\0';
  *client_id = g_uri_unescape_string (text, NULL);
  *secret = g_uri_unescape_string (colon + 1, NULL);
  return *client_id != NULL && *secret != NULL;
}

/* ---------------------------------------------------------------- the endpoint */

void
graph_auth_token (GraphCall *call, const char *tenant_key)
{
  GraphServer *server = call->server;
  GraphState *state = graph_server_state (server);
  const char *content_type = graph_call_request_header (call, "content-type");
  g_autoptr(GHashTable) form = NULL;
  g_autofree char *basic_id = NULL;
  g_autofree char *basic_secret = NULL;
  const char *grant_type;
  const char *client_id;
  const char *secret;
  const char *assertion;
  const char *assertion_type;
  const char *scope;
  GraphTenant *tenant;
  GraphApp *app;
  GraphToken *token;
  JsonObject *body;
  JsonNode *node;

  graph_call_set_route (call, "/{tenant}/oauth2/v2.0/token");
  call->tenant_key = g_strdup (tenant_key);
  if (!g_str_equal (call->method, "POST"))
    {
      graph_auth_token_error (call, 900561);
      return;
    }
  if (!graph_is_guid (tenant_key) && !is_domain (tenant_key) && g_ascii_strcasecmp (tenant_key, "common") != 0 &&
      g_ascii_strcasecmp (tenant_key, "organizations") != 0)
    {
      graph_auth_token_error (call, 900023);
      return;
    }
  tenant = graph_state_tenant (state, tenant_key);
  if (tenant == NULL)
    {
      graph_auth_token_error (call, 90002);
      return;
    }

  if (content_type != NULL && g_ascii_strncasecmp (content_type, "application/x-www-form-urlencoded", 33) == 0 &&
      call->body != NULL)
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (call->body, NULL), g_bytes_get_size (call->body));

      form = soup_form_decode (text);
    }
  else
    form = g_hash_table_new (g_str_hash, g_str_equal);

  basic_credentials (call, &basic_id, &basic_secret);
  grant_type = g_hash_table_lookup (form, "grant_type");
  client_id = g_hash_table_lookup (form, "client_id");
  secret = g_hash_table_lookup (form, "client_secret");
  assertion = g_hash_table_lookup (form, "client_assertion");
  assertion_type = g_hash_table_lookup (form, "client_assertion_type");
  scope = g_hash_table_lookup (form, "scope");
  if (basic_id != NULL)
    {
      if ((client_id != NULL && g_ascii_strcasecmp (client_id, basic_id) != 0) || secret != NULL)
        {
          token_error_full (call, 90023, "Send the client credentials either in the body or in the "
                            "Authorization header, not both.");
          return;
        }
      client_id = basic_id;
      secret = basic_secret;
    }
  call->client_id = g_strdup (client_id);

  if (grant_type == NULL)
    {
      token_error_full (call, 900144, "grant_type");
      return;
    }
  if (!g_str_equal (grant_type, "client_credentials"))
    {
      token_error_full (call, 70003, grant_type);
      return;
    }
  if (client_id == NULL)
    {
      token_error_full (call, 900144, "client_id");
      return;
    }
  if (scope == NULL)
    {
      token_error_full (call, 900144, "scope");
      return;
    }
  if (!scope_ok (call, scope))
    {
      token_error_full (call, 70011, scope);
      return;
    }
  app = graph_tenant_app (tenant, client_id);
  if (app == NULL)
    {
      graph_auth_token_error (call, 700016);
      return;
    }
  if (secret != NULL && assertion != NULL)
    {
      token_error_full (call, 90023, "Send either client_secret or client_assertion, not both.");
      return;
    }
  if (secret == NULL && assertion == NULL)
    {
      graph_auth_token_error (call, 7000218);
      return;
    }
  if (secret != NULL && !check_secret (call, app, secret))
    return;
  if (assertion != NULL)
    {
      if (g_strcmp0 (assertion_type, JWT_BEARER) != 0)
        {
          token_error_full (call, 900144, "client_assertion_type");
          return;
        }
      if (!check_assertion (call, tenant, app, assertion))
        return;
    }

  token = graph_server_new_token (server, tenant, app, call->now);
  call->token = token;
  body = json_object_new ();
  json_object_set_string_member (body, "token_type", "Bearer");
  json_object_set_int_member (body, "expires_in", graph_server_switches (server)->token_lifetime);
  json_object_set_int_member (body, "ext_expires_in", graph_server_switches (server)->token_lifetime);
  json_object_set_string_member (body, "access_token", token->token);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, body);
  graph_call_reply (call, 200, node);
}

/* ---------------------------------------------------------------- bearer tokens */

static void
reply_unauthorized (GraphCall *call, const char *message)
{
  g_autofree char *www = g_strdup_printf ("Bearer realm=\"\", authorization_uri=\"%s/common/oauth2/authorize\", "
                                          "client_id=\"00000003-0000-0000-c000-000000000000\"", call->base);

  graph_call_error (call, 401, "InvalidAuthenticationToken", message);
  graph_call_header (call, "WWW-Authenticate", www);
}

gboolean
graph_auth_check (GraphCall *call)
{
  const char *authorization;
  const char *text;
  GraphToken *token;

  if (call->token != NULL)
    return TRUE;
  authorization = graph_call_request_header (call, "authorization");
  if (authorization == NULL || g_ascii_strncasecmp (authorization, "Bearer ", 7) != 0 || authorization[7] == '\0')
    {
      reply_unauthorized (call, "Access token is empty.");
      return FALSE;
    }
  text = authorization + 7;
  token = graph_server_lookup_token (call->server, text);
  if (token == NULL)
    {
      reply_unauthorized (call, strchr (text, '.') == NULL ?
                          "IDX14100: JWT is not well formed, there are no dots (.).\n"
                          "The token needs to be in JWS or JWE Compact Serialization Format." :
                          "Access token validation failure. Invalid audience.");
      return FALSE;
    }
  if (token->expires_at <= call->now)
    {
      reply_unauthorized (call, "Lifetime validation failed, the token is expired.");
      return FALSE;
    }
  call->token = token;
  return TRUE;
}

gboolean
graph_app_has (GraphApp *app, const char *const *any_of)
{
  for (guint i = 0; i < app->permissions->len; i++)
    for (guint j = 0; any_of[j] != NULL; j++)
      if (g_ascii_strcasecmp (g_ptr_array_index (app->permissions, i), any_of[j]) == 0)
        return TRUE;
  return FALSE;
}
