/* ps-entra-source.c — Microsoft Entra ID (Microsoft Graph) as an identity source
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A full read is the group's transitiveMembers (contract §0.4). Changes
 * (§0.5, §7.3) are followed with users/delta for what happens to users
 * (attributes, accountEnabled, deletions) and groups/delta over every group
 * of the scope's nesting tree for what happens to memberships. The
 * watermark keeps both kinds of delta links and the tree itself, as a graph
 * of direct memberships (group → its users and nested groups): a delta run
 * applies members@delta to that graph, recomputes the scope, reads in full
 * only the users users/delta reports or who joined, and builds everyone
 * else from what the engine knows. A group that joins the tree is read in
 * full and followed from then on.
 */

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ps-entra-source.h"
#include "ps-secret-store.h"

/* What an Entra ID profile may call objectSid: the on-premises SID that
 * Entra Connect copies to the cloud user. */
#define SID_ATTRIBUTE "onPremisesSecurityIdentifier"

/* A watermark is JSON behind this prefix, with the ids packed: 100,000
 * members take about 2.1 MB. */
#define MARK_PREFIX "entra-delta-1:"

/* Past this many groups in a scope's nesting tree, following each one
 * costs more than reading the scope again: no watermark. */
#define MAX_TREE_GROUPS 1000

/* At most this many people who joined the scope are read one by one in a
 * delta run; more, and the whole scope is read instead. */
#define MAX_JOINER_READS 100

/* The mapping a watermark is taken for (read_watermark () gets its query;
 * check_attributes () and read_changes () note it too). */
typedef struct {
  char *key;                /* query_key () */
  char *group;
  char *anchor_attribute;
  GStrv select;
} Planned;

struct _PsEntraSource
{
  GObject        parent_instance;

  PsGraphClient *client;
  char          *location;
  char          *identity;  /* tenant and application: another one's watermark is not ours */
  Planned       *planned;
  GPtrArray     *notes;     /* what read_watermark () could not log, for the read after it */
  char          *resolved_spec; /* the group read_watermark () resolved, for the read after it */
  PsSourceGroup *resolved;
};

static void ps_entra_source_iface_init (PsSourceInterface *iface);

G_DEFINE_TYPE_WITH_CODE (PsEntraSource, ps_entra_source, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (PS_TYPE_SOURCE, ps_entra_source_iface_init))

typedef struct {
  const PsSourceQuery *query;
  GPtrArray           *people;
  guint                no_anchor;
  guint                no_state;
} Read;

/* A group of the scope's nesting tree, with the direct members that make
 * the scope: users and nested groups. */
typedef struct {
  GHashTable *users;        /* ids, from the Mark's pool */
  GHashTable *groups;       /* ids, from the Mark's pool */
} Node;

/* What a delta run starts from. */
typedef struct {
  char       *key;          /* query_key () of the mapping it was taken for */
  char       *root;         /* the mapping's group */
  char       *users_link;   /* users/delta */
  GPtrArray  *rounds;       /* PsGraphDeltaRound*: groups/delta over the tree */
  GHashTable *nodes;        /* group id → Node*: the tree */
  GHashTable *anchors;      /* user id → local anchor when the mapping names an anchor
                               attribute (the object id is the anchor otherwise) */
  GStringChunk *pool;       /* every member id, once: sets borrow them */
} Mark;

/* ---------------------------------------------------------------- helpers */

/* A directory attribute as Graph spells it: AD's names for the anchor are
 * accepted, the rest must be Graph's. */
static const char *
graph_name (const char *name)
{
  if (g_ascii_strcasecmp (name, "objectSid") == 0)
    return SID_ATTRIBUTE;
  return name;
}

static GStrv
select_names (const PsSourceQuery *q)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  g_strv_builder_add (b, "displayName");
  g_strv_builder_add (b, "userPrincipalName");
  g_strv_builder_add (b, SID_ATTRIBUTE);
  if (q->anchor_attribute != NULL)
    g_strv_builder_add (b, graph_name (q->anchor_attribute));
  for (guint i = 0; q->attributes != NULL && q->attributes[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (q->attributes[i], "|", -1);
      for (guint j = 0; parts[j] != NULL; j++)
        g_strv_builder_add (b, graph_name (g_strstrip (parts[j])));
    }
  return g_strv_builder_end (b);
}

/* The value of a property, or of "a|b|c" the first non-empty one. */
static char *
user_first_string (JsonObject *user,
                   const char *spec)
{
  g_auto(GStrv) parts = g_strsplit (spec, "|", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_autofree char *value = ps_graph_user_get_string (user, graph_name (g_strstrip (parts[i])));
      if (value != NULL && *value != '\0')
        return g_steal_pointer (&value);
    }
  return NULL;
}

static PsPerson *
person_from_user (Read       *r,
                  JsonObject *user)
{
  const PsSourceQuery *q = r->query;
  const char *id = ps_graph_object_get_id (user);
  g_autofree char *anchor = NULL;
  g_autofree char *remote = NULL;
  g_autofree char *display = NULL;
  g_autoptr(PsPerson) person = NULL;
  gboolean enabled = FALSE;

  if (q->anchor_attribute == NULL)
    {
      g_autofree char *sid = ps_graph_user_get_string (user, SID_ATTRIBUTE);

      anchor = g_strdup (id);
      remote = g_strdup (sid != NULL ? sid : id);
    }
  else
    {
      anchor = ps_graph_user_get_string (user, graph_name (q->anchor_attribute));
      remote = g_strdup (anchor);
    }
  if (anchor == NULL || *anchor == '\0')
    {
      r->no_anchor++;
      return NULL;
    }
  if (!ps_graph_user_get_enabled (user, &enabled))
    {
      /* accountEnabled was selected: without it the state is unknown */
      r->no_state++;
      return NULL;
    }

  person = ps_person_new (anchor, NULL);
  person->remote_anchor = g_steal_pointer (&remote);
  person->enabled = enabled;
  for (guint i = 0; q->attributes != NULL && q->attributes[i] != NULL; i++)
    {
      const char *spec = q->attributes[i];
      g_autofree char *value = NULL;

      if (ps_person_get_value (person, spec) != NULL)
        continue;
      value = user_first_string (user, spec);
      ps_person_set_value (person, spec, value != NULL ? value : "");
    }
  display = ps_graph_user_get_string (user, "displayName");
  if (display == NULL)
    display = ps_graph_user_get_string (user, "userPrincipalName");
  person->name = g_strdup (display != NULL ? display : id);
  return g_steal_pointer (&person);
}

static gboolean
on_members_page_cb (JsonArray  *value,
                    gpointer    user_data,
                    GError    **error)
{
  Read *r = user_data;

  for (guint i = 0; i < json_array_get_length (value); i++)
    {
      JsonNode *node = json_array_get_element (value, i);
      PsPerson *person;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;   /* the client counts these as unclassifiable */
      person = person_from_user (r, json_node_get_object (node));
      if (person != NULL)
        g_ptr_array_add (r->people, person);
    }
  return TRUE;
}

static PsSourceGroup *
group_from_graph (const PsGraphGroup *g)
{
  PsSourceGroup *group = ps_source_group_new (g->id, g->display_name);

  group->description = g_strdup (g->description);
  return group;
}

static gboolean
is_guid (const char *text)
{
  static const char pattern[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

  if (text == NULL || strlen (text) != sizeof pattern - 1)
    return FALSE;
  for (guint i = 0; pattern[i] != '\0'; i++)
    if (pattern[i] == '-' ? text[i] != '-' : !g_ascii_isxdigit (text[i]))
      return FALSE;
  return TRUE;
}

static PsSourceGroup *
resolve_group (PsEntraSource  *self,
               const char     *group,
               GCancellable   *cancellable,
               GError        **error)
{
  g_autoptr(GPtrArray) found = NULL;

  if (is_guid (group))
    {
      g_autoptr(PsGraphGroup) g = ps_graph_client_get_group_sync (self->client, group, cancellable, error);
      return g != NULL ? group_from_graph (g) : NULL;
    }
  found = ps_graph_client_find_groups_by_name_sync (self->client, group, cancellable, error);
  if (found == NULL)
    return NULL;
  if (found->len == 0)
    {
      g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_NOT_FOUND,
                   _("Microsoft Entra ID has no group named “%s”: check the name, or choose the group "
                     "again in the mapping"), group);
      return NULL;
    }
  if (found->len > 1)
    {
      g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_NOT_FOUND,
                   _("%u groups in Microsoft Entra ID are named “%s”: choose the group again in the "
                     "mapping, so that it is stored by its id"), found->len, group);
      return NULL;
    }
  return group_from_graph (g_ptr_array_index (found, 0));
}

