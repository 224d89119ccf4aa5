/* ps-sync-page.c — Start Sync, Preview, progress per mapping, the live log
 *
 * The run happens in the engine's worker thread (ps_engine_run_async); its
 * events reach this page on the main context, in batches, so the UI never
 * waits for the sync and the sync never waits for the UI. The log keeps the
 * last LOG_MAX_LINES lines, so memory stays bounded on long runs.
 *
 * Nothing irreversible happens unconfirmed. Start Sync first asks the history
 * which mappings have synced before (in a worker). A run that may do
 * something that cannot simply be undone — a mapping's first real run, a
 * user mapping's invitations — is planned first (a dry run: the engine's plan
 * equals the next run's), and the plan sheet says what it will do; Apply
 * then applies exactly that plan ("apply this plan": the engine refuses if
 * the data moved), Review opens it in the Preview. A plan with nothing
 * irreversible in it is applied at once. Routine runs of collection
 * mappings that have run before start directly. A mapping paused by its
 * deactivation limit gets Review and Allow Once on its card: Allow Once plans
 * that mapping alone, released for one run, and asks again through the sheet.
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gi18n.h>

#include "ps-a11y.h"
#include "ps-engine.h"
#include "ps-gui-backend.h"
#include "ps-sync-page.h"
#include "widgets/ps-mapping-card.h"
#include "widgets/ps-plan-sheet.h"

#define LOG_MAX_LINES 10000

enum {
  COL_MAPPING,
  COL_ACTION,
  COL_NAME,
  COL_FIELD,
  COL_OLD,
  COL_NEW,
  COL_REASON,
};

/* What a run is for, which decides what happens when it ends. */
typedef enum {
  RUN_PREVIEW,   /* Preview: a dry run shown in the Preview tab */
  RUN_CONFIRM,   /* Start Sync's plan: a dry run, then the sheet or the apply */
  RUN_RELEASE,   /* Allow Once: a dry run of one mapping without its limit, then the sheet */
  RUN_APPLY,     /* a real run, of an expected plan or not */
} RunPurpose;

typedef struct {
  PsLogLevel  level;
  char       *text;
} LogLine;

struct _PsSyncPage
{
  PsWizardPage        parent_instance;

  GtkButton          *apply_plan_button;
  GtkButton          *cancel_button;
  GtkStack           *detail_stack;
  GtkButton          *export_button;
  GtkLabel           *log_empty_label;
  GtkComboBoxText    *log_level_combo;
  GtkSearchEntry     *log_search;
  GtkStack           *log_stack;
  GtkTextView        *log_view;
  GtkListBox         *mappings_list;
  GtkComboBoxText    *plan_action_combo;
  GtkTreeModelFilter *plan_filter;
  GtkSearchEntry     *plan_search;
  PsPlanSheet        *plan_sheet;
  GtkStack           *plan_stack;
  GtkListStore       *plan_store;
  GtkButton          *preview_button;
  GtkButton          *start_button;
  GtkLabel           *status_label;

  GCancellable       *cancellable;        /* the run */
  GCancellable       *check_cancellable;  /* the history question before Start Sync */
  GCancellable       *runs_cancellable;   /* whether the profile ever ran, for the empty log */
  PsPlan             *preview;            /* the plan the Preview shows */
  char               *preview_released;   /* …planned released from this mapping's limit */
  gboolean            preview_applicable; /* FALSE: a paused mapping's review, nothing to apply */
  PsPlan             *last_plan;          /* the last run's plan, for a paused card's Review */
  GHashTable         *applied;            /* mappings with a successful real run */
  RunPurpose          purpose;
  char               *released;           /* the running run's Allow Once mapping */
  gboolean            running;
  gboolean            checking;
  gboolean            cancel_requested;
  gboolean            intro;              /* the status line still says what Start Sync does */
  GQueue             *log;                /* of LogLine* */
  GHashTable         *cards;              /* mapping name → PsMappingCard* (owned by the list) */
};

G_DEFINE_FINAL_TYPE (PsSyncPage, ps_sync_page, PS_TYPE_WIZARD_PAGE)

static void on_card_review_cb     (PsSyncPage *self, PsMappingCard *card);
static void on_card_allow_once_cb (PsSyncPage *self, PsMappingCard *card);

/* ---------------------------------------------------------------- helpers */

static void
log_line_free (LogLine *line)
{
  g_free (line->text);
  g_free (line);
}

static PsLogLevel
wanted_level (PsSyncPage *self)
{
  const char *id = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->log_level_combo));

  if (g_strcmp0 (id, "debug") == 0)
    return PS_LOG_DEBUG;
  if (g_strcmp0 (id, "warning") == 0)
    return PS_LOG_WARNING;
  if (g_strcmp0 (id, "error") == 0)
    return PS_LOG_ERROR;
  return PS_LOG_INFO;
}

static gboolean
line_visible (PsSyncPage    *self,
              const LogLine *line)
{
  const char *needle = gtk_entry_get_text (GTK_ENTRY (self->log_search));
  g_autofree char *folded_text = NULL;
  g_autofree char *folded_needle = NULL;

  if (line->level < wanted_level (self))
    return FALSE;
  if (needle == NULL || *needle == '\0')
    return TRUE;
  folded_text = g_utf8_casefold (line->text, -1);
  folded_needle = g_utf8_casefold (needle, -1);
  return strstr (folded_text, folded_needle) != NULL;
}

