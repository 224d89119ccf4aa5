/* okta-api.c — the Management API (v1) of the Okta emulator: users,
 * groups, group members, the System Log, the org, with Link paging
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * §2–§6 and §8 of the contract. Lists answer a bare JSON array and page
 * with separate `link:` header lines (rel="self", rel="next"); cursors are
 * opaque and never look like ids. Each page walks an index from the
 * cursor, so it costs O(page) for the plain listing, a status filter, a
 * lastUpdated delta and group members.
 */

#include <stdlib.h>
#include <string.h>

#include "okta-private.h"

#define USERS_MAX        200
#define USERS_Q_DEFAULT  10
#define GROUPS_MAX       10000
#define GROUPS_Q_DEFAULT 300
#define MEMBERS_DEFAULT  1000
#define MEMBERS_MAX      10000
#define LOGS_DEFAULT     100
#define LOGS_MAX         1000

/* ---------------------------------------------------------------- routing */

static gboolean
seg (OktaCall *call, guint index, const char *text)
{
  return index < call->n_segments && g_str_equal (call->segments[index], text);
}

void
okta_api_classify (OktaCall *call)
{
  const char *route = NULL;

  call->bucket = OKTA_BUCKET_OTHER;
  call->rights = 0;
  call->scope = NULL;
  if (seg (call, 0, "oauth2") && call->n_segments >= 3 && g_str_equal (call->segments[call->n_segments - 1], "token") &&
      g_str_equal (call->segments[call->n_segments - 2], "v1"))
    {
      call->token_call = TRUE;
      route = call->n_segments == 3 ? "/oauth2/v1/token" : "/oauth2/{authServerId}/v1/token";
    }
  else if (seg (call, 0, "api") && seg (call, 1, "v1") && call->n_segments >= 3)
    {
      const char *what = call->segments[2];

      if (g_str_equal (what, "users"))
        {
          call->rights = OKTA_RIGHT_USERS;
          call->scope = "okta.users.read";
          if (call->n_segments == 3)
            call->bucket = OKTA_BUCKET_USERS, route = "/api/v1/users";
          else
            {
              call->bucket = OKTA_BUCKET_USER;
              if (call->n_segments == 4)
                route = seg (call, 3, "me") ? "/api/v1/users/me" : "/api/v1/users/{id}";
              else if (call->n_segments == 5 && seg (call, 4, "groups"))
                route = "/api/v1/users/{id}/groups";
            }
        }
      else if (g_str_equal (what, "groups"))
        {
          call->rights = OKTA_RIGHT_GROUPS;
          call->scope = "okta.groups.read";
          if (call->n_segments == 3)
            call->bucket = OKTA_BUCKET_GROUPS, route = "/api/v1/groups";
          else if (seg (call, 3, "rules") && call->n_segments == 4)
            call->bucket = OKTA_BUCKET_GROUPS, route = "/api/v1/groups/rules";
          else
            {
              call->bucket = OKTA_BUCKET_GROUP;
              if (call->n_segments == 4)
                route = "/api/v1/groups/{id}";
              else if (call->n_segments == 5 && seg (call, 4, "users"))
                route = "/api/v1/groups/{id}/users";
            }
        }
      else if (g_str_equal (what, "logs") && call->n_segments == 3)
        {
          call->bucket = OKTA_BUCKET_LOGS;
          call->rights = OKTA_RIGHT_LOGS;
          call->scope = "okta.logs.read";
          route = "/api/v1/logs";
        }
      else if (g_str_equal (what, "org") && call->n_segments == 3)
        {
          call->rights = OKTA_RIGHT_ORG;
          call->scope = "okta.orgs.read";
          route = "/api/v1/org";
        }
    }
  if (route != NULL)
    okta_call_set_route (call, route);
}

/* ---------------------------------------------------------------- JSON */

static void
set_time (JsonObject *object, const char *name, gint64 ms)
{
  if (ms == 0)
    json_object_set_null_member (object, name);
  else
    {
      g_autofree char *text = okta_format_time (ms);

      json_object_set_string_member (object, name, text);
    }
}

static JsonObject *
href (const char *base, const char *collection, const char *id, const char *tail, const char *method)
{
  JsonObject *link = json_object_new ();
  g_autofree char *url = g_strconcat (base, collection, id, tail, NULL);

  json_object_set_string_member (link, "href", url);
  if (method != NULL)
    json_object_set_string_member (link, "method", method);
  return link;
}

