/* ps-graph-client.c — token, retries, paging and the reads of Microsoft Graph
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "ps-graph-client.h"
#include "ps-http-util.h"
#include "ps-entra-certificate.h"
#include "ps-secret-store.h"

#define DEFAULT_TIMEOUT_S       60
#define DEFAULT_CONCURRENCY     4
#define MAX_CONCURRENCY         16
#define DEFAULT_MAX_ATTEMPTS    6
#define DEFAULT_BACKOFF_BASE_MS 1000
#define DEFAULT_BACKOFF_CAP_MS  (60 * 1000)
#define RETRY_AFTER_MAX_S       180   /* Kiota's cap; a longer Retry-After is cut to it */
#define TOKEN_RENEW_MARGIN_S    120   /* renew 2 min before expiry (§1.3) */
#define TOKEN_DEFAULT_LIFE_S    3599
#define MAX_UNCLASSIFIED_IDS    100
#define MAX_PAGES               1000000  /* a server that never ends a round */
#define MAX_SAME_LINK           5        /* the same nextLink in a row */
#define TEST_MEMBERS            5

#define PERMISSION_USERS       "User.Read.All"
#define PERMISSION_MEMBERS     "GroupMember.Read.All"
#define GROUP_SELECT           "id,displayName,description,groupTypes,securityEnabled,mailEnabled"
#define DELETED_USER_SELECT    "id,userPrincipalName,displayName,deletedDateTime"

struct _PsGraphClient
{
  GObject        parent_instance;

  PsEntraConfig  config;           /* our copy, defaults filled in */
  char          *secret;           /* wiped on finalize; a key's passphrase with a certificate */
  PsEntraCertificate *certificate; /* a client assertion instead of the secret, or NULL */
  gboolean       secret_looks_like_id;
  GUri          *login_uri;
  GUri          *graph_uri;
  char          *token_url;
  char          *graph_root;       /* {graph_base}/v1.0 */
  char          *scope;            /* {graph_base}/.default */
  SoupSession   *session;
  GTlsDatabase  *extra_ca;

  PsHttpGate     gate;             /* slots and holds; its lock guards everything below,
                                    * its cond also wakes token waiters */
  char          *token;            /* wiped when replaced */
  gint64         token_renew_at;   /* monotonic µs */
  guint64        token_generation;
  gboolean       token_busy;       /* one thread is fetching a token */
  guint          max_attempts;
  guint          backoff_base_ms;
  guint          backoff_cap_ms;
  PsGraphStats   stats;
};

/* One request and what came of it. */
typedef struct {
  /* in */
  const char *method;
  const char *url;                 /* absolute */
  GBytes     *body;                /* the token request's form, or NULL */
  gboolean    token_request;
  gboolean    delta;
  const char *permission;
  const char *action;              /* translated, for messages */
  /* out */
  guint       status;
  GBytes     *response;
  char       *content_type;
  char       *retry_after;
  PsHttpProgress progress;
  gboolean    malformed;           /* it failed on a 2xx answer that stayed unreadable */
  guint       attempts;
} Request;

/* A page handler: the page's root object; FALSE with @error to fail, or
 * *@stop = TRUE to end the read early (the pages after are not asked for). */
typedef gboolean (*PageHandler) (PsGraphClient  *self,
                                 JsonObject     *page,
                                 gpointer        data,
                                 gboolean       *stop,
                                 GError        **error);

/* State of a members read. */
typedef struct {
  PsGraphMemberReport *report;
  GHashTable          *seen;       /* member ids delivered */
  gboolean             users_only;
  gboolean             check_limited;
  PsGraphPageFunc      func;
  gpointer             user_data;
} MembersRead;

G_DEFINE_TYPE (PsGraphClient, ps_graph_client, G_TYPE_OBJECT)

/* Graph's spelling. "a.b" is the member b of the object property a. */
static const char *const user_attribute_names[] = {
  "mail", "userPrincipalName", "givenName", "surname", "displayName", "department",
  "jobTitle", "employeeId", "employeeType", "mobilePhone", "businessPhones", "faxNumber",
  "officeLocation", "companyName", "streetAddress", "city", "state", "postalCode", "country",
  "usageLocation", "preferredLanguage", "mailNickname", "otherMails", "proxyAddresses",
  "userType", "accountEnabled", "employeeHireDate", "createdDateTime",
  "onPremisesSecurityIdentifier", "onPremisesImmutableId", "onPremisesSamAccountName",
  "onPremisesUserPrincipalName", "onPremisesDistinguishedName", "onPremisesDomainName",
  "employeeOrgData.costCenter", "employeeOrgData.division",
  "onPremisesExtensionAttributes.extensionAttribute1",
  "onPremisesExtensionAttributes.extensionAttribute2",
  "onPremisesExtensionAttributes.extensionAttribute3",
  "onPremisesExtensionAttributes.extensionAttribute4",
  "onPremisesExtensionAttributes.extensionAttribute5",
  "onPremisesExtensionAttributes.extensionAttribute6",
  "onPremisesExtensionAttributes.extensionAttribute7",
  "onPremisesExtensionAttributes.extensionAttribute8",
  "onPremisesExtensionAttributes.extensionAttribute9",
  "onPremisesExtensionAttributes.extensionAttribute10",
  "onPremisesExtensionAttributes.extensionAttribute11",
  "onPremisesExtensionAttributes.extensionAttribute12",
  "onPremisesExtensionAttributes.extensionAttribute13",
  "onPremisesExtensionAttributes.extensionAttribute14",
  "onPremisesExtensionAttributes.extensionAttribute15",
  "id",
  NULL
};

/* §7.2 */
static const char *const default_user_select[] = {
  "id", "userPrincipalName", "mail", "givenName", "surname", "displayName", "department",
  "jobTitle", "employeeId", "accountEnabled", "onPremisesSecurityIdentifier",
  "onPremisesImmutableId", "onPremisesSamAccountName", "userType", "mobilePhone",
  "businessPhones", "officeLocation", "companyName",
  NULL
};

/* ---------------------------------------------------------------- small helpers */

static gboolean
looks_like_guid (const char *text)
{
  if (text == NULL || strlen (text) != 36)
    return FALSE;
  for (guint i = 0; i < 36; i++)
    {
      if (i == 8 || i == 13 || i == 18 || i == 23)
        {
          if (text[i] != '-')
            return FALSE;
        }
      else if (!g_ascii_isxdigit (text[i]))
        return FALSE;
    }
  return TRUE;
}

static char *
trim_base (const char *base,
           const char *fallback)
{
  char *out = g_strdup (base != NULL && *base != '\0' ? base : fallback);

  g_strstrip (out);
  while (g_str_has_suffix (out, "/"))
    out[strlen (out) - 1] = '\0';
  return out;
}

/* An OData string literal: quotes doubled (O'Brien → 'O''Brien'). */
static char *
odata_quote (const char *text)
{
  GString *out = g_string_new ("'");

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '\'')
        g_string_append_c (out, '\'');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '\'');
  return g_string_free (out, FALSE);
}

/* A query value: every reserved character percent-encoded (RFC 3986). */
static char *
query_escape (const char *text)
{
  return g_uri_escape_string (text, NULL, TRUE);
}

/* ---------------------------------------------------------------- retries */

static gboolean
status_is_retryable (guint status,
                     guint attempts)
{
  /* 500 generalException: one more try for an idempotent GET (§6.1). */
  if (status == 500)
    return attempts < 2;
  return status == 408 || status == 429 || status == 502 || status == 503 || status == 504;
}

/* ---------------------------------------------------------------- one exchange */

static void
request_clear (Request *req)
{
  g_clear_pointer (&req->response, g_bytes_unref);
  g_clear_pointer (&req->content_type, g_free);
  g_clear_pointer (&req->retry_after, g_free);
}

static GError *
request_error (PsGraphClient *self,
               Request       *req,
               const GError  *transport_error)
{
  g_autofree char *path = ps_http_url_path (req->url);
  g_autofree char *host = ps_http_url_host (req->url);
  PsEntraExchange x = {
    .method = req->method,
    .path = path,
    .host = host,
    .status = transport_error != NULL ? 0 : req->status,
    .content_type = req->content_type,
    .body = req->response,
    .transport_error = transport_error,
    .request_sent = req->progress.request_sent,
    .answer_started = req->progress.answer_started,
    .attempts = req->attempts,
    .token_request = req->token_request,
    .delta = req->delta,
    .permission = req->permission,
    .action = req->action,
    .tenant = self->config.tenant,
    .client_id = self->config.client_id,
    .graph_base = self->config.graph_base,
    .secret_looks_like_id = self->secret_looks_like_id,
  };

  return ps_entra_error_from_http (&x);
}

static GError *
shape_error (Request    *req,
             const char *what)
{
  g_autofree char *path = ps_http_url_path (req->url);

  return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNEXPECTED,
                      /* Translators: e.g. "GET /v1.0/users answered 200 without a value list" */
                      _("%s %s answered %u %s. Try again later; if it keeps happening, a proxy "
                        "may be changing the answers."),
                      req->method, path, req->status, what);
}

