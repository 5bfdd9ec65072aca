/* gb-libvirt-edit.c — changing a libvirt machine's definition
 *
 * One Apply is one new definition: the persistent XML is read, changed
 * through libvirt-gconfig, and defined again with VIR_DOMAIN_DEFINE_VALIDATE,
 * so libvirt checks it against its schema and a refused definition changes
 * nothing.  Only then, on a running machine, what libvirt can change live is
 * changed live (virDomainSetVcpusFlags, virDomainSetMemoryFlags, device
 * attach/detach/update); what it cannot is reported as waiting for the next
 * boot, with libvirt's reason.  Devices are removed from the definition by
 * unlinking their own node: libvirt-gconfig 4.0's device list skips kinds it
 * does not model (rng, tpm, …), so writing the list back would drop them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gi18n.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "gb-libvirt-edit.h"
#include "gb-libvirt-machine.h"
#include "gb-libvirt-private.h"

/* libvirt-gconfig 4.0 declares no g_autoptr() cleanups of its own. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomain, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainDisk, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainDiskDriver, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainInterface, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainOs, g_object_unref)

static void
domain_free (gpointer dom)
{
  virDomainFree (dom);
}

/* Values */

static GbEditShare *
share_copy (const GbEditShare *s)
{
  GbEditShare *c = g_new0 (GbEditShare, 1);

  c->source = g_strdup (s->source);
  c->tag = g_strdup (s->tag);
  return c;
}

static GbEditUsb *
usb_copy (const GbEditUsb *u)
{
  GbEditUsb *c = g_new0 (GbEditUsb, 1);

  c->vendor = g_strdup (u->vendor);
  c->product = g_strdup (u->product);
  c->description = g_strdup (u->description);
  return c;
}

static GbMachineEdit *
gb_machine_edit_copy (const GbMachineEdit *edit)
{
  GbMachineEdit *copy = gb_machine_edit_new ();

  copy->fields = edit->fields;
  copy->vcpus = edit->vcpus;
  copy->max_vcpus = edit->max_vcpus;
  copy->sockets = edit->sockets;
  copy->cores = edit->cores;
  copy->threads = edit->threads;
  copy->memory_kib = edit->memory_kib;
  copy->max_memory_kib = edit->max_memory_kib;
  copy->title = g_strdup (edit->title);
  copy->description = g_strdup (edit->description);
  copy->name = g_strdup (edit->name);
  copy->autostart = edit->autostart;
  copy->boot_order = g_strdupv (edit->boot_order);
  copy->boot_menu = edit->boot_menu;
  copy->firmware = g_strdup (edit->firmware);
  copy->cpu_mode = g_strdup (edit->cpu_mode);
  copy->cpu_model = g_strdup (edit->cpu_model);
  copy->video_model = g_strdup (edit->video_model);
  copy->sound_model = g_strdup (edit->sound_model);
  copy->rng = edit->rng;
  copy->tpm = edit->tpm;
  copy->serial = edit->serial;
  copy->kernel = g_strdup (edit->kernel);
  copy->initrd = g_strdup (edit->initrd);
  copy->cmdline = g_strdup (edit->cmdline);
  for (guint i = 0; i < edit->add_disks->len; i++)
    {
      const GbEditDisk *d = g_ptr_array_index (edit->add_disks, i);
      GbEditDisk *c = g_new0 (GbEditDisk, 1);

      *c = (GbEditDisk) { g_strdup (d->path), g_strdup (d->device), g_strdup (d->bus),
                          g_strdup (d->format), g_strdup (d->cache), g_strdup (d->target),
                          d->read_only, d->new_size };
      g_ptr_array_add (copy->add_disks, c);
    }
  for (guint i = 0; i < edit->media->len; i++)
    {
      const GbEditDisk *d = g_ptr_array_index (edit->media, i);
      GbEditDisk *c = g_new0 (GbEditDisk, 1);

      c->target = g_strdup (d->target);
      c->path = g_strdup (d->path);
      g_ptr_array_add (copy->media, c);
    }
  for (guint i = 0; i < edit->modify_disks->len; i++)
    {
      const GbEditDisk *d = g_ptr_array_index (edit->modify_disks, i);
      GbEditDisk *c = g_new0 (GbEditDisk, 1);

      c->target = g_strdup (d->target);
      c->bus = g_strdup (d->bus);
      c->cache = g_strdup (d->cache);
      c->read_only = d->read_only;
      g_ptr_array_add (copy->modify_disks, c);
    }
  for (guint i = 0; i < edit->add_nics->len; i++)
    {
      const GbEditNic *n = g_ptr_array_index (edit->add_nics, i);
      GbEditNic *c = g_new0 (GbEditNic, 1);

      *c = (GbEditNic) { g_strdup (n->type), g_strdup (n->source), g_strdup (n->model), g_strdup (n->mac) };
      g_ptr_array_add (copy->add_nics, c);
    }
  for (guint i = 0; i < edit->modify_nics->len; i++)
    {
      const GbEditNic *n = g_ptr_array_index (edit->modify_nics, i);
      GbEditNic *c = g_new0 (GbEditNic, 1);

      *c = (GbEditNic) { g_strdup (n->type), g_strdup (n->source), g_strdup (n->model), g_strdup (n->mac) };
      g_ptr_array_add (copy->modify_nics, c);
    }
  for (guint i = 0; i < edit->remove_disks->len; i++)
    g_ptr_array_add (copy->remove_disks, g_strdup (g_ptr_array_index (edit->remove_disks, i)));
  for (guint i = 0; i < edit->remove_nics->len; i++)
    g_ptr_array_add (copy->remove_nics, g_strdup (g_ptr_array_index (edit->remove_nics, i)));
  for (guint i = 0; i < edit->add_shares->len; i++)
    g_ptr_array_add (copy->add_shares, share_copy (g_ptr_array_index (edit->add_shares, i)));
  for (guint i = 0; i < edit->remove_shares->len; i++)
    g_ptr_array_add (copy->remove_shares, g_strdup (g_ptr_array_index (edit->remove_shares, i)));
  for (guint i = 0; i < edit->add_usb->len; i++)
    g_ptr_array_add (copy->add_usb, usb_copy (g_ptr_array_index (edit->add_usb, i)));
  for (guint i = 0; i < edit->remove_usb->len; i++)
    g_ptr_array_add (copy->remove_usb, g_strdup (g_ptr_array_index (edit->remove_usb, i)));
  return copy;
}

/* Building devices */

static int
enum_from_nick (GType       type,
                const char *nick,
                int         fallback)
{
  GEnumClass *klass = g_type_class_ref (type);
  GEnumValue *value = nick ? g_enum_get_value_by_nick (klass, nick) : NULL;
  int ret = value ? value->value : fallback;

  g_type_class_unref (klass);
  return ret;
}

static const char *
guess_format (const char *path)
{
  if (path == NULL)
    return "raw";
  if (g_str_has_suffix (path, ".qcow2"))
    return "qcow2";
  return "raw";
}

/**
 * gb_edit_disk_to_config:
 *
 * Returns: (transfer full): the <disk> for @disk
 */
GVirConfigDomainDisk *
gb_edit_disk_to_config (const GbEditDisk *disk)
{
  GVirConfigDomainDisk *config = gvir_config_domain_disk_new ();
  g_autoptr(GVirConfigDomainDiskDriver) driver = gvir_config_domain_disk_driver_new ();
  gboolean cdrom = g_strcmp0 (disk->device, "cdrom") == 0;
  struct stat st;

  if (disk->path != NULL && stat (disk->path, &st) == 0 && S_ISBLK (st.st_mode))
    gvir_config_domain_disk_set_type (config, GVIR_CONFIG_DOMAIN_DISK_BLOCK);
  else
    gvir_config_domain_disk_set_type (config, GVIR_CONFIG_DOMAIN_DISK_FILE);
  gvir_config_domain_disk_set_guest_device_type (config,
                                                 cdrom ? GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_CDROM
                                                       : GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_DISK);
  gvir_config_domain_disk_driver_set_name (driver, "qemu");
  gvir_config_domain_disk_driver_set_format (driver,
                                             enum_from_nick (GVIR_CONFIG_TYPE_DOMAIN_DISK_FORMAT,
                                                             disk->format ? disk->format : guess_format (disk->path),
                                                             GVIR_CONFIG_DOMAIN_DISK_FORMAT_RAW));
  if (disk->cache != NULL && g_strcmp0 (disk->cache, "default") != 0)
    gvir_config_domain_disk_driver_set_cache (driver,
                                              enum_from_nick (GVIR_CONFIG_TYPE_DOMAIN_DISK_CACHE_TYPE,
                                                              disk->cache, GVIR_CONFIG_DOMAIN_DISK_CACHE_DEFAULT));
  gvir_config_domain_disk_set_driver (config, driver);
  if (disk->path != NULL)
    gvir_config_domain_disk_set_source (config, disk->path);
  gvir_config_domain_disk_set_target_bus (config,
                                          enum_from_nick (GVIR_CONFIG_TYPE_DOMAIN_DISK_BUS,
                                                          disk->bus ? disk->bus : "virtio",
                                                          GVIR_CONFIG_DOMAIN_DISK_BUS_VIRTIO));
  if (disk->target != NULL)
    gvir_config_domain_disk_set_target_dev (config, disk->target);
  /* A CD/DVD is read-only whatever was asked. */
  if (disk->read_only || cdrom)
    gvir_config_domain_disk_set_readonly (config, TRUE);

  return config;
}

/**
 * gb_edit_nic_to_config:
 *
 * Returns: (transfer full): the <interface> for @nic
 */
