/* graph-api.c — Microsoft Graph v1.0: users, groups, members, delta,
 * deleted items, organization and $batch
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A collection answer is a snapshot taken on the first request and kept
 * in a paging session; every nextLink names the session and a position,
 * so a page costs O(page) and the same link can be fetched again. Delta
 * tokens carry the tenant's change sequence at the start of their round
 * (the watermark), the query and the time they were issued.
 */

#include <string.h>

#include "graph-private.h"

#define ALL_KINDS ((1u << GRAPH_N_KINDS) - 1)
#define MAX_DELTA_IDS 50
#define BATCH_MAX 20

static const char *const users_perms[] = {
  "User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", NULL
};
static const char *const groups_perms[] = {
  "GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All",
  "Directory.ReadWrite.All", NULL
};
static const char *const members_perms[] = {
  "GroupMember.Read.All", "GroupMember.ReadBasic.All", "Group.Read.All", "Group.ReadWrite.All",
  "Directory.Read.All", "Directory.ReadWrite.All", NULL
};
static const char *const devices_perms[] = {
  "Device.Read.All", "Directory.Read.All", "Directory.ReadWrite.All", NULL
};
static const char *const contacts_perms[] = {
  "OrgContact.Read.All", "Directory.Read.All", "Directory.ReadWrite.All", NULL
};
static const char *const sps_perms[] = {
  "Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", NULL
};
static const char *const org_perms[] = {
  "Directory.Read.All", "Directory.ReadWrite.All", NULL
};

typedef struct {
  GraphObject *member;
  gboolean     removed;
} MemberChange;

typedef struct {
  GraphObject *object;
  const char  *removed;     /* "changed", "deleted" or NULL */
  gboolean     created;     /* created or restored in this round: all properties */
  gboolean     props;       /* its selected properties changed (groups) */
  GArray      *members;     /* of MemberChange, or NULL */
} DeltaItem;

typedef struct {
  gboolean    groups;
  guint64     watermark;
  gint64      issued;       /* emulated µs */
  guint       epoch;
  char       *tenant;
  char       *instance;
  GPtrArray  *select;       /* NULL: the default set */
  gboolean    members;      /* groups: members@delta */
  GPtrArray  *ids;          /* NULL: every object */
} DeltaQuery;

struct _GraphSession {
  char        *id;
  GraphTenant *tenant;
  /* lists */
  GPtrArray   *objects;       /* borrowed GraphObject* */
  GPtrArray   *select;        /* owned names or NULL */
  guint        page;
  gboolean     with_type;
  gboolean     skip_nulls;
  gboolean     expand_manager;
  GPtrArray   *manager_select;
  char        *context;
  char        *next_base;     /* "{base}{path}?{options}&" */
  /* delta */
  gboolean     delta;
  DeltaQuery  *query;
  GArray      *items;         /* of DeltaItem */
  gboolean     minimal;
  guint64      since;         /* the watermark the round started from; 0 = initial */
  char        *delta_link;
};

/* ---------------------------------------------------------------- helpers */

static void
delta_query_free (DeltaQuery *query)
{
  if (query == NULL)
    return;
  g_free (query->tenant);
  g_free (query->instance);
  g_clear_pointer (&query->select, g_ptr_array_unref);
  g_clear_pointer (&query->ids, g_ptr_array_unref);
  g_free (query);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DeltaQuery, delta_query_free)

static void
delta_item_clear (DeltaItem *item)
{
  g_clear_pointer (&item->members, g_array_unref);
}

void
graph_session_free (GraphSession *session)
{
  if (session == NULL)
    return;
  g_free (session->id);
  g_clear_pointer (&session->objects, g_ptr_array_unref);
  g_clear_pointer (&session->select, g_ptr_array_unref);
  g_clear_pointer (&session->manager_select, g_ptr_array_unref);
  g_free (session->context);
  g_free (session->next_base);
  delta_query_free (session->query);
  g_clear_pointer (&session->items, g_array_unref);
  g_free (session->delta_link);
  g_free (session);
}

const char *
graph_session_id (GraphSession *session)
{
  return session->id;
}

static gboolean
permitted (GraphCall *call, const char *const *perms)
{
  if (graph_app_has (call->token->app, perms))
    return TRUE;
  graph_call_error (call, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
  return FALSE;
}

/* The kinds the app may read in full; others come back as id and nulls. */
static guint
readable_kinds (GraphCall *call)
{
  GraphApp *app = call->token->app;
  guint kinds = 0;

  if (graph_app_has (app, users_perms))
    kinds |= 1u << GRAPH_USER;
  if (graph_app_has (app, groups_perms))
    kinds |= 1u << GRAPH_GROUP;
  if (graph_app_has (app, devices_perms))
    kinds |= 1u << GRAPH_DEVICE;
  if (graph_app_has (app, contacts_perms))
    kinds |= 1u << GRAPH_CONTACT;
  if (graph_app_has (app, sps_perms))
    kinds |= 1u << GRAPH_SERVICE_PRINCIPAL;
  return kinds;
}

static gboolean
consistency_eventual (GraphCall *call)
{
  const char *level = graph_call_request_header (call, "consistencylevel");

  return level != NULL && g_ascii_strcasecmp (level, "eventual") == 0;
}

static gboolean
count_requested (GraphCall *call)
{
  const char *count_option = graph_call_query (call, "$count");

  return count_option != NULL && g_ascii_strcasecmp (count_option, "true") == 0;
}

static gboolean
advanced (GraphCall *call)
{
  return consistency_eventual (call) && count_requested (call);
}

/* Answers 400 for a $option not in @allowed. */
static gboolean
check_options (GraphCall *call, const char *const *allowed)
{
  GHashTableIter iter;
  const char *name;

  g_hash_table_iter_init (&iter, call->query);
  while (g_hash_table_iter_next (&iter, (gpointer *) &name, NULL))
    if (name[0] == '$' && !g_strv_contains (allowed, name))
      {
        g_autofree char *message = NULL;

        if (g_str_equal (name, "$skip"))
          message = g_strdup ("'$skip' is not supported by the service.");
        else
          message = g_strdup_printf ("Unrecognized query argument specified: '%s'.", name);
        graph_call_error (call, 400, g_str_equal (name, "$skip") ? "Request_BadRequest" : "BadRequest", message);
        return FALSE;
      }
  return TRUE;
}

/* $top: 1–999, else 400; 0 when absent. */
static gboolean
parse_top (GraphCall *call, guint *top)
{
  const char *text = graph_call_query (call, "$top");
  guint64 value;

  *top = 0;
  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, 1, 999, &value, NULL))
    {
      g_autofree char *message = g_strdup_printf ("Invalid page size specified: '%s'. Must be between 1 and 999 "
                                                  "inclusive.", text);

      graph_call_error (call, 400, "Request_BadRequest", message);
      return FALSE;
    }
  *top = value;
  return TRUE;
}

static char *
escape (const char *text)
{
  return g_uri_escape_string (text, "$,'():@/=*", FALSE);
}

/* "{base}{path}?" and every option but $skiptoken, ready for "$skiptoken=". */
static char *
next_base (GraphCall *call)
{
  GString *url = g_string_new (call->base);
  g_autoptr(GList) keys = g_hash_table_get_keys (call->query);
  g_autofree char *path = g_uri_escape_string (call->path, "/$", FALSE);

  g_string_append (url, path);
  g_string_append_c (url, '?');
  keys = g_list_sort (keys, (GCompareFunc) g_strcmp0);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      g_autofree char *name = escape (l->data);
      g_autofree char *value = escape (g_hash_table_lookup (call->query, l->data));

      if (g_str_equal (l->data, "$skiptoken"))
        continue;
      g_string_append_printf (url, "%s=%s&", name, value);
    }
  return g_string_free (url, FALSE);
}

static char *
context_url (GraphCall *call, const char *entity_set, GPtrArray *select, gboolean entity)
{
  GString *url = g_string_new (call->base);

  g_string_append_printf (url, "/v1.0/$metadata#%s", entity_set);
  if (select != NULL)
    {
      g_string_append_c (url, '(');
      for (guint i = 0; i < select->len; i++)
        g_string_append_printf (url, "%s%s", i > 0 ? "," : "", (char *) g_ptr_array_index (select, i));
      g_string_append_c (url, ')');
    }
  if (entity)
    g_string_append (url, "/$entity");
  return g_string_free (url, FALSE);
}

