/* ps-engine-error.h — the sync engine's error domain */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PS_ENGINE_ERROR (ps_engine_error_quark ())
GQuark ps_engine_error_quark (void);

typedef enum {
  PS_ENGINE_ERROR_STATE,          /* the SQLite state cannot be opened, read or written */
  PS_ENGINE_ERROR_SOURCE,         /* the directory read failed or was partial */
  PS_ENGINE_ERROR_TARGET,         /* Asset Panda could not be read */
  PS_ENGINE_ERROR_PAUSED,         /* a safety limit paused the mapping */
  PS_ENGINE_ERROR_AMBIGUOUS,      /* a person matches several Asset Panda items */
  PS_ENGINE_ERROR_CONFIG,         /* the mapping cannot work as configured */
  PS_ENGINE_ERROR_BUSY,           /* another sync of this profile is running */
  PS_ENGINE_ERROR_PLAN_STALE,     /* a saved plan no longer matches the data */
} PsEngineError;

G_END_DECLS