GVirConfigDomainInterface *
gb_edit_nic_to_config (const GbEditNic *nic)
{
  GVirConfigDomainInterface *config;

  if (g_strcmp0 (nic->type, "bridge") == 0)
    {
      GVirConfigDomainInterfaceBridge *bridge = gvir_config_domain_interface_bridge_new ();

      gvir_config_domain_interface_bridge_set_source (bridge, nic->source);
      config = GVIR_CONFIG_DOMAIN_INTERFACE (bridge);
    }
  else if (g_strcmp0 (nic->type, "user") == 0)
    /* virt-manager's "Usermode networking": QEMU's own NAT, the one kind a
     * qemu:///session machine gets without a helper. */
    config = GVIR_CONFIG_DOMAIN_INTERFACE (gvir_config_domain_interface_user_new ());
  else
    {
      GVirConfigDomainInterfaceNetwork *network = gvir_config_domain_interface_network_new ();

      gvir_config_domain_interface_network_set_source (network, nic->source ? nic->source : "default");
      config = GVIR_CONFIG_DOMAIN_INTERFACE (network);
    }
  if (nic->mac != NULL && nic->mac[0] != '\0')
    gvir_config_domain_interface_set_mac (config, nic->mac);
  if (nic->model != NULL && nic->model[0] != '\0')
    gvir_config_domain_interface_set_model (config, nic->model);

  return config;
}

/* Editing the definition */

static xmlNodePtr
config_node (gpointer config)
{
  xmlNodePtr node = NULL;

  g_object_get (config, "node", &node, NULL);
  return node;
}

static xmlNodePtr
find_child (xmlNodePtr  parent,
            const char *name)
{
  for (xmlNodePtr n = parent ? parent->children : NULL; n != NULL; n = n->next)
    if (n->type == XML_ELEMENT_NODE && xmlStrcmp (n->name, (const xmlChar *) name) == 0)
      return n;
  return NULL;
}

static char *
node_attr (xmlNodePtr  node,
           const char *name)
{
  xmlChar *value = node ? xmlGetProp (node, (const xmlChar *) name) : NULL;
  char *ret = value ? g_strdup ((const char *) value) : NULL;

  xmlFree (value);
  return ret;
}

static char *
child_attr (xmlNodePtr  node,
            const char *child,
            const char *name)
{
  return node_attr (find_child (node, child), name);
}

/* The <disk> whose target is @target, or the <interface> whose MAC is @mac. */
static xmlNodePtr
find_device (xmlNodePtr  domain,
             const char *kind,
             const char *child,
             const char *attr,
             const char *value)
{
  xmlNodePtr devices = find_child (domain, "devices");

  for (xmlNodePtr n = devices ? devices->children : NULL; n != NULL; n = n->next)
    {
      g_autofree char *v = NULL;

      if (n->type != XML_ELEMENT_NODE || xmlStrcmp (n->name, (const xmlChar *) kind) != 0)
        continue;
      v = child_attr (n, child, attr);
      if (v != NULL && g_ascii_strcasecmp (v, value) == 0)
        return n;
    }
  return NULL;
}

static char *
next_target (xmlNodePtr  domain,
             const char *bus)
{
  const char *prefix = "sd";

  if (g_strcmp0 (bus, "virtio") == 0 || bus == NULL)
    prefix = "vd";
  else if (g_strcmp0 (bus, "ide") == 0)
    prefix = "hd";

  for (char c = 'a'; c <= 'z'; c++)
    {
      g_autofree char *name = g_strdup_printf ("%s%c", prefix, c);

      if (find_device (domain, "disk", "target", "dev", name) == NULL)
        return g_steal_pointer (&name);
    }
  return NULL;
}

static void
remove_children (xmlNodePtr  parent,
                 const char *name)
{
  xmlNodePtr n = parent ? parent->children : NULL;

  while (n != NULL)
    {
      xmlNodePtr next = n->next;

      if (n->type == XML_ELEMENT_NODE && xmlStrcmp (n->name, (const xmlChar *) name) == 0)
        {
          xmlUnlinkNode (n);
          xmlFreeNode (n);
        }
      n = next;
    }
}

static xmlNodePtr
ensure_devices (GVirConfigDomain *domain,
                xmlNodePtr        root)
{
  xmlNodePtr devices = find_child (root, "devices");

  if (devices == NULL)
    devices = xmlNewChild (root, NULL, (const xmlChar *) "devices", NULL);
  return devices;
}

static xmlNodePtr
new_child (xmlNodePtr  parent,
           const char *name,
           const char *attr,
           const char *value)
{
  xmlNodePtr node = xmlNewChild (parent, NULL, (const xmlChar *) name, NULL);

  if (attr != NULL)
    xmlSetProp (node, (const xmlChar *) attr, (const xmlChar *) value);
  return node;
}

static gboolean
is_none (const char *model)
{
  return model == NULL || *model == '\0' || g_str_equal (model, "none");
}

/* Boot, firmware, CPU model and the devices of the Devices tab.  Where
 * libvirt-gconfig 4.0 has the element (os, cpu, video, sound, serial,
 * console) it builds it; <rng> and <tpm> it lacks, so those are made with
 * libxml2's tree API on its node, as gb-network-config does. */
