/* ps-directory-groups.c — groups, their members (nested, classified) and users
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <ldap.h>
#include <glib/gi18n.h>

#include "ps-directory-private.h"
#include "ps-secret-store.h"

/* ---------------------------------------------------------------- groups and users */

static char *
identity_filter (PsDirectory  *self,
                 const char   *text,
                 const char   *class_filter,
                 gboolean      user,
                 GError      **error)
{
  g_autofree char *escaped = NULL;
  g_autofree char *match = NULL;

  if (ps_directory_looks_like_sid (text))
    {
      g_autoptr(GBytes) sid = ps_directory_sid_from_string (text, error);
      gsize n;
      const guint8 *data;

      if (sid == NULL)
        return NULL;
      data = g_bytes_get_data (sid, &n);
      escaped = ps_directory_escape_filter_value (data, n);
      match = g_strdup_printf ("(objectSid=%s)", escaped);
    }
  else if (ps_directory_looks_like_guid (text))
    {
      g_autoptr(GBytes) guid = ps_directory_guid_from_string (text, error);
      gsize n;
      const guint8 *data;

      if (guid == NULL)
        return NULL;
      data = g_bytes_get_data (guid, &n);
      escaped = ps_directory_escape_filter_value (data, n);
      match = g_strdup_printf ("(objectGUID=%s)", escaped);
    }
  else
    {
      escaped = ps_directory_escape_text (text);
      if (user)
        match = g_strdup_printf ("(|(sAMAccountName=%s)(userPrincipalName=%s)(cn=%s)(mail=%s)%s%s%s)",
                                 escaped, escaped, escaped, escaped,
                                 self->kind == PS_DIRECTORY_KIND_ACTIVE_DIRECTORY ? "" : "(uid=",
                                 self->kind == PS_DIRECTORY_KIND_ACTIVE_DIRECTORY ? "" : escaped,
                                 self->kind == PS_DIRECTORY_KIND_ACTIVE_DIRECTORY ? "" : ")");
      else
        match = g_strdup_printf ("(|(cn=%s)(sAMAccountName=%s))", escaped, escaped);
    }
  return ps_directory_join_filter (class_filter, match);
}

static PsDirectoryEntry *
find_one (PsDirectory        *self,
          const char         *text,
          gboolean            user,
          const char *const  *attributes,
          GCancellable       *cancellable,
          GError            **error)
{
  g_autofree char *filter = NULL;
  g_autoptr(GPtrArray) found = NULL;
  const char *what = user ? _("user") : _("group");

  g_return_val_if_fail (PS_IS_DIRECTORY (self), NULL);
  g_return_val_if_fail (text != NULL, NULL);

  if (!ps_directory_connect_sync (self, cancellable, error))
    return NULL;
  if (*text == '\0')
    {
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_INVALID_ARGUMENT,
                   _("No %s was named."), what);
      return NULL;
    }
  if (!ps_directory_looks_like_sid (text) && !ps_directory_looks_like_guid (text) && ps_directory_looks_like_dn (text))
    {
      g_autoptr(GError) local = NULL;
      PsDirectoryEntry *entry = ps_directory_read_entry_sync (self, text, attributes, cancellable, &local);

      if (entry == NULL && g_error_matches (local, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NO_SUCH_OBJECT))
        {
          g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NOT_FOUND,
                       user ? _("There is no user %s in the directory.")
                            : _("There is no group %s in the directory."), text);
          return NULL;
        }
      if (entry == NULL)
        g_propagate_error (error, g_steal_pointer (&local));
      return entry;
    }

  filter = identity_filter (self, text, user ? ps_directory_person_filter (self) : ps_directory_group_filter (self), user, error);
  if (filter == NULL)
    return NULL;
  found = ps_directory_search_all (self, NULL, PS_DIRECTORY_SCOPE_SUBTREE, filter, attributes, cancellable, error);
  if (found == NULL)
    return NULL;
  if (found->len == 0)
    {
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NOT_FOUND,
                   user ? _("There is no user “%s” under %s. Check the name, or the base DN.")
                        : _("There is no group “%s” under %s. Check the name, or the base DN."),
                   text, ps_directory_get_base_dn (self));
      return NULL;
    }
  if (found->len > 1)
    {
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_AMBIGUOUS,
                   user ? _("%u users match “%s”: name one by its DN or objectGUID.")
                        : _("%u groups match “%s”: name one by its DN or objectGUID."),
                   found->len, text);
      return NULL;
    }
  return ps_directory_entry_ref (g_ptr_array_index (found, 0));
}

