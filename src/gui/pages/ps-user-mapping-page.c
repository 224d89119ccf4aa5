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
 *
 * A person in several groups is managed by the first user mapping that
 * matches: the list shows the order and changes it, and while the form has
 * a group the page counts (through the source, in a worker) how many of its
 * people other user mappings also cover, and says who wins. Edit loads a
 * mapping into the form; saving replaces it in place, and a new name (the
 * group or role changed) carries its sync state along.
 */

#include <glib/gi18n.h>

#include "ps-a11y.h"
#include "ps-engine.h"
#include "ps-names.h"
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
  GtkButton        *cancel_edit_button;
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
  GtkLabel         *overlap_label;
  PsChoiceCombo    *role_combo;
  GtkLabel         *save_error_label;
  PsScopeEditor    *scope_editor;

  PsNames          *names;   /* the names of what was listed (the backend keeps them on disk) */
  PsMapping        *editing;              /* the saved mapping the form edits, or NULL */
  char             *group_search;         /* the search text of the last group load */
  GCancellable     *overlap_cancellable;
  guint             overlap_timeout_id;
  GCancellable     *rename_cancellable;
  GCancellable     *claims_cancellable;
  GHashTable       *claims;               /* mapping → who takes its people (PsEngineOverlap*), or NULL */
  char             *claims_of;            /* the user mappings they were counted for */
  PsSourceKind      source_kind;          /* the one the form is set up for */
  GCancellable     *attributes_cancellable;
  gboolean          attributes_loaded;    /* the source's suggestions are in the combos */
};

G_DEFINE_FINAL_TYPE (PsUserMappingPage, ps_user_mapping_page, PS_TYPE_WIZARD_PAGE)

static void on_mapping_row_remove_cb (PsUserMappingPage *self,
                                      PsMappingRow      *row);
static void on_mapping_row_edit_cb   (PsUserMappingPage *self,
                                      PsMappingRow      *row);
static void on_mapping_row_move_cb   (PsUserMappingPage *self,
                                      int                delta,
                                      PsMappingRow      *row);
static void schedule_overlap_count   (PsUserMappingPage *self);

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
  /* An edit keeps what the form does not show (Enabled, MatchOnly, the
   * deactivation threshold …). */
  PsMapping *mapping = self->editing != NULL ? ps_mapping_copy (self->editing)
                                             : ps_mapping_new (PS_MAPPING_USERS, name);

  g_free (mapping->name);
  mapping->name = g_steal_pointer (&name);
  g_free (mapping->account);
  mapping->account = account != NULL ? g_strdup (account->id) : NULL;
  g_free (mapping->module);
  mapping->module = module != NULL ? g_strdup (module->id) : NULL;
  g_free (mapping->role);
  mapping->role = role != NULL ? g_strdup (role->id) : NULL;
  g_free (mapping->group);
  mapping->group = group != NULL ? g_strdup (group->id) : NULL;
  g_free (mapping->group_name);
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

/* What Add (or Save) still needs, in words the administrator can act on. */
static const char *
form_missing (PsUserMappingPage *self)
{
  const char *error;

  if (ps_choice_combo_get_active (self->account_combo) == NULL)
    return _("Choose an account");
  if (ps_choice_combo_get_active (self->module_combo) == NULL)
    return _("Choose a module");
  if (ps_choice_combo_get_active (self->role_combo) == NULL)
    return _("Choose a role");
  if (ps_choice_combo_get_active (self->group_combo) == NULL)
    return _("Choose a group");
  if (!attribute_filled (self->email_combo))
    return _("Map the email attribute");
  if (!attribute_filled (self->first_name_combo))
    return _("Map the first name attribute");
  if (!attribute_filled (self->last_name_combo))
    return _("Map the last name attribute");
  error = attribute_error (self);
  if (error != NULL)
    return error;
  return is_entra (self) ? NULL : ps_scope_editor_get_error (self->scope_editor);
}

