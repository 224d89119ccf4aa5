/* ps-target-http.c — SoupSession, pacer, retries and redacted logging
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ps-target-http.h"
#include "ps-http-util.h"

#define RETRY_BUDGET_START   10.0
#define RETRY_BUDGET_MAX     100.0
#define RETRY_BUDGET_EARN    0.5   /* per successful call: rides out a third of calls failing */
#define RETRY_AFTER_MAX_S    900   /* an absurd Retry-After is capped at 15 min */
#define REQUEST_TIMEOUT_S    60
#define IDLE_TIMEOUT_S       30    /* below the keep-alive of common servers and balancers */

struct _PsHttp
{
  GRecMutex      lock;
  GMainContext  *context;
  SoupSession   *session;
  GUri          *base;
  char          *base_path;       /* without trailing slash */
  GTlsDatabase  *extra_ca;        /* the profile's CAFile, or NULL */
  guint          concurrency;
  guint          idle_timeout_s;  /* a connection idle this long is closed, not reused */
  gint64         last_used;       /* monotonic µs of the last request or answer, or 0 */

  /* pacer: send times (monotonic µs) within the last window */
  guint          rate_calls;
  gint64         rate_window_us;
  gint64         margin_us;
  GQueue         sent_times;
  gint64         hold_until;      /* a 429/503 Retry-After pauses every call */

  guint          backoff_base_ms;
  guint          backoff_cap_ms;
  double         retry_budget;

  PsHttpAuthorizeFunc authorize;
  gpointer       authorize_data;

  GMutex         secrets_lock;
  GPtrArray     *secrets;         /* forms of every secret, for the log filter */

  PsHttpStats    stats;
};

typedef struct {
  PsHttp       *http;
  GPtrArray    *calls;
  GCancellable *cancellable;
  guint         active;
  gboolean      stop;
  GError       *stop_error;
} Run;

typedef struct {
  Run         *run;
  PsHttpCall  *call;
  SoupMessage *msg;
} Flight;

/* ---------------------------------------------------------------- redaction */

static void
add_secret_form (PsHttp     *http,
                 const char *form)
{
  if (form == NULL || strlen (form) < 4)
    return;
  for (guint i = 0; i < http->secrets->len; i++)
    if (g_str_equal (g_ptr_array_index (http->secrets, i), form))
      return;
  g_ptr_array_add (http->secrets, g_strdup (form));
}

void
ps_http_add_secret (PsHttp     *http,
                    const char *secret)
{
  g_autofree char *escaped = NULL;
  g_autofree char *b64 = NULL;
  g_autofree char *form = NULL;

  if (secret == NULL || *secret == '\0')
    return;
  escaped = g_uri_escape_string (secret, NULL, FALSE);
  b64 = g_base64_encode ((const guchar *) secret, strlen (secret));
  form = g_uri_escape_string (secret, NULL, TRUE);
  g_mutex_lock (&http->secrets_lock);
  add_secret_form (http, secret);
  add_secret_form (http, escaped);
  add_secret_form (http, form);
  add_secret_form (http, b64);
  g_mutex_unlock (&http->secrets_lock);
}

static void
replace_all (GString    *text,
             const char *needle)
{
  const char *mark = "[redacted]";
  gsize needle_len = strlen (needle);
  char *hit;
  gsize from = 0;

  while ((hit = strstr (text->str + from, needle)) != NULL)
    {
      gsize at = hit - text->str;
      g_string_erase (text, at, needle_len);
      g_string_insert (text, at, mark);
      from = at + strlen (mark);
    }
}

char *
ps_http_redact (PsHttp     *http,
                const char *text)
{
  GString *out;

  if (text == NULL)
    return NULL;
  out = g_string_new (text);
  g_mutex_lock (&http->secrets_lock);
  for (guint i = 0; i < http->secrets->len; i++)
    replace_all (out, g_ptr_array_index (http->secrets, i));
  g_mutex_unlock (&http->secrets_lock);
  return g_string_free (out, FALSE);
}

static const char *const secret_headers[] = {
  "authorization", "proxy-authorization", "access-key-secret", "cookie", "set-cookie", NULL
};

