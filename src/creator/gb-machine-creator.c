/* gb-machine-creator.c — what the New Machine wizard decides, without widgets
 *
 * The wizard's pages only set properties on this object.  It holds the
 * user's choices and asks libosinfo about the guest; where the machine will
 * run is the provider's business: the GbCreatorBackend the provider hands
 * out (gb_provider_new_creator(), in the core) learns that host (what it
 * boots, how fast, its storage and networks), turns the choices — as a
 * plain GbMachineSpec — into that place's machine and creates it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include "gb-creator-backend.h"
#include "gb-creator-enums.h"
#include "gb-machine-creator-private.h"
#include "gb-creator-osinfo.h"
#include "gb-tiny-linux.h"

#define MIB ((guint64) 1 << 20)
#define GIB ((guint64) 1 << 30)

struct _GbMachineCreator
{
  GObject            parent_instance;

  GbProvider        *provider;
  GbCreatorBackend  *backend;
  gboolean           ready;

  GbCreatorSource    source_kind;
  char              *source_path;
  char              *kernel_path;
  char              *initrd_path;
  char              *kernel_cmdline;
  char              *volume_id;

  OsinfoOs          *os;
  gboolean           os_detected;

  guint              memory_mib;
  guint              min_memory_mib;
  guint              vcpus;

  GbCreatorDisk      disk_mode;
  guint64            disk_size;
  char              *disk_path;       /* an existing image */
  char              *pool_name;

  GbCreatorNetwork   network_kind;
  char              *bridge_name;

  GbCreatorFirmware  firmware;
  char              *name;
  gboolean           name_suggested;  /* ours, not typed: may be replaced */
};

G_DEFINE_FINAL_TYPE (GbMachineCreator, gb_machine_creator, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PROVIDER,
  PROP_READY,
  PROP_SOURCE_KIND,
  PROP_SOURCE_PATH,
  PROP_KERNEL_PATH,
  PROP_INITRD_PATH,
  PROP_KERNEL_CMDLINE,
  PROP_VOLUME_ID,
  PROP_OS,
  PROP_OS_DETECTED,
  PROP_MEMORY_MIB,
  PROP_MIN_MEMORY_MIB,
  PROP_MAX_MEMORY_MIB,
  PROP_VCPUS,
  PROP_MAX_VCPUS,
  PROP_DISK_MODE,
  PROP_DISK_SIZE,
  PROP_DISK_PATH,
  PROP_POOL_NAME,
  PROP_DISK_VIRTIO,
  PROP_NETWORK_KIND,
  PROP_BRIDGE_NAME,
  PROP_NAT_AVAILABLE,
  PROP_FIRMWARE,
  PROP_UEFI_AVAILABLE,
  PROP_NAME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static int
compare_strings (const void *a,
                 const void *b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

static gboolean
set_string (char       **field,
            const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Pure decisions                                                     */


gboolean
gb_machine_creator_validate_name (GbMachineCreator  *self,
                                  const char        *name,
                                  GError           **error)
{
  g_return_val_if_fail (GB_IS_MACHINE_CREATOR (self), FALSE);

  if (!gb_machine_name_is_valid (name, error))
    return FALSE;

  /* What prepare learnt: no blocking call here. */
  if (gb_creator_backend_name_taken (self->backend, name))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("A machine called “%s” exists already"), name);
      return FALSE;
    }
  return TRUE;
}

static char *
suggest_name (GbMachineCreator *self)
{
  const char *base = NULL;
  g_autofree char *stem = NULL;

  if (self->source_kind == GB_CREATOR_SOURCE_TINY_LINUX)
    base = "tiny-linux";
  else if (self->os != NULL)
    base = osinfo_product_get_short_id (OSINFO_PRODUCT (self->os));
  if (base == NULL || !gb_machine_name_is_valid (base, NULL))
    base = "machine";

  stem = g_strdup (base);
  for (guint i = 2; i < 1000; i++)
    {
      if (gb_machine_creator_validate_name (self, stem, NULL))
        return g_steal_pointer (&stem);
      g_free (stem);
      stem = g_strdup_printf ("%s-%u", base, i);
    }
  return g_steal_pointer (&stem);
}

/* A name from the source and OS, unless the user typed one. */
static void
update_suggested_name (GbMachineCreator *self)
{
  g_autofree char *name = NULL;

  if (self->name != NULL && !self->name_suggested)
    return;
  name = suggest_name (self);
  gb_machine_creator_set_name (self, name);
  self->name_suggested = TRUE;
}

/* ------------------------------------------------------------------ */
/* Defaults                                                           */

guint
gb_machine_creator_get_max_memory_mib (GbMachineCreator *self)
{
  const GbCreatorHost *host = gb_creator_backend_get_host (self->backend);

  return host->memory_mib ? host->memory_mib : 4096;
}

guint
gb_machine_creator_get_max_vcpus (GbMachineCreator *self)
{
  const GbCreatorHost *host = gb_creator_backend_get_host (self->backend);

  return host->cpus ? host->cpus : 1;
}

/* libosinfo's numbers for the chosen OS, within what the host has. */
static void
apply_os_defaults (GbMachineCreator *self)
{
  GbOsResources min = { 0, }, rec = { 0, };
  guint max_mib = gb_machine_creator_get_max_memory_mib (self);
  guint max_cpus = gb_machine_creator_get_max_vcpus (self);
  guint mem;
  guint cpus;
  guint64 storage;

  g_object_freeze_notify (G_OBJECT (self));

  if (self->os != NULL)
    gb_osinfo_get_resources (self->os, gb_machine_creator_get_arch (self), &min, &rec);

  if (self->source_kind == GB_CREATOR_SOURCE_TINY_LINUX)
    {
      /* A kernel and BusyBox need very little. */
      min = (GbOsResources) { 128 * MIB, 1, 0 };
      rec = (GbOsResources) { 256 * MIB, 1, 0 };
    }

  self->min_memory_mib = min.ram > 0 ? (guint) (min.ram / MIB) : 256;
  self->min_memory_mib = MIN (self->min_memory_mib, max_mib);
  mem = rec.ram > 0 ? (guint) (rec.ram / MIB) : MAX (self->min_memory_mib, 2048);
  self->memory_mib = CLAMP (mem, self->min_memory_mib, max_mib);

  /* libosinfo rarely recommends a CPU count; two is a fair default. */
  cpus = rec.n_cpus > 0 ? (guint) rec.n_cpus : MAX ((guint) MAX (min.n_cpus, 1), 2);
  if (self->source_kind == GB_CREATOR_SOURCE_TINY_LINUX)
    cpus = 1;
  self->vcpus = CLAMP (cpus, 1, max_cpus);

  storage = rec.storage > 0 ? (guint64) rec.storage
          : min.storage > 0 ? (guint64) min.storage : 20 * GIB;
  self->disk_size = storage;

  if (self->firmware == GB_CREATOR_FIRMWARE_UEFI && !gb_machine_creator_get_uefi_available (self))
    {
      self->firmware = GB_CREATOR_FIRMWARE_BIOS;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIRMWARE]);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MIN_MEMORY_MIB]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEMORY_MIB]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VCPUS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISK_SIZE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISK_VIRTIO]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UEFI_AVAILABLE]);

  g_object_thaw_notify (G_OBJECT (self));
}