static void
update_state (PsUserMappingPage *self)
{
  g_autoptr(PsMapping) form = form_mapping (self);
  const char *missing = form_missing (self);
  const PsGuiChoice *group = ps_choice_combo_get_active (self->group_combo);
  g_autofree char *pending = NULL;

  gtk_widget_set_sensitive (GTK_WIDGET (self->add_button), missing == NULL);
  /* Why Add is greyed out. */
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->add_button), missing);
  ps_scope_editor_set_mapping (self->scope_editor, get_profile (self), is_entra (self) ? NULL : form);
  /* A group picked but not added yet would be lost: finish it first. */
  if (self->editing != NULL)
    pending = g_strdup (missing != NULL ? missing : _("Save the mapping you are editing, or cancel the edit"));
  else if (group != NULL)
    pending = missing != NULL ? g_strdup (missing)
                              : g_strdup_printf (_("Add the mapping of “%s”, or clear the group"), group->name);
  ps_wizard_page_set_missing (PS_WIZARD_PAGE (self), pending);
  schedule_overlap_count (self);
}

/* What decides who manages whom: the enabled user mappings, in order. */
static char *
claims_signature (PsUserMappingPage *self)
{
  GPtrArray *mappings = ps_profile_get_mappings (get_profile (self));
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < mappings->len; i++)
    {
      const PsMapping *m = g_ptr_array_index (mappings, i);

      if (m->kind == PS_MAPPING_USERS && m->enabled)
        g_string_append_printf (text, "%s\x1f%s\x1f%s\x1f%s\n", m->name, m->group,
                                m->search_base != NULL ? m->search_base : "", m->filter != NULL ? m->filter : "");
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Tells each row how many of its people earlier mappings manage. */
static void
show_claims (PsUserMappingPage *self)
{
  g_autoptr(GList) children = gtk_container_get_children (GTK_CONTAINER (self->mappings_list));

  for (GList *l = children; l != NULL; l = l->next)
    {
      GPtrArray *losses;
      g_autoptr(GString) text = NULL;

      if (!PS_IS_MAPPING_ROW (l->data))
        continue;
      losses = self->claims != NULL
               ? g_hash_table_lookup (self->claims, ps_mapping_row_get_mapping_name (l->data)) : NULL;
      if (losses == NULL)
        {
          ps_mapping_row_set_claims (l->data, NULL);
          continue;
        }
      text = g_string_new (NULL);
      for (guint i = 0; i < losses->len; i++)
        {
          const PsEngineOverlap *o = g_ptr_array_index (losses, i);

          if (text->len > 0)
            g_string_append_c (text, '\n');
          /* Translators: 53 of a mapping's people are managed by mapping 1 (All Staff) */
          g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE,
                                                     "%u of its people is managed by mapping %u (%s), "
                                                     "which matches first.",
                                                     "%u of its people are managed by mapping %u (%s), "
                                                     "which matches first.",
                                                     o->shared),
                                  o->shared, o->position + 1, o->group_name != NULL ? o->group_name : o->mapping);
        }
      ps_mapping_row_set_claims (l->data, text->str);
    }
}

static void
on_claims_counted_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) claims = ps_gui_backend_count_claims_finish (result, &error);
  PsUserMappingPage *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = PS_USER_MAPPING_PAGE (user_data);
  g_clear_object (&self->claims_cancellable);
  if (claims == NULL)
    {
      /* The group list and the scope count say what is wrong with the source. */
      g_debug ("Who manages whom could not be counted: %s", error->message);
      return;
    }
  g_clear_pointer (&self->claims, g_hash_table_unref);
  self->claims = g_steal_pointer (&claims);
  show_claims (self);
}

/* Counts again, in a worker, who manages whom when the user mappings (or
 * their order) changed since the last count. */
