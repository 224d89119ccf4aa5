/* ps-cli.c — pandasync-cli: entry point, command table and shared helpers
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "ps-cli.h"

static const PsCliCommand commands[] = {
  { "profile", N_("List, show and validate profiles; store their secrets"), ps_cli_profile },
  { "test-connection", N_("Check each step of the connections and name the one that fails"), ps_cli_test_connection },
  { "directory", N_("List the directory’s groups, a group’s members, or one user"), ps_cli_directory },
  { "target", N_("List Asset Panda’s accounts, modules, roles, collections, fields, users or records"), ps_cli_target },
  { "sync", N_("Sync now, or preview the plan with --dry-run"), ps_cli_sync },
  { "history", N_("Past runs and what each did"), ps_cli_history },
  { "report", N_("Reports: leavers who still hold assets"), ps_cli_report },
  { "service", N_("Run the schedule in the background (systemd); install, remove or show the service"), ps_cli_service },
};

/* ---------------------------------------------------------------- helpers */

static gboolean
on_verbose_cb (const char  *option_name,
               const char  *value,
               gpointer     data,
               GError     **error)
{
  PsCliContext *ctx = data;

  ctx->verbose = TRUE;
  g_log_set_debug_enabled (TRUE);
  return TRUE;
}

static void
print_help (FILE *out)
{
  fprintf (out, "%s\n\n", _("Usage: pandasync-cli [--version] COMMAND [OPTIONS…]"));
  fprintf (out, "%s\n", _("Keeps Asset Panda in step with Active Directory."));
  fprintf (out, "\n%s\n", _("Commands:"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-16s %s\n", commands[i].name, _(commands[i].summary));
  fprintf (out, "\n%s\n", _("Every command takes --profile NAME or --profile-file PATH, and --json."));
  fprintf (out, "%s\n", _("Run “pandasync-cli COMMAND --help” for a command’s options."));
}

/* ---------------------------------------------------------------- shared API */

GOptionContext *
ps_cli_option_context_new (PsCliContext       *ctx,
                           const char         *parameter_string,
                           const char         *summary,
                           const GOptionEntry *entries)
{
  GOptionContext *context = g_option_context_new (parameter_string);
  GOptionGroup *common;
  const GOptionEntry common_entries[] = {
    { "profile", 'p', 0, G_OPTION_ARG_STRING, &ctx->profile_name,
      N_("Use the profile NAME (from ~/.config/pandasync/profiles)"), N_("NAME") },
    { "profile-file", 0, 0, G_OPTION_ARG_FILENAME, &ctx->profile_file,
      N_("Use the profile file at PATH"), N_("PATH") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &ctx->json,
      N_("Print JSON instead of text"), NULL },
    { "verbose", 'v', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, on_verbose_cb,
      N_("Print debug messages (secrets are never printed)"), NULL },
    { NULL }
  };

  common = g_option_group_new ("common", _("Options of every command:"),
                               _("Show the options of every command"), ctx, NULL);
  g_option_group_add_entries (common, common_entries);
  g_option_group_set_translation_domain (common, GETTEXT_PACKAGE);
  g_option_context_set_main_group (context, common);
  if (entries != NULL)
    {
      GOptionGroup *own = g_option_group_new ("command", _("Command options:"),
                                              _("Show the command’s options"), ctx, NULL);
      g_option_group_add_entries (own, entries);
      g_option_group_set_translation_domain (own, GETTEXT_PACKAGE);
      g_option_context_add_group (context, own);
    }
  if (summary != NULL)
    g_option_context_set_summary (context, summary);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  return context;
}

gboolean
ps_cli_parse (PsCliContext    *ctx,
              GOptionContext  *context,
              int             *argc,
              char          ***argv)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("pandasync-cli %s: %s\n", ctx->command, error->message);
      g_printerr (_("Run “pandasync-cli %s --help” for the options.\n"), ctx->command);
      return FALSE;
    }
  if (ctx->profile_name != NULL && ctx->profile_file != NULL)
    {
      g_printerr (_("pandasync-cli %s: give --profile or --profile-file, not both\n"), ctx->command);
      return FALSE;
    }
  return TRUE;
}

/**
 * ps_cli_load_profile:
 *
 * The profile named by --profile-file, --profile, $PANDASYNC_PROFILE, or the
 * only profile there is, in that order.
 */
