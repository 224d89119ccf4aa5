/* ps-http-util.c — the HTTP plumbing the Asset Panda, Graph and Okta clients share
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include "ps-http-util.h"

#define UNSENT_MAX_ATTEMPTS 3   /* connections refused or never made */

/* ---------------------------------------------------------------- static helpers */

static gboolean
verify_with_extra_ca (SoupMessage          *msg,
                      GTlsCertificate      *certificate,
                      GTlsDatabase         *extra_ca)
{
  GUri *uri = soup_message_get_uri (msg);
  g_autoptr(GSocketConnectable) identity = NULL;
  g_autoptr(GError) error = NULL;
  GTlsCertificateFlags flags;
  int port = g_uri_get_port (uri);

  identity = g_network_address_new (g_uri_get_host (uri), port > 0 ? port : 443);
  flags = g_tls_database_verify_chain (extra_ca, certificate,
                                       G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                       identity, NULL, G_TLS_DATABASE_VERIFY_NONE,
                                       NULL, &error);
  if (error != NULL)
    g_debug ("CA file check failed: %s", error->message);
  return error == NULL && flags == 0;
}

/* ---------------------------------------------------------------- callbacks */

static void
on_gate_cancelled_cb (GCancellable *cancellable,
                      gpointer      user_data)
{
  PsHttpGate *gate = user_data;

  g_mutex_lock (&gate->lock);
  g_cond_broadcast (&gate->cond);
  g_mutex_unlock (&gate->lock);
}

static gboolean
on_accept_certificate_cb (SoupMessage          *msg,
                          GTlsCertificate      *certificate,
                          GTlsCertificateFlags  errors,
                          gpointer              user_data)
{
  return verify_with_extra_ca (msg, certificate, user_data);
}

static void
on_wrote_headers_cb (SoupMessage *msg,
                     gpointer     user_data)
{
  PsHttpProgress *progress = user_data;

  progress->request_sent = TRUE;
}

static void
on_got_headers_cb (SoupMessage *msg,
                   gpointer     user_data)
{
  PsHttpProgress *progress = user_data;

  progress->answer_started = TRUE;
}

/* ---------------------------------------------------------------- reading the answer */

/**
 * ps_http_is_web_page:
 *
 * TRUE when an answer is a web page (a proxy's, a captive portal's or a
 * sign-in page) rather than the JSON an API gives: by its content type, or
 * a body that starts with `<` after a byte order mark and white space.
 */
gboolean
ps_http_is_web_page (const char *content_type,
                     GBytes     *body)
{
  gsize size = 0;
  const char *data = body != NULL ? g_bytes_get_data (body, &size) : NULL;
  gsize i = 0;

  if (content_type != NULL
      && (g_ascii_strncasecmp (content_type, "text/html", 9) == 0
          || g_ascii_strncasecmp (content_type, "application/xhtml", 17) == 0))
    return TRUE;
  /* Skip a byte order mark and white space. */
  if (size >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0)
    i = 3;
  while (i < size && g_ascii_isspace (data[i]))
    i++;
  return i < size && data[i] == '<';
}

/**
 * ps_http_read_json:
 *
 * The JSON of an answer's body, or NULL when it is empty or not JSON
 * (cut off, garbled). The caller checks its shape.
 */
JsonNode *
ps_http_read_json (GBytes *body)
{
  g_autoptr(JsonParser) parser = NULL;
  gsize size = 0;
  const char *data = body != NULL ? g_bytes_get_data (body, &size) : NULL;

  if (data == NULL || size == 0)
    return NULL;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, size, NULL)
      || json_parser_get_root (parser) == NULL)
    return NULL;
  return json_node_ref (json_parser_get_root (parser));
}

/* A member of @object (which may be NULL) that is a string, or NULL. */
const char *
ps_http_json_string (JsonObject *object,
                     const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* A member of @object (which may be NULL) that is an object, or NULL. */
JsonObject *
ps_http_json_object (JsonObject *object,
                     const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_get_object (node);
}

/* A member of @object (which may be NULL) that is an array, or NULL. */
JsonArray *
ps_http_json_array (JsonObject *object,
                    const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  return json_node_get_array (node);
}

/* A member by name, exactly or else case-insensitively; NULL when
 * @object is NULL or has none. */
JsonNode *
ps_http_json_member (JsonObject *object,
                     const char *name)
{
  JsonNode *node;
  g_autoptr(GList) members = NULL;

  if (object == NULL)
    return NULL;
  node = json_object_get_member (object, name);
  if (node != NULL)
    return node;
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    if (g_ascii_strcasecmp (l->data, name) == 0)
      return json_object_get_member (object, l->data);
  return NULL;
}

/* A scalar as text (a number in C locale, a boolean as true/false); NULL
 * for an empty string, null, an object or an array. */
char *
ps_http_json_text (JsonNode *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      {
        const char *s = json_node_get_string (node);
        return s != NULL && *s != '\0' ? g_strdup (s) : NULL;
      }
    case G_TYPE_BOOLEAN:
      return g_strdup (json_node_get_boolean (node) ? "true" : "false");
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    case G_TYPE_DOUBLE:
      {
        char buffer[G_ASCII_DTOSTR_BUF_SIZE];
        return g_strdup (g_ascii_dtostr (buffer, sizeof buffer, json_node_get_double (node)));
      }
    default:
      return NULL;
    }
}

