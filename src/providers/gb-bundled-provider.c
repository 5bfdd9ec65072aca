/* gb-bundled-provider.c — "This computer (Glassbox)": machines glassbox-vmm runs
 *
 * A machine is a JSON file in the machines folder (docs/vmm.md: the
 * `glassbox-vmm run --config` form plus "name" and "uuid").  Files are only
 * ever written whole (g_file_set_contents: a new file renamed into place),
 * and a file that does not parse shows as a broken machine: never dropped,
 * never rewritten.  Running machines are separate glassbox-vmm processes
 * that outlive the app; connecting finds them again through their control
 * sockets (GbBundledMachine).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "gb-bundled-machine-private.h"
#include "gb-bundled-provider.h"
#include "gb-machine-private.h"
#include "gb-creator-bundled.h"
#include "gb-provider-private.h"

G_DEFINE_ENUM_TYPE (GbKvmStatus, gb_kvm_status,
  G_DEFINE_ENUM_VALUE (GB_KVM_STATUS_OK, "ok"),
  G_DEFINE_ENUM_VALUE (GB_KVM_STATUS_MISSING, "missing"),
  G_DEFINE_ENUM_VALUE (GB_KVM_STATUS_NO_ACCESS, "no-access"),
  G_DEFINE_ENUM_VALUE (GB_KVM_STATUS_EMULATED, "emulated"))

struct _GbBundledProvider
{
  GbProvider    parent_instance;

  char         *machines_dir;
  char         *runtime_dir;
  GCancellable *cancellable;
  guint         stats_timer;
  GFileMonitor *monitor;        /* the machines folder, while connected */

  GbKvmStatus   kvm_status;
  gboolean      kvm_probed;
};

G_DEFINE_FINAL_TYPE (GbBundledProvider, gb_bundled_provider, GB_TYPE_PROVIDER)

enum {
  PROP_0,
  PROP_MACHINES_DIR,
  PROP_RUNTIME_DIR,
  PROP_KVM_STATUS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- /dev/kvm ------------------------------------------------------------ */

/* PVM ("Pagetable-based Virtual Machine") offers /dev/kvm without VT-x or
 * AMD-V: every guest instruction is emulated, about 1 µs each.  Tiny guests
 * run; a Linux kernel does not boot in reasonable time (tests/vmm/
 * test-linux-boot.c measures it with the `calibrate` guest; the module is
 * the cheaper tell). */
static gboolean
kvm_is_emulated (void)
{
  g_autofree char *modules = NULL;

  if (g_file_test ("/sys/module/kvm_pvm", G_FILE_TEST_IS_DIR))
    return TRUE;
  if (g_file_get_contents ("/proc/modules", &modules, NULL, NULL))
    return g_str_has_prefix (modules, "kvm_pvm ") || strstr (modules, "\nkvm_pvm ") != NULL;
  return FALSE;
}

static GbKvmStatus
probe_kvm (void)
{
  int fd = open ("/dev/kvm", O_RDWR | O_CLOEXEC);

  if (fd < 0)
    return errno == ENOENT || errno == ENODEV || errno == ENXIO
           ? GB_KVM_STATUS_MISSING : GB_KVM_STATUS_NO_ACCESS;
  close (fd);

  return kvm_is_emulated () ? GB_KVM_STATUS_EMULATED : GB_KVM_STATUS_OK;
}

static void
set_kvm_status (GbBundledProvider *self,
                GbKvmStatus        status)
{
  gboolean changed = !self->kvm_probed || self->kvm_status != status;

  self->kvm_status = status;
  self->kvm_probed = TRUE;
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KVM_STATUS]);
}

static void
probe_kvm_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  g_task_return_int (task, probe_kvm ());
}

static void
probe_kvm_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GbBundledProvider *self = GB_BUNDLED_PROVIDER (object);
  gssize status = g_task_propagate_int (G_TASK (result), NULL);

  if (status >= 0 && !self->kvm_probed)
    set_kvm_status (self, (GbKvmStatus) status);
}

/**
 * gb_bundled_provider_get_kvm_status:
 * @explanation: (out) (optional) (transfer none): what it means, in plain
 *   translated words
 */
