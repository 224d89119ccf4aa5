/* graph-state.c — the emulated Entra tenants: property catalogue, seed
 * loading, indexes, changes with their sequence numbers, dump
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include "graph-private.h"

#define GRAPH_STATE_ERROR (graph_state_error_quark ())
GQuark graph_state_error_quark (void);
G_DEFINE_QUARK (graph-state-error-quark, graph_state_error)

/* ---------------------------------------------------------------- catalogue */

#define D  PROP_DEFAULT
#define F  PROP_FILTER
#define S1 PROP_SINGLE_ONLY
#define RO PROP_READ_ONLY

static const GraphProp user_props[] = {
  { "businessPhones", PROP_STRINGS, D },
  { "displayName", PROP_STRING, D | F },
  { "givenName", PROP_STRING, D | F },
  { "jobTitle", PROP_STRING, D | F },
  { "mail", PROP_STRING, D | F },
  { "mobilePhone", PROP_STRING, D | F },
  { "officeLocation", PROP_STRING, D | F },
  { "preferredLanguage", PROP_STRING, D | F },
  { "surname", PROP_STRING, D | F },
  { "userPrincipalName", PROP_STRING, D | F },
  { "accountEnabled", PROP_BOOL, F },
  { "ageGroup", PROP_STRING, 0 },
  { "city", PROP_STRING, F },
  { "companyName", PROP_STRING, F },
  { "country", PROP_STRING, F },
  { "createdDateTime", PROP_DATETIME, F | RO },
  { "creationType", PROP_STRING, F },
  { "deletedDateTime", PROP_DATETIME, RO },
  { "department", PROP_STRING, F },
  { "employeeHireDate", PROP_DATETIME, F },
  { "employeeId", PROP_STRING, F },
  { "employeeType", PROP_STRING, F },
  { "externalUserState", PROP_STRING, F },
  { "faxNumber", PROP_STRING, F },
  { "mailNickname", PROP_STRING, F },
  { "onPremisesDistinguishedName", PROP_STRING, 0 },
  { "onPremisesDomainName", PROP_STRING, 0 },
  { "onPremisesImmutableId", PROP_STRING, F },
  { "onPremisesLastSyncDateTime", PROP_DATETIME, F },
  { "onPremisesSamAccountName", PROP_STRING, F },
  { "onPremisesSecurityIdentifier", PROP_STRING, F },
  { "onPremisesSyncEnabled", PROP_BOOL, F },
  { "onPremisesUserPrincipalName", PROP_STRING, F },
  { "otherMails", PROP_STRINGS, 0 },
  { "postalCode", PROP_STRING, F },
  { "proxyAddresses", PROP_STRINGS, 0 },
  { "showInAddressList", PROP_BOOL, 0 },
  { "state", PROP_STRING, F },
  { "streetAddress", PROP_STRING, F },
  { "usageLocation", PROP_STRING, F },
  { "userType", PROP_STRING, F },
  /* Only on GET /users/{id}: 501 when selected on a collection. */
  { "aboutMe", PROP_STRING, S1 },
  { "birthday", PROP_DATETIME, S1 },
  { "hireDate", PROP_DATETIME, S1 },
  { "interests", PROP_STRINGS, S1 },
  { "mySite", PROP_STRING, S1 },
  { "pastProjects", PROP_STRINGS, S1 },
  { "preferredName", PROP_STRING, S1 },
  { "responsibilities", PROP_STRINGS, S1 },
  { "schools", PROP_STRINGS, S1 },
  { "skills", PROP_STRINGS, S1 },
};

static const GraphProp group_props[] = {
  { "classification", PROP_STRING, D },
  { "createdDateTime", PROP_DATETIME, D | F | RO },
  { "deletedDateTime", PROP_DATETIME, D | RO },
  { "description", PROP_STRING, D | F },
  { "displayName", PROP_STRING, D | F },
  { "expirationDateTime", PROP_DATETIME, D },
  { "groupTypes", PROP_STRINGS, D },
  { "isAssignableToRole", PROP_BOOL, D },
  { "mail", PROP_STRING, D | F },
  { "mailEnabled", PROP_BOOL, D | F },
  { "mailNickname", PROP_STRING, D | F },
  { "membershipRule", PROP_STRING, D },
  { "membershipRuleProcessingState", PROP_STRING, D },
  { "onPremisesDomainName", PROP_STRING, D },
  { "onPremisesLastSyncDateTime", PROP_DATETIME, D },
  { "onPremisesSamAccountName", PROP_STRING, D },
  { "onPremisesSecurityIdentifier", PROP_STRING, D | F },
  { "onPremisesSyncEnabled", PROP_BOOL, D | F },
  { "proxyAddresses", PROP_STRINGS, D },
  { "renewedDateTime", PROP_DATETIME, D },
  { "securityEnabled", PROP_BOOL, D | F },
  { "securityIdentifier", PROP_STRING, D | F | RO },
  { "visibility", PROP_STRING, D },
};

static const GraphProp device_props[] = {
  { "accountEnabled", PROP_BOOL, D | F },
  { "approximateLastSignInDateTime", PROP_DATETIME, D },
  { "createdDateTime", PROP_DATETIME, D | RO },
  { "deletedDateTime", PROP_DATETIME, D | RO },
  { "deviceId", PROP_STRING, D | F },
  { "displayName", PROP_STRING, D | F },
  { "isCompliant", PROP_BOOL, D },
  { "isManaged", PROP_BOOL, D },
  { "operatingSystem", PROP_STRING, D | F },
  { "operatingSystemVersion", PROP_STRING, D | F },
  { "trustType", PROP_STRING, D | F },
};

static const GraphProp contact_props[] = {
  { "companyName", PROP_STRING, D },
  { "deletedDateTime", PROP_DATETIME, D | RO },
  { "department", PROP_STRING, D },
  { "displayName", PROP_STRING, D | F },
  { "givenName", PROP_STRING, D | F },
  { "jobTitle", PROP_STRING, D },
  { "mail", PROP_STRING, D | F },
  { "mailNickname", PROP_STRING, D | F },
  { "onPremisesSyncEnabled", PROP_BOOL, D },
  { "proxyAddresses", PROP_STRINGS, D },
  { "surname", PROP_STRING, D | F },
};

static const GraphProp sp_props[] = {
  { "accountEnabled", PROP_BOOL, D | F },
  { "appDisplayName", PROP_STRING, D },
  { "appId", PROP_STRING, D | F },
  { "deletedDateTime", PROP_DATETIME, D | RO },
  { "displayName", PROP_STRING, D | F },
  { "servicePrincipalNames", PROP_STRINGS, D },
  { "servicePrincipalType", PROP_STRING, D | F },
};

#undef D
#undef F
#undef S1
#undef RO

