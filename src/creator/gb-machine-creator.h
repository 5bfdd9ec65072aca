/* gb-machine-creator.h — what the New Machine wizard decides, without widgets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <libvirt-gobject/libvirt-gobject.h>
#include <libvirt-gconfig/libvirt-gconfig.h>
#include <osinfo/osinfo.h>

G_BEGIN_DECLS

typedef enum
{
  GB_CREATOR_SOURCE_INSTALL_MEDIA,   /*< nick=install-media >*/
  GB_CREATOR_SOURCE_IMPORT_DISK,     /*< nick=import-disk >*/
  GB_CREATOR_SOURCE_DIRECT_KERNEL,   /*< nick=direct-kernel >*/
  GB_CREATOR_SOURCE_NETWORK_INSTALL, /*< nick=network-install >*/
  GB_CREATOR_SOURCE_TINY_LINUX,      /*< nick=tiny-linux >*/
} GbCreatorSource;

typedef enum
{
  GB_CREATOR_NETWORK_NAT,     /*< nick=nat >*/
  GB_CREATOR_NETWORK_BRIDGE,  /*< nick=bridge >*/
  GB_CREATOR_NETWORK_USER,    /*< nick=user >*/
} GbCreatorNetwork;

typedef enum
{
  GB_CREATOR_FIRMWARE_BIOS,  /*< nick=bios >*/
  GB_CREATOR_FIRMWARE_UEFI,  /*< nick=uefi >*/
} GbCreatorFirmware;

typedef enum
{
  GB_CREATOR_DISK_NEW,       /*< nick=new >*/
  GB_CREATOR_DISK_EXISTING,  /*< nick=existing >*/
  GB_CREATOR_DISK_NONE,      /*< nick=none >*/
} GbCreatorDisk;

#define GB_OVMF_CODE_PATH "/usr/share/OVMF/OVMF_CODE_4M.fd"
#define GB_LIBOSINFO_NS_URI "http://libosinfo.org/xmlns/libvirt/domain/1.0"

#define GB_TYPE_MACHINE_CREATOR (gb_machine_creator_get_type ())
G_DECLARE_FINAL_TYPE (GbMachineCreator, gb_machine_creator, GB, MACHINE_CREATOR, GObject)

GbMachineCreator  *gb_machine_creator_new                 (GVirConnection       *connection);
GVirConnection    *gb_machine_creator_get_connection      (GbMachineCreator     *self);

void               gb_machine_creator_prepare_async       (GbMachineCreator     *self,
                                                           GCancellable         *cancellable,
                                                           GAsyncReadyCallback   callback,
                                                           gpointer              user_data);
gboolean           gb_machine_creator_prepare_finish      (GbMachineCreator     *self,
                                                           GAsyncResult         *result,
                                                           GError              **error);
gboolean           gb_machine_creator_get_ready           (GbMachineCreator     *self);

GbCreatorSource    gb_machine_creator_get_source_kind     (GbMachineCreator     *self);
void               gb_machine_creator_set_source_kind     (GbMachineCreator     *self,
                                                           GbCreatorSource       kind);
const char        *gb_machine_creator_get_source_path     (GbMachineCreator     *self);
void               gb_machine_creator_set_source_path     (GbMachineCreator     *self,
                                                           const char           *path);
const char        *gb_machine_creator_get_kernel_path     (GbMachineCreator     *self);
void               gb_machine_creator_set_kernel_path     (GbMachineCreator     *self,
                                                           const char           *path);
const char        *gb_machine_creator_get_initrd_path     (GbMachineCreator     *self);
void               gb_machine_creator_set_initrd_path     (GbMachineCreator     *self,
                                                           const char           *path);
const char        *gb_machine_creator_get_kernel_cmdline  (GbMachineCreator     *self);
void               gb_machine_creator_set_kernel_cmdline  (GbMachineCreator     *self,
                                                           const char           *cmdline);

void               gb_machine_creator_detect_os_async     (GbMachineCreator     *self,
                                                           GCancellable         *cancellable,
                                                           GAsyncReadyCallback   callback,
                                                           gpointer              user_data);
gboolean           gb_machine_creator_detect_os_finish    (GbMachineCreator     *self,
                                                           GAsyncResult         *result,
                                                           GError              **error);
void               gb_machine_creator_assemble_tiny_linux_async  (GbMachineCreator   *self,
                                                                  GCancellable       *cancellable,
                                                                  GAsyncReadyCallback callback,
                                                                  gpointer            user_data);
gboolean           gb_machine_creator_assemble_tiny_linux_finish (GbMachineCreator   *self,
                                                                  GAsyncResult       *result,
                                                                  GError            **error);

OsinfoOs          *gb_machine_creator_get_os              (GbMachineCreator     *self);
void               gb_machine_creator_set_os              (GbMachineCreator     *self,
                                                           OsinfoOs             *os);