GbKvmStatus
gb_bundled_provider_get_kvm_status (GbBundledProvider  *self,
                                    const char        **explanation)
{
  g_return_val_if_fail (GB_IS_BUNDLED_PROVIDER (self), GB_KVM_STATUS_MISSING);

  if (!self->kvm_probed)
    set_kvm_status (self, probe_kvm ());

  if (explanation != NULL)
    {
      switch (self->kvm_status)
        {
        case GB_KVM_STATUS_OK:
          *explanation = _("KVM is available: machines run at full speed.");
          break;
        case GB_KVM_STATUS_MISSING:
          *explanation = _("This computer offers no KVM (there is no /dev/kvm): the KVM module is not loaded, "
                           "virtualisation is turned off in the firmware, or — inside a virtual machine — "
                           "nested virtualisation is off.");
          break;
        case GB_KVM_STATUS_NO_ACCESS:
          *explanation = _("KVM is there but you may not use it: join the group “kvm” "
                           "(sudo usermod -aG kvm $USER) and log in again.");
          break;
        case GB_KVM_STATUS_EMULATED:
        default:
          *explanation = _("KVM here emulates every instruction (PVM): tiny guests run, "
                           "a Linux kernel will not boot in reasonable time here; use the QEMU connection.");
          break;
        }
    }

  return self->kvm_status;
}

/* ---- stats --------------------------------------------------------------- */

static gboolean
stats_tick (gpointer user_data)
{
  GbBundledProvider *self = user_data;
  GListModel *machines = gb_provider_get_machines (GB_PROVIDER (self));
  guint n = g_list_model_get_n_items (machines);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GbMachine) machine = g_list_model_get_item (machines, i);

      _gb_bundled_machine_sample (GB_BUNDLED_MACHINE (machine));
    }

  return G_SOURCE_CONTINUE;
}

static void
update_stats_timer (GbBundledProvider *self)
{
  guint msec = gb_provider_get_stats_interval (GB_PROVIDER (self));

  g_clear_handle_id (&self->stats_timer, g_source_remove);
  if (msec > 0 && gb_provider_get_state (GB_PROVIDER (self)) == GB_PROVIDER_STATE_CONNECTED)
    self->stats_timer = g_timeout_add (msec, stats_tick, self);
}

static void
gb_bundled_provider_stats_interval_changed (GbProvider *provider)
{
  update_stats_timer (GB_BUNDLED_PROVIDER (provider));
}

/* ---- connect -------------------------------------------------------------- */

typedef struct {
  char   *path;
  char   *contents;
  gsize   length;
  GError *error;
} MachineFile;

static void
machine_file_free (MachineFile *file)
{
  g_free (file->path);
  g_free (file->contents);
  g_clear_error (&file->error);
  g_free (file);
}

typedef struct {
  GPtrArray   *files;       /* MachineFile */
  GbKvmStatus  kvm_status;
  guint        pending;
} ConnectData;

static void
connect_data_free (ConnectData *data)
{
  g_clear_pointer (&data->files, g_ptr_array_unref);
  g_free (data);
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  const MachineFile *fa = *(MachineFile **) a;
  const MachineFile *fb = *(MachineFile **) b;

  return g_strcmp0 (fa->path, fb->path);
}

/* Off the main thread: folders, every machine file's bytes, /dev/kvm. */
static void
connect_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  GbBundledProvider *self = source_object;
  ConnectData *data = task_data;
  g_autoptr(GDir) dir = NULL;
  GError *error = NULL;
  const char *name;

  data->kvm_status = probe_kvm ();

  if (g_mkdir_with_parents (self->machines_dir, 0700) < 0)
    {
      int errsv = errno;
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (errsv),
                               _("Cannot create the machines folder %s: %s"),
                               self->machines_dir, g_strerror (errsv));
      return;
    }

  if (!(dir = g_dir_open (self->machines_dir, 0, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      MachineFile *file;

      /* g_file_set_contents' temporary files end in a random suffix. */
      if (!g_str_has_suffix (name, ".json"))
        continue;

      file = g_new0 (MachineFile, 1);
      file->path = g_build_filename (self->machines_dir, name, NULL);
      g_file_get_contents (file->path, &file->contents, &file->length, &file->error);
      g_ptr_array_add (data->files, file);
    }
  g_ptr_array_sort (data->files, compare_paths);

  g_task_return_boolean (task, TRUE);
}

static GbMachine *
find_machine_by_file (GbBundledProvider *self,
                      const char        *path)
{
  GListModel *machines = gb_provider_get_machines (GB_PROVIDER (self));
  guint n = g_list_model_get_n_items (machines);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GbMachine) machine = g_list_model_get_item (machines, i);

      if (g_strcmp0 (gb_bundled_machine_get_file (GB_BUNDLED_MACHINE (machine)), path) == 0)
        return machine;  /* the store keeps it */
    }
  return NULL;
}

