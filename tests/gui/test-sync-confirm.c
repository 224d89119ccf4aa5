/* test-sync-confirm.c — nothing irreversible without a word: the plan sheet
 * before a first run and invitations, a paused mapping's card with Allow
 * Once, removing a mapping with Undo, a cancelled run, and History read in
 * workers; against a real slapd and the Asset Panda emulator
 *
 * The tests run in order on one profile (users "Staff" and records
 * "Employees", both from All Staff) and one emulator, as an administrator
 * would meet them: the first Start Sync, a cancelled apply, the apply, a
 * routine run, a pause, a removal, the history.
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "gui-test-util.h"
#include "pages/ps-collection-mapping-page.h"
#include "pages/ps-history-page.h"
#include "pages/ps-sync-page.h"
#include "ps-engine.h"
#include "ps-secret-store.h"
#include "ps-state.h"
#include "widgets/ps-mapping-card.h"
#include "widgets/ps-mapping-row.h"
#include "widgets/ps-plan-sheet.h"

#define EMPLOYEES     82677
#define STATUS_FIELD  "field_8"
#define INACTIVE      902

typedef enum {
  PAGE_SYNC,
  PAGE_HISTORY,
  PAGE_COLLECTIONS,
} PageKind;

typedef struct {
  GtkWidget *window;
  GtkWidget *page;
} Fixture;

static PsProfile *profile;

/* ---------------------------------------------------------------- the emulator */

static JsonNode *
emulator_call (const char *method,
               const char *path,
               const char *body)
{
  const GuiTestTarget *target = gui_test_start_emulator ();
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (target->url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  answer = soup_session_send_and_read (session, msg, NULL, NULL);
  g_assert_nonnull (answer);
  if (g_bytes_get_size (answer) == 0)
    return NULL;
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL),
                                             g_bytes_get_size (answer), NULL));
  return json_node_copy (json_parser_get_root (parser));
}

static void
set_latency (guint ms)
{
  g_autofree char *body = g_strdup_printf ("{\"latency_ms\":%u}", ms);
  g_autoptr(JsonNode) answer = emulator_call ("POST", "/_admin/faults", body);
}

typedef struct {
  guint users;          /* every user */
  guint active_users;
  guint employees;      /* every Employees record */
  guint inactive;       /* of those, marked Inactive */
} Counts;

static Counts
emulator_counts (void)
{
  g_autoptr(JsonNode) state = emulator_call ("GET", "/_admin/state", NULL);
  JsonObject *classic = json_object_get_object_member (json_node_get_object (state), "classic");
  JsonArray *users = json_object_get_array_member (classic, "users");
  JsonArray *groups = json_object_get_array_member (classic, "groups");
  Counts counts = { 0 };

  counts.users = json_array_get_length (users);
  for (guint i = 0; i < counts.users; i++)
    if (json_object_get_boolean_member_with_default (json_array_get_object_element (users, i),
                                                     "is_active", TRUE))
      counts.active_users++;
  for (guint i = 0; i < json_array_get_length (groups); i++)
    {
      JsonObject *g = json_array_get_object_element (groups, i);
      JsonArray *objects;

      if (json_object_get_int_member (g, "id") != EMPLOYEES)
        continue;
      objects = json_object_get_array_member (g, "objects");
      counts.employees = json_array_get_length (objects);
      for (guint j = 0; j < counts.employees; j++)
        {
          JsonObject *data = json_object_get_object_member (json_array_get_object_element (objects, j), "data");
          if (json_object_has_member (data, STATUS_FIELD)
              && json_node_get_value_type (json_object_get_member (data, STATUS_FIELD)) == G_TYPE_INT64
              && json_object_get_int_member (data, STATUS_FIELD) == INACTIVE)
            counts.inactive++;
        }
    }
  return counts;
}

/* ---------------------------------------------------------------- the page */

static PsPlanSheet *
sheet_of (Fixture *f)
{
  return gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "plan_sheet");
}

static gboolean
sheet_shown (gpointer data)
{
  return ps_plan_sheet_is_shown (sheet_of (data));
}

