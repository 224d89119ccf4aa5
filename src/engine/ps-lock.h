/* ps-lock.h — cross-process locks on files next to a profile's state
 *
 * flock(2) locks: released by the kernel when the holder exits, however it
 * exits, so a killed sync never leaves a stale lock behind.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Takes an exclusive lock on @path (created 0600, its folder 0700). Returns
 * the descriptor to close() when done, or -1 with @error: PS_ENGINE_ERROR_BUSY
 * and @busy_message when someone else holds it. */
int      ps_lock_take    (const char *path, const char *busy_message, GError **error);

/* TRUE while another descriptor holds the lock on @path. */
gboolean ps_lock_is_held (const char *path);

G_END_DECLS
