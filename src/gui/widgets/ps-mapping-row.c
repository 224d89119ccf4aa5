/* ps-mapping-row.c — one added mapping in a list: edit, order, remove
 *
 * The row names what it maps by the names the administrator knows (from
 * the names the project remembers (PsNames), so a list loaded from disk shows them at
 * once). User mappings show their place: the first that matches a person
 * manages them, so the order is shown (1, 2, 3 …) and changed with the up
 * and down buttons. Edit asks the page to load the mapping into its form.
 *
 * Removing asks first, with how many people the mapping manages (its links
 * in the sync state, counted in a worker) and what becomes of them; once
 * removed, the list shows an Undo for UNDO_SECONDS that puts the same mapping
 * back where it was.
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib/gi18n.h>

#include "ps-gui-backend.h"
#include "ps-mapping-row.h"
#include "ps-names.h"

#define UNDO_SECONDS 10
#define UNDO_KEY     "ps-mapping-row-undo"

struct _PsMappingRow
{
  GtkListBoxRow  parent_instance;

  GtkLabel      *claims_label;
  GtkButton     *confirm_button;
  GtkLabel      *confirm_label;
  GtkRevealer   *confirm_revealer;
  GtkButton     *down_button;
  GtkButton     *edit_button;
  GtkButton     *keep_button;
  GtkLabel      *position_label;
  GtkButton     *remove_button;
  GtkButton     *up_button;
  GtkLabel      *scope_label;
  GtkLabel      *subtitle_label;
  GtkLabel      *title_label;

  char          *mapping_name;
  PsProfile     *profile;
  GCancellable  *count_cancellable;
  guint          managed;
};

/* A removed mapping, kept on its list while its Undo is offered. */
typedef struct {
  PsProfile *profile;
  PsMapping *mapping;     /* a copy of the removed mapping */
  guint      position;    /* its index in the profile's mappings */
  guint      row_index;   /* and in the list */
  guint      managed;
  guint      timeout_id;
  GtkWidget *list;        /* weak */
} UndoInfo;

G_DEFINE_FINAL_TYPE (PsMappingRow, ps_mapping_row, GTK_TYPE_LIST_BOX_ROW)

