/* gb-machine-creator.c — what the New Machine wizard decides, without widgets
 *
 * The wizard's pages only set properties on this object; it knows the host
 * (capabilities, memory, CPUs, pools, networks — fetched once, off the main
 * thread), asks libosinfo about the guest, turns the choices into a
 * libvirt-gconfig domain, and creates disk + domain without blocking.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "gb-creator-enums.h"
#include "gb-disk-creator.h"
#include "gb-libvirt-autoptr.h"
#include "gb-machine-creator.h"
#include "gb-creator-osinfo.h"
#include "gb-tiny-linux.h"

#define MIB ((guint64) 1 << 20)
#define GIB ((guint64) 1 << 30)

struct _GbMachineCreator
{
  GObject            parent_instance;

  GVirConnection    *connection;
  gboolean           ready;

  /* Host facts, from prepare. */
  GVirConfigDomainVirtType virt_type;
  char              *arch;
  guint              host_memory_mib;
  guint              host_cpus;
  GHashTable        *pool_paths;      /* pool name → target dir ("" unknown) */
  GStrv              volumes;         /* paths of the volumes in those pools */
  gboolean           nat_available;
  gboolean           storage_available;  /* the driver has storage pools */
  char              *embed_root;      /* qemu:///embed?root=… */

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
  char              *new_disk_path;   /* the new volume, once create made it */
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
  PROP_CONNECTION,
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

static void
set_libvirt_error (GError     **error,
                   const char  *what)
{
  virErrorPtr e = virGetLastError ();

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", what,
               e && e->message ? e->message : _("unknown libvirt error"));
}

/* ------------------------------------------------------------------ */
/* Pure decisions                                                     */

/**
 * gb_machine_creator_caps_have_hw_virt:
 *
 * Whether the host CPU in @caps has VT-x or AMD-V.  /dev/kvm alone is not
 * enough: under PVM (software nested virtualisation) libvirt still offers
 * "kvm", but a stock kernel cannot boot there.
 */
gboolean
gb_machine_creator_caps_have_hw_virt (GVirConfigCapabilities *caps)
{
  g_autoptr(GVirConfigCapabilitiesHost) host = gvir_config_capabilities_get_host (caps);
  g_autoptr(GVirConfigCapabilitiesCpu) cpu = NULL;
  GList *features;
  gboolean found = FALSE;

  if (host == NULL || (cpu = gvir_config_capabilities_host_get_cpu (host)) == NULL)
    return FALSE;

  features = gvir_config_capabilities_cpu_get_features (cpu);
  for (GList *l = features; l; l = l->next)
    {
      const char *name = gvir_config_capabilities_cpu_feature_get_name (l->data);

      if (g_strcmp0 (name, "vmx") == 0 || g_strcmp0 (name, "svm") == 0)
        found = TRUE;
    }
  g_list_free_full (features, g_object_unref);

  return found;
}

static gboolean
guest_arch_offers (GVirConfigCapabilities   *caps,
                   const char               *arch_name,
                   GVirConfigDomainVirtType  type,
                   gboolean                  any_type,
                   GVirConfigDomainVirtType *first_type)
{
  GList *guests = gvir_config_capabilities_get_guests (caps);
  gboolean found = FALSE;

  for (GList *g = guests; g && !found; g = g->next)
    {
      g_autoptr(GVirConfigCapabilitiesGuestArch) arch = gvir_config_capabilities_guest_get_arch (g->data);
      GList *domains;

      if (gvir_config_capabilities_guest_get_os_type (g->data) != GVIR_CONFIG_DOMAIN_OS_TYPE_HVM)
        continue;
      if (arch == NULL || g_strcmp0 (gvir_config_capabilities_guest_arch_get_name (arch), arch_name) != 0)
        continue;

      domains = gvir_config_capabilities_guest_arch_get_domains (arch);
      for (GList *d = domains; d; d = d->next)
        {
          GVirConfigDomainVirtType t = gvir_config_capabilities_guest_domain_get_virt_type (d->data);

          if (any_type || t == type)
            {
              if (first_type)
                *first_type = t;
              found = TRUE;
              break;
            }
        }
      g_list_free_full (domains, g_object_unref);
    }
  g_list_free_full (guests, g_object_unref);

  return found;
}

/**
 * gb_machine_creator_choose_virt_type:
 * @host_has_hw_virt: what gb_machine_creator_caps_have_hw_virt() says
 *
 * 'kvm' only when libvirt offers it for @arch AND the host has hardware
 * virtualisation; else 'qemu' (TCG) when offered; else whatever the
 * driver offers (the test driver only knows 'test').
 */
GVirConfigDomainVirtType
gb_machine_creator_choose_virt_type (GVirConfigCapabilities *caps,
                                     const char             *arch,
                                     gboolean                host_has_hw_virt)
{
  GVirConfigDomainVirtType first = GVIR_CONFIG_DOMAIN_VIRT_QEMU;

  if (host_has_hw_virt &&
      guest_arch_offers (caps, arch, GVIR_CONFIG_DOMAIN_VIRT_KVM, FALSE, NULL))
    return GVIR_CONFIG_DOMAIN_VIRT_KVM;
  if (guest_arch_offers (caps, arch, GVIR_CONFIG_DOMAIN_VIRT_QEMU, FALSE, NULL))
    return GVIR_CONFIG_DOMAIN_VIRT_QEMU;
  if (guest_arch_offers (caps, arch, 0, TRUE, &first) && first != GVIR_CONFIG_DOMAIN_VIRT_KVM)
    return first;
  return GVIR_CONFIG_DOMAIN_VIRT_QEMU;
}

/* x86_64 when the host runs it, else the first hvm architecture offered. */
const char *
gb_machine_creator_choose_arch (GVirConfigCapabilities *caps)
{
  static const char *preferred[] = { "x86_64", "i686", NULL };

  for (guint i = 0; preferred[i]; i++)
    if (guest_arch_offers (caps, preferred[i], 0, TRUE, NULL))
      return preferred[i];
  return "x86_64";
}

