/* ps-window.c — the main window: the wizard on first run, a sidebar after
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every page of ps-pages.c lives in one stack. In wizard mode the sidebar is
 * hidden and Back / the page's forward button (Done, Submit) walk the wizard
 * pages in order; the forward button is sensitive only while the page is
 * complete, and it runs the page's apply step. After the wizard the sidebar
 * shows every page and the forward button applies the page in place.
 */

#include <glib/gi18n.h>

#include "ps-a11y.h"
#include "ps-pages.h"
#include "ps-window.h"
#include "widgets/ps-profile-file-bar.h"

struct _PsWindow
{
  GtkApplicationWindow  parent_instance;

  GtkActionBar         *action_bar;
  GtkButton            *back_button;
  GtkButton            *cancel_button;
  GtkButton            *forward_button;
  GtkHeaderBar         *header_bar;
  GtkInfoBar           *notice_bar;
  GtkWidget            *file_bar;     /* hand edits of the profile file */
  GtkLabel             *notice_label;
  GtkLabel             *missing_label;
  GtkStackSidebar      *sidebar;
  GtkSeparator         *sidebar_separator;
  GtkSpinner           *spinner;
  GtkStack             *stack;
  GtkLabel             *step_label;

  PsProfile            *profile;
  gboolean              wizard;
  GSettings            *settings;
};

G_DEFINE_FINAL_TYPE (PsWindow, ps_window, GTK_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_PROFILE,
  PROP_WIZARD,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_WIZARD_FINISHED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* ---------------------------------------------------------------- helpers */

/* Each page sits in a scrolled window of its own in the stack, so that a
 * page taller or wider than the window scrolls instead of growing it. */
static PsWizardPage *
page_of_stack_child (GtkWidget *child)
{
  GtkWidget *inner;

  if (child == NULL)
    return NULL;
  inner = gtk_bin_get_child (GTK_BIN (child));
  if (GTK_IS_VIEWPORT (inner))
    inner = gtk_bin_get_child (GTK_BIN (inner));
  return PS_WIZARD_PAGE (inner);
}

/* The first box under @widget with the style class "ps-columns": columns
 * that stand side by side only where they fit. */
static GtkWidget *
find_columns (GtkWidget *widget)
{
  g_autoptr(GList) children = NULL;

  if (GTK_IS_BOX (widget)
      && gtk_style_context_has_class (gtk_widget_get_style_context (widget), "ps-columns"))
    return widget;
  if (!GTK_IS_CONTAINER (widget))
    return NULL;
  children = gtk_container_get_children (GTK_CONTAINER (widget));
  for (GList *l = children; l != NULL; l = l->next)
    {
      GtkWidget *found = find_columns (l->data);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
set_columns_orientation_cb (gpointer data)
{
  GtkWidget *columns = data;
  GtkOrientation orientation = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (columns), "ps-wanted"));

  g_object_set_data (G_OBJECT (columns), "ps-idle", NULL);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (columns), orientation);
  gtk_box_set_homogeneous (GTK_BOX (columns), orientation == GTK_ORIENTATION_HORIZONTAL);
  return G_SOURCE_REMOVE;
}

static GtkWidget *
stack_child_of_page (PsWizardPage *page)
{
  return gtk_widget_get_ancestor (gtk_widget_get_parent (GTK_WIDGET (page)), GTK_TYPE_SCROLLED_WINDOW);
}

/* Index of @page among the wizard pages, or -1. */
static int
wizard_index (PsWindow     *self,
              PsWizardPage *page,
              int          *n_wizard)
{
  guint n = 0;
  const PsPageEntry *table = ps_pages_get_table (&n);
  const char *id = page != NULL ? ps_wizard_page_get_page_id (page) : NULL;
  int index = -1, count = 0;

  for (guint i = 0; i < n; i++)
    {
      if (!table[i].in_wizard)
        continue;
      if (g_strcmp0 (table[i].id, id) == 0)
        index = count;
      count++;
    }
  if (n_wizard != NULL)
    *n_wizard = count;
  return index;
}

