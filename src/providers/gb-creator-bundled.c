/* gb-creator-bundled.c — the wizard on "This computer (Glassbox)"
 *
 * Glassbox's own machines are glassbox-vmm processes on this computer.  The
 * VMM boots a Linux kernel (bzImage or PVH ELF) directly: no firmware, no
 * CD, so the sources offered are the tiny Linux, a kernel + initrd (with an
 * optional disk) and an existing disk image with a kernel.  The machine is
 * the `glassbox-vmm run --config` JSON (docs/vmm.md) plus its "name"; the
 * provider writes it into its machines folder, and a new disk is a qcow2
 * file next to it, made by Glassbox's block engine.
 *
 * Before anything is chosen the wizard says what /dev/kvm is like here
 * (missing, not accessible, or emulated as under PVM): a warning, never a
 * refusal — a machine can be made now and started elsewhere or later.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "gb-bundled-provider.h"
#include "gb-creator-bundled.h"
#include "gb-creator-libvirt.h"
#include "gb-disk-creator-libvirt.h"
#include "gb-machine.h"
#include "gb-machine-spec.h"

struct _GbCreatorBundled
{
  GbCreatorBackend  parent_instance;

  GbKvmStatus       kvm_status;
};

G_DEFINE_FINAL_TYPE (GbCreatorBundled, gb_creator_bundled, GB_TYPE_CREATOR_BACKEND)

static GbBundledProvider *
get_provider (GbCreatorBundled *self)
{
  return GB_BUNDLED_PROVIDER (gb_creator_backend_get_provider (GB_CREATOR_BACKEND (self)));
}

/* ------------------------------------------------------------------ */
/* Prepare                                                            */

static void
gb_creator_bundled_prepare_async (GbCreatorBackend    *backend,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GbCreatorBundled *self = GB_CREATOR_BUNDLED (backend);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GbCreatorHost *host = gb_creator_host_new ();
  long pages = sysconf (_SC_PHYS_PAGES);
  long page_size = sysconf (_SC_PAGESIZE);

  g_task_set_source_tag (task, gb_creator_bundled_prepare_async);

  /* Nothing here blocks for long: /dev/kvm and sysconf. */
  self->kvm_status = gb_bundled_provider_get_kvm_status (get_provider (self), NULL);
  host->accel = self->kvm_status == GB_KVM_STATUS_OK ? GB_CREATOR_ACCEL_HARDWARE : GB_CREATOR_ACCEL_EMULATED;
  if (pages > 0 && page_size > 0)
    host->memory_mib = (guint) (((guint64) pages * (guint64) page_size) >> 20);
  host->cpus = g_get_num_processors ();
  host->sources = GB_CREATOR_SOURCE_BIT (GB_CREATOR_SOURCE_TINY_LINUX) |
                  GB_CREATOR_SOURCE_BIT (GB_CREATOR_SOURCE_DIRECT_KERNEL) |
                  GB_CREATOR_SOURCE_BIT (GB_CREATOR_SOURCE_IMPORT_DISK);
  /* virtio-net on user-mode NAT (libslirp, no privileges) or a bridge on
   * this computer through qemu-bridge-helper (docs/networking.md). */
  host->networks = GB_CREATOR_NETWORK_BIT (GB_CREATOR_NETWORK_USER) |
                   GB_CREATOR_NETWORK_BIT (GB_CREATOR_NETWORK_BRIDGE);
  host->nat_available = FALSE;
  g_strfreev (host->bridges);
  host->bridges = gb_creator_list_local_bridges ();
  host->firmware_choice = FALSE;
  host->local = TRUE;
  host->storage_available = FALSE;
  host->image_folder = g_strdup (gb_bundled_provider_get_machines_dir (get_provider (self)));
  g_task_return_pointer (task, host, (GDestroyNotify) gb_creator_host_free);
}

static GbCreatorHost *
gb_creator_bundled_prepare_finish (GbCreatorBackend  *backend,
                                   GAsyncResult      *result,
                                   GError           **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
gb_creator_bundled_name_taken (GbCreatorBackend *backend,
                               const char       *name)
{
  GListModel *machines = gb_provider_get_machines (gb_creator_backend_get_provider (backend));
  guint n = g_list_model_get_n_items (machines);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GbMachine) machine = g_list_model_get_item (machines, i);

      if (g_strcmp0 (gb_machine_get_name (machine), name) == 0)
        return TRUE;
    }
  return FALSE;
}