/**
 * gb_machine_name_is_valid:
 *
 * A machine name becomes file names on the host, so: 1–64 characters,
 * ASCII letters, digits, and "-", "_", ".", "+", starting with a letter or
 * a digit.
 */
gboolean
gb_machine_name_is_valid (const char  *name,
                          GError     **error)
{
  if (name == NULL || *name == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Give the machine a name"));
      return FALSE;
    }
  if (strlen (name) > 64)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The name can be at most 64 characters long"));
      return FALSE;
    }
  if (!g_ascii_isalnum (name[0]))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The name must start with a letter or a digit"));
      return FALSE;
    }
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr ("-_.+", *p) == NULL)
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                     _("Use only letters, digits, “-”, “_”, “.” and “+” (not “%c”)"),
                     g_ascii_isprint (*p) ? *p : '?');
        return FALSE;
      }
  return TRUE;
}

gboolean
gb_machine_creator_validate_name (GbMachineCreator  *self,
                                  const char        *name,
                                  GError           **error)
{
  g_autoptr(GVirDomain) existing = NULL;

  g_return_val_if_fail (GB_IS_MACHINE_CREATOR (self), FALSE);

  if (!gb_machine_name_is_valid (name, error))
    return FALSE;

  /* The cached list from prepare: no libvirt call here. */
  if (gvir_connection_is_open (self->connection))
    existing = gvir_connection_find_domain_by_name (self->connection, name);
  if (existing != NULL)
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
  return self->host_memory_mib ? self->host_memory_mib : 4096;
}

guint
gb_machine_creator_get_max_vcpus (GbMachineCreator *self)
{
  return self->host_cpus ? self->host_cpus : 1;
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
    gb_osinfo_get_resources (self->os, self->arch ? self->arch : "x86_64", &min, &rec);

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

  g_clear_object (&self->connection);
  g_clear_object (&self->os);
  g_clear_pointer (&self->pool_paths, g_hash_table_unref);
  g_clear_pointer (&self->volumes, g_strfreev);
  g_free (self->arch);
  g_free (self->embed_root);
  g_free (self->source_path);
  g_free (self->kernel_path);
  g_free (self->initrd_path);
  g_free (self->kernel_cmdline);
  g_free (self->volume_id);
  g_free (self->disk_path);
  g_free (self->new_disk_path);
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
    case PROP_CONNECTION: g_value_set_object (value, self->connection); break;
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
    case PROP_NAT_AVAILABLE: g_value_set_boolean (value, self->nat_available); break;
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
    case PROP_CONNECTION: self->connection = g_value_dup_object (value); break;
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

  properties[PROP_CONNECTION] =
    g_param_spec_object ("connection", NULL, NULL, GVIR_TYPE_CONNECTION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
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
  self->virt_type = GVIR_CONFIG_DOMAIN_VIRT_QEMU;
  self->arch = g_strdup ("x86_64");
  self->pool_paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->memory_mib = 1024;
  self->min_memory_mib = 256;
  self->vcpus = 1;
  self->disk_size = 20 * GIB;
  self->network_kind = GB_CREATOR_NETWORK_USER;
}

/**
 * gb_machine_creator_new:
 * @connection: the libvirt connection the machine will be created on; it
 *   may still be closed (prepare opens it)
 */
GbMachineCreator *
gb_machine_creator_new (GVirConnection *connection)
{
  g_return_val_if_fail (GVIR_IS_CONNECTION (connection), NULL);

  return g_object_new (GB_TYPE_MACHINE_CREATOR, "connection", connection, NULL);
}

GVirConnection *
gb_machine_creator_get_connection (GbMachineCreator *self)
{
  return self->connection;
}

gboolean
gb_machine_creator_get_ready (GbMachineCreator *self)
{
  return self->ready;
}

/* ------------------------------------------------------------------ */
/* Prepare: learn about the host, off the main thread                 */

typedef struct
{
  GVirConfigCapabilities *caps;
  guint64                 memory_kib;
  guint                   cpus;
  GHashTable             *pool_paths;
  GPtrArray              *volumes;
  gboolean                nat_available;
  gboolean                storage_available;
} HostFacts;

static void
host_facts_free (gpointer data)
{
  HostFacts *f = data;

  g_clear_object (&f->caps);
  g_clear_pointer (&f->pool_paths, g_hash_table_unref);
  g_clear_pointer (&f->volumes, g_ptr_array_unref);
  g_free (f);
}

static void
prepare_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  GVirConnection *conn = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVirNodeInfo) node = NULL;
  HostFacts *f;
  GList *pools;

  if (!gvir_connection_is_open (conn) && !gvir_connection_open (conn, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!gvir_connection_fetch_domains (conn, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  f = g_new0 (HostFacts, 1);
  f->pool_paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  f->volumes = g_ptr_array_new_with_free_func (g_free);

  f->caps = gvir_connection_get_capabilities (conn, &error);
  if (f->caps == NULL)
    {
      host_facts_free (f);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  node = gvir_connection_get_node_info (conn, NULL);
  if (node != NULL)
    {
      f->memory_kib = node->memory;
      f->cpus = node->cpus;
    }

  /* Drivers without storage or networks (the embedded QEMU driver) are
   * fine: the wizard then offers folders and user-mode networking. */
  f->storage_available = gvir_connection_fetch_storage_pools (conn, cancellable, NULL);
  if (f->storage_available)
    {
      pools = gvir_connection_get_storage_pools (conn);
      for (GList *l = pools; l; l = l->next)
        {
          char *path = gvir_storage_pool_get_active (l->data)
                       ? gb_storage_pool_get_path (l->data) : NULL;

          if (gvir_storage_pool_get_active (l->data))
            {
              GList *vols;

              g_hash_table_insert (f->pool_paths,
                                   g_strdup (gvir_storage_pool_get_name (l->data)),
                                   path ? path : g_strdup (""));

              /* The disks already there, for "use an existing disk". */
              if (!gvir_storage_pool_refresh (l->data, cancellable, NULL))
                continue;
              vols = gvir_storage_pool_get_volumes (l->data);
              for (GList *v = vols; v; v = v->next)
                {
                  const char *vol_path = gvir_storage_vol_get_path (v->data, NULL);

                  if (vol_path != NULL)
                    g_ptr_array_add (f->volumes, g_strdup (vol_path));
                }
              g_list_free_full (vols, g_object_unref);
            }
        }
      g_list_free_full (pools, g_object_unref);
    }

  f->nat_available = gvir_connection_fetch_networks (conn, cancellable, NULL);

  g_task_return_pointer (task, f, host_facts_free);
}

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

  self->ready = TRUE;
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
  g_autoptr(GError) error = NULL;
  HostFacts *f = g_task_propagate_pointer (G_TASK (result), &error);
  GCancellable *cancellable;
  const char *uri;

  if (f == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_free (self->arch);
  self->arch = g_strdup (gb_machine_creator_choose_arch (f->caps));
  self->virt_type = gb_machine_creator_choose_virt_type (f->caps, self->arch,
                                                         gb_machine_creator_caps_have_hw_virt (f->caps));
  self->host_memory_mib = (guint) (f->memory_kib / 1024);
  self->host_cpus = f->cpus;
  g_hash_table_unref (self->pool_paths);
  self->pool_paths = g_steal_pointer (&f->pool_paths);
  self->nat_available = f->nat_available;
  self->storage_available = f->storage_available;
  g_ptr_array_sort (f->volumes, compare_strings);
  g_ptr_array_add (f->volumes, NULL);
  g_strfreev (self->volumes);
  self->volumes = (GStrv) g_ptr_array_steal (f->volumes, NULL);
  host_facts_free (f);

  uri = gvir_connection_get_uri (self->connection);
  if (uri != NULL && g_str_has_prefix (uri, "qemu:///embed"))
    {
      const char *root = strstr (uri, "root=");

      if (root != NULL)
        {
          self->embed_root = g_uri_unescape_string (root + 5, NULL);
          if (self->embed_root && strchr (self->embed_root, '&'))
            *strchr (self->embed_root, '&') = '\0';
        }
    }

  if (self->pool_name == NULL)
    {
      if (g_hash_table_contains (self->pool_paths, "default"))
        self->pool_name = g_strdup ("default");
      else if (g_hash_table_size (self->pool_paths) > 0)
        {
          GHashTableIter iter;
          gpointer key;

          g_hash_table_iter_init (&iter, self->pool_paths);
          if (g_hash_table_iter_next (&iter, &key, NULL))
            self->pool_name = g_strdup (key);
        }
      else
        self->pool_name = g_strdup ("default");   /* made at create time */
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_POOL_NAME]);
    }

  if (self->network_kind == GB_CREATOR_NETWORK_USER && self->nat_available)
    gb_machine_creator_set_network_kind (self, GB_CREATOR_NETWORK_NAT);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_MEMORY_MIB]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_VCPUS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAT_AVAILABLE]);

  cancellable = g_task_get_cancellable (task);
  gb_osinfo_load_db_async (cancellable, prepare_db_cb, g_steal_pointer (&task));
}

