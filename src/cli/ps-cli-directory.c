/* ps-cli-directory.c — pandasync-cli test-connection | directory groups | members | user
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>

#include "ps-cli.h"
#include "ps-engine.h"
#include "ps-source.h"
#include "ps-directory.h"
#include "ps-target.h"

/* ---------------------------------------------------------------- helpers */

/* JSON by hand for the member stream: a JsonBuilder per entry costs more than
 * reading the entry from the server. */
static void
json_append_len (GString    *out,
                 const char *text,
                 gsize       length)
{
  const char *run = text;
  const char *end = text + length;

  g_string_append_c (out, '"');
  for (const char *p = text; p < end; p++)
    {
      guchar c = (guchar) *p;

      if (c >= 0x20 && c != '"' && c != '\\')
        continue;
      g_string_append_len (out, run, p - run);
      run = p + 1;
      switch (c)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          g_string_append_printf (out, "\\u%04x", c);
          break;
        }
    }
  g_string_append_len (out, run, end - run);
  g_string_append_c (out, '"');
}

static void
json_append_string (GString    *out,
                    const char *text)
{
  json_append_len (out, text, strlen (text));
}

static void
json_member (GString    *out,
             const char *name)
{
  if (out->len > 0 && out->str[out->len - 1] != '{')
    g_string_append_c (out, ',');
  json_append_string (out, name);
  g_string_append_c (out, ':');
}

static gboolean
is_sid (const char *name)
{
  return g_ascii_strcasecmp (name, "objectSid") == 0;
}

static gboolean
is_guid (const char *name)
{
  return g_ascii_strcasecmp (name, "objectGUID") == 0 || g_ascii_strcasecmp (name, "invocationId") == 0;
}

/* One value as JSON text; FALSE (and a warning) when it cannot be decoded. */
static gboolean
json_value (GString          *out,
            PsDirectoryEntry *entry,
            const char       *name,
            guint             index)
{
  gsize n = 0;
  const char *data = ps_directory_entry_get_value (entry, name, index, &n);
  g_autofree char *decoded = NULL;

  if (is_sid (name))
    decoded = ps_directory_sid_to_string ((const guint8 *) data, n);
  else if (is_guid (name))
    decoded = ps_directory_guid_to_string ((const guint8 *) data, n);
  else if (g_utf8_validate (data, n, NULL) && memchr (data, '\0', n) == NULL)
    {
      json_append_len (out, data, n);
      return TRUE;
    }
  if (decoded == NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *text = ps_directory_entry_dup_string (entry, name, &error);

      g_printerr (_("warning: %s: %s\n"), ps_directory_entry_get_dn (entry),
                  error != NULL ? error->message : name);
      return FALSE;
    }
  json_append_string (out, decoded);
  return TRUE;
}

/* Adds "name": value, decoding AD values; an undecodable value is reported
 * on stderr and written as null. Several values become an array. */
static void
json_attribute (GString          *out,
                PsDirectoryEntry *entry,
                const char       *name)
{
  guint n = ps_directory_entry_get_n_values (entry, name);
  gsize mark;

  json_member (out, name);
  if (n == 0)
    {
      g_string_append (out, "null");
      return;
    }
  mark = out->len;
  if (n == 1)
    {
      if (!json_value (out, entry, name, 0))
        {
          g_string_truncate (out, mark);
          g_string_append (out, "null");
        }
      return;
    }
  g_string_append_c (out, '[');
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      if (!json_value (out, entry, name, i))
        {
          g_string_truncate (out, mark);
          g_string_append (out, "null");
          return;
        }
    }
  g_string_append_c (out, ']');
}

static const char *const member_fields[] = {
  "objectGUID", "objectSid", "sAMAccountName", "userPrincipalName", "mail", "givenName", "sn", NULL
};

static void
entry_to_json (GString           *out,
               PsDirectoryEntry  *entry,
               const char *const *extra)
{
  g_string_append_c (out, '{');
  json_member (out, "dn");
  json_append_string (out, ps_directory_entry_get_dn (entry));
  for (guint i = 0; member_fields[i] != NULL; i++)
    json_attribute (out, entry, member_fields[i]);
  json_member (out, "enabled");
  g_string_append (out, ps_directory_entry_get_enabled (entry) ? "true" : "false");
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    if (!g_strv_contains (member_fields, extra[i]))
      json_attribute (out, entry, extra[i]);
  g_string_append (out, "}\n");
}

