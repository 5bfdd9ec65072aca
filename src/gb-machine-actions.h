/* gb-machine-actions.h — the "machine.*" actions, shared by the window and the rows
 *
 * A widget that shows one machine installs these with
 * gb_machine_actions_install_for_class(), keeps them enabled according to
 * the machine's state with gb_machine_actions_update(), and the actions
 * ask (force off, delete), run the machine's _async call and report a
 * failure with libvirt's own message.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "gb-machine.h"

G_BEGIN_DECLS

/* Returns the machine the widget's actions act on, or NULL. */
typedef GbMachine *(*GbMachineActionsGetMachine) (GtkWidget *widget);

void gb_machine_actions_install_for_class (GtkWidgetClass             *widget_class,
                                           GbMachineActionsGetMachine  get_machine);
void gb_machine_actions_add_shortcuts     (GtkWidgetClass             *widget_class);
void gb_machine_actions_update            (GtkWidget                  *widget,
                                           GbMachine                  *machine);
void gb_machine_actions_activate          (GtkWidget                  *widget,
                                           GbMachine                  *machine,
                                           const char                 *action_name);

G_END_DECLS
