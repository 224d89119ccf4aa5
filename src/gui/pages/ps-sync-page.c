/* ps-sync-page.c — Start Sync, Preview, progress per mapping, the live log
 *
 * The run happens in the engine's worker thread (ps_engine_run_async); its
 * events reach this page on the main context, in batches, so the UI never
 * waits for the sync and the sync never waits for the UI. The log keeps the
 * last LOG_MAX_LINES lines, so memory stays bounded on long runs.
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gi18n.h>

#include "ps-engine.h"
#include "ps-sync-page.h"

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

typedef struct {
  PsLogLevel  level;
  char       *text;
} LogLine;

typedef struct {
  GtkWidget      *row;
  GtkLabel       *status;
  GtkProgressBar *bar;
  GtkLabel       *counts;
  gint64          first_progress_us;
  gboolean        finished;
} MappingRow;

struct _PsSyncPage
{
  PsWizardPage        parent_instance;

  GtkCheckButton     *allow_check;
  GtkButton          *apply_plan_button;
  GtkButton          *cancel_button;
  GtkStack           *detail_stack;
  GtkButton          *export_button;
  GtkComboBoxText    *log_level_combo;
  GtkSearchEntry     *log_search;
  GtkTextView        *log_view;
  GtkListBox         *mappings_list;
  GtkComboBoxText    *plan_action_combo;
  GtkTreeModelFilter *plan_filter;
  GtkSearchEntry     *plan_search;
  GtkListStore       *plan_store;
  GtkButton          *preview_button;
  GtkButton          *start_button;
  GtkLabel           *status_label;

  GCancellable       *cancellable;
  PsPlan             *preview;      /* the last dry run's plan */
  gboolean            running;
  gboolean            dry_run;
  gboolean            intro;        /* the status line still says what Start Sync does */
  GQueue             *log;          /* of LogLine* */
  GHashTable         *rows;         /* mapping name → MappingRow* */
};

G_DEFINE_FINAL_TYPE (PsSyncPage, ps_sync_page, PS_TYPE_WIZARD_PAGE)

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

static const char *
status_text (const char *status)
{
  if (g_strcmp0 (status, "succeeded") == 0)
    return _("Done");
  if (g_strcmp0 (status, "dry-run") == 0)
    return _("Preview ready");
  if (g_strcmp0 (status, "paused") == 0)
    return _("Paused: see the log");
  if (g_strcmp0 (status, "failed") == 0)
    return _("Failed: see the log");
  return status;
}

static char *
format_counts (const guint counts[PS_ACTION_N_KINDS])
{
  /* Translators: counts of one mapping's run */
  return g_strdup_printf (_("%u created · %u updated · %u deactivated · %u reactivated · %u skipped"),
                          counts[PS_ACTION_CREATE], counts[PS_ACTION_UPDATE],
                          counts[PS_ACTION_DEACTIVATE], counts[PS_ACTION_REACTIVATE],
                          counts[PS_ACTION_SKIP]);
}

