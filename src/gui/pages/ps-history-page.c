/* ps-history-page.c — the History page (its content is built on top of this shell)
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib/gi18n.h>

#include "ps-history-page.h"

struct _PsHistoryPage
{
  PsWizardPage  parent_instance;

  GtkLabel     *status_label;
};

G_DEFINE_FINAL_TYPE (PsHistoryPage, ps_history_page, PS_TYPE_WIZARD_PAGE)

/* ---------------------------------------------------------------- overrides */

static void
ps_history_page_class_init (PsHistoryPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  PsWizardPageClass *page_class = PS_WIZARD_PAGE_CLASS (klass);

  page_class->page_id = "history";

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/pages/ps-history-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PsHistoryPage, status_label);
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