/* The path of @url, for messages and logs ("?" when it is not a URL). */
char *
ps_http_url_path (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);

  if (uri == NULL)
    return g_strdup ("?");
  return g_strdup (g_uri_get_path (uri));
}

/* The host of @url: what a message names when it cannot be reached. */
char *
ps_http_url_host (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);

  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return g_strdup ("?");
  return g_strdup (g_uri_get_host (uri));
}

/* Overwrites a string that held a secret (a header value, a token). */
void
ps_http_wipe_string (char *text)
{
  if (text != NULL)
    memset (text, 0, strlen (text));
}

/* ---------------------------------------------------------------- retry timing */

/**
 * ps_http_parse_retry_after:
 *
 * Retry-After as µs: delta-seconds (also decimal) or an HTTP-date; -1 when
 * absent or unreadable. Capped at @max_s seconds: an absurd value does not
 * stall a run.
 */
gint64
ps_http_parse_retry_after (const char *value,
                           guint       max_s)
{
  g_autoptr(GDateTime) when = NULL;
  g_autoptr(GDateTime) now = NULL;
  char *end = NULL;
  double seconds;

  if (value == NULL)
    return -1;
  while (g_ascii_isspace (*value))
    value++;
  if (g_ascii_isdigit (*value))
    {
      seconds = g_ascii_strtod (value, &end);
      while (end != NULL && g_ascii_isspace (*end))
        end++;
      if (end != NULL && *end == '\0' && seconds >= 0)
        return (gint64) (MIN (seconds, (double) max_s) * G_USEC_PER_SEC);
    }
  when = soup_date_time_new_from_http_string (value);
  if (when == NULL)
    return -1;
  now = g_date_time_new_now_utc ();
  return CLAMP (g_date_time_difference (when, now), 0, (gint64) max_s * G_USEC_PER_SEC);
}

/* Capped exponential backoff with full jitter, for attempt @attempts (≥ 1). */
gint64
ps_http_backoff_us (guint base_ms,
                    guint cap_ms,
                    guint attempts)
{
  double exp = base_ms * (double) (1u << MIN (MAX (attempts, 1u) - 1, 20u));

  return (gint64) (g_random_double () * MIN ((double) cap_ms, exp) * 1000.0);
}

/**
 * ps_http_error_is_connection:
 *
 * TRUE when a transport error is a connection that failed, closed or broke
 * (worth another try), FALSE for a cancellation, a host name that does not
 * resolve, a TLS failure or a request libsoup refused.
 */
gboolean
ps_http_error_is_connection (const GError *error)
{
  if (error->domain == G_IO_ERROR)
    return error->code != G_IO_ERROR_CANCELLED && error->code != G_IO_ERROR_NOT_SUPPORTED
           && error->code != G_IO_ERROR_INVALID_ARGUMENT
           && error->code != G_IO_ERROR_HOST_NOT_FOUND;
  if (error->domain == G_RESOLVER_ERROR)
    return error->code == G_RESOLVER_ERROR_TEMPORARY_FAILURE;
  return error->domain == SOUP_SESSION_ERROR && error->code == SOUP_SESSION_ERROR_PARSING;
}

/* ---------------------------------------------------------------- waiting */

void
ps_http_gate_init (PsHttpGate *gate,
                   guint       concurrency)
{
  g_mutex_init (&gate->lock);
  g_cond_init (&gate->cond);
  gate->concurrency = MAX (concurrency, 1u);
  gate->in_flight = 0;
  gate->hold_until = 0;
}

void
ps_http_gate_clear (PsHttpGate *gate)
{
  g_mutex_clear (&gate->lock);
  g_cond_clear (&gate->cond);
}

/* Wakes the gate's waiters when @cancellable is cancelled; undo with
 * ps_http_gate_unwatch (). */
gulong
ps_http_gate_watch (PsHttpGate   *gate,
                    GCancellable *cancellable)
{
  if (cancellable == NULL)
    return 0;
  return g_cancellable_connect (cancellable, G_CALLBACK (on_gate_cancelled_cb), gate, NULL);
}

void
ps_http_gate_unwatch (GCancellable *cancellable,
                      gulong        id)
{
  if (id != 0)
    g_cancellable_disconnect (cancellable, id);
}

