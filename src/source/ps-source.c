/* ps-source.c — the identity source interface
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib/gi18n-lib.h>

#include "ps-entra-source.h"
#include "ps-ldap-source.h"
#include "ps-okta-source.h"
#include "ps-source.h"

G_DEFINE_INTERFACE (PsSource, ps_source, G_TYPE_OBJECT)
G_DEFINE_QUARK (ps-source-error-quark, ps_source_error)

static void
ps_source_default_init (PsSourceInterface *iface)
{
}

/* ---------------------------------------------------------------- groups */

PsSourceGroup *
ps_source_group_new (const char *id,
                     const char *name)
{
  PsSourceGroup *group = g_new0 (PsSourceGroup, 1);

  group->id = g_strdup (id);
  group->name = g_strdup (name);
  return group;
}

void
ps_source_group_free (PsSourceGroup *group)
{
  if (group == NULL)
    return;
  g_free (group->id);
  g_free (group->name);
  g_free (group->path);
  g_free (group->description);
  g_free (group);
}

/* ---------------------------------------------------------------- public API */

const char *
ps_source_get_kind_name (PsSource *self)
{
  g_return_val_if_fail (PS_IS_SOURCE (self), NULL);
  return PS_SOURCE_GET_IFACE (self)->get_kind_name (self);
}

gboolean
ps_source_connect_sync (PsSource      *self,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_return_val_if_fail (PS_IS_SOURCE (self), FALSE);
  return PS_SOURCE_GET_IFACE (self)->connect (self, cancellable, error);
}

void
ps_source_close (PsSource *self)
{
  g_return_if_fail (PS_IS_SOURCE (self));
  if (PS_SOURCE_GET_IFACE (self)->close != NULL)
    PS_SOURCE_GET_IFACE (self)->close (self);
}

const char *
ps_source_get_location (PsSource *self)
{
  g_return_val_if_fail (PS_IS_SOURCE (self), NULL);
  return PS_SOURCE_GET_IFACE (self)->get_location (self);
}

GPtrArray *
ps_source_test_connection_sync (PsSource      *self,
                                const char    *group,
                                GCancellable  *cancellable,
                                GError       **error)
{
  g_return_val_if_fail (PS_IS_SOURCE (self), NULL);
  return PS_SOURCE_GET_IFACE (self)->test_connection (self, group, cancellable, error);
}

GPtrArray *
ps_source_find_groups_sync (PsSource      *self,
                            const char    *search,
                            guint          limit,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_return_val_if_fail (PS_IS_SOURCE (self), NULL);
  return PS_SOURCE_GET_IFACE (self)->find_groups (self, search, limit, cancellable, error);
}

PsSourceGroup *
ps_source_resolve_group_sync (PsSource      *self,
                              const char    *group,
                              GCancellable  *cancellable,
                              GError       **error)
{
  g_return_val_if_fail (PS_IS_SOURCE (self), NULL);
  return PS_SOURCE_GET_IFACE (self)->resolve_group (self, group, cancellable, error);
}

const char *const *
ps_source_suggested_attributes (PsSource *self)
{
  g_return_val_if_fail (PS_IS_SOURCE (self), NULL);
  return PS_SOURCE_GET_IFACE (self)->suggested_attributes (self);
}

gboolean
ps_source_check_attributes_sync (PsSource             *self,
                                 const PsSourceQuery  *query,
                                 GCancellable         *cancellable,
                                 GError              **error)
{
  g_return_val_if_fail (PS_IS_SOURCE (self), FALSE);
  return PS_SOURCE_GET_IFACE (self)->check_attributes (self, query, cancellable, error);
}

GPtrArray *
ps_source_read_people_sync (PsSource             *self,
                            const PsSourceQuery  *query,
                            guint                *members,
                            GCancellable         *cancellable,
                            GError              **error)
{
  g_return_val_if_fail (PS_IS_SOURCE (self), NULL);
  return PS_SOURCE_GET_IFACE (self)->read_people (self, query, members, cancellable, error);
}

char *
ps_source_read_watermark_sync (PsSource             *self,
                               const PsSourceQuery  *query,
                               GCancellable         *cancellable,
                               GError              **error)
{
  g_return_val_if_fail (PS_IS_SOURCE (self), NULL);
  if (PS_SOURCE_GET_IFACE (self)->read_watermark == NULL)
    return NULL;
  return PS_SOURCE_GET_IFACE (self)->read_watermark (self, query, cancellable, error);
}

GPtrArray *
ps_source_read_changes_sync (PsSource             *self,
                             const PsSourceQuery  *query,
                             const char           *watermark,
                             GHashTable           *known,
                             char                **new_watermark,
                             GCancellable         *cancellable,
                             GError              **error)
{
  g_return_val_if_fail (PS_IS_SOURCE (self), NULL);
  if (PS_SOURCE_GET_IFACE (self)->read_changes == NULL || watermark == NULL)
    return NULL;
  return PS_SOURCE_GET_IFACE (self)->read_changes (self, query, watermark, known, new_watermark,
                                                   cancellable, error);
}

GHashTable *
ps_source_own_anchors_sync (PsSource             *self,
                            const PsSourceQuery  *query,
                            GPtrArray            *people,
                            GPtrArray            *anchors,
                            GCancellable         *cancellable,
                            GError              **error)
{
  g_return_val_if_fail (PS_IS_SOURCE (self), NULL);
  return PS_SOURCE_GET_IFACE (self)->own_anchors (self, query, people, anchors, cancellable, error);
}

void
ps_source_query_log (const PsSourceQuery *query,
                     PsSourceLogLevel     level,
                     const char          *format,
                     ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (query->log != NULL)
    query->log (level, message, query->log_data);
  else
    g_debug ("%s: %s", query->name, message);
}

PsSource *
ps_source_new_for_profile (PsProfile     *profile,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_return_val_if_fail (PS_IS_PROFILE (profile), NULL);
  if (ps_profile_get_source_kind (profile) == PS_SOURCE_KIND_ENTRA_ID)
    return PS_SOURCE (ps_entra_source_new_for_profile (profile, cancellable, error));
  if (ps_profile_get_source_kind (profile) == PS_SOURCE_KIND_OKTA)
    return PS_SOURCE (ps_okta_source_new_for_profile (profile, cancellable, error));
  return PS_SOURCE (ps_ldap_source_new_for_profile (profile, cancellable, error));
}