static void
apply_source_defaults (GbMachineCreator *self)
{
  GbCreatorDisk mode;

  switch (self->source_kind)
    {
    case GB_CREATOR_SOURCE_IMPORT_DISK:
      mode = GB_CREATOR_DISK_EXISTING;
      gb_machine_creator_set_disk_path (self, self->source_path);
      break;
    case GB_CREATOR_SOURCE_DIRECT_KERNEL:
    case GB_CREATOR_SOURCE_TINY_LINUX:
      mode = GB_CREATOR_DISK_NONE;
      break;
    case GB_CREATOR_SOURCE_INSTALL_MEDIA:
    case GB_CREATOR_SOURCE_NETWORK_INSTALL:
    default:
      mode = GB_CREATOR_DISK_NEW;
      break;
    }
  gb_machine_creator_set_disk_mode (self, mode);

  if (self->source_kind == GB_CREATOR_SOURCE_TINY_LINUX)
    {
      gb_machine_creator_set_kernel_cmdline (self, GB_TINY_LINUX_CMDLINE);
      if (self->ready && self->os == NULL)
        {
          OsinfoDb *db = gb_osinfo_peek_db ();
          g_autoptr(OsinfoOs) generic = db ? gb_osinfo_generic_linux (db) : NULL;

          gb_machine_creator_set_os (self, generic);
        }
    }
  apply_os_defaults (self);
  if (self->ready)
    update_suggested_name (self);
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */

static void
gb_machine_creator_finalize (GObject *object)
{
  GbMachineCreator *self = (GbMachineCreator *) object;

  g_clear_object (&self->provider);
  g_clear_object (&self->backend);
  g_clear_object (&self->os);
  g_free (self->source_path);
  g_free (self->kernel_path);
  g_free (self->initrd_path);
  g_free (self->kernel_cmdline);
  g_free (self->volume_id);
  g_free (self->disk_path);
  g_free (self->pool_name);
  g_free (self->bridge_name);
  g_free (self->name);

  G_OBJECT_CLASS (gb_machine_creator_parent_class)->finalize (object);
}

static void
gb_machine_creator_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  GbMachineCreator *self = GB_MACHINE_CREATOR (object);

  switch (prop_id)
    {
    case PROP_PROVIDER: g_value_set_object (value, self->provider); break;
    case PROP_READY: g_value_set_boolean (value, self->ready); break;
    case PROP_SOURCE_KIND: g_value_set_enum (value, self->source_kind); break;
    case PROP_SOURCE_PATH: g_value_set_string (value, self->source_path); break;
    case PROP_KERNEL_PATH: g_value_set_string (value, self->kernel_path); break;
    case PROP_INITRD_PATH: g_value_set_string (value, self->initrd_path); break;
    case PROP_KERNEL_CMDLINE: g_value_set_string (value, self->kernel_cmdline); break;
    case PROP_VOLUME_ID: g_value_set_string (value, self->volume_id); break;
    case PROP_OS: g_value_set_object (value, self->os); break;
    case PROP_OS_DETECTED: g_value_set_boolean (value, self->os_detected); break;
    case PROP_MEMORY_MIB: g_value_set_uint (value, self->memory_mib); break;
    case PROP_MIN_MEMORY_MIB: g_value_set_uint (value, self->min_memory_mib); break;
    case PROP_MAX_MEMORY_MIB: g_value_set_uint (value, gb_machine_creator_get_max_memory_mib (self)); break;
    case PROP_VCPUS: g_value_set_uint (value, self->vcpus); break;
    case PROP_MAX_VCPUS: g_value_set_uint (value, gb_machine_creator_get_max_vcpus (self)); break;
    case PROP_DISK_MODE: g_value_set_enum (value, self->disk_mode); break;
    case PROP_DISK_SIZE: g_value_set_uint64 (value, self->disk_size); break;
    case PROP_DISK_PATH: g_value_set_string (value, self->disk_path); break;
    case PROP_POOL_NAME: g_value_set_string (value, self->pool_name); break;
    case PROP_DISK_VIRTIO: g_value_set_boolean (value, gb_machine_creator_get_disk_virtio (self)); break;
    case PROP_NETWORK_KIND: g_value_set_enum (value, self->network_kind); break;
    case PROP_BRIDGE_NAME: g_value_set_string (value, self->bridge_name); break;
    case PROP_NAT_AVAILABLE: g_value_set_boolean (value, gb_machine_creator_get_nat_available (self)); break;
    case PROP_FIRMWARE: g_value_set_enum (value, self->firmware); break;
    case PROP_UEFI_AVAILABLE: g_value_set_boolean (value, gb_machine_creator_get_uefi_available (self)); break;
    case PROP_NAME: g_value_set_string (value, self->name); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_machine_creator_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  GbMachineCreator *self = GB_MACHINE_CREATOR (object);

  switch (prop_id)
    {
    case PROP_PROVIDER: gb_machine_creator_set_provider (self, g_value_get_object (value)); break;
    case PROP_SOURCE_KIND: gb_machine_creator_set_source_kind (self, g_value_get_enum (value)); break;
    case PROP_SOURCE_PATH: gb_machine_creator_set_source_path (self, g_value_get_string (value)); break;
    case PROP_KERNEL_PATH: gb_machine_creator_set_kernel_path (self, g_value_get_string (value)); break;
    case PROP_INITRD_PATH: gb_machine_creator_set_initrd_path (self, g_value_get_string (value)); break;
    case PROP_KERNEL_CMDLINE: gb_machine_creator_set_kernel_cmdline (self, g_value_get_string (value)); break;
    case PROP_OS: gb_machine_creator_set_os (self, g_value_get_object (value)); break;
    case PROP_MEMORY_MIB: gb_machine_creator_set_memory_mib (self, g_value_get_uint (value)); break;
    case PROP_VCPUS: gb_machine_creator_set_vcpus (self, g_value_get_uint (value)); break;
    case PROP_DISK_MODE: gb_machine_creator_set_disk_mode (self, g_value_get_enum (value)); break;
    case PROP_DISK_SIZE: gb_machine_creator_set_disk_size (self, g_value_get_uint64 (value)); break;
    case PROP_DISK_PATH: gb_machine_creator_set_disk_path (self, g_value_get_string (value)); break;
    case PROP_POOL_NAME: gb_machine_creator_set_pool_name (self, g_value_get_string (value)); break;
    case PROP_NETWORK_KIND: gb_machine_creator_set_network_kind (self, g_value_get_enum (value)); break;
    case PROP_BRIDGE_NAME: gb_machine_creator_set_bridge_name (self, g_value_get_string (value)); break;
    case PROP_FIRMWARE: gb_machine_creator_set_firmware (self, g_value_get_enum (value)); break;
    case PROP_NAME: gb_machine_creator_set_name (self, g_value_get_string (value)); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_machine_creator_class_init (GbMachineCreatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = gb_machine_creator_finalize;
  object_class->get_property = gb_machine_creator_get_property;
  object_class->set_property = gb_machine_creator_set_property;

  properties[PROP_PROVIDER] = g_param_spec_object ("provider", NULL, NULL, GB_TYPE_PROVIDER, rw);
  properties[PROP_READY] = g_param_spec_boolean ("ready", NULL, NULL, FALSE, ro);
  properties[PROP_SOURCE_KIND] =
    g_param_spec_enum ("source-kind", NULL, NULL, GB_TYPE_CREATOR_SOURCE,
                       GB_CREATOR_SOURCE_INSTALL_MEDIA, rw);
  properties[PROP_SOURCE_PATH] = g_param_spec_string ("source-path", NULL, NULL, NULL, rw);
  properties[PROP_KERNEL_PATH] = g_param_spec_string ("kernel-path", NULL, NULL, NULL, rw);
  properties[PROP_INITRD_PATH] = g_param_spec_string ("initrd-path", NULL, NULL, NULL, rw);
  properties[PROP_KERNEL_CMDLINE] = g_param_spec_string ("kernel-cmdline", NULL, NULL, NULL, rw);
  properties[PROP_VOLUME_ID] = g_param_spec_string ("volume-id", NULL, NULL, NULL, ro);
  properties[PROP_OS] = g_param_spec_object ("os", NULL, NULL, OSINFO_TYPE_OS, rw);
  properties[PROP_OS_DETECTED] = g_param_spec_boolean ("os-detected", NULL, NULL, FALSE, ro);
  properties[PROP_MEMORY_MIB] = g_param_spec_uint ("memory-mib", NULL, NULL, 0, G_MAXUINT, 1024, rw);
  properties[PROP_MIN_MEMORY_MIB] = g_param_spec_uint ("min-memory-mib", NULL, NULL, 0, G_MAXUINT, 256, ro);
  properties[PROP_MAX_MEMORY_MIB] = g_param_spec_uint ("max-memory-mib", NULL, NULL, 0, G_MAXUINT, 4096, ro);
  properties[PROP_VCPUS] = g_param_spec_uint ("vcpus", NULL, NULL, 1, 4096, 1, rw);
  properties[PROP_MAX_VCPUS] = g_param_spec_uint ("max-vcpus", NULL, NULL, 1, 4096, 1, ro);
  properties[PROP_DISK_MODE] =
    g_param_spec_enum ("disk-mode", NULL, NULL, GB_TYPE_CREATOR_DISK, GB_CREATOR_DISK_NEW, rw);
  properties[PROP_DISK_SIZE] = g_param_spec_uint64 ("disk-size", NULL, NULL, 0, G_MAXUINT64, 20 * GIB, rw);
  properties[PROP_DISK_PATH] = g_param_spec_string ("disk-path", NULL, NULL, NULL, rw);
  properties[PROP_POOL_NAME] = g_param_spec_string ("pool-name", NULL, NULL, NULL, rw);
  properties[PROP_DISK_VIRTIO] = g_param_spec_boolean ("disk-virtio", NULL, NULL, FALSE, ro);
  properties[PROP_NETWORK_KIND] =
    g_param_spec_enum ("network-kind", NULL, NULL, GB_TYPE_CREATOR_NETWORK, GB_CREATOR_NETWORK_NAT, rw);
  properties[PROP_BRIDGE_NAME] = g_param_spec_string ("bridge-name", NULL, NULL, NULL, rw);
  properties[PROP_NAT_AVAILABLE] = g_param_spec_boolean ("nat-available", NULL, NULL, FALSE, ro);
  properties[PROP_FIRMWARE] =
    g_param_spec_enum ("firmware", NULL, NULL, GB_TYPE_CREATOR_FIRMWARE, GB_CREATOR_FIRMWARE_BIOS, rw);
  properties[PROP_UEFI_AVAILABLE] = g_param_spec_boolean ("uefi-available", NULL, NULL, FALSE, ro);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, rw);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gb_machine_creator_init (GbMachineCreator *self)
{
  self->memory_mib = 1024;
  self->min_memory_mib = 256;
  self->vcpus = 1;
  self->disk_size = 20 * GIB;
  self->network_kind = GB_CREATOR_NETWORK_USER;
}

/**
 * gb_machine_creator_new:
 * @provider: where the machine will run; a provider the wizard supports
 *   (gb_creator_backend_supports())
 */
GbMachineCreator *
gb_machine_creator_new (GbProvider *provider)
{
  g_return_val_if_fail (gb_creator_backend_supports (provider), NULL);

  return g_object_new (GB_TYPE_MACHINE_CREATOR, "provider", provider, NULL);
}

GbProvider *
gb_machine_creator_get_provider (GbMachineCreator *self)
{
  return self->provider;
}

/**
 * gb_machine_creator_set_provider:
 *
 * Chooses another place to run.  The host facts are that place's only once
 * gb_machine_creator_prepare_async() has run again: until then
 * #GbMachineCreator:ready is %FALSE.
 */
void
gb_machine_creator_set_provider (GbMachineCreator *self,
                                 GbProvider       *provider)
{
  g_return_if_fail (GB_IS_MACHINE_CREATOR (self));
  g_return_if_fail (gb_creator_backend_supports (provider));

  if (!g_set_object (&self->provider, provider))
    return;
  g_clear_object (&self->backend);
  self->backend = gb_creator_backend_new_for_provider (provider);
  if (self->ready)
    {
      self->ready = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY]);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROVIDER]);
}

