/* ps-schedule-page.h — Automation Sync: when the scheduled syncs run
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ps-wizard-page.h"

G_BEGIN_DECLS

#define PS_TYPE_SCHEDULE_PAGE (ps_schedule_page_get_type ())
G_DECLARE_FINAL_TYPE (PsSchedulePage, ps_schedule_page, PS, SCHEDULE_PAGE, PsWizardPage)

PsWizardPage *ps_schedule_page_new (PsProfile *profile);

/* For tests: the confirmation shown by Submit, while it is open. */
GtkDialog    *ps_schedule_page_get_confirmation (PsSchedulePage *self);
const char   *ps_schedule_page_get_next_run_text (PsSchedulePage *self);

G_END_DECLS
