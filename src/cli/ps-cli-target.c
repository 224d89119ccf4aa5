/* ps-cli-target.c — pandasync-cli target accounts | modules | roles | collections | fields | users | records
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reads Asset Panda through the profile's target, as the wizard does.
 */

#include <glib/gi18n.h>

#include "ps-cli.h"
#include "ps-target.h"

/* ---------------------------------------------------------------- helpers */

static void
print_node (JsonBuilder *b)
{
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  ps_cli_print_json (root);
}

/* Pro needs an account and a module: take the only one there is. */
static gboolean
pick (PsCliContext   *ctx,
      PsTarget       *target,
      PsTargetListKind kind,
      char          **value,
      const char     *account,
      GError        **error)
{
  g_autoptr(GPtrArray) list = NULL;
  const char *what = kind == PS_TARGET_LIST_ACCOUNTS ? "--account" : "--module";

  if (*value != NULL || ps_target_get_dialect (target) != PS_DIALECT_PRO)
    return TRUE;
  list = kind == PS_TARGET_LIST_ACCOUNTS
         ? ps_target_list_accounts_sync (target, NULL, error)
         : ps_target_list_modules_sync (target, account, NULL, error);
  if (list == NULL)
    return FALSE;
  if (list->len == 1)
    {
      *value = g_strdup (((PsTargetEntity *) g_ptr_array_index (list, 0))->id);
      return TRUE;
    }
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               /* Translators: %u is a count, %s an option such as --account */
               _("There are %u to choose from: name one with %s (see “pandasync-cli target %s”)"),
               list->len, what, kind == PS_TARGET_LIST_ACCOUNTS ? "accounts" : "modules");
  return FALSE;
}

