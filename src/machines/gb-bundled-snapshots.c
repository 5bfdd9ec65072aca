/* gb-bundled-snapshots.c — snapshots of a stopped bundled (glassbox-vmm) machine
 *
 * A machine snapshot is an internal qcow2 snapshot of the same name on each
 * of its writable disks, made by our block engine (hypervisor/block/
 * qcow2-snapshot.c, what `glassbox-img snapshot` does).  Disks only, and
 * only while the machine is off: glassbox-vmm holds the images open while
 * it runs.  The list is flat (qcow2 keeps no parent); the time is the
 * first disk's.  Each operation runs in a GTask thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gb-bundled-machine.h"
#include "gb-bundled-snapshots.h"

#ifdef HAVE_BLOCK_CREATE
#include "block.h"
#endif

/* The writable disk files, from the machine's config. */
static GStrv
writable_disks (GbMachine *machine)
{
  GbMachineConfig *config = gb_machine_get_config (machine);
  GPtrArray *disks = config ? gb_machine_config_get_disks (config) : NULL;
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  for (guint i = 0; disks != NULL && i < disks->len; i++)
    {
      const GbConfigDisk *d = g_ptr_array_index (disks, i);

      if (d->path != NULL && !d->read_only && g_strcmp0 (d->device, "cdrom") != 0)
        g_strv_builder_add (b, d->path);
    }
  return g_strv_builder_end (b);
}

gboolean
gb_bundled_snapshot_can_change (GbMachine  *machine,
                                char      **why)
{
  GbMachineConfig *config = gb_machine_get_config (machine);
  GPtrArray *disks = config ? gb_machine_config_get_disks (config) : NULL;
  g_auto(GStrv) paths = NULL;

#ifndef HAVE_BLOCK_CREATE
  if (why != NULL)
    *why = g_strdup (_("This build of Glassbox has no disk engine for snapshots."));
  return FALSE;
#else
  if (gb_machine_get_state (machine) != GB_MACHINE_STATE_SHUTOFF)
    {
      if (why != NULL)
        *why = g_strdup (_("Snapshots of machines on This computer are taken, reverted and deleted while the machine is off: glassbox-vmm holds its disks open while it runs."));
      return FALSE;
    }
  paths = writable_disks (machine);
  if (paths[0] == NULL)
    {
      if (why != NULL)
        *why = g_strdup (_("The machine has no writable disk to take a snapshot of."));
      return FALSE;
    }
  for (guint i = 0; disks != NULL && i < disks->len; i++)
    {
      const GbConfigDisk *d = g_ptr_array_index (disks, i);

      if (d->path == NULL || d->read_only)
        continue;
      if ((d->format != NULL && g_strcmp0 (d->format, "qcow2") != 0) ||
          (d->format == NULL && !g_str_has_suffix (d->path, ".qcow2")))
        {
          if (why != NULL)
            *why = g_strdup_printf (_("The disk %s is not in qcow2 format: snapshots need every disk in qcow2."), d->path);
          return FALSE;
        }
    }
  return TRUE;
#endif
}

typedef enum { OP_LIST, OP_CREATE, OP_REVERT, OP_DELETE } Op;

typedef struct {
  Op     op;
  GStrv  paths;
  char  *name;
} OpData;

static void
op_data_free (gpointer data)
{
  OpData *od = data;

  g_strfreev (od->paths);
  g_free (od->name);
  g_free (od);
}

#ifdef HAVE_BLOCK_CREATE

static BlockImage *
open_disk (const char  *path,
           gboolean     write,
           GError     **error)
{
  char *msg = NULL;
  BlockImage *img = block_open_flags (path, BLOCK_FORMAT_AUTO,
                                      BLOCK_OPEN_NO_BACKING | (write ? 0 : BLOCK_OPEN_READ_ONLY), &msg);

  if (img == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", msg ? msg : path);
      free (msg);
    }
  return img;
}

/* The names on one disk, in the table's order. */
static GPtrArray *
disk_names (const char  *path,
            GArray      *times,
            GError     **error)
{
  BlockImage *img = open_disk (path, FALSE, error);
  BlockSnapshot *list = NULL;
  GPtrArray *names;
  char *msg = NULL;
  int n = 0, ret;

  if (img == NULL)
    return NULL;
  ret = block_snapshot_list (img, &list, &n, &msg);
  block_close (img);
  if (ret < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (-ret), "%s", msg ? msg : g_strerror (-ret));
      free (msg);
      return NULL;
    }
  names = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; i < n; i++)
    {
      gint64 t = list[i].date_sec;

      g_ptr_array_add (names, g_strdup (list[i].name));
      if (times != NULL)
        g_array_append_val (times, t);
    }
  block_snapshot_list_free (list, n);
  return names;
}

static gboolean
has_name (GPtrArray  *names,
          const char *name)
{
  for (guint i = 0; i < names->len; i++)
    if (g_str_equal (names->pdata[i], name))
      return TRUE;
  return FALSE;
}

