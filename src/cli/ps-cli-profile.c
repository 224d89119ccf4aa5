/* ps-cli-profile.c — pandasync-cli profile list | show | validate | set-secret
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib/gi18n.h>

#include "ps-cli.h"
#include "ps-names.h"
#include "ps-secret-store.h"

/* ---------------------------------------------------------------- helpers */

static const char *
secret_state (PsProfile    *profile,
              PsSecretKind  kind)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsSecretString) value = ps_secret_lookup_sync (profile, kind, NULL, &error);

  if (value != NULL)
    return "stored";
  if (g_error_matches (error, PS_SECRET_ERROR, PS_SECRET_ERROR_NOT_FOUND))
    return "missing";
  g_debug ("%s", error->message);
  return "unavailable";
}

/* The identity source's section, as the profile names it. */
static void
add_directory_json (JsonBuilder             *b,
                    const PsDirectoryConfig *d)
{
  json_builder_set_member_name (b, "directory");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "uris");
  json_builder_begin_array (b);
  for (guint i = 0; d->uris != NULL && d->uris[i] != NULL; i++)
    json_builder_add_string_value (b, d->uris[i]);
  json_builder_end_array (b);
  ps_cli_json_string (b, "domain", d->domain);
  ps_cli_json_string (b, "tls", ps_tls_mode_to_string (d->tls_mode));
  ps_cli_json_string (b, "ca_file", d->ca_file);
  ps_cli_json_bool (b, "allow_untrusted_certificate", d->allow_untrusted);
  ps_cli_json_bool (b, "allow_plaintext_bind", d->allow_plaintext_bind);
  ps_cli_json_string (b, "bind_dn", d->bind_dn);
  ps_cli_json_string (b, "base_dn", d->base_dn);
  ps_cli_json_int (b, "page_size", d->page_size);
  ps_cli_json_int (b, "timeout", d->timeout);
  ps_cli_json_string (b, "nested_groups", ps_nested_mode_to_string (d->nested));
  json_builder_end_object (b);
}

static void
add_entra_json (JsonBuilder           *b,
                const PsEntraIdConfig *e)
{
  json_builder_set_member_name (b, "entra_id");
  json_builder_begin_object (b);
  ps_cli_json_string (b, "tenant", e->tenant);
  ps_cli_json_string (b, "client_id", e->client_id);
  ps_cli_json_string (b, "login_url", e->login_url);
  ps_cli_json_string (b, "graph_url", e->graph_url);
  ps_cli_json_string (b, "ca_file", e->ca_file);
  ps_cli_json_string (b, "certificate_file", e->certificate_file);
  ps_cli_json_int (b, "page_size", e->page_size);
  ps_cli_json_int (b, "timeout", e->timeout);
  json_builder_end_object (b);
}

static void
add_okta_json (JsonBuilder        *b,
               const PsOktaConfig *o)
{
  json_builder_set_member_name (b, "okta");
  json_builder_begin_object (b);
  ps_cli_json_string (b, "url", o->url);
  ps_cli_json_string (b, "ca_file", o->ca_file);
  ps_cli_json_string (b, "client_id", o->client_id);
  ps_cli_json_int (b, "page_size", o->page_size);
  ps_cli_json_int (b, "timeout", o->timeout);
  json_builder_end_object (b);
}

