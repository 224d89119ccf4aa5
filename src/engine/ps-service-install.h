/* ps-service-install.h — installs, removes and reports a profile's background service
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A profile's background service is the systemd user unit
 * pandasync@NAME.service. These calls talk to the user's systemd manager
 * over D-Bus (org.freedesktop.systemd1: on the session bus when that is the
 * user bus, otherwise on the manager's private socket, as `systemctl --user`
 * does) and to systemd-logind (org.freedesktop.login1, on the system bus)
 * for linger. The app and `pandasync-cli service install|remove|status`
 * share them.
 *
 * They block: call them from a worker thread (the GUI goes through
 * ps-gui-backend.c), on a profile no other thread edits (a snapshot).
 *
 * Install uses the installed template pandasync@.service when it runs this
 * very pandasync-cli and the profile lives at its usual place; otherwise (a
 * build tree, a profile file elsewhere) it writes pandasync@NAME.service
 * into ~/.config/systemd/user. It enables and starts the unit, and turns on
 * linger when it is off, so that the service runs with nobody logged in. What
 * it changed is written down in a receipt
 * ($XDG_STATE_HOME/pandasync/services/NAME.ini), and Remove undoes exactly
 * that and nothing else.
 */
#pragma once

#include <gio/gio.h>

#include "ps-profile.h"
#include "ps-state.h"

G_BEGIN_DECLS

#define PS_SERVICE_ERROR (ps_service_error_quark ())
GQuark ps_service_error_quark (void);

typedef enum {
  PS_SERVICE_ERROR_UNAVAILABLE,    /* no systemd user manager to talk to */
  PS_SERVICE_ERROR_NOT_SAVED,      /* the profile has no file a service could read */
  PS_SERVICE_ERROR_NO_SCHEDULE,    /* the profile has no enabled schedule to run */
  PS_SERVICE_ERROR_NO_PROGRAM,     /* pandasync-cli cannot be found */
  PS_SERVICE_ERROR_FOREIGN,        /* a unit file PandaSync did not write is in the way */
  PS_SERVICE_ERROR_NOT_INSTALLED,  /* Remove: PandaSync installed nothing for the profile */
  PS_SERVICE_ERROR_FAILED,         /* systemd refused, or its job did not finish */
} PsServiceError;

/* The service of one profile, as far as PandaSync can tell. */
typedef enum {
  PS_SERVICE_UNAVAILABLE,     /* systemd's user manager cannot be reached */
  PS_SERVICE_NOT_INSTALLED,   /* no enabled unit, nothing running */
  PS_SERVICE_INACTIVE,        /* enabled (or installed by PandaSync) but not running */
  PS_SERVICE_STARTING,
  PS_SERVICE_ACTIVE,
  PS_SERVICE_FAILED,          /* failed, or waiting to restart after a failure */
} PsServiceState;

typedef enum {
  PS_LINGER_UNKNOWN,
  PS_LINGER_OFF,
  PS_LINGER_ON,
} PsLinger;

typedef struct {
  char           *profile;             /* the profile's name */
  char           *unit;                /* pandasync@NAME.service */
  PsServiceState  state;
  char           *unavailable;         /* translated: why systemd cannot be asked, or NULL */
  char           *active_state;        /* systemd's words (active, failed, …), or NULL */
  char           *sub_state;
  char           *unit_file_state;     /* enabled, disabled, …, or NULL */
  char           *fragment_path;       /* the unit file systemd reads, or NULL */
  char           *result;              /* the service's Result: success, exit-code, signal, … */
  int             exit_status;         /* of its main process, when it exited */
  gboolean        by_pandasync;        /* Install made it: Remove can undo it */
  char           *written_unit;        /* the unit file Install wrote, or NULL (the template) */
  gboolean        lock_held;           /* a `pandasync-cli service` runs the profile, however started */
  PsLinger        linger;
  gboolean        linger_by_pandasync; /* Install turned linger on */
  char           *note;                /* translated: what Install or Remove could not do (linger), or NULL */
  PsRunInfo      *last_run;            /* the profile's newest real run, or NULL */
} PsServiceStatus;

void             ps_service_status_free          (PsServiceStatus *status);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsServiceStatus, ps_service_status_free)

/* "active", "failed", … for JSON (not translated). */
const char      *ps_service_state_to_string      (PsServiceState state);

/* One translated line: "Active (running)", "Failed: it exited with status 1"… */
char            *ps_service_status_describe      (const PsServiceStatus *status);

/* Whether scheduled runs of the profile happen through the service: it runs
 * (by systemd's word, or it holds the profile's service lock). */
gboolean         ps_service_status_runs_schedule (const PsServiceStatus *status);

/* pandasync@NAME.service */
char            *ps_service_unit_name            (const char *profile_name);

/* The pandasync-cli a unit should run: $PANDASYNC_CLI, this program when it
 * is pandasync-cli, the one beside it (installed) or in the build tree
 * beside it (src/gui → src/cli). NULL when none is there. */
char            *ps_service_find_program         (void);

/* The unit file Install writes when no installed template fits: runs
 * @program for the profile @profile_name, or for the file @profile_file when
 * it is not NULL. */
char            *ps_service_unit_contents        (const char  *profile_name,
                                                  const char  *program,
                                                  const char  *profile_file,
                                                  GError     **error);

/* Never fails but for cancellation: a manager that cannot be reached is
 * PS_SERVICE_UNAVAILABLE with the reason in ->unavailable. */
PsServiceStatus *ps_service_status_sync          (PsProfile     *profile,
                                                  GCancellable  *cancellable,
                                                  GError       **error);

/* Installs, enables and starts the service, and turns linger on when it is
 * off. A service that fails once started is not an error: the status says
 * so. Neither is linger that cannot be turned on: ->note says why. */
PsServiceStatus *ps_service_install_sync         (PsProfile     *profile,
                                                  GCancellable  *cancellable,
                                                  GError       **error);

/* Stops the service and undoes what Install did; PS_SERVICE_ERROR_NOT_INSTALLED
 * when PandaSync installed nothing for the profile. */
PsServiceStatus *ps_service_remove_sync          (PsProfile     *profile,
                                                  GCancellable  *cancellable,
                                                  GError       **error);

G_END_DECLS