static void
count_claims (PsUserMappingPage *self)
{
  g_autofree char *signature = claims_signature (self);

  if (g_strcmp0 (signature, self->claims_of) == 0)
    return;
  g_cancellable_cancel (self->claims_cancellable);
  g_clear_object (&self->claims_cancellable);
  g_clear_pointer (&self->claims, g_hash_table_unref);
  show_claims (self);
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    return;   /* shown () counts */
  g_free (self->claims_of);
  self->claims_of = g_steal_pointer (&signature);
  self->claims_cancellable = g_cancellable_new ();
  ps_gui_backend_count_claims_async (get_profile (self), self->claims_cancellable, on_claims_counted_cb, self);
}

static void
rebuild_list (PsUserMappingPage *self)
{
  if (get_profile (self) == NULL)
    return;
  ps_mapping_row_fill_list (self->mappings_list, get_profile (self), PS_MAPPING_USERS, self->names,
                            self->editing != NULL ? self->editing->name : NULL,
                            G_CALLBACK (on_mapping_row_remove_cb), G_CALLBACK (on_mapping_row_edit_cb),
                            G_CALLBACK (on_mapping_row_move_cb), self);
  show_claims (self);
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
  g_free (self->group_search);
  self->group_search = g_strdup (gtk_entry_get_text (GTK_ENTRY (self->group_search_entry)));
  ps_choice_combo_load (self->group_combo, get_profile (self), PS_GUI_LIST_GROUPS, NULL, NULL,
                        self->group_search);
}

static void
hide_overlap (PsUserMappingPage *self)
{
  g_cancellable_cancel (self->overlap_cancellable);
  g_clear_object (&self->overlap_cancellable);
  g_clear_handle_id (&self->overlap_timeout_id, g_source_remove);
  gtk_widget_set_visible (GTK_WIDGET (self->overlap_label), FALSE);
}

static void
on_overlaps_counted_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  PsUserMappingPage *self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) overlaps = ps_gui_backend_count_overlaps_finish (result, &error);
  g_autoptr(GString) text = g_string_new (NULL);
  const PsGuiChoice *group;
  guint position;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = PS_USER_MAPPING_PAGE (user_data);
  g_clear_object (&self->overlap_cancellable);
  group = ps_choice_combo_get_active (self->group_combo);
  if (group == NULL)
    return;
  if (overlaps == NULL)
    {
      /* The scope editor and the group list say what is wrong with the read. */
      g_debug ("The overlap with other user mappings could not be counted: %s", error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->overlap_label), FALSE);
      return;
    }
  /* Where the form's mapping comes: its place when edited, else the end. */
  position = G_MAXUINT;
  if (self->editing != NULL)
    g_ptr_array_find (ps_profile_get_mappings (get_profile (self)),
                      ps_profile_find_mapping (get_profile (self), self->editing->name), &position);
  for (guint i = 0; i < overlaps->len; i++)
    {
      const PsEngineOverlap *o = g_ptr_array_index (overlaps, i);
      PsMapping *other = ps_profile_find_mapping (get_profile (self), o->mapping);
      g_autofree char *role = other != NULL && other->role != NULL
                              ? ps_names_display (self->names, PS_NAME_ROLE, NULL, other->role) : g_strdup ("—");
      /* Translators: a group → the role its mapping gives, e.g. “All Staff → Basic” */
      g_autofree char *other_title = g_strdup_printf (_("%s → %s"),
                                                      o->group_name != NULL ? o->group_name : o->mapping, role);
      g_autofree char *line = NULL;

      if (text->len > 0)
        g_string_append_c (text, '\n');
      if (o->position < position && self->editing == NULL)
        /* Translators: 53 people of Finance are also in All Staff → Basic … */
        line = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "%u person of %s is also in %s; the first mapping that matches "
                                             "wins, and that one comes first. After adding, move this "
                                             "mapping above it to give them this role.",
                                             "%u people of %s are also in %s; the first mapping that matches "
                                             "wins, and that one comes first. After adding, move this "
                                             "mapping above it to give them this role.",
                                             o->shared),
                                o->shared, group->name, other_title);
      else if (o->position < position)
        line = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "%u person of %s is also in %s; the first mapping that matches "
                                             "wins, and that one comes first. Move this mapping above it to "
                                             "give them this role.",
                                             "%u people of %s are also in %s; the first mapping that matches "
                                             "wins, and that one comes first. Move this mapping above it to "
                                             "give them this role.",
                                             o->shared),
                                o->shared, group->name, other_title);
      else
        line = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "%u person of %s is also in %s; the first mapping that matches "
                                             "wins, and this one comes first.",
                                             "%u people of %s are also in %s; the first mapping that matches "
                                             "wins, and this one comes first.",
                                             o->shared),
                                o->shared, group->name, other_title);
      g_string_append (text, line);
    }
  gtk_label_set_text (self->overlap_label, text->str);
  gtk_widget_set_visible (GTK_WIDGET (self->overlap_label), text->len > 0);
}

