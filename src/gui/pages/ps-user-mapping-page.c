/* ps-user-mapping-page.c — User Mapping: source groups → Asset Panda users with a role
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Account → Module → Role are loaded one after the other, each in a worker
 * with its own spinner (PsChoiceCombo); the group list follows the search
 * text and comes from the profile's identity source (Active Directory or
 * Microsoft Entra ID), which also suggests the attributes. The invitation
 * fields take an attribute or fallbacks ("a|b"); the Advanced part
 * (PsScopeEditor, LDAP only) narrows the group by a search base and a filter
 * and counts who is in scope. Add puts the mapping in the profile and saves
 * it at once. When the Connection page switches the source, the groups and
 * the attributes follow.
 */

#include <glib/gi18n.h>

#include "ps-a11y.h"
#include "ps-user-mapping-page.h"
#include "widgets/ps-attribute-combo.h"
#include "widgets/ps-choice-combo.h"
#include "widgets/ps-mapping-row.h"
#include "widgets/ps-scope-editor.h"

struct _PsUserMappingPage
{
  PsWizardPage      parent_instance;

  PsChoiceCombo    *account_combo;
  GtkButton        *add_button;
  PsAttributeCombo *email_combo;
  PsAttributeCombo *first_name_combo;
  GtkBox           *form_box;
  GtkScrolledWindow *form_scrolled;
  PsChoiceCombo    *group_combo;
  GtkLabel         *group_label;
  GtkSearchEntry   *group_search_entry;
  PsAttributeCombo *last_name_combo;
  GtkLabel         *intro_label;
  GtkListBox       *mappings_list;
  PsChoiceCombo    *module_combo;
  PsChoiceCombo    *role_combo;
  GtkLabel         *save_error_label;
  PsScopeEditor    *scope_editor;

  GHashTable       *names;   /* id → name of what the combos loaded */
  PsSourceKind      source_kind;          /* the one the form is set up for */
  GCancellable     *attributes_cancellable;
  gboolean          attributes_loaded;    /* the source's suggestions are in the combos */
};

G_DEFINE_FINAL_TYPE (PsUserMappingPage, ps_user_mapping_page, PS_TYPE_WIZARD_PAGE)

static void on_mapping_row_remove_cb (PsUserMappingPage *self,
                                      PsMappingRow      *row);

static void on_attributes_loaded_cb (GObject      *source,
                                     GAsyncResult *result,
                                     gpointer      user_data);

/* What the invitation fields offer first, before the rest of what the
 * source suggests; anything else may be typed. The first of each is a new
 * mapping's attribute. Graph spells the last name "surname". */
static const char *const email_suggestions[] = {
  "mail|userPrincipalName", "mail", "userPrincipalName", NULL
};
static const char *const first_name_suggestions[] = { "givenName", NULL };
static const char *const ad_last_name_suggestions[] = { "sn", NULL };
static const char *const entra_last_name_suggestions[] = { "surname", NULL };
/* Okta's profile attributes: email (login is the other address it has). */
static const char *const okta_email_suggestions[] = { "email", "email|login", "login", NULL };
static const char *const okta_first_name_suggestions[] = { "firstName", NULL };
static const char *const okta_last_name_suggestions[] = { "lastName", NULL };

/* ---------------------------------------------------------------- helpers */

static PsProfile *
get_profile (PsUserMappingPage *self)
{
  return ps_wizard_page_get_profile (PS_WIZARD_PAGE (self));
}

static gboolean
is_entra (PsUserMappingPage *self)
{
  return self->source_kind == PS_SOURCE_KIND_ENTRA_ID;
}

static gboolean
attribute_filled (PsAttributeCombo *combo)
{
  g_autofree char *spec = ps_attribute_combo_dup_spec (combo);

  return spec != NULL;
}

/* Why one of the invitation fields is wrong, if one is. */
static const char *
attribute_error (PsUserMappingPage *self)
{
  PsAttributeCombo *combos[] = { self->email_combo, self->first_name_combo, self->last_name_combo };

  for (guint i = 0; i < G_N_ELEMENTS (combos); i++)
    if (ps_attribute_combo_get_error (combos[i]) != NULL)
      return ps_attribute_combo_get_error (combos[i]);
  return NULL;
}