static const char *
wizard_page_id (int index)
{
  guint n = 0;
  const PsPageEntry *table = ps_pages_get_table (&n);
  int count = 0;

  for (guint i = 0; i < n; i++)
    {
      if (!table[i].in_wizard)
        continue;
      if (count == index)
        return table[i].id;
      count++;
    }
  return NULL;
}

static void
update_buttons (PsWindow *self)
{
  PsWizardPage *page = ps_window_get_visible_page (self);
  const char *label = page != NULL ? ps_wizard_page_get_apply_label (page) : NULL;
  gboolean applying = page != NULL && ps_wizard_page_get_applying (page);
  gboolean complete = page != NULL && ps_wizard_page_get_complete (page);
  int n_wizard = 0;
  int index = wizard_index (self, page, &n_wizard);

  gtk_widget_set_visible (GTK_WIDGET (self->forward_button), label != NULL);
  if (label != NULL)
    {
      gtk_button_set_label (self->forward_button, label);
      /* Hiding a widget takes its default status away: give it back, so that
       * Enter in a field presses Done. */
      gtk_window_set_default (GTK_WINDOW (self), GTK_WIDGET (self->forward_button));
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->forward_button), complete && !applying);
  /* A greyed-out Done says what is missing: beside it, in its tooltip, and
   * to a screen reader as the button's description. */
  {
    const char *missing = page != NULL && !complete && !applying && label != NULL
                          ? ps_wizard_page_get_incomplete_reason (page) : NULL;

    gtk_widget_set_tooltip_text (GTK_WIDGET (self->forward_button), missing);
    gtk_label_set_text (self->missing_label, missing != NULL ? missing : "");
    gtk_widget_set_visible (GTK_WIDGET (self->missing_label), missing != NULL);
    atk_object_set_description (gtk_widget_get_accessible (GTK_WIDGET (self->forward_button)),
                                missing != NULL ? missing : "");
  }
  gtk_widget_set_visible (GTK_WIDGET (self->back_button), self->wizard && index > 0 && !applying);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), applying);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), applying);
  gtk_widget_set_visible (GTK_WIDGET (self->action_bar), label != NULL || self->wizard);

  if (self->wizard && index >= 0)
    {
      /* Translators: the wizard's progress, "Step 2 of 4" */
      g_autofree char *step = g_strdup_printf (_("Step %d of %d"), index + 1, n_wizard);
      gtk_label_set_text (self->step_label, step);
    }
  else
    {
      gtk_label_set_text (self->step_label, "");
    }
}

static void
update_mode (PsWindow *self)
{
  g_autofree char *subtitle = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->sidebar), !self->wizard);
  gtk_widget_set_visible (GTK_WIDGET (self->sidebar_separator), !self->wizard);
  if (self->wizard)
    subtitle = g_strdup (_("Setup"));
  else if (self->profile != NULL)
    /* Translators: the header bar subtitle, with the profile's name */
    subtitle = g_strdup_printf (_("Profile “%s”"), ps_profile_get_name (self->profile));
  gtk_header_bar_set_subtitle (self->header_bar, subtitle);
  update_buttons (self);
}

static void
finish_wizard (PsWindow *self)
{
  guint n = 0;
  const PsPageEntry *table = ps_pages_get_table (&n);

  /* Each page saved what it applied; this is their chance to save the rest. */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      PsWizardPage *page = ps_window_get_page (self, table[i].id);

      if (table[i].in_wizard && !ps_wizard_page_save (page, &error))
        g_warning ("The %s page could not save: %s", table[i].id, error->message);
    }

  self->wizard = FALSE;
  update_mode (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WIZARD]);
  ps_window_show_page (self, "sync");
  g_signal_emit (self, signals[SIGNAL_WIZARD_FINISHED], 0);
}

