/* ps-cli.h — shared plumbing of pandasync-cli's subcommands */
#pragma once

#include <json-glib/json-glib.h>

#include "ps-profile.h"

G_BEGIN_DECLS

/* Exit codes */
#define PS_CLI_EXIT_OK       0
#define PS_CLI_EXIT_FAILURE  1  /* the command ran and something failed */
#define PS_CLI_EXIT_USAGE    2  /* bad command line */

typedef struct {
  char     *profile_name;   /* --profile NAME */
  char     *profile_file;   /* --profile-file PATH */
  gboolean  json;           /* --json */
  gboolean  verbose;        /* --verbose */
  const char *command;      /* "profile", "sync", … */
} PsCliContext;

typedef int (*PsCliCommandFunc) (PsCliContext *ctx, int argc, char **argv);

typedef struct {
  const char       *name;
  const char       *summary;
  PsCliCommandFunc  func;
} PsCliCommand;

/* Every subcommand parses its options with a context made here, so that
 * --profile, --profile-file, --json and --verbose work everywhere. */
GOptionContext *ps_cli_option_context_new (PsCliContext       *ctx,
                                           const char         *parameter_string,
                                           const char         *summary,
                                           const GOptionEntry *entries);
gboolean        ps_cli_parse              (PsCliContext   *ctx,
                                           GOptionContext *context,
                                           int            *argc,
                                           char         ***argv);

PsProfile      *ps_cli_load_profile       (PsCliContext *ctx, GError **error);
void            ps_cli_print_json         (JsonNode *node);
void            ps_cli_print_json_line    (JsonNode *node);
int             ps_cli_fail               (PsCliContext *ctx, const GError *error);
int             ps_cli_usage              (PsCliContext *ctx, const char *format, ...) G_GNUC_PRINTF (2, 3);
char           *ps_cli_read_stdin_secret  (GError **error);

/* JSON object members; a NULL string becomes null. */
void            ps_cli_json_string        (JsonBuilder *b, const char *name, const char *value);
void            ps_cli_json_int           (JsonBuilder *b, const char *name, gint64 value);
void            ps_cli_json_bool          (JsonBuilder *b, const char *name, gboolean value);

/* The subcommands; each lives in its own ps-cli-NAME.c */
int ps_cli_profile         (PsCliContext *ctx, int argc, char **argv);
int ps_cli_test_connection (PsCliContext *ctx, int argc, char **argv);
int ps_cli_directory       (PsCliContext *ctx, int argc, char **argv);
int ps_cli_sync            (PsCliContext *ctx, int argc, char **argv);
int ps_cli_history         (PsCliContext *ctx, int argc, char **argv);
int ps_cli_report          (PsCliContext *ctx, int argc, char **argv);
int ps_cli_target          (PsCliContext *ctx, int argc, char **argv);
int ps_cli_service         (PsCliContext *ctx, int argc, char **argv);

G_END_DECLS
