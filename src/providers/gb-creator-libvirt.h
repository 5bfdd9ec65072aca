/* gb-creator-libvirt.h — the wizard on a libvirt connection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libvirt-gobject/libvirt-gobject.h>

#include "gb-creator-backend.h"

G_BEGIN_DECLS

#define GB_LIBOSINFO_NS_URI "http://libosinfo.org/xmlns/libvirt/domain/1.0"

#define GB_TYPE_CREATOR_LIBVIRT (gb_creator_libvirt_get_type ())
G_DECLARE_FINAL_TYPE (GbCreatorLibvirt, gb_creator_libvirt, GB, CREATOR_LIBVIRT, GbCreatorBackend)

GVirConnection          *gb_creator_libvirt_get_connection (GbCreatorLibvirt *self);
GVirConfigDomainVirtType gb_creator_libvirt_get_virt_type  (GbCreatorLibvirt *self);
GVirConfigDomain        *gb_creator_libvirt_build_domain   (GbCreatorLibvirt *self,
                                                            const GbMachineSpec *choices,
                                                            const char       *new_disk_path,
                                                            GError          **error);

/* Pure decisions, public for tests. */
GVirConfigDomainVirtType gb_creator_libvirt_choose_virt_type (GVirConfigCapabilities *caps,
                                                              const char             *arch,
                                                              gboolean                host_has_hw_virt);
gboolean                 gb_creator_libvirt_caps_have_hw_virt (GVirConfigCapabilities *caps);
const char              *gb_creator_libvirt_choose_arch       (GVirConfigCapabilities *caps);
gboolean                 gb_creator_libvirt_uri_is_local      (const char             *uri);
GStrv                    gb_creator_list_local_bridges        (void);

G_END_DECLS
