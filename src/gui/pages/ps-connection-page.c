/* ps-connection-page.c — the Asset Panda connection and the identity source
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Asset Panda on the left; on the right the identity source, Active
 * Directory, Microsoft Entra ID or Okta (a stack with a switcher), each
 * with its own fields. Done tests both connections in a worker, lists every step with
 * its result and puts the error of a failed step under the field at fault.
 * On success the profile is saved with the chosen source and the secrets go
 * to the keyring. Editing a field clears the result it made stale.
 */

#include <string.h>
#include <glib/gi18n.h>

#include "ps-connection-page.h"

/* The stack pages of the identity sources. */
#define SOURCE_PAGE_AD    "active-directory"
#define SOURCE_PAGE_ENTRA "entra-id"
#define SOURCE_PAGE_OKTA  "okta"

struct _PsConnectionPage
{
  PsWizardPage          parent_instance;

  GtkEntry             *base_dn_entry;
  GtkLabel             *base_dn_error_label;
  GtkEntry             *bind_password_entry;
  GtkLabel             *bind_password_error_label;
  GtkFileChooserButton *ca_file_button;
  GtkButton            *ca_file_clear_button;
  GtkLabel             *ca_file_error_label;
  GtkEntry             *client_id_entry;
  GtkLabel             *client_id_error_label;
  GtkEntry             *client_secret_entry;
  GtkLabel             *client_secret_error_label;
  GtkComboBoxText      *dialect_combo;
  GtkEntry             *email_entry;
  GtkLabel             *email_error_label;
  GtkFileChooserButton *entra_ca_file_button;
  GtkButton            *entra_ca_file_clear_button;
  GtkLabel             *entra_ca_file_error_label;
  GtkEntry             *entra_client_id_entry;
  GtkLabel             *entra_client_id_error_label;
  GtkExpander          *entra_expander;
  GtkEntry             *entra_graph_url_entry;
  GtkLabel             *entra_graph_url_error_label;
  GtkEntry             *entra_login_url_entry;
  GtkLabel             *entra_login_url_error_label;
  GtkEntry             *entra_secret_entry;
  GtkLabel             *entra_secret_error_label;
  GtkEntry             *entra_tenant_entry;
  GtkLabel             *entra_tenant_error_label;
  GtkFileChooserButton *okta_ca_file_button;
  GtkButton            *okta_ca_file_clear_button;
  GtkLabel             *okta_ca_file_error_label;
  GtkExpander          *okta_expander;
  GtkSpinButton        *okta_page_size_spin;
  GtkSpinButton        *okta_timeout_spin;
  GtkEntry             *okta_token_entry;
  GtkLabel             *okta_token_error_label;
  GtkEntry             *okta_url_entry;
  GtkLabel             *okta_url_error_label;
  GtkEntry             *password_entry;
  GtkLabel             *password_error_label;
  GtkLabel             *plaintext_warning_label;
  GtkLabel             *result_label;
  GtkStack             *source_stack;
  GtkBox               *steps_box;
  GtkListBox           *steps_list;
  GtkComboBoxText      *tls_combo;
  GtkCheckButton       *untrusted_check;
  GtkLabel             *untrusted_warning_label;
  GtkEntry             *uris_entry;
  GtkLabel             *uris_error_label;
  GtkEntry             *url_entry;
  GtkLabel             *url_error_label;
  GtkEntry             *user_entry;
  GtkLabel             *user_error_label;

  GCancellable         *apply_cancellable;    /* the running Done, owned by the base class */
  GCancellable         *secrets_cancellable;  /* loading the stored secrets */
  PsProfile            *candidate;            /* the form as a profile, while testing */
  GPtrArray            *results;              /* of PsGuiStepResult*, the steps shown */
};

G_DEFINE_FINAL_TYPE (PsConnectionPage, ps_connection_page, PS_TYPE_WIZARD_PAGE)

/* ---------------------------------------------------------------- helpers */

static const char *
entry_text (GtkEntry *entry)
{
  return gtk_entry_get_text (entry);
}

static char *
entry_dup (GtkEntry *entry)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_entry_get_text (entry)));

  return *text != '\0' ? g_steal_pointer (&text) : NULL;
}

static gboolean
entry_filled (GtkEntry *entry)
{
  g_autofree char *text = entry_dup (entry);

  return text != NULL;
}

static GtkLabel *
error_label_for_field (PsConnectionPage *self,
                       PsGuiField        field)
{
  switch (field)
    {
    case PS_GUI_FIELD_API_URL:
      return self->url_error_label;
    case PS_GUI_FIELD_API_CLIENT_ID:
      return self->client_id_error_label;
    case PS_GUI_FIELD_API_CLIENT_SECRET:
      return self->client_secret_error_label;
    case PS_GUI_FIELD_API_EMAIL:
      return self->email_error_label;
    case PS_GUI_FIELD_API_PASSWORD:
      return self->password_error_label;
    case PS_GUI_FIELD_AD_URIS:
      return self->uris_error_label;
    case PS_GUI_FIELD_AD_CA_FILE:
      return self->ca_file_error_label;
    case PS_GUI_FIELD_AD_USER:
      return self->user_error_label;
    case PS_GUI_FIELD_AD_PASSWORD:
      return self->bind_password_error_label;
    case PS_GUI_FIELD_AD_BASE_DN:
      return self->base_dn_error_label;
    case PS_GUI_FIELD_ENTRA_TENANT:
      return self->entra_tenant_error_label;
    case PS_GUI_FIELD_ENTRA_CLIENT_ID:
      return self->entra_client_id_error_label;
    case PS_GUI_FIELD_ENTRA_CLIENT_SECRET:
      return self->entra_secret_error_label;
    case PS_GUI_FIELD_ENTRA_LOGIN_URL:
      return self->entra_login_url_error_label;
    case PS_GUI_FIELD_ENTRA_GRAPH_URL:
      return self->entra_graph_url_error_label;
    case PS_GUI_FIELD_ENTRA_CA_FILE:
      return self->entra_ca_file_error_label;
    case PS_GUI_FIELD_OKTA_URL:
      return self->okta_url_error_label;
    case PS_GUI_FIELD_OKTA_TOKEN:
      return self->okta_token_error_label;
    case PS_GUI_FIELD_OKTA_CA_FILE:
      return self->okta_ca_file_error_label;
    case PS_GUI_FIELD_NONE:
    case PS_GUI_N_FIELDS:
    default:
      return NULL;
    }
}

