/* test-planner.c — what the engine decides, for every rule of the sync
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include "ps-plan.h"
#include "ps-state.h"
#include "ps-test.h"

typedef struct {
  PsMapping   *mapping;
  GPtrArray   *people;
  GPtrArray   *items;
  GHashTable  *links;
  PsPlanContext context;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  gboolean users = GPOINTER_TO_INT (data);

  f->mapping = ps_mapping_new (users ? PS_MAPPING_USERS : PS_MAPPING_COLLECTION, "M");
  f->mapping->role = g_strdup ("30135");
  if (!users)
    {
      f->mapping->status_field = g_strdup ("field_9");
      ps_mapping_add_field (f->mapping, "field_1", "givenName", PS_OWNERSHIP_OVERWRITE);
      ps_mapping_add_field (f->mapping, "field_2", "sn", PS_OWNERSHIP_OVERWRITE);
      ps_mapping_add_field (f->mapping, "field_3", "mail", PS_OWNERSHIP_NEVER_BLANK);
      ps_mapping_add_field (f->mapping, "field_4", "department", PS_OWNERSHIP_FILL_EMPTY);
    }
  f->people = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_person_free);
  f->items = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_item_free);
  f->links = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) ps_link_free);
  f->context.source_complete = TRUE;
  f->context.last_source_count = -1;
  f->context.status_active = "Active";
  f->context.status_inactive = "Inactive";
  f->context.status_none = "None";
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  ps_mapping_free (f->mapping);
  g_clear_pointer (&f->context.own_anchors, g_hash_table_unref);
  g_ptr_array_unref (f->people);
  g_ptr_array_unref (f->items);
  g_hash_table_unref (f->links);
}

static PsPerson *
add_person (Fixture    *f,
            const char *id,
            const char *given,
            const char *sn,
            gboolean    enabled)
{
  g_autofree char *anchor = g_strdup_printf ("guid-%s", id);
  g_autofree char *dn = g_strdup_printf ("CN=%s %s,OU=People,DC=example,DC=com", given, sn);
  g_autofree char *mail = g_strdup_printf ("%s.%s@example.com", given, sn);
  PsPerson *p = ps_person_new (anchor, dn);

  p->remote_anchor = g_strdup_printf ("S-1-5-21-1-%s", id);
  p->enabled = enabled;
  ps_person_set_value (p, "givenName", given);
  ps_person_set_value (p, "sn", sn);
  ps_person_set_value (p, "mail", mail);
  ps_person_set_value (p, "department", "Engineering");
  g_ptr_array_add (f->people, p);
  return p;
}

/* An Asset Panda item that already matches what @person wants. */
static PsItem *
add_item_for (Fixture        *f,
              const PsPerson *p,
              const char     *id,
              gboolean        linked)
{
  PsItem *item = ps_item_new (id);

  item->anchor = g_strdup (p->remote_anchor);
  if (f->mapping->kind == PS_MAPPING_USERS)
    {
      item->email = g_strdup (ps_person_get_value (p, "mail"));
      item->role = g_strdup ("30135");
      ps_item_set_value (item, "email", ps_person_get_value (p, "mail"));
      ps_item_set_value (item, "first_name", ps_person_get_value (p, "givenName"));
      ps_item_set_value (item, "last_name", ps_person_get_value (p, "sn"));
    }
  else
    {
      item->status = g_strdup ("Active");
      ps_item_set_value (item, "field_1", ps_person_get_value (p, "givenName"));
      ps_item_set_value (item, "field_2", ps_person_get_value (p, "sn"));
      ps_item_set_value (item, "field_3", ps_person_get_value (p, "mail"));
      ps_item_set_value (item, "field_4", ps_person_get_value (p, "department"));
      ps_item_set_value (item, "field_9", "Active");
    }
  g_ptr_array_add (f->items, item);
  if (linked)
    {
      PsLink *link = ps_link_new (p->anchor, id);
      link->dn = g_strdup (p->dn);
      g_hash_table_replace (f->links, link->anchor, link);
    }
  return item;
}

/* Makes every link's hash match the plan so a rerun is a no-op. */
static void
store_hashes (Fixture       *f,
              PsMappingPlan *plan)
{
  for (guint i = 0; i < plan->actions->len; i++)
    {
      PsAction *a = g_ptr_array_index (plan->actions, i);
      PsLink *link = g_hash_table_lookup (f->links, a->anchor);
      if (link != NULL)
        {
          g_free (link->values_hash);
          link->values_hash = g_strdup (a->values_hash);
        }
    }
}

static PsAction *
find_action (PsMappingPlan *plan,
             const char    *anchor)
{
  for (guint i = 0; i < plan->actions->len; i++)
    {
      PsAction *a = g_ptr_array_index (plan->actions, i);
      if (g_strcmp0 (a->anchor, anchor) == 0)
        return a;
    }
  return NULL;
}