static void
on_logger_print (SoupLogger         *logger,
                 SoupLoggerLogLevel  level,
                 char                direction,
                 const char         *data,
                 gpointer            user_data)
{
  PsHttp *http = user_data;
  g_autofree char *clean = NULL;

  for (guint i = 0; secret_headers[i] != NULL; i++)
    {
      gsize n = strlen (secret_headers[i]);
      if (g_ascii_strncasecmp (data, secret_headers[i], n) == 0 && data[n] == ':')
        {
          g_debug ("HTTP %c %.*s: [redacted]", direction, (int) n, data);
          return;
        }
    }
  clean = ps_http_redact (http, data);
  g_debug ("HTTP %c %s", direction, clean);
}

static SoupLoggerLogLevel
on_logger_filter (SoupLogger  *logger,
                  SoupMessage *msg,
                  gpointer     user_data)
{
  SoupLoggerLogLevel *level = user_data;

  if (g_object_get_data (G_OBJECT (msg), "ps-no-body") != NULL)
    return MIN (*level, SOUP_LOGGER_LOG_HEADERS);
  return *level;
}

static void
setup_logger (PsHttp *http)
{
  const char *env = g_getenv ("PANDASYNC_HTTP_DEBUG");
  SoupLoggerLogLevel *level;
  g_autoptr(SoupLogger) logger = NULL;

  if (g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
    return;
  level = g_new (SoupLoggerLogLevel, 1);
  *level = g_strcmp0 (env, "body") == 0 ? SOUP_LOGGER_LOG_BODY : SOUP_LOGGER_LOG_HEADERS;
  logger = soup_logger_new (*level);
  soup_logger_set_max_body_size (logger, 4096);
  soup_logger_set_printer (logger, on_logger_print, http, NULL);
  soup_logger_set_request_filter (logger, on_logger_filter, level, NULL);
  soup_logger_set_response_filter (logger, on_logger_filter, level, g_free);
  soup_session_add_feature (http->session, SOUP_SESSION_FEATURE (logger));
}

/* ---------------------------------------------------------------- set-up */

PsHttp *
ps_http_new (const char  *base_url,
             const char  *ca_file,
             guint        concurrency,
             guint        rate_calls,
             guint        rate_window,
             GError     **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GUri) base = NULL;
  PsHttp *http;
  const char *path;

  if (base_url == NULL || *base_url == '\0')
    {
      g_set_error_literal (error, PS_TARGET_ERROR, PS_TARGET_ERROR_CONFIG,
                           _("The profile has no Asset Panda URL"));
      return NULL;
    }
  base = g_uri_parse (base_url, G_URI_FLAGS_NONE, &local);
  if (base == NULL || g_uri_get_host (base) == NULL
      || (g_strcmp0 (g_uri_get_scheme (base), "https") != 0
          && g_strcmp0 (g_uri_get_scheme (base), "http") != 0))
    {
      g_set_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_CONFIG,
                   _("The Asset Panda URL “%s” is not an http(s) URL"), base_url);
      return NULL;
    }

  http = g_new0 (PsHttp, 1);
  g_rec_mutex_init (&http->lock);
  g_mutex_init (&http->secrets_lock);
  http->secrets = g_ptr_array_new_with_free_func (g_free);
  http->base = g_steal_pointer (&base);
  path = g_uri_get_path (http->base);
  http->base_path = g_strdup (path != NULL ? path : "");
  while (g_str_has_suffix (http->base_path, "/"))
    http->base_path[strlen (http->base_path) - 1] = '\0';
  http->concurrency = CLAMP (concurrency, 1, 16);
  http->rate_calls = MAX (rate_calls, 1);
  http->rate_window_us = (gint64) MAX (rate_window, 1) * G_USEC_PER_SEC;
  /* Asset Panda counts our calls when they arrive; keep a little slack. */
  http->margin_us = MAX (http->rate_window_us / 200, 50 * 1000);
  http->backoff_base_ms = 1000;
  http->backoff_cap_ms = 60 * 1000;
  http->retry_budget = RETRY_BUDGET_START;
  http->idle_timeout_s = IDLE_TIMEOUT_S;
  g_queue_init (&http->sent_times);

  if (ca_file != NULL && *ca_file != '\0')
    {
      http->extra_ca = g_tls_file_database_new (ca_file, &local);
      if (http->extra_ca == NULL)
        {
          g_set_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_CONFIG,
                       _("Cannot read the CA file %s: %s"), ca_file, local->message);
          ps_http_free (http);
          return NULL;
        }
    }

  /* The session is made under the private context, so that its async
   * machinery and keep-alive connections belong to it. */
  http->context = g_main_context_new ();
  g_main_context_push_thread_default (http->context);
  http->session = soup_session_new_with_options ("max-conns", http->concurrency * 2 + 2,
                                                 "max-conns-per-host", http->concurrency,
                                                 "timeout", REQUEST_TIMEOUT_S,
                                                 /* ours instead: see drop_idle_connections () */
                                                 "idle-timeout", 0,
                                                 "user-agent", "PandaSync/" PACKAGE_VERSION " ",
                                                 NULL);
  setup_logger (http);
  g_main_context_pop_thread_default (http->context);
  return http;
}