static GStrv
attributes_with (const char *const *extra)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  const char *const *defaults = ps_directory_default_user_attributes ();

  g_strv_builder_addv (b, (const char **) defaults);
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    if (!g_strv_contains (defaults, extra[i]))
      g_strv_builder_add (b, extra[i]);
  return g_strv_builder_end (b);
}

static PsDirectory *
open_directory (PsCliContext  *ctx,
                PsProfile    **profile_out,
                GError       **error)
{
  g_autoptr(PsProfile) profile = ps_cli_load_profile (ctx, error);
  PsDirectory *dir;

  if (profile == NULL)
    return NULL;
  if (ps_profile_get_source_kind (profile) != PS_SOURCE_KIND_ACTIVE_DIRECTORY)
    {
      g_set_error (error, PS_SOURCE_ERROR, PS_SOURCE_ERROR_NOT_SUPPORTED,
                   _("This command reads an LDAP directory; for this profile’s source use "
                     "directory members --group GROUP --attr A"));
      return NULL;
    }
  dir = ps_directory_new_for_profile (profile, NULL, error);
  if (dir != NULL && profile_out != NULL)
    *profile_out = g_steal_pointer (&profile);
  return dir;
}

/* ---------------------------------------------------------------- test-connection */

typedef void (*CheckSectionFunc) (PsProfile  *profile,
                                  const char *group,
                                  GPtrArray  *steps);

static void
directory_checks (PsProfile  *profile,
                  const char *group,
                  GPtrArray  *steps)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsSource) source = ps_source_new_for_profile (profile, NULL, &error);
  g_autoptr(GPtrArray) found = NULL;

  if (source == NULL)
    {
      PsSourceKind kind = ps_profile_get_source_kind (profile);
      PsConnectionStep *step =
        kind == PS_SOURCE_KIND_OKTA
        ? ps_connection_step_new ("okta-token", _("Find the Okta API token"))
        : kind == PS_SOURCE_KIND_ENTRA_ID
        ? ps_connection_step_new ("entra-secret", _("Find the Entra ID client secret"))
        : ps_connection_step_new ("ldap-password", _("Find the directory password"));

      ps_connection_step_done (step, g_get_monotonic_time (), error, NULL);
      g_ptr_array_add (steps, step);
      return;
    }
  found = ps_source_test_connection_sync (source, group, NULL, NULL);
  ps_source_close (source);
  if (found != NULL)
    g_ptr_array_extend_and_steal (steps, g_steal_pointer (&found));
}

static void
target_checks (PsProfile  *profile,
               const char *group,
               GPtrArray  *steps)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsTarget) target = ps_target_new_for_profile (profile, NULL, &error);
  g_autoptr(GPtrArray) found = NULL;

  if (target == NULL)
    {
      PsConnectionStep *step = ps_connection_step_new ("api-secrets", _("Find the Asset Panda secrets"));

      ps_connection_step_done (step, g_get_monotonic_time (), error, NULL);
      g_ptr_array_add (steps, step);
      return;
    }
  found = ps_target_test_connection_sync (target, NULL);
  g_ptr_array_extend_and_steal (steps, g_steal_pointer (&found));
}

/* Each part of the connection test adds its steps in turn, in the order of
 * the Connection page: Asset Panda, then the directory. */
static const struct {
  const char       *name;
  CheckSectionFunc  func;
} check_sections[] = {
  { "asset-panda", target_checks },
  { "directory", directory_checks },
};

