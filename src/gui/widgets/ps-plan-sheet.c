/* ps-plan-sheet.c — what a plan will do, in plain words, before it is applied
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib/gi18n.h>

#include "ps-plan-sheet.h"

enum {
  RESPONSE_APPLY = 1,
  RESPONSE_REVIEW = 2,
  RESPONSE_DISMISS = 3,
};

struct _PsPlanSheet
{
  GtkRevealer  parent_instance;

  GtkButton   *apply_button;
  GtkButton   *dismiss_button;
  GtkInfoBar  *info_bar;
  GtkLabel    *intro_label;
  GtkGrid     *lines_grid;
  GtkButton   *review_button;
  GtkLabel    *title_label;

  PsPlan      *plan;
  char        *released;
};

G_DEFINE_FINAL_TYPE (PsPlanSheet, ps_plan_sheet, GTK_TYPE_REVEALER)

enum {
  SIGNAL_APPLY,
  SIGNAL_REVIEW,
  SIGNAL_DISMISSED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* ---------------------------------------------------------------- helpers */

static guint
count_writes (const PsMappingPlan *plan)
{
  return ps_mapping_plan_count (plan, PS_ACTION_CREATE) + ps_mapping_plan_count (plan, PS_ACTION_UPDATE)
         + ps_mapping_plan_count (plan, PS_ACTION_DEACTIVATE)
         + ps_mapping_plan_count (plan, PS_ACTION_REACTIVATE);
}

/* "invite 3 people" → "Invite 3 people" */
static char *
capitalize (const char *text)
{
  gunichar first = g_utf8_get_char (text);
  char buffer[8] = { 0 };

  g_unichar_to_utf8 (g_unichar_totitle (first), buffer);
  return g_strconcat (buffer, g_utf8_next_char (text), NULL);
}

static GtkWidget *
new_label (const char *text,
           gboolean    bold,
           gboolean    dim)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_yalign (GTK_LABEL (label), 0);
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 80);
  if (bold)
    {
      PangoAttrList *attrs = pango_attr_list_new ();
      pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
      gtk_label_set_attributes (GTK_LABEL (label), attrs);
      pango_attr_list_unref (attrs);
    }
  if (dim)
    gtk_style_context_add_class (gtk_widget_get_style_context (label), "dim-label");
  gtk_widget_show (label);
  return label;
}

/* The sentence for one mapping: what it writes, or why it writes nothing. */
static char *
describe_outcome (const PsMappingPlan *mp)
{
  switch (mp->status)
    {
    case PS_MAPPING_PLAN_PAUSED:
      /* Translators: a paused mapping in the plan, e.g. "Paused: 20 to deactivate, limit 15" */
      return g_strdup_printf (_("Paused: %u to deactivate, limit %u. Nothing is written for it."),
                              ps_mapping_plan_count (mp, PS_ACTION_DEACTIVATE), mp->threshold);
    case PS_MAPPING_PLAN_FAILED:
      /* Translators: a mapping that could not be planned, and why */
      return g_strdup_printf (_("Cannot be synced: %s"), mp->message != NULL ? mp->message : "");
    case PS_MAPPING_PLAN_DISABLED:
      return g_strdup (_("Turned off"));
    case PS_MAPPING_PLAN_READY:
    default:
      {
        char *writes = ps_plan_describe_writes (mp);
        return writes != NULL ? writes : g_strdup (_("Nothing to change: already up to date"));
      }
    }
}

static void
clear_grid (PsPlanSheet *self)
{
  g_autoptr(GList) children = gtk_container_get_children (GTK_CONTAINER (self->lines_grid));

  for (GList *l = children; l != NULL; l = l->next)
    gtk_widget_destroy (l->data);
}

/* ---------------------------------------------------------------- callbacks */

static void
on_info_bar_response_cb (PsPlanSheet *self,
                         int          response)
{
  switch (response)
    {
    case RESPONSE_APPLY:
      g_signal_emit (self, signals[SIGNAL_APPLY], 0);
      break;
    case RESPONSE_REVIEW:
      g_signal_emit (self, signals[SIGNAL_REVIEW], 0);
      break;
    case RESPONSE_DISMISS:
    default:
      ps_plan_sheet_dismiss (self);
      g_signal_emit (self, signals[SIGNAL_DISMISSED], 0);
      break;
    }
}

/* ---------------------------------------------------------------- overrides */

static void
ps_plan_sheet_finalize (GObject *object)
{
  PsPlanSheet *self = PS_PLAN_SHEET (object);

  g_clear_pointer (&self->plan, ps_plan_free);
  g_free (self->released);
  G_OBJECT_CLASS (ps_plan_sheet_parent_class)->finalize (object);
}