static void
append_to_view (PsSyncPage    *self,
                const LogLine *line)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->log_view);
  GtkTextIter end;
  const char *tag = ps_log_level_to_string (line->level);

  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_insert_with_tags_by_name (buffer, &end, line->text, -1, tag, NULL);
  gtk_text_buffer_insert (buffer, &end, "\n", 1);
}

static void
rebuild_log_view (PsSyncPage *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->log_view);

  gtk_text_buffer_set_text (buffer, "", 0);
  for (GList *l = self->log->head; l != NULL; l = l->next)
    if (line_visible (self, l->data))
      append_to_view (self, l->data);
}

static void
scroll_log_to_end (PsSyncPage *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->log_view);
  GtkTextMark *mark = gtk_text_buffer_get_insert (buffer);
  GtkTextIter end;

  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_place_cursor (buffer, &end);
  gtk_text_view_scroll_mark_onscreen (self->log_view, mark);
}

static void
add_log (PsSyncPage *self,
         PsLogLevel  level,
         gint64      time_us,
         const char *mapping,
         const char *message)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (time_us / G_USEC_PER_SEC);
  g_autofree char *stamp = g_date_time_format (when, "%H:%M:%S");
  LogLine *line = g_new0 (LogLine, 1);
  gboolean trimmed = FALSE;

  line->level = level;
  line->text = g_strdup_printf ("%s  %-7s  %s%s%s", stamp, ps_log_level_to_string (level),
                                mapping != NULL ? mapping : "", mapping != NULL ? ": " : "", message);
  g_queue_push_tail (self->log, line);
  gtk_stack_set_visible_child_name (self->log_stack, "text");
  while (g_queue_get_length (self->log) > LOG_MAX_LINES)
    {
      log_line_free (g_queue_pop_head (self->log));
      trimmed = TRUE;
    }
  if (trimmed)
    {
      /* Drop the oldest visible line too, keeping the view as bounded as the log. */
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->log_view);
      GtkTextIter start, next;

      if (gtk_text_buffer_get_line_count (buffer) > LOG_MAX_LINES)
        {
          gtk_text_buffer_get_start_iter (buffer, &start);
          next = start;
          gtk_text_iter_forward_line (&next);
          gtk_text_buffer_delete (buffer, &start, &next);
        }
    }
  if (line_visible (self, line))
    {
      append_to_view (self, line);
      scroll_log_to_end (self);
    }
}

static void
set_status (PsSyncPage *self,
            const char *text)
{
  gtk_label_set_text (self->status_label, text);
  /* Spoken without taking the focus from where the user is. */
  ps_a11y_announce (GTK_WIDGET (self->status_label));
}

static PsMappingCard *
ensure_card (PsSyncPage *self,
             const char *name)
{
  PsMappingCard *card = g_hash_table_lookup (self->cards, name);

  if (card != NULL)
    return card;
  card = PS_MAPPING_CARD (ps_mapping_card_new (name));
  g_signal_connect_swapped (card, "review", G_CALLBACK (on_card_review_cb), self);
  g_signal_connect_swapped (card, "allow-once", G_CALLBACK (on_card_allow_once_cb), self);
  gtk_container_add (GTK_CONTAINER (self->mappings_list), GTK_WIDGET (card));
  g_hash_table_insert (self->cards, g_strdup (name), card);
  return card;
}

/* One card per enabled mapping (or only @only), in run order: users first. */
static void
reset_cards (PsSyncPage *self,
             const char *only)
{
  PsProfile *profile = ps_wizard_page_get_profile (PS_WIZARD_PAGE (self));
  GPtrArray *mappings = ps_profile_get_mappings (profile);

  gtk_container_foreach (GTK_CONTAINER (self->mappings_list), (GtkCallback) gtk_widget_destroy, NULL);
  g_hash_table_remove_all (self->cards);
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < mappings->len; i++)
      {
        const PsMapping *m = g_ptr_array_index (mappings, i);

        if ((pass == 0) != (m->kind == PS_MAPPING_USERS))
          continue;
        if (only != NULL ? g_strcmp0 (only, m->name) == 0 : m->enabled)
          ensure_card (self, m->name);
      }
}

static guint
count_changes (const PsPlan *plan)
{
  guint n = 0;

  for (guint i = 0; plan != NULL && i < plan->mappings->len; i++)
    {
      const PsMappingPlan *mp = g_ptr_array_index (plan->mappings, i);

      for (guint j = 0; j < mp->actions->len; j++)
        {
          const PsAction *a = g_ptr_array_index (mp->actions, j);
          if (a->kind != PS_ACTION_SKIP && a->kind != PS_ACTION_LINK)
            n++;
        }
    }
  return n;
}

static void
update_buttons (PsSyncPage *self)
{
  gboolean busy = self->running || self->checking;

  gtk_widget_set_sensitive (GTK_WIDGET (self->start_button), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->preview_button), !busy);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), self->running);
  /* A plan without a change has nothing to apply. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->apply_plan_button),
                            !busy && self->preview != NULL && self->preview_applicable
                            && count_changes (self->preview) > 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->export_button), self->preview != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->plan_sheet), !busy);
  /* After a Preview, Start Sync does not write what was reviewed: it plans again. */
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->start_button), self->preview != NULL
                               ? _("Plans again from the directory and Asset Panda. Only Apply This "
                                   "Plan writes exactly the preview you reviewed.")
                               : _("Reads both sides and brings Asset Panda in step; asks first "
                                   "before anything that cannot simply be undone"));
}