static void
print_steps (PsCliContext *ctx,
             GPtrArray    *steps,
             gboolean      passed)
{
  if (ctx->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, passed);
      json_builder_set_member_name (b, "steps");
      json_builder_begin_array (b);
      for (guint i = 0; i < steps->len; i++)
        {
          PsConnectionStep *s = g_ptr_array_index (steps, i);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "id");
          json_builder_add_string_value (b, s->id);
          json_builder_set_member_name (b, "title");
          json_builder_add_string_value (b, s->title);
          json_builder_set_member_name (b, "result");
          json_builder_add_string_value (b, ps_step_status_to_string (s->status));
          json_builder_set_member_name (b, "message");
          json_builder_add_string_value (b, s->message != NULL ? s->message : "");
          json_builder_set_member_name (b, "duration_ms");
          json_builder_add_double_value (b, s->duration_us / 1000.0);
          if (s->error != NULL)
            {
              json_builder_set_member_name (b, "error_domain");
              json_builder_add_string_value (b, g_quark_to_string (s->error->domain));
              json_builder_set_member_name (b, "error_code");
              json_builder_add_int_value (b, s->error->code);
            }
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      ps_cli_print_json (root);
      return;
    }
  for (guint i = 0; i < steps->len; i++)
    {
      PsConnectionStep *s = g_ptr_array_index (steps, i);
      const char *mark = s->status == PS_STEP_OK ? "ok" : s->status == PS_STEP_FAILED ? "FAILED" : "skipped";

      g_print ("%-7s %-40s %8.1f ms  %s\n", mark, s->title, s->duration_us / 1000.0,
               s->message != NULL ? s->message : "");
    }
  g_print ("%s\n", passed ? _("All checks passed.") : _("The connection test failed."));
}

int
ps_cli_test_connection (PsCliContext  *ctx,
                        int            argc,
                        char         **argv)
{
  g_autofree char *group = NULL;
  g_autofree char *only = NULL;
  const GOptionEntry entries[] = {
    { "group", 'g', 0, G_OPTION_ARG_STRING, &group,
      N_("Also look for this group (name, DN, objectGUID or objectSid); default: the first mapping’s"),
      N_("GROUP") },
    { "only", 0, 0, G_OPTION_ARG_STRING, &only,
      N_("Check only one side: asset-panda or directory"), N_("SIDE") },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    ps_cli_option_context_new (ctx, NULL, _("Checks each step of the connections and says which one fails."),
                               entries);
  g_autoptr(GError) error = NULL;
  g_autoptr(PsProfile) profile = NULL;
  g_autoptr(GPtrArray) steps = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_connection_step_free);
  gboolean passed;

  if (!ps_cli_parse (ctx, context, &argc, &argv))
    return PS_CLI_EXIT_USAGE;
  if (argc > 1)
    return ps_cli_usage (ctx, _("unexpected argument “%s”"), argv[1]);
  profile = ps_cli_load_profile (ctx, &error);
  if (profile == NULL)
    return ps_cli_fail (ctx, error);
  if (group == NULL)
    {
      GPtrArray *mappings = ps_profile_get_mappings (profile);

      for (guint i = 0; mappings != NULL && i < mappings->len && group == NULL; i++)
        {
          PsMapping *m = g_ptr_array_index (mappings, i);

          if (m->enabled && m->group != NULL && *m->group != '\0')
            group = g_strdup (m->group);
        }
    }
  if (only != NULL && !g_str_equal (only, "asset-panda") && !g_str_equal (only, "directory"))
    return ps_cli_usage (ctx, _("--only takes asset-panda or directory"));
  for (guint i = 0; i < G_N_ELEMENTS (check_sections); i++)
    if (only == NULL || g_str_equal (only, check_sections[i].name))
      check_sections[i].func (profile, group, steps);
  passed = ps_connection_steps_passed (steps);
  print_steps (ctx, steps, passed);
  return passed ? PS_CLI_EXIT_OK : PS_CLI_EXIT_FAILURE;
}

/* ---------------------------------------------------------------- directory */

