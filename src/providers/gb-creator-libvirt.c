/* gb-creator-libvirt.c — the wizard on a libvirt connection
 *
 * Learns the host through the provider's own connection (capabilities,
 * memory, CPUs, pools and their volumes, networks — once, off the main
 * thread), turns the wizard's choices into a libvirt-gconfig domain, and
 * makes network, pool, volume and domain in worker threads.  A new disk goes
 * into a plain folder only when the connection's machines run on this
 * computer (a local QEMU driver); a qemu+ssh:// host gets pool volumes.
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

#include "gb-libvirt-error.h"
#include "gb-creator-libvirt.h"
#include "gb-creator-osinfo.h"
#include "gb-disk-creator-libvirt.h"
#include "gb-libvirt-autoptr.h"
#include "gb-libvirt-provider.h"
#include "gb-machine-spec.h"

struct _GbCreatorLibvirt
{
  GbCreatorBackend          parent_instance;

  GVirConnection           *connection;
  GVirConfigDomainVirtType  virt_type;
  char                     *embed_root;   /* qemu:///embed?root=… */
};

G_DEFINE_FINAL_TYPE (GbCreatorLibvirt, gb_creator_libvirt, GB_TYPE_CREATOR_BACKEND)

static int
compare_strings (const void *a,
                 const void *b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

static void
set_libvirt_error (GError     **error,
                   const char  *what)
{
  /* libvirt's error as a sentence (gb-libvirt-error.c), after what failed. */
  gb_libvirt_set_error (error, NULL);
  g_prefix_error (error, "%s: ", what);
}

/**
 * gb_creator_libvirt_caps_have_hw_virt:
 *
 * Whether the host CPU in @caps has VT-x or AMD-V.  /dev/kvm alone is not
 * enough: under PVM (software nested virtualisation) libvirt still offers
 * "kvm", but a stock kernel cannot boot there.
 */
gboolean
gb_creator_libvirt_caps_have_hw_virt (GVirConfigCapabilities *caps)
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
 * gb_creator_libvirt_choose_virt_type:
 * @host_has_hw_virt: what gb_creator_libvirt_caps_have_hw_virt() says
 *
 * 'kvm' only when libvirt offers it for @arch AND the host has hardware
 * virtualisation; else 'qemu' (TCG) when offered; else whatever the
 * driver offers (the test driver only knows 'test').
 */
GVirConfigDomainVirtType
gb_creator_libvirt_choose_virt_type (GVirConfigCapabilities *caps,
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
gb_creator_libvirt_choose_arch (GVirConfigCapabilities *caps)
{
  static const char *preferred[] = { "x86_64", "i686", NULL };

  for (guint i = 0; preferred[i]; i++)
    if (guest_arch_offers (caps, preferred[i], 0, TRUE, NULL))
      return preferred[i];
  return "x86_64";
}

/**
 * gb_creator_libvirt_uri_is_local:
 *
 * Whether a connection's machines run on this computer, so that files on
 * this computer's disks are theirs: no host (or localhost) and no network
 * transport (qemu:///system, qemu:///session, qemu:///embed, qemu+unix://,
 * test:///default).  qemu+ssh://host/system is not.
 */
gboolean
gb_creator_libvirt_uri_is_local (const char *uri)
{
  g_autoptr(GUri) parsed = uri ? g_uri_parse (uri, G_URI_FLAGS_NON_DNS | G_URI_FLAGS_ENCODED_QUERY, NULL) : NULL;
  const char *scheme;
  const char *host;
  const char *plus;

  if (parsed == NULL)
    return FALSE;
  scheme = g_uri_get_scheme (parsed);
  host = g_uri_get_host (parsed);
  plus = strchr (scheme, '+');
  if (plus != NULL && g_ascii_strcasecmp (plus + 1, "unix") != 0)
    return FALSE;
  return host == NULL || *host == '\0' || g_ascii_strcasecmp (host, "localhost") == 0;
}

/* Linux bridges on this host (/sys/class/net/<if>/bridge), sorted. */
GStrv
gb_creator_list_local_bridges (void)
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

/* ------------------------------------------------------------------ */
/* Prepare: learn about the host, off the main thread                 */

typedef struct
{
  GVirConnection *connection;
  gboolean        local;
  char           *image_folder;
} PrepareData;

static void
prepare_data_free (gpointer data)
{
  PrepareData *pd = data;

  g_clear_object (&pd->connection);
  g_free (pd->image_folder);
  g_free (pd);
}

static void
prepare_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  GbCreatorLibvirt *self = source_object;
  PrepareData *pd = task_data;
  GVirConnection *conn = pd->connection;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVirNodeInfo) node = NULL;
  g_autoptr(GVirConfigCapabilities) caps = NULL;
  g_autoptr(GbCreatorHost) host = gb_creator_host_new ();
  g_autoptr(GPtrArray) volumes = g_ptr_array_new_with_free_func (g_free);
  GList *pools;

  if (!gvir_connection_fetch_domains (conn, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  caps = gvir_connection_get_capabilities (conn, &error);
  if (caps == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_free (host->arch);
  host->arch = g_strdup (gb_creator_libvirt_choose_arch (caps));
  /* Written once here, read on the main thread after this task returns. */
  self->virt_type = gb_creator_libvirt_choose_virt_type (caps, host->arch,
                                                         gb_creator_libvirt_caps_have_hw_virt (caps));
  host->accel = self->virt_type == GVIR_CONFIG_DOMAIN_VIRT_KVM ? GB_CREATOR_ACCEL_HARDWARE
              : self->virt_type == GVIR_CONFIG_DOMAIN_VIRT_QEMU ? GB_CREATOR_ACCEL_EMULATED
              : GB_CREATOR_ACCEL_OTHER;

  node = gvir_connection_get_node_info (conn, NULL);
  if (node != NULL)
    {
      host->memory_mib = (guint) (node->memory / 1024);
      host->cpus = node->cpus;
    }

  host->sources = GB_CREATOR_SOURCE_BIT (GB_CREATOR_SOURCE_INSTALL_MEDIA) |
                  GB_CREATOR_SOURCE_BIT (GB_CREATOR_SOURCE_IMPORT_DISK) |
                  GB_CREATOR_SOURCE_BIT (GB_CREATOR_SOURCE_DIRECT_KERNEL) |
                  GB_CREATOR_SOURCE_BIT (GB_CREATOR_SOURCE_NETWORK_INSTALL) |
                  GB_CREATOR_SOURCE_BIT (GB_CREATOR_SOURCE_TINY_LINUX);
  host->firmware_choice = TRUE;
  host->local = pd->local;
  host->image_folder = g_strdup (pd->image_folder);

  /* Drivers without storage or networks (the embedded QEMU driver) are
   * fine: the wizard then offers folders and user-mode networking. */
  host->storage_available = gvir_connection_fetch_storage_pools (conn, cancellable, NULL);
  if (host->storage_available)
    {
      pools = gvir_connection_get_storage_pools (conn);
      for (GList *l = pools; l; l = l->next)
        {
          char *path;
          GList *vols;

          if (!gvir_storage_pool_get_active (l->data))
            continue;
          path = gb_storage_pool_get_path (l->data);
          g_hash_table_insert (host->pool_paths,
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
                g_ptr_array_add (volumes, g_strdup (vol_path));
            }
          g_list_free_full (vols, g_object_unref);
        }
      g_list_free_full (pools, g_object_unref);
    }
  g_ptr_array_sort (volumes, compare_strings);
  g_ptr_array_add (volumes, NULL);
  g_strfreev (host->volumes);
  host->volumes = (GStrv) g_ptr_array_steal (volumes, NULL);

  /* A host bridge is named on the host the machine runs on: the
   * connection's own list comes after this thread; this computer's is the
   * fallback, and only for a local connection. */
  host->nat_available = gvir_connection_fetch_networks (conn, cancellable, NULL);
  host->networks = GB_CREATOR_NETWORK_BIT (GB_CREATOR_NETWORK_USER);
  if (host->nat_available)
    {
      virConnectPtr handle = NULL;
      virNetworkPtr net;

      host->networks |= GB_CREATOR_NETWORK_BIT (GB_CREATOR_NETWORK_NAT);
      /* Looked at, not touched: only Create starts it (the summary says so). */
      g_object_get (conn, "handle", &handle, NULL);
      net = handle ? virNetworkLookupByName (handle, "default") : NULL;
      host->default_network_defined = net != NULL;
      host->default_network_active = net != NULL && virNetworkIsActive (net) == 1;
      if (net != NULL)
        virNetworkFree (net);
      else
        virResetLastError ();
      if (handle != NULL)
        g_boxed_free (GVIR_TYPE_CONNECTION_HANDLE, handle);
    }
  if (pd->local)
    {
      g_strfreev (host->bridges);
      host->bridges = gb_creator_list_local_bridges ();
    }

  g_task_return_pointer (task, g_steal_pointer (&host), (GDestroyNotify) gb_creator_host_free);
}

static void
bridges_listed_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GbCreatorHost *host = g_object_steal_data (G_OBJECT (task), "host");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) bridges = gb_libvirt_provider_list_bridges_finish (GB_LIBVIRT_PROVIDER (object), result, &error);

  if (bridges == NULL)
    g_debug ("no bridges from the connection: %s", error->message);
  if (bridges != NULL && bridges[0] != NULL)
    {
      g_strfreev (host->bridges);
      host->bridges = g_steal_pointer (&bridges);
    }
  if (host->bridges[0] != NULL)
    host->networks |= GB_CREATOR_NETWORK_BIT (GB_CREATOR_NETWORK_BRIDGE);
  g_task_return_pointer (task, host, (GDestroyNotify) gb_creator_host_free);
}

/* The host is known; its bridges as the connection sees them (right for a
 * remote host too) come next. */
static void
host_learnt_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GbCreatorBackend *backend = GB_CREATOR_BACKEND (object);
  g_autoptr(GError) error = NULL;
  GbCreatorHost *host = g_task_propagate_pointer (G_TASK (result), &error);
  GbProvider *provider = gb_creator_backend_get_provider (backend);
  GCancellable *cancellable;

  if (host == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  cancellable = g_task_get_cancellable (task);
  g_object_set_data_full (G_OBJECT (task), "host", host, (GDestroyNotify) gb_creator_host_free);
  gb_libvirt_provider_list_bridges_async (GB_LIBVIRT_PROVIDER (provider), cancellable,
                                          bridges_listed_cb, g_steal_pointer (&task));
}

static void
gb_creator_libvirt_prepare_async (GbCreatorBackend    *backend,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GbCreatorLibvirt *self = GB_CREATOR_LIBVIRT (backend);
  GbProvider *provider = gb_creator_backend_get_provider (backend);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GVirConnection *conn = gb_libvirt_provider_get_connection (GB_LIBVIRT_PROVIDER (provider));
  const char *uri = gb_provider_get_uri (provider);
  PrepareData *pd;
  GTask *inner;

  g_task_set_source_tag (task, gb_creator_libvirt_prepare_async);

  /* The provider's own connection: qemu:///embed allows one embedded
   * driver per process, and a second QEMU connection would probe QEMU
   * again. */
  if (conn == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                               _("Not connected to %s"), uri);
      return;
    }
  g_set_object (&self->connection, conn);

  g_clear_pointer (&self->embed_root, g_free);
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

  pd = g_new0 (PrepareData, 1);
  pd->connection = g_object_ref (conn);
  pd->local = gb_creator_libvirt_uri_is_local (uri);
  /* Where a "default" pool is made when the connection has none, and where
   * new disks go when its driver has no storage API at all (the embedded
   * QEMU driver). */
  pd->image_folder = self->embed_root != NULL
                     ? g_build_filename (self->embed_root, "images", NULL)
                     : g_strdup ("/var/lib/libvirt/images");
  g_task_set_task_data (task, pd, prepare_data_free);
  inner = g_task_new (self, cancellable, host_learnt_cb, g_steal_pointer (&task));
  g_task_set_task_data (inner, pd, NULL);
  g_task_run_in_thread (inner, prepare_thread);
  g_object_unref (inner);
}