/* The place-to-run specific half (for tests and the backends' callers). */
GbCreatorBackend *
gb_machine_creator_get_backend (GbMachineCreator *self)
{
  return self->backend;
}

gboolean
gb_machine_creator_get_ready (GbMachineCreator *self)
{
  return self->ready;
}

/* ------------------------------------------------------------------ */
/* Prepare: learn about the host, off the main thread                 */

static void
prepare_db_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GbMachineCreator *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(OsinfoDb) db = gb_osinfo_load_db_finish (result, &error);

  if (db == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_task_get_task_data (task) != self->backend)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "another place to run was chosen meanwhile");
      return;
    }

  self->ready = TRUE;
  /* A source that place cannot boot: the first one it can. */
  if (!gb_machine_creator_offers_source (self, self->source_kind))
    for (GbCreatorSource k = GB_CREATOR_SOURCE_TINY_LINUX; ; k--)
      {
        if (gb_machine_creator_offers_source (self, k))
          {
            gb_machine_creator_set_source_kind (self, k);
            break;
          }
        if (k == 0)
          break;
      }
  if (self->os == NULL)
    {
      g_autoptr(OsinfoOs) generic = gb_osinfo_generic_linux (db);

      gb_machine_creator_set_os (self, generic);
    }
  else
    apply_os_defaults (self);

  update_suggested_name (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY]);
  g_task_return_boolean (task, TRUE);
}