static const char *
status_text (Fixture *f)
{
  return gtk_label_get_text (GTK_LABEL (gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "status_label")));
}

static gboolean
idle_again (gpointer data)
{
  Fixture *f = data;
  GtkWidget *start = gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "start_button");

  /* Start Sync is sensitive again once nothing runs or is being checked. */
  return gtk_widget_get_sensitive (start) && !gtk_widget_get_visible (
      gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "cancel_button"));
}

static gboolean
wait_idle (Fixture *f)
{
  return gui_test_wait (idle_again, f, 120000);
}

static void
click (gpointer button)
{
  g_assert_true (gtk_widget_get_sensitive (button));
  gtk_button_clicked (GTK_BUTTON (button));
}

static PsMappingCard *
card_of (Fixture    *f,
         const char *name)
{
  GtkContainer *list = gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "mappings_list");
  g_autoptr(GList) rows = gtk_container_get_children (list);

  for (GList *l = rows; l != NULL; l = l->next)
    if (PS_IS_MAPPING_CARD (l->data) && g_strcmp0 (ps_mapping_card_get_name (l->data), name) == 0)
      return l->data;
  return NULL;
}

static guint
cards_count (Fixture *f)
{
  GtkContainer *list = gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "mappings_list");
  g_autoptr(GList) rows = gtk_container_get_children (list);

  return g_list_length (rows);
}

/* The plan's counts, to compare with the sheet and with what was written. */
static guint
plan_count (const PsPlan *plan,
            const char   *mapping,
            PsActionKind  kind)
{
  for (guint i = 0; i < plan->mappings->len; i++)
    {
      const PsMappingPlan *mp = g_ptr_array_index (plan->mappings, i);
      if (g_str_equal (mp->name, mapping))
        return ps_mapping_plan_count (mp, kind);
    }
  return 0;
}

static void
make_profile (void)
{
  const GuiTestDirectory *dir = gui_test_start_slapd ();
  const GuiTestTarget *target = gui_test_start_emulator ();

  profile = gui_test_ldap_profile ("sync-confirm", dir, target, PS_DIALECT_CLASSIC,
                                   gui_test_staff_mapping (NULL),
                                   gui_test_employees_mapping (NULL),
                                   NULL);
}

static void
set_filter (const char *mapping,
            const char *filter)
{
  PsMapping *m = ps_profile_find_mapping (profile, mapping);
  g_autoptr(GError) error = NULL;

  g_free (m->filter);
  m->filter = g_strdup (filter);
  g_assert_true (ps_profile_save (profile, &error));
  ps_profile_changed (profile);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  if (profile == NULL)
    make_profile ();
  f->window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1000, 680);
  switch (GPOINTER_TO_INT (data))
    {
    case PAGE_HISTORY:
      f->page = GTK_WIDGET (ps_history_page_new (profile));
      break;
    case PAGE_COLLECTIONS:
      f->page = GTK_WIDGET (ps_collection_mapping_page_new (profile));
      break;
    case PAGE_SYNC:
    default:
      f->page = GTK_WIDGET (ps_sync_page_new (profile));
      break;
    }
  gtk_container_add (GTK_CONTAINER (f->window), f->page);
  gtk_widget_show_all (f->window);
  gui_test_settle (200);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  gtk_widget_destroy (f->window);
  gui_test_settle (100);
}

/* ---------------------------------------------------------------- tests */