static GtkWidget *
widget_for_field (PsConnectionPage *self,
                  PsGuiField        field)
{
  switch (field)
    {
    case PS_GUI_FIELD_API_URL:
      return GTK_WIDGET (self->url_entry);
    case PS_GUI_FIELD_API_CLIENT_ID:
      return GTK_WIDGET (self->client_id_entry);
    case PS_GUI_FIELD_API_CLIENT_SECRET:
      return GTK_WIDGET (self->client_secret_entry);
    case PS_GUI_FIELD_API_EMAIL:
      return GTK_WIDGET (self->email_entry);
    case PS_GUI_FIELD_API_PASSWORD:
      return GTK_WIDGET (self->password_entry);
    case PS_GUI_FIELD_AD_URIS:
      return GTK_WIDGET (self->uris_entry);
    case PS_GUI_FIELD_AD_CA_FILE:
      return GTK_WIDGET (self->ca_file_button);
    case PS_GUI_FIELD_AD_USER:
      return GTK_WIDGET (self->user_entry);
    case PS_GUI_FIELD_AD_PASSWORD:
      return GTK_WIDGET (self->bind_password_entry);
    case PS_GUI_FIELD_AD_BASE_DN:
      return GTK_WIDGET (self->base_dn_entry);
    case PS_GUI_FIELD_ENTRA_TENANT:
      return GTK_WIDGET (self->entra_tenant_entry);
    case PS_GUI_FIELD_ENTRA_CLIENT_ID:
      return GTK_WIDGET (self->entra_client_id_entry);
    case PS_GUI_FIELD_ENTRA_CLIENT_SECRET:
      return GTK_WIDGET (self->entra_secret_entry);
    case PS_GUI_FIELD_ENTRA_LOGIN_URL:
      return GTK_WIDGET (self->entra_login_url_entry);
    case PS_GUI_FIELD_ENTRA_GRAPH_URL:
      return GTK_WIDGET (self->entra_graph_url_entry);
    case PS_GUI_FIELD_ENTRA_CA_FILE:
      return GTK_WIDGET (self->entra_ca_file_button);
    case PS_GUI_FIELD_OKTA_URL:
      return GTK_WIDGET (self->okta_url_entry);
    case PS_GUI_FIELD_OKTA_TOKEN:
      return GTK_WIDGET (self->okta_token_entry);
    case PS_GUI_FIELD_OKTA_CA_FILE:
      return GTK_WIDGET (self->okta_ca_file_button);
    case PS_GUI_FIELD_NONE:
    case PS_GUI_N_FIELDS:
    default:
      return NULL;
    }
}

/* The field whose entry (or file button) @widget is, or PS_GUI_FIELD_NONE. */
static PsGuiField
field_for_widget (PsConnectionPage *self,
                  GtkWidget        *widget)
{
  for (PsGuiField field = PS_GUI_FIELD_API_URL; field < PS_GUI_N_FIELDS; field++)
    if (widget_for_field (self, field) == widget)
      return field;
  return PS_GUI_FIELD_NONE;
}

/* The expander a field is under (of the Entra ID or the Okta form), or NULL. */
static GtkExpander *
expander_for_field (PsConnectionPage *self,
                    PsGuiField        field)
{
  if (field == PS_GUI_FIELD_ENTRA_LOGIN_URL || field == PS_GUI_FIELD_ENTRA_GRAPH_URL
      || field == PS_GUI_FIELD_ENTRA_CA_FILE)
    return self->entra_expander;
  if (field == PS_GUI_FIELD_OKTA_CA_FILE)
    return self->okta_expander;
  return NULL;
}

static void
clear_field_error (PsConnectionPage *self,
                   PsGuiField        field)
{
  GtkLabel *label = error_label_for_field (self, field);

  if (label == NULL)
    return;
  gtk_label_set_text (label, "");
  gtk_widget_set_visible (GTK_WIDGET (label), FALSE);
  gtk_style_context_remove_class (gtk_widget_get_style_context (widget_for_field (self, field)), "error");
}

static void
show_field_error (PsConnectionPage *self,
                  PsGuiField        field,
                  const char       *message)
{
  GtkLabel *label = error_label_for_field (self, field);
  GtkWidget *widget = widget_for_field (self, field);
  g_autofree char *joined = NULL;

  if (label == NULL)
    return;
  /* An error under a field the expander hides must be seen. */
  if (expander_for_field (self, field) != NULL)
    gtk_expander_set_expanded (expander_for_field (self, field), TRUE);
  /* Two steps may blame the same field: keep both messages. */
  if (gtk_widget_get_visible (GTK_WIDGET (label)) && *gtk_label_get_text (label) != '\0')
    joined = g_strdup_printf ("%s\n%s", gtk_label_get_text (label), message);
  gtk_label_set_text (label, joined != NULL ? joined : message);
  gtk_widget_set_visible (GTK_WIDGET (label), TRUE);
  gtk_style_context_add_class (gtk_widget_get_style_context (widget), "error");
}

