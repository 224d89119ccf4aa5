/* ps-a11y.h — what screen readers need beyond what GTK 3 derives itself
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The accessible name of a control that shows no text (an icon-only button). */
void  ps_a11y_set_name                 (GtkWidget  *widget,
                                        const char *name);

/* @label labels @field: LABELLED_BY on the field, LABEL_FOR on the label.
 * For a label that cannot be the field's mnemonic label. */
void  ps_a11y_relate_label             (GtkWidget  *label,
                                        GtkWidget  *field);

/* A composite field (@owner wraps the real control @field): the labels
 * whose mnemonic widget is @owner are related to @field as well, which is
 * what a screen reader lands on. */
void  ps_a11y_forward_mnemonic_labels  (GtkWidget  *owner,
                                        GtkWidget  *field);

/* Relates the labels of every GtkFileChooserButton under @root to the
 * button inside it that takes the focus (which GTK names after the file). */
void  ps_a11y_relate_file_choosers     (GtkWidget  *root);

/* Makes @label a polite status: ATK has no live regions in GTK 3, so the
 * label takes the notification role and ps_a11y_announce () re-shows it,
 * which Orca speaks without moving the focus. */
void  ps_a11y_make_status              (GtkWidget  *label);
void  ps_a11y_announce                 (GtkWidget  *label);

G_END_DECLS