PsDirectoryEntry *
ps_directory_find_group_sync (PsDirectory   *self,
                              const char    *group,
                              GCancellable  *cancellable,
                              GError       **error)
{
  return find_one (self, group, FALSE, ps_directory_group_attributes, cancellable, error);
}

PsDirectoryEntry *
ps_directory_find_user_sync (PsDirectory        *self,
                             const char         *user,
                             const char *const  *attributes,
                             GCancellable       *cancellable,
                             GError            **error)
{
  return find_one (self, user, TRUE, attributes != NULL ? attributes : ps_directory_user_attributes,
                   cancellable, error);
}

static int
compare_by_name (gconstpointer a,
                 gconstpointer b)
{
  PsDirectoryEntry *ea = *(PsDirectoryEntry **) a;
  PsDirectoryEntry *eb = *(PsDirectoryEntry **) b;
  g_autofree char *na = ps_directory_entry_dup_string (ea, "cn", NULL);
  g_autofree char *nb = ps_directory_entry_dup_string (eb, "cn", NULL);

  return g_utf8_collate (na != NULL ? na : "", nb != NULL ? nb : "");
}

GPtrArray *
ps_directory_list_groups_sync (PsDirectory   *self,
                               const char    *search,
                               guint          limit,
                               GCancellable  *cancellable,
                               GError       **error)
{
  g_autofree char *filter = NULL;
  g_autoptr(GPtrArray) found = NULL;

  g_return_val_if_fail (PS_IS_DIRECTORY (self), NULL);
  if (!ps_directory_connect_sync (self, cancellable, error))
    return NULL;
  if (search != NULL && *search != '\0')
    {
      g_autofree char *escaped = ps_directory_escape_text (search);
      g_autofree char *match = g_strdup_printf ("(|(cn=*%s*)(sAMAccountName=*%s*)(description=*%s*))",
                                                escaped, escaped, escaped);

      filter = ps_directory_join_filter (ps_directory_group_filter (self), match);
    }
  else
    filter = g_strdup (ps_directory_group_filter (self));
  found = ps_directory_search_all (self, NULL, PS_DIRECTORY_SCOPE_SUBTREE, filter, ps_directory_group_attributes, cancellable, error);
  if (found == NULL)
    return NULL;
  g_ptr_array_sort (found, compare_by_name);
  if (limit > 0 && found->len > limit)
    g_ptr_array_set_size (found, limit);
  return g_steal_pointer (&found);
}

/**
 * ps_directory_expand_groups_sync:
 *
 * @group_dn and all groups nested in it, each read once: a breadth-first
 * walk over "groups whose memberOf is this group", with a visited set, so a
 * cycle (A in B in A) ends.
 */
GPtrArray *
ps_directory_expand_groups_sync (PsDirectory   *self,
                                 const char    *group_dn,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  static const char *const no_attrs[] = { LDAP_NO_ATTRS, NULL };
  g_autoptr(GPtrArray) order = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) visited = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *first = ps_directory_normalize_dn (group_dn, error);

  if (first == NULL)
    return NULL;
  g_hash_table_add (visited, g_utf8_casefold (first, -1));
  g_ptr_array_add (order, g_steal_pointer (&first));

  for (guint i = 0; i < order->len; i++)
    {
      const char *dn = g_ptr_array_index (order, i);
      g_autofree char *escaped = ps_directory_escape_text (dn);
      g_autofree char *match = g_strdup_printf ("(memberOf=%s)", escaped);
      g_autofree char *filter = ps_directory_join_filter (ps_directory_group_filter (self), match);
      g_autoptr(GPtrArray) subgroups = ps_directory_search_all (self, NULL, PS_DIRECTORY_SCOPE_SUBTREE, filter, no_attrs,
                                                   cancellable, error);

      if (subgroups == NULL)
        return NULL;
      for (guint j = 0; j < subgroups->len; j++)
        {
          const char *sub = ps_directory_entry_get_dn (g_ptr_array_index (subgroups, j));

          if (g_hash_table_add (visited, g_utf8_casefold (sub, -1)))
            g_ptr_array_add (order, g_strdup (sub));
        }
    }
  return g_steal_pointer (&order);
}

