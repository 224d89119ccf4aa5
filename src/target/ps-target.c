/* ps-target.c — the Asset Panda target: construction, auth, shared logic
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ps-target-private.h"

#define MAX_CREATE_ROUNDS 4   /* a user create sent, then looked up, this many times at most */

/* The dialects (ps-target-classic.c, ps-target-pro.c) */
GType ps_target_classic_get_type (void);
GType ps_target_pro_get_type (void);

typedef struct
{
  PsTargetConfig  config;
  PsDialect       dialect;
  PsHttp         *http;
  char           *secrets[PS_SECRET_N_KINDS];
  gboolean        logged_in;
  gint64          token_deadline; /* monotonic µs: sign in again after it; 0 = unknown */
  GMutex          cache_lock;
  GHashTable     *fields_cache;   /* "account/module/collection" → GPtrArray of PsTargetField* */
} PsTargetPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (PsTarget, ps_target, G_TYPE_OBJECT)

/* ---------------------------------------------------------------- JSON helpers */

char *
ps_json_text (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (JSON_NODE_HOLDS_VALUE (node))
    {
      GType type = json_node_get_value_type (node);

      if (type == G_TYPE_STRING)
        return g_strdup (json_node_get_string (node));
      if (type == G_TYPE_INT64)
        return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
      if (type == G_TYPE_DOUBLE)
        {
          char buffer[G_ASCII_DTOSTR_BUF_SIZE];
          return g_strdup (g_ascii_dtostr (buffer, sizeof buffer, json_node_get_double (node)));
        }
      if (type == G_TYPE_BOOLEAN)
        return g_strdup (json_node_get_boolean (node) ? "true" : "false");
    }
  return NULL;
}

char *
ps_json_member_text (JsonObject *object,
                     ...)
{
  va_list args;
  const char *name;
  char *result = NULL;

  if (object == NULL)
    return NULL;
  va_start (args, object);
  while (result == NULL && (name = va_arg (args, const char *)) != NULL)
    result = ps_json_text (json_object_get_member (object, name));
  va_end (args);
  return result;
}

gboolean
ps_json_member_bool (JsonObject *object,
                     gboolean    fallback,
                     ...)
{
  va_list args;
  const char *name;
  gboolean result = fallback;

  if (object == NULL)
    return fallback;
  va_start (args, fallback);
  while ((name = va_arg (args, const char *)) != NULL)
    {
      JsonNode *node = json_object_get_member (object, name);

      if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
        continue;
      if (json_node_get_value_type (node) == G_TYPE_BOOLEAN)
        result = json_node_get_boolean (node);
      else if (json_node_get_value_type (node) == G_TYPE_INT64)
        result = json_node_get_int (node) != 0;
      else if (json_node_get_value_type (node) == G_TYPE_STRING)
        result = g_ascii_strcasecmp (json_node_get_string (node), "true") == 0
                 || g_str_equal (json_node_get_string (node), "1");
      break;
    }
  va_end (args);
  return result;
}

static JsonNode *
node_at_path (JsonNode   *root,
              const char *path)
{
  g_auto(GStrv) parts = NULL;
  JsonNode *node = root;

  if (*path == '\0')
    return root;
  parts = g_strsplit (path, ".", -1);
  for (guint i = 0; parts[i] != NULL && node != NULL; i++)
    {
      if (!JSON_NODE_HOLDS_OBJECT (node))
        return NULL;
      node = json_object_get_member (json_node_get_object (node), parts[i]);
    }
  return node;
}

/* The first of the dot paths in @args (NULL-terminated) that leads to a
 * node of type @type. */
static JsonNode *
find_node (JsonNode     *root,
           JsonNodeType  type,
           va_list       args)
{
  const char *path;

  if (root == NULL)
    return NULL;
  while ((path = va_arg (args, const char *)) != NULL)
    {
      JsonNode *node = node_at_path (root, path);
      if (node != NULL && JSON_NODE_TYPE (node) == type)
        return node;
    }
  return NULL;
}

JsonArray *
ps_json_find_array (JsonNode *root,
                    ...)
{
  va_list args;
  JsonNode *node;

  va_start (args, root);
  node = find_node (root, JSON_NODE_ARRAY, args);
  va_end (args);
  return node != NULL ? json_node_get_array (node) : NULL;
}

JsonObject *
ps_json_find_object (JsonNode *root,
                     ...)
{
  va_list args;
  JsonNode *node;

  va_start (args, root);
  node = find_node (root, JSON_NODE_OBJECT, args);
  va_end (args);
  return node != NULL ? json_node_get_object (node) : NULL;
}

void
ps_json_read_value (JsonNode  *node,
                    char     **text,
                    char     **option_id)
{
  *text = NULL;
  *option_id = NULL;
  if (node == NULL)
    return;
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *o = json_node_get_object (node);

      *option_id = ps_json_member_text (o, "id", NULL);
      *text = ps_json_member_text (o, "value", "display_name", "displayName", "label", "name",
                                   NULL);
      return;
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      /* A multi-value: join the labels. */
      JsonArray *a = json_node_get_array (node);
      GString *joined = g_string_new (NULL);

      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          g_autofree char *t = NULL;
          g_autofree char *id = NULL;
          ps_json_read_value (json_array_get_element (a, i), &t, &id);
          if (t == NULL)
            continue;
          if (joined->len > 0)
            g_string_append (joined, ", ");
          g_string_append (joined, t);
        }
      *text = g_string_free (joined, FALSE);
      return;
    }
  *text = ps_json_text (node);
}

/* ---------------------------------------------------------------- GObject */

static void
ps_target_finalize (GObject *object)
{
  PsTarget *self = PS_TARGET (object);
  PsTargetPrivate *priv = ps_target_get_instance_private (self);

  g_clear_pointer (&priv->http, ps_http_free);
  for (guint i = 0; i < PS_SECRET_N_KINDS; i++)
    g_clear_pointer (&priv->secrets[i], ps_secret_free);
  g_free (priv->config.url);
  g_free (priv->config.client_id);
  g_free (priv->config.email);
  g_free (priv->config.ca_file);
  g_hash_table_unref (priv->fields_cache);
  g_mutex_clear (&priv->cache_lock);
  G_OBJECT_CLASS (ps_target_parent_class)->finalize (object);
}