static void
set_value (JsonObject *out, const GraphProp *prop, JsonNode *value, gboolean skip_nulls)
{
  if (value != NULL)
    json_object_set_member (out, prop->name, json_node_copy (value));
  else if (skip_nulls)
    return;
  else if (prop->type == PROP_STRINGS)
    json_object_set_array_member (out, prop->name, json_array_new ());
  else
    json_object_set_null_member (out, prop->name);
}

/* An object as Graph sends it: @odata.type (on mixed collections), id,
 * then the selected properties (or the default set). A property the
 * object's type does not have is left out; an unset one is null (left
 * out with @skip_nulls, as delta does). @limited: every property null. */
static JsonObject *
render_object (GraphObject *object,
               GPtrArray   *select,
               gboolean     with_type,
               gboolean     skip_nulls,
               gboolean     limited)
{
  JsonObject *out = json_object_new ();

  if (with_type)
    json_object_set_string_member (out, "@odata.type", graph_kind_odata_type (object->kind));
  json_object_set_string_member (out, "id", object->id);
  if (select == NULL)
    {
      guint n_props;
      const GraphProp *props = graph_kind_props (object->kind, &n_props);

      for (guint i = 0; i < n_props; i++)
        if (props[i].flags & PROP_DEFAULT)
          set_value (out, &props[i], limited ? NULL : graph_object_value (object, &props[i]), skip_nulls);
      return out;
    }
  for (guint i = 0; i < select->len; i++)
    {
      const GraphProp *prop = graph_kind_prop (object->kind, g_ptr_array_index (select, i));

      if (prop == NULL)
        continue;
      if (limited)
        json_object_set_null_member (out, prop->name);
      else
        set_value (out, prop, graph_object_value (object, prop), skip_nulls);
    }
  return out;
}

static JsonObject *
render_with_expand (GraphCall *call, GraphSession *session, GraphObject *object, guint readable)
{
  JsonObject *out = render_object (object, session->select, session->with_type, session->skip_nulls,
                                   !(readable & (1u << object->kind)));

  if (session->expand_manager && object->kind == GRAPH_USER && object->manager != NULL &&
      object->manager->life == GRAPH_ACTIVE)
    json_object_set_object_member (out, "manager",
                                   render_object (object->manager, session->manager_select, TRUE, FALSE,
                                                  !(readable & (1u << GRAPH_USER))));
  return out;
}

/* ---------------------------------------------------------------- lists */

static GraphSession *
session_new (GraphCall *call, GraphTenant *tenant)
{
  GraphSession *session = g_new0 (GraphSession, 1);

  session->id = graph_server_new_session_id (call->server);
  session->tenant = tenant;
  return session;
}

static char *
page_token (GraphSession *session, guint a, guint b, gboolean two)
{
  return two ? g_strdup_printf ("%s~%u~%u", session->id, a, b) : g_strdup_printf ("%s~%u", session->id, a);
}

/* Splits a $skiptoken into a session and positions. */
static GraphSession *
lookup_token (GraphCall *call, const char *token, guint *a, guint *b)
{
  g_auto(GStrv) parts = g_strsplit (token, "~", 3);
  guint64 first = 0;
  guint64 second = 0;
  GraphSession *session;

  if (g_strv_length (parts) < 2 ||
      !g_ascii_string_to_unsigned (parts[1], 10, 0, G_MAXUINT, &first, NULL) ||
      (parts[2] != NULL && !g_ascii_string_to_unsigned (parts[2], 10, 0, G_MAXUINT, &second, NULL)))
    return NULL;
  session = graph_server_session_get (call->server, parts[0]);
  if (session == NULL || session->tenant != call->token->tenant)
    return NULL;
  *a = first;
  *b = second;
  return session;
}

static void
serve_list_page (GraphCall *call, GraphSession *session, guint pos, gint64 total, gboolean registered)
{
  JsonObject *root = json_object_new ();
  JsonArray *value = json_array_new ();
  guint readable = readable_kinds (call);
  guint end = call->empty_page ? pos : MIN (pos + session->page, session->objects->len);

  json_object_set_string_member (root, "@odata.context", session->context);
  if (total >= 0)
    json_object_set_int_member (root, "@odata.count", total);
  for (guint i = pos; i < end; i++)
    json_array_add_object_element (value, render_with_expand (call, session, g_ptr_array_index (session->objects, i),
                                                              readable));
  if (end < session->objects->len || call->empty_page)
    {
      g_autofree char *token = page_token (session, end, 0, FALSE);
      g_autofree char *escaped = escape (token);
      g_autofree char *link = g_strconcat (session->next_base, "$skiptoken=", escaped, NULL);

      json_object_set_string_member (root, "@odata.nextLink", link);
      if (!registered)
        graph_server_session_add (call->server, session, session->objects->len);
      registered = TRUE;
    }
  json_object_set_array_member (root, "value", value);
  graph_call_reply (call, 200, emu_object_node (root));
  if (!registered)
    graph_session_free (session);
}

/* A following page of any list: the session was made by the first. */
static gboolean
continue_list (GraphCall *call)
{
  const char *token = graph_call_query (call, "$skiptoken");
  GraphSession *session;
  guint pos = 0;
  guint unused = 0;

  if (token == NULL)
    return FALSE;
  session = lookup_token (call, token, &pos, &unused);
  if (session == NULL || session->delta || pos > session->objects->len)
    {
      graph_call_error (call, 400, "Directory_ExpiredPageToken",
                        "The specified page token value has expired and can no longer be included in your request.");
      return TRUE;
    }
  serve_list_page (call, session, pos, -1, TRUE);
  return TRUE;
}

/* Starts a list: takes @objects and @select. */
static void
start_list (GraphCall   *call,
            GPtrArray   *objects,
            GPtrArray   *select,
            gboolean     with_type,
            guint        top,
            const char  *entity_set)
{
  GraphSwitches *sw = graph_server_switches (call->server);
  GraphSession *session = session_new (call, call->token->tenant);
  gint64 total = consistency_eventual (call) && count_requested (call) ? (gint64) objects->len : -1;

  session->objects = objects;
  session->select = select;
  session->with_type = with_type;
  session->page = MIN (top > 0 ? top : sw->default_top, sw->page_size);
  session->context = context_url (call, entity_set, select, FALSE);
  session->next_base = next_base (call);
  serve_list_page (call, session, 0, total, FALSE);
}

/* $expand=manager or manager($select=a,b). */
static gboolean
parse_expand (GraphCall *call, GraphSession *session)
{
  const char *text = graph_call_query (call, "$expand");
  GraphError error = { 0 };

  if (text == NULL)
    return TRUE;
  if (g_str_equal (text, "manager"))
    session->expand_manager = TRUE;
  else if (g_str_has_prefix (text, "manager($select=") && g_str_has_suffix (text, ")"))
    {
      g_autofree char *inner = g_strndup (text + strlen ("manager($select="),
                                          strlen (text) - strlen ("manager($select=") - 1);

      session->manager_select = graph_select_parse (inner, 1u << GRAPH_USER, TRUE, &error);
      if (session->manager_select == NULL)
        {
          graph_call_graph_error (call, &error);
          graph_error_clear (&error);
          return FALSE;
        }
      session->expand_manager = TRUE;
    }
  else
    {
      g_autofree char *message = g_strdup_printf ("Could not find a navigation property named '%s' that can be "
                                                  "expanded.", text);

      graph_call_error (call, 400, "Request_BadRequest", message);
      return FALSE;
    }
  return TRUE;
}

static gint
compare_by (gconstpointer a, gconstpointer b, gpointer data)
{
  const char *name = data;
  const char *left = graph_object_string (*(GraphObject **) a, name);
  const char *right = graph_object_string (*(GraphObject **) b, name);
  g_autofree char *left_folded = left != NULL ? graph_fold (left) : g_strdup ("");
  g_autofree char *right_folded = right != NULL ? graph_fold (right) : g_strdup ("");

  return strcmp (left_folded, right_folded);
}

/* Answers @error and clears it. */
static gboolean
fail (GraphCall *call, GraphError *error)
{
  graph_call_graph_error (call, error);
  graph_error_clear (error);
  return FALSE;
}