static GbCreatorHost *
gb_creator_libvirt_prepare_finish (GbCreatorBackend  *backend,
                                   GAsyncResult      *result,
                                   GError           **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The cached list from prepare: no libvirt call here. */
static gboolean
gb_creator_libvirt_name_taken (GbCreatorBackend *backend,
                               const char       *name)
{
  GbCreatorLibvirt *self = GB_CREATOR_LIBVIRT (backend);
  g_autoptr(GVirDomain) existing = NULL;

  if (self->connection != NULL && gvir_connection_is_open (self->connection))
    existing = gvir_connection_find_domain_by_name (self->connection, name);
  return existing != NULL;
}

static char *
gb_creator_libvirt_describe (GbCreatorBackend *backend)
{
  GbCreatorLibvirt *self = GB_CREATOR_LIBVIRT (backend);
  const char *uri = gb_provider_get_uri (gb_creator_backend_get_provider (backend));

  switch (self->virt_type)
    {
    case GVIR_CONFIG_DOMAIN_VIRT_KVM:
      return g_strdup_printf (_("%s, with hardware virtualization (KVM)"), uri);
    case GVIR_CONFIG_DOMAIN_VIRT_QEMU:
      return g_strdup_printf (_("%s, emulated (no hardware virtualization here, so slower)"), uri);
    default:
      return g_strdup (uri);
    }
}

/* ------------------------------------------------------------------ */
/* The domain                                                         */

/* Where a new volume will land: <pool dir>/<name>.qcow2. */
static char *
planned_disk_path (GbCreatorLibvirt *self,
                   const GbMachineSpec *c)
{
  const GbCreatorHost *host = gb_creator_backend_get_host (GB_CREATOR_BACKEND (self));
  const char *pool = c->pool_name;
  const char *dir = pool ? g_hash_table_lookup (host->pool_paths, pool) : NULL;
  g_autofree char *file = g_strdup_printf ("%s.qcow2", c->name);

  if (dir == NULL || *dir == '\0')
    return g_build_filename (host->image_folder, file, NULL);
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
 * gb_creator_libvirt_build_domain:
 * @new_disk_path: (nullable): the volume create made, else the new disk is
 *   referenced where it will be made
 *
 * The domain for @choices, built with libvirt-gconfig, with the libosinfo
 * metadata virt-manager and GNOME Boxes write.
 */
GVirConfigDomain *
gb_creator_libvirt_build_domain (GbCreatorLibvirt  *self,
                                 const GbMachineSpec  *c,
                                 const char        *new_disk_path,
                                 GError           **error)
{
  const GbCreatorHost *host = gb_creator_backend_get_host (GB_CREATOR_BACKEND (self));
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
  gboolean virtio_disk = c->disk_virtio;
  char next_sd = 'a';

  if (!gb_machine_spec_check_source (c, error))
    return NULL;

  domain = gvir_config_domain_new ();
  gvir_config_domain_set_virt_type (domain, self->virt_type);
  gvir_config_domain_set_name (domain, c->name);
  if (c->os != NULL)
    gvir_config_domain_set_title (domain, osinfo_product_get_name (OSINFO_PRODUCT (c->os)));
  gvir_config_domain_set_memory (domain, (guint64) c->memory_mib * 1024);
  gvir_config_domain_set_current_memory (domain, (guint64) c->memory_mib * 1024);
  gvir_config_domain_set_vcpus (domain, c->vcpus);
  gvir_config_domain_set_features (domain, (const GStrv) features);

  clock = gvir_config_domain_clock_new ();
  gvir_config_domain_clock_set_offset (clock,
                                       c->os && g_strcmp0 (osinfo_os_get_family (c->os), "winnt") == 0
                                       ? GVIR_CONFIG_DOMAIN_CLOCK_LOCALTIME
                                       : GVIR_CONFIG_DOMAIN_CLOCK_UTC);
  gvir_config_domain_set_clock (domain, clock);

  os = gvir_config_domain_os_new ();
  gvir_config_domain_os_set_os_type (os, GVIR_CONFIG_DOMAIN_OS_TYPE_HVM);
  gvir_config_domain_os_set_arch (os, host->arch);
  if (c->firmware == GB_CREATOR_FIRMWARE_UEFI)
    gvir_config_domain_os_set_firmware (os, GVIR_CONFIG_DOMAIN_OS_FIRMWARE_EFI);
  if (gb_machine_spec_uses_kernel_boot (c))
    {
      gvir_config_domain_os_set_kernel (os, c->kernel_path);
      if (c->initrd_path && *c->initrd_path)
        gvir_config_domain_os_set_ramdisk (os, c->initrd_path);
      if (c->kernel_cmdline && *c->kernel_cmdline)
        gvir_config_domain_os_set_cmdline (os, c->kernel_cmdline);
    }
  if (c->source_kind == GB_CREATOR_SOURCE_INSTALL_MEDIA)
    boot = g_list_append (boot, GINT_TO_POINTER (GVIR_CONFIG_DOMAIN_OS_BOOT_DEVICE_CDROM));
  boot = g_list_append (boot, GINT_TO_POINTER (GVIR_CONFIG_DOMAIN_OS_BOOT_DEVICE_HD));
  if (!gb_machine_spec_uses_kernel_boot (c))
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
  switch (c->disk_mode)
    {
    case GB_CREATOR_DISK_NEW:
      /* The volume create_async() made, else where it will be made. */
      disk_path = new_disk_path;
      if (disk_path == NULL)
        disk_path = planned = planned_disk_path (self, c);
      break;
    case GB_CREATOR_DISK_EXISTING:
      disk_path = c->disk_path;
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
                               c->disk_mode == GB_CREATOR_DISK_NEW
                               ? GVIR_CONFIG_DOMAIN_DISK_FORMAT_QCOW2 : sniff_format (disk_path)));

  if (c->source_kind == GB_CREATOR_SOURCE_INSTALL_MEDIA)
    {
      char target[] = "sdX";

      target[2] = next_sd++;
      add_device (domain,
                  new_file_disk (c->source_path, GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_CDROM,
                                 GVIR_CONFIG_DOMAIN_DISK_BUS_SATA, target,
                                 GVIR_CONFIG_DOMAIN_DISK_FORMAT_RAW));
    }

  /* Network */
  switch (c->network_kind)
    {
    case GB_CREATOR_NETWORK_NAT:
      nic = GVIR_CONFIG_DOMAIN_INTERFACE (gvir_config_domain_interface_network_new ());
      gvir_config_domain_interface_network_set_source (GVIR_CONFIG_DOMAIN_INTERFACE_NETWORK (nic), "default");
      break;
    case GB_CREATOR_NETWORK_BRIDGE:
      if (c->bridge_name == NULL || *c->bridge_name == '\0')
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("Choose the host bridge to connect to"));
          return NULL;
        }
      nic = GVIR_CONFIG_DOMAIN_INTERFACE (gvir_config_domain_interface_bridge_new ());
      gvir_config_domain_interface_bridge_set_source (GVIR_CONFIG_DOMAIN_INTERFACE_BRIDGE (nic), c->bridge_name);
      break;
    case GB_CREATOR_NETWORK_NONE:
      break;
    case GB_CREATOR_NETWORK_USER:
    default:
      nic = GVIR_CONFIG_DOMAIN_INTERFACE (gvir_config_domain_interface_user_new ());
      break;
    }
  if (nic != NULL)
    {
      gvir_config_domain_interface_set_model (nic,
                                              c->source_kind == GB_CREATOR_SOURCE_TINY_LINUX ||
                                              gb_osinfo_supports_virtio_net (c->os)
                                              ? "virtio" : "e1000e");
      gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (nic));
    }

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
                                      gb_osinfo_supports_device (c->os, "virtio1.0-gpu", NULL)
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
  if (c->os != NULL)
    {
      metadata = g_markup_printf_escaped ("<libosinfo><os id=\"%s\"/></libosinfo>",
                                          osinfo_entity_get_id (OSINFO_ENTITY (c->os)));
      if (!gvir_config_domain_set_custom_xml_ns_children (domain, metadata, "libosinfo",
                                              GB_LIBOSINFO_NS_URI, error))
        return NULL;
    }

  return g_steal_pointer (&domain);
}