enum {
  SIGNAL_REMOVE,
  SIGNAL_EDIT,
  SIGNAL_MOVE,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* ---------------------------------------------------------------- helpers */

static void
undo_info_free (UndoInfo *info)
{
  if (info->timeout_id != 0)
    g_source_remove (info->timeout_id);
  g_clear_object (&info->profile);
  g_clear_pointer (&info->mapping, ps_mapping_free);
  g_free (info);
}

static gboolean
is_undo_row (GtkWidget *widget)
{
  return g_object_get_data (G_OBJECT (widget), UNDO_KEY) != NULL;
}

static void
on_undo_button_clicked_cb (GtkButton *button,
                           GtkWidget *list);

static gboolean
on_undo_timeout_cb (gpointer user_data)
{
  UndoInfo *info = user_data;
  GtkWidget *list = info->list;
  g_autoptr(GList) rows = NULL;

  info->timeout_id = 0;
  rows = gtk_container_get_children (GTK_CONTAINER (list));
  for (GList *l = rows; l != NULL; l = l->next)
    if (is_undo_row (l->data))
      gtk_widget_destroy (l->data);
  /* Frees @info: the removal is final. */
  g_object_set_data (G_OBJECT (list), UNDO_KEY, NULL);
  return G_SOURCE_REMOVE;
}

/* The Undo row of @list for its pending removal, if it has none yet. */
static void
show_undo_row (GtkListBox *list)
{
  UndoInfo *info = g_object_get_data (G_OBJECT (list), UNDO_KEY);
  g_autoptr(GList) rows = gtk_container_get_children (GTK_CONTAINER (list));
  g_autofree char *text = NULL;
  GtkWidget *row, *bar, *label, *button;

  if (info == NULL)
    return;
  for (GList *l = rows; l != NULL; l = l->next)
    if (is_undo_row (l->data))
      return;

  if (info->managed > 0)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "Removed “%s”. PandaSync no longer manages its %u person; "
                                         "their record or user stays in Asset Panda as it is.",
                                         "Removed “%s”. PandaSync no longer manages its %u people; "
                                         "their records and users stay in Asset Panda as they are.",
                                         info->managed),
                            info->mapping->name, info->managed);
  else
    text = g_strdup_printf (_("Removed “%s”."), info->mapping->name);
  row = gtk_list_box_row_new ();
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_row_set_selectable (GTK_LIST_BOX_ROW (row), FALSE);
  g_object_set_data (G_OBJECT (row), UNDO_KEY, GINT_TO_POINTER (TRUE));
  bar = gtk_info_bar_new ();
  gtk_info_bar_set_message_type (GTK_INFO_BAR (bar), GTK_MESSAGE_INFO);
  label = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 50);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_container_add (GTK_CONTAINER (gtk_info_bar_get_content_area (GTK_INFO_BAR (bar))), label);
  button = gtk_button_new_with_label (_("Undo"));
  gtk_widget_set_tooltip_text (button, _("Put the mapping back, as it was"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  g_signal_connect (button, "clicked", G_CALLBACK (on_undo_button_clicked_cb), list);
  gtk_container_add (GTK_CONTAINER (gtk_info_bar_get_action_area (GTK_INFO_BAR (bar))), button);
  gtk_container_add (GTK_CONTAINER (row), bar);
  gtk_widget_show_all (row);
  gtk_list_box_insert (list, row, (int) info->row_index);
  /* Announced, so a screen reader says what happened and that it can be undone. */
  atk_object_set_role (gtk_widget_get_accessible (bar), ATK_ROLE_NOTIFICATION);
}

static const char *
or_dash (const char *text)
{
  return text != NULL && *text != '\0' ? text : "—";
}

/* The name of the thing with @id, when it was listed once; else its id. */
static char *
name_of (PsNames    *names,
         PsNameKind  kind,
         const char *scope,
         const char *id)
{
  g_autofree char *name = names != NULL && id != NULL ? ps_names_lookup (names, kind, scope, id) : NULL;

  return g_strdup (or_dash (name != NULL ? name : id));
}

/* "account › module", or the account alone where there are no modules. */
static char *
describe_place (PsNames         *names,
                const PsMapping *m)
{
  g_autofree char *account = name_of (names, PS_NAME_ACCOUNT, NULL, m->account);
  g_autofree char *module = NULL;

  if (m->module == NULL || *m->module == '\0')
    return g_steal_pointer (&account);
  module = name_of (names, PS_NAME_MODULE, NULL, m->module);
  return g_strdup_printf ("%s › %s", account, module);
}

/* "First Name ← givenName, Department ← department", by the fields' names. */
static char *
describe_fields (PsNames         *names,
                 const PsMapping *m)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < m->fields->len; i++)
    {
      const PsFieldMap *f = g_ptr_array_index (m->fields, i);
      g_autofree char *field = name_of (names, PS_NAME_FIELD, m->collection, f->field);

      if (text->len > 0)
        g_string_append (text, ", ");
      /* Translators: a collection field ← the attribute it is filled from */
      g_string_append_printf (text, _("%s ← %s"), field, f->attribute);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* The mapping's SearchBase and Filter, or NULL when it covers the whole group. */
static char *
describe_scope (const PsMapping *m)
{
  gboolean base = m->search_base != NULL && *m->search_base != '\0';
  gboolean filter = m->filter != NULL && *m->filter != '\0';

  if (base && filter)
    /* Translators: a search base (an OU's DN) and an LDAP filter */
    return g_strdup_printf (_("Only members under %s matching %s"), m->search_base, m->filter);
  if (base)
    /* Translators: a search base, the DN of an OU */
    return g_strdup_printf (_("Only members under %s"), m->search_base);
  if (filter)
    /* Translators: an LDAP filter, e.g. (department=Sales) */
    return g_strdup_printf (_("Only members matching %s"), m->filter);
  return NULL;
}

static void
describe (PsMappingRow    *self,
          const PsMapping *m,
          PsNames         *names)
{
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;
  const char *group = m->group_name != NULL ? m->group_name : m->group;
  g_autofree char *place = describe_place (names, m);
  g_autofree char *scope = describe_scope (m);

  if (m->kind == PS_MAPPING_USERS)
    {
      g_autofree char *role = name_of (names, PS_NAME_ROLE, NULL, m->role);

      /* Translators: an AD group → the Asset Panda role its users get */
      title = g_strdup_printf (_("%s → role %s"), or_dash (group), role);
      /* Translators: “account › module” · the attribute of each invitation field */
      subtitle = g_strdup_printf (_("%s · Email ← %s, First Name ← %s, Last Name ← %s"),
                                  place, or_dash (m->email_attr),
                                  or_dash (m->first_name_attr), or_dash (m->last_name_attr));
    }
  else
    {
      g_autofree char *fields = describe_fields (names, m);
      g_autofree char *collection = name_of (names, PS_NAME_COLLECTION, NULL, m->collection);

      /* Translators: an AD group → the Asset Panda collection it fills */
      title = g_strdup_printf (_("%s → collection %s"), or_dash (group), collection);
      if (m->fields->len > 0)
        /* Translators: “account › module” · unique identifier · the mapped fields */
        subtitle = g_strdup_printf (_("%s · Unique Identifier %s · %s"), place, or_dash (m->unique_id_attr),
                                    fields);
      else
        /* Translators: “account › module” · unique identifier */
        subtitle = g_strdup_printf (_("%s · Unique Identifier %s · no fields"), place,
                                    or_dash (m->unique_id_attr));
    }
  gtk_label_set_text (self->title_label, title);
  gtk_label_set_text (self->subtitle_label, subtitle);
  gtk_label_set_text (self->scope_label, scope != NULL ? scope : "");
  gtk_widget_set_visible (GTK_WIDGET (self->scope_label), scope != NULL);
}

/* ---------------------------------------------------------------- callbacks */

static void
on_count_done_cb (GObject      *source,
                  GAsyncResult *res,
                  gpointer      user_data)
{
  g_autoptr(PsMappingRow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  guint count = 0;

  if (!ps_gui_backend_count_links_finish (res, &count, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* Unknown: say what removal does without a number. */
      text = g_strdup_printf (_("Remove this mapping? The people it manages keep their records and users "
                                "in Asset Panda as they are; PandaSync stops updating or deactivating "
                                "them. (%s)"), error->message);
    }
  else if (count == 0)
    text = g_strdup (_("Remove this mapping? PandaSync manages no one through it yet, so nothing in "
                       "Asset Panda changes."));
  else
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "Remove this mapping? PandaSync manages %u person through it. "
                                         "Their record or user stays in Asset Panda as it is; PandaSync "
                                         "stops updating or deactivating it.",
                                         "Remove this mapping? PandaSync manages %u people through it. "
                                         "Their records and users stay in Asset Panda as they are; "
                                         "PandaSync stops updating or deactivating them.",
                                         count),
                            count);
  self->managed = count;
  gtk_label_set_text (self->confirm_label, text);
  gtk_widget_set_sensitive (GTK_WIDGET (self->confirm_button), TRUE);
}

static void
on_remove_button_clicked_cb (PsMappingRow *self)
{
  if (gtk_revealer_get_reveal_child (self->confirm_revealer))
    return;
  gtk_label_set_text (self->confirm_label, _("Counting the people this mapping manages…"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->confirm_button), FALSE);
  gtk_revealer_set_reveal_child (self->confirm_revealer, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->keep_button));
  if (self->count_cancellable != NULL)
    g_cancellable_cancel (self->count_cancellable);
  g_clear_object (&self->count_cancellable);
  self->count_cancellable = g_cancellable_new ();
  if (self->profile != NULL)
    ps_gui_backend_count_links_async (self->profile, self->mapping_name, self->count_cancellable,
                                      on_count_done_cb, g_object_ref (self));
  else
    {
      gtk_label_set_text (self->confirm_label, _("Remove this mapping? PandaSync stops managing its "
                                                 "people; their records and users stay as they are."));
      gtk_widget_set_sensitive (GTK_WIDGET (self->confirm_button), TRUE);
    }
}

