/* ps-scope-editor.c — a mapping's search base and filter, with a live count
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The "Advanced" part of both mapping pages. For an LDAP directory, a
 * search base and an RFC 4515 filter; for Okta, a department, a status and
 * a search expression of its own, which together make the mapping's Filter
 * (an Okta search expression). The filter is parsed as it is typed
 * (ps_ldap_filter_parse, ps_okta_search_parse) and one that does not parse
 * says why under its entry at once, without asking the source. While the expander
 * is open, a worker counts the members in scope (ps_gui_backend_count_scope)
 * half a second after the last change of the group, the search base or the
 * filter; a newer change cancels the count under way.
 */

#include <string.h>
#include <glib/gi18n.h>

#include "ps-gui-backend.h"
#include "ps-ldap-syntax.h"
#include "ps-okta-syntax.h"
#include "ps-scope-editor.h"

#define COUNT_DELAY_MS 500

struct _PsScopeEditor
{
  GtkBox        parent_instance;

  GtkBox       *count_box;
  GtkLabel     *count_label;
  GtkSpinner   *count_spinner;
  GtkEntry     *department_entry;
  GtkLabel     *department_label;
  GtkExpander  *expander;
  GtkBox       *expression_box;
  GtkEntry     *expression_entry;
  GtkLabel     *expression_error_label;
  GtkLabel     *expression_label;
  GtkBox       *filter_box;
  GtkLabel     *filter_error_label;
  GtkEntry     *filter_entry;
  GtkLabel     *filter_label;
  GtkLabel     *intro_label;
  GtkBox       *search_base_box;
  GtkLabel     *search_base_error_label;
  GtkEntry     *search_base_entry;
  GtkLabel     *search_base_label;
  GtkComboBoxText *status_combo;
  GtkLabel     *status_label;

  PsSourceKind  source_kind;      /* LDAP's fields, or Okta's */

  PsProfile    *profile;
  PsMapping    *mapping;          /* the page's form, without the scope; NULL: no group */
  char         *search_base;      /* trimmed; NULL when empty */
  char         *filter;           /* normalised; NULL when empty or invalid */
  char         *search_base_error;
  char         *filter_error;
  gboolean      stale;            /* the count shown is not of the current scope */
  gboolean      count_failed;     /* the count line shows an error */
  guint         count_timeout;
  GCancellable *cancellable;      /* the count under way */
  gboolean      scroll_pending;   /* just opened: bring it into sight once laid out */
  guint         scroll_idle;
};

G_DEFINE_FINAL_TYPE (PsScopeEditor, ps_scope_editor, GTK_TYPE_BOX)

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

enum {
  PROP_0,
  PROP_SEARCH_BASE,
  PROP_FILTER,
  PROP_VALID,
  PROP_COUNTING,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

static gboolean on_count_timeout_cb (gpointer      user_data);
static gboolean on_scroll_idle_cb   (gpointer      user_data);
static void     on_count_done_cb    (GObject      *source,
                                     GAsyncResult *result,
                                     gpointer      user_data);

/* ---------------------------------------------------------------- helpers */

static char *
dup_entry_text (GtkEntry *entry)
{
  char *text = g_strstrip (g_strdup (gtk_entry_get_text (entry)));

  if (*text == '\0')
    g_clear_pointer (&text, g_free);
  return text;
}

/* Brings the whole editor into sight once it is laid out again: it was
 * opened, or a message appeared under the field being typed in. */
static void
request_scroll (PsScopeEditor *self)
{
  if (gtk_expander_get_expanded (self->expander))
    self->scroll_pending = TRUE;
}

static void
show_field_error (PsScopeEditor *self,
                  GtkLabel      *label,
                  GtkEntry      *entry,
                  const char    *error)
{
  GtkStyleContext *style = gtk_widget_get_style_context (GTK_WIDGET (entry));

  if (error != NULL && !gtk_widget_get_visible (GTK_WIDGET (label)))
    request_scroll (self);
  gtk_label_set_text (label, error != NULL ? error : "");
  gtk_widget_set_visible (GTK_WIDGET (label), error != NULL);
  if (error != NULL)
    gtk_style_context_add_class (style, "error");
  else
    gtk_style_context_remove_class (style, "error");
}

static void
show_count (PsScopeEditor *self,
            const char    *text,
            gboolean       is_error)
{
  GtkStyleContext *style = gtk_widget_get_style_context (GTK_WIDGET (self->count_label));

  self->count_failed = is_error;
  gtk_label_set_text (self->count_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->count_box), *text != '\0');
  if (is_error)
    {
      request_scroll (self);
      gtk_style_context_add_class (style, "ps-field-error");
      gtk_style_context_remove_class (style, "dim-label");
    }
  else
    {
      gtk_style_context_remove_class (style, "ps-field-error");
      gtk_style_context_add_class (style, "dim-label");
    }
}

