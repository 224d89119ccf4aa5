/* test-target-contract.c — every client call of both dialects against the emulator
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gstdio.h>

#include "ps-test.h"
#include "ps-emu.h"
#include "ps-secret-store.h"

static PsEmu *emu;

typedef struct {
  PsDialect   dialect;
  const char *account;
  const char *module;
  const char *employees;
  const char *first;       /* field keys */
  const char *last;
  const char *email;
  const char *status;      /* the "Integration Status AD" single-select */
} Dialect;

static const Dialect classic = {
  PS_DIALECT_CLASSIC, NULL, NULL, EMU_CLASSIC_EMPLOYEES,
  "field_1", "field_2", "field_3", "field_8",
};

static const Dialect pro = {
  PS_DIALECT_PRO, EMU_PRO_ACCOUNT, EMU_PRO_MODULE, EMU_PRO_EMPLOYEES,
  EMU_PRO_EMPLOYEES "_0_firstname_text", EMU_PRO_EMPLOYEES "_1_lastname_text",
  EMU_PRO_EMPLOYEES "_2_email_text", EMU_PRO_EMPLOYEES "_7_integrationstatusad_singleselect",
};

static PsTarget *
target_for (const Dialect *d)
{
  ps_emu_admin_post (emu, "reset", "{}");
  return d->dialect == PS_DIALECT_PRO ? ps_emu_pro (emu, 4, 400, 180)
                                      : ps_emu_classic (emu, 4, 400, 180);
}

static gboolean
has_entity (GPtrArray  *list,
            const char *name)
{
  for (guint i = 0; i < list->len; i++)
    if (g_strcmp0 (((PsTargetEntity *) g_ptr_array_index (list, i))->name, name) == 0)
      return TRUE;
  return FALSE;
}

static PsTargetWrite *
person (const Dialect *d,
        const char    *first,
        const char    *last,
        const char    *sid)
{
  g_autofree char *mail = g_strdup_printf ("%s.%s@example.com", first, last);
  PsTargetWrite *w = d->dialect == PS_DIALECT_CLASSIC && sid != NULL
                     ? ps_target_write_new_create ("integ_ad_sid", sid)
                     : ps_target_write_new_create (sid != NULL ? d->email : NULL, sid != NULL ? mail : NULL);

  ps_target_write_set (w, d->first, first);
  ps_target_write_set (w, d->last, last);
  ps_target_write_set (w, d->email, mail);
  return w;
}

/* ---------------------------------------------------------------- discovery */

static void
test_discovery (gconstpointer data)
{
  const Dialect *d = data;
  g_autoptr(PsTarget) target = target_for (d);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) accounts = NULL;
  g_autoptr(GPtrArray) modules = NULL;
  g_autoptr(GPtrArray) roles = NULL;
  g_autoptr(GPtrArray) collections = NULL;
  g_autoptr(GPtrArray) fields = NULL;
  g_autoptr(GPtrArray) users = NULL;
  PsTargetEntity *account, *module;
  PsTargetField *status;
  gboolean admin = FALSE;

  g_assert_cmpint (ps_target_get_dialect (target), ==, d->dialect);
  accounts = ps_target_list_accounts_sync (target, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (accounts->len, >=, 1);
  account = g_ptr_array_index (accounts, 0);
  g_assert_cmpstr (account->id, ==, d->dialect == PS_DIALECT_PRO ? EMU_PRO_ACCOUNT : EMU_CLASSIC_ACCOUNT);

  modules = ps_target_list_modules_sync (target, account->id, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (modules->len, >=, 1);
  module = g_ptr_array_index (modules, 0);
  if (d->dialect == PS_DIALECT_PRO)
    g_assert_cmpstr (module->id, ==, EMU_PRO_MODULE);

  roles = ps_target_list_roles_sync (target, account->id, module->id, NULL, &error);
  g_assert_no_error (error);
  if (d->dialect == PS_DIALECT_CLASSIC)
    {
      g_assert_true (has_entity (roles, "Admin"));
      g_assert_true (has_entity (roles, "Manager"));
      g_assert_true (has_entity (roles, "Basic"));
    }
  else
    {
      g_assert_true (has_entity (roles, "Collaborator"));
      g_assert_true (has_entity (roles, "Module Admin"));
    }

  collections = ps_target_list_collections_sync (target, account->id, module->id, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (has_entity (collections, "Employees"));
  g_assert_true (has_entity (collections, "Assets"));

  fields = ps_target_list_fields_sync (target, account->id, module->id, d->employees, NULL, &error);
  g_assert_no_error (error);
  status = ps_target_fields_find (fields, "Integration Status AD");
  g_assert_nonnull (status);
  g_assert_cmpstr (status->key, ==, d->status);
  g_assert_cmpint (status->type, ==, PS_FIELD_SINGLE_SELECT);
  g_assert_nonnull (ps_target_field_find_option (status, "Active"));
  g_assert_nonnull (ps_target_field_find_option (status, "inactive"));
  g_assert_true (ps_target_fields_find (fields, d->first)->required);
  g_assert_true (ps_target_fields_find (fields, d->email)->unique);

  users = ps_target_list_users_sync (target, account->id, module->id, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < users->len; i++)
    {
      PsTargetUser *u = g_ptr_array_index (users, i);
      if (g_strcmp0 (u->email, "admin@example.com") == 0)
        admin = u->active && u->role_id != NULL;
    }
  g_assert_true (admin);
}

static void
test_unknown_collection (gconstpointer data)
{
  const Dialect *d = data;
  g_autoptr(PsTarget) target = target_for (d);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) fields =
    ps_target_list_fields_sync (target, d->account, d->module,
                                d->dialect == PS_DIALECT_PRO ? "01HWQZZZZZZZZZZZZZZZZZZZZZ" : "999",
                                NULL, &error);

  g_assert_null (fields);
  g_assert_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "collection"));
}