static void
on_edit_button_clicked_cb (PsMappingRow *self)
{
  g_signal_emit (self, signals[SIGNAL_EDIT], 0);
}

static void
on_up_button_clicked_cb (PsMappingRow *self)
{
  g_signal_emit (self, signals[SIGNAL_MOVE], 0, -1);
}

static void
on_down_button_clicked_cb (PsMappingRow *self)
{
  g_signal_emit (self, signals[SIGNAL_MOVE], 0, 1);
}

static void
on_keep_button_clicked_cb (PsMappingRow *self)
{
  if (self->count_cancellable != NULL)
    g_cancellable_cancel (self->count_cancellable);
  gtk_revealer_set_reveal_child (self->confirm_revealer, FALSE);
  gtk_widget_grab_focus (GTK_WIDGET (self->remove_button));
}

static void
on_confirm_button_clicked_cb (PsMappingRow *self)
{
  GtkWidget *list = gtk_widget_get_parent (GTK_WIDGET (self));
  UndoInfo *info;

  if (self->profile != NULL && GTK_IS_LIST_BOX (list))
    {
      GPtrArray *mappings = ps_profile_get_mappings (self->profile);
      PsMapping *mapping = ps_profile_find_mapping (self->profile, self->mapping_name);
      guint position = 0;

      if (mapping != NULL && g_ptr_array_find (mappings, mapping, &position))
        {
          /* Kept on the list, which outlives this row when the page rebuilds it. */
          info = g_new0 (UndoInfo, 1);
          info->profile = g_object_ref (self->profile);
          info->mapping = ps_mapping_copy (mapping);
          info->position = position;
          info->row_index = (guint) MAX (0, gtk_list_box_row_get_index (GTK_LIST_BOX_ROW (self)));
          info->managed = self->managed;
          info->list = list;
          info->timeout_id = g_timeout_add_seconds (UNDO_SECONDS, on_undo_timeout_cb, info);
          g_object_set_data_full (G_OBJECT (list), UNDO_KEY, info, (GDestroyNotify) undo_info_free);
        }
    }
  g_object_ref (list);
  g_signal_emit (self, signals[SIGNAL_REMOVE], 0);
  /* The page usually rebuilds the list (and the Undo with it); if not, add it. */
  if (GTK_IS_LIST_BOX (list))
    show_undo_row (GTK_LIST_BOX (list));
  g_object_unref (list);
}