static gboolean
on_overlap_timeout_cb (gpointer user_data)
{
  PsUserMappingPage *self = PS_USER_MAPPING_PAGE (user_data);
  g_autoptr(PsMapping) form = form_mapping (self);

  self->overlap_timeout_id = 0;
  self->overlap_cancellable = g_cancellable_new ();
  ps_gui_backend_count_overlaps_async (get_profile (self), form,
                                       self->editing != NULL ? self->editing->name : NULL,
                                       self->overlap_cancellable, on_overlaps_counted_cb, self);
  return G_SOURCE_REMOVE;
}

/* Counts, a moment after the form settles, how many of the chosen group's
 * people other user mappings cover too. */
static void
schedule_overlap_count (PsUserMappingPage *self)
{
  g_autoptr(PsMapping) form = NULL;
  gboolean others = FALSE;
  GPtrArray *mappings;

  if (get_profile (self) == NULL)
    return;
  hide_overlap (self);
  if (ps_choice_combo_get_active (self->group_combo) == NULL
      || (!is_entra (self) && ps_scope_editor_get_error (self->scope_editor) != NULL))
    return;
  mappings = ps_profile_get_mappings (get_profile (self));
  for (guint i = 0; i < mappings->len && !others; i++)
    {
      const PsMapping *m = g_ptr_array_index (mappings, i);

      others = m->kind == PS_MAPPING_USERS && m->enabled
               && (self->editing == NULL || g_strcmp0 (m->name, self->editing->name) != 0);
    }
  if (!others)
    return;
  gtk_label_set_text (self->overlap_label, _("Counting the people other user mappings also cover…"));
  gtk_widget_set_visible (GTK_WIDGET (self->overlap_label), TRUE);
  self->overlap_timeout_id = g_timeout_add (300, on_overlap_timeout_cb, self);
}

/* Leaves edit mode; the form keeps account, module, role and attributes. */
static void
end_edit (PsUserMappingPage *self)
{
  g_clear_pointer (&self->editing, ps_mapping_free);
  g_cancellable_cancel (self->rename_cancellable);
  g_clear_object (&self->rename_cancellable);
  gtk_button_set_label (self->add_button, _("_Add"));
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_edit_button), FALSE);
  gtk_combo_box_set_active (ps_choice_combo_get_combo (self->group_combo), -1);
  gtk_entry_set_text (GTK_ENTRY (self->group_search_entry), "");
  ps_scope_editor_clear (self->scope_editor);
  rebuild_list (self);
  update_state (self);
}

/* Fills the form with @mapping; its lists load one after the other and each
 * selects the mapping's choice once it has it. */