/* ---------------------------------------------------------------- callbacks */

static void
on_page_notify_cb (PsWindow   *self,
                   GParamSpec *pspec,
                   GObject    *page)
{
  if (PS_WIZARD_PAGE (page) == ps_window_get_visible_page (self))
    update_buttons (self);
}

static void
on_page_title_changed_cb (PsWindow   *self,
                          GParamSpec *pspec,
                          GObject    *page)
{
  gtk_container_child_set (GTK_CONTAINER (self->stack), stack_child_of_page (PS_WIZARD_PAGE (page)),
                           "title", ps_wizard_page_get_title (PS_WIZARD_PAGE (page)), NULL);
}

static void
on_stack_visible_child_changed_cb (PsWindow *self)
{
  PsWizardPage *page = ps_window_get_visible_page (self);

  if (page == NULL)
    return;
  /* Walking the wizard, the keyboard focus follows to the new page; in the
   * sidebar it stays where the user put it. */
  if (self->wizard)
    gtk_widget_child_focus (GTK_WIDGET (page), GTK_DIR_TAB_FORWARD);
  ps_wizard_page_shown (page);
  update_buttons (self);
}

static void
on_page_applied_cb (PsWizardPage *page,
                    gboolean      valid,
                    gpointer      user_data)
{
  PsWindow *self = PS_WINDOW (user_data);
  int n_wizard = 0;
  int index;

  update_buttons (self);
  if (!valid || !self->wizard)
    return;
  index = wizard_index (self, page, &n_wizard);
  if (index < 0 || index + 1 >= n_wizard)
    finish_wizard (self);
  else
    ps_window_show_page (self, wizard_page_id (index + 1));
}

static void
on_forward_button_clicked_cb (PsWindow *self)
{
  PsWizardPage *page = ps_window_get_visible_page (self);

  if (page == NULL || !ps_wizard_page_get_complete (page) || ps_wizard_page_get_applying (page))
    return;
  ps_wizard_page_apply_begin (page, on_page_applied_cb, self);
}

static void
on_back_button_clicked_cb (PsWindow *self)
{
  int index = wizard_index (self, ps_window_get_visible_page (self), NULL);

  if (index > 0)
    ps_window_show_page (self, wizard_page_id (index - 1));
}

static void
on_cancel_button_clicked_cb (PsWindow *self)
{
  PsWizardPage *page = ps_window_get_visible_page (self);

  if (page != NULL)
    ps_wizard_page_apply_cancel (page);
}

/* A page's columns stand one above the other when the page would otherwise
 * need more width than its scrolled window has. The width they need side by
 * side is measured while they are, so the choice does not flip back and forth. */
static void
on_page_scroller_size_allocate_cb (GtkWidget     *scroller,
                                   GtkAllocation *allocation,
                                   GtkWidget     *columns)
{
  GtkWidget *page = gtk_bin_get_child (GTK_BIN (gtk_bin_get_child (GTK_BIN (scroller))));
  GtkOrientation now = gtk_orientable_get_orientation (GTK_ORIENTABLE (columns));
  GtkOrientation wanted;
  int wide = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (columns), "ps-wide-width"));

  if (now == GTK_ORIENTATION_HORIZONTAL)
    {
      gtk_widget_get_preferred_width (page, &wide, NULL);
      g_object_set_data (G_OBJECT (columns), "ps-wide-width", GINT_TO_POINTER (wide));
    }
  wanted = allocation->width < wide ? GTK_ORIENTATION_VERTICAL : GTK_ORIENTATION_HORIZONTAL;
  g_object_set_data (G_OBJECT (columns), "ps-wanted", GINT_TO_POINTER (wanted));
  /* Not in the middle of a size allocation: on the next idle. */
  if (wanted != now && g_object_get_data (G_OBJECT (columns), "ps-idle") == NULL)
    {
      g_object_set_data (G_OBJECT (columns), "ps-idle", GINT_TO_POINTER (1));
      g_idle_add_full (G_PRIORITY_HIGH_IDLE, set_columns_orientation_cb, g_object_ref (columns),
                       g_object_unref);
    }
}