/* The read failed on users without accountEnabled (§3.3). */
static void
set_no_state_error (const Read  *r,
                    GError     **error)
{
  g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_PARTIAL,
               ngettext ("%u user came back without accountEnabled, so whether they may work is "
                         "unknown: the read is incomplete (grant User.Read.All)",
                         "%u users came back without accountEnabled, so whether they may work is "
                         "unknown: the read is incomplete (grant User.Read.All)", r->no_state),
               r->no_state);
}

static void
log_no_anchor (const Read *r)
{
  const PsSourceQuery *query = r->query;

  if (r->no_anchor > 0)
    ps_source_query_log (query, PS_SOURCE_LOG_WARNING,
                         ngettext ("%u member has no %s and was left out",
                                   "%u members have no %s and were left out", r->no_anchor),
                         r->no_anchor, query->anchor_attribute != NULL ? graph_name (query->anchor_attribute) : "id");
}

/* ---------------------------------------------------------------- watermark */

/* TRUE when the local anchor is the object id, which the tree already
 * holds: no map from ids to anchors is kept. */
static gboolean
anchor_is_id (const char *attribute)
{
  return attribute == NULL || g_ascii_strcasecmp (attribute, "id") == 0;
}

static void
planned_free (Planned *p)
{
  if (p == NULL)
    return;
  g_free (p->key);
  g_free (p->group);
  g_free (p->anchor_attribute);
  g_strfreev (p->select);
  g_free (p);
}

/* What a watermark must have been taken for: this tenant and application,
 * this anchor and these attributes (users/delta reports changes to the
 * selected properties only). */
static char *
query_key (PsEntraSource       *self,
           const PsSourceQuery *query)
{
  g_auto(GStrv) select = select_names (query);
  g_autofree char *names = g_strjoinv (",", select);
  g_autofree char *text = g_strdup_printf ("%s\n%s\n%s", self->identity,
                                           query->anchor_attribute != NULL ? query->anchor_attribute : "",
                                           names);

  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
}

static void
remember_query (PsEntraSource       *self,
                const PsSourceQuery *query)
{
  Planned *p = g_new0 (Planned, 1);

  p->key = query_key (self, query);
  p->group = g_strdup (query->group);
  p->anchor_attribute = g_strdup (query->anchor_attribute);
  p->select = select_names (query);
  planned_free (self->planned);
  self->planned = p;
}

static void
note (PsEntraSource *self,
      const char    *format,
      ...) G_GNUC_PRINTF (2, 3);

static void
note (PsEntraSource *self,
      const char    *format,
      ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (self->notes, g_strdup_vprintf (format, args));
  va_end (args);
}

static void
flush_notes (PsEntraSource       *self,
             const PsSourceQuery *query)
{
  for (guint i = 0; i < self->notes->len; i++)
    ps_source_query_log (query, PS_SOURCE_LOG_INFO, "%s", (const char *) g_ptr_array_index (self->notes, i));
  g_ptr_array_set_size (self->notes, 0);
}

static Node *
node_new (void)
{
  Node *node = g_new0 (Node, 1);

  node->users = g_hash_table_new (g_str_hash, g_str_equal);
  node->groups = g_hash_table_new (g_str_hash, g_str_equal);
  return node;
}

static void
node_free (Node *node)
{
  if (node == NULL)
    return;
  g_hash_table_unref (node->users);
  g_hash_table_unref (node->groups);
  g_free (node);
}

static Mark *
mark_new (const char *key,
          const char *root)
{
  Mark *mark = g_new0 (Mark, 1);

  mark->key = g_strdup (key);
  mark->root = g_strdup (root);
  mark->rounds = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_graph_delta_round_free);
  mark->nodes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) node_free);
  mark->pool = g_string_chunk_new (64 * 1024);
  return mark;
}

static const char *
intern (Mark       *mark,
        const char *id)
{
  return g_string_chunk_insert_const (mark->pool, id);
}

static void
mark_free (Mark *mark)
{
  if (mark == NULL)
    return;
  g_free (mark->key);
  g_free (mark->root);
  g_free (mark->users_link);
  g_ptr_array_unref (mark->rounds);
  g_hash_table_unref (mark->nodes);
  g_clear_pointer (&mark->anchors, g_hash_table_unref);
  g_string_chunk_free (mark->pool);
  g_free (mark);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Mark, mark_free)

static GHashTable *
anchors_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/* Runs @data through @converter (zlib either way). */
static GBytes *
convert (GConverter    *converter,
         gconstpointer  data,
         gsize          size,
         GError       **error)
{
  g_autoptr(GOutputStream) memory = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) out = g_converter_output_stream_new (memory, converter);

  if (!g_output_stream_write_all (out, data, size, NULL, NULL, error)
      || !g_output_stream_close (out, NULL, error))
    return NULL;
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (memory));
}