static void
prepare_host_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GbMachineCreator *self = g_task_get_source_object (task);
  GbCreatorBackend *backend = GB_CREATOR_BACKEND (object);
  g_autoptr(GError) error = NULL;
  const GbCreatorHost *host;
  GCancellable *cancellable;

  if (!gb_creator_backend_prepare_finish (backend, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (backend != self->backend)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "another place to run was chosen meanwhile");
      return;
    }
  host = gb_creator_backend_get_host (backend);

  if (host->storage_available &&
      (self->pool_name == NULL || !g_hash_table_contains (host->pool_paths, self->pool_name)))
    {
      g_free (self->pool_name);
      self->pool_name = NULL;
      if (g_hash_table_contains (host->pool_paths, "default"))
        self->pool_name = g_strdup ("default");
      else if (g_hash_table_size (host->pool_paths) > 0)
        {
          g_auto(GStrv) pools = gb_machine_creator_list_pools (self);

          self->pool_name = g_strdup (pools[0]);
        }
      else
        self->pool_name = g_strdup ("default");   /* made at create time */
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_POOL_NAME]);
    }

  /* NAT where it is offered; else user-mode; else no network. */
  if (!gb_machine_creator_offers_network (self, self->network_kind) ||
      (self->network_kind == GB_CREATOR_NETWORK_USER && host->nat_available))
    {
      static const GbCreatorNetwork order[] = {
        GB_CREATOR_NETWORK_NAT, GB_CREATOR_NETWORK_USER, GB_CREATOR_NETWORK_NONE,
      };
      GbCreatorNetwork kind = GB_CREATOR_NETWORK_NONE;

      for (guint i = 0; i < G_N_ELEMENTS (order); i++)
        if (gb_machine_creator_offers_network (self, order[i]))
          {
            kind = order[i];
            break;
          }
      gb_machine_creator_set_network_kind (self, kind);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_MEMORY_MIB]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_VCPUS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAT_AVAILABLE]);

  cancellable = g_task_get_cancellable (task);
  gb_osinfo_load_db_async (cancellable, prepare_db_cb, g_steal_pointer (&task));
}