void
ps_http_free (PsHttp *http)
{
  if (http == NULL)
    return;
  if (http->session != NULL)
    {
      g_main_context_push_thread_default (http->context);
      soup_session_abort (http->session);
      g_clear_object (&http->session);
      while (g_main_context_iteration (http->context, FALSE))
        ;
      g_main_context_pop_thread_default (http->context);
    }
  g_clear_pointer (&http->context, g_main_context_unref);
  g_clear_pointer (&http->base, g_uri_unref);
  g_free (http->base_path);
  g_clear_object (&http->extra_ca);
  g_queue_clear_full (&http->sent_times, g_free);
  for (guint i = 0; i < http->secrets->len; i++)
    {
      char *s = g_ptr_array_index (http->secrets, i);
      memset (s, 0, strlen (s));
    }
  g_ptr_array_unref (http->secrets);
  g_mutex_clear (&http->secrets_lock);
  g_rec_mutex_clear (&http->lock);
  g_free (http);
}

void
ps_http_set_authorize (PsHttp              *http,
                       PsHttpAuthorizeFunc  func,
                       gpointer             data)
{
  http->authorize = func;
  http->authorize_data = data;
}

void
ps_http_set_backoff (PsHttp *http,
                     guint   base_ms,
                     guint   cap_ms)
{
  http->backoff_base_ms = MAX (base_ms, 1);
  http->backoff_cap_ms = MAX (cap_ms, http->backoff_base_ms);
}

void
ps_http_set_idle_timeout (PsHttp *http,
                          guint   seconds)
{
  g_rec_mutex_lock (&http->lock);
  http->idle_timeout_s = MAX (seconds, 1);
  g_rec_mutex_unlock (&http->lock);
}

void
ps_http_set_timeout (PsHttp *http,
                     guint   seconds)
{
  g_rec_mutex_lock (&http->lock);
  g_object_set (http->session, "timeout", MAX (seconds, 1), NULL);
  g_rec_mutex_unlock (&http->lock);
}

const char *
ps_http_get_host (PsHttp *http)
{
  return g_uri_get_host (http->base);
}

const char *
ps_http_get_scheme (PsHttp *http)
{
  return g_uri_get_scheme (http->base);
}

int
ps_http_get_port (PsHttp *http)
{
  int port = g_uri_get_port (http->base);

  if (port > 0)
    return port;
  return g_str_equal (ps_http_get_scheme (http), "https") ? 443 : 80;
}

GTlsDatabase *
ps_http_get_extra_ca (PsHttp *http)
{
  return http->extra_ca;
}

void
ps_http_get_stats (PsHttp      *http,
                   PsHttpStats *stats)
{
  g_rec_mutex_lock (&http->lock);
  *stats = http->stats;
  g_rec_mutex_unlock (&http->lock);
}

void
ps_http_lock (PsHttp *http)
{
  g_rec_mutex_lock (&http->lock);
}

void
ps_http_unlock (PsHttp *http)
{
  g_rec_mutex_unlock (&http->lock);
}

char *
ps_http_escape (const char *text)
{
  return g_uri_escape_string (text != NULL ? text : "", NULL, FALSE);
}

/* ---------------------------------------------------------------- calls */

