/* ps-collection-mapping-page.c — Collection Mapping: source groups → collection records
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Account → Module → Collection load one after the other in workers; the
 * collection's fields load with it, for the field rows (collection field ←
 * attribute of the identity source, with its ownership mode) and to find the
 * "Integration Status AD" field. The groups and the suggested attributes come
 * from the profile's source (Active Directory or Microsoft Entra ID), and so
 * do the unique identifiers offered. A field's attribute may name fallbacks
 * ("mail|userPrincipalName": the first that is not empty), checked as they
 * are typed. The Advanced part (PsScopeEditor, LDAP only) narrows the group
 * by a search base and a filter and counts who is in scope. Add saves the
 * mapping to the profile at once.
 */

#include <glib/gi18n.h>

#include "ps-a11y.h"
#include "ps-collection-mapping-page.h"
#include "ps-gui-backend.h"
#include "widgets/ps-attribute-combo.h"
#include "widgets/ps-choice-combo.h"
#include "widgets/ps-mapping-row.h"
#include "widgets/ps-scope-editor.h"

typedef struct
{
  GtkWidget        *box;              /* the row's line, and under it its error */
  GtkComboBoxText  *field_combo;
  PsAttributeCombo *attribute_combo;
  GtkComboBoxText  *ownership_combo;
  GtkWidget        *remove_button;
  GtkLabel         *error_label;      /* why the attribute is wrong */
} FieldRow;

struct _PsCollectionMappingPage
{
  PsWizardPage      parent_instance;

  PsChoiceCombo    *account_combo;
  GtkButton        *add_button;
  GtkButton        *add_field_button;
  PsChoiceCombo    *collection_combo;
  GtkBox           *fields_box;
  GtkLabel         *fields_message_label;
  GtkSpinner       *fields_spinner;
  GtkBox           *form_box;
  GtkScrolledWindow *form_scrolled;
  PsChoiceCombo    *group_combo;
  GtkLabel         *group_label;
  GtkSearchEntry   *group_search_entry;
  GtkLabel         *intro_label;
  GtkListBox       *mappings_list;
  PsChoiceCombo    *module_combo;
  GtkLabel         *save_error_label;
  PsScopeEditor    *scope_editor;
  GtkLabel         *status_label;
  GtkComboBoxText  *unique_id_combo;
  GtkLabel         *unique_id_hint_label;

  GPtrArray        *fields;            /* of PsGuiChoice*, the collection's fields */
  GPtrArray        *field_rows;        /* of FieldRow* */
  GCancellable     *fields_cancellable;
  char             *status_field;      /* id of the Integration Status AD field */
  GHashTable       *names;             /* id → name of what the combos loaded */
  PsSourceKind      source_kind;       /* the one the form is set up for */
  GCancellable     *attributes_cancellable;
  GStrv             attributes;        /* what the source suggests, once loaded */
};

G_DEFINE_FINAL_TYPE (PsCollectionMappingPage, ps_collection_mapping_page, PS_TYPE_WIZARD_PAGE)

static void on_mapping_row_remove_cb       (PsCollectionMappingPage *self,
                                            PsMappingRow            *row);
static void on_form_changed_cb             (PsCollectionMappingPage *self);
static void on_field_row_remove_clicked_cb (GtkButton               *button,
                                            gpointer                 user_data);
static void on_fields_loaded_cb            (GObject                 *source,
                                            GAsyncResult            *result,
                                            gpointer                 user_data);
static void on_attributes_loaded_cb        (GObject                 *source,
                                            GAsyncResult            *result,
                                            gpointer                 user_data);

/* Suggested attributes for the field rows, common fallbacks first; the
 * source's own suggestions follow once loaded. */
static const char *const ad_attribute_suggestions[] = {
  "mail|userPrincipalName", "displayName|cn", "employeeID|employeeNumber", "mobile|telephoneNumber",
  "displayName", "givenName", "sn", "mail", "userPrincipalName", "sAMAccountName",
  "title", "department", "company", "manager", "employeeID", "employeeNumber",
  "telephoneNumber", "mobile", "physicalDeliveryOfficeName", "l", "co", NULL
};
static const char *const entra_attribute_suggestions[] = {
  "mail|userPrincipalName", "mobilePhone|businessPhones", NULL
};
static const char *const okta_attribute_suggestions[] = {
  "email|login", "displayName|login", "mobilePhone|primaryPhone", NULL
};

/* The unique identifiers offered, the default first. On Entra ID the
 * object id, or the on-premises SID a sync from AD wrote before. */
static const char *const ad_unique_ids[] = {
  "objectSid", "objectGUID", "sAMAccountName", "employeeID", "userPrincipalName", NULL
};
static const char *const entra_unique_ids[] = { "id", "onPremisesSecurityIdentifier", NULL };
/* On Okta the user id, which survives renames; employeeNumber where HR keeps it. */
static const char *const okta_unique_ids[] = { "id", "employeeNumber", "login", NULL };

