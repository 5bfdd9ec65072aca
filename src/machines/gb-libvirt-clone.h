/* gb-libvirt-clone.h — a copy of a stopped libvirt machine, with virt-clone's rules
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gb-disk-copy.h"
#include "gb-libvirt-machine.h"

G_BEGIN_DECLS

/* "NAME-clone" (virt-clone's default). */
char *gb_libvirt_clone_default_name (GbLibvirtMachine *self);

/* Defines a new machine from @self (which must be off): @new_name, a new
 * UUID, a new MAC for every NIC, graphics ports automatic, the NVRAM file
 * copied; each writable disk file copied next to its source (sparse, a
 * reflink where the file system allows), or — @linked — a new qcow2 whose
 * backing file is the source disk; shareable and read-only disks are
 * shared.  Cancelling removes what was copied.  Result: the new UUID. */
void  gb_libvirt_machine_clone_async  (GbLibvirtMachine     *self,
                                       const char           *new_name,
                                       gboolean              linked,
                                       GbCloneProgressFunc   progress,
                                       gpointer              progress_data,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
char *gb_libvirt_machine_clone_finish (GbLibvirtMachine     *self,
                                       GAsyncResult         *result,
                                       GError              **error);

G_END_DECLS
