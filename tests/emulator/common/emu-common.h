/* emu-common.h — what the Asset Panda, Graph and Okta emulators share
 *
 * Run-time switches described by a table (set from JSON, dumped to JSON),
 * the counters of /_admin/stats, the SoupServer's set-up on 127.0.0.1
 * (HTTP or HTTPS), and the pieces of each emulator's main (): command-line
 * switches and fault rules, the TLS certificate, the PORT=/URL= lines and
 * the main loop that SIGINT and SIGTERM end.
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* ---- switches */

typedef enum {
  EMU_SWITCH_DOUBLE,     /* a fraction, 0..1 */
  EMU_SWITCH_UINT,
  EMU_SWITCH_INT,
  EMU_SWITCH_INT64,
  EMU_SWITCH_BOOL,
  EMU_SWITCH_WORD,       /* a string; one of @words when they are given */
} EmuSwitchType;

/* One switch: its name in /_admin/faults, where it lives in the
 * emulator's switches struct, and what it accepts. @min and @max bound
 * the numbers; both 0 means the type's whole range. */
typedef struct {
  const char        *name;
  EmuSwitchType      type;
  gsize              offset;
  const char *const *words;
  gint64             min;
  gint64             max;
} EmuSwitchSpec;

const EmuSwitchSpec *emu_switch_find   (const EmuSwitchSpec *specs,
                                        guint                n_specs,
                                        const char          *name);
gboolean             emu_switch_set    (gpointer             switches,
                                        const EmuSwitchSpec *spec,
                                        JsonNode            *value,
                                        GError             **error);
void                 emu_switches_clear (gpointer            switches,
                                         const EmuSwitchSpec *specs,
                                         guint               n_specs);
void                 emu_switches_copy  (gpointer            to,
                                         gconstpointer       from,
                                         gsize               size,
                                         const EmuSwitchSpec *specs,
                                         guint               n_specs);
void                 emu_switches_dump (gconstpointer        switches,
                                        const EmuSwitchSpec *specs,
                                        guint                n_specs,
                                        JsonObject          *into);

/* ---- fault rules */

/* What every fault rule has; the first member of each emulator's own rule
 * struct, which adds what its kinds of fault need. */
typedef struct {
  int     kind;       /* an index into the emulator's fault names */
  char   *match;      /* glob on "METHOD /path" */
  guint   nth;        /* fire from the Nth matching call on; 0 = not counted */
  double  rate;       /* fire with this probability; 0 = always */
  guint   count;      /* most hits; 0 = no limit */
  guint   seen;
  guint   hits;
} EmuRule;

/* Whether @rule can fire for the call @data at all (its kind's own test). */
typedef gboolean (*EmuRuleApplies) (gpointer rule,
                                    gpointer data);

int       emu_rule_kind         (JsonObject         *object,
                                 const char *const  *names,
                                 guint               n_names,
                                 GError            **error);
void      emu_rule_init         (EmuRule            *rule,
                                 int                 kind);
gboolean  emu_rule_parse_member (EmuRule            *rule,
                                 const char         *name,
                                 JsonNode           *value,
                                 gboolean           *ok);
void      emu_rule_finish       (EmuRule            *rule,
                                 JsonObject         *object);
void      emu_rule_copy         (EmuRule            *to,
                                 const EmuRule      *from);
void      emu_rule_clear        (EmuRule            *rule);
void      emu_rule_dump         (const EmuRule      *rule,
                                 const char         *kind_name,
                                 JsonObject         *into);
GPtrArray *emu_rules_copy       (GPtrArray          *rules,
                                 GBoxedCopyFunc      copy,
                                 GDestroyNotify      free_rule);
gpointer  emu_rule_pick         (GPtrArray          *rules,
                                 const char         *method,
                                 const char         *path,
                                 EmuRuleApplies      applies,
                                 gpointer            data,
                                 GRand              *dice);

/* ---- JSON and counters */

JsonNode   *emu_object_node (JsonObject *object);
JsonNode   *emu_array_node  (JsonArray  *array);
void        emu_count       (GHashTable *table,
                             const char *key);
JsonNode   *emu_counts_node (GHashTable *table);

/* ---- the server */

void        emu_reply_json    (SoupServerMessage *msg,
                               guint              status,
                               JsonNode          *body);
void        emu_reply_message (SoupServerMessage *msg,
                               guint              status,
                               const char        *message);
void        emu_drop_connection (SoupServerMessage *msg);
void        emu_cut_body      (SoupServerMessage *msg,
                               gboolean           garbage);
void        emu_delay_answer  (SoupServerMessage *msg,
                               guint              delay_ms);
guint       emu_call_log_find (GPtrArray         *calls,
                               gint64             since);

gboolean    emu_soup_listen (SoupServer      *soup,
                             guint            port,
                             GTlsCertificate *certificate,
                             GError         **error);
guint       emu_soup_port   (SoupServer      *soup);

/* ---- main () */

/* The options every emulator takes: --port, --listen, --tls-cert,
 * --tls-key, --latency-ms, --random-seed, --switch, --fault (when it has
 * fault rules) and --call-log-max. */
typedef struct {
  int      port;
  char    *listen;
  char    *tls_cert;
  char    *tls_key;
  char    *latency;
  gint64   random_seed;
  char   **switch_args;
  char   **fault_args;
  int      call_log_max;
} EmuOptions;

void             emu_options_init     (EmuOptions     *options);
void             emu_options_clear    (EmuOptions     *options);
void             emu_options_add      (EmuOptions     *options,
                                       GOptionContext *context,
                                       gboolean        fault_rules);
gboolean         emu_options_apply    (EmuOptions     *options,
                                       JsonObject     *switches,
                                       JsonArray      *rules,
                                       GError        **error);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (EmuOptions, emu_options_clear)

int              emu_fail             (int             status,
                                       const char     *format,
                                       ...) G_GNUC_PRINTF (2, 3);

gboolean         emu_option_number    (JsonObject  *switches,
                                       const char  *name,
                                       const char  *text,
                                       GError     **error);
gboolean         emu_option_fraction  (JsonObject  *switches,
                                       const char  *name,
                                       const char  *text,
                                       GError     **error);
gboolean         emu_option_rate_rule (JsonArray   *rules,
                                       const char  *fault,
                                       const char  *option,
                                       const char  *text,
                                       const char  *extra_name,
                                       gint64       extra,
                                       GError     **error);
gboolean         emu_option_switch    (JsonObject  *switches,
                                       const char  *text,
                                       GError     **error);
gboolean         emu_option_fault     (JsonArray   *rules,
                                       const char  *text,
                                       GError     **error);
gboolean         emu_listen_is_local  (const char  *listen);
GTlsCertificate *emu_load_certificate (const char  *cert,
                                       const char  *key,
                                       GError     **error);
void             emu_announce         (guint        port,
                                       gboolean     https);
void             emu_run_until_signal (void);

G_END_DECLS