static gboolean
gb_creator_libvirt_check (GbCreatorBackend  *backend,
                          const GbMachineSpec  *choices,
                          GError           **error)
{
  g_autoptr(GVirConfigDomain) domain = gb_creator_libvirt_build_domain (GB_CREATOR_LIBVIRT (backend),
                                                                        choices, NULL, error);

  return domain != NULL;
}

/* ------------------------------------------------------------------ */
/* Create                                                             */

typedef struct
{
  GVirConnection   *connection;
  GbMachineSpec       *choices;
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
  g_clear_pointer (&cd->choices, gb_machine_spec_free);
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

  g_task_return_pointer (task, g_strdup (gvir_domain_get_uuid (domain)), g_free);
}

static void
create_defined_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *uuid = g_task_propagate_pointer (G_TASK (result), &error);

  if (uuid == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, uuid, g_free);
}

static void
create_prepared_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GbCreatorLibvirt *self = g_task_get_source_object (task);
  CreateData *cd = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GTask *define;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (cd->boot_dir != NULL)
    {
      g_free (cd->choices->kernel_path);
      cd->choices->kernel_path = g_strdup (cd->kernel);
      g_free (cd->choices->initrd_path);
      cd->choices->initrd_path = g_strdup (cd->initrd);
    }

  cd->config = gb_creator_libvirt_build_domain (self, cd->choices, cd->made_disk, &cd->build_error);

  /* The outer task owns @cd and stays alive through its reference here. */
  define = g_task_new (self, g_task_get_cancellable (task), create_defined_cb, g_object_ref (task));
  g_task_set_task_data (define, cd, NULL);
  g_task_run_in_thread (define, create_define_thread);
  g_object_unref (define);
}

