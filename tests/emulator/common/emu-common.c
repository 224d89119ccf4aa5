/* emu-common.c — what the Asset Panda, Graph and Okta emulators share
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <stdio.h>
#include <string.h>
#include <glib-unix.h>

#include "emu-common.h"

/* ---------------------------------------------------------------- switches */

const EmuSwitchSpec *
emu_switch_find (const EmuSwitchSpec *specs, guint n_specs, const char *name)
{
  for (guint i = 0; i < n_specs; i++)
    if (g_str_equal (specs[i].name, name))
      return &specs[i];
  return NULL;
}

static gboolean
in_range (const EmuSwitchSpec *spec, gint64 value, gint64 low, gint64 high)
{
  if (spec->min != 0 || spec->max != 0)
    {
      low = spec->min;
      high = spec->max;
    }
  return value >= low && value <= high;
}

gboolean
emu_switch_set (gpointer switches, const EmuSwitchSpec *spec, JsonNode *value, GError **error)
{
  gpointer where = G_STRUCT_MEMBER_P (switches, spec->offset);
  GType type = JSON_NODE_HOLDS_VALUE (value) ? json_node_get_value_type (value) : G_TYPE_INVALID;
  gboolean numeric = type == G_TYPE_INT64 || type == G_TYPE_DOUBLE;

  switch (spec->type)
    {
    case EMU_SWITCH_DOUBLE:
      if (!numeric || json_node_get_double (value) < 0 || json_node_get_double (value) > 1)
        break;
      *(double *) where = json_node_get_double (value);
      return TRUE;
    case EMU_SWITCH_UINT:
      if (type != G_TYPE_INT64 || !in_range (spec, json_node_get_int (value), 0, G_MAXUINT))
        break;
      *(guint *) where = json_node_get_int (value);
      return TRUE;
    case EMU_SWITCH_INT:
      if (type != G_TYPE_INT64 || !in_range (spec, json_node_get_int (value), G_MININT, G_MAXINT))
        break;
      *(int *) where = json_node_get_int (value);
      return TRUE;
    case EMU_SWITCH_INT64:
      if (type != G_TYPE_INT64 || !in_range (spec, json_node_get_int (value), G_MININT64, G_MAXINT64))
        break;
      *(gint64 *) where = json_node_get_int (value);
      return TRUE;
    case EMU_SWITCH_BOOL:
      if (type != G_TYPE_BOOLEAN)
        break;
      *(gboolean *) where = json_node_get_boolean (value);
      return TRUE;
    case EMU_SWITCH_WORD:
      if (type != G_TYPE_STRING ||
          (spec->words != NULL && !g_strv_contains (spec->words, json_node_get_string (value))))
        break;
      g_free (*(char **) where);
      *(char **) where = g_strdup (json_node_get_string (value));
      return TRUE;
    default:
      break;
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad value for switch %s", spec->name);
  return FALSE;
}

/* Frees the strings of the EMU_SWITCH_WORD switches. */
void
emu_switches_clear (gpointer switches, const EmuSwitchSpec *specs, guint n_specs)
{
  for (guint i = 0; i < n_specs; i++)
    if (specs[i].type == EMU_SWITCH_WORD)
      g_clear_pointer ((char **) G_STRUCT_MEMBER_P (switches, specs[i].offset), g_free);
}

/* @to (@size bytes) becomes a copy of @from with strings of its own. */
void
emu_switches_copy (gpointer to, gconstpointer from, gsize size, const EmuSwitchSpec *specs, guint n_specs)
{
  emu_switches_clear (to, specs, n_specs);
  memcpy (to, from, size);
  for (guint i = 0; i < n_specs; i++)
    if (specs[i].type == EMU_SWITCH_WORD)
      {
        char **word = G_STRUCT_MEMBER_P (to, specs[i].offset);

        *word = g_strdup (*word);
      }
}

void
emu_switches_dump (gconstpointer switches, const EmuSwitchSpec *specs, guint n_specs, JsonObject *into)
{
  for (guint i = 0; i < n_specs; i++)
    {
      const EmuSwitchSpec *spec = &specs[i];
      gconstpointer where = G_STRUCT_MEMBER_P (switches, spec->offset);

      switch (spec->type)
        {
        case EMU_SWITCH_DOUBLE:
          json_object_set_double_member (into, spec->name, *(const double *) where);
          break;
        case EMU_SWITCH_UINT:
          json_object_set_int_member (into, spec->name, *(const guint *) where);
          break;
        case EMU_SWITCH_INT:
          json_object_set_int_member (into, spec->name, *(const int *) where);
          break;
        case EMU_SWITCH_INT64:
          json_object_set_int_member (into, spec->name, *(const gint64 *) where);
          break;
        case EMU_SWITCH_BOOL:
          json_object_set_boolean_member (into, spec->name, *(const gboolean *) where);
          break;
        case EMU_SWITCH_WORD:
          json_object_set_string_member (into, spec->name, *(char *const *) where);
          break;
        default:
          break;
        }
    }
}

/* ---------------------------------------------------------------- fault rules */

/* The index of @object's "fault" in @names; -1 with an error naming them all. */
int
emu_rule_kind (JsonObject *object, const char *const *names, guint n_names, GError **error)
{
  const char *kind = object != NULL ? json_object_get_string_member_with_default (object, "fault", "") : "";
  g_autoptr(GString) list = g_string_new (NULL);

  for (guint k = 0; k < n_names; k++)
    if (g_str_equal (names[k], kind))
      return (int) k;
  for (guint k = 0; k < n_names; k++)
    g_string_append_printf (list, "%s%s", k == 0 ? "" : k + 1 == n_names ? " or " : ", ", names[k]);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "a fault rule needs \"fault\": %s", list->str);
  return -1;
}

