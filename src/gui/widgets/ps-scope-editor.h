/* ps-scope-editor.h — a mapping's scope (search base and filter, or Okta's conditions), with a live count
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ps-profile.h"

G_BEGIN_DECLS

#define PS_TYPE_SCOPE_EDITOR (ps_scope_editor_get_type ())
G_DECLARE_FINAL_TYPE (PsScopeEditor, ps_scope_editor, PS, SCOPE_EDITOR, GtkBox)

GtkWidget  *ps_scope_editor_new             (void);
const char *ps_scope_editor_get_search_base (PsScopeEditor   *self);
void        ps_scope_editor_set_search_base (PsScopeEditor   *self,
                                             const char      *search_base);
const char *ps_scope_editor_get_filter      (PsScopeEditor   *self);
void        ps_scope_editor_set_filter      (PsScopeEditor   *self,
                                             const char      *filter);
void        ps_scope_editor_set_source_kind (PsScopeEditor   *self,
                                             PsSourceKind     kind);
PsSourceKind ps_scope_editor_get_source_kind (PsScopeEditor  *self);
gboolean    ps_scope_editor_get_valid       (PsScopeEditor   *self);
const char *ps_scope_editor_get_error       (PsScopeEditor   *self);
void        ps_scope_editor_set_mapping     (PsScopeEditor   *self,
                                             PsProfile       *profile,
                                             const PsMapping *mapping);
void        ps_scope_editor_apply           (PsScopeEditor   *self,
                                             PsMapping       *mapping);
void        ps_scope_editor_clear           (PsScopeEditor   *self);
gboolean    ps_scope_editor_get_expanded    (PsScopeEditor   *self);
void        ps_scope_editor_set_expanded    (PsScopeEditor   *self,
                                             gboolean         expanded);
gboolean    ps_scope_editor_get_counting    (PsScopeEditor   *self);
const char *ps_scope_editor_get_count_text  (PsScopeEditor   *self);
gboolean    ps_scope_editor_get_count_failed (PsScopeEditor  *self);

G_END_DECLS
