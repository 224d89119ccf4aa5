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
 *
 * The field rows sit under column headings; a new collection starts with
 * rows for its email and name fields filled in, and a field already mapped
 * is not offered again. Edit loads a mapping into the form (its unique
 * identifier stays: it is what links records to people); saving replaces
 * it in place, and a new name carries its sync state along.
 */

#include <glib/gi18n.h>

#include "ps-a11y.h"
#include "ps-collection-mapping-page.h"
#include "ps-gui-backend.h"
#include "ps-names.h"
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
  GtkButton        *cancel_edit_button;
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
  PsNames          *names;             /* the names of what was listed (the backend keeps them on disk) */
  PsMapping        *editing;           /* the saved mapping the form edits, or NULL */
  GPtrArray        *pending_fields;    /* its field rows (PsFieldMap*), until the fields load */
  char             *group_search;      /* the search text of the last group load */
  GCancellable     *rename_cancellable;
  GtkWidget        *fields_header;     /* the column headings of the field rows */
  GtkSizeGroup     *field_columns[3];  /* field, attribute, ownership */
  GCancellable     *names_cancellable; /* listing the fields of saved mappings, for their names */
  gboolean          refilling;         /* the field combos are being refilled */
  PsSourceKind      source_kind;       /* the one the form is set up for */
  GCancellable     *attributes_cancellable;
  GStrv             attributes;        /* what the source suggests, once loaded */
};

G_DEFINE_FINAL_TYPE (PsCollectionMappingPage, ps_collection_mapping_page, PS_TYPE_WIZARD_PAGE)

static void on_mapping_row_remove_cb       (PsCollectionMappingPage *self,
                                            PsMappingRow            *row);
static void on_mapping_row_edit_cb         (PsCollectionMappingPage *self,
                                            PsMappingRow            *row);
static void on_field_combo_changed_cb      (PsCollectionMappingPage *self);
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

/* The rows a new collection mapping starts with: a field whose name is one
 * of @names (case does not matter) ← the attribute (AD, Entra ID, Okta). */