/**
 * gb_machine_creator_prepare_async:
 *
 * Opens the connection if needed, learns the host (capabilities, memory,
 * CPUs, pools, networks, existing machines) in a worker thread, and loads
 * the osinfo database.  Sets #GbMachineCreator:ready when done.
 */
void
gb_machine_creator_prepare_async (GbMachineCreator    *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GTask *host;

  g_task_set_source_tag (task, gb_machine_creator_prepare_async);

  host = g_task_new (self, cancellable, prepare_host_cb, g_steal_pointer (&task));
  g_task_set_task_data (host, g_object_ref (self->connection), g_object_unref);
  g_task_run_in_thread (host, prepare_thread);
  g_object_unref (host);
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
  g_autofree gpointer *keys = g_hash_table_get_keys_as_array (self->pool_paths, NULL);
  GStrv ret = g_strdupv ((char **) keys);

  qsort (ret, g_strv_length (ret), sizeof (char *), compare_strings);
  return ret;
}

/* Paths of the volumes in the connection's active pools, sorted (as they
 * were when prepare ran). */
GStrv
gb_machine_creator_list_volumes (GbMachineCreator *self)
{
  return g_strdupv (self->volumes);
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
  return self->nat_available;
}

/* Linux bridges on this host (/sys/class/net/<if>/bridge), sorted. */
GStrv
gb_machine_creator_list_host_bridges (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/sys/class/net", 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  const char *entry;

  while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *bridge = g_build_filename ("/sys/class/net", entry, "bridge", NULL);

      if (g_file_test (bridge, G_FILE_TEST_IS_DIR))
        g_ptr_array_add (names, g_strdup (entry));
    }
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&names), FALSE);
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
  if (g_strcmp0 (self->arch, "x86_64") != 0 ||
      !g_file_test (GB_OVMF_CODE_PATH, G_FILE_TEST_IS_REGULAR))
    return FALSE;
  return gb_osinfo_supports_efi (self->os, self->arch);
}

/* Why UEFI cannot be chosen, in a sentence for the user; NULL when it can. */
char *
gb_machine_creator_dup_uefi_unavailable_reason (GbMachineCreator *self)
{
  if (g_strcmp0 (self->arch, "x86_64") != 0)
    return g_strdup_printf (_("Not available: Glassbox’s UEFI firmware is for 64-bit PCs (x86_64), "
                              "and this connection runs %s machines."), self->arch);
  if (!g_file_test (GB_OVMF_CODE_PATH, G_FILE_TEST_IS_REGULAR))
    return g_strdup (_("Not available: the UEFI firmware for virtual machines (package “ovmf”) is not installed."));
  if (!gb_osinfo_supports_efi (self->os, self->arch))
    return g_strdup_printf (_("Not available: %s does not start with UEFI."),
                            self->os ? osinfo_product_get_name (OSINFO_PRODUCT (self->os)) : _("this system"));
  return NULL;
}

GVirConfigDomainVirtType
gb_machine_creator_get_virt_type (GbMachineCreator *self)
{
  return self->virt_type;
}

