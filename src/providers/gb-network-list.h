/* gb-network-list.h — a libvirt connection's virtual networks, as a GListModel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "gb-libvirt-provider.h"
#include "gb-network.h"

G_BEGIN_DECLS

#define GB_TYPE_NETWORK_LIST (gb_network_list_get_type ())
G_DECLARE_FINAL_TYPE (GbNetworkList, gb_network_list, GB, NETWORK_LIST, GObject)

/* A GListModel of GbNetwork, listed once whenever @provider connects and
 * then followed by libvirt's network lifecycle events. */
GbNetworkList     *gb_network_list_new            (GbLibvirtProvider        *provider);
GbLibvirtProvider *gb_network_list_get_provider   (GbNetworkList            *self);
/* TRUE once the first listing of the current connection has arrived. */
gboolean           gb_network_list_get_loaded     (GbNetworkList            *self);
/* libvirt's message when listing failed, else NULL. */
const char        *gb_network_list_get_error      (GbNetworkList            *self);
GbNetwork         *gb_network_list_lookup         (GbNetworkList            *self,
                                                   const char               *name_or_uuid);

/* Defines the network (libvirt-gconfig; see gb_network_config_build()),
 * then sets autostart and starts it if asked. A network that fails to
 * start is undefined again, so nothing half-made is left behind. The
 * network appears in the list with libvirt's "defined" event. */
void               gb_network_list_create_async   (GbNetworkList            *self,
                                                   const GbNetworkSettings  *settings,
                                                   gboolean                  autostart,
                                                   gboolean                  start,
                                                   GCancellable             *cancellable,
                                                   GAsyncReadyCallback       callback,
                                                   gpointer                  user_data);
/* Returns: (transfer full): the new network's UUID */
char              *gb_network_list_create_finish  (GbNetworkList            *self,
                                                   GAsyncResult             *result,
                                                   GError                  **error);

G_END_DECLS