static const struct {
  const char *names[4];
  const char *ad;
  const char *entra;
  const char *okta;
} default_fields[] = {
  { { "First Name", "Given Name", "Firstname", NULL }, "givenName", "givenName", "firstName" },
  { { "Last Name", "Surname", "Lastname", NULL }, "sn", "surname", "lastName" },
  { { "Email", "E-mail", "Email Address", NULL }, "mail|userPrincipalName", "mail|userPrincipalName",
    "email|login" },
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

/* Whether a field row other than @combo's maps the field @id. */
static gboolean
field_taken (PsCollectionMappingPage *self,
             GtkComboBoxText         *combo,
             const char              *id)
{
  for (guint i = 0; i < self->field_rows->len; i++)
    {
      FieldRow *row = g_ptr_array_index (self->field_rows, i);

      if (row->field_combo != combo
          && g_strcmp0 (gtk_combo_box_get_active_id (GTK_COMBO_BOX (row->field_combo)), id) == 0)
        return TRUE;
    }
  return FALSE;
}

/* The collection's fields, less the status field (PandaSync writes it) and
 * those another row maps already. */
static void
fill_field_combo (PsCollectionMappingPage *self,
                  GtkComboBoxText         *combo)
{
  g_autofree char *active = g_strdup (gtk_combo_box_get_active_id (GTK_COMBO_BOX (combo)));
  gboolean refilling = self->refilling;

  self->refilling = TRUE;
  gtk_combo_box_text_remove_all (combo);
  for (guint i = 0; self->fields != NULL && i < self->fields->len; i++)
    {
      const PsGuiChoice *field = g_ptr_array_index (self->fields, i);

      if (g_strcmp0 (field->id, self->status_field) == 0 || field_taken (self, combo, field->id))
        continue;
      gtk_combo_box_text_append (combo, field->id, field->name);
    }
  if (active != NULL)
    gtk_combo_box_set_active_id (GTK_COMBO_BOX (combo), active);
  self->refilling = refilling;
}

static void
refill_field_combos (PsCollectionMappingPage *self)
{
  for (guint i = 0; i < self->field_rows->len; i++)
    {
      FieldRow *row = g_ptr_array_index (self->field_rows, i);
      fill_field_combo (self, row->field_combo);
    }
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
  /* An edit keeps what the form does not show (Enabled, MatchOnly,
   * UniqueField, the deactivation threshold …). */
  PsMapping *mapping = self->editing != NULL ? ps_mapping_copy (self->editing)
                                             : ps_mapping_new (PS_MAPPING_COLLECTION, name);

  g_free (mapping->name);
  mapping->name = g_steal_pointer (&name);
  g_free (mapping->account);
  mapping->account = account != NULL ? g_strdup (account->id) : NULL;
  g_free (mapping->module);
  mapping->module = module != NULL ? g_strdup (module->id) : NULL;
  g_free (mapping->collection);
  mapping->collection = collection != NULL ? g_strdup (collection->id) : NULL;
  g_free (mapping->group);
  mapping->group = group != NULL ? g_strdup (group->id) : NULL;
  g_free (mapping->group_name);
  mapping->group_name = group != NULL ? g_strdup (group->name) : NULL;
  g_free (mapping->unique_id_attr);
  mapping->unique_id_attr = combo_entry_dup (self->unique_id_combo);
  g_free (mapping->status_field);
  mapping->status_field = g_strdup (self->status_field);
  g_ptr_array_set_size (mapping->fields, 0);
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

/* What Add (or Save) still needs, in words the administrator can act on. */
static const char *
form_missing (PsCollectionMappingPage *self)
{
  g_autofree char *unique_id = combo_entry_dup (self->unique_id_combo);
  const char *reason = is_entra (self) ? NULL : ps_scope_editor_get_error (self->scope_editor);

  if (ps_choice_combo_get_active (self->account_combo) == NULL)
    return _("Choose an account");
  if (ps_choice_combo_get_active (self->module_combo) == NULL)
    return _("Choose a module");
  if (ps_choice_combo_get_active (self->collection_combo) == NULL)
    return _("Choose a collection");
  if (ps_choice_combo_get_active (self->group_combo) == NULL)
    return _("Choose a group");
  if (unique_id == NULL)
    return _("Enter the unique identifier");
  for (guint i = 0; i < self->field_rows->len; i++)
    {
      FieldRow *row = g_ptr_array_index (self->field_rows, i);
      const char *error = ps_attribute_combo_get_error (row->attribute_combo);
      g_autofree char *attribute = ps_attribute_combo_dup_spec (row->attribute_combo);

      if (error != NULL)
        return error;
      if (gtk_combo_box_get_active_id (GTK_COMBO_BOX (row->field_combo)) == NULL)
        return _("Choose a collection field for each field row, or remove the row");
      if (attribute == NULL)
        return _("Map an attribute to each field row, or remove the row");
    }
  return reason;
}

static void
update_state (PsCollectionMappingPage *self)
{
  g_autoptr(PsMapping) form = form_mapping (self);
  const char *missing = form_missing (self);
  const PsGuiChoice *group = ps_choice_combo_get_active (self->group_combo);
  g_autofree char *pending = NULL;

  /* A wrong attribute says why under its row. */
  for (guint i = 0; i < self->field_rows->len; i++)
    {
      FieldRow *row = g_ptr_array_index (self->field_rows, i);
      const char *error = ps_attribute_combo_get_error (row->attribute_combo);

      gtk_label_set_text (row->error_label, error != NULL ? error : "");
      gtk_widget_set_visible (GTK_WIDGET (row->error_label), error != NULL);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->add_button), missing == NULL && self->rename_cancellable == NULL);
  /* Why Add is greyed out. */
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->add_button), missing);
  ps_scope_editor_set_mapping (self->scope_editor, get_profile (self), is_entra (self) ? NULL : form);
  gtk_widget_set_sensitive (GTK_WIDGET (self->add_field_button),
                            self->fields != NULL && self->fields->len > 0);
  if (self->fields_header != NULL)
    gtk_widget_set_visible (self->fields_header, self->field_rows->len > 0);
  /* The wizard ends here: it needs at least one mapping of either kind, and
   * no group picked but not added. */
  if (self->editing != NULL)
    pending = g_strdup (missing != NULL ? missing : _("Save the mapping you are editing, or cancel the edit"));
  else if (group != NULL)
    pending = missing != NULL ? g_strdup (missing)
                              : g_strdup_printf (_("Add the mapping of “%s”, or clear the group"), group->name);
  else if (ps_profile_get_mappings (get_profile (self))->len == 0)
    pending = g_strdup (missing != NULL ? missing : _("Add a user or collection mapping"));
  ps_wizard_page_set_missing (PS_WIZARD_PAGE (self), pending);
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
  ps_mapping_row_fill_list (self->mappings_list, get_profile (self), PS_MAPPING_COLLECTION, self->names,
                            self->editing != NULL ? self->editing->name : NULL,
                            G_CALLBACK (on_mapping_row_remove_cb), G_CALLBACK (on_mapping_row_edit_cb), NULL,
                            self);
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
  g_free (self->group_search);
  self->group_search = g_strdup (gtk_entry_get_text (GTK_ENTRY (self->group_search_entry)));
  ps_choice_combo_load (self->group_combo, get_profile (self), PS_GUI_LIST_GROUPS, NULL, NULL,
                        self->group_search);
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