/* The first Start Sync plans, shows what it will do, and writes nothing. */
static void
test_first_start_shows_sheet (Fixture *f, gconstpointer data)
{
  Counts before = emulator_counts ();
  PsPlan *plan;
  guint invites, creates;
  g_autofree char *text = NULL;
  g_autofree char *invite_words = NULL;
  g_autofree char *create_words = NULL;
  g_autofree char *shot = NULL;

  click (gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "start_button"));
  g_assert_true (gui_test_wait (sheet_shown, f, 60000));
  plan = ps_plan_sheet_get_plan (sheet_of (f));
  invites = plan_count (plan, "Staff", PS_ACTION_CREATE);
  creates = plan_count (plan, "Employees", PS_ACTION_CREATE);
  g_test_message ("plan: invite %u, create %u", invites, creates);
  g_assert_cmpuint (invites, >, 300);
  g_assert_cmpuint (creates, ==, 314);

  /* The sheet says it in words, per mapping, with why it asks. */
  text = ps_plan_sheet_dup_text (sheet_of (f));
  g_test_message ("sheet: %s", text);
  invite_words = g_strdup_printf ("Staff: Invite %u people", invites);
  create_words = g_strdup_printf ("Employees: Create %u records", creates);
  g_assert_nonnull (strstr (text, invite_words));
  g_assert_nonnull (strstr (text, create_words));
  g_assert_nonnull (strstr (text, "first sync of this mapping"));
  g_assert_nonnull (strstr (text, "invitation cannot be taken back"));
  g_assert_nonnull (strstr (status_text (f), "Nothing has been written yet"));

  /* Nothing written while the sheet waits. */
  gui_test_settle (1000);
  g_assert_cmpuint (emulator_counts ().users, ==, before.users);
  g_assert_cmpuint (emulator_counts ().employees, ==, before.employees);
  shot = gui_test_screenshot (f->window, "sync-confirm");

  /* Not Now puts it away, still without a write. */
  click (gui_test_child (sheet_of (f), PS_TYPE_PLAN_SHEET, "dismiss_button"));
  g_assert_false (ps_plan_sheet_is_shown (sheet_of (f)));
  g_assert_cmpstr (status_text (f), ==, "Nothing was written.");
  g_assert_cmpuint (emulator_counts ().users, ==, before.users);
}

static gboolean
staff_writing (gpointer data)
{
  PsMappingCard *card = card_of (data, "Staff");
  guint done = 0;

  if (card != NULL)
    ps_mapping_card_get_progress (card, &done, NULL);
  return done >= 3;
}

/* Cancelling is a decision, not a failure: a neutral "Cancelled after 9 of 20". */
static void
test_cancel_is_neutral (Fixture *f, gconstpointer data)
{
  Counts before = emulator_counts ();
  PsMappingCard *staff;
  GtkWidget *status;
  g_autofree char *log = NULL;
  g_autofree char *expected = NULL;
  guint done, total;

  click (gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "start_button"));
  g_assert_true (gui_test_wait (sheet_shown, f, 60000));
  set_latency (150);
  click (gui_test_child (sheet_of (f), PS_TYPE_PLAN_SHEET, "apply_button"));
  g_assert_true (gui_test_wait (staff_writing, f, 60000));
  click (gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "cancel_button"));
  g_assert_true (wait_idle (f));
  set_latency (0);

  staff = card_of (f, "Staff");
  g_assert_true (ps_mapping_card_get_cancelled (staff));
  ps_mapping_card_get_progress (staff, &done, &total);
  expected = g_strdup_printf ("Cancelled after %u of %u", done, total);
  g_assert_cmpstr (ps_mapping_card_get_status_text (staff), ==, expected);
  /* Each invitation the card counts reached Asset Panda. One still on the
   * wire when Cancel came may land without its answer (up to Concurrency,
   * 4, at once); the next run finds that user by email instead of inviting
   * again. */
  g_assert_cmpuint (emulator_counts ().users, >=, before.users + done);
  g_assert_cmpuint (emulator_counts ().users, <=, before.users + done + 4);
  /* Neutral: no error style, no failure, no raw GLib message. */
  status = gui_test_child (staff, PS_TYPE_MAPPING_CARD, "status_label");
  g_assert_false (gtk_style_context_has_class (gtk_widget_get_style_context (status), "ps-field-error"));
  g_assert_true (ps_mapping_card_get_cancelled (card_of (f, "Employees")));
  g_assert_cmpstr (ps_mapping_card_get_status_text (card_of (f, "Employees")), ==, "Cancelled before writing");
  g_test_message ("status: %s", status_text (f));
  g_assert_nonnull (strstr (status_text (f), "The sync was cancelled after"));
  log = gui_test_sync_log (f->page);
  g_assert_null (strstr (log, "Operation was cancelled"));
  g_assert_null (strstr (log, "  error  "));
  g_assert_null (strstr (log, "failed:"));
  g_assert_nonnull (strstr (log, "Staff: Cancelled after"));
  gui_test_screenshot (f->window, "sync-cancelled");
}