static void
set_spinning (PsScopeEditor *self,
              gboolean       spinning)
{
  gtk_widget_set_visible (GTK_WIDGET (self->count_spinner), spinning);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COUNTING]);
}

static void
cancel_count (PsScopeEditor *self)
{
  g_clear_handle_id (&self->count_timeout, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  set_spinning (self, FALSE);
}

/* @value as an Okta search string: quoted, with \" and \\ escaped. */
static char *
okta_quote (const char *value)
{
  GString *quoted = g_string_new ("\"");

  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (quoted, '\\');
      g_string_append_c (quoted, *p);
    }
  g_string_append_c (quoted, '"');
  return g_string_free (quoted, FALSE);
}

/* The condition of a status choice (README: Okta statuses), or NULL. */
static const char *
okta_status_condition (const char *id)
{
  if (g_strcmp0 (id, "active") == 0)
    return "(status eq \"ACTIVE\" or status eq \"PROVISIONED\" or status eq \"RECOVERY\" "
           "or status eq \"PASSWORD_EXPIRED\" or status eq \"LOCKED_OUT\")";
  if (g_strcmp0 (id, "suspended") == 0)
    return "status eq \"SUSPENDED\"";
  if (g_strcmp0 (id, "deprovisioned") == 0)
    return "status eq \"DEPROVISIONED\"";
  return NULL;
}

/* Okta: the department, the status and the expression make one search
 * expression (they all hold); a wrong expression says why under it. */
static void
check_okta_fields (PsScopeEditor *self)
{
  g_autofree char *department = dup_entry_text (self->department_entry);
  g_autofree char *expression = dup_entry_text (self->expression_entry);
  const char *status = okta_status_condition (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->status_combo)));
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *reason = NULL;

  if (department != NULL)
    {
      g_autofree char *quoted = okta_quote (department);
      g_ptr_array_add (parts, g_strconcat ("profile.department eq ", quoted, NULL));
    }
  if (status != NULL)
    g_ptr_array_add (parts, g_strdup (status));
  if (expression != NULL)
    {
      g_autofree char *normal = ps_okta_search_parse (expression, NULL, &reason);

      if (normal == NULL)
        /* Translators: the reason names the position, e.g. "“eq” expected at character 14" */
        self->filter_error = g_strdup_printf (_("This is not an Okta search expression: %s."), reason);
      else
        g_ptr_array_add (parts, g_strdup_printf ("(%s)", normal));
    }
  if (self->filter_error == NULL && parts->len > 0)
    {
      g_autofree char *joined = NULL;

      g_ptr_array_add (parts, NULL);
      joined = g_strjoinv (" and ", (char **) parts->pdata);
      g_clear_pointer (&reason, g_free);
      self->filter = ps_okta_search_parse (joined, NULL, &reason);
      if (self->filter == NULL)
        self->filter_error = g_strdup_printf (_("This is not an Okta search expression: %s."), reason);
    }
  show_field_error (self, self->expression_error_label, self->expression_entry, self->filter_error);
}