static void
on_undo_button_clicked_cb (GtkButton *button,
                           GtkWidget *list)
{
  UndoInfo *info = g_object_steal_data (G_OBJECT (list), UNDO_KEY);
  g_autoptr(GError) error = NULL;
  GPtrArray *mappings;
  PsMapping *mapping;

  if (info == NULL)
    return;
  if (info->timeout_id != 0)
    g_source_remove (info->timeout_id);
  info->timeout_id = 0;
  gtk_widget_destroy (gtk_widget_get_ancestor (GTK_WIDGET (button), GTK_TYPE_LIST_BOX_ROW));

  /* The same mapping, back at its place: first match wins, so order matters. */
  mapping = g_steal_pointer (&info->mapping);
  ps_profile_add_mapping (info->profile, mapping);
  mappings = ps_profile_get_mappings (info->profile);
  if (info->position < mappings->len - 1)
    {
      g_ptr_array_steal_index (mappings, mappings->len - 1);
      g_ptr_array_insert (mappings, (int) info->position, mapping);
    }
  if (!ps_profile_save (info->profile, &error))
    g_warning ("The profile could not be saved after Undo: %s", error->message);
  ps_profile_changed (info->profile);
  undo_info_free (info);
}

/* ---------------------------------------------------------------- overrides */

static void
ps_mapping_row_dispose (GObject *object)
{
  PsMappingRow *self = PS_MAPPING_ROW (object);

  if (self->count_cancellable != NULL)
    g_cancellable_cancel (self->count_cancellable);
  g_clear_object (&self->count_cancellable);
  g_clear_object (&self->profile);
  G_OBJECT_CLASS (ps_mapping_row_parent_class)->dispose (object);
}

static void
ps_mapping_row_finalize (GObject *object)
{
  PsMappingRow *self = PS_MAPPING_ROW (object);

  g_free (self->mapping_name);
  G_OBJECT_CLASS (ps_mapping_row_parent_class)->finalize (object);
}