/* GET /users and GET /groups. */
static gboolean
list_collection (GraphCall *call, GraphKind kind)
{
  static const char *const allowed[] = { "$select", "$top", "$filter", "$count", "$search", "$orderby",
                                         "$expand", "$skiptoken", NULL };
  GraphSwitches *sw = graph_server_switches (call->server);
  GraphTenant *tenant = call->token->tenant;
  const char *select_text = graph_call_query (call, "$select");
  const char *filter_text = graph_call_query (call, "$filter");
  const char *search_text = graph_call_query (call, "$search");
  const char *orderby = graph_call_query (call, "$orderby");
  const char *entity_set = kind == GRAPH_USER ? "users" : "groups";
  g_autoptr(GPtrArray) select = NULL;
  g_autoptr(GraphFilter) filter = NULL;
  g_autoptr(GraphSearch) search = NULL;
  g_autoptr(GPtrArray) objects = NULL;
  g_autofree char *order_name = NULL;
  gboolean descending = FALSE;
  GraphError error = { 0 };
  GraphSession *session;
  guint top;

  call->ru_cost = kind == GRAPH_USER ? 2 : 1;
  if (!permitted (call, kind == GRAPH_USER ? users_perms : groups_perms) || continue_list (call) ||
      !check_options (call, allowed) || !parse_top (call, &top))
    return FALSE;
  if (select_text != NULL && (select = graph_select_parse (select_text, 1u << kind, TRUE, &error)) == NULL)
    return fail (call, &error);
  if (filter_text != NULL && (filter = graph_filter_parse (filter_text, kind, advanced (call), &error)) == NULL)
    return fail (call, &error);
  if (search_text != NULL)
    {
      if (!consistency_eventual (call))
        {
          graph_error_set (&error, 400, "Request_UnsupportedQuery",
                           "Request with $search query parameter only works through MSGraph with a special request "
                           "header: 'ConsistencyLevel: eventual'");
          return fail (call, &error);
        }
      if ((search = graph_search_parse (search_text, kind, &error)) == NULL)
        return fail (call, &error);
    }
  if (orderby != NULL)
    {
      g_autofree char *trimmed = g_strstrip (g_strdup (orderby));
      g_auto(GStrv) words = g_strsplit (trimmed, " ", 2);

      if ((g_strcmp0 (words[0], "displayName") != 0 && g_strcmp0 (words[0], "userPrincipalName") != 0) ||
          (words[1] != NULL && g_ascii_strcasecmp (words[1], "asc") != 0 && g_ascii_strcasecmp (words[1], "desc") != 0) ||
          (kind != GRAPH_USER && g_str_equal (words[0], "userPrincipalName")))
        {
          graph_error_set (&error, 400, "Request_UnsupportedQuery", "Sorting not supported for '%s'.", orderby);
          return fail (call, &error);
        }
      if ((filter != NULL || search != NULL) && !advanced (call))
        {
          graph_error_set (&error, 400, "Request_UnsupportedQuery",
                           "$orderby with $filter or $search is an advanced query: add $count=true and the "
                           "ConsistencyLevel: eventual header.");
          return fail (call, &error);
        }
      order_name = g_strdup (words[0]);
      descending = words[1] != NULL && g_ascii_strcasecmp (words[1], "desc") == 0;
    }
  if (graph_call_query (call, "$expand") != NULL && kind != GRAPH_USER)
    {
      graph_error_set (&error, 400, "Request_BadRequest", "Could not find a navigation property named '%s' that "
                       "can be expanded.", graph_call_query (call, "$expand"));
      return fail (call, &error);
    }

  objects = g_ptr_array_new ();
  {
    const char *property = NULL;
    const char *exact = filter != NULL ? graph_filter_simple_eq (filter, &property) : NULL;

    if (exact != NULL)
      {
        /* One hash lookup instead of a scan. */
        GraphObject *found = g_str_equal (property, "id") ? graph_tenant_lookup (tenant, exact) :
                             graph_tenant_user_by_upn (tenant, exact);

        if (found != NULL && found->kind == kind && found->life == GRAPH_ACTIVE &&
            (search == NULL || graph_search_match (search, found)))
          g_ptr_array_add (objects, found);
      }
    else
      for (guint i = 0; i < tenant->by_kind[kind]->len; i++)
        {
          GraphObject *object = g_ptr_array_index (tenant->by_kind[kind], i);

          if (object->life == GRAPH_ACTIVE && (filter == NULL || graph_filter_match (filter, object)) &&
              (search == NULL || graph_search_match (search, object)))
            g_ptr_array_add (objects, object);
        }
  }
  if (order_name != NULL)
    {
      g_ptr_array_sort_with_data (objects, compare_by, order_name);
      if (descending)
        for (guint i = 0; i < objects->len / 2; i++)
          {
            gpointer swap = objects->pdata[i];

            objects->pdata[i] = objects->pdata[objects->len - 1 - i];
            objects->pdata[objects->len - 1 - i] = swap;
          }
    }
  if (select != NULL)
    call->ru_cost = MAX (1, call->ru_cost - 1);
  if (top > 0 && top < 20)
    call->ru_cost = MAX (1, call->ru_cost - 1);

  session = session_new (call, tenant);
  if (!parse_expand (call, session))
    {
      graph_session_free (session);
      return FALSE;
    }
  if (session->expand_manager)
    call->ru_cost++;
  session->objects = g_steal_pointer (&objects);
  session->select = g_steal_pointer (&select);
  session->page = MIN (top > 0 ? top : sw->default_top, sw->page_size);
  if (session->expand_manager)
    session->page = MIN (session->page, sw->expand_page_cap);
  session->context = context_url (call, entity_set, session->select, FALSE);
  session->next_base = next_base (call);
  serve_list_page (call, session, 0, advanced (call) ? (gint64) session->objects->len : -1, FALSE);
  return TRUE;
}

/* GET /users/$count and /groups/$count: text/plain. */
static void
count_collection (GraphCall *call, GraphKind kind)
{
  GraphTenant *tenant = call->token->tenant;
  const char *filter_text = graph_call_query (call, "$filter");
  g_autoptr(GraphFilter) filter = NULL;
  GraphError error = { 0 };
  guint n = 0;

  call->ru_cost = 1;
  if (!permitted (call, kind == GRAPH_USER ? users_perms : groups_perms))
    return;
  if (!consistency_eventual (call))
    {
      graph_call_error (call, 400, "Request_BadRequest",
                        "$count is not currently supported without the ConsistencyLevel: eventual header.");
      return;
    }
  if (filter_text != NULL && (filter = graph_filter_parse (filter_text, kind, TRUE, &error)) == NULL)
    {
      graph_call_graph_error (call, &error);
      graph_error_clear (&error);
      return;
    }
  for (guint i = 0; i < tenant->by_kind[kind]->len; i++)
    {
      GraphObject *object = g_ptr_array_index (tenant->by_kind[kind], i);

      if (object->life == GRAPH_ACTIVE && (filter == NULL || graph_filter_match (filter, object)))
        n++;
    }
  call->status = 200;
  call->text_answer = g_strdup_printf ("%u", n);
}

/* GET /users/{id-or-upn}, /groups/{id}. */
static GraphObject *
find_active (GraphCall *call, GraphKind kind, const char *key)
{
  GraphTenant *tenant = call->token->tenant;
  GraphObject *object = graph_tenant_lookup (tenant, key);

  if (object == NULL && kind == GRAPH_USER)
    object = graph_tenant_user_by_upn (tenant, key);
  if (object == NULL || object->kind != kind || object->life != GRAPH_ACTIVE)
    {
      g_autofree char *message = g_strdup_printf ("Resource '%s' does not exist or one of its queried "
                                                  "reference-property objects are not present.", key);

      graph_call_error (call, 404, "Request_ResourceNotFound", message);
      return NULL;
    }
  return object;
}

static void
get_one (GraphCall *call, GraphKind kind, const char *key)
{
  static const char *const allowed[] = { "$select", "$expand", NULL };
  const char *select_text = graph_call_query (call, "$select");
  g_autoptr(GPtrArray) select = NULL;
  GraphError error = { 0 };
  GraphObject *object;
  JsonObject *out;
  g_autofree char *context = NULL;
  GraphSession *expand;

  call->ru_cost = 1;
  if (!permitted (call, kind == GRAPH_USER ? users_perms : groups_perms) || !check_options (call, allowed))
    return;
  if (select_text != NULL && (select = graph_select_parse (select_text, 1u << kind, FALSE, &error)) == NULL)
    {
      graph_call_graph_error (call, &error);
      graph_error_clear (&error);
      return;
    }
  if ((object = find_active (call, kind, key)) == NULL)
    return;
  expand = session_new (call, call->token->tenant);
  if (kind != GRAPH_USER && graph_call_query (call, "$expand") != NULL)
    {
      graph_call_error (call, 400, "Request_BadRequest", "Could not find a navigation property that can be expanded.");
      graph_session_free (expand);
      return;
    }
  if (!parse_expand (call, expand))
    {
      graph_session_free (expand);
      return;
    }
  expand->select = g_steal_pointer (&select);
  out = render_with_expand (call, expand, object, readable_kinds (call));
  context = context_url (call, kind == GRAPH_USER ? "users" : "groups", expand->select, TRUE);
  json_object_set_string_member (out, "@odata.context", context);
  graph_session_free (expand);
  graph_call_reply (call, 200, emu_object_node (out));
}

