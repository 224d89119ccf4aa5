/* ps-test.h — shared set-up for every PandaSync test program */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* g_test_init with isolated XDG dirs, the memory GSettings backend and the
 * build tree's schemas; call it first in main(). */
void        ps_test_init       (int *argc, char ***argv);

/* Path of a file in tests/data (source tree). */
char       *ps_test_data_path  (const char *name);

/* Writes @contents to a new file in the test's temporary folder. */
char       *ps_test_write_file (const char *name, const char *contents, gssize length, int mode);

/* TRUE when the test runs inside tests/with-session.sh --keyring. */
gboolean    ps_test_have_keyring (void);

G_END_DECLS