static JsonNode *
profile_to_json (PsProfile *profile)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  PsTargetConfig *t = ps_profile_get_target (profile);
  PsDirectoryConfig *d = ps_profile_get_directory (profile);
  PsSchedule *s = ps_profile_get_schedule (profile);
  GPtrArray *mappings = ps_profile_get_mappings (profile);
  g_autofree char *state = ps_profile_dup_state_path (profile);

  json_builder_begin_object (b);
  ps_cli_json_string (b, "name", ps_profile_get_name (profile));
  ps_cli_json_string (b, "id", ps_profile_get_id (profile));
  ps_cli_json_string (b, "path", ps_profile_get_path (profile));
  ps_cli_json_string (b, "state_file", state);
  ps_cli_json_string (b, "credentials_file", ps_profile_get_credentials_file (profile));

  json_builder_set_member_name (b, "asset_panda");
  json_builder_begin_object (b);
  ps_cli_json_string (b, "url", t->url);
  ps_cli_json_string (b, "dialect", ps_dialect_to_string (ps_target_config_effective_dialect (t)));
  ps_cli_json_string (b, "client_id", t->client_id);
  ps_cli_json_string (b, "email", t->email);
  ps_cli_json_string (b, "ca_file", t->ca_file);
  ps_cli_json_int (b, "concurrency", t->concurrency);
  ps_cli_json_int (b, "rate_calls", t->rate_calls);
  ps_cli_json_int (b, "rate_window", t->rate_window);
  json_builder_end_object (b);

  ps_cli_json_string (b, "source", ps_source_kind_to_string (ps_profile_get_source_kind (profile)));
  switch (ps_profile_get_source_kind (profile))
    {
    case PS_SOURCE_KIND_ENTRA_ID:
      add_entra_json (b, ps_profile_get_entra_id (profile));
      break;
    case PS_SOURCE_KIND_OKTA:
      add_okta_json (b, ps_profile_get_okta (profile));
      break;
    case PS_SOURCE_KIND_ACTIVE_DIRECTORY:
    default:
      add_directory_json (b, d);
      break;
    }

  json_builder_set_member_name (b, "schedule");
  json_builder_begin_object (b);
  ps_cli_json_bool (b, "enabled", s->enabled);
  if (s->start != NULL)
    {
      g_autofree char *iso = g_date_time_format_iso8601 (s->start);
      ps_cli_json_string (b, "start", iso);
    }
  else
    ps_cli_json_string (b, "start", NULL);
  ps_cli_json_string (b, "interval", ps_interval_to_string (s->interval));
  ps_cli_json_int (b, "every_hours", s->every_hours);
  ps_cli_json_int (b, "full_reconciliation_hours", s->full_every_hours);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "mappings");
  json_builder_begin_array (b);
  for (guint i = 0; i < mappings->len; i++)
    {
      const PsMapping *m = g_ptr_array_index (mappings, i);

      json_builder_begin_object (b);
      ps_cli_json_string (b, "name", m->name);
      ps_cli_json_string (b, "kind", m->kind == PS_MAPPING_USERS ? "users" : "collection");
      ps_cli_json_bool (b, "enabled", m->enabled);
      ps_cli_json_string (b, "account", m->account);
      ps_cli_json_string (b, "module", m->module);
      ps_cli_json_string (b, "group", m->group);
      ps_cli_json_string (b, "group_name", m->group_name);
      if (m->kind == PS_MAPPING_USERS)
        {
          ps_cli_json_string (b, "role", m->role);
          ps_cli_json_string (b, "email", m->email_attr);
          ps_cli_json_string (b, "first_name", m->first_name_attr);
          ps_cli_json_string (b, "last_name", m->last_name_attr);
        }
      else
        {
          ps_cli_json_string (b, "collection", m->collection);
          ps_cli_json_string (b, "unique_identifier", m->unique_id_attr);
          ps_cli_json_string (b, "unique_field", m->unique_field);
          ps_cli_json_string (b, "status_field", m->status_field);
        }
      ps_cli_json_bool (b, "match_only", m->match_only);
      ps_cli_json_int (b, "deactivation_threshold", m->deactivation_threshold);
      json_builder_set_member_name (b, "fields");
      json_builder_begin_array (b);
      for (guint j = 0; j < m->fields->len; j++)
        {
          const PsFieldMap *f = g_ptr_array_index (m->fields, j);
          json_builder_begin_object (b);
          ps_cli_json_string (b, "field", f->field);
          ps_cli_json_string (b, "attribute", f->attribute);
          ps_cli_json_string (b, "ownership", ps_ownership_to_string (f->ownership));
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "secrets");
  json_builder_begin_object (b);
  for (PsSecretKind k = 0; k < PS_SECRET_N_KINDS; k++)
    ps_cli_json_string (b, ps_secret_kind_to_string (k), secret_state (profile, k));
  json_builder_end_object (b);

  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static const char *
or_not_set (const char *value)
{
  return value != NULL ? value : _("(not set)");
}

/* The section of the source the profile reads: [Directory], [EntraID] or [Okta]. */
static void
print_source_text (PsProfile  *profile,
                   const char *uris)
{
  PsDirectoryConfig *d = ps_profile_get_directory (profile);
  PsEntraIdConfig *e = ps_profile_get_entra_id (profile);
  PsOktaConfig *o = ps_profile_get_okta (profile);

  switch (ps_profile_get_source_kind (profile))
    {
    case PS_SOURCE_KIND_ENTRA_ID:
      g_print ("\n%s\n", _("Microsoft Entra ID"));
      g_print (_("  Tenant:       %s\n"), or_not_set (e->tenant));
      g_print (_("  Client ID:    %s\n"), or_not_set (e->client_id));
      g_print (_("  Sign in with: %s\n"), e->certificate_file != NULL ? e->certificate_file
                                                                     : _("the client secret"));
      if (e->login_url != NULL || e->graph_url != NULL)
        g_print (_("  Cloud:        %s, %s\n"), or_not_set (e->login_url), or_not_set (e->graph_url));
      if (e->ca_file != NULL)
        g_print (_("  CA file:      %s\n"), e->ca_file);
      g_print (_("  Page size:    %u, timeout %u s\n"), e->page_size, e->timeout);
      break;
    case PS_SOURCE_KIND_OKTA:
      g_print ("\n%s\n", _("Okta"));
      g_print (_("  Org URL:      %s\n"), or_not_set (o->url));
      if (o->ca_file != NULL)
        g_print (_("  CA file:      %s\n"), o->ca_file);
      g_print (_("  Page size:    %u, timeout %u s\n"), o->page_size, o->timeout);
      break;
    case PS_SOURCE_KIND_ACTIVE_DIRECTORY:
    default:
      g_print ("\n%s\n", _("Active Directory"));
      g_print (_("  URLs:         %s\n"), *uris != '\0' ? uris : _("(not set)"));
      g_print (_("  TLS:          %s%s\n"), ps_tls_mode_to_string (d->tls_mode),
               d->allow_untrusted ? _(" (untrusted certificates allowed!)") : "");
      g_print (_("  Bind as:      %s\n"), or_not_set (d->bind_dn));
      g_print (_("  Base DN:      %s\n"), d->base_dn != NULL ? d->base_dn
                                                          : _("(the directory’s own, from its rootDSE)"));
      break;
    }
}

static void
print_profile_text (PsProfile *profile)
{
  PsTargetConfig *t = ps_profile_get_target (profile);
  PsDirectoryConfig *d = ps_profile_get_directory (profile);
  PsSchedule *s = ps_profile_get_schedule (profile);
  GPtrArray *mappings = ps_profile_get_mappings (profile);
  g_autofree char *uris = d->uris != NULL ? g_strjoinv (", ", d->uris) : g_strdup ("");
  g_autofree char *state = ps_profile_dup_state_path (profile);
  g_autoptr(PsNames) names = ps_names_load_for_profile (profile);
  PsSecretKind secrets[] = { PS_SECRET_API_CLIENT_SECRET, PS_SECRET_API_PASSWORD,
                             ps_secret_kind_for_source (ps_profile_get_source_kind (profile)) };

  g_print (_("Profile %s (%s)\n"), ps_profile_get_name (profile),
           ps_profile_get_path (profile) != NULL ? ps_profile_get_path (profile) : _("not saved"));
  g_print (_("  State:        %s\n"), state);
  g_print ("\n%s\n", _("Asset Panda"));
  g_print (_("  URL:          %s (%s)\n"), t->url,
           ps_dialect_to_string (ps_target_config_effective_dialect (t)));
  g_print (_("  Client ID:    %s\n"), t->client_id != NULL ? t->client_id : _("(not set)"));
  g_print (_("  Email:        %s\n"), t->email != NULL ? t->email : _("(not set)"));
  print_source_text (profile, uris);
  g_print ("\n%s\n", _("Automation Sync"));
  if (s->enabled && s->start != NULL)
    {
      g_autofree char *start = g_date_time_format (s->start, "%Y-%m-%d %H:%M");
      g_print (_("  From %s, %s\n"), start, ps_interval_to_string (s->interval));
    }
  else
    g_print ("  %s\n", _("off"));
  g_print ("\n%s\n", _("Mappings"));
  if (mappings->len == 0)
    g_print ("  %s\n", _("(none)"));
  for (guint i = 0; i < mappings->len; i++)
    {
      const PsMapping *m = g_ptr_array_index (mappings, i);
      const char *group = m->group_name != NULL ? m->group_name : m->group;
      /* Names remembered from the last listing (the GUI's and the engine's);
       * the id when none was kept. */
      g_autofree char *role = m->role != NULL ? ps_names_display (names, PS_NAME_ROLE, NULL, m->role)
                                              : g_strdup ("?");
      g_autofree char *collection = m->collection != NULL
                                    ? ps_names_display (names, PS_NAME_COLLECTION, NULL, m->collection)
                                    : g_strdup ("?");

      if (m->kind == PS_MAPPING_USERS)
        g_print (_("  %s: users of %s → role %s%s\n"), m->name, group ? group : "?",
                 role, m->enabled ? "" : _(" (disabled)"));
      else
        g_print (_("  %s: members of %s → collection %s, by %s%s\n"), m->name, group ? group : "?",
                 collection, m->unique_id_attr,
                 m->enabled ? "" : _(" (disabled)"));
    }
  /* Only the secrets this profile signs in with: the Classic password only
   * for Classic, and the one of its own identity source. */
  g_print ("\n%s\n", _("Secrets"));
  for (guint i = 0; i < G_N_ELEMENTS (secrets); i++)
    if (secrets[i] != PS_SECRET_API_PASSWORD
        || ps_target_config_effective_dialect (t) == PS_DIALECT_CLASSIC)
      g_print ("  %-34s %s\n", ps_secret_kind_describe (secrets[i]),
               secret_state (profile, secrets[i]));
}

/* ---------------------------------------------------------------- subcommands */

static int
profile_list (PsCliContext *ctx)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) names = ps_profile_list_names (&error);

  if (names == NULL)
    return ps_cli_fail (ctx, error);
  if (ctx->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_array (b);
      for (guint i = 0; i < names->len; i++)
        json_builder_add_string_value (b, g_ptr_array_index (names, i));
      json_builder_end_array (b);
      root = json_builder_get_root (b);
      ps_cli_print_json (root);
    }
  else if (names->len == 0)
    {
      g_autofree char *dir = ps_profile_dir ();
      g_print (_("No profiles in %s\n"), dir);
    }
  else
    for (guint i = 0; i < names->len; i++)
      g_print ("%s\n", (char *) g_ptr_array_index (names, i));
  return PS_CLI_EXIT_OK;
}

