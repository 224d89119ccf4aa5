/* ps-directory.h — reads Active Directory (or OpenLDAP) over LDAP
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Threads: every _sync call blocks and is meant for a worker thread. The LDAP
 * handle of a PsDirectory is created, used and unbound by the thread that
 * connected it; call ps_directory_close () from that thread when done (the
 * last unref does it too). Use one PsDirectory per thread. The _async
 * wrappers make a private PsDirectory inside their worker thread.
 *
 * Searches always use the paged-results control (RFC 2696) and hand the
 * results to a PsDirectoryPageFunc one page at a time. If a page fails with
 * a transient error, the read starts again from the first page (at most
 * three attempts, the AD rule); the callback is then told restarted = TRUE
 * and must drop everything it was given before. When the read cannot be
 * completed the call fails (PS_DIRECTORY_ERROR_PARTIAL when pages had been
 * delivered): a partial result is never passed off as complete.
 */
#pragma once

#include <gio/gio.h>

#include "ps-profile.h"
#include "ps-connection-step.h"
#include "ps-directory-entry.h"
#include "ps-directory-error.h"

G_BEGIN_DECLS

#define PS_TYPE_DIRECTORY (ps_directory_get_type ())
G_DECLARE_FINAL_TYPE (PsDirectory, ps_directory, PS, DIRECTORY, GObject)

typedef enum {
  PS_DIRECTORY_SCOPE_BASE,
  PS_DIRECTORY_SCOPE_ONE,
  PS_DIRECTORY_SCOPE_SUBTREE,
} PsDirectoryScope;

typedef enum {
  PS_DIRECTORY_KIND_UNKNOWN,
  PS_DIRECTORY_KIND_ACTIVE_DIRECTORY,  /* AD or Samba AD DC */
  PS_DIRECTORY_KIND_OPENLDAP,          /* groupOfNames + memberOf overlay */
} PsDirectoryKind;

/* Return FALSE (with @error set) to stop the read. @entries holds
 * PsDirectoryEntry*; take a ref to keep one. */
typedef gboolean (*PsDirectoryPageFunc) (GPtrArray  *entries,
                                         gboolean    restarted,
                                         gpointer    user_data,
                                         GError    **error);

/* The uSNChanged delta watermark: read before a search, stored with the
 * synced data. A different server or invocation id means a full read. */
typedef struct {
  char    *server;          /* dnsHostName of the DC */
  char    *service_name;    /* dsServiceName (its NTDS Settings DN) */
  char    *invocation_id;   /* GUID string */
  guint64  usn;             /* highestCommittedUSN */
} PsDirectoryWatermark;

/* What a members read met besides people (ps_directory_read_members_sync ()).
 * Members are told apart by their own objectClass, never by what the server
 * announces. Computers, contacts and foreign security principals are
 * skipped; an unreadable or unclassifiable member makes the read partial. */
typedef struct {
  guint      people;
  guint      groups;             /* nested groups (expanded unless nesting is off) */
  guint      computers;          /* skipped */
  guint      contacts;           /* skipped */
  guint      foreign_principals; /* skipped */
  GPtrArray *unreadable;         /* member DNs that do not exist or may not be read */
  GPtrArray *unclassified;       /* member DNs of no class above */
} PsDirectoryMemberReport;

PsDirectoryMemberReport *ps_directory_member_report_new  (void);
void                     ps_directory_member_report_free (PsDirectoryMemberReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsDirectoryMemberReport, ps_directory_member_report_free)

PsDirectoryWatermark *ps_directory_watermark_copy (const PsDirectoryWatermark *watermark);
void                  ps_directory_watermark_free (PsDirectoryWatermark *watermark);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsDirectoryWatermark, ps_directory_watermark_free)

/* The attributes read for a user unless told otherwise. */
const char *const *ps_directory_default_user_attributes (void);

PsDirectory     *ps_directory_new               (const PsDirectoryConfig *config,
                                                 const char              *bind_password);
PsDirectory     *ps_directory_new_for_profile   (PsProfile     *profile,
                                                 GCancellable  *cancellable,
                                                 GError       **error);
void             ps_directory_set_max_attempts  (PsDirectory *self, guint attempts);

/* Connection */
gboolean         ps_directory_connect_sync      (PsDirectory   *self,
                                                 GCancellable  *cancellable,
                                                 GError       **error);
void             ps_directory_close             (PsDirectory   *self);
const char      *ps_directory_get_connected_uri (PsDirectory   *self);
PsDirectoryKind  ps_directory_get_kind          (PsDirectory   *self);
const char      *ps_directory_get_base_dn       (PsDirectory   *self);
gboolean         ps_directory_bind_name_is_valid (const char   *name);
/* The kind comes from the rootDSE (AD announces its capability OID) unless
 * the profile's [Directory] Kind says otherwise. LDAP filters for "a person"
 * and "a group" (valid once connected): a person on AD is
 * (&(objectCategory=person)(objectClass=user)), elsewhere inetOrgPerson or
 * person; a group is group, groupOfNames or groupOfUniqueNames anywhere.
 * Group members are classified by their own objectClass instead. */
const char      *ps_directory_get_user_filter   (PsDirectory   *self);
const char      *ps_directory_get_group_filter  (PsDirectory   *self);
GStrv            ps_directory_discover_uris_sync (const char    *domain,
                                                  PsTlsMode      tls_mode,
                                                  GCancellable  *cancellable,
                                                  GError       **error);

/* Connection test: resolve → TCP → TLS → bind → base DN → group. Returns
 * the steps (PsConnectionStep*); see ps_connection_steps_passed (). */
