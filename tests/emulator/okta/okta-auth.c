/* okta-auth.c — API tokens (SSWS), the org authorization server's token
 * endpoint (client credentials with private_key_jwt, optional DPoP), and
 * the checks of every Management API call: credentials, scope, admin role
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * §1.3–§1.5 and §8 of the contract. Token endpoint errors have the OAuth
 * shape {error, error_description} with the descriptions of Okta's
 * oauth2-error-codes catalogue; API errors have Okta's shape.
 */

#include <string.h>

#include "okta-private.h"

#define JWT_BEARER     "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#define SKEW_MS        (60 * OKTA_MS_PER_SEC)
#define PROOF_AGE_MS   (300 * OKTA_MS_PER_SEC)
#define DPOP_ALGS      "RS256 RS384 RS512 ES256 ES384 ES512"

/* ---------------------------------------------------------------- API errors */

static char *
www_authenticate (OktaCall *call, const char *scheme, const char *error, const char *description,
                  const char *scope)
{
  GString *text = g_string_new (scheme);

  if (g_str_equal (scheme, "DPoP"))
    g_string_append (text, " algs=\"" DPOP_ALGS "\",");
  g_string_append_printf (text, " authorization_uri=\"%s/oauth2/v1/authorize\", realm=\"%s\"", call->base,
                          call->base);
  if (scope != NULL)
    g_string_append_printf (text, ", scope=\"%s\"", scope);
  g_string_append_printf (text, ", error=\"%s\", error_description=\"%s\", resource=\"%s\"", error, description,
                          call->path);
  return g_string_free (text, FALSE);
}

static const char *
presented_scheme (OktaCall *call)
{
  const char *authorization = okta_call_request_header (call, "authorization");

  if (authorization != NULL && g_ascii_strncasecmp (authorization, "DPoP ", 5) == 0)
    return "DPoP";
  if (authorization != NULL && g_ascii_strncasecmp (authorization, "Bearer ", 7) == 0)
    return "Bearer";
  return NULL;
}

void
okta_auth_invalid_token (OktaCall *call, const char *description)
{
  const char *scheme = presented_scheme (call);

  okta_call_error (call, 401, "E0000011", NULL);
  if (scheme != NULL)
    {
      g_autofree char *header = www_authenticate (call, scheme, "invalid_token", description, call->scope);

      okta_call_header (call, "WWW-Authenticate", header);
    }
}

static void
invalid_proof (OktaCall *call, const char *error, const char *description)
{
  g_autofree char *header = www_authenticate (call, "DPoP", error, description, call->scope);

  okta_call_error (call, 401, "E0000011", NULL);
  okta_call_header (call, "WWW-Authenticate", header);
}

void
okta_auth_insufficient_scope (OktaCall *call, const char *scope)
{
  const char *scheme = presented_scheme (call);
  g_autofree char *header = www_authenticate (call, scheme != NULL ? scheme : "Bearer", "insufficient_scope",
                                              "The access token provided does not contain the required scopes.",
                                              scope);

  /* 403 with no body at all (§1.4). */
  okta_call_reply (call, 403, NULL);
  okta_call_header (call, "WWW-Authenticate", header);
}

/* ---------------------------------------------------------------- DPoP proofs */

static char *
access_token_hash (const char *token)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize size = sizeof digest;

  g_checksum_update (checksum, (const guchar *) token, strlen (token));
  g_checksum_get_digest (checksum, digest, &size);
  return okta_base64url (digest, size);
}

/* Checks a DPoP proof for @htm and @htu. Returns NULL when it is good (and
 * sets *@jkt, *@claims); else the description of what is wrong. */