/* In the sidebar the arrow keys choose a page and Tab goes into it (a list
 * box would otherwise walk its rows with Tab too); Shift+Tab leaves for the
 * header bar. */
static gboolean
on_sidebar_key_press_event_cb (PsWindow    *self,
                               GdkEventKey *event)
{
  GdkModifierType mods = event->state & gtk_accelerator_get_default_mod_mask ();
  PsWizardPage *page = ps_window_get_visible_page (self);

  if ((event->keyval == GDK_KEY_Tab || event->keyval == GDK_KEY_KP_Tab) && mods == 0)
    {
      if (page != NULL && gtk_widget_child_focus (GTK_WIDGET (page), GTK_DIR_TAB_FORWARD))
        return GDK_EVENT_STOP;
      if (gtk_widget_is_visible (GTK_WIDGET (self->forward_button))
          && gtk_widget_is_sensitive (GTK_WIDGET (self->forward_button)))
        {
          gtk_widget_grab_focus (GTK_WIDGET (self->forward_button));
          return GDK_EVENT_STOP;
        }
      return GDK_EVENT_PROPAGATE;
    }
  if (event->keyval == GDK_KEY_ISO_Left_Tab
      || ((event->keyval == GDK_KEY_Tab || event->keyval == GDK_KEY_KP_Tab) && mods == GDK_SHIFT_MASK))
    {
      if (gtk_widget_child_focus (GTK_WIDGET (self->header_bar), GTK_DIR_TAB_BACKWARD))
        return GDK_EVENT_STOP;
    }
  return GDK_EVENT_PROPAGATE;
}

static void
on_notice_bar_response_cb (PsWindow *self,
                           int       response)
{
  if (response == GTK_RESPONSE_CLOSE)
    ps_window_set_notice (self, NULL);
}

/* ---------------------------------------------------------------- overrides */

