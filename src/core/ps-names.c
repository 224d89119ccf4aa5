/* ps-names.c — remembered names of Asset Panda's ids
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <errno.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ps-names.h"

struct _PsNames
{
  GObject     parent_instance;

  GMutex      lock;
  GHashTable *table;   /* "kind\x1fscope\x1fid" → name */
};

G_DEFINE_FINAL_TYPE (PsNames, ps_names, G_TYPE_OBJECT)

/* The JSON members, in PsNameKind order. */
static const char *const kind_words[] = {
  "accounts", "modules", "roles", "collections", "fields", NULL
};

/* One writer of the profile's file at a time in this process. */
static GMutex file_lock;

/* ---------------------------------------------------------------- helpers */

static char *
make_key (PsNameKind  kind,
          const char *scope,
          const char *id)
{
  return g_strdup_printf ("%d\x1f%s\x1f%s", kind, scope != NULL ? scope : "", id);
}

static gboolean
split_key (const char  *key,
           PsNameKind  *kind,
           char       **scope,
           const char **id)
{
  const char *first = strchr (key, '\x1f');
  const char *second = first != NULL ? strchr (first + 1, '\x1f') : NULL;

  if (second == NULL)
    return FALSE;
  *kind = (PsNameKind) g_ascii_strtoull (key, NULL, 10);
  *scope = g_strndup (first + 1, second - first - 1);
  *id = second + 1;
  return *kind < PS_NAME_N_KINDS;
}

static void
read_object (PsNames    *self,
             PsNameKind  kind,
             const char *scope,
             JsonObject *object)
{
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *value = json_object_get_member (object, l->data);

      if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
        ps_names_set (self, kind, scope, l->data, json_node_get_string (value));
    }
}

static char *
path_for_profile (PsProfile *profile)
{
  g_autofree char *file = g_strconcat (ps_profile_get_id (profile), ".names.json", NULL);

  return g_build_filename (g_get_user_cache_dir (), "pandasync", file, NULL);
}

static PsNames *
load_file (const char *path)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  if (!json_parser_load_from_mapped_file (parser, path, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_debug ("Ignoring the remembered names in %s: %s", path, error->message);
      return ps_names_new ();
    }
  return ps_names_new_from_json (json_parser_get_root (parser));
}

/* ---------------------------------------------------------------- overrides */

static void
ps_names_finalize (GObject *object)
{
  PsNames *self = PS_NAMES (object);

  g_hash_table_unref (self->table);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (ps_names_parent_class)->finalize (object);
}

static void
ps_names_class_init (PsNamesClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ps_names_finalize;
}

static void
ps_names_init (PsNames *self)
{
  g_mutex_init (&self->lock);
  self->table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/* ---------------------------------------------------------------- public API */

PsNames *
ps_names_new (void)
{
  return g_object_new (PS_TYPE_NAMES, NULL);
}

/* Reads what ps_names_to_json() wrote; members it does not know are skipped. */
PsNames *
ps_names_new_from_json (JsonNode *node)
{
  PsNames *self = ps_names_new ();
  JsonObject *root;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return self;
  root = json_node_get_object (node);
  for (PsNameKind kind = 0; kind < PS_NAME_N_KINDS; kind++)
    {
      JsonNode *member = json_object_get_member (root, kind_words[kind]);
      JsonObject *object;

      if (member == NULL || !JSON_NODE_HOLDS_OBJECT (member))
        continue;
      object = json_node_get_object (member);
      if (kind != PS_NAME_FIELD)
        {
          read_object (self, kind, NULL, object);
          continue;
        }
      /* Fields: collection id → { field key → name }. */
      {
        g_autoptr(GList) scopes = json_object_get_members (object);

        for (GList *l = scopes; l != NULL; l = l->next)
          {
            JsonNode *inner = json_object_get_member (object, l->data);
            if (JSON_NODE_HOLDS_OBJECT (inner))
              read_object (self, kind, l->data, json_node_get_object (inner));
          }
      }
    }
  return self;
}

JsonNode *
ps_names_to_json (PsNames *self)
{
  g_autoptr(JsonObject) root = json_object_new ();
  JsonObject *objects[PS_NAME_N_KINDS];
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (PS_IS_NAMES (self), NULL);

  for (PsNameKind kind = 0; kind < PS_NAME_N_KINDS; kind++)
    {
      objects[kind] = json_object_new ();
      json_object_set_object_member (root, kind_words[kind], objects[kind]);
    }
  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      PsNameKind kind;
      g_autofree char *scope = NULL;
      const char *id;
      JsonObject *target;

      if (!split_key (key, &kind, &scope, &id))
        continue;
      target = objects[kind];
      if (kind == PS_NAME_FIELD)
        {
          if (!json_object_has_member (target, scope))
            json_object_set_object_member (target, scope, json_object_new ());
          target = json_object_get_object_member (target, scope);
        }
      json_object_set_string_member (target, id, value);
    }
  g_mutex_unlock (&self->lock);
  return json_node_init_object (json_node_alloc (), root);
}