/* Apply writes exactly the plan the sheet showed. */
static void
test_apply_writes_the_plan (Fixture *f, gconstpointer data)
{
  Counts before = emulator_counts ();
  PsPlan *plan;
  guint invites, creates;

  click (gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "start_button"));
  /* Staff started inviting in the cancelled run: it still has not run once. */
  g_assert_true (gui_test_wait (sheet_shown, f, 60000));
  plan = ps_plan_sheet_get_plan (sheet_of (f));
  invites = plan_count (plan, "Staff", PS_ACTION_CREATE);
  creates = plan_count (plan, "Employees", PS_ACTION_CREATE);
  g_assert_cmpuint (invites, >, 0);
  g_assert_cmpuint (creates, ==, 314);
  g_assert_cmpuint (plan_count (plan, "Employees", PS_ACTION_DEACTIVATE), ==, 0);

  click (gui_test_child (sheet_of (f), PS_TYPE_PLAN_SHEET, "apply_button"));
  g_assert_false (ps_plan_sheet_is_shown (sheet_of (f)));
  g_assert_true (wait_idle (f));
  g_assert_nonnull (strstr (status_text (f), "finished: succeeded"));
  g_assert_cmpuint (emulator_counts ().users, ==, before.users + invites);
  g_assert_cmpuint (emulator_counts ().employees, ==, before.employees + creates);
}

/* Both mappings have run and nothing irreversible is planned: no sheet. */
typedef struct {
  Fixture  *f;
  gboolean  sheet_seen;
} Watch;

static gboolean
idle_watching_sheet (gpointer data)
{
  Watch *watch = data;

  watch->sheet_seen |= ps_plan_sheet_is_shown (sheet_of (watch->f));
  return idle_again (watch->f);
}

static void
test_routine_run_is_direct (Fixture *f, gconstpointer data)
{
  Counts before = emulator_counts ();
  Watch watch = { f, FALSE };

  click (gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "start_button"));
  g_assert_false (idle_again (f));
  g_assert_true (gui_test_wait (idle_watching_sheet, &watch, 120000));
  g_assert_false (watch.sheet_seen);
  g_assert_nonnull (strstr (status_text (f), "finished: succeeded"));
  g_assert_cmpuint (emulator_counts ().users, ==, before.users);
  g_assert_cmpuint (emulator_counts ().employees, ==, before.employees);
}

