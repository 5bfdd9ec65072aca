/* gb-machine-details.h — the selected machine: its configuration and live graphs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "gb-machine.h"

G_BEGIN_DECLS

#define GB_TYPE_MACHINE_DETAILS (gb_machine_details_get_type ())
G_DECLARE_FINAL_TYPE (GbMachineDetails, gb_machine_details, GB, MACHINE_DETAILS, GtkWidget)

GtkWidget *gb_machine_details_new         (void);
GbMachine *gb_machine_details_get_machine (GbMachineDetails *self);
void       gb_machine_details_set_machine (GbMachineDetails *self,
                                           GbMachine        *machine);

G_END_DECLS
