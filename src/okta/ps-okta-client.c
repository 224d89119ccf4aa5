/* ps-okta-client.c — requests, rate limits, retries, paging and the reads of Okta
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "ps-okta-client.h"
#include "ps-http-util.h"
#include "ps-okta-syntax.h"
#include "ps-secret-store.h"

#define DEFAULT_TIMEOUT_S       60
#define DEFAULT_CONCURRENCY     1     /* §0.6: one request in flight */
#define MAX_CONCURRENCY         4
#define DEFAULT_MAX_ATTEMPTS    6
#define DEFAULT_BACKOFF_BASE_MS 1000
#define DEFAULT_BACKOFF_CAP_MS  (30 * 1000)
#define DEFAULT_RATE_WAIT_CAP_S 120   /* windows are about 60 s (§5) */
#define RATE_JITTER_MS          250
#define MIN_PAGE_SIZE           20    /* the smallest page a 500 E0000009 shrinks to */
#define MAX_PAGES               1000000
#define MAX_SAME_LINK           3     /* the same next link in a row */
#define GROUP_QUERY_LIMIT       200   /* `q=` has no paging (§3.1) */

/* Endpoint families, each with its own rate-limit bucket (§5). */
typedef enum {
  BUCKET_USERS,      /* /api/v1/users */
  BUCKET_USER,       /* /api/v1/users/{id}… */
  BUCKET_GROUPS,     /* /api/v1/groups, /api/v1/groups/rules */
  BUCKET_GROUP,      /* /api/v1/groups/{id}… */
  BUCKET_LOGS,       /* /api/v1/logs */
  BUCKET_OTHER,
  N_BUCKETS
} Bucket;

typedef struct {
  gboolean known;
  guint    limit;
  guint    remaining;
  gint64   reset_at;   /* monotonic µs: when the window resets, 1 s margin included */
} RateState;

struct _PsOktaClient
{
  GObject             parent_instance;

  PsOktaClientConfig  config;        /* our copy, defaults filled in */
  char               *token;         /* wiped on finalize */
  GUri               *org_uri;
  char               *host;          /* for messages */
  SoupSession        *session;
  GTlsDatabase       *extra_ca;

  PsHttpGate          gate;          /* slots and 429 holds; its lock guards everything below */
  RateState           rates[N_BUCKETS];
  gboolean            have_rate;
  guint               last_limit;
  guint               last_remaining;
  gint64              server_time;   /* the Date of the last answer (Unix seconds), or 0 */
  guint               max_attempts;
  guint               backoff_base_ms;
  guint               backoff_cap_ms;
  guint               rate_wait_cap_s;
  PsOktaStats         stats;
};

/* One request and what came of it. */
typedef struct {
  /* in */
  const char *url;                 /* absolute */
  const char *action;              /* translated, for messages */
  gboolean    expect_array;        /* a list: a 2xx answer must be a JSON array */
  gboolean    shrinkable;          /* a 500 E0000009 returns at once: the caller halves
                                    * the page size */
  /* out */
  guint       status;
  GBytes     *response;
  char       *content_type;
  char       *www_authenticate;
  char       *link;                /* the Link headers, joined */
  char       *error_code;          /* `errorCode` of an error answer */
  char       *request_id;          /* X-Okta-Request-Id */
  gint64      rate_delay_us;       /* until the bucket resets (server clock), or -1 */
  PsHttpProgress progress;
  gboolean    malformed;           /* it failed on a 2xx answer that stayed unreadable */
  guint       attempts;
} Request;

/* A page handler: FALSE with @error to fail, or *@stop = TRUE to end the
 * read early (the pages after are not asked for). */
typedef gboolean (*PageHandler) (PsOktaClient  *self,
                                 JsonArray     *page,
                                 gpointer       data,
                                 gboolean      *stop,
                                 GError       **error);

G_DEFINE_TYPE (PsOktaClient, ps_okta_client, G_TYPE_OBJECT)

/* UserProfile attributes a mapping page suggests (§2.3, §7b), and id. */
static const char *const suggested_names[] = {
  "email", "login", "firstName", "lastName", "displayName", "department", "title",
  "employeeNumber", "mobilePhone", "primaryPhone", "organization", "division", "costCenter",
  "manager", "managerId", "userType", "secondEmail", "city", "state", "countryCode",
  "streetAddress", "zipCode", "preferredLanguage", "locale", "nickName", "middleName", "id",
  NULL
};

/* ---------------------------------------------------------------- small helpers */

/* A query value: every reserved character percent-encoded (RFC 3986). */
static char *
query_escape (const char *text)
{
  return g_uri_escape_string (text, NULL, TRUE);
}