static PsMappingPlan *
plan (Fixture *f)
{
  return ps_plan_mapping (f->mapping, f->people, f->items, f->links, &f->context);
}

/* ---------------------------------------------------------------- tests */

static void
test_fresh_sync_creates (Fixture *f, gconstpointer data)
{
  g_autoptr(PsMappingPlan) p = NULL;
  PsAction *a;

  add_person (f, "1", "Ada", "Lovelace", TRUE);
  add_person (f, "2", "Émile", "Zola", TRUE);
  add_person (f, "3", "Off", "Line", FALSE);
  p = plan (f);
  g_assert_cmpint (p->status, ==, PS_MAPPING_PLAN_READY);
  g_assert_cmpuint (ps_mapping_plan_count (p, PS_ACTION_CREATE), ==, 2);
  g_assert_cmpuint (ps_mapping_plan_count (p, PS_ACTION_SKIP), ==, 1);
  a = find_action (p, "guid-2");
  g_assert_cmpint (a->kind, ==, PS_ACTION_CREATE);
  g_assert_cmpstr (a->remote_anchor, ==, "S-1-5-21-1-2");
  if (f->mapping->kind == PS_MAPPING_USERS)
    {
      g_assert_cmpstr (ps_action_get_new_value (a, "first_name"), ==, "Émile");
      g_assert_cmpstr (ps_action_get_new_value (a, "role"), ==, "30135");
      g_assert_cmpstr (ps_action_get_new_value (a, "email"), ==, "Émile.Zola@example.com");
    }
  else
    {
      g_assert_cmpstr (ps_action_get_new_value (a, "field_1"), ==, "Émile");
      g_assert_cmpstr (ps_action_get_new_value (a, "field_9"), ==, "Active");
    }
  g_assert_nonnull (a->values_hash);
}

static void
test_second_run_is_noop (Fixture *f, gconstpointer data)
{
  PsPerson *ada = add_person (f, "1", "Ada", "Lovelace", TRUE);
  g_autoptr(PsMappingPlan) first = NULL;
  g_autoptr(PsMappingPlan) second = NULL;

  add_item_for (f, ada, "obj1", TRUE);
  first = plan (f);
  /* The link had no hash yet: one local link action, no write. */
  g_assert_cmpuint (first->actions->len, ==, 1);
  g_assert_cmpint (((PsAction *) g_ptr_array_index (first->actions, 0))->kind, ==, PS_ACTION_LINK);
  store_hashes (f, first);
  second = plan (f);
  g_assert_cmpuint (second->actions->len, ==, 0);
}

static void
test_change_is_update (Fixture *f, gconstpointer data)
{
  PsPerson *ada = add_person (f, "1", "Ada", "Lovelace", TRUE);
  g_autoptr(PsMappingPlan) p = NULL;
  PsAction *a;

  add_item_for (f, ada, "obj1", TRUE);
  ps_person_set_value (ada, "sn", "King");
  p = plan (f);
  a = find_action (p, "guid-1");
  g_assert_cmpint (a->kind, ==, PS_ACTION_UPDATE);
  g_assert_cmpuint (a->changes->len, ==, 1);
  g_assert_cmpstr (((PsChange *) g_ptr_array_index (a->changes, 0))->old_value, ==, "Lovelace");
  g_assert_cmpstr (ps_action_get_new_value (a, "field_2"), ==, "King");
}

static void
test_ownership_modes (Fixture *f, gconstpointer data)
{
  PsPerson *ada = add_person (f, "1", "Ada", "Lovelace", TRUE);
  PsItem *item = add_item_for (f, ada, "obj1", TRUE);
  g_autoptr(PsMappingPlan) p = NULL;
  PsAction *a;

  /* AD empties givenName (overwrite: blanked), mail (never-blank: kept) and
   * changes department (fill-empty: Asset Panda has a value, kept). */
  ps_person_set_value (ada, "givenName", "");
  ps_person_set_value (ada, "mail", "");
  ps_person_set_value (ada, "department", "Research");
  p = plan (f);
  a = find_action (p, "guid-1");
  g_assert_cmpuint (a->changes->len, ==, 1);
  g_assert_cmpstr (ps_action_get_new_value (a, "field_1"), ==, "");
  g_clear_pointer (&p, ps_mapping_plan_free);

  /* Fill-empty writes once Asset Panda's value is empty. */
  ps_person_set_value (ada, "givenName", "Ada");
  ps_item_set_value (item, "field_4", "");
  p = plan (f);
  a = find_action (p, "guid-1");
  g_assert_cmpuint (a->changes->len, ==, 1);
  g_assert_cmpstr (ps_action_get_new_value (a, "field_4"), ==, "Research");
}

