/* ps-attribute-combo.c — a source's attribute, or fallbacks "a|b", typed or picked
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A combo with an entry for a mapping's Email, FirstName, LastName or Field.*
 * attribute. What is typed is checked at once in the syntax of the
 * profile's source (ps_source_kind_split_attribute_spec(): LDAP attribute
 * descriptions, Microsoft Graph property names such as
 * onPremisesExtensionAttributes.extensionAttribute1, or Okta's
 * profile.department); the reason it is wrong shows under the combo (or,
 * with "show-error" off, wherever the page puts it).
 */

#include <glib/gi18n.h>

#include "ps-a11y.h"
#include "ps-attribute-combo.h"

struct _PsAttributeCombo
{
  GtkBox           parent_instance;

  GtkComboBoxText *combo;
  GtkLabel        *error_label;

  char            *error;        /* why the text is not an attribute spec */
  gboolean         show_error;
  PsSourceKind     source_kind;  /* whose syntax the names are in */
};

G_DEFINE_FINAL_TYPE (PsAttributeCombo, ps_attribute_combo, GTK_TYPE_BOX)

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

enum {
  PROP_0,
  PROP_SHOW_ERROR,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

/* ---------------------------------------------------------------- helpers */

static char *
dup_text (PsAttributeCombo *self)
{
  return g_strstrip (g_strdup (gtk_entry_get_text (ps_attribute_combo_get_entry (self))));
}

static void
update_error_label (PsAttributeCombo *self)
{
  gtk_label_set_text (self->error_label, self->error != NULL ? self->error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), self->show_error && self->error != NULL);
}

static void
check (PsAttributeCombo *self)
{
  g_autofree char *text = dup_text (self);
  g_autofree char *reason = NULL;
  g_auto(GStrv) parts = NULL;
  GtkStyleContext *style = gtk_widget_get_style_context (GTK_WIDGET (ps_attribute_combo_get_entry (self)));

  g_clear_pointer (&self->error, g_free);
  /* Empty is not wrong yet, only not filled in: the page says what is missing. */
  if (*text != '\0')
    {
      parts = ps_source_kind_split_attribute_spec (self->source_kind, text, &reason);
      if (parts == NULL)
        self->error = g_steal_pointer (&reason);
    }
  if (self->error != NULL)
    gtk_style_context_add_class (style, "error");
  else
    gtk_style_context_remove_class (style, "error");
  update_error_label (self);
}

/* ---------------------------------------------------------------- callbacks */