/* "DN1; DN2; DN3 and 4 more" */
static char *
name_some (GPtrArray *dns)
{
  GString *text = g_string_new (NULL);
  guint shown = MIN (dns->len, MEMBERS_NAMED);

  for (guint i = 0; i < shown; i++)
    g_string_append_printf (text, "%s%s", i > 0 ? "; " : "", (char *) g_ptr_array_index (dns, i));
  if (dns->len > shown)
    g_string_append_printf (text, ngettext (" and %u more", " and %u more", dns->len - shown),
                            dns->len - shown);
  return g_string_free (text, FALSE);
}

static void
set_partial_members_error (GError                        **error,
                           const char                     *group_dn,
                           const PsDirectoryMemberReport  *report)
{
  g_autoptr(GString) message = g_string_new (NULL);
  guint n = report->unreadable->len;
  guint m = report->unclassified->len;

  if (n > 0)
    {
      g_autofree char *some = name_some (report->unreadable);

      g_string_append_printf (message,
                              ngettext ("%u member of %s could not be read (%s): it does not exist, or the "
                                        "service account may not read it. Give the service account read "
                                        "access, or remove the dangling member value from the group.",
                                        "%u members of %s could not be read (%s): they do not exist, or the "
                                        "service account may not read them. Give the service account read "
                                        "access, or remove the dangling member values from the group.", n),
                              n, group_dn, some);
    }
  if (m > 0)
    {
      g_autofree char *some = name_some (report->unclassified);

      if (n > 0)
        g_string_append_c (message, ' ');
      g_string_append_printf (message,
                              ngettext ("%u member of %s is not a person, a group, a computer, a contact or a "
                                        "foreign security principal (%s). Check its objectClass, or remove it "
                                        "from the group.",
                                        "%u members of %s are not people, groups, computers, contacts or "
                                        "foreign security principals (%s). Check their objectClass, or remove "
                                        "them from the group.", m),
                              m, group_dn, some);
    }
  g_string_append_c (message, ' ');
  g_string_append (message, _("The membership is incomplete, so it was not used as complete."));
  g_set_error_literal (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_PARTIAL_MEMBERS, message->str);
}

/* One read of a group's members. Entries come from subtree searches (by
 * memberOf, in-chain or primaryGroupID) and, for member values no search
 * returned, from reading each one; every entry is classified by its own
 * objectClass. */
typedef struct {
  /* the request */
  PsDirectoryEntry *top;          /* the group, with objectClass */
  PsNestedMode nested;
  gint64 primary_token;           /* AD's primaryGroupToken of the group, or 0 */
  GStrv attributes;               /* the caller's, and objectClass */
  /* one attempt */
  Delivery *out;                  /* the caller's */
  PsDirectoryMemberReport *report;
  GHashTable *handled;            /* lower-case DNs of every entry met or member value tried */
  GHashTable *queued;             /* lower-case DNs of the groups whose members are read */
  GPtrArray *groups;              /* PsDirectoryEntry*: those groups, in the order met */
} MembersRead;

static void
members_read_clear (MembersRead *r)
{
  g_clear_pointer (&r->top, ps_directory_entry_unref);
  g_clear_pointer (&r->attributes, g_strfreev);
  g_clear_pointer (&r->report, ps_directory_member_report_free);
  g_clear_pointer (&r->handled, g_hash_table_unref);
  g_clear_pointer (&r->queued, g_hash_table_unref);
  g_clear_pointer (&r->groups, g_ptr_array_unref);
}

/* Starts an attempt from nothing: a restart must not count anything twice. */
static void
members_read_reset (MembersRead *r,
                    Delivery    *out)
{
  g_autofree char *key = g_ascii_strdown (ps_directory_entry_get_dn (r->top), -1);

  r->out = out;
  g_clear_pointer (&r->report, ps_directory_member_report_free);
  r->report = ps_directory_member_report_new ();
  g_clear_pointer (&r->handled, g_hash_table_unref);
  r->handled = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_clear_pointer (&r->queued, g_hash_table_unref);
  r->queued = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_clear_pointer (&r->groups, g_ptr_array_unref);
  r->groups = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_directory_entry_unref);
  g_hash_table_add (r->handled, g_strdup (key));
  g_hash_table_add (r->queued, g_steal_pointer (&key));
  g_ptr_array_add (r->groups, ps_directory_entry_ref (r->top));
}