JsonNode *
okta_user_json (OktaUser *user, const char *base, gboolean collection, gboolean credentials, OktaFields *fields)
{
  JsonObject *object = json_object_new ();
  JsonObject *links = json_object_new ();

  json_object_set_string_member (object, "id", user->id);
  if (okta_fields_has (fields, "status"))
    json_object_set_string_member (object, "status", okta_status_name (user->status));
  if (okta_fields_has (fields, "transitioningToStatus"))
    {
      if (user->transitioning != OKTA_NO_STATUS)
        json_object_set_string_member (object, "transitioningToStatus", okta_status_name (user->transitioning));
      else
        json_object_set_null_member (object, "transitioningToStatus");
    }
  if (okta_fields_has (fields, "created"))
    set_time (object, "created", user->created);
  if (okta_fields_has (fields, "activated"))
    set_time (object, "activated", user->activated);
  if (okta_fields_has (fields, "statusChanged"))
    set_time (object, "statusChanged", user->status_changed);
  if (okta_fields_has (fields, "lastLogin"))
    set_time (object, "lastLogin", user->last_login);
  if (okta_fields_has (fields, "lastUpdated"))
    set_time (object, "lastUpdated", user->last_updated);
  if (okta_fields_has (fields, "passwordChanged"))
    set_time (object, "passwordChanged", user->password_changed);
  if (okta_fields_has (fields, "type"))
    {
      JsonObject *type = json_object_new ();

      json_object_set_string_member (type, "id", user->type_id);
      json_object_set_object_member (object, "type", type);
    }
  if (okta_fields_has (fields, "profile"))
    {
      JsonObject *profile = json_object_new ();
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      json_object_iter_init_ordered (&iter, user->profile);
      while (json_object_iter_next_ordered (&iter, &name, &value))
        if (okta_fields_has_profile (fields, name))
          json_object_set_member (profile, name, json_node_copy (value));
      json_object_set_object_member (object, "profile", profile);
    }
  if (credentials && fields == NULL)
    {
      JsonObject *creds = json_object_new ();
      JsonObject *provider = json_object_new ();

      json_object_set_string_member (provider, "type", user->provider_type);
      json_object_set_string_member (provider, "name", user->provider_name);
      json_object_set_object_member (creds, "provider", provider);
      json_object_set_object_member (object, "credentials", creds);
    }
  if (fields == NULL || okta_fields_has (fields, "_links"))
    {
      json_object_set_object_member (links, "self", href (base, "/api/v1/users/", user->id, "", NULL));
      if (!collection)
        {
          if (user->status == OKTA_STAGED || user->status == OKTA_DEPROVISIONED)
            json_object_set_object_member (links, "activate",
                                           href (base, "/api/v1/users/", user->id, "/lifecycle/activate", "POST"));
          if (user->status == OKTA_ACTIVE)
            json_object_set_object_member (links, "suspend",
                                           href (base, "/api/v1/users/", user->id, "/lifecycle/suspend", "POST"));
          if (user->status == OKTA_SUSPENDED)
            json_object_set_object_member (links, "unsuspend",
                                           href (base, "/api/v1/users/", user->id, "/lifecycle/unsuspend", "POST"));
          if (user->status == OKTA_LOCKED_OUT)
            json_object_set_object_member (links, "unlock",
                                           href (base, "/api/v1/users/", user->id, "/lifecycle/unlock", "POST"));
          if (user->status != OKTA_DEPROVISIONED)
            json_object_set_object_member (links, "deactivate",
                                           href (base, "/api/v1/users/", user->id, "/lifecycle/deactivate", "POST"));
        }
      json_object_set_object_member (object, "_links", links);
    }
  else
    json_object_unref (links);
  return emu_object_node (object);
}

JsonNode *
okta_group_json (OktaGroup *group, const char *base, gboolean stats)
{
  JsonObject *object = json_object_new ();
  JsonObject *links = json_object_new ();
  JsonArray *classes = json_array_new ();

  json_object_set_string_member (object, "id", group->id);
  set_time (object, "created", group->created);
  set_time (object, "lastUpdated", group->last_updated);
  set_time (object, "lastMembershipUpdated", group->last_membership_updated);
  json_array_add_string_element (classes, g_str_equal (group->type, "APP_GROUP") ?
                                 "okta:windows_security_principal" : "okta:user_group");
  json_object_set_array_member (object, "objectClass", classes);
  json_object_set_string_member (object, "type", group->type);
  json_object_set_object_member (object, "profile", json_object_ref (group->profile));
  if (group->source_id != NULL)
    {
      JsonObject *source = json_object_new ();

      json_object_set_string_member (source, "id", group->source_id);
      json_object_set_object_member (object, "source", source);
    }
  json_object_set_object_member (links, "self", href (base, "/api/v1/groups/", group->id, "", NULL));
  json_object_set_object_member (links, "users", href (base, "/api/v1/groups/", group->id, "/users", NULL));
  json_object_set_object_member (links, "apps", href (base, "/api/v1/groups/", group->id, "/apps", NULL));
  json_object_set_object_member (object, "_links", links);
  if (stats)
    {
      JsonObject *embedded = json_object_new ();
      JsonObject *numbers = json_object_new ();

      json_object_set_int_member (numbers, "usersCount", okta_group_size (group));
      json_object_set_int_member (numbers, "appsCount", 0);
      json_object_set_int_member (numbers, "groupPushMappingsCount", 0);
      json_object_set_boolean_member (numbers, "hasAdminPrivilege", FALSE);
      json_object_set_object_member (numbers, "_links", json_object_new ());
      json_object_set_object_member (embedded, "stats", numbers);
      json_object_set_object_member (object, "_embedded", embedded);
    }
  return emu_object_node (object);
}

static gboolean
wants_credentials (OktaCall *call)
{
  const char *content_type = okta_call_request_header (call, "content-type");
  const char *accept = okta_call_request_header (call, "accept");

  return !(content_type != NULL && strstr (content_type, "omitCredentials") != NULL) &&
         !(accept != NULL && strstr (accept, "omitCredentials") != NULL);
}

/* ---------------------------------------------------------------- paging */

