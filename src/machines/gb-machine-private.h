/* gb-machine-private.h — what machine and provider implementations use
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gb-machine.h"

G_BEGIN_DECLS

void _gb_machine_set_name    (GbMachine             *self,
                              const char            *name);
void _gb_machine_set_state   (GbMachine             *self,
                              GbMachineState         state);
void _gb_machine_set_saved_at (GbMachine            *self,
                               gint64                saved_at);
/* Takes the OS id from @config and resolves its name with libosinfo, off the main thread. */
void _gb_machine_set_config  (GbMachine             *self,
                              GbMachineConfig       *config);
/* Appends to the history, updates "cpu-usage"/"memory-used", emits "stats-updated". */
void _gb_machine_push_sample (GbMachine             *self,
                              const GbMachineSample *sample);

G_END_DECLS