static void
monitor_attach_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  _gb_bundled_machine_attach_finish (GB_BUNDLED_MACHINE (object), result);
}

/* A machine file that appeared (written by another Glassbox, a script, or
 * by hand) shows up; one that went away goes, unless its machine runs. */
static void
on_machines_dir_changed (GFileMonitor      *monitor,
                         GFile             *file,
                         GFile             *other_file,
                         GFileMonitorEvent  event,
                         gpointer           user_data)
{
  GbBundledProvider *self = user_data;
  g_autofree char *path = NULL;
  GbMachine *known;

  /* A rename into place (g_file_set_contents) names the new file second. */
  if (event == G_FILE_MONITOR_EVENT_RENAMED && other_file != NULL)
    {
      g_autofree char *old_path = g_file_get_path (file);
      GbMachine *old = find_machine_by_file (self, old_path);

      if (old != NULL && gb_machine_get_state (old) == GB_MACHINE_STATE_SHUTOFF)
        _gb_provider_remove_machine (GB_PROVIDER (self), old);
      file = other_file;
      event = G_FILE_MONITOR_EVENT_MOVED_IN;
    }

  path = g_file_get_path (file);
  if (path == NULL || !g_str_has_suffix (path, ".json"))
    return;
  known = find_machine_by_file (self, path);

  switch (event)
    {
    case G_FILE_MONITOR_EVENT_MOVED_IN:
    case G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT:
      /* A broken file that was mended is read again. */
      if (known != NULL && gb_bundled_machine_get_error (GB_BUNDLED_MACHINE (known)) != NULL)
        {
          _gb_provider_remove_machine (GB_PROVIDER (self), known);
          known = NULL;
        }
      if (known == NULL)
        {
          g_autofree char *contents = NULL;
          g_autoptr(GError) error = NULL;
          g_autoptr(GbBundledMachine) machine = NULL;
          gsize length = 0;

          /* A few hundred bytes: read here rather than in a thread. */
          g_file_get_contents (path, &contents, &length, &error);
          if (error != NULL && g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return;
          machine = _gb_bundled_machine_new (GB_PROVIDER (self), path, self->runtime_dir,
                                             contents, length, error);
          if (find_machine_by_file (self, path) != NULL ||
              (gb_bundled_machine_get_error (machine) == NULL &&
               gb_provider_find_machine (GB_PROVIDER (self), gb_machine_get_uuid (GB_MACHINE (machine))) != NULL))
            return;
          _gb_provider_add_machine (GB_PROVIDER (self), GB_MACHINE (machine));
          _gb_bundled_machine_attach_async (machine, self->cancellable, monitor_attach_cb, NULL);
        }
      break;

    case G_FILE_MONITOR_EVENT_DELETED:
    case G_FILE_MONITOR_EVENT_MOVED_OUT:
      /* A running machine stays listed: its VMM has the file open in
       * spirit (it read it) and can still be stopped from here. */
      if (known != NULL && !(gb_machine_get_state (known) == GB_MACHINE_STATE_RUNNING ||
                             gb_machine_get_state (known) == GB_MACHINE_STATE_PAUSED))
        _gb_provider_remove_machine (GB_PROVIDER (self), known);
      break;

    default:
      break;
    }
}

static void
watch_machines_dir (GbBundledProvider *self)
{
  g_autoptr(GFile) dir = g_file_new_for_path (self->machines_dir);
  g_autoptr(GError) error = NULL;

  g_clear_object (&self->monitor);
  self->monitor = g_file_monitor_directory (dir, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (self->monitor == NULL)
    {
      /* Not fatal: files added later show at the next start. */
      g_debug ("Cannot watch %s: %s", self->machines_dir, error->message);
      return;
    }
  g_signal_connect (self->monitor, "changed", G_CALLBACK (on_machines_dir_changed), self);
}

static void
connect_step_done (GTask *task)
{
  GbBundledProvider *self = g_task_get_source_object (task);
  ConnectData *data = g_task_get_task_data (task);

  if (--data->pending > 0)
    return;

  _gb_provider_set_state (GB_PROVIDER (self), GB_PROVIDER_STATE_CONNECTED);
  update_stats_timer (self);
  watch_machines_dir (self);
  g_task_return_boolean (task, TRUE);
}

static void
attach_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  _gb_bundled_machine_attach_finish (GB_BUNDLED_MACHINE (object), result);
  connect_step_done (task);
}

static void
connect_thread_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GbBundledProvider *self = GB_BUNDLED_PROVIDER (object);
  g_autoptr(GTask) task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      _gb_provider_set_error (GB_PROVIDER (self), error->message);
      _gb_provider_set_state (GB_PROVIDER (self), GB_PROVIDER_STATE_DISCONNECTED);
      g_task_return_error (task, error);
      return;
    }

  if (!self->kvm_probed)
    set_kvm_status (self, data->kvm_status);
  _gb_provider_set_error (GB_PROVIDER (self), NULL);

  /* One step more than there are machines, taken last: no machine's
   * answer completes the task before every machine has been asked. */
  data->pending = 1;
  for (guint i = 0; i < data->files->len; i++)
    {
      MachineFile *file = g_ptr_array_index (data->files, i);
      g_autoptr(GbBundledMachine) machine = NULL;

      machine = _gb_bundled_machine_new (GB_PROVIDER (self), file->path, self->runtime_dir,
                                         file->contents, file->length, file->error);
      if (gb_bundled_machine_get_error (machine) != NULL)
        g_message ("%s: %s", file->path, gb_bundled_machine_get_error (machine));
      _gb_provider_add_machine (GB_PROVIDER (self), GB_MACHINE (machine));
      data->pending++;
      _gb_bundled_machine_attach_async (machine, self->cancellable, attach_cb, g_object_ref (task));
    }
  connect_step_done (task);
}