/* Classifies @entries, queues the nested groups and hands the people on. */
static gboolean
take_members (MembersRead  *r,
              GPtrArray    *entries,
              GError      **error)
{
  g_autoptr(GPtrArray) people = g_ptr_array_sized_new (entries->len);
  PsDirectoryMemberReport *report = r->report;

  for (guint i = 0; i < entries->len; i++)
    {
      PsDirectoryEntry *e = g_ptr_array_index (entries, i);
      const char *dn = ps_directory_entry_get_dn (e);
      char *key = g_ascii_strdown (dn, -1);

      if (!g_hash_table_add (r->handled, key))
        continue;   /* met before: in several groups, or read twice */
      switch (ps_directory_entry_get_member_kind (e))
        {
        case PS_DIRECTORY_MEMBER_PERSON:
          report->people++;
          g_ptr_array_add (people, e);
          break;
        case PS_DIRECTORY_MEMBER_GROUP:
          report->groups++;
          if (r->nested != PS_NESTED_OFF && g_hash_table_add (r->queued, g_strdup (key)))
            g_ptr_array_add (r->groups, ps_directory_entry_ref (e));
          break;
        case PS_DIRECTORY_MEMBER_COMPUTER:
          report->computers++;
          break;
        case PS_DIRECTORY_MEMBER_CONTACT:
          report->contacts++;
          break;
        case PS_DIRECTORY_MEMBER_FOREIGN_PRINCIPAL:
          report->foreign_principals++;
          break;
        case PS_DIRECTORY_MEMBER_UNKNOWN:
        default:
          g_debug ("Member %s has no objectClass PandaSync knows", dn);
          g_ptr_array_add (report->unclassified, g_strdup (dn));
          break;
        }
    }
  return ps_directory_deliver (r->out, people, error);
}

static gboolean
on_member_page_cb (GPtrArray  *entries,
                   gboolean    restarted,
                   gpointer    user_data,
                   GError    **error)
{
  /* never restarted: the retries happen around the whole members read */
  return take_members (user_data, entries, error);
}

static gboolean
search_members (PsDirectory   *self,
                MembersRead   *r,
                const char    *filter,
                GCancellable  *cancellable,
                GError       **error)
{
  SearchSpec spec = { 0 };
  Delivery d = { on_member_page_cb, r, FALSE, 0, NULL };

  spec.base = ps_directory_get_base_dn (self);
  spec.scope = LDAP_SCOPE_SUBTREE;
  spec.filter = filter;
  spec.attributes = (const char *const *) r->attributes;
  return ps_directory_search_attempt (self, &spec, &d, cancellable, error);
}

/* A member DN that cannot be read makes the membership partial; anything
 * else (a lost connection …) fails the read. */
static gboolean
is_unreadable (const GError *error)
{
  return g_error_matches (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NO_SUCH_OBJECT)
      || g_error_matches (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_ACCESS_DENIED)
      || g_error_matches (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_INVALID_ARGUMENT);
}

/* A member value that no search returned: read it on its own. */
static gboolean
read_one_member (PsDirectory   *self,
                 MembersRead   *r,
                 const char    *dn,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(PsDirectoryEntry) entry = ps_directory_read_entry_once (self, dn, (const char *const *) r->attributes,
                                                       cancellable, &local);
  g_autoptr(GPtrArray) one = g_ptr_array_new ();
  gboolean ok;

  if (entry == NULL)
    {
      if (!is_unreadable (local))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      g_debug ("Member %s cannot be read: %s", dn, local->message);
      g_hash_table_add (r->handled, g_ascii_strdown (dn, -1));
      g_ptr_array_add (r->report->unreadable, g_strdup (dn));
      return TRUE;
    }
  /* the entry under the DN the server gives it, then the value as written
   * (they may differ in form): neither is read again */
  g_ptr_array_add (one, entry);
  ok = take_members (r, one, error);
  g_hash_table_add (r->handled, g_ascii_strdown (dn, -1));
  return ok;
}

typedef struct {
  MembersRead *read;
  GPtrArray *missing;   /* the values no entry met so far stands for */
  GString *key;         /* scratch: no allocation per value */
  gboolean unique;
} MemberValues;