static gboolean
apply_devices (const GbMachineEdit *edit,
               GVirConfigDomain    *domain,
               xmlNodePtr           root,
               GError             **error)
{
  if (edit->fields & (GB_EDIT_BOOT | GB_EDIT_FIRMWARE))
    {
      g_autoptr(GVirConfigDomainOs) os = gvir_config_domain_get_os (domain);
      xmlNodePtr os_node;

      if (os == NULL)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("The definition has no <os> element."));
          return FALSE;
        }
      os_node = config_node (os);

      if (edit->fields & GB_EDIT_BOOT)
        {
          GList *devices = NULL;

          for (guint i = 0; edit->boot_order && edit->boot_order[i]; i++)
            devices = g_list_append (devices,
                                     GINT_TO_POINTER (enum_from_nick (GVIR_CONFIG_TYPE_DOMAIN_OS_BOOT_DEVICE,
                                                                      edit->boot_order[i],
                                                                      GVIR_CONFIG_DOMAIN_OS_BOOT_DEVICE_HD)));
          gvir_config_domain_os_set_boot_devices (os, devices);
          g_list_free (devices);
          gvir_config_domain_os_enable_boot_menu (os, edit->boot_menu);
          /* <os><boot> and per-device <boot order> exclude each other. */
          {
            xmlNodePtr devs = find_child (root, "devices");

            for (xmlNodePtr n = devs ? devs->children : NULL; n; n = n->next)
              if (n->type == XML_ELEMENT_NODE)
                remove_children (n, "boot");
          }
        }

      if (edit->fields & GB_EDIT_FIRMWARE)
        {
          /* libvirt picks the firmware files and makes a fresh NVRAM. */
          remove_children (os_node, "loader");
          remove_children (os_node, "nvram");
          remove_children (os_node, "firmware");
          if (g_strcmp0 (edit->firmware, "efi") == 0)
            gvir_config_domain_os_set_firmware (os, GVIR_CONFIG_DOMAIN_OS_FIRMWARE_EFI);
          else
            xmlUnsetProp (os_node, (const xmlChar *) "firmware");
        }
    }

  if (edit->fields & GB_EDIT_CPU_MODEL)
    {
      xmlNodePtr old = find_child (root, "cpu");
      g_autofree char *topology_xml = NULL;

      /* The topology stays; mode, model and features are replaced. */
      if (old != NULL)
        {
          xmlNodePtr topology = find_child (old, "topology");

          if (topology != NULL)
            xmlUnlinkNode (topology);
          xmlUnlinkNode (old);
          xmlFreeNode (old);
          old = topology;
        }
      if (edit->cpu_mode != NULL && *edit->cpu_mode != '\0')
        {
          GVirConfigDomainCpu *cpu = gvir_config_domain_cpu_new ();

          gvir_config_domain_cpu_set_mode (cpu, enum_from_nick (GVIR_CONFIG_TYPE_DOMAIN_CPU_MODE, edit->cpu_mode,
                                                                GVIR_CONFIG_DOMAIN_CPU_MODE_HOST_MODEL));
          if (g_strcmp0 (edit->cpu_mode, "custom") == 0)
            {
              xmlNodePtr model;

              if (edit->cpu_model == NULL || *edit->cpu_model == '\0')
                {
                  g_object_unref (cpu);
                  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                       _("Name the CPU model, e.g. “qemu64” or “Skylake-Client”."));
                  if (old)
                    xmlFreeNode (old);
                  return FALSE;
                }
              gvir_config_domain_cpu_set_match_policy (cpu, GVIR_CONFIG_DOMAIN_CPU_MATCH_POLICY_EXACT);
              model = xmlNewTextChild (config_node (cpu), NULL, (const xmlChar *) "model",
                                       (const xmlChar *) edit->cpu_model);
              xmlSetProp (model, (const xmlChar *) "fallback", (const xmlChar *) "forbid");
            }
          if (old != NULL)
            xmlAddChild (config_node (cpu), old);
          gvir_config_domain_set_cpu (domain, cpu);
          g_object_unref (cpu);
        }
      else if (old != NULL)
        {
          /* The hypervisor's default model, keeping the topology. */
          xmlNodePtr cpu = xmlNewChild (root, NULL, (const xmlChar *) "cpu", NULL);
          xmlAddChild (cpu, old);
        }
    }

  if (edit->fields & GB_EDIT_VIDEO)
    {
      xmlNodePtr devices = ensure_devices (domain, root);

      remove_children (devices, "video");
      if (!is_none (edit->video_model))
        {
          GVirConfigDomainVideo *video = gvir_config_domain_video_new ();

          gvir_config_domain_video_set_model (video, enum_from_nick (GVIR_CONFIG_TYPE_DOMAIN_VIDEO_MODEL,
                                                                     edit->video_model,
                                                                     GVIR_CONFIG_DOMAIN_VIDEO_MODEL_VGA));
          gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (video));
          g_object_unref (video);
        }
    }

  if (edit->fields & GB_EDIT_SOUND)
    {
      xmlNodePtr devices = ensure_devices (domain, root);

      remove_children (devices, "sound");
      if (!is_none (edit->sound_model))
        {
          GVirConfigDomainSound *sound = gvir_config_domain_sound_new ();

          gvir_config_domain_sound_set_model (sound, enum_from_nick (GVIR_CONFIG_TYPE_DOMAIN_SOUND_MODEL,
                                                                     edit->sound_model,
                                                                     GVIR_CONFIG_DOMAIN_SOUND_MODEL_ICH9));
          gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (sound));
          g_object_unref (sound);
        }
    }

  if (edit->fields & GB_EDIT_RNG)
    {
      xmlNodePtr devices = ensure_devices (domain, root);

      remove_children (devices, "rng");
      if (edit->rng)
        {
          xmlNodePtr rng = new_child (devices, "rng", "model", "virtio");
          xmlNodePtr backend = xmlNewTextChild (rng, NULL, (const xmlChar *) "backend",
                                                (const xmlChar *) "/dev/urandom");

          xmlSetProp (backend, (const xmlChar *) "model", (const xmlChar *) "random");
        }
    }

  if (edit->fields & GB_EDIT_TPM)
    {
      xmlNodePtr devices = ensure_devices (domain, root);

      remove_children (devices, "tpm");
      if (edit->tpm)
        {
          /* TPM 2.0 on the CRB interface, what Windows 11 and systemd
           * expect; swtpm emulates it. */
          xmlNodePtr tpm = new_child (devices, "tpm", "model", "tpm-crb");
          xmlNodePtr backend = new_child (tpm, "backend", "type", "emulator");

          xmlSetProp (backend, (const xmlChar *) "version", (const xmlChar *) "2.0");
        }
    }

  if (edit->fields & GB_EDIT_SERIAL)
    {
      xmlNodePtr devices = ensure_devices (domain, root);

      remove_children (devices, "serial");
      remove_children (devices, "console");
      if (edit->serial)
        {
          GVirConfigDomainSerial *serial = gvir_config_domain_serial_new ();
          GVirConfigDomainConsole *console = gvir_config_domain_console_new ();
          GVirConfigDomainChardevSourcePty *pty = gvir_config_domain_chardev_source_pty_new ();
          GVirConfigDomainChardevSourcePty *pty2 = gvir_config_domain_chardev_source_pty_new ();

          gvir_config_domain_chardev_set_source (GVIR_CONFIG_DOMAIN_CHARDEV (serial),
                                                 GVIR_CONFIG_DOMAIN_CHARDEV_SOURCE (pty));
          gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (serial));
          gvir_config_domain_chardev_set_source (GVIR_CONFIG_DOMAIN_CHARDEV (console),
                                                 GVIR_CONFIG_DOMAIN_CHARDEV_SOURCE (pty2));
          gvir_config_domain_console_set_target_type (console, GVIR_CONFIG_DOMAIN_CONSOLE_TARGET_SERIAL);
          gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (console));
          g_object_unref (pty2);
          g_object_unref (pty);
          g_object_unref (console);
          g_object_unref (serial);
        }
    }

  for (guint i = 0; i < edit->remove_shares->len; i++)
    {
      const char *tag = g_ptr_array_index (edit->remove_shares, i);
      xmlNodePtr node = find_device (root, "filesystem", "target", "dir", tag);

      if (node == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("The machine has no shared folder “%s”."), tag);
          return FALSE;
        }
      xmlUnlinkNode (node);
      xmlFreeNode (node);
    }

  for (guint i = 0; i < edit->add_shares->len; i++)
    {
      const GbEditShare *share = g_ptr_array_index (edit->add_shares, i);
      GVirConfigDomainFilesys *fs;
      xmlNodePtr driver;

      if (share->source == NULL || share->tag == NULL || *share->tag == '\0' || !g_path_is_absolute (share->source))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("A shared folder needs a full host path and a tag."));
          return FALSE;
        }
      fs = gvir_config_domain_filesys_new ();
      gvir_config_domain_filesys_set_type (fs, GVIR_CONFIG_DOMAIN_FILESYS_MOUNT);
      gvir_config_domain_filesys_set_access_type (fs, GVIR_CONFIG_DOMAIN_FILESYS_ACCESS_PASSTHROUGH);
      /* libvirt-gconfig 4.0's driver types stop before virtiofs. */
      driver = new_child (config_node (fs), "driver", "type", "virtiofs");
      (void) driver;
      gvir_config_domain_filesys_set_source (fs, share->source);
      gvir_config_domain_filesys_set_target (fs, share->tag);
      gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (fs));
      g_object_unref (fs);
    }

  /* virtiofsd maps guest memory: it must be shared (virtiofs in libvirt's
   * domain format, "memoryBacking"). */
  if (edit->add_shares->len > 0 && find_child (root, "memoryBacking") == NULL)
    {
      xmlNodePtr backing = xmlNewChild (root, NULL, (const xmlChar *) "memoryBacking", NULL);

      new_child (backing, "source", "type", "memfd");
      new_child (backing, "access", "mode", "shared");
    }

  for (guint i = 0; i < edit->remove_usb->len; i++)
    {
      const char *id = g_ptr_array_index (edit->remove_usb, i);
      xmlNodePtr devices = find_child (root, "devices");
      xmlNodePtr found = NULL;

      for (xmlNodePtr n = devices ? devices->children : NULL; n && !found; n = n->next)
        {
          g_autofree char *type = NULL;
          g_autofree char *vendor = NULL;
          g_autofree char *product = NULL;
          g_autofree char *key = NULL;
          xmlNodePtr source;

          if (n->type != XML_ELEMENT_NODE || xmlStrcmp (n->name, (const xmlChar *) "hostdev") != 0)
            continue;
          type = node_attr (n, "type");
          source = find_child (n, "source");
          vendor = child_attr (source, "vendor", "id");
          product = child_attr (source, "product", "id");
          key = g_strdup_printf ("%s:%s", vendor ? vendor : "", product ? product : "");
          if (g_strcmp0 (type, "usb") == 0 && g_ascii_strcasecmp (key, id) == 0)
            found = n;
        }
      if (found == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("The machine has no USB device %s."), id);
          return FALSE;
        }
      xmlUnlinkNode (found);
      xmlFreeNode (found);
    }

  for (guint i = 0; i < edit->add_usb->len; i++)
    {
      const GbEditUsb *usb = g_ptr_array_index (edit->add_usb, i);
      xmlNodePtr devices = ensure_devices (domain, root);
      /* libvirt-gconfig 4.0 models only PCI host devices. */
      xmlNodePtr hostdev = new_child (devices, "hostdev", "mode", "subsystem");
      xmlNodePtr source;

      xmlSetProp (hostdev, (const xmlChar *) "type", (const xmlChar *) "usb");
      xmlSetProp (hostdev, (const xmlChar *) "managed", (const xmlChar *) "yes");
      source = xmlNewChild (hostdev, NULL, (const xmlChar *) "source", NULL);
      new_child (source, "vendor", "id", usb->vendor);
      new_child (source, "product", "id", usb->product);
    }

  return TRUE;
}

