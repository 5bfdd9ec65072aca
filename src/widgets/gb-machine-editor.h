/* gb-machine-editor.h — the Settings page: a libvirt machine's name,
 * hardware and XML, each tab with its own Apply and Revert
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "gb-machine.h"

G_BEGIN_DECLS

#define GB_TYPE_MACHINE_EDITOR (gb_machine_editor_get_type ())
G_DECLARE_FINAL_TYPE (GbMachineEditor, gb_machine_editor, GB, MACHINE_EDITOR, GtkWidget)

/* Whether the page can change @machine: a libvirt machine, or one of
 * Glassbox's own (its machine file). */
gboolean    gb_machine_editor_can_edit    (GbMachine       *machine);
GtkWidget  *gb_machine_editor_new         (void);
GbMachine  *gb_machine_editor_get_machine (GbMachineEditor *self);
void        gb_machine_editor_set_machine (GbMachineEditor *self,
                                           GbMachine       *machine);
/* "general", "cpu", "disks", "network", "devices" or "xml" */
void        gb_machine_editor_set_tab     (GbMachineEditor *self,
                                           const char      *tab);
void        gb_machine_editor_focus_name  (GbMachineEditor *self);
const char *gb_machine_editor_get_tab     (GbMachineEditor *self);
/* TRUE while it reads or changes the machine (for tests). */
gboolean    gb_machine_editor_get_busy    (GbMachineEditor *self);
/* The last Apply's outcome as shown: NULL, libvirt's error, or what waits
 * for the next boot (for tests). */
const char *gb_machine_editor_get_status  (GbMachineEditor *self);

G_END_DECLS