/* ---------------------------------------------------------------- records */

static void
test_records (gconstpointer data)
{
  const Dialect *d = data;
  g_autoptr(PsTarget) target = target_for (d);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) writes = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_write_free);
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(PsTargetQuery) query = NULL;
  g_autoptr(PsTargetRecord) anchored = NULL;
  g_autoptr(GDateTime) before = NULL;
  guint seeded;
  PsTargetWrite *w;
  gboolean ok;

  all = ps_target_search_records_sync (target, d->account, d->module, d->employees, NULL, NULL, &error);
  g_assert_no_error (error);
  seeded = all->len;
  g_clear_pointer (&all, g_ptr_array_unref);
  g_usleep (20 * 1000);
  before = g_date_time_new_now_utc ();
  g_usleep (20 * 1000);

  g_ptr_array_add (writes, person (d, "Barbara", "Liskov", "S-1-5-21-1-1001"));
  g_ptr_array_add (writes, person (d, "Donald", "Knuth", "S-1-5-21-1-1002"));
  w = person (d, "Edsger", "Dijkstra", NULL);
  ps_target_write_set (w, d->status, "Active");   /* by label */
  g_ptr_array_add (writes, w);
  ok = ps_target_write_records_sync (target, d->account, d->module, d->employees, writes, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  for (guint i = 0; i < writes->len; i++)
    {
      w = g_ptr_array_index (writes, i);
      g_assert_no_error (w->error);
      g_assert_true (w->done);
      g_assert_nonnull (w->new_id);
    }
  /* Three creates went out as one batch call. */
  if (d->dialect == PS_DIALECT_CLASSIC)
    g_assert_cmpuint (ps_emu_count_route (emu, "POST /v3/groups/{id}/objects"), ==, 1);
  else
    g_assert_cmpuint (ps_emu_count_route (emu, "POST /collection-records"), ==, 1);

  all = ps_target_search_records_sync (target, d->account, d->module, d->employees, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, seeded + 3);

  /* by field */
  query = ps_target_query_new ();
  ps_target_query_add_filter (query, d->last, "Knuth");
  found = ps_target_search_records_sync (target, d->account, d->module, d->employees, query, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (ps_target_record_get (g_ptr_array_index (found, 0), d->first), ==, "Donald");
  g_clear_pointer (&found, g_ptr_array_unref);
  g_clear_pointer (&query, ps_target_query_free);

  /* single-select read back as its label, with the option id kept */
  query = ps_target_query_new ();
  ps_target_query_add_id (query, ((PsTargetWrite *) g_ptr_array_index (writes, 2))->new_id);
  found = ps_target_search_records_sync (target, d->account, d->module, d->employees, query, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (ps_target_record_get (g_ptr_array_index (found, 0), d->status), ==, "Active");
  g_assert_nonnull (g_hash_table_lookup (((PsTargetRecord *) g_ptr_array_index (found, 0))->option_ids, d->status));
  g_clear_pointer (&found, g_ptr_array_unref);
  g_clear_pointer (&query, ps_target_query_free);

  /* by last-modified */
  query = ps_target_query_new ();
  query->modified_since = g_date_time_ref (before);
  found = ps_target_search_records_sync (target, d->account, d->module, d->employees, query, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 3);
  g_clear_pointer (&found, g_ptr_array_unref);
  g_clear_pointer (&query, ps_target_query_free);

  /* by anchor */
  if (d->dialect == PS_DIALECT_CLASSIC)
    anchored = ps_target_find_record_by_anchor_sync (target, NULL, NULL, d->employees, "integ_ad_sid",
                                                     "S-1-5-21-1-1002", NULL, &error);
  else
    anchored = ps_target_find_record_by_anchor_sync (target, d->account, d->module, d->employees, d->email,
                                                     "Donald.Knuth@example.com", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (anchored);
  g_assert_cmpstr (anchored->id, ==, ((PsTargetWrite *) g_ptr_array_index (writes, 1))->new_id);
  g_clear_pointer (&anchored, ps_target_record_free);
  anchored = ps_target_find_record_by_anchor_sync (target, d->account, d->module, d->employees, d->email,
                                                   "nobody@example.com", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (anchored);

  /* set a single-select by option label */
  ok = ps_target_set_option_sync (target, d->account, d->module, d->employees,
                                  ((PsTargetWrite *) g_ptr_array_index (writes, 0))->new_id,
                                  "Integration Status AD", "Inactive", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  query = ps_target_query_new ();
  ps_target_query_add_filter (query, d->last, "Liskov");
  found = ps_target_search_records_sync (target, d->account, d->module, d->employees, query, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (ps_target_record_get (g_ptr_array_index (found, 0), d->status), ==, "Inactive");
  g_clear_pointer (&found, g_ptr_array_unref);
  g_clear_pointer (&query, ps_target_query_free);

  /* an unknown option is a per-record error, never sent */
  ok = ps_target_set_option_sync (target, d->account, d->module, d->employees,
                                  ((PsTargetWrite *) g_ptr_array_index (writes, 0))->new_id,
                                  "Integration Status AD", "Sleeping", NULL, &error);
  g_assert_false (ok);
  g_assert_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "Sleeping"));
  g_clear_error (&error);
}

static void
test_updates (gconstpointer data)
{
  const Dialect *d = data;
  g_autoptr(PsTarget) target = target_for (d);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) creates = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_write_free);
  g_autoptr(GPtrArray) updates = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_write_free);
  g_autoptr(PsTargetQuery) query = ps_target_query_new ();
  g_autoptr(GPtrArray) found = NULL;
  guint before_calls;

  for (guint i = 0; i < 12; i++)
    {
      g_autofree char *first = g_strdup_printf ("U%u", i);
      g_ptr_array_add (creates, person (d, first, "Updated", NULL));
    }
  g_assert_true (ps_target_write_records_sync (target, d->account, d->module, d->employees, creates,
                                               NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < creates->len; i++)
    {
      PsTargetWrite *c = g_ptr_array_index (creates, i);
      PsTargetWrite *u;

      g_assert_true (c->done);
      u = ps_target_write_new_update (c->new_id);
      ps_target_write_set (u, d->last, "Changed");
      g_ptr_array_add (updates, u);
    }
  before_calls = d->dialect == PS_DIALECT_PRO ? ps_emu_count_route (emu, "PUT /collection-records")
                                              : ps_emu_count_route (emu, "PUT /v3/groups/{id}/objects");
  g_assert_true (ps_target_write_records_sync (target, d->account, d->module, d->employees, updates,
                                               NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < updates->len; i++)
    g_assert_true (((PsTargetWrite *) g_ptr_array_index (updates, i))->done);
  if (d->dialect == PS_DIALECT_PRO)
    /* at most 5 per PUT: 12 → 3 calls */
    g_assert_cmpuint (ps_emu_count_route (emu, "PUT /collection-records") - before_calls, ==, 3);
  else
    /* one batch PUT */
    g_assert_cmpuint (ps_emu_count_route (emu, "PUT /v3/groups/{id}/objects") - before_calls, ==, 1);

  ps_target_query_add_filter (query, d->last, "Changed");
  found = ps_target_search_records_sync (target, d->account, d->module, d->employees, query, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 12);

  /* one record alone goes as PATCH (Classic) */
  {
    g_autoptr(GHashTable) values = g_hash_table_new (g_str_hash, g_str_equal);
    g_autofree char *id = NULL;

    g_hash_table_insert (values, (gpointer) d->first, (gpointer) "Solo");
    id = ps_target_write_record_sync (target, d->account, d->module, d->employees,
                                      ((PsTargetWrite *) g_ptr_array_index (creates, 0))->new_id,
                                      values, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (id, ==, ((PsTargetWrite *) g_ptr_array_index (creates, 0))->new_id);
    if (d->dialect == PS_DIALECT_CLASSIC)
      g_assert_cmpuint (ps_emu_count_route (emu, "PATCH /v3/groups/{id}/objects/{oid}"), ==, 1);
  }
}

static void
test_partial_failure (gconstpointer data)
{
  const Dialect *d = data;
  g_autoptr(PsTarget) target = target_for (d);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) writes = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_write_free);
  PsTargetWrite *dup;

  g_ptr_array_add (writes, person (d, "Ok", "One", NULL));
  dup = person (d, "Dup", "Two", NULL);
  ps_target_write_set (dup, d->email, "ada.lovelace@example.com");  /* seeded: unique breach */
  g_ptr_array_add (writes, dup);
  g_ptr_array_add (writes, person (d, "Ok", "Three", NULL));
  {
    PsTargetWrite *missing = ps_target_write_new_create (NULL, NULL);   /* required fields missing */
    ps_target_write_set (missing, d->email, "x@example.com");
    g_ptr_array_add (writes, missing);
  }

  g_assert_true (ps_target_write_records_sync (target, d->account, d->module, d->employees, writes,
                                               NULL, &error));
  g_assert_no_error (error);
  g_assert_true (((PsTargetWrite *) g_ptr_array_index (writes, 0))->done);
  g_assert_true (((PsTargetWrite *) g_ptr_array_index (writes, 2))->done);
  g_assert_false (dup->done);
  g_assert_error (dup->error, PS_TARGET_ERROR, PS_TARGET_ERROR_INVALID);
  g_assert_nonnull (strstr (dup->error->message, "unique"));
  g_assert_error (((PsTargetWrite *) g_ptr_array_index (writes, 3))->error,
                  PS_TARGET_ERROR, PS_TARGET_ERROR_INVALID);

  /* An unknown field key is caught before sending. */
  {
    g_autoptr(GPtrArray) bad = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_write_free);
    PsTargetWrite *w = person (d, "No", "Field", NULL);

    ps_target_write_set (w, "field_999", "x");
    g_ptr_array_add (bad, w);
    g_assert_true (ps_target_write_records_sync (target, d->account, d->module, d->employees, bad,
                                                 NULL, &error));
    g_assert_error (w->error, PS_TARGET_ERROR, PS_TARGET_ERROR_NOT_FOUND);
  }
}

static void
test_paging (gconstpointer data)
{
  const Dialect *d = data;
  g_autoptr(PsTarget) target = target_for (d);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) writes = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_write_free);
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(PsTargetQuery) limited = ps_target_query_new ();
  guint seeded;

  all = ps_target_search_records_sync (target, d->account, d->module, d->employees, NULL, NULL, &error);
  g_assert_no_error (error);
  seeded = all->len;
  g_clear_pointer (&all, g_ptr_array_unref);
  for (guint i = 0; i < 250; i++)
    {
      g_autofree char *first = g_strdup_printf ("P%03u", i);
      g_ptr_array_add (writes, person (d, first, "Paged", NULL));
    }
  g_assert_true (ps_target_write_records_sync (target, d->account, d->module, d->employees, writes,
                                               NULL, &error));
  g_assert_no_error (error);

  all = ps_target_search_records_sync (target, d->account, d->module, d->employees, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, seeded + 250);
  g_clear_pointer (&all, g_ptr_array_unref);

  /* Be liberal: without totals, stop on the short page. */
  ps_emu_faults (emu, "{\"omit_totals\": true}");
  all = ps_target_search_records_sync (target, d->account, d->module, d->employees, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, seeded + 250);
  g_clear_pointer (&all, g_ptr_array_unref);

  limited->limit = 120;
  all = ps_target_search_records_sync (target, d->account, d->module, d->employees, limited, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 120);
}