/**
 * gb_machine_creator_prepare_async:
 *
 * Learns the place to run (through its backend: capabilities, memory, CPUs,
 * storage, networks, existing machines) in a worker thread, and loads the
 * osinfo database.  Sets #GbMachineCreator:ready when done.
 */
void
gb_machine_creator_prepare_async (GbMachineCreator    *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, gb_machine_creator_prepare_async);
  /* Which backend this preparation is for (the place may change). */
  g_task_set_task_data (task, g_object_ref (self->backend), g_object_unref);
  gb_creator_backend_prepare_async (self->backend, cancellable, prepare_host_cb, g_steal_pointer (&task));
}

gboolean
gb_machine_creator_prepare_finish (GbMachineCreator  *self,
                                   GAsyncResult      *result,
                                   GError           **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------ */
/* Simple accessors                                                   */

GbCreatorSource
gb_machine_creator_get_source_kind (GbMachineCreator *self)
{
  return self->source_kind;
}

void
gb_machine_creator_set_source_kind (GbMachineCreator *self,
                                    GbCreatorSource   kind)
{
  g_return_if_fail (GB_IS_MACHINE_CREATOR (self));

  if (self->source_kind == kind)
    return;
  self->source_kind = kind;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOURCE_KIND]);
  apply_source_defaults (self);
}

#define STRING_ACCESSORS(field)                                               \
const char *                                                                  \
gb_machine_creator_get_##field (GbMachineCreator *self)                       \
{                                                                             \
  return self->field;                                                         \
}

STRING_ACCESSORS (source_path)
STRING_ACCESSORS (kernel_path)
STRING_ACCESSORS (initrd_path)
STRING_ACCESSORS (kernel_cmdline)
STRING_ACCESSORS (volume_id)
STRING_ACCESSORS (disk_path)
STRING_ACCESSORS (pool_name)
STRING_ACCESSORS (bridge_name)
STRING_ACCESSORS (name)

void
gb_machine_creator_set_source_path (GbMachineCreator *self,
                                    const char       *path)
{
  if (set_string (&self->source_path, path))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOURCE_PATH]);
      if (self->os_detected)
        {
          self->os_detected = FALSE;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OS_DETECTED]);
        }
      if (self->source_kind == GB_CREATOR_SOURCE_IMPORT_DISK)
        gb_machine_creator_set_disk_path (self, path);
    }
}

void
gb_machine_creator_set_kernel_path (GbMachineCreator *self,
                                    const char       *path)
{
  if (set_string (&self->kernel_path, path))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KERNEL_PATH]);
}

void
gb_machine_creator_set_initrd_path (GbMachineCreator *self,
                                    const char       *path)
{
  if (set_string (&self->initrd_path, path))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INITRD_PATH]);
}

void
gb_machine_creator_set_kernel_cmdline (GbMachineCreator *self,
                                       const char       *cmdline)
{
  if (set_string (&self->kernel_cmdline, cmdline))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KERNEL_CMDLINE]);
}

void
gb_machine_creator_set_disk_path (GbMachineCreator *self,
                                  const char       *path)
{
  if (set_string (&self->disk_path, path))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISK_PATH]);
}

