/* gb-tiny-linux.c — "Try a tiny Linux": a kernel and a busybox initramfs
 *
 * The assembling itself is a short shell script (gb-tiny-linux.sh, in the
 * creator's resources) because it is a pipeline of apt-get, dpkg, depmod
 * and cpio; this file runs it without blocking and reads its answer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gb-tiny-linux.h"

#define SCRIPT_RESOURCE "/org/glassbox/Glassbox/creator/gb-tiny-linux.sh"

typedef struct
{
  char *kernel;
  char *initrd;
} Assembled;

static void
assembled_free (gpointer data)
{
  Assembled *a = data;

  g_free (a->kernel);
  g_free (a->initrd);
  g_free (a);
}

/* $XDG_CACHE_HOME/glassbox/tiny-linux */
char *
gb_tiny_linux_default_dir (void)
{
  return g_build_filename (g_get_user_cache_dir (), "glassbox", "tiny-linux", NULL);
}

static void
communicate_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GSubprocess *proc = G_SUBPROCESS (object);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) lines = NULL;
  Assembled *a;

  if (!g_subprocess_communicate_utf8_finish (proc, result, &out, &err, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!g_subprocess_get_if_exited (proc) || g_subprocess_get_exit_status (proc) != 0)
    {
      g_autofree char *reason = g_strstrip (g_strdup (err ? err : ""));
      int status = g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc) : -1;

      g_task_return_new_error (task, G_IO_ERROR,
                               status == 77 ? G_IO_ERROR_NOT_SUPPORTED : G_IO_ERROR_FAILED,
                               _("Could not assemble the tiny Linux: %s"),
                               *reason ? reason : _("the helper script failed"));
      return;
    }

  lines = g_strsplit (g_strstrip (out), "\n", -1);
  if (g_strv_length (lines) < 2 ||
      !g_file_test (lines[0], G_FILE_TEST_IS_REGULAR) ||
      !g_file_test (lines[1], G_FILE_TEST_IS_REGULAR))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _("Could not assemble the tiny Linux: the kernel or the initramfs is missing"));
      return;
    }

  a = g_new0 (Assembled, 1);
  a->kernel = g_strdup (lines[0]);
  a->initrd = g_strdup (lines[1]);
  g_task_return_pointer (task, a, assembled_free);
}

/**
 * gb_tiny_linux_assemble_async:
 * @out_dir: (nullable): where to build; %NULL for gb_tiny_linux_default_dir()
 *
 * Builds (or reuses) the tiny Linux's kernel and initramfs.  The first time
 * without a readable host kernel this downloads Debian's kernel package.
 */
void
gb_tiny_linux_assemble_async (const char          *out_dir,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(GBytes) script = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = out_dir ? g_strdup (out_dir) : gb_tiny_linux_default_dir ();
  g_autofree char *text = NULL;

  g_task_set_source_tag (task, gb_tiny_linux_assemble_async);

  script = g_resources_lookup_data (SCRIPT_RESOURCE, 0, &error);
  if (script == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  text = g_strndup (g_bytes_get_data (script, NULL), g_bytes_get_size (script));

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                           &error, "bash", "-c", text, "tiny-linux", dir, NULL);
  if (proc == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Cancelling stops the script, not just the wait for it. */
  if (cancellable != NULL)
    g_signal_connect_object (cancellable, "cancelled",
                             G_CALLBACK (g_subprocess_force_exit), proc,
                             G_CONNECT_SWAPPED);

  g_subprocess_communicate_utf8_async (proc, NULL, cancellable, communicate_cb,
                                       g_steal_pointer (&task));
}

gboolean
gb_tiny_linux_assemble_finish (GAsyncResult  *result,
                               char         **kernel_path,
                               char         **initrd_path,
                               GError       **error)
{
  Assembled *a = g_task_propagate_pointer (G_TASK (result), error);

  if (a == NULL)
    return FALSE;
  if (kernel_path)
    *kernel_path = g_steal_pointer (&a->kernel);
  if (initrd_path)
    *initrd_path = g_steal_pointer (&a->initrd);
  assembled_free (a);
  return TRUE;
}
