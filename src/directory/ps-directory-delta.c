/* ps-directory-delta.c — uSNChanged watermarks, changed and deleted entries
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

/* ---------------------------------------------------------------- delta */

static gboolean
require_ad (PsDirectory  *self,
            GError      **error)
{
  if (self->kind == PS_DIRECTORY_KIND_ACTIVE_DIRECTORY)
    return TRUE;
  g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NOT_SUPPORTED,
               _("This directory is not Active Directory: it has no uSNChanged change tracking, "
                 "so every sync reads everything."));
  return FALSE;
}

/**
 * ps_directory_read_watermark_sync:
 *
 * highestCommittedUSN, dnsHostName and dsServiceName from the rootDSE, and
 * the invocationId of the DC's NTDS Settings object. Read it *before*
 * searching for changes.
 */
PsDirectoryWatermark *
ps_directory_read_watermark_sync (PsDirectory   *self,
                                  GCancellable  *cancellable,
                                  GError       **error)
{
  static const char *const root_attrs[] = { "highestCommittedUSN", "dnsHostName", "dsServiceName", NULL };
  static const char *const ntds_attrs[] = { "invocationId", NULL };
  g_autoptr(PsDirectoryWatermark) mark = g_new0 (PsDirectoryWatermark, 1);
  g_autoptr(GPtrArray) root = NULL;
  g_autoptr(PsDirectoryEntry) ntds = NULL;
  PsDirectoryEntry *dse;
  gint64 usn = 0;

  g_return_val_if_fail (PS_IS_DIRECTORY (self), NULL);
  if (!ps_directory_connect_sync (self, cancellable, error) || !require_ad (self, error))
    return NULL;
  root = ps_directory_search_all (self, "", PS_DIRECTORY_SCOPE_BASE, "(objectClass=*)", root_attrs, cancellable, error);
  if (root == NULL)
    return NULL;
  dse = root->len > 0 ? g_ptr_array_index (root, 0) : NULL;
  if (dse == NULL || !ps_directory_entry_get_int64 (dse, "highestCommittedUSN", &usn) || usn < 0)
    {
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NOT_SUPPORTED,
                   _("The domain controller does not publish highestCommittedUSN; every sync reads everything."));
      return NULL;
    }
  mark->usn = (guint64) usn;
  mark->server = ps_directory_entry_dup_string (dse, "dnsHostName", NULL);
  mark->service_name = ps_directory_entry_dup_string (dse, "dsServiceName", NULL);
  if (mark->service_name == NULL)
    {
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NOT_SUPPORTED,
                   _("The domain controller does not publish dsServiceName; every sync reads everything."));
      return NULL;
    }
  ntds = ps_directory_read_entry_sync (self, mark->service_name, ntds_attrs, cancellable, error);
  if (ntds == NULL)
    return NULL;
  mark->invocation_id = ps_directory_entry_dup_string (ntds, "invocationId", NULL);
  if (mark->invocation_id == NULL)
    {
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NOT_SUPPORTED,
                   _("The service account cannot read the DC’s invocationId; every sync reads everything."));
      return NULL;
    }
  return g_steal_pointer (&mark);
}

static gboolean
check_same_database (const PsDirectoryWatermark  *since,
                     const PsDirectoryWatermark  *now,
                     GError                     **error)
{
  if (g_strcmp0 (since->invocation_id, now->invocation_id) != 0
      || g_strcmp0 (since->service_name, now->service_name) != 0)
    {
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_FULL_READ_REQUIRED,
                   _("The last sync read another domain controller or a restored database (%s, now %s); "
                     "changes cannot be read from there, so everything is read again."),
                   since->server != NULL ? since->server : "?", now->server != NULL ? now->server : "?");
      return FALSE;
    }
  if (now->usn < since->usn)
    {
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_FULL_READ_REQUIRED,
                   _("The domain controller’s change counter went back (%llu < %llu); "
                     "everything is read again."),
                   (unsigned long long) now->usn, (unsigned long long) since->usn);
      return FALSE;
    }
  return TRUE;
}