static void
ps_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  PsWindow *self = PS_WINDOW (object);

  switch (prop_id)
    {
    case PROP_PROFILE:
      g_value_set_object (value, self->profile);
      break;
    case PROP_WIZARD:
      g_value_set_boolean (value, self->wizard);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ps_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  PsWindow *self = PS_WINDOW (object);

  switch (prop_id)
    {
    case PROP_PROFILE:
      self->profile = g_value_dup_object (value);
      break;
    case PROP_WIZARD:
      self->wizard = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* A page with edits not yet in the profile (a form before Done). */
static gboolean
any_page_unsaved (gpointer user_data)
{
  PsWindow *self = user_data;
  g_autoptr(GList) pages = gtk_container_get_children (GTK_CONTAINER (self->stack));

  for (GList *l = pages; l != NULL; l = l->next)
    {
      PsWizardPage *page = page_of_stack_child (l->data);

      if (page != NULL && ps_wizard_page_has_unsaved_changes (page))
        return TRUE;
    }
  return FALSE;
}

static void
ps_window_constructed (GObject *object)
{
  PsWindow *self = PS_WINDOW (object);
  guint n = 0;
  const PsPageEntry *table = ps_pages_get_table (&n);

  G_OBJECT_CLASS (ps_window_parent_class)->constructed (object);

  if (self->profile == NULL)
    self->profile = ps_profile_new ("default");
  /* Above the pages, below the window's own notice. */
  self->file_bar = ps_profile_file_bar_new (self->profile);
  ps_profile_file_bar_set_unsaved_func (PS_PROFILE_FILE_BAR (self->file_bar), any_page_unsaved, self);
  gtk_box_pack_start (GTK_BOX (gtk_widget_get_parent (GTK_WIDGET (self->notice_bar))), self->file_bar,
                      FALSE, FALSE, 0);
  gtk_box_reorder_child (GTK_BOX (gtk_widget_get_parent (GTK_WIDGET (self->notice_bar))), self->file_bar, 1);

  for (guint i = 0; i < n; i++)
    {
      PsWizardPage *page = table[i].new_func (self->profile);
      GtkWidget *scroller = gtk_scrolled_window_new (NULL, NULL);
      GtkWidget *columns;

      gtk_widget_show (GTK_WIDGET (page));
      ps_a11y_relate_file_choosers (GTK_WIDGET (page));
      gtk_scrolled_window_set_propagate_natural_width (GTK_SCROLLED_WINDOW (scroller), TRUE);
      gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
      /* Real scroll bars: they show that there is more than fits. */
      gtk_scrolled_window_set_overlay_scrolling (GTK_SCROLLED_WINDOW (scroller), FALSE);
      gtk_container_add (GTK_CONTAINER (scroller), GTK_WIDGET (page));
      gtk_viewport_set_shadow_type (GTK_VIEWPORT (gtk_bin_get_child (GTK_BIN (scroller))), GTK_SHADOW_NONE);
      /* Tabbing to a field out of sight scrolls it into view. */
      gtk_container_set_focus_vadjustment (GTK_CONTAINER (page),
                                           gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller)));
      gtk_container_set_focus_hadjustment (GTK_CONTAINER (page),
                                           gtk_scrolled_window_get_hadjustment (GTK_SCROLLED_WINDOW (scroller)));
      if ((columns = find_columns (GTK_WIDGET (page))) != NULL)
        g_signal_connect_object (scroller, "size-allocate", G_CALLBACK (on_page_scroller_size_allocate_cb),
                                 columns, 0);
      gtk_widget_show (scroller);
      gtk_stack_add_titled (self->stack, scroller, table[i].id,
                            ps_wizard_page_get_title (page));
      g_signal_connect_object (page, "notify::complete", G_CALLBACK (on_page_notify_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (page, "notify::applying", G_CALLBACK (on_page_notify_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (page, "notify::incomplete-reason", G_CALLBACK (on_page_notify_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (page, "notify::apply-label", G_CALLBACK (on_page_notify_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (page, "notify::title", G_CALLBACK (on_page_title_changed_cb), self,
                               G_CONNECT_SWAPPED);
    }
  gtk_stack_set_visible_child_name (self->stack, table[0].id);
  update_mode (self);
  on_stack_visible_child_changed_cb (self);
}

static void
ps_window_dispose (GObject *object)
{
  PsWindow *self = PS_WINDOW (object);

  if (self->settings != NULL)
    {
      int width = 0, height = 0;

      gtk_window_get_size (GTK_WINDOW (self), &width, &height);
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
      g_settings_set_boolean (self->settings, "window-maximized",
                              gtk_window_is_maximized (GTK_WINDOW (self)));
    }
  g_clear_object (&self->settings);
  g_clear_object (&self->profile);
  G_OBJECT_CLASS (ps_window_parent_class)->dispose (object);
}

static void
ps_window_class_init (PsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = ps_window_get_property;
  object_class->set_property = ps_window_set_property;
  object_class->constructed = ps_window_constructed;
  object_class->dispose = ps_window_dispose;

  properties[PROP_PROFILE] =
    g_param_spec_object ("profile", "Profile", "The profile the pages edit",
                         PS_TYPE_PROFILE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_WIZARD] =
    g_param_spec_boolean ("wizard", "Wizard", "The first-run wizard is showing",
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The last wizard page was applied: the profile is set up. */
  signals[SIGNAL_WIZARD_FINISHED] = g_signal_new ("wizard-finished", G_TYPE_FROM_CLASS (klass),
                                                  G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                  G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/ps-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PsWindow, action_bar);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, forward_button);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, missing_label);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, notice_bar);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, notice_label);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, sidebar_separator);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, step_label);
  gtk_widget_class_bind_template_callback (widget_class, on_back_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_forward_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_notice_bar_response_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_sidebar_key_press_event_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_stack_visible_child_changed_cb);
}

static void
ps_window_init (PsWindow *self)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Without the installed schema (a test build) the size is not kept. */
  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE);
  if (schema != NULL)
    {
      self->settings = g_settings_new (APPLICATION_ID);
      gtk_window_set_default_size (GTK_WINDOW (self),
                                   g_settings_get_int (self->settings, "window-width"),
                                   g_settings_get_int (self->settings, "window-height"));
      if (g_settings_get_boolean (self->settings, "window-maximized"))
        gtk_window_maximize (GTK_WINDOW (self));
    }
}

/* ---------------------------------------------------------------- public API */

PsWindow *
ps_window_new (GtkApplication *application,
               PsProfile      *profile,
               gboolean        wizard)
{
  return g_object_new (PS_TYPE_WINDOW,
                       "application", application,
                       "profile", profile,
                       "wizard", wizard,
                       NULL);
}

PsProfile *
ps_window_get_profile (PsWindow *self)
{
  g_return_val_if_fail (PS_IS_WINDOW (self), NULL);
  return self->profile;
}

gboolean
ps_window_get_wizard (PsWindow *self)
{
  g_return_val_if_fail (PS_IS_WINDOW (self), FALSE);
  return self->wizard;
}

/* Shows the page @page_id; in wizard mode only wizard pages can be shown. */
gboolean
ps_window_show_page (PsWindow   *self,
                     const char *page_id)
{
  const PsPageEntry *entry;

  g_return_val_if_fail (PS_IS_WINDOW (self), FALSE);

  entry = ps_pages_lookup (page_id);
  if (entry == NULL || (self->wizard && !entry->in_wizard))
    return FALSE;
  gtk_stack_set_visible_child_name (self->stack, entry->id);
  return TRUE;
}

PsWizardPage *
ps_window_get_page (PsWindow   *self,
                    const char *page_id)
{
  const PsPageEntry *entry;
  GtkWidget *child;

  g_return_val_if_fail (PS_IS_WINDOW (self), NULL);
  entry = ps_pages_lookup (page_id);
  child = entry != NULL ? gtk_stack_get_child_by_name (self->stack, entry->id) : NULL;
  return page_of_stack_child (child);
}

PsWizardPage *
ps_window_get_visible_page (PsWindow *self)
{
  GtkWidget *child;

  g_return_val_if_fail (PS_IS_WINDOW (self), NULL);
  child = gtk_stack_get_visible_child (self->stack);
  return page_of_stack_child (child);
}

GtkButton *
ps_window_get_forward_button (PsWindow *self)
{
  g_return_val_if_fail (PS_IS_WINDOW (self), NULL);
  return self->forward_button;
}

GtkButton *
ps_window_get_back_button (PsWindow *self)
{
  g_return_val_if_fail (PS_IS_WINDOW (self), NULL);
  return self->back_button;
}

/* Shows @message in the info bar above the pages; NULL hides it. */
void
ps_window_set_notice (PsWindow   *self,
                      const char *message)
{
  g_return_if_fail (PS_IS_WINDOW (self));

  gtk_label_set_text (self->notice_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->notice_bar), message != NULL);
}

/* The bar that tells of hand edits of the profile file (ps-profile-file-bar.h). */
GtkWidget *
ps_window_get_file_bar (PsWindow *self)
{
  g_return_val_if_fail (PS_IS_WINDOW (self), NULL);
  return self->file_bar;
}

const char *
ps_window_get_notice (PsWindow *self)
{
  g_return_val_if_fail (PS_IS_WINDOW (self), NULL);
  if (!gtk_widget_get_visible (GTK_WIDGET (self->notice_bar)))
    return NULL;
  return gtk_label_get_text (self->notice_label);
}
