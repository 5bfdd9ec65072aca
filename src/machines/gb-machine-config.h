/* gb-machine-config.h — the provider-neutral description of a machine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
  char    *target;     /* "vda", "sda", "hdc" */
  char    *path;       /* file, block device, or volume "pool/vol"; NULL for an empty drive */
  char    *format;     /* "qcow2", "raw", … or NULL */
  char    *bus;        /* "virtio", "sata", "ide", "scsi", … */
  char    *device;     /* "disk" or "cdrom" (or "floppy", "lun") */
  guint64  capacity;   /* bytes, 0 if unknown */
  gboolean read_only;
} GbConfigDisk;

typedef struct {
  char *mac;
  char *type;          /* "network", "bridge", "user", "direct", … */
  char *source;        /* network or bridge name, a user-mode NIC's backend
                        * ("passt", libvirt's <backend type=…>), or NULL */
  char *model;         /* "virtio", "e1000", … or NULL */
} GbConfigNic;

typedef struct {
  char *type;          /* "vnc", "spice", … */
  char *listen;        /* address or NULL */
  int   port;          /* -1 if automatic and not running, 0 if none */
  char *socket;        /* UNIX socket path or NULL */
} GbConfigGraphics;

/* A text console: a serial port, or a console on a virtio-serial port. */
typedef struct {
  char *device;        /* what gb_machine_open_serial_async() takes: "serial0", "console1" */
  char *type;          /* "serial" or "virtio" */
  int   port;          /* its number among consoles of its type */
} GbConfigConsole;

#define GB_TYPE_CONFIG_DISK (gb_config_disk_get_type ())
GType          gb_config_disk_get_type     (void) G_GNUC_CONST;
GbConfigDisk  *gb_config_disk_copy         (const GbConfigDisk *disk);
void           gb_config_disk_free         (GbConfigDisk       *disk);

#define GB_TYPE_CONFIG_NIC (gb_config_nic_get_type ())
GType          gb_config_nic_get_type      (void) G_GNUC_CONST;
GbConfigNic   *gb_config_nic_copy          (const GbConfigNic  *nic);
void           gb_config_nic_free          (GbConfigNic        *nic);

#define GB_TYPE_CONFIG_GRAPHICS (gb_config_graphics_get_type ())
GType             gb_config_graphics_get_type (void) G_GNUC_CONST;
GbConfigGraphics *gb_config_graphics_copy     (const GbConfigGraphics *graphics);
void              gb_config_graphics_free     (GbConfigGraphics       *graphics);

#define GB_TYPE_CONFIG_CONSOLE (gb_config_console_get_type ())
GType             gb_config_console_get_type  (void) G_GNUC_CONST;
GbConfigConsole  *gb_config_console_copy      (const GbConfigConsole  *console);
void              gb_config_console_free      (GbConfigConsole        *console);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbConfigDisk, gb_config_disk_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbConfigNic, gb_config_nic_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbConfigGraphics, gb_config_graphics_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbConfigConsole, gb_config_console_free)

#define GB_TYPE_MACHINE_CONFIG (gb_machine_config_get_type ())
G_DECLARE_FINAL_TYPE (GbMachineConfig, gb_machine_config, GB, MACHINE_CONFIG, GObject)

/* Parses libvirt domain XML (libvirt-gconfig). */
GbMachineConfig *gb_machine_config_new_from_xml    (const char       *domain_xml,
                                                    GError          **error);

/* Reads a glassbox-vmm machine file's object (the bundled provider's). */
GbMachineConfig *gb_machine_config_new_from_vmm_json (JsonObject *object,
                                                      const char *base_dir);

const char *gb_machine_config_get_name      (GbMachineConfig *self);
const char *gb_machine_config_get_uuid      (GbMachineConfig *self);
guint       gb_machine_config_get_n_vcpus   (GbMachineConfig *self);
guint64     gb_machine_config_get_memory    (GbMachineConfig *self);
const char *gb_machine_config_get_os_id     (GbMachineConfig *self);
const char *gb_machine_config_get_os_name   (GbMachineConfig *self);
const char *gb_machine_config_get_firmware  (GbMachineConfig *self);
GPtrArray  *gb_machine_config_get_disks     (GbMachineConfig *self);
GPtrArray  *gb_machine_config_get_nics      (GbMachineConfig *self);
GPtrArray  *gb_machine_config_get_graphics  (GbMachineConfig *self);
GPtrArray  *gb_machine_config_get_consoles  (GbMachineConfig *self);

G_END_DECLS