static void
clear_field_errors (PsConnectionPage *self)
{
  for (PsGuiField field = PS_GUI_FIELD_API_URL; field < PS_GUI_N_FIELDS; field++)
    clear_field_error (self, field);
}

static void
clear_steps (PsConnectionPage *self)
{
  g_autoptr(GList) rows = gtk_container_get_children (GTK_CONTAINER (self->steps_list));

  for (GList *l = rows; l != NULL; l = l->next)
    gtk_widget_destroy (l->data);
  g_clear_pointer (&self->results, g_ptr_array_unref);
  gtk_widget_set_visible (GTK_WIDGET (self->steps_box), FALSE);
}

static const char *
icon_for_status (PsStepStatus status)
{
  switch (status)
    {
    case PS_STEP_OK:
      return "emblem-ok-symbolic";
    case PS_STEP_FAILED:
      return "dialog-error-symbolic";
    case PS_STEP_WARNING:
      return "dialog-warning-symbolic";
    case PS_STEP_SKIPPED:
    default:
      return "action-unavailable-symbolic";
    }
}

static const char *
describe_status (PsStepStatus status)
{
  switch (status)
    {
    case PS_STEP_OK:
      return _("Passed");
    case PS_STEP_FAILED:
      return _("Failed");
    case PS_STEP_WARNING:
      return _("Passed with a warning");
    case PS_STEP_SKIPPED:
    default:
      return _("Skipped");
    }
}

static const char *
describe_source (PsSourceKind kind)
{
  switch (kind)
    {
    case PS_SOURCE_KIND_ENTRA_ID:
      return _("Microsoft Entra ID");
    case PS_SOURCE_KIND_OKTA:
      return _("Okta");
    case PS_SOURCE_KIND_ACTIVE_DIRECTORY:
    default:
      return _("Active Directory");
    }
}

static void
add_step_row (PsConnectionPage      *self,
              const PsGuiStepResult *result,
              PsSourceKind           source_kind)
{
  const PsConnectionStep *step = result->step;
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *icon = gtk_image_new_from_icon_name (icon_for_status (step->status), GTK_ICON_SIZE_BUTTON);
  g_autofree char *title = g_strdup_printf ("%s: %s",
                                            result->directory ? describe_source (source_kind)
                                                              : _("Asset Panda"),
                                            step->title);
  GtkWidget *title_label = gtk_label_new (title);
  GtkWidget *status_label = gtk_label_new (describe_status (step->status));

  gtk_widget_set_tooltip_text (icon, describe_status (step->status));
  gtk_widget_set_valign (icon, GTK_ALIGN_START);
  gtk_label_set_xalign (GTK_LABEL (title_label), 0);
  gtk_label_set_line_wrap (GTK_LABEL (title_label), TRUE);
  gtk_container_add (GTK_CONTAINER (text), title_label);
  if (step->message != NULL && *step->message != '\0')
    {
      GtkWidget *message = gtk_label_new (step->message);

      gtk_label_set_xalign (GTK_LABEL (message), 0);
      gtk_label_set_line_wrap (GTK_LABEL (message), TRUE);
      gtk_label_set_selectable (GTK_LABEL (message), TRUE);
      gtk_style_context_add_class (gtk_widget_get_style_context (message), "dim-label");
      gtk_container_add (GTK_CONTAINER (text), message);
    }
  gtk_widget_set_hexpand (text, TRUE);
  gtk_style_context_add_class (gtk_widget_get_style_context (status_label), "dim-label");
  gtk_widget_set_valign (status_label, GTK_ALIGN_START);
  gtk_container_add (GTK_CONTAINER (box), icon);
  gtk_container_add (GTK_CONTAINER (box), text);
  gtk_container_add (GTK_CONTAINER (box), status_label);
  g_object_set (box, "margin", 8, NULL);
  gtk_widget_show_all (box);
  gtk_list_box_insert (self->steps_list, box, -1);
  gtk_widget_set_visible (GTK_WIDGET (self->steps_box), TRUE);
}

/* The one-line outcome above the steps; NULL hides it. */
static void
show_result (PsConnectionPage *self,
             const char       *text,
             gboolean          ok)
{
  GtkStyleContext *style = gtk_widget_get_style_context (GTK_WIDGET (self->result_label));

  gtk_label_set_text (self->result_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->result_label), text != NULL);
  if (ok)
    gtk_style_context_remove_class (style, "ps-field-error");
  else
    gtk_style_context_add_class (style, "ps-field-error");
}

static PsSourceKind
active_source (PsConnectionPage *self)
{
  const char *name = gtk_stack_get_visible_child_name (self->source_stack);

  if (g_strcmp0 (name, SOURCE_PAGE_ENTRA) == 0)
    return PS_SOURCE_KIND_ENTRA_ID;
  if (g_strcmp0 (name, SOURCE_PAGE_OKTA) == 0)
    return PS_SOURCE_KIND_OKTA;
  return PS_SOURCE_KIND_ACTIVE_DIRECTORY;
}

static const char *
source_page_name (PsSourceKind kind)
{
  switch (kind)
    {
    case PS_SOURCE_KIND_ENTRA_ID:
      return SOURCE_PAGE_ENTRA;
    case PS_SOURCE_KIND_OKTA:
      return SOURCE_PAGE_OKTA;
    case PS_SOURCE_KIND_ACTIVE_DIRECTORY:
    default:
      return SOURCE_PAGE_AD;
    }
}

