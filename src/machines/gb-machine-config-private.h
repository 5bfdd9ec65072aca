/* gb-machine-config-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gb-machine-config.h"

G_BEGIN_DECLS

/* Set by the machine once libosinfo has resolved the OS id. */
void _gb_machine_config_set_os_name (GbMachineConfig *self,
                                     const char      *os_name);

G_END_DECLS