static char *
gb_creator_bundled_describe (GbCreatorBackend *backend)
{
  GbCreatorBundled *self = GB_CREATOR_BUNDLED (backend);
  const char *title = gb_provider_get_title (gb_creator_backend_get_provider (backend));

  switch (self->kvm_status)
    {
    case GB_KVM_STATUS_OK:
      return g_strdup_printf (_("%s, with hardware virtualization (KVM)"), title);
    case GB_KVM_STATUS_EMULATED:
      return g_strdup_printf (_("%s, where KVM emulates every instruction (slow)"), title);
    case GB_KVM_STATUS_MISSING:
    case GB_KVM_STATUS_NO_ACCESS:
    default:
      return g_strdup_printf (_("%s, which cannot use KVM now"), title);
    }
}

/* The /dev/kvm diagnosis, in plain words. */
static char *
gb_creator_bundled_dup_warning (GbCreatorBackend *backend)
{
  GbCreatorBundled *self = GB_CREATOR_BUNDLED (backend);

  switch (self->kvm_status)
    {
    case GB_KVM_STATUS_MISSING:
      return g_strdup (_("This computer has no /dev/kvm: the KVM module is not loaded, or "
                         "virtualization is switched off (in the firmware settings, or — inside a "
                         "virtual machine — nested virtualization). Machines made here cannot start "
                         "until it is there."));
    case GB_KVM_STATUS_NO_ACCESS:
      return g_strdup (_("/dev/kvm is here, but you may not use it. Add yourself to the group "
                         "“kvm” and log in again; until then machines made here cannot start."));
    case GB_KVM_STATUS_EMULATED:
      return g_strdup (_("KVM on this computer emulates every guest instruction (PVM or similar): "
                         "tiny guests run, a Linux kernel will not boot in reasonable time here; "
                         "use the QEMU connection."));
    case GB_KVM_STATUS_OK:
    default:
      return NULL;
    }
}

/* ------------------------------------------------------------------ */
/* The machine                                                        */

/* qcow2 images start with "QFI\xfb"; anything else is used raw. */
static const char *
sniff_format (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) in = g_file_read (file, NULL, NULL);
  guint8 magic[4] = { 0, };

  if (in != NULL &&
      g_input_stream_read (G_INPUT_STREAM (in), magic, sizeof magic, NULL, NULL) == 4)
    return memcmp (magic, "QFI\xfb", 4) == 0 ? "qcow2" : "raw";
  return g_str_has_suffix (path, ".qcow2") ? "qcow2" : "raw";
}

static char *
planned_disk_path (GbCreatorBundled *self,
                   const GbMachineSpec *c)
{
  g_autofree char *file = g_strdup_printf ("%s.qcow2", c->name);

  return g_build_filename (gb_bundled_provider_get_machines_dir (get_provider (self)), file, NULL);
}

static JsonObject *
disk_object (const char *path,
             const char *format)
{
  JsonObject *disk = json_object_new ();

  json_object_set_string_member (disk, "path", path);
  json_object_set_string_member (disk, "format", format);
  return disk;
}

/**
 * gb_creator_bundled_build_config:
 * @new_disk_path: (nullable): the disk create made, else the new disk is
 *   referenced where it will be made
 *
 * The glassbox-vmm --config object for @choices (docs/vmm.md) with the
 * machine's "name" (and "os-id", "title" from libosinfo): kernel, initrd,
 * cmdline, memory (MiB), cpus, disks.
 * Where its sockets and logs go is the provider's business.
 */
