/* gb-disk-creator.h — a disk image to create: its description and checks
 *
 * Where it is made is the provider's business (gb_creator_backend_create_disk_async()).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "gb-provider.h"

G_BEGIN_DECLS

typedef enum
{
  GB_DISK_FORMAT_QCOW2,
  GB_DISK_FORMAT_RAW,
} GbDiskFormat;

typedef enum
{
  GB_DISK_PREALLOC_OFF,       /* grows as the guest writes */
  GB_DISK_PREALLOC_METADATA,  /* qcow2 tables written up front */
  GB_DISK_PREALLOC_FALLOC,    /* space reserved by the file system */
  GB_DISK_PREALLOC_FULL,      /* every byte written now: slow, predictable */
} GbDiskPrealloc;

typedef struct
{
  char           *name;            /* file or volume name, with its extension */
  guint64         capacity;        /* bytes */
  GbDiskFormat    format;
  GbDiskPrealloc  prealloc;
  char           *backing_path;    /* nullable: a linked clone of this image */
  GbDiskFormat    backing_format;
} GbDiskSpec;

/* Called on the main thread; @fraction in [0, 1]. */
typedef void (*GbDiskProgress) (double fraction, gpointer user_data);

#define GB_DISK_MIN_SIZE ((guint64) 1 << 20)        /* 1 MiB */
#define GB_DISK_MAX_SIZE ((guint64) 64 << 40)       /* 64 TiB */

GbDiskSpec  *gb_disk_spec_new              (void);
GbDiskSpec  *gb_disk_spec_copy             (const GbDiskSpec  *spec);
void         gb_disk_spec_free             (GbDiskSpec        *spec);

const char  *gb_disk_format_to_string      (GbDiskFormat       format);
gboolean     gb_disk_validate_name         (const char        *name,
                                            GError           **error);
gboolean     gb_disk_parse_size            (const char        *text,
                                            guint64            unit,
                                            guint64           *bytes,
                                            GError           **error);
gboolean     gb_disk_can_create_in_folder  (GbProvider        *provider);

char        *gb_disk_create_finish         (GAsyncResult      *result,
                                            GError           **error);


G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbDiskSpec, gb_disk_spec_free)

G_END_DECLS