/* A string in a search expression: "…" with \" and \\ escaped. */
static char *
search_quote (const char *text)
{
  GString *out = g_string_new ("\"");

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

/* A top-level property a mapping may read (ps_okta_user_property_names ()),
 * in Okta's spelling, or NULL. */
static const char *
user_property (const char *name)
{
  const char *const *names = ps_okta_user_property_names ();

  for (guint i = 0; names[i] != NULL; i++)
    if (g_ascii_strcasecmp (names[i], name) == 0)
      return names[i];
  return NULL;
}

static Bucket
bucket_for (const char *path)
{
  const char *rest;

  if (path == NULL || !g_str_has_prefix (path, "/api/v1/"))
    return BUCKET_OTHER;
  rest = path + strlen ("/api/v1/");
  if (g_str_equal (rest, "users") || g_str_equal (rest, "users/"))
    return BUCKET_USERS;
  if (g_str_has_prefix (rest, "users/"))
    return BUCKET_USER;
  if (g_str_equal (rest, "groups") || g_str_equal (rest, "groups/")
      || g_str_has_prefix (rest, "groups/rules"))
    return BUCKET_GROUPS;
  if (g_str_has_prefix (rest, "groups/"))
    return BUCKET_GROUP;
  if (g_str_has_prefix (rest, "logs"))
    return BUCKET_LOGS;
  return BUCKET_OTHER;
}

/* The smallest number among the values of a header that may come more
 * than once (§5: PY takes the minimum); FALSE when there is none. */
static gboolean
header_min (SoupMessageHeaders *headers,
            const char         *name,
            gint64             *out)
{
  const char *list = soup_message_headers_get_list (headers, name);
  g_auto(GStrv) parts = NULL;
  gboolean found = FALSE;

  if (list == NULL)
    return FALSE;
  parts = g_strsplit (list, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      gint64 value;
      char *end = NULL;

      g_strstrip (parts[i]);
      if (*parts[i] == '\0')
        continue;
      value = g_ascii_strtoll (parts[i], &end, 10);
      if (end == NULL || *end != '\0' || value < 0)
        continue;
      if (!found || value < *out)
        *out = value;
      found = TRUE;
    }
  return found;
}

/* ---------------------------------------------------------------- waiting */

/* The bucket has so little left that the next request should wait for
 * its window to reset: nothing left, or under a tenth of the limit (§5).
 * Called with the lock held. */
static gboolean
bucket_needs_pause (const RateState *rate,
                    gint64           now)
{
  if (!rate->known || rate->reset_at <= now)
    return FALSE;
  if (rate->remaining == 0)
    return TRUE;
  return rate->limit > 0 && (guint64) rate->remaining * 10 < rate->limit;
}

typedef struct {
  PsOktaClient *self;
  Bucket        bucket;
  gboolean      counted;
} SlotCheck;

/* What a request waits for besides a free slot (ps_http_gate_acquire ()):
 * the end of any 429 hold, then, when its bucket is nearly used up, the
 * reset of the bucket's window. Called with the lock held. */
static gint64
slot_check (gpointer user_data,
            gint64   now,
            gint64   hold_until)
{
  SlotCheck *check = user_data;
  PsOktaClient *self = check->self;
  RateState *rate = &self->rates[check->bucket];

  if (hold_until > now)
    {
      self->stats.waited_ms += (hold_until - now) / 1000;
      return hold_until;
    }
  if (bucket_needs_pause (rate, now))
    {
      if (!check->counted)
        {
          self->stats.paced++;
          g_debug ("rate limit: %u of %u left, waiting %" G_GINT64_FORMAT " ms for the "
                   "window to reset", rate->remaining, rate->limit,
                   (rate->reset_at - now) / 1000);
          check->counted = TRUE;
        }
      self->stats.waited_ms += (rate->reset_at - now) / 1000;
      return rate->reset_at;
    }
  return 0;
}

/* Keeps the answer's X-Rate-Limit-* for @bucket. Returns the time until
 * the window resets, by the server's clock (`Reset − Date + 1 s`, at
 * least 1 s, capped), or -1 when the answer had no rate-limit headers. */
static gint64
note_rate_limit (PsOktaClient       *self,
                 Bucket              bucket,
                 SoupMessageHeaders *headers)
{
  gint64 limit = 0;
  gint64 remaining = 0;
  gint64 reset = 0;
  gint64 server_now;
  gint64 delay_us;
  const char *date = soup_message_headers_get_one (headers, "Date");
  g_autoptr(GDateTime) server_date = date != NULL ? soup_date_time_new_from_http_string (date)
                                                  : NULL;

  if (server_date != NULL)
    {
      g_mutex_lock (&self->gate.lock);
      self->server_time = g_date_time_to_unix (server_date);
      g_mutex_unlock (&self->gate.lock);
    }
  if (!header_min (headers, "X-Rate-Limit-Remaining", &remaining)
      || !header_min (headers, "X-Rate-Limit-Reset", &reset))
    return -1;
  header_min (headers, "X-Rate-Limit-Limit", &limit);
  /* The server's clock, so that a skewed local clock does not matter. */
  server_now = server_date != NULL ? g_date_time_to_unix (server_date)
                                   : g_get_real_time () / G_USEC_PER_SEC;
  delay_us = CLAMP (reset - server_now + 1, 1, (gint64) self->rate_wait_cap_s) * G_USEC_PER_SEC;

  g_mutex_lock (&self->gate.lock);
  self->rates[bucket].known = TRUE;
  self->rates[bucket].limit = (guint) MIN (limit, G_MAXUINT);
  self->rates[bucket].remaining = (guint) MIN (remaining, G_MAXUINT);
  self->rates[bucket].reset_at = g_get_monotonic_time () + delay_us;
  self->have_rate = TRUE;
  self->last_limit = (guint) MIN (limit, G_MAXUINT);
  self->last_remaining = (guint) MIN (remaining, G_MAXUINT);
  g_mutex_unlock (&self->gate.lock);
  return delay_us;
}

/* ---------------------------------------------------------------- retries */

static gboolean
status_is_retryable (guint status)
{
  return status == 408 || status == 500 || status == 502 || status == 503 || status == 504;
}

/* ---------------------------------------------------------------- one exchange */

static void
request_clear (Request *req)
{
  g_clear_pointer (&req->response, g_bytes_unref);
  g_clear_pointer (&req->content_type, g_free);
  g_clear_pointer (&req->www_authenticate, g_free);
  g_clear_pointer (&req->link, g_free);
  g_clear_pointer (&req->error_code, g_free);
  g_clear_pointer (&req->request_id, g_free);
}

static GError *
request_error (PsOktaClient *self,
               Request      *req,
               const GError *transport_error)
{
  g_autofree char *path = ps_http_url_path (req->url);
  g_autofree char *host = ps_http_url_host (req->url);
  PsOktaExchange x = {
    .method = "GET",
    .path = path,
    .host = host,
    .status = transport_error != NULL ? 0 : req->status,
    .content_type = req->content_type,
    .body = req->response,
    .www_authenticate = req->www_authenticate,
    .transport_error = transport_error,
    .request_sent = req->progress.request_sent,
    .answer_started = req->progress.answer_started,
    .attempts = req->attempts,
    .action = req->action,
  };

  return ps_okta_error_from_http (&x);
}

static GError *
shape_error (Request    *req,
             const char *what)
{
  g_autofree char *path = ps_http_url_path (req->url);

  return g_error_new (PS_OKTA_ERROR, PS_OKTA_ERROR_UNEXPECTED,
                      /* Translators: e.g. "GET /api/v1/users answered 200 without a list" */
                      _("GET %s answered %u %s. Try again later; if it keeps happening, a proxy "
                        "may be changing the answers."), path, req->status, what);
}

/* Sends @req once. FALSE with @transport_error when no full answer came. */
static gboolean
send_once (PsOktaClient  *self,
           Request       *req,
           Bucket         bucket,
           const char    *retry_for,
           GCancellable  *cancellable,
           GError       **transport_error)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *path = NULL;
  g_autofree char *authorization = NULL;
  SoupMessageHeaders *headers;
  SoupMessageHeaders *answer;

  /* Every request is an idempotent GET. */
  msg = ps_http_message_new ("GET", req->url, self->extra_ca, &req->progress, &local);
  if (msg == NULL)
    {
      g_propagate_error (transport_error, g_steal_pointer (&local));
      return FALSE;
    }
  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "Content-Type", "application/json");
  authorization = g_strconcat ("SSWS ", self->token, NULL);
  soup_message_headers_replace (headers, "Authorization", authorization);
  ps_http_wipe_string (authorization);
  if (retry_for != NULL)
    {
      /* Okta's own SDKs tie a retry to the request it repeats (§5). */
      g_autofree char *count = g_strdup_printf ("%u", req->attempts - 1);

      soup_message_headers_replace (headers, "X-Okta-Retry-For", retry_for);
      soup_message_headers_replace (headers, "X-Okta-Retry-Count", count);
    }
  request_clear (req);
  req->status = 0;
  req->rate_delay_us = -1;
  ps_http_gate_count (&self->gate, &self->stats.requests);

  bytes = ps_http_message_send (self->session, msg, &req->progress, cancellable, &local);
  path = ps_http_url_path (req->url);
  if (local != NULL)
    {
      g_debug ("GET %s: %s (%s)", path, local->message,
               ps_http_progress_describe (&req->progress));
      g_propagate_error (transport_error, g_steal_pointer (&local));
      return FALSE;
    }
  answer = soup_message_get_response_headers (msg);
  req->status = soup_message_get_status (msg);
  req->response = g_steal_pointer (&bytes);
  req->content_type = g_strdup (soup_message_headers_get_content_type (answer, NULL));
  req->www_authenticate = g_strdup (soup_message_headers_get_list (answer, "WWW-Authenticate"));
  req->link = g_strdup (soup_message_headers_get_list (answer, "Link"));
  req->request_id = g_strdup (soup_message_headers_get_one (answer, "X-Okta-Request-Id"));
  req->rate_delay_us = note_rate_limit (self, bucket, answer);
  if (req->status < 200 || req->status >= 300)
    req->error_code = ps_okta_error_code (req->response);
  g_debug ("GET %s → %u%s%s (%" G_GSIZE_FORMAT " bytes, attempt %u, X-Okta-Request-Id %s)",
           path, req->status, req->error_code != NULL ? " " : "",
           req->error_code != NULL ? req->error_code : "", g_bytes_get_size (req->response),
           req->attempts, req->request_id != NULL ? req->request_id : "-");
  return TRUE;
}

