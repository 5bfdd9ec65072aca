/* gb-disk-creator-libvirt.h — making disk images through libvirt (core only)
 *
 * The New Disk dialog never calls these: it goes through the provider's
 * GbCreatorBackend.  The libvirt backend and the tests do.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libvirt-gobject/libvirt-gobject.h>

#include "gb-disk-creator.h"

G_BEGIN_DECLS

gboolean     gb_disk_folder_possible       (GVirConnection    *connection);
void         gb_disk_create_in_pool_async  (GVirStoragePool   *pool,
                                            const GbDiskSpec  *spec,
                                            GbDiskProgress     progress,
                                            gpointer           progress_data,
                                            GCancellable      *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer           user_data);
void         gb_disk_create_in_folder_async (GVirConnection   *connection,
                                             const char       *folder,
                                             const GbDiskSpec *spec,
                                             GbDiskProgress    progress,
                                             gpointer          progress_data,
                                             GCancellable     *cancellable,
                                             GAsyncReadyCallback callback,
                                             gpointer          user_data);
char        *gb_disk_create_in_pool_sync   (GVirStoragePool   *pool,
                                            const GbDiskSpec  *spec,
                                            GCancellable      *cancellable,
                                            GError           **error);
char        *gb_disk_create_in_folder_sync (GVirConnection   *connection,
                                            const char        *folder,
                                            const GbDiskSpec  *spec,
                                            GCancellable      *cancellable,
                                            GError           **error);
char        *gb_storage_pool_get_path      (GVirStoragePool   *pool);

G_END_DECLS