/* The form as the mapping Add would save. Unset parts stay unset: the
 * scope editor needs only the group and the attributes. */
static PsMapping *
form_mapping (PsUserMappingPage *self)
{
  const PsGuiChoice *account = ps_choice_combo_get_active (self->account_combo);
  const PsGuiChoice *module = ps_choice_combo_get_active (self->module_combo);
  const PsGuiChoice *role = ps_choice_combo_get_active (self->role_combo);
  const PsGuiChoice *group = ps_choice_combo_get_active (self->group_combo);
  g_autofree char *name = ps_mapping_row_make_name (group != NULL ? group->name : "",
                                                    role != NULL ? role->name : "");
  PsMapping *mapping = ps_mapping_new (PS_MAPPING_USERS, name);

  mapping->account = account != NULL ? g_strdup (account->id) : NULL;
  mapping->module = module != NULL ? g_strdup (module->id) : NULL;
  mapping->role = role != NULL ? g_strdup (role->id) : NULL;
  mapping->group = group != NULL ? g_strdup (group->id) : NULL;
  mapping->group_name = group != NULL ? g_strdup (group->name) : NULL;
  g_free (mapping->email_attr);
  mapping->email_attr = ps_attribute_combo_dup_spec (self->email_combo);
  g_free (mapping->first_name_attr);
  mapping->first_name_attr = ps_attribute_combo_dup_spec (self->first_name_combo);
  g_free (mapping->last_name_attr);
  mapping->last_name_attr = ps_attribute_combo_dup_spec (self->last_name_combo);
  /* Entra ID mappings are scoped by their group alone. */
  if (!is_entra (self))
    ps_scope_editor_apply (self->scope_editor, mapping);
  return mapping;
}

static void
update_state (PsUserMappingPage *self)
{
  g_autoptr(PsMapping) form = form_mapping (self);
  const char *reason = is_entra (self) ? NULL : ps_scope_editor_get_error (self->scope_editor);
  gboolean ready = ps_choice_combo_get_active (self->account_combo) != NULL
                   && ps_choice_combo_get_active (self->module_combo) != NULL
                   && ps_choice_combo_get_active (self->role_combo) != NULL
                   && ps_choice_combo_get_active (self->group_combo) != NULL
                   && attribute_filled (self->email_combo)
                   && attribute_filled (self->first_name_combo)
                   && attribute_filled (self->last_name_combo)
                   && reason == NULL;

  gtk_widget_set_sensitive (GTK_WIDGET (self->add_button), ready);
  /* Why Add is greyed out, when it is for a mistake rather than a gap. */
  if (reason == NULL)
    reason = attribute_error (self);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->add_button), reason);
  ps_scope_editor_set_mapping (self->scope_editor, get_profile (self), is_entra (self) ? NULL : form);
  /* A group picked but not added yet would be lost: finish it first. */
  ps_wizard_page_set_complete (PS_WIZARD_PAGE (self), ps_choice_combo_get_active (self->group_combo) == NULL);
}

static void
rebuild_list (PsUserMappingPage *self)
{
  if (get_profile (self) == NULL)
    return;
  ps_mapping_row_fill_list (self->mappings_list, get_profile (self), PS_MAPPING_USERS, self->names,
                            G_CALLBACK (on_mapping_row_remove_cb), self);
}

/* Saves the profile after an Add or a remove; says so on the page if it fails. */
static void
save_profile (PsUserMappingPage *self)
{
  g_autoptr(GError) error = NULL;
  gboolean saved = ps_wizard_page_save_profile (PS_WIZARD_PAGE (self), &error);

  gtk_label_set_text (self->save_error_label, saved ? "" : error->message);
  gtk_widget_set_visible (GTK_WIDGET (self->save_error_label), !saved);
}

static void
load_groups (PsUserMappingPage *self)
{
  ps_choice_combo_load (self->group_combo, get_profile (self), PS_GUI_LIST_GROUPS, NULL, NULL,
                        gtk_entry_get_text (GTK_ENTRY (self->group_search_entry)));
}