/* ---------------------------------------------------------------- helpers */

static PsProfile *
get_profile (PsCollectionMappingPage *self)
{
  return ps_wizard_page_get_profile (PS_WIZARD_PAGE (self));
}

static gboolean
is_entra (PsCollectionMappingPage *self)
{
  return self->source_kind == PS_SOURCE_KIND_ENTRA_ID;
}

static gboolean
is_okta (PsCollectionMappingPage *self)
{
  return self->source_kind == PS_SOURCE_KIND_OKTA;
}

/* What the field rows call the other side. */
static const char *
fields_hint (PsCollectionMappingPage *self)
{
  if (is_okta (self))
    return _("Map collection fields to Okta profile attributes. The ownership mode says what "
             "wins when both sides differ.");
  return is_entra (self)
         ? _("Map collection fields to Microsoft Entra ID attributes. The ownership mode says "
             "what wins when both sides differ.")
         : _("Map collection fields to Active Directory attributes. The ownership "
             "mode says what wins when both sides differ.");
}

static const char *
no_collection_hint (PsCollectionMappingPage *self)
{
  if (is_okta (self))
    return _("Choose a collection to map its fields to Okta profile attributes.");
  return is_entra (self)
         ? _("Choose a collection to map its fields to Microsoft Entra ID attributes.")
         : _("Choose a collection to map its fields to Active Directory attributes.");
}

static void
set_row_suggestions (PsCollectionMappingPage *self,
                     PsAttributeCombo        *combo)
{
  ps_attribute_combo_set_source_kind (combo, self->source_kind);
  ps_attribute_combo_set_suggestions (combo, is_okta (self) ? okta_attribute_suggestions
                                             : is_entra (self) ? entra_attribute_suggestions
                                             : ad_attribute_suggestions);
  if (self->attributes != NULL)
    ps_attribute_combo_add_suggestions (combo, (const char *const *) self->attributes);
}

static char *
combo_entry_dup (GtkComboBoxText *combo)
{
  g_autofree char *text = gtk_combo_box_text_get_active_text (combo);

  if (text == NULL)
    return NULL;
  g_strstrip (text);
  return *text != '\0' ? g_steal_pointer (&text) : NULL;
}

static void
field_row_free (FieldRow *row)
{
  g_free (row);
}

static void
fill_field_combo (PsCollectionMappingPage *self,
                  GtkComboBoxText         *combo)
{
  g_autofree char *active = g_strdup (gtk_combo_box_get_active_id (GTK_COMBO_BOX (combo)));

  gtk_combo_box_text_remove_all (combo);
  for (guint i = 0; self->fields != NULL && i < self->fields->len; i++)
    {
      const PsGuiChoice *field = g_ptr_array_index (self->fields, i);

      if (g_strcmp0 (field->id, self->status_field) == 0)
        continue;   /* PandaSync writes it itself */
      gtk_combo_box_text_append (combo, field->id, field->name);
    }
  if (active != NULL)
    gtk_combo_box_set_active_id (GTK_COMBO_BOX (combo), active);
}

static gboolean
field_row_filled (const FieldRow *row)
{
  g_autofree char *attribute = ps_attribute_combo_dup_spec (row->attribute_combo);

  return gtk_combo_box_get_active_id (GTK_COMBO_BOX (row->field_combo)) != NULL && attribute != NULL;
}

/* The form as the mapping Add would save. Unset parts stay unset, and
 * unfinished field rows are left out: the scope editor needs only the
 * group and the attributes. */
static PsMapping *
form_mapping (PsCollectionMappingPage *self)
{
  const PsGuiChoice *account = ps_choice_combo_get_active (self->account_combo);
  const PsGuiChoice *module = ps_choice_combo_get_active (self->module_combo);
  const PsGuiChoice *collection = ps_choice_combo_get_active (self->collection_combo);
  const PsGuiChoice *group = ps_choice_combo_get_active (self->group_combo);
  g_autofree char *name = ps_mapping_row_make_name (group != NULL ? group->name : "",
                                                    collection != NULL ? collection->name : "");
  PsMapping *mapping = ps_mapping_new (PS_MAPPING_COLLECTION, name);

  mapping->account = account != NULL ? g_strdup (account->id) : NULL;
  mapping->module = module != NULL ? g_strdup (module->id) : NULL;
  mapping->collection = collection != NULL ? g_strdup (collection->id) : NULL;
  mapping->group = group != NULL ? g_strdup (group->id) : NULL;
  mapping->group_name = group != NULL ? g_strdup (group->name) : NULL;
  g_free (mapping->unique_id_attr);
  mapping->unique_id_attr = combo_entry_dup (self->unique_id_combo);
  mapping->status_field = g_strdup (self->status_field);
  for (guint i = 0; i < self->field_rows->len; i++)
    {
      FieldRow *row = g_ptr_array_index (self->field_rows, i);
      const char *field = gtk_combo_box_get_active_id (GTK_COMBO_BOX (row->field_combo));
      g_autofree char *attribute = ps_attribute_combo_dup_spec (row->attribute_combo);
      PsOwnership ownership = PS_OWNERSHIP_NEVER_BLANK;

      if (field == NULL || attribute == NULL)
        continue;
      ps_ownership_from_string (gtk_combo_box_get_active_id (GTK_COMBO_BOX (row->ownership_combo)),
                                &ownership);
      ps_mapping_add_field (mapping, field, attribute, ownership);
    }
  /* Entra ID mappings are scoped by their group alone. */
  if (!is_entra (self))
    ps_scope_editor_apply (self->scope_editor, mapping);
  return mapping;
}

