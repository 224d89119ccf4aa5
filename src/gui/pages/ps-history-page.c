/* ps-history-page.c — past runs, what each did, its log, and the leavers report
 *
 * Nothing here reads SQLite or Asset Panda on the main thread: the run list,
 * a run's actions and log, the CSV export and the leavers report all go
 * through ps-gui-backend.c, which runs them in workers; a spinner shows while
 * one is on its way. The details below the list follow the selected run.
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gi18n.h>

#include "ps-gui-backend.h"
#include "ps-history-page.h"
#include "ps-report.h"
#include "ps-state.h"

#define MAX_RUNS         500
#define MAX_SHOWN_ROWS   20000
#define FILL_CHUNK       1000    /* rows added per turn of the main loop */

#define COLOR_FAILED  "#c01c28"
#define COLOR_WARNING "#9c6e03"
#define COLOR_DIM     "#77767b"

enum {
  RUN_ID, RUN_STARTED, RUN_DURATION, RUN_TRIGGER, RUN_STATUS, RUN_CREATED, RUN_UPDATED,
  RUN_DEACTIVATED, RUN_REACTIVATED, RUN_SKIPPED, RUN_FAILED, RUN_COLOR, RUN_WEIGHT, RUN_DRY_RUN,
  RUN_STATE, RUN_FAILED_COLOR, RUN_FAILED_WEIGHT,
};

enum {
  ACT_MAPPING, ACT_ACTION, ACT_NAME, ACT_CHANGES, ACT_DETAIL, ACT_COLOR,
};

struct _PsHistoryPage
{
  PsWizardPage   parent_instance;

  GtkStack      *actions_stack;
  GtkLabel      *actions_empty_label;
  GtkListStore  *actions_store;
  GtkTreeView   *actions_view;
  GtkBox        *details_box;
  GtkStack      *details_stack;
  GtkButton     *export_button;
  GtkButton     *leavers_button;
  GtkLabel      *log_empty_label;
  GtkStack      *log_stack;
  GtkTextView   *log_view;
  GtkLabel      *run_title_label;
  GtkStack      *runs_stack;
  GtkListStore  *runs_store;
  GtkTreeView   *runs_view;
  GtkSpinner    *spinner;
  GtkLabel      *status_label;

  GCancellable  *runs_cancellable;
  GCancellable  *details_cancellable;
  GCancellable  *export_cancellable;
  GCancellable  *leavers_cancellable;
  GPtrArray     *leavers;          /* the last leavers report, for its CSV export */
  guint          pending;          /* jobs on their way: the spinner turns while > 0 */
  gint64         selected_run;     /* 0: none */
  gboolean       selected_dry_run;
  PsRunStatus    selected_status;

  GPtrArray     *fill_rows;        /* actions still to add to the list, or NULL */
  guint          fill_next;
  guint          fill_total;       /* how many the run has */
  guint          fill_id;
};

G_DEFINE_FINAL_TYPE (PsHistoryPage, ps_history_page, PS_TYPE_WIZARD_PAGE)

/* ---------------------------------------------------------------- helpers */

static char *
format_time (gint64 unix_time)
{
  g_autoptr(GDateTime) dt = NULL;

  if (unix_time <= 0)
    return g_strdup ("—");
  dt = g_date_time_new_from_unix_local (unix_time);
  return g_date_time_format (dt, "%Y-%m-%d %H:%M");
}

static char *
format_duration (gint64 seconds)
{
  if (seconds < 0)
    return g_strdup (_("running"));
  if (seconds < 60)
    return g_strdup_printf (_("%lld s"), (long long) seconds);
  if (seconds < 3600)
    return g_strdup_printf (_("%lld min %lld s"), (long long) (seconds / 60), (long long) (seconds % 60));
  return g_strdup_printf (_("%lld h %lld min"), (long long) (seconds / 3600), (long long) ((seconds / 60) % 60));
}