/* Groups of a source other than LDAP: id, name and description. */
static int
source_groups (PsCliContext *ctx,
               PsProfile    *profile,
               const char   *search,
               guint         limit)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsSource) source = ps_source_new_for_profile (profile, NULL, &error);
  g_autoptr(GPtrArray) groups = NULL;

  if (source == NULL)
    return ps_cli_fail (ctx, error);
  groups = ps_source_find_groups_sync (source, search, limit, NULL, &error);
  if (groups == NULL)
    return ps_cli_fail (ctx, error);
  for (guint i = 0; i < groups->len; i++)
    {
      PsSourceGroup *g = g_ptr_array_index (groups, i);

      if (ctx->json)
        {
          g_autoptr(GString) out = g_string_new ("{");

          json_member (out, "id");
          json_append_string (out, g->id);
          json_member (out, "name");
          json_append_string (out, g->name != NULL ? g->name : "");
          json_member (out, "description");
          json_append_string (out, g->description != NULL ? g->description : "");
          g_string_append (out, "}\n");
          fputs (out->str, stdout);
        }
      else
        g_print ("%s\t%s\n", g->name != NULL ? g->name : "", g->id);
    }
  if (!ctx->json)
    g_printerr (ngettext ("%u group\n", "%u groups\n", groups->len), groups->len);
  ps_source_close (source);
  return PS_CLI_EXIT_OK;
}

static int
directory_groups (PsCliContext *ctx,
                  const char   *search,
                  guint         limit)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsProfile) profile = NULL;
  g_autoptr(PsDirectory) dir = NULL;
  g_autoptr(GPtrArray) groups = NULL;
  static const char *const fields[] = { "cn", "sAMAccountName", "objectGUID", "objectSid", "description", NULL };

  profile = ps_cli_load_profile (ctx, &error);
  if (profile == NULL)
    return ps_cli_fail (ctx, error);
  if (ps_profile_get_source_kind (profile) != PS_SOURCE_KIND_ACTIVE_DIRECTORY)
    return source_groups (ctx, profile, search, limit);
  dir = ps_directory_new_for_profile (profile, NULL, &error);
  if (dir == NULL)
    return ps_cli_fail (ctx, error);
  groups = ps_directory_list_groups_sync (dir, search, limit, NULL, &error);
  if (groups == NULL)
    return ps_cli_fail (ctx, error);
  for (guint i = 0; i < groups->len; i++)
    {
      PsDirectoryEntry *g = g_ptr_array_index (groups, i);

      if (ctx->json)
        {
          g_autoptr(GString) out = g_string_new ("{");

          json_member (out, "dn");
          json_append_string (out, ps_directory_entry_get_dn (g));
          for (guint j = 0; fields[j] != NULL; j++)
            json_attribute (out, g, fields[j]);
          g_string_append (out, "}\n");
          fputs (out->str, stdout);
        }
      else
        {
          g_autofree char *cn = ps_directory_entry_dup_string (g, "cn", NULL);

          g_print ("%s\t%s\n", cn != NULL ? cn : "", ps_directory_entry_get_dn (g));
        }
    }
  if (!ctx->json)
    g_printerr (ngettext ("%u group\n", "%u groups\n", groups->len), groups->len);
  ps_directory_close (dir);
  return PS_CLI_EXIT_OK;
}

typedef struct {
  PsCliContext *ctx;
  const char *const *extra;
  guint64 printed;
  GString *buffer;
} MembersPrinter;

static gboolean
on_members_page_cb (GPtrArray  *entries,
                    gboolean    restarted,
                    gpointer    user_data,
                    GError    **error)
{
  MembersPrinter *p = user_data;

  if (restarted && p->printed > 0)
    {
      /* what was printed cannot be taken back: stop rather than duplicate */
      g_set_error (error, PS_DIRECTORY_ERROR, PS_DIRECTORY_ERROR_PARTIAL,
                   _("The connection failed after %llu members were printed; the list "
                     "above is incomplete. Run the command again."), (unsigned long long) p->printed);
      return FALSE;
    }
  g_string_truncate (p->buffer, 0);
  for (guint i = 0; i < entries->len; i++)
    {
      PsDirectoryEntry *e = g_ptr_array_index (entries, i);

      if (p->ctx->json)
        entry_to_json (p->buffer, e, p->extra);
      else
        {
          g_autofree char *sam = ps_directory_entry_dup_string (e, "sAMAccountName", NULL);

          g_string_append_printf (p->buffer, "%s\t%s\t%s\n", sam != NULL ? sam : "",
                                  ps_directory_entry_get_enabled (e) ? "enabled" : "disabled",
                                  ps_directory_entry_get_dn (e));
        }
    }
  fwrite (p->buffer->str, 1, p->buffer->len, stdout);
  p->printed += entries->len;
  return TRUE;
}

