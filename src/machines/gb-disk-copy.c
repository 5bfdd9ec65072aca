/* gb-disk-copy.c — the disk copies of a clone: free names, sparse copies, overlays, progress
 *
 * Shared by the libvirt clone (gb-libvirt-clone.c) and the clone of a
 * machine on This computer (gb-bundled-clone.c).  Copies run in the
 * clone's worker thread: FICLONE first (a reflink costs nothing on
 * Btrfs/XFS), else only the data extents (SEEK_DATA/SEEK_HOLE) so the copy
 * stays sparse; a linked clone is a qcow2 overlay whose backing file is the
 * source, made by our block engine.  A destination is always a new file
 * (O_EXCL): a clone never overwrites anything.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#ifdef HAVE_BLOCK_CREATE
#include "block.h"
#endif

#include "gb-disk-copy.h"

#define COPY_CHUNK (4u << 20)

GbDiskCopy *
gb_disk_copy_new (GbCloneProgressFunc progress,
                  gpointer            progress_data)
{
  GbDiskCopy *copy = g_new0 (GbDiskCopy, 1);

  copy->progress = progress;
  copy->progress_data = progress_data;
  copy->context = g_main_context_ref_thread_default ();
  copy->created = g_ptr_array_new_with_free_func (g_free);
  copy->reserved = g_ptr_array_new_with_free_func (g_free);
  return copy;
}

void
gb_disk_copy_free (GbDiskCopy *copy)
{
  if (copy == NULL)
    return;
  g_clear_pointer (&copy->context, g_main_context_unref);
  g_ptr_array_unref (copy->created);
  g_ptr_array_unref (copy->reserved);
  g_free (copy);
}

void
gb_disk_copy_undo (GbDiskCopy *copy)
{
  for (guint i = 0; i < copy->created->len; i++)
    g_unlink (copy->created->pdata[i]);
  g_ptr_array_set_size (copy->created, 0);
}

void
gb_disk_copy_keep (GbDiskCopy *copy)
{
  g_ptr_array_set_size (copy->created, 0);
}

void
gb_disk_copy_count (GbDiskCopy *copy,
                    const char *path)
{
  struct stat st;

  if (stat (path, &st) == 0)
    copy->total += st.st_size;
}

typedef struct {
  GbCloneProgressFunc func;
  gpointer            data;
  guint64             done, total;
} ProgressReport;

static gboolean
report_progress_cb (gpointer user_data)
{
  ProgressReport *r = user_data;

  r->func (r->done, r->total, r->data);
  return G_SOURCE_REMOVE;
}

void
gb_disk_copy_report (GbDiskCopy *copy,
                     gboolean    force)
{
  gint64 now = g_get_monotonic_time ();
  ProgressReport *r;

  if (copy->progress == NULL || (!force && now - copy->last_report < G_USEC_PER_SEC / 10))
    return;
  copy->last_report = now;
  r = g_new (ProgressReport, 1);
  *r = (ProgressReport) { copy->progress, copy->progress_data, copy->done, copy->total };
  g_main_context_invoke_full (copy->context, G_PRIORITY_DEFAULT, report_progress_cb, r, g_free);
}

static gboolean
str_equal0 (gconstpointer a,
            gconstpointer b)
{
  return g_strcmp0 (a, b) == 0;
}

char *
gb_disk_copy_free_path (GbDiskCopy *copy,
                        const char *path,
                        const char *new_name,
                        const char *ext_override)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  const char *dot = strrchr (base, '.');
  const char *ext = ext_override ? ext_override : dot ? dot : "";

  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *name = i == 0 ? g_strdup_printf ("%s%s", new_name, ext)
                                     : g_strdup_printf ("%s-%u%s", new_name, i, ext);
      char *candidate = g_build_filename (dir, name, NULL);

      /* Names chosen for earlier disks of this clone count as taken. */
      if (!g_file_test (candidate, G_FILE_TEST_EXISTS) &&
          !g_ptr_array_find_with_equal_func (copy->reserved, candidate, str_equal0, NULL))
        {
          g_ptr_array_add (copy->reserved, g_strdup (candidate));
          return candidate;
        }
      g_free (candidate);
    }
  return NULL;
}