static const char *
check_proof (OktaCall *call, const char *proof, const char *htm, const char *htu, const char *access_token,
             char **jkt, JsonObject **claims_out)
{
  g_autoptr(OktaJws) jws = okta_jws_parse (proof);
  JsonNode *jwk_node;
  JsonObject *jwk;
  const char *jti;
  gint64 iat;
  g_autofree char *thumbprint = NULL;

  if (jws == NULL)
    return "The DPoP proof JWT cannot be parsed.";
  if (g_strcmp0 (json_object_get_string_member_with_default (jws->header, "typ", ""), "dpop+jwt") != 0)
    return "'typ' must be 'dpop+jwt' in the DPoP proof JWT.";
  if (!okta_jws_alg_ok (jws->alg))
    return "The DPoP proof JWT signature algorithm is invalid.";
  jwk_node = json_object_get_member (jws->header, "jwk");
  if (jwk_node == NULL || !JSON_NODE_HOLDS_OBJECT (jwk_node))
    return "The DPoP proof JWT is invalid.";
  jwk = json_node_get_object (jwk_node);
  if (okta_jws_verify (jws, jwk) != OKTA_JWS_OK)
    return "The DPoP proof JWT signature is invalid.";
  if (g_strcmp0 (json_object_get_string_member_with_default (jws->claims, "htm", ""), htm) != 0)
    return "'htm' claim in the DPoP proof JWT is invalid.";
  if (g_strcmp0 (json_object_get_string_member_with_default (jws->claims, "htu", ""), htu) != 0)
    return "'htu' claim in the DPoP proof JWT is invalid.";
  iat = json_object_get_int_member_with_default (jws->claims, "iat", 0) * OKTA_MS_PER_SEC;
  if (iat == 0)
    return "'iat' claim in the DPoP proof JWT is invalid.";
  if (iat > call->now + SKEW_MS)
    return "The DPoP proof JWT is issued in the future.";
  if (iat < call->now - PROOF_AGE_MS)
    return "The DPoP proof JWT is issued more than five minutes in the past.";
  jti = json_object_get_string_member_with_default (jws->claims, "jti", NULL);
  if (jti == NULL || *jti == '\0')
    return "'jti' claim in the DPoP proof JWT is invalid.";
  thumbprint = okta_jwk_thumbprint (jwk);
  if (thumbprint == NULL)
    return "The DPoP proof JWT is invalid.";
  if (access_token != NULL)
    {
      g_autofree char *ath = access_token_hash (access_token);

      if (g_strcmp0 (json_object_get_string_member_with_default (jws->claims, "ath", ""), ath) != 0)
        return "'ath' claim in the DPoP proof does not match the presented access_token.";
    }
  if (!okta_server_use_jti (call->server, call->server->proof_jtis, jti, call->now + PROOF_AGE_MS + SKEW_MS,
                            call->now))
    return "The DPoP proof JWT has already been used.";
  *jkt = g_steal_pointer (&thumbprint);
  if (claims_out != NULL)
    *claims_out = json_object_ref (jws->claims);
  return NULL;
}

/* ---------------------------------------------------------------- the token endpoint */

static gboolean
scope_granted (GPtrArray *granted, const char *scope)
{
  g_autofree char *manage = NULL;

  if (g_ptr_array_find_with_equal_func (granted, scope, g_str_equal, NULL))
    return TRUE;
  /* .manage is a superset of .read. */
  if (g_str_has_suffix (scope, ".read"))
    {
      manage = g_strdup_printf ("%.*s.manage", (int) (strlen (scope) - 5), scope);
      return g_ptr_array_find_with_equal_func (granted, manage, g_str_equal, NULL);
    }
  return FALSE;
}

static void
client_error (OktaCall *call, const char *description)
{
  okta_call_oauth_error (call, 401, "invalid_client", description);
}