static PsDialect
active_dialect (PsConnectionPage *self)
{
  const char *id = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->dialect_combo));

  if (g_strcmp0 (id, "classic") == 0)
    return PS_DIALECT_CLASSIC;
  if (g_strcmp0 (id, "pro") == 0)
    return PS_DIALECT_PRO;
  return PS_DIALECT_AUTO;
}

static PsTlsMode
active_tls_mode (PsConnectionPage *self)
{
  const char *id = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->tls_combo));

  if (g_strcmp0 (id, "starttls") == 0)
    return PS_TLS_MODE_STARTTLS;
  if (g_strcmp0 (id, "none") == 0)
    return PS_TLS_MODE_NONE;
  return PS_TLS_MODE_LDAPS;
}

/* Copies the form into @profile's connection settings (never a secret):
 * both sources' fields, and which of them the profile reads. */
static void
form_to_profile (PsConnectionPage *self,
                 PsProfile        *profile)
{
  PsTargetConfig *target = ps_profile_get_target (profile);
  PsDirectoryConfig *directory = ps_profile_get_directory (profile);
  PsEntraIdConfig *entra = ps_profile_get_entra_id (profile);
  PsOktaConfig *okta = ps_profile_get_okta (profile);
  g_autofree char *uris = entry_dup (self->uris_entry);

  g_free (target->url);
  target->url = entry_dup (self->url_entry);
  target->dialect = active_dialect (self);
  g_free (target->client_id);
  target->client_id = entry_dup (self->client_id_entry);
  g_free (target->email);
  target->email = entry_dup (self->email_entry);

  g_strfreev (directory->uris);
  directory->uris = uris != NULL ? g_regex_split_simple ("[\\s,;]+", uris, 0, 0) : g_new0 (char *, 1);
  directory->tls_mode = active_tls_mode (self);
  directory->allow_plaintext_bind = directory->tls_mode == PS_TLS_MODE_NONE;
  g_free (directory->ca_file);
  directory->ca_file = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (self->ca_file_button));
  directory->allow_untrusted = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->untrusted_check));
  g_free (directory->bind_dn);
  directory->bind_dn = entry_dup (self->user_entry);
  g_free (directory->base_dn);
  directory->base_dn = entry_dup (self->base_dn_entry);

  g_free (entra->tenant);
  entra->tenant = entry_dup (self->entra_tenant_entry);
  g_free (entra->client_id);
  entra->client_id = entry_dup (self->entra_client_id_entry);
  g_free (entra->login_url);
  entra->login_url = entry_dup (self->entra_login_url_entry);
  g_free (entra->graph_url);
  entra->graph_url = entry_dup (self->entra_graph_url_entry);
  g_free (entra->ca_file);
  entra->ca_file = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (self->entra_ca_file_button));

  g_free (okta->url);
  okta->url = entry_dup (self->okta_url_entry);
  g_free (okta->ca_file);
  okta->ca_file = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (self->okta_ca_file_button));
  okta->page_size = (guint) gtk_spin_button_get_value_as_int (self->okta_page_size_spin);
  okta->timeout = (guint) gtk_spin_button_get_value_as_int (self->okta_timeout_spin);

  ps_profile_set_source_kind (profile, active_source (self));
}

/* Shows @path in a CA file button, or none. */
static void
set_ca_file (GtkFileChooserButton *button,
             const char           *path)
{
  if (path != NULL)
    gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (button), path);
  else
    gtk_file_chooser_unselect_all (GTK_FILE_CHOOSER (button));
}

static gboolean
ca_file_set (GtkFileChooserButton *button)
{
  g_autofree char *path = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (button));

  return path != NULL;
}

static void
profile_to_form (PsConnectionPage *self,
                 PsProfile        *profile)
{
  PsTargetConfig *target = ps_profile_get_target (profile);
  PsDirectoryConfig *directory = ps_profile_get_directory (profile);
  PsEntraIdConfig *entra = ps_profile_get_entra_id (profile);
  PsOktaConfig *okta = ps_profile_get_okta (profile);
  g_autofree char *uris = directory->uris != NULL ? g_strjoinv (" ", directory->uris) : NULL;

  gtk_entry_set_text (self->url_entry, target->url != NULL ? target->url : "");
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->dialect_combo), ps_dialect_to_string (target->dialect));
  gtk_entry_set_text (self->client_id_entry, target->client_id != NULL ? target->client_id : "");
  gtk_entry_set_text (self->email_entry, target->email != NULL ? target->email : "");
  gtk_entry_set_text (self->uris_entry, uris != NULL ? uris : "");
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->tls_combo), ps_tls_mode_to_string (directory->tls_mode));
  set_ca_file (self->ca_file_button, directory->ca_file);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->untrusted_check), directory->allow_untrusted);
  gtk_entry_set_text (self->user_entry, directory->bind_dn != NULL ? directory->bind_dn : "");
  gtk_entry_set_text (self->base_dn_entry, directory->base_dn != NULL ? directory->base_dn : "");

  gtk_entry_set_text (self->entra_tenant_entry, entra->tenant != NULL ? entra->tenant : "");
  gtk_entry_set_text (self->entra_client_id_entry, entra->client_id != NULL ? entra->client_id : "");
  gtk_entry_set_text (self->entra_login_url_entry, entra->login_url != NULL ? entra->login_url : "");
  gtk_entry_set_text (self->entra_graph_url_entry, entra->graph_url != NULL ? entra->graph_url : "");
  set_ca_file (self->entra_ca_file_button, entra->ca_file);
  /* Settings of a national cloud or a proxy are shown, not hidden. */
  gtk_expander_set_expanded (self->entra_expander,
                             entra->login_url != NULL || entra->graph_url != NULL || entra->ca_file != NULL);

  gtk_entry_set_text (self->okta_url_entry, okta->url != NULL ? okta->url : "");
  set_ca_file (self->okta_ca_file_button, okta->ca_file);
  gtk_spin_button_set_value (self->okta_page_size_spin, okta->page_size);
  gtk_spin_button_set_value (self->okta_timeout_spin, okta->timeout);
  /* Settings that differ from the defaults are shown, not hidden. */
  gtk_expander_set_expanded (self->okta_expander,
                             okta->ca_file != NULL || okta->page_size != 200 || okta->timeout != 60);

  gtk_stack_set_visible_child_name (self->source_stack,
                                    source_page_name (ps_profile_get_source_kind (profile)));
}