/* Waits before the next try: until the rate-limit window resets for a
 * 429 (holding every request of the client), else backoff. */
static gboolean
wait_retry (PsOktaClient  *self,
            Request       *req,
            GCancellable  *cancellable,
            GError       **error)
{
  gint64 delay;

  if (req->status == 429 && req->rate_delay_us >= 0)
    {
      delay = req->rate_delay_us + g_random_int_range (0, RATE_JITTER_MS) * 1000;
      ps_http_gate_hold (&self->gate, delay);
    }
  else
    delay = ps_http_backoff_us (self->backoff_base_ms, self->backoff_cap_ms, req->attempts);
  ps_http_gate_count (&self->gate, &self->stats.retries);
  g_debug ("retrying GET in %" G_GINT64_FORMAT " ms (attempt %u, status %u)", delay / 1000,
           req->attempts + 1, req->status);
  return ps_http_gate_sleep (&self->gate, delay, cancellable, error);
}

/* Runs @req with retries; on success *@root is the answer's JSON (an
 * array when @req expects one, else an object). */
static gboolean
request_run (PsOktaClient  *self,
             Request       *req,
             JsonNode     **root,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autofree char *path = ps_http_url_path (req->url);
  g_autofree char *retry_for = NULL;
  Bucket bucket = bucket_for (path);

  req->attempts = 0;
  req->malformed = FALSE;
  for (;;)
    {
      g_autoptr(GError) transport = NULL;
      g_autoptr(GError) local = NULL;
      gboolean sent;

      SlotCheck check = { self, bucket, FALSE };

      if (!ps_http_gate_acquire (&self->gate, slot_check, &check, cancellable, error))
        return FALSE;
      req->attempts++;
      sent = send_once (self, req, bucket, req->attempts > 1 ? retry_for : NULL, cancellable,
                        &transport);
      ps_http_gate_release (&self->gate);
      if (req->request_id != NULL)
        {
          g_free (retry_for);
          retry_for = g_strdup (req->request_id);
        }

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
                  if (!wait_retry (self, req, cancellable, error))
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
          if (parsed != NULL && (req->expect_array ? JSON_NODE_HOLDS_ARRAY (parsed)
                                                   : JSON_NODE_HOLDS_OBJECT (parsed)))
            {
              *root = g_steal_pointer (&parsed);
              return TRUE;
            }
          /* Cut off, garbled or of the wrong shape: worth asking again. */
          ps_http_gate_count (&self->gate, &self->stats.malformed);
          if (req->attempts < self->max_attempts)
            {
              if (!wait_retry (self, req, cancellable, error))
                return FALSE;
              continue;
            }
          req->malformed = TRUE;
          local = request_error (self, req, NULL);
          if (local == NULL)
            local = shape_error (req, req->expect_array ? _("without a list")
                                                        : _("without an object"));
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }

      if (req->status == 429)
        ps_http_gate_count (&self->gate, &self->stats.throttled);
      else if (req->status >= 500)
        ps_http_gate_count (&self->gate, &self->stats.unavailable);
      if (req->shrinkable && req->status == 500
          && g_strcmp0 (req->error_code, PS_OKTA_E_TIMEOUT) == 0)
        {
          /* Okta ran out of time on this page size: the caller asks again
           * for a smaller page instead. */
          g_propagate_error (error, request_error (self, req, NULL));
          return FALSE;
        }
      if ((req->status == 429 || status_is_retryable (req->status))
          && req->attempts < self->max_attempts)
        {
          if (!wait_retry (self, req, cancellable, error))
            return FALSE;
          continue;
        }
      g_propagate_error (error, request_error (self, req, NULL));
      return FALSE;
    }
}

/* GET @url as a JSON object. */
static JsonObject *
get_object (PsOktaClient  *self,
            const char    *url,
            const char    *action,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autoptr(JsonNode) root = NULL;
  Request req = {
    .url = url,
    .action = action,
  };
  gboolean ok = request_run (self, &req, &root, cancellable, error);

  request_clear (&req);
  if (!ok)
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

/* ---------------------------------------------------------------- paging */

/* TRUE when @link points at the org's own scheme, host and port: the
 * token goes nowhere else. */
static gboolean
link_is_ours (PsOktaClient *self,
              const char   *link)
{
  g_autoptr(GUri) uri = g_uri_parse (link, SOUP_HTTP_URI_FLAGS, NULL);
  const char *scheme;
  int port;
  int our_port;

  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return FALSE;
  scheme = g_uri_get_scheme (uri);
  port = g_uri_get_port (uri);
  our_port = g_uri_get_port (self->org_uri);
  if (port < 0)
    port = g_ascii_strcasecmp (scheme, "https") == 0 ? 443 : 80;
  if (our_port < 0)
    our_port = g_ascii_strcasecmp (g_uri_get_scheme (self->org_uri), "https") == 0 ? 443 : 80;
  return g_ascii_strcasecmp (scheme, g_uri_get_scheme (self->org_uri)) == 0
         && g_ascii_strcasecmp (g_uri_get_host (uri), g_uri_get_host (self->org_uri)) == 0
         && port == our_port;
}

static char *
with_limit (const char *base,
            guint       limit)
{
  return g_strdup_printf ("%s%climit=%u", base, strchr (base, '?') != NULL ? '&' : '?', limit);
}

/* Reads @base (a URL without `limit`) with `limit=@limit`, then every
 * `rel="next"` link after it, handing each page to @handler. A list ends
 * at a page without a next link, or at an empty page. */
static gboolean
read_pages (PsOktaClient  *self,
            const char    *base,
            guint          limit,
            const char    *action,
            PageHandler    handler,
            gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autofree char *url = with_limit (base, limit);
  gboolean first = TRUE;
  guint same = 0;

  for (guint pages = 0; pages < MAX_PAGES; pages++)
    {
      g_autoptr(JsonNode) root = NULL;
      g_autoptr(GError) local = NULL;
      g_autofree char *next = NULL;
      JsonArray *page;
      gboolean stop = FALSE;
      Request req = {
        .url = url,
        .action = action,
        .expect_array = TRUE,
        .shrinkable = first && limit > MIN_PAGE_SIZE,
      };

      if (!request_run (self, &req, &root, cancellable, &local))
        {
          if (req.shrinkable && req.status == 500
              && g_strcmp0 (req.error_code, PS_OKTA_E_TIMEOUT) == 0)
            {
              limit = MAX (MIN_PAGE_SIZE, limit / 2);
              g_debug ("Okta timed out (E0000009) on a page; asking for %u at a time", limit);
              request_clear (&req);
              g_free (url);
              url = with_limit (base, limit);
              continue;
            }
          request_clear (&req);
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      next = ps_okta_link_next (req.link);
      request_clear (&req);
      first = FALSE;
      page = json_node_get_array (root);
      if (json_array_get_length (page) == 0)
        return TRUE;
      if (!handler (self, page, data, &stop, error))
        return FALSE;
      if (stop || next == NULL)
        return TRUE;
      if (!link_is_ours (self, next))
        {
          g_autofree char *host = ps_http_url_host (next);

          g_set_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_UNEXPECTED,
                       /* Translators: %s is a host name */
                       _("Okta sent a link to the next page on another host (%s); PandaSync "
                         "does not follow it, so that the API token goes nowhere else. Check "
                         "the org URL in the [Okta] section (a custom domain must be the one "
                         "the API answers on) and any proxy."), host);
          return FALSE;
        }
      same = g_str_equal (next, url) ? same + 1 : 0;
      if (same >= MAX_SAME_LINK)
        {
          g_set_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_UNEXPECTED,
                       _("Okta kept sending the same page again as the next one while trying "
                         "to %s. Try again later."), action);
          return FALSE;
        }
      g_free (url);
      url = g_steal_pointer (&next);
    }
  g_set_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_UNEXPECTED,
               _("Okta never ended the list while trying to %s."), action);
  return FALSE;
}

