/* ps-okta-source.h — Okta as an identity source
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The PsSource implementation over PsOktaClient: a group's users from
 * `GET /api/v1/groups/{id}/users` (Okta has no nested groups), anchored by
 * the Okta user id (or the mapping's UniqueIdentifier, read from the
 * profile), with the status deciding who is at work (§2.4 of the Okta read
 * contract):
 *
 *   ACTIVE, PROVISIONED, RECOVERY, PASSWORD_EXPIRED, LOCKED_OUT  enabled
 *   SUSPENDED, DEPROVISIONED                                     disabled
 *   STAGED                                                       left out
 *
 * and a status on the way (`transitioningToStatus`) counting as reached.
 * A user without an id or a status, or with a status Okta does not
 * document, makes the read fail as partial after everything else was read.
 *
 * A mapping's Filter is an Okta search expression (`profile.department eq
 * "Sales"`), checked before any read; the users it selects are read with
 * `GET /api/v1/users?search=` and intersected with the group's users by id.
 * SearchBase is an LDAP setting and is refused. Every run reads in full.
 */
#pragma once

#include "ps-okta-client.h"
#include "ps-source.h"

G_BEGIN_DECLS

#define PS_TYPE_OKTA_SOURCE (ps_okta_source_get_type ())
G_DECLARE_FINAL_TYPE (PsOktaSource, ps_okta_source, PS, OKTA_SOURCE, GObject)

PsOktaSource *ps_okta_source_new             (PsOktaClient  *client,
                                              const char    *location);
/* The [Okta] section of @profile and its API token (okta-api-token, from
 * the keyring or the credentials file). */
PsOktaSource *ps_okta_source_new_for_profile (PsProfile     *profile,
                                              GCancellable  *cancellable,
                                              GError       **error);
PsOktaClient *ps_okta_source_get_client      (PsOktaSource  *self);

G_END_DECLS