static void
add_member_value (const char *value,
                  gsize       length,
                  gpointer    user_data)
{
  MemberValues *v = user_data;

  /* uniqueMember is "DN" or "DN#'0101'B" (RFC 4517 Name and Optional UID) */
  if (v->unique && length > 3 && value[length - 1] == 'B' && value[length - 2] == '\'')
    {
      for (gsize i = length - 2; i > 1; i--)
        if (value[i - 1] == '\'' && value[i - 2] == '#')
          {
            length = i - 2;
            break;
          }
    }
  g_string_truncate (v->key, 0);
  g_string_append_len (v->key, value, length);
  for (gsize i = 0; i < v->key->len; i++)
    v->key->str[i] = g_ascii_tolower (v->key->str[i]);
  if (!g_hash_table_contains (v->read->handled, v->key->str))
    g_ptr_array_add (v->missing, g_strndup (value, length));
}

/* Appends the member values of @group that no entry met so far stands for
 * to @missing. A group that cannot be read is an unreadable member like any
 * other. */
static gboolean
read_member_values (PsDirectory       *self,
                    MembersRead       *r,
                    PsDirectoryEntry  *group,
                    GPtrArray         *missing,
                    GCancellable      *cancellable,
                    GError           **error)
{
  static const char *const attributes[] = { "member", "uniqueMember", NULL };
  const char *dn = ps_directory_entry_get_dn (group);
  g_autoptr(GString) key = g_string_sized_new (256);

  for (guint i = 0; attributes[i] != NULL; i++)
    {
      g_autoptr(GError) local = NULL;
      MemberValues v = { r, missing, key, i == 1 };

      if (i == 1 && !ps_directory_entry_has_class (group, "groupOfUniqueNames"))
        continue;
      if (ps_directory_read_values (self, dn, attributes[i], FALSE, add_member_value, &v, cancellable, &local))
        continue;
      if (!is_unreadable (local))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      g_debug ("The members of %s cannot be read: %s", dn, local->message);
      g_ptr_array_add (r->report->unreadable, g_strdup (dn));
      return TRUE;
    }
  return TRUE;
}

static gboolean
attempt_read_members (PsDirectory   *self,
                      gpointer       data,
                      Delivery      *d,
                      GCancellable  *cancellable,
                      GError       **error)
{
  MembersRead *r = data;
  guint start = 0;

  members_read_reset (r, d);
  if (r->nested == PS_NESTED_IN_CHAIN)
    {
      g_autofree char *escaped = ps_directory_escape_text (ps_directory_entry_get_dn (r->top));
      g_autofree char *filter = g_strdup_printf ("(memberOf:" IN_CHAIN_RULE ":=%s)", escaped);

      if (!search_members (self, r, filter, cancellable, error))
        return FALSE;
    }
  /* AD records a user's primary group (usually Domain Users) only in the
   * user's primaryGroupID, never in member or memberOf */
  if (r->primary_token > 0)
    {
      g_autofree char *filter = g_strdup_printf ("(primaryGroupID=%" G_GINT64_FORMAT ")", r->primary_token);

      if (!search_members (self, r, filter, cancellable, error))
        return FALSE;
    }

  /* level by level: the entries that say they are members of the groups
   * met so far, then the groups' member values, each value that no entry
   * met stands for read on its own */
  while (start < r->groups->len)
    {
      guint end = r->groups->len;
      g_autoptr(GPtrArray) missing = g_ptr_array_new_with_free_func (g_free);

      for (guint i = start; r->nested != PS_NESTED_IN_CHAIN && i < end; i += GROUPS_PER_FILTER)
        {
          g_autoptr(GString) filter = g_string_new ("(|");

          for (guint j = i; j < MIN (end, i + GROUPS_PER_FILTER); j++)
            {
              g_autofree char *escaped = ps_directory_escape_text (ps_directory_entry_get_dn (g_ptr_array_index (r->groups, j)));

              g_string_append_printf (filter, "(memberOf=%s)", escaped);
            }
          g_string_append_c (filter, ')');
          if (!search_members (self, r, filter->str, cancellable, error))
            return FALSE;
        }
      for (guint i = start; i < end; i++)
        if (!read_member_values (self, r, g_ptr_array_index (r->groups, i), missing, cancellable, error))
          return FALSE;
      for (guint i = 0; i < missing->len; i++)
        {
          const char *dn = g_ptr_array_index (missing, i);
          g_autofree char *key = g_ascii_strdown (dn, -1);

          /* (a value may stand for an entry read a moment ago) */
          if (!g_hash_table_contains (r->handled, key)
              && !read_one_member (self, r, dn, cancellable, error))
            return FALSE;
        }
      g_debug ("%s: %u groups read, %u member values read on their own",
               ps_directory_entry_get_dn (r->top), end, missing->len);
      start = end;
    }

  if (r->report->unreadable->len > 0 || r->report->unclassified->len > 0)
    {
      set_partial_members_error (error, ps_directory_entry_get_dn (r->top), r->report);
      return FALSE;
    }
  return TRUE;
}

