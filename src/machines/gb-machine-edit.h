/* gb-machine-edit.h — changing a machine's definition, whatever runs it:
 * the values the Settings page shows and applies, and the dispatchers to
 * the machine's provider (GbMachineClass's edit_* vfuncs).  No libvirt here:
 * widgets include this, not gb-libvirt-edit.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gb-machine.h"

G_BEGIN_DECLS

/* What gb_machine_edit_load_async() reads: the persistent definition
 * (what the next boot uses) and, for a running machine, what runs now. */
struct _GbEditState
{
  char            *xml;            /* VIR_DOMAIN_XML_INACTIVE */
  GbMachineConfig *config;         /* parsed from @xml */
  gboolean         running;        /* active: live changes are possible */
  gboolean         autostart;
  guint            vcpus;          /* <vcpu current=…> (= max without it) */
  guint            max_vcpus;      /* <vcpu> */
  guint            live_vcpus;     /* running: vCPUs online now */
  guint            sockets;        /* <cpu><topology>; 0 without one */
  guint            cores;
  guint            threads;
  guint64          memory_kib;     /* <currentMemory> */
  guint64          max_memory_kib; /* <memory> */
  char            *title;
  char            *description;
  /* Boot, firmware, CPU model and devices (the Devices tab) */
  GStrv            boot_order;     /* "hd", "cdrom", "network", "fd" */
  gboolean         boot_menu;
  char            *firmware;       /* "bios" or "efi" */
  gboolean         ever_started;   /* running, started by Glassbox, or NVRAM made: firmware fixed */
  char            *cpu_mode;       /* NULL (hypervisor default), "host-passthrough", "host-model", "custom" */
  char            *cpu_model;      /* the named model of "custom" */
  char            *video_model;    /* NULL: none */
  char            *sound_model;    /* NULL: none */
  gboolean         rng;            /* a virtio-rng fed by /dev/urandom */
  gboolean         tpm;            /* an emulated TPM (swtpm) */
  gboolean         serial;         /* a serial port with a console on it */
  GPtrArray       *shares;         /* GbEditShare */
  GPtrArray       *usb;            /* GbEditUsb passed through */
  GHashTable      *disk_cache;     /* target → <driver cache=…> ("none", …) */
  /* Direct kernel boot (Glassbox's own machines) */
  char            *kernel;
  char            *initrd;
  char            *cmdline;
};

void gb_edit_state_free (GbEditState *state);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbEditState, gb_edit_state_free)

/* A shared folder (virtiofs): a host folder the guest mounts by its tag
 * ("mount -t virtiofs TAG /mnt"). */
typedef struct {
  char *source;          /* host folder */
  char *tag;             /* what the guest mounts */
} GbEditShare;

/* A USB device of the host, passed to the guest. */
typedef struct {
  char *vendor;          /* "0x046d" */
  char *product;         /* "0xc52b" */
  char *description;     /* "Logitech, Inc. Unifying Receiver" (listing only) */
} GbEditUsb;

/* A disk to add. */
typedef struct {
  char     *path;        /* image file; NULL for an empty CD/DVD drive */
  char     *device;      /* "disk" or "cdrom" */
  char     *bus;         /* "virtio", "sata", "scsi", "usb", "ide" */
  char     *format;      /* "qcow2", "raw"; NULL: read from the file name */
  char     *cache;       /* "none", "writeback", …; NULL: the hypervisor's default */
  char     *target;      /* NULL: the next free name on the bus ("vdb") */
  gboolean  read_only;
  /* > 0: a new qcow2 image of this many bytes, made as a volume of the
   * storage pool that holds @path's folder, or (no @path) of the pool
   * "default"; removed again if the definition is refused. */
  guint64   new_size;
} GbEditDisk;

/* A network interface to add. */
typedef struct {
  char *type;            /* "network", "bridge" or "user" (user-mode NAT) */
  char *source;          /* network or bridge name; none for "user" */
  char *model;           /* "virtio", "e1000e", "rtl8139"; NULL: the default */
  char *mac;             /* NULL: libvirt picks one */
} GbEditNic;

typedef enum {
  GB_EDIT_VCPUS       = 1 << 0,
  GB_EDIT_MEMORY      = 1 << 1,
  GB_EDIT_TITLE       = 1 << 2,
  GB_EDIT_DESCRIPTION = 1 << 3,
  GB_EDIT_AUTOSTART   = 1 << 4,
  GB_EDIT_NAME        = 1 << 5,
  GB_EDIT_BOOT        = 1 << 6,
  GB_EDIT_FIRMWARE    = 1 << 7,
  GB_EDIT_CPU_MODEL   = 1 << 8,
  GB_EDIT_VIDEO       = 1 << 9,
  GB_EDIT_SOUND       = 1 << 10,
  GB_EDIT_RNG         = 1 << 11,
  GB_EDIT_TPM         = 1 << 12,
  GB_EDIT_SERIAL      = 1 << 13,
  GB_EDIT_KERNEL      = 1 << 14,
} GbEditFields;