static void
ps_mapping_row_class_init (PsMappingRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ps_mapping_row_dispose;
  object_class->finalize = ps_mapping_row_finalize;

  /* Asks the page to remove the mapping from the profile: the administrator
   * has confirmed it, and the list offers Undo. */
  signals[SIGNAL_REMOVE] = g_signal_new ("remove-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* Asks the page to load the mapping into its form. */
  signals[SIGNAL_EDIT] = g_signal_new ("edit-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* Asks the page to move the mapping one place up (-1) or down (1). */
  signals[SIGNAL_MOVE] = g_signal_new ("move-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/widgets/ps-mapping-row.ui");
  gtk_widget_class_bind_template_child (widget_class, PsMappingRow, claims_label);
  gtk_widget_class_bind_template_child (widget_class, PsMappingRow, confirm_button);
  gtk_widget_class_bind_template_child (widget_class, PsMappingRow, confirm_label);
  gtk_widget_class_bind_template_child (widget_class, PsMappingRow, confirm_revealer);
  gtk_widget_class_bind_template_child (widget_class, PsMappingRow, down_button);
  gtk_widget_class_bind_template_child (widget_class, PsMappingRow, edit_button);
  gtk_widget_class_bind_template_child (widget_class, PsMappingRow, keep_button);
  gtk_widget_class_bind_template_child (widget_class, PsMappingRow, position_label);
  gtk_widget_class_bind_template_child (widget_class, PsMappingRow, up_button);
  gtk_widget_class_bind_template_child (widget_class, PsMappingRow, remove_button);
  gtk_widget_class_bind_template_child (widget_class, PsMappingRow, scope_label);
  gtk_widget_class_bind_template_child (widget_class, PsMappingRow, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, PsMappingRow, title_label);
  gtk_widget_class_bind_template_callback (widget_class, on_confirm_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_down_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_edit_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_keep_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_up_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_remove_button_clicked_cb);
}

static void
ps_mapping_row_init (PsMappingRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* ---------------------------------------------------------------- public API */

GtkWidget *
ps_mapping_row_new (const PsMapping *mapping,
                    PsNames         *names)
{
  PsMappingRow *self = g_object_new (PS_TYPE_MAPPING_ROW, NULL);

  self->mapping_name = g_strdup (mapping->name);
  describe (self, mapping, names);
  return GTK_WIDGET (self);
}

const char *
ps_mapping_row_get_mapping_name (PsMappingRow *self)
{
  g_return_val_if_fail (PS_IS_MAPPING_ROW (self), NULL);
  return self->mapping_name;
}

GtkButton *
ps_mapping_row_get_remove_button (PsMappingRow *self)
{
  g_return_val_if_fail (PS_IS_MAPPING_ROW (self), NULL);
  return self->remove_button;
}

/* Shows the row's place among @count mappings that are matched in order
 * (@position from 1), with buttons to move it; 0 hides both. */
void
ps_mapping_row_set_position (PsMappingRow *self,
                             guint         position,
                             guint         count)
{
  g_autofree char *text = NULL;
  g_autofree char *description = NULL;

  g_return_if_fail (PS_IS_MAPPING_ROW (self));
  gtk_widget_set_visible (GTK_WIDGET (self->position_label), position > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->up_button), position > 0 && count > 1);
  gtk_widget_set_visible (GTK_WIDGET (self->down_button), position > 0 && count > 1);
  if (position == 0)
    return;
  text = g_strdup_printf ("%u", position);
  gtk_label_set_text (self->position_label, text);
  /* Translators: where a user mapping comes in the order of matching */
  description = g_strdup_printf (_("Matched %u of %u: the first mapping that matches a person manages them"),
                                 position, count);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->position_label), description);
  atk_object_set_description (gtk_widget_get_accessible (GTK_WIDGET (self)), description);
  gtk_widget_set_sensitive (GTK_WIDGET (self->up_button), position > 1);
  gtk_widget_set_sensitive (GTK_WIDGET (self->down_button), position < count);
}

GtkButton *
ps_mapping_row_get_edit_button (PsMappingRow *self)
{
  g_return_val_if_fail (PS_IS_MAPPING_ROW (self), NULL);
  return self->edit_button;
}

GtkButton *
ps_mapping_row_get_move_button (PsMappingRow *self,
                                int           direction)
{
  g_return_val_if_fail (PS_IS_MAPPING_ROW (self), NULL);
  return direction < 0 ? self->up_button : self->down_button;
}

const char *
ps_mapping_row_get_title (PsMappingRow *self)
{
  g_return_val_if_fail (PS_IS_MAPPING_ROW (self), NULL);
  return gtk_label_get_text (self->title_label);
}

const char *
ps_mapping_row_get_subtitle (PsMappingRow *self)
{
  g_return_val_if_fail (PS_IS_MAPPING_ROW (self), NULL);
  return gtk_label_get_text (self->subtitle_label);
}

/* Says that earlier user mappings manage some of this one's people, or
 * nothing with NULL. */
void
ps_mapping_row_set_claims (PsMappingRow *self,
                           const char   *text)
{
  g_return_if_fail (PS_IS_MAPPING_ROW (self));
  gtk_label_set_text (self->claims_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->claims_label), text != NULL);
}