/* Asks the source which attributes it suggests (once per source). */
static void
load_attributes (PsUserMappingPage *self)
{
  if (self->attributes_loaded || self->attributes_cancellable != NULL)
    return;
  self->attributes_cancellable = g_cancellable_new ();
  ps_gui_backend_list_async (get_profile (self), PS_GUI_LIST_ATTRIBUTES, NULL, NULL, NULL,
                             self->attributes_cancellable, on_attributes_loaded_cb, self);
}

/* Sets the form up for the profile's source: its attributes, and the scope
 * editor only for LDAP. A new source also means new groups. */
static void
set_source_kind (PsUserMappingPage *self,
                 PsSourceKind       kind)
{
  gboolean okta = kind == PS_SOURCE_KIND_OKTA;
  const char *const *emails = okta ? okta_email_suggestions : email_suggestions;
  const char *const *first_names = okta ? okta_first_name_suggestions : first_name_suggestions;
  const char *const *last_names = okta ? okta_last_name_suggestions
                                  : kind == PS_SOURCE_KIND_ENTRA_ID ? entra_last_name_suggestions
                                  : ad_last_name_suggestions;

  self->source_kind = kind;
  g_cancellable_cancel (self->attributes_cancellable);
  g_clear_object (&self->attributes_cancellable);
  self->attributes_loaded = FALSE;
  ps_attribute_combo_set_source_kind (self->email_combo, kind);
  ps_attribute_combo_set_source_kind (self->first_name_combo, kind);
  ps_attribute_combo_set_source_kind (self->last_name_combo, kind);
  ps_attribute_combo_set_suggestions (self->email_combo, emails);
  ps_attribute_combo_set_suggestions (self->first_name_combo, first_names);
  ps_attribute_combo_set_suggestions (self->last_name_combo, last_names);
  ps_attribute_combo_set_spec (self->email_combo, emails[0]);
  ps_attribute_combo_set_spec (self->first_name_combo, first_names[0]);
  ps_attribute_combo_set_spec (self->last_name_combo, last_names[0]);
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
                                                       : okta ? _("Okta _Group")
                                                       : _("Active Directory _Group"));
  gtk_label_set_text (self->intro_label,
                      kind == PS_SOURCE_KIND_ENTRA_ID
                      ? _("Users of the chosen Microsoft Entra ID group are created in Asset Panda with "
                          "the chosen role. Only accounts the API may use are listed.")
                      : okta
                      ? _("Users of the chosen Okta group are created in Asset Panda with the chosen "
                          "role. Only accounts the API may use are listed.")
                      : _("Users of the chosen Active Directory group are created in Asset Panda with "
                          "the chosen role. Only accounts the API may use are listed."));
}

/* ---------------------------------------------------------------- callbacks */

/* Keeps the names of what a combo loaded, for the mapping list. */
static void
on_choice_combo_loaded_cb (PsUserMappingPage *self,
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
on_form_changed_cb (PsUserMappingPage *self)
{
  update_state (self);
}

static void
on_account_combo_changed_cb (PsUserMappingPage *self)
{
  const char *account = ps_choice_combo_get_active_id (self->account_combo);

  ps_choice_combo_clear (self->role_combo);
  if (account == NULL)
    ps_choice_combo_clear (self->module_combo);
  else
    ps_choice_combo_load (self->module_combo, get_profile (self), PS_GUI_LIST_MODULES, account, NULL, NULL);
  update_state (self);
}

static void
on_module_combo_changed_cb (PsUserMappingPage *self)
{
  const char *account = ps_choice_combo_get_active_id (self->account_combo);
  const char *module = ps_choice_combo_get_active_id (self->module_combo);

  if (account == NULL || module == NULL)
    ps_choice_combo_clear (self->role_combo);
  else
    ps_choice_combo_load (self->role_combo, get_profile (self), PS_GUI_LIST_ROLES, account, module, NULL);
  update_state (self);
}

static void
on_role_combo_changed_cb (PsUserMappingPage *self)
{
  update_state (self);
}

static void
on_group_search_entry_search_changed_cb (PsUserMappingPage *self)
{
  load_groups (self);
}

static void
on_attributes_loaded_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  PsUserMappingPage *self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) choices = ps_gui_backend_list_finish (result, &error);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) names = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = PS_USER_MAPPING_PAGE (user_data);
  g_clear_object (&self->attributes_cancellable);
  if (choices == NULL)
    {
      /* The group list says what is wrong with the connection. */
      g_debug ("No attribute suggestions: %s", error->message);
      return;
    }
  self->attributes_loaded = TRUE;
  for (guint i = 0; i < choices->len; i++)
    g_strv_builder_add (builder, ((PsGuiChoice *) g_ptr_array_index (choices, i))->id);
  names = g_strv_builder_end (builder);
  ps_attribute_combo_add_suggestions (self->email_combo, (const char *const *) names);
  ps_attribute_combo_add_suggestions (self->first_name_combo, (const char *const *) names);
  ps_attribute_combo_add_suggestions (self->last_name_combo, (const char *const *) names);
}