static void
update_state (PsCollectionMappingPage *self)
{
  g_autoptr(PsMapping) form = form_mapping (self);
  g_autofree char *unique_id = combo_entry_dup (self->unique_id_combo);
  const char *reason = is_entra (self) ? NULL : ps_scope_editor_get_error (self->scope_editor);
  gboolean ready = ps_choice_combo_get_active (self->account_combo) != NULL
                   && ps_choice_combo_get_active (self->module_combo) != NULL
                   && ps_choice_combo_get_active (self->collection_combo) != NULL
                   && ps_choice_combo_get_active (self->group_combo) != NULL
                   && unique_id != NULL
                   && reason == NULL;
  gboolean pending = ps_choice_combo_get_active (self->group_combo) != NULL;

  /* Every field row must be complete, or removed; a wrong attribute says why. */
  for (guint i = 0; i < self->field_rows->len; i++)
    {
      FieldRow *row = g_ptr_array_index (self->field_rows, i);
      const char *error = ps_attribute_combo_get_error (row->attribute_combo);

      if (!field_row_filled (row))
        ready = FALSE;
      if (reason == NULL)
        reason = error;
      gtk_label_set_text (row->error_label, error != NULL ? error : "");
      gtk_widget_set_visible (GTK_WIDGET (row->error_label), error != NULL);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->add_button), ready);
  /* Why Add is greyed out, when it is for a mistake rather than a gap. */
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->add_button), reason);
  ps_scope_editor_set_mapping (self->scope_editor, get_profile (self), is_entra (self) ? NULL : form);
  gtk_widget_set_sensitive (GTK_WIDGET (self->add_field_button),
                            self->fields != NULL && self->fields->len > 0);
  /* The wizard ends here: it needs at least one mapping of either kind, and
   * no group picked but not added. */
  ps_wizard_page_set_complete (PS_WIZARD_PAGE (self),
                               ps_profile_get_mappings (get_profile (self))->len > 0 && !pending);
}

static gboolean
has_option (const PsGuiChoice *field,
            const char        *option)
{
  for (guint i = 0; field->options != NULL && field->options[i] != NULL; i++)
    if (g_ascii_strcasecmp (field->options[i], option) == 0)
      return TRUE;
  return FALSE;
}

/* Finds the Integration Status AD field and says what PandaSync will do. */
static void
update_status_label (PsCollectionMappingPage *self)
{
  g_autofree char *text = NULL;
  const PsGuiChoice *status = NULL;

  g_clear_pointer (&self->status_field, g_free);
  for (guint i = 0; self->fields != NULL && i < self->fields->len; i++)
    {
      const PsGuiChoice *field = g_ptr_array_index (self->fields, i);

      if (g_ascii_strcasecmp (field->name, PS_GUI_STATUS_FIELD_NAME) == 0)
        status = field;
    }

  if (self->fields == NULL)
    {
      text = g_strdup (_("Choose a collection to see whether it tracks the integration status."));
    }
  else if (status != NULL && has_option (status, "Active") && has_option (status, "Inactive"))
    {
      self->status_field = g_strdup (status->id);
      text = g_strdup_printf (_("The collection has the field “%s”: PandaSync sets it to Active, "
                                "Inactive or None for each record."), PS_GUI_STATUS_FIELD_NAME);
    }
  else if (status != NULL)
    {
      text = g_strdup_printf (_("The collection has a field “%s”, but not with the options Active, "
                                "Inactive and None. Make it a Single Select List with those options "
                                "in Asset Panda, then choose the collection again."),
                              PS_GUI_STATUS_FIELD_NAME);
    }
  else
    {
      text = g_strdup_printf (_("Optional: to track each record’s status, add a field to the collection "
                                "in Asset Panda. For Name, enter “%s”; for Type, select Single Select "
                                "List; add the options Active, Inactive and None. PandaSync uses it "
                                "once it exists."), PS_GUI_STATUS_FIELD_NAME);
    }
  gtk_label_set_text (self->status_label, text);
}

static void
clear_field_rows (PsCollectionMappingPage *self)
{
  while (self->field_rows->len > 0)
    {
      FieldRow *row = g_ptr_array_index (self->field_rows, 0);

      gtk_widget_destroy (row->box);
      g_ptr_array_remove_index (self->field_rows, 0);
    }
}

