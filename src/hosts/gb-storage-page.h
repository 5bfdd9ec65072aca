/* gb-storage-page.h — a libvirt connection's storage pools and their volumes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "gb-libvirt-provider.h"

G_BEGIN_DECLS

#define GB_TYPE_STORAGE_PAGE (gb_storage_page_get_type ())
G_DECLARE_FINAL_TYPE (GbStoragePage, gb_storage_page, GB, STORAGE_PAGE, AdwBin)

GtkWidget  *gb_storage_page_new             (void);
void        gb_storage_page_set_provider    (GbStoragePage     *self,
                                             GbLibvirtProvider *provider);
/* Reads the pools (and the selected pool's volumes) again. */
void        gb_storage_page_reload          (GbStoragePage     *self);
/* What the page shows (GbStoragePoolInfo, GbStorageVolumeInfo), for tests. */
GPtrArray  *gb_storage_page_get_pools       (GbStoragePage     *self);
GPtrArray  *gb_storage_page_get_volumes     (GbStoragePage     *self);
gboolean    gb_storage_page_get_busy        (GbStoragePage     *self);
void        gb_storage_page_select_pool     (GbStoragePage     *self,
                                             const char        *name);
void        gb_storage_page_select_volume   (GbStoragePage     *self,
                                             const char        *name);
/* Uploads @local_path into the selected volume, or downloads the selected
 * volume to @local_path, with the page's progress bar (what the file
 * chooser's answer does). */
void        gb_storage_page_transfer        (GbStoragePage     *self,
                                             const char        *local_path,
                                             gboolean           upload);
/* The last error the page reported, or NULL. */
const char *gb_storage_page_get_error       (GbStoragePage     *self);

G_END_DECLS