/* Parses both fields; says at once what is wrong with either. */
static void
check_fields (PsScopeEditor *self)
{
  g_autofree char *filter_text = dup_entry_text (self->filter_entry);
  g_autofree char *reason = NULL;
  gboolean was_valid = ps_scope_editor_get_valid (self);

  g_clear_pointer (&self->search_base, g_free);
  g_clear_pointer (&self->search_base_error, g_free);
  g_clear_pointer (&self->filter, g_free);
  g_clear_pointer (&self->filter_error, g_free);

  if (self->source_kind == PS_SOURCE_KIND_OKTA)
    {
      check_okta_fields (self);
      if (was_valid != ps_scope_editor_get_valid (self))
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VALID]);
      return;
    }
  self->search_base = dup_entry_text (self->search_base_entry);
  /* Only the shape is checked here; whether it exists, the count says. */
  if (self->search_base != NULL && strchr (self->search_base, '=') == NULL)
    self->search_base_error = g_strdup (_("Enter the distinguished name of an OU, such as "
                                          "OU=Staff,DC=example,DC=com."));
  if (filter_text != NULL)
    {
      self->filter = ps_ldap_filter_parse (filter_text, NULL, &reason);
      if (self->filter == NULL)
        /* Translators: the reason names the character, e.g. "“)” was expected at character 18" */
        self->filter_error = g_strdup_printf (_("This is not an LDAP filter: %s."), reason);
    }
  show_field_error (self, self->search_base_error_label, self->search_base_entry,
                    self->search_base_error);
  show_field_error (self, self->filter_error_label, self->filter_entry, self->filter_error);
  if (was_valid != ps_scope_editor_get_valid (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VALID]);
}

static void
start_count (PsScopeEditor *self)
{
  g_autoptr(PsMapping) mapping = NULL;

  cancel_count (self);
  if (self->mapping == NULL || self->profile == NULL || !ps_scope_editor_get_valid (self))
    return;

  mapping = ps_mapping_copy (self->mapping);
  ps_scope_editor_apply (self, mapping);
  self->stale = FALSE;
  self->cancellable = g_cancellable_new ();
  set_spinning (self, TRUE);
  show_count (self, _("Counting the members in scope…"), FALSE);
  ps_gui_backend_count_scope_async (self->profile, mapping, self->cancellable, on_count_done_cb, self);
}

/* The scope changed: the count shown is out of date. It is taken again
 * after a pause in the typing, and only where it can be seen. */
static void
scope_changed (PsScopeEditor *self,
               guint          delay_ms)
{
  cancel_count (self);
  self->stale = TRUE;
  if (!ps_scope_editor_get_valid (self))
    {
      show_count (self, "", FALSE);
      return;
    }
  if (self->mapping == NULL)
    {
      show_count (self, _("Choose a group to count its members in scope."), FALSE);
      return;
    }
  if (!gtk_expander_get_expanded (self->expander))
    return;
  if (delay_ms == 0)
    {
      start_count (self);
      return;
    }
  show_count (self, _("Counting the members in scope…"), FALSE);
  self->count_timeout = g_timeout_add (delay_ms, on_count_timeout_cb, self);
  set_spinning (self, TRUE);
}

static gboolean
same_attributes (const PsMapping *a,
                 const PsMapping *b)
{
  if (g_strcmp0 (a->email_attr, b->email_attr) != 0
      || g_strcmp0 (a->first_name_attr, b->first_name_attr) != 0
      || g_strcmp0 (a->last_name_attr, b->last_name_attr) != 0
      || g_strcmp0 (a->unique_id_attr, b->unique_id_attr) != 0
      || a->fields->len != b->fields->len)
    return FALSE;
  for (guint i = 0; i < a->fields->len; i++)
    {
      const PsFieldMap *fa = g_ptr_array_index (a->fields, i);
      const PsFieldMap *fb = g_ptr_array_index (b->fields, i);

      if (g_strcmp0 (fa->attribute, fb->attribute) != 0)
        return FALSE;
    }
  return TRUE;
}

/* ---------------------------------------------------------------- callbacks */