static void
gb_bundled_provider_connect_async (GbProvider          *provider,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GbBundledProvider *self = GB_BUNDLED_PROVIDER (provider);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GTask) thread_task = NULL;
  ConnectData *data;

  g_task_set_source_tag (task, gb_bundled_provider_connect_async);

  if (gb_provider_get_state (provider) != GB_PROVIDER_STATE_DISCONNECTED)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("Already connected or connecting"));
      return;
    }

  _gb_provider_set_state (provider, GB_PROVIDER_STATE_CONNECTING);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  data = g_new0 (ConnectData, 1);
  data->files = g_ptr_array_new_with_free_func ((GDestroyNotify) machine_file_free);
  g_task_set_task_data (task, data, (GDestroyNotify) connect_data_free);

  thread_task = g_task_new (self, cancellable, connect_thread_cb, g_steal_pointer (&task));
  g_task_set_task_data (thread_task, data, NULL);
  g_task_run_in_thread (thread_task, connect_thread);
}

static gboolean
gb_bundled_provider_connect_finish (GbProvider    *provider,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Lets go of the machines; their VMMs run on. */
static void
gb_bundled_provider_disconnect (GbProvider *provider)
{
  GbBundledProvider *self = GB_BUNDLED_PROVIDER (provider);
  GListStore *store = _gb_provider_get_store (provider);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (store));

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->stats_timer, g_source_remove);
  if (self->monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->monitor, self);
      g_file_monitor_cancel (self->monitor);
      g_clear_object (&self->monitor);
    }
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GbMachine) machine = g_list_model_get_item (G_LIST_MODEL (store), i);

      _gb_bundled_machine_detach (GB_BUNDLED_MACHINE (machine));
    }
  g_list_store_remove_all (store);
  _gb_provider_set_state (provider, GB_PROVIDER_STATE_DISCONNECTED);
}

/* ---- create ---------------------------------------------------------------- */

typedef struct {
  char *path;
  char *contents;
} CreateData;

static void
create_data_free (CreateData *data)
{
  g_free (data->path);
  g_free (data->contents);
  g_free (data);
}

static void
create_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GbBundledProvider *self = source_object;
  CreateData *data = task_data;
  GError *error = NULL;

  if (g_mkdir_with_parents (self->machines_dir, 0700) < 0)
    {
      int errsv = errno;
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (errsv),
                               _("Cannot create the machines folder %s: %s"),
                               self->machines_dir, g_strerror (errsv));
      return;
    }
  if (g_file_test (data->path, G_FILE_TEST_EXISTS))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_EXISTS,
                               _("A machine file %s already exists"), data->path);
      return;
    }
  /* Atomic: a temporary file renamed into place, so a crash leaves the old
   * state or the new, never half a machine. */
  if (!g_file_set_contents_full (data->path, data->contents, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
create_thread_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GbBundledProvider *self = GB_BUNDLED_PROVIDER (object);
  g_autoptr(GTask) task = user_data;
  CreateData *data = g_task_get_task_data (task);
  g_autoptr(GbBundledMachine) machine = NULL;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }

  /* The folder monitor may have seen the file first. */
  if (find_machine_by_file (self, data->path) != NULL)
    {
      g_task_return_pointer (task, g_object_ref (find_machine_by_file (self, data->path)), g_object_unref);
      return;
    }

  machine = _gb_bundled_machine_new (GB_PROVIDER (self), data->path, self->runtime_dir,
                                     data->contents, strlen (data->contents), NULL);
  _gb_machine_set_state (GB_MACHINE (machine), GB_MACHINE_STATE_SHUTOFF);
  _gb_provider_add_machine (GB_PROVIDER (self), GB_MACHINE (machine));
  g_task_return_pointer (task, g_steal_pointer (&machine), g_object_unref);
}


