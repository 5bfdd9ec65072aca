/* gb-libvirt-provider.h — a provider backed by one libvirt connection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libvirt-gobject/libvirt-gobject.h>

#include "gb-provider.h"

G_BEGIN_DECLS

/* Errors from libvirt keep its own message; the code is libvirt's virErrorNumber. */
#define GB_LIBVIRT_ERROR (gb_libvirt_error_quark ())
GQuark gb_libvirt_error_quark (void);

#define GB_TYPE_LIBVIRT_PROVIDER (gb_libvirt_provider_get_type ())
G_DECLARE_FINAL_TYPE (GbLibvirtProvider, gb_libvirt_provider, GB, LIBVIRT_PROVIDER, GbProvider)

GbProvider *gb_libvirt_provider_new                  (const char          *uri);

/* First start: the first that works of qemu:///session (non-root) or
 * qemu:///system (root), otherwise qemu:///embed?root=$XDG_DATA_HOME/glassbox/libvirt.
 * The returned provider is already connected. */
void        gb_libvirt_provider_open_default_async   (GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
GbProvider *gb_libvirt_provider_open_default_finish  (GAsyncResult        *result,
                                                      GError             **error);

/* The open connection for libvirt-gobject users (the creator); NULL unless connected. */
GVirConnection *gb_libvirt_provider_get_connection   (GbLibvirtProvider   *self);

/* The host's bridges as this connection sees them (the interface driver, else
 * the node-device driver: right for remote hosts), sorted, without the bridges
 * of libvirt's own virtual networks. Empty when the connection cannot tell.
 * In gb-libvirt-bridges.c. */
void            gb_libvirt_provider_list_bridges_async  (GbLibvirtProvider   *self,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
char          **gb_libvirt_provider_list_bridges_finish (GbLibvirtProvider   *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

G_END_DECLS
