/* gb-bundled-clone.c — a copy of a stopped machine on This computer, with virt-clone's rules
 *
 * The machine file (docs/vmm.md) is copied as JSON and changed member by
 * member: new name, no UUID (the provider makes one), a new MAC for every
 * NIC (object or "tap=…,mac=…" string alike), no "api-socket"/"vnc-socket"
 * (the app puts them in the clone's own run folder) and no fixed VNC TCP
 * port (two machines cannot listen on one port).  Writable disks are copied
 * next to their source by gb-disk-copy.c in a GTask thread, or linked as
 * qcow2 overlays; the disk entry keeps its form (object or string) and a
 * relative path stays relative to the machines folder.  Then the provider
 * writes the new file; if that fails too, the copies are removed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "gb-bundled-clone.h"
#include "gb-bundled-provider.h"

char *
gb_bundled_clone_default_name (GbBundledMachine *self)
{
  return g_strdup_printf ("%s-clone", gb_machine_get_name (GB_MACHINE (self)));
}

typedef struct {
  JsonObject *object;        /* the clone's file, changed in the thread */
  char       *new_name;
  char       *machines_dir;
  gboolean    linked;
  GbDiskCopy *copy;
} CloneData;

static void
clone_data_free (gpointer data)
{
  CloneData *cd = data;

  json_object_unref (cd->object);
  g_free (cd->new_name);
  g_free (cd->machines_dir);
  gb_disk_copy_free (cd->copy);
  g_free (cd);
}

static gboolean
parse_on (const char *v)
{
  return g_strcmp0 (v, "on") == 0 || g_strcmp0 (v, "true") == 0 ||
         g_strcmp0 (v, "yes") == 0 || g_strcmp0 (v, "1") == 0;
}

/* The value of KEY=VALUE in a "--disk"/"--net" string, or NULL. */
static const char *
spec_value (char       **parts,
            const char  *key)
{
  gsize len = strlen (key);

  for (guint i = 0; parts[i] != NULL; i++)
    if (strncmp (parts[i], key, len) == 0 && parts[i][len] == '=')
      return parts[i] + len + 1;
  return NULL;
}

/* Sets KEY=VALUE in a split spec: replaces it, else appends it. */
static void
spec_set (GStrv       *parts,
          const char  *key,
          const char  *value)
{
  gsize len = strlen (key), n = g_strv_length (*parts);

  for (guint i = 0; i < n; i++)
    if (strncmp ((*parts)[i], key, len) == 0 && (*parts)[i][len] == '=')
      {
        g_free ((*parts)[i]);
        (*parts)[i] = g_strdup_printf ("%s=%s", key, value);
        return;
      }
  *parts = g_renew (char *, *parts, n + 2);
  (*parts)[n] = g_strdup_printf ("%s=%s", key, value);
  (*parts)[n + 1] = NULL;
}

static const char *
object_string (JsonObject *object,
               const char *key)
{
  JsonNode *node = json_object_get_member (object, key);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static void
new_macs (JsonObject *object)
{
  JsonNode *nets = json_object_get_member (object, "net");
  JsonArray *array;

  if (nets == NULL || !JSON_NODE_HOLDS_ARRAY (nets))
    return;
  array = json_node_get_array (nets);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *net = json_array_get_element (array, i);
      g_autofree char *mac = gb_disk_copy_random_mac ();

      if (JSON_NODE_HOLDS_OBJECT (net))
        json_object_set_string_member (json_node_get_object (net), "mac", mac);
      else if (JSON_NODE_HOLDS_VALUE (net) && json_node_get_value_type (net) == G_TYPE_STRING)
        {
          g_auto(GStrv) parts = g_strsplit (json_node_get_string (net), ",", -1);
          g_autofree char *spec = NULL;

          spec_set (&parts, "mac", mac);
          spec = g_strjoinv (",", parts);
          json_node_set_string (net, spec);
        }
    }
}

/* The clone's path for @dst, in the form the source used: relative paths
 * stay relative to the machines folder. */
