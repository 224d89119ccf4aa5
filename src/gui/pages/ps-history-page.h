/* ps-history-page.h — the History page (its content is built on top of this shell)
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ps-wizard-page.h"

G_BEGIN_DECLS

#define PS_TYPE_HISTORY_PAGE (ps_history_page_get_type ())
G_DECLARE_FINAL_TYPE (PsHistoryPage, ps_history_page, PS, HISTORY_PAGE, PsWizardPage)

PsWizardPage *ps_history_page_new        (PsProfile *profile);
void          ps_history_page_export_run (PsHistoryPage *self,
                                          gint64         run_id,
                                          const char    *path);
gboolean      ps_history_page_export_leavers (PsHistoryPage *self,
                                              const char    *path);

G_END_DECLS