/* A paused mapping says so on its card; Allow Once releases it alone. */
static void
test_paused_card_and_allow_once (Fixture *f, gconstpointer data)
{
  Counts before = emulator_counts ();
  PsMappingCard *employees;
  GtkWidget *paused_label;
  GtkTreeModel *plan_rows = gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "plan_filter");
  PsPlan *plan;
  g_autofree char *text = NULL;
  g_autofree char *shot = NULL;

  /* Everyone but Sales (54 of 320) stays in scope of either mapping: more
   * leavers than the limit, but not the shrunken read the guard holds. */
  set_filter ("Staff", "(!(department=Sales))");
  set_filter ("Employees", "(!(department=Sales))");
  click (gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "start_button"));
  g_assert_true (wait_idle (f));
  g_assert_false (ps_plan_sheet_is_shown (sheet_of (f)));
  g_assert_nonnull (strstr (status_text (f), "finished: paused"));

  employees = card_of (f, "Employees");
  g_assert_true (ps_mapping_card_get_paused (employees));
  g_assert_true (ps_mapping_card_get_paused (card_of (f, "Staff")));
  paused_label = gui_test_child (employees, PS_TYPE_MAPPING_CARD, "paused_label");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (paused_label)), ==, "Paused: 54 to deactivate, limit 15");
  g_assert_false (gtk_widget_get_visible (gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "plan_sheet")));
  shot = gui_test_screenshot (f->window, "sync-paused");

  /* Review lists who would be deactivated, and cannot apply anything. */
  click (gui_test_child (employees, PS_TYPE_MAPPING_CARD, "review_button"));
  g_assert_cmpint (gtk_tree_model_iter_n_children (plan_rows, NULL), ==, 54);
  g_assert_false (gtk_widget_get_sensitive (gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "apply_plan_button")));

  /* Allow Once plans Employees alone, released, and asks first. */
  click (gui_test_child (employees, PS_TYPE_MAPPING_CARD, "allow_button"));
  g_assert_true (gui_test_wait (sheet_shown, f, 60000));
  g_assert_cmpstr (ps_plan_sheet_get_released (sheet_of (f)), ==, "Employees");
  plan = ps_plan_sheet_get_plan (sheet_of (f));
  g_assert_cmpuint (plan->mappings->len, ==, 1);
  text = ps_plan_sheet_dup_text (sheet_of (f));
  g_test_message ("sheet: %s", text);
  g_assert_nonnull (strstr (text, "Employees: Deactivate 54 records"));
  g_assert_nonnull (strstr (text, "54 deactivations, over the limit of 15: allowed for this run only."));
  g_clear_pointer (&shot, g_free);
  shot = gui_test_screenshot (f->window, "sync-allow-once");
  g_assert_cmpuint (emulator_counts ().inactive, ==, before.inactive);

  click (gui_test_child (sheet_of (f), PS_TYPE_PLAN_SHEET, "apply_button"));
  g_assert_true (wait_idle (f));
  g_assert_nonnull (strstr (status_text (f), "finished: succeeded"));
  /* Only Employees ran: its records are Inactive, Staff's users untouched. */
  g_assert_cmpuint (cards_count (f), ==, 1);
  g_assert_cmpuint (emulator_counts ().inactive, ==, before.inactive + 54);
  g_assert_cmpuint (emulator_counts ().active_users, ==, before.active_users);

  /* The release was for one run: Staff is still paused. */
  click (gui_test_child (f->page, PS_TYPE_SYNC_PAGE, "start_button"));
  g_assert_true (wait_idle (f));
  g_assert_true (ps_mapping_card_get_paused (card_of (f, "Staff")));
  g_assert_cmpuint (emulator_counts ().active_users, ==, before.active_users);
  set_filter ("Staff", NULL);
  set_filter ("Employees", NULL);
}

static PsMappingRow *
mapping_row (Fixture    *f,
             const char *name)
{
  GtkContainer *list = gui_test_child (f->page, PS_TYPE_COLLECTION_MAPPING_PAGE, "mappings_list");
  g_autoptr(GList) rows = gtk_container_get_children (list);

  for (GList *l = rows; l != NULL; l = l->next)
    if (PS_IS_MAPPING_ROW (l->data) && g_strcmp0 (ps_mapping_row_get_mapping_name (l->data), name) == 0)
      return l->data;
  return NULL;
}

static gboolean
confirm_ready (gpointer data)
{
  return gtk_widget_get_sensitive (gui_test_child (data, PS_TYPE_MAPPING_ROW, "confirm_button"));
}

static GtkWidget *
find_undo_button (GtkWidget *widget)
{
  if (GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), "Undo") == 0)
    return widget;
  if (GTK_IS_CONTAINER (widget))
    {
      g_autoptr(GList) children = gtk_container_get_children (GTK_CONTAINER (widget));

      for (GList *l = children; l != NULL; l = l->next)
        {
          GtkWidget *found = find_undo_button (l->data);
          if (found != NULL)
            return found;
        }
    }
  return NULL;
}

