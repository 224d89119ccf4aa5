/* ps-connection-step.h — one step of a connection test
 *
 * Both connection tests (the directory's and Asset Panda's) report an ordered
 * list of steps, so the CLI and the wizard can show which step failed and why.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  PS_STEP_OK,
  PS_STEP_FAILED,
  PS_STEP_SKIPPED,   /* not run because an earlier step failed */
  PS_STEP_WARNING,   /* passed, but something needs attention */
} PsStepStatus;

typedef struct {
  char         *id;        /* stable: "resolve", "connect", "tls", "bind", "auth", … */
  char         *title;     /* translated, for people: "Connect to dc1.example.com:636" */
  PsStepStatus  status;
  char         *message;   /* translated detail: what failed and what to do */
  gint64        duration_us;
  GError       *error;     /* set when status is FAILED */
} PsConnectionStep;

PsConnectionStep *ps_connection_step_new    (const char *id, const char *title);
void              ps_connection_step_free   (PsConnectionStep *step);
void              ps_connection_step_finish (PsConnectionStep *step, gint64 started_us,
                                             PsStepStatus status, const char *message,
                                             const GError *error);
/* Marks the step done: ok when @error is NULL (with @message), failed with
 * @error's message otherwise; the duration runs from @started_us. */
void              ps_connection_step_done   (PsConnectionStep *step, gint64 started_us,
                                             const GError *error, const char *message);
void              ps_connection_step_skip   (PsConnectionStep *step, const char *message);
const char       *ps_step_status_to_string  (PsStepStatus status);

/* TRUE when no step of @steps FAILED. */
gboolean          ps_connection_steps_passed (GPtrArray *steps);

/* The first failed step of @steps (of PsConnectionStep*), or NULL. */
PsConnectionStep *ps_connection_steps_first_failure (GPtrArray *steps);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsConnectionStep, ps_connection_step_free)

G_END_DECLS