const char *
gb_machine_creator_get_arch (GbMachineCreator *self)
{
  return self->arch;
}

/* ------------------------------------------------------------------ */
/* OS detection                                                       */

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
      g_free (self->volume_id);
      self->volume_id = g_strdup (osinfo_media_get_volume_id (media));
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VOLUME_ID]);

      if (db != NULL && osinfo_db_identify_media (db, media))
        {
          os = osinfo_media_get_os (media);
          detected = os != NULL;
        }
    }

  if (os == NULL && db != NULL)
    os = gb_osinfo_find_fallback_os (db, self->volume_id);

  self->os_detected = detected;
  gb_machine_creator_set_os (self, os);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OS_DETECTED]);

  update_suggested_name (self);
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
          g_autofree char *k = g_build_path ("/", self->source_path, osinfo_tree_get_kernel_path (tree), NULL);
          g_autofree char *i = g_build_path ("/", self->source_path, osinfo_tree_get_initrd_path (tree), NULL);

          gb_machine_creator_set_kernel_path (self, k);
          gb_machine_creator_set_initrd_path (self, i);
        }
      /* Where the installer finds the rest of itself, e.g. inst.repo=URL. */
      if (os != NULL && osinfo_os_get_kernel_url_argument (os) != NULL &&
          (self->kernel_cmdline == NULL || *self->kernel_cmdline == '\0'))
        {
          g_autofree char *cmdline = g_strdup_printf ("%s=%s", osinfo_os_get_kernel_url_argument (os),
                                                      self->source_path);

          gb_machine_creator_set_kernel_cmdline (self, cmdline);
        }
    }
  if (os == NULL && db != NULL)
    os = gb_osinfo_generic_linux (db);

  self->os_detected = detected;
  gb_machine_creator_set_os (self, os);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OS_DETECTED]);
  update_suggested_name (self);
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

  if (self->source_path == NULL || !self->ready)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                               _("Choose the installation media first"));
      return;
    }

  if (self->source_kind == GB_CREATOR_SOURCE_NETWORK_INSTALL)
    osinfo_tree_create_from_location_async (self->source_path, G_PRIORITY_DEFAULT,
                                            cancellable, detect_tree_cb,
                                            g_steal_pointer (&task));
  else
    osinfo_media_create_from_location_async (self->source_path, G_PRIORITY_DEFAULT,
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

  gb_machine_creator_set_kernel_path (self, kernel);
  gb_machine_creator_set_initrd_path (self, initrd);
  gb_machine_creator_set_kernel_cmdline (self, GB_TINY_LINUX_CMDLINE);
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

/* ------------------------------------------------------------------ */
/* The domain                                                         */

static gboolean
uses_kernel_boot (GbMachineCreator *self)
{
  return self->source_kind == GB_CREATOR_SOURCE_DIRECT_KERNEL ||
         self->source_kind == GB_CREATOR_SOURCE_NETWORK_INSTALL ||
         self->source_kind == GB_CREATOR_SOURCE_TINY_LINUX;
}

/**
 * gb_machine_creator_dup_image_folder:
 *
 * Where a "default" pool is made when the connection has none, and where
 * new disks go when its driver has no storage API at all (the embedded QEMU
 * driver): <embed root>/images, else /var/lib/libvirt/images.
 */
char *
gb_machine_creator_dup_image_folder (GbMachineCreator *self)
{
  if (self->embed_root != NULL)
    return g_build_filename (self->embed_root, "images", NULL);
  return g_strdup ("/var/lib/libvirt/images");
}

gboolean
gb_machine_creator_get_storage_available (GbMachineCreator *self)
{
  return self->storage_available;
}

/* Where a new volume will land: <pool dir>/<name>.qcow2. */
static char *
planned_disk_path (GbMachineCreator *self)
{
  const char *dir = self->pool_name ? g_hash_table_lookup (self->pool_paths, self->pool_name) : NULL;
  g_autofree char *file = g_strdup_printf ("%s.qcow2", self->name);

  if (dir == NULL || *dir == '\0')
    {
      g_autofree char *fallback = gb_machine_creator_dup_image_folder (self);

      return g_build_filename (fallback, file, NULL);
    }
  return g_build_filename (dir, file, NULL);
}

/* qcow2 images start with "QFI\xfb"; anything else is used raw. */
static GVirConfigDomainDiskFormat
sniff_format (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) in = g_file_read (file, NULL, NULL);
  guint8 magic[4] = { 0, };

  if (in != NULL &&
      g_input_stream_read (G_INPUT_STREAM (in), magic, sizeof magic, NULL, NULL) == 4 &&
      memcmp (magic, "QFI\xfb", 4) == 0)
    return GVIR_CONFIG_DOMAIN_DISK_FORMAT_QCOW2;
  if (in == NULL && g_str_has_suffix (path, ".qcow2"))
    return GVIR_CONFIG_DOMAIN_DISK_FORMAT_QCOW2;
  return GVIR_CONFIG_DOMAIN_DISK_FORMAT_RAW;
}

static GVirConfigDomainDisk *
new_file_disk (const char                      *path,
               GVirConfigDomainDiskGuestDeviceType device,
               GVirConfigDomainDiskBus          bus,
               const char                      *target,
               GVirConfigDomainDiskFormat       format)
{
  GVirConfigDomainDisk *disk = gvir_config_domain_disk_new ();
  g_autoptr(GVirConfigDomainDiskDriver) driver = gvir_config_domain_disk_driver_new ();

  gvir_config_domain_disk_set_type (disk, GVIR_CONFIG_DOMAIN_DISK_FILE);
  gvir_config_domain_disk_set_guest_device_type (disk, device);
  gvir_config_domain_disk_driver_set_name (driver, "qemu");
  gvir_config_domain_disk_driver_set_format (driver, format);
  gvir_config_domain_disk_set_driver (disk, driver);
  gvir_config_domain_disk_set_source (disk, path);
  gvir_config_domain_disk_set_target_bus (disk, bus);
  gvir_config_domain_disk_set_target_dev (disk, target);
  if (device == GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_CDROM)
    gvir_config_domain_disk_set_readonly (disk, TRUE);
  return disk;
}