/* Removing a mapping says how many people it manages, and Undo puts it back. */
static void
test_remove_with_undo (Fixture *f, gconstpointer data)
{
  GtkWidget *list = gui_test_child (f->page, PS_TYPE_COLLECTION_MAPPING_PAGE, "mappings_list");
  PsMappingRow *row = mapping_row (f, "Employees");
  GtkLabel *confirm_label;
  GtkWidget *undo;
  g_autofree char *undo_text = NULL;
  g_autoptr(PsProfile) saved = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (row);
  click (gui_test_child (row, PS_TYPE_MAPPING_ROW, "remove_button"));
  /* Nothing is removed before the administrator confirms. */
  g_assert_nonnull (ps_profile_find_mapping (profile, "Employees"));
  g_assert_true (gui_test_wait (confirm_ready, row, 10000));
  confirm_label = gui_test_child (row, PS_TYPE_MAPPING_ROW, "confirm_label");
  g_test_message ("confirmation: %s", gtk_label_get_text (confirm_label));
  g_assert_nonnull (strstr (gtk_label_get_text (confirm_label), "manages 320 people"));
  g_assert_nonnull (strstr (gtk_label_get_text (confirm_label), "stay in Asset Panda as they are"));
  gui_test_screenshot (f->window, "mapping-remove-confirm");

  click (gui_test_child (row, PS_TYPE_MAPPING_ROW, "confirm_button"));
  g_assert_null (ps_profile_find_mapping (profile, "Employees"));
  saved = ps_profile_load_file (ps_profile_get_path (profile), &error);
  g_assert_no_error (error);
  g_assert_null (ps_profile_find_mapping (saved, "Employees"));
  g_clear_object (&saved);

  undo = find_undo_button (list);
  g_assert_nonnull (undo);
  undo_text = gui_test_labels_text (gtk_widget_get_ancestor (undo, GTK_TYPE_LIST_BOX_ROW));
  g_test_message ("undo: %s", undo_text);
  g_assert_nonnull (strstr (undo_text, "no longer manages its 320 people"));
  gui_test_screenshot (f->window, "mapping-removed-undo");

  click (undo);
  gui_test_settle (200);
  g_assert_nonnull (ps_profile_find_mapping (profile, "Employees"));
  /* The same mapping, at the same place (after Staff), and saved. */
  g_assert_cmpstr (((PsMapping *) g_ptr_array_index (ps_profile_get_mappings (profile), 1))->name, ==,
                   "Employees");
  saved = ps_profile_load_file (ps_profile_get_path (profile), &error);
  g_assert_no_error (error);
  g_assert_nonnull (ps_profile_find_mapping (saved, "Employees"));
  g_assert_cmpstr (ps_profile_find_mapping (saved, "Employees")->status_field, ==, "Integration Status AD");
  g_assert_nonnull (mapping_row (f, "Employees"));
  g_assert_null (find_undo_button (list));
}

static gboolean
runs_listed (gpointer data)
{
  GtkTreeModel *runs = gui_test_child (data, PS_TYPE_HISTORY_PAGE, "runs_store");
  return gtk_tree_model_iter_n_children (runs, NULL) > 0;
}

/* The last row (in History: the oldest run) with @text in @column. */
static gboolean
find_last_row (GtkTreeModel *model,
               int           column,
               const char   *text,
               GtkTreeIter  *iter)
{
  GtkTreeIter it;
  gboolean found = FALSE;

  for (gboolean ok = gtk_tree_model_get_iter_first (model, &it); ok; ok = gtk_tree_model_iter_next (model, &it))
    {
      g_autofree char *value = NULL;

      gtk_tree_model_get (model, &it, column, &value, -1);
      if (g_strcmp0 (value, text) == 0)
        {
          *iter = it;
          found = TRUE;
        }
    }
  return found;
}

