/* ps-pages.c — the pages of the wizard and the window, in order
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The one place that says which pages exist and in which order: the wizard
 * walks the in_wizard ones (the order of the seed's setup steps), the sidebar
 * shows them all.
 */

#include "pages/ps-collection-mapping-page.h"
#include "pages/ps-connection-page.h"
#include "pages/ps-history-page.h"
#include "pages/ps-schedule-page.h"
#include "pages/ps-sync-page.h"
#include "pages/ps-user-mapping-page.h"
#include "ps-pages.h"

#define PAGE(id, name, in_wizard) { id, ps_ ## name ## _page_new, in_wizard }

static const PsPageEntry page_table[] = {
  PAGE ("connection", connection, TRUE),
  PAGE ("schedule", schedule, TRUE),
  PAGE ("user-mapping", user_mapping, TRUE),
  PAGE ("collection-mapping", collection_mapping, TRUE),
  PAGE ("sync", sync, FALSE),
  PAGE ("history", history, FALSE),
};

#undef PAGE

/* Shorter names people use for the mapping pages (--page users). */
static const struct { const char *alias; const char *id; } page_aliases[] = {
  { "users", "user-mapping" },
  { "collections", "collection-mapping" },
  { "automation", "schedule" },
};

const PsPageEntry *
ps_pages_get_table (guint *n_pages)
{
  *n_pages = G_N_ELEMENTS (page_table);
  return page_table;
}

const PsPageEntry *
ps_pages_lookup (const char *id)
{
  for (guint i = 0; i < G_N_ELEMENTS (page_aliases); i++)
    if (g_strcmp0 (page_aliases[i].alias, id) == 0)
      id = page_aliases[i].id;
  for (guint i = 0; i < G_N_ELEMENTS (page_table); i++)
    if (g_strcmp0 (page_table[i].id, id) == 0)
      return &page_table[i];
  return NULL;
}