static int
hex_value (char c)
{
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* An object id in Graph's form (lower-case GUID) as its 16 bytes; FALSE
 * for any other id, which is kept as it is. */
static gboolean
guid_to_bytes (const char *id,
               guint8      out[16])
{
  guint n = 0;

  if (strlen (id) != 36)
    return FALSE;
  for (guint i = 0; i < 36; i++)
    {
      int hi, lo;

      if (i == 8 || i == 13 || i == 18 || i == 23)
        {
          if (id[i] != '-')
            return FALSE;
          continue;
        }
      hi = hex_value (id[i]);
      lo = hex_value (id[i + 1]);
      if (hi < 0 || lo < 0)
        return FALSE;
      out[n++] = (guint8) (hi << 4 | lo);
      i++;
    }
  return n == 16;
}

static void
guid_from_bytes (const guint8 *bytes,
                 char          out[37])
{
  static const char digits[] = "0123456789abcdef";
  guint n = 0;

  for (guint i = 0; i < 16; i++)
    {
      if (i == 4 || i == 6 || i == 8 || i == 10)
        out[n++] = '-';
      out[n++] = digits[bytes[i] >> 4];
      out[n++] = digits[bytes[i] & 0xf];
    }
  out[n] = '\0';
}

/* Ids, compactly: the GUIDs packed 16 bytes each in base64 (100,000 take
 * 2.1 MB), any other id in a list. */
typedef struct {
  GByteArray *guids;
  GPtrArray  *other;        /* borrowed */
} Packed;

static void
packed_init (Packed *p)
{
  p->guids = g_byte_array_new ();
  p->other = g_ptr_array_new ();
}

static void
packed_clear (Packed *p)
{
  g_clear_pointer (&p->guids, g_byte_array_unref);
  g_clear_pointer (&p->other, g_ptr_array_unref);
}

/* Adds @id; TRUE when it was packed as a GUID. */
static gboolean
packed_add (Packed     *p,
            const char *id)
{
  guint8 bytes[16];

  if (guid_to_bytes (id, bytes))
    {
      g_byte_array_append (p->guids, bytes, sizeof bytes);
      return TRUE;
    }
  g_ptr_array_add (p->other, (gpointer) id);
  return FALSE;
}

static void
add_string_member (JsonBuilder *b,
                   const char  *name,
                   const char  *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

static void
add_packed (JsonBuilder *b,
            Packed      *p)
{
  g_autofree char *base64 = g_base64_encode (p->guids->data, p->guids->len);

  add_string_member (b, "guids", base64);
  json_builder_set_member_name (b, "other");
  json_builder_begin_array (b);
  for (guint i = 0; i < p->other->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (p->other, i));
  json_builder_end_array (b);
}

static void
add_id_set (JsonBuilder *b,
            const char  *name,
            GHashTable  *ids)
{
  Packed p;
  GHashTableIter iter;
  gpointer id;

  packed_init (&p);
  g_hash_table_iter_init (&iter, ids);
  while (g_hash_table_iter_next (&iter, &id, NULL))
    packed_add (&p, id);
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  add_packed (b, &p);
  json_builder_end_object (b);
  packed_clear (&p);
}

/* The anchors map: its ids packed, and the anchors in the same order
 * (GUIDs first), one a line (escaped), zlib-compressed in base64. */
static void
add_anchors (JsonBuilder *b,
             GHashTable  *anchors)
{
  g_autoptr(GString) first = g_string_new (NULL);
  g_autoptr(GString) rest = g_string_new (NULL);
  g_autoptr(GZlibCompressor) zlib = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_ZLIB, 6);
  g_autoptr(GBytes) packed = NULL;
  g_autofree char *base64 = NULL;
  GHashTableIter iter;
  gpointer id, anchor;
  Packed p;

  packed_init (&p);
  g_hash_table_iter_init (&iter, anchors);
  while (g_hash_table_iter_next (&iter, &id, &anchor))
    {
      g_autofree char *escaped = g_strescape (anchor, NULL);
      GString *lines = packed_add (&p, id) ? first : rest;

      g_string_append (lines, escaped);
      g_string_append_c (lines, '\n');
    }
  g_string_append_len (first, rest->str, rest->len);
  packed = convert (G_CONVERTER (zlib), first->str, first->len, NULL);
  base64 = g_base64_encode (g_bytes_get_data (packed, NULL), g_bytes_get_size (packed));
  json_builder_set_member_name (b, "anchors");
  json_builder_begin_object (b);
  add_packed (b, &p);
  add_string_member (b, "values", base64);
  json_builder_end_object (b);
  packed_clear (&p);
}

static char *
mark_to_token (const Mark *mark)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;
  GHashTableIter iter;
  gpointer key, value;

  json_builder_begin_object (b);
  add_string_member (b, "key", mark->key);
  add_string_member (b, "group", mark->root);
  add_string_member (b, "users", mark->users_link);
  json_builder_set_member_name (b, "rounds");
  json_builder_begin_array (b);
  for (guint i = 0; i < mark->rounds->len; i++)
    {
      PsGraphDeltaRound *round = g_ptr_array_index (mark->rounds, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "ids");
      json_builder_begin_array (b);
      for (guint j = 0; j < round->group_ids->len; j++)
        json_builder_add_string_value (b, g_ptr_array_index (round->group_ids, j));
      json_builder_end_array (b);
      add_string_member (b, "link", round->delta_link);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "groups");
  json_builder_begin_object (b);
  g_hash_table_iter_init (&iter, mark->nodes);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Node *node = value;

      json_builder_set_member_name (b, key);
      json_builder_begin_object (b);
      add_id_set (b, "users", node->users);
      add_id_set (b, "groups", node->groups);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  if (mark->anchors != NULL)
    add_anchors (b, mark->anchors);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  g_clear_object (&b);
  json_generator_set_root (generator, root);
  json = json_generator_to_data (generator, NULL);
  return g_strconcat (MARK_PREFIX, json, NULL);
}

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* Reads what add_packed () wrote into @ids (and, with @order, each id in
 * turn). */
static gboolean
read_packed (Mark       *mark,
             JsonObject *object,
             GHashTable *ids,
             GPtrArray  *order)
{
  const char *base64 = member_string (object, "guids");
  JsonNode *node = json_object_get_member (object, "other");
  g_autofree guchar *guids = NULL;
  JsonArray *other;
  gsize length = 0;

  if (base64 == NULL || node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return FALSE;
  guids = g_base64_decode (base64, &length);
  if (length % 16 != 0)
    return FALSE;
  for (gsize at = 0; at < length; at += 16)
    {
      char id[37];
      const char *copy;

      guid_from_bytes (guids + at, id);
      copy = intern (mark, id);
      g_hash_table_add (ids, (gpointer) copy);
      if (order != NULL)
        g_ptr_array_add (order, (gpointer) copy);
    }
  other = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (other); i++)
    {
      const char *id = json_array_get_string_element (other, i);
      const char *copy;

      if (id == NULL)
        return FALSE;
      copy = intern (mark, id);
      g_hash_table_add (ids, (gpointer) copy);
      if (order != NULL)
        g_ptr_array_add (order, (gpointer) copy);
    }
  return TRUE;
}

static gboolean
read_id_set (Mark       *mark,
             JsonObject *object,
             const char *name,
             GHashTable *into)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node)
         && read_packed (mark, json_node_get_object (node), into, NULL);
}

static GHashTable *
read_anchors (Mark       *mark,
              JsonObject *object)
{
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  g_autoptr(GZlibDecompressor) zlib = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_ZLIB);
  g_autoptr(GHashTable) anchors = anchors_new ();
  g_autoptr(GBytes) text = NULL;
  g_autofree guchar *packed = NULL;
  g_autofree char *lines = NULL;
  const char *base64 = member_string (object, "values");
  const char *line;
  gsize length = 0;
  guint n = 0;

  if (base64 == NULL || !read_packed (mark, object, ids, order))
    return NULL;
  packed = g_base64_decode (base64, &length);
  text = convert (G_CONVERTER (zlib), packed, length, NULL);
  if (text == NULL)
    return NULL;
  lines = g_strndup (g_bytes_get_data (text, NULL), g_bytes_get_size (text));
  line = lines;
  for (char *end = strchr (lines, '\n'); end != NULL; end = strchr (line, '\n'))
    {
      *end = '\0';
      if (n >= order->len)
        return NULL;
      g_hash_table_insert (anchors, g_strdup (g_ptr_array_index (order, n++)), g_strcompress (line));
      line = end + 1;
    }
  return n == order->len ? g_steal_pointer (&anchors) : NULL;
}

/* The watermark @token describes, or NULL when it is not one of ours. */
static Mark *
mark_from_token (const char *token)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(Mark) mark = NULL;
  JsonObject *root;
  JsonObject *groups;
  JsonNode *node;
  JsonArray *rounds;
  GList *names;

  if (token == NULL || !g_str_has_prefix (token, MARK_PREFIX)
      || !json_parser_load_from_data (parser, token + strlen (MARK_PREFIX), -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  root = json_node_get_object (json_parser_get_root (parser));
  if (member_string (root, "key") == NULL || member_string (root, "group") == NULL
      || member_string (root, "users") == NULL)
    return NULL;
  mark = mark_new (member_string (root, "key"), member_string (root, "group"));
  mark->users_link = g_strdup (member_string (root, "users"));

  node = json_object_get_member (root, "rounds");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  rounds = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (rounds); i++)
    {
      JsonNode *element = json_array_get_element (rounds, i);
      g_autoptr(PsGraphDeltaRound) round = ps_graph_delta_round_new ();
      JsonArray *list;

      if (!JSON_NODE_HOLDS_OBJECT (element)
          || member_string (json_node_get_object (element), "link") == NULL
          || json_object_get_array_member (json_node_get_object (element), "ids") == NULL)
        return NULL;
      list = json_object_get_array_member (json_node_get_object (element), "ids");
      for (guint j = 0; j < json_array_get_length (list); j++)
        {
          const char *id = json_array_get_string_element (list, j);
          if (id == NULL)
            return NULL;
          g_ptr_array_add (round->group_ids, g_strdup (id));
        }
      round->delta_link = g_strdup (member_string (json_node_get_object (element), "link"));
      g_ptr_array_add (mark->rounds, g_steal_pointer (&round));
    }

  node = json_object_get_member (root, "groups");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  groups = json_node_get_object (node);
  names = json_object_get_members (groups);
  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonNode *element = json_object_get_member (groups, l->data);
      Node *n = node_new ();

      g_hash_table_insert (mark->nodes, g_strdup (l->data), n);
      if (!JSON_NODE_HOLDS_OBJECT (element)
          || !read_id_set (mark, json_node_get_object (element), "users", n->users)
          || !read_id_set (mark, json_node_get_object (element), "groups", n->groups))
        {
          g_list_free (names);
          return NULL;
        }
    }
  g_list_free (names);
  if (!g_hash_table_contains (mark->nodes, mark->root))
    return NULL;

  node = json_object_get_member (root, "anchors");
  if (node != NULL)
    {
      if (!JSON_NODE_HOLDS_OBJECT (node))
        return NULL;
      mark->anchors = read_anchors (mark, json_node_get_object (node));
      if (mark->anchors == NULL)
        return NULL;
    }
  return g_steal_pointer (&mark);
}