static void
test_user_fields_never_blank (Fixture *f, gconstpointer data)
{
  PsPerson *ada = add_person (f, "1", "Ada", "Lovelace", TRUE);
  g_autoptr(PsMappingPlan) p = NULL;
  PsAction *a;

  PsItem *item = add_item_for (f, ada, "u1", TRUE);

  /* Names are set when the user is created; later only the role follows
   * the mapping, and an empty AD value never blanks anything. */
  ps_person_set_value (ada, "givenName", "");
  ps_person_set_value (ada, "sn", "King");
  g_free (item->role);
  item->role = g_strdup ("30136");
  p = plan (f);
  a = find_action (p, "guid-1");
  g_assert_cmpint (a->kind, ==, PS_ACTION_UPDATE);
  g_assert_cmpuint (a->changes->len, ==, 1);
  g_assert_cmpstr (ps_action_get_new_value (a, "role"), ==, "30135");
  g_assert_cmpstr (((PsChange *) g_ptr_array_index (a->changes, 0))->old_value, ==, "30136");
}

static void
test_disabled_deactivates (Fixture *f, gconstpointer data)
{
  PsPerson *ada = add_person (f, "1", "Ada", "Lovelace", FALSE);
  g_autoptr(PsMappingPlan) p = NULL;
  PsAction *a;

  add_item_for (f, ada, "obj1", TRUE);
  p = plan (f);
  a = find_action (p, "guid-1");
  g_assert_cmpint (a->kind, ==, PS_ACTION_DEACTIVATE);
  if (f->mapping->kind == PS_MAPPING_COLLECTION)
    g_assert_cmpstr (ps_action_get_new_value (a, "field_9"), ==, "Inactive");
}

static void
test_removed_deactivates_and_returns (Fixture *f, gconstpointer data)
{
  PsPerson *ada = add_person (f, "1", "Ada", "Lovelace", TRUE);
  PsItem *item = add_item_for (f, ada, "obj1", TRUE);
  g_autoptr(PsMappingPlan) p = NULL;
  PsAction *a;

  add_person (f, "2", "Bob", "Babbage", TRUE);
  add_item_for (f, g_ptr_array_index (f->people, 1), "obj2", TRUE);
  g_ptr_array_remove_index (f->people, 0);   /* Ada left the group */
  f->mapping->deactivation_threshold = 0;
  p = plan (f);
  a = find_action (p, "guid-1");
  g_assert_nonnull (a);
  g_assert_cmpint (a->kind, ==, PS_ACTION_DEACTIVATE);
  g_assert_cmpstr (a->target_id, ==, "obj1");
  g_clear_pointer (&p, ps_mapping_plan_free);

  /* She comes back: the same record goes back to Active. */
  item->active = FALSE;
  g_free (item->status);
  item->status = g_strdup ("Inactive");
  ps_item_set_value (item, "field_9", "Inactive");
  ((PsLink *) g_hash_table_lookup (f->links, "guid-1"))->active = FALSE;
  ada = add_person (f, "1", "Ada", "Lovelace", TRUE);
  p = plan (f);
  a = find_action (p, "guid-1");
  g_assert_cmpint (a->kind, ==, PS_ACTION_REACTIVATE);
  g_assert_cmpstr (a->target_id, ==, "obj1");
  g_assert_cmpuint (ps_mapping_plan_count (p, PS_ACTION_CREATE), ==, 0);
}

static void
test_rename_is_no_duplicate (Fixture *f, gconstpointer data)
{
  PsPerson *ada = add_person (f, "1", "Ada", "Lovelace", TRUE);
  g_autoptr(PsMappingPlan) p = NULL;

  add_item_for (f, ada, "obj1", TRUE);
  /* Moved to another OU and renamed: the DN changes, the anchor does not. */
  g_free (ada->dn);
  ada->dn = g_strdup ("CN=Ada King,OU=Research,DC=example,DC=com");
  p = plan (f);
  g_assert_cmpuint (ps_mapping_plan_count (p, PS_ACTION_CREATE), ==, 0);
  g_assert_cmpuint (ps_mapping_plan_count (p, PS_ACTION_DEACTIVATE), ==, 0);
}

