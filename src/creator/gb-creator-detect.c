/* gb-creator-detect.c — what the guest is: libosinfo on the chosen media
 *
 * Install media (ISO 9660) and network install trees are read with
 * libosinfo; the answer, or the closest known system when the database is
 * older than the media, becomes the model's OS.  "Try a tiny Linux" is put
 * together here too (gb-tiny-linux.c).  Unknown media are never an error.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "gb-creator-osinfo.h"
#include "gb-machine-creator-private.h"
#include "gb-tiny-linux.h"

static void
detect_media_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GbMachineCreator *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(OsinfoMedia) media = osinfo_media_create_from_location_finish (result, &error);
  OsinfoDb *db = gb_osinfo_peek_db ();
  g_autoptr(OsinfoOs) os = NULL;
  gboolean detected = FALSE;

  if (media == NULL)
    {
      /* Not an ISO 9660 image at all: the wizard falls back to the list. */
      g_debug ("osinfo: %s", error->message);
    }
  else
    {
      _gb_machine_creator_set_volume_id (self, osinfo_media_get_volume_id (media));

      if (db != NULL && osinfo_db_identify_media (db, media))
        {
          os = osinfo_media_get_os (media);
          detected = os != NULL;
        }
    }

  if (os == NULL && db != NULL)
    os = gb_osinfo_find_fallback_os (db, gb_machine_creator_get_volume_id (self));

  _gb_machine_creator_set_detected_os (self, os, detected);
  g_task_return_boolean (task, detected);
}

static void
detect_tree_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GbMachineCreator *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(OsinfoTree) tree = osinfo_tree_create_from_location_finish (result, &error);
  OsinfoDb *db = gb_osinfo_peek_db ();
  g_autoptr(OsinfoOs) os = NULL;
  gboolean detected = FALSE;

  if (tree != NULL && db != NULL && osinfo_db_identify_tree (db, tree))
    {
      os = osinfo_tree_get_os (tree);
      detected = os != NULL;
      if (osinfo_tree_get_kernel_path (tree) && osinfo_tree_get_initrd_path (tree))
        {
          g_autofree char *k = g_build_path ("/", gb_machine_creator_get_source_path (self), osinfo_tree_get_kernel_path (tree), NULL);
          g_autofree char *i = g_build_path ("/", gb_machine_creator_get_source_path (self), osinfo_tree_get_initrd_path (tree), NULL);

          gb_machine_creator_set_kernel_path (self, k);
          gb_machine_creator_set_initrd_path (self, i);
        }
      /* Where the installer finds the rest of itself, e.g. inst.repo=URL. */
      if (os != NULL && osinfo_os_get_kernel_url_argument (os) != NULL &&
          (gb_machine_creator_get_kernel_cmdline (self) == NULL ||
           *gb_machine_creator_get_kernel_cmdline (self) == '\0'))
        {
          g_autofree char *cmdline = g_strdup_printf ("%s=%s", osinfo_os_get_kernel_url_argument (os),
                                                      gb_machine_creator_get_source_path (self));

          gb_machine_creator_set_kernel_cmdline (self, cmdline);
        }
    }
  if (os == NULL && db != NULL)
    os = gb_osinfo_generic_linux (db);

  _gb_machine_creator_set_detected_os (self, os, detected);
  g_task_return_boolean (task, detected);
}

/**
 * gb_machine_creator_detect_os_async:
 *
 * Reads the install media (or network tree) at #GbMachineCreator:source-path
 * with libosinfo and sets #GbMachineCreator:os.  Finishes with %TRUE when
 * the database identified it; with %FALSE when it did not, in which case
 * :os holds the closest known system (same distribution, nearest version)
 * or generic Linux.  Unknown media are never an error.
 */
