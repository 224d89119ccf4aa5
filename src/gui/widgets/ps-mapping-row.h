/* ps-mapping-row.h — one added mapping in a list, with its remove button
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ps-profile.h"

G_BEGIN_DECLS

#define PS_TYPE_MAPPING_ROW (ps_mapping_row_get_type ())
G_DECLARE_FINAL_TYPE (PsMappingRow, ps_mapping_row, PS, MAPPING_ROW, GtkListBoxRow)

GtkWidget  *ps_mapping_row_new              (const PsMapping *mapping,
                                             GHashTable      *names);
const char *ps_mapping_row_get_mapping_name (PsMappingRow *self);
GtkButton  *ps_mapping_row_get_remove_button (PsMappingRow *self);

G_END_DECLS

G_BEGIN_DECLS

/* Replaces the rows of @list with the mappings of @kind in @profile; each
 * row's "remove-requested" signal (emitted once the administrator confirmed
 * the removal) is connected to @on_remove with @user_data. A removal the
 * administrator can still undo keeps its Undo row in the list.
 * @names (nullable) maps the ids of accounts, modules, roles and collections
 * to the names people know them by. */
guint       ps_mapping_row_fill_list (GtkListBox    *list,
                                      PsProfile     *profile,
                                      PsMappingKind  kind,
                                      GHashTable    *names,
                                      GCallback      on_remove,
                                      gpointer       user_data);

/* A mapping name for the profile, from the group and what it maps to. */
char       *ps_mapping_row_make_name (const char *group,
                                      const char *target);

G_END_DECLS
