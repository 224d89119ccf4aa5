/* ps-tray.h — the StatusNotifier tray icon, behind a tiny facade
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The rest of the app never sees how the icon is shown. "available" says
 * whether a StatusNotifier watcher (a tray host) runs on the session bus and
 * this build can show an icon there; without one the app keeps its window.
 * The menu activates the application's "start-sync", "open" and "quit"
 * actions.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  PS_TRAY_STATE_IDLE,
  PS_TRAY_STATE_SYNCING,
  PS_TRAY_STATE_ERROR,
} PsTrayState;

#define PS_TYPE_TRAY (ps_tray_get_type ())
G_DECLARE_FINAL_TYPE (PsTray, ps_tray, PS, TRAY, GObject)

PsTray      *ps_tray_new            (GActionGroup *actions);
gboolean     ps_tray_get_available  (PsTray       *self);
gboolean     ps_tray_get_registered (PsTray       *self);
void         ps_tray_set_state      (PsTray       *self,
                                     PsTrayState   state,
                                     const char   *detail);
PsTrayState  ps_tray_get_state      (PsTray       *self);
const char  *ps_tray_get_status_text (PsTray      *self);

G_END_DECLS
