/* ps-http-util.h — the HTTP plumbing the Asset Panda, Graph and Okta clients share
 *
 * Waiting (a gate of request slots, Retry-After holds and cancellable
 * sleeps), retry timing (Retry-After, backoff with jitter, which transport
 * failures are worth another try), one blocking exchange with libsoup
 * (how far it got, a profile's extra CA), and reading the answer (JSON, or
 * a web page where JSON was due).
 *
 * This module has no error domain of its own: it hands on libsoup's, GIO's
 * and GnuTLS's errors untouched (a "transport error"), and each client maps
 * them into its own domain in its one error-mapping function
 * (ps_target_error_from_http (), ps_entra_error_from_http (),
 * ps_okta_error_from_http ()).
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* ---- reading the answer */

gboolean  ps_http_is_web_page      (const char *content_type,
                                    GBytes     *body);
JsonNode *ps_http_read_json        (GBytes     *body);
const char *ps_http_json_string    (JsonObject *object,
                                    const char *member);
JsonObject *ps_http_json_object    (JsonObject *object,
                                    const char *member);
JsonArray  *ps_http_json_array     (JsonObject *object,
                                    const char *member);
JsonNode   *ps_http_json_member    (JsonObject *object,
                                    const char *name);
char       *ps_http_json_text      (JsonNode   *node);
char     *ps_http_url_path         (const char *url);
char     *ps_http_url_host         (const char *url);
void      ps_http_wipe_string      (char       *text);

/* ---- retry timing */

gint64    ps_http_parse_retry_after (const char *value,
                                     guint       max_s);
gint64    ps_http_backoff_us        (guint       base_ms,
                                     guint       cap_ms,
                                     guint       attempts);
gboolean  ps_http_error_is_connection (const GError *error);

/* ---- waiting: request slots, holds, cancellable sleeps */

/* Called with the gate's lock held before a slot is taken: returns the
 * monotonic time (µs) to wait until, or 0 when the request may go. It sees
 * the gate's hold_until, and may account for the wait. */
typedef gint64 (*PsHttpGateCheck) (gpointer user_data,
                                   gint64   now,
                                   gint64   hold_until);

/* The lock and condition a threaded client waits on. A client may guard
 * its own state with @lock too, and wait on @cond for its own reasons:
 * every release, hold and cancellation broadcasts it. */
typedef struct {
  GMutex  lock;
  GCond   cond;
  guint   concurrency;
  guint   in_flight;
  gint64  hold_until;     /* a Retry-After pauses every request (monotonic µs) */
} PsHttpGate;

void      ps_http_gate_init    (PsHttpGate       *gate,
                                guint             concurrency);
void      ps_http_gate_clear   (PsHttpGate       *gate);
gulong    ps_http_gate_watch   (PsHttpGate       *gate,
                                GCancellable     *cancellable);
void      ps_http_gate_unwatch (GCancellable     *cancellable,
                                gulong            id);
gboolean  ps_http_gate_sleep   (PsHttpGate       *gate,
                                gint64            delay_us,
                                GCancellable     *cancellable,
                                GError          **error);
void      ps_http_gate_hold    (PsHttpGate       *gate,
                                gint64            delay_us);
gboolean  ps_http_gate_acquire (PsHttpGate       *gate,
                                PsHttpGateCheck   check,
                                gpointer          check_data,
                                GCancellable     *cancellable,
                                GError          **error);
void      ps_http_gate_release (PsHttpGate       *gate);
void      ps_http_gate_count   (PsHttpGate       *gate,
                                guint64          *counter);

/* ---- one blocking exchange */

/* How far an exchange got: the request's headers went out, the answer's
 * headers came in. */
typedef struct {
  gboolean request_sent;
  gboolean answer_started;
} PsHttpProgress;

void         ps_http_trust_extra_ca (SoupMessage     *msg,
                                     GTlsDatabase    *extra_ca);
SoupMessage *ps_http_message_new    (const char      *method,
                                     const char      *url,
                                     GTlsDatabase    *extra_ca,
                                     PsHttpProgress  *progress,
                                     GError         **error);
GBytes      *ps_http_message_send   (SoupSession     *session,
                                     SoupMessage     *msg,
                                     PsHttpProgress  *progress,
                                     GCancellable    *cancellable,
                                     GError         **error);
const char  *ps_http_progress_describe (const PsHttpProgress *progress);
guint        ps_http_connection_attempts (const PsHttpProgress *progress,
                                          guint                 max_attempts);

G_END_DECLS