/* Sends @req once. FALSE with @transport_error when no full answer came. */
static gboolean
send_once (PsGraphClient  *self,
           Request        *req,
           const char     *token,
           GCancellable   *cancellable,
           GError        **transport_error)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *client_request_id = g_uuid_string_random ();
  g_autofree char *path = NULL;
  SoupMessageHeaders *headers;
  SoupMessageHeaders *answer;
  const char *request_id;

  /* Every request is idempotent: the reads, and the token request. */
  msg = ps_http_message_new (req->method, req->url, self->extra_ca, &req->progress, &local);
  if (msg == NULL)
    {
      g_propagate_error (transport_error, g_steal_pointer (&local));
      return FALSE;
    }
  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "client-request-id", client_request_id);
  if (token != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (headers, "Authorization", value);
      ps_http_wipe_string (value);
    }
  if (req->body != NULL)
    soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded",
                                              req->body);

  request_clear (req);
  req->status = 0;
  g_mutex_lock (&self->gate.lock);
  if (req->token_request)
    self->stats.token_requests++;
  else
    self->stats.requests++;
  g_mutex_unlock (&self->gate.lock);

  bytes = ps_http_message_send (self->session, msg, &req->progress, cancellable, &local);
  path = ps_http_url_path (req->url);
  if (local != NULL)
    {
      g_debug ("%s %s: %s (%s; client-request-id %s)", req->method, path, local->message,
               ps_http_progress_describe (&req->progress), client_request_id);
      g_propagate_error (transport_error, g_steal_pointer (&local));
      return FALSE;
    }
  answer = soup_message_get_response_headers (msg);
  req->status = soup_message_get_status (msg);
  req->response = g_steal_pointer (&bytes);
  req->content_type = g_strdup (soup_message_headers_get_content_type (answer, NULL));
  req->retry_after = g_strdup (soup_message_headers_get_one (answer, "Retry-After"));
  request_id = soup_message_headers_get_one (answer, "request-id");
  g_debug ("%s %s → %u (%" G_GSIZE_FORMAT " bytes, attempt %u, request-id %s)", req->method,
           path, req->status, g_bytes_get_size (req->response), req->attempts,
           request_id != NULL ? request_id : client_request_id);
  return TRUE;
}

/* ---------------------------------------------------------------- tokens */

static gboolean request_run (PsGraphClient *self, Request *req, JsonNode **root,
                             GCancellable *cancellable, GError **error);

/* The form of the token request (§1.1, §1.2): the secret, or a freshly
 * signed client assertion. The buffer is wiped when freed. */
static GBytes *
token_form (PsGraphClient  *self,
            GError        **error)
{
  g_autofree char *client_id = query_escape (self->config.client_id);
  g_autofree char *scope = query_escape (self->scope);
  g_autoptr(PsSecretString) credential = NULL;
  g_autoptr(PsSecretString) escaped = NULL;
  const char *field = "client_secret";
  GString *form;
  char *text;
  gsize length;

  if (self->certificate != NULL)
    {
      credential = ps_entra_certificate_sign_assertion (self->certificate, self->token_url,
                                                        self->config.client_id,
                                                        self->config.certificate_rs256,
                                                        g_get_real_time () / G_USEC_PER_SEC,
                                                        error);
      if (credential == NULL)
        return NULL;
      field = "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type"
              "%3Ajwt-bearer&client_assertion";
    }
  else
    credential = g_strdup (self->secret);
  escaped = query_escape (credential);
  /* Sized once, so that no copy of the credential is left behind by a
   * reallocation. */
  form = g_string_sized_new (strlen (client_id) + strlen (scope) + strlen (escaped)
                             + strlen (field) + 128);
  g_string_append_printf (form, "client_id=%s&scope=%s&%s=%s&grant_type=client_credentials",
                          client_id, scope, field, escaped);
  length = form->len;
  text = g_string_free (form, FALSE);
  /* The free function gets the user data: the buffer, wiped then freed. */
  return g_bytes_new_with_free_func (text, length, (GDestroyNotify) ps_secret_free, text);
}

static gboolean
fetch_token (PsGraphClient  *self,
             GCancellable   *cancellable,
             GError        **error)
{
  g_autoptr(GBytes) form = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;
  JsonNode *expires;
  const char *access_token;
  gint64 life = TOKEN_DEFAULT_LIFE_S;
  gint64 margin;
  Request req = {
    .method = "POST",
    .url = self->token_url,
    .token_request = TRUE,
    .action = _("sign in"),
  };

  form = token_form (self, error);
  if (form == NULL)
    return FALSE;
  req.body = form;
  if (!request_run (self, &req, &root, cancellable, error))
    {
      request_clear (&req);
      return FALSE;
    }
  object = json_node_get_object (root);
  access_token = ps_http_json_string (object, "access_token");
  if (access_token == NULL || *access_token == '\0')
    {
      g_propagate_error (error, shape_error (&req, _("without an access token")));
      request_clear (&req);
      return FALSE;
    }
  if (ps_http_json_string (object, "token_type") != NULL
      && g_ascii_strcasecmp (ps_http_json_string (object, "token_type"), "Bearer") != 0)
    g_debug ("token type %s, used as a bearer token", ps_http_json_string (object, "token_type"));
  /* expires_in is a number (v2.0); older endpoints sent it as a string. */
  expires = json_object_get_member (object, "expires_in");
  if (expires != NULL && JSON_NODE_HOLDS_VALUE (expires))
    {
      if (json_node_get_value_type (expires) == G_TYPE_INT64)
        life = json_node_get_int (expires);
      else if (json_node_get_value_type (expires) == G_TYPE_STRING)
        life = g_ascii_strtoll (json_node_get_string (expires), NULL, 10);
    }
  if (life <= 0)
    life = 60;
  /* 2 minutes early (§1.3); a quarter of a short test lifetime. */
  margin = MIN ((gint64) TOKEN_RENEW_MARGIN_S * G_USEC_PER_SEC, life * G_USEC_PER_SEC / 4);

  g_mutex_lock (&self->gate.lock);
  g_clear_pointer (&self->token, ps_secret_free);
  self->token = g_strdup (access_token);
  memset ((char *) access_token, 0, strlen (access_token));
  self->token_renew_at = g_get_monotonic_time () + life * G_USEC_PER_SEC - margin;
  self->token_generation++;
  g_mutex_unlock (&self->gate.lock);
  g_debug ("signed in to %s as %s; token good for %" G_GINT64_FORMAT " s",
           self->config.tenant, self->config.client_id, life);

  /* The answer held the token: wipe our copy of it. */
  if (req.response != NULL)
    {
      gsize size = 0;
      char *data = (char *) g_bytes_get_data (req.response, &size);
      if (data != NULL)
        memset (data, 0, size);
    }
  json_object_remove_member (object, "access_token");
  request_clear (&req);
  return TRUE;
}

/* A copy of a good token (the caller wipes it), fetching one if needed. */
static char *
ensure_token (PsGraphClient  *self,
              guint64        *generation,
              GCancellable   *cancellable,
              GError        **error)
{
  gulong id = ps_http_gate_watch (&self->gate, cancellable);
  char *copy = NULL;
  gboolean fetch = FALSE;
  gboolean ok;

  g_mutex_lock (&self->gate.lock);
  while (!g_cancellable_is_cancelled (cancellable))
    {
      if (self->token != NULL && g_get_monotonic_time () < self->token_renew_at)
        {
          copy = g_strdup (self->token);
          *generation = self->token_generation;
          break;
        }
      if (!self->token_busy)
        {
          self->token_busy = TRUE;
          fetch = TRUE;
          break;
        }
      g_cond_wait (&self->gate.cond, &self->gate.lock);
    }
  g_mutex_unlock (&self->gate.lock);
  ps_http_gate_unwatch (cancellable, id);
  if (copy != NULL)
    return copy;
  if (!fetch)
    {
      g_cancellable_set_error_if_cancelled (cancellable, error);
      return NULL;
    }

  ok = fetch_token (self, cancellable, error);
  g_mutex_lock (&self->gate.lock);
  self->token_busy = FALSE;
  if (ok)
    {
      copy = g_strdup (self->token);
      *generation = self->token_generation;
    }
  g_cond_broadcast (&self->gate.cond);
  g_mutex_unlock (&self->gate.lock);
  return copy;
}

/* Drops the token Graph refused, unless another thread renewed it already. */
static void
invalidate_token (PsGraphClient *self,
                  guint64        generation)
{
  g_mutex_lock (&self->gate.lock);
  if (self->token_generation == generation)
    {
      g_clear_pointer (&self->token, ps_secret_free);
      self->token_renew_at = 0;
    }
  self->stats.renewals++;
  g_mutex_unlock (&self->gate.lock);
}

/* ---------------------------------------------------------------- the request loop */

/* Waits before the next try: Retry-After (held for every request when
 * @hold_all), else backoff. FALSE when no try is left or on cancellation. */
static gboolean
wait_retry (PsGraphClient  *self,
            Request        *req,
            gboolean        hold_all,
            GCancellable   *cancellable,
            GError        **error)
{
  gint64 delay = ps_http_parse_retry_after (req->retry_after, RETRY_AFTER_MAX_S);

  if (delay >= 0 && hold_all)
    ps_http_gate_hold (&self->gate, delay);
  if (delay < 0)
    delay = ps_http_backoff_us (self->backoff_base_ms, self->backoff_cap_ms, req->attempts);
  ps_http_gate_count (&self->gate, &self->stats.retries);
  g_debug ("retrying %s in %" G_GINT64_FORMAT " ms (attempt %u, status %u)", req->method,
           delay / 1000, req->attempts + 1, req->status);
  return ps_http_gate_sleep (&self->gate, delay, cancellable, error);
}

