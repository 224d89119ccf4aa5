/* ps-lock.c — cross-process locks on files next to a profile's state
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ps-engine-error.h"
#include "ps-lock.h"

int
ps_lock_take (const char  *path,
              const char  *busy_message,
              GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, PS_ENGINE_ERROR, PS_ENGINE_ERROR_STATE,
                   _("Cannot create the folder %s for the sync state: %s"), dir, g_strerror (saved));
      return -1;
    }
  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, PS_ENGINE_ERROR, PS_ENGINE_ERROR_STATE,
                   _("Cannot open the lock %s: %s"), path, g_strerror (saved));
      return -1;
    }
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      close (fd);
      g_set_error_literal (error, PS_ENGINE_ERROR, PS_ENGINE_ERROR_BUSY, busy_message);
      return -1;
    }
  return fd;
}

gboolean
ps_lock_is_held (const char *path)
{
  int fd = g_open (path, O_RDWR | O_CLOEXEC, 0600);
  gboolean held;

  if (fd < 0)
    return FALSE;
  held = flock (fd, LOCK_SH | LOCK_NB) != 0;
  close (fd);
  return held;
}