/* A string member, or NULL when it is missing or not a string (a
 * hand-edited file may hold anything; no criticals for that). */
static const char *
config_string (JsonObject *object,
                const char *key)
{
  JsonNode *node = json_object_get_member (object, key);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/**
 * gb_bundled_provider_create_machine_async:
 * @config: the glassbox-vmm `--config` object plus "name"; a "uuid" is made
 *   when it has none.  Relative disk paths are relative to the machines folder.
 *
 * Writes the new machine's file atomically and adds the machine (shut off).
 * Fails, writing nothing, when another machine has that name.
 */
void
gb_bundled_provider_create_machine_async (GbBundledProvider   *self,
                                          JsonObject          *config,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autofree char *basename = NULL;
  JsonObject *object;
  const char *name;
  const char *uuid;
  CreateData *data;

  g_return_if_fail (GB_IS_BUNDLED_PROVIDER (self));
  g_return_if_fail (config != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gb_bundled_provider_create_machine_async);

  name = config_string (config, "name");
  if (name == NULL || strspn (name, " \t\n") == strlen (name))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("The machine needs a name"));
      return;
    }
  if (gb_provider_find_machine (GB_PROVIDER (self), name) != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_EXISTS,
                               _("There is already a machine called “%s” on this computer"), name);
      return;
    }

  /* A copy, so the caller's object is left as it was. */
  root = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (root, json_object_new ());
  object = json_node_get_object (root);
  {
    g_autoptr(GList) members = json_object_get_members (config);

    for (GList *l = members; l != NULL; l = l->next)
      json_object_set_member (object, l->data, json_node_copy (json_object_get_member (config, l->data)));
  }

  uuid = config_string (object, "uuid");
  if (uuid == NULL)
    {
      g_autofree char *made = g_uuid_string_random ();

      json_object_set_string_member (object, "uuid", made);
      uuid = json_object_get_string_member (object, "uuid");
    }
  else if (!g_uuid_string_is_valid (uuid))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("“%s” is not a valid UUID"), uuid);
      return;
    }
  else if (gb_provider_find_machine (GB_PROVIDER (self), uuid) != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_EXISTS,
                               _("There is already a machine with the UUID %s"), uuid);
      return;
    }

  generator = json_generator_new ();
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, root);

  basename = g_strconcat (uuid, ".json", NULL);
  data = g_new0 (CreateData, 1);
  data->path = g_build_filename (self->machines_dir, basename, NULL);
  data->contents = json_generator_to_data (generator, NULL);
  g_task_set_task_data (task, data, (GDestroyNotify) create_data_free);

  {
    g_autoptr(GTask) thread_task = g_task_new (self, cancellable, create_thread_cb, g_steal_pointer (&task));

    g_task_set_task_data (thread_task, data, NULL);
    g_task_run_in_thread (thread_task, create_thread);
  }
}

/**
 * gb_bundled_provider_create_machine_finish:
 *
 * Returns: (transfer full): the new machine, already in the provider's list
 */