static void
on_combo_changed_cb (PsAttributeCombo *self)
{
  check (self);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

/* ---------------------------------------------------------------- overrides */

static void
ps_attribute_combo_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  PsAttributeCombo *self = PS_ATTRIBUTE_COMBO (object);

  switch (prop_id)
    {
    case PROP_SHOW_ERROR:
      g_value_set_boolean (value, self->show_error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ps_attribute_combo_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  PsAttributeCombo *self = PS_ATTRIBUTE_COMBO (object);

  switch (prop_id)
    {
    case PROP_SHOW_ERROR:
      if (self->show_error != g_value_get_boolean (value))
        {
          self->show_error = g_value_get_boolean (value);
          update_error_label (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ps_attribute_combo_finalize (GObject *object)
{
  PsAttributeCombo *self = PS_ATTRIBUTE_COMBO (object);

  g_free (self->error);
  G_OBJECT_CLASS (ps_attribute_combo_parent_class)->finalize (object);
}

static gboolean
ps_attribute_combo_mnemonic_activate (GtkWidget *widget,
                                      gboolean   group_cycling)
{
  PsAttributeCombo *self = PS_ATTRIBUTE_COMBO (widget);

  return gtk_widget_mnemonic_activate (GTK_WIDGET (ps_attribute_combo_get_entry (self)), group_cycling);
}

static void
ps_attribute_combo_class_init (PsAttributeComboClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = ps_attribute_combo_get_property;
  object_class->set_property = ps_attribute_combo_set_property;
  object_class->finalize = ps_attribute_combo_finalize;
  widget_class->mnemonic_activate = ps_attribute_combo_mnemonic_activate;

  /* Off where the page shows the reason itself (a field row, whose
   * attribute column is too narrow for a sentence). */
  properties[PROP_SHOW_ERROR] =
    g_param_spec_boolean ("show-error", "Show error", "Show why the text is wrong under the combo",
                          TRUE, G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The text changed (it may have become valid or invalid). */
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/widgets/ps-attribute-combo.ui");
  gtk_widget_class_bind_template_child (widget_class, PsAttributeCombo, combo);
  gtk_widget_class_bind_template_child (widget_class, PsAttributeCombo, error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_combo_changed_cb);
}

static void
ps_attribute_combo_init (PsAttributeCombo *self)
{
  self->show_error = TRUE;
  gtk_widget_init_template (GTK_WIDGET (self));
  ps_a11y_forward_mnemonic_labels (GTK_WIDGET (self), GTK_WIDGET (self->combo));
  ps_a11y_forward_mnemonic_labels (GTK_WIDGET (self), GTK_WIDGET (ps_attribute_combo_get_entry (self)));
}

/* ---------------------------------------------------------------- public API */

GtkWidget *
ps_attribute_combo_new (void)
{
  return g_object_new (PS_TYPE_ATTRIBUTE_COMBO, NULL);
}

/* Checks what is typed in the syntax of @kind's names from now on. */
void
ps_attribute_combo_set_source_kind (PsAttributeCombo *self,
                                    PsSourceKind      kind)
{
  g_return_if_fail (PS_IS_ATTRIBUTE_COMBO (self));

  if (self->source_kind == kind)
    return;
  self->source_kind = kind;
  check (self);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

PsSourceKind
ps_attribute_combo_get_source_kind (PsAttributeCombo *self)
{
  g_return_val_if_fail (PS_IS_ATTRIBUTE_COMBO (self), PS_SOURCE_KIND_ACTIVE_DIRECTORY);
  return self->source_kind;
}

/* Replaces the list under the entry; each suggestion is its own id. */
void
ps_attribute_combo_set_suggestions (PsAttributeCombo  *self,
                                    const char *const *suggestions)
{
  g_autofree char *text = NULL;

  g_return_if_fail (PS_IS_ATTRIBUTE_COMBO (self));

  text = g_strdup (gtk_entry_get_text (ps_attribute_combo_get_entry (self)));
  g_signal_handlers_block_by_func (self->combo, on_combo_changed_cb, self);
  gtk_combo_box_text_remove_all (self->combo);
  for (guint i = 0; suggestions != NULL && suggestions[i] != NULL; i++)
    gtk_combo_box_text_append (self->combo, suggestions[i], suggestions[i]);
  gtk_entry_set_text (ps_attribute_combo_get_entry (self), text);
  g_signal_handlers_unblock_by_func (self->combo, on_combo_changed_cb, self);
}

/* Appends the suggestions the list does not have yet, in their order. */
void
ps_attribute_combo_add_suggestions (PsAttributeCombo  *self,
                                    const char *const *suggestions)
{
  GtkTreeModel *model;
  g_autoptr(GHashTable) present = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GtkTreeIter iter;
  int column;

  g_return_if_fail (PS_IS_ATTRIBUTE_COMBO (self));

  model = gtk_combo_box_get_model (GTK_COMBO_BOX (self->combo));
  column = gtk_combo_box_get_id_column (GTK_COMBO_BOX (self->combo));
  for (gboolean ok = gtk_tree_model_get_iter_first (model, &iter); ok;
       ok = gtk_tree_model_iter_next (model, &iter))
    {
      char *id = NULL;

      gtk_tree_model_get (model, &iter, column, &id, -1);
      g_hash_table_add (present, id);
    }
  for (guint i = 0; suggestions != NULL && suggestions[i] != NULL; i++)
    if (g_hash_table_add (present, g_strdup (suggestions[i])))
      gtk_combo_box_text_append (self->combo, suggestions[i], suggestions[i]);
}

/* Sets the text, e.g. a mapping's "mail|userPrincipalName". */
void
ps_attribute_combo_set_spec (PsAttributeCombo *self,
                             const char       *spec)
{
  g_return_if_fail (PS_IS_ATTRIBUTE_COMBO (self));

  if (spec == NULL || !gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->combo), spec))
    gtk_entry_set_text (ps_attribute_combo_get_entry (self), spec != NULL ? spec : "");
}

/* The attribute, or the fallbacks normalised ("mail | upn " → "mail|upn");
 * NULL when the text is empty or not valid. */
char *
ps_attribute_combo_dup_spec (PsAttributeCombo *self)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) parts = NULL;

  g_return_val_if_fail (PS_IS_ATTRIBUTE_COMBO (self), NULL);

  text = dup_text (self);
  if (*text == '\0')
    return NULL;
  parts = ps_source_kind_split_attribute_spec (self->source_kind, text, NULL);
  return parts != NULL ? g_strjoinv ("|", parts) : NULL;
}

gboolean
ps_attribute_combo_get_empty (PsAttributeCombo *self)
{
  g_autofree char *text = NULL;

  g_return_val_if_fail (PS_IS_ATTRIBUTE_COMBO (self), TRUE);

  text = dup_text (self);
  return *text == '\0';
}

/* Why the text is not an attribute or a list of fallbacks; NULL when it
 * is one, or empty. */
const char *
ps_attribute_combo_get_error (PsAttributeCombo *self)
{
  g_return_val_if_fail (PS_IS_ATTRIBUTE_COMBO (self), NULL);
  return self->error;
}

GtkEntry *
ps_attribute_combo_get_entry (PsAttributeCombo *self)
{
  g_return_val_if_fail (PS_IS_ATTRIBUTE_COMBO (self), NULL);
  return GTK_ENTRY (gtk_bin_get_child (GTK_BIN (self->combo)));
}

GtkComboBox *
ps_attribute_combo_get_combo (PsAttributeCombo *self)
{
  g_return_val_if_fail (PS_IS_ATTRIBUTE_COMBO (self), NULL);
  return GTK_COMBO_BOX (self->combo);
}