void
emu_rule_init (EmuRule *rule, int kind)
{
  rule->kind = kind;
  rule->match = g_strdup ("*");
}

/* Reads a member every rule has (match, nth, rate, count): FALSE when
 * @name is not one of them; *@ok = FALSE when its value is wrong. */
gboolean
emu_rule_parse_member (EmuRule *rule, const char *name, JsonNode *value, gboolean *ok)
{
  GType type = JSON_NODE_HOLDS_VALUE (value) ? json_node_get_value_type (value) : G_TYPE_INVALID;
  gboolean integer = type == G_TYPE_INT64 && json_node_get_int (value) >= 0 &&
                     json_node_get_int (value) <= G_MAXINT32;

  *ok = TRUE;
  if (g_str_equal (name, "match") && type == G_TYPE_STRING)
    {
      g_free (rule->match);
      rule->match = g_strdup (json_node_get_string (value));
    }
  else if (g_str_equal (name, "nth") && integer)
    rule->nth = json_node_get_int (value);
  else if (g_str_equal (name, "rate") && (type == G_TYPE_DOUBLE || type == G_TYPE_INT64))
    {
      rule->rate = json_node_get_double (value);
      *ok = rule->rate >= 0 && rule->rate <= 1;
    }
  else if (g_str_equal (name, "count") && integer)
    rule->count = json_node_get_int (value);
  else
    return FALSE;
  return TRUE;
}

/* A rule for the Nth call fires once unless it says otherwise. */
void
emu_rule_finish (EmuRule *rule, JsonObject *object)
{
  if (rule->nth > 0 && rule->count == 0 && !json_object_has_member (object, "count"))
    rule->count = 1;
}

/* @to is a byte copy of @from: give it its own strings and fresh counts. */
void
emu_rule_copy (EmuRule *to, const EmuRule *from)
{
  to->match = g_strdup (from->match);
  to->seen = to->hits = 0;
}

void
emu_rule_clear (EmuRule *rule)
{
  g_clear_pointer (&rule->match, g_free);
}

void
emu_rule_dump (const EmuRule *rule, const char *kind_name, JsonObject *into)
{
  json_object_set_string_member (into, "fault", kind_name);
  json_object_set_string_member (into, "match", rule->match);
  json_object_set_int_member (into, "nth", rule->nth);
  json_object_set_double_member (into, "rate", rule->rate);
  json_object_set_int_member (into, "count", rule->count);
  json_object_set_int_member (into, "seen", rule->seen);
  json_object_set_int_member (into, "hits", rule->hits);
}

/* A copy of a list of rules, each copied with @copy. */
GPtrArray *
emu_rules_copy (GPtrArray *rules, GBoxedCopyFunc copy, GDestroyNotify free_rule)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (free_rule);

  for (guint i = 0; i < rules->len; i++)
    g_ptr_array_add (out, copy (g_ptr_array_index (rules, i)));
  return out;
}

/* The first rule of @rules (each starting with an EmuRule) that fires for
 * the call, or NULL. Every matching rule counts the call. */
