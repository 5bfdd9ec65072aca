/* gb-snapshot-actions.h — machine.save, machine.snapshots, machine.clone
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "gb-machine.h"

G_BEGIN_DECLS

/* The three actions' names, NULL-terminated. */
extern const char * const gb_snapshot_action_names[];

gboolean gb_snapshot_actions_handles  (const char *action_name);
gboolean gb_snapshot_actions_enabled  (GbMachine  *machine,
                                       const char *action_name);
void     gb_snapshot_actions_activate (GtkWidget  *widget,
                                       GbMachine  *machine,
                                       const char *action_name);
void     gb_snapshot_actions_add_shortcuts (GtkWidgetClass *widget_class);

G_END_DECLS
