/* ps-mapping-card.c — one mapping's card on the Sync page
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib/gi18n.h>

#include "ps-mapping-card.h"

struct _PsMappingCard
{
  GtkListBoxRow   parent_instance;

  GtkButton      *allow_button;
  GtkProgressBar *bar;
  GtkLabel       *counts_label;
  GtkBox         *paused_box;
  GtkLabel       *paused_label;
  GtkButton      *review_button;
  GtkLabel       *status_label;
  GtkLabel       *title_label;

  char           *name;
  gint64          first_progress_us;
  guint           done;
  guint           total;
  gboolean        finished;
  gboolean        cancelled;
};

G_DEFINE_FINAL_TYPE (PsMappingCard, ps_mapping_card, GTK_TYPE_LIST_BOX_ROW)

enum {
  SIGNAL_REVIEW,
  SIGNAL_ALLOW_ONCE,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* ---------------------------------------------------------------- helpers */

static void
set_tone (PsMappingCard *self,
          const char    *tone)
{
  GtkStyleContext *style = gtk_widget_get_style_context (GTK_WIDGET (self->status_label));
  const char *tones[] = { "dim-label", "ps-field-error", "ps-field-warning" };

  for (guint i = 0; i < G_N_ELEMENTS (tones); i++)
    gtk_style_context_remove_class (style, tones[i]);
  if (tone != NULL)
    gtk_style_context_add_class (style, tone);
}

static char *
format_counts (const guint counts[PS_ACTION_N_KINDS],
               gboolean    planned)
{
  /* A plan wrote nothing: its counts are what it would do, never "created". */
  if (planned)
    /* Translators: counts of one mapping's plan (a preview), nothing written yet */
    return g_strdup_printf (_("%u to create · %u to update · %u to deactivate · %u to reactivate · "
                              "%u skipped"),
                            counts[PS_ACTION_CREATE], counts[PS_ACTION_UPDATE],
                            counts[PS_ACTION_DEACTIVATE], counts[PS_ACTION_REACTIVATE],
                            counts[PS_ACTION_SKIP]);
  /* Translators: counts of one mapping's run */
  return g_strdup_printf (_("%u created · %u updated · %u deactivated · %u reactivated · %u skipped"),
                          counts[PS_ACTION_CREATE], counts[PS_ACTION_UPDATE],
                          counts[PS_ACTION_DEACTIVATE], counts[PS_ACTION_REACTIVATE],
                          counts[PS_ACTION_SKIP]);
}

/* ---------------------------------------------------------------- callbacks */

static void
on_review_button_clicked_cb (PsMappingCard *self)
{
  g_signal_emit (self, signals[SIGNAL_REVIEW], 0);
}

static void
on_allow_button_clicked_cb (PsMappingCard *self)
{
  g_signal_emit (self, signals[SIGNAL_ALLOW_ONCE], 0);
}

/* ---------------------------------------------------------------- overrides */

static void
ps_mapping_card_finalize (GObject *object)
{
  PsMappingCard *self = PS_MAPPING_CARD (object);

  g_free (self->name);
  G_OBJECT_CLASS (ps_mapping_card_parent_class)->finalize (object);
}

