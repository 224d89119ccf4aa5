/* ps-plan-sheet.h — what a plan will do, in plain words, before it is applied
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Sync page plans first when a run may do something that cannot simply
 * be undone, and shows this sheet: per mapping "Invite 314 people", "Create
 * 314 records, deactivate 20", and why it asks. Apply, Review and Not Now
 * are signals; the sheet only shows the plan it holds.
 */
#pragma once

#include <gtk/gtk.h>

#include "ps-plan.h"

G_BEGIN_DECLS

#define PS_TYPE_PLAN_SHEET (ps_plan_sheet_get_type ())
G_DECLARE_FINAL_TYPE (PsPlanSheet, ps_plan_sheet, PS, PLAN_SHEET, GtkRevealer)

GtkWidget  *ps_plan_sheet_new        (void);

/* Shows what @plan will do (the sheet takes it). @applied is the set of
 * mappings that have had a successful real run; @released names the mapping
 * released over its deactivation limit for this run, or NULL. */
void        ps_plan_sheet_show       (PsPlanSheet *self,
                                      PsPlan      *plan,
                                      GHashTable  *applied,
                                      const char  *released);
void        ps_plan_sheet_dismiss    (PsPlanSheet *self);
gboolean    ps_plan_sheet_is_shown   (PsPlanSheet *self);
PsPlan     *ps_plan_sheet_get_plan   (PsPlanSheet *self);
PsPlan     *ps_plan_sheet_steal_plan (PsPlanSheet *self);
const char *ps_plan_sheet_get_released (PsPlanSheet *self);
/* Everything the sheet says, one line per mapping (for tests and screen readers). */
char       *ps_plan_sheet_dup_text   (PsPlanSheet *self);

/* What one mapping's plan writes, in words: "Invite 314 people",
 * "Create 314 records, deactivate 20"; NULL when it writes nothing. */
char       *ps_plan_describe_writes  (const PsMappingPlan *plan);
/* Why @plan must be confirmed before it is applied (one reason per line),
 * or NULL when nothing in it is irreversible: a mapping's first real run,
 * invitations, a release over the deactivation limit. */
char       *ps_plan_describe_risks   (const PsPlan *plan,
                                      GHashTable   *applied,
                                      const char   *released);
/* The same for one mapping's plan. */
char       *ps_plan_describe_mapping_risks (const PsMappingPlan *plan,
                                            GHashTable          *applied,
                                            const char          *released);

G_END_DECLS