static void
get_manager (GraphCall *call, const char *key)
{
  static const char *const allowed[] = { "$select", NULL };
  const char *select_text = graph_call_query (call, "$select");
  g_autoptr(GPtrArray) select = NULL;
  GraphError error = { 0 };
  GraphObject *user;
  JsonObject *out;
  g_autofree char *context = NULL;

  call->ru_cost = 1;
  if (!permitted (call, users_perms) || !check_options (call, allowed))
    return;
  if (select_text != NULL && (select = graph_select_parse (select_text, ALL_KINDS, FALSE, &error)) == NULL)
    {
      graph_call_graph_error (call, &error);
      graph_error_clear (&error);
      return;
    }
  if ((user = find_active (call, GRAPH_USER, key)) == NULL)
    return;
  if (user->manager == NULL || user->manager->life != GRAPH_ACTIVE)
    {
      graph_call_error (call, 404, "Request_ResourceNotFound", "Resource 'manager' does not exist or one of its "
                        "queried reference-property objects are not present.");
      return;
    }
  out = render_object (user->manager, select, TRUE, FALSE, FALSE);
  context = context_url (call, "directoryObjects", select, TRUE);
  json_object_set_string_member (out, "@odata.context", context);
  graph_call_reply (call, 200, emu_object_node (out));
}

/* ---------------------------------------------------------------- members */

static void
list_members (GraphCall *call, const char *group_id, gboolean transitive, const char *cast)
{
  static const char *const allowed[] = { "$select", "$top", "$count", "$skiptoken", NULL };
  const char *select_text = graph_call_query (call, "$select");
  g_autoptr(GPtrArray) select = NULL;
  g_autoptr(GPtrArray) objects = NULL;
  GraphError error = { 0 };
  GraphKind cast_kind = GRAPH_N_KINDS;
  GraphObject *group;
  guint top;

  graph_call_set_route (call, cast != NULL ?
                        (transitive ? "/v1.0/groups/{id}/transitiveMembers/{cast}" : "/v1.0/groups/{id}/members/{cast}") :
                        (transitive ? "/v1.0/groups/{id}/transitiveMembers" : "/v1.0/groups/{id}/members"));
  call->ru_cost = transitive ? 5 : 3;
  if (!permitted (call, members_perms) || continue_list (call) || !check_options (call, allowed) ||
      !parse_top (call, &top))
    return;
  if (cast != NULL && !graph_kind_from_name (cast, &cast_kind))
    {
      g_autofree char *message = g_strdup_printf ("Resource not found for the segment '%s'.", cast);

      graph_call_error (call, 400, "Request_BadRequest", message);
      return;
    }
  if (cast != NULL && graph_server_switches (call->server)->cast_strict && !advanced (call))
    {
      graph_call_error (call, 400, "Request_UnsupportedQuery", "The specified type cast requires the "
                        "ConsistencyLevel: eventual header and $count=true.");
      return;
    }
  if (select_text != NULL &&
      (select = graph_select_parse (select_text, cast != NULL ? 1u << cast_kind : ALL_KINDS, TRUE, &error)) == NULL)
    {
      graph_call_graph_error (call, &error);
      graph_error_clear (&error);
      return;
    }
  if ((group = find_active (call, GRAPH_GROUP, group_id)) == NULL)
    return;
  if (cast_kind == GRAPH_GROUP && graph_group_is_unified (group))
    {
      graph_call_error (call, 400, "Request_UnsupportedQuery", "The specified type cast is not supported: a "
                        "Microsoft 365 group cannot have groups as members.");
      return;
    }
  objects = transitive ? graph_group_transitive (group, TRUE) : graph_group_direct (group);
  if (cast != NULL)
    for (guint i = objects->len; i-- > 0;)
      if (((GraphObject *) g_ptr_array_index (objects, i))->kind != cast_kind)
        g_ptr_array_remove_index (objects, i);
  if (select != NULL)
    call->ru_cost--;
  if (top > 0 && top < 20)
    call->ru_cost = MAX (1, call->ru_cost - 1);
  start_list (call, g_steal_pointer (&objects), g_steal_pointer (&select), TRUE, top,
              cast != NULL ? (cast_kind == GRAPH_USER ? "users" : "directoryObjects") : "directoryObjects");
}

/* ---------------------------------------------------------------- delta tokens */

static char *
delta_token_encode (DeltaQuery *query)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "k");
  json_builder_add_string_value (builder, query->groups ? "groups" : "users");
  json_builder_set_member_name (builder, "t");
  json_builder_add_string_value (builder, query->tenant);
  json_builder_set_member_name (builder, "i");
  json_builder_add_string_value (builder, query->instance);
  json_builder_set_member_name (builder, "w");
  json_builder_add_int_value (builder, query->watermark);
  json_builder_set_member_name (builder, "at");
  json_builder_add_int_value (builder, query->issued / GRAPH_USEC_PER_SEC);
  json_builder_set_member_name (builder, "e");
  json_builder_add_int_value (builder, query->epoch);
  json_builder_set_member_name (builder, "m");
  json_builder_add_boolean_value (builder, query->members);
  if (query->select != NULL)
    {
      json_builder_set_member_name (builder, "s");
      json_builder_begin_array (builder);
      for (guint i = 0; i < query->select->len; i++)
        json_builder_add_string_value (builder, g_ptr_array_index (query->select, i));
      json_builder_end_array (builder);
    }
  if (query->ids != NULL)
    {
      json_builder_set_member_name (builder, "f");
      json_builder_begin_array (builder);
      for (guint i = 0; i < query->ids->len; i++)
        json_builder_add_string_value (builder, g_ptr_array_index (query->ids, i));
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  return graph_base64url ((const guint8 *) text, strlen (text));
}

static GPtrArray *
strings_of (JsonObject *object, const char *name)
{
  JsonArray *array = json_object_has_member (object, name) ? json_object_get_array_member (object, name) : NULL;
  GPtrArray *strings;

  if (array == NULL)
    return NULL;
  strings = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < json_array_get_length (array); i++)
    g_ptr_array_add (strings, g_strdup (json_array_get_string_element (array, i)));
  return strings;
}

