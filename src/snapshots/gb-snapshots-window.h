/* gb-snapshots-window.h — a libvirt machine's snapshots: the tree, create, revert, delete
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "gb-libvirt-machine.h"

G_BEGIN_DECLS

#define GB_TYPE_SNAPSHOTS_WINDOW (gb_snapshots_window_get_type ())
G_DECLARE_FINAL_TYPE (GbSnapshotsWindow, gb_snapshots_window, GB, SNAPSHOTS_WINDOW, AdwWindow)

/* @machine: a libvirt machine, or a bundled one (disks only, while off) */
GbSnapshotsWindow *gb_snapshots_window_new (GtkWindow *parent,
                                            GbMachine *machine);

G_END_DECLS
