/* ps-connection-step.c — one step of a connection test
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "ps-connection-step.h"

PsConnectionStep *
ps_connection_step_new (const char *id,
                        const char *title)
{
  PsConnectionStep *step = g_new0 (PsConnectionStep, 1);

  step->id = g_strdup (id);
  step->title = g_strdup (title);
  step->status = PS_STEP_SKIPPED;
  return step;
}

void
ps_connection_step_free (PsConnectionStep *step)
{
  if (step == NULL)
    return;
  g_free (step->id);
  g_free (step->title);
  g_free (step->message);
  g_clear_error (&step->error);
  g_free (step);
}

/* Records the outcome; @started_us is g_get_monotonic_time() at the start. */
void
ps_connection_step_finish (PsConnectionStep *step,
                           gint64            started_us,
                           PsStepStatus      status,
                           const char       *message,
                           const GError     *error)
{
  g_return_if_fail (step != NULL);

  step->status = status;
  step->duration_us = g_get_monotonic_time () - started_us;
  g_free (step->message);
  step->message = g_strdup (message != NULL ? message : error != NULL ? error->message : NULL);
  g_clear_error (&step->error);
  if (error != NULL)
    step->error = g_error_copy (error);
}

void
ps_connection_step_done (PsConnectionStep *step,
                         gint64            started_us,
                         const GError     *error,
                         const char       *message)
{
  ps_connection_step_finish (step, started_us, error != NULL ? PS_STEP_FAILED : PS_STEP_OK,
                             error != NULL ? NULL : message, error);
}

void
ps_connection_step_skip (PsConnectionStep *step,
                         const char       *message)
{
  g_return_if_fail (step != NULL);

  step->status = PS_STEP_SKIPPED;
  g_free (step->message);
  step->message = g_strdup (message);
}

gboolean
ps_connection_steps_passed (GPtrArray *steps)
{
  return ps_connection_steps_first_failure (steps) == NULL;
}

const char *
ps_step_status_to_string (PsStepStatus status)
{
  switch (status)
    {
    case PS_STEP_OK:
      return "ok";
    case PS_STEP_FAILED:
      return "failed";
    case PS_STEP_WARNING:
      return "warning";
    case PS_STEP_SKIPPED:
    default:
      return "skipped";
    }
}

PsConnectionStep *
ps_connection_steps_first_failure (GPtrArray *steps)
{
  for (guint i = 0; steps != NULL && i < steps->len; i++)
    {
      PsConnectionStep *step = g_ptr_array_index (steps, i);
      if (step->status == PS_STEP_FAILED)
        return step;
    }
  return NULL;
}
