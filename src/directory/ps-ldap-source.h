/* ps-ldap-source.h — Active Directory (or any LDAP directory) as an identity source
 *
 * The PsSource implementation over PsDirectory: a group's people with nested
 * groups expanded client-side, scope narrowed by SearchBase and Filter,
 * uSNChanged deltas on Active Directory, anchors checked by domain SID.
 */
#pragma once

#include "ps-directory.h"
#include "ps-source.h"

G_BEGIN_DECLS

#define PS_TYPE_LDAP_SOURCE (ps_ldap_source_get_type ())
G_DECLARE_FINAL_TYPE (PsLdapSource, ps_ldap_source, PS, LDAP_SOURCE, GObject)

PsLdapSource *ps_ldap_source_new             (PsDirectory   *directory,
                                              PsNestedMode   nested);
PsLdapSource *ps_ldap_source_new_for_profile (PsProfile     *profile,
                                              GCancellable  *cancellable,
                                              GError       **error);
PsDirectory  *ps_ldap_source_get_directory   (PsLdapSource  *self);

G_END_DECLS