void
gb_machine_creator_detect_os_async (GbMachineCreator    *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, gb_machine_creator_detect_os_async);

  if (gb_machine_creator_get_source_path (self) == NULL || !gb_machine_creator_get_ready (self))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                               _("Choose the installation media first"));
      return;
    }

  if (gb_machine_creator_get_source_kind (self) == GB_CREATOR_SOURCE_NETWORK_INSTALL)
    osinfo_tree_create_from_location_async (gb_machine_creator_get_source_path (self), G_PRIORITY_DEFAULT,
                                            cancellable, detect_tree_cb,
                                            g_steal_pointer (&task));
  else
    osinfo_media_create_from_location_async (gb_machine_creator_get_source_path (self), G_PRIORITY_DEFAULT,
                                             cancellable, detect_media_cb,
                                             g_steal_pointer (&task));
}

gboolean
gb_machine_creator_detect_os_finish (GbMachineCreator  *self,
                                     GAsyncResult      *result,
                                     GError           **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
tiny_linux_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GbMachineCreator *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *kernel = NULL;
  g_autofree char *initrd = NULL;

  if (!gb_tiny_linux_assemble_finish (result, &kernel, &initrd, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* The user may have chosen another source meanwhile (say, a kernel of
   * their own): a finished job must not overwrite that choice. */
  if (gb_machine_creator_get_source_kind (self) == GB_CREATOR_SOURCE_TINY_LINUX)
    {
      gb_machine_creator_set_kernel_path (self, kernel);
      gb_machine_creator_set_initrd_path (self, initrd);
      gb_machine_creator_set_kernel_cmdline (self, GB_TINY_LINUX_CMDLINE);
    }
  g_task_return_boolean (task, TRUE);
}

/* Builds the tiny Linux's kernel + initramfs (see gb-tiny-linux.c) and
 * points :kernel-path and :initrd-path at them. */
void
gb_machine_creator_assemble_tiny_linux_async (GbMachineCreator    *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, gb_machine_creator_assemble_tiny_linux_async);
  gb_tiny_linux_assemble_async (NULL, cancellable, tiny_linux_cb, task);
}

gboolean
gb_machine_creator_assemble_tiny_linux_finish (GbMachineCreator  *self,
                                               GAsyncResult      *result,
                                               GError           **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * gb_machine_creator_check_source_path:
 *
 * For installation media and disk images on this computer: is the path
 * there and readable? (A remote connection's files are on its host: only
 * an empty path is refused there.) Sets @error to a sentence for the user.
 */
gboolean
gb_machine_creator_check_source_path (GbMachineCreator  *self,
                                      GError           **error)
{
  GbCreatorSource kind = gb_machine_creator_get_source_kind (self);
  const char *path = gb_machine_creator_get_source_path (self);
  g_autofree char *trimmed = g_strstrip (g_strdup (path ? path : ""));
  GStatBuf st;

  if (kind != GB_CREATOR_SOURCE_INSTALL_MEDIA && kind != GB_CREATOR_SOURCE_IMPORT_DISK)
    return TRUE;

  if (*trimmed == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME,
                           kind == GB_CREATOR_SOURCE_INSTALL_MEDIA
                           ? _("Type the path of an ISO file or CD device, or choose one.")
                           : _("Type the path of a disk image, or choose one."));
      return FALSE;
    }
  if (!gb_machine_creator_get_local (self))
    return TRUE;

  if (g_stat (path, &st) != 0)
    {
      int saved = errno;

      if (saved == ENOENT || saved == ENOTDIR)
        /* Translators: %s is a file's path */
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("There is no file “%s”."), path);
      else
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                     /* Translators: %s is a file's path, then the system's reason */
                     _("“%s” cannot be opened: %s."), path, g_strerror (saved));
      return FALSE;
    }
  if (S_ISDIR (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY,
                   _("“%s” is a folder: choose a file in it."), path);
      return FALSE;
    }
  if (g_access (path, R_OK) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   _("“%s” cannot be read: permission denied."), path);
      return FALSE;
    }
  return TRUE;
}