static void
update_plan_stack (PsSyncPage *self)
{
  const char *kind = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->plan_action_combo));

  if (self->preview == NULL)
    gtk_stack_set_visible_child_name (self->plan_stack, "none");
  else if (g_strcmp0 (kind, "changes") == 0 && count_changes (self->preview) == 0)
    gtk_stack_set_visible_child_name (self->plan_stack, "empty");
  else
    gtk_stack_set_visible_child_name (self->plan_stack, "list");
}

static void
fill_preview (PsSyncPage *self)
{
  GtkTreeModel *model = GTK_TREE_MODEL (self->plan_filter);
  GtkTreeView *view = GTK_TREE_VIEW (gtk_bin_get_child (GTK_BIN (gtk_stack_get_child_by_name (self->plan_stack,
                                                                                               "list"))));

  /* Filled detached from the view, which would otherwise redraw per row. */
  g_object_ref (model);
  gtk_tree_view_set_model (view, NULL);
  gtk_list_store_clear (self->plan_store);
  for (guint i = 0; self->preview != NULL && i < self->preview->mappings->len; i++)
    {
      const PsMappingPlan *mp = g_ptr_array_index (self->preview->mappings, i);

      for (guint j = 0; j < mp->actions->len; j++)
        {
          const PsAction *a = g_ptr_array_index (mp->actions, j);
          const char *action = ps_action_kind_to_string (a->kind);

          if (a->changes->len == 0)
            gtk_list_store_insert_with_values (self->plan_store, NULL, -1,
                                               COL_MAPPING, mp->name, COL_ACTION, action,
                                               COL_NAME, a->name, COL_REASON, a->reason, -1);
          for (guint k = 0; k < a->changes->len; k++)
            {
              const PsChange *c = g_ptr_array_index (a->changes, k);
              /* Asset Panda's names, as the plan listed them: "Role", "Basic". */
              g_autofree char *field = ps_plan_field_label (self->preview, mp, c->field);
              g_autofree char *old_value = ps_plan_value_label (self->preview, mp, c->field, c->old_value);
              g_autofree char *new_value = ps_plan_value_label (self->preview, mp, c->field, c->new_value);

              gtk_list_store_insert_with_values (self->plan_store, NULL, -1,
                                                 COL_MAPPING, mp->name, COL_ACTION, action,
                                                 COL_NAME, a->name, COL_FIELD, field,
                                                 COL_OLD, old_value, COL_NEW, new_value,
                                                 COL_REASON, a->reason, -1);
            }
        }
    }
  gtk_tree_view_set_model (view, model);
  g_object_unref (model);
  update_plan_stack (self);
}

/* Makes @plan the one the Preview shows (the page takes it). */
static void
set_preview (PsSyncPage *self,
             PsPlan     *plan,
             const char *released,
             gboolean    applicable)
{
  g_clear_pointer (&self->preview, ps_plan_free);
  g_clear_pointer (&self->preview_released, g_free);
  self->preview = plan;
  self->preview_released = g_strdup (released);
  self->preview_applicable = applicable;
  fill_preview (self);
}

static gboolean
plan_row_visible (GtkTreeModel *model,
                  GtkTreeIter  *iter,
                  gpointer      user_data)
{
  PsSyncPage *self = user_data;
  const char *kind = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->plan_action_combo));
  const char *needle = gtk_entry_get_text (GTK_ENTRY (self->plan_search));
  g_autofree char *action = NULL;
  g_autofree char *name = NULL;
  g_autofree char *field = NULL;
  g_autofree char *old_value = NULL;
  g_autofree char *new_value = NULL;
  g_autofree char *haystack = NULL;
  g_autofree char *folded = NULL;
  g_autofree char *folded_needle = NULL;

  gtk_tree_model_get (model, iter, COL_ACTION, &action, COL_NAME, &name, COL_FIELD, &field,
                      COL_OLD, &old_value, COL_NEW, &new_value, -1);
  if (action == NULL)
    return FALSE;
  if (g_strcmp0 (kind, "changes") == 0 && (g_str_equal (action, "skip") || g_str_equal (action, "link")))
    return FALSE;
  if (kind != NULL && !g_str_equal (kind, "changes") && !g_str_equal (kind, "all")
      && !g_str_equal (kind, action))
    return FALSE;
  if (needle == NULL || *needle == '\0')
    return TRUE;
  haystack = g_strjoin (" ", name ? name : "", field ? field : "", old_value ? old_value : "",
                        new_value ? new_value : "", NULL);
  folded = g_utf8_casefold (haystack, -1);
  folded_needle = g_utf8_casefold (needle, -1);
  return strstr (folded, folded_needle) != NULL;
}

static void
notify_outcome (PsSyncPage   *self,
                PsSyncResult *result)
{
  GApplication *app = g_application_get_default ();
  g_autoptr(GNotification) note = NULL;
  g_autoptr(GString) paused = NULL;

  if (app == NULL || (result->status != PS_RUN_FAILED && result->status != PS_RUN_PAUSED))
    return;
  paused = g_string_new (NULL);
  for (guint i = 0; i < result->mappings->len; i++)
    {
      PsMappingResult *r = g_ptr_array_index (result->mappings, i);
      if (!g_str_equal (r->status, "succeeded"))
        g_string_append_printf (paused, "%s%s: %s", paused->len > 0 ? "\n" : "", r->name,
                                r->message != NULL ? r->message : r->status);
    }
  note = g_notification_new (result->status == PS_RUN_PAUSED ? _("A sync mapping is paused")
                                                             : _("The sync did not complete"));
  g_notification_set_body (note, paused->str);
  g_notification_set_priority (note, G_NOTIFICATION_PRIORITY_HIGH);
  g_application_send_notification (app, "sync-outcome", note);
}

