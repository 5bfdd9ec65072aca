/* gb-creator-bundled.h — the wizard on "This computer (Glassbox)"
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "gb-creator-backend.h"

G_BEGIN_DECLS

#define GB_TYPE_CREATOR_BUNDLED (gb_creator_bundled_get_type ())
G_DECLARE_FINAL_TYPE (GbCreatorBundled, gb_creator_bundled, GB, CREATOR_BUNDLED, GbCreatorBackend)

JsonObject *gb_creator_bundled_build_config (GbCreatorBundled  *self,
                                             const GbMachineSpec  *choices,
                                             const char        *new_disk_path,
                                             GError           **error);

G_END_DECLS
