/* ps-choice-combo.h — a combo box whose choices are loaded live, with a spinner
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ps-gui-backend.h"

G_BEGIN_DECLS

#define PS_TYPE_CHOICE_COMBO (ps_choice_combo_get_type ())
G_DECLARE_FINAL_TYPE (PsChoiceCombo, ps_choice_combo, PS, CHOICE_COMBO, GtkBox)

GtkWidget         *ps_choice_combo_new            (void);
void               ps_choice_combo_load           (PsChoiceCombo *self,
                                                   PsProfile     *profile,
                                                   PsGuiListKind  kind,
                                                   const char    *account,
                                                   const char    *module,
                                                   const char    *detail);
void               ps_choice_combo_clear          (PsChoiceCombo *self);
void               ps_choice_combo_set_choices    (PsChoiceCombo *self,
                                                   GPtrArray     *choices);
gboolean           ps_choice_combo_get_loading    (PsChoiceCombo *self);
const char        *ps_choice_combo_get_active_id  (PsChoiceCombo *self);
const PsGuiChoice *ps_choice_combo_get_active     (PsChoiceCombo *self);
gboolean           ps_choice_combo_set_active_id  (PsChoiceCombo *self,
                                                   const char    *id);
void               ps_choice_combo_select_id      (PsChoiceCombo *self,
                                                   const char    *id);
guint              ps_choice_combo_get_n_choices  (PsChoiceCombo *self);
GPtrArray         *ps_choice_combo_get_choices    (PsChoiceCombo *self);
GtkComboBox       *ps_choice_combo_get_combo      (PsChoiceCombo *self);
const char        *ps_choice_combo_get_error      (PsChoiceCombo *self);

G_END_DECLS