static const struct {
  const GraphProp *props;
  guint            n_props;
  const char      *name;
  const char      *odata_type;
  const char      *seed_key;
} kinds[GRAPH_N_KINDS] = {
  { user_props, G_N_ELEMENTS (user_props), "user", "#microsoft.graph.user", "users" },
  { group_props, G_N_ELEMENTS (group_props), "group", "#microsoft.graph.group", "groups" },
  { device_props, G_N_ELEMENTS (device_props), "device", "#microsoft.graph.device", "devices" },
  { contact_props, G_N_ELEMENTS (contact_props), "orgContact", "#microsoft.graph.orgContact", "contacts" },
  { sp_props, G_N_ELEMENTS (sp_props), "servicePrincipal", "#microsoft.graph.servicePrincipal",
    "servicePrincipals" },
};

const GraphProp *
graph_kind_props (GraphKind kind, guint *n_props)
{
  *n_props = kinds[kind].n_props;
  return kinds[kind].props;
}

const GraphProp *
graph_kind_prop (GraphKind kind, const char *name)
{
  for (guint i = 0; i < kinds[kind].n_props; i++)
    if (g_str_equal (kinds[kind].props[i].name, name))
      return &kinds[kind].props[i];
  return NULL;
}

const char *
graph_kind_type_name (GraphKind kind)
{
  return kinds[kind].name;
}

const char *
graph_kind_odata_type (GraphKind kind)
{
  return kinds[kind].odata_type;
}

gboolean
graph_kind_from_name (const char *name, GraphKind *kind)
{
  const char *bare = g_str_has_prefix (name, "#") ? name + 1 : name;

  if (g_str_has_prefix (bare, "microsoft.graph."))
    bare += strlen ("microsoft.graph.");
  for (guint k = 0; k < GRAPH_N_KINDS; k++)
    if (g_str_equal (bare, kinds[k].name))
      {
        *kind = k;
        return TRUE;
      }
  return FALSE;
}

/* ---------------------------------------------------------------- helpers */

char *
graph_fold (const char *text)
{
  return g_utf8_casefold (text, -1);
}

gboolean
graph_is_guid (const char *text)
{
  static const int dashes[] = { 8, 13, 18, 23 };

  if (text == NULL || strlen (text) != 36)
    return FALSE;
  for (int i = 0; i < 36; i++)
    {
      gboolean dash = FALSE;

      for (guint d = 0; d < G_N_ELEMENTS (dashes); d++)
        dash = dash || dashes[d] == i;
      if (dash ? text[i] != '-' : !g_ascii_isxdigit (text[i]))
        return FALSE;
    }
  return TRUE;
}

char *
graph_state_new_guid (GraphState *state)
{
  guint32 a = g_rand_int (state->rand);
  guint32 b = g_rand_int (state->rand);
  guint32 c = g_rand_int (state->rand);
  guint32 d = g_rand_int (state->rand);

  return g_strdup_printf ("%08x-%04x-4%03x-%04x-%04x%08x", a, b >> 16, b & 0xfff,
                          0x8000 | (c >> 18), c & 0xffff, d);
}

static void
secret_free (GraphSecret *secret)
{
  if (secret->value != NULL)
    memset (secret->value, 0, strlen (secret->value));
  g_free (secret->value);
  g_free (secret->id);
  g_free (secret);
}

static void
cert_free (GraphCert *cert)
{
  g_free (cert->pem);
  g_clear_pointer (&cert->der, g_bytes_unref);
  g_free (cert->x5t);
  g_free (cert->x5t_s256);
  g_free (cert);
}

static void
app_free (GraphApp *app)
{
  g_free (app->client_id);
  g_free (app->name);
  g_ptr_array_unref (app->secrets);
  g_ptr_array_unref (app->certs);
  g_ptr_array_unref (app->permissions);
  g_free (app);
}

static void
object_free (GraphObject *object)
{
  g_free (object->id);
  g_clear_pointer (&object->props, json_object_unref);
  g_clear_pointer (&object->prop_seq, g_hash_table_unref);
  g_clear_pointer (&object->member_of, g_ptr_array_unref);
  if (object->members != NULL)
    g_queue_free (object->members);
  g_clear_pointer (&object->member_links, g_hash_table_unref);
  g_clear_pointer (&object->member_events, g_array_unref);
  g_free (object);
}

static void
tenant_free (GraphTenant *tenant)
{
  g_free (tenant->id);
  g_free (tenant->name);
  g_ptr_array_unref (tenant->domains);
  g_ptr_array_unref (tenant->apps);
  g_hash_table_unref (tenant->app_by_id);
  for (guint k = 0; k < GRAPH_N_KINDS; k++)
    g_ptr_array_unref (tenant->by_kind[k]);
  g_hash_table_unref (tenant->by_id);
  g_hash_table_unref (tenant->user_by_upn);
  /* The links of both queues belong to the objects' change_link and
   * deleted_link: free the lists, then the objects. */
  g_list_free (tenant->changes.head);
  g_list_free (tenant->deleted.head);
  g_ptr_array_unref (tenant->objects);
  g_free (tenant);
}

static GraphTenant *
tenant_new (GraphState *state)
{
  GraphTenant *tenant = g_new0 (GraphTenant, 1);

  tenant->state = state;
  tenant->domains = g_ptr_array_new_with_free_func (g_free);
  tenant->apps = g_ptr_array_new_with_free_func ((GDestroyNotify) app_free);
  tenant->app_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  tenant->objects = g_ptr_array_new_with_free_func ((GDestroyNotify) object_free);
  for (guint k = 0; k < GRAPH_N_KINDS; k++)
    tenant->by_kind[k] = g_ptr_array_new ();
  tenant->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  tenant->user_by_upn = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&tenant->changes);
  g_queue_init (&tenant->deleted);
  return tenant;
}

static gboolean
set_error (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
set_error (GError **error, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, GRAPH_STATE_ERROR, 0, message);
  return FALSE;
}