static void
set_fields (PsCollectionMappingPage *self,
            GPtrArray               *fields)
{
  g_clear_pointer (&self->fields, g_ptr_array_unref);
  if (fields != NULL)
    self->fields = g_ptr_array_ref (fields);
  update_status_label (self);
  for (guint i = 0; i < self->field_rows->len; i++)
    {
      FieldRow *row = g_ptr_array_index (self->field_rows, i);
      fill_field_combo (self, row->field_combo);
    }
}

static void
rebuild_list (PsCollectionMappingPage *self)
{
  if (get_profile (self) == NULL)
    return;
  ps_mapping_row_fill_list (self->mappings_list, get_profile (self), PS_MAPPING_COLLECTION,
                            self->names, G_CALLBACK (on_mapping_row_remove_cb), self);
}

/* Saves the profile after an Add or a remove; says so on the page if it fails. */
static void
save_profile (PsCollectionMappingPage *self)
{
  g_autoptr(GError) error = NULL;
  gboolean saved = ps_wizard_page_save_profile (PS_WIZARD_PAGE (self), &error);

  gtk_label_set_text (self->save_error_label, saved ? "" : error->message);
  gtk_widget_set_visible (GTK_WIDGET (self->save_error_label), !saved);
}

static void
load_groups (PsCollectionMappingPage *self)
{
  ps_choice_combo_load (self->group_combo, get_profile (self), PS_GUI_LIST_GROUPS, NULL, NULL,
                        gtk_entry_get_text (GTK_ENTRY (self->group_search_entry)));
}

/* Asks the source which attributes it suggests (once per source). */
static void
load_attributes (PsCollectionMappingPage *self)
{
  if (self->attributes != NULL || self->attributes_cancellable != NULL)
    return;
  self->attributes_cancellable = g_cancellable_new ();
  ps_gui_backend_list_async (get_profile (self), PS_GUI_LIST_ATTRIBUTES, NULL, NULL, NULL,
                             self->attributes_cancellable, on_attributes_loaded_cb, self);
}

/* Sets the form up for the profile's source: its unique identifiers and
 * attributes, and the scope editor only for LDAP. */
static void
set_source_kind (PsCollectionMappingPage *self,
                 PsSourceKind             kind)
{
  const char *const *ids = kind == PS_SOURCE_KIND_ENTRA_ID ? entra_unique_ids
                           : kind == PS_SOURCE_KIND_OKTA ? okta_unique_ids : ad_unique_ids;

  self->source_kind = kind;
  g_cancellable_cancel (self->attributes_cancellable);
  g_clear_object (&self->attributes_cancellable);
  g_clear_pointer (&self->attributes, g_strfreev);

  /* The caller updates the page's state (there may be no profile yet). */
  g_signal_handlers_block_by_func (self->unique_id_combo, on_form_changed_cb, self);
  gtk_combo_box_text_remove_all (self->unique_id_combo);
  for (guint i = 0; ids[i] != NULL; i++)
    gtk_combo_box_text_append (self->unique_id_combo, ids[i], ids[i]);
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->unique_id_combo), ids[0]);
  g_signal_handlers_unblock_by_func (self->unique_id_combo, on_form_changed_cb, self);
  gtk_widget_set_visible (GTK_WIDGET (self->unique_id_hint_label), kind == PS_SOURCE_KIND_ENTRA_ID);

  for (guint i = 0; i < self->field_rows->len; i++)
    {
      FieldRow *row = g_ptr_array_index (self->field_rows, i);
      set_row_suggestions (self, row->attribute_combo);
    }
  if (self->fields == NULL && self->fields_cancellable == NULL)
    gtk_label_set_text (self->fields_message_label, no_collection_hint (self));
  else if (self->fields != NULL)
    gtk_label_set_text (self->fields_message_label, fields_hint (self));

  /* LDAP's search base and filter, or Okta's conditions; none for Entra ID. */
  ps_scope_editor_set_source_kind (self->scope_editor, kind);
  if (kind == PS_SOURCE_KIND_ENTRA_ID)
    {
      ps_scope_editor_clear (self->scope_editor);
      ps_scope_editor_set_expanded (self->scope_editor, FALSE);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->scope_editor), kind != PS_SOURCE_KIND_ENTRA_ID);
  gtk_label_set_text_with_mnemonic (self->group_label, kind == PS_SOURCE_KIND_ENTRA_ID
                                                       ? _("Entra ID _Group")
                                                       : kind == PS_SOURCE_KIND_OKTA ? _("Okta _Group")
                                                       : _("Active Directory _Group"));
  gtk_label_set_text (self->intro_label,
                      kind == PS_SOURCE_KIND_ENTRA_ID
                      ? _("Records of the chosen Microsoft Entra ID group are kept in an Asset Panda "
                          "collection, one record per user, matched by the unique identifier.")
                      : kind == PS_SOURCE_KIND_OKTA
                      ? _("Records of the chosen Okta group are kept in an Asset Panda collection, "
                          "one record per user, matched by the unique identifier.")
                      : _("Records of the chosen Active Directory group are kept in an Asset Panda "
                          "collection, one record per user, matched by the unique identifier."));
}