/* Runs @req with retries; on success *@root is the answer's JSON object. */
static gboolean
request_run (PsGraphClient  *self,
             Request        *req,
             JsonNode      **root,
             GCancellable   *cancellable,
             GError        **error)
{
  gboolean renewed = FALSE;

  req->attempts = 0;
  req->malformed = FALSE;
  for (;;)
    {
      g_autoptr(GError) transport = NULL;
      g_autoptr(GError) local = NULL;
      g_autofree char *token = NULL;
      guint64 generation = 0;
      gboolean sent;

      if (!req->token_request)
        {
          token = ensure_token (self, &generation, cancellable, error);
          if (token == NULL)
            return FALSE;
        }
      if (!ps_http_gate_acquire (&self->gate, NULL, NULL, cancellable, error))
        {
          ps_http_wipe_string (token);
          return FALSE;
        }
      req->attempts++;
      sent = send_once (self, req, token, cancellable, &transport);
      ps_http_gate_release (&self->gate);
      ps_http_wipe_string (token);

      if (!sent)
        {
          if (g_error_matches (transport, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_propagate_error (error, g_steal_pointer (&transport));
              return FALSE;
            }
          if (ps_http_error_is_connection (transport))
            {
              guint most = ps_http_connection_attempts (&req->progress, self->max_attempts);

              ps_http_gate_count (&self->gate, &self->stats.connection_errors);
              if (req->attempts < most)
                {
                  if (!wait_retry (self, req, FALSE, cancellable, error))
                    return FALSE;
                  continue;
                }
            }
          g_propagate_error (error, request_error (self, req, transport));
          return FALSE;
        }

      if (req->status >= 200 && req->status < 300)
        {
          g_autoptr(JsonNode) parsed = NULL;

          if (ps_http_is_web_page (req->content_type, req->response))
            {
              /* A proxy's or portal's page will be there next time too. */
              g_propagate_error (error, request_error (self, req, NULL));
              return FALSE;
            }
          parsed = ps_http_read_json (req->response);
          if (parsed != NULL && JSON_NODE_HOLDS_OBJECT (parsed))
            {
              *root = g_steal_pointer (&parsed);
              return TRUE;
            }
          /* Cut off or garbled: worth asking again. */
          ps_http_gate_count (&self->gate, &self->stats.malformed);
          if (req->attempts < self->max_attempts)
            {
              if (!wait_retry (self, req, FALSE, cancellable, error))
                return FALSE;
              continue;
            }
          req->malformed = TRUE;
          local = request_error (self, req, NULL);
          if (local == NULL)
            local = shape_error (req, _("with no data"));
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }

      if (req->status == 401 && !req->token_request && !renewed)
        {
          /* Expired or revoked: one new token, one more try (§0.7). */
          g_autofree char *code = ps_entra_error_graph_code (req->response);

          g_debug ("Graph refused the token (%s); renewing it once", code != NULL ? code : "401");
          renewed = TRUE;
          invalidate_token (self, generation);
          continue;
        }
      if (req->status == 429)
        ps_http_gate_count (&self->gate, &self->stats.throttled);
      else if (req->status >= 500)
        ps_http_gate_count (&self->gate, &self->stats.unavailable);
      if (status_is_retryable (req->status, req->attempts) && req->attempts < self->max_attempts)
        {
          if (!wait_retry (self, req, req->status == 429 || req->status == 503,
                           cancellable, error))
            return FALSE;
          continue;
        }
      g_propagate_error (error, request_error (self, req, NULL));
      return FALSE;
    }
}

/* GET @url as JSON. */
static JsonNode *
get_json (PsGraphClient  *self,
          const char     *url,
          const char     *permission,
          const char     *action,
          gboolean        delta,
          GCancellable   *cancellable,
          GError        **error)
{
  JsonNode *root = NULL;
  Request req = {
    .method = "GET",
    .url = url,
    .delta = delta,
    .permission = permission,
    .action = action,
  };

  request_run (self, &req, &root, cancellable, error);
  request_clear (&req);
  return root;
}

/* ---------------------------------------------------------------- paging */

/* TRUE when @link points at the configured Graph host: the token goes
 * nowhere else. */
static gboolean
link_is_ours (PsGraphClient *self,
              const char    *link)
{
  g_autoptr(GUri) uri = g_uri_parse (link, SOUP_HTTP_URI_FLAGS, NULL);
  int port;
  int our_port;

  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return FALSE;
  port = g_uri_get_port (uri);
  our_port = g_uri_get_port (self->graph_uri);
  return g_ascii_strcasecmp (g_uri_get_scheme (uri), g_uri_get_scheme (self->graph_uri)) == 0
         && g_ascii_strcasecmp (g_uri_get_host (uri), g_uri_get_host (self->graph_uri)) == 0
         && port == our_port;
}

static GError *
foreign_link_error (const char *link)
{
  g_autofree char *host = ps_http_url_host (link);

  return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNEXPECTED,
                      /* Translators: %s is a host name */
                      _("Microsoft Graph sent a link to the next page on another host (%s); "
                        "PandaSync does not follow it. Check the Graph URL in the profile and "
                        "any proxy."), host);
}

/* Reads @first_url and every @odata.nextLink after it, handing each page
 * to @handler. With @delta_link, the round must end with an
 * @odata.deltaLink, returned there. *@unreadable is set when the read
 * stopped on a page that stayed cut off, malformed or of the wrong shape. */
static gboolean
read_pages (PsGraphClient  *self,
            const char     *first_url,
            const char     *permission,
            const char     *action,
            gboolean        delta,
            PageHandler     handler,
            gpointer        data,
            char          **delta_link,
            gboolean       *unreadable,
            GCancellable   *cancellable,
            GError        **error)
{
  g_autofree char *url = g_strdup (first_url);
  guint same = 0;

  if (unreadable != NULL)
    *unreadable = FALSE;
  for (guint pages = 0; pages < MAX_PAGES; pages++)
    {
      g_autoptr(JsonNode) root = NULL;
      g_autoptr(GError) local = NULL;
      JsonObject *page;
      const char *next;
      const char *delta_next;
      gboolean stop = FALSE;
      Request req = {
        .method = "GET",
        .url = url,
        .delta = delta,
        .permission = permission,
        .action = action,
      };

      if (!request_run (self, &req, &root, cancellable, &local))
        {
          if (unreadable != NULL && req.malformed)
            *unreadable = TRUE;
          request_clear (&req);
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      page = json_node_get_object (root);
      if (ps_http_json_array (page, "value") == NULL)
        {
          if (unreadable != NULL)
            *unreadable = TRUE;
          g_propagate_error (error, shape_error (&req, _("without a list of values")));
          request_clear (&req);
          return FALSE;
        }
      request_clear (&req);
      if (!handler (self, page, data, &stop, error))
        return FALSE;
      if (stop)
        return TRUE;

      next = ps_http_json_string (page, "@odata.nextLink");
      delta_next = ps_http_json_string (page, "@odata.deltaLink");
      if (next != NULL)
        {
          if (!link_is_ours (self, next))
            {
              g_propagate_error (error, foreign_link_error (next));
              return FALSE;
            }
          /* An empty page may point at the same place again; a server
           * that does so for ever is stopped. */
          same = g_str_equal (next, url) ? same + 1 : 0;
          if (same > MAX_SAME_LINK)
            {
              g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNEXPECTED,
                           _("Microsoft Graph kept sending the same page again as the next one "
                             "while trying to %s. Try again later."), action);
              return FALSE;
            }
          g_free (url);
          url = g_strdup (next);
          continue;
        }
      if (delta_link != NULL)
        {
          if (delta_next == NULL)
            {
              g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNEXPECTED,
                           _("Microsoft Graph ended a round of changes without a link for the "
                             "next round while trying to %s. Try again later."), action);
              return FALSE;
            }
          if (!link_is_ours (self, delta_next))
            {
              g_propagate_error (error, foreign_link_error (delta_next));
              return FALSE;
            }
          *delta_link = g_strdup (delta_next);
        }
      return TRUE;
    }
  g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNEXPECTED,
               _("Microsoft Graph never ended the list while trying to %s."), action);
  return FALSE;
}

/* A page handler that hands `value` to a PsGraphPageFunc. */
typedef struct {
  PsGraphPageFunc func;
  gpointer        user_data;
} Forward;

static gboolean
forward_page (PsGraphClient  *self,
              JsonObject     *page,
              gpointer        data,
              gboolean       *stop,
              GError        **error)
{
  Forward *forward = data;

  if (forward->func == NULL)
    return TRUE;
  return forward->func (ps_http_json_array (page, "value"), forward->user_data, error);
}

/* ---------------------------------------------------------------- members */

static void
note_unclassified (PsGraphMemberReport *report,
                   JsonObject          *member)
{
  const char *id = member != NULL ? ps_graph_object_get_id (member) : NULL;

  report->unclassifiable++;
  if (id != NULL && report->unclassified_ids->len < MAX_UNCLASSIFIED_IDS)
    g_ptr_array_add (report->unclassified_ids, g_strdup (id));
}

static void
note_other_type (PsGraphMemberReport *report,
                 const char          *type)
{
  report->other++;
  for (guint i = 0; i < report->other_types->len; i++)
    if (g_str_equal (g_ptr_array_index (report->other_types, i), type))
      return;
  if (report->other_types->len < MAX_UNCLASSIFIED_IDS)
    g_ptr_array_add (report->other_types, g_strdup (type));
}

/* A user whose properties besides its id all came back null: the
 * application may see the membership but not the user (§3.3). */
static gboolean
user_is_limited (JsonObject *user)
{
  g_autoptr(GList) members = json_object_get_members (user);
  gboolean asked = FALSE;

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node;

      if (name[0] == '@' || strchr (name, '@') != NULL || g_str_equal (name, "id"))
        continue;
      asked = TRUE;
      node = json_object_get_member (user, name);
      if (!JSON_NODE_HOLDS_NULL (node))
        return FALSE;
    }
  return asked;
}

