/* ps-connection-page.h — the Asset Panda connection and the identity source
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ps-gui-backend.h"
#include "ps-wizard-page.h"

G_BEGIN_DECLS

#define PS_TYPE_CONNECTION_PAGE (ps_connection_page_get_type ())
G_DECLARE_FINAL_TYPE (PsConnectionPage, ps_connection_page, PS, CONNECTION_PAGE, PsWizardPage)

PsWizardPage *ps_connection_page_new (PsProfile *profile);

/* For tests: the entry of a field, and the error shown under it (or NULL). */
GtkWidget   *ps_connection_page_get_field_widget (PsConnectionPage *self,
                                                  PsGuiField        field);
const char  *ps_connection_page_get_field_error  (PsConnectionPage *self,
                                                  PsGuiField        field);
guint        ps_connection_page_get_n_steps      (PsConnectionPage *self);
GPtrArray   *ps_connection_page_get_steps        (PsConnectionPage *self);

G_END_DECLS