gboolean
gb_disk_copy_file (GbDiskCopy    *copy,
                   const char    *src,
                   const char    *dst,
                   GCancellable  *cancellable,
                   GError       **error)
{
  int in = -1, out = -1, saved;
  struct stat st;
  gboolean ok = FALSE;
  off_t pos = 0;

  in = open (src, O_RDONLY | O_CLOEXEC);
  if (in < 0 || fstat (in, &st) < 0)
    goto fail;
  out = open (dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 0777);
  if (out < 0)
    goto fail;
  g_ptr_array_add (copy->created, g_strdup (dst));

  if (ioctl (out, FICLONE, in) == 0)
    {
      copy->done += st.st_size;
      gb_disk_copy_report (copy, TRUE);
      ok = TRUE;
      goto out;
    }
  if (ftruncate (out, st.st_size) < 0)
    goto fail;
  while (pos < st.st_size)
    {
      off_t data = lseek (in, pos, SEEK_DATA), hole;

      if (data < 0 && errno == ENXIO)
        break;                  /* only a hole is left */
      if (data < 0)
        data = pos;             /* no SEEK_DATA here: copy everything */
      hole = lseek (in, data, SEEK_HOLE);
      if (hole < 0)
        hole = st.st_size;
      copy->done += data - pos;
      pos = data;
      while (pos < hole)
        {
          size_t len = MIN ((off_t) COPY_CHUNK, hole - pos);
          loff_t off_in = pos, off_out = pos;
          ssize_t n;

          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            goto out;
          n = copy_file_range (in, &off_in, out, &off_out, len, 0);
          if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP))
            {
              g_autofree char *buf = g_malloc (len);
              n = pread (in, buf, len, pos);
              if (n > 0 && pwrite (out, buf, n, pos) != n)
                n = -1;
            }
          if (n <= 0)
            goto fail;
          pos += n;
          copy->done += n;
          gb_disk_copy_report (copy, FALSE);
        }
    }
  copy->done += st.st_size - pos;
  gb_disk_copy_report (copy, TRUE);
  ok = fsync (out) == 0;
  if (!ok)
    goto fail;
  goto out;

fail:
  saved = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
               _("Could not copy %s to %s: %s"), src, dst, g_strerror (saved));
out:
  if (in >= 0)
    close (in);
  if (out >= 0)
    close (out);
  return ok;
}

gboolean
gb_disk_copy_overlay (GbDiskCopy  *copy,
                      const char  *src,
                      const char  *format,
                      const char  *dst,
                      GError     **error)
{
#ifdef HAVE_BLOCK_CREATE
  BlockCreateOptions opts = { 0 };
  char *err = NULL;
  int ret;

  opts.format = BLOCK_FORMAT_QCOW2;
  opts.backing_file = src;
  if (!block_format_from_name (format ? format : "raw", &opts.backing_format))
    opts.backing_format = BLOCK_FORMAT_AUTO;
  ret = block_create (dst, &opts, &err);
  if (ret < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (-ret),
                   _("Could not create %s: %s"), dst, err ? err : g_strerror (-ret));
      free (err);
      return FALSE;
    }
  g_ptr_array_add (copy->created, g_strdup (dst));
  return TRUE;
#else
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               _("Linked clones need Glassbox’s disk engine, which this build lacks"));
  return FALSE;
#endif
}

char *
gb_disk_copy_random_mac (void)
{
  return g_strdup_printf ("52:54:00:%02x:%02x:%02x", g_random_int_range (0, 256),
                          g_random_int_range (0, 256), g_random_int_range (0, 256));
}