static void
test_match_by_anchor_then_email (Fixture *f, gconstpointer data)
{
  PsPerson *ada = add_person (f, "1", "Ada", "Lovelace", TRUE);
  PsPerson *bob = add_person (f, "2", "Bob", "Babbage", TRUE);
  PsItem *by_anchor = add_item_for (f, ada, "objA", FALSE);
  PsItem *by_email = add_item_for (f, bob, "objB", FALSE);
  g_autoptr(PsMappingPlan) p = NULL;
  PsAction *a;

  (void) by_anchor;
  g_clear_pointer (&by_email->anchor, g_free);   /* an existing record without an anchor */
  if (f->mapping->kind == PS_MAPPING_COLLECTION)
    f->mapping->unique_field = g_strdup ("field_7");
  p = plan (f);
  g_assert_cmpuint (ps_mapping_plan_count (p, PS_ACTION_CREATE), ==, 0);
  a = find_action (p, "guid-1");
  g_assert_cmpstr (a->target_id, ==, "objA");
  g_assert_cmpint (a->kind, ==, PS_ACTION_LINK);
  a = find_action (p, "guid-2");
  g_assert_cmpstr (a->target_id, ==, "objB");
  if (f->mapping->kind == PS_MAPPING_COLLECTION)
    {
      /* the record gets its anchor written */
      g_assert_cmpint (a->kind, ==, PS_ACTION_UPDATE);
      g_assert_cmpstr (ps_action_get_new_value (a, "anchor"), ==, "S-1-5-21-1-2");
    }
  else
    {
      /* a login user's anchor cannot be written: only the link is kept,
       * so a second full run plans nothing for them */
      g_assert_cmpint (a->kind, ==, PS_ACTION_LINK);
      g_assert_null (ps_action_get_new_value (a, "anchor"));
    }
}

/* An Okta collection maps the email from profile.email (or email, login):
 * records without an anchor are found by it too. */
static void
test_match_email_okta_names (Fixture *f, gconstpointer data)
{
  PsPerson *bob = add_person (f, "2", "Bob", "Babbage", TRUE);
  PsItem *by_email = add_item_for (f, bob, "objB", FALSE);
  g_autoptr(PsMappingPlan) p = NULL;
  PsAction *a;

  g_ptr_array_remove_range (f->mapping->fields, 0, f->mapping->fields->len);
  ps_mapping_add_field (f->mapping, "field_1", "firstName", PS_OWNERSHIP_OVERWRITE);
  ps_mapping_add_field (f->mapping, "field_3", "profile.email|login", PS_OWNERSHIP_NEVER_BLANK);
  ps_person_set_value (bob, "firstName", "Bob");
  ps_person_set_value (bob, "profile.email|login", ps_person_get_value (bob, "mail"));
  g_clear_pointer (&by_email->anchor, g_free);
  f->mapping->unique_field = g_strdup ("field_7");
  p = plan (f);
  g_assert_cmpuint (ps_mapping_plan_count (p, PS_ACTION_CREATE), ==, 0);
  a = find_action (p, "guid-2");
  g_assert_cmpstr (a->target_id, ==, "objB");
  g_assert_cmpint (a->kind, ==, PS_ACTION_UPDATE);
  g_assert_cmpstr (ps_action_get_new_value (a, "anchor"), ==, "S-1-5-21-1-2");
}

static void
test_ambiguous_is_reported (Fixture *f, gconstpointer data)
{
  PsPerson *ada = add_person (f, "1", "Ada", "Lovelace", TRUE);
  PsItem *one = add_item_for (f, ada, "objA", FALSE);
  PsItem *two = add_item_for (f, ada, "objB", FALSE);
  g_autoptr(PsMappingPlan) p = NULL;
  PsAction *a;

  g_clear_pointer (&one->anchor, g_free);
  g_clear_pointer (&two->anchor, g_free);
  p = plan (f);
  a = find_action (p, "guid-1");
  g_assert_cmpint (a->kind, ==, PS_ACTION_SKIP);
  g_assert_nonnull (strstr (a->reason, "several Asset Panda items have the email"));
  g_assert_cmpuint (ps_mapping_plan_count (p, PS_ACTION_CREATE), ==, 0);
}

static void
test_match_only_never_creates (Fixture *f, gconstpointer data)
{
  g_autoptr(PsMappingPlan) p = NULL;

  add_person (f, "1", "Ada", "Lovelace", TRUE);
  f->mapping->match_only = TRUE;
  p = plan (f);
  g_assert_cmpuint (ps_mapping_plan_count (p, PS_ACTION_CREATE), ==, 0);
  g_assert_cmpuint (ps_mapping_plan_count (p, PS_ACTION_SKIP), ==, 1);
}

static void
test_status_none_not_managed (Fixture *f, gconstpointer data)
{
  PsPerson *ada = add_person (f, "1", "Ada", "Lovelace", FALSE);
  PsItem *item = add_item_for (f, ada, "obj1", TRUE);
  g_autoptr(PsMappingPlan) p = NULL;

  g_free (item->status);
  item->status = g_strdup ("None");
  p = plan (f);
  g_assert_cmpuint (ps_mapping_plan_count (p, PS_ACTION_DEACTIVATE), ==, 0);
  g_assert_cmpint (((PsAction *) g_ptr_array_index (p->actions, 0))->kind, ==, PS_ACTION_SKIP);
}