gboolean
gb_machine_edit_apply_to_config (const GbMachineEdit *edit,
                                 GVirConfigDomain    *domain,
                                 GError             **error)
{
  xmlNodePtr root = config_node (domain);

  g_return_val_if_fail (root != NULL, FALSE);

  if (edit->fields & GB_EDIT_VCPUS)
    {
      xmlNodePtr vcpu;

      if (edit->vcpus == 0 || edit->vcpus > edit->max_vcpus)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("%u processors cannot be more than the maximum of %u."),
                       edit->vcpus, edit->max_vcpus);
          return FALSE;
        }
      gvir_config_domain_set_vcpus (domain, edit->max_vcpus);
      /* libvirt-gconfig 4.0 has no setter for current=: set it on its node. */
      vcpu = find_child (root, "vcpu");
      if (vcpu != NULL && edit->vcpus < edit->max_vcpus)
        {
          g_autofree char *current = g_strdup_printf ("%u", edit->vcpus);
          xmlSetProp (vcpu, (const xmlChar *) "current", (const xmlChar *) current);
        }
      else if (vcpu != NULL)
        xmlUnsetProp (vcpu, (const xmlChar *) "current");

      if (edit->sockets > 0 && edit->cores > 0 && edit->threads > 0)
        {
          xmlNodePtr cpu = find_child (root, "cpu");
          xmlNodePtr topology;
          g_autofree char *s = g_strdup_printf ("%u", edit->sockets);
          g_autofree char *c = g_strdup_printf ("%u", edit->cores);
          g_autofree char *t = g_strdup_printf ("%u", edit->threads);

          if ((guint64) edit->sockets * edit->cores * edit->threads != edit->max_vcpus)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("%u sockets × %u cores × %u threads is not the maximum of %u processors."),
                           edit->sockets, edit->cores, edit->threads, edit->max_vcpus);
              return FALSE;
            }
          if (cpu == NULL)
            cpu = xmlNewChild (root, NULL, (const xmlChar *) "cpu", NULL);
          topology = find_child (cpu, "topology");
          if (topology == NULL)
            topology = xmlNewChild (cpu, NULL, (const xmlChar *) "topology", NULL);
          xmlUnsetProp (topology, (const xmlChar *) "dies");
          xmlSetProp (topology, (const xmlChar *) "sockets", (const xmlChar *) s);
          xmlSetProp (topology, (const xmlChar *) "cores", (const xmlChar *) c);
          xmlSetProp (topology, (const xmlChar *) "threads", (const xmlChar *) t);
        }
      /* A <topology> must multiply out to the maximum; one socket per vCPU
       * is what libvirt assumes without one, so that is what a changed
       * maximum gets. */
      else
      {
        xmlNodePtr cpu = find_child (root, "cpu");
        xmlNodePtr topology = find_child (cpu, "topology");

        if (topology != NULL)
          {
            g_autofree char *sockets = node_attr (topology, "sockets");
            g_autofree char *cores = node_attr (topology, "cores");
            g_autofree char *threads = node_attr (topology, "threads");
            g_autofree char *dies = node_attr (topology, "dies");
            guint64 product = g_ascii_strtoull (sockets ? sockets : "1", NULL, 10) *
                              g_ascii_strtoull (cores ? cores : "1", NULL, 10) *
                              g_ascii_strtoull (threads ? threads : "1", NULL, 10) *
                              g_ascii_strtoull (dies ? dies : "1", NULL, 10);

            if (product != edit->max_vcpus)
              {
                g_autofree char *n = g_strdup_printf ("%u", edit->max_vcpus);

                xmlSetProp (topology, (const xmlChar *) "sockets", (const xmlChar *) n);
                xmlSetProp (topology, (const xmlChar *) "cores", (const xmlChar *) "1");
                xmlSetProp (topology, (const xmlChar *) "threads", (const xmlChar *) "1");
                if (dies != NULL)
                  xmlSetProp (topology, (const xmlChar *) "dies", (const xmlChar *) "1");
              }
          }
      }
    }

  if (edit->fields & GB_EDIT_MEMORY)
    {
      if (edit->memory_kib == 0 || edit->memory_kib > edit->max_memory_kib)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("The memory cannot be more than the maximum memory."));
          return FALSE;
        }
      gvir_config_domain_set_memory (domain, edit->max_memory_kib);
      gvir_config_domain_set_current_memory (domain, edit->memory_kib);
    }

  if (edit->fields & GB_EDIT_TITLE)
    gvir_config_domain_set_title (domain, edit->title && *edit->title ? edit->title : NULL);
  if (edit->fields & GB_EDIT_DESCRIPTION)
    gvir_config_domain_set_description (domain, edit->description && *edit->description ? edit->description : NULL);

  for (guint i = 0; i < edit->remove_disks->len; i++)
    {
      const char *target = g_ptr_array_index (edit->remove_disks, i);
      xmlNodePtr node = find_device (root, "disk", "target", "dev", target);

      if (node == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("The machine has no disk %s."), target);
          return FALSE;
        }
      xmlUnlinkNode (node);
      xmlFreeNode (node);
    }

  for (guint i = 0; i < edit->media->len; i++)
    {
      const GbEditDisk *media = g_ptr_array_index (edit->media, i);
      xmlNodePtr node = find_device (root, "disk", "target", "dev", media->target);
      xmlNodePtr source;

      if (node == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("The machine has no disk %s."), media->target);
          return FALSE;
        }
      /* Eject: the drive stays, without <source>. */
      if ((source = find_child (node, "source")) != NULL)
        {
          xmlUnlinkNode (source);
          xmlFreeNode (source);
        }
      if (media->path != NULL)
        {
          g_autoptr(GVirConfigDomainDisk) disk = NULL;
          g_autofree char *xml = NULL;
          xmlDocPtr doc = node->doc;
          xmlNodePtr copy;

          /* The drive as libvirt-gconfig sees it, with the new medium. */
          xml = NULL;
          {
            xmlBufferPtr buf = xmlBufferCreate ();
            xmlNodeDump (buf, doc, node, 0, 0);
            xml = g_strdup ((const char *) xmlBufferContent (buf));
            xmlBufferFree (buf);
          }
          disk = gvir_config_domain_disk_new_from_xml (xml, error);
          if (disk == NULL)
            return FALSE;
          gvir_config_domain_disk_set_type (disk, GVIR_CONFIG_DOMAIN_DISK_FILE);
          gvir_config_domain_disk_set_source (disk, media->path);
          copy = xmlDocCopyNode (config_node (disk), doc, 1);
          xmlReplaceNode (node, copy);
          xmlFreeNode (node);
        }
    }

  for (guint i = 0; i < edit->modify_disks->len; i++)
    {
      const GbEditDisk *mod = g_ptr_array_index (edit->modify_disks, i);
      xmlNodePtr node = find_device (root, "disk", "target", "dev", mod->target);
      xmlNodePtr target, driver;
      g_autofree char *bus = NULL;

      if (node == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("The machine has no disk %s."), mod->target);
          return FALSE;
        }
      driver = find_child (node, "driver");
      if (mod->cache != NULL && g_strcmp0 (mod->cache, "default") != 0)
        {
          if (driver == NULL)
            driver = new_child (node, "driver", "name", "qemu");
          xmlSetProp (driver, (const xmlChar *) "cache", (const xmlChar *) mod->cache);
        }
      else if (driver != NULL)
        xmlUnsetProp (driver, (const xmlChar *) "cache");
      remove_children (node, "readonly");
      if (mod->read_only)
        xmlNewChild (node, NULL, (const xmlChar *) "readonly", NULL);

      target = find_child (node, "target");
      bus = node_attr (target, "bus");
      if (mod->bus != NULL && g_strcmp0 (bus, mod->bus) != 0)
        {
          g_autofree char *dev = next_target (root, mod->bus);

          if (dev == NULL)
            {
              g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                                   _("There is no free place for another disk on this bus."));
              return FALSE;
            }
          xmlSetProp (target, (const xmlChar *) "bus", (const xmlChar *) mod->bus);
          xmlSetProp (target, (const xmlChar *) "dev", (const xmlChar *) dev);
          /* The old bus's address means nothing on the new one. */
          remove_children (node, "address");
        }
    }

  for (guint i = 0; i < edit->add_disks->len; i++)
    {
      const GbEditDisk *disk = g_ptr_array_index (edit->add_disks, i);
      g_autoptr(GVirConfigDomainDisk) config = gb_edit_disk_to_config (disk);

      if (disk->target == NULL)
        {
          g_autofree char *target = next_target (root, disk->bus);

          if (target == NULL)
            {
              g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                                   _("There is no free place for another disk on this bus."));
              return FALSE;
            }
          gvir_config_domain_disk_set_target_dev (config, target);
        }
      gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (config));
    }

  for (guint i = 0; i < edit->remove_nics->len; i++)
    {
      const char *mac = g_ptr_array_index (edit->remove_nics, i);
      xmlNodePtr node = find_device (root, "interface", "mac", "address", mac);

      if (node == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       _("The machine has no network interface %s."), mac);
          return FALSE;
        }
      xmlUnlinkNode (node);
      xmlFreeNode (node);
    }

  for (guint i = 0; i < edit->modify_nics->len; i++)
    {
      const GbEditNic *mod = g_ptr_array_index (edit->modify_nics, i);
      xmlNodePtr node = find_device (root, "interface", "mac", "address", mod->mac);
      gboolean bridge = g_strcmp0 (mod->type, "bridge") == 0;
      xmlNodePtr source, target;

      if (node == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       _("The machine has no network interface %s."), mod->mac);
          return FALSE;
        }
      if (mod->source == NULL || *mod->source == '\0')
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("Name the network or bridge to connect to."));
          return FALSE;
        }
      xmlSetProp (node, (const xmlChar *) "type", (const xmlChar *) (bridge ? "bridge" : "network"));
      /* The old connection's own elements go with it (libvirt fills the
       * new one's tap name in). */
      remove_children (node, "source");
      remove_children (node, "target");
      remove_children (node, "virtualport");
      source = xmlNewChild (node, NULL, (const xmlChar *) "source", NULL);
      xmlSetProp (source, (const xmlChar *) (bridge ? "bridge" : "network"), (const xmlChar *) mod->source);
      /* <source> first after <mac>, where libvirt writes it. */
      target = find_child (node, "mac");
      if (target != NULL)
        {
          xmlUnlinkNode (source);
          xmlAddNextSibling (target, source);
        }
      remove_children (node, "model");
      if (mod->model != NULL && *mod->model != '\0')
        new_child (node, "model", "type", mod->model);
    }

  for (guint i = 0; i < edit->add_nics->len; i++)
    {
      g_autoptr(GVirConfigDomainInterface) config = gb_edit_nic_to_config (g_ptr_array_index (edit->add_nics, i));

      gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (config));
    }

  return apply_devices (edit, domain, root, error);
}

/* Threads */

gboolean
gb_libvirt_edit_have_swtpm (void)
{
  g_autofree char *path = g_find_program_in_path ("swtpm");

  return path != NULL;
}

gboolean
gb_libvirt_edit_supported (GbMachine *machine)
{
  return GB_IS_LIBVIRT_MACHINE (machine);
}

static virDomainPtr
ref_domain (GbMachine  *machine,
            GError    **error)
{
  virDomainPtr dom = NULL;

  if (GB_IS_LIBVIRT_MACHINE (machine))
    dom = _gb_libvirt_machine_get_handle ((GbLibvirtMachine *) machine);
  if (dom == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("“%s” cannot be changed from here."), gb_machine_get_name (machine));
      return NULL;
    }
  virDomainRef (dom);
  return dom;
}

/* Passwords of graphics consoles are in the definition only with
 * VIR_DOMAIN_XML_SECURE; a read-only connection may not ask for it. */
static char *
inactive_xml (virDomainPtr   dom,
              GError       **error)
{
  char *xml = virDomainGetXMLDesc (dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);

  if (xml == NULL)
    {
      virResetLastError ();
      xml = virDomainGetXMLDesc (dom, VIR_DOMAIN_XML_INACTIVE);
    }
  if (xml == NULL)
    gb_libvirt_set_error (error, NULL);
  return xml;
}

static guint64
xpath_u64 (xmlXPathContext *ctx,
           const char      *expr)
{
  xmlXPathObject *obj = xmlXPathEvalExpression ((const xmlChar *) expr, ctx);
  guint64 ret = 0;

  if (obj != NULL && obj->type == XPATH_NUMBER && obj->floatval == obj->floatval && obj->floatval > 0)
    ret = (guint64) obj->floatval;
  xmlXPathFreeObject (obj);
  return ret;
}