gboolean           gb_machine_creator_get_os_detected     (GbMachineCreator     *self);
const char        *gb_machine_creator_get_volume_id       (GbMachineCreator     *self);

guint              gb_machine_creator_get_memory_mib      (GbMachineCreator     *self);
void               gb_machine_creator_set_memory_mib      (GbMachineCreator     *self,
                                                           guint                 mib);
guint              gb_machine_creator_get_min_memory_mib  (GbMachineCreator     *self);
guint              gb_machine_creator_get_max_memory_mib  (GbMachineCreator     *self);
guint              gb_machine_creator_get_vcpus           (GbMachineCreator     *self);
void               gb_machine_creator_set_vcpus           (GbMachineCreator     *self,
                                                           guint                 vcpus);
guint              gb_machine_creator_get_max_vcpus       (GbMachineCreator     *self);

GbCreatorDisk      gb_machine_creator_get_disk_mode       (GbMachineCreator     *self);
void               gb_machine_creator_set_disk_mode       (GbMachineCreator     *self,
                                                           GbCreatorDisk         mode);
guint64            gb_machine_creator_get_disk_size       (GbMachineCreator     *self);
void               gb_machine_creator_set_disk_size       (GbMachineCreator     *self,
                                                           guint64               bytes);
const char        *gb_machine_creator_get_disk_path       (GbMachineCreator     *self);
void               gb_machine_creator_set_disk_path       (GbMachineCreator     *self,
                                                           const char           *path);
const char        *gb_machine_creator_get_pool_name       (GbMachineCreator     *self);
void               gb_machine_creator_set_pool_name       (GbMachineCreator     *self,
                                                           const char           *name);
GStrv              gb_machine_creator_list_pools          (GbMachineCreator     *self);
GStrv              gb_machine_creator_list_volumes        (GbMachineCreator     *self);
gboolean           gb_machine_creator_get_storage_available (GbMachineCreator   *self);
char              *gb_machine_creator_dup_image_folder    (GbMachineCreator     *self);
gboolean           gb_machine_creator_get_disk_virtio     (GbMachineCreator     *self);

GbCreatorNetwork   gb_machine_creator_get_network_kind    (GbMachineCreator     *self);
void               gb_machine_creator_set_network_kind    (GbMachineCreator     *self,
                                                           GbCreatorNetwork      kind);
const char        *gb_machine_creator_get_bridge_name     (GbMachineCreator     *self);
void               gb_machine_creator_set_bridge_name     (GbMachineCreator     *self,
                                                           const char           *bridge);
gboolean           gb_machine_creator_get_nat_available   (GbMachineCreator     *self);
GStrv              gb_machine_creator_list_host_bridges   (void);

GbCreatorFirmware  gb_machine_creator_get_firmware        (GbMachineCreator     *self);
void               gb_machine_creator_set_firmware        (GbMachineCreator     *self,
                                                           GbCreatorFirmware     firmware);
gboolean           gb_machine_creator_get_uefi_available  (GbMachineCreator     *self);
char              *gb_machine_creator_dup_uefi_unavailable_reason (GbMachineCreator *self);

const char        *gb_machine_creator_get_name            (GbMachineCreator     *self);
void               gb_machine_creator_set_name            (GbMachineCreator     *self,
                                                           const char           *name);
gboolean           gb_machine_creator_validate_name       (GbMachineCreator     *self,
                                                           const char           *name,
                                                           GError              **error);

GVirConfigDomainVirtType gb_machine_creator_get_virt_type (GbMachineCreator     *self);
const char        *gb_machine_creator_get_arch            (GbMachineCreator     *self);

GVirConfigDomain  *gb_machine_creator_build_config        (GbMachineCreator     *self,
                                                           GError              **error);
void               gb_machine_creator_create_async        (GbMachineCreator     *self,
                                                           gboolean              start,
                                                           GCancellable         *cancellable,
                                                           GAsyncReadyCallback   callback,
                                                           gpointer              user_data);
GVirDomain        *gb_machine_creator_create_finish       (GbMachineCreator     *self,
                                                           GAsyncResult         *result,
                                                           GError              **error);

/* Pure decisions, public for tests. */
GVirConfigDomainVirtType gb_machine_creator_choose_virt_type (GVirConfigCapabilities *caps,
                                                              const char             *arch,
                                                              gboolean                host_has_hw_virt);
gboolean           gb_machine_creator_caps_have_hw_virt   (GVirConfigCapabilities *caps);
const char        *gb_machine_creator_choose_arch         (GVirConfigCapabilities *caps);
gboolean           gb_machine_name_is_valid               (const char           *name,
                                                           GError              **error);

G_END_DECLS