static const char *
status_words (PsRunStatus status)
{
  switch (status)
    {
    case PS_RUN_RUNNING:
      return _("Running");
    case PS_RUN_SUCCEEDED:
      return _("Succeeded");
    case PS_RUN_FAILED:
      return _("Failed");
    case PS_RUN_PAUSED:
      return _("Paused");
    case PS_RUN_CANCELLED:
      return _("Cancelled");
    case PS_RUN_INTERRUPTED:
    default:
      return _("Interrupted");
    }
}

static const char *
status_color (const PsRunInfo *r)
{
  /* A preview wrote nothing and is dimmed, unless it failed: that shows. */
  if (r->dry_run && r->status != PS_RUN_FAILED)
    return COLOR_DIM;
  switch (r->status)
    {
    case PS_RUN_FAILED:
      return COLOR_FAILED;
    case PS_RUN_PAUSED:
    case PS_RUN_INTERRUPTED:
      return COLOR_WARNING;
    case PS_RUN_RUNNING:
    case PS_RUN_SUCCEEDED:
    case PS_RUN_CANCELLED:
    default:
      return NULL;
    }
}

/* An action of the history in words; a preview's are what it would do. */
static const char *
action_words (const char *action,
              gboolean    dry_run)
{
  static const struct {
    const char *action;
    const char *done;
    const char *would;
  } words[] = {
    { "create", N_("created"), N_("would create") },
    { "update", N_("updated"), N_("would update") },
    { "deactivate", N_("deactivated"), N_("would deactivate") },
    { "reactivate", N_("reactivated"), N_("would reactivate") },
    { "link", N_("linked"), N_("would link") },
    { "skip", N_("skipped"), N_("would skip") },
    { "failed", N_("failed"), N_("failed") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    if (g_strcmp0 (action, words[i].action) == 0)
      return dry_run ? _(words[i].would) : _(words[i].done);
  return action;
}

static void
job_started (PsHistoryPage *self)
{
  self->pending++;
  gtk_spinner_start (self->spinner);
}

/* FALSE when the job was cancelled: the page may be going away. */
static gboolean
job_finished (PsHistoryPage *self,
              const GError  *error)
{
  self->pending--;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  if (self->pending == 0)
    gtk_spinner_stop (self->spinner);
  return TRUE;
}

static void
replace_cancellable (GCancellable **cancellable)
{
  if (*cancellable != NULL)
    g_cancellable_cancel (*cancellable);
  g_clear_object (cancellable);
  *cancellable = g_cancellable_new ();
}

/* Stops adding actions to the list, which goes back to its view (empty). */
static void
stop_fill (PsHistoryPage *self)
{
  if (self->fill_rows == NULL)
    return;
  g_clear_handle_id (&self->fill_id, g_source_remove);
  g_clear_pointer (&self->fill_rows, g_ptr_array_unref);
  gtk_list_store_clear (self->actions_store);
  gtk_tree_view_set_model (self->actions_view, GTK_TREE_MODEL (self->actions_store));
  job_finished (self, NULL);
}

static void
clear_details (PsHistoryPage *self,
               const char    *why)
{
  stop_fill (self);
  gtk_list_store_clear (self->actions_store);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->log_view), "", 0);
  gtk_label_set_text (self->actions_empty_label, why);
  gtk_label_set_text (self->log_empty_label, why);
  gtk_stack_set_visible_child_name (self->actions_stack, "empty");
  gtk_stack_set_visible_child_name (self->log_stack, "empty");
}

