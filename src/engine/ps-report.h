/* ps-report.h — reports built from the directory's view in Asset Panda */
#pragma once

#include <gio/gio.h>

#include "ps-profile.h"

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

G_END_DECLS