static void
test_archive (gconstpointer data)
{
  const Dialect *d = data;
  g_autoptr(PsTarget) target = target_for (d);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) writes = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_target_write_free);
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();
  g_autoptr(GPtrArray) active = NULL;
  g_autoptr(PsTargetQuery) query = ps_target_query_new ();
  PsTargetWrite *w = person (d, "Arch", "Ived", NULL);

  g_ptr_array_add (writes, w);
  g_assert_true (ps_target_write_records_sync (target, d->account, d->module, d->employees, writes, NULL, &error));
  g_assert_no_error (w->error);
  g_assert_true (w->done);
  g_assert_nonnull (w->new_id);
  g_ptr_array_add (ids, w->new_id);
  if (d->dialect == PS_DIALECT_PRO)
    {
      g_assert_false (ps_target_archive_records_sync (target, d->account, d->module, d->employees, ids,
                                                      TRUE, NULL, &error));
      g_assert_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_NOT_SUPPORTED);
      return;
    }
  g_assert_true (ps_target_archive_records_sync (target, NULL, NULL, d->employees, ids, TRUE, NULL, &error));
  g_assert_no_error (error);
  ps_target_query_add_filter (query, d->last, "Ived");
  active = ps_target_search_records_sync (target, NULL, NULL, d->employees, query, NULL, &error);
  g_assert_cmpuint (active->len, ==, 0);
  g_clear_pointer (&active, g_ptr_array_unref);
  query->include_archived = TRUE;
  active = ps_target_search_records_sync (target, NULL, NULL, d->employees, query, NULL, &error);
  g_assert_cmpuint (active->len, ==, 1);
  g_assert_true (((PsTargetRecord *) g_ptr_array_index (active, 0))->archived);
  g_clear_pointer (&active, g_ptr_array_unref);

  g_assert_true (ps_target_archive_records_sync (target, NULL, NULL, d->employees, ids, FALSE, NULL, &error));
  g_assert_no_error (error);
  query->include_archived = FALSE;
  active = ps_target_search_records_sync (target, NULL, NULL, d->employees, query, NULL, &error);
  g_assert_cmpuint (active->len, ==, 1);
  g_assert_false (((PsTargetRecord *) g_ptr_array_index (active, 0))->archived);
}

