/* ps-wizard-page.c — the base class of every page of the wizard and window
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib/gi18n.h>

#include "ps-wizard-page.h"

typedef struct
{
  PsProfile                 *profile;
  char                      *title;
  char                      *apply_label;
  gboolean                   complete;
  char                      *incomplete_reason;
  gboolean                   applying;

  GCancellable              *apply_cancellable;
  PsWizardPageApplyCallback  apply_callback;
  gpointer                   apply_data;
} PsWizardPagePrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (PsWizardPage, ps_wizard_page, GTK_TYPE_BIN)

enum {
  PROP_0,
  PROP_PROFILE,
  PROP_TITLE,
  PROP_COMPLETE,
  PROP_INCOMPLETE_REASON,
  PROP_APPLYING,
  PROP_APPLY_LABEL,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

/* ---------------------------------------------------------------- helpers */

static void
set_applying (PsWizardPage *self,
              gboolean      applying)
{
  PsWizardPagePrivate *priv = ps_wizard_page_get_instance_private (self);

  if (priv->applying == applying)
    return;
  priv->applying = applying;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_APPLYING]);
}

/* ---------------------------------------------------------------- overrides */

static gboolean
ps_wizard_page_real_apply (PsWizardPage *page,
                           GCancellable *cancellable)
{
  return FALSE;
}

static gboolean
ps_wizard_page_real_save (PsWizardPage  *page,
                          GError       **error)
{
  return TRUE;
}

static void
ps_wizard_page_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  PsWizardPage *self = PS_WIZARD_PAGE (object);
  PsWizardPagePrivate *priv = ps_wizard_page_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_PROFILE:
      g_value_set_object (value, priv->profile);
      break;
    case PROP_TITLE:
      g_value_set_string (value, priv->title);
      break;
    case PROP_COMPLETE:
      g_value_set_boolean (value, priv->complete);
      break;
    case PROP_INCOMPLETE_REASON:
      g_value_set_string (value, priv->incomplete_reason);
      break;
    case PROP_APPLYING:
      g_value_set_boolean (value, priv->applying);
      break;
    case PROP_APPLY_LABEL:
      g_value_set_string (value, priv->apply_label);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ps_wizard_page_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  PsWizardPage *self = PS_WIZARD_PAGE (object);
  PsWizardPagePrivate *priv = ps_wizard_page_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_PROFILE:
      priv->profile = g_value_dup_object (value);
      break;
    case PROP_TITLE:
      ps_wizard_page_set_title (self, g_value_get_string (value));
      break;
    case PROP_COMPLETE:
      ps_wizard_page_set_complete (self, g_value_get_boolean (value));
      break;
    case PROP_INCOMPLETE_REASON:
      ps_wizard_page_set_incomplete_reason (self, g_value_get_string (value));
      break;
    case PROP_APPLY_LABEL:
      ps_wizard_page_set_apply_label (self, g_value_get_string (value));
      break;
    case PROP_APPLYING:
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ps_wizard_page_dispose (GObject *object)
{
  PsWizardPage *self = PS_WIZARD_PAGE (object);
  PsWizardPagePrivate *priv = ps_wizard_page_get_instance_private (self);

  g_cancellable_cancel (priv->apply_cancellable);
  g_clear_object (&priv->apply_cancellable);
  priv->apply_callback = NULL;
  g_clear_object (&priv->profile);

  G_OBJECT_CLASS (ps_wizard_page_parent_class)->dispose (object);
}

static void
ps_wizard_page_finalize (GObject *object)
{
  PsWizardPage *self = PS_WIZARD_PAGE (object);
  PsWizardPagePrivate *priv = ps_wizard_page_get_instance_private (self);

  g_free (priv->title);
  g_free (priv->apply_label);
  g_free (priv->incomplete_reason);

  G_OBJECT_CLASS (ps_wizard_page_parent_class)->finalize (object);
}