PsProfile *
ps_cli_load_profile (PsCliContext  *ctx,
                     GError       **error)
{
  const char *env = g_getenv ("PANDASYNC_PROFILE");
  g_autoptr(GPtrArray) names = NULL;

  if (ctx->profile_file != NULL)
    return ps_profile_load_file (ctx->profile_file, error);
  if (ctx->profile_name != NULL)
    return ps_profile_load (ctx->profile_name, error);
  if (env != NULL && *env != '\0')
    return ps_profile_load (env, error);

  names = ps_profile_list_names (error);
  if (names == NULL)
    return NULL;
  if (names->len == 1)
    return ps_profile_load (g_ptr_array_index (names, 0), error);
  if (names->len == 0)
    g_set_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_NOT_FOUND,
                 _("There is no profile yet: set one up in the PandaSync app, "
                   "or name a file with --profile-file"));
  else
    g_set_error (error, PS_PROFILE_ERROR, PS_PROFILE_ERROR_NOT_FOUND,
                 _("There are %u profiles: choose one with --profile NAME "
                   "(see “pandasync-cli profile list”)"), names->len);
  return NULL;
}

void
ps_cli_print_json (JsonNode *node)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_pretty (gen, TRUE);
  json_generator_set_root (gen, node);
  text = json_generator_to_data (gen, NULL);
  g_print ("%s\n", text);
}

/* One compact JSON document per line (for streams of objects). */
void
ps_cli_print_json_line (JsonNode *node)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (gen, node);
  text = json_generator_to_data (gen, NULL);
  g_print ("%s\n", text);
}

int
ps_cli_fail (PsCliContext *ctx,
             const GError *error)
{
  if (ctx->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "error");
      json_builder_add_string_value (b, error->message);
      json_builder_set_member_name (b, "domain");
      json_builder_add_string_value (b, g_quark_to_string (error->domain));
      json_builder_set_member_name (b, "code");
      json_builder_add_int_value (b, error->code);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      ps_cli_print_json (root);
    }
  g_printerr ("pandasync-cli %s: %s\n", ctx->command, error->message);
  return PS_CLI_EXIT_FAILURE;
}

int
ps_cli_usage (PsCliContext *ctx,
              const char   *format,
              ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("pandasync-cli %s: %s\n", ctx->command, message);
  g_printerr (_("Run “pandasync-cli %s --help” for the options.\n"), ctx->command);
  return PS_CLI_EXIT_USAGE;
}

/* Reads one line from standard input; never echoes it. */
char *
ps_cli_read_stdin_secret (GError **error)
{
  GString *line = g_string_new (NULL);
  int c;

  if (isatty (STDIN_FILENO))
    g_printerr ("%s", _("Secret (input is not shown; end with Enter): "));
  while ((c = getchar ()) != EOF && c != '\n')
    {
      if (line->len >= 4096)
        {
          memset (line->str, 0, line->len);
          g_string_free (line, TRUE);
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("The secret on standard input is longer than 4096 bytes"));
          return NULL;
        }
      g_string_append_c (line, (char) c);
    }
  if (line->len > 0 && line->str[line->len - 1] == '\r')
    g_string_truncate (line, line->len - 1);
  if (line->len == 0)
    {
      g_string_free (line, TRUE);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("No secret was given on standard input"));
      return NULL;
    }
  return g_string_free (line, FALSE);
}

void
ps_cli_json_string (JsonBuilder *b,
                    const char  *name,
                    const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

void
ps_cli_json_int (JsonBuilder *b,
                 const char  *name,
                 gint64       value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

void
ps_cli_json_bool (JsonBuilder *b,
                  const char  *name,
                  gboolean     value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, value);
}

/* ---------------------------------------------------------------- main */

int
main (int    argc,
      char **argv)
{
  PsCliContext ctx = { 0 };
  const char *name;
  int status = PS_CLI_EXIT_USAGE;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("pandasync-cli");

  if (argc < 2)
    {
      print_help (stderr);
      return PS_CLI_EXIT_USAGE;
    }
  name = argv[1];
  if (g_str_equal (name, "--version") || g_str_equal (name, "version"))
    {
      g_print ("pandasync-cli %s\n", PACKAGE_VERSION);
      return PS_CLI_EXIT_OK;
    }
  if (g_str_equal (name, "--help") || g_str_equal (name, "-h") || g_str_equal (name, "help"))
    {
      print_help (stdout);
      return PS_CLI_EXIT_OK;
    }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, name))
      {
        ctx.command = commands[i].name;
        status = commands[i].func (&ctx, argc - 1, argv + 1);
        g_free (ctx.profile_name);
        g_free (ctx.profile_file);
        return status;
      }

  g_printerr (_("pandasync-cli: unknown command “%s”\n\n"), name);
  print_help (stderr);
  return PS_CLI_EXIT_USAGE;
}