/* Checks the client assertion; returns the app, or NULL after answering. */
static OktaApp *
check_assertion (OktaCall *call, const char *assertion, const char *client_id)
{
  g_autoptr(OktaJws) jws = okta_jws_parse (assertion);
  g_autofree char *audience = g_strdup_printf ("%s%s", call->base, call->path);
  const char *iss;
  const char *sub;
  const char *kid;
  const char *aud;
  const char *jti;
  JsonNode *exp_node;
  gint64 exp;
  gint64 iat;
  OktaApp *app;
  gboolean verified = FALSE;
  gboolean kid_found = FALSE;

  if (jws == NULL)
    {
      client_error (call, "The parsing of the client_assertion failed.");
      return NULL;
    }
  iss = json_object_get_string_member_with_default (jws->claims, "iss", NULL);
  sub = json_object_get_string_member_with_default (jws->claims, "sub", NULL);
  app = okta_org_app (call->org, iss);
  if (app == NULL || (client_id != NULL && !g_str_equal (client_id, iss)))
    {
      client_error (call, "The issuer claim for client_assertion is not a valid client_id.");
      return NULL;
    }
  call->client_id = g_strdup (app->client_id);
  if (g_strcmp0 (sub, iss) != 0)
    {
      client_error (call, "The subject claim for client_assertion is not a valid client_id.");
      return NULL;
    }
  if (!okta_jws_alg_ok (jws->alg))
    {
      client_error (call, "The client_assertion JWT signature algorithm is invalid.");
      return NULL;
    }
  if (app->keys->len == 0)
    {
      client_error (call, "The client does not have a JWKSet configured, but the client_assertion requires one.");
      return NULL;
    }
  kid = json_object_get_string_member_with_default (jws->header, "kid", NULL);
  for (guint i = 0; i < app->keys->len && !verified; i++)
    {
      JsonObject *key = g_ptr_array_index (app->keys, i);

      if (kid != NULL && g_strcmp0 (json_object_get_string_member_with_default (key, "kid", NULL), kid) != 0)
        continue;
      kid_found = TRUE;
      verified = okta_jws_verify (jws, key) == OKTA_JWS_OK;
    }
  if (!kid_found)
    {
      client_error (call, "The client_assertion JWT kid is invalid.");
      return NULL;
    }
  if (!verified)
    {
      client_error (call, "The client_assertion signature is invalid.");
      return NULL;
    }
  aud = json_object_get_string_member_with_default (jws->claims, "aud", NULL);
  if (g_strcmp0 (aud, audience) != 0)
    {
      client_error (call, "The audience claim for client_assertion must be the endpoint invoked for the request.");
      return NULL;
    }
  exp_node = json_object_get_member (jws->claims, "exp");
  if (exp_node == NULL || !JSON_NODE_HOLDS_VALUE (exp_node) || json_node_get_value_type (exp_node) != G_TYPE_INT64)
    {
      client_error (call, "The client_assertion must contain the 'exp' claim as seconds since epoch.");
      return NULL;
    }
  exp = json_node_get_int (exp_node) * OKTA_MS_PER_SEC;
  if (exp <= call->now)
    {
      client_error (call, "The client_assertion token is expired.");
      return NULL;
    }
  if (exp > call->now + 3600 * OKTA_MS_PER_SEC + SKEW_MS)
    {
      client_error (call, "The client_assertion token has an expiration too far into the future.");
      return NULL;
    }
  iat = json_object_get_int_member_with_default (jws->claims, "iat", 0) * OKTA_MS_PER_SEC;
  if (iat > call->now + SKEW_MS)
    {
      client_error (call, "The client_assertion token must be issued before the current time.");
      return NULL;
    }
  jti = json_object_get_string_member_with_default (jws->claims, "jti", NULL);
  if (jti != NULL && g_hash_table_contains (call->server->assertion_jtis, jti))
    {
      client_error (call, "The client_assertion token has already been used.");
      return NULL;
    }
  return app;
}