static char *
stored_path (const char *original,
             const char *dst)
{
  g_autofree char *dir = NULL, *base = NULL;

  if (g_path_is_absolute (original))
    return g_strdup (dst);
  dir = g_path_get_dirname (original);
  base = g_path_get_basename (dst);
  if (g_str_equal (dir, "."))
    return g_steal_pointer (&base);
  return g_build_filename (dir, base, NULL);
}

static gboolean
rewrite_and_copy (CloneData     *cd,
                  GCancellable  *cancellable,
                  GError       **error)
{
  JsonObject *object = cd->object;
  JsonNode *disks = json_object_get_member (object, "disks");
  g_autoptr(GPtrArray) copies = g_ptr_array_new_with_free_func (g_free);   /* src, dst, fmt triples */
  JsonArray *array;

  json_object_set_string_member (object, "name", cd->new_name);
  json_object_remove_member (object, "uuid");
  json_object_remove_member (object, "api-socket");
  json_object_remove_member (object, "vnc-socket");
  json_object_remove_member (object, "vnc");
  new_macs (object);

  array = disks != NULL && JSON_NODE_HOLDS_ARRAY (disks) ? json_node_get_array (disks) : NULL;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *disk = json_array_get_element (array, i);
      JsonObject *disk_object = NULL;
      g_auto(GStrv) parts = NULL;
      const char *path, *format;
      g_autofree char *src = NULL, *dst = NULL, *stored = NULL;
      gboolean read_only;

      if (JSON_NODE_HOLDS_OBJECT (disk))
        {
          JsonNode *ro;

          disk_object = json_node_get_object (disk);
          path = object_string (disk_object, "path");
          format = object_string (disk_object, "format");
          ro = json_object_get_member (disk_object, "readonly");
          read_only = ro != NULL && JSON_NODE_HOLDS_VALUE (ro) &&
                      json_node_get_value_type (ro) == G_TYPE_BOOLEAN && json_node_get_boolean (ro);
        }
      else if (JSON_NODE_HOLDS_VALUE (disk) && json_node_get_value_type (disk) == G_TYPE_STRING)
        {
          parts = g_strsplit (json_node_get_string (disk), ",", -1);
          path = spec_value (parts, "path");
          format = spec_value (parts, "format");
          read_only = parse_on (spec_value (parts, "readonly"));
        }
      else
        continue;
      /* Read-only disks (installers, seeds) are shared, as virt-clone does. */
      if (read_only || path == NULL || *path == '\0')
        continue;

      src = g_path_is_absolute (path) ? g_strdup (path) : g_build_filename (cd->machines_dir, path, NULL);
      if (!g_file_test (src, G_FILE_TEST_IS_REGULAR))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       _("The disk %s does not exist, so it cannot be copied"), src);
          return FALSE;
        }
      dst = gb_disk_copy_free_path (cd->copy, src, cd->new_name, cd->linked ? ".qcow2" : NULL);
      if (dst == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, _("No free file name for the copy of %s"), src);
          return FALSE;
        }
      stored = stored_path (path, dst);
      g_ptr_array_add (copies, g_strdup (src));
      g_ptr_array_add (copies, g_strdup (dst));
      g_ptr_array_add (copies, g_strdup (format ? format : "auto"));
      if (!cd->linked)
        gb_disk_copy_count (cd->copy, src);

      /* Change the entry last: @path and @format point into it. */
      if (disk_object != NULL)
        {
          json_object_set_string_member (disk_object, "path", stored);
          if (cd->linked)
            json_object_set_string_member (disk_object, "format", "qcow2");
        }
      else
        {
          g_autofree char *spec = NULL;

          spec_set (&parts, "path", stored);
          if (cd->linked)
            spec_set (&parts, "format", "qcow2");
          spec = g_strjoinv (",", parts);
          json_node_set_string (disk, spec);
        }
    }

  gb_disk_copy_report (cd->copy, TRUE);
  for (guint i = 0; i < copies->len; i += 3)
    {
      const char *src = copies->pdata[i], *dst = copies->pdata[i + 1], *fmt = copies->pdata[i + 2];

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (cd->linked)
        {
          if (!gb_disk_copy_overlay (cd->copy, src, fmt, dst, error))
            return FALSE;
        }
      else if (!gb_disk_copy_file (cd->copy, src, dst, cancellable, error))
        return FALSE;
    }
  return TRUE;
}