static void
fill_managed (Fixture *f,
              guint    n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("%u", 100 + i);
      g_autofree char *obj = g_strdup_printf ("o%u", i);
      PsPerson *p = add_person (f, id, "P", id, TRUE);
      add_item_for (f, p, obj, TRUE);
    }
}

static void
test_threshold_pauses (Fixture *f, gconstpointer data)
{
  g_autoptr(PsMappingPlan) p = NULL;

  fill_managed (f, 40);
  g_assert_cmpuint (ps_deactivation_threshold (f->mapping, 40), ==, 10);
  g_assert_cmpuint (ps_deactivation_threshold (f->mapping, 4000), ==, 200);
  g_assert_cmpuint (ps_deactivation_threshold (f->mapping, 100000), ==, 500);
  /* 11 of 40 leave: over the automatic limit of 10. */
  g_ptr_array_remove_range (f->people, 0, 11);
  p = plan (f);
  g_assert_cmpint (p->status, ==, PS_MAPPING_PLAN_PAUSED);
  g_assert_nonnull (strstr (p->message, "11 deactivations"));
  g_clear_pointer (&p, ps_mapping_plan_free);

  f->context.allow_deactivations = TRUE;
  p = plan (f);
  g_assert_cmpint (p->status, ==, PS_MAPPING_PLAN_READY);
  g_assert_cmpuint (ps_mapping_plan_count (p, PS_ACTION_DEACTIVATE), ==, 11);
  g_clear_pointer (&p, ps_mapping_plan_free);

  /* Ten is within the limit. */
  f->context.allow_deactivations = FALSE;
  add_person (f, "100", "P", "100", TRUE);
  p = plan (f);
  g_assert_cmpint (p->status, ==, PS_MAPPING_PLAN_READY);
  g_assert_cmpuint (ps_mapping_plan_count (p, PS_ACTION_DEACTIVATE), ==, 10);
}

static void
test_empty_source_guard (Fixture *f, gconstpointer data)
{
  g_autoptr(PsMappingPlan) p = NULL;

  fill_managed (f, 8);
  f->mapping->deactivation_threshold = 0;
  g_ptr_array_set_size (f->people, 0);
  p = plan (f);
  g_assert_cmpuint (ps_mapping_plan_count (p, PS_ACTION_DEACTIVATE), ==, 0);
  g_assert_cmpuint (ps_mapping_plan_count (p, PS_ACTION_SKIP), ==, 8);
  g_assert_nonnull (strstr (p->message, "no one is deactivated"));
}

static void
test_shrunken_source_guard (Fixture *f, gconstpointer data)
{
  g_autoptr(PsMappingPlan) p = NULL;

  fill_managed (f, 8);
  f->mapping->deactivation_threshold = 0;
  f->context.last_source_count = 8;
  g_ptr_array_set_size (f->people, 3);   /* 3 of 8: fewer than half */
  p = plan (f);
  g_assert_cmpuint (ps_mapping_plan_count (p, PS_ACTION_DEACTIVATE), ==, 0);
  g_clear_pointer (&p, ps_mapping_plan_free);

  add_person (f, "104", "P", "104", TRUE);   /* 4 of 8: half is fine */
  p = plan (f);
  g_assert_cmpuint (ps_mapping_plan_count (p, PS_ACTION_DEACTIVATE), ==, 4);
}

static void
test_failed_read_writes_nothing (Fixture *f, gconstpointer data)
{
  g_autoptr(PsMappingPlan) p = NULL;

  fill_managed (f, 5);
  f->context.source_complete = FALSE;
  p = plan (f);
  g_assert_cmpint (p->status, ==, PS_MAPPING_PLAN_FAILED);
  g_assert_cmpuint (p->actions->len, ==, 0);
}

static void
test_claimed_users_skipped (Fixture *f, gconstpointer data)
{
  g_autoptr(GHashTable) claimed = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(PsMappingPlan) p = NULL;

  add_person (f, "1", "Ada", "Lovelace", TRUE);
  g_hash_table_insert (claimed, (gpointer) "guid-1", (gpointer) "Managers");
  f->context.claimed = claimed;
  p = plan (f);
  g_assert_cmpuint (ps_mapping_plan_count (p, PS_ACTION_CREATE), ==, 0);
  g_assert_nonnull (strstr (((PsAction *) g_ptr_array_index (p->actions, 0))->reason, "Managers"));
}

/* ---------------------------------------------------------------- plan files */