static gboolean
members_page (PsGraphClient  *self,
              JsonObject     *page,
              gpointer        data,
              gboolean       *stop,
              GError        **error)
{
  MembersRead *read = data;
  PsGraphMemberReport *report = read->report;
  JsonArray *value = ps_http_json_array (page, "value");
  g_autoptr(JsonArray) deliver = json_array_new ();

  report->pages++;
  for (guint i = 0; i < json_array_get_length (value); i++)
    {
      JsonNode *node = json_array_get_element (value, i);
      JsonObject *member;
      const char *id;
      PsGraphKind kind;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          note_unclassified (report, NULL);
          continue;
        }
      member = json_node_get_object (node);
      id = ps_graph_object_get_id (member);
      kind = ps_graph_object_kind (member);
      if (kind == PS_GRAPH_KIND_UNKNOWN || id == NULL)
        {
          note_unclassified (report, member);
          continue;
        }
      if (g_hash_table_contains (read->seen, id))
        {
          report->duplicates++;
          continue;
        }
      g_hash_table_add (read->seen, g_strdup (id));
      switch (kind)
        {
        case PS_GRAPH_KIND_USER:
          report->users++;
          if (read->check_limited && user_is_limited (member))
            report->limited_users++;
          break;
        case PS_GRAPH_KIND_GROUP:
          report->groups++;
          break;
        case PS_GRAPH_KIND_DEVICE:
          report->devices++;
          break;
        case PS_GRAPH_KIND_CONTACT:
          report->contacts++;
          break;
        case PS_GRAPH_KIND_SERVICE_PRINCIPAL:
          report->service_principals++;
          break;
        case PS_GRAPH_KIND_OTHER:
          note_other_type (report, ps_http_json_string (member, "@odata.type"));
          break;
        case PS_GRAPH_KIND_UNKNOWN:
        default:
          g_assert_not_reached ();
        }
      if (!read->users_only || kind == PS_GRAPH_KIND_USER)
        json_array_add_element (deliver, json_node_ref (node));
    }
  if (read->func == NULL || json_array_get_length (deliver) == 0)
    return TRUE;
  return read->func (deliver, read->user_data, error);
}

static GError *
partial_error (const char                *group_id,
               const PsGraphMemberReport *report)
{
  if (report->unreadable_pages > 0)
    return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_PARTIAL,
                        /* Translators: %s is a group id; the members read so far were kept */
                        _("The members of group %s could only be read in part: a page of "
                          "members stayed cut off or unreadable. The membership is "
                          "incomplete, so nobody is treated as having left. Try again later; "
                          "if it keeps happening, a proxy may be changing the answers."),
                        group_id);
  if (report->unclassifiable > 0)
    return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_PARTIAL,
                        g_dngettext (GETTEXT_PACKAGE,
                                     "%u member of group %s could not be classified (it came "
                                     "without a type). The membership is incomplete, so nobody "
                                     "is treated as having left. Try again later.",
                                     "%u members of group %s could not be classified (they "
                                     "came without a type). The membership is incomplete, so "
                                     "nobody is treated as having left. Try again later.",
                                     report->unclassifiable),
                        report->unclassifiable, group_id);
  return g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_PARTIAL,
                      g_dngettext (GETTEXT_PACKAGE,
                                   "%u user in group %s came back without their properties: "
                                   "the application may see the membership but not the user. "
                                   "Grant the application permission User.Read.All with admin "
                                   "consent, or check hidden memberships.",
                                   "%u users in group %s came back without their properties: "
                                   "the application may see the membership but not the users. "
                                   "Grant the application permission User.Read.All with admin "
                                   "consent, or check hidden memberships.",
                                   report->limited_users),
                      report->limited_users, group_id);
}

static gboolean
read_members (PsGraphClient         *self,
              const char            *group_id,
              const char            *relation,
              const char *const     *select,
              const char *const     *default_select,
              gboolean               users_only,
              PsGraphPageFunc        func,
              gpointer               user_data,
              PsGraphMemberReport  **report_out,
              GCancellable          *cancellable,
              GError               **error)
{
  g_autoptr(PsGraphMemberReport) report = ps_graph_member_report_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) local = NULL;
  g_autofree char *select_text = NULL;
  g_autofree char *escaped_id = NULL;
  g_autofree char *url = NULL;
  g_autofree char *action = NULL;
  MembersRead read = { 0 };
  gboolean unreadable = FALSE;
  gboolean ok;

  g_return_val_if_fail (PS_IS_GRAPH_CLIENT (self), FALSE);

  if (report_out != NULL)
    *report_out = NULL;
  if (group_id == NULL || *group_id == '\0')
    {
      g_set_error_literal (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG,
                           _("No group is set: choose the group in the mapping."));
      return FALSE;
    }
  select_text = ps_graph_select_for (select != NULL ? select : default_select, error);
  if (select_text == NULL)
    return FALSE;
  escaped_id = g_uri_escape_string (group_id, NULL, FALSE);
  url = g_strdup_printf ("%s/groups/%s/%s?$select=%s&$top=%u", self->graph_root, escaped_id,
                         relation, select_text, self->config.page_size);
  /* Translators: completes "The application may not …"; %s is a group id */
  action = g_strdup_printf (_("read the members of group %s"), group_id);

  read.report = report;
  read.seen = seen;
  read.users_only = users_only;
  read.check_limited = strchr (select_text, ',') != NULL;
  read.func = func;
  read.user_data = user_data;
  ok = read_pages (self, url, PERMISSION_MEMBERS, action, FALSE, members_page, &read,
                   NULL, &unreadable, cancellable, &local);
  if (!ok && unreadable)
    {
      /* Everything before the unreadable page was delivered; the page and
       * whatever followed it are missing. */
      g_debug ("members of %s: stopped on an unreadable page: %s", group_id, local->message);
      report->unreadable_pages++;
      report->unclassifiable++;
      g_clear_error (&local);
    }
  else if (!ok)
    {
      if (report_out != NULL)
        *report_out = g_steal_pointer (&report);
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }

  g_debug ("members of %s: %u users, %u groups, %u devices, %u contacts, %u service "
           "principals, %u other, %u unclassifiable, %u limited, %u duplicates, %u pages",
           group_id, report->users, report->groups, report->devices, report->contacts,
           report->service_principals, report->other, report->unclassifiable,
           report->limited_users, report->duplicates, report->pages);
  if (report->users > 0 && report->limited_users == report->users)
    local = g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_PERMISSION,
                         /* Translators: %s is a group id */
                         _("The members of group %s came back without their properties: the "
                           "application may read group memberships but not users. In the app "
                           "registration’s API permissions, add the Microsoft Graph "
                           "application permission User.Read.All and grant admin consent."),
                         group_id);
  else if (report->unclassifiable > 0 || report->limited_users > 0)
    local = partial_error (group_id, report);
  if (report_out != NULL)
    *report_out = g_steal_pointer (&report);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  return TRUE;
}

/* ---------------------------------------------------------------- groups */

static gint
compare_groups (gconstpointer a,
                gconstpointer b)
{
  const PsGraphGroup *ga = *(PsGraphGroup **) a;
  const PsGraphGroup *gb = *(PsGraphGroup **) b;
  g_autofree char *ka = g_utf8_casefold (ga->display_name != NULL ? ga->display_name : "", -1);
  g_autofree char *kb = g_utf8_casefold (gb->display_name != NULL ? gb->display_name : "", -1);
  int c = g_utf8_collate (ka, kb);

  return c != 0 ? c : g_strcmp0 (ga->id, gb->id);
}

typedef struct {
  GPtrArray *groups;
  guint      limit;
} GroupsRead;

static gboolean
groups_page (PsGraphClient  *self,
             JsonObject     *page,
             gpointer        data,
             gboolean       *stop,
             GError        **error)
{
  GroupsRead *read = data;
  JsonArray *value = ps_http_json_array (page, "value");

  for (guint i = 0; i < json_array_get_length (value); i++)
    {
      JsonNode *node = json_array_get_element (value, i);
      PsGraphGroup *group;

      if (read->limit > 0 && read->groups->len >= read->limit)
        break;
      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      group = ps_graph_group_new_from_json (json_node_get_object (node));
      if (group != NULL)
        g_ptr_array_add (read->groups, group);
    }
  *stop = read->limit > 0 && read->groups->len >= read->limit;
  return TRUE;
}

/* Reads groups for @filter (an OData expression, not yet escaped; NULL:
 * all) until @limit. Returns PsGraphGroup*, sorted by name. */
static GPtrArray *
list_groups (PsGraphClient  *self,
             const char     *filter,
             guint           limit,
             GCancellable   *cancellable,
             GError        **error)
{
  g_autoptr(GPtrArray) groups = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_graph_group_free);
  g_autofree char *url = NULL;
  guint top = limit > 0 ? MIN (limit, self->config.page_size) : self->config.page_size;
  GroupsRead read = { groups, limit };

  if (filter != NULL)
    {
      g_autofree char *escaped = query_escape (filter);
      url = g_strdup_printf ("%s/groups?$select=" GROUP_SELECT "&$top=%u&$filter=%s",
                             self->graph_root, top, escaped);
    }
  else
    url = g_strdup_printf ("%s/groups?$select=" GROUP_SELECT "&$top=%u", self->graph_root, top);

  if (!read_pages (self, url, PERMISSION_MEMBERS, _("list the groups"), FALSE, groups_page,
                   &read, NULL, NULL, cancellable, error))
    return NULL;
  g_ptr_array_sort (groups, compare_groups);
  return g_steal_pointer (&groups);
}

/* ---------------------------------------------------------------- delta */

static char *
users_delta_url (PsGraphClient      *self,
                 const char *const  *select,
                 gboolean            latest,
                 GError            **error)
{
  g_autofree char *select_text = ps_graph_select_for (select != NULL ? select
                                                      : default_user_select, error);

  if (select_text == NULL)
    return NULL;
  return g_strdup_printf ("%s/users/delta?$select=%s%s", self->graph_root, select_text,
                          latest ? "&$deltatoken=latest" : "");
}

static char *
groups_delta_url (PsGraphClient *self,
                  GPtrArray     *ids)
{
  g_autoptr(GString) filter = g_string_new (NULL);
  g_autofree char *escaped = NULL;

  for (guint i = 0; i < ids->len; i++)
    {
      g_autofree char *literal = odata_quote (g_ptr_array_index (ids, i));

      if (i > 0)
        g_string_append (filter, " or ");
      g_string_append_printf (filter, "id eq %s", literal);
    }
  escaped = query_escape (filter->str);
  return g_strdup_printf ("%s/groups/delta?$select=members&$filter=%s", self->graph_root,
                          escaped);
}

static gboolean
ignore_page (PsGraphClient  *self,
             JsonObject     *page,
             gpointer        data,
             gboolean       *stop,
             GError        **error)
{
  return TRUE;
}

/* ---------------------------------------------------------------- the connection test */