static void
add_device (GVirConfigDomain *domain,
            gpointer          device)
{
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (device));
  g_object_unref (device);
}

/**
 * gb_machine_creator_build_config:
 *
 * The domain for the current choices, built with libvirt-gconfig, with the
 * libosinfo metadata virt-manager and GNOME Boxes write.  A new disk is
 * referenced at the path it will have in the chosen pool.
 */
GVirConfigDomain *
gb_machine_creator_build_config (GbMachineCreator  *self,
                                 GError           **error)
{
  g_autoptr(GVirConfigDomain) domain = NULL;
  g_autoptr(GVirConfigDomainOs) os = NULL;
  g_autoptr(GVirConfigDomainClock) clock = NULL;
  g_autoptr(GVirConfigDomainInterface) nic = NULL;
  g_autoptr(GVirConfigDomainGraphicsSpice) spice = NULL;
  g_autoptr(GVirConfigDomainVideo) video = NULL;
  g_autoptr(GVirConfigDomainInput) tablet = NULL;
  g_autoptr(GVirConfigDomainSerial) serial = NULL;
  g_autoptr(GVirConfigDomainConsole) console = NULL;
  g_autoptr(GVirConfigDomainChardevSourcePty) pty = NULL;
  g_autoptr(GVirConfigDomainChardevSourcePty) pty2 = NULL;
  g_autoptr(GVirConfigDomainMemballoon) balloon = NULL;
  g_autofree char *metadata = NULL;
  g_autofree char *planned = NULL;
  const char *features[] = { "acpi", "apic", NULL };
  const char *disk_path = NULL;
  GList *boot = NULL;
  gboolean virtio_disk = gb_machine_creator_get_disk_virtio (self);
  char next_sd = 'a';

  g_return_val_if_fail (GB_IS_MACHINE_CREATOR (self), NULL);

  if (!gb_machine_name_is_valid (self->name, error))
    return NULL;

  switch (self->source_kind)
    {
    case GB_CREATOR_SOURCE_INSTALL_MEDIA:
    case GB_CREATOR_SOURCE_IMPORT_DISK:
      if (self->source_path == NULL || *self->source_path == '\0')
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               self->source_kind == GB_CREATOR_SOURCE_IMPORT_DISK
                               ? _("Choose the disk image to import")
                               : _("Choose the installation media"));
          return NULL;
        }
      break;
    case GB_CREATOR_SOURCE_DIRECT_KERNEL:
    case GB_CREATOR_SOURCE_NETWORK_INSTALL:
    case GB_CREATOR_SOURCE_TINY_LINUX:
      if (self->kernel_path == NULL || *self->kernel_path == '\0')
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               self->source_kind == GB_CREATOR_SOURCE_NETWORK_INSTALL
                               ? _("No installer kernel was found at that address")
                               : _("Choose the kernel to boot"));
          return NULL;
        }
      break;
    default:
      g_assert_not_reached ();
    }

  domain = gvir_config_domain_new ();
  gvir_config_domain_set_virt_type (domain, self->virt_type);
  gvir_config_domain_set_name (domain, self->name);
  if (self->os != NULL)
    gvir_config_domain_set_title (domain, osinfo_product_get_name (OSINFO_PRODUCT (self->os)));
  gvir_config_domain_set_memory (domain, (guint64) self->memory_mib * 1024);
  gvir_config_domain_set_current_memory (domain, (guint64) self->memory_mib * 1024);
  gvir_config_domain_set_vcpus (domain, self->vcpus);
  gvir_config_domain_set_features (domain, (const GStrv) features);

  clock = gvir_config_domain_clock_new ();
  gvir_config_domain_clock_set_offset (clock,
                                       self->os && g_strcmp0 (osinfo_os_get_family (self->os), "winnt") == 0
                                       ? GVIR_CONFIG_DOMAIN_CLOCK_LOCALTIME
                                       : GVIR_CONFIG_DOMAIN_CLOCK_UTC);
  gvir_config_domain_set_clock (domain, clock);

  os = gvir_config_domain_os_new ();
  gvir_config_domain_os_set_os_type (os, GVIR_CONFIG_DOMAIN_OS_TYPE_HVM);
  gvir_config_domain_os_set_arch (os, self->arch);
  if (self->firmware == GB_CREATOR_FIRMWARE_UEFI)
    gvir_config_domain_os_set_firmware (os, GVIR_CONFIG_DOMAIN_OS_FIRMWARE_EFI);
  if (uses_kernel_boot (self))
    {
      gvir_config_domain_os_set_kernel (os, self->kernel_path);
      if (self->initrd_path && *self->initrd_path)
        gvir_config_domain_os_set_ramdisk (os, self->initrd_path);
      if (self->kernel_cmdline && *self->kernel_cmdline)
        gvir_config_domain_os_set_cmdline (os, self->kernel_cmdline);
    }
  if (self->source_kind == GB_CREATOR_SOURCE_INSTALL_MEDIA)
    boot = g_list_append (boot, GINT_TO_POINTER (GVIR_CONFIG_DOMAIN_OS_BOOT_DEVICE_CDROM));
  boot = g_list_append (boot, GINT_TO_POINTER (GVIR_CONFIG_DOMAIN_OS_BOOT_DEVICE_HD));
  if (!uses_kernel_boot (self))
    gvir_config_domain_os_set_boot_devices (os, boot);
  g_list_free (boot);
  gvir_config_domain_set_os (domain, os);

  if (self->virt_type == GVIR_CONFIG_DOMAIN_VIRT_KVM)
    {
      g_autoptr(GVirConfigDomainCpu) cpu = gvir_config_domain_cpu_new ();

      gvir_config_domain_cpu_set_mode (cpu, GVIR_CONFIG_DOMAIN_CPU_MODE_HOST_PASSTHROUGH);
      gvir_config_domain_set_cpu (domain, cpu);
    }

  /* Disks */
  switch (self->disk_mode)
    {
    case GB_CREATOR_DISK_NEW:
      /* The volume create_async() made, else where it will be made. */
      disk_path = self->new_disk_path;
      if (disk_path == NULL)
        disk_path = planned = planned_disk_path (self);
      break;
    case GB_CREATOR_DISK_EXISTING:
      disk_path = self->disk_path;
      if (disk_path == NULL || *disk_path == '\0')
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("Choose the disk image to use"));
          return NULL;
        }
      break;
    case GB_CREATOR_DISK_NONE:
    default:
      break;
    }
  if (disk_path != NULL)
    add_device (domain,
                new_file_disk (disk_path, GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_DISK,
                               virtio_disk ? GVIR_CONFIG_DOMAIN_DISK_BUS_VIRTIO : GVIR_CONFIG_DOMAIN_DISK_BUS_SATA,
                               virtio_disk ? "vda" : (next_sd++ == 'a' ? "sda" : "sdb"),
                               self->disk_mode == GB_CREATOR_DISK_NEW
                               ? GVIR_CONFIG_DOMAIN_DISK_FORMAT_QCOW2 : sniff_format (disk_path)));

  if (self->source_kind == GB_CREATOR_SOURCE_INSTALL_MEDIA)
    {
      char target[] = "sdX";

      target[2] = next_sd++;
      add_device (domain,
                  new_file_disk (self->source_path, GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_CDROM,
                                 GVIR_CONFIG_DOMAIN_DISK_BUS_SATA, target,
                                 GVIR_CONFIG_DOMAIN_DISK_FORMAT_RAW));
    }

  /* Network */
  switch (self->network_kind)
    {
    case GB_CREATOR_NETWORK_NAT:
      nic = GVIR_CONFIG_DOMAIN_INTERFACE (gvir_config_domain_interface_network_new ());
      gvir_config_domain_interface_network_set_source (GVIR_CONFIG_DOMAIN_INTERFACE_NETWORK (nic), "default");
      break;
    case GB_CREATOR_NETWORK_BRIDGE:
      if (self->bridge_name == NULL || *self->bridge_name == '\0')
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("Choose the host bridge to connect to"));
          return NULL;
        }
      nic = GVIR_CONFIG_DOMAIN_INTERFACE (gvir_config_domain_interface_bridge_new ());
      gvir_config_domain_interface_bridge_set_source (GVIR_CONFIG_DOMAIN_INTERFACE_BRIDGE (nic), self->bridge_name);
      break;
    case GB_CREATOR_NETWORK_USER:
    default:
      nic = GVIR_CONFIG_DOMAIN_INTERFACE (gvir_config_domain_interface_user_new ());
      break;
    }
  gvir_config_domain_interface_set_model (nic,
                                          self->source_kind == GB_CREATOR_SOURCE_TINY_LINUX ||
                                          gb_osinfo_supports_virtio_net (self->os)
                                          ? "virtio" : "e1000e");
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (nic));

  /* Consoles: a serial line (the text console) and a screen. */
  serial = gvir_config_domain_serial_new ();
  pty = gvir_config_domain_chardev_source_pty_new ();
  gvir_config_domain_chardev_set_source (GVIR_CONFIG_DOMAIN_CHARDEV (serial),
                                         GVIR_CONFIG_DOMAIN_CHARDEV_SOURCE (pty));
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (serial));

  console = gvir_config_domain_console_new ();
  pty2 = gvir_config_domain_chardev_source_pty_new ();
  gvir_config_domain_chardev_set_source (GVIR_CONFIG_DOMAIN_CHARDEV (console),
                                         GVIR_CONFIG_DOMAIN_CHARDEV_SOURCE (pty2));
  gvir_config_domain_console_set_target_type (console, GVIR_CONFIG_DOMAIN_CONSOLE_TARGET_SERIAL);
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (console));

  spice = gvir_config_domain_graphics_spice_new ();
  gvir_config_domain_graphics_spice_set_autoport (spice, TRUE);
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (spice));

  video = gvir_config_domain_video_new ();
  gvir_config_domain_video_set_model (video,
                                      gb_osinfo_supports_device (self->os, "virtio1.0-gpu", NULL)
                                      ? GVIR_CONFIG_DOMAIN_VIDEO_MODEL_VIRTIO
                                      : GVIR_CONFIG_DOMAIN_VIDEO_MODEL_VGA);
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (video));

  /* An absolute pointer: the mouse is where the user sees it. */
  tablet = gvir_config_domain_input_new ();
  gvir_config_domain_input_set_device_type (tablet, GVIR_CONFIG_DOMAIN_INPUT_DEVICE_TABLET);
  gvir_config_domain_input_set_bus (tablet, GVIR_CONFIG_DOMAIN_INPUT_BUS_USB);
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (tablet));

  balloon = gvir_config_domain_memballoon_new ();
  gvir_config_domain_memballoon_set_model (balloon, GVIR_CONFIG_DOMAIN_MEMBALLOON_MODEL_VIRTIO);
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (balloon));

  /* <metadata><libosinfo:libosinfo><libosinfo:os id="…"/></…></metadata> */
  if (self->os != NULL)
    {
      metadata = g_markup_printf_escaped ("<libosinfo><os id=\"%s\"/></libosinfo>",
                                          osinfo_entity_get_id (OSINFO_ENTITY (self->os)));
      if (!gvir_config_domain_set_custom_xml_ns_children (domain, metadata, "libosinfo",
                                              GB_LIBOSINFO_NS_URI, error))
        return NULL;
    }

  return g_steal_pointer (&domain);
}