static FieldRow *
add_field_row (PsCollectionMappingPage *self)
{
  FieldRow *row = g_new0 (FieldRow, 1);
  GtkWidget *line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *arrow = gtk_label_new ("←");
  GtkWidget *remove = gtk_button_new_from_icon_name ("list-remove-symbolic", GTK_ICON_SIZE_BUTTON);

  row->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  row->field_combo = GTK_COMBO_BOX_TEXT (gtk_combo_box_text_new ());
  /* The reason an attribute is wrong goes under the whole row. */
  row->attribute_combo = g_object_new (PS_TYPE_ATTRIBUTE_COMBO, "show-error", FALSE, NULL);
  row->ownership_combo = GTK_COMBO_BOX_TEXT (gtk_combo_box_text_new ());
  row->remove_button = remove;
  row->error_label = GTK_LABEL (gtk_label_new (NULL));

  fill_field_combo (self, row->field_combo);
  set_row_suggestions (self, row->attribute_combo);
  gtk_entry_set_width_chars (ps_attribute_combo_get_entry (row->attribute_combo), 10);
  gtk_combo_box_text_append (row->ownership_combo, "overwrite", _("Overwrite"));
  gtk_combo_box_text_append (row->ownership_combo, "fill-empty", _("Fill if empty"));
  gtk_combo_box_text_append (row->ownership_combo, "never-blank", _("Never blank"));
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (row->ownership_combo), "never-blank");

  gtk_widget_set_tooltip_text (GTK_WIDGET (row->field_combo), _("Collection field"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (row->ownership_combo),
                               is_okta (self)
                               ? _("Overwrite: Okta always wins. Fill if empty: only writes an "
                                   "empty field. Never blank: Okta wins, but an empty value never "
                                   "clears the field.")
                               : is_entra (self)
                               ? _("Overwrite: Microsoft Entra ID always wins. Fill if empty: only "
                                   "writes an empty field. Never blank: Microsoft Entra ID wins, but "
                                   "an empty value never clears the field.")
                               : _("Overwrite: Active Directory always wins. Fill if empty: only writes "
                                   "an empty field. Never blank: Active Directory wins, but an empty "
                                   "value never clears the field."));
  gtk_widget_set_tooltip_text (remove, _("Remove this field"));
  /* The row's parts have no label of their own: name them for screen readers. */
  ps_a11y_set_name (GTK_WIDGET (row->field_combo), _("Collection field"));
  ps_a11y_set_name (GTK_WIDGET (ps_attribute_combo_get_combo (row->attribute_combo)), _("Attribute"));
  ps_a11y_set_name (GTK_WIDGET (row->ownership_combo), _("Ownership"));
  ps_a11y_set_name (remove, _("Remove this field"));
  gtk_widget_set_hexpand (GTK_WIDGET (row->field_combo), TRUE);
  gtk_widget_set_hexpand (GTK_WIDGET (row->attribute_combo), TRUE);
  gtk_style_context_add_class (gtk_widget_get_style_context (remove), "flat");
  gtk_label_set_xalign (row->error_label, 0);
  gtk_label_set_line_wrap (row->error_label, TRUE);
  gtk_label_set_max_width_chars (row->error_label, 50);
  gtk_style_context_add_class (gtk_widget_get_style_context (GTK_WIDGET (row->error_label)),
                               "ps-field-error");

  g_signal_connect_swapped (row->field_combo, "changed", G_CALLBACK (on_form_changed_cb), self);
  g_signal_connect_swapped (row->attribute_combo, "changed", G_CALLBACK (on_form_changed_cb), self);
  g_signal_connect (remove, "clicked", G_CALLBACK (on_field_row_remove_clicked_cb), self);

  gtk_container_add (GTK_CONTAINER (line), GTK_WIDGET (row->field_combo));
  gtk_container_add (GTK_CONTAINER (line), arrow);
  gtk_container_add (GTK_CONTAINER (line), GTK_WIDGET (row->attribute_combo));
  gtk_container_add (GTK_CONTAINER (line), GTK_WIDGET (row->ownership_combo));
  gtk_container_add (GTK_CONTAINER (line), remove);
  gtk_container_add (GTK_CONTAINER (row->box), line);
  gtk_container_add (GTK_CONTAINER (row->box), GTK_WIDGET (row->error_label));
  gtk_widget_show_all (row->box);
  gtk_widget_hide (GTK_WIDGET (row->error_label));
  gtk_container_add (GTK_CONTAINER (self->fields_box), row->box);
  g_ptr_array_add (self->field_rows, row);
  update_state (self);
  return row;
}