static void
ps_target_class_init (PsTargetClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ps_target_finalize;
}

static void
ps_target_init (PsTarget *self)
{
  PsTargetPrivate *priv = ps_target_get_instance_private (self);

  g_mutex_init (&priv->cache_lock);
  priv->fields_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify) g_ptr_array_unref);
}

/* ---------------------------------------------------------------- construction */

PsTarget *
ps_target_new (const PsTargetConfig  *config,
               const char            *client_secret,
               const char            *password,
               GError               **error)
{
  g_autoptr(PsTarget) self = NULL;
  PsTargetPrivate *priv;
  PsDialect dialect;

  g_return_val_if_fail (config != NULL, NULL);

  dialect = ps_target_config_effective_dialect (config);
  if (dialect == PS_DIALECT_PRO)
    {
      if (config->client_id == NULL || client_secret == NULL)
        {
          g_set_error_literal (error, PS_TARGET_ERROR, PS_TARGET_ERROR_CONFIG,
                               _("Asset Panda Pro needs the API key (client ID) and its secret"));
          return NULL;
        }
    }
  else if (config->email == NULL || password == NULL)
    {
      g_set_error_literal (error, PS_TARGET_ERROR, PS_TARGET_ERROR_CONFIG,
                           _("Asset Panda needs the API user’s email and password"));
      return NULL;
    }

  self = g_object_new (dialect == PS_DIALECT_PRO ? ps_target_pro_get_type ()
                                                 : ps_target_classic_get_type (), NULL);
  priv = ps_target_get_instance_private (self);
  priv->dialect = dialect;
  priv->config.url = g_strdup (config->url);
  priv->config.dialect = config->dialect;
  priv->config.client_id = g_strdup (config->client_id);
  priv->config.email = g_strdup (config->email);
  priv->config.ca_file = g_strdup (config->ca_file);
  priv->config.concurrency = config->concurrency > 0 ? config->concurrency : 4;
  priv->config.rate_calls = config->rate_calls > 0 ? config->rate_calls : 400;
  priv->config.rate_window = config->rate_window > 0 ? config->rate_window : 180;
  priv->secrets[PS_SECRET_API_CLIENT_SECRET] = g_strdup (client_secret);
  priv->secrets[PS_SECRET_API_PASSWORD] = g_strdup (password);

  priv->http = ps_http_new (priv->config.url, priv->config.ca_file, priv->config.concurrency,
                            priv->config.rate_calls, priv->config.rate_window, error);
  if (priv->http == NULL)
    return NULL;
  ps_http_add_secret (priv->http, client_secret);
  ps_http_add_secret (priv->http, password);
  if (dialect == PS_DIALECT_PRO)
    ps_target_pro_attach (self);
  else
    ps_target_classic_attach (self);
  return g_steal_pointer (&self);
}

PsTarget *
ps_target_new_for_profile (PsProfile     *profile,
                           GCancellable  *cancellable,
                           GError       **error)
{
  const PsTargetConfig *config;
  g_autoptr(PsSecretString) client_secret = NULL;
  g_autoptr(PsSecretString) password = NULL;
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (PS_IS_PROFILE (profile), NULL);

  config = ps_profile_get_target (profile);
  client_secret = ps_secret_lookup_sync (profile, PS_SECRET_API_CLIENT_SECRET, cancellable, &local);
  if (client_secret == NULL && ps_target_config_effective_dialect (config) == PS_DIALECT_PRO)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  g_clear_error (&local);
  if (ps_target_config_effective_dialect (config) == PS_DIALECT_CLASSIC)
    {
      password = ps_secret_lookup_sync (profile, PS_SECRET_API_PASSWORD, cancellable, error);
      if (password == NULL)
        return NULL;
    }
  return ps_target_new (config, client_secret, password, error);
}

PsDialect
ps_target_get_dialect (PsTarget *self)
{
  PsTargetPrivate *priv = ps_target_get_instance_private (self);
  return priv->dialect;
}

const char *
ps_target_get_url (PsTarget *self)
{
  PsTargetPrivate *priv = ps_target_get_instance_private (self);
  return priv->config.url;
}

PsHttp *
ps_target_get_http (PsTarget *self)
{
  PsTargetPrivate *priv = ps_target_get_instance_private (self);
  return priv->http;
}

const PsTargetConfig *
ps_target_get_config (PsTarget *self)
{
  PsTargetPrivate *priv = ps_target_get_instance_private (self);
  return &priv->config;
}

const char *
ps_target_get_secret (PsTarget     *self,
                      PsSecretKind  kind)
{
  PsTargetPrivate *priv = ps_target_get_instance_private (self);
  return priv->secrets[kind];
}

void
ps_target_set_logged_in (PsTarget *self,
                         gboolean  logged_in)
{
  PsTargetPrivate *priv = ps_target_get_instance_private (self);
  priv->logged_in = logged_in;
}

void
ps_target_set_token_lifetime (PsTarget *self,
                              gint64    seconds)
{
  PsTargetPrivate *priv = ps_target_get_instance_private (self);
  gint64 lifetime = seconds * G_USEC_PER_SEC;

  /* Refresh before expiry (S7): a tenth of the lifetime early, at most 60 s. */
  if (seconds <= 0)
    priv->token_deadline = 0;
  else
    priv->token_deadline = g_get_monotonic_time () + lifetime - MIN (lifetime / 10, 60 * G_USEC_PER_SEC);
}

void
ps_target_get_stats (PsTarget      *self,
                     PsTargetStats *stats)
{
  PsTargetPrivate *priv = ps_target_get_instance_private (self);
  PsHttpStats s;

  ps_http_get_stats (priv->http, &s);
  stats->requests = s.sent;
  stats->retries = s.retries;
  stats->rate_limited = s.rate_limited;
  stats->unavailable = s.unavailable;
  stats->connection_errors = s.connection_errors;
  stats->malformed = s.malformed;
}

void
ps_target_set_backoff (PsTarget *self,
                       guint     base_ms,
                       guint     cap_ms)
{
  PsTargetPrivate *priv = ps_target_get_instance_private (self);
  ps_http_set_backoff (priv->http, base_ms, cap_ms);
}