void
okta_auth_token (OktaCall *call)
{
  OktaServer *server = call->server;
  const char *content_type = okta_call_request_header (call, "content-type");
  const char *authorization = okta_call_request_header (call, "authorization");
  g_autoptr(GHashTable) form = NULL;
  g_autoptr(GPtrArray) scopes = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) requested = NULL;
  g_autofree char *jkt = NULL;
  g_autoptr(JsonObject) assertion_claims = NULL;
  const char *grant_type;
  const char *client_id;
  const char *assertion;
  const char *assertion_type;
  const char *scope;
  const char *proof;
  OktaApp *app;
  OktaAccess *access;
  JsonObject *body;
  JsonNode *node;

  if (!g_str_equal (call->method, "POST"))
    {
      okta_call_oauth_error (call, 405, "invalid_request", "The endpoint only accepts POST requests.");
      return;
    }
  if (content_type == NULL || g_ascii_strncasecmp (content_type, "application/x-www-form-urlencoded", 33) != 0)
    {
      okta_call_oauth_error (call, 400, "invalid_request",
                             "The request must be sent as application/x-www-form-urlencoded.");
      return;
    }
  {
    g_autofree char *text = g_strndup (g_bytes_get_data (call->body, NULL), g_bytes_get_size (call->body));

    form = soup_form_decode (text);
  }
  if (call->raw_query != NULL && (g_hash_table_contains (call->query, "client_secret") ||
                                  g_hash_table_contains (call->query, "client_assertion")))
    {
      okta_call_oauth_error (call, 400, "invalid_request",
                             "Client credentials cannot be supplied via query parameters.");
      return;
    }
  grant_type = g_hash_table_lookup (form, "grant_type");
  client_id = g_hash_table_lookup (form, "client_id");
  assertion = g_hash_table_lookup (form, "client_assertion");
  assertion_type = g_hash_table_lookup (form, "client_assertion_type");
  scope = g_hash_table_lookup (form, "scope");
  call->client_id = g_strdup (client_id);

  if (call->n_segments != 3)
    {
      /* A custom authorization server cannot mint Okta API scopes. */
      okta_call_oauth_error (call, 400, "invalid_scope",
                             "One or more scopes are not configured for the authorization server resource.");
      return;
    }
  if ((authorization != NULL || g_hash_table_contains (form, "client_secret")) && assertion != NULL)
    {
      okta_call_oauth_error (call, 401, "invalid_request",
                             "Cannot supply multiple client credentials. Use one of the following: credentials in "
                             "the Authorization header, credentials in the post body, or a client_assertion in the "
                             "post body.");
      return;
    }
  if (authorization != NULL || g_hash_table_contains (form, "client_secret"))
    {
      if (authorization != NULL && g_ascii_strncasecmp (authorization, "Basic ", 6) != 0)
        client_error (call, "Found Authentication header but was not valid client credentials.");
      else if (authorization == NULL && okta_org_app (call->org, client_id) == NULL)
        client_error (call, "Invalid value for 'client_id' parameter.");
      else
        client_error (call, "Client Credentials requests to the Org Authorization Server must use the "
                      "private_key_jwt token_endpoint_auth_method.");
      return;
    }
  if (grant_type == NULL)
    {
      okta_call_oauth_error (call, 400, "invalid_request",
                             "The token request must specify a 'grant_type'. Valid values: [client_credentials]");
      return;
    }
  if (!g_str_equal (grant_type, "client_credentials"))
    {
      okta_call_oauth_error (call, 400, "unsupported_grant_type",
                             "The authorization grant type is not supported by the authorization server. "
                             "Configured grant types: [client_credentials].");
      return;
    }
  if (assertion == NULL)
    {
      client_error (call, "No client credentials found.");
      return;
    }
  if (g_strcmp0 (assertion_type, JWT_BEARER) != 0)
    {
      okta_call_oauth_error (call, 400, "invalid_request", "The client_assertion_type is invalid.");
      return;
    }
  app = check_assertion (call, assertion, client_id);
  if (app == NULL)
    return;

  if (scope == NULL || *scope == '\0')
    {
      okta_call_oauth_error (call, 400, "invalid_scope", "No scopes were requested.");
      return;
    }
  requested = g_strsplit (scope, " ", -1);
  for (guint i = 0; requested[i] != NULL; i++)
    {
      if (*requested[i] == '\0')
        continue;
      if (!scope_granted (app->scopes, requested[i]))
        {
          okta_call_oauth_error (call, 400, "invalid_scope",
                                 "The requested scope is invalid, unknown, malformed, or exceeds the scope granted "
                                 "by the resource owner.");
          return;
        }
      g_ptr_array_add (scopes, g_strdup (requested[i]));
    }

  proof = okta_call_request_header (call, "dpop");
  if (app->dpop || proof != NULL)
    {
      g_autofree char *htu = g_strdup_printf ("%s%s", call->base, call->path);
      g_autoptr(JsonObject) proof_claims = NULL;
      const char *problem;

      if (proof == NULL)
        {
          okta_call_oauth_error (call, 400, "invalid_dpop_proof", "The DPoP proof JWT header is missing.");
          return;
        }
      problem = check_proof (call, proof, "POST", htu, NULL, &jkt, &proof_claims);
      if (problem != NULL)
        {
          okta_call_oauth_error (call, 400, "invalid_dpop_proof", problem);
          return;
        }
      if (g_strcmp0 (json_object_get_string_member_with_default (proof_claims, "nonce", NULL),
                     server->dpop_nonce) != 0)
        {
          okta_call_oauth_error (call, 400, "use_dpop_nonce", "Authorization server requires nonce in DPoP proof.");
          okta_call_header (call, "DPoP-Nonce", server->dpop_nonce);
          return;
        }
    }

  /* The assertion is spent only once it bought a token. */
  {
    g_autoptr(OktaJws) jws = okta_jws_parse (assertion);
    const char *jti = json_object_get_string_member_with_default (jws->claims, "jti", NULL);

    if (jti != NULL)
      okta_server_use_jti (server, server->assertion_jtis, jti,
                           json_object_get_int_member (jws->claims, "exp") * OKTA_MS_PER_SEC, call->now);
  }
  access = okta_server_new_access (server, call->org, app, scopes, jkt, call->now);
  body = json_object_new ();
  json_object_set_string_member (body, "token_type", jkt != NULL ? "DPoP" : "Bearer");
  json_object_set_int_member (body, "expires_in", server->sw.token_lifetime);
  json_object_set_string_member (body, "access_token", access->value);
  json_object_set_string_member (body, "scope", scope);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, body);
  okta_call_reply (call, 200, node);
}