/* Scrolls the page, if it scrolls, so that the opened part can be seen. */
static gboolean
on_scroll_idle_cb (gpointer user_data)
{
  PsScopeEditor *self = PS_SCOPE_EDITOR (user_data);
  GtkWidget *scrolled = gtk_widget_get_ancestor (GTK_WIDGET (self), GTK_TYPE_SCROLLED_WINDOW);
  GtkWidget *viewport = scrolled != NULL ? gtk_bin_get_child (GTK_BIN (scrolled)) : NULL;
  GtkWidget *content = GTK_IS_VIEWPORT (viewport) ? gtk_bin_get_child (GTK_BIN (viewport)) : NULL;
  int x = 0, y = 0;

  self->scroll_idle = 0;
  if (content != NULL && gtk_widget_translate_coordinates (GTK_WIDGET (self), content, 0, 0, &x, &y))
    gtk_adjustment_clamp_page (gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled)),
                               y, y + gtk_widget_get_allocated_height (GTK_WIDGET (self)));
  return G_SOURCE_REMOVE;
}

static gboolean
on_count_timeout_cb (gpointer user_data)
{
  PsScopeEditor *self = PS_SCOPE_EDITOR (user_data);

  self->count_timeout = 0;
  start_count (self);
  return G_SOURCE_REMOVE;
}

static void
on_count_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  PsScopeEditor *self;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  PsGuiScopeCount count = { 0 };
  gboolean counted = ps_gui_backend_count_scope_finish (result, &count, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = PS_SCOPE_EDITOR (user_data);
  g_clear_object (&self->cancellable);
  set_spinning (self, FALSE);

  if (!counted)
    {
      show_count (self, error->message, TRUE);
      return;
    }
  if (count.members == 0)
    text = g_strdup (_("The group has no members."));
  else
    /* Translators: members in scope, members of the group, enabled members in scope */
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "%u of %u member is in scope (%u enabled)",
                                         "%u of %u members are in scope (%u enabled)",
                                         count.members),
                            count.in_scope, count.members, count.enabled);
  show_count (self, text, FALSE);
}

static void
on_entry_changed_cb (PsScopeEditor *self,
                     GtkEntry      *entry)
{
  check_fields (self);
  /* A filter that does not parse is never sent to the directory. */
  scope_changed (self, COUNT_DELAY_MS);
  g_object_notify_by_pspec (G_OBJECT (self),
                            properties[entry == self->filter_entry ? PROP_FILTER : PROP_SEARCH_BASE]);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

/* Okta's department, status or expression changed. */
static void
on_okta_changed_cb (PsScopeEditor *self)
{
  if (self->source_kind != PS_SOURCE_KIND_OKTA)
    return;
  check_fields (self);
  scope_changed (self, COUNT_DELAY_MS);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILTER]);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
on_expander_expanded_cb (PsScopeEditor *self)
{
  request_scroll (self);
  /* Counted when it comes into sight, if the scope changed meanwhile. */
  if (gtk_expander_get_expanded (self->expander) && self->stale && self->cancellable == NULL
      && self->count_timeout == 0)
    scope_changed (self, 0);
}

/* ---------------------------------------------------------------- overrides */

static void
ps_scope_editor_size_allocate (GtkWidget     *widget,
                               GtkAllocation *allocation)
{
  PsScopeEditor *self = PS_SCOPE_EDITOR (widget);

  GTK_WIDGET_CLASS (ps_scope_editor_parent_class)->size_allocate (widget, allocation);
  if (self->scroll_pending && self->scroll_idle == 0)
    {
      self->scroll_pending = FALSE;
      self->scroll_idle = g_idle_add (on_scroll_idle_cb, self);
    }
}