static PsConnectionStep *
add_step (GPtrArray  *steps,
          const char *id,
          const char *title)
{
  PsConnectionStep *step = ps_connection_step_new (id, title);

  g_ptr_array_add (steps, step);
  return step;
}

static void
skip_rest (GPtrArray  *steps,
           guint       from,
           const char *message)
{
  for (guint i = from; i < steps->len; i++)
    ps_connection_step_skip (g_ptr_array_index (steps, i), message);
}

/* One page of @url (no paging), for the connection test's probes. */
static JsonArray *
probe (PsGraphClient  *self,
       const char     *url,
       const char     *permission,
       const char     *action,
       JsonNode      **keep,
       GCancellable   *cancellable,
       GError        **error)
{
  JsonNode *root = get_json (self, url, permission, action, FALSE, cancellable, error);
  JsonArray *value;

  if (root == NULL)
    return NULL;
  value = ps_http_json_array (json_node_get_object (root), "value");
  if (value == NULL)
    {
      g_autofree char *path = ps_http_url_path (url);

      g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNEXPECTED,
                   _("GET %s answered without a list of values. Check the Graph URL in the "
                     "profile."), path);
      json_node_unref (root);
      return NULL;
    }
  *keep = root;
  return value;
}

static PsGraphGroup *
resolve_group (PsGraphClient  *self,
               const char     *group,
               GCancellable   *cancellable,
               GError        **error)
{
  g_autoptr(GPtrArray) found = NULL;

  if (looks_like_guid (group))
    return ps_graph_client_get_group_sync (self, group, cancellable, error);
  found = ps_graph_client_find_groups_by_name_sync (self, group, cancellable, error);
  if (found == NULL)
    return NULL;
  if (found->len == 0)
    {
      g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_NOT_FOUND,
                   _("No group is named “%s”. Check the name, or pick the group in the "
                     "mapping."), group);
      return NULL;
    }
  if (found->len > 1)
    {
      g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_NOT_FOUND,
                   g_dngettext (GETTEXT_PACKAGE,
                                "%u group is named “%s”; names are not unique. Pick the group "
                                "by its id in the mapping.",
                                "%u groups are named “%s”; names are not unique. Pick the "
                                "group by its id in the mapping.", found->len),
                   found->len, group);
      return NULL;
    }
  return g_steal_pointer (&g_ptr_array_index (found, 0));
}

static void
test_group (PsGraphClient    *self,
            PsConnectionStep *step,
            const char       *group,
            GCancellable     *cancellable)
{
  gint64 started = g_get_monotonic_time ();
  g_autoptr(GError) error = NULL;
  g_autoptr(PsGraphGroup) found = NULL;
  g_autoptr(JsonNode) keep = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *url = NULL;
  g_autofree char *action = NULL;
  g_autofree char *message = NULL;
  JsonArray *members;
  guint users = 0;
  guint limited = 0;

  found = resolve_group (self, group, cancellable, &error);
  if (found == NULL)
    {
      ps_connection_step_done (step, started, error, NULL);
      return;
    }
  escaped = g_uri_escape_string (found->id, NULL, FALSE);
  url = g_strdup_printf ("%s/groups/%s/transitiveMembers?$select=id,userPrincipalName,"
                         "accountEnabled&$top=%u", self->graph_root, escaped, TEST_MEMBERS);
  action = g_strdup_printf (_("read the members of group “%s”"),
                            found->display_name != NULL ? found->display_name : found->id);
  members = probe (self, url, PERMISSION_MEMBERS, action, &keep, cancellable, &error);
  if (members == NULL)
    {
      ps_connection_step_done (step, started, error, NULL);
      return;
    }
  for (guint i = 0; i < json_array_get_length (members); i++)
    {
      JsonNode *node = json_array_get_element (members, i);

      if (!JSON_NODE_HOLDS_OBJECT (node)
          || ps_graph_object_kind (json_node_get_object (node)) != PS_GRAPH_KIND_USER)
        continue;
      users++;
      if (user_is_limited (json_node_get_object (node)))
        limited++;
    }
  if (users > 0 && limited == users)
    {
      error = g_error_new (PS_ENTRA_ERROR, PS_ENTRA_ERROR_PERMISSION,
                           _("The members of “%s” came back without their properties: the "
                             "application may read group memberships but not users. In the "
                             "app registration’s API permissions, add the Microsoft Graph "
                             "application permission User.Read.All and grant admin consent."),
                           found->display_name != NULL ? found->display_name : found->id);
      ps_connection_step_done (step, started, error, NULL);
      return;
    }
  if (json_array_get_length (members) == 0)
    {
      message = g_strdup_printf (_("Found “%s” (%s), but it has no members."),
                                 found->display_name != NULL ? found->display_name : "",
                                 found->id);
      ps_connection_step_finish (step, started, PS_STEP_WARNING, message, NULL);
      return;
    }
  message = g_strdup_printf (_("Found “%s” (%s); its members can be read."),
                             found->display_name != NULL ? found->display_name : "", found->id);
  ps_connection_step_done (step, started, NULL, message);
}

/* ---------------------------------------------------------------- overrides */

static void
ps_graph_client_dispose (GObject *object)
{
  PsGraphClient *self = PS_GRAPH_CLIENT (object);

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (ps_graph_client_parent_class)->dispose (object);
}

static void
ps_graph_client_finalize (GObject *object)
{
  PsGraphClient *self = PS_GRAPH_CLIENT (object);

  g_clear_pointer (&self->secret, ps_secret_free);
  g_clear_pointer (&self->token, ps_secret_free);
  g_clear_pointer (&self->certificate, ps_entra_certificate_free);
  g_free (self->config.tenant);
  g_free (self->config.client_id);
  g_free (self->config.login_base);
  g_free (self->config.graph_base);
  g_free (self->config.ca_file);
  g_free (self->config.certificate_file);
  g_clear_pointer (&self->login_uri, g_uri_unref);
  g_clear_pointer (&self->graph_uri, g_uri_unref);
  g_free (self->token_url);
  g_free (self->graph_root);
  g_free (self->scope);
  g_clear_object (&self->extra_ca);
  ps_http_gate_clear (&self->gate);
  G_OBJECT_CLASS (ps_graph_client_parent_class)->finalize (object);
}

static void
ps_graph_client_class_init (PsGraphClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ps_graph_client_dispose;
  object_class->finalize = ps_graph_client_finalize;
}

static void
ps_graph_client_init (PsGraphClient *self)
{
  ps_http_gate_init (&self->gate, DEFAULT_CONCURRENCY);
  self->max_attempts = DEFAULT_MAX_ATTEMPTS;
  self->backoff_base_ms = DEFAULT_BACKOFF_BASE_MS;
  self->backoff_cap_ms = DEFAULT_BACKOFF_CAP_MS;
}

/* ---------------------------------------------------------------- reports, groups, rounds */

PsGraphMemberReport *
ps_graph_member_report_new (void)
{
  PsGraphMemberReport *report = g_new0 (PsGraphMemberReport, 1);

  report->other_types = g_ptr_array_new_with_free_func (g_free);
  report->unclassified_ids = g_ptr_array_new_with_free_func (g_free);
  return report;
}

void
ps_graph_member_report_free (PsGraphMemberReport *report)
{
  if (report == NULL)
    return;
  g_ptr_array_unref (report->other_types);
  g_ptr_array_unref (report->unclassified_ids);
  g_free (report);
}

PsGraphGroup *
ps_graph_group_new_from_json (JsonObject *object)
{
  PsGraphGroup *group;
  JsonArray *types;
  JsonNode *node;

  g_return_val_if_fail (object != NULL, NULL);

  if (ps_graph_object_get_id (object) == NULL)
    return NULL;
  group = g_new0 (PsGraphGroup, 1);
  group->id = g_strdup (ps_graph_object_get_id (object));
  group->display_name = g_strdup (ps_http_json_string (object, "displayName"));
  group->description = g_strdup (ps_http_json_string (object, "description"));
  node = json_object_get_member (object, "securityEnabled");
  group->security_enabled = node != NULL && JSON_NODE_HOLDS_VALUE (node)
                            && json_node_get_value_type (node) == G_TYPE_BOOLEAN
                            && json_node_get_boolean (node);
  node = json_object_get_member (object, "mailEnabled");
  group->mail_enabled = node != NULL && JSON_NODE_HOLDS_VALUE (node)
                        && json_node_get_value_type (node) == G_TYPE_BOOLEAN
                        && json_node_get_boolean (node);
  types = ps_http_json_array (object, "groupTypes");
  for (guint i = 0; types != NULL && i < json_array_get_length (types); i++)
    {
      JsonNode *type = json_array_get_element (types, i);

      if (!JSON_NODE_HOLDS_VALUE (type) || json_node_get_value_type (type) != G_TYPE_STRING)
        continue;
      if (g_ascii_strcasecmp (json_node_get_string (type), "Unified") == 0)
        group->unified = TRUE;
      else if (g_ascii_strcasecmp (json_node_get_string (type), "DynamicMembership") == 0)
        group->dynamic = TRUE;
    }
  return group;
}

void
ps_graph_group_free (PsGraphGroup *group)
{
  if (group == NULL)
    return;
  g_free (group->id);
  g_free (group->display_name);
  g_free (group->description);
  g_free (group);
}

PsGraphDeltaRound *
ps_graph_delta_round_new (void)
{
  PsGraphDeltaRound *round = g_new0 (PsGraphDeltaRound, 1);

  round->group_ids = g_ptr_array_new_with_free_func (g_free);
  return round;
}

PsGraphDeltaRound *
ps_graph_delta_round_copy (const PsGraphDeltaRound *round)
{
  PsGraphDeltaRound *copy = ps_graph_delta_round_new ();

  for (guint i = 0; i < round->group_ids->len; i++)
    g_ptr_array_add (copy->group_ids, g_strdup (g_ptr_array_index (round->group_ids, i)));
  copy->delta_link = g_strdup (round->delta_link);
  return copy;
}