static int
run_on_disk (Op          op,
             const char *path,
             const char *name,
             GError    **error)
{
  BlockImage *img = open_disk (path, TRUE, error);
  char *msg = NULL;
  int ret;

  if (img == NULL)
    return -1;
  if (op == OP_CREATE)
    ret = block_snapshot_create (img, name, &msg);
  else if (op == OP_REVERT)
    ret = block_snapshot_apply (img, name, &msg);
  else
    ret = block_snapshot_delete (img, name, &msg);
  if (ret == 0)
    ret = block_flush (img);
  block_close (img);
  if (ret < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (-ret), "%s: %s", path, msg ? msg : g_strerror (-ret));
      free (msg);
    }
  return ret;
}

static void
op_thread (GTask        *task,
           gpointer      source_object,
           gpointer      task_data,
           GCancellable *cancellable)
{
  OpData *od = task_data;
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GPtrArray) first = NULL;
  GError *error = NULL;

  /* Every disk's names: a machine snapshot is on all of them. */
  first = disk_names (od->paths[0], times, &error);
  for (guint d = 1; first != NULL && od->paths[d] != NULL; d++)
    {
      g_autoptr(GPtrArray) names = disk_names (od->paths[d], NULL, &error);

      if (names == NULL)
        g_clear_pointer (&first, g_ptr_array_unref);
      for (guint i = 0; first != NULL && i < first->len; i++)
        if (!has_name (names, first->pdata[i]))
          {
            g_ptr_array_remove_index (first, i);
            g_array_remove_index (times, i);
            i--;
          }
    }
  if (first == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (od->op == OP_LIST)
    {
      GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) gb_snapshot_info_free);

      for (guint i = 0; i < first->len; i++)
        {
          GbSnapshotInfo *info = g_new0 (GbSnapshotInfo, 1);

          info->name = g_strdup (first->pdata[i]);
          info->description = g_strdup ("");
          info->state = g_strdup ("shutoff");
          info->creation_time = g_array_index (times, gint64, i);
          g_ptr_array_add (list, info);
        }
      g_task_return_pointer (task, list, (GDestroyNotify) g_ptr_array_unref);
      return;
    }

  if (od->op == OP_CREATE && has_name (first, od->name))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_EXISTS,
                               _("A snapshot named “%s” exists already"), od->name);
      return;
    }
  if (od->op != OP_CREATE && !has_name (first, od->name))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("There is no snapshot named “%s” on every disk"), od->name);
      return;
    }
  for (guint d = 0; od->paths[d] != NULL; d++)
    if (run_on_disk (od->op, od->paths[d], od->name, &error) < 0)
      {
        /* A half-made snapshot is taken back from the disks that have it. */
        if (od->op == OP_CREATE)
          for (guint u = 0; u < d; u++)
            run_on_disk (OP_DELETE, od->paths[u], od->name, NULL);
        g_task_return_error (task, error);
        return;
      }
  g_task_return_boolean (task, TRUE);
}

#endif

static void
run_op (GbMachine           *machine,
        Op                   op,
        const char          *name,
        GCancellable        *cancellable,
        GAsyncReadyCallback  callback,
        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (machine, cancellable, callback, user_data);
  g_autofree char *why = NULL;

  g_task_set_source_tag (task, run_op);
  if (op != OP_LIST && !gb_bundled_snapshot_can_change (machine, &why))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "%s", why);
      return;
    }
#ifndef HAVE_BLOCK_CREATE
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("This build of Glassbox has no disk engine for snapshots."));
#else
  OpData *od = g_new0 (OpData, 1);

  od->op = op;
  od->paths = writable_disks (machine);
  od->name = g_strdup (name);
  if (od->paths[0] == NULL)
    {
      op_data_free (od);
      if (op == OP_LIST)
        g_task_return_pointer (task, g_ptr_array_new_with_free_func ((GDestroyNotify) gb_snapshot_info_free),
                               (GDestroyNotify) g_ptr_array_unref);
      else
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                 _("The machine has no writable disk to take a snapshot of."));
      return;
    }
  g_task_set_task_data (task, od, op_data_free);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, op_thread);
#endif
}

void
gb_bundled_snapshots_list_async (GbMachine           *machine,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  run_op (machine, OP_LIST, NULL, cancellable, callback, user_data);
}

GPtrArray *
gb_bundled_snapshots_list_finish (GbMachine     *machine,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
gb_bundled_snapshot_create_async (GbMachine           *machine,
                                  const char          *name,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  run_op (machine, OP_CREATE, name, cancellable, callback, user_data);
}

void
gb_bundled_snapshot_revert_async (GbMachine           *machine,
                                  const char          *name,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  run_op (machine, OP_REVERT, name, cancellable, callback, user_data);
}

void
gb_bundled_snapshot_delete_async (GbMachine           *machine,
                                  const char          *name,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  run_op (machine, OP_DELETE, name, cancellable, callback, user_data);
}

gboolean
gb_bundled_snapshot_finish (GbMachine     *machine,
                            GAsyncResult  *result,
                            GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
