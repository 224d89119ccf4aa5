/* ps-check-step.h — one step of a connection test, with its result and time
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The directory test produces a list of these; the Asset Panda test appends
 * its own to the same list, and the CLI and the wizard show them in order.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  PS_CHECK_OK,
  PS_CHECK_FAILED,
  PS_CHECK_SKIPPED,   /* not run because an earlier step failed, or not needed */
} PsCheckResult;

typedef struct {
  char          *id;           /* stable, for scripts: "ldap-resolve", "ldap-bind" … */
  char          *title;        /* translated: "Log on to the directory" */
  PsCheckResult  result;
  char          *message;      /* translated detail: what worked, or what to do */
  GError        *error;        /* set when FAILED */
  gint64         duration_us;
} PsCheckStep;

PsCheckStep *ps_check_step_new      (const char *id, const char *title);
void         ps_check_step_free     (PsCheckStep *step);
/* Marks the step done: ok when @error is NULL; takes the duration since @start_us. */
void         ps_check_step_finish   (PsCheckStep *step, gint64 start_us,
                                     const GError *error, const char *message);
void         ps_check_step_skip     (PsCheckStep *step, const char *message);
const char  *ps_check_result_to_string (PsCheckResult result);
/* TRUE when no step FAILED */
gboolean     ps_check_steps_passed  (GPtrArray *steps);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsCheckStep, ps_check_step_free)

G_END_DECLS