/* ------------------------------------------------------------------ */
/* Create                                                             */

typedef struct
{
  GVirConnection   *connection;
  GbCreatorSource   source_kind;
  gboolean          new_disk;
  gboolean          nat;
  gboolean          start;
  gboolean          storage_api;    /* else the disk goes into pool_dir */
  char             *name;
  char             *boot_dir;       /* copy kernel/initrd here (system QEMU) */
  char             *kernel;
  char             *initrd;
  GbDiskSpec       *disk;
  char             *pool_name;
  char             *pool_dir;       /* for a pool we make ourselves */
  char             *made_disk;      /* path of the volume we created */
  GVirConfigDomain *config;         /* set on the main thread between steps */
  GError           *build_error;    /* why config is NULL */
} CreateData;

static void
create_data_free (gpointer data)
{
  CreateData *cd = data;

  g_clear_object (&cd->connection);
  gb_disk_spec_free (cd->disk);
  g_free (cd->pool_name);
  g_free (cd->pool_dir);
  g_free (cd->made_disk);
  g_free (cd->name);
  g_free (cd->boot_dir);
  g_free (cd->kernel);
  g_free (cd->initrd);
  g_clear_object (&cd->config);
  g_clear_error (&cd->build_error);
  g_free (cd);
}

/* NAT needs libvirt's "default" network (192.168.122.0/24): define it as
 * libvirt ships it if it is missing, and start it if it is stopped. */