static void
load_fields (PsCollectionMappingPage *self)
{
  const char *account = ps_choice_combo_get_active_id (self->account_combo);
  const char *collection = ps_choice_combo_get_active_id (self->collection_combo);

  g_cancellable_cancel (self->fields_cancellable);
  g_clear_object (&self->fields_cancellable);
  set_fields (self, NULL);
  if (collection == NULL)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->fields_spinner), FALSE);
      gtk_label_set_text (self->fields_message_label, no_collection_hint (self));
      return;
    }
  self->fields_cancellable = g_cancellable_new ();
  gtk_widget_set_visible (GTK_WIDGET (self->fields_spinner), TRUE);
  gtk_label_set_text (self->fields_message_label, _("Loading the collection’s fields…"));
  ps_gui_backend_list_async (get_profile (self), PS_GUI_LIST_FIELDS, account,
                             ps_choice_combo_get_active_id (self->module_combo), collection,
                             self->fields_cancellable, on_fields_loaded_cb, self);
}

/* ---------------------------------------------------------------- callbacks */

/* Keeps the names of what a combo loaded, for the mapping list. */
static void
on_choice_combo_loaded_cb (PsCollectionMappingPage *self,
                           PsChoiceCombo *combo)
{
  GPtrArray *choices = ps_choice_combo_get_choices (combo);

  for (guint i = 0; i < choices->len; i++)
    {
      const PsGuiChoice *choice = g_ptr_array_index (choices, i);
      g_hash_table_replace (self->names, g_strdup (choice->id), g_strdup (choice->name));
    }
  rebuild_list (self);
}

static void
on_form_changed_cb (PsCollectionMappingPage *self)
{
  update_state (self);
}

static void
on_field_row_remove_clicked_cb (GtkButton *button,
                                gpointer   user_data)
{
  PsCollectionMappingPage *self = PS_COLLECTION_MAPPING_PAGE (user_data);

  for (guint i = 0; i < self->field_rows->len; i++)
    {
      FieldRow *row = g_ptr_array_index (self->field_rows, i);

      if (row->remove_button == GTK_WIDGET (button))
        {
          gtk_widget_destroy (row->box);
          g_ptr_array_remove_index (self->field_rows, i);
          break;
        }
    }
  update_state (self);
}

static void
on_add_field_button_clicked_cb (PsCollectionMappingPage *self)
{
  FieldRow *row = add_field_row (self);

  gtk_widget_grab_focus (GTK_WIDGET (row->field_combo));
}

static void
on_fields_loaded_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  PsCollectionMappingPage *self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) fields = ps_gui_backend_list_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = PS_COLLECTION_MAPPING_PAGE (user_data);
  g_clear_object (&self->fields_cancellable);
  gtk_widget_set_visible (GTK_WIDGET (self->fields_spinner), FALSE);

  if (fields == NULL)
    {
      gtk_label_set_text (self->fields_message_label, error->message);
      set_fields (self, NULL);
    }
  else
    {
      gtk_label_set_text (self->fields_message_label, fields_hint (self));
      set_fields (self, fields);
    }
  update_state (self);
}

static void
on_account_combo_changed_cb (PsCollectionMappingPage *self)
{
  const char *account = ps_choice_combo_get_active_id (self->account_combo);

  ps_choice_combo_clear (self->collection_combo);
  if (account == NULL)
    ps_choice_combo_clear (self->module_combo);
  else
    ps_choice_combo_load (self->module_combo, get_profile (self), PS_GUI_LIST_MODULES, account, NULL, NULL);
  update_state (self);
}

static void
on_module_combo_changed_cb (PsCollectionMappingPage *self)
{
  const char *account = ps_choice_combo_get_active_id (self->account_combo);
  const char *module = ps_choice_combo_get_active_id (self->module_combo);

  if (account == NULL || module == NULL)
    ps_choice_combo_clear (self->collection_combo);
  else
    ps_choice_combo_load (self->collection_combo, get_profile (self), PS_GUI_LIST_COLLECTIONS,
                          account, module, NULL);
  update_state (self);
}

static void
on_collection_combo_changed_cb (PsCollectionMappingPage *self)
{
  /* The rows name fields of the previous collection. */
  clear_field_rows (self);
  load_fields (self);
  update_state (self);
}

static void
on_group_search_entry_search_changed_cb (PsCollectionMappingPage *self)
{
  load_groups (self);
}

static void
on_attributes_loaded_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  PsCollectionMappingPage *self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) choices = ps_gui_backend_list_finish (result, &error);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = PS_COLLECTION_MAPPING_PAGE (user_data);
  g_clear_object (&self->attributes_cancellable);
  if (choices == NULL)
    {
      /* The group list says what is wrong with the connection. */
      g_debug ("No attribute suggestions: %s", error->message);
      return;
    }
  for (guint i = 0; i < choices->len; i++)
    g_strv_builder_add (builder, ((PsGuiChoice *) g_ptr_array_index (choices, i))->id);
  self->attributes = g_strv_builder_end (builder);
  for (guint i = 0; i < self->field_rows->len; i++)
    {
      FieldRow *row = g_ptr_array_index (self->field_rows, i);
      ps_attribute_combo_add_suggestions (row->attribute_combo, (const char *const *) self->attributes);
    }
}