/* The users in the scope: every user member of a group the root reaches.
 * The ids are the pool's. */
static GHashTable *
scope_users (const Mark *mark)
{
  GHashTable *users = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer node;

  /* every node is reachable: prune_tree () drops the others */
  g_hash_table_iter_init (&iter, mark->nodes);
  while (g_hash_table_iter_next (&iter, NULL, &node))
    {
      GHashTableIter u;
      gpointer user;

      g_hash_table_iter_init (&u, ((Node *) node)->users);
      while (g_hash_table_iter_next (&u, &user, NULL))
        g_hash_table_add (users, user);
    }
  return users;
}

static guint
tree_size (const Mark *mark)
{
  g_autoptr(GHashTable) users = scope_users (mark);

  return g_hash_table_size (users);
}

/* Drops the groups the root no longer reaches; returns the groups it
 * reaches that the tree lacks (they joined it). */
static GPtrArray *
prune_tree (Mark *mark)
{
  g_autoptr(GHashTable) reached = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) todo = g_ptr_array_new ();
  GPtrArray *missing = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;

  g_ptr_array_add (todo, mark->root);
  g_hash_table_add (reached, mark->root);
  while (todo->len > 0)
    {
      const char *id = g_ptr_array_steal_index_fast (todo, todo->len - 1);
      Node *node = g_hash_table_lookup (mark->nodes, id);

      if (node == NULL)
        {
          g_ptr_array_add (missing, g_strdup (id));
          continue;
        }
      g_hash_table_iter_init (&iter, node->groups);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (!g_hash_table_contains (reached, key))
          {
            g_hash_table_add (reached, key);
            g_ptr_array_add (todo, key);
          }
    }
  g_hash_table_iter_init (&iter, mark->nodes);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (reached, key))
      g_hash_table_iter_remove (&iter);
  return missing;
}

/* A group deleted in Entra ID leaves the tree, and every group that held it. */
static void
forget_group (Mark       *mark,
              const char *id)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_remove (mark->nodes, id);
  g_hash_table_iter_init (&iter, mark->nodes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_hash_table_remove (((Node *) value)->groups, id);
}

static char *
odata_literal (const char *text)
{
  g_autoptr(GString) out = g_string_new ("'");

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '\'')
        g_string_append_c (out, '\'');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '\'');
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* groups/delta "from now" for @ids (§4.1 `$deltatoken=latest`): a link that
 * reports only the membership changes made after it was taken. */
static char *
groups_from_now_link (PsEntraSource *self,
                      GPtrArray     *ids)
{
  g_autoptr(GString) filter = g_string_new (NULL);
  g_autofree char *escaped = NULL;

  for (guint i = 0; i < ids->len; i++)
    {
      g_autofree char *literal = odata_literal (g_ptr_array_index (ids, i));
      g_string_append_printf (filter, "%sid eq %s", i > 0 ? " or " : "", literal);
    }
  escaped = g_uri_escape_string (filter->str, NULL, TRUE);
  return g_strdup_printf ("%s/v1.0/groups/delta?$select=members&$filter=%s&$deltatoken=latest",
                          ps_graph_client_get_graph_base (self->client), escaped);
}

static gboolean
on_ignored_page_cb (JsonArray  *value,
                    gpointer    user_data,
                    GError    **error)
{
  return TRUE;
}

/* Starts following the membership of @ids (groups about to be read in
 * full) from now on: new rounds, appended to @mark. */
static gboolean
follow_groups (PsEntraSource  *self,
               Mark           *mark,
               GPtrArray      *ids,
               GCancellable   *cancellable,
               GError        **error)
{
  for (guint start = 0; start < ids->len; start += PS_GRAPH_MAX_FILTER_IDS)
    {
      g_autoptr(GPtrArray) chunk = g_ptr_array_new ();
      g_autoptr(GPtrArray) from_now = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_graph_delta_round_free);
      g_autoptr(GPtrArray) rounds = NULL;
      g_autoptr(GError) local = NULL;
      PsGraphDeltaRound *round = ps_graph_delta_round_new ();

      for (guint i = start; i < MIN (ids->len, start + PS_GRAPH_MAX_FILTER_IDS); i++)
        {
          g_ptr_array_add (chunk, g_ptr_array_index (ids, i));
          g_ptr_array_add (round->group_ids, g_strdup (g_ptr_array_index (ids, i)));
        }
      round->delta_link = groups_from_now_link (self, chunk);
      g_ptr_array_add (from_now, round);
      g_ptr_array_add (chunk, NULL);
      if (!ps_graph_client_groups_delta_sync (self->client, (const char *const *) chunk->pdata, from_now,
                                              on_ignored_page_cb, NULL, &rounds, cancellable, &local))
        {
          if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
          /* A Graph that does not start groups/delta from now: a first
           * round, whose listing of the current members is no news. */
          g_debug ("groups/delta from now failed (%s); starting a first round", local->message);
          if (!ps_graph_client_groups_delta_sync (self->client, (const char *const *) chunk->pdata, NULL,
                                                  on_ignored_page_cb, NULL, &rounds, cancellable, error))
            return FALSE;
        }
      for (guint i = 0; i < rounds->len; i++)
        g_ptr_array_add (mark->rounds, g_ptr_array_steal_index (rounds, i--));
    }
  return TRUE;
}

typedef struct {
  Mark       *mark;
  Node       *node;
  const char *anchor_attribute;  /* NULL: the object id */
  Read       *read;              /* with @fetched: users become people */
  GHashTable *fetched;           /* user id → PsPerson* */
} Members;

static gboolean
on_direct_members_cb (JsonArray  *value,
                      gpointer    user_data,
                      GError    **error)
{
  Members *m = user_data;

  for (guint i = 0; i < json_array_get_length (value); i++)
    {
      JsonNode *element = json_array_get_element (value, i);
      JsonObject *member;
      const char *id;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        continue;   /* the client counts it as unclassifiable */
      member = json_node_get_object (element);
      id = ps_graph_object_get_id (member);
      if (id == NULL)
        continue;
      switch (ps_graph_object_kind (member))
        {
        case PS_GRAPH_KIND_USER:
          g_hash_table_add (m->node->users, (gpointer) intern (m->mark, id));
          if (m->mark->anchors != NULL && m->anchor_attribute != NULL)
            {
              char *anchor = ps_graph_user_get_string (member, graph_name (m->anchor_attribute));

              if (anchor != NULL && *anchor != '\0')
                g_hash_table_insert (m->mark->anchors, g_strdup (id), anchor);
              else
                g_free (anchor);
            }
          if (m->fetched != NULL && !g_hash_table_contains (m->fetched, id))
            {
              PsPerson *person = person_from_user (m->read, member);

              if (person != NULL)
                g_hash_table_insert (m->fetched, g_strdup (id), person);
            }
          break;
        case PS_GRAPH_KIND_GROUP:
          g_hash_table_add (m->node->groups, (gpointer) intern (m->mark, id));
          break;
        case PS_GRAPH_KIND_UNKNOWN:
        case PS_GRAPH_KIND_DEVICE:
        case PS_GRAPH_KIND_CONTACT:
        case PS_GRAPH_KIND_SERVICE_PRINCIPAL:
        case PS_GRAPH_KIND_OTHER:
        default:
          break;   /* not part of the scope; the client counts them */
        }
    }
  return TRUE;
}

/* Adds the groups @ids and every group nested in them that the tree lacks,
 * a level at a time: each level's membership is followed from now on,
 * then its direct members are read. With @fetched, the users are read in
 * full (the query's attributes) and become people there; otherwise only
 * their ids (and the anchor attribute). */
