/* emu-pro.c — the Pro dialect (api.assetpanda.app)
 *
 * Copyright 2026 The PandaSync authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "emu-private.h"

gboolean
emu_pro_handle (EmuRequest *req)
{
  return FALSE;
}