static gboolean
ensure_default_network (GVirConnection  *connection,
                        GError         **error)
{
  virConnectPtr conn = NULL;
  virNetworkPtr net;
  gboolean ok = FALSE;

  g_object_get (connection, "handle", &conn, NULL);
  net = virNetworkLookupByName (conn, "default");
  if (net == NULL)
    {
      g_autofree char *xml = NULL;

      if (!g_file_get_contents ("/usr/share/libvirt/networks/default.xml", &xml, NULL, NULL))
        {
          /* libvirt-gconfig has no builder for networks; this is the
           * network libvirt-daemon-config-network installs. */
          g_autoptr(GVirConfigNetwork) conf = gvir_config_network_new_from_xml (
            "<network><name>default</name><bridge name='virbr0'/><forward/>"
            "<ip address='192.168.122.1' netmask='255.255.255.0'><dhcp>"
            "<range start='192.168.122.2' end='192.168.122.254'/></dhcp></ip></network>",
            NULL);
          xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (conf));
        }
      net = virNetworkDefineXML (conn, xml);
      if (net == NULL)
        {
          set_libvirt_error (error, _("Could not set up the “default” network"));
          goto out;
        }
      virNetworkSetAutostart (net, 1);
    }

  if (virNetworkIsActive (net) != 1 && virNetworkCreate (net) < 0)
    {
      set_libvirt_error (error, _("Could not start the “default” network"));
      goto out;
    }
  ok = TRUE;

out:
  if (net)
    virNetworkFree (net);
  g_boxed_free (GVIR_TYPE_CONNECTION_HANDLE, conn);
  return ok;
}

/* The pool to put the new disk in; "default" is defined as a directory
 * pool (under the embed root for qemu:///embed) and started if missing. */
static GVirStoragePool *
ensure_pool (CreateData    *cd,
             GCancellable  *cancellable,
             GError       **error)
{
  GVirStoragePool *pool;
  g_autoptr(GVirConfigStoragePool) conf = NULL;
  g_autoptr(GVirConfigStoragePoolTarget) target = NULL;

  if (!gvir_connection_fetch_storage_pools (cd->connection, cancellable, error))
    return NULL;

  pool = gvir_connection_find_storage_pool_by_name (cd->connection, cd->pool_name);
  if (pool != NULL)
    {
      if (!gvir_storage_pool_get_active (pool) && !gvir_storage_pool_start (pool, 0, error))
        g_clear_object (&pool);
      return pool;
    }

  if (g_mkdir_with_parents (cd->pool_dir, 0711) < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   _("Could not create %s: %s"), cd->pool_dir, g_strerror (errno));
      return NULL;
    }
  conf = gvir_config_storage_pool_new ();
  gvir_config_storage_pool_set_name (conf, cd->pool_name);
  gvir_config_storage_pool_set_pool_type (conf, GVIR_CONFIG_STORAGE_POOL_TYPE_DIR);
  target = gvir_config_storage_pool_target_new ();
  gvir_config_storage_pool_target_set_path (target, cd->pool_dir);
  gvir_config_storage_pool_set_target (conf, target);

  pool = gvir_connection_create_storage_pool (cd->connection, conf, 0, error);
  if (pool == NULL)
    return NULL;
  if (!gvir_storage_pool_build (pool, 0, error) || !gvir_storage_pool_start (pool, 0, error))
    {
      g_clear_object (&pool);
      return NULL;
    }
  gvir_storage_pool_set_autostart (pool, TRUE, NULL);
  return pool;
}

/* Boot files QEMU must be able to read: a network installer's kernel is
 * downloaded (GIO: file:// always, http(s):// where GVfs is installed), and
 * the system QEMU, which runs as its own user and cannot read files in a
 * home directory, gets copies under /var/lib/libvirt/boot (as virt-install
 * does).  Rewrites *path to the local copy. */
static gboolean
copy_boot_file (const char  *dir,
                const char  *prefix,
                char       **path,
                GError     **error)
{
  g_autofree char *base = NULL;
  g_autofree char *dest = NULL;
  g_autoptr(GFile) src = NULL;
  g_autoptr(GFile) dst = NULL;
  gboolean remote;

  if (*path == NULL || g_str_has_prefix (*path, dir))
    return TRUE;
  remote = strstr (*path, "://") != NULL;
  src = remote ? g_file_new_for_uri (*path) : g_file_new_for_path (*path);
  base = g_file_get_basename (src);
  dest = g_strdup_printf ("%s/%s-%s", dir, prefix, base);
  dst = g_file_new_for_path (dest);
  if (g_mkdir_with_parents (dir, 0711) < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not create %s"), dir);
      return FALSE;
    }
  if (!g_file_copy (src, dst, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, error))
    {
      g_prefix_error (error, remote ? _("Could not download %s: ") : _("Could not copy %s: "), *path);
      return FALSE;
    }
  g_chmod (dest, 0644);
  g_free (*path);
  *path = g_steal_pointer (&dest);
  return TRUE;
}

