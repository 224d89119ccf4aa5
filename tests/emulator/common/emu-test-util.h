/* emu-test-util.h — what the three emulators' test programs share
 *
 * Starting an emulator on a free port (it dies with the test program),
 * sending a request and keeping the answer (status, headers, body, JSON,
 * time taken), and reading the answer's JSON by JSONPath.
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* ---- an emulator process */

typedef struct {
  GSubprocess *process;       /* NULL when a start script started it */
  GPid         pid;           /* the start script's PID= */
  guint        port;
  char        *base;          /* http(s)://127.0.0.1:PORT */
  SoupSession *session;       /* trusts @ca_file when one was given */
  char        *ca_dir;        /* emu_process_start_tls ()'s CA, removed on stop */
} EmuProcess;

EmuProcess *emu_process_start        (const char        *binary_variable,
                                      const char *const *extra,
                                      const char        *ca_file,
                                      guint              timeout_s);
EmuProcess *emu_process_start_tls    (const char        *binary_variable,
                                      const char *const *extra,
                                      guint              timeout_s);
EmuProcess *emu_process_start_script (const char        *script_variable,
                                      const char *const *extra,
                                      guint              timeout_s);
void        emu_process_stop         (EmuProcess        *emu);
void        emu_assert_listen_refused (const char       *binary_variable);

/* ---- one request */

typedef struct {
  guint               status;
  GBytes             *bytes;
  JsonNode           *json;        /* the body, when it is JSON */
  SoupMessageHeaders *headers;
  GError             *error;       /* no answer came */
  double              seconds;
} EmuReply;

void      emu_reply_free (EmuReply     *reply);
EmuReply *emu_call       (EmuProcess        *emu,
                          const char        *method,
                          const char        *path,
                          const char        *authorization,
                          const char *const *headers,
                          const char        *body,
                          const char        *content_type);
EmuReply *emu_expect     (EmuProcess        *emu,
                          guint              status,
                          const char        *method,
                          const char        *path,
                          const char        *authorization,
                          const char *const *headers,
                          const char        *body,
                          const char        *content_type);
EmuReply *emu_send       (SoupSession  *session,
                          SoupMessage  *msg);
void      emu_add_header_lines (SoupMessage       *msg,
                                const char *const *headers);
void      emu_set_body   (SoupMessage  *msg,
                          const char   *body,
                          const char   *content_type);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EmuReply, emu_reply_free)

/* An admin call (/_admin/…) that must answer 200 or 201: its JSON body, or
 * for _do nothing; anything else stops the test with the answer. */
JsonNode *emu_admin    (EmuProcess *emu, const char *method, const char *path, const char *body);
void      emu_admin_do (EmuProcess *emu, const char *method, const char *path, const char *body);

/* ---- reading JSON by JSONPath (a missing value fails the test) */

char     *emu_jq          (const char *format,
                           ...) G_GNUC_PRINTF (1, 2);
JsonNode *emu_path_node   (JsonNode   *root,
                           const char *expression);
gboolean  emu_path_has    (JsonNode   *root,
                           const char *expression);
char     *emu_path_str    (JsonNode   *root,
                           const char *expression);
gint64    emu_path_num    (JsonNode   *root,
                           const char *expression);
guint     emu_path_len    (JsonNode   *root,
                           const char *expression);
gboolean  emu_path_is_null (JsonNode  *root,
                           const char *expression);
gboolean  emu_path_bool   (JsonNode   *root,
                           const char *expression);
char     *emu_path_keys   (JsonNode   *root,
                           const char *expression);
void      emu_assert_str  (JsonNode   *root,
                           const char *expression,
                           const char *expected);

G_END_DECLS
