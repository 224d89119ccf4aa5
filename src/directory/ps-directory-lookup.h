/* ps-directory-lookup.h — questions the engine asks a directory about scope
 * and identity: which DNs a filter selects, which values exist, and which
 * domains' SIDs are this directory's.
 */
#pragma once

#include "ps-directory.h"

G_BEGIN_DECLS

/* The DNs (lower-case → as read) that @filter selects under @base (NULL: the
 * base DN). Only DNs are read ("1.1"). */
GHashTable *ps_directory_search_dns_sync (PsDirectory   *self,
                                          const char    *base,
                                          const char    *filter,
                                          GCancellable  *cancellable,
                                          GError       **error);

/* Which of @values (strings as the engine reads them: a SID or GUID in its
 * text form) some entry under the base DN carries in @attribute. Returns a
 * set of the values found, lower-case. */
GHashTable *ps_directory_find_values_sync (PsDirectory   *self,
                                           const char    *attribute,
                                           GPtrArray     *values,
                                           GCancellable  *cancellable,
                                           GError       **error);

/* The domain SIDs ("S-1-5-21-a-b-c") this directory serves: the objectSid of
 * the default naming context and of the base DN, where they have one.
 * An empty set (never NULL without an error) when neither has. */
GHashTable *ps_directory_read_domain_sids_sync (PsDirectory   *self,
                                                GCancellable  *cancellable,
                                                GError       **error);

/* Every attribute name (and OID) the directory's schema knows, lower-case,
 * read from the subschema entry named in the rootDSE. */
GHashTable *ps_directory_read_schema_attributes_sync (PsDirectory   *self,
                                                      GCancellable  *cancellable,
                                                      GError       **error);

/* The domain part of a SID string (without the last RID), or NULL when
 * @sid is not a domain account's SID (S-1-5-21-…). */
char       *ps_directory_sid_domain (const char *sid);

/* Whether @dn is @base or below it (both compared normalised). */
gboolean    ps_directory_dn_is_under (const char *dn, const char *base);

G_END_DECLS