static void
create_prepare_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  CreateData *cd = task_data;
  g_autoptr(GError) error = NULL;

  if (cd->boot_dir != NULL &&
      (!copy_boot_file (cd->boot_dir, cd->name, &cd->kernel, &error) ||
       !copy_boot_file (cd->boot_dir, cd->name, &cd->initrd, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (cd->nat && !ensure_default_network (cd->connection, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (cd->new_disk && !cd->storage_api)
    {
      cd->made_disk = gb_disk_create_in_folder_sync (cd->connection, cd->pool_dir, cd->disk,
                                                     cancellable, &error);
      if (cd->made_disk == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }
  else if (cd->new_disk)
    {
      g_autoptr(GVirStoragePool) pool = ensure_pool (cd, cancellable, &error);

      if (pool == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      cd->made_disk = gb_disk_create_in_pool_sync (pool, cd->disk, cancellable, &error);
      if (cd->made_disk == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }

  g_task_return_boolean (task, TRUE);
}

/* Undo a volume we made when the machine could not be defined. */
static void
delete_made_disk (CreateData *cd)
{
  virConnectPtr conn = NULL;
  virStorageVolPtr vol;

  if (cd->made_disk == NULL)
    return;
  if (!cd->storage_api)
    {
      g_unlink (cd->made_disk);
      return;
    }
  g_object_get (cd->connection, "handle", &conn, NULL);
  vol = virStorageVolLookupByPath (conn, cd->made_disk);
  if (vol != NULL)
    {
      virStorageVolDelete (vol, 0);
      virStorageVolFree (vol);
    }
  g_boxed_free (GVIR_TYPE_CONNECTION_HANDLE, conn);
}

static void
create_define_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  CreateData *cd = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVirDomain) domain = NULL;

  /* No domain to define (its config could not be built): only clean up. */
  if (cd->config == NULL)
    {
      delete_made_disk (cd);
      g_task_return_error (task, g_steal_pointer (&cd->build_error));
      return;
    }

  domain = gvir_connection_create_domain (cd->connection, cd->config, &error);
  if (domain == NULL)
    {
      /* Here, in the worker, not on the main thread: libvirt blocks. */
      delete_made_disk (cd);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (cd->start && !gvir_domain_start (domain, 0, &error))
    {
      g_prefix_error (&error, _("The machine was created but did not start: "));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&domain), g_object_unref);
}

static void
create_defined_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  GVirDomain *domain = g_task_propagate_pointer (G_TASK (result), &error);

  if (domain == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, domain, g_object_unref);
}

static void
create_prepared_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GbMachineCreator *self = g_task_get_source_object (task);
  CreateData *cd = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GTask *define;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (cd->made_disk != NULL)
    {
      g_free (self->new_disk_path);
      self->new_disk_path = g_strdup (cd->made_disk);
    }
  if (cd->boot_dir != NULL)
    {
      gb_machine_creator_set_kernel_path (self, cd->kernel);
      gb_machine_creator_set_initrd_path (self, cd->initrd);
    }

  cd->config = gb_machine_creator_build_config (self, &cd->build_error);

  /* The outer task owns @cd and stays alive through its reference here. */
  define = g_task_new (self, g_task_get_cancellable (task), create_defined_cb, g_object_ref (task));
  g_task_set_task_data (define, cd, NULL);
  g_task_run_in_thread (define, create_define_thread);
  g_object_unref (define);
}

/**
 * gb_machine_creator_create_async:
 * @start: start the machine once it is defined
 *
 * Makes the machine: the "default" network when NAT is chosen, the pool and
 * the new disk volume (when a new disk is chosen), then defines the domain
 * from gb_machine_creator_build_config() and, if @start, starts it.  All
 * libvirt calls run in worker threads.  A volume made here is deleted again
 * if the domain cannot be defined.
 */
void
gb_machine_creator_create_async (GbMachineCreator    *self,
                                 gboolean             start,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVirConfigDomain) check = NULL;
  CreateData *cd;
  GTask *prepare;

  g_task_set_source_tag (task, gb_machine_creator_create_async);

  if (!self->ready)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                               _("The host has not been looked at yet"));
      return;
    }
  /* Everything the user chose must make a valid domain before anything is
   * created on the host. */
  if (!gb_machine_creator_validate_name (self, self->name, &error) ||
      (check = gb_machine_creator_build_config (self, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  cd = g_new0 (CreateData, 1);
  cd->connection = g_object_ref (self->connection);
  cd->source_kind = self->source_kind;
  cd->new_disk = self->disk_mode == GB_CREATOR_DISK_NEW;
  cd->nat = self->network_kind == GB_CREATOR_NETWORK_NAT;
  cd->start = start;
  cd->pool_name = g_strdup (self->pool_name ? self->pool_name : "default");
  cd->storage_api = self->storage_available;
  cd->name = g_strdup (self->name);
  if (uses_kernel_boot (self))
    {
      gboolean system = g_strcmp0 (gvir_connection_get_uri (self->connection), "qemu:///system") == 0;
      gboolean remote = strstr (self->kernel_path, "://") != NULL ||
                        (self->initrd_path && strstr (self->initrd_path, "://") != NULL);

      if (system)
        cd->boot_dir = g_strdup ("/var/lib/libvirt/boot");
      else if (remote)
        cd->boot_dir = g_build_filename (g_get_user_cache_dir (), "glassbox", "boot", NULL);
      cd->kernel = g_strdup (self->kernel_path);
      cd->initrd = g_strdup (self->initrd_path);
    }
  cd->pool_dir = gb_machine_creator_dup_image_folder (self);
  cd->disk = gb_disk_spec_new ();
  cd->disk->name = g_strdup_printf ("%s.qcow2", self->name);
  cd->disk->capacity = self->disk_size;
  cd->disk->format = GB_DISK_FORMAT_QCOW2;
  g_clear_pointer (&self->new_disk_path, g_free);
  g_task_set_task_data (task, cd, create_data_free);

  prepare = g_task_new (self, cancellable, create_prepared_cb, g_steal_pointer (&task));
  g_task_set_task_data (prepare, cd, NULL);
  g_task_run_in_thread (prepare, create_prepare_thread);
  g_object_unref (prepare);
}

GVirDomain *
gb_machine_creator_create_finish (GbMachineCreator  *self,
                                  GAsyncResult      *result,
                                  GError           **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
