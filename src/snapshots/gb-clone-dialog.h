/* gb-clone-dialog.h — clone a stopped machine (libvirt or This computer): name, linked or full, progress, cancel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "gb-machine.h"

G_BEGIN_DECLS

#define GB_TYPE_CLONE_DIALOG (gb_clone_dialog_get_type ())
G_DECLARE_FINAL_TYPE (GbCloneDialog, gb_clone_dialog, GB, CLONE_DIALOG, AdwWindow)

/* @machine: a GbLibvirtMachine or a GbBundledMachine */
GbCloneDialog *gb_clone_dialog_new (GtkWindow *parent,
                                    GbMachine *machine);

G_END_DECLS