/* ---------------------------------------------------------------- API calls */

static gboolean
check_rights (OktaCall *call, guint rights)
{
  if ((rights & call->rights) != call->rights)
    {
      okta_call_error (call, 403, "E0000006", NULL);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_api_token (OktaCall *call, const char *value)
{
  OktaApiToken *token = okta_org_token (call->org, value);
  OktaSwitches *sw = &call->server->sw;
  OktaUser *admin;

  call->auth_scheme = "SSWS";
  if (token == NULL || token->revoked || (token->expires != 0 && call->now >= token->expires) ||
      call->now - token->last_used > sw->token_idle_days * OKTA_MS_PER_DAY)
    {
      okta_call_error (call, 401, "E0000011", NULL);
      return FALSE;
    }
  /* A token dies with its creator's account. */
  admin = token->admin_id != NULL ? okta_org_user (call->org, token->admin_id) : NULL;
  if (token->admin_id != NULL &&
      (admin == NULL || admin->status == OKTA_DEPROVISIONED || admin->status == OKTA_SUSPENDED))
    {
      okta_call_error (call, 401, "E0000011", NULL);
      return FALSE;
    }
  token->last_used = call->now;
  call->api_token = token;
  return check_rights (call, token->rights);
}

static gboolean
check_access (OktaCall *call, const char *scheme, const char *value)
{
  OktaAccess *access = okta_server_lookup_access (call->server, value);
  gboolean dpop = g_str_equal (scheme, "DPoP");

  call->auth_scheme = dpop ? "DPoP" : "Bearer";
  if (access == NULL || access->org != call->org)
    {
      okta_auth_invalid_token (call, "The access token is invalid.");
      return FALSE;
    }
  if (access->expires_at <= call->now)
    {
      okta_auth_invalid_token (call, "The token has expired.");
      return FALSE;
    }
  call->access = access;
  if (access->jkt != NULL && !dpop)
    {
      invalid_proof (call, "invalid_request",
                     "The resource request must use the DPoP authentication scheme when using a DPoP bound token.");
      return FALSE;
    }
  if (access->jkt == NULL && dpop)
    {
      okta_auth_invalid_token (call, "The presented access_token is not DPoP bound.");
      return FALSE;
    }
  if (dpop)
    {
      const char *proof = okta_call_request_header (call, "dpop");
      g_autofree char *htu = g_strdup_printf ("%s%s", call->base, call->path);
      g_autofree char *jkt = NULL;
      const char *problem;

      if (proof == NULL)
        {
          invalid_proof (call, "invalid_dpop_proof", "The DPoP proof JWT header is missing.");
          return FALSE;
        }
      problem = check_proof (call, proof, call->method, htu, value, &jkt, NULL);
      if (problem == NULL && g_strcmp0 (jkt, access->jkt) != 0)
        problem = "The access_token is not bound to the provided DPoP proof.";
      if (problem != NULL)
        {
          invalid_proof (call, "invalid_dpop_proof", problem);
          return FALSE;
        }
    }
  if (call->scope != NULL && !scope_granted (access->scopes, call->scope))
    {
      okta_auth_insufficient_scope (call, call->scope);
      return FALSE;
    }
  /* Silent downscoping: the scope is in the token, the role may still lack it. */
  return check_rights (call, access->app->rights);
}

gboolean
okta_auth_check (OktaCall *call)
{
  const char *authorization = okta_call_request_header (call, "authorization");

  if (authorization != NULL && g_ascii_strncasecmp (authorization, "SSWS ", 5) == 0)
    return check_api_token (call, authorization + 5);
  if (authorization != NULL && g_ascii_strncasecmp (authorization, "Bearer ", 7) == 0)
    return check_access (call, "Bearer", authorization + 7);
  if (authorization != NULL && g_ascii_strncasecmp (authorization, "DPoP ", 5) == 0)
    return check_access (call, "DPoP", authorization + 5);
  okta_call_error (call, 401, "E0000011", NULL);
  return FALSE;
}