static gboolean
grow_tree (PsEntraSource        *self,
           Mark                 *mark,
           GPtrArray            *ids,
           const PsSourceQuery  *query,
           Read                 *read,
           GHashTable           *fetched,
           GCancellable         *cancellable,
           GError              **error)
{
  g_autoptr(GPtrArray) level = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) full_select = fetched != NULL ? select_names (query) : NULL;
  const char *ids_select[] = { "id", NULL, NULL };

  if (!anchor_is_id (query->anchor_attribute))
    ids_select[1] = graph_name (query->anchor_attribute);
  for (guint i = 0; i < ids->len; i++)
    if (!g_hash_table_contains (mark->nodes, g_ptr_array_index (ids, i)))
      g_ptr_array_add (level, g_strdup (g_ptr_array_index (ids, i)));

  while (level->len > 0)
    {
      g_autoptr(GPtrArray) next = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GHashTable) queued = g_hash_table_new (g_str_hash, g_str_equal);

      if (g_hash_table_size (mark->nodes) + level->len > MAX_TREE_GROUPS)
        {
          g_set_error (error, PS_ENTRA_ERROR, PS_ENTRA_ERROR_NOT_SUPPORTED,
                       _("the group’s nesting tree has more than %u groups, too many to follow each "
                         "one"), MAX_TREE_GROUPS);
          return FALSE;
        }
      if (!follow_groups (self, mark, level, cancellable, error))
        return FALSE;
      for (guint i = 0; i < level->len; i++)
        {
          const char *id = g_ptr_array_index (level, i);
          Node *node = node_new ();
          Members m = { mark, node, query->anchor_attribute, read, fetched };
          GHashTableIter iter;
          gpointer nested;

          g_hash_table_insert (mark->nodes, g_strdup (id), node);
          if (!ps_graph_client_read_direct_members_sync (self->client, id,
                                                         full_select != NULL
                                                         ? (const char *const *) full_select : ids_select,
                                                         on_direct_members_cb, &m, NULL, cancellable, error))
            return FALSE;
          g_hash_table_iter_init (&iter, node->groups);
          while (g_hash_table_iter_next (&iter, &nested, NULL))
            if (!g_hash_table_contains (mark->nodes, nested) && !g_hash_table_contains (queued, nested))
              {
                g_hash_table_add (queued, nested);
                g_ptr_array_add (next, g_strdup (nested));
              }
        }
      g_clear_pointer (&level, g_ptr_array_unref);
      level = g_steal_pointer (&next);
    }
  return TRUE;
}

/* Applies one page of groups/delta to the tree. */
typedef struct {
  Mark     *mark;
  guint     changes;
  gboolean  root_removed;
  gboolean  unclassified;
} GroupChanges;

static gboolean
on_group_changes_cb (JsonArray  *value,
                     gpointer    user_data,
                     GError    **error)
{
  GroupChanges *c = user_data;

  for (guint i = 0; i < json_array_get_length (value); i++)
    {
      JsonNode *element = json_array_get_element (value, i);
      JsonObject *group;
      JsonArray *members;
      const char *id;
      Node *node;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        continue;
      group = json_node_get_object (element);
      id = ps_graph_object_get_id (group);
      node = id != NULL ? g_hash_table_lookup (c->mark->nodes, id) : NULL;
      if (node == NULL)
        continue;   /* left the tree (its round still covers it) */
      if (ps_graph_object_removed_reason (group) != NULL)
        {
          if (g_str_equal (id, c->mark->root))
            c->root_removed = TRUE;
          else
            forget_group (c->mark, id);
          c->changes++;
          continue;
        }
      members = ps_graph_group_members_delta (group);
      for (guint j = 0; members != NULL && j < json_array_get_length (members); j++)
        {
          JsonNode *m = json_array_get_element (members, j);
          JsonObject *member;
          const char *member_id;
          GHashTable *set;

          if (!JSON_NODE_HOLDS_OBJECT (m))
            {
              c->unclassified = TRUE;
              continue;
            }
          member = json_node_get_object (m);
          member_id = ps_graph_object_get_id (member);
          switch (ps_graph_object_kind (member))
            {
            case PS_GRAPH_KIND_USER:
              set = node->users;
              break;
            case PS_GRAPH_KIND_GROUP:
              set = node->groups;
              break;
            case PS_GRAPH_KIND_UNKNOWN:
              c->unclassified = TRUE;
              continue;
            case PS_GRAPH_KIND_DEVICE:
            case PS_GRAPH_KIND_CONTACT:
            case PS_GRAPH_KIND_SERVICE_PRINCIPAL:
            case PS_GRAPH_KIND_OTHER:
            default:
              continue;
            }
          if (member_id == NULL)
            {
              c->unclassified = TRUE;
              continue;
            }
          c->changes++;
          if (ps_graph_object_removed_reason (member) != NULL)
            g_hash_table_remove (set, member_id);
          else
            g_hash_table_add (set, (gpointer) intern (c->mark, member_id));
        }
    }
  return TRUE;
}

/* Rounds started a level or a joined group at a time can outnumber what the
 * tree needs (one per 50 groups), and each costs a call in every run.
 * Then the whole tree is followed from now with as few rounds as can be,
 * and the old rounds run a last time, into @changes, so that what changed
 * before the new rounds started is not missed (applying it twice is
 * harmless: members@delta says what each member is now). */
static gboolean
consolidate_rounds (PsEntraSource  *self,
                    Mark           *mark,
                    GroupChanges   *changes,
                    GCancellable   *cancellable,
                    GError        **error)
{
  guint needed = (g_hash_table_size (mark->nodes) + PS_GRAPH_MAX_FILTER_IDS - 1) / PS_GRAPH_MAX_FILTER_IDS;
  g_autoptr(GPtrArray) old = NULL;
  g_autoptr(GPtrArray) tree = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();
  g_autoptr(GPtrArray) done = NULL;
  GHashTableIter iter;
  gpointer key;

  if (mark->rounds->len <= needed)
    return TRUE;
  g_hash_table_iter_init (&iter, mark->nodes);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (tree, g_strdup (key));
  old = g_steal_pointer (&mark->rounds);
  mark->rounds = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_graph_delta_round_free);
  if (!follow_groups (self, mark, tree, cancellable, error))
    return FALSE;
  for (guint r = 0; r < old->len; r++)
    {
      PsGraphDeltaRound *round = g_ptr_array_index (old, r);
      for (guint i = 0; i < round->group_ids->len; i++)
        g_ptr_array_add (ids, g_ptr_array_index (round->group_ids, i));
    }
  g_ptr_array_add (ids, NULL);
  return ps_graph_client_groups_delta_sync (self->client, (const char *const *) ids->pdata, old,
                                            on_group_changes_cb, changes, &done, cancellable, error);
}

/* Collects one page of users/delta: the scope's changed users as people,
 * and every user deleted (soft or for good). */
typedef struct {
  Read       *read;
  GHashTable *scope;     /* user ids */
  GHashTable *changed;   /* user id → PsPerson*, or NULL when left out (no anchor, no state) */
  GHashTable *gone;      /* user ids */
} UserChanges;

static gboolean
on_user_changes_cb (JsonArray  *value,
                    gpointer    user_data,
                    GError    **error)
{
  UserChanges *c = user_data;

  for (guint i = 0; i < json_array_get_length (value); i++)
    {
      JsonNode *element = json_array_get_element (value, i);
      JsonObject *user;
      const char *id;
      PsPerson *person;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        continue;
      user = json_node_get_object (element);
      id = ps_graph_object_get_id (user);
      if (id == NULL)
        continue;
      /* "changed": soft-deleted, "deleted": gone for good; either way gone
       * (§4.2). A later full object (a restore) wins. */
      if (ps_graph_object_removed_reason (user) != NULL)
        {
          g_hash_table_remove (c->changed, id);
          g_hash_table_add (c->gone, g_strdup (id));
          continue;
        }
      g_hash_table_remove (c->gone, id);
      if (!g_hash_table_contains (c->scope, id))
        continue;
      /* NULL: left out, as a full read leaves them out */
      person = person_from_user (c->read, user);
      g_hash_table_insert (c->changed, g_strdup (id), person);
    }
  return TRUE;
}

/* A delta read that met something it cannot follow: NULL without an error
 * (the engine reads everything), the reason in the log. Other failures are
 * passed on. */
