/* ps-wizard-page.h — the base class of every page of the wizard and window
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A page says whether it is "complete" (its content is valid, so the forward
 * button — Done, Submit — may be pressed) and, while it is not, may say why
 * ("incomplete-reason", shown beside the greyed-out forward button, in its
 * tooltip and as its accessible description; set both at once with
 * ps_wizard_page_set_missing ()). It runs its
 * "apply" step when that button is pressed. apply may be asynchronous: the
 * vfunc returns TRUE and the page later calls ps_wizard_page_apply_complete().
 * While it runs, "applying" is TRUE and the window shows a spinner and a
 * Cancel button.
 */
#pragma once

#include <gtk/gtk.h>

#include "ps-profile.h"

G_BEGIN_DECLS

#define PS_TYPE_WIZARD_PAGE (ps_wizard_page_get_type ())
G_DECLARE_DERIVABLE_TYPE (PsWizardPage, ps_wizard_page, PS, WIZARD_PAGE, GtkBin)

typedef void (*PsWizardPageApplyCallback) (PsWizardPage *page,
                                           gboolean      valid,
                                           gpointer      user_data);

struct _PsWizardPageClass
{
  GtkBinClass parent_class;

  /* A stable id, used by --page and the sidebar: "connection", "schedule" … */
  const char *page_id;

  void     (*shown) (PsWizardPage *page);
  gboolean (*apply) (PsWizardPage *page,
                     GCancellable *cancellable);
  gboolean (*save)  (PsWizardPage  *page,
                     GError       **error);
  /* Whether the page holds edits not yet in the profile (a form before Done). */
  gboolean (*has_unsaved_changes) (PsWizardPage *page);

  gpointer padding[7];
};

const char *ps_wizard_page_get_page_id      (PsWizardPage *self);
const char *ps_wizard_page_get_title        (PsWizardPage *self);
void        ps_wizard_page_set_title        (PsWizardPage *self,
                                             const char   *title);
gboolean    ps_wizard_page_get_complete     (PsWizardPage *self);
void        ps_wizard_page_set_complete     (PsWizardPage *self,
                                             gboolean      complete);
const char *ps_wizard_page_get_incomplete_reason (PsWizardPage *self);
void        ps_wizard_page_set_incomplete_reason (PsWizardPage *self,
                                                  const char   *reason);
void        ps_wizard_page_set_missing      (PsWizardPage *self,
                                             const char   *missing);
gboolean    ps_wizard_page_get_applying     (PsWizardPage *self);
const char *ps_wizard_page_get_apply_label  (PsWizardPage *self);
void        ps_wizard_page_set_apply_label  (PsWizardPage *self,
                                             const char   *label);
PsProfile  *ps_wizard_page_get_profile      (PsWizardPage *self);

void        ps_wizard_page_shown            (PsWizardPage *self);
gboolean    ps_wizard_page_has_unsaved_changes (PsWizardPage *self);
void        ps_wizard_page_apply_begin      (PsWizardPage              *self,
                                             PsWizardPageApplyCallback  callback,
                                             gpointer                   user_data);
void        ps_wizard_page_apply_cancel     (PsWizardPage *self);
void        ps_wizard_page_apply_complete   (PsWizardPage *self,
                                             gboolean      valid);
gboolean    ps_wizard_page_save             (PsWizardPage  *self,
                                             GError       **error);
gboolean    ps_wizard_page_save_profile     (PsWizardPage  *self,
                                             GError       **error);

G_END_DECLS