GbMachine *
gb_bundled_provider_create_machine_finish (GbBundledProvider  *self,
                                           GAsyncResult       *result,
                                           GError            **error)
{
  g_return_val_if_fail (GB_IS_BUNDLED_PROVIDER (self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- GObject --------------------------------------------------------------- */

static void
gb_bundled_provider_constructed (GObject *object)
{
  GbBundledProvider *self = GB_BUNDLED_PROVIDER (object);
  g_autoptr(GTask) task = NULL;

  G_OBJECT_CLASS (gb_bundled_provider_parent_class)->constructed (object);

  if (self->machines_dir == NULL)
    self->machines_dir = g_build_filename (g_get_user_data_dir (), "glassbox", "machines", NULL);
  if (self->runtime_dir == NULL)
    self->runtime_dir = g_build_filename (g_get_user_runtime_dir (), "glassbox", NULL);

  task = g_task_new (self, NULL, probe_kvm_cb, NULL);
  g_task_run_in_thread (task, probe_kvm_thread);
}

static void
gb_bundled_provider_dispose (GObject *object)
{
  GbBundledProvider *self = GB_BUNDLED_PROVIDER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->stats_timer, g_source_remove);
  if (self->monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->monitor, self);
      g_clear_object (&self->monitor);
    }

  G_OBJECT_CLASS (gb_bundled_provider_parent_class)->dispose (object);
}

static void
gb_bundled_provider_finalize (GObject *object)
{
  GbBundledProvider *self = GB_BUNDLED_PROVIDER (object);

  g_clear_object (&self->cancellable);
  g_free (self->machines_dir);
  g_free (self->runtime_dir);

  G_OBJECT_CLASS (gb_bundled_provider_parent_class)->finalize (object);
}

static void
gb_bundled_provider_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  GbBundledProvider *self = GB_BUNDLED_PROVIDER (object);

  switch (prop_id)
    {
    case PROP_MACHINES_DIR:
      g_value_set_string (value, self->machines_dir);
      break;
    case PROP_RUNTIME_DIR:
      g_value_set_string (value, self->runtime_dir);
      break;
    case PROP_KVM_STATUS:
      g_value_set_enum (value, self->kvm_status);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_bundled_provider_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  GbBundledProvider *self = GB_BUNDLED_PROVIDER (object);

  switch (prop_id)
    {
    case PROP_MACHINES_DIR:
      self->machines_dir = g_value_dup_string (value);
      break;
    case PROP_RUNTIME_DIR:
      self->runtime_dir = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* The wizard's and New Disk's half for this provider (gb-creator-bundled.c). */
static GbCreatorBackend *
gb_bundled_provider_new_creator (GbProvider *provider)
{
  return g_object_new (GB_TYPE_CREATOR_BUNDLED, "provider", provider, NULL);
}

static void
gb_bundled_provider_class_init (GbBundledProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GbProviderClass *provider_class = GB_PROVIDER_CLASS (klass);

  object_class->constructed = gb_bundled_provider_constructed;
  object_class->dispose = gb_bundled_provider_dispose;
  object_class->finalize = gb_bundled_provider_finalize;
  object_class->get_property = gb_bundled_provider_get_property;
  object_class->set_property = gb_bundled_provider_set_property;

  provider_class->connect_async = gb_bundled_provider_connect_async;
  provider_class->connect_finish = gb_bundled_provider_connect_finish;
  provider_class->disconnect = gb_bundled_provider_disconnect;
  provider_class->stats_interval_changed = gb_bundled_provider_stats_interval_changed;
  provider_class->new_creator = gb_bundled_provider_new_creator;

  properties[PROP_MACHINES_DIR] =
    g_param_spec_string ("machines-dir", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RUNTIME_DIR] =
    g_param_spec_string ("runtime-dir", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_KVM_STATUS] =
    g_param_spec_enum ("kvm-status", NULL, NULL, GB_TYPE_KVM_STATUS, GB_KVM_STATUS_OK,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gb_bundled_provider_init (GbBundledProvider *self)
{
}

GbProvider *
gb_bundled_provider_new (void)
{
  return gb_bundled_provider_new_for_dirs (NULL, NULL);
}

/**
 * gb_bundled_provider_new_for_dirs:
 * @machines_dir: (nullable): where machine files are; %NULL for
 *   $XDG_DATA_HOME/glassbox/machines
 * @runtime_dir: (nullable): where running machines keep sockets and logs;
 *   %NULL for $XDG_RUNTIME_DIR/glassbox
 */
GbProvider *
gb_bundled_provider_new_for_dirs (const char *machines_dir,
                                  const char *runtime_dir)
{
  return g_object_new (GB_TYPE_BUNDLED_PROVIDER,
                       "title", _("This computer (Glassbox)"),
                       "uri", GB_BUNDLED_PROVIDER_URI,
                       "machines-dir", machines_dir,
                       "runtime-dir", runtime_dir,
                       NULL);
}

const char *
gb_bundled_provider_get_machines_dir (GbBundledProvider *self)
{
  g_return_val_if_fail (GB_IS_BUNDLED_PROVIDER (self), NULL);

  return self->machines_dir;
}

const char *
gb_bundled_provider_get_runtime_dir (GbBundledProvider *self)
{
  g_return_val_if_fail (GB_IS_BUNDLED_PROVIDER (self), NULL);

  return self->runtime_dir;
}