PsHttpCall *
ps_http_call_new (const char *method,
                  JsonNode   *body,
                  const char *path_format,
                  ...)
{
  PsHttpCall *call = g_new0 (PsHttpCall, 1);
  va_list args;

  call->method = g_strdup (method);
  va_start (args, path_format);
  call->path = g_strdup_vprintf (path_format, args);
  va_end (args);
  if (body != NULL)
    {
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      gsize length = 0;
      char *text;

      json_generator_set_root (gen, body);
      text = json_generator_to_data (gen, &length);
      call->body = g_bytes_new_take (text, length);
    }
  return call;
}

void
ps_http_call_reset (PsHttpCall *call)
{
  call->state = PS_HTTP_CALL_PENDING;
  call->status = 0;
  g_clear_pointer (&call->response, g_bytes_unref);
  g_clear_error (&call->error);
  call->ambiguous = FALSE;
  call->auth_failed = FALSE;
  call->attempts = 0;
  call->not_before = 0;
  call->body_sent = FALSE;
  call->headers_sent = FALSE;
  call->answer_started = FALSE;
  g_clear_pointer (&call->content_type, g_free);
}

void
ps_http_call_free (PsHttpCall *call)
{
  if (call == NULL)
    return;
  g_free (call->method);
  g_free (call->path);
  if (call->body != NULL && call->is_login)
    {
      /* The sign-in body holds the password: wipe our copy. */
      gsize size = 0;
      char *data = (char *) g_bytes_get_data (call->body, &size);
      if (data != NULL)
        memset (data, 0, size);
    }
  g_clear_pointer (&call->body, g_bytes_unref);
  g_clear_pointer (&call->response, g_bytes_unref);
  g_clear_pointer (&call->content_type, g_free);
  g_clear_error (&call->error);
  g_free (call);
}

static char *
path_without_query (const char *path)
{
  const char *q = strchr (path, '?');
  return q != NULL ? g_strndup (path, q - path) : g_strdup (path);
}

GError *
ps_http_call_unexpected (PsHttpCall *call,
                         const char *what)
{
  g_autofree char *path = path_without_query (call->path);

  return g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_UNEXPECTED,
                      /* Translators: "GET /v3/groups answered 200 with an answer of an unexpected shape" */
                      _("%s %s answered %u with %s"), call->method, path, call->status, what);
}

GError *
ps_http_call_shape_error (PsHttpCall *call)
{
  return ps_http_call_unexpected (call, _("an answer of an unexpected shape"));
}

/* The one mapping, for what @call saw. */
static GError *
call_error (PsHttp       *http,
            PsHttpCall   *call,
            guint         status,
            const GError *transport_error)
{
  g_autofree char *plain_path = path_without_query (call->path);
  PsTargetExchange exchange = {
    .method = call->method,
    .path = plain_path,
    .host = http != NULL ? ps_http_get_host (http) : NULL,
    .status = status,
    .content_type = call->content_type,
    .body = call->response,
    .transport_error = transport_error,
    .request_sent = call->headers_sent,
    .answer_started = call->answer_started,
    .attempts = call->attempts,
  };

  return ps_target_error_from_http (&exchange);
}

GError *
ps_http_call_record_error (PsHttpCall *call,
                           GBytes     *errors)
{
  g_autofree char *plain_path = path_without_query (call->path);
  PsTargetExchange exchange = {
    .method = call->method,
    .path = plain_path,
    .status = 422,
    .content_type = "application/json",
    .body = errors,
    .attempts = call->attempts,
  };

  return ps_target_error_from_http (&exchange);
}

JsonNode *
ps_http_call_json (PsHttpCall  *call,
                   GError     **error)
{
  g_autoptr(JsonNode) root = NULL;

  if (call->error != NULL)
    {
      g_propagate_error (error, g_error_copy (call->error));
      return NULL;
    }
  /* Parsed here, page by page, rather than kept from the check in the
   * transport: a batch of 200 pages would hold 200 trees at once. */
  if (call->response == NULL || g_bytes_get_size (call->response) == 0)
    return json_node_new (JSON_NODE_NULL);
  root = ps_http_read_json (call->response);
  if (root == NULL)
    {
      GError *mapped = call_error (NULL, call, call->status, NULL);

      g_propagate_error (error, mapped != NULL ? mapped : ps_http_call_shape_error (call));
      return NULL;
    }
  return g_steal_pointer (&root);
}

/* ---------------------------------------------------------------- pacing */