static MappingRow *
ensure_row (PsSyncPage *self,
            const char *name)
{
  MappingRow *row = g_hash_table_lookup (self->rows, name);
  GtkWidget *grid, *title;

  if (row != NULL)
    return row;
  row = g_new0 (MappingRow, 1);
  grid = gtk_grid_new ();
  g_object_set (grid, "column-spacing", 12, "row-spacing", 4, "margin", 8, NULL);
  title = gtk_label_new (name);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_widget_set_size_request (title, 160, -1);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_style_context_add_class (gtk_widget_get_style_context (title), "heading");
  row->status = GTK_LABEL (gtk_label_new (_("Waiting")));
  gtk_label_set_xalign (row->status, 0);
  gtk_label_set_ellipsize (row->status, PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (row->status, 28);
  gtk_widget_set_size_request (GTK_WIDGET (row->status), 200, -1);
  gtk_style_context_add_class (gtk_widget_get_style_context (GTK_WIDGET (row->status)), "dim-label");
  row->bar = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_progress_bar_set_show_text (row->bar, TRUE);
  gtk_progress_bar_set_text (row->bar, "");
  gtk_widget_set_hexpand (GTK_WIDGET (row->bar), TRUE);
  gtk_widget_set_valign (GTK_WIDGET (row->bar), GTK_ALIGN_CENTER);
  row->counts = GTK_LABEL (gtk_label_new (""));
  gtk_label_set_xalign (row->counts, 0);
  gtk_label_set_ellipsize (row->counts, PANGO_ELLIPSIZE_END);
  gtk_grid_attach (GTK_GRID (grid), title, 0, 0, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (row->bar), 1, 0, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (row->status), 0, 1, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (row->counts), 1, 1, 1, 1);
  gtk_widget_show_all (grid);
  gtk_container_add (GTK_CONTAINER (self->mappings_list), grid);
  row->row = gtk_widget_get_parent (grid);
  g_hash_table_insert (self->rows, g_strdup (name), row);
  return row;
}

static void
reset_rows (PsSyncPage *self)
{
  PsProfile *profile = ps_wizard_page_get_profile (PS_WIZARD_PAGE (self));
  GPtrArray *mappings = ps_profile_get_mappings (profile);

  gtk_container_foreach (GTK_CONTAINER (self->mappings_list), (GtkCallback) gtk_widget_destroy, NULL);
  g_hash_table_remove_all (self->rows);
  /* In run order: users first, then collections. */
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < mappings->len; i++)
      {
        const PsMapping *m = g_ptr_array_index (mappings, i);
        if (m->enabled && (pass == 0) == (m->kind == PS_MAPPING_USERS))
          ensure_row (self, m->name);
      }
}

static void
update_buttons (PsSyncPage *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->start_button), !self->running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->preview_button), !self->running);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), self->running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->apply_plan_button), !self->running && self->preview != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->export_button), self->preview != NULL);
}

static void
fill_preview (PsSyncPage *self)
{
  gtk_list_store_clear (self->plan_store);
  if (self->preview == NULL)
    return;
  for (guint i = 0; i < self->preview->mappings->len; i++)
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
              gtk_list_store_insert_with_values (self->plan_store, NULL, -1,
                                                 COL_MAPPING, mp->name, COL_ACTION, action,
                                                 COL_NAME, a->name, COL_FIELD, c->field,
                                                 COL_OLD, c->old_value, COL_NEW, c->new_value,
                                                 COL_REASON, a->reason, -1);
            }
        }
    }
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
  {
    g_autofree char *folded_needle = g_utf8_casefold (needle, -1);
    return strstr (folded, folded_needle) != NULL;
  }
}

static void
notify_outcome (PsSyncPage   *self,
                PsSyncResult *result)
{
  GApplication *app = g_application_get_default ();
  g_autoptr(GNotification) note = NULL;
  g_autofree char *body = NULL;
  GString *paused = g_string_new (NULL);

  if (app == NULL || self->dry_run
      || (result->status != PS_RUN_FAILED && result->status != PS_RUN_PAUSED))
    {
      g_string_free (paused, TRUE);
      return;
    }
  for (guint i = 0; i < result->mappings->len; i++)
    {
      PsMappingResult *r = g_ptr_array_index (result->mappings, i);
      if (!g_str_equal (r->status, "succeeded"))
        g_string_append_printf (paused, "%s%s: %s", paused->len > 0 ? "\n" : "", r->name,
                                r->message != NULL ? r->message : r->status);
    }
  body = g_string_free (paused, FALSE);
  note = g_notification_new (result->status == PS_RUN_PAUSED ? _("A sync mapping is paused")
                                                             : _("The sync did not complete"));
  g_notification_set_body (note, body);
  g_notification_set_priority (note, G_NOTIFICATION_PRIORITY_HIGH);
  g_application_send_notification (app, "sync-outcome", note);
}

static void start_run (PsSyncPage *self, gboolean dry_run, PsPlan *expected);

/* ---------------------------------------------------------------- callbacks */