static void
on_profile_changed_cb (PsUserMappingPage *self)
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
      update_state (self);
    }
  rebuild_list (self);
}

static void
on_mapping_row_remove_cb (PsUserMappingPage *self,
                          PsMappingRow      *row)
{
  g_autofree char *name = g_strdup (ps_mapping_row_get_mapping_name (row));

  ps_profile_remove_mapping (get_profile (self), name);
  save_profile (self);
}

static void
on_add_button_clicked_cb (PsUserMappingPage *self)
{
  g_autoptr(PsMapping) mapping = NULL;

  if (!gtk_widget_get_sensitive (GTK_WIDGET (self->add_button)))
    return;

  mapping = form_mapping (self);
  ps_profile_add_mapping (get_profile (self), g_steal_pointer (&mapping));
  save_profile (self);

  /* Ready for the next group; account, module, role and attributes stay. */
  gtk_combo_box_set_active (ps_choice_combo_get_combo (self->group_combo), -1);
  /* …and the group search with it, or the form looks as if it lost the group. */
  gtk_entry_set_text (GTK_ENTRY (self->group_search_entry), "");
  /* A scope is one group's: the next starts with the whole group. */
  ps_scope_editor_clear (self->scope_editor);
  update_state (self);
}

/* ---------------------------------------------------------------- overrides */

static void
ps_user_mapping_page_shown (PsWizardPage *page)
{
  PsUserMappingPage *self = PS_USER_MAPPING_PAGE (page);

  /* Lists load on first sight, and again after an error. */
  if (ps_choice_combo_get_n_choices (self->account_combo) == 0
      && !ps_choice_combo_get_loading (self->account_combo))
    ps_choice_combo_load (self->account_combo, get_profile (self), PS_GUI_LIST_ACCOUNTS, NULL, NULL, NULL);
  if (ps_choice_combo_get_n_choices (self->group_combo) == 0
      && !ps_choice_combo_get_loading (self->group_combo))
    load_groups (self);
  load_attributes (self);
}

static void
ps_user_mapping_page_constructed (GObject *object)
{
  PsUserMappingPage *self = PS_USER_MAPPING_PAGE (object);
  PsProfile *profile;

  G_OBJECT_CLASS (ps_user_mapping_page_parent_class)->constructed (object);

  profile = get_profile (self);
  if (profile == NULL)
    return;
  g_signal_connect_object (profile, "changed", G_CALLBACK (on_profile_changed_cb), self,
                           G_CONNECT_SWAPPED);
  set_source_kind (self, ps_profile_get_source_kind (profile));
  rebuild_list (self);
  update_state (self);
}

static void
ps_user_mapping_page_dispose (GObject *object)
{
  PsUserMappingPage *self = PS_USER_MAPPING_PAGE (object);

  g_cancellable_cancel (self->attributes_cancellable);
  g_clear_object (&self->attributes_cancellable);
  G_OBJECT_CLASS (ps_user_mapping_page_parent_class)->dispose (object);
}