gboolean
ps_directory_search_changes_sync (PsDirectory                 *self,
                                  const PsDirectoryWatermark  *since,
                                  const char                  *filter,
                                  const char *const           *attributes,
                                  PsDirectoryPageFunc          func,
                                  gpointer                     user_data,
                                  PsDirectoryWatermark       **new_watermark,
                                  GCancellable                *cancellable,
                                  GError                     **error)
{
  g_autoptr(PsDirectoryWatermark) now = NULL;
  g_autofree char *usn = NULL;
  g_autofree char *full = NULL;

  g_return_val_if_fail (PS_IS_DIRECTORY (self), FALSE);
  g_return_val_if_fail (since != NULL, FALSE);

  now = ps_directory_read_watermark_sync (self, cancellable, error);
  if (now == NULL || !check_same_database (since, now, error))
    return FALSE;
  usn = g_strdup_printf ("(uSNChanged>=%" G_GUINT64_FORMAT ")", since->usn + 1);
  full = ps_directory_join_filter (filter != NULL ? filter : ps_directory_person_filter (self), usn);
  if (!ps_directory_search_sync (self, NULL, PS_DIRECTORY_SCOPE_SUBTREE, full,
                                 attributes != NULL ? attributes : ps_directory_user_attributes,
                                 func, user_data, cancellable, error))
    return FALSE;
  if (new_watermark != NULL)
    *new_watermark = g_steal_pointer (&now);
  return TRUE;
}

static gboolean
attempt_deleted (PsDirectory   *self,
                 gpointer       data,
                 Delivery      *d,
                 GCancellable  *cancellable,
                 GError       **error)
{
  return ps_directory_search_attempt (self, data, d, cancellable, error);
}

/**
 * ps_directory_search_deleted_sync:
 *
 * Tombstones (isDeleted=TRUE) changed since @since, with the show-deleted
 * control, from the whole naming context: a deleted object is moved to
 * CN=Deleted Objects and keeps objectGUID, objectSid and sAMAccountName.
 */
gboolean
ps_directory_search_deleted_sync (PsDirectory                 *self,
                                  const PsDirectoryWatermark  *since,
                                  const char *const           *attributes,
                                  PsDirectoryPageFunc          func,
                                  gpointer                     user_data,
                                  GCancellable                *cancellable,
                                  GError                     **error)
{
  static const char *const deleted_attrs[] = {
    "objectGUID", "objectSid", "sAMAccountName", "isDeleted", "lastKnownParent", "uSNChanged", NULL
  };
  g_autofree char *filter = NULL;
  SearchSpec spec = { 0 };
  Delivery d = { func, user_data, FALSE, 0, NULL };

  g_return_val_if_fail (PS_IS_DIRECTORY (self), FALSE);
  if (!ps_directory_connect_sync (self, cancellable, error) || !require_ad (self, error))
    return FALSE;
  if (!g_strv_contains ((const char *const *) self->supported_controls, SHOW_DELETED_OID))
    {
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_NOT_SUPPORTED,
                   _("This directory cannot list deleted objects (no show-deleted control)."));
      return FALSE;
    }
  filter = g_strdup_printf ("(&(isDeleted=TRUE)(uSNChanged>=%" G_GUINT64_FORMAT "))",
                            since != NULL ? since->usn + 1 : 0);
  spec.base = self->default_nc != NULL ? self->default_nc : ps_directory_get_base_dn (self);
  spec.scope = LDAP_SCOPE_SUBTREE;
  spec.filter = filter;
  spec.attributes = attributes != NULL ? attributes : deleted_attrs;
  spec.show_deleted = TRUE;
  return ps_directory_run_with_retries (self, attempt_deleted, &spec, &d, _("deleted objects"), cancellable, error);
}
