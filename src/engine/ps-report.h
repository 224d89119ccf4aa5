/* ps-report.h — reports built from the directory's view in Asset Panda */
#pragma once

#include <gio/gio.h>

#include "ps-plan.h"
#include "ps-profile.h"
#include "ps-state.h"

G_BEGIN_DECLS

/* One asset held by a person whose record is Inactive. */
typedef struct {
  char *mapping;          /* the collection mapping that marked them */
  char *person_id;        /* their record id */
  char *person;           /* their record's display values (first, last name) */
  char *email;
  char *anchor;           /* their record's directory anchor (the mapping's unique field) */
  gint64 run_id;          /* the run that marked them Inactive, or 0 when unknown */
  gint64 deactivated_at;  /* when that run started (unix seconds), or 0 */
  char *collection;       /* where the asset is */
  char *asset_id;
  char *asset;            /* the asset's display value */
  char *field;            /* the field that links it to the person */
} PsLeaverAsset;

void ps_leaver_asset_free (PsLeaverAsset *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsLeaverAsset, ps_leaver_asset_free)

/* Leavers who still hold assets: for every collection mapping with a status
 * field, its Inactive records, and the records of the other collections of
 * the same account and module that link to them. Blocking (worker thread). */
GPtrArray *ps_report_leavers_sync (PsProfile     *profile,
                                   GCancellable  *cancellable,
                                   GError       **error);

/* The report as CSV: person, email, anchor, collection, asset, asset id,
 * field, mapping, run and time (of the run that marked them Inactive).
 * Cells are quoted, and a leading = + - @ is defused for spreadsheets. */
char      *ps_report_leavers_to_csv (GPtrArray *rows);

/* ---- the run history, for people */

/* Run @run_id's outline from @state (ps_state_dup_run_outline ()): its
 * mappings and Asset Panda's names as they were when it ran. Never NULL: a
 * run without one (or @state NULL) gets an empty plan, and shows ids. */
PsPlan    *ps_report_run_outline   (PsState *state, gint64 run_id);
/* "First Name: Ann → Anna; Role: Basic" from an action's changes as the
 * history keeps them (JSON), named by @outline. */
char      *ps_report_describe_changes (const PsPlan *outline, const char *mapping,
                                       const char *changes_json);
/* Every action of run @run_id as CSV: run, time, mapping, collection,
 * action, person, email, anchor, asset panda id, changes, detail; @rows is
 * how many. */
char      *ps_report_run_to_csv    (PsState *state, gint64 run_id, guint *rows, GError **error);

G_END_DECLS
