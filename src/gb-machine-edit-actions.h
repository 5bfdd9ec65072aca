/* gb-machine-edit-actions.h — "machine.settings", "machine.xml" and
 * "machine.rename": open a machine's Settings page, from the window and
 * from each row
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gb-machine-actions.h"

G_BEGIN_DECLS

void gb_machine_edit_actions_install_for_class (GtkWidgetClass             *widget_class,
                                                GbMachineActionsGetMachine  get_machine);
void gb_machine_edit_actions_add_shortcuts     (GtkWidgetClass             *widget_class);
void gb_machine_edit_actions_update            (GtkWidget                  *widget,
                                                GbMachine                  *machine);

G_END_DECLS