/* A page handler that hands the page to a PsOktaPageFunc. */
typedef struct {
  PsOktaPageFunc func;
  gpointer       user_data;
} Forward;

static gboolean
forward_page (PsOktaClient  *self,
              JsonArray     *page,
              gpointer       data,
              gboolean      *stop,
              GError       **error)
{
  Forward *forward = data;

  if (forward->func == NULL)
    return TRUE;
  return forward->func (page, forward->user_data, error);
}

/* A page handler that keeps the first page only. */
static gboolean
first_page (PsOktaClient  *self,
            JsonArray     *page,
            gpointer       data,
            gboolean      *stop,
            GError       **error)
{
  JsonArray **out = data;

  *out = json_array_ref (page);
  *stop = TRUE;
  return TRUE;
}

/* ---------------------------------------------------------------- groups */

static gint
compare_groups (gconstpointer a,
                gconstpointer b)
{
  const PsOktaGroup *ga = *(PsOktaGroup **) a;
  const PsOktaGroup *gb = *(PsOktaGroup **) b;
  g_autofree char *ka = g_utf8_casefold (ga->name != NULL ? ga->name : "", -1);
  g_autofree char *kb = g_utf8_casefold (gb->name != NULL ? gb->name : "", -1);
  int c = g_utf8_collate (ka, kb);

  return c != 0 ? c : g_strcmp0 (ga->id, gb->id);
}

typedef struct {
  GPtrArray *groups;
  guint      limit;
} GroupsRead;

static gboolean
groups_page (PsOktaClient  *self,
             JsonArray     *page,
             gpointer       data,
             gboolean      *stop,
             GError       **error)
{
  GroupsRead *read = data;

  for (guint i = 0; i < json_array_get_length (page); i++)
    {
      JsonNode *node = json_array_get_element (page, i);
      PsOktaGroup *group;

      if (read->limit > 0 && read->groups->len >= read->limit)
        break;
      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      group = ps_okta_group_new_from_json (json_node_get_object (node));
      if (group != NULL)
        g_ptr_array_add (read->groups, group);
    }
  *stop = read->limit > 0 && read->groups->len >= read->limit;
  return TRUE;
}

static GPtrArray *
list_groups (PsOktaClient  *self,
             const char    *base,
             guint          page_size,
             guint          limit,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(GPtrArray) groups = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_okta_group_free);
  GroupsRead read = { groups, limit };

  if (!read_pages (self, base, page_size, _("list the groups"), groups_page, &read,
                   cancellable, error))
    return NULL;
  g_ptr_array_sort (groups, compare_groups);
  return g_steal_pointer (&groups);
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

/* One page of @base (limit 1), for the connection test's probes. */
static JsonArray *
probe (PsOktaClient  *self,
       const char    *base,
       const char    *action,
       GCancellable  *cancellable,
       GError       **error)
{
  JsonArray *page = NULL;
  g_autoptr(GError) local = NULL;

  if (!read_pages (self, base, 1, action, first_page, &page, cancellable, &local))
    {
      g_clear_pointer (&page, json_array_unref);
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  return page != NULL ? page : json_array_new ();
}

static char *
rate_note (PsOktaClient *self)
{
  guint limit = 0;
  guint remaining = 0;

  if (!ps_okta_client_get_rate_limit (self, &limit, &remaining) || limit == 0)
    return g_strdup ("");
  /* Translators: appended to a step's message; the requests left, then the limit */
  return g_strdup_printf (_(" Rate limit: %u of %u requests left in this window."), remaining,
                          limit);
}

static PsOktaGroup *
resolve_group (PsOktaClient  *self,
               const char    *group,
               GCancellable  *cancellable,
               GError       **error)
{
  g_autoptr(GPtrArray) found = NULL;

  if (ps_okta_id_is_valid (group, "00g"))
    return ps_okta_client_get_group_sync (self, group, cancellable, error);
  found = ps_okta_client_find_groups_by_name_sync (self, group, cancellable, error);
  if (found == NULL)
    return NULL;
  if (found->len == 0)
    {
      g_set_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_NOT_FOUND,
                   _("Okta has no group named “%s”: check the name, or choose the group again "
                     "in the mapping."), group);
      return NULL;
    }
  if (found->len > 1)
    {
      g_set_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_AMBIGUOUS,
                   g_dngettext (GETTEXT_PACKAGE,
                                "%u group in Okta is named “%s”: choose the group again in the "
                                "mapping, so that it is stored by its id.",
                                "%u groups in Okta are named “%s”: choose the group again in the "
                                "mapping, so that it is stored by its id.", found->len),
                   found->len, group);
      return NULL;
    }
  return g_steal_pointer (&g_ptr_array_index (found, 0));
}

static void
test_group (PsOktaClient     *self,
            PsConnectionStep *step,
            const char       *group,
            GCancellable     *cancellable)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsOktaGroup) g = NULL;
  g_autoptr(JsonArray) members = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *base = NULL;
  g_autofree char *action = NULL;
  g_autofree char *message = NULL;
  gint64 started = g_get_monotonic_time ();

  g = resolve_group (self, group, cancellable, &error);
  if (g == NULL)
    {
      ps_connection_step_done (step, started, error, NULL);
      return;
    }
  escaped = g_uri_escape_string (g->id, NULL, FALSE);
  base = g_strdup_printf ("%s/api/v1/groups/%s/users", self->config.org_url, escaped);
  /* Translators: completes "… may not %s"; %s is a group name */
  action = g_strdup_printf (_("read the members of group “%s”"), g->name);
  members = probe (self, base, action, cancellable, &error);
  if (members == NULL)
    {
      ps_connection_step_done (step, started, error, NULL);
      return;
    }
  /* Translators: a group name, its id, then its type (OKTA_GROUP, APP_GROUP…) */
  message = g_strdup_printf (_("Found “%s” (%s, %s); its members can be read."), g->name, g->id,
                             g->type != NULL ? g->type : "?");
  ps_connection_step_done (step, started, NULL, message);
}

/* ---------------------------------------------------------------- overrides */

static void
ps_okta_client_dispose (GObject *object)
{
  PsOktaClient *self = PS_OKTA_CLIENT (object);

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (ps_okta_client_parent_class)->dispose (object);
}

static void
ps_okta_client_finalize (GObject *object)
{
  PsOktaClient *self = PS_OKTA_CLIENT (object);

  g_clear_pointer (&self->token, ps_secret_free);
  g_free (self->config.org_url);
  g_free (self->config.ca_file);
  g_clear_pointer (&self->org_uri, g_uri_unref);
  g_free (self->host);
  g_clear_object (&self->extra_ca);
  ps_http_gate_clear (&self->gate);
  G_OBJECT_CLASS (ps_okta_client_parent_class)->finalize (object);
}