void
ps_target_set_timeout (PsTarget *self,
                       guint     seconds)
{
  PsTargetPrivate *priv = ps_target_get_instance_private (self);
  ps_http_set_timeout (priv->http, seconds);
}

void
ps_target_set_idle_timeout (PsTarget *self,
                            guint     seconds)
{
  PsTargetPrivate *priv = ps_target_get_instance_private (self);
  ps_http_set_idle_timeout (priv->http, seconds);
}

/* ---------------------------------------------------------------- running calls */

/* How many answers so far showed that the credentials worked. */
static guint64
count_accepted (PsHttp *http)
{
  PsHttpStats stats;

  ps_http_get_stats (http, &stats);
  return stats.accepted;
}

static void
fail_unfinished (GPtrArray    *calls,
                 const GError *error)
{
  for (guint i = 0; i < calls->len; i++)
    {
      PsHttpCall *call = g_ptr_array_index (calls, i);
      if (call->state != PS_HTTP_CALL_DONE || call->error == NULL)
        {
          if (call->state == PS_HTTP_CALL_DONE && call->error == NULL)
            continue;
          call->state = PS_HTTP_CALL_DONE;
          g_clear_error (&call->error);
          call->error = g_error_copy (error);
        }
    }
}

gboolean
ps_target_run (PsTarget      *self,
               GPtrArray     *calls,
               GCancellable  *cancellable,
               GError       **error)
{
  PsTargetPrivate *priv = ps_target_get_instance_private (self);
  PsTargetClass *klass = PS_TARGET_GET_CLASS (self);
  gboolean relogged = FALSE;
  gboolean ok = FALSE;

  ps_http_lock (priv->http);
  for (;;)
    {
      g_autoptr(GError) local = NULL;
      gboolean auth_failed = FALSE;
      guint64 accepted;

      if (klass->login != NULL && priv->logged_in && priv->token_deadline > 0
          && g_get_monotonic_time () >= priv->token_deadline)
        {
          g_debug ("the Asset Panda token is about to expire; signing in again");
          priv->logged_in = FALSE;
        }
      if (klass->login != NULL && !priv->logged_in)
        {
          if (!klass->login (self, cancellable, &local))
            {
              fail_unfinished (calls, local);
              g_propagate_error (error, g_steal_pointer (&local));
              break;
            }
          priv->logged_in = TRUE;
        }
      accepted = count_accepted (priv->http);
      if (ps_http_run (priv->http, calls, cancellable, &local))
        {
          ok = TRUE;
          break;
        }
      for (guint i = 0; i < calls->len; i++)
        auth_failed |= ((PsHttpCall *) g_ptr_array_index (calls, i))->auth_failed;
      /* A token that served some calls and then ran out (a long batch, long
       * waits between retries, a short lifetime) is renewed as often as that
       * happens; one refused before it served any call is not. */
      if (auth_failed && relogged && count_accepted (priv->http) > accepted)
        relogged = FALSE;
      if (auth_failed && klass->login != NULL && !relogged)
        {
          g_debug ("Asset Panda refused the token; signing in again");
          relogged = TRUE;
          priv->logged_in = FALSE;
          for (guint i = 0; i < calls->len; i++)
            {
              PsHttpCall *call = g_ptr_array_index (calls, i);
              if (call->auth_failed)
                ps_http_call_reset (call);
            }
          continue;
        }
      if (auth_failed && relogged)
        {
          g_autoptr(GError) again =
            g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_AUTH,
                         _("Asset Panda refused the API user’s token again right after a new "
                           "sign-in. Check that the API user is active and may use the API. (%s)"),
                         local->message);
          g_clear_error (&local);
          local = g_steal_pointer (&again);
        }
      fail_unfinished (calls, local);
      g_propagate_error (error, g_steal_pointer (&local));
      break;
    }
  ps_http_unlock (priv->http);
  return ok;
}

JsonNode *
ps_target_call (PsTarget      *self,
                PsHttpCall    *call,
                GCancellable  *cancellable,
                GError       **error)
{
  g_autoptr(GPtrArray) calls = g_ptr_array_new ();

  g_ptr_array_add (calls, call);
  if (!ps_target_run (self, calls, cancellable, error))
    return NULL;
  return ps_http_call_json (call, error);
}

gboolean
ps_target_check_scope (PsTarget    *self,
                       const char  *account,
                       const char  *module,
                       const char  *collection,
                       GError     **error)
{
  if (ps_target_get_dialect (self) == PS_DIALECT_PRO
      && (account == NULL || *account == '\0' || module == NULL || *module == '\0'))
    {
      g_set_error_literal (error, PS_TARGET_ERROR, PS_TARGET_ERROR_CONFIG,
                           _("Asset Panda Pro needs an account and a module; choose them in the "
                             "mapping"));
      return FALSE;
    }
  if (collection != NULL && *collection == '\0')
    {
      g_set_error_literal (error, PS_TARGET_ERROR, PS_TARGET_ERROR_CONFIG,
                           _("No collection was given"));
      return FALSE;
    }
  return TRUE;
}

/* ---------------------------------------------------------------- shared record logic */

static gboolean
id_is_empty (const char *id)
{
  return id == NULL || *id == '\0';
}

/* A request for a record or user without an id would name no record, or
 * a different endpoint ("/objects/" is the create path): it is never sent.
 * @what is the sentence that says which request. */
static GError *
empty_id_error (const char *what)
{
  return g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_CONFIG, "%s %s", what,
                      _("Nothing was sent to Asset Panda. The sync state may be damaged: run a "
                        "full sync (sync --full), and report the problem if it happens again."));
}

static gboolean
check_ids (GPtrArray   *ids,
           const char  *what,
           GError     **error)
{
  for (guint i = 0; ids != NULL && i < ids->len; i++)
    if (id_is_empty (g_ptr_array_index (ids, i)))
      {
        g_propagate_error (error, empty_id_error (what));
        return FALSE;
      }
  return TRUE;
}