static int
print_entities (PsCliContext *ctx,
                GPtrArray    *list)
{
  if (ctx->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_array (b);
      for (guint i = 0; i < list->len; i++)
        {
          PsTargetEntity *e = g_ptr_array_index (list, i);

          json_builder_begin_object (b);
          ps_cli_json_string (b, "id", e->id);
          ps_cli_json_string (b, "name", e->name);
          if (e->key != NULL)
            ps_cli_json_string (b, "key", e->key);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      print_node (b);
      return PS_CLI_EXIT_OK;
    }
  for (guint i = 0; i < list->len; i++)
    {
      PsTargetEntity *e = g_ptr_array_index (list, i);
      g_print ("%-28s %s\n", e->id, e->name);
    }
  return PS_CLI_EXIT_OK;
}

static int
print_fields (PsCliContext *ctx,
              GPtrArray    *list)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_array (b);
  for (guint i = 0; i < list->len; i++)
    {
      PsTargetField *f = g_ptr_array_index (list, i);

      if (!ctx->json)
        {
          g_autoptr(GString) flags = g_string_new (NULL);

          if (f->required)
            g_string_append (flags, _(" required"));
          if (f->unique)
            g_string_append (flags, _(" unique"));
          g_print ("%-28s %-24s %s%s\n", f->key, f->name, ps_field_type_to_string (f->type), flags->str);
          for (guint j = 0; j < f->options->len; j++)
            {
              PsTargetOption *o = g_ptr_array_index (f->options, j);
              g_print ("    %-24s %s\n", o->id, o->label);
            }
          continue;
        }
      json_builder_begin_object (b);
      ps_cli_json_string (b, "key", f->key);
      ps_cli_json_string (b, "id", f->id);
      ps_cli_json_string (b, "name", f->name);
      ps_cli_json_string (b, "type", ps_field_type_to_string (f->type));
      ps_cli_json_string (b, "type_name", f->type_name);
      ps_cli_json_bool (b, "required", f->required);
      ps_cli_json_bool (b, "unique", f->unique);
      json_builder_set_member_name (b, "options");
      json_builder_begin_array (b);
      for (guint j = 0; j < f->options->len; j++)
        {
          PsTargetOption *o = g_ptr_array_index (f->options, j);
          json_builder_begin_object (b);
          ps_cli_json_string (b, "id", o->id);
          ps_cli_json_string (b, "label", o->label);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (ctx->json)
    print_node (b);
  return PS_CLI_EXIT_OK;
}

static int
print_users (PsCliContext *ctx,
             GPtrArray    *list)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_array (b);
  for (guint i = 0; i < list->len; i++)
    {
      PsTargetUser *u = g_ptr_array_index (list, i);

      if (!ctx->json)
        {
          g_print ("%-28s %-32s %s %s (%s, %s %s)\n", u->id, u->email ? u->email : "",
                   u->first_name ? u->first_name : "", u->last_name ? u->last_name : "",
                   u->active ? _("active") : _("inactive"), _("role"),
                   u->role_id != NULL ? u->role_id : "-");
          continue;
        }
      json_builder_begin_object (b);
      ps_cli_json_string (b, "id", u->id);
      ps_cli_json_string (b, "email", u->email);
      ps_cli_json_string (b, "first_name", u->first_name);
      ps_cli_json_string (b, "last_name", u->last_name);
      ps_cli_json_string (b, "role_id", u->role_id);
      ps_cli_json_bool (b, "active", u->active);
      ps_cli_json_string (b, "anchor", u->anchor);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (ctx->json)
    print_node (b);
  return PS_CLI_EXIT_OK;
}

static int
compare_keys (gconstpointer a,
              gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

static int
print_records (PsCliContext *ctx,
               GPtrArray    *list)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_array (b);
  for (guint i = 0; i < list->len; i++)
    {
      PsTargetRecord *r = g_ptr_array_index (list, i);
      g_autoptr(GPtrArray) keys = g_ptr_array_new ();
      g_autoptr(GList) names = g_hash_table_get_keys (r->values);

      for (GList *l = names; l != NULL; l = l->next)
        g_ptr_array_add (keys, l->data);

      g_ptr_array_sort (keys, compare_keys);
      if (!ctx->json)
        {
          g_print ("%s%s\n", r->id, r->archived ? _(" (archived)") : "");
          for (guint j = 0; j < keys->len; j++)
            g_print ("    %-28s %s\n", (char *) g_ptr_array_index (keys, j),
                     (char *) g_hash_table_lookup (r->values, g_ptr_array_index (keys, j)));
          continue;
        }
      json_builder_begin_object (b);
      ps_cli_json_string (b, "id", r->id);
      ps_cli_json_bool (b, "archived", r->archived);
      ps_cli_json_string (b, "updated_at", r->updated_at);
      json_builder_set_member_name (b, "values");
      json_builder_begin_object (b);
      for (guint j = 0; j < keys->len; j++)
        ps_cli_json_string (b, g_ptr_array_index (keys, j),
                       g_hash_table_lookup (r->values, g_ptr_array_index (keys, j)));
      json_builder_end_object (b);
      json_builder_set_member_name (b, "option_ids");
      json_builder_begin_object (b);
      {
        GHashTableIter iter;
        gpointer k, v;

        g_hash_table_iter_init (&iter, r->option_ids);
        while (g_hash_table_iter_next (&iter, &k, &v))
          ps_cli_json_string (b, k, v);
      }
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (ctx->json)
    print_node (b);
  return PS_CLI_EXIT_OK;
}

/* ---------------------------------------------------------------- entry */

int
ps_cli_target (PsCliContext  *ctx,
               int            argc,
               char         **argv)
{
  g_autofree char *account = NULL;
  g_autofree char *module = NULL;
  g_autofree char *collection = NULL;
  int limit = 0;
  const GOptionEntry entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &account, N_("The account (Pro; Classic has one)"), N_("ID") },
    { "module", 0, 0, G_OPTION_ARG_STRING, &module, N_("The module (Pro; Classic has one)"), N_("ID") },
    { "collection", 'c', 0, G_OPTION_ARG_STRING, &collection, N_("The collection (Classic: group)"), N_("ID") },
    { "limit", 'n', 0, G_OPTION_ARG_INT, &limit, N_("At most N records"), N_("N") },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    ps_cli_option_context_new (ctx, _("accounts | modules | roles | collections | fields | users | records"),
                               _("Read Asset Panda as the profile sees it:\n"
                                 "accounts, modules [--account ID], roles, collections,\n"
                                 "fields --collection ID, users, records --collection ID [--limit N]"),
                               entries);
  g_autoptr(GError) error = NULL;
  g_autoptr(PsProfile) profile = NULL;
  g_autoptr(PsTarget) target = NULL;
  g_autoptr(GPtrArray) list = NULL;
  const char *sub;
  int status;
  static const char *const subs[] = { "accounts", "modules", "roles", "collections", "fields",
                                      "users", "records", NULL };

  if (!ps_cli_parse (ctx, context, &argc, &argv))
    return PS_CLI_EXIT_USAGE;
  if (argc != 2 || !g_strv_contains (subs, argv[1]))
    {
      return ps_cli_usage (ctx, _("say what to list: accounts, modules, roles, collections, "
                                  "fields, users or records"));
    }
  sub = argv[1];
  if ((g_str_equal (sub, "fields") || g_str_equal (sub, "records")) && collection == NULL)
    return ps_cli_usage (ctx, _("%s needs --collection ID (see “pandasync-cli target collections”)"),
                         sub);

  profile = ps_cli_load_profile (ctx, &error);
  if (profile != NULL)
    target = ps_target_new_for_profile (profile, NULL, &error);
  if (target != NULL && !g_str_equal (sub, "accounts"))
    {
      if (pick (ctx, target, PS_TARGET_LIST_ACCOUNTS, &account, NULL, &error)
          && !g_str_equal (sub, "modules"))
        pick (ctx, target, PS_TARGET_LIST_MODULES, &module, account, &error);
    }
  if (error == NULL)
    {
      if (g_str_equal (sub, "accounts"))
        list = ps_target_list_accounts_sync (target, NULL, &error);
      else if (g_str_equal (sub, "modules"))
        list = ps_target_list_modules_sync (target, account, NULL, &error);
      else if (g_str_equal (sub, "roles"))
        list = ps_target_list_roles_sync (target, account, module, NULL, &error);
      else if (g_str_equal (sub, "collections"))
        list = ps_target_list_collections_sync (target, account, module, NULL, &error);
      else if (g_str_equal (sub, "fields"))
        list = ps_target_list_fields_sync (target, account, module, collection, NULL, &error);
      else if (g_str_equal (sub, "users"))
        list = ps_target_list_users_sync (target, account, module, NULL, &error);
      else
        {
          g_autoptr(PsTargetQuery) query = ps_target_query_new ();

          query->limit = limit > 0 ? (guint) limit : 0;
          list = ps_target_search_records_sync (target, account, module, collection,
                                                query, NULL, &error);
        }
    }

  if (list == NULL)
    status = ps_cli_fail (ctx, error);
  else if (g_str_equal (sub, "fields"))
    status = print_fields (ctx, list);
  else if (g_str_equal (sub, "users"))
    status = print_users (ctx, list);
  else if (g_str_equal (sub, "records"))
    status = print_records (ctx, list);
  else
    status = print_entities (ctx, list);
  return status;
}