/* How many deactivations the shrunken-read guard turned into skips. */
static guint
count_held (const PsMappingPlan *mp)
{
  const char *held = _("deactivation held: the directory returned too few people");
  guint n = 0;

  for (guint i = 0; i < mp->actions->len; i++)
    {
      const PsAction *a = g_ptr_array_index (mp->actions, i);
      if (a->kind == PS_ACTION_SKIP && g_strcmp0 (a->reason, held) == 0)
        n++;
    }
  return n;
}

/* A paused (or held) mapping's card says so, with Review and Allow Once. */
static void
mark_paused_cards (PsSyncPage   *self,
                   const PsPlan *plan)
{
  for (guint i = 0; plan != NULL && i < plan->mappings->len; i++)
    {
      const PsMappingPlan *mp = g_ptr_array_index (plan->mappings, i);
      guint held = mp->status == PS_MAPPING_PLAN_READY ? count_held (mp) : 0;

      if (mp->status == PS_MAPPING_PLAN_PAUSED)
        ps_mapping_card_set_paused (ensure_card (self, mp->name),
                                    ps_mapping_plan_count (mp, PS_ACTION_DEACTIVATE), mp->threshold, FALSE);
      else if (held > 0)
        ps_mapping_card_set_paused (ensure_card (self, mp->name), held, 0, TRUE);
    }
}

/* "Cancelled after 9 of 20 changes…": what a cancelled run got done. */
static char *
describe_cancelled (PsSyncPage *self)
{
  GHashTableIter iter;
  gpointer card;
  guint done = 0, total = 0;

  g_hash_table_iter_init (&iter, self->cards);
  while (g_hash_table_iter_next (&iter, NULL, &card))
    if (ps_mapping_card_get_cancelled (card))
      {
        guint d, t;

        /* A mapping that never started writing adds nothing. */
        ps_mapping_card_get_progress (card, &d, &t);
        done += d;
        total += t;
      }
  /* The engine's result of a cancelled run does not reach the page: no run number. */
  if (total > 0)
    return g_strdup_printf (_("The sync was cancelled after %u of %u changes. What was written "
                              "stays; the next run takes up the rest."), done, total);
  return g_strdup (_("The sync was cancelled before anything was written."));
}

/* A copy of the plan of mapping @name from the last run, the Preview or
 * the sheet, as a plan of its own; NULL when none has it. */
static PsPlan *
copy_mapping_plan (PsSyncPage *self,
                   const char *name)
{
  PsPlan *sources[] = { self->last_plan, self->preview, ps_plan_sheet_get_plan (self->plan_sheet) };

  for (guint s = 0; s < G_N_ELEMENTS (sources); s++)
    for (guint i = 0; sources[s] != NULL && i < sources[s]->mappings->len; i++)
      {
        PsMappingPlan *mp = g_ptr_array_index (sources[s]->mappings, i);
        g_autoptr(PsPlan) one = NULL;
        g_autoptr(JsonNode) node = NULL;

        if (g_strcmp0 (mp->name, name) != 0)
          continue;
        /* Only this mapping goes through JSON, not the whole plan. */
        one = ps_plan_new (sources[s]->profile);
        one->run_id = sources[s]->run_id;
        ps_names_merge (one->names, sources[s]->names);
        g_ptr_array_set_free_func (one->mappings, NULL);
        g_ptr_array_add (one->mappings, mp);
        node = ps_plan_to_json (one);
        return ps_plan_from_json (node, NULL);
      }
  return NULL;
}

/* Whether any mapping of @plan could be planned (ready or paused). */
static gboolean
any_planned (const PsPlan *plan)
{
  for (guint i = 0; plan != NULL && i < plan->mappings->len; i++)
    {
      const PsMappingPlan *mp = g_ptr_array_index (plan->mappings, i);
      if (mp->status == PS_MAPPING_PLAN_READY || mp->status == PS_MAPPING_PLAN_PAUSED)
        return TRUE;
    }
  return FALSE;
}

static gboolean
can_start (PsSyncPage *self)
{
  PsProfile *profile = ps_wizard_page_get_profile (PS_WIZARD_PAGE (self));

  if (self->running || self->checking)
    return FALSE;
  if (ps_profile_get_mappings (profile)->len == 0)
    {
      set_status (self, _("There is nothing to sync yet: add a mapping in User Mapping or "
                          "Collection Mapping."));
      return FALSE;
    }
  if (ps_engine_is_locked (profile))
    {
      set_status (self, _("A sync of this profile is already running (the background service or "
                          "the command line); try again when it has finished."));
      return FALSE;
    }
  return TRUE;
}

/* Whether Start Sync must plan before it writes: a mapping's first real
 * run, or a user mapping that may invite people, needs the plan to decide. */
static gboolean
needs_plan_first (PsSyncPage *self)
{
  GPtrArray *mappings = ps_profile_get_mappings (ps_wizard_page_get_profile (PS_WIZARD_PAGE (self)));

  for (guint i = 0; i < mappings->len; i++)
    {
      const PsMapping *m = g_ptr_array_index (mappings, i);

      if (!m->enabled)
        continue;
      if (!g_hash_table_contains (self->applied, m->name))
        return TRUE;
      if (m->kind == PS_MAPPING_USERS && !m->match_only)
        return TRUE;
    }
  return FALSE;
}