static char *
xpath_text (xmlXPathContext *ctx,
            const char      *expr)
{
  xmlXPathObject *obj = xmlXPathEvalExpression ((const xmlChar *) expr, ctx);
  char *ret = NULL;

  if (obj != NULL && obj->type == XPATH_STRING && obj->stringval != NULL && obj->stringval[0] != '\0')
    ret = g_strdup ((const char *) obj->stringval);
  xmlXPathFreeObject (obj);
  return ret;
}

/* Started once (from an inactive definition): by us (the mark
 * gb-libvirt-machine.c leaves), or by anyone with UEFI (libvirt made the
 * NVRAM file on that start).  The firmware is then fixed: the installed
 * system boots only with the firmware it was installed with. */
static gboolean
started_before (xmlXPathContext *ctx)
{
  g_autofree char *nvram = xpath_text (ctx, "string(/domain/os/nvram)");

  return xpath_u64 (ctx, "count(/domain/metadata/*[namespace-uri()='" GB_LIBVIRT_STARTED_NS_URI "'])") > 0 ||
         (nvram != NULL && g_file_test (nvram, G_FILE_TEST_EXISTS));
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  virDomainPtr dom = task_data;
  g_autoptr(GbEditState) state = g_new0 (GbEditState, 1);
  g_autoptr(GVirConfigDomain) domain = NULL;
  GError *error = NULL;
  xmlXPathContext *ctx;
  xmlNodePtr root;
  int autostart = 0;
  int active;

  state->xml = inactive_xml (dom, &error);
  if (state->xml == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  state->config = gb_machine_config_new_from_xml (state->xml, &error);
  if (state->config == NULL || !(domain = gvir_config_domain_new_from_xml (state->xml, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  if (virDomainGetAutostart (dom, &autostart) < 0)
    virResetLastError ();
  state->autostart = autostart != 0;
  active = virDomainIsActive (dom);
  state->running = active > 0;

  root = config_node (domain);
  ctx = xmlXPathNewContext (root->doc);
  state->max_vcpus = xpath_u64 (ctx, "number(/domain/vcpu)");
  state->vcpus = xpath_u64 (ctx, "number(/domain/vcpu/@current)");
  if (state->vcpus == 0)
    state->vcpus = state->max_vcpus;
  state->sockets = xpath_u64 (ctx, "number(/domain/cpu/topology/@sockets)");
  state->cores = xpath_u64 (ctx, "number(/domain/cpu/topology/@cores)");
  state->threads = xpath_u64 (ctx, "number(/domain/cpu/topology/@threads)");
  state->max_memory_kib = gvir_config_domain_get_memory (domain);
  state->memory_kib = gvir_config_domain_get_current_memory (domain);
  if (state->memory_kib == 0)
    state->memory_kib = state->max_memory_kib;
  {
    xmlXPathObject *boots = xmlXPathEvalExpression ((const xmlChar *) "/domain/os/boot/@dev", ctx);
    g_autoptr(GStrvBuilder) order = g_strv_builder_new ();
    g_autofree char *menu = NULL;

    for (int i = 0; boots && boots->nodesetval && i < boots->nodesetval->nodeNr; i++)
      {
        xmlChar *dev = xmlNodeGetContent (boots->nodesetval->nodeTab[i]);
        g_strv_builder_add (order, (const char *) dev);
        xmlFree (dev);
      }
    xmlXPathFreeObject (boots);
    state->boot_order = g_strv_builder_end (order);
    menu = xpath_text (ctx, "string(/domain/os/bootmenu/@enable)");
    state->boot_menu = g_strcmp0 (menu, "yes") == 0;
    state->firmware = xpath_text (ctx, "string(/domain/os/@firmware)");
    if (state->firmware == NULL)
      state->firmware = g_strdup (xpath_u64 (ctx, "count(/domain/os/loader[@type='pflash'])") > 0 ? "efi" : "bios");
    state->ever_started = state->running || started_before (ctx);
    state->cpu_mode = xpath_text (ctx, "string(/domain/cpu/@mode)");
    state->cpu_model = xpath_text (ctx, "string(/domain/cpu/model)");
    /* <cpu> with only a topology is the hypervisor's default model. */
    if (state->cpu_mode == NULL && state->cpu_model != NULL)
      state->cpu_mode = g_strdup ("custom");
    state->video_model = xpath_text (ctx, "string(/domain/devices/video[1]/model/@type)");
    if (g_strcmp0 (state->video_model, "none") == 0)
      g_clear_pointer (&state->video_model, g_free);
    state->sound_model = xpath_text (ctx, "string(/domain/devices/sound[1]/@model)");
    state->rng = xpath_u64 (ctx, "count(/domain/devices/rng)") > 0;
    state->tpm = xpath_u64 (ctx, "count(/domain/devices/tpm)") > 0;
    state->serial = xpath_u64 (ctx, "count(/domain/devices/serial)") > 0;
  }
  state->disk_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  {
    xmlNodePtr devices = find_child (root, "devices");

    for (xmlNodePtr n = devices ? devices->children : NULL; n; n = n->next)
      if (n->type == XML_ELEMENT_NODE && xmlStrcmp (n->name, (const xmlChar *) "disk") == 0)
        {
          char *dev = child_attr (n, "target", "dev");
          char *cache = child_attr (n, "driver", "cache");

          if (dev != NULL && cache != NULL)
            g_hash_table_insert (state->disk_cache, dev, cache);
          else
            {
              g_free (dev);
              g_free (cache);
            }
        }
  }
  state->shares = g_ptr_array_new_with_free_func ((GDestroyNotify) gb_edit_share_free);
  state->usb = g_ptr_array_new_with_free_func ((GDestroyNotify) gb_edit_usb_free);
  {
    xmlNodePtr devices = find_child (root, "devices");

    for (xmlNodePtr n = devices ? devices->children : NULL; n; n = n->next)
      {
        if (n->type != XML_ELEMENT_NODE)
          continue;
        if (xmlStrcmp (n->name, (const xmlChar *) "filesystem") == 0)
          {
            GbEditShare *share = g_new0 (GbEditShare, 1);

            share->source = child_attr (n, "source", "dir");
            share->tag = child_attr (n, "target", "dir");
            g_ptr_array_add (state->shares, share);
          }
        else if (xmlStrcmp (n->name, (const xmlChar *) "hostdev") == 0)
          {
            g_autofree char *type = node_attr (n, "type");
            xmlNodePtr source = find_child (n, "source");
            GbEditUsb *usb;

            if (g_strcmp0 (type, "usb") != 0)
              continue;
            usb = g_new0 (GbEditUsb, 1);
            usb->vendor = child_attr (source, "vendor", "id");
            usb->product = child_attr (source, "product", "id");
            g_ptr_array_add (state->usb, usb);
          }
      }
  }
  xmlXPathFreeContext (ctx);
  state->title = g_strdup (gvir_config_domain_get_title (domain));
  state->description = g_strdup (gvir_config_domain_get_description (domain));

  if (state->running)
    {
      int n = virDomainGetVcpusFlags (dom, VIR_DOMAIN_AFFECT_LIVE);

      if (n < 0)
        virResetLastError ();
      state->live_vcpus = MAX (n, 0);
    }

  g_task_return_pointer (task, g_steal_pointer (&state), (GDestroyNotify) gb_edit_state_free);
}

void
gb_libvirt_edit_load_async (GbMachine           *machine,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (machine, cancellable, callback, user_data);
  GError *error = NULL;
  virDomainPtr dom;

  g_task_set_source_tag (task, gb_libvirt_edit_load_async);
  dom = ref_domain (machine, &error);
  if (dom == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_set_task_data (task, dom, domain_free);
  g_task_run_in_thread (task, load_thread);
}

GbEditState *
gb_libvirt_edit_load_finish (GbMachine     *machine,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, machine), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
gb_libvirt_edit_have_virtiofsd (void)
{
  /* Debian's qemu-system-common puts it in /usr/lib/qemu; the Rust
   * virtiofsd package in /usr/libexec. */
  static const char *const places[] = { "/usr/libexec/virtiofsd", "/usr/lib/qemu/virtiofsd" };
  g_autofree char *path = g_find_program_in_path ("virtiofsd");

  if (path != NULL)
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (places); i++)
    if (g_file_test (places[i], G_FILE_TEST_IS_EXECUTABLE))
      return TRUE;
  return FALSE;
}

static void
list_usb_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  virConnectPtr conn = virDomainGetConnect (task_data);
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) gb_edit_usb_free);
  virNodeDevicePtr *devs = NULL;
  GError *error = NULL;
  int n;

  n = virConnectListAllNodeDevices (conn, &devs, VIR_CONNECT_LIST_NODE_DEVICES_CAP_USB_DEV);
  if (n < 0)
    {
      gb_libvirt_set_error (&error, NULL);
      g_task_return_error (task, error);
      return;
    }
  for (int i = 0; i < n; i++)
    {
      g_autofree char *xml = virNodeDeviceGetXMLDesc (devs[i], 0);
      xmlDocPtr doc = xml ? xmlReadMemory (xml, strlen (xml), NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING) : NULL;

      if (doc != NULL)
        {
          xmlXPathContext *ctx = xmlXPathNewContext (doc);
          GbEditUsb *usb = g_new0 (GbEditUsb, 1);
          g_autofree char *vendor_name = xpath_text (ctx, "string(/device/capability/vendor)");
          g_autofree char *product_name = xpath_text (ctx, "string(/device/capability/product)");

          usb->vendor = xpath_text (ctx, "string(/device/capability/vendor/@id)");
          usb->product = xpath_text (ctx, "string(/device/capability/product/@id)");
          usb->description = g_strdup_printf ("%s %s", vendor_name ? vendor_name : "",
                                              product_name ? product_name : "");
          g_strstrip (usb->description);
          if (usb->vendor && usb->product)
            g_ptr_array_add (list, usb);
          else
            gb_edit_usb_free (usb);
          xmlXPathFreeContext (ctx);
          xmlFreeDoc (doc);
        }
      virNodeDeviceFree (devs[i]);
    }
  g_free (devs);
  g_task_return_pointer (task, g_steal_pointer (&list), (GDestroyNotify) g_ptr_array_unref);
}

void
gb_libvirt_edit_list_usb_async (GbMachine           *machine,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (machine, cancellable, callback, user_data);
  GError *error = NULL;
  virDomainPtr dom;

  g_task_set_source_tag (task, gb_libvirt_edit_list_usb_async);
  dom = ref_domain (machine, &error);
  if (dom == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_set_task_data (task, dom, domain_free);
  g_task_run_in_thread (task, list_usb_thread);
}

GPtrArray *
gb_libvirt_edit_list_usb_finish (GbMachine     *machine,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, machine), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Apply */

typedef struct {
  virDomainPtr   dom;
  GbMachineEdit *edit;
  char          *xml;       /* define_xml */
} ApplyData;

static void
apply_data_free (gpointer data)
{
  ApplyData *ad = data;

  virDomainFree (ad->dom);
  gb_machine_edit_free (ad->edit);
  g_free (ad->xml);
  g_free (ad);
}

static gboolean
define (virDomainPtr   dom,
        const char    *xml,
        GError       **error)
{
  virConnectPtr conn = virDomainGetConnect (dom);
  virDomainPtr defined;
  char uuid[VIR_UUID_STRING_BUFLEN];
  char new_uuid[VIR_UUID_STRING_BUFLEN];

  defined = virDomainDefineXMLFlags (conn, xml, VIR_DOMAIN_DEFINE_VALIDATE);
  if (defined == NULL)
    {
      gb_libvirt_set_error (error, NULL);
      return FALSE;
    }
  /* Another UUID is another machine: that is not an edit. */
  if (virDomainGetUUIDString (dom, uuid) == 0 && virDomainGetUUIDString (defined, new_uuid) == 0 &&
      strcmp (uuid, new_uuid) != 0)
    {
      virDomainUndefine (defined);
      virDomainFree (defined);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The definition names another machine (its UUID differs)."));
      return FALSE;
    }
  virDomainFree (defined);
  return TRUE;
}

/* A note for the next boot: "what" and libvirt's reason, if any. */
static void
add_note (GPtrArray  *notes,
          const char *what)
{
  virErrorPtr err = virGetLastError ();

  if (err != NULL && err->message != NULL)
    /* Translators: a change that waits for the next boot, then libvirt's reason */
    g_ptr_array_add (notes, g_strdup_printf (_("%s (%s)"), what, err->message));
  else
    g_ptr_array_add (notes, g_strdup (what));
  virResetLastError ();
}

static char *
live_device_xml (virDomainPtr  dom,
                 const char   *kind,
                 const char   *child,
                 const char   *attr,
                 const char   *value)
{
  g_autofree char *xml = virDomainGetXMLDesc (dom, 0);
  g_autoptr(GVirConfigDomain) domain = NULL;
  xmlNodePtr node;
  xmlBufferPtr buf;
  char *ret;

  if (xml == NULL || !(domain = gvir_config_domain_new_from_xml (xml, NULL)))
    {
      virResetLastError ();
      return NULL;
    }
  node = find_device (config_node (domain), kind, child, attr, value);
  if (node == NULL)
    return NULL;
  buf = xmlBufferCreate ();
  xmlNodeDump (buf, node->doc, node, 0, 0);
  ret = g_strdup ((const char *) xmlBufferContent (buf));
  xmlBufferFree (buf);
  return ret;
}

/* Whether the running machine still has the device (live_device_xml's
 * words).  A PCI device leaves only when the guest lets it go (ACPI);
 * libvirt waits 5 s for that, then reports success anyway. */
static gboolean
live_device_still (virDomainPtr  dom,
                   const char   *kind,
                   const char   *child,
                   const char   *attr,
                   const char   *value)
{
  g_autofree char *xml = live_device_xml (dom, kind, child, attr, value);

  return xml != NULL;
}

static void
apply_live (virDomainPtr         dom,
            const GbMachineEdit *edit,
            GVirConfigDomain    *before,
            GVirConfigDomain    *after,
            GPtrArray           *notes)
{
  unsigned int live = VIR_DOMAIN_AFFECT_LIVE;
  xmlNodePtr after_root = config_node (after);

  if (edit->fields & GB_EDIT_VCPUS)
    {
      int now = virDomainGetVcpusFlags (dom, live);
      int max = virDomainGetVcpusFlags (dom, live | VIR_DOMAIN_VCPU_MAXIMUM);

      if ((guint) max != edit->max_vcpus)
        g_ptr_array_add (notes, g_strdup (_("The maximum number of processors changes when the machine next starts.")));
      if (now >= 0 && (guint) now != edit->vcpus)
        {
          if (edit->vcpus > (guint) MAX (max, 0))
            g_ptr_array_add (notes, g_strdup (_("More processors than the running machine's maximum: they come when it next starts.")));
          else if (virDomainSetVcpusFlags (dom, edit->vcpus, live) < 0)
            add_note (notes, _("The number of processors changes when the machine next starts."));
        }
      virResetLastError ();
    }

  if (edit->fields & GB_EDIT_MEMORY)
    {
      unsigned long max = virDomainGetMaxMemory (dom);

      if (max != edit->max_memory_kib)
        g_ptr_array_add (notes, g_strdup (_("The maximum memory changes when the machine next starts.")));
      if (edit->memory_kib > max)
        g_ptr_array_add (notes, g_strdup (_("More memory than the running machine's maximum: it comes when it next starts.")));
      else if (virDomainSetMemoryFlags (dom, edit->memory_kib, live) < 0)
        add_note (notes, _("The memory changes when the machine next starts."));
      virResetLastError ();
    }

  {
    static const struct { GbEditFields field; const char *what; } next_boot[] = {
      { GB_EDIT_BOOT, N_("The boot order and menu change when the machine next starts.") },
      { GB_EDIT_FIRMWARE, N_("The firmware changes when the machine next starts.") },
      { GB_EDIT_CPU_MODEL, N_("The CPU model changes when the machine next starts.") },
      { GB_EDIT_VIDEO, N_("The video card changes when the machine next starts.") },
      { GB_EDIT_SOUND, N_("The sound card changes when the machine next starts.") },
      { GB_EDIT_TPM, N_("The TPM changes when the machine next starts.") },
      { GB_EDIT_SERIAL, N_("The serial console changes when the machine next starts.") },
    };

    for (guint i = 0; i < G_N_ELEMENTS (next_boot); i++)
      if (edit->fields & next_boot[i].field)
        g_ptr_array_add (notes, g_strdup (_(next_boot[i].what)));
  }

  /* A random number generator can come and go while the guest runs. */
  if (edit->fields & GB_EDIT_RNG)
    {
      xmlNodePtr devices = find_child (after_root, "devices");
      xmlNodePtr rng = find_child (devices, "rng");

      if (rng != NULL)
        {
          xmlBufferPtr buf = xmlBufferCreate ();

          xmlNodeDump (buf, rng->doc, rng, 0, 0);
          if (virDomainAttachDeviceFlags (dom, (const char *) xmlBufferContent (buf), live) < 0)
            add_note (notes, _("The random number generator is added when the machine next starts."));
          xmlBufferFree (buf);
        }
      else
        {
          g_autofree char *xml = virDomainGetXMLDesc (dom, 0);
          g_autoptr(GVirConfigDomain) running = xml ? gvir_config_domain_new_from_xml (xml, NULL) : NULL;
          xmlNodePtr live_rng = running ? find_child (find_child (config_node (running), "devices"), "rng") : NULL;

          if (live_rng != NULL)
            {
              xmlBufferPtr buf = xmlBufferCreate ();

              xmlNodeDump (buf, live_rng->doc, live_rng, 0, 0);
              if (virDomainDetachDeviceFlags (dom, (const char *) xmlBufferContent (buf), live) < 0)
                add_note (notes, _("The random number generator is removed when the machine next starts."));
              xmlBufferFree (buf);
            }
          virResetLastError ();
        }
    }

  /* Shared folders and USB devices: plugged where libvirt and QEMU can. */
  {
    xmlNodePtr devices = find_child (after_root, "devices");
    g_autofree char *running_xml = NULL;
    g_autoptr(GVirConfigDomain) running = NULL;
    xmlNodePtr running_devices = NULL;

    if (edit->remove_shares->len > 0 || edit->remove_usb->len > 0)
      {
        running_xml = virDomainGetXMLDesc (dom, 0);
        running = running_xml ? gvir_config_domain_new_from_xml (running_xml, NULL) : NULL;
        running_devices = running ? find_child (config_node (running), "devices") : NULL;
        virResetLastError ();
      }

    for (xmlNodePtr n = devices ? devices->children : NULL; n; n = n->next)
      {
        gboolean plug = FALSE;
        g_autofree char *what = NULL;

        if (n->type != XML_ELEMENT_NODE)
          continue;
        if (xmlStrcmp (n->name, (const xmlChar *) "filesystem") == 0)
          {
            g_autofree char *tag = child_attr (n, "target", "dir");

            for (guint i = 0; i < edit->add_shares->len; i++)
              if (g_strcmp0 (((GbEditShare *) g_ptr_array_index (edit->add_shares, i))->tag, tag) == 0)
                plug = TRUE;
            what = g_strdup_printf (_("Shared folder “%s” is added when the machine next starts."), tag);
          }
        else if (xmlStrcmp (n->name, (const xmlChar *) "hostdev") == 0)
          {
            xmlNodePtr source = find_child (n, "source");
            g_autofree char *vendor = child_attr (source, "vendor", "id");
            g_autofree char *product = child_attr (source, "product", "id");

            for (guint i = 0; i < edit->add_usb->len; i++)
              {
                GbEditUsb *usb = g_ptr_array_index (edit->add_usb, i);
                if (g_strcmp0 (usb->vendor, vendor) == 0 && g_strcmp0 (usb->product, product) == 0)
                  plug = TRUE;
              }
            what = g_strdup_printf (_("USB device %s:%s is added when the machine next starts."), vendor, product);
          }
        if (plug)
          {
            xmlBufferPtr buf = xmlBufferCreate ();

            xmlNodeDump (buf, n->doc, n, 0, 0);
            if (virDomainAttachDeviceFlags (dom, (const char *) xmlBufferContent (buf), live) < 0)
              add_note (notes, what);
            xmlBufferFree (buf);
          }
      }

    for (xmlNodePtr n = running_devices ? running_devices->children : NULL; n; n = n->next)
      {
        gboolean unplug = FALSE;
        g_autofree char *what = NULL;

        if (n->type != XML_ELEMENT_NODE)
          continue;
        if (xmlStrcmp (n->name, (const xmlChar *) "filesystem") == 0)
          {
            g_autofree char *tag = child_attr (n, "target", "dir");

            for (guint i = 0; i < edit->remove_shares->len; i++)
              if (g_strcmp0 (g_ptr_array_index (edit->remove_shares, i), tag) == 0)
                unplug = TRUE;
            what = g_strdup_printf (_("Shared folder “%s” is removed when the machine next starts."), tag);
          }
        else if (xmlStrcmp (n->name, (const xmlChar *) "hostdev") == 0)
          {
            xmlNodePtr source = find_child (n, "source");
            g_autofree char *vendor = child_attr (source, "vendor", "id");
            g_autofree char *product = child_attr (source, "product", "id");
            g_autofree char *key = g_strdup_printf ("%s:%s", vendor, product);

            for (guint i = 0; i < edit->remove_usb->len; i++)
              if (g_ascii_strcasecmp (g_ptr_array_index (edit->remove_usb, i), key) == 0)
                unplug = TRUE;
            what = g_strdup_printf (_("USB device %s is removed when the machine next starts."), key);
          }
        if (unplug)
          {
            xmlBufferPtr buf = xmlBufferCreate ();

            xmlNodeDump (buf, n->doc, n, 0, 0);
            if (virDomainDetachDeviceFlags (dom, (const char *) xmlBufferContent (buf), live) < 0)
              add_note (notes, what);
            xmlBufferFree (buf);
          }
      }
  }

  if (edit->fields & GB_EDIT_TITLE)
    if (virDomainSetMetadata (dom, VIR_DOMAIN_METADATA_TITLE, edit->title && *edit->title ? edit->title : NULL,
                              NULL, NULL, live) < 0)
      virResetLastError ();
  if (edit->fields & GB_EDIT_DESCRIPTION)
    if (virDomainSetMetadata (dom, VIR_DOMAIN_METADATA_DESCRIPTION,
                              edit->description && *edit->description ? edit->description : NULL,
                              NULL, NULL, live) < 0)
      virResetLastError ();

  for (guint i = 0; i < edit->remove_disks->len; i++)
    {
      const char *target = g_ptr_array_index (edit->remove_disks, i);
      g_autofree char *xml = live_device_xml (dom, "disk", "target", "dev", target);
      g_autofree char *what = g_strdup_printf (_("Disk %s is removed when the machine next starts."), target);

      if (xml == NULL)
        continue;
      if (virDomainDetachDeviceFlags (dom, xml, live) < 0)
        add_note (notes, what);
      else if (live_device_still (dom, "disk", "target", "dev", target))
        g_ptr_array_add (notes, g_strdup_printf (_("Disk %s: the guest has been asked to let it go and has not yet. It goes when the guest does, or when the machine next starts."),
                                                 target));
    }

  for (guint i = 0; i < edit->modify_disks->len; i++)
    {
      const GbEditDisk *mod = g_ptr_array_index (edit->modify_disks, i);

      g_ptr_array_add (notes, g_strdup_printf (_("Disk %s's bus, cache and read-only setting change when the machine next starts."),
                                               mod->target));
    }

  for (guint i = 0; i < edit->media->len; i++)
    {
      const GbEditDisk *media = g_ptr_array_index (edit->media, i);
      xmlNodePtr node = find_device (after_root, "disk", "target", "dev", media->target);
      g_autofree char *what = g_strdup_printf (_("The medium in %s changes when the machine next starts."),
                                               media->target);
      xmlBufferPtr buf;

      if (node == NULL)
        continue;
      buf = xmlBufferCreate ();
      xmlNodeDump (buf, node->doc, node, 0, 0);
      if (virDomainUpdateDeviceFlags (dom, (const char *) xmlBufferContent (buf), live) < 0)
        add_note (notes, what);
      xmlBufferFree (buf);
    }

  for (guint i = 0; i < edit->add_disks->len; i++)
    {
      const GbEditDisk *disk = g_ptr_array_index (edit->add_disks, i);
      /* The one the definition got: the last disk with this source (its
       * target was chosen there). */
      xmlNodePtr devices = find_child (after_root, "devices");
      xmlNodePtr found = NULL;
      g_autofree char *what = NULL;
      xmlBufferPtr buf;

      for (xmlNodePtr n = devices ? devices->children : NULL; n; n = n->next)
        {
          g_autofree char *src = NULL;
          if (n->type != XML_ELEMENT_NODE || xmlStrcmp (n->name, (const xmlChar *) "disk") != 0)
            continue;
          src = child_attr (n, "source", "file");
          if (src == NULL)
            src = child_attr (n, "source", "dev");
          if (g_strcmp0 (src, disk->path) == 0)
            found = n;
        }
      if (found == NULL)
        continue;
      {
        g_autofree char *target = child_attr (found, "target", "dev");
        what = g_strdup_printf (_("Disk %s is added when the machine next starts."), target);
      }
      buf = xmlBufferCreate ();
      xmlNodeDump (buf, found->doc, found, 0, 0);
      if (virDomainAttachDeviceFlags (dom, (const char *) xmlBufferContent (buf), live) < 0)
        add_note (notes, what);
      xmlBufferFree (buf);
    }

  /* A changed interface: libvirt can move a running one to another
   * network or bridge (virDomainUpdateDeviceFlags), not change its model. */
  for (guint i = 0; i < edit->modify_nics->len; i++)
    {
      const GbEditNic *mod = g_ptr_array_index (edit->modify_nics, i);
      xmlNodePtr node = find_device (after_root, "interface", "mac", "address", mod->mac);
      g_autofree char *what = g_strdup_printf (_("Network interface %s changes when the machine next starts."),
                                               mod->mac);
      xmlBufferPtr buf;

      if (node == NULL)
        continue;
      buf = xmlBufferCreate ();
      xmlNodeDump (buf, node->doc, node, 0, 0);
      if (virDomainUpdateDeviceFlags (dom, (const char *) xmlBufferContent (buf), live) < 0)
        add_note (notes, what);
      xmlBufferFree (buf);
    }

  for (guint i = 0; i < edit->remove_nics->len; i++)
    {
      const char *mac = g_ptr_array_index (edit->remove_nics, i);
      g_autofree char *xml = live_device_xml (dom, "interface", "mac", "address", mac);
      g_autofree char *what = g_strdup_printf (_("Network interface %s is removed when the machine next starts."), mac);

      if (xml == NULL)
        continue;
      if (virDomainDetachDeviceFlags (dom, xml, live) < 0)
        add_note (notes, what);
      else if (live_device_still (dom, "interface", "mac", "address", mac))
        g_ptr_array_add (notes, g_strdup_printf (_("Network interface %s: the guest has been asked to let it go and has not yet. It goes when the guest does, or when the machine next starts."),
                                                 mac));
    }

  if (edit->add_nics->len > 0)
    {
      /* The interfaces the definition gained: those whose MAC the old one lacks. */
      xmlNodePtr devices = find_child (after_root, "devices");
      xmlNodePtr before_root = config_node (before);

      for (xmlNodePtr n = devices ? devices->children : NULL; n; n = n->next)
        {
          g_autofree char *mac = NULL;
          g_autofree char *what = NULL;
          xmlBufferPtr buf;

          if (n->type != XML_ELEMENT_NODE || xmlStrcmp (n->name, (const xmlChar *) "interface") != 0)
            continue;
          mac = child_attr (n, "mac", "address");
          if (mac == NULL || find_device (before_root, "interface", "mac", "address", mac) != NULL)
            continue;
          what = g_strdup_printf (_("Network interface %s is added when the machine next starts."), mac);
          buf = xmlBufferCreate ();
          xmlNodeDump (buf, n->doc, n, 0, 0);
          if (virDomainAttachDeviceFlags (dom, (const char *) xmlBufferContent (buf), live) < 0)
            add_note (notes, what);
          xmlBufferFree (buf);
        }
    }
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigStorageVol, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigStorageVolTarget, g_object_unref)

/* The pool whose target is @dir: virStoragePoolLookupByTargetPath, or,
 * where the driver lacks it (the test driver), each pool's <target><path>. */
static virStoragePoolPtr
pool_for_folder (virConnectPtr  conn,
                 const char    *dir)
{
  virStoragePoolPtr pool = virStoragePoolLookupByTargetPath (conn, dir);
  virStoragePoolPtr *pools = NULL;
  int n;

  if (pool != NULL)
    return pool;
  virResetLastError ();
  n = virConnectListAllStoragePools (conn, &pools, VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE);
  for (int i = 0; i < n; i++)
    {
      g_autofree char *xml = virStoragePoolGetXMLDesc (pools[i], 0);
      xmlDocPtr doc = xml ? xmlReadMemory (xml, strlen (xml), NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING) : NULL;

      if (doc != NULL && pool == NULL)
        {
          xmlXPathContext *ctx = xmlXPathNewContext (doc);
          g_autofree char *path = xpath_text (ctx, "string(/pool/target/path)");

          if (path != NULL && g_strcmp0 (path, dir) == 0)
            pool = g_steal_pointer (&pools[i]);
          xmlXPathFreeContext (ctx);
        }
      if (doc != NULL)
        xmlFreeDoc (doc);
      if (pools[i] != NULL)
        virStoragePoolFree (pools[i]);
    }
  g_free (pools);
  virResetLastError ();
  return pool;
}

/* Makes the new images of @edit's disks (new_size > 0) as storage volumes,
 * through the pool that holds the folder (virt-manager's way: libvirt owns
 * the file, with the pool's permissions and labels), and sets each disk's
 * path.  Made volumes are added to @made (to delete again on failure). */
static gboolean
create_volumes (virDomainPtr    dom,
                GbMachineEdit  *edit,
                GPtrArray      *made,
                GError        **error)
{
  virConnectPtr conn = virDomainGetConnect (dom);

  for (guint i = 0; i < edit->add_disks->len; i++)
    {
      GbEditDisk *disk = g_ptr_array_index (edit->add_disks, i);
      g_autoptr(GVirConfigStorageVol) vol = NULL;
      g_autoptr(GVirConfigStorageVolTarget) target = NULL;
      g_autofree char *name = NULL;
      g_autofree char *xml = NULL;
      virStoragePoolPtr pool;
      virStorageVolPtr created;

      if (disk->new_size == 0)
        continue;

      if (disk->path != NULL && *disk->path != '\0')
        {
          g_autofree char *dir = g_path_get_dirname (disk->path);

          pool = pool_for_folder (conn, dir);
          name = g_path_get_basename (disk->path);
        }
      else
        {
          pool = virStoragePoolLookupByName (conn, "default");
          for (guint n = 1; pool != NULL && name == NULL; n++)
            {
              g_autofree char *candidate = g_strdup_printf ("%s-%u.qcow2", virDomainGetName (dom), n);
              virStorageVolPtr existing = virStorageVolLookupByName (pool, candidate);

              if (existing == NULL)
                name = g_steal_pointer (&candidate);
              else
                virStorageVolFree (existing);
            }
          virResetLastError ();
        }
      if (pool == NULL)
        {
          virResetLastError ();
          if (disk->path != NULL && *disk->path != '\0')
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                         _("No storage pool of this connection holds the folder of %s."), disk->path);
          else
            g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                 _("This connection has no storage pool named “default” for new images."));
          return FALSE;
        }

      vol = gvir_config_storage_vol_new ();
      gvir_config_storage_vol_set_name (vol, name);
      gvir_config_storage_vol_set_capacity (vol, disk->new_size);
      gvir_config_storage_vol_set_allocation (vol, 0);
      target = gvir_config_storage_vol_target_new ();
      gvir_config_storage_vol_target_set_format (target, "qcow2");
      gvir_config_storage_vol_set_target (vol, target);
      xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (vol));
      created = virStorageVolCreateXML (pool, xml, 0);
      virStoragePoolFree (pool);
      if (created == NULL)
        {
          gb_libvirt_set_error (error, NULL);
          return FALSE;
        }
      g_free (disk->path);
      disk->path = virStorageVolGetPath (created);
      g_free (disk->format);
      disk->format = g_strdup ("qcow2");
      g_ptr_array_add (made, created);
    }
  return TRUE;
}