/* 0 when a call may go now, else the µs to wait. */
static gint64
pacer_wait (PsHttp *http,
            gint64  now)
{
  gint64 wait = 0;

  while (!g_queue_is_empty (&http->sent_times)
         && *(gint64 *) g_queue_peek_head (&http->sent_times) + http->rate_window_us + http->margin_us <= now)
    g_free (g_queue_pop_head (&http->sent_times));
  if (http->hold_until > now)
    wait = http->hold_until - now;
  if (g_queue_get_length (&http->sent_times) >= http->rate_calls)
    {
      gint64 oldest = *(gint64 *) g_queue_peek_head (&http->sent_times);
      wait = MAX (wait, oldest + http->rate_window_us + http->margin_us - now);
    }
  return wait;
}

static void
pacer_record (PsHttp *http,
              gint64  now)
{
  gint64 *t = g_new (gint64, 1);

  *t = now;
  g_queue_push_tail (&http->sent_times, t);
}

/* ---------------------------------------------------------------- retries */

static gboolean
status_is_retryable (guint status)
{
  return status == 408 || status == 429 || status == 502 || status == 503 || status == 504;
}

/* The Asset Panda client tries a host name that did not resolve again,
 * too, as it always has. */
static gboolean
error_is_connection (const GError *error)
{
  return ps_http_error_is_connection (error)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND);
}

/* A 400 whose message speaks of the token or auth is an expired token. */
static gboolean
is_auth_failure (PsHttpCall *call)
{
  g_autofree char *message = NULL;
  g_autofree char *lower = NULL;
  static const char *const words[] = { "auth", "token", "expired", "session", "credential",
                                        "log in", "login", "sign in", "api key", NULL };

  if (call->is_login)
    return FALSE;
  if (call->status == 401)
    return TRUE;
  if (call->status != 400)
    return FALSE;
  message = ps_target_error_body_message (call->response);
  if (message == NULL)
    return FALSE;
  lower = g_ascii_strdown (message, -1);
  for (guint i = 0; words[i] != NULL; i++)
    if (strstr (lower, words[i]) != NULL)
      return TRUE;
  return FALSE;
}

static void
finish_call (Run        *run,
             PsHttpCall *call,
             GError     *error)
{
  g_autofree char *clean = NULL;

  call->state = PS_HTTP_CALL_DONE;
  if (error != NULL && error->domain == PS_TARGET_ERROR)
    {
      /* Belt and braces: nothing secret ever reaches a message. */
      clean = ps_http_redact (run->http, error->message);
      g_free (error->message);
      error->message = g_steal_pointer (&clean);
    }
  g_clear_error (&call->error);
  call->error = error;
}

static void
stop_run (Run          *run,
          const GError *error)
{
  run->stop = TRUE;
  if (run->stop_error == NULL && error != NULL)
    run->stop_error = g_error_copy (error);
}

static gboolean
try_retry (Run        *run,
           PsHttpCall *call,
           const char *retry_after,
           gboolean    global_hold)
{
  PsHttp *http = run->http;
  gint64 now = g_get_monotonic_time ();
  gint64 delay;

  if (call->attempts >= PS_HTTP_MAX_ATTEMPTS || run->stop
      || g_cancellable_is_cancelled (run->cancellable))
    return FALSE;
  if (call->status != 429)
    {
      if (http->retry_budget < 1.0)
        {
          g_debug ("retry budget spent; not retrying %s %s", call->method, call->path);
          return FALSE;
        }
      http->retry_budget -= 1.0;
    }
  delay = ps_http_parse_retry_after (retry_after, RETRY_AFTER_MAX_S);
  if (delay >= 0 && global_hold)
    http->hold_until = MAX (http->hold_until, now + delay);
  if (delay < 0)
    delay = ps_http_backoff_us (http->backoff_base_ms, http->backoff_cap_ms, call->attempts);
  http->stats.retries++;
  call->not_before = now + delay;
  call->state = PS_HTTP_CALL_PENDING;
  call->body_sent = FALSE;
  g_clear_pointer (&call->response, g_bytes_unref);
  g_clear_pointer (&call->content_type, g_free);
  g_debug ("retrying %s %s in %" G_GINT64_FORMAT " ms (attempt %u, status %u)",
           call->method, call->path, delay / 1000, call->attempts + 1, call->status);
  return TRUE;
}