static void
add_run_row (PsHistoryPage   *self,
             const PsRunInfo *r)
{
  g_autofree char *started = format_time (r->started_at);
  g_autofree char *duration = format_duration (r->finished_at > 0 ? r->finished_at - r->started_at : -1);
  g_autofree char *status = NULL;
  const guint counts[] = { r->created, r->updated, r->deactivated, r->reactivated, r->skipped, r->failed };
  char *cells[G_N_ELEMENTS (counts)];
  const char *color = status_color (r);

  /* A preview wrote nothing: it shows no counts, so nothing looks created. */
  if (r->dry_run)
    status = r->status == PS_RUN_SUCCEEDED
             ? g_strdup (_("Preview: nothing written"))
             /* Translators: a preview's status, e.g. "Preview: Failed" */
             : g_strdup_printf (_("Preview: %s"), status_words (r->status));
  else
    status = g_strdup (status_words (r->status));
  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    cells[i] = r->dry_run ? g_strdup ("") : g_strdup_printf ("%u", counts[i]);

  gtk_list_store_insert_with_values (self->runs_store, NULL, -1,
                                     RUN_ID, r->id, RUN_STARTED, started, RUN_DURATION, duration,
                                     RUN_TRIGGER, r->trigger, RUN_STATUS, status,
                                     RUN_CREATED, cells[0], RUN_UPDATED, cells[1],
                                     RUN_DEACTIVATED, cells[2], RUN_REACTIVATED, cells[3],
                                     RUN_SKIPPED, cells[4], RUN_FAILED, cells[5],
                                     RUN_COLOR, color,
                                     RUN_WEIGHT, color != NULL && g_str_equal (color, COLOR_FAILED)
                                                 ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL,
                                     RUN_DRY_RUN, r->dry_run, RUN_STATE, r->status,
                                     /* Failed records stand out on any run. */
                                     RUN_FAILED_COLOR, r->failed > 0 ? COLOR_FAILED : NULL,
                                     RUN_FAILED_WEIGHT, r->failed > 0 ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL,
                                     -1);
  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    g_free (cells[i]);
}

static gboolean
find_run (PsHistoryPage *self,
          gint64         run_id,
          GtkTreeIter   *iter)
{
  GtkTreeModel *model = GTK_TREE_MODEL (self->runs_store);
  gboolean valid;

  for (valid = gtk_tree_model_get_iter_first (model, iter); valid; valid = gtk_tree_model_iter_next (model, iter))
    {
      gint64 id;

      gtk_tree_model_get (model, iter, RUN_ID, &id, -1);
      if (id == run_id)
        return TRUE;
    }
  return FALSE;
}

static void on_runs_loaded_cb (GObject *source, GAsyncResult *res, gpointer user_data);
static void on_actions_loaded_cb (GObject *source, GAsyncResult *res, gpointer user_data);
static void on_log_loaded_cb (GObject *source, GAsyncResult *res, gpointer user_data);

static void
reload_runs (PsHistoryPage *self)
{
  replace_cancellable (&self->runs_cancellable);
  job_started (self);
  ps_gui_backend_list_runs_async (ps_wizard_page_get_profile (PS_WIZARD_PAGE (self)), MAX_RUNS,
                                  self->runs_cancellable, on_runs_loaded_cb, g_object_ref (self));
}

static void
load_details (PsHistoryPage *self)
{
  PsProfile *profile = ps_wizard_page_get_profile (PS_WIZARD_PAGE (self));

  replace_cancellable (&self->details_cancellable);
  clear_details (self, _("Loading…"));
  job_started (self);
  ps_gui_backend_run_actions_async (profile, self->selected_run, MAX_SHOWN_ROWS,
                                    self->details_cancellable, on_actions_loaded_cb, g_object_ref (self));
  job_started (self);
  ps_gui_backend_run_log_async (profile, self->selected_run, self->details_cancellable,
                                on_log_loaded_cb, g_object_ref (self));
}

/* ---------------------------------------------------------------- leavers */

#define RESPONSE_EXPORT_LEAVERS 1