static void
ps_okta_client_class_init (PsOktaClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ps_okta_client_dispose;
  object_class->finalize = ps_okta_client_finalize;
}

static void
ps_okta_client_init (PsOktaClient *self)
{
  ps_http_gate_init (&self->gate, DEFAULT_CONCURRENCY);
  self->max_attempts = DEFAULT_MAX_ATTEMPTS;
  self->backoff_base_ms = DEFAULT_BACKOFF_BASE_MS;
  self->backoff_cap_ms = DEFAULT_BACKOFF_CAP_MS;
  self->rate_wait_cap_s = DEFAULT_RATE_WAIT_CAP_S;
}

/* ---------------------------------------------------------------- groups (public) */

PsOktaGroup *
ps_okta_group_new_from_json (JsonObject *object)
{
  JsonObject *profile;
  const char *id;
  PsOktaGroup *group;

  g_return_val_if_fail (object != NULL, NULL);

  id = ps_http_json_string (object, "id");
  if (id == NULL || *id == '\0')
    return NULL;
  profile = ps_http_json_object (object, "profile");
  group = g_new0 (PsOktaGroup, 1);
  group->id = g_strdup (id);
  group->name = g_strdup (ps_http_json_string (profile, "name"));
  group->description = g_strdup (ps_http_json_string (profile, "description"));
  group->type = g_strdup (ps_http_json_string (object, "type"));
  group->last_membership_updated = g_strdup (ps_http_json_string (object, "lastMembershipUpdated"));
  return group;
}

void
ps_okta_group_free (PsOktaGroup *group)
{
  if (group == NULL)
    return;
  g_free (group->id);
  g_free (group->name);
  g_free (group->description);
  g_free (group->type);
  g_free (group->last_membership_updated);
  g_free (group);
}

/* ---------------------------------------------------------------- public API */

PsOktaClient *
ps_okta_client_new (const PsOktaClientConfig  *config,
                    const char                *api_token,
                    GError                   **error)
{
  g_autoptr(PsOktaClient) self = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *org_url = NULL;

  g_return_val_if_fail (config != NULL, NULL);

  org_url = ps_okta_org_url_check (config->org_url, &reason);
  if (org_url == NULL)
    {
      g_set_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_CONFIG,
                   /* Translators: %s says what is wrong with the URL */
                   _("The org URL of the [Okta] section cannot be used: %s."), reason);
      return NULL;
    }
  if (api_token == NULL || *api_token == '\0')
    {
      g_set_error_literal (error, PS_OKTA_ERROR, PS_OKTA_ERROR_CONFIG,
                           _("No Okta API token is stored for this profile: create one under "
                             "Security → API → Tokens and store it with “pandasync-cli profile "
                             "set-secret okta-api-token”."));
      return NULL;
    }

  self = g_object_new (PS_TYPE_OKTA_CLIENT, NULL);
  self->config.org_url = g_steal_pointer (&org_url);
  self->config.ca_file = config->ca_file != NULL && *config->ca_file != '\0'
                         ? g_strdup (config->ca_file) : NULL;
  self->config.timeout = config->timeout > 0 ? config->timeout : DEFAULT_TIMEOUT_S;
  self->config.page_size = config->page_size > 0
                           ? MIN (config->page_size, PS_OKTA_MAX_PAGE_SIZE)
                           : PS_OKTA_MAX_PAGE_SIZE;
  self->config.concurrency = config->concurrency > 0
                             ? MIN (config->concurrency, MAX_CONCURRENCY)
                             : DEFAULT_CONCURRENCY;
  self->gate.concurrency = self->config.concurrency;
  self->token = g_strstrip (g_strdup (api_token));
  self->org_uri = g_uri_parse (self->config.org_url, SOUP_HTTP_URI_FLAGS, NULL);
  self->host = g_strdup (g_uri_get_host (self->org_uri));

  if (self->config.ca_file != NULL)
    {
      self->extra_ca = g_tls_file_database_new (self->config.ca_file, &local);
      if (self->extra_ca == NULL)
        {
          g_set_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_CONFIG,
                       _("Cannot read the CA file %s of the [Okta] section: %s"),
                       self->config.ca_file, local->message);
          return NULL;
        }
    }

  self->session = soup_session_new_with_options ("max-conns", self->config.concurrency + 2,
                                                 "max-conns-per-host", self->config.concurrency,
                                                 "timeout", self->config.timeout,
                                                 "user-agent", "PandaSync/" PACKAGE_VERSION " ",
                                                 NULL);
  return g_steal_pointer (&self);
}

void
ps_okta_client_set_retry (PsOktaClient *self,
                          guint         max_attempts,
                          guint         base_ms,
                          guint         cap_ms,
                          guint         rate_wait_cap_s)
{
  g_return_if_fail (PS_IS_OKTA_CLIENT (self));

  g_mutex_lock (&self->gate.lock);
  self->max_attempts = MAX (max_attempts, 1);
  self->backoff_base_ms = MAX (base_ms, 1);
  self->backoff_cap_ms = MAX (cap_ms, self->backoff_base_ms);
  self->rate_wait_cap_s = MAX (rate_wait_cap_s, 1);
  g_mutex_unlock (&self->gate.lock);
}

void
ps_okta_client_get_stats (PsOktaClient *self,
                          PsOktaStats  *stats)
{
  g_return_if_fail (PS_IS_OKTA_CLIENT (self));
  g_return_if_fail (stats != NULL);

  g_mutex_lock (&self->gate.lock);
  *stats = self->stats;
  g_mutex_unlock (&self->gate.lock);
}

const char *
ps_okta_client_get_org_url (PsOktaClient *self)
{
  g_return_val_if_fail (PS_IS_OKTA_CLIENT (self), NULL);
  return self->config.org_url;
}

gboolean
ps_okta_client_get_rate_limit (PsOktaClient *self,
                               guint        *limit,
                               guint        *remaining)
{
  gboolean have;

  g_return_val_if_fail (PS_IS_OKTA_CLIENT (self), FALSE);

  g_mutex_lock (&self->gate.lock);
  have = self->have_rate;
  if (limit != NULL)
    *limit = self->last_limit;
  if (remaining != NULL)
    *remaining = self->last_remaining;
  g_mutex_unlock (&self->gate.lock);
  return have;
}

JsonObject *
ps_okta_client_get_me_sync (PsOktaClient  *self,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autofree char *url = NULL;

  g_return_val_if_fail (PS_IS_OKTA_CLIENT (self), NULL);

  url = g_strdup_printf ("%s/api/v1/users/me", self->config.org_url);
  return get_object (self, url, _("read the admin the API token belongs to"), cancellable,
                     error);
}