static void
ps_scope_editor_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  PsScopeEditor *self = PS_SCOPE_EDITOR (object);

  switch (prop_id)
    {
    case PROP_SEARCH_BASE:
      g_value_set_string (value, ps_scope_editor_get_search_base (self));
      break;
    case PROP_FILTER:
      g_value_set_string (value, ps_scope_editor_get_filter (self));
      break;
    case PROP_VALID:
      g_value_set_boolean (value, ps_scope_editor_get_valid (self));
      break;
    case PROP_COUNTING:
      g_value_set_boolean (value, ps_scope_editor_get_counting (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ps_scope_editor_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  PsScopeEditor *self = PS_SCOPE_EDITOR (object);

  switch (prop_id)
    {
    case PROP_SEARCH_BASE:
      ps_scope_editor_set_search_base (self, g_value_get_string (value));
      break;
    case PROP_FILTER:
      ps_scope_editor_set_filter (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ps_scope_editor_dispose (GObject *object)
{
  PsScopeEditor *self = PS_SCOPE_EDITOR (object);

  g_clear_handle_id (&self->count_timeout, g_source_remove);
  g_clear_handle_id (&self->scroll_idle, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->profile);
  G_OBJECT_CLASS (ps_scope_editor_parent_class)->dispose (object);
}

static void
ps_scope_editor_finalize (GObject *object)
{
  PsScopeEditor *self = PS_SCOPE_EDITOR (object);

  g_clear_pointer (&self->mapping, ps_mapping_free);
  g_free (self->search_base);
  g_free (self->filter);
  g_free (self->search_base_error);
  g_free (self->filter_error);
  G_OBJECT_CLASS (ps_scope_editor_parent_class)->finalize (object);
}

static void
ps_scope_editor_class_init (PsScopeEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = ps_scope_editor_get_property;
  object_class->set_property = ps_scope_editor_set_property;
  object_class->dispose = ps_scope_editor_dispose;
  object_class->finalize = ps_scope_editor_finalize;
  widget_class->size_allocate = ps_scope_editor_size_allocate;

  properties[PROP_SEARCH_BASE] =
    g_param_spec_string ("search-base", "Search base", "The OU members must be under; empty: none",
                         NULL, G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FILTER] =
    g_param_spec_string ("filter", "Filter", "The filter members must match (LDAP, or an Okta search expression)",
                         NULL, G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_VALID] =
    g_param_spec_boolean ("valid", "Valid", "The search base and the filter can be saved",
                          TRUE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_COUNTING] =
    g_param_spec_boolean ("counting", "Counting", "A count of the members in scope is under way",
                          FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The search base or the filter was edited. */
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/widgets/ps-scope-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, PsScopeEditor, count_box);
  gtk_widget_class_bind_template_child (widget_class, PsScopeEditor, count_label);
  gtk_widget_class_bind_template_child (widget_class, PsScopeEditor, count_spinner);
  gtk_widget_class_bind_template_child (widget_class, PsScopeEditor, department_entry);
  gtk_widget_class_bind_template_child (widget_class, PsScopeEditor, department_label);
  gtk_widget_class_bind_template_child (widget_class, PsScopeEditor, expander);
  gtk_widget_class_bind_template_child (widget_class, PsScopeEditor, expression_box);
  gtk_widget_class_bind_template_child (widget_class, PsScopeEditor, expression_entry);
  gtk_widget_class_bind_template_child (widget_class, PsScopeEditor, expression_error_label);
  gtk_widget_class_bind_template_child (widget_class, PsScopeEditor, expression_label);
  gtk_widget_class_bind_template_child (widget_class, PsScopeEditor, filter_box);
  gtk_widget_class_bind_template_child (widget_class, PsScopeEditor, filter_entry);
  gtk_widget_class_bind_template_child (widget_class, PsScopeEditor, filter_error_label);
  gtk_widget_class_bind_template_child (widget_class, PsScopeEditor, filter_label);
  gtk_widget_class_bind_template_child (widget_class, PsScopeEditor, intro_label);
  gtk_widget_class_bind_template_child (widget_class, PsScopeEditor, search_base_box);
  gtk_widget_class_bind_template_child (widget_class, PsScopeEditor, search_base_entry);
  gtk_widget_class_bind_template_child (widget_class, PsScopeEditor, search_base_error_label);
  gtk_widget_class_bind_template_child (widget_class, PsScopeEditor, search_base_label);
  gtk_widget_class_bind_template_child (widget_class, PsScopeEditor, status_combo);
  gtk_widget_class_bind_template_child (widget_class, PsScopeEditor, status_label);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_okta_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_expander_expanded_cb);
}

static void
ps_scope_editor_init (PsScopeEditor *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  scope_changed (self, 0);
}

/* ---------------------------------------------------------------- public API */

GtkWidget *
ps_scope_editor_new (void)
{
  return g_object_new (PS_TYPE_SCOPE_EDITOR, NULL);
}

/* The search base as typed (trimmed); NULL when empty. */
const char *
ps_scope_editor_get_search_base (PsScopeEditor *self)
{
  g_return_val_if_fail (PS_IS_SCOPE_EDITOR (self), NULL);
  return self->search_base;
}

void
ps_scope_editor_set_search_base (PsScopeEditor *self,
                                 const char    *search_base)
{
  g_return_if_fail (PS_IS_SCOPE_EDITOR (self));
  gtk_entry_set_text (self->search_base_entry, search_base != NULL ? search_base : "");
}

/* The filter, normalised by ps_ldap_filter_parse() — for Okta the search
 * expression the department, status and expression make, normalised by
 * ps_okta_search_parse(); NULL when it is empty or does not parse (then
 * ps_scope_editor_get_error() says why). */
const char *
ps_scope_editor_get_filter (PsScopeEditor *self)
{
  g_return_val_if_fail (PS_IS_SCOPE_EDITOR (self), NULL);
  return self->filter;
}

void
ps_scope_editor_set_filter (PsScopeEditor *self,
                            const char    *filter)
{
  g_return_if_fail (PS_IS_SCOPE_EDITOR (self));
  if (self->source_kind == PS_SOURCE_KIND_OKTA)
    {
      /* A saved expression is shown whole, as its own conditions. */
      gtk_entry_set_text (self->department_entry, "");
      gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->status_combo), "any");
      gtk_entry_set_text (self->expression_entry, filter != NULL ? filter : "");
      return;
    }
  gtk_entry_set_text (self->filter_entry, filter != NULL ? filter : "");
}

/**
 * ps_scope_editor_set_source_kind:
 *
 * Shows the fields of @kind: a search base and an LDAP filter for a
 * directory, a department, a status and a search expression for Okta.
 * What was typed for the other kind is cleared.
 */
void
ps_scope_editor_set_source_kind (PsScopeEditor *self,
                                 PsSourceKind   kind)
{
  gboolean okta = kind == PS_SOURCE_KIND_OKTA;

  g_return_if_fail (PS_IS_SCOPE_EDITOR (self));
  if (self->source_kind == kind)
    return;
  ps_scope_editor_clear (self);
  self->source_kind = kind;
  gtk_widget_set_visible (GTK_WIDGET (self->search_base_label), !okta);
  gtk_widget_set_visible (GTK_WIDGET (self->search_base_box), !okta);
  gtk_widget_set_visible (GTK_WIDGET (self->filter_label), !okta);
  gtk_widget_set_visible (GTK_WIDGET (self->filter_box), !okta);
  gtk_widget_set_visible (GTK_WIDGET (self->department_label), okta);
  gtk_widget_set_visible (GTK_WIDGET (self->department_entry), okta);
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), okta);
  gtk_widget_set_visible (GTK_WIDGET (self->status_combo), okta);
  gtk_widget_set_visible (GTK_WIDGET (self->expression_label), okta);
  gtk_widget_set_visible (GTK_WIDGET (self->expression_box), okta);
  gtk_label_set_text (self->intro_label,
                      okta ? _("Narrow the group: only its members in the department, with the status "
                               "and matching the expression are synced. Members who leave this scope "
                               "are deactivated like those who leave the group.")
                           : _("Narrow the group: only its members under the search base and matching "
                               "the filter are synced. Members who leave this scope are deactivated like "
                               "those who leave the group."));
  check_fields (self);
  scope_changed (self, 0);
}

