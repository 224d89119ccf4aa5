/* ps-a11y.c — what screen readers need beyond what GTK 3 derives itself
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GTK 3 relates a label to its field from the label's mnemonic widget, and
 * names a button after its label. What it cannot derive — an icon-only
 * button, a field inside a composite widget, a status that should be spoken
 * when it changes — is set here, on the widgets' ATK objects, which the
 * AT-SPI bridge exports.
 */

#include "ps-a11y.h"

/* ---------------------------------------------------------------- helpers */

static void
relate (AtkObject *label,
        AtkObject *field)
{
  atk_object_add_relationship (field, ATK_RELATION_LABELLED_BY, label);
  atk_object_add_relationship (label, ATK_RELATION_LABEL_FOR, field);
}

static void
find_file_choosers (GtkWidget *widget,
                    gpointer   data)
{
  if (GTK_IS_FILE_CHOOSER_BUTTON (widget))
    {
      g_autoptr(GList) children = gtk_container_get_children (GTK_CONTAINER (widget));

      /* Its button (open mode) and its combo box (the other modes). */
      for (GList *l = children; l != NULL; l = l->next)
        if (GTK_IS_BUTTON (l->data) || GTK_IS_COMBO_BOX (l->data))
          ps_a11y_forward_mnemonic_labels (widget, l->data);
      return;
    }
  if (GTK_IS_CONTAINER (widget))
    gtk_container_foreach (GTK_CONTAINER (widget), find_file_choosers, data);
}

/* ---------------------------------------------------------------- callbacks */

static void
on_owner_map_cb (GtkWidget *owner,
                 GtkWidget *field)
{
  g_autoptr(GList) labels = gtk_widget_list_mnemonic_labels (owner);

  for (GList *l = labels; l != NULL; l = l->next)
    relate (gtk_widget_get_accessible (l->data), gtk_widget_get_accessible (field));
}

/* ---------------------------------------------------------------- public API */

void
ps_a11y_set_name (GtkWidget  *widget,
                  const char *name)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));
  atk_object_set_name (gtk_widget_get_accessible (widget), name);
}

void
ps_a11y_relate_label (GtkWidget *label,
                      GtkWidget *field)
{
  g_return_if_fail (GTK_IS_WIDGET (label));
  g_return_if_fail (GTK_IS_WIDGET (field));
  relate (gtk_widget_get_accessible (label), gtk_widget_get_accessible (field));
}

void
ps_a11y_forward_mnemonic_labels (GtkWidget *owner,
                                 GtkWidget *field)
{
  g_return_if_fail (GTK_IS_WIDGET (owner));
  g_return_if_fail (GTK_IS_WIDGET (field));
  /* The template's labels get their mnemonic widget after this widget was
   * built: relate them once it is on screen (adding twice is a no-op). */
  g_signal_connect_object (owner, "map", G_CALLBACK (on_owner_map_cb), field, 0);
}

void
ps_a11y_relate_file_choosers (GtkWidget *root)
{
  g_return_if_fail (GTK_IS_WIDGET (root));
  find_file_choosers (root, NULL);
}

void
ps_a11y_make_status (GtkWidget *label)
{
  g_return_if_fail (GTK_IS_WIDGET (label));
  atk_object_set_role (gtk_widget_get_accessible (label), ATK_ROLE_NOTIFICATION);
}

void
ps_a11y_announce (GtkWidget *label)
{
  AtkObject *accessible;

  g_return_if_fail (GTK_IS_WIDGET (label));
  if (!gtk_widget_get_mapped (label))
    return;
  accessible = gtk_widget_get_accessible (label);
  /* What a notification appearing sends; nothing moves on screen. */
  atk_object_notify_state_change (accessible, ATK_STATE_SHOWING, FALSE);
  atk_object_notify_state_change (accessible, ATK_STATE_SHOWING, TRUE);
}