static DeltaQuery *
delta_token_decode (const char *token)
{
  g_autoptr(GBytes) bytes = graph_base64url_decode (token);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;
  DeltaQuery *query;

  if (bytes == NULL || g_bytes_get_size (bytes) == 0 ||
      !json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  root = json_node_get_object (json_parser_get_root (parser));
  if (!json_object_has_member (root, "w") || !json_object_has_member (root, "t") ||
      !json_object_has_member (root, "i"))
    return NULL;
  query = g_new0 (DeltaQuery, 1);
  query->groups = g_strcmp0 (json_object_get_string_member_with_default (root, "k", ""), "groups") == 0;
  query->tenant = g_strdup (json_object_get_string_member_with_default (root, "t", ""));
  query->instance = g_strdup (json_object_get_string_member_with_default (root, "i", ""));
  query->watermark = json_object_get_int_member_with_default (root, "w", 0);
  query->issued = json_object_get_int_member_with_default (root, "at", 0) * GRAPH_USEC_PER_SEC;
  query->epoch = json_object_get_int_member_with_default (root, "e", 0);
  query->members = json_object_get_boolean_member_with_default (root, "m", FALSE);
  query->select = strings_of (root, "s");
  query->ids = strings_of (root, "f");
  return query;
}

static char *
delta_initial_url (GraphCall *call, DeltaQuery *query)
{
  GString *url = g_string_new (call->base);

  g_string_append_printf (url, "/v1.0/%s/delta?", query->groups ? "groups" : "users");
  if (query->select != NULL || query->members)
    {
      g_string_append (url, "$select=");
      for (guint i = 0; query->select != NULL && i < query->select->len; i++)
        g_string_append_printf (url, "%s%s", i > 0 ? "," : "", (char *) g_ptr_array_index (query->select, i));
      if (query->groups && query->members && query->select != NULL)
        g_string_append_printf (url, "%smembers", query->select->len > 0 ? "," : "");
      g_string_append_c (url, '&');
    }
  if (query->ids != NULL)
    {
      g_string_append (url, "$filter=");
      for (guint i = 0; i < query->ids->len; i++)
        {
          g_autofree char *clause = g_strdup_printf ("id eq '%s'", (char *) g_ptr_array_index (query->ids, i));
          g_autofree char *escaped = escape (clause);

          g_string_append_printf (url, "%s%s", i > 0 ? "%20or%20" : "", escaped);
        }
      g_string_append_c (url, '&');
    }
  g_string_append (url, "$deltatoken=");
  return g_string_free (url, FALSE);
}

/* The expired-delta-token answer, in the switch's mode (§4.4, §8.2). */
static void
reply_delta_expired (GraphCall *call, DeltaQuery *query, const char *mode)
{
  if (g_strcmp0 (mode, "410-location") == 0)
    {
      g_autofree char *location = NULL;
      g_autoptr(DeltaQuery) fallback = NULL;

      if (query == NULL)
        {
          fallback = g_new0 (DeltaQuery, 1);
          fallback->groups = strstr (call->path, "/groups/") != NULL;
          query = fallback;
        }
      location = delta_initial_url (call, query);
      graph_call_error (call, 410, "syncStateNotFound", "The sync state generation is not found. The delta token "
                        "is expired and data must be synchronized again.");
      graph_call_header (call, "Location", location);
    }
  else if (g_strcmp0 (mode, "410-resync") == 0)
    graph_call_error (call, 410, "resyncRequired", "Resync required. The delta token is no longer valid; reset the "
                      "sync state and synchronize again.");
  else
    graph_call_error (call, 400, "syncStateNotFound", "The sync state generation is not found. The delta token is "
                      "expired and data must be synchronized again.");
}

/* ---------------------------------------------------------------- delta rounds */

static gboolean
wanted (DeltaQuery *query, GraphObject *object, GHashTable *ids)
{
  return object->kind == (query->groups ? GRAPH_GROUP : GRAPH_USER) && (ids == NULL || g_hash_table_contains (ids, object->id));
}

static GHashTable *
id_set (DeltaQuery *query)
{
  GHashTable *ids;

  if (query->ids == NULL)
    return NULL;
  ids = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < query->ids->len; i++)
    g_hash_table_add (ids, g_ptr_array_index (query->ids, i));
  return ids;
}

/* Did a selected property (or, without $select, any) change after @since? */
static gboolean
props_changed (GraphObject *object, DeltaQuery *query, guint64 since)
{
  guint n_props;
  const GraphProp *props;

  if (query->select != NULL)
    {
      for (guint i = 0; i < query->select->len; i++)
        if (graph_object_has_changed (object, g_ptr_array_index (query->select, i), since))
          return TRUE;
      return FALSE;
    }
  if (object->kind == GRAPH_USER)
    return object->changed_seq > since;
  props = graph_kind_props (object->kind, &n_props);
  for (guint i = 0; i < n_props; i++)
    if ((props[i].flags & PROP_DEFAULT) && graph_object_has_changed (object, props[i].name, since))
      return TRUE;
  return FALSE;
}

static GArray *
all_members (GraphObject *group)
{
  GArray *changes = g_array_new (FALSE, FALSE, sizeof (MemberChange));

  for (GList *l = group->members->head; l != NULL; l = l->next)
    {
      MemberChange change = { l->data, FALSE };

      if (change.member->life == GRAPH_ACTIVE)
        g_array_append_val (changes, change);
    }
  return changes;
}

/* The net membership changes of @group after @since: the last event per
 * member decides. */
static GArray *
member_changes (GraphObject *group, guint64 since)
{
  GArray *events = group->member_events;
  GArray *changes = g_array_new (FALSE, FALSE, sizeof (MemberChange));
  g_autoptr(GHashTable) last = g_hash_table_new (NULL, NULL);
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  guint first = 0;

  if (events == NULL)
    return changes;
  for (guint hi = events->len; first < hi;)
    {
      guint mid = (first + hi) / 2;

      if (g_array_index (events, GraphMemberEvent, mid).seq <= since)
        first = mid + 1;
      else
        hi = mid;
    }
  for (guint i = first; i < events->len; i++)
    {
      GraphMemberEvent *event = &g_array_index (events, GraphMemberEvent, i);

      if (!g_hash_table_contains (last, event->member))
        g_ptr_array_add (order, event->member);
      g_hash_table_insert (last, event->member, GINT_TO_POINTER (event->added));
    }
  for (guint i = 0; i < order->len; i++)
    {
      GraphObject *member = g_ptr_array_index (order, i);
      gboolean added = GPOINTER_TO_INT (g_hash_table_lookup (last, member));
      MemberChange change = { member, !added || member->life != GRAPH_ACTIVE ||
                                      !g_hash_table_contains (group->member_links, member) };

      g_array_append_val (changes, change);
    }
  return changes;
}

static GArray *
initial_round (GraphTenant *tenant, DeltaQuery *query)
{
  GArray *items = g_array_new (FALSE, TRUE, sizeof (DeltaItem));
  g_autoptr(GHashTable) ids = id_set (query);
  GPtrArray *objects = tenant->by_kind[query->groups ? GRAPH_GROUP : GRAPH_USER];

  g_array_set_clear_func (items, (GDestroyNotify) delta_item_clear);
  for (guint i = 0; i < objects->len; i++)
    {
      GraphObject *object = g_ptr_array_index (objects, i);
      DeltaItem item = { object, NULL, TRUE, TRUE, NULL };

      if (object->life != GRAPH_ACTIVE || !wanted (query, object, ids))
        continue;
      if (query->groups && query->members)
        item.members = all_members (object);
      g_array_append_val (items, item);
    }
  return items;
}

/* The objects that changed after @since, oldest change first: a walk
 * back from the newest change, so O(changes). */
static GArray *
changes_round (GraphTenant *tenant, DeltaQuery *query, gboolean replay, const char *soft_delete_reason)
{
  GArray *items = g_array_new (FALSE, TRUE, sizeof (DeltaItem));
  g_autoptr(GHashTable) ids = id_set (query);
  guint64 since = query->watermark;
  GList *first = NULL;

  g_array_set_clear_func (items, (GDestroyNotify) delta_item_clear);
  for (GList *l = tenant->changes.tail; l != NULL && ((GraphObject *) l->data)->changed_seq > since; l = l->prev)
    first = l;
  for (GList *l = first; l != NULL; l = l->next)
    {
      GraphObject *object = l->data;
      DeltaItem item = { object, NULL, FALSE, FALSE, NULL };

      if (!wanted (query, object, ids))
        continue;
      if (object->life == GRAPH_PURGED)
        {
          if (object->life_seq <= since)
            continue;
          item.removed = "deleted";
        }
      else if (object->life == GRAPH_SOFT_DELETED)
        {
          if (object->life_seq <= since)
            continue;
          item.removed = soft_delete_reason;
        }
      else if (object->created_seq > since)
        {
          item.created = TRUE;
          item.props = TRUE;
          if (query->groups && query->members)
            item.members = all_members (object);
        }
      else
        {
          item.props = props_changed (object, query, since);
          if (query->groups && query->members && object->members_seq > since)
            {
              item.members = member_changes (object, since);
              if (item.members->len == 0)
                g_clear_pointer (&item.members, g_array_unref);
            }
          if (!item.props && item.members == NULL)
            continue;
        }
      g_array_append_val (items, item);
    }
  if (replay)
    {
      /* Every object a second time, as Graph may replay changes. */
      guint n = items->len;

      for (guint i = 0; i < n; i++)
        {
          DeltaItem copy = g_array_index (items, DeltaItem, i);

          if (copy.members != NULL)
            {
              GArray *members = g_array_sized_new (FALSE, FALSE, sizeof (MemberChange), copy.members->len);

              g_array_append_vals (members, copy.members->data, copy.members->len);
              copy.members = members;
            }
          g_array_append_val (items, copy);
        }
    }
  return items;
}