static void
on_wrote_headers (SoupMessage *msg,
                  gpointer     user_data)
{
  PsHttpCall *call = user_data;

  call->headers_sent = TRUE;
}

static void
on_wrote_body (SoupMessage *msg,
               gpointer     user_data)
{
  PsHttpCall *call = user_data;

  call->body_sent = TRUE;
}

static void
on_got_headers (SoupMessage *msg,
                gpointer     user_data)
{
  PsHttpCall *call = user_data;

  call->answer_started = TRUE;
}

/* libsoup re-sends an idempotent request by itself when a kept-alive
 * connection turns out to be closed, but without its body (libsoup 3.2:
 * Content-Length 0): an update or a search would go out empty. Put the body
 * back, and count the request. */
static void
on_restarted (SoupMessage *msg,
              gpointer     user_data)
{
  Flight *flight = user_data;
  PsHttpCall *call = flight->call;
  PsHttp *http = flight->run->http;

  g_debug ("%s %s: sent again by libsoup on a fresh connection", call->method, call->path);
  http->stats.sent++;
  pacer_record (http, g_get_monotonic_time ());
  if (call->body != NULL && g_str_equal (soup_message_get_method (msg), call->method))
    soup_message_set_request_body_from_bytes (msg, "application/json", call->body);
}

static void start_call (Run *run, PsHttpCall *call);

static void
on_send_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Flight *flight = user_data;
  Run *run = flight->run;
  PsHttp *http = run->http;
  PsHttpCall *call = flight->call;
  g_autoptr(SoupMessage) msg = flight->msg;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *plain_path = path_without_query (call->path);
  const char *retry_after;

  run->active--;
  http->last_used = g_get_monotonic_time ();
  bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_signal_handlers_disconnect_by_data (msg, call);
  g_signal_handlers_disconnect_by_data (msg, http);
  g_signal_handlers_disconnect_by_data (msg, flight);
  g_free (flight);

  if (error != NULL)
    {
      call->status = 0;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          finish_call (run, call, g_steal_pointer (&error));
          return;
        }
      g_debug ("%s %s: %s (%s)", call->method, plain_path, error->message,
               !call->headers_sent ? "before the request went out"
               : !call->answer_started ? "before the answer" : "while reading the answer");
      if (error_is_connection (error))
        {
          http->stats.connection_errors++;
          if (call->no_resend && call->body_sent)
            {
              call->ambiguous = TRUE;
              finish_call (run, call,
                           g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_AMBIGUOUS,
                                        _("The connection to Asset Panda failed after %s %s "
                                          "was sent (%s); it is not known whether it took "
                                          "effect."), call->method, plain_path,
                                        error->message));
              return;
            }
          if (try_retry (run, call, NULL, FALSE))
            return;
        }
      finish_call (run, call, call_error (http, call, 0, error));
      return;
    }

  call->status = soup_message_get_status (msg);
  g_clear_pointer (&call->response, g_bytes_unref);
  call->response = g_steal_pointer (&bytes);
  g_clear_pointer (&call->content_type, g_free);
  call->content_type = g_strdup (soup_message_headers_get_content_type (
                                   soup_message_get_response_headers (msg), NULL));
  retry_after = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                              "Retry-After");

  if (call->status >= 200 && call->status < 300)
    {
      gboolean web_page;

      if (!call->is_login)
        http->stats.accepted++;
      if (ps_target_answer_is_json (call->response))
        {
          http->retry_budget = MIN (RETRY_BUDGET_MAX, http->retry_budget + RETRY_BUDGET_EARN);
          finish_call (run, call, NULL);
          return;
        }
      /* A page from a proxy or a sign-in portal will be there next time
       * too; a cut-off or garbled answer is worth asking again for. */
      http->stats.malformed++;
      web_page = ps_http_is_web_page (call->content_type, call->response);
      g_debug ("%s %s answered %u with %s (%" G_GSIZE_FORMAT " bytes)", call->method, plain_path,
               call->status, web_page ? "a web page" : "data that is not JSON",
               g_bytes_get_size (call->response));
      if (web_page)
        {
          finish_call (run, call, call_error (http, call, call->status, NULL));
          return;
        }
      if (call->no_resend)
        {
          /* A create that was carried out: what it made is looked up. */
          call->ambiguous = TRUE;
          finish_call (run, call,
                       g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_AMBIGUOUS,
                                    _("%s %s answered %u, but its answer was cut off or "
                                      "malformed; it is not known what it created."),
                                    call->method, plain_path, call->status));
          return;
        }
      if (try_retry (run, call, NULL, FALSE))
        return;
      finish_call (run, call, call_error (http, call, call->status, NULL));
      return;
    }
  if (call->status == 429)
    http->stats.rate_limited++;
  if (status_is_retryable (call->status) && call->status != 429)
    http->stats.unavailable++;
  if (status_is_retryable (call->status))
    {
      /* A gateway error after a create was sent may have created it. */
      gboolean ambiguous = call->no_resend && (call->status == 502 || call->status == 504);

      if (ambiguous)
        {
          call->ambiguous = TRUE;
          finish_call (run, call,
                       g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_AMBIGUOUS,
                                    _("%s %s answered %u; it is not known whether it took "
                                      "effect."), call->method, plain_path, call->status));
          return;
        }
      if (try_retry (run, call, retry_after, call->status == 429 || call->status == 503))
        return;
    }
  if (is_auth_failure (call))
    {
      g_autoptr(GError) auth = call_error (http, call, 401, NULL);
      call->auth_failed = TRUE;
      stop_run (run, auth);
      finish_call (run, call, g_steal_pointer (&auth));
      return;
    }
  finish_call (run, call, call_error (http, call, call->status, NULL));
  if (call->status == 403)
    stop_run (run, call->error);
}

