/* ps-user-mapping-page.h — User Mapping: AD groups → Asset Panda users with a role
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ps-wizard-page.h"

G_BEGIN_DECLS

#define PS_TYPE_USER_MAPPING_PAGE (ps_user_mapping_page_get_type ())
G_DECLARE_FINAL_TYPE (PsUserMappingPage, ps_user_mapping_page, PS, USER_MAPPING_PAGE, PsWizardPage)

PsWizardPage *ps_user_mapping_page_new (PsProfile *profile);

G_END_DECLS