/* Makes the machine: the "default" network when NAT is chosen, the pool and
 * the new disk volume (when a new disk is chosen), then defines the domain
 * and, if @start, starts it.  All libvirt calls run in worker threads.  A
 * volume made here is deleted again if the domain cannot be defined. */
static void
gb_creator_libvirt_create_async (GbCreatorBackend    *backend,
                                 const GbMachineSpec    *c,
                                 gboolean             start,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GbCreatorLibvirt *self = GB_CREATOR_LIBVIRT (backend);
  const GbCreatorHost *host = gb_creator_backend_get_host (backend);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  const char *pool_name = c->pool_name;
  CreateData *cd;
  GTask *prepare;

  g_task_set_source_tag (task, gb_creator_libvirt_create_async);

  cd = g_new0 (CreateData, 1);
  cd->connection = g_object_ref (self->connection);
  cd->choices = gb_machine_spec_copy (c);
  cd->source_kind = c->source_kind;
  cd->new_disk = c->disk_mode == GB_CREATOR_DISK_NEW;
  cd->nat = c->network_kind == GB_CREATOR_NETWORK_NAT;
  cd->start = start;
  cd->pool_name = g_strdup (pool_name ? pool_name : "default");
  cd->storage_api = host->storage_available;
  cd->name = g_strdup (c->name);
  if (gb_machine_spec_uses_kernel_boot (c))
    {
      const char *kernel = c->kernel_path;
      const char *initrd = c->initrd_path;
      gboolean system = g_strcmp0 (gvir_connection_get_uri (self->connection), "qemu:///system") == 0;
      gboolean remote = strstr (kernel, "://") != NULL || (initrd && strstr (initrd, "://") != NULL);

      if (system)
        cd->boot_dir = g_strdup ("/var/lib/libvirt/boot");
      else if (remote)
        cd->boot_dir = g_build_filename (g_get_user_cache_dir (), "glassbox", "boot", NULL);
      cd->kernel = g_strdup (kernel);
      cd->initrd = g_strdup (initrd);
    }
  cd->pool_dir = g_strdup (host->image_folder);
  cd->disk = gb_disk_spec_new ();
  cd->disk->name = g_strdup_printf ("%s.qcow2", cd->name);
  cd->disk->capacity = c->disk_size;
  cd->disk->format = GB_DISK_FORMAT_QCOW2;
  g_task_set_task_data (task, cd, create_data_free);

  /* A kernel fetched to this computer is no use to a machine elsewhere. */
  if (cd->boot_dir != NULL && !host->local)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("The installer’s kernel would be downloaded to this computer, but the machine runs on %s: "
                                 "give the kernel’s path on that host instead."),
                               gvir_connection_get_uri (self->connection));
      return;
    }

  /* A connection without pools gets its disk in a folder: only where the
   * machine runs on this computer. */
  if (cd->new_disk && !cd->storage_api && !host->local)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("%s has no storage pools, and a disk on this computer is no use to a machine on another one."),
                               gvir_connection_get_uri (self->connection));
      return;
    }

  prepare = g_task_new (self, cancellable, create_prepared_cb, g_steal_pointer (&task));
  g_task_set_task_data (prepare, cd, NULL);
  g_task_run_in_thread (prepare, create_prepare_thread);
  g_object_unref (prepare);
}