GPtrArray *
ps_okta_client_find_groups_sync (PsOktaClient  *self,
                                 const char    *search,
                                 guint          limit,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  g_autofree char *base = NULL;

  g_return_val_if_fail (PS_IS_OKTA_CLIENT (self), NULL);

  if (search != NULL && ps_okta_id_is_valid (search, "00g"))
    {
      g_autoptr(GPtrArray) groups = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_okta_group_free);
      g_autoptr(GError) local = NULL;
      PsOktaGroup *group = ps_okta_client_get_group_sync (self, search, cancellable, &local);

      if (group != NULL)
        {
          g_ptr_array_add (groups, group);
          return g_steal_pointer (&groups);
        }
      if (!g_error_matches (local, PS_OKTA_ERROR, PS_OKTA_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      /* not a group's id after all: search by name */
    }
  if (search == NULL || *search == '\0')
    {
      base = g_strdup_printf ("%s/api/v1/groups", self->config.org_url);
      return list_groups (self, base, limit > 0 ? MIN (limit, PS_OKTA_MAX_PAGE_SIZE)
                                                : PS_OKTA_MAX_PAGE_SIZE,
                          limit, cancellable, error);
    }
  {
    g_autofree char *escaped = query_escape (search);

    base = g_strdup_printf ("%s/api/v1/groups?q=%s", self->config.org_url, escaped);
  }
  return list_groups (self, base, limit > 0 ? MIN (limit, GROUP_QUERY_LIMIT) : GROUP_QUERY_LIMIT,
                      limit, cancellable, error);
}

GPtrArray *
ps_okta_client_find_groups_by_name_sync (PsOktaClient  *self,
                                         const char    *name,
                                         GCancellable  *cancellable,
                                         GError       **error)
{
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) exact = NULL;
  g_autoptr(GPtrArray) folded = NULL;
  g_autofree char *quoted = NULL;
  g_autofree char *expression = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *base = NULL;

  g_return_val_if_fail (PS_IS_OKTA_CLIENT (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  quoted = search_quote (name);
  expression = g_strconcat ("profile.name eq ", quoted, NULL);
  escaped = query_escape (expression);
  base = g_strdup_printf ("%s/api/v1/groups?search=%s", self->config.org_url, escaped);
  all = list_groups (self, base, PS_OKTA_MAX_PAGE_SIZE, 0, cancellable, error);
  if (all == NULL)
    return NULL;
  exact = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_okta_group_free);
  folded = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_okta_group_free);
  for (guint i = 0; i < all->len; i++)
    {
      PsOktaGroup *g = g_ptr_array_index (all, i);
      g_autofree char *a = g->name != NULL ? g_utf8_casefold (g->name, -1) : NULL;
      g_autofree char *b = g_utf8_casefold (name, -1);

      if (g_strcmp0 (g->name, name) == 0)
        g_ptr_array_add (exact, g_steal_pointer (&g_ptr_array_index (all, i)));
      else if (g_strcmp0 (a, b) == 0)
        g_ptr_array_add (folded, g_steal_pointer (&g_ptr_array_index (all, i)));
    }
  return exact->len > 0 ? g_steal_pointer (&exact) : g_steal_pointer (&folded);
}

PsOktaGroup *
ps_okta_client_get_group_sync (PsOktaClient  *self,
                               const char    *id,
                               GCancellable  *cancellable,
                               GError       **error)
{
  g_autoptr(JsonObject) object = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *url = NULL;
  g_autofree char *action = NULL;
  PsOktaGroup *group;

  g_return_val_if_fail (PS_IS_OKTA_CLIENT (self), NULL);

  if (id == NULL || *id == '\0')
    {
      g_set_error_literal (error, PS_OKTA_ERROR, PS_OKTA_ERROR_CONFIG,
                           _("No group is set: choose the group in the mapping."));
      return NULL;
    }
  escaped = g_uri_escape_string (id, NULL, FALSE);
  url = g_strdup_printf ("%s/api/v1/groups/%s", self->config.org_url, escaped);
  /* Translators: completes "Cannot …" / "… may not …"; %s is a group id */
  action = g_strdup_printf (_("read the group %s"), id);
  object = get_object (self, url, action, cancellable, error);
  if (object == NULL)
    return NULL;
  group = ps_okta_group_new_from_json (object);
  if (group == NULL)
    g_set_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_UNEXPECTED,
                 _("Okta answered the request to read the group %s without its id. Try again "
                   "later; if it keeps happening, a proxy may be changing the answers."), id);
  return group;
}

gboolean
ps_okta_client_read_group_users_sync (PsOktaClient    *self,
                                      const char      *group_id,
                                      PsOktaPageFunc   func,
                                      gpointer         user_data,
                                      GCancellable    *cancellable,
                                      GError         **error)
{
  g_autofree char *escaped = NULL;
  g_autofree char *base = NULL;
  g_autofree char *action = NULL;
  Forward forward = { func, user_data };

  g_return_val_if_fail (PS_IS_OKTA_CLIENT (self), FALSE);

  if (group_id == NULL || *group_id == '\0')
    {
      g_set_error_literal (error, PS_OKTA_ERROR, PS_OKTA_ERROR_CONFIG,
                           _("No group is set: choose the group in the mapping."));
      return FALSE;
    }
  escaped = g_uri_escape_string (group_id, NULL, FALSE);
  base = g_strdup_printf ("%s/api/v1/groups/%s/users", self->config.org_url, escaped);
  /* Translators: completes "… may not %s"; %s is a group id */
  action = g_strdup_printf (_("read the members of group %s"), group_id);
  return read_pages (self, base, self->config.page_size, action, forward_page, &forward,
                     cancellable, error);
}

gboolean
ps_okta_client_list_users_sync (PsOktaClient    *self,
                                const char      *search,
                                const char      *filter,
                                PsOktaPageFunc   func,
                                gpointer         user_data,
                                GCancellable    *cancellable,
                                GError         **error)
{
  g_autoptr(GString) base = NULL;
  Forward forward = { func, user_data };
  char separator = '?';

  g_return_val_if_fail (PS_IS_OKTA_CLIENT (self), FALSE);

  base = g_string_new (self->config.org_url);
  g_string_append (base, "/api/v1/users");
  if (search != NULL && *search != '\0')
    {
      g_autofree char *escaped = query_escape (search);

      g_string_append_printf (base, "%csearch=%s", separator, escaped);
      separator = '&';
    }
  if (filter != NULL && *filter != '\0')
    {
      g_autofree char *escaped = query_escape (filter);

      g_string_append_printf (base, "%cfilter=%s", separator, escaped);
    }
  return read_pages (self, base->str, self->config.page_size,
                     search != NULL ? _("search the users") : _("list the users"),
                     forward_page, &forward, cancellable, error);
}

gboolean
ps_okta_client_poll_logs_sync (PsOktaClient    *self,
                               const char      *since,
                               const char      *position,
                               const char      *filter,
                               PsOktaPageFunc   func,
                               gpointer         user_data,
                               char           **new_position,
                               GCancellable    *cancellable,
                               GError         **error)
{
  g_autofree char *url = NULL;
  const char *action = _("read the System Log");

  g_return_val_if_fail (PS_IS_OKTA_CLIENT (self), FALSE);
  g_return_val_if_fail (since != NULL || position != NULL, FALSE);
  g_return_val_if_fail (new_position != NULL, FALSE);

  *new_position = NULL;
  if (position != NULL)
    {
      if (!link_is_ours (self, position))
        {
          g_set_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_CONFIG,
                       _("The stored System Log position is not on this org: the org URL "
                         "changed since the last run."));
          return FALSE;
        }
      url = g_strdup (position);
    }
  else
    {
      g_autoptr(GString) base = g_string_new (self->config.org_url);
      g_autofree char *escaped_since = query_escape (since);

      g_string_append_printf (base, "/api/v1/logs?since=%s&sortOrder=ASCENDING&limit=%u",
                              escaped_since, PS_OKTA_MAX_LOG_PAGE_SIZE);
      if (filter != NULL && *filter != '\0')
        {
          g_autofree char *escaped = query_escape (filter);

          g_string_append_printf (base, "&filter=%s", escaped);
        }
      url = g_string_free (g_steal_pointer (&base), FALSE);
    }

  /* A polling query: every page has a next link, which carries the
   * position; the events so far end at an empty page. */
  for (guint pages = 0; pages < MAX_PAGES; pages++)
    {
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *next = NULL;
      JsonArray *page;
      Request req = {
        .url = url,
        .action = action,
        .expect_array = TRUE,
      };

      if (!request_run (self, &req, &root, cancellable, error))
        {
          request_clear (&req);
          return FALSE;
        }
      next = ps_okta_link_next (req.link);
      request_clear (&req);
      page = json_node_get_array (root);
      if (json_array_get_length (page) > 0 && func != NULL
          && !func (page, user_data, error))
        return FALSE;
      if (next != NULL && !link_is_ours (self, next))
        {
          g_set_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_UNEXPECTED,
                       _("Okta sent a link to the next page of the System Log on another "
                         "host; PandaSync does not follow it."));
          return FALSE;
        }
      if (json_array_get_length (page) == 0 || next == NULL)
        {
          *new_position = next != NULL ? g_steal_pointer (&next) : g_steal_pointer (&url);
          return TRUE;
        }
      g_free (url);
      url = g_steal_pointer (&next);
    }
  g_set_error (error, PS_OKTA_ERROR, PS_OKTA_ERROR_UNEXPECTED,
               _("Okta never ended the list while trying to %s."), action);
  return FALSE;
}