GPtrArray       *ps_directory_test_connection_sync   (PsDirectory         *self,
                                                      const char          *group,
                                                      GCancellable        *cancellable);
void             ps_directory_test_connection_async  (PsDirectory         *self,
                                                      const char          *group,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
GPtrArray       *ps_directory_test_connection_finish (PsDirectory         *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);

/* Searching */
gboolean         ps_directory_search_sync       (PsDirectory          *self,
                                                 const char           *base,
                                                 PsDirectoryScope      scope,
                                                 const char           *filter,
                                                 const char *const    *attributes,
                                                 PsDirectoryPageFunc   func,
                                                 gpointer              user_data,
                                                 GCancellable         *cancellable,
                                                 GError              **error);
PsDirectoryEntry *ps_directory_read_entry_sync  (PsDirectory          *self,
                                                 const char           *dn,
                                                 const char *const    *attributes,
                                                 GCancellable         *cancellable,
                                                 GError              **error);
/* All values of a multi-valued attribute, with range retrieval
 * (member;range=…) so that groups over 1,500 members are read completely. */
GPtrArray       *ps_directory_read_ranged_sync  (PsDirectory          *self,
                                                 const char           *dn,
                                                 const char           *attribute,
                                                 GCancellable         *cancellable,
                                                 GError              **error);

/* Groups: by name (cn / sAMAccountName), DN, objectGUID or objectSid. */
PsDirectoryEntry *ps_directory_find_group_sync   (PsDirectory   *self,
                                                  const char    *group,
                                                  GCancellable  *cancellable,
                                                  GError       **error);
void              ps_directory_find_group_async  (PsDirectory         *self,
                                                  const char          *group,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
PsDirectoryEntry *ps_directory_find_group_finish (PsDirectory   *self,
                                                  GAsyncResult  *result,
                                                  GError       **error);
/* Groups whose name or description contains @search (NULL: all), at most
 * @limit (0: no limit), sorted by name. */
GPtrArray        *ps_directory_list_groups_sync   (PsDirectory   *self,
                                                   const char    *search,
                                                   guint          limit,
                                                   GCancellable  *cancellable,
                                                   GError       **error);
void              ps_directory_list_groups_async  (PsDirectory         *self,
                                                   const char          *search,
                                                   guint                limit,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
GPtrArray        *ps_directory_list_groups_finish (PsDirectory   *self,
                                                   GAsyncResult  *result,
                                                   GError       **error);

/* The people in @group_dn; nested groups per @nested (client-side expansion
 * reads each group once, with a visited set, so cycles are safe). Every
 * member value of every group read is accounted for: when some cannot be
 * read or classified, every readable person is still delivered and the call
 * then fails with PS_DIRECTORY_ERROR_PARTIAL_MEMBERS. @report (optional) says
 * what was met, also on failure. */
gboolean          ps_directory_read_members_sync  (PsDirectory               *self,
                                                   const char                *group_dn,
                                                   PsNestedMode               nested,
                                                   const char *const         *attributes,
                                                   PsDirectoryPageFunc        func,
                                                   gpointer                   user_data,
                                                   PsDirectoryMemberReport  **report,
                                                   GCancellable              *cancellable,
                                                   GError                   **error);
/* The same without the report. */
gboolean          ps_directory_list_members_sync  (PsDirectory          *self,
                                                   const char           *group_dn,
                                                   PsNestedMode          nested,
                                                   const char *const    *attributes,
                                                   PsDirectoryPageFunc   func,
                                                   gpointer              user_data,
                                                   GCancellable         *cancellable,
                                                   GError              **error);
/* The DNs of @group_dn and every group nested in it (client-side), found
 * by their objectClass (group, groupOfNames, groupOfUniqueNames). */
GPtrArray        *ps_directory_expand_groups_sync (PsDirectory   *self,
                                                   const char    *group_dn,
                                                   GCancellable  *cancellable,
                                                   GError       **error);
PsDirectoryEntry *ps_directory_find_user_sync     (PsDirectory        *self,
                                                   const char         *user,
                                                   const char *const  *attributes,
                                                   GCancellable       *cancellable,
                                                   GError            **error);

/* Delta (AD only; PS_DIRECTORY_ERROR_NOT_SUPPORTED elsewhere) */
PsDirectoryWatermark *ps_directory_read_watermark_sync (PsDirectory   *self,
                                                        GCancellable  *cancellable,
                                                        GError       **error);
/* Users (or @filter) under the base DN changed since @since; *@new_watermark
 * is read before searching. PS_DIRECTORY_ERROR_FULL_READ_REQUIRED when the
 * server or its invocation id changed. */
gboolean          ps_directory_search_changes_sync (PsDirectory                 *self,
                                                    const PsDirectoryWatermark  *since,
                                                    const char                  *filter,
                                                    const char *const           *attributes,
                                                    PsDirectoryPageFunc          func,
                                                    gpointer                     user_data,
                                                    PsDirectoryWatermark       **new_watermark,
                                                    GCancellable                *cancellable,
                                                    GError                     **error);
/* Objects deleted since @since (tombstones, show-deleted control). */
gboolean          ps_directory_search_deleted_sync (PsDirectory                 *self,
                                                    const PsDirectoryWatermark  *since,
                                                    const char *const           *attributes,
                                                    PsDirectoryPageFunc          func,
                                                    gpointer                     user_data,
                                                    GCancellable                *cancellable,
                                                    GError                     **error);

G_END_DECLS