static GPtrArray *
full_read_needed (const PsSourceQuery  *query,
                  GError              **local,
                  GError              **error)
{
  if (g_error_matches (*local, PS_ENTRA_ERROR, PS_ENTRA_ERROR_RESYNC_REQUIRED))
    ps_source_query_log (query, PS_SOURCE_LOG_INFO, "%s", (*local)->message);
  else if (g_error_matches (*local, PS_ENTRA_ERROR, PS_ENTRA_ERROR_NOT_FOUND)
           || g_error_matches (*local, PS_ENTRA_ERROR, PS_ENTRA_ERROR_PARTIAL)
           || g_error_matches (*local, PS_ENTRA_ERROR, PS_ENTRA_ERROR_NOT_SUPPORTED))
    ps_source_query_log (query, PS_SOURCE_LOG_INFO,
                         _("The changes cannot be followed (%s); reading the whole group instead"), (*local)->message);
  else
    {
      g_propagate_error (error, g_steal_pointer (local));
      return NULL;
    }
  g_clear_error (local);
  return NULL;
}

/* ---------------------------------------------------------------- PsSource */

static const char *
entra_get_kind_name (PsSource *source)
{
  return _("Microsoft Entra ID");
}

static gboolean
entra_connect (PsSource      *source,
               GCancellable  *cancellable,
               GError       **error)
{
  return ps_graph_client_get_token_sync (PS_ENTRA_SOURCE (source)->client, cancellable, error);
}

static const char *
entra_get_location (PsSource *source)
{
  return PS_ENTRA_SOURCE (source)->location;
}

static GPtrArray *
entra_test_connection (PsSource      *source,
                       const char    *group,
                       GCancellable  *cancellable,
                       GError       **error)
{
  return ps_graph_client_test_sync (PS_ENTRA_SOURCE (source)->client, group, cancellable);
}

static GPtrArray *
entra_find_groups (PsSource      *source,
                   const char    *search,
                   guint          limit,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_autoptr(GPtrArray) found = ps_graph_client_find_groups_sync (PS_ENTRA_SOURCE (source)->client,
                                                                 search, limit, cancellable, error);
  g_autoptr(GPtrArray) groups = NULL;

  if (found == NULL)
    return NULL;
  groups = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_source_group_free);
  for (guint i = 0; i < found->len; i++)
    g_ptr_array_add (groups, group_from_graph (g_ptr_array_index (found, i)));
  return g_steal_pointer (&groups);
}

static PsSourceGroup *
entra_resolve_group (PsSource      *source,
                     const char    *group,
                     GCancellable  *cancellable,
                     GError       **error)
{
  return resolve_group (PS_ENTRA_SOURCE (source), group, cancellable, error);
}

static const char *const *
entra_suggested_attributes (PsSource *source)
{
  return ps_graph_user_attribute_names ();
}