gint64
ps_okta_client_get_server_time (PsOktaClient *self)
{
  gint64 time;

  g_return_val_if_fail (PS_IS_OKTA_CLIENT (self), 0);

  g_mutex_lock (&self->gate.lock);
  time = self->server_time;
  g_mutex_unlock (&self->gate.lock);
  return time;
}

JsonObject *
ps_okta_client_get_user_sync (PsOktaClient  *self,
                              const char    *id,
                              GCancellable  *cancellable,
                              GError       **error)
{
  g_autofree char *escaped = NULL;
  g_autofree char *url = NULL;
  g_autofree char *action = NULL;

  g_return_val_if_fail (PS_IS_OKTA_CLIENT (self), NULL);

  if (id == NULL || *id == '\0')
    {
      g_set_error_literal (error, PS_OKTA_ERROR, PS_OKTA_ERROR_NOT_FOUND,
                           _("Cannot read a user without an id."));
      return NULL;
    }
  escaped = g_uri_escape_string (id, NULL, FALSE);
  url = g_strdup_printf ("%s/api/v1/users/%s", self->config.org_url, escaped);
  /* Translators: completes "Cannot …" / "… may not …"; %s is a user id */
  action = g_strdup_printf (_("read the user %s"), id);
  return get_object (self, url, action, cancellable, error);
}

GPtrArray *
ps_okta_client_test_sync (PsOktaClient *self,
                          const char   *group,
                          GCancellable *cancellable)
{
  g_autoptr(GPtrArray) steps = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_connection_step_free);
  g_autoptr(JsonObject) me = NULL;
  g_autoptr(GError) me_error = NULL;
  g_autofree char *title = NULL;
  PsConnectionStep *resolve_step;
  PsConnectionStep *connect_step;
  PsConnectionStep *tls_step;
  PsConnectionStep *token_step;
  PsConnectionStep *users_step;
  PsConnectionStep *groups_step;
  PsConnectionStep *group_step = NULL;
  gboolean https = g_strcmp0 (g_uri_get_scheme (self->org_uri), "https") == 0;
  gint64 started;

  g_return_val_if_fail (PS_IS_OKTA_CLIENT (self), NULL);

  /* Translators: %s is a host name */
  title = g_strdup_printf (_("Find %s (DNS)"), self->host);
  resolve_step = add_step (steps, "resolve", title);
  g_free (title);
  /* Translators: %s is the org URL */
  title = g_strdup_printf (_("Connect to %s"), self->config.org_url);
  connect_step = add_step (steps, "connect", title);
  tls_step = add_step (steps, "tls", _("Secure the connection (TLS)"));
  token_step = add_step (steps, "token", _("Check the API token"));
  users_step = add_step (steps, "users", _("Read users"));
  groups_step = add_step (steps, "groups", _("Read groups and their members"));
  if (group != NULL && *group != '\0')
    {
      g_autofree char *group_title = g_strdup_printf (_("Find the group “%s” and read its "
                                                        "members"), group);
      group_step = add_step (steps, "group", group_title);
    }

  /* 1–4: one request tells how far the connection got. */
  started = g_get_monotonic_time ();
  me = ps_okta_client_get_me_sync (self, cancellable, &me_error);
  if (me == NULL && (g_error_matches (me_error, PS_OKTA_ERROR, PS_OKTA_ERROR_HOST_NOT_FOUND)
                     || g_error_matches (me_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)))
    {
      ps_connection_step_done (resolve_step, started, me_error, NULL);
      skip_rest (steps, 1, _("Not tried: the host was not found."));
      return g_steal_pointer (&steps);
    }
  ps_connection_step_done (resolve_step, started, NULL, _("The host name resolves."));
  if (me == NULL && g_error_matches (me_error, PS_OKTA_ERROR, PS_OKTA_ERROR_UNREACHABLE))
    {
      ps_connection_step_done (connect_step, started, me_error, NULL);
      skip_rest (steps, 2, _("Not tried: no connection."));
      return g_steal_pointer (&steps);
    }
  ps_connection_step_done (connect_step, started, NULL, _("Connected."));
  if (me == NULL && g_error_matches (me_error, PS_OKTA_ERROR, PS_OKTA_ERROR_TLS))
    {
      ps_connection_step_done (tls_step, started, me_error, NULL);
      skip_rest (steps, 3, _("Not tried: the secure connection failed."));
      return g_steal_pointer (&steps);
    }
  ps_connection_step_done (tls_step, started, NULL,
                           https ? _("The certificate is trusted.")
                                 : _("Plain HTTP to 127.0.0.1, a test server: no TLS."));
  if (me == NULL && g_error_matches (me_error, PS_OKTA_ERROR, PS_OKTA_ERROR_PERMISSION))
    /* Not refused (that is a 401): the admin's role is too narrow even for
     * this, and the steps below name what it lacks. */
    ps_connection_step_done (token_step, started, NULL,
                             _("The token is accepted, but its admin may not read their own "
                               "user."));
  else if (me == NULL)
    {
      ps_connection_step_done (token_step, started, me_error, NULL);
      skip_rest (steps, 4, _("Not tried: the API token was not accepted."));
      return g_steal_pointer (&steps);
    }
  else
    {
      JsonObject *profile = ps_http_json_object (me, "profile");
      const char *login = ps_http_json_string (profile, "login");
      g_autofree char *message = NULL;

      /* Translators: %s is the login of the admin the token belongs to */
      message = g_strdup_printf (_("The token belongs to %s."),
                                 login != NULL ? login : ps_okta_user_get_id (me) != NULL
                                 ? ps_okta_user_get_id (me) : "?");
      ps_connection_step_done (token_step, started, NULL, message);
    }

  /* 5. users */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonArray) page = NULL;
    g_autofree char *base = g_strdup_printf ("%s/api/v1/users", self->config.org_url);

    started = g_get_monotonic_time ();
    page = probe (self, base, _("read users"), cancellable, &error);
    if (page == NULL)
      ps_connection_step_done (users_step, started, error, NULL);
    else
      {
        g_autofree char *note = rate_note (self);
        g_autofree char *message = g_strconcat (_("The token may read users."), note, NULL);

        ps_connection_step_done (users_step, started, NULL, message);
      }
  }

  /* 6. groups and the members of the first one */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonArray) groups = NULL;
    g_autoptr(JsonArray) members = NULL;
    g_autofree char *base = g_strdup_printf ("%s/api/v1/groups", self->config.org_url);

    started = g_get_monotonic_time ();
    groups = probe (self, base, _("read groups"), cancellable, &error);
    if (groups != NULL && json_array_get_length (groups) > 0
        && JSON_NODE_HOLDS_OBJECT (json_array_get_element (groups, 0)))
      {
        const char *id = ps_http_json_string (json_node_get_object (json_array_get_element (groups, 0)),
                                        "id");
        g_autofree char *escaped = g_uri_escape_string (id != NULL ? id : "", NULL, FALSE);

        g_free (base);
        base = g_strdup_printf ("%s/api/v1/groups/%s/users", self->config.org_url, escaped);
        members = probe (self, base, _("read group members"), cancellable, &error);
        if (members == NULL)
          g_clear_pointer (&groups, json_array_unref);
      }
    if (groups == NULL)
      ps_connection_step_done (groups_step, started, error, NULL);
    else
      ps_connection_step_done (groups_step, started, NULL,
                               _("The token may read groups and their members."));
  }

  /* 7. the group */
  if (group_step != NULL)
    test_group (self, group_step, group, cancellable);
  return g_steal_pointer (&steps);
}