/* Maps a "[Section] Key: reason" problem of ps_profile_validate to a field. */
static PsGuiField
field_for_problem (const char *problem)
{
  static const struct { const char *prefix; PsGuiField field; } table[] = {
    { "[AssetPanda] URL:", PS_GUI_FIELD_API_URL },
    { "[AssetPanda] ClientId:", PS_GUI_FIELD_API_CLIENT_ID },
    { "[AssetPanda] Email:", PS_GUI_FIELD_API_EMAIL },
    { "[Directory] URIs:", PS_GUI_FIELD_AD_URIS },
    { "[Directory] TLS:", PS_GUI_FIELD_AD_URIS },
    { "[Directory] BindDN:", PS_GUI_FIELD_AD_USER },
    { "[Directory] BaseDN:", PS_GUI_FIELD_AD_BASE_DN },
    { "[EntraID] Tenant:", PS_GUI_FIELD_ENTRA_TENANT },
    { "[EntraID] ClientId:", PS_GUI_FIELD_ENTRA_CLIENT_ID },
    { "[EntraID] LoginURL:", PS_GUI_FIELD_ENTRA_LOGIN_URL },
    { "[EntraID] GraphURL:", PS_GUI_FIELD_ENTRA_GRAPH_URL },
    { "[EntraID] CAFile:", PS_GUI_FIELD_ENTRA_CA_FILE },
    { "[Okta] URL:", PS_GUI_FIELD_OKTA_URL },
    { "[Okta] CAFile:", PS_GUI_FIELD_OKTA_CA_FILE },
    { "[Okta] ClientId:", PS_GUI_FIELD_OKTA_TOKEN },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (g_str_has_prefix (problem, table[i].prefix))
      return table[i].field;
  return PS_GUI_FIELD_NONE;
}

/* Checks the form without the network; shows and counts the problems. */
static guint
check_form (PsConnectionPage *self,
            PsProfile        *candidate)
{
  g_autoptr(GPtrArray) problems = NULL;
  guint n = 0;

  ps_profile_validate (candidate, &problems);
  for (guint i = 0; i < problems->len; i++)
    {
      const char *problem = g_ptr_array_index (problems, i);
      PsGuiField field = field_for_problem (problem);
      const char *reason = strstr (problem, ": ");

      if (field == PS_GUI_FIELD_NONE)
        continue;
      show_field_error (self, field, reason != NULL ? reason + 2 : problem);
      n++;
    }
  return n;
}

/* A profile that signs in to Entra ID with a certificate (set by hand:
 * the form has no field for it) needs no client secret. */
static gboolean
entra_uses_certificate (PsConnectionPage *self)
{
  PsProfile *profile = ps_wizard_page_get_profile (PS_WIZARD_PAGE (self));

  return profile != NULL && ps_profile_get_entra_id (profile)->certificate_file != NULL;
}

/* Why Done cannot be pressed yet: the first required field that is empty,
 * in the order of the form; NULL when all are filled in. */
/* Whether Asset Panda is spoken to as Pro: chosen, or Auto with a Pro URL
 * (*.assetpanda.app). Pro signs in with the API client alone. */
static gboolean
form_is_pro (PsConnectionPage *self)
{
  g_autofree char *url = entry_dup (self->url_entry);
  PsTargetConfig target = { .url = url, .dialect = active_dialect (self) };

  return ps_target_config_effective_dialect (&target) == PS_DIALECT_PRO;
}

static const char *
missing_field_reason (PsConnectionPage *self)
{
  gboolean pro = form_is_pro (self);

  if (!entry_filled (self->url_entry))
    return _("Enter the Asset Panda URL.");
  if (!entry_filled (self->client_id_entry))
    return _("Enter the API client ID.");
  if (!entry_filled (self->client_secret_entry))
    return _("Enter the API client secret.");
  if (!pro && !entry_filled (self->email_entry))
    return _("Enter the email address of the Asset Panda API user.");
  if (!pro && !entry_filled (self->password_entry))
    return _("Enter the password of the Asset Panda API user.");
  if (active_source (self) == PS_SOURCE_KIND_ENTRA_ID)
    {
      if (!entry_filled (self->entra_tenant_entry))
        return _("Enter the tenant: its ID or a verified domain.");
      if (!entry_filled (self->entra_client_id_entry))
        return _("Enter the application (client) ID of the app registration.");
      if (!entry_filled (self->entra_secret_entry) && !entra_uses_certificate (self))
        return _("Enter the value of the app registration’s client secret.");
      return NULL;
    }
  if (active_source (self) == PS_SOURCE_KIND_OKTA)
    {
      if (!entry_filled (self->okta_url_entry))
        return _("Enter the Okta org URL, such as https://acme.okta.com.");
      if (!entry_filled (self->okta_token_entry))
        return _("Enter the Okta API token.");
      return NULL;
    }
  if (!entry_filled (self->uris_entry))
    return _("Enter the AD connection string.");
  if (!entry_filled (self->user_entry))
    return _("Enter the AD username.");
  if (!entry_filled (self->bind_password_entry))
    return _("Enter the AD password.");
  /* An empty base DN is read from the directory's rootDSE. */
  return NULL;
}

static void
update_complete (PsConnectionPage *self)
{
  const char *reason = missing_field_reason (self);

  /* Shown beside the greyed-out Next. */
  ps_wizard_page_set_missing (PS_WIZARD_PAGE (self), reason);
}

/* The secrets of the form: Asset Panda's, and the chosen source's only. */
static PsGuiSecrets *
form_secrets (PsConnectionPage *self)
{
  PsSourceKind kind = active_source (self);
  gboolean pro = form_is_pro (self);
  const char *bind_password = entry_text (self->bind_password_entry);
  const char *entra_secret = entry_text (self->entra_secret_entry);
  const char *okta_token = entry_text (self->okta_token_entry);

  /* Pro signs in without the Classic user: a password left in the form
   * from another dialect is not stored. */
  return ps_gui_secrets_new (entry_text (self->client_secret_entry),
                             pro ? NULL : entry_text (self->password_entry),
                             kind == PS_SOURCE_KIND_ACTIVE_DIRECTORY ? bind_password : NULL,
                             kind == PS_SOURCE_KIND_ENTRA_ID ? entra_secret : NULL,
                             kind == PS_SOURCE_KIND_OKTA ? okta_token : NULL);
}

/* The outcome of the last Done no longer fits the form once it changes. */
static void
clear_stale_result (PsConnectionPage *self)
{
  if (ps_wizard_page_get_applying (PS_WIZARD_PAGE (self)))
    return;
  if (self->results != NULL)
    clear_steps (self);
  show_result (self, NULL, TRUE);
}

/* ---------------------------------------------------------------- callbacks */

static void
on_form_changed_cb (PsConnectionPage *self)
{
  g_autofree char *uris = entry_dup (self->uris_entry);
  PsTlsMode mode = active_tls_mode (self);

  /* Keep the TLS mode in step with the URL the user pasted. */
  if (uris != NULL && g_str_has_prefix (uris, "ldaps://") && mode != PS_TLS_MODE_LDAPS)
    gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->tls_combo), "ldaps");
  else if (uris != NULL && g_str_has_prefix (uris, "ldap://") && mode == PS_TLS_MODE_LDAPS)
    gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->tls_combo), "starttls");

  gtk_widget_set_visible (GTK_WIDGET (self->untrusted_warning_label),
                          gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->untrusted_check)));
  gtk_widget_set_visible (GTK_WIDGET (self->plaintext_warning_label),
                          active_tls_mode (self) == PS_TLS_MODE_NONE);
  /* Pro needs no Classic user: its fields are not asked for. */
  {
    gboolean pro = form_is_pro (self);
    const char *tip = pro ? _("Asset Panda Pro signs in with the API client alone.") : NULL;

    gtk_widget_set_sensitive (GTK_WIDGET (self->email_entry), !pro);
    gtk_widget_set_sensitive (GTK_WIDGET (self->password_entry), !pro);
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->email_entry), tip);
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->password_entry), tip);
  }
  gtk_widget_set_sensitive (GTK_WIDGET (self->ca_file_clear_button), ca_file_set (self->ca_file_button));
  gtk_widget_set_sensitive (GTK_WIDGET (self->entra_ca_file_clear_button),
                            ca_file_set (self->entra_ca_file_button));
  gtk_widget_set_sensitive (GTK_WIDGET (self->okta_ca_file_clear_button),
                            ca_file_set (self->okta_ca_file_button));
  update_complete (self);
}

