/* gb-bundled-clone.h — a copy of a stopped machine on This computer, with virt-clone's rules
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gb-bundled-machine.h"
#include "gb-disk-copy.h"

G_BEGIN_DECLS

/* "NAME-clone" (virt-clone's default). */
char      *gb_bundled_clone_default_name   (GbBundledMachine     *self);

/* Writes a new machine file from @self's (which must be off): @new_name
 * (refused if another machine has it), a new UUID, a new MAC for every NIC,
 * no fixed VNC TCP port or socket paths; each writable disk copied next to
 * its source as NEW_NAME.ext (sparse, a reflink where the file system
 * allows), or — @linked — a new qcow2 whose backing file is the source disk;
 * read-only disks are shared.  No existing file is ever overwritten.
 * Cancelling, or any failure, removes what was copied.
 * Result: (transfer full) the new machine, already in the provider's list. */
void       gb_bundled_machine_clone_async  (GbBundledMachine     *self,
                                            const char           *new_name,
                                            gboolean              linked,
                                            GbCloneProgressFunc   progress,
                                            gpointer              progress_data,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
GbMachine *gb_bundled_machine_clone_finish (GbBundledMachine     *self,
                                            GAsyncResult         *result,
                                            GError              **error);

G_END_DECLS