JsonObject *
gb_creator_bundled_build_config (GbCreatorBundled  *self,
                                 const GbMachineSpec  *c,
                                 const char        *new_disk_path,
                                 GError           **error)
{
  g_autoptr(JsonObject) config = NULL;
  g_autoptr(JsonArray) disks = json_array_new ();
  g_autofree char *planned = NULL;
  GbCreatorSource kind = c->source_kind;
  const char *initrd = c->initrd_path;
  const char *cmdline = c->kernel_cmdline;

  if (!gb_machine_spec_check_source (c, error))
    return NULL;

  if (!(gb_creator_backend_get_host (GB_CREATOR_BACKEND (self))->sources & GB_CREATOR_SOURCE_BIT (kind)))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("Glassbox’s own machines start a Linux kernel directly: they cannot "
                             "boot installation media. Choose the QEMU connection for that."));
      return NULL;
    }
  /* An imported disk boots through a kernel given with it. */
  if (kind == GB_CREATOR_SOURCE_IMPORT_DISK &&
      (c->kernel_path == NULL || *c->kernel_path == '\0'))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Choose the kernel to boot with this disk"));
      return NULL;
    }

  config = json_object_new ();
  json_object_set_string_member (config, "name", c->name);
  json_object_set_string_member (config, "kernel", c->kernel_path);
  if (initrd != NULL && *initrd != '\0')
    json_object_set_string_member (config, "initrd", initrd);
  if (cmdline != NULL && *cmdline != '\0')
    json_object_set_string_member (config, "cmdline", cmdline);
  /* The OS as libosinfo names it, as the libvirt side keeps it in the
   * domain's metadata. */
  if (c->os != NULL)
    {
      OsinfoOs *os = c->os;

      json_object_set_string_member (config, "os-id", osinfo_entity_get_id (OSINFO_ENTITY (os)));
      json_object_set_string_member (config, "title", osinfo_product_get_name (OSINFO_PRODUCT (os)));
    }
  json_object_set_int_member (config, "memory", c->memory_mib);
  json_object_set_int_member (config, "cpus", c->vcpus);

  switch (c->disk_mode)
    {
    case GB_CREATOR_DISK_NEW:
      if (new_disk_path == NULL)
        new_disk_path = planned = planned_disk_path (self, c);
      json_array_add_object_element (disks, disk_object (new_disk_path, "qcow2"));
      break;
    case GB_CREATOR_DISK_EXISTING:
      json_array_add_object_element (disks, disk_object (c->disk_path,
                                                         sniff_format (c->disk_path)));
      break;
    case GB_CREATOR_DISK_NONE:
    default:
      break;
    }
  if (json_array_get_length (disks) > 0)
    json_object_set_array_member (config, "disks", g_steal_pointer (&disks));

  /* One NIC, in glassbox-vmm's JSON form of --net. */
  {
    g_autoptr(JsonArray) nics = json_array_new ();
    g_autoptr(JsonObject) nic = json_object_new ();

    switch (c->network_kind)
      {
      case GB_CREATOR_NETWORK_USER:
        json_object_set_boolean_member (nic, "user", TRUE);
        break;
      case GB_CREATOR_NETWORK_BRIDGE:
        json_object_set_string_member (nic, "bridge", c->bridge_name);
        break;
      case GB_CREATOR_NETWORK_NAT:
      case GB_CREATOR_NETWORK_NONE:
      default:
        g_clear_pointer (&nic, json_object_unref);
        break;
      }
    if (nic != NULL)
      {
        json_array_add_object_element (nics, g_steal_pointer (&nic));
        json_object_set_array_member (config, "net", g_steal_pointer (&nics));
      }
  }

  return g_steal_pointer (&config);
}

static gboolean
gb_creator_bundled_check (GbCreatorBackend  *backend,
                          const GbMachineSpec  *choices,
                          GError           **error)
{
  GbCreatorBundled *self = GB_CREATOR_BUNDLED (backend);
  g_autoptr(JsonObject) config = gb_creator_bundled_build_config (self, choices, NULL, error);

  if (config == NULL)
    return FALSE;
  /* Never overwrite: a disk of that name is someone's data. */
  if (choices->disk_mode == GB_CREATOR_DISK_NEW)
    {
      g_autofree char *planned = planned_disk_path (self, choices);

      if (g_file_test (planned, G_FILE_TEST_EXISTS))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       _("A file called “%s” exists already"), planned);
          return FALSE;
        }
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Create                                                             */

typedef struct
{
  GbMachineSpec       *choices;
  GbDiskSpec       *disk;        /* NULL: no new disk */
  char             *folder;
  char             *made_disk;
  gboolean          start;
  char             *uuid;
} CreateData;

static void
create_data_free (gpointer data)
{
  CreateData *cd = data;

  g_clear_pointer (&cd->choices, gb_machine_spec_free);
  gb_disk_spec_free (cd->disk);
  g_free (cd->folder);
  g_free (cd->made_disk);
  g_free (cd->uuid);
  g_free (cd);
}

static void
make_disk_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  CreateData *cd = task_data;
  g_autoptr(GError) error = NULL;

  cd->made_disk = gb_disk_create_in_folder_sync (NULL, cd->folder, cd->disk, cancellable, &error);
  if (cd->made_disk == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
started_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CreateData *cd = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!gb_machine_start_finish (GB_MACHINE (object), result, &error))
    {
      g_prefix_error (&error, _("The machine was created but did not start: "));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&cd->uuid), g_free);
}

static void
machine_created_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CreateData *cd = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GbMachine) machine = NULL;

  machine = gb_bundled_provider_create_machine_finish (GB_BUNDLED_PROVIDER (object), result, &error);
  if (machine == NULL)
    {
      /* The disk made for it is of no use now. */
      if (cd->made_disk != NULL)
        g_unlink (cd->made_disk);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  cd->uuid = g_strdup (gb_machine_get_uuid (machine));
  if (cd->start)
    {
      GCancellable *cancellable = g_task_get_cancellable (task);

      gb_machine_start_async (machine, cancellable, started_cb, g_steal_pointer (&task));
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&cd->uuid), g_free);
}

