/* ps-history-page.c — past runs, what each did, and the leavers report
 *
 * The runs list is small and read directly; a run's actions (up to one per
 * person) and the leavers report are read in worker threads.
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "ps-engine.h"
#include "ps-history-page.h"
#include "ps-report.h"
#include "ps-state.h"

#define MAX_RUNS         500
#define MAX_SHOWN_ROWS   20000

enum {
  RUN_ID, RUN_STARTED, RUN_DURATION, RUN_TRIGGER, RUN_STATUS, RUN_CREATED, RUN_UPDATED,
  RUN_DEACTIVATED, RUN_REACTIVATED, RUN_SKIPPED, RUN_FAILED,
};

enum {
  ACT_MAPPING, ACT_ACTION, ACT_NAME, ACT_CHANGES, ACT_DETAIL, ACT_N_COLUMNS
};

struct _PsHistoryPage
{
  PsWizardPage   parent_instance;

  GtkListStore  *actions_store;
  GtkButton     *export_button;
  GtkButton     *leavers_button;
  GtkListStore  *runs_store;
  GtkTreeView   *runs_view;
  GtkLabel      *status_label;

  GCancellable  *actions_cancellable;
  GCancellable  *leavers_cancellable;
  gint64         selected_run;
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

static PsState *
open_state (PsProfile  *profile,
            GError    **error)
{
  g_autofree char *path = ps_profile_dup_state_path (profile);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;
  return ps_state_open (path, error);
}

static void
reload_runs (PsHistoryPage *self)
{
  PsProfile *profile = ps_wizard_page_get_profile (PS_WIZARD_PAGE (self));
  g_autoptr(GError) error = NULL;
  g_autoptr(PsState) state = open_state (profile, &error);
  g_autoptr(GPtrArray) runs = NULL;

  gtk_list_store_clear (self->runs_store);
  if (state == NULL)
    {
      gtk_label_set_text (self->status_label, error != NULL ? error->message
                          : _("No sync has run yet. Start one from the Sync page."));
      return;
    }
  runs = ps_state_list_runs (state, MAX_RUNS, &error);
  if (runs == NULL)
    {
      gtk_label_set_text (self->status_label, error->message);
      return;
    }
  for (guint i = 0; i < runs->len; i++)
    {
      PsRunInfo *r = g_ptr_array_index (runs, i);
      g_autofree char *started = format_time (r->started_at);
      g_autofree char *duration = format_duration (r->finished_at > 0 ? r->finished_at - r->started_at : -1);
      /* A preview's counts are what it would have done: say so. */
      g_autofree char *status = r->dry_run
        ? g_strdup_printf (_("preview, nothing written (%s)"), ps_run_status_to_string (r->status))
        : g_strdup (ps_run_status_to_string (r->status));

      gtk_list_store_insert_with_values (self->runs_store, NULL, -1,
                                         RUN_ID, r->id, RUN_STARTED, started, RUN_DURATION, duration,
                                         RUN_TRIGGER, r->trigger, RUN_STATUS, status,
                                         RUN_CREATED, r->created, RUN_UPDATED, r->updated,
                                         RUN_DEACTIVATED, r->deactivated, RUN_REACTIVATED, r->reactivated,
                                         RUN_SKIPPED, r->skipped, RUN_FAILED, r->failed, -1);
    }
  gtk_label_set_text (self->status_label, runs->len > 0
                      ? _("Every run of this profile, newest first. Select one to see what it did to each person.")
                      : _("No sync has run yet. Start one from the Sync page."));
}