/* An entry, a file button, a combo or the check button changed. */
static void
on_field_changed_cb (GtkWidget *widget,
                     gpointer   user_data)
{
  PsConnectionPage *self = PS_CONNECTION_PAGE (user_data);

  if (!ps_wizard_page_get_applying (PS_WIZARD_PAGE (self)))
    clear_field_error (self, field_for_widget (self, widget));
  clear_stale_result (self);
  on_form_changed_cb (self);
}

/* A CA file's clear button: no CA file for that source any more. */
static void
on_ca_file_clear_clicked_cb (GtkButton *button,
                             gpointer   user_data)
{
  PsConnectionPage *self = PS_CONNECTION_PAGE (user_data);
  GtkFileChooserButton *chooser = button == self->ca_file_clear_button ? self->ca_file_button
                                  : button == self->entra_ca_file_clear_button ? self->entra_ca_file_button
                                  : self->okta_ca_file_button;

  gtk_file_chooser_unselect_all (GTK_FILE_CHOOSER (chooser));
  on_field_changed_cb (GTK_WIDGET (chooser), self);
}

/* Another identity source was chosen: the last result was about the other. */
static void
on_source_changed_cb (PsConnectionPage *self)
{
  if (!ps_wizard_page_get_applying (PS_WIZARD_PAGE (self)))
    clear_field_errors (self);
  clear_stale_result (self);
  update_complete (self);
}

