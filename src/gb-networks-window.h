/* gb-networks-window.h — a connection's libvirt virtual networks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "gb-network-list.h"

G_BEGIN_DECLS

#define GB_TYPE_NETWORKS_WINDOW (gb_networks_window_get_type ())
G_DECLARE_FINAL_TYPE (GbNetworksWindow, gb_networks_window, GB, NETWORKS_WINDOW, AdwWindow)

GbNetworksWindow *gb_networks_window_new             (GtkWindow         *parent,
                                                      GbLibvirtProvider *provider);
GbNetworkList    *gb_networks_window_get_networks    (GbNetworksWindow  *self);
GbNetwork        *gb_networks_window_get_selected    (GbNetworksWindow  *self);
/* Selects the network with that name or UUID once it is listed. */
void              gb_networks_window_select          (GbNetworksWindow  *self,
                                                      const char        *name_or_uuid);

G_END_DECLS
