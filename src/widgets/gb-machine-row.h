/* gb-machine-row.h — one machine in the list: name, OS, state, CPU sparkline, menu
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "gb-machine.h"

G_BEGIN_DECLS

#define GB_TYPE_MACHINE_ROW (gb_machine_row_get_type ())
G_DECLARE_FINAL_TYPE (GbMachineRow, gb_machine_row, GB, MACHINE_ROW, GtkWidget)

GtkWidget *gb_machine_row_new         (void);
GbMachine *gb_machine_row_get_machine (GbMachineRow *self);
void       gb_machine_row_set_machine (GbMachineRow *self,
                                       GbMachine    *machine);

G_END_DECLS