static char *
gb_creator_libvirt_create_finish (GbCreatorBackend  *backend,
                                  GAsyncResult      *result,
                                  GError           **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------ */

static void
gb_creator_libvirt_finalize (GObject *object)
{
  GbCreatorLibvirt *self = (GbCreatorLibvirt *) object;

  g_clear_object (&self->connection);
  g_free (self->embed_root);
  G_OBJECT_CLASS (gb_creator_libvirt_parent_class)->finalize (object);
}

/* ------------------------------------------------------------------ */
/* New disks: the connection's pools, or a folder when it is local    */

static GVirConnection *
provider_connection (GbCreatorBackend *backend)
{
  GbProvider *provider = gb_creator_backend_get_provider (backend);

  return gb_libvirt_provider_get_connection (GB_LIBVIRT_PROVIDER (provider));
}

static gboolean
gb_creator_libvirt_disks_in_folder (GbCreatorBackend *backend)
{
  GbProvider *provider = gb_creator_backend_get_provider (backend);

  return gb_creator_libvirt_uri_is_local (gb_provider_get_uri (provider)) &&
         gb_disk_folder_possible (provider_connection (backend));
}

static void
pools_fetched_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  GList *pools;

  if (!gvir_connection_fetch_storage_pools_finish (GVIR_CONNECTION (object), result, &error))
    g_debug ("no storage pools: %s", error->message);

  pools = gvir_connection_get_storage_pools (GVIR_CONNECTION (object));
  for (GList *l = pools; l; l = l->next)
    if (gvir_storage_pool_get_active (l->data))
      {
        char *name = g_strdup (gvir_storage_pool_get_name (l->data));

        if (g_strcmp0 (name, "default") == 0)
          g_ptr_array_insert (names, 0, name);
        else
          g_ptr_array_add (names, name);
      }
  g_list_free_full (pools, g_object_unref);
  g_ptr_array_add (names, NULL);
  g_task_return_pointer (task, g_ptr_array_steal (names, NULL), (GDestroyNotify) g_strfreev);
}