static void
on_profile_changed_cb (PsCollectionMappingPage *self)
{
  PsSourceKind kind = ps_profile_get_source_kind (get_profile (self));

  /* The Connection page switched the source: its groups, not the old ones. */
  if (kind != self->source_kind)
    {
      set_source_kind (self, kind);
      gtk_combo_box_set_active (ps_choice_combo_get_combo (self->group_combo), -1);
      gtk_entry_set_text (GTK_ENTRY (self->group_search_entry), "");
      ps_choice_combo_clear (self->group_combo);
      if (gtk_widget_get_mapped (GTK_WIDGET (self)))
        {
          load_groups (self);
          load_attributes (self);
        }
    }
  rebuild_list (self);
  update_state (self);
}

static void
on_mapping_row_remove_cb (PsCollectionMappingPage *self,
                          PsMappingRow            *row)
{
  g_autofree char *name = g_strdup (ps_mapping_row_get_mapping_name (row));

  ps_profile_remove_mapping (get_profile (self), name);
  save_profile (self);
}

static void
on_add_button_clicked_cb (PsCollectionMappingPage *self)
{
  g_autoptr(PsMapping) mapping = NULL;

  /* Only a complete form: every field row is in the mapping. */
  if (!gtk_widget_get_sensitive (GTK_WIDGET (self->add_button)))
    return;

  mapping = form_mapping (self);
  ps_profile_add_mapping (get_profile (self), g_steal_pointer (&mapping));
  save_profile (self);

  /* Ready for the next group; the collection and its field rows stay. */
  gtk_combo_box_set_active (ps_choice_combo_get_combo (self->group_combo), -1);
  /* …and the group search with it, or the form looks as if it lost the group. */
  gtk_entry_set_text (GTK_ENTRY (self->group_search_entry), "");
  /* A scope is one group's: the next starts with the whole group. */
  ps_scope_editor_clear (self->scope_editor);
  update_state (self);
}

/* ---------------------------------------------------------------- overrides */

static void
ps_collection_mapping_page_shown (PsWizardPage *page)
{
  PsCollectionMappingPage *self = PS_COLLECTION_MAPPING_PAGE (page);

  if (ps_choice_combo_get_n_choices (self->account_combo) == 0
      && !ps_choice_combo_get_loading (self->account_combo))
    ps_choice_combo_load (self->account_combo, get_profile (self), PS_GUI_LIST_ACCOUNTS, NULL, NULL, NULL);
  if (ps_choice_combo_get_n_choices (self->group_combo) == 0
      && !ps_choice_combo_get_loading (self->group_combo))
    load_groups (self);
  load_attributes (self);
  update_state (self);
}

static void
ps_collection_mapping_page_constructed (GObject *object)
{
  PsCollectionMappingPage *self = PS_COLLECTION_MAPPING_PAGE (object);
  PsProfile *profile;

  G_OBJECT_CLASS (ps_collection_mapping_page_parent_class)->constructed (object);

  profile = get_profile (self);
  if (profile == NULL)
    return;
  g_signal_connect_object (profile, "changed", G_CALLBACK (on_profile_changed_cb), self,
                           G_CONNECT_SWAPPED);
  set_source_kind (self, ps_profile_get_source_kind (profile));
  rebuild_list (self);
  update_status_label (self);
  update_state (self);
}

static void
ps_collection_mapping_page_dispose (GObject *object)
{
  PsCollectionMappingPage *self = PS_COLLECTION_MAPPING_PAGE (object);

  g_cancellable_cancel (self->fields_cancellable);
  g_clear_object (&self->fields_cancellable);
  g_cancellable_cancel (self->attributes_cancellable);
  g_clear_object (&self->attributes_cancellable);
  G_OBJECT_CLASS (ps_collection_mapping_page_parent_class)->dispose (object);
}

static void
ps_collection_mapping_page_finalize (GObject *object)
{
  PsCollectionMappingPage *self = PS_COLLECTION_MAPPING_PAGE (object);

  g_clear_pointer (&self->fields, g_ptr_array_unref);
  g_ptr_array_unref (self->field_rows);
  g_free (self->status_field);
  g_strfreev (self->attributes);
  g_hash_table_unref (self->names);
  G_OBJECT_CLASS (ps_collection_mapping_page_parent_class)->finalize (object);
}