static void
delete_volumes (GPtrArray *made)
{
  for (guint i = 0; i < made->len; i++)
    {
      virStorageVolPtr vol = g_ptr_array_index (made, i);

      if (virStorageVolDelete (vol, 0) < 0)
        virResetLastError ();
    }
}

static void
vol_free (gpointer vol)
{
  virStorageVolFree (vol);
}

/* The firmware is chosen before the first start, as virt-manager does. */
static gboolean
firmware_may_change (const GbMachineEdit  *edit,
                     gboolean              active,
                     GVirConfigDomain     *before,
                     GError              **error)
{
  xmlNodePtr root;
  xmlXPathContext *ctx;
  gboolean started;

  if (!(edit->fields & GB_EDIT_FIRMWARE))
    return TRUE;
  root = config_node (before);
  ctx = xmlXPathNewContext (root->doc);
  started = active || started_before (ctx);
  xmlXPathFreeContext (ctx);
  if (!started)
    return TRUE;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       _("The firmware is chosen before the machine first starts: the system installed on it boots only with the firmware it was installed with."));
  return FALSE;
}

static void
apply_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  ApplyData *ad = task_data;
  const GbMachineEdit *edit = ad->edit;
  g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GVirConfigDomain) before = NULL;
  g_autoptr(GVirConfigDomain) domain = NULL;
  g_autofree char *xml = NULL;
  GError *error = NULL;
  gboolean active = virDomainIsActive (ad->dom) > 0;
  gboolean has_definition_changes;

  has_definition_changes = (edit->fields & ~(GB_EDIT_NAME | GB_EDIT_AUTOSTART)) != 0 ||
                           edit->add_disks->len || edit->remove_disks->len || edit->media->len ||
                           edit->modify_disks->len || edit->modify_nics->len ||
                           edit->add_nics->len || edit->remove_nics->len ||
                           edit->add_shares->len || edit->remove_shares->len ||
                           edit->add_usb->len || edit->remove_usb->len;

  if ((edit->fields & GB_EDIT_NAME) && active)
    {
      g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_BUSY,
                           _("A running machine cannot be renamed: shut it down first."));
      g_task_return_error (task, error);
      return;
    }

  if (has_definition_changes)
    {
      g_autofree char *old = inactive_xml (ad->dom, &error);
      g_autoptr(GPtrArray) made = g_ptr_array_new_with_free_func (vol_free);

      if (old == NULL ||
          !(before = gvir_config_domain_new_from_xml (old, &error)) ||
          !(domain = gvir_config_domain_new_from_xml (old, &error)) ||
          !firmware_may_change (edit, active, before, &error) ||
          !create_volumes (ad->dom, ad->edit, made, &error) ||
          !gb_machine_edit_apply_to_config (edit, domain, &error))
        {
          delete_volumes (made);
          g_task_return_error (task, error);
          return;
        }
      xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (domain));
      if (!define (ad->dom, xml, &error))
        {
          /* Nothing is left behind: the new images go again. */
          delete_volumes (made);
          g_task_return_error (task, error);
          return;
        }
      /* libvirt fills in addresses, MACs and controllers: what runs gets
       * what the definition now says. */
      g_clear_object (&domain);
      g_free (xml);
      xml = inactive_xml (ad->dom, &error);
      if (xml == NULL || !(domain = gvir_config_domain_new_from_xml (xml, &error)))
        {
          g_task_return_error (task, error);
          return;
        }
      if (active)
        apply_live (ad->dom, edit, before, domain, notes);
    }

  if (edit->fields & GB_EDIT_AUTOSTART)
    {
      if (virDomainSetAutostart (ad->dom, edit->autostart ? 1 : 0) < 0)
        {
          gb_libvirt_set_error (&error, NULL);
          g_task_return_error (task, error);
          return;
        }
    }

  if (edit->fields & GB_EDIT_NAME)
    {
      const char *name = virDomainGetName (ad->dom);

      if (edit->name == NULL || *edit->name == '\0')
        {
          g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("The machine needs a name."));
          g_task_return_error (task, error);
          return;
        }
      if (g_strcmp0 (name, edit->name) != 0 && virDomainRename (ad->dom, edit->name, 0) < 0)
        {
          gb_libvirt_set_error (&error, NULL);
          g_task_return_error (task, error);
          return;
        }
    }

  g_ptr_array_add (notes, NULL);
  g_task_return_pointer (task, g_ptr_array_steal (notes, NULL), (GDestroyNotify) g_strfreev);
}