static char *
history_log (Fixture *f)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (gui_test_child (f->page, PS_TYPE_HISTORY_PAGE, "log_view"));
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/* A run that cannot even plan: a collection that does not exist. */
static void
run_broken_mapping (void)
{
  PsMapping *m = ps_mapping_new (PS_MAPPING_COLLECTION, "Broken");
  g_autoptr(PsEngine) engine = NULL;
  g_autoptr(PsSyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PsSyncOptions options = { 0 };

  m->account = g_strdup ("21040");
  m->collection = g_strdup ("999999");
  m->group = g_strdup ("All Staff");
  ps_profile_add_mapping (profile, m);
  options.only_mapping = (char *) "Broken";
  options.trigger = (char *) "manual";
  engine = ps_engine_new (profile);
  result = ps_engine_run_sync (engine, &options, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (result->status, ==, PS_RUN_FAILED);
  ps_profile_remove_mapping (profile, "Broken");
}

/* History reads in workers, shows Failed, no counts for previews, and its
 * details follow the selected run. */
static void
test_history (Fixture *f, gconstpointer data)
{
  GtkTreeModel *runs = gui_test_child (f->page, PS_TYPE_HISTORY_PAGE, "runs_store");
  GtkTreeView *view = gui_test_child (f->page, PS_TYPE_HISTORY_PAGE, "runs_view");
  GtkTreeModel *actions = gui_test_child (f->page, PS_TYPE_HISTORY_PAGE, "actions_store");
  GtkStack *actions_stack = gui_test_child (f->page, PS_TYPE_HISTORY_PAGE, "actions_stack");
  GtkStack *log_stack = gui_test_child (f->page, PS_TYPE_HISTORY_PAGE, "log_stack");
  GtkLabel *title = gui_test_child (f->page, PS_TYPE_HISTORY_PAGE, "run_title_label");
  GtkTreeIter iter;
  g_autofree char *color = NULL;
  g_autofree char *created = NULL;
  g_autofree char *failed_created = NULL;
  g_autofree char *log = NULL;
  g_autofree char *csv_path = g_build_filename (g_get_user_cache_dir (), "run.csv", NULL);
  g_autofree char *csv = NULL;
  gboolean active = FALSE;
  gint64 failed_run, preview_run;

  run_broken_mapping ();
  ps_wizard_page_shown (PS_WIZARD_PAGE (f->page));
  /* The query runs in a worker: nothing is listed yet, and the spinner turns. */
  g_assert_cmpint (gtk_tree_model_iter_n_children (runs, NULL), ==, 0);
  g_object_get (gui_test_child (f->page, PS_TYPE_HISTORY_PAGE, "spinner"), "active", &active, NULL);
  g_assert_true (active);
  g_assert_true (gui_test_wait (runs_listed, f->page, 10000));
  g_assert_true (gui_test_wait (gui_test_history_idle, f->page, 10000));

  /* Failed is visible, in red. */
  g_assert_true (gui_test_find_row (runs, 4, "Failed", &iter));
  gtk_tree_model_get (runs, &iter, 0, &failed_run, 5, &failed_created, 11, &color, -1);
  g_assert_cmpstr (color, ==, "#c01c28");
  g_assert_cmpstr (failed_created, ==, "0");

  /* A preview wrote nothing, and shows no created count: the first one
   * planned every create. */
  g_assert_true (find_last_row (runs, 4, "Preview: nothing written", &iter));
  gtk_tree_model_get (runs, &iter, 0, &preview_run, 5, &created, -1);
  g_assert_cmpstr (created, ==, "");

  /* The details follow the selection: the failed run wrote nothing, its log says why. */
  g_assert_true (gui_test_find_row (runs, 4, "Failed", &iter));
  gtk_tree_selection_select_iter (gtk_tree_view_get_selection (view), &iter);
  g_assert_true (gui_test_wait (gui_test_history_idle, f->page, 10000));
  g_assert_nonnull (strstr (gtk_label_get_text (title), "Failed"));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (actions_stack), ==, "empty");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (log_stack), ==, "text");
  log = history_log (f);
  g_assert_nonnull (strstr (log, "Broken"));
  g_assert_nonnull (strstr (log, "error"));
  gui_test_screenshot (f->window, "history-failed");

  /* …then the preview: what it would have done. */
  g_assert_true (find_last_row (runs, 4, "Preview: nothing written", &iter));
  gtk_tree_selection_select_iter (gtk_tree_view_get_selection (view), &iter);
  g_assert_true (gui_test_wait (gui_test_history_idle, f->page, 10000));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (actions_stack), ==, "list");
  g_assert_true (gui_test_find_row (actions, 1, "would create", &iter));
  g_assert_false (gui_test_find_row (actions, 1, "created", &iter));
  g_clear_pointer (&log, g_free);
  log = history_log (f);
  g_assert_nonnull (strstr (log, "Preview of profile"));

  /* The CSV export runs in a worker too. */
  ps_history_page_export_run (PS_HISTORY_PAGE (f->page), preview_run, csv_path);
  g_assert_true (gui_test_wait (gui_test_history_idle, f->page, 10000));
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  g_assert_true (g_str_has_prefix (csv, "\"run\",\"time\",\"mapping\",\"collection\",\"action\","
                                   "\"person\",\"email\",\"anchor\",\"asset panda id\",\"changes\","
                                   "\"detail\"\r\n"));
  g_assert_nonnull (strstr (csv, "\"create\""));
  /* Fields by their names, as the run listed them. */
  g_assert_nonnull (strstr (csv, "First Name: "));
  g_assert_null (strstr (csv, "field_1:"));
  gui_test_screenshot (f->window, "history-preview");
}