void
ps_graph_delta_round_free (PsGraphDeltaRound *round)
{
  if (round == NULL)
    return;
  g_ptr_array_unref (round->group_ids);
  g_free (round->delta_link);
  g_free (round);
}

GPtrArray *
ps_graph_delta_rounds_plan (GPtrArray         *previous,
                            const char *const *group_ids)
{
  g_autoptr(GHashTable) wanted = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) covered = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *rounds = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_graph_delta_round_free);
  PsGraphDeltaRound *open = NULL;

  for (guint i = 0; group_ids != NULL && group_ids[i] != NULL; i++)
    g_hash_table_add (wanted, (gpointer) group_ids[i]);

  /* Keep every round that still covers a wanted group: its link encodes
   * its filter, so it stays exactly as it is. */
  for (guint r = 0; previous != NULL && r < previous->len; r++)
    {
      PsGraphDeltaRound *round = g_ptr_array_index (previous, r);
      gboolean keep = FALSE;

      for (guint i = 0; i < round->group_ids->len && !keep; i++)
        keep = g_hash_table_contains (wanted, g_ptr_array_index (round->group_ids, i));
      if (!keep)
        continue;
      for (guint i = 0; i < round->group_ids->len; i++)
        g_hash_table_add (covered, g_ptr_array_index (round->group_ids, i));
      g_ptr_array_add (rounds, ps_graph_delta_round_copy (round));
    }

  /* The rest go into new rounds of at most 50, in the order given. */
  for (guint i = 0; group_ids != NULL && group_ids[i] != NULL; i++)
    {
      if (g_hash_table_contains (covered, group_ids[i]))
        continue;
      g_hash_table_add (covered, (gpointer) group_ids[i]);
      if (open == NULL || open->group_ids->len >= PS_GRAPH_MAX_FILTER_IDS)
        {
          open = ps_graph_delta_round_new ();
          g_ptr_array_add (rounds, open);
        }
      g_ptr_array_add (open->group_ids, g_strdup (group_ids[i]));
    }
  return rounds;
}

/* ---------------------------------------------------------------- public API */

PsGraphClient *
ps_graph_client_new (const PsEntraConfig  *config,
                     const char           *secret,
                     GError              **error)
{
  g_autoptr(PsGraphClient) self = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *tenant = NULL;

  g_return_val_if_fail (config != NULL, NULL);

  tenant = g_strstrip (g_strdup (config->tenant != NULL ? config->tenant : ""));
  if (*tenant == '\0')
    {
      g_set_error_literal (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG,
                           _("The profile has no tenant: enter the Directory (tenant) ID or a "
                             "verified domain of the tenant."));
      return NULL;
    }
  if (strchr (tenant, '/') != NULL || strchr (tenant, '?') != NULL
      || strchr (tenant, '#') != NULL || strchr (tenant, ' ') != NULL)
    {
      g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG,
                   _("The tenant “%s” is neither a tenant ID nor a domain name. Copy the "
                     "Directory (tenant) ID from the app registration’s Overview page."),
                   tenant);
      return NULL;
    }
  if (config->client_id == NULL || *config->client_id == '\0')
    {
      g_set_error_literal (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG,
                           _("The profile has no client ID: copy the Application (client) ID "
                             "from the app registration’s Overview page."));
      return NULL;
    }
  if (config->certificate_file == NULL && (secret == NULL || *secret == '\0'))
    {
      g_set_error_literal (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG,
                           _("No client secret is stored for this profile: make one under "
                             "Certificates & secrets in the app registration and enter its "
                             "Value."));
      return NULL;
    }

  self = g_object_new (PS_TYPE_GRAPH_CLIENT, NULL);
  self->config.tenant = g_steal_pointer (&tenant);
  self->config.client_id = g_strstrip (g_strdup (config->client_id));
  self->config.login_base = trim_base (config->login_base, PS_GRAPH_DEFAULT_LOGIN_BASE);
  self->config.graph_base = trim_base (config->graph_base, PS_GRAPH_DEFAULT_GRAPH_BASE);
  self->config.ca_file = config->ca_file != NULL && *config->ca_file != '\0'
                         ? g_strdup (config->ca_file) : NULL;
  self->config.certificate_file = config->certificate_file != NULL
                                  && *config->certificate_file != '\0'
                                  ? g_strdup (config->certificate_file) : NULL;
  self->config.certificate_rs256 = config->certificate_rs256;
  self->config.timeout = config->timeout > 0 ? config->timeout : DEFAULT_TIMEOUT_S;
  self->config.page_size = config->page_size > 0
                           ? MIN (config->page_size, PS_GRAPH_MAX_PAGE_SIZE)
                           : PS_GRAPH_MAX_PAGE_SIZE;
  self->config.concurrency = config->concurrency > 0
                             ? MIN (config->concurrency, MAX_CONCURRENCY)
                             : DEFAULT_CONCURRENCY;
  self->gate.concurrency = self->config.concurrency;
  self->secret = g_strdup (secret);
  self->secret_looks_like_id = self->config.certificate_file == NULL && looks_like_guid (secret);
  if (self->config.certificate_file != NULL)
    {
      /* The secret, if any, is the private key's passphrase. */
      self->certificate = ps_entra_certificate_load (self->config.certificate_file,
                                                     secret != NULL && *secret != '\0'
                                                     ? secret : NULL, error);
      if (self->certificate == NULL)
        return NULL;
    }

  self->login_uri = g_uri_parse (self->config.login_base, SOUP_HTTP_URI_FLAGS, NULL);
  if (self->login_uri == NULL || g_uri_get_host (self->login_uri) == NULL
      || (g_strcmp0 (g_uri_get_scheme (self->login_uri), "https") != 0
          && g_strcmp0 (g_uri_get_scheme (self->login_uri), "http") != 0))
    {
      g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG,
                   _("The sign-in URL “%s” is not an http(s) URL; for the global cloud it is "
                     "https://login.microsoftonline.com."), self->config.login_base);
      return NULL;
    }
  self->graph_uri = g_uri_parse (self->config.graph_base, SOUP_HTTP_URI_FLAGS, NULL);
  if (self->graph_uri == NULL || g_uri_get_host (self->graph_uri) == NULL
      || (g_strcmp0 (g_uri_get_scheme (self->graph_uri), "https") != 0
          && g_strcmp0 (g_uri_get_scheme (self->graph_uri), "http") != 0))
    {
      g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG,
                   _("The Graph URL “%s” is not an http(s) URL; for the global cloud it is "
                     "https://graph.microsoft.com."), self->config.graph_base);
      return NULL;
    }
  {
    g_autofree char *escaped_tenant = g_uri_escape_string (self->config.tenant, NULL, FALSE);

    self->token_url = g_strdup_printf ("%s/%s/oauth2/v2.0/token", self->config.login_base,
                                       escaped_tenant);
  }
  self->graph_root = g_strdup_printf ("%s/v1.0", self->config.graph_base);
  self->scope = g_strdup_printf ("%s/.default", self->config.graph_base);

  if (self->config.ca_file != NULL)
    {
      self->extra_ca = g_tls_file_database_new (self->config.ca_file, &local);
      if (self->extra_ca == NULL)
        {
          g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG,
                       _("Cannot read the CA file %s: %s"), self->config.ca_file,
                       local->message);
          return NULL;
        }
    }

  self->session = soup_session_new_with_options ("max-conns", self->config.concurrency * 2 + 2,
                                                 "max-conns-per-host", self->config.concurrency,
                                                 "timeout", self->config.timeout,
                                                 "user-agent", "PandaSync/" PACKAGE_VERSION " ",
                                                 NULL);
  return g_steal_pointer (&self);
}

void
ps_graph_client_set_retry (PsGraphClient *self,
                           guint          max_attempts,
                           guint          base_ms,
                           guint          cap_ms)
{
  g_return_if_fail (PS_IS_GRAPH_CLIENT (self));

  g_mutex_lock (&self->gate.lock);
  self->max_attempts = MAX (max_attempts, 1);
  self->backoff_base_ms = MAX (base_ms, 1);
  self->backoff_cap_ms = MAX (cap_ms, self->backoff_base_ms);
  g_mutex_unlock (&self->gate.lock);
}

void
ps_graph_client_get_stats (PsGraphClient *self,
                           PsGraphStats  *stats)
{
  g_return_if_fail (PS_IS_GRAPH_CLIENT (self) && stats != NULL);

  g_mutex_lock (&self->gate.lock);
  *stats = self->stats;
  g_mutex_unlock (&self->gate.lock);
}

const char *
ps_graph_client_get_graph_base (PsGraphClient *self)
{
  g_return_val_if_fail (PS_IS_GRAPH_CLIENT (self), NULL);

  return self->config.graph_base;
}

gboolean
ps_graph_client_get_token_sync (PsGraphClient  *self,
                                GCancellable   *cancellable,
                                GError        **error)
{
  g_autofree char *token = NULL;
  guint64 generation = 0;

  g_return_val_if_fail (PS_IS_GRAPH_CLIENT (self), FALSE);

  token = ensure_token (self, &generation, cancellable, error);
  ps_http_wipe_string (token);
  return token != NULL;
}