static void
begin_edit (PsUserMappingPage *self,
            const PsMapping   *mapping)
{
  g_clear_pointer (&self->editing, ps_mapping_free);
  self->editing = ps_mapping_copy (mapping);
  gtk_button_set_label (self->add_button, _("S_ave"));
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_edit_button), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->save_error_label), FALSE);

  ps_choice_combo_select_id (self->account_combo, mapping->account);
  ps_choice_combo_select_id (self->module_combo, mapping->module);
  ps_choice_combo_select_id (self->role_combo, mapping->role);
  /* The group list follows its search: search for this group by name. */
  gtk_entry_set_text (GTK_ENTRY (self->group_search_entry),
                      mapping->group_name != NULL ? mapping->group_name : "");
  load_groups (self);
  ps_choice_combo_select_id (self->group_combo, mapping->group);
  ps_attribute_combo_set_spec (self->email_combo, mapping->email_attr);
  ps_attribute_combo_set_spec (self->first_name_combo, mapping->first_name_attr);
  ps_attribute_combo_set_spec (self->last_name_combo, mapping->last_name_attr);
  if (!is_entra (self))
    {
      ps_scope_editor_set_search_base (self->scope_editor, mapping->search_base);
      ps_scope_editor_set_filter (self->scope_editor, mapping->filter);
      ps_scope_editor_set_expanded (self->scope_editor,
                                    mapping->search_base != NULL || mapping->filter != NULL);
    }
  rebuild_list (self);
  update_state (self);
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->form_scrolled), 0);
  gtk_widget_grab_focus (GTK_WIDGET (ps_choice_combo_get_combo (self->role_combo)));
}

