/* ps-entra-source.h — Microsoft Entra ID (Microsoft Graph) as an identity source
 *
 * The PsSource implementation over PsGraphClient: a group's people from
 * `transitiveMembers` (nesting resolved by Graph), users only — devices,
 * contacts, service principals and groups are counted and skipped — with
 * `accountEnabled` as the enabled state and the object id as the anchor.
 * `onPremisesSecurityIdentifier` (alias: objectSid) can be the unique
 * identifier, so a collection first synced from on-premises AD carries on.
 *
 * Changes are followed with users/delta and groups/delta over every group
 * of the scope's nesting tree; the watermark (an opaque token of a few MB
 * at most) carries both kinds of delta links and the tree's direct
 * memberships, taken for the query read_watermark () is given.
 */
#pragma once

#include "ps-graph-client.h"
#include "ps-source.h"

G_BEGIN_DECLS

#define PS_TYPE_ENTRA_SOURCE (ps_entra_source_get_type ())
G_DECLARE_FINAL_TYPE (PsEntraSource, ps_entra_source, PS, ENTRA_SOURCE, GObject)

PsEntraSource *ps_entra_source_new             (PsGraphClient *client,
                                                const char    *location);
PsEntraSource *ps_entra_source_new_for_profile (PsProfile     *profile,
                                                GCancellable  *cancellable,
                                                GError       **error);
PsGraphClient *ps_entra_source_get_client      (PsEntraSource *self);

G_END_DECLS