static void
test_plan_json_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr(PsPlan) whole = ps_plan_new ("acme");
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(PsPlan) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) lines1 = NULL;
  g_autoptr(GPtrArray) lines2 = NULL;
  g_autofree char *csv = NULL;

  PsMappingPlan *mp;
  const char *row;
  g_autofree char *first_row = NULL;

  add_person (f, "1", "Ada", "=cmd|' /C calc'!A0", TRUE);
  add_person (f, "2", "Bob", "O\"Brien, Jr.", TRUE);
  mp = plan (f);
  mp->collection = g_strdup ("82677");
  g_ptr_array_add (whole->mappings, mp);
  /* The names of the plan's ids, as the engine keeps them from its listings. */
  whole->run_id = 42;
  ps_names_set (whole->names, PS_NAME_COLLECTION, NULL, "82677", "Employees");
  ps_names_set (whole->names, PS_NAME_FIELD, "82677", "field_1", "First Name");
  node = ps_plan_to_json (whole);
  back = ps_plan_from_json (node, &error);
  g_assert_no_error (error);
  lines1 = ps_plan_summary_lines (whole);
  lines2 = ps_plan_summary_lines (back);
  g_assert_cmpuint (lines1->len, ==, 2);
  g_assert_cmpuint (lines2->len, ==, lines1->len);
  for (guint i = 0; i < lines1->len; i++)
    g_assert_cmpstr (g_ptr_array_index (lines1, i), ==, g_ptr_array_index (lines2, i));

  /* The names and the run travel with the plan file. */
  g_assert_cmpint (back->run_id, ==, 42);
  g_assert_cmpstr (((PsMappingPlan *) g_ptr_array_index (back->mappings, 0))->collection, ==, "82677");
  {
    g_autofree char *label = ps_plan_field_label (back, g_ptr_array_index (back->mappings, 0), "field_1");
    g_autofree char *unknown = ps_plan_field_label (back, g_ptr_array_index (back->mappings, 0), "field_4");
    g_assert_cmpstr (label, ==, "First Name");
    g_assert_cmpstr (unknown, ==, "field_4");
  }

  csv = ps_plan_to_csv (whole);
  g_assert_true (g_str_has_prefix (csv, "\"run\",\"time\",\"mapping\",\"collection\",\"action\","
                                   "\"name\",\"email\",\"anchor\",\"target_id\",\"field\",\"old\","
                                   "\"new\",\"reason\"\r\n"));
  g_assert_nonnull (strstr (csv, "\"O\"\"Brien, Jr.\""));
  g_assert_nonnull (strstr (csv, "\"'=cmd"));   /* formula neutralised */
  /* A row: the run, its time, the collection and the field by name, the
   * person's email and anchor. */
  row = strstr (csv, "\"First Name\",\"\",\"Ada\"");
  g_assert_nonnull (row);
  while (row > csv && row[-1] != '\n')
    row--;
  first_row = g_strndup (row, strcspn (row, "\r"));
  g_test_message ("row: %s", first_row);
  g_assert_true (g_str_has_prefix (first_row, "\"42\",\""));
  g_assert_nonnull (strstr (first_row, "\",\"M\",\"Employees\",\"create\","));
  g_assert_nonnull (strstr (first_row, "\"Ada.=cmd|' /C calc'!A0@example.com\""));
  g_assert_nonnull (strstr (first_row, "\"guid-1\""));
}

static void
test_plan_from_bad_json (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(PsPlan) plan_back = NULL;

  g_assert_true (json_parser_load_from_data (parser, "{\"mappings\": 3}", -1, NULL));
  plan_back = ps_plan_from_json (json_parser_get_root (parser), &error);
  g_assert_null (plan_back);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "not a PandaSync plan"));
}

/* ---------------------------------------------------------------- adoption */

/* A record the Windows integration left: this domain's SID, Active. */
static PsItem *
add_foreign_record (Fixture    *f,
                    const char *id,
                    const char *sid,
                    const char *status)
{
  PsItem *item = ps_item_new (id);

  item->anchor = g_strdup (sid);
  item->status = g_strdup (status);
  item->active = g_strcmp0 (status, "Inactive") != 0;
  ps_item_set_value (item, "field_9", status);
  g_ptr_array_add (f->items, item);
  return item;
}

/* As the source would answer: the anchors of domain S-1-5-21-1 are its own. */
static void
adopt_set_up (Fixture *f)
{
  f->context.adopt = TRUE;
  f->context.own_anchors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < f->items->len; i++)
    {
      PsItem *item = g_ptr_array_index (f->items, i);
      if (item->anchor != NULL && g_str_has_prefix (item->anchor, "S-1-5-21-1-"))
        g_hash_table_add (f->context.own_anchors, g_ascii_strdown (item->anchor, -1));
    }
}