/* The people of a group of a source other than LDAP, read as a sync
 * reads them (nesting resolved by the source): id, name, enabled and the
 * attributes asked for. */
static int
source_members (PsCliContext      *ctx,
                PsProfile         *profile,
                const char        *group,
                const char *const *extra)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsSource) source = ps_source_new_for_profile (profile, NULL, &error);
  g_autoptr(GPtrArray) people = NULL;
  PsSourceQuery query = { 0 };

  if (source == NULL)
    return ps_cli_fail (ctx, error);
  query.name = group;
  query.group = group;
  query.attributes = extra;
  if (!ps_source_check_attributes_sync (source, &query, NULL, &error))
    return ps_cli_fail (ctx, error);
  people = ps_source_read_people_sync (source, &query, NULL, NULL, &error);
  if (people == NULL)
    return ps_cli_fail (ctx, error);
  for (guint i = 0; i < people->len; i++)
    {
      PsPerson *p = g_ptr_array_index (people, i);

      if (ctx->json)
        {
          g_autoptr(GString) out = g_string_new ("{");

          json_member (out, "id");
          json_append_string (out, p->anchor);
          json_member (out, "name");
          json_append_string (out, p->name != NULL ? p->name : "");
          json_member (out, "enabled");
          g_string_append (out, p->enabled ? "true" : "false");
          for (guint j = 0; extra != NULL && extra[j] != NULL; j++)
            {
              const char *value = ps_person_get_value (p, extra[j]);

              json_member (out, extra[j]);
              if (value != NULL && *value != '\0')
                json_append_string (out, value);
              else
                g_string_append (out, "null");
            }
          g_string_append (out, "}\n");
          fputs (out->str, stdout);
        }
      else
        g_print ("%s\t%s\t%s\n", p->name != NULL ? p->name : "",
                 p->enabled ? "enabled" : "disabled", p->anchor);
    }
  if (!ctx->json)
    g_printerr (ngettext ("%u member\n", "%u members\n", people->len), people->len);
  ps_source_close (source);
  return PS_CLI_EXIT_OK;
}

static int
directory_members (PsCliContext      *ctx,
                   const char        *group,
                   gboolean           nested,
                   gboolean           in_chain,
                   const char *const *extra)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsProfile) profile = NULL;
  g_autoptr(PsDirectory) dir = NULL;
  g_autoptr(PsDirectoryEntry) found = NULL;
  g_auto(GStrv) attrs = attributes_with (extra);
  g_autoptr(GString) buffer = g_string_sized_new (256 * 1024);
  MembersPrinter printer = { ctx, extra, 0, buffer };
  PsNestedMode mode = PS_NESTED_OFF;

  profile = ps_cli_load_profile (ctx, &error);
  if (profile == NULL)
    return ps_cli_fail (ctx, error);
  if (ps_profile_get_source_kind (profile) != PS_SOURCE_KIND_ACTIVE_DIRECTORY)
    return source_members (ctx, profile, group, extra);
  dir = ps_directory_new_for_profile (profile, NULL, &error);

  if (dir == NULL)
    return ps_cli_fail (ctx, error);
  if (in_chain)
    mode = PS_NESTED_IN_CHAIN;
  else if (nested)
    mode = ps_profile_get_directory (profile)->nested == PS_NESTED_IN_CHAIN ? PS_NESTED_IN_CHAIN : PS_NESTED_CLIENT;
  found = ps_directory_find_group_sync (dir, group, NULL, &error);
  if (found == NULL)
    return ps_cli_fail (ctx, error);
  if (!ps_directory_list_members_sync (dir, ps_directory_entry_get_dn (found), mode,
                                       (const char *const *) attrs, on_members_page_cb, &printer,
                                       NULL, &error))
    {
      fflush (stdout);
      return ps_cli_fail (ctx, error);
    }
  fflush (stdout);
  if (!ctx->json)
    g_printerr (ngettext ("%llu member\n", "%llu members\n",
                          printer.printed), (unsigned long long) printer.printed);
  ps_directory_close (dir);
  return PS_CLI_EXIT_OK;
}