PsSourceKind
ps_scope_editor_get_source_kind (PsScopeEditor *self)
{
  g_return_val_if_fail (PS_IS_SCOPE_EDITOR (self), PS_SOURCE_KIND_ACTIVE_DIRECTORY);
  return self->source_kind;
}

/* Whether the search base and the filter may be saved as they are. */
gboolean
ps_scope_editor_get_valid (PsScopeEditor *self)
{
  g_return_val_if_fail (PS_IS_SCOPE_EDITOR (self), FALSE);
  return ps_scope_editor_get_error (self) == NULL;
}

/* Why the search base or the filter cannot be saved; NULL when they can. */
const char *
ps_scope_editor_get_error (PsScopeEditor *self)
{
  g_return_val_if_fail (PS_IS_SCOPE_EDITOR (self), NULL);
  return self->filter_error != NULL ? self->filter_error : self->search_base_error;
}

/**
 * ps_scope_editor_set_mapping:
 * @profile: (nullable): the profile whose directory is counted
 * @mapping: (nullable): the page's form as a mapping — its kind, group and
 *   attributes — or %NULL while no group is chosen. It is copied.
 *
 * The count follows a change of the group or the kind. Other changes (the
 * attributes) are counted with the next one — at once if the count shown is
 * an error, which they may be the cause of.
 */