static void
on_secrets_looked_up_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  PsConnectionPage *self;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsGuiSecrets) secrets = ps_gui_backend_lookup_secrets_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = PS_CONNECTION_PAGE (user_data);
  g_clear_object (&self->secrets_cancellable);
  if (secrets == NULL)
    {
      g_debug ("No stored secrets: %s", error->message);
      return;
    }
  /* Never overwrite what the user typed meanwhile. */
  if (secrets->api_client_secret != NULL && *entry_text (self->client_secret_entry) == '\0')
    gtk_entry_set_text (self->client_secret_entry, secrets->api_client_secret);
  if (secrets->api_password != NULL && *entry_text (self->password_entry) == '\0')
    gtk_entry_set_text (self->password_entry, secrets->api_password);
  if (secrets->bind_password != NULL && *entry_text (self->bind_password_entry) == '\0')
    gtk_entry_set_text (self->bind_password_entry, secrets->bind_password);
  if (secrets->entra_client_secret != NULL && *entry_text (self->entra_secret_entry) == '\0')
    gtk_entry_set_text (self->entra_secret_entry, secrets->entra_client_secret);
  if (secrets->okta_api_token != NULL && *entry_text (self->okta_token_entry) == '\0')
    gtk_entry_set_text (self->okta_token_entry, secrets->okta_api_token);
}

static void
on_secrets_stored_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  PsConnectionPage *self;
  g_autoptr(GError) error = NULL;

  if (!ps_gui_backend_store_secrets_finish (result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      self = PS_CONNECTION_PAGE (user_data);
      show_field_error (self, PS_GUI_FIELD_API_CLIENT_SECRET, error->message);
      ps_wizard_page_apply_complete (PS_WIZARD_PAGE (self), FALSE);
      return;
    }
  self = PS_CONNECTION_PAGE (user_data);
  {
    /* Say where the secrets really went: a headless profile keeps them in
     * its credentials file, not in the keyring. */
    const char *file = ps_profile_get_credentials_file (ps_wizard_page_get_profile (PS_WIZARD_PAGE (self)));
    g_autofree char *text = file != NULL
      ? g_strdup_printf (_("Both connections work. The settings are saved, and the secrets are in "
                           "the credentials file %s (readable by you only)."), file)
      : g_strdup (_("Both connections work. The settings are saved, and the secrets are in the keyring."));

    show_result (self, text, TRUE);
  }
  ps_wizard_page_apply_complete (PS_WIZARD_PAGE (self), TRUE);
}

static void
on_connections_tested_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  PsConnectionPage *self;
  PsWizardPage *page;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = ps_gui_backend_test_connections_finish (result, &error);
  g_autoptr(PsProfile) candidate = NULL;
  g_autoptr(PsGuiSecrets) secrets = NULL;
  gboolean ok = TRUE;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = PS_CONNECTION_PAGE (user_data);
  page = PS_WIZARD_PAGE (self);
  candidate = g_steal_pointer (&self->candidate);

  if (results == NULL)
    {
      show_field_error (self, PS_GUI_FIELD_API_URL, error->message);
      ps_wizard_page_apply_complete (page, FALSE);
      return;
    }
  self->results = g_ptr_array_ref (results);
  for (guint i = 0; i < results->len; i++)
    {
      const PsGuiStepResult *r = g_ptr_array_index (results, i);

      add_step_row (self, r, ps_profile_get_source_kind (candidate));
      if (r->step->status == PS_STEP_FAILED)
        {
          ok = FALSE;
          show_field_error (self, r->field,
                            r->step->message != NULL ? r->step->message : r->step->title);
        }
    }
  if (!ok)
    {
      show_result (self, _("The connection test failed. The fields at fault are marked; correct them "
                           "and click Done again."), FALSE);
      ps_wizard_page_apply_complete (page, FALSE);
      return;
    }

  form_to_profile (self, ps_wizard_page_get_profile (page));
  if (!ps_wizard_page_save_profile (page, &error))
    {
      show_field_error (self, PS_GUI_FIELD_API_URL, error->message);
      ps_wizard_page_apply_complete (page, FALSE);
      return;
    }
  secrets = form_secrets (self);
  ps_gui_backend_store_secrets_async (ps_wizard_page_get_profile (page), secrets,
                                      self->apply_cancellable, on_secrets_stored_cb, self);
}

/* ---------------------------------------------------------------- overrides */

static gboolean
ps_connection_page_apply (PsWizardPage *page,
                          GCancellable *cancellable)
{
  PsConnectionPage *self = PS_CONNECTION_PAGE (page);
  g_autoptr(PsGuiSecrets) secrets = form_secrets (self);
  PsProfile *profile = ps_wizard_page_get_profile (page);

  g_set_object (&self->apply_cancellable, cancellable);
  clear_field_errors (self);
  clear_steps (self);
  show_result (self, NULL, TRUE);

  g_clear_object (&self->candidate);
  self->candidate = ps_profile_new (ps_profile_get_name (profile));
  form_to_profile (self, self->candidate);
  ps_profile_get_entra_id (self->candidate)->certificate_file =
    g_strdup (ps_profile_get_entra_id (profile)->certificate_file);
  if (check_form (self, self->candidate) > 0)
    {
      g_clear_object (&self->candidate);
      ps_wizard_page_apply_complete (page, FALSE);
      return TRUE;
    }
  ps_gui_backend_test_connections_async (self->candidate, secrets, cancellable,
                                         on_connections_tested_cb, self);
  return TRUE;
}

static void
on_profile_reloaded_cb (PsConnectionPage *self)
{
  profile_to_form (self, ps_wizard_page_get_profile (PS_WIZARD_PAGE (self)));
  on_form_changed_cb (self);
}

