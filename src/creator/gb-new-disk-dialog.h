/* gb-new-disk-dialog.h — the New Disk dialog
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "gb-disk-creator.h"
#include "gb-provider.h"

G_BEGIN_DECLS

#define GB_TYPE_NEW_DISK_DIALOG (gb_new_disk_dialog_get_type ())
G_DECLARE_FINAL_TYPE (GbNewDiskDialog, gb_new_disk_dialog, GB, NEW_DISK_DIALOG, AdwWindow)

GbNewDiskDialog *gb_new_disk_dialog_new           (GtkWindow       *parent,
                                                   GbProvider      *provider);
void             gb_new_disk_dialog_set_folder    (GbNewDiskDialog *self,
                                                   const char      *folder);
void             gb_new_disk_dialog_set_disk_name (GbNewDiskDialog *self,
                                                   const char      *name);
void             gb_new_disk_dialog_set_size      (GbNewDiskDialog *self,
                                                   guint64          bytes);
void             gb_new_disk_dialog_set_format    (GbNewDiskDialog *self,
                                                   GbDiskFormat     format);
void             gb_new_disk_dialog_set_prealloc  (GbNewDiskDialog *self,
                                                   GbDiskPrealloc   prealloc);
GbProvider      *gb_new_disk_dialog_get_provider  (GbNewDiskDialog  *self);
gboolean         gb_new_disk_dialog_has_own_folder (GbNewDiskDialog *self);
void             gb_new_disk_dialog_get_created   (GbNewDiskDialog  *self,
                                                   GbDiskFormat     *format,
                                                   guint64          *capacity,
                                                   const char      **folder);

G_END_DECLS