static void
clone_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  CloneData *cd = task_data;
  GError *error = NULL;

  /* The last moment a cancel still undoes everything is before the file. */
  if (!rewrite_and_copy (cd, cancellable, &error) ||
      g_cancellable_set_error_if_cancelled (cancellable, &error))
    {
      gb_disk_copy_undo (cd->copy);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
create_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CloneData *cd = g_task_get_task_data (task);
  GError *error = NULL;
  GbMachine *machine;

  machine = gb_bundled_provider_create_machine_finish (GB_BUNDLED_PROVIDER (object), result, &error);
  if (machine == NULL)
    {
      gb_disk_copy_undo (cd->copy);
      g_task_return_error (task, error);
      return;
    }
  gb_disk_copy_keep (cd->copy);   /* they belong to the clone now */
  g_task_return_pointer (task, machine, g_object_unref);
}

static void
copied_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CloneData *cd = g_task_get_task_data (task);
  GbMachine *source = g_task_get_source_object (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }
  /* Not cancellable any more: the file is written or not, and the answer says which. */
  gb_bundled_provider_create_machine_async (GB_BUNDLED_PROVIDER (gb_machine_get_provider (source)),
                                            cd->object, NULL, create_cb, g_object_ref (task));
}

void
gb_bundled_machine_clone_async (GbBundledMachine     *self,
                                const char           *new_name,
                                gboolean              linked,
                                GbCloneProgressFunc   progress,
                                gpointer              progress_data,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GTask) thread_task = NULL;
  GbProvider *provider = gb_machine_get_provider (GB_MACHINE (self));
  JsonObject *json = gb_bundled_machine_get_json (self);
  g_autoptr(JsonNode) copy = NULL;
  g_autofree char *text = NULL;
  CloneData *cd;

  g_return_if_fail (GB_IS_BUNDLED_MACHINE (self));
  g_task_set_source_tag (task, gb_bundled_machine_clone_async);

  if (json == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("The machine’s file cannot be read, so it cannot be cloned"));
      return;
    }
  if (gb_machine_get_state (GB_MACHINE (self)) != GB_MACHINE_STATE_SHUTOFF)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BUSY, _("Shut the machine down before cloning it"));
      return;
    }
  /* Its disks belong with the saved RAM: a clone booting from them would
   * find file systems in the middle of writes (virt-clone refuses too). */
  if (gb_machine_get_saved_at (GB_MACHINE (self)) != 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BUSY,
                               _("The machine has a saved state: start it and shut it down before cloning it"));
      return;
    }
  if (new_name == NULL || strspn (new_name, " \t\n") == strlen (new_name))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("The clone needs a name"));
      return;
    }
  /* Refused before anything is copied (the provider checks again when it writes). */
  if (provider == NULL || gb_provider_find_machine (provider, new_name) != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_EXISTS,
                               _("A machine named “%s” exists already"), new_name);
      return;
    }

  /* A deep copy (json_node_copy shares nested objects). */
  {
    g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), json);

    text = json_to_string (node, FALSE);
  }
  copy = json_from_string (text, NULL);
  g_assert (copy != NULL && JSON_NODE_HOLDS_OBJECT (copy));

  cd = g_new0 (CloneData, 1);
  cd->object = json_node_dup_object (copy);
  cd->new_name = g_strdup (new_name);
  cd->machines_dir = g_path_get_dirname (gb_bundled_machine_get_file (self));
  cd->linked = linked;
  cd->copy = gb_disk_copy_new (progress, progress_data);
  g_task_set_task_data (task, cd, clone_data_free);
  /* The answers say what happened: copies made and a clone written before
   * a cancel arrived are reported (or undone by the thread), never hidden
   * behind "cancelled". */
  g_task_set_check_cancellable (task, FALSE);

  thread_task = g_task_new (self, cancellable, copied_cb, g_object_ref (task));
  g_task_set_check_cancellable (thread_task, FALSE);
  g_task_set_task_data (thread_task, cd, NULL);
  g_task_run_in_thread (thread_task, clone_thread);
}

GbMachine *
gb_bundled_machine_clone_finish (GbBundledMachine  *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