/* One Apply: every part is optional. */
struct _GbMachineEdit
{
  GbEditFields  fields;
  guint         vcpus;
  guint         max_vcpus;
  /* With GB_EDIT_VCPUS: all three > 0 sets <cpu><topology> (their product
   * must be max_vcpus); 0 keeps a topology consistent with max_vcpus. */
  guint         sockets;
  guint         cores;
  guint         threads;
  guint64       memory_kib;
  guint64       max_memory_kib;
  char         *title;
  char         *description;
  char         *name;
  gboolean      autostart;
  GPtrArray    *add_disks;      /* GbEditDisk */
  GPtrArray    *remove_disks;   /* target names ("vdb") */
  GPtrArray    *media;          /* GbEditDisk: target + path (NULL: eject) */
  GPtrArray    *modify_disks;   /* GbEditDisk: target + bus, cache ("default":
                                   none set) and read_only as they should be;
                                   a new bus gives a new target name */
  GPtrArray    *add_nics;       /* GbEditNic */
  GPtrArray    *remove_nics;    /* MAC addresses */
  GPtrArray    *modify_nics;    /* GbEditNic: the MAC says which; type,
                                   source and model as they should be */
  /* As GbEditState's fields of the same names */
  GStrv         boot_order;
  gboolean      boot_menu;
  char         *firmware;
  char         *cpu_mode;
  char         *cpu_model;
  char         *video_model;    /* NULL or "none": removed */
  char         *sound_model;    /* NULL or "none": removed */
  gboolean      rng;
  gboolean      tpm;
  gboolean      serial;
  GPtrArray    *add_shares;     /* GbEditShare */
  GPtrArray    *remove_shares;  /* tags */
  GPtrArray    *add_usb;        /* GbEditUsb */
  GPtrArray    *remove_usb;     /* "vendor:product" ("0x046d:0xc52b") */
  char         *kernel;         /* GB_EDIT_KERNEL: the three below */
  char         *initrd;         /* "" or NULL: none */
  char         *cmdline;        /* "" or NULL: none */
};

GbMachineEdit *gb_machine_edit_new      (void);
void           gb_machine_edit_free     (GbMachineEdit *edit);
gboolean       gb_machine_edit_is_empty (const GbMachineEdit *edit);
void           gb_edit_disk_free        (GbEditDisk *disk);
void           gb_edit_nic_free         (GbEditNic  *nic);
void           gb_edit_share_free       (GbEditShare *share);
void           gb_edit_usb_free         (GbEditUsb  *usb);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbMachineEdit, gb_machine_edit_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbEditDisk, gb_edit_disk_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbEditNic, gb_edit_nic_free)

/* What a machine's Settings page can do (GbMachineClass.edit_get_caps). */
typedef enum {
  GB_EDIT_CAP_SUPPORTED    = 1 << 0, /* its settings can be changed here at all */
  GB_EDIT_CAP_LOAD_NOW     = 1 << 1, /* the definition is in memory: gb_machine_edit_load_now() */
  GB_EDIT_CAP_DEFINE_XML   = 1 << 2, /* the XML tab is a libvirt definition that can be defined;
                                        without: a read-only machine file */
  GB_EDIT_CAP_DEVICES      = 1 << 3, /* the Devices tab, autostart, description, maximum CPUs and
                                        memory, topology, buses, caches and models, new images */
  GB_EDIT_CAP_KERNEL       = 1 << 4, /* direct kernel boot: kernel, initrd, command line */
  GB_EDIT_CAP_NIC_BY_PLACE = 1 << 5, /* NICs without a MAC are removed as "#N" */
  GB_EDIT_CAP_SHARES       = 1 << 6, /* shared folders: virtiofsd is installed */
  GB_EDIT_CAP_TPM          = 1 << 7, /* an emulated TPM: swtpm is installed */
  GB_EDIT_CAP_USB          = 1 << 8, /* host USB devices: gb_machine_edit_list_usb_async() */
} GbEditCaps;

GbEditCaps   gb_machine_edit_get_caps   (GbMachine            *machine);
/* Whether GB_EDIT_CAP_SUPPORTED. */
gboolean     gb_machine_edit_supported  (GbMachine            *machine);

/* With GB_EDIT_CAP_LOAD_NOW: the state without waiting; NULL with @error
 * (e.g. a broken machine file). */
GbEditState *gb_machine_edit_load_now    (GbMachine            *machine,
                                          GError              **error);
/* The persistent definition and, for a running machine, what runs now. */
void         gb_machine_edit_load_async  (GbMachine            *machine,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
GbEditState *gb_machine_edit_load_finish (GbMachine            *machine,
                                          GAsyncResult         *result,
                                          GError              **error);

/* Applies @edit.  A refused change changes nothing.  Returns (finish): the
 * changes that wait for the next start, as translated sentences (an empty
 * array when all applied now), or NULL with @error set. */
void         gb_machine_edit_apply_async  (GbMachine            *machine,
                                           const GbMachineEdit  *edit,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
GStrv        gb_machine_edit_apply_finish (GbMachine            *machine,
                                           GAsyncResult         *result,
                                           GError              **error);

/* With GB_EDIT_CAP_DEFINE_XML: defines @xml as the new definition. */
void         gb_machine_edit_define_xml_async  (GbMachine            *machine,
                                                const char           *xml,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean     gb_machine_edit_define_xml_finish (GbMachine            *machine,
                                                GAsyncResult         *result,
                                                GError              **error);

/* With GB_EDIT_CAP_USB: the host's USB devices; finish: (transfer full)
 * GbEditUsb array. */
void         gb_machine_edit_list_usb_async  (GbMachine            *machine,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
GPtrArray   *gb_machine_edit_list_usb_finish (GbMachine            *machine,
                                              GAsyncResult         *result,
                                              GError              **error);

G_END_DECLS