static void start_run (PsSyncPage *self, RunPurpose purpose, PsPlan *expected, const char *released);

/* ---------------------------------------------------------------- callbacks */

static void
on_engine_event_cb (const PsSyncEvent *event,
                    gpointer           user_data)
{
  PsSyncPage *self = user_data;
  PsMappingCard *card = event->mapping != NULL ? ensure_card (self, event->mapping) : NULL;

  switch (event->kind)
    {
    case PS_SYNC_EVENT_LOG:
      add_log (self, event->level, event->time_us, event->mapping, event->message);
      if (card != NULL && event->level >= PS_LOG_INFO)
        ps_mapping_card_set_activity (card, event->message);
      break;
    case PS_SYNC_EVENT_PROGRESS:
      if (card != NULL)
        ps_mapping_card_set_progress (card, event->done, event->total);
      break;
    case PS_SYNC_EVENT_MAPPING:
      if (card != NULL)
        ps_mapping_card_finish (card, event->status, event->counts, event->message);
      break;
    default:
      break;
    }
}

static void
on_run_done_cb (GObject      *source,
                GAsyncResult *res,
                gpointer      user_data)
{
  g_autoptr(PsSyncPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsSyncResult) result = ps_engine_run_finish (PS_ENGINE (source), res, &error);
  g_autofree char *status = NULL;
  g_autofree char *released = g_steal_pointer (&self->released);
  gboolean cancelled = self->cancel_requested;

  self->running = FALSE;
  self->cancel_requested = FALSE;
  g_clear_object (&self->cancellable);
  if (result == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          /* Not a failure, and no raw "Operation was cancelled": what got done. */
          status = describe_cancelled (self);
          set_status (self, status);
        }
      else
        {
          add_log (self, PS_LOG_ERROR, g_get_real_time (), NULL, error->message);
          set_status (self, error->message);
        }
      update_buttons (self);
      return;
    }

  mark_paused_cards (self, result->plan);
  /* The newest plan is the one a paused card's Review shows. */
  if (self->purpose != RUN_APPLY)
    g_clear_pointer (&self->last_plan, ps_plan_free);
  if (cancelled || result->status == PS_RUN_CANCELLED)
    {
      status = describe_cancelled (self);
      set_status (self, status);
      update_buttons (self);
      return;
    }

  switch (self->purpose)
    {
    case RUN_PREVIEW:
      status = count_changes (result->plan) == 0 && any_planned (result->plan)
               ? g_strdup_printf (_("Preview ready (run %lld): Asset Panda is already up to date, "
                                    "there is nothing to apply."), (long long) result->run_id)
               : g_strdup_printf (_("Preview ready (run %lld): nothing was written. "
                                    "Check the plan, then apply it."), (long long) result->run_id);
      set_status (self, status);
      set_preview (self, g_steal_pointer (&result->plan), NULL, TRUE);
      gtk_stack_set_visible_child_name (self->detail_stack, "preview");
      break;

    case RUN_CONFIRM:
      {
        g_autofree char *risks = ps_plan_describe_risks (result->plan, self->applied, NULL);

        if (!any_planned (result->plan))
          {
            /* Every mapping failed to plan: a real run would only fail again. */
            set_status (self, _("Nothing could be planned, so nothing was written: the log says why."));
          }
        else if (risks != NULL)
          {
            set_status (self, _("Nothing has been written yet: check what the sync will do, then "
                                "apply it."));
            ps_plan_sheet_show (self->plan_sheet, g_steal_pointer (&result->plan), self->applied, NULL);
          }
        else
          {
            /* Nothing in it needs asking: apply exactly what was just planned. */
            g_autoptr(PsPlan) plan = g_steal_pointer (&result->plan);

            update_buttons (self);
            start_run (self, RUN_APPLY, plan, NULL);
            set_status (self, _("Nothing in the plan needs confirming: syncing…"));
            return;
          }
      }
      break;

    case RUN_RELEASE:
      set_status (self, _("Nothing has been written yet: check the deactivations, then apply them "
                          "once."));
      ps_plan_sheet_show (self->plan_sheet, g_steal_pointer (&result->plan), self->applied, released);
      break;

    case RUN_APPLY:
    default:
      if (result->status == PS_RUN_PAUSED)
        status = g_strdup_printf (_("Run %lld finished: paused. A mapping held back its deactivations: "
                                    "its card says how many, with Review and Allow Once."),
                                  (long long) result->run_id);
      else
        status = g_strdup_printf (_("Run %lld finished: %s"), (long long) result->run_id,
                                  ps_run_status_to_string (result->status));
      set_status (self, status);
      /* A real run used up the preview. */
      set_preview (self, NULL, NULL, FALSE);
      g_clear_pointer (&self->last_plan, ps_plan_free);
      self->last_plan = g_steal_pointer (&result->plan);
      notify_outcome (self, result);
      break;
    }
  update_buttons (self);
}