static void
on_engine_event_cb (const PsSyncEvent *event,
                    gpointer           user_data)
{
  PsSyncPage *self = user_data;
  MappingRow *row = event->mapping != NULL ? ensure_row (self, event->mapping) : NULL;

  switch (event->kind)
    {
    case PS_SYNC_EVENT_LOG:
      add_log (self, event->level, event->time_us, event->mapping, event->message);
      if (row != NULL && !row->finished && event->level >= PS_LOG_INFO)
        gtk_label_set_text (row->status, event->message);
      break;
    case PS_SYNC_EVENT_PROGRESS:
      if (row != NULL && event->total > 0)
        {
          gint64 now = g_get_monotonic_time ();
          g_autofree char *text = NULL;

          if (row->first_progress_us == 0)
            row->first_progress_us = now;
          gtk_progress_bar_set_fraction (row->bar, (double) event->done / event->total);
          if (event->done > 0 && event->done < event->total)
            {
              double per_item = (double) (now - row->first_progress_us) / event->done;
              gint64 left_s = (gint64) (per_item * (event->total - event->done) / G_USEC_PER_SEC);
              /* Translators: progress of one mapping, with the time left */
              text = left_s >= 60 ? g_strdup_printf (_("%u of %u · about %lld min left"),
                                                     event->done, event->total, (long long) ((left_s + 59) / 60))
                                  : g_strdup_printf (_("%u of %u · less than a minute left"),
                                                     event->done, event->total);
            }
          else
            text = g_strdup_printf (_("%u of %u"), event->done, event->total);
          gtk_progress_bar_set_text (row->bar, text);
        }
      break;
    case PS_SYNC_EVENT_MAPPING:
      if (row != NULL)
        {
          g_autofree char *counts = format_counts (event->counts);
          row->finished = TRUE;
          gtk_label_set_text (row->counts, counts);
          gtk_label_set_text (row->status, status_text (event->status));
          gtk_widget_set_tooltip_text (GTK_WIDGET (row->status), event->message);
          gtk_progress_bar_set_fraction (row->bar, 1.0);
          if (g_strcmp0 (event->status, "paused") == 0 || g_strcmp0 (event->status, "failed") == 0)
            gtk_style_context_add_class (gtk_widget_get_style_context (GTK_WIDGET (row->status)), "error");
        }
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

  self->running = FALSE;
  g_clear_object (&self->cancellable);
  if (result == NULL)
    {
      add_log (self, PS_LOG_ERROR, g_get_real_time (), NULL, error->message);
      gtk_label_set_text (self->status_label, error->message);
      update_buttons (self);
      return;
    }

  {
    g_autofree char *status = NULL;

    if (self->dry_run)
      status = g_strdup_printf (_("Preview ready (run %lld): nothing was written. "
                                  "Check the plan, then apply it."), (long long) result->run_id);
    else
      status = g_strdup_printf (_("Run %lld finished: %s"), (long long) result->run_id,
                                ps_run_status_to_string (result->status));
    gtk_label_set_text (self->status_label, status);
  }
  if (self->dry_run)
    {
      g_clear_pointer (&self->preview, ps_plan_free);
      self->preview = g_steal_pointer (&result->plan);
      fill_preview (self);
      gtk_stack_set_visible_child_name (self->detail_stack, "preview");
    }
  else
    {
      /* A real run used up the preview. */
      g_clear_pointer (&self->preview, ps_plan_free);
      gtk_list_store_clear (self->plan_store);
      notify_outcome (self, result);
    }
  update_buttons (self);
}

static void
on_start_button_clicked_cb (GtkButton  *button,
                            PsSyncPage *self)
{
  start_run (self, FALSE, NULL);
}

static void
on_preview_button_clicked_cb (GtkButton  *button,
                              PsSyncPage *self)
{
  start_run (self, TRUE, NULL);
}

static void
on_apply_plan_button_clicked_cb (GtkButton  *button,
                                 PsSyncPage *self)
{
  if (self->preview != NULL)
    start_run (self, FALSE, self->preview);
}

static void
on_cancel_button_clicked_cb (GtkButton  *button,
                             PsSyncPage *self)
{
  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      gtk_label_set_text (self->status_label, _("Stopping after the current step…"));
    }
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
  gtk_label_set_text (self->status_label, error->message);
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

/* ---------------------------------------------------------------- run */

static void
start_run (PsSyncPage *self,
           gboolean    dry_run,
           PsPlan     *expected)
{
  PsProfile *profile = ps_wizard_page_get_profile (PS_WIZARD_PAGE (self));
  g_autoptr(PsEngine) engine = NULL;
  PsSyncOptions options = { 0 };

  if (self->running)
    return;
  self->intro = FALSE;
  if (ps_profile_get_mappings (profile)->len == 0)
    {
      gtk_label_set_text (self->status_label,
                          _("There is nothing to sync yet: add a mapping in User Mapping or "
                            "Collection Mapping."));
      return;
    }
  if (ps_engine_is_locked (profile))
    {
      gtk_label_set_text (self->status_label,
                          _("A sync of this profile is already running (the background service or "
                            "the command line); try again when it has finished."));
      return;
    }

  self->running = TRUE;
  self->dry_run = dry_run;
  self->cancellable = g_cancellable_new ();
  reset_rows (self);
  gtk_label_set_text (self->status_label, dry_run ? _("Reading both sides to preview the plan…")
                                                  : _("Syncing…"));
  gtk_stack_set_visible_child_name (self->detail_stack, "log");
  update_buttons (self);

  options.dry_run = dry_run;
  options.allow_deactivations = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->allow_check));
  options.trigger = (char *) "manual";
  options.expected_plan = expected;
  engine = ps_engine_new (profile);
  ps_engine_set_event_func (engine, on_engine_event_cb, self, NULL);
  /* The page stays alive until the run ends, so late events are safe. */
  ps_engine_run_async (engine, &options, self->cancellable, on_run_done_cb, g_object_ref (self));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->allow_check), FALSE);
}