static void
test_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  g_task_return_pointer (task, ps_okta_client_test_sync (source, task_data, cancellable),
                         (GDestroyNotify) g_ptr_array_unref);
}

void
ps_okta_client_test_async (PsOktaClient        *self,
                           const char          *group,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (PS_IS_OKTA_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ps_okta_client_test_async);
  g_task_set_task_data (task, g_strdup (group), g_free);
  g_task_run_in_thread (task, test_thread);
}

GPtrArray *
ps_okta_client_test_finish (PsOktaClient  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ps_okta_client_test_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---------------------------------------------------------------- values */

const char *const *
ps_okta_user_attribute_names (void)
{
  return suggested_names;
}

char *
ps_okta_link_next (const char *header)
{
  const char *p = header;

  if (header == NULL)
    return NULL;
  while (*p != '\0')
    {
      const char *open;
      const char *close;
      g_autofree char *target = NULL;
      gboolean next = FALSE;

      open = strchr (p, '<');
      if (open == NULL)
        return NULL;
      close = strchr (open + 1, '>');
      if (close == NULL)
        return NULL;
      target = g_strndup (open + 1, close - open - 1);
      p = close + 1;
      /* the parameters: ; name=value or ; name="value", up to the next link */
      for (;;)
        {
          const char *name;
          gsize name_len;
          g_autofree char *value = NULL;

          while (*p == ' ' || *p == '\t')
            p++;
          if (*p != ';')
            break;
          p++;
          while (*p == ' ' || *p == '\t')
            p++;
          name = p;
          while (*p != '\0' && *p != '=' && *p != ';' && *p != ',' && *p != ' ')
            p++;
          name_len = p - name;
          while (*p == ' ')
            p++;
          if (*p != '=')
            continue;
          p++;
          while (*p == ' ')
            p++;
          if (*p == '"')
            {
              GString *v = g_string_new (NULL);

              for (p++; *p != '\0' && *p != '"'; p++)
                {
                  if (*p == '\\' && p[1] != '\0')
                    p++;
                  g_string_append_c (v, *p);
                }
              if (*p == '"')
                p++;
              value = g_string_free (v, FALSE);
            }
          else
            {
              const char *start = p;

              while (*p != '\0' && *p != ';' && *p != ',' && *p != ' ')
                p++;
              value = g_strndup (start, p - start);
            }
          if (name_len == 3 && g_ascii_strncasecmp (name, "rel", 3) == 0)
            {
              g_auto(GStrv) rels = g_strsplit (value, " ", -1);

              for (guint i = 0; rels[i] != NULL; i++)
                if (g_ascii_strcasecmp (rels[i], "next") == 0)
                  next = TRUE;
            }
        }
      if (next && *target != '\0')
        return g_steal_pointer (&target);
      /* on to the next link, after the comma that separates them */
      while (*p != '\0' && *p != ',' && *p != '<')
        p++;
      if (*p == ',')
        p++;
    }
  return NULL;
}

gboolean
ps_okta_id_is_valid (const char *text,
                     const char *prefix)
{
  if (text == NULL || strlen (text) != 20)
    return FALSE;
  if (prefix != NULL && !g_str_has_prefix (text, prefix))
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p))
      return FALSE;
  return TRUE;
}

PsOktaStatusClass
ps_okta_status_classify (const char *status)
{
  static const struct {
    const char        *status;
    PsOktaStatusClass  klass;
  } table[] = {
    { "ACTIVE", PS_OKTA_STATUS_AT_WORK },
    { "PROVISIONED", PS_OKTA_STATUS_AT_WORK },
    { "RECOVERY", PS_OKTA_STATUS_AT_WORK },
    { "PASSWORD_EXPIRED", PS_OKTA_STATUS_AT_WORK },
    { "LOCKED_OUT", PS_OKTA_STATUS_AT_WORK },
    { "SUSPENDED", PS_OKTA_STATUS_DISABLED },
    { "DEPROVISIONED", PS_OKTA_STATUS_DISABLED },
    { "STAGED", PS_OKTA_STATUS_NOT_YET },
  };

  if (status == NULL)
    return PS_OKTA_STATUS_UNKNOWN;
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (g_str_equal (status, table[i].status))
      return table[i].klass;
  return PS_OKTA_STATUS_UNKNOWN;
}

const char *
ps_okta_user_get_id (JsonObject *user)
{
  const char *id;

  g_return_val_if_fail (user != NULL, NULL);

  id = ps_http_json_string (user, "id");
  return id != NULL && *id != '\0' ? id : NULL;
}

const char *
ps_okta_user_get_status (JsonObject *user)
{
  const char *status;

  g_return_val_if_fail (user != NULL, NULL);

  /* On the way to another status (§2.3): that one counts (§2.4). */
  status = ps_http_json_string (user, "transitioningToStatus");
  if (status != NULL && *status != '\0')
    return status;
  status = ps_http_json_string (user, "status");
  return status != NULL && *status != '\0' ? status : NULL;
}

/* The node @name names (see ps_okta_user_get_string ()), or NULL. */
static JsonNode *
user_node (JsonObject *user,
           const char *name,
           gboolean   *in_profile)
{
  const char *top;

  if (g_ascii_strncasecmp (name, "profile.", 8) == 0)
    name += 8;
  else if ((top = user_property (name)) != NULL)
    {
      *in_profile = FALSE;
      return json_object_get_member (user, top);
    }
  *in_profile = TRUE;
  return ps_http_json_member (ps_http_json_object (user, "profile"), name);
}

char *
ps_okta_user_get_string (JsonObject *user,
                         const char *name)
{
  JsonNode *node;
  gboolean in_profile = FALSE;

  g_return_val_if_fail (user != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  node = user_node (user, name, &in_profile);
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

gboolean
ps_okta_user_has_attribute (JsonObject *user,
                            const char *name)
{
  gboolean in_profile = FALSE;

  g_return_val_if_fail (user != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  return user_node (user, name, &in_profile) != NULL || !in_profile;
}
