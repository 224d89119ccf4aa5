/* ps-pages.h — the pages of the wizard and the window, in order
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ps-wizard-page.h"

G_BEGIN_DECLS

typedef PsWizardPage *(*PsPageNewFunc) (PsProfile *profile);

typedef struct {
  const char    *id;          /* as given to --page */
  PsPageNewFunc  new_func;
  gboolean       in_wizard;   /* part of the first-run wizard */
} PsPageEntry;

const PsPageEntry *ps_pages_get_table (guint *n_pages);
const PsPageEntry *ps_pages_lookup    (const char *id);

G_END_DECLS
