/* gb-machine-list.h — the machines of every connection, grouped by connection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "gb-machine.h"

G_BEGIN_DECLS

#define GB_TYPE_MACHINE_LIST (gb_machine_list_get_type ())
G_DECLARE_FINAL_TYPE (GbMachineList, gb_machine_list, GB, MACHINE_LIST, GtkWidget)

GtkWidget  *gb_machine_list_new                  (void);
GListModel *gb_machine_list_get_providers        (GbMachineList *self);
void        gb_machine_list_set_providers        (GbMachineList *self,
                                                  GListModel    *providers);
gboolean    gb_machine_list_get_loading          (GbMachineList *self);
void        gb_machine_list_set_loading          (GbMachineList *self,
                                                  gboolean       loading);
GbMachine  *gb_machine_list_get_selected_machine (GbMachineList *self);
void        gb_machine_list_select_machine       (GbMachineList *self,
                                                  GbMachine     *machine);

G_END_DECLS