static void
gb_creator_libvirt_list_pools_async (GbCreatorBackend    *backend,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GVirConnection *connection = provider_connection (backend);
  g_autoptr(GTask) task = g_task_new (backend, cancellable, callback, user_data);

  g_task_set_source_tag (task, gb_creator_libvirt_list_pools_async);
  if (connection == NULL || !gvir_connection_is_open (connection))
    {
      g_task_return_pointer (task, g_new0 (char *, 1), (GDestroyNotify) g_strfreev);
      return;
    }
  gvir_connection_fetch_storage_pools_async (connection, cancellable, pools_fetched_cb, g_steal_pointer (&task));
}

static GVirStoragePool *
find_pool (GbCreatorBackend  *backend,
           const char        *name,
           GError           **error)
{
  GVirConnection *connection = provider_connection (backend);
  GVirStoragePool *pool = NULL;

  if (connection != NULL && gvir_connection_is_open (connection))
    pool = gvir_connection_find_storage_pool_by_name (connection, name);
  if (pool == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 _("The storage pool “%s” is gone."), name);
  return pool;
}

static void
pool_refreshed_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  GList *volumes;

  /* Until a pool is refreshed its volume list is unknown (and
   * libvirt-gobject complains when asked). */
  if (!gvir_storage_pool_refresh_finish (GVIR_STORAGE_POOL (object), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  volumes = gvir_storage_pool_get_volumes (GVIR_STORAGE_POOL (object));
  for (GList *l = volumes; l; l = l->next)
    g_ptr_array_add (names, g_strdup (gvir_storage_vol_get_name (l->data)));
  g_list_free_full (volumes, g_object_unref);
  g_ptr_array_add (names, NULL);
  g_task_return_pointer (task, g_ptr_array_steal (names, NULL), (GDestroyNotify) g_strfreev);
}

static void
gb_creator_libvirt_list_volumes_async (GbCreatorBackend    *backend,
                                       const char          *pool_name,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (backend, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVirStoragePool) pool = find_pool (backend, pool_name, &error);

  g_task_set_source_tag (task, gb_creator_libvirt_list_volumes_async);
  if (pool == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  gvir_storage_pool_refresh_async (pool, cancellable, pool_refreshed_cb, g_steal_pointer (&task));
}

static void
gb_creator_libvirt_create_disk_async (GbCreatorBackend    *backend,
                                      const char          *pool_name,
                                      const char          *folder,
                                      const GbDiskSpec    *spec,
                                      GbDiskProgress       progress,
                                      gpointer             progress_data,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVirStoragePool) pool = NULL;

  if (pool_name == NULL)
    {
      gb_disk_create_in_folder_async (provider_connection (backend), folder, spec, progress, progress_data,
                                      cancellable, callback, user_data);
      return;
    }
  if ((pool = find_pool (backend, pool_name, &error)) == NULL)
    {
      g_task_report_error (backend, callback, user_data, gb_creator_libvirt_create_disk_async,
                           g_steal_pointer (&error));
      return;
    }
  gb_disk_create_in_pool_async (pool, spec, progress, progress_data, cancellable, callback, user_data);
}

static void
gb_creator_libvirt_class_init (GbCreatorLibvirtClass *klass)
{
  GbCreatorBackendClass *backend_class = GB_CREATOR_BACKEND_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = gb_creator_libvirt_finalize;
  backend_class->prepare_async = gb_creator_libvirt_prepare_async;
  backend_class->prepare_finish = gb_creator_libvirt_prepare_finish;
  backend_class->name_taken = gb_creator_libvirt_name_taken;
  backend_class->check = gb_creator_libvirt_check;
  backend_class->create_async = gb_creator_libvirt_create_async;
  backend_class->create_finish = gb_creator_libvirt_create_finish;
  backend_class->describe = gb_creator_libvirt_describe;
  backend_class->disks_in_folder = gb_creator_libvirt_disks_in_folder;
  backend_class->list_pools_async = gb_creator_libvirt_list_pools_async;
  backend_class->list_volumes_async = gb_creator_libvirt_list_volumes_async;
  backend_class->create_disk_async = gb_creator_libvirt_create_disk_async;
}

static void
gb_creator_libvirt_init (GbCreatorLibvirt *self)
{
  self->virt_type = GVIR_CONFIG_DOMAIN_VIRT_QEMU;
}

/* The provider's connection, once prepare has run. */
GVirConnection *
gb_creator_libvirt_get_connection (GbCreatorLibvirt *self)
{
  return self->connection;
}

GVirConfigDomainVirtType
gb_creator_libvirt_get_virt_type (GbCreatorLibvirt *self)
{
  return self->virt_type;
}