static JsonObject *
render_delta_item (GraphSession *session, DeltaItem *item, guint member_from, guint member_to, guint readable)
{
  DeltaQuery *query = session->query;
  GraphObject *object = item->object;
  JsonObject *out;

  if (item->removed != NULL)
    {
      JsonObject *removed = json_object_new ();

      out = json_object_new ();
      if (query->groups)
        json_object_set_string_member (out, "@odata.type", graph_kind_odata_type (object->kind));
      json_object_set_string_member (out, "id", object->id);
      json_object_set_string_member (removed, "reason", item->removed);
      json_object_set_object_member (out, "@removed", removed);
      return out;
    }
  if (query->groups && query->select != NULL && query->select->len == 0)
    {
      out = json_object_new ();
      json_object_set_string_member (out, "id", object->id);
    }
  else if (session->minimal && !item->created)
    {
      /* Prefer: return=minimal — only what changed in this round. */
      guint n_props;
      const GraphProp *props = graph_kind_props (object->kind, &n_props);

      out = json_object_new ();
      json_object_set_string_member (out, "id", object->id);
      for (guint i = 0; i < n_props; i++)
        if ((query->select == NULL || g_ptr_array_find_with_equal_func (query->select, props[i].name, g_str_equal, NULL)) &&
            graph_object_has_changed (object, props[i].name, session->since))
          set_value (out, &props[i], graph_object_value (object, &props[i]), FALSE);
    }
  else
    out = render_object (object, query->select, FALSE, TRUE, !(readable & (1u << object->kind)));

  if (item->members != NULL)
    {
      JsonArray *members = json_array_new ();

      for (guint i = member_from; i < member_to; i++)
        {
          MemberChange *change = &g_array_index (item->members, MemberChange, i);
          JsonObject *entry = json_object_new ();

          json_object_set_string_member (entry, "@odata.type", graph_kind_odata_type (change->member->kind));
          json_object_set_string_member (entry, "id", change->member->id);
          if (change->removed)
            {
              JsonObject *removed = json_object_new ();

              json_object_set_string_member (removed, "reason", "deleted");
              json_object_set_object_member (entry, "@removed", removed);
            }
          json_array_add_object_element (members, entry);
        }
      json_object_set_array_member (out, "members@delta", members);
    }
  return out;
}

static guint
max_page_size (GraphCall *call, guint fallback)
{
  const char *prefer = graph_call_request_header (call, "prefer");
  const char *found = prefer != NULL ? strstr (prefer, "odata.maxpagesize=") : NULL;
  guint64 value;

  if (found != NULL)
    {
      g_autofree char *digits = g_strndup (found + strlen ("odata.maxpagesize="),
                                           strspn (found + strlen ("odata.maxpagesize="), "0123456789"));

      if (g_ascii_string_to_unsigned (digits, 10, 1, 100000, &value, NULL))
        return MIN (fallback, value);
    }
  return fallback;
}

/* One page of a delta round from (@item, @member). Groups with more
 * member changes than fit are split: the same group repeats on the next
 * page with the following members@delta. */
static void
serve_delta_page (GraphCall *call, GraphSession *session, guint item, guint member, gboolean registered)
{
  GraphSwitches *sw = graph_server_switches (call->server);
  JsonObject *root = json_object_new ();
  JsonArray *value = json_array_new ();
  guint budget = max_page_size (call, MIN (sw->delta_page_size, sw->page_size == 999 ? G_MAXUINT : sw->page_size));
  guint used = 0;
  guint readable = readable_kinds (call);

  json_object_set_string_member (root, "@odata.context", session->context);
  while (!call->empty_page && item < session->items->len && used < budget)
    {
      DeltaItem *entry = &g_array_index (session->items, DeltaItem, item);
      guint n_members = entry->members != NULL ? entry->members->len : 0;
      guint take = MIN (n_members - member, budget - used - 1 > 0 ? budget - used - 1 : 0);

      if (n_members > 0 && take == 0 && used > 0)
        break;
      if (n_members > 0 && take == 0)
        take = 1;
      json_array_add_object_element (value, render_delta_item (session, entry, member, member + take, readable));
      used += 1 + take;
      member += take;
      if (member >= n_members)
        {
          item++;
          member = 0;
        }
    }
  json_object_set_array_member (root, "value", value);
  if (call->empty_page || item < session->items->len)
    {
      g_autofree char *token = page_token (session, item, member, TRUE);
      g_autofree char *escaped = escape (token);
      g_autofree char *link = g_strdup_printf ("%s/v1.0/%s/delta?$skiptoken=%s", call->base,
                                               session->query->groups ? "groups" : "users", escaped);

      json_object_set_string_member (root, "@odata.nextLink", link);
      if (!registered)
        graph_server_session_add (call->server, session, session->items->len);
      registered = TRUE;
    }
  else
    json_object_set_string_member (root, "@odata.deltaLink", session->delta_link);
  if (session->minimal)
    graph_call_header (call, "Preference-Applied", "return=minimal");
  graph_call_reply (call, 200, emu_object_node (root));
  if (!registered)
    graph_session_free (session);
}

/* Reads $select and $filter of a first delta call into @query. */
static gboolean
parse_delta_query (GraphCall *call, DeltaQuery *query)
{
  const char *select_text = graph_call_query (call, "$select");
  const char *filter_text = graph_call_query (call, "$filter");
  GraphKind kind = query->groups ? GRAPH_GROUP : GRAPH_USER;
  GraphError error = { 0 };

  query->members = query->groups && select_text == NULL;
  if (select_text != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (select_text, ",", -1);
      g_autoptr(GString) rest = g_string_new (NULL);

      for (guint i = 0; parts[i] != NULL; i++)
        {
          const char *part = g_strstrip (parts[i]);

          if (query->groups && g_ascii_strcasecmp (part, "members") == 0)
            query->members = TRUE;
          else
            g_string_append_printf (rest, "%s%s", rest->len > 0 ? "," : "", part);
        }
      if (rest->len > 0)
        {
          query->select = graph_select_parse (rest->str, 1u << kind, TRUE, &error);
          if (query->select == NULL)
            {
              graph_call_graph_error (call, &error);
              graph_error_clear (&error);
              return FALSE;
            }
        }
      else
        query->select = g_ptr_array_new_with_free_func (g_free);
    }
  if (filter_text != NULL)
    {
      g_autoptr(GraphFilter) filter = graph_filter_parse (filter_text, kind, FALSE, &error);

      if (filter == NULL)
        {
          graph_call_graph_error (call, &error);
          graph_error_clear (&error);
          return FALSE;
        }
      query->ids = graph_filter_id_list (filter);
      if (query->ids == NULL)
        {
          graph_call_error (call, 400, "Request_UnsupportedQuery", "Delta queries support $filter on id only: "
                            "id eq '…' joined by 'or'.");
          return FALSE;
        }
      if (query->ids->len > MAX_DELTA_IDS)
        {
          g_autofree char *message = g_strdup_printf ("Too many ids in the filter: %u. At most %u are allowed.",
                                                      query->ids->len, MAX_DELTA_IDS);

          graph_call_error (call, 400, "Request_UnsupportedQuery", message);
          return FALSE;
        }
    }
  return TRUE;
}