static void
ps_wizard_page_class_init (PsWizardPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ps_wizard_page_get_property;
  object_class->set_property = ps_wizard_page_set_property;
  object_class->dispose = ps_wizard_page_dispose;
  object_class->finalize = ps_wizard_page_finalize;

  klass->apply = ps_wizard_page_real_apply;
  klass->save = ps_wizard_page_real_save;

  properties[PROP_PROFILE] =
    g_param_spec_object ("profile", "Profile", "The profile this page edits",
                         PS_TYPE_PROFILE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE] =
    g_param_spec_string ("title", "Title", "The page title, in the sidebar",
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_COMPLETE] =
    g_param_spec_boolean ("complete", "Complete", "The page is valid and may be applied",
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_INCOMPLETE_REASON] =
    g_param_spec_string ("incomplete-reason", "Incomplete reason",
                         "Why the page is not complete (translated), or NULL",
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_APPLYING] =
    g_param_spec_boolean ("applying", "Applying", "The apply step is running",
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_APPLY_LABEL] =
    g_param_spec_string ("apply-label", "Apply label",
                         "The mnemonic label of the forward button, or NULL for none",
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ps_wizard_page_init (PsWizardPage *self)
{
}

/* ---------------------------------------------------------------- public API */

const char *
ps_wizard_page_get_page_id (PsWizardPage *self)
{
  g_return_val_if_fail (PS_IS_WIZARD_PAGE (self), NULL);
  return PS_WIZARD_PAGE_GET_CLASS (self)->page_id;
}

const char *
ps_wizard_page_get_title (PsWizardPage *self)
{
  PsWizardPagePrivate *priv = ps_wizard_page_get_instance_private (self);

  g_return_val_if_fail (PS_IS_WIZARD_PAGE (self), NULL);
  return priv->title;
}

void
ps_wizard_page_set_title (PsWizardPage *self,
                          const char   *title)
{
  PsWizardPagePrivate *priv = ps_wizard_page_get_instance_private (self);

  g_return_if_fail (PS_IS_WIZARD_PAGE (self));
  if (g_strcmp0 (priv->title, title) == 0)
    return;
  g_free (priv->title);
  priv->title = g_strdup (title);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

gboolean
ps_wizard_page_get_complete (PsWizardPage *self)
{
  PsWizardPagePrivate *priv = ps_wizard_page_get_instance_private (self);

  g_return_val_if_fail (PS_IS_WIZARD_PAGE (self), FALSE);
  return priv->complete;
}

void
ps_wizard_page_set_complete (PsWizardPage *self,
                             gboolean      complete)
{
  PsWizardPagePrivate *priv = ps_wizard_page_get_instance_private (self);

  g_return_if_fail (PS_IS_WIZARD_PAGE (self));
  complete = !!complete;
  if (priv->complete == complete)
    return;
  priv->complete = complete;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPLETE]);
}

/* Why the page is not complete, or NULL: what to fill in first. */
const char *
ps_wizard_page_get_incomplete_reason (PsWizardPage *self)
{
  PsWizardPagePrivate *priv = ps_wizard_page_get_instance_private (self);

  g_return_val_if_fail (PS_IS_WIZARD_PAGE (self), NULL);
  return priv->incomplete_reason;
}

void
ps_wizard_page_set_incomplete_reason (PsWizardPage *self,
                                      const char   *reason)
{
  PsWizardPagePrivate *priv = ps_wizard_page_get_instance_private (self);

  g_return_if_fail (PS_IS_WIZARD_PAGE (self));
  if (g_strcmp0 (priv->incomplete_reason, reason) == 0)
    return;
  g_free (priv->incomplete_reason);
  priv->incomplete_reason = g_strdup (reason);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INCOMPLETE_REASON]);
}

/**
 * ps_wizard_page_set_missing:
 * @missing: (nullable): what the page still needs, in a few words a person
 *   can act on ("Choose a group"), or NULL when it is complete
 *
 * Sets "complete" and "incomplete-reason" together, which is how every page
 * should: the window shows the reason beside its greyed-out forward button.
 */
void
ps_wizard_page_set_missing (PsWizardPage *self,
                            const char   *missing)
{
  g_return_if_fail (PS_IS_WIZARD_PAGE (self));
  g_object_freeze_notify (G_OBJECT (self));
  ps_wizard_page_set_incomplete_reason (self, missing);
  ps_wizard_page_set_complete (self, missing == NULL);
  g_object_thaw_notify (G_OBJECT (self));
}

gboolean
ps_wizard_page_get_applying (PsWizardPage *self)
{
  PsWizardPagePrivate *priv = ps_wizard_page_get_instance_private (self);

  g_return_val_if_fail (PS_IS_WIZARD_PAGE (self), FALSE);
  return priv->applying;
}

const char *
ps_wizard_page_get_apply_label (PsWizardPage *self)
{
  PsWizardPagePrivate *priv = ps_wizard_page_get_instance_private (self);

  g_return_val_if_fail (PS_IS_WIZARD_PAGE (self), NULL);
  return priv->apply_label;
}

void
ps_wizard_page_set_apply_label (PsWizardPage *self,
                                const char   *label)
{
  PsWizardPagePrivate *priv = ps_wizard_page_get_instance_private (self);

  g_return_if_fail (PS_IS_WIZARD_PAGE (self));
  if (g_strcmp0 (priv->apply_label, label) == 0)
    return;
  g_free (priv->apply_label);
  priv->apply_label = g_strdup (label);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_APPLY_LABEL]);
}