/* ---------------------------------------------------------------- users */

static PsTargetUser *
find_user (GPtrArray  *users,
           const char *email)
{
  for (guint i = 0; i < users->len; i++)
    if (g_strcmp0 (((PsTargetUser *) g_ptr_array_index (users, i))->email, email) == 0)
      return g_ptr_array_index (users, i);
  return NULL;
}

static const char *
role_id (GPtrArray  *roles,
         const char *name)
{
  for (guint i = 0; i < roles->len; i++)
    if (g_strcmp0 (((PsTargetEntity *) g_ptr_array_index (roles, i))->name, name) == 0)
      return ((PsTargetEntity *) g_ptr_array_index (roles, i))->id;
  g_assert_not_reached ();
  return NULL;
}

static void
test_users (gconstpointer data)
{
  const Dialect *d = data;
  g_autoptr(PsTarget) target = target_for (d);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) roles = ps_target_list_roles_sync (target, d->account, d->module, NULL, &error);
  g_autoptr(PsTargetUser) created = NULL;
  g_autoptr(GPtrArray) users = NULL;
  PsTargetUserSpec spec = { 0 };
  const char *first_role = role_id (roles, d->dialect == PS_DIALECT_PRO ? "Collaborator" : "Basic");
  const char *second_role = role_id (roles, d->dialect == PS_DIALECT_PRO ? "Module Admin" : "Manager");
  PsTargetUser *u;

  g_assert_no_error (error);
  spec.email = (char *) "new.person@example.com";
  spec.first_name = (char *) "New";
  spec.last_name = (char *) "Person";
  spec.role_id = (char *) first_role;
  spec.anchor = (char *) "S-1-5-21-1-2001";
  created = ps_target_create_user_sync (target, d->account, d->module, &spec, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (created);
  g_assert_nonnull (created->id);
  g_assert_cmpstr (created->email, ==, spec.email);
  g_assert_cmpstr (created->role_id, ==, first_role);

  g_assert_true (ps_target_set_user_role_sync (target, d->account, d->module, created->id, second_role,
                                               NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ps_target_set_user_active_sync (target, d->account, d->module, created->id, FALSE,
                                                 NULL, &error));
  g_assert_no_error (error);
  users = ps_target_list_users_sync (target, d->account, d->module, NULL, &error);
  g_assert_no_error (error);
  u = find_user (users, spec.email);
  g_assert_nonnull (u);
  g_assert_cmpstr (u->role_id, ==, second_role);
  g_assert_false (u->active);
  if (d->dialect == PS_DIALECT_CLASSIC)
    g_assert_cmpstr (u->anchor, ==, "S-1-5-21-1-2001");
  g_clear_pointer (&users, g_ptr_array_unref);

  g_assert_true (ps_target_set_user_active_sync (target, d->account, d->module, created->id, TRUE,
                                                 NULL, &error));
  g_assert_no_error (error);
  users = ps_target_list_users_sync (target, d->account, d->module, NULL, &error);
  g_assert_true (find_user (users, spec.email)->active);
}

static void
test_users_no_permission (gconstpointer data)
{
  const Dialect *d = data;
  g_autoptr(PsTarget) target = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsTargetUser) created = NULL;
  PsTargetUserSpec spec = { 0 };

  ps_emu_admin_post (emu, "reset", "{}");
  if (d->dialect == PS_DIALECT_PRO)
    target = ps_emu_target_full (emu, PS_DIALECT_PRO, EMU_PRO_BASIC_KEY, EMU_PRO_BASIC_SECRET,
                                 NULL, NULL, 4, 400, 180);
  else
    target = ps_emu_target_full (emu, PS_DIALECT_CLASSIC, EMU_CLASSIC_BASIC_CLIENT,
                                 EMU_CLASSIC_BASIC_SECRET, EMU_CLASSIC_EMAIL, EMU_CLASSIC_PASSWORD,
                                 4, 400, 180);
  spec.email = (char *) "blocked@example.com";
  spec.first_name = (char *) "Blocked";
  spec.last_name = (char *) "User";
  created = ps_target_create_user_sync (target, d->account, d->module, &spec, NULL, &error);
  g_assert_null (created);
  g_assert_error (error, PS_TARGET_ERROR, PS_TARGET_ERROR_PERMISSION);
  g_assert_nonnull (strstr (error->message, "Asset Panda support for the granular permissions"));
  g_assert_true (ps_target_error_is_fatal (error));
}