GPtrArray *
ps_target_get_fields_cached (PsTarget      *self,
                             const char    *account,
                             const char    *module,
                             const char    *collection,
                             GCancellable  *cancellable,
                             GError       **error)
{
  PsTargetPrivate *priv = ps_target_get_instance_private (self);
  g_autofree char *key = g_strdup_printf ("%s/%s/%s", account ? account : "",
                                          module ? module : "", collection);
  GPtrArray *fields;

  g_mutex_lock (&priv->cache_lock);
  fields = g_hash_table_lookup (priv->fields_cache, key);
  if (fields != NULL)
    g_ptr_array_ref (fields);
  g_mutex_unlock (&priv->cache_lock);
  if (fields != NULL)
    return fields;

  fields = PS_TARGET_GET_CLASS (self)->list_fields (self, account, module, collection,
                                                     cancellable, error);
  if (fields == NULL)
    return NULL;
  g_mutex_lock (&priv->cache_lock);
  g_hash_table_replace (priv->fields_cache, g_steal_pointer (&key), g_ptr_array_ref (fields));
  g_mutex_unlock (&priv->cache_lock);
  return fields;
}

JsonObject *
ps_target_build_values (PsTarget           *self,
                        GPtrArray          *fields,
                        PsTargetWrite      *write,
                        const char *const  *builtin,
                        GError            **error)
{
  g_autoptr(JsonObject) object = json_object_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, write->values);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      PsTargetField *field = ps_target_fields_find (fields, key);
      const char *name = key;

      if (field == NULL && (builtin == NULL || !g_strv_contains (builtin, key)))
        {
          g_set_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_NOT_FOUND,
                       _("The collection has no field “%s”; read its fields again in the "
                         "wizard and fix the mapping"), (const char *) key);
          return NULL;
        }
      if (field != NULL)
        name = field->key;
      if (field != NULL && field->type == PS_FIELD_SINGLE_SELECT && *(const char *) value != '\0')
        {
          const PsTargetOption *option = ps_target_field_find_option (field, value);

          if (option == NULL)
            {
              g_autoptr(GString) known = g_string_new (NULL);

              for (guint i = 0; i < field->options->len; i++)
                {
                  const PsTargetOption *o = g_ptr_array_index (field->options, i);
                  g_string_append_printf (known, "%s“%s”", i > 0 ? ", " : "", o->label);
                }
              g_set_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_INVALID,
                           _("“%s” is not a choice of the field “%s” (choices: %s)"),
                           (const char *) value, field->name, known->str);
              return NULL;
            }
          json_object_set_member (object, name,
                                  ps_provisional_option_value (ps_target_get_dialect (self),
                                                               option));
          continue;
        }
      json_object_set_string_member (object, name, value);
    }
  return g_steal_pointer (&object);
}

gboolean
ps_target_end_write_round (PsTarget      *self,
                           const char    *account,
                           const char    *module,
                           const char    *collection,
                           GError       **fatal,
                           GPtrArray     *ambiguous,
                           GPtrArray     *next,
                           GPtrArray     *todo,
                           GCancellable  *cancellable,
                           GError       **error)
{
  if (*fatal != NULL)
    {
      g_propagate_error (error, g_steal_pointer (fatal));
      return FALSE;
    }
  if (ambiguous->len > 0)
    {
      g_autoptr(GPtrArray) again = ps_target_resolve_ambiguous (self, account, module, collection,
                                                                 ambiguous, cancellable, error);
      if (again == NULL)
        return FALSE;
      g_ptr_array_extend (next, again, NULL, NULL);
    }
  g_ptr_array_set_size (todo, 0);
  g_ptr_array_extend (todo, next, NULL, NULL);
  return TRUE;
}

static void
lookup_free (PsTargetLookup *lookup)
{
  ps_target_query_free (lookup->query);
  g_clear_pointer (&lookup->records, g_ptr_array_unref);
  g_clear_error (&lookup->error);
  g_free (lookup);
}

/* The record of @lookup whose @field is exactly @value (searches may match
 * loosely), stolen from it; NULL when none. */
static PsTargetRecord *
take_exact (PsTargetLookup *lookup,
            const char     *field,
            const char     *value)
{
  for (guint i = 0; lookup->records != NULL && i < lookup->records->len; i++)
    {
      PsTargetRecord *r = g_ptr_array_index (lookup->records, i);
      if (g_strcmp0 (ps_target_record_get (r, field), value) == 0)
        return g_ptr_array_steal_index (lookup->records, i);
    }
  return NULL;
}

GPtrArray *
ps_target_resolve_ambiguous (PsTarget      *self,
                             const char    *account,
                             const char    *module,
                             const char    *collection,
                             GPtrArray     *writes,
                             GCancellable  *cancellable,
                             GError       **error)
{
  g_autoptr(GPtrArray) again = g_ptr_array_new ();
  g_autoptr(GPtrArray) lookups = g_ptr_array_new_with_free_func ((GDestroyNotify) lookup_free);
  g_autoptr(GPtrArray) looked_up = g_ptr_array_new ();

  for (guint i = 0; i < writes->len; i++)
    {
      PsTargetWrite *w = g_ptr_array_index (writes, i);
      PsTargetLookup *lookup;

      if (w->anchor_field == NULL || id_is_empty (w->anchor_value))
        {
          if (w->error == NULL)
            w->error = g_error_new (PS_TARGET_ERROR, PS_TARGET_ERROR_AMBIGUOUS,
                                    _("The create may or may not have reached Asset Panda, and "
                                      "the record has no unique field to look it up by; it was "
                                      "not sent again"));
          continue;
        }
      lookup = g_new0 (PsTargetLookup, 1);
      lookup->query = ps_target_query_new ();
      lookup->query->include_archived = TRUE;
      ps_target_query_add_filter (lookup->query, w->anchor_field, w->anchor_value);
      g_ptr_array_add (lookups, lookup);
      g_ptr_array_add (looked_up, w);
    }
  if (lookups->len == 0)
    return g_steal_pointer (&again);

  /* Every lookup at once, instead of one search after another. */
  PS_TARGET_GET_CLASS (self)->lookup_records (self, account, module, collection, lookups,
                                              cancellable);
  for (guint i = 0; i < lookups->len; i++)
    {
      PsTargetLookup *lookup = g_ptr_array_index (lookups, i);
      PsTargetWrite *w = g_ptr_array_index (looked_up, i);
      g_autoptr(PsTargetRecord) found = NULL;
      g_autoptr(GError) local = NULL;

      if (lookup->error != NULL
          && g_error_matches (lookup->error, PS_TARGET_ERROR, PS_TARGET_ERROR_NOT_FOUND))
        {
          /* e.g. the other search spelling: the one-by-one search knows it */
          found = ps_target_find_record_by_anchor_sync (self, account, module, collection,
                                                        w->anchor_field, w->anchor_value,
                                                        cancellable, &local);
        }
      else if (lookup->error != NULL)
        local = g_steal_pointer (&lookup->error);
      else
        found = take_exact (lookup, w->anchor_field, w->anchor_value);

      if (local != NULL)
        {
          if (ps_target_error_is_fatal (local)
              || g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return NULL;
            }
          g_clear_error (&w->error);
          w->error = g_steal_pointer (&local);
          continue;
        }
      g_clear_error (&w->error);
      if (found != NULL)
        {
          g_debug ("ambiguous create of %s=%s: found as %s", w->anchor_field, w->anchor_value,
                   found->id);
          w->done = TRUE;
          w->existed = TRUE;
          g_free (w->new_id);
          w->new_id = g_strdup (found->id);
        }
      else
        g_ptr_array_add (again, w);
    }
  return g_steal_pointer (&again);
}