/* The form differs from the profile: Done has not saved it yet. */
static gboolean
ps_connection_page_has_unsaved_changes (PsWizardPage *page)
{
  PsConnectionPage *self = PS_CONNECTION_PAGE (page);
  PsProfile *profile = ps_wizard_page_get_profile (page);
  g_autoptr(PsProfile) form = NULL;
  g_autofree char *saved = NULL;
  g_autofree char *edited = NULL;

  if (profile == NULL)
    return FALSE;
  form = ps_profile_snapshot (profile);
  form_to_profile (self, form);
  saved = ps_profile_to_data (profile, NULL);
  edited = ps_profile_to_data (form, NULL);
  return g_strcmp0 (saved, edited) != 0;
}

static void
ps_connection_page_constructed (GObject *object)
{
  PsConnectionPage *self = PS_CONNECTION_PAGE (object);
  PsProfile *profile;

  G_OBJECT_CLASS (ps_connection_page_parent_class)->constructed (object);

  profile = ps_wizard_page_get_profile (PS_WIZARD_PAGE (self));
  if (profile == NULL)
    return;
  profile_to_form (self, profile);
  /* The file was edited by hand and reloaded: show it as it is now. */
  g_signal_connect_object (profile, "reloaded", G_CALLBACK (on_profile_reloaded_cb), self,
                           G_CONNECT_SWAPPED);
  self->secrets_cancellable = g_cancellable_new ();
  ps_gui_backend_lookup_secrets_async (profile, self->secrets_cancellable,
                                       on_secrets_looked_up_cb, self);
  on_form_changed_cb (self);
}

static void
ps_connection_page_dispose (GObject *object)
{
  PsConnectionPage *self = PS_CONNECTION_PAGE (object);

  g_cancellable_cancel (self->secrets_cancellable);
  g_clear_object (&self->secrets_cancellable);
  g_clear_object (&self->apply_cancellable);
  g_clear_object (&self->candidate);
  g_clear_pointer (&self->results, g_ptr_array_unref);

  G_OBJECT_CLASS (ps_connection_page_parent_class)->dispose (object);
}

static void
ps_connection_page_class_init (PsConnectionPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  PsWizardPageClass *page_class = PS_WIZARD_PAGE_CLASS (klass);

  object_class->constructed = ps_connection_page_constructed;
  object_class->dispose = ps_connection_page_dispose;
  page_class->page_id = "connection";
  page_class->apply = ps_connection_page_apply;
  page_class->has_unsaved_changes = ps_connection_page_has_unsaved_changes;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "/pages/ps-connection-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, base_dn_entry);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, base_dn_error_label);
  /* Reached by the tests only. */
  gtk_widget_class_bind_template_child_full (widget_class, "base_dn_note_label", FALSE, 0);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, bind_password_entry);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, bind_password_error_label);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, ca_file_button);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, ca_file_clear_button);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, ca_file_error_label);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, client_id_entry);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, client_id_error_label);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, client_secret_entry);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, client_secret_error_label);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, dialect_combo);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, email_entry);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, email_error_label);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, entra_ca_file_button);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, entra_ca_file_clear_button);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, entra_ca_file_error_label);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, entra_client_id_entry);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, entra_client_id_error_label);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, entra_expander);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, entra_graph_url_entry);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, entra_graph_url_error_label);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, entra_login_url_entry);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, entra_login_url_error_label);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, entra_secret_entry);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, entra_secret_error_label);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, entra_tenant_entry);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, entra_tenant_error_label);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, okta_ca_file_button);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, okta_ca_file_clear_button);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, okta_ca_file_error_label);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, okta_expander);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, okta_page_size_spin);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, okta_timeout_spin);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, okta_token_entry);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, okta_token_error_label);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, okta_url_entry);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, okta_url_error_label);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, password_entry);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, password_error_label);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, plaintext_warning_label);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, result_label);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, source_stack);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, steps_box);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, steps_list);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, tls_combo);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, untrusted_check);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, untrusted_warning_label);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, uris_entry);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, uris_error_label);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, url_entry);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, url_error_label);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, user_entry);
  gtk_widget_class_bind_template_child (widget_class, PsConnectionPage, user_error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_ca_file_clear_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_field_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_source_changed_cb);
}

static void
ps_connection_page_init (PsConnectionPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  ps_wizard_page_set_title (PS_WIZARD_PAGE (self), _("Connection"));
  ps_wizard_page_set_apply_label (PS_WIZARD_PAGE (self), _("_Done"));
}

/* ---------------------------------------------------------------- public API */

PsWizardPage *
ps_connection_page_new (PsProfile *profile)
{
  return g_object_new (PS_TYPE_CONNECTION_PAGE, "profile", profile, NULL);
}

GtkWidget *
ps_connection_page_get_field_widget (PsConnectionPage *self,
                                     PsGuiField        field)
{
  g_return_val_if_fail (PS_IS_CONNECTION_PAGE (self), NULL);
  return widget_for_field (self, field);
}

const char *
ps_connection_page_get_field_error (PsConnectionPage *self,
                                    PsGuiField        field)
{
  GtkLabel *label;

  g_return_val_if_fail (PS_IS_CONNECTION_PAGE (self), NULL);
  label = error_label_for_field (self, field);
  if (label == NULL || !gtk_widget_get_visible (GTK_WIDGET (label)))
    return NULL;
  return gtk_label_get_text (label);
}

guint
ps_connection_page_get_n_steps (PsConnectionPage *self)
{
  g_return_val_if_fail (PS_IS_CONNECTION_PAGE (self), 0);
  return self->results != NULL ? self->results->len : 0;
}

/* The steps listed (PsGuiStepResult*), or NULL when none are. */
GPtrArray *
ps_connection_page_get_steps (PsConnectionPage *self)
{
  g_return_val_if_fail (PS_IS_CONNECTION_PAGE (self), NULL);
  return self->results;
}