/* ---------------------------------------------------------------- connection test, async, profile */

static void
test_connection (gconstpointer data)
{
  const Dialect *d = data;
  g_autoptr(PsTarget) target = target_for (d);
  g_autoptr(GPtrArray) steps = ps_target_test_connection_sync (target, NULL);
  const char *classic_ids[] = { "resolve", "connect", "tls", "auth", "accounts", "permissions", NULL };

  g_assert_null (ps_connection_steps_first_failure (steps));
  g_assert_cmpuint (steps->len, ==, d->dialect == PS_DIALECT_CLASSIC ? 6 : 5);
  for (guint i = 0; i < steps->len; i++)
    g_assert_cmpstr (((PsConnectionStep *) g_ptr_array_index (steps, i))->id, ==, classic_ids[i]);
  /* plain http is flagged */
  g_assert_cmpint (((PsConnectionStep *) g_ptr_array_index (steps, 2))->status, ==, PS_STEP_WARNING);
}

static void
test_connection_bad_password (void)
{
  g_autoptr(PsTarget) target = NULL;
  g_autoptr(GPtrArray) steps = NULL;
  PsConnectionStep *failed;

  ps_emu_admin_post (emu, "reset", "{}");
  target = ps_emu_target_full (emu, PS_DIALECT_CLASSIC, EMU_CLASSIC_CLIENT, EMU_CLASSIC_SECRET,
                               EMU_CLASSIC_EMAIL, "wrong-password", 4, 400, 180);
  steps = ps_target_test_connection_sync (target, NULL);
  failed = ps_connection_steps_first_failure (steps);
  g_assert_nonnull (failed);
  g_assert_cmpstr (failed->id, ==, "auth");
  g_assert_error (failed->error, PS_TARGET_ERROR, PS_TARGET_ERROR_AUTH);
  g_assert_cmpint (((PsConnectionStep *) g_ptr_array_index (steps, 4))->status, ==, PS_STEP_SKIPPED);
}