PsProfile *
ps_wizard_page_get_profile (PsWizardPage *self)
{
  PsWizardPagePrivate *priv = ps_wizard_page_get_instance_private (self);

  g_return_val_if_fail (PS_IS_WIZARD_PAGE (self), NULL);
  return priv->profile;
}

/* Called by the window each time the page becomes the visible one. */
void
ps_wizard_page_shown (PsWizardPage *self)
{
  g_return_if_fail (PS_IS_WIZARD_PAGE (self));
  if (PS_WIZARD_PAGE_GET_CLASS (self)->shown != NULL)
    PS_WIZARD_PAGE_GET_CLASS (self)->shown (self);
}

/* Whether the page holds edits that are not in the profile yet: a hand
 * edit of the profile file then asks before it is reloaded over them. */
gboolean
ps_wizard_page_has_unsaved_changes (PsWizardPage *self)
{
  g_return_val_if_fail (PS_IS_WIZARD_PAGE (self), FALSE);
  if (PS_WIZARD_PAGE_GET_CLASS (self)->has_unsaved_changes == NULL)
    return FALSE;
  return PS_WIZARD_PAGE_GET_CLASS (self)->has_unsaved_changes (self);
}

/**
 * ps_wizard_page_apply_begin:
 * @callback: called once, with whether the page was applied successfully
 *
 * Runs the page's apply step. When the vfunc has nothing asynchronous to do
 * it returns FALSE and @callback runs before this returns.
 */
void
ps_wizard_page_apply_begin (PsWizardPage              *self,
                            PsWizardPageApplyCallback  callback,
                            gpointer                   user_data)
{
  PsWizardPagePrivate *priv = ps_wizard_page_get_instance_private (self);

  g_return_if_fail (PS_IS_WIZARD_PAGE (self));
  g_return_if_fail (!priv->applying);

  g_clear_object (&priv->apply_cancellable);
  priv->apply_cancellable = g_cancellable_new ();
  priv->apply_callback = callback;
  priv->apply_data = user_data;
  set_applying (self, TRUE);

  if (!PS_WIZARD_PAGE_GET_CLASS (self)->apply (self, priv->apply_cancellable))
    ps_wizard_page_apply_complete (self, TRUE);
}

void
ps_wizard_page_apply_cancel (PsWizardPage *self)
{
  PsWizardPagePrivate *priv = ps_wizard_page_get_instance_private (self);

  g_return_if_fail (PS_IS_WIZARD_PAGE (self));
  if (!priv->applying)
    return;
  /* The page's callbacks see the cancellation and return without touching
   * the page, so the step ends here. */
  g_cancellable_cancel (priv->apply_cancellable);
  ps_wizard_page_apply_complete (self, FALSE);
}

/* Ends an apply step; a cancelled one always ends as not valid. */
void
ps_wizard_page_apply_complete (PsWizardPage *self,
                               gboolean      valid)
{
  PsWizardPagePrivate *priv = ps_wizard_page_get_instance_private (self);
  PsWizardPageApplyCallback callback;
  gpointer data;

  g_return_if_fail (PS_IS_WIZARD_PAGE (self));
  if (!priv->applying)
    return;

  if (g_cancellable_is_cancelled (priv->apply_cancellable))
    valid = FALSE;
  callback = priv->apply_callback;
  data = priv->apply_data;
  priv->apply_callback = NULL;
  priv->apply_data = NULL;
  g_clear_object (&priv->apply_cancellable);
  set_applying (self, FALSE);

  if (callback != NULL)
    callback (self, valid, data);
}

gboolean
ps_wizard_page_save (PsWizardPage  *self,
                     GError       **error)
{
  g_return_val_if_fail (PS_IS_WIZARD_PAGE (self), FALSE);
  return PS_WIZARD_PAGE_GET_CLASS (self)->save (self, error);
}

/* Writes the profile to its file and tells everyone who shows it. */
gboolean
ps_wizard_page_save_profile (PsWizardPage  *self,
                             GError       **error)
{
  PsWizardPagePrivate *priv = ps_wizard_page_get_instance_private (self);

  g_return_val_if_fail (PS_IS_WIZARD_PAGE (self), FALSE);
  g_return_val_if_fail (priv->profile != NULL, FALSE);

  if (!ps_profile_save (priv->profile, error))
    return FALSE;
  ps_profile_changed (priv->profile);
  return TRUE;
}