static const char *
member_string (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonArray *
member_array (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

/* ---------------------------------------------------------------- lookups */

GraphTenant *
graph_state_tenant (GraphState *state, const char *key)
{
  g_autofree char *folded = key != NULL ? graph_fold (key) : NULL;

  return folded != NULL ? g_hash_table_lookup (state->tenant_by_key, folded) : NULL;
}

GraphTenant *
graph_state_default_tenant (GraphState *state)
{
  return state->tenants->len > 0 ? g_ptr_array_index (state->tenants, 0) : NULL;
}

GraphObject *
graph_tenant_lookup (GraphTenant *tenant, const char *id)
{
  g_autofree char *folded = id != NULL ? g_ascii_strdown (id, -1) : NULL;

  return folded != NULL ? g_hash_table_lookup (tenant->by_id, folded) : NULL;
}

GraphObject *
graph_tenant_user_by_upn (GraphTenant *tenant, const char *upn)
{
  g_autofree char *folded = upn != NULL ? graph_fold (upn) : NULL;

  return folded != NULL ? g_hash_table_lookup (tenant->user_by_upn, folded) : NULL;
}

GraphApp *
graph_tenant_app (GraphTenant *tenant, const char *client_id)
{
  g_autofree char *folded = client_id != NULL ? g_ascii_strdown (client_id, -1) : NULL;

  return folded != NULL ? g_hash_table_lookup (tenant->app_by_id, folded) : NULL;
}

JsonNode *
graph_object_value (GraphObject *object, const GraphProp *prop)
{
  JsonNode *node = json_object_get_member (object->props, prop->name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return node;
}

const char *
graph_object_string (GraphObject *object, const char *name)
{
  return member_string (object->props, name);
}

gboolean
graph_object_has_changed (GraphObject *object, const char *name, guint64 since)
{
  gpointer seq;

  if (object->prop_seq == NULL || !g_hash_table_lookup_extended (object->prop_seq, name, NULL, &seq))
    return FALSE;
  return GPOINTER_TO_SIZE (seq) > since;
}

gboolean
graph_group_is_unified (GraphObject *group)
{
  JsonArray *types = member_array (group->props, "groupTypes");

  for (guint i = 0; types != NULL && i < json_array_get_length (types); i++)
    if (g_strcmp0 (json_array_get_string_element (types, i), "Unified") == 0)
      return TRUE;
  return FALSE;
}

GPtrArray *
graph_group_direct (GraphObject *group)
{
  GPtrArray *result = g_ptr_array_new ();

  for (GList *l = group->members != NULL ? group->members->head : NULL; l != NULL; l = l->next)
    {
      GraphObject *member = l->data;

      if (member->life == GRAPH_ACTIVE)
        g_ptr_array_add (result, member);
    }
  return result;
}

/* Breadth first, each object once, cycles cut; the group itself is not
 * its own member even when a cycle leads back to it. */
GPtrArray *
graph_group_transitive (GraphObject *group, gboolean include_groups)
{
  GPtrArray *result = g_ptr_array_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  GQueue queue = G_QUEUE_INIT;

  g_hash_table_add (seen, group);
  g_queue_push_tail (&queue, group);
  while (!g_queue_is_empty (&queue))
    {
      GraphObject *current = g_queue_pop_head (&queue);

      for (GList *l = current->members != NULL ? current->members->head : NULL; l != NULL; l = l->next)
        {
          GraphObject *member = l->data;

          if (member->life != GRAPH_ACTIVE || !g_hash_table_add (seen, member))
            continue;
          if (member->kind != GRAPH_GROUP || include_groups)
            g_ptr_array_add (result, member);
          if (member->kind == GRAPH_GROUP)
            g_queue_push_tail (&queue, member);
        }
    }
  return result;
}

/* ---------------------------------------------------------------- changes */

static guint64
tenant_bump (GraphTenant *tenant)
{
  return ++tenant->seq;
}

static void
object_touch (GraphObject *object, guint64 seq)
{
  GraphTenant *tenant = object->tenant;

  object->changed_seq = seq;
  g_queue_unlink (&tenant->changes, object->change_link);
  g_queue_push_tail_link (&tenant->changes, object->change_link);
}

static void
prop_touch (GraphObject *object, const char *name, guint64 seq)
{
  if (object->prop_seq == NULL)
    object->prop_seq = g_hash_table_new (g_str_hash, g_str_equal);
  /* Keys are the catalogue's static names. */
  g_hash_table_replace (object->prop_seq, (gpointer) graph_kind_prop (object->kind, name)->name,
                        GSIZE_TO_POINTER (seq));
}

static void
member_event (GraphObject *group, GraphObject *member, gboolean added, guint64 seq)
{
  GraphMemberEvent event = { seq, member, added };

  if (seq == 0)
    return;
  if (group->member_events == NULL)
    group->member_events = g_array_new (FALSE, FALSE, sizeof (GraphMemberEvent));
  g_array_append_val (group->member_events, event);
  group->members_seq = seq;
  object_touch (group, seq);
}

static gboolean
node_equal (JsonNode *a, JsonNode *b)
{
  if (a == NULL || JSON_NODE_HOLDS_NULL (a))
    return b == NULL || JSON_NODE_HOLDS_NULL (b);
  if (b == NULL || JSON_NODE_HOLDS_NULL (b))
    return FALSE;
  return json_node_equal (a, b);
}

/* Checks one property value against its catalogue entry. */
static gboolean
check_value (GraphKind kind, const char *name, JsonNode *value, gboolean admin, GError **error)
{
  const GraphProp *prop = graph_kind_prop (kind, name);
  GType type;

  if (prop == NULL)
    return set_error (error, "%s has no property %s", graph_kind_type_name (kind), name);
  if (admin && (prop->flags & PROP_READ_ONLY))
    return set_error (error, "%s.%s is read-only", graph_kind_type_name (kind), name);
  if (JSON_NODE_HOLDS_NULL (value))
    return TRUE;
  type = JSON_NODE_HOLDS_VALUE (value) ? json_node_get_value_type (value) : G_TYPE_INVALID;
  switch (prop->type)
    {
    case PROP_STRING:
      if (type == G_TYPE_STRING)
        return TRUE;
      break;
    case PROP_DATETIME:
      {
        gint64 when;

        if (type == G_TYPE_STRING && graph_parse_time (json_node_get_string (value), &when))
          return TRUE;
      }
      break;
    case PROP_BOOL:
      if (type == G_TYPE_BOOLEAN)
        return TRUE;
      break;
    case PROP_STRINGS:
      if (JSON_NODE_HOLDS_ARRAY (value))
        {
          JsonArray *array = json_node_get_array (value);

          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              JsonNode *element = json_array_get_element (array, i);

              if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
                return set_error (error, "%s.%s must be an array of strings", graph_kind_type_name (kind), name);
            }
          return TRUE;
        }
      break;
    default:
      break;
    }
  return set_error (error, "bad value for %s.%s", graph_kind_type_name (kind), name);
}

static void
index_upn (GraphObject *object, gboolean add)
{
  const char *upn = graph_object_string (object, "userPrincipalName");
  g_autofree char *folded = NULL;

  if (object->kind != GRAPH_USER || upn == NULL)
    return;
  folded = graph_fold (upn);
  if (add)
    g_hash_table_replace (object->tenant->user_by_upn, g_steal_pointer (&folded), object);
  else if (g_hash_table_lookup (object->tenant->user_by_upn, folded) == object)
    g_hash_table_remove (object->tenant->user_by_upn, folded);
}

static gboolean
upn_taken (GraphTenant *tenant, GraphObject *self, const char *upn)
{
  GraphObject *other = graph_tenant_user_by_upn (tenant, upn);

  return other != NULL && other != self;
}

/* The group's SID as Entra derives it from the object id. */
static char *
security_identifier (const char *id)
{
  guint32 parts[4] = { 0 };
  g_autofree char *hex = g_strdup (id);
  guint8 bytes[16];
  guint n = 0;

  g_strdelimit (hex, "-", ' ');
  for (const char *p = hex; *p != '\0' && n < 32; p++)
    if (g_ascii_isxdigit (*p))
      {
        if (n % 2 == 0)
          bytes[n / 2] = g_ascii_xdigit_value (*p) << 4;
        else
          bytes[n / 2] |= g_ascii_xdigit_value (*p);
        n++;
      }
  for (guint i = 0; i < 4; i++)
    parts[i] = (guint32) bytes[i * 4] | (guint32) bytes[i * 4 + 1] << 8 |
               (guint32) bytes[i * 4 + 2] << 16 | (guint32) bytes[i * 4 + 3] << 24;
  return g_strdup_printf ("S-1-12-1-%u-%u-%u-%u", parts[0], parts[1], parts[2], parts[3]);
}

static GraphObject *
object_new (GraphTenant *tenant, GraphKind kind, const char *id, guint64 seq)
{
  GraphObject *object = g_new0 (GraphObject, 1);

  object->tenant = tenant;
  object->kind = kind;
  object->life = GRAPH_ACTIVE;
  object->id = g_ascii_strdown (id, -1);
  object->props = json_object_new ();
  object->created_seq = seq;
  object->changed_seq = seq;
  object->change_link = g_list_alloc ();
  object->change_link->data = object;
  g_queue_push_tail_link (&tenant->changes, object->change_link);
  if (kind == GRAPH_GROUP)
    {
      object->members = g_queue_new ();
      object->member_links = g_hash_table_new (NULL, NULL);
    }
  g_ptr_array_add (tenant->objects, object);
  g_ptr_array_add (tenant->by_kind[kind], object);
  g_hash_table_insert (tenant->by_id, object->id, object);
  return object;
}

static void
set_defaults (GraphObject *object, gint64 now)
{
  g_autofree char *created = graph_format_time (now);

  if (!json_object_has_member (object->props, "createdDateTime") &&
      graph_kind_prop (object->kind, "createdDateTime") != NULL)
    json_object_set_string_member (object->props, "createdDateTime", created);
  switch (object->kind)
    {
    case GRAPH_USER:
      if (!json_object_has_member (object->props, "accountEnabled"))
        json_object_set_boolean_member (object->props, "accountEnabled", TRUE);
      if (!json_object_has_member (object->props, "userType"))
        json_object_set_string_member (object->props, "userType", "Member");
      break;
    case GRAPH_GROUP:
      if (!json_object_has_member (object->props, "securityEnabled"))
        json_object_set_boolean_member (object->props, "securityEnabled", !graph_group_is_unified (object));
      if (!json_object_has_member (object->props, "mailEnabled"))
        json_object_set_boolean_member (object->props, "mailEnabled", graph_group_is_unified (object));
      if (!json_object_has_member (object->props, "securityIdentifier"))
        {
          g_autofree char *sid = security_identifier (object->id);

          json_object_set_string_member (object->props, "securityIdentifier", sid);
        }
      break;
    case GRAPH_DEVICE:
    case GRAPH_SERVICE_PRINCIPAL:
      if (!json_object_has_member (object->props, "accountEnabled"))
        json_object_set_boolean_member (object->props, "accountEnabled", TRUE);
      break;
    case GRAPH_CONTACT:
    case GRAPH_N_KINDS:
    default:
      break;
    }
}

static void
add_member_of (GraphObject *member, GraphObject *group)
{
  if (member->member_of == NULL)
    member->member_of = g_ptr_array_new ();
  g_ptr_array_add (member->member_of, group);
}

static void
link_member (GraphObject *group, GraphObject *member)
{
  g_queue_push_tail (group->members, member);
  g_hash_table_insert (group->member_links, member, group->members->tail);
  add_member_of (member, group);
}

static void
unlink_member (GraphObject *group, GraphObject *member)
{
  GList *link = g_hash_table_lookup (group->member_links, member);

  if (link == NULL)
    return;
  g_queue_delete_link (group->members, link);
  g_hash_table_remove (group->member_links, member);
  if (member->member_of != NULL)
    g_ptr_array_remove_fast (member->member_of, group);
}

/* ---------------------------------------------------------------- public changes */

GraphObject *
graph_tenant_create (GraphTenant *tenant, GraphKind kind, JsonObject *props, gint64 now, GError **error)
{
  const char *id = member_string (props, "id");
  g_autofree char *new_id = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  GraphObject *object;
  guint64 seq;

  if (id != NULL && !graph_is_guid (id))
    {
      set_error (error, "id %s is not a GUID", id);
      return NULL;
    }
  if (id != NULL && graph_tenant_lookup (tenant, id) != NULL)
    {
      set_error (error, "an object with id %s exists", id);
      return NULL;
    }
  json_object_iter_init (&iter, props);
  while (json_object_iter_next (&iter, &name, &value))
    if (!g_str_equal (name, "id") && !g_str_equal (name, "members") && !g_str_equal (name, "manager") &&
        !g_str_equal (name, "memberOf") && !g_str_equal (name, "tenant") &&
        !g_str_equal (name, "@odata.type") && !check_value (kind, name, value, TRUE, error))
      return NULL;
  if (kind == GRAPH_USER)
    {
      const char *upn = member_string (props, "userPrincipalName");

      if (upn == NULL || strchr (upn, '@') == NULL)
        {
          set_error (error, "a user needs a userPrincipalName (name@domain)");
          return NULL;
        }
      if (upn_taken (tenant, NULL, upn))
        {
          set_error (error, "userPrincipalName %s is taken", upn);
          return NULL;
        }
    }
  if (id == NULL)
    id = new_id = graph_state_new_guid (tenant->state);

  seq = tenant_bump (tenant);
  object = object_new (tenant, kind, id, seq);
  json_object_iter_init (&iter, props);
  while (json_object_iter_next (&iter, &name, &value))
    if (graph_kind_prop (kind, name) != NULL && !JSON_NODE_HOLDS_NULL (value))
      json_object_set_member (object->props, name, json_node_copy (value));
  set_defaults (object, now);
  index_upn (object, TRUE);
  return object;
}

gboolean
graph_object_update (GraphObject *object, JsonObject *props, GError **error)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  const char *upn = member_string (props, "userPrincipalName");
  guint64 seq = 0;

  if (object->life == GRAPH_PURGED)
    return set_error (error, "object %s was purged", object->id);
  json_object_iter_init (&iter, props);
  while (json_object_iter_next (&iter, &name, &value))
    if (!g_str_equal (name, "id") && !g_str_equal (name, "manager") && !g_str_equal (name, "tenant") &&
        !check_value (object->kind, name, value, TRUE, error))
      return FALSE;
  if (object->kind == GRAPH_USER && json_object_has_member (props, "userPrincipalName"))
    {
      if (upn == NULL || strchr (upn, '@') == NULL)
        return set_error (error, "a user needs a userPrincipalName (name@domain)");
      if (upn_taken (object->tenant, object, upn))
        return set_error (error, "userPrincipalName %s is taken", upn);
    }
  if (json_object_has_member (props, "manager"))
    {
      JsonNode *manager = json_object_get_member (props, "manager");

      if (!JSON_NODE_HOLDS_NULL (manager) && member_string (props, "manager") == NULL)
        return set_error (error, "manager must be a user id or null");
      if (!graph_object_set_manager (object, member_string (props, "manager"), error))
        return FALSE;
    }

  index_upn (object, FALSE);
  json_object_iter_init (&iter, props);
  while (json_object_iter_next (&iter, &name, &value))
    {
      if (graph_kind_prop (object->kind, name) == NULL ||
          node_equal (json_object_get_member (object->props, name), value))
        continue;
      if (seq == 0)
        seq = tenant_bump (object->tenant);
      if (JSON_NODE_HOLDS_NULL (value))
        json_object_remove_member (object->props, name);
      else
        json_object_set_member (object->props, name, json_node_copy (value));
      prop_touch (object, name, seq);
    }
  if (seq != 0)
    object_touch (object, seq);
  index_upn (object, TRUE);
  return TRUE;
}

gboolean
graph_object_set_manager (GraphObject *user, const char *manager_id, GError **error)
{
  GraphObject *manager = manager_id != NULL ? graph_tenant_lookup (user->tenant, manager_id) : NULL;

  if (user->kind != GRAPH_USER)
    return set_error (error, "only users have a manager");
  if (manager_id != NULL && (manager == NULL || manager->kind != GRAPH_USER))
    return set_error (error, "manager %s is not a user of this tenant", manager_id);
  if (manager == user)
    return set_error (error, "a user cannot be their own manager");
  if (manager != user->manager)
    {
      user->manager = manager;
      object_touch (user, tenant_bump (user->tenant));
    }
  return TRUE;
}

/* A membership ends: every group that listed @object gets a removal
 * event (when @seq is not 0); with @unlink the links go too. */
static void
end_memberships (GraphObject *object, guint64 seq, gboolean unlink)
{
  g_autoptr(GPtrArray) groups = object->member_of != NULL ? g_ptr_array_copy (object->member_of, NULL, NULL) :
                                g_ptr_array_new ();

  for (guint i = 0; i < groups->len; i++)
    {
      GraphObject *group = g_ptr_array_index (groups, i);

      if (group->life == GRAPH_ACTIVE && object->life == GRAPH_ACTIVE)
        member_event (group, object, FALSE, seq);
      if (unlink)
        unlink_member (group, object);
    }
}

static void
purge (GraphObject *object, guint64 seq)
{
  GraphTenant *tenant = object->tenant;

  end_memberships (object, seq, TRUE);
  if (object->kind == GRAPH_GROUP)
    while (!g_queue_is_empty (object->members))
      unlink_member (object, g_queue_peek_head (object->members));
  for (guint i = 0; i < tenant->by_kind[GRAPH_USER]->len; i++)
    {
      GraphObject *user = g_ptr_array_index (tenant->by_kind[GRAPH_USER], i);

      if (user->manager == object)
        user->manager = NULL;
    }
  if (object->deleted_link != NULL)
    {
      g_queue_delete_link (&tenant->deleted, object->deleted_link);
      object->deleted_link = NULL;
    }
  index_upn (object, FALSE);
  g_hash_table_remove (tenant->by_id, object->id);
  object->life = GRAPH_PURGED;
  object->life_seq = seq;
  object_touch (object, seq);
}

gboolean
graph_object_delete (GraphObject *object, gboolean purge_now, gint64 now, GError **error)
{
  GraphTenant *tenant = object->tenant;
  g_autofree char *when = graph_format_time (now);
  guint64 seq;

  if (object->life == GRAPH_PURGED)
    return set_error (error, "object %s was purged", object->id);
  if (object->life == GRAPH_SOFT_DELETED && !purge_now)
    return set_error (error, "object %s is already deleted", object->id);

  seq = tenant_bump (tenant);
  /* Deleted security groups, devices, contacts and service principals
   * skip the recycle bin; users and Microsoft 365 groups go there. */
  if (purge_now || (object->kind != GRAPH_USER &&
                    !(object->kind == GRAPH_GROUP && graph_group_is_unified (object))))
    {
      purge (object, seq);
      return TRUE;
    }
  end_memberships (object, seq, FALSE);
  object->life = GRAPH_SOFT_DELETED;
  object->life_seq = seq;
  object->deleted_at = now;
  json_object_set_string_member (object->props, "deletedDateTime", when);
  g_queue_push_tail (&tenant->deleted, object);
  object->deleted_link = tenant->deleted.tail;
  object_touch (object, seq);
  return TRUE;
}

gboolean
graph_object_restore (GraphObject *object, GError **error)
{
  GraphTenant *tenant = object->tenant;
  guint64 seq;

  if (object->life != GRAPH_SOFT_DELETED)
    return set_error (error, "object %s is not in deletedItems", object->id);
  seq = tenant_bump (tenant);
  g_queue_delete_link (&tenant->deleted, object->deleted_link);
  object->deleted_link = NULL;
  object->life = GRAPH_ACTIVE;
  object->life_seq = seq;
  object->created_seq = seq;
  object->deleted_at = 0;
  json_object_remove_member (object->props, "deletedDateTime");
  for (guint i = 0; object->member_of != NULL && i < object->member_of->len; i++)
    {
      GraphObject *group = g_ptr_array_index (object->member_of, i);

      if (group->life == GRAPH_ACTIVE)
        member_event (group, object, TRUE, seq);
    }
  object_touch (object, seq);
  return TRUE;
}

gboolean
graph_group_add_member (GraphObject *group, GraphObject *member, GError **error)
{
  if (group->kind != GRAPH_GROUP || group->life != GRAPH_ACTIVE)
    return set_error (error, "%s is not an active group", group->id);
  if (member->life != GRAPH_ACTIVE)
    return set_error (error, "%s is deleted", member->id);
  if (member == group)
    return set_error (error, "a group cannot be its own member");
  if (g_hash_table_contains (group->member_links, member))
    return set_error (error, "%s is already a member of %s", member->id, group->id);
  link_member (group, member);
  member_event (group, member, TRUE, tenant_bump (group->tenant));
  return TRUE;
}

gboolean
graph_group_remove_member (GraphObject *group, GraphObject *member, GError **error)
{
  if (group->kind != GRAPH_GROUP || group->life != GRAPH_ACTIVE)
    return set_error (error, "%s is not an active group", group->id);
  if (!g_hash_table_contains (group->member_links, member))
    return set_error (error, "%s is not a member of %s", member->id, group->id);
  unlink_member (group, member);
  member_event (group, member, FALSE, tenant_bump (group->tenant));
  return TRUE;
}

guint
graph_tenant_purge_expired (GraphTenant *tenant, gint64 before)
{
  guint n = 0;

  while (!g_queue_is_empty (&tenant->deleted))
    {
      GraphObject *object = g_queue_peek_head (&tenant->deleted);

      if (object->deleted_at >= before)
        break;
      purge (object, tenant_bump (tenant));
      n++;
    }
  return n;
}

/* ---------------------------------------------------------------- apps */

static GBytes *
pem_to_der (const char *pem)
{
  const char *begin = pem != NULL ? strstr (pem, "-----BEGIN CERTIFICATE-----") : NULL;
  const char *end = begin != NULL ? strstr (begin, "-----END CERTIFICATE-----") : NULL;
  g_autofree char *body = NULL;
  guchar *der;
  gsize length = 0;

  if (begin == NULL || end == NULL)
    return NULL;
  begin += strlen ("-----BEGIN CERTIFICATE-----");
  body = g_strndup (begin, end - begin);
  der = g_base64_decode (g_strstrip (body), &length);
  if (length == 0)
    {
      g_free (der);
      return NULL;
    }
  return g_bytes_new_take (der, length);
}

static char *
thumbprint (GChecksumType type, GBytes *der)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (type);
  guint8 digest[64];
  gsize length = sizeof digest;

  g_checksum_update (checksum, g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  g_checksum_get_digest (checksum, digest, &length);
  return graph_base64url (digest, length);
}

gboolean
graph_app_add_cert (GraphApp *app, const char *pem, GError **error)
{
  g_autoptr(GBytes) der = pem_to_der (pem);
  GraphCert *cert;

  if (der == NULL)
    return set_error (error, "app %s: a certificate is not PEM (BEGIN CERTIFICATE)", app->client_id);
  cert = g_new0 (GraphCert, 1);
  cert->pem = g_strdup (pem);
  cert->x5t = thumbprint (G_CHECKSUM_SHA1, der);
  cert->x5t_s256 = thumbprint (G_CHECKSUM_SHA256, der);
  cert->der = g_steal_pointer (&der);
  g_ptr_array_add (app->certs, cert);
  return TRUE;
}

static gboolean
load_secret (GraphApp *app, JsonNode *node, GError **error)
{
  GraphSecret *secret;
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  const char *value = object != NULL ? member_string (object, "value") :
                      JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING ?
                      json_node_get_string (node) : NULL;
  const char *expires = member_string (object, "expires");

  if (value == NULL)
    return set_error (error, "app %s: a secret needs a value", app->client_id);
  secret = g_new0 (GraphSecret, 1);
  secret->value = g_strdup (value);
  secret->id = g_strdup (member_string (object, "id"));
  if (secret->id == NULL)
    secret->id = graph_state_new_guid (app->tenant->state);
  if (expires != NULL && !graph_parse_time (expires, &secret->expires))
    {
      secret_free (secret);
      return set_error (error, "app %s: bad expires %s", app->client_id, expires);
    }
  g_ptr_array_add (app->secrets, secret);
  return TRUE;
}

static gboolean
load_app (GraphTenant *tenant, JsonObject *seed, GError **error)
{
  const char *client_id = member_string (seed, "client_id");
  JsonArray *secrets = member_array (seed, "secrets");
  JsonArray *certs = member_array (seed, "certificates");
  JsonArray *permissions = member_array (seed, "permissions");
  GraphApp *app;

  if (!graph_is_guid (client_id))
    return set_error (error, "tenant %s: an app needs a client_id (GUID)", tenant->id);
  if (graph_tenant_app (tenant, client_id) != NULL)
    return set_error (error, "tenant %s: app %s twice", tenant->id, client_id);

  app = g_new0 (GraphApp, 1);
  app->tenant = tenant;
  app->client_id = g_ascii_strdown (client_id, -1);
  app->name = g_strdup (member_string (seed, "displayName"));
  app->secrets = g_ptr_array_new_with_free_func ((GDestroyNotify) secret_free);
  app->certs = g_ptr_array_new_with_free_func ((GDestroyNotify) cert_free);
  app->permissions = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (tenant->apps, app);
  g_hash_table_insert (tenant->app_by_id, app->client_id, app);

  if (member_string (seed, "secret") != NULL &&
      !load_secret (app, json_object_get_member (seed, "secret"), error))
    return FALSE;
  for (guint i = 0; secrets != NULL && i < json_array_get_length (secrets); i++)
    if (!load_secret (app, json_array_get_element (secrets, i), error))
      return FALSE;
  for (guint i = 0; certs != NULL && i < json_array_get_length (certs); i++)
    {
      JsonNode *node = json_array_get_element (certs, i);
      JsonObject *object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *pem = object != NULL ? member_string (object, "pem") :
                        json_node_get_value_type (node) == G_TYPE_STRING ? json_node_get_string (node) : NULL;
      const char *file = member_string (object, "file");
      g_autofree char *contents = NULL;

      if (pem == NULL && file != NULL)
        {
          g_autofree char *path = g_path_is_absolute (file) ? g_strdup (file) :
                                  g_build_filename (tenant->state->seed_dir, file, NULL);

          if (!g_file_get_contents (path, &contents, NULL, error))
            return FALSE;
          pem = contents;
        }
      if (!graph_app_add_cert (app, pem, error))
        return FALSE;
    }
  for (guint i = 0; permissions != NULL && i < json_array_get_length (permissions); i++)
    {
      const char *permission = json_array_get_string_element (permissions, i);

      if (permission == NULL)
        return set_error (error, "app %s: permissions are strings", app->client_id);
      g_ptr_array_add (app->permissions, g_strdup (permission));
    }
  return TRUE;
}

JsonNode *
graph_app_dump (GraphApp *app)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "client_id");
  json_builder_add_string_value (builder, app->client_id);
  if (app->name != NULL)
    {
      json_builder_set_member_name (builder, "displayName");
      json_builder_add_string_value (builder, app->name);
    }
  json_builder_set_member_name (builder, "secrets");
  json_builder_begin_array (builder);
  for (guint i = 0; i < app->secrets->len; i++)
    {
      GraphSecret *secret = g_ptr_array_index (app->secrets, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, secret->id);
      json_builder_set_member_name (builder, "value");
      json_builder_add_string_value (builder, secret->value);
      if (secret->expires != 0)
        {
          g_autofree char *expires = graph_format_time (secret->expires);

          json_builder_set_member_name (builder, "expires");
          json_builder_add_string_value (builder, expires);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "certificates");
  json_builder_begin_array (builder);
  for (guint i = 0; i < app->certs->len; i++)
    {
      GraphCert *cert = g_ptr_array_index (app->certs, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "pem");
      json_builder_add_string_value (builder, cert->pem);
      json_builder_set_member_name (builder, "x5t");
      json_builder_add_string_value (builder, cert->x5t);
      json_builder_set_member_name (builder, "x5t#S256");
      json_builder_add_string_value (builder, cert->x5t_s256);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "permissions");
  json_builder_begin_array (builder);
  for (guint i = 0; i < app->permissions->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (app->permissions, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* ---------------------------------------------------------------- seed */

static gboolean
load_objects (GraphTenant *tenant, GraphKind kind, JsonArray *seeds, gint64 now, GError **error)
{
  for (guint i = 0; seeds != NULL && i < json_array_get_length (seeds); i++)
    {
      JsonNode *node = json_array_get_element (seeds, i);
      JsonObject *seed = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *id = member_string (seed, "id");
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;
      GraphObject *object;

      if (seed == NULL || !graph_is_guid (id))
        return set_error (error, "tenant %s: %s[%u] needs an id (GUID)", tenant->id, kinds[kind].seed_key, i);
      if (graph_tenant_lookup (tenant, id) != NULL)
        return set_error (error, "tenant %s: id %s twice", tenant->id, id);
      json_object_iter_init (&iter, seed);
      while (json_object_iter_next (&iter, &name, &value))
        {
          if (g_str_equal (name, "id") || (kind == GRAPH_GROUP && g_str_equal (name, "members")) ||
              (kind == GRAPH_USER && g_str_equal (name, "manager")))
            continue;
          if (!check_value (kind, name, value, FALSE, error))
            {
              g_prefix_error (error, "tenant %s: %s: ", tenant->id, id);
              return FALSE;
            }
        }
      if (kind == GRAPH_USER)
        {
          const char *upn = member_string (seed, "userPrincipalName");

          if (upn == NULL || strchr (upn, '@') == NULL)
            return set_error (error, "tenant %s: user %s needs a userPrincipalName", tenant->id, id);
          if (upn_taken (tenant, NULL, upn))
            return set_error (error, "tenant %s: userPrincipalName %s twice", tenant->id, upn);
        }

      object = object_new (tenant, kind, id, 0);
      json_object_iter_init (&iter, seed);
      while (json_object_iter_next (&iter, &name, &value))
        if (graph_kind_prop (kind, name) != NULL && !JSON_NODE_HOLDS_NULL (value))
          json_object_set_member (object->props, name, json_node_copy (value));
      set_defaults (object, now);
      index_upn (object, TRUE);
    }
  return TRUE;
}

/* Members and managers refer to any object, so they are linked once
 * every object exists. Soft-deleted objects (deletedDateTime in the seed)
 * go to the recycle bin afterwards, keeping their links. */
static gboolean
link_objects (GraphTenant *tenant, JsonObject *seed, GError **error)
{
  JsonArray *groups = member_array (seed, "groups");
  JsonArray *users = member_array (seed, "users");

  for (guint i = 0; groups != NULL && i < json_array_get_length (groups); i++)
    {
      JsonObject *group_seed = json_array_get_object_element (groups, i);
      GraphObject *group = graph_tenant_lookup (tenant, member_string (group_seed, "id"));
      JsonArray *members = member_array (group_seed, "members");

      for (guint m = 0; members != NULL && m < json_array_get_length (members); m++)
        {
          const char *member_id = json_array_get_string_element (members, m);
          GraphObject *member = member_id != NULL ? graph_tenant_lookup (tenant, member_id) : NULL;

          if (member == NULL)
            return set_error (error, "tenant %s: group %s: unknown member %s", tenant->id, group->id,
                              member_id != NULL ? member_id : "(not a string)");
          if (member == group || g_hash_table_contains (group->member_links, member))
            return set_error (error, "tenant %s: group %s: member %s twice or itself", tenant->id,
                              group->id, member_id);
          link_member (group, member);
        }
    }
  for (guint i = 0; users != NULL && i < json_array_get_length (users); i++)
    {
      JsonObject *user_seed = json_array_get_object_element (users, i);
      GraphObject *user = graph_tenant_lookup (tenant, member_string (user_seed, "id"));
      const char *manager = member_string (user_seed, "manager");

      if (manager != NULL)
        {
          user->manager = graph_tenant_lookup (tenant, manager);
          if (user->manager == NULL || user->manager->kind != GRAPH_USER)
            return set_error (error, "tenant %s: user %s: manager %s is not a user", tenant->id, user->id,
                              manager);
        }
    }
  for (guint i = 0; i < tenant->objects->len; i++)
    {
      GraphObject *object = g_ptr_array_index (tenant->objects, i);
      const char *deleted = graph_object_string (object, "deletedDateTime");

      if (deleted != NULL)
        {
          graph_parse_time (deleted, &object->deleted_at);
          object->life = GRAPH_SOFT_DELETED;
        }
    }
  /* The recycle bin in deletion order. */
  for (guint i = 0; i < tenant->objects->len; i++)
    {
      GraphObject *object = g_ptr_array_index (tenant->objects, i);
      GList *l;

      if (object->life != GRAPH_SOFT_DELETED)
        continue;
      for (l = tenant->deleted.head; l != NULL; l = l->next)
        if (((GraphObject *) l->data)->deleted_at > object->deleted_at)
          break;
      if (l == NULL)
        {
          g_queue_push_tail (&tenant->deleted, object);
          object->deleted_link = tenant->deleted.tail;
        }
      else
        {
          g_queue_insert_before (&tenant->deleted, l, object);
          object->deleted_link = l->prev;
        }
    }
  return TRUE;
}

static void
generate_users (GraphTenant *tenant, guint n, const char *group_name, gint64 now)
{
  static const char *const departments[] = { "Engineering", "Sales", "Finance", "Support", "Marketing",
                                             "Operations", "Legal", "Research" };
  static const char *const titles[] = { "Engineer", "Account Manager", "Analyst", "Specialist", "Coordinator" };
  const char *domain = tenant->domains->len > 0 ? g_ptr_array_index (tenant->domains, 0) : "example.com";
  g_autofree char *group_id = graph_state_new_guid (tenant->state);
  GraphObject *group = object_new (tenant, GRAPH_GROUP, group_id, 0);
  g_autofree char *nickname = g_strdup_printf ("generated%u", n);

  json_object_set_string_member (group->props, "displayName", group_name);
  json_object_set_string_member (group->props, "mailNickname", nickname);
  json_object_set_array_member (group->props, "groupTypes", json_array_new ());
  set_defaults (group, now);

  for (guint i = 1; i <= n; i++)
    {
      g_autofree char *id = graph_state_new_guid (tenant->state);
      GraphObject *user = object_new (tenant, GRAPH_USER, id, 0);
      g_autofree char *upn = g_strdup_printf ("user%06u@%s", i, domain);
      g_autofree char *display = g_strdup_printf ("Generated User %06u", i);
      g_autofree char *surname = g_strdup_printf ("User%06u", i);
      g_autofree char *employee = g_strdup_printf ("G%06u", i);
      g_autofree char *sid = g_strdup_printf ("S-1-5-21-1004336348-1177238915-682003330-%u", 100000 + i);
      guint8 guid[16];
      g_autofree char *immutable = NULL;
      JsonObject *props = user->props;

      for (guint b = 0; b < 16; b++)
        guid[b] = g_rand_int_range (tenant->state->rand, 0, 256);
      immutable = g_base64_encode (guid, sizeof guid);
      json_object_set_string_member (props, "userPrincipalName", upn);
      json_object_set_string_member (props, "mail", upn);
      json_object_set_string_member (props, "displayName", display);
      json_object_set_string_member (props, "givenName", "Generated");
      json_object_set_string_member (props, "surname", surname);
      json_object_set_string_member (props, "department", departments[i % G_N_ELEMENTS (departments)]);
      json_object_set_string_member (props, "jobTitle", titles[i % G_N_ELEMENTS (titles)]);
      json_object_set_string_member (props, "employeeId", employee);
      json_object_set_string_member (props, "onPremisesSecurityIdentifier", sid);
      json_object_set_string_member (props, "onPremisesImmutableId", immutable);
      set_defaults (user, now);
      index_upn (user, TRUE);
      link_member (group, user);
    }
}

static gboolean
load_tenant (GraphState *state, JsonObject *seed, gint64 now, GError **error)
{
  const char *id = member_string (seed, "id");
  JsonArray *domains = member_array (seed, "domains");
  JsonArray *apps = member_array (seed, "apps");
  GraphTenant *tenant;

  if (!graph_is_guid (id))
    return set_error (error, "a tenant needs an id (GUID)");
  if (graph_state_tenant (state, id) != NULL)
    return set_error (error, "tenant %s twice", id);
  tenant = tenant_new (state);
  g_ptr_array_add (state->tenants, tenant);
  tenant->id = g_ascii_strdown (id, -1);
  tenant->name = g_strdup (member_string (seed, "displayName") != NULL ? member_string (seed, "displayName") :
                           "Contoso");
  g_hash_table_insert (state->tenant_by_key, g_strdup (tenant->id), tenant);
  for (guint i = 0; domains != NULL && i < json_array_get_length (domains); i++)
    {
      const char *domain = json_array_get_string_element (domains, i);
      g_autofree char *folded = domain != NULL ? graph_fold (domain) : NULL;

      if (folded == NULL || strchr (folded, '.') == NULL)
        return set_error (error, "tenant %s: a domain is not a DNS name", tenant->id);
      if (g_hash_table_contains (state->tenant_by_key, folded))
        return set_error (error, "domain %s twice", domain);
      g_ptr_array_add (tenant->domains, g_strdup (domain));
      g_hash_table_insert (state->tenant_by_key, g_steal_pointer (&folded), tenant);
    }
  for (guint i = 0; apps != NULL && i < json_array_get_length (apps); i++)
    {
      JsonObject *app = json_array_get_object_element (apps, i);

      if (app == NULL || !load_app (tenant, app, error))
        {
          if (app == NULL)
            set_error (error, "tenant %s: apps[%u] is not an object", tenant->id, i);
          return FALSE;
        }
    }
  for (guint k = 0; k < GRAPH_N_KINDS; k++)
    if (!load_objects (tenant, k, member_array (seed, kinds[k].seed_key), now, error))
      return FALSE;
  return link_objects (tenant, seed, error);
}

static guint generation;

GraphState *
graph_state_new (JsonNode    *seed,
                 const char  *seed_dir,
                 guint32      random_seed,
                 guint        generate,
                 const char  *generate_group,
                 gint64       now,
                 GError     **error)
{
  GraphState *state = g_new0 (GraphState, 1);
  JsonObject *root = seed != NULL && JSON_NODE_HOLDS_OBJECT (seed) ? json_node_get_object (seed) : NULL;
  JsonArray *tenants = member_array (root, "tenants");

  state->tenants = g_ptr_array_new_with_free_func ((GDestroyNotify) tenant_free);
  state->tenant_by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  state->rand = g_rand_new_with_seed (random_seed);
  state->seed_dir = g_strdup (seed_dir != NULL ? seed_dir : ".");
  /* Unique per load, so that no delta token outlives a reset or a restart. */
  state->instance = g_strdup_printf ("%" G_GINT64_MODIFIER "x-%x", g_get_real_time (), ++generation);

  if (tenants == NULL || json_array_get_length (tenants) == 0)
    {
      set_error (error, "the seed needs a \"tenants\" array with at least one tenant");
      graph_state_free (state);
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (tenants); i++)
    {
      JsonObject *tenant = json_array_get_object_element (tenants, i);

      if (tenant == NULL || !load_tenant (state, tenant, now, error))
        {
          if (tenant == NULL)
            set_error (error, "tenants[%u] is not an object", i);
          graph_state_free (state);
          return NULL;
        }
    }
  if (generate > 0)
    generate_users (graph_state_default_tenant (state), generate,
                    generate_group != NULL ? generate_group : "Generated Users", now);
  return state;
}

void
graph_state_free (GraphState *state)
{
  if (state == NULL)
    return;
  g_ptr_array_unref (state->tenants);
  g_hash_table_unref (state->tenant_by_key);
  g_rand_free (state->rand);
  g_free (state->instance);
  g_free (state->seed_dir);
  g_free (state);
}

/* ---------------------------------------------------------------- dump */

static JsonNode *
dump_object (GraphObject *object)
{
  JsonObject *out = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (out, "id", object->id);
  json_object_iter_init_ordered (&iter, object->props);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    json_object_set_member (out, name, json_node_copy (value));
  if (object->manager != NULL)
    json_object_set_string_member (out, "manager", object->manager->id);
  if (object->kind == GRAPH_GROUP)
    {
      JsonArray *members = json_array_new ();

      for (GList *l = object->members->head; l != NULL; l = l->next)
        json_array_add_string_element (members, ((GraphObject *) l->data)->id);
      json_object_set_array_member (out, "members", members);
    }
  json_node_take_object (node, out);
  return node;
}

JsonNode *
graph_state_dump (GraphState *state)
{
  JsonObject *root = json_object_new ();
  JsonArray *tenants = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  for (guint t = 0; t < state->tenants->len; t++)
    {
      GraphTenant *tenant = g_ptr_array_index (state->tenants, t);
      JsonObject *out = json_object_new ();
      JsonArray *domains = json_array_new ();
      JsonArray *apps = json_array_new ();

      json_object_set_string_member (out, "id", tenant->id);
      json_object_set_string_member (out, "displayName", tenant->name);
      for (guint i = 0; i < tenant->domains->len; i++)
        json_array_add_string_element (domains, g_ptr_array_index (tenant->domains, i));
      json_object_set_array_member (out, "domains", domains);
      for (guint i = 0; i < tenant->apps->len; i++)
        json_array_add_element (apps, graph_app_dump (g_ptr_array_index (tenant->apps, i)));
      json_object_set_array_member (out, "apps", apps);
      for (guint k = 0; k < GRAPH_N_KINDS; k++)
        {
          JsonArray *objects = json_array_new ();

          for (guint i = 0; i < tenant->by_kind[k]->len; i++)
            {
              GraphObject *object = g_ptr_array_index (tenant->by_kind[k], i);

              if (object->life != GRAPH_PURGED)
                json_array_add_element (objects, dump_object (object));
            }
          json_object_set_array_member (out, kinds[k].seed_key, objects);
        }
      json_object_set_int_member (out, "seq", tenant->seq);
      json_array_add_object_element (tenants, out);
    }
  json_object_set_array_member (root, "tenants", tenants);
  json_node_take_object (node, root);
  return node;
}