/* A profile that never ran: History says so instead of an empty table. */
static void
test_history_empty (void)
{
  g_autoptr(PsProfile) fresh = gui_test_new_profile ("never-ran");
  GtkWidget *window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
  GtkWidget *page = GTK_WIDGET (ps_history_page_new (fresh));
  GtkStack *stack = gui_test_child (page, PS_TYPE_HISTORY_PAGE, "runs_stack");

  gtk_container_add (GTK_CONTAINER (window), page);
  gtk_widget_show_all (window);
  ps_wizard_page_shown (PS_WIZARD_PAGE (page));
  g_assert_true (gui_test_wait (gui_test_history_idle, page, 10000));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "empty");
  g_assert_false (gtk_widget_get_sensitive (gui_test_child (page, PS_TYPE_HISTORY_PAGE, "export_button")));
  gtk_widget_destroy (window);
}

int
main (int    argc,
      char **argv)
{
  int status;

  gui_test_init (&argc, &argv);
  if (!gui_test_ldap_servers_or_skip_all ())
    return 0;
  g_test_add ("/sync-confirm/first-start-shows-sheet", Fixture, GINT_TO_POINTER (PAGE_SYNC),
              fixture_set_up, test_first_start_shows_sheet, fixture_tear_down);
  g_test_add ("/sync-confirm/cancel-is-neutral", Fixture, GINT_TO_POINTER (PAGE_SYNC),
              fixture_set_up, test_cancel_is_neutral, fixture_tear_down);
  g_test_add ("/sync-confirm/apply-writes-the-plan", Fixture, GINT_TO_POINTER (PAGE_SYNC),
              fixture_set_up, test_apply_writes_the_plan, fixture_tear_down);
  g_test_add ("/sync-confirm/routine-run-is-direct", Fixture, GINT_TO_POINTER (PAGE_SYNC),
              fixture_set_up, test_routine_run_is_direct, fixture_tear_down);
  g_test_add ("/sync-confirm/paused-card-and-allow-once", Fixture, GINT_TO_POINTER (PAGE_SYNC),
              fixture_set_up, test_paused_card_and_allow_once, fixture_tear_down);
  g_test_add ("/sync-confirm/remove-with-undo", Fixture, GINT_TO_POINTER (PAGE_COLLECTIONS),
              fixture_set_up, test_remove_with_undo, fixture_tear_down);
  g_test_add ("/sync-confirm/history", Fixture, GINT_TO_POINTER (PAGE_HISTORY),
              fixture_set_up, test_history, fixture_tear_down);
  g_test_add_func ("/sync-confirm/history-empty", test_history_empty);
  status = g_test_run ();
  gui_test_stop_servers ();
  return status;
}