gpointer
emu_rule_pick (GPtrArray *rules, const char *method, const char *path, EmuRuleApplies applies, gpointer data,
               GRand *dice)
{
  g_autofree char *text = g_strdup_printf ("%s %s", method, path);
  EmuRule *fired = NULL;

  for (guint i = 0; i < rules->len; i++)
    {
      EmuRule *rule = g_ptr_array_index (rules, i);
      gboolean fire;

      if (!g_pattern_match_simple (rule->match, text) || !applies (rule, data))
        continue;
      rule->seen++;
      if (fired != NULL || (rule->count > 0 && rule->hits >= rule->count))
        continue;
      if (rule->nth > 0)
        fire = rule->seen >= rule->nth;
      else if (rule->rate > 0)
        fire = g_rand_double (dice) < rule->rate;
      else
        fire = TRUE;
      if (fire)
        {
          rule->hits++;
          fired = rule;
        }
    }
  return fired;
}

/* ---------------------------------------------------------------- JSON and counters */

JsonNode *
emu_object_node (JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, object);
  return node;
}

JsonNode *
emu_array_node (JsonArray *array)
{
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  json_node_take_array (node, array);
  return node;
}

/* Adds one to @key's count in @table (string → GUINT_TO_POINTER). */
void
emu_count (GHashTable *table, const char *key)
{
  gpointer old = g_hash_table_lookup (table, key);

  g_hash_table_replace (table, g_strdup (key), GUINT_TO_POINTER (GPOINTER_TO_UINT (old) + 1));
}

/* The counts of @table as a JSON object, keys sorted. */
JsonNode *
emu_counts_node (GHashTable *table)
{
  JsonObject *object = json_object_new ();
  g_autoptr(GList) keys = g_hash_table_get_keys (table);

  keys = g_list_sort (keys, (GCompareFunc) g_strcmp0);
  for (GList *l = keys; l != NULL; l = l->next)
    json_object_set_int_member (object, l->data, GPOINTER_TO_UINT (g_hash_table_lookup (table, l->data)));
  return emu_object_node (object);
}

/* ---------------------------------------------------------------- the server */

static gboolean
on_resume_cb (gpointer data)
{
  SoupServerMessage *msg = data;

  soup_server_message_unpause (msg);
  g_object_unref (msg);
  return G_SOURCE_REMOVE;
}

/* The "drop" faults: the connection closes without (the rest of) an answer. */
void
emu_drop_connection (SoupServerMessage *msg)
{
  g_autoptr(GIOStream) stream = soup_server_message_steal_connection (msg);

  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
}

/* The "truncate" and "malformed" faults: the answer's body cut in half,
 * with garbage after it when @garbage. */
void
emu_cut_body (SoupServerMessage *msg, gboolean garbage)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  gsize length = g_bytes_get_size (bytes);
  g_autoptr(GString) text = g_string_new_len (g_bytes_get_data (bytes, NULL), length / 2);

  if (garbage)
    g_string_append (text, "<<garbage");
  soup_message_body_truncate (body);
  soup_message_body_append (body, SOUP_MEMORY_COPY, text->str, text->len);
}

/* Holds the answer back @delay_ms on the main loop (latency, slow calls). */
void
emu_delay_answer (SoupServerMessage *msg, guint delay_ms)
{
  soup_server_message_pause (msg);
  g_timeout_add (delay_ms, on_resume_cb, g_object_ref (msg));
}

/* Answers @msg with @body (taken) as JSON. */
void
emu_reply_json (SoupServerMessage *msg, guint status, JsonNode *body)
{
  g_autofree char *text = json_to_string (body, FALSE);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text, strlen (text));
  json_node_unref (body);
}

/* Answers @msg with {"message": @message}: what the /_admin/ API says
 * when a request is wrong. */
void
emu_reply_message (SoupServerMessage *msg, guint status, const char *message)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "message", message);
  emu_reply_json (msg, status, emu_object_node (object));
}

/* The index of the first call-log entry (JSON objects in "seq" order)
 * whose seq is at least @since, by bisection. */
guint
emu_call_log_find (GPtrArray *calls, gint64 since)
{
  guint first = 0;

  for (guint hi = calls->len; first < hi;)
    {
      guint mid = (first + hi) / 2;

      if (json_object_get_int_member (g_ptr_array_index (calls, mid), "seq") < since)
        first = mid + 1;
      else
        hi = mid;
    }
  return first;
}