void
ps_names_set (PsNames    *self,
              PsNameKind  kind,
              const char *scope,
              const char *id,
              const char *name)
{
  g_return_if_fail (PS_IS_NAMES (self));
  g_return_if_fail (kind < PS_NAME_N_KINDS);

  if (id == NULL || *id == '\0' || name == NULL || *name == '\0')
    return;
  g_mutex_lock (&self->lock);
  g_hash_table_replace (self->table, make_key (kind, scope, id), g_strdup (name));
  g_mutex_unlock (&self->lock);
}

/* The name of @id, or NULL when it is not known. */
char *
ps_names_lookup (PsNames    *self,
                 PsNameKind  kind,
                 const char *scope,
                 const char *id)
{
  g_autofree char *key = NULL;
  char *name;

  g_return_val_if_fail (self == NULL || PS_IS_NAMES (self), NULL);

  if (self == NULL || id == NULL)
    return NULL;
  key = make_key (kind, scope, id);
  g_mutex_lock (&self->lock);
  name = g_strdup (g_hash_table_lookup (self->table, key));
  g_mutex_unlock (&self->lock);
  return name;
}

char *
ps_names_display (PsNames    *self,
                  PsNameKind  kind,
                  const char *scope,
                  const char *id)
{
  char *name = ps_names_lookup (self, kind, scope, id);

  return name != NULL ? name : g_strdup (id);
}

/* Adds every name of @other to @self (the newer name wins). */
void
ps_names_merge (PsNames *self,
                PsNames *other)
{
  g_autoptr(GHashTable) copy = NULL;
  GHashTableIter iter;
  gpointer key, value;

  g_return_if_fail (PS_IS_NAMES (self));
  g_return_if_fail (PS_IS_NAMES (other));

  if (self == other)
    return;
  copy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_mutex_lock (&other->lock);
  g_hash_table_iter_init (&iter, other->table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (copy, g_strdup (key), g_strdup (value));
  g_mutex_unlock (&other->lock);

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, copy);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_hash_table_iter_steal (&iter);
      g_hash_table_replace (self->table, key, value);
    }
  g_mutex_unlock (&self->lock);
}

guint
ps_names_get_size (PsNames *self)
{
  guint size;

  g_return_val_if_fail (PS_IS_NAMES (self), 0);
  g_mutex_lock (&self->lock);
  size = g_hash_table_size (self->table);
  g_mutex_unlock (&self->lock);
  return size;
}

PsNames *
ps_names_load_for_profile (PsProfile *profile)
{
  g_autofree char *path = NULL;
  PsNames *names;

  g_return_val_if_fail (PS_IS_PROFILE (profile), NULL);

  path = path_for_profile (profile);
  g_mutex_lock (&file_lock);
  names = load_file (path);
  g_mutex_unlock (&file_lock);
  return names;
}

gboolean
ps_names_remember (PsProfile  *profile,
                   PsNames    *names,
                   GError    **error)
{
  g_autofree char *path = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *data = NULL;
  g_autoptr(PsNames) all = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  gboolean ok;

  g_return_val_if_fail (PS_IS_PROFILE (profile), FALSE);
  g_return_val_if_fail (PS_IS_NAMES (names), FALSE);

  if (ps_names_get_size (names) == 0)
    return TRUE;
  path = path_for_profile (profile);
  dir = g_path_get_dirname (path);
  g_mutex_lock (&file_lock);
  all = load_file (path);
  ps_names_merge (all, names);
  node = ps_names_to_json (all);
  json_generator_set_root (generator, node);
  data = json_generator_to_data (generator, NULL);
  ok = g_mkdir_with_parents (dir, 0700) == 0
       && g_file_set_contents_full (path, data, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
  if (!ok && error != NULL && *error == NULL)
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                 _("Cannot create the folder %s: %s"), dir, g_strerror (errno));
  g_mutex_unlock (&file_lock);
  return ok;
}