static void
start_call (Run        *run,
            PsHttpCall *call)
{
  PsHttp *http = run->http;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *full = g_strconcat (http->base_path, call->path, NULL);
  g_autoptr(GError) error = NULL;
  SoupMessage *msg;
  SoupMessageHeaders *headers;
  Flight *flight;
  gint64 now = g_get_monotonic_time ();

  uri = g_uri_parse_relative (http->base, full, G_URI_FLAGS_ENCODED, &error);
  if (uri == NULL)
    {
      finish_call (run, call, g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_CONFIG,
                                           _("Cannot build a URL for %s: %s"),
                                           call->path, error->message));
      return;
    }
  msg = soup_message_new_from_uri (call->method, uri);
  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (call->body != NULL)
    soup_message_set_request_body_from_bytes (msg, "application/json", call->body);
  /* libsoup sends a non-idempotent request (POST, PATCH) on a fresh
   * connection, so that it never re-sends one on a stale keep-alive
   * connection by itself. Only creates need that; searches, updates,
   * archives and sign-ins may reuse a connection (and be re-sent). */
  if (!call->no_resend)
    soup_message_add_flags (msg, SOUP_MESSAGE_IDEMPOTENT);
  if (call->is_login)
    g_object_set_data (G_OBJECT (msg), "ps-no-body", GINT_TO_POINTER (1));
  else if (http->authorize != NULL)
    http->authorize (msg, http->authorize_data);
  g_signal_connect (msg, "wrote-headers", G_CALLBACK (on_wrote_headers), call);
  g_signal_connect (msg, "wrote-body", G_CALLBACK (on_wrote_body), call);
  g_signal_connect (msg, "got-headers", G_CALLBACK (on_got_headers), call);
  ps_http_trust_extra_ca (msg, http->extra_ca);

  pacer_record (http, now);
  http->last_used = now;
  http->stats.sent++;
  call->attempts++;
  call->state = PS_HTTP_CALL_RUNNING;
  call->body_sent = FALSE;
  call->headers_sent = FALSE;
  call->answer_started = FALSE;
  run->active++;
  flight = g_new0 (Flight, 1);
  flight->run = run;
  flight->call = call;
  flight->msg = msg;
  g_signal_connect (msg, "restarted", G_CALLBACK (on_restarted), flight);
  soup_session_send_and_read_async (http->session, msg, G_PRIORITY_DEFAULT,
                                    run->cancellable, on_send_done, flight);
}