static void
on_leavers_exported_cb (GObject      *source,
                        GAsyncResult *res,
                        gpointer      user_data)
{
  g_autoptr(PsHistoryPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  guint rows = 0;

  if (!ps_gui_backend_export_leavers_finish (res, &rows, &error))
    {
      if (!job_finished (self, error))
        return;
      message = g_strdup (error->message);
    }
  else
    {
      job_finished (self, NULL);
      message = g_strdup_printf (ngettext ("Exported %u leaver's asset.", "Exported %u leavers' assets.",
                                           rows), rows);
    }
  gtk_label_set_text (self->status_label, message);
}

static void
on_leavers_dialog_response_cb (GtkDialog     *dialog,
                               int            response,
                               PsHistoryPage *self)
{
  g_autoptr(GtkFileChooserNative) chooser = NULL;
  g_autofree char *path = NULL;

  if (response != RESPONSE_EXPORT_LEAVERS)
    {
      gtk_widget_destroy (GTK_WIDGET (dialog));
      return;
    }
  chooser = gtk_file_chooser_native_new (_("Export the Leavers"), GTK_WINDOW (dialog),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_do_overwrite_confirmation (GTK_FILE_CHOOSER (chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), "pandasync-leavers.csv");
  if (gtk_native_dialog_run (GTK_NATIVE_DIALOG (chooser)) != GTK_RESPONSE_ACCEPT)
    return;
  path = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (chooser));
  ps_history_page_export_leavers (self, path);
}

static void
show_leavers (PsHistoryPage *self,
              GPtrArray     *rows)
{
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  GtkWidget *dialog, *scroller, *view, *area;
  g_autoptr(GtkListStore) store = gtk_list_store_new (5, G_TYPE_STRING, G_TYPE_STRING,
                                                      G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  const char *titles[] = { N_("Person"), N_("Email"), N_("Collection"), N_("Asset"), N_("Marked Inactive") };

  for (guint i = 0; i < rows->len; i++)
    {
      PsLeaverAsset *r = g_ptr_array_index (rows, i);
      g_autofree char *asset = g_strdup_printf ("%s (%s)", r->asset != NULL ? r->asset : "", r->asset_id);
      g_autofree char *when = NULL;

      if (r->run_id > 0)
        {
          g_autofree char *time = format_time (r->deactivated_at);
          /* Translators: when a leaver was marked Inactive: the run and its start */
          when = g_strdup_printf (_("run %lld · %s"), (long long) r->run_id, time);
        }
      gtk_list_store_insert_with_values (store, NULL, -1, 0, r->person, 1, r->email,
                                         2, r->collection, 3, asset, 4, when, -1);
    }
  g_clear_pointer (&self->leavers, g_ptr_array_unref);
  self->leavers = g_ptr_array_ref (rows);
  dialog = gtk_dialog_new_with_buttons (_("Leavers With Assets"),
                                        GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                        GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT |
                                        GTK_DIALOG_USE_HEADER_BAR,
                                        NULL, NULL);
  if (rows->len > 0)
    gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Export as CSV…"), RESPONSE_EXPORT_LEAVERS);
  gtk_window_set_default_size (GTK_WINDOW (dialog), 720, 360);
  area = gtk_dialog_get_content_area (GTK_DIALOG (dialog));
  if (rows->len == 0)
    {
      GtkWidget *label = gtk_label_new (_("No one marked Inactive holds an asset."));
      g_object_set (label, "margin", 24, NULL);
      gtk_container_add (GTK_CONTAINER (area), label);
    }
  else
    {
      scroller = gtk_scrolled_window_new (NULL, NULL);
      gtk_widget_set_vexpand (scroller, TRUE);
      view = gtk_tree_view_new_with_model (GTK_TREE_MODEL (store));
      for (guint c = 0; c < G_N_ELEMENTS (titles); c++)
        gtk_tree_view_append_column (GTK_TREE_VIEW (view),
                                     gtk_tree_view_column_new_with_attributes (_(titles[c]),
                                                                               gtk_cell_renderer_text_new (),
                                                                               "text", c, NULL));
      gtk_container_add (GTK_CONTAINER (scroller), view);
      gtk_container_add (GTK_CONTAINER (area), scroller);
    }
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_leavers_dialog_response_cb), self, 0);
  gtk_widget_show_all (dialog);
}

/* ---------------------------------------------------------------- callbacks */

