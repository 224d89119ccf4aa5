/* ps-profile-file-bar.h — hand edits of the profile file while the app runs
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Watches the profile's file (GFileMonitor). When someone else changes it
 * and the app has nothing unsaved, the profile is reloaded in place and the
 * bar says so; with unsaved changes it warns and offers Reload (take the
 * file) and Keep Mine (save over it). A save that meets a newer file is
 * refused by ps_profile_save () itself: nothing is ever silently overwritten.
 */
#pragma once

#include <gtk/gtk.h>

#include "ps-profile.h"

G_BEGIN_DECLS

#define PS_TYPE_PROFILE_FILE_BAR (ps_profile_file_bar_get_type ())
G_DECLARE_FINAL_TYPE (PsProfileFileBar, ps_profile_file_bar, PS, PROFILE_FILE_BAR, GtkRevealer)

GtkWidget  *ps_profile_file_bar_new      (PsProfile *profile);
/* Asks whether anything shown holds edits not yet in the profile (the
 * window's pages); such edits count as unsaved changes too. */
typedef gboolean (*PsUnsavedFunc) (gpointer user_data);
void        ps_profile_file_bar_set_unsaved_func (PsProfileFileBar *self,
                                                  PsUnsavedFunc     func,
                                                  gpointer          user_data);
/* Looks at the file now, as a change notice from the monitor would. */
void        ps_profile_file_bar_check    (PsProfileFileBar *self);
gboolean    ps_profile_file_bar_is_shown (PsProfileFileBar *self);
const char *ps_profile_file_bar_get_text (PsProfileFileBar *self);

G_END_DECLS