/* Scrolls the form so that a new field row shows, once it has its place. */
static void
on_field_row_allocated_cb (GtkWidget     *box,
                           GdkRectangle  *allocation,
                           gpointer       user_data)
{
  PsCollectionMappingPage *self = PS_COLLECTION_MAPPING_PAGE (user_data);
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->form_scrolled);
  int x = 0, y = 0;

  g_signal_handlers_disconnect_by_func (box, on_field_row_allocated_cb, user_data);
  if (!gtk_widget_translate_coordinates (box, GTK_WIDGET (self->form_box), 0, 0, &x, &y))
    return;
  /* The row's bottom at the bottom of the view, unless it shows already. */
  if (y + allocation->height > gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment))
    gtk_adjustment_set_value (adjustment, y + allocation->height - gtk_adjustment_get_page_size (adjustment) + 12);
  else if (y < gtk_adjustment_get_value (adjustment))
    gtk_adjustment_set_value (adjustment, y);
}

static void
add_fields_header (PsCollectionMappingPage *self)
{
  const char *titles[] = { N_("Collection field"), N_("Attribute"), N_("When they differ") };
  GtkWidget *line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    {
      GtkWidget *label = gtk_label_new (_(titles[i]));

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_style_context_add_class (gtk_widget_get_style_context (label), "dim-label");
      gtk_size_group_add_widget (self->field_columns[i], label);
      gtk_widget_set_hexpand (label, i == 1);
      gtk_container_add (GTK_CONTAINER (line), label);
      if (i == 0)
        {
          /* Under the arrow of the rows. */
          GtkWidget *gap = gtk_label_new ("←");

          gtk_widget_set_opacity (gap, 0);
          gtk_container_add (GTK_CONTAINER (line), gap);
        }
    }
  /* Room for the rows' remove buttons. */
  {
    GtkWidget *room = gtk_label_new (NULL);

    gtk_widget_set_size_request (room, 34, -1);
    gtk_container_add (GTK_CONTAINER (line), room);
  }
    gtk_widget_show_all (line);
  gtk_widget_set_no_show_all (line, TRUE);
  gtk_widget_hide (line);
  /* Above the rows, not among them. */
  {
    int position = 0;

    gtk_container_child_get (GTK_CONTAINER (self->form_box), GTK_WIDGET (self->fields_box),
                             "position", &position, NULL);
    gtk_box_pack_start (self->form_box, line, FALSE, FALSE, 0);
    gtk_box_reorder_child (self->form_box, line, position);
  }
  self->fields_header = line;
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

  /* Added first, so the other rows stop offering its field once it has one. */
  g_ptr_array_add (self->field_rows, row);
  fill_field_combo (self, row->field_combo);
  set_row_suggestions (self, row->attribute_combo);
  /* Wide enough for userPrincipalName; the column takes the room the
   * window gives beyond that. */
  gtk_entry_set_width_chars (ps_attribute_combo_get_entry (row->attribute_combo), 15);
  /* One line each, however long a field's name: a row stays one row high. */
  {
    g_autoptr(GList) cells = gtk_cell_layout_get_cells (GTK_CELL_LAYOUT (row->field_combo));

    for (GList *l = cells; l != NULL; l = l->next)
      g_object_set (l->data, "ellipsize", PANGO_ELLIPSIZE_END, "width-chars", 12, NULL);
  }
  gtk_widget_set_valign (GTK_WIDGET (row->field_combo), GTK_ALIGN_CENTER);
  gtk_widget_set_valign (GTK_WIDGET (row->attribute_combo), GTK_ALIGN_CENTER);
  gtk_widget_set_valign (GTK_WIDGET (row->ownership_combo), GTK_ALIGN_CENTER);
  gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
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
  /* The row's parts have no label of their own but the headings: name them
   * after those for screen readers. */
  ps_a11y_set_name (GTK_WIDGET (row->field_combo), _("Collection field"));
  ps_a11y_set_name (GTK_WIDGET (ps_attribute_combo_get_combo (row->attribute_combo)), _("Attribute"));
  ps_a11y_set_name (GTK_WIDGET (row->ownership_combo), _("When they differ"));
  ps_a11y_set_name (remove, _("Remove this field"));
  gtk_widget_set_hexpand (GTK_WIDGET (row->attribute_combo), TRUE);
  gtk_size_group_add_widget (self->field_columns[0], GTK_WIDGET (row->field_combo));
  gtk_size_group_add_widget (self->field_columns[1], GTK_WIDGET (row->attribute_combo));
  gtk_size_group_add_widget (self->field_columns[2], GTK_WIDGET (row->ownership_combo));
  gtk_style_context_add_class (gtk_widget_get_style_context (remove), "flat");
  gtk_label_set_xalign (row->error_label, 0);
  gtk_label_set_line_wrap (row->error_label, TRUE);
  gtk_label_set_max_width_chars (row->error_label, 50);
  gtk_style_context_add_class (gtk_widget_get_style_context (GTK_WIDGET (row->error_label)),
                               "ps-field-error");

  g_signal_connect_swapped (row->field_combo, "changed", G_CALLBACK (on_field_combo_changed_cb), self);
  g_signal_connect_swapped (row->attribute_combo, "changed", G_CALLBACK (on_form_changed_cb), self);
  g_signal_connect (remove, "clicked", G_CALLBACK (on_field_row_remove_clicked_cb), self);

  gtk_container_add (GTK_CONTAINER (line), GTK_WIDGET (row->field_combo));
  gtk_container_add (GTK_CONTAINER (line), arrow);
  gtk_container_add (GTK_CONTAINER (line), GTK_WIDGET (row->attribute_combo));
  gtk_container_add (GTK_CONTAINER (line), GTK_WIDGET (row->ownership_combo));
  gtk_container_add (GTK_CONTAINER (line), remove);
  gtk_container_add (GTK_CONTAINER (row->box), line);
  gtk_container_add (GTK_CONTAINER (row->box), GTK_WIDGET (row->error_label));
  /* Not gtk_widget_show_all (): it would show the attribute combo's own
   * (empty) error line and make the row taller. */
  gtk_widget_show (GTK_WIDGET (row->field_combo));
  gtk_widget_show (arrow);
  gtk_widget_show (GTK_WIDGET (row->attribute_combo));
  gtk_widget_show (GTK_WIDGET (row->ownership_combo));
  gtk_widget_show (remove);
  gtk_widget_show (line);
  gtk_widget_show (row->box);
  gtk_container_add (GTK_CONTAINER (self->fields_box), row->box);
  g_signal_connect (row->box, "size-allocate", G_CALLBACK (on_field_row_allocated_cb), self);
  update_state (self);
  return row;
}