static void
on_applied_loaded_cb (GObject      *source,
                      GAsyncResult *res,
                      gpointer      user_data)
{
  g_autoptr(PsSyncPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) applied = ps_gui_backend_applied_mappings_finish (res, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->checking = FALSE;
  g_clear_pointer (&self->applied, g_hash_table_unref);
  if (applied == NULL)
    {
      /* Without the history every mapping counts as new: plan first, to be safe. */
      add_log (self, PS_LOG_WARNING, g_get_real_time (), NULL, error->message);
      applied = g_hash_table_new (g_str_hash, g_str_equal);
    }
  self->applied = g_steal_pointer (&applied);
  if (needs_plan_first (self))
    {
      start_run (self, RUN_CONFIRM, NULL, NULL);
      set_status (self, self->preview != NULL
                  ? _("Planning again from scratch: nothing is written before you confirm. Only "
                      "Apply This Plan writes exactly the preview you reviewed.")
                  : _("Planning first: nothing is written before you confirm anything that cannot "
                      "simply be undone…"));
    }
  else
    start_run (self, RUN_APPLY, NULL, NULL);
}

/* The empty log says whether anything ever ran: the first run's log is
 * the first thing to look at, later ones are also in History. */
static void
on_runs_listed_cb (GObject      *source,
                   GAsyncResult *res,
                   gpointer      user_data)
{
  g_autoptr(PsSyncPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) runs = ps_gui_backend_list_runs_finish (res, &error);

  if (runs == NULL)
    return;
  gtk_label_set_text (self->log_empty_label, runs->len == 0
                      ? _("No sync has run yet. Start Sync or Preview, and its log appears here.")
                      : _("The log of the next run appears here. The logs of earlier runs are in "
                          "History."));
}

static void
on_start_button_clicked_cb (GtkButton  *button,
                            PsSyncPage *self)
{
  ps_sync_page_start_sync (self);
}

static void
on_preview_button_clicked_cb (GtkButton  *button,
                              PsSyncPage *self)
{
  if (!can_start (self))
    return;
  ps_plan_sheet_dismiss (self->plan_sheet);
  start_run (self, RUN_PREVIEW, NULL, NULL);
}

static void
on_apply_plan_button_clicked_cb (GtkButton  *button,
                                 PsSyncPage *self)
{
  if (self->preview == NULL || !self->preview_applicable || !can_start (self))
    return;
  ps_plan_sheet_dismiss (self->plan_sheet);
  start_run (self, RUN_APPLY, self->preview, self->preview_released);
}

static void
on_cancel_button_clicked_cb (GtkButton  *button,
                             PsSyncPage *self)
{
  if (self->cancellable != NULL)
    {
      self->cancel_requested = TRUE;
      g_cancellable_cancel (self->cancellable);
      set_status (self, _("Stopping after the current step…"));
    }
}

static void
on_plan_sheet_apply_cb (PsPlanSheet *sheet,
                        PsSyncPage  *self)
{
  g_autoptr(PsPlan) plan = NULL;
  g_autofree char *released = g_strdup (ps_plan_sheet_get_released (sheet));

  if (!can_start (self))
    return;
  plan = ps_plan_sheet_steal_plan (sheet);
  ps_plan_sheet_dismiss (sheet);
  if (plan != NULL)
    start_run (self, RUN_APPLY, plan, released);
}

static void
on_plan_sheet_review_cb (PsPlanSheet *sheet,
                         PsSyncPage  *self)
{
  g_autofree char *released = g_strdup (ps_plan_sheet_get_released (sheet));
  PsPlan *plan = ps_plan_sheet_steal_plan (sheet);

  ps_plan_sheet_dismiss (sheet);
  if (plan == NULL)
    return;
  set_preview (self, plan, released, TRUE);
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->plan_action_combo), "changes");
  gtk_stack_set_visible_child_name (self->detail_stack, "preview");
  set_status (self, _("Reviewing the plan: nothing has been written. Apply This Plan writes exactly "
                      "these changes; Start Sync would plan again."));
  update_buttons (self);
}

static void
on_plan_sheet_dismissed_cb (PsPlanSheet *sheet,
                            PsSyncPage  *self)
{
  set_status (self, _("Nothing was written."));
  update_buttons (self);
}

static void
on_log_filter_changed_cb (GtkWidget  *widget,
                          PsSyncPage *self)
{
  rebuild_log_view (self);
}

static void
on_plan_filter_changed_cb (GtkWidget  *widget,
                           PsSyncPage *self)
{
  gtk_tree_model_filter_refilter (self->plan_filter);
  update_plan_stack (self);
}

static void
on_copy_button_clicked_cb (GtkButton  *button,
                           PsSyncPage *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->log_view);
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  gtk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self), GDK_SELECTION_CLIPBOARD), text, -1);
}

static char *
choose_file (PsSyncPage *self,
             const char *title,
             const char *suggested)
{
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  g_autoptr(GtkFileChooserNative) chooser =
    gtk_file_chooser_native_new (title, GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                 GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));

  gtk_file_chooser_set_do_overwrite_confirmation (GTK_FILE_CHOOSER (chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), suggested);
  if (gtk_native_dialog_run (GTK_NATIVE_DIALOG (chooser)) != GTK_RESPONSE_ACCEPT)
    return NULL;
  return gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (chooser));
}

static void
show_error (PsSyncPage   *self,
            const GError *error)
{
  set_status (self, error->message);
  add_log (self, PS_LOG_ERROR, g_get_real_time (), NULL, error->message);
}

static void
on_save_button_clicked_cb (GtkButton  *button,
                           PsSyncPage *self)
{
  g_autofree char *path = choose_file (self, _("Save the Log"), "pandasync-log.txt");
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  if (path == NULL)
    return;
  for (GList *l = self->log->head; l != NULL; l = l->next)
    g_string_append_printf (text, "%s\n", ((LogLine *) l->data)->text);
  if (!g_file_set_contents (path, text->str, text->len, &error))
    show_error (self, error);
}

