/* ps-mapping-row.h — one added mapping in a list: edit, order, remove
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ps-names.h"
#include "ps-profile.h"

G_BEGIN_DECLS

#define PS_TYPE_MAPPING_ROW (ps_mapping_row_get_type ())
G_DECLARE_FINAL_TYPE (PsMappingRow, ps_mapping_row, PS, MAPPING_ROW, GtkListBoxRow)

GtkWidget  *ps_mapping_row_new              (const PsMapping *mapping,
                                             PsNames         *names);
const char *ps_mapping_row_get_mapping_name (PsMappingRow *self);
GtkButton  *ps_mapping_row_get_remove_button (PsMappingRow *self);
GtkButton  *ps_mapping_row_get_edit_button  (PsMappingRow *self);
GtkButton  *ps_mapping_row_get_move_button  (PsMappingRow *self,
                                             int           direction);
const char *ps_mapping_row_get_title        (PsMappingRow *self);
const char *ps_mapping_row_get_subtitle     (PsMappingRow *self);
void        ps_mapping_row_set_position     (PsMappingRow *self,
                                             guint         position,
                                             guint         count);
void        ps_mapping_row_set_editing      (PsMappingRow *self,
                                             gboolean      editing);
void        ps_mapping_row_set_claims       (PsMappingRow *self,
                                             const char   *text);
const char *ps_mapping_row_get_claims       (PsMappingRow *self);

G_END_DECLS

G_BEGIN_DECLS

/* Replaces the rows of @list with the mappings of @kind in @profile, in the
 * profile's order; each row's "remove-requested" signal (emitted once the
 * administrator confirmed the removal) is connected to @on_remove,
 * "edit-requested" to @on_edit and "move-requested" (user mappings, which
 * show their place) to @on_move, each with @user_data; a NULL @on_edit hides
 * Edit. The row of the mapping named @editing is marked as being edited. A
 * removal the administrator can still undo keeps its Undo row in the list.
 * @names (nullable) gives the names of accounts, modules, roles,
 * collections and fields. */
guint       ps_mapping_row_fill_list (GtkListBox    *list,
                                      PsProfile     *profile,
                                      PsMappingKind  kind,
                                      PsNames       *names,
                                      const char    *editing,
                                      GCallback      on_remove,
                                      GCallback      on_edit,
                                      GCallback      on_move,
                                      gpointer       user_data);

gboolean    ps_mapping_row_move_mapping (PsProfile  *profile,
                                         const char *name,
                                         int         delta);

/* A mapping name for the profile, from the group and what it maps to. */
char       *ps_mapping_row_make_name (const char *group,
                                      const char *target);

G_END_DECLS
