/* gb-machine-creator.h — what the New Machine wizard decides, without widgets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <osinfo/osinfo.h>

#include "gb-creator-backend.h"
#include "gb-creator-types.h"
#include "gb-machine-spec.h"
#include "gb-provider.h"

G_BEGIN_DECLS

/* The UEFI firmware libvirt machines get (package ovmf). */
#define GB_OVMF_CODE_PATH "/usr/share/OVMF/OVMF_CODE_4M.fd"

#define GB_TYPE_MACHINE_CREATOR (gb_machine_creator_get_type ())
G_DECLARE_FINAL_TYPE (GbMachineCreator, gb_machine_creator, GB, MACHINE_CREATOR, GObject)

GbMachineCreator  *gb_machine_creator_new                 (GbProvider           *provider);
GbProvider        *gb_machine_creator_get_provider        (GbMachineCreator     *self);
void               gb_machine_creator_set_provider        (GbMachineCreator     *self,
                                                           GbProvider           *provider);
GbCreatorBackend  *gb_machine_creator_get_backend         (GbMachineCreator     *self);

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
gboolean           gb_machine_creator_check_source_path   (GbMachineCreator     *self,
                                                           GError              **error);
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
gboolean           gb_machine_creator_get_local           (GbMachineCreator     *self);

GbCreatorNetwork   gb_machine_creator_get_network_kind    (GbMachineCreator     *self);
void               gb_machine_creator_set_network_kind    (GbMachineCreator     *self,
                                                           GbCreatorNetwork      kind);
const char        *gb_machine_creator_get_bridge_name     (GbMachineCreator     *self);
void               gb_machine_creator_set_bridge_name     (GbMachineCreator     *self,
                                                           const char           *bridge);
gboolean           gb_machine_creator_get_nat_available   (GbMachineCreator     *self);
GStrv              gb_machine_creator_list_bridges        (GbMachineCreator     *self);
gboolean           gb_machine_creator_offers_network      (GbMachineCreator     *self,
                                                           GbCreatorNetwork      kind);
gboolean           gb_machine_creator_offers_source       (GbMachineCreator     *self,
                                                           GbCreatorSource       kind);

GbCreatorFirmware  gb_machine_creator_get_firmware        (GbMachineCreator     *self);
void               gb_machine_creator_set_firmware        (GbMachineCreator     *self,
                                                           GbCreatorFirmware     firmware);
gboolean           gb_machine_creator_get_uefi_available  (GbMachineCreator     *self);
char              *gb_machine_creator_dup_uefi_unavailable_reason (GbMachineCreator *self);
gboolean           gb_machine_creator_get_firmware_choice (GbMachineCreator     *self);

const char        *gb_machine_creator_get_name            (GbMachineCreator     *self);
void               gb_machine_creator_set_name            (GbMachineCreator     *self,
                                                           const char           *name);
gboolean           gb_machine_creator_validate_name       (GbMachineCreator     *self,
                                                           const char           *name,
                                                           GError              **error);

GbCreatorAccel     gb_machine_creator_get_accel           (GbMachineCreator     *self);
const char        *gb_machine_creator_get_arch            (GbMachineCreator     *self);
char              *gb_machine_creator_describe_host       (GbMachineCreator     *self);
char              *gb_machine_creator_dup_host_warning    (GbMachineCreator     *self);
char              *gb_machine_creator_dup_host_changes    (GbMachineCreator     *self);

gboolean           gb_machine_creator_uses_kernel_boot    (GbMachineCreator     *self);
GbMachineSpec     *gb_machine_creator_dup_spec            (GbMachineCreator     *self);
gboolean           gb_machine_creator_check_source        (GbMachineCreator     *self,
                                                           GError              **error);
gboolean           gb_machine_creator_check               (GbMachineCreator     *self,
                                                           GError              **error);
void               gb_machine_creator_create_async        (GbMachineCreator     *self,
                                                           gboolean              start,
                                                           GCancellable         *cancellable,
                                                           GAsyncReadyCallback   callback,
                                                           gpointer              user_data);
char              *gb_machine_creator_create_finish       (GbMachineCreator     *self,
                                                           GAsyncResult         *result,
                                                           GError              **error);

G_END_DECLS