/* Sleeps @delay_us unless cancelled. */
gboolean
ps_http_gate_sleep (PsHttpGate    *gate,
                    gint64         delay_us,
                    GCancellable  *cancellable,
                    GError       **error)
{
  gint64 deadline = g_get_monotonic_time () + delay_us;
  gulong id = ps_http_gate_watch (gate, cancellable);

  g_mutex_lock (&gate->lock);
  while (!g_cancellable_is_cancelled (cancellable) && g_get_monotonic_time () < deadline)
    g_cond_wait_until (&gate->cond, &gate->lock, deadline);
  g_mutex_unlock (&gate->lock);
  ps_http_gate_unwatch (cancellable, id);
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

/* Holds every request of the gate for @delay_us from now (or longer, if
 * an earlier hold lasts longer). */
void
ps_http_gate_hold (PsHttpGate *gate,
                   gint64      delay_us)
{
  g_mutex_lock (&gate->lock);
  gate->hold_until = MAX (gate->hold_until, g_get_monotonic_time () + delay_us);
  g_cond_broadcast (&gate->cond);
  g_mutex_unlock (&gate->lock);
}

/* Waits for a free slot and the end of any hold (or what @check says to
 * wait for instead). FALSE when cancelled. */
gboolean
ps_http_gate_acquire (PsHttpGate       *gate,
                      PsHttpGateCheck   check,
                      gpointer          check_data,
                      GCancellable     *cancellable,
                      GError          **error)
{
  gulong id = ps_http_gate_watch (gate, cancellable);
  gboolean ok = FALSE;

  g_mutex_lock (&gate->lock);
  while (!g_cancellable_is_cancelled (cancellable))
    {
      gint64 now = g_get_monotonic_time ();
      gint64 until = gate->hold_until > now ? gate->hold_until : 0;

      if (check != NULL)
        until = check (check_data, now, gate->hold_until);
      if (until > now)
        g_cond_wait_until (&gate->cond, &gate->lock, until);
      else if (gate->in_flight < gate->concurrency)
        {
          gate->in_flight++;
          ok = TRUE;
          break;
        }
      else
        g_cond_wait (&gate->cond, &gate->lock);
    }
  g_mutex_unlock (&gate->lock);
  ps_http_gate_unwatch (cancellable, id);
  if (!ok)
    g_cancellable_set_error_if_cancelled (cancellable, error);
  return ok;
}

void
ps_http_gate_release (PsHttpGate *gate)
{
  g_mutex_lock (&gate->lock);
  gate->in_flight--;
  g_cond_broadcast (&gate->cond);
  g_mutex_unlock (&gate->lock);
}

/* Adds one to a counter the gate's lock guards. */
void
ps_http_gate_count (PsHttpGate *gate,
                    guint64    *counter)
{
  g_mutex_lock (&gate->lock);
  (*counter)++;
  g_mutex_unlock (&gate->lock);
}

/* ---------------------------------------------------------------- one exchange */

/* Accepts a server certificate that @extra_ca (a profile's CAFile)
 * vouches for, besides the system's. */
void
ps_http_trust_extra_ca (SoupMessage  *msg,
                        GTlsDatabase *extra_ca)
{
  if (extra_ca == NULL)
    return;
  g_signal_connect_data (msg, "accept-certificate", G_CALLBACK (on_accept_certificate_cb),
                         g_object_ref (extra_ca), (GClosureNotify) (void (*) (void)) g_object_unref,
                         0);
}

/**
 * ps_http_message_new:
 *
 * An idempotent request for JSON (every request the clients repeat is one)
 * that records in @progress how far it got; @progress must outlive
 * ps_http_message_send (). FALSE with a transport error when @url is not one.
 */
SoupMessage *
ps_http_message_new (const char      *method,
                     const char      *url,
                     GTlsDatabase    *extra_ca,
                     PsHttpProgress  *progress,
                     GError         **error)
{
  g_autoptr(GUri) uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, error);
  SoupMessage *msg;

  if (uri == NULL)
    return NULL;
  msg = soup_message_new_from_uri (method, uri);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept",
                                "application/json");
  soup_message_add_flags (msg, SOUP_MESSAGE_IDEMPOTENT);
  progress->request_sent = FALSE;
  progress->answer_started = FALSE;
  g_signal_connect (msg, "wrote-headers", G_CALLBACK (on_wrote_headers_cb), progress);
  g_signal_connect (msg, "got-headers", G_CALLBACK (on_got_headers_cb), progress);
  ps_http_trust_extra_ca (msg, extra_ca);
  return msg;
}

/* Sends @msg and reads the whole answer; NULL with the transport error
 * when no full answer came. */
GBytes *
ps_http_message_send (SoupSession     *session,
                      SoupMessage     *msg,
                      PsHttpProgress  *progress,
                      GCancellable    *cancellable,
                      GError         **error)
{
  GBytes *bytes = soup_session_send_and_read (session, msg, cancellable, error);

  g_signal_handlers_disconnect_by_data (msg, progress);
  return bytes;
}

/* Where a failed exchange stopped, for the debug log. */
const char *
ps_http_progress_describe (const PsHttpProgress *progress)
{
  return !progress->request_sent ? "before the request went out"
         : !progress->answer_started ? "before the answer" : "while reading the answer";
}

/* How many attempts a request whose connection failed gets: a host that
 * did not take the request at all is tried a few times only (a blip
 * clears quickly, a wrong URL never); one that broke off later, all
 * @max_attempts. */
guint
ps_http_connection_attempts (const PsHttpProgress *progress,
                             guint                 max_attempts)
{
  return progress->request_sent ? max_attempts : MIN (max_attempts, UNSENT_MAX_ATTEMPTS);
}