void
gb_machine_creator_set_pool_name (GbMachineCreator *self,
                                  const char       *name)
{
  if (set_string (&self->pool_name, name))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_POOL_NAME]);
}

void
gb_machine_creator_set_bridge_name (GbMachineCreator *self,
                                    const char       *bridge)
{
  if (set_string (&self->bridge_name, bridge))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BRIDGE_NAME]);
}

void
gb_machine_creator_set_name (GbMachineCreator *self,
                             const char       *name)
{
  if (set_string (&self->name, name))
    {
      self->name_suggested = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
    }
}

OsinfoOs *
gb_machine_creator_get_os (GbMachineCreator *self)
{
  return self->os;
}

/**
 * gb_machine_creator_set_os:
 *
 * Chooses the guest OS (from detection or the list) and resets memory,
 * CPUs and disk size to libosinfo's recommendation for it.
 */
void
gb_machine_creator_set_os (GbMachineCreator *self,
                           OsinfoOs         *os)
{
  g_return_if_fail (GB_IS_MACHINE_CREATOR (self));

  if (!g_set_object (&self->os, os))
    return;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OS]);
  apply_os_defaults (self);
}

gboolean
gb_machine_creator_get_os_detected (GbMachineCreator *self)
{
  return self->os_detected;
}

guint
gb_machine_creator_get_memory_mib (GbMachineCreator *self)
{
  return self->memory_mib;
}

void
gb_machine_creator_set_memory_mib (GbMachineCreator *self,
                                   guint             mib)
{
  mib = CLAMP (mib, self->min_memory_mib, gb_machine_creator_get_max_memory_mib (self));
  if (self->memory_mib == mib)
    return;
  self->memory_mib = mib;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEMORY_MIB]);
}

guint
gb_machine_creator_get_min_memory_mib (GbMachineCreator *self)
{
  return self->min_memory_mib;
}

guint
gb_machine_creator_get_vcpus (GbMachineCreator *self)
{
  return self->vcpus;
}

void
gb_machine_creator_set_vcpus (GbMachineCreator *self,
                              guint             vcpus)
{
  vcpus = CLAMP (vcpus, 1, gb_machine_creator_get_max_vcpus (self));
  if (self->vcpus == vcpus)
    return;
  self->vcpus = vcpus;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VCPUS]);
}

GbCreatorDisk
gb_machine_creator_get_disk_mode (GbMachineCreator *self)
{
  return self->disk_mode;
}

void
gb_machine_creator_set_disk_mode (GbMachineCreator *self,
                                  GbCreatorDisk     mode)
{
  if (self->disk_mode == mode)
    return;
  self->disk_mode = mode;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISK_MODE]);
}

guint64
gb_machine_creator_get_disk_size (GbMachineCreator *self)
{
  return self->disk_size;
}

void
gb_machine_creator_set_disk_size (GbMachineCreator *self,
                                  guint64           bytes)
{
  if (self->disk_size == bytes)
    return;
  self->disk_size = bytes;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISK_SIZE]);
}

/* Active pools, sorted. */
GStrv
gb_machine_creator_list_pools (GbMachineCreator *self)
{
  g_autofree gpointer *keys = g_hash_table_get_keys_as_array (gb_creator_backend_get_host (self->backend)->pool_paths, NULL);
  GStrv ret = g_strdupv ((char **) keys);

  qsort (ret, g_strv_length (ret), sizeof (char *), compare_strings);
  return ret;
}

/* Paths of the volumes in the connection's active pools, sorted (as they
 * were when prepare ran). */
GStrv
gb_machine_creator_list_volumes (GbMachineCreator *self)
{
  return g_strdupv (gb_creator_backend_get_host (self->backend)->volumes);
}

/* virtio-blk when the OS's device list has a driver for it, else SATA. */
gboolean
gb_machine_creator_get_disk_virtio (GbMachineCreator *self)
{
  if (self->source_kind == GB_CREATOR_SOURCE_TINY_LINUX)
    return TRUE;
  return gb_osinfo_supports_virtio_block (self->os);
}

GbCreatorNetwork
gb_machine_creator_get_network_kind (GbMachineCreator *self)
{
  return self->network_kind;
}

void
gb_machine_creator_set_network_kind (GbMachineCreator *self,
                                     GbCreatorNetwork  kind)
{
  if (self->network_kind == kind)
    return;
  self->network_kind = kind;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NETWORK_KIND]);
}

gboolean
gb_machine_creator_get_nat_available (GbMachineCreator *self)
{
  return gb_creator_backend_get_host (self->backend)->nat_available;
}

/* The network bridges the machine can be connected to where it runs. */
GStrv
gb_machine_creator_list_bridges (GbMachineCreator *self)
{
  return g_strdupv (gb_creator_backend_get_host (self->backend)->bridges);
}

/* Whether @kind is offered where the machine runs. */
gboolean
gb_machine_creator_offers_network (GbMachineCreator *self,
                                   GbCreatorNetwork  kind)
{
  return (gb_creator_backend_get_host (self->backend)->networks & GB_CREATOR_NETWORK_BIT (kind)) != 0;
}

/* Whether the place to run can boot @kind. */
gboolean
gb_machine_creator_offers_source (GbMachineCreator *self,
                                  GbCreatorSource   kind)
{
  return (gb_creator_backend_get_host (self->backend)->sources & GB_CREATOR_SOURCE_BIT (kind)) != 0;
}