/* ---------------------------------------------------------------- overrides */

/* Until a run says more, the status line says what Start Sync reads. */
static void
ps_sync_page_shown (PsWizardPage *page)
{
  PsSyncPage *self = PS_SYNC_PAGE (page);

  if (!self->intro)
    return;
  gtk_label_set_text (self->status_label,
                      ps_profile_get_source_kind (ps_wizard_page_get_profile (page)) == PS_SOURCE_KIND_ENTRA_ID
                      ? _("Start Sync reads Microsoft Entra ID and brings Asset Panda in step: users "
                          "first, then collections. Preview shows the plan first.")
                      : _("Start Sync reads Active Directory and brings Asset Panda in step: users "
                          "first, then collections. Preview shows the plan first."));
}

static void
ps_sync_page_dispose (GObject *object)
{
  PsSyncPage *self = PS_SYNC_PAGE (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (ps_sync_page_parent_class)->dispose (object);
}

static void
ps_sync_page_finalize (GObject *object)
{
  PsSyncPage *self = PS_SYNC_PAGE (object);

  g_clear_pointer (&self->preview, ps_plan_free);
  g_queue_free_full (self->log, (GDestroyNotify) log_line_free);
  g_hash_table_unref (self->rows);

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

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/pages/ps-sync-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, allow_check);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, apply_plan_button);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, detail_stack);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, export_button);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, log_level_combo);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, log_search);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, log_view);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, mappings_list);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, plan_action_combo);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, plan_filter);
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, plan_search);
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
  gtk_widget_class_bind_template_callback (widget_class, on_preview_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_save_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_start_button_clicked_cb);
}

static void
ps_sync_page_init (PsSyncPage *self)
{
  GtkTextBuffer *buffer;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->intro = TRUE;
  ps_wizard_page_set_title (PS_WIZARD_PAGE (self), _("Sync"));
  /* Not part of the wizard: always complete, no forward button. */
  ps_wizard_page_set_complete (PS_WIZARD_PAGE (self), TRUE);

  self->log = g_queue_new ();
  self->rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  buffer = gtk_text_view_get_buffer (self->log_view);
  gtk_text_buffer_create_tag (buffer, "debug", "foreground", "#77767b", NULL);
  gtk_text_buffer_create_tag (buffer, "info", NULL);
  gtk_text_buffer_create_tag (buffer, "warning", "foreground", "#9c6e03", NULL);
  gtk_text_buffer_create_tag (buffer, "error", "foreground", "#c01c28", "weight", PANGO_WEIGHT_BOLD, NULL);
  gtk_tree_model_filter_set_visible_func (self->plan_filter, plan_row_visible, self, NULL);
  update_buttons (self);
}

/* ---------------------------------------------------------------- public API */

PsWizardPage *
ps_sync_page_new (PsProfile *profile)
{
  return g_object_new (PS_TYPE_SYNC_PAGE, "profile", profile, NULL);
}

/* Start Sync from the tray or the window's menu. */
void
ps_sync_page_start_sync (PsSyncPage *self)
{
  g_return_if_fail (PS_IS_SYNC_PAGE (self));
  start_run (self, FALSE, NULL);
}
