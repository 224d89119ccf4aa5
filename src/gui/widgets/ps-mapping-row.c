/* ps-mapping-row.c — one added mapping in a list, with its remove button
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib/gi18n.h>

#include "ps-mapping-row.h"

struct _PsMappingRow
{
  GtkListBoxRow  parent_instance;

  GtkButton     *remove_button;
  GtkLabel      *scope_label;
  GtkLabel      *subtitle_label;
  GtkLabel      *title_label;

  char          *mapping_name;
};

G_DEFINE_FINAL_TYPE (PsMappingRow, ps_mapping_row, GTK_TYPE_LIST_BOX_ROW)

enum {
  SIGNAL_REMOVE,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* ---------------------------------------------------------------- helpers */

static const char *
or_dash (const char *text)
{
  return text != NULL && *text != '\0' ? text : "—";
}

/* The name of the thing with @id, when the page has seen it. */
static const char *
name_of (GHashTable *names,
         const char *id)
{
  const char *name = names != NULL && id != NULL ? g_hash_table_lookup (names, id) : NULL;

  return or_dash (name != NULL ? name : id);
}

/* "account › module", or the account alone where there are no modules. */
static char *
describe_place (GHashTable      *names,
                const PsMapping *m)
{
  if (m->module == NULL || *m->module == '\0')
    return g_strdup (name_of (names, m->account));
  return g_strdup_printf ("%s › %s", name_of (names, m->account), name_of (names, m->module));
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
          GHashTable      *names)
{
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;
  const char *group = m->group_name != NULL ? m->group_name : m->group;
  g_autofree char *place = describe_place (names, m);
  g_autofree char *scope = describe_scope (m);

  if (m->kind == PS_MAPPING_USERS)
    {
      /* Translators: an AD group → the Asset Panda role its users get */
      title = g_strdup_printf (_("%s → role %s"), or_dash (group), name_of (names, m->role));
      /* Translators: “account › module” · the attribute of each invitation field */
      subtitle = g_strdup_printf (_("%s · Email ← %s, First Name ← %s, Last Name ← %s"),
                                  place, or_dash (m->email_attr),
                                  or_dash (m->first_name_attr), or_dash (m->last_name_attr));
    }
  else
    {
      /* Translators: an AD group → the Asset Panda collection it fills */
      title = g_strdup_printf (_("%s → collection %s"), or_dash (group), name_of (names, m->collection));
      /* Translators: “account › module” · unique identifier · number of mapped fields */
      subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                               "%s · Unique Identifier %s · %u field",
                                               "%s · Unique Identifier %s · %u fields",
                                               m->fields->len),
                                  place, or_dash (m->unique_id_attr),
                                  m->fields->len);
    }
  gtk_label_set_text (self->title_label, title);
  gtk_label_set_text (self->subtitle_label, subtitle);
  gtk_label_set_text (self->scope_label, scope != NULL ? scope : "");
  gtk_widget_set_visible (GTK_WIDGET (self->scope_label), scope != NULL);
}

/* ---------------------------------------------------------------- callbacks */

static void
on_remove_button_clicked_cb (PsMappingRow *self)
{
  g_signal_emit (self, signals[SIGNAL_REMOVE], 0);
}

/* ---------------------------------------------------------------- overrides */

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

  object_class->finalize = ps_mapping_row_finalize;

  /* Asks the page to remove the mapping from the profile. */
  signals[SIGNAL_REMOVE] = g_signal_new ("remove-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/widgets/ps-mapping-row.ui");
  gtk_widget_class_bind_template_child (widget_class, PsMappingRow, remove_button);
  gtk_widget_class_bind_template_child (widget_class, PsMappingRow, scope_label);
  gtk_widget_class_bind_template_child (widget_class, PsMappingRow, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, PsMappingRow, title_label);
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
                    GHashTable      *names)
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

guint
ps_mapping_row_fill_list (GtkListBox    *list,
                          PsProfile     *profile,
                          PsMappingKind  kind,
                          GHashTable    *names,
                          GCallback      on_remove,
                          gpointer       user_data)
{
  g_autoptr(GList) rows = gtk_container_get_children (GTK_CONTAINER (list));
  GPtrArray *mappings = ps_profile_get_mappings (profile);
  guint n = 0;

  for (GList *l = rows; l != NULL; l = l->next)
    gtk_widget_destroy (l->data);
  for (guint i = 0; i < mappings->len; i++)
    {
      const PsMapping *m = g_ptr_array_index (mappings, i);
      GtkWidget *row;

      if (m->kind != kind)
        continue;
      row = ps_mapping_row_new (m, names);
      g_signal_connect_swapped (row, "remove-requested", on_remove, user_data);
      gtk_list_box_insert (list, row, -1);
      n++;
    }
  return n;
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