/* Whether BIOS or UEFI is a choice there (glassbox-vmm boots kernels). */
gboolean
gb_machine_creator_get_firmware_choice (GbMachineCreator *self)
{
  return gb_creator_backend_get_host (self->backend)->firmware_choice;
}

GbCreatorAccel
gb_machine_creator_get_accel (GbMachineCreator *self)
{
  return gb_creator_backend_get_host (self->backend)->accel;
}

/* One line on where the machine will run, and how fast. */
char *
gb_machine_creator_describe_host (GbMachineCreator *self)
{
  return gb_creator_backend_describe (self->backend);
}

/**
 * gb_machine_creator_dup_host_changes:
 *
 * What Create will change on the host besides defining the machine and its
 * disk (libvirt's "default" network and storage pool), in plain words, for
 * the summary; %NULL when nothing. Nothing is changed before Create.
 */
char *
gb_machine_creator_dup_host_changes (GbMachineCreator *self)
{
  const GbCreatorHost *host = gb_creator_backend_get_host (self->backend);
  g_autoptr(GString) text = g_string_new (NULL);

  if (host == NULL)
    return NULL;

  if (self->network_kind == GB_CREATOR_NETWORK_NAT && host->nat_available)
    {
      if (!host->default_network_defined)
        g_string_append (text, _("libvirt’s “default” network (NAT, 192.168.122.0/24) will be defined, "
                                 "started, and set to start with the computer."));
      else if (!host->default_network_active)
        g_string_append (text, _("libvirt’s “default” network will be started; it keeps running after "
                                 "the machine stops."));
    }

  if (self->disk_mode == GB_CREATOR_DISK_NEW && host->storage_available && self->pool_name != NULL &&
      !g_hash_table_contains (host->pool_paths, self->pool_name))
    {
      if (text->len > 0)
        g_string_append_c (text, '\n');
      /* Translators: %s is a storage pool's name, e.g. "default" */
      g_string_append_printf (text, _("The storage pool “%s” will be created or started, and set to start "
                                      "with the computer."), self->pool_name);
    }

  return text->len > 0 ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
}

/* A problem of the place to run, in plain words; NULL if there is none. */
char *
gb_machine_creator_dup_host_warning (GbMachineCreator *self)
{
  return gb_creator_backend_dup_warning (self->backend);
}

GbCreatorFirmware
gb_machine_creator_get_firmware (GbMachineCreator *self)
{
  return self->firmware;
}

void
gb_machine_creator_set_firmware (GbMachineCreator  *self,
                                 GbCreatorFirmware  firmware)
{
  if (firmware == GB_CREATOR_FIRMWARE_UEFI && !gb_machine_creator_get_uefi_available (self))
    firmware = GB_CREATOR_FIRMWARE_BIOS;
  if (self->firmware == firmware)
    return;
  self->firmware = firmware;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIRMWARE]);
}

/* UEFI needs OVMF on the host and an OS that boots with it. */
gboolean
gb_machine_creator_get_uefi_available (GbMachineCreator *self)
{
  const char *arch = gb_machine_creator_get_arch (self);

  if (!gb_machine_creator_get_firmware_choice (self) || g_strcmp0 (arch, "x86_64") != 0 ||
      !g_file_test (GB_OVMF_CODE_PATH, G_FILE_TEST_IS_REGULAR))
    return FALSE;
  return gb_osinfo_supports_efi (self->os, arch);
}

/* Why UEFI cannot be chosen, in a sentence for the user; NULL when it can. */
char *
gb_machine_creator_dup_uefi_unavailable_reason (GbMachineCreator *self)
{
  const char *arch = gb_machine_creator_get_arch (self);

  if (!gb_machine_creator_get_firmware_choice (self))
    return g_strdup (_("Not available: Glassbox starts the kernel directly, without firmware."));
  if (g_strcmp0 (arch, "x86_64") != 0)
    return g_strdup_printf (_("Not available: Glassbox’s UEFI firmware is for 64-bit PCs (x86_64), "
                              "and this connection runs %s machines."), arch);
  if (!g_file_test (GB_OVMF_CODE_PATH, G_FILE_TEST_IS_REGULAR))
    return g_strdup (_("Not available: the UEFI firmware for virtual machines (package “ovmf”) is not installed."));
  if (!gb_osinfo_supports_efi (self->os, arch))
    return g_strdup_printf (_("Not available: %s does not start with UEFI."),
                            self->os ? osinfo_product_get_name (OSINFO_PRODUCT (self->os)) : _("this system"));
  return NULL;
}

const char *
gb_machine_creator_get_arch (GbMachineCreator *self)
{
  return gb_creator_backend_get_host (self->backend)->arch;
}

/* ------------------------------------------------------------------ */
/* What detection found (gb-creator-detect.c)                         */

void
_gb_machine_creator_set_volume_id (GbMachineCreator *self,
                                   const char       *volume_id)
{
  if (set_string (&self->volume_id, volume_id))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VOLUME_ID]);
}

/* The OS the media or tree is (@detected), or the closest guess; the
 * proposed name follows it unless the user typed one. */
