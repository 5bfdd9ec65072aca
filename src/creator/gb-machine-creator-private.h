/* gb-machine-creator-private.h — what the model's helpers set
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gb-machine-creator.h"

G_BEGIN_DECLS

void _gb_machine_creator_set_volume_id   (GbMachineCreator *self,
                                          const char       *volume_id);
void _gb_machine_creator_set_detected_os (GbMachineCreator *self,
                                          OsinfoOs         *os,
                                          gboolean          detected);

G_END_DECLS