static int
profile_show (PsCliContext *ctx)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsProfile) profile = ps_cli_load_profile (ctx, &error);

  if (profile == NULL)
    return ps_cli_fail (ctx, error);
  if (ctx->json)
    {
      g_autoptr(JsonNode) node = profile_to_json (profile);
      ps_cli_print_json (node);
    }
  else
    print_profile_text (profile);
  return PS_CLI_EXIT_OK;
}

static int
profile_validate (PsCliContext *ctx)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsProfile) profile = ps_cli_load_profile (ctx, &error);
  g_autoptr(GPtrArray) problems = NULL;
  gboolean valid;

  if (profile == NULL)
    {
      if (ctx->json)
        {
          g_autoptr(JsonBuilder) b = json_builder_new ();
          g_autoptr(JsonNode) root = NULL;

          json_builder_begin_object (b);
          ps_cli_json_bool (b, "valid", FALSE);
          json_builder_set_member_name (b, "problems");
          json_builder_begin_array (b);
          json_builder_add_string_value (b, error->message);
          json_builder_end_array (b);
          json_builder_end_object (b);
          root = json_builder_get_root (b);
          ps_cli_print_json (root);
        }
      g_printerr ("pandasync-cli %s: %s\n", ctx->command, error->message);
      return PS_CLI_EXIT_FAILURE;
    }

  valid = ps_profile_validate (profile, &problems);
  if (ctx->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      ps_cli_json_string (b, "profile", ps_profile_get_name (profile));
      ps_cli_json_bool (b, "valid", valid);
      json_builder_set_member_name (b, "problems");
      json_builder_begin_array (b);
      for (guint i = 0; i < problems->len; i++)
        json_builder_add_string_value (b, g_ptr_array_index (problems, i));
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      ps_cli_print_json (root);
    }
  else if (valid)
    g_print (_("Profile %s is valid.\n"), ps_profile_get_name (profile));
  else
    {
      g_print (ngettext ("Profile %s has %u problem:\n", "Profile %s has %u problems:\n",
                         problems->len),
               ps_profile_get_name (profile), problems->len);
      for (guint i = 0; i < problems->len; i++)
        g_print ("  %s\n", (char *) g_ptr_array_index (problems, i));
    }
  return valid ? PS_CLI_EXIT_OK : PS_CLI_EXIT_FAILURE;
}