static void
create_machine (GTask *task)
{
  GbCreatorBundled *self = g_task_get_source_object (task);
  CreateData *cd = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) config = NULL;

  config = gb_creator_bundled_build_config (self, cd->choices, cd->made_disk, &error);
  if (config == NULL)
    {
      if (cd->made_disk != NULL)
        g_unlink (cd->made_disk);
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  gb_bundled_provider_create_machine_async (get_provider (self), config, g_task_get_cancellable (task),
                                            machine_created_cb, task);
}

static void
disk_made_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *outer = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (outer, g_steal_pointer (&error));
      g_object_unref (outer);
      return;
    }
  create_machine (outer);
}

/* A new disk first (in the machines folder, in a worker thread), then the
 * machine through the provider; the disk goes again if that fails. */
static void
gb_creator_bundled_create_async (GbCreatorBackend    *backend,
                                 const GbMachineSpec    *c,
                                 gboolean             start,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GbCreatorBundled *self = GB_CREATOR_BUNDLED (backend);
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  CreateData *cd = g_new0 (CreateData, 1);

  g_task_set_source_tag (task, gb_creator_bundled_create_async);
  cd->choices = gb_machine_spec_copy (c);
  cd->start = start;
  cd->folder = g_strdup (gb_bundled_provider_get_machines_dir (get_provider (self)));
  g_task_set_task_data (task, cd, create_data_free);

  if (c->disk_mode == GB_CREATOR_DISK_NEW)
    {
      g_autoptr(GTask) disk = g_task_new (self, cancellable, disk_made_cb, task);

      cd->disk = gb_disk_spec_new ();
      cd->disk->name = g_strdup_printf ("%s.qcow2", c->name);
      cd->disk->capacity = c->disk_size;
      cd->disk->format = GB_DISK_FORMAT_QCOW2;
      g_task_set_task_data (disk, cd, NULL);
      g_task_run_in_thread (disk, make_disk_thread);
      return;
    }
  create_machine (task);
}

static char *
gb_creator_bundled_create_finish (GbCreatorBackend  *backend,
                                  GAsyncResult      *result,
                                  GError           **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* New disks: files on this computer, next to the machines            */

static gboolean
gb_creator_bundled_disks_in_folder (GbCreatorBackend *backend)
{
  return gb_disk_folder_possible (NULL);
}

static char *
gb_creator_bundled_dup_disk_folder (GbCreatorBackend *backend)
{
  const char *machines = gb_bundled_provider_get_machines_dir (get_provider (GB_CREATOR_BUNDLED (backend)));

  /* Glassbox's own folder: there before its first machine is. */
  g_mkdir_with_parents (machines, 0700);
  return g_strdup (machines);
}

static void
gb_creator_bundled_create_disk_async (GbCreatorBackend    *backend,
                                      const char          *pool,
                                      const char          *folder,
                                      const GbDiskSpec    *spec,
                                      GbDiskProgress       progress,
                                      gpointer             progress_data,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  if (pool != NULL)
    {
      g_task_report_new_error (backend, callback, user_data, gb_creator_bundled_create_disk_async,
                               G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("There is no storage pool here."));
      return;
    }
  gb_disk_create_in_folder_async (NULL, folder, spec, progress, progress_data, cancellable, callback, user_data);
}

static void
gb_creator_bundled_class_init (GbCreatorBundledClass *klass)
{
  GbCreatorBackendClass *backend_class = GB_CREATOR_BACKEND_CLASS (klass);

  backend_class->prepare_async = gb_creator_bundled_prepare_async;
  backend_class->prepare_finish = gb_creator_bundled_prepare_finish;
  backend_class->name_taken = gb_creator_bundled_name_taken;
  backend_class->check = gb_creator_bundled_check;
  backend_class->create_async = gb_creator_bundled_create_async;
  backend_class->create_finish = gb_creator_bundled_create_finish;
  backend_class->describe = gb_creator_bundled_describe;
  backend_class->dup_warning = gb_creator_bundled_dup_warning;
  backend_class->disks_in_folder = gb_creator_bundled_disks_in_folder;
  backend_class->dup_disk_folder = gb_creator_bundled_dup_disk_folder;
  backend_class->create_disk_async = gb_creator_bundled_create_disk_async;
}

static void
gb_creator_bundled_init (GbCreatorBundled *self)
{
  self->kvm_status = GB_KVM_STATUS_OK;
}