/* ---------------------------------------------------------------- public sync API */

#define RETURN_IF_BAD(self, val) \
  g_return_val_if_fail (PS_IS_TARGET (self), val); \
  g_return_val_if_fail (error == NULL || *error == NULL, val)

GPtrArray *
ps_target_list_accounts_sync (PsTarget      *self,
                              GCancellable  *cancellable,
                              GError       **error)
{
  RETURN_IF_BAD (self, NULL);
  return PS_TARGET_GET_CLASS (self)->list_accounts (self, cancellable, error);
}

GPtrArray *
ps_target_list_modules_sync (PsTarget      *self,
                             const char    *account,
                             GCancellable  *cancellable,
                             GError       **error)
{
  RETURN_IF_BAD (self, NULL);
  return PS_TARGET_GET_CLASS (self)->list_modules (self, account, cancellable, error);
}

GPtrArray *
ps_target_list_roles_sync (PsTarget      *self,
                           const char    *account,
                           const char    *module,
                           GCancellable  *cancellable,
                           GError       **error)
{
  RETURN_IF_BAD (self, NULL);
  if (!ps_target_check_scope (self, account, module, NULL, error))
    return NULL;
  return PS_TARGET_GET_CLASS (self)->list_roles (self, account, module, cancellable, error);
}

GPtrArray *
ps_target_list_collections_sync (PsTarget      *self,
                                 const char    *account,
                                 const char    *module,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  RETURN_IF_BAD (self, NULL);
  if (!ps_target_check_scope (self, account, module, NULL, error))
    return NULL;
  return PS_TARGET_GET_CLASS (self)->list_collections (self, account, module, cancellable, error);
}

GPtrArray *
ps_target_list_fields_sync (PsTarget      *self,
                            const char    *account,
                            const char    *module,
                            const char    *collection,
                            GCancellable  *cancellable,
                            GError       **error)
{
  PsTargetPrivate *priv = ps_target_get_instance_private (self);
  GPtrArray *fields;

  RETURN_IF_BAD (self, NULL);
  g_return_val_if_fail (collection != NULL, NULL);
  if (!ps_target_check_scope (self, account, module, collection, error))
    return NULL;
  fields = PS_TARGET_GET_CLASS (self)->list_fields (self, account, module, collection,
                                                     cancellable, error);
  if (fields != NULL)
    {
      /* Fresh definitions replace the cached ones used to write records. */
      g_autofree char *key = g_strdup_printf ("%s/%s/%s", account ? account : "",
                                              module ? module : "", collection);
      g_mutex_lock (&priv->cache_lock);
      g_hash_table_replace (priv->fields_cache, g_steal_pointer (&key), g_ptr_array_ref (fields));
      g_mutex_unlock (&priv->cache_lock);
    }
  return fields;
}

GPtrArray *
ps_target_list_users_sync (PsTarget      *self,
                           const char    *account,
                           const char    *module,
                           GCancellable  *cancellable,
                           GError       **error)
{
  RETURN_IF_BAD (self, NULL);
  if (!ps_target_check_scope (self, account, module, NULL, error))
    return NULL;
  return PS_TARGET_GET_CLASS (self)->list_users (self, account, module, cancellable, error);
}

GPtrArray *
ps_target_search_records_sync (PsTarget             *self,
                               const char           *account,
                               const char           *module,
                               const char           *collection,
                               const PsTargetQuery  *query,
                               GCancellable         *cancellable,
                               GError              **error)
{
  g_autoptr(PsTargetQuery) empty = NULL;

  RETURN_IF_BAD (self, NULL);
  g_return_val_if_fail (collection != NULL, NULL);
  if (!ps_target_check_scope (self, account, module, collection, error))
    return NULL;
  if (query == NULL)
    query = empty = ps_target_query_new ();
  if (!check_ids (query->ids, _("A search for records by id was given an empty id."), error))
    return NULL;
  return PS_TARGET_GET_CLASS (self)->search_records (self, account, module, collection, query,
                                                      cancellable, error);
}

PsTargetRecord *
ps_target_find_record_by_anchor_sync (PsTarget      *self,
                                      const char    *account,
                                      const char    *module,
                                      const char    *collection,
                                      const char    *field,
                                      const char    *value,
                                      GCancellable  *cancellable,
                                      GError       **error)
{
  g_autoptr(PsTargetQuery) query = ps_target_query_new ();
  g_autoptr(GPtrArray) records = NULL;

  RETURN_IF_BAD (self, NULL);
  g_return_val_if_fail (field != NULL, NULL);
  if (id_is_empty (value))
    {
      /* An empty filter would match every record without the field. */
      g_set_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_CONFIG,
                   _("PandaSync was about to look a record up by an empty “%s”; nothing was "
                     "sent. Check that the mapping’s unique identifier has a value."), field);
      return NULL;
    }

  ps_target_query_add_filter (query, field, value);
  query->include_archived = TRUE;
  records = ps_target_search_records_sync (self, account, module, collection, query,
                                           cancellable, error);
  if (records == NULL)
    return NULL;
  /* Searches may match loosely: keep the exact match only. */
  for (guint i = 0; i < records->len; i++)
    {
      PsTargetRecord *r = g_ptr_array_index (records, i);
      if (g_strcmp0 (ps_target_record_get (r, field), value) == 0)
        return g_ptr_array_steal_index (records, i);
    }
  return NULL;
}

