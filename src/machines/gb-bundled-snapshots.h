/* gb-bundled-snapshots.h — snapshots of a stopped bundled (glassbox-vmm) machine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gb-libvirt-snapshots.h"   /* GbSnapshotInfo */
#include "gb-machine.h"

G_BEGIN_DECLS

/* Off, and every writable disk qcow2; else FALSE and a sentence in @why. */
gboolean   gb_bundled_snapshot_can_change   (GbMachine            *machine,
                                             char                **why);

/* GbSnapshotInfo elements: the snapshots every writable disk has, flat. */
void       gb_bundled_snapshots_list_async  (GbMachine            *machine,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
GPtrArray *gb_bundled_snapshots_list_finish (GbMachine            *machine,
                                             GAsyncResult         *result,
                                             GError              **error);

void       gb_bundled_snapshot_create_async (GbMachine            *machine,
                                             const char           *name,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
void       gb_bundled_snapshot_revert_async (GbMachine            *machine,
                                             const char           *name,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
void       gb_bundled_snapshot_delete_async (GbMachine            *machine,
                                             const char           *name,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
gboolean   gb_bundled_snapshot_finish       (GbMachine            *machine,
                                             GAsyncResult         *result,
                                             GError              **error);

G_END_DECLS
