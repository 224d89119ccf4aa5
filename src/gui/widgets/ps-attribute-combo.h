/* ps-attribute-combo.h — a directory attribute, or fallbacks "a|b", typed or picked
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ps-profile.h"

G_BEGIN_DECLS

#define PS_TYPE_ATTRIBUTE_COMBO (ps_attribute_combo_get_type ())
G_DECLARE_FINAL_TYPE (PsAttributeCombo, ps_attribute_combo, PS, ATTRIBUTE_COMBO, GtkBox)

GtkWidget   *ps_attribute_combo_new             (void);
void         ps_attribute_combo_set_source_kind (PsAttributeCombo  *self,
                                                 PsSourceKind       kind);
PsSourceKind ps_attribute_combo_get_source_kind (PsAttributeCombo  *self);
void         ps_attribute_combo_set_suggestions (PsAttributeCombo  *self,
                                                 const char *const *suggestions);
void         ps_attribute_combo_add_suggestions (PsAttributeCombo  *self,
                                                 const char *const *suggestions);
void         ps_attribute_combo_set_spec        (PsAttributeCombo  *self,
                                                 const char        *spec);
char        *ps_attribute_combo_dup_spec        (PsAttributeCombo  *self);
gboolean     ps_attribute_combo_get_empty       (PsAttributeCombo  *self);
const char  *ps_attribute_combo_get_error       (PsAttributeCombo  *self);
GtkEntry    *ps_attribute_combo_get_entry       (PsAttributeCombo  *self);
GtkComboBox *ps_attribute_combo_get_combo       (PsAttributeCombo  *self);

G_END_DECLS
