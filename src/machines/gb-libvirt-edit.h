/* gb-libvirt-edit.h — changing a libvirt machine's definition: hardware,
 * name, title, description, autostart, and its XML
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libvirt-gconfig/libvirt-gconfig.h>

#include "gb-machine-edit.h"

G_BEGIN_DECLS

/* The device libvirt-gconfig builds for a disk or NIC to add. */
GVirConfigDomainDisk      *gb_edit_disk_to_config (const GbEditDisk *disk);
GVirConfigDomainInterface *gb_edit_nic_to_config  (const GbEditNic  *nic);

/* Applies the definition parts of @edit (not name or autostart) to
 * @domain; FALSE with @error when a disk or NIC to remove is not there. */
gboolean gb_machine_edit_apply_to_config (const GbMachineEdit *edit,
                                          GVirConfigDomain    *domain,
                                          GError             **error);

/* Whether virtiofsd, which a shared folder needs, is installed here. */
gboolean gb_libvirt_edit_have_virtiofsd (void);

/* The host's USB devices as the machine's connection sees them
 * (virConnectListAllNodeDevices); finish: (transfer full) GbEditUsb array. */
void       gb_libvirt_edit_list_usb_async  (GbMachine            *machine,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
GPtrArray *gb_libvirt_edit_list_usb_finish (GbMachine            *machine,
                                            GAsyncResult         *result,
                                            GError              **error);

/* Whether swtpm, which an emulated TPM needs, is installed here. */
gboolean gb_libvirt_edit_have_swtpm (void);

/* Which libvirt machines can be edited here (libvirt ones). */
gboolean gb_libvirt_edit_supported (GbMachine *machine);

void         gb_libvirt_edit_load_async  (GbMachine            *machine,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
GbEditState *gb_libvirt_edit_load_finish (GbMachine            *machine,
                                          GAsyncResult         *result,
                                          GError              **error);

/* Defines the changed definition (validated by libvirt against its schema),
 * then, on a running machine, applies what libvirt can change live.  A
 * failed definition changes nothing.  Returns (finish): the changes that
 * wait for the next boot, as translated sentences (an empty array when all
 * applied now), or NULL with @error set to libvirt's message. */
void     gb_libvirt_edit_apply_async  (GbMachine            *machine,
                                       const GbMachineEdit  *edit,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
GStrv    gb_libvirt_edit_apply_finish (GbMachine            *machine,
                                       GAsyncResult         *result,
                                       GError              **error);

/* Defines @xml as the machine's new definition (VIR_DOMAIN_DEFINE_VALIDATE);
 * it must keep the machine's UUID. */
void     gb_libvirt_edit_define_xml_async  (GbMachine            *machine,
                                            const char           *xml,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
gboolean gb_libvirt_edit_define_xml_finish (GbMachine            *machine,
                                            GAsyncResult         *result,
                                            GError              **error);

G_END_DECLS