static void
on_runs_loaded_cb (GObject      *source,
                   GAsyncResult *res,
                   gpointer      user_data)
{
  g_autoptr(PsHistoryPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) runs = ps_gui_backend_list_runs_finish (res, &error);
  GtkTreeSelection *selection = gtk_tree_view_get_selection (self->runs_view);
  gint64 keep = self->selected_run;
  GtkTreeIter iter;

  if (!job_finished (self, error))
    return;
  if (runs == NULL)
    {
      gtk_label_set_text (self->status_label, error->message);
      return;
    }
  gtk_list_store_clear (self->runs_store);
  for (guint i = 0; i < runs->len; i++)
    add_run_row (self, g_ptr_array_index (runs, i));
  gtk_stack_set_visible_child_name (self->runs_stack, runs->len > 0 ? "runs" : "empty");
  /* Without a run there are no details to show, nor anything to select. */
  gtk_widget_set_visible (GTK_WIDGET (self->details_box), runs->len > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), runs->len > 0);
  gtk_label_set_text (self->status_label,
                      _("Every run of this profile, newest first. Select one to see what it did to "
                        "each person."));
  /* The details follow the selection: the run shown before, else the newest. */
  if ((keep != 0 && find_run (self, keep, &iter))
      || gtk_tree_model_get_iter_first (GTK_TREE_MODEL (self->runs_store), &iter))
    gtk_tree_selection_select_iter (selection, &iter);
  else
    clear_details (self, _("No sync has run yet."));
}

static gboolean
on_fill_idle_cb (gpointer user_data)
{
  PsHistoryPage *self = user_data;
  guint end = MIN (self->fill_next + FILL_CHUNK, self->fill_rows->len);

  for (; self->fill_next < end; self->fill_next++)
    {
      const PsGuiRunAction *a = g_ptr_array_index (self->fill_rows, self->fill_next);

      gtk_list_store_insert_with_values (self->actions_store, NULL, -1,
                                         ACT_MAPPING, a->mapping,
                                         ACT_ACTION, action_words (a->action, self->selected_dry_run),
                                         ACT_NAME, a->name, ACT_CHANGES, a->changes,
                                         ACT_DETAIL, a->detail,
                                         ACT_COLOR, g_str_equal (a->action, "failed") ? COLOR_FAILED : NULL,
                                         -1);
    }
  if (self->fill_next < self->fill_rows->len)
    return G_SOURCE_CONTINUE;

  self->fill_id = 0;
  gtk_tree_view_set_model (self->actions_view, GTK_TREE_MODEL (self->actions_store));
  gtk_stack_set_visible_child_name (self->actions_stack, "list");
  if (self->fill_total > self->fill_rows->len)
    {
      g_autofree char *note = g_strdup_printf (_("Showing the first %u of %u actions; export the run "
                                                 "as CSV to see them all."), self->fill_rows->len,
                                               self->fill_total);
      gtk_label_set_text (self->status_label, note);
    }
  g_clear_pointer (&self->fill_rows, g_ptr_array_unref);
  job_finished (self, NULL);
  return G_SOURCE_REMOVE;
}

static void
on_actions_loaded_cb (GObject      *source,
                      GAsyncResult *res,
                      gpointer      user_data)
{
  g_autoptr(PsHistoryPage) self = user_data;
  g_autoptr(GError) error = NULL;
  guint total = 0;
  g_autoptr(GPtrArray) rows = ps_gui_backend_run_actions_finish (res, &total, &error);

  if (!job_finished (self, error))
    return;
  if (rows == NULL)
    {
      gtk_label_set_text (self->actions_empty_label, error->message);
      return;
    }
  if (rows->len == 0)
    {
      gtk_label_set_text (self->actions_empty_label,
                          self->selected_dry_run ? _("This preview found nothing to change.")
                          : self->selected_status == PS_RUN_SUCCEEDED
                          ? _("This run changed nothing: Asset Panda was already up to date.")
                          : _("This run wrote nothing. Its log says why."));
      gtk_stack_set_visible_child_name (self->actions_stack, "empty");
      return;
    }
  /* Filled detached from the view, which would otherwise redraw per row, and
   * a chunk per turn of the main loop: 20,000 rows at once kept the window
   * from drawing or answering for about 50 ms. */
  stop_fill (self);
  gtk_tree_view_set_model (self->actions_view, NULL);
  gtk_list_store_clear (self->actions_store);
  /* The spinner turns until the list is whole. */
  job_started (self);
  self->fill_rows = g_steal_pointer (&rows);
  self->fill_next = 0;
  self->fill_total = total;
  self->fill_id = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, on_fill_idle_cb, self, NULL);
  g_source_set_name_by_id (self->fill_id, "[pandasync] history fill");
}