static void
on_export_button_clicked_cb (GtkButton  *button,
                             PsSyncPage *self)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (self->preview == NULL)
    return;
  path = choose_file (self, _("Export the Plan (.csv or .json)"), "pandasync-plan.csv");
  if (path != NULL && !ps_plan_write (self->preview, path, &error))
    show_error (self, error);
}

/* A paused mapping's Review: the deactivations its last plan holds back. */
static void
on_card_review_cb (PsSyncPage    *self,
                   PsMappingCard *card)
{
  const char *name = ps_mapping_card_get_name (card);
  g_autoptr(PsPlan) plan = copy_mapping_plan (self, name);
  g_autofree char *status = NULL;

  if (plan == NULL)
    return;
  /* The paused plan is for reading: Allow Once on the card is the way to apply it. */
  set_preview (self, g_steal_pointer (&plan), NULL, FALSE);
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->plan_action_combo), "deactivate");
  gtk_stack_set_visible_child_name (self->detail_stack, "preview");
  /* Translators: the name of a paused mapping */
  status = g_strdup_printf (_("Who “%s” would deactivate. Nothing was written; Allow Once on its card "
                              "plans it again without its limit, for one run."), name);
  set_status (self, status);
  update_buttons (self);
}

/* A paused mapping's Allow Once: plan it alone, released, and ask through the sheet. */
static void
on_card_allow_once_cb (PsSyncPage    *self,
                       PsMappingCard *card)
{
  g_autofree char *name = NULL;

  if (!can_start (self))
    return;
  name = g_strdup (ps_mapping_card_get_name (card));
  ps_plan_sheet_dismiss (self->plan_sheet);
  if (self->applied == NULL)
    self->applied = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  start_run (self, RUN_RELEASE, NULL, name);
}

/* ---------------------------------------------------------------- run */

static void
start_run (PsSyncPage *self,
           RunPurpose  purpose,
           PsPlan     *expected,
           const char *released)
{
  PsProfile *profile = ps_wizard_page_get_profile (PS_WIZARD_PAGE (self));
  g_autoptr(PsEngine) engine = NULL;
  PsSyncOptions options = { 0 };

  self->running = TRUE;
  self->intro = FALSE;
  self->purpose = purpose;
  self->cancel_requested = FALSE;
  g_free (self->released);
  self->released = g_strdup (released);
  self->cancellable = g_cancellable_new ();
  reset_cards (self, released);
  switch (purpose)
    {
    case RUN_PREVIEW:
      set_status (self, _("Reading both sides to preview the plan…"));
      break;
    case RUN_CONFIRM:
      set_status (self, _("Planning first: nothing is written before you confirm anything that cannot "
                          "simply be undone…"));
      break;
    case RUN_RELEASE:
      set_status (self, _("Planning this mapping again without its limit: nothing is written before "
                          "you confirm…"));
      break;
    case RUN_APPLY:
    default:
      set_status (self, _("Syncing…"));
      break;
    }
  gtk_stack_set_visible_child_name (self->detail_stack, "log");
  update_buttons (self);

  options.dry_run = purpose != RUN_APPLY;
  /* Allow Once releases that mapping only, and only it runs. */
  options.only_mapping = (char *) released;
  options.allow_deactivations = released != NULL;
  options.trigger = (char *) "manual";
  options.expected_plan = expected;
  engine = ps_engine_new (profile);
  ps_engine_set_event_func (engine, on_engine_event_cb, self, NULL);
  /* The page stays alive until the run ends, so late events are safe. */
  ps_engine_run_async (engine, &options, self->cancellable, on_run_done_cb, g_object_ref (self));
}

/* ---------------------------------------------------------------- overrides */

/* Until a run says more, the status line says what Start Sync reads, and
 * that it asks before anything that cannot simply be undone. */
static void
show_intro (PsSyncPage *self)
{
  const char *reads;
  g_autofree char *intro = NULL;

  switch (ps_profile_get_source_kind (ps_wizard_page_get_profile (PS_WIZARD_PAGE (self))))
    {
    case PS_SOURCE_KIND_ENTRA_ID:
      reads = _("Start Sync reads Microsoft Entra ID and brings Asset Panda in step: users "
                "first, then collections. Preview shows the plan first.");
      break;
    case PS_SOURCE_KIND_OKTA:
      reads = _("Start Sync reads Okta and brings Asset Panda in step: users first, then "
                "collections. Preview shows the plan first.");
      break;
    case PS_SOURCE_KIND_ACTIVE_DIRECTORY:
    default:
      reads = _("Start Sync reads Active Directory and brings Asset Panda in step: users "
                "first, then collections. Preview shows the plan first.");
      break;
    }
  intro = g_strconcat (reads, " ", _("Before anything that cannot simply be undone, it shows what "
                                     "will happen and asks."), NULL);
  gtk_label_set_text (self->status_label, intro);
}

/* The cards show the mappings a sync would run before it runs; they stay
 * as the last run left them while the mappings are the same. */
