/* gui-test-util.h — helpers for the UI tests: servers, waiting, screenshots
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ps-profile.h"
#include "ps-window.h"
#include "widgets/ps-attribute-combo.h"
#include "widgets/ps-choice-combo.h"
#include "widgets/ps-mapping-row.h"

G_BEGIN_DECLS

typedef gboolean (*GuiTestCondition) (gpointer data);

/* gtk_test_init + ps_test_init's isolation, the app's resources and CSS. */
void        gui_test_init             (int *argc, char ***argv);

/* Iterates the main loop until @condition holds or @timeout_ms passes;
 * returns whether it held. Never sleeps as an assertion. */
gboolean    gui_test_wait             (GuiTestCondition condition,
                                       gpointer         data,
                                       guint            timeout_ms);
/* Lets pending redraws and idles run for about @ms. */
void        gui_test_settle           (guint ms);

/* Saves a PNG of @window into $builddir/tests/gui/screenshots/NAME.png and
 * returns its path. */
char       *gui_test_screenshot       (GtkWidget  *window,
                                       const char *name);

/* Test servers, started once per test program; NULL (and the test skips)
 * when they cannot run here. */
typedef struct {
  char *ldap_uri;
  char *base_dn;
  char *bind_dn;
  char *bind_password;
} GuiTestDirectory;

typedef struct {
  char *url;
  char *client_id;
  char *client_secret;
  char *email;
  char *password;
} GuiTestTarget;

/* The Microsoft Graph emulator's Contoso tenant (tests/emulator/graph):
 * token endpoint and Graph on the same URL, an app with User.Read.All and
 * GroupMember.Read.All, and one with GroupMember.Read.All only. */
typedef struct {
  char *url;
  char *tenant;
  char *client_id;
  char *client_secret;
  char *members_only_client_id;
  char *members_only_client_secret;
} GuiTestGraph;

/* The Okta emulator's Acme org (tests/emulator/okta, seed-small.json): the
 * org URL, the token of a Read-Only Administrator, one Okta refuses
 * (revoked: 401 E0000011) and one of a Group Membership Administrator, who
 * may read groups but not users (403 E0000006). */
typedef struct {
  char *url;
  char *token;
  char *revoked_token;
  char *group_admin_token;
  char *tls_url;      /* the same org over HTTPS, with a certificate of… */
  char *tls_ca_file;  /* …this throw-away CA, which nothing trusts by default */
} GuiTestOkta;

const GuiTestDirectory *gui_test_start_slapd    (void);
const GuiTestOkta      *gui_test_start_okta     (void);
/* gui_test_start_okta (), and a second emulator of the same org over HTTPS;
 * NULL when either cannot run (or openssl cannot make the CA). */
const GuiTestOkta      *gui_test_start_okta_tls (void);
const GuiTestTarget    *gui_test_start_emulator (void);
const GuiTestGraph     *gui_test_start_graph    (void);
void                    gui_test_stop_servers   (void);

/* Starts a source's test server and the Asset Panda emulator; when either
 * cannot run, skips the test saying which and returns FALSE. */
gboolean    gui_test_need_ldap_servers  (const GuiTestDirectory **dir,
                                         const GuiTestTarget    **tgt);
gboolean    gui_test_need_okta_servers  (const GuiTestOkta      **org,
                                         const GuiTestTarget    **tgt);
gboolean    gui_test_need_graph_servers (const GuiTestGraph     **tenant,
                                         const GuiTestTarget    **tgt);
/* For a program whose every case needs them: starts slapd and the Asset
 * Panda emulator, or prints TAP's skip-all line saying what to install and
 * returns FALSE (main () then returns 0). */
gboolean    gui_test_ldap_servers_or_skip_all (void);

/* A template child of @widget's class @type, by its id in the .ui. */
gpointer    gui_test_child            (gpointer    widget,
                                       GType       type,
                                       const char *name);

/* Sets an entry's text as typing would (emits "changed"). */
void        gui_test_type             (gpointer    entry,
                                       const char *text);

/* Checks the mnemonics a user sees on @page of @window: every label with
 * one points at a widget, and no two share a key (the action bar included). */
void        gui_test_check_mnemonics  (GtkWidget  *window,
                                       GtkWidget  *page);

/* A profile saved in the test's private folder. */
PsProfile  *gui_test_new_profile      (const char *name);
/* A profile as a successful Connection page with LDAP leaves it, saved:
 * @tgt's Asset Panda spoken in @dialect, @dir's directory over plain LDAP,
 * the secrets in the (private) keyring as the wizard puts them, and the
 * mappings after @dialect (taken; the list ends with NULL). */
PsProfile  *gui_test_ldap_profile     (const char             *name,
                                       const GuiTestDirectory *dir,
                                       const GuiTestTarget    *tgt,
                                       PsDialect               dialect,
                                       ...) G_GNUC_NULL_TERMINATED;