gboolean
ps_target_write_records_sync (PsTarget      *self,
                              const char    *account,
                              const char    *module,
                              const char    *collection,
                              GPtrArray     *writes,
                              GCancellable  *cancellable,
                              GError       **error)
{
  g_autoptr(GPtrArray) valid = NULL;

  RETURN_IF_BAD (self, FALSE);
  g_return_val_if_fail (collection != NULL && writes != NULL, FALSE);
  if (!ps_target_check_scope (self, account, module, collection, error))
    return FALSE;
  /* An update of an empty id fails alone, unsent; the others go on. */
  valid = g_ptr_array_sized_new (writes->len);
  for (guint i = 0; i < writes->len; i++)
    {
      PsTargetWrite *w = g_ptr_array_index (writes, i);

      if (w->record_id != NULL && *w->record_id == '\0')
        {
          w->done = FALSE;
          g_clear_error (&w->error);
          w->error = empty_id_error (_("An update was given a record without an id."));
          continue;
        }
      g_ptr_array_add (valid, w);
    }
  if (valid->len == 0)
    return TRUE;
  return PS_TARGET_GET_CLASS (self)->write_records (self, account, module, collection, valid,
                                                     cancellable, error);
}

char *
ps_target_write_record_sync (PsTarget      *self,
                             const char    *account,
                             const char    *module,
                             const char    *collection,
                             const char    *record_id,
                             GHashTable    *values,
                             GCancellable  *cancellable,
                             GError       **error)
{
  g_autoptr(GPtrArray) writes = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_write_free);
  PsTargetWrite *w = record_id != NULL ? ps_target_write_new_update (record_id)
                                       : ps_target_write_new_create (NULL, NULL);
  GHashTableIter iter;
  gpointer key, value;

  RETURN_IF_BAD (self, NULL);
  g_hash_table_iter_init (&iter, values);
  while (g_hash_table_iter_next (&iter, &key, &value))
    ps_target_write_set (w, key, value);
  g_ptr_array_add (writes, w);
  if (!ps_target_write_records_sync (self, account, module, collection, writes,
                                     cancellable, error))
    return NULL;
  if (w->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&w->error));
      return NULL;
    }
  return g_strdup (w->new_id != NULL ? w->new_id : record_id);
}

gboolean
ps_target_set_option_sync (PsTarget      *self,
                           const char    *account,
                           const char    *module,
                           const char    *collection,
                           const char    *record_id,
                           const char    *field,
                           const char    *option,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_autoptr(GPtrArray) fields = NULL;
  g_autoptr(GHashTable) values = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *id = NULL;
  PsTargetField *f;

  RETURN_IF_BAD (self, FALSE);
  g_return_val_if_fail (record_id != NULL && field != NULL && option != NULL, FALSE);
  fields = ps_target_get_fields_cached (self, account, module, collection, cancellable, error);
  if (fields == NULL)
    return FALSE;
  f = ps_target_fields_find (fields, field);
  if (f == NULL || f->type != PS_FIELD_SINGLE_SELECT)
    {
      g_set_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_NOT_FOUND,
                   _("The collection has no single-select field “%s”"), field);
      return FALSE;
    }
  g_hash_table_insert (values, f->key, (gpointer) option);
  id = ps_target_write_record_sync (self, account, module, collection, record_id, values,
                                    cancellable, error);
  return id != NULL;
}

gboolean
ps_target_archive_records_sync (PsTarget      *self,
                                const char    *account,
                                const char    *module,
                                const char    *collection,
                                GPtrArray     *ids,
                                gboolean       archive,
                                GCancellable  *cancellable,
                                GError       **error)
{
  RETURN_IF_BAD (self, FALSE);
  g_return_val_if_fail (collection != NULL && ids != NULL, FALSE);
  if (ids->len == 0)
    return TRUE;
  if (!check_ids (ids, archive ? _("Archiving was given a record without an id.")
                                 : _("Unarchiving was given a record without an id."), error))
    return FALSE;
  return PS_TARGET_GET_CLASS (self)->archive_records (self, account, module, collection, ids,
                                                       archive, cancellable, error);
}

PsTargetUser *
ps_target_create_user_sync (PsTarget                *self,
                            const char              *account,
                            const char              *module,
                            const PsTargetUserSpec  *spec,
                            GCancellable            *cancellable,
                            GError                 **error)
{
  g_autoptr(GError) local = NULL;

  RETURN_IF_BAD (self, NULL);
  g_return_val_if_fail (spec != NULL && spec->email != NULL, NULL);
  if (!ps_target_check_scope (self, account, module, NULL, error))
    return NULL;
  /* An invitation whose outcome is unknown is looked up by email before it
   * is sent again, never sent twice blindly; as for records, a few rounds. */
  for (guint round = 0; round < MAX_CREATE_ROUNDS; round++)
    {
      g_autoptr(GPtrArray) users = NULL;
      PsTargetUser *user;

      g_clear_error (&local);
      user = PS_TARGET_GET_CLASS (self)->create_user (self, account, module, spec, cancellable,
                                                       &local);
      if (user != NULL && id_is_empty (user->id))
        {
          /* Created, but without an id to address it by: look it up. */
          g_debug ("the new user %s came back without an id; looking it up", spec->email);
          g_clear_pointer (&user, ps_target_user_free);
          local = g_error_new_literal (PS_TARGET_ERROR, PS_TARGET_ERROR_AMBIGUOUS,
                                       _("Asset Panda created the user but gave no id for it"));
        }
      if (user != NULL || !g_error_matches (local, PS_TARGET_ERROR, PS_TARGET_ERROR_AMBIGUOUS))
        {
          if (local != NULL)
            g_propagate_error (error, g_steal_pointer (&local));
          return user;
        }
      users = PS_TARGET_GET_CLASS (self)->list_users (self, account, module, cancellable, error);
      if (users == NULL)
        return NULL;
      for (guint i = 0; i < users->len; i++)
        {
          PsTargetUser *u = g_ptr_array_index (users, i);
          if (u->email != NULL && g_ascii_strcasecmp (u->email, spec->email) == 0
              && !id_is_empty (u->id))
            {
              g_debug ("ambiguous invitation of %s: found as %s", spec->email, u->id);
              return g_ptr_array_steal_index (users, i);
            }
        }
    }
  g_propagate_error (error, g_steal_pointer (&local));
  return NULL;
}

