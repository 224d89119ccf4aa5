/* ps-collection-mapping-page.h — Collection Mapping: AD groups → collection records
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ps-wizard-page.h"

G_BEGIN_DECLS

#define PS_TYPE_COLLECTION_MAPPING_PAGE (ps_collection_mapping_page_get_type ())
G_DECLARE_FINAL_TYPE (PsCollectionMappingPage, ps_collection_mapping_page, PS, COLLECTION_MAPPING_PAGE,
                      PsWizardPage)

PsWizardPage *ps_collection_mapping_page_new (PsProfile *profile);

/* For tests: adds a field row and fills it. */
void          ps_collection_mapping_page_add_field_row (PsCollectionMappingPage *self,
                                                        const char              *field_id,
                                                        const char              *attribute,
                                                        PsOwnership              ownership);
const char   *ps_collection_mapping_page_get_status_text (PsCollectionMappingPage *self);

G_END_DECLS