static void
test_adoption_same_domain (Fixture *f, gconstpointer data)
{
  g_autoptr(PsMappingPlan) p = NULL;
  PsPerson *ada = add_person (f, "1", "Ada", "Lovelace", TRUE);
  PsPerson *off = add_person (f, "2", "Off", "Line", FALSE);
  PsAction *a;

  /* in scope, left as the old integration wrote it (no first name yet) */
  add_foreign_record (f, "r1", ada->remote_anchor, "Active");
  /* in scope but disabled */
  add_foreign_record (f, "r2", off->remote_anchor, "Active");
  /* out of scope (left the group) and deleted: same domain, no person */
  add_foreign_record (f, "r3", "S-1-5-21-1-3", "Active");
  add_foreign_record (f, "r4", "S-1-5-21-1-4", "Active");
  /* marked None: never touched */
  add_foreign_record (f, "r5", "S-1-5-21-1-5", "None");
  /* already inactive: nothing to write */
  add_foreign_record (f, "r6", "S-1-5-21-1-6", "Inactive");

  adopt_set_up (f);
  p = plan (f);
  g_assert_cmpint (p->status, ==, PS_MAPPING_PLAN_READY);
  a = find_action (p, ada->anchor);
  g_assert_nonnull (a);
  g_assert_cmpint (a->kind, ==, PS_ACTION_UPDATE);
  g_assert_cmpstr (a->target_id, ==, "r1");
  g_assert_nonnull (strstr (a->reason, "taken over (carries this domain’s SID)"));
  a = find_action (p, off->anchor);
  g_assert_cmpint (a->kind, ==, PS_ACTION_DEACTIVATE);
  g_assert_cmpstr (a->target_id, ==, "r2");
  g_assert_nonnull (strstr (a->reason, "taken over"));
  a = find_action (p, "S-1-5-21-1-3");
  g_assert_nonnull (a);
  g_assert_cmpint (a->kind, ==, PS_ACTION_DEACTIVATE);
  g_assert_cmpstr (a->target_id, ==, "r3");
  g_assert_cmpstr (ps_action_get_new_value (a, "field_9"), ==, "Inactive");
  g_assert_nonnull (strstr (a->reason, "taken over (carries this domain’s SID)"));
  g_assert_cmpint (find_action (p, "S-1-5-21-1-4")->kind, ==, PS_ACTION_DEACTIVATE);
  g_assert_null (find_action (p, "S-1-5-21-1-5"));
  g_assert_null (find_action (p, "S-1-5-21-1-6"));
  g_assert_cmpuint (ps_mapping_plan_count (p, PS_ACTION_DEACTIVATE), ==, 3);
  g_assert_cmpuint (ps_mapping_plan_count (p, PS_ACTION_CREATE), ==, 0);
  /* r1, r2, r3, r4 are managed now (r5 is None, r6 inactive) */
  g_assert_cmpuint (p->managed_count, ==, 4);
}

static void
test_adoption_other_domain_untouched (Fixture *f, gconstpointer data)
{
  g_autoptr(PsMappingPlan) p = NULL;
  g_autoptr(GHashTable) foreign = g_hash_table_new (g_str_hash, g_str_equal);
  PsPerson *ada = add_person (f, "1", "Ada", "Lovelace", TRUE);

  add_item_for (f, ada, "r1", TRUE);
  /* another forest's person, and a record another mapping manages */
  add_foreign_record (f, "r7", "S-1-5-21-9-7", "Active");
  add_foreign_record (f, "r8", "S-1-5-21-1-8", "Active");
  g_hash_table_add (foreign, (gpointer) "r8");
  f->context.foreign_ids = foreign;
  /* a record whose unique field holds something that is not a SID and is
   * not found in this directory */
  add_foreign_record (f, "r9", "E1234", "Active");

  adopt_set_up (f);
  p = plan (f);
  g_assert_cmpuint (ps_mapping_plan_count (p, PS_ACTION_DEACTIVATE), ==, 0);
  g_assert_null (find_action (p, "S-1-5-21-9-7"));
  g_assert_null (find_action (p, "S-1-5-21-1-8"));
  g_assert_null (find_action (p, "E1234"));

  /* the same record once the directory says it has E1234 */
  g_hash_table_add (f->context.own_anchors, g_strdup ("e1234"));
  {
    g_autoptr(PsMappingPlan) again = plan (f);
    PsAction *a = find_action (again, "E1234");
    g_assert_nonnull (a);
    g_assert_cmpint (a->kind, ==, PS_ACTION_DEACTIVATE);
    g_assert_nonnull (strstr (a->reason, "identifier is found in this directory"));
  }
  f->context.foreign_ids = NULL;
}