/* Listens on 127.0.0.1 (IPv4 only), with HTTPS when @certificate is set. */
gboolean
emu_soup_listen (SoupServer *soup, guint port, GTlsCertificate *certificate, GError **error)
{
  SoupServerListenOptions options = SOUP_SERVER_LISTEN_IPV4_ONLY;

  if (certificate != NULL)
    {
      soup_server_set_tls_certificate (soup, certificate);
      options |= SOUP_SERVER_LISTEN_HTTPS;
    }
  return soup_server_listen_local (soup, port, options, error);
}

guint
emu_soup_port (SoupServer *soup)
{
  g_autoptr(GSList) uris = soup != NULL ? soup_server_get_uris (soup) : NULL;
  guint port = 0;

  if (uris != NULL)
    port = g_uri_get_port (uris->data);
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  return port;
}

/* ---------------------------------------------------------------- main () */

static gboolean
on_signal (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;
}

void
emu_options_init (EmuOptions *options)
{
  memset (options, 0, sizeof *options);
  options->random_seed = 1;
  options->call_log_max = 200000;
}

void
emu_options_clear (EmuOptions *options)
{
  g_clear_pointer (&options->listen, g_free);
  g_clear_pointer (&options->tls_cert, g_free);
  g_clear_pointer (&options->tls_key, g_free);
  g_clear_pointer (&options->latency, g_free);
  g_clear_pointer (&options->switch_args, g_strfreev);
  g_clear_pointer (&options->fault_args, g_strfreev);
}

/* Adds the common options to @context's main group (after the emulator's
 * own), --fault only when @fault_rules. */
void
emu_options_add (EmuOptions *options, GOptionContext *context, gboolean fault_rules)
{
  GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &options->port, "Port on 127.0.0.1; 0 picks a free one (default)", "N" },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &options->listen, "Address to listen on: 127.0.0.1 only", "ADDR" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &options->tls_cert, "Serve HTTPS with this PEM certificate", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &options->tls_key, "Private key of --tls-cert", "FILE" },
    { "latency-ms", 0, 0, G_OPTION_ARG_STRING, &options->latency, "Delay every answer by N ms", "N" },
    { "random-seed", 0, 0, G_OPTION_ARG_INT64, &options->random_seed,
      "Seed of the fault dice and of new ids (default 1)", "N" },
    { "switch", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->switch_args, "Any /_admin/faults switch (repeatable)",
      "NAME=VALUE" },
    { "call-log-max", 0, 0, G_OPTION_ARG_INT, &options->call_log_max,
      "Calls kept in the log (default 200000; 0 = all)", "N" },
    { "fault", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->fault_args, "A fault rule as JSON (repeatable)", "JSON" },
    { NULL }
  };

  if (!fault_rules)
    memset (&entries[G_N_ELEMENTS (entries) - 2], 0, sizeof entries[0]);
  /* The entries are copied. */
  g_option_context_add_main_entries (context, entries, NULL);
}

/* Checks the common options and adds what they ask for to @switches and
 * @rules (after what the emulator's own options added), then @rules to
 * @switches as add_rules. */
gboolean
emu_options_apply (EmuOptions *options, JsonObject *switches, JsonArray *rules, GError **error)
{
  if (!emu_listen_is_local (options->listen))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--listen accepts 127.0.0.1 only");
      return FALSE;
    }
  if (options->port < 0 || options->port > 65535 || options->call_log_max < 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "bad --port or --call-log-max");
      return FALSE;
    }
  if (!emu_option_number (switches, "latency_ms", options->latency, error))
    return FALSE;
  for (guint i = 0; options->fault_args != NULL && options->fault_args[i] != NULL; i++)
    if (!emu_option_fault (rules, options->fault_args[i], error))
      return FALSE;
  for (guint i = 0; options->switch_args != NULL && options->switch_args[i] != NULL; i++)
    if (!emu_option_switch (switches, options->switch_args[i], error))
      return FALSE;
  if (rules != NULL && json_array_get_length (rules) > 0)
    json_object_set_array_member (switches, "add_rules", json_array_ref (rules));
  return TRUE;
}

/* Prints "PROGRAM: message" on stderr; returns @status for main (). */
int
emu_fail (int status, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("%s: %s\n", g_get_prgname (), message);
  return status;
}