/**
 * ps_directory_read_members_sync:
 * @group_dn: the group's DN (see ps_directory_find_group_sync ())
 * @attributes: (nullable): what to read of each person; NULL for the defaults
 * @report: (out) (optional): what was met; set also when the call fails
 *
 * The people in the group, streamed page by page to @func, each once even
 * when it is in several nested groups. Members are told apart by their own
 * objectClass (ps_directory_entry_get_member_kind ()): groups are expanded
 * per @nested, computers, contacts and foreign security principals are
 * skipped and counted. Every member value is accounted for: the group's
 * member values (ranged) are compared with what the searches returned, and
 * the rest is read one by one. When some cannot be read or classified, the
 * readable people are still delivered, then PS_DIRECTORY_ERROR_PARTIAL_MEMBERS.
 */
gboolean
ps_directory_read_members_sync (PsDirectory               *self,
                                const char                *group_dn,
                                PsNestedMode               nested,
                                const char *const         *attributes,
                                PsDirectoryPageFunc        func,
                                gpointer                   user_data,
                                PsDirectoryMemberReport  **report,
                                GCancellable              *cancellable,
                                GError                   **error)
{
  static const char *const group_attrs[] = { "objectClass", "primaryGroupToken", NULL };
  g_autofree char *normal = NULL;
  g_autofree char *what = NULL;
  g_autoptr(GStrvBuilder) attrs = g_strv_builder_new ();
  MembersRead r = { 0 };
  Delivery d = { func, user_data, FALSE, 0, NULL };
  gboolean ok;

  g_return_val_if_fail (PS_IS_DIRECTORY (self), FALSE);
  g_return_val_if_fail (group_dn != NULL, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  if (report != NULL)
    *report = ps_directory_member_report_new ();
  if (!ps_directory_connect_sync (self, cancellable, error))
    return FALSE;
  normal = ps_directory_normalize_dn (group_dn, error);
  if (normal == NULL)
    return FALSE;
  if (nested == PS_NESTED_IN_CHAIN && self->kind != PS_DIRECTORY_KIND_ACTIVE_DIRECTORY)
    {
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NOT_SUPPORTED,
                   _("This directory does not support Active Directory’s in-chain matching rule; "
                     "choose client-side nested groups instead."));
      return FALSE;
    }
  /* a missing group is an error, never an empty membership */
  r.top = ps_directory_read_entry_sync (self, normal, group_attrs, cancellable, error);
  if (r.top == NULL)
    return FALSE;
  r.nested = nested;
  if (!ps_directory_entry_get_int64 (r.top, "primaryGroupToken", &r.primary_token))
    r.primary_token = 0;
  if (attributes == NULL)
    attributes = ps_directory_user_attributes;
  g_strv_builder_addv (attrs, (const char **) attributes);
  if (!g_strv_contains (attributes, "objectClass"))
    g_strv_builder_add (attrs, "objectClass");
  r.attributes = g_strv_builder_end (attrs);

  what = g_strdup_printf (_("the members of %s"), normal);
  ok = ps_directory_run_with_retries (self, attempt_read_members, &r, &d, what, cancellable, error);
  if (report != NULL && r.report != NULL)
    {
      ps_directory_member_report_free (*report);
      *report = g_steal_pointer (&r.report);
    }
  members_read_clear (&r);
  return ok;
}

/**
 * ps_directory_list_members_sync:
 *
 * ps_directory_read_members_sync () without the report.
 */
gboolean
ps_directory_list_members_sync (PsDirectory          *self,
                                const char           *group_dn,
                                PsNestedMode          nested,
                                const char *const    *attributes,
                                PsDirectoryPageFunc   func,
                                gpointer              user_data,
                                GCancellable         *cancellable,
                                GError              **error)
{
  return ps_directory_read_members_sync (self, group_dn, nested, attributes, func, user_data, NULL,
                                         cancellable, error);
}