static void
ps_plan_sheet_class_init (PsPlanSheetClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = ps_plan_sheet_finalize;

  /* Apply exactly the plan the sheet shows. */
  signals[SIGNAL_APPLY] = g_signal_new ("apply", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* Open the plan in the Preview. */
  signals[SIGNAL_REVIEW] = g_signal_new ("review", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* Not Now: the plan was put away, nothing written. */
  signals[SIGNAL_DISMISSED] = g_signal_new ("dismissed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                            0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/widgets/ps-plan-sheet.ui");
  gtk_widget_class_bind_template_child (widget_class, PsPlanSheet, apply_button);
  gtk_widget_class_bind_template_child (widget_class, PsPlanSheet, dismiss_button);
  gtk_widget_class_bind_template_child (widget_class, PsPlanSheet, info_bar);
  gtk_widget_class_bind_template_child (widget_class, PsPlanSheet, intro_label);
  gtk_widget_class_bind_template_child (widget_class, PsPlanSheet, lines_grid);
  gtk_widget_class_bind_template_child (widget_class, PsPlanSheet, review_button);
  gtk_widget_class_bind_template_child (widget_class, PsPlanSheet, title_label);
  gtk_widget_class_bind_template_callback (widget_class, on_info_bar_response_cb);
}

static void
ps_plan_sheet_init (PsPlanSheet *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_no_show_all (GTK_WIDGET (self), TRUE);
  gtk_widget_hide (GTK_WIDGET (self));
}

/* ---------------------------------------------------------------- public API */

GtkWidget *
ps_plan_sheet_new (void)
{
  return g_object_new (PS_TYPE_PLAN_SHEET, NULL);
}

void
ps_plan_sheet_show (PsPlanSheet *self,
                    PsPlan      *plan,
                    GHashTable  *applied,
                    const char  *released)
{
  g_autofree char *risks = NULL;
  int row = 0;

  g_return_if_fail (PS_IS_PLAN_SHEET (self));
  g_return_if_fail (plan != NULL);

  g_clear_pointer (&self->plan, ps_plan_free);
  g_free (self->released);
  self->plan = plan;
  self->released = g_strdup (released);

  clear_grid (self);
  for (guint i = 0; i < plan->mappings->len; i++)
    {
      const PsMappingPlan *mp = g_ptr_array_index (plan->mappings, i);
      g_autofree char *outcome = describe_outcome (mp);
      g_autofree char *why = ps_plan_describe_mapping_risks (mp, applied, released);

      if (mp->status == PS_MAPPING_PLAN_DISABLED)
        continue;
      gtk_grid_attach (self->lines_grid, new_label (mp->name, TRUE, FALSE), 0, row, 1, 1);
      gtk_grid_attach (self->lines_grid, new_label (outcome, FALSE, FALSE), 1, row, 1, 1);
      row++;
      if (why != NULL)
        {
          gtk_grid_attach (self->lines_grid, new_label (why, FALSE, TRUE), 1, row, 1, 1);
          row++;
        }
    }

  risks = ps_plan_describe_risks (plan, applied, released);
  if (released != NULL)
    {
      gtk_label_set_text (self->title_label, _("Allow deactivations over the limit, once?"));
      gtk_label_set_text (self->intro_label,
                          _("Only this mapping runs, and only this once; its limit applies again "
                            "from the next run. Nothing has been written yet."));
    }
  else
    {
      gtk_label_set_text (self->title_label, _("Check what this sync will do"));
      gtk_label_set_text (self->intro_label,
                          risks != NULL
                          ? _("Some of it cannot simply be undone, so nothing has been written yet. "
                              "Apply makes exactly these changes; Review lists them person by person.")
                          : _("Nothing has been written yet. Apply makes exactly these changes; Review "
                              "lists them person by person."));
    }
  gtk_info_bar_set_message_type (self->info_bar, released != NULL ? GTK_MESSAGE_WARNING : GTK_MESSAGE_QUESTION);
  gtk_widget_set_no_show_all (GTK_WIDGET (self), FALSE);
  gtk_widget_show (GTK_WIDGET (self));
  gtk_revealer_set_reveal_child (GTK_REVEALER (self), TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->apply_button));
}

void
ps_plan_sheet_dismiss (PsPlanSheet *self)
{
  g_return_if_fail (PS_IS_PLAN_SHEET (self));

  gtk_revealer_set_reveal_child (GTK_REVEALER (self), FALSE);
  gtk_widget_hide (GTK_WIDGET (self));
  gtk_widget_set_no_show_all (GTK_WIDGET (self), TRUE);
  g_clear_pointer (&self->plan, ps_plan_free);
  g_clear_pointer (&self->released, g_free);
  clear_grid (self);
}

gboolean
ps_plan_sheet_is_shown (PsPlanSheet *self)
{
  g_return_val_if_fail (PS_IS_PLAN_SHEET (self), FALSE);
  return self->plan != NULL && gtk_revealer_get_reveal_child (GTK_REVEALER (self));
}

PsPlan *
ps_plan_sheet_get_plan (PsPlanSheet *self)
{
  g_return_val_if_fail (PS_IS_PLAN_SHEET (self), NULL);
  return self->plan;
}

PsPlan *
ps_plan_sheet_steal_plan (PsPlanSheet *self)
{
  g_return_val_if_fail (PS_IS_PLAN_SHEET (self), NULL);
  return g_steal_pointer (&self->plan);
}

const char *
ps_plan_sheet_get_released (PsPlanSheet *self)
{
  g_return_val_if_fail (PS_IS_PLAN_SHEET (self), NULL);
  return self->released;
}

char *
ps_plan_sheet_dup_text (PsPlanSheet *self)
{
  g_autoptr(GString) text = NULL;
  int row;

  g_return_val_if_fail (PS_IS_PLAN_SHEET (self), NULL);
  text = g_string_new (gtk_label_get_text (self->title_label));
  g_string_append_printf (text, "\n%s", gtk_label_get_text (self->intro_label));
  for (row = 0; gtk_grid_get_child_at (self->lines_grid, 1, row) != NULL; row++)
    {
      GtkWidget *name = gtk_grid_get_child_at (self->lines_grid, 0, row);
      GtkWidget *line = gtk_grid_get_child_at (self->lines_grid, 1, row);

      g_string_append_printf (text, "\n%s%s%s", name != NULL ? gtk_label_get_text (GTK_LABEL (name)) : "",
                              name != NULL ? ": " : "  ", gtk_label_get_text (GTK_LABEL (line)));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

char *
ps_plan_describe_writes (const PsMappingPlan *plan)
{
  gboolean users = plan->kind == PS_MAPPING_USERS;
  guint create = ps_mapping_plan_count (plan, PS_ACTION_CREATE);
  guint update = ps_mapping_plan_count (plan, PS_ACTION_UPDATE);
  guint deactivate = ps_mapping_plan_count (plan, PS_ACTION_DEACTIVATE);
  guint reactivate = ps_mapping_plan_count (plan, PS_ACTION_REACTIVATE);
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *joined = NULL;

  if (create > 0)
    g_ptr_array_add (parts, users
                     ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "invite %u person",
                                                     "invite %u people", create), create)
                     : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "create %u record",
                                                     "create %u records", create), create));
  if (update > 0)
    g_ptr_array_add (parts, users
                     ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "update %u user",
                                                     "update %u users", update), update)
                     : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "update %u record",
                                                     "update %u records", update), update));
  if (deactivate > 0)
    g_ptr_array_add (parts, users
                     ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "deactivate %u user",
                                                     "deactivate %u users", deactivate), deactivate)
                     : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "deactivate %u record",
                                                     "deactivate %u records", deactivate), deactivate));
  if (reactivate > 0)
    g_ptr_array_add (parts, users
                     ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "reactivate %u user",
                                                     "reactivate %u users", reactivate), reactivate)
                     : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "reactivate %u record",
                                                     "reactivate %u records", reactivate), reactivate));
  if (parts->len == 0)
    return NULL;
  g_ptr_array_add (parts, NULL);
  /* Translators: the separator between the parts of "invite 3 people, deactivate 2" */
  joined = g_strjoinv (_(", "), (char **) parts->pdata);
  return capitalize (joined);
}

