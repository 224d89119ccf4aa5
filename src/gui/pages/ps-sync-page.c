/* ps-sync-page.c — the Sync page (its content is built on top of this shell)
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib/gi18n.h>

#include "ps-sync-page.h"

struct _PsSyncPage
{
  PsWizardPage  parent_instance;

  GtkLabel     *status_label;
};

G_DEFINE_FINAL_TYPE (PsSyncPage, ps_sync_page, PS_TYPE_WIZARD_PAGE)

/* ---------------------------------------------------------------- overrides */

static void
ps_sync_page_class_init (PsSyncPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  PsWizardPageClass *page_class = PS_WIZARD_PAGE_CLASS (klass);

  page_class->page_id = "sync";

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/pages/ps-sync-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PsSyncPage, status_label);
}

static void
ps_sync_page_init (PsSyncPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  ps_wizard_page_set_title (PS_WIZARD_PAGE (self), _("Sync"));
  /* Not part of the wizard: always complete, no forward button. */
  ps_wizard_page_set_complete (PS_WIZARD_PAGE (self), TRUE);
}

/* ---------------------------------------------------------------- public API */

PsWizardPage *
ps_sync_page_new (PsProfile *profile)
{
  return g_object_new (PS_TYPE_SYNC_PAGE, "profile", profile, NULL);
}

void
ps_sync_page_start_sync (PsSyncPage *self)
{
  g_return_if_fail (PS_IS_SYNC_PAGE (self));
  /* The sync engine's page replaces this shell and starts the run. */
  g_debug ("Start Sync requested for profile %s",
           ps_profile_get_name (ps_wizard_page_get_profile (PS_WIZARD_PAGE (self))));
}