static int
directory_user (PsCliContext      *ctx,
                const char        *name,
                const char *const *extra)
{
  static const char *const more[] = {
    "userAccountControl", "accountExpires", "lockoutTime", "whenChanged", "uSNChanged", "memberOf", NULL
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PsProfile) profile = NULL;
  g_autoptr(PsDirectory) dir = open_directory (ctx, &profile, &error);
  g_autoptr(PsDirectoryEntry) user = NULL;
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_auto(GStrv) attrs = NULL;
  g_auto(GStrv) shown = NULL;
  g_autoptr(GString) out = g_string_new (NULL);

  if (dir == NULL)
    return ps_cli_fail (ctx, error);
  g_strv_builder_addv (b, (const char **) more);
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_strv_builder_add (b, extra[i]);
  shown = g_strv_builder_end (b);
  attrs = attributes_with ((const char *const *) shown);
  user = ps_directory_find_user_sync (dir, name, (const char *const *) attrs, NULL, &error);
  if (user == NULL)
    return ps_cli_fail (ctx, error);
  if (ctx->json)
    {
      g_autoptr(GDateTime) when = ps_directory_entry_dup_when_changed (user);

      entry_to_json (out, user, (const char *const *) shown);
      g_string_truncate (out, out->len - 2);   /* reopen the object */
      json_member (out, "locked");
      g_string_append (out, ps_directory_entry_get_locked (user) ? "true" : "false");
      json_member (out, "disabled_flag");
      g_string_append (out, (ps_directory_entry_get_uac (user) & PS_UAC_ACCOUNTDISABLE) ? "true" : "false");
      g_string_append (out, "}\n");
      fputs (out->str, stdout);
    }
  else
    {
      g_autofree char *sam = ps_directory_entry_dup_string (user, "sAMAccountName", NULL);
      g_autofree char *sid = ps_directory_entry_dup_sid (user);
      g_autofree char *guid = ps_directory_entry_dup_guid (user);

      g_print ("%-18s %s\n", "DN", ps_directory_entry_get_dn (user));
      g_print ("%-18s %s\n", "sAMAccountName", sam != NULL ? sam : "");
      g_print ("%-18s %s\n", "objectSid", sid != NULL ? sid : "");
      g_print ("%-18s %s\n", "objectGUID", guid != NULL ? guid : "");
      g_print ("%-18s %s\n", _("Enabled"), ps_directory_entry_get_enabled (user) ? _("yes") : _("no"));
      g_print ("%-18s %s\n", _("Locked out"), ps_directory_entry_get_locked (user) ? _("yes") : _("no"));
    }
  ps_directory_close (dir);
  return PS_CLI_EXIT_OK;
}

static int
directory_scope (PsCliContext *ctx,
                 const char   *name,
                 const char   *filter,
                 const char   *search_base)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsProfile) profile = ps_cli_load_profile (ctx, &error);
  g_autoptr(PsEngine) engine = NULL;
  g_autoptr(PsMapping) mapping = NULL;
  PsMapping *found;
  guint members = 0, in_scope = 0, enabled = 0;

  if (profile == NULL)
    return ps_cli_fail (ctx, error);
  found = ps_profile_find_mapping (profile, name);
  if (found == NULL)
    return ps_cli_usage (ctx, _("the profile has no mapping “%s”"), name);
  mapping = ps_mapping_copy (found);
  if (filter != NULL)
    {
      g_free (mapping->filter);
      mapping->filter = *filter != '\0' ? g_strdup (filter) : NULL;
    }
  if (search_base != NULL)
    {
      g_free (mapping->search_base);
      mapping->search_base = *search_base != '\0' ? g_strdup (search_base) : NULL;
    }
  engine = ps_engine_new (profile);
  if (!ps_engine_count_scope_sync (engine, mapping, &members, &in_scope, &enabled, NULL, &error))
    return ps_cli_fail (ctx, error);
  if (ctx->json)
    g_print ("{\"mapping\": \"%s\", \"members\": %u, \"in_scope\": %u, \"enabled\": %u}\n",
             mapping->name, members, in_scope, enabled);
  else
    /* Translators: the size of a mapping's scope */
    g_print (_("%u members, %u in the mapping’s scope, %u of them enabled\n"), members, in_scope, enabled);
  return PS_CLI_EXIT_OK;
}