static void
ps_mapping_card_class_init (PsMappingCardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = ps_mapping_card_finalize;

  /* A paused mapping: show the deactivations it holds back. */
  signals[SIGNAL_REVIEW] = g_signal_new ("review", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* A paused mapping: plan it again released from its limit, for one run. */
  signals[SIGNAL_ALLOW_ONCE] = g_signal_new ("allow-once", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                             0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/widgets/ps-mapping-card.ui");
  gtk_widget_class_bind_template_child (widget_class, PsMappingCard, allow_button);
  gtk_widget_class_bind_template_child (widget_class, PsMappingCard, bar);
  gtk_widget_class_bind_template_child (widget_class, PsMappingCard, counts_label);
  gtk_widget_class_bind_template_child (widget_class, PsMappingCard, paused_box);
  gtk_widget_class_bind_template_child (widget_class, PsMappingCard, paused_label);
  gtk_widget_class_bind_template_child (widget_class, PsMappingCard, review_button);
  gtk_widget_class_bind_template_child (widget_class, PsMappingCard, status_label);
  gtk_widget_class_bind_template_child (widget_class, PsMappingCard, title_label);
  gtk_widget_class_bind_template_callback (widget_class, on_allow_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_review_button_clicked_cb);
}

static void
ps_mapping_card_init (PsMappingCard *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  set_tone (self, "dim-label");
}

/* ---------------------------------------------------------------- public API */

GtkWidget *
ps_mapping_card_new (const char *mapping_name)
{
  PsMappingCard *self = g_object_new (PS_TYPE_MAPPING_CARD, NULL);

  self->name = g_strdup (mapping_name);
  gtk_label_set_text (self->title_label, mapping_name);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->title_label), mapping_name);
  return GTK_WIDGET (self);
}

const char *
ps_mapping_card_get_name (PsMappingCard *self)
{
  g_return_val_if_fail (PS_IS_MAPPING_CARD (self), NULL);
  return self->name;
}

void
ps_mapping_card_reset (PsMappingCard *self)
{
  g_return_if_fail (PS_IS_MAPPING_CARD (self));

  self->first_progress_us = 0;
  self->done = self->total = 0;
  self->finished = self->cancelled = FALSE;
  gtk_label_set_text (self->status_label, _("Waiting"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->status_label), NULL);
  set_tone (self, "dim-label");
  gtk_progress_bar_set_fraction (self->bar, 0.0);
  gtk_progress_bar_set_text (self->bar, "");
  gtk_label_set_text (self->counts_label, "");
  gtk_widget_hide (GTK_WIDGET (self->paused_box));
}

void
ps_mapping_card_set_activity (PsMappingCard *self,
                              const char    *text)
{
  g_return_if_fail (PS_IS_MAPPING_CARD (self));
  if (!self->finished)
    gtk_label_set_text (self->status_label, text);
}

void
ps_mapping_card_set_progress (PsMappingCard *self,
                              guint          done,
                              guint          total)
{
  gint64 now = g_get_monotonic_time ();
  g_autofree char *text = NULL;

  g_return_if_fail (PS_IS_MAPPING_CARD (self));
  if (total == 0)
    return;
  self->done = done;
  self->total = total;
  if (self->first_progress_us == 0)
    self->first_progress_us = now;
  gtk_progress_bar_set_fraction (self->bar, (double) done / total);
  if (done > 0 && done < total)
    {
      double per_item = (double) (now - self->first_progress_us) / done;
      gint64 left_s = (gint64) (per_item * (total - done) / G_USEC_PER_SEC);
      /* Translators: progress of one mapping, with the time left */
      text = left_s >= 60 ? g_strdup_printf (_("%u of %u · about %lld min left"),
                                             done, total, (long long) ((left_s + 59) / 60))
                          : g_strdup_printf (_("%u of %u · less than a minute left"), done, total);
    }
  else
    text = g_strdup_printf (_("%u of %u"), done, total);
  gtk_progress_bar_set_text (self->bar, text);
}