static char *
cursor_encode (char kind, guint64 a, guint64 b)
{
  g_autofree char *text = g_strdup_printf ("v1:%c:%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT, kind, a, b);

  return okta_base64url ((const guint8 *) text, strlen (text));
}

static gboolean
cursor_decode (const char *cursor, char kind, guint64 *a, guint64 *b)
{
  g_autoptr(GBytes) bytes = okta_base64url_decode (cursor);
  g_autofree char *text = NULL;
  g_auto(GStrv) parts = NULL;
  char *end = NULL;

  if (bytes == NULL)
    return FALSE;
  text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  parts = g_strsplit (text, ":", -1);
  if (g_strv_length (parts) != 4 || !g_str_equal (parts[0], "v1") || parts[1][0] != kind || parts[1][1] != '\0')
    return FALSE;
  *a = g_ascii_strtoull (parts[2], &end, 10);
  if (*end != '\0')
    return FALSE;
  *b = g_ascii_strtoull (parts[3], &end, 10);
  return *end == '\0';
}

/* The query string without the parameters named in @drop (NULL-terminated),
 * as received (encoded). */
static GString *
query_without (OktaCall *call, const char *const *drop)
{
  GString *text = g_string_new (NULL);
  g_auto(GStrv) items = call->raw_query != NULL ? g_strsplit (call->raw_query, "&", -1) : NULL;

  for (guint i = 0; items != NULL && items[i] != NULL; i++)
    {
      const char *eq = strchr (items[i], '=');
      g_autofree char *name = eq != NULL ? g_strndup (items[i], eq - items[i]) : g_strdup (items[i]);

      if (*items[i] == '\0' || g_strv_contains (drop, name))
        continue;
      g_string_append_printf (text, "%s%s", text->len > 0 ? "&" : "", items[i]);
    }
  return text;
}

/* Link: <self>; rel="self" and, when @next_cursor, a second line with the
 * next page: the same query, without @drop, with after= and limit=. */
static void
link_headers_without (OktaCall *call, const char *next_cursor, guint limit, const char *const *drop)
{
  g_autofree char *self = g_strdup_printf ("<%s%s%s%s>; rel=\"self\"", call->base, call->path,
                                           call->raw_query != NULL ? "?" : "",
                                           call->raw_query != NULL ? call->raw_query : "");

  okta_call_header (call, "Link", self);
  if (next_cursor != NULL)
    {
      g_autoptr(GString) query = query_without (call, drop);
      const char *given = okta_call_query (call, "limit");
      g_autofree char *limit_text = given != NULL ? g_uri_escape_string (given, NULL, FALSE) :
                                    g_strdup_printf ("%u", limit);
      g_autofree char *next = NULL;

      g_string_append_printf (query, "%safter=%s&limit=%s", query->len > 0 ? "&" : "", next_cursor, limit_text);
      next = g_strdup_printf ("<%s%s?%s>; rel=\"next\"", call->base, call->path, query->str);
      okta_call_header (call, "Link", next);
    }
}

static void
link_headers (OktaCall *call, const char *next_cursor, guint limit)
{
  static const char *const drop[] = { "after", "limit", NULL };

  link_headers_without (call, next_cursor, limit, drop);
}

/* Reads ?limit= for a list with @fallback and @cap. FALSE after answering. */
static gboolean
page_limit (OktaCall *call, guint fallback, guint cap, gboolean zero_ok, guint *limit)
{
  const char *text = okta_call_query (call, "limit");
  OktaSwitches *sw = &call->server->sw;
  gint64 value = fallback;

  if (text != NULL)
    {
      char *end = NULL;

      value = g_ascii_strtoll (text, &end, 10);
      if (end == text || *end != '\0' || value < 0 || (value == 0 && !zero_ok))
        {
          okta_call_error (call, 400, "E0000001", "Api validation failed: limit");
          return FALSE;
        }
    }
  if (sw->timeout_limit > 0 && value > sw->timeout_limit)
    {
      /* §8.7: a page that large "took too long". */
      okta_call_error (call, 500, "E0000009", "Internal Server Error");
      return FALSE;
    }
  value = MIN (value, (gint64) cap);
  if (sw->page_size > 0)
    value = MIN (value, (gint64) sw->page_size);
  *limit = (guint) value;
  return TRUE;
}

static void
bad_cursor (OktaCall *call)
{
  okta_call_error (call, 400, "E0000001", "Api validation failed: after");
}

/* ---------------------------------------------------------------- ordered walks */

static int
compare_serial (gconstpointer a, gconstpointer b, gpointer data)
{
  guint64 sa = ((const OktaUser *) a)->serial;
  guint64 sb = ((const OktaUser *) b)->serial;

  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

static int
compare_updated (gconstpointer a, gconstpointer b, gpointer data)
{
  const OktaUser *ua = a;
  const OktaUser *ub = b;

  if (ua->last_updated != ub->last_updated)
    return ua->last_updated < ub->last_updated ? -1 : 1;
  return compare_serial (a, b, NULL);
}

static int
compare_mseq (gconstpointer a, gconstpointer b, gpointer data)
{
  guint64 sa = ((const OktaMember *) a)->mseq;
  guint64 sb = ((const OktaMember *) b)->mseq;

  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/* The first element strictly above @key. */
static GSequenceIter *
seek_after (GSequence *seq, gpointer key, GCompareDataFunc compare)
{
  GSequenceIter *iter = g_sequence_search (seq, key, compare, NULL);

  while (!g_sequence_iter_is_begin (iter) &&
         compare (g_sequence_get (g_sequence_iter_prev (iter)), key, NULL) > 0)
    iter = g_sequence_iter_prev (iter);
  while (!g_sequence_iter_is_end (iter) && compare (g_sequence_get (iter), key, NULL) <= 0)
    iter = g_sequence_iter_next (iter);
  return iter;
}

typedef struct {
  OktaDriveKind  kind;
  OktaOrg       *org;
  guint          index;
  GSequenceIter *iter;
  OktaUser      *single;
} Walk;

static OktaUser *
walk_next (Walk *walk)
{
  OktaUser *user;

  switch (walk->kind)
    {
    case OKTA_DRIVE_ID:
    case OKTA_DRIVE_LOGIN:
      user = walk->single;
      walk->single = NULL;
      return user;
    case OKTA_DRIVE_UPDATED:
    case OKTA_DRIVE_STATUS:
      if (walk->iter == NULL || g_sequence_iter_is_end (walk->iter))
        return NULL;
      user = g_sequence_get (walk->iter);
      walk->iter = g_sequence_iter_next (walk->iter);
      return user;
    case OKTA_DRIVE_ALL:
    default:
      if (walk->index >= walk->org->users->len)
        return NULL;
      return g_ptr_array_index (walk->org->users, walk->index++);
    }
}

/* Positions @walk after @after (or at the start); FALSE for a bad cursor. */
static gboolean
walk_start (Walk *walk, OktaOrg *org, OktaDrive *drive, const char *after)
{
  guint64 a = 0;
  guint64 b = 0;
  OktaUser key = { 0 };

  memset (walk, 0, sizeof *walk);
  walk->kind = drive->kind;
  walk->org = org;
  if (after != NULL && !cursor_decode (after, drive->kind == OKTA_DRIVE_UPDATED ? 't' : 'u', &a, &b))
    return FALSE;
  switch (drive->kind)
    {
    case OKTA_DRIVE_ID:
    case OKTA_DRIVE_LOGIN:
      walk->single = drive->kind == OKTA_DRIVE_ID ? g_hash_table_lookup (org->user_by_id, drive->text) :
                     okta_org_user (org, drive->text);
      if (walk->single != NULL && after != NULL && walk->single->serial <= a)
        walk->single = NULL;
      break;
    case OKTA_DRIVE_STATUS:
      key.serial = a;
      walk->iter = seek_after (org->by_status[drive->status], &key, compare_serial);
      break;
    case OKTA_DRIVE_UPDATED:
      if (after != NULL)
        {
          key.last_updated = (gint64) a;
          key.serial = b;
        }
      else
        {
          key.last_updated = drive->inclusive ? drive->time - 1 : drive->time;
          key.serial = G_MAXUINT64;
        }
      walk->iter = seek_after (org->by_updated, &key, compare_updated);
      break;
    case OKTA_DRIVE_ALL:
    default:
      walk->index = after != NULL ? okta_org_users_after (org, a) : 0;
      break;
    }
  return TRUE;
}

/* ---------------------------------------------------------------- users */

static gboolean
user_visible (OktaCall *call, OktaUser *user, OktaExpr *expr, gboolean plain, gboolean search)
{
  if (plain && user->status == OKTA_DEPROVISIONED)
    return FALSE;
  if (expr != NULL && !okta_expr_match_user (expr, user))
    return FALSE;
  /* Search is eventually consistent: recent changes have not reached it. */
  if (search && call->server->sw.search_lag > 0 &&
      user->last_updated > call->now - call->server->sw.search_lag * OKTA_MS_PER_SEC)
    return FALSE;
  return TRUE;
}

static gboolean
prefix_of (const char *value, const char *folded_prefix)
{
  g_autofree char *folded = value != NULL ? g_utf8_casefold (value, -1) : NULL;

  return folded != NULL && g_str_has_prefix (folded, folded_prefix);
}

static void
users_q (OktaCall *call, const char *q, OktaFields *fields)
{
  g_autofree char *folded = g_utf8_casefold (q, -1);
  JsonArray *array = json_array_new ();
  gboolean credentials = wants_credentials (call);
  guint limit;

  if (!page_limit (call, USERS_Q_DEFAULT, USERS_MAX, FALSE, &limit))
    {
      json_array_unref (array);
      return;
    }
  for (guint i = 0; i < call->org->users->len && json_array_get_length (array) < limit; i++)
    {
      OktaUser *user = g_ptr_array_index (call->org->users, i);

      if (user->status == OKTA_DEPROVISIONED)
        continue;
      if (prefix_of (json_object_get_string_member_with_default (user->profile, "firstName", NULL), folded) ||
          prefix_of (json_object_get_string_member_with_default (user->profile, "lastName", NULL), folded) ||
          prefix_of (json_object_get_string_member_with_default (user->profile, "email", NULL), folded))
        json_array_add_element (array, okta_user_json (user, call->base, TRUE, credentials, fields));
    }
  /* q has no paging: no Link header at all. */
  okta_call_reply (call, 200, emu_array_node (array));
}

typedef struct {
  OktaUser *user;
  char     *key;
} SortItem;

static int
compare_sort_items (gconstpointer a, gconstpointer b, gpointer data)
{
  const SortItem *ia = a;
  const SortItem *ib = b;
  gboolean descending = GPOINTER_TO_INT (data);
  int result;

  if (ia->key == NULL || ib->key == NULL)
    result = (ia->key == NULL) - (ib->key == NULL);   /* nulls last either way */
  else
    {
      result = strcmp (ia->key, ib->key);
      if (descending)
        result = -result;
    }
  if (result == 0)
    result = ia->user->serial < ib->user->serial ? -1 : ia->user->serial > ib->user->serial;
  return result;
}

static void
users_sorted (OktaCall *call, OktaExpr *expr, const char *sort_by, gboolean descending, guint limit,
              const char *after, OktaFields *fields)
{
  g_autoptr(GArray) items = g_array_new (FALSE, FALSE, sizeof (SortItem));
  JsonArray *array = json_array_new ();
  gboolean credentials = wants_credentials (call);
  guint64 offset = 0;
  guint64 unused = 0;
  g_autofree char *next = NULL;

  if (after != NULL && !cursor_decode (after, 'o', &offset, &unused))
    {
      json_array_unref (array);
      bad_cursor (call);
      return;
    }
  for (guint i = 0; i < call->org->users->len; i++)
    {
      OktaUser *user = g_ptr_array_index (call->org->users, i);
      SortItem item;

      if (!user_visible (call, user, expr, FALSE, TRUE))
        continue;
      item.user = user;
      item.key = okta_user_attribute_text (user, sort_by);
      g_array_append_val (items, item);
    }
  g_array_sort_with_data (items, compare_sort_items, GINT_TO_POINTER (descending));
  for (guint64 i = offset; i < items->len && json_array_get_length (array) < limit; i++)
    json_array_add_element (array, okta_user_json (g_array_index (items, SortItem, i).user, call->base, TRUE,
                                                   credentials, fields));
  if (offset + json_array_get_length (array) < items->len ||
      (call->server->sw.empty_last_page && json_array_get_length (array) == limit && limit > 0))
    next = cursor_encode ('o', offset + json_array_get_length (array), 0);
  for (guint i = 0; i < items->len; i++)
    g_free (g_array_index (items, SortItem, i).key);
  link_headers (call, next, limit);
  okta_call_reply (call, 200, emu_array_node (array));
}

static void
list_users (OktaCall *call)
{
  const char *q = okta_call_query (call, "q");
  const char *filter = okta_call_query (call, "filter");
  const char *search = okta_call_query (call, "search");
  const char *after = okta_call_query (call, "after");
  const char *sort_by = okta_call_query (call, "sortBy");
  const char *sort_order = okta_call_query (call, "sortOrder");
  const char *fields_text = okta_call_query (call, "fields");
  g_autoptr(OktaExpr) expr = NULL;
  g_autoptr(OktaFields) fields = NULL;
  OktaError error = { 0 };
  gboolean credentials = wants_credentials (call);
  gboolean plain = filter == NULL && search == NULL;
  JsonArray *array;
  OktaDrive drive;
  Walk walk;
  OktaUser *user;
  OktaUser *last = NULL;
  guint limit;
  gboolean more = FALSE;
  g_autofree char *next = NULL;

  if ((q != NULL) + (filter != NULL) + (search != NULL) > 1)
    {
      okta_call_error (call, 400, "E0000031", NULL);
      return;
    }
  if (fields_text != NULL && (fields = okta_fields_parse (fields_text, &error)) == NULL)
    {
      okta_call_okta_error (call, &error);
      okta_error_clear (&error);
      return;
    }
  if (q != NULL)
    {
      users_q (call, q, fields);
      return;
    }
  if (filter != NULL || search != NULL)
    {
      expr = okta_expr_parse (filter != NULL ? filter : search,
                              filter != NULL ? OKTA_Q_USER_FILTER : OKTA_Q_USER_SEARCH, call->org, &error);
      if (expr == NULL)
        {
          okta_call_okta_error (call, &error);
          okta_error_clear (&error);
          return;
        }
    }
  if (!page_limit (call, USERS_MAX, USERS_MAX, FALSE, &limit))
    return;
  if (sort_by != NULL && search != NULL)
    {
      users_sorted (call, expr, sort_by, g_strcmp0 (sort_order, "desc") == 0, limit, after, fields);
      return;
    }

  okta_expr_user_drive (expr, &drive);
  if (!walk_start (&walk, call->org, &drive, after))
    {
      bad_cursor (call);
      return;
    }
  array = json_array_new ();
  while ((user = walk_next (&walk)) != NULL)
    {
      if (!user_visible (call, user, expr, plain, search != NULL))
        continue;
      if (json_array_get_length (array) == limit || call->empty_page)
        {
          more = TRUE;   /* look-ahead: one more exists */
          break;
        }
      json_array_add_element (array, okta_user_json (user, call->base, TRUE, credentials, fields));
      last = user;
    }
  if (call->empty_page)
    {
      /* An empty page that points at the same position. */
      g_autofree char *same = after != NULL ? g_strdup (after) : cursor_encode (
                                drive.kind == OKTA_DRIVE_UPDATED ? 't' : 'u',
                                drive.kind == OKTA_DRIVE_UPDATED ? (guint64) (drive.time - (drive.inclusive ? 1 : 0)) : 0,
                                drive.kind == OKTA_DRIVE_UPDATED ? G_MAXUINT64 : 0);

      link_headers (call, same, limit);
      okta_call_reply (call, 200, emu_array_node (array));
      return;
    }
  if (call->server->sw.empty_last_page && limit > 0 && json_array_get_length (array) == limit)
    more = TRUE;
  if (more && last != NULL)
    next = drive.kind == OKTA_DRIVE_UPDATED ? cursor_encode ('t', (guint64) last->last_updated, last->serial) :
           cursor_encode ('u', last->serial, 0);
  link_headers (call, next, limit);
  okta_call_reply (call, 200, emu_array_node (array));
}

static void
not_found (OktaCall *call, const char *id, const char *type)
{
  g_autofree char *summary = g_strdup_printf ("Not found: Resource not found: %s (%s)", id, type);

  okta_call_error (call, 404, "E0000007", summary);
}

static void
get_user (OktaCall *call)
{
  const char *id = call->segments[3];
  OktaUser *user;
  g_autofree char *etag = NULL;

  if (g_str_equal (id, "me"))
    {
      /* The admin behind an API token; a service app has none. */
      user = call->api_token != NULL ? okta_org_user (call->org, call->api_token->admin_id) : NULL;
    }
  else
    user = okta_org_user (call->org, id);
  if (user == NULL)
    {
      not_found (call, id, "User");
      return;
    }
  etag = g_strdup_printf ("W/\"%" G_GINT64_FORMAT "\"", user->last_updated);
  okta_call_header (call, "ETag", etag);
  okta_call_reply (call, 200, okta_user_json (user, call->base, FALSE, wants_credentials (call), NULL));
}

static void
user_groups (OktaCall *call)
{
  OktaUser *user = okta_org_user (call->org, call->segments[3]);
  JsonArray *array;

  if (user == NULL)
    {
      not_found (call, call->segments[3], "User");
      return;
    }
  array = json_array_new ();
  for (guint i = 0; i < call->org->groups->len; i++)
    {
      OktaGroup *group = g_ptr_array_index (call->org->groups, i);

      if (g_hash_table_contains (group->member_iters, user))
        json_array_add_element (array, okta_group_json (group, call->base, FALSE));
    }
  link_headers (call, NULL, 0);
  okta_call_reply (call, 200, emu_array_node (array));
}

/* ---------------------------------------------------------------- groups */

static void
list_groups (OktaCall *call)
{
  const char *q = okta_call_query (call, "q");
  const char *filter = okta_call_query (call, "filter");
  const char *search = okta_call_query (call, "search");
  const char *after = okta_call_query (call, "after");
  const char *expand = okta_call_query (call, "expand");
  gboolean stats = expand != NULL && strstr (expand, "stats") != NULL;
  g_autoptr(OktaExpr) expr = NULL;
  g_autofree char *folded = q != NULL ? g_utf8_casefold (q, -1) : NULL;
  g_autofree char *next = NULL;
  OktaError error = { 0 };
  JsonArray *array;
  OktaGroup *last = NULL;
  guint64 serial = 0;
  guint64 unused = 0;
  guint limit;
  gboolean more = FALSE;

  if ((q != NULL) + (filter != NULL) + (search != NULL) > 1)
    {
      okta_call_error (call, 400, "E0000031", NULL);
      return;
    }
  if (filter != NULL || search != NULL)
    {
      expr = okta_expr_parse (filter != NULL ? filter : search,
                              filter != NULL ? OKTA_Q_GROUP_FILTER : OKTA_Q_GROUP_SEARCH, call->org, &error);
      if (expr == NULL)
        {
          okta_call_okta_error (call, &error);
          okta_error_clear (&error);
          return;
        }
    }
  if (!page_limit (call, q != NULL ? GROUPS_Q_DEFAULT : GROUPS_MAX, GROUPS_MAX, FALSE, &limit))
    return;
  if (after != NULL && (q != NULL || !cursor_decode (after, 'g', &serial, &unused)))
    {
      bad_cursor (call);
      return;
    }
  array = json_array_new ();
  for (guint i = okta_org_groups_after (call->org, serial); i < call->org->groups->len; i++)
    {
      OktaGroup *group = g_ptr_array_index (call->org->groups, i);

      if (q != NULL &&
          !prefix_of (json_object_get_string_member_with_default (group->profile, "name", NULL), folded))
        continue;
      if (expr != NULL && !okta_expr_match_group (expr, group))
        continue;
      if (search != NULL && call->server->sw.search_lag > 0 &&
          MAX (group->last_updated, group->last_membership_updated) >
          call->now - call->server->sw.search_lag * OKTA_MS_PER_SEC)
        continue;
      if (json_array_get_length (array) == limit || (call->empty_page && q == NULL))
        {
          more = TRUE;
          break;
        }
      json_array_add_element (array, okta_group_json (group, call->base, stats));
      last = group;
    }
  if (q != NULL)
    {
      /* q has no paging: no Link header at all. */
      okta_call_reply (call, 200, emu_array_node (array));
      return;
    }
  if (call->empty_page)
    {
      g_autofree char *same = after != NULL ? g_strdup (after) : cursor_encode ('g', 0, 0);

      link_headers (call, same, limit);
      okta_call_reply (call, 200, emu_array_node (array));
      return;
    }
  if (call->server->sw.empty_last_page && limit > 0 && json_array_get_length (array) == limit)
    more = TRUE;
  if (more && last != NULL)
    next = cursor_encode ('g', last->serial, 0);
  link_headers (call, next, limit);
  okta_call_reply (call, 200, emu_array_node (array));
}

static void
get_group (OktaCall *call)
{
  OktaGroup *group = okta_org_group (call->org, call->segments[3]);
  const char *expand = okta_call_query (call, "expand");

  if (group == NULL)
    {
      not_found (call, call->segments[3], "UserGroup");
      return;
    }
  okta_call_reply (call, 200, okta_group_json (group, call->base, expand != NULL && strstr (expand, "stats")));
}

static void
group_users (OktaCall *call)
{
  OktaGroup *group = okta_org_group (call->org, call->segments[3]);
  const char *after = okta_call_query (call, "after");
  gboolean credentials = wants_credentials (call);
  g_autofree char *next = NULL;
  OktaMember key = { NULL, 0 };
  guint64 unused = 0;
  GSequenceIter *iter;
  JsonArray *array;
  OktaMember *last = NULL;
  guint limit;
  gboolean more = FALSE;

  if (group == NULL)
    {
      not_found (call, call->segments[3], "UserGroup");
      return;
    }
  /* filter is ignored here (§3.3); deactivated members come back. */
  if (!page_limit (call, MEMBERS_DEFAULT, MEMBERS_MAX, FALSE, &limit))
    return;
  if (after != NULL && !cursor_decode (after, 'm', &key.mseq, &unused))
    {
      bad_cursor (call);
      return;
    }
  array = json_array_new ();
  for (iter = seek_after (group->members, &key, compare_mseq); !g_sequence_iter_is_end (iter);
       iter = g_sequence_iter_next (iter))
    {
      OktaMember *member = g_sequence_get (iter);

      if (json_array_get_length (array) == limit || call->empty_page)
        {
          more = TRUE;
          break;
        }
      json_array_add_element (array, okta_user_json (member->user, call->base, TRUE, credentials, NULL));
      last = member;
    }
  if (call->empty_page)
    {
      g_autofree char *same = after != NULL ? g_strdup (after) : cursor_encode ('m', 0, 0);

      link_headers (call, same, limit);
      okta_call_reply (call, 200, emu_array_node (array));
      return;
    }
  if (call->server->sw.empty_last_page && limit > 0 && json_array_get_length (array) == limit)
    more = TRUE;
  if (more && last != NULL)
    next = cursor_encode ('m', last->mseq, 0);
  link_headers (call, next, limit);
  okta_call_reply (call, 200, emu_array_node (array));
}

static void
group_rules (OktaCall *call)
{
  JsonArray *copy = json_array_new ();

  for (guint i = 0; i < json_array_get_length (call->org->group_rules); i++)
    json_array_add_element (copy, json_node_copy (json_array_get_element (call->org->group_rules, i)));
  link_headers (call, NULL, 0);
  okta_call_reply (call, 200, emu_array_node (copy));
}

/* ---------------------------------------------------------------- the System Log */

static gboolean
log_cursor_decode (const char *text, gint64 *published, guint64 *seq)
{
  const char *underscore = strchr (text, '_');
  char *end = NULL;

  if (underscore == NULL)
    return FALSE;
  *published = g_ascii_strtoll (text, &end, 10);
  if (end != underscore)
    return FALSE;
  *seq = g_ascii_strtoull (underscore + 1, &end, 10);
  return *end == '\0' && end != underscore + 1;
}

static char *
log_cursor (gint64 published, guint64 seq)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT "_%" G_GUINT64_FORMAT, published, seq);
}

static gboolean
keywords_match (OktaEvent *event, char **words)
{
  g_autofree char *text = NULL;
  g_autofree char *folded = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (words == NULL)
    return TRUE;
  node = json_node_init_object (json_node_alloc (), event->object);
  text = json_to_string (node, FALSE);
  folded = g_utf8_casefold (text, -1);
  for (guint i = 0; words[i] != NULL; i++)
    if (*words[i] != '\0' && strstr (folded, words[i]) == NULL)
      return FALSE;
  return TRUE;
}

static int
compare_events (gconstpointer a, gconstpointer b, gpointer data)
{
  const OktaEvent *ea = *(OktaEvent *const *) a;
  const OktaEvent *eb = *(OktaEvent *const *) b;
  int result;

  if (ea->published != eb->published)
    result = ea->published < eb->published ? -1 : 1;
  else
    result = ea->seq < eb->seq ? -1 : ea->seq > eb->seq ? 1 : 0;
  return GPOINTER_TO_INT (data) ? -result : result;
}

static gboolean
log_time_param (OktaCall *call, const char *name, gint64 *ms)
{
  const char *text = okta_call_query (call, name);

  if (text == NULL)
    return TRUE;
  if (!okta_parse_time (text, ms))
    {
      g_autofree char *summary = g_strdup_printf ("Invalid parameter: %s", name);

      okta_call_error (call, 400, "E0000053", summary);
      return FALSE;
    }
  return TRUE;
}

static void
list_logs (OktaCall *call)
{
  OktaServer *server = call->server;
  OktaOrg *org = call->org;
  const char *filter = okta_call_query (call, "filter");
  const char *q = okta_call_query (call, "q");
  const char *after = okta_call_query (call, "after");
  const char *sort_order = okta_call_query (call, "sortOrder");
  gboolean descending = g_strcmp0 (sort_order, "DESCENDING") == 0;
  gboolean polling;
  gint64 until = 0;
  gint64 since = 0;
  gint64 after_published = 0;
  guint64 after_seq = 0;
  g_autoptr(OktaExpr) expr = NULL;
  g_autofree char *folded_q = q != NULL ? g_utf8_casefold (q, -1) : NULL;
  g_auto(GStrv) words = folded_q != NULL ? g_strsplit (folded_q, " ", -1) : NULL;
  g_autofree char *next = NULL;
  OktaError error = { 0 };
  JsonArray *array;
  guint limit;

  if (sort_order != NULL && !descending && !g_str_equal (sort_order, "ASCENDING"))
    {
      okta_call_error (call, 400, "E0000053", "Invalid parameter: sortOrder");
      return;
    }
  if (!log_time_param (call, "since", &since) || !log_time_param (call, "until", &until))
    return;
  if (okta_call_query (call, "since") != NULL &&
      since < call->now - server->sw.since_max_days * OKTA_MS_PER_DAY)
    {
      g_autofree char *summary = g_strdup_printf ("Invalid parameter: The since parameter is over %u days prior to "
                                                  "the current day.", server->sw.since_max_days);

      okta_call_error (call, 400, "E0000053", summary);
      return;
    }
  if (after != NULL && !log_cursor_decode (after, &after_published, &after_seq))
    {
      okta_call_error (call, 400, "E0000053", "Invalid parameter: after");
      return;
    }
  if (filter != NULL && (expr = okta_expr_parse (filter, OKTA_Q_LOG_FILTER, org, &error)) == NULL)
    {
      okta_call_okta_error (call, &error);
      okta_error_clear (&error);
      return;
    }
  if (!page_limit (call, LOGS_DEFAULT, LOGS_MAX, TRUE, &limit))
    return;
  if (okta_call_query (call, "limit") != NULL && atoi (okta_call_query (call, "limit")) > LOGS_MAX)
    {
      okta_call_error (call, 400, "E0000053", "Invalid parameter: limit");
      return;
    }

  /* Older than the retention: gone, without an error. */
  okta_server_apply_retention (server);
  if (okta_call_query (call, "until") == NULL)
    until = call->now;
  if (okta_call_query (call, "since") == NULL)
    since = until - 7 * OKTA_MS_PER_DAY;
  polling = okta_call_query (call, "until") == NULL && !descending;
  array = json_array_new ();

  if (polling)
    {
      /* Persistence order; next is always there (§6.3). */
      guint64 position = after_seq;
      guint i = 0;

      /* The leading events before since are behind the first cursor too. */
      while (after == NULL && i < org->events->len &&
             ((OktaEvent *) g_ptr_array_index (org->events, i))->published < since)
        position = ((OktaEvent *) g_ptr_array_index (org->events, i++))->seq;
      for (; i < org->events->len; i++)
        {
          OktaEvent *event = g_ptr_array_index (org->events, i);

          if (event->seq <= after_seq)
            continue;
          if (json_array_get_length (array) == limit || call->empty_page)
            break;
          position = event->seq;
          if (after == NULL && event->published < since)
            continue;
          if ((expr != NULL && !okta_expr_match_event (expr, event)) || !keywords_match (event, words))
            continue;
          json_array_add_object_element (array, json_object_ref (event->object));
        }
      next = log_cursor (call->now, position);
      {
        /* The cursor replaces since. */
        static const char *const drop[] = { "after", "limit", "since", NULL };

        link_headers_without (call, next, limit, drop);
        okta_call_reply (call, 200, emu_array_node (array));
        return;
      }
    }
  else
    {
      /* Bounded: ordered by published; a last page without next. */
      g_autoptr(GPtrArray) window = g_ptr_array_new ();
      guint start = 0;

      for (guint i = 0; i < org->events->len; i++)
        {
          OktaEvent *event = g_ptr_array_index (org->events, i);

          if (event->published < since || event->published >= until)
            continue;
          if ((expr != NULL && !okta_expr_match_event (expr, event)) || !keywords_match (event, words))
            continue;
          g_ptr_array_add (window, event);
        }
      g_ptr_array_sort_with_data (window, compare_events, GINT_TO_POINTER (descending));
      if (after != NULL)
        {
          OktaEvent key_event = { after_seq, after_published, NULL };
          OktaEvent *key = &key_event;

          while (start < window->len && compare_events (&window->pdata[start], &key, GINT_TO_POINTER (descending)) <= 0)
            start++;
        }
      for (guint i = start; i < window->len && json_array_get_length (array) < limit && !call->empty_page; i++)
        json_array_add_object_element (array, json_object_ref (((OktaEvent *) window->pdata[i])->object));
      if (call->empty_page)
        next = g_strdup (after != NULL ? after : "0_0");
      else if (start + json_array_get_length (array) < window->len)
        {
          OktaEvent *last = window->pdata[start + json_array_get_length (array) - 1];

          next = log_cursor (last->published, last->seq);
        }
      else if (server->sw.empty_last_page && limit > 0 && json_array_get_length (array) == limit)
        {
          OktaEvent *last = window->pdata[window->len - 1];

          next = log_cursor (last->published, last->seq);
        }
    }
  link_headers (call, next, limit);
  okta_call_reply (call, 200, emu_array_node (array));
}

/* ---------------------------------------------------------------- the org */

static void
get_org (OktaCall *call)
{
  JsonObject *object = json_object_new ();
  JsonObject *links = json_object_new ();
  g_autofree char *website = g_strdup_printf ("https://%s.example.com", call->org->name);

  json_object_set_string_member (object, "id", call->org->id);
  json_object_set_string_member (object, "companyName", call->org->company);
  json_object_set_string_member (object, "subdomain", call->org->name);
  json_object_set_string_member (object, "website", website);
  json_object_set_string_member (object, "status", "ACTIVE");
  set_time (object, "created", call->org->created);
  set_time (object, "lastUpdated", call->org->created);
  json_object_set_null_member (object, "expiresAt");
  json_object_set_object_member (links, "self", href (call->base, "/api/v1/org", "", "", NULL));
  json_object_set_object_member (object, "_links", links);
  okta_call_reply (call, 200, emu_object_node (object));
}

/* ---------------------------------------------------------------- dispatch */

void
okta_api_handle (OktaCall *call)
{
  gboolean api = seg (call, 0, "api") && seg (call, 1, "v1");

  if (!api)
    {
      g_autofree char *summary = g_strdup_printf ("Not found: Resource not found: %s (Path)", call->path);

      okta_call_error (call, 404, "E0000007", summary);
      return;
    }
  if (!okta_auth_check (call))
    return;
  if (!g_str_equal (call->method, "GET") && !g_str_equal (call->method, "HEAD"))
    {
      /* The emulator reads only; changes go through /_admin/. */
      okta_call_error (call, 405, "E0000022", NULL);
      okta_call_header (call, "Allow", "GET");
      return;
    }
  if (call->route == NULL)
    {
      g_autofree char *summary = g_strdup_printf ("Not found: Resource not found: %s (Path)", call->path);

      okta_call_error (call, 404, "E0000007", summary);
      return;
    }
  if (g_str_has_suffix (call->route, " /api/v1/users"))
    list_users (call);
  else if (g_str_has_suffix (call->route, " /api/v1/users/me") || g_str_has_suffix (call->route, "/users/{id}"))
    get_user (call);
  else if (g_str_has_suffix (call->route, "/users/{id}/groups"))
    user_groups (call);
  else if (g_str_has_suffix (call->route, " /api/v1/groups"))
    list_groups (call);
  else if (g_str_has_suffix (call->route, "/groups/rules"))
    group_rules (call);
  else if (g_str_has_suffix (call->route, "/groups/{id}"))
    get_group (call);
  else if (g_str_has_suffix (call->route, "/groups/{id}/users"))
    group_users (call);
  else if (g_str_has_suffix (call->route, " /api/v1/logs"))
    list_logs (call);
  else if (g_str_has_suffix (call->route, " /api/v1/org"))
    get_org (call);
  else
    okta_call_error (call, 404, "E0000007", NULL);
}