static int
profile_set_secret (PsCliContext *ctx,
                    const char   *kind_name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsProfile) profile = NULL;
  g_autoptr(PsSecretString) secret = NULL;
  PsSecretKind kind;

  if (kind_name == NULL || !ps_secret_kind_from_string (kind_name, &kind))
    return ps_cli_usage (ctx, _("name the secret: api-client-secret, api-password or bind-password"));

  profile = ps_cli_load_profile (ctx, &error);
  if (profile == NULL)
    return ps_cli_fail (ctx, error);
  secret = ps_cli_read_stdin_secret (&error);
  if (secret == NULL)
    return ps_cli_fail (ctx, error);
  if (!ps_secret_store_sync (profile, kind, secret, NULL, &error))
    return ps_cli_fail (ctx, error);
  if (!ctx->json)
    g_print (_("Stored the %s of profile %s.\n"), ps_secret_kind_describe (kind),
             ps_profile_get_name (profile));
  return PS_CLI_EXIT_OK;
}

int
ps_cli_profile (PsCliContext  *ctx,
                int            argc,
                char         **argv)
{
  g_autoptr(GOptionContext) context =
    ps_cli_option_context_new (ctx, _("list | show | validate | set-secret KIND"),
                               _("list: the profiles in ~/.config/pandasync/profiles\n"
                                 "show: a profile's settings and which secrets are stored\n"
                                 "validate: check a profile; every problem names its key\n"
                                 "set-secret KIND: store a secret read from standard input;\n"
                                 "  KIND is api-client-secret, api-password or bind-password"),
                               NULL);
  const char *sub;

  if (!ps_cli_parse (ctx, context, &argc, &argv))
    return PS_CLI_EXIT_USAGE;
  if (argc < 2)
    return ps_cli_usage (ctx, _("say what to do: list, show, validate or set-secret"));
  sub = argv[1];
  if (g_str_equal (sub, "list") && argc == 2)
    return profile_list (ctx);
  if (g_str_equal (sub, "show") && argc == 2)
    return profile_show (ctx);
  if (g_str_equal (sub, "validate") && argc == 2)
    return profile_validate (ctx);
  if (g_str_equal (sub, "set-secret") && argc <= 3)
    return profile_set_secret (ctx, argc == 3 ? argv[2] : NULL);
  return ps_cli_usage (ctx, _("unknown or misused subcommand “%s”"), sub);
}
