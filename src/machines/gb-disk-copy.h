/* gb-disk-copy.h — the disk copies of a clone: free names, sparse copies, overlays, progress
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Called in the caller's main context: bytes copied so far of all disks. */
typedef void (*GbCloneProgressFunc) (guint64  done,
                                     guint64  total,
                                     gpointer user_data);

/* One clone's copying, used from one worker thread. */
typedef struct {
  GbCloneProgressFunc  progress;
  gpointer             progress_data;
  GMainContext        *context;     /* where @progress is called */
  GPtrArray           *created;     /* files made so far: removed on failure */
  GPtrArray           *reserved;    /* names chosen, not made yet */
  guint64              done, total;
  gint64               last_report;
} GbDiskCopy;

GbDiskCopy *gb_disk_copy_new          (GbCloneProgressFunc  progress,
                                       gpointer             progress_data);
void        gb_disk_copy_free         (GbDiskCopy          *copy);
/* Removes every file made so far (a failed or cancelled clone). */
void        gb_disk_copy_undo         (GbDiskCopy          *copy);
/* The files now belong to the clone: undo leaves them. */
void        gb_disk_copy_keep         (GbDiskCopy          *copy);
/* Adds @path's size to the total the progress counts to. */
void        gb_disk_copy_count        (GbDiskCopy          *copy,
                                       const char          *path);
/* Reports progress now (else at most ten times a second). */
void        gb_disk_copy_report       (GbDiskCopy          *copy,
                                       gboolean             force);

/* A free file name next to @path: NEW_NAME.ext, else NEW_NAME-N.ext
 * (virt-clone's pattern); names handed out before count as taken.
 * NULL when none of the first thousand is free. */
char       *gb_disk_copy_free_path    (GbDiskCopy          *copy,
                                       const char          *path,
                                       const char          *new_name,
                                       const char          *ext_override);
/* Copies @src to @dst, which must not exist (nothing is ever overwritten):
 * a reflink, else the data extents only, with progress and cancellation. */
gboolean    gb_disk_copy_file         (GbDiskCopy          *copy,
                                       const char          *src,
                                       const char          *dst,
                                       GCancellable        *cancellable,
                                       GError             **error);
/* A new qcow2 at @dst whose backing file is @src (format @format, NULL raw). */
gboolean    gb_disk_copy_overlay      (GbDiskCopy          *copy,
                                       const char          *src,
                                       const char          *format,
                                       const char          *dst,
                                       GError             **error);

/* A random MAC in QEMU's locally administered 52:54:00 range. */
char       *gb_disk_copy_random_mac   (void);

G_END_DECLS