int
ps_cli_directory (PsCliContext  *ctx,
                  int            argc,
                  char         **argv)
{
  g_autofree char *search = NULL;
  g_autofree char *group = NULL;
  g_autofree char *mapping = NULL;
  g_autofree char *filter = NULL;
  g_autofree char *search_base = NULL;
  g_auto(GStrv) extra = NULL;
  gboolean nested = FALSE;
  gboolean in_chain = FALSE;
  int limit = 0;
  const GOptionEntry entries[] = {
    { "search", 's', 0, G_OPTION_ARG_STRING, &search,
      N_("groups: only groups whose name or description contains TEXT"), N_("TEXT") },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("groups: at most N groups"), N_("N") },
    { "group", 'g', 0, G_OPTION_ARG_STRING, &group,
      N_("members: the group, by name, DN, objectGUID or objectSid"), N_("GROUP") },
    { "nested", 'n', 0, G_OPTION_ARG_NONE, &nested,
      N_("members: include the members of nested groups"), NULL },
    { "in-chain", 0, 0, G_OPTION_ARG_NONE, &in_chain,
      N_("members: let AD expand nested groups (LDAP_MATCHING_RULE_IN_CHAIN)"), NULL },
    { "attr", 'a', 0, G_OPTION_ARG_STRING_ARRAY, &extra,
      N_("members, user: also print attribute A (repeat for more)"), N_("A") },
    { "mapping", 'm', 0, G_OPTION_ARG_STRING, &mapping,
      N_("scope: the mapping whose scope is counted"), N_("NAME") },
    { "filter", 0, 0, G_OPTION_ARG_STRING, &filter,
      N_("scope: try this LDAP filter instead of the mapping’s (\"\" for none)"), N_("FILTER") },
    { "search-base", 0, 0, G_OPTION_ARG_STRING, &search_base,
      N_("scope: try this search base instead of the mapping’s (\"\" for none)"), N_("DN") },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    ps_cli_option_context_new (ctx, _("groups | members | user NAME | scope"),
                               _("groups [--search TEXT]: the groups of the directory\n"
                                 "members --group GROUP [--nested] [--attr A …]: the users in a group\n"
                                 "user NAME: one user (sAMAccountName, UPN, DN, objectGUID or objectSid)\n"
                                 "scope --mapping NAME [--filter F] [--search-base DN]: how many people "
                                 "a mapping covers\n"
                                 "With --json, one JSON object per line."),
                               entries);
  const char *sub;

  if (!ps_cli_parse (ctx, context, &argc, &argv))
    return PS_CLI_EXIT_USAGE;
  if (argc < 2)
    return ps_cli_usage (ctx, _("say what to list: groups, members or user"));
  sub = argv[1];
  if (g_str_equal (sub, "groups") && argc == 2)
    return directory_groups (ctx, search, (guint) MAX (limit, 0));
  if (g_str_equal (sub, "members") && argc == 2)
    {
      if (group == NULL)
        return ps_cli_usage (ctx, _("members needs --group NAME, DN, objectGUID or objectSid"));
      return directory_members (ctx, group, nested, in_chain, (const char *const *) extra);
    }
  if (g_str_equal (sub, "scope") && argc == 2)
    {
      if (mapping == NULL)
        return ps_cli_usage (ctx, _("scope needs --mapping NAME"));
      return directory_scope (ctx, mapping, filter, search_base);
    }
  if (g_str_equal (sub, "user") && argc == 3)
    return directory_user (ctx, argv[2], (const char *const *) extra);
  return ps_cli_usage (ctx, _("unknown or misused subcommand “%s”"), sub);
}