/* Adds a field row for @field, filled in. */
static FieldRow *
add_filled_field_row (PsCollectionMappingPage *self,
                      const char              *field,
                      const char              *attribute,
                      PsOwnership              ownership)
{
  FieldRow *row = add_field_row (self);

  gtk_combo_box_set_active_id (GTK_COMBO_BOX (row->field_combo), field);
  ps_attribute_combo_set_spec (row->attribute_combo, attribute);
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (row->ownership_combo), ps_ownership_to_string (ownership));
  return row;
}

/* A new collection's first rows: its email and name fields, from the
 * source's usual attributes. */
static void
add_default_field_rows (PsCollectionMappingPage *self)
{
  for (guint d = 0; d < G_N_ELEMENTS (default_fields); d++)
    for (guint i = 0; self->fields != NULL && i < self->fields->len; i++)
      {
        const PsGuiChoice *field = g_ptr_array_index (self->fields, i);
        gboolean match = FALSE;

        for (guint n = 0; default_fields[d].names[n] != NULL && !match; n++)
          match = g_ascii_strcasecmp (field->name, default_fields[d].names[n]) == 0;
        if (!match || g_strcmp0 (field->id, self->status_field) == 0 || field_taken (self, NULL, field->id))
          continue;
        add_filled_field_row (self, field->id,
                              is_okta (self) ? default_fields[d].okta
                              : is_entra (self) ? default_fields[d].entra : default_fields[d].ad,
                              PS_OWNERSHIP_NEVER_BLANK);
        break;
      }
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

/* Keeps the names of @choices, for the mapping list (the backend has also
 * kept them on disk, for the next start). */
static void
remember_names (PsCollectionMappingPage *self,
                PsNameKind               kind,
                const char              *scope,
                GPtrArray               *choices)
{
  for (guint i = 0; choices != NULL && i < choices->len; i++)
    {
      const PsGuiChoice *choice = g_ptr_array_index (choices, i);
      ps_names_set (self->names, kind, scope, choice->id, choice->name);
    }
  if (choices != NULL && choices->len > 0)
    rebuild_list (self);
}

static void
on_choice_combo_loaded_cb (PsCollectionMappingPage *self,
                           PsChoiceCombo *combo)
{
  if (combo == self->account_combo)
    remember_names (self, PS_NAME_ACCOUNT, NULL, ps_choice_combo_get_choices (combo));
  else if (combo == self->module_combo)
    remember_names (self, PS_NAME_MODULE, NULL, ps_choice_combo_get_choices (combo));
  else
    remember_names (self, PS_NAME_COLLECTION, NULL, ps_choice_combo_get_choices (combo));
}

/* A row's field changed: the other rows no longer offer it. */
static void
on_field_combo_changed_cb (PsCollectionMappingPage *self)
{
  if (!self->refilling)
    refill_field_combos (self);
  update_state (self);
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
  /* Its field is free again. */
  refill_field_combos (self);
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
      remember_names (self, PS_NAME_FIELD, ps_choice_combo_get_active_id (self->collection_combo), fields);
      /* An edited mapping's rows, or a new collection's first ones. */
      if (self->pending_fields != NULL)
        {
          g_autoptr(GPtrArray) pending = g_steal_pointer (&self->pending_fields);

          clear_field_rows (self);
          for (guint i = 0; i < pending->len; i++)
            {
              const PsFieldMap *f = g_ptr_array_index (pending, i);
              add_filled_field_row (self, f->field, f->attribute, f->ownership);
            }
        }
      else if (self->field_rows->len == 0 && self->editing == NULL)
        add_default_field_rows (self);
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
  /* Editing a mapping loads its group at once; the entry's delayed signal
   * for the same text must not load it again and lose the selection. */
  if (g_strcmp0 (self->group_search, gtk_entry_get_text (GTK_ENTRY (self->group_search_entry))) == 0
      && (ps_choice_combo_get_loading (self->group_combo) || ps_choice_combo_get_n_choices (self->group_combo) > 0))
    return;
  load_groups (self);
}

/* Leaves edit mode; the form keeps account, module, collection and fields. */
static void
end_edit (PsCollectionMappingPage *self)
{
  g_clear_pointer (&self->editing, ps_mapping_free);
  g_clear_pointer (&self->pending_fields, g_ptr_array_unref);
  if (self->rename_cancellable != NULL)
    {
      g_object_set_data (G_OBJECT (self->rename_cancellable), "page", NULL);
      g_cancellable_cancel (self->rename_cancellable);
    }
  g_clear_object (&self->rename_cancellable);
  gtk_button_set_label (self->add_button, _("_Add"));
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_edit_button), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->unique_id_combo), TRUE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->unique_id_combo), NULL);
  gtk_combo_box_set_active (ps_choice_combo_get_combo (self->group_combo), -1);
  gtk_entry_set_text (GTK_ENTRY (self->group_search_entry), "");
  ps_scope_editor_clear (self->scope_editor);
  rebuild_list (self);
  update_state (self);
}