static gboolean
check_name (const PsSourceQuery  *query,
            const char           *key,
            const char           *spec,
            GError              **error)
{
  g_auto(GStrv) parts = g_strsplit (spec, "|", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *name = graph_name (g_strstrip (parts[i]));

      if (!ps_graph_attribute_name_is_valid (name))
        {
          g_set_error (error, PS_SOURCE_ERROR, PS_SOURCE_ERROR_UNKNOWN_ATTRIBUTE,
                       _("%s names “%s”, which is not a Microsoft Graph user property: check the "
                         "spelling in the mapping “%s” (for example mail, userPrincipalName, "
                         "givenName, surname, department)"), key, parts[i], query->name);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
entra_check_attributes (PsSource             *source,
                        const PsSourceQuery  *query,
                        GCancellable         *cancellable,
                        GError              **error)
{
  g_clear_pointer (&PS_ENTRA_SOURCE (source)->planned, planned_free);
  g_clear_pointer (&PS_ENTRA_SOURCE (source)->resolved, ps_source_group_free);
  if (query->filter != NULL || query->search_base != NULL)
    {
      g_set_error (error, PS_SOURCE_ERROR, PS_SOURCE_ERROR_NOT_SUPPORTED,
                   _("The mapping “%s” has a %s, which only a directory read over LDAP has: "
                     "Microsoft Entra ID mappings are scoped by their group"),
                   query->name, query->filter != NULL ? "Filter" : "SearchBase");
      return FALSE;
    }
  if (query->anchor_attribute != NULL
      && !check_name (query, "UniqueIdentifier", query->anchor_attribute, error))
    return FALSE;
  for (guint i = 0; query->attributes != NULL && query->attributes[i] != NULL; i++)
    if (!check_name (query, query->attribute_keys != NULL ? query->attribute_keys[i] : query->attributes[i],
                     query->attributes[i], error))
      return FALSE;
  /* The engine reads this mapping's watermark next, without the query. */
  remember_query (PS_ENTRA_SOURCE (source), query);
  return TRUE;
}

static GPtrArray *
entra_read_people (PsSource             *source,
                   const PsSourceQuery  *query,
                   guint                *members,
                   GCancellable         *cancellable,
                   GError              **error)
{
  PsEntraSource *self = PS_ENTRA_SOURCE (source);
  g_autoptr(GPtrArray) people = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_person_free);
  g_autoptr(PsSourceGroup) group = NULL;
  g_autoptr(PsGraphMemberReport) report = NULL;
  g_autoptr(GError) local = NULL;
  g_auto(GStrv) select = select_names (query);
  Read r = { query, people, 0, 0 };
  gboolean complete;
  guint skipped;

  flush_notes (self, query);
  if (self->resolved != NULL && g_strcmp0 (self->resolved_spec, query->group) == 0)
    group = g_steal_pointer (&self->resolved);
  else
    group = resolve_group (self, query->group, cancellable, error);
  g_clear_pointer (&self->resolved, ps_source_group_free);
  g_clear_pointer (&self->resolved_spec, g_free);
  if (group == NULL)
    return NULL;
  complete = ps_graph_client_read_transitive_members_sync (self->client, group->id,
                                                           (const char *const *) select,
                                                           on_members_page_cb, &r, &report,
                                                           cancellable, &local);
  skipped = report->groups + report->devices + report->contacts + report->service_principals + report->other;
  if (skipped > 0)
    ps_source_query_log (query, PS_SOURCE_LOG_INFO,
                         _("Members that are not people were skipped: %u devices, %u contacts, %u service "
                           "principals, %u other objects (nested groups are read through)"),
                         report->devices, report->contacts, report->service_principals, report->other);
  if (!complete)
    {
      if (report->unclassifiable > 0)
        ps_source_query_log (query, PS_SOURCE_LOG_WARNING,
                             ngettext ("%u member could not be classified: the membership is incomplete",
                                       "%u members could not be classified: the membership is incomplete",
                                       report->unclassifiable), report->unclassifiable);
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if (r.no_state > 0)
    {
      set_no_state_error (&r, error);
      return NULL;
    }
  log_no_anchor (&r);
  if (members != NULL)
    *members = people->len;
  return g_steal_pointer (&people);
}

/* The watermark of a full read, taken before it (§7.2): users/delta and
 * groups/delta links from now on, then the nesting tree from the direct
 * members of each of its groups. NULL (full reads only) when there is no
 * mapping to take it for, or changes cannot be followed; the reason is
 * logged by the read that follows. */
static char *
entra_read_watermark (PsSource             *source,
                      const PsSourceQuery  *for_query,
                      GCancellable         *cancellable,
                      GError              **error)
{
  PsEntraSource *self = PS_ENTRA_SOURCE (source);
  Planned *p = self->planned;
  g_autoptr(PsSourceGroup) group = NULL;
  g_autoptr(Mark) mark = NULL;
  g_autoptr(GPtrArray) root = g_ptr_array_new ();
  g_autoptr(GPtrArray) missing = NULL;
  g_autoptr(GError) local = NULL;
  PsSourceQuery query = { 0 };
  GroupChanges changes = { 0 };

  if (for_query != NULL)
    {
      remember_query (self, for_query);
      p = self->planned;
    }
  if (p == NULL)
    return NULL;
  group = resolve_group (self, p->group, cancellable, &local);
  if (group == NULL)
    {
      /* the read after this one fails the same way, and says so */
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  mark = mark_new (p->key, group->id);
  if (!anchor_is_id (p->anchor_attribute))
    mark->anchors = anchors_new ();
  query.group = p->group;
  query.anchor_attribute = p->anchor_attribute;
  changes.mark = mark;
  g_ptr_array_add (root, mark->root);
  mark->users_link = ps_graph_client_users_delta_latest_sync (self->client, (const char *const *) p->select,
                                                              cancellable, &local);
  if (mark->users_link != NULL
      && grow_tree (self, mark, root, &query, NULL, NULL, cancellable, &local)
      && consolidate_rounds (self, mark, &changes, cancellable, &local)
      && !changes.root_removed && !changes.unclassified)
    {
      missing = prune_tree (mark);
      if (missing->len == 0 || grow_tree (self, mark, missing, &query, NULL, NULL, cancellable, &local))
        {
          /* the read that follows needs the group too */
          g_free (self->resolved_spec);
          self->resolved_spec = g_strdup (p->group);
          g_clear_pointer (&self->resolved, ps_source_group_free);
          self->resolved = g_steal_pointer (&group);
          note (self, ngettext ("Changes are followed from now on: %u group, %u users",
                                "Changes are followed from now on: %u groups, %u users",
                                g_hash_table_size (mark->nodes)),
                g_hash_table_size (mark->nodes), tree_size (mark));
          return mark_to_token (mark);
        }
    }
  if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if (local != NULL)
    note (self, _("Changes in Microsoft Entra ID cannot be followed, so the next run reads the "
                  "whole group again: %s"), local->message);
  else
    note (self, _("The group’s members changed while their changes were being set up to be "
                  "followed, so the next run reads the whole group again"));
  return NULL;
}

/* A delta read (§7.3): groups/delta applied to the nesting tree, groups
 * that joined it read in full, users/delta for the users in the scope
 * that changed or were deleted, the users who joined read one by one, and
 * everyone else built from what the engine knows. NULL without an error
 * when the whole group must be read instead. */
static GPtrArray *
entra_read_changes (PsSource             *source,
                    const PsSourceQuery  *query,
                    const char           *watermark,
                    GHashTable           *known,
                    char                **new_watermark,
                    GCancellable         *cancellable,
                    GError              **error)
{
  PsEntraSource *self = PS_ENTRA_SOURCE (source);
  g_autoptr(GPtrArray) people = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_person_free);
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) scope = NULL;
  g_autoptr(GHashTable) fetched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                         (GDestroyNotify) ps_person_free);
  g_autoptr(GHashTable) changed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                         (GDestroyNotify) ps_person_free);
  g_autoptr(GHashTable) gone = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) anchors = NULL;
  g_autoptr(GPtrArray) joiners = g_ptr_array_new ();
  g_autoptr(GPtrArray) missing = NULL;
  g_autoptr(GPtrArray) rounds = NULL;
  g_autoptr(GPtrArray) tree = g_ptr_array_new ();
  g_autoptr(Mark) mark = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *users_link = NULL;
  g_auto(GStrv) select = select_names (query);
  Read r = { query, people, 0, 0 };
  GroupChanges group_changes = { 0 };
  UserChanges user_changes = { 0 };
  GHashTableIter iter;
  gpointer key;
  guint n_changed = 0;
  guint n_joined = 0;
  gboolean grown;

  remember_query (self, query);
  flush_notes (self, query);
  mark = mark_from_token (watermark);
  if (mark == NULL)
    {
      ps_source_query_log (query, PS_SOURCE_LOG_INFO,
                           _("The stored change token is not one this version can use; reading the whole group"));
      return NULL;
    }
  if (!g_str_equal (mark->key, self->planned->key))
    {
      ps_source_query_log (query, PS_SOURCE_LOG_INFO,
                           _("The mapping’s attributes or anchor, or the application, changed since the last full "
                             "read; reading the whole group"));
      return NULL;
    }
  if (!is_guid (query->group) || g_ascii_strcasecmp (query->group, mark->root) != 0)
    {
      g_autoptr(PsSourceGroup) group = resolve_group (self, query->group, cancellable, error);

      if (group == NULL)
        return NULL;
      if (!g_str_equal (group->id, mark->root))
        {
          ps_source_query_log (query, PS_SOURCE_LOG_INFO,
                               _("The mapping’s group is not the one whose changes were followed; reading the "
                                 "whole group"));
          return NULL;
        }
    }
  before = scope_users (mark);

  /* 1. Membership: members@delta of every group of the tree. */
  g_hash_table_iter_init (&iter, mark->nodes);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (tree, key);
  g_ptr_array_add (tree, NULL);
  group_changes.mark = mark;
  if (!ps_graph_client_groups_delta_sync (self->client, (const char *const *) tree->pdata, mark->rounds,
                                          on_group_changes_cb, &group_changes, &rounds, cancellable,
                                          &local))
    return full_read_needed (query, &local, error);
  g_clear_pointer (&tree, g_ptr_array_unref);   /* its ids may be gone with their groups */
  g_ptr_array_unref (mark->rounds);
  mark->rounds = g_steal_pointer (&rounds);
  if (group_changes.root_removed)
    {
      ps_source_query_log (query, PS_SOURCE_LOG_INFO, _("The group was deleted in Microsoft Entra ID; reading the whole group"));
      return NULL;
    }
  if (group_changes.unclassified)
    {
      ps_source_query_log (query, PS_SOURCE_LOG_INFO,
                           _("A changed member of a group in the scope could not be classified; reading the whole "
                             "group"));
      return NULL;
    }

  /* 2. Groups that joined the tree are read in full and followed from
   * now on; groups that left it are forgotten. */
  missing = prune_tree (mark);
  if (missing->len > 0
      && (!grow_tree (self, mark, missing, query, &r, fetched, cancellable, &local)
          || !consolidate_rounds (self, mark, &group_changes, cancellable, &local)))
    return full_read_needed (query, &local, error);
  if (group_changes.root_removed || group_changes.unclassified)
    {
      ps_source_query_log (query, PS_SOURCE_LOG_INFO,
                           _("The group’s members changed while a nested group was being read; reading the whole "
                             "group"));
      return NULL;
    }
  grown = missing->len > 0;
  g_clear_pointer (&missing, g_ptr_array_unref);
  missing = prune_tree (mark);
  if (missing->len > 0
      && !grow_tree (self, mark, missing, query, &r, fetched, cancellable, &local))
    return full_read_needed (query, &local, error);
  /* the ids are the pool's: the scope before stays valid */
  if (group_changes.changes == 0 && !grown && missing->len == 0)
    scope = g_hash_table_ref (before);
  else
    scope = scope_users (mark);

  /* 3. Users: changed attributes, accountEnabled, deletions. */
  user_changes.read = &r;
  user_changes.scope = scope;
  user_changes.changed = changed;
  user_changes.gone = gone;
  if (!ps_graph_client_users_delta_sync (self->client, mark->users_link, NULL, on_user_changes_cb,
                                         &user_changes, &users_link, cancellable, &local))
    return full_read_needed (query, &local, error);
  g_free (mark->users_link);
  mark->users_link = g_steal_pointer (&users_link);

  /* 4. The people of the scope as of now. */
  if (mark->anchors != NULL)
    anchors = anchors_new ();
  g_hash_table_iter_init (&iter, scope);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      const char *id = key;
      g_autofree char *stolen = NULL;
      PsPerson *person;

      if (g_hash_table_contains (gone, id))
        continue;
      if (g_hash_table_steal_extended (changed, id, (gpointer *) &stolen, (gpointer *) &person)
          || g_hash_table_steal_extended (fetched, id, (gpointer *) &stolen, (gpointer *) &person))
        {
          if (person == NULL)
            continue;
          if (g_hash_table_contains (before, id))
            n_changed++;
          else
            n_joined++;
        }
      else if (g_hash_table_contains (before, id))
        {
          const char *anchor = mark->anchors != NULL ? g_hash_table_lookup (mark->anchors, id) : id;
          const PsSourceKnown *k;

          if (anchor == NULL)
            continue;   /* no anchor at the last read either: still left out */
          k = g_hash_table_lookup (known, anchor);
          person = ps_person_new (anchor, NULL);
          person->unchanged = TRUE;
          person->enabled = k != NULL && k->active;
        }
      else
        {
          g_ptr_array_add (joiners, (gpointer) id);
          continue;
        }
      if (anchors != NULL)
        g_hash_table_insert (anchors, g_strdup (id), g_strdup (person->anchor));
      g_ptr_array_add (people, person);
    }
  if (joiners->len > MAX_JOINER_READS)
    {
      ps_source_query_log (query, PS_SOURCE_LOG_INFO,
                           ngettext ("%u person joined the scope; reading the whole group instead of each one",
                                     "%u people joined the scope; reading the whole group instead of each one",
                                     joiners->len), joiners->len);
      return NULL;
    }
  for (guint i = 0; i < joiners->len; i++)
    {
      const char *id = g_ptr_array_index (joiners, i);
      g_autoptr(JsonObject) user = ps_graph_client_get_user_sync (self->client, id, (const char *const *) select,
                                                                  cancellable, &local);
      PsPerson *person;

      if (user == NULL && g_error_matches (local, PS_ENTRA_ERROR, PS_ENTRA_ERROR_NOT_FOUND))
        {
          g_clear_error (&local);   /* deleted since it joined */
          continue;
        }
      if (user == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      person = person_from_user (&r, user);
      if (person == NULL)
        continue;
      if (anchors != NULL)
        g_hash_table_insert (anchors, g_strdup (id), g_strdup (person->anchor));
      g_ptr_array_add (people, person);
      n_joined++;
    }
  if (r.no_state > 0)
    {
      set_no_state_error (&r, error);
      return NULL;
    }
  log_no_anchor (&r);

  /* Deleted users are members of nothing. */
  g_hash_table_iter_init (&iter, gone);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      GHashTableIter nodes;
      gpointer node;

      g_hash_table_iter_init (&nodes, mark->nodes);
      while (g_hash_table_iter_next (&nodes, NULL, &node))
        g_hash_table_remove (((Node *) node)->users, key);
    }
  if (anchors != NULL)
    {
      g_hash_table_unref (mark->anchors);
      mark->anchors = g_steal_pointer (&anchors);
    }

  ps_source_query_log (query, PS_SOURCE_LOG_INFO,
                       ngettext ("Read %u changed and %u newly added people from Microsoft Entra ID (changes to users, "
                                 "and to the members of %u group); %u people in the scope",
                                 "Read %u changed and %u newly added people from Microsoft Entra ID (changes to users, "
                                 "and to the members of %u groups); %u people in the scope",
                                 g_hash_table_size (mark->nodes)),
                       n_changed, n_joined, g_hash_table_size (mark->nodes), people->len);
  if (new_watermark != NULL)
    *new_watermark = mark_to_token (mark);
  return g_steal_pointer (&people);
}