static void
ps_sync_page_shown (PsWizardPage *page)
{
  PsSyncPage *self = PS_SYNC_PAGE (page);
  GPtrArray *mappings = ps_profile_get_mappings (ps_wizard_page_get_profile (page));
  guint enabled = 0;
  gboolean same = TRUE;

  if (self->intro)
    show_intro (self);
  if (self->running || self->checking)
    return;
  if (self->log->length == 0)
    {
      if (self->runs_cancellable != NULL)
        g_cancellable_cancel (self->runs_cancellable);
      g_clear_object (&self->runs_cancellable);
      self->runs_cancellable = g_cancellable_new ();
      ps_gui_backend_list_runs_async (ps_wizard_page_get_profile (page), 1, self->runs_cancellable,
                                      on_runs_listed_cb, g_object_ref (self));
    }
  for (guint i = 0; i < mappings->len; i++)
    {
      const PsMapping *m = g_ptr_array_index (mappings, i);

      if (!m->enabled)
        continue;
      enabled++;
      same &= g_hash_table_contains (self->cards, m->name);
    }
  if (!same || enabled != g_hash_table_size (self->cards))
    reset_cards (self, NULL);
}

static void
ps_sync_page_dispose (GObject *object)
{
  PsSyncPage *self = PS_SYNC_PAGE (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->check_cancellable != NULL)
    g_cancellable_cancel (self->check_cancellable);
  g_clear_object (&self->check_cancellable);
  if (self->runs_cancellable != NULL)
    g_cancellable_cancel (self->runs_cancellable);
  g_clear_object (&self->runs_cancellable);

  G_OBJECT_CLASS (ps_sync_page_parent_class)->dispose (object);
}

static void
ps_sync_page_finalize (GObject *object)
{
  PsSyncPage *self = PS_SYNC_PAGE (object);

  g_clear_pointer (&self->preview, ps_plan_free);
  g_clear_pointer (&self->last_plan, ps_plan_free);
  g_clear_pointer (&self->applied, g_hash_table_unref);
  g_free (self->preview_released);
  g_free (self->released);
  g_queue_free_full (self->log, (GDestroyNotify) log_line_free);
  g_hash_table_unref (self->cards);

  G_OBJECT_CLASS (ps_sync_page_parent_class)->finalize (object);
}

static void
ps_sync_page_class_init (PsSyncPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  PsWizardPageClass *page_class = PS_WIZARD_PAGE_CLASS (klass);

  object_class->dispose = ps_sync_page_dispose;
  object_class->finalize = ps_sync_page_finalize;
  page_class->page_id = "sync";
  page_class->shown = ps_sync_page_shown;

  g_type_ensure (PS_TYPE_PLAN_SHEET);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/pages/ps-sync-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, apply_plan_button);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, detail_stack);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, export_button);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, log_empty_label);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, log_level_combo);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, log_search);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, log_stack);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, log_view);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, mappings_list);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, plan_action_combo);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, plan_filter);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, plan_search);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, plan_sheet);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, plan_stack);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, plan_store);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, preview_button);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, start_button);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, status_label);
  gtk_widget_class_bind_template_callback (widget_class, on_apply_plan_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_copy_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_export_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_log_filter_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_plan_filter_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_plan_sheet_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_plan_sheet_dismissed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_plan_sheet_review_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_preview_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_save_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_start_button_clicked_cb);
}

static void
ps_sync_page_init (PsSyncPage *self)
{
  GtkTextBuffer *buffer;

  gtk_widget_init_template (GTK_WIDGET (self));
  ps_a11y_make_status (GTK_WIDGET (self->status_label));
  self->intro = TRUE;
  ps_wizard_page_set_title (PS_WIZARD_PAGE (self), _("Sync"));
  /* Not part of the wizard: always complete, no forward button. */
  ps_wizard_page_set_complete (PS_WIZARD_PAGE (self), TRUE);

  self->log = g_queue_new ();
  self->cards = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  /* The template's active-id can come before its items exist (an accessible
   * child makes the builder construct the combo early), naming none. */
  if (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->plan_action_combo)) == NULL)
    gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->plan_action_combo), "changes");
  if (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->log_level_combo)) == NULL)
    gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->log_level_combo), "info");
  buffer = gtk_text_view_get_buffer (self->log_view);
  gtk_text_buffer_create_tag (buffer, "debug", "foreground", "#77767b", NULL);
  gtk_text_buffer_create_tag (buffer, "info", NULL);
  gtk_text_buffer_create_tag (buffer, "warning", "foreground", "#9c6e03", NULL);
  gtk_text_buffer_create_tag (buffer, "error", "foreground", "#c01c28", "weight", PANGO_WEIGHT_BOLD, NULL);
  gtk_tree_model_filter_set_visible_func (self->plan_filter, plan_row_visible, self, NULL);
  update_plan_stack (self);
  update_buttons (self);
}

/* ---------------------------------------------------------------- public API */

PsWizardPage *
ps_sync_page_new (PsProfile *profile)
{
  return g_object_new (PS_TYPE_SYNC_PAGE, "profile", profile, NULL);
}

/* Start Sync, from the button, the tray or the window's menu: asks the
 * history which mappings have run before, then plans first or runs. */
void
ps_sync_page_start_sync (PsSyncPage *self)
{
  g_return_if_fail (PS_IS_SYNC_PAGE (self));

  if (!can_start (self))
    return;
  ps_plan_sheet_dismiss (self->plan_sheet);
  self->checking = TRUE;
  update_buttons (self);
  set_status (self, _("Checking which mappings have synced before…"));
  if (self->check_cancellable != NULL)
    g_cancellable_cancel (self->check_cancellable);
  g_clear_object (&self->check_cancellable);
  self->check_cancellable = g_cancellable_new ();
  ps_gui_backend_applied_mappings_async (ps_wizard_page_get_profile (PS_WIZARD_PAGE (self)),
                                         self->check_cancellable, on_applied_loaded_cb,
                                         g_object_ref (self));
}