/* libsoup's own idle timer (SoupSession:idle-timeout) is off: it runs on the
 * session's context, which is iterated only during a run, so after a long
 * pause (a source read of minutes) it was overdue and fired in the very
 * iteration that handed the next request to that connection; the request
 * then waited for nothing until the session gave up on the host five minutes
 * later, and cancelling did not end it (libsoup 3.2). Instead, whenever no
 * request is in flight, connections unused for idle_timeout_s are closed
 * before the next request: by then the server or a balancer may have
 * dropped them anyway. */
static void
drop_idle_connections (PsHttp *http)
{
  gint64 now = g_get_monotonic_time ();

  if (http->last_used == 0
      || now - http->last_used < (gint64) http->idle_timeout_s * G_USEC_PER_SEC)
    return;
  g_debug ("no request for %" G_GINT64_FORMAT " s: closing the kept-alive connections",
           (now - http->last_used) / G_USEC_PER_SEC);
  soup_session_abort (http->session);
  while (g_main_context_iteration (http->context, FALSE))
    ;
  http->last_used = 0;
}

static gboolean
on_wake (gpointer data)
{
  return G_SOURCE_REMOVE;
}

static void
on_cancelled (GCancellable *cancellable,
              gpointer      data)
{
  g_main_context_wakeup (data);
}

gboolean
ps_http_run (PsHttp        *http,
             GPtrArray     *calls,
             GCancellable  *cancellable,
             GError       **error)
{
  Run run = { 0 };
  gulong cancel_id = 0;
  gboolean ok;

  g_return_val_if_fail (http != NULL && calls != NULL, FALSE);

  g_rec_mutex_lock (&http->lock);
  g_main_context_push_thread_default (http->context);
  run.http = http;
  run.calls = calls;
  run.cancellable = cancellable;
  if (cancellable != NULL)
    cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled),
                                       g_main_context_ref (http->context),
                                       (GDestroyNotify) g_main_context_unref);
  for (;;)
    {
      gint64 now = g_get_monotonic_time ();
      gint64 wake = G_MAXINT64;
      gboolean pending = FALSE;

      if (g_cancellable_is_cancelled (cancellable) && !run.stop)
        {
          g_autoptr(GError) cancelled = NULL;
          g_cancellable_set_error_if_cancelled (cancellable, &cancelled);
          stop_run (&run, cancelled);
        }

      for (guint i = 0; i < calls->len; i++)
        {
          PsHttpCall *call = g_ptr_array_index (calls, i);
          gint64 pace;

          if (call->state != PS_HTTP_CALL_PENDING)
            continue;
          if (run.stop)
            break;
          pending = TRUE;
          if (run.active >= http->concurrency)
            break;
          if (call->not_before > now)
            {
              wake = MIN (wake, call->not_before);
              continue;
            }
          pace = pacer_wait (http, now);
          if (pace > 0)
            {
              wake = MIN (wake, now + pace);
              break;
            }
          if (run.active == 0)
            drop_idle_connections (http);
          start_call (&run, call);
        }

      if (run.active == 0 && (run.stop || !pending))
        break;

      if (run.active == 0 && wake != G_MAXINT64)
        {
          GSource *source = g_timeout_source_new ((guint) MAX ((wake - now + 999) / 1000, 1));
          gint64 before = g_get_monotonic_time ();

          g_source_set_callback (source, on_wake, NULL, NULL);
          g_source_attach (source, http->context);
          g_main_context_iteration (http->context, TRUE);
          g_source_destroy (source);
          g_source_unref (source);
          http->stats.paced_us += g_get_monotonic_time () - before;
        }
      else if (run.active > 0 && wake != G_MAXINT64)
        {
          GSource *source = g_timeout_source_new ((guint) MAX ((wake - now + 999) / 1000, 1));

          g_source_set_callback (source, on_wake, NULL, NULL);
          g_source_attach (source, http->context);
          g_main_context_iteration (http->context, TRUE);
          g_source_destroy (source);
          g_source_unref (source);
        }
      else
        g_main_context_iteration (http->context, TRUE);
    }

  if (cancel_id != 0)
    g_cancellable_disconnect (cancellable, cancel_id);
  ok = !run.stop;
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&run.stop_error));
  g_clear_error (&run.stop_error);
  g_main_context_pop_thread_default (http->context);
  g_rec_mutex_unlock (&http->lock);
  return ok;
}
