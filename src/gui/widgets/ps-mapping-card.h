/* ps-mapping-card.h — one mapping's card on the Sync page: its progress, its
 * outcome, and for a paused mapping what to do about it
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ps-plan.h"

G_BEGIN_DECLS

#define PS_TYPE_MAPPING_CARD (ps_mapping_card_get_type ())
G_DECLARE_FINAL_TYPE (PsMappingCard, ps_mapping_card, PS, MAPPING_CARD, GtkListBoxRow)

GtkWidget  *ps_mapping_card_new          (const char *mapping_name);
const char *ps_mapping_card_get_name     (PsMappingCard *self);

/* Back to "Waiting", as before a run. */
void        ps_mapping_card_reset        (PsMappingCard *self);
/* The latest thing the run said about this mapping. */
void        ps_mapping_card_set_activity (PsMappingCard *self,
                                          const char    *text);
/* @done of @total writes, with the time left. */
void        ps_mapping_card_set_progress (PsMappingCard *self,
                                          guint          done,
                                          guint          total);
/* The mapping's outcome: @status as the engine reports it (succeeded,
 * dry-run, paused, failed, cancelled), its counts and message. */
void        ps_mapping_card_finish       (PsMappingCard *self,
                                          const char    *status,
                                          const guint    counts[PS_ACTION_N_KINDS],
                                          const char    *message);
/* Shows a paused mapping's deactivations and limit with Review and Allow
 * Once; @held is TRUE for the shrunken-read guard, which has no limit. */
void        ps_mapping_card_set_paused   (PsMappingCard *self,
                                          guint          deactivations,
                                          guint          limit,
                                          gboolean       held);
gboolean    ps_mapping_card_get_paused   (PsMappingCard *self);
/* Whether it ended as cancelled, and how far it got. */
gboolean    ps_mapping_card_get_cancelled (PsMappingCard *self);
const char *ps_mapping_card_get_status_text (PsMappingCard *self);
/* The last progress: @done of @total writes (0 of 0 before any). */
void        ps_mapping_card_get_progress (PsMappingCard *self,
                                          guint         *done,
                                          guint         *total);

G_END_DECLS