const char *
ps_mapping_row_get_claims (PsMappingRow *self)
{
  g_return_val_if_fail (PS_IS_MAPPING_ROW (self), NULL);
  return gtk_widget_get_visible (GTK_WIDGET (self->claims_label)) ? gtk_label_get_text (self->claims_label)
                                                                   : NULL;
}

/* Marks the row whose mapping the form is editing. */
void
ps_mapping_row_set_editing (PsMappingRow *self,
                            gboolean      editing)
{
  GtkStyleContext *style;

  g_return_if_fail (PS_IS_MAPPING_ROW (self));
  style = gtk_widget_get_style_context (GTK_WIDGET (self));
  if (editing)
    gtk_style_context_add_class (style, "ps-editing");
  else
    gtk_style_context_remove_class (style, "ps-editing");
  gtk_widget_set_sensitive (GTK_WIDGET (self->edit_button), !editing);
  gtk_widget_set_sensitive (GTK_WIDGET (self->remove_button), !editing);
}

guint
ps_mapping_row_fill_list (GtkListBox    *list,
                          PsProfile     *profile,
                          PsMappingKind  kind,
                          PsNames       *names,
                          const char    *editing,
                          GCallback      on_remove,
                          GCallback      on_edit,
                          GCallback      on_move,
                          gpointer       user_data)
{
  g_autoptr(GList) rows = gtk_container_get_children (GTK_CONTAINER (list));
  GPtrArray *mappings = ps_profile_get_mappings (profile);
  guint n = 0, count = 0;

  for (GList *l = rows; l != NULL; l = l->next)
    gtk_widget_destroy (l->data);
  for (guint i = 0; i < mappings->len; i++)
    count += ((PsMapping *) g_ptr_array_index (mappings, i))->kind == kind ? 1 : 0;
  for (guint i = 0; i < mappings->len; i++)
    {
      const PsMapping *m = g_ptr_array_index (mappings, i);
      GtkWidget *row;

      if (m->kind != kind)
        continue;
      row = ps_mapping_row_new (m, names);
      PS_MAPPING_ROW (row)->profile = g_object_ref (profile);
      n++;
      /* Only user mappings compete for a person: the first match wins. */
      ps_mapping_row_set_position (PS_MAPPING_ROW (row), kind == PS_MAPPING_USERS ? n : 0, count);
      ps_mapping_row_set_editing (PS_MAPPING_ROW (row), g_strcmp0 (editing, m->name) == 0);
      g_signal_connect_swapped (row, "remove-requested", on_remove, user_data);
      if (on_edit != NULL)
        g_signal_connect_swapped (row, "edit-requested", on_edit, user_data);
      else
        gtk_widget_hide (GTK_WIDGET (PS_MAPPING_ROW (row)->edit_button));
      if (on_move != NULL)
        g_signal_connect_swapped (row, "move-requested", on_move, user_data);
      gtk_list_box_insert (list, row, -1);
    }
  /* A removal of this list that can still be undone. */
  show_undo_row (list);
  return n;
}

/* Moves the mapping @name one place up (@delta < 0) or down among the
 * mappings of its kind in @profile; FALSE when it is already at that end. */
gboolean
ps_mapping_row_move_mapping (PsProfile  *profile,
                             const char *name,
                             int         delta)
{
  GPtrArray *mappings = ps_profile_get_mappings (profile);
  PsMapping *m = ps_profile_find_mapping (profile, name);
  guint index;

  if (m == NULL || delta == 0 || !g_ptr_array_find (mappings, m, &index))
    return FALSE;
  /* The neighbour of the same kind: collection mappings between two user
   * mappings do not count. */
  for (int i = (int) index + (delta < 0 ? -1 : 1); i >= 0 && i < (int) mappings->len; i += delta < 0 ? -1 : 1)
    if (((PsMapping *) g_ptr_array_index (mappings, i))->kind == m->kind)
      return ps_profile_move_mapping (profile, name, (guint) i);
  return FALSE;
}

char *
ps_mapping_row_make_name (const char *group,
                          const char *target)
{
  g_autofree char *name = g_strdup_printf ("%s to %s", group, target);

  /* Key file group names cannot hold brackets or control characters. */
  for (char *p = name; *p != '\0'; p++)
    if (*p == '[' || *p == ']' || g_ascii_iscntrl (*p))
      *p = '_';
  return g_steal_pointer (&name);
}