/* "field: old → new; …" from the history's JSON. */
static char *
describe_changes (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GString) out = g_string_new (NULL);
  JsonArray *changes;

  if (json == NULL || !json_parser_load_from_data (parser, json, -1, NULL)
      || !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    return g_strdup (json);
  changes = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (changes); i++)
    {
      JsonObject *c = json_array_get_object_element (changes, i);
      const char *old_value = json_object_get_string_member_with_default (c, "old", NULL);

      if (c == NULL)
        continue;
      g_string_append_printf (out, "%s%s: %s%s%s", out->len > 0 ? "; " : "",
                              json_object_get_string_member_with_default (c, "field", "?"),
                              old_value != NULL ? old_value : "",
                              old_value != NULL ? " → " : "",
                              json_object_get_string_member_with_default (c, "new", ""));
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

typedef struct {
  PsProfile *profile;
  gint64     run_id;
  char      *path;     /* export: where to write */
} ActionsJob;

static void
actions_job_free (ActionsJob *job)
{
  g_object_unref (job->profile);
  g_free (job->path);
  g_free (job);
}

static void
collect_action_cb (const char *const *row,
                   gpointer           user_data)
{
  GPtrArray *rows = user_data;
  char **cells = g_new0 (char *, ACT_N_COLUMNS + 1);

  cells[ACT_MAPPING] = g_strdup (row[0]);
  cells[ACT_ACTION] = g_strdup (row[1]);
  cells[ACT_NAME] = g_strdup (row[4] != NULL ? row[4] : row[2]);
  cells[ACT_CHANGES] = describe_changes (row[5]);
  cells[ACT_DETAIL] = g_strdup (row[6]);
  for (guint i = 0; i < ACT_N_COLUMNS; i++)
    if (cells[i] == NULL)
      cells[i] = g_strdup ("");
  g_ptr_array_add (rows, cells);
}

static void
load_actions_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  ActionsJob *job = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsState) state = open_state (job->profile, &error);
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  if (state == NULL)
    {
      g_task_return_error (task, error != NULL ? g_steal_pointer (&error)
                           : g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("No history yet")));
      return;
    }
  if (!ps_state_foreach_action (state, job->run_id, collect_action_cb, rows, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (job->path != NULL)
    {
      g_autoptr(GString) csv = g_string_new ("\"mapping\",\"action\",\"person\",\"changes\",\"detail\"\r\n");

      for (guint i = 0; i < rows->len; i++)
        {
          char **cells = g_ptr_array_index (rows, i);
          for (guint k = 0; k < ACT_N_COLUMNS; k++)
            {
              g_autoptr(GString) cell = g_string_new (cells[k]);
              g_string_replace (cell, "\"", "\"\"", 0);
              if (strchr ("=+-@", cell->str[0]) != NULL && cell->len > 0)
                g_string_prepend_c (cell, '\'');
              g_string_append_printf (csv, "\"%s\"%s", cell->str, k + 1 < ACT_N_COLUMNS ? "," : "\r\n");
            }
        }
      if (!g_file_set_contents (job->path, csv->str, csv->len, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }
  g_task_return_pointer (task, g_steal_pointer (&rows), (GDestroyNotify) g_ptr_array_unref);
}

static void
on_actions_loaded_cb (GObject      *source,
                      GAsyncResult *res,
                      gpointer      user_data)
{
  PsHistoryPage *self = PS_HISTORY_PAGE (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = g_task_propagate_pointer (G_TASK (res), &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (rows == NULL)
    {
      gtk_label_set_text (self->status_label, error->message);
      return;
    }
  gtk_list_store_clear (self->actions_store);
  for (guint i = 0; i < rows->len && i < MAX_SHOWN_ROWS; i++)
    {
      char **c = g_ptr_array_index (rows, i);
      gtk_list_store_insert_with_values (self->actions_store, NULL, -1,
                                         ACT_MAPPING, c[ACT_MAPPING], ACT_ACTION, c[ACT_ACTION],
                                         ACT_NAME, c[ACT_NAME], ACT_CHANGES, c[ACT_CHANGES],
                                         ACT_DETAIL, c[ACT_DETAIL], -1);
    }
  if (rows->len > MAX_SHOWN_ROWS)
    {
      g_autofree char *note = g_strdup_printf (_("Showing the first %u of %u actions; export the run "
                                                 "as CSV to see them all."), MAX_SHOWN_ROWS, rows->len);
      gtk_label_set_text (self->status_label, note);
    }
}

static void
on_export_done_cb (GObject      *source,
                   GAsyncResult *res,
                   gpointer      user_data)
{
  PsHistoryPage *self = PS_HISTORY_PAGE (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = g_task_propagate_pointer (G_TASK (res), &error);
  g_autofree char *message = NULL;

  if (rows == NULL)
    message = g_strdup (error->message);
  else
    message = g_strdup_printf (ngettext ("Exported %u action.", "Exported %u actions.", rows->len), rows->len);
  gtk_label_set_text (self->status_label, message);
}

static void
start_actions_job (PsHistoryPage       *self,
                   const char          *path,
                   GAsyncReadyCallback  callback)
{
  ActionsJob *job = g_new0 (ActionsJob, 1);
  g_autoptr(GTask) task = NULL;

  if (self->actions_cancellable != NULL)
    g_cancellable_cancel (self->actions_cancellable);
  g_clear_object (&self->actions_cancellable);
  self->actions_cancellable = g_cancellable_new ();

  job->profile = g_object_ref (ps_wizard_page_get_profile (PS_WIZARD_PAGE (self)));
  job->run_id = self->selected_run;
  job->path = g_strdup (path);
  task = g_task_new (self, self->actions_cancellable, callback, NULL);
  g_task_set_source_tag (task, start_actions_job);
  g_task_set_task_data (task, job, (GDestroyNotify) actions_job_free);
  g_task_run_in_thread (task, load_actions_thread);
}

/* ---------------------------------------------------------------- leavers */

static void
leavers_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *rows = ps_report_leavers_sync (task_data, cancellable, &error);

  if (rows == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, rows, (GDestroyNotify) g_ptr_array_unref);
}

static void
show_leavers (PsHistoryPage *self,
              GPtrArray     *rows)
{
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  GtkWidget *dialog, *scroller, *view, *area;
  g_autoptr(GtkListStore) store = gtk_list_store_new (4, G_TYPE_STRING, G_TYPE_STRING,
                                                      G_TYPE_STRING, G_TYPE_STRING);
  const char *titles[] = { N_("Person"), N_("Email"), N_("Collection"), N_("Asset") };

  for (guint i = 0; i < rows->len; i++)
    {
      PsLeaverAsset *r = g_ptr_array_index (rows, i);
      g_autofree char *asset = g_strdup_printf ("%s (%s)", r->asset != NULL ? r->asset : "", r->asset_id);
      gtk_list_store_insert_with_values (store, NULL, -1, 0, r->person, 1, r->email,
                                         2, r->collection, 3, asset, -1);
    }
  dialog = gtk_dialog_new_with_buttons (_("Leavers With Assets"),
                                        GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                        GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT |
                                        GTK_DIALOG_USE_HEADER_BAR,
                                        NULL, NULL);
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
  g_signal_connect (dialog, "response", G_CALLBACK (gtk_widget_destroy), NULL);
  gtk_widget_show_all (dialog);
}

static void
on_leavers_done_cb (GObject      *source,
                    GAsyncResult *res,
                    gpointer      user_data)
{
  PsHistoryPage *self = PS_HISTORY_PAGE (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = g_task_propagate_pointer (G_TASK (res), &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
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

/* ---------------------------------------------------------------- callbacks */

static void
on_run_selection_changed_cb (GtkTreeSelection *selection,
                             PsHistoryPage    *self)
{
  GtkTreeModel *model;
  GtkTreeIter iter;

  gtk_list_store_clear (self->actions_store);
  if (!gtk_tree_selection_get_selected (selection, &model, &iter))
    {
      gtk_widget_set_sensitive (GTK_WIDGET (self->export_button), FALSE);
      return;
    }
  gtk_tree_model_get (model, &iter, RUN_ID, &self->selected_run, -1);
  gtk_widget_set_sensitive (GTK_WIDGET (self->export_button), TRUE);
  start_actions_job (self, NULL, on_actions_loaded_cb);
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

  chooser = gtk_file_chooser_native_new (_("Export the Run"),
                                         GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_do_overwrite_confirmation (GTK_FILE_CHOOSER (chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  if (gtk_native_dialog_run (GTK_NATIVE_DIALOG (chooser)) != GTK_RESPONSE_ACCEPT)
    return;
  path = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (chooser));
  start_actions_job (self, path, on_export_done_cb);
}

static void
on_leavers_button_clicked_cb (GtkButton     *button,
                              PsHistoryPage *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->leavers_cancellable != NULL)
    g_cancellable_cancel (self->leavers_cancellable);
  g_clear_object (&self->leavers_cancellable);
  self->leavers_cancellable = g_cancellable_new ();
  gtk_widget_set_sensitive (GTK_WIDGET (self->leavers_button), FALSE);
  gtk_label_set_text (self->status_label, _("Looking for leavers who still hold assets…"));
  task = g_task_new (self, self->leavers_cancellable, on_leavers_done_cb, NULL);
  g_task_set_source_tag (task, on_leavers_button_clicked_cb);
  g_task_set_task_data (task, g_object_ref (ps_wizard_page_get_profile (PS_WIZARD_PAGE (self))),
                        g_object_unref);
  g_task_run_in_thread (task, leavers_thread);
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

  if (self->actions_cancellable != NULL)
    g_cancellable_cancel (self->actions_cancellable);
  if (self->leavers_cancellable != NULL)
    g_cancellable_cancel (self->leavers_cancellable);
  g_clear_object (&self->actions_cancellable);
  g_clear_object (&self->leavers_cancellable);

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
  gtk_widget_class_bind_template_child (widget_class, PsHistoryPage, actions_store);
  gtk_widget_class_bind_template_child (widget_class, PsHistoryPage, export_button);
  gtk_widget_class_bind_template_child (widget_class, PsHistoryPage, leavers_button);
  gtk_widget_class_bind_template_child (widget_class, PsHistoryPage, runs_store);
  gtk_widget_class_bind_template_child (widget_class, PsHistoryPage, runs_view);
  gtk_widget_class_bind_template_child (widget_class, PsHistoryPage, status_label);
  gtk_widget_class_bind_template_callback (widget_class, on_export_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_leavers_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_refresh_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_run_selection_changed_cb);
}

static void
ps_history_page_init (PsHistoryPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  ps_wizard_page_set_title (PS_WIZARD_PAGE (self), _("History"));
  /* Not part of the wizard: always complete, no forward button. */
  ps_wizard_page_set_complete (PS_WIZARD_PAGE (self), TRUE);
}

/* ---------------------------------------------------------------- public API */

PsWizardPage *
ps_history_page_new (PsProfile *profile)
{
  return g_object_new (PS_TYPE_HISTORY_PAGE, "profile", profile, NULL);
}