static void
test_connection_unreachable (void)
{
  PsTargetConfig config = { 0 };
  g_autoptr(PsTarget) target = NULL;
  g_autoptr(GPtrArray) steps = NULL;
  g_autoptr(GError) error = NULL;
  PsConnectionStep *failed;

  config.url = (char *) "http://127.0.0.1:1";
  config.dialect = PS_DIALECT_PRO;
  config.client_id = (char *) "x";
  target = ps_target_new (&config, "y", NULL, &error);
  g_assert_no_error (error);
  steps = ps_target_test_connection_sync (target, NULL);
  failed = ps_connection_steps_first_failure (steps);
  g_assert_nonnull (failed);
  g_assert_cmpstr (failed->id, ==, "connect");
  g_assert_error (failed->error, PS_TARGET_ERROR, PS_TARGET_ERROR_UNREACHABLE);
}

static void
on_async_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GAsyncResult **out = user_data;
  *out = g_object_ref (result);
}

static void
test_async (void)
{
  g_autoptr(PsTarget) target = target_for (&pro);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) result2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GPtrArray) steps = NULL;

  ps_target_list_async (target, PS_TARGET_LIST_COLLECTIONS, EMU_PRO_ACCOUNT, EMU_PRO_MODULE, NULL,
                        NULL, on_async_done, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  list = ps_target_list_finish (target, result, &error);
  g_assert_no_error (error);
  g_assert_true (has_entity (list, "Employees"));

  ps_target_test_connection_async (target, NULL, on_async_done, &result2);
  while (result2 == NULL)
    g_main_context_iteration (NULL, TRUE);
  steps = ps_target_test_connection_finish (target, result2);
  g_assert_null (ps_connection_steps_first_failure (steps));
}

