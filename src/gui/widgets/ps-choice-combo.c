/* ps-choice-combo.c — a combo box whose choices are loaded live, with a spinner
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib/gi18n.h>

#include "ps-a11y.h"
#include "ps-choice-combo.h"

struct _PsChoiceCombo
{
  GtkBox        parent_instance;

  GtkComboBoxText *combo;
  GtkLabel     *message_label;
  GtkSpinner   *spinner;

  GPtrArray    *choices;       /* of PsGuiChoice* */
  GCancellable *cancellable;   /* the running load */
  char         *error;
  char         *wanted;        /* to select once a load brings it (an edited mapping's) */
};

G_DEFINE_FINAL_TYPE (PsChoiceCombo, ps_choice_combo, GTK_TYPE_BOX)

enum {
  SIGNAL_CHANGED,
  SIGNAL_LOADED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

enum {
  PROP_0,
  PROP_LOADING,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

/* ---------------------------------------------------------------- helpers */

static void
set_loading (PsChoiceCombo *self,
             gboolean       loading)
{
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), loading);
  gtk_widget_set_sensitive (GTK_WIDGET (self->combo), !loading && self->choices->len > 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
show_message (PsChoiceCombo *self,
              const char    *message,
              gboolean       is_error)
{
  GtkStyleContext *style = gtk_widget_get_style_context (GTK_WIDGET (self->message_label));

  gtk_label_set_text (self->message_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), message != NULL);
  if (is_error)
    {
      gtk_style_context_add_class (style, "error");
      gtk_style_context_remove_class (style, "dim-label");
    }
  else
    {
      gtk_style_context_remove_class (style, "error");
      gtk_style_context_add_class (style, "dim-label");
    }
}

static void
cancel_load (PsChoiceCombo *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
}

/* ---------------------------------------------------------------- callbacks */

static void
on_combo_changed_cb (PsChoiceCombo *self)
{
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
on_list_loaded_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  PsChoiceCombo *self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) choices = ps_gui_backend_list_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = PS_CHOICE_COMBO (user_data);
  g_clear_object (&self->cancellable);

  if (choices == NULL)
    {
      g_free (self->error);
      self->error = g_strdup (error->message);
      ps_choice_combo_set_choices (self, NULL);
      show_message (self, error->message, TRUE);
    }
  else
    {
      ps_choice_combo_set_choices (self, choices);
      show_message (self, choices->len == 0 ? _("Nothing to choose from") : NULL, FALSE);
    }
  set_loading (self, FALSE);
  if (self->wanted != NULL)
    {
      g_autofree char *wanted = g_steal_pointer (&self->wanted);

      if (g_strcmp0 (ps_choice_combo_get_active_id (self), wanted) != 0)
        gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->combo), wanted);
    }
  g_signal_emit (self, signals[SIGNAL_LOADED], 0);
}

/* ---------------------------------------------------------------- overrides */

