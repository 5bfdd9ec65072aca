/* gb-bundled-edit.c — the Settings page's changes, written into a bundled
 * machine's file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A bundled machine is its JSON file (docs/vmm.md): glassbox-vmm reads it
 * when the machine starts, so every change waits for the machine to be off
 * and then applies whole — there is no "next boot" list as for libvirt.
 * The page speaks libvirt's words (GbEditState, GbMachineEdit); this file
 * turns them into the file's members: "cpus", "memory" (MiB), "kernel",
 * "initrd", "cmdline", "disks", "net".
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "gb-bundled-edit.h"

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

GbEditState *
gb_bundled_edit_load (GbBundledMachine  *machine,
                      GError           **error)
{
  JsonObject *json = gb_bundled_machine_get_json (machine);
  GbMachineConfig *config = gb_machine_get_config (GB_MACHINE (machine));
  g_autoptr(JsonGenerator) generator = NULL;
  g_autoptr(JsonNode) root = NULL;
  GbMachineState state = gb_machine_get_state (GB_MACHINE (machine));
  GbEditState *st;

  if (json == NULL || config == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The machine file cannot be read: %s"),
                   gb_bundled_machine_get_error (machine) ? gb_bundled_machine_get_error (machine) : "?");
      return NULL;
    }

  root = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (root, json);
  generator = json_generator_new ();
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, root);

  st = g_new0 (GbEditState, 1);
  st->xml = json_generator_to_data (generator, NULL);
  st->config = g_object_ref (config);
  st->running = !(state == GB_MACHINE_STATE_SHUTOFF || state == GB_MACHINE_STATE_CRASHED);
  /* No hot-plug: the maximum is what runs. */
  st->vcpus = st->max_vcpus = gb_machine_config_get_n_vcpus (config);
  st->memory_kib = st->max_memory_kib = gb_machine_config_get_memory (config) / 1024;
  st->title = g_strdup (member_string (json, "title"));
  st->kernel = g_strdup (member_string (json, "kernel"));
  st->initrd = g_strdup (member_string (json, "initrd"));
  st->cmdline = g_strdup (member_string (json, "cmdline"));
  return st;
}

/* A string member, or a JSON null (which removes it) for an empty one. */
static void
set_string_or_remove (JsonObject *changes,
                      const char *name,
                      const char *value)
{
  if (value != NULL && *value != '\0')
    json_object_set_string_member (changes, name, value);
  else
    json_object_set_null_member (changes, name);
}

static gboolean
check_file (const char  *path,
            const char  *what,
            GError     **error)
{
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return TRUE;
  /* Translators: %s is "The kernel", "The initial RAM disk" or "The disk image", then a path */
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("%s “%s” is not a file here"), what, path);
  return FALSE;
}

/* qcow2 files begin with "QFI\xfb"; anything else is taken as raw. */
static const char *
sniff_format (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) in = g_file_read (file, NULL, NULL);
  guchar magic[4] = { 0 };

  if (in != NULL &&
      g_input_stream_read (G_INPUT_STREAM (in), magic, sizeof magic, NULL, NULL) == sizeof magic &&
      memcmp (magic, "QFI\xfb", 4) == 0)
    return "qcow2";
  return "raw";
}

/* A copy of the array member @name of @json (empty when there is none).
 */
static JsonArray *
copy_array (JsonObject *json,
            const char *name)
{
  JsonNode *node = json_object_get_member (json, name);
  JsonArray *copy = json_array_new ();

  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        json_array_add_element (copy, json_node_copy (json_array_get_element (array, i)));
    }
  return copy;
}

static gboolean
disks_change (GbBundledMachine     *machine,
              const GbMachineEdit  *edit,
              JsonObject           *json,
              JsonObject           *changes,
              GError              **error)
{
  GPtrArray *disks = gb_machine_config_get_disks (gb_machine_get_config (GB_MACHINE (machine)));
  g_autoptr(JsonArray) old = copy_array (json, "disks");
  g_autoptr(JsonArray) now = json_array_new ();
  g_autoptr(GHashTable) removed = g_hash_table_new (g_str_hash, g_str_equal);
  guint n_disk = 0;

  if (edit->remove_disks->len == 0 && edit->add_disks->len == 0)
    return TRUE;
  if (edit->media->len > 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("Glassbox’s own machines have no CD/DVD drive"));
      return FALSE;
    }

  for (guint i = 0; i < edit->remove_disks->len; i++)
    g_hash_table_add (removed, g_ptr_array_index (edit->remove_disks, i));

  /* The description lists the file's disks in order, skipping entries
   * that are not disks: walk both together. */
  for (guint i = 0; i < json_array_get_length (old); i++)
    {
      JsonNode *element = json_array_get_element (old, i);
      const GbConfigDisk *disk = NULL;
      gboolean is_disk = JSON_NODE_HOLDS_OBJECT (element) ||
                         (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING);

      if (is_disk && disks != NULL && n_disk < disks->len)
        disk = g_ptr_array_index (disks, n_disk++);
      if (disk != NULL && disk->target != NULL && g_hash_table_contains (removed, disk->target))
        {
          g_hash_table_remove (removed, disk->target);
          continue;
        }
      json_array_add_element (now, json_node_copy (element));
    }
  if (g_hash_table_size (removed) > 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           _("A disk to remove is no longer in the machine file"));
      return FALSE;
    }

  for (guint i = 0; i < edit->add_disks->len; i++)
    {
      const GbEditDisk *d = g_ptr_array_index (edit->add_disks, i);
      JsonObject *o;

      if (d->path == NULL || g_strcmp0 (d->device, "cdrom") == 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("Glassbox’s own machines have no CD/DVD drive"));
          return FALSE;
        }
      if (!check_file (d->path, _("The disk image"), error))
        return FALSE;
      o = json_object_new ();
      json_object_set_string_member (o, "path", d->path);
      json_object_set_string_member (o, "format", d->format ? d->format : sniff_format (d->path));
      if (d->read_only)
        json_object_set_boolean_member (o, "readonly", TRUE);
      json_array_add_object_element (now, o);
    }

  json_object_set_array_member (changes, "disks", g_steal_pointer (&now));
  return TRUE;
}