void
ps_mapping_card_finish (PsMappingCard *self,
                        const char    *status,
                        const guint    counts[PS_ACTION_N_KINDS],
                        const char    *message)
{
  g_autofree char *text = format_counts (counts, g_strcmp0 (status, "dry-run") == 0);
  g_autofree char *cancelled = NULL;

  g_return_if_fail (PS_IS_MAPPING_CARD (self));
  self->finished = TRUE;
  gtk_label_set_text (self->counts_label, text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->status_label), message);
  gtk_widget_hide (GTK_WIDGET (self->paused_box));

  if (g_strcmp0 (status, "cancelled") == 0)
    {
      /* Cancelling is a decision, not a failure: a neutral line with how far it got. */
      self->cancelled = TRUE;
      /* What was written, by the engine's count: a write cut off by the
       * cancellation is not among them. */
      self->done = counts[PS_ACTION_CREATE] + counts[PS_ACTION_UPDATE] + counts[PS_ACTION_DEACTIVATE]
                   + counts[PS_ACTION_REACTIVATE];
      if (self->total > 0)
        /* Translators: a cancelled mapping, e.g. "Cancelled after 9 of 20" (changes written) */
        cancelled = g_strdup_printf (_("Cancelled after %u of %u"), self->done, self->total);
      else
        cancelled = g_strdup (_("Cancelled before writing"));
      gtk_label_set_text (self->status_label, cancelled);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->status_label), cancelled);
      gtk_progress_bar_set_text (self->bar, cancelled);
      set_tone (self, "dim-label");
      return;
    }
  gtk_progress_bar_set_fraction (self->bar, 1.0);
  if (g_strcmp0 (status, "succeeded") == 0)
    {
      gtk_label_set_text (self->status_label, _("Done"));
      set_tone (self, NULL);
    }
  else if (g_strcmp0 (status, "dry-run") == 0)
    {
      gtk_label_set_text (self->status_label, _("Planned: nothing written"));
      set_tone (self, NULL);
    }
  else if (g_strcmp0 (status, "paused") == 0)
    {
      gtk_label_set_text (self->status_label, _("Paused"));
      set_tone (self, "ps-field-warning");
    }
  else if (g_strcmp0 (status, "failed") == 0)
    {
      gtk_label_set_text (self->status_label, _("Failed: see the log"));
      set_tone (self, "ps-field-error");
    }
  else
    gtk_label_set_text (self->status_label, status);
}

void
ps_mapping_card_set_paused (PsMappingCard *self,
                            guint          deactivations,
                            guint          limit,
                            gboolean       held)
{
  g_autofree char *text = NULL;

  g_return_if_fail (PS_IS_MAPPING_CARD (self));
  if (held)
    /* Translators: the directory returned far fewer people than last time */
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "Held: %u to deactivate after a read that returned too few people",
                                         "Held: %u to deactivate after a read that returned too few people",
                                         deactivations), deactivations);
  else
    /* Translators: a paused mapping, e.g. "Paused: 20 to deactivate, limit 15" */
    text = g_strdup_printf (_("Paused: %u to deactivate, limit %u"), deactivations, limit);
  gtk_label_set_text (self->paused_label, text);
  /* Nothing was written: an empty bar, not a full one. */
  gtk_progress_bar_set_fraction (self->bar, 0.0);
  gtk_progress_bar_set_text (self->bar, "");
  /* Its counts would say "0 deactivated" while people wait to be: say what holds. */
  gtk_label_set_text (self->counts_label, _("Nothing is written for this mapping until you allow it."));
  gtk_label_set_text (self->status_label, held ? _("Held") : _("Paused"));
  set_tone (self, "ps-field-warning");
  gtk_widget_show (GTK_WIDGET (self->paused_box));
}

gboolean
ps_mapping_card_get_paused (PsMappingCard *self)
{
  g_return_val_if_fail (PS_IS_MAPPING_CARD (self), FALSE);
  return gtk_widget_get_visible (GTK_WIDGET (self->paused_box));
}

gboolean
ps_mapping_card_get_cancelled (PsMappingCard *self)
{
  g_return_val_if_fail (PS_IS_MAPPING_CARD (self), FALSE);
  return self->cancelled;
}

const char *
ps_mapping_card_get_status_text (PsMappingCard *self)
{
  g_return_val_if_fail (PS_IS_MAPPING_CARD (self), NULL);
  return gtk_label_get_text (self->status_label);
}

void
ps_mapping_card_get_progress (PsMappingCard *self,
                              guint         *done,
                              guint         *total)
{
  g_return_if_fail (PS_IS_MAPPING_CARD (self));
  if (done != NULL)
    *done = self->done;
  if (total != NULL)
    *total = self->total;
}