static void
ps_choice_combo_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  PsChoiceCombo *self = PS_CHOICE_COMBO (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, ps_choice_combo_get_loading (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ps_choice_combo_dispose (GObject *object)
{
  PsChoiceCombo *self = PS_CHOICE_COMBO (object);

  cancel_load (self);
  G_OBJECT_CLASS (ps_choice_combo_parent_class)->dispose (object);
}

static void
ps_choice_combo_finalize (GObject *object)
{
  PsChoiceCombo *self = PS_CHOICE_COMBO (object);

  g_ptr_array_unref (self->choices);
  g_free (self->error);
  g_free (self->wanted);
  G_OBJECT_CLASS (ps_choice_combo_parent_class)->finalize (object);
}

static gboolean
ps_choice_combo_mnemonic_activate (GtkWidget *widget,
                                   gboolean   group_cycling)
{
  PsChoiceCombo *self = PS_CHOICE_COMBO (widget);

  return gtk_widget_mnemonic_activate (GTK_WIDGET (self->combo), group_cycling);
}

static void
ps_choice_combo_class_init (PsChoiceComboClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = ps_choice_combo_get_property;
  object_class->dispose = ps_choice_combo_dispose;
  object_class->finalize = ps_choice_combo_finalize;
  widget_class->mnemonic_activate = ps_choice_combo_mnemonic_activate;

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", "Loading", "The choices are being loaded",
                          FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_LOADED] = g_signal_new ("loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/widgets/ps-choice-combo.ui");
  gtk_widget_class_bind_template_child (widget_class, PsChoiceCombo, combo);
  gtk_widget_class_bind_template_child (widget_class, PsChoiceCombo, message_label);
  gtk_widget_class_bind_template_child (widget_class, PsChoiceCombo, spinner);
  gtk_widget_class_bind_template_callback (widget_class, on_combo_changed_cb);
}

static void
ps_choice_combo_init (PsChoiceCombo *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  ps_a11y_forward_mnemonic_labels (GTK_WIDGET (self), GTK_WIDGET (self->combo));
  self->choices = g_ptr_array_new_with_free_func ((GDestroyNotify) ps_gui_choice_free);
  gtk_widget_set_sensitive (GTK_WIDGET (self->combo), FALSE);
}

/* ---------------------------------------------------------------- public API */

GtkWidget *
ps_choice_combo_new (void)
{
  return g_object_new (PS_TYPE_CHOICE_COMBO, NULL);
}

/* Starts loading the choices in a worker; the previous load is cancelled. */
void
ps_choice_combo_load (PsChoiceCombo *self,
                      PsProfile     *profile,
                      PsGuiListKind  kind,
                      const char    *account,
                      const char    *module,
                      const char    *detail)
{
  g_return_if_fail (PS_IS_CHOICE_COMBO (self));

  cancel_load (self);
  ps_choice_combo_set_choices (self, NULL);
  g_clear_pointer (&self->error, g_free);
  show_message (self, NULL, FALSE);
  self->cancellable = g_cancellable_new ();
  set_loading (self, TRUE);
  ps_gui_backend_list_async (profile, kind, account, module, detail, self->cancellable,
                             on_list_loaded_cb, self);
}

/* Empties the combo and stops loading, e.g. when what it depends on changes. */
void
ps_choice_combo_clear (PsChoiceCombo *self)
{
  g_return_if_fail (PS_IS_CHOICE_COMBO (self));

  cancel_load (self);
  ps_choice_combo_set_choices (self, NULL);
  show_message (self, NULL, FALSE);
  set_loading (self, FALSE);
}

/* Replaces the choices (a copy is kept); selects the only one, if alone. */
void
ps_choice_combo_set_choices (PsChoiceCombo *self,
                             GPtrArray     *choices)
{
  g_return_if_fail (PS_IS_CHOICE_COMBO (self));

  g_signal_handlers_block_by_func (self->combo, on_combo_changed_cb, self);
  gtk_combo_box_text_remove_all (self->combo);
  g_ptr_array_set_size (self->choices, 0);
  for (guint i = 0; choices != NULL && i < choices->len; i++)
    {
      const PsGuiChoice *c = g_ptr_array_index (choices, i);
      PsGuiChoice *copy = ps_gui_choice_new (c->id, c->name);

      copy->type = g_strdup (c->type);
      copy->options = g_strdupv (c->options);
      g_ptr_array_add (self->choices, copy);
      gtk_combo_box_text_append (self->combo, c->id, c->name);
    }
  g_signal_handlers_unblock_by_func (self->combo, on_combo_changed_cb, self);
  gtk_widget_set_sensitive (GTK_WIDGET (self->combo), self->choices->len > 0);
  if (self->choices->len == 1)
    gtk_combo_box_set_active (GTK_COMBO_BOX (self->combo), 0);
  else
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

gboolean
ps_choice_combo_get_loading (PsChoiceCombo *self)
{
  g_return_val_if_fail (PS_IS_CHOICE_COMBO (self), FALSE);
  return self->cancellable != NULL;
}

const char *
ps_choice_combo_get_active_id (PsChoiceCombo *self)
{
  g_return_val_if_fail (PS_IS_CHOICE_COMBO (self), NULL);
  return gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->combo));
}

const PsGuiChoice *
ps_choice_combo_get_active (PsChoiceCombo *self)
{
  int active;

  g_return_val_if_fail (PS_IS_CHOICE_COMBO (self), NULL);
  active = gtk_combo_box_get_active (GTK_COMBO_BOX (self->combo));
  if (active < 0 || (guint) active >= self->choices->len)
    return NULL;
  return g_ptr_array_index (self->choices, active);
}

gboolean
ps_choice_combo_set_active_id (PsChoiceCombo *self,
                               const char    *id)
{
  g_return_val_if_fail (PS_IS_CHOICE_COMBO (self), FALSE);
  return gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->combo), id);
}

/**
 * ps_choice_combo_select_id:
 *
 * Selects @id now if it is among the choices and no load is running;
 * otherwise the next load that completes selects it (if it brings it).
 * For filling a form from a saved mapping while its lists still load.
 */
void
ps_choice_combo_select_id (PsChoiceCombo *self,
                           const char    *id)
{
  g_return_if_fail (PS_IS_CHOICE_COMBO (self));

  g_clear_pointer (&self->wanted, g_free);
  if (id == NULL)
    return;
  if (self->cancellable == NULL && gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->combo), id))
    return;
  self->wanted = g_strdup (id);
}

guint
ps_choice_combo_get_n_choices (PsChoiceCombo *self)
{
  g_return_val_if_fail (PS_IS_CHOICE_COMBO (self), 0);
  return self->choices->len;
}

/* The loaded choices (PsGuiChoice*), owned by the combo. */
GPtrArray *
ps_choice_combo_get_choices (PsChoiceCombo *self)
{
  g_return_val_if_fail (PS_IS_CHOICE_COMBO (self), NULL);
  return self->choices;
}

GtkComboBox *
ps_choice_combo_get_combo (PsChoiceCombo *self)
{
  g_return_val_if_fail (PS_IS_CHOICE_COMBO (self), NULL);
  return GTK_COMBO_BOX (self->combo);
}

const char *
ps_choice_combo_get_error (PsChoiceCombo *self)
{
  g_return_val_if_fail (PS_IS_CHOICE_COMBO (self), NULL);
  return self->error;
}