void
ps_scope_editor_set_mapping (PsScopeEditor   *self,
                             PsProfile       *profile,
                             const PsMapping *mapping)
{
  gboolean recount;

  g_return_if_fail (PS_IS_SCOPE_EDITOR (self));
  g_return_if_fail (profile == NULL || PS_IS_PROFILE (profile));

  if (mapping != NULL && (mapping->group == NULL || *mapping->group == '\0'))
    mapping = NULL;
  if (mapping == NULL || self->mapping == NULL)
    recount = mapping != self->mapping;
  else
    recount = mapping->kind != self->mapping->kind
              || g_strcmp0 (mapping->group, self->mapping->group) != 0
              || (self->count_failed && !same_attributes (mapping, self->mapping));

  g_set_object (&self->profile, profile);
  g_clear_pointer (&self->mapping, ps_mapping_free);
  if (mapping != NULL)
    self->mapping = ps_mapping_copy (mapping);
  if (recount)
    scope_changed (self, COUNT_DELAY_MS);
}

/* Writes the search base and the normalised filter into @mapping. */
void
ps_scope_editor_apply (PsScopeEditor *self,
                       PsMapping     *mapping)
{
  g_return_if_fail (PS_IS_SCOPE_EDITOR (self));
  g_return_if_fail (mapping != NULL);

  g_free (mapping->search_base);
  mapping->search_base = g_strdup (self->search_base);
  g_free (mapping->filter);
  mapping->filter = g_strdup (self->filter);
}

/* Empties both fields, e.g. after Add: the next group starts unfiltered. */
void
ps_scope_editor_clear (PsScopeEditor *self)
{
  g_return_if_fail (PS_IS_SCOPE_EDITOR (self));

  ps_scope_editor_set_search_base (self, NULL);
  ps_scope_editor_set_filter (self, NULL);
  gtk_entry_set_text (self->filter_entry, "");
  gtk_entry_set_text (self->department_entry, "");
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->status_combo), "any");
  gtk_entry_set_text (self->expression_entry, "");
}

gboolean
ps_scope_editor_get_expanded (PsScopeEditor *self)
{
  g_return_val_if_fail (PS_IS_SCOPE_EDITOR (self), FALSE);
  return gtk_expander_get_expanded (self->expander);
}

void
ps_scope_editor_set_expanded (PsScopeEditor *self,
                              gboolean       expanded)
{
  g_return_if_fail (PS_IS_SCOPE_EDITOR (self));
  gtk_expander_set_expanded (self->expander, expanded);
}

/* TRUE from a change until its count is shown (the pause included). */
gboolean
ps_scope_editor_get_counting (PsScopeEditor *self)
{
  g_return_val_if_fail (PS_IS_SCOPE_EDITOR (self), FALSE);
  return self->count_timeout != 0 || self->cancellable != NULL;
}

/* What the count line says: the count, an error, or why there is none. */
const char *
ps_scope_editor_get_count_text (PsScopeEditor *self)
{
  g_return_val_if_fail (PS_IS_SCOPE_EDITOR (self), NULL);
  return gtk_label_get_text (self->count_label);
}

gboolean
ps_scope_editor_get_count_failed (PsScopeEditor *self)
{
  g_return_val_if_fail (PS_IS_SCOPE_EDITOR (self), FALSE);
  return self->count_failed;
}
