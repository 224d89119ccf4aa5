/* ps-sync-page.h — the Sync page (its content is built on top of this shell)
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ps-wizard-page.h"

G_BEGIN_DECLS

#define PS_TYPE_SYNC_PAGE (ps_sync_page_get_type ())
G_DECLARE_FINAL_TYPE (PsSyncPage, ps_sync_page, PS, SYNC_PAGE, PsWizardPage)

PsWizardPage *ps_sync_page_new (PsProfile *profile);

/* Hook for the tray's and the window's Start Sync: the sync engine's page
 * starts a run here. */
void          ps_sync_page_start_sync (PsSyncPage *self);

G_END_DECLS