static void
refresh_after (GTask *task)
{
  GbMachine *machine = g_task_get_source_object (task);

  /* Hot-plug sends no lifecycle event: read the machine again. */
  if (GB_IS_LIBVIRT_MACHINE (machine))
    _gb_libvirt_machine_refresh ((GbLibvirtMachine *) machine);
}

void
gb_libvirt_edit_apply_async (GbMachine           *machine,
                             const GbMachineEdit *edit,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (machine, cancellable, callback, user_data);
  GError *error = NULL;
  ApplyData *ad;
  virDomainPtr dom;

  g_return_if_fail (edit != NULL);

  g_task_set_source_tag (task, gb_libvirt_edit_apply_async);
  dom = ref_domain (machine, &error);
  if (dom == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  ad = g_new0 (ApplyData, 1);
  ad->dom = dom;
  ad->edit = gb_machine_edit_copy (edit);
  g_task_set_task_data (task, ad, apply_data_free);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, apply_thread);
}

GStrv
gb_libvirt_edit_apply_finish (GbMachine     *machine,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, machine), NULL);

  refresh_after (G_TASK (result));
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
define_xml_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  ApplyData *ad = task_data;
  GError *error = NULL;

  if (!define (ad->dom, ad->xml, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
gb_libvirt_edit_define_xml_async (GbMachine           *machine,
                                  const char          *xml,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (machine, cancellable, callback, user_data);
  GError *error = NULL;
  ApplyData *ad;
  virDomainPtr dom;

  g_task_set_source_tag (task, gb_libvirt_edit_define_xml_async);
  dom = ref_domain (machine, &error);
  if (dom == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  ad = g_new0 (ApplyData, 1);
  ad->dom = dom;
  ad->edit = gb_machine_edit_new ();
  ad->xml = g_strdup (xml);
  g_task_set_task_data (task, ad, apply_data_free);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, define_xml_thread);
}

gboolean
gb_libvirt_edit_define_xml_finish (GbMachine     *machine,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, machine), FALSE);

  refresh_after (G_TASK (result));
  return g_task_propagate_boolean (G_TASK (result), error);
}