static void
on_log_loaded_cb (GObject      *source,
                  GAsyncResult *res,
                  gpointer      user_data)
{
  g_autoptr(PsHistoryPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) lines = ps_gui_backend_run_log_finish (res, &error);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->log_view);
  GtkTextIter end;

  if (!job_finished (self, error))
    return;
  if (lines == NULL || lines->len == 0)
    {
      gtk_label_set_text (self->log_empty_label, lines == NULL ? error->message
                          : _("This run wrote no log lines."));
      gtk_stack_set_visible_child_name (self->log_stack, "empty");
      return;
    }
  gtk_text_buffer_set_text (buffer, "", 0);
  gtk_text_buffer_get_end_iter (buffer, &end);
  for (guint i = 0; i < lines->len; i++)
    {
      const PsGuiRunLogLine *line = g_ptr_array_index (lines, i);
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (line->time);
      g_autofree char *stamp = g_date_time_format (when, "%H:%M:%S");
      g_autofree char *text = g_strdup_printf ("%s  %-7s  %s%s%s\n", stamp, line->level,
                                               line->mapping != NULL ? line->mapping : "",
                                               line->mapping != NULL ? ": " : "", line->message);
      GtkTextTagTable *tags = gtk_text_buffer_get_tag_table (buffer);

      gtk_text_buffer_insert_with_tags (buffer, &end, text, -1,
                                        gtk_text_tag_table_lookup (tags, line->level) != NULL
                                        ? gtk_text_tag_table_lookup (tags, line->level)
                                        : gtk_text_tag_table_lookup (tags, "info"),
                                        NULL);
    }
  gtk_stack_set_visible_child_name (self->log_stack, "text");
}

static void
on_export_done_cb (GObject      *source,
                   GAsyncResult *res,
                   gpointer      user_data)
{
  g_autoptr(PsHistoryPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  guint rows = 0;

  if (!ps_gui_backend_export_run_finish (res, &rows, &error))
    {
      if (!job_finished (self, error))
        return;
      message = g_strdup (error->message);
    }
  else
    {
      job_finished (self, NULL);
      message = g_strdup_printf (ngettext ("Exported %u action.", "Exported %u actions.", rows), rows);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->export_button), self->selected_run != 0);
  gtk_label_set_text (self->status_label, message);
}