static void
test_profile (void)
{
  g_autofree char *creds = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsProfile) profile = NULL;
  g_autoptr(PsTarget) target = NULL;
  g_autoptr(GPtrArray) accounts = NULL;

  ps_emu_admin_post (emu, "reset", "{}");
  creds = ps_test_write_file ("creds.conf", "[Credentials]\nApiClientSecret=" EMU_CLASSIC_SECRET
                              "\nApiPassword=" EMU_CLASSIC_PASSWORD "\n", -1, 0600);
  conf = g_strdup_printf ("[Profile]\nVersion=1\nId=t\nCredentialsFile=%s\n\n[AssetPanda]\nURL=%s\n"
                          "ClientId=" EMU_CLASSIC_CLIENT "\nEmail=" EMU_CLASSIC_EMAIL "\n", creds, emu->url);
  path = ps_test_write_file ("t.conf", conf, -1, 0600);
  profile = ps_profile_load_file (path, &error);
  g_assert_no_error (error);
  target = ps_target_new_for_profile (profile, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ps_target_get_dialect (target), ==, PS_DIALECT_CLASSIC);  /* 127.0.0.1 → Classic */
  accounts = ps_target_list_accounts_sync (target, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (((PsTargetEntity *) g_ptr_array_index (accounts, 0))->id, ==, EMU_CLASSIC_ACCOUNT);
}

int
main (int    argc,
      char **argv)
{
  int status;
  const struct { const char *name; GTestDataFunc func; } both[] = {
    { "discovery", test_discovery },
    { "unknown-collection", test_unknown_collection },
    { "records", test_records },
    { "updates", test_updates },
    { "partial-failure", test_partial_failure },
    { "paging", test_paging },
    { "archive", test_archive },
    { "users", test_users },
    { "users-no-permission", test_users_no_permission },
    { "connection", test_connection },
  };

  ps_test_init (&argc, &argv);
  for (guint i = 0; i < G_N_ELEMENTS (both); i++)
    {
      g_autofree char *c = g_strdup_printf ("/target/classic/%s", both[i].name);
      g_autofree char *p = g_strdup_printf ("/target/pro/%s", both[i].name);
      g_test_add_data_func (c, &classic, both[i].func);
      g_test_add_data_func (p, &pro, both[i].func);
    }
  g_test_add_func ("/target/classic/connection-bad-password", test_connection_bad_password);
  g_test_add_func ("/target/connection-unreachable", test_connection_unreachable);
  g_test_add_func ("/target/pro/async", test_async);
  g_test_add_func ("/target/classic/profile", test_profile);

  emu = ps_emu_start ("--rate-limit", "0", NULL);
  status = g_test_run ();
  ps_emu_stop (emu);
  return status;
}