/* Fills the form with @mapping; its lists load one after the other and each
 * selects the mapping's choice once it has it, the field rows once the
 * collection's fields are in. */
static void
begin_edit (PsCollectionMappingPage *self,
            const PsMapping         *mapping)
{
  g_autoptr(GPtrArray) fields = g_ptr_array_new ();

  g_clear_pointer (&self->editing, ps_mapping_free);
  self->editing = ps_mapping_copy (mapping);
  g_clear_pointer (&self->pending_fields, g_ptr_array_unref);
  self->pending_fields = g_ptr_array_ref (self->editing->fields);
  gtk_button_set_label (self->add_button, _("S_ave"));
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_edit_button), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->save_error_label), FALSE);

  ps_choice_combo_select_id (self->account_combo, mapping->account);
  ps_choice_combo_select_id (self->module_combo, mapping->module);
  ps_choice_combo_select_id (self->collection_combo, mapping->collection);
  gtk_entry_set_text (GTK_ENTRY (self->group_search_entry),
                      mapping->group_name != NULL ? mapping->group_name : "");
  load_groups (self);
  ps_choice_combo_select_id (self->group_combo, mapping->group);
  /* The unique identifier links the records to people: it stays. */
  gtk_entry_set_text (GTK_ENTRY (gtk_bin_get_child (GTK_BIN (self->unique_id_combo))),
                      mapping->unique_id_attr != NULL ? mapping->unique_id_attr : "");
  gtk_widget_set_sensitive (GTK_WIDGET (self->unique_id_combo), FALSE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->unique_id_combo),
                               _("The unique identifier links each record to its person, so it cannot "
                                 "change on a saved mapping. Add a new mapping for another one."));
  if (!is_entra (self))
    {
      ps_scope_editor_set_search_base (self->scope_editor, mapping->search_base);
      ps_scope_editor_set_filter (self->scope_editor, mapping->filter);
      ps_scope_editor_set_expanded (self->scope_editor,
                                    mapping->search_base != NULL || mapping->filter != NULL);
    }
  /* The collection is chosen and its fields are in: the rows now. */
  if (g_strcmp0 (ps_choice_combo_get_active_id (self->collection_combo), mapping->collection) == 0
      && self->fields != NULL && self->fields_cancellable == NULL)
    {
      g_autoptr(GPtrArray) pending = g_steal_pointer (&self->pending_fields);

      clear_field_rows (self);
      for (guint i = 0; i < pending->len; i++)
        {
          const PsFieldMap *f = g_ptr_array_index (pending, i);
          add_filled_field_row (self, f->field, f->attribute, f->ownership);
        }
    }
  rebuild_list (self);
  update_state (self);
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->form_scrolled), 0);
}