void
_gb_machine_creator_set_detected_os (GbMachineCreator *self,
                                     OsinfoOs         *os,
                                     gboolean          detected)
{
  self->os_detected = detected;
  gb_machine_creator_set_os (self, os);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OS_DETECTED]);
  update_suggested_name (self);
}

/* ------------------------------------------------------------------ */
/* Checking and creating                                              */

/* Whether the machine boots a kernel given to it (not a disk or a CD). */
gboolean
gb_machine_creator_uses_kernel_boot (GbMachineCreator *self)
{
  return self->source_kind == GB_CREATOR_SOURCE_DIRECT_KERNEL ||
         self->source_kind == GB_CREATOR_SOURCE_NETWORK_INSTALL ||
         self->source_kind == GB_CREATOR_SOURCE_TINY_LINUX;
}

/**
 * gb_machine_creator_dup_spec:
 *
 * Returns: (transfer full): the choices as they are now, as plain data for
 *   the provider's creation half
 */
GbMachineSpec *
gb_machine_creator_dup_spec (GbMachineCreator *self)
{
  GbMachineSpec *spec = gb_machine_spec_new ();

  spec->name = g_strdup (self->name);
  spec->os = self->os ? g_object_ref (self->os) : NULL;
  spec->source_kind = self->source_kind;
  spec->source_path = g_strdup (self->source_path);
  spec->kernel_path = g_strdup (self->kernel_path);
  spec->initrd_path = g_strdup (self->initrd_path);
  spec->kernel_cmdline = g_strdup (self->kernel_cmdline);
  spec->memory_mib = self->memory_mib;
  spec->vcpus = self->vcpus;
  spec->disk_mode = self->disk_mode;
  spec->disk_size = self->disk_size;
  spec->disk_path = g_strdup (self->disk_path);
  spec->disk_virtio = gb_machine_creator_get_disk_virtio (self);
  spec->pool_name = g_strdup (self->pool_name);
  spec->network_kind = self->network_kind;
  spec->bridge_name = g_strdup (self->bridge_name);
  spec->firmware = self->firmware;
  return spec;
}

/**
 * gb_machine_creator_dup_image_folder:
 *
 * Where a new disk goes when the place to run has no storage pools (the
 * embedded QEMU driver, Glassbox's own machines folder); libvirt also makes
 * its "default" pool there when a connection has none.
 */
char *
gb_machine_creator_dup_image_folder (GbMachineCreator *self)
{
  return g_strdup (gb_creator_backend_get_host (self->backend)->image_folder);
}

gboolean
gb_machine_creator_get_storage_available (GbMachineCreator *self)
{
  return gb_creator_backend_get_host (self->backend)->storage_available;
}

/* Whether a disk file in a folder of this computer is of use to the
 * machine: only when it runs here. */
gboolean
gb_machine_creator_get_local (GbMachineCreator *self)
{
  return gb_creator_backend_get_host (self->backend)->local;
}

/**
 * gb_machine_creator_check_source:
 *
 * Whatever the place to run: the name is valid and the chosen source has
 * what it needs (a file, a kernel, a disk).  A sentence for the user if not.
 */
gboolean
gb_machine_creator_check_source (GbMachineCreator  *self,
                                 GError           **error)
{
  g_autoptr(GbMachineSpec) spec = NULL;

  g_return_val_if_fail (GB_IS_MACHINE_CREATOR (self), FALSE);

  spec = gb_machine_creator_dup_spec (self);
  return gb_machine_spec_check_source (spec, error);
}

/**
 * gb_machine_creator_check:
 *
 * Whether the choices make a machine where it is to run: everything the
 * user chose is checked before anything is created on the host.
 */
gboolean
gb_machine_creator_check (GbMachineCreator  *self,
                          GError           **error)
{
  g_autoptr(GbMachineSpec) spec = NULL;

  g_return_val_if_fail (GB_IS_MACHINE_CREATOR (self), FALSE);

  spec = gb_machine_creator_dup_spec (self);
  return gb_machine_spec_check_source (spec, error) &&
         gb_creator_backend_check (self->backend, spec, error);
}

static void
create_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *uuid = gb_creator_backend_create_finish (GB_CREATOR_BACKEND (object), result, &error);

  if (uuid == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, uuid, g_free);
}

/**
 * gb_machine_creator_create_async:
 * @start: start the machine once it is made
 *
 * Checks the choices (name free, source complete, the backend's own
 * check), then has the backend make disk and machine without blocking.
 * The result is the new machine's UUID, as its provider will list it.
 */
void
gb_machine_creator_create_async (GbMachineCreator    *self,
                                 gboolean             start,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GbMachineSpec) spec = NULL;
  g_autoptr(GError) error = NULL;

  g_task_set_source_tag (task, gb_machine_creator_create_async);

  if (!self->ready)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                               _("The host has not been looked at yet"));
      return;
    }
  if (!gb_machine_creator_validate_name (self, self->name, &error) ||
      !gb_machine_creator_check (self, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  spec = gb_machine_creator_dup_spec (self);
  gb_creator_backend_create_async (self->backend, spec, start, cancellable, create_cb,
                                   g_steal_pointer (&task));
}

/* Returns: (transfer full): the new machine's UUID */
char *
gb_machine_creator_create_finish (GbMachineCreator  *self,
                                  GAsyncResult      *result,
                                  GError           **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