static void
test_adoption_threshold_and_guards (Fixture *f, gconstpointer data)
{
  char sid[64];

  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *id = g_strdup_printf ("%u", i);
      add_person (f, id, "P", id, TRUE);
    }
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *rid = g_strdup_printf ("r%u", i);
      PsPerson *p = g_ptr_array_index (f->people, i);
      add_item_for (f, p, rid, FALSE);
    }
  /* 40 leavers the old integration left Active: more than the automatic
   * limit of 10 for 50 managed records */
  for (guint i = 100; i < 140; i++)
    {
      g_autofree char *rid = g_strdup_printf ("r%u", i);
      g_snprintf (sid, sizeof sid, "S-1-5-21-1-%u", i);
      add_foreign_record (f, rid, sid, "Active");
    }
  adopt_set_up (f);
  {
    g_autoptr(PsMappingPlan) p = plan (f);
    g_assert_cmpuint (p->managed_count, ==, 50);
    g_assert_cmpuint (p->threshold, ==, 10);
    g_assert_cmpuint (ps_mapping_plan_count (p, PS_ACTION_DEACTIVATE), ==, 40);
    g_assert_cmpint (p->status, ==, PS_MAPPING_PLAN_PAUSED);
  }
  /* a failed read never deactivates, adopted records included */
  f->context.source_complete = FALSE;
  {
    g_autoptr(PsMappingPlan) p = plan (f);
    g_assert_cmpint (p->status, ==, PS_MAPPING_PLAN_FAILED);
    g_assert_cmpuint (ps_mapping_plan_count (p, PS_ACTION_DEACTIVATE), ==, 0);
  }
  /* an empty read holds every deactivation */
  f->context.source_complete = TRUE;
  f->context.allow_deactivations = FALSE;
  g_ptr_array_set_size (f->people, 0);
  {
    g_autoptr(PsMappingPlan) p = plan (f);
    g_assert_cmpuint (ps_mapping_plan_count (p, PS_ACTION_DEACTIVATE), ==, 0);
  }
}

int
main (int    argc,
      char **argv)
{
  ps_test_init (&argc, &argv);

#define ADD(path, func, users) \
  g_test_add (path, Fixture, GINT_TO_POINTER (users), fixture_set_up, func, fixture_tear_down)
  ADD ("/planner/collection/fresh-sync-creates", test_fresh_sync_creates, FALSE);
  ADD ("/planner/users/fresh-sync-creates", test_fresh_sync_creates, TRUE);
  ADD ("/planner/collection/second-run-is-noop", test_second_run_is_noop, FALSE);
  ADD ("/planner/users/second-run-is-noop", test_second_run_is_noop, TRUE);
  ADD ("/planner/collection/change-is-update", test_change_is_update, FALSE);
  ADD ("/planner/collection/ownership-modes", test_ownership_modes, FALSE);
  ADD ("/planner/users/role-follows-mapping", test_user_fields_never_blank, TRUE);
  ADD ("/planner/collection/disabled-deactivates", test_disabled_deactivates, FALSE);
  ADD ("/planner/users/disabled-deactivates", test_disabled_deactivates, TRUE);
  ADD ("/planner/collection/removed-and-returns", test_removed_deactivates_and_returns, FALSE);
  ADD ("/planner/users/removed-and-returns", test_removed_deactivates_and_returns, TRUE);
  ADD ("/planner/collection/rename-no-duplicate", test_rename_is_no_duplicate, FALSE);
  ADD ("/planner/collection/match-anchor-then-email", test_match_by_anchor_then_email, FALSE);
  ADD ("/planner/users/match-anchor-then-email", test_match_by_anchor_then_email, TRUE);
  ADD ("/planner/collection/match-email-okta-names", test_match_email_okta_names, FALSE);
  ADD ("/planner/users/ambiguous-is-reported", test_ambiguous_is_reported, TRUE);
  ADD ("/planner/collection/match-only", test_match_only_never_creates, FALSE);
  ADD ("/planner/collection/status-none", test_status_none_not_managed, FALSE);
  ADD ("/planner/collection/threshold-pauses", test_threshold_pauses, FALSE);
  ADD ("/planner/users/empty-source-guard", test_empty_source_guard, TRUE);
  ADD ("/planner/collection/shrunken-source-guard", test_shrunken_source_guard, FALSE);
  ADD ("/planner/collection/failed-read", test_failed_read_writes_nothing, FALSE);
  ADD ("/planner/users/claimed-by-earlier-mapping", test_claimed_users_skipped, TRUE);
  ADD ("/plan/json-round-trip-and-csv", test_plan_json_round_trip, FALSE);
  ADD ("/planner/collection/adoption-same-domain", test_adoption_same_domain, FALSE);
  ADD ("/planner/collection/adoption-other-domain", test_adoption_other_domain_untouched, FALSE);
  ADD ("/planner/collection/adoption-threshold-guards", test_adoption_threshold_and_guards, FALSE);
#undef ADD
  g_test_add_func ("/plan/from-bad-json", test_plan_from_bad_json);

  return g_test_run ();
}