/* The same with Okta (@org's URL and token) or Entra ID (@tenant's app,
 * the emulator serving both sign-in and Graph) as the identity source. */
PsProfile  *gui_test_okta_profile     (const char          *name,
                                       const GuiTestOkta   *org,
                                       const GuiTestTarget *tgt);
PsProfile  *gui_test_entra_profile    (const char          *name,
                                       const GuiTestGraph  *tenant,
                                       const GuiTestTarget *tgt);
/* The seed's users mapping "Staff": group All Staff into account 21040 with
 * role 30135, only the people @filter (optional) matches. */
PsMapping  *gui_test_staff_mapping    (const char *filter);
/* The seed's collection mapping "Employees": group All Staff into
 * collection 82677 of account 21040, givenName, sn and mail into fields 1-3
 * and the status into "Integration Status AD"; @filter is optional. */
PsMapping  *gui_test_employees_mapping (const char *filter);
/* Its file as it is on disk now. */
char       *gui_test_read_profile_file (PsProfile *profile);

/* A window of 1100×700 on @profile, shown and drawn. */
PsWindow   *gui_test_show_window      (PsProfile *profile,
                                       gboolean   wizard);

/* Condition for gui_test_wait (): @window (a PsWindow) shows the Schedule page. */
gboolean    gui_test_window_on_schedule (gpointer window);
/* Conditions for gui_test_wait (): the Schedule @page asks its confirmation;
 * a PsScopeEditor has finished counting the people in scope. */
gboolean    gui_test_confirmation_open (gpointer page);
gboolean    gui_test_scope_counted    (gpointer editor);
/* Types the Asset Panda emulator's URL and credentials into the Connection page. */
void        gui_test_fill_asset_panda (PsWizardPage        *page,
                                       const GuiTestTarget *tgt);
/* Presses Done on @page (which must be complete) and waits until its test is over. */
void        gui_test_press_done       (PsWindow     *window,
                                       PsWizardPage *page);

/* Conditions for gui_test_wait (): the page's apply step is over; the
 * combo (a PsChoiceCombo) has loaded its choices, or failed to; the
 * collection page (its Add Field button) has its collection's fields. */
gboolean    gui_test_page_idle        (gpointer page);
gboolean    gui_test_combo_ready      (gpointer combo);
gboolean    gui_test_fields_loaded    (gpointer page);

/* Waits for @combo to load and picks its first choice. */
void        gui_test_choose_first     (PsChoiceCombo *combo);
/* Types @text into the group search of a mapping page and picks the first match. */
void        gui_test_search_group     (PsWizardPage  *page,
                                       GType          type,
                                       const char    *text);
PsMappingRow *gui_test_first_mapping_row (PsWizardPage *page,
                                          GType         type);
/* Removes @row's mapping as an administrator does: the remove button, then
 * the confirmation once it has counted the people the mapping manages. */
void        gui_test_remove_mapping   (PsMappingRow  *row);
/* The parts of the collection page's field row @index (@error optional). */
void        gui_test_field_row_parts  (PsWizardPage      *page,
                                       guint              index,
                                       GtkComboBox      **field,
                                       PsAttributeCombo **attribute,
                                       GtkLabel         **error);
/* Whether @combo has an item with the id @id. */
gboolean    gui_test_combo_offers     (GtkComboBox *combo,
                                       const char  *id);
/* Waits up to @timeout_ms for @combo to offer @id; returns whether it did. */
gboolean    gui_test_wait_combo_offers (GtkComboBox *combo,
                                        const char  *id,
                                        guint        timeout_ms);

/* The Connection page's error under @field, or NULL. */
const char *gui_test_field_error      (PsWizardPage *page,
                                       PsGuiField    field);
/* The identity source's steps of the Connection page's last test, logged;
 * how many failed, and the id of the first that did (@first_failed optional). */
guint       gui_test_source_steps_failed (PsWizardPage  *page,
                                          guint         *n_source,
                                          const char   **first_failed);

/* The Sync and History pages' parts. The text of every label in @widget, in
 * order, a space after each; the Sync page's log; waits up to a minute for
 * its status to contain @needle (and returns whether it did). */
char       *gui_test_labels_text      (GtkWidget  *widget);
char       *gui_test_sync_log         (GtkWidget  *page);
gboolean    gui_test_wait_sync_status (GtkWidget  *page,
                                       const char *needle);
/* Condition for gui_test_wait (): the History @page's spinner has stopped. */
gboolean    gui_test_history_idle     (gpointer    page);
/* The first row of @model whose @column is @text, into @iter. */
gboolean    gui_test_find_row         (GtkTreeModel *model,
                                       int           column,
                                       const char   *text,
                                       GtkTreeIter  *iter);

G_END_DECLS
