/* gb-network-private.h — what GbNetworkList and GbNetwork share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libvirt/libvirt.h>

#include "gb-network.h"

G_BEGIN_DECLS

/* libvirt-gconfig 4.0 declares none (kept out of public headers: the
 * creator declares its own). */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigNetwork, g_object_unref)

/* All there is to know about a network, read off the main thread. */
typedef struct {
  virNetworkPtr  net;
  char          *uuid;
  char          *name;
  gboolean       active;
  gboolean       persistent;
  gboolean       autostart;
  GbNetworkMode  mode;
  char          *bridge;
  char          *ipv4_address;
  guint          ipv4_prefix;
  char          *dhcp_start;
  char          *dhcp_end;
  GPtrArray     *leases;      /* GbNetworkLease; NULL: unknown */
  gint64         read_at;     /* monotonic time the read began */
} GbNetworkInfo;

/* Runs in a worker thread. */
GbNetworkInfo *_gb_network_info_fetch     (virNetworkPtr    net,
                                           GError         **error);
void           _gb_network_info_free      (GbNetworkInfo   *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbNetworkInfo, _gb_network_info_free)
/* Fills mode, bridge, addresses and the DHCP range from libvirt's XML. */
gboolean       _gb_network_info_parse_xml (GbNetworkInfo   *info,
                                           const char      *xml,
                                           GError         **error);

GbNetwork     *_gb_network_new            (const GbNetworkInfo *info);
void           _gb_network_apply_info     (GbNetwork           *self,
                                           const GbNetworkInfo *info);
void           _gb_network_set_active     (GbNetwork           *self,
                                           gboolean             active);
virNetworkPtr  _gb_network_get_handle     (GbNetwork           *self);

G_END_DECLS