static gboolean
nics_change (const GbMachineEdit  *edit,
             JsonObject           *json,
             JsonObject           *changes,
             GError              **error)
{
  g_autoptr(JsonArray) old = copy_array (json, "net");
  g_autoptr(JsonArray) now = json_array_new ();
  guint removed = 0;

  if (edit->remove_nics->len == 0 && edit->add_nics->len == 0)
    return TRUE;

  for (guint i = 0; i < json_array_get_length (old); i++)
    {
      JsonNode *element = json_array_get_element (old, i);
      g_autofree char *place = g_strdup_printf ("#%u", i);
      const char *mac = JSON_NODE_HOLDS_OBJECT (element) ? member_string (json_node_get_object (element), "mac") : NULL;
      gboolean remove = FALSE;

      for (guint j = 0; j < edit->remove_nics->len && !remove; j++)
        {
          const char *key = g_ptr_array_index (edit->remove_nics, j);

          remove = g_str_equal (key, place) || (mac != NULL && g_ascii_strcasecmp (key, mac) == 0);
        }
      if (remove)
        removed++;
      else
        json_array_add_element (now, json_node_copy (element));
    }
  if (removed < edit->remove_nics->len)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           _("A network interface to remove is no longer in the machine file"));
      return FALSE;
    }

  for (guint i = 0; i < edit->add_nics->len; i++)
    {
      const GbEditNic *n = g_ptr_array_index (edit->add_nics, i);
      JsonObject *o = json_object_new ();

      /* The page's "virtual network" is, here, user-mode NAT (libslirp):
       * the one network a machine gets without privileges. */
      if (g_strcmp0 (n->type, "bridge") == 0)
        json_object_set_string_member (o, "bridge", n->source);
      else
        json_object_set_boolean_member (o, "user", TRUE);
      if (n->mac != NULL && *n->mac != '\0')
        json_object_set_string_member (o, "mac", n->mac);
      json_array_add_object_element (now, o);
    }

  json_object_set_array_member (changes, "net", g_steal_pointer (&now));
  return TRUE;
}

static void
update_done (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!gb_bundled_machine_update_finish (GB_BUNDLED_MACHINE (object), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_new0 (char *, 1), (GDestroyNotify) g_strfreev);
}

void
gb_bundled_edit_apply_async (GbBundledMachine     *machine,
                             const GbMachineEdit  *edit,
                             GCancellable         *cancellable,
                             GAsyncReadyCallback   callback,
                             gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonObject) changes = json_object_new ();
  JsonObject *json;
  GError *error = NULL;

  g_return_if_fail (GB_IS_BUNDLED_MACHINE (machine));
  g_return_if_fail (edit != NULL);

  task = g_task_new (machine, cancellable, callback, user_data);
  g_task_set_source_tag (task, gb_bundled_edit_apply_async);

  json = gb_bundled_machine_get_json (machine);
  if (json == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("The machine file cannot be read: %s"),
                               gb_bundled_machine_get_error (machine) ? gb_bundled_machine_get_error (machine) : "?");
      return;
    }

  if (edit->fields & GB_EDIT_NAME)
    json_object_set_string_member (changes, "name", edit->name);
  if (edit->fields & GB_EDIT_TITLE)
    set_string_or_remove (changes, "title", edit->title);
  /* No hot-plug here: the current figure is the machine's (the page's
   * maximum rows are hidden for these machines). */
  if (edit->fields & GB_EDIT_VCPUS)
    json_object_set_int_member (changes, "cpus", edit->vcpus);
  if (edit->fields & GB_EDIT_MEMORY)
    json_object_set_int_member (changes, "memory", edit->memory_kib / 1024);
  if (edit->fields & GB_EDIT_KERNEL)
    {
      if (edit->kernel == NULL || *edit->kernel == '\0')
        {
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                   _("The machine needs a kernel to start"));
          return;
        }
      if (!check_file (edit->kernel, _("The kernel"), &error) ||
          (edit->initrd && *edit->initrd && !check_file (edit->initrd, _("The initial RAM disk"), &error)))
        {
          g_task_return_error (task, error);
          return;
        }
      json_object_set_string_member (changes, "kernel", edit->kernel);
      set_string_or_remove (changes, "initrd", edit->initrd);
      set_string_or_remove (changes, "cmdline", edit->cmdline);
    }
  if ((edit->fields & ~(GB_EDIT_NAME | GB_EDIT_TITLE | GB_EDIT_VCPUS | GB_EDIT_MEMORY | GB_EDIT_KERNEL)) != 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("Glassbox’s own machines cannot change that"));
      return;
    }
  if (!disks_change (machine, edit, json, changes, &error) || !nics_change (edit, json, changes, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  gb_bundled_machine_update_async (machine, changes, cancellable, update_done, g_steal_pointer (&task));
}

GStrv
gb_bundled_edit_apply_finish (GbBundledMachine  *machine,
                              GAsyncResult      *result,
                              GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, machine), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