/* Puts the form's version of the edited mapping in its place and saves. */
static void
replace_edited (PsCollectionMappingPage *self,
                PsMapping               *mapping)
{
  g_autofree char *old_name = g_strdup (self->editing->name);

  if (!ps_profile_replace_mapping (get_profile (self), old_name, mapping))
    {
      gtk_label_set_text (self->save_error_label,
                          _("The mapping was removed while you edited it: add it again."));
      gtk_widget_set_visible (GTK_WIDGET (self->save_error_label), TRUE);
      return;
    }
  end_edit (self);
  save_profile (self);
}

static void
on_rename_done_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(PsMapping) mapping = user_data;
  g_autoptr(GError) error = NULL;
  PsCollectionMappingPage *self;

  if (!ps_gui_backend_rename_mapping_finish (result, &error)
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = g_object_get_data (G_OBJECT (g_task_get_cancellable (G_TASK (result))), "page");
  if (self == NULL)
    return;
  g_clear_object (&self->rename_cancellable);
  update_state (self);
  if (error != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("The mapping was not renamed to “%s”: %s"),
                                               mapping->name, error->message);

      gtk_label_set_text (self->save_error_label, text);
      gtk_widget_set_visible (GTK_WIDGET (self->save_error_label), TRUE);
      return;
    }
  replace_edited (self, g_steal_pointer (&mapping));
}

