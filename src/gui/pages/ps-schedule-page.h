/* ps-schedule-page.h — Automation Sync: when the scheduled syncs run
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ps-service-install.h"
#include "ps-wizard-page.h"

G_BEGIN_DECLS

/* Whether the saved schedule will run, as the page tells it. */
typedef enum {
  PS_SCHEDULE_RUNS_UNKNOWN,       /* still asking */
  PS_SCHEDULE_RUNS_OFF,           /* automatic sync is off */
  PS_SCHEDULE_RUNS_SERVICE,       /* the background service runs it */
  PS_SCHEDULE_RUNS_TRAY,          /* the app does, from the tray */
  PS_SCHEDULE_RUNS_WINDOW_ONLY,   /* neither: only while the window is open */
} PsScheduleRuns;

#define PS_TYPE_SCHEDULE_PAGE (ps_schedule_page_get_type ())
G_DECLARE_FINAL_TYPE (PsSchedulePage, ps_schedule_page, PS, SCHEDULE_PAGE, PsWizardPage)

PsWizardPage *ps_schedule_page_new (PsProfile *profile);

/* For tests: the confirmation shown by Submit, while it is open. */
GtkDialog    *ps_schedule_page_get_confirmation (PsSchedulePage *self);
const char   *ps_schedule_page_get_next_run_text (PsSchedulePage *self);

/* For tests: the verdict on the schedule and the service behind it. */
PsScheduleRuns          ps_schedule_page_get_runs           (PsSchedulePage *self);
const char             *ps_schedule_page_get_verdict        (PsSchedulePage *self);
const char             *ps_schedule_page_get_verdict_detail (PsSchedulePage *self);
const PsServiceStatus  *ps_schedule_page_get_service        (PsSchedulePage *self);
gboolean                ps_schedule_page_get_service_busy   (PsSchedulePage *self);
void                    ps_schedule_page_refresh_service    (PsSchedulePage *self);

G_END_DECLS
