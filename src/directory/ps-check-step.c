/* ps-check-step.c — one step of a connection test
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "ps-check-step.h"

PsCheckStep *
ps_check_step_new (const char *id,
                   const char *title)
{
  PsCheckStep *step = g_new0 (PsCheckStep, 1);

  step->id = g_strdup (id);
  step->title = g_strdup (title);
  step->result = PS_CHECK_SKIPPED;
  return step;
}

void
ps_check_step_free (PsCheckStep *step)
{
  if (step == NULL)
    return;
  g_free (step->id);
  g_free (step->title);
  g_free (step->message);
  g_clear_error (&step->error);
  g_free (step);
}

void
ps_check_step_finish (PsCheckStep  *step,
                      gint64        start_us,
                      const GError *error,
                      const char   *message)
{
  step->duration_us = g_get_monotonic_time () - start_us;
  g_clear_error (&step->error);
  g_free (step->message);
  if (error != NULL)
    {
      step->result = PS_CHECK_FAILED;
      step->error = g_error_copy (error);
      step->message = g_strdup (error->message);
    }
  else
    {
      step->result = PS_CHECK_OK;
      step->message = g_strdup (message);
    }
}

void
ps_check_step_skip (PsCheckStep *step,
                    const char  *message)
{
  step->result = PS_CHECK_SKIPPED;
  g_free (step->message);
  step->message = g_strdup (message);
}

const char *
ps_check_result_to_string (PsCheckResult result)
{
  switch (result)
    {
    case PS_CHECK_OK:
      return "ok";
    case PS_CHECK_FAILED:
      return "failed";
    case PS_CHECK_SKIPPED:
    default:
      return "skipped";
    }
}

gboolean
ps_check_steps_passed (GPtrArray *steps)
{
  for (guint i = 0; i < steps->len; i++)
    {
      PsCheckStep *step = g_ptr_array_index (steps, i);

      if (step->result == PS_CHECK_FAILED)
        return FALSE;
    }
  return TRUE;
}