static void
delta (GraphCall *call, gboolean groups)
{
  static const char *const allowed[] = { "$select", "$filter", "$deltatoken", "$skiptoken", NULL };
  GraphSwitches *sw = graph_server_switches (call->server);
  GraphTenant *tenant = call->token->tenant;
  GraphState *state = graph_server_state (call->server);
  const char *deltatoken = graph_call_query (call, "$deltatoken");
  const char *skiptoken = graph_call_query (call, "$skiptoken");
  const char *prefer = graph_call_request_header (call, "prefer");
  g_autoptr(DeltaQuery) query = NULL;
  GraphSession *session;
  DeltaQuery *next;
  gboolean latest = g_strcmp0 (deltatoken, "latest") == 0;
  gboolean initial;

  graph_call_set_route (call, groups ? "/v1.0/groups/delta" : "/v1.0/users/delta");
  call->ru_cost = 1;
  if (!permitted (call, groups ? groups_perms : users_perms))
    return;
  if (graph_call_query (call, "$top") != NULL || graph_call_query (call, "$orderby") != NULL ||
      graph_call_query (call, "$expand") != NULL || graph_call_query (call, "$search") != NULL)
    {
      graph_call_error (call, 400, "Request_UnsupportedQuery", "Delta queries do not support $top, $orderby, "
                        "$expand or $search.");
      return;
    }
  if (!check_options (call, allowed))
    return;

  if (skiptoken != NULL)
    {
      guint item = 0;
      guint member = 0;

      session = lookup_token (call, skiptoken, &item, &member);
      if (call->delta_expired != NULL || session == NULL || !session->delta ||
          session->query->groups != groups || session->query->epoch != graph_server_delta_epoch (call->server) ||
          item > session->items->len)
        {
          reply_delta_expired (call, session != NULL && session->delta ? session->query : NULL,
                               call->delta_expired != NULL ? call->delta_expired : sw->delta_expiry);
          return;
        }
      serve_delta_page (call, session, item, member, TRUE);
      return;
    }

  initial = deltatoken == NULL || *deltatoken == '\0' || latest;
  if (initial)
    {
      query = g_new0 (DeltaQuery, 1);
      query->groups = groups;
      if (!parse_delta_query (call, query))
        return;
    }
  else
    {
      query = delta_token_decode (deltatoken);
      if (call->delta_expired != NULL || query == NULL || query->groups != groups ||
          g_strcmp0 (query->tenant, tenant->id) != 0 || g_strcmp0 (query->instance, state->instance) != 0 ||
          query->epoch != graph_server_delta_epoch (call->server) ||
          query->issued + sw->delta_lifetime * GRAPH_USEC_PER_SEC < call->now ||
          query->watermark > tenant->seq)
        {
          reply_delta_expired (call, query != NULL && query->groups == groups ? query : NULL,
                               call->delta_expired != NULL ? call->delta_expired : sw->delta_expiry);
          return;
        }
    }

  session = session_new (call, tenant);
  session->delta = TRUE;
  session->since = initial ? 0 : query->watermark;
  session->minimal = !initial && prefer != NULL && strstr (prefer, "return=minimal") != NULL;
  if (latest)
    session->items = g_array_new (FALSE, TRUE, sizeof (DeltaItem));
  else if (initial)
    session->items = initial_round (tenant, query);
  else
    session->items = changes_round (tenant, query, sw->delta_replay,
                                    g_intern_string (sw->soft_delete_reason));

  /* The next round starts where this one started. */
  next = g_new0 (DeltaQuery, 1);
  next->groups = groups;
  next->watermark = tenant->seq;
  next->issued = call->now;
  next->epoch = graph_server_delta_epoch (call->server);
  next->tenant = g_strdup (tenant->id);
  next->instance = g_strdup (state->instance);
  next->members = query->members;
  next->select = query->select != NULL ? g_ptr_array_copy (query->select, (GCopyFunc) g_strdup, NULL) : NULL;
  next->ids = query->ids != NULL ? g_ptr_array_copy (query->ids, (GCopyFunc) g_strdup, NULL) : NULL;
  if (next->select != NULL)
    g_ptr_array_set_free_func (next->select, g_free);
  if (next->ids != NULL)
    g_ptr_array_set_free_func (next->ids, g_free);
  {
    g_autofree char *token = delta_token_encode (next);

    session->delta_link = g_strdup_printf ("%s/v1.0/%s/delta?$deltatoken=%s", call->base,
                                           groups ? "groups" : "users", token);
  }
  session->query = next;
  session->context = context_url (call, groups ? "groups" : "users",
                                  next->select != NULL && next->select->len > 0 ? next->select : NULL, FALSE);
  serve_delta_page (call, session, 0, 0, FALSE);
}

/* ---------------------------------------------------------------- deleted items */

static void
deleted_items (GraphCall *call)
{
  static const char *const allowed[] = { "$select", "$top", "$skiptoken", NULL };
  const char *what = call->n_segments >= 4 ? call->segments[3] : NULL;
  GraphTenant *tenant;
  GraphKind kind;
  const char *select_text = graph_call_query (call, "$select");
  g_autoptr(GPtrArray) select = NULL;
  g_autoptr(GPtrArray) objects = NULL;
  GraphError error = { 0 };
  guint top;

  call->ru_cost = 1;
  if (what == NULL)
    {
      graph_call_set_route (call, "/v1.0/directory/deletedItems");
      graph_call_error (call, 400, "Request_BadRequest", "Unsupported query: cast to the type of deleted item, "
                        "e.g. /directory/deletedItems/microsoft.graph.user.");
      return;
    }
  tenant = call->token->tenant;
  if (!graph_kind_from_name (what, &kind) || !g_str_has_prefix (what, "microsoft.graph."))
    {
      /* GET /directory/deletedItems/{id} */
      GraphObject *object = graph_tenant_lookup (tenant, what);
      JsonObject *out;
      g_autofree char *context = NULL;

      graph_call_set_route (call, "/v1.0/directory/deletedItems/{id}");
      if (object == NULL || object->life != GRAPH_SOFT_DELETED)
        {
          g_autofree char *message = g_strdup_printf ("Resource '%s' does not exist or one of its queried "
                                                      "reference-property objects are not present.", what);

          graph_call_error (call, 404, "Request_ResourceNotFound", message);
          return;
        }
      if (!permitted (call, object->kind == GRAPH_USER ? users_perms : groups_perms))
        return;
      if (select_text != NULL && (select = graph_select_parse (select_text, 1u << object->kind, FALSE, &error)) == NULL)
        {
          graph_call_graph_error (call, &error);
          graph_error_clear (&error);
          return;
        }
      out = render_object (object, select, TRUE, FALSE, FALSE);
      context = context_url (call, "directory/deletedItems", select, TRUE);
      json_object_set_string_member (out, "@odata.context", context);
      graph_call_reply (call, 200, emu_object_node (out));
      return;
    }
  graph_call_set_route (call, kind == GRAPH_USER ? "/v1.0/directory/deletedItems/microsoft.graph.user" :
                        "/v1.0/directory/deletedItems/{cast}");
  if (!permitted (call, kind == GRAPH_USER ? users_perms : groups_perms) || continue_list (call) ||
      !check_options (call, allowed) || !parse_top (call, &top))
    return;
  if (kind != GRAPH_USER && kind != GRAPH_GROUP)
    {
      graph_call_error (call, 400, "Request_BadRequest", "Deleted items can be listed for users and groups.");
      return;
    }
  if (select_text != NULL && (select = graph_select_parse (select_text, 1u << kind, TRUE, &error)) == NULL)
    {
      graph_call_graph_error (call, &error);
      graph_error_clear (&error);
      return;
    }
  objects = g_ptr_array_new ();
  for (GList *l = tenant->deleted.head; l != NULL; l = l->next)
    if (((GraphObject *) l->data)->kind == kind)
      g_ptr_array_add (objects, l->data);
  start_list (call, g_steal_pointer (&objects), g_steal_pointer (&select), FALSE, top,
              kind == GRAPH_USER ? "directory/deletedItems/microsoft.graph.user" :
              "directory/deletedItems/microsoft.graph.group");
}

/* ---------------------------------------------------------------- organization */

static void
organization (GraphCall *call)
{
  GraphTenant *tenant = call->token->tenant;
  JsonObject *root = json_object_new ();
  JsonArray *value = json_array_new ();
  JsonObject *org = json_object_new ();
  JsonArray *domains = json_array_new ();
  g_autofree char *context = g_strdup_printf ("%s/v1.0/$metadata#organization", call->base);

  graph_call_set_route (call, "/v1.0/organization");
  call->ru_cost = 1;
  if (!permitted (call, org_perms))
    {
      json_object_unref (root);
      json_array_unref (value);
      json_object_unref (org);
      json_array_unref (domains);
      return;
    }
  json_object_set_string_member (org, "id", tenant->id);
  json_object_set_string_member (org, "displayName", tenant->name);
  json_object_set_string_member (org, "tenantType", "AAD");
  for (guint i = 0; i < tenant->domains->len; i++)
    {
      JsonObject *domain = json_object_new ();

      json_object_set_string_member (domain, "capabilities", i == 0 ? "Email, OfficeCommunicationsOnline" : "None");
      json_object_set_boolean_member (domain, "isDefault", i == 0);
      json_object_set_boolean_member (domain, "isInitial",
                                      g_str_has_suffix (g_ptr_array_index (tenant->domains, i), ".onmicrosoft.com"));
      json_object_set_string_member (domain, "name", g_ptr_array_index (tenant->domains, i));
      json_object_set_string_member (domain, "type", "Managed");
      json_array_add_object_element (domains, domain);
    }
  json_object_set_array_member (org, "verifiedDomains", domains);
  if (graph_call_query (call, "$select") != NULL)
    {
      g_auto(GStrv) names = g_strsplit (graph_call_query (call, "$select"), ",", -1);
      g_autoptr(GList) members = json_object_get_members (org);

      for (GList *l = members; l != NULL; l = l->next)
        if (!g_str_equal (l->data, "id") && !g_strv_contains ((const char *const *) names, l->data))
          json_object_remove_member (org, l->data);
    }
  json_array_add_object_element (value, org);
  json_object_set_string_member (root, "@odata.context", context);
  json_object_set_array_member (root, "value", value);
  graph_call_reply (call, 200, emu_object_node (root));
}

/* ---------------------------------------------------------------- $batch */