char *
ps_plan_describe_mapping_risks (const PsMappingPlan *plan,
                                GHashTable          *applied,
                                const char          *released)
{
  g_autoptr(GPtrArray) reasons = g_ptr_array_new_with_free_func (g_free);
  guint invites = plan->kind == PS_MAPPING_USERS ? ps_mapping_plan_count (plan, PS_ACTION_CREATE) : 0;
  guint deactivate = ps_mapping_plan_count (plan, PS_ACTION_DEACTIVATE);

  if (plan->status != PS_MAPPING_PLAN_READY || count_writes (plan) == 0)
    return NULL;
  if (applied == NULL || !g_hash_table_contains (applied, plan->name))
    g_ptr_array_add (reasons, g_strdup (_("The first sync of this mapping.")));
  if (invites > 0)
    g_ptr_array_add (reasons, g_strdup (_("Asset Panda emails each invitation at once; an invitation "
                                          "cannot be taken back.")));
  if (released != NULL && g_strcmp0 (released, plan->name) == 0 && deactivate > 0)
    g_ptr_array_add (reasons, plan->threshold > 0 && deactivate > plan->threshold
                     ? g_strdup_printf (_("%u deactivations, over the limit of %u: allowed for this run "
                                          "only."), deactivate, plan->threshold)
                     : g_strdup_printf (_("%u deactivations held back before: allowed for this run "
                                          "only."), deactivate));
  if (reasons->len == 0)
    return NULL;
  g_ptr_array_add (reasons, NULL);
  return g_strjoinv (" ", (char **) reasons->pdata);
}

char *
ps_plan_describe_risks (const PsPlan *plan,
                        GHashTable   *applied,
                        const char   *released)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < plan->mappings->len; i++)
    {
      const PsMappingPlan *mp = g_ptr_array_index (plan->mappings, i);
      g_autofree char *why = ps_plan_describe_mapping_risks (mp, applied, released);

      if (why != NULL)
        g_string_append_printf (out, "%s%s: %s", out->len > 0 ? "\n" : "", mp->name, why);
    }
  if (out->len == 0)
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}