/* An anchor is this tenant's when one of its users carries it: the people
 * just read, then the rest looked up one by one (object ids), or by the
 * on-premises SID's users (a filter per value). */
static GHashTable *
entra_own_anchors (PsSource             *source,
                   const PsSourceQuery  *query,
                   GPtrArray            *people,
                   GPtrArray            *anchors,
                   GCancellable         *cancellable,
                   GError              **error)
{
  PsEntraSource *self = PS_ENTRA_SOURCE (source);
  g_autoptr(GHashTable) own = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) present = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  static const char *const id_only[] = { "id", NULL };

  for (guint i = 0; i < people->len; i++)
    {
      PsPerson *p = g_ptr_array_index (people, i);
      if (p->remote_anchor != NULL)
        g_hash_table_add (present, g_utf8_strdown (p->remote_anchor, -1));
    }
  for (guint i = 0; i < anchors->len; i++)
    {
      const char *anchor = g_ptr_array_index (anchors, i);
      g_autofree char *lower = g_utf8_strdown (anchor, -1);

      if (g_hash_table_contains (present, lower))
        g_hash_table_add (own, g_steal_pointer (&lower));
      else if (query->anchor_attribute == NULL && is_guid (anchor))
        {
          /* an object id: is it (still) a user of this tenant? */
          g_autoptr(GError) local = NULL;
          g_autoptr(JsonObject) user = ps_graph_client_get_user_sync (self->client, anchor, id_only,
                                                                      cancellable, &local);
          if (user != NULL)
            g_hash_table_add (own, g_steal_pointer (&lower));
          else if (!g_error_matches (local, PS_ENTRA_ERROR, PS_ENTRA_ERROR_NOT_FOUND))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return NULL;
            }
        }
      /* Others (SIDs of users gone from the tenant, values of another
       * source) are never taken over: nothing here proves they are ours. */
    }
  return g_steal_pointer (&own);
}

/* ---------------------------------------------------------------- GObject */

static void
ps_entra_source_finalize (GObject *object)
{
  PsEntraSource *self = PS_ENTRA_SOURCE (object);

  g_clear_object (&self->client);
  g_free (self->location);
  g_free (self->identity);
  planned_free (self->planned);
  g_ptr_array_unref (self->notes);
  g_free (self->resolved_spec);
  ps_source_group_free (self->resolved);
  G_OBJECT_CLASS (ps_entra_source_parent_class)->finalize (object);
}

static void
ps_entra_source_iface_init (PsSourceInterface *iface)
{
  iface->get_kind_name = entra_get_kind_name;
  iface->connect = entra_connect;
  iface->get_location = entra_get_location;
  iface->test_connection = entra_test_connection;
  iface->find_groups = entra_find_groups;
  iface->resolve_group = entra_resolve_group;
  iface->suggested_attributes = entra_suggested_attributes;
  iface->check_attributes = entra_check_attributes;
  iface->read_people = entra_read_people;
  iface->read_watermark = entra_read_watermark;
  iface->read_changes = entra_read_changes;
  iface->own_anchors = entra_own_anchors;
}

static void
ps_entra_source_class_init (PsEntraSourceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ps_entra_source_finalize;
}

static void
ps_entra_source_init (PsEntraSource *self)
{
  self->notes = g_ptr_array_new_with_free_func (g_free);
}

/* ---------------------------------------------------------------- public API */

PsEntraSource *
ps_entra_source_new (PsGraphClient *client,
                     const char    *location)
{
  PsEntraSource *self = g_object_new (PS_TYPE_ENTRA_SOURCE, NULL);

  self->client = g_object_ref (client);
  self->location = g_strdup (location);
  self->identity = g_strdup (location);
  return self;
}

PsEntraSource *
ps_entra_source_new_for_profile (PsProfile     *profile,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  PsEntraIdConfig *e = ps_profile_get_entra_id (profile);
  g_autoptr(PsSecretString) secret = NULL;
  g_autoptr(PsGraphClient) client = NULL;
  g_autofree char *location = NULL;
  PsEntraConfig config = { 0 };
  PsEntraSource *self;

  if (e->certificate_file == NULL)
    {
      secret = ps_secret_lookup_sync (profile, PS_SECRET_ENTRA_CLIENT_SECRET, cancellable, error);
      if (secret == NULL)
        return NULL;
    }
  config.tenant = e->tenant;
  config.client_id = e->client_id;
  config.login_base = e->login_url;
  config.graph_base = e->graph_url;
  config.ca_file = e->ca_file;
  config.certificate_file = e->certificate_file;
  config.timeout = e->timeout;
  config.page_size = e->page_size;
  client = ps_graph_client_new (&config, secret, error);
  if (client == NULL)
    return NULL;
  location = g_strdup_printf ("%s (%s)", ps_graph_client_get_graph_base (client),
                              e->tenant != NULL ? e->tenant : "?");
  self = ps_entra_source_new (client, location);
  g_free (self->identity);
  self->identity = g_strdup_printf ("%s %s %s", ps_graph_client_get_graph_base (client),
                                    e->tenant != NULL ? e->tenant : "", e->client_id != NULL ? e->client_id : "");
  return self;
}

PsGraphClient *
ps_entra_source_get_client (PsEntraSource *self)
{
  g_return_val_if_fail (PS_IS_ENTRA_SOURCE (self), NULL);
  return self->client;
}