GPtrArray *
ps_graph_client_find_groups_sync (PsGraphClient  *self,
                                  const char     *search,
                                  guint           limit,
                                  GCancellable   *cancellable,
                                  GError        **error)
{
  g_autofree char *text = NULL;
  g_autofree char *literal = NULL;
  g_autofree char *filter = NULL;

  g_return_val_if_fail (PS_IS_GRAPH_CLIENT (self), NULL);

  text = g_strstrip (g_strdup (search != NULL ? search : ""));
  if (*text == '\0')
    return list_groups (self, NULL, limit, cancellable, error);
  if (looks_like_guid (text))
    {
      g_autoptr(GError) local = NULL;
      g_autoptr(PsGraphGroup) group = ps_graph_client_get_group_sync (self, text, cancellable,
                                                                       &local);
      GPtrArray *found;

      if (group == NULL && !g_error_matches (local, PS_ENTRA_ERROR, PS_ENTRA_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      found = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_graph_group_free);
      if (group != NULL)
        g_ptr_array_add (found, g_steal_pointer (&group));
      return found;
    }
  literal = odata_quote (text);
  filter = g_strdup_printf ("startswith(displayName,%s)", literal);
  return list_groups (self, filter, limit, cancellable, error);
}

static void
find_groups_thread (GTask        *task,
                    gpointer      source,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *groups;
  guint limit = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (task), "limit"));

  groups = ps_graph_client_find_groups_sync (source, task_data, limit, cancellable, &error);
  if (groups == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, groups, (GDestroyNotify) g_ptr_array_unref);
}

void
ps_graph_client_find_groups_async (PsGraphClient       *self,
                                   const char          *search,
                                   guint                limit,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (PS_IS_GRAPH_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ps_graph_client_find_groups_async);
  g_task_set_task_data (task, g_strdup (search), g_free);
  g_object_set_data (G_OBJECT (task), "limit", GUINT_TO_POINTER (limit));
  g_task_run_in_thread (task, find_groups_thread);
}

GPtrArray *
ps_graph_client_find_groups_finish (PsGraphClient  *self,
                                    GAsyncResult   *result,
                                    GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result))
                        == ps_graph_client_find_groups_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

GPtrArray *
ps_graph_client_find_groups_by_name_sync (PsGraphClient  *self,
                                          const char     *name,
                                          GCancellable   *cancellable,
                                          GError        **error)
{
  g_autofree char *literal = NULL;
  g_autofree char *filter = NULL;

  g_return_val_if_fail (PS_IS_GRAPH_CLIENT (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  literal = odata_quote (name);
  filter = g_strdup_printf ("displayName eq %s", literal);
  return list_groups (self, filter, 0, cancellable, error);
}

PsGraphGroup *
ps_graph_client_get_group_sync (PsGraphClient  *self,
                                const char     *id,
                                GCancellable   *cancellable,
                                GError        **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *url = NULL;
  g_autofree char *action = NULL;
  PsGraphGroup *group;

  g_return_val_if_fail (PS_IS_GRAPH_CLIENT (self), NULL);

  if (id == NULL || *id == '\0')
    {
      g_set_error_literal (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG,
                           _("No group is set: choose the group in the mapping."));
      return NULL;
    }
  escaped = g_uri_escape_string (id, NULL, FALSE);
  url = g_strdup_printf ("%s/groups/%s?$select=" GROUP_SELECT, self->graph_root, escaped);
  /* Translators: completes "Cannot …" / "The application may not …"; %s is a group id */
  action = g_strdup_printf (_("read the group %s"), id);
  root = get_json (self, url, PERMISSION_MEMBERS, action, FALSE, cancellable, error);
  if (root == NULL)
    return NULL;
  group = ps_graph_group_new_from_json (json_node_get_object (root));
  if (group == NULL)
    g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_UNEXPECTED,
                 _("Microsoft Graph answered for group %s without its id. Check the Graph URL "
                   "in the profile."), id);
  return group;
}

gboolean
ps_graph_client_read_transitive_members_sync (PsGraphClient         *self,
                                              const char            *group_id,
                                              const char *const     *select,
                                              PsGraphPageFunc        func,
                                              gpointer               user_data,
                                              PsGraphMemberReport  **report,
                                              GCancellable          *cancellable,
                                              GError               **error)
{
  return read_members (self, group_id, "transitiveMembers", select, default_user_select, TRUE,
                       func, user_data, report, cancellable, error);
}

gboolean
ps_graph_client_read_direct_members_sync (PsGraphClient         *self,
                                          const char            *group_id,
                                          const char *const     *select,
                                          PsGraphPageFunc        func,
                                          gpointer               user_data,
                                          PsGraphMemberReport  **report,
                                          GCancellable          *cancellable,
                                          GError               **error)
{
  static const char *const direct_select[] = { "id", "displayName", NULL };

  return read_members (self, group_id, "members", select, direct_select, FALSE,
                       func, user_data, report, cancellable, error);
}

gboolean
ps_graph_client_users_delta_sync (PsGraphClient      *self,
                                  const char         *delta_link,
                                  const char *const  *select,
                                  PsGraphPageFunc     func,
                                  gpointer            user_data,
                                  char              **new_delta_link,
                                  GCancellable       *cancellable,
                                  GError            **error)
{
  g_autofree char *url = NULL;
  Forward forward = { func, user_data };

  g_return_val_if_fail (PS_IS_GRAPH_CLIENT (self), FALSE);
  g_return_val_if_fail (new_delta_link != NULL, FALSE);

  *new_delta_link = NULL;
  if (delta_link != NULL && *delta_link != '\0')
    {
      if (!link_is_ours (self, delta_link))
        {
          /* Stored for another Graph URL (the profile changed): start over. */
          g_set_error_literal (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_RESYNC_REQUIRED,
                               _("The stored change token belongs to another Graph URL: "
                                 "everything is read again in full."));
          return FALSE;
        }
      url = g_strdup (delta_link);
    }
  else
    {
      url = users_delta_url (self, select, FALSE, error);
      if (url == NULL)
        return FALSE;
    }
  return read_pages (self, url, PERMISSION_USERS, _("read the changes to users"), TRUE,
                     forward_page, &forward, new_delta_link, NULL, cancellable, error);
}

char *
ps_graph_client_users_delta_latest_sync (PsGraphClient      *self,
                                         const char *const  *select,
                                         GCancellable       *cancellable,
                                         GError            **error)
{
  g_autofree char *url = NULL;
  char *link = NULL;

  g_return_val_if_fail (PS_IS_GRAPH_CLIENT (self), NULL);

  url = users_delta_url (self, select, TRUE, error);
  if (url == NULL)
    return NULL;
  if (!read_pages (self, url, PERMISSION_USERS, _("start following the changes to users"),
                   TRUE, ignore_page, NULL, &link, NULL, cancellable, error))
    return NULL;
  return link;
}

gboolean
ps_graph_client_groups_delta_sync (PsGraphClient      *self,
                                   const char *const  *group_ids,
                                   GPtrArray          *previous_rounds,
                                   PsGraphPageFunc     func,
                                   gpointer            user_data,
                                   GPtrArray         **new_rounds,
                                   GCancellable       *cancellable,
                                   GError            **error)
{
  g_autoptr(GPtrArray) rounds = NULL;
  Forward forward = { func, user_data };

  g_return_val_if_fail (PS_IS_GRAPH_CLIENT (self), FALSE);
  g_return_val_if_fail (new_rounds != NULL, FALSE);

  *new_rounds = NULL;
  rounds = ps_graph_delta_rounds_plan (previous_rounds, group_ids);
  for (guint r = 0; r < rounds->len; r++)
    {
      PsGraphDeltaRound *round = g_ptr_array_index (rounds, r);
      g_autofree char *url = NULL;
      g_autofree char *link = NULL;

      if (round->delta_link != NULL)
        {
          if (!link_is_ours (self, round->delta_link))
            {
              g_set_error_literal (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_RESYNC_REQUIRED,
                                   _("The stored change token belongs to another Graph URL: "
                                     "everything is read again in full."));
              return FALSE;
            }
          url = g_strdup (round->delta_link);
        }
      else
        url = groups_delta_url (self, round->group_ids);
      if (!read_pages (self, url, PERMISSION_MEMBERS, _("read the changes to group members"),
                       TRUE, forward_page, &forward, &link, NULL, cancellable, error))
        return FALSE;
      g_free (round->delta_link);
      round->delta_link = g_steal_pointer (&link);
    }
  *new_rounds = g_steal_pointer (&rounds);
  return TRUE;
}

JsonObject *
ps_graph_client_get_user_sync (PsGraphClient      *self,
                               const char         *id,
                               const char *const  *select,
                               GCancellable       *cancellable,
                               GError            **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *select_text = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *url = NULL;
  g_autofree char *action = NULL;

  g_return_val_if_fail (PS_IS_GRAPH_CLIENT (self), NULL);

  if (id == NULL || *id == '\0')
    {
      g_set_error_literal (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_NOT_FOUND,
                           _("Cannot read a user without an id."));
      return NULL;
    }
  select_text = ps_graph_select_for (select != NULL ? select : default_user_select, error);
  if (select_text == NULL)
    return NULL;
  escaped = g_uri_escape_string (id, NULL, FALSE);
  url = g_strdup_printf ("%s/users/%s?$select=%s", self->graph_root, escaped, select_text);
  /* Translators: completes "Cannot …" / "The application may not …"; %s is a user id */
  action = g_strdup_printf (_("read the user %s"), id);
  root = get_json (self, url, PERMISSION_USERS, action, FALSE, cancellable, error);
  if (root == NULL)
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

gboolean
ps_graph_client_list_deleted_users_sync (PsGraphClient    *self,
                                         PsGraphPageFunc   func,
                                         gpointer          user_data,
                                         GCancellable     *cancellable,
                                         GError          **error)
{
  g_autofree char *url = NULL;
  Forward forward = { func, user_data };

  g_return_val_if_fail (PS_IS_GRAPH_CLIENT (self), FALSE);

  url = g_strdup_printf ("%s/directory/deletedItems/microsoft.graph.user?$select="
                         DELETED_USER_SELECT "&$top=%u", self->graph_root,
                         self->config.page_size);
  return read_pages (self, url, PERMISSION_USERS, _("list the deleted users"), FALSE,
                     forward_page, &forward, NULL, NULL, cancellable, error);
}

GPtrArray *
ps_graph_client_test_sync (PsGraphClient *self,
                           const char    *group,
                           GCancellable  *cancellable)
{
  g_autoptr(GPtrArray) steps = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_connection_step_free);
  g_autofree char *title = NULL;
  g_autofree char *url = NULL;
  PsConnectionStep *token_step;
  PsConnectionStep *users_step;
  PsConnectionStep *groups_step;
  PsConnectionStep *group_step = NULL;
  PsConnectionStep *delta_step;
  gboolean have_group = group != NULL && *group != '\0';
  gint64 started;

  g_return_val_if_fail (PS_IS_GRAPH_CLIENT (self), NULL);

  /* Translators: the tenant, then the application (client) id */
  title = g_strdup_printf (_("Sign in to tenant %s as application %s"), self->config.tenant,
                           self->config.client_id);
  token_step = add_step (steps, "token", title);
  users_step = add_step (steps, "users", _("Read users (User.Read.All)"));
  groups_step = add_step (steps, "groups", _("Read groups and members (GroupMember.Read.All)"));
  if (have_group)
    {
      g_autofree char *group_title = g_strdup_printf (_("Find the group “%s” and read its "
                                                        "members"), group);
      group_step = add_step (steps, "group", group_title);
    }
  delta_step = add_step (steps, "delta", _("Follow changes (users/delta)"));

  /* 1. token */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *message = NULL;

    started = g_get_monotonic_time ();
    if (!ps_graph_client_get_token_sync (self, cancellable, &error))
      {
        ps_connection_step_done (token_step, started, error, NULL);
        skip_rest (steps, 1, _("Not tried: the sign-in failed."));
        return g_steal_pointer (&steps);
      }
    message = g_strdup_printf (_("Signed in at %s."), self->config.login_base);
    ps_connection_step_done (token_step, started, NULL, message);
  }

  /* 2. users */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) keep = NULL;

    started = g_get_monotonic_time ();
    g_free (url);
    url = g_strdup_printf ("%s/users?$top=1&$select=id,accountEnabled", self->graph_root);
    if (probe (self, url, PERMISSION_USERS, _("read users"), &keep, cancellable, &error) == NULL)
      ps_connection_step_done (users_step, started, error, NULL);
    else
      ps_connection_step_done (users_step, started, NULL, _("The application may read users."));
  }

  /* 3. groups and the members of the first one */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) keep = NULL;
    g_autoptr(JsonNode) keep_members = NULL;
    JsonArray *groups;

    started = g_get_monotonic_time ();
    g_free (url);
    url = g_strdup_printf ("%s/groups?$top=1&$select=id,displayName", self->graph_root);
    groups = probe (self, url, PERMISSION_MEMBERS, _("read groups"), &keep, cancellable, &error);
    if (groups != NULL && json_array_get_length (groups) > 0
        && JSON_NODE_HOLDS_OBJECT (json_array_get_element (groups, 0)))
      {
        const char *id = ps_graph_object_get_id (
          json_node_get_object (json_array_get_element (groups, 0)));
        g_autofree char *escaped = g_uri_escape_string (id != NULL ? id : "", NULL, FALSE);

        g_free (url);
        url = g_strdup_printf ("%s/groups/%s/members?$top=1&$select=id", self->graph_root,
                               escaped);
        if (probe (self, url, PERMISSION_MEMBERS, _("read group members"), &keep_members,
                   cancellable, &error) == NULL)
          groups = NULL;
      }
    if (groups == NULL)
      ps_connection_step_done (groups_step, started, error, NULL);
    else
      ps_connection_step_done (groups_step, started, NULL,
                               _("The application may read groups and their members."));
  }

  /* 4. the group */
  if (group_step != NULL)
    test_group (self, group_step, group, cancellable);

  /* 5. delta: a warning only — without it every sync reads everything */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *link = NULL;

    started = g_get_monotonic_time ();
    link = ps_graph_client_users_delta_latest_sync (self, NULL, cancellable, &error);
    if (link == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      ps_connection_step_done (delta_step, started, error, NULL);
    else if (link == NULL)
      {
        g_autofree char *message = g_strdup_printf (_("Changes cannot be followed in this "
                                                      "tenant, so every sync reads everyone "
                                                      "(%s)"), error->message);
        ps_connection_step_finish (delta_step, started, PS_STEP_WARNING, message, NULL);
      }
    else
      ps_connection_step_done (delta_step, started, NULL,
                               _("Changes can be followed between syncs."));
  }
  return g_steal_pointer (&steps);
}