/* A whole-number switch from the command line; nothing when @text is NULL. */
gboolean
emu_option_number (JsonObject *switches, const char *name, const char *text, GError **error)
{
  char *end = NULL;
  gint64 value;

  if (text == NULL)
    return TRUE;
  value = g_ascii_strtoll (text, &end, 10);
  if (*end == '\0' && end != text)
    {
      json_object_set_int_member (switches, name, value);
      return TRUE;
    }
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "bad number for %s: %s", name, text);
  return FALSE;
}

/* A fractional switch (a rate) from the command line; nothing when @text
 * is NULL. */
gboolean
emu_option_fraction (JsonObject *switches, const char *name, const char *text, GError **error)
{
  char *end = NULL;
  double value;

  if (text == NULL)
    return TRUE;
  value = g_ascii_strtod (text, &end);
  if (*end == '\0' && end != text)
    {
      json_object_set_double_member (switches, name, value);
      return TRUE;
    }
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "bad number for %s: %s", name, text);
  return FALSE;
}

/* A fault rule by rate from --@option's fraction, with @extra_name set to
 * @extra when it is ≥ 0 (a Retry-After, a rate-limit reset). */
gboolean
emu_option_rate_rule (JsonArray *rules, const char *fault, const char *option, const char *text,
                      const char *extra_name, gint64 extra, GError **error)
{
  char *end = NULL;
  double rate;
  JsonObject *rule;

  if (text == NULL)
    return TRUE;
  rate = g_ascii_strtod (text, &end);
  if (*end != '\0' || end == text || rate < 0 || rate > 1)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "bad fraction for --%s: %s", option, text);
      return FALSE;
    }
  rule = json_object_new ();
  json_object_set_string_member (rule, "fault", fault);
  json_object_set_double_member (rule, "rate", rate);
  if (extra_name != NULL && extra >= 0)
    json_object_set_int_member (rule, extra_name, extra);
  json_array_add_object_element (rules, rule);
  return TRUE;
}

/* --switch NAME=VALUE: VALUE is JSON when it parses, a string otherwise. */
gboolean
emu_option_switch (JsonObject *switches, const char *text, GError **error)
{
  const char *eq = strchr (text, '=');
  g_autofree char *name = NULL;
  JsonNode *value;

  if (eq == NULL || eq == text)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--switch takes NAME=VALUE");
      return FALSE;
    }
  name = g_strndup (text, eq - text);
  value = json_from_string (eq + 1, NULL);
  if (value == NULL)
    {
      value = json_node_new (JSON_NODE_VALUE);
      json_node_set_string (value, eq + 1);
    }
  json_object_set_member (switches, name, value);
  return TRUE;
}

/* --fault JSON: one fault rule. */
gboolean
emu_option_fault (JsonArray *rules, const char *text, GError **error)
{
  g_autoptr(GError) parse_error = NULL;
  JsonNode *node = json_from_string (text, &parse_error);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--fault takes a JSON object: %s", text);
      g_clear_pointer (&node, json_node_unref);
      return FALSE;
    }
  json_array_add_element (rules, node);
  return TRUE;
}

/* --listen accepts 127.0.0.1 (or localhost) only: an emulator is never
 * reachable from the network. */
gboolean
emu_listen_is_local (const char *listen)
{
  return listen == NULL || g_str_equal (listen, "127.0.0.1") || g_str_equal (listen, "localhost");
}

/* --tls-cert and --tls-key: NULL without error when neither is given. */
GTlsCertificate *
emu_load_certificate (const char *cert, const char *key, GError **error)
{
  if (cert == NULL && key == NULL)
    return NULL;
  if (cert == NULL || key == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--tls-cert and --tls-key go together");
      return NULL;
    }
  return g_tls_certificate_new_from_files (cert, key, error);
}

/* The two lines the start scripts and tests wait for, flushed at once. */
void
emu_announce (guint port, gboolean https)
{
  printf ("PORT=%u\n", port);
  printf ("URL=%s://127.0.0.1:%u\n", https ? "https" : "http", port);
  fflush (stdout);
}

/* Runs the default main loop until SIGINT or SIGTERM. */
void
emu_run_until_signal (void)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  guint on_int = g_unix_signal_add (SIGINT, on_signal, loop);
  guint on_term = g_unix_signal_add (SIGTERM, on_signal, loop);

  g_main_loop_run (loop);
  g_source_remove (on_int);
  g_source_remove (on_term);
}