static void
on_leavers_done_cb (GObject      *source,
                    GAsyncResult *res,
                    gpointer      user_data)
{
  g_autoptr(PsHistoryPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = ps_gui_backend_leavers_finish (res, &error);

  if (!job_finished (self, error))
    return;
  gtk_widget_set_sensitive (GTK_WIDGET (self->leavers_button), TRUE);
  if (rows == NULL)
    {
      gtk_label_set_text (self->status_label, error->message);
      return;
    }
  gtk_label_set_text (self->status_label, "");
  show_leavers (self, rows);
}

static void
on_run_selection_changed_cb (GtkTreeSelection *selection,
                             PsHistoryPage    *self)
{
  GtkTreeModel *model;
  GtkTreeIter iter;
  g_autofree char *started = NULL;
  g_autofree char *trigger = NULL;
  g_autofree char *status = NULL;
  g_autofree char *title = NULL;
  int state;

  if (!gtk_tree_selection_get_selected (selection, &model, &iter))
    {
      if (self->details_cancellable != NULL)
        g_cancellable_cancel (self->details_cancellable);
      self->selected_run = 0;
      gtk_label_set_text (self->run_title_label, "");
      gtk_widget_set_sensitive (GTK_WIDGET (self->export_button), FALSE);
      clear_details (self, _("Select a run to see what it did."));
      return;
    }
  gtk_tree_model_get (model, &iter, RUN_ID, &self->selected_run, RUN_STARTED, &started,
                      RUN_TRIGGER, &trigger, RUN_STATUS, &status, RUN_DRY_RUN, &self->selected_dry_run,
                      RUN_STATE, &state, -1);
  self->selected_status = state;
  /* Translators: the heading of the selected run: its number, start, trigger and status */
  title = g_strdup_printf (_("Run %lld · %s · %s · %s"), (long long) self->selected_run, started,
                           trigger, status);
  gtk_label_set_text (self->run_title_label, title);
  gtk_widget_set_sensitive (GTK_WIDGET (self->export_button), TRUE);
  load_details (self);
}

static void
on_refresh_button_clicked_cb (GtkButton     *button,
                              PsHistoryPage *self)
{
  reload_runs (self);
}

static void
on_export_button_clicked_cb (GtkButton     *button,
                             PsHistoryPage *self)
{
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  g_autoptr(GtkFileChooserNative) chooser = NULL;
  g_autofree char *name = g_strdup_printf ("pandasync-run-%" G_GINT64_FORMAT ".csv", self->selected_run);
  g_autofree char *path = NULL;

  if (self->selected_run == 0)
    return;
  chooser = gtk_file_chooser_native_new (_("Export the Run"),
                                         GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_do_overwrite_confirmation (GTK_FILE_CHOOSER (chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  if (gtk_native_dialog_run (GTK_NATIVE_DIALOG (chooser)) != GTK_RESPONSE_ACCEPT)
    return;
  path = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (chooser));
  ps_history_page_export_run (self, self->selected_run, path);
}

static void
on_leavers_button_clicked_cb (GtkButton     *button,
                              PsHistoryPage *self)
{
  replace_cancellable (&self->leavers_cancellable);
  gtk_widget_set_sensitive (GTK_WIDGET (self->leavers_button), FALSE);
  gtk_label_set_text (self->status_label, _("Looking for leavers who still hold assets…"));
  job_started (self);
  ps_gui_backend_leavers_async (ps_wizard_page_get_profile (PS_WIZARD_PAGE (self)),
                                self->leavers_cancellable, on_leavers_done_cb, g_object_ref (self));
}

/* ---------------------------------------------------------------- overrides */

static void
ps_history_page_shown (PsWizardPage *page)
{
  reload_runs (PS_HISTORY_PAGE (page));
}

static void
ps_history_page_dispose (GObject *object)
{
  PsHistoryPage *self = PS_HISTORY_PAGE (object);
  GCancellable **all[] = { &self->runs_cancellable, &self->details_cancellable,
                           &self->export_cancellable, &self->leavers_cancellable };

  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    {
      if (*all[i] != NULL)
        g_cancellable_cancel (*all[i]);
      g_clear_object (all[i]);
    }
  g_clear_pointer (&self->leavers, g_ptr_array_unref);
  g_clear_handle_id (&self->fill_id, g_source_remove);
  g_clear_pointer (&self->fill_rows, g_ptr_array_unref);

  G_OBJECT_CLASS (ps_history_page_parent_class)->dispose (object);
}

static void
ps_history_page_class_init (PsHistoryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  PsWizardPageClass *page_class = PS_WIZARD_PAGE_CLASS (klass);

  object_class->dispose = ps_history_page_dispose;
  page_class->page_id = "history";
  page_class->shown = ps_history_page_shown;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/pages/ps-history-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PsHistoryPage, actions_empty_label);
  gtk_widget_class_bind_template_child (widget_class, PsHistoryPage, actions_stack);
  gtk_widget_class_bind_template_child (widget_class, PsHistoryPage, actions_store);
  gtk_widget_class_bind_template_child (widget_class, PsHistoryPage, actions_view);
  gtk_widget_class_bind_template_child (widget_class, PsHistoryPage, details_box);
  gtk_widget_class_bind_template_child (widget_class, PsHistoryPage, details_stack);
  gtk_widget_class_bind_template_child (widget_class, PsHistoryPage, export_button);
  gtk_widget_class_bind_template_child (widget_class, PsHistoryPage, leavers_button);
  gtk_widget_class_bind_template_child (widget_class, PsHistoryPage, log_empty_label);
  gtk_widget_class_bind_template_child (widget_class, PsHistoryPage, log_stack);
  gtk_widget_class_bind_template_child (widget_class, PsHistoryPage, log_view);
  gtk_widget_class_bind_template_child (widget_class, PsHistoryPage, run_title_label);
  gtk_widget_class_bind_template_child (widget_class, PsHistoryPage, runs_stack);
  gtk_widget_class_bind_template_child (widget_class, PsHistoryPage, runs_store);
  gtk_widget_class_bind_template_child (widget_class, PsHistoryPage, runs_view);
  gtk_widget_class_bind_template_child (widget_class, PsHistoryPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, PsHistoryPage, status_label);
  gtk_widget_class_bind_template_callback (widget_class, on_export_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_leavers_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_refresh_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_run_selection_changed_cb);
}

static void
ps_history_page_init (PsHistoryPage *self)
{
  GtkTextBuffer *buffer;

  gtk_widget_init_template (GTK_WIDGET (self));
  ps_wizard_page_set_title (PS_WIZARD_PAGE (self), _("History"));
  /* Not part of the wizard: always complete, no forward button. */
  ps_wizard_page_set_complete (PS_WIZARD_PAGE (self), TRUE);

  buffer = gtk_text_view_get_buffer (self->log_view);
  gtk_text_buffer_create_tag (buffer, "info", NULL);
  gtk_text_buffer_create_tag (buffer, "warning", "foreground", COLOR_WARNING, NULL);
  gtk_text_buffer_create_tag (buffer, "error", "foreground", COLOR_FAILED, "weight", PANGO_WEIGHT_BOLD, NULL);
  clear_details (self, _("Select a run to see what it did."));
}

/* ---------------------------------------------------------------- public API */

PsWizardPage *
ps_history_page_new (PsProfile *profile)
{
  return g_object_new (PS_TYPE_HISTORY_PAGE, "profile", profile, NULL);
}

/* Writes run @run_id's actions to @path as CSV, in a worker; the status line
 * says how many when it is done. */
void
ps_history_page_export_run (PsHistoryPage *self,
                            gint64         run_id,
                            const char    *path)
{
  g_return_if_fail (PS_IS_HISTORY_PAGE (self));
  g_return_if_fail (path != NULL);

  replace_cancellable (&self->export_cancellable);
  gtk_widget_set_sensitive (GTK_WIDGET (self->export_button), FALSE);
  gtk_label_set_text (self->status_label, _("Exporting the run…"));
  job_started (self);
  ps_gui_backend_export_run_async (ps_wizard_page_get_profile (PS_WIZARD_PAGE (self)), run_id, path,
                                   self->export_cancellable, on_export_done_cb, g_object_ref (self));
}

/* Writes the last leavers report to @path as CSV, in a worker; the status
 * line says how many rows when it is done. FALSE when there is no report. */
gboolean
ps_history_page_export_leavers (PsHistoryPage *self,
                                const char    *path)
{
  g_return_val_if_fail (PS_IS_HISTORY_PAGE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (self->leavers == NULL)
    return FALSE;
  replace_cancellable (&self->export_cancellable);
  gtk_label_set_text (self->status_label, _("Exporting the leavers…"));
  job_started (self);
  ps_gui_backend_export_leavers_async (self->leavers, path, self->export_cancellable,
                                       on_leavers_exported_cb, g_object_ref (self));
  return TRUE;
}
