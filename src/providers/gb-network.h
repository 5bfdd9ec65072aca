/* gb-network.h — one libvirt virtual network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "gb-network-config.h"

G_BEGIN_DECLS

/* One DHCP lease of a running network (virNetworkGetDHCPLeases). */
typedef struct {
  char   *mac;
  char   *ip;           /* IPv4 or IPv6 */
  guint   prefix;
  char   *hostname;     /* nullable */
  gint64  expiry_time;  /* seconds since the epoch; 0: never */
} GbNetworkLease;

#define GB_TYPE_NETWORK_LEASE (gb_network_lease_get_type ())
GType           gb_network_lease_get_type (void) G_GNUC_CONST;
GbNetworkLease *gb_network_lease_copy     (const GbNetworkLease *lease);
void            gb_network_lease_free     (GbNetworkLease       *lease);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbNetworkLease, gb_network_lease_free)

#define GB_TYPE_NETWORK (gb_network_get_type ())
G_DECLARE_FINAL_TYPE (GbNetwork, gb_network, GB, NETWORK, GObject)

const char    *gb_network_get_name          (GbNetwork *self);
const char    *gb_network_get_uuid          (GbNetwork *self);
gboolean       gb_network_get_active        (GbNetwork *self);
gboolean       gb_network_get_autostart     (GbNetwork *self);
gboolean       gb_network_get_persistent    (GbNetwork *self);
GbNetworkMode  gb_network_get_mode          (GbNetwork *self);
/* The Linux bridge: libvirt's own (virbr0) or, bridged, the host's. */
const char    *gb_network_get_bridge        (GbNetwork *self);
const char    *gb_network_get_ipv4_address  (GbNetwork *self);
guint          gb_network_get_ipv4_prefix   (GbNetwork *self);
const char    *gb_network_get_dhcp_start    (GbNetwork *self);
const char    *gb_network_get_dhcp_end      (GbNetwork *self);
/* -1 when unknown: not running, or the driver cannot tell (test:///). */
int            gb_network_get_n_leases      (GbNetwork *self);
/* (element-type GbNetworkLease) (nullable): NULL when unknown. */
GPtrArray     *gb_network_get_leases        (GbNetwork *self);

/* Each in a worker thread. State (active) follows libvirt's lifecycle
 * event; autostart and leases are read again before _finish. */
void           gb_network_start_async          (GbNetwork            *self,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean       gb_network_start_finish         (GbNetwork            *self,
                                                GAsyncResult         *result,
                                                GError              **error);
void           gb_network_stop_async           (GbNetwork            *self,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean       gb_network_stop_finish          (GbNetwork            *self,
                                                GAsyncResult         *result,
                                                GError              **error);
void           gb_network_set_autostart_async  (GbNetwork            *self,
                                                gboolean              autostart,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean       gb_network_set_autostart_finish (GbNetwork            *self,
                                                GAsyncResult         *result,
                                                GError              **error);
/* Stops it first if it runs, then undefines it. */
void           gb_network_delete_async         (GbNetwork            *self,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean       gb_network_delete_finish        (GbNetwork            *self,
                                                GAsyncResult         *result,
                                                GError              **error);
/* Reads the leases (and the rest) again: leases change without events. */
void           gb_network_refresh_async        (GbNetwork            *self,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean       gb_network_refresh_finish       (GbNetwork            *self,
                                                GAsyncResult         *result,
                                                GError              **error);

G_END_DECLS