gboolean
ps_target_set_user_role_sync (PsTarget      *self,
                              const char    *account,
                              const char    *module,
                              const char    *user_id,
                              const char    *role_id,
                              GCancellable  *cancellable,
                              GError       **error)
{
  RETURN_IF_BAD (self, FALSE);
  g_return_val_if_fail (role_id != NULL, FALSE);
  if (id_is_empty (user_id))
    {
      g_propagate_error (error, empty_id_error (_("A change of role was given a user without an id.")));
      return FALSE;
    }
  if (!ps_target_check_scope (self, account, module, NULL, error))
    return FALSE;
  return PS_TARGET_GET_CLASS (self)->set_user_role (self, account, module, user_id, role_id,
                                                     cancellable, error);
}

gboolean
ps_target_set_user_active_sync (PsTarget      *self,
                                const char    *account,
                                const char    *module,
                                const char    *user_id,
                                gboolean       active,
                                GCancellable  *cancellable,
                                GError       **error)
{
  RETURN_IF_BAD (self, FALSE);
  if (id_is_empty (user_id))
    {
      g_propagate_error (error, empty_id_error (active ? _("A reactivation was given a user without an id.")
                                                       : _("A deactivation was given a user without an id.")));
      return FALSE;
    }
  if (!ps_target_check_scope (self, account, module, NULL, error))
    return FALSE;
  return PS_TARGET_GET_CLASS (self)->set_user_active (self, account, module, user_id, active,
                                                       cancellable, error);
}

/* ---------------------------------------------------------------- connection test */

/* A failed connection-test step, before any request went out. */
static GError *
probe_error (const char   *host,
             const GError *error)
{
  PsTargetExchange exchange = {
    .method = "GET", .path = "/", .host = host, .transport_error = error, .attempts = 1,
  };

  return ps_target_error_from_http (&exchange);
}

typedef struct {
  PsHttp       *http;
  gboolean      tls_failed;
  GTlsCertificateFlags flags;
} TlsProbe;

static gboolean
on_probe_accept_certificate (GTlsConnection       *conn,
                             GTlsCertificate      *certificate,
                             GTlsCertificateFlags  errors,
                             gpointer              user_data)
{
  TlsProbe *probe = user_data;
  GTlsDatabase *extra = ps_http_get_extra_ca (probe->http);
  g_autoptr(GSocketConnectable) identity = NULL;
  GTlsCertificateFlags flags;

  probe->flags = errors;
  if (extra == NULL)
    return FALSE;
  identity = g_network_address_new (ps_http_get_host (probe->http),
                                    ps_http_get_port (probe->http));
  flags = g_tls_database_verify_chain (extra, certificate, G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                       identity, NULL, G_TLS_DATABASE_VERIFY_NONE, NULL, NULL);
  probe->flags = flags;
  return flags == 0;
}

static void
on_probe_event (GSocketClient      *client,
                GSocketClientEvent  event,
                GSocketConnectable *connectable,
                GIOStream          *connection,
                gpointer            user_data)
{
  if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING)
    g_signal_connect (connection, "accept-certificate",
                      G_CALLBACK (on_probe_accept_certificate), user_data);
}

static void
step_done (PsConnectionStep *step,
           gint64            started,
           const GError     *error,
           const char       *ok_message)
{
  ps_connection_step_finish (step, started, error != NULL ? PS_STEP_FAILED : PS_STEP_OK,
                             error != NULL ? NULL : ok_message, error);
}