static void
test_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  g_task_return_pointer (task, ps_graph_client_test_sync (source, task_data, cancellable),
                         (GDestroyNotify) g_ptr_array_unref);
}

void
ps_graph_client_test_async (PsGraphClient       *self,
                            const char          *group,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (PS_IS_GRAPH_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ps_graph_client_test_async);
  g_task_set_task_data (task, g_strdup (group), g_free);
  g_task_run_in_thread (task, test_thread);
}

GPtrArray *
ps_graph_client_test_finish (PsGraphClient  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ps_graph_client_test_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---------------------------------------------------------------- values */

const char *const *
ps_graph_user_attribute_names (void)
{
  return user_attribute_names;
}

const char *const *
ps_graph_default_user_select (void)
{
  return default_user_select;
}

gboolean
ps_graph_attribute_name_is_valid (const char *name)
{
  guint segments = 1;
  gboolean start = TRUE;

  if (name == NULL || *name == '\0' || strlen (name) > 128)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    {
      if (*p == '.')
        {
          if (start || ++segments > 2)
            return FALSE;
          start = TRUE;
          continue;
        }
      if (start ? !g_ascii_isalpha (*p) : !(g_ascii_isalnum (*p) || *p == '_'))
        return FALSE;
      start = FALSE;
    }
  return !start;
}

char *
ps_graph_select_for (const char *const  *attributes,
                     GError            **error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *const always[] = { "id", "accountEnabled", NULL };

  for (guint i = 0; always[i] != NULL; i++)
    g_ptr_array_add (names, g_strdup (always[i]));
  for (guint i = 0; attributes != NULL && attributes[i] != NULL; i++)
    {
      const char *dot;
      g_autofree char *top = NULL;
      gboolean known = FALSE;

      if (!ps_graph_attribute_name_is_valid (attributes[i]))
        {
          g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_CONFIG,
                       _("“%s” is not a Microsoft Graph attribute name. Use a user property "
                         "such as mail or department, or a member of one such as "
                         "onPremisesExtensionAttributes.extensionAttribute1."),
                       attributes[i]);
          return NULL;
        }
      dot = strchr (attributes[i], '.');
      top = dot != NULL ? g_strndup (attributes[i], dot - attributes[i]) : g_strdup (attributes[i]);
      for (guint j = 0; j < names->len && !known; j++)
        known = g_ascii_strcasecmp (g_ptr_array_index (names, j), top) == 0;
      if (!known)
        g_ptr_array_add (names, g_steal_pointer (&top));
    }
  g_ptr_array_add (names, NULL);
  return g_strjoinv (",", (char **) names->pdata);
}

PsGraphKind
ps_graph_object_kind (JsonObject *object)
{
  static const struct {
    const char  *name;
    PsGraphKind  kind;
  } kinds[] = {
    { "microsoft.graph.user", PS_GRAPH_KIND_USER },
    { "microsoft.graph.group", PS_GRAPH_KIND_GROUP },
    { "microsoft.graph.device", PS_GRAPH_KIND_DEVICE },
    { "microsoft.graph.orgContact", PS_GRAPH_KIND_CONTACT },
    { "microsoft.graph.servicePrincipal", PS_GRAPH_KIND_SERVICE_PRINCIPAL },
  };
  const char *type;

  g_return_val_if_fail (object != NULL, PS_GRAPH_KIND_UNKNOWN);

  type = ps_http_json_string (object, "@odata.type");
  if (type == NULL || *type == '\0')
    return PS_GRAPH_KIND_UNKNOWN;
  if (*type == '#')
    type++;
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_ascii_strcasecmp (type, kinds[i].name) == 0)
      return kinds[i].kind;
  return PS_GRAPH_KIND_OTHER;
}

const char *
ps_graph_object_get_id (JsonObject *object)
{
  const char *id;

  g_return_val_if_fail (object != NULL, NULL);

  id = ps_http_json_string (object, "id");
  return id != NULL && *id != '\0' ? id : NULL;
}

const char *
ps_graph_object_removed_reason (JsonObject *object)
{
  JsonNode *node;
  const char *reason;

  g_return_val_if_fail (object != NULL, NULL);

  node = json_object_get_member (object, "@removed");
  if (node == NULL)
    return NULL;
  reason = JSON_NODE_HOLDS_OBJECT (node) ? ps_http_json_string (json_node_get_object (node), "reason")
                                         : NULL;
  return reason != NULL && *reason != '\0' ? reason : "deleted";
}

JsonArray *
ps_graph_group_members_delta (JsonObject *group)
{
  g_return_val_if_fail (group != NULL, NULL);

  return ps_http_json_array (group, "members@delta");
}

gboolean
ps_graph_user_get_enabled (JsonObject *user,
                           gboolean   *enabled)
{
  JsonNode *node;

  g_return_val_if_fail (user != NULL, FALSE);

  node = json_object_get_member (user, "accountEnabled");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return FALSE;
  if (enabled != NULL)
    *enabled = json_node_get_boolean (node);
  return TRUE;
}

char *
ps_graph_user_get_string (JsonObject *user,
                          const char *name)
{
  const char *dot;
  JsonNode *node;

  g_return_val_if_fail (user != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  dot = strchr (name, '.');
  if (dot != NULL)
    {
      g_autofree char *top = g_strndup (name, dot - name);
      JsonNode *parent = ps_http_json_member (user, top);

      if (parent == NULL || !JSON_NODE_HOLDS_OBJECT (parent))
        return NULL;
      return ps_graph_user_get_string (json_node_get_object (parent), dot + 1);
    }
  node = ps_http_json_member (user, name);
  if (node == NULL)
    return NULL;
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          char *value = ps_http_json_text (json_array_get_element (array, i));
          if (value != NULL)
            return value;
        }
      return NULL;
    }
  return ps_http_json_text (node);
}