/* Puts the form's version of the edited mapping in its place and saves. */
static void
replace_edited (PsUserMappingPage *self,
                PsMapping         *mapping)
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
  PsUserMappingPage *self;

  if (!ps_gui_backend_rename_mapping_finish (result, &error)
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = g_object_get_data (G_OBJECT (g_task_get_cancellable (G_TASK (result))), "page");
  if (self == NULL)
    return;
  g_clear_object (&self->rename_cancellable);
  gtk_widget_set_sensitive (GTK_WIDGET (self->add_button), TRUE);
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

/* Keeps the names of what a combo loaded, for the mapping list (the
 * backend has also kept them on disk, for the next start). */
static void
on_choice_combo_loaded_cb (PsUserMappingPage *self,
                           PsChoiceCombo *combo)
{
  GPtrArray *choices = ps_choice_combo_get_choices (combo);
  PsNameKind kind = combo == self->account_combo ? PS_NAME_ACCOUNT
                    : combo == self->module_combo ? PS_NAME_MODULE : PS_NAME_ROLE;

  for (guint i = 0; i < choices->len; i++)
    {
      const PsGuiChoice *choice = g_ptr_array_index (choices, i);
      ps_names_set (self->names, kind, NULL, choice->id, choice->name);
    }
  if (choices->len > 0)
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
  /* Editing a mapping loads its group at once; the entry's delayed signal
   * for the same text must not load it again and lose the selection. */
  if (g_strcmp0 (self->group_search, gtk_entry_get_text (GTK_ENTRY (self->group_search_entry))) == 0
      && (ps_choice_combo_get_loading (self->group_combo) || ps_choice_combo_get_n_choices (self->group_combo) > 0))
    return;
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
  count_claims (self);
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
on_mapping_row_edit_cb (PsUserMappingPage *self,
                        PsMappingRow      *row)
{
  PsMapping *mapping = ps_profile_find_mapping (get_profile (self), ps_mapping_row_get_mapping_name (row));

  if (mapping != NULL)
    begin_edit (self, mapping);
}

static void
on_mapping_row_move_cb (PsUserMappingPage *self,
                        int                delta,
                        PsMappingRow      *row)
{
  g_autofree char *name = g_strdup (ps_mapping_row_get_mapping_name (row));

  if (!ps_mapping_row_move_mapping (get_profile (self), name, delta))
    return;
  save_profile (self);
  /* The list was rebuilt: keep the focus on the moved mapping's button. */
  {
    g_autoptr(GList) rows = gtk_container_get_children (GTK_CONTAINER (self->mappings_list));

    for (GList *l = rows; l != NULL; l = l->next)
      if (PS_IS_MAPPING_ROW (l->data)
          && g_strcmp0 (ps_mapping_row_get_mapping_name (l->data), name) == 0)
        {
          GtkWidget *button = GTK_WIDGET (ps_mapping_row_get_move_button (l->data, delta));

          gtk_widget_grab_focus (gtk_widget_get_sensitive (button) ? button
                                 : GTK_WIDGET (ps_mapping_row_get_move_button (l->data, -delta)));
        }
  }
  schedule_overlap_count (self);
}

static void
on_cancel_edit_button_clicked_cb (PsUserMappingPage *self)
{
  end_edit (self);
}

static void
on_add_button_clicked_cb (PsUserMappingPage *self)
{
  g_autoptr(PsMapping) mapping = NULL;

  if (!gtk_widget_get_sensitive (GTK_WIDGET (self->add_button)))
    return;

  mapping = form_mapping (self);
  if (self->editing != NULL)
    {
      PsMapping *other = ps_profile_find_mapping (get_profile (self), mapping->name);

      gtk_widget_set_visible (GTK_WIDGET (self->save_error_label), FALSE);
      if (g_strcmp0 (mapping->name, self->editing->name) == 0)
        {
          replace_edited (self, g_steal_pointer (&mapping));
          return;
        }
      if (other != NULL)
        {
          g_autofree char *text = g_strdup_printf (_("Another mapping is already called “%s”: it maps the "
                                                     "same group to the same role. Edit or remove that one "
                                                     "instead."), mapping->name);

          gtk_label_set_text (self->save_error_label, text);
          gtk_widget_set_visible (GTK_WIDGET (self->save_error_label), TRUE);
          return;
        }
      /* A new name: the sync state (who it manages) follows it first. */
      g_cancellable_cancel (self->rename_cancellable);
      g_clear_object (&self->rename_cancellable);
      self->rename_cancellable = g_cancellable_new ();
      g_object_set_data (G_OBJECT (self->rename_cancellable), "page", self);
      gtk_widget_set_sensitive (GTK_WIDGET (self->add_button), FALSE);
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
  count_claims (self);
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
  self->names = ps_names_load_for_profile (profile);
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
  g_cancellable_cancel (self->overlap_cancellable);
  g_clear_object (&self->overlap_cancellable);
  g_clear_handle_id (&self->overlap_timeout_id, g_source_remove);
  g_cancellable_cancel (self->claims_cancellable);
  g_clear_object (&self->claims_cancellable);
  if (self->rename_cancellable != NULL)
    {
      g_object_set_data (G_OBJECT (self->rename_cancellable), "page", NULL);
      g_cancellable_cancel (self->rename_cancellable);
    }
  g_clear_object (&self->rename_cancellable);
  G_OBJECT_CLASS (ps_user_mapping_page_parent_class)->dispose (object);
}

static void
ps_user_mapping_page_finalize (GObject *object)
{
  PsUserMappingPage *self = PS_USER_MAPPING_PAGE (object);

  g_clear_object (&self->names);
  g_clear_pointer (&self->editing, ps_mapping_free);
  g_free (self->group_search);
  g_clear_pointer (&self->claims, g_hash_table_unref);
  g_free (self->claims_of);
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
  gtk_widget_class_bind_template_child (widget_class, PsUserMappingPage, cancel_edit_button);
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
  gtk_widget_class_bind_template_child (widget_class, PsUserMappingPage, overlap_label);
  gtk_widget_class_bind_template_child (widget_class, PsUserMappingPage, role_combo);
  gtk_widget_class_bind_template_child (widget_class, PsUserMappingPage, save_error_label);
  gtk_widget_class_bind_template_child (widget_class, PsUserMappingPage, scope_editor);
  gtk_widget_class_bind_template_callback (widget_class, on_account_combo_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_add_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_edit_button_clicked_cb);
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