static void
batch (GraphCall *call)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *body = NULL;
  JsonArray *requests = NULL;
  g_autoptr(GHashTable) statuses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  JsonArray *responses;
  JsonObject *root;
  guint64 batch_seq = graph_server_current_seq (call->server);

  graph_call_set_route (call, "/v1.0/$batch");
  if (!g_str_equal (call->method, "POST"))
    {
      graph_call_error (call, 405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.");
      return;
    }
  if (call->body != NULL && json_parser_load_from_data (parser, g_bytes_get_data (call->body, NULL),
                                                        g_bytes_get_size (call->body), NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    body = json_node_get_object (json_parser_get_root (parser));
  if (body != NULL && json_object_has_member (body, "requests") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (body, "requests")))
    requests = json_object_get_array_member (body, "requests");
  if (requests == NULL || json_array_get_length (requests) == 0)
    {
      graph_call_error (call, 400, "BadRequest", "Invalid batch payload format.");
      return;
    }
  if (json_array_get_length (requests) > BATCH_MAX)
    {
      graph_call_error (call, 400, "BadRequest", "The number of requests in a batch must not exceed 20.");
      return;
    }
  for (guint i = 0; i < json_array_get_length (requests); i++)
    {
      JsonObject *part = json_array_get_object_element (requests, i);
      const char *id = part != NULL ? json_object_get_string_member_with_default (part, "id", NULL) : NULL;

      if (id == NULL || json_object_get_string_member_with_default (part, "method", NULL) == NULL ||
          json_object_get_string_member_with_default (part, "url", NULL) == NULL)
        {
          graph_call_error (call, 400, "BadRequest", "Every batch request needs id, method and url.");
          return;
        }
      if (g_hash_table_contains (statuses, id))
        {
          g_autofree char *message = g_strdup_printf ("Batch request contains duplicate request id '%s'.", id);

          graph_call_error (call, 400, "BadRequest", message);
          return;
        }
      g_hash_table_insert (statuses, g_strdup (id), GUINT_TO_POINTER (0));
    }
  g_hash_table_remove_all (statuses);

  responses = json_array_new ();
  for (guint i = 0; i < json_array_get_length (requests); i++)
    {
      JsonObject *part = json_array_get_object_element (requests, i);
      const char *id = json_object_get_string_member (part, "id");
      JsonArray *depends = json_object_has_member (part, "dependsOn") ?
                           json_object_get_array_member (part, "dependsOn") : NULL;
      JsonObject *headers = json_object_has_member (part, "headers") ?
                            json_object_get_object_member (part, "headers") : NULL;
      JsonNode *part_body = json_object_get_member (part, "body");
      JsonObject *response = json_object_new ();
      JsonObject *response_headers = json_object_new ();
      gboolean failed_dependency = FALSE;
      g_autoptr(GraphCall) result = NULL;
      guint status;

      for (guint d = 0; depends != NULL && d < json_array_get_length (depends); d++)
        {
          gpointer dep_status;
          const char *dep = json_array_get_string_element (depends, d);

          if (dep == NULL || !g_hash_table_lookup_extended (statuses, dep, NULL, &dep_status) ||
              GPOINTER_TO_UINT (dep_status) < 200 || GPOINTER_TO_UINT (dep_status) > 299)
            failed_dependency = TRUE;
        }
      json_object_set_string_member (response, "id", id);
      if (failed_dependency)
        {
          status = 424;
          json_object_set_int_member (response, "status", status);
          json_object_set_member (response, "body", graph_error_body (call, "FailedDependency",
                                                                      "A request this one depends on failed."));
          json_object_set_string_member (response_headers, "Content-Type", "application/json");
        }
      else
        {
          result = graph_server_run_part (call->server, call, json_object_get_string_member (part, "method"),
                                          json_object_get_string_member (part, "url"), headers, part_body,
                                          batch_seq);
          if (result == NULL)
            {
              status = 400;
              json_object_set_int_member (response, "status", status);
              json_object_set_member (response, "body", graph_error_body (call, "BadRequest", "Invalid request URL."));
            }
          else
            {
              status = result->status;
              json_object_set_int_member (response, "status", status);
              for (guint h = 0; h + 1 < result->out_headers->len; h += 2)
                json_object_set_string_member (response_headers, g_ptr_array_index (result->out_headers, h),
                                               g_ptr_array_index (result->out_headers, h + 1));
              if (result->answer != NULL)
                {
                  json_object_set_string_member (response_headers, "Content-Type",
                                                 "application/json;odata.metadata=minimal;"
                                                 "odata.streaming=true;IEEE754Compatible=false;charset=utf-8");
                  json_object_set_member (response, "body", json_node_ref (result->answer));
                }
              else if (result->text_answer != NULL)
                {
                  json_object_set_string_member (response_headers, "Content-Type", "text/plain");
                  json_object_set_string_member (response, "body", result->text_answer);
                }
            }
        }
      json_object_set_object_member (response, "headers", response_headers);
      json_array_add_object_element (responses, response);
      g_hash_table_insert (statuses, g_strdup (id), GUINT_TO_POINTER (status));
    }
  root = json_object_new ();
  json_object_set_array_member (root, "responses", responses);
  graph_call_reply (call, 200, emu_object_node (root));
}

/* ---------------------------------------------------------------- dispatch */

static gboolean
is_delta_segment (const char *segment)
{
  return g_str_equal (segment, "delta") || g_str_equal (segment, "delta()") ||
         g_str_equal (segment, "microsoft.graph.delta()") || g_str_equal (segment, "microsoft.graph.delta");
}

void
graph_api_handle (GraphCall *call)
{
  /* segments[0] is "v1.0" */
  const char *const *s = (const char *const *) call->segments;
  guint n = call->n_segments;
  gboolean get = g_str_equal (call->method, "GET");

  if (n >= 2 && g_str_equal (s[1], "$batch"))
    {
      if (graph_auth_check (call))
        batch (call);
      return;
    }
  if (!graph_auth_check (call))
    {
      graph_call_set_route (call, call->path);
      return;
    }
  if (!get)
    {
      graph_call_error (call, 405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.");
      return;
    }

  if (n == 2 && g_str_equal (s[1], "users"))
    {
      graph_call_set_route (call, "/v1.0/users");
      list_collection (call, GRAPH_USER);
    }
  else if (n == 3 && g_str_equal (s[1], "users") && g_str_equal (s[2], "$count"))
    {
      graph_call_set_route (call, "/v1.0/users/$count");
      count_collection (call, GRAPH_USER);
    }
  else if (n == 3 && g_str_equal (s[1], "users") && is_delta_segment (s[2]))
    delta (call, FALSE);
  else if (n == 3 && g_str_equal (s[1], "users"))
    {
      graph_call_set_route (call, "/v1.0/users/{id}");
      get_one (call, GRAPH_USER, s[2]);
    }
  else if (n == 4 && g_str_equal (s[1], "users") && g_str_equal (s[3], "manager"))
    {
      graph_call_set_route (call, "/v1.0/users/{id}/manager");
      get_manager (call, s[2]);
    }
  else if (n == 2 && g_str_equal (s[1], "groups"))
    {
      graph_call_set_route (call, "/v1.0/groups");
      list_collection (call, GRAPH_GROUP);
    }
  else if (n == 3 && g_str_equal (s[1], "groups") && g_str_equal (s[2], "$count"))
    {
      graph_call_set_route (call, "/v1.0/groups/$count");
      count_collection (call, GRAPH_GROUP);
    }
  else if (n == 3 && g_str_equal (s[1], "groups") && is_delta_segment (s[2]))
    delta (call, TRUE);
  else if (n == 3 && g_str_equal (s[1], "groups"))
    {
      graph_call_set_route (call, "/v1.0/groups/{id}");
      get_one (call, GRAPH_GROUP, s[2]);
    }
  else if ((n == 4 || n == 5) && g_str_equal (s[1], "groups") &&
           (g_str_equal (s[3], "members") || g_str_equal (s[3], "transitiveMembers")))
    list_members (call, s[2], g_str_equal (s[3], "transitiveMembers"), n == 5 ? s[4] : NULL);
  else if (n >= 3 && n <= 4 && g_str_equal (s[1], "directory") && g_str_equal (s[2], "deletedItems"))
    deleted_items (call);
  else if (n == 2 && g_str_equal (s[1], "organization"))
    organization (call);
  else
    {
      g_autofree char *message = g_strdup_printf ("Resource not found for the segment '%s'.", n >= 2 ? s[1] : "");

      graph_call_set_route (call, call->path);
      graph_call_error (call, 400, "BadRequest", message);
    }
}