static void
ps_user_mapping_page_finalize (GObject *object)
{
  PsUserMappingPage *self = PS_USER_MAPPING_PAGE (object);

  g_hash_table_unref (self->names);
  G_OBJECT_CLASS (ps_user_mapping_page_parent_class)->finalize (object);
}

static void
ps_user_mapping_page_class_init (PsUserMappingPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  PsWizardPageClass *page_class = PS_WIZARD_PAGE_CLASS (klass);

  object_class->constructed = ps_user_mapping_page_constructed;
  object_class->dispose = ps_user_mapping_page_dispose;
  object_class->finalize = ps_user_mapping_page_finalize;
  page_class->page_id = "user-mapping";
  page_class->shown = ps_user_mapping_page_shown;

  g_type_ensure (PS_TYPE_ATTRIBUTE_COMBO);
  g_type_ensure (PS_TYPE_CHOICE_COMBO);
  g_type_ensure (PS_TYPE_SCOPE_EDITOR);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/pages/ps-user-mapping-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PsUserMappingPage, account_combo);
  gtk_widget_class_bind_template_child (widget_class, PsUserMappingPage, add_button);
  gtk_widget_class_bind_template_child (widget_class, PsUserMappingPage, email_combo);
  gtk_widget_class_bind_template_child (widget_class, PsUserMappingPage, first_name_combo);
  gtk_widget_class_bind_template_child (widget_class, PsUserMappingPage, form_box);
  gtk_widget_class_bind_template_child (widget_class, PsUserMappingPage, form_scrolled);
  gtk_widget_class_bind_template_child (widget_class, PsUserMappingPage, group_combo);
  gtk_widget_class_bind_template_child (widget_class, PsUserMappingPage, group_label);
  gtk_widget_class_bind_template_child (widget_class, PsUserMappingPage, group_search_entry);
  gtk_widget_class_bind_template_child (widget_class, PsUserMappingPage, last_name_combo);
  gtk_widget_class_bind_template_child (widget_class, PsUserMappingPage, intro_label);
  gtk_widget_class_bind_template_child (widget_class, PsUserMappingPage, mappings_list);
  gtk_widget_class_bind_template_child (widget_class, PsUserMappingPage, module_combo);
  gtk_widget_class_bind_template_child (widget_class, PsUserMappingPage, role_combo);
  gtk_widget_class_bind_template_child (widget_class, PsUserMappingPage, save_error_label);
  gtk_widget_class_bind_template_child (widget_class, PsUserMappingPage, scope_editor);
  gtk_widget_class_bind_template_callback (widget_class, on_account_combo_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_add_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_form_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_group_search_entry_search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_module_combo_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_role_combo_changed_cb);
}

static void
ps_user_mapping_page_init (PsUserMappingPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* The group label's mnemonic goes to the search; the list it fills is named. */
  ps_a11y_set_name (GTK_WIDGET (ps_choice_combo_get_combo (self->group_combo)), _("Group"));
  /* Tabbing through the form scrolls to the field that has the focus. */
  gtk_container_set_focus_vadjustment (GTK_CONTAINER (self->form_box),
                                       gtk_scrolled_window_get_vadjustment (self->form_scrolled));
  set_source_kind (self, PS_SOURCE_KIND_ACTIVE_DIRECTORY);
  self->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_signal_connect_swapped (self->account_combo, "loaded", G_CALLBACK (on_choice_combo_loaded_cb), self);
  g_signal_connect_swapped (self->module_combo, "loaded", G_CALLBACK (on_choice_combo_loaded_cb), self);
  g_signal_connect_swapped (self->role_combo, "loaded", G_CALLBACK (on_choice_combo_loaded_cb), self);
  ps_wizard_page_set_title (PS_WIZARD_PAGE (self), _("User Mapping"));
  ps_wizard_page_set_apply_label (PS_WIZARD_PAGE (self), _("_Done"));
}

/* ---------------------------------------------------------------- public API */

PsWizardPage *
ps_user_mapping_page_new (PsProfile *profile)
{
  return g_object_new (PS_TYPE_USER_MAPPING_PAGE, "profile", profile, NULL);
}