static void
ps_collection_mapping_page_class_init (PsCollectionMappingPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  PsWizardPageClass *page_class = PS_WIZARD_PAGE_CLASS (klass);

  object_class->constructed = ps_collection_mapping_page_constructed;
  object_class->dispose = ps_collection_mapping_page_dispose;
  object_class->finalize = ps_collection_mapping_page_finalize;
  page_class->page_id = "collection-mapping";
  page_class->shown = ps_collection_mapping_page_shown;

  g_type_ensure (PS_TYPE_CHOICE_COMBO);
  g_type_ensure (PS_TYPE_SCOPE_EDITOR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PATH "/pages/ps-collection-mapping-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PsCollectionMappingPage, account_combo);
  gtk_widget_class_bind_template_child (widget_class, PsCollectionMappingPage, add_button);
  gtk_widget_class_bind_template_child (widget_class, PsCollectionMappingPage, add_field_button);
  gtk_widget_class_bind_template_child (widget_class, PsCollectionMappingPage, collection_combo);
  gtk_widget_class_bind_template_child (widget_class, PsCollectionMappingPage, fields_box);
  gtk_widget_class_bind_template_child (widget_class, PsCollectionMappingPage, fields_message_label);
  gtk_widget_class_bind_template_child (widget_class, PsCollectionMappingPage, fields_spinner);
  gtk_widget_class_bind_template_child (widget_class, PsCollectionMappingPage, form_box);
  gtk_widget_class_bind_template_child (widget_class, PsCollectionMappingPage, form_scrolled);
  gtk_widget_class_bind_template_child (widget_class, PsCollectionMappingPage, group_combo);
  gtk_widget_class_bind_template_child (widget_class, PsCollectionMappingPage, group_label);
  gtk_widget_class_bind_template_child (widget_class, PsCollectionMappingPage, group_search_entry);
  gtk_widget_class_bind_template_child (widget_class, PsCollectionMappingPage, intro_label);
  gtk_widget_class_bind_template_child (widget_class, PsCollectionMappingPage, mappings_list);
  gtk_widget_class_bind_template_child (widget_class, PsCollectionMappingPage, module_combo);
  gtk_widget_class_bind_template_child (widget_class, PsCollectionMappingPage, save_error_label);
  gtk_widget_class_bind_template_child (widget_class, PsCollectionMappingPage, scope_editor);
  gtk_widget_class_bind_template_child (widget_class, PsCollectionMappingPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, PsCollectionMappingPage, unique_id_combo);
  gtk_widget_class_bind_template_child (widget_class, PsCollectionMappingPage, unique_id_hint_label);
  gtk_widget_class_bind_template_callback (widget_class, on_account_combo_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_add_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_add_field_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_collection_combo_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_form_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_group_search_entry_search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_module_combo_changed_cb);
}

static void
ps_collection_mapping_page_init (PsCollectionMappingPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* The group label's mnemonic goes to the search; the list it fills is named. */
  ps_a11y_set_name (GTK_WIDGET (ps_choice_combo_get_combo (self->group_combo)), _("Group"));
  /* Tabbing through the form scrolls to the field that has the focus. */
  gtk_container_set_focus_vadjustment (GTK_CONTAINER (self->form_box),
                                       gtk_scrolled_window_get_vadjustment (self->form_scrolled));
  self->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_signal_connect_swapped (self->account_combo, "loaded", G_CALLBACK (on_choice_combo_loaded_cb), self);
  g_signal_connect_swapped (self->module_combo, "loaded", G_CALLBACK (on_choice_combo_loaded_cb), self);
  g_signal_connect_swapped (self->collection_combo, "loaded", G_CALLBACK (on_choice_combo_loaded_cb), self);
  self->field_rows = g_ptr_array_new_with_free_func ((GDestroyNotify) field_row_free);
  set_source_kind (self, PS_SOURCE_KIND_ACTIVE_DIRECTORY);
  ps_wizard_page_set_title (PS_WIZARD_PAGE (self), _("Collection Mapping"));
  ps_wizard_page_set_apply_label (PS_WIZARD_PAGE (self), _("_Done"));
}

/* ---------------------------------------------------------------- public API */

PsWizardPage *
ps_collection_mapping_page_new (PsProfile *profile)
{
  return g_object_new (PS_TYPE_COLLECTION_MAPPING_PAGE, "profile", profile, NULL);
}

void
ps_collection_mapping_page_add_field_row (PsCollectionMappingPage *self,
                                          const char              *field_id,
                                          const char              *attribute,
                                          PsOwnership              ownership)
{
  FieldRow *row;

  g_return_if_fail (PS_IS_COLLECTION_MAPPING_PAGE (self));

  row = add_field_row (self);
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (row->field_combo), field_id);
  ps_attribute_combo_set_spec (row->attribute_combo, attribute);
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (row->ownership_combo), ps_ownership_to_string (ownership));
  update_state (self);
}

const char *
ps_collection_mapping_page_get_status_text (PsCollectionMappingPage *self)
{
  g_return_val_if_fail (PS_IS_COLLECTION_MAPPING_PAGE (self), NULL);
  return gtk_label_get_text (self->status_label);
}
