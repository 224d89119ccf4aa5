/* ps-test.c — shared set-up for every PandaSync test program
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <locale.h>
#include <string.h>
#include <errno.h>
#include <glib/gstdio.h>

#include "ps-test.h"

void
ps_test_init (int    *argc,
              char ***argv)
{
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", FALSE);
  g_unsetenv ("PANDASYNC_PROFILE");
  setlocale (LC_ALL, "");
  g_test_init (argc, argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
}

char *
ps_test_data_path (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "data", name, NULL);
}

char *
ps_test_write_file (const char  *name,
                    const char  *contents,
                    gssize       length,
                    int          mode)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (g_get_user_cache_dir (), name, NULL);
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);

  if (length < 0)
    length = strlen (contents);
  g_file_set_contents_full (path, contents, length, G_FILE_SET_CONTENTS_CONSISTENT, mode, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
  return path;
}

gboolean
ps_test_have_keyring (void)
{
  return g_strcmp0 (g_getenv ("PANDASYNC_SESSION_KEYRING"), "1") == 0;
}