GPtrArray *
ps_target_test_connection_sync (PsTarget     *self,
                                GCancellable *cancellable)
{
  PsTargetPrivate *priv = ps_target_get_instance_private (self);
  GPtrArray *steps = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_connection_step_free);
  PsHttp *http = priv->http;
  const char *host = ps_http_get_host (http);
  int port = ps_http_get_port (http);
  gboolean https = g_str_equal (ps_http_get_scheme (http), "https");
  PsConnectionStep *resolve, *connect, *tls, *auth, *accounts, *perm = NULL;
  gboolean failed = FALSE;

  g_return_val_if_fail (PS_IS_TARGET (self), steps);

  {
    g_autofree char *t = g_strdup_printf (_("Find %s"), host);
    resolve = ps_connection_step_new ("resolve", t);
    g_ptr_array_add (steps, resolve);
  }
  {
    g_autofree char *t = g_strdup_printf (_("Connect to %s:%d"), host, port);
    connect = ps_connection_step_new ("connect", t);
    g_ptr_array_add (steps, connect);
  }
  tls = ps_connection_step_new ("tls", _("Check the certificate"));
  g_ptr_array_add (steps, tls);
  auth = ps_connection_step_new ("auth", priv->dialect == PS_DIALECT_CLASSIC
                                 ? _("Sign in as the API user") : _("Use the API key"));
  g_ptr_array_add (steps, auth);
  accounts = ps_connection_step_new ("accounts", _("List the accounts"));
  g_ptr_array_add (steps, accounts);
  if (priv->dialect == PS_DIALECT_CLASSIC)
    {
      perm = ps_connection_step_new ("permissions", _("Check the permission to manage users"));
      g_ptr_array_add (steps, perm);
    }

  /* resolve */
  {
    gint64 t0 = g_get_monotonic_time ();
    g_autoptr(GError) error = NULL;
    g_autoptr(GResolver) resolver = g_resolver_get_default ();
    GList *addresses = g_resolver_lookup_by_name (resolver, host, cancellable, &error);
    g_autoptr(GError) mapped = error != NULL
      ? probe_error (host, error) : NULL;

    g_resolver_free_addresses (addresses);
    step_done (resolve, t0, mapped, NULL);
    failed = mapped != NULL;
  }
  /* connect, then TLS */
  if (!failed)
    {
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocketClient) client = g_socket_client_new ();
      g_autoptr(GSocketConnection) conn = NULL;
      g_autoptr(GError) mapped = NULL;

      g_socket_client_set_timeout (client, 15);
      conn = g_socket_client_connect_to_host (client, host, port, cancellable, &error);
      if (error != NULL)
        mapped = probe_error (host, error);
      step_done (connect, t0, mapped, NULL);
      failed = mapped != NULL;
    }
  if (!failed && https)
    {
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocketClient) client = g_socket_client_new ();
      g_autoptr(GSocketConnection) conn = NULL;
      g_autoptr(GError) mapped = NULL;
      TlsProbe probe = { http, FALSE, 0 };

      g_socket_client_set_timeout (client, 15);
      g_socket_client_set_tls (client, TRUE);
      g_signal_connect (client, "event", G_CALLBACK (on_probe_event), &probe);
      conn = g_socket_client_connect_to_host (client, host, port, cancellable, &error);
      if (conn != NULL)
        g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
      if (error != NULL)
        mapped = probe_error (host, error);
      step_done (tls, t0, mapped, NULL);
      failed = mapped != NULL;
    }
  else if (!failed)
    ps_connection_step_finish (tls, g_get_monotonic_time (), PS_STEP_WARNING,
                               _("The URL uses plain http: nothing is encrypted"), NULL);

  /* auth + accounts: listing the accounts is the first authenticated call */
  if (!failed)
    {
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) list = NULL;
      PsTargetClass *klass = PS_TARGET_GET_CLASS (self);

      if (klass->login != NULL)
        {
          ps_http_lock (http);
          priv->logged_in = klass->login (self, cancellable, &error);
          ps_http_unlock (http);
          step_done (auth, t0, error, NULL);
          failed = error != NULL;
          t0 = g_get_monotonic_time ();
        }
      if (!failed)
        {
          list = ps_target_list_accounts_sync (self, cancellable, &error);
          if (klass->login == NULL)
            step_done (auth, t0, error != NULL && error->code == PS_TARGET_ERROR_AUTH ? error : NULL,
                       NULL);
          if (list != NULL)
            {
              g_autofree char *m = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u account",
                                                                 "%u accounts", list->len),
                                                    list->len);
              step_done (accounts, t0, NULL, m);
            }
          else
            step_done (accounts, t0, error, NULL);
          failed = error != NULL;
        }
    }
  if (!failed && perm != NULL)
    {
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) users = ps_target_list_users_sync (self, NULL, NULL, cancellable, &error);

      if (users == NULL)
        ps_connection_step_finish (perm, t0, PS_STEP_WARNING,
                                   _("The API user cannot list users, so user mappings will "
                                     "fail. Ask Asset Panda support for the granular "
                                     "permissions."), error);
      else
        step_done (perm, t0, NULL, NULL);
    }
  return steps;
}

static void
test_connection_thread (GTask        *task,
                        gpointer      source,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  g_task_return_pointer (task, ps_target_test_connection_sync (source, cancellable),
                         (GDestroyNotify) g_ptr_array_unref);
}

void
ps_target_test_connection_async (PsTarget            *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (PS_IS_TARGET (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ps_target_test_connection_async);
  g_task_run_in_thread (task, test_connection_thread);
}

GPtrArray *
ps_target_test_connection_finish (PsTarget     *self,
                                  GAsyncResult *result)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ps_target_test_connection_async,
                        NULL);
  return g_task_propagate_pointer (G_TASK (result), NULL);
}

typedef struct {
  PsTargetListKind kind;
  char *account;
  char *module;
  char *collection;
} ListData;

static void
list_data_free (ListData *data)
{
  g_free (data->account);
  g_free (data->module);
  g_free (data->collection);
  g_free (data);
}

static void
list_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  ListData *d = task_data;
  PsTarget *self = source;
  g_autoptr(GError) error = NULL;
  GPtrArray *result = NULL;

  switch (d->kind)
    {
    case PS_TARGET_LIST_ACCOUNTS:
      result = ps_target_list_accounts_sync (self, cancellable, &error);
      break;
    case PS_TARGET_LIST_MODULES:
      result = ps_target_list_modules_sync (self, d->account, cancellable, &error);
      break;
    case PS_TARGET_LIST_ROLES:
      result = ps_target_list_roles_sync (self, d->account, d->module, cancellable, &error);
      break;
    case PS_TARGET_LIST_COLLECTIONS:
      result = ps_target_list_collections_sync (self, d->account, d->module, cancellable, &error);
      break;
    case PS_TARGET_LIST_FIELDS:
      result = ps_target_list_fields_sync (self, d->account, d->module, d->collection,
                                           cancellable, &error);
      break;
    case PS_TARGET_LIST_USERS:
      result = ps_target_list_users_sync (self, d->account, d->module, cancellable, &error);
      break;
    default:
      g_assert_not_reached ();
    }
  if (result == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, result, (GDestroyNotify) g_ptr_array_unref);
}

void
ps_target_list_async (PsTarget            *self,
                      PsTargetListKind     kind,
                      const char          *account,
                      const char          *module,
                      const char          *collection,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ListData *data;

  g_return_if_fail (PS_IS_TARGET (self));
  g_return_if_fail (kind != PS_TARGET_LIST_FIELDS || collection != NULL);

  data = g_new0 (ListData, 1);
  data->kind = kind;
  data->account = g_strdup (account);
  data->module = g_strdup (module);
  data->collection = g_strdup (collection);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ps_target_list_async);
  g_task_set_task_data (task, data, (GDestroyNotify) list_data_free);
  g_task_run_in_thread (task, list_thread);
}

GPtrArray *
ps_target_list_finish (PsTarget      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ps_target_list_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