static void
on_mapping_row_edit_cb (PsCollectionMappingPage *self,
                        PsMappingRow            *row)
{
  PsMapping *mapping = ps_profile_find_mapping (get_profile (self), ps_mapping_row_get_mapping_name (row));

  if (mapping != NULL)
    begin_edit (self, mapping);
}

static void
on_cancel_edit_button_clicked_cb (PsCollectionMappingPage *self)
{
  end_edit (self);
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
  if (self->editing != NULL)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->save_error_label), FALSE);
      if (g_strcmp0 (mapping->name, self->editing->name) == 0)
        {
          replace_edited (self, g_steal_pointer (&mapping));
          return;
        }
      if (ps_profile_find_mapping (get_profile (self), mapping->name) != NULL)
        {
          g_autofree char *text = g_strdup_printf (_("Another mapping is already called “%s”: it maps the "
                                                     "same group to the same collection. Edit or remove "
                                                     "that one instead."), mapping->name);

          gtk_label_set_text (self->save_error_label, text);
          gtk_widget_set_visible (GTK_WIDGET (self->save_error_label), TRUE);
          return;
        }
      /* A new name: the sync state (who it manages) follows it first. */
      self->rename_cancellable = g_cancellable_new ();
      g_object_set_data (G_OBJECT (self->rename_cancellable), "page", self);
      update_state (self);
      {
        /* The callback owns the new version until the state has moved. */
        PsMapping *renamed = g_steal_pointer (&mapping);

        ps_gui_backend_rename_mapping_async (get_profile (self), self->editing->name, renamed->name,
                                             self->rename_cancellable, on_rename_done_cb, renamed);
      }
      return;
    }
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
on_row_fields_listed_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autofree char *collection = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) fields = ps_gui_backend_list_finish (result, &error);
  PsCollectionMappingPage *self;

  if (fields == NULL)
    {
      /* The rows keep the ids; the form says what is wrong when used. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("The fields of collection %s were not listed: %s", collection, error->message);
      return;
    }
  self = g_object_get_data (G_OBJECT (g_task_get_cancellable (G_TASK (result))), "page");
  if (self != NULL)
    remember_names (self, PS_NAME_FIELD, collection, fields);
}

/* Saved mappings whose fields were never listed show ids: list them once,
 * in the background, so the rows show names (and do at once next time). */
static void
list_unnamed_fields (PsCollectionMappingPage *self)
{
  GPtrArray *mappings = ps_profile_get_mappings (get_profile (self));
  g_autoptr(GHashTable) asked = g_hash_table_new (g_str_hash, g_str_equal);

  if (self->names_cancellable != NULL)
    return;
  self->names_cancellable = g_cancellable_new ();
  g_object_set_data (G_OBJECT (self->names_cancellable), "page", self);
  for (guint i = 0; i < mappings->len; i++)
    {
      const PsMapping *m = g_ptr_array_index (mappings, i);
      gboolean unnamed = FALSE;

      if (m->kind != PS_MAPPING_COLLECTION || m->collection == NULL
          || g_hash_table_contains (asked, m->collection))
        continue;
      for (guint f = 0; f < m->fields->len && !unnamed; f++)
        {
          g_autofree char *name = ps_names_lookup (self->names, PS_NAME_FIELD, m->collection,
                                                   ((PsFieldMap *) g_ptr_array_index (m->fields, f))->field);
          unnamed = name == NULL;
        }
      if (!unnamed)
        continue;
      g_hash_table_add (asked, m->collection);
      ps_gui_backend_list_async (get_profile (self), PS_GUI_LIST_FIELDS, m->account, m->module, m->collection,
                                 self->names_cancellable, on_row_fields_listed_cb, g_strdup (m->collection));
    }
}

static void
ps_collection_mapping_page_shown (PsWizardPage *page)
{
  PsCollectionMappingPage *self = PS_COLLECTION_MAPPING_PAGE (page);

  list_unnamed_fields (self);

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
  self->names = ps_names_load_for_profile (profile);
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
  if (self->rename_cancellable != NULL)
    {
      g_object_set_data (G_OBJECT (self->rename_cancellable), "page", NULL);
      g_cancellable_cancel (self->rename_cancellable);
    }
  g_clear_object (&self->rename_cancellable);
  for (guint i = 0; i < G_N_ELEMENTS (self->field_columns); i++)
    g_clear_object (&self->field_columns[i]);
  if (self->names_cancellable != NULL)
    {
      g_object_set_data (G_OBJECT (self->names_cancellable), "page", NULL);
      g_cancellable_cancel (self->names_cancellable);
    }
  g_clear_object (&self->names_cancellable);
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
  g_clear_object (&self->names);
  g_clear_pointer (&self->editing, ps_mapping_free);
  g_clear_pointer (&self->pending_fields, g_ptr_array_unref);
  g_free (self->group_search);
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
  gtk_widget_class_bind_template_child (widget_class, PsCollectionMappingPage, cancel_edit_button);
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
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_edit_button_clicked_cb);
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
  g_signal_connect_swapped (self->account_combo, "loaded", G_CALLBACK (on_choice_combo_loaded_cb), self);
  g_signal_connect_swapped (self->module_combo, "loaded", G_CALLBACK (on_choice_combo_loaded_cb), self);
  g_signal_connect_swapped (self->collection_combo, "loaded", G_CALLBACK (on_choice_combo_loaded_cb), self);
  self->field_rows = g_ptr_array_new_with_free_func ((GDestroyNotify) field_row_free);
  for (guint i = 0; i < G_N_ELEMENTS (self->field_columns); i++)
    self->field_columns[i] = gtk_size_group_new (GTK_SIZE_GROUP_HORIZONTAL);
  add_fields_header (self);
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
  g_return_if_fail (PS_IS_COLLECTION_MAPPING_PAGE (self));

  add_filled_field_row (self, field_id, attribute, ownership);
  update_state (self);
}

const char *
ps_collection_mapping_page_get_status_text (PsCollectionMappingPage *self)
{
  g_return_val_if_fail (PS_IS_COLLECTION_MAPPING_PAGE (self), NULL);
  return gtk_label_get_text (self->status_label);
}
